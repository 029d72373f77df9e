#!/bin/sh
# ingest.sh: the collectors' figures. On a private cluster with fsync on and
# the fake platform server on 127.0.0.1: ingest_rate (20,000 posts fetched,
# classified and committed) beside a plain multi-row INSERT of the same rows
# and, as the bound on both, one COPY of them; and detect_p95 (posts
# appearing over time, 30 s poll interval).
set -eu
B=${HEED_BUILD:-build}
here=$(pwd)
d=$(mktemp -d "${TMPDIR:-/tmp}/heed-bench-ingest.XXXXXX")
fpid=""
cleanup() { [ -n "$fpid" ] && kill "$fpid" 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT

fake() { # fake TIMELINE: start the fake server, set $base
	rm -f "$d/port"
	"$B/tests/fakes/fakesocial" --portfile "$d/port" --log "$d/fake.log" \
		--timeline "$1" --budget 0 2>"$d/fake.err" &
	fpid=$!
	i=0
	until [ -s "$d/port" ]; do
		i=$((i + 1)); [ $i -lt 200 ] || { cat "$d/fake.err" >&2; exit 1; }
		sleep 0.1
	done
	base="http://127.0.0.1:$(cat "$d/port")"
}

config() { # config FILE INTERVAL
	cat >"$1" <<CONF
[poll]
interval = $2
min_interval = $2
max_interval = $2
budget_share = 1
max_pages = 100000
backfill = 1d
[brand.acme]
own_accounts = acme
[source.x]
platform = x
kind = search
brand = acme
queries = acme
base_url = $base
secret_env = HEED_BENCH_TOKEN
[source.m]
platform = mastodon
kind = tag
brand = acme
queries = acme
base_url = $base
secret_env = HEED_BENCH_TOKEN
CONF
}
export HEED_BENCH_TOKEN=bench HEED_DATA_DIR="$B/share/heed"

# ingest_rate: 20,000 posts already visible
awk 'BEGIN { for (i = 0; i < 20000; i++) {
	p = i % 2 ? "x" : "mastodon"; ch = i % 2 ? "search" : "tag:acme";
	printf "{\"platform\":\"%s\",\"id\":\"%d\",\"at\":%.2f,\"author\":{\"id\":\"a%d\",\"handle\":\"user%d\",\"followers\":%d},\"text\":\"my acme order %d is late, can anyone help? #%d\",\"channels\":[\"%s\"]}\n", \
		p, 1000 + i, -7200 + i * 0.3, i % 500, i % 500, i, i, i, ch } }' >"$d/rate.jsonl"
fake "$d/rate.jsonl"
config "$d/rate.conf" 1s
HEED_PG_FSYNC=on sh "$here/tests/pgcluster.sh" run -- sh -c \
	"'$B/heed' db migrate >/dev/null && '$B/bench/ingest_bench' rate '$d/rate.conf' 20000"
kill "$fpid"; fpid=""

# detect_p95: 40 posts appearing over 150 s, polled every 30 s
awk 'BEGIN { srand(7); for (i = 0; i < 40; i++)
	printf "{\"platform\":\"x\",\"id\":\"d%d\",\"at\":%.1f,\"author\":{\"id\":\"d%d\",\"handle\":\"cust%d\"},\"text\":\"acme help? my account is locked %d\",\"channels\":[\"search\"]}\n", \
		i, 5 + rand() * 145, i, i, i }' >"$d/detect.jsonl"
fake "$d/detect.jsonl"
config "$d/detect.conf" 30s
HEED_PG_FSYNC=on sh "$here/tests/pgcluster.sh" run -- sh -c \
	"'$B/heed' db migrate >/dev/null && '$B/bench/ingest_bench' detect '$d/detect.conf' 40 185"
