#!/usr/bin/env python3
"""A mailshield backfill as a PySpark job: scan (and protect) a mail
archive on a cluster, with the same results as ``mailshield scan``.

Input is JSONL (one record per line, as ``mailshield scan`` reads a
``.jsonl`` file) or a folder of raw messages (every file under it, one
message each, as ``mailshield scan DIR`` reads a tree). The job reads it
into a DataFrame, scans it with ``mapInPandas``, one engine per Python
worker process and one library call per Arrow batch, and writes:

- ``OUT/parquet/``: one row per message (``mailshield.cluster.ROW_DDL``):
  id, source, level, findings, keywords, counts...;
- ``OUT/scan/``: the same as JSON Lines, one SPEC 6.1 record per line,
  what ``mailshield scan`` prints for the message (``part-*.txt``);
- ``OUT/protected/``: with ``--cipher``, the storage record of
  ``mailshield protect`` per message (bodies sealed; keys from
  ``--key-file``, a path every executor can read, else each executor's
  ``MAILSHIELD_KEY``).

Run, with the package installed and the library built::

    export MAILSHIELD_LIBRARY=$PWD/target/release/libmailshield.so
    .venv/bin/python examples/spark_backfill.py --master 'local[2]' \\
        --out /tmp/backfill mail.jsonl
    .venv/bin/python examples/spark_backfill.py --format eml \\
        --cipher aes-256-gcm --key-file keys.json --out /tmp/b2 maildir/

On a real cluster give ``--master`` (or use ``spark-submit``), install
the ``mailshield`` package and the library on every executor, and set
``MAILSHIELD_LIBRARY`` there (``spark.executorEnv.MAILSHIELD_LIBRARY``).
Local masters bind to 127.0.0.1 and start no web UI. A program that
imports this file instead of running it ships it to the executors
(``--py-files``, or ``pyspark.cloudpickle.register_pickle_by_value``).

How source indexes are found without a pass in Python: a first, cheap
job counts the lines of each file split (Spark's ``_metadata``
column); a split's first line number is the sum of the counts before it
in its file, and the scan numbers its lines from there.

Limits, plainly:
- Spark skips files whose names start with ``.`` or ``_``; the command
  line reads them. Every file of a folder is one message: an ``*.mbox``
  inside it is not split into messages as the command line splits it.
- Lines end at ``\\n`` only (a ``\\r`` before it is dropped, as the
  command line drops it).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from mailshield.cluster import (
    CIPHERS,
    ROW_COLUMNS,
    ROW_DDL,
    EngineSpec,
    scan_rows,
)

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

# A ``mapInPandas`` function: pandas frames in, frames of rows out.
PandasMap = Callable[[Iterator["pd.DataFrame"]], Iterator["pd.DataFrame"]]


def local_path(uri: str) -> str:
    """A Spark file URI (``file:///tmp/a%20b.eml``) as a plain path."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return unquote(parsed.path)
    return uri


def session(
    master: str, app: str = "mailshield-backfill"
) -> SparkSession:
    """A Spark session on ``master``; local ones on loopback only."""
    from pyspark.sql import SparkSession

    # The JVM inherits the environment. For a local master only: run
    # workers on this interpreter and bind to loopback before it starts
    # (a cluster's executors have their own Python and must reach the
    # driver).
    builder = SparkSession.builder.master(master).appName(app)
    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = (
            builder.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
    return builder.getOrCreate()


def read_jsonl(
    spark: SparkSession, paths: list[str]
) -> tuple[DataFrame, dict[tuple[str, int], int]]:
    """JSONL lines as ``path, index, data`` rows (``data`` the line's
    bytes, blank lines dropped but counted)."""
    from pyspark.sql import functions as F

    df = (
        spark.read.option("lineSep", "\n")
        .text(paths)
        .select(
            F.col("_metadata.file_path").alias("uri"),
            F.col("_metadata.file_block_start").alias("block"),
            F.col("value").cast("binary").alias("data"),
        )
    )
    # Each split's first line number, from a count per split.
    counts = df.groupBy("uri", "block").count().collect()
    # PERF: one sort, not a pass over every split per file.
    firsts: dict[tuple[str, int], int] = {}
    line, uri = 0, None
    for r in sorted(counts, key=lambda r: (r["uri"], r["block"])):
        if r["uri"] != uri:
            line, uri = 0, r["uri"]
        firsts[(uri, r["block"])] = line
        line += r["count"]
    return df, firsts


def read_eml(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Every file under ``paths`` as one raw message (``index`` 0)."""
    from pyspark.sql import functions as F

    return (
        spark.read.format("binaryFile")
        .option("recursiveFileLookup", "true")
        .load(paths)
        .select(F.col("path").alias("uri"), F.col("content").alias("data"))
    )


def scan_jsonl(
    spec: EngineSpec, firsts: dict[tuple[str, int], int]
) -> PandasMap:
    """The ``mapInPandas`` function over JSONL rows."""

    def run(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        import pandas as pd

        # Lines of a split come in order, within one task.
        seen: dict[tuple[str, int], int] = {}
        for frame in frames:
            data, paths, indexes = [], [], []
            for uri, block, line in zip(
                frame["uri"], frame["block"], frame["data"]
            ):
                key = (uri, block)
                n = seen.get(key, 0)
                seen[key] = n + 1
                if line.endswith(b"\r"):
                    line = line[:-1]
                if not line.strip():
                    continue  # blank: counted, not a record
                data.append(line)
                paths.append(local_path(uri))
                indexes.append(firsts[key] + n)
            yield pd.DataFrame(
                scan_rows(spec, "record", data, paths, indexes),
                columns=ROW_COLUMNS,
            )

    return run


def scan_eml(spec: EngineSpec) -> PandasMap:
    """The ``mapInPandas`` function over raw messages."""

    def run(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        import pandas as pd

        for frame in frames:
            paths = [local_path(u) for u in frame["uri"]]
            rows = scan_rows(
                spec, "message", list(frame["data"]), paths, [0] * len(paths)
            )
            yield pd.DataFrame(rows, columns=ROW_COLUMNS)

    return run


def backfill(spark: SparkSession, spec: EngineSpec, fmt: str,
             inputs: list[str], out: str) -> int:
    """Scans ``inputs`` (``jsonl`` or ``eml``) into ``out``; returns the
    number of messages.

    Raises:
        ``ValueError`` for an unknown format; Spark's errors as they come.
    """
    # Read and scan: a narrow plan, one Python worker per task.
    if fmt == "jsonl":
        df, firsts = read_jsonl(spark, inputs)
        rows = df.mapInPandas(scan_jsonl(spec, firsts), ROW_DDL)
    elif fmt == "eml":
        rows = read_eml(spark, inputs).mapInPandas(scan_eml(spec), ROW_DDL)
    else:
        raise ValueError(f"unknown format {fmt!r} (jsonl or eml)")

    # Parquet once; the JSON Lines are read back from it, not rescanned.
    rows.write.mode("overwrite").parquet(f"{out}/parquet")
    done = spark.read.parquet(f"{out}/parquet")
    done.select("record").write.mode("overwrite").text(f"{out}/scan")
    if spec.cipher is not None:
        done.select("protected").write.mode("overwrite").text(
            f"{out}/protected"
        )
    return done.count()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", help="JSONL files, or folders")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--format", choices=("jsonl", "eml"), default="jsonl")
    ap.add_argument("--master", default="local[*]")
    ap.add_argument("--pack", default="default",
                    help="default, seed, or a TOML file")
    ap.add_argument("--cipher", choices=sorted(CIPHERS),
                    help="also write protected records")
    ap.add_argument("--key-file", help="a key set every executor reads")
    args = ap.parse_args(argv)

    # The spec: what every executor builds its engine from.
    spec = EngineSpec.from_options(args.pack, args.cipher, args.key_file)
    inputs = [os.path.abspath(p) for p in args.inputs]

    spark = session(args.master)
    try:
        n = backfill(spark, spec, args.format, inputs, args.out)
    finally:
        spark.stop()
    print(f"spark_backfill: {n} messages -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
