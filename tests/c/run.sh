#!/usr/bin/env bash
# The C tests of the C ABI: each tests/c/*.c program (but the check.c
# harness) compiled with gcc against include/mailshield.h and the release
# shared library, run once natively and then under valgrind memcheck.
#
# Fails when a test fails, when valgrind reports an invalid access or a
# block definitely or indirectly lost, or when a test cannot be built.
# Memory that lives until exit in threads still running (the library's
# rayon pool) is reported by valgrind as reachable or possibly lost, and
# does not fail the run. No suppressions are needed.
#
# Builds the library first (cargo decides whether anything changed) and
# installs gcc and valgrind with apt-get when they are missing (as root,
# or through sudo). Binaries and valgrind logs go to target/ctest/.
#
# Usage: tests/c/run.sh [TEST...]      (names without .c; default all)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

say() { printf '== %s\n' "$*" >&2; }

# Debian packages.
need=()
command -v gcc >/dev/null || need+=(gcc)
command -v valgrind >/dev/null || need+=(valgrind)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi

say "c: cargo build --release --lib"
cargo build --release --lib --locked
lib="$root/target/release"
out="$root/target/ctest"
mkdir -p "$out"

if [ $# -gt 0 ]; then
    tests=("$@")
else
    tests=()
    for src in tests/c/*.c; do
        name="$(basename "$src" .c)"
        [ "$name" = check ] || tests+=("$name")
    done
fi

# Compile: strict C11, the header as a C user sees it, the library found
# through an rpath so no environment is needed to run the binaries.
say "c: compiling ${tests[*]}"
cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -g -O0 -I include)
gcc "${cflags[@]}" -c tests/c/check.c -o "$out/check.o"
for t in "${tests[@]}"; do
    gcc "${cflags[@]}" "tests/c/$t.c" "$out/check.o" -o "$out/$t" \
        -L "$lib" -lmailshield -Wl,-rpath,"$lib" -pthread
done

# The stream test meets a known panic inside the library: its message is
# printed, but a backtrace would be symbolised from the library's debug
# information, which takes minutes under valgrind.
export RUST_BACKTRACE=0

# Arguments of each test: the repository root, and for the threads test
# its number of rounds (valgrind runs one thread at a time: fewer there).
args() {
    local t="$1" rounds="$2"
    if [ "$t" = threads ]; then
        echo "$root $rounds"
    else
        echo "$root"
    fi
}

failed=()

# Natively first: quick, and the threads test really runs in parallel.
say "c: native runs"
for t in "${tests[@]}"; do
    # shellcheck disable=SC2046
    if ! "$out/$t" $(args "$t" 40) 2>"$out/$t.native.log"; then
        cat "$out/$t.native.log" >&2
        failed+=("$t (native)")
    else
        tail -n 1 "$out/$t.native.log" >&2
    fi
done

# Under valgrind, as many at a time as there are cores.
say "c: valgrind memcheck"
memcheck=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
          --errors-for-leak-kinds=definite,indirect
          --show-leak-kinds=definite,indirect)
jobs_max="$(nproc 2>/dev/null || echo 2)"
for t in "${tests[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
        wait -n || true
    done
    # Each run leaves its exit status in a file: `wait -n` keeps none.
    (
        status=0
        # shellcheck disable=SC2046
        "${memcheck[@]}" --log-file="$out/$t.valgrind.log" \
            "$out/$t" $(args "$t" 4) >"$out/$t.out.log" 2>&1 || status=$?
        echo "$status" >"$out/$t.status"
    ) &
done
wait
# The lines of valgrind's log that give its verdict.
verdicts='^==[0-9]+== +(definitely lost|indirectly lost|ERROR SUMMARY):'
verdicts+='|^==[0-9]+== All heap blocks were freed'
for t in "${tests[@]}"; do
    status="$(cat "$out/$t.status")"
    summary="$(grep -h -E "$verdicts" "$out/$t.valgrind.log" |
        sed 's/^==[0-9]*== *//' | paste -sd ';' -)"
    printf '%-8s %s\n' "$t" "$summary" >&2
    if [ "$status" -ne 0 ]; then
        cat "$out/$t.out.log" "$out/$t.valgrind.log" >&2
        if [ "$status" -eq 99 ]; then
            failed+=("$t (valgrind errors)")
        else
            failed+=("$t (under valgrind, exit $status)")
        fi
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    say "c: failed: ${failed[*]}"
    exit 1
fi
say "c: all ${#tests[@]} tests passed natively and under valgrind"
