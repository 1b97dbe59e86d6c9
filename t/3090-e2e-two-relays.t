#!/bin/sh
# 3090-e2e-two-relays.t - the topology of a large center: two MX relays
# (two private Postfix instances, each with its own mailacd-milter), two
# mailacd-routers and one Redis group managed by Sentinel (master,
# replica, three redis-sentinel processes), all on loopback.  The master
# is killed with SIGKILL during a burst of $N inbound messages spread over
# both relays while agents close and take work.
#
# The sending side is t/lib/smtp-spread.py: SESSIONS sessions over both
# relays, and what a relay tempfails is retried a second later on the
# other one, as a sending MTA with two MX records does.  The milters wait
# for one replica (redis.wait_replicas = 1); the old master comes back 3 s
# after the kill (a reboot) and the Sentinels make it a replica of the
# new one.  Asserted: every message was eventually accepted and each
# accepted message is exactly one interaction on the new master (lost =
# 0, duplicated = 0), the routers consumed every entry, no agent was ever
# seen over capacity (sampled while the burst ran, and at the end), no
# interaction is assigned twice, and no assignment that agents were told
# of (the assignments channel, on whichever master) vanished in the
# fail-over.  The figures (sent, accepted, tempfailed, interactions, the
# fail-over time clients saw and what was tempfailed meanwhile) are TAP
# diagnostics.
#
# MAILACD_TOPO_N (default 2000) sets the burst, MAILACD_TOPO_SESSIONS (4)
# the client's sessions, MAILACD_TOPO_WAIT (1) redis.wait_replicas: with
# 0 the fail-over is shorter, and "lost = 0" is no longer guaranteed (what
# the replica had not copied is gone), so the test may then fail.
# the burst and the fail-over take a minute or two on a busy 2-core box
: "${MAILACD_TEST_TIMEOUT:=300}"
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-sentinel redis-cli postfix smtp-sink ss
require_build mailacd-milter
require_build mailacd-router
require_build mailacdctl
PY=/usr/bin/python3
N=${MAILACD_TOPO_N:-2000}
SESSIONS=${MAILACD_TOPO_SESSIONS:-4}
WAITN=${MAILACD_TOPO_WAIT:-1}
PW=datapw
SPW=sentpw
T0=$(now_ms)

# --- Redis: master, replica, three Sentinels --------------------------------
MP=$(free_port)
RP=$(free_port)
# node NAME PORT [ARGS]: a data node with AOF always and AUTH
node() {
	_n=$1 _p=$2
	shift 2
	mkdir -p "$T_TMP/$_n"
	spawn "$_n" "$T_TMP/$_n.log" redis-server --port "$_p" \
	    --bind 127.0.0.1 --dir "$T_TMP/$_n" --save '' \
	    --appendonly yes --appendfsync always --daemonize no \
	    --requirepass "$PW" --masterauth "$PW" --logfile '' "$@"
}
r() { _p=$1; shift; redis-cli -h 127.0.0.1 -p "$_p" -a "$PW" --no-auth-warning --raw "$@"; }
up() { [ "$(r "$1" PING 2>/dev/null)" = PONG ]; }
node master "$MP"
M_PID=$SPAWNED_PID
node replica "$RP" --replicaof 127.0.0.1 "$MP"
wait_for 10 up "$MP" && wait_for 10 up "$RP" || bail_out "redis-server did not start"
synced() { r "$RP" INFO replication | grep -q 'master_link_status:up'; }
wait_for 20 synced || bail_out "the replica did not sync"

SPORTS=
for i in 1 2 3; do
	sp=$(free_port)
	SPORTS="$SPORTS $sp"
	mkdir -p "$T_TMP/s$i"
	cat >"$T_TMP/s$i/sentinel.conf" <<EOF
port $sp
bind 127.0.0.1
daemonize no
dir $T_TMP/s$i
requirepass $SPW
sentinel monitor mymaster 127.0.0.1 $MP 2
sentinel auth-pass mymaster $PW
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 10000
sentinel parallel-syncs mymaster 1
EOF
	spawn "sentinel$i" "$T_TMP/sentinel$i.log" redis-sentinel \
	    "$T_TMP/s$i/sentinel.conf"
done
S1=$(echo $SPORTS | cut -d' ' -f1)
s() { _p=$1; shift; redis-cli -h 127.0.0.1 -p "$_p" -a "$SPW" --no-auth-warning --raw "$@"; }
# master_port: the master's port as the first Sentinel names it now
master_port() { s "$S1" SENTINEL get-master-addr-by-name mymaster 2>/dev/null | tail -1; }
sknow() {
	for sp in $SPORTS; do
		[ "$(s "$sp" SENTINEL get-master-addr-by-name mymaster 2>/dev/null |
		    tail -1)" = "$MP" ] || return 1
	done
}
ok "three Sentinels watch the master" wait_for 20 sknow
seen_replica() {
	for sp in $SPORTS; do
		s "$sp" SENTINEL replicas mymaster 2>/dev/null | grep -qx "$RP" ||
		    return 1
	done
}
wait_for 20 seen_replica || diag "the Sentinels do not list the replica yet"

# --- two relays (Postfix + milter each), two routers, four agents -------------
SINK_IMPL=smtp-sink
start_sink || bail_out "cannot start smtp-sink"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
MILTER_SENDER_RATE_LIMIT=0
# capacity of each agent, for the checks below
CAPS='alice:3 bob:2 carol:2 dave:1'
AGENTS=
for ac in $CAPS; do
	AGENTS="$AGENTS${AGENTS:+,}
	{ id = \"${ac%:*}\"; address = \"${ac%:*}@corp.test\"; skills = [ \"general\", \"email\" ];
	  languages = [ \"en\" ]; capacity = ${ac#*:}; queues = [ \"support\" ]; }"
done
SL=
for sp in $SPORTS; do SL="$SL${SL:+, }\"127.0.0.1:$sp\""; done
{
	cat <<EOF
redis = {
	sentinels = [ $SL ];
	master_name = "mymaster";
	sentinel_password = "$SPW";
	password = "$PW";
	connect_timeout_ms = 500;
	command_timeout_ms = 1000;
	wait_replicas = $WAITN;
	wait_timeout_ms = 500;
};
EOF
	milter_conf "" "$AGENTS" | sed '/^redis = {/,/^};/d'
} >"$T_TMP/mailacd.conf"
chmod 600 "$T_TMP/mailacd.conf"
# relay 1: the harness's milter and a Postfix named mx1
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" mx1 || bail_out "cannot start Postfix mx1"
PORT1=$SMTP_PORT
# relay 2: a second milter on its own socket and a Postfix named mx2
MILTER2_LOG=$T_TMP/milter2.log
spawn milter2 "$MILTER2_LOG" sh -c 'umask 0; exec "$@"' milter \
    "$MAILACD_BUILD/mailacd-milter" -f -c "$MILTER_CONF" \
    -p "unix:$T_TMP/milter2.sock"
MILTER2_PID=$SPAWNED_PID
wait_for 10 test -S "$T_TMP/milter2.sock" || bail_out "the second milter did not listen"
start_postfix "unix:$T_TMP/milter2.sock" mx2 || bail_out "cannot start Postfix mx2"
PORT2=$SMTP_PORT
for i in 1 2; do
	spawn "router$i" "$T_TMP/router$i.log" "$MAILACD_BUILD/mailacd-router" \
	    -f -c "$MILTER_CONF"
done
ctl() { "$MAILACD_BUILD/mailacdctl" -c "$MILTER_CONF" "$@"; }
has_line() { grep -q "$2" "$1"; }
for lg in "$MILTER_LOG" "$MILTER2_LOG"; do
	ok "milter $(basename "$lg" .log) found the master through a Sentinel" \
	    wait_for 20 has_line "$lg" \
	    "redis: master mymaster is 127.0.0.1:$MP, named by sentinel"
done
roster() { [ "$(r "$MP" SCARD 'mailacd:{acme}:agents')" = 4 ]; }
ok "a router wrote the roster" wait_for 20 roster
for ac in $CAPS; do ctl agent "${ac%:*}" available >/dev/null; done
note "relays :$PORT1 (mx1) and :$PORT2 (mx2), master :$MP, replica :$RP, Sentinels$SPORTS; set-up $(( $(now_ms) - T0 )) ms"

# --- what agents are told, and their load, while the burst runs ---------------
# listener: every assignment published on whichever node is master
: >"$T_TMP/published"
(
	while [ -d "$T_TMP" ] && [ ! -e "$T_TMP/stop" ]; do
		p=$(master_port)
		[ -n "$p" ] && timeout 5 redis-cli -h 127.0.0.1 -p "$p" -a "$PW" \
		    --no-auth-warning --raw SUBSCRIBE 'mailacd:{acme}:assignments' \
		    2>/dev/null | grep --line-buffered '^{' >>"$T_TMP/published"
		sleep 0.1
	done
) &
LISTENER=$!
T_PIDS="$T_PIDS $LISTENER"
# closer: agents finish work (ids to closed.txt), carol goes away and
# comes back now and then; and every round each agent's load is sampled
: >"$T_TMP/closed.txt"
: >"$T_TMP/loads"
(
	k=0
	while [ -d "$T_TMP" ] && [ ! -e "$T_TMP/stop" ]; do
		k=$((k + 1))
		p=$(master_port)
		for ac in $CAPS; do
			a=${ac%:*}
			echo "$a $(r "$p" SCARD "mailacd:{acme}:agent:$a:ix" 2>/dev/null)" >>"$T_TMP/loads"
			m=$(ctl --json agent "$a" 2>/dev/null |
			    grep -o '"id":"[0-9a-f]\{32\}"' | head -1 | cut -d'"' -f4)
			[ -n "$m" ] && ctl interaction close "$m" >/dev/null 2>&1 &&
			    echo "$m" >>"$T_TMP/closed.txt"
		done
		case $((k % 10)) in
		5) ctl agent carol away >/dev/null 2>&1 ;;
		7) ctl agent carol available >/dev/null 2>&1 ;;
		esac
		sleep 0.1
	done
) &
CLOSER=$!
T_PIDS="$T_PIDS $CLOSER"

# --- the burst over both relays, the master killed in its middle ---------------
RUN=$$.$(date +%s)
SESSIONS=$SESSIONS RETRY_DELAY=1 RETRY_FOR=90 "$PY" "$T_TOP/t/lib/smtp-spread.py" \
    "$PORT1,$PORT2" "$N" "tr-$RUN" cust@customer.test support@example.com \
    >"$T_TMP/burst.out" 2>"$T_TMP/burst.err" &
BURST=$!
T_PIDS="$T_PIDS $BURST"
n_acc() { [ "$(grep -c '^accepted' "$T_TMP/burst.out")" -ge "$1" ]; }
wait_for 120 n_acc $((N / 4)) || diag "the burst did not get going" "$(tail -3 "$T_TMP/burst.out")"
KILL_MS=$(now_ms)
kill -KILL "$M_PID"
wait_for 10 t_not_alive "$M_PID"
t_reap "$M_PID"
t_forget "$M_PID"
pass "the master was killed with SIGKILL during the burst ($(grep -c '^accepted' "$T_TMP/burst.out") of $N accepted)"
sleep 3
node master "$MP"
M_PID=$SPAWNED_PID
wait "$BURST"
BURST_MS=$(now_ms)
promoted() { [ "$(master_port)" = "$RP" ]; }
ok "the Sentinels promoted the replica" wait_for 30 promoted
demoted() { r "$MP" ROLE 2>/dev/null | head -1 | grep -qx slave; }
ok "the old master came back as a replica" wait_for 30 demoted

# --- what the clients saw ---------------------------------------------------------
B=$T_TMP/burst.out
grep '^accepted' "$B" | awk '{ print $2 }' | sort >"$T_TMP/acc"
sent=$(awk '$1 != "gaveup" { print $2 }' "$B" | sort -u | wc -l)
attempts=$(grep -c '^accepted\|^refused' "$B")
acc=$(sort -u "$T_TMP/acc" | wc -l)
acc_twice=$(uniq -d "$T_TMP/acc" | wc -l)
acc_first=$(awk '$1 == "accepted" && $5 == 1' "$B" | wc -l)
refused=$(grep -c '^refused' "$B")
refused_msgs=$(awk '$1 == "refused" { print $2 }' "$B" | sort -u | wc -l)
other=$(awk '$1 == "refused" && $3 != 451' "$B" | wc -l)
acc1=$(awk -v p="$PORT1" '$1 == "accepted" && $4 == p' "$B" | wc -l)
acc2=$(awk -v p="$PORT2" '$1 == "accepted" && $4 == p' "$B" | wc -l)
retried_ok=$(awk '$1 == "accepted" && $5 > 1' "$B" | wc -l)
# the fail-over seen by clients: the first refusal after the kill to the
# first acceptance after it; and what was refused in between
f=$(awk -v k="$KILL_MS" '$1 == "refused" && $4 >= k && (!f || $4 < f) { f = $4 }
	END { printf "%.0f\n", f }' "$B")
b=$(awk -v f="$f" '$1 == "accepted" && f && $3 > f && (!b || $3 < b) { b = $3 }
	END { printf "%.0f\n", b }' "$B")
set -- $(awk -v f="$f" -v b="$b" '$1 == "refused" && $4 >= f && $4 <= b {
		n++; if (!($2 in m)) { m[$2] = 1; nm++ } }
	END { if (f && b) print b - f, n + 0, nm + 0; else print -1, 0, 0 }' "$B")
fo=$1 fo_attempts=$2 fo_msgs=$3
diag "two relays, $N messages over $SESSIONS sessions, wait_replicas = $WAITN: sent $sent, accepted $acc (mx1 $acc1, mx2 $acc2; $acc_first at the first attempt, $retried_ok after a tempfail), $refused attempts tempfailed ($refused_msgs messages), $attempts attempts in all, $(( (BURST_MS - KILL_MS) / 1000 )) s from the kill to the last acceptance"
diag "fail-over seen by the clients: $fo ms from the first 4xx to the first 250 after the kill; meanwhile $fo_attempts attempts tempfailed ($fo_msgs messages)"
is "$sent" "$N" "every message was sent"
is "$acc" "$N" "every message was accepted in the end (tempfailed ones on a retry)"
is "$(grep -c '^gaveup' "$B")" 0 "the client gave up on none"
is "$acc_twice" 0 "no message was accepted twice"
cmp_ok "$acc1" -gt 0 "relay mx1 accepted mail"
cmp_ok "$acc2" -gt 0 "relay mx2 accepted mail"
cmp_ok "$fo" -gt 0 "mail was accepted again after the fail-over"
cmp_ok "$fo_attempts" -gt 0 "mail was tempfailed during the fail-over"
is "$other" 0 "every refusal was a 451 (the client retries), none a 5xx or a dropped session"
[ -s "$T_TMP/burst.err" ] && diag "the client said:" "$(tail -5 "$T_TMP/burst.err")"

# --- on the new master: each accepted message exactly once ---------------------
r "$RP" XRANGE 'mailacd:{acme}:ingest' - + | grep "^<tr-$RUN\." >"$T_TMP/ids"
recorded=$(sort -u "$T_TMP/ids" | wc -l)
dup=$(sort "$T_TMP/ids" | uniq -d | wc -l)
lost=$(sort -u "$T_TMP/ids" | comm -13 - "$T_TMP/acc" | sort -u | wc -l)
extra=$(sort -u "$T_TMP/ids" | comm -23 - "$T_TMP/acc" | wc -l)
diag "interactions recorded on the new master: $recorded; lost $lost, duplicated $dup"
is "$lost" 0 "lost = 0: every accepted message has its interaction"
is "$dup" 0 "duplicated = 0: no message has two entries"
is "$extra" 0 "no interaction for a message that was never accepted"
is "$recorded" "$N" "$N interactions for $N messages"
# one interaction id per message: entry i's message_id -> id
r "$RP" EVAL '
	local out = {}
	for _, e in ipairs(redis.call("XRANGE", KEYS[1], "-", "+")) do
		local f, m, id = e[2]
		for i = 1, #f, 2 do
			if f[i] == "message_id" then m = f[i + 1] end
			if f[i] == "id" then id = f[i + 1] end
		end
		out[#out + 1] = (m or "-") .. " " .. (id or "-")
	end
	return out' 1 'mailacd:{acme}:ingest' | grep "^<tr-$RUN\." >"$T_TMP/mid-ix"
is "$(awk '{ print $2 }' "$T_TMP/mid-ix" | sort -u | wc -l)" "$N" \
    "$N distinct interaction ids, one per message"
pending() { [ "$(r "$RP" XPENDING 'mailacd:{acme}:ingest' routers | head -1)" = 0 ]; }
ok "the routers consumed every entry on the new master" wait_for 60 pending
delivered() {
	[ "$(find "$SINK_DIR" -type f -exec grep -h "^Message-ID: <tr-$RUN\." {} + |
	    sort -u | wc -l)" -ge "$N" ]
}
ok "both relays delivered every accepted message onward" wait_for 60 delivered
queues_empty() {
	postfix_use mx1 && queue_empty && postfix_use mx2 && queue_empty
}
ok "both relays' queues are empty" wait_for 30 queues_empty

# --- agents: capacity, assignments --------------------------------------------------
sleep 2
touch "$T_TMP/stop"
wait "$CLOSER"
kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null
over=
for ac in $CAPS; do
	a=${ac%:*} c=${ac#*:}
	mx=$(awk -v a="$a" '$1 == a && $2 != "" { if ($2 > m) m = $2 } END { print m + 0 }' "$T_TMP/loads")
	now=$(r "$RP" SCARD "mailacd:{acme}:agent:$a:ix")
	note "$a: capacity $c, highest load seen $mx, now $now"
	[ "$mx" -le "$c" ] && [ "$now" -le "$c" ] || over="$over $a($mx/$c)"
done
is "$over" "" "no agent over capacity, while the burst ran ($(wc -l <"$T_TMP/loads") samples) or at the end"
r "$RP" XRANGE 'mailacd:{acme}:assignments' - + |
    awk 'p == 1 { id = $0 } p == 3 { print id, $0 } { p = 0 } $0 == "id" { p = 1 } $0 == "agent" { p = 3 }' \
    >"$T_TMP/assigned"
twice=$(awk '{ print $1 }' "$T_TMP/assigned" | sort | uniq -d | wc -l)
is "$twice" 0 "no interaction assigned twice ($(wc -l <"$T_TMP/assigned") assignments)"
# every assignment agents were told of is on the new master too
"$PY" -c '
import json, sys
seen = set()
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == "assigned":
        seen.add((e["id"], e["agent"]))
final = set(tuple(l.split()) for l in open(sys.argv[2]) if l.strip())
print(len(seen), len(seen - final))
for p in sorted(seen - final)[:5]:
    print("#", *p)' "$T_TMP/published" "$T_TMP/assigned" >"$T_TMP/pubcheck"
read -r npub nvanished <"$T_TMP/pubcheck"
is "$nvanished" 0 "no assignment published to agents vanished in the fail-over ($npub published)"
[ "$nvanished" = 0 ] || diag "$(sed 1d "$T_TMP/pubcheck")"
closed=$(sort -u "$T_TMP/closed.txt" | wc -l)
json=$(ctl --json status)
w=$(printf '%s' "$json" | grep -o '"waiting":[0-9]*' | head -1 | cut -d: -f2)
a=$(printf '%s' "$json" | grep -o '"assigned":[0-9]*' | head -1 | cut -d: -f2)
diag "interactions: $N recorded, $closed closed by the agents, ${a:-?} assigned, ${w:-?} waiting"
is "$((closed + ${a:-0} + ${w:-0}))" "$N" "closed + assigned + waiting = $N"

# --- the programs saw the fail-over --------------------------------------------------
for lg in "$MILTER_LOG" "$MILTER2_LOG"; do
	ok "milter $(basename "$lg" .log) found the new master" has_line "$lg" \
	    "redis: master mymaster is 127.0.0.1:$RP, named by sentinel 127.0.0.1:[0-9]* and confirmed by ROLE; it was 127.0.0.1:$MP"
done
ok "the routers said they lost the master" grep -q "redis: master mymaster at 127.0.0.1:$MP: .*asking the Sentinels again" \
    "$T_TMP/router1.log" "$T_TMP/router2.log"
milter_log_clean
kill_pid "$MILTER2_PID" 10
t_forget "$MILTER2_PID"
logs_clean "no sanitizer report in the second milter's and the routers' logs" \
    "$MILTER2_LOG" "$T_TMP/router1.log" "$T_TMP/router2.log"
note "run time $(( ($(now_ms) - T0) / 1000 )) s"
done_testing
