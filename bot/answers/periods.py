"""Time expressions in questions: the publication window a question names ("this week",
"in January 2025", "since March") and the forward range its dates must fall in ("next month").

Relative phrases name whole days in POLICYBOT_TIMEZONE ending with today; calendar phrases name
months, seasons, quarters and years. `bot/answers/when.py` reads the kinds of date asked about.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.answers.when import coming_month, date_kinds, future_window

_MONTHS: dict[str, int] = {}
for _i in range(1, 13):
    _MONTHS[calendar.month_name[_i].lower()] = _i
    _MONTHS[calendar.month_abbr[_i].lower()] = _i
_MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "fourteen": 14,
    "thirty": 30,
    "ninety": 90,
}
# Relative phrases name whole days in POLICYBOT_TIMEZONE ending with today: "today" and
# "yesterday" are calendar days; "this week" is the last RECENT_DAYS days and "last week" the
# RECENT_DAYS before them; "this month" and "this year" run from the 1st and 1 January but
# never cover fewer than the last RECENT_DAYS days; "last month" and "last year" are calendar
# ones. So the same question finds the same developments on every weekday.
RECENT_DAYS = 7
_ORDINAL_WEEKS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "last": -1}
_SEASONS = {
    "spring": (3, 5),
    "summer": (6, 8),
    "autumn": (9, 11),
    "fall": (9, 11),
    "winter": (12, 2),
}
_SEASON_RE = "spring|summer|autumn|fall|winter"


@dataclass(frozen=True)
class TimeWindow:
    """Published between `start` (inclusive) and `end` (exclusive), both aware UTC.

    `relative` windows ("this week", "yesterday") ask what is new and filter strictly;
    calendar windows ("in January 2025") may also qualify a noun ("the Oct 2023 rules"), so
    the answer engine prefers matches inside them without excluding the rest.
    `loose_start`/`loose_end` span every reading of a fuzzy phrase: on a Monday, "last week"
    is the 7 days before the last 7 (`start`/`end`, the same days on every weekday) but may
    mean the calendar week that ended yesterday; a close match inside the loose span answers
    too, and the answer says when it was published.
    """

    start: datetime | None
    end: datetime | None
    label: str
    relative: bool
    zone: ZoneInfo | None = None  # POLICYBOT_TIMEZONE, for showing the local dates
    loose_start: datetime | None = None
    loose_end: datetime | None = None

    def _days(self, start: datetime | None, end: datetime | None) -> str:
        zone = self.zone or UTC
        first = start.astimezone(zone).date().isoformat() if start else ""
        last = (end - timedelta(seconds=1)).astimezone(zone).date().isoformat() if end else ""
        return first if first == last else f"{first} to {last}"

    def describe(self) -> str:
        """The label with its local dates, e.g. "this week (2025-11-10 to 2025-11-12)"."""
        if self.start is None or self.end is None:
            return self.label
        days = self._days(self.start, self.end)
        if self.loose_start is not None or self.loose_end is not None:
            wide = self._days(self.loose_start or self.start, self.loose_end or self.end)
            days += f"; close matches {wide}"
        return f"{self.label} ({days})"

    @property
    def outer_start(self) -> datetime | None:
        return self.loose_start or self.start

    @property
    def outer_end(self) -> datetime | None:
        return self.loose_end or self.end


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return start, end


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _year_for(month: int, today: date) -> int:
    """The most recent year in which `month` has started (for "in March" with no year)."""
    return today.year if month <= today.month else today.year - 1


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word)


@dataclass(frozen=True)
class _TimeMatch:
    span: tuple[int, int]
    start: date | None
    end: date | None  # exclusive
    label: str
    relative: bool
    loose: tuple[date, date] | None = None  # every reading of a fuzzy phrase


def _season_start(season: str, today: date, *, ended: bool = False) -> tuple[date, date]:
    """The most recent `season` that has begun (that has ended, with `ended`): its first day
    and the day after it."""
    lo, hi = _SEASONS[season]
    year = today.year
    while True:
        start = date(year - 1 if lo > hi else year, lo, 1)
        end = _month_bounds(year, hi)[1]
        if start <= today and (not ended or end <= today):
            return start, end
        year -= 1


def _find_time(text: str, today: date) -> _TimeMatch | None:
    t = text
    year_re = r"(?P<year>(?:19|20)\d{2})"
    month_re = rf"(?P<month>{_MONTH_RE})\.?"

    def month_num(m: re.Match[str]) -> int:
        return _MONTHS[m.group("month").lower().rstrip(".")]

    def month_named(m: re.Match[str]) -> tuple[date, date]:
        """The month a match names, in its year or (with none) the most recent one begun."""
        month = month_num(m)
        year = int(m.group("year")) if m.group("year") else _year_for(month, today)
        return _month_bounds(year, month)

    simple: list[tuple[str, int, int, str]] = [
        (r"\btoday(?:'s)?\b", 0, 1, "today"),
        (r"\byesterday(?:'s)?\b", -1, 0, "yesterday"),
    ]
    for pattern, lo, hi, label in simple:
        m = re.search(pattern, t, re.I)
        if m:
            return _TimeMatch(m.span(), today + timedelta(lo), today + timedelta(hi), label, True)

    # "This week" is the last 7 days whatever the weekday, so a Monday morning does not ask
    # an empty window; "last week" is the 7 days before those (see RECENT_DAYS).
    recent = today - timedelta(RECENT_DAYS - 1)
    m = re.search(r"\b(?:the\s+)?(?:this|current)\s+week(?:'s)?\b", t, re.I)
    if m:
        return _TimeMatch(m.span(), recent, today + timedelta(1), "this week", True)
    m = re.search(r"\b(?:the\s+)?(?:last|previous|past)\s+week(?:'s)?\b", t, re.I)
    if m:
        if "past" in m.group(0).lower():
            return _TimeMatch(m.span(), recent, today + timedelta(1), "past 7 days", True)
        # Read as the calendar week before this one, it may run up to this Monday.
        monday = today - timedelta(today.weekday())
        return _TimeMatch(
            m.span(),
            recent - timedelta(RECENT_DAYS),
            recent,
            "last week",
            True,
            loose=(recent - timedelta(RECENT_DAYS), max(monday, recent)),
        )
    m = re.search(r"\b(?:this|current)\s+month(?:'s)?\b", t, re.I)
    if m:
        start = min(today.replace(day=1), recent)
        return _TimeMatch(m.span(), start, today + timedelta(1), "this month", True)
    m = re.search(r"\b(?:last|previous|past)\s+month(?:'s)?\b", t, re.I)
    if m:
        first = today.replace(day=1)
        start = _add_months(first, -1)
        # Read as "the past month", it runs up to today.
        loose = (start, today + timedelta(1))
        return _TimeMatch(m.span(), start, first, start.strftime("%B %Y"), True, loose=loose)
    m = re.search(r"\b(?:this|current)\s+year(?:'s)?\b", t, re.I)
    if m:
        start = min(date(today.year, 1, 1), recent)
        return _TimeMatch(m.span(), start, today + timedelta(1), "this year", True)
    m = re.search(r"\b(?:last|previous)\s+year(?:'s)?\b", t, re.I)
    if m:
        y = today.year - 1
        return _TimeMatch(m.span(), date(y, 1, 1), date(y + 1, 1, 1), str(y), True)
    m = re.search(
        r"\b(?:in\s+the\s+|over\s+the\s+|the\s+)?(?:last|past|previous)\s+"
        r"(?P<n>\d{1,3}|[a-z]+)\s+(?P<unit>days?|weeks?|months?)\b",
        t,
        re.I,
    )
    if m and _number(m.group("n").lower()) is not None:
        n = _number(m.group("n").lower()) or 0
        unit = m.group("unit").lower().rstrip("s")
        if unit == "day":
            start = today - timedelta(days=n - 1)
        elif unit == "week":
            start = today - timedelta(days=7 * n - 1)
        else:
            start = _add_months(today, -n) + timedelta(1)
        return _TimeMatch(m.span(), start, today + timedelta(1), f"last {n} {unit}s", True)

    # since the summer / since last spring: from the start of the most recent one
    m = re.search(
        rf"\bsince\s+(?:the\s+|this\s+|last\s+)?(?P<season>{_SEASON_RE})\b(?!\s+(?:of\s+)?\d)",
        t,
        re.I,
    )
    if m:
        season = m.group("season").lower()
        start, _end = _season_start(season, today)
        label = f"since {season} {start.year}"
        return _TimeMatch(m.span(), start, today + timedelta(1), label, True)
    # since 1 March [2025] / since March 1[, 2025] / since March [2025] / since 2025-03-01
    m = re.search(
        rf"\bsince\s+(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+{month_re}|"
        rf"(?P<month2>{_MONTH_RE})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b|"
        rf"(?P<month3>{_MONTH_RE})\b)(?:,?\s+{year_re})?",
        t,
        re.I,
    )
    if m:
        name = (m.group("month") or m.group("month2") or m.group("month3")).lower().rstrip(".")
        month = _MONTHS[name]
        day_s = m.group("d1") or m.group("d2") or "1"
        year = int(m.group("year")) if m.group("year") else None
        if year is None:
            year = today.year
            if date(year, month, 1) > today:
                year -= 1
        try:
            start = date(year, month, int(day_s))
        except ValueError:
            start = date(year, month, 1)
        return _TimeMatch(m.span(), start, today + timedelta(1), f"since {start:%d %B %Y}", True)
    m = re.search(r"\bsince\s+(?P<iso>\d{4}-\d{2}-\d{2})\b", t, re.I)
    if m:
        since: date | None
        try:
            since = date.fromisoformat(m.group("iso"))
        except ValueError:
            since = None
        if since is not None:
            return _TimeMatch(
                m.span(), since, today + timedelta(1), f"since {since:%d %B %Y}", True
            )
    m = re.search(rf"\bsince\s+{year_re}\b", t, re.I)
    if m:
        start = date(int(m.group("year")), 1, 1)
        return _TimeMatch(m.span(), start, today + timedelta(1), f"since {start.year}", True)

    # the first/second/last week of March 2025
    m = re.search(
        rf"\b(?:in\s+|during\s+)?(?:the\s+)?(?P<ord>first|second|third|fourth|last)\s+week\s+of\s+"
        rf"{month_re}(?:\s+{year_re})?",
        t,
        re.I,
    )
    if m:
        first, nxt = month_named(m)
        index = _ORDINAL_WEEKS[m.group("ord").lower()]
        start = nxt - timedelta(7) if index < 0 else first + timedelta(7 * index)
        end = min(start + timedelta(7), nxt)
        label = f"{m.group('ord').lower()} week of {first:%B %Y}"
        return _TimeMatch(m.span(), start, end, label, False)
    # early / mid / late March 2025
    m = re.search(
        rf"\b(?:in\s+)?(?P<part>early|mid|middle\s+of|late|end\s+of|start\s+of)[\s-]+"
        rf"{month_re}(?:\s+{year_re})?",
        t,
        re.I,
    )
    if m:
        first, nxt = month_named(m)
        part = m.group("part").lower()
        if part in ("early", "start of"):
            start, end = first, first + timedelta(10)
        elif part in ("late", "end of"):
            start, end = first + timedelta(20), nxt
        else:
            start, end = first + timedelta(9), first + timedelta(21)
        return _TimeMatch(m.span(), start, end, f"{part} {first:%B %Y}", False)
    # in March 2025 / March 2025 / Oct. 2023
    m = re.search(rf"\b(?:in\s+|during\s+)?{month_re}\s+(?:of\s+)?{year_re}\b", t, re.I)
    if m:
        first, nxt = _month_bounds(int(m.group("year")), month_num(m))
        return _TimeMatch(m.span(), first, nxt, f"{first:%B %Y}", False)
    # spring 2025
    m = re.search(
        rf"\b(?:in\s+)?(?:the\s+)?(?P<season>{_SEASON_RE})\s+(?:of\s+)?" + year_re,
        t,
        re.I,
    )
    if m:
        lo, hi = _SEASONS[m.group("season").lower()]
        year = int(m.group("year"))
        start = date(year - 1 if lo > hi else year, lo, 1)  # winter 2025 began in December 2024
        end = _month_bounds(year, hi)[1]
        return _TimeMatch(m.span(), start, end, f"{m.group('season').lower()} {year}", False)
    # in/over the summer, last winter (no year): the most recent one
    m = re.search(
        rf"\b(?:(?:in|during|over)\s+(?:the\s+|this\s+)?|this\s+|last\s+)(?P<season>{_SEASON_RE})\b",
        t,
        re.I,
    )
    if m:
        season = m.group("season").lower()
        ended = m.group(0).lower().startswith("last")
        start, end = _season_start(season, today, ended=ended)
        label = f"{season} {(end - timedelta(1)).year}"  # winter 2025 ends in February 2025
        return _TimeMatch(m.span(), start, end, label, False)
    # Q1 2025
    m = re.search(r"\b(?:in\s+)?q(?P<q>[1-4])\s+" + year_re, t, re.I)
    if m:
        q = int(m.group("q"))
        year = int(m.group("year"))
        start = date(year, 3 * q - 2, 1)
        end = _month_bounds(year, 3 * q)[1]
        return _TimeMatch(m.span(), start, end, f"Q{q} {year}", False)
    # in March (no year): the most recent March
    m = re.search(rf"\b(?:in|during)\s+(?P<month>{_MONTH_RE})\b(?!\s+\d)", t, re.I)
    if m and m.group("month").lower() not in ("may", "mar"):
        month = month_num(m)
        first, nxt = _month_bounds(_year_for(month, today), month)
        return _TimeMatch(m.span(), first, nxt, f"{first:%B %Y}", False)
    # in 2024
    m = re.search(r"\b(?:in|during)\s+" + year_re + r"\b", t, re.I)
    if m:
        year = int(m.group("year"))
        return _TimeMatch(m.span(), date(year, 1, 1), date(year + 1, 1, 1), str(year), False)
    return None


def _period_end(label: str, today: date) -> date | None:
    """The day after the calendar week, month or year "this week/month/year" is in."""
    if label == "this week":
        return today + timedelta(7 - today.weekday())
    if label == "this month":
        return _month_bounds(today.year, today.month)[1]
    if label == "this year":
        return date(today.year + 1, 1, 1)
    return None


def parse_time(
    text: str, *, now: datetime, tz: ZoneInfo, dates_ahead: bool = False
) -> tuple[TimeWindow | None, str]:
    """The time window a text names (relative to `now` in `tz`) and the text without it.

    With `dates_ahead` (the question asks about dates a development sets: "what takes effect
    this year?"), "this week", "this month" and "this year" run to the end of the calendar
    week, month or year: what is still to come in it counts too.
    """
    today = now.astimezone(tz).date()
    found = _find_time(text, today)
    if found is None:
        return None, text
    end_ahead = _period_end(found.label, today) if dates_ahead else None
    if end_ahead is not None:
        found = replace(found, end=max(end_ahead, found.end or end_ahead))
    start = _local_midnight(found.start, tz) if found.start else None
    end = _local_midnight(found.end, tz) if found.end else None
    rest = text[: found.span[0]] + " " + text[found.span[1] :]
    loose = found.loose
    window = TimeWindow(
        start=start,
        end=end,
        label=found.label,
        relative=found.relative,
        zone=tz,
        loose_start=_local_midnight(loose[0], tz) if loose else None,
        loose_end=_local_midnight(loose[1], tz) if loose else None,
    )
    return window, rest


def parse_due(text: str, *, now: datetime, tz: ZoneInfo) -> tuple[TimeWindow | None, str]:
    """A forward range ("next month") the question's dates must fall in, and the text
    without it (see bot/answers/when.py)."""
    today = now.astimezone(tz).date()
    found = future_window(text, today)
    if found is None and date_kinds(text):
        found = coming_month(text, today)
    if found is None:
        return None, text
    window = TimeWindow(
        start=_local_midnight(found.start, tz),
        end=_local_midnight(found.end, tz),
        label=found.label,
        relative=True,
        zone=tz,
    )
    return window, text[: found.span[0]] + " " + text[found.span[1] :]
