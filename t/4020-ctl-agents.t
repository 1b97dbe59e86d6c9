#!/bin/sh
# 4020-ctl-agents.t - mailacdctl and agents: the agents table, presence
# changes and the assignments they make, closing (the freed agent takes the
# next interaction), transferring (same id, another queue), the extended
# status (assigned, agents available/total, service level), interaction
# show's assignment fields, watch, -o, and every error: unknown agent,
# unknown interaction, bad presence, unknown queue, a closed interaction
# transferred, an ambiguous agent, Redis down.  The roster is written and
# interactions are queued by the real mailacd-router.
. "$(dirname "$0")/lib/harness.sh"
require_tools redis-server redis-cli python3
require_build mailacdctl
require_build mailacd-router
CTL=$MAILACD_BUILD/mailacdctl

start_redis || bail_out "redis-server did not start"
MILTER_SOCKET=inet:1@127.0.0.1	# never listened on here
CONF=$T_TMP/mailacd.conf
AGENTS='{ id = "alice"; address = "alice@corp.example";
	  skills = [ "general", "email" ]; languages = [ "en" ];
	  capacity = 1; queues = [ "support", "billing" ]; },
	{ id = "bruno"; address = "bruno@corp.example";
	  skills = [ "General", "email", "sales" ]; languages = [ "en", "es" ];
	  capacity = 2; queues = [ "support" ]; },
	{ id = "chen"; address = "chen@corp.example"; capacity = 1;
	  queues = [ "billing", "sales" ]; }'
# support has a 60 s target, billing and sales none; a second organisation
# "beta" has an agent alice too
milter_conf "" "$AGENTS" 'service_level = 60;' |
    sed -e 's/{ name = "billing"; service_level = 60; }/{ name = "billing"; strategy = "least-busy"; }/' \
	-e 's/{ name = "sales"; service_level = 60; }/{ name = "sales"; }/' \
	-e '$d' >"$CONF"
cat >>"$CONF" <<'EOF'
	,
	{
		id = "beta";
		queues = ( { name = "inbox"; } );
		agents = ( { id = "alice"; address = "alice@beta.example";
			     queues = [ "inbox" ]; },
			   { id = "dora"; address = "dora@beta.example";
			     queues = [ "inbox" ]; } );
	}
);
router = { consumer = "r1"; block_ms = 200; };
EOF

# run ARGS...: run mailacdctl, OUT, ERR and RC hold what happened; every
# stderr is kept in all.err for the sanitizer check at the end
run() {
	"$CTL" -c "$CONF" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
	cat "$T_TMP/err" >>"$T_TMP/all.err"
}

# line N: line N of OUT
line() { printf '%s\n' "$OUT" | sed -n "$1p"; }
# nlines: how many lines OUT has
nlines() { printf '%s\n' "$OUT" | grep -c .; }
# hget ID FIELD: a field of acme's interaction ID
hget() { rcli HGET "mailacd:{acme}:ix:$1" "$2"; }

run -n
is "$RC/$OUT" "0/configuration OK" "the configuration with two organisations is good"

# --- before the router wrote the roster ---------------------------------------
run agents
is "$RC" 0 "agents before the roster is in Redis exits 0"
like "$OUT" "^alice +- +- +support,billing +general,email +en +- +not in Redis yet$" \
    "a configured agent not in Redis yet is shown from the file"
run status
like "$OUT" "^  agents +none in the roster; 3 configured but not in Redis yet$" \
    "status: no roster yet, three configured"
is "$(rcli FUNCTION LIST LIBRARYNAME mailacd | grep -c mailacd)" 0 \
    "Redis has no function library yet"
run -o acme agent alice available
is "$RC" 1 "presence of an agent Redis does not know yet exits 1"
is "$ERR" "mailacdctl: no agent \"alice\" (organisation acme); the configuration has the agent: has mailacd-router written the roster yet?" \
    "one line naming the agent, the organisation and the likely cause"
isnt "$(rcli FUNCTION LIST LIBRARYNAME mailacd | grep -c mailacd)" 0 \
    "the call loaded the function library Redis lacked"

# --- the router writes the roster -------------------------------------------------
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f -c "$CONF"
RPID=$SPAWNED_PID
roster() { [ "$(rcli SCARD 'mailacd:{acme}:agents')" = 3 ] &&
    [ "$(rcli SCARD 'mailacd:{beta}:agents')" = 2 ]; }
ok "the router wrote both rosters" wait_for 10 roster

run agents
is "$RC" 0 "agents exits 0"
is "$(line 1)" "organisation acme" "the first organisation's heading"
is "$(line 2 | tr -s ' ')" "AGENT PRESENCE LOAD QUEUES SKILLS LANGUAGES IDLE NOTE" \
    "the header row"
like "$OUT" "^alice +offline +0/1 +support,billing +general,email +en +[0-9]+s$" \
    "alice: offline, 0 of 1, her queues, skills and languages, idle time"
like "$OUT" "^bruno +offline +0/2 +support +General,email,sales +en,es +[0-9]+s$" \
    "bruno: capacity 2, skills as configured"
like "$OUT" "^chen +offline +0/1 +billing,sales +- +- +[0-9]+s$" \
    "chen: no skills, no languages"
like "$OUT" "^organisation beta$" "then the second organisation"
like "$OUT" "^dora +offline +0/1 +inbox " "with its agents"
run --json agents
is "$RC" 0 "agents --json exits 0"
json_ok "agents --json is JSON"
is "$(jq '[o["org"] for o in d["organizations"]]')" "['acme', 'beta']" \
    "JSON: one object per organisation"
is "$(jq '[a["id"] for a in d["organizations"][0]["agents"]]')" \
    "['alice', 'bruno', 'chen']" "JSON: the agents in configuration order"
is "$(jq 'd["organizations"][0]["agents"][0]["queues"]')" "['support', 'billing']" \
    "JSON: queues as a list"
is "$(jq '[d["organizations"][0]["agents"][1][k] for k in ("presence", "load", "capacity", "configured", "roster", "address")]')" \
    "['offline', 0, 2, True, True, 'bruno@corp.example']" \
    "JSON: presence, load, capacity, configured, roster, address"
run -o beta agents
is "$(printf '%s\n' "$OUT" | awk 'NR > 2 { print $1 }' | tr '\n' ' ')" "alice dora " \
    "-o beta: that organisation's agents only"
run -o nosuch agents
is "$RC/$ERR" "64/mailacdctl: -o nosuch: no such organisation in $CONF" \
    "-o with an unknown organisation exits 64"

# --- interactions queued by the router ----------------------------------------------
NOW=$(now_ms)
S1=11111111111111111111111111111111	# support, 5 min: served first
S2=22222222222222222222222222222222	# support, 30 s
S3=33333333333333333333333333333333	# support, 20 s
S4=44444444444444444444444444444444	# support, 5 s
B1=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb1	# billing, 2 min, no requirements
# ingest ID QUEUE AGE_MS SKILLS LANGUAGE: one hand-off as the milter writes it
ingest() {
	rcli XADD 'mailacd:{acme}:ingest' '*' v 1 id "$1" org acme queue "$2" \
	    skills "$4" language "$5" priority 0 arrived $((NOW - $3)) \
	    sender '<c@customer.test>' address "$2@example.com" \
	    subject "about $1" >/dev/null
}
ingest "$S1" support 300000 general,email en
ingest "$S2" support 30000 general,email en
ingest "$S3" support 20000 general,email en
ingest "$S4" support 5000 general,email en
ingest "$B1" billing 120000 '' ''
queued() { [ "$(rcli ZCARD 'mailacd:{acme}:queue:support')" = 4 ] &&
    [ "$(rcli ZCARD 'mailacd:{acme}:queue:billing')" = 1 ]; }
ok "the router queued four support and one billing interaction" wait_for 10 queued

# --- presence ------------------------------------------------------------------------
run agent alice available
is "$RC" 64 "an agent id in two organisations without -o exits 64"
is "$ERR" "mailacdctl: agent alice is in several organisations (acme, beta): choose one with -o" \
    "and says which and what to do"
is "$OUT" "" "and prints nothing on stdout"
run -o acme agent alice available
is "$RC" 0 "-o acme agent alice available exits 0"
is "$(line 1)" "agent alice of acme: offline -> available (load 1/1)" \
    "what changed, and the load after the call"
like "$(line 2)" "^assigned $S1 to alice from support \(waited 5m[0-9]{2}s, score 5\.[0-9]{2}, how queue\)$" \
    "she took the interaction waiting longest"
is "$(nlines)" 2 "one assignment: her capacity is 1"
is "$(hget "$S1" state)/$(hget "$S1" agent)" assigned/alice \
    "Redis: the interaction is assigned to her"
run --json agent bruno available
is "$RC" 0 "agent bruno available (only in acme: no -o needed) exits 0"
json_ok "agent --json is JSON"
is "$(jq '[d[k] for k in ("org", "agent", "presence", "was", "changed", "load", "capacity")]')" \
    "['acme', 'bruno', 'available', 'offline', True, 2, 2]" \
    "JSON: organisation, agent, presence, was, changed, load, capacity"
is "$(jq '[(a["id"], a["agent"], a["queue"], a["how"]) for a in d["assigned"]]')" \
    "[('$S2', 'bruno', 'support', 'queue'), ('$S3', 'bruno', 'support', 'queue')]" \
    "JSON: he took the next two, in rank order"
is "$(jq 'all(isinstance(a["wait_ms"], int) and isinstance(a["score"], float) for a in d["assigned"])')" \
    true "JSON: wait_ms and score are numbers"
run -o acme agent bruno away
is "$RC/$OUT" "0/agent bruno of acme: available -> away (load 2/2)" \
    "away: he keeps what he holds, nothing assigned"
run -o acme agent bruno away
is "$OUT" "agent bruno of acme: already away (load 2/2)" "the same presence again: already"
run agent zed available
is "$RC" 1 "an agent in no configured roster exits 1"
is "$ERR" "mailacdctl: agent zed: not in the roster of any configured organisation" \
    "with one line"
run -o acme agent zed available
is "$RC/$ERR" "1/mailacdctl: no agent \"zed\" (organisation acme)" \
    "-o acme: Redis says there is no such agent, exit 1"
run -o acme agent alice busy
is "$RC" 64 "a presence that does not exist exits 64"
is "$ERR" "mailacdctl: agent alice: presence must be available, away or offline, not busy" \
    "and names the three"
run agent 'al ice' available
is "$RC" 64 "a malformed agent id exits 64"
run agent alice
is "$RC" 64 "agent alice (in two organisations) without -o exits 64"
like "$ERR" "agent alice is in several organisations" "and says so"
run agent alice away extra
is "$RC" 64 "agent with too many words exits 64"
like "$ERR" "usage: agent ID \[available\|away\|offline \[--requeue\]\]" "and shows the usage"

# --- status -----------------------------------------------------------------------------
run status
is "$RC" 0 "status exits 0"
like "$OUT" "^  waiting +2$" "status: 2 waiting in acme"
like "$OUT" "^  assigned +3$" "status: 3 assigned"
like "$OUT" "^  agents +3 in the roster: 1 available, 1 away, 1 offline$" \
    "status: the roster by presence"
is "$(printf '%s\n' "$OUT" | grep '^QUEUE' | sed 1q | tr -s ' ')" \
    "QUEUE WAITING OLDEST_WAIT NEXT_WAIT ASSIGNED AGENTS SERVICE_LEVEL NEXT_ID" \
    "the queue table's header"
like "$OUT" "^support +1 +[0-9]+s +[0-9]+s +3 +1/2 +66% \(2/3 in 1m00s\) +$S4$" \
    "support: 1 waiting, 3 assigned, 1 of 2 agents available, 2 of 3 within 60 s"
like "$OUT" "^billing +1 +2m[0-9]{2}s +2m[0-9]{2}s +0 +1/2 +- +$B1$" \
    "billing: no target, service level -"
like "$OUT" "^sales +0 +- +- +0 +0/1 +- +-$" "sales: chen serves it, offline"
like "$OUT" "^inbox +0 +- +- +0 +0/2 +- +-$" "beta's queue"
like "$OUT" "^  support: 1 waits: the 2 agents who could take it are away or at capacity$" \
    "status says why support's interaction waits"
like "$OUT" "^  billing: 1 waits: the 2 agents who could take it are away or at capacity$" \
    "and billing's"
run queues
like "$OUT" "^acme +support +1 .*the 2 agents who could take it are away or at capacity$" \
    "queues: the note says why it waits"
run --json queues
is "$(jq '[(q["queue"], [(w["reason"], w["eligible"], w["waiting"]) for w in q["why"]]) for q in d["queues"] if q["org"] == "acme"]')" \
    "[('support', [('capacity', 2, 1)]), ('billing', [('capacity', 2, 1)]), ('sales', [])]" \
    "queues --json: the reason per requirement set"
run --json status
json_ok "status --json is JSON"
is "$(jq 'd["organizations"][0]["agents"]')" \
    "{'roster': 3, 'available': 1, 'away': 1, 'offline': 1, 'configured': 3, 'not_in_redis': 0, 'not_configured': 0}" \
    "JSON: the roster by presence"
is "$(jq 'd["organizations"][0]["assigned"]')" 3 "JSON: assigned in the organisation"
Q='d["organizations"][0]["queues"][0]'
is "$(jq "[$Q['queue'], $Q['assigned'], $Q['agents']]")" \
    "['support', 3, {'total': 2, 'available': 1, 'ready': 0}]" \
    "JSON: support's assigned and agents (alice is full, so none ready)"
is "$(jq "$Q['service_level']")" "{'target_s': 60, 'achieved': 0.666667}" \
    "JSON: support's target and achieved service level"
is "$(jq "[$Q['today'][k] for k in ('assigned', 'answered', 'within', 'closed')]")" \
    "[3, 3, 2, 0]" "JSON: today's counters"
is "$(jq "$Q['oldest']['id']")" "$S4" "JSON: the oldest waiting"
is "$(jq 'd["organizations"][0]["queues"][1]["service_level"]')" \
    "{'target_s': None, 'achieved': None}" "JSON: billing has no target"
run -o beta --json status
is "$(jq '[o["org"] for o in d["organizations"]]')" "['beta']" "-o beta status: beta only"

# --- close and transfer -------------------------------------------------------------------
run interaction close "$S1"
is "$RC" 0 "interaction close exits 0"
is "$(line 1)" "interaction $S1 closed (was assigned to alice)" "what was closed"
like "$(line 2)" "^assigned $B1 to alice from billing \(waited 2m[0-9]{2}s, score 2\.[0-9]{2}, how queue\)$" \
    "the freed agent took the next waiting interaction she serves"
is "$(hget "$S1" state)/$(hget "$S1" closed_by)" closed/operator \
    "Redis: closed by the operator"
is "$(rcli SISMEMBER 'mailacd:{acme}:agent:alice:ix' "$S1")" 0 \
    "Redis: alice no longer holds it"
run interaction close "$S1"
is "$RC/$OUT" "0/interaction $S1 was already closed" "closing twice changes nothing"

IXKEYS=$(rcli --scan --pattern 'mailacd:{acme}:ix:*' | wc -l)
run interaction transfer "$S2" billing
is "$RC" 0 "interaction transfer exits 0"
is "$(line 1)" "interaction $S2 transferred from support to billing (was assigned)" \
    "what was transferred, from where to where"
is "$(line 2)" "interaction $S2 waits in billing" "nobody can take it: it waits"
is "$(hget "$S2" queue)/$(hget "$S2" state)/$(hget "$S2" transfers)" billing/waiting/1 \
    "Redis: in billing, waiting, one transfer"
like "$(rcli ZRANGE 'mailacd:{acme}:queue:billing' 0 -1)" ":$S2$" \
    "the billing queue holds it under the same id"
is "$(rcli --scan --pattern 'mailacd:{acme}:ix:*' | wc -l)" "$IXKEYS" \
    "no new interaction was made"
is "$(rcli SCARD 'mailacd:{acme}:agent:bruno:ix')" 1 "bruno holds one less"

run -o acme agent bruno available
is "$(line 1)" "agent bruno of acme: away -> available (load 2/2)" \
    "bruno back: load 2 of 2 after the call"
like "$(line 2)" "^assigned $S4 to bruno from support " "he took the one waiting in support"

run --json interaction close "$B1"
is "$RC" 0 "interaction close --json exits 0"
json_ok "interaction close --json is JSON"
is "$(jq '[d[k] for k in ("org", "id", "state", "was", "already", "agent")]')" \
    "['acme', '$B1', 'closed', 'assigned', False, 'alice']" \
    "JSON: organisation, id, state, was, already, agent"
is "$(jq '[(a["id"], a["agent"], a["queue"]) for a in d["assigned"]]')" \
    "[('$S2', 'alice', 'billing')]" \
    "JSON: alice, freed, took the transferred one from billing"

run interaction close "$S3"
is "$RC/$OUT" "0/interaction $S3 closed (was assigned to bruno)" \
    "closing with nothing left waiting assigns nothing"
run --json interaction transfer "$S2" support
is "$RC" 0 "interaction transfer --json exits 0"
json_ok "interaction transfer --json is JSON"
is "$(jq '[d[k] for k in ("id", "from", "queue", "was", "state")]')" \
    "['$S2', 'billing', 'support', 'assigned', 'assigned']" \
    "JSON: id, from, to, was, and its state now"
is "$(jq '[(a["id"], a["agent"], a["queue"], a["how"]) for a in d["assigned"]]')" \
    "[('$S2', 'bruno', 'support', 'transfer')]" \
    "JSON: bruno, ready in support, took it; never the agent it came from"
is "$(hget "$S2" agent)/$(hget "$S2" transfers)/$(hget "$S2" assignments)" bruno/2/3 \
    "Redis: bruno has it, after two transfers and three assignments"
p0=$(hget "$S2" priority)
run interaction priority "$S2" 40
is "$RC/$OUT" "0/interaction $S2: priority $p0 -> 40 (assigned)" \
    "interaction priority: old and new priority, and the state"
is "$(hget "$S2" priority)/$(hget "$S2" rank)" \
    "40/$(( $(hget "$S2" enqueued) - 40 * 60000 ))" \
    "Redis: the new priority and its rank, enqueued - 60000 x priority"
run interaction priority "$S2" 1001
is "$RC" 64 "priority 1001: usage error"
like "$ERR" "1001 is not a priority" "with a clear line"
run --json interaction priority "$S2" 7
json_ok "interaction priority --json is JSON"
is "$(jq '(d["priority"], d["was"], d["state"])')" "(7, 40, 'assigned')" \
    "JSON: priority, was, state"

run interaction transfer "$S1" billing
is "$RC" 2 "transferring a closed interaction exits 2"
is "$ERR" "mailacdctl: interaction $S1 is closed" "with one line"
is "$OUT" "" "and nothing on stdout"
run interaction transfer "$S2" nosuch
is "$RC/$ERR" "1/mailacdctl: queue nosuch: not a queue of organisation acme" \
    "transfer to an unknown queue exits 1"
run interaction transfer "$S2" 'no such'
is "$RC" 64 "a malformed queue name exits 64"
run interaction close 0123456789abcdef0123456789abcdef
is "$RC" 1 "closing an unknown interaction exits 1"
is "$ERR" "mailacdctl: interaction 0123456789abcdef0123456789abcdef: not found in any configured organisation" \
    "as interaction show says it"
run interaction transfer 0123456789abcdef0123456789abcdef billing
is "$RC" 1 "transferring an unknown interaction exits 1"
run -o beta interaction close "$S4"
is "$RC/$ERR" "1/mailacdctl: interaction $S4: not found in organisation beta" \
    "-o: only that organisation is searched"
run interaction close 01x3
is "$RC" 64 "a malformed id exits 64"
like "$ERR" "^mailacdctl: interaction close: 01x3 is not an interaction id" "and says why"
run interaction transfer "$S2"
is "$RC" 64 "transfer without a queue exits 64"

run status
like "$OUT" "^support +0 +- +- +2 +2/2 +75% \(3/4 in 1m00s\) +-$" \
    "status: support has 2 assigned, 2 of 2 agents available, and 3 of 4 answered within 60 s"
like "$OUT" "^billing +0 +- +- +0 +1/2 +- +-$" "status: billing is empty"

# --- interaction show: the assignment fields ---------------------------------------------
run interaction show "$S2"
is "$RC" 0 "interaction show exits 0"
like "$OUT" "^state +assigned$" "state"
like "$OUT" "^agent +bruno$" "the agent who holds it"
like "$OUT" "^assigned +20[0-9-]{8} [0-9:]{8} [+-][0-9]{4} \([0-9hms]+ ago\)$" \
    "when it was assigned, as local time"
like "$OUT" "^wait +[0-9hms]+ \(before the last assignment\)$" "the wait before it"
like "$OUT" "^score +[0-9]+\.[0-9]{2}$" "the score"
like "$OUT" "^transfers +2$" "the transfers"
like "$OUT" "^transferred_by +operator$" "who transferred it"
like "$OUT" "^enqueued +.* \([0-9hms]+ ago\)$" "enqueued: no longer 'waiting'"
is "$(printf '%s\n' "$OUT" | grep -c '^org ')" 1 "the organisation is shown once"
run interaction show "$S1"
like "$OUT" "^closed +20[0-9-]{8} [0-9:]{8} [+-][0-9]{4} \([0-9hms]+ ago\)$" "a closed one: when"
like "$OUT" "^closed_by +operator$" "and by whom"
run --json interaction show "$S2"
json_ok "interaction show --json is JSON"
is "$(jq '[d["state"], isinstance(d["assigned_ms"], int), isinstance(d["transferred_ms"], int), d["closed_ms"], d["fields"]["agent"]]')" \
    "['assigned', True, True, None, 'bruno']" \
    "JSON: state, assigned_ms, transferred_ms, closed_ms, fields"
is "$(jq 'd["wait_ms"] == int(d["fields"]["wait"])')" true \
    "JSON: wait_ms of an assigned interaction is its wait before assignment"

# --- the library missing -----------------------------------------------------------------
rcli FUNCTION FLUSH >/dev/null
run -o acme agent chen available
is "$RC/$OUT" "0/agent chen of acme: offline -> available (load 0/1)" \
    "presence works when Redis lost the library"
isnt "$(rcli FUNCTION LIST LIBRARYNAME mailacd | grep -c mailacd)" 0 \
    "mailacdctl loaded it again"

# --- agents after the changes -------------------------------------------------------------
run -o acme agents
like "$OUT" "^alice +available +0/1 " "agents: alice available, free"
like "$OUT" "^bruno +available +2/2 " "agents: bruno available, full"
like "$OUT" "^chen +available +0/1 " "agents: chen available"
run -o acme --json agents
is "$(jq 'd["organizations"][0]["agents"][1]["interactions"]')" "['$S2', '$S4']" \
    "agents --json: what bruno holds"

# --- watch --------------------------------------------------------------------------------
run watch -i 0.2 --count 2
is "$RC" 0 "watch --count 2 exits 0"
is "$(printf '%s\n' "$OUT" | grep -c '^Every 0.2s: mailacdctl status  ')" 2 \
    "two refreshes, each under its header"
is "$(printf '%s\n' "$OUT" | grep -c '^organisation acme$')" 2 "the status twice"
is "$(printf '%s\n' "$OUT" | grep -c '^support ')" 2 "the queue table twice"
is "$(printf '%s' "$OUT" | tr -d '\n' | grep -c "$(printf '\033')")" 0 \
    "no escape sequences when stdout is not a terminal"
run -o beta watch -i 0.2 --count 1
is "$(printf '%s\n' "$OUT" | grep -c '^organisation ')" 1 "-o and --count 1: one organisation once"
run --json watch -i 0.2 --count 2
is "$(printf '%s\n' "$OUT" | wc -l)" 2 "watch --json: one document per line"
is "$(printf '%s\n' "$OUT" | /usr/bin/python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if json.loads(l)["organizations"][0]["org"] == "acme"))')" 2 \
    "each a valid status document"
run status -i 1
is "$RC/$ERR" "64/mailacdctl: -i and --count are options of watch only" \
    "-i with another command exits 64"
run watch --count 0
is "$RC" 64 "--count 0 exits 64"
run watch -i 0
is "$RC" 64 "-i 0 exits 64"
if command -v script >/dev/null 2>&1; then
	script -qec "$CTL -c $CONF watch -i 0.2 --count 1" /dev/null \
	    >"$T_TMP/tty.out" 2>&1 </dev/null
	like "$(od -An -c "$T_TMP/tty.out" | tr -d ' \n')" '^033\[H033\[2JEvery' \
	    "on a terminal each refresh clears the screen first"
else
	skip "script(1) not installed: the terminal case"
fi
# watch_until FILE ERE: FILE gets a line matching ERE within 5 s
watch_until() { wait_for 5 grep -Eq "$2" "$1"; }
"$CTL" -c "$CONF" watch -i 0.2 >"$T_TMP/w1.out" 2>"$T_TMP/w1.err" &
WPID=$!
T_PIDS="$T_PIDS $WPID"
ok "watch without --count keeps refreshing" watch_until "$T_TMP/w1.out" '^organisation beta$'
kill -TERM "$WPID"
wait "$WPID"
is "$?" 0 "SIGTERM ends watch with status 0"
t_forget "$WPID"
"$CTL" -c "$CONF" watch -i 5 >"$T_TMP/w2.out" 2>"$T_TMP/w2.err" &
WPID=$!
T_PIDS="$T_PIDS $WPID"
watch_until "$T_TMP/w2.out" '^organisation beta$'
kill -INT "$WPID"
t0=$(now_ms)
wait "$WPID"
is "$?" 0 "SIGINT ends watch with status 0"
cmp_ok $(($(now_ms) - t0)) -lt 2000 "at once, not after the 5 s interval"
t_forget "$WPID"
is "$(cat "$T_TMP/w1.err" "$T_TMP/w2.err")" "" "nothing on stderr"

# --- Redis down ------------------------------------------------------------------------------
# --- why work waits: a skill, a language, nobody present ----------------------
X1=cccccccccccccccccccccccccccccc01	# sales, needs skill legal
X2=cccccccccccccccccccccccccccccc02	# sales, needs language de
X3=cccccccccccccccccccccccccccccc03	# sales, anyone: chen, away
run -o acme agent chen away
ingest "$X1" sales 1000 legal ''
ingest "$X2" sales 1000 '' de
ingest "$X3" sales 1000 '' ''
sales3() { [ "$(rcli ZCARD 'mailacd:{acme}:queue:sales')" = 3 ]; }
ok "three interactions wait in sales" wait_for 10 sales3
run --json queues
is "$(jq 'sorted((w["reason"], w.get("what"), w["eligible"], w["waiting"]) for q in d["queues"] if q["queue"] == "sales" for w in q["why"])')" \
    "[('away', None, 1, 1), ('language', 'de', 0, 1), ('skill', 'legal', 0, 1)]" \
    "queues --json: a skill nobody holds, a language nobody speaks, the one agent away"
run status
like "$OUT" "^  sales: .*1 needs skill legal, which no agent of the queue has" \
    "status: the skill nobody of the queue holds"
like "$OUT" "^  sales: .*1 needs language de, which no agent of the queue speaks" \
    "the language nobody speaks"
like "$OUT" "^  sales: .*1 waits: the 1 agent who could take it is away or offline" \
    "and the agent who is not there"

# --- transfer with new requirements --------------------------------------------
run interaction transfer "$X1" sales --skills '' --language ''
is "$RC" 0 "transfer --skills '' --language '': the requirements go"
like "$OUT" "now needs skills none, language any" "and it says so"
is "$(hget "$X1" skills)/$(hget "$X1" language)" "/" "Redis: no skills, any language"
run --json queues
is "$(jq 'sorted((w["reason"], w["waiting"]) for q in d["queues"] if q["queue"] == "sales" for w in q["why"])')" \
    "[('away', 2), ('language', 1)]" \
    "it now waits with the interactions any agent of sales may take"
run interaction transfer "$X2" sales --language 'not a tag'
is "$RC" 64 "--language that is no language tag exits 64"
run interaction transfer "$X2" sales --skills 'a,b c'
is "$RC" 64 "--skills with a malformed skill exits 64"
run queues --skills a
is "$RC" 64 "--skills is an option of interaction transfer only"
run --json interaction transfer "$X2" sales --skills Legal
is "$(jq '(d["skills"], d["language"])')" "('Legal', 'de')" \
    "transfer --skills alone keeps the language"

# --- one agent: show, presence in any case, what they hold, requeue -----------
Y1=dddddddddddddddddddddddddddddd01	# billing, anyone: alice takes it
ingest "$Y1" billing 1000 '' ''
alice1() { [ "$(rcli SCARD 'mailacd:{acme}:agent:alice:ix')" = 1 ]; }
ok "alice takes a new billing interaction" wait_for 10 alice1
run -o acme agent alice
is "$RC" 0 "agent ID with no presence shows the agent"
like "$OUT" "^alice +available +1/1 +support,billing +general,email +en " \
    "the agents table's row of alice"
like "$OUT" "^  holds $Y1 \(billing, about $Y1\)$" "and what she holds"
run -o acme --json agent alice
is "$(jq 'd["agent"]["id"]')/$(jq '[h["id"] for h in d["holds"]]')" "alice/['$Y1']" \
    "agent --json: the agent and what she holds"
run -o acme agent nobody
is "$RC" 1 "agent ID of an agent nobody knows exits 1"
HELD=$(rcli SMEMBERS 'mailacd:{acme}:agent:alice:ix' | sort)
NHELD=$(printf '%s\n' "$HELD" | grep -c .)
ok "alice holds work" test "$NHELD" -gt 0
run -o acme agent alice OFFLINE
is "$RC/$(line 1)" "0/agent alice of acme: available -> offline (load $NHELD/1)" \
    "presence words in any case: OFFLINE is offline"
like "$ERR" "^mailacdctl: warning: agent alice still holds $NHELD interaction" \
    "going offline while holding work warns"
like "$ERR" "holds $(printf '%s\n' "$HELD" | sed 1q)" "and shows what she holds"
run -o acme agent alice available --requeue
is "$RC" 64 "--requeue with available exits 64"
run --requeue queues
is "$RC" 64 "--requeue is an option of agent only"
run -o acme agent alice Away --requeue
is "$RC" 0 "agent alice away --requeue exits 0"
is "$(printf '%s\n' "$OUT" | sed -n 's/^requeued //p' | sort)" "$HELD" \
    "every interaction she held is requeued"
is "$(rcli SCARD 'mailacd:{acme}:agent:alice:ix')" 0 "Redis: she holds nothing now"
for id in $HELD; do
	st=$(hget "$id" state)/$(hget "$id" agent)
	case $st in
	waiting/*|assigned/*) ;;
	*) st="bad $st" ;;
	esac
	case $st in
	assigned/alice) fail "$id went back to alice" ;;
	bad*) fail "$id: $st" ;;
	*) pass "$id is back in its queue or with another agent ($st)" ;;
	esac
	is "$(hget "$id" requeued_by)" operator "$id: requeued_by operator"
done

kill_pid "$RPID"
t_forget "$RPID"
stop_redis
DOWN="mailacdctl: redis 127.0.0.1:$REDIS_PORT: connect 127.0.0.1:$REDIS_PORT: Connection refused"
for cmd in agents status "-o acme agent alice away" "interaction close $S4" \
    "interaction transfer $S4 billing"; do
	# shellcheck disable=SC2086
	run $cmd
	is "$RC/$ERR" "69/$DOWN" "$cmd with Redis down: exit 69 and one line"
	is "$OUT" "" "$cmd with Redis down: nothing on stdout"
done
run watch -i 0.2 --count 2
is "$RC" 0 "watch with Redis down goes on and exits 0 after --count"
is "$(printf '%s\n' "$OUT" | grep -c "^$DOWN$")" 2 "it shows why, once per refresh"
is "$(printf '%s\n' "$OUT" | grep -c '^retrying every 0.2s$')" 2 "and that it keeps trying"
run --json watch -i 0.2 --count 1
is "$(jq 'd["error"]')" "${DOWN#mailacdctl: }" "watch --json: the error as a member"
"$CTL" -c "$CONF" watch -i 0.2 >"$T_TMP/w3.out" 2>"$T_TMP/w3.err" &
WPID=$!
T_PIDS="$T_PIDS $WPID"
watch_until "$T_TMP/w3.out" 'Connection refused'
restart_redis
ok "watch comes back when Redis does" watch_until "$T_TMP/w3.out" '^organisation acme$'
kill_pid "$WPID"
t_forget "$WPID"
is "$(cat "$T_TMP/w3.err")" "" "watch wrote nothing on stderr meanwhile"

logs_clean "no sanitizer report from mailacdctl or the router" \
    "$T_TMP/router.log" "$T_TMP"/w*.err "$T_TMP/all.err"
done_testing
