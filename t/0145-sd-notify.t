#!/bin/sh
# 0145-sd-notify.t - both daemons speak systemd's notification protocol
# (Type=notify): READY=1 once the milter's socket listens (so that
# Before=postfix.service means Postfix finds it), RELOADING=1 and READY=1
# around a SIGHUP reload, good file or bad, STOPPING=1 on SIGTERM.  A
# small Python program plays systemd's socket ($NOTIFY_SOCKET).
. "$(dirname "$0")/lib/harness.sh"
require_tools redis-server redis-cli
require_build mailacd-milter
require_build mailacd-router

start_redis
N=$T_TMP/notify.log

# notify_start - PORT: a fresh notification socket (NOTIFY_SOCKET) whose
# listener probes PORT at READY=1
notify_start() {
	rm -f "$T_TMP/notify.sock" "$N"
	spawn notify "$T_TMP/notify.err" /usr/bin/python3 \
	    "$T_TOP/t/lib/notify-listen.py" "$T_TMP/notify.sock" "$N" "$1"
	NOTIFY_PID=$SPAWNED_PID
	wait_for 10 grep -q bound "$N" 2>/dev/null ||
	    bail_out "the notification listener did not start"
}
# notified - N: the log holds at least N lines after "bound"
notified() { [ "$(grep -vc bound "$N" 2>/dev/null)" -ge "$1" ]; }
# states - what was received so far, one line each, as one string
states() { grep -v bound "$N" | tr '\n' ' ' | sed 's/ $//'; }

# --- the milter -----------------------------------------------------------
t_milter_sockets inet milter
MILTER_SOCKET=$T_MSOCK
milter_conf >"$T_TMP/m.conf"
chmod 640 "$T_TMP/m.conf"
notify_start "$T_MPORT"
NOTIFY_SOCKET=$T_TMP/notify.sock spawn milter "$T_TMP/milter.log" \
    "$MAILACD_BUILD/mailacd-milter" -f -c "$T_TMP/m.conf"
MILTER_PID=$SPAWNED_PID
wait_for 10 notified 2
is "$(states)" "READY=1 probe $T_MPORT listening" \
    "milter: READY=1, and its socket took a connection at that moment"

kill -HUP "$MILTER_PID"
wait_for 10 notified 4
is "$(states)" "READY=1 probe $T_MPORT listening RELOADING=1 READY=1 probe $T_MPORT listening" \
    "milter: RELOADING=1 then READY=1 around a good reload"
cp "$T_TMP/m.conf" "$T_TMP/m.good"
echo 'bogus = ;' >>"$T_TMP/m.conf"
kill -HUP "$MILTER_PID"
wait_for 10 notified 7
like "$(states)" "RELOADING=1 READY=1 probe $T_MPORT listening RELOADING=1 READY=1 probe $T_MPORT listening\$" \
    "milter: a refused reload still ends in READY=1 (the old file serves)"
like "$(cat "$T_TMP/milter.log")" "reload refused" "the reload was refused"
kill -TERM "$MILTER_PID"
wait_for 10 t_not_alive "$MILTER_PID"
like "$(states)" "STOPPING=1\$" "milter: STOPPING=1 on SIGTERM"
t_reap "$MILTER_PID"
kill_pid "$NOTIFY_PID"

# without NOTIFY_SOCKET nothing is sent and nothing complains
cp "$T_TMP/m.good" "$T_TMP/m.conf"
spawn milter2 "$T_TMP/milter2.log" "$MAILACD_BUILD/mailacd-milter" -f \
    -c "$T_TMP/m.conf"
M2=$SPAWNED_PID
ok "milter without systemd: starts and listens" wait_for 10 port_listening "$T_MPORT"
kill_pid "$M2"
unlike "$(cat "$T_TMP/milter2.log")" "sd_notify" \
    "milter without systemd: no notification warning"

# --- the router -----------------------------------------------------------
notify_start ""
NOTIFY_SOCKET=$T_TMP/notify.sock spawn router "$T_TMP/router.log" \
    "$MAILACD_BUILD/mailacd-router" -f -c "$T_TMP/m.good"
ROUTER_PID=$SPAWNED_PID
wait_for 10 notified 1
is "$(states)" "READY=1" "router: READY=1 after start"
kill -HUP "$ROUTER_PID"
wait_for 10 notified 3
is "$(states)" "READY=1 RELOADING=1 READY=1" \
    "router: RELOADING=1 then READY=1 around a reload"
kill -TERM "$ROUTER_PID"
wait_for 10 t_not_alive "$ROUTER_PID"
is "$(states)" "READY=1 RELOADING=1 READY=1 STOPPING=1" \
    "router: STOPPING=1 on SIGTERM"
t_reap "$ROUTER_PID"
logs_clean "no sanitizer report or panic" "$T_TMP/milter.log" \
    "$T_TMP/router.log"
done_testing
