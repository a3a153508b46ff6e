"""What the binding's tests share: paths, engines, the skip rule.

A test that needs the shared material beside the checkout
(``../shared``: the corpora, ``tools/seed_ref.py``) skips with a message
when it is absent, as in a user's fresh clone, and fails instead under
``MAILSHIELD_CI=1``, where it must be there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import mailshield

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared"
PARITY = REPO / "tests" / "data" / "parity"


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
