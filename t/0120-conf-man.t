#!/bin/sh
# 0120-conf-man.t - every setting the loader knows is documented in
# man/mailacd.conf.5, and the page documents no setting the loader lacks.
#
# In the SETTINGS section of the page, a group or list a.b has a subsection
# ".Ss a.b" and each of its settings c an entry ".It Cm c" in the first-level
# list under it, which documents a.b.c.
t=$(dirname "$0")
man="$t/../man/mailacd.conf.5"
keys=$("${MAILACD_BUILD:?}/t/cfg_keys") || {
	echo "Bail out! ${MAILACD_BUILD}/t/cfg_keys failed"
	exit 1
}
[ -r "$man" ] || { echo "Bail out! cannot read $man"; exit 1; }
documented=$(awk '
	/^\.Sh / { settings = ($2 == "SETTINGS"); next }
	!settings { next }
	/^\.Ss / { sec = $2; depth = 0; print sec; next }
	/^\.Bl / { depth++; next }
	/^\.El/ { depth--; next }
	/^\.It Cm / && depth == 1 && sec != "" { print sec "." $3 }
' "$man" | sort -u)

n=0
for k in $keys; do
	n=$((n + 1))
	if printf '%s\n' "$documented" | grep -qxF "$k"; then
		echo "ok $n - $k is documented"
	else
		echo "not ok $n - $k is not documented in man/mailacd.conf.5"
	fi
done
for d in $documented; do
	n=$((n + 1))
	if printf '%s\n' "$keys" | grep -qxF "$d"; then
		echo "ok $n - documented $d is a setting"
	else
		echo "not ok $n - man/mailacd.conf.5 documents $d, which the loader does not know"
	fi
done
echo "1..$n"
