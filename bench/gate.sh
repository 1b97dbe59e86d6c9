#!/bin/sh
# gate.sh - what the outbound domain gate costs (man/mailacd-milter.8, "The
# domain gate"), measured in one run: outbound mail through Postfix and
# mailacd-milter with no gate, with the verification check, and with the
# verification check plus a rate limit.
#
# Usage: MAILACD_BUILD=$PWD/build sh bench/gate.sh [--quick]    (as root)
#
# One private Redis, smtp-sink and Postfix (t/lib/harness.sh) and three
# mailacd-milters, each with its own configuration, all running for the
# whole run; between measurements only Postfix's smtpd_milters changes.
# Every configuration is the harness one (support@example.com a registered
# address of acme, outbound.trusted_networks 127.0.0.0/8, example.com with
# a dkim group when BENCH_DKIM=1) and differs only in the gate:
#
#   a  no dns group: no gate, and no Redis round trip at all for mail that
#      answers nothing
#   b  dns.verification_secret set and example.com verified (verified_at in
#      mailacd:{acme}:domain:example.com, set with HSET): one HGET a message
#   c  b plus rate_limit = 1000000 on example.com: HGET + INCR + EXPIRE,
#      pipelined, one round trip a message
#
# Before verified_at is set, one message through milter b must be answered
# 451 4.7.1 (the gate is live).  smtp-source then sends BENCH_N copies of
# one fixed message (From support@example.com, a 4 KiB body) to
# ana@customer.test over BENCH_SESSIONS parallel sessions (a connection
# each), after a warm-up of BENCH_WARM; BENCH_ROUNDS rounds alternate the
# order (a b c, then c b a) so that background load falls on all alike;
# every number is the median over the rounds.
#
#   msg/s       (N - 1) / (time from the first to the last message the sink
#               wrote): the rate Postfix delivered at
#   wall/s      N / (time from starting smtp-source until the sink holds N)
#   milter us   the active milter's own CPU time per message (user + system)
#   redis us    redis-server's CPU time per message (INFO cpu)
#   hget, incr, expire, cmds
#               Redis calls per message (INFO commandstats delta / N; cmds:
#               every command but INFO)
#   reads       Redis read events per message (INFO stats
#               total_reads_processed delta / N): the round trips, since a
#               pipeline arrives in one read (less the reads of the
#               benchmark's own INFO connections, measured at the start)
#   sink        messages at the sink (the lowest over the rounds; must be N)
#   held        "held" or "tempfail" lines in the milter's log during the
#               measurements (must be 0)
#   signed      messages at the sink with a DKIM-Signature (BENCH_DKIM=1:
#               the lowest over the rounds, must be N)
#
#   BENCH_N=3000 BENCH_SESSIONS=20 BENCH_WARM=100 BENCH_ROUNDS=3
#   BENCH_SOCKET=inet        the milters' socket type: inet or unix
#   BENCH_DKIM=1             0: no dkim group, nothing signed
#   --quick                  N = 300, one round, warm-up 50: a smoke run
#
# The table goes to stdout and bench/out/gate.txt (with the command at the
# top).  Nothing is built here; bench/RESULTS.md is left alone.

T_TOP=$(cd "$(dirname "$0")/.." && pwd)
T_TAP=0
MAILACD_TEST_TIMEOUT=0

# the exact command, for the top of the output (before the harness moves
# MAILACD_BUILD to its private copy)
CMD="MAILACD_BUILD=${MAILACD_BUILD:-$T_TOP/build}"
for _v in $(env | sed -n 's/^\(BENCH_[A-Z_]*\)=.*/\1/p' | sort); do
	eval "CMD=\"\$CMD $_v=\${$_v}\""
done
CMD="$CMD sh bench/gate.sh${1:+ $1}"

. "$T_TOP/bench/lib.sh"

QUICK=0
case ${1:-} in
--quick) QUICK=1 ;;
"") ;;
*) echo "usage: sh bench/gate.sh [--quick]" >&2; exit 2 ;;
esac
if [ "$QUICK" = 1 ]; then
	N=${BENCH_N:-300}
	ROUNDS=${BENCH_ROUNDS:-1}
	WARM=${BENCH_WARM:-50}
else
	N=${BENCH_N:-3000}
	ROUNDS=${BENCH_ROUNDS:-3}
	WARM=${BENCH_WARM:-100}
fi
S=${BENCH_SESSIONS:-20}
SOCK=${BENCH_SOCKET:-inet}
DKIM=${BENCH_DKIM:-1}
OUT=$T_TOP/bench/out
FROM=support@example.com
RCPT=ana@customer.test
SECRET="a domain verification secret for bench/gate.sh"
DKEY='mailacd:{acme}:domain:example.com'
MODES="a b c"
# outbound mail only: no customer, the hourly sender limit does not apply
MILTER_SENDER_RATE_LIMIT=0

die() {
	echo "gate bench: $*" >&2
	exit 1
}

case $SOCK in
inet | unix) ;;
*) die "BENCH_SOCKET=$SOCK: want inet or unix" ;;
esac
case $DKIM in
0 | 1) ;;
*) die "BENCH_DKIM=$DKIM: want 0 or 1" ;;
esac
[ "$(id -u)" -eq 0 ] || die "run as root: the private Postfix instance needs it"
for t in redis-server redis-cli postfix smtp-source smtp-sink swaks ss openssl; do
	command -v "$t" >/dev/null 2>&1 || die "$t missing: make deps"
done
# a private copy: a rebuild during the run must not swap the program
bench_programs mailacd-milter

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the key (BENCH_DKIM=1) -------------------------------------------------------

DKIM_SET=
if [ "$DKIM" = 1 ]; then
	KEYS=$T_TMP/keys
	mkdir -p "$KEYS"
	chmod 700 "$KEYS"
	KEY=$KEYS/example.com.s1.key
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$KEY" 2>/dev/null || die "openssl genpkey failed"
	chmod 600 "$KEY"
	DKIM_SET="dkim = { selector = \"s1\"; key_file = \"$KEY\"; };"
fi

# --- the message: the same bytes for every run ------------------------------------

MSG=$T_TMP/message.eml
bench_message "$MSG" "$FROM" "$RCPT" gate

# --- servers ---------------------------------------------------------------------

start_redis || die "cannot start redis-server"
# throughput: Postfix's smtp-sink, the cheapest receiver (t/lib/harness.sh)
SINK_IMPL=smtp-sink
start_sink || die "cannot start smtp-sink"
start_postfix "" || die "cannot start the private Postfix"

# start_gate_milter - MODE: write MODE's configuration, check it and start
# its milter; sets PID_MODE, PF_MODE (Postfix syntax), LOG_MODE
start_gate_milter() {
	t_milter_sockets "$SOCK" "milter-$1"
	MILTER_SOCKET=$T_MSOCK
	case $1 in
	a) _dom=$DKIM_SET _top= ;;
	b) _dom=$DKIM_SET _top="dns = { verification_secret = \"$SECRET\"; };" ;;
	c) _dom="$DKIM_SET rate_limit = 1000000;"
	   _top="dns = { verification_secret = \"$SECRET\"; };" ;;
	esac
	_conf=$T_TMP/mailacd-$1.conf
	_log=$T_TMP/milter-$1.log
	milter_conf "" "" "" "$_dom" \
	    "outbound = { trusted_networks = [ \"127.0.0.0/8\" ]; }; $_top" \
	    >"$_conf"
	chmod 600 "$_conf"	# it may hold a secret: not readable by others
	"$MAILACD_BUILD/mailacd-milter" -n -c "$_conf" >"$T_TMP/check-$1.log" 2>&1 ||
	    die "mailacd-$1.conf does not check: $(cat "$T_TMP/check-$1.log")"
	spawn "milter-$1" "$_log" sh -c 'umask 0; exec "$@"' milter \
	    "$MAILACD_BUILD/mailacd-milter" -f -c "$_conf" -p "$MILTER_SOCKET"
	t_wait_milter "$SPAWNED_PID" "$_log" || die "cannot start milter $1"
	eval "PID_$1=\$SPAWNED_PID PF_$1=\$T_MPF LOG_$1=\$_log"
}
for m in $MODES; do
	start_gate_milter "$m"
done

# --- the gate is live: unverified, milter b holds the mail --------------------------

postfix_set_milter "$PF_b" || die "postfix reload failed"
sleep 2
send_mail "$MSG" "$FROM" "$RCPT"
CONTROL=$(swaks_final_reply)
case $CONTROL in
"451 4.7.1 "*"not verified"*) ;;
*) die "milter b did not hold mail from the unverified domain: '$CONTROL'" \
    "($(tail -n 3 "$LOG_b"))" ;;
esac
rcli HSET "$DKEY" verified_at "$(( $(now_ms) - 86400000 ))" >/dev/null ||
    die "cannot set verified_at"

# --- measuring -------------------------------------------------------------------

HZ=$(getconf CLK_TCK)

# redis_snap - FILE: the counters we compare, "name value" lines
redis_snap() {
	rcli INFO all | tr -d '\r' | awk -F'[:,=]' '
		/^cmdstat_/ { n = substr($1, 9); if (n != "info") { c[n] = $3; t += $3 } }
		/^total_reads_processed:/ { r = $2 }
		/^used_cpu_(sys|user):/ { cpu += $2 }
		END {
			printf "hget %d\nincr %d\nexpire %d\ncmds %d\nreads %d\ncpu %.6f\n",
			    c["hget"], c["incr"], c["expire"], t, r, cpu
		}' >"$1"
}
# snap_delta - A B NAME: B's NAME minus A's
snap_delta() {
	awk -v n="$3" 'FNR == NR { if ($1 == n) a = $2; next }
	    $1 == n { d = $2 - a; printf (n == "cpu" ? "%.6f\n" : "%d\n"), d }' "$1" "$2"
}

# send - COUNT: smtp-source sends COUNT copies of the message
send() {
	smtp-source -s "$S" -m "$1" -F "$MSG" -f "$FROM" -t "$RCPT" \
	    "127.0.0.1:$SMTP_PORT" >"$T_TMP/src.log" 2>&1
}

# held - LOG: lines of LOG saying a message was held or tempfailed
held() {
	grep -cE 'held|tempfail' "$1"
}

# delivered - MODE COUNT: wait until the sink holds COUNT messages, or die
# (at once when the milter held or tempfailed any)
delivered() {
	_lg=$(eval "echo \$LOG_$1")
	_h0=$(eval "echo \$HELD_$1")
	if [ "$(held "$_lg")" -gt "$_h0" ]; then
		die "milter $1 held or tempfailed mail:" \
		    "$(grep -E 'held|tempfail' "$_lg" | tail -n 2)"
	fi
	if ! wait_for "$(( $2 / 20 + 120 ))" t_sink_has "$2"; then
		die "mode $1: only $(sink_count) of $2 messages reached the sink;" \
		    "smtp-source said: $(sed 3q "$T_TMP/src.log");" \
		    "maillog: $(tail -n 5 "$PF_BASE/maillog")"
	fi
}

# the reads our own INFO connections add between two snapshots
redis_snap "$T_TMP/snap0"
redis_snap "$T_TMP/snap1"
INFO_READS=$(snap_delta "$T_TMP/snap0" "$T_TMP/snap1" reads)

# held lines before the measurements (b has the control message's)
for m in $MODES; do
	eval "HELD_$m=\$(held \"\$LOG_$m\")"
done

# measure - MODE ROUND: one configuration, one round; appends
# "mode round msg/s wall/s milter_us redis_us hget incr expire cmds reads
# sink held signed" to $T_TMP/results
measure() {
	_pf=$(eval "echo \$PF_$1")
	_pid=$(eval "echo \$PID_$1")
	postfix_set_milter "$_pf" || die "postfix reload failed"
	# the old smtpd processes go; the warm-up is served by new ones
	sleep 1
	sink_clear
	send "$WARM"
	delivered "$1" "$WARM"
	wait_for 30 queue_empty
	sink_clear
	redis_snap "$T_TMP/snap0"
	_c0=$(cpu_ticks "$_pid")
	_t0=$(now_ms)
	send "$N"
	delivered "$1" "$N"
	_t1=$(now_ms)
	_c1=$(cpu_ticks "$_pid")
	redis_snap "$T_TMP/snap1"
	wait_for 30 queue_empty
	_span=$(find "$SINK_DIR" -type f -printf '%T@\n' | sort -n |
	    awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.3f", b - a }')
	_rate=$(awk -v n="$N" -v s="$_span" 'BEGIN { printf "%.1f", (s > 0 ? (n - 1) / s : 0) }')
	_wall=$(awk -v n="$N" -v ms="$((_t1 - _t0))" 'BEGIN { printf "%.1f", n * 1000 / ms }')
	_cpu=$(awk -v d="$((_c1 - _c0))" -v hz="$HZ" -v n="$N" \
	    'BEGIN { printf "%.0f", d / hz / n * 1e6 }')
	_rcpu=$(awk -v d="$(snap_delta "$T_TMP/snap0" "$T_TMP/snap1" cpu)" \
	    -v n="$N" 'BEGIN { printf "%.0f", d / n * 1e6 }')
	_calls=
	for k in hget incr expire cmds; do
		_calls="$_calls $(snap_delta "$T_TMP/snap0" "$T_TMP/snap1" "$k")"
	done
	_calls="$_calls $(( $(snap_delta "$T_TMP/snap0" "$T_TMP/snap1" reads) - INFO_READS ))"
	_files=$(sink_count)
	_lg=$(eval "echo \$LOG_$1")
	_held=$(( $(held "$_lg") - $(eval "echo \$HELD_$1") ))
	_signed=$(find "$SINK_DIR" -type f -exec grep -il '^DKIM-Signature:' {} + |
	    wc -l)
	echo "$1 $2 $_rate $_wall $_cpu $_rcpu$_calls $_files $_held $_signed" \
	    >>"$T_TMP/results"
	echo "    $1: $_rate msg/s (wall $_wall/s), milter $_cpu us/msg," \
	    "redis $_rcpu us/msg, calls (hget incr expire all reads):$_calls;" \
	    "$_files at the sink, $_held held, $_signed signed" >&2
	sink_clear
}

: >"$T_TMP/results"
: >"$T_TMP/loads"
T_START=$(now_ms)
round=0
while [ "$round" -lt "$ROUNDS" ]; do
	round=$((round + 1))
	if [ $((round % 2)) = 1 ]; then
		order="a b c"
	else
		order="c b a"
	fi
	echo "round $round of $ROUNDS ($N x $(wc -c <"$MSG") B, $S sessions," \
	    "$SOCK sockets): $order" >&2
	for m in $order; do
		measure "$m" "$round"
	done
	echo "$round $(cut -d' ' -f1 /proc/loadavg)" >>"$T_TMP/loads"
done
postfix_set_milter "" || true
T_SECS=$(( ($(now_ms) - T_START) / 1000 ))
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

for m in $MODES; do
	_pid=$(eval "echo \$PID_$m")
	t_alive "$_pid" ||
	    die "milter $m died: $(tail -n 5 "$(eval "echo \$LOG_$m")")"
done
SENDRATE=$(rcli --scan --pattern 'mailacd:{acme}:sendrate:*' | wc -l)
SENDTTL=$(rcli --scan --pattern 'mailacd:{acme}:sendrate:*' | sed 1q |
    xargs -r redis-cli -h 127.0.0.1 -p "$REDIS_PORT" TTL)

# --- the table -------------------------------------------------------------------

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sed 1q)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
COMMIT=$(git -C "$T_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git -C "$T_TOP" diff --quiet HEAD -- common milter 2>/dev/null; then
	COMMIT="$COMMIT (with local changes to common/ or milter/)"
fi
PF_V=$(pf_postconf -dh mail_version)
REDIS_V=$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')
if [ "$DKIM" = 1 ]; then
	SIGNING="signed with RSA-2048 in every mode"
else
	SIGNING="not signed (BENCH_DKIM=0)"
fi
mkdir -p "$OUT"
{
	echo "command: $CMD"
	echo "mailacd domain gate bench, $DATE, $(nproc) CPUs ($CPU), $(uname -r)"
	echo "mailacd $(cat "$T_TOP/VERSION" 2>/dev/null), commit $COMMIT;" \
	    "Postfix $PF_V; Redis $REDIS_V"
	echo "$N x $(wc -c <"$MSG") B outbound message from $FROM over $S" \
	    "sessions, $SOCK milter sockets, $SIGNING;"
	echo "warm-up $WARM; rounds: $ROUNDS (median), $T_SECS s;" \
	    "load average (1/5/15 min) at the start $LOAD_START, at the end $LOAD_END"
	echo "(the load average counts this benchmark's own processes too:" \
	    "the value at the start is the background)"
	echo
	echo "a  no dns group: no gate"
	echo "b  dns.verification_secret, example.com verified: HGET"
	echo "c  b + rate_limit = 1000000: HGET + INCR + EXPIRE pipelined"
	echo
	awk -v n="$N" -v dkim="$DKIM" -v loads="$T_TMP/loads" '
	function median(key, col,    i, c, a, t, j) {
		c = cnt[key]
		for (i = 1; i <= c; i++) a[i] = val[key, col, i]
		for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++)
			if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
	}
	{
		k = $1; c = ++cnt[k]
		for (f = 3; f <= 14; f++) val[k, f, c] = $f
		for (f = 7; f <= 11; f++) sum[k, f] += $f
		if (!(k in minsink) || $12 < minsink[k]) minsink[k] = $12
		heldsum[k] += $13
		if (!(k in minsig) || $14 < minsig[k]) minsig[k] = $14
		if ($14 > maxsig[k]) maxsig[k] = $14
		rate[$2, k] = $3
		line[$2] = line[$2] sprintf("  %s %.1f", k, $3)
		if ($2 > rounds) rounds = $2
	}
	END {
		while ((getline l < loads) > 0) { split(l, p, " "); load[p[1]] = p[2] }
		a = median("a", 3)
		printf "%-4s %8s %6s %8s %10s %9s %6s %6s %6s %6s %6s %9s %5s %9s\n",
		    "mode", "msg/s", "vs a", "wall/s", "milter us", "redis us",
		    "hget", "incr", "expire", "cmds", "reads", "sink min",
		    "held", "signed"
		split("a b c", ks, " ")
		for (i = 1; i <= 3; i++) {
			k = ks[i]
			if (!(k in cnt)) continue
			r[k] = median(k, 3)
			sig = dkim ? minsig[k] "/" n : "-"
			if (dkim && minsig[k] != n) bad = bad " " k ": not every message signed;"
			if (!dkim && maxsig[k] != 0) bad = bad " " k ": signed without a key?;"
			if (minsink[k] != n) bad = bad " " k ": messages missing at the sink;"
			if (heldsum[k] != 0) bad = bad " " k ": held or tempfailed;"
			printf "%-4s %8.1f %6.3f %8.1f %10.0f %9.0f %6.3f %6.3f %6.3f %6.3f %6.3f %9s %5d %9s\n",
			    k, r[k], (a ? r[k] / a : 0), median(k, 4), median(k, 5),
			    median(k, 6), sum[k, 7] / (n * cnt[k]),
			    sum[k, 8] / (n * cnt[k]), sum[k, 9] / (n * cnt[k]),
			    sum[k, 10] / (n * cnt[k]), sum[k, 11] / (n * cnt[k]),
			    minsink[k] "/" n, heldsum[k], sig
		}
		print ""
		printf "throughput (medians): b/a %.3f   c/a %.3f   c/b %.3f\n",
		    (a ? r["b"] / a : 0), (a ? r["c"] / a : 0),
		    (r["b"] ? r["c"] / r["b"] : 0)
		printf "milter CPU us/msg (medians): a %.0f  b %.0f  c %.0f" \
		    "   (b - a %+.0f, c - a %+.0f)\n",
		    median("a", 5), median("b", 5), median("c", 5),
		    median("b", 5) - median("a", 5), median("c", 5) - median("a", 5)
		# the expected calls: a none, b one HGET, c HGET INCR EXPIRE,
		# each in one read (round trip)
		want["a", 7] = 0; want["a", 8] = 0; want["a", 9] = 0; want["a", 11] = 0
		want["b", 7] = 1; want["b", 8] = 0; want["b", 9] = 0; want["b", 11] = 1
		want["c", 7] = 1; want["c", 8] = 1; want["c", 9] = 1; want["c", 11] = 1
		rt = ""
		for (i = 1; i <= 3; i++) {
			k = ks[i]
			for (f = 7; f <= 11; f++) {
				if (f == 10) continue
				v = sum[k, f] / (n * cnt[k])
				if (v < want[k, f] - 0.01 || v > want[k, f] + 0.01)
					rt = rt " " k
			}
		}
		if (rt == "")
			print "Redis per message: a none, b 1 HGET, c 1 HGET + 1 INCR + 1 EXPIRE; one read (round trip) each in b and c: as expected"
		else
			print "Redis per message NOT as expected in mode(s):" rt
		if (bad == "")
			print "checks: every message reached the sink, none held or tempfailed" \
			    (dkim ? ", every one signed" : "")
		else
			print "CHECKS FAILED:" bad
		print ""
		print "rounds (msg/s; 1-min load average after the round):"
		for (i = 1; i <= rounds; i++)
			printf "round %d:%s   b/a %.3f c/a %.3f   load %s\n", i,
			    line[i], rate[i, "b"] / rate[i, "a"],
			    rate[i, "c"] / rate[i, "a"], load[i]
	}' "$T_TMP/results"
	echo
	echo "gate live before the run: unverified example.com through b: $CONTROL"
	echo "sendrate keys left by c: $SENDRATE (TTL of one: ${SENDTTL:--});" \
	    "Redis reads of the benchmark's own INFO calls, subtracted: $INFO_READS"
} >"$OUT/gate.txt"
cat "$OUT/gate.txt"
grep -q '^CHECKS FAILED\|NOT as expected' "$OUT/gate.txt" && exit 1
exit 0
