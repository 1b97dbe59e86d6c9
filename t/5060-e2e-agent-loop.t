#!/bin/sh
# 5060-e2e-agent-loop.t - the agent loop in forward mode, end to end: a
# customer's DKIM-signed message reaches the assigned agent's Maildir (the
# private Postfix's virtual delivery) byte for byte behind a Resent-* block
# and still verifies; the agent answers from their own address through the
# submission port and the customer gets the channel's reply (From
# rewritten, signed, recorded); the customer's answer lands in the same
# agent's Maildir as the same interaction; after a close, with that agent
# away, the next answer reaches another agent; a relay that refuses the
# router for a while (450) delivers once it recovers, exactly once; a
# permanent refusal (550) puts the interaction back in its queue and shows
# in mailacdctl status; an auto-reply from the customer's side neither
# reopens anything nor bounces; the loop marker and the sender rate limit
# stop routing; a customer's new thread is merged where the queue says so;
# a message over delivery.max_size reaches the agent as a notice.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix postconf smtp-sink swaks ss openssl
require_build mailacd-milter
require_build mailacd-router
require_build mailacdctl
PY=/usr/bin/python3
"$PY" -c 'import dkim' 2>/dev/null || skip_all "python3-dkim is not installed"

KEYS=$T_TMP/keys
MAIL=$T_TMP/mail
mkdir -p "$KEYS" "$MAIL"
chown postfix "$MAIL"
# key FILE: an RSA key, mode 0600, and its DNS record text in FILE.txt
key() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$1" 2>/dev/null
	chmod 600 "$1"
	printf 'v=DKIM1; k=rsa; p=%s' \
	    "$(openssl pkey -in "$1" -pubout -outform DER | base64 -w0)" >"$1.txt"
}
key "$KEYS/customer.key"
key "$KEYS/example.com.key"
# the submission port offers STARTTLS (a self-signed certificate)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=relay.test \
    -keyout "$KEYS/tls.key" -out "$KEYS/tls.crt" 2>/dev/null
chmod 644 "$KEYS/tls.key"

start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start smtp-sink"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
SUB_PORT=$(free_port)
HOLD=$T_TMP/hold
: >"$HOLD"
cat >"$T_TMP/mailacd.conf" <<EOF
redis = { host = "127.0.0.1"; port = $REDIS_PORT; };
milter = { socket = "$MILTER_SOCKET"; sender_rate_limit = 12;
	authserv_id = "mx.mailacd.test"; };
router = { block_ms = 200; claim_idle_ms = 5000; };
outbound = { trusted_daemons = [ "submission" ]; trust_authenticated = false;
	token_secret = "a test secret of enough length"; };
delivery = { relay = "smtp://127.0.0.1:$SUB_PORT"; retry_min = 1; retry_max = 2;
	max_attempts = 8; timeout = 10; max_size = 65536;
	starttls = "require"; tls_verify = false; };
organizations = ( {
	id = "acme";
	delivery = "forward";
	queues = ( { name = "support"; },
		   { name = "billing"; delivery = "notify"; new_thread = "merge"; } );
	agents = (
		{ id = "a1"; address = "a1@corp.example"; queues = [ "support" ]; capacity = 5; },
		{ id = "a2"; address = "a2@corp.example"; queues = [ "support" ]; capacity = 5; }
	);
	domains = ( { name = "example.com";
		dkim = { selector = "s1"; key_file = "$KEYS/example.com.key"; };
		addresses = (
			{ address = "support@example.com"; queue = "support";
			  display_name = "Acme Support"; reply_to = "support@example.com"; },
			{ address = "billing@example.com"; queue = "billing"; }
		); } );
} );
EOF
chmod 600 "$T_TMP/mailacd.conf"	# a secret: not readable by others
ok "the configuration checks" "$MAILACD_BUILD/mailacd-milter" -n \
    -c "$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
# agents' mailboxes: Postfix's virtual delivery into Maildirs; a
# submission service on its own port, which the milter trusts by name;
# $HOLD lets the test make it refuse recipients
PF_EXTRA_MAIN="virtual_mailbox_domains = corp.example
virtual_mailbox_base = $MAIL
virtual_mailbox_maps = inline:{ a1@corp.example=a1/, a2@corp.example=a2/ }
virtual_uid_maps = static:$(id -u postfix)
virtual_gid_maps = static:$(id -g postfix)
milter_connect_macros = j {daemon_name} v {client_addr}
router_hold = texthash:$HOLD"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
pf_postconf -M "127.0.0.1:$SUB_PORT/inet=127.0.0.1:$SUB_PORT inet n - n - - smtpd -o milter_macro_daemon_name=submission -o smtpd_tls_security_level=may -o smtpd_tls_cert_file=$KEYS/tls.crt -o smtpd_tls_key_file=$KEYS/tls.key -o smtpd_recipient_restrictions=check_recipient_access,\$router_hold,permit_mynetworks,reject"
postfix -c "$PF_CONF" reload >/dev/null 2>&1
wait_for 15 port_listening "$SUB_PORT" || bail_out "no submission service"
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f -d \
    -c "$MILTER_CONF"
ROUTER_PID=$SPAWNED_PID
P='mailacd:{acme}:'
RUN=$$.$(date +%s)
ctl() { "$MAILACD_BUILD/mailacdctl" -c "$MILTER_CONF" "$@"; }
ix() { rcli HGET "${P}ix:$1" "$2"; }
roster_written() { [ "$(rcli SCARD "${P}agents")" = 2 ]; }
ok "the router writes the roster" wait_for 20 roster_written
ctl agent a1 available >/dev/null

# box AGENT: the agent's delivered messages, oldest first
box() { ls -1tr "$MAIL/$1/new" 2>/dev/null | sed "s|^|$MAIL/$1/new/|"; }
nbox() { box "$1" | grep -c . ; }
box_has() { [ "$(nbox "$1")" -ge "$2" ]; }
# customer N TO SUBJECT [IN-REPLY-TO [EXTRA-HEADER]]: customer N's message
# (MIME, 8-bit text, a binary attachment), DKIM-signed by customer.example
# with simple/simple canonicalisation (every byte counts), in $T_TMP/cN.eml
customer() {
	"$PY" - "$KEYS/customer.key" "$T_TMP/c$1.eml" "$1" "$2" "$3" "$RUN" \
	    "$(date -R)" "${4:-}" "${5:-}" <<'PYEOF'
import base64, os, sys, dkim
keyf, out, n, to, subj, run, date, irt, extra = sys.argv[1:10]
h = [b'From: Customer %s <cust%s@customer.example>' % (n.encode(), n.encode()),
    b'To: ' + to.encode(), b'Subject: ' + subj.encode(), b'Date: ' + date.encode(),
    b'Message-ID: <c%s.%s.%s@customer.example>' % (n.encode(), subj.encode(), run.encode())]
if irt:
	h += [b'In-Reply-To: ' + irt.encode(), b'References: ' + irt.encode()]
if extra:
	h.append(extra.encode())
h += [b'MIME-Version: 1.0', b'Content-Type: multipart/mixed; boundary="b1"']
att = base64.encodebytes(os.urandom(600)).replace(b'\n', b'\r\n')
body = (b'--b1\r\nContent-Type: text/plain; charset=utf-8\r\n'
    b'Content-Transfer-Encoding: 8bit\r\n\r\nHola, \xc2\xbfqu\xc3\xa9 tal? ' +
    subj.encode() + b'\r\n--b1\r\nContent-Type: application/octet-stream\r\n'
    b'Content-Transfer-Encoding: base64\r\n\r\n' + att + b'--b1--\r\n')
msg = b'\r\n'.join(h) + b'\r\n\r\n' + body
sig = dkim.sign(msg, b'k1', b'customer.example', open(keyf, 'rb').read(),
    canonicalize=(b'simple', b'simple'),
    include_headers=[b'from', b'to', b'subject', b'date', b'message-id'])
open(out, 'wb').write(sig + msg)
# swaks ends the data with CRLF itself
open(out + '.swaks', 'wb').write((sig + msg)[:-2])
PYEOF
	swaks --server 127.0.0.1 --port "$SMTP_PORT" --helo mx.customer.example \
	    --from "cust$1@customer.example" --to "$2" \
	    --data "@$T_TMP/c$1.eml.swaks" --timeout 40 >"$T_TMP/swaks.c$1.log" 2>&1 </dev/null
}
# verify FILE: python3-dkim's verdict with our two keys as the DNS
verify() {
	"$PY" - "$1" "$KEYS" <<'PYEOF'
import sys, dkim
msg = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
def dns(name, timeout=5):
	n = name.decode() if isinstance(name, bytes) else name
	f = {'k1._domainkey.customer.example.': 'customer.key',
	    's1._domainkey.example.com.': 'example.com.key'}.get(n)
	return open(sys.argv[2] + '/' + f + '.txt', 'rb').read() if f else None
print(dkim.verify(msg, dnsfunc=dns))
PYEOF
}
# tail_from FILE LINE-START: FILE from its first line starting with
# LINE-START to the end, CRLF
tail_from() {
	awk -v s="$2" 'found || index($0, s) == 1 { found = 1; print }' "$1" |
	    sed 's/\r*$/\r/'
}
mid() { msg_header "$1" Message-ID; }
stamp_id() { msg_header "$1" X-MailACD-Interaction | sed 's/;.*//' | sed 1q; }
nstream() { rcli XLEN "${P}ingest"; }

# --- 1. the customer's message reaches a1 intact --------------------------------
customer 1 support@example.com "order-1"
ok "a1's Maildir receives the customer's message" wait_for 30 box_has a1 1
F1=$(box a1 | sed 1q)
ID=$(stamp_id "$F1")
like "$ID" '^[0-9a-f]{32}$' "it carries the interaction's id in X-MailACD-Interaction ($ID)"
is "$(ix "$ID" agent)" a1 "the interaction is assigned to a1"
is "$(msg_header "$F1" Resent-From)/$(msg_header "$F1" Resent-To)" \
    "support@example.com/a1@corp.example" "Resent-From and Resent-To"
like "$(msg_header "$F1" Resent-Message-ID)" "^<mailacd\\.$ID\\.0\\.a1@example\\.com>\$" \
    "Resent-Message-ID names the interaction, the copy and the agent"
ok "Resent-Date is there" test -n "$(msg_header "$F1" Resent-Date)"
is "$(msg_header "$F1" X-MailACD-Loop)" acme "the loop marker is added"
like "$(msg_header "$F1" X-MailACD-Delivery)" "^$ID; agent=a1; copy=0\$" \
    "X-MailACD-Delivery marks the router's copy"
tail_from "$F1" "DKIM-Signature:" >"$T_TMP/f1.tail"
ok "from its DKIM-Signature on, the copy is the customer's message byte for byte" \
    cmp -s "$T_TMP/c1.eml" "$T_TMP/f1.tail"
is "$(verify "$F1")" True "the customer's DKIM signature still verifies (simple/simple)"
is "$(msg_header "$F1" From)" "Customer 1 <cust1@customer.example>" \
    "From is the customer's, so replying addresses the customer"
is "$(nstream)" 1 "the copy passing the relay made no interaction of its own"
is "$(ix "$ID" delivered)/$(ix "$ID" sent:a1)" 1/1 "the interaction records the delivery"
TL=$(ctl interaction show "$ID" | sed -n '/^timeline$/,$p')
like "$TL" "delivered to a1 via smtp://127\.0\.0\.1:[0-9]+" \
    "the timeline shows the delivery to the agent's mailbox, and the relay"
ok "after the assignment" sh -c 'printf "%s\n" "$1" | awk "/assigned to a1/ { a = NR } /delivered to a1/ { d = NR } END { exit !(a && d && a < d) }"' - "$TL"
MSGKEY=$(rcli LINDEX "${P}ix:$ID:msgs" 0)
TTL=$(rcli TTL "${P}msg:$MSGKEY")
ok "the stored copy expires within delivery.retention (TTL $TTL s)" \
    test "$TTL" -gt 1209000 -a "$TTL" -le 1209600
is "$(rcli HGET "${P}msg:$MSGKEY" complete)" 1 "it is complete"
like "$(cat "$T_TMP/router.log")" "$ID: copy 0 delivered to a1 <a1@corp.example>" \
    "the router logs the delivery"
like "$(cat "$PF_BASE/maillog")" "ehlo=2 starttls=1 mail=1 rcpt=1 data=1" \
    "the router submitted over STARTTLS (delivery.starttls = require)"
SUP=$(sink_find "c1.order-1.$RUN@customer.example")
ok "support@example.com's own mailbox got the message too (stamped)" \
    test -n "$SUP" -a -n "$(msg_header "$SUP" X-MailACD-Interaction)"

# --- 2. a1 answers from their mail client ---------------------------------------
C1MID=$(mid "$F1")
{
	printf 'From: Agent One <a1@corp.example>\nTo: Customer 1 <cust1@customer.example>\n'
	printf 'Subject: Re: order-1\nDate: %s\nMessage-ID: <a1r1.%s@corp.example>\n' "$(date -R)" "$RUN"
	printf 'In-Reply-To: %s\nReferences: %s\n\nWe are on it.\n' "$C1MID" "$C1MID"
} >"$T_TMP/r1.eml"
swaks --server 127.0.0.1 --port "$SUB_PORT" --from a1@corp.example \
    --to cust1@customer.example --data "@$T_TMP/r1.eml" >"$T_TMP/swaks.r1.log" 2>&1
like "$(swaks_final_reply "$T_TMP/swaks.r1.log")" "^250" "the relay accepts a1's answer"
has_reply() { [ -n "$(sink_find "a1r1.$RUN@corp.example")" ]; }
ok "the answer reaches the customer" wait_for 20 has_reply
R1=$(sink_find "a1r1.$RUN@corp.example")
is "$(msg_header "$R1" From)" "Acme Support <support@example.com>" \
    "it leaves as the channel: From rewritten from a1's own address"
like "$(msg_header "$R1" Reply-To)" '^support\+[0-9a-f]+@example\.com$' \
    "Reply-To carries a reply token"
is "$(verify "$R1")" True "it is DKIM-signed by example.com"
is "$(ix "$ID" replies)/$(ix "$ID" last_reply_by)" 1/a1 \
    "the interaction records a1's reply"
is "$(sink_rcpts "$R1")" cust1@customer.example "sent to the customer only"

# --- 3. the customer answers: same interaction, same agent ------------------------
customer 1 support@example.com "order-1-again" "<a1r1.$RUN@corp.example>"
ok "the customer's answer lands in a1's Maildir" wait_for 30 box_has a1 2
F2=$(box a1 | sed -n 2p)
is "$(stamp_id "$F2")" "$ID" "as the same interaction"
is "$(ix "$ID" followups)/$(ix "$ID" sent:a1)" 1/2 "a follow-up, the second copy sent to a1"
like "$(msg_header "$F2" Resent-Message-ID)" "\\.$ID\\.1\\.a1@" "the copy index is 1"
is "$(nbox a2)" 0 "a2 got nothing"

# --- 4. closed, a1 away: the next answer goes to a2 ------------------------------
ctl interaction close "$ID" >/dev/null
is "$(ix "$ID" state)" closed "a1 closes the interaction"
is "$(rcli KEYS "${P}msg:*" | grep -c .)" 0 "its stored copies are deleted"
ctl agent a1 away >/dev/null
ctl agent a2 available >/dev/null
customer 1 support@example.com "order-1-third" "<a1r1.$RUN@corp.example>"
ok "the next answer reaches a2's Maildir" wait_for 30 box_has a2 1
G1=$(box a2 | sed 1q)
is "$(stamp_id "$G1")" "$ID" "the same interaction, reopened"
is "$(ix "$ID" agent)" a2 "now assigned to a2"
is "$(nbox a1)" 2 "a1, away, got nothing more"

# --- 5. the relay refuses for a while (450), then delivers exactly once ---------
printf 'a2@corp.example 450 4.2.0 mailbox busy, try later\n' >"$HOLD"
postfix -c "$PF_CONF" reload >/dev/null 2>&1
sleep 1
customer 1 support@example.com "order-1-fourth" "<a1r1.$RUN@corp.example>"
failing() { [ "$(ix "$ID" delivery_attempts)" -ge 2 ] 2>/dev/null; }
ok "the router retries while the relay says 450" wait_for 30 failing
like "$(ix "$ID" delivery_error)" "450" "the relay's answer is recorded"
is "$(rcli SISMEMBER "${P}retrying" "$ID")" 1 "the interaction is listed as retrying"
like "$(ctl status)" "retrying" "mailacdctl status shows the retry"
is "$(ix "$ID" state)/$(ix "$ID" agent)" assigned/a2 "a2 keeps it meanwhile (capacity reserved)"
is "$(nbox a2)" 1 "nothing more in a2's Maildir yet"
: >"$HOLD"
postfix -c "$PF_CONF" reload >/dev/null 2>&1
ok "once the relay recovers the copy arrives" wait_for 30 box_has a2 2
sleep 3
is "$(nbox a2)" 2 "exactly once"
is "$(ix "$ID" delivery_attempts)$(rcli SISMEMBER "${P}retrying" "$ID")" 0 \
    "the retry state is cleared"

# --- 6. a permanent refusal (550): back to the queue, visible in status --------
ctl interaction close "$ID" >/dev/null
ctl agent a2 away >/dev/null
ctl agent a1 available >/dev/null
printf 'a1@corp.example 550 5.1.1 no such mailbox\n' >"$HOLD"
postfix -c "$PF_CONF" reload >/dev/null 2>&1
sleep 1
customer 2 support@example.com "new-2"
given_up() { [ "$(ix "$ID2" delivery_failures)" = 1 ] 2>/dev/null; }
last_id() { rcli XREVRANGE "${P}ingest" + - COUNT 1 | awk '$0 == "id" { getline; print; exit }'; }
id2_known() { ID2=$(last_id); [ -n "$ID2" ] && [ "$ID2" != "$ID" ]; }
wait_for 20 id2_known
ok "a 550 from the relay gives the resend up at once" wait_for 30 given_up
is "$(ix "$ID2" state)" waiting "the interaction is back in its queue"
is "$(rcli SISMEMBER "${P}agent:a1:ix" "$ID2")" 0 "a1's capacity is freed"
like "$(ix "$ID2" last_delivery_error)" "550" "the refusal is recorded"
like "$(ctl status)" "0 retrying, 1 failed today" \
    "mailacdctl status shows the failed delivery"
: >"$HOLD"
postfix -c "$PF_CONF" reload >/dev/null 2>&1
sleep 1
ctl agent a2 available >/dev/null
ok "a2 takes it and gets the copy" wait_for 30 box_has a2 3
is "$(stamp_id "$(box a2 | sed -n 3p)")" "$ID2" "the right interaction"

# --- 7. an auto-reply from the customer's side ------------------------------------
ctl interaction close "$ID" >/dev/null 2>&1
NA1=$(nbox a1) NA2=$(nbox a2)
NCUST=$(for f in $(sink_files); do sink_rcpts "$f"; done | grep -c '^cust1@')
customer 1 support@example.com "out-of-office" "<a1r1.$RUN@corp.example>" \
    "Auto-Submitted: auto-replied"
auto_seen() { [ "$(ix "$ID" auto_followups)" = 1 ]; }
ok "the auto-reply is recorded on the interaction" wait_for 20 auto_seen
is "$(ix "$ID" state)" closed "it does not reopen it"
sleep 2
is "$(nbox a1)/$(nbox a2)" "$NA1/$NA2" "no agent is sent it"
is "$(for f in $(sink_files); do sink_rcpts "$f"; done | grep -c '^cust1@')" "$NCUST" \
    "nothing goes back to the customer: no ping-pong"

# --- 8. loop marker and rate limit --------------------------------------------------
N0=$(nstream)
{
	printf 'From: someone@customer.example\nTo: support@example.com\nSubject: looped\n'
	printf 'Message-ID: <loop.%s@customer.example>\nX-MailACD-Loop: acme\nX-MailACD-Loop: acme\n\nx\n' "$RUN"
} >"$T_TMP/loop.eml"
send_mail "$T_TMP/loop.eml" someone@customer.example support@example.com
like "$(swaks_final_reply)" "^250" "mail with the loop marker twice is accepted"
like "$(cat "$MILTER_LOG")" "mail loop: the message carries X-MailACD-Loop 2 times" \
    "... logged as a loop"
is "$(nstream)" "$N0" "... and not routed"
for n in $(seq 1 13); do
	printf 'From: flood@customer.example\nTo: billing@example.com\nSubject: flood %s\nMessage-ID: <flood%s.%s@customer.example>\n\nx\n' \
	    "$n" "$n" "$RUN" >"$T_TMP/flood.eml"
	send_mail "$T_TMP/flood.eml" flood@customer.example billing@example.com
done
like "$(swaks_final_reply)" "^250" "the 13th message of the hour is accepted"
is "$(($(nstream) - N0))" 12 "only 12 are routed (milter.sender_rate_limit = 12)"
like "$(cat "$MILTER_LOG")" "flood@customer.example via 127.0.0.1 sent more than 12 messages this hour" \
    "the rest is logged"

# --- 9. new_thread = merge (billing) ------------------------------------------------
customer 3 billing@example.com "first-thread"
# the relay's verifier vouched for the From: only then may it merge
customer 3 billing@example.com "second-thread" "" \
    "Authentication-Results: mx.mailacd.test; dkim=pass header.d=customer.example"
two() { [ "$(rcli XLEN "${P}ingest")" -ge $((N0 + 14)) ]; }
wait_for 10 two
B1=$(rcli XREVRANGE "${P}ingest" + - COUNT 2 | awk '$0 == "id" { getline; print }' | sort -u)
is "$(printf '%s\n' "$B1" | grep -c .)" 1 "the customer's second thread joins the open interaction"
merged() { [ "$(ix "$B1" merged)" = 1 ]; }
ok "it is counted as merged" wait_for 10 merged
like "$(cat "$MILTER_LOG")" "(merged: new thread)" "and logged"

# --- 10. too large to store: a notice ------------------------------------------------
{
	printf 'From: Customer 4 <cust4@customer.example>\nTo: support@example.com\n'
	printf 'Subject: big attachment\nMessage-ID: <big.%s@customer.example>\n\n' "$RUN"
	head -c 90000 /dev/urandom | base64 -w 76
} >"$T_TMP/big.eml"
NA1=$(nbox a1) NA2=$(nbox a2)
send_mail "$T_TMP/big.eml" cust4@customer.example support@example.com
big_sent() { [ $(($(nbox a1) + $(nbox a2))) -gt $((NA1 + NA2)) ]; }
ok "the agent gets something for the large message" wait_for 30 big_sent
BIG=$(ls -1tr "$MAIL"/a1/new/* "$MAIL"/a2/new/* | tail -n 1)
like "$(cat "$BIG")" "larger than" "it is a notice that the message was too large"
is "$(msg_header "$BIG" Subject)" "big attachment" "with the customer's subject"
is "$(msg_header "$BIG" Message-ID)" "<big.$RUN@customer.example>" \
    "and Message-ID, so a reply threads"
cmp_ok "$(wc -c <"$BIG")" -lt 20000 "without the 90 kB body"

logs_clean "$MILTER_LOG" "$T_TMP/router.log"
done_testing
