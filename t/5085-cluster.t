#!/bin/sh
# 5085-cluster.t - the function library and the programs on a real Redis
# Cluster: three masters on loopback, the library loaded on each (functions
# are per node).  mailacd is not a Cluster client (hiredis 0.14 has none):
# it talks to the master that holds an organisation's slot as to a plain
# Redis, which works because every key of a call is under one
# organisation's hash tag.  The milter's hand-off (through Postfix), the
# router's assignment and mailacdctl run against that node; every library
# function is called there (MONITOR shows each), and no node answers
# CROSSSLOT, MOVED or ASK (INFO errorstats).  A call whose keys span two
# organisations is refused by the Cluster (CROSSSLOT), and one whose keys
# share the slot but not the prefix by the library (BADARG).
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix smtp-sink swaks ss curl
require_build mailacd-milter
require_build mailacd-router
require_build mailacdctl
LIB=$MAILACD_BUILD/common/mailacd.lua
[ -r "$LIB" ] || bail_out "$LIB not built"

# 1. Three masters, no replicas, every slot covered.
PORTS=
for n in 1 2 3; do
	start_redis_at "cluster$n" --cluster-enabled yes \
	    --cluster-config-file nodes.conf --cluster-node-timeout 5000 ||
	    bail_out "cannot start cluster node $n"
	PORTS="$PORTS $REDIS_PORT"
done
set -- $PORTS
ADDRS="127.0.0.1:$1 127.0.0.1:$2 127.0.0.1:$3"
redis-cli --cluster create $ADDRS --cluster-replicas 0 --cluster-yes \
    >"$T_TMP/create.log" 2>&1
is "$?" 0 "redis-cli --cluster create made a cluster of three masters"
cluster_ok() {
	for p in $PORTS; do
		redis-cli -p "$p" CLUSTER INFO | grep -q '^cluster_state:ok' ||
		    return 1
	done
}
ok "every node says cluster_state:ok" wait_for 30 cluster_ok
for p in $PORTS; do
	is "$(redis-cli -p "$p" -x FUNCTION LOAD REPLACE <"$LIB" 2>&1)" mailacd \
	    "the library is loaded on the node at port $p"
done

# 2. The node that holds acme's slot.
SLOT=$(redis-cli -p "$1" CLUSTER KEYSLOT 'mailacd:{acme}:schema')
OWNER=
for p in $PORTS; do
	case $(redis-cli -p "$p" GET 'mailacd:{acme}:schema' 2>&1) in
	*MOVED*|*ASK*) ;;
	*) OWNER=$p ;;
	esac
done
like "$OWNER" '^[0-9]+$' "slot $SLOT of {acme} is served by one node (port $OWNER)"
note "cluster ports:$PORTS; acme's slot $SLOT on $OWNER"
REDIS_PORT=$OWNER
# what a Cluster client would have been told for another organisation
for o in org1 org2 org3 org4 org5 org6; do
	OS=$(redis-cli -p "$OWNER" GET "mailacd:{$o}:schema" 2>&1)
	case $OS in *MOVED*) OTHER=$o; break ;; esac
done
like "${OTHER:-}" '^org' "an organisation whose slot is elsewhere: ${OTHER:-none}"

# the probes above were answered MOVED: count from here on
for p in $PORTS; do redis-cli -p "$p" CONFIG RESETSTAT >/dev/null; done

# 3. The programs against that node: milter, router, mailacdctl.
MONITOR_LOG=$T_TMP/monitor.log
spawn monitor "$MONITOR_LOG" redis-cli -p "$OWNER" MONITOR
start_sink || bail_out "cannot start smtp-sink"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
milter_conf "" \
    '{ id = "a1"; address = "a1@corp.test"; queues = [ "support", "billing" ];
	skills = [ "general", "email" ]; languages = [ "en" ]; capacity = 1; },
     { id = "a2"; address = "a2@corp.test"; queues = [ "support", "billing" ];
	skills = [ "general", "email" ]; languages = [ "en" ]; capacity = 1; }' \
    "" "" 'router = { block_ms = 200; metrics_listen = "127.0.0.1:'"$(free_port)"'"; };' \
    >"$T_TMP/mailacd.conf"
chmod 600 "$T_TMP/mailacd.conf"
METRICS=$(sed -n 's/.*metrics_listen = "\([^"]*\)".*/\1/p' "$T_TMP/mailacd.conf")
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f \
    -c "$T_TMP/mailacd.conf"
CTL="$MAILACD_BUILD/mailacdctl -c $T_TMP/mailacd.conf"
RUN=$$.$(date +%s)
mail() {
	printf 'From: C <c%s@customer.test>\nTo: %s\nSubject: cluster %s\nDate: %s\nMessage-ID: <cl-%s.%s@customer.test>\n\nHello.\n' \
	    "$1" "$2" "$1" "$(date -R)" "$1" "$RUN" >"$T_TMP/m$1.eml"
	send_mail "$T_TMP/m$1.eml" "c$1@customer.test" "$2"
}
roster() { [ "$(rcli SCARD 'mailacd:{acme}:agents')" = 2 ]; }
ok "the router wrote the roster to the node" wait_for 20 roster
for i in 1 2 3; do
	mail "$i" support@example.com
	is "$?" 0 "message $i handed off to the Cluster node and accepted"
done
is "$(rcli XLEN 'mailacd:{acme}:ingest')" 3 "three hand-offs in acme's stream"
queued() { [ "$(rcli ZCARD 'mailacd:{acme}:queue:support')" = 3 ]; }
ok "the router queued all three (no agent available)" wait_for 20 queued
OUT=$($CTL queues 2>&1)
like "$OUT" 'support +3' "mailacdctl queues: three waiting"
$CTL agent a1 available >"$T_TMP/ctl.log" 2>&1
is "$?" 0 "mailacdctl agent a1 available"
$CTL agent a2 available >>"$T_TMP/ctl.log" 2>&1
assigned() { [ "$(rcli ZCARD 'mailacd:{acme}:queue:support')" = 1 ]; }
ok "two interactions assigned, one waits" wait_for 20 assigned
IX=$(rcli SMEMBERS 'mailacd:{acme}:agent:a1:ix' | sed 1q)
like "$IX" '^[0-9a-f]{32}$' "agent a1 holds an interaction"
WAIT=$(rcli ZRANGE 'mailacd:{acme}:queue:support' 0 0 | sed 's/.*://')
like "$WAIT" '^[0-9a-f]{32}$' "the waiting one"
$CTL interaction priority "$WAIT" 50 >>"$T_TMP/ctl.log" 2>&1
is "$?" 0 "mailacdctl interaction priority"
$CTL interaction transfer "$WAIT" billing >>"$T_TMP/ctl.log" 2>&1
is "$?" 0 "mailacdctl interaction transfer"
$CTL interaction close "$IX" >>"$T_TMP/ctl.log" 2>&1
is "$?" 0 "mailacdctl interaction close"
billing_taken() { [ "$(rcli ZCARD 'mailacd:{acme}:queue:billing')" = 0 ]; }
ok "the freed agent took the transferred one" wait_for 20 billing_taken
$CTL interaction show "$WAIT" >>"$T_TMP/ctl.log" 2>&1
is "$?" 0 "mailacdctl interaction show"
$CTL status >>"$T_TMP/ctl.log" 2>&1
is "$?" 0 "mailacdctl status"
$CTL interactions >>"$T_TMP/ctl.log" 2>&1
is "$?" 0 "mailacdctl interactions"
OUT=$(curl -s "http://$METRICS/metrics")
like "$OUT" 'mailacd_' "the router's metrics read the node"

# 4. The functions no step above called, called directly on the node.
S='mailacd:{acme}:schema'
P='mailacd:{acme}:'
Z=00000000000000000000000000000000
fc() { rcli FCALL "$@" 2>&1; }
fc mailacd_reply_find 2 "$S" "${P}thread:$Z" "$IX" >>"$T_TMP/direct.log"
fc mailacd_reply_record 3 "$S" "${P}ix:$IX" "${P}thread:$Z" '<r@x>' a1 60 "$IX" >>"$T_TMP/direct.log"
fc mailacd_open_find 2 "$S" "${P}open:$Z" >>"$T_TMP/direct.log"
fc mailacd_delivered 2 "$S" "${P}ix:$IX" "$IX" a1 1 test >>"$T_TMP/direct.log"
fc mailacd_undeliverable 2 "$S" "${P}ix:$IX" "$IX" a1 'test refusal' >>"$T_TMP/direct.log"
E=$(rcli XADD "${P}ingest" '*' v 99 id "$Z")
fc mailacd_dead 3 "$S" "${P}dead" "${P}ingest" routers "$E" 'test' >>"$T_TMP/direct.log"
fc mailacd_fill 1 "$S" a2 >>"$T_TMP/direct.log"
fc mailacd_version 0 >>"$T_TMP/direct.log"
# the outbox's: acknowledgements and standard responses
fc mailacd_responses 2 "$S" "${P}responses" thanks >>"$T_TMP/direct.log"
fc mailacd_respond 1 "$S" "$IX" thanks test >>"$T_TMP/direct.log"
fc mailacd_sent 3 "$S" "${P}out:$Z" "${P}outbox" routers 0-1 '<m@x>' test 60 \
    >>"$T_TMP/direct.log"
fc mailacd_unsent 3 "$S" "${P}out:$Z" "${P}outbox" routers 0-1 test '' \
    >>"$T_TMP/direct.log"
unlike "$(cat "$T_TMP/direct.log")" 'CROSSSLOT|MOVED|ASK|non local|same slot' \
    "the direct calls met no Cluster error"

# 5. Every function of the library was called on the node.
sleep 1
kill_pid "$(cat "$T_TMP/pids/monitor" 2>/dev/null || echo 0)" 2>/dev/null
FUNCS=$(rcli FUNCTION LIST LIBRARYNAME mailacd | grep '^mailacd_' | sort -u)
ok "the library registers functions" test "$(printf '%s\n' "$FUNCS" | wc -l)" -ge 18
MISSING=
for f in $FUNCS; do
	grep -qi "\"fcall[_ro]*\" \"$f\"" "$MONITOR_LOG" || MISSING="$MISSING $f"
done
is "$MISSING" "" "every library function was called on the Cluster node"

# 6. No node answered a Cluster error; all data is acme's, on acme's node.
for p in $PORTS; do
	is "$(redis-cli -p "$p" INFO errorstats | grep -cE 'errorstat_(CROSSSLOT|MOVED|ASK)')" 0 \
	    "node $p: no CROSSSLOT, MOVED or ASK answered"
done
is "$(rcli --scan --pattern '*' | grep -vc '{acme}')" 0 \
    "every key on acme's node is under {acme}"
for p in $PORTS; do
	[ "$p" = "$OWNER" ] && continue
	is "$(redis-cli -p "$p" DBSIZE)" 0 "node $p holds no key"
done
unlike "$(cat "$MILTER_LOG" "$T_TMP/router.log" "$T_TMP/ctl.log")" \
    'CROSSSLOT|MOVED|ASK |non local key' \
    "no Cluster error in the milter's, the router's or mailacdctl's output"

# 7. What the Cluster and the library refuse.
OUT=$(fc mailacd_ingest 4 "$S" "mailacd:{$OTHER}:ix:$Z" "${P}queue:support" "${P}ingest" routers 0-1 '' '' 0)
like "$OUT" 'CROSSSLOT' "a call with keys of two organisations: CROSSSLOT"
OUT=$(fc mailacd_delivered 2 "$S" "other:{acme}:ix:$Z" "$Z" a1 1 test)
like "$OUT" "BADARG KEYS\\[2\\] \"other:\\{acme\\}:ix:$Z\" is not under mailacd:\\{acme\\}:" \
    "same slot, other prefix: the library refuses it (BADARG)"

# 8. Resharding: the slot moved to another node is answered MOVED there;
# mailacd does not follow it (not a Cluster client) until its redis
# setting names the new master.
TO=
for p in $PORTS; do [ "$p" != "$OWNER" ] && { TO=$p; break; }; done
# every slot of acme's node (its ranges in CLUSTER NODES) goes to $TO
NSLOTS=$(rcli CLUSTER NODES | awk '/myself/ { for (i = 9; i <= NF; i++) {
	n = split($i, r, "-"); s += (n == 2 ? r[2] - r[1] + 1 : 1) } }
	END { print s + 0 }')
redis-cli --cluster reshard "127.0.0.1:$OWNER" --cluster-from \
    "$(rcli CLUSTER MYID)" --cluster-to "$(redis-cli -p "$TO" CLUSTER MYID)" \
    --cluster-slots "$NSLOTS" --cluster-yes >"$T_TMP/reshard.log" 2>&1
is "$?" 0 "redis-cli --cluster reshard moved the $NSLOTS slots of acme's node"
moved() { redis-cli -p "$OWNER" GET "$S" 2>&1 | grep -q MOVED; }
ok "after resharding acme's slot away, the old node answers MOVED" wait_for 30 moved
mail 9 support@example.com
like "$(swaks_final_reply)" '^451 4\.3\.0 ' \
    "the milter tempfails (never loses) mail while its node no longer has the slot"
like "$(grep 'hand-off failed' "$MILTER_LOG" | tail -n 1)" 'MOVED' \
    "  and logs the MOVED answer"

logs_clean "no sanitizer report in the router's log" "$T_TMP/router.log"
milter_log_clean
done_testing
