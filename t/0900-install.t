#!/bin/sh
# 0900-install.t - make install honours DESTDIR and PREFIX, puts
# mailacdctl in bin, says what it leaves undone; make install-units fills
# the units' paths in, and systemd-analyze verifies them and scores their
# hardening (offline: systemd is not PID 1 on the test machines).
. "$(dirname "$0")/lib/harness.sh"
require_build mailacd-milter
require_tools make
D=$T_TMP/dest
make -s -C "$T_TOP" install DESTDIR="$D" PREFIX=/opt/mailacd \
    B="$MAILACD_BUILD" >"$T_TMP/install.log" 2>&1
is "$?" 0 "make install DESTDIR=... PREFIX=/opt/mailacd succeeds"
ok "the milter is in PREFIX/sbin" test -x "$D/opt/mailacd/sbin/mailacd-milter"
ok "the router is in PREFIX/sbin" test -x "$D/opt/mailacd/sbin/mailacd-router"
ok "mailacdctl is in PREFIX/bin, for operators and scripts" \
    test -x "$D/opt/mailacd/bin/mailacdctl"
ok "and not in PREFIX/sbin" test ! -e "$D/opt/mailacd/sbin/mailacdctl"
like "$(cat "$T_TMP/install.log")" "not done: the mailacd user, the configuration's group, the systemd units \\(make install-units\\)" \
    "make install says what it does not do"
ok "make install installs no unit" test ! -e "$D/etc/systemd/system"
for m in man5/mailacd.conf.5 man7/mailacd-keys.7 man8/mailacd-milter.8 \
    man8/mailacd-router.8 man8/mailacdctl.8; do
	ok "man page $m installed" test -f "$D/opt/mailacd/share/man/$m"
done
ok "the example configuration goes to /etc/mailacd" \
    test -f "$D/etc/mailacd/mailacd.conf"
ok "the installed example passes -n" \
    "$D/opt/mailacd/sbin/mailacd-milter" -n -c "$D/etc/mailacd/mailacd.conf"
echo "# local change" >>"$D/etc/mailacd/mailacd.conf"
make -s -C "$T_TOP" install DESTDIR="$D" PREFIX=/opt/mailacd \
    B="$MAILACD_BUILD" >>"$T_TMP/install.log" 2>&1
ok "a second install keeps the administrator's configuration" \
    grep -q "# local change" "$D/etc/mailacd/mailacd.conf"

# the units, with SBINDIR pointing at the binaries just installed so that
# systemd-analyze can check that the commands exist
U=$T_TMP/units
make -s -C "$T_TOP" install-units DESTDIR="$U" UNITDIR=/lib/systemd/system \
    SBINDIR="$D/opt/mailacd/sbin" SYSCONFDIR=/etc/x \
    >"$T_TMP/units.log" 2>&1
is "$?" 0 "make install-units succeeds"
for n in milter router; do
	f=$U/lib/systemd/system/mailacd-$n.service
	ok "mailacd-$n.service installed" test -f "$f"
	is "$(grep -c "@[A-Z]*@" "$f")" 0 "mailacd-$n.service: every @...@ filled in"
	like "$(grep '^ExecStart=' "$f")" "^ExecStart=$D/opt/mailacd/sbin/mailacd-$n -f -c /etc/x/mailacd/mailacd.conf" \
	    "mailacd-$n.service: ExecStart in SBINDIR, the file in SYSCONFDIR"
	is "$(grep '^Type=' "$f")" "Type=notify" "mailacd-$n.service: Type=notify"
	ok "mailacd-$n.service: a reload that checks first" \
	    grep -q "^ExecReload=$D/opt/mailacd/sbin/mailacd-$n -n" "$f"
	ok "mailacd-$n.service: a RuntimeDirectory for its pid file" \
	    grep -q '^RuntimeDirectory=' "$f"
	if command -v systemd-analyze >/dev/null 2>&1; then
		out=$(systemd-analyze verify --man=no "$f" 2>&1); rc=$?
		is "$rc/$out" "0/" "systemd-analyze verify mailacd-$n.service"
		score=$(systemd-analyze security --offline=true "$f" 2>&1 |
		    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
		note "mailacd-$n.service: systemd-analyze security $score"
		ok "mailacd-$n.service: exposure $score, at most 3.2" \
		    awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 3.2) }'
	else
		skip "systemd-analyze is not installed" 2
	fi
done
sed 's|^ExecStartPre=.*|ExecStartPre=/nonexistent/mailacd-milter -n|' \
    "$U/lib/systemd/system/mailacd-milter.service" >"$T_TMP/bad.service"
out=$(systemd-analyze verify --man=no "$T_TMP/bad.service" 2>&1)
like "$out" "/nonexistent/mailacd-milter is not executable" \
    "systemd-analyze verify does catch a wrong path (the check can fail)"
done_testing
