"""examples/dask_backfill.py on a ``LocalCluster`` of two worker
processes gives what the command line gives: the same records message
for message, and the same protected records once decrypted.

One cluster for the module, on 127.0.0.1, without a dashboard. Skips
without dask and distributed (pinned in .ci/requirements.txt), and
fails instead under ``MAILSHIELD_CI=1``.
"""

from __future__ import annotations

import importlib.util
import pickle
import sys
from pathlib import Path

import pytest

from backfill_check import Run, check_protect, check_scan, read_parts
from conftest import EXAMPLES, require
from mailshield.cluster import EngineSpec

# JSONL blocks small enough that line numbers cross block edges (the
# corpus is about 650 KB).
BLOCKSIZE = "64 KiB"


@pytest.fixture(scope="module")
def job():
    """The example job's module, importable by the workers."""
    for name in ("dask", "distributed", "pyarrow"):
        require(
            importlib.util.find_spec(name) is not None,
            f"{name} is not installed (.ci/requirements.txt pins it)",
        )
    # N.B. Dask pickles plain functions by reference: its worker
    # processes, spawned with this process's sys.path, import the job.
    sys.path.insert(0, str(EXAMPLES))
    try:
        import dask_backfill

        yield dask_backfill
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.fixture(scope="module")
def client(job):
    cluster, client = job.local_cluster(2)
    yield client
    client.close()
    cluster.close()


def test_workers_build_their_own_engine(client):
    # The spec travels; each worker process builds one engine from it
    # and reuses it.
    spec = EngineSpec(pack="seed")
    assert pickle.loads(pickle.dumps(spec)) == spec

    def engine_id(spec):
        import os

        return os.getpid(), id(spec.engine()), id(spec.engine())

    seen = client.run(engine_id, spec)
    assert len(seen) == 2
    assert all(a == b for _, a, b in seen.values())
    assert len({pid for pid, _, _ in seen.values()}) == 2


def runner(job, client) -> Run:
    """The Dask job as a ``Run``, JSONL in small blocks."""

    def run(spec: EngineSpec, fmt: str, given: Path, out: Path) -> int:
        return job.backfill(
            client, spec, fmt, [str(given)], str(out), blocksize=BLOCKSIZE
        )

    return run


def test_scan_equals_the_command_line(job, client, cli, backfill_corpus,
                                      tmp_path):
    from dask.bytes import read_bytes

    mail, real = backfill_corpus
    _, (blocks,) = read_bytes(
        str(mail), delimiter=b"\n", blocksize=BLOCKSIZE, sample=False
    )
    assert len(blocks) > 5  # line numbers cross block edges
    check_scan(runner(job, client), cli, mail, real, tmp_path)


def test_protect_equals_the_command_line_once_decrypted(
    job, client, cli, backfill_corpus, backfill_keys, tmp_path
):
    mail, real = backfill_corpus
    check_protect(
        runner(job, client), cli, mail, real, backfill_keys, tmp_path
    )


def test_a_rerun_replaces_the_parts(job, client, backfill_corpus, tmp_path):
    # Many blocks, then one: no part of the first run is left behind.
    mail, _ = backfill_corpus
    for blocksize in (BLOCKSIZE, "16 MiB"):
        n = job.backfill(
            client, EngineSpec(), "jsonl", [str(mail)], str(tmp_path),
            blocksize=blocksize,
        )
    assert len(list((tmp_path / "scan").glob("part-*"))) == 1
    assert len(read_parts(tmp_path / "scan")) == n
