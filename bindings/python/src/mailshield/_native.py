"""The C ABI as ctypes sees it: the loader, the structs, the functions.

Nothing here is public. The rest of the package calls the library only
through the ``Library`` object that ``library()`` returns, whose functions
all have declared argument and return types.

Finding the library, in this order (the first that exists is used):

1. the path in the environment variable ``MAILSHIELD_LIBRARY``; when it is
   set, it is the only place tried, so that a wrong path is an error
   instead of a silent fallback to some other copy;
2. a copy inside the package directory (``libmailshield.so``, or the
   ``.dylib`` / ``.dll`` names on other systems), as a wheel that bundles
   the library has it;
3. the system's search path: ``ctypes.util.find_library("mailshield")``,
   then the plain name ``libmailshield.so`` for the dynamic loader.

When none loads, ``LibraryError`` lists every place tried and why each
failed. The library's ``mailshield_abi_version()`` must then be the
``MAILSHIELD_ABI_VERSION`` this binding was written for.

Two ctypes views of the one library are kept. Calls that scan, seal or
compile go through ``ctypes.CDLL``, which releases the GIL for the
length of the call, so that other Python threads run while the library
works. Accessors that only read a few words out of a result go through
``ctypes.PyDLL``, which keeps the GIL: they take nanoseconds, and
releasing and taking back the GIL would cost more than the call itself.

PERF: results are read without ctypes field access: the library's
structs are unpacked with ``struct`` formats (checked against the ctypes
structures below when this module is imported) straight out of
``MEMORY``, a ``memoryview`` of the process's address space, so that a
text costs one slice (about 0.1 microsecond) instead of a
``ctypes.string_at`` call (0.2-0.3); ``bench/bench_batch.py`` measures
it. N.B. like ``string_at``, ``MEMORY`` reads whatever an address holds:
only addresses the library gave, while their owner lives, may index it.

Limits: 64-bit platforms only (the layout checks fail on import
elsewhere).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
import sys
import threading
from array import array
from ctypes import (
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_double,
    c_int,
    c_int32,
    c_size_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path

from .errors import LibraryError, error_for

ENV_VAR = "MAILSHIELD_LIBRARY"

# The MAILSHIELD_ABI_VERSION of the header this binding follows.
ABI_VERSION = 1

# The names of a copy bundled inside the package, per system.
PACKAGED_NAMES = ("libmailshield.so", "libmailshield.dylib", "mailshield.dll")

INPUT_TEXT = 0
INPUT_MESSAGE = 1
# A JSONL record; a library from before it refuses it as an unknown
# kind (INVALID_ARGUMENT), which the ABI version does not tell apart.
INPUT_RECORD = 2

LEVEL_PUBLIC = 0
LEVEL_INTERNAL = 1
LEVEL_CONFIDENTIAL = 2
LEVEL_RESTRICTED = 3

CIPHER_AES_256_GCM = 0
CIPHER_FERNET = 1
CIPHER_NONE = 2


# The structs of mailshield.h, field for field.


class Bytes(Structure):
    """``mailshield_bytes``."""

    _fields_ = [("ptr", POINTER(c_uint8)), ("len", c_size_t)]


class Text(Structure):
    """``mailshield_text``."""

    _fields_ = [("ptr", c_char_p), ("len", c_size_t)]


class ProtectOptions(Structure):
    """``mailshield_protect_options``."""

    _fields_ = [
        ("cipher", c_uint32),
        ("message_id", Bytes),
        ("use_level", c_bool),
        ("level", c_int32),
    ]


class Summary(Structure):
    """``mailshield_summary``."""

    _fields_ = [
        ("level", c_int32),
        ("classification", Text),
        ("confidence", c_double),
        ("complete", c_bool),
        ("id", Text),
    ]


class Offsets(Structure):
    """``mailshield_offsets``."""

    _fields_ = [
        ("start", c_size_t),
        ("end", c_size_t),
        ("start_char", c_size_t),
        ("end_char", c_size_t),
        ("start_utf16", c_size_t),
        ("end_utf16", c_size_t),
    ]


class FindingView(Structure):
    """``mailshield_finding``."""

    _fields_ = [
        ("entity_type", Text),
        ("entity", c_uint32),
        ("field", c_uint32),
        ("span", Offsets),
        ("score", c_double),
        ("validated", c_bool),
        ("masked", Text),
    ]


class KeywordView(Structure):
    """``mailshield_keyword``."""

    _fields_ = [
        ("keyword", Text),
        ("field", c_uint32),
        ("span", Offsets),
        ("in_footer", c_bool),
    ]


class FieldView(Structure):
    """``mailshield_field``."""

    _fields_ = [("name", Text), ("text", Bytes)]


class ResultView(Structure):
    """``mailshield_result_view``: the summary, then each list as a
    pointer and a count."""

    _fields_ = [
        ("summary", Summary),
        ("findings", c_void_p),
        ("findings_len", c_size_t),
        ("keywords", c_void_p),
        ("keywords_len", c_size_t),
        ("fields", c_void_p),
        ("fields_len", c_size_t),
        ("risk_factors", c_void_p),
        ("risk_factors_len", c_size_t),
        ("recommended_actions", c_void_p),
        ("recommended_actions_len", c_size_t),
        ("warnings", c_void_p),
        ("warnings_len", c_size_t),
        ("errors", c_void_p),
        ("errors_len", c_size_t),
    ]


class ProtectedView(Structure):
    """``mailshield_protected``."""

    _fields_ = [
        ("body", Bytes),
        ("sealed", Text),
        ("subject", Bytes),
        ("log", POINTER(Text)),
        ("log_len", c_size_t),
    ]


# The array typecode of size_t, for building arrays of mailshield_bytes
# (a pointer and a size_t, which have the same size on every platform
# this runs on: checked below).
SIZE_T = next(c for c in "QLI" if array(c).itemsize == ctypes.sizeof(c_size_t))

# The same layouts as struct formats, for reading whole arrays at once.
# A finding: type (ptr, len), entity, field, six offsets, score,
# validated, masked (ptr, len).
FINDING = struct.Struct("@PNIINNNNNNd?PN")
# A keyword: keyword (ptr, len), field, six offsets, in_footer; the
# trailing "0N" pads the size to the struct's alignment.
KEYWORD = struct.Struct("@PNINNNNNN?0N")
# A text, and a field: name (ptr, len), text (ptr, len).
TEXT = struct.Struct("@PN")
_texts = TEXT.iter_unpack
FIELD = struct.Struct("@PNPN")
# A summary: level, classification (ptr, len), confidence, complete,
# id (ptr, len).
SUMMARY = struct.Struct("@iPNd?PN")
# A protected copy: body, sealed, subject (each ptr, len), log, log_len.
PROTECTED = struct.Struct("@PNPNPNPN")
# A result view: the summary, then findings, keywords, fields, risk
# factors, recommended actions, warnings, errors (each ptr, count).
RESULT_VIEW = struct.Struct("@iPNd?PN" + "PN" * 7)

# The process's memory, read-only, for reading the library's structs and
# texts by address (see the module's PERF note). A ctypes array at
# address 0 as long as a Python sequence can be: nothing is allocated or
# copied.
MEMORY = (
    memoryview((ctypes.c_char * sys.maxsize).from_address(0))
    .cast("B")
    .toreadonly()
)


def _check_layouts() -> None:
    """Fails loudly if a struct format drifted from its ctypes struct."""
    pairs = [
        (FINDING, FindingView),
        (KEYWORD, KeywordView),
        (TEXT, Text),
        (FIELD, FieldView),
        (SUMMARY, Summary),
        (PROTECTED, ProtectedView),
        (RESULT_VIEW, ResultView),
        (TEXT, Bytes),
    ]
    for fmt, cls in pairs:
        if fmt.size != ctypes.sizeof(cls):
            raise AssertionError(f"{cls.__name__}: struct format size")
    assert ctypes.sizeof(c_void_p) == ctypes.sizeof(c_size_t)
    # N.B. offsets of the fields read from the formats, by position.
    assert FindingView.masked.offset == 88 == FINDING.size - 16
    assert FindingView.validated.offset == 80
    assert KeywordView.in_footer.offset == 72
    assert Summary.id.offset == 40 and Summary.complete.offset == 32
    assert ResultView.findings.offset == ctypes.sizeof(Summary) == 56
    assert ResultView.errors_len.offset == RESULT_VIEW.size - 8
    # The memory window reads what ctypes reads.
    probe = ctypes.create_string_buffer(b"mailshield")
    at = ctypes.addressof(probe)
    assert bytes(MEMORY[at : at + 10]) == ctypes.string_at(at, 10)


_check_layouts()


def candidates(
    environ: dict[str, str] | os._Environ[str],
    package_dir: Path,
) -> list[tuple[str, str]]:
    """The places to try, in order: ``(where, path or name)`` pairs; an
    empty path is a place that found nothing."""
    given = environ.get(ENV_VAR)
    if given:
        return [(f"${ENV_VAR}", given)]
    places = []
    for name in PACKAGED_NAMES:
        path = package_dir / name
        if path.exists():
            places.append(("the package directory", str(path)))
    if not places:
        places.append(
            ("the package directory", str(package_dir / PACKAGED_NAMES[0]))
        )
    found = ctypes.util.find_library("mailshield") or ""
    places.append(("ctypes.util.find_library('mailshield')", found))
    places.append(("the system's library path", "libmailshield.so"))
    return places


def open_library(places: list[tuple[str, str]]) -> tuple[str, ctypes.CDLL]:
    """Loads the first place that loads, or raises ``LibraryError``.

    The error names every place with the reason it failed.
    """
    failures = []
    for where, path in places:
        if not path:
            failures.append(f"  {where}: nothing found")
            continue
        # A path that is not there gives a clearer reason than dlopen's.
        is_path = os.sep in path or path.startswith(".")
        if is_path and not os.path.exists(path):
            failures.append(f"  {where}: {path}: no such file")
            continue
        try:
            return path, ctypes.CDLL(path)
        except OSError as e:
            # dlopen's message starts with the path already; for a library
            # built for another machine it is "No such file or directory".
            reason = str(e).removeprefix(f"{path}: ")
            if is_path:
                reason = _wrong_target(path) or reason
            failures.append(f"  {where}: {path}: {reason}")
    tried = "\n".join(failures)
    hint = (
        f"set {ENV_VAR} to the path of libmailshield.so (built by "
        "`cargo build --release --lib`)"
    )
    raise LibraryError(
        None,
        f"cannot load the mailshield library; tried:\n{tried}\n{hint}",
    )


# ELF machine numbers (e_machine) by name, for the loader's messages.
ELF_MACHINES = {
    3: "x86",
    8: "MIPS",
    20: "PowerPC",
    21: "PowerPC64",
    22: "s390x",
    40: "ARM",
    62: "x86-64",
    183: "AArch64",
    243: "RISC-V",
}


def elf_target(path: str) -> tuple[int, int] | None:
    """The word size (32 or 64) and machine number of an ELF file; None
    for a file that is not ELF or cannot be read."""
    try:
        with open(path, "rb") as f:
            head = f.read(20)
    except OSError:
        return None
    if len(head) < 20 or head[:4] != b"\x7fELF" or head[4] not in (1, 2):
        return None
    order = "<" if head[5] == 1 else ">"
    (machine,) = struct.unpack_from(order + "H", head, 18)
    return 32 * head[4], machine


def _wrong_target(path: str) -> str | None:
    """Why ``path`` cannot load here when it is an ELF library built for
    another word size or machine than this Python; else None."""
    theirs = elf_target(path)
    ours = elf_target(sys.executable) or elf_target("/proc/self/exe")
    if theirs is None or ours is None or theirs == ours:
        return None

    def name(target: tuple[int, int]) -> str:
        bits, machine = target
        arch = ELF_MACHINES.get(machine, f"ELF machine {machine}")
        return f"{arch} ({bits}-bit)"

    return (
        f"a library built for {name(theirs)}, but this Python runs on "
        f"{name(ours)}"
    )


def _declare(fn, restype, *argtypes):
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


P = POINTER
VOIDP = c_void_p
STATUS = c_int


class Library:
    """The loaded library: its path, version and declared functions.

    Names drop the ``mailshield_`` prefix: ``lib.scan`` is
    ``mailshield_scan``.
    """

    def __init__(self, path: str, cdll: ctypes.CDLL) -> None:
        self.path = path
        _accept_abi(path, cdll)
        # Calls that work release the GIL; accessors keep it (see above).
        slow = cdll
        fast = ctypes.PyDLL(path)

        def d(dll, name, restype, *argtypes):
            fn = _symbol(path, dll, "mailshield_" + name)
            setattr(self, name, _declare(fn, restype, *argtypes))

        d(fast, "last_error", c_char_p)
        d(fast, "version", c_char_p)

        # Engines and key sets.
        d(slow, "engine_new", STATUS, c_char_p, P(VOIDP))
        d(slow, "engine_from_toml", STATUS, c_char_p, c_size_t, P(VOIDP))
        d(fast, "engine_entities", STATUS, VOIDP, P(VOIDP), P(c_size_t))
        d(
            fast,
            "engine_entity_order",
            STATUS,
            VOIDP,
            P(VOIDP),
            P(c_size_t),
        )
        d(slow, "engine_free", None, VOIDP)
        d(slow, "keyset_generate", STATUS, P(VOIDP))
        d(
            slow,
            "keyset_from_fernet_key",
            STATUS,
            c_char_p,
            c_size_t,
            P(VOIDP),
        )
        d(slow, "keyset_load", STATUS, c_char_p, P(VOIDP))
        d(slow, "keyset_free", None, VOIDP)

        # Scanning and protecting.
        d(slow, "scan", STATUS, VOIDP, c_char_p, c_size_t, c_uint32, P(VOIDP))
        d(
            slow,
            "protect",
            STATUS,
            VOIDP,
            VOIDP,
            c_char_p,
            c_size_t,
            c_uint32,
            P(ProtectOptions),
            P(VOIDP),
        )
        d(
            slow,
            "scan_batch",
            STATUS,
            VOIDP,
            P(Bytes),
            c_size_t,
            c_uint32,
            P(VOIDP),
        )
        d(
            slow,
            "scan_batch_start",
            STATUS,
            VOIDP,
            P(Bytes),
            c_size_t,
            c_uint32,
            c_size_t,
            P(VOIDP),
        )
        d(slow, "pending_wait", STATUS, VOIDP, P(VOIDP))
        d(slow, "pending_free", None, VOIDP)
        d(fast, "batch_len", STATUS, VOIDP, P(c_size_t))
        d(fast, "batch_get", STATUS, VOIDP, c_size_t, VOIDP)
        d(slow, "batch_free", None, VOIDP)

        # Reading a result.
        # N.B. out-pointers of the calls on the read path are declared
        # `void *` and given as plain addresses (`ctypes.addressof` of an
        # object the reader keeps): converting a `byref` through a
        # `POINTER` argtype costs more than the call itself.
        d(fast, "result_read", STATUS, VOIDP, VOIDP)
        d(fast, "result_json", STATUS, VOIDP, VOIDP)
        d(fast, "result_protected", STATUS, VOIDP, P(ProtectedView))
        d(fast, "result_free", None, VOIDP)

        # Streams.
        d(slow, "stream_new", STATUS, VOIDP, P(VOIDP))
        d(slow, "stream_feed", STATUS, VOIDP, c_char_p, c_size_t)
        d(slow, "stream_finish", STATUS, VOIDP, P(VOIDP))
        d(slow, "stream_free", None, VOIDP)

        # Sealing on its own.
        d(
            slow,
            "encrypt",
            STATUS,
            VOIDP,
            c_char_p,
            c_size_t,
            c_uint32,
            c_char_p,
            c_size_t,
            P(VOIDP),
        )
        d(
            slow,
            "decrypt",
            STATUS,
            VOIDP,
            c_char_p,
            c_size_t,
            c_char_p,
            c_size_t,
            P(VOIDP),
        )
        d(fast, "buffer_data", STATUS, VOIDP, P(Bytes))
        d(slow, "buffer_free", None, VOIDP)

        # The adapters: API keys and the audit log. All touch files.
        d(slow, "apikeys_open", STATUS, c_char_p, VOIDP, P(VOIDP))
        d(
            slow,
            "apikeys_check",
            STATUS,
            VOIDP,
            c_char_p,
            c_size_t,
            c_char_p,
            P(c_int32),
            P(VOIDP),
        )
        d(slow, "apikeys_free", None, VOIDP)
        d(slow, "audit_open", STATUS, c_char_p, VOIDP, VOIDP, P(VOIDP))
        d(
            slow,
            "audit_append",
            STATUS,
            VOIDP,
            c_char_p,
            c_size_t,
            P(c_uint64),
        )
        d(slow, "audit_checkpoint", STATUS, VOIDP)
        d(slow, "audit_free", None, VOIDP)

        self.version_text = self.version().decode("utf-8", "replace")

    def check(self, status: int) -> None:
        """Raises the error of a failed call; nothing for ``OK``.

        Must run on the thread that made the call (the message is
        per thread), right after it.
        """
        if status != 0:
            message = self.last_error().decode("utf-8", "replace")
            raise error_for(status, message)


def _symbol(path: str, dll: ctypes.CDLL, name: str):
    """The function ``name`` of the library.

    Raises:
        ``LibraryError`` when the library lacks it: one built before the
        function was added, whose ABI version is still the same.
    """
    try:
        return getattr(dll, name)
    except AttributeError:
        raise LibraryError(
            None,
            f"{path}: no {name} (a library older than this binding; "
            "rebuild it)",
        ) from None


def _accept_abi(path: str, cdll: ctypes.CDLL) -> None:
    """Refuses a library whose ABI is not the one declared here."""
    try:
        fn = cdll.mailshield_abi_version
    except AttributeError:
        found = "no mailshield_abi_version (a library older than ABI 1)"
    else:
        fn.restype, fn.argtypes = c_uint32, []
        version = fn()
        if version == ABI_VERSION:
            return
        found = f"ABI version {version}"
    raise LibraryError(
        None,
        f"{path}: {found}, but this binding speaks ABI version "
        f"{ABI_VERSION}",
    )


_lock = threading.Lock()
_loaded: Library | None = None


def library() -> Library:
    """The library, loaded on first use (thread-safe).

    Raises:
        ``LibraryError`` when no place loads, or its ABI version differs.
    """
    global _loaded
    lib = _loaded
    if lib is not None:
        return lib
    with _lock:
        if _loaded is None:
            places = candidates(os.environ, Path(__file__).parent)
            path, cdll = open_library(places)
            _loaded = Library(path, cdll)
        return _loaded


def string_at(ptr: int, length: int) -> bytes:
    """The ``length`` bytes at ``ptr``; empty for a null pointer."""
    if not ptr:
        return b""
    return bytes(MEMORY[ptr : ptr + length])


def texts_at(ptr: int, count: int) -> tuple[str, ...]:
    """The ``count`` texts (``mailshield_text``) of an array at ``ptr``.

    Raises:
        ``UnicodeDecodeError`` if one is not UTF-8 (a library bug).
    """
    memory = MEMORY
    out = []
    for p, k in _texts(memory[ptr : ptr + count * TEXT.size]):
        out.append(str(memory[p : p + k], "utf-8"))
    return tuple(out)


def uint32s_at(ptr: int, count: int) -> list[int]:
    """The ``count`` ``uint32_t`` of an array at ``ptr``."""
    if not count:
        return []
    return list((c_uint32 * count).from_address(ptr))


def address_of(data: bytes) -> int:
    """The address of the buffer of a ``bytes`` object (no copy).

    Valid while ``data`` is alive and referenced.
    """
    return ctypes.cast(c_char_p(data), c_void_p).value or 0
