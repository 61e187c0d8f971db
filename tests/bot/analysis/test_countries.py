"""The country table (bot/data/countries.json) is what the country libraries give, derived once:
the taxonomy reads it without loading the libraries' data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.analysis.countries import TABLE_PATH, country_terms, derive_table

ROOT = Path(__file__).resolve().parents[3]


def test_the_table_is_what_the_libraries_give() -> None:
    shipped = json.loads(TABLE_PATH.read_text("utf-8"))
    assert shipped == derive_table()  # after a library upgrade: python -m bot.analysis.countries
    assert len(shipped) > 240  # every ISO country, not only the taxonomy's


def test_codes_that_are_no_country_have_no_country_terms() -> None:
    assert country_terms("EU") == {}
    assert country_terms("INTL") == {}
    assert "Washington" in country_terms("US")["places"]
    assert "UK" in country_terms("UK")["names"]  # the taxonomy's code for ISO's GB


def test_loading_the_taxonomy_loads_no_country_library() -> None:
    script = (
        "import sys\n"
        "from bot.analysis.taxonomy import load_taxonomy\n"
        "load_taxonomy(None)\n"
        "print(sorted(m for m in ('pycountry', 'countryinfo') if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's bot, not an installed one
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.strip() == "[]"
