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
#
# Sendmail for t/3060-e2e-sendmail.t: Debian's sendmail-bin conflicts with
# postfix (both are the system MTA), so it is not installed.  Its packages
# (sendmail-bin, sendmail-base, sendmail-cf) are fetched with
# "apt-get download" and unpacked with "dpkg-deb -x" into
# /var/cache/mailacd-test/sendmail (SENDMAIL_ROOT); only the libraries the
# binary needs are installed (liblockfile1, libwrap0, in PKGS).  Nothing
# there is configured, started or on PATH: the test runs the binary with a
# sendmail.cf of its own.  Remove the folder to undo it.
# Dovecot's
# packages enable a system service that would listen on 110, 143, 587,
# 993 and 995 at the next boot: when this script installed them, it stops
# that service and disables it (the mailbox and identity tests start their
# own Dovecot with a private configuration on free loopback ports).

set -eu

PKGS="build-essential make pkg-config clang libclang-rt-14-dev
libmilter-dev libopendkim-dev libhiredis-dev libconfig-dev libssl-dev
libgmime-3.0-dev libjansson-dev libcurl4-openssl-dev libldns-dev libpsl-dev publicsuffix
libidn2-dev libcld2-dev libexttextcat-dev libexttextcat-data libsystemd-dev
libmicrohttpd-dev libpcre2-dev libglib2.0-dev
redis-server redis-sentinel redis-tools postfix swaks miltertest prometheus curl
python3-dkim libmail-dkim-perl opendkim opendkim-tools dnsmasq-base python3-vobject
dovecot-imapd dovecot-pop3d dovecot-submissiond libsasl2-modules
perl procps iproute2 coreutils findutils sed grep mawk debconf
debhelper po-debconf lintian m4 liblockfile1 libwrap0 util-linux"

SENDMAIL_ROOT=${SENDMAIL_ROOT:-/var/cache/mailacd-test/sendmail}
SENDMAIL_PKGS="sendmail-bin sendmail-base sendmail-cf"

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

# sendmail_unpacked - Sendmail's binary and m4 files are in SENDMAIL_ROOT
sendmail_unpacked() {
	[ -x "$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" ] &&
	    [ -f "$SENDMAIL_ROOT/usr/share/sendmail/cf/m4/cf.m4" ]
}

# sendmail_unpack - download Sendmail's packages and unpack them into
# SENDMAIL_ROOT (root; after the package lists are there)
sendmail_unpack() {
	_d=$(mktemp -d /tmp/mailacd-sendmail.XXXXXX)
	# apt's download sandbox (user _apt) must be able to write there
	chmod 755 "$_d"
	chown _apt "$_d" 2>/dev/null || true
	if ! (cd "$_d" && apt-get download -q $SENDMAIL_PKGS); then
		rm -rf "$_d"
		return 1
	fi
	rm -rf "$SENDMAIL_ROOT.new"
	mkdir -p "$SENDMAIL_ROOT.new"
	for _f in "$_d"/*.deb; do
		dpkg-deb -x "$_f" "$SENDMAIL_ROOT.new" || { rm -rf "$_d"; return 1; }
	done
	rm -rf "$_d" "$SENDMAIL_ROOT"
	mv "$SENDMAIL_ROOT.new" "$SENDMAIL_ROOT"
	echo "install-deps.sh: Sendmail unpacked in $SENDMAIL_ROOT"
}

missing=$(missing_pkgs | tr '\n' ' ' | sed 's/ *$//')
need_sendmail=0
sendmail_unpacked || need_sendmail=1
if [ -z "$missing" ] && [ "$need_sendmail" = 0 ]; then
	[ "$mode" = if-missing ] || echo "install-deps.sh: every dependency is installed"
	exit 0
fi
if [ -z "$missing" ]; then
	if [ "$dry" = 1 ]; then
		echo "would unpack $SENDMAIL_PKGS into $SENDMAIL_ROOT"
		exit 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps.sh: Sendmail is not unpacked in $SENDMAIL_ROOT" \
		    "(its test skips); run as root: sh contrib/install-deps.sh" >&2
		# its only user, t/3060-e2e-sendmail.t, needs root anyway
		[ "$mode" = if-missing ] && exit 0
		exit 1
	fi
	if ! sendmail_unpack; then
		DEBIAN_FRONTEND=noninteractive apt-get update -q
		sendmail_unpack
	fi
	exit $?
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
if [ "$need_sendmail" = 1 ]; then
	sendmail_unpack
fi
# quiet_dovecot - stop and disable the system Dovecot that installing
# dovecot-core enabled: nothing of ours uses it, and it would take the
# IMAP and POP3 ports of the machine
quiet_dovecot() {
	case " $missing " in
	*" dovecot-"*) ;;
	*) return 0 ;;
	esac
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl stop dovecot.service dovecot.socket >/dev/null 2>&1 || true
		systemctl disable dovecot.service dovecot.socket >/dev/null 2>&1 || true
	else
		if [ -x /etc/init.d/dovecot ]; then
			/etc/init.d/dovecot stop >/dev/null 2>&1 || true
		fi
		if command -v deb-systemd-helper >/dev/null 2>&1; then
			deb-systemd-helper disable dovecot.service dovecot.socket \
			    >/dev/null 2>&1 || true
		fi
	fi
	if command -v update-rc.d >/dev/null 2>&1; then
		update-rc.d dovecot disable >/dev/null 2>&1 || true
	fi
	echo "install-deps.sh: the system Dovecot is stopped and disabled"
}
quiet_dovecot
echo "install-deps.sh: done"
