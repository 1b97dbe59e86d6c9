#!/bin/sh
# 3080-e2e-sentinel-failover.t - the Redis master dies during a burst of
# inbound mail and Redis Sentinel promotes its replica: mail is accepted
# or tempfailed, never lost and never doubled.
#
# A private Postfix and mailacd-milter, two mailacd-routers, a Redis
# master and replica (AOF always, AUTH) and three redis-sentinel
# processes (AUTH), all on loopback.  The milter waits for one replica
# (redis.wait_replicas = 1).  Two agents take work while a loop closes
# what they hold.  The master is killed with SIGKILL in the middle of a
# burst of $N messages and restarted 3 s later (a reboot: the Sentinels
# make it a replica of the new master).  Then the MTA's retry is played:
# the whole burst is sent again.  Every message has exactly one
# interaction on the new master, the routers consumed every entry there,
# nobody was over capacity and nothing was assigned twice.  The figures
# (accepted, tempfailed, the fail-over time clients saw) are printed as
# TAP notes.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-sentinel redis-cli postfix smtp-sink ss
require_build mailacd-milter
require_build mailacd-router
require_build mailacdctl
PY=/usr/bin/python3
N=${MAILACD_FAILOVER_N:-500}
WAITN=${MAILACD_FAILOVER_WAIT:-1}
PW=datapw
SPW=sentpw

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
s() { _p=$1; shift; redis-cli -h 127.0.0.1 -p "$_p" -a "$SPW" --no-auth-warning --raw "$@"; }
sknow() {
	for sp in $SPORTS; do
		[ "$(redis-cli -h 127.0.0.1 -p "$sp" -a "$SPW" --no-auth-warning \
		    --raw SENTINEL get-master-addr-by-name mymaster 2>/dev/null |
		    tail -1)" = "$MP" ] || return 1
	done
}
ok "three Sentinels watch the master" wait_for 20 sknow
seen_replica() {
	for sp in $SPORTS; do
		redis-cli -h 127.0.0.1 -p "$sp" -a "$SPW" --no-auth-warning --raw \
		    SENTINEL replicas mymaster 2>/dev/null | grep -qx "$RP" ||
		    return 1
	done
}
wait_for 20 seen_replica || diag "the Sentinels do not list the replica yet"

# --- the milter, Postfix, two routers, two agents -------------------------------
start_sink || bail_out "cannot start smtp-sink"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
MILTER_SENDER_RATE_LIMIT=0
AGENTS='{ id = "alice"; address = "alice@corp.test"; skills = [ "general", "email" ];
	  languages = [ "en" ]; capacity = 3; queues = [ "support" ]; },
	{ id = "bob"; address = "bob@corp.test"; skills = [ "general", "email" ];
	  languages = [ "en" ]; capacity = 2; queues = [ "support" ]; }'
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
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
for i in 1 2; do
	spawn "router$i" "$T_TMP/router$i.log" "$MAILACD_BUILD/mailacd-router" \
	    -f -c "$MILTER_CONF"
done
ctl() { "$MAILACD_BUILD/mailacdctl" -c "$MILTER_CONF" "$@"; }
has_line() { grep -q "$2" "$1"; }
ok "the milter found the master through a Sentinel" wait_for 20 has_line \
    "$MILTER_LOG" "redis: master mymaster is 127.0.0.1:$MP, named by sentinel 127.0.0.1:[0-9]* and confirmed by ROLE"
ctl check >/dev/null 2>"$T_TMP/check.err"
like "$(cat "$T_TMP/check.err")" "redis 127.0.0.1:$MP \(master mymaster, named by sentinel 127.0.0.1:[0-9]+\): persistence: appendonly yes, appendfsync always" \
    "mailacdctl check names the master and the Sentinel"
roster() { [ "$(r "$MP" SCARD 'mailacd:{acme}:agents')" = 2 ]; }
ok "a router wrote the roster" wait_for 20 roster
ctl agent alice available >/dev/null && ctl agent bob available >/dev/null
like "$(ctl status)" "redis          127.0.0.1:$MP \(master mymaster, named by sentinel" \
    "mailacdctl status shows the master and the Sentinel"

# closer: the agents finish work while mail arrives (ids to closed.txt)
: >"$T_TMP/closed.txt"
: >"$T_TMP/closer.stop"
rm -f "$T_TMP/closer.stop"
(
	while [ ! -e "$T_TMP/closer.stop" ]; do
		for a in alice bob; do
			m=$(ctl --json agent "$a" 2>/dev/null |
			    grep -o '"id":"[0-9a-f]\{32\}"' | head -1 | cut -d'"' -f4)
			[ -n "$m" ] && ctl interaction close "$m" >/dev/null 2>&1 &&
			    echo "$m" >>"$T_TMP/closed.txt"
		done
		sleep 0.2
	done
) &
CLOSER=$!

# --- the burst, the master killed in its middle --------------------------------
RUN=$$.$(date +%s)
BURST_TIME=1 "$PY" "$T_TOP/t/lib/smtp-burst.py" "$SMTP_PORT" "$N" "fo-$RUN" \
    cust@customer.test support@example.com >"$T_TMP/burst.out" 2>&1 &
BURST=$!
n_acc() { [ "$(grep -c '^accepted' "$T_TMP/burst.out")" -ge "$1" ]; }
wait_for 60 n_acc $((N / 4)) || diag "the burst did not get going" "$(tail -3 "$T_TMP/burst.out")"
KILL_MS=$(now_ms)
kill -KILL "$M_PID"
wait_for 10 t_not_alive "$M_PID"
t_reap "$M_PID"
t_forget "$M_PID"
pass "the master was killed with SIGKILL during the burst"
sleep 3
node master "$MP"
M_PID=$SPAWNED_PID
wait "$BURST"
promoted() {
	[ "$(s $(echo $SPORTS | cut -d' ' -f1) SENTINEL get-master-addr-by-name mymaster | tail -1)" = "$RP" ]
}
ok "the Sentinels promoted the replica" wait_for 30 promoted
demoted() { r "$MP" ROLE 2>/dev/null | head -1 | grep -qx slave; }
ok "the old master came back as a replica" wait_for 30 demoted

acc=$(grep -c '^accepted' "$T_TMP/burst.out")
ref=$(grep -c '^refused' "$T_TMP/burst.out")
# the fail-over seen by clients: first refusal after the kill to the first
# acceptance after that
fo=$(awk -v k="$KILL_MS" '
	$1 == "refused" && $4 >= k && !f { f = $4 }
	$1 == "accepted" && f && $3 > f && !b { b = $3 }
	END { if (f && b) print b - f; else print -1 }' "$T_TMP/burst.out")
note "burst of $N: $acc accepted, $ref tempfailed; fail-over seen by the client: $fo ms (first 4xx to first 250 after the kill)"
cmp_ok "$acc" -gt 0 "messages were accepted"
cmp_ok "$ref" -gt 0 "some were tempfailed during the fail-over"
cmp_ok "$fo" -gt 0 "mail was accepted again after the fail-over"
cmp_ok "$(grep -c "^refused .* 451" "$T_TMP/burst.out")" -eq "$ref" \
    "every refusal was a 451 (the MTA retries), none a 5xx or a dropped session"

# --- the MTA's retry: the whole burst again -------------------------------------
BURST_TIME=1 "$PY" "$T_TOP/t/lib/smtp-burst.py" "$SMTP_PORT" "$N" "fo-$RUN" \
    cust@customer.test support@example.com >"$T_TMP/retry.out" 2>&1
acc2=$(grep -c '^accepted' "$T_TMP/retry.out")
is "$acc2" "$N" "the retry: every message accepted"
grep '^refused' "$T_TMP/retry.out" | head -3 | while read -r l; do diag "$l"; done

# --- on the new master: each message once, all consumed ---------------------
r "$RP" XRANGE 'mailacd:{acme}:ingest' - + | grep "^<fo-$RUN\." >"$T_TMP/ids"
is "$(sort -u "$T_TMP/ids" | wc -l)" "$N" "the new master holds an interaction for each of the $N messages"
is "$(wc -l <"$T_TMP/ids")" "$N" "and none twice"
grep '^accepted' "$T_TMP/burst.out" | awk '{ print $2 }' | sort -u >"$T_TMP/acc1"
lost=$(sort -u "$T_TMP/ids" | comm -13 - "$T_TMP/acc1" | wc -l)
is "$lost" 0 "every message accepted during the burst is recorded (none lost in the fail-over)"
pending() { [ "$(r "$RP" XPENDING 'mailacd:{acme}:ingest' routers | head -1)" = 0 ]; }
ok "the routers consumed every entry on the new master" wait_for 60 pending
touch "$T_TMP/closer.stop"
wait "$CLOSER"
sleep 1
twice=$(r "$RP" XRANGE 'mailacd:{acme}:assignments' - + |
    awk 'p { print; p = 0 } $0 == "id" { p = 1 }' | sort | uniq -d | wc -l)
is "$twice" 0 "no interaction assigned twice"
na=$(r "$RP" SCARD 'mailacd:{acme}:agent:alice:ix')
nb=$(r "$RP" SCARD 'mailacd:{acme}:agent:bob:ix')
cmp_ok "$na" -le 3 "alice within her capacity of 3 ($na)"
cmp_ok "$nb" -le 2 "bob within his capacity of 2 ($nb)"
closed=$(sort -u "$T_TMP/closed.txt" | wc -l)
json=$(ctl --json status)
w=$(printf '%s' "$json" | grep -o '"waiting":[0-9]*' | head -1 | cut -d: -f2)
a=$(printf '%s' "$json" | grep -o '"assigned":[0-9]*' | head -1 | cut -d: -f2)
note "interactions: $N recorded, $closed closed by the agents, ${a:-?} assigned, ${w:-?} waiting"
is "$((closed + ${a:-0} + ${w:-0}))" "$N" "closed + assigned + waiting = $N"
ok "the routers said they lost the master" grep -q "redis: master mymaster at 127.0.0.1:$MP: .*asking the Sentinels again" \
    "$T_TMP/router1.log" "$T_TMP/router2.log"
ok "the milter found the new master" has_line "$MILTER_LOG" \
    "redis: master mymaster is 127.0.0.1:$RP, named by sentinel 127.0.0.1:[0-9]* and confirmed by ROLE; it was 127.0.0.1:$MP"
found=$(grep "redis: master mymaster is 127.0.0.1:$RP, .*it was" "$MILTER_LOG" |
    head -1 | cut -d' ' -f1)
[ -n "$found" ] && note "the milter used the new master $(( $(date -d "$found" +%s%3N) - KILL_MS )) ms after the kill (wait_replicas = $WAITN)"
like "$(grep 'hand-off failed' "$MILTER_LOG" | head -50)" "redis master mymaster: hand-off failed: connect master mymaster: .*; tempfail" \
    "the tempfails while no master answered say why"
if [ "$WAITN" -gt 0 ]; then
	like "$(grep 'hand-off failed' "$MILTER_LOG")" "hand-off failed: WAIT: 0 of 1 replica confirmed the hand-off within 500 ms \(redis.wait_replicas\); tempfail" \
	    "the new master without a replica: WAIT tempfailed mail"
fi
milter_log_clean
logs_clean "no sanitizer report in the routers' logs" "$T_TMP/router1.log" "$T_TMP/router2.log"
done_testing
