#!/bin/sh
# 0910-deb.t - the Debian packages: built with dpkg-buildpackage from a
# git archive of HEAD (never the working tree's build/), lintian's report
# in the log and no error in it, installed on this machine with apt, then
# a smoke test of the installed programs against private servers only: -n
# as the service user (and the unit's own ExecStartPre), the milter
# started as the unit starts it, READY=1, one message through a private
# Postfix on a socket like the chroot drop-in's, SIGTERM; the router
# likewise.  Purged at the end: /etc/mailacd and the unit links go, the
# mailacd user stays as Debian's custom is (and this test removes it if it
# made it); a second round shows that a purge keeps /etc/mailacd when the
# administrator asked (debconf).  The system's Postfix and Redis are never
# used.  Needs root; skipped when mailacd packages are already installed.
: "${MAILACD_TEST_TIMEOUT:=900}"
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools dpkg-buildpackage dpkg-deb lintian apt-get runuser getent \
    redis-server postfix swaks
PKGS="mailacd-milter mailacd-router mailacd-tools"
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case $st in
	""|un*|pn*) ;;
	*) skip_all "$p is installed ($st): this test would replace it" ;;
	esac
done
[ -e /etc/mailacd ] && skip_all "/etc/mailacd exists: this test would purge it"

USER_BEFORE=$(getent passwd mailacd || true)
GROUP_BEFORE=$(getent group mailacd || true)
INSTALLED=0
KEEP_SET=0

# deb_purge - remove every mailacd package and what the test added
deb_purge() {
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q \
	    -o DPkg::Lock::Timeout=300 $PKGS >>"$T_TMP/apt.log" 2>&1
}
# deb_cleanup - EXIT: leave the machine as it was, whatever happened
deb_cleanup() {
	if [ "$INSTALLED" = 1 ]; then
		deb_purge
		rm -rf /etc/mailacd
	fi
	# a preseeded answer left behind: debconf forgets the package's
	if [ "$KEEP_SET" = 1 ]; then
		echo PURGE | debconf-communicate mailacd-tools >/dev/null 2>&1
		KEEP_SET=0
	fi
	if [ -z "$USER_BEFORE" ] && getent passwd mailacd >/dev/null; then
		userdel mailacd 2>/dev/null
	fi
	if [ -z "$GROUP_BEFORE" ] && getent group mailacd >/dev/null; then
		groupdel mailacd 2>/dev/null
	fi
}
trap '_r=$?; deb_cleanup; (exit $_r); t_cleanup' EXIT

# --- build ------------------------------------------------------------------
SRC=$T_TMP/src/mailacd
mkdir -p "$SRC"
if git -C "$T_TOP" rev-parse --verify -q HEAD >/dev/null 2>&1; then
	git -C "$T_TOP" archive HEAD | tar -x -C "$SRC"
	note "building $(git -C "$T_TOP" rev-parse --short HEAD) (committed" \
	    "HEAD; uncommitted changes are not in the packages)"
else
	(cd "$T_TOP" && tar --exclude='./build*' --exclude=./bench/out \
	    --exclude=./.git -cf - .) | tar -x -C "$SRC"
fi
T0=$(date +%s)
# -j2: the machines that run the suite have two cores; no debug symbol
# packages, which nothing here uses
(cd "$SRC" && DEB_BUILD_OPTIONS=noautodbgsym nice -n 10 \
    dpkg-buildpackage -us -uc -b -j2) >"$T_TMP/build.log" 2>&1
rc=$?
is "$rc" 0 "dpkg-buildpackage -us -uc -b builds from a clean checkout"
[ "$rc" -eq 0 ] || { diag "$(tail -n 30 "$T_TMP/build.log")"; bail_out "no packages"; }
note "built in $(( $(date +%s) - T0 )) s"
V=$(cat "$T_TOP/VERSION")
for p in $PKGS; do
	ok "$p ${V} built" test -f "$T_TMP/src/${p}_${V}_$(dpkg --print-architecture).deb"
done
DEB=$T_TMP/src
ARCH=$(dpkg --print-architecture)

# --- lintian ----------------------------------------------------------------
# as nobody: lintian warns against running as root
chmod -R a+rX "$DEB"
(cd "$DEB" && nice -n 10 runuser -u nobody -- env HOME="$DEB" lintian \
    --display-info "$DEB/mailacd_${V}_$ARCH.changes") >"$T_TMP/lintian.log" 2>&1
rc=$?
note "lintian --display-info ($(lintian --version 2>/dev/null)), exit $rc:"
while IFS= read -r l; do note "  $l"; done <"$T_TMP/lintian.log"
[ -s "$T_TMP/lintian.log" ] || note "  (nothing to report)"
is "$rc/$(grep -c '^E:' "$T_TMP/lintian.log")" 0/0 "lintian reports no error"

# what each package holds
has() { dpkg-deb -c "$DEB/${1}_${V}_$ARCH.deb" | grep -q " \\./$2\$"; }
ok "mailacd-milter holds the milter" has mailacd-milter usr/sbin/mailacd-milter
ok "mailacd-milter holds its unit" has mailacd-milter lib/systemd/system/mailacd-milter.service
ok "mailacd-milter holds the chroot drop-in example" \
    has mailacd-milter usr/share/doc/mailacd-milter/examples/postfix-chroot.conf
ok "mailacd-router holds the router" has mailacd-router usr/sbin/mailacd-router
ok "mailacd-router holds its unit" has mailacd-router lib/systemd/system/mailacd-router.service
ok "mailacd-tools holds mailacdctl in /usr/bin" has mailacd-tools usr/bin/mailacdctl
ok "mailacd-tools holds the example configuration" \
    has mailacd-tools usr/share/mailacd/mailacd.conf

# --- install ----------------------------------------------------------------
INSTALLED=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "$DEB/mailacd-tools_${V}_$ARCH.deb" \
    "$DEB/mailacd-milter_${V}_$ARCH.deb" "$DEB/mailacd-router_${V}_$ARCH.deb" \
    >"$T_TMP/apt.log" 2>&1
rc=$?
is "$rc" 0 "apt install ./mailacd-*.deb"
[ "$rc" -eq 0 ] || { diag "$(tail -n 30 "$T_TMP/apt.log")"; bail_out "not installed"; }

like "$(getent passwd mailacd)" "^mailacd:x:[0-9]+:[0-9]+:.*:/nonexistent:/usr/sbin/nologin\$" \
    "the mailacd system user exists, no home, no shell"
uid=$(id -u mailacd)
cmp_ok "$uid" -lt 1000 "it is a system user (uid $uid)"
is "$(id -gn mailacd)" mailacd "its group is mailacd"
is "$(stat -c '%U:%G %a' /etc/mailacd/mailacd.conf 2>&1)" "root:mailacd 640" \
    "the configuration is root:mailacd 0640"
ok "mailacdctl is in /usr/bin" test -x /usr/bin/mailacdctl
for n in milter router; do
	ok "mailacd-$n.service is enabled (its link under multi-user.target.wants)" \
	    test -L "/etc/systemd/system/multi-user.target.wants/mailacd-$n.service"
done
# running_from PATH: a process runs the installed binary PATH
running_from() {
	for _p in /proc/[0-9]*; do
		[ "$(readlink "$_p/exe" 2>/dev/null)" = "$1" ] && return 0
	done
	return 1
}
ok "nothing was started: no process runs /usr/sbin/mailacd-milter" \
    eval '! running_from /usr/sbin/mailacd-milter'
ok "nor /usr/sbin/mailacd-router" eval '! running_from /usr/sbin/mailacd-router'

# -n as the service user, on the installed file, and the unit's own
# ExecStartPre line
for n in milter router; do
	out=$(runuser -u mailacd -- "/usr/sbin/mailacd-$n" -n \
	    -c /etc/mailacd/mailacd.conf 2>&1)
	is "$?/$out" "0/configuration OK" "mailacd-$n -n as mailacd reads the installed file"
	pre=$(sed -n 's/^ExecStartPre=//p' "/lib/systemd/system/mailacd-$n.service")
	out=$(runuser -u mailacd -- $pre 2>&1)
	is "$?/$out" "0/configuration OK" "the unit's ExecStartPre as mailacd: $pre"
done
out=$(runuser -u nobody -- /usr/sbin/mailacd-milter -n -c /etc/mailacd/mailacd.conf 2>&1)
like "$out" "Permission denied" "another user cannot read it (the group is what lets mailacd)"

# --- smoke test: private Redis, sink and Postfix --------------------------------
start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start the sink"
# the unit's situation: a file root:mailacd 0640 and, as with the chroot
# drop-in, a socket folder of mailacd, group postfix, set-group-id
mkdir -p "$T_TMP/etc" "$T_TMP/spool"
install -d -o mailacd -g postfix -m 2750 "$T_TMP/spool/mailacd"
MILTER_SOCKET=unix:$T_TMP/spool/mailacd/milter.sock
milter_conf >"$T_TMP/etc/mailacd.conf"
chown root:mailacd "$T_TMP/etc/mailacd.conf"
chmod 640 "$T_TMP/etc/mailacd.conf"
rm -f "$T_TMP/notify.sock"
spawn notify "$T_TMP/notify.err" /usr/bin/python3 \
    "$T_TOP/t/lib/notify-listen.py" "$T_TMP/notify.sock" "$T_TMP/notify.log"
wait_for 10 grep -q bound "$T_TMP/notify.log" 2>/dev/null
chmod 777 "$T_TMP/notify.sock"
MILTER_LOG=$T_TMP/milter.log
spawn milter "$MILTER_LOG" env NOTIFY_SOCKET="$T_TMP/notify.sock" \
    runuser -u mailacd -- sh -c 'umask 0007; exec "$@"' milter \
    /usr/sbin/mailacd-milter -f -c "$T_TMP/etc/mailacd.conf"
MILTER_PID=$SPAWNED_PID
ready() { grep -q '^READY=1$' "$T_TMP/notify.log"; }
ok "the installed milter, as mailacd, says READY=1" wait_for 15 ready
S=$T_TMP/spool/mailacd/milter.sock
like "$(stat -c '%U:%G %A' "$S" 2>&1)" '^mailacd:postfix srw.rw.---$' \
    "its socket is mailacd:postfix, nothing for others (set-group-id folder, UMask 0007)"
start_postfix "unix:$S" || bail_out "cannot start the private Postfix"
cat >"$T_TMP/m.eml" <<EOF
From: Ana <ana@customer.test>
To: support@example.com
Subject: smoke test of the installed package
Message-ID: <deb.$$@customer.test>

Hello.
EOF
send_mail "$T_TMP/m.eml" ana@customer.test support@example.com
like "$(swaks_final_reply)" '^250 ' "a message through the private Postfix is accepted"
ok "it reaches the sink" wait_sink 1 30
F=$(sink_files | sed 1q)
like "$(msg_header "$F" X-MailACD-Interaction)" '^[0-9a-f]{32}; ' \
    "stamped by the installed milter"
is "$(stream_len acme)" 1 "and handed off to the private Redis"
kill -TERM "$MILTER_PID"
ok "SIGTERM stops it" wait_for 10 t_not_alive "$MILTER_PID"
t_reap "$MILTER_PID"
like "$(grep -v bound "$T_TMP/notify.log" | tr '\n' ' ')" "READY=1 STOPPING=1" \
    "READY=1 then STOPPING=1"
: >"$T_TMP/notify.log"
spawn router "$T_TMP/router.log" env NOTIFY_SOCKET="$T_TMP/notify.sock" \
    runuser -u mailacd -- /usr/sbin/mailacd-router -f -c "$T_TMP/etc/mailacd.conf"
R=$SPAWNED_PID
ok "the installed router, as mailacd, says READY=1" wait_for 15 ready
ok "and takes the interaction from the stream" \
    wait_for 15 sh -c "grep -q 'queued org=acme queue=support' '$T_TMP/router.log'"
kill -TERM "$R"
ok "SIGTERM stops the router" wait_for 10 t_not_alive "$R"
t_reap "$R"
stop_postfix

# --- purge ------------------------------------------------------------------
deb_purge
is "$?" 0 "apt purge of the three packages"
INSTALLED=0
ok "the programs are gone" test ! -e /usr/sbin/mailacd-milter -a \
    ! -e /usr/sbin/mailacd-router -a ! -e /usr/bin/mailacdctl
ok "the units are gone" test ! -e /lib/systemd/system/mailacd-milter.service
ok "their links are gone" test ! -e \
    /etc/systemd/system/multi-user.target.wants/mailacd-milter.service
ok "/etc/mailacd is gone" test ! -e /etc/mailacd
ok "the mailacd user stays after a purge (Debian's custom)" \
    sh -c 'getent passwd mailacd >/dev/null'

# the administrator asks to keep /etc/mailacd
echo "mailacd-tools mailacd-tools/purge-keeps-config boolean true" |
    debconf-set-selections
KEEP_SET=1
INSTALLED=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "$DEB/mailacd-tools_${V}_$ARCH.deb" \
    >>"$T_TMP/apt.log" 2>&1
is "$?" 0 "mailacd-tools installed again"
echo "# the administrator's line" >>/etc/mailacd/mailacd.conf
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q -o DPkg::Lock::Timeout=300 \
    mailacd-tools >>"$T_TMP/apt.log" 2>&1
INSTALLED=0
ok "asked to keep it, a purge leaves the configuration" \
    grep -q "the administrator's line" /etc/mailacd/mailacd.conf
rm -rf /etc/mailacd
deb_cleanup
is "$(getent passwd mailacd || true)" "$USER_BEFORE" \
    "the machine's users are as before the test"
logs_clean "no sanitizer report or panic" "$MILTER_LOG" "$T_TMP/router.log"
done_testing
