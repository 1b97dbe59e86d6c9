#!/bin/sh
# 6050-e2e-ident.t - sending through each identity's own account, end to
# end: a Dovecot submission service started here takes mail only from
# authenticated accounts (support, alice, sales) and relays it to the
# capturing sink, which records the account (MAIL FROM ... AUTH=USER); the
# private Postfix runs the milter and the maps "mailacdctl postfix maps"
# wrote.  An agent's own mail leaves through the agent's account, an
# agent's answer as a channel through the channel's (the milter gives it
# the channel's envelope sender), a channel whose server takes implicit
# TLS through the wrapper-mode transport the command names, a channel
# without a server of its own through the relay; a wrong password keeps the mail deferred with the
# server's 535 in the queue; "mailacdctl test-email" goes the same ways
# and exits 0, 77 (EX_NOPERM) or 1; the router's forward-mode copy of a
# channel with its own server goes through that account; a configuration
# or password file others can read is refused; no password reaches a log.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix postconf postmap smtp-sink swaks ss dovecot
require_build mailacd-milter
require_build mailacd-router
require_build mailacdctl
[ -x /usr/lib/dovecot/submission ] ||
    skip_all "dovecot-submissiond is not installed (make deps)"
PY=/usr/bin/python3
"$PY" -c 'import dkim' 2>/dev/null || skip_all "python3-dkim is not installed"
perl -MMail::DKIM::Verifier -e 1 2>/dev/null ||
    skip_all "libmail-dkim-perl is not installed"

KEYS=$T_TMP/keys
REC=$T_TMP/records
mkdir -p "$KEYS"
: >"$REC"
# key DOMAIN SELECTOR: a private key (mode 0600) and its record in REC
key() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$KEYS/$1.key" 2>/dev/null
	chmod 600 "$KEYS/$1.key"
	printf '%s._domainkey.%s v=DKIM1; k=rsa; p=%s\n' "$2" "$1" \
	    "$(openssl pkey -in "$KEYS/$1.key" -pubout -outform DER | base64 -w0)" >>"$REC"
}
key example.com s1
key provider.test p1	# the provider's own signature

PW_SUPPORT=pw-support-7Qx
PW_ALICE=pw-alice-3Kq
PW_SALES=pw-sales-9Zr
PW_WRONG=wrong-sales-4Xv
SINK_IMPL=smtp-sink	# it shows the AUTH= parameter the submission server relays
start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start smtp-sink"
start_submission "$SINK_PORT" "support:$PW_SUPPORT" "alice:$PW_ALICE" \
    "sales:$PW_SALES" || bail_out "cannot start dovecot's submission service"
printf '%s\n' "$PW_ALICE" >"$T_TMP/alice.pass"
chmod 600 "$T_TMP/alice.pass"

# conf RELAY-PORT: the configuration, delivery.relay on RELAY-PORT
conf() {
	own="server = \"127.0.0.1\"; port = $SUBMISSION_PORT; tls = \"none\";"
	cat <<EOF
redis = { host = "127.0.0.1"; port = $REDIS_PORT; };
milter = { socket = "$MILTER_SOCKET"; };
router = { block_ms = 200; };
outbound = { trusted_networks = [ "127.0.0.0/8" ]; };
delivery = { relay = "smtp://127.0.0.1:$1"; timeout = 10; retry_min = 1;
	retry_max = 2; };
organizations = ( {
	id = "acme";
	delivery = "forward";
	queues = ( { name = "support"; }, { name = "sales"; delivery = "notify"; } );
	agents = (
		{ id = "alice"; address = "alice@agents.example"; capacity = 5;
		  queues = [ "support", "sales" ];
		  smtp = { $own user = "alice"; password_file = "$T_TMP/alice.pass"; }; },
		{ id = "bob"; address = "bob@agents.example"; queues = [ "sales" ]; }
	);
	domains = ( { name = "example.com";
	    dkim = { selector = "s1"; key_file = "$KEYS/example.com.key"; };
	    addresses = (
		{ address = "support@example.com"; queue = "support";
		  smtp = { $own user = "support"; password = "$PW_SUPPORT"; }; },
		{ address = "m365@example.com"; queue = "support";
		  smtp = { $own user = "support"; password = "$PW_SUPPORT";
		    dkim = false; }; },
		{ address = "sales@example.com"; queue = "sales";
		  smtp = { $own user = "sales"; password = "$PW_WRONG"; }; },
		{ address = "secure@example.com"; queue = "sales";
		  smtp = { server = "localhost"; port = $SUBMISSION_TLS_PORT;
		    tls = "implicit"; ca_file = "$SUBMISSION_CERT";
		    user = "support"; password = "$PW_SUPPORT"; }; },
		{ address = "billing@example.com"; queue = "sales"; }
	); } );
} );
EOF
}
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
conf 25 >"$T_TMP/milter.conf"
chmod 600 "$T_TMP/milter.conf"
start_milter unix "$T_TMP/milter.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
CONF=$T_TMP/mailacd.conf
conf "$SMTP_PORT" >"$CONF"
chmod 600 "$CONF"
ctl() { "$MAILACD_BUILD/mailacdctl" -c "$CONF" "$@"; }

# --- the configuration's files ------------------------------------------
chmod 644 "$CONF"
OUT=$(ctl check 2>&1); RC=$?
is "$RC" 78 "a configuration holding a password that others can read: EX_CONFIG"
like "$OUT" "smtp\\.password: is a secret, but .* can be read by others" \
    "... naming the password setting"
chmod 600 "$CONF"
chmod 644 "$T_TMP/alice.pass"
OUT=$(ctl check 2>&1); RC=$?
is "$RC" 78 "a password file that others can read: EX_CONFIG"
like "$OUT" "mailacd.conf:[0-9]+: organizations\\[acme\\]\\.agents\\[alice\\]\\.smtp\\.password_file = .*read or written by others" \
    "... naming the agent's password_file"
chmod 600 "$T_TMP/alice.pass"
OUT=$(ctl check 2>&1); RC=$?
is "$RC" 0 "with both files private the configuration loads"

# --- Postfix wired with the maps ------------------------------------------
MAPS=$T_TMP/maps
OUT=$(ctl postfix maps --dir "$MAPS" --postfix-config "$PF_CONF" 2>&1); RC=$?
is "$RC" 0 "mailacdctl postfix maps writes and builds the maps"
is "$(postmap -c "$PF_CONF" -q support@example.com "hash:$MAPS/relayhost")" \
    "[127.0.0.1]:$SUBMISSION_PORT" "the channel's relay host is its own server"
# the relay for identities without a server of their own; default_transport
# must not name a next hop, or it would win over the sender's relay host
pf_postconf -e "default_transport = smtp" "relay_transport = relay" \
    "relayhost = [127.0.0.1]:$SINK_PORT"
printf '%s\n' "$OUT" | grep -E '^[a-z_]+ = ' | while IFS= read -r line; do
	pf_postconf -e "$line"
done
# the implicit-TLS transport, as printed for master.cf
ok "it prints the master.cf service for implicit TLS" \
    sh -c 'printf "%s\n" "$1" | grep -qx "mailacd-smtps unix - - n - - smtp"' - "$OUT"
pf_postconf -M "mailacd-smtps/unix=mailacd-smtps unix - - n - - smtp -o smtp_tls_wrappermode=yes -o smtp_tls_security_level=encrypt"
postfix -c "$PF_CONF" reload >/dev/null 2>&1
is "$(pf_postconf -h smtp_sender_dependent_authentication)" yes \
    "main.cf takes the printed wiring"
sleep 1

RUN=$$.$(date +%s)
# mail N ENVELOPE FROM-HEADER: a message with subject N through Postfix
mail() {
	printf 'From: %s\nTo: <cust@customer.test>\nSubject: %s %s\nDate: %s\nMessage-ID: <%s.%s@agents.example>\n\nHello.\n' \
	    "$3" "$1" "$RUN" "$(date -R)" "$1" "$RUN" >"$T_TMP/$1.eml"
	send_mail "$T_TMP/$1.eml" "$2" cust@customer.test
}
# arrived SUBJECT: the sink's file of the message with that subject
arrived() { grep -l "^Subject: $1 $RUN" "$SINK_DIR"/* 2>/dev/null | head -1; }
has() { [ -n "$(arrived "$1")" ]; }
margs() { grep '^X-Mail-Args:' "$(arrived "$1")" | sed 's/^X-Mail-Args: //'; }

# --- mail passing the relay -------------------------------------------------
mail own alice@agents.example "Alice <alice@agents.example>"
mail as-channel alice@agents.example "Support <support@example.com>"
mail no-server billing@example.com "<billing@example.com>"
mail provider-signs alice@agents.example "<m365@example.com>"
mail implicit-tls secure@example.com "<secure@example.com>"
mail wrong sales@example.com "<sales@example.com>"
ok "the agent's own mail arrives" wait_for 30 has own
is "$(margs own)" "<alice@agents.example> AUTH=alice" \
    "... through the agent's own account"
like "$(grep '^Received:' -A1 "$(arrived own)")" "by submit.test with ESMTPA" \
    "... relayed by the submission server"
ok "the agent's answer as the channel arrives" wait_for 30 has as-channel
is "$(margs as-channel)" "<support@example.com> AUTH=support" \
    "... through the channel's account, with the channel's envelope sender"
is "$(msg_header "$(arrived as-channel)" From)" "Support <support@example.com>" \
    "... From the channel"
# dkim FILE DOMAIN: python3-dkim's and Mail::DKIM's verdicts on the d=DOMAIN
# signature of FILE
dkim() {
	echo "$("$PY" "$T_TOP/t/lib/dkim-verify.py" "$REC" "$2" "$1" | cut -c1-4)/$(perl "$T_TOP/t/lib/dkim-verify.pl" "$REC" "$2" "$1" | cut -c1-4)"
}
sink_message "$(arrived as-channel)" | sed 's/\r*$/\r/' >"$T_TMP/as-channel.eml"
is "$(dkim "$T_TMP/as-channel.eml" example.com)" pass/pass \
    "... our signature verifies after the submission server (python3-dkim/Mail::DKIM)"
# a provider that signs too (d=provider.test, as Microsoft 365 does with
# its own domain): it adds its signature on top and changes nothing we signed
"$PY" - "$KEYS/provider.test.key" "$T_TMP/as-channel.eml" "$T_TMP/two-sigs.eml" <<'PYEOF2'
import sys, dkim
key, src, dst = sys.argv[1:4]
msg = open(src, 'rb').read()
sig = dkim.sign(msg, b'p1', b'provider.test', open(key, 'rb').read(),
    include_headers=[b'from', b'to', b'subject', b'date', b'message-id'])
open(dst, 'wb').write(sig + msg)
PYEOF2
is "$(dkim "$T_TMP/two-sigs.eml" example.com)+$(dkim "$T_TMP/two-sigs.eml" provider.test)" \
    "pass/pass+pass/pass" "... and beside a provider's own signature, both verify"
ok "a channel whose provider signs (dkim = false): its mail arrives" \
    wait_for 30 has provider-signs
is "$(margs provider-signs)" "<m365@example.com> AUTH=support" \
    "... through its account"
is "$(msg_header "$(arrived provider-signs)" DKIM-Signature)" "" \
    "... without our signature"
like "$(cat "$MILTER_LOG")" "outbound from m365@example.com .*not signed, its server 127\\.0\\.0\\.1 signs" \
    "... and the milter's log says why"
ok "a channel whose server takes implicit TLS (465): its mail arrives" \
    wait_for 30 has implicit-tls
is "$(margs implicit-tls)" "<secure@example.com> AUTH=support" \
    "... through its account"
like "$(grep '^Received:' -A1 "$(arrived implicit-tls)")" "by submit.test with ESMTPSA" \
    "... over TLS (the wrapper-mode transport, the certificate checked against ca_file)"
QID=$(sed -n 's/.* \([0-9A-F]*\): from=<secure@example.com>.*/\1/p' "$PF_BASE/maillog" | sed 1q)
like "$(grep " ${QID:-none}: to=.*status=sent" "$PF_BASE/maillog")" \
    "relay=localhost\\[127\\.0\\.0\\.1\\]:$SUBMISSION_TLS_PORT" \
    "... Postfix's log names the server"
ok "a channel without a server of its own: its mail arrives" wait_for 30 has no-server
is "$(margs no-server)" "<billing@example.com>" "... through the relay, no account"
unlike "$(cat "$(arrived no-server)")" "submit\\.test" "... not through the submission server"
grep -q "submission(support).*Successfully relayed message: from=<support@example.com>" \
    "$SUBMISSION_LOG"
is $? 0 "the submission server's log names the account that sent"
deferred() { queue_listing | grep -qi "authentication failed"; }
ok "a wrong password: the message stays deferred with the server's answer" \
    wait_for 30 deferred
like "$(queue_listing)" "535" "... its 535 in the queue"
ok "... and it did not arrive" sh -c '! grep -ql "^Subject: wrong" "$1"/*' - "$SINK_DIR"

# --- test-email --------------------------------------------------------------
OUT=$(ctl test-email support@example.com cust2@customer.test 2>&1); RC=$?
is "$RC" 0 "test-email as the channel succeeds"
like "$OUT" "through smtp://127\\.0\\.0\\.1:$SUBMISSION_PORT \\(its own server\\) as support: 250" \
    "... and prints the server's answer ($OUT)"
tsub() { grep -l "^Subject: mailacd test email from $1" "$SINK_DIR"/* 2>/dev/null | head -1; }
thas() { [ -n "$(tsub "$1")" ]; }
ok "the test message arrives" wait_for 20 thas support@example.com
like "$(grep '^X-Mail-Args:' "$(tsub support@example.com)")" "AUTH=support" \
    "... through the channel's account"
OUT=$(ctl test-email alice cust2@customer.test 2>&1); RC=$?
is "$RC" 0 "test-email as an agent (by id) succeeds"
ok "... through the agent's account" wait_for 20 thas alice@agents.example
like "$(grep '^X-Mail-Args:' "$(tsub alice@agents.example)")" "AUTH=alice" \
    "... the agent's account"
OUT=$(ctl test-email secure@example.com cust2@customer.test 2>&1); RC=$?
is "$RC" 0 "test-email over implicit TLS, the certificate checked: exit 0"
like "$OUT" "through smtps://localhost:$SUBMISSION_TLS_PORT \\(its own server\\) as support: 250" \
    "... and the server's answer ($OUT)"
# without ca_file the self-signed certificate is not trusted
sed 's/ca_file = "[^"]*";//' "$CONF" >"$T_TMP/noca.conf"
chmod 600 "$T_TMP/noca.conf"
OUT=$("$MAILACD_BUILD/mailacdctl" -c "$T_TMP/noca.conf" test-email secure@example.com cust2@customer.test 2>&1); RC=$?
is "$RC" 76 "test-email to a certificate nobody vouches for: EX_PROTOCOL"
like "$OUT" "TLS failed" "... saying TLS failed ($OUT)"
OUT=$(ctl test-email bob cust2@customer.test 2>&1); RC=$?
is "$RC" 0 "test-email as an agent without a server of its own: through the relay"
like "$OUT" "\\(the relay\\): 250 .*queued as" "... the relay's answer ($OUT)"
OUT=$(ctl test-email sales@example.com cust2@customer.test 2>&1); RC=$?
is "$RC" 77 "test-email with a wrong password: EX_NOPERM"
like "$OUT" "535" "... with the server's answer ($OUT)"
unlike "$OUT" "$PW_WRONG" "... and without the password"
OUT=$(ctl test-email nobody@example.com cust2@customer.test 2>&1); RC=$?
is "$RC" 1 "test-email as an unknown identity: exit 1"

# --- the router's own submission (forward mode) ----------------------------
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f -c "$CONF"
roster() { [ "$(rcli SCARD 'mailacd:{acme}:agents')" = 2 ]; }
ok "the router writes the roster" wait_for 20 roster
ctl agent alice available >/dev/null
printf 'From: <cust3@customer.test>\nTo: <support@example.com>\nSubject: customer %s\nDate: %s\nMessage-ID: <c3.%s@customer.test>\n\nHelp.\n' \
    "$RUN" "$(date -R)" "$RUN" >"$T_TMP/c3.eml"
send_mail "$T_TMP/c3.eml" cust3@customer.test support@example.com
copy() { grep -l "^Resent-To: alice@agents.example" "$SINK_DIR"/* 2>/dev/null | head -1; }
hascopy() { [ -n "$(copy)" ]; }
ok "the customer's copy reaches alice" wait_for 30 hascopy
is "$(grep '^X-Mail-Args:' "$(copy)" | sed 's/^X-Mail-Args: //')" \
    "<support@example.com> AUTH=support" \
    "... submitted by the router through the channel's account"
like "$(cat "$T_TMP/router.log")" "delivered to alice <alice@agents.example> via smtp://127\\.0\\.0\\.1:$SUBMISSION_PORT" \
    "... and the router's log names that server"

# --- no password in any log ---------------------------------------------------
LEAK=$(grep -rlE "$PW_SUPPORT|$PW_ALICE|$PW_SALES|$PW_WRONG" "$T_TMP" \
    --exclude=mailacd.conf --exclude=milter.conf --exclude=noca.conf \
    --exclude=alice.pass \
    --exclude=passwd --exclude-dir=maps 2>/dev/null)
is "$LEAK" "" "no password in any log, queue or message of the test"
ok "the logs were looked at" test -s "$PF_BASE/maillog" -a -s "$SUBMISSION_LOG" \
    -a -s "$T_TMP/router.log"
logs_clean "no sanitizer report in the daemons' logs" "$MILTER_LOG" \
    "$T_TMP/router.log"
done_testing
