#!/bin/sh
# 5040-e2e-assign.t - the whole inbound loop on real mail: a private
# Postfix, mailacd-milter, mailacd-router and Redis, three agents with
# different queues, skills, languages and capacities.  Mail lands with the
# right agents in the seed order, capacity holds, closing frees an agent
# for the next waiting one, and a customer's reply goes back to the agent
# who handled the thread (or to the queue when that agent is away).
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix smtp-sink swaks ss
require_build mailacd-milter
require_build mailacd-router
require_build mailacdctl

S='mailacd:{acme}:schema'
AGENTS='{ id = "alice"; address = "alice@corp.test"; skills = [ "general", "email" ];
	  languages = [ "en" ]; capacity = 2; queues = [ "support", "billing" ]; },
	{ id = "bruno"; address = "bruno@corp.test"; skills = [ "sales" ];
	  languages = [ "es" ]; queues = [ "sales" ]; },
	{ id = "chen"; address = "chen@corp.test"; skills = [ "general", "email" ];
	  languages = [ "en" ]; queues = [ "billing" ]; }'
EXTRA='{ address = "ventas@example.com"; queue = "sales"; skills = [ "sales" ];
	  language = "es"; priority = 5; },
	{ address = "help@example.com"; queue = "support"; reply_to = "help@example.com"; },'
start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start smtp-sink"
# the configuration names the milter socket: write it once the socket is
# known, with the agents
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
milter_conf "$EXTRA" "$AGENTS" "" "" \
    'outbound = { trusted_networks = [ "127.0.0.0/8" ];
	token_secret = "a test secret of enough length"; };' >"$T_TMP/mailacd.conf"
# it holds a secret: not readable by others (the loader refuses that)
chmod 600 "$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f \
    -c "$MILTER_CONF"
ROUTER_PID=$SPAWNED_PID
RUN=$$.$(date +%s)

roster_written() { [ "$(rcli SCARD 'mailacd:{acme}:agents')" = 3 ]; }
ok "the router writes the roster: three agents" wait_for 20 roster_written
is "$(rcli HGET 'mailacd:{acme}:agent:alice' presence)" offline \
    "agents start offline"

# mail N TO SUBJECT [IN-REPLY-TO]: send message N to TO
mail() {
	{
		# a reply (4th argument) comes from the customer it answers
		printf 'From: Customer <cust%s@customer.test>\nTo: %s\n' "${4:-$1}" "$2"
		printf 'Subject: %s\nDate: %s\n' "$3" "$(date -R)"
		printf 'Message-ID: <e2e-%s.%s@customer.test>\n' "$1" "$RUN"
		[ -n "${4:-}" ] && printf 'In-Reply-To: <e2e-%s.%s@customer.test>\nReferences: <e2e-%s.%s@customer.test>\n' \
		    "$4" "$RUN" "$4" "$RUN"
		printf '\nHello.\n'
	} >"$T_TMP/m$1.eml"
	send_mail "$T_TMP/m$1.eml" "cust${4:-$1}@customer.test" "$2"
}
has_mail() { [ -n "$(sink_find "e2e-$1.$RUN@customer.test")" ]; }
# idof N: the interaction id stamped on delivered message N
idof() {
	wait_for 20 has_mail "$1" || return 1
	hdr_id "$(msg_header "$(sink_find "e2e-$1.$RUN@customer.test" | sed 1q)" \
	    X-MailACD-Interaction)"
}
ix() { rcli HGET "mailacd:{acme}:ix:$1" "$2"; }
presence() { rcli FCALL mailacd_presence 1 "$S" "$1" "$2" >/dev/null; }
close_ix() { rcli FCALL mailacd_close 1 "$S" "$1" operator >/dev/null; }
held() { rcli SMEMBERS "mailacd:{acme}:agent:$1:ix" | sort | tr '\n' ' '; }
assigned_to() { [ "$(ix "$1" state)" = assigned ] && [ "$(ix "$1" agent)" = "$2" ]; }
waiting() { [ "$(ix "$1" state)" = waiting ]; }

# --- while everybody is offline, mail waits -------------------------------
ok "m1 to support@ (priority 10) accepted" mail 1 support@example.com "first"
sleep 1
ok "m2 to billing@ (priority 20) accepted" mail 2 billing@example.com "invoice"
ok "m3 to support@ accepted" mail 3 support@example.com "third"
ok "m4 to ventas@ (Spanish, sales) accepted" mail 4 ventas@example.com "hola"
id1=$(idof 1); id2=$(idof 2); id3=$(idof 3); id4=$(idof 4)
ok "four interaction ids stamped" test -n "$id1" -a -n "$id2" -a -n "$id3" -a -n "$id4"
ok "m1 waits" wait_for 20 waiting "$id1"
ok "m4 waits" wait_for 20 waiting "$id4"
is "$(rcli ZCARD 'mailacd:{acme}:queue:support') $(rcli ZCARD 'mailacd:{acme}:queue:billing') $(rcli ZCARD 'mailacd:{acme}:queue:sales')" \
    "2 1 1" "support holds 2, billing 1, sales 1"

# --- alice logs in: capacity 2, the two highest scores --------------------
presence alice available
ok "m2 (priority 20, younger) goes to alice" assigned_to "$id2" alice
ok "m1 (the older support mail) goes to alice" assigned_to "$id1" alice
order=$(rcli XRANGE 'mailacd:{acme}:assignments' - + | awk 'p { print; p = 0 } $0 == "id" { p = 1 }' | tr '\n' ' ')
is "$order" "$id2 $id1 " "seed rule on real mail: priority 20 before the longer wait at 10"
ok "capacity 2 holds: m3 still waits" waiting "$id3"
is "$(held alice)" "$(printf '%s\n' "$id1" "$id2" | sort | tr '\n' ' ')" \
    "alice holds exactly m1 and m2"
ok "nothing Spanish for alice: m4 waits" waiting "$id4"

# --- skills, language and queue membership --------------------------------
presence chen available
ok "chen (billing only) does not get support work" waiting "$id3"
presence bruno available
ok "bruno (Spanish, sales) gets m4" assigned_to "$id4" bruno

# --- closing frees the agent for the next waiting one ---------------------
close_ix "$id2"
is "$(ix "$id2" state)" closed "m2 closed"
ok "alice takes m3 at once" assigned_to "$id3" alice

# --- a reply goes to the same agent ----------------------------------------
close_ix "$id1"
ok "the customer's reply to m1 is accepted" mail 5 support@example.com "Re: first" 1
id5=$(idof 5)
is "$id5" "$id1" "the reply carries m1's interaction id"
like "$(cat "$MILTER_LOG")" "interaction $id1 \\(reply\\)" "the milter logs it as a reply"
reply_back() { assigned_to "$id1" alice && [ "$(ix "$id1" followups)" = 1 ]; }
ok "the reply goes back to alice, who handled m1" wait_for 20 reply_back
like "$(rcli XREVRANGE 'mailacd:{acme}:assignments' + - COUNT 1 | tr '\n' ' ')" \
    "id $id1 agent alice .* how reply" "published as a reply assignment"
is "$(rcli HGET "mailacd:{acme}:ix:$id1" assignments)" 2 "assigned twice over its life"

# --- ... or back to the queue with its original score ---------------------
close_ix "$id4"
presence bruno away
rank4=$(ix "$id4" rank)
ok "a reply to m4 is accepted" mail 6 ventas@example.com "Re: hola" 4
ok "bruno is away: the reply waits in sales" wait_for 20 waiting "$id4"
is "$(rcli ZSCORE 'mailacd:{acme}:queue:sales' "$(rcli ZRANGE 'mailacd:{acme}:queue:sales' 0 0)")" \
    "$rank4" "with its original rank"
presence bruno available
ok "bruno back: he gets it" assigned_to "$id4" bruno

# --- the agent answers through the relay; the customer answers that -------
{
	printf 'From: Acme <support@example.com>\nTo: cust3@customer.test\n'
	printf 'Subject: Re: third\nMessage-ID: <agent-3.%s@example.com>\n' "$RUN"
	printf 'In-Reply-To: <e2e-3.%s@customer.test>\n\nHere you go.\n' "$RUN"
} >"$T_TMP/a3.eml"
ok "alice's answer to m3 goes out through the relay" \
    send_mail "$T_TMP/a3.eml" support@example.com cust3@customer.test
replied() { [ "$(ix "$id3" replies)" = 1 ]; }
ok "the reply is recorded on m3's interaction" wait_for 20 replied
is "$(ix "$id3" last_reply_message_id)/$(ix "$id3" last_reply_by)" \
    "<agent-3.$RUN@example.com>/support@example.com" "with its Message-ID and sender"
agent_out() { [ -n "$(sink_find "agent-3.$RUN@example.com")" ]; }
wait_for 20 agent_out
f=$(sink_find "agent-3.$RUN@example.com" | sed 1q)
is "$(msg_header "$f" References)" "<e2e-3.$RUN@customer.test>" \
    "References added, pointing at the customer's message"
is "$(msg_header "$f" X-MailACD-Interaction)" "" "no X-MailACD header leaves"
like "$(cat "$MILTER_LOG")" "reply to interaction $id3 from support@example.com" \
    "the milter logs the reply"
like "$("$MAILACD_BUILD/mailacdctl" -c "$MILTER_CONF" interaction show "$id3" | tr '\n' ' ')" \
    "replies +1 .*last_reply_by +support@example.com" \
    "mailacdctl interaction show lists the reply for operators"
{
	printf 'From: Customer <cust3@customer.test>\nTo: support@example.com\n'
	printf 'Subject: Re: Re: third\nMessage-ID: <e2e-7.%s@customer.test>\n' "$RUN"
	printf 'In-Reply-To: <agent-3.%s@example.com>\n\nThanks!\n' "$RUN"
} >"$T_TMP/m7.eml"
ok "the customer answers the agent's message" \
    send_mail "$T_TMP/m7.eml" cust3@customer.test support@example.com
is "$(idof 7)" "$id3" \
    "recognised by the agent's Message-ID alone: the same interaction"

# --- a reply token survives a provider that rewrites Message-IDs ----------
ok "m8 to help@ accepted" mail 8 help@example.com "token please"
id8=$(idof 8)
has_ix8() { [ -n "$(ix "$id8" state)" ]; }
wait_for 20 has_ix8
{
	printf 'From: help@example.com\nTo: cust8@customer.test\n'
	printf 'Subject: Re: token please\nMessage-ID: <agent-8.%s@example.com>\n' "$RUN"
	printf 'In-Reply-To: <e2e-8.%s@customer.test>\n\nDone.\n' "$RUN"
} >"$T_TMP/a8.eml"
ok "the agent's answer from help@ goes out" send_mail "$T_TMP/a8.eml" help@example.com cust8@customer.test
agent8() { [ -n "$(sink_find "agent-8.$RUN@example.com")" ]; }
wait_for 20 agent8
rt=$(msg_header "$(sink_find "agent-8.$RUN@example.com" | sed 1q)" Reply-To)
like "$rt" "^help\+${id8}[0-9a-f]{22}@example\.com$" \
    "its Reply-To carries a reply token naming m8's interaction"
ok "the customer answers the token address, all Message-IDs rewritten" \
    mail 9 "$rt" "Re: token please"
is "$(idof 9)" "$id8" "the token alone makes it the same interaction"
like "$(cat "$MILTER_LOG")" "interaction $id8 \(reply, token\)" "logged as a reply by token"
# the same token with its last digit changed
case $rt in
*0@*) forged=$(printf '%s' "$rt" | sed 's/0@/1@/') ;;
*) forged=$(printf '%s' "$rt" | sed 's/[0-9a-f]@/0@/') ;;
esac
ok "an answer to a forged token is accepted" mail 10 "$forged" "forged"
isnt "$(idof 10)" "$id8" "a forged token is not recognised: a new interaction"
# the token is bound to help@, the address it was issued for: whoever saw it
# cannot steer mail into m8's interaction through another channel
other=$(printf '%s' "$rt" | sed 's/^help+/billing+/')
ok "the same token presented at billing+TOKEN@ is accepted" \
    mail 11 "$other" "Re: token please"
id11=$(idof 11)
like "$id11" '^[0-9a-f]{32}$' "and stamped with an interaction id"
isnt "$id11" "$id8" "help@'s token at billing@ does not join m8: a new interaction"
is "$(hdr_param "$(msg_header "$(sink_find "e2e-11.$RUN@customer.test" | sed 1q)" \
    X-MailACD-Interaction)" address)" billing@example.com "recorded for billing@"
# other spellings of help@ that matching takes for it still carry it
upper=$(printf '%s' "$rt" | sed 's/^help+/HELP+/; s/@example\.com$/@Example.COM/')
ok "the token at HELP+TOKEN@Example.COM is accepted" mail 12 "$upper" "Re: token please"
is "$(idof 12)" "$id8" "and joins m8's interaction: the address's case does not matter"

# --- agents send from their workplace address ----------------------------
# agentmail N ENVELOPE-FROM FROM-HEADER [IN-REPLY-TO]
agentmail() {
	{
		printf 'From: %s\nTo: cust1@customer.test\nSubject: from an agent\n' "$3"
		printf 'Message-ID: <agent-m%s.%s@corp.test>\n' "$1" "$RUN"
		[ -n "${4:-}" ] && printf 'In-Reply-To: %s\n' "$4"
		printf 'X-MailACD-Queue: internal\n\nHello.\n'
	} >"$T_TMP/g$1.eml"
	send_mail "$T_TMP/g$1.eml" "$2" cust1@customer.test
}
ok "alice sends as support@ (a channel of her queue)" \
    agentmail 1 alice@corp.test "Acme <support@example.com>" "<e2e-1.$RUN@customer.test>"
alice_replied() { [ "$(ix "$id1" last_reply_by)" = alice ]; }
ok "the reply is recorded on m1's interaction as alice's" wait_for 20 alice_replied
like "$(cat "$MILTER_LOG")" "outbound from support@example.com \(trusted: network\)" \
    "handled as mail from the channel address"
agentmail 2 alice@corp.test "ventas@example.com"
like "$(swaks_final_reply)" "^5.. 5\.7\.1 mailacd: agent alice may send as alice@corp.test or as an address of the queues alice serves, not ventas@example\.com" \
    "alice may not send as ventas@ (sales is not her queue): 5.7.1"
ok "alice writes as herself" agentmail 3 alice@corp.test "Alice <alice@corp.test>"
own() { [ -n "$(sink_find "agent-m3.$RUN@corp.test")" ]; }
wait_for 20 own
is "$(msg_header "$(sink_find "agent-m3.$RUN@corp.test" | sed 1q)" X-MailACD-Queue)" "" \
    "delivered without our X-MailACD header"
like "$(cat "$MILTER_LOG")" "agent alice writes as alice@corp.test: no channel rules" \
    "logged as the agent's own mail"

# --- nobody over capacity, nothing lost ------------------------------------
is "$(rcli SCARD 'mailacd:{acme}:agent:alice:ix')" 2 "alice at capacity 2"
is "$(rcli SCARD 'mailacd:{acme}:agent:bruno:ix')" 1 "bruno at capacity 1"
is "$(rcli XPENDING 'mailacd:{acme}:ingest' routers | sed -n 1p)" 0 \
    "the router acknowledged every hand-off"

kill_pid "$ROUTER_PID"
t_forget "$ROUTER_PID"
logs_clean "no sanitizer report in the router log" "$T_TMP/router.log"
milter_log_clean
done_testing
