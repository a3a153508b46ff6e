#!/usr/bin/env bash
# The Python binding's tests, from any directory: builds the release
# library and command line (cargo does nothing when they are up to date;
# the adapter tests make keys and verify logs with the binary), installs
# the package into the repository's .venv (made when absent, with the
# pinned packages of .ci/requirements.txt), and runs pytest against
# target/release/libmailshield.so and target/release/mailshield (under
# $CARGO_TARGET_DIR when that is set). Exits non-zero on any failure.
#
# Usage: bindings/python/run-tests.sh [PYTEST ARGS...]
# Under MAILSHIELD_CI=1 a test that needs ../shared fails instead of
# skipping when it is absent; so does test_spark.py without java (a JRE
# 17 or later, which .ci/test-all installs).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
say() { printf '== %s\n' "$*" >&2; }

say "python: cargo build --release"
(cd "$repo" && cargo build --release --locked --quiet)
release="${CARGO_TARGET_DIR:-$repo/target}/release"
lib="$release/libmailshield.so"
bin="$release/mailshield"
for built in "$lib" "$bin"; do
    if [ ! -f "$built" ]; then
        echo "run-tests.sh: $built was not built" >&2
        exit 1
    fi
done

venv="$repo/.venv"
if [ ! -x "$venv/bin/python3" ]; then
    say "creating .venv"
    python3 -m venv "$venv"
fi
if ! cmp -s "$repo/.ci/requirements.txt" "$venv/.installed" 2>/dev/null; then
    say "installing Python packages"
    "$venv/bin/python3" -m pip install -q --disable-pip-version-check \
        -r "$repo/.ci/requirements.txt"
    cp "$repo/.ci/requirements.txt" "$venv/.installed"
fi

# A fresh build each time, so that a module removed from src/ does not
# linger in build/lib and get installed again.
say "python: installing bindings/python into .venv"
rm -rf "$here/build"
"$venv/bin/python3" -m pip install -q --disable-pip-version-check \
    --no-deps --no-build-isolation --force-reinstall "$here"

say "python: pytest"
cd "$here"
MAILSHIELD_LIBRARY="$lib" MAILSHIELD_BIN="$bin" \
    "$venv/bin/python3" -m pytest -p no:cacheprovider -q "$@"
