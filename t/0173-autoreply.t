#!/bin/sh
# 0173-autoreply.t - RFC 3834's rules for acknowledgements: the decision
# (t/unit/autoreply_test.c: Auto-Submitted, Precedence, List-*, bounces,
# our own addresses, no-reply senders, Reply-To over From), then the
# function library against a private Redis whose clock the test sets: one
# acknowledgement per customer per ack_period, none for a replay or a
# follow-up, the reason recorded when none may go, the expected wait
# from the last 24 hours of the queue's statistics.
. "$(dirname "$0")/lib/harness.sh"
require_build
require_tools redis-server redis-cli

# the unit tests, renumbered into this file's plan
"$MAILACD_BUILD/t/autoreply_test" >"$T_TMP/unit.out" 2>&1
while IFS= read -r l; do
	case $l in
	"ok "*) pass "${l#ok * - }" ;;
	"not ok "*) fail "${l#not ok * - }" ;;
	"#"*) echo "$l" ;;
	esac
done <"$T_TMP/unit.out"
cmp_ok "$(grep -c '^ok ' "$T_TMP/unit.out")" -ge 70 \
    "the unit tests ran ($(grep -c '^ok ' "$T_TMP/unit.out") assertions)"

start_redis_clock || bail_out "cannot start redis-server"
LIB=$MAILACD_BUILD/common/mailacd.lua
[ -r "$LIB" ] || bail_out "$LIB not built"
like "$(rcli -x FUNCTION LOAD REPLACE <"$LIB")" "^mailacd$" "the library loads"
P='mailacd:{acme}:'
T0=1764842400000	# 2025-12-04 10:00 UTC
redis_clock "$T0"

# the queue's answers: 1 min this hour, 3 min 23 hours ago (both count),
# 30 hours ago a very long one (does not)
hr() { date -u -d "@$(( ($T0 - $1 * 3600000) / 1000 ))" +%Y-%m-%dT%H; }
rcli HSET "${P}stats:support:$(hr 0)" wait_ms 60000 answered 1 >/dev/null
rcli HSET "${P}stats:support:$(hr 23)" wait_ms 180000 answered 1 >/dev/null
rcli HSET "${P}stats:support:$(hr 30)" wait_ms 99999999 answered 1 >/dev/null

N=0
# ingest ID TO [FIELD VALUE...]: one new interaction's entry with an
# acknowledgement for TO (the fields the router adds); prints the reply
ingest() {
	_id=$1 _to=$2
	shift 2
	N=$((N + 1))
	rcli FCALL mailacd_ingest 4 "${P}schema" "${P}ix:$_id" "${P}queue:support" \
	    "${P}ingest" routers "${ENTRY:-1-$N}" "" "" "$T0" v 1 id "$_id" org acme \
	    queue support priority 0 arrived "$T0" address support@example.com \
	    subject "question $N" message_id "<m$N@customer.example>" \
	    ack_response received ack_to "$_to" ack_name "Ana" ack_period 3600 "$@"
}
id() { printf '%032x' "$1"; }
job() { rcli HGET "${P}out:$1" "$2"; }
events() { rcli LRANGE "${P}timeline:$1" 0 -1; }

ingest "$(id 1)" ana@customer.example >/dev/null
is "$(job "$(id 1)" state)" queued "a new interaction's acknowledgement is queued"
is "$(job "$(id 1)" to)/$(job "$(id 1)" kind)/$(job "$(id 1)" response)" \
    "ana@customer.example/ack/received" "to the customer, the response named"
is "$(job "$(id 1)" in_reply_to)" "<m1@customer.example>" \
    "threaded to the customer's message"
is "$(job "$(id 1)" wait)" 120 \
    "the expected wait: the average of the last 24 hours (120 s)"
is "$(rcli XLEN "${P}outbox")" 1 "one job on the outbox"
like "$(events "$(id 1)")" '"event":"ack_queued"' "the timeline says so"
TTL=$(rcli TTL "${P}acked:$(printf '%s' ana@customer.example | sha1sum | cut -c1-40)")
ok "the customer's period key lives ack_period ($TTL s)" \
    test "$TTL" -gt 3500 -a "$TTL" -le 3600

# the same entry again: a replay
ENTRY=1-1
ingest "$(id 1)" ana@customer.example >/dev/null
ENTRY=
is "$(rcli XLEN "${P}outbox")" 1 "a replayed entry queues nothing more"
# a follow-up of the same interaction (a later entry)
ingest "$(id 1)" ana@customer.example >/dev/null
is "$(rcli XLEN "${P}outbox")" 1 "a follow-up queues nothing"

redis_clock $((T0 + 600000))
ingest "$(id 2)" ANA@Customer.Example >/dev/null
is "$(job "$(id 2)" state)" "" \
    "the same customer (other case) 10 minutes later: none"
like "$(events "$(id 2)")" '"reason":"acknowledged within the period"' \
    "the timeline says why"
like "$(events "$(id 2)")" "\"previous\":\"$(id 1)\"" \
    "and names the interaction that had it"
ingest "$(id 3)" bob@customer.example >/dev/null
is "$(job "$(id 3)" state)" queued "another customer meanwhile: queued"
ingest "$(id 4)" "" ack_skip "auto-submitted" >/dev/null
is "$(job "$(id 4)" state)" "" "a message RFC 3834 forbids answering: none"
like "$(events "$(id 4)")" '"event":"ack_skipped".*"reason":"auto-submitted"' \
    "the reason is on the timeline"

redis_clock $((T0 + 3601000))
ingest "$(id 5)" ana@customer.example >/dev/null
is "$(job "$(id 5)" state)" queued "after ack_period the customer gets one again"
is "$(job "$(id 5)" wait)" 60 \
    "an hour later the answer of 23 hours before has left the window (60 s)"
ingest "$(id 6)" cid@customer.example ack_period 0 >/dev/null
ingest "$(id 7)" cid@customer.example ack_period 0 >/dev/null
is "$(job "$(id 6)" state)/$(job "$(id 7)" state)" queued/queued \
    "ack_period 0: every new interaction is acknowledged"
ingest "$(id 8)" dan@customer.example stopped 1 >/dev/null
is "$(job "$(id 8)" state)" "" "a message a flow stopped (spam): none"
# -n warns about an acknowledgement from an address that does not send
cat >"$T_TMP/ack.conf" <<EOF
milter = { socket = "inet:8891@127.0.0.1"; };
organizations = ( { id = "acme"; queues = ( { name = "support"; } );
  responses = ( { name = "thanks"; subject = "Thanks"; text = "/dev/null"; } );
  domains = ( { name = "example.com"; addresses = (
    { address = "in@example.com"; queue = "support"; ack = "thanks";
      direction = "inbound"; },
    { address = "both@example.com"; queue = "support"; ack = "thanks"; }
  ); } ); } );
EOF
OUT=$("$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/ack.conf" 2>&1)
is "$?" 0 "an ack on an inbound-only address is a warning, not an error"
like "$OUT" 'ack\.conf:5: .*addresses\[in@example\.com\]\.ack: warning: in@example\.com does not send' \
    "  naming the file, line and setting"
unlike "$OUT" "both@example" "  and not about an address that sends"
done_testing
