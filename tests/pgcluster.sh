#!/bin/sh
# pgcluster.sh: a private PostgreSQL cluster on a Unix socket only
# (listen_addresses=''), for tests, the demo and benchmarks.
#
#   pgcluster.sh run [--keep DIR] -- CMD...   start a throwaway cluster in a
#        mktemp directory (or DIR, kept afterwards), export PGHOST, PGPORT,
#        PGUSER, PGDATABASE, HEED_TEST_PGDATA and HEED_TEST_PGCLUSTER, run CMD,
#        stop the cluster and remove the directory on exit, failure or Ctrl-C.
#   pgcluster.sh start DIR     create (initdb) if needed and start; prints
#                              the environment to eval
#   pgcluster.sh stop DIR      fast shutdown
#   pgcluster.sh crash DIR     immediate shutdown (as if the server died)
#   pgcluster.sh restart DIR   immediate shutdown, then start again
#   pgcluster.sh env DIR       print the environment lines
#
# As root, the server runs as the 'postgres' user (or 'nobody'), since
# initdb refuses to run as root. Local connections use trust auth: the socket
# directory is private (mode 0700), so only its owner (and root) can reach it.
# HEED_PG_FSYNC=on makes a benchmark server: fsync on, and the memory and
# checkpoint settings of the queue study's baseline (shared/reference/
# postgres-queues.md 3.1), so that no checkpoint falls inside a timed run.
# Tests run with fsync off. HEED_PG_SETTINGS adds postgresql.conf lines (for
# profiling, e.g. shared_preload_libraries = 'pg_stat_statements').
set -eu

die() { echo "pgcluster: $*" >&2; exit 1; }

pgbindir() {
	d=$(pg_config --bindir 2>/dev/null || true)
	if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return; fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/initdb" ] && { echo "$d"; return; }
	done
	d=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")
	[ -x "$d/initdb" ] && { echo "$d"; return; }
	die "no PostgreSQL server found (initdb); install it: apt-get install -y postgresql"
}

BIN=$(pgbindir)
PORT=${HEED_PG_PORT:-5432}
RUNAS=""
if [ "$(id -u)" = 0 ]; then
	if id postgres >/dev/null 2>&1; then RUNAS=postgres; else RUNAS=nobody; fi
fi

as_owner() { # run a command as the cluster's owner
	if [ -n "$RUNAS" ]; then
		# from /: the owner may not be allowed into our working directory
		(cd / && runuser -u "$RUNAS" -- "$@")
	else
		"$@"
	fi
}

env_lines() { # env_lines DIR
	dir=$1
	echo "PGHOST='$dir/sock'; export PGHOST"
	echo "PGPORT='$PORT'; export PGPORT"
	echo "PGUSER='postgres'; export PGUSER"
	echo "PGDATABASE='heed'; export PGDATABASE"
	echo "HEED_TEST_PGDATA='$dir/data'; export HEED_TEST_PGDATA"
	echo "HEED_TEST_PGCLUSTER='sh $(cd "$(dirname "$0")" && pwd)/$(basename "$0") --dir $dir'; export HEED_TEST_PGCLUSTER"
}

start() { # start DIR
	dir=$1
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	sock="$dir/sock"
	[ ${#sock} -lt 90 ] || die "socket path '$sock' is too long for a Unix socket; use a shorter directory"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		mkdir -p "$dir/data" "$sock"
		chmod 700 "$dir" "$dir/data" "$sock"
		if [ -n "$RUNAS" ]; then
			chown "$RUNAS" "$dir" "$dir/data" "$sock"
			as_owner test -w "$dir/data" ||
				die "user '$RUNAS' cannot write '$dir/data' (a parent directory is private); use a directory under /tmp"
		fi
		as_owner "$BIN/initdb" -D "$dir/data" -U postgres -E UTF8 \
			--locale=C.UTF-8 --auth-local=trust --auth-host=reject \
			>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
		fsync=off buffers=128MB tuning=
		if [ "${HEED_PG_FSYNC:-off}" = on ]; then
			fsync=on buffers=512MB
			tuning="max_wal_size = 4GB
checkpoint_timeout = 30min"
		fi
		cat >>"$dir/data/postgresql.conf" <<-CONF
		listen_addresses = ''
		unix_socket_directories = '$sock'
		unix_socket_permissions = 0700
		port = $PORT
		fsync = $fsync
		max_connections = 120
		shared_buffers = $buffers
		log_min_messages = warning
		log_line_prefix = '%m [%p] %u@%d '
		$tuning
		${HEED_PG_SETTINGS:-}
		CONF
	fi
	as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-k $sock -p $PORT" start >/dev/null ||
		{ tail -n 20 "$dir/server.log" >&2; die "server did not start"; }
	i=0
	until "$BIN/pg_isready" -q -h "$sock" -p "$PORT"; do
		i=$((i + 1)); [ $i -lt 300 ] || die "server not ready"
		sleep 0.1
	done
	if ! "$BIN/psql" -XAtq -h "$sock" -p "$PORT" -U postgres -d postgres \
		-c "SELECT 1 FROM pg_database WHERE datname = 'heed'" | grep -q 1; then
		"$BIN/createdb" -h "$sock" -p "$PORT" -U postgres heed
	fi
}

stop() { # stop DIR MODE
	[ -f "$1/data/postmaster.pid" ] || return 0
	as_owner "$BIN/pg_ctl" -D "$1/data" -m "$2" -w stop >/dev/null 2>&1 || true
}

DIR=""
if [ "${1:-}" = --dir ]; then DIR=$2; shift 2; fi
cmd=${1:-}; [ $# -gt 0 ] && shift
case $cmd in
run)
	keep=""
	if [ "${1:-}" = --keep ]; then keep=$2; shift 2; fi
	[ "${1:-}" = -- ] && shift
	[ $# -gt 0 ] || die "run: no command"
	if [ -n "$keep" ]; then
		dir=$keep
	else
		dir=$(mktemp -d "${TMPDIR:-/tmp}/heed-pg.XXXXXX")
	fi
	cleanup() {
		stop "$dir" immediate
		[ -n "$keep" ] || rm -rf "$dir"
	}
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	start "$dir"
	eval "$(env_lines "$(cd "$dir" && pwd)")"
	set +e
	"$@"
	rc=$?
	set -e
	exit $rc
	;;
start) d=${1:-$DIR}; [ -n "$d" ] || die "start: no directory"
	start "$d"; env_lines "$(cd "$d" && pwd)" ;;
stop) d=${1:-$DIR}; stop "$d" fast ;;
crash) d=${1:-$DIR}; stop "$d" immediate ;;
restart) d=${1:-$DIR}; stop "$d" immediate; start "$d" ;;
env) d=${1:-$DIR}; env_lines "$(cd "$d" && pwd)" ;;
*) die "usage: pgcluster.sh run [--keep DIR] -- CMD... | start|stop|crash|restart|env DIR" ;;
esac
