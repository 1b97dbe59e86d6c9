#!/bin/sh
# 3056-e2e-hostile-senders.t - an outsider cannot join, merge into or
# silence another customer's interaction.  Through the private Postfix:
#  - join by a known Message-ID: a Cc'd party's answer to Ana's message is
#    a new interaction naming hers in "related"; Ana's own answer joins;
#  - merge by a forged From (queue billing, new_thread = "merge"): only a
#    From that the relay's verifier vouched for (Authentication-Results of
#    milter.authserv_id, the topmost one) merges; a forged From, a header
#    of another authserv-id or a pass below a fail does not;
#  - the hourly limit counts the From (sub-address folded) together with
#    the client's address unless the From is authenticated: forged mail
#    from another client cannot silence Ana, and sub-addresses do not buy
#    more; the log names the identity counted.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix postconf ss
require_build mailacd-milter
PY=/usr/bin/python3
"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null ||
    skip_all "cannot bind 127.0.0.2 (a second client address)"

MILTER_SENDER_RATE_LIMIT=12
start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start the sink"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
milter_conf >"$T_TMP/mailacd.conf"
sed -i 's|^	sender_rate_limit = 12;|	sender_rate_limit = 12;\n	authserv_id = "mx.mailacd.test";|;
    s|{ name = "billing";  }|{ name = "billing"; new_thread = "merge"; }|' "$T_TMP/mailacd.conf"
ok "the configuration checks" "$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/mailacd.conf"
like "$(cat "$T_TMP/mailacd.conf")" 'new_thread = "merge"' "billing merges new threads"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
RUN=$$.$(date +%s)
N=0

# send FROM-HEADER RCPT [HEADERS [SOURCE]]: one message; sets MID and OUT
send() {
	N=$((N + 1))
	MID="s$N.$RUN@customer.test"
	{
		[ -n "${3:-}" ] && printf '%s\n' "$3"
		printf 'From: %s\nTo: %s\nSubject: case %s\n' "$1" "$2" "$N"
		printf 'Message-ID: <%s>\n\nText %s.\n' "$MID" "$N"
	} >"$T_TMP/s$N.eml"
	OUT=$(SMTP_SOURCE=${4:-} "$PY" "$T_TOP/t/lib/smtp-one.py" "$SMTP_PORT" \
	    bounce@customer.test "$2" "$T_TMP/s$N.eml" 2>&1)
}
field() { stream_field acme "$(stream_find acme message_id "<$MID>" | sed 1q)" "$1"; }

# 1. joining by a known Message-ID
send "Ana <ana@customer.test>" support@example.com
ID_A=$(field id)
ANA_MID=$MID
like "$ID_A" '^[0-9a-f]{32}$' "Ana's message is an interaction"
send "Bob <bob@other.test>" support@example.com "In-Reply-To: <$ANA_MID>"
isnt "$(field id)" "$ID_A" "Bob (no participant) answering Ana's Message-ID gets a new interaction"
is "$(field related)" "$ID_A" "which names Ana's in related"
send "Ana <ANA+x@Customer.TEST>" support@example.com "In-Reply-To: <$ANA_MID>"
is "$(field id)" "$ID_A" "Ana's own answer (another spelling) joins her interaction"
is "$(field related)" "" "and names nothing related"
is "$(rcli SISMEMBER "mailacd:{acme}:people:$ID_A" ana@customer.test)" 1 \
    "Ana is the interaction's participant"

# 2. merging by From
send "Dora <dora@customer.test>" billing@example.com
ID_B=$(field id)
send "Dora <dora@customer.test>" billing@example.com
isnt "$(field id)" "$ID_B" "a new thread with an unauthenticated From does not merge"
is "$(field merged)" "" "and is not marked merged"
ID_B=$(field id)
send "Dora <dora@customer.test>" billing@example.com \
    "Authentication-Results: evil.test; dmarc=pass header.from=customer.test"
isnt "$(field id)" "$ID_B" "a pass from another authserv-id does not merge"
send "Dora <dora@customer.test>" billing@example.com \
    "Authentication-Results: mx.mailacd.test; dmarc=fail header.from=customer.test
Authentication-Results: mx.mailacd.test; dmarc=pass header.from=customer.test"
isnt "$(field id)" "$ID_B" "a pass below our verifier's topmost fail does not merge"
ID_B=$(field id)
send "Dora <dora@customer.test>" billing@example.com \
    "Authentication-Results: mx.mailacd.test; spf=none; dkim=pass header.d=customer.test header.s=s1"
is "$(field id)" "$ID_B" "an aligned dkim=pass from our verifier merges"
is "$(field merged)" 1 "marked merged"
send "Mallory <dora@customer.test>" billing@example.com "" 127.0.0.2
isnt "$(field id)" "$ID_B" "Mallory forging Dora's From from elsewhere does not merge"

# 3. the hourly limit (12 here)
i=0
while [ $i -lt 13 ]; do
	send "Carla <carla@customer.test>" support@example.com "" 127.0.0.2
	i=$((i + 1))
done
is "$(field id)" "" "the 13th forged message as Carla from 127.0.0.2 is not routed"
like "$(cat "$MILTER_LOG")" "carla@customer.test via 127.0.0.2 sent more than 12 messages this hour" \
    "the log names the identity counted: the From and the client"
send "Carla <carla@customer.test>" support@example.com
like "$(field id)" '^[0-9a-f]{32}$' "Carla herself, from her own client, is still routed"
i=1
while [ $i -le 13 ]; do
	send "Mallory <mallory+$i@evil.test>" support@example.com "" 127.0.0.2
	i=$((i + 1))
done
is "$(field id)" "" "sub-addresses mallory+1..13 share one allowance: the last is not routed"
like "$(cat "$MILTER_LOG")" "mallory@evil.test via 127.0.0.2 sent more than 12" \
    "counted as mallory@evil.test"
milter_log_clean
done_testing
