#!/bin/sh
# 6040-e2e-dress.t - agents' replies through the private Postfix and
# mailacd-milter get the channel's header and footer, the agent's
# signature and, on the interaction's first reply only, the contact card;
# what reaches the capturing server is read by python3's email package and
# its DKIM signature verified on the exact bytes by python3-dkim and
# Mail::DKIM.  An agent's "#response NAME" first line becomes the
# response; an unknown name is refused (5.7.1) and nothing leaves;
# S/MIME-signed mail arrives as it was sent, and the log says why.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix postconf swaks openssl perl
require_build mailacd-milter
require_build mailacd-router
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
    "$(openssl pkey -in "$KEYS/example.com.key" -pubout -outform DER | base64 -w0)" >"$REC"

# the templates, beside the configuration (relative names)
printf 'Dear {{customer.name|customer}},\n' >"$T_TMP/head.txt"
printf '<p class="head">Dear {{customer.name|customer}},</p>\n' >"$T_TMP/head.html"
printf -- '-- \n{{organization}} - ref {{interaction.reference}}\n' >"$T_TMP/foot.txt"
printf '<p class="foot">{{organization}} - ref {{interaction.reference}}</p>\n' >"$T_TMP/foot.html"
printf '{{agent.name}}, Acme Support\n' >"$T_TMP/sig.txt"
printf '<p class="sig">{{agent.name}}, Acme Support</p>\n' >"$T_TMP/sig.html"
printf 'Your refund for "{{interaction.subject}}" is on its way.\n' >"$T_TMP/refund.txt"

DKIM="dkim = { selector = \"s1\"; key_file = \"$KEYS/example.com.key\"; };"
TOP='outbound = { trusted_networks = [ "127.0.0.0/8" ]; };'
AGENT='{ id = "alice"; name = "Alice Smith"; address = "alice@corp.test";
	  queues = [ "support" ]; skills = [ "general", "email" ];
	  languages = [ "en" ];
	  signature = { text = "sig.txt"; html = "sig.html"; }; }'
start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start the capturing sink"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
milter_conf "" "$AGENT" "" "$DKIM" "$TOP" >"$T_TMP/mailacd.conf"
sed -i -e 's|^\(\t\tid = "acme";\)$|\1\
		timezone = "Europe/Madrid";\
		responses = ( { name = "refund"; subject = "Your refund";\
				text = "refund.txt"; } );|' \
    -e 's|^\(\t\t\t\t\t  priority = 10;\) },$|\1 display_name = "Acme Support";\
		header = { text = "head.txt"; html = "head.html"; };\
		footer = { text = "foot.txt"; html = "foot.html"; };\
		card = { organization = "Acme Inc"; phone = "+1 555 0100";\
			 url = "https://example.com/"; }; },|' "$T_TMP/mailacd.conf"
ok "the configuration with templates checks" \
    "$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f -d \
    -c "$T_TMP/mailacd.conf"
RUN=$$.$(date +%s)

# raw_of MESSAGE-ID: the raw file the sink kept for it
raw_of() {
	f=$(grep -liF "message-id: <$1>" "$SINK_RAW"/* 2>/dev/null | sed 1q)
	[ -n "$f" ] && [ -f "$SINK_DIR/$(basename "$f")" ] && echo "$f"
}
arrived() { [ -n "$(raw_of "$1")" ]; }
# verify FILE WHAT: both verifiers pass the file's signature
verify() {
	is "$("$PY" "$T_TOP/t/lib/dkim-verify.py" "$REC" example.com "$1" | cut -c1-4)" \
	    pass "$2: python3-dkim verifies it"
	is "$(perl "$T_TOP/t/lib/dkim-verify.pl" "$REC" example.com "$1" | cut -c1-4)" \
	    pass "$2: Mail::DKIM verifies it"
}
# check FILE ARGS...: t/lib-less python checks of the received message
# (each ARG a check name), one "ok"/"not ok NAME: why" line each
check() {
	"$PY" - "$@" <<'PYEOF'
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
# the capturing server's envelope lines come first
m = email.message_from_bytes(raw, policy=email.policy.default)
def txt(p):
    return p.get_content().replace("\r\n", "\n")
plain = m.get_body(preferencelist=("plain",))
html = m.get_body(preferencelist=("html",))
cards = [p for p in m.walk() if p.get_content_type() == "text/vcard"]
res = {
  "from": str(m["From"]) == "Acme Support <support@example.com>",
  "head": plain is not None and txt(plain).startswith("Dear Ana Diaz,\n"),
  "foot": plain is not None and "-- \nAcme Inc - ref " in txt(plain),
  "sig": plain is not None and txt(plain).count("Alice Smith, Acme Support") == 1,
  "htmlhead": html is not None and '<p class="head">Dear Ana Diaz,</p>' in txt(html),
  "htmlsig": html is not None and '<p class="sig">Alice Smith, Acme Support</p>' in txt(html),
  "card": len(cards) == 1 and "FN:Acme Support" in cards[0].get_content(),
  "nocard": len(cards) == 0,
  "refund": plain is not None and 'Your refund for "my order" is on its way.' in txt(plain),
  "noline": "#response" not in raw.decode("utf-8", "replace"),
  "nodefect": not any(p.defects for p in m.walk()),
}
for a in sys.argv[2:]:
    print(a + (" ok" if res[a] else " bad " + repr(raw[:2000])))
PYEOF
}
# checks FILE WHAT NAMES...: one TAP line per check
checks() {
	_f=$1
	_w=$2
	shift 2
	check "$_f" "$@" >"$T_TMP/check.out" 2>&1
	for _c in "$@"; do
		if grep -qx "$_c ok" "$T_TMP/check.out"; then
			pass "$_w: $_c"
		else
			fail "$_w: $_c"
			diag "$(grep "^$_c " "$T_TMP/check.out" || cat "$T_TMP/check.out")"
		fi
	done
}

# the customer writes
{
	printf 'From: Ana Diaz <ana@customer.test>\nTo: support@example.com\n'
	printf 'Subject: my order\nMessage-ID: <in-%s@customer.test>\n\nWhere is it?\n' "$RUN"
} >"$T_TMP/in.eml"
ok "the customer's message is accepted" \
    send_mail "$T_TMP/in.eml" ana@customer.test support@example.com
wait_for 20 arrived "in-$RUN@customer.test"
ix=$(hdr_id "$(msg_header "$(sink_find "in-$RUN@customer.test" | sed 1q)" X-MailACD-Interaction)")
like "$ix" '^[0-9a-f]{32}$' "it became an interaction"
recorded() { [ -n "$(rcli HGET "mailacd:{acme}:ix:$ix" state)" ]; }
ok "the router recorded it" wait_for 20 recorded

# reply N BODY-FILE: alice answers from her own client
reply() {
	{
		printf 'From: Alice <alice@corp.test>\nTo: ana@customer.test\n'
		printf 'Subject: Re: my order\nMessage-ID: <r%s-%s@corp.test>\n' "$1" "$RUN"
		printf 'In-Reply-To: <in-%s@customer.test>\n' "$RUN"
		cat "$2"
	} >"$T_TMP/r$1.eml"
	send_mail "$T_TMP/r$1.eml" alice@corp.test ana@customer.test
}

# 1: the first reply, multipart/alternative: header, signature, footer in
# both parts, and the card
cat >"$T_TMP/b1" <<'B'
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt1"

--alt1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

It left today, tracking 1Z999.
--alt1
Content-Type: text/html; charset=utf-8

<html><body><p>It left today, tracking 1Z999.</p></body></html>
--alt1--
B
ok "the first reply is accepted" reply 1 "$T_TMP/b1"
wait_for 20 arrived "r1-$RUN@corp.test"
f1=$(raw_of "r1-$RUN@corp.test")
checks "$f1" "first reply" from head foot sig htmlhead htmlsig card nodefect
verify "$f1" "first reply"
like "$(cat "$MILTER_LOG")" "dressed: card header signature footer" \
    "the milter logs what it added"

# 2: the second reply gets no card
printf '\nA second note.\n' >"$T_TMP/b2"
ok "the second reply is accepted" reply 2 "$T_TMP/b2"
wait_for 20 arrived "r2-$RUN@corp.test"
f2=$(raw_of "r2-$RUN@corp.test")
checks "$f2" "second reply" from head foot sig nocard nodefect
check "$f2" card >"$T_TMP/neg.out" 2>&1
like "$(cat "$T_TMP/neg.out")" '^card bad' "the card check fails where there is no card (it really looks)"
verify "$f2" "second reply"

# 3: #response refund
printf '\n#response refund\n\nBest,\n' >"$T_TMP/b3"
ok "a #response reply is accepted" reply 3 "$T_TMP/b3"
wait_for 20 arrived "r3-$RUN@corp.test"
f3=$(raw_of "r3-$RUN@corp.test")
checks "$f3" "#response" refund noline head foot nocard
verify "$f3" "#response"

# 4: an unknown name is refused, and nothing leaves
printf '\n#response nosuch\n\nBest,\n' >"$T_TMP/b4"
reply 4 "$T_TMP/b4"
isnt "$?" 0 "#response with an unknown name is refused"
like "$(cat "$SWAKS_LOG")" '550 5\.7\.1 .*#response nosuch: no such response' \
    "the agent is told why (550 5.7.1)"
sleep 2
is "$(raw_of "r4-$RUN@corp.test")" "" "nothing of it reached the customer"

# 5: the signature the client already put there is not added twice
printf '\nDone.\n\nAlice Smith, Acme Support\n' >"$T_TMP/b5"
ok "a reply with the signature already in it is accepted" reply 5 "$T_TMP/b5"
wait_for 20 arrived "r5-$RUN@corp.test"
f5=$(raw_of "r5-$RUN@corp.test")
checks "$f5" "signature already there" sig head foot
verify "$f5" "signature already there"

# 6: S/MIME-signed mail is left as it is, and the log says so
cat >"$T_TMP/b6" <<'B'
MIME-Version: 1.0
Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="sig6"

--sig6
Content-Type: text/plain; charset=utf-8

Signed by Alice.
--sig6
Content-Type: application/pkcs7-signature; name=smime.p7s
Content-Transfer-Encoding: base64

MIAGCSqGSIb3DQEHAqCAMIACAQE=
--sig6--
B
ok "a signed reply is accepted" reply 6 "$T_TMP/b6"
wait_for 20 arrived "r6-$RUN@corp.test"
f6=$(raw_of "r6-$RUN@corp.test")
is "$(tr -d '\r' <"$f6" | sed '1,/^$/d')" "$(sed '1,/^$/d' "$T_TMP/b6")" \
    "signed reply: its body arrives as it was sent"
like "$(cat "$MILTER_LOG")" "not dressed: signed \(multipart/signed\): left untouched" \
    "signed reply: the log says it was not dressed"
verify "$f6" "signed reply"

is "$(rcli HGET "mailacd:{acme}:ix:$ix" replies)" 5 \
    "the five replies are recorded on the interaction"
milter_log_clean
done_testing
