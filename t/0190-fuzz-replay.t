#!/bin/sh
# 0190-fuzz-replay.t - the libFuzzer targets (fuzz/fuzz_*.c) run once over
# every seed of their corpus (fuzz/corpus/NAME/), which holds the inputs
# that once crashed them: one test per target, passing when no input
# crashes, trips a sanitizer or breaks a target's own checks.  No fuzzing
# happens here (that is make fuzz); this is a fixed, fast replay.  The
# targets are built with clang into build-fuzz/ by make test (make
# fuzz-build), or here when they are missing.
. "$(dirname "$0")/lib/harness.sh"

command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1 ||
    skip_all "clang is not installed"

FZ=${MAILACD_FUZZ_BUILD:-$T_TOP/build-fuzz}/fuzz
names=
for src in "$T_TOP"/fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	n=${src##*/fuzz_}
	names="$names ${n%.c}"
done
[ -n "$names" ] || skip_all "no fuzz targets in fuzz/"

missing=
for n in $names; do
	[ -x "$FZ/fuzz_$n" ] || missing=1
done
if [ -n "$missing" ] && [ -z "${MAILACD_FUZZ_BUILD:-}" ]; then
	note "building the fuzz targets (make fuzz-build)"
	make -s -C "$T_TOP" fuzz-build >"$T_TMP/build.log" 2>&1 ||
	    { diag "$(tail -20 "$T_TMP/build.log")"; bail_out "make fuzz-build failed"; }
fi

for n in $names; do
	bin=$FZ/fuzz_$n
	dir=$T_TOP/fuzz/corpus/$n
	if [ ! -x "$bin" ]; then
		fail "fuzz_$n: $bin was not built"
		continue
	fi
	set -- "$dir"/*
	if [ ! -e "$1" ]; then
		fail "fuzz_$n: no seeds in fuzz/corpus/$n"
		continue
	fi
	if "$bin" -timeout=20 -rss_limit_mb=2048 "$@" >"$T_TMP/$n.log" 2>&1
	then
		pass "fuzz_$n: $# seeds replayed without a crash"
	else
		fail "fuzz_$n: a seed of fuzz/corpus/$n fails"
		diag "$(grep -E 'Running:|ERROR|SUMMARY|runtime error|#[0-9]+ 0x' \
		    "$T_TMP/$n.log" | tail -30)"
	fi
done
done_testing
