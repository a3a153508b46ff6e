"""What the Spark and Dask tests check: a cluster job's output against
``mailshield scan``, ``protect`` and ``decrypt`` on the same input.

Records are matched by ``source`` (path and index), which the jobs give
as the command line gives it, and compared whole. A mismatch names the
message and the parts that differ, never their values (the real mail
holds personal data, and protected bodies are decrypted here).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mailshield import Cipher
from mailshield.cluster import EngineSpec

Record = dict[str, Any]
# conftest's ``cli`` fixture: ``mailshield ARGS...``, not checked.
Cli = Callable[..., subprocess.CompletedProcess[str]]
# A job run: ``(spec, format, input, out)``, the number of messages.
Run = Callable[[EngineSpec, str, Path, Path], int]

# Parts of a storage record that differ by nature: the time it was
# written, and the pack's policy table, which the ABI does not give.
UNCOMPARED = ("created_at", "access_policy")


def parse_lines(text: str) -> list[Record]:
    return [json.loads(line) for line in text.splitlines() if line]


def by_source(records: list[Record]) -> dict[tuple[str, int], Record]:
    """Records by ``(path, index)``; a source seen twice fails."""
    out: dict[tuple[str, int], Record] = {}
    for r in records:
        key = (r["source"]["path"], r["source"]["index"])
        assert key not in out, f"{key} twice"
        out[key] = r
    return out


def read_parts(folder: Path) -> list[Record]:
    """The records of a job's JSON Lines output folder (part files)."""
    records: list[Record] = []
    for part in sorted(folder.glob("part-*")):
        records.extend(parse_lines(part.read_text(encoding="utf-8")))
    return records


def differences(
    expected: list[Record], got: list[Record], skip: tuple[str, ...] = ()
) -> list[str]:
    """Where ``got`` differs from ``expected``: one line per message,
    naming its source and the differing keys."""
    __tracebackhide__ = True  # no values of messages in a report
    want, have = by_source(expected), by_source(got)
    out = [f"{k}: missing" for k in want.keys() - have.keys()]
    out += [f"{k}: not in the command line's" for k in have.keys() - want]
    for key in want.keys() & have.keys():
        a, b = want[key], have[key]
        keys = (a.keys() | b.keys()) - set(skip)
        bad = sorted(k for k in keys if a.get(k) != b.get(k))
        if bad:
            out.append(f"{key}: {', '.join(bad)} differ")
    return sorted(out)


def assert_same(
    expected: list[Record], got: list[Record], skip: tuple[str, ...] = ()
) -> None:
    __tracebackhide__ = True  # no values of messages in a report
    assert len(expected) > 0
    bad = differences(expected, got, skip)
    assert not bad, f"{len(bad)} of {len(expected)} differ:\n" + "\n".join(
        bad[:20]
    )


def parquet_matches_records(folder: Path, records: list[Record]) -> None:
    """The Parquet rows hold what the JSON Lines records say."""
    import pyarrow.parquet as pq

    rows = pq.read_table(str(folder)).to_pylist()
    assert len(rows) == len(records)
    for row in rows:
        rec = json.loads(row["record"])
        assert rec["source"] == {"path": row["path"], "index": row["index"]}
        parts = dict(row, counts=dict(row["counts"]))
        for key in rec.keys() - {"source"}:
            assert parts[key] == rec[key], f"{rec['source']}: {key}"


def cli_scan(cli: Cli, inputs: list[Path]) -> list[Record]:
    done = cli("scan", *map(str, inputs))
    # 3: the broken line is incomplete, as it should be.
    assert done.returncode in (0, 3), done.stderr[-2000:]
    return parse_lines(done.stdout)


def cli_protected(
    cli: Cli, keys: Path, inputs: list[Path], tmp: Path
) -> list[Record]:
    """``mailshield protect`` then ``decrypt``: the records in clear."""
    sealed = tmp / "cli-protected.jsonl"
    done = cli(
        "protect", "--key-file", str(keys), "--cipher", "aes-256-gcm",
        "--out", str(sealed), *map(str, inputs),
    )
    assert done.returncode in (0, 3), done.stderr[-2000:]
    return cli_decrypt(cli, keys, sealed)


def cli_decrypt(cli: Cli, keys: Path, sealed: Path) -> list[Record]:
    done = cli("decrypt", "--key-file", str(keys), str(sealed))
    assert done.returncode in (0, 3), done.stderr[-2000:]
    return parse_lines(done.stdout)


def job_decrypted(
    cli: Cli, keys: Path, folder: Path, tmp: Path
) -> list[Record]:
    """A job's protected records, opened by ``mailshield decrypt``."""
    joined = tmp / f"{folder.parent.name}-protected.jsonl"
    with joined.open("wb") as f:
        for part in sorted(folder.glob("part-*")):
            f.write(part.read_bytes())
    return cli_decrypt(cli, keys, joined)


def check_scan(run: Run, cli: Cli, mail: Path, real: Path, tmp: Path) -> None:
    """A job's scan of the JSONL ``mail`` and the folder ``real`` equals
    the command line's, and its Parquet holds the same."""
    # JSONL: every line, its number and id as the command line has them.
    out = tmp / "jsonl"
    n = run(EngineSpec(), "jsonl", mail, out)
    got = read_parts(out / "scan")
    expected = cli_scan(cli, [mail])
    assert n == len(expected)
    assert_same(expected, got)
    parquet_matches_records(out / "parquet", got)

    # Raw messages through scan_message.
    out = tmp / "eml"
    run(EngineSpec(), "eml", real, out)
    got = read_parts(out / "scan")
    assert_same(cli_scan(cli, [real]), got)
    parquet_matches_records(out / "parquet", got)


def check_protect(
    run: Run, cli: Cli, mail: Path, real: Path, keys: Path, tmp: Path
) -> None:
    """A job's protected records of ``mail`` and ``real`` equal the
    command line's once both are decrypted."""
    spec = EngineSpec(cipher=Cipher.AES_256_GCM, key_file=str(keys))
    for fmt, given in (("jsonl", mail), ("eml", real)):
        out = tmp / fmt
        run(spec, fmt, given, out)
        got = job_decrypted(cli, keys, out / "protected", tmp)
        expected = cli_protected(cli, keys, [given], tmp)
        assert_same(expected, got, skip=UNCOMPARED)
