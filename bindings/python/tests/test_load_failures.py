"""A library built for another machine (HOSTILE-INPUTS case 72).

Only x86-64 is built here, so the foreign libraries are ELF headers made
by hand: enough for the dynamic loader to refuse them as it refuses a
real one. For a 64-bit library of another machine its own message is
"No such file or directory", for a file that is there; the binding reads
the header and names both machines instead.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

import mailshield
from mailshield import LibraryError, _native

X86, X86_64, AARCH64 = 3, 62, 183
HINT = (
    "set MAILSHIELD_LIBRARY to the path of libmailshield.so (built by "
    "`cargo build --release --lib`)"
)


def elf_header(bits: int, machine: int) -> bytes:
    """A little-endian shared object's ELF header (no segments), padded
    to a page."""
    ident = b"\x7fELF" + bytes([bits // 32, 1, 1, 0]) + bytes(8)
    if bits == 64:
        rest = struct.pack(
            "<HHIQQQIHHHHHH", 3, machine, 1, 0, 64, 0, 0, 64, 56, 0, 64, 0, 0
        )
    else:
        rest = struct.pack(
            "<HHIIIIIHHHHHH", 3, machine, 1, 0, 52, 0, 0, 52, 32, 0, 40, 0, 0
        )
    return (ident + rest).ljust(4096, b"\0")


@pytest.fixture(autouse=True)
def x86_64_only() -> None:
    if _native.elf_target(sys.executable) != (64, X86_64):
        pytest.skip("the expected messages are an x86-64 Python's")


@pytest.mark.parametrize(
    ("bits", "machine", "named"),
    [(32, X86, "x86 (32-bit)"), (64, AARCH64, "AArch64 (64-bit)")],
)
def test_a_library_of_another_machine_is_named(
    tmp_path: Path, bits: int, machine: int, named: str
) -> None:
    lib = tmp_path / "libmailshield.so"
    lib.write_bytes(elf_header(bits, machine))
    assert _native.elf_target(str(lib)) == (bits, machine)
    with pytest.raises(LibraryError) as info:
        _native.open_library([("$MAILSHIELD_LIBRARY", str(lib))])
    assert info.value.status is None
    assert info.value.message == (
        "cannot load the mailshield library; tried:\n"
        f"  $MAILSHIELD_LIBRARY: {lib}: a library built for {named}, but "
        "this Python runs on x86-64 (64-bit)\n" + HINT
    )


def test_the_library_under_test_is_this_machines() -> None:
    path = mailshield.library_path()
    assert _native.elf_target(path) == (64, X86_64)
    assert _native._wrong_target(path) is None


def test_a_file_that_is_not_elf_keeps_the_loaders_reason(
    tmp_path: Path,
) -> None:
    lib = tmp_path / "libmailshield.so"
    lib.write_bytes(b"MZ" + bytes(4094))
    assert _native.elf_target(str(lib)) is None
    with pytest.raises(LibraryError) as info:
        _native.open_library([("the package directory", str(lib))])
    assert info.value.message.splitlines()[1] == (
        f"  the package directory: {lib}: invalid ELF header"
    )
