#!/bin/sh
# install-deps.sh - install what building, testing, the demo and the
# benchmark of mailacd need, on Debian 12.
#
# Usage: sh contrib/install-deps.sh [--if-missing] [--dry-run]
#
#   (no option)   install every missing package (root); runs apt-get update
#                 first when the package lists are empty or a package is
#                 not found in them.
#   --if-missing  a quick check for make test/demo/bench: nothing to do and
#                 silent when everything is there; as root installs what is
#                 missing; otherwise prints the apt-get command and exits 1.
#   --dry-run     print what would be installed and exit.
#
# Postfix's debconf question is preseeded to "No configuration" so that no
# system mail server gets configured, and a temporary policy-rc.d keeps
# package scripts from starting system daemons (postfix, redis, opendkim):
# the tests run their own instances on loopback ports.

set -eu

PKGS="build-essential make pkg-config clang libclang-rt-14-dev
libmilter-dev libopendkim-dev libhiredis-dev libconfig-dev libssl-dev
libgmime-3.0-dev libjansson-dev libcurl4-openssl-dev libldns-dev libpsl-dev publicsuffix
libidn2-dev libcld2-dev libexttextcat-dev libexttextcat-data libpcre2-dev
libglib2.0-dev
redis-server redis-tools postfix swaks miltertest
python3-dkim libmail-dkim-perl opendkim opendkim-tools dnsmasq-base
perl procps iproute2 coreutils findutils sed grep mawk debconf"

mode=install
dry=0
for arg in "$@"; do
	case $arg in
	--if-missing) mode=if-missing ;;
	--dry-run) dry=1 ;;
	-h|--help)
		sed -n '2,19s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*)
		echo "install-deps.sh: unknown option $arg" >&2
		exit 2
		;;
	esac
done

# missing_pkgs - print the packages of PKGS that are not installed
missing_pkgs() {
	for p in $PKGS; do
		st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
		case $st in
		ii*) ;;
		*) echo "$p" ;;
		esac
	done
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps.sh: not a Debian system (no dpkg-query);" \
	    "install the equivalents of: $(echo $PKGS)" >&2
	exit 1
fi

missing=$(missing_pkgs | tr '\n' ' ' | sed 's/ *$//')
if [ -z "$missing" ]; then
	[ "$mode" = if-missing ] || echo "install-deps.sh: every dependency is installed"
	exit 0
fi

cmd="DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing"
if [ "$dry" = 1 ]; then
	echo "would install: $missing"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: missing packages: $missing" >&2
	echo "run as root:" >&2
	echo "  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections" >&2
	echo "  $cmd" >&2
	exit 1
fi

echo "install-deps.sh: installing $missing"

# Keep package scripts from starting system daemons while we install, unless
# the machine already has its own policy.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# mailacd install-deps.sh: start no daemons\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=1
fi
cleanup() {
	if [ "$made_policy" = 1 ]; then
		rm -f "$policy"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

echo 'postfix postfix/main_mailer_type select No configuration' |
    debconf-set-selections

# apt-get update only when needed: no lists at all, or a package unknown.
need_update=0
if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
	need_update=1
else
	for p in $missing; do
		cand=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
		if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
			need_update=1
			break
		fi
	done
fi
if [ "$need_update" = 1 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get update -q
fi

# apt_install - install the missing packages, non-interactively
apt_install() {
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends \
	    -o Dpkg::Options::=--force-confdef \
	    -o Dpkg::Options::=--force-confold $missing
}
if ! apt_install; then
	# Stale lists point at files the mirror no longer has: refresh, retry.
	[ "$need_update" = 1 ] && exit 1
	echo "install-deps.sh: install failed; apt-get update and retry" >&2
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	apt_install
fi

still=$(missing_pkgs | tr '\n' ' ' | sed 's/ *$//')
if [ -n "$still" ]; then
	echo "install-deps.sh: still missing after install: $still" >&2
	exit 1
fi
echo "install-deps.sh: done"
