#!/bin/sh
# capacity.sh - what one Redis group carries, per Redis core: hand-offs a
# second, assignment decisions a second, and the bytes of Redis memory per
# waiting interaction, per closed one and per stored forward copy.  The
# figures behind the sizing guide (README, "Sizing").
#
# Usage: MAILACD_BUILD=$PWD/build sh bench/capacity.sh [--quick]
#        (make bench builds bench/handoff-bench and runs this)
#
# 1. Hand-offs: bench/handoff-bench sends the milter's mailacd_handoff
#    call (the milter's own constructor, a new message from a person to a
#    queue) from CLIENTS processes, DEPTH calls per round trip, to a fresh
#    private redis-server with no persistence, with appendonly yes +
#    appendfsync always, and with that plus one replica; then with one
#    call per round trip from 8 clients (what many milter connections
#    look like).  "per core" is hand-offs per second of Redis's main-thread
#    CPU (INFO cpu): what one core serves when Redis is the bottleneck.
# 2. Memory: MEM_N hand-offs into an empty Redis (used_memory before and
#    after), then the real mailacd-router queues them (no agent present:
#    all wait; router.ingest_retention = 0, so the handled stream entries
#    are trimmed) and CLOSE_N of them are assigned and closed (one agent
#    of capacity 25, FCALL mailacd_close).  Per-key sizes are MEMORY
#    USAGE averages over samples.
# 3. Forward copies: COPY_N hand-offs that store a copy of 4 KiB, and
#    COPY_N / 5 of 100 KiB: used_memory per copy beyond a plain hand-off.
# 4. Assignment decisions: bench/router-bench (see bench/router.sh) with
#    ASSIGN_N waiting and the real router: ASSIGN_K decisions (close one,
#    the agent takes the next), Redis CPU per decision.
#
#   BENCH_HANDOFF_N=200000 BENCH_CLIENTS=4 BENCH_DEPTH=32
#   BENCH_MEM_N=100000 BENCH_CLOSE_N=2000 BENCH_COPY_N=5000
#   BENCH_ASSIGN_N=100000 BENCH_ASSIGN_K=10000
#   --quick: 40000, 20000, 500, 1000, 20000, 2000
#
# The table goes to stdout and bench/out/capacity.txt; bench/RESULTS.md
# is left alone (copy a run there by hand, with the machine's load).

T_TOP=$(cd "$(dirname "$0")/.." && pwd)
T_TAP=0
MAILACD_TEST_TIMEOUT=0
. "$T_TOP/bench/lib.sh"

HN=${BENCH_HANDOFF_N:-200000}
C=${BENCH_CLIENTS:-4}
D=${BENCH_DEPTH:-32}
MN=${BENCH_MEM_N:-100000}
CLN=${BENCH_CLOSE_N:-2000}
CPN=${BENCH_COPY_N:-5000}
AN=${BENCH_ASSIGN_N:-100000}
AK=${BENCH_ASSIGN_K:-10000}
if [ "${1:-}" = --quick ]; then
	HN=40000 MN=20000 CLN=500 CPN=1000 AN=20000 AK=2000
fi
OUT=$T_TOP/bench/out
R=$T_TMP/results

die() {
	echo "capacity bench: $*" >&2
	exit 1
}

for t in redis-server redis-cli ss; do
	command -v "$t" >/dev/null 2>&1 || die "$t missing: make deps"
done
bench_programs mailacd-router bench/router-bench bench/handoff-bench
HB=$MAILACD_BUILD/bench/handoff-bench
RB=$MAILACD_BUILD/bench/router-bench
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$R"

# node NAME [ARGS]: a fresh redis-server of its own (sets NODE_PORT)
node() {
	_n=$1
	shift
	mkdir -p "$T_TMP/$_n"
	NODE_PORT=$(free_port)
	spawn "$_n" "$T_TMP/$_n.log" redis-server --port "$NODE_PORT" \
	    --bind 127.0.0.1 --dir "$T_TMP/$_n" --save '' --daemonize no \
	    --logfile '' "$@"
	REDIS_PORT=$NODE_PORT
	wait_for 10 redis_up || die "redis-server $_n did not answer"
}

# stop_node PORT: shut a node down (no save)
stop_node() {
	redis-cli -p "$1" shutdown nosave >/dev/null 2>&1
	wait_for 10 t_port_free "$1"
}

# used_memory PORT
used_memory() {
	redis-cli -p "$1" info memory | tr -d '\r' |
	    awk -F: '$1 == "used_memory" { print $2 }'
}

# kv KEY VALUE: one result
kv() {
	echo "$1=$2" >>"$R"
}

# handoffs NAME PORT CLIENTS DEPTH: one handoff-bench run, its figures
# recorded as NAME.key
handoffs() {
	"$HB" -p "$2" -c "$3" -n $((HN / $3)) -d "$4" -o bench -t "$1" \
	    >"$T_TMP/hb.$1" 2>"$T_TMP/hb.$1.err" ||
	    die "handoff-bench $1 failed: $(cat "$T_TMP/hb.$1.err")"
	_e=$(awk -F= '$1 == "client_errors" { e += $2 } END { print e + 0 }' "$T_TMP/hb.$1")
	[ "$_e" = 0 ] || die "handoff-bench $1: $_e calls did not answer 'new'"
	sed -n 's/^\(rate\|per_core\|fcall_us\|redis_cpu_s\|seconds\)=/'"$1"'.\1=/p' \
	    "$T_TMP/hb.$1" >>"$R"
	echo "    $1: $(grep -E '^(rate|per_core|fcall_us)=' "$T_TMP/hb.$1" | tr '\n' ' ')" >&2
}

# --- 1. hand-offs per core --------------------------------------------------
echo "capacity bench: 1. hand-offs, $HN per setting, $C clients x depth $D" >&2
node none --appendonly no
handoffs none "$NODE_PORT" "$C" "$D"
stop_node "$NODE_PORT"
node single --appendonly no
handoffs depth1 "$NODE_PORT" 8 1
stop_node "$NODE_PORT"
node aof --appendonly yes --appendfsync always
handoffs aof "$NODE_PORT" "$C" "$D"
stop_node "$NODE_PORT"
node master --appendonly yes --appendfsync always
MP=$NODE_PORT
node replica --appendonly yes --appendfsync always --replicaof 127.0.0.1 "$MP"
RP=$NODE_PORT
synced() { redis-cli -p "$RP" info replication | grep -q 'master_link_status:up'; }
wait_for 30 synced || die "the replica did not sync"
handoffs replica "$MP" "$C" "$D"
stop_node "$RP"
stop_node "$MP"

# --- 2. memory per interaction ---------------------------------------------------
echo "capacity bench: 2. memory: $MN hand-offs, queued by the router, $CLN closed" >&2
node mem --appendonly no
P=$NODE_PORT
# the library and the organisation's counters first: not per interaction
"$HB" -p "$P" -c 1 -n 10 -d 1 -o acme -t warm >/dev/null || die "warm-up failed"
m0=$(used_memory "$P")
"$HB" -p "$P" -c "$C" -n $((MN / C)) -d "$D" -o acme -t mem >"$T_TMP/hb.mem" ||
    die "handoff-bench (memory) failed"
m1=$(used_memory "$P")
kv mem.handoff_bytes $(( (m1 - m0) / MN ))
# mem_usage: MEMORY USAGE of each key read on stdin, one a line, in order
# (one redis-cli for them all)
mem_usage() {
	sed 's/.*/MEMORY USAGE & SAMPLES 0/' | redis-cli -p "$P"
}
# avg_usage PATTERN: MEMORY USAGE averaged over up to 200 keys
avg_usage() {
	redis-cli -p "$P" --scan --pattern "$1" 2>/dev/null | head -200 |
	    mem_usage | awk '{ s += $1; n++ } END { printf "%.0f\n", n ? s / n : 0 }'
}
# redis_cpu: Redis's main-thread CPU seconds so far
redis_cpu() {
	redis-cli -p "$P" info cpu | tr -d '\r' | awk -F: '
	    $1 ~ /^used_cpu_(user|sys)_main_thread$/ { s += $2 } END { print s }'
}
for t in seen thread open people rate; do
	kv "mem.key.$t" "$(avg_usage "mailacd:{acme}:$t:*")"
done
kv mem.key.stream $(( $(redis-cli -p "$P" MEMORY USAGE 'mailacd:{acme}:ingest' SAMPLES 0) / MN ))

REDIS_PORT=$P
MILTER_SOCKET=unix:$T_TMP/unused.sock
milter_conf "" '{ id = "ann"; address = "ann@corp.test"; skills = [ "general", "email" ];
	  languages = [ "en" ]; capacity = 25; queues = [ "support" ]; }' "" "" \
    'router = { ingest_retention = 0; };' >"$T_TMP/mailacd.conf"
chmod 600 "$T_TMP/mailacd.conf"
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f -c "$T_TMP/mailacd.conf"
RPID=$SPAWNED_PID
queued() {
	t_alive "$RPID" || die "mailacd-router stopped: $(tail -n 3 "$T_TMP/router.log")"
	[ "$(redis-cli -p "$P" ZCARD 'mailacd:{acme}:ixs')" -ge $((MN + 10)) ]
}
t0=$(now_ms)
c0=$(redis_cpu)
wait_for 600 queued || die "the router queued $(redis-cli -p "$P" ZCARD 'mailacd:{acme}:ixs') of $MN"
kv mem.router_ingest_per_s $(( MN * 1000 / ($(now_ms) - t0 + 1) ))
kv mem.ingest_cpu_us "$(awk -v a="$c0" -v b="$(redis_cpu)" -v n="$MN" 'BEGIN { printf "%.0f", (b - a) * 1e6 / n }')"
trimmed() { [ "$(redis-cli -p "$P" XLEN 'mailacd:{acme}:ingest')" -lt $((MN / 100 + 20)) ]; }
wait_for 120 trimmed || echo "  (the router has not trimmed the ingest stream yet)" >&2
sleep 1
m2=$(used_memory "$P")
kv mem.waiting_bytes $(( (m2 - m0) / MN ))
kv mem.key.ix_waiting "$(avg_usage 'mailacd:{acme}:ix:*')"
kv mem.key.timeline_waiting "$(avg_usage 'mailacd:{acme}:timeline:*')"
# the organisation-wide sorted sets and hashes that grow with interactions
redis-cli -p "$P" --scan --pattern 'mailacd:{acme}:*' |
    grep -v ':\(seen\|thread\|open\|people\|rate\|ix\|timeline\|msg\):' \
    >"$T_TMP/orgkeys.names"
mem_usage <"$T_TMP/orgkeys.names" | paste -d' ' - "$T_TMP/orgkeys.names" |
    sort -rn >"$T_TMP/orgkeys"
kv mem.indexes_bytes $(( $(awk '{ s += $1 } END { print s + 0 }' "$T_TMP/orgkeys") / MN ))

# close CLN: ann takes 25 at a time, each close gives her the next
redis-cli -p "$P" FCALL mailacd_presence 1 'mailacd:{acme}:schema' ann available >/dev/null
: >"$T_TMP/closed"
while [ "$(wc -l <"$T_TMP/closed")" -lt "$CLN" ]; do
	redis-cli -p "$P" SMEMBERS 'mailacd:{acme}:agent:ann:ix' >"$T_TMP/held"
	[ -s "$T_TMP/held" ] || die "ann holds nothing"
	cat "$T_TMP/held" >>"$T_TMP/closed"
	sed "s/.*/FCALL mailacd_close 1 mailacd:{acme}:schema & operator/" \
	    "$T_TMP/held" | redis-cli -p "$P" >/dev/null
done
m3=$(used_memory "$P")
# usage KEYS_FILE FORMAT: MEMORY USAGE of each id's key, averaged
usage() {
	head -200 "$1" | sed "s/.*/$2/" | mem_usage |
	    awk '{ s += $1; n++ } END { printf "%.0f\n", n ? s / n : 0 }'
}
kv mem.key.ix_closed "$(usage "$T_TMP/closed" 'mailacd:{acme}:ix:&')"
kv mem.key.timeline_closed "$(usage "$T_TMP/closed" 'mailacd:{acme}:timeline:&')"
kv mem.closed_n "$(wc -l <"$T_TMP/closed")"
kv mem.close_delta_bytes $(( (m3 - m2) / $(wc -l <"$T_TMP/closed") ))
kill_pid "$RPID" 5
t_forget "$RPID"

# --- 3. forward copies -----------------------------------------------------------
echo "capacity bench: 3. stored forward copies" >&2
for size in 4096 102400; do
	n=$CPN
	[ "$size" -gt 4096 ] && n=$((CPN / 5))
	a=$(used_memory "$P")
	"$HB" -p "$P" -c "$C" -n $((n / C)) -d 8 -s "$size" -o fwd$size -t copy$size \
	    >"$T_TMP/hb.copy$size" || die "handoff-bench -s $size failed"
	b=$(used_memory "$P")
	kv "copy$size.bytes" $(( (b - a) / n ))
	kv "copy$size.msg_key" "$(avg_usage "mailacd:{fwd$size}:msg:*")"
	sed -n "s/^\(rate\|per_core\)=/copy$size.\1=/p" "$T_TMP/hb.copy$size" >>"$R"
done
stop_node "$P"

# --- 4. assignment decisions -------------------------------------------------------
echo "capacity bench: 4. assignment decisions at $AN waiting, $AK decisions" >&2
node assign --appendonly no
P=$NODE_PORT
"$RB" conf -p "$P" -s 1 -r 20 >"$T_TMP/assign.conf" || die "router-bench conf failed"
"$RB" preload -p "$P" -n "$AN" -s 1 -r 20 >/dev/null || die "router-bench preload failed"
spawn router-assign "$T_TMP/router-assign.log" "$MAILACD_BUILD/mailacd-router" -f \
    -c "$T_TMP/assign.conf"
RPID=$SPAWNED_PID
"$RB" drain -p "$P" -P "$RPID" >/dev/null || die "the router did not queue the preload"
"$RB" run -k "$AK" -b 1000 -s 1 -r 20 -p "$P" -n "$AN" -P "$RPID" >"$T_TMP/assign.out" ||
    die "router-bench run failed"
sed -n "s/^$AN \(assignments_per_s\|server_us_per_assignment\|redis_cpu_us_per_assignment\|us_per_assignment\)=/assign.\1=/p" \
    "$T_TMP/assign.out" >>"$R"
kv assign.redis_used_memory "$(used_memory "$P")"
kill_pid "$RPID" 5
t_forget "$RPID"
stop_node "$P"

# --- the table -----------------------------------------------------------------------
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
COMMIT=$(git -C "$T_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
mkdir -p "$OUT"
awk -F= '{ v[$1] = $2 }
function row(name, k) {
	printf "%-34s %10.0f %10.0f %9.1f\n", name, v[k ".rate"], v[k ".per_core"], v[k ".fcall_us"]
}
END {
	printf "%-34s %10s %10s %9s\n", "hand-offs (mailacd_handoff)", "per s", "per core-s", "fcall us"
	row("no persistence, '"$C"' x depth '"$D"'", "none")
	row("no persistence, 8 x depth 1", "depth1")
	row("AOF always, '"$C"' x depth '"$D"'", "aof")
	row("AOF always + 1 replica, '"$C"' x '"$D"'", "replica")
	print ""
	printf "assignment decisions at %d waiting: %.0f per s; Redis %.0f us in FCALL, %.0f us CPU per decision: %.0f per core-s\n",
	    '"$AN"', v["assign.assignments_per_s"], v["assign.server_us_per_assignment"],
	    v["assign.redis_cpu_us_per_assignment"],
	    (v["assign.redis_cpu_us_per_assignment"] > 0 ? 1e6 / v["assign.redis_cpu_us_per_assignment"] : 0)
	print ""
	printf "memory, bytes (%d interactions)\n", '"$MN"'
	printf "  per hand-off (milter keys + stream entry)   %6d\n", v["mem.handoff_bytes"]
	printf "  per waiting interaction (all of it)         %6d\n", v["mem.waiting_bytes"]
	printf "  closing one adds                            %6d\n", v["mem.close_delta_bytes"]
	printf "  keys: seen %d, thread %d, open %d, people %d, rate %d, stream entry %d\n",
	    v["mem.key.seen"], v["mem.key.thread"], v["mem.key.open"], v["mem.key.people"],
	    v["mem.key.rate"], v["mem.key.stream"]
	printf "        ix %d (closed %d), timeline %d (closed %d), indexes and queues %d per interaction\n",
	    v["mem.key.ix_waiting"], v["mem.key.ix_closed"], v["mem.key.timeline_waiting"],
	    v["mem.key.timeline_closed"], v["mem.indexes_bytes"]
	printf "  router queued %d interactions a second; Redis CPU per interaction queued: %d us\n",
	    v["mem.router_ingest_per_s"], v["mem.ingest_cpu_us"]
	printf "  stored forward copy of 4096 B: %d per hand-off with copy (msg key %d)\n",
	    v["copy4096.bytes"], v["copy4096.msg_key"]
	printf "  stored forward copy of 102400 B: %d per hand-off with copy (msg key %d)\n",
	    v["copy102400.bytes"], v["copy102400.msg_key"]
}' "$R" >"$T_TMP/table"
{
	echo "mailacd capacity bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)," \
	    "Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), commit $COMMIT"
	echo "load average at the start $LOAD0, at the end $LOAD1"
	echo
	cat "$T_TMP/table"
} | tee "$OUT/capacity.txt"
