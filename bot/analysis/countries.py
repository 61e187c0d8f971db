"""Country names, demonyms and capitals from well-kept data, not hand lists.

`pycountry` (ISO 3166) gives the names (short, common and official); `countryinfo` gives the
demonym, the capital and the usual alternative spellings. The taxonomy file keeps only what
no library knows: agencies, laws, seats of government used as metonyms (Whitehall, The
Hague) and press aliases (U.S., Britain). Both libraries ship their data: nothing is fetched.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pycountry
from countryinfo import CountryInfo

# The taxonomy's codes that are not ISO 3166 alpha-2 codes of the same country.
_ISO_CODE = {"UK": "GB"}


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
    country = pycountry.countries.get(alpha_2=iso)
    if country is None:
        return {}
    names = [getattr(country, attr, None) for attr in ("name", "common_name", "official_name")]
    # Two-letter forms everyone writes (UK, US) are kept: the taxonomy matches capitals as
    # written, so "us" in prose is not the US.
    names.append(code if len(code) == 2 and code != iso else None)
    demonyms: list[str] = []
    places: list[str] = []
    info: dict[str, Any]
    try:
        info = dict(CountryInfo(iso).info())
    except KeyError:  # a country countryinfo does not know: ISO names only
        info = {}
    names.extend(s for s in info.get("altSpellings", ()) if len(s) > 3 or s in ("UK", "UAE"))
    demonym = info.get("demonym")
    if demonym:
        demonyms.append(demonym)
        plural = _plural(demonym)
        if plural:
            demonyms.append(plural)
    capital = info.get("capital")
    if capital:
        places.append(capital)
        # "Washington D.C." is written "Washington" when it stands for the government.
        short = capital.removesuffix(" D.C.").removesuffix(", D.C.")
        if short != capital:
            places.append(short)
    return {
        "names": _unique(n for n in names if n and (_usable(n) or n in ("UK", "UAE", "USA"))),
        "demonyms": _unique(d for d in demonyms if _usable(d)),
        "places": _unique(p for p in places if _usable(p)),
    }


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        if value not in out:
            out.append(value)
    return tuple(out)
