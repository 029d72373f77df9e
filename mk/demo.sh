#!/bin/sh
# demo.sh HEED: heed's main job end to end on a private PostgreSQL cluster
# kept under ./var (created on first run, reused after). No credentials and
# no internet: everything runs on this machine, on a Unix socket.
set -eu
heed=$1
here=$(pwd)
dir=$here/var/pg
mkdir -p "$here/var"

say() { printf '\n== %s\n' "$*"; }

# The server runs as an unprivileged user when we are root; it needs to reach
# ./var. If a parent directory is private, keep the cluster in $TMPDIR.
if [ "$(id -u)" = 0 ]; then
	u=postgres; id postgres >/dev/null 2>&1 || u=nobody
	if ! runuser -u "$u" -- test -x "$here/var"; then
		dir=${TMPDIR:-/tmp}/heed-demo-pg
		echo "demo: '$here' is not reachable by user '$u'; keeping the cluster in $dir"
	fi
fi

say "starting the private PostgreSQL cluster in $dir (Unix socket only)"
sh tests/pgcluster.sh start "$dir" >"$here/var/pg.env"
. "$here/var/pg.env"
trap 'sh tests/pgcluster.sh stop "$dir"' EXIT	# widened below, once the fake runs

say "a fresh database for this round, then heed db migrate"
dropdb --if-exists heed && createdb heed
"$heed" db migrate

say "heed db status"
"$heed" db status

say "heed doctor"
"$heed" doctor

fake=$(dirname "$heed")/tests/fakes/fakesocial
work=$(mktemp -d "${TMPDIR:-/tmp}/heed-demo.XXXXXX")
fpid=
cleanup() {
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null
	rm -rf "$work"
	sh tests/pgcluster.sh stop "$dir"
}
trap cleanup EXIT

say "the fake platforms on 127.0.0.1 (no internet): customers write to @acme"
cat >"$work/timeline.jsonl" <<'TIMELINE'
{"platform":"mastodon","id":"m1","at":-300,"author":{"id":"u1","handle":"carol","name":"Carol","followers":120},"text":"@acme my order 1234 never arrived and nobody answers. This is the 3rd time I ask!","lang":"en","channels":["mention"]}
{"platform":"bluesky","id":"b1","at":-240,"author":{"id":"u2","handle":"dan.bsky.social","name":"Dan","followers":15000},"text":"@acme.bsky.social I was charged twice for my subscription, please refund me","lang":"en","channels":["mention"]}
{"platform":"x","id":"x1","at":-200,"author":{"id":"u3","handle":"erin","name":"Erin","followers":40},"text":"@acme love the new app, thanks!","lang":"en","channels":["mention"]}
{"platform":"reddit","id":"r1","at":-100,"author":{"id":"u4","handle":"frank"},"text":"Is acme down for anyone else? I can't log in","lang":"en","channels":["inbox","mention"],"subreddit":"acmesupport"}
{"platform":"mastodon","id":"m2","at":-50,"author":{"id":"u5","handle":"spammy"},"text":"@acme FREE CRYPTO giveaway click here http://example.invalid/win","lang":"en","channels":["mention"]}
TIMELINE
"$fake" --portfile "$work/port" --log "$work/fake.log" --timeline "$work/timeline.jsonl" \
	--budget 0 2>"$work/fake.err" &
fpid=$!
i=0
until [ -s "$work/port" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$work/fake.err" >&2; exit 1; }
	sleep 0.1
done
base="http://127.0.0.1:$(cat "$work/port")"
python3 -c '
import json, sys
for l in open(sys.argv[1]):
    p = json.loads(l)
    print("  %-9s %-16s %s" % (p["platform"], p["author"]["handle"], p["text"]))' "$work/timeline.jsonl"

say "roles: one per person or daemon (demo_poller, demo_agent, demo_responder)"
psql -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'demo_poller') THEN
    CREATE ROLE demo_poller LOGIN IN ROLE heed_poller;
    CREATE ROLE demo_agent LOGIN IN ROLE heed_agent;
    CREATE ROLE demo_responder LOGIN IN ROLE heed_responder;
  END IF;
END $$;
SQL
cat >"$work/heed.conf" <<CONF
[brand.acme]
own_accounts = acme
auto_ack = mastodon, bluesky
[source.m]
platform = mastodon
kind = mentions
brand = acme
base_url = $base
account = 109000000000000001
secret_env = DEMO_TOKEN
[source.b]
platform = bluesky
kind = mentions
brand = acme
base_url = $base
user = acme.bsky.social
secret_env = DEMO_TOKEN
[source.r]
platform = reddit
kind = mentions
brand = acme
base_url = $base
user = acme
client_id = demo
secret_env = DEMO_TOKEN
client_secret_env = DEMO_TOKEN
[source.x]
platform = x
kind = mentions
brand = acme
base_url = $base
account = 1600000000000000001
secret_env = DEMO_TOKEN
CONF
HEED_CONFIG="$work/heed.conf" DEMO_TOKEN=demo-token HEED_LOG_LEVEL=warn
export HEED_CONFIG DEMO_TOKEN HEED_LOG_LEVEL
as() { r=$1; shift; PGUSER=$r "$heed" "$@"; }

say "heed poll --once (as demo_poller): fetch, classify, open cases"
as demo_poller poll --once --progress

say "heed templates add auto-ack (as demo_agent)"
as demo_agent templates add auto-ack -m 'Hi @{{author}}, sorry to hear that. {{brand}} support has your message (case {{case}}) and a person will answer shortly.' ||
	echo "(kept from an earlier run)"

say "heed respond --once (as demo_responder): acknowledgements for upset customers"
as demo_responder respond --once || true

say "heed queue --all (as demo_agent): most urgent first, with time left"
as demo_agent queue --all

say "heed next (as demo_agent): claim the most urgent case"
as demo_agent next | tee "$work/next.out"
id=$(sed -n 's/.*claimed case \([0-9][0-9]*\).*/\1/p' "$work/next.out" | head -n 1)

if [ -n "$id" ]; then
	say "heed reply $id (as demo_agent), then heed respond --once posts it"
	as demo_agent reply "$id" -m "So sorry about this! I have checked and a replacement ships today." || true
	as demo_responder respond --once || true

	say "heed history $id: every step, by whom"
	as demo_agent history "$id"
fi

say "what the fake platforms received"
curl -s "$base/_fake/replies" | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    print("  %-9s %s" % (r["platform"], r["text"]))'

say "what next"
cat <<MSG
That was heed's main job: mentions fetched and judged, cases queued by
urgency, automatic acknowledgements and an agent's reply posted exactly once.
Run 'make demo' again for a fresh round. To explore by hand:

  . var/pg.env && sh tests/pgcluster.sh start "$dir" >/dev/null
  PGUSER=demo_agent build/heed queue --all
  build/heed --help
  sh tests/pgcluster.sh stop "$dir"

The cluster is stopped now and kept in $dir.
MSG
