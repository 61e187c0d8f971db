"""Country names, demonyms and capitals from well-kept data, not hand lists.

`pycountry` (ISO 3166) gives the names (short, common and official); `countryinfo` gives the
demonym, the capital and the usual alternative spellings. The taxonomy file keeps only what
no library knows: agencies, laws, seats of government used as metonyms (Whitehall, The
Hague) and press aliases (U.S., Britain). Both libraries ship their data: nothing is fetched.

Loading both libraries' data costs a process about 15 MB that it keeps; the few strings the
taxonomy needs per country are therefore derived from them once into `bot/data/countries.json`
(`derive_table`, every ISO country; `python -m bot.analysis.countries` writes it, and a test
checks that it still equals what the installed libraries give).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

TABLE_PATH = Path(__file__).resolve().parent.parent / "data" / "countries.json"
# The taxonomy's codes that are not ISO 3166 alpha-2 codes of the same country.
_ISO_CODE = {"UK": "GB"}
_SHORT_NAMES = ("UK", "UAE", "USA")  # short forms worth matching despite `_usable`


def _plural(demonym: str) -> str | None:
    """ "Canadians" from "Canadian"; none for "Chinese", "Dutch", "French" (no plural form)."""
    if demonym.endswith(("ese", "ch", "sh", "ss")):
        return None
    return demonym + "s"


def _usable(name: str) -> bool:
    """A name worth matching in English prose: ASCII, no inverted form ("Korea, Republic of"),
    no bare ISO code (a two- or three-letter code in capitals is too ambiguous: "CAN")."""
    return name.isascii() and "," not in name and not (name.isupper() and len(name) <= 3)


@lru_cache(maxsize=64)
def country_terms(code: str) -> dict[str, tuple[str, ...]]:
    """{"names", "demonyms", "places"} for a jurisdiction code that is a country, else {}."""
    iso = _ISO_CODE.get(code, code)
    entry = _table().get(iso)
    if entry is None:  # the table holds every ISO country: EU, INTL or a code of one's own
        return {}
    # Two-letter forms everyone writes (UK, US) are kept: the taxonomy matches capitals as
    # written, so "us" in prose is not the US.
    alias = [code] if len(code) == 2 and code != iso else []
    names = [*entry["iso_names"], *alias, *entry["alt_names"]]
    return {
        "names": _unique(n for n in names if _usable(n) or n in _SHORT_NAMES),
        "demonyms": _unique(d for d in entry["demonyms"] if _usable(d)),
        "places": _unique(p for p in entry["places"] if _usable(p)),
    }


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, list[str]]]:
    try:
        data: dict[str, dict[str, list[str]]] = json.loads(TABLE_PATH.read_text("utf-8"))
    except OSError:
        return {}
    return data


def derive_entry(iso: str) -> dict[str, list[str]] | None:
    """One country's strings from the libraries (imported here: only deriving the table pays
    for their data)."""
    import pycountry
    from countryinfo import CountryInfo

    country = pycountry.countries.get(alpha_2=iso)
    if country is None:
        return None
    iso_names = [getattr(country, attr, None) for attr in ("name", "common_name", "official_name")]
    info: dict[str, Any]
    try:
        info = dict(CountryInfo(iso).info())
    except KeyError:  # a country countryinfo does not know: ISO names only
        info = {}
    alt_names = [s for s in info.get("altSpellings", ()) if len(s) > 3 or s in ("UK", "UAE")]
    demonyms: list[str] = []
    demonym = info.get("demonym")
    if demonym:
        demonyms.append(demonym)
        plural = _plural(demonym)
        if plural:
            demonyms.append(plural)
    places: list[str] = []
    capital = info.get("capital")
    if capital:
        places.append(capital)
        # "Washington D.C." is written "Washington" when it stands for the government.
        short = capital.removesuffix(" D.C.").removesuffix(", D.C.")
        if short != capital:
            places.append(short)
    return {
        "iso_names": [n for n in iso_names if n],
        "alt_names": alt_names,
        "demonyms": demonyms,
        "places": places,
    }


def derive_table() -> dict[str, dict[str, list[str]]]:
    """Every ISO 3166 country's strings, as `bot/data/countries.json` holds them."""
    import pycountry

    table: dict[str, dict[str, list[str]]] = {}
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        entry = derive_entry(country.alpha_2)
        if entry is not None:
            table[country.alpha_2] = entry
    return table


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        if value not in out:
            out.append(value)
    return tuple(out)


if __name__ == "__main__":  # python -m bot.analysis.countries: rewrite the table
    TABLE_PATH.write_text(
        json.dumps(derive_table(), ensure_ascii=False, indent=0, sort_keys=True) + "\n", "utf-8"
    )
