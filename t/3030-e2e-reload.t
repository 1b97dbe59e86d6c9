#!/bin/sh
# 3030-e2e-reload.t - SIGHUP reloads mailacd-milter's configuration under
# load: a new address routes after a valid reload, an SMTP session open
# across the reload completes, a broken file is refused with its errors in
# the log and the running configuration kept.  Milter on a TCP socket.

. "$(dirname "$0")/lib/harness.sh"

require_root
require_tools redis-server redis-cli postfix postconf postqueue smtp-sink \
    swaks ss perl
require_build mailacd-milter

start_stack inet

RUN=$$.$(date +%s)
DATE=$(date -R)

# msg - TO SUBJECT: write a fresh message to TO; sets MSG (file), MID
msg() {
	# a counter in a file: route runs in $(...) subshells
	SEQ=$(($(cat "$T_TMP/seq" 2>/dev/null || echo 0) + 1))
	echo "$SEQ" >"$T_TMP/seq"
	MID="r$SEQ.$RUN@customer.test"
	MSG=$T_TMP/r$SEQ.eml
	cat >"$MSG" <<EOF
From: Customer <cust@customer.test>
To: $1
Subject: $2
Date: $DATE
Message-ID: <$MID>

Hello.
EOF
}

# route - TO: send a fresh message to TO, print the queue of its
# X-MailACD-Interaction header ("" when not stamped, "FAILED" when the
# message did not get through)
route() {
	msg "$1" "route $SEQ"
	send_mail "$MSG" cust@customer.test "$1" || { echo FAILED; return; }
	wait_for 20 t_has "$MID" || { echo FAILED; return; }
	hdr_param "$(msg_header "$(sink_find "$MID")" X-MailACD-Interaction)" queue
}

t_has() { [ -n "$(sink_find "$1")" ]; }

# routes_to_sales - mail to ventas@ is stamped for queue "sales"
routes_to_sales() {
	[ "$(route ventas@example.com)" = sales ]
}

NEW_ADDR='{ address = "ventas@example.com"; queue = "sales";
	  skills = [ "sales" ]; language = "es"; priority = 15; },'

# 1. Before: ventas@ is not registered.
is "$(route ventas@example.com)" "" "before reload: ventas@ passes unstamped"
is "$(route support@example.com)" support "before reload: support@ routes"

# 2. A session opened before the reload, finished after it.
msg support@example.com "open across the reload"
SLOW_MID=$MID
spawn slow "$T_TMP/slow.out" perl "$T_TOP/t/lib/slow-smtp.pl" 127.0.0.1 \
    "$SMTP_PORT" cust@customer.test support@example.com "$MSG" \
    "$T_TMP/slow.ready" "$T_TMP/slow.go" 30
SLOW_PID=$SPAWNED_PID
ok "a slow session is in the middle of DATA" wait_for 15 test -e "$T_TMP/slow.ready"

# 3. Valid new configuration, SIGHUP.
milter_conf "$NEW_ADDR" >"$T_TMP/mailacd.conf.new"
mv "$T_TMP/mailacd.conf.new" "$MILTER_CONF"
LOGSIZE=$(wc -c <"$MILTER_LOG")
kill -HUP "$MILTER_PID"
# The reload happens between connections: poll with fresh messages.
ok "after SIGHUP: ventas@ routes to queue sales" wait_for 10 routes_to_sales
ok "after SIGHUP: the milter is running" t_alive "$MILTER_PID"

touch "$T_TMP/slow.go"
wait_for 30 t_not_alive "$SLOW_PID"
t_reap "$SLOW_PID"
like "$(tail -n 1 "$T_TMP/slow.out")" '^250 ' \
    "the session open across the reload completed"
ok "its message reached the sink" wait_for 20 t_has "$SLOW_MID"
like "$(msg_header "$(sink_find "$SLOW_MID")" X-MailACD-Interaction)" \
    'queue=support' "its message was stamped"

N=$(stream_find acme queue sales | sed -n '$p')
like "$N" '^[0-9]+$' "after SIGHUP: a stream entry for queue sales"
is "$(stream_field acme "${N:-0}" address)" ventas@example.com \
    "after SIGHUP: stream field address"
is "$(stream_field acme "${N:-0}" language)" es "after SIGHUP: stream field language"
is "$(stream_field acme "${N:-0}" priority)" 15 "after SIGHUP: stream field priority"

# 4. Broken configuration: refused, errors logged, old configuration kept.
sleep 1
LOGSIZE=$(wc -c <"$MILTER_LOG")
{
	milter_conf "$NEW_ADDR" | sed 's/priority = 15;/priority = 5000;/'
	echo 'bogus_setting = 1;'
} >"$T_TMP/mailacd.conf.bad"
cp "$T_TMP/mailacd.conf.bad" "$MILTER_CONF"
kill -HUP "$MILTER_PID"
errors_logged() {
	tail -c +"$((LOGSIZE + 1))" "$MILTER_LOG" | grep -q 'mailacd\.conf:[0-9]'
}
ok "broken config: errors logged as file:line" wait_for 10 errors_logged
NEWLOG=$(tail -c +"$((LOGSIZE + 1))" "$MILTER_LOG")
note "$NEWLOG"
like "$NEWLOG" 'priority' "broken config: the bad priority is named"
like "$NEWLOG" 'bogus_setting' "broken config: the unknown setting is named"
ok "broken config: the milter keeps running" t_alive "$MILTER_PID"
is "$(route ventas@example.com)" sales "broken config: ventas@ still routes (old config kept)"
is "$(route support@example.com)" support "broken config: support@ still routes"

# 5. Syntax error: same.
LOGSIZE=$(wc -c <"$MILTER_LOG")
printf 'redis = { host = "127.0.0.1"\n' >"$MILTER_CONF"
kill -HUP "$MILTER_PID"
ok "syntax error: error logged as file:line" wait_for 10 errors_logged
ok "syntax error: the milter keeps running" t_alive "$MILTER_PID"
is "$(route ventas@example.com)" sales "syntax error: ventas@ still routes"

# 6. Fixed again: a reload after a refused one works.
milter_conf >"$MILTER_CONF"
kill -HUP "$MILTER_PID"
not_ventas() { [ "$(route ventas@example.com)" = "" ]; }
ok "fixed config without ventas@: it passes unstamped again" wait_for 10 not_ventas

ok "the milter is still running" t_alive "$MILTER_PID"

# 7. SIGTERM stops it, cleanly.
kill -TERM "$MILTER_PID"
if ok "SIGTERM: the milter exits within 10 s" wait_for 10 t_not_alive "$MILTER_PID"; then
	wait "$MILTER_PID"
	is "$?" 0 "SIGTERM: exit status 0"
	t_forget "$MILTER_PID"
fi
milter_log_clean
done_testing
