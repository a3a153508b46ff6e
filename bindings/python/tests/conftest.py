"""What the binding's tests share: paths, engines, the command line,
the skip rule.

A test that needs the shared material beside the checkout
(``../shared``: the corpora, ``tools/seed_ref.py``) or the command line
binary skips with a message when it is absent, as in a user's fresh
clone, and fails instead under ``MAILSHIELD_CI=1``, where it must be
there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mailshield

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared"
PARITY = REPO / "tests" / "data" / "parity"
EXAMPLES = REPO / "examples"

# The Fernet key the adapter tests give the command line (as
# MAILSHIELD_KEY) and the binding (KeySet.from_fernet_key).
FERNET_KEY = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="


def require(present: bool, missing: str) -> None:
    """Skips (or under ``MAILSHIELD_CI=1`` fails) unless ``present``."""
    if present:
        return
    if os.environ.get("MAILSHIELD_CI") == "1":
        pytest.fail(f"{missing}, and MAILSHIELD_CI=1 requires it")
    pytest.skip(missing)


@pytest.fixture(scope="session")
def shared() -> Path:
    """``../shared``, or a skip."""
    require(
        (SHARED / "corpus").is_dir() and (SHARED / "tools").is_dir(),
        f"{SHARED} is absent (a user's clone has no ../shared)",
    )
    return SHARED


@pytest.fixture(scope="session")
def engine() -> mailshield.Engine:
    """The ``default`` pack, shared by the tests (engines are shared)."""
    return mailshield.Engine("default")


@pytest.fixture(scope="session")
def seed() -> mailshield.Engine:
    return mailshield.Engine("seed")


def cli_path() -> Path:
    """The command line binary: ``$MAILSHIELD_BIN``, else the one beside
    the library under test, else ``target/release/mailshield``."""
    given = os.environ.get("MAILSHIELD_BIN")
    if given:
        return Path(given)
    lib = os.environ.get("MAILSHIELD_LIBRARY")
    if lib:
        return Path(lib).parent / "mailshield"
    return REPO / "target" / "release" / "mailshield"


@pytest.fixture(scope="session")
def cli():
    """Runs ``mailshield ARGS...`` with ``MAILSHIELD_KEY`` set to
    ``FERNET_KEY``; returns the completed process (text, not checked).
    Skips (fails under ``MAILSHIELD_CI=1``) when the binary is absent."""
    binary = cli_path()
    require(
        binary.is_file(),
        f"{binary} is absent (cargo build --release builds it)",
    )
    env = dict(os.environ, MAILSHIELD_KEY=FERNET_KEY)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(binary), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


@pytest.fixture()
def fernet_keys():
    """The key set of ``FERNET_KEY``, closed after the test."""
    with mailshield.KeySet.from_fernet_key(FERNET_KEY) as keys:
        yield keys


# The slice of ../shared/corpus/real the cluster jobs scan: folders of
# single messages (no mbox files, no names Spark hides).
REAL_SLICE = ("cpython-test-email", "mikel-mail")

# Lines added to the generated JSONL so that line numbers, ids and
# errors are put to the test: a blank line, a CRLF ending, a record
# without an id, one with other keys, one that is not JSON.
ODD_LINES = (
    b"",
    b'{"id": "crlf-1", "body": "call (415) 555-0134"}\r',
    b'{"subject": "no id", "body": "ssn 536-90-1234"}',
    b'{"id": "extra-1", "body": "mail ana@example.com", "team": "x"}',
    b"   ",
    b'{"id": "broken", "body": ',
)


@pytest.fixture(scope="session")
def backfill_corpus(shared, tmp_path_factory) -> tuple[Path, Path]:
    """The cluster jobs' input: a generated JSONL of a few hundred
    records (with ``ODD_LINES`` among them) and a folder holding a slice
    of the real mail. Generated once per session."""
    top = tmp_path_factory.mktemp("backfill-corpus")
    gen = top / "gen.jsonl"
    subprocess.run(
        [sys.executable, str(shared / "tools" / "gen_corpus.py"),
         "--seed", "11", "--size-mb", "0.6", "--out", str(gen)],
        check=True, capture_output=True, timeout=300,
    )
    lines = gen.read_bytes().split(b"\n")[:-1]
    for i, odd in enumerate(ODD_LINES):
        lines.insert(7 + 23 * i, odd)
    mail = top / "mail.jsonl"
    mail.write_bytes(b"\n".join(lines) + b"\n")
    real = top / "real"
    for name in REAL_SLICE:
        shutil.copytree(shared / "corpus" / "real" / name, real / name)
    return mail, real


@pytest.fixture(scope="session")
def backfill_keys(cli, tmp_path_factory) -> Path:
    """A key set made by ``mailshield keygen``."""
    path = tmp_path_factory.mktemp("backfill-keys") / "keys.json"
    done = cli("keygen", "--out", str(path))
    assert done.returncode == 0, done.stderr
    return path
