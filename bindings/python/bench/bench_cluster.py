#!/usr/bin/env python3
"""The Spark backfill (examples/spark_backfill.py) against the command
line on the same JSONL, and what the Python path costs per message.

For each round, interleaved: ``mailshield scan --threads N`` and the
Spark job on ``local[N]`` for each N given, then the Python path in this
process on the same records: the library's batch alone
(``Engine.scan_batch``, results not read), with each result's JSON line
(``Engine.scan_lines``), and as rows (``cluster.scan_rows``, what a
Spark task calls). The Spark job is timed from a warm session (started
and used once on a small slice before the clock starts), in three
phases: the line count per split, the scan written as Parquet, the
JSON Lines rewritten from the Parquet. Medians are printed as one
Markdown table.

Usage::

    MAILSHIELD_LIBRARY=target/release/libmailshield.so \\
    .venv/bin/python bindings/python/bench/bench_cluster.py \\
        /tmp/bench.jsonl --rounds 3 --threads 1,2
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "examples"))

import spark_backfill  # noqa: E402
from mailshield.cluster import ROW_DDL, EngineSpec, scan_rows  # noqa: E402
from pyspark import cloudpickle  # noqa: E402

# Spark's workers cannot import examples/: ship the job's code by value.
cloudpickle.register_pickle_by_value(spark_backfill)


def cli_seconds(binary: str, corpus: str, threads: int) -> float:
    """Wall time of ``mailshield scan`` to /dev/null."""
    start = time.perf_counter()
    subprocess.run(
        [binary, "scan", "--threads", str(threads), "--out", "/dev/null",
         corpus],
        check=True, stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def spark_phases(
    spark: SparkSession, corpus: str, out: str
) -> tuple[float, float, float]:
    """Seconds of the job's three phases on a warm session."""
    spec = EngineSpec()
    t0 = time.perf_counter()
    df, firsts = spark_backfill.read_jsonl(spark, [corpus])
    t1 = time.perf_counter()
    rows = df.mapInPandas(spark_backfill.scan_jsonl(spec, firsts), ROW_DDL)
    rows.write.mode("overwrite").parquet(f"{out}/parquet")
    t2 = time.perf_counter()
    done = spark.read.parquet(f"{out}/parquet")
    done.select("record").write.mode("overwrite").text(f"{out}/scan")
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


def spark_round(
    master: str, corpus: str, warm: str, out: str
) -> tuple[float, float, float]:
    """One timed run of the job on a fresh, warmed session."""
    spark = spark_backfill.session(master, "mailshield-bench")
    try:
        spark_phases(spark, warm, out)  # JVM, workers, imports
        return spark_phases(spark, corpus, out)
    finally:
        spark.stop()


def python_path(lines: list[bytes]) -> tuple[float, float, float]:
    """Seconds of the library's batch, its JSON lines, and rows."""
    spec = EngineSpec()
    engine = spec.engine()
    paths, indexes = ["x"] * len(lines), list(range(len(lines)))
    t0 = time.perf_counter()
    results = engine.scan_batch(lines, records=True)
    t1 = time.perf_counter()
    del results
    engine.scan_lines(lines, records=True)
    t2 = time.perf_counter()
    scan_rows(spec, "record", lines, paths, indexes)
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", help="a JSONL file (gen_corpus.py)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--bin", default=str(REPO / "target/release/mailshield"))
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    corpus = os.path.abspath(args.corpus)
    size = os.path.getsize(corpus)
    lines = [x for x in Path(corpus).read_bytes().split(b"\n") if x.strip()]
    n = len(lines)

    # A small slice to warm each session on.
    tmp = Path(tempfile.mkdtemp(prefix="ms-bench-cluster-"))
    warm = tmp / "warm.jsonl"
    warm.write_bytes(b"\n".join(lines[:2000]) + b"\n")

    times: dict[str, list[float]] = {}
    try:
        for r in range(args.rounds):
            for t in threads:
                cli = cli_seconds(args.bin, corpus, t)
                times.setdefault(f"cli {t}", []).append(cli)
                phases = spark_round(f"local[{t}]", corpus, str(warm),
                                     str(tmp / "out"))
                for name, s in zip(("count", "scan", "jsonl"), phases):
                    times.setdefault(f"spark {t} {name}", []).append(s)
                times.setdefault(f"spark {t}", []).append(sum(phases))
            for name, s in zip(("batch", "lines", "rows"),
                               python_path(lines)):
                times.setdefault(f"python {name}", []).append(s)
            print(f"round {r + 1} done", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{n} messages, {size / 1e6:.1f} MB; medians of {args.rounds}")
    print("| what | seconds | MB/s | us/message |")
    print("|---|---:|---:|---:|")
    for name, values in times.items():
        s = statistics.median(values)
        print(f"| {name} | {s:.2f} | {size / s / 1e6:.1f} "
              f"| {s / n * 1e6:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
