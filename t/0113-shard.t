#!/bin/sh
# 0113-shard.t - organisations on their own Redis: organizations.redis
# parsed with the top-level group's table and checks (errors as
# file:line), organisations that name the same Redis sharing one group,
# router.organizations checked against the organisations, the views and
# pools per group (t/unit/shard_test.c); and what the daemons' -n say.
. "$(dirname "$0")/lib/harness.sh"
require_build t/shard_test
require_build mailacd-router
require_build mailacd-milter
# the unit test's lines are this file's first assertions
"$MAILACD_BUILD/t/shard_test" >"$T_TMP/unit.tap" 2>&1
UNIT_RC=$?
sed '/^1\.\./d' "$T_TMP/unit.tap"
T_N=$(grep -c '^ok \|^not ok ' "$T_TMP/unit.tap")
T_FAILED=$(grep -c '^not ok ' "$T_TMP/unit.tap")
[ "$T_N" -gt 0 ] || fail "t/shard_test ran: $(cat "$T_TMP/unit.tap")"
# a sanitizer report (make test-asan) fails it without a "not ok"
[ "$UNIT_RC" = 0 ] || [ "$T_FAILED" -gt 0 ] ||
    fail "t/shard_test exited $UNIT_RC: $(grep -v '^ok ' "$T_TMP/unit.tap" | head -20)"

conf() {
	cat <<CONF
redis = { host = "127.0.0.1"; port = 7000; };
milter = { socket = "inet:8891@127.0.0.1"; };
router = { $1 };
organizations = (
	{ id = "acme"; queues = ( { name = "q"; } ); },
	{ id = "beta"; queues = ( { name = "q"; } );
	  redis = { host = "127.0.0.1"; port = 7001; }; }
);
CONF
}
conf "" >"$T_TMP/all.conf"
conf 'organizations = [ "beta" ];' >"$T_TMP/beta.conf"
chmod 600 "$T_TMP/all.conf" "$T_TMP/beta.conf"
OUT=$("$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/all.conf" 2>&1)
is "$?" 0 "the milter takes organisations on two Redis groups"
OUT=$("$MAILACD_BUILD/mailacd-router" -n -c "$T_TMP/all.conf" 2>&1)
is "$?" 0 "the router takes organisations on two Redis groups"
OUT=$("$MAILACD_BUILD/mailacd-router" -n -c "$T_TMP/beta.conf" 2>&1)
is "$?" 0 "router.organizations = [ \"beta\" ]: configuration OK"
sed 's/"beta" \]/"beta", "gamma" ]/' "$T_TMP/beta.conf" >"$T_TMP/gamma.conf"
chmod 600 "$T_TMP/gamma.conf"
OUT=$("$MAILACD_BUILD/mailacd-router" -n -c "$T_TMP/gamma.conf" 2>&1)
is "$?" 78 "router.organizations naming an unknown organisation: exit 78"
like "$OUT" 'gamma\.conf:3: router\.organizations\[#1\] = "gamma": no such organisation' \
    "  with file:line"
done_testing
