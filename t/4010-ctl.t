#!/bin/sh
# 4010-ctl.t - mailacdctl: -n/check, queues, status, agents and
# interaction show, as tables and as JSON, against a throw-away Redis
# filled the way mailacd-keys(7) says the router fills it; the errors:
# unknown and malformed ids, unknown commands and organisations, a foreign
# schema, Redis down.  Agents and assignment: 4020-ctl-agents.t.
. "$(dirname "$0")/lib/harness.sh"
require_tools redis-server redis-cli python3
require_build mailacdctl
CTL=$MAILACD_BUILD/mailacdctl

start_redis || bail_out "redis-server did not start"
MILTER_SOCKET=inet:1@127.0.0.1	# never listened on here
CONF=$T_TMP/mailacd.conf
milter_conf >"$CONF"
c() { "$CTL" -c "$CONF" "$@"; }

# run ARGS...: run mailacdctl, OUT, ERR and RC hold what happened
run() {
	c "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
}

# row QUEUE: the queues table row of acme's QUEUE
row() {
	printf '%s\n' "$OUT" | awk -v q="$1" '$1 == "acme" && $2 == q'
}

# --- configuration check ---------------------------------------------------
run -n
is "$RC/$OUT" "0/configuration OK" "-n on a good file: configuration OK, exit 0"
run check
is "$RC/$OUT" "0/configuration OK" "check is the same as -n"
run --json check
json_ok "check --json is JSON"
is "$(jq 'd["ok"]')" true "check --json says ok"
sed 's/priority = 20;/priority = 2000; colour = "blue";/' "$CONF" >"$T_TMP/bad.conf"
"$CTL" -c "$T_TMP/bad.conf" -n >"$T_TMP/out" 2>"$T_TMP/err"; RC=$?
ERR=$(cat "$T_TMP/err")
is "$RC" 78 "-n on a bad file exits 78"
like "$ERR" "^$T_TMP/bad.conf:[0-9]+: .*priority.*between 0 and 1000" \
    "the range error is named with file:line"
is "$(printf '%s\n' "$ERR" | grep -c "^$T_TMP/bad.conf:")" 2 \
    "every error, one per line"
"$CTL" -c "$T_TMP/bad.conf" queues >"$T_TMP/out" 2>"$T_TMP/err"; RC=$?
is "$RC" 78 "any command with a bad file exits 78"
is "$(cat "$T_TMP/out")" "" "and prints nothing on stdout"

# a route no agent can take: a warning, an error with --strict
cp "$T_TOP/t/data/cfg/unservable.conf" "$T_TMP/unservable.conf"
chmod 0600 "$T_TMP/unservable.conf"
sed -i "s|^organizations = (|redis = { host = \"127.0.0.1\"; port = $REDIS_PORT; };\norganizations = (|" \
    "$T_TMP/unservable.conf"
U=$T_TMP/unservable.conf
"$CTL" -c "$U" check >"$T_TMP/out" 2>"$T_TMP/err"; RC=$?
ERR=$(cat "$T_TMP/err")
is "$RC/$(cat "$T_TMP/out")" "0/configuration OK" \
    "check: a route no agent can take is no error"
like "$ERR" "^$U:[0-9]+: .*addresses\[ventas@example.com\]: warning: requires skill \"comercal\", which no agent of queue sales holds" \
    "but a warning names the skill nobody holds, with file:line"
like "$ERR" "warning: requires language \"Spanish\", which no agent of queue sales speaks \(they speak es, en\)" \
    "and the language nobody speaks, with those they do"
is "$(printf '%s\n' "$ERR" | grep -c "^$U:.*: warning: ")" 4 "one line per route"
"$CTL" -c "$U" --strict check >"$T_TMP/out" 2>"$T_TMP/err"; RC=$?
is "$RC" 78 "check --strict: the warnings are errors, exit 78"
is "$(grep -c ': warning: ' "$T_TMP/err")" 4 "and are printed"
OUT=$("$CTL" -c "$U" --json check 2>/dev/null)
json_ok "check --json with warnings is JSON"
is "$(jq 'len(d["warnings"])')/$(jq 'd["ok"]')" "4/true" \
    "check --json lists the warnings and is ok"
OUT=$("$CTL" -c "$U" --json --strict check 2>/dev/null)
is "$(jq 'len(d["errors"])')/$(jq 'd["ok"]')" "4/false" \
    "check --json --strict lists them as errors, not ok"
is "$(jq 'd["errors"][1]["file"]')|$(jq 'd["errors"][1]["line"] > 0')|$(jq 'd["errors"][1]["setting"]')" \
    "$U|true|organizations[acme].domains[example.com].addresses[ventas@example.com]" \
    "check --json: each error an object with its file, line and setting"
like "$(jq 'd["errors"][1]["message"]')" '^requires skill "comercal", which no agent' \
    "and its message without them"
like "$(jq 'd["errors"][1]["text"]')" "^$U:[0-9]+: .*: warning: requires skill" \
    "and the whole line as text"
OUT=$("$CTL" -c "$T_TMP/bad.conf" --json check 2>/dev/null)
BA=organizations[acme].domains[example.com].addresses[billing@example.com]
is "$(jq '" ".join(sorted(e["setting"] for e in d["errors"]))')" \
    "$BA.colour $BA.priority" "check --json on a bad file: both settings in error"
is "$(jq '[e["value"] + "|" + e["message"] for e in d["errors"] if e["value"]]')" \
    "['2000|must be between 0 and 1000']" "the value and the message apart"
is "$(jq '[e["message"] for e in d["errors"] if e["value"] is None]')" \
    "['unknown setting']" "no value where none is shown"
printf 'redis = {\n  host = ;\n' >"$T_TMP/syntax.conf"
OUT=$("$CTL" -c "$T_TMP/syntax.conf" --json check 2>/dev/null)
is "$(jq 'd["errors"][0]["line"]')|$(jq 'd["errors"][0]["setting"]')|$(jq 'd["errors"][0]["message"]')" \
    "2|None|syntax error" "a syntax error: its line, no setting (null)"
# a flow's rule or default that routes where nobody can take it
cp "$T_TOP/t/data/cfg/unservable-flow.conf" "$T_TMP/unservable-flow.conf"
chmod 0600 "$T_TMP/unservable-flow.conf"
"$CTL" -c "$T_TMP/unservable-flow.conf" check >"$T_TMP/out" 2>"$T_TMP/err"; RC=$?
ERR=$(cat "$T_TMP/err")
is "$RC/$(cat "$T_TMP/out")" "0/configuration OK" "check: an unservable flow result is no error"
like "$ERR" "unservable-flow.conf:[0-9]+: organizations\[acme\]\.flows\[triage\]\.rules\[vip\]: warning: requires skill \"comercal\", which no agent of queue sales holds" \
    "a flow rule's skill nobody of its queue holds: a warning at the rule"
like "$ERR" "flows\[triage\]\.default: warning: requires language \"Spanish\", which no agent of queue support speaks" \
    "a flow default's language nobody speaks: a warning at the default"
is "$(printf '%s\n' "$ERR" | grep -c ': warning: ')" 2 \
    "nothing about the servable rule or the rule that calls another flow"
"$CTL" -c "$T_TMP/unservable-flow.conf" --strict check >/dev/null 2>&1; RC=$?
is "$RC" 78 "check --strict: a flow's warnings are errors too"
run --strict queues
is "$RC" 64 "--strict is an option of check only"
OUT=$("$MAILACD_BUILD/mailacd-milter" -n -c "$U" 2>&1)
like "$OUT" "warning: requires skill \"comercal\"" \
    "mailacd-milter -n prints the warnings too"

# --- usage -----------------------------------------------------------------
for h in -h --help; do
	run $h
	is "$RC/$ERR" "0/" "$h: exit 0, nothing on stderr"
	like "$OUT" "^usage: mailacdctl" "$h: the usage on stdout"
done
run --version
like "$RC/$OUT" "^0/mailacdctl [0-9]" "--version works as -V does"
run frobnicate
is "$RC" 64 "an unknown command exits 64"
like "$ERR" "unknown command frobnicate" "and names it"
like "$ERR" "^usage: mailacdctl" "and prints the usage"
run
is "$RC" 64 "no command exits 64"
run agents extra
is "$RC" 64 "a command given arguments it does not take exits 64"
run -o nosuch queues
is "$RC" 64 "-o with an organisation the configuration lacks exits 64"
like "$ERR" "^mailacdctl: -o nosuch: no such organisation" "and says so"

# --- empty Redis -------------------------------------------------------------
run queues
is "$RC" 0 "queues on an empty Redis exits 0"
is "$(printf '%s\n' "$OUT" | sed -n 1p | tr -s ' ')" \
    "ORG QUEUE WAITING OLDEST_WAIT NEXT_WAIT NEXT_ID NOTE" "the header row"
is "$(row support | tr -s ' ')" "acme support 0 - - -" "an empty queue row"
is "$(printf '%s\n' "$OUT" | wc -l)" 4 "one row per configured queue"

# --- fill Redis as the router would ------------------------------------------
NOW=$(now_ms)
A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1	# support, 4 min, priority 20: next
B=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2	# support, 6 min, priority 10: oldest
F=fffffffffffffffffffffffffffffff3	# support, 10 s, priority 0
C=ccccccccccccccccccccccccccccccc4	# billing, 1 min, priority 1
D=ddddddddddddddddddddddddddddddd5	# billing, 2 min, priority 0: same rank
L=0123456789abcdef0123456789abcdef	# a queue the configuration lacks
SUBJ=$(printf 'Caf\303\251 "order" 42 \\ back\tslash \342\202\254')

# enqueue ID ORG QUEUE AGE_MS PRIORITY [SUBJECT]: the hash and the member
enqueue() {
	_enq=$((NOW - $4))
	_rank=$((_enq - 60000 * $5))
	rcli HSET "mailacd:{$2}:ix:$1" v 1 id "$1" org "$2" queue "$3" \
	    skills general,email language en priority "$5" arrived "$_enq" \
	    sender '<ana@example.net>' address support@example.com \
	    rcpt '<support@example.com>' match address \
	    message_id "<$1@example.net>" in_reply_to '' references '' \
	    subject "${6:-hello}" from 'Ana <ana@example.net>' size 1234 \
	    queue_id 4XyZ1 auto '' state waiting enqueued "$_enq" \
	    rank "$_rank" entry "$_enq-0" >/dev/null
	rcli ZADD "mailacd:{$2}:queue:$3" "$_rank" \
	    "$(printf '%015d:%s' "$_enq" "$1")" >/dev/null
}
enqueue "$A" acme support 240000 20 "$SUBJ"
enqueue "$B" acme support 360000 10
enqueue "$F" acme support 10000 0
enqueue "$C" acme billing 60000 1
enqueue "$D" acme billing 120000 0
enqueue "$L" acme legacy 30000 0
enqueue "$L" other inbox 30000 0
rcli SET 'mailacd:{acme}:schema' 1 >/dev/null
rcli XADD 'mailacd:{acme}:ingest' '*' v 1 id "$A" >/dev/null
rcli XADD 'mailacd:{acme}:ingest' '*' v 1 id "$B" >/dev/null
rcli XADD 'mailacd:{acme}:dead' '*' entry 1-0 reason malformed >/dev/null

# --- queues --------------------------------------------------------------------
run queues
is "$RC" 0 "queues exits 0"
r=$(row support)
like "$r" "^acme +support +3 " "support: 3 waiting"
like "$r" " $A( |$)" "support: next is 4 min at priority 20, before 6 min at priority 10"
like "$r" " 6m0[0-9]s +4m0[0-9]s " "support: oldest waits 6 min, next 4 min"
r=$(row billing)
like "$r" " $D( |$)" "billing: of two equal ranks the earlier arrival is next"
like "$r" " 2m0[0-9]s +2m0[0-9]s " "billing: next and oldest are the same one"
like "$(row sales)" "^acme +sales +0 +- +- +-$" "sales: empty"
like "$(row legacy)" "^acme +legacy +1 .*not configured$" \
    "a queue only in Redis is shown and marked"
like "$OUT" "^other +inbox +1 .*organisation not configured$" \
    "a queue of an unknown organisation is shown and marked"
is "$(printf '%s\n' "$OUT" | awk 'NR > 1 { print $1 "/" $2 }' | tr '\n' ' ')" \
    "acme/support acme/billing acme/sales acme/legacy other/inbox " \
    "configured order, then what only Redis has"
run -o acme queues
is "$(printf '%s\n' "$OUT" | awk 'NR > 1 { print $1 "/" $2 }' | tr '\n' ' ')" \
    "acme/support acme/billing acme/sales acme/legacy " \
    "-o acme: that organisation's queues only"

run --json queues
is "$RC" 0 "queues --json exits 0"
json_ok "queues --json is JSON"
is "$(jq 'd["queues"][0]["next"]["id"]')" "$A" "JSON: next of support"
is "$(jq 'd["queues"][0]["next"]["priority"]')" 20 "JSON: its priority"
is "$(jq 'd["queues"][0]["oldest"]["id"]')" "$B" "JSON: oldest of support"
is "$(jq 'd["queues"][0]["oldest"]["exact"]')" true "JSON: the oldest is exact"
is "$(jq 'd["queues"][0]["waiting"]')" 3 "JSON: waiting"
is "$(jq 'round(d["queues"][0]["next"]["wait_ms"] / 60000)')" 4 "JSON: wait_ms"
is "$(jq 'd["queues"][2]["next"]')" None "JSON: an empty queue has next null"
is "$(jq '[q["configured"] for q in d["queues"]]')" \
    "[True, True, True, False, False]" "JSON: configured flags"
run queues --json
is "$RC/$(jq 'len(d["queues"])')" 0/5 "--json may follow the command"

# --- status --------------------------------------------------------------------
run status
is "$RC" 0 "status exits 0"
like "$OUT" "^organisation acme$" "status names the organisation"
like "$OUT" "^  waiting +5$" "waiting total of the configured queues"
like "$OUT" "^  dead-lettered +1$" "dead-lettered count"
like "$OUT" "^  ingest +2 entries; no router has read yet$" \
    "ingest backlog without a consumer group"
like "$OUT" "^  agents +none in the roster$" "agents: none in the roster"
like "$OUT" "^  assigned +0$" "nothing assigned"
like "$OUT" "^support +3 +6m0[0-9]s +4m0[0-9]s +0 +0/0 +- +$A$" \
    "per queue: waiting, the oldest and the next one's wait, no agents"
like "$OUT" "^sales +0 +- +- +0 +0/0 +- +-$" "an empty queue in status"
rcli XGROUP CREATE 'mailacd:{acme}:ingest' routers 0 >/dev/null
rcli XREADGROUP GROUP routers r1 COUNT 1 STREAMS 'mailacd:{acme}:ingest' '>' >/dev/null
run status
like "$OUT" "^  ingest +2 entries; group routers: 1 pending$" \
    "ingest backlog with the routers group's pending count"
run --json status
json_ok "status --json is JSON"
is "$(jq 'd["organizations"][0]["ingest"]')" \
    "{'length': 2, 'group': {'name': 'routers', 'pending': 1}}" "JSON: ingest"
is "$(jq 'd["organizations"][0]["dead"]')" 1 "JSON: dead"
is "$(jq 'd["organizations"][0]["waiting"]')" 5 "JSON: waiting"
is "$(jq 'd["organizations"][0]["queues"][1]["next"]["id"]')" "$D" "JSON: per queue next"
is "$(jq 'd["organizations"][0]["agents"]["roster"]')" 0 "JSON: no agents"
is "$(jq 'd["organizations"][0]["queues"][0]["oldest"]["id"]')" "$B" \
    "JSON: per queue oldest"
is "$(jq 'd["organizations"][0]["queues"][0]["service_level"]')" \
    "{'target_s': None, 'achieved': None}" "JSON: no service-level target"
is "$(jq 'd["organizations"][0]["schema"]')" 1 "JSON: schema"

# --- interaction show ------------------------------------------------------------
run interaction show "$A"
is "$RC" 0 "interaction show exits 0"
like "$OUT" "^id +$A$" "shows the id"
like "$OUT" "^org +acme$" "and the organisation"
like "$OUT" "^subject +Caf.* \"order\" 42 \\\\ back\?slash " \
    "the subject, with control characters neutralised"
like "$OUT" "^queue +support$" "the queue"
like "$OUT" "^priority +20$" "the priority"
like "$OUT" "^state +waiting$" "the state"
like "$OUT" "^enqueued +20[0-9-]{8} [0-9:]{8} [+-][0-9]{4} \(waiting 4m0[0-9]s\)$" \
    "enqueued as local time and the wait so far"
like "$OUT" "^queue_id +4XyZ1$" "the MTA queue id"
like "$OUT" "^rcpt +<support@example.com>$" "other fields follow"
is "$(printf '%s\n' "$OUT" | sed -n 3p | awk '{print $1}')" subject \
    "subject comes first"
run --json interaction show "$A"
json_ok "interaction show --json is JSON"
SUBJ_PY=$(printf '%s' "$SUBJ" | /usr/bin/python3 -c 'import sys; print(repr(sys.stdin.buffer.read().decode()))')
is "$(jq "d['fields']['subject'] == $SUBJ_PY")" true \
    "JSON: the subject round-trips (UTF-8, quote, backslash, tab)"
is "$(jq 'd["org"] + " " + d["fields"]["queue"]')" "acme support" "JSON: org and fields"
is "$(jq 'round(d["wait_ms"] / 60000)')" 4 "JSON: wait_ms"

run interaction show 99999999999999999999999999999999
is "$RC" 1 "an unknown id exits 1"
is "$ERR" "mailacdctl: interaction 99999999999999999999999999999999: not found in any configured organisation" \
    "with one clear line"
is "$OUT" "" "and nothing on stdout"
run interaction show AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1
is "$RC" 64 "an upper-case id is a usage error"
run interaction show abc
is "$RC" 64 "a short id is a usage error"
like "$ERR" "not an interaction id" "and says why"
run interaction show "${A}0"
is "$RC" 64 "a long id is a usage error"
run interaction frob "$A"
is "$RC" 64 "an unknown interaction subcommand exits 64"
run -o acme interaction show 99999999999999999999999999999999
is "$ERR" "mailacdctl: interaction 99999999999999999999999999999999: not found in organisation acme" \
    "-o: not found in that organisation"

# --- agents without a roster ------------------------------------------------------
run agents
is "$RC/$OUT" "0/organisation acme
  no agents" "agents: an organisation without agents"
run --json agents
is "$(jq 'd["organizations"]')" "[{'org': 'acme', 'agents': []}]" "agents --json: none"
run agent alice available
is "$RC/$ERR" "1/mailacdctl: agent alice: not in the roster of any configured organisation" \
    "agent: an id the configuration does not have exits 1"

# --- a schema we do not know --------------------------------------------------
rcli SET 'mailacd:{acme}:schema' 2 >/dev/null
run queues
is "$RC" 65 "data in another schema exits 65"
like "$ERR" "mailacd:\{acme\}:schema is schema 2" "and says so"
rcli SET 'mailacd:{acme}:schema' 1 >/dev/null
rcli SET 'mailacd:{acme}:queue:sales' oops >/dev/null
run queues
is "$RC" 65 "a queue key of the wrong type exits 65"
like "$ERR" "ZCARD mailacd:\{acme\}:queue:sales: WRONGTYPE" "and names key and error"
rcli DEL 'mailacd:{acme}:queue:sales' >/dev/null

# --- what the real router writes ------------------------------------------
if [ -x "$MAILACD_BUILD/mailacd-router" ]; then
	rcli FLUSHALL >/dev/null
	{ cat "$CONF"; echo 'router = { consumer = "r1"; block_ms = 200; };'; } \
	    >"$T_TMP/router.conf"
	spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f \
	    -c "$T_TMP/router.conf"
	RPID=$SPAWNED_PID
	NOW=$(now_ms)
	rcli XADD 'mailacd:{acme}:ingest' '*' v 1 id "$B" org acme \
	    queue support priority 10 arrived $((NOW - 360000)) \
	    subject six >/dev/null
	rcli XADD 'mailacd:{acme}:ingest' '*' v 1 id "$A" org acme \
	    queue support priority 20 arrived $((NOW - 240000)) \
	    subject four >/dev/null
	queued2() { [ "$(rcli ZCARD 'mailacd:{acme}:queue:support')" = 2 ]; }
	ok "the router queued two interactions" wait_for 10 queued2
	run queues
	like "$(row support)" "^acme +support +2 +6m0[0-9]s +4m0[0-9]s +$A +2 wait: no agent serves the queue$" \
	    "queues reads the router's queue: seed order, oldest and next"
	run interaction show "$A"
	like "$OUT" "^subject +four$" "interaction show reads the router's hash"
	like "$OUT" "^enqueued +.*\(waiting 4m0[0-9]s\)$" "with its enqueue time"
	run status
	like "$OUT" "^  ingest +2 entries; group routers: 0 pending$" \
	    "status: the router's group, nothing pending"
	kill_pid "$RPID"
	t_forget "$RPID"
else
	skip "mailacd-router not built: the real router's keys"
fi

# --- Redis down -------------------------------------------------------------------
stop_redis
for cmd in queues status agents "interaction show $A" "interaction close $A" \
    "-o acme agent alice away"; do
	# shellcheck disable=SC2086
	run $cmd
	is "$RC" 69 "$cmd with Redis down exits 69"
	is "$ERR" "mailacdctl: redis 127.0.0.1:$REDIS_PORT: connect 127.0.0.1:$REDIS_PORT: Connection refused" \
	    "$cmd with Redis down: one line that says so"
	is "$OUT" "" "$cmd with Redis down: nothing on stdout"
done
run -n
is "$RC" 0 "-n does not need Redis"
done_testing
