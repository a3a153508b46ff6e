#!/bin/sh
# Runs each target in turn for $1 seconds, logging to runs/TARGET.log.
mkdir -p runs
for t in $TARGETS; do
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" corpus/"$t" -- -max_total_time="$1" \
    -rss_limit_mb=4096 -timeout=10 > runs/"$t".log 2>&1
  echo "$t rc=$?" >> runs/status
done
