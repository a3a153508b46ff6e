"""mailshield.cluster and what it stands on: JSONL records through the
ABI, JSON lines of a batch, specs that pickle and engines that do not,
rows equal to the command line's records."""

from __future__ import annotations

import json
import pickle

import pytest

import mailshield
from mailshield import Cipher, Engine, KeySet, KeySetError
from mailshield.cluster import ROW_COLUMNS, EngineSpec, scan_rows

from backfill_check import assert_same, cli_decrypt, parse_lines
from conftest import FERNET_KEY

LINES = [
    b'{"id": 7, "subject": "SSN 536-90-1234", "body": "call (415) '
    b'555-0134", "sender_email": "ana@example.com", "team": "ops"}',
    b'{"body": "card 4111 1111 1111 1111, mail bo@example.com"}',
    b'{"id": "u-1", "body": "nothing here"}',
    b'{"id": "bad", "body": 5}',
    b"[1, 2]",
]


def test_an_engine_refuses_to_be_pickled(engine):
    with pytest.raises(TypeError, match="EngineSpec"):
        pickle.dumps(engine)


def test_a_spec_pickles_and_builds_one_engine_per_process():
    spec = EngineSpec(pack="seed")
    again = pickle.loads(pickle.dumps(spec))
    assert again == spec and hash(again) == hash(spec)
    assert again.engine() is spec.engine()
    assert spec.engine().pack == "seed"
    assert spec.keys() is None
    with pytest.raises(TypeError):
        EngineSpec(pack="seed", toml="[pack]")


def test_a_spec_shows_no_toml_and_no_key(monkeypatch):
    spec = EngineSpec(toml="[pack]\nname = 'x'\n", cipher=Cipher.FERNET)
    assert repr(spec) == (
        "EngineSpec(toml=<18 chars>, cipher=FERNET, key_file=None)"
    )
    monkeypatch.setenv("MAILSHIELD_KEY", FERNET_KEY)
    spec = EngineSpec(cipher=Cipher.FERNET)
    assert FERNET_KEY not in repr(spec) + repr(pickle.dumps(spec))
    assert isinstance(spec.keys(), KeySet)


def test_a_spec_from_a_jobs_options(tmp_path, monkeypatch):
    assert EngineSpec.from_options() == EngineSpec(pack="default")
    pack = tmp_path / "pack.toml"
    pack.write_text("[pack]\nname = 'x'\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    spec = EngineSpec.from_options(str(pack), "fernet", "keys.json")
    assert spec == EngineSpec(
        toml="[pack]\nname = 'x'\n",
        cipher=Cipher.FERNET,
        key_file=str(tmp_path / "keys.json"),
    )
    assert EngineSpec.from_options("seed", "none").cipher is Cipher.NONE
    with pytest.raises(KeyError):
        EngineSpec.from_options(cipher="rot13")
    with pytest.raises(OSError):
        EngineSpec.from_options(str(tmp_path / "missing.toml"))


def test_a_cipher_without_a_key_is_refused(monkeypatch):
    monkeypatch.delenv("MAILSHIELD_KEY", raising=False)
    with pytest.raises(KeySetError, match="no key"):
        EngineSpec(pack="seed", cipher=Cipher.AES_256_GCM).engine()


def test_a_record_is_read_as_the_command_line_reads_a_line(engine):
    r = engine.scan_record(LINES[0])
    assert r.id == "7"
    assert [f.name for f in r.fields] == ["body", "subject", "sender_email"]
    assert {(f.type, f.field) for f in r.findings} == {
        ("PHONE", "body"), ("SSN", "subject"), ("EMAIL", "sender_email")
    }
    bad = engine.scan_record(LINES[3])
    assert not bad.complete and bad.fields == ()
    assert bad.errors == ("line 1: `body` is not a string",)


def test_batch_lines_are_the_results_json(engine):
    lines = engine.scan_lines(LINES, records=True)
    results = engine.scan_batch(LINES, records=True, json=True)
    assert lines == [r.json for r in results]
    assert json.loads(lines[1])["id"] == "-#1"
    with pytest.raises(TypeError):
        engine.scan_lines(LINES, records=True, messages=True)
    assert engine.scan_lines([]) == []


def test_rows_are_the_command_lines_records(cli, tmp_path):
    path = tmp_path / "mail.jsonl"
    path.write_bytes(b"\n".join(LINES) + b"\n")
    done = cli("scan", str(path))
    expected = parse_lines(done.stdout)

    rows = scan_rows(
        EngineSpec(), "record", LINES, [str(path)] * 5, list(range(5))
    )
    assert [list(r) for r in rows] == [list(ROW_COLUMNS)] * 5
    assert rows[1]["id"] == f"{path}#1"
    assert rows[0]["counts"] == {"SSN": 1, "PHONE": 1, "EMAIL": 1}
    assert_same(expected, [json.loads(r["record"]) for r in rows])
    # Plain data: it pickles and needs no library to read.
    assert pickle.loads(pickle.dumps(rows)) == rows


def test_protected_rows_open_with_the_command_line(cli, tmp_path):
    keys = tmp_path / "keys.json"
    assert cli("keygen", "--out", str(keys)).returncode == 0
    path = tmp_path / "mail.jsonl"
    path.write_bytes(b"\n".join(LINES) + b"\n")
    sealed = tmp_path / "cli.jsonl"
    cli("protect", "--key-file", str(keys), "--out", str(sealed), str(path))
    expected = cli_decrypt(cli, keys, sealed)

    spec = EngineSpec(cipher=Cipher.AES_256_GCM, key_file=str(keys))
    rows = scan_rows(spec, "record", LINES, [str(path)] * 5, range(5))
    assert json.loads(rows[0]["protected"])["body"].startswith("ms1:")
    ours = tmp_path / "ours.jsonl"
    ours.write_text("".join(r["protected"] + "\n" for r in rows))
    got = cli_decrypt(cli, keys, ours)
    assert_same(expected, got, skip=("created_at", "access_policy"))


def test_messages_and_texts_make_rows(engine):
    raw = (
        b"From: Ana <ana@example.com>\r\nSubject: hi\r\n"
        b"Message-ID: <m1@example.com>\r\n\r\ncall (415) 555-0134\r\n"
    )
    (row,) = scan_rows(EngineSpec(), "message", [raw], ["a.eml"], [0])
    assert row["id"] == "m1@example.com"
    assert row["counts"] == {"PHONE": 1, "EMAIL": 1}
    (row,) = scan_rows(EngineSpec(), "text", [b"x"], ["t"], [3])
    assert (row["id"], row["path"], row["index"]) == ("t#3", "t", 3)
    with pytest.raises(ValueError):
        scan_rows(EngineSpec(), "mbox", [b"x"], ["t"], [0])  # type: ignore
    with pytest.raises(ValueError):
        scan_rows(EngineSpec(), "text", [b"x"], [], [])


def test_the_package_exports_the_record_kind():
    assert mailshield.Engine.scan_record.__doc__
    assert Engine.protect_record.__doc__
