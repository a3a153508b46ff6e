"""The parity table: the same findings as Rust, C and C#, in Python units.

``tests/data/parity/expected.tsv`` lists every finding of each parity
input under the ``default`` pack, with byte, code point and UTF-16
offsets, as the Rust engine finds them. Here the ``.txt`` inputs are
scanned as ``str`` (code point offsets) and as ``bytes`` (byte offsets),
and ``message.eml`` as a raw message (byte offsets into each decoded
field); every row must match exactly, and there must be no other
finding.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pytest

from conftest import PARITY


@dataclass(frozen=True)
class Row:
    field: str
    type: str
    start: int
    end: int
    start_char: int
    end_char: int
    masked: str
    classification: str


def table() -> dict[str, list[Row]]:
    rows: dict[str, list[Row]] = {}
    with open(PARITY / "expected.tsv", encoding="utf-8", newline="") as f:
        for cols in csv.reader(f, delimiter="\t"):
            if not cols or cols[0].startswith("#"):
                continue
            name, field, type_, s, e, sc, ec, _su, _eu, masked, level = cols
            rows.setdefault(name, []).append(
                Row(field, type_, int(s), int(e), int(sc), int(ec), masked,
                    level)
            )
    return rows


TABLE = table()


def test_the_table_covers_the_three_inputs():
    assert sorted(TABLE) == ["emoji.txt", "message.eml", "plain.txt"]
    assert [len(TABLE[k]) for k in sorted(TABLE)] == [3, 5, 4]


@pytest.mark.parametrize("name", ["plain.txt", "emoji.txt"])
def test_text_as_str_gives_code_point_offsets(engine, name):
    text = (PARITY / name).read_bytes().decode("utf-8")
    rows = TABLE[name]
    result = engine.scan(text)
    got = [
        (f.field, f.type, f.start, f.end, f.masked) for f in result.findings
    ]
    want = [(r.field, r.type, r.start_char, r.end_char, r.masked)
            for r in rows]
    assert got == want
    assert {r.classification for r in rows} == {result.classification}
    # Code points are what a `str` slices by.
    for f, r in zip(result.findings, rows):
        assert len(text[: f.start].encode()) == r.start
        assert len(text[: f.end].encode()) == r.end


@pytest.mark.parametrize("name", ["plain.txt", "emoji.txt"])
def test_text_as_bytes_gives_byte_offsets(engine, name):
    data = (PARITY / name).read_bytes()
    rows = TABLE[name]
    result = engine.scan(data)
    got = [
        (f.field, f.type, f.start, f.end, f.masked) for f in result.findings
    ]
    want = [(r.field, r.type, r.start, r.end, r.masked) for r in rows]
    assert got == want
    assert {r.classification for r in rows} == {result.classification}
    assert result.field("body").text is data


def test_message_gives_byte_offsets_into_decoded_fields(engine):
    raw = (PARITY / "message.eml").read_bytes()
    rows = TABLE["message.eml"]
    result = engine.scan_message(raw)
    got = [
        (f.field, f.type, f.start, f.end, f.masked) for f in result.findings
    ]
    want = [(r.field, r.type, r.start, r.end, r.masked) for r in rows]
    assert got == want
    assert {r.classification for r in rows} == {result.classification}
    assert result.id == "parity-1@example.com"
    # The code point column, from the decoded field text.
    for f, r in zip(result.findings, rows):
        text = result.field(f.field).text
        assert len(text[: f.start].decode()) == r.start_char
        assert len(text[: f.end].decode()) == r.end_char


def test_batch_gives_the_same_rows(engine):
    names = ["plain.txt", "emoji.txt"]
    texts = [(PARITY / n).read_bytes().decode() for n in names]
    results = engine.scan_batch(texts + [t.encode() for t in texts])
    for i, name in enumerate(names * 2):
        chars = i < len(names)
        want = [
            (r.type, r.start_char if chars else r.start,
             r.end_char if chars else r.end, r.masked)
            for r in TABLE[name]
        ]
        got = [(f.type, f.start, f.end, f.masked)
               for f in results[i].findings]
        assert got == want, name
    raw = (PARITY / "message.eml").read_bytes()
    [message] = engine.scan_batch([raw], messages=True)
    assert [(f.field, f.start) for f in message.findings] == [
        (r.field, r.start) for r in TABLE["message.eml"]
    ]
