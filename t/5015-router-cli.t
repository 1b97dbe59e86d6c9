#!/bin/sh
# 5015-router-cli.t - mailacd-router's command line, as mailacd-milter's:
# -h/--help, -V/--version, usage errors, -n --strict, the program's name
# on early errors, time-stamped -f logs, a quick SIGTERM, -P with -u.
. "$(dirname "$0")/lib/harness.sh"
require_tools redis-server redis-cli
require_build mailacd-router
R=$MAILACD_BUILD/mailacd-router

start_redis
MILTER_SOCKET=inet:1@127.0.0.1
milter_conf >"$T_TMP/good.conf"
chmod 640 "$T_TMP/good.conf"

for h in -h --help; do
	out=$("$R" $h 2>"$T_TMP/err"); rc=$?
	is "$rc/$(cat "$T_TMP/err")" "0/" "$h: exit 0, nothing on stderr"
	like "$out" "^usage: mailacd-router" "$h: the usage on stdout"
	like "$out" "--strict" "$h: naming every option"
done
for v in -V --version; do
	out=$("$R" $v 2>&1); rc=$?
	like "$rc/$out" "^0/mailacd-router [0-9]+\.[0-9]+\.[0-9]+" "$v prints the version"
done
out=$("$R" -x 2>"$T_TMP/err"); rc=$?
is "$rc/$out" "64/" "an unknown option exits 64, nothing on stdout"
like "$(cat "$T_TMP/err")" "usage: mailacd-router" "the usage on stderr"
out=$("$R" -c "$T_TMP/good.conf" extra 2>&1); rc=$?
is "$rc" 64 "an operand exits 64"

cp "$T_TOP/t/data/cfg/unservable.conf" "$T_TMP/unservable.conf"
chmod 0600 "$T_TMP/unservable.conf"
out=$("$R" -n -c "$T_TMP/unservable.conf" 2>&1); rc=$?
like "$rc/$out" "^0/configuration OK" "-n: warnings do not fail the check"
like "$out" "warning: requires skill \"comercal\"" "but are printed"
out=$("$R" -n --strict -c "$T_TMP/unservable.conf" 2>&1); rc=$?
is "$rc" 78 "-n --strict: warnings are errors, exit 78"
unlike "$out" "configuration OK" "and the configuration is not OK"
like "$out" "unservable.conf: 4 warnings, which --strict makes errors" \
    "saying how many"
out=$("$R" -n --strict -c "$T_TMP/good.conf" 2>&1); rc=$?
is "$rc/$out" "0/configuration OK" "-n --strict without warnings"
out=$("$R" --strict -c "$T_TMP/good.conf" 2>&1); rc=$?
like "$rc/$out" "^64/mailacd-router: --strict goes with -n" "--strict alone exits 64"

out=$("$R" -f -u no-such-user-mailacd -c "$T_TMP/good.conf" 2>&1); rc=$?
is "$rc" 67 "an unknown -u user exits 67"
like "$out" "mailacd-router\[?[0-9]*\]?: crit: -u no-such-user-mailacd: no such user" \
    "named mailacd-router"

# -f: time stamps; SIGTERM stops at once; -P with -u: the pid file goes
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -m 755 "$T_TMP/run"
	spawn r "$T_TMP/r.log" "$R" -f -c "$T_TMP/good.conf" -u nobody \
	    -P "$T_TMP/run/r.pid"
	RPID=$SPAWNED_PID
	ok "-u nobody -P: the pid file holds the router's pid" \
	    wait_for 10 grep -qx "$RPID" "$T_TMP/run/r.pid"
	wait_for 10 grep -q starting "$T_TMP/r.log"
	like "$(grep starting "$T_TMP/r.log")" \
	    "^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3}Z mailacd-router\[$RPID\]: info: mailacd-router .* starting" \
	    "-f: a log line starts with the UTC time, the name and the pid"
	is "$(awk '/^Uid:/ { print $2 }' "/proc/$RPID/status")" "$(id -u nobody)" \
	    "the router runs as nobody"
	t0=$(now_ms)
	kill -TERM "$RPID"
	ok "SIGTERM stops the router" wait_for 10 t_not_alive "$RPID"
	t1=$(now_ms)
	cmp_ok "$((t1 - t0))" -lt 1500 "within a turn of its loop ($((t1 - t0)) ms)"
	ok "the pid file is removed although nobody cannot write its directory" \
	    wait_for 5 test ! -e "$T_TMP/run/r.pid"
	like "$(tail -1 "$T_TMP/r.log")" "mailacd-router\[$RPID\]: info: mailacd-router stopping" \
	    "the last line has the same name after the privileges went"
	t_forget "$RPID"
else
	for _i in 1 2 3 4 5 6 7; do skip "-u nobody needs root and a nobody user"; done
fi
done_testing
