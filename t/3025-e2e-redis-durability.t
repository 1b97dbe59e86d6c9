#!/bin/sh
# 3025-e2e-redis-durability.t - what Redis acknowledged must still be there.
#
# 1. Redis with appendonly yes + appendfsync always, killed with SIGKILL in
#    the middle of a burst and restarted from its files: every message the
#    SMTP client saw accepted has its interaction in the stream, nothing is
#    reported lost, mailacdctl check calls the settings safe.
# 2. Redis without persistence, killed and restarted empty (a wipe): the
#    milter and the router log an error that names the cause, mailacdctl
#    status shows it, mailacdctl check and the daemons warn about the
#    settings.
# 3. Redis wiped while no mailacd program runs: a router with
#    router.dataset_file notices it when it starts.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix postconf swaks ss
require_build mailacd-milter
require_build mailacd-router
require_build mailacdctl
PY=/usr/bin/python3

REDIS_ARGS="--appendonly yes --appendfsync always"
MILTER_SENDER_RATE_LIMIT=0
start_stack unix
ctl() { "$MAILACD_BUILD/mailacdctl" -c "$MILTER_CONF" "$@"; }
RUN=$$.$(date +%s)

# 1. durable settings
ctl check >"$T_TMP/check.out" 2>"$T_TMP/check.err"
is "$?" 0 "mailacdctl check: exit 0"
like "$(cat "$T_TMP/check.err")" "redis 127.0.0.1:$REDIS_PORT: persistence: appendonly yes, appendfsync always: acknowledged interactions survive" \
    "mailacdctl check reports AOF always as safe"
unlike "$(cat "$T_TMP/check.err")" "warning" "and does not warn"
json=$(ctl --json check 2>/dev/null)
like "$json" '"redis":\{"server":"127\.0\.0\.1:[0-9]+","reachable":true,"persistence":"safe"' \
    "check --json: the redis object says safe"
has_line() { grep -q "$2" "$1"; }
ok "the milter logs the persistence settings at start" \
    wait_for 10 has_line "$MILTER_LOG" "persistence: appendonly yes, appendfsync always"

"$PY" "$T_TOP/t/lib/smtp-burst.py" "$SMTP_PORT" 400 "burst-$RUN" \
    cust@customer.test support@example.com >"$T_TMP/burst.out" 2>&1 &
BURST=$!
n_acc() { [ "$(grep -c '^accepted' "$T_TMP/burst.out")" -ge "$1" ]; }
wait_for 60 n_acc 60 || diag "the burst did not get going" "$(cat "$T_TMP/burst.out")"
crash_redis
ok "Redis was killed with SIGKILL in the middle of the burst" t_port_free "$REDIS_PORT"
sleep 1
restart_redis || bail_out "cannot restart redis-server"
wait "$BURST"
acc=$(grep -c '^accepted' "$T_TMP/burst.out")
ref=$(grep -c '^refused' "$T_TMP/burst.out")
note "burst: $acc accepted, $ref refused (tempfailed while Redis was down)"
cmp_ok "$ref" -gt 0 "some messages were tempfailed while Redis was down"
cmp_ok "$acc" -gt 60 "and the others accepted"
rcli XRANGE "mailacd:{acme}:ingest" - + | grep "^<burst-$RUN\." | sort -u \
    >"$T_TMP/recorded"
grep '^accepted' "$T_TMP/burst.out" | awk '{ print $2 }' | sort -u \
    >"$T_TMP/accepted"
lost=$(comm -23 "$T_TMP/accepted" "$T_TMP/recorded" | wc -l)
is "$lost" 0 "every accepted message has its interaction after the crash ($acc accepted)"
comm -23 "$T_TMP/accepted" "$T_TMP/recorded" | head -5 | while read -r l; do diag "lost: $l"; done
sleep 2
unlike "$(cat "$MILTER_LOG")" "lost its data" \
    "a crash with AOF always is not reported as a loss"

# 2. no persistence: a restart is a wipe
stop_milter
stop_redis
rm -rf "$T_TMP/redis/dump.rdb" "$T_TMP/redis/appendonlydir"
REDIS_ARGS=""
restart_redis || bail_out "cannot restart redis-server without persistence"
start_milter unix "$MILTER_CONF" || bail_out "cannot restart mailacd-milter"
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f -d \
    -c "$MILTER_CONF"
ROUTER_PID=$SPAWNED_PID
ok "the milter warns about Redis without persistence" \
    wait_for 10 has_line "$MILTER_LOG" "warning: redis 127.0.0.1:$REDIS_PORT: persistence: no persistence (appendonly no, save \"\"): a restart of Redis loses every interaction"
ok "so does the router" \
    wait_for 10 has_line "$T_TMP/router.log" "warning: redis 127.0.0.1:$REDIS_PORT: persistence: no persistence"
ctl check >/dev/null 2>"$T_TMP/check.err"
like "$(cat "$T_TMP/check.err")" "warning: redis 127.0.0.1:$REDIS_PORT: persistence: no persistence" \
    "mailacdctl check warns"
like "$(ctl status)" "data set       since .*, nothing lost seen" \
    "status: the data set's marker, nothing lost"

{
	printf 'From: Customer <cust@customer.test>\nTo: support@example.com\n'
	printf 'Subject: before\nMessage-ID: <before-%s@customer.test>\n\nHello.\n' "$RUN"
} >"$T_TMP/before.eml"
ok "a message is accepted" send_mail "$T_TMP/before.eml" cust@customer.test support@example.com
queued() { [ "$(ctl --json status | grep -o '"waiting":[0-9]*' | head -1)" = '"waiting":1' ]; }
ok "the router queued its interaction" wait_for 20 queued

crash_redis
restart_redis || bail_out "cannot restart redis-server"
is "$(stream_find acme message_id "<before-$RUN@customer.test>" | grep -c .)" 0 \
    "Redis came back empty: the interaction is gone"
ok "the milter logs that Redis lost its data, naming the cause" \
    wait_for 15 has_line "$MILTER_LOG" "error: redis 127.0.0.1:$REDIS_PORT: organisation acme: Redis lost its data: the marker mailacd:{acme}:dataset held [0-9a-f]* and now holds [0-9a-f]* (Redis restarted without persistence"
ok "so does the router" \
    wait_for 15 has_line "$T_TMP/router.log" "organisation acme: Redis lost its data"
st=$(ctl status 2>&1)
like "$st" "data set       LOST: Redis lost its data; noticed .* by mailacd-(milter|router)" \
    "mailacdctl status shows the loss"
like "$(ctl --json status)" '"dataset":\{"id":"[0-9a-f]{32}","created":[0-9]+,"created_by":"[^"]+","lost":true,"lost_detected":[0-9]+' \
    "status --json: dataset.lost is true"
is "$(grep -c 'Redis lost its data' "$MILTER_LOG")" 1 "the milter said it once"
{
	printf 'From: Customer <cust@customer.test>\nTo: support@example.com\n'
	printf 'Subject: after\nMessage-ID: <after-%s@customer.test>\n\nAgain.\n' "$RUN"
} >"$T_TMP/after.eml"
ok "mail is still accepted after the loss" send_mail "$T_TMP/after.eml" cust@customer.test support@example.com
is "$(stream_find acme message_id "<after-$RUN@customer.test>" | grep -c .)" 1 \
    "and recorded in the Redis that is there"
kill_pid "$ROUTER_PID"

# 3. a loss while nothing runs: router.dataset_file remembers the marker
RCONF=$T_TMP/router.conf
cp "$MILTER_CONF" "$RCONF"
printf 'router = { dataset_file = "%s"; };\n' "$T_TMP/nodir/router.dataset" \
    >>"$RCONF"
spawn router2 "$T_TMP/router2.log" "$MAILACD_BUILD/mailacd-router" -f -d \
    -c "$RCONF"
ok "a dataset_file it cannot write: the router warns, and runs" \
    wait_for 10 has_line "$T_TMP/router2.log" "warning: .*cannot keep the data-set markers in $T_TMP/nodir/router.dataset (a temporary file beside it: No such file or directory)"
kill_pid "$SPAWNED_PID"
cp "$MILTER_CONF" "$RCONF"
printf 'router = { dataset_file = "%s"; };\n' "$T_TMP/router.dataset" >>"$RCONF"
spawn router3 "$T_TMP/router3.log" "$MAILACD_BUILD/mailacd-router" -f -d \
    -c "$RCONF"
MARK=$(rcli HGET 'mailacd:{acme}:dataset' id)
kept() { grep -qx "acme $MARK" "$T_TMP/router.dataset" 2>/dev/null; }
ok "the router keeps the marker it saw in router.dataset_file" wait_for 10 kept
kill_pid "$SPAWNED_PID"
stop_milter
crash_redis
restart_redis || bail_out "cannot restart redis-server"
is "$(rcli EXISTS 'mailacd:{acme}:dataset')" 0 \
    "Redis lost its data while no mailacd program ran"
spawn router4 "$T_TMP/router4.log" "$MAILACD_BUILD/mailacd-router" -f -d \
    -c "$RCONF"
ok "the router started afterwards notices the loss" \
    wait_for 15 has_line "$T_TMP/router4.log" "organisation acme: Redis lost its data: the marker mailacd:{acme}:dataset held $MARK and now holds"
like "$(ctl status 2>&1)" "data set       LOST: Redis lost its data; noticed .* by mailacd-router" \
    "mailacdctl status shows it"
NEW=$(rcli HGET 'mailacd:{acme}:dataset' id)
renewed() { grep -qx "acme $NEW" "$T_TMP/router.dataset"; }
ok "the file now holds the new marker" wait_for 10 renewed
is "$(grep -c 'Redis lost its data' "$T_TMP/router4.log")" 1 "said once"
kill_pid "$SPAWNED_PID"
milter_log_clean
logs_clean "no sanitizer report in the router logs" "$T_TMP/router.log" \
    "$T_TMP/router2.log" "$T_TMP/router3.log" "$T_TMP/router4.log"
done_testing
