#!/bin/sh
# queue.sh: the case queue's bench fragment (run by mk/bench.sh). Starts its
# own private cluster with fsync on (the queue study's targets are for
# durable commits) and runs build/bench/queue_bench, which prints
#   bench queue_list_100k: N ms
#   bench queue_cycles_{1,4,16}: N cycles/s vs bare_claim M cycles/s, ratio X
#   bench claim_p99_4: N ms
# Goals: >= 2,000 cycles/s at 4 agents, claim p99 <= 5 ms, list <= 50 ms.
# Each cycle figure is the median of three runs (stderr lists them all).
# BENCH_SECONDS sets the length of each run (default 4).
set -eu
build=${HEED_BUILD:-build}
bin=$build/bench/queue_bench
heed=${HEED_BIN:-$build/heed}
if [ ! -x "$bin" ] || [ ! -x "$heed" ]; then
	echo "bench/queue.sh: $bin or $heed is missing; run 'make bench'" >&2
	exit 1
fi
HEED_PG_FSYNC=on exec sh tests/pgcluster.sh run -- "$bin" "$heed" "${BENCH_SECONDS:-4}"
