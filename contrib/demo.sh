#!/bin/sh
# demo.sh - mailacd in two minutes: a private Redis, Postfix, smtp-sink,
# mailacd-milter and mailacd-router on free loopback ports, a handful of
# customer mails in, the routing decisions out, three agents logging in and
# finding their work in their own Maildirs (forward mode), an agent's reply
# from their mail client going out as the channel, the customer's answer
# landing with the same agent, a close.
#
# Usage: make demo     (or: MAILACD_BUILD=$PWD/build sh contrib/demo.sh)
#        DEMO_KEEP=1 make demo   leaves everything running and says how to
#                                poke at it and how to stop it.
#
# Runs as root (a private Postfix instance needs it).  Never touches the
# system's Postfix, its configuration, port 25 or a Redis on 6379: the
# configuration is conf/mailacd.conf copied to a temp dir with the Redis
# port and the milter socket changed to free ports.

T_TOP=$(cd "$(dirname "$0")/.." && pwd)
T_TAP=0
if [ "${DEMO_KEEP:-0}" = 1 ]; then
	MAILACD_TEST_TIMEOUT=0
	T_KEEP_RUNNING=1
else
	MAILACD_TEST_TIMEOUT=${MAILACD_TEST_TIMEOUT:-300}
fi
. "$T_TOP/t/lib/harness.sh"

# die - say what went wrong and stop (the trap cleans up)
die() {
	echo "demo: $*" >&2
	[ -n "${MILTER_LOG:-}" ] && [ -s "$MILTER_LOG" ] &&
	    { echo "--- milter log:" >&2; tail -n 20 "$MILTER_LOG" >&2; }
	T_KEEP_RUNNING=0
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root: the private Postfix instance needs it"
for t in redis-server redis-cli postfix postconf smtp-sink swaks ss; do
	command -v "$t" >/dev/null 2>&1 ||
	    die "$t is missing: run 'make deps' (or sh contrib/install-deps.sh)"
done
MILTER=$MAILACD_BUILD/mailacd-milter
[ -x "$MILTER" ] || die "$MILTER not built: run 'make' first"

hr() {
	echo "------------------------------------------------------------------------"
}

echo "mailacd demo: private Redis, Postfix, smtp-sink and mailacd-milter"
hr

# --- servers -----------------------------------------------------------------
# the durable settings mailacd needs (see REDIS DURABILITY in mailacd-milter(8))
REDIS_ARGS="--appendonly yes --appendfsync always"
start_redis || die "cannot start redis-server"
start_sink || die "cannot start smtp-sink"

t_milter_sockets inet milter
MILTER_CONF=$T_TMP/mailacd.conf
# conf/mailacd.conf with our Redis port and milter socket.
awk -v port="$REDIS_PORT" -v sock="$T_MSOCK" '
	/^redis[ \t]*=/ { inredis = 1 }
	inredis && /^[ \t]*port[ \t]*=/ { sub(/=[ \t]*[0-9]+/, "= " port); inredis = 0 }
	/^[ \t]*socket[ \t]*=[ \t]*"inet:/ { sub(/"inet:[^"]*"/, "\"" sock "\"") }
	{ print }' "$T_TOP/conf/mailacd.conf" >"$MILTER_CONF"
grep -q "port = $REDIS_PORT;" "$MILTER_CONF" ||
    die "could not set the Redis port in $MILTER_CONF"
# forward mode: every queue of acme resends customers' mail to the agents
sed -i 's/^\([[:space:]]*id = "acme";.*\)$/\1\n    delivery = "forward";/' "$MILTER_CONF"
grep -q 'delivery = "forward";' "$MILTER_CONF" ||
    die "could not set forward mode in $MILTER_CONF"
CHECK=$("$MILTER" -n -c "$MILTER_CONF" 2>&1) ||
    die "configuration check failed: $CHECK"

start_milter "$T_MSOCK" "$MILTER_CONF" || die "cannot start mailacd-milter"
# the agents' mailboxes: Maildirs under $MAILDIRS (Postfix virtual delivery)
MAILDIRS=$T_TMP/maildirs
mkdir -p "$MAILDIRS"
chown postfix "$MAILDIRS"
PF_EXTRA_MAIN="virtual_mailbox_domains = corp.example.com
virtual_mailbox_base = $MAILDIRS
virtual_mailbox_maps = inline:{ alice@corp.example.com=alice/, bruno@corp.example.com=bruno/, chen@corp.example.com=chen/ }
virtual_uid_maps = static:$(id -u postfix)
virtual_gid_maps = static:$(id -g postfix)"
start_postfix "$MILTER_PF" || die "cannot start the private Postfix"
# the router resends through this Postfix, and the demo's agents answer
# through it: this private instance has no local users, so its loopback is
# trusted here (never do that on a relay with non_smtpd_milters set)
printf '\ndelivery = { relay = "smtp://127.0.0.1:%s"; retry_min = 1; retry_max = 5; };\n' \
    "$SMTP_PORT" >>"$MILTER_CONF"
sed -i 's|^  # trusted_networks = \[ "192.0.2.0/24" \];.*|  trusted_networks = [ "127.0.0.0/8" ];|' "$MILTER_CONF"
grep -q '^  trusted_networks = \[ "127.0.0.0/8" \];' "$MILTER_CONF" ||
    die "could not trust the demo's loopback in $MILTER_CONF"
CHECK=$("$MILTER" -n -c "$MILTER_CONF" 2>&1) ||
    die "configuration check failed: $CHECK"
kill -HUP "$MILTER_PID"
ROUTER_LOG=$T_TMP/router.log
spawn router "$ROUTER_LOG" "$MAILACD_BUILD/mailacd-router" -f -c "$MILTER_CONF"
ROUTER_PID=$SPAWNED_PID

echo "Redis          127.0.0.1:$REDIS_PORT"
echo "Postfix smtpd  127.0.0.1:$SMTP_PORT  (config $PF_CONF)"
echo "mailacd-milter $MILTER_SOCKET  (config $MILTER_CONF: $CHECK)"
echo "mailacd-router pid $ROUTER_PID  (log $ROUTER_LOG)"
echo "smtp-sink      127.0.0.1:$SINK_PORT  (every delivered message dumped in $SINK_DIR)"
echo "agents' Maildirs $MAILDIRS/{alice,bruno,chen}  (mutt -f $MAILDIRS/alice)"
hr

# --- mail --------------------------------------------------------------------
DATE=$(date -R)
RUN=$$.$(date +%s)
N=0

# mail - FROM TO SUBJECT BODY [EXTRA-HEADERS]: write and send one message
mail() {
	N=$((N + 1))
	_mid="demo$N.$RUN@customer.example"
	{
		echo "From: $1"
		echo "To: $2"
		echo "Subject: $3"
		echo "Date: $DATE"
		echo "Message-ID: <$_mid>"
		echo "MIME-Version: 1.0"
		echo "Content-Type: text/plain; charset=UTF-8"
		echo "Content-Transfer-Encoding: 8bit"
		[ -n "${5:-}" ] && printf '%s\n' "$5"
		echo
		printf '%s\n' "$4"
	} >"$T_TMP/demo$N.eml"
	_env_from=$(printf '%s\n' "$1" | sed 's/.*<\(.*\)>.*/\1/')
	_env_to=$(printf '%s\n' "$2" | sed 's/.*<\(.*\)>.*/\1/')
	send_mail "$T_TMP/demo$N.eml" "$_env_from" "$_env_to"
	_rc=$?
	printf '[%d] %-26s -> %-24s %s\n' "$N" "$_env_from" "$_env_to" \
	    "$(swaks_final_reply)"
	[ "$_rc" -eq 0 ] || die "message $N was not accepted (swaks exit $_rc): $(cat "$SWAKS_LOG")"
	echo "$N $_mid $_env_to" >>"$T_TMP/sent"
}

echo "Sending customer mail (swaks -> Postfix -> mailacd-milter -> smtp-sink):"
mail "Mary Major <mary@customer.example>" "support@example.com" \
    "My order #1234 has not arrived" \
    "Hello, I ordered a kettle two weeks ago and it has not arrived yet."
mail "=?UTF-8?Q?Jos=C3=A9_Garc=C3=ADa?= <jose@cliente.example>" \
    "ventas@example.com" \
    "=?UTF-8?Q?Cotizaci=C3=B3n_para_50_licencias?=" \
    "Buenos días, ¿podrían enviarme una cotización para 50 licencias?"
mail "Bob Builder <bob@customer.example>" "billing@example.com" \
    "Invoice INV-2024-001 charged twice" \
    "My card was charged twice for the same invoice."
mail "=?UTF-8?Q?Luc=C3=ADa_P=C3=A9rez?= <lucia@cliente.example>" \
    "ayuda@example.com" \
    "=?UTF-8?B?$(printf '%s' 'No puedo entrar en mi cuenta' | base64 -w0)?=" \
    "Hola, olvidé mi contraseña y no puedo entrar."
mail "Alice <alice@customer.example>" "friend@elsewhere.example" \
    "Lunch on Friday?" "Not for the contact center at all."
mail "Mallory <mallory@customer.example>" "billing@example.com" \
    "Please route me first" "I set my own routing headers." \
    "X-MailACD-Queue: vip
X-MailACD-Interaction: 00000000000000000000000000000000; queue=vip;
	priority=1000"
# The first message once more, as an MTA would retry it.
cp "$T_TMP/demo1.eml" "$T_TMP/retry.eml"
send_mail "$T_TMP/retry.eml" mary@customer.example support@example.com
printf '[1] again (an MTA retry)     -> %-24s %s\n' support@example.com "$(swaks_final_reply)"

TOTAL=$(( $(wc -l <"$T_TMP/sent") + 1 ))
wait_sink "$TOTAL" 30 || die "only $(sink_count) of $TOTAL messages reached the sink"
hr

# --- decisions ---------------------------------------------------------------
echo "Routing decisions (read back from Redis: XRANGE 'mailacd:{acme}:ingest' - +):"
echo
while read -r n mid to; do
	f=$(sink_find "$mid" | sed 1q)
	ids=$(msg_header "$f" X-MailACD-Interaction | sed 's/[[:space:]]*;.*//')
	subj=$(stream_field acme "$(stream_find acme id "$(echo "$ids" | sed 1q)" | sed 1q)" subject)
	if [ -z "$ids" ]; then
		printf '[%d] to %s\n    not a registered address: delivered untouched, nothing in Redis\n' \
		    "$n" "$to"
		continue
	fi
	printf '[%d] to %s  "%s"\n' "$n" "$to" "$subj"
	for id in $ids; do
		e=$(stream_find acme id "$id" | sed 1q)
		if [ -z "$e" ]; then
			printf '    interaction %s: NOT in the stream\n' "$id"
			continue
		fi
		printf '    interaction %s\n' "$id"
		sk=$(stream_field acme "$e" skills)
		la=$(stream_field acme "$e" language)
		printf '      queue=%s  skills=%s  language=%s  priority=%s  match=%s%s\n' \
		    "$(stream_field acme "$e" queue)" "${sk:-(none)}" "${la:-(any)}" \
		    "$(stream_field acme "$e" priority)" \
		    "$(stream_field acme "$e" match)" \
		    "$(a=$(stream_field acme "$e" auto); [ -n "$a" ] && echo "  auto=$a")"
	done
	if [ "$n" = 1 ]; then
		again=$(sink_find "$mid" | sed -n 2p)
		aid=$(msg_header "$again" X-MailACD-Interaction | sed 's/[[:space:]]*;.*//')
		printf '    retried copy stamped %s: %s\n' "$aid" \
		    "$([ "$aid" = "$ids" ] && echo "same interaction, no second stream entry" ||
		    echo "DIFFERENT")"
	fi
done <"$T_TMP/sent"
echo
echo "Stream length: $(stream_len acme) entries for $(( TOTAL - 1 )) distinct messages."
hr

# --- one delivered message -----------------------------------------------------
SPOOF=$(awk '$3 == "billing@example.com" { n = $2 } END { print n }' "$T_TMP/sent")
f=$(sink_find "$SPOOF" | sed 1q)
echo "Headers of message [6] as delivered (the sender's X-MailACD-* headers are gone):"
echo
msg_headers "$f" | grep -v '^Received:' | sed 's/^/    /'
echo
echo "Its stream entry in Redis:"
e=$(stream_find acme id "$(msg_header "$f" X-MailACD-Interaction | sed 's/[[:space:]]*;.*//')" | sed 1q)
stream_entry acme "${e:-0}" | sed 's/^/    /'
hr
# --- the queues, as mailacd-router ordered them ------------------------------
CTL="$MAILACD_BUILD/mailacdctl -c $MILTER_CONF"
# all_handled - the router has an interaction hash for every stream entry
all_handled() {
	for _id in $(rcli XRANGE 'mailacd:{acme}:ingest' - + |
	    awk 'p { print; p = 0 } $0 == "id" { p = 1 }'); do
		[ "$(rcli EXISTS "mailacd:{acme}:ix:$_id")" = 1 ] || return 1
	done
}
wait_for 15 all_handled || echo "(the router has not queued everything yet)"
echo "Nobody is logged in yet: everything waits.  Queues, next to be served first"
echo "(score = minutes waiting + priority):"
for q in support billing sales; do
	echo
	echo "  $q:"
	for m in $(rcli ZRANGE "mailacd:{acme}:queue:$q" 0 -1); do
		id=${m#*:}
		printf '    %s  priority %-3s %s\n' "$id" \
		    "$(rcli HGET "mailacd:{acme}:ix:$id" priority)" \
		    "$(rcli HGET "mailacd:{acme}:ix:$id" subject)"
	done
done
hr

# --- agents log in -------------------------------------------------------------
# subj ID - the subject of interaction ID
subj() { rcli HGET "mailacd:{acme}:ix:$1" subject; }
# show_assignments - every assignment so far, oldest first
show_assignments() {
	rcli XRANGE 'mailacd:{acme}:assignments' - + | awk '
	    /^[0-9]+-[0-9]+$/ { if (id != "") print id, agent, queue, wait, score, how; id = "" ; next }
	    { if (k == "") { k = $0; next } v[k] = $0; if (k == "id") id = $0; else if (k == "agent") agent = $0;
	      else if (k == "queue") queue = $0; else if (k == "wait") wait = $0;
	      else if (k == "score") score = $0; else if (k == "how") how = $0; k = "" }
	    END { if (id != "") print id, agent, queue, wait, score, how }' |
	while read -r id agent queue wait score how; do
		printf '  %-6s <- %s  %-8s score %-6s waited %3ss  (%s)  "%s"\n' \
		    "$agent" "$id" "$queue" "$score" "$((wait / 1000))" "$how" "$(subj "$id")"
	done
}
echo "Three agents log in (roster from $MILTER_CONF):"
echo "  alice: support + billing, English, capacity 3"
echo "  bruno: support + sales, Spanish and English, capacity 1"
echo "  chen:  billing only, English, capacity 2"
echo
for a in alice bruno chen; do
	echo "\$ mailacdctl agent $a available"
	$CTL agent "$a" available | sed 's/^/  /'
done
echo
echo "Assignments (XRANGE 'mailacd:{acme}:assignments'), in the order made:"
show_assignments
echo
echo "\$ mailacdctl agents"
$CTL agents | sed 's/^/  /'
hr

# --- the agents' mailboxes ------------------------------------------------------
# nbox AGENT - messages in the agent's Maildir
nbox() { ls "$MAILDIRS/$1/new" 2>/dev/null | grep -c .; }
boxes_filled() {
	_want=$(rcli EVAL 'local n = 0
	    for _, a in ipairs({"alice", "bruno", "chen"}) do
	      n = n + redis.call("SCARD", KEYS[1] .. a .. ":ix") end
	    return n' 1 'mailacd:{acme}:agent:')
	[ $(($(nbox alice) + $(nbox bruno) + $(nbox chen))) -ge "$_want" ]
}
wait_for 20 boxes_filled || echo "(not every resent copy has arrived yet)"
echo "Forward mode: each agent finds the customers' messages in their own Maildir,"
echo "as sent (From, Subject, Message-ID, body intact) behind a Resent-* block:"
for a in alice bruno chen; do
	echo
	echo "  $MAILDIRS/$a/new:"
	for f in $(ls -1tr "$MAILDIRS/$a/new" 2>/dev/null); do
		_id=$(msg_header "$MAILDIRS/$a/new/$f" X-MailACD-Interaction | sed 's/[[:space:]]*;.*//')
		printf '    %-40s From: %s\n' "$(subj "$_id" | cut -c1-40)" \
		    "$(rcli HGET "mailacd:{acme}:ix:$_id" from)"
	done
done
MARY=$(msg_header "$(sink_find "demo1.$RUN@customer.example" | sed 1q)" X-MailACD-Interaction | sed 's/[[:space:]]*;.*//')
MAGENT=$(rcli HGET "mailacd:{acme}:ix:$MARY" agent)
MFILE=$(grep -l "^Message-ID: <demo1.$RUN@customer.example>" "$MAILDIRS"/*/new/* 2>/dev/null | sed 1q)
if [ -n "$MFILE" ]; then
	echo
	echo "Mary's message in $MAGENT's Maildir, its first headers:"
	msg_headers "$MFILE" | sed -n '1,14p' | grep -v '^Received:' | cut -c1-100 | sed 's/^/    /'
fi
hr

# --- an agent answers from their mail client --------------------------------------
AADDR=$(rcli HGET "mailacd:{acme}:agent:$MAGENT" address)
echo "$MAGENT answers Mary from their mail client (From: $AADDR,"
echo "In-Reply-To: Mary's Message-ID), through the relay:"
{
	echo "From: $MAGENT <$AADDR>"
	echo "To: Mary Major <mary@customer.example>"
	echo "Subject: Re: My order #1234 has not arrived"
	echo "Date: $(date -R)"
	echo "Message-ID: <answer1.$RUN@corp.example.com>"
	echo "In-Reply-To: <demo1.$RUN@customer.example>"
	echo "References: <demo1.$RUN@customer.example>"
	echo
	echo "Sorry about that, Mary: it left our warehouse today."
} >"$T_TMP/answer1.eml"
send_mail "$T_TMP/answer1.eml" "$AADDR" mary@customer.example
printf '  %s\n' "$(swaks_final_reply)"
answered() { [ -n "$(sink_find "answer1.$RUN@corp.example.com")" ]; }
wait_for 15 answered || echo "(the answer has not reached the sink yet)"
A1=$(sink_find "answer1.$RUN@corp.example.com" | sed 1q)
echo "What Mary receives (the milter sent it as the channel and recorded it):"
for h in From Reply-To To Subject In-Reply-To; do
	printf '    %s: %s\n' "$h" "$(msg_header "$A1" "$h")"
done
echo "  interaction $MARY: replies=$(rcli HGET "mailacd:{acme}:ix:$MARY" replies)" \
    "last_reply_by=$(rcli HGET "mailacd:{acme}:ix:$MARY" last_reply_by)"
echo
echo "Mary answers that reply; it lands in $MAGENT's Maildir as the same interaction:"
NB=$(nbox "$MAGENT")
mail "Mary Major <mary@customer.example>" "$(msg_header "$A1" Reply-To)" \
    "Re: Re: My order #1234 has not arrived" "Great, thank you!" \
    "In-Reply-To: <answer1.$RUN@corp.example.com>
References: <demo1.$RUN@customer.example> <answer1.$RUN@corp.example.com>"
more_mail() { [ "$(nbox "$MAGENT")" -gt "$NB" ]; }
if wait_for 20 more_mail; then
	F=$(ls -1tr "$MAILDIRS/$MAGENT/new" | tail -n 1)
	printf '    %s  %s\n' "$(msg_header "$MAILDIRS/$MAGENT/new/$F" Subject)" \
	    "$(msg_header "$MAILDIRS/$MAGENT/new/$F" X-MailACD-Interaction | cut -c1-60)"
else
	echo "    (not delivered yet: see $ROUTER_LOG)"
fi
echo
echo "$MAGENT closes it and takes the next waiting interaction at once:"
echo "\$ mailacdctl interaction close $MARY"
$CTL interaction close "$MARY" | sed 's/^/  /'
echo
echo "\$ mailacdctl status"
$CTL status | sed 's/^/  /'
hr

if [ "${DEMO_KEEP:-0}" = 1 ]; then
	cat <<EOF
DEMO_KEEP=1: everything stays up.
  send:    swaks --server 127.0.0.1 --port $SMTP_PORT --to support@example.com
  look:    redis-cli -p $REDIS_PORT XRANGE 'mailacd:{acme}:ingest' - +
           ls $SINK_DIR;  tail $MILTER_LOG;  tail $T_TMP/postfix/maillog
  agents:  mutt -f $MAILDIRS/alice   (bruno, chen)
  reload:  edit $MILTER_CONF; kill -HUP $MILTER_PID
  queues:  redis-cli -p $REDIS_PORT ZRANGE 'mailacd:{acme}:queue:support' 0 -1
  operate: $CTL status | agents | watch
           $CTL agent alice away;  $CTL interaction close ID
  stop:    postfix -c $PF_CONF stop; kill $MILTER_PID $ROUTER_PID $SINK_PID $REDIS_PID; rm -rf $T_TMP
EOF
fi
