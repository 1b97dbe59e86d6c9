#!/bin/sh
# fresh-check.sh - prove that the README's commands work as the very first
# command on a fresh Debian 12 machine.
#
# Usage (root): sh contrib/fresh-check.sh [--demo] [--keep] [--tarball FILE]
#
#   --demo          after make test, also run make demo
#   --keep          keep the fresh root afterwards (it is removed otherwise)
#   --tarball FILE  cache debootstrap's downloads in FILE: made on the first
#                   run (--make-tarball), reused on later ones
#                   (--unpack-tarball), so reruns do not download the base
#   FRESH_DIR       where the temporary root is made (default /var/tmp)
#
# It makes a clean Debian 12 (bookworm) root with debootstrap (default
# variant, what a fresh install has) from the Debian mirror that this
# machine's apt sources use, git-clones the committed HEAD of this work tree
# into /root/mailacd there, and runs inside chroot exactly what the README
# says: the prerequisite "apt-get install make" (a fresh Debian has no
# make), then "cd /root/mailacd && make test" (and "make demo" with
# --demo). The tests start their own Redis and Postfix on loopback ports;
# the chroot shares this machine's network. Everything mounted is unmounted
# and every process left running inside the root is killed on exit, also on
# failure or Ctrl-C. Exits with make test's (or make demo's) status and
# prints the elapsed time of each phase.

set -eu

demo=0
keep=0
tarball=
while [ $# -gt 0 ]; do
	case $1 in
	--demo) demo=1 ;;
	--keep) keep=1 ;;
	--tarball)
		[ $# -ge 2 ] || { echo "fresh-check.sh: --tarball needs a file" >&2; exit 2; }
		tarball=$2
		shift
		;;
	-h|--help)
		sed -n '2,24s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*)
		echo "fresh-check.sh: unknown option $1" >&2
		exit 2
		;;
	esac
	shift
done

SUITE=bookworm
PATH_IN=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# say - print a progress line
say() {
	echo "fresh-check: $*"
}

# die - print an error and exit 1
die() {
	echo "fresh-check: $*" >&2
	exit 1
}

# apt_entries - print "URI SUITE" for every enabled deb source of this machine
apt_entries() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" {
			i = 2
			if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
			if (i + 1 <= NF) print $i, $(i + 1)
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && enabled != "no" && uri != "")
				for (j = 1; j <= ns; j++) print uri, suites[j]
			types = ""; enabled = ""; uri = ""; ns = 0
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{
			key = tolower($1); sub(/:$/, "", key)
			if (key == "types") { types = $0; sub(/^[^:]*:[ \t]*/, "", types) }
			else if (key == "enabled") enabled = tolower($2)
			else if (key == "uris") uri = $2
			else if (key == "suites") for (j = 2; j <= NF; j++) suites[++ns] = $j
		}
		END { flush() }' "$f"
	done
}

# mirror_for - print the first URI this machine uses for suite $1
mirror_for() {
	apt_entries | awk -v s="$1" '$2 == s { print $1; exit }'
}

# elapsed - print seconds since $1 as "Mm SSs"
elapsed() {
	t=$(( $(date +%s) - $1 ))
	printf '%dm%02ds' $((t / 60)) $((t % 60))
}

# in_root - run a command inside the fresh root with a clean login-like env
in_root() {
	chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root \
	    SHELL=/bin/sh PATH="$PATH_IN" TERM="${TERM:-dumb}" LANG=C.UTF-8 \
	    "$@" </dev/null
}

# root_mounts - print the mount points at or below the fresh root, deepest first
root_mounts() {
	findmnt -rn -o TARGET | awk -v r="$root" 'index($0, r "/") == 1 || $0 == r' |
	    sort -r
}

# kill_root_procs - kill every process whose root directory is the fresh root
kill_root_procs() {
	for sig in TERM KILL; do
		found=0
		for p in /proc/[0-9]*; do
			pr=$(readlink "$p/root" 2>/dev/null) || continue
			case $pr in
			"$root"|"$root"/*)
				found=1
				kill "-$sig" "${p#/proc/}" 2>/dev/null || true
				;;
			esac
		done
		[ "$found" = 1 ] || return 0
		[ "$sig" = KILL ] || sleep 2
	done
	sleep 1
}

# cleanup - kill what runs in the root, unmount everything, remove the root
cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	set +e
	[ -z "${phase:-}" ] ||
	    times="${times:+$times, }$phase $(elapsed "$t0") (unfinished, exit $rc)"
	if [ -n "${root:-}" ] && [ -d "$root" ]; then
		kill_root_procs
		for m in $(root_mounts); do
			umount "$m" 2>/dev/null || { sleep 1; umount "$m"; } ||
			    umount -l "$m"
		done
		left=$(root_mounts)
		if [ -n "$left" ]; then
			echo "fresh-check: still mounted, $base not removed: $left" >&2
			rc=1
		else
			say "no mounts left below $root (findmnt)"
			if [ "$keep" = 1 ]; then
				say "kept $root"
			else
				rm -rf --one-file-system "$base"
			fi
		fi
	fi
	[ -n "${tmp_tar_dir:-}" ] && rm -rf --one-file-system "$tmp_tar_dir"
	say "phases: $times"
	exit "$rc"
}

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, mount, chroot)"
top=$(cd "$(dirname "$0")/.." && git rev-parse --show-toplevel) ||
    die "not inside a git work tree"
head=$(git -C "$top" rev-parse --short HEAD)
command -v findmnt >/dev/null 2>&1 || die "findmnt (util-linux) is missing"

mirror=$(mirror_for "$SUITE")
[ -n "$mirror" ] || die "no apt source for $SUITE in /etc/apt/sources.list{,.d/}"
security=$(mirror_for "$SUITE-security")

if ! command -v debootstrap >/dev/null 2>&1; then
	say "installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap ||
	    { apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -q debootstrap; } ||
	    die "cannot install debootstrap"
fi

times=
phase=
base=$(mktemp -d "${FRESH_DIR:-/var/tmp}/mailacd-fresh.XXXXXX")
root=$base/root
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

say "HEAD $head of $top, mirror $mirror, root $root"

# phase 1: a fresh Debian 12, debootstrap's default variant
t0=$(date +%s)
phase=debootstrap
if [ -n "$tarball" ] && [ ! -s "$tarball" ]; then
	say "debootstrap --make-tarball=$tarball"
	tmp_tar_dir=$(mktemp -d "${FRESH_DIR:-/var/tmp}/mailacd-tar.XXXXXX")
	debootstrap --make-tarball="$tarball" "$SUITE" "$tmp_tar_dir" "$mirror"
	rm -rf --one-file-system "$tmp_tar_dir"
	tmp_tar_dir=
fi
if [ -n "$tarball" ]; then
	debootstrap --unpack-tarball="$(realpath "$tarball")" "$SUITE" "$root" "$mirror"
else
	debootstrap "$SUITE" "$root" "$mirror"
fi
# apt sources as the Debian installer writes them
{
	echo "deb $mirror $SUITE main"
	echo "deb $mirror $SUITE-updates main"
	[ -z "$security" ] || echo "deb $security $SUITE-security main"
} >"$root/etc/apt/sources.list"
cp /etc/resolv.conf "$root/etc/resolv.conf"
times="debootstrap $(elapsed "$t0")"
phase=
say "debootstrap done in $(elapsed "$t0")"

# the project: a clean checkout of the committed HEAD, nothing uncommitted
git clone -q --no-hardlinks "$top" "$root/root/mailacd"

# /proc, /sys, /dev, /dev/pts; slave mounts so nothing propagates back
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --make-rslave "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mount --make-rslave "$root/dev/pts"

# evidence: what a fresh Debian 12 has of the README's tools
for tool in make git gcc; do
	if in_root sh -c "command -v $tool" >/dev/null; then
		say "fresh root has $tool"
	else
		say "fresh root has no $tool"
	fi
done

# phase 2: the README's prerequisite, needed only when make is absent
t0=$(date +%s)
phase="apt-get install make"
if ! in_root sh -c 'command -v make' >/dev/null; then
	say "README prerequisite: apt-get update && apt-get install -y make"
	in_root sh -c 'apt-get update -q &&
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q make'
fi
times="$times, apt-get install make $(elapsed "$t0")"
phase=

# phase 3: the README's command, the first one in the project
t0=$(date +%s)
phase="make test"
say "chroot: cd /root/mailacd && make test"
st=0
in_root sh -c 'cd /root/mailacd && make test' || st=$?
times="$times, make test $(elapsed "$t0") (exit $st)"
phase=
say "make test exited $st after $(elapsed "$t0")"

# phase 4 (--demo): the README's other command
if [ "$demo" = 1 ] && [ "$st" = 0 ]; then
	t0=$(date +%s)
	phase="make demo"
	say "chroot: cd /root/mailacd && make demo"
	in_root sh -c 'cd /root/mailacd && make demo' || st=$?
	times="$times, make demo $(elapsed "$t0") (exit $st)"
	phase=
	say "make demo exited $st after $(elapsed "$t0")"
fi

exit "$st"
