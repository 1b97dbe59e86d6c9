#!/bin/sh
# run.sh - what a milter costs Postfix: no milter vs the no-op libmilter
# milter vs mailacd-milter, over a unix and a TCP socket, in one run.
#
# Usage: make bench      (builds first; or MAILACD_BUILD=$PWD/build sh bench/run.sh)
#
# A private Postfix (loopback, own directories, see t/lib/harness.sh) relays
# to smtp-sink; smtp-source sends BENCH_N messages of BENCH_SIZE bytes over
# BENCH_SESSIONS parallel sessions to support@example.com, a registered
# address, so mailacd-milter stamps and hands off every one to a private
# Redis.  Throughput is N / (time from the first connection until the sink
# holds all N).  Latency is one session sending BENCH_LAT_N messages one
# after another (a connection each), total time / count.  Each mode gets a
# short warm-up first.  The table goes to stdout and bench/out/latest.txt.
#
#   BENCH_N=3000 BENCH_SESSIONS=20 BENCH_SIZE=4096 BENCH_LAT_N=200
#   BENCH_ROUNDS=1   (more rounds: each number is the median over rounds)
#   BENCH_SOCKETS="unix tcp"   (the milters' socket types to measure)
#
# Targets (the inbound path): mailacd >= 0.95 x noop throughput on the same socket
# type; single-session latency at most 1.5 ms above no milter, unix and TCP.
#
# A fourth mode, "flow" (BENCH_FLOW=0 leaves it out), is mailacd-milter
# with support@ naming a flow of 20 rules (subject, body, header, sender,
# From, attachment, size and language conditions, plain and regular
# expressions) that none of the messages matches, so every rule is tried,
# and no language of its own, so the text of every message is decoded and
# its language detected; its ratio to the no-op milter is printed too.
# Nothing is built here; builds come from MAILACD_BUILD.

T_TOP=$(cd "$(dirname "$0")/.." && pwd)
T_TAP=0
MAILACD_TEST_TIMEOUT=0
. "$T_TOP/bench/lib.sh"

N=${BENCH_N:-3000}
# one sender sends everything: no hourly limit, every message handed off
MILTER_SENDER_RATE_LIMIT=0
S=${BENCH_SESSIONS:-20}
SIZE=${BENCH_SIZE:-4096}
LN=${BENCH_LAT_N:-200}
ROUNDS=${BENCH_ROUNDS:-1}
SOCKETS=${BENCH_SOCKETS:-unix tcp}
OUT=$T_TOP/bench/out

FLOW=${BENCH_FLOW:-1}

# The 20 rules of the flow mode, on one line for sed.
FLOW_RULES='{ name = "bench"; rules = (
 { name = "r1"; if = { subject = "/\\bviagra\\b/"; }; close = true; },
 { name = "r2"; if = { from_domain = [ "vip1.test", "vip2.test" ]; }; add_priority = 10; },
 { name = "r3"; if = { sender = "/^boss@/"; }; add_priority = 20; },
 { name = "r4"; if = { header = "X-Priority: /^1/"; }; add_priority = 5; },
 { name = "r5"; if = { body = [ "refund", "devolución", "remboursement" ]; }; queue = "billing"; },
 { name = "r6"; if = { body = "/\\binvoice\\s+#?\\d{5,}/"; }; queue = "billing"; },
 { name = "r7"; if = { attachment = "application/pdf"; }; tags = [ "pdf" ]; },
 { name = "r8"; if = { size_above = 100000000; }; tags = [ "huge" ]; },
 { name = "r9"; if = { language = "es"; }; queue = "sales"; },
 { name = "r10"; if = { language = [ "fr", "it" ]; }; queue = "sales"; },
 { name = "r11"; if = { language = "de"; }; queue = "sales"; },
 { name = "r12"; if = { any = ( { subject = "urgent"; }, { header = "Importance: high"; } ); }; add_priority = 30; },
 { name = "r13"; if = { all = ( { from_domain = "partner.test"; }, { body = "contract"; } ); }; queue = "sales"; },
 { name = "r14"; if = { not = { size_below = 100000000; }; }; tags = [ "never" ]; },
 { name = "r15"; if = { subject = "/^(re|fwd?):/"; }; tags = [ "reply" ]; },
 { name = "r16"; if = { body = "/(cancel|unsubscribe)/"; }; tags = [ "cancel" ]; },
 { name = "r17"; if = { header = "List-Id"; }; tags = [ "list" ]; },
 { name = "r18"; if = { sender_domain = "example.org"; }; tags = [ "org" ]; },
 { name = "r19"; if = { from = [ "ceo@customer.test", "cfo@customer.test" ]; }; add_priority = 50; },
 { name = "r20"; if = { subject = "complaint"; body = "lawyer"; }; add_priority = 100; }
 ); default = { queue = "support"; }; }'

# flow_conf - the milter configuration of the flow mode: support@ names
# the flow and leaves its language to detection
flow_conf() {
	milter_conf | tr '\n' '\001' |
	    sed -e 's|{ address = "support@example.com"; queue = "support";|{ address = "support@example.com"; flow = "bench";|' \
	    -e 's|language = "en";||' | tr '\001' '\n' |
	    FLOWS=$(printf '%s' "$FLOW_RULES" | tr '\n' ' ') awk '
		match($0, /agents = \( *\);/) {
			$0 = substr($0, 1, RSTART + RLENGTH - 1) " flows = ( " \
			    ENVIRON["FLOWS"] " );" substr($0, RSTART + RLENGTH)
		}
		{ print }'
}

die() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root: the private Postfix instance needs it"
for t in redis-server redis-cli postfix smtp-source smtp-sink ss; do
	command -v "$t" >/dev/null 2>&1 || die "$t missing: make deps"
done
bench_programs mailacd-milter bench/noop-milter

start_redis || die "cannot start redis-server"
# throughput: Postfix's smtp-sink, the cheapest receiver (t/lib/harness.sh)
SINK_IMPL=smtp-sink
start_sink || die "cannot start smtp-sink"
start_postfix "" || die "cannot start the private Postfix"

HZ=$(getconf CLK_TCK)

# use_milter - SPEC: point Postfix at SPEC ("" for none) and let the old
# smtpd processes go
use_milter() {
	postfix_set_milter "$1" || die "postfix reload failed"
	sleep 2
}

# throughput - COUNT SESSIONS: messages/s until the sink holds COUNT more
throughput() {
	sink_clear
	_t0=$(now_ms)
	smtp-source -s "$2" -m "$1" -l "$SIZE" -f bench@customer.test \
	    -t support@example.com "127.0.0.1:$SMTP_PORT" >"$T_TMP/src.log" 2>&1
	_lim=$(( $1 / 20 + 120 ))
	if ! wait_for "$_lim" t_sink_has "$1"; then
		echo "bench: only $(sink_count) of $1 messages reached the sink;" \
		    "smtp-source said: $(sed 3q "$T_TMP/src.log")" >&2
		echo 0
		return 1
	fi
	_t1=$(now_ms)
	wait_for 30 queue_empty
	awk -v n="$1" -v ms="$((_t1 - _t0))" 'BEGIN { printf "%.1f\n", n * 1000 / ms }'
}

# latency - COUNT: average ms per message, one session, one at a time
latency() {
	_t0=$(date +%s%N)
	smtp-source -s 1 -m "$1" -l "$SIZE" -f bench@customer.test \
	    -t support@example.com "127.0.0.1:$SMTP_PORT" >"$T_TMP/lat.log" 2>&1
	_t1=$(date +%s%N)
	if grep -q . "$T_TMP/lat.log"; then
		echo "bench: smtp-source: $(sed 3q "$T_TMP/lat.log")" >&2
	fi
	wait_for 60 t_sink_has "$1"
	wait_for 30 queue_empty
	sink_clear
	awk -v n="$1" -v ns="$((_t1 - _t0))" 'BEGIN { printf "%.2f\n", ns / n / 1000000 }'
}

# measure - NAME SOCKET PID: one mode; appends "name socket rate lat cpu"
# to $T_TMP/results (PID "" when no milter: no CPU column)
measure() {
	echo "  $1 ($2): warm-up, throughput ($N x $SIZE B, $S sessions), latency ($LN x 1)" >&2
	throughput 200 "$S" >/dev/null
	_c0=${3:+$(cpu_ticks "$3")}
	_r=$(throughput "$N" "$S")
	_c1=${3:+$(cpu_ticks "$3")}
	_l=$(latency "$LN")
	_cpu=-
	if [ -n "$3" ] && [ -n "$_c0" ] && [ -n "$_c1" ]; then
		_cpu=$(awk -v d="$((_c1 - _c0))" -v hz="$HZ" -v n="$N" \
		    'BEGIN { printf "%.0f", d / hz / n * 1e6 }')
	fi
	echo "$1 $2 $_r $_l $_cpu" >>"$T_TMP/results"
	echo "    $_r msg/s, $_l ms/msg, milter CPU ${_cpu} us/msg" >&2
}

: >"$T_TMP/results"
LEN0=0
round=0
while [ "$round" -lt "$ROUNDS" ]; do
	round=$((round + 1))
	echo "round $round of $ROUNDS" >&2
	use_milter ""
	measure none - ""
	for name in $SOCKETS; do
		kind=$name
		[ "$name" = tcp ] && kind=inet
		start_noop_milter "$kind" || die "cannot start noop-milter ($kind)"
		rm -f "$T_TMP/mailacd.conf"
		start_milter "$kind" || die "cannot start mailacd-milter ($kind)"
		use_milter "$NOOP_PF"
		measure noop "$name" "$NOOP_PID"
		use_milter "$MILTER_PF"
		LEN0=$(stream_len acme)
		measure mailacd "$name" "$MILTER_PID"
		HANDED=$(( $(stream_len acme) - LEN0 ))
		echo "    mailacd handed off $HANDED stream entries" \
		    "(throughput + warm-up + latency runs: $((N + 200 + LN)) messages)" >&2
		stop_milter
		if [ "$FLOW" = 1 ]; then
			flow_conf >"$T_TMP/mailacd.conf"
			grep -q 'flow = "bench"' "$T_TMP/mailacd.conf" ||
			    die "the flow configuration was not written"
			start_milter "$kind" || die "cannot start mailacd-milter with the flow ($kind)"
			use_milter "$MILTER_PF"
			measure flow "$name" "$MILTER_PID"
			grep -q 'flow bench/default' "$MILTER_LOG" ||
			    echo "    (the milter log shows no flow evaluation!)" >&2
			stop_milter
		fi
		use_milter ""
		stop_noop_milter
	done
done

# --- the table ---------------------------------------------------------------
mkdir -p "$OUT"
{
	echo "mailacd bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
	echo "Postfix $(pf_postconf -dh mail_version), $N x $SIZE B over $S sessions;" \
	    "latency: $LN messages, 1 session; rounds: $ROUNDS (median)"
	echo
	awk -v rounds="$ROUNDS" '
	function median(key, col,    i, n, a, t, j) {
		n = cnt[key]
		for (i = 1; i <= n; i++) a[i] = val[key, col, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		key = $1 " " $2
		if (!(key in cnt)) order[++nk] = key
		c = ++cnt[key]
		val[key, 3, c] = $3; val[key, 4, c] = $4; val[key, 5, c] = $5
	}
	END {
		none_r = median("none -", 3); none_l = median("none -", 4)
		printf "%-9s %-6s %9s %8s %9s %10s %12s\n", "milter", "socket",
		    "msg/s", "vs none", "ms/msg", "+ms vs none", "CPU us/msg"
		for (k = 1; k <= nk; k++) {
			key = order[k]; split(key, p, " ")
			r[key] = median(key, 3); l[key] = median(key, 4)
			cpu = val[key, 5, 1] == "-" ? "-" : sprintf("%.0f", median(key, 5))
			printf "%-9s %-6s %9.1f %8.2f %9.2f %10s %12s\n", p[1], p[2],
			    r[key], (none_r ? r[key] / none_r : 0), l[key],
			    (key == "none -" ? "-" : sprintf("%+.2f", l[key] - none_l)), cpu
		}
		print ""
		for (s = 1; s <= 2; s++) {
			sock = s == 1 ? "unix" : "tcp"
			m = "mailacd " sock; o = "noop " sock; f = "flow " sock
			if ((f in r) && (o in r) && r[o])
				printf "%-4s  flow (20 rules, language detected)/noop %.2f (target >= 0.95: %s)   flow/mailacd %.2f   latency %+.2f ms vs none\n",
				    sock, r[f] / r[o], (r[f] / r[o] >= 0.95 ? "met" : "MISSED"),
				    (r[m] ? r[f] / r[m] : 0), l[f] - none_l
			if (!(m in r) || !(o in r)) continue
			ratio = r[o] ? r[m] / r[o] : 0
			printf "%-4s  mailacd/noop %.2f (target >= 0.95: %s)   noop/none %.2f   mailacd/none %.2f\n",
			    sock, ratio, (ratio >= 0.95 ? "met" : "MISSED"),
			    (none_r ? r[o] / none_r : 0), (none_r ? r[m] / none_r : 0)
			d = l[m] - none_l
			printf "%-4s  latency mailacd %+.2f ms vs none (target <= +1.5 ms: %s), noop %+.2f ms\n",
			    sock, d, (d <= 1.5 ? "met" : "MISSED"), l[o] - none_l
		}
	}' "$T_TMP/results"
} >"$OUT/latest.txt"
cat "$OUT/latest.txt"
