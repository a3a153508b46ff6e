#!/usr/bin/env python3
"""What ``Engine.scan_batch`` adds over the library's own batch call.

Usage::

    bench_batch.py BODIES.jsonl [--count 10000] [--rounds 7] [--pack default]

``BODIES.jsonl`` holds one message body per line, as a JSON string. When
the file does not exist it is made first: ``gen_corpus.py`` (from
``../shared/tools``, or ``--gen``) generates mail, and the bodies of 1 to
3 KiB are kept, ``--count`` of them (about 2 KB each).

Each round times, interleaved:

- ``bare``: ``mailshield_scan_batch`` and ``mailshield_batch_free``
  through ctypes on inputs prepared beforehand, with no Python object
  built: what the library costs;
- ``str``: ``Engine.scan_batch`` on the bodies as ``str``, everything
  the call does included (encoding, the input array, each result's
  classification; the rest of a result is read on first use);
- ``bytes``: the same on the bodies as ``bytes``;
- ``str_read``: ``str``, then every part of every result read (touching
  ``findings`` reads them all): what a caller that uses everything pays;
- ``bytes_read``: the same on the bodies as ``bytes``.

Before timing, the results are checked: the batch finds something, and
a sample equals one ``Engine.scan`` per message, so that a broken binding
cannot look fast. Prints one JSON line: medians in seconds, microseconds
per message, and the overhead of each Python run over ``bare``.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mailshield
from mailshield import _native

HERE = Path(__file__).resolve().parent
GEN = HERE.parents[2].parent / "shared" / "tools" / "gen_corpus.py"

MIN_BYTES, MAX_BYTES = 1024, 3072


def make_bodies(path: Path, count: int, gen: Path, seed: int) -> None:
    """Writes ``count`` generated bodies of 1 to 3 KiB to ``path``."""
    # About half the generated bodies fall in the window, and they
    # average 2.8 KB: ask for 7.5 KB per body kept.
    size_mb = max(1, round(count * 7500 / 2**20))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "gen.jsonl"
        subprocess.run(
            [sys.executable, str(gen), "--seed", str(seed),
             "--size-mb", str(size_mb), "--out", str(out)],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        kept = []
        with out.open(encoding="utf-8") as f:
            for line in f:
                body = json.loads(line)["body"]
                if MIN_BYTES <= len(body.encode()) <= MAX_BYTES:
                    kept.append(body)
                    if len(kept) == count:
                        break
    if len(kept) < count:
        sys.exit(f"bench_batch: only {len(kept)} bodies of 1-3 KiB")
    with path.open("w", encoding="utf-8") as f:
        for body in kept:
            f.write(json.dumps(body, ensure_ascii=False) + "\n")


def read_bodies(path: Path, count: int) -> list[str]:
    with path.open(encoding="utf-8") as f:
        bodies = [json.loads(line) for line in f]
    if len(bodies) < count:
        sys.exit(f"bench_batch: {path} has {len(bodies)} bodies, not {count}")
    return bodies[:count]


class Bare:
    """The library's batch call alone, on inputs prepared once."""

    def __init__(self, engine: mailshield.Engine, data: list[bytes]):
        self.lib = _native.library()
        self.engine = engine
        self.data = data  # keeps the buffers alive
        self.inputs = (_native.Bytes * len(data))()
        for item, d in zip(self.inputs, data):
            item.ptr = ctypes.cast(
                ctypes.c_char_p(d), ctypes.POINTER(ctypes.c_uint8)
            )
            item.len = len(d)

    def run(self) -> int:
        lib, out = self.lib, ctypes.c_void_p()
        ptr = self.engine._acquire()
        try:
            lib.check(
                lib.scan_batch(
                    ptr, self.inputs, len(self.data), _native.INPUT_TEXT,
                    ctypes.byref(out),
                )
            )
        finally:
            self.engine._release()
        count = ctypes.c_size_t()
        lib.check(lib.batch_len(out, ctypes.byref(count)))
        lib.batch_free(out)
        return count.value


def check(engine: mailshield.Engine, bodies: list[str], bare: Bare) -> int:
    """The number of findings, after checking the results are right."""
    results = engine.scan_batch(bodies)
    found = sum(len(r.findings) for r in results)
    if found == 0:
        sys.exit("bench_batch: the batch found nothing")
    step = max(1, len(bodies) // 100)
    for i in range(0, len(bodies), step):
        one = engine.scan(bodies[i])
        if results[i].findings != one.findings or (
            results[i].risk_factors != one.risk_factors
        ):
            sys.exit(f"bench_batch: message {i} differs from a single scan")
    if bare.run() != len(bodies):
        sys.exit("bench_batch: the bare batch lost messages")
    return found


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bodies", type=Path, help="JSONL, one body per line")
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--pack", default="default")
    ap.add_argument("--gen", type=Path, default=GEN)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()

    if not args.bodies.exists():
        make_bodies(args.bodies, args.count, args.gen, args.seed)
    bodies = read_bodies(args.bodies, args.count)
    data = [b.encode() for b in bodies]
    engine = mailshield.Engine(args.pack)
    bare = Bare(engine, data)
    found = check(engine, bodies, bare)

    def read_all(items):
        for r in engine.scan_batch(items):
            r.findings

    runs: dict[str, list[float]] = {
        "bare": [], "str": [], "bytes": [], "str_read": [], "bytes_read": [],
    }
    for _ in range(args.rounds):
        runs["bare"].append(timed(bare.run))
        runs["str"].append(timed(lambda: engine.scan_batch(bodies)))
        runs["bytes"].append(timed(lambda: engine.scan_batch(data)))
        runs["str_read"].append(timed(lambda: read_all(bodies)))
        runs["bytes_read"].append(timed(lambda: read_all(data)))

    n = len(bodies)
    med = {k: statistics.median(v) for k, v in runs.items()}
    per = {k: v / n * 1e6 for k, v in med.items()}
    report = {
        "bench": f"python/scan_batch/{args.pack}/gen-2k",
        "messages": n,
        "mean_bytes": round(sum(map(len, data)) / n),
        "findings": found,
        "rounds": args.rounds,
        "library": mailshield.library_path(),
        "binding": str(Path(mailshield.__file__).parent),
        "median_s": {k: round(v, 5) for k, v in med.items()},
        "us_per_message": {k: round(v, 3) for k, v in per.items()},
        "overhead_us_per_message": {
            k: round(per[k] - per["bare"], 3) for k in runs if k != "bare"
        },
        "runs_s": {k: [round(t, 5) for t in v] for k, v in runs.items()},
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
