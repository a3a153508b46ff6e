"""The typed API: engines, scans, batches, protection, streams, keys."""

from __future__ import annotations

import base64
import collections
import json
import pickle

import pytest
from cryptography.fernet import Fernet

import mailshield
from mailshield import (
    Cipher,
    CryptoError,
    Engine,
    Field,
    Finding,
    KeySet,
    Keyword,
    Level,
    ScanResult,
    StateError,
)

from conftest import PARITY, REPO

TEXT = (
    "Contact jane.doe@example.com or call (415) 555-0134. "
    "My password is in the confidential file."
)
FINDINGS = (
    Finding("EMAIL", "body", 8, 28, 0.9, True, "***@example.com"),
    Finding("PHONE", "body", 37, 51, 0.95, True, "***0134"),
)
KEYWORDS = (
    Keyword("password", "body", 56, 64, False),
    Keyword("confidential", "body", 75, 87, False),
)
ACTIONS = (
    "Apply encryption",
    "Enable access logging",
    "Require approval for access",
)
ENTITIES = (
    "PRIVATE_KEY", "CLOUD_KEY", "API_KEY", "JWT", "PASSWORD",
    "CREDIT_CARD", "SSN", "IBAN", "EMAIL", "PHONE", "IP_ADDRESS",
)


def test_scan_gives_every_part_of_the_result(engine):
    r = engine.scan(TEXT)
    assert r == ScanResult(
        id="-#0",
        level=Level.CONFIDENTIAL,
        classification="confidential",
        confidence=0.85,
        complete=True,
        findings=FINDINGS,
        keywords=KEYWORDS,
        risk_factors=(
            "PII detected",
            "Sensitive keywords: password, confidential",
        ),
        recommended_actions=ACTIONS,
        warnings=(),
        errors=(),
        fields=(Field("body", TEXT),),
        json=None,
    )
    assert r.field("body").text is TEXT
    assert r.counts() == {"EMAIL": 1, "PHONE": 1}
    assert repr(r) == (
        "ScanResult(id='-#0', classification='confidential', findings=2, "
        "keywords=2, complete=True)"
    )


def test_json_is_the_command_lines_line(engine):
    r = engine.scan(TEXT, json=True)
    line = json.loads(r.json)
    assert line["id"] == "-#0"
    assert line["classification"] == "confidential"
    assert line["counts"] == {"EMAIL": 1, "PHONE": 1}
    # The JSON has byte offsets; this text is ASCII, so they agree.
    assert [(f["type"], f["start"], f["end"]) for f in line["findings"]] == [
        (f.type, f.start, f.end) for f in r.findings
    ]
    assert engine.scan(TEXT).json is None


def test_engine_facts():
    with Engine() as e:
        assert e.entities == ENTITIES
        assert e.pack == "default"
        assert repr(e) == "<mailshield.Engine pack='default' open>"
    assert e.closed
    assert repr(e) == "<mailshield.Engine pack='default' closed>"
    assert Engine("seed").scan("hello").classification == "internal"
    assert mailshield.library_version() == "0.1.0"
    assert Level.RESTRICTED.label == "restricted"


def test_custom_pack_from_toml():
    toml = (REPO / "examples" / "custom-pack.toml").read_text()
    e = Engine(toml=toml)
    assert e.pack == "<toml>"
    assert "EMPLOYEE_ID" in e.entities
    r = e.scan("Ticket from EMP-123456 about card 4111-1111-1111-1111")
    assert [(f.type, f.start, f.end, f.masked) for f in r.findings] == [
        ("EMPLOYEE_ID", 12, 22, "***"),
        ("CREDIT_CARD", 34, 53, "***1111"),
    ]
    with pytest.raises(TypeError):
        Engine("default", toml=toml)


def test_scan_message_decodes_fields(engine):
    raw = (PARITY / "message.eml").read_bytes()
    r = engine.scan_message(raw)
    assert r.id == "parity-1@example.com"
    assert r.fields == (
        Field("from", b"Jane Doe <jane.doe@example.com>"),
        Field("to", b"Bob <bob@example.net>"),
        Field("subject", "😀 Your card".encode()),
        Field(
            "body",
            "Hi Bob 😀, my card is 4111 1111 1111 1111 and my phone\n"
            "is (415) 555-0134. Mail me at jane.doe@example.com.\n".encode(),
        ),
    )
    for f in r.findings:
        value = r.field(f.field).text[f.start : f.end]
        assert f.masked[-4:] in value.decode()


def test_a_message_that_does_not_parse_is_scanned_raw(engine):
    raw = b"\xff\xfe garbage not a message 536-90-1234"
    r = engine.scan_message(raw)
    assert r.fields == (Field("raw", raw),)
    assert r.warnings == ("not an RFC 5322 message; scanned as raw bytes",)
    assert r.findings == (
        Finding("SSN", "raw", 25, 36, 0.75, True, "***1234"),
    )


def test_batch_equals_one_scan_per_text(engine):
    texts = [TEXT, b"SSN 536-90-1234", "", "nothing here", TEXT.encode()]
    batch = engine.scan_batch(texts, json=True)
    assert [r.id for r in batch] == [f"-#{i}" for i in range(len(texts))]
    for i, (text, r) in enumerate(zip(texts, batch)):
        one = engine.scan(text, json=True)
        assert r.replace(json=None) == one.replace(id=f"-#{i}", json=None)
        line, want = json.loads(r.json), json.loads(one.json)
        want.update(id=f"-#{i}", source={"path": "-", "index": i})
        assert line == want
    # Bytes give byte offsets: the same here, as TEXT is ASCII.
    assert batch[4].findings == batch[0].findings
    assert batch[4].field("body").text == TEXT.encode()


def test_batch_in_parts_reads_as_one_batch(engine):
    # 300 items are scanned as five parts of 64 (the last of 44); each
    # result is numbered by its place in the whole list, and equals one
    # scan of its item. Items differ, so a part out of place shows.
    texts = [
        f"{i}: user{i}@example.com" + (", SSN 536-90-1234" * (i % 3))
        for i in range(300)
    ]
    items = [t if i % 2 else t.encode() for i, t in enumerate(texts)]
    batch = engine.scan_batch(items, json=True)
    assert [r.id for r in batch] == [f"-#{i}" for i in range(300)]
    for i in (0, 63, 64, 128, 255, 256, 299):
        one = engine.scan(items[i])
        assert batch[i].findings == one.findings
        assert json.loads(batch[i].json)["source"] == {"path": "-", "index": i}
        assert batch[i].field("body").text == items[i]
    lines = engine.scan_lines(items)
    assert [json.loads(line)["id"] for line in lines] == [
        f"-#{i}" for i in range(300)
    ]
    assert lines[200] == batch[200].json


def test_batch_error_in_a_later_part_frees_the_parts_started(
    engine, monkeypatch
):
    # The fourth part holds an item that is not text: the three parts
    # started before it are waited for and freed, and nothing is left.
    lib = mailshield._native.library()
    calls = {"scan_batch_start": 0, "pending_free": 0, "pending_wait": 0}

    def counting(name):
        real = getattr(lib, name)

        def call(*args):
            calls[name] += 1
            return real(*args)

        monkeypatch.setattr(lib, name, call)

    for name in calls:
        counting(name)
    items = ["a@example.com"] * 300
    items[200] = None
    with pytest.raises(TypeError, match="expected str or bytes"):
        engine.scan_batch(items)
    assert calls == {
        "scan_batch_start": 3, "pending_free": 3, "pending_wait": 0,
    }


def test_batch_finishes_parts_while_starting_more(engine, monkeypatch):
    # Parts of one item, two in flight: the oldest is finished inside the
    # loop, and the results still come in input order.
    from mailshield import engine as engine_module

    monkeypatch.setattr(engine_module, "_PART_MIN", 1)
    monkeypatch.setattr(engine_module, "_FLIGHT", 2)
    texts = [f"{i}: user{i}@example.com" for i in range(100)]
    batch = engine.scan_batch(collections.deque(texts))
    assert [r.id for r in batch] == [f"-#{i}" for i in range(100)]
    assert [r.findings[0].masked for r in batch] == ["***@example.com"] * 100
    assert [r.findings[0].start for r in batch] == [
        len(f"{i}: ") for i in range(100)
    ]


def test_batch_start_failing_in_a_later_part_frees_the_others(
    engine, monkeypatch
):
    # The library refuses the third start: the two parts started before
    # it are waited for and freed, and the error is the library's.
    lib = mailshield._native.library()
    calls = {"scan_batch_start": 0, "pending_free": 0}
    real_start, real_free = lib.scan_batch_start, lib.pending_free

    def start(*args):
        calls["scan_batch_start"] += 1
        if calls["scan_batch_start"] == 3:
            args = args[:3] + (99,) + args[4:]  # an unknown input kind
        return real_start(*args)

    def free(pending):
        calls["pending_free"] += 1
        real_free(pending)

    monkeypatch.setattr(lib, "scan_batch_start", start)
    monkeypatch.setattr(lib, "pending_free", free)
    with pytest.raises(mailshield.InvalidArgumentError) as e:
        engine.scan_batch(["a@example.com"] * 300)
    assert "unknown input kind 99" in str(e.value)
    assert calls == {"scan_batch_start": 3, "pending_free": 2}


def test_batch_takes_any_iterable_and_messages(engine):
    assert engine.scan_batch([]) == []
    gen = (t for t in ["a@example.com", "b@example.org"])
    assert [r.findings[0].masked for r in engine.scan_batch(gen)] == [
        "***@example.com",
        "***@example.org",
    ]
    raw = (PARITY / "message.eml").read_bytes()
    [r] = engine.scan_batch([raw], messages=True)
    assert r == engine.scan_message(raw)


def test_protect_redacts_and_seals(engine):
    keys = KeySet.generate()
    text = "SSN 536-90-1234 and 😀 jane@example.com"
    p = engine.protect(text, keys=keys)
    assert p.body == "SSN [SSN_REDACTED] and 😀 [EMAIL_REDACTED]"
    assert p.log == ("Replaced 1 SSN instances", "Replaced 1 EMAIL instances")
    assert p.subject is None
    assert p.result.classification == "restricted"
    assert p.sealed.startswith("ms1:")
    assert keys.decrypt(p.sealed, p.result.id) == p.body.encode()
    with pytest.raises(CryptoError):
        keys.decrypt(p.sealed, "another-id")

    # A given id binds the envelope instead.
    p = engine.protect(text, keys=keys, message_id="msg-7")
    assert keys.decrypt(p.sealed, "msg-7") == p.body.encode()

    # Bytes in, bytes out; no cipher, no seal.
    p = engine.protect(text.encode(), cipher=Cipher.NONE)
    assert p.body == "SSN [SSN_REDACTED] and 😀 [EMAIL_REDACTED]".encode()
    assert p.sealed is None


def test_protect_at_a_level_follows_that_levels_policy(seed):
    text = "call 555-123-4567 " + "x" * 6000
    public = seed.protect(text, cipher=Cipher.NONE, level=Level.PUBLIC)
    assert public.body == text[:10_000]
    assert public.log == ()
    restricted = seed.protect(
        text, cipher=Cipher.NONE, level=Level.RESTRICTED
    )
    assert restricted.body == (
        "call [PHONE_REDACTED] " + "x" * 4978 + "[TRUNCATED]"
    )
    assert restricted.log == (
        "Replaced 1 PHONE instances",
        "Content truncated to 5000 characters",
    )


def test_protect_with_fernet_reads_in_cryptography(engine):
    key = Fernet.generate_key()
    keys = KeySet.from_fernet_key(key)
    p = engine.protect("card 4111 1111 1111 1111", keys=keys,
                       cipher=Cipher.FERNET)
    assert Fernet(key).decrypt(p.sealed.encode()) == (
        b"card [CREDIT_CARD_REDACTED]"
    )


def test_protect_message(engine):
    raw = (PARITY / "message.eml").read_bytes()
    p = engine.protect_message(raw, keys=KeySet.generate())
    assert p.body == (
        "Hi Bob 😀, my card is [CREDIT_CARD_REDACTED] and my phone\n"
        "is [PHONE_REDACTED]. Mail me at [EMAIL_REDACTED].\n".encode()
    )
    assert p.subject == "😀 Your card".encode()
    assert p.result.id == "parity-1@example.com"


def test_stream_equals_one_scan_at_every_cut(engine):
    text = "card 4111 1111 1111 1111, mail ana@example.com 😀 SSN 536-90-1234"
    data = text.encode()
    whole = engine.scan(data).findings
    assert len(whole) == 3
    for cut in range(len(data) + 1):
        with engine.stream() as s:
            s.feed(data[:cut])
            s.feed(data[cut:])
            r = s.finish()
        assert r.findings == whole, cut
        assert r.fields == (Field("body", b""),)
    # Pieces of `str` give code point offsets.
    with engine.stream() as s:
        for ch in text:
            s.feed(ch)
        assert s.finish().findings == engine.scan(text).findings
    with engine.stream() as s:
        s.feed("a")
        with pytest.raises(TypeError):
            s.feed(b"b")


def test_streams_are_closed_once(engine):
    s = engine.stream()
    s.close()
    s.close()
    with pytest.raises(StateError) as e:
        s.feed(b"x")
    assert e.value.message == "the stream is closed"
    assert e.value.status is mailshield.Status.STATE


def test_key_sets_round_trip_and_interoperate():
    keys = KeySet.generate()
    sealed = keys.encrypt("clear text", message_id="m-1")
    assert sealed.startswith("ms1:")
    assert keys.decrypt(sealed, "m-1") == b"clear text"
    assert repr(keys) == "<mailshield.KeySet open>"

    key = Fernet.generate_key()
    fernet = KeySet.from_fernet_key(key.decode())
    token = fernet.encrypt(b"\x00binary\xff", Cipher.FERNET)
    assert Fernet(key).decrypt(token.encode()) == b"\x00binary\xff"
    theirs = Fernet(key).encrypt(b"from python")
    assert fernet.decrypt(theirs) == b"from python"
    assert key.decode() not in repr(fernet)
    with KeySet.generate() as k:
        pass
    assert k.closed
    with pytest.raises(StateError):
        k.encrypt("x")


def test_key_set_from_a_file(tmp_path):
    # The key-set file format of `mailshield keygen`, written here by
    # hand with a fixed, public test key.
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({
        "version": 1,
        "primary": "k0123456789abcdef",
        "keys": [{
            "id": "k0123456789abcdef",
            "algorithm": "aes-256-gcm",
            "key": base64.urlsafe_b64encode(bytes(range(32))).decode(),
            "created": "2025-01-31T09:30:00Z",
        }],
    }))
    try:
        keys = KeySet.load(path)
    except mailshield.KeySetError as e:
        pytest.fail(f"the hand-written key file did not load: {e}")
    sealed = keys.encrypt("x", message_id="id")
    assert sealed.startswith("ms1:k0123456789abcdef:")
    assert keys.decrypt(sealed, "id") == b"x"


def test_results_pickle(engine):
    r = engine.scan(TEXT, json=True)
    assert pickle.loads(pickle.dumps(r)) == r
    e = pickle.loads(pickle.dumps(mailshield.RulesError(
        mailshield.Status.RULES, "no such pack")))
    assert (e.status, e.message) == (mailshield.Status.RULES, "no such pack")


def test_inputs_must_be_text_or_bytes(engine):
    with pytest.raises(TypeError):
        engine.scan(123)
    with pytest.raises(TypeError):
        engine.scan_batch(["ok", None])
    with pytest.raises(TypeError):
        engine.protect("x", keys="not a key set")
    assert engine.scan(bytearray(b"a@example.com")).findings[0].end == 13


def test_batch_results_read_themselves_on_first_use(engine):
    import gc
    import weakref

    texts = [TEXT, "nothing", "SSN 536-90-1234"]
    results = engine.scan_batch(texts)
    batch = weakref.ref(results[0]._pending)
    # The scalars alone, then the whole result.
    assert [r.classification for r in results] == [
        "confidential", "internal", "restricted",
    ]
    assert all(r._pending is not None for r in results)
    assert results[0].findings == FINDINGS
    assert results[0]._pending is None
    assert pickle.loads(pickle.dumps(results[1])) == (
        engine.scan("nothing").replace(id="-#1")
    )
    # The library's batch lives while a result is unread.
    gc.collect()
    assert batch() is not None
    assert results[2].id == "-#2"
    gc.collect()
    assert batch() is None


def test_batch_results_read_from_many_threads_at_once(engine):
    import threading

    texts = [f"{TEXT} {i}" for i in range(300)]
    want = [engine.scan(t).findings for t in texts]
    results = engine.scan_batch(texts)
    barrier = threading.Barrier(4)
    seen = []

    def read():
        barrier.wait()
        seen.append([r.findings for r in results])

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [want] * 4


def test_messages_give_byte_offsets_even_from_str(engine):
    raw = (PARITY / "message.eml").read_bytes()
    want = engine.scan_message(raw)
    assert engine.scan_message(raw.decode()) == want
    [r] = engine.scan_batch([raw.decode()], messages=True)
    assert r == want


def test_an_incomplete_result_says_why():
    # A candidate longer than the pack's longest match is not scanned
    # whole: the result is incomplete, and its errors say why.
    pack = (
        '[pack]\nname = "tickets"\nextends = "default"\n'
        "max_match_len = 32\n"
        '[[entity]]\nname = "TICKET"\nrank = 40\nmask = "full"\n'
        '[[detector]]\nid = "t"\nentity = "TICKET"\n'
        "pattern = 'TCK-[0-9]+'\nscore = 0.9\n"
    )
    text = "id TCK-" + "1" * 50 + " end, TCK-42 ok"
    error = (
        "body: a candidate of detector `t` is longer than the pack's "
        "longest match (32 bytes)"
    )
    with mailshield.Engine(toml=pack) as e:
        one = e.scan(text)
        [batched] = e.scan_batch([text])
    assert (one.complete, one.errors) == (False, (error,))
    assert [(f.start, f.end) for f in one.findings] == [(3, 35), (63, 69)]
    assert batched == one
