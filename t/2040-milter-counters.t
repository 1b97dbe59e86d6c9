#!/bin/sh
# 2040-milter-counters.t - what mailacd-milter counts in the organisation's
# counters hash (mailacd:{ORG}:counters, which the router's metrics serve):
# interactions handed off (not an MTA's retry), senders over the hourly
# limit, mail loops, outbound signed and refused, and temporary failures,
# including those made while Redis was down, added once it is back and
# not twice; what is still uncounted when the milter stops is added then.
. "$(dirname "$0")/lib/harness.sh"
require_tools miltertest redis-server redis-cli openssl
require_build mailacd-milter

C='mailacd:{acme}:counters'
start_redis
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T_TMP/dkim.key" 2>/dev/null
chmod 600 "$T_TMP/dkim.key"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
MILTER_SENDER_RATE_LIMIT=2 milter_conf "" "" "" \
    "dkim = { selector = \"s1\"; key_file = \"$T_TMP/dkim.key\"; };" \
    'outbound = { trusted_networks = [ "10.9.0.0/16" ]; };' \
    >"$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf"

# counted FIELD: the field of the counters hash, 0 when missing
counted() { _v=$(rcli HGET "$C" "$1"); echo "${_v:-0}"; }
# has FIELD N: the field holds N
has() { [ "$(counted "$1")" = "$2" ]; }

mt_run counters.lua
is "$(counted handed_off)" 2 \
    "handed_off 2: QC1 and QC3, counted in the hand-off (not the retry, the loop or the one over the limit)"
is "$(counted rate_limited)" 1 "rate_limited 1: QC4, in the hand-off"
ok "loops 1: QC2, added within a few seconds" wait_for 5 has loops 1
ok "outbound_signed 1: QO1" wait_for 5 has outbound_signed 1
ok "outbound_refused 1: QO2" wait_for 5 has outbound_refused 1
like "$(cat "$MILTER_LOG")" "QO2: outbound from support@example.com refused" \
    "the milter logged the refusal it counted"
is "$(counted tempfailed)" 0 "nothing tempfailed yet"
is "$(stream_len acme)" 2 "the stream holds the two interactions counted"

# Redis down: the temporary failure is counted in the milter and added
# when Redis is back (stop_redis saves the data: an outage, not a wipe)
stop_redis
mt_run redis-down.lua
sleep 2
restart_redis
ok "tempfailed 1 once Redis is back" wait_for 10 has tempfailed 1
sleep 2
is "$(counted tempfailed)" 1 "and added once, not at every flush"
is "$(counted loops)$(counted outbound_signed)$(counted outbound_refused)" 111 \
    "the other counts unchanged by the outage"

# what the milter counted just before it stops is added as it stops
mt_run counters.lua
stop_milter
is "$(counted outbound_refused)" 2 "the last refusal counted by the time the milter has stopped"
is "$(counted outbound_signed)" 2 "and the last signature"
is "$(counted handed_off)" 2 "the second run's messages were retries: handed_off stays 2"
unlike "$(cat "$MILTER_LOG")" "counts not added" "no count was lost at the stop"
milter_log_clean
done_testing
