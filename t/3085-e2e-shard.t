#!/bin/sh
# 3085-e2e-shard.t - two organisations on two private Redis servers
# (organizations.redis) through one private Postfix and one
# mailacd-milter: each organisation's mail lands in its own Redis and
# nowhere else; with one Redis stopped only that organisation's mail is
# tempfailed while the other's is accepted, and the deferred mail is
# handed off once its Redis is back; a router that serves one organisation
# (router.organizations) leaves the other's alone, and one router serving
# both consumes both Redis servers' streams; mailacdctl reads each.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix smtp-sink swaks ss
require_build mailacd-milter
require_build mailacd-router
require_build mailacdctl

start_redis_at redis-a || bail_out "cannot start the first redis-server"
A_PORT=$REDIS_PORT A_PID=$REDIS_PID
start_redis_at redis-b || bail_out "cannot start the second redis-server"
B_PORT=$REDIS_PORT B_PID=$REDIS_PID
start_sink || bail_out "cannot start smtp-sink"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK

# conf ROUTER_LINE: the configuration, acme on the top-level redis, beta
# on its own
conf() {
	cat <<CONF
redis = { host = "127.0.0.1"; port = $A_PORT; command_timeout_ms = 1000; };
milter = { socket = "$MILTER_SOCKET"; on_redis_failure = "tempfail"; };
router = { block_ms = 200; $1 };
organizations = (
	{ id = "acme";
	  queues = ( { name = "support"; } );
	  domains = ( { name = "example.com";
		addresses = ( { address = "support@example.com"; queue = "support"; } ); } ); },
	{ id = "beta";
	  redis = { host = "127.0.0.1"; port = $B_PORT; command_timeout_ms = 1000; };
	  queues = ( { name = "support"; } );
	  domains = ( { name = "beta.test";
		addresses = ( { address = "help@beta.test"; queue = "support"; } ); } ); }
);
CONF
}
conf "dataset_file = \"$T_TMP/router.dataset\";" >"$T_TMP/mailacd.conf"
conf 'organizations = [ "acme" ];' >"$T_TMP/router-acme.conf"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
note "redis a :$A_PORT  redis b :$B_PORT  smtpd :$SMTP_PORT"

ra() { redis-cli -h 127.0.0.1 -p "$A_PORT" --raw "$@"; }
rb() { redis-cli -h 127.0.0.1 -p "$B_PORT" --raw "$@"; }
RUN=$$.$(date +%s)

# mail N TO: message N to TO
mail() {
	printf 'From: Customer <c%s@customer.test>\nTo: %s\nSubject: shard %s\nDate: %s\nMessage-ID: <shard-%s.%s@customer.test>\n\nHello.\n' \
	    "$1" "$2" "$1" "$(date -R)" "$1" "$RUN" >"$T_TMP/m$1.eml"
	send_mail "$T_TMP/m$1.eml" "c$1@customer.test" "$2"
}

# resend N TO: message N again, unchanged (the MTA's retry)
resend() {
	send_mail "$T_TMP/m$1.eml" "c$1@customer.test" "$2"
}

# 1. Each organisation's hand-off goes to its own Redis.
mail 1 support@example.com
is "$?" 0 "acme's message accepted"
mail 2 help@beta.test
is "$?" 0 "beta's message accepted"
ok "both reached the sink" wait_sink 2 20
is "$(ra XLEN 'mailacd:{acme}:ingest')" 1 "acme's hand-off is in acme's Redis"
is "$(rb XLEN 'mailacd:{beta}:ingest')" 1 "beta's hand-off is in beta's Redis"
is "$(ra EXISTS 'mailacd:{beta}:ingest')" 0 "nothing of beta's in acme's Redis"
is "$(rb EXISTS 'mailacd:{acme}:ingest')" 0 "nothing of acme's in beta's Redis"
is "$(rb --scan --pattern '*' | grep -vc '{beta}')" 0 \
    "every key in beta's Redis is under beta's hash tag"

# 2. A message to both organisations is handed off to both.
mail 3 "support@example.com,help@beta.test"
is "$?" 0 "a message to both organisations is accepted"
is "$(ra XLEN 'mailacd:{acme}:ingest')" 2 "  its acme part in acme's Redis"
is "$(rb XLEN 'mailacd:{beta}:ingest')" 2 "  its beta part in beta's Redis"

# 3. beta's Redis stopped: beta's mail is tempfailed, acme's accepted.
REDIS_PORT=$B_PORT REDIS_PID=$B_PID
stop_redis
ok "beta's Redis is down" t_port_free "$B_PORT"
mail 4 help@beta.test
isnt "$?" 0 "beta's Redis down: beta's message is refused for now"
like "$(swaks_final_reply)" '^451 4\.3\.0 ' "  with 451 4.3.0"
mail 5 support@example.com
is "$?" 0 "beta's Redis down: acme's message is accepted"
is "$(ra XLEN 'mailacd:{acme}:ingest')" 3 "  and handed off to acme's Redis"
mail 6 "support@example.com,help@beta.test"
like "$(swaks_final_reply)" '^451 4\.3\.0 ' \
    "a message to both organisations is tempfailed while one Redis is down"
like "$(grep 'hand-off failed' "$MILTER_LOG" | tail -n 1)" \
    "redis 127\.0\.0\.1:$B_PORT: hand-off failed" \
    "the milter's log names beta's Redis"

# 4. beta's Redis back: the deferred mail is handed off, once each.
restart_redis_at redis-b || bail_out "cannot restart beta's redis-server"
B_PID=$REDIS_PID
resend 4 help@beta.test
is "$?" 0 "beta's Redis back: the retried message is accepted"
resend 6 "support@example.com,help@beta.test"
is "$?" 0 "beta's Redis back: the retried message to both is accepted"
is "$(rb XLEN 'mailacd:{beta}:ingest')" 4 "beta's Redis holds 4 hand-offs"
is "$(ra XLEN 'mailacd:{acme}:ingest')" 4 \
    "acme's Redis holds 4 (the retry of message 6 reused its acme part)"
ID6A=$(ra XREVRANGE 'mailacd:{acme}:ingest' + - COUNT 1 | sed -n '/^id$/{n;p;}')
like "$ID6A" '^[0-9a-f]{32}$' "message 6's acme interaction has an id"
like "$(grep 'already recorded' "$MILTER_LOG")" '1 of 2 interactions were already recorded' \
    "the milter reused the part recorded before the tempfail"

# 5. A router serving acme only (router.organizations) leaves beta alone.
spawn router_a "$T_TMP/router-a.log" "$MAILACD_BUILD/mailacd-router" -f \
    -c "$T_TMP/router-acme.conf"
queued() { [ "$("$@" ZCARD "$QKEY")" = "$WANT" ]; }
QKEY='mailacd:{acme}:queue:support' WANT=4
ok "the acme router queues acme's four interactions" wait_for 20 queued ra
sleep 1
is "$(rb EXISTS 'mailacd:{beta}:queue:support')" 0 \
    "beta's interactions are not queued by the acme router"
is "$(rb XINFO GROUPS 'mailacd:{beta}:ingest' | grep -c routers)" 0 \
    "the acme router made no consumer group in beta's Redis"
like "$(cat "$T_TMP/router-a.log")" "redis 127\.0\.0\.1:$A_PORT" \
    "the acme router talks to acme's Redis"

# 6. A router serving every organisation consumes both Redis servers.
kill_pid "$(cat "$T_TMP/pids/router_a")"
spawn router_all "$T_TMP/router-all.log" "$MAILACD_BUILD/mailacd-router" -f \
    -c "$T_TMP/mailacd.conf"
QKEY='mailacd:{beta}:queue:support' WANT=4
ok "a router for both queues beta's four interactions" wait_for 20 queued rb
is "$(ra ZCARD 'mailacd:{acme}:queue:support')" 4 "acme's queue unchanged"
like "$(cat "$T_TMP/router-all.log")" "redis 127\.0\.0\.1:$B_PORT: serving 1 organisation" \
    "  it serves beta on beta's Redis"
like "$(cat "$T_TMP/router-all.log")" "redis 127\.0\.0\.1:$A_PORT: serving 1 organisation" \
    "  and acme on acme's"
both_kept() { [ "$(grep -cE '^(acme|beta) [0-9a-f]{32}$' "$T_TMP/router.dataset" 2>/dev/null)" = 2 ]; }
ok "  both groups keep their marker in one router.dataset_file" wait_for 10 both_kept
mail 7 help@beta.test
QKEY='mailacd:{beta}:queue:support' WANT=5
ok "  a new message for beta is queued by it" wait_for 20 queued rb
# beta's Redis down: acme's side of the router goes on
REDIS_PORT=$B_PORT REDIS_PID=$B_PID
stop_redis
mail 8 support@example.com
QKEY='mailacd:{acme}:queue:support' WANT=5
ok "beta's Redis down: the router still queues acme's new message" \
    wait_for 20 queued ra
restart_redis_at redis-b || bail_out "cannot restart beta's redis-server"
B_PID=$REDIS_PID
mail 9 help@beta.test
QKEY='mailacd:{beta}:queue:support' WANT=6
ok "beta's Redis back: the router queues beta's again" wait_for 30 queued rb

# a reload starts each group's loop again
kill -HUP "$(cat "$T_TMP/pids/router_all")"
reloaded() { [ "$(grep -c 'serving 1 organisation' "$T_TMP/router-all.log")" -ge 4 ]; }
ok "SIGHUP: the router serves both groups again" wait_for 20 reloaded
like "$(cat "$T_TMP/router-all.log")" 'configuration reloaded' "  and says it reloaded"
mail 10 help@beta.test
QKEY='mailacd:{beta}:queue:support' WANT=7
ok "  beta's mail is queued after the reload" wait_for 20 queued rb

# 7. mailacdctl talks to each organisation's Redis.
OUT=$("$MAILACD_BUILD/mailacdctl" -c "$T_TMP/mailacd.conf" -o beta queues 2>&1)
like "$OUT" 'support +7' "mailacdctl -o beta queues reads beta's Redis"
OUT=$("$MAILACD_BUILD/mailacdctl" -c "$T_TMP/mailacd.conf" -o acme queues 2>&1)
like "$OUT" 'support +5' "mailacdctl -o acme queues reads acme's Redis"
OUT=$("$MAILACD_BUILD/mailacdctl" -c "$T_TMP/mailacd.conf" interaction show "$ID6A" 2>&1)
like "$OUT" "$ID6A" "mailacdctl interaction show finds acme's interaction"
OUT=$("$MAILACD_BUILD/mailacdctl" -c "$T_TMP/mailacd.conf" queues 2>&1)
is "$(printf '%s\n' "$OUT" | grep -cE 'support +(5|7) ')" 2 \
    "mailacdctl queues without -o reads both Redis servers"

OUT=$("$MAILACD_BUILD/mailacdctl" -c "$T_TMP/mailacd.conf" check 2>&1)
like "$OUT" "redis 127\.0\.0\.1:$A_PORT: persistence" "mailacdctl check: acme's Redis"
like "$OUT" "redis 127\.0\.0\.1:$B_PORT: persistence" "  and beta's"
OUT=$("$MAILACD_BUILD/mailacdctl" -c "$T_TMP/mailacd.conf" status 2>&1)
like "$OUT" "redis +127\.0\.0\.1:$B_PORT" "mailacdctl status names each organisation's Redis"

logs_clean "no sanitizer report in the routers' logs" "$T_TMP/router-a.log" \
    "$T_TMP/router-all.log"
milter_log_clean
done_testing
