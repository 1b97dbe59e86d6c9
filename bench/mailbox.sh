#!/bin/sh
# mailbox.sh - how fast the router's fetcher empties a mailbox: messages
# pulled per second from a mailbox of BENCH_MBOX_N (2,000) messages on a
# private Dovecot, each handed to a private Postfix running mailacd-milter
# (so each one is stamped and recorded in Redis) and deleted from the
# server after the relay accepted it.
#
# Usage: MAILACD_BUILD=$PWD/build sh bench/mailbox.sh   (make bench runs it)
#
# For each of IMAP over TLS (imaps), IMAP without TLS, and POP3 over TLS
# (pop3s): fill the mailbox's Maildir with BENCH_MBOX_N messages of about
# BENCH_MBOX_SIZE bytes (each from its own sender, with its own
# Message-ID), flush Redis, start mailacd-router -f, and measure the time
# from its start until the mailbox is empty and the ingest stream holds
# BENCH_MBOX_N interactions.  msg/s = N / that time.  The table goes to
# stdout and bench/out/mailbox.txt.
#
#   BENCH_MBOX_N=2000 BENCH_MBOX_SIZE=4096

T_TOP=$(cd "$(dirname "$0")/.." && pwd)
T_TAP=0
MAILACD_TEST_TIMEOUT=0
. "$T_TOP/bench/lib.sh"

N=${BENCH_MBOX_N:-2000}
SIZE=${BENCH_MBOX_SIZE:-4096}
MILTER_SENDER_RATE_LIMIT=0
OUT=$T_TOP/bench/out

die() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root: the private Postfix instance needs it"
for t in redis-server redis-cli postfix smtp-sink ss dovecot openssl; do
	command -v "$t" >/dev/null 2>&1 || die "$t missing: make deps"
done
bench_programs mailacd-milter mailacd-router

start_dovecot bench:pw-bench || die "cannot start dovecot"
start_redis || die "cannot start redis-server"
SINK_IMPL=smtp-sink
start_sink || die "cannot start smtp-sink"
# the milter's configuration registers the address too (it stamps and
# records its mail); its mailbox group means nothing to the milter
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
milter_conf '{ address = "support2@example.com"; queue = "support"; },' \
    >"$T_TMP/milter.conf"
start_milter unix "$T_TMP/milter.conf" || die "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || die "cannot start the private Postfix"

# fill: N messages of about SIZE bytes in bench's INBOX
fill() {
	_dir=$DOVECOT_MAIL/bench/new
	awk -v n="$N" -v size="$SIZE" -v dir="$_dir" -v run="$$" 'BEGIN {
		line = "Hello, my order has not arrived yet and I would like to know why."
		for (i = 1; i <= n; i++) {
			f = sprintf("%s/%d.%d.bench", dir, run, i)
			printf "Return-Path: <c%d@customer.test>\r\n", i > f
			printf "From: Customer %d <c%d@customer.test>\r\n", i, i > f
			printf "To: support@example.com\r\nSubject: order %d\r\n", i > f
			printf "Date: Fri, 04 Dec 2026 12:00:00 +0000\r\n" > f
			printf "Message-ID: <bench-%d.%s@customer.test>\r\n\r\n", i, run > f
			for (b = 200; b < size; b += length(line) + 2)
				printf "%s\r\n", line > f
			close(f)
		}
	}'
	chown -R nobody:nogroup "$DOVECOT_MAIL/bench"
}

# pull NAME SETTINGS: msg/s for one kind of mailbox
pull() {
	milter_conf "{ address = \"support2@example.com\"; queue = \"support\";
	  mailbox = { server = \"127.0.0.1\"; user = \"bench\"; password = \"pw-bench\";
	    ca_file = \"$DOVECOT_CERT\"; poll_interval = 1; $2 }; }," "" "" "" \
	    "fetch = { relay = \"smtp://127.0.0.1:$SMTP_PORT\"; retry_min = 1; retry_max = 2; };" \
	    >"$T_TMP/fetch.conf"
	chmod 600 "$T_TMP/fetch.conf"
	fill
	rcli FLUSHALL >/dev/null
	sink_clear
	_t0=$(now_ms)
	spawn "router-$1" "$T_TMP/router-$1.log" "$MAILACD_BUILD/mailacd-router" \
	    -f -c "$T_TMP/fetch.conf"
	_pid=$SPAWNED_PID
	_done() { [ "$(dovecot_count bench)" = 0 ] &&
	    [ "$(rcli XLEN 'mailacd:{acme}:ingest')" -ge "$N" ]; }
	if ! wait_for $((N / 2 + 120)) _done; then
		echo "bench: $1: $(dovecot_count bench) left on the server," \
		    "$(rcli XLEN 'mailacd:{acme}:ingest') recorded" >&2
		kill_pid "$_pid" 10
		echo "0 0"
		return 1
	fi
	_t1=$(now_ms)
	kill_pid "$_pid" 10
	t_forget "$_pid"
	echo "$(awk -v n="$N" -v ms="$((_t1 - _t0))" \
	    'BEGIN { printf "%.1f %.1f", n * 1000 / ms, ms / 1000 }') \
	    $(rcli XLEN 'mailacd:{acme}:ingest')"
}

mkdir -p "$OUT"
{
	echo "mailacd mailbox bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs"
	echo "$N messages of ~$SIZE bytes, pulled, handed through Postfix +" \
	    "mailacd-milter, deleted"
	printf '%-24s %10s %10s %12s\n' "mailbox" "msg/s" "seconds" "interactions"
	set -- "imaps-delete" "port = $DOVECOT_IMAPS;" \
	    "imap-plain-delete" "port = $DOVECOT_IMAP; tls = \"none\";" \
	    "pop3s-delete" "port = $DOVECOT_POP3S; protocol = \"pop3\";"
	while [ $# -ge 2 ]; do
		r=$(pull "$1" "$2")
		# shellcheck disable=SC2086
		printf '%-24s %10s %10s %12s\n' "$1" $r
		shift 2
	done
} | tee "$OUT/mailbox.txt"
