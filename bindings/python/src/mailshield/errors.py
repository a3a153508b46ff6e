"""The exceptions of mailshield: one per status of the C ABI.

Every call into the library returns a numbered status; on anything but
``OK`` the binding reads the library's message for the calling thread and
raises the class of that status, carrying both. The messages come from the
library and never quote the scanned text or a key.

``MailshieldError`` is the base of them all. Two classes are also
``ValueError``s, because that is what they mean to a Python caller and
what code written for the guide's ``DataProtectionManager`` catches:
``InvalidArgumentError`` (an argument the library rejects) and
``KeySetError`` (a key that cannot be read or does not fit, as
``cryptography``'s ``Fernet`` raises ``ValueError`` for a bad key).
``LibraryError`` is the one error that has no status: the shared library
could not be found or loaded. ``IoError`` (a key store or audit log that
cannot be opened, read or written) is not an ``OSError``: the library
gives no ``errno``, only a message naming the file and the cause.
"""

from __future__ import annotations

import enum

__all__ = [
    "Status",
    "MailshieldError",
    "LibraryError",
    "NullArgumentError",
    "InvalidArgumentError",
    "RulesError",
    "KeySetError",
    "CryptoError",
    "StateError",
    "InternalError",
    "IoError",
]


class Status(enum.IntEnum):
    """The status codes of ``mailshield.h`` (``mailshield_status``)."""

    OK = 0
    NULL_ARGUMENT = 1
    INVALID_ARGUMENT = 2
    RULES = 3
    KEY = 4
    CRYPTO = 5
    STATE = 6
    INTERNAL = 7
    IO = 8


class MailshieldError(Exception):
    """A call into mailshield failed.

    ``status`` is the library's status (``None`` only for a
    ``LibraryError``) and ``message`` its message, which is also the text
    of the exception.
    """

    status: Status | None
    message: str

    def __init__(self, status: Status | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __reduce__(self):  # keep pickling (multiprocessing) working
        return (type(self), (self.status, self.message))


class LibraryError(MailshieldError):
    """The shared library could not be found, loaded or accepted.

    The message lists every place that was tried, and why each failed.
    """


class NullArgumentError(MailshieldError):
    """``NULL_ARGUMENT``: a required pointer was null (a binding bug)."""


class InvalidArgumentError(MailshieldError, ValueError):
    """``INVALID_ARGUMENT``: an argument is out of range or not UTF-8."""


class RulesError(MailshieldError):
    """``RULES``: a rule pack could not be found, parsed or compiled."""


class KeySetError(MailshieldError, ValueError):
    """``KEY``: a key could not be read, does not fit, or is missing."""


class CryptoError(MailshieldError):
    """``CRYPTO``: sealing failed, or a sealed value did not open.

    A wrong key, a wrong message id and a damaged token all give this
    error, on purpose without saying which.
    """


class StateError(MailshieldError):
    """``STATE``: a handle in the wrong state.

    The library raises it for a finished stream or a pack that cannot
    stream; the binding raises it too for a handle used after ``close``.
    """


class InternalError(MailshieldError):
    """``INTERNAL``: a bug inside mailshield; the call had no effect."""


class IoError(MailshieldError):
    """``IO``: a file or database of the adapters (the API key store, the
    audit log) could not be opened, read or written.

    For an audit append it means nothing was logged: the audited
    operation should fail too.
    """


_BY_STATUS: dict[Status, type[MailshieldError]] = {
    Status.NULL_ARGUMENT: NullArgumentError,
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.RULES: RulesError,
    Status.KEY: KeySetError,
    Status.CRYPTO: CryptoError,
    Status.STATE: StateError,
    Status.INTERNAL: InternalError,
    Status.IO: IoError,
}


def error_for(status: int, message: str) -> MailshieldError:
    """The exception for a failed call's status and message.

    A status this binding does not know (a newer library) still raises a
    ``MailshieldError``, with the number in the message.
    """
    try:
        known = Status(status)
    except ValueError:
        return MailshieldError(None, f"status {status}: {message}")
    return _BY_STATUS.get(known, MailshieldError)(known, message)


def closed(what: str) -> StateError:
    """The error for a handle used after it was closed."""
    return StateError(Status.STATE, f"the {what} is closed")
