"""Offsets in the unit of the input: code points for ``str``, bytes for
``bytes``, on text with emoji and other characters outside the BMP
(four bytes in UTF-8, two units in UTF-16, one code point in Python).
"""

from __future__ import annotations

import itertools

import pytest

from mailshield import Cipher

# Characters of each UTF-8 width, the widest outside the BMP: an emoji,
# a musical symbol, a CJK extension B ideograph, the last code point, an
# emoji with a skin tone modifier (two code points) and a flag (two
# regional indicators).
WIDE = ["a", "é", "€", "😀", "𝄞", "𠀀", "\U0010ffff", "👍🏽", "🇫🇷"]

VALUES = [
    ("EMAIL", "jane.doe@example.com", "***@example.com"),
    ("SSN", "536-90-1234", "***1234"),
    ("CREDIT_CARD", "4111 1111 1111 1111", "***1111"),
]


def cases():
    for before, after in itertools.product(WIDE, repeat=2):
        yield f"{before} mail {before}{before} ", f" {after} end{after}"


@pytest.mark.parametrize("before, after", list(cases()))
def test_str_offsets_slice_the_str(engine, before, after):
    text = before
    spans = []
    for type_, value, masked in VALUES:
        text += f"{type_.lower()} "
        spans.append((type_, len(text), len(text) + len(value), masked))
        text += value + " " + after

    r = engine.scan(text)
    got = sorted(r.findings, key=lambda f: f.start)
    assert [(f.type, f.start, f.end, f.masked) for f in got] == spans
    assert {f.field for f in got} == {"body"}
    for f, (_, value, _) in zip(got, VALUES):
        assert text[f.start : f.end] == value

    # The same text as bytes: byte offsets, which slice the bytes.
    data = text.encode()
    rb = engine.scan(data)
    got_b = sorted(rb.findings, key=lambda f: f.start)
    for fs, fb, (_, value, _) in zip(got, got_b, VALUES):
        assert data[fb.start : fb.end] == value.encode()
        assert fb.start == len(text[: fs.start].encode())
        assert fb.end == len(text[: fs.end].encode())


def test_offsets_after_many_astral_characters(engine):
    # Far from the start, the code point and byte counts differ by a lot.
    text = "😀" * 10_000 + " SSN 536-90-1234 " + "𠀀" * 3 + "a@example.org"
    r = engine.scan(text)
    assert [(f.type, f.start, f.end) for f in r.findings] == [
        ("SSN", 10_005, 10_016),
        ("EMAIL", 10_020, 10_033),
    ]
    rb = engine.scan(text.encode())
    assert [(f.start, f.end) for f in rb.findings] == [
        (40_005, 40_016),
        (40_029, 40_042),
    ]


def test_batch_keeps_each_items_unit(engine):
    text = "🙂🙂 SSN 536-90-1234"
    r_str, r_bytes = engine.scan_batch([text, text.encode()])
    assert (r_str.findings[0].start, r_str.findings[0].end) == (7, 18)
    assert (r_bytes.findings[0].start, r_bytes.findings[0].end) == (13, 24)


def test_stream_offsets_are_global_in_either_unit(engine):
    text = "𝄞" * 50 + " card 4111 1111 1111 1111 " + "😀" * 50 + " a@b.com"
    want_str = [(f.start, f.end) for f in engine.scan(text).findings]
    data = text.encode()
    want_bytes = [(f.start, f.end) for f in engine.scan(data).findings]
    assert want_str == [(56, 75), (127, 134)]
    assert want_bytes == [(206, 225), (427, 434)]

    # Pieces of three code points, and pieces of seven bytes, which cut
    # inside the four-byte characters.
    s = engine.stream()
    for i in range(0, len(text), 3):
        s.feed(text[i : i + 3])
    assert [(f.start, f.end) for f in s.finish().findings] == want_str
    s = engine.stream()
    for i in range(0, len(data), 7):
        s.feed(data[i : i + 7])
    assert [(f.start, f.end) for f in s.finish().findings] == want_bytes


def test_keyword_offsets_follow_the_unit(engine):
    text = "😀😀 the password is here"
    [k] = engine.scan(text).keywords
    assert (k.keyword, k.start, k.end) == ("password", 7, 15)
    assert text[k.start : k.end] == "password"
    [k] = engine.scan(text.encode()).keywords
    assert (k.start, k.end) == (13, 21)


def test_lone_surrogates_are_refused_in_str(engine):
    # UTF-8 cannot hold them, so no code point offsets would fit the str;
    # as bytes they are invalid UTF-8, passed through unchanged.
    text = "\ud83d SSN 536-90-1234 \udc00"
    for call in (engine.scan, engine.protect, engine.scan_batch):
        with pytest.raises(UnicodeEncodeError):
            call([text] if call == engine.scan_batch else text)
    data = text.encode("utf-8", "surrogatepass")
    assert [(f.start, f.end) for f in engine.scan(data).findings] == [
        (8, 19)
    ]
    p = engine.protect(data, cipher=Cipher.NONE)
    assert p.body.decode("utf-8", "surrogatepass") == (
        "\ud83d SSN [SSN_REDACTED] \udc00"
    )
