#!/bin/sh
# deps.sh: check for everything heed builds, tests and demos with; install the
# Debian packages that are missing when run as root (apt-get update once, then
# install), otherwise print the exact apt-get line and fail.
# Each line: package, then the check that proves it is there.
set -u

missing=""
need() { # need PACKAGE CHECK-COMMAND...
	pkg=$1; shift
	if ! "$@" >/dev/null 2>&1; then
		case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
	fi
}
pc() { pkg-config --exists "$1"; }
pgbin() { # is a PostgreSQL server install present?
	d=$(pg_config --bindir 2>/dev/null)
	[ -x "$d/initdb" ] && return 0
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}

need make        command -v make
need gcc         command -v cc
need pkg-config  command -v pkg-config
need libcurl4-openssl-dev pc libcurl
need libjansson-dev   pc jansson
need libpcre2-dev     pc libpcre2-8
need libpq-dev        pc libpq
need libinih-dev      pc inih
need libutf8proc-dev  pc libutf8proc
need libcmocka-dev    pc cmocka
need libmicrohttpd-dev pc libmicrohttpd
need postgresql       pgbin
need npm              command -v npm
need util-linux       command -v runuser

[ -z "$missing" ] && exit 0
line="apt-get install -y$missing"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 && apt-get install -y -qq $missing >&2 && exit 0
	echo "deps: '$line' failed" >&2
	exit 1
fi
echo "deps: missing packages; as root run:" >&2
echo "  apt-get update && $line" >&2
exit 1
