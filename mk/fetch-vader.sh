#!/bin/sh
# fetch-vader.sh OUT VERSION SHA256: fetch VADER's human-rated lexicon from
# the npm registry (`npm pack vader-sentiment@VERSION`, served from npm's own
# cache when it has it), check vader_lexicon.txt against SHA256 and install
# it as OUT. The lexicon is a pinned data dependency: it is never committed.
set -eu
out=$1 version=$2 sum=$3
command -v npm >/dev/null 2>&1 || { echo "fetch-vader: npm is missing (make deps)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/heed-vader.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
(cd "$tmp" && npm pack --silent "vader-sentiment@$version" >/dev/null) || {
	echo "fetch-vader: 'npm pack vader-sentiment@$version' failed" >&2; exit 1; }
tar -xzf "$tmp/vader-sentiment-$version.tgz" -C "$tmp" package/vader_lexicon.txt
got=$(sha256sum "$tmp/package/vader_lexicon.txt" | cut -d' ' -f1)
if [ "$got" != "$sum" ]; then
	echo "fetch-vader: vader_lexicon.txt has sha256 $got, expected $sum" >&2
	exit 1
fi
mkdir -p "$(dirname "$out")"
cp "$tmp/package/vader_lexicon.txt" "$out.tmp"
mv "$out.tmp" "$out"
