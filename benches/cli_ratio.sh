#!/usr/bin/env bash
# The command line's throughput against the library's batch on one mbox
# (issue 3, BENCHMARKS.md "The command line on a 2 GB mbox").
#
#   benches/cli_ratio.sh MBOX [CLI_RUNS] [LIBRARY_RUNS]
#
# Runs `mailshield scan MBOX --out /dev/null` CLI_RUNS times (default 7)
# and `batch_throughput --rounds 3` on the same messages LIBRARY_RUNS
# times (default 3), interleaved so that both see the same moments of a
# noisy machine. Prints each run (wall, user and system time, peak RSS,
# CPU), then the medians: MB of mbox per second for the command line, MB
# of decoded fields per second for the library, and their ratio. MB =
# 10^6 bytes. Needs GNU time (/usr/bin/time, Debian's `time` package).
#
# Make a 2.3 GB mbox from the generator (about 5 minutes):
#   python3 ../shared/tools/gen_corpus.py --seed 7 --size-mb 256 --out big.jsonl
#   ./target/release/jsonl2mbox --repeat 8 big.jsonl > big.mbox
set -euo pipefail

mbox=${1:?usage: benches/cli_ratio.sh MBOX [CLI_RUNS] [LIBRARY_RUNS]}
cli_runs=${2:-7}
lib_runs=${3:-3}
cd "$(dirname "$0")/.."
cargo build --release --quiet --bins
bytes=$(stat -c %s "$mbox")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One run of each kind; each appends its figure to a file.
cli() {
    /usr/bin/time -f "%e %U %S %M %P" -o "$work/time" \
        ./target/release/mailshield scan "$mbox" --out /dev/null 2>/dev/null
    read -r wall user sys rss cpu < "$work/time"
    echo "cli: ${wall} s wall, ${user} s user, ${sys} s system, ${rss} KB, ${cpu}"
    echo "$wall" >> "$work/cli"
}
library() {
    local line
    line=$(./target/release/batch_throughput --max-mb 1000000 --rounds 3 "$mbox")
    local mbps
    mbps=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["field_mb_per_s"])' "$line")
    echo "library: ${mbps} MB of fields/s"
    echo "$mbps" >> "$work/lib"
}

# Interleaved: a library run after every few command line runs.
every=$(( (cli_runs + lib_runs - 1) / lib_runs ))
done_cli=0
for _ in $(seq "$lib_runs"); do
    library
    for _ in $(seq "$every"); do
        if [ "$done_cli" -lt "$cli_runs" ]; then
            cli
            done_cli=$((done_cli + 1))
        fi
    done
done
while [ "$done_cli" -lt "$cli_runs" ]; do
    cli
    done_cli=$((done_cli + 1))
done

python3 - "$work/cli" "$work/lib" "$bytes" <<'EOF'
import statistics, sys
walls = [float(x) for x in open(sys.argv[1])]
libs = [float(x) for x in open(sys.argv[2])]
mbox = int(sys.argv[3])
cli = mbox / statistics.median(walls) / 1e6
lib = statistics.median(libs)
print(f"median: command line {cli:.1f} MB of mbox/s ({len(walls)} runs), "
      f"library {lib:.1f} MB of fields/s ({len(libs)} runs), "
      f"ratio {cli / lib:.3f}")
EOF
