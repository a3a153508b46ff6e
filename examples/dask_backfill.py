#!/usr/bin/env python3
"""A mailshield backfill as a Dask job: the Spark example's work
(``examples/spark_backfill.py``) as a Dask bag on a ``LocalCluster`` of
worker processes, with the same results as ``mailshield scan``.

Input is JSONL (one record per line) or a folder of raw messages (every
file under it, one message each). JSONL is read in blocks that end at a
newline; each block is scanned by one task, in one library call, on an
engine its worker process builds once from a ``mailshield.cluster``
``EngineSpec``. Each partition writes its own files (the parts of an
earlier run into the same ``OUT`` are removed first):

- ``OUT/parquet/part-NNNNN.parquet``: one row per message
  (``mailshield.cluster.ROW_DDL``);
- ``OUT/scan/part-NNNNN.jsonl``: the SPEC 6.1 record of each message,
  what ``mailshield scan`` prints;
- ``OUT/protected/part-NNNNN.jsonl``: with ``--cipher``, the storage
  record of ``mailshield protect`` (keys from ``--key-file``, else each
  worker's ``MAILSHIELD_KEY``).

Run, with the package installed and the library built::

    export MAILSHIELD_LIBRARY=$PWD/target/release/libmailshield.so
    .venv/bin/python examples/dask_backfill.py --workers 2 \\
        --out /tmp/backfill mail.jsonl

The cluster listens on 127.0.0.1 only and has no dashboard. On a real
cluster, give ``--scheduler ADDRESS``, install the package and library on
every worker, and make this file importable there
(``client.upload_file``). Inputs and ``OUT`` must be paths every worker
can read and write.

A JSONL block's first line number is the sum of the line counts of the
blocks before it in its file: each block's count is a small task of its
own, and the scan of a block depends on the counts before it, so the
file is read once.

Limits, plainly: every file of a folder is one message (an ``*.mbox``
inside it is not split); lines end at ``\\n`` (a ``\\r`` before it is
dropped, as the command line drops it).
"""

from __future__ import annotations

import argparse
import glob
import operator
import os
import sys
from typing import TYPE_CHECKING, Any

from mailshield.cluster import CIPHERS, EngineSpec, scan_rows

if TYPE_CHECKING:
    import dask.bag as db
    import pyarrow as pa
    from distributed import Client, LocalCluster

# Raw messages per partition of a folder.
FILES_PER_PART = 64


def count_lines(block: bytes) -> int:
    """The lines of a block, the last one counted without a newline."""
    n = block.count(b"\n")
    return n + 1 if block and not block.endswith(b"\n") else n


def scan_block(
    spec: EngineSpec, block: bytes, path: str, first: int
) -> list[dict[str, Any]]:
    """The rows of a JSONL block whose first line is line ``first``."""
    data, indexes = [], []
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    for i, line in enumerate(lines):
        if line.endswith(b"\r"):
            line = line[:-1]
        if line.strip():  # blank lines are counted, not scanned
            data.append(line)
            indexes.append(first + i)
    return scan_rows(spec, "record", data, [path] * len(data), indexes)


def scan_files(spec: EngineSpec, paths: list[str]) -> list[dict[str, Any]]:
    """The rows of raw message files."""
    data = []
    for path in paths:
        with open(path, "rb") as f:
            data.append(f.read())
    return scan_rows(spec, "message", data, paths, [0] * len(paths))


def arrow_schema() -> pa.Schema:
    """The Arrow schema of a row (``ROW_DDL``)."""
    import pyarrow as pa

    strings = pa.list_(pa.string())
    finding = pa.struct([
        ("type", pa.string()), ("field", pa.string()),
        ("start", pa.int64()), ("end", pa.int64()),
        ("score", pa.float64()), ("validated", pa.bool_()),
        ("masked", pa.string()),
    ])
    keyword = pa.struct([
        ("keyword", pa.string()), ("field", pa.string()),
        ("start", pa.int64()), ("end", pa.int64()),
        ("in_footer", pa.bool_()),
    ])
    return pa.schema([
        ("id", pa.string()), ("path", pa.string()), ("index", pa.int64()),
        ("classification", pa.string()), ("confidence", pa.float64()),
        ("complete", pa.bool_()), ("findings", pa.list_(finding)),
        ("keywords", pa.list_(keyword)),
        ("counts", pa.map_(pa.string(), pa.int64())),
        ("risk_factors", strings), ("recommended_actions", strings),
        ("warnings", strings), ("errors", strings),
        ("record", pa.string()), ("protected", pa.string()),
    ])


def write_part(rows: list[dict[str, Any]], out: str, k: int) -> int:
    """Writes one partition's Parquet and JSON Lines; its row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    # Parquet: Arrow takes a map as (key, value) pairs.
    name = f"part-{k:05d}"
    table = pa.Table.from_pylist(
        [dict(r, counts=list(r["counts"].items())) for r in rows],
        schema=arrow_schema(),
    )
    pq.write_table(table, f"{out}/parquet/{name}.parquet")

    # JSON Lines: the records as the row holds them.
    with open(f"{out}/scan/{name}.jsonl", "w", encoding="utf-8") as f:
        f.writelines(r["record"] + "\n" for r in rows)
    if rows and rows[0]["protected"] is not None:
        with open(f"{out}/protected/{name}.jsonl", "w",
                  encoding="utf-8") as f:
            f.writelines(r["protected"] + "\n" for r in rows)
    return len(rows)


def jsonl_bag(
    spec: EngineSpec, inputs: list[str], blocksize: str
) -> db.Bag:
    """A bag of the rows of JSONL files, one partition per block."""
    import dask.bag as db
    from dask import delayed
    from dask.bytes import read_bytes

    _, blocks, paths = read_bytes(
        inputs, delimiter=b"\n", blocksize=blocksize, sample=False,
        include_path=True,
    )
    # PERF: each block's first line number adds its predecessor's count
    # to the one before (a chain), not all the counts before it again.
    parts = []
    for path, file_blocks in zip(paths, blocks):
        first: Any = 0
        for block in file_blocks:
            parts.append(delayed(scan_block)(spec, block, path, first))
            first = delayed(operator.add)(first, delayed(count_lines)(block))
    return db.from_delayed(parts)


def eml_bag(spec: EngineSpec, inputs: list[str]) -> db.Bag:
    """A bag of the rows of every file under ``inputs``, in the command
    line's order (sorted paths)."""
    import dask.bag as db

    files = []
    for top in inputs:
        if os.path.isfile(top):
            files.append(top)
            continue
        for root, dirs, names in os.walk(top):
            dirs.sort()
            files.extend(os.path.join(root, n) for n in sorted(names))
    bag = db.from_sequence(files, partition_size=FILES_PER_PART)
    return bag.map_partitions(lambda ps: scan_files(spec, list(ps)))


def backfill(
    client: Client, spec: EngineSpec, fmt: str, inputs: list[str], out: str,
    blocksize: str = "16 MiB",
) -> int:
    """Scans ``inputs`` (``jsonl`` or ``eml``) into ``out`` on the
    client's cluster; returns the number of messages.

    Raises:
        ``ValueError`` for an unknown format; Dask's errors as they come
        (a task's exception is raised here).
    """
    import dask
    from dask import delayed

    # The plan: rows per partition, each partition written by one task.
    if fmt == "jsonl":
        bag = jsonl_bag(spec, inputs, blocksize)
    elif fmt == "eml":
        bag = eml_bag(spec, inputs)
    else:
        raise ValueError(f"unknown format {fmt!r} (jsonl or eml)")
    subs = ("parquet", "scan") + (
        ("protected",) if spec.cipher is not None else ()
    )
    # N.B. the parts of an earlier run go first, as Spark's overwrite
    # does: one with more partitions would leave records behind.
    for sub in subs:
        os.makedirs(f"{out}/{sub}", exist_ok=True)
        for old in glob.glob(f"{glob.escape(out)}/{sub}/part-*"):
            os.remove(old)
    writes = [
        delayed(write_part)(part, out, k)
        for k, part in enumerate(bag.to_delayed())
    ]

    # One compute: each block is read and scanned once.
    (counts,) = dask.compute(writes, scheduler=client.get)
    return sum(counts)


def local_cluster(workers: int) -> tuple[LocalCluster, Client]:
    """A cluster of ``workers`` single-threaded processes on loopback."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    try:
        return cluster, Client(cluster)
    except BaseException:
        cluster.close()
        raise


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", help="JSONL files, or folders")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--format", choices=("jsonl", "eml"), default="jsonl")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--scheduler", help="a running scheduler's address")
    ap.add_argument("--blocksize", default="16 MiB")
    ap.add_argument("--pack", default="default",
                    help="default, seed, or a TOML file")
    ap.add_argument("--cipher", choices=sorted(CIPHERS),
                    help="also write protected records")
    ap.add_argument("--key-file", help="a key set every worker reads")
    args = ap.parse_args(argv)

    # The spec: what every worker builds its engine from.
    spec = EngineSpec.from_options(args.pack, args.cipher, args.key_file)
    inputs = [os.path.abspath(p) for p in args.inputs]

    if args.scheduler:
        from distributed import Client

        cluster, client = None, Client(args.scheduler)
    else:
        cluster, client = local_cluster(args.workers)
    try:
        n = backfill(client, spec, args.format, inputs, args.out,
                     args.blocksize)
    finally:
        try:
            client.close()
        finally:
            if cluster is not None:
                cluster.close()
    print(f"dask_backfill: {n} messages -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
