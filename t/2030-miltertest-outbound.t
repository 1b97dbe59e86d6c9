#!/bin/sh
# 2030-miltertest-outbound.t - the outbound trust rules through miltertest:
# a trusted network, SMTP AUTH, a trusted MTA service name, and an
# untrusted client (not signed), with and without no_reply_steps.
. "$(dirname "$0")/lib/harness.sh"
require_tools miltertest redis-server redis-cli openssl
require_build mailacd-milter

start_redis
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T_TMP/dkim.key" 2>/dev/null
chmod 600 "$T_TMP/dkim.key"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
milter_conf '{ address = "in@example.com"; queue = "support"; direction = "inbound"; },' \
    '{ id = "a7"; address = "a7@corp.example"; queues = [ "support" ]; login = "agent7"; }' \
    "" "dkim = { selector = \"s1\"; key_file = \"$T_TMP/dkim.key\"; };" \
    'outbound = { trusted_networks = [ "10.9.0.0/16" ]; trusted_daemons = [ "ORIGINATING" ];
	trusted_logins = [ "crm-service" ]; };' \
    >"$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf"
mt_run outbound.lua
like "$(cat "$MILTER_LOG")" "QO2: outbound from support@example.com \\(trusted: authenticated agent\\) signed" \
    "logged: trusted because an agent of the queue authenticated"
like "$(cat "$MILTER_LOG")" "QO2d: outbound from billing@example.com \\(trusted: authenticated\\) signed" \
    "logged: trusted because of a trusted login"
like "$(cat "$MILTER_LOG")" "sender <billing@example.com> is billing@example.com but the client is not trusted" \
    "logged: the agent's login outside its queues"
like "$(cat "$MILTER_LOG")" "QO3: outbound from support@example.com \\(trusted: daemon ORIGINATING\\) signed" \
    "logged: trusted because of the service name"
like "$(cat "$MILTER_LOG")" "QO4: sender <support@example.com> is support@example.com but the client is not trusted" \
    "logged: the untrusted client"
NR=0 mt_run outbound.lua
is "$(rcli XLEN 'mailacd:{acme}:ingest')" 1 \
    "outbound mail and trusted resent copies made no interaction; the untrusted copy one (reused on the second run)"
like "$(cat "$MILTER_LOG")" "QR1: resent copy for an agent \\(X-MailACD-Delivery\\) from a trusted client: passed untouched" \
    "logged: the trusted resent copy"
stop_redis
MT_REDIS=down mt_run outbound.lua
like "$(cat "$MILTER_LOG")" "QO7: redis .*: cannot look up the interaction answered: .*; tempfail" \
    "the milter says why it tempfailed the reply"
milter_log_clean
done_testing
