#!/bin/sh
# outbound.sh - throughput of signed outbound mail through Postfix:
# mailacd-milter vs Debian's opendkim signing the same mail, and no milter,
# measured in one run.
#
# Usage: make bench      (builds first; runs bench/run.sh, router.sh, this)
#        MAILACD_BUILD=$PWD/build sh bench/outbound.sh [--quick]
#
# One private Redis, capturing sink and Postfix (t/lib/harness.sh).  Both
# signers get the same RSA-2048 key (mode 0600, in a mode 0700 folder):
# /usr/sbin/opendkim in the foreground with its own configuration file
# (Mode s, Domain example.com, Selector s1, relaxed/relaxed, OversignHeaders
# From as in Debian's /etc/opendkim.conf, InternalHosts 127.0.0.0/8), and
# mailacd-milter with the harness configuration, where support@example.com
# is a registered address (direction both), example.com has a dkim group
# and outbound.trusted_networks holds 127.0.0.0/8.  With BENCH_FEATURES=1
# (the default) mailacd also does the rest of the outbound path for every
# message: support@example.com gets a display_name (From rewritten), a
# reply_to (Reply-To added) and a copy_to (an envelope-only recipient), and
# example.com a bounce_domain (MAIL FROM moved); all of it is checked at the
# sink.  Both milters run for the whole run; between measurements only
# Postfix's smtpd_milters changes.
#
# smtp-source sends BENCH_N copies of one fixed message (From: Acme Support
# <support@example.com>, To, Subject, Date, Message-ID, MIME headers, a
# 4 KiB body) from support@example.com to ana@customer.test over
# BENCH_SESSIONS parallel sessions (a connection per message).  Each
# configuration gets a warm-up of BENCH_WARM messages first.  Rounds
# alternate the order (none, opendkim, mailacd; then the reverse) so that
# background load falls on all alike; every number is the median over
# rounds.
#
#   msg/s     (N - 1) / (time from the first to the last message written
#             by the sink): the rate Postfix delivered at
#   wall/s    N / (time from starting smtp-source until the sink holds N),
#             measured as bench/run.sh does (informative)
#   CPU us    the milter process's own CPU time per message (user + system)
#   signed    messages at the sink that carry a DKIM-Signature header; every
#             one of them must, or the comparison is void
#   fwd       messages at the sink with MAIL FROM on the bounce domain, the
#             copy recipient and a Reply-To (mailacd with BENCH_FEATURES=1:
#             every one, or the comparison is void)
#
# After the rounds one signed message of each signer, as the capturing
# sink received its bytes, is checked with python3-dkim and Mail::DKIM
# (when installed) against the key's DNS record.
#
#   BENCH_N=3000 BENCH_SESSIONS=20 BENCH_WARM=200 BENCH_ROUNDS=3
#   BENCH_SOCKET=inet        both milters' socket type: inet or unix
#   BENCH_FEATURES=1         0: mailacd only signs (no display name,
#                            Reply-To, copy recipient or bounce domain)
#   BENCH_RECORD=1           0: leave bench/RESULTS.md alone
#   --quick                  N = 300, one round, warm-up 50: a smoke run
#                            (prints the table, leaves RESULTS.md alone)
#
# Target (the outbound design): mailacd >= 1.0 x opendkim's throughput.
# The table goes to stdout and bench/out/outbound.txt; a full run rewrites
# the outbound section of bench/RESULTS.md.  Nothing is built here.

T_TOP=$(cd "$(dirname "$0")/.." && pwd)
T_TAP=0
MAILACD_TEST_TIMEOUT=0
. "$T_TOP/bench/lib.sh"

QUICK=0
case ${1:-} in
--quick) QUICK=1 ;;
"") ;;
*) echo "usage: sh bench/outbound.sh [--quick]" >&2; exit 2 ;;
esac
if [ "$QUICK" = 1 ]; then
	N=${BENCH_N:-300}
	ROUNDS=${BENCH_ROUNDS:-1}
	WARM=${BENCH_WARM:-50}
	RECORD=0
else
	N=${BENCH_N:-3000}
	ROUNDS=${BENCH_ROUNDS:-3}
	WARM=${BENCH_WARM:-200}
	RECORD=${BENCH_RECORD:-1}
fi
S=${BENCH_SESSIONS:-20}
FEATURES=${BENCH_FEATURES:-1}
SOCK=${BENCH_SOCKET:-inet}
OPENDKIM=${OPENDKIM:-/usr/sbin/opendkim}
OUT=$T_TOP/bench/out
PY=/usr/bin/python3
FROM=support@example.com
RCPT=ana@customer.test
REPLY_TO=support@example.com
COPY_TO=archive@corp.test
BOUNCE=bounce.example.com

die() {
	echo "outbound bench: $*" >&2
	exit 1
}

case $SOCK in
inet | unix) ;;
*) die "BENCH_SOCKET=$SOCK: want inet or unix" ;;
esac
[ "$(id -u)" -eq 0 ] || die "run as root: the private Postfix instance needs it"
for t in redis-server redis-cli postfix smtp-source smtp-sink ss openssl; do
	command -v "$t" >/dev/null 2>&1 || die "$t missing: make deps"
done
[ -x "$OPENDKIM" ] || die "$OPENDKIM missing: apt-get install opendkim"
[ -x "$MAILACD_BUILD/mailacd-milter" ] ||
    die "$MAILACD_BUILD/mailacd-milter not built: make"

# A private copy: a rebuild during the run must not swap the program.
mkdir -p "$T_TMP/build"
cp "$MAILACD_BUILD/mailacd-milter" "$T_TMP/build/"
MAILACD_BUILD=$T_TMP/build

# --- the key both signers use ---------------------------------------------------

KEYS=$T_TMP/keys
mkdir -p "$KEYS"
chmod 700 "$KEYS"
KEY=$KEYS/example.com.s1.key
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEY" \
    2>/dev/null || die "openssl genpkey failed"
chmod 600 "$KEY"
printf 'v=DKIM1; k=rsa; p=%s' \
    "$(openssl pkey -in "$KEY" -pubout -outform DER | base64 -w0)" >"$KEY.txt"

# --- the message: the same bytes for every run ------------------------------------

MSG=$T_TMP/message.eml
bench_message "$MSG" "$FROM" "$RCPT" outbound

# --- servers ---------------------------------------------------------------------

start_redis || die "cannot start redis-server"
start_sink || die "cannot start the capturing sink"
start_postfix "" || die "cannot start the private Postfix"

# opendkim, as root in the foreground; its socket world-writable for
# Postfix's smtpd (user postfix) when it is a unix socket
t_milter_sockets "$SOCK" opendkim
ODK_SOCKET=$T_MSOCK
ODK_PF=$T_MPF
ODK_CONF=$T_TMP/opendkim.conf
case $ODK_SOCKET in
unix:*) ODK_SOCKET=local:${ODK_SOCKET#unix:} ;;
esac
cat >"$ODK_CONF" <<EOF
# opendkim.conf written by bench/outbound.sh
Mode			s
Domain			example.com
Selector		s1
KeyFile			$KEY
Canonicalization	relaxed/relaxed
OversignHeaders		From
InternalHosts		127.0.0.0/8
Socket			$ODK_SOCKET
UMask			000
PidFile			$T_TMP/opendkim.pid
Syslog			no
Background		no
AutoRestart		no
RequireSafeKeys		no
EOF
spawn opendkim "$T_TMP/opendkim.log" "$OPENDKIM" -f -x "$ODK_CONF"
ODK_PID=$SPAWNED_PID
t_wait_milter "$ODK_PID" "$T_TMP/opendkim.log" || die "cannot start opendkim"

# mailacd-milter
t_milter_sockets "$SOCK" milter
MILTER_SOCKET=$T_MSOCK
DOMAIN_SET="dkim = { selector = \"s1\"; key_file = \"$KEY\"; };"
[ "$FEATURES" = 1 ] && DOMAIN_SET="$DOMAIN_SET bounce_domain = \"$BOUNCE\";"
milter_conf "" "" "" "$DOMAIN_SET" \
    'outbound = { trusted_networks = [ "127.0.0.0/8" ]; };' \
    >"$T_TMP/mailacd.conf"
if [ "$FEATURES" = 1 ]; then
	sed -i "s|{ address = \"$FROM\"; |&display_name = \"Acme Support\"; reply_to = \"$REPLY_TO\"; copy_to = \"$COPY_TO\"; |" \
	    "$T_TMP/mailacd.conf"
	grep -q "copy_to = \"$COPY_TO\"" "$T_TMP/mailacd.conf" ||
	    die "cannot add the forwarding settings to $FROM in mailacd.conf"
fi
"$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/mailacd.conf" \
    >"$T_TMP/conf-check.log" 2>&1 ||
    die "mailacd.conf does not check: $(cat "$T_TMP/conf-check.log")"
start_milter "$MILTER_SOCKET" "$T_TMP/mailacd.conf" ||
    die "cannot start mailacd-milter"

# --- measuring -------------------------------------------------------------------

HZ=$(getconf CLK_TCK)

# send - COUNT: smtp-source sends COUNT copies of the message
send() {
	smtp-source -s "$S" -m "$1" -F "$MSG" -f "$FROM" -t "$RCPT" \
	    "127.0.0.1:$SMTP_PORT" >"$T_TMP/src.log" 2>&1
}

# delivered - COUNT: wait until the sink holds COUNT messages, or die
delivered() {
	if ! wait_for "$(( $1 / 20 + 120 ))" t_sink_has "$1"; then
		die "only $(sink_count) of $1 messages reached the sink;" \
		    "smtp-source said: $(sed 3q "$T_TMP/src.log");" \
		    "maillog: $(tail -n 5 "$PF_BASE/maillog")"
	fi
}

# measure - NAME SPEC PID ROUND: one configuration, one round; appends
# "name round msg/s wall/s cpu signed" to $T_TMP/results
measure() {
	postfix_set_milter "$2" || die "postfix reload failed"
	sleep 2
	sink_clear
	send "$WARM"
	delivered "$WARM"
	wait_for 30 queue_empty
	sink_clear
	_c0=${3:+$(cpu_ticks "$3")}
	_t0=$(now_ms)
	send "$N"
	delivered "$N"
	_t1=$(now_ms)
	_c1=${3:+$(cpu_ticks "$3")}
	wait_for 30 queue_empty
	_span=$(find "$SINK_DIR" -type f -printf '%T@\n' | sort -n |
	    awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.3f", b - a }')
	_rate=$(awk -v n="$N" -v s="$_span" 'BEGIN { printf "%.1f", (s > 0 ? (n - 1) / s : 0) }')
	_wall=$(awk -v n="$N" -v ms="$((_t1 - _t0))" 'BEGIN { printf "%.1f", n * 1000 / ms }')
	_cpu=-
	if [ -n "$3" ] && [ -n "$_c0" ] && [ -n "$_c1" ]; then
		_cpu=$(awk -v d="$((_c1 - _c0))" -v hz="$HZ" -v n="$N" \
		    'BEGIN { printf "%.0f", d / hz / n * 1e6 }')
	fi
	_files=$(sink_count)
	[ "$_files" -eq "$N" ] ||
	    die "$1: the sink holds $_files messages, $N were sent"
	_signed=$(find "$SINK_DIR" -type f -exec grep -il '^DKIM-Signature:' {} + |
	    wc -l)
	# the forwarding model: MAIL FROM on the bounce domain, the copy
	# recipient in the same delivery, a Reply-To
	_fwd=$(find "$SINK_DIR" -type f -exec \
	    grep -l "^X-Mail-Args: <${FROM%@*}@$BOUNCE>" {} + 2>/dev/null |
	    xargs -r grep -l "^X-Rcpt-Args: <$COPY_TO>" 2>/dev/null |
	    xargs -r grep -il '^Reply-To:' 2>/dev/null | wc -l)
	# keep one delivered message of each configuration for the checks,
	# with the bytes the sink received
	_sample=$(find "$SINK_DIR" -type f | sed 1q)
	cp "$_sample" "$T_TMP/sample.$1"
	cp "$SINK_RAW/$(basename "$_sample")" "$T_TMP/sample.$1.raw"
	echo "$1 $4 $_rate $_wall $_cpu $_signed $_fwd" >>"$T_TMP/results"
	echo "    $1: $_rate msg/s (wall $_wall/s), milter CPU $_cpu us/msg," \
	    "$_signed of $N signed, $_fwd forwarded" >&2
	sink_clear
}

: >"$T_TMP/results"
T_START=$(now_ms)
round=0
while [ "$round" -lt "$ROUNDS" ]; do
	round=$((round + 1))
	if [ $((round % 2)) = 1 ]; then
		order="none opendkim mailacd"
	else
		order="mailacd opendkim none"
	fi
	echo "round $round of $ROUNDS ($N x $(wc -c <"$MSG") B, $S sessions," \
	    "$SOCK sockets): $order" >&2
	for c in $order; do
		case $c in
		none) measure none "" "" "$round" ;;
		opendkim) measure opendkim "$ODK_PF" "$ODK_PID" "$round" ;;
		mailacd) measure mailacd "$MILTER_PF" "$MILTER_PID" "$round" ;;
		esac
	done
done
postfix_set_milter "" || true
T_SECS=$(( ($(now_ms) - T_START) / 1000 ))

t_alive "$ODK_PID" || die "opendkim died: $(tail -n 5 "$T_TMP/opendkim.log")"
t_alive "$MILTER_PID" || die "mailacd-milter died: $(tail -n 5 "$MILTER_LOG")"

# --- the signatures ----------------------------------------------------------------

# sig - CONFIG: the DKIM-Signature of CONFIG's sample, unfolded, spaces removed
sig() {
	msg_header "$T_TMP/sample.$1" DKIM-Signature | tr -d ' \t'
}
# sigtag - CONFIG TAG: one tag of that signature
sigtag() {
	sig "$1" | tr ';' '\n' | sed -n "s/^$2=//p" | sed 1q
}
# verify - CONFIG: the verdicts of python3-dkim and Mail::DKIM on the
# bytes the sink received for CONFIG's sample, the DNS answering with the
# key's record: "pass"/"fail ..." each, or "not checked"
verify() {
	printf 's1._domainkey.example.com %s\n' "$(cat "$KEY.txt")" >"$T_TMP/records"
	if "$PY" -c 'import dkim' 2>/dev/null; then
		printf 'python3-dkim %s' "$("$PY" "$T_TOP/t/lib/dkim-verify.py" \
		    "$T_TMP/records" example.com "$T_TMP/sample.$1.raw" |
		    sed 's/ .*:/:/; s/^pass .*/pass/')"
	else
		printf 'python3-dkim not checked'
	fi
	if perl -MMail::DKIM::Verifier -e 1 2>/dev/null; then
		printf ', Mail::DKIM %s\n' "$(perl "$T_TOP/t/lib/dkim-verify.pl" \
		    "$T_TMP/records" example.com "$T_TMP/sample.$1.raw" |
		    sed 's/ .*:/:/; s/^pass .*/pass/')"
	else
		printf ', Mail::DKIM not checked\n'
	fi
}
SIGS=$T_TMP/signatures
{
	for c in opendkim mailacd; do
		printf '%-8s d=%s s=%s a=%s c=%s %s\n' "$c" \
		    "$(sigtag "$c" d)" "$(sigtag "$c" s)" "$(sigtag "$c" a)" \
		    "$(sigtag "$c" c)" "$(verify "$c")"
		printf '         h=%s\n' "$(sigtag "$c" h)"
	done
	printf 'none     DKIM-Signature headers: %s\n' \
	    "$(msg_header "$T_TMP/sample.none" DKIM-Signature | wc -l)"
	for c in opendkim mailacd; do
		f=$T_TMP/sample.$c
		rt=$(msg_header "$f" Reply-To)
		printf '%-8s From: %s | Reply-To: %s | MAIL FROM %s | RCPT %s\n' \
		    "$c" "$(msg_header "$f" From)" "${rt:--}" \
		    "$(sed -n 's/^X-Mail-Args: \([^ ]*\).*/\1/p' "$f")" \
		    "$(sink_rcpts "$f" | tr '\n' ' ' | sed 's/ $//')"
	done
} >"$SIGS"

# --- the table -------------------------------------------------------------------

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sed 1q)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
COMMIT=$(git -C "$T_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git -C "$T_TOP" diff --quiet HEAD -- common milter 2>/dev/null; then
	COMMIT="$COMMIT (with local changes to common/ or milter/)"
fi
ODK_V=$("$OPENDKIM" -V 2>&1 | sed -n 's/.*OpenDKIM Filter v//p' | sed 1q)
PF_V=$(pf_postconf -dh mail_version)
mkdir -p "$OUT"
{
	echo "mailacd outbound bench, $DATE, $(nproc) CPUs ($CPU), $(uname -r)"
	echo "mailacd $(cat "$T_TOP/VERSION" 2>/dev/null), commit $COMMIT;" \
	    "opendkim $ODK_V; Postfix $PF_V"
	echo "$N x $(wc -c <"$MSG") B message (4096 B body) over $S sessions," \
	    "$SOCK milter sockets, RSA-2048; rounds: $ROUNDS (median), $T_SECS s"
	echo
	awk -v n="$N" -v features="$FEATURES" '
	function median(key, col,    i, c, a, t, j) {
		c = cnt[key]
		for (i = 1; i <= c; i++) a[i] = val[key, col, i]
		for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++)
			if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
	}
	{
		k = $1; c = ++cnt[k]
		val[k, 3, c] = $3; val[k, 4, c] = $4; val[k, 5, c] = $5
		if (!(k in minsig) || $6 < minsig[k]) minsig[k] = $6
		if ($6 > maxsig[k]) maxsig[k] = $6
		if (!(k in minfwd) || $7 < minfwd[k]) minfwd[k] = $7
		line[$2] = line[$2] sprintf("  %s %.1f", k, $3)
		if ($2 > rounds) rounds = $2
	}
	END {
		none = median("none", 3)
		printf "%-9s %9s %8s %9s %11s %13s %13s\n", "milter", "msg/s",
		    "vs none", "wall/s", "CPU us/msg", "signed (min)",
		    "fwd (min)"
		split("none opendkim mailacd", ks, " ")
		for (i = 1; i <= 3; i++) {
			k = ks[i]
			if (!(k in cnt)) continue
			r[k] = median(k, 3)
			cpu = val[k, 5, 1] == "-" ? "-" : sprintf("%.0f", median(k, 5))
			printf "%-9s %9.1f %8.2f %9.1f %11s %13s %13s\n", k, r[k],
			    (none ? r[k] / none : 0), median(k, 4), cpu,
			    minsig[k] "/" n, minfwd[k] "/" n
		}
		print ""
		real = minsig["opendkim"] == n && minsig["mailacd"] == n &&
		    maxsig["none"] == 0
		ratio = r["opendkim"] ? r["mailacd"] / r["opendkim"] : 0
		verdict = "not met"
		if (ratio >= 1.0) verdict = "met"
		if (!real) verdict = "VOID, not every message signed"
		if (features && minfwd["mailacd"] != n)
			verdict = "VOID, not every message forwarded"
		on = 0; mn = 0
		if (none) { on = r["opendkim"] / none; mn = r["mailacd"] / none }
		printf "mailacd/opendkim %.2f (target >= 1.0: %s)   opendkim/none %.2f   mailacd/none %.2f\n",
		    ratio, verdict, on, mn
		wo = median("opendkim", 4); wr = 0
		if (wo) wr = median("mailacd", 4) / wo
		printf "wall: mailacd/opendkim %.2f\n", wr
		print ""
		print "rounds (msg/s):"
		for (i = 1; i <= rounds; i++) printf "round %d:%s\n", i, line[i]
	}' "$T_TMP/results"
	echo
	echo "signatures (one delivered message of each):"
	cat "$SIGS"
	if grep -q 'python3-dkim fail\|Mail::DKIM fail' "$SIGS"; then
		echo "WARNING: a signature did not verify: the comparison is void"
	fi
} >"$OUT/outbound.txt"
cat "$OUT/outbound.txt"

[ "$RECORD" = 1 ] || exit 0

# --- the outbound section of bench/RESULTS.md ----------------------------------------

RES=$T_TOP/bench/RESULTS.md
COMMIT_SHORT=$(git -C "$T_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ "$FEATURES" = 1 ]; then
	FEAT_TEXT="It also does the rest of the outbound path for every message:
\`support@example.com\` has a \`display_name\` (the From is rewritten), a
\`reply_to\` (a Reply-To is added and signed) and a \`copy_to\` (an
envelope-only recipient is added), and \`example.com\` a \`bounce_domain\`
(MAIL FROM moves to \`support@$BOUNCE\`). opendkim only signs."
	FEAT_NOTE="sender and client checks, From identity rule, display name,
Reply-To, copy recipient, bounce domain, \`X-MailACD-*\` removal, DKIM
signature, a log line"
else
	FEAT_TEXT="This run has the forwarding settings off (\`BENCH_FEATURES=0\`):
mailacd only signs, like opendkim."
	FEAT_NOTE="signing only: BENCH_FEATURES=0"
fi
BEGIN='<!-- outbound bench: begin (bench/outbound.sh rewrites this section) -->'
END='<!-- outbound bench: end -->'
{
	echo "$BEGIN"
	cat <<EOF
## Outbound: signed mail, mailacd-milter vs opendkim

Throughput of signed outbound mail through Postfix with mailacd-milter
against Postfix with Debian's opendkim signing the same mail (what a user
would otherwise run), and with no milter (\`bench/outbound.sh\`). One
private Redis, capturing SMTP sink and Postfix (\`t/lib/harness.sh\`); both signers
use the same RSA-2048 key, relaxed/relaxed, and run for the whole run, only
Postfix's \`smtpd_milters\` changes between measurements. opendkim runs as
root in the foreground from \`/usr/sbin/opendkim\` with its own
configuration (\`Mode s\`, \`Domain example.com\`, \`Selector s1\`,
\`OversignHeaders From\` as in Debian's \`/etc/opendkim.conf\`,
\`InternalHosts 127.0.0.0/8\`, \`RequireSafeKeys no\`); mailacd-milter runs
the harness configuration, where \`support@example.com\` is a registered
address (direction both), \`example.com\` has a \`dkim\` group and
\`outbound.trusted_networks\` holds \`127.0.0.0/8\`, so it recognises the
sender, trusts the client, checks that the From is the sending address,
removes any \`X-MailACD-*\` header, signs and logs every message.
$FEAT_TEXT

smtp-source sends $N copies of one fixed message (\`From: Acme Support
<support@example.com>\`, To, Subject, Date, Message-ID, MIME headers, a
4 KiB body) from \`support@example.com\` to \`ana@customer.test\` over $S
parallel sessions, a connection each. Every configuration gets a warm-up of
$WARM messages; $ROUNDS rounds alternate the order (none, opendkim,
mailacd, then the reverse) so that background load falls on all alike, and
each number is the median over the rounds. "msg/s" is (N - 1) / the time
from the first to the last message the sink wrote; "wall/s" is N / the time
from starting smtp-source until the sink holds all N, as in the first
benchmark; "CPU us/msg" the milter process's own CPU time (user + system);
"signed" how many messages at the sink carry a DKIM-Signature (the lowest
over the rounds: every one must, or the comparison is void); "fwd" how many
carry mailacd's forwarding changes (MAIL FROM on the bounce domain, the copy
recipient in the same delivery, a Reply-To). One signed
message of each signer, as the bytes the capturing sink
(\`t/lib/smtp-capture.py\`) received, is verified with python3-dkim and
Mail::DKIM against the key's DNS record. Ratios matter, absolute numbers do
not: the box has two cores, shared by Postfix, smtp-source, the sink and
the milter.

### Command

\`\`\`sh
make bench          # all benchmarks; or, after make:
MAILACD_BUILD=\$PWD/build sh bench/outbound.sh    # --quick: a smoke run
\`\`\`

### Result ($DATE)

\`\`\`
EOF
	cat "$OUT/outbound.txt"
	echo '```'
	echo
	awk -F'[(:]' '/^mailacd\/opendkim/ { sub(/\).*/, "", $3); print $3; exit }' \
	    "$OUT/outbound.txt" >"$T_TMP/verdict"
	RATIO=$(awk '$1 == "mailacd/opendkim" { print $2; exit }' "$OUT/outbound.txt")
	cat <<EOF
Target (mailacd >= 1.0 x opendkim's throughput):
**$(sed 's/^ *//' "$T_TMP/verdict")**, mailacd/opendkim $RATIO on this run's medians.

Note: this measures the outbound path as it is at commit $COMMIT_SHORT
($FEAT_NOTE). Outbound features added later add work per message:
re-run this benchmark when they land and record the new table here.
EOF
	echo "$END"
} >"$T_TMP/section.md"
if grep -qF "$BEGIN" "$RES"; then
	awk -v b="$BEGIN" -v e="$END" -v f="$T_TMP/section.md" '
	$0 == b { while ((getline l < f) > 0) print l; skip = 1; next }
	$0 == e { skip = 0; next }
	!skip' "$RES" >"$T_TMP/RESULTS.md"
else
	{ cat "$RES"; echo; cat "$T_TMP/section.md"; } >"$T_TMP/RESULTS.md"
fi
cp "$T_TMP/RESULTS.md" "$RES"
echo "outbound bench: bench/RESULTS.md updated" >&2
