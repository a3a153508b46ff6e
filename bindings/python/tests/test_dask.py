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

import pytest

from backfill_check import (
    assert_same,
    cli_protected,
    cli_scan,
    job_decrypted,
    parquet_matches_records,
    read_parts,
)
from conftest import EXAMPLES, require
from mailshield import Cipher
from mailshield.cluster import EngineSpec


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


def test_scan_equals_the_command_line(job, client, cli, backfill_corpus,
                                      tmp_path):
    mail, real = backfill_corpus

    # JSONL in small blocks, so that line numbers cross block edges.
    out = tmp_path / "jsonl"
    n = job.backfill(
        client, EngineSpec(), "jsonl", [str(mail)], str(out),
        blocksize="64 KiB",
    )
    got = read_parts(out / "scan")
    expected = cli_scan(cli, [mail])
    assert n == len(expected)
    assert_same(expected, got)
    parquet_matches_records(out / "parquet", got)

    # Raw messages through scan_message.
    out = tmp_path / "eml"
    job.backfill(client, EngineSpec(), "eml", [str(real)], str(out))
    got = read_parts(out / "scan")
    assert_same(cli_scan(cli, [real]), got)
    parquet_matches_records(out / "parquet", got)


def test_protect_equals_the_command_line_once_decrypted(
    job, client, cli, backfill_corpus, backfill_keys, tmp_path
):
    mail, real = backfill_corpus
    spec = EngineSpec(cipher=Cipher.AES_256_GCM, key_file=str(backfill_keys))
    for fmt, given in (("jsonl", mail), ("eml", real)):
        out = tmp_path / fmt
        job.backfill(client, spec, fmt, [str(given)], str(out),
                     blocksize="64 KiB")
        got = job_decrypted(cli, backfill_keys, out / "protected", tmp_path)
        expected = cli_protected(cli, backfill_keys, [given], tmp_path)
        assert_same(expected, got, skip=("created_at", "access_policy"))
