#!/bin/sh
# 4050-ctl-interactions.t - finding interactions: "interactions" with each
# filter (state, queue, agent, customer, subject, since, limit) as a table
# and as JSON, ids shortened to a unique prefix everywhere an id is taken,
# "interaction show"'s timeline of events recorded as they happened, every
# usage error; then 100,000 interactions, where a filtered listing must
# stay fast.  The real mailacd-router queues and assigns.
. "$(dirname "$0")/lib/harness.sh"
require_tools redis-server redis-cli python3
require_build mailacdctl
require_build mailacd-router
CTL=$MAILACD_BUILD/mailacdctl

start_redis || bail_out "redis-server did not start"
MILTER_SOCKET=inet:1@127.0.0.1	# never listened on here
CONF=$T_TMP/mailacd.conf
AGENTS='{ id = "alice"; address = "alice@corp.example"; capacity = 2;
	  queues = [ "support", "billing" ]; },
	{ id = "bruno"; address = "bruno@corp.example"; capacity = 1;
	  queues = [ "sales" ]; }'
milter_conf "" "$AGENTS" >"$CONF"
echo 'router = { consumer = "r1"; block_ms = 200; };' >>"$CONF"

run() {
	"$CTL" -c "$CONF" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
	cat "$T_TMP/err" >>"$T_TMP/all.err"
}
hget() { rcli HGET "mailacd:{acme}:ix:$1" "$2"; }
NOW=$(now_ms)
# ingest ID QUEUE AGE_MS CUSTOMER SUBJECT: one hand-off as the milter writes it
ingest() {
	rcli XADD 'mailacd:{acme}:ingest' '*' v 1 id "$1" org acme queue "$2" \
	    skills '' language '' priority 0 arrived $((NOW - $3)) \
	    sender "<$4>" customer "$4" address "$2@example.com" \
	    subject "$5" >/dev/null
}

spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f -c "$CONF"
RPID=$SPAWNED_PID
A1=a1a1a1a1000000000000000000000001	# support, 3 days ago
A2=a1a1a1a1000000000000000000000002	# support, 2 hours ago
B1=b2b2b2b2000000000000000000000001	# billing, 10 minutes ago
S1=c3c3c3c3000000000000000000000001	# sales, 1 minute ago
S2=c3c3c3c3000000000000000000000002	# sales, 30 seconds ago
ingest "$A1" support 259200000 ana@customer.test "Where is my ORDER 1234?"
ingest "$A2" support 7200000 Bea@Customer.test "Refund please"
ingest "$B1" billing 600000 ana@customer.test "Invoice 77 is wrong"
ingest "$S1" sales 60000 carl@customer.test "Quote for 40 seats"
ingest "$S2" sales 30000 dora@customer.test "Discount?"
queued() { [ "$(rcli ZCARD 'mailacd:{acme}:ixs')" = 5 ]; }
ok "the router queued five interactions, each indexed" wait_for 10 queued
run -o acme agent alice available
run -o acme agent bruno available
# alice takes A1 and A2 (support, oldest first) - capacity 2; bruno S1
is "$(hget "$A1" agent)/$(hget "$A2" agent)/$(hget "$S1" agent)" \
    alice/alice/bruno "alice took the support pair, bruno the older sales one"
run interaction close "$A1"

# --- the listing -----------------------------------------------------------------
run interactions
is "$RC" 0 "interactions exits 0"
is "$(printf '%s\n' "$OUT" | sed 1q | tr -s ' ')" \
    "ID STATE QUEUE AGENT CUSTOMER SUBJECT TIME" "the header"
is "$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1}' | tr '\n' ' ')" \
    "c3c3c3c30000 c3c3c3c30000 b2b2b2b20000 a1a1a1a10000 a1a1a1a10000 " \
    "one row each, newest arrival first, ids shortened"
like "$OUT" "a1a1a1a10000 +closed +support +alice +ana@customer.test +Where is my ORDER 1234\? +closed after 3d" \
    "a closed one: its agent, customer, subject and how long it lasted"
like "$OUT" "c3c3c3c30000 +waiting +sales +- +dora@customer.test +Discount\? +waiting [0-9]+s" \
    "a waiting one: how long it has waited"
like "$OUT" "a1a1a1a10000 +assigned +support +alice +Bea@Customer.test +Refund please +handling [0-9]+s" \
    "an assigned one: how long it has been handled"
run --json interactions
json_ok "interactions --json is JSON"
is "$(jq '[i["id"] for i in d["interactions"]]')" \
    "['$S2', '$S1', '$B1', '$A2', '$A1']" "JSON: full ids, newest first"
is "$(jq '(d["more"], d["interactions"][0]["agent"], isinstance(d["interactions"][0]["arrived_ms"], int))')" \
    "(False, None, True)" "JSON: more, null for no agent, times in ms"

# lst ARGS...: the full ids interactions --json lists, space-separated
lst() {
	"$CTL" -c "$CONF" --json interactions "$@" 2>>"$T_TMP/all.err" |
	    /usr/bin/python3 -c 'import json,sys; print(" ".join(i["id"] for i in json.load(sys.stdin)["interactions"]))'
}
is "$(lst --state waiting)" "$S2" "--state waiting"
is "$(lst --state assigned)" "$S1 $B1 $A2" "--state assigned"
is "$(lst --state closed)" "$A1" "--state closed"
is "$(lst --queue sales)" "$S2 $S1" "--queue sales"
is "$(lst --agent alice)" "$B1 $A2 $A1" "--agent alice: what she holds and held"
is "$(lst --agent bruno --state assigned)" "$S1" "--agent and --state together"
is "$(lst --customer ANA@customer.TEST)" "$B1 $A1" "--customer, case ignored"
is "$(lst --customer bea@customer.test)" "$A2" "--customer as the sender wrote it"
is "$(lst --subject 'order 12')" "$A1" "--subject: a part of it, case ignored"
is "$(lst --subject invoice --queue billing)" "$B1" "--subject with --queue"
is "$(lst --subject nothing-like-this)" "" "--subject that matches nothing: none"
is "$(lst --since 1h)" "$S2 $S1 $B1" "--since 1h: the last hour's arrivals"
is "$(lst --since 2d --state assigned)" "$S1 $B1 $A2" "--since 2d with --state"
DAY=$(date -u -d "@$(( (NOW - 2 * 86400000) / 1000 ))" +%Y-%m-%d)
is "$(lst --since "$DAY")" "$S2 $S1 $B1 $A2" "--since a UTC date"
is "$(lst --limit 2)" "$S2 $S1" "--limit 2: the newest two"
OUT=$("$CTL" -c "$CONF" --json interactions --limit 2)
is "$(jq 'd["more"]')" true "--limit: more says there are others"
run interactions --limit 2
like "$OUT" "\(the first 2; --limit shows more\)" "and the table says so"
run interactions --queue nosuch
is "$RC/$OUT" "0/no interactions" "nothing found: said, exit 0"

for bad in "--state open" "--since yesterday" "--since 2026-13-01" \
    "--limit 0" "--limit x" "extra" "--frobnicate"; do
	# shellcheck disable=SC2086
	run interactions $bad
	is "$RC" 64 "interactions $bad: exit 64"
	like "$ERR" "^mailacdctl: " "interactions $bad: one line that says why"
done

# --- shortened ids ---------------------------------------------------------------
run interaction show b2b2
is "$RC" 0 "interaction show with 4 digits of an id"
like "$OUT" "^id +$B1$" "shows the interaction they start"
run interaction show B2B2B2
is "$RC" 0 "a prefix in capitals"
run interaction show c3c3
is "$RC" 64 "a prefix two ids share: exit 64"
like "$ERR" "c3c3 is ambiguous: $S1, $S2; give more digits" "naming both"
run interaction show ffff
is "$RC" 1 "a prefix no id has: exit 1"
like "$ERR" "no interaction id starts with ffff" "said so"
run interaction show b2b
is "$RC" 64 "three digits are too few"
run interaction priority b2b2b2b20000000000000000000000 3
is "$RC" 0 "priority takes a prefix (30 digits)"
is "$(hget "$B1" priority)" 3 "and changed the right one"
run interaction transfer b2b2b2b2 support
is "$RC/$(hget "$B1" queue)" "0/support" "transfer takes a prefix"
run interaction close b2b2b2
is "$RC/$(hget "$B1" state)" "0/closed" "close takes a prefix"

# --- the timeline ------------------------------------------------------------------
run interaction show "$B1"
like "$OUT" "^timeline$" "show has a timeline"
TL=$(printf '%s\n' "$OUT" | sed -n '/^timeline$/,$p' | sed 1d |
    sed 's/^  [0-9-]* [0-9:]* +0000  //')
is "$(printf '%s\n' "$TL" | sed 1q)" \
    "arrived in billing from ana@customer.test: Invoice 77 is wrong" \
    "arrived first: where, from whom, about what"
like "$TL" "assigned to alice from billing \(queue, waited [0-9hms]+\)" \
    "assigned: to whom, from where, how, after how long"
like "$TL" "priority 0 -> 3 by operator" "the priority change, by whom"
like "$TL" "transferred from billing to support by operator" "the transfer"
is "$(printf '%s\n' "$TL" | tail -1)" "closed by operator" "closed last"
run interaction show "$A1"
like "$OUT" "  [-0-9]+ [0-9:]+ \+0000  closed by operator" "a close, by whom"
is "$(printf '%s\n' "$OUT" | grep -c '^entries \|^idx \|^req ')" 0 \
    "bookkeeping fields are left out of the text"
OUT=$("$CTL" -c "$CONF" --json interaction show "$A1")
is "$(jq '[e["event"] for e in d["events"]]')" "['arrived', 'assigned', 'closed']" \
    "JSON: the events in order"
is "$(jq '(all(isinstance(e["at"], int) for e in d["events"]), "idx" in d["fields"])')" \
    "(True, True)" "JSON: each with its time; the raw fields are all there"

# --- 100,000 interactions ---------------------------------------------------------
N=100000
/usr/bin/python3 - "$N" "$NOW" >"$T_TMP/bulk.txt" <<'PY'
import sys
n, now = int(sys.argv[1]), int(sys.argv[2])
key = 'mailacd:{acme}:ingest'
out = sys.stdout
for i in range(n):
    ident = '%032x' % (0x5000000000000000000000000000 + i)
    subj = 'Needle in a haystack' if i == 31337 else 'Message %d' % i
    args = ['XADD', key, '*', 'v', '1', 'id', ident, 'org', 'acme',
            'queue', 'billing', 'skills', '', 'language', '',
            'priority', '0', 'arrived', str(now - 3600000 + i),
            'sender', '<bulk%d@customer.test>' % (i % 1000),
            'customer', 'bulk%d@customer.test' % (i % 1000),
            'address', 'billing@example.com', 'subject', subj]
    out.write('*%d\r\n' % len(args))
    for a in args:
        b = a.encode()
        out.write('$%d\r\n%s\r\n' % (len(b), a))
PY
redis-cli -p "$REDIS_PORT" --pipe <"$T_TMP/bulk.txt" >"$T_TMP/pipe.log" 2>&1
bulk() { [ "$(rcli ZCARD 'mailacd:{acme}:ixs')" -ge $((N + 5)) ]; }
ok "the router queued 100,000 more" wait_for 240 bulk
# timed CMD...: run mailacdctl, TIME_MS holds how long it took
timed() {
	_t0=$(now_ms)
	run "$@"
	TIME_MS=$(( $(now_ms) - _t0 ))
}
timed interactions --limit 20
is "$RC/$(printf '%s\n' "$OUT" | grep -c '^[0-9a-f]\{12\} ')" "0/20" "the newest 20 of 100,005"
cmp_ok "$TIME_MS" -lt 2000 "in under 2 s ($TIME_MS ms)"
timed interactions --customer bulk7@customer.test --limit 1000
is "$(printf '%s\n' "$OUT" | grep -c '^[0-9a-f]\{12\} ')" 100 \
    "--customer: the 100 of one customer among 100,005"
cmp_ok "$TIME_MS" -lt 2000 "in under 2 s, from the customer's index ($TIME_MS ms)"
timed interactions --state closed
is "$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1}' | tr '\n' ' ')" \
    "b2b2b2b20000 a1a1a1a10000 " "--state closed: the two among 100,005"
cmp_ok "$TIME_MS" -lt 2000 "in under 2 s, from the state's index ($TIME_MS ms)"
timed interactions --subject needle
like "$OUT" "Needle in a haystack" "--subject: one among 100,005, no index for it"
is "$(printf '%s\n' "$OUT" | grep -c '^[0-9a-f]\{12\} ')" 1 "just that one"
cmp_ok "$TIME_MS" -lt 30000 "a scan of them all in under 30 s ($TIME_MS ms)"

kill_pid "$RPID"
t_forget "$RPID"
logs_clean "no sanitizer report from mailacdctl or the router" \
    "$T_TMP/router.log" "$T_TMP/all.err"
done_testing
