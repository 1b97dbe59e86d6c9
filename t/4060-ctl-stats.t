#!/bin/sh
# 4060-ctl-stats.t - "mailacdctl stats": interactions driven through the
# function library (ingest as the router calls it, presence, close and
# transfer through mailacdctl, a resend given up as the router reports it)
# at times the test sets on Redis's clock (t/lib/fakeclock.c), then the
# numbers of the table and of --json checked exactly: offered, assigned,
# answered, closed, transferred, given up, service level, average and
# 90th-percentile wait, average handling time; by day and by hour, over a
# range of days and in total; the totals that do not expire; today by
# default with the real clock; and every bad input.
. "$(dirname "$0")/lib/harness.sh"
require_tools redis-server redis-cli python3 date
require_build mailacdctl
CTL=$MAILACD_BUILD/mailacdctl

start_redis_clock || bail_out "redis-server did not start"
LIB=$MAILACD_BUILD/common/mailacd.lua
[ -r "$LIB" ] || bail_out "$LIB not built (run make)"
rcli FUNCTION LOAD REPLACE "$(cat "$LIB")" >/dev/null

MILTER_SOCKET=inet:1@127.0.0.1	# never listened on here
CONF=$T_TMP/mailacd.conf
AGENTS='{ id = "alice"; address = "alice@corp.example"; queues = [ "support" ]; },
	{ id = "bruno"; address = "bruno@corp.example"; queues = [ "billing" ]; },
	{ id = "chen"; address = "chen@corp.example"; queues = [ "sales" ]; }'
# support: a 60 s target, billing 300 s, sales none; a second organisation
milter_conf "" "$AGENTS" 'service_level = 60;' |
    sed -e 's/{ name = "billing"; service_level = 60; }/{ name = "billing"; service_level = 300; }/' \
	-e 's/{ name = "sales"; service_level = 60; }/{ name = "sales"; }/' \
	-e '$d' >"$CONF"
cat >>"$CONF" <<'EOF'
	,
	{ id = "beta"; queues = ( { name = "inbox"; } ); }
);
EOF

P='mailacd:{acme}:'
S="${P}schema"
# run ARGS...: mailacdctl; OUT, ERR, RC; every stderr kept for the end
run() {
	"$CTL" -c "$CONF" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
	cat "$T_TMP/err" >>"$T_TMP/all.err"
}
# row QUEUE PERIOD: that row of the table in OUT, spaces squeezed
row() {
	printf '%s\n' "$OUT" | tr -s ' ' | grep "^$1 $2 "
}
# hrow: the header row, spaces squeezed
hrow() { printf '%s\n' "$OUT" | sed 1q | tr -s ' '; }

# The scenario runs on three UTC days, 10 to 8 days ago (well inside the
# 90 days the statistics are kept, by the real clock too).
D0=$(( ($(now_ms) / 86400000 - 10) * 86400000 ))
day() { date -u -d "@$(( (D0 + $1 * 86400000) / 1000 ))" +%F; }
DAY0=$(day 0) DAY1=$(day 1) DAY2=$(day 2)
# at DAY HH:MM:SS: Redis's clock stands at that time of day DAY (0, 1, 2)
at() {
	CLOCK=$(( D0 + $1 * 86400000 + $(echo "$2" |
	    awk -F: '{ print ($1 * 3600 + $2 * 60 + $3) * 1000 }') ))
	redis_clock "$CLOCK"
}
at 0 07:00:00
is "$(rcli TIME | sed 1q)" "$((CLOCK / 1000))" "Redis's clock is the test's"

# the router's part: queues and roster, the ingest stream and its group
rcli XGROUP CREATE "${P}ingest" routers '$' MKSTREAM >/dev/null
rcli FCALL mailacd_sync 1 "$S" 3:4 support longest-idle 60 notify \
    billing longest-idle 300 notify sales longest-idle 0 notify \
    3 alice alice@corp.example '' '' 1 support \
    bruno bruno@corp.example '' '' 1 billing \
    chen chen@corp.example '' '' 1 sales >/dev/null
# ingest ID QUEUE: a new interaction arriving now, handed to the library
# as the router does
ingest() {
	_e=$(rcli XADD "${P}ingest" '*' v 1 id "$1" org acme queue "$2" \
	    priority 0 arrived "$CLOCK")
	rcli FCALL mailacd_ingest 4 "$S" "${P}ix:$1" "${P}queue:$2" \
	    "${P}ingest" routers "$_e" "" "" "$CLOCK" v 1 id "$1" org acme \
	    queue "$2" priority 0 arrived "$CLOCK" >/dev/null
}
I() { printf '%032x' "$1"; }
S1=$(I 0x51) S2=$(I 0x52) S3=$(I 0x53) S4=$(I 0x54) S5=$(I 0x55) L1=$(I 0x61)

# --- the scenario --------------------------------------------------------------
# day 0: four support interactions answered after 5, 20, 45 and 90 s by
# alice (one at a time), held 25, 55 and 65 s; the fourth transferred to
# billing after she held it 72 min 30 s, where bruno holds it 10 min more
at 0 08:00:00; ingest "$L1" sales
at 0 09:00:00; ingest "$S1" support
at 0 09:00:05; run agent alice available
is "$(rcli HGET "${P}ix:$S1" wait)" 5000 "alice takes S1 after 5 s"
at 0 09:00:10; ingest "$S2" support
at 0 09:00:30; run interaction close "$S1"
at 0 09:00:40; ingest "$S3" support
at 0 09:01:00; ingest "$S4" support
at 0 09:01:25; run interaction close "$S2"
at 0 09:02:30; run interaction close "$S3"
is "$(rcli HGET "${P}ix:$S4" agent)/$(rcli HGET "${P}ix:$S4" wait)" "alice/90000" \
    "closing each, alice took the next: S4 after 90 s"
at 0 10:15:00; run interaction transfer "$S4" billing
at 0 10:20:00; run agent bruno available
at 0 10:30:00; run interaction close "$S4"
is "$(rcli HMGET "${P}ix:$S4" held_ms held_closed_ms | paste -sd/ -)" \
    "4950000/4950000" "S4 was held 72 min 30 s by alice and 10 min by bruno"
at 0 10:40:00; run agent alice away
# S5 arrives a minute before midnight and is answered on day 1 after 2
# min; the resend to alice is given up 4 min later, it is closed waiting
at 0 23:59:00; ingest "$S5" support
at 1 00:01:00; run agent alice available
at 1 00:05:00
rcli FCALL mailacd_undeliverable 1 "$S" "$S5" alice '550 5.2.2 mailbox full' >/dev/null
is "$(rcli HGET "${P}ix:$S5" state)" waiting "the given-up resend puts S5 back in support"
at 1 00:10:00; run interaction close "$S5"
# the sales interaction of day 0 08:00 is answered 26 hours later
at 1 10:00:00; run agent chen available
is "$(rcli HGET "${P}ix:$L1" wait)" 93600000 "chen takes L1 after 26 hours"
is "$(cat "$T_TMP/all.err")" "" "every mailacdctl call of the scenario succeeded"

# --- by day ----------------------------------------------------------------------
run stats -o acme --from "$DAY0" --to "$DAY2"
is "$RC" 0 "stats --from --to exits 0"
is "$(hrow)" \
    "QUEUE DAY OFFERED ASSIGNED ANSWERED CLOSED TRANSFERRED GIVEN_UP SERVICE_LEVEL AVG_WAIT P90_WAIT AVG_HANDLE" \
    "the header (one organisation: no ORG column)"
is "$(row support "$DAY0")" \
    "support $DAY0 5 4 4 3 1 0 75% (3/4 in 1m00s) 40s 1m36s 48s" \
    "support, day 0: 5 offered, 4 answered (3 within 60 s), 3 closed, 1 transferred; waits 40 s on average, 96 s at the 90th percentile; held 48 s on average"
is "$(row support "$DAY1")" \
    "support $DAY1 0 1 1 1 0 1 0% (0/1 in 1m00s) 2m00s 1m54s 4m00s" \
    "support, day 1: S5 answered after 2 min, its resend given up, closed after 4 min held"
is "$(row support "$DAY2")" "" "support, day 2: nothing happened, no row"
is "$(row support total)" \
    "support total 5 5 5 4 1 1 60% (3/5 in 1m00s) 56s 1m45s 1m36s" \
    "support over the three days"
is "$(row billing "$DAY0")" \
    "billing $DAY0 1 1 0 1 0 0 - (0/0 in 5m00s) - - 1h22m" \
    "billing, day 0: S4 transferred in (offered, not answered again), handled 1 h 22 min 30 s in all"
is "$(row sales "$DAY0")" "sales $DAY0 1 0 0 0 0 0 - - - -" \
    "sales, day 0: L1 offered, no target"
is "$(row sales "$DAY1")" "sales $DAY1 0 1 1 0 0 0 - 1d02h >1d00h -" \
    "sales, day 1: answered after 26 h; the 90th percentile is past the last bucket"
is "$(printf '%s\n' "$OUT" | sed 1d | awk '{ print $1 "/" $2 }' | tr '\n' ' ')" \
    "support/$DAY0 support/$DAY1 support/total billing/$DAY0 billing/total sales/$DAY0 sales/$DAY1 sales/total " \
    "rows by queue in configuration order, days in order, then the total"

run --json stats -o acme --from "$DAY0" --to "$DAY2"
json_ok "stats --json is JSON"
is "$(jq '(d["from"], d["to"], d["by"], d["from_ms"] == '"$D0"', d["to_ms"] == '"$((D0 + 3 * 86400000))"')')" \
    "('$DAY0', '$DAY2', 'day', True, True)" "JSON: the range, by day, in ms too"
is "$(jq '[(q["queue"], q["service_level_s"], len(q["periods"])) for q in d["queues"]]')" \
    "[('support', 60, 3), ('billing', 300, 3), ('sales', None, 3)]" \
    "JSON: every queue with its target and every day, the empty one too"
is "$(jq '[d["queues"][0]["periods"][0][k] for k in ("period", "offered", "assigned", "answered", "within", "wait_ms", "closed", "handled", "handled_ms", "transferred", "delivery_failed", "service_level", "wait_avg_ms", "wait_p90_ms", "wait_p90_lower_bound", "handle_avg_ms")]')" \
    "['$DAY0', 5, 4, 4, 3, 160000, 3, 3, 145000, 1, 0, 0.75, 40000, 96000, False, 48333]" \
    "JSON: support day 0, every count and what follows from them, in ms"
is "$(jq 'd["queues"][0]["periods"][0]["start_ms"] == '"$D0"'')" true "JSON: a period's start in ms"
is "$(jq '[(k, v) for k, v in d["queues"][0]["total"]["wait_buckets"].items() if v]')" \
    "[('wait_le_10', 1), ('wait_le_30', 1), ('wait_le_60', 1), ('wait_le_120', 2)]" \
    "JSON: the waits' histogram, each answer in one bucket"
is "$(jq 'len(d["queues"][0]["total"]["wait_buckets"])')" 13 "JSON: 13 buckets"
is "$(jq '[d["queues"][0]["total"][k] for k in ("answered", "within", "service_level", "wait_avg_ms", "wait_p90_ms", "handled", "handle_avg_ms")]')" \
    "[5, 3, 0.6, 56000, 105000, 4, 96250]" \
    "JSON: support's total; the 90th percentile interpolated in its bucket (60 + 60 x 1.5/2 s)"
is "$(jq '[d["queues"][0]["periods"][2][k] for k in ("offered", "assigned", "service_level", "wait_avg_ms", "wait_p90_ms", "handle_avg_ms")]')" \
    "[0, 0, None, None, None, None]" "JSON: an empty day is zeros and nulls"
is "$(jq '[d["queues"][2]["periods"][1][k] for k in ("service_level", "wait_avg_ms", "wait_p90_ms", "wait_p90_lower_bound")]')" \
    "[None, 93600000, 86400000, True]" \
    "JSON: past the last bucket, the 90th percentile is its lower bound, a day, and says so"
is "$(jq 'd["queues"][1]["periods"][0]["handle_avg_ms"]')" 4950000 "JSON: billing's handling time"

# --- by hour ------------------------------------------------------------------------
run -o acme stats --by hour --from "$DAY0" --to "$DAY1" --queue support
is "$(hrow)" \
    "QUEUE HOUR OFFERED ASSIGNED ANSWERED CLOSED TRANSFERRED GIVEN_UP SERVICE_LEVEL AVG_WAIT P90_WAIT AVG_HANDLE" \
    "--by hour: the second column is the hour"
is "$(printf '%s\n' "$OUT" | sed 1d | tr -s ' ')" \
"support ${DAY0}T09 4 4 4 3 0 0 75% (3/4 in 1m00s) 40s 1m36s 48s
support ${DAY0}T10 0 0 0 0 1 0 - (0/0 in 1m00s) - - -
support ${DAY0}T23 1 0 0 0 0 0 - (0/0 in 1m00s) - - -
support ${DAY1}T00 0 1 1 1 0 1 0% (0/1 in 1m00s) 2m00s 1m54s 4m00s
support total 5 5 5 4 1 1 60% (3/5 in 1m00s) 56s 1m45s 1m36s" \
    "--queue support by hour: the hours in which something happened, then the same total"
run --json stats --by hour --from "$DAY0" --queue billing -o acme --to "$DAY0"
is "$(jq '(len(d["queues"]), len(d["queues"][0]["periods"]), d["queues"][0]["periods"][10]["period"])')" \
    "(1, 24, '${DAY0}T10')" "--json by hour: 24 hours a day, named as the keys"
is "$(jq '[(p["period"][-2:], p["offered"], p["assigned"], p["closed"], p["handled_ms"]) for p in d["queues"][0]["periods"] if p["offered"] or p["closed"]]')" \
    "[('10', 1, 1, 1, 4950000)]" "--json by hour: billing's day 0 all in 10:00-10:59"
is "$(rcli HMGET "${P}stats:support:${DAY0}T09" offered answered within wait_le_120 | paste -sd/ -)" \
    "4/4/3/1" "the hour's hash in Redis: stats:support:${DAY0}T09"

# --- several organisations, one day -----------------------------------------------
run stats --from "$DAY1" --to "$DAY1"
is "$(hrow)" \
    "ORG QUEUE DAY OFFERED ASSIGNED ANSWERED CLOSED TRANSFERRED GIVEN_UP SERVICE_LEVEL AVG_WAIT P90_WAIT AVG_HANDLE" \
    "two organisations shown: an ORG column"
is "$(printf '%s\n' "$OUT" | sed 1d | awk '{ print $1 "/" $2 "/" $3 "/" $4 }' | tr '\n' ' ')" \
    "acme/support/$DAY1/0 acme/billing/$DAY1/0 acme/sales/$DAY1/0 beta/inbox/$DAY1/0 " \
    "one day: one row per queue, empty ones too, no total"
run stats --to "$DAY1" --queue inbox
is "$RC/$(printf '%s\n' "$OUT" | sed 1d | tr -s ' ')" "0/beta inbox $DAY1 0 0 0 0 0 0 - - - -" \
    "--to alone is that day; --queue finds the organisation that has it"

# --- the totals, which never expire ---------------------------------------------------
is "$(rcli HMGET "${P}totals:support" offered assigned answered within wait_sum_ms closed handled handled_ms transferred delivery_failed | paste -sd/ -)" \
    "5/5/5/3/280000/4/4/385000/1/1" "totals:support adds up every day's counts"
is "$(rcli HMGET "${P}totals:support" wait_le_10 wait_le_30 wait_le_60 wait_le_120 wait_le_300 | paste -sd/ -)" \
    "1/1/1/2/" "and the waits' buckets"
is "$(rcli HMGET "${P}totals:billing" offered assigned answered closed handled_ms | paste -sd/ -)/$(rcli HGET "${P}totals:sales" wait_le_inf)" \
    "1/1//1/4950000/1" "totals:billing (none answered there: no field) and totals:sales"

# --- today, by the real clock -------------------------------------------------------------
redis_clock ""
TODAY=$(date -u +%F)
CLOCK=$(now_ms)
ingest "$(I 0x71)" sales
run stats --queue sales -o acme
AFTER=$(date -u +%F)
if [ "$TODAY" = "$AFTER" ]; then
	is "$RC/$(printf '%s\n' "$OUT" | sed 1d | tr -s ' ')" \
	    "0/sales $TODAY 1 0 0 0 0 0 - - - -" \
	    "no --from or --to: today (UTC), with what just arrived"
	run stats --queue sales -o acme --from yesterday --to today
	is "$(printf '%s\n' "$OUT" | sed 1d | awk '{ print $2 "/" $3 }' | tr '\n' ' ')" \
	    "$TODAY/1 total/1 " "--from yesterday --to today"
	run stats --queue sales -o acme --from "$DAY0"
	is "$(printf '%s\n' "$OUT" | sed 1d | awk '{ print $2 "/" $3 }' | tr '\n' ' ')" \
	    "$DAY0/1 $DAY1/0 $TODAY/1 total/2 " "--from alone runs to today (day 1: L1 assigned)"
else
	skip "UTC midnight passed during the test" 3
fi

# --- when the days expire, the totals stay ---------------------------------------------
redis_clock $((D0 + 91 * 86400000))
run --json stats -o acme --from "$DAY0" --to "$DAY0" --queue support
is "$(jq 'd["queues"][0]["total"]["offered"]')" 0 \
    "91 days later day 0's statistics have expired"
is "$(rcli HMGET "${P}totals:support" offered handled_ms | paste -sd/ -)/$(rcli TTL "${P}totals:support")" \
    "5/385000/-1" "and totals:support has not: counters never go down"

# --- bad input -------------------------------------------------------------------------------
# bad WANT_RC WANT_ERR ARGS...: stats ARGS fails with WANT_RC, one line
# WANT_ERR (a regular expression) on stderr and nothing on stdout
bad() {
	_rc=$1 _err=$2
	shift 2
	run stats "$@"
	is "$RC/$OUT" "$_rc/" "stats $*: exit $_rc, nothing on stdout"
	like "$ERR" "$_err" "stats $*: says why"
}
bad 64 "^mailacdctl: stats: --from $DAY2 is after --to $DAY0\$" --from "$DAY2" --to "$DAY0"
bad 64 "^mailacdctl: stats: --from 2026-13-01: give a UTC day as YYYY-MM-DD, today or yesterday\$" --from 2026-13-01
bad 64 "^mailacdctl: stats: --to 2026-02-30: give a UTC day" --to 2026-02-30
bad 64 "^mailacdctl: stats: --from 26-11-02: give a UTC day" --from 26-11-02
bad 64 "^mailacdctl: stats: --to tomorrow: give a UTC day" --to tomorrow
bad 64 "^mailacdctl: stats: --from 1969-12-31: give a UTC day" --from 1969-12-31
bad 64 "^mailacdctl: stats: 367 days from --from to --to; at most 366 at a time\$" \
    --from 2025-01-01 --to 2026-01-02
bad 64 "^mailacdctl: stats: --by is hour or day, not week\$" --by week
bad 64 "^mailacdctl: stats: --by needs an argument" --by
bad 1 "^mailacdctl: stats: no organisation has a queue nosuch in $CONF\$" --queue nosuch
bad 1 "^mailacdctl: stats: organisation acme has no queue inbox in $CONF\$" --queue inbox -o acme
bad 64 "^mailacdctl: stats: --queue sup/port: a queue name is 1 to 64 of" --queue sup/port
bad 64 "^mailacdctl: stats: give --queue once" --queue support --queue sales
bad 64 "^mailacdctl: -o nosuch: no such organisation in $CONF\$" -o nosuch
bad 64 "^mailacdctl: stats takes options only, not support" support
bad 64 "^mailacdctl: stats: unknown option --frobnicate" --frobnicate
is "$(printf '%s\n' "$ERR" | sed -n 2p)" \
    "mailacdctl: usage: stats [--queue Q] [--from DAY] [--to DAY] [--by hour|day] [-o ORG] [--json]; DAY is YYYY-MM-DD (UTC), today or yesterday" \
    "an unknown option: the synopsis follows"

# data that does not follow mailacd-keys(7), and Redis down
rcli HSET "${P}stats:billing:$DAY1" closed many >/dev/null
bad 65 "^mailacdctl: ${P}stats:billing:$DAY1: field closed is \"many\", not a count \\(see mailacd-keys\\(7\\)\\)\$" \
    -o acme --from "$DAY1" --to "$DAY1"
rcli DEL "${P}stats:billing:$DAY1" >/dev/null
rcli SET "${P}stats:sales:$DAY1" x >/dev/null
bad 65 "^mailacdctl: redis 127.0.0.1:$REDIS_PORT: HGETALL ${P}stats:sales:$DAY1: WRONGTYPE" \
    -o acme --from "$DAY1" --to "$DAY1"
stop_redis
bad 69 "^mailacdctl: redis 127.0.0.1:$REDIS_PORT: connect 127.0.0.1:$REDIS_PORT: Connection refused\$" -o acme

logs_clean "no sanitizer report from mailacdctl" "$T_TMP/all.err"
done_testing
