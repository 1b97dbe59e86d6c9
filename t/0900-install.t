#!/bin/sh
# 0900-install.t - make install honours DESTDIR and PREFIX.
. "$(dirname "$0")/lib/harness.sh"
require_build mailacd-milter
require_tools make
D=$T_TMP/dest
make -s -C "$T_TOP" install DESTDIR="$D" PREFIX=/opt/mailacd \
    B="$MAILACD_BUILD" >"$T_TMP/install.log" 2>&1
is "$?" 0 "make install DESTDIR=... PREFIX=/opt/mailacd succeeds"
ok "the milter is in PREFIX/sbin" test -x "$D/opt/mailacd/sbin/mailacd-milter"
ok "the router is in PREFIX/sbin" test -x "$D/opt/mailacd/sbin/mailacd-router"
ok "mailacdctl is in PREFIX/sbin" test -x "$D/opt/mailacd/sbin/mailacdctl"
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
done_testing
