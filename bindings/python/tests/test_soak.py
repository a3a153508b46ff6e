"""Leak and soak: a million calls, and the process does not grow
(HOSTILE-INPUTS case 66).

A round makes about 100,000 calls of the binding, each of which makes
the library allocate something the binding must free: ``scan``,
``scan_message``, ``protect`` (sealed with a key), streams (``stream``,
``feed``, ``finish``) and batches, whose results are each read whole.
One round warms the process up (the allocators' pools, the readers,
the rayon pool); the resident set size is measured after it and after
ten more rounds, and may not grow by ``BOUND``. A result the binding
never freed costs the library at least a few hundred bytes, so a leak of
one result per call grows the process by hundreds of MiB here.

The second test counts the frees: every native result is given back
to the library's own free function once, never to ``libc.free``.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path

import pytest

import mailshield
from mailshield import Engine, KeySet, _native

ROUNDS = 10
BOUND = 10 * 2**20  # bytes, the case's

TEXTS = [
    f"note {i}: mail user{i}@example.com, SSN 536-90-{1000 + i:04d}, "
    f"card 4111 1111 1111 1111, call (415) 555-{i:04d}" + " x" * i
    for i in range(16)
]
COUNTS = {"EMAIL": 1, "SSN": 1, "CREDIT_CARD": 1, "PHONE": 1}
MESSAGE = (
    b"From: Ana <ana@example.com>\r\nTo: bo@example.org\r\n"
    b"Subject: card 4111 1111 1111 1111\r\nMessage-ID: <m1@example.com>\r\n"
    b"\r\nSSN 536-90-1234, call (415) 555-0134\r\n"
)
# Its findings' types, by field: from, to, subject, body, body.
MESSAGE_TYPES = ["EMAIL", "EMAIL", "CREDIT_CARD", "SSN", "PHONE"]
BATCH = 1000


def rss() -> int:
    """The resident set size of this process, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def one_round(engine: Engine, keys: KeySet) -> int:
    """About 100,000 calls; gives their number. Checks every result's
    counts (cheap) and, once, a full result against a plain scan."""
    calls = 0
    n = len(TEXTS)
    for i in range(40_000):
        assert engine.scan(TEXTS[i % n]).counts() == COUNTS
    calls += 40_000
    for _ in range(10_000):
        found = engine.scan_message(MESSAGE).findings
        assert [f.type for f in found] == MESSAGE_TYPES
    calls += 10_000
    for i in range(10_000):
        done = engine.protect(TEXTS[i % n], keys=keys)
        assert done.sealed.startswith("ms1:")
    calls += 10_000
    for i in range(2_500):
        with engine.stream() as s:
            s.feed(TEXTS[i % n][:20])
            s.feed(TEXTS[i % n][20:])
            assert s.finish().counts() == COUNTS
    calls += 2_500 * 4
    for _ in range(30):
        results = engine.scan_batch([TEXTS[i % n] for i in range(BATCH)])
        calls += 1
        for r in results:
            assert r.counts() == COUNTS  # reads the whole result
        calls += BATCH
        assert results[3] == engine.scan(TEXTS[3]).replace(id="-#3")
    return calls


@pytest.fixture()
def keys():
    with KeySet.generate() as made:
        yield made


def test_a_million_calls_do_not_grow_the_process(engine, keys):
    t0 = time.perf_counter()
    warm = one_round(engine, keys)
    gc.collect()
    before = rss()
    calls = sum(one_round(engine, keys) for _ in range(ROUNDS))
    gc.collect()
    after = rss()
    took = time.perf_counter() - t0
    assert calls == 1_000_300
    assert warm == calls // ROUNDS
    assert after - before < BOUND, (
        f"{calls} calls in {took:.1f} s grew the resident set from "
        f"{before / 2**20:.1f} MiB to {after / 2**20:.1f} MiB"
    )


def test_every_native_result_goes_back_to_the_library(monkeypatch, keys):
    # Each call that makes a native result, and each free, counted at
    # the library's functions as the binding holds them.
    lib = _native.library()
    made = {"result": 0, "batch": 0, "pending": 0}
    freed = {"result": 0, "batch": 0, "pending": 0}

    def counting(name, what, tally):
        real = getattr(lib, name)

        def call(*args):
            tally[what] += 1
            return real(*args)

        monkeypatch.setattr(lib, name, call)

    for name in ("scan", "protect", "stream_finish"):
        counting(name, "result", made)
    counting("scan_batch_start", "pending", made)
    counting("pending_wait", "batch", made)
    counting("result_free", "result", freed)
    counting("batch_free", "batch", freed)
    counting("pending_free", "pending", freed)

    engine = Engine("default")
    for i in range(100):
        engine.scan(TEXTS[i % len(TEXTS)])
        engine.scan_message(MESSAGE)
        engine.protect(TEXTS[0], keys=keys)
        with engine.stream() as s:
            s.feed(TEXTS[1])
            s.finish()
    read = engine.scan_batch(TEXTS)
    assert [r.counts() for r in read] == [COUNTS] * len(TEXTS)
    unread = engine.scan_batch(TEXTS)
    lines = engine.scan_lines(TEXTS)
    assert len(lines) == len(TEXTS)
    # A batch long enough to be scanned in two parts.
    parts = engine.scan_batch(TEXTS * (65 // len(TEXTS) + 1))
    del read, unread, parts
    gc.collect()
    engine.close()
    assert made == {"result": 400, "batch": 5, "pending": 5}
    assert freed == made
    # No libc in the binding: nothing is freed but by the library.
    for source in Path(mailshield.__file__).parent.glob("*.py"):
        text = source.read_text()
        assert "libc" not in text and 'find_library("c")' not in text
