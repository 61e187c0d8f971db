"""Questions about the dates a development sets, not when it was published.

"what takes effect next month?", "when do the GPAI rules apply?", "what's due in the next
30 days?": `date_kinds` says which kinds of timeline date the question asks about (see
`bot.analysis.dates`), and `future_window` finds the forward-looking ranges ("next month",
"next quarter", "in the coming 6 weeks") that only such dates can fall in.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

# Words that ask about a kind of timeline date; they are the question's frame, not its topic.
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "effective": (
        r"tak(?:e|es|ing) effect",
        r"took effect",
        r"(?:enter|enters|entered|come|comes|came) into force",
        r"in force",
        r"effective",
        r"appl(?:y|ies|ied|ying)",
        r"kick(?:s|ed)? in",
        r"start(?:s|ed)? (?:to )?apply(?:ing)?",
        r"start(?:s|ed)?",
        r"begin(?:s)?",
        r"bite(?:s)?",
        r"enforceable",
    ),
    "deadline": (r"due", r"deadlines?", r"comment period", r"comments? (?:close|closing)"),
    "ends": (r"expire(?:s|d)?", r"lapse(?:s|d)?", r"run(?:s)? out", r"end(?:s)?"),
}
_KIND_RE = {k: re.compile(r"\b(?:" + "|".join(v) + r")\b", re.I) for k, v in KIND_WORDS.items()}
# The single words of those phrases, dropped from the search terms when a kind is asked.
FRAME_WORDS = frozenset(
    [
        "take",
        "takes",
        "taking",
        "took",
        "effect",
        "enter",
        "enters",
        "entered",
        "come",
        "comes",
        "came",
        "into",
        "force",
        "effective",
        "apply",
        "applies",
        "applied",
        "applying",
        "kick",
        "kicks",
        "kicked",
        "start",
        "starts",
        "started",
        "begin",
        "begins",
        "bite",
        "bites",
        "enforceable",
        "due",
        "deadline",
        "deadlines",
        "comment",
        "period",
        "expire",
        "expires",
        "expired",
        "lapse",
        "lapses",
        "lapsed",
        "run",
        "runs",
        "end",
        "ends",
    ]
)


def date_kinds(text: str) -> tuple[str, ...]:
    """The kinds of timeline date `text` asks about, e.g. ("effective",) for "kick in"."""
    return tuple(kind for kind, pattern in _KIND_RE.items() if pattern.search(text))


@dataclass(frozen=True)
class FutureRange:
    span: tuple[int, int]
    start: date
    end: date  # exclusive
    label: str


_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "twelve": 12, "thirty": 30}


def _month_start(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


_MONTH_NAMES = [calendar.month_name[i].lower() for i in range(1, 13)]


def coming_month(text: str, today: date) -> FutureRange | None:
    """ "in August" in a question about dates set: the next August (or this one, if current)."""
    m = re.search(
        r"\b(?:in|by|from|during)\s+(" + "|".join(_MONTH_NAMES) + r")\b(?!\s+\d)", text, re.I
    )
    if m is None:
        return None
    month = _MONTH_NAMES.index(m.group(1).lower()) + 1
    year = today.year if month >= today.month else today.year + 1
    start = date(year, month, 1)
    return FutureRange(m.span(), start, _month_start(start, 1), f"{start:%B %Y}")


# "What's coming up for the AI Act?", "anything due soon?": the dates of the next quarter.
SOON_DAYS = 90
_SOON_RE = re.compile(
    r"\b(?:coming up|upcoming|soon|what(?:'s|\s+is)\s+next|next\s+steps?)\b", re.I
)


def future_window(text: str, today: date) -> FutureRange | None:
    """A forward-looking range the text names ("next month", "coming up": the next
    SOON_DAYS days), relative to `today`."""
    m = re.search(r"\b(?:the\s+)?next\s+(week|month|quarter|year)\b", text, re.I)
    if m:
        unit = m.group(1).lower()
        if unit == "week":
            start = today - timedelta(days=today.weekday()) + timedelta(7)
            return FutureRange(m.span(), start, start + timedelta(7), "next week")
        if unit == "month":
            start = _month_start(today, 1)
            return FutureRange(m.span(), start, _month_start(start, 1), f"{start:%B %Y}")
        if unit == "quarter":
            first = _month_start(today, -((today.month - 1) % 3))
            start = _month_start(first, 3)
            quarter = (start.month - 1) // 3 + 1
            return FutureRange(m.span(), start, _month_start(start, 3), f"Q{quarter} {start.year}")
        start = date(today.year + 1, 1, 1)
        return FutureRange(m.span(), start, date(today.year + 2, 1, 1), str(start.year))
    m = re.search(
        r"\b(?:in|over|within)\s+the\s+(?:next|coming)\s+(\d{1,3}|[a-z]+)\s+(days?|weeks?|months?)\b",
        text,
        re.I,
    )
    if m:
        word = m.group(1).lower()
        n = int(word) if word.isdigit() else _NUMBERS.get(word)
        if n is None:
            return None
        unit = m.group(2).lower().rstrip("s")
        if unit == "month":
            end = _month_start(today, n) + timedelta(days=today.day - 1)
        else:
            end = today + timedelta(days=n * (7 if unit == "week" else 1))
        return FutureRange(m.span(), today, end + timedelta(1), f"next {n} {unit}s")
    m = _SOON_RE.search(text)
    if m:
        end = today + timedelta(SOON_DAYS)
        return FutureRange(m.span(), today, end, f"the next {SOON_DAYS} days")
    return None
