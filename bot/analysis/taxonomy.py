"""The taxonomy (jurisdiction and topic vocabulary) as data: `bot/data/taxonomy.toml`.

An operator may point `POLICYBOT_TAXONOMY` at their own copy. Loading compiles the terms of
each layer into two regular expressions (case-sensitive for acronyms and capitalised names,
case-insensitive for the rest), so matching a text is one pass per expression. Each expression
is a trie of its terms (`_trie_pattern`) rather than a flat alternation: the regex engine then
tries one branch per next character instead of every term at every position, which is what
made matching the slowest step of ingest. A trie tries longer terms first, so it finds the
same leftmost-longest matches as the flat alternation sorted by length. ASCII text (most
items) skips even those: `Taxonomy._word_spans` looks terms up by the word they start with and
yields exactly the spans the patterns would (tested against them).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.analysis.countries import country_terms

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parent.parent / "data" / "taxonomy.toml"

SIGNAL_KINDS = ("agencies", "places", "laws", "names", "demonyms")
LAYERS = ("jurisdiction", "topic", "context")


class TaxonomyError(ValueError):
    """The taxonomy file is missing or malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Term:
    """One vocabulary entry: what it signals (a jurisdiction or topic), its kind and weight."""

    text: str
    group: str  # "jurisdiction" | "topic" | "context" | "negative"
    label: str  # jurisdiction code, topic name, context name, or "negative"
    kind: str  # agencies/places/laws/names/demonyms for jurisdictions, "term" otherwise
    weight: float


@dataclass(frozen=True)
class Match:
    term: Term
    start: int
    end: int
    matched: str


@dataclass
class Taxonomy:
    path: Path
    weights: dict[str, float]
    thresholds: dict[str, float]
    target_before: tuple[str, ...]
    target_after: tuple[str, ...]
    company_nouns: frozenset[str]
    topic_requires: dict[str, str]
    veto_count: int
    # topic -> the contexts a weak term's own sentence must hold ("sentence_needs").
    topic_sentence_needs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Nouns after a demonym or a possessive that name a government or its measure ("Chinese
    # authorities", "Canada's minister", "a Dutch ban"): the government acts.
    government_nouns: frozenset[str] = frozenset()
    terms: list[Term] = field(default_factory=list)
    # layer -> (case-sensitive pattern, case-insensitive pattern for lowercased ASCII text,
    # case-insensitive pattern with re.IGNORECASE for any other text); None when no terms.
    _patterns: dict[str, tuple[_Pattern, _Pattern, _Pattern]] = field(default_factory=dict)
    _by_text: dict[str, list[Term]] = field(default_factory=dict)
    _entries: dict[str, list[Term]] = field(default_factory=dict)  # matched text -> terms
    # For ASCII text, `find` looks terms up by the word they start with instead of running
    # the patterns: (case-sensitive, lowercased) first word -> the terms that start with it,
    # longest first, each with the layers whose pattern holds it. None when a term does not
    # start with a word character.
    _by_first_word: tuple[_WordIndex, _WordIndex] | None = None
    _first_words: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())

    @property
    def jurisdiction_codes(self) -> list[str]:
        return sorted({t.label for t in self.terms if t.group == "jurisdiction"})

    def compile(self) -> None:
        by_text: dict[str, list[Term]] = {}
        for term in self.terms:
            by_text.setdefault(_key(term.text), []).append(term)
        self._by_text = by_text
        # One layer per group, each with the negative phrases, so that a jurisdiction name
        # inside a topic phrase ("Bletchley Declaration") is still seen by both layers, and a
        # negative phrase ("potato chips") hides the words it covers in every layer.
        self._patterns = {}
        layers_of: tuple[dict[str, dict[str, set[str]]], ...] = ({}, {})  # word -> term -> layers
        word_index_ok = True
        for group in LAYERS:
            sensitive: list[str] = []
            insensitive: list[str] = []
            for entries in by_text.values():
                if not any(t.group in (group, "negative") for t in entries):
                    continue
                text = entries[0].text
                (sensitive if _case_sensitive(text) else insensitive).append(text)
            lowered = [w.lower() for w in insensitive]
            self._patterns[group] = (
                _trie_pattern(sensitive, ignore_case=False),
                _trie_pattern(lowered, ignore_case=False),
                _trie_pattern(insensitive, ignore_case=True),
            )
            for index, words in zip(layers_of, (sensitive, lowered), strict=True):
                for word in words:
                    if not word.isascii():
                        continue  # it never matches ASCII text
                    first = _ASCII_WORD_RUN.match(word)
                    if first is None:
                        word_index_ok = False
                    else:
                        index.setdefault(first.group(), {}).setdefault(word, set()).add(group)
        by_first_word = tuple(
            {
                first: [
                    (term, frozenset(layers))
                    for term, layers in sorted(terms.items(), key=lambda t: -len(t[0]))
                ]
                for first, terms in index.items()
            }
            for index in layers_of
        )
        self._by_first_word = (by_first_word[0], by_first_word[1]) if word_index_ok else None
        self._first_words = (frozenset(by_first_word[0]), frozenset(by_first_word[1]))
        self._entries = {}

    def find(self, text: str, group: str | None = None) -> list[Match]:
        """Vocabulary matches in `text` (one group, or all); longest wins an overlap."""
        groups = [group] if group else list(LAYERS)
        # ASCII lowercasing keeps every offset and is exactly what IGNORECASE does to ASCII, so
        # the case-insensitive terms run without the flag (much faster); other text uses it.
        lowered = text.lower() if text.isascii() else None
        spans = (
            self._word_spans(text, lowered, groups)
            if lowered is not None and self._by_first_word is not None
            else None
        )
        out: list[Match] = []
        for layer in groups:
            found: list[Match] = []
            sensitive, lower_only, ignore_case = self._patterns.get(layer, (None, None, None))
            runs = (
                (sensitive, text),
                (lower_only, lowered) if lowered is not None else (ignore_case, text),
            )
            for variant, (pattern, subject) in enumerate(runs):
                if pattern is None:
                    continue
                if spans is not None:
                    found_spans = spans[variant].get(layer, [])
                else:
                    found_spans = [m.span() for m in pattern.finditer(subject)]
                for start, end in found_spans:
                    matched = text[start:end]
                    for term in self._terms_for(matched):
                        if term.group in (layer, "negative"):
                            found.append(Match(term, start, end, matched))
            found.sort(key=lambda m: (m.start, -(m.end - m.start)))
            taken_until = -1
            span: tuple[int, int] | None = None
            for match in found:
                if span is not None and (match.start, match.end) == span:
                    if match.term.group != "negative":
                        out.append(match)
                    continue
                if match.start < taken_until:
                    continue
                span = (match.start, match.end)
                taken_until = match.end
                # Negatives are reported once (by the first layer), and hide what they cover.
                if match.term.group != "negative" or layer == groups[0]:
                    out.append(match)
        return out

    def _word_spans(
        self, text: str, lowered: str, groups: list[str]
    ) -> tuple[dict[str, list[tuple[int, int]]], dict[str, list[tuple[int, int]]]]:
        """The spans `finditer` of each layer's (case-sensitive, lowercased) pattern finds in
        ASCII `text`, from the words the text holds.

        A pattern match starts where a word starts, ends before a non-word character, and is
        the longest term that fits there; a term that fits starts with that whole word. So only
        words that open a term need a look (most words open none), instead of the regex
        engine trying a branch at every character.
        """
        assert self._by_first_word is not None
        result: tuple[dict[str, list[tuple[int, int]]], dict[str, list[tuple[int, int]]]] = (
            {},
            {},
        )
        size = len(text)
        wanted = frozenset(groups)
        words = set(_ASCII_WORD_RUN.findall(text))
        # The words of `lowered` are those of `text` lowercased (quicker than a second scan).
        lowered_words = " ".join(words).lower().split()
        for subject, index, hits, out in (
            (text, self._by_first_word[0], self._first_words[0].intersection(words), result[0]),
            (
                lowered,
                self._by_first_word[1],
                self._first_words[1].intersection(lowered_words),
                result[1],
            ),
        ):
            for word in hits:
                terms = index[word]
                length = len(word)
                at = subject.find(word)
                while at >= 0:
                    # The whole word: no word character on either side.
                    if (at == 0 or subject[at - 1] not in _ASCII_WORD_CHARS) and (
                        at + length == size or subject[at + length] not in _ASCII_WORD_CHARS
                    ):
                        todo = wanted
                        for term, layers in terms:  # longest first: the one each layer finds
                            if not todo.isdisjoint(layers):
                                end = at + len(term)
                                if subject.startswith(term, at) and (
                                    end == size or subject[end] not in _ASCII_WORD_CHARS
                                ):
                                    for layer in todo & layers:
                                        out.setdefault(layer, []).append((at, end))
                                    todo = todo - layers
                                    if not todo:
                                        break
                    at = subject.find(word, at + 1)
            # finditer's matches do not overlap: a match hides those starting inside it.
            for layer, found in out.items():
                found.sort()
                kept: list[tuple[int, int]] = []
                for start, end in found:
                    if not kept or start >= kept[-1][1]:
                        kept.append((start, end))
                out[layer] = kept
        return result

    def _terms_for(self, matched: str) -> list[Term]:
        entries = self._entries.get(matched)
        if entries is None:
            entries = self._by_text.get(_key(matched)) or self._by_text.get(matched.lower()) or []
            self._entries[matched] = entries
        return entries


_Pattern = re.Pattern[str] | None
_WordIndex = dict[str, list[tuple[str, frozenset[str]]]]
_ASCII_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_ASCII_WORD_RUN = re.compile(r"[A-Za-z0-9_]+")  # \w on ASCII text


def _key(text: str) -> str:
    return text if _case_sensitive(text) else text.lower()


def _case_sensitive(text: str) -> bool:
    """Acronyms (BIS, CAC) and capitalised names (Commerce, Diet) keep their case."""
    if _is_acronym(text):
        return True
    # Proper names written in capitals ("Entity List", "White House") keep their case too,
    # so Taiwan's "entity list" is not the US Entity List.
    words = [w for w in re.split(r"[\s-]+", text) if w[:1].isalpha()]
    significant = [w for w in words if w.lower() not in _MINOR_WORDS]
    return bool(significant) and all(w[:1].isupper() for w in significant)


_MINOR_WORDS = frozenset(
    {"of", "the", "and", "for", "on", "in", "to", "a", "an", "de", "des", "du"}
)


def _is_acronym(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return 0 < len(letters) <= 6 and all(c.isupper() for c in letters) and " " not in text


def _trie_pattern(words: list[str], *, ignore_case: bool) -> re.Pattern[str] | None:
    """One regex for `words` as a trie, each a whole word: not inside a longer word.

    A flat alternation makes the engine try every term at every position of the text; a trie
    branches on the next character. Without IGNORECASE the word-start check sits after the
    first character (`(?<!\\w.)`), so the pattern starts with a plain branch of literals that
    the engine can skip through quickly; IGNORECASE defeats that, so there it stays in front.
    """
    if not words:
        return None
    trie: dict[str, Any] = {}
    for word in set(words):
        node = trie
        for char in word.lower() if ignore_case else word:
            node = node.setdefault(char, {})
        node[""] = {}
    start_inside = not ignore_case
    body = _trie_body(trie, first=start_inside)
    prefix = "" if start_inside else r"(?<!\w)"
    return re.compile(rf"{prefix}(?:{body})(?!\w)", re.IGNORECASE if ignore_case else 0)


def _trie_body(node: dict[str, Any], *, first: bool) -> str:
    branches = [
        re.escape(char) + (r"(?<!\w.)" if first else "") + _trie_body(child, first=False)
        for char, child in sorted(node.items())
        if char
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # A term ending here is tried after every longer one (greedy `?`), as with the longest
    # term first in a flat alternation; the engine backtracks to it if a longer one fails.
    return f"(?:{body})?" if "" in node else body


def _floats(data: Any, where: str, path: Path) -> dict[str, float]:
    if not isinstance(data, dict):
        raise TaxonomyError(f"{path}: [{where}] must be a table")
    try:
        return {str(k): float(v) for k, v in data.items()}
    except (TypeError, ValueError) as exc:
        raise TaxonomyError(f"{path}: [{where}] values must be numbers") from exc


def _strs(data: Any, where: str, path: Path) -> list[str]:
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        raise TaxonomyError(f"{path}: {where} must be a list of strings")
    return list(data)


def parse_taxonomy(data: dict[str, Any], path: Path) -> Taxonomy:
    weights = _floats(data.get("weights", {}), "weights", path)
    thresholds = _floats(data.get("thresholds", {}), "thresholds", path)
    context = data.get("context", {})
    taxonomy = Taxonomy(
        path=path,
        weights=weights,
        thresholds=thresholds,
        target_before=tuple(_strs(context.get("target_before"), "context.target_before", path)),
        target_after=tuple(_strs(context.get("target_after"), "context.target_after", path)),
        company_nouns=frozenset(
            s.lower() for s in _strs(context.get("company_nouns"), "context.company_nouns", path)
        ),
        topic_requires={},
        veto_count=int(data.get("negatives", {}).get("veto_count", 2)),
        government_nouns=frozenset(
            s.lower()
            for s in _strs(context.get("government_nouns"), "context.government_nouns", path)
        ),
    )
    jurisdictions = data.get("jurisdictions")
    if not isinstance(jurisdictions, dict) or not jurisdictions:
        raise TaxonomyError(f"{path}: [jurisdictions.*] tables are missing")
    for code, spec in jurisdictions.items():
        if not isinstance(spec, dict):
            raise TaxonomyError(f"{path}: [jurisdictions.{code}] must be a table")
        # Country names, demonyms and capitals come from the country data (`countries`); the
        # file adds what it does not know (agencies, laws, seats of government, aliases).
        known = country_terms(str(code))
        for kind in SIGNAL_KINDS:
            texts = _strs(spec.get(kind), f"jurisdictions.{code}.{kind}", path)
            texts += [t for t in known.get(kind, ()) if t not in texts]
            for text in texts:
                taxonomy.terms.append(
                    Term(text, "jurisdiction", code, kind, weights.get(kind, 1.0))
                )
    topics = data.get("topics")
    if not isinstance(topics, dict) or not topics:
        raise TaxonomyError(f"{path}: [topics.*] tables are missing")
    for name, spec in topics.items():
        taxonomy.topic_requires[name] = str(spec.get("requires", "none"))
        taxonomy.topic_sentence_needs[name] = tuple(
            _strs(spec.get("sentence_needs"), f"topics.{name}.sentence_needs", path)
        )
        for entry in spec.get("terms", []):
            if (
                not isinstance(entry, list)
                or len(entry) != 2
                or not isinstance(entry[0], str)
                or not isinstance(entry[1], int | float)
            ):
                raise TaxonomyError(f'{path}: topics.{name}.terms entries are ["term", weight]')
            taxonomy.terms.append(Term(entry[0], "topic", name, "term", float(entry[1])))
    for name, words in data.get("contexts", {}).items():
        for text in _strs(words, f"contexts.{name}", path):
            taxonomy.terms.append(Term(text, "context", name, "term", 0.0))
    for text in _strs(data.get("negatives", {}).get("phrases"), "negatives.phrases", path):
        taxonomy.terms.append(Term(text, "negative", "negative", "term", 1.0))
    taxonomy.compile()
    return taxonomy


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """The taxonomy at `path` (default: the bundled one), parsed once per file version."""
    resolved = (path or DEFAULT_TAXONOMY_PATH).expanduser().resolve()
    try:
        mtime = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise TaxonomyError(f"{resolved}: cannot read the taxonomy ({exc.strerror})") from exc
    return _load_cached(resolved, mtime)


@lru_cache(maxsize=4)
def _load_cached(path: Path, _mtime: int) -> Taxonomy:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{path}: invalid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise TaxonomyError(f"{path}: not UTF-8 text") from exc
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot read the taxonomy ({exc.strerror})") from exc
    return parse_taxonomy(data, path)
