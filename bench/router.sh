#!/bin/sh
# router.sh - what one assignment decision costs with 10,000 and with
# 1,000,000 interactions waiting, measured in one run.
#
# Usage: make bench        (builds first; runs bench/run.sh, then this)
#        MAILACD_BUILD=$PWD/build sh bench/router.sh [--quick]
#
# For each N a private redis-server (save '', appendonly no) and the real
# mailacd-router (build/mailacd-router -f) with the configuration that
# build/bench/router-bench writes: one organisation, 50 queues, 200
# requirement sets (RPQ of them per queue), 1,000 agents with capacity 1-3
# (see bench/router-bench.c).  router-bench writes the roster with
# mailacd_sync (all agents offline) and puts N + C entries (C: the roster's
# capacity) into the ingest stream; the router queues every one of them.
# Then, with both Redis instances up, router-bench makes every agent
# available (each fills up: N stay waiting) and times K decisions per N,
# in batches that alternate between the N: close one interaction an agent
# holds (FCALL mailacd_close assigns that agent's next one in the same
# call).  Between batches, untimed, what was assigned is replaced by new
# stream entries alike, which the router queues, so N stay waiting.
#
#   BENCH_NS="10000 1000000"  the N, smallest first (the reference)
#   BENCH_K=20000             timed decisions per N
#   BENCH_BATCH=1000          decisions per batch
#   BENCH_SEED=1              the same seed serves every N
#   BENCH_REQ_PER_QUEUE=20    requirement sets per queue (1-200)
#   --quick                   N = 1,000 vs 20,000, K = 2,000: a smoke run
#                             (prints the table, leaves RESULTS.md alone)
#
# Targets (the router design): the cost of one assignment at the
# largest N at most 2 x its cost at the smallest (logarithmic, not
# linear); one Redis round trip per assignment decision; the router's
# memory independent of N (here: peak RSS within 10 %).  Every number is
# from this one run; the table goes to stdout and bench/out/router.txt,
# and a full run rewrites the router section of bench/RESULTS.md.

T_TOP=$(cd "$(dirname "$0")/.." && pwd)
T_TAP=0
MAILACD_TEST_TIMEOUT=0
. "$T_TOP/bench/lib.sh"

QUICK=0
case ${1:-} in
--quick) QUICK=1 ;;
"") ;;
*) echo "usage: sh bench/router.sh [--quick]" >&2; exit 2 ;;
esac
if [ "$QUICK" = 1 ]; then
	NS=${BENCH_NS:-1000 20000}
	K=${BENCH_K:-2000}
	BATCH=${BENCH_BATCH:-500}
else
	NS=${BENCH_NS:-10000 1000000}
	K=${BENCH_K:-20000}
	BATCH=${BENCH_BATCH:-1000}
fi
SEED=${BENCH_SEED:-1}
RPQ=${BENCH_REQ_PER_QUEUE:-20}
OUT=$T_TOP/bench/out

die() {
	echo "router bench: $*" >&2
	exit 1
}

for t in redis-server redis-cli ss; do
	command -v "$t" >/dev/null 2>&1 || die "$t missing: make deps"
done
bench_programs mailacd-router bench/router-bench
RB=$MAILACD_BUILD/bench/router-bench

# bench_redis - N: a private redis-server of its own for N (sets
# REDIS_PORT, REDIS_PID)
bench_redis() {
	_d=$T_TMP/redis-$1
	mkdir -p "$_d"
	REDIS_PORT=$(free_port)
	spawn "redis-$1" "$_d/redis.log" redis-server \
	    --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode yes \
	    --dir "$_d" --save '' --appendonly no --daemonize no \
	    --supervised no --logfile ''
	REDIS_PID=$SPAWNED_PID
	wait_for 10 redis_up || die "redis-server for N=$1 did not answer"
}

# rss - PID FIELD: VmHWM or VmRSS of PID in KiB
rss() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}

# used_memory - Redis on PORT: INFO memory used_memory
used_memory() {
	redis-cli -h 127.0.0.1 -p "$1" info memory | tr -d '\r' |
	    awk -F: '$1 == "used_memory" { print $2 }'
}

# stream_trimmed - PORT: the router trimmed the handled ingest entries
stream_trimmed() {
	[ "$(redis-cli -h 127.0.0.1 -p "$1" xlen 'mailacd:{bench}:ingest')" -le 1 ]
}

# kv - N KEY VALUE: one result
kv() {
	echo "$2=$3" >>"$T_TMP/res.$1"
}

echo "router bench: N = $NS, K = $K decisions per N, batches of $BATCH," \
    "seed $SEED, $RPQ requirement sets per queue" >&2
RUNARGS=
for n in $NS; do
	: >"$T_TMP/res.$n"
	bench_redis "$n"
	port=$REDIS_PORT
	conf=$T_TMP/router-$n.conf
	"$RB" conf -p "$port" -s "$SEED" -r "$RPQ" >"$conf" ||
	    die "router-bench conf failed"
	echo "  N=$n: preloading $n + capacity entries into the ingest stream" >&2
	"$RB" preload -p "$port" -n "$n" -s "$SEED" -r "$RPQ" \
	    >"$T_TMP/preload.$n" || die "router-bench preload failed (N=$n)"
	cat "$T_TMP/preload.$n" >>"$T_TMP/res.$n"
	spawn "router-$n" "$T_TMP/router-$n.log" \
	    "$MAILACD_BUILD/mailacd-router" -f -c "$conf"
	rpid=$SPAWNED_PID
	echo "  N=$n: mailacd-router (pid $rpid) queues them" >&2
	"$RB" drain -p "$port" -P "$rpid" >"$T_TMP/drain.$n" || {
		tail -n 5 "$T_TMP/router-$n.log" >&2
		die "the router did not queue the preload (N=$n)"
	}
	cat "$T_TMP/drain.$n" >>"$T_TMP/res.$n"
	wait_for 30 stream_trimmed "$port" ||
	    echo "  (the router has not trimmed the ingest stream yet)" >&2
	kv "$n" port "$port"
	kv "$n" router_pid "$rpid"
	kv "$n" router_hwm_preload_kb "$(rss "$rpid" VmHWM)"
	kv "$n" router_rss_preload_kb "$(rss "$rpid" VmRSS)"
	kv "$n" redis_used_memory_preload "$(used_memory "$port")"
	RUNARGS="$RUNARGS -p $port -n $n -P $rpid"
done

echo "  timing $K decisions per N, alternating batches" >&2
# shellcheck disable=SC2086
"$RB" run -k "$K" -b "$BATCH" -s "$SEED" -r "$RPQ" $RUNARGS \
    >"$T_TMP/run.out" || die "router-bench run failed"
for n in $NS; do
	sed -n "s/^$n //p" "$T_TMP/run.out" >>"$T_TMP/res.$n"
	port=$(sed -n 's/^port=//p' "$T_TMP/res.$n")
	rpid=$(sed -n 's/^router_pid=//p' "$T_TMP/res.$n")
	t_alive "$rpid" || die "mailacd-router for N=$n is gone"
	kv "$n" router_hwm_kb "$(rss "$rpid" VmHWM)"
	kv "$n" router_rss_kb "$(rss "$rpid" VmRSS)"
	kv "$n" redis_used_memory "$(used_memory "$port")"
done

# --- the table ---------------------------------------------------------------

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sed 1q)
REDIS_V=$(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
COMMIT=$(git -C "$T_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git -C "$T_TOP" diff --quiet HEAD -- common router bench/router-bench.c \
    2>/dev/null; then
	COMMIT="$COMMIT (with local changes to common/, router/ or the driver)"
fi
set -- $NS
NA=$1
eval "NB=\${$#}"
mkdir -p "$OUT"
{
	echo "mailacd router bench, $DATE, $(nproc) CPUs ($CPU), $(uname -r), Redis $REDIS_V"
	echo "mailacd $(cat "$T_TOP/VERSION" 2>/dev/null), commit $COMMIT"
	echo "K = $K decisions per N in batches of $BATCH, alternating; seed $SEED;" \
	    "50 queues, 200 requirement sets ($RPQ per queue), 1000 agents"
	echo
	for n in $NS; do
		sed "s/^/$n /" "$T_TMP/res.$n"
	done | awk -v na="$NA" -v nb="$NB" -v ns="$NS" '
	{ split($2, kv, "="); v[$1, kv[1]] = kv[2] }
	function mib(kb) { return sprintf("%.1f", kb / 1024) }
	END {
		nn = split(ns, order, " ")
		printf "%9s %8s %9s %9s %8s %8s %9s %9s %9s %7s %7s %8s\n",
		    "N", "waiting", "assign/s", "us/assign", "p50 us", "p99 us",
		    "redis us", "redis CPU", "RT/assign", "router", "redis",
		    "ingest/s"
		printf "%9s %8s %9s %9s %8s %8s %9s %9s %9s %7s %7s %8s\n",
		    "", "", "", "(mean)", "", "", "(fcall)", "us", "", "MiB", "MiB", ""
		for (i = 1; i <= nn; i++) {
			n = order[i]
			ing = v[n, "drain_ms"] > 0 ? v[n, "preload_entries"] * 1000 / v[n, "drain_ms"] : 0
			printf "%9d %8d %9.0f %9.1f %8.1f %8.1f %9.1f %9.1f %9.3f %7s %7.0f %8.0f\n",
			    n, v[n, "waiting_start"], v[n, "assignments_per_s"],
			    v[n, "us_per_assignment"], v[n, "p50_us"], v[n, "p99_us"],
			    v[n, "server_us_per_assignment"],
			    v[n, "redis_cpu_us_per_assignment"],
			    v[n, "rt_per_assignment"], mib(v[n, "router_hwm_kb"]),
			    v[n, "redis_used_memory"] / 1048576, ing
		}
		print ""
		printf "cost of one assignment, N=%d / N=%d (target <= 2):\n", nb, na
		split("redis_cpu_us_per_assignment server_us_per_assignment p50_us us_per_assignment", m, " ")
		split("Redis CPU time|Redis time in FCALL|end to end, median|end to end, mean", d, "|")
		for (j = 1; j <= 4; j++) {
			r = v[na, m[j]] > 0 ? v[nb, m[j]] / v[na, m[j]] : 0
			printf "  %-20s %5.2f  %s\n", d[j], r, (r > 0 && r <= 2 ? "met" : "MISSED")
		}
		ok = 1; per = ""
		for (i = 1; i <= nn; i++) {
			n = order[i]
			if (v[n, "round_trips"] != v[n, "decisions"] ||
			    v[n, "server_fcalls"] != v[n, "decisions"] ||
			    v[n, "assignments_stream"] != v[n, "assignments"])
				ok = 0
			per = per sprintf("%s%.3f at N=%d", i > 1 ? ", " : "",
			    v[n, "rt_per_assignment"], n)
		}
		printf "round trips per decision: 1 (N=%d: %d client, %d server FCALLs" \
		    " for %d decisions; target 1: %s); per assignment: %s\n",
		    nb, v[nb, "round_trips"], v[nb, "server_fcalls"],
		    v[nb, "decisions"], (ok ? "met" : "MISSED"), per
		rm = v[nb, "router_hwm_kb"] / v[na, "router_hwm_kb"]
		printf "router peak RSS, N=%d / N=%d: %.2f (%s vs %s MiB; target" \
		    " independent of N, <= 1.10: %s)\n", nb, na, rm,
		    mib(v[nb, "router_hwm_kb"]), mib(v[na, "router_hwm_kb"]),
		    (rm <= 1.10 ? "met" : "MISSED")
		ia = v[na, "drain_ms"] / v[na, "preload_entries"]
		ib = v[nb, "drain_ms"] / v[nb, "preload_entries"]
		printf "informative: Redis used_memory x%.1f; ingest through the router" \
		    " x%.2f per entry; assign/s x%.2f\n",
		    v[nb, "redis_used_memory"] / v[na, "redis_used_memory"],
		    (ia > 0 ? ib / ia : 0),
		    v[nb, "assignments_per_s"] / v[na, "assignments_per_s"]
		for (i = 1; i <= nn; i++) {
			n = order[i]
			printf "N=%d: %d decisions, %d assignments (stream: %d), %d closes" \
			    " found no work, %d top-ups, %d assigned on arrival; waiting" \
			    " %d -> %d\n", n, v[n, "decisions"], v[n, "assignments"],
			    v[n, "assignments_stream"], v[n, "closes_without_assignment"],
			    v[n, "topups"], v[n, "arrival_assignments"],
			    v[n, "waiting_start"], v[n, "waiting_end"]
		}
	}'
} >"$OUT/router.txt"
cat "$OUT/router.txt"

# What the library ran per decision, timed batches only (INFO
# commandstats; commands called from a function are counted too).
for n in $NS; do
	sed -n "s/^cmd\.\([^=]*\)=\(.*\)/$n \1 \2/p" "$T_TMP/res.$n"
done | awk -v na="$NA" -v nb="$NB" '
{ split($3, f, ","); c[$1, $2] = f[1]; u[$1, $2] = f[2]; t[$1, $2] = f[3]
  if (!($2 in seen)) { seen[$2] = 1; names[++nn] = $2 } }
END {
	printf "commands per decision while timed, N=%d vs N=%d\n\n", na, nb
	printf "%-16s %9s %9s %9s %9s %11s %11s\n", "command", "calls", "calls",
	    "us/call", "us/call", "us/decision", "us/decision"
	printf "%-16s %9s %9s %9s %9s %11s %11s\n", "", na, nb, na, nb, na, nb
	for (i = 1; i <= nn; i++) {
		k = names[i]
		if (c[na, k] < 0.005 && c[nb, k] < 0.005) {
			rare = rare " " k
			continue
		}
		printf "%-16s %9.2f %9.2f %9.2f %9.2f %11.1f %11.1f\n", k,
		    c[na, k], c[nb, k], u[na, k], u[nb, k], t[na, k], t[nb, k]
	}
	if (rare != "")
		printf "\n(under 0.005 per decision, left out:%s)\n", rare
}' >"$OUT/router-commands.txt"

[ "$QUICK" = 1 ] && exit 0

# --- the router section of bench/RESULTS.md ------------------------------------

RES=$T_TOP/bench/RESULTS.md
BEGIN='<!-- router bench: begin (bench/router.sh rewrites this section) -->'
END='<!-- router bench: end -->'
{
	echo "$BEGIN"
	cat <<EOF
## Router: one assignment at 10,000 vs 1,000,000 waiting

What one assignment decision costs as the number of waiting interactions
grows, measured in one run (\`bench/router.sh\`, driver
\`bench/router-bench.c\`). One organisation with 50 queues (longest-idle,
least-busy, round-robin), 200 distinct skill/language requirement sets
($RPQ of them per queue), 1,000 agents in three queues each, capacity 1–3,
so that every (queue, requirement set) pair has an eligible agent. For each
N a private redis-server (no persistence) and the real \`mailacd-router\`:
router-bench writes the roster (\`mailacd_sync\`, all agents offline) and
puts N + C entries (C = the roster's capacity) into the ingest stream,
shaped like the milter's; the router queues all of them. Every agent then
turns available (\`mailacd_presence\`: each fills up, N stay waiting) and
K decisions are timed per N, in batches alternating between the N so that
background load falls on both alike: close an interaction an agent holds,
\`FCALL mailacd_close\`, which frees the capacity and assigns that agent's
next interaction in the same call. Between batches, untimed, every
interaction assigned is replaced by a new stream entry with the same queue,
requirements and priority, which the router queues: N stay waiting, spread
over the buckets as before. Same seed at every N.

"us/assign" is the client's time per assignment, round trip included
(mean; p50 and p99 are per decision); "redis us" Redis's time in the
function per assignment (INFO commandstats, \`cmdstat_fcall\` usec);
"redis CPU us" the CPU time Redis used per assignment while the batches
ran (INFO cpu, user + system: the measure least disturbed by other load on
the machine). Round trips are counted by the client and checked against
\`cmdstat_fcall\` calls around every timed batch; assignments are counted
from the replies and checked against the assignments stream. "router MiB"
is mailacd-router's peak RSS (VmHWM) after it queued N + C entries and the
top-ups; "redis MiB" Redis's used_memory (informative); "ingest/s" the rate
at which the router queued the preload (informative). The second table is
what the library ran per decision while timed (INFO commandstats; commands
called from a function are counted too). Ratios matter, absolute numbers do
not: the box is shared and has two cores.

### Command

\`\`\`sh
make bench          # both benchmarks; or, after make:
MAILACD_BUILD=\$PWD/build sh bench/router.sh    # --quick: N = 1k vs 20k
\`\`\`

### Result ($DATE)

\`\`\`
EOF
	cat "$OUT/router.txt"
	echo '```'
	echo
	echo '```'
	cat "$OUT/router-commands.txt"
	echo '```'
	echo "$END"
} >"$T_TMP/section.md"
if grep -qF "$BEGIN" "$RES"; then
	awk -v b="$BEGIN" -v e="$END" -v f="$T_TMP/section.md" '
	$0 == b { while ((getline l < f) > 0) print l; skip = 1; next }
	$0 == e { skip = 0; next }
	!skip' "$RES" >"$T_TMP/RESULTS.md"
else
	{ cat "$RES"; echo; cat "$T_TMP/section.md"; } >"$T_TMP/RESULTS.md"
fi
cp "$T_TMP/RESULTS.md" "$RES"
echo "router bench: bench/RESULTS.md updated" >&2
