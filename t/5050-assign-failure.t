#!/bin/sh
# 5050-assign-failure.t - assignment survives the router's and Redis's
# failures: kill -9 of the router in the middle of a burst while agents take
# work, its own unacknowledged entries replayed, the whole stream delivered
# again, two routers on one burst with closes running at the same time, a
# Redis restart (with and without the function library).  At every moment
# looked at, no interaction is held by two agents or both held and waiting,
# no agent holds more than its capacity, no available agent below capacity
# idles while work it may take waits; in the end every interaction has been
# assigned exactly once (the assignments stream names each id once).
. "$(dirname "$0")/lib/harness.sh"
require_tools redis-server redis-cli
require_build mailacd-router

R=$MAILACD_BUILD/mailacd-router
P='mailacd:{acme}:'
S="${P}ingest"
SCHEMA="${P}schema"
N=400		# interactions in a burst
CAP=20		# the agents' capacities together
start_redis
MILTER_SOCKET=inet:1@127.0.0.1

# Four agents of queue support: two languages, so that an agent may take
# only part of the work (a1, a4: en; a3: de; a2: both).
AGENTS='{ id = "a1"; address = "a1@corp.example.com"; languages = [ "en" ];
	  capacity = 8; queues = [ "support" ]; },
	{ id = "a2"; address = "a2@corp.example.com"; languages = [ "en", "de" ];
	  capacity = 6; queues = [ "support" ]; },
	{ id = "a3"; address = "a3@corp.example.com"; languages = [ "de" ];
	  capacity = 4; queues = [ "support" ]; },
	{ id = "a4"; address = "a4@corp.example.com"; languages = [ "en" ];
	  capacity = 2; queues = [ "support", "billing" ]; }'

# conf FILE CONSUMER BATCH CLAIM_MS: the harness configuration with the
# agents, plus a router group
conf() {
	milter_conf "" "$AGENTS" >"$1"
	printf 'router = { consumer = "%s"; batch = %s; block_ms = 100; claim_idle_ms = %s; };\n' \
	    "$2" "$3" "$4" >>"$1"
}

# The burst script: KEYS stream [marker], ARGV N FROM: N interactions (ids
# FROM..FROM+N-1) into the ingest stream, even ids in English, odd ones in
# German; with a marker key, once only (a writer may retry it)
BURST='
if KEYS[2] and not redis.call("SET", KEYS[2], "1", "NX") then return "OK" end
for i = tonumber(ARGV[2]), tonumber(ARGV[2]) + tonumber(ARGV[1]) - 1 do
	redis.call("XADD", KEYS[1], "*", "v", "1",
	    "id", string.format("%032x", i), "org", "acme",
	    "queue", "support", "priority", tostring(i % 7),
	    "language", i % 2 == 0 and "en" or "de",
	    "arrived", tostring(1800000000000 + i), "subject", "n" .. i)
end
return "OK"'

# burst N FROM: all at once
burst() { rcli EVAL "$BURST" 1 "$S" "$1" "$2" >/dev/null; }

# feed FROM: $N interactions from FROM, 10 every 20 ms or so, by a writer in
# the background that retries while Redis is away (sets PID_feed); the
# burst lasts a second or more, whatever the routers' speed
FEED='
i=0
while [ $i -lt $(($5 / 10)) ]; do
	until redis-cli -h 127.0.0.1 -p "$1" --raw EVAL "$2" 2 "$3" \
	    "t:fed:$4:$i" 10 $(($4 + 10 * i)) 2>/dev/null | grep -qx OK; do
		sleep 0.05
	done
	i=$((i + 1))
	sleep 0.02
done'
feed() {
	spawn feed "$T_TMP/feed.log" sh -c "$FEED" feed "$REDIS_PORT" "$BURST" \
	    "$S" "$1" $N
	PID_feed=$SPAWNED_PID
}
fed() { t_not_alive "$PID_feed"; }
# feed_done: wait for the writer to finish
feed_done() {
	wait_for 30 fed
	t_reap "$PID_feed"
	t_forget "$PID_feed"
}

# router NAME CONF: start a router in the foreground, log to NAME.log
router() {
	spawn "$1" "$T_TMP/$1.log" "$R" -f -c "$2"
	eval "PID_$1=\$SPAWNED_PID"
}

# stop NAME: SIGTERM the router NAME
stop() {
	eval "_pid=\$PID_$1"
	kill_pid "$_pid"
	t_forget "$_pid"
}

# crash NAME: SIGKILL the router NAME
crash() {
	eval "_pid=\$PID_$1"
	kill -KILL "$_pid"
	wait_for 5 t_not_alive "$_pid"
	t_reap "$_pid"
	t_forget "$_pid"
}

roster_written() { [ "$(rcli SCARD "${P}agents")" = 4 ]; }
all_available() {
	for _a in a1 a2 a3 a4; do
		rcli FCALL mailacd_presence 1 "$SCHEMA" "$_a" available >/dev/null ||
		    return 1
	done
}
ix_count() { rcli EVAL 'return #redis.call("KEYS", KEYS[1] .. "ix:*")' 1 "$P"; }
pending() { rcli XPENDING "$S" routers | sed -n 1p; }
handled_over() { [ "$(ix_count)" -gt "$1" ]; }
# all_handled N: N interaction hashes and no entry unacknowledged
all_handled() { [ "$(ix_count)" = "$1" ] && [ "$(pending)" = 0 ]; }

# The state in one atomic look (a script): a summary line, then one line per
# broken rule (at most 8).  Rules: each interaction held by at most one
# agent, the one its hash names, and never held and waiting at once; a
# waiting one is in the queue and its bucket, nothing else is; no agent
# over capacity; an assigned interaction's language is its agent's; the
# assignments stream names a waiting interaction 0 times and an assigned or
# closed one exactly once, with the agent that holds it; no available agent
# below capacity while work in a language they speak waits.
CHECK='
local P, Q = KEYS[1], "support"
local bad = {}
local function problem(s) if #bad < 8 then bad[#bad + 1] = s end end
local function speaks(ag, l) return string.find(ag.langs, "," .. tostring(l) .. ",", 1, true) ~= nil end
local per, by, total, distinct = {}, {}, 0, 0
for _, e in ipairs(redis.call("XRANGE", P .. "assignments", "-", "+")) do
	local f, id, ag = e[2]
	for i = 1, #f, 2 do
		if f[i] == "id" then id = f[i + 1] elseif f[i] == "agent" then ag = f[i + 1] end
	end
	total = total + 1
	if per[id] == nil then distinct = distinct + 1 end
	per[id] = (per[id] or 0) + 1
	by[id] = ag
end
local owner, agents, held = {}, {}, 0
for _, a in ipairs(redis.call("SMEMBERS", P .. "agents")) do
	local h = redis.call("HMGET", P .. "agent:" .. a, "capacity", "languages", "presence")
	local ag = { id = a, cap = tonumber(h[1]), langs = "," .. (h[2] or "") .. ",", presence = h[3] }
	local ids = redis.call("SMEMBERS", P .. "agent:" .. a .. ":ix")
	ag.load = #ids
	held = held + #ids
	if ag.load > ag.cap then problem("agent " .. a .. " holds " .. ag.load .. ", capacity " .. ag.cap) end
	for _, id in ipairs(ids) do
		if owner[id] then problem(id .. " held by " .. owner[id] .. " and " .. a) end
		owner[id] = a
	end
	agents[a] = ag
end
local inq = {}
local members = redis.call("ZRANGE", P .. "queue:" .. Q, 0, -1)
for _, m in ipairs(members) do inq[string.sub(m, 17)] = m end
local st, seen, wl, n = { waiting = 0, assigned = 0, closed = 0 }, {}, {}, 0
for _, k in ipairs(redis.call("KEYS", P .. "ix:*")) do
	local id = string.sub(k, #P + 4)
	local h = redis.call("HMGET", k, "state", "agent", "language", "req")
	local s, c = h[1], per[id] or 0
	n = n + 1
	seen[id] = true
	st[s] = (st[s] or 0) + 1
	if s == "waiting" then
		if owner[id] then problem(id .. " waiting and held by " .. owner[id]) end
		if not inq[id] then problem(id .. " waiting, not in the queue")
		elseif not redis.call("ZSCORE", P .. "bucket:" .. Q .. ":" .. h[4], inq[id]) then
			problem(id .. " waiting, not in its bucket") end
		if c ~= 0 then problem(id .. " waiting, " .. c .. " times in the assignments stream") end
		wl[h[3]] = (wl[h[3]] or 0) + 1
	elseif s == "assigned" then
		if owner[id] ~= h[2] then problem(id .. " assigned to " .. tostring(h[2]) .. ", held by " .. tostring(owner[id])) end
		if inq[id] then problem(id .. " assigned and in the queue") end
		if c ~= 1 then problem(id .. " assigned, " .. c .. " times in the assignments stream")
		elseif by[id] ~= h[2] then problem(id .. " assigned to " .. tostring(h[2]) .. ", stream says " .. tostring(by[id])) end
		if agents[h[2]] and not speaks(agents[h[2]], h[3]) then problem(id .. " (" .. tostring(h[3]) .. ") assigned to " .. h[2]) end
	elseif s == "closed" then
		if owner[id] or inq[id] then problem(id .. " closed and still held or queued") end
		if c ~= 1 then problem(id .. " closed, " .. c .. " times in the assignments stream") end
	else
		problem(id .. " in state " .. tostring(s))
	end
end
for id, a in pairs(owner) do if not seen[id] then problem(a .. " holds " .. id .. ", which has no hash") end end
for id in pairs(inq) do if not seen[id] then problem(id .. " queued without a hash") end end
local bsum = 0
for _, b in ipairs(redis.call("HKEYS", P .. "buckets:" .. Q)) do
	bsum = bsum + redis.call("ZCARD", P .. "bucket:" .. Q .. ":" .. b)
end
if bsum ~= #members then problem("buckets hold " .. bsum .. ", the queue " .. #members) end
for a, ag in pairs(agents) do
	if ag.presence == "available" and ag.load < ag.cap then
		for l, cnt in pairs(wl) do
			if speaks(ag, l) then problem("agent " .. a .. " at " .. ag.load .. "/" .. ag.cap .. " while " .. cnt .. " " .. l .. " wait") end
		end
	end
end
local out = { string.format("ix=%d waiting=%d assigned=%d closed=%d held=%d queued=%d stream=%d distinct=%d",
	n, st.waiting, st.assigned, st.closed, held, #members, total, distinct) }
for _, b in ipairs(bad) do out[#out + 1] = b end
return out'

# snapshot: SNAP (summary line) and PROBLEMS (broken rules, "" if none)
snapshot() {
	_o=$(rcli EVAL "$CHECK" 1 "$P")
	SNAP=$(printf '%s\n' "$_o" | sed -n 1p)
	PROBLEMS=$(printf '%s\n' "$_o" | sed 1d)
}
# snap NAME: one number of the last snapshot's summary
snap() { printf '%s\n' "$SNAP" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# The ids every agent holds, and a pipeline of redis-cli closing them.
HELD='local out = {}
for _, a in ipairs(redis.call("SMEMBERS", KEYS[1] .. "agents")) do
	for _, id in ipairs(redis.call("SMEMBERS", KEYS[1] .. "agent:" .. a .. ":ix")) do
		out[#out + 1] = id
	end
end
return out'
CLOSER='
while :; do
	redis-cli -h 127.0.0.1 -p "$1" --raw EVAL "$2" 1 "$3" | grep . |
	    sed "s/^/FCALL mailacd_close 1 $3schema /; s/\$/ loop/" |
	    redis-cli -h 127.0.0.1 -p "$1" | grep -v "^{"
	[ -n "$4" ] && exit 0
	sleep 0.05
done'
# close_round: close what every agent holds now (freeing them to take more)
close_round() { sh -c "$CLOSER" closer "$REDIS_PORT" "$HELD" "$P" once; }

t0=$(now_ms)
conf "$T_TMP/r1.conf" r1 1 60000
ok "-n accepts the configuration with agents and a router group" \
    "$R" -n -c "$T_TMP/r1.conf"

# 1. kill -9 in the middle of a burst while agents take work; the
# restarted router replays its own unacknowledged entries
router r1 "$T_TMP/r1.conf"
ok "the router writes the roster" wait_for 10 roster_written
ok "all four agents made available" all_available
snapshot
is "$SNAP$PROBLEMS" "ix=0 waiting=0 assigned=0 closed=0 held=0 queued=0 stream=0 distinct=0" \
    "nothing assigned before the burst"
feed 1
wait_for 20 handled_over 60
crash r1
snapshot
note "killed at: $SNAP"
is "$PROBLEMS" "" "at the kill: nobody holds work twice or over capacity, no idle agent while work waits"
ok "the router was killed in the middle of the burst" t_alive "$PID_feed"
is "$(snap assigned)" $CAP "the agents took $CAP interactions before the kill"
feed_done
# what a router killed between its read and its scripts leaves: 30 entries
# read by r1, never queued
rcli XREADGROUP GROUP routers r1 COUNT 30 STREAMS "$S" '>' >/dev/null
cmp_ok "$(pending)" -ge 30 "r1 left at least 30 unacknowledged entries"
router r1 "$T_TMP/r1.conf"
ok "after the restart all $N are handled, nothing unacknowledged" \
    wait_for 15 all_handled $N
snapshot
is "$SNAP" "ix=$N waiting=$((N - CAP)) assigned=$CAP closed=0 held=$CAP queued=$((N - CAP)) stream=$CAP distinct=$CAP" \
    "$CAP assigned (the capacity), the other $((N - CAP)) waiting, each assigned once in the stream"
is "$PROBLEMS" "" "no interaction both assigned and waiting, none twice, nobody over capacity"
like "$(cat "$T_TMP/r1.log")" "recovered [0-9]+ unacknowledged entries" \
    "the restarted router replayed its own pending entries"

# 4. replays: the group delivers the whole stream again (XGROUP SETID 0):
# every entry is only acknowledged, nothing assigned again
rcli XGROUP SETID "$S" routers 0 >/dev/null
replayed() { [ "$(grep -c ': already queued; entry' "$T_TMP/r1.log")" -ge $N ]; }
ok "the router reads all $N entries again" wait_for 20 replayed
ok "and only acknowledges them" wait_for 10 all_handled $N
snapshot
is "$SNAP$PROBLEMS" "ix=$N waiting=$((N - CAP)) assigned=$CAP closed=0 held=$CAP queued=$((N - CAP)) stream=$CAP distinct=$CAP" \
    "after the replay: still $CAP assignments in the stream, the same state"

# closing everything, round by round: each close lets the agent take the
# next one; every interaction ends up assigned exactly once
# (at most 30 s, and no more than 3 rounds in a row that change nothing)
rounds=0
broken=
stuck=0
last=
end=$(( $(now_ms) + 30000 ))
while [ "$(now_ms)" -lt $end ] && [ $stuck -lt 3 ]; do
	snapshot
	[ -n "$PROBLEMS" ] && broken="$broken$PROBLEMS
"
	[ "$(snap held)" = 0 ] && break
	[ "$SNAP" = "$last" ] && stuck=$((stuck + 1)) || stuck=0
	last=$SNAP
	close_round >>"$T_TMP/closer.log" 2>&1
	rounds=$((rounds + 1))
done
note "$rounds close rounds: $SNAP"
is "$broken" "" "no rule broken at any of the $rounds close rounds"
is "$(snap stream) $(snap distinct)" "$N $N" \
    "the assignments stream names all $N interactions, each once"
is "$(snap closed) $(snap waiting) $(snap queued)" "$N 0 0" "all closed, nothing waiting"
is "$(cat "$T_TMP/closer.log")" "" "every close succeeded"
stop r1
rcli FLUSHALL >/dev/null
t1=$(now_ms)

# 2. two routers on one burst while a loop closes what agents hold
conf "$T_TMP/ra.conf" ra 10 60000
conf "$T_TMP/rb.conf" rb 10 60000
is "$(diff "$T_TMP/ra.conf" "$T_TMP/rb.conf" | grep -c '^[<>]')" 2 \
    "the two configurations differ in the consumer only"
router ra "$T_TMP/ra.conf"
router rb "$T_TMP/rb.conf"
wait_for 10 roster_written
ok "agents available under two routers" all_available
spawn closer "$T_TMP/closer2.log" sh -c "$CLOSER" closer "$REDIS_PORT" "$HELD" "$P"
PID_closer=$SPAWNED_PID
feed 1000
samples=0
busy=0
broken=
maxheld=0
finished() { [ "$(snap closed)" = $N ]; }
end=$(( $(now_ms) + 30000 ))
while [ "$(now_ms)" -lt $end ]; do
	snapshot
	samples=$((samples + 1))
	[ -n "$PROBLEMS" ] && broken="$broken$PROBLEMS
"
	[ "$(snap held)" -gt $maxheld ] && maxheld=$(snap held)
	finished && break
	busy=$((busy + 1))
	sleep 0.1
done
note "$samples samples, at most $maxheld held at once: $SNAP"
cmp_ok $busy -ge 3 "the state was sampled while routers and closes ran ($busy times)"
is "$broken" "" "at no sample an interaction held twice, an agent over capacity, an idle agent while work waits"
ok "every interaction was assigned and closed" finished
is "$(snap stream) $(snap distinct)" "$N $N" "each of the $N assigned exactly once"
is "$(pending)" 0 "no entry left unacknowledged"
feed_done
kill_pid "$PID_closer"
t_forget "$PID_closer"
a=$(grep -c ': queued ' "$T_TMP/ra.log")
b=$(grep -c ': queued ' "$T_TMP/rb.log")
is "$((a + b))" $N "the two routers queued each interaction once ($a + $b)"
is "$(grep -v '^{' "$T_TMP/closer2.log")" "" "every close succeeded"
stop ra
stop rb
rcli FLUSHALL >/dev/null
t2=$(now_ms)

# 3. Redis restarted (shutdown with save, as an outage) in the middle of a
# burst: nothing lost, the router comes back
conf "$T_TMP/r3.conf" r3 2 2000
router r3 "$T_TMP/r3.conf"
wait_for 10 roster_written
ok "agents available before the outage" all_available
feed 1
wait_for 20 handled_over 60
stop_redis
ok "Redis went down in the middle of the burst" t_alive "$PID_feed"
restart_redis
feed_done
ok "after the restart all $N are handled, nothing unacknowledged" \
    wait_for 15 all_handled $N
snapshot
is "$SNAP$PROBLEMS" "ix=$N waiting=$((N - CAP)) assigned=$CAP closed=0 held=$CAP queued=$((N - CAP)) stream=$CAP distinct=$CAP" \
    "every interaction queued or assigned once, agents still available, none over capacity"
log_has() { grep -Eq "$1" "$T_TMP/r3.log"; }
ok "the router logged the lost connection" log_has 'redis .*; reconnecting'
ok "and its return" wait_for 10 log_has 'redis .*: back'
after=$(sed -n '/; reconnecting/,$p' "$T_TMP/r3.log" | grep -c ': queued ')
cmp_ok "$after" -gt 0 "it queued entries after the restart ($after)"

# 3b. Redis comes back without the function library: the router loads it
# again, and work goes on
kill -STOP "$PID_r3"
rcli FUNCTION FLUSH >/dev/null
stop_redis
restart_redis
is "$(rcli FUNCTION LIST LIBRARYNAME mailacd)" "" "Redis came back without the library"
kill -CONT "$PID_r3"
burst 10 5000
ok "entries after a restart without the library are handled" \
    wait_for 15 all_handled $((N + 10))
like "$(rcli FUNCTION LIST LIBRARYNAME mailacd)" mailacd_ingest "the router loaded the library again"
like "$(rcli FCALL mailacd_close 1 "$SCHEMA" "$(rcli SMEMBERS "${P}agent:a1:ix" | sed 1q)" test)" \
    '"assigned":\[\{[^]]*"agent":"a1"' "closing one of a1's lets a1 take the next"
snapshot
is "$SNAP$PROBLEMS" "ix=$((N + 10)) waiting=$((N + 10 - CAP - 1)) assigned=$CAP closed=1 held=$CAP queued=$((N + 10 - CAP - 1)) stream=$((CAP + 1)) distinct=$((CAP + 1))" \
    "the state is whole after the second restart"
stop r3
t3=$(now_ms)
note "timings: kill -9 $((t1 - t0)) ms, two routers $((t2 - t1)) ms, Redis restarts $((t3 - t2)) ms"
logs_clean "no sanitizer report in the router logs" "$T_TMP"/r*.log
done_testing
