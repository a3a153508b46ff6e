"""ApiKeys: keys made by the command line, checked through the binding."""

from __future__ import annotations

import threading

import pytest

from mailshield import (
    ApiKeys,
    IoError,
    KeyReason,
    KeySet,
    KeyVerdict,
    StateError,
    Status,
)

from conftest import FERNET_KEY


def refused(reason: KeyReason) -> KeyVerdict:
    """What every refused key gives, but for its reason."""
    return KeyVerdict(
        valid=False, reason=reason, user_id=None, permissions=()
    )


ALICE = KeyVerdict(
    valid=True, reason=KeyReason.VALID, user_id="alice",
    permissions=("scan",),
)


@pytest.fixture()
def store(tmp_path):
    return tmp_path / "keys.db"


@pytest.fixture()
def key(cli, store) -> str:
    """A key for alice, made by ``mailshield keys create``."""
    done = cli(
        "keys", "create", "--store", str(store), "--user", "alice",
        "--permission", "scan",
    )
    assert done.returncode == 0, done.stderr
    made = done.stdout.strip()
    assert len(made) == 3 + 16 + 1 + 43 and made.startswith("eb_")
    return made


def test_a_key_made_by_the_command_line_is_valid(store, key, fernet_keys):
    with ApiKeys(store, fernet_keys) as keys:
        assert keys.check(key, "10.0.0.1") == ALICE
        assert keys.check(key.encode(), "10.0.0.1") == ALICE
        assert key not in repr(keys)


def test_forged_and_unknown_keys(store, key, fernet_keys):
    with ApiKeys(store, fernet_keys) as keys:
        forged = key[:20] + "A" * 43
        assert keys.check(forged, "10.0.0.2") == refused(KeyReason.FORGED)
        other_id = "eb_" + "0" * 16 + "_" + key[20:]
        for unknown in (other_id, "not a key", "", key[:-1], b"\xff\xfe"):
            verdict = keys.check(unknown, "10.0.0.3")
            assert verdict == refused(KeyReason.UNKNOWN), unknown
        # The right key still works from anywhere.
        assert keys.check(key, "10.0.0.2") == ALICE


def test_a_revoked_key(cli, store, key, fernet_keys):
    with ApiKeys(store, fernet_keys) as keys:
        assert keys.check(key, "10.0.0.1").valid
        done = cli("keys", "revoke", "--store", str(store), key[3:19])
        assert done.returncode == 0, done.stderr
        assert keys.check(key, "10.0.0.1") == refused(KeyReason.REVOKED)


def test_five_forged_secrets_lock_the_key_for_that_source(
    store, key, fernet_keys
):
    forged = key[:20] + "B" * 42 + "A"
    with ApiKeys(store, fernet_keys) as keys:
        reasons = [keys.check(forged, "10.9.9.9").reason for _ in range(6)]
        assert reasons == [KeyReason.FORGED] * 5 + [KeyReason.LOCKED]
        assert keys.check(key, "10.9.9.9") == refused(KeyReason.LOCKED)
        assert keys.check(key, "10.0.0.1") == ALICE


def test_another_key_set_forges_every_key(store, key):
    with KeySet.generate() as other, ApiKeys(store, other) as keys:
        assert keys.check(key, "10.0.0.1") == refused(KeyReason.FORGED)


def test_a_store_that_cannot_be_opened(tmp_path, fernet_keys):
    missing = tmp_path / "no" / "such" / "dir" / "keys.db"
    with pytest.raises(IoError) as e:
        ApiKeys(missing, fernet_keys)
    assert e.value.status is Status.IO
    assert str(missing) in e.value.message
    with pytest.raises(ValueError):
        ApiKeys(tmp_path / "a\0b", fernet_keys)
    with pytest.raises(TypeError):
        ApiKeys(tmp_path / "keys.db", "not a key set")


def test_bad_sources_and_use_after_close(store, key, fernet_keys):
    keys = ApiKeys(store, fernet_keys)
    with pytest.raises(ValueError):
        keys.check(key, "10.0.0.1\0")
    keys.close()
    keys.close()
    with pytest.raises(StateError):
        keys.check(key, "10.0.0.1")


def test_the_key_set_may_close_once_the_store_is_open(store, key):
    keys_set = KeySet.from_fernet_key(FERNET_KEY)
    keys = ApiKeys(store, keys_set)
    keys_set.close()
    assert keys.check(key, "10.0.0.1") == ALICE
    keys.close()


def test_checks_from_many_threads(store, key, fernet_keys):
    forged = key[:20] + "C" * 42 + "A"
    seen = []
    barrier = threading.Barrier(4)
    with ApiKeys(store, fernet_keys) as keys:

        def check(i: int) -> None:
            barrier.wait()
            for _ in range(10):
                seen.append(keys.check(key, f"10.1.0.{i}"))
                seen.append(keys.check(forged, f"10.2.0.{i}"))

        threads = [
            threading.Thread(target=check, args=(i,)) for i in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    valid = [v for v in seen if v.valid]
    assert valid == [ALICE] * 40
    # Each source has its own five failures before the lock.
    refusals = [v.reason for v in seen if not v.valid]
    assert refusals.count(KeyReason.FORGED) == 4 * 5
    assert refusals.count(KeyReason.LOCKED) == 4 * 5
