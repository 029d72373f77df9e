#!/bin/sh
# fuzz.sh: build every tests/fuzz/fuzz_*.c with clang's libFuzzer and
# AddressSanitizer + UndefinedBehaviorSanitizer (libheed built the same way
# under $FUZZ_BUILD), then run the targets one after another for
# FUZZ_SECONDS in all (default 300, split evenly). Each target starts from
# its committed seeds in tests/fuzz/corpus/NAME and keeps what it finds in
# $FUZZ_BUILD/corpus/NAME. A crash stops the run: the input is saved as
# $FUZZ_BUILD/crash-* and the script fails.
set -eu
secs=${FUZZ_SECONDS:-300}
build=${FUZZ_BUILD:-build/fuzz}
cc=${FUZZ_CC:-clang}
san=fuzzer-no-link,address,undefined
pkgs="libcurl jansson libpcre2-8 libpq inih libutf8proc"

command -v "$cc" >/dev/null 2>&1 ||
	{ echo "fuzz: $cc is missing (clang and libclang-rt-dev are needed)" >&2; exit 1; }
targets=$(ls tests/fuzz/fuzz_*.c 2>/dev/null || true)
[ -n "$targets" ] || { echo "fuzz: no targets in tests/fuzz" >&2; exit 1; }

make --no-print-directory BUILD="$build" CC="$cc" SANITIZE="$san" \
	"$build/libheed.a" classifier-data >&2
n=$(echo "$targets" | wc -w)
per=$((secs / n))
[ "$per" -ge 1 ] || per=1
HEED_DATA_DIR=$(cd "$build/share/heed" && pwd)
export HEED_DATA_DIR
# shellcheck disable=SC2046
flags="-g -O1 -std=c11 -D_GNU_SOURCE -DPCRE2_CODE_UNIT_WIDTH=8 -Ilib/include \
	$(pkg-config --cflags $pkgs) -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer"
for t in $targets; do
	name=$(basename "$t" .c)
	corpus=$build/corpus/${name#fuzz_}
	seeds=tests/fuzz/corpus/${name#fuzz_}
	mkdir -p "$corpus"
	# shellcheck disable=SC2086
	$cc $flags -o "$build/$name" "$t" "$build/libheed.a" \
		$(pkg-config --libs $pkgs) -lm
	echo "== $name: $per s" >&2
	(cd "$build" && ASAN_OPTIONS=detect_leaks=1 "./$name" \
		-max_total_time="$per" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix=./ \
		"corpus/${name#fuzz_}" "$OLDPWD/$seeds") ||
		{ echo "fuzz: $name failed; see $build/crash-*" >&2; exit 1; }
done
echo "fuzz: $n targets, $secs s in all, no crash" >&2
