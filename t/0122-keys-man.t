#!/bin/sh
# 0122-keys-man.t - common/keys.h, the one place that spells the Redis
# keys, and man/mailacd-keys.7, which documents them, name the same keys
# (as t/0120 checks the configuration against its man page); the function
# library spells none of its own, and the functions it registers are the
# ones the man page describes.
. "$(dirname "$0")/lib/harness.sh"
cd "$T_TOP" || bail_out "no source tree at $T_TOP"

# the key shapes of keys.h: "agent:*:ix" for "mailacd:{%s}:agent:%s:ix"
H=$(sed -n 's/^#define KEYS_FMT_[A-Z_]*[[:space:]]*"mailacd:{%s}:\([^"]*\)".*/\1/p' \
    common/keys.h | sed 's/%[0-9]*l*[sd]/*/g' | sort -u)
# ... and of the man page: ".It Li mailacd:{ Ns Ar org Ns }:agent: Ns Ar id Ns :ix"
M=$(sed -n 's/^\.It Li mailacd:{ Ns Ar org Ns }://p' man/mailacd-keys.7 |
    sed 's/ , Li mailacd:{ Ns Ar org Ns }:/\n/g' |
    sed -e 's/Ar [^ ]*/*/g' -e 's/Ns//g' -e 's/ //g' | sort -u)

ok "keys.h defines key formats" test "$(printf '%s\n' "$H" | wc -l)" -ge 25
# no global key: every key format is under one organisation's hash tag
# (KEYS_FMT_MEMBER is a sorted-set member, not a key)
is "$(grep '^#define KEYS_FMT_' common/keys.h | grep -v 'KEYS_FMT_MEMBER' |
    grep -v '"mailacd:{%s}:')" "" \
    "every key format of keys.h is under an organisation's hash tag"
like "$(sed -n '/^\.Sh ORGANISATIONS AND REDIS CLUSTER/,/^\.Sh /p' man/mailacd-keys.7)" \
    'No command and no function touches more than one organisation' \
    "mailacd-keys(7) says which calls touch more than one organisation"
like "$(sed -n '/^local function context/,/^end/p' common/mailacd.lua)" \
    'BADARG' "the library refuses KEYS outside KEYS[1]'s organisation"

ok "the man page lists keys" test "$(printf '%s\n' "$M" | wc -l)" -ge 25
is "$(printf '%s\n' "$H" | grep -vxF -- "$M")" "" \
    "every key of keys.h is described in mailacd-keys(7)"
is "$(printf '%s\n' "$M" | grep -vxF -- "$H")" "" \
    "every key mailacd-keys(7) describes is defined in keys.h"

# the library takes its key formats, versions and rank unit from keys.h
# (common/keys2lua.awk): no key name, version or 60000 of its own
LUA=common/mailacd.lua
is "$(grep -nE "^local (SCHEMA|LIBRARY|PRIORITY_MS|FMT_[A-Z_]+|K) *=" "$LUA")" "" \
    "mailacd.lua defines no version, format or key table of its own"
KEYWORDS=$(printf '%s\n' "$H" | sed 's/[:*].*//' | sort -u | tr '\n' '|' |
    sed 's/|$//')
is "$(grep -nE "'($KEYWORDS):|\.\. *':[a-z]|':($KEYWORDS):" "$LUA")" "" \
    "mailacd.lua builds no key from a spelled-out name"
is "$(grep -n '60000' "$LUA" | grep -v '^[0-9]*:[^-]*--\|x priority')" "" \
    "mailacd.lua spells no priority unit"
BUILT=$MAILACD_BUILD/common/mailacd.lua
if [ -r "$BUILT" ]; then
	like "$(sed -n 2,4p "$BUILT")" "keys2lua" \
	    "the built library starts with the translation of keys.h"
	is "$(sed -n "s/^local LIBRARY = '\(.*\)'/\1/p" "$BUILT")" \
	    "$(sed -n 's/^#define KEYS_LIBRARY[^"]*"\(.*\)"/\1/p' common/keys.h)" \
	    "the built library's version is keys.h's"
else
	skip "$BUILT not built" 2
fi

# the functions: registered by the library, described by the man page
F=$( { sed -n "s/.*register_function('\(mailacd_[a-z_]*\)'.*/\1/p" "$LUA"
	sed -n "s/.*function_name *= *'\(mailacd_[a-z_]*\)'.*/\1/p" "$LUA"
    } | sort -u)
# ".It Li mailacd_ingest , mailacd_dead": every name on the item line
FM=$(grep '^\.It Li mailacd_' man/mailacd-keys.7 | grep -o 'mailacd_[a-z_]*' |
    sort -u)
ok "the library registers functions" test -n "$F"
is "$(printf '%s\n' "$F" | grep -vxF -- "$FM")" "" \
    "every function of the library is described in mailacd-keys(7)"
is "$(printf '%s\n' "$FM" | grep -vxF -- "$F")" "" \
    "every function mailacd-keys(7) describes is in the library"

done_testing
