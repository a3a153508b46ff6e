"""AuditLog: events appended through the binding, verified by the
command line."""

from __future__ import annotations

import json
import threading

import pytest

from mailshield import (
    AuditLog,
    Engine,
    InvalidArgumentError,
    IoError,
    KeySet,
    StateError,
    Status,
)

ACCESS = {
    "event_type": "data_access",
    "event_id": "evt-1",
    "timestamp": "2026-01-05T10:00:00Z",
    "user_id": "alice",
    "resource": "mailbox/inbox",
    "details": {"query": "mail from ana@example.com", "count": 3},
    "risk_level": "medium",
    "source_ip": "192.0.2.10",
    "user_agent": "pytest",
    "session_id": "s-1",
}


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def verify(cli, path) -> tuple[int, dict]:
    """``mailshield audit verify``: its exit code and its JSON."""
    done = cli("audit", "verify", "--log", str(path))
    return done.returncode, json.loads(done.stdout)


def test_two_events_redacted_and_verified(cli, tmp_path, fernet_keys):
    path = tmp_path / "audit.log"
    with Engine("default") as engine:
        with AuditLog(path, fernet_keys, engine) as log:
            assert log.append(ACCESS) == 0
            assert log.append({"event_type": "login_failed"}) == 1
    text = path.read_text()
    assert "ana@example.com" not in text
    assert "[EMAIL_REDACTED]" in text
    first, second, checkpoint = lines(path)
    assert first["seq"] == 0 and first["prev"] == "0" * 64
    assert first["event"] == {
        **ACCESS,
        "details": {"query": "mail from [EMAIL_REDACTED]", "count": 3},
    }
    assert second["event"]["event_type"] == "login_failed"
    assert second["event"]["risk_level"] == "low"
    assert set(checkpoint) == {"seq", "prev", "checkpoint"}
    assert checkpoint["seq"] == 2
    assert (tmp_path / "audit.log.head").is_file()

    code, report = verify(cli, path)
    assert code == 0
    assert report == {
        "broken": None, "checkpoints": 1, "events": 2,
        "head_checked": True, "valid": True,
    }
    done = cli("audit", "verify", "--log", str(path))
    assert '"valid":true' in done.stdout


def test_without_an_engine_the_default_pack_redacts(tmp_path, fernet_keys):
    path = tmp_path / "audit.log"
    with AuditLog(path, fernet_keys) as log:
        log.append({"event_type": "x", "details": {"to": "ana@example.com"}})
    assert lines(path)[0]["event"]["details"] == {"to": "[EMAIL_REDACTED]"}


@pytest.mark.parametrize(
    "event, names",
    [
        ({"event_type": "x", "nope": "value-77"}, "an unknown field"),
        ({"event_type": "x", "risk_level": "value-77"}, "wrong type"),
        ({"event_type": "x", "user_id": ["value-77"]}, "wrong type"),
        ({"event_type": "x", "timestamp": "value-77"}, "`timestamp`"),
        ({"details": {"q": "value-77"}}, "missing field `event_type`"),
    ],
)
def test_a_bad_event_is_refused_without_its_values(
    tmp_path, fernet_keys, event, names
):
    path = tmp_path / "audit.log"
    with AuditLog(path, fernet_keys) as log:
        with pytest.raises(InvalidArgumentError) as e:
            log.append(event)
        assert isinstance(e.value, ValueError)
        assert e.value.status is Status.INVALID_ARGUMENT
        assert names in e.value.message
        assert "value-77" not in str(e.value)
        assert "value-77" not in repr(e.value)
        # Nothing was written; the next event is the first line.
        assert log.append({"event_type": "ok"}) == 0


def test_events_python_cannot_encode(tmp_path, fernet_keys):
    with AuditLog(tmp_path / "audit.log", fernet_keys) as log:
        with pytest.raises(TypeError):
            log.append([("event_type", "x")])
        with pytest.raises(TypeError):
            log.append({"event_type": "x", "details": {"d": object()}})
        with pytest.raises(ValueError):
            log.append({"event_type": "x", "details": {"n": float("nan")}})


def test_appends_from_four_threads_make_one_chain(
    cli, tmp_path, fernet_keys
):
    path = tmp_path / "audit.log"
    seqs: list[int] = []
    barrier = threading.Barrier(4)
    with AuditLog(path, fernet_keys, Engine("default")) as log:

        def append(i: int) -> None:
            barrier.wait()
            for j in range(25):
                event = {"event_type": "scan", "event_id": f"t{i}-{j}"}
                seqs.append(log.append(event))

        threads = [
            threading.Thread(target=append, args=(i,)) for i in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(seqs) == list(range(100))
    ids = {entry["event"]["event_id"] for entry in lines(path)[:100]}
    assert ids == {f"t{i}-{j}" for i in range(4) for j in range(25)}
    code, report = verify(cli, path)
    assert (code, report["valid"], report["events"]) == (0, True, 100)


def test_a_reopened_log_continues_its_chain(cli, tmp_path, fernet_keys):
    path = tmp_path / "audit.log"
    with AuditLog(path, fernet_keys) as log:
        assert log.append({"event_type": "a"}) == 0
        log.checkpoint()
        assert log.append({"event_type": "b"}) == 2
    with AuditLog(path, fernet_keys) as log:
        # Line 3 is the first log's closing checkpoint.
        assert log.append({"event_type": "c"}) == 4
    code, report = verify(cli, path)
    assert code == 0
    assert (report["events"], report["checkpoints"]) == (3, 3)


def test_another_key_set_does_not_verify(cli, tmp_path):
    path = tmp_path / "audit.log"
    with KeySet.generate() as other, AuditLog(path, other) as log:
        log.append({"event_type": "a"})
    code, report = verify(cli, path)
    assert code == 1
    assert report["valid"] is False


def test_logs_that_cannot_be_opened(tmp_path, fernet_keys):
    missing = tmp_path / "no" / "dir" / "audit.log"
    with pytest.raises(IoError) as e:
        AuditLog(missing, fernet_keys)
    assert e.value.status is Status.IO
    assert str(missing) in e.value.message
    torn = tmp_path / "torn.log"
    torn.write_text('{"seq":0,"prev":"00')
    with pytest.raises(IoError):
        AuditLog(torn, fernet_keys)
    with pytest.raises(ValueError):
        AuditLog(tmp_path / "a\0b", fernet_keys)
    with pytest.raises(TypeError):
        AuditLog(tmp_path / "x.log", fernet_keys, engine="default")


def test_use_after_close(tmp_path, fernet_keys):
    log = AuditLog(tmp_path / "audit.log", fernet_keys)
    log.close()
    log.close()
    with pytest.raises(StateError):
        log.append({"event_type": "a"})
    with pytest.raises(StateError):
        log.checkpoint()
