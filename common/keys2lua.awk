# keys2lua.awk - the Lua translation of common/keys.h that the build puts
# at the head of the function library (after its "#!lua" line), so that
# the library spells no key, format or version number of its own:
#
#	KEYS_SCHEMA, KEYS_LIBRARY	local SCHEMA, LIBRARY (strings)
#	KEYS_PRIORITY_MS		local PRIORITY_MS (a number)
#	KEYS_FMT_X "mailacd:{%s}:rest"	K.X = 'rest' (a string.format format
#					of the parts after the prefix)
#	KEYS_FMT_X "other"		local FMT_X = 'other'
#
# C's %lld is Lua's %d.  Run: awk -f common/keys2lua.awk common/keys.h
BEGIN {
	print "-- generated from common/keys.h by common/keys2lua.awk; do not edit"
	nk = 0
}
function value(s) {
	sub(/^[^"]*"/, "", s)
	sub(/".*$/, "", s)
	gsub(/lld/, "d", s)
	return s
}
/^#define KEYS_SCHEMA[ \t]/ { print "local SCHEMA = '" value($0) "'" }
/^#define KEYS_LIBRARY[ \t]/ { print "local LIBRARY = '" value($0) "'" }
/^#define KEYS_PRIORITY_MS[ \t]/ {
	n = $3
	sub(/LL$/, "", n)
	print "local PRIORITY_MS = " n
}
/^#define KEYS_FMT_[A-Z_]*[ \t]/ {
	name = $2
	sub(/^KEYS_FMT_/, "", name)
	v = value($0)
	if (v ~ /^mailacd:\{%s\}:/) {
		sub(/^mailacd:\{%s\}:/, "", v)
		k[++nk] = "\t" name " = '" v "',"
	} else
		print "local FMT_" name " = '" v "'"
}
END {
	print "local K = {"
	for (i = 1; i <= nk; i++)
		print k[i]
	print "}"
}
