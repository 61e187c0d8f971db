"""Shifts the clock of a Python subprocess started by a test run that runs at another moment.

tests/conftest.py puts this folder on PYTHONPATH and sets TEST_CLOCK_OFFSET_SECONDS when
POLICYBOT_TEST_NOW is set, so `python -m bot serve` and the like share the tests' moment.
"""

import os

_OFFSET = os.environ.get("TEST_CLOCK_OFFSET_SECONDS")
if _OFFSET:
    import time

    import time_machine

    time_machine.travel(time.time() + float(_OFFSET), tick=True).start()
