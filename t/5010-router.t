#!/bin/sh
# 5010-router.t - mailacd-router takes the milter's hand-off into queues:
# seed ordering, duplicates, dead letters, kill -9 in the middle of a burst,
# a dead consumer's entries taken over, two routers on one burst, a Redis
# restart.  Every interaction is queued exactly once.
. "$(dirname "$0")/lib/harness.sh"
require_tools redis-server redis-cli
require_build mailacd-router

R=$MAILACD_BUILD/mailacd-router
S='mailacd:{acme}:ingest'
Q='mailacd:{acme}:queue:support'
start_redis
MILTER_SOCKET=inet:1@127.0.0.1

# conf FILE CONSUMER BATCH CLAIM_MS: the harness configuration plus router
conf() {
	milter_conf >"$1"
	printf 'router = { consumer = "%s"; batch = %s; block_ms = 200; claim_idle_ms = %s; };\n' \
	    "$2" "$3" "$4" >>"$1"
}

# burst N FROM: N interactions (ids FROM..FROM+N-1) into the ingest stream
burst() {
	rcli EVAL '
		for i = tonumber(ARGV[2]), tonumber(ARGV[2]) + tonumber(ARGV[1]) - 1 do
			redis.call("XADD", KEYS[1], "*", "v", "1",
			    "id", string.format("%032x", i), "org", "acme",
			    "queue", "support", "priority", tostring(i % 7),
			    "arrived", tostring(1800000000000 + i), "subject", "n" .. i)
		end
		return 1' 1 "$S" "$1" "$2" >/dev/null
}

# router NAME CONF: start a router in the foreground, log to NAME.log
router() {
	spawn "$1" "$T_TMP/$1.log" "$R" -f -c "$2"
	eval "PID_$1=\$SPAWNED_PID"
}

queued() { rcli ZCARD "$Q"; }
pending() { rcli XPENDING "$S" routers | sed -n 1p; }
ix_count() {
	rcli EVAL 'return #redis.call("KEYS", "mailacd:{acme}:ix:*")' 0
}
has_queued() { [ "$(queued)" = "$1" ]; }

conf "$T_TMP/r1.conf" r1 100 60000
ok "-n checks the configuration" "$R" -n -c "$T_TMP/r1.conf"

# 1. the seed example on the real path, equal ranks by arrival
now=$(( $(date +%s) * 1000 ))
rcli XADD "$S" '*' v 1 id bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb org acme queue support \
    priority 10 arrived $((now - 360000)) >/dev/null
rcli XADD "$S" '*' v 1 id aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa org acme queue support \
    priority 20 arrived $((now - 240000)) >/dev/null
rcli XADD "$S" '*' v 1 id cccccccccccccccccccccccccccccccc org acme queue support \
    priority 1 arrived $((now - 60000)) >/dev/null
rcli XADD "$S" '*' v 1 id dddddddddddddddddddddddddddddddd org acme queue support \
    priority 0 arrived $((now - 120000)) >/dev/null
rcli XADD "$S" '*' v 1 id aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa org acme queue support \
    priority 20 arrived $((now - 240000)) >/dev/null
rcli XADD "$S" '*' v 1 id nonsense org acme queue support priority 1 arrived 1 >/dev/null
router r1 "$T_TMP/r1.conf"
ok "the router queues the entries" wait_for 10 has_queued 4
order=$(rcli ZRANGE "$Q" 0 -1 | cut -c17-17 | tr -d '\n')
is "$order" abdc "seed order: 4 min at 20 (a) before 6 min at 10 (b); equal ranks (c, d): the earlier arrival first"
is "$(rcli HGET 'mailacd:{acme}:ix:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' state)" waiting \
    "the interaction hash says waiting"
is "$(rcli HGET 'mailacd:{acme}:ix:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' rank)" \
    "$((now - 240000 - 20 * 60000))" "rank = arrived - 60000 x priority"
is "$(rcli XLEN 'mailacd:{acme}:dead')" 1 "the malformed entry is dead-lettered"
like "$(rcli XRANGE 'mailacd:{acme}:dead' - + | tr '\n' ' ')" \
    "reason no valid interaction id .* id nonsense" "with its reason and its fields"
is "$(pending)" 0 "every entry acknowledged"
like "$(cat "$T_TMP/r1.log")" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: follow-up in entry" \
    "a second entry with the same id is a follow-up of the interaction"
is "$(rcli HGET 'mailacd:{acme}:ix:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' followups)" 1 \
    "counted on the interaction, which keeps its place in the queue"
kill_pid "$PID_r1"
t_forget "$PID_r1"
rcli FLUSHALL >/dev/null

# 2. kill -9 in the middle of a burst; the restarted router finishes it
conf "$T_TMP/slow.conf" r1 1 60000
burst 400 1
router r1 "$T_TMP/slow.conf"
wait_for 10 sh -c "[ \$(redis-cli -p $REDIS_PORT ZCARD '$Q') -gt 20 ]"
kill -KILL "$PID_r1"
t_reap "$PID_r1"
t_forget "$PID_r1"
note "killed with $(queued) of 400 queued"
router r1 "$T_TMP/slow.conf"
ok "after kill -9 and a restart all 400 are queued" wait_for 30 has_queued 400
is "$(ix_count)" 400 "exactly 400 interaction hashes (nothing twice)"
is "$(pending)" 0 "no entry left unacknowledged"
kill_pid "$PID_r1"
t_forget "$PID_r1"
rcli FLUSHALL >/dev/null

# 3. a consumer that read entries and died: another router takes them over
conf "$T_TMP/r2.conf" r2 50 1000
burst 120 1000
rcli XGROUP CREATE "$S" routers 0 MKSTREAM >/dev/null 2>&1
rcli XREADGROUP GROUP routers ghost COUNT 50 STREAMS "$S" '>' >/dev/null
is "$(pending)" 50 "a dead consumer holds 50 unacknowledged entries"
router r2 "$T_TMP/r2.conf"
ok "the other 70 are queued at once, the 50 after claim_idle_ms" \
    wait_for 20 has_queued 120
is "$(pending)" 0 "nothing left pending at the dead consumer"
kill_pid "$PID_r2"
t_forget "$PID_r2"
rcli FLUSHALL >/dev/null

# 3b. an entry Redis keeps refusing (its queue key holds a string): it does
# not block the others, is tried INGEST_TRIES (5) times, then dead-lettered;
# nothing is half written
rcli SET 'mailacd:{acme}:queue:poison' oops >/dev/null
rcli XADD "$S" '*' v 1 id eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee org acme queue poison \
    priority 1 arrived 1800000000000 >/dev/null
burst 5 2000
router r2 "$T_TMP/r2.conf"
ok "the entries behind the refused one are queued" wait_for 10 has_queued 5
dead_has() { [ "$(rcli XLEN 'mailacd:{acme}:dead')" = 1 ]; }
ok "the refused entry is dead-lettered after 5 attempts" wait_for 20 dead_has
like "$(rcli XRANGE 'mailacd:{acme}:dead' - + | tr '\n' ' ')" \
    "reason refused 5 times: WRONGTYPE .* id eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" \
    "with the number of attempts and Redis's error"
is "$(rcli EXISTS 'mailacd:{acme}:ix:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee')" 0 \
    "no interaction hash was half written"
is "$(pending)" 0 "nothing left pending"
n=$(grep -c 'not queued (attempt' "$T_TMP/r2.log")
ok "each attempt logged once, no busy loop ($n lines)" test "$n" -ge 4 -a "$n" -le 6
kill_pid "$PID_r2"
t_forget "$PID_r2"
rcli FLUSHALL >/dev/null

# 4. two routers on one burst: each interaction queued once
conf "$T_TMP/a.conf" ra 10 60000
conf "$T_TMP/b.conf" rb 10 60000
router ra "$T_TMP/a.conf"
router rb "$T_TMP/b.conf"
sleep 0.5
burst 1000 5000
ok "two routers queue a burst of 1000" wait_for 30 has_queued 1000
is "$(ix_count)" 1000 "1000 interaction hashes, none twice"
is "$(pending)" 0 "everything acknowledged"
a=$(grep -c ': queued ' "$T_TMP/ra.log")
b=$(grep -c ': queued ' "$T_TMP/rb.log")
is "$((a + b))" 1000 "the two logs together queued each one once ($a + $b)"

# 5. Redis restarted under the routers: they come back
stop_redis
restart_redis
burst 10 9000
ok "after a Redis restart new entries are queued again" wait_for 30 has_queued 1010
like "$(cat "$T_TMP/ra.log" "$T_TMP/rb.log")" "back" "the routers logged the outage and the return"

# 6. the function library flushed from Redis: loaded again, nothing
# dead-lettered
rcli FUNCTION FLUSH >/dev/null
burst 10 9500
ok "after FUNCTION FLUSH new entries are queued again" wait_for 30 has_queued 1020
like "$(cat "$T_TMP/ra.log" "$T_TMP/rb.log")" "function library was missing in Redis; loaded it again" \
    "the router says why it reloaded"
is "$(rcli XLEN 'mailacd:{acme}:dead')" 0 "no entry dead-lettered for it"
kill_pid "$PID_ra"
kill_pid "$PID_rb"
t_forget "$PID_ra"
t_forget "$PID_rb"
logs_clean "no sanitizer report in the router logs" "$T_TMP"/r*.log
done_testing
