#!/bin/sh
# 6015-e2e-dkim-interop.t - what a receiver gets verifies.  A varied set of
# messages (plain, multipart with an attachment, 8-bit UTF-8, RFC 2047
# names, long folded Subject and To, empty body, no final line break,
# trailing blank lines, an earlier DKIM-Signature, dot lines, lower-case
# header names, odd white space) is sent byte for byte from three domains
# with 1024-, 2048- and 4096-bit RSA keys through the private Postfix and
# mailacd-milter to a capturing SMTP server that keeps the DATA bytes as
# they came.  Two verifiers that share no code with libopendkim,
# python3-dkim and Perl's Mail::DKIM, must accept every one of them; no
# line of the signature may end in CR CR LF.  An agent's reply to a
# customer message with a very long References verifies.  A body line longer than
# 998 octets is split by Postfix after signing (smtp_line_length_limit):
# the test shows the failure and that smtp_line_length_limit = 0 avoids it.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix postconf swaks ss openssl perl
require_build mailacd-milter
require_build mailacd-router
PY=/usr/bin/python3
"$PY" -c 'import dkim' 2>/dev/null || skip_all "python3-dkim is not installed"
perl -MMail::DKIM::Verifier -e 1 2>/dev/null ||
    skip_all "libmail-dkim-perl is not installed"

KEYS=$T_TMP/keys
REC=$T_TMP/records
mkdir -p "$KEYS"
: >"$REC"
# key DOMAIN SELECTOR BITS: a private key (mode 0600) and its record in REC
key() {
	f=$KEYS/$1.$2.key
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:$3 \
	    -out "$f" 2>/dev/null
	chmod 600 "$f"
	printf '%s._domainkey.%s v=DKIM1; k=rsa; p=%s\n' "$2" "$1" \
	    "$(openssl pkey -in "$f" -pubout -outform DER | base64 -w0)" >>"$REC"
}
key example.com s2048 2048
key example.net s1024 1024
key example.org s4096 4096

DKIM="dkim = { selector = \"s2048\"; key_file = \"$KEYS/example.com.s2048.key\"; };"
TOP='outbound = { trusted_networks = [ "127.0.0.0/8" ]; };'
start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start the capturing sink"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
milter_conf "" "" "" "$DKIM" "$TOP" >"$T_TMP/mailacd.conf"
# two more organisations, one domain each, with their own key sizes
sed -i "s|^organizations = (|organizations = (\n\
	{ id = \"beta\"; queues = ( { name = \"q\"; } );\n\
	  domains = ( { name = \"example.net\";\n\
	    dkim = { selector = \"s1024\"; key_file = \"$KEYS/example.net.s1024.key\"; };\n\
	    addresses = ( { address = \"hello@example.net\"; queue = \"q\"; } ); } ); },\n\
	{ id = \"gamma\"; queues = ( { name = \"q\"; } );\n\
	  domains = ( { name = \"example.org\";\n\
	    dkim = { selector = \"s4096\"; key_file = \"$KEYS/example.org.s4096.key\"; };\n\
	    addresses = ( { address = \"desk@example.org\"; queue = \"q\"; } ); } ); },|" \
    "$T_TMP/mailacd.conf"
ok "the configuration with three keys checks" \
    "$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
RUN=$$.$(date +%s)

# raw_of MESSAGE-ID: the raw file the sink kept for it
raw_of() {
	f=$(grep -liF "message-id: <$1>" "$SINK_RAW"/* 2>/dev/null | sed 1q)
	[ -n "$f" ] && [ -f "$SINK_DIR/$(basename "$f")" ] && echo "$f"
}
# all_arrived LIST: every Message-ID of a corpus list reached the sink
all_arrived() {
	while read -r _c _f _m; do
		[ -n "$(raw_of "$(echo "$_m" | tr -d '<>')")" ] || return 1
	done <"$1"
}

"$PY" "$T_TOP/t/lib/dkim-corpus.py" "$SMTP_PORT" "interop-$RUN" \
    support@example.com,hello@example.net,desk@example.org \
    >"$T_TMP/corpus.list" 2>"$T_TMP/corpus.err"
is "$?" 0 "the corpus was accepted by the private Postfix"
total=$(wc -l <"$T_TMP/corpus.list")
cmp_ok "$total" -ge 39 "at least 13 cases x 3 keys were sent ($total)"
wait_for 60 all_arrived "$T_TMP/corpus.list" ||
    diag "not every message reached the sink" "$(postqueue -c "$PF_CONF" -p)"

# check every message with both verifiers, per domain
for d in example.com example.net example.org; do
	: >"$T_TMP/files.$d"
	grep "@$d>\$" "$T_TMP/corpus.list" | while read -r c f m; do
		r=$(raw_of "$(echo "$m" | tr -d '<>')")
		echo "${r:-$T_TMP/missing.$c}" >>"$T_TMP/files.$d"
	done
	n=$(wc -l <"$T_TMP/files.$d")
	# shellcheck disable=SC2046
	"$PY" "$T_TOP/t/lib/dkim-verify.py" "$REC" "$d" \
	    $(cat "$T_TMP/files.$d") >"$T_TMP/py.$d" 2>&1
	is "$(grep -c '^pass ' "$T_TMP/py.$d")" "$n" \
	    "python3-dkim verifies all $n messages from $d"
	grep -v '^pass ' "$T_TMP/py.$d" | while read -r l; do diag "$l"; done
	# shellcheck disable=SC2046
	perl "$T_TOP/t/lib/dkim-verify.pl" "$REC" "$d" \
	    $(cat "$T_TMP/files.$d") >"$T_TMP/pl.$d" 2>&1
	is "$(grep -c '^pass ' "$T_TMP/pl.$d")" "$n" \
	    "Mail::DKIM verifies all $n messages from $d"
	grep -v '^pass ' "$T_TMP/pl.$d" | while read -r l; do diag "$l"; done
done

# the bytes themselves: no CR CR LF anywhere, the signature first
crcr=0
for f in "$SINK_RAW"/*; do
	if "$PY" -c 'import sys; sys.exit(b"\r\r\n" not in open(sys.argv[1], "rb").read())' "$f"; then
		crcr=$((crcr + 1))
	fi
done
is "$crcr" 0 "no message on the wire holds CR CR LF"
f=$(raw_of "interop-$RUN.plain.1@example.com")
like "$(head -c 15 "$f")" "^DKIM-Signature:" "our signature is the first header"
like "$(msg_header "$(sink_find "interop-$RUN.plain.1@example.com")" DKIM-Signature)" \
    "a=rsa-sha256; .*d=example.com; s=s2048" "signed with example.com's 2048-bit key"
f=$(raw_of "interop-$RUN.existing-signature.9@example.com")
is "$(grep -ci '^DKIM-Signature:' "$f")" 2 \
    "an earlier signature is kept beside ours"
# a tampered copy must fail in both verifiers: they really check
sed 's/Hello Ana/Jello Ana/' "$(raw_of "interop-$RUN.plain.1@example.com")" \
    >"$T_TMP/tampered"
"$PY" "$T_TOP/t/lib/dkim-verify.py" "$REC" example.com "$T_TMP/tampered" >/dev/null 2>&1
is "$?" 1 "python3-dkim rejects a tampered body"
perl "$T_TOP/t/lib/dkim-verify.pl" "$REC" example.com "$T_TMP/tampered" >/dev/null 2>&1
is "$?" 1 "Mail::DKIM rejects a tampered body"

# an agent's reply to a customer message whose References is far longer
# than one line may be: the mail client folds it, the milter records the
# reply, and the signature over the folded header verifies.  (References
# and In-Reply-To that the milter adds itself are folded by hdr_fold_ids,
# see t/unit/hdr_test.c.)
REFS=$("$PY" -c 'print(" ".join("<customer-thread-%03d.%s@mail.customer.test>" % (i, "q" * 30) for i in range(150)))')
{
	printf 'From: Ana <ana@customer.test>\nTo: support@example.com\n'
	printf 'Subject: my order\nMessage-ID: <in-%s@customer.test>\n' "$RUN"
	printf 'References: %s\n\nWhere is it?\n' "$REFS"
} >"$T_TMP/in.eml"
ok "a customer message with 150 References is accepted" \
    send_mail "$T_TMP/in.eml" ana@customer.test support@example.com
in_arrived() { [ -n "$(sink_find "in-$RUN@customer.test")" ]; }
wait_for 20 in_arrived
ix=$(hdr_id "$(msg_header "$(sink_find "in-$RUN@customer.test" | sed 1q)" X-MailACD-Interaction)")
like "$ix" '^[0-9a-f]{32}$' "it became an interaction"
# the router records it (a reply is looked up on the record)
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f -d \
    -c "$T_TMP/mailacd.conf"
recorded() { [ -n "$(rcli HGET "mailacd:{acme}:ix:$ix" state)" ]; }
ok "the router recorded the interaction" wait_for 20 recorded
FOLDED=$(printf '%s <in-%s@customer.test>' "$REFS" "$RUN" | sed 's/> </>\n\t</g')
{
	printf 'From: Acme Support <support@example.com>\nTo: ana@customer.test\n'
	printf 'Subject: Re: my order\nMessage-ID: <reply-%s@example.com>\n' "$RUN"
	printf 'In-Reply-To: <in-%s@customer.test>\nReferences: %s\n' "$RUN" "$FOLDED"
	printf '\nIt left today.\n'
} >"$T_TMP/reply.eml"
ok "the agent's reply is accepted" \
    send_mail "$T_TMP/reply.eml" support@example.com ana@customer.test
rep_arrived() { [ -n "$(raw_of "reply-$RUN@example.com")" ]; }
wait_for 20 rep_arrived
f=$(raw_of "reply-$RUN@example.com")
like "$(cat "$MILTER_LOG")" "reply to interaction $ix from support@example.com" \
    "the milter recorded it on the interaction"
long=$(awk '{ sub(/\r$/, "") } length($0) > n { n = length($0) } END { print n + 0 }' "$f")
cmp_ok "$long" -le 998 "no line of the reply passes 998 octets ($long)"
like "$(msg_header "$f" DKIM-Signature | tr -d ' \t' | tr A-Z a-z)" \
    'h=[^;]*references' "References is signed"
is "$("$PY" "$T_TOP/t/lib/dkim-verify.py" "$REC" example.com "$f" | cut -c1-4)" \
    pass "python3-dkim verifies the reply"
is "$(perl "$T_TOP/t/lib/dkim-verify.pl" "$REC" example.com "$f" | cut -c1-4)" \
    pass "Mail::DKIM verifies the reply"

# the documented long-line case: Postfix's SMTP client splits a body line
# longer than smtp_line_length_limit (998) after we signed; with the limit
# off the same message verifies
"$PY" "$T_TOP/t/lib/dkim-corpus.py" "$SMTP_PORT" "long1-$RUN" \
    support@example.com long-line >"$T_TMP/long1.list"
wait_for 30 all_arrived "$T_TMP/long1.list"
f=$(raw_of "long1-$RUN.long-line.1@example.com")
is "$("$PY" "$T_TOP/t/lib/dkim-verify.py" "$REC" example.com "$f" | cut -c1-4)" \
    fail "a 1500-octet body line split by Postfix (smtp_line_length_limit = 998) breaks the signature"
postconf -c "$PF_CONF" -e smtp_line_length_limit=0
postfix -c "$PF_CONF" reload >/dev/null 2>&1
sleep 1
"$PY" "$T_TOP/t/lib/dkim-corpus.py" "$SMTP_PORT" "long2-$RUN" \
    support@example.com long-line >"$T_TMP/long2.list"
wait_for 30 all_arrived "$T_TMP/long2.list"
f=$(raw_of "long2-$RUN.long-line.1@example.com")
is "$("$PY" "$T_TOP/t/lib/dkim-verify.py" "$REC" example.com "$f" | cut -c1-4)" \
    pass "with smtp_line_length_limit = 0 it verifies (python3-dkim)"
is "$(perl "$T_TOP/t/lib/dkim-verify.pl" "$REC" example.com "$f" | cut -c1-4)" \
    pass "and with Mail::DKIM"
milter_log_clean
done_testing
