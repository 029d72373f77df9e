#!/bin/sh
# run.sh: run test programs, keep a log per test under $HEED_BUILD/test-logs,
# and end with one line that counts results: "N passed, N failed".
# Integration programs (tests/integration/) get one private PostgreSQL
# cluster for the whole run, started and torn down by tests/pgcluster.sh.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${HEED_BUILD:-build}
logs=$build/test-logs
mkdir -p "$logs"

passed=0 failed=0 skipped=0 failures=""
need_pg=0
for t in "$@"; do case $t in */integration/*) need_pg=1 ;; esac; done

if [ $need_pg = 1 ] && [ -z "${HEED_TEST_PGDATA:-}" ]; then
	# Re-run ourselves inside a throwaway cluster; pgcluster.sh cleans up on
	# exit, failure or Ctrl-C.
	exec sh "$here/pgcluster.sh" run -- sh "$0" "$@"
fi

count() { # count FILE PATTERN -> number after the pattern, or 0
	n=$(sed -n "s/^\[  $2 *\] \([0-9][0-9]*\) test.*/\1/p" "$1" | tail -n 1)
	echo "${n:-0}"
}

for t in "$@"; do
	name=$(basename "$t")
	log=$logs/$name.log
	"$t" >"$log" 2>&1 </dev/null
	rc=$?
	p=$(count "$log" PASSED)
	f=$(count "$log" FAILED)
	s=$(count "$log" SKIPPED)
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1	# crashed or exited before cmocka's summary
	fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	if [ "$f" != 0 ]; then
		failures="$failures $name"
		echo "FAIL $name ($p passed, $f failed, exit $rc); log: $log"
		sed -n '/\[  FAILED  \]\|\[  ERROR   \]\|ERROR\|Assertion\|runtime error\|Sanitizer\|error:/p' "$log" | head -n 40
	else
		echo "ok   $name ($p passed${s:+, $s skipped})"
	fi
done
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
