"""Threads: one engine shared by many, the GIL released while scanning."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from mailshield import Engine, KeySet, StateError

TEXTS = [
    f"msg {i}: mail user{i}@example.com, SSN 536-90-{1000 + i:04d}, "
    f"card 4111 1111 1111 1111 😀 call (415) 555-{i % 10000:04d}"
    + " filler" * (i % 17)
    for i in range(200)
]


def test_many_threads_share_one_engine(engine):
    want = [engine.scan(t) for t in TEXTS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            got = list(pool.map(engine.scan, TEXTS))
            assert got == want


def test_batches_and_protects_from_many_threads(engine):
    keys = KeySet.generate()
    want = engine.scan_batch(TEXTS)
    want_bodies = [engine.protect(t, keys=keys).body for t in TEXTS[:50]]

    def work(i):
        if i % 2:
            return engine.scan_batch(TEXTS)
        return [engine.protect(t, keys=keys).body for t in TEXTS[:50]]

    with ThreadPoolExecutor(max_workers=4) as pool:
        for i, got in enumerate(pool.map(work, range(8))):
            assert got == (want if i % 2 else want_bodies)


def test_streams_run_side_by_side(engine):
    def stream(text):
        with engine.stream() as s:
            data = text.encode()
            for i in range(0, len(data), 5):
                s.feed(data[i : i + 5])
            return s.finish().findings

    want = [engine.scan(t.encode()).findings for t in TEXTS]
    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(stream, TEXTS)) == want


def test_the_scan_releases_the_gil(engine):
    # While one thread is inside a long scan, another runs Python code.
    # If the call held the GIL, the other thread could run only once the
    # call returned: none of its time stamps would lie in the first half
    # of the scan. The text (19 MB of digit runs that are no PII) keeps
    # the library busy and the result small.
    big = b"order 123456 at 2024-01-02 12:30 ref 98765 x\n" * 400_000
    started, done = threading.Event(), threading.Event()
    window = []

    def scan():
        started.set()
        t0 = time.perf_counter()
        engine.scan(big)
        window.append((t0, time.perf_counter()))
        done.set()

    worker = threading.Thread(target=scan)
    worker.start()
    started.wait()
    stamps, i = [], 0
    while not done.is_set():
        i += 1
        if i % 256 == 0:
            stamps.append(time.perf_counter())
    worker.join()
    [(t0, t1)] = window
    assert t1 - t0 > 0.02, "the scan was too short to tell"
    inside = [t for t in stamps if t0 < t < (t0 + t1) / 2]
    assert len(inside) > 10, f"{len(inside)} stamps in {t1 - t0:.3f} s"


def test_closing_while_others_scan_is_safe():
    engine = Engine()
    go = threading.Event()
    outcomes = []

    def scan():
        go.wait()
        for t in TEXTS:
            try:
                engine.scan(t)
            except StateError as e:
                outcomes.append(e.message)
                return
        outcomes.append("finished")

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for t in threads:
        t.start()
    go.set()
    time.sleep(0.001)
    engine.close()
    for t in threads:
        t.join()
    assert set(outcomes) <= {"finished", "the engine is closed"}
    assert len(outcomes) == 4
    assert engine.closed
