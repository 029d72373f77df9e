#!/bin/sh
# classify.sh: the classifier's bench fragment (run by mk/bench.sh). Both
# sides are measured here, in the same run, on one core:
#   bench classify_rate: N mentions/s vs vaderjs M mentions/s, ratio X
#   bench classify_pearson_CORPUS: heed r vs vaderjs r, ratio X (each corpus)
#   bench classify_macro_f1_CORPUS: ... (paper's neutral cut)
#   bench classify_rss_10000000: memory after vs before 10M classifications
# The baseline is vader-sentiment 1.1.3 from the npm registry, run with
# node; it is installed under $HEED_BUILD/bench/node. The corpora are the
# human-rated ones of ../shared/data/sentiment (override: SENTIMENT_DIR).
# Goals: >= 500,000 mentions/s, >= 100x vaderjs, r >= vaderjs everywhere.
# Each rate is the median of three runs (both programs list theirs on stderr).
# CLASSIFY_N (default 1000000), VADERJS_N (100000) and CLASSIFY_RSS_N
# (10000000) set the counts.
set -eu
build=${HEED_BUILD:-build}
src=${HEED_SRCDIR:-.}
bin=$build/bench/classify_bench
data=${SENTIMENT_DIR:-$src/../shared/data/sentiment}
node_dir=$build/bench/node
corpora="amazonReviewSnippets movieReviewSnippets nytEditorialSnippets"

[ -x "$bin" ] || { echo "bench/classify.sh: $bin is missing; run 'make bench'" >&2; exit 1; }
[ -d "$data" ] || { echo "bench/classify.sh: no corpora in $data (set SENTIMENT_DIR)" >&2; exit 1; }
command -v node >/dev/null 2>&1 || { echo "bench/classify.sh: node is missing" >&2; exit 1; }
files=
for c in $corpora; do files="$files $data/${c}_GroundTruth.txt"; done

if [ ! -f "$node_dir/node_modules/vader-sentiment/package.json" ] ||
   ! grep -q '"version": "1.1.3"' "$node_dir/node_modules/vader-sentiment/package.json"; then
	mkdir -p "$node_dir"
	npm install --silent --prefix "$node_dir" --no-save --no-audit --no-fund \
		vader-sentiment@1.1.3 >&2
fi
export VADERJS_DIR="$node_dir" HEED_BUILD="$build"
one=
command -v taskset >/dev/null 2>&1 && one="taskset -c 0"

# shellcheck disable=SC2086
heed_rate=$($one "$bin" rate "${CLASSIFY_N:-1000000}" $files)
# shellcheck disable=SC2086
js_rate=$($one node "$src/bench/vaderjs.js" rate "${VADERJS_N:-100000}" $files)
echo "bench classify_rate: $heed_rate mentions/s vs vaderjs $js_rate mentions/s, ratio $(awk "BEGIN { printf \"%.1f\", $heed_rate / $js_rate }")"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/heed-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
for c in $corpora; do
	f=$data/${c}_GroundTruth.txt
	node "$src/bench/vaderjs.js" scores "$f" > "$tmp/$c.js"
	"$bin" eval "$f" "$tmp/$c.js" "$(echo "$c" | sed 's/ReviewSnippets\|EditorialSnippets//')"
done
# shellcheck disable=SC2086
"$bin" rss "${CLASSIFY_RSS_N:-10000000}" $files
