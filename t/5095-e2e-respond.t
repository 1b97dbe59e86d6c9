#!/bin/sh
# 5095-e2e-respond.t - standard responses end to end: `mailacdctl
# interaction respond ID NAME` (and the Redis function behind it, as a
# desktop or CRM calls it) records the request; the router sends the
# response to the interaction's customer as the channel through a private
# Postfix and mailacd-milter, threaded to the customer's last message,
# with the assigned agent's name filled in, DKIM-signed (python3-dkim and
# Mail::DKIM on the received bytes), recorded on the interaction.  The
# same request again is not sent twice; after the customer's next message
# it may be.  A wrong id, an unknown name, a malformed name and a closed
# interaction are refused with a clear error and their exit status; a
# Reply-To naming our own channel is given up, never sent.
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
METRICS_PORT=$(free_port)
cat >"$T_TMP/need-info.txt" <<'EOF'
Dear {{customer.name|customer}},

to look into "{{interaction.subject}}" we need your order number.

{{agent.name|The support team}}, reference {{interaction.reference}}
EOF
cat >"$T_TMP/need-info.html" <<'EOF'
<html><body><p>Dear {{customer.name|customer}},</p>
<p>to look into &ldquo;{{interaction.subject}}&rdquo; we need your order
number.</p><p>{{agent.name|The support team}}</p></body></html>
EOF
cat >"$T_TMP/mailacd.conf" <<EOF
redis = { host = "127.0.0.1"; port = $REDIS_PORT; };
milter = { socket = "$MILTER_SOCKET"; };
router = { block_ms = 200; claim_idle_ms = 5000;
	metrics_listen = "127.0.0.1:$METRICS_PORT"; };
outbound = { trusted_daemons = [ "submission" ]; trust_authenticated = false; };
delivery = { relay = "smtp://127.0.0.1:$SUB_PORT"; retry_min = 1;
	retry_max = 2; max_attempts = 5; timeout = 10; };
organizations = ( {
	id = "acme";
	queues = ( { name = "support"; } );
	agents = ( { id = "a1"; name = "Alice Smith"; address = "a1@corp.example";
		queues = [ "support" ]; capacity = 5; } );
	responses = (
		{ name = "need-info"; subject = "Re: {{interaction.subject}}";
		  text = "$T_TMP/need-info.txt"; html = "$T_TMP/need-info.html"; } );
	domains = ( { name = "example.com";
		dkim = { selector = "s1"; key_file = "$KEYS/example.com.key"; };
		addresses = (
			{ address = "support@example.com"; queue = "support";
			  display_name = "Acme Support"; }
		); } );
} );
EOF
chmod 600 "$T_TMP/mailacd.conf"
ok "the configuration checks" "$MAILACD_BUILD/mailacd-milter" -n \
    -c "$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
PF_EXTRA_MAIN="milter_connect_macros = j {daemon_name} v {client_addr}"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
pf_postconf -M "127.0.0.1:$SUB_PORT/inet=127.0.0.1:$SUB_PORT inet n - n - - smtpd -o milter_macro_daemon_name=submission"
postfix -c "$PF_CONF" reload >/dev/null 2>&1
wait_for 15 port_listening "$SUB_PORT" || bail_out "no submission service"
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f -d \
    -c "$MILTER_CONF"
P='mailacd:{acme}:'
RUN=$$.$(date +%s)
ctl() { "$MAILACD_BUILD/mailacdctl" -c "$MILTER_CONF" "$@"; }
ix() { rcli HGET "${P}ix:$1" "$2"; }
published() { [ "$(rcli SCARD "${P}responses")" = 1 ]; }
ok "the router publishes the responses' names" wait_for 20 published
ctl agent a1 available >/dev/null

# mail N [EXTRA-HEADER...]: the customer's message N to support@
mail() {
	_n=$1
	shift
	{
		printf 'From: Ana Perez <ana@customer.example>\n'
		printf 'To: support@example.com\nSubject: parcel %s\n' "$_n"
		printf 'Date: %s\nMessage-ID: <m%s.%s@customer.example>\n' \
		    "$(date -R)" "$_n" "$RUN"
		for _h in "$@"; do printf '%s\n' "$_h"; done
		printf '\nMy parcel %s has not arrived.\n' "$_n"
	} >"$T_TMP/m$_n.eml"
	send_mail "$T_TMP/m$_n.eml" ana@customer.example support@example.com
}
# responses: what the sink received from the channel for the customer
responses() {
	for _f in $(sink_files); do
		if sink_rcpts "$_f" | grep -qxF ana@customer.example &&
		    grep -q '^X-Mail-Args: <support@example\.com>' "$_f"; then
			echo "$_f"
		fi
	done
}
nresp() { responses | grep -c . ; }
has_resp() { [ "$(nresp)" -ge "$1" ]; }
id_of() {
	rcli XRANGE "${P}ingest" - + | awk -v m="<m$1.$RUN@customer.example>" '
		$0 == "id" { getline; id = $0 } $0 == m { print id; exit }'
}
raw() { echo "$SINK_RAW/$(basename "$1")"; }
timeline() { ctl interaction show "$1" | sed -n '/^timeline$/,$p'; }

ok "the customer's message is accepted" mail 1
known() { ID=$(id_of 1); [ -n "$ID" ] && [ "$(ix "$ID" state)" = assigned ]; }
ok "it becomes an interaction assigned to a1" wait_for 20 known

# --- 1. refused requests ---------------------------------------------------------
OUT=$(ctl interaction respond 0123456789abcdef0123456789abcdef need-info 2>&1)
is "$?" 1 "a wrong id: exit 1 (not found)"
like "$OUT" "interaction 0123456789abcdef0123456789abcdef: not found" \
    "  and it says so: $OUT"
OUT=$(ctl interaction respond "$ID" no-such-response 2>&1)
is "$?" 65 "an unknown response: exit 65 (EX_DATAERR)"
like "$OUT" "has no response no-such-response" "  and it says so: $OUT"
OUT=$(ctl interaction respond "$ID" 'bad name' 2>&1)
is "$?" 64 "a malformed name: exit 64 (EX_USAGE)"
OUT=$(ctl interaction respond "$ID" 2>&1)
is "$?" 64 "no name: exit 64 (EX_USAGE)"
like "$OUT" "usage: interaction respond ID NAME" "  with the usage"
OUT=$(rcli FCALL mailacd_respond 1 "${P}schema" "$ID" nope crm 2>&1)
like "$OUT" "^NORESPONSE " "the function refuses a name the routers do not know: $OUT"
is "$(rcli XLEN "${P}outbox")" 0 "nothing was queued by the refused requests"

# --- 2. a response, sent as the channel, threaded, signed, recorded -------------
OUT=$(ctl interaction respond "$(printf %s "$ID" | cut -c1-8)" need-info 2>&1)
is "$?" 0 "interaction respond (by the id's prefix) exits 0"
like "$OUT" "response need-info to ana@customer\\.example queued" "  $OUT"
ok "the customer receives the response" wait_for 30 has_resp 1
R=$(responses | sed 1q)
is "$(msg_header "$R" From)" "Acme Support <support@example.com>" "from the channel"
is "$(msg_header "$R" To)" "Ana Perez <ana@customer.example>" "to the customer"
is "$(msg_header "$R" Subject)" "Re: parcel 1" "the response's Subject"
is "$(msg_header "$R" In-Reply-To)" "<m1.$RUN@customer.example>" \
    "threaded to the customer's message"
is "$(msg_header "$R" Auto-Submitted)" "" "not marked automatic: a person chose it"
is "$("$PY" "$T_TOP/t/lib/dkim-verify.py" "$REC" example.com "$(raw "$R")" | cut -c1-4)" \
    pass "python3-dkim verifies it on the received bytes"
is "$(perl "$T_TOP/t/lib/dkim-verify.pl" "$REC" example.com "$(raw "$R")" | cut -c1-4)" \
    pass "Mail::DKIM verifies it too"
OUT=$("$PY" - "$(raw "$R")" <<'PYEOF'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(),
    policy=email.policy.default)
print(m.get_content_type(), len(m.defects))
print(m.get_body(preferencelist=('plain',)).get_content())
print(m.get_body(preferencelist=('html',)).get_content())
PYEOF
)
like "$OUT" "^multipart/alternative 0" \
    "python's email package reads multipart/alternative without defects"
like "$OUT" "^Alice Smith, reference $(printf %s "$ID" | cut -c1-8 | tr a-f A-F)" \
    "the text names the assigned agent and the reference"
like "$OUT" "<p>Alice Smith</p>" "the HTML part too"
MID=$(msg_header "$R" Message-ID)
TL=$(timeline "$ID")
like "$TL" "response need-info requested by operator" \
    "the timeline records the request"
like "$TL" "response need-info sent to ana@customer\\.example, <" \
    "and the response sent"
like "$TL" "$(printf %s "$MID" | sed 's/[.]/\\./g')" "with its Message-ID"
is "$(ix "$ID" responses)" 1 "the interaction counts one response"
is "$(ix "$ID" replies)" "" "the milter did not count it as an agent's reply"
is "$(rcli HGET "${P}counters" responses_sent)" 1 "the counters count it"

# --- 3. the same request again: not sent twice -----------------------------------
OUT=$(ctl interaction respond "$ID" need-info 2>&1)
is "$?" 0 "the same request again exits 0"
like "$OUT" "was requested before \\(sent\\): not sent again" "  $OUT"
OUT=$(rcli FCALL mailacd_respond 1 "${P}schema" "$ID" need-info crm)
like "$OUT" '"already":true' "the function called directly says the same"
sleep 3
is "$(nresp)" 1 "the customer got it once"
is "$(rcli XLEN "${P}outbox")" 1 "one job was ever queued"

# --- 4. the customer answers it; a new request may then be sent ----------------
ok "the customer answers the response" mail 2 "In-Reply-To: $MID" \
    "References: <m1.$RUN@customer.example> $MID"
joined() { [ "$(ix "$ID" followups)" = 1 ]; }
ok "the answer joins the interaction" wait_for 20 joined
OUT=$(rcli FCALL mailacd_respond 1 "${P}schema" "$ID" need-info crm)
like "$OUT" '"state":"queued"' "a CRM asks again after the customer's answer: queued"
ok "and it is sent" wait_for 30 has_resp 2
R2=$(responses | sed -n 2p)
is "$(msg_header "$R2" In-Reply-To)" "<m2.$RUN@customer.example>" \
    "threaded to the customer's last message"
like "$(msg_header "$R2" References)" "<m1\\.$RUN@customer\\.example>.*<m2\\.$RUN@customer\\.example>" \
    "References carry the thread"
like "$(timeline "$ID")" "requested by crm" "the timeline names who asked"

# --- 5. a closed interaction gets none -----------------------------------------
ctl interaction close "$ID" >/dev/null
OUT=$(ctl interaction respond "$ID" need-info 2>&1)
is "$?" 2 "a closed interaction: exit 2 (refused in this state)"
like "$OUT" "is closed" "  and it says so: $OUT"

# --- 6. a Reply-To naming one of our addresses: given up, never sent -----------
ok "a message whose Reply-To is our own channel is accepted" \
    mail 3 "Reply-To: support@example.com"
known3() { ID3=$(id_of 3); [ -n "$ID3" ] && [ -n "$(ix "$ID3" state)" ]; }
wait_for 20 known3
N3=$(nresp)
OUT=$(ctl interaction respond "$ID3" need-info 2>&1)
like "$OUT" "to support@example\\.com queued" "the request names where it would go"
failed3() { timeline "$ID3" | grep -q "given up"; }
ok "the router gives it up" wait_for 20 failed3
like "$(timeline "$ID3")" "response need-info given up: the recipient support@example\\.com is one of our own addresses" \
    "the timeline says why"
is "$(nresp)" "$N3" "nothing was sent"
is "$(rcli HGET "${P}counters" outbox_failed)" 1 "counted as given up"
if command -v curl >/dev/null 2>&1; then
	M=$(curl -sf "http://127.0.0.1:$METRICS_PORT/metrics")
	like "$M" '^mailacd_responses_sent_total\{org="acme"\} 2$' \
	    "the metrics count the responses sent"
	like "$M" '^mailacd_outbox_failed_total\{org="acme"\} 1$' \
	    "and the one given up"
else
	skip "curl is not installed" 2
fi

logs_clean "no sanitizer report or panic in the logs" "$MILTER_LOG" \
    "$T_TMP/router.log"
done_testing
