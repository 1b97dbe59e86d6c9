#!/bin/sh
# 5070-e2e-mailbox.t - pulling mail from mailboxes on a real Dovecot
# started here (passwd-file users, Maildirs in the temp dir): IMAP and
# POP3, with TLS (implicit and STARTTLS, a self-signed certificate the
# configuration trusts explicitly) and without; delete, move and seen
# after the hand-off; the relay's 451 (milter stopped) and Redis down
# leave the message on the server until they are back; a router killed
# while pulling, and the same bytes handed off twice, make one
# interaction each; a message the relay refuses for good is left on the
# server and not pulled again (IMAP and POP3, across a restart); IMAP
# IDLE pulls new mail at once, polling waits for its look; a wrong
# password and a missing folder are clear
# errors in "mailacdctl status" and "mailacdctl mailbox test".
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix smtp-sink swaks ss dovecot openssl
require_build mailacd-milter
require_build mailacd-router
require_build mailacdctl

start_dovecot del:pw-del move:pw-move seen:pw-seen pop:pw-pop popplain:pw-pp \
    bad:pw-bad idle:pw-idle noidle:pw-noidle ||
    bail_out "cannot start dovecot"
start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start smtp-sink"
printf 'pw-seen\n' >"$T_TMP/seen.pass"
chmod 600 "$T_TMP/seen.pass"

# mbox NAME USER SETTINGS: an address NAME@example.com pulled from USER
mbox() {
	printf '{ address = "%s@example.com"; queue = "support";
	  mailbox = { server = "127.0.0.1"; user = "%s"; poll_interval = 1;
	    ca_file = "%s"; %s }; },\n' "$1" "$2" "$DOVECOT_CERT" "$3"
}
ADDRS="$(mbox imap-del del "port = $DOVECOT_IMAPS; password = \"pw-del\";")
$(mbox imap-move move "port = $DOVECOT_IMAP; tls = \"starttls\"; password = \"pw-move\"; after = \"move\"; move_to = \"Done\";")
$(mbox imap-seen seen "port = $DOVECOT_IMAP; tls = \"none\"; password_file = \"$T_TMP/seen.pass\"; after = \"seen\";")
$(mbox pop pop "port = $DOVECOT_POP3S; protocol = \"pop3\"; password = \"pw-pop\";")
$(mbox pop-plain popplain "port = $DOVECOT_POP3; protocol = \"pop3\"; tls = \"none\"; password = \"pw-pp\";")
$(mbox wrong bad "port = $DOVECOT_IMAPS; password = \"not-the-password\";")
$(mbox nofolder bad "port = $DOVECOT_IMAPS; password = \"pw-bad\"; folder = \"Nope\";")
{ address = \"tlsbad@example.com\"; queue = \"support\"; mailbox = { server = \"127.0.0.1\";
  port = $DOVECOT_IMAPS; user = \"bad\"; password = \"pw-bad\"; poll_interval = 1; }; },
{ address = \"down@example.com\"; queue = \"support\"; mailbox = { server = \"127.0.0.1\";
  port = $(free_port); user = \"bad\"; password = \"pw-bad\"; poll_interval = 1; }; },
{ address = \"imap-idle@example.com\"; queue = \"support\"; mailbox = { server = \"127.0.0.1\";
  port = $DOVECOT_IMAPS; ca_file = \"$DOVECOT_CERT\"; user = \"idle\"; password = \"pw-idle\";
  poll_interval = 600; }; },
{ address = \"imap-noidle@example.com\"; queue = \"support\"; mailbox = { server = \"127.0.0.1\";
  port = $DOVECOT_IMAPS; ca_file = \"$DOVECOT_CERT\"; user = \"noidle\"; password = \"pw-noidle\";
  poll_interval = 600; idle = false; }; },"

t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
# the milter needs no fetch group; the router's names the relay's port,
# known once Postfix runs
milter_conf "$ADDRS" >"$T_TMP/milter.conf"
chmod 600 "$T_TMP/milter.conf"
start_milter unix "$T_TMP/milter.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
milter_conf "$ADDRS" "" "" "" "router = { consumer = \"r1\"; };
fetch = { relay = \"smtp://127.0.0.1:$SMTP_PORT\"; timeout = 10; retry_min = 1; retry_max = 2; };" \
    >"$T_TMP/mailacd.conf"
chmod 600 "$T_TMP/mailacd.conf"
CONF=$T_TMP/mailacd.conf
CTL="$MAILACD_BUILD/mailacdctl -c $CONF"

# the configuration is refused while its password file is readable by all
chmod 644 "$T_TMP/seen.pass"
OUT=$($MAILACD_BUILD/mailacd-router -n -c "$CONF" 2>&1)
like "$OUT" "password_file.*read or written by others" \
    "a password file others can read is refused"
chmod 600 "$T_TMP/seen.pass"
OUT=$($MAILACD_BUILD/mailacd-router -n -c "$CONF" 2>&1)
is "$OUT" "configuration OK" "the configuration loads"

RUN=$$.$(date +%s)
T0=$(now_ms)
# lap WHAT: a note of the seconds since the start, to keep the test lean
lap() { note "$1 at $(( ($(now_ms) - T0) / 1000 )) s"; }
# msg N: a customer's message with Return-Path, in $T_TMP/mN.eml
msg() {
	printf 'Return-Path: <cust%s@customer.test>\nReceived: from mx by mailbox; %s\n' "$1" "$(date -R)"
	printf 'From: Customer <cust%s@customer.test>\nTo: support\nSubject: pulled %s\n' "$1" "$1"
	printf 'Date: %s\nMessage-ID: <pull-%s.%s@customer.test>\n\nHello %s.\n' "$(date -R)" "$1" "$RUN" "$1"
}
for u in del move seen pop popplain; do
	msg "$u" >"$T_TMP/m-$u.eml"
	dovecot_put "$u" "$T_TMP/m-$u.eml"
done

lap "mailbox test"
# mailacdctl mailbox test: the Test Connection
OUT=$($CTL mailbox test imap-del@example.com 2>&1); RC=$?
is "$RC" 0 "mailbox test over IMAPS succeeds"
like "$OUT" "1 message" "... and counts the message waiting"
OUT=$($CTL mailbox test pop@example.com 2>&1); RC=$?
is "$RC" 0 "mailbox test over POP3S succeeds"
OUT=$($CTL mailbox test wrong@example.com 2>&1); RC=$?
is "$RC" 77 "a wrong password: exit 77 (EX_NOPERM)"
like "$OUT" "login refused" "... saying the login was refused"
unlike "$OUT" "not-the-password" "... without the password"
OUT=$($CTL mailbox test nofolder@example.com 2>&1); RC=$?
is "$RC" 69 "a missing folder: exit 69 (EX_UNAVAILABLE)"
like "$OUT" "folder missing" "... saying the folder is missing"
# the certificate is not trusted without ca_file: verification is on
OUT=$($CTL mailbox test tlsbad@example.com 2>&1); RC=$?
is "$RC" 76 "an untrusted certificate: exit 76 (EX_PROTOCOL)"
like "$OUT" "TLS failed" "... saying TLS failed"
OUT=$($CTL mailbox test down@example.com 2>&1); RC=$?
is "$RC" 75 "a server that is down: exit 75 (EX_TEMPFAIL)"
like "$OUT" "server unreachable" "... saying the server is unreachable"

lap "pulling"
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f -c "$CONF"
ROUTER_PID=$SPAWNED_PID

INGEST='mailacd:{acme}:ingest'
five() { [ "$(rcli XLEN "$INGEST")" -ge 5 ] && [ "$(sink_count)" -ge 5 ]; }
ok "five mailboxes pulled: five interactions" wait_for 40 five
is "$(rcli XLEN "$INGEST")" 5 "... exactly five"
for u in del move seen pop popplain; do
	f=$(grep -l "pulled $u" "$SINK_DIR"/* 2>/dev/null | head -1)
	ok "the $u message reached the relay's next hop" test -n "$f"
	ok "... stamped by the milter" \
	    test -n "$(hdr_id "$(msg_header "$f" X-MailACD-Interaction)")"
done
is "$(dovecot_count del)" 0 "IMAPS, after = delete: gone from the server"
is "$(dovecot_count move)" 0 "STARTTLS, after = move: gone from INBOX"
is "$(dovecot_count move Done)" 1 "... and in Done"
is "$(dovecot_flags seen)" "S" "IMAP without TLS, after = seen: kept, seen, no other mark"
is "$(dovecot_count pop)" 0 "POP3S: deleted"
is "$(dovecot_count popplain)" 0 "POP3 without TLS: deleted"

lap "refused"
# a message the relay refuses for good (552: larger than its limit) stays
# on the server and is not pulled again: IMAP marks it with a keyword,
# POP3's unique id (UIDL) is remembered in Redis
pf_postconf -e message_size_limit=40000
postfix -c "$PF_CONF" reload >/dev/null 2>&1
big() { msg "$1"; head -c 60000 /dev/zero | tr '\0' x | fold -w 70; }
big big-imap >"$T_TMP/m-big1.eml"
big big-pop >"$T_TMP/m-big2.eml"
dovecot_put move "$T_TMP/m-big1.eml"
dovecot_put pop "$T_TMP/m-big2.eml"
refusals() { grep -c "mailbox $1@example.com: message .* refused by the relay" "$2"; }
both_refused() { [ "$(refusals imap-move "$T_TMP/router.log")" -ge 1 ] &&
    [ "$(refusals pop "$T_TMP/router.log")" -ge 1 ]; }
ok "the relay refuses both for good" wait_for 20 both_refused
sleep 4		# four more looks at each mailbox
is "$(refusals imap-move "$T_TMP/router.log")" 1 "IMAP: refused once, not pulled again"
is "$(refusals pop "$T_TMP/router.log")" 1 "POP3: refused once, not pulled again"
is "$(dovecot_count move)" 1 "... the IMAP message left on the server"
is "$(dovecot_count pop)" 1 "... the POP3 message left on the server"
REFUSED='mailacd:{acme}:mailbox:pop@example.com:refused'
is "$(rcli SCARD "$REFUSED")" 1 "... its UIDL remembered"
is "$(rcli XLEN "$INGEST")" 5 "... and no interaction made of either"
pf_postconf -e message_size_limit=10240000
postfix -c "$PF_CONF" reload >/dev/null 2>&1

lap "status"
statusline() { $CTL status 2>&1 | grep "$1"; }
wrong_shown() { statusline wrong@example.com | grep -q "login refused"; }
ok "status shows the wrong password" wait_for 10 wrong_shown
like "$(statusline nofolder@example.com)" "folder missing" \
    "status shows the missing folder"
like "$(statusline tlsbad@example.com)" "FAILING \\(tls\\)" \
    "status shows the TLS failure"
like "$(statusline down@example.com)" "FAILING \\(connect\\)" \
    "status shows the server down"
like "$(statusline imap-del@example.com)" ": ok, 1 pulled" \
    "status shows a mailbox that works"
unlike "$(cat "$T_TMP/router.log")" "not-the-password|pw-del|pw-seen" \
    "no password in the router's log"

lap "relay tempfail"
# the relay answers 451 (milter gone, milter_default_action = tempfail)
stop_milter
msg relay >"$T_TMP/m-relay.eml"
dovecot_put del "$T_TMP/m-relay.eml"
relay_failing() { statusline imap-del@example.com | grep -q "relay"; }
ok "the relay's 451 shows in status" wait_for 20 relay_failing
is "$(dovecot_count del)" 1 "... and the message stays on the server"
start_milter unix "$CONF" || bail_out "cannot restart mailacd-milter"
del_empty() { [ "$(dovecot_count del)" = 0 ]; }
ok "the milter back: the message is handed off and deleted" wait_for 30 del_empty
is "$(rcli XLEN "$INGEST")" 6 "... one more interaction"

lap "Redis down"
# Redis down: nothing leaves the server
stop_redis
msg redis >"$T_TMP/m-redis.eml"
dovecot_put del "$T_TMP/m-redis.eml"
sleep 4
is "$(dovecot_count del)" 1 "Redis down: the message stays on the server"
restart_redis || bail_out "cannot restart redis-server"
ok "Redis back: handed off and deleted" wait_for 30 del_empty
is "$(rcli XLEN "$INGEST")" 7 "... one more interaction"

lap "resend"
# the same bytes again, as a crash between acceptance and deletion leaves
# them: the milter recognises them
SINK_BEFORE=$(sink_count)
dovecot_put del "$T_TMP/m-redis.eml"
resent() { [ "$(dovecot_count del)" = 0 ] && [ "$(sink_count)" -gt "$SINK_BEFORE" ]; }
ok "the same message pulled again reaches the relay" wait_for 30 resent
is "$(rcli XLEN "$INGEST")" 7 "... and makes no second interaction"

lap "kill"
# killed while pulling 30: each still exactly once
for i in $(seq 1 30); do
	msg "k$i" >"$T_TMP/m-k.eml"
	dovecot_put del "$T_TMP/m-k.eml"
done
pulling() { [ "$(rcli XLEN "$INGEST")" -ge 12 ]; }
wait_for 30 pulling
kill -KILL "$ROUTER_PID"
t_reap "$ROUTER_PID"
t_forget "$ROUTER_PID"
LEFT=$(dovecot_count del)
ok "the router was killed in the middle ($LEFT left)" test "$LEFT" -gt 0
spawn router2 "$T_TMP/router2.log" "$MAILACD_BUILD/mailacd-router" -f -c "$CONF"
ok "restarted: the rest is pulled" wait_for 40 del_empty
is "$(rcli XLEN "$INGEST")" 37 "thirty messages, thirty interactions"
ids=$(for f in "$SINK_DIR"/*; do
	hdr_id "$(msg_header "$f" X-MailACD-Interaction)"
done | sort -u | wc -l)
is "$ids" 37 "the relay's copies carry 37 distinct interactions"
is "$(refusals pop "$T_TMP/router2.log")" 0 \
    "the restarted router does not pull the refused POP3 message again"
rm -f "$DOVECOT_MAIL"/pop/new/* "$DOVECOT_MAIL"/pop/cur/*
forgotten() { [ "$(rcli SCARD "$REFUSED")" = 0 ]; }
ok "gone from the server: its UIDL is forgotten at the next look" \
    wait_for 10 forgotten

lap "IDLE"
# IMAP IDLE: with a look every ten minutes, new mail is pulled when the
# server says it came; without IDLE it waits for the next look
has_line() { grep -q "$2" "$1"; }
ok "the router waits in IDLE on the mailbox" wait_for 20 has_line \
    "$T_TMP/router2.log" "mailbox imap-idle@example.com: IDLE: new mail is pulled as it arrives"
unlike "$(cat "$T_TMP/router2.log")" "imap-noidle@example.com: IDLE" \
    "... and not on the one with idle = false"
msg idle >"$T_TMP/m-idle.eml"
msg noidle >"$T_TMP/m-noidle.eml"
dovecot_put idle "$T_TMP/m-idle.eml"
dovecot_put noidle "$T_TMP/m-noidle.eml"
idle_empty() { [ "$(dovecot_count idle)" = 0 ]; }
T1=$(now_ms)
ok "IDLE: the new message is pulled at once" wait_for 15 idle_empty
note "pulled $(( $(now_ms) - T1 )) ms after it was delivered"
is "$(rcli XLEN "$INGEST")" 38 "... and makes its interaction"
is "$(dovecot_count noidle)" 1 "without IDLE it waits for the next look"

kill_pid "$SPAWNED_PID" 10
logs_clean "no sanitizer report or panic in the routers' logs" \
    "$T_TMP/router.log" "$T_TMP/router2.log"
lap "end"
done_testing
