"""Finding the library: the order of places, and the error naming them."""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mailshield
from mailshield import LibraryError, _native

PACKAGE = Path(mailshield.__file__).parent


def python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Runs ``code`` in a fresh interpreter with ``env`` added to the
    environment, and ``MAILSHIELD_LIBRARY`` removed unless given."""
    full = {k: v for k, v in os.environ.items() if k != _native.ENV_VAR}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], env=full, capture_output=True,
        text=True,
    )


def test_the_variable_is_the_only_place_when_set(tmp_path):
    places = _native.candidates({"MAILSHIELD_LIBRARY": "/x/lib.so"}, tmp_path)
    assert places == [("$MAILSHIELD_LIBRARY", "/x/lib.so")]


def test_without_the_variable_the_package_then_the_system(tmp_path):
    found = ctypes.util.find_library("mailshield") or ""
    assert _native.candidates({}, tmp_path) == [
        ("the package directory", str(tmp_path / "libmailshield.so")),
        ("ctypes.util.find_library('mailshield')", found),
        ("the system's library path", "libmailshield.so"),
    ]
    (tmp_path / "libmailshield.so").write_bytes(b"")
    assert _native.candidates({"MAILSHIELD_LIBRARY": ""}, tmp_path)[0] == (
        "the package directory",
        str(tmp_path / "libmailshield.so"),
    )


def test_the_error_lists_every_place_tried(tmp_path):
    bogus = tmp_path / "libmailshield.so"
    bogus.write_text("not a library\n" * 10)
    places = [
        ("$MAILSHIELD_LIBRARY", str(tmp_path / "missing.so")),
        ("the package directory", str(bogus)),
        ("ctypes.util.find_library('mailshield')", ""),
        ("the system's library path", "libmailshield-none.so"),
    ]
    with pytest.raises(LibraryError) as info:
        _native.open_library(places)
    e = info.value
    assert e.status is None
    lines = e.message.splitlines()
    assert lines[0] == "cannot load the mailshield library; tried:"
    assert lines[1] == (
        f"  $MAILSHIELD_LIBRARY: {tmp_path}/missing.so: no such file"
    )
    assert lines[2] == (
        f"  the package directory: {bogus}: invalid ELF header"
    )
    assert lines[3] == (
        "  ctypes.util.find_library('mailshield'): nothing found"
    )
    assert lines[4] == (
        "  the system's library path: libmailshield-none.so: cannot open "
        "shared object file: No such file or directory"
    )
    assert lines[5] == (
        "set MAILSHIELD_LIBRARY to the path of libmailshield.so (built by "
        "`cargo build --release --lib`)"
    )
    assert len(lines) == 6


def test_a_wrong_variable_fails_at_first_use_not_at_import(tmp_path):
    missing = tmp_path / "nowhere" / "libmailshield.so"
    code = (
        "import mailshield\n"
        "try:\n"
        "    mailshield.Engine()\n"
        "except mailshield.LibraryError as e:\n"
        "    print(e)\n"
    )
    out = python(code, MAILSHIELD_LIBRARY=str(missing))
    assert out.returncode == 0, out.stderr
    assert out.stdout == (
        "cannot load the mailshield library; tried:\n"
        f"  $MAILSHIELD_LIBRARY: {missing}: no such file\n"
        "set MAILSHIELD_LIBRARY to the path of libmailshield.so (built by "
        "`cargo build --release --lib`)\n"
    )


def test_without_the_variable_every_place_is_named():
    if (PACKAGE / "libmailshield.so").exists() or ctypes.util.find_library(
        "mailshield"
    ):
        pytest.skip("a packaged or system copy of the library exists")
    code = (
        "import mailshield\n"
        "try:\n"
        "    mailshield.Engine()\n"
        "except mailshield.LibraryError as e:\n"
        "    print(e)\n"
    )
    out = python(code)
    lines = out.stdout.splitlines()
    assert lines[:4] == [
        "cannot load the mailshield library; tried:",
        f"  the package directory: {PACKAGE / 'libmailshield.so'}: "
        "no such file",
        "  ctypes.util.find_library('mailshield'): nothing found",
        lines[3],
    ]
    assert lines[3] == (
        "  the system's library path: libmailshield.so: cannot open shared "
        "object file: No such file or directory"
    )


def test_a_copy_inside_the_package_is_found(tmp_path):
    # A package directory with the library in it, as a wheel bundling
    # the library installs it.
    copy = tmp_path / "mailshield"
    shutil.copytree(PACKAGE, copy)
    shutil.copy(mailshield.library_path(), copy / "libmailshield.so")
    code = (
        "import mailshield\n"
        "print(mailshield.library_path())\n"
        "print(mailshield.Engine().scan('a@example.com').findings[0].masked)"
    )
    out = python(code, PYTHONPATH=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        str(copy / "libmailshield.so"),
        "***@example.com",
    ]


def test_a_library_of_another_abi_is_refused():
    class Function:
        def __init__(self, value):
            self.value = value

        def __call__(self):
            return self.value

    class Old:  # no mailshield_abi_version
        pass

    class Newer:
        mailshield_abi_version = Function(2)

    with pytest.raises(LibraryError) as e:
        _native._accept_abi("/x/libmailshield.so", Newer())
    assert e.value.message == (
        "/x/libmailshield.so: ABI version 2, but this binding speaks ABI "
        "version 1"
    )
    with pytest.raises(LibraryError) as e:
        _native._accept_abi("/x/libmailshield.so", Old())
    assert e.value.message == (
        "/x/libmailshield.so: no mailshield_abi_version (a library older "
        "than ABI 1), but this binding speaks ABI version 1"
    )
    _native._accept_abi("/x/libmailshield.so", type("Now", (), {
        "mailshield_abi_version": Function(1)})())


def test_a_library_without_a_function_of_this_binding_is_refused():
    class Older:  # ABI 1, built before mailshield_result_read
        pass

    with pytest.raises(LibraryError) as e:
        _native._symbol(
            "/x/libmailshield.so", Older(), "mailshield_result_read"
        )
    assert e.value.message == (
        "/x/libmailshield.so: no mailshield_result_read (a library older "
        "than this binding; rebuild it)"
    )
