"""A heartbeat: renews a claim's lease on its own thread while its holder works (`with` block).

Slack's pacing, a long `Retry-After` or reading a channel's history can outlast a lease; a
heartbeat renews it every `every` seconds (a third of the lease, by its users). A killed process
beats no more, so its lease lapses and another replica takes the work over. A subclass says
how to renew and sets `lost` when a renewal finds the claim gone: the holder must stop.
"""

from __future__ import annotations

import threading
from typing import Self


class Heartbeat:
    def __init__(self, *, every: float, name: str) -> None:
        self.every = every
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def renew(self) -> None:
        """One renewal now (what the thread does every `every` seconds)."""
        raise NotImplementedError

    def _run(self) -> None:
        while not self.lost and not self._stop.wait(self.every):
            self.renew()
