#!/bin/sh
# 3010-e2e-inbound.t - inbound mail through a private Postfix and the real
# mailacd-milter (TCP socket) into a private Redis and smtp-sink: stamping,
# hand-off fields, sub-addresses, several recipients, spoofed routing
# headers, unregistered mail untouched, idempotent resend.

. "$(dirname "$0")/lib/harness.sh"

require_root
require_tools redis-server redis-cli postfix postconf postqueue smtp-sink \
    swaks ss base64
require_build mailacd-milter

start_stack inet

RUN=$$.$(date +%s)
DATE=$(date -R)

# strip_angle - remove one pair of <> around a value
strip_angle() {
	printf '%s\n' "$1" | sed 's/^[[:space:]]*<//; s/>[[:space:]]*$//'
}

# lc - lower case
lc() {
	printf '%s\n' "$1" | tr '[:upper:]' '[:lower:]'
}

# deliver - FILE FROM TO MSGID [N]: send FILE, expect 250 and N (1) copies
# of MSGID at the sink; sets F (first copy) and QID (Postfix queue id)
deliver() {
	F=
	QID=
	send_mail "$1" "$2" "$3"
	_rc=$?
	if [ "$_rc" -ne 0 ]; then
		fail "$4: accepted (swaks exit $_rc)"
		diag "$(cat "$SWAKS_LOG")"
		return 1
	fi
	_reply=$(swaks_final_reply)
	QID=$(printf '%s\n' "$_reply" | sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p')
	like "$_reply" '^250 ' "$4: accepted by Postfix"
	if ! wait_for 20 t_has_copies "$4" "${5:-1}"; then
		fail "$4: reached the sink"
		diag "sink has: $(sink_files)" "queue: $(queue_listing)"
		return 1
	fi
	wait_for 20 queue_empty
	pass "$4: reached the sink"
	F=$(sink_find "$4" | sed 1q)
}

t_has_copies() {
	[ "$(sink_find "$1" | wc -l)" -ge "$2" ]
}

# interaction_headers - FILE: the X-MailACD-Interaction values
interaction_headers() {
	msg_header "$1" X-MailACD-Interaction
}

# mailacd_headers - FILE: every header whose name starts with X-MailACD-
mailacd_headers() {
	msg_headers "$1" | grep -i '^X-MailACD-' || true
}

# entry_of - ID: the stream index (1-based) of interaction ID, or ""
entry_of() {
	stream_find acme id "$1" | sed 1q
}

# check_entry - N DESC FIELD=VALUE...: compare stream entry N's fields
check_entry() {
	_n=$1
	_d=$2
	shift 2
	for _kv in "$@"; do
		_k=${_kv%%=*}
		_v=${_kv#*=}
		is "$(stream_field acme "$_n" "$_k")" "$_v" "$_d: stream field $_k"
	done
}

# ---------------------------------------------------------------------------
# 1. One registered recipient, UTF-8 base64 subject.
SUBJ_A='Pedido nº 42 — no llegó'
ENC_A="=?UTF-8?B?$(printf '%s' "$SUBJ_A" | base64 -w0)?="
MID_A="a.$RUN@customer.test"
cat >"$T_TMP/a.eml" <<EOF
From: =?UTF-8?Q?Jos=C3=A9_P=C3=A9rez?= <jose@customer.test>
To: Support <support@example.com>
Subject: $ENC_A
Date: $DATE
Message-ID: <$MID_A>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Hola, my parcel did not arrive.
EOF

T0=$(now_ms)
deliver "$T_TMP/a.eml" jose@customer.test support@example.com "$MID_A"
T1=$(now_ms)
H=$(interaction_headers "$F")
is "$(printf '%s\n' "$H" | grep -c .)" 1 "A: exactly one X-MailACD-Interaction header"
ID_A=$(hdr_id "$H")
like "$ID_A" '^[0-9a-f]{32}$' "A: interaction id is 32 lowercase hex digits"
is "$(hdr_param "$H" org)" acme "A: header org"
is "$(hdr_param "$H" address)" support@example.com "A: header address"
is "$(hdr_param "$H" queue)" support "A: header queue"
is "$(hdr_param "$H" priority)" 10 "A: header priority"
is "$(hdr_param "$H" language)" en "A: header language"
is "$(hdr_param "$H" skills)" general,email "A: header skills"
is "$(stream_len acme)" 1 "A: one stream entry"
N=$(entry_of "$ID_A")
is "$N" 1 "A: the stream entry carries the header's id"
check_entry 1 A v=1 org=acme queue=support skills=general,email \
    language=en priority=10 address=support@example.com match=address \
    subject="$SUBJ_A" auto=
is "$(strip_angle "$(stream_field acme 1 sender)")" jose@customer.test "A: stream field sender"
is "$(lc "$(strip_angle "$(stream_field acme 1 rcpt)")")" support@example.com "A: stream field rcpt"
is "$(strip_angle "$(stream_field acme 1 message_id)")" "$MID_A" "A: stream field message_id"
is "$(stream_field acme 1 queue_id)" "$QID" "A: stream field queue_id is Postfix's queue id"
like "$(stream_field acme 1 from)" 'jose@customer\.test' "A: stream field from"
ARR=$(stream_field acme 1 arrived)
if [ -n "$ARR" ] && [ "$ARR" -ge $((T0 - 2000)) ] 2>/dev/null &&
    [ "$ARR" -le $((T1 + 2000)) ]; then
	pass "A: stream field arrived is the time of arrival in ms"
else
	fail "A: stream field arrived is the time of arrival in ms"
	diag "got '$ARR', want between $T0 and $T1"
fi
SIZE=$(stream_field acme 1 size)
like "$SIZE" '^[1-9][0-9]*$' "A: stream field size is a positive number"

# ---------------------------------------------------------------------------
# 2. ISO-8859-1 quoted-printable subject, an address with no language/skills.
SUBJ_B='Factura nº 7 - señor Pérez'
MID_B="b.$RUN@customer.test"
cat >"$T_TMP/b.eml" <<EOF
From: Carmen <carmen@customer.test>
To: billing@example.com
Subject: =?ISO-8859-1?Q?Factura_n=BA_7_-_se=F1or_P=E9rez?=
Date: $DATE
Message-ID: <$MID_B>

Invoice question.
EOF
deliver "$T_TMP/b.eml" carmen@customer.test billing@example.com "$MID_B"
H=$(interaction_headers "$F")
ID_B=$(hdr_id "$H")
like "$ID_B" '^[0-9a-f]{32}$' "B: interaction id"
is "$(hdr_param "$H" queue)" billing "B: header queue"
is "$(hdr_param "$H" priority)" 20 "B: header priority"
unlike "$H" '(^|;)[[:space:]]*(language|skills)=' "B: no language/skills parameters when empty"
N=$(entry_of "$ID_B")
like "$N" '^[0-9]+$' "B: stream entry with the header's id"
check_entry "${N:-0}" B queue=billing priority=20 language= skills= \
    address=billing@example.com subject="$SUBJ_B"

# ---------------------------------------------------------------------------
# 3. Sub-address and upper-case domain; adjacent encoded words.
MID_C="c.$RUN@customer.test"
cat >"$T_TMP/c.eml" <<EOF
From: Ana <ana@customer.test>
To: support+tag@EXAMPLE.com
Subject: Re: =?UTF-8?Q?caf=C3=A9?= =?UTF-8?Q?_con_leche?= order
Date: $DATE
Message-ID: <$MID_C>

Sub-address.
EOF
deliver "$T_TMP/c.eml" ana@customer.test support+tag@EXAMPLE.com "$MID_C"
H=$(interaction_headers "$F")
is "$(printf '%s\n' "$H" | grep -c .)" 1 "C: support+tag@EXAMPLE.com is stamped once"
is "$(hdr_param "$H" address)" support@example.com "C: header address is the registered one"
N=$(entry_of "$(hdr_id "$H")")
like "$N" '^[0-9]+$' "C: stream entry with the header's id"
check_entry "${N:-0}" C address=support@example.com queue=support \
    subject='Re: café con leche order'
is "$(lc "$(strip_angle "$(stream_field acme "${N:-0}" rcpt)")")" \
    support+tag@example.com "C: stream field rcpt is the envelope recipient"

# ---------------------------------------------------------------------------
# 4. Several recipients: two registered, one not.
MID_D="d.$RUN@customer.test"
cat >"$T_TMP/d.eml" <<EOF
From: Luis <luis@customer.test>
To: support@example.com, billing@example.com
Cc: other@elsewhere.test
Subject: two departments
Date: $DATE
Message-ID: <$MID_D>

For both of you.
EOF
LEN0=$(stream_len acme)
deliver "$T_TMP/d.eml" luis@customer.test \
    support@example.com,billing@example.com,other@elsewhere.test "$MID_D"
H=$(interaction_headers "$F")
is "$(printf '%s\n' "$H" | grep -c .)" 2 "D: two X-MailACD-Interaction headers"
HS=$(printf '%s\n' "$H" | grep 'address=support@example\.com' | sed 1q)
HB=$(printf '%s\n' "$H" | grep 'address=billing@example\.com' | sed 1q)
is "$(hdr_param "$HS" queue)" support "D: support@ stamped for queue support"
is "$(hdr_param "$HB" queue)" billing "D: billing@ stamped for queue billing"
isnt "$(hdr_id "$HS")" "$(hdr_id "$HB")" "D: the two interactions have different ids"
is "$(stream_len acme)" $((LEN0 + 2)) "D: two new stream entries"
NS=$(entry_of "$(hdr_id "$HS")")
NB=$(entry_of "$(hdr_id "$HB")")
check_entry "${NS:-0}" "D support" queue=support address=support@example.com
check_entry "${NB:-0}" "D billing" queue=billing address=billing@example.com
RCPTS=$(for f in $(sink_find "$MID_D"); do sink_rcpts "$f"; done | sort | tr '\n' ' ')
is "$RCPTS" "billing@example.com other@elsewhere.test support@example.com " \
    "D: all three recipients delivered"

# ---------------------------------------------------------------------------
# 5. Spoofed routing headers from outside are removed.
MID_E="e.$RUN@customer.test"
cat >"$T_TMP/e.eml" <<EOF
From: Mallory <mallory@customer.test>
To: support@example.com
X-MailACD-Queue: vip
Subject: please route me first
x-mailacd-interaction: forged
X-MAILACD-Interaction: 0123456789abcdef0123456789abcdef; org=evil;
	queue=vip; priority=1000
Date: $DATE
X-Mailacd-Priority: 1000
X-Other: kept
x-mailacd-queue: vip2,
 folded continuation
Message-ID: <$MID_E>
X-MailACD-Interaction: forged-again

Let me in.
EOF
deliver "$T_TMP/e.eml" mallory@customer.test support@example.com "$MID_E"
H=$(interaction_headers "$F")
is "$(printf '%s\n' "$H" | grep -c .)" 1 "E: exactly one X-MailACD-Interaction header left"
like "$(hdr_id "$H")" '^[0-9a-f]{32}$' "E: it is ours"
isnt "$(hdr_id "$H")" 0123456789abcdef0123456789abcdef "E: not the forged id"
is "$(hdr_param "$H" queue)" support "E: queue is the address's, not vip"
ALL=$(mailacd_headers "$F")
is "$(printf '%s\n' "$ALL" | grep -c .)" 1 "E: no other X-MailACD-* header survives"
unlike "$(msg_headers "$F")" 'forged|vip|evil|folded continuation|priority=1000' \
    "E: no trace of the spoofed values"
is "$(msg_header "$F" X-Other)" kept "E: other headers kept"
N=$(entry_of "$(hdr_id "$H")")
check_entry "${N:-0}" E queue=support priority=10

# ---------------------------------------------------------------------------
# 6. Unregistered recipient: untouched, nothing in Redis.
MID_F="f.$RUN@customer.test"
cat >"$T_TMP/f.eml" <<EOF
From: Someone <someone@customer.test>
To: other@elsewhere.test
Subject: not for the contact center
Date: $DATE
Message-ID: <$MID_F>
X-Custom: value;
	folded

Line one.
  indented line
.a line starting with a dot

last line
EOF
KEYS0=$(rcli DBSIZE)
LEN0=$(stream_len acme)
deliver "$T_TMP/f.eml" someone@customer.test other@elsewhere.test "$MID_F"
is "$(interaction_headers "$F" | grep -c .)" 0 "F: no X-MailACD-Interaction header"
# The message as sent, compared with what arrived minus the Received: lines
# that Postfix and smtp-sink put on top.
sink_message "$F" | tr -d '\r' | awk '
	/^$/ { body = 1 }
	!body && /^Received:/ { skip = 1; next }
	!body && skip && /^[ \t]/ { next }
	{ skip = 0; print }' >"$T_TMP/f.got"
if cmp -s "$T_TMP/f.eml" "$T_TMP/f.got"; then
	pass "F: headers and body arrive byte for byte (apart from Received)"
else
	fail "F: headers and body arrive byte for byte (apart from Received)"
	diag "$(diff -u "$T_TMP/f.eml" "$T_TMP/f.got")"
fi
is "$(stream_len acme)" "$LEN0" "F: no stream entry"
is "$(rcli DBSIZE)" "$KEYS0" "F: no new Redis key"

# ---------------------------------------------------------------------------
# 7. The same message again (an MTA retry): same id, no second entry.
LEN0=$(stream_len acme)
deliver "$T_TMP/a.eml" jose@customer.test support@example.com "$MID_A" 2
F2=$(sink_find "$MID_A" | sed -n 2p)
H2=$(interaction_headers "$F2")
is "$(printf '%s\n' "$H2" | grep -c .)" 1 "A again: one header"
is "$(hdr_id "$H2")" "${ID_A:-(no id)}" "A again: the same interaction id"
is "$(stream_len acme)" "$LEN0" "A again: no second stream entry"
is "$(stream_find acme id "$ID_A" | grep -c .)" 1 "A again: one entry with that id"

# ---------------------------------------------------------------------------
# 8. Automatic mail is still handed off, marked with the reason.
MID_G="g.$RUN@customer.test"
cat >"$T_TMP/g.eml" <<EOF
From: Robot <robot@customer.test>
To: support@example.com
Subject: Out of office
Auto-Submitted: auto-replied
Date: $DATE
Message-ID: <$MID_G>

I am away.
EOF
deliver "$T_TMP/g.eml" robot@customer.test support@example.com "$MID_G"
N=$(entry_of "$(hdr_id "$(interaction_headers "$F")")")
like "$N" '^[0-9]+$' "G: stream entry with the header's id"
check_entry "${N:-0}" G auto=auto-submitted

# ---------------------------------------------------------------------------
# 9. Raw 8-bit UTF-8 in the Subject (no encoded words), a bounce (null
# sender), and a 1 MB body that reaches the milter in many chunks.
MID_H="h.$RUN@customer.test"
cat >"$T_TMP/h.eml" <<EOF
From: Zoë <zoe@customer.test>
To: support@example.com
Subject: Ça ne marche pas — Zoë
Date: $DATE
Message-ID: <$MID_H>

Raw UTF-8 header.
EOF
deliver "$T_TMP/h.eml" zoe@customer.test support@example.com "$MID_H"
N=$(entry_of "$(hdr_id "$(interaction_headers "$F")")")
check_entry "${N:-0}" H subject='Ça ne marche pas — Zoë'

MID_J="j.$RUN@customer.test"
cat >"$T_TMP/j.eml" <<EOF
From: Mail Delivery System <MAILER-DAEMON@customer.test>
To: support@example.com
Subject: Undelivered Mail Returned to Sender
Date: $DATE
Message-ID: <$MID_J>

Bounce.
EOF
deliver "$T_TMP/j.eml" '<>' support@example.com "$MID_J"
N=$(entry_of "$(hdr_id "$(interaction_headers "$F")")")
like "$N" '^[0-9]+$' "J: a bounce to a registered address is handed off"
like "$(stream_field acme "${N:-0}" auto)" '.' "J: and marked automatic"
note "J: auto=$(stream_field acme "${N:-0}" auto) sender=$(stream_field acme "${N:-0}" sender)"

MID_K="k.$RUN@customer.test"
{
	echo "From: Big <big@customer.test>"
	echo "To: billing@example.com"
	echo "Subject: a large attachment"
	echo "Date: $DATE"
	echo "Message-ID: <$MID_K>"
	echo
	i=0
	while [ $i -lt 13000 ]; do
		echo "line $i: ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		i=$((i + 1))
	done
} >"$T_TMP/k.eml"
BYTES=$(wc -c <"$T_TMP/k.eml")
deliver "$T_TMP/k.eml" big@customer.test billing@example.com "$MID_K"
N=$(entry_of "$(hdr_id "$(interaction_headers "$F")")")
like "$N" '^[0-9]+$' "K: a $BYTES-byte message is handed off"
SIZE=$(stream_field acme "${N:-0}" size)
cmp_ok "${SIZE:-0}" -ge "$BYTES" "K: stream field size counts the whole message ($SIZE >= $BYTES)"
is "$(msg_body "$F" | wc -l | tr -d ' ')" 13000 "K: the whole body arrived"

ok "the milter is still running" t_alive "$MILTER_PID"
milter_log_clean
if [ "$T_FAILED" -gt 0 ]; then
	diag "stream:" "$(stream_dump acme)"
fi
done_testing
