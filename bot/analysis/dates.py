"""The dates a text says a development sets: when it was proposed, adopted, published, when it
takes effect (or applies), when something is due, when it ends.

Pure: text in, dated facts out, each with the sentence it came from. A date counts only when
its sentence says what happens on it ("takes effect on 1 September", "comments are due by
January 17, 2024"); a date with no such word ("the October 2022 controls") is left out rather
than guessed. The nearest cue word before the date decides its kind, or the nearest after it
when none comes before and no other date stands between ("informed on 9 April and told on 14
April that it would take effect": the cue is the later date's). A bare "apply" counts only
before its date. A list item with no cue of its own ("- 2 August 2025: rules for
general-purpose AI") takes the cue of the sentence that introduces the list.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

KINDS = ("proposed", "adopted", "published", "effective", "deadline", "ends")

# Cue phrases per kind, as regular expressions over lower-case text. Longer, more specific
# phrases are listed first in each kind only for readability: the nearest cue wins.
CUES: dict[str, tuple[str, ...]] = {
    "effective": (
        r"tak(?:e|es|ing) effect",
        r"took effect",
        r"effective",
        r"with effect from",
        r"enters? into force",
        r"entered into force",
        r"entry into force",
        r"in force",
        r"appl(?:y|ies|ied|ying) (?:from|as of|on)",
        r"applies in stages",
        r"appl(?:y|ies) only",
        r"become[s]? (?:enforceable|applicable|binding)",
        r"required from",
        r"kicks? in",
        r"to bite from",
        r"start(?:s)? on",
        r"compliance (?:is )?(?:deferred|required)",
    ),
    "deadline": (
        r"due",
        r"deadline",
        r"comments? (?:are|is) (?:due|invited|requested)",
        r"no later than",
        r"must (?:be )?(?:submit|file|register)\w*",
    ),
    "ends": (r"until", r"ends? on", r"expires?", r"expiring", r"lapses?", r"suspension ends"),
    "adopted": (
        r"adopted",
        r"passed",
        r"enacted",
        r"approved",
        r"promulgated",
        r"signed",
        r"final rule",
        r"notified",
    ),
    "published": (
        r"published",
        r"issued",
        r"released",
        r"announced",
        r"unveiled",
        r"press release",
        r"news item",
        r"opened for signature",
    ),
    "proposed": (r"proposed", r"draft", r"introduced", r"tabled", r"consultation"),
}

_MONTHS = {calendar.month_name[i].lower(): i for i in range(1, 13)}
_MONTHS |= {calendar.month_abbr[i].lower(): i for i in range(1, 13)}
_MONTHS["sept"] = 9
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_RE = re.compile(
    rf"\b(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m1>{_MONTH})\.?(?:,?\s+(?P<y1>(?:19|20)\d{{2}}))?"
    rf"|(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y2>(?:19|20)\d{{2}}))?"
    rf"|(?P<m3>{_MONTH})\s+(?P<y3>(?:19|20)\d{{2}})"
    rf"|(?P<iso>(?:19|20)\d{{2}}-\d{{2}}-\d{{2}}))\b",
    re.IGNORECASE,
)
# Cues that count only right before the date ("from 1 September", not "a letter from X, 14 May").
WEAK_CUES: dict[str, tuple[str, ...]] = {"effective": (r"from", r"as of", r"starting")}
_WEAK_CUE_RE = {
    kind: re.compile(r"\b(?:" + "|".join(cues) + r")\s+$") for kind, cues in WEAK_CUES.items()
}
_CUE_RE = {kind: re.compile(r"\b(?:" + "|".join(cues) + r")\b") for kind, cues in CUES.items()}
# Cues that count only before the date: "the rules apply 2 August 2026", but not "informed on
# 14 April that the requirement would apply" (a bare verb after a date says when it was said).
LEADING_CUES: dict[str, tuple[str, ...]] = {"effective": (r"apply", r"applies")}
_LEADING_CUE_RE = {
    kind: re.compile(r"\b(?:" + "|".join(cues) + r")\b") for kind, cues in LEADING_CUES.items()
}
_TODAY_RE = re.compile(r"\b(?:today|this morning)\b", re.IGNORECASE)
# Sentences end at ". " before a capital or a digit, or at a line break; "No. 70" does not end one.
_SENTENCE_RE = re.compile(r"(?<!\bNo)(?<!\bno)(?<=[.!?])\s+(?=[A-Z0-9\[\-])|\n+")
# Cues found this far (characters) from the date at most: farther words speak of other things.
MAX_CUE_DISTANCE = 80
# A date without a year is in the year of publication, or the next one when that would put it
# this many days or more before publication ("from 1 March", written in November).
YEARLESS_BACK_DAYS = 183


@dataclass(frozen=True)
class DatedFact:
    kind: str  # one of KINDS
    day: date
    precision: str  # "day", or "month" when the text names only the month ("November 2026")
    sentence: str

    def describe(self) -> str:
        """ "takes effect 2 August 2026", "comments due 17 January 2024"."""
        when = (
            f"{self.day.day} {self.day:%B %Y}" if self.precision == "day" else f"{self.day:%B %Y}"
        )
        return f"{KIND_LABELS[self.kind]} {when}"


KIND_LABELS = {
    "proposed": "proposed",
    "adopted": "adopted",
    "published": "published",
    "effective": "takes effect",
    "deadline": "due",
    "ends": "ends",
}


# `_DATE_RE` tries every month name at every word (about 0.4 ms over a 600-character text), and
# most sentences name no date: these cheap tests say when it cannot match. Every date it
# matches holds a digit and either a month name (which starts with the month's three-letter
# abbreviation) or an ISO date's "-". On ASCII text, lower() compares letters exactly as
# IGNORECASE does; other text is always searched.
_DIGIT = re.compile(r"[0-9]")
_MONTH_STARTS = tuple(calendar.month_abbr[i].lower() for i in range(1, 13))


def _may_name_date(text: str) -> bool:
    if not text.isascii():
        return True
    if _DIGIT.search(text) is None:
        return False
    lower = text.lower()
    return "-" in text or any(start in lower for start in _MONTH_STARTS)


def _may_say_today(text: str) -> bool:
    if not text.isascii():
        return True
    lower = text.lower()
    return "today" in lower or "this morning" in lower


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_RE.split(text) if s and s.strip()]


def _resolve(match: re.Match[str], published: date | None) -> tuple[date, str] | None:
    if match.group("iso"):
        try:
            return date.fromisoformat(match.group("iso")), "day"
        except ValueError:
            return None
    name = match.group("m3") or match.group("m1") or match.group("m2")
    month = _MONTHS.get(name.lower())
    if month is None:
        return None  # a look-alike IGNORECASE lets through ("aprıl", a dotless i): not a month
    if match.group("m3"):
        return date(int(match.group("y3")), month, 1), "month"
    day = int(match.group("d1") or match.group("d2"))
    year_text = match.group("y1") or match.group("y2")
    if year_text:
        year = int(year_text)
    elif published is not None:
        year = published.year
        try:
            if date(year, month, day) <= published - timedelta(days=YEARLESS_BACK_DAYS):
                year += 1
        except ValueError:
            return None
    else:
        return None
    try:
        return date(year, month, day), "day"
    except ValueError:
        return None


def _nearest_cue(sentence: str, start: int, end: int, next_date: int | None = None) -> str | None:
    """The kind of the cue nearest before the date (or, failing that, after it, unless the
    next date, at `next_date`, stands between: the cue is that date's)."""
    lower = sentence.lower()
    before: tuple[int, str] | None = None
    after: tuple[int, str] | None = None
    limit = min(end + MAX_CUE_DISTANCE, next_date if next_date is not None else len(lower))
    for kind, pattern, leading_only in [
        *((k, p, False) for k, p in _CUE_RE.items()),
        *((k, p, True) for k, p in _LEADING_CUE_RE.items()),
    ]:
        for m in pattern.finditer(lower):
            if m.end() <= start and start - m.end() <= MAX_CUE_DISTANCE:
                gap = start - m.end()
                if before is None or gap < before[0]:
                    before = (gap, kind)
            elif not leading_only and m.start() >= end and m.start() <= limit:
                gap = m.start() - end
                if after is None or gap < after[0]:
                    after = (gap, kind)
    for kind, pattern in _WEAK_CUE_RE.items():
        if pattern.search(lower[:start]):
            return kind
    chosen = before or after
    return chosen[1] if chosen else None


def extract_dates(text: str, *, published: date | None = None) -> list[DatedFact]:
    """Every dated fact of `text`, in order, without repeats of one (kind, date)."""
    # Sentences are pieces of `text` split at whitespace, so a date (or "today") in one of them
    # is one in `text` too: a text that names none has no facts, without splitting it.
    if not _may_name_date(text) and not _may_say_today(text):
        return []
    out: dict[tuple[str, date], DatedFact] = {}
    list_cue: str | None = None
    for sentence in sentences(text):
        is_item = sentence.startswith(("-", "•", "*"))
        if not is_item:
            list_cue = None
        found = list(_DATE_RE.finditer(sentence)) if _may_name_date(sentence) else []
        for n, m in enumerate(found):
            resolved = _resolve(m, published)
            if resolved is None:
                continue
            following = found[n + 1].start() if n + 1 < len(found) else None
            kind = _nearest_cue(sentence, m.start(), m.end(), following)
            if kind is None and is_item:
                kind = list_cue
            if kind is None:
                continue
            day, precision = resolved
            out.setdefault((kind, day), DatedFact(kind, day, precision, sentence[:500]))
        today = _TODAY_RE.search(sentence) if _may_say_today(sentence) else None
        if today is not None and published is not None:
            # "enters into force today" in an item of 22 January: that day.
            kind = _nearest_cue(sentence, today.start(), today.end())
            if kind is not None:
                out.setdefault((kind, published), DatedFact(kind, published, "day", sentence[:500]))
        if sentence.rstrip().endswith(":") and not is_item:
            list_cue = _nearest_cue(sentence, len(sentence), len(sentence))
    return list(out.values())
