#!/bin/sh
# 6010-e2e-dkim.t - outbound mail from a registered address through the
# private Postfix and mailacd-milter is DKIM-signed, and Debian's
# python3-dkim verifies every signature at the sink with the published
# key: RSA 2048 and 1024, long folded headers, 8-bit bodies, a body without
# a final newline.  Our X-MailACD-* headers are gone; a tampered body fails
# verification; mail from an address without a key or from an untrusted
# client is not signed; a bad key file is a configuration error.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix swaks ss openssl
require_build mailacd-milter
PY=/usr/bin/python3
"$PY" -c 'import dkim' 2>/dev/null || skip_all "python3-dkim is not installed"

KEYS=$T_TMP/keys
mkdir -p "$KEYS"
# key TYPE FILE: a private key, mode 0600, and its DNS record text in FILE.txt
key() {
	if [ "$1" = ed25519 ]; then
		openssl genpkey -algorithm ED25519 -out "$2" 2>/dev/null
		p=$(openssl pkey -in "$2" -pubout -outform DER | tail -c 32 | base64 -w0)
	else
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:$3 \
		    -out "$2" 2>/dev/null
		p=$(openssl pkey -in "$2" -pubout -outform DER | base64 -w0)
	fi
	chmod 600 "$2"
	printf 'v=DKIM1; k=%s; p=%s' "$1" "$p" >"$2.txt"
}
key rsa "$KEYS/example.com.s1.key" 2048
key rsa "$KEYS/example.net.ed.key" 1024
key ed25519 "$KEYS/ed25519.key"

EXTRA='{ address = "noreply@example.com"; queue = "support"; direction = "outbound";
	  auto_submitted = "auto-generated"; },
	{ address = "desk@example.com"; queue = "support"; display_name = "Acme Help Desk";
	  reply_to = "support@example.com"; copy_to = "archive@corp.test"; },
	{ address = "rw@example.com"; queue = "support"; rewrite_from = true; },'
DKIM="dkim = { selector = \"s1\"; key_file = \"$KEYS/example.com.s1.key\"; };
	bounce_domain = \"bounce.example.com\";"
TOP='outbound = { trusted_networks = [ "127.0.0.0/8" ]; };'
start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start smtp-sink"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
milter_conf "$EXTRA" "" "" "$DKIM" "$TOP" >"$T_TMP/mailacd.conf"
# a second organisation's domain signed with a 1024-bit RSA key
cat >>"$T_TMP/mailacd.conf" <<EOF
EOF
sed -i "s|^organizations = (|organizations = (\n\t{ id = \"beta\"; queues = ( { name = \"q\"; } );\n\t  domains = ( { name = \"example.net\";\n\t    dkim = { selector = \"ed\"; key_file = \"$KEYS/example.net.ed.key\"; };\n\t    addresses = ( { address = \"hello@example.net\"; queue = \"q\"; } ); } ); },|" \
    "$T_TMP/mailacd.conf"
ok "the configuration with two DKIM keys checks" \
    "$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
RUN=$$.$(date +%s)

# verify FILE [tamper]: python3-dkim's verdict on the bytes the sink
# received for FILE, the DNS answering with our records; prints True or
# False
verify() {
	sink_raw "$1" | "$PY" -c '
import sys, dkim
recs = {}
for d, f in (("s1._domainkey.example.com.", sys.argv[1]), ("ed._domainkey.example.net.", sys.argv[2])):
    recs[d.encode()] = open(f, "rb").read()
def dns(name, timeout=5):
    return recs.get(name if name.endswith(b".") else name + b".")
msg = sys.stdin.buffer.read()
if len(sys.argv) > 3:
    msg = msg.replace(b"Hello", b"Jello", 1)
print(dkim.verify(msg, dnsfunc=dns))' "$KEYS/example.com.s1.key.txt" "$KEYS/example.net.ed.key.txt" ${2:-}
}
# out N FROM BODY [HEADERS]: send message N from FROM to a customer
out() {
	{
		printf 'From: Acme Support <%s>\nTo: Ana <ana@customer.test>\n' "$2"
		printf 'Subject: Your order %s\nDate: %s\n' "$1" "$(date -R)"
		printf 'Message-ID: <out-%s.%s@example.com>\n' "$1" "$RUN"
		[ -n "${4:-}" ] && printf '%s\n' "$4"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n\n%s' "$3"
	} >"$T_TMP/o$1.eml"
	send_mail "$T_TMP/o$1.eml" "$2" ana@customer.test
}
has() { [ -n "$(sink_find "out-$1.$RUN@example.com")" ]; }
file() { sink_find "out-$1.$RUN@example.com" | sed 1q; }

LONGSUBJ=$(printf 'x%.0s' $(seq 1 300))
ok "a plain reply from support@ is accepted" out 1 support@example.com "Hello Ana,
your parcel left today.
"
ok "one with long folded headers and our own headers to remove" out 2 \
    support@example.com "Hello again.
" "X-MailACD-Interaction: 0123; queue=vip
References: <a1@customer.test>
	<a2@customer.test> <a3@customer.test>
	<a4@customer.test>
X-Long: $LONGSUBJ"
ok "one with an 8-bit body and no final newline" out 3 support@example.com \
    "Hello, señora Peña — ¿qué tal? ünïcödé"
ok "one from example.net (RSA 1024)" out 4 hello@example.net "Hello from beta.
"
ok "one from an outbound-only address" out 5 noreply@example.com "Hello, automatic.
"
for n in 1 2 3 4 5; do
	wait_for 20 has "$n" || fail "message $n reached the sink"
done

for n in 1 2 3 5; do
	f=$(file "$n")
	like "$(msg_header "$f" DKIM-Signature)" "d=example.com; s=s1" \
	    "message $n carries a DKIM-Signature for example.com, selector s1"
	is "$(verify "$f")" True "python3-dkim verifies message $n"
done
f=$(file 4)
like "$(msg_header "$f" DKIM-Signature)" "a=rsa-sha256; .*d=example.net; s=ed" \
    "the second domain's message is signed with its own key"
is "$(verify "$f")" True "python3-dkim verifies the second domain's signature"
f=$(file 1)
is "$(verify "$f" tamper)" False "a tampered body fails verification"
like "$(msg_header "$f" DKIM-Signature)" "c=relaxed/relaxed" "relaxed/relaxed"
h=$(msg_header "$f" DKIM-Signature | tr -d ' \t\n' | tr 'A-Z' 'a-z' |
    sed 's/.*;h=\([^;]*\);.*/\1/')
like "$h" '^from:to:subject:date:message-id:.*:from$' \
    "From, To, Subject, Date, Message-ID signed, From over-signed ($h)"
f=$(file 2)
is "$(msg_header "$f" X-MailACD-Interaction)" "" "our X-MailACD-* header was removed before signing"
like "$(msg_header "$f" DKIM-Signature | tr -d ' \t\n' | tr 'A-Z' 'a-z')" \
    'h=[^;]*references' "References is signed"
like "$(cat "$MILTER_LOG")" "outbound from support@example.com \\(trusted: network\\) signed d=example.com s=s1" \
    "the milter logs what it signed and why it trusted the client"

# the forwarding model: display name, Reply-To replaced, an envelope-only
# copy, the envelope sender on the bounce domain; all of it signed
ok "a reply from desk@ with its own Reply-To is accepted" out 8 desk@example.com \
    "Hello from the desk.
" "Reply-To: someone@else.test"
ok "message 8 arrives" wait_for 60 has 8
f=$(file 8)
is "$(msg_header "$f" From)" "Acme Help Desk <desk@example.com>" \
    "From carries the configured display name"
is "$(msg_header "$f" Reply-To)" "support@example.com" \
    "Reply-To is the configured one, the sender's replaced"
is "$(sink_message "$f" | grep -ci '^Reply-To:')" 1 "exactly one Reply-To"
is "$(sink_message "$f" | grep -ci '^Bcc:')" 0 "no Bcc header"
is "$(sink_rcpts "$f" | sort | tr '\n' ' ')" "ana@customer.test archive@corp.test " \
    "the copy address is an envelope recipient"
like "$(sed -n 's/^X-Mail-Args: //p' "$f")" "^<desk@bounce.example.com>" \
    "MAIL FROM moved to the bounce domain, local part kept"
is "$(verify "$f")" True "python3-dkim verifies it after all those changes"
like "$(msg_header "$f" DKIM-Signature | tr -d ' \t\n' | tr 'A-Z' 'a-z')" \
    'h=[^;]*reply-to' "Reply-To is signed"

# the identity rule
{
	printf 'From: Mallory <mallory@evil.test>\nTo: ana@customer.test\n'
	printf 'Subject: pay here\nMessage-ID: <out-9.%s@example.com>\n\nHi.\n' "$RUN"
} >"$T_TMP/o9.eml"
send_mail "$T_TMP/o9.eml" desk@example.com ana@customer.test
like "$(swaks_final_reply)" "^5.. 5\.7\.1 mailacd: the From header must be desk@example.com \(the sending address\), not mallory@evil\.test" \
    "a From that is not the sending address: 5.7.1 saying what was expected"
sleep 1
is "$(sink_find "out-9.$RUN@example.com")" "" "and nothing was delivered"
{
	printf 'From: Someone <other@elsewhere.test>\nTo: ana@customer.test\n'
	printf 'Subject: rw\nMessage-ID: <out-10.%s@example.com>\n\nHello rw.\n' "$RUN"
} >"$T_TMP/o10.eml"
ok "rw@ (rewrite_from) with another From is accepted" \
    send_mail "$T_TMP/o10.eml" rw@example.com ana@customer.test
ok "message 10 arrives" wait_for 60 has 10
f=$(file 10)
is "$(msg_header "$f" From)" "rw@example.com" "its From is rewritten to the sending address"
is "$(verify "$f")" True "and the rewritten message verifies"

# a notification without a Message-ID: it gets one, and the RFC 3834 mark
{
	printf 'From: noreply@example.com\nTo: ana@customer.test\n'
	printf 'Subject: Your ticket %s was updated\n\nNothing to answer.\n' "$RUN"
} >"$T_TMP/o11.eml"
ok "a notification without Message-ID from noreply@ is accepted" \
    send_mail "$T_TMP/o11.eml" noreply@example.com ana@customer.test
subj_has() { grep -l "^Subject: Your ticket $RUN" "$SINK_DIR"/* 2>/dev/null | sed 1q; }
ok "the notification arrives" wait_for 60 subj_has
f=$(subj_has)
is "$(sink_message "$f" | grep -ci '^Message-ID:')" 1 "exactly one Message-ID"
like "$(msg_header "$f" Message-ID)" '^<[^@]+@[^>]+>$' "a well-formed one"
is "$(msg_header "$f" Auto-Submitted)" auto-generated \
    "Auto-Submitted: auto-generated (RFC 3834) from an automatic address"
like "$(msg_header "$f" DKIM-Signature | tr -d ' \t\n' | tr 'A-Z' 'a-z')" \
    'h=[^;]*auto-submitted' "Auto-Submitted is signed"
is "$(verify "$f")" True "and the notification verifies"
f=$(file 8)
is "$(msg_header "$f" Auto-Submitted)" "" "mail from a person's address gets no Auto-Submitted"

# mail from a sender that is not ours, and inbound mail, is not signed
{
	printf 'From: Ana <ana@customer.test>\nTo: support@example.com\nSubject: in\n'
	printf 'Message-ID: <out-6.%s@example.com>\n\nHello.\n' "$RUN"
} >"$T_TMP/o6.eml"
ok "inbound mail from a customer is accepted" send_mail "$T_TMP/o6.eml" ana@customer.test support@example.com
ok "message 6 arrives" wait_for 60 has 6
is "$(msg_header "$(file 6)" DKIM-Signature)" "" "inbound mail is not signed"
like "$(msg_header "$(file 6)" X-MailACD-Interaction)" "queue=support" "and is an interaction as before"

# an untrusted client: the same milter, a configuration that trusts nobody
stop_milter
sed -i 's|trusted_networks = \[ "127.0.0.0/8" \]; |trusted_networks = [ "192.0.2.0/24" ]; trust_authenticated = true; |' \
    "$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot restart mailacd-milter"
ok "mail from support@ by an untrusted client is accepted" out 7 support@example.com "Hello, forged?
"
ok "message 7 arrives" wait_for 60 has 7
is "$(msg_header "$(file 7)" DKIM-Signature)" "" "an untrusted client's mail is not signed"
like "$(cat "$MILTER_LOG")" "sender <support@example.com> is support@example.com but the client is not trusted" \
    "and the milter says so"

# a key readable by others is refused at -n
chmod 644 "$KEYS/example.com.s1.key"
out=$("$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/mailacd.conf" 2>&1)
is "$?" 78 "a group/world-readable key: configuration error (78)"
like "$out" "dkim.key_file = \"$KEYS/example.com.s1.key\": can be read by group or others \\(mode 0644\\)" \
    "naming the file and its mode"
sed "s|$KEYS/example.com.s1.key|$KEYS/ed25519.key|" "$T_TMP/mailacd.conf" >"$T_TMP/ed.conf"
like "$("$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/ed.conf" 2>&1)" \
    "holds an Ed25519 key, which Debian 12's libopendkim leaks memory signing with" \
    "an Ed25519 key is refused, saying why"
printf 'not a key\n' >"$KEYS/bad.key"
chmod 600 "$KEYS/bad.key"
sed -i "s|$KEYS/example.com.s1.key|$KEYS/bad.key|" "$T_TMP/mailacd.conf"
like "$("$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/mailacd.conf" 2>&1)" \
    "does not hold a PEM private key" "a file that is not a key is refused"
milter_log_clean
done_testing
