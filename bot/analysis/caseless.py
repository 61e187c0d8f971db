"""Case-insensitive regexes that skip `re.IGNORECASE` on ASCII text, with the same matches.

With IGNORECASE the engine compares case-folded characters and loses its quick literal checks,
so an alternation of many words runs several times slower. On ASCII text, the lowercased
pattern run over the lowercased text finds the same spans: ASCII lowercasing keeps every
offset, and IGNORECASE equates an ASCII character only with its other ASCII case, except for
four non-ASCII letters (İ ı ſ and the Kelvin sign K) that the pattern may therefore not hold.
Matched text is always cut from the original, so callers see its own case.
"""

from __future__ import annotations

import re

# The only non-ASCII characters that re.IGNORECASE matches to ASCII ones (see test_caseless).
FOLDS_TO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")


class CaselessPattern:
    """`re.compile(pattern, re.IGNORECASE)`, run without the flag when the text is ASCII."""

    def __init__(self, pattern: str) -> None:
        # Lowercasing the source must not change what it means: no \D, \W, \S, \B, \A, \Z...
        if re.search(r"\\[A-Z]", pattern) or FOLDS_TO_ASCII.search(pattern):
            raise ValueError(f"pattern cannot be lowercased safely: {pattern!r}")
        self.pattern = re.compile(pattern, re.IGNORECASE)
        self._lowered = re.compile(pattern.lower())

    def _subject(self, text: str, lowered: str | None) -> tuple[re.Pattern[str], str]:
        if text.isascii():
            return self._lowered, text.lower() if lowered is None else lowered
        return self.pattern, text

    def search(self, text: str, lowered: str | None = None) -> str | None:
        """The text of the first match, or None. `lowered` may pass `text.lower()` if known."""
        pattern, subject = self._subject(text, lowered)
        found = pattern.search(subject)
        return None if found is None else text[found.start() : found.end()]

    def findall(self, text: str, lowered: str | None = None) -> list[str]:
        """`re.findall` of a pattern without capturing groups: the text of every match."""
        if self.pattern.groups:
            raise ValueError("findall here returns whole matches, not groups")
        pattern, subject = self._subject(text, lowered)
        return [text[m.start() : m.end()] for m in pattern.finditer(subject)]
