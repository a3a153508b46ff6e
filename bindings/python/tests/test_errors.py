"""Errors: the class of each status, carrying the library's message."""

from __future__ import annotations

import threading

import pytest
from cryptography.fernet import Fernet

import mailshield
from mailshield import (
    Cipher,
    CryptoError,
    Engine,
    InvalidArgumentError,
    KeySet,
    KeySetError,
    MailshieldError,
    RulesError,
    StateError,
    Status,
)
from mailshield.errors import error_for


def raised(kind, fn):
    with pytest.raises(kind) as info:
        fn()
    e = info.value
    assert isinstance(e, MailshieldError)
    assert str(e) == e.message
    return e.status, e.message


def test_rules_errors_name_the_pack_or_detector():
    assert raised(RulesError, lambda: Engine("nope")) == (
        Status.RULES,
        "mailshield_engine_new: builtin:nope: no such built-in pack "
        "(default, seed)",
    )
    assert raised(RulesError, lambda: Engine(toml="not toml")) == (
        Status.RULES,
        "mailshield_engine_from_toml: <toml>: invalid TOML at byte 4: key "
        "with no value, expected `=`",
    )
    toml = (
        '[pack]\nname = "x"\n[[detector]]\nid = "bad"\nentity = "EMAIL"\n'
        'pattern = "(("\nscore = 1.0\n'
    )
    assert raised(RulesError, lambda: Engine(toml=toml)) == (
        Status.RULES,
        "mailshield_engine_from_toml: <toml>: detector `bad`: bad regex: "
        "error: unclosed group",
    )


def test_key_errors_never_quote_the_key():
    secret = "short-key-secret"
    status, message = raised(
        KeySetError, lambda: KeySet.from_fernet_key(secret)
    )
    assert (status, message) == (
        Status.KEY,
        "mailshield_keyset_from_fernet_key: invalid key: does not decode "
        "to 32 bytes",
    )
    assert secret not in message
    # A bad key is a ValueError, as it is for cryptography's Fernet.
    with pytest.raises(ValueError):
        KeySet.from_fernet_key(secret)
    status, message = raised(
        KeySetError, lambda: KeySet.load("/nonexistent/keys.json")
    )
    assert message == (
        "mailshield_keyset_load: key file /nonexistent/keys.json: cannot "
        "open: No such file or directory (os error 2)"
    )


def test_seal_and_open_errors():
    aes = KeySet.generate()
    fernet = KeySet.from_fernet_key(Fernet.generate_key())
    status, message = raised(
        KeySetError, lambda: aes.encrypt("x", Cipher.FERNET)
    )
    assert message.startswith("mailshield_encrypt: invalid key k")
    assert message.endswith(": the primary key is not a fernet key")
    assert raised(
        InvalidArgumentError, lambda: aes.encrypt("x", Cipher.NONE)
    ) == (
        Status.INVALID_ARGUMENT,
        "mailshield_encrypt: MAILSHIELD_CIPHER_NONE does not seal",
    )
    assert raised(CryptoError, lambda: fernet.decrypt("garbage")) == (
        Status.CRYPTO,
        "mailshield_decrypt: invalid fernet token",
    )
    assert raised(KeySetError, lambda: aes.decrypt("garbage"))[1] == (
        "mailshield_decrypt: invalid key: the key set holds no fernet key"
    )

    sealed = aes.encrypt("clear", message_id="id-1")
    assert raised(CryptoError, lambda: aes.decrypt(sealed, "id-2")) == (
        Status.CRYPTO,
        "mailshield_decrypt: invalid envelope: did not authenticate (wrong "
        "key, wrong message id or altered)",
    )


@pytest.mark.parametrize("which", ["fernet", "aes"])
def test_one_flipped_bit_does_not_open(which):
    keys = (
        KeySet.from_fernet_key(Fernet.generate_key())
        if which == "fernet"
        else KeySet.generate()
    )
    cipher = Cipher.FERNET if which == "fernet" else Cipher.AES_256_GCM
    sealed = keys.encrypt(b"attack at dawn", cipher, "m").encode()
    assert keys.decrypt(sealed, "m") == b"attack at dawn"
    # Flip one bit of each byte past the envelope's prefix, in turn.
    start = 0 if which == "fernet" else sealed.rindex(b":") + 1
    for i in range(start, len(sealed)):
        damaged = bytearray(sealed)
        damaged[i] ^= 0x01
        with pytest.raises((CryptoError, KeySetError)):
            keys.decrypt(bytes(damaged), "m")


def test_protect_needs_a_key_to_seal(engine):
    assert raised(
        KeySetError, lambda: engine.protect("SSN 536-90-1234")
    ) == (
        Status.KEY,
        "mailshield_protect: no key given: the level requires encryption",
    )
    assert raised(
        InvalidArgumentError,
        lambda: engine.protect("x", keys=KeySet.generate(), cipher=9),
    )[1] == "mailshield_protect: unknown cipher 9"
    with pytest.raises(ValueError):
        engine.protect("x", cipher=Cipher.NONE, level=7)


def test_state_errors():
    assert raised(StateError, lambda: Engine("seed").stream()) == (
        Status.STATE,
        "mailshield_stream_new: pack `seed` is one-shot: it scans whole "
        "bodies",
    )
    s = Engine().stream()
    s.feed("a")
    s.finish()
    assert raised(StateError, s.finish)[1] == (
        "mailshield_stream_finish: the stream is already finished"
    )
    assert raised(StateError, lambda: s.feed("b"))[1] == (
        "mailshield_stream_feed: the stream is already finished"
    )
    e = Engine()
    e.close()
    assert raised(StateError, lambda: e.scan("x")) == (
        Status.STATE,
        "the engine is closed",
    )
    assert raised(StateError, lambda: e.scan_batch(["x"]))[1] == (
        "the engine is closed"
    )
    assert raised(StateError, e.stream)[1] == "the engine is closed"


def test_messages_are_per_thread():
    # Each thread raises with its own call's message, although the
    # library keeps one last error per thread and all fail at once.
    barrier = threading.Barrier(4)
    seen = {}

    def fail(name):
        barrier.wait()
        for _ in range(50):
            try:
                Engine(name)
            except RulesError as e:
                seen.setdefault(name, set()).add(e.message)

    names = [f"missing-{i}" for i in range(4)]
    threads = [threading.Thread(target=fail, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {
        n: {
            f"mailshield_engine_new: builtin:{n}: no such built-in pack "
            "(default, seed)"
        }
        for n in names
    }


def test_every_status_has_its_class():
    classes = {
        Status.NULL_ARGUMENT: mailshield.NullArgumentError,
        Status.INVALID_ARGUMENT: InvalidArgumentError,
        Status.RULES: RulesError,
        Status.KEY: KeySetError,
        Status.CRYPTO: CryptoError,
        Status.STATE: StateError,
        Status.INTERNAL: mailshield.InternalError,
        Status.IO: mailshield.IoError,
    }
    assert set(classes) == set(Status) - {Status.OK}
    for status, cls in classes.items():
        e = error_for(int(status), "m")
        assert type(e) is cls and e.status is status and e.message == "m"
    e = error_for(99, "from a newer library")
    assert type(e) is MailshieldError
    assert (e.status, e.message) == (None, "status 99: from a newer library")


def test_a_path_with_a_nul_byte_is_refused_not_cut(tmp_path):
    # C would read the path up to the NUL: another file.
    (tmp_path / "keys").write_text("not a key set")
    with pytest.raises(ValueError) as e:
        mailshield.KeySet.load(tmp_path / "keys\0.toml")
    assert str(e.value) == "path: embedded null byte"
