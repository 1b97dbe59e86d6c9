#!/bin/sh
# lang.sh - language detection: CLD2 (what common/lang.c uses) against
# libexttextcat on the labelled samples of t/data/lang, for accuracy and
# microseconds per message (bench/lang-bench.c says what is measured).
#
# Usage: make bench   (or: make build/bench/lang-bench &&
#                     MAILACD_BUILD=$PWD/build sh bench/lang.sh)
#
# Two runs of the same program: with glibc's malloc as it comes, and with
# its trim threshold raised to 64 MiB (GLIBC_TUNABLES).  CLD2 allocates
# about 175 KB a call and frees it; with the default threshold (128 KiB)
# glibc gives that memory back to the kernel after every call and faults
# it in again on the next, which costs CLD2 more than its work on short
# texts.  A daemon can raise the threshold with mallopt(M_TRIM_THRESHOLD).
#
#   BENCH_LANG_ROUNDS=200   rounds over the samples for each timing
#   BENCH_LANG_LIMIT=4096   octets examined (lang_detect's limit)
#
# The output goes to stdout and bench/out/lang.txt, with the command and
# the load average at the top.  Nothing is built here; bench/RESULTS.md is
# left alone.

T_TOP=$(cd "$(dirname "$0")/.." && pwd)
T_TAP=0
MAILACD_TEST_TIMEOUT=0
. "$T_TOP/bench/lib.sh"

ROUNDS=${BENCH_LANG_ROUNDS:-200}
LIMIT=${BENCH_LANG_LIMIT:-4096}
OUT=$T_TOP/bench/out
CMD="BENCH_LANG_ROUNDS=$ROUNDS BENCH_LANG_LIMIT=$LIMIT sh bench/lang.sh"

bench_programs bench/lang-bench
BIN=$MAILACD_BUILD/bench/lang-bench
TUNE=glibc.malloc.trim_threshold=67108864

mkdir -p "$OUT"
{
	echo "mailacd language bench, $(date -u '+%Y-%m-%d %H:%M UTC')," \
	    "$(nproc) CPUs, $(uname -r)"
	echo "command: $CMD"
	echo "commit: $(git -C "$T_TOP" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "== malloc as it comes"
	"$BIN" -r "$ROUNDS" -l "$LIMIT" "$T_TOP/t/data/lang" || exit 1
	echo
	echo "== GLIBC_TUNABLES=$TUNE (timings only)"
	GLIBC_TUNABLES=$TUNE "$BIN" -r "$ROUNDS" -l "$LIMIT" \
	    "$T_TOP/t/data/lang" | sed -n '/^microseconds/,$p' || exit 1
	echo
	echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/lang.txt"
cat "$OUT/lang.txt"
