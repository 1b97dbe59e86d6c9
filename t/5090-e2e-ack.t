#!/bin/sh
# 5090-e2e-ack.t - acknowledgements end to end: a private Postfix with
# mailacd-milter, mailacd-router and Redis, and a capturing SMTP server
# that keeps the bytes.  A customer's first message gets an
# acknowledgement from the channel (its response, threaded to the
# customer's message, Auto-Submitted: auto-replied, with the reference and
# the expected wait), submitted by the router through the relay, signed by
# the milter and verified on the received bytes by python3-dkim and
# Mail::DKIM, parsed by python3's email package, with the channel's footer
# the milter added; it goes to Reply-To when
# there is one, and the customer's answer to it joins the interaction.  No
# acknowledgement goes to an auto-reply, list mail, a bounce, a no-reply
# sender, or a second new interaction of the same customer within the
# period; a flow's acknowledgement says when a closed queue opens.  A relay
# that answers 450 for a while gets the same message again; the router
# dies meanwhile, another takes its job over and sends the stored bytes,
# and the customer gets it once.  A Subject and a name that decode to
# CR LF and a Bcc header inject nothing.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix postconf swaks ss openssl perl
require_build mailacd-milter
require_build mailacd-router
require_build mailacdctl
PY=/usr/bin/python3
"$PY" -c 'import dkim' 2>/dev/null || skip_all "python3-dkim is not installed"
perl -MMail::DKIM::Verifier -e 1 2>/dev/null ||
    skip_all "libmail-dkim-perl is not installed"

KEYS=$T_TMP/keys
REC=$T_TMP/records
mkdir -p "$KEYS"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$KEYS/example.com.key" 2>/dev/null
chmod 600 "$KEYS/example.com.key"
printf 's1._domainkey.example.com v=DKIM1; k=rsa; p=%s\n' \
    "$(openssl pkey -in "$KEYS/example.com.key" -pubout -outform DER |
    base64 -w0)" >"$REC"

start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start the capturing sink"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
SUB_PORT=$(free_port)
HOLD=$T_TMP/hold
: >"$HOLD"
# "office" is closed today and tomorrow (UTC holidays)
today=$(date -u +%F)
tomorrow=$(date -u -d tomorrow +%F)
cat >"$T_TMP/received.txt" <<'EOF'
Hello {{customer.name|there}},

we received your message "{{interaction.subject}}" and answer it soon.
Your reference: {{interaction.reference}} (queue {{queue}}).
Expected wait: {{wait.expected|unknown}}.
EOF
printf -- '-- \nAcme Support, {{channel.address}}\n' >"$T_TMP/foot.txt"
cat >"$T_TMP/closed.txt" <<'EOF'
We are closed. We open again {{opens|soon}}.
EOF
cat >"$T_TMP/mailacd.conf" <<EOF
redis = { host = "127.0.0.1"; port = $REDIS_PORT; };
milter = { socket = "$MILTER_SOCKET"; };
router = { block_ms = 200; claim_idle_ms = 5000; };
outbound = { trusted_daemons = [ "submission" ]; trust_authenticated = false; };
delivery = { relay = "smtp://127.0.0.1:$SUB_PORT"; retry_min = 1;
	retry_max = 2; max_attempts = 20; timeout = 10; };
organizations = ( {
	id = "acme";
	ack_period = 3600;
	date_format = "%Y-%m-%d";
	schedules = ( { name = "office"; timezone = "UTC";
		hours = [ "daily 00:00-24:00" ];
		holidays = [ "$today", "$tomorrow" ]; } );
	queues = ( { name = "support"; }, { name = "night"; schedule = "office"; } );
	responses = (
		{ name = "received";
		  subject = "Re: {{interaction.subject}} [{{interaction.reference}}]";
		  text = "$T_TMP/received.txt"; },
		{ name = "closed"; subject = "We are closed";
		  text = "$T_TMP/closed.txt"; } );
	flows = ( { name = "late";
		rules = ( { name = "closed"; if = { outside_hours = "office"; };
			queue = "night"; ack = "closed"; } );
		default = { queue = "night"; }; } );
	domains = ( { name = "example.com";
		dkim = { selector = "s1"; key_file = "$KEYS/example.com.key"; };
		addresses = (
			{ address = "support@example.com"; queue = "support";
			  display_name = "Acme Support"; ack = "received";
			  footer = { text = "$T_TMP/foot.txt"; }; },
			{ address = "night@example.com"; flow = "late"; },
			{ address = "quiet@example.com"; queue = "support"; }
		); } );
} );
EOF
chmod 600 "$T_TMP/mailacd.conf"
ok "the configuration checks" "$MAILACD_BUILD/mailacd-milter" -n \
    -c "$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
# the router submits through a port of its own that the milter trusts by
# its name; $HOLD makes it refuse recipients for a while
PF_EXTRA_MAIN="milter_connect_macros = j {daemon_name} v {client_addr}
router_hold = texthash:$HOLD"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
pf_postconf -M "127.0.0.1:$SUB_PORT/inet=127.0.0.1:$SUB_PORT inet n - n - - smtpd -o milter_macro_daemon_name=submission -o smtpd_recipient_restrictions=check_recipient_access,\$router_hold,permit_mynetworks,reject"
postfix -c "$PF_CONF" reload >/dev/null 2>&1
wait_for 15 port_listening "$SUB_PORT" || bail_out "no submission service"
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f -d \
    -c "$MILTER_CONF"
ROUTER_PID=$SPAWNED_PID
P='mailacd:{acme}:'
RUN=$$.$(date +%s)
ctl() { "$MAILACD_BUILD/mailacdctl" -c "$MILTER_CONF" "$@"; }
ix() { rcli HGET "${P}ix:$1" "$2"; }
published() { [ "$(rcli SCARD "${P}responses")" = 2 ]; }
ok "the router publishes the responses' names" wait_for 20 published
# an expected wait to quote: one answer after 10 minutes this hour
rcli HSET "${P}stats:support:$(date -u +%Y-%m-%dT%H)" wait_ms 600000 \
    answered 1 >/dev/null

# mail N FROM-HEADER ENVELOPE-FROM TO [EXTRA-HEADER...]: message N
mail() {
	_n=$1 _from=$2 _env=$3 _to=$4
	shift 4
	{
		printf 'From: %s\nTo: %s\nSubject: question %s\n' "$_from" "$_to" "$_n"
		printf 'Date: %s\nMessage-ID: <m%s.%s@customer.example>\n' \
		    "$(date -R)" "$_n" "$RUN"
		for _h in "$@"; do printf '%s\n' "$_h"; done
		printf '\nWhere is my order %s?\n' "$_n"
	} >"$T_TMP/m$_n.eml"
	send_mail "$T_TMP/m$_n.eml" "$_env" "$_to"
}
# acks_to ADDR: the acknowledgements the sink received for ADDR (sent by
# one of our channels: the envelope sender at example.com)
acks_to() {
	for _f in $(sink_files); do
		if sink_rcpts "$_f" | grep -qxF "$1" &&
		    grep -q '^X-Mail-Args: <[^>]*@example\.com>' "$_f" &&
		    [ -n "$(msg_header "$_f" Auto-Submitted)" ]; then
			echo "$_f"
		fi
	done
}
nacks() { acks_to "$1" | grep -c . ; }
has_ack() { [ "$(nacks "$1")" -ge "${2:-1}" ]; }
id_of() {
	rcli XRANGE "${P}ingest" - + | awk -v m="<m$1.$RUN@customer.example>" '
		$0 == "id" { getline; id = $0 } $0 == m { print id; exit }'
}
raw() { echo "$SINK_RAW/$(basename "$1")"; }
timeline() { ctl interaction show "$1" | sed -n '/^timeline$/,$p'; }

# --- 1. a customer's first message is acknowledged ---------------------------
ok "a customer's message to support@ is accepted" \
    mail 1 "Ana Perez <ana@customer.example>" ana@customer.example \
    support@example.com
ok "the customer gets an acknowledgement" wait_for 30 has_ack ana@customer.example
A1=$(acks_to ana@customer.example | sed 1q)
ID1=$(id_of 1)
like "$ID1" '^[0-9a-f]{32}$' "the message became interaction $ID1"
REF=$(printf "%s" "$ID1" | cut -c1-8 | tr a-f A-F)
is "$(msg_header "$A1" From)" "Acme Support <support@example.com>" \
    "it comes from the channel, with its display name"
is "$(msg_header "$A1" To)" "Ana Perez <ana@customer.example>" "to the customer"
is "$(msg_header "$A1" Subject)" "Re: question 1 [$REF]" \
    "its Subject is the response's, with the short reference"
is "$(msg_header "$A1" In-Reply-To)" "<m1.$RUN@customer.example>" \
    "In-Reply-To names the customer's message"
like "$(msg_header "$A1" References)" "<m1\\.$RUN@customer\\.example>" \
    "References too"
is "$(msg_header "$A1" Auto-Submitted)" "auto-replied" \
    "Auto-Submitted: auto-replied (RFC 3834)"
is "$(msg_header "$A1" X-MailACD-Delivery)$(msg_header "$A1" X-MailACD-Interaction)" \
    "" "no X-MailACD-* header leaves"
like "$(grep '^X-Mail-Args' "$A1")" "^X-Mail-Args: <support@example\\.com>" \
    "the envelope sender is the channel"
is "$("$PY" "$T_TOP/t/lib/dkim-verify.py" "$REC" example.com "$(raw "$A1")" | cut -c1-4)" \
    pass "python3-dkim verifies its signature on the received bytes"
is "$(perl "$T_TOP/t/lib/dkim-verify.pl" "$REC" example.com "$(raw "$A1")" | cut -c1-4)" \
    pass "Mail::DKIM verifies it too"
OUT=$("$PY" - "$(raw "$A1")" <<'PYEOF'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(),
    policy=email.policy.default)
body = m.get_body(preferencelist=('plain',)).get_content()
print(m.get_content_type(), m['Auto-Submitted'], len(m.defects))
print(body)
PYEOF
)
like "$OUT" "^text/plain auto-replied 0" \
    "python's email package reads a text/plain message without defects"
like "$OUT" "Hello Ana Perez," "the customer's name is filled in"
like "$OUT" "Your reference: $REF \\(queue support\\)" "the reference and the queue"
like "$OUT" "Expected wait: about 10 minutes\\." \
    "the expected wait, from the queue's statistics"
like "$OUT" "^Acme Support, support@example\\.com" \
    "the relay's milter added the channel's footer (and signed after it)"
MID=$(msg_header "$A1" Message-ID)
is "$(rcli HGET "${P}out:$ID1" message_id)" "$MID" \
    "the Message-ID sent is the one the job stored"
is "$(rcli HGET "${P}out:$ID1" state)" sent "the job is sent"
like "$(timeline "$ID1")" "acknowledgement received sent to ana@customer\\.example, <" \
    "the interaction's timeline shows the acknowledgement and its Message-ID"
is "$(ix "$ID1" acks)" 1 "it counts one acknowledgement"
is "$(ix "$ID1" replies)" "" "the milter did not take it for an agent's reply"
is "$(rcli HGET "${P}counters" acks_sent)" 1 "the counters count it"

# the customer's answer to the acknowledgement joins the interaction
ok "the customer answers the acknowledgement" \
    mail 11 "Ana Perez <ana@customer.example>" ana@customer.example \
    support@example.com "In-Reply-To: $MID" "References: $MID"
joined() { [ "$(ix "$ID1" followups)" = 1 ]; }
ok "the answer joins the same interaction" wait_for 20 joined
is "$(id_of 11)" "$ID1" "with the same id"

# --- 2. what gets none --------------------------------------------------------
mail 2 "Ana Perez <ana@customer.example>" ana@customer.example \
    support@example.com
mail 3 "Bob <bob@customer.example>" bob@customer.example support@example.com \
    "Auto-Submitted: auto-replied"
mail 4 "Carla <carla@customer.example>" carla@customer.example \
    support@example.com "List-Id: <users.lists.customer.example>" \
    "List-Unsubscribe: <mailto:leave@lists.customer.example>"
mail 5 "Mail Delivery System <MAILER-DAEMON@customer.example>" "<>" \
    support@example.com
mail 6 "Shop <noreply@shop.example>" noreply@shop.example support@example.com
mail 7 "Dora <dora@customer.example>" dora@customer.example \
    support@example.com "Precedence: bulk"
mail 8 "Acme Support <support@example.com>" support@example.com \
    support@example.com
mail 9 "Eve <eve@customer.example>" eve@customer.example quiet@example.com
# and one that does: it goes to Reply-To
mail 10 "Fred <fred@customer.example>" fred@customer.example \
    support@example.com "Reply-To: Fred at home <fred.home@customer.example>"
ok "a message with Reply-To gets its acknowledgement there" \
    wait_for 30 has_ack fred.home@customer.example
is "$(nacks fred@customer.example)" 0 "not to its From"
for n in 2 3 4 5 6 7 8; do
	wait_for 10 sh -c "[ -n \"\$(redis-cli -p $REDIS_PORT --raw HGET '${P}ix:$(id_of $n)' state)\" ]"
done
sleep 2
is "$(nacks ana@customer.example)" 1 \
    "a second new interaction of the same customer within ack_period gets none"
like "$(timeline "$(id_of 2)")" "within the period" "its timeline says why"
is "$(nacks bob@customer.example)" 0 "an auto-reply gets none"
like "$(timeline "$(id_of 3)")" "auto-submitted" "  (auto-submitted)"
is "$(nacks carla@customer.example)" 0 "list mail gets none"
like "$(timeline "$(id_of 4)")" "list" "  (list)"
is "$(nacks MAILER-DAEMON@customer.example)$(nacks mailer-daemon@customer.example)" \
    00 "a bounce gets none"
like "$(timeline "$(id_of 5)")" "null-sender|mailer-daemon" "  (null sender)"
is "$(nacks noreply@shop.example)" 0 "a no-reply sender gets none"
like "$(timeline "$(id_of 6)")" "noreply-address" "  (no-reply address)"
is "$(nacks dora@customer.example)" 0 "bulk mail gets none"
is "$(nacks support@example.com)" 0 "our own mail gets none"
like "$(timeline "$(id_of 8)")" "our own address|mailacd-loop|auto" \
    "  (our own address)"
is "$(nacks eve@customer.example)" 0 \
    "an address without an acknowledgement sends none"

# --- 3. a flow's acknowledgement says when the queue opens --------------------
mail 12 "Gina <gina@customer.example>" gina@customer.example night@example.com
ok "the flow's acknowledgement arrives" wait_for 30 has_ack gina@customer.example
G=$(acks_to gina@customer.example | sed 1q)
is "$(msg_header "$G" Subject)" "We are closed" "the flow's response"
like "$(msg_body "$G")" "We open again $(date -u -d '2 days' +%F)\\." \
    "with the next opening time, in the organisation's date format"
is "$("$PY" "$T_TOP/t/lib/dkim-verify.py" "$REC" example.com "$(raw "$G")" | cut -c1-4)" \
    pass "signed"

# --- 4. the relay refuses for a while: the same message, once -----------------
printf 'hana@customer.example 450 4.2.0 try again later\n' >"$HOLD"
postfix -c "$PF_CONF" reload >/dev/null 2>&1
sleep 1
mail 13 "Hana <hana@customer.example>" hana@customer.example support@example.com
wait_for 20 sh -c "[ -n \"\$(redis-cli -p $REDIS_PORT --raw XRANGE '${P}ingest' - + | grep -F 'm13.$RUN')\" ]"
ID13=$(id_of 13)
failing() { [ "$(rcli HGET "${P}out:$ID13" attempts)" -ge 2 ] 2>/dev/null; }
ok "the router tries again while the relay answers 450" wait_for 30 failing
like "$(rcli HGET "${P}out:$ID13" error)" "450" "the relay's answer is recorded"
is "$(rcli HGET "${P}out:$ID13" state)" queued "the message is still to be sent"
STORED=$(rcli HGET "${P}out:$ID13" message_id)
is "$(nacks hana@customer.example)" 0 "nothing reached the customer yet"
STORED_DATA=$(rcli HGET "${P}out:$ID13" data | md5sum)
# the router dies with the job pending; another one takes it over
kill -9 "$ROUTER_PID"
t_reap "$ROUTER_PID"
t_forget "$ROUTER_PID"
: >"$HOLD"
postfix -c "$PF_CONF" reload >/dev/null 2>&1
spawn router2 "$T_TMP/router2.log" "$MAILACD_BUILD/mailacd-router" -f -d \
    -c "$MILTER_CONF"
ok "once the relay takes it, the router that took the job over sends it" \
    wait_for 40 has_ack hana@customer.example
like "$(cat "$T_TMP/router2.log")" "outbox: took over 1 jobs" \
    "the second router took over the dead one's job"
is "$(rcli HGET "${P}out:$ID13" data | md5sum)" "$STORED_DATA" \
    "the stored message was not composed again"
sleep 3
is "$(nacks hana@customer.example)" 1 "exactly once"
H=$(acks_to hana@customer.example | sed 1q)
is "$(msg_header "$H" Message-ID)" "$STORED" \
    "with the Message-ID stored before the first attempt"
# the bytes sent are the stored ones: the received message ends with them
rcli --no-raw HGET "${P}out:$ID13" data >/dev/null
"$PY" - "$REDIS_PORT" "${P}out:$ID13" "$(raw "$H")" >"$T_TMP/same.out" <<'PYEOF'
import socket, sys
port, key, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(('127.0.0.1', port))
k = key.encode()
s.sendall(b'*3\r\n$4\r\nHGET\r\n$%d\r\n%s\r\n$4\r\ndata\r\n' % (len(k), k))
buf = b''
while b'\r\n' not in buf:
    buf += s.recv(65536)
n = int(buf[1:buf.index(b'\r\n')])
buf = buf[buf.index(b'\r\n') + 2:]
while len(buf) < n:
    buf += s.recv(65536)
stored = buf[:n]
got = open(path, 'rb').read()
# the router's marker is removed; Postfix's Received and the signature
# are added before the stored headers; the milter's dressing appends the
# footer to the text and marks Content-Type
sh, _, sb = stored.partition(b'\r\n\r\n')
gh, _, gb = got.partition(b'\r\n\r\n')
lines = [l for l in sh.split(b'\r\n') if not l.lower().startswith(
    (b'x-mailacd-', b'content-type:'))]
print('body', gb.startswith(sb) and b'Acme Support, support@' in gb[len(sb):])
print('headers', all(l in gh.split(b'\r\n') for l in lines if not l.startswith((b' ', b'\t'))))
PYEOF
like "$(cat "$T_TMP/same.out")" "body True" \
    "the body received is the body stored, then the channel's footer"
like "$(cat "$T_TMP/same.out")" "headers True" "and so are the headers"
like "$(timeline "$ID13")" "acknowledgement received sent to hana@" \
    "the timeline records it once sent"
like "$(cat "$T_TMP/router.log")" "$ID13: ack received to <hana@customer.example> via .* not sent \\(attempt 1" \
    "the router logs the failed attempt"

# --- 5. hostile values: encoded CR LF in the Subject and the name --------------
{
	printf 'From: =?utf-8?q?Jos=C3=A9_P=C3=A9rez=0D=0ABcc:_evil@attacker.example?= <jose@customer.example>\n'
	printf 'To: support@example.com\n'
	printf 'Subject: =?utf-8?q?hola=0D=0ABcc:_evil2@attacker.example=0D=0A=0D=0Abody?=\n'
	printf 'Message-ID: <m14.%s@customer.example>\n\nHola.\n' "$RUN"
} >"$T_TMP/m14.eml"
ok "a message whose Subject and name decode to CR LF and headers is accepted" \
    send_mail "$T_TMP/m14.eml" jose@customer.example support@example.com
ok "it is acknowledged" wait_for 30 has_ack jose@customer.example
J=$(acks_to jose@customer.example | sed 1q)
is "$(sink_rcpts "$J")" "jose@customer.example" "the customer is its only recipient"
is "$(msg_header "$J" Bcc)" "" "no Bcc header was injected"
is "$(for f in $(sink_files); do sink_rcpts "$f"; done | grep -c attacker)" 0 \
    "nothing went to the addresses in the values"
OUT=$("$PY" - "$(raw "$J")" <<'PYEOF'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(),
    policy=email.policy.default)
print(len(m.defects), len(m.get_all('Subject') or []), repr(str(m['Subject'])))
print(m['To'].addresses[0].username, m['To'].addresses[0].domain)
PYEOF
)
like "$OUT" "^0 1 " "one Subject, no defects: $(printf '%s' "$OUT" | sed 1q)"
like "$OUT" "^jose customer\\.example" "To is the customer's address"
is "$("$PY" "$T_TOP/t/lib/dkim-verify.py" "$REC" example.com "$(raw "$J")" | cut -c1-4)" \
    pass "and it verifies"

logs_clean "no sanitizer report or panic in the logs" "$MILTER_LOG" \
    "$T_TMP/router.log" "$T_TMP/router2.log"
done_testing
