#!/bin/sh
# handoff.sh - what the replicated hand-off costs: inbound mail through
# Postfix and mailacd-milter to a Redis master with one replica, with
# redis.wait_replicas = 0 (no WAIT) and 1 (WAIT 1 500 after every
# hand-off, in the same round trip), in one run.
#
# Usage: MAILACD_BUILD=$PWD/build sh bench/handoff.sh [--quick]   (as root)
#
# A private Redis master and replica (both appendonly yes, appendfsync
# always: the settings mailacd asks for), smtp-sink and Postfix
# (t/lib/harness.sh).  smtp-source sends BENCH_N messages of BENCH_SIZE
# bytes to support@example.com, a registered address, over
# BENCH_SESSIONS parallel sessions after a warm-up of 200; then
# BENCH_LAT_N one at a time on one session.  BENCH_ROUNDS rounds
# alternate the order (0 1, then 1 0); every number is the median.
#
#   msg/s      N / (time from the first connection until the sink holds N)
#   ms/msg     one session, one message after another: total / count
#   milter us  the milter's CPU time per message (user + system)
#   tempfail   hand-offs that failed (the milter's log; must be 0)
#   replica    stream entries on the replica at the end = on the master
#
#   BENCH_N=2000 BENCH_SESSIONS=20 BENCH_SIZE=4096 BENCH_LAT_N=200
#   BENCH_ROUNDS=3        --quick: N = 300, LAT_N = 50, one round
#
# The table goes to stdout and bench/out/handoff.txt.  Nothing is built
# here; bench/RESULTS.md is left alone.

T_TOP=$(cd "$(dirname "$0")/.." && pwd)
T_TAP=0
MAILACD_TEST_TIMEOUT=0
. "$T_TOP/bench/lib.sh"

N=${BENCH_N:-2000}
S=${BENCH_SESSIONS:-20}
SIZE=${BENCH_SIZE:-4096}
LN=${BENCH_LAT_N:-200}
ROUNDS=${BENCH_ROUNDS:-3}
if [ "${1:-}" = --quick ]; then
	N=300 LN=50 ROUNDS=1
fi
MILTER_SENDER_RATE_LIMIT=0
OUT=$T_TOP/bench/out

die() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root: the private Postfix instance needs it"
for t in redis-server redis-cli postfix smtp-source smtp-sink ss; do
	command -v "$t" >/dev/null 2>&1 || die "$t missing: make deps"
done
bench_programs mailacd-milter

REDIS_ARGS="--appendonly yes --appendfsync always"
start_redis || die "cannot start redis-server"
RP=$(free_port)
mkdir -p "$T_TMP/replica"
spawn replica "$T_TMP/replica.log" redis-server --port "$RP" \
    --bind 127.0.0.1 --dir "$T_TMP/replica" --save '' --appendonly yes \
    --appendfsync always --daemonize no --logfile '' \
    --replicaof 127.0.0.1 "$REDIS_PORT"
synced() {
	redis-cli -p "$RP" INFO replication 2>/dev/null |
	    grep -q 'master_link_status:up'
}
wait_for 30 synced || die "the replica did not sync"
SINK_IMPL=smtp-sink
start_sink || die "cannot start smtp-sink"
start_postfix "" || die "cannot start the private Postfix"
HZ=$(getconf CLK_TCK)

# throughput - COUNT: messages/s until the sink holds COUNT more
throughput() {
	sink_clear
	_t0=$(now_ms)
	smtp-source -s "$S" -m "$1" -l "$SIZE" -f bench@customer.test \
	    -t support@example.com "127.0.0.1:$SMTP_PORT" >"$T_TMP/src.log" 2>&1
	if ! wait_for $(( $1 / 20 + 120 )) t_sink_has "$1"; then
		echo "bench: only $(sink_count) of $1 messages reached the sink" >&2
		echo 0
		return 1
	fi
	_t1=$(now_ms)
	wait_for 30 queue_empty
	awk -v n="$1" -v ms="$((_t1 - _t0))" 'BEGIN { printf "%.1f\n", n * 1000 / ms }'
}

# latency - COUNT: average ms per message, one session, one at a time
latency() {
	sink_clear
	_t0=$(date +%s%N)
	smtp-source -s 1 -m "$1" -l "$SIZE" -f bench@customer.test \
	    -t support@example.com "127.0.0.1:$SMTP_PORT" >"$T_TMP/lat.log" 2>&1
	_t1=$(date +%s%N)
	wait_for 60 t_sink_has "$1"
	wait_for 30 queue_empty
	awk -v n="$1" -v ns="$((_t1 - _t0))" 'BEGIN { printf "%.2f\n", ns / n / 1000000 }'
}

# measure - W: a milter with redis.wait_replicas = W; appends
# "W rate lat cpu tempfail" to $T_TMP/results
measure() {
	rm -f "$T_TMP/mailacd.conf"
	t_milter_sockets unix milter
	MILTER_SOCKET=$T_MSOCK
	milter_conf | sed "s/^	command_timeout_ms = 1000;/&\\
	wait_replicas = $1;\\
	wait_timeout_ms = 500;/" >"$T_TMP/mailacd.conf"
	start_milter unix "$T_TMP/mailacd.conf" || die "cannot start mailacd-milter"
	postfix_set_milter "$MILTER_PF" || die "postfix reload failed"
	sleep 2
	echo "  wait_replicas = $1: warm-up, throughput ($N x $SIZE B, $S sessions), latency ($LN x 1)" >&2
	throughput 200 >/dev/null
	_c0=$(cpu_ticks "$MILTER_PID")
	_r=$(throughput "$N")
	_c1=$(cpu_ticks "$MILTER_PID")
	_l=$(latency "$LN")
	_cpu=$(awk -v d="$((_c1 - _c0))" -v hz="$HZ" -v n="$N" \
	    'BEGIN { printf "%.0f", d / hz / n * 1e6 }')
	_tf=$(grep -c 'hand-off failed' "$MILTER_LOG")
	echo "$1 $_r $_l $_cpu $_tf" >>"$T_TMP/results"
	echo "    $_r msg/s, $_l ms/msg, milter CPU $_cpu us/msg, $_tf tempfailed" >&2
	postfix_set_milter "" || die "postfix reload failed"
	stop_milter
	sleep 1
}

: >"$T_TMP/results"
round=0
while [ "$round" -lt "$ROUNDS" ]; do
	round=$((round + 1))
	echo "round $round of $ROUNDS" >&2
	if [ $((round % 2)) = 1 ]; then
		measure 0
		measure 1
	else
		measure 1
		measure 0
	fi
done
ml=$(rcli XLEN 'mailacd:{acme}:ingest')
wait_for 10 sh -c "[ \"\$(redis-cli -p $RP XLEN 'mailacd:{acme}:ingest')\" = $ml ]"
rl=$(redis-cli -p "$RP" XLEN 'mailacd:{acme}:ingest')

mkdir -p "$OUT"
{
	echo "mailacd hand-off bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
	echo "Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') master + 1 replica, appendfsync always;" \
	    "Postfix $(pf_postconf -dh mail_version), $N x $SIZE B over $S sessions;" \
	    "latency: $LN x 1; rounds: $ROUNDS (median)"
	echo
	printf '%-16s %8s %8s %10s %9s\n' wait_replicas msg/s ms/msg "milter us" tempfail
	for w in 0 1; do
		awk -v w="$w" '$1 == w' "$T_TMP/results" | awk '
		function med(a, n,   i, j, t) {
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
				if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return a[int((n + 1) / 2)]
		}
		{ n++; r[n] = $2; l[n] = $3; c[n] = $4; f += $5 }
		END { printf "%-16s %8.1f %8.2f %10.0f %9d\n", $1, med(r, n),
		    med(l, n), med(c, n), f }'
	done
	echo
	echo "stream entries: master $ml, replica $rl"
} | tee "$OUT/handoff.txt"
