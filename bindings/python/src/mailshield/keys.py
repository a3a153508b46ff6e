"""Key sets: the keys that seal protected bodies and open them again.

A ``KeySet`` is a handle to keys held by the library; the key bytes never
enter Python objects (beyond the Fernet key text the caller passes in)
and are wiped by the library when the set is closed. ``repr`` shows no
key. One set may be used by many threads at once.

Sealing is either an ``ms1:`` AES-256-GCM envelope bound to a message id
(the default, ``Cipher.AES_256_GCM``), or a Fernet token
(``Cipher.FERNET``), which binds no id and which Python's
``cryptography.fernet.Fernet`` reads and writes. A Fernet token needs a
Fernet key: ``KeySet.from_fernet_key``. Fernet tokens are opened without a
time-to-live check.
"""

from __future__ import annotations

import enum
import os
from ctypes import byref, c_void_p

from . import _native as n
from ._handle import Handle

__all__ = ["Cipher", "KeySet"]


class Cipher(enum.IntEnum):
    """How a protected body is sealed (``MAILSHIELD_CIPHER_*``)."""

    #: ``ms1:`` envelopes: AES-256-GCM, bound to the message id.
    AES_256_GCM = n.CIPHER_AES_256_GCM
    #: Fernet tokens, readable by Python's ``cryptography``.
    FERNET = n.CIPHER_FERNET
    #: No sealing: the redacted body only, in clear.
    NONE = n.CIPHER_NONE


def to_bytes(value: str | bytes, what: str) -> bytes:
    """UTF-8 bytes of a ``str``, or the bytes of a bytes-like value."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")


def to_path(path: str | os.PathLike[str], what: str) -> bytes:
    """A path as the library takes it: bytes without a NUL.

    Raises:
        ``ValueError`` for a path with a NUL byte, where C would cut it.
    """
    raw = os.fsencode(path)
    if b"\0" in raw:
        raise ValueError(f"{what}: embedded null byte")
    return raw


class KeySet(Handle):
    """Keys for sealing and opening, held by the library.

    Make one with ``generate``, ``from_fernet_key`` or ``load``; close it
    (or use ``with``) to wipe the keys at once rather than at garbage
    collection.
    """

    __slots__ = ("_lib",)
    _what = "key set"

    def __init__(self, *args: object) -> None:
        raise TypeError(
            "use KeySet.generate(), KeySet.from_fernet_key() or "
            "KeySet.load()"
        )

    @classmethod
    def _made(cls, make) -> KeySet:
        lib = n.library()
        out = c_void_p()
        lib.check(make(lib, byref(out)))
        keys = object.__new__(cls)
        Handle.__init__(keys, out.value or 0, lib.keyset_free)
        keys._lib = lib
        return keys

    @classmethod
    def generate(cls) -> KeySet:
        """A new set with one fresh AES-256-GCM key.

        Raises:
            ``KeySetError`` or ``CryptoError`` when the system's random
            generator fails.
        """
        return cls._made(lambda lib, out: lib.keyset_generate(out))

    @classmethod
    def from_fernet_key(cls, key: str | bytes) -> KeySet:
        """A set holding one Fernet key, as ``Fernet.generate_key()``
        gives it (URL-safe base64 of 32 bytes).

        Raises:
            ``KeySetError`` (a ``ValueError``) when it is not such a key; the
            message does not quote it.
        """
        data = to_bytes(key, "key")
        return cls._made(
            lambda lib, out: lib.keyset_from_fernet_key(data, len(data), out)
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KeySet:
        """Loads a key-set file, as ``mailshield keygen`` writes it.

        Raises:
            ``KeySetError`` when the file cannot be read or is not a key set
            (the message names the path, never a key); ``ValueError`` for a
            path with a NUL byte.
        """
        raw = to_path(path, "path")
        return cls._made(lambda lib, out: lib.keyset_load(raw, out))

    def encrypt(
        self,
        data: str | bytes,
        cipher: Cipher = Cipher.AES_256_GCM,
        message_id: str | bytes = b"",
    ) -> str:
        """Seals ``data`` on its own (no scan): an ``ms1:`` envelope bound
        to ``message_id``, or a Fernet token, which binds no id.

        Raises:
            ``InvalidArgumentError`` for ``Cipher.NONE``; ``KeySetError`` when
            the set has no key for the cipher (Fernet needs a Fernet key);
            ``CryptoError`` when the random generator fails.
        """
        clear = to_bytes(data, "data")
        mid = to_bytes(message_id, "message_id")
        return self._buffer(
            lambda lib, ptr, out: lib.encrypt(
                ptr, clear, len(clear), int(cipher), mid, len(mid), out
            )
        ).decode("ascii")

    def decrypt(
        self, sealed: str | bytes, message_id: str | bytes = b""
    ) -> bytes:
        """Opens an ``ms1:`` envelope (bound to ``message_id``: the
        result's id when ``Engine.protect`` sealed it) or a Fernet token.

        Raises:
            ``KeySetError`` when the set holds no key for it; ``CryptoError``
            when it does not open: a wrong key or id, or a damaged value
            (which of these is deliberately not said).
        """
        data = to_bytes(sealed, "sealed")
        mid = to_bytes(message_id, "message_id")
        return self._buffer(
            lambda lib, ptr, out: lib.decrypt(
                ptr, data, len(data), mid, len(mid), out
            )
        )

    def _buffer(self, call) -> bytes:
        """Runs a call that makes a buffer; its bytes, the buffer freed."""
        lib = self._lib
        out = c_void_p()
        ptr = self._acquire()
        try:
            lib.check(call(lib, ptr, byref(out)))
        finally:
            self._release()
        try:
            view = n.Bytes()
            lib.check(lib.buffer_data(out, byref(view)))
            address, length = n.TEXT.unpack_from(view)
            return n.string_at(address, length)
        finally:
            lib.buffer_free(out)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<mailshield.KeySet {state}>"
