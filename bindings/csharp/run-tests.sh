#!/usr/bin/env bash
# Builds the C# binding (Mailshield.dll) and its test program with Mono's
# mcs, and runs the tests against the release library.
#
# Works from any directory. Installs mono-mcs and mono-runtime with
# apt-get when mcs or mono is missing (as root, or through sudo); builds
# target/release/libmailshield.so with cargo (a no-op when it is fresh),
# unless MAILSHIELD_LIB names a library to test instead. Everything it
# builds goes to target/csharp. Exits non-zero when a test fails.
#
# Usage: bindings/csharp/run-tests.sh    (MAILSHIELD_CI=1: skips fail)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/csharp"

say() { printf '== csharp: %s\n' "$*" >&2; }

# Mono from Debian's packages.
need=()
command -v mcs >/dev/null || need+=(mono-mcs)
command -v mono >/dev/null || need+=(mono-runtime)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || {
            echo "run-tests.sh: ${need[*]} missing; need root or sudo" >&2
            exit 1
        }
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# The native library.
lib="${MAILSHIELD_LIB:-}"
if [ -z "$lib" ]; then
    say "cargo build --release --lib"
    (cd "$root" && cargo build --release --lib --locked -q)
    lib="$root/target/release/libmailshield.so"
fi
[ -f "$lib" ] || { echo "run-tests.sh: no library at $lib" >&2; exit 1; }
lib="$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")"

# The binding and the tests: mscorlib is all they reference.
say "mcs Mailshield.dll, Tests.exe"
mkdir -p "$out"
mcs -noconfig -target:library -unsafe -warn:4 -warnaserror \
    -doc:"$out/Mailshield.xml" -out:"$out/Mailshield.dll" "$here"/src/*.cs
mcs -noconfig -warn:4 -warnaserror -r:"$out/Mailshield.dll" \
    -out:"$out/Tests.exe" "$here"/tests/*.cs

# DllImport("mailshield") resolves through this map to the library
# under test, whatever the library path says.
cat >"$out/Mailshield.dll.config" <<XML
<configuration>
  <dllmap dll="mailshield" target="$lib" />
</configuration>
XML

# The header's struct layouts, for the layout test (needs a C compiler).
layout=()
if command -v cc >/dev/null; then
    cc -std=c11 -Wall -Wextra -Werror -I"$root/include" \
        -o "$out/layout" "$here/tests/layout.c"
    "$out/layout" >"$out/layout.txt"
    layout=(--layout "$out/layout.txt")
fi

say "mono Tests.exe"
mono --debug "$out/Tests.exe" "$root" ${layout[@]+"${layout[@]}"}
