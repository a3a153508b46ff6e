"""mailshield: a PII scanner for mail, over the library's C ABI.

The typed API::

    from mailshield import Engine

    engine = Engine(pack="default")
    result = engine.scan("Call (415) 555-0134 about card 4111 1111 1111 1111")
    for f in result.findings:
        print(f.type, f.start, f.end, f.masked)

``Engine`` compiles a rule pack once and is shared by all threads; its
``scan``, ``scan_message`` (raw RFC 5322 mail), ``scan_batch`` (many
messages, scanned in parallel inside the library), ``protect`` (redact
and seal) and ``stream`` (a message fed in pieces) release the GIL while
the library works. Offsets are code points for ``str`` input and bytes
for ``bytes`` input. Failures raise a ``MailshieldError`` subclass that
carries the library's status and message.

For host applications, ``ApiKeys`` checks the API keys that ``mailshield
keys create`` made, and ``AuditLog`` appends security events to the
hash-chained log that ``mailshield audit verify`` checks.

The drop-in for the guide's class::

    from mailshield import DataProtectionManager, DataClassification

The shared library is found through ``$MAILSHIELD_LIBRARY``, else a copy
inside this package, else the system's library path; it is loaded on
first use, and ``LibraryError`` lists every place tried when none works.
"""

from .apikeys import ApiKeys, KeyReason, KeyVerdict
from .audit import AuditLog
from .dropin import DataClassification, DataProtectionManager
from .engine import Engine, Stream
from .errors import (
    CryptoError,
    InternalError,
    InvalidArgumentError,
    IoError,
    KeySetError,
    LibraryError,
    MailshieldError,
    NullArgumentError,
    RulesError,
    StateError,
    Status,
)
from .keys import Cipher, KeySet
from .result import Field, Finding, Keyword, Level, Protected, ScanResult

__version__ = "0.1.0"


def library_version() -> str:
    """The version of the loaded library (loading it if needed)."""
    from ._native import library

    return library().version_text


def library_path() -> str:
    """The path (or name) the library was loaded from."""
    from ._native import library

    return library().path


__all__ = [
    "ApiKeys",
    "AuditLog",
    "Cipher",
    "CryptoError",
    "DataClassification",
    "DataProtectionManager",
    "Engine",
    "Field",
    "Finding",
    "InternalError",
    "InvalidArgumentError",
    "IoError",
    "KeyReason",
    "KeySet",
    "KeySetError",
    "KeyVerdict",
    "Keyword",
    "Level",
    "LibraryError",
    "MailshieldError",
    "NullArgumentError",
    "Protected",
    "RulesError",
    "ScanResult",
    "StateError",
    "Status",
    "Stream",
    "library_path",
    "library_version",
]
