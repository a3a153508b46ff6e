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
import subprocess
from pathlib import Path

import pytest

import mailshield

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared"
PARITY = REPO / "tests" / "data" / "parity"

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
