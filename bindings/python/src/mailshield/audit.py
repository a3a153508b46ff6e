"""The audit log: security events appended to a hash-chained file.

``AuditLog(path, keys, engine)`` opens the JSON Lines log that
``mailshield audit log`` writes and ``mailshield audit verify`` checks
(creating it when absent). Each line carries the SHA-256 of the line
before it; checkpoints, keyed by a key derived from the ``KeySet`` as the
command line derives it from ``--key-file`` or ``MAILSHIELD_KEY``, seal
the chain so far and are copied to the head file ``<path>.head``. A
checkpoint is written every 1,000 events, by ``checkpoint()`` and at
``close()``.

``append(event)`` takes the event as a ``dict``, serialised to JSON:

- ``event_type`` (str, required);
- optional ``event_id`` (str; default a fresh UUID-shaped id),
  ``timestamp`` (str, RFC 3339; default now), ``user_id``, ``resource``,
  ``source_ip``, ``user_agent``, ``session_id`` (str), ``details`` (a
  dict), ``risk_level`` (``"low"``, the default, ``"medium"``, ``"high"``
  or ``"critical"``).

Every string in ``details`` is scanned by ``engine`` (None: the
built-in ``default`` pack) and its findings replaced by placeholders
(``[EMAIL_REDACTED]``) before the line is written, so no value from a
message reaches the log; the other fields are written as given. When ``append`` returns, the line is on disk.

A log is shared by any number of threads (appends are serialised into
one chain); each call releases the GIL while the library writes.

Limits: one process writes a log at a time: a second writer (another
``AuditLog`` on the same file, or ``mailshield audit log`` while this one
is open) forks the chain, which ``audit verify`` reports. A log whose
last line was torn by a crash does not open until repaired by hand. The
final checkpoint of ``close()`` cannot report a failure (the C ABI's
``mailshield_audit_free`` returns nothing); ``checkpoint()`` first shows
whether the file is writable, at the cost of one more checkpoint line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from ctypes import byref, c_uint64, c_void_p

from . import _native as n
from ._handle import Handle
from .engine import Engine
from .keys import KeySet, to_path

__all__ = ["AuditLog"]


class AuditLog(Handle):
    """The audit log at ``path``, checkpointed under ``keys``, details
    redacted by ``engine`` (None: the built-in ``default`` pack).

    The key set and engine may be closed once the log is open (the log
    keeps what it needs). Use it in ``with`` or ``close`` it.

    Raises:
        ``IoError`` when the log cannot be opened or created, or its last
        line is not an entry (the message names the path);
        ``InvalidArgumentError`` for a path that is not UTF-8;
        ``ValueError`` for one with a NUL byte; ``TypeError`` for a
        ``keys`` or ``engine`` of another type.
    """

    __slots__ = ("_lib",)
    _what = "audit log"

    def __init__(
        self,
        path: str | os.PathLike[str],
        keys: KeySet,
        engine: Engine | None = None,
    ) -> None:
        if not isinstance(keys, KeySet):
            name = type(keys).__name__
            raise TypeError(f"keys must be a KeySet, not {name}")
        if engine is not None and not isinstance(engine, Engine):
            name = type(engine).__name__
            raise TypeError(f"engine must be an Engine or None, not {name}")
        raw = to_path(path, "path")
        lib = n.library()
        out = c_void_p()
        key_ptr = keys._acquire()
        try:
            engine_ptr = engine._acquire() if engine is not None else None
            try:
                lib.check(lib.audit_open(raw, key_ptr, engine_ptr, byref(out)))
            finally:
                if engine is not None:
                    engine._release()
        finally:
            keys._release()
        super().__init__(out.value or 0, lib.audit_free)
        self._lib = lib

    def append(self, event: Mapping[str, object]) -> int:
        """Appends one event and returns its line number (``seq``, which
        counts checkpoint lines too); the line is on disk on return.

        Raises:
            ``InvalidArgumentError`` (a ``ValueError``) when the event is
            not one: no ``event_type``, an unknown field, a field of the
            wrong type, a ``timestamp`` that is not RFC 3339 (the message
            names the field at most, never a value); ``TypeError`` for an
            event that is not a mapping or holds a value JSON cannot
            encode; ``IoError`` when the write fails: then nothing was
            logged, and the audited operation should fail too;
            ``StateError`` after ``close``.
        """
        if not isinstance(event, Mapping):
            name = type(event).__name__
            raise TypeError(f"an event must be a mapping, not {name}")
        data = json.dumps(
            dict(event), ensure_ascii=False, allow_nan=False
        ).encode()
        lib = self._lib
        seq = c_uint64()
        ptr = self._acquire()
        try:
            lib.check(lib.audit_append(ptr, data, len(data), byref(seq)))
        finally:
            self._release()
        return seq.value

    def checkpoint(self) -> None:
        """Writes a checkpoint now (a line, and the head file), sealing
        what was appended so far.

        Raises:
            ``IoError`` when the write fails; ``StateError`` after
            ``close``.
        """
        lib = self._lib
        ptr = self._acquire()
        try:
            lib.check(lib.audit_checkpoint(ptr))
        finally:
            self._release()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<mailshield.AuditLog {state}>"
