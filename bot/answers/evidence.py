"""What in a development answers a question: the evidence rules of the answer engine.

- Tags rank, they do not exclude: `off_scope` says when a development shown is not tagged with
  the jurisdiction asked about ("tagged CN, not US"), so the answer admits it.
- `names_covered`: the question's distinctive names (a country outside the vocabulary, an
  instrument named in full) must be in the development, in one of their names.
- `topic_covered`: a topic the question names must be the development's, by its tag or by
  all the words of a phrase that named it.
"""

from __future__ import annotations

import re

from bot.answers.query import ParsedQuery
from bot.answers.stemming import term_stems
from bot.vocab import normalize_topic
from store.models import Development


def off_scope(dev: Development, parsed: ParsedQuery) -> str:
    """ "tagged EU, not UK" when the question names actors the development is not tagged
    with (tags rank, they do not exclude: a tagging mistake must not hide a close match)."""
    if not parsed.jurisdictions or set(dev.jurisdictions) & set(parsed.jurisdictions):
        return ""
    tagged = ", ".join(dev.jurisdictions) or "no jurisdiction"
    return f"tagged {tagged}, not {', '.join(parsed.jurisdictions)}"


_NON_WORD_RE = re.compile(r"[^\w]+")


def _normalised(text: str) -> str:
    return " " + _NON_WORD_RE.sub(" ", text.lower()).strip() + " "


def names_covered(text: str, head_stems: set[str], parsed: ParsedQuery) -> bool:
    """Whether the development names every country outside the vocabulary the question asks
    about in its title or summary (`head_stems`: where its subject is, not a list of
    signatories deep in the text), and every instrument the question names (in one of its
    names, anywhere in `text`): the question's distinctive parts."""
    if not all(all(s in head_stems for s in term_stems(p)) for p in parsed.other_places):
        return False
    if not parsed.instruments:
        return True
    flat = _normalised(text)
    return all(any(_normalised(n) in flat for n in names) for names in parsed.instruments)


def topic_covered(dev: Development, stems: set[str], parsed: ParsedQuery) -> bool:
    """Whether the development is on a topic the question names: tagged with it, or using
    a phrase that named it: a word of it that names the topic alone ("export"), or else all
    its words ("data protection"), each in one of its forms ("chip curbs" or "semiconductor
    restrictions"), so a tagging mistake does not hide it."""
    if not parsed.topics or not parsed.topic_terms or set(dev.topics) & set(parsed.topics):
        return True  # (a topic named by an instrument, "the AI Act", is checked as its name)
    forms = {t.text: t.forms for t in parsed.terms}

    def used(word: str) -> bool:
        return any(all(s in stems for s in term_stems(f)) for f in forms.get(word, (word,)))

    def names_topic(phrase: tuple[str, ...]) -> bool:
        # A word that names the topic alone ("export" in "export controls") suffices.
        alone = [w for w in phrase if normalize_topic(w) is not None]
        return any(used(w) for w in alone) if alone else all(used(w) for w in phrase)

    return any(names_topic(phrase) for phrase in parsed.topic_terms)
