"""English word frequencies from a compact table: the figures wordfreq gives, by its rules."""

from __future__ import annotations

import gzip
from pathlib import Path

import msgpack
import pytest
import wordfreq

from bot.analysis.word_frequency import FrequencyTable, word_frequency, zipf_frequency

WORDS = [
    "the",
    "government",
    "export",
    "gallium",
    "lithography",
    "nexperia",
    "zzqxv",
    "H20",
    "h100s",
    "5g",
    "2024",
    "x86",
    "covid-19",
    "ai-related",
    "co-operation",
    "MOFCOM",
    "don't",
    "Über",
    "naïve",
    "",
    "-",
    "the-the-the-the-the-the-gallium-nexperia",
]


@pytest.mark.parametrize("word", WORDS)
def test_figures_are_wordfreqs(word: str) -> None:
    assert zipf_frequency(word) == wordfreq.zipf_frequency(word, "en")
    assert word_frequency(word) == wordfreq.word_frequency(word, "en")


def _cbpack(path: Path, buckets: list[list[str]]) -> str:
    with gzip.open(path, "wb") as out:
        out.write(msgpack.packb([{"format": "cB", "version": 1}, *buckets]))
    return str(path)


def test_a_table_gives_each_listed_word_its_bucket_and_none_for_others(tmp_path: Path) -> None:
    buckets: list[list[str]] = [[], ["the"], [], [f"w{i}" for i in range(60)] + ["état"]]
    # Sized for far fewer words than it holds: the table grows and keeps every word.
    table = FrequencyTable.read(_cbpack(tmp_path / "t.msgpack.gz", buckets), expected=4)
    assert len(table) == 62
    assert table.bucket("the") == 1
    assert [table.bucket(f"w{i}") for i in range(60)] == [3] * 60
    assert table.bucket("état") == 3
    assert table.bucket("th") is None
    assert table.bucket("w600") is None
    assert table.bucket("") is None
    assert zipf_frequency("the", table) == 9.0 - 0.01  # one centibel below a frequency of 1
    assert zipf_frequency("missing", table) == 0.0


def test_a_file_that_is_not_a_cbpack_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.msgpack.gz"
    with gzip.open(path, "wb") as out:
        out.write(msgpack.packb([{"format": "other"}, ["a"]]))
    with pytest.raises(ValueError, match="not a cBpack"):
        FrequencyTable.read(str(path))
