#!/bin/sh
# 3020-e2e-redis-down.t - Redis unreachable: the SMTP client gets 451 4.3.0
# at the end of DATA, nothing reaches the sink and nothing is left in
# Postfix's queue; once Redis is back (same port, same data) the retried
# message is handed off exactly once.  Milter on a unix socket.

. "$(dirname "$0")/lib/harness.sh"

require_root
require_tools redis-server redis-cli postfix postconf postqueue smtp-sink \
    smtp-source swaks ss
require_build mailacd-milter

start_stack unix

RUN=$$.$(date +%s)
DATE=$(date -R)

# msg - FILE MSGID SUBJECT: write a small message to support@
msg() {
	cat >"$1" <<EOF
From: Customer <cust@customer.test>
To: support@example.com
Subject: $3
Date: $DATE
Message-ID: <$2>

Please help.
EOF
}

# count_id - MSGID: stream entries whose message_id is <MSGID>
count_id() {
	_n=$(stream_find acme message_id "<$1>" | grep -c .)
	[ "$_n" -gt 0 ] || _n=$(stream_find acme message_id "$1" | grep -c .)
	echo "$_n"
}

# 1. Everything up: the path works.
msg "$T_TMP/w.eml" "w.$RUN@customer.test" "warm-up"
send_mail "$T_TMP/w.eml" cust@customer.test support@example.com
is "$?" 0 "Redis up: message accepted"
ok "Redis up: message reached the sink" wait_sink 1 20
is "$(stream_len acme)" 1 "Redis up: one stream entry"

# 2. Redis stopped: 451 4.3.0 at the end of DATA.
stop_redis
ok "Redis is down" t_port_free "$REDIS_PORT"
MID="down.$RUN@customer.test"
msg "$T_TMP/d.eml" "$MID" "while Redis is down"
T0=$(now_ms)
send_mail "$T_TMP/d.eml" cust@customer.test support@example.com
RC=$?
T1=$(now_ms)
isnt "$RC" 0 "Redis down: swaks reports failure"
REPLY=$(swaks_final_reply)
like "$REPLY" '^451 4\.3\.0 ' "Redis down: end of DATA answered 451 4.3.0"
note "reply: $REPLY ($((T1 - T0)) ms)"
cmp_ok $((T1 - T0)) -lt 10000 "Redis down: the answer comes within 10 s"
sleep 1
is "$(sink_count)" 1 "Redis down: nothing more reached the sink"
ok "Redis down: nothing stuck in Postfix's queue" queue_empty
ok "Redis down: the milter keeps running" t_alive "$MILTER_PID"

# 3. A burst while Redis is down: only 4xx.
smtp-source -A -s 5 -m 20 -l 512 -f burst@customer.test \
    -t support@example.com "127.0.0.1:$SMTP_PORT" >"$T_TMP/burst.log" 2>&1
note "smtp-source exit $?"
NTEMP=$(grep -c ' 4[0-9][0-9] ' "$T_TMP/burst.log")
NPERM=$(grep -c ' 5[0-9][0-9] ' "$T_TMP/burst.log")
is "$NTEMP" 20 "burst: every one of 20 messages got a 4xx"
is "$NPERM" 0 "burst: no 5xx"
like "$(grep ' 4[0-9][0-9] ' "$T_TMP/burst.log" | sed 1q)" '451 4\.3\.0' \
    "burst: the 4xx is 451 4.3.0"
sleep 1
is "$(sink_count)" 1 "burst: nothing reached the sink"
ok "burst: nothing stuck in Postfix's queue" queue_empty
[ "$T_FAILED" -gt 0 ] && diag "$(sed 5q "$T_TMP/burst.log")"

# 4. Redis back on the same port: the same message is handed off once.
restart_redis || bail_out "cannot restart redis-server"
is "$(stream_len acme)" 1 "Redis back: the earlier entry is still there"
send_mail "$T_TMP/d.eml" cust@customer.test support@example.com
RC=$?
is "$RC" 0 "Redis back: the retried message is accepted"
[ "$RC" -eq 0 ] || diag "$(swaks_final_reply)"
ok "Redis back: it reached the sink" wait_sink 2 20
is "$(sink_find "$MID" | wc -l | tr -d ' ')" 1 "Redis back: one copy at the sink"
is "$(stream_len acme)" 2 "Redis back: one new stream entry"
is "$(count_id "$MID")" 1 "Redis back: one entry for the message"
ID1=$(hdr_id "$(msg_header "$(sink_find "$MID" | sed 1q)" X-MailACD-Interaction)")
like "$ID1" '^[0-9a-f]{32}$' "Redis back: the message is stamped"

# 5. The MTA retries once more (say the 250 got lost): still once.
send_mail "$T_TMP/d.eml" cust@customer.test support@example.com
is "$?" 0 "retry after success: accepted"
ok "retry after success: reached the sink" wait_sink 3 20
ID2=$(hdr_id "$(msg_header "$(sink_find "$MID" | sed -n 2p)" X-MailACD-Interaction)")
is "$ID2" "${ID1:-(no id)}" "retry after success: the same interaction id"
is "$(stream_len acme)" 2 "retry after success: no new stream entry"

# 6. A second outage, then Redis back again: the milter reconnects.
stop_redis
send_mail "$T_TMP/w.eml" cust@customer.test support@example.com
like "$(swaks_final_reply)" '^451 4\.3\.0 ' "second outage: 451 4.3.0 again"
restart_redis || bail_out "cannot restart redis-server"
msg "$T_TMP/n.eml" "new.$RUN@customer.test" "after the second outage"
send_mail "$T_TMP/n.eml" cust@customer.test support@example.com
is "$?" 0 "second outage over: a new message is accepted"
ok "second outage over: it reached the sink" wait_sink 4 20
is "$(stream_len acme)" 3 "second outage over: handed off"

# 7. Redis hangs (SIGSTOP): the command timeout bounds the wait, 451; when
# Redis wakes up it may still run the late command, and the retry must
# then reuse that interaction, not add a second one.
MID="slow.$RUN@customer.test"
msg "$T_TMP/s.eml" "$MID" "while Redis hangs"
kill -STOP "$REDIS_PID"
T0=$(now_ms)
send_mail "$T_TMP/s.eml" cust@customer.test support@example.com
T1=$(now_ms)
kill -CONT "$REDIS_PID"
like "$(swaks_final_reply)" '^451 4\.3\.0 ' "Redis hangs: 451 4.3.0"
note "answered after $((T1 - T0)) ms"
cmp_ok $((T1 - T0)) -lt 8000 "Redis hangs: answered within 8 s (timeouts 500 + 1000 ms)"
sleep 1
send_mail "$T_TMP/s.eml" cust@customer.test support@example.com
is "$?" 0 "Redis awake: the retried message is accepted"
ok "Redis awake: it reached the sink" wait_sink 5 20
is "$(count_id "$MID")" 1 "Redis awake: exactly one entry for the message"
ID1=$(hdr_id "$(msg_header "$(sink_find "$MID" | sed 1q)" X-MailACD-Interaction)")
N=$(stream_find acme id "$ID1" | sed 1q)
like "$N" '^[0-9]+$' "Redis awake: the entry carries the delivered id"

ok "the milter is still running" t_alive "$MILTER_PID"
milter_log_clean

# 8. The milter itself down: Postfix's milter_default_action = tempfail
# keeps the mail out (4xx); the milter back on the same socket: accepted.
stop_milter
msg "$T_TMP/m.eml" "nomilter.$RUN@customer.test" "while the milter is down"
send_mail "$T_TMP/m.eml" cust@customer.test support@example.com
isnt "$?" 0 "milter down: not accepted"
like "$(grep '^<\*\*' "$SWAKS_LOG" | sed 1q)" ' 4[0-9][0-9] ' "milter down: a 4xx answer"
ok "milter down: nothing stuck in Postfix's queue" queue_empty
start_milter "$MILTER_SOCKET" || bail_out "cannot restart mailacd-milter"
send_mail "$T_TMP/m.eml" cust@customer.test support@example.com
is "$?" 0 "milter back on the same socket: accepted"
[ "$T_FAILED" -gt 0 ] && diag "$(cat "$SWAKS_LOG")"
ok "milter back: it reached the sink" wait_sink 6 20
is "$(count_id "nomilter.$RUN@customer.test")" 1 "milter back: handed off"
if [ "$T_FAILED" -gt 0 ]; then
	diag "stream:" "$(stream_dump acme)"
fi
done_testing
