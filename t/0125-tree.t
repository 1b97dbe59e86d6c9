#!/bin/sh
# 0125-tree.t - the source tree keeps its own rules (README, Layout):
# each folder includes only what its layer may (common/ nothing of the
# programs, each program common/ and itself), the harness and the
# benchmarks' helpers list every function they define at their head, no
# code or manual refers to the issue tracker, and every test file's number
# falls in a range that t/README.md describes.
. "$(dirname "$0")/lib/harness.sh"
cd "$T_TOP" || bail_out "no source tree at $T_TOP"

# include_ok DIR ALLOWED...: every '#include "x.h"' in DIR/*.[ch] names a
# header of DIR or of one of the ALLOWED folders
include_ok() {
	_d=$1
	shift
	_bad=
	for _f in "$_d"/*.[ch]; do
		[ -e "$_f" ] || continue
		for _h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$_f"); do
			_found=
			for _a in "$_d" "$@"; do
				[ -e "$_a/$_h" ] && _found=1
			done
			# generated headers live in the build directory
			case $_h in *_gen.h) _found=1 ;; esac
			[ -n "$_found" ] || _bad="$_bad $_f:$_h"
		done
	done
	if [ -z "$_bad" ]; then
		pass "$_d/ includes only its own headers${1:+ and those of $*}"
	else
		fail "$_d/ includes only its own headers${1:+ and those of $*}"
		diag "not allowed:$_bad"
	fi
}

include_ok common
include_ok milter common
include_ok router common
include_ok ctl common
include_ok fuzz common milter router
include_ok bench common
include_ok t/unit common milter router

# toc_ok FILE: every function FILE defines is named in its head comment
# (the lines before the first line that is not a comment)
toc_ok() {
	_head=$(awk '!/^#/ { exit } { print }' "$1")
	_missing=
	for _fn in $(sed -n 's/^\([a-z_][a-z_0-9]*\)() {$/\1/p' "$1"); do
		printf '%s\n' "$_head" | grep -qw -- "$_fn" ||
		    _missing="$_missing $_fn"
	done
	if [ -z "$_missing" ]; then
		pass "$1 lists every function it defines at its head"
	else
		fail "$1 lists every function it defines at its head"
		diag "not listed:$_missing"
	fi
}

toc_ok t/lib/harness.sh
toc_ok bench/lib.sh

# helpers the benchmarks alone use live in bench/lib.sh, not the harness
for _fn in $(sed -n 's/^\([a-z_][a-z_0-9]*\)() {$/\1/p' bench/lib.sh); do
	if grep -qw -- "$_fn" t/*.t contrib/*.sh; then
		fail "bench/lib.sh's $_fn is used by tests: it belongs in the harness"
	fi
done
pass "the benchmarks' helpers are used by benchmarks only"

# no reference to the issue tracker in code, tests, manuals or README
REFS=$(grep -rn -E -i '\bissues? *#?[0-9]+\b|\(#[0-9]+\)|\bgh-[0-9]+' \
    common milter router ctl fuzz bench contrib conf man t Makefile \
    README.md 2>/dev/null | grep -v '^t/0125-tree.t:')
is "$REFS" "" "no code, test or manual refers to an issue number"

# every server-side operation is a function of the one library: no Lua
# in the programs' C, no EVAL or EVALSHA
LUA=$(grep -rln -E 'redis\.call|"EVAL(SHA)?"|EVAL %s' common milter router ctl \
    --include='*.c' --include='*.h' 2>/dev/null)
is "$LUA" "" "no Lua and no EVAL outside common/mailacd.lua"

# every test file's number is in a range of t/README.md's table
RANGES=$(sed -n 's/^| \([0-9]\{4\}\)-\([0-9]\{4\}\) |.*/\1 \2/p' t/README.md)
ok "t/README.md describes the numbering in ranges" test -n "$RANGES"
OUT=
for _t in t/[0-9]*.t; do
	_n=$(basename "$_t" | cut -c1-4)
	_in=$(printf '%s\n' "$RANGES" | awk -v n="$_n" \
	    '$1 + 0 <= n + 0 && n + 0 <= $2 + 0 { print "y"; exit }')
	[ -n "$_in" ] || OUT="$OUT $_t"
	case $(basename "$_t") in
	[0-9][0-9][0-9][0-9]-*.t) ;;
	*) OUT="$OUT $_t(name)" ;;
	esac
done
is "$OUT" "" "every test file is named NNNN-what.t in a described range"

done_testing
