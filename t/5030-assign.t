#!/bin/sh
# 5030-assign.t - the assignment library (common/mailacd.lua) called
# directly with redis-cli, no router: seed ordering and re-ranking,
# eligibility (skills, language, capacity, presence, queue membership,
# roster removal), a freed agent's choice across queues and buckets, the
# three strategies, close, transfer, follow-ups and replays, publication
# (stream, inbox, channel), statistics, the invariants after a random-ish
# sequence, and concurrent callers.
. "$(dirname "$0")/lib/harness.sh"
require_tools redis-server redis-cli python3

start_redis || bail_out "redis-server did not start"
P='mailacd:{acme}:'
S="${P}schema"
# the system's interpreter starts faster than a version manager's shim
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=$(command -v python3)

# A RESP client, the invariant checker, the random-ish driver and the
# concurrent workers (no python redis module needed).
PY=$T_TOP/t/lib/assign-driver.py

# fc FUNCTION ARGS...: call one library function; errors printed too
fc() {
	_f=$1
	shift
	rcli FCALL "$_f" 1 "$S" "$@" 2>&1
}

# j JSON EXPR: a Python expression over JSON (as "d")
j() {
	printf '%s\n' "$1" | "$PYTHON" "$PY" json "$2"
}

# given JSON: the assignments a reply reports, "id:agent:how" each
given() {
	j "$1" '" ".join("%s:%s:%s" % (a["id"], a["agent"], a["how"])
	    for a in d.get("assigned", []))'
}

# I N: interaction id number N (32 hex digits)
I() {
	printf '%032x' "$1"
}

# reset: an empty organisation with its ingest stream and consumer group
reset() {
	rcli FLUSHALL >/dev/null
	rcli XGROUP CREATE "${P}ingest" routers '$' MKSTREAM >/dev/null
}

# ingest ID QUEUE PRIORITY AGE_MS [SKILLS [LANGUAGE]]: an interaction that
# arrived AGE_MS before $NOW, added to the ingest stream and handed to
# mailacd_ingest the way the router does; REP is "code/agent", ENTRY the
# stream entry id
ingest() {
	_arr=$((NOW - $4))
	ENTRY=$(rcli XADD "${P}ingest" '*' v 1 id "$1" org acme queue "$2" \
	    skills "${5:-}" language "${6:-}" priority "$3" arrived "$_arr")
	ingest_entry "$ENTRY" "$1" "$2" "$3" "$_arr" "${5:-}" "${6:-}"
}

# ingest_entry ENTRY ID QUEUE PRIORITY ARRIVED SKILLS LANGUAGE [FIELD VALUE...]
ingest_entry() {
	_e=$1 _id=$2 _q=$3 _p=$4 _a=$5 _s=$6 _l=$7
	shift 7
	# member and rank "": the library makes them, as for the router
	REP=$(rcli FCALL mailacd_ingest 4 "$S" "${P}ix:$_id" "${P}queue:$_q" \
	    "${P}ingest" routers "$_e" "" "" "$_a" v 1 id "$_id" org acme queue "$_q" \
	    skills "$_s" language "$_l" priority "$_p" arrived "$_a" "$@" 2>&1 |
	    paste -sd/ -)
}

# followup ID QUEUE PRIORITY ARRIVED: a later stream entry for ID
followup() {
	ENTRY=$(rcli XADD "${P}ingest" '*' v 1 id "$1" org acme queue "$2" \
	    priority "$3" arrived "$4" subject "Re: $1")
	ingest_entry "$ENTRY" "$1" "$2" "$3" "$4" '' '' subject "Re: $1"
}

ix() { rcli HGET "${P}ix:$1" "$2"; }
held() { rcli SMEMBERS "${P}agent:$1:ix" | sort | paste -sd' ' -; }
load() { rcli SCARD "${P}agent:$1:ix"; }
waiting() { rcli ZRANGE "${P}queue:$1" 0 -1 | cut -c17- | paste -sd' ' -; }
member() { printf '%015d:%s' "$(ix "$1" enqueued)" "$1"; }
nassigned() { rcli XLEN "${P}assignments"; }

# ---------------------------------------------------------------------------
# the library as the build assembles it (with common/keys.h's Lua at its head)
LIB=$MAILACD_BUILD/common/mailacd.lua
[ -r "$LIB" ] || bail_out "$LIB not built (run make)"
is "$(rcli FUNCTION LOAD REPLACE "$(cat "$LIB")")" \
    mailacd "the library loads"
is "$(rcli FCALL mailacd_version 0)" \
    "$(sed -n 's/^#define KEYS_LIBRARY[^"]*"\(.*\)"/\1/p' "$T_TOP/common/keys.h")" \
    "mailacd_version is the KEYS_LIBRARY the C side expects"

# --- 1. seed ordering ---------------------------------------------------------
reset
fc mailacd_sync 1 support longest-idle 0 1 \
    a1 a1@corp.example general en 1 support >/dev/null
A=$(I 0xa1) B=$(I 0xb1) C=$(I 0xc1) D=$(I 0xd1) E=$(I 0xe1) F=$(I 0xf1)
NOW=$(now_ms)
ingest "$B" support 10 360000 general
is "$REP" "1/" "B (6 min at priority 10, score 16) waits: nobody available"
ingest "$A" support 20 240000 general
is "$(waiting support)" "$A $B" "queue:support: A (4 min at 20, score 24) first"
is "$(rcli ZSCORE "${P}queue:support" "$(member "$A")")" \
    "$((NOW - 240000 - 1200000))" "A's rank is arrived - 60000 x priority"
is "$(rcli ZRANGE "${P}queue:support" 0 0)" \
    "$(printf '%015d:%s' "$((NOW - 240000))" "$A")" \
    "its member is the arrival (15 digits) and the id"
OUT=$(fc mailacd_presence a1 available)
is "$(given "$OUT")" "$A:a1:queue" \
    "the agent becoming available takes A (score 24), not B (score 16)"
like "$(j "$OUT" 'd["assigned"][0]["score"]')" '^24\.0[0-9]$' \
    "the assignment reports score 24"
is "$(ix "$A" state)/$(ix "$A" agent)/$(waiting support)" "assigned/a1/$B" \
    "A is assigned to a1, B still waits"
OUT=$(fc mailacd_close "$A" a1)
is "$(given "$OUT")" "$B:a1:queue" "closing A gives a1 B in the same call"
# equal scores: C arrived 2 min ago at priority 1, D 3 min ago at 0
ingest "$C" support 1 120000
ingest "$D" support 0 180000
is "$(rcli ZSCORE "${P}queue:support" "$(member "$C")")" \
    "$(rcli ZSCORE "${P}queue:support" "$(member "$D")")" "C and D have equal ranks"
is "$(given "$(fc mailacd_close "$B" a1)")" "$D:a1:queue" \
    "equal scores: D, the earlier arrival, comes first"
# a priority change re-ranks: F (1 min, priority 0) overtakes E (5 min)
ingest "$E" support 0 300000
ingest "$F" support 0 60000
is "$(waiting support)" "$E $C $F" "before the change: E (score 5), C (3), F (1)"
FR=$(( $(ix "$F" enqueued) - 10 * 60000 ))
like "$(fc mailacd_priority "$F" 10 operator)" '"priority":10' \
    "mailacd_priority: F from priority 0 to 10"
is "$(ix "$F" rank)/$(rcli ZSCORE "${P}queue:support" "$(member "$F")")/$(rcli ZSCORE "${P}bucket:support:$(ix "$F" req)" "$(member "$F")")" \
    "$FR/$FR/$FR" "one re-insert: the hash, the queue and the bucket carry the new rank"
like "$(fc mailacd_priority "$F" 1001 operator)" '^(ERR )?BADARG priority must be' \
    "priority 1001 refused"
like "$(fc mailacd_priority "$F" 2.5 operator)" '^(ERR )?BADARG ' "priority 2.5 refused"
is "$(waiting support)" "$F $E $C" "F at priority 10 (score 11) now first"
OUT=$(fc mailacd_close "$D" a1)
is "$(given "$OUT")" "$F:a1:queue" "the re-ranked F is given next"
like "$(j "$OUT" 'd["assigned"][0]["score"]')" '^11\.0[0-9]$' "with score 11"
is "$(given "$(fc mailacd_close "$F" a1)")" "$E:a1:queue" "then E (score 5)"
is "$(given "$(fc mailacd_close "$E" a1)")" "$C:a1:queue" "then C (score 3)"

# --- 2. eligibility -----------------------------------------------------------
reset
ROSTER_G='g1 g1@corp.example general en 1 support
    g2 g2@corp.example General,Billing EN,de 1 support'
ROSTER_X='x1 x1@corp.example general,billing,vip en,es,de 2 sales'
# shellcheck disable=SC2086
fc mailacd_sync 2 support longest-idle 0 sales longest-idle 0 4 $ROSTER_G \
    s1 s1@corp.example general es 3 support $ROSTER_X >/dev/null
K1=$(I 0x201) L1=$(I 0x202) L2=$(I 0x203) L3=$(I 0x204) L4=$(I 0x205)
M1=$(I 0x206) M2=$(I 0x207) N1=$(I 0x208)
NOW=$(now_ms)
ingest "$K1" support 5 60000 'billing,GENERAL'
is "$REP" "1/" "K1 (skills billing and general) waits: nobody is available"
is "$(given "$(fc mailacd_presence g1 available)")" "" \
    "g1 (general only) does not get K1: every required skill is needed"
is "$(given "$(fc mailacd_presence x1 available)")" "" \
    "x1 has the skills but is not in queue support: gets nothing"
is "$(rcli ZSCORE "${P}ready:support" x1)/$(rcli ZSCORE "${P}ready:support" g1)" \
    "/$(rcli HGET "${P}agent:g1" since)" \
    "ready:support holds g1 (scored by its 'since'), not x1 (ready in sales)"
Z0=$(I 0x209)
rcli HSET "${P}agent:g1" queues sales >/dev/null
ingest "$Z0" support 0 0
is "$REP/$(rcli ZSCORE "${P}ready:support" g1)" "1//" \
    "g1's hash changed to queue sales by another program: no Z0 from support for g1"
rcli HSET "${P}agent:g1" queues support >/dev/null
is "$(given "$(fc mailacd_fill g1)")" "$Z0:g1:queue" \
    "changed back: mailacd_fill gives g1 Z0"
fc mailacd_close "$Z0" g1 >/dev/null
is "$(given "$(fc mailacd_presence g2 available)")" "$K1:g2:queue" \
    "g2 (General,Billing) takes K1 as it becomes available: skills ignore case"
ingest "$L1" support 0 30000 general es
is "$REP" "1/" "L1 in Spanish waits: g1 is ready but speaks only English"
is "$(given "$(fc mailacd_presence s1 available)")" "$L1:s1:queue" \
    "s1 (es) takes L1 as it becomes available"
ingest "$L2" support 0 20000
is "$REP" "1/g1" "L2 without a language goes to an English speaker (g1)"
ingest "$L3" support 0 10000
is "$REP" "1/s1" "L3 without a language goes to a Spanish speaker (s1)"
ingest "$L4" support 0 5000 '' EN
is "$REP" "1/" "L4 in EN waits: g1 and g2 are full, s1 speaks only es"
ingest "$M1" support 0 4000
is "$REP" "1/s1" "M1 is s1's third"
ingest "$M2" support 0 3000
is "$REP" "1/" "M2 waits: s1 holds 3 of 3, the others are full"
is "$(load s1)/$(load g1)/$(load g2)" "3/1/1" "nobody above capacity; capacity 3 gets 3"
fc mailacd_presence s1 away >/dev/null
OUT=$(fc mailacd_close "$L1" test)
is "$(given "$OUT")/$(load s1)/$(waiting support)" "/2/$L4 $M2" \
    "s1 away: closing L1 frees a slot, but s1 takes nothing"
OUT=$(fc mailacd_presence s1 offline)
is "$(given "$OUT")/$(j "$OUT" 'd["was"]')" "/away" "s1 offline: takes nothing"
OUT=$(fc mailacd_close "$L3" test)
is "$(given "$OUT")/$(load s1)/$(waiting support)" "/1/$L4 $M2" \
    "s1 offline: closing L3 frees another, still nothing taken"
OUT=$(fc mailacd_presence s1 available)
is "$(given "$OUT")" "$M2:s1:queue" \
    "s1 available again takes M2 at once (L4 ahead of it is in EN)"
# s1 leaves the roster
# shellcheck disable=SC2086
OUT=$(fc mailacd_sync 2 support longest-idle 0 sales longest-idle 0 3 \
    $ROSTER_G $ROSTER_X)
is "$OUT" '{"agents":3,"queues":2}' "the roster without s1 is written"
is "$(rcli HGET "${P}agent:s1" presence)/$(rcli HGET "${P}agent:s1" roster)" \
    "offline/0" "s1 is offline and out of the roster"
is "$(held s1)" "$M1 $M2" "s1 keeps what it holds"
is "$(rcli ZSCORE "${P}ready:support" s1)/$(rcli SISMEMBER "${P}agents" s1)" "/0" \
    "s1 is in no ready set and not in agents"
ingest "$N1" support 0 1000
is "$REP" "1/" "N1 waits: s1 no longer takes work"
OUT=$(fc mailacd_close "$M1" test)
is "$(given "$OUT")/$(load s1)/$(waiting support)" "/1/$L4 $N1" \
    "closing what s1 holds frees it, but s1 takes nothing"
like "$(fc mailacd_presence s1 available)" '^NOAGENT ' \
    "s1 cannot become available: NOAGENT"
is "$(given "$(fc mailacd_close "$L2" test)")" "$L4:g1:queue" \
    "g1 freed takes L4 (EN, first in line): languages ignore case"

# --- 3. a freed agent takes the best it may serve, over all its queues ------
reset
fc mailacd_sync 2 support longest-idle 0 sales longest-idle 0 1 \
    f1 f1@corp.example general en 1 support,sales >/dev/null
fc mailacd_presence f1 available >/dev/null
H0=$(I 0x300) W1=$(I 0x301) W2=$(I 0x302) W3=$(I 0x303) W4=$(I 0x304) W5=$(I 0x305)
W6=$(I 0x306) W7=$(I 0x307) W8=$(I 0x308)
NOW=$(now_ms)
ingest "$H0" support 0 0
is "$REP" "1/f1" "f1 takes H0 on arrival"
ingest "$W1" support 50 60000 '' es	# score 51, Spanish
ingest "$W2" support 40 60000 vip	# score 41, a skill f1 lacks
ingest "$W3" support 5 120000 general en	# score 7
ingest "$W6" support 1 60000 General EN	# score 2, same bucket as W3
ingest "$W4" sales 10 60000		# score 11, the other queue
ingest "$W5" sales 0 300000 '' en	# score 5
ingest "$W7" support 1 30000 general	# score 1.5
ingest "$W8" sales 0 90000		# score 1.5, arrived before W7
is "$(rcli HLEN "${P}buckets:support")/$(rcli HLEN "${P}buckets:sales")" "4/2" \
    "support has 4 requirement buckets (es, vip, en+general, general), sales 2"
is "$(given "$(fc mailacd_close "$H0" f1)")" "$W4:f1:queue" \
    "freed f1 takes W4 (score 11, sales), skipping W1 (51, Spanish) and W2 (41, vip) ahead of it"
is "$(given "$(fc mailacd_close "$W4" f1)")" "$W3:f1:queue" "then W3 (score 7, support)"
is "$(given "$(fc mailacd_close "$W3" f1)")" "$W5:f1:queue" "then W5 (score 5, sales)"
is "$(given "$(fc mailacd_close "$W5" f1)")" "$W6:f1:queue" "then W6 (score 2)"
is "$(given "$(fc mailacd_close "$W6" f1)")" "$W8:f1:queue" \
    "then W8 (score 1.5, sales), which ties with W7 (support) but arrived first"
is "$(given "$(fc mailacd_close "$W8" f1)")" "$W7:f1:queue" "then W7"
is "$(given "$(fc mailacd_close "$W7" f1)")" "" "then nothing: W1 and W2 are not for f1"
is "$(waiting support)/$(waiting sales)" "$W1 $W2/" "W1 and W2 still wait"
is "$(rcli HLEN "${P}buckets:support")/$(rcli HLEN "${P}buckets:sales")" "2/0" \
    "emptied buckets are dropped from buckets:Q"
OUT=$(fc mailacd_sync 2 support longest-idle 0 sales longest-idle 0 1 \
    f1 f1@corp.example general,VIP en,es 2 support,sales)
is "$(given "$OUT")" "$W1:f1:queue $W2:f1:queue" \
    "a roster that gives f1 Spanish, vip and room for 2: W1 and W2 assigned at once"

# --- 4. strategies on arrival -------------------------------------------------
reset
fc mailacd_sync 3 li longest-idle 0 lb least-busy 0 rr round-robin 0 9 \
    a a@corp.example general en 2 li b b@corp.example general en 2 li \
    c c@corp.example general en 2 li d d@corp.example general en 3 lb \
    e e@corp.example general en 3 lb f f@corp.example general en 3 lb \
    r1 r1@corp.example general en 3 rr r2 r2@corp.example general en 3 rr \
    r3 r3@corp.example general en 3 rr >/dev/null
NOW=$(now_ms)
n=0
# arrive QUEUE: one more interaction into QUEUE; prints who took it
arrive() {
	n=$((n + 1))
	ingest "$(I $((0x400 + n)))" "$1" 0 0
	GOT="$GOT ${REP#1/}"
	sleep 0.01
}
for a in b c a; do
	fc mailacd_presence $a available >/dev/null
	sleep 0.01
done
GOT=
arrive li; arrive li; arrive li; arrive li
is "$GOT" " b c a b" \
    "longest-idle: b, c, a in the order they became available, then b again"
is "$(rcli ZRANGE "${P}ready:li" 0 -1 | paste -sd' ' -)" "c a" \
    "ready:li: c (idle since its first) before a"
rcli HSET "${P}agent:a" since 1 >/dev/null
fc mailacd_fill a >/dev/null
is "$(rcli ZRANGE "${P}ready:li" 0 -1 | paste -sd' ' -)" "a c" \
    "a's 'since' set to the oldest: a leads ready:li after mailacd_fill"
GOT=
arrive li
is "$GOT" " a" "longest-idle: the next goes to a, whose 'since' is oldest"
fc mailacd_close "$(I 0x403)" a >/dev/null
sleep 0.01
fc mailacd_close "$(I 0x402)" c >/dev/null
GOT=
arrive li
is "$GOT" " a" \
    "longest-idle counts from the last close: a closed before c and gets the next"
GOT=
fc mailacd_presence d available >/dev/null
arrive lb; arrive lb
fc mailacd_presence e available >/dev/null
arrive lb
fc mailacd_presence f available >/dev/null
arrive lb
is "$GOT" " d d e f" "least-busy: d alone takes 2, then e and f one each as they come"
GOT=
arrive lb; arrive lb; arrive lb
is "$GOT" " e f d" \
    "least-busy: e (1 held, idle longer than f), f (1), then d (all 2, d idle longest)"
for a in r3 r2 r1; do
	fc mailacd_presence $a available >/dev/null
	sleep 0.01
done
GOT=
arrive rr; arrive rr; arrive rr; arrive rr
# shellcheck disable=SC2086
set -- $GOT
s0=$1 s1=$2 s2=$3
# shellcheck disable=SC2086
is "$(printf '%s\n' $GOT | sort -u | paste -sd' ' -)/$4" "r1 r2 r3/$s0" \
    "round-robin: three arrivals go to three agents, the fourth to the first again"
# s1 becomes the most recently idle and s0 holds 2: only round-robin picks s1
fc mailacd_presence "$s1" away >/dev/null
fc mailacd_presence "$s1" available >/dev/null
GOT=
arrive rr; arrive rr; arrive rr
is "$GOT" " $s1 $s2 $s0" \
    "round-robin: then $s1, $s2, $s0 in turn, whatever their idle time and load"

# --- 5. close -----------------------------------------------------------------
reset
fc mailacd_sync 1 support longest-idle 0 1 \
    k1 k1@corp.example general en 1 support >/dev/null
fc mailacd_presence k1 available >/dev/null
K1=$(I 0x501) K2=$(I 0x502) K3=$(I 0x503)
NOW=$(now_ms)
ingest "$K1" support 0 0
is "$REP" "1/k1" "k1 takes K1"
ingest "$K2" support 5 0
ingest "$K3" support 9 0 tech
is "$(waiting support)" "$K3 $K2" "K3 (tech, k1 lacks it) and K2 wait"
OUT=$(fc mailacd_close "$K1" k1)
is "$(j "$OUT" 'd["was"]')/$(given "$OUT")" "assigned/$K2:k1:queue" \
    "closing K1 frees k1, who gets K2 in the same call (reply 'assigned')"
is "$(ix "$K1" state)/$(ix "$K1" closed_by)/$(held k1)" "closed/k1/$K2" \
    "K1 closed by k1; k1 holds only K2"
n=$(nassigned)
at=$(ix "$K1" closed)
OUT=$(fc mailacd_close "$K1" someone)
is "$(j "$OUT" 'd.get("already")')/$(given "$OUT")" "true/" "closing K1 twice: already"
is "$(held k1)/$(nassigned)/$(ix "$K1" closed)/$(ix "$K1" closed_by)" \
    "$K2/$n/$at/k1" "and harmless: nothing changed"
REQ=$(ix "$K3" req)
MK3=$(member "$K3")
OUT=$(fc mailacd_close "$K3" operator)
is "$(j "$OUT" 'd["was"]')/$(ix "$K3" state)/$(given "$OUT")" "waiting/closed/" \
    "closing the waiting K3"
is "$(rcli ZSCORE "${P}queue:support" "$MK3")/$(waiting support)" "/" \
    "removes it from queue:support"
is "$(rcli EXISTS "${P}bucket:support:$REQ")/$(rcli HEXISTS "${P}buckets:support" "$REQ")" \
    "0/0" "and from its bucket"
DAY=$(date -u -d "@$(( $(ix "$K1" closed) / 1000 ))" +%F)
is "$(rcli HGET "${P}stats:support:$DAY" closed)" 2 "2 closes counted, not 3"
like "$(fc mailacd_close "$(I 0xdead)" x)" '^NOIX ' "closing an unknown id: NOIX"

# --- 6. transfer --------------------------------------------------------------
reset
fc mailacd_sync 2 support longest-idle 0 sales longest-idle 0 2 \
    t1 t1@corp.example general en 1 support,sales \
    t2 t2@corp.example general en 1 sales >/dev/null
fc mailacd_presence t1 available >/dev/null
fc mailacd_presence t2 available >/dev/null
T1=$(I 0x601) T2=$(I 0x602)
NOW=$(now_ms)
ingest "$T1" support 3 90000
is "$REP" "1/t1" "t1 takes T1 (support)"
RK=$(ix "$T1" rank)
OUT=$(fc mailacd_transfer "$T1" sales t1)
is "$(j "$OUT" 'd["from"]+">"+d["queue"]')/$(given "$OUT")" \
    "support>sales/$T1:t2:transfer" \
    "t1 transfers T1 to sales: t2 gets it, not t1 (also in sales, now free)"
like "$(j "$OUT" 'd["assigned"][0]["score"]')" '^4\.5[0-9]$' \
    "with the same score (1.5 min + priority 3)"
is "$(ix "$T1" queue)/$(ix "$T1" rank)/$(ix "$T1" agent)/$(ix "$T1" transfers)/$(ix "$T1" transferred_by)" \
    "sales/$RK/t2/1/t1" "T1 keeps its id and rank, now in sales with t2"
is "$(held t1)/$(held t2)/$(rcli SMEMBERS "${P}assigned:support")/$(rcli SMEMBERS "${P}assigned:sales")" \
    "/$T1//$T1" "t1 holds nothing; assigned:support empty, assigned:sales has T1"
like "$(rcli LINDEX "${P}agent:t1:inbox" 0)" '"event":"transferred"' \
    "t1's inbox says it was transferred"
# t2 gives T1 back to sales while t1 is away: t2 is the only one left
fc mailacd_presence t1 away >/dev/null
ingest "$T2" sales 0 10000
is "$REP" "1/" "T2 waits in sales (t2 full, t1 away)"
OUT=$(fc mailacd_transfer "$T1" sales t2)
is "$(given "$OUT")" "$T2:t2:queue" \
    "t2 transfers T1 within sales: t2 does not get T1 back, takes T2 (behind it)"
is "$(ix "$T1" state)/$(rcli ZSCORE "${P}queue:sales" "$(member "$T1")")" \
    "waiting/$RK" "T1 waits in sales with its rank"
is "$(given "$(fc mailacd_presence t1 available)")" "$T1:t1:queue" \
    "t1, available again, takes T1"
# t3 has room for two: still it does not get back what it transferred
fc mailacd_sync 3 support longest-idle 0 sales longest-idle 0 \
    back longest-idle 0 3 t1 t1@corp.example general en 1 support,sales \
    t2 t2@corp.example general en 1 sales \
    t3 t3@corp.example general en 2 back >/dev/null
fc mailacd_presence t3 available >/dev/null
T3=$(I 0x603)
ingest "$T3" back 0 5000
is "$REP" "1/t3" "t3 (capacity 2) takes T3"
OUT=$(fc mailacd_transfer "$T3" back t3)
is "$(given "$OUT")/$(ix "$T3" state)/$(held t3)/$(load t3)" "/waiting//0" \
    "t3 transfers T3 within its queue: T3 waits, t3 is not given it back"
is "$(given "$(fc mailacd_fill t3)")" "$T3:t3:queue" \
    "that holds for the transfer only: mailacd_fill gives t3 T3"
fc mailacd_close "$T2" t2 >/dev/null
like "$(fc mailacd_transfer "$T2" support x)" '^BADSTATE ' \
    "transferring a closed interaction: BADSTATE"
like "$(fc mailacd_transfer "$T1" nosuch x)" '^NOQUEUE ' "to an unknown queue: NOQUEUE"
like "$(fc mailacd_transfer "$(I 0xdead)" sales x)" '^NOIX ' "an unknown id: NOIX"
like "$(fc mailacd_presence nobody available)" '^NOAGENT ' \
    "presence of an unknown agent: NOAGENT"
like "$(fc mailacd_fill nobody)" '^NOAGENT ' "fill of an unknown agent: NOAGENT"
like "$(fc mailacd_presence t1 busy)" '^BADARG ' "presence 'busy': BADARG"
like "$(rcli FCALL mailacd_close 1 'mailacd:acme:schema' "$T1" x 2>&1)" '^BADARG ' \
    "a schema key without {ORG}: BADARG"
rcli SET "$S" 2 >/dev/null
like "$(fc mailacd_close "$T1" x)" '^SCHEMA ' "data of another schema: SCHEMA"
rcli SET "$S" 1 >/dev/null
is "$(ix "$T1" state)/$(held t1)/$(ix "$T2" state)/$(rcli HGET "${P}agent:t1" presence)" \
    "assigned/$T1/closed/available" "the refused calls changed nothing"

# --- 7. follow-ups and replays ----------------------------------------------
reset
fc mailacd_sync 1 support longest-idle 0 2 \
    u1 u1@corp.example general en 1 support \
    u2 u2@corp.example general en 1 support >/dev/null
fc mailacd_presence u1 available >/dev/null
R1=$(I 0x701)
NOW=$(now_ms)
ingest "$R1" support 5 120000
E1=$ENTRY
is "$REP" "1/u1" "u1 takes R1"
A1=$(ix "$R1" enqueued)
RK=$(ix "$R1" rank)
fc mailacd_close "$R1" u1 >/dev/null
followup "$R1" support 5 "$A1"
E2=$ENTRY
is "$REP" "3/u1" "a follow-up of closed R1 goes back to u1 (available, free)"
is "$(ix "$R1" state)/$(ix "$R1" agent)/$(ix "$R1" followups)/$(ix "$R1" entry)/$(ix "$R1" last_subject)" \
    "assigned/u1/1/$E2/Re: $R1" "R1 assigned again, the follow-up recorded"
is "$(rcli XREVRANGE "${P}assignments" + - COUNT 1 | sed -n '/^how$/{n;p;}')" reply \
    "the assignment says how=reply"
rcli XREADGROUP GROUP routers t1 COUNT 100 STREAMS "${P}ingest" '>' >/dev/null
is "$(rcli XPENDING "${P}ingest" routers | sed -n 1p)" 2 "both entries delivered again"
n=$(nassigned)
ingest_entry "$E2" "$R1" support 5 "$A1" '' '' subject "Re: $R1"
is "$REP" "0/" "replaying the follow-up entry: 0 (already handled)"
ingest_entry "$E1" "$R1" support 5 "$A1" '' ''
is "$REP" "0/" "replaying the first entry: 0"
is "$(rcli XPENDING "${P}ingest" routers | sed -n 1p)" 0 "both acknowledged"
is "$(ix "$R1" followups)/$(ix "$R1" state)/$(ix "$R1" entry)/$(nassigned)/$(held u1)" \
    "1/assigned/$E2/$n/$R1" "and nothing else changed"
# an older entry arriving after a newer one (taken over late from a dead
# router) is a follow-up, not a replay, and does not overwrite the newest
OLD=$(rcli XADD "${P}ingest" '*' v 1 id "$R1" org acme queue support \
    priority 5 arrived "$A1" subject "late")
NEW=$(rcli XADD "${P}ingest" '*' v 1 id "$R1" org acme queue support \
    priority 5 arrived "$A1" subject "newest")
ingest_entry "$NEW" "$R1" support 5 "$A1" '' '' subject "newest"
ingest_entry "$OLD" "$R1" support 5 "$A1" '' '' subject "late"
is "$REP" "3/" "an older entry taken late is counted as a follow-up"
is "$(ix "$R1" followups)/$(ix "$R1" last_subject)/$(ix "$R1" entry)" \
    "3/newest/$NEW" "without replacing what the newest message said"
ingest_entry "$OLD" "$R1" support 5 "$A1" '' '' subject "late"
is "$REP/$(ix "$R1" followups)" "0//3" "replaying it again: acknowledged only"
like "$(rcli FCALL mailacd_close 1 "$S" 0000000000000000000000000000dead x 2>&1)" \
    '^(ERR )?NOIX no interaction 0000000000000000000000000000dead$' \
    "an error reply is one line with its code, no script trailer"
followup "$R1" support 5 "$A1"
is "$REP/$(ix "$R1" state)/$(ix "$R1" agent)/$(ix "$R1" followups)/$(nassigned)" \
    "3//assigned/u1/4/$n" "a follow-up of an assigned interaction stays with u1"
like "$(rcli LINDEX "${P}agent:u1:inbox" 0)" '"event":"followup"' \
    "u1's inbox gets a followup event"
fc mailacd_close "$R1" u1 >/dev/null
fc mailacd_presence u1 away >/dev/null
followup "$R1" support 5 "$A1"
is "$REP/$(ix "$R1" state)" "3//waiting" \
    "u1 away, nobody else available: the follow-up reopens R1, waiting"
is "$(rcli ZSCORE "${P}queue:support" "$(member "$R1")")/$(ix "$R1" rank)" "$RK/$RK" \
    "in queue:support with its original rank (same score)"
followup "$R1" support 5 "$A1"
is "$REP/$(ix "$R1" state)/$(waiting support)/$(ix "$R1" followups)" "3//waiting/$R1/6" \
    "another follow-up while it waits: it keeps its place"
is "$(given "$(fc mailacd_presence u1 available)")" "$R1:u1:queue" \
    "u1 available again takes it"
fc mailacd_close "$R1" u1 >/dev/null
fc mailacd_presence u1 away >/dev/null
fc mailacd_presence u2 available >/dev/null
followup "$R1" support 5 "$A1"
is "$REP" "3/u2" "u1 away, u2 ready: the follow-up goes to u2"
is "$(rcli XREVRANGE "${P}assignments" + - COUNT 1 | sed -n '/^how$/{n;p;}')" reopened \
    "how=reopened"
like "$(rcli XREVRANGE "${P}assignments" + - COUNT 1 | sed -n '/^score$/{n;p;}')" \
    '^7\.[0-9]{2}$' "with its original score (2 min + priority 5)"
# u2 moves to another queue: follow-ups no longer go back to it
fc mailacd_close "$R1" u2 >/dev/null
fc mailacd_sync 2 support longest-idle 0 other longest-idle 0 2 \
    u1 u1@corp.example general en 1 support \
    u2 u2@corp.example general en 1 other >/dev/null
followup "$R1" support 5 "$A1"
is "$REP/$(ix "$R1" state)/$(held u2)/$(waiting support)" "3//waiting//$R1" \
    "u2, now only in queue other, does not get R1's follow-up: R1 waits in support"
# automatic mail (an auto-reply, a bounce) to a closed interaction is
# recorded but does not reopen it
fc mailacd_presence u1 available >/dev/null
fc mailacd_close "$R1" operator >/dev/null
n=$(nassigned)
AU=$(rcli XADD "${P}ingest" '*' v 1 id "$R1" org acme queue support \
    priority 5 arrived "$A1" auto auto-submitted)
ingest_entry "$AU" "$R1" support 5 "$A1" '' '' auto auto-submitted
is "$REP/$(ix "$R1" state)/$(ix "$R1" auto_followups)/$(ix "$R1" last_auto)/$(nassigned)" \
    "3//closed/1/auto-submitted/$n" \
    "an auto-submitted follow-up is recorded; R1 stays closed, nobody assigned"

# --- 8. publication and statistics -----------------------------------------
reset
fc mailacd_sync 2 support longest-idle 60 sales longest-idle 0 1 \
    p1 p1@corp.example general en 3 support,sales >/dev/null
spawn sub "$T_TMP/sub.log" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --raw \
    SUBSCRIBE "${P}assignments"
SUB_PID=$SPAWNED_PID
subscribed() {
	[ "$(rcli PUBSUB NUMSUB "${P}assignments" | sed -n 2p)" = 1 ]
}
ok "a subscriber listens on channel ${P}assignments" wait_for 10 subscribed
Q1=$(I 0x801) Q2=$(I 0x802) Q3=$(I 0x803)
NOW=$(now_ms)
ingest "$Q1" support 0 30000	# within the 60 s service level
ingest "$Q2" support 0 120000	# not within
OUT=$(fc mailacd_presence p1 available)
is "$(given "$OUT")" "$Q2:p1:queue $Q1:p1:queue" \
    "p1 (capacity 3) becoming available takes both waiting, best first"
ingest "$Q3" sales 2 10000	# no service level
is "$REP/$(held p1)" "1/p1/$Q1 $Q2 $Q3" "and Q3 on arrival"
is "$(rcli XRANGE "${P}assignments" - + | sed -n '/^id$/{n;p;}' | paste -sd' ' -)" \
    "$Q2 $Q1 $Q3" "each assignment is an entry of stream ${P}assignments"
like "$(rcli XRANGE "${P}assignments" - + COUNT 1 | sed 1d | paste -sd' ' -)" \
    "^id $Q2 agent p1 queue support wait 120[0-9]{3} score 2\.0[0-9] how queue at [0-9]{13}\$" \
    "with fields id agent queue wait score how at"
OUT=$(rcli LINDEX "${P}agent:p1:inbox" 0)
is "$(j "$OUT" '"/".join(str(d[k]) for k in ("event", "id", "agent", "queue", "how"))')" \
    "assigned/$Q3/p1/sales/arrival" "the newest assignment is first on p1's inbox, as JSON"
like "$(j "$OUT" 'd["score"]')/$(j "$OUT" 'd["wait_ms"] >= 10000')" '^2\.(1[6-9]|2[0-9])/true$' \
    "with score and wait_ms"
is "$(rcli LLEN "${P}agent:p1:inbox")" 3 "three on the inbox"
published() { [ "$(grep -c '^{' "$T_TMP/sub.log")" -ge 3 ]; }
ok "three messages published on the channel" wait_for 10 published
is "$(grep '^{' "$T_TMP/sub.log" | tac)" "$(rcli LRANGE "${P}agent:p1:inbox" 0 -1)" \
    "the very messages of the inbox, in order"
kill_pid "$SUB_PID"
t_forget "$SUB_PID"
DAY=$(date -u -d "@$(( $(ix "$Q1" assigned) / 1000 ))" +%F)
SK="${P}stats:support:$DAY"
is "$(rcli HMGET "$SK" assigned answered within | paste -sd/ -)" "2/2/1" \
    "stats:support:$DAY: 2 assigned, 2 answered, 1 within the 60 s service level"
w=$(rcli HGET "$SK" wait_ms)
ok "wait_ms adds up the waits ($w)" test "$w" -ge 150000 -a "$w" -lt 170000
is "$(rcli HMGET "${P}stats:sales:$DAY" assigned answered within | paste -sd/ -)" "1/1/" \
    "sales has no service level: no 'within'"
t=$(rcli TTL "$SK")
ok "statistics expire (after 90 days: $t s)" test "$t" -gt 7775000 -a "$t" -le 7776000
fc mailacd_close "$Q1" p1 >/dev/null
followup "$Q1" support 0 "$(ix "$Q1" enqueued)"
is "$REP/$(rcli HMGET "$SK" assigned answered within | paste -sd/ -)" "3/p1/3/2/1" \
    "a follow-up's assignment counts as assigned, not answered again"
is "$(rcli HMGET "$SK" offered wait_le_60 wait_le_300 | paste -sd/ -)" "2/1/1" \
    "2 offered (the follow-up is not offered again), the waits in buckets of 60 and 300 s"
is "$(rcli HMGET "${P}stats:sales:$DAY" offered wait_le_30 | paste -sd/ -)" "1/1" \
    "sales: 1 offered, its 10 s wait in the bucket of 30 s"
H=$(date -u -d "@$(( $(ix "$Q1" assigned) / 1000 ))" +%FT%H)
is "$(rcli HGET "${P}stats:support:$H" assigned)" "$(rcli HGET "$SK" assigned)" \
    "stats:support:$H, the hour's hash, counts the follow-up's assignment too"
t=$(rcli TTL "${P}stats:support:$H")
ok "the hour's statistics expire after 90 days too ($t s)" test "$t" -gt 7775000 -a "$t" -le 7776000
is "$(rcli HMGET "${P}totals:support" offered assigned answered within wait_sum_ms wait_le_60 | paste -sd/ -)" \
    "2/3/2/1/$(rcli HGET "$SK" wait_ms)/1" "totals:support counts the same, the waits as wait_sum_ms"
is "$(rcli TTL "${P}totals:support")" -1 "the totals never expire"
fc mailacd_transfer "$Q2" sales operator >/dev/null
is "$(rcli HGET "$SK" transferred)/$(rcli HMGET "${P}stats:sales:$DAY" offered assigned | paste -sd/ -)/$(ix "$Q2" state)" \
    "1/2/1/waiting" "a transfer to sales: transferred in support, offered in sales; it waits (p1 gave it away)"
held=$(ix "$Q2" held_ms)
ok "held_ms: how long p1 held Q2 ($held ms)" test "$held" -gt 0 -a "$held" -lt 60000
fc mailacd_close "$Q2" operator >/dev/null
is "$(rcli HMGET "${P}stats:sales:$DAY" closed handled handled_ms | paste -sd/ -)/$(ix "$Q2" held_closed_ms)" \
    "1/1/$held/$held" "closed while waiting after p1 held it: handled, for the time held"
is "$(rcli HMGET "${P}totals:sales" closed handled handled_ms transferred | paste -sd/ -)/$(rcli HGET "${P}totals:support" transferred)" \
    "1/1/$held//1" "and in the totals"
is "$("$PYTHON" "$PY" check "$REDIS_PORT" | grep '^stats: ')" "" \
    "each day is the sum of its hours, the totals the sum of the days, the buckets of the answered"

# --- 9. invariants after a random-ish sequence ------------------------------
reset
OUT=$("$PYTHON" "$PY" random "$REDIS_PORT" 5030 200 2>&1)
note "$(printf '%s\n' "$OUT" | grep '^summary')"
is "$(printf '%s\n' "$OUT" | grep -v '^summary')" "" \
    "200 interactions, 10 agents, presence changes, closes, follow-ups, transfers: no call failed, every check passed, no total went down after any call"
SUM=$(printf '%s\n' "$OUT" | grep '^summary')
count() { printf '%s\n' "$SUM" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
ok "the sequence assigned on arrival, closed, reopened and transferred" test \
    "$(count ingest-assigned)" -gt 10 -a "$(count close-assigned)" -gt 10 -a \
    "$(count close-waiting)" -gt 5 -a "$(count transfer)" -gt 5 -a \
    "$(count followup-other)" -gt 5 -a "$(count interactions)" -eq 200
ok "and ended with interactions waiting, assigned and closed" test \
    "$(count waiting)" -gt 0 -a "$(count assigned)" -gt 0 -a "$(count closed)" -gt 0
CHECK=$("$PYTHON" "$PY" check "$REDIS_PORT" 2>&1)
for c in capacity exclusive state idle ready stats; do
	case $c in
	capacity) d="every agent holds at most its capacity" ;;
	exclusive) d="every interaction waits in one queue, is held by one agent, or is closed" ;;
	state) d="queues, buckets, assigned sets and interaction hashes agree" ;;
	idle) d="nothing waits that a ready, eligible agent could take" ;;
	ready) d="ready:Q holds exactly the ready agents of Q" ;;
	stats) d="the statistics agree: days, hours, totals, wait buckets" ;;
	esac
	is "$(printf '%s\n' "$CHECK" | grep "^$c: " | sed 5q)" "" "$d"
done

# --- 10. concurrent callers -------------------------------------------------
# three workers close, ingest, change presence, follow up and transfer on
# the same data at once; snapshots are checked while they run
for w in 1 2 3; do
	spawn "w$w" "$T_TMP/w$w.log" "$PYTHON" "$PY" worker "$REDIS_PORT" "$w" "d$w" 4
	eval "W$w=\$SPAWNED_PID"
done
running() { t_alive "$W1" || t_alive "$W2" || t_alive "$W3"; }
: >"$T_TMP/during"
snaps=0
while running; do
	"$PYTHON" "$PY" check "$REDIS_PORT" >>"$T_TMP/during" 2>&1
	"$PYTHON" "$PY" totals "$REDIS_PORT" "$T_TMP/totals.json" >>"$T_TMP/during" 2>&1
	snaps=$((snaps + 1))
	sleep 0.2
done
for w in "$W1" "$W2" "$W3"; do
	t_reap "$w"
	t_forget "$w"
done
note "$(cat "$T_TMP/w1.log" "$T_TMP/w2.log" "$T_TMP/w3.log")"
is "$(grep -v '^summary' "$T_TMP/w1.log" "$T_TMP/w2.log" "$T_TMP/w3.log")" "" \
    "no call of the workers failed"
calls() { sed -n 's/^summary calls=\([0-9]*\).*/\1/p' "$T_TMP/$1.log"; }
ok "each worker made many calls ($(calls w1), $(calls w2), $(calls w3))" test \
    "$(calls w1)" -gt 200 -a "$(calls w2)" -gt 200 -a "$(calls w3)" -gt 200
ok "$snaps snapshots were taken while they ran" test "$snaps" -ge 3
is "$(grep -E '^(capacity|exclusive): ' "$T_TMP/during" | sed 5q)" "" \
    "while they ran: no interaction held twice, no agent over capacity"
is "$(grep -v -E '^(capacity|exclusive|totals): ' "$T_TMP/during" | sed 5q)" "" \
    "while they ran: every other invariant held in every snapshot"
is "$(grep -E '^totals: ' "$T_TMP/during" | sed 5q)" "" \
    "while they ran: no total ever went down from one snapshot to the next"
CHECK=$("$PYTHON" "$PY" check "$REDIS_PORT" 2>&1)
is "$(printf '%s\n' "$CHECK" | sed 5q)" "" "afterwards every invariant holds"
is "$(rcli EVAL 'local n = 0
	for _, k in ipairs(redis.call("KEYS", ARGV[1] .. "agent:*:ix")) do
		n = n + redis.call("SCARD", k) end
	return n' 0 "$P")" \
    "$(rcli EVAL 'local n = 0
	for _, k in ipairs(redis.call("KEYS", ARGV[1] .. "ix:*")) do
		if redis.call("HGET", k, "state") == "assigned" then n = n + 1 end end
	return n' 0 "$P")" "the agents hold as many as are assigned"

done_testing
