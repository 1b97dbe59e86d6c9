#!/bin/sh
# forward.sh - what forward mode costs: the milter keeping a copy of every
# message in Redis, and the router resending those copies to the agents,
# measured in one run.
#
# Usage: MAILACD_BUILD=$PWD/build sh bench/forward.sh [--quick]
#
# One private Redis, two smtp-sinks and a private Postfix (t/lib/harness.sh):
# the first sink takes the customers' mail (support@example.com, Postfix's
# default_transport), the second the agents' (corp.example, transport_maps,
# or the router directly).  Two mailacd-milter processes run for the whole
# run on their own sockets, with the same mailacd.conf but for the support
# queue's delivery: "notify" in one, "forward" in the other; between
# measurements only Postfix's smtpd_milters changes.  The configuration has
# 40 agents of capacity 25 in the support queue (delivery.relay, outbound
# .trusted_daemons = submission: a second smtpd port the milter trusts by
# milter_macro_daemon_name, as in t/5060-e2e-agent-loop.t) and
# milter.sender_rate_limit = 0: smtp-source sends everything from one
# address, and the default limit (60 an hour) would stop routing after the
# 60th message.
#
# 1. Milter intake, no router running (nothing is assigned, nothing is
#    resent): smtp-source sends BENCH_N messages of BENCH_SIZE bytes over
#    BENCH_SESSIONS sessions to support@example.com with no milter, the
#    notify milter and the forward milter, then BENCH_BIG_N messages of
#    BENCH_BIG bytes with the notify and the forward milter; each after a
#    warm-up.  Rounds alternate the order; every number is the median over
#    the rounds.
#      msg/s      N / (time from starting smtp-source until the sink holds
#                 N), as bench/run.sh measures
#      CPU us     the milter process's CPU time per message (user + system,
#                 /proc/PID/stat)
#      Redis B    INFO memory used_memory less mem_clients_normal (the
#                 clients' buffers), after - before the timed run, / N
#                 (Redis is flushed after the warm-up); per stored copy:
#                 forward - notify, against the size of one copy (its
#                 "size" field)
#      handed     entries in the ingest stream after the run (must be N)
#      stored     msg: keys (the copies) after the run (forward: N,
#                 notify: 0)
# 2. Router resend, forward mode end to end, for each relay in
#    BENCH_RELAYS: "direct" (delivery.relay is the agents' smtp-sink) and
#    "postfix" (delivery.relay is the private Postfix's submission port,
#    which relays corp.example to that sink).  A fresh Redis database and
#    a fresh mailacd-router -f each time.
#      latency    every agent available; BENCH_LAT_N messages sent one after
#                 another (a connection each, one every BENCH_LAT_GAP_MS
#                 ms at most) by a python3 client that notes when it sent
#                 the end of DATA and when Postfix answered 250; latency is
#                 the time from that 250 to the resent copy's file at the
#                 agents' sink (its mtime, matched by Message-ID): median,
#                 p95, min, max.  It can be below 0: the milter hands the
#                 message off at the end of DATA, before Postfix has
#                 written its queue file and answered, so the copy may
#                 arrive first; the median from the end of DATA and the
#                 median DATA->250 time are shown too
#      burst      every agent offline; smtp-source sends BENCH_BURST
#                 messages (BENCH_SESSIONS sessions), the router queues
#                 them all as waiting; then every agent is made available
#                 (mailacdctl agent ID available, one after another: each
#                 takes 25 at once) and resends/s is BENCH_BURST / (time
#                 from the first of those calls to the last copy's mtime);
#                 "span/s" is (BURST - 1) / (last - first copy's mtime)
#      CPU us     the router process's CPU time per resend during the burst
#      vs intake  the burst's resends/s / the forward milter's msg/s at
#                 BENCH_SIZE from part 1 (>= 1: delivery keeps up with what
#                 one Postfix with the milter accepts)
#    Every copy must reach the agents' sink exactly once (a distinct
#    Message-ID each), or the numbers are void.
#
#   BENCH_N=2000 BENCH_SESSIONS=20 BENCH_SIZE=4096 BENCH_WARM=200
#   BENCH_ROUNDS=3 BENCH_BIG=1048576 BENCH_BIG_N=200 BENCH_BIG_WARM=20
#   BENCH_LAT_N=300 BENCH_LAT_GAP_MS=25 BENCH_BURST=1000
#   BENCH_RELAYS="direct postfix" BENCH_SOCKET=unix (or inet: the milters)
#   --quick   N = 300, BIG_N = 30, LAT_N = 50, BURST = 200, one round
#
# Ratios matter, absolute numbers do not: Postfix, the sinks, Redis, the
# milters, the router and the clients share the machine's cores.  The
# table goes to stdout and bench/out/forward.txt, the exact command at its
# top.  Nothing is built here and bench/RESULTS.md is left alone.

# the exact command, for the table: the settings that came from the caller
BENCH_CMD=$(env | grep -E '^(BENCH|MAILACD)_[A-Z_]*=' | sort |
    sed "s/=\(.*\)/='\1'/" | tr '\n' ' ')
BENCH_CMD="${BENCH_CMD}sh bench/forward.sh${1:+ $1}"

T_TOP=$(cd "$(dirname "$0")/.." && pwd)
T_TAP=0
MAILACD_TEST_TIMEOUT=0
. "$T_TOP/bench/lib.sh"

QUICK=0
case ${1:-} in
--quick) QUICK=1 ;;
"") ;;
*) echo "usage: sh bench/forward.sh [--quick]" >&2; exit 2 ;;
esac
if [ "$QUICK" = 1 ]; then
	N=${BENCH_N:-300}
	BIG_N=${BENCH_BIG_N:-30}
	LAT_N=${BENCH_LAT_N:-50}
	BURST=${BENCH_BURST:-200}
	ROUNDS=${BENCH_ROUNDS:-1}
	WARM=${BENCH_WARM:-50}
	BIG_WARM=${BENCH_BIG_WARM:-5}
else
	N=${BENCH_N:-2000}
	BIG_N=${BENCH_BIG_N:-200}
	LAT_N=${BENCH_LAT_N:-300}
	BURST=${BENCH_BURST:-1000}
	ROUNDS=${BENCH_ROUNDS:-3}
	WARM=${BENCH_WARM:-200}
	BIG_WARM=${BENCH_BIG_WARM:-20}
fi
S=${BENCH_SESSIONS:-20}
SIZE=${BENCH_SIZE:-4096}
BIG=${BENCH_BIG:-1048576}
LAT_GAP=${BENCH_LAT_GAP_MS:-25}
RELAYS=${BENCH_RELAYS:-direct postfix}
SOCK=${BENCH_SOCKET:-unix}
NAGENTS=40
CAP=25
OUT=$T_TOP/bench/out
PY=/usr/bin/python3
ORG=acme
P="mailacd:{$ORG}:"

die() {
	echo "forward bench: $*" >&2
	exit 1
}

case $SOCK in
inet | unix) ;;
*) die "BENCH_SOCKET=$SOCK: want inet or unix" ;;
esac
for r in $RELAYS; do
	case $r in
	direct | postfix) ;;
	*) die "BENCH_RELAYS: $r: want direct and/or postfix" ;;
	esac
done
[ $((NAGENTS * CAP)) -ge "$BURST" ] && [ $((NAGENTS * CAP)) -ge "$LAT_N" ] ||
    die "BENCH_BURST and BENCH_LAT_N: at most $((NAGENTS * CAP)) (the agents' capacity)"
[ "$(id -u)" -eq 0 ] || die "run as root: the private Postfix instance needs it"
for t in redis-server redis-cli postfix postconf smtp-source smtp-sink ss; do
	command -v "$t" >/dev/null 2>&1 || die "$t missing: make deps"
done
[ -x "$PY" ] || die "$PY missing"
bench_programs mailacd-milter mailacd-router mailacdctl

T_START=$(now_ms)

# --- servers ---------------------------------------------------------------------

start_redis || die "cannot start redis-server"
# throughput: Postfix's smtp-sink, the cheapest receiver (t/lib/harness.sh)
SINK_IMPL=smtp-sink
start_sink || die "cannot start smtp-sink"
# the agents' sink, like start_sink
AG_PORT=$(free_port)
AG_DIR=$T_TMP/agents
mkdir -p "$AG_DIR"
chown postfix "$AG_DIR"
spawn agsink "$T_TMP/agsink.log" smtp-sink -u postfix -c \
    -d "$AG_DIR/%H%M%S." "127.0.0.1:$AG_PORT" 256
wait_for 10 port_listening "$AG_PORT" || die "the agents' smtp-sink did not listen"
SUB_PORT=$(free_port)

# conf - FILE DELIVERY SOCKET RELAY: a mailacd.conf, the support queue's
# delivery DELIVERY, the milter on SOCKET, delivery.relay RELAY
conf() {
	_agents=
	_i=1
	while [ $_i -le $NAGENTS ]; do
		_agents="$_agents${_agents:+,
		}{ id = \"a$_i\"; address = \"a$_i@corp.example\"; queues = [ \"support\" ]; capacity = $CAP; }"
		_i=$((_i + 1))
	done
	cat >"$1" <<EOF
# mailacd.conf written by bench/forward.sh
redis = { host = "127.0.0.1"; port = $REDIS_PORT;
	connect_timeout_ms = 500; command_timeout_ms = 5000; };
milter = { socket = "$3"; on_redis_failure = "tempfail";
	sender_rate_limit = 0; };
outbound = { trusted_daemons = [ "submission" ]; trust_authenticated = false; };
delivery = { relay = "$4"; retry_min = 1; retry_max = 2; timeout = 30; };
organizations = ( {
	id = "$ORG";
	queues = ( { name = "support"; delivery = "$2"; } );
	agents = (
		$_agents
	);
	domains = ( { name = "example.com";
		addresses = ( { address = "support@example.com"; queue = "support"; } );
	} );
} );
EOF
	"$MAILACD_BUILD/mailacd-milter" -n -c "$1" >"$1.check" 2>&1 ||
	    die "$1 does not check: $(cat "$1.check")"
}

# milter - NAME DELIVERY: start a mailacd-milter with its own configuration
# (sets NAME_PF, NAME_PID, NAME_CONF)
milter() {
	t_milter_sockets "$SOCK" "$1"
	conf "$T_TMP/$1.conf" "$2" "$T_MSOCK" "smtp://127.0.0.1:$AG_PORT"
	spawn "$1" "$T_TMP/$1.log" sh -c 'umask 0; exec "$@"' "$1" \
	    "$MAILACD_BUILD/mailacd-milter" -f -c "$T_TMP/$1.conf" -p "$T_MSOCK"
	t_wait_milter "$SPAWNED_PID" "$T_TMP/$1.log" || die "cannot start the $1 milter"
	eval "${1}_PF=\$T_MPF ${1}_PID=\$SPAWNED_PID ${1}_CONF=\$T_TMP/\$1.conf"
}
milter notify notify
milter forward forward

PF_EXTRA_MAIN="milter_connect_macros = j {daemon_name} v {client_addr}
transport_maps = inline:{ corp.example=smtp:[127.0.0.1]:$AG_PORT }"
start_postfix "" || die "cannot start the private Postfix"
pf_postconf -M "127.0.0.1:$SUB_PORT/inet=127.0.0.1:$SUB_PORT inet n - n - - smtpd -o milter_macro_daemon_name=submission" ||
    die "cannot add the submission service"
postfix -c "$PF_CONF" reload >>"$PF_BASE/start.log" 2>&1
wait_for 15 port_listening "$SUB_PORT" || die "no submission service on $SUB_PORT"

# --- helpers -----------------------------------------------------------------------

HZ=$(getconf CLK_TCK)

# used_memory - INFO memory used_memory of the private Redis, less what
# its clients' buffers hold (mem_clients_normal: a connection that carried
# a large copy keeps a large query buffer for a while)
used_memory() {
	rcli info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { u = $2 }
	    $1 == "mem_clients_normal" { c = $2 } END { print u - c }'
}

# nkeys - PATTERN: how many keys match
nkeys() {
	rcli EVAL 'return #redis.call("KEYS", ARGV[1])' 0 "$1"
}

# send - COUNT SIZE: smtp-source sends COUNT messages of SIZE bytes to
# support@example.com over S sessions; dies when it complains
send() {
	smtp-source -s "$S" -m "$1" -l "$2" -f bench@customer.test \
	    -t support@example.com "127.0.0.1:$SMTP_PORT" >"$T_TMP/src.log" 2>&1
	[ -s "$T_TMP/src.log" ] &&
	    echo "    smtp-source: $(sed 3q "$T_TMP/src.log")" >&2
	return 0
}

# delivered - COUNT: wait until the customers' sink holds COUNT, or die
delivered() {
	wait_for "$(( $1 / 10 + 60 ))" t_sink_has "$1" ||
	    die "only $(sink_count) of $1 messages reached the sink;" \
		"smtp-source said: $(sed 3q "$T_TMP/src.log");" \
		"maillog: $(tail -n 5 "$PF_BASE/maillog")"
}

ag_count() { find "$AG_DIR" -type f | wc -l; }
ag_has() { [ "$(ag_count)" -ge "$1" ]; }
ag_clear() { find "$AG_DIR" -type f -exec rm -f {} +; }

# --- 1. milter intake ----------------------------------------------------------------

# measure - LABEL MODE SIZE COUNT WARM ROUND: one configuration, one round;
# appends "label round msg/s cpu_us redis_B handed stored" to results
measure() {
	case $2 in
	none) _spec='' _pid='' ;;
	notify) _spec=$notify_PF _pid=$notify_PID ;;
	forward) _spec=$forward_PF _pid=$forward_PID ;;
	esac
	postfix_set_milter "$_spec" || die "postfix reload failed"
	sleep 2
	sink_clear
	send "$5" "$3"
	delivered "$5"
	wait_for 30 queue_empty
	sink_clear
	rcli FLUSHDB >/dev/null
	_m0=$(used_memory)
	_c0=${_pid:+$(cpu_ticks "$_pid")}
	_t0=$(now_ms)
	send "$4" "$3"
	delivered "$4"
	_t1=$(now_ms)
	_c1=${_pid:+$(cpu_ticks "$_pid")}
	wait_for 30 queue_empty
	_m1=$(used_memory)
	_rate=$(awk -v n="$4" -v ms="$((_t1 - _t0))" 'BEGIN { printf "%.1f", n * 1000 / ms }')
	_cpu=- _mem=- _handed=- _stored=-
	if [ -n "$_pid" ]; then
		_cpu=$(awk -v d="$((_c1 - _c0))" -v hz="$HZ" -v n="$4" \
		    'BEGIN { printf "%.0f", d / hz / n * 1e6 }')
		_mem=$(awk -v d="$((_m1 - _m0))" -v n="$4" 'BEGIN { printf "%.0f", d / n }')
		_handed=$(rcli XLEN "${P}ingest")
		_stored=$(nkeys "${P}msg:*")
		[ "$_stored" -gt 0 ] && _one=$(rcli --scan --pattern "${P}msg:*" | sed 1q) &&
		    echo "$1 $(rcli HGET "$_one" size)" >>"$T_TMP/copysize"
	fi
	echo "$1 $6 $_rate $_cpu $_mem $_handed $_stored" >>"$T_TMP/results"
	echo "    $1: $_rate msg/s, milter CPU $_cpu us/msg, Redis $_mem B/msg," \
	    "handed off $_handed, stored $_stored of $4" >&2
	sink_clear
	rcli FLUSHDB >/dev/null
}

: >"$T_TMP/results"
: >"$T_TMP/copysize"
round=0
while [ "$round" -lt "$ROUNDS" ]; do
	round=$((round + 1))
	if [ $((round % 2)) = 1 ]; then
		order="none notify forward"
		border="notify forward"
	else
		order="forward notify none"
		border="forward notify"
	fi
	echo "round $round of $ROUNDS: $N x $SIZE B, $BIG_N x $BIG B," \
	    "$S sessions, $SOCK milter sockets, no router" >&2
	for m in $order; do
		measure "$m" "$m" "$SIZE" "$N" "$WARM" "$round"
	done
	for m in $border; do
		measure "big-$m" "$m" "$BIG" "$BIG_N" "$BIG_WARM" "$round"
	done
done
t_alive "$notify_PID" || die "the notify milter died: $(tail -n 5 "$T_TMP/notify.log")"
t_alive "$forward_PID" || die "the forward milter died: $(tail -n 5 "$T_TMP/forward.log")"
T_PART1=$(( ($(now_ms) - T_START) / 1000 ))

# --- 2. router resend ------------------------------------------------------------------

# the latency client: LAT_N messages, a connection each, one every LAT_GAP
# ms at most; prints "message-id epoch-seconds-of-the-250" per message
cat >"$T_TMP/lat.py" <<'PYEOF'
import smtplib, sys, time
port, n, gap, size, run = int(sys.argv[1]), int(sys.argv[2]), \
    float(sys.argv[3]) / 1000, int(sys.argv[4]), sys.argv[5]
line = b'X' * 76 + b'\r\n'
body = (line * (size // len(line) + 1))[:size]
start = time.time()
for i in range(n):
    due = start + i * gap
    now = time.time()
    if due > now:
        time.sleep(due - now)
    mid = 'lat.%d.%s@customer.test' % (i, run)
    msg = ('From: Customer %d <cust%d@customer.test>\r\n'
        'To: support@example.com\r\nSubject: latency %d\r\n'
        'Date: %s\r\nMessage-ID: <%s>\r\n\r\n' % (i, i, i,
        time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime()),
        mid)).encode() + body
    s = smtplib.SMTP('127.0.0.1', port, timeout=60)
    s.ehlo('client.customer.test')
    for cmd, ok in (('MAIL FROM:<cust%d@customer.test>' % i, 250),
            ('RCPT TO:<support@example.com>', 250), ('DATA', 354)):
        code, text = s.docmd(cmd)
        if code != ok:
            sys.exit('%s: %d %s' % (cmd, code, text))
    # no line of the message starts with "."
    s.send(msg + b'\r\n.\r\n')
    dot = time.time()
    code, text = s.getreply()
    t = time.time()
    if code != 250:
        sys.exit('end of DATA: %d %s' % (code, text))
    s.quit()
    print(mid, '%.6f' % dot, '%.6f' % t, flush=True)
PYEOF

# the copies at the agents' sink: "message-id mtime" each, and the latency
# (mtime - the 250) of those in FILE (the client's output), or the burst
# rate from T0 (epoch seconds), as "key=value" lines
cat >"$T_TMP/copies.py" <<'PYEOF'
import os, sys
d, mode, arg = sys.argv[1], sys.argv[2], sys.argv[3]
copies = []
for f in os.listdir(d):
    p = os.path.join(d, f)
    mid, resent = None, False
    with open(p, 'rb') as fh:
        for l in fh:
            l = l.rstrip(b'\r\n')
            if l == b'':
                break
            low = l.lower()
            if low.startswith(b'message-id:'):
                mid = l.split(b':', 1)[1].strip().strip(b'<>').decode()
            elif low.startswith(b'resent-to:'):
                resent = True
    copies.append((mid, os.stat(p).st_mtime, resent))
mids = [c[0] for c in copies]
print('copies=%d' % len(copies))
print('distinct=%d' % len(set(mids)))
print('resent=%d' % sum(1 for c in copies if c[2]))
def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(round(q * (len(v) - 1)))))]
if mode == 'latency':
    sent = {}
    for l in open(arg):
        m, dot, t = l.split()
        sent[m] = (float(dot), float(t))
    lat = [(c[1] - sent[c[0]][1]) * 1000 for c in copies if c[0] in sent]
    dot = [(c[1] - sent[c[0]][0]) * 1000 for c in copies if c[0] in sent]
    acc = [(v[1] - v[0]) * 1000 for v in sent.values()]
    print('sent=%d' % len(sent))
    print('matched=%d' % len(lat))
    if lat:
        print('p50=%.1f' % pct(lat, 0.5))
        print('p95=%.1f' % pct(lat, 0.95))
        print('min=%.1f' % min(lat))
        print('max=%.1f' % max(lat))
        print('mean=%.1f' % (sum(lat) / len(lat)))
        print('dot_p50=%.1f' % pct(dot, 0.5))
        print('dot_p95=%.1f' % pct(dot, 0.95))
        print('acc_p50=%.1f' % pct(acc, 0.5))
else:
    t0 = float(arg)
    ts = sorted(c[1] for c in copies)
    if ts:
        print('first_ms=%.0f' % ((ts[0] - t0) * 1000))
        print('last_ms=%.0f' % ((ts[-1] - t0) * 1000))
        print('rate=%.1f' % (len(ts) / (ts[-1] - t0)))
        if len(ts) > 1 and ts[-1] > ts[0]:
            print('span_rate=%.1f' % ((len(ts) - 1) / (ts[-1] - ts[0])))
PYEOF

postfix_set_milter "$forward_PF" || die "postfix reload failed"
sleep 2

# start_router - RELAY: a fresh database and a fresh router delivering to
# RELAY (direct or postfix), every agent offline (sets ROUTER_PID, RCONF)
start_router() {
	rcli FLUSHDB >/dev/null
	RCONF=$T_TMP/router-$1.conf
	case $1 in
	direct) _url=smtp://127.0.0.1:$AG_PORT ;;
	postfix) _url=smtp://127.0.0.1:$SUB_PORT ;;
	esac
	sed "s|^delivery = { relay = \"[^\"]*\"|delivery = { relay = \"$_url\"|" \
	    "$forward_CONF" >"$RCONF"
	grep -q "relay = \"$_url\"" "$RCONF" || die "cannot set delivery.relay in $RCONF"
	spawn "router-$1" "$T_TMP/router-$1.log" \
	    "$MAILACD_BUILD/mailacd-router" -f -c "$RCONF"
	ROUTER_PID=$SPAWNED_PID
	wait_for 20 roster_written ||
	    die "the router wrote no roster: $(tail -n 5 "$T_TMP/router-$1.log")"
}
roster_written() { [ "$(rcli SCARD "${P}agents")" = "$NAGENTS" ]; }

stop_router() {
	kill_pid "$ROUTER_PID" 10
	t_forget "$ROUTER_PID"
}

# agents - PRESENCE: every agent, one after another
agents() {
	_i=1
	while [ $_i -le $NAGENTS ]; do
		"$MAILACD_BUILD/mailacdctl" -c "$RCONF" agent "a$_i" "$1" \
		    >>"$T_TMP/ctl.log" 2>&1 || die "mailacdctl agent a$_i $1 failed"
		_i=$((_i + 1))
	done
}

waiting_all() { [ "$(rcli ZCARD "${P}queue:support")" -ge "$1" ]; }

# kv - RELAY KEY VALUE: one result of part 2
kv() { echo "$1 $2=$3" >>"$T_TMP/router.res"; }

: >"$T_TMP/router.res"
RUN=$$.$(date +%s)
for relay in $RELAYS; do
	echo "router, relay $relay: latency ($LAT_N messages, one every" \
	    "$LAT_GAP ms at most), burst ($BURST waiting)" >&2
	# latency: every agent available
	start_router "$relay"
	agents available
	sink_clear
	ag_clear
	"$PY" "$T_TMP/lat.py" "$SMTP_PORT" "$LAT_N" "$LAT_GAP" "$SIZE" \
	    "$relay.$RUN" >"$T_TMP/lat.$relay" 2>"$T_TMP/lat.$relay.err" ||
	    die "the latency client failed: $(tail -n 3 "$T_TMP/lat.$relay.err")"
	wait_for $((LAT_N / 10 + 60)) ag_has "$LAT_N" ||
	    die "relay $relay: only $(ag_count) of $LAT_N copies reached the agents' sink;" \
		"router: $(tail -n 3 "$T_TMP/router-$relay.log")"
	wait_for 30 queue_empty
	sleep 2	# a duplicate would show now
	"$PY" "$T_TMP/copies.py" "$AG_DIR" latency "$T_TMP/lat.$relay" |
	    sed "s/^/$relay lat_/" >>"$T_TMP/router.res"
	stop_router

	# burst: every agent offline, BURST waiting, then all available
	start_router "$relay"
	sink_clear
	ag_clear
	_t0=$(now_ms)
	send "$BURST" "$SIZE"
	delivered "$BURST"
	_t1=$(now_ms)
	kv "$relay" intake "$(awk -v n="$BURST" -v ms="$((_t1 - _t0))" \
	    'BEGIN { printf "%.1f", n * 1000 / ms }')"
	wait_for 60 waiting_all "$BURST" ||
	    die "relay $relay: only $(rcli ZCARD "${P}queue:support") of $BURST waiting"
	wait_for 30 queue_empty
	[ "$(ag_count)" = 0 ] || die "relay $relay: copies went out with every agent offline"
	_c0=$(cpu_ticks "$ROUTER_PID")
	_b0=$(date +%s.%N)
	_b0ms=$(now_ms)
	agents available
	kv "$relay" ctl_ms "$(( $(now_ms) - _b0ms ))"
	wait_for $((BURST / 10 + 60)) ag_has "$BURST" ||
	    die "relay $relay: only $(ag_count) of $BURST copies reached the agents' sink;" \
		"router: $(tail -n 3 "$T_TMP/router-$relay.log")"
	_c1=$(cpu_ticks "$ROUTER_PID")
	wait_for 30 queue_empty
	sleep 2
	kv "$relay" router_cpu "$(awk -v d="$((_c1 - _c0))" -v hz="$HZ" -v n="$BURST" \
	    'BEGIN { printf "%.0f", d / hz / n * 1e6 }')"
	kv "$relay" waiting_after "$(rcli ZCARD "${P}queue:support")"
	kv "$relay" failed "$(grep -c 'not delivered\|delivery to .* failed' \
	    "$T_TMP/router-$relay.log")"
	"$PY" "$T_TMP/copies.py" "$AG_DIR" burst "$_b0" |
	    sed "s/^/$relay burst_/" >>"$T_TMP/router.res"
	t_alive "$ROUTER_PID" || die "mailacd-router died: $(tail -n 5 "$T_TMP/router-$relay.log")"
	stop_router
	sed -n "s/^$relay //p" "$T_TMP/router.res" | tr '\n' ' ' | sed 's/^/    /' >&2
	echo >&2
done
postfix_set_milter "" || true
t_alive "$forward_PID" || die "the forward milter died: $(tail -n 5 "$T_TMP/forward.log")"
T_SECS=$(( ($(now_ms) - T_START) / 1000 ))

# --- the table -------------------------------------------------------------------------

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sed 1q)
REDIS_V=$(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
COMMIT=$(git -C "$T_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git -C "$T_TOP" diff --quiet HEAD -- common milter router 2>/dev/null; then
	COMMIT="$COMMIT (with local changes to common/, milter/ or router/)"
fi
mkdir -p "$OUT"
{
	echo "command: $BENCH_CMD"
	echo "mailacd forward bench, $DATE, $(nproc) CPUs ($CPU), $(uname -r)"
	echo "mailacd $(cat "$T_TOP/VERSION" 2>/dev/null), commit $COMMIT;" \
	    "Postfix $(pf_postconf -dh mail_version), Redis $REDIS_V; $T_SECS s" \
	    "(part 1: $T_PART1 s)"
	echo
	echo "1. milter intake, no router: $N x $SIZE B and $BIG_N x $BIG B over" \
	    "$S sessions, $SOCK sockets; rounds: $ROUNDS (median)"
	echo
	awk -v n="$N" -v bn="$BIG_N" -v size="$SIZE" -v big="$BIG" -v cs="$T_TMP/copysize" '
	function median(key, col,    i, c, a, t, j) {
		c = cnt[key]
		for (i = 1; i <= c; i++) a[i] = val[key, col, i]
		for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++)
			if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
	}
	BEGIN { while ((getline l < cs) > 0) { split(l, f, " "); copy[f[1]] = f[2] } }
	{
		k = $1; c = ++cnt[k]
		for (j = 3; j <= 7; j++) val[k, j, c] = $j
		if (!(k in minh) || $6 < minh[k]) minh[k] = $6
		if (!(k in mins) || $7 < mins[k]) mins[k] = $7
		if (!(k in maxs) || $7 > maxs[k]) maxs[k] = $7
		line[$2] = line[$2] sprintf("  %s %.1f", k, $3)
		if ($2 > rounds) rounds = $2
	}
	END {
		printf "%-8s %-8s %8s %8s %9s %11s %12s %8s %8s\n", "size", "milter",
		    "msg/s", "vs none", "vs notify", "CPU us/msg", "Redis B/msg",
		    "handed", "stored"
		split("none notify forward big-notify big-forward", ks, " ")
		void = 0
		for (i = 1; i <= 5; i++) {
			k = ks[i]
			if (!(k in cnt)) continue
			isbig = k ~ /^big-/
			mode = k; sub(/^big-/, "", mode)
			cnt_n = isbig ? bn : n
			r[k] = median(k, 3)
			nr = isbig ? "" : "none"; no = isbig ? "big-notify" : "notify"
			vn = (nr != "" && r[nr]) ? sprintf("%.2f", r[k] / r[nr]) : "-"
			vo = r[no] ? sprintf("%.2f", r[k] / r[no]) : "-"
			cpu[k] = val[k, 4, 1] == "-" ? "-" : median(k, 4)
			mem[k] = val[k, 5, 1] == "-" ? "-" : median(k, 5)
			h = val[k, 6, 1] == "-" ? "-" : minh[k] "/" cnt_n
			st = val[k, 7, 1] == "-" ? "-" : (mode == "forward" ? mins[k] : maxs[k]) "/" cnt_n
			printf "%-8s %-8s %8.1f %8s %9s %11s %12s %8s %8s\n",
			    (isbig ? big : size), mode, r[k], vn, vo,
			    cpu[k] == "-" ? "-" : sprintf("%.0f", cpu[k]),
			    mem[k] == "-" ? "-" : sprintf("%.0f", mem[k]), h, st
			if (val[k, 6, 1] != "-" && minh[k] != cnt_n) void = 1
			if (mode == "forward" && mins[k] != cnt_n) void = 1
			if (mode == "notify" && maxs[k] != 0) void = 1
		}
		print ""
		if (r["notify"] && r["none"])
			printf "forward/notify %.2f (%d B)   forward/none %.2f   notify/none %.2f\n",
			    r["forward"] / r["notify"], size, r["forward"] / r["none"],
			    r["notify"] / r["none"]
		if (r["big-notify"])
			printf "forward/notify %.2f (%d B)\n", r["big-forward"] / r["big-notify"], big
		if (cpu["notify"] + 0 > 0)
			printf "milter CPU forward/notify: %.2f (%d B)", cpu["forward"] / cpu["notify"], size
		if (cpu["big-notify"] + 0 > 0)
			printf ", %.2f (%d B)", cpu["big-forward"] / cpu["big-notify"], big
		print ""
		split("forward big-forward", fk, " ")
		printf "Redis per stored copy (forward - notify B/msg):"
		for (i = 1; i <= 2; i++) {
			k = fk[i]; o = k == "forward" ? "notify" : "big-notify"
			if (!(k in cnt) || mem[o] == "-") continue
			d = mem[k] - mem[o]
			printf "%s %.0f B for a %d B copy (x%.2f)", (i > 1 ? "," : ""), d,
			    copy[k], (copy[k] ? d / copy[k] : 0)
		}
		print ""
		if (void) print "VOID: not every message was handed off, or stored copies do not match the mode"
		print ""
		print "rounds (msg/s):"
		for (i = 1; i <= rounds; i++) printf "round %d:%s\n", i, line[i]
	}' "$T_TMP/results"
	echo
	echo "2. router resend, forward mode end to end: $NAGENTS agents x capacity $CAP;" \
	    "latency: $LAT_N x $SIZE B, one every $LAT_GAP ms at most;" \
	    "burst: $BURST waiting, then every agent available"
	echo
	FWD_RATE=$(awk '$1 == "forward" { print $3 }' "$T_TMP/results" | sort -n |
	    awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
	awk -v relays="$RELAYS" -v fwd="$FWD_RATE" -v lat_n="$LAT_N" \
	    -v burst="$BURST" -v size="$SIZE" -v nagents="$NAGENTS" '
	{ split($2, kv, "="); v[$1, kv[1]] = kv[2] }
	END {
		nr = split(relays, rl, " ")
		void = 0
		print "latency, one message at a time: the customer'"'"'s message accepted (250) -> the copy at the agents'"'"' sink"
		printf "%-8s %8s %8s %8s %8s %11s %11s %8s\n", "relay", "p50 ms",
		    "p95 ms", "min ms", "max ms", "p50 ms from", "p50 ms",
		    "copies"
		printf "%-8s %8s %8s %8s %8s %11s %11s %8s\n", "", "", "", "",
		    "", "end of DATA", "DATA->250", ""
		for (i = 1; i <= nr; i++) {
			x = rl[i]
			if (v[x, "lat_matched"] != lat_n || v[x, "lat_copies"] != lat_n ||
			    v[x, "lat_distinct"] != lat_n || v[x, "lat_resent"] != lat_n)
				void = 1
			printf "%-8s %8.1f %8.1f %8.1f %8.1f %11.1f %11.1f %8s\n", x,
			    v[x, "lat_p50"], v[x, "lat_p95"], v[x, "lat_min"],
			    v[x, "lat_max"], v[x, "lat_dot_p50"], v[x, "lat_acc_p50"],
			    v[x, "lat_matched"] "/" lat_n
		}
		print ""
		print "burst: every agent made available at once -> all copies at the agents'"'"' sink"
		printf "%-8s %10s %10s %8s %10s %10s %10s\n", "relay", "resends/s",
		    "span/s", "copies", "router CPU", "vs intake", "intake/s"
		printf "%-8s %10s %10s %8s %10s %10s %10s\n", "", "", "", "",
		    "us/resend", "(part 1)", "(burst)"
		for (i = 1; i <= nr; i++) {
			x = rl[i]
			if (v[x, "burst_copies"] != burst || v[x, "burst_distinct"] != burst ||
			    v[x, "burst_resent"] != burst)
				void = 1
			printf "%-8s %10.1f %10.1f %8s %10s %10.2f %10.1f\n", x,
			    v[x, "burst_rate"], v[x, "burst_span_rate"],
			    v[x, "burst_distinct"] "/" burst, v[x, "router_cpu"],
			    (fwd ? v[x, "burst_rate"] / fwd : 0), v[x, "intake"]
		}
		print ""
		printf "intake reference: the forward milter accepted %.1f msg/s (%d B, part 1 median)\n", fwd, size
		for (i = 1; i <= nr; i++) {
			x = rl[i]
			r = fwd ? v[x, "burst_rate"] / fwd : 0
			printf "%s: resends/intake %.2f (%s); first copy %s ms, last %s ms" \
			    " after the first mailacdctl call (%d calls: %s ms);" \
			    " %s failed attempts, %s left waiting\n", x, r,
			    (r >= 1 ? "delivery keeps up" : "delivery falls behind intake"),
			    v[x, "burst_first_ms"], v[x, "burst_last_ms"], nagents,
			    v[x, "ctl_ms"], v[x, "failed"], v[x, "waiting_after"]
		}
		if (void) print "VOID: a copy is missing, duplicated or not a resent copy"
	}' "$T_TMP/router.res"
} >"$OUT/forward.txt"
cat "$OUT/forward.txt"
