"""API keys: checking the key a client of the host application presents.

``ApiKeys(store_path, keys)`` opens the SQLite key store that ``mailshield
keys create`` writes (creating an empty one when the file is absent).
Only a keyed hash of each secret is stored; the key, a pepper, is derived
from the ``KeySet``, as the command line derives it from ``--key-file``
or ``MAILSHIELD_KEY``. Give the set the keys were made with: under any
other set every key is ``FORGED``.

``check(key, source)`` answers with a ``KeyVerdict``: valid or not, and
why (``KeyReason``), with the owner and permissions of a valid key. A
refused key is an answer, not an exception. Failed secrets count per key
id and ``source`` (a client address or id): five in fifteen minutes lock
that pair for fifteen minutes (``LOCKED``), so someone who knows a key id
cannot lock its owner out from elsewhere.

A store is shared by any number of threads; each check releases the GIL
while the library hashes and reads the store.

Limits: keys are made and revoked with the command line (``mailshield
keys create`` and ``keys revoke``), which the C ABI does not offer; a
check is always made at the current time. The key passes through a
Python ``str``, which cannot be wiped.
"""

from __future__ import annotations

import enum
import json
import os
from ctypes import byref, c_int32, c_void_p
from typing import NamedTuple

from . import _native as n
from ._handle import Handle
from .errors import MailshieldError
from .keys import KeySet, to_bytes, to_path

__all__ = ["ApiKeys", "KeyReason", "KeyVerdict"]


class KeyReason(enum.StrEnum):
    """Why a key was accepted or refused (``MAILSHIELD_KEY_*``); the
    value is the verdict JSON's ``reason`` (``"valid"`` where it has
    none)."""

    #: The key is valid.
    VALID = "valid"
    #: Not a key of the ``eb_<id>_<secret>`` grammar, or no key has its id.
    UNKNOWN = "unknown"
    #: A known id with a wrong secret.
    FORGED = "forged"
    #: Past its expiry (90 days after it was made).
    EXPIRED = "expired"
    #: Revoked.
    REVOKED = "revoked"
    #: Locked for this source after failed secrets.
    LOCKED = "locked"


# Indexed by the ABI's MAILSHIELD_KEY_ values, 0 to 5.
_REASONS = tuple(KeyReason)


class KeyVerdict(NamedTuple):
    """The answer to one key check."""

    #: The key is accepted.
    valid: bool
    #: Why (``KeyReason.VALID`` when accepted).
    reason: KeyReason
    #: The key's owner when it is accepted; else None.
    user_id: str | None
    #: Its permissions when it is accepted; else empty.
    permissions: tuple[str, ...]


class ApiKeys(Handle):
    """The API key store at ``store_path``, peppered by ``keys``.

    Use it in ``with`` or ``close`` it; the key set may be closed once
    the store is open.

    Raises:
        ``IoError`` when the store cannot be opened or created (the
        message names the path); ``InvalidArgumentError`` for a path that
        is not UTF-8; ``ValueError`` for one with a NUL byte; ``TypeError``
        when ``keys`` is not a ``KeySet``.
    """

    __slots__ = ("_lib",)
    _what = "key store"

    def __init__(
        self, store_path: str | os.PathLike[str], keys: KeySet
    ) -> None:
        if not isinstance(keys, KeySet):
            name = type(keys).__name__
            raise TypeError(f"keys must be a KeySet, not {name}")
        raw = to_path(store_path, "store_path")
        lib = n.library()
        out = c_void_p()
        ptr = keys._acquire()
        try:
            lib.check(lib.apikeys_open(raw, ptr, byref(out)))
        finally:
            keys._release()
        super().__init__(out.value or 0, lib.apikeys_free)
        self._lib = lib

    def check(self, key: str | bytes, source: str) -> KeyVerdict:
        """Checks ``key`` presented from ``source`` now.

        A valid key's use is counted in the store; a wrong secret counts
        as a failure for its id and ``source``. Anything that is not a
        key (empty, not UTF-8, another format) is ``UNKNOWN``.

        Raises:
            ``IoError`` when the store cannot be read or written;
            ``ValueError`` for a ``source`` with a NUL byte; ``StateError``
            after ``close``.
        """
        data = to_bytes(key, "key")
        where = to_bytes(source, "source")
        if b"\0" in where:
            raise ValueError("source: embedded null byte")
        lib = self._lib
        reason = c_int32(-1)
        verdict = c_void_p()
        ptr = self._acquire()
        try:
            status = lib.apikeys_check(
                ptr, data, len(data), where, byref(reason), byref(verdict)
            )
            lib.check(status)
        finally:
            self._release()
        try:
            text = _buffer_text(lib, verdict.value)
        finally:
            lib.buffer_free(verdict)
        return _verdict(reason.value, text)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<mailshield.ApiKeys {state}>"


def _buffer_text(lib: n.Library, buffer: int) -> bytes:
    """The bytes of a library buffer (not freed here)."""
    view = n.Bytes()
    lib.check(lib.buffer_data(buffer, byref(view)))
    ptr, length = n.TEXT.unpack_from(view)
    return n.string_at(ptr, length)


def _verdict(code: int, text: bytes) -> KeyVerdict:
    """The verdict of a check from its reason code and its JSON.

    Raises:
        ``MailshieldError`` for a code this binding does not know (a
        newer library).
    """
    if not 0 <= code < len(_REASONS):
        raise MailshieldError(None, f"unknown key verdict {code}")
    reason = _REASONS[code]
    fields = json.loads(text)
    return KeyVerdict(
        valid=reason is KeyReason.VALID,
        reason=reason,
        user_id=fields["user_id"],
        permissions=tuple(fields["permissions"]),
    )
