"""English word frequencies from wordfreq's data, kept compact: `zipf_frequency(word)`.

`wordfreq.zipf_frequency(word, "en")` first builds a dictionary of its whole English list
(321,000 words, about 33 MB) that stays in every process that clusters, the bot's included.
This module answers the same question by the same rules (wordfreq's tokenizer, its digit
smashing and its combination of several tokens, the same rounding) from the same data file,
kept as one byte string of the words and a table of their offsets (about 6 MB). The file is
read as a stream, one word at a time, so no object per word is ever held.
"""

from __future__ import annotations

import gzip
import math
import zlib
from array import array
from functools import lru_cache

import msgpack
from wordfreq import DATA_PATH, cB_to_freq, freq_to_zipf, zipf_to_freq
from wordfreq.numbers import digit_freq, smash_numbers
from wordfreq.tokens import lossy_tokenize

LANGUAGE = "en"
# The list wordfreq's "best" wordlist is for English.
DATA_FILE = DATA_PATH / "large_en.msgpack.gz"


class FrequencyTable:
    """Each word's frequency bucket (its -centibels in the cBpack file), by open addressing.

    `words` holds every word's UTF-8 bytes, each followed by a newline; `slots` holds, at a
    word's hash (CRC-32), 1 + the index of the word (0: empty), probed linearly, at most half
    full; `starts` and `buckets` give each word's offset in `words` and its bucket.
    """

    def __init__(self, expected: int = 1024) -> None:
        self.words = bytearray()
        self.starts = array("I")
        self.buckets = array("H")
        self.slots = array("I", bytes(4 * (1 << (2 * expected - 1).bit_length())))

    @classmethod
    def read(cls, path: str, expected: int = 400_000) -> FrequencyTable:
        """The table of a cBpack file (see `wordfreq.read_cBpack`), read as a stream."""
        table = cls(expected)
        with gzip.open(path, "rb") as stream:
            unpacker = msgpack.Unpacker(stream, raw=False)
            lists = unpacker.read_array_header()
            header = unpacker.unpack()
            if not isinstance(header, dict) or header.get("format") != "cB":
                raise ValueError(f"not a cBpack file: {path}")
            for bucket in range(lists - 1):
                for _ in range(unpacker.read_array_header()):
                    table.add(unpacker.unpack(), bucket)
        return table

    def add(self, word: str, bucket: int) -> None:
        if 2 * (len(self.starts) + 1) > len(self.slots):
            self._grow()
        key = word.encode("utf-8")
        self.starts.append(len(self.words))
        self.buckets.append(bucket)
        self.words += key
        self.words.append(10)  # b"\n"
        self._place(key, len(self.starts))

    def _place(self, key: bytes, entry: int) -> None:
        mask = len(self.slots) - 1
        slot = zlib.crc32(key) & mask
        while self.slots[slot]:
            slot = (slot + 1) & mask
        self.slots[slot] = entry

    def _grow(self) -> None:
        self.slots = array("I", bytes(8 * len(self.slots)))
        for index, start in enumerate(self.starts):
            self._place(bytes(self.words[start : self.words.index(10, start)]), index + 1)

    def bucket(self, word: str) -> int | None:
        """The word's bucket (its frequency is `cB_to_freq(-bucket)`), None if not listed."""
        key = word.encode("utf-8")
        words, mask = self.words, len(self.slots) - 1
        slot = zlib.crc32(key) & mask
        while entry := self.slots[slot]:
            start = self.starts[entry - 1]
            end = start + len(key)
            if words[end : end + 1] == b"\n" and words[start:end] == key:
                return self.buckets[entry - 1]
            slot = (slot + 1) & mask
        return None

    def __len__(self) -> int:
        return len(self.starts)


@lru_cache(maxsize=1)
def table() -> FrequencyTable:
    return FrequencyTable.read(str(DATA_FILE))


def word_frequency(
    word: str, minimum: float = 0.0, frequencies: FrequencyTable | None = None
) -> float:
    """`wordfreq.word_frequency(word, "en", minimum=minimum)`, by its rules, from
    `frequencies` (the English table)."""
    frequencies = frequencies or table()
    tokens = lossy_tokenize(word, LANGUAGE)
    if not tokens:
        return minimum
    # Several tokens combine as 1 / f = 1 / f1 + 1 / f2 + ...
    one_over_result = 0.0
    for token in tokens:
        smashed = smash_numbers(token)
        bucket = frequencies.bucket(smashed)
        if bucket is None:
            return minimum
        freq = cB_to_freq(-bucket)
        if smashed != token:
            freq *= digit_freq(token)  # digits are listed as 0s: this sequence's share
        one_over_result += 1.0 / freq
    unrounded = max(1.0 / one_over_result, minimum)
    if unrounded == 0.0:
        return 0.0
    leading_zeroes = math.floor(-math.log(unrounded, 10))
    return round(unrounded, leading_zeroes + 3)  # three significant digits


def zipf_frequency(word: str, frequencies: FrequencyTable | None = None) -> float:
    """`wordfreq.zipf_frequency(word, "en")`: 0 for a word English never uses, about 7 for
    "the"; 3 is once per million words."""
    freq = word_frequency(word, zipf_to_freq(0.0), frequencies)
    return round(freq_to_zipf(freq), 2)
