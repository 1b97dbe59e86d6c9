#!/bin/sh
# dress.sh - what a header and footer cost outbound mail: signed replies
# from an address with a header and footer (text and HTML templates) against
# the same replies from an address without, through the private Postfix and
# one mailacd-milter, measured in one run.
#
# Usage: make bench      (builds first; runs the other benchmarks, then this)
#        MAILACD_BUILD=$PWD/build sh bench/dress.sh [--quick]
#
# One private Redis, capturing sink and Postfix (t/lib/harness.sh), one
# mailacd-milter whose configuration registers support@example.com with a
# header and a footer (placeholders: customer, channel, organisation, date)
# and plain@example.com without; example.com has an RSA-2048 DKIM key and
# outbound.trusted_networks holds 127.0.0.0/8, so every message is signed.
# smtp-source sends BENCH_N copies of a fixed 4 KiB text/plain message
# (bench_message in bench/lib.sh) from each address over BENCH_SESSIONS
# sessions; rounds alternate the order.  Every number is the median over
# rounds:
#
#   msg/s     (N - 1) / (time from the first to the last message written by
#             the sink)
#   CPU us    the milter's own CPU time per message (user + system)
#   dressed   messages at the sink that carry the footer (all of the
#             dressed run, none of the other, or the comparison is void)
#   signed    messages at the sink with a DKIM-Signature (all, or void)
#
# One dressed message as the sink received it is then verified with
# python3-dkim.
#
#   BENCH_N=2000 BENCH_SESSIONS=20 BENCH_WARM=100 BENCH_ROUNDS=3
#   --quick    N = 200, one round, warm-up 20
#
# The table goes to stdout and bench/out/dress.txt; bench/RESULTS.md is
# left alone (its section is written by hand with the figures).

T_TOP=$(cd "$(dirname "$0")/.." && pwd)
T_TAP=0
MAILACD_TEST_TIMEOUT=0
. "$T_TOP/bench/lib.sh"

case ${1:-} in
--quick) N=${BENCH_N:-200}; ROUNDS=${BENCH_ROUNDS:-1}; WARM=${BENCH_WARM:-20} ;;
"") N=${BENCH_N:-2000}; ROUNDS=${BENCH_ROUNDS:-3}; WARM=${BENCH_WARM:-100} ;;
*) echo "usage: sh bench/dress.sh [--quick]" >&2; exit 2 ;;
esac
S=${BENCH_SESSIONS:-20}
OUT=$T_TOP/bench/out
PY=/usr/bin/python3
RCPT=ana@customer.test

die() {
	echo "dress bench: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root: the private Postfix instance needs it"
for t in redis-server redis-cli postfix smtp-source openssl; do
	command -v "$t" >/dev/null 2>&1 || die "$t missing: make deps"
done
bench_programs mailacd-milter

KEYS=$T_TMP/keys
mkdir -p "$KEYS"
chmod 700 "$KEYS"
KEY=$KEYS/example.com.s1.key
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEY" \
    2>/dev/null || die "openssl genpkey failed"
chmod 600 "$KEY"
printf 's1._domainkey.example.com v=DKIM1; k=rsa; p=%s\n' \
    "$(openssl pkey -in "$KEY" -pubout -outform DER | base64 -w0)" >"$T_TMP/records"

printf 'Dear {{customer.name|customer}}, this is {{channel.name}}.\n\n' >"$T_TMP/head.txt"
printf '<p>Dear {{customer.name|customer}}, this is {{channel.name}}.</p>\n' >"$T_TMP/head.html"
printf '\n-- \n{{organization}} - {{date}} - BENCHFOOTER\n' >"$T_TMP/foot.txt"
printf '<p>{{organization}} - {{date}} - BENCHFOOTER</p>\n' >"$T_TMP/foot.html"

bench_message "$T_TMP/dressed.eml" support@example.com "$RCPT" dressed
bench_message "$T_TMP/plain.eml" plain@example.com "$RCPT" plain

start_redis || die "cannot start redis-server"
start_sink || die "cannot start the capturing sink"
start_postfix "" || die "cannot start the private Postfix"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
milter_conf '{ address = "plain@example.com"; queue = "support"; display_name = "Acme Support"; },' \
    "" "" "dkim = { selector = \"s1\"; key_file = \"$KEY\"; };" \
    'outbound = { trusted_networks = [ "127.0.0.0/8" ]; };' >"$T_TMP/mailacd.conf"
sed -i 's|{ address = "support@example.com"; |&display_name = "Acme Support"; header = { text = "head.txt"; html = "head.html"; }; footer = { text = "foot.txt"; html = "foot.html"; }; |' \
    "$T_TMP/mailacd.conf"
grep -q 'footer = { text = "foot.txt"' "$T_TMP/mailacd.conf" ||
    die "cannot add the header and footer to support@example.com"
"$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/mailacd.conf" \
    >"$T_TMP/conf-check.log" 2>&1 ||
    die "mailacd.conf does not check: $(cat "$T_TMP/conf-check.log")"
start_milter unix "$T_TMP/mailacd.conf" || die "cannot start mailacd-milter"
postfix_set_milter "$MILTER_PF" || die "postfix reload failed"
sleep 2
HZ=$(getconf CLK_TCK)

# send FILE FROM COUNT
send() {
	smtp-source -s "$S" -m "$3" -F "$1" -f "$2" -t "$RCPT" \
	    "127.0.0.1:$SMTP_PORT" >"$T_TMP/src.log" 2>&1
}
delivered() {
	wait_for "$(( $1 / 20 + 120 ))" t_sink_has "$1" ||
	    die "only $(sink_count) of $1 messages reached the sink"
}

# measure NAME FILE FROM ROUND: appends "name round msg/s cpu dressed signed"
measure() {
	sink_clear
	send "$2" "$3" "$WARM"
	delivered "$WARM"
	wait_for 30 queue_empty
	sink_clear
	_c0=$(cpu_ticks "$MILTER_PID")
	send "$2" "$3" "$N"
	delivered "$N"
	_c1=$(cpu_ticks "$MILTER_PID")
	wait_for 30 queue_empty
	_span=$(find "$SINK_DIR" -type f -printf '%T@\n' | sort -n |
	    awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.3f", b - a }')
	_rate=$(awk -v n="$N" -v s="$_span" 'BEGIN { printf "%.1f", (s > 0 ? (n - 1) / s : 0) }')
	_cpu=$(awk -v d="$((_c1 - _c0))" -v hz="$HZ" -v n="$N" \
	    'BEGIN { printf "%.0f", d / hz / n * 1e6 }')
	_dressed=$(find "$SINK_DIR" -type f -exec grep -l 'BENCHFOOTER' {} + 2>/dev/null | wc -l)
	_signed=$(find "$SINK_DIR" -type f -exec grep -il '^DKIM-Signature:' {} + | wc -l)
	_sample=$(find "$SINK_DIR" -type f | sed 1q)
	cp "$SINK_RAW/$(basename "$_sample")" "$T_TMP/sample.$1.raw"
	echo "$1 $4 $_rate $_cpu $_dressed $_signed" >>"$T_TMP/results"
	echo "    $1: $_rate msg/s, milter CPU $_cpu us/msg, $_dressed dressed," \
	    "$_signed signed of $N" >&2
	sink_clear
}

: >"$T_TMP/results"
round=0
while [ "$round" -lt "$ROUNDS" ]; do
	round=$((round + 1))
	echo "round $round of $ROUNDS ($N x 4 KiB, $S sessions)" >&2
	if [ $((round % 2)) = 1 ]; then
		measure plain "$T_TMP/plain.eml" plain@example.com "$round"
		measure dressed "$T_TMP/dressed.eml" support@example.com "$round"
	else
		measure dressed "$T_TMP/dressed.eml" support@example.com "$round"
		measure plain "$T_TMP/plain.eml" plain@example.com "$round"
	fi
done

med() {
	awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$T_TMP/results" |
	    sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
mkdir -p "$OUT"
{
	echo "replies: $N x 4 KiB text/plain, $S sessions, $ROUNDS round(s), unix socket, all DKIM-signed"
	printf '%-9s %8s %10s %8s %7s\n' "replies" "msg/s" "CPU us/msg" dressed signed
	for c in plain dressed; do
		printf '%-9s %8s %10s %8s %7s\n' "$c" "$(med $c 3)" "$(med $c 4)" \
		    "$(med $c 5)" "$(med $c 6)"
	done
	awk -v a="$(med dressed 3)" -v b="$(med plain 3)" -v c="$(med dressed 4)" \
	    -v d="$(med plain 4)" 'BEGIN { printf "dressed/plain throughput %.2f, milter CPU %.2f x\n", a / b, (d > 0 ? c / d : 0) }'
	[ "$(med plain 5)" = 0 ] && [ "$(med dressed 5)" = "$N" ] &&
	    [ "$(med plain 6)" = "$N" ] && [ "$(med dressed 6)" = "$N" ] &&
	    echo "checks: every dressed reply has the footer, no plain one does, all signed" ||
	    echo "CHECKS FAILED: the comparison is void"
	if "$PY" -c 'import dkim' 2>/dev/null; then
		printf 'python3-dkim on a dressed reply as received: %s\n' \
		    "$("$PY" "$T_TOP/t/lib/dkim-verify.py" "$T_TMP/records" example.com \
		    "$T_TMP/sample.dressed.raw" | cut -c1-4)"
	fi
} | tee "$OUT/dress.txt"
