#!/bin/sh
# 3060-e2e-sendmail.t - the same milter behind Sendmail 8.17 instead of
# Postfix: a private Sendmail (Debian's sendmail-bin, unpacked rather than
# installed, see require_sendmail in t/lib/harness.sh) wired with
# contrib/sendmail/mailacd.mc.snippet as shipped, relaying to the
# capturing sink.  Inbound stamping and hand-off with Sendmail's queue id,
# spoofed X-MailACD-* headers removed, 451 while Redis is down and exactly
# one interaction after the client's retry, outbound DKIM verified by
# python3-dkim and Mail::DKIM on the bytes received, the envelope-only copy
# recipient and the MAIL FROM on the bounce domain.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli swaks ss openssl perl
require_build mailacd-milter
require_sendmail
PY=/usr/bin/python3
"$PY" -c 'import dkim' 2>/dev/null || skip_all "python3-dkim is not installed"

RUN=$$.$(date +%s)
DATE=$(date -R)
KEYS=$T_TMP/keys
mkdir -p "$KEYS"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$KEYS/s1.key" 2>/dev/null
chmod 600 "$KEYS/s1.key"
printf 's1._domainkey.example.com v=DKIM1; k=rsa; p=%s\n' \
    "$(openssl pkey -in "$KEYS/s1.key" -pubout -outform DER | base64 -w0)" \
    >"$KEYS/records"

EXTRA='{ address = "desk@example.com"; queue = "support";
	  copy_to = "archive@corp.test"; },'
DKIM="dkim = { selector = \"s1\"; key_file = \"$KEYS/s1.key\"; };
	bounce_domain = \"bounce.example.com\";"
TOP='outbound = { trusted_networks = [ "127.0.0.0/8" ]; };'
start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start the sink"
t_milter_sockets inet milter
MILTER_SOCKET=$T_MSOCK
milter_conf "$EXTRA" "" "" "$DKIM" "$TOP" >"$T_TMP/mailacd.conf"
chmod 640 "$T_TMP/mailacd.conf"
start_milter "$MILTER_SOCKET" "$T_TMP/mailacd.conf" ||
    bail_out "cannot start mailacd-milter"

# the snippet as an administrator would paste it, on our milter's port
SNIP=$(sed "s/inet:8891@127.0.0.1/$MILTER_SOCKET/" \
    "$T_TOP/contrib/sendmail/mailacd.mc.snippet")
start_sendmail "" "$SNIP" || bail_out "cannot start the private Sendmail"
note "redis :$REDIS_PORT  sink :$SINK_PORT  sendmail :$SMTP_PORT " \
    " milter $MILTER_SOCKET"
grep -q "^Xmailacd, S=$MILTER_SOCKET, F=T" "$SM_BASE/sendmail.cf"
is "$?" 0 "the snippet's INPUT_MAIL_FILTER reached sendmail.cf"

# has - MSGID: the sink holds that message
has() { [ -n "$(sink_find "$1")" ]; }
# sm_deliver - FILE FROM TO MSGID: send through Sendmail, wait for the
# sink; sets F (the dump) and QID (Sendmail's queue id from its 250)
sm_deliver() {
	F=
	send_mail "$1" "$2" "$3"
	_r=$(swaks_final_reply)
	QID=$(printf '%s\n' "$_r" | sed -n 's/^250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p')
	like "$_r" '^250 ' "$4: accepted by Sendmail ($_r)"
	if ! wait_for 30 has "$4"; then
		fail "$4: reached the sink"
		diag "queue: $(sm_queue_listing)"
		return 1
	fi
	pass "$4: reached the sink"
	F=$(sink_find "$4" | sed 1q)
}

# 1. Inbound: stamped, handed off with Sendmail's queue id, forged
# X-MailACD-* headers of every spelling gone.
MID="in.$RUN@customer.test"
cat >"$T_TMP/in.eml" <<EOF
From: Ana <ana@customer.test>
To: support@example.com
Subject: Where is my parcel
Date: $DATE
Message-ID: <$MID>
X-MailACD-Interaction: 00000000000000000000000000000000; org=acme; queue=vip
x-mailacd-interaction: forged-lower
X-MailACD-Priority: 1000
X-MAILACD-Agent: mallory

Hello, it did not arrive.
EOF
sm_deliver "$T_TMP/in.eml" ana@customer.test support@example.com "$MID"
H=$(msg_header "$F" X-MailACD-Interaction)
is "$(printf '%s\n' "$H" | grep -c .)" 1 "inbound: exactly one X-MailACD-Interaction"
ID=$(hdr_id "$H")
like "$ID" '^[0-9a-f]{32}$' "inbound: stamped with an interaction id"
is "$(hdr_param "$H" queue)" support "inbound: the header names the queue"
is "$(msg_headers "$F" | grep -ic '^X-MailACD-')" 1 \
    "inbound: every forged X-MailACD-* header removed, ours alone left"
is "$(msg_headers "$F" | grep -ic '^X-MailACD-Priority\|^X-MailACD-Agent')" 0 \
    "inbound: X-MailACD-Priority and X-MAILACD-Agent gone"
like "$(msg_header "$F" Received | sed 1q)" "by mx.sendmail.test .*id $QID" \
    "inbound: Sendmail relayed it (its Received line, id $QID)"
is "$(stream_len acme)" 1 "inbound: one stream entry"
N=$(stream_find acme id "$ID" | sed 1q)
is "$(stream_field acme "${N:-1}" queue)" support "hand-off: queue support"
is "$(stream_field acme "${N:-1}" queue_id)" "$QID" \
    "hand-off: Sendmail's queue id (macro i) recorded"
is "$(stream_field acme "${N:-1}" message_id)" "<$MID>" "hand-off: the Message-ID"
like "$(cat "$MILTER_LOG")" "$QID: interaction $ID" \
    "the milter's log line starts with Sendmail's queue id"

# 2. Redis down: 451 4.3.0 (Sendmail passes the milter's reply on), no
# copy, nothing queued; after the client's retry exactly one interaction.
stop_redis
MID2="down.$RUN@customer.test"
sed "s/$MID/$MID2/; /^X-MailACD/d; /^x-mailacd/d; /^X-MAILACD/d" \
    "$T_TMP/in.eml" >"$T_TMP/down.eml"
send_mail "$T_TMP/down.eml" ana@customer.test support@example.com
like "$(swaks_final_reply)" '^451 4\.3\.0 ' "Redis down: 451 4.3.0 at the end of DATA"
sleep 1
is "$(sink_find "$MID2")" "" "Redis down: nothing reached the sink"
ok "Redis down: nothing left in Sendmail's queue" sm_queue_empty
restart_redis || bail_out "cannot restart redis-server"
sm_deliver "$T_TMP/down.eml" ana@customer.test support@example.com "$MID2"
is "$(stream_find acme message_id "<$MID2>" | grep -c .)" 1 \
    "Redis back: exactly one interaction for the retried message"
is "$(sink_find "$MID2" | grep -c .)" 1 "Redis back: one copy at the sink"
is "$(stream_len acme)" 2 "Redis back: two stream entries in all"

# 3. Outbound from desk@: signed, the copy recipient added to the envelope
# only, MAIL FROM moved to the bounce domain.
MID3="out.$RUN@example.com"
cat >"$T_TMP/out.eml" <<EOF
From: Acme Desk <desk@example.com>
To: Ana <ana@customer.test>
Subject: Your parcel
Date: $DATE
Message-ID: <$MID3>
X-MailACD-Interaction: $ID
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Hello Ana, señora, it left today.
EOF
sm_deliver "$T_TMP/out.eml" desk@example.com ana@customer.test "$MID3"
like "$(msg_header "$F" DKIM-Signature)" "d=example.com; s=s1" \
    "outbound: a DKIM-Signature for example.com"
sink_raw "$F" >"$T_TMP/out.raw"
out=$("$PY" "$T_TOP/t/lib/dkim-verify.py" "$KEYS/records" example.com \
    "$T_TMP/out.raw" 2>&1)
is "$out" "pass $T_TMP/out.raw" "python3-dkim verifies the bytes the sink received"
out=$(perl "$T_TOP/t/lib/dkim-verify.pl" "$KEYS/records" example.com \
    "$T_TMP/out.raw" 2>&1)
is "$out" "pass $T_TMP/out.raw" "Mail::DKIM verifies them too"
is "$(msg_header "$F" X-MailACD-Interaction)" "" \
    "outbound: our X-MailACD-Interaction removed before it left"
is "$(sink_rcpts "$F" | sort | tr '\n' ' ')" "ana@customer.test archive@corp.test " \
    "outbound: the copy address is an envelope recipient"
is "$(sink_message "$F" | grep -ci '^Bcc:')" 0 "outbound: no Bcc header"
like "$(sed -n 's/^X-Mail-Args: //p' "$F")" "^<desk@bounce.example.com>" \
    "outbound: MAIL FROM moved to the bounce domain"

ok "nothing left in Sendmail's queue" wait_for 20 sm_queue_empty
ok "the milter is still running" t_alive "$MILTER_PID"
milter_log_clean
done_testing
