"""fork: an engine used in a child process (HOSTILE-INPUTS case 68).

The dangerous case is a child forked after the parent ran a batch on the
library's thread pool: the child has the pool's state but none of its
threads, so a batch there would wait forever. The binding refuses it
with ``StateError`` (``mailshield._pool``); everything else works in the
child. Each child has ``DEADLINE`` seconds; one that runs past it is
killed and the test fails as hung.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import Any

import pytest

import mailshield
from mailshield import Cipher, Engine, ScanResult, StateError

# Python 3.12 and later warn on fork in a process with threads (the
# library's pool); the warning is what these tests are about.
pytestmark = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded:DeprecationWarning"
)

DEADLINE = 10.0
TEXT = "mail ana@example.com, SSN 536-90-1234, card 4111 1111 1111 1111"
COUNTS = {"EMAIL": 1, "SSN": 1, "CREDIT_CARD": 1}
TEXTS = [f"{TEXT} #{i}" for i in range(64)]


def in_child(work: Callable[[], Any]) -> Any:
    """Runs ``work`` in a child made by ``os.fork`` and gives its value
    (or raises its exception) in the parent; fails after ``DEADLINE``
    seconds, the child killed."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        os.close(read)
        try:
            try:
                out = (True, work())
            except BaseException as e:
                out = (False, e)
            with os.fdopen(write, "wb") as f:
                pickle.dump(out, f)
        finally:
            os._exit(0)
    os.close(write)
    # Read to the end (the child closes the pipe as it exits) within the
    # deadline; a child that hangs is killed.
    end = time.monotonic() + DEADLINE
    chunks = []
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([read], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pytest.fail(f"the child hung for {DEADLINE} s")
            chunk = os.read(read, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    data = b"".join(chunks)
    ok, value = pickle.loads(data)
    if not ok:
        raise value
    return value


def single_calls(engine: Engine) -> tuple[ScanResult, ScanResult, str, dict]:
    """What the calls without a pool give: a scan, a new engine's scan,
    a protected body, a stream's counts."""
    with Engine("default") as fresh:
        again = fresh.scan(TEXT)
    with engine.stream() as s:
        for piece in (TEXT[:9], TEXT[9:30], TEXT[30:]):
            s.feed(piece)
        streamed = s.finish().counts()
    body = engine.protect(TEXT, cipher=Cipher.NONE).body
    return engine.scan(TEXT), again, body, streamed


def test_a_child_forked_before_any_batch_can_do_everything():
    # A new interpreter (spawned), so that no batch of another test has
    # run in the parent of the fork.
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(_fresh_parent_then_fork).get(3 * DEADLINE)
    assert got == (COUNTS, True, True, [COUNTS] * len(TEXTS))


def _fresh_parent_then_fork() -> tuple:
    engine = Engine("default")
    want = engine.scan(TEXT)
    scan, again, body, streamed = in_child(lambda: single_calls(engine))
    batch = in_child(lambda: [r.counts() for r in engine.scan_batch(TEXTS)])
    return scan.counts(), scan == want, again == want, batch


def test_after_a_batch_single_calls_work_in_the_child(engine):
    want = engine.scan(TEXT)
    assert [r.counts() for r in engine.scan_batch(TEXTS)] == (
        [COUNTS] * len(TEXTS)
    )
    scan, again, body, streamed = in_child(lambda: single_calls(engine))
    assert scan.counts() == COUNTS
    assert scan == want
    assert again == want
    assert body == engine.protect(TEXT, cipher=Cipher.NONE).body
    assert "ana@example.com" not in body
    assert streamed == COUNTS


def test_after_a_batch_a_batch_in_the_child_is_refused(engine):
    engine.scan_batch(TEXTS)

    def batch() -> None:
        engine.scan_batch(TEXTS)

    def lines() -> None:
        Engine("default").scan_lines(TEXTS)

    for work in (batch, lines):
        with pytest.raises(StateError) as info:
            in_child(work)
        assert info.value.message == (
            f"the library's thread pool was started in process "
            f"{os.getpid()} before this process was forked from it, and "
            f"its threads do not exist here: a batch cannot run in this "
            f"process; scan one message at a time, or start workers with "
            f"the 'spawn' or 'forkserver' method"
        )
    # The parent's pool is untouched.
    assert engine.scan_batch(TEXTS)[-1].counts() == COUNTS


def test_a_batch_inherited_from_the_parent_is_read_and_dropped(engine):
    # Freeing a batch runs on the pool: the child must not try.
    results = engine.scan_batch(TEXTS)

    def read_then_drop() -> list[dict]:
        nonlocal results
        counts = [r.counts() for r in results]
        del results
        return counts

    assert in_child(read_then_drop) == [COUNTS] * len(TEXTS)
    assert [r.counts() for r in results] == [COUNTS] * len(TEXTS)


def _scan_counts(text: str) -> dict:
    return _ENGINE.scan(text).counts()


def _batch_in_worker(_: int) -> list:
    return _ENGINE.scan_batch(TEXTS)


_ENGINE: Engine | None = None


def test_a_multiprocessing_fork_pool_after_a_batch(engine):
    global _ENGINE
    _ENGINE = engine
    engine.scan_batch(TEXTS)
    ctx = multiprocessing.get_context("fork")
    try:
        with ctx.Pool(2) as pool:
            got = pool.map_async(_scan_counts, TEXTS).get(DEADLINE)
            assert got == [COUNTS] * len(TEXTS)
            refused = pool.apply_async(_batch_in_worker, (0,))
            with pytest.raises(StateError):
                refused.get(DEADLINE)
    finally:
        _ENGINE = None
    assert mailshield.Engine("default").scan(TEXT).counts() == COUNTS
