#!/bin/sh
# bench.sh BUILD: run every bench/*.sh fragment in order. Each prints lines
#   bench NAME: VALUE UNIT [vs BASELINE VALUE UNIT, ratio X]
# with its baseline measured in the same run (these machines are noisy, so
# ratios, not absolute figures, are what to compare). A fragment that cannot
# run here says why on stderr and the others still run.
set -u
build=${1:-build}
export HEED_BUILD="$build" HEED_BIN="$build/heed" HEED_SRCDIR="$(pwd)"
status=0
for f in bench/*.sh; do
	[ -f "$f" ] || continue
	echo "== $f" >&2
	sh "$f" || { echo "bench: $f failed" >&2; status=1; }
done
exit $status
