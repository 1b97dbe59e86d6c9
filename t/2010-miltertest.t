#!/bin/sh
# 2010-miltertest.t - mailacd-milter driven by miltertest (no MTA): routing
# header, spoofed headers removed, retries idempotent, unregistered mail
# skipped at DATA, Redis down -> 451 4.3.0, Redis back -> hand-off again.
. "$(dirname "$0")/lib/harness.sh"
require_tools miltertest redis-server redis-cli
require_build mailacd-milter

start_redis
milter_conf '{ address = "off@example.com"; queue = "support"; enabled = false; },' \
    >"$T_TMP/mailacd.conf.in"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
sed "s|socket = \".*\";|socket = \"$MILTER_SOCKET\";|" "$T_TMP/mailacd.conf.in" \
    >"$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf"

mt_run inbound.lua
S='mailacd:{acme}:ingest'
is "$(rcli XLEN "$S")" 3 "three interactions in the stream (retry added none)"
id=$(sed -n 's/^# ID //p' "$T_TMP/mt-inbound.lua.out")
is "$(stream_field acme 1 id)" "$id" "first entry carries the stamped id"
is "$(stream_field acme 1 queue)" support "queue field"
is "$(stream_field acme 1 address)" support@example.com "address field"
is "$(stream_field acme 1 rcpt)" "<Support+order42@EXAMPLE.com>" "rcpt field keeps what the client sent"
is "$(stream_field acme 1 subject)" "Über meine Rechnung" "subject decoded to UTF-8"
is "$(stream_field acme 1 sender)" "<ana@example.net>" "sender field"
is "$(stream_field acme 1 queue_id)" QID001 "queue id from the {i} macro"
is "$(stream_field acme 1 message_id)" "<mt-1@example.net>" "message_id field"
is "$(stream_field acme 1 v)" 1 "schema version field"
is "$(rcli GET 'mailacd:{acme}:schema')" 1 "schema key written"
is "$(stream_field acme 2 queue)$(stream_field acme 3 queue)" supportbilling \
    "several recipients: one entry per registered address"

# a Redis that hangs (stopped, so connections open but nothing answers)
kill -STOP "$REDIS_PID"
t0=$(now_ms)
mt_run redis-down.lua
t1=$(now_ms)
kill -CONT "$REDIS_PID"
like "$(cat "$MILTER_LOG")" "QID101: redis 127.0.0.1:$REDIS_PORT: hand-off failed: timeout" \
    "a hanging Redis is a timeout in the log"
ok "a hanging Redis costs at most two command timeouts (took $((t1 - t0)) ms)" \
    test $((t1 - t0)) -lt 4000
# The script was sent before the timeout: Redis runs it when it wakes up.
# That interaction is in doubt for the MTA, which retries; the retry must
# get the same id and add nothing.
ok "the in-doubt hand-off lands once Redis wakes up" \
    wait_for 5 sh -c "[ \"\$(redis-cli -p $REDIS_PORT XLEN '$S')\" = 4 ]"
mt_run retry.lua
rid=$(sed -n 's/^# ID //p' "$T_TMP/mt-retry.lua.out")
is "$(rcli XLEN "$S")" 4 "the MTA's retry adds no second entry"
is "$rid" "$(stream_field acme 4 id)" "and is stamped with the recorded id"

stop_redis
mt_run redis-down.lua
like "$(cat "$MILTER_LOG")" "QID101: redis 127.0.0.1:$REDIS_PORT: hand-off failed: connect" \
    "the log says why, starting with the queue id"

restart_redis
mt_run inbound.lua
is "$(rcli XLEN "$S")" 4 "Redis back (data kept): retries of known messages add nothing"
rcli FLUSHALL >/dev/null
mt_run inbound.lua
is "$(rcli XLEN "$S")" 3 "Redis back and empty: hand-off works again"

# the same conversation over TCP with every step answered
kill_pid "$MILTER_PID"
t_forget "$MILTER_PID"
rcli FLUSHALL >/dev/null
P=$(free_port)
sed -e "s|socket = \".*\";|socket = \"inet:$P@127.0.0.1\"; no_reply_steps = false;|" \
    "$T_TMP/mailacd.conf.in" >"$T_TMP/mailacd-tcp.conf"
start_milter "inet:$P@127.0.0.1" "$T_TMP/mailacd-tcp.conf"
NR=0 mt_run inbound.lua
is "$(rcli XLEN "$S")" 3 "over TCP, every step answered: the same three interactions"

rcli SET 'mailacd:{acme}:schema' 99 >/dev/null
mt_run redis-down.lua
like "$(cat "$MILTER_LOG")" "hand-off failed: SCHEMA mailacd:\\{acme\\}:schema is \"99\"; this library knows schema 1; tempfail" \
    "an unknown schema version is refused (tempfail), not overwritten"
is "$(rcli GET 'mailacd:{acme}:schema')" 99 "the stored schema version stays"
milter_log_clean
done_testing
