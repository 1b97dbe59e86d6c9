#!/bin/sh
# interactions.sh - how finding interactions scales: mailacdctl
# interactions with each kind of filter at 100,000 and at 1,000,000
# interactions, in one run, and Redis's memory per interaction.
#
# Usage: MAILACD_BUILD=$PWD/build sh bench/interactions.sh
#
# A private Redis and the real mailacd-router: hand-offs are written to the
# ingest stream as the milter writes them (redis-cli --pipe) and the router
# queues each, indexing it (by arrival, state, queue, customer) in the same
# library call.  Customers are bulkNNN@customer.test, 1,000 of them, so
# one customer has N/1000 interactions; one subject ("Needle in a
# haystack") is unique.  After the first BENCH_N1 (100,000) and again
# after BENCH_N2 (1,000,000) in all, each query runs BENCH_REPS times
# (median):
#
#   newest      interactions --limit 20
#   customer    interactions --customer bulk7@customer.test --limit 2000
#   queue       interactions --queue billing --limit 20
#   state       interactions --state closed        (2 of them)
#   subject     interactions --subject needle      (no index: every one read)
#
# The ratio column is the time at N2 over the time at N1: about 1 for the
# indexed queries (log n), about N2/N1 for the subject scan.
#
#   BENCH_N1=100000 BENCH_N2=1000000 BENCH_REPS=3

T_TOP=$(cd "$(dirname "$0")/.." && pwd)
T_TAP=0
MAILACD_TEST_TIMEOUT=0
. "$T_TOP/bench/lib.sh"

N1=${BENCH_N1:-100000}
N2=${BENCH_N2:-1000000}
REPS=${BENCH_REPS:-3}
OUT=$T_TOP/bench/out
die() {
	echo "bench: $*" >&2
	exit 1
}
bench_programs mailacd-router mailacdctl
CTL=$MAILACD_BUILD/mailacdctl
start_redis || die "redis-server did not start"
MILTER_SOCKET=inet:1@127.0.0.1
CONF=$T_TMP/mailacd.conf
milter_conf "" '{ id = "alice"; address = "alice@corp.example"; capacity = 2;
	  queues = [ "support" ]; }' >"$CONF"
echo 'router = { consumer = "r1"; block_ms = 200; batch = 500; };' >>"$CONF"
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f -c "$CONF"
RPID=$SPAWNED_PID
NOW=$(now_ms)

# load FROM TO: hand-offs FROM..TO-1 into billing (nobody serves it: they
# wait), then wait until the router has indexed them all
load() {
	/usr/bin/python3 - "$1" "$2" "$NOW" <<'PY' |
import sys
lo, hi, now = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
key = b'mailacd:{acme}:ingest'
out = sys.stdout.buffer
for i in range(lo, hi):
    ident = b'%032x' % (0x5000000000000000000000000000 + i)
    subj = b'Needle in a haystack' if i == 31337 else b'Message %d' % i
    cust = b'bulk%d@customer.test' % (i % 1000)
    args = [b'XADD', key, b'*', b'v', b'1',
            b'id', ident, b'org', b'acme', b'queue', b'billing',
            b'skills', b'', b'language', b'', b'priority', b'0',
            b'arrived', b'%d' % (now - 86400000 + i // 20),
            b'sender', b'<' + cust + b'>', b'customer', cust,
            b'address', b'billing@example.com', b'subject', subj]
    out.write(b'*%d\r\n' % len(args))
    for a in args:
        out.write(b'$%d\r\n%s\r\n' % (len(a), a))
PY
	redis-cli -p "$REDIS_PORT" --pipe >>"$T_TMP/pipe.log" 2>&1 ||
	    die "redis-cli --pipe failed: $(tail -3 "$T_TMP/pipe.log")"
	_want=$(($2 + 2))
	_last=-1
	_still=0
	while :; do
		_have=$(rcli ZCARD 'mailacd:{acme}:ixs')
		[ "$_have" -ge "$_want" ] && break
		t_alive "$RPID" || die "the router died: $(tail -5 "$T_TMP/router.log")"
		if [ "$_have" = "$_last" ]; then
			_still=$((_still + 1))
			[ $_still -lt 60 ] ||
			    die "the router queued nothing for 2 minutes at $_have of $_want"
		else
			_still=0
		fi
		_last=$_have
		sleep 2
	done
}

# median of the words on stdin
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# measure LABEL: each query REPS times; QMS_<query> the medians (ms)
measure() {
	_label=$1
	for _q in newest customer queue state subject; do
		case $_q in
		newest)   set -- --limit 20 ;;
		customer) set -- --customer bulk7@customer.test --limit 2000 ;;
		queue)    set -- --queue billing --limit 20 ;;
		state)    set -- --state closed ;;
		subject)  set -- --subject needle ;;
		esac
		_all=
		_r=0
		while [ $_r -lt "$REPS" ]; do
			_t0=$(now_ms)
			"$CTL" -c "$CONF" interactions "$@" >"$T_TMP/q.out" 2>"$T_TMP/q.err" ||
			    die "interactions $*: $(cat "$T_TMP/q.err")"
			_all="$_all $(( $(now_ms) - _t0 ))"
			_r=$((_r + 1))
		done
		_rows=$(grep -c '^[0-9a-f]\{12\} ' "$T_TMP/q.out")
		eval "QMS_${_label}_$_q=\$(echo \"\$_all\" | median)"
		eval "ROWS_${_label}_$_q=$_rows"
	done
	eval "MEM_$_label=$(rcli INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')"
}

# two closed interactions, for --state closed
for id in c1c1c1c1000000000000000000000001 c1c1c1c1000000000000000000000002; do
	rcli XADD 'mailacd:{acme}:ingest' '*' v 1 id "$id" org acme queue support \
	    skills '' language '' priority 0 arrived "$NOW" sender '<x@customer.test>' \
	    customer x@customer.test address support@example.com subject closed >/dev/null
done
until [ "$(rcli ZCARD 'mailacd:{acme}:ixs')" -ge 2 ]; do sleep 0.2; done
"$CTL" -c "$CONF" interaction close c1c1c1c1000000000000000000000001 >/dev/null 2>&1 &&
"$CTL" -c "$CONF" interaction close c1c1c1c1000000000000000000000002 >/dev/null 2>&1 ||
    die "cannot close the two interactions"

t0=$(now_ms)
load 0 "$N1"
LOAD1=$(( $(now_ms) - t0 ))
measure a
t0=$(now_ms)
load "$N1" "$N2"
LOAD2=$(( $(now_ms) - t0 ))
measure b
kill_pid "$RPID"

mkdir -p "$OUT"
{
	echo "interactions: mailacdctl interactions at $N1 and $N2 interactions ($(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
	printf '%-10s %12s %12s %8s %s\n' query "ms@$N1" "ms@$N2" ratio rows
	for q in newest customer queue state subject; do
		eval "a=\$QMS_a_$q b=\$QMS_b_$q ra=\$ROWS_a_$q rb=\$ROWS_b_$q"
		printf '%-10s %12s %12s %8s %s\n' "$q" "$a" "$b" \
		    "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')" \
		    "$ra/$rb"
	done
	echo "router ingest: $N1 in $((LOAD1 / 1000)) s, $((N2 - N1)) more in $((LOAD2 / 1000)) s ($(awk -v n=$((N2 - N1)) -v t="$LOAD2" 'BEGIN { printf "%.0f", n * 1000 / t }')/s)"
	echo "redis used_memory: $((MEM_a / 1048576)) MiB at $N1, $((MEM_b / 1048576)) MiB at $N2 ($(( (MEM_b - MEM_a) / (N2 - N1) )) bytes an interaction, its ingest stream entry included)"
} | tee "$OUT/interactions.txt"
