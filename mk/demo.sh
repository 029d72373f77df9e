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
trap 'sh tests/pgcluster.sh stop "$dir"' EXIT

say "heed db migrate"
"$heed" db migrate

say "heed db status"
"$heed" db status

say "heed doctor"
"$heed" doctor

say "what next"
cat <<MSG
The database is ready. This stage of heed has the foundation: configuration,
schema, roles and health checks. To explore it by hand:

  . var/pg.env && sh tests/pgcluster.sh start "$dir" >/dev/null
  build/heed --help
  build/heed config --defaults
  psql -c '\\dt'
  sh tests/pgcluster.sh stop "$dir"

The cluster is stopped now and kept in $dir; 'make demo' reuses it.
MSG
