"""examples/spark_backfill.py on ``local[2]`` gives what the command
line gives: the same records message for message (findings with type,
field and byte span, levels, counts, keywords, errors), and the same
protected records once both are decrypted.

One Spark session for the module (starting one takes seconds). Needs
Java 17 or later and pyspark (pinned in .ci/requirements.txt); skips
without them, and fails instead under ``MAILSHIELD_CI=1``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from backfill_check import Run, check_protect, check_scan
from conftest import EXAMPLES, require
from mailshield.cluster import EngineSpec


@pytest.fixture(scope="module")
def job():
    """The example job's module, pickled by value into Spark's workers
    (they cannot import it from examples/)."""
    require(
        importlib.util.find_spec("pyspark") is not None,
        "pyspark is not installed (.ci/requirements.txt pins it)",
    )
    require(
        shutil.which("java") is not None,
        "java is absent (Spark needs a JRE 17 or later; .ci/test-all "
        "installs one)",
    )
    sys.path.insert(0, str(EXAMPLES))
    try:
        import spark_backfill
    finally:
        sys.path.remove(str(EXAMPLES))
    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(spark_backfill)
    return spark_backfill


@pytest.fixture(scope="module")
def spark(job):
    session = job.session("local[2]", "mailshield-test")
    yield session
    session.stop()


@contextlib.contextmanager
def small_splits(spark):
    """Splits of 64 KiB, so that JSONL line numbers cross split edges
    (the corpus is about 650 KB). Not for folders: each small file
    would be a task."""
    key = "spark.sql.files.maxPartitionBytes"
    spark.conf.set(key, "64k")
    try:
        yield
    finally:
        spark.conf.unset(key)


def runner(job, spark) -> Run:
    """The Spark job as a ``Run``, JSONL in small splits."""

    def run(spec: EngineSpec, fmt: str, given: Path, out: Path) -> int:
        splits = small_splits(spark) if fmt == "jsonl" else (
            contextlib.nullcontext()
        )
        with splits:
            return job.backfill(spark, spec, fmt, [str(given)], str(out))

    return run


def test_scan_equals_the_command_line(
    job, spark, cli, backfill_corpus, tmp_path
):
    mail, real = backfill_corpus
    with small_splits(spark):
        _, firsts = job.read_jsonl(spark, [str(mail)])
    assert len(firsts) > 5  # line numbers cross split edges
    check_scan(runner(job, spark), cli, mail, real, tmp_path)


def test_protect_equals_the_command_line_once_decrypted(
    job, spark, cli, backfill_corpus, backfill_keys, tmp_path
):
    mail, real = backfill_corpus
    check_protect(
        runner(job, spark), cli, mail, real, backfill_keys, tmp_path
    )
