#!lua name=mailacd
--[[
mailacd.lua - the assignment library, loaded into Redis with FUNCTION LOAD.

Every change to waiting interactions, agents and assignments is one call of
one function here, so it is atomic: two routers, mailacdctl and any other
program can act at once without assigning an interaction twice or taking an
agent over capacity.  mailacd-router loads the library at start-up (and
mailacdctl when it finds it missing); man/mailacd-keys.7 documents every key
and every function for operators and other programs.

Calling convention: KEYS[1] is always the organisation's schema key
"mailacd:{ORG}:schema"; every other key shares its hash tag and is derived
from it.  Errors are replies whose first word is a code (NOAGENT, NOIX,
NOQUEUE, BADARG, BADSTATE, SCHEMA, WRONGTYPE) followed by a sentence.

Ordering: an interaction's rank is enqueued ms - 60000 x priority; the lower
the rank, the higher its score (minutes waiting + priority).  Waiting
interactions sit in two sorted sets by rank: the queue ("queue:Q", the
operator's view) and a bucket per requirement set ("bucket:Q:REQ", same
skills and language), listed in "buckets:Q".  An agent who frees up takes
the lowest rank among the heads of the buckets they are eligible for, so a
decision costs O(buckets x log N), not O(N).  Agents ready for work sit in
"ready:Q", scored by the queue's strategy, lowest first.

Statistics: the calls that offer, assign, close, transfer or give up on an
interaction count it (stats_add) in its queue's hash of the UTC day and of
the UTC hour, which expire, and in the queue's totals, which do not.
--]]

-- SCHEMA, LIBRARY, PRIORITY_MS, FMT_MEMBER and the key formats K come from
-- common/keys.h: the build puts them above (common/keys2lua.awk).
local INBOX_MAX = 1000		-- assignments kept on an agent's list
local ASSIGNMENTS_MAX = 100000	-- entries kept (about) in the stream
local STATS_TTL = 90 * 86400	-- daily and hourly statistics kept this long
-- The histogram of first-assignment waits: upper bounds in seconds of the
-- fields wait_le_N, then wait_le_inf.  Each answer counts in the one
-- smallest bucket it fits, not in every bucket above it.
local WAIT_LE = { 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400,
    28800, 86400 }
-- The statistics fields the never-expiring totals keep too, under these
-- names; wait_le_* as they are.
local TOTAL_FIELDS = { offered = 'offered', assigned = 'assigned',
    answered = 'answered', within = 'within', wait_ms = 'wait_sum_ms',
    closed = 'closed', handled = 'handled', handled_ms = 'handled_ms',
    transferred = 'transferred', delivery_failed = 'delivery_failed' }
local PRESENCES = { available = true, away = true, offline = true }
-- How far down a bucket an agent whose mailbox refused some of its
-- interactions looks for one it may take, and how long the agent's list of
-- refusals lives after the last one.
local HEAD_SCAN = 16
local REFUSED_TTL = 30 * 86400

local function fail(code, msg)
	error({ err = code .. ' ' .. msg })
end

local function now_ms()
	local t = redis.call('TIME')
	return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function split(s)
	local t = {}
	if s == nil or s == false or s == '' then return t end
	for w in string.gmatch(s, '[^,]+') do t[#t + 1] = w end
	return t
end

local function lowerset(list)
	local t = {}
	for _, w in ipairs(list) do t[string.lower(w)] = true end
	return t
end

-- rkey - the key of format FMT (one of K) under prefix P ("mailacd:{ORG}:")
local function rkey(p, fmt, ...)
	return p .. string.format(fmt, ...)
end

-- The context of one call: key prefix, clock, caches, what was assigned.
local function context(keys)
	local k = keys[1] or ''
	local p = string.match(k, '^(mailacd:{[^}]+}:)' .. K.SCHEMA .. '$')
	if p == nil then
		fail('BADARG', 'KEYS[1] must be mailacd:{ORG}:schema, not "' ..
		    k .. '"')
	end
	local v = redis.call('GET', k)
	if v and v ~= SCHEMA then
		fail('SCHEMA', k .. ' is "' .. tostring(v) ..
		    '"; this library knows schema ' .. SCHEMA)
	end
	return { P = p, now = now_ms(), qcache = {}, rcache = {},
	    assigned = {}, schema = k }
end

-- UTC calendar date of MS, for the daily statistics keys.
local function day(ms)
	local z = math.floor(ms / 86400000) + 719468
	local era = math.floor(z / 146097)
	local doe = z - era * 146097
	local yoe = math.floor((doe - math.floor(doe / 1460) +
	    math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
	local doy = doe - (365 * yoe + math.floor(yoe / 4) -
	    math.floor(yoe / 100))
	local mp = math.floor((5 * doy + 2) / 153)
	local d = doy - math.floor((153 * mp + 2) / 5) + 1
	local m = mp < 10 and mp + 3 or mp - 9
	local y = yoe + era * 400
	if m <= 2 then y = y + 1 end
	return string.format('%04d-%02d-%02d', y, m, d)
end

-- UTC hour of MS, for the hourly statistics keys: YYYY-MM-DDTHH.
local function hour(ms)
	return day(ms) .. string.format('T%02d',
	    math.floor(ms / 1000 / 3600) % 24)
end

-- The histogram field a first-assignment wait of MS milliseconds counts in.
local function wait_bucket(ms)
	for _, s in ipairs(WAIT_LE) do
		if ms <= s * 1000 then return 'wait_le_' .. s end
	end
	return 'wait_le_inf'
end

-- Count, for queue Q at this call's time, the field, increment pairs
-- given: in the UTC day's and the UTC hour's statistics (kept STATS_TTL
-- after their last change) and in the queue's totals (never expiring, so
-- they never go down).
local function stats_add(ctx, q, ...)
	local n = select('#', ...)
	local t = { ... }
	if ctx.hour == nil then
		ctx.day, ctx.hour = day(ctx.now), hour(ctx.now)
	end
	for _, k in ipairs({ rkey(ctx.P, K.STATS, q, ctx.day),
	    rkey(ctx.P, K.STATS, q, ctx.hour) }) do
		for i = 1, n, 2 do
			redis.call('HINCRBY', k, t[i], t[i + 1])
		end
		redis.call('EXPIRE', k, STATS_TTL)
	end
	local tk = rkey(ctx.P, K.TOTALS, q)
	for i = 1, n, 2 do
		local f = TOTAL_FIELDS[t[i]] or
		    (string.sub(t[i], 1, 8) == 'wait_le_' and t[i])
		if f then redis.call('HINCRBY', tk, f, t[i + 1]) end
	end
end

-- Requirement set of an interaction: its bucket id and description
-- "language|skill,skill" (lower case, skills sorted, no duplicates).
local function requirement(skills, language)
	local s, seen = {}, {}
	for _, w in ipairs(split(skills)) do
		w = string.lower(w)
		if not seen[w] then
			seen[w] = true
			s[#s + 1] = w
		end
	end
	table.sort(s)
	local desc = string.lower(language or '') .. '|' .. table.concat(s, ',')
	return string.sub(redis.sha1hex(desc), 1, 16), desc
end

local function parse_req(ctx, desc)
	local r = ctx.rcache[desc]
	if r == nil then
		local lang, skills = string.match(desc, '^([^|]*)|(.*)$')
		r = { lang = lang or '', skills = split(skills) }
		ctx.rcache[desc] = r
	end
	return r
end

local function qcfg(ctx, q)
	local c = ctx.qcache[q]
	if c == nil then
		local h = redis.call('HMGET', rkey(ctx.P, K.QUEUECFG, q),
		    'strategy', 'service_level', 'delivery')
		c = { strategy = h[1] or 'longest-idle',
		    sl = tonumber(h[2]) or 0, exists = h[1] ~= false,
		    forward = h[3] == 'forward' }
		ctx.qcache[q] = c
	end
	return c
end

local function agent_get(ctx, id)
	local h = redis.call('HMGET', rkey(ctx.P, K.AGENT, id), 'presence',
	    'capacity', 'skills', 'languages', 'queues', 'since', 'roster')
	if not h[2] then return nil end
	local a = { id = id, presence = h[1] or 'offline',
	    capacity = tonumber(h[2]) or 1, skills = lowerset(split(h[3])),
	    languages = lowerset(split(h[4])), queues = split(h[5]),
	    since = tonumber(h[6]) or 0, roster = h[7] ~= '0' }
	a.load = redis.call('SCARD', rkey(ctx.P, K.AGENT_IX, id))
	a.inq = lowerset({})
	for _, q in ipairs(a.queues) do a.inq[q] = true end
	return a
end

-- May agent A take work of requirement R?  (presence and capacity apart)
local function eligible(a, r)
	if r.lang ~= '' and not a.languages[r.lang] then return false end
	for _, s in ipairs(r.skills) do
		if not a.skills[s] then return false end
	end
	return true
end

local function ready(a)
	return a.roster and a.presence == 'available' and a.load < a.capacity
end

-- The agent's place in queue Q's ready set: lowest is chosen first.
local function ready_score(ctx, a, q)
	local st = qcfg(ctx, q).strategy
	if st == 'least-busy' then
		return a.load * 4398046511104 + a.since	-- load, then idle
	elseif st == 'round-robin' then
		return tonumber(redis.call('HGET', rkey(ctx.P, K.RR, q), a.id) or
		    '0')
	end
	return a.since
end

local function ready_update(ctx, a)
	for _, q in ipairs(a.queues) do
		if ready(a) then
			redis.call('ZADD', rkey(ctx.P, K.READY, q),
			    ready_score(ctx, a, q), a.id)
		else
			redis.call('ZREM', rkey(ctx.P, K.READY, q), a.id)
		end
	end
end

local function member_of(enqueued, id)
	return string.format(FMT_MEMBER, enqueued, id)
end

-- The timeline: one event of interaction ID, as it happens.
local function event(ctx, id, t)
	t.at = ctx.now
	redis.call('RPUSH', rkey(ctx.P, K.TIMELINE, id), cjson.encode(t))
end

-- The operator's index: interaction ID (arrived at ENQ) moves to the
-- state, queue and agent sets its hash now names ("idx" remembers where
-- it was put last).
local function reindex(ctx, id, enq)
	local key = rkey(ctx.P, K.IX, id)
	local h = redis.call('HMGET', key, 'state', 'queue', 'agent', 'idx')
	local now = (h[1] or '') .. '|' .. (h[2] or '') .. '|' .. (h[3] or '')
	if now == h[4] then return end
	local o = {}
	for w in string.gmatch((h[4] or '||') .. '|', '([^|]*)|') do
		o[#o + 1] = w
	end
	local sets = { K.IXS_STATE, K.IXS_QUEUE, K.IXS_AGENT }
	for i = 1, 3 do
		local was, is = o[i] or '', h[i] or ''
		if was ~= is then
			if was ~= '' then
				redis.call('ZREM', rkey(ctx.P, sets[i], was), id)
			end
			if is ~= '' then
				redis.call('ZADD', rkey(ctx.P, sets[i], is), enq, id)
			end
		end
	end
	redis.call('HSET', key, 'idx', now)
end

local function wait_add(ctx, q, ix)
	local P = ctx.P
	redis.call('ZADD', rkey(P, K.QUEUE, q), ix.rank, ix.member)
	redis.call('ZADD', rkey(P, K.BUCKET, q, ix.req), ix.rank,
	    ix.member)
	redis.call('HSET', rkey(P, K.BUCKETS, q), ix.req, ix.desc)
end

local function wait_del(ctx, q, req, member)
	local P = ctx.P
	local b = rkey(P, K.BUCKET, q, req)
	redis.call('ZREM', rkey(P, K.QUEUE, q), member)
	redis.call('ZREM', b, member)
	if redis.call('EXISTS', b) == 0 then
		redis.call('HDEL', rkey(P, K.BUCKETS, q), req)
	end
end

local function ix_get(ctx, id)
	local h = redis.call('HMGET', rkey(ctx.P, K.IX, id), 'state', 'queue',
	    'rank', 'enqueued', 'req', 'agent', 'skills', 'language',
	    'refused_by')
	if not h[1] then return nil end
	local ix = { id = id, state = h[1], queue = h[2],
	    rank = tonumber(h[3]) or 0, enqueued = tonumber(h[4]) or 0,
	    agent = h[6] or nil, refused_by = split(h[9]) }
	ix.refused = {}
	for _, g in ipairs(ix.refused_by) do ix.refused[g] = true end
	ix.req, ix.desc = requirement(h[7], h[8])
	ix.member = member_of(ix.enqueued, id)
	return ix
end

-- A delivery job for the router (forward mode): resend to AGENT every
-- stored copy of interaction ID it has not had yet.
local function deliver(ctx, id, agent, q, how)
	if not qcfg(ctx, q).forward then return end
	redis.call('XADD', rkey(ctx.P, K.DELIVER), '*', 'id', id, 'agent', agent,
	    'queue', q, 'how', how, 'at', ctx.now)
end

-- Stored copies of interaction ID (milter, forward mode) go when it is
-- closed: nothing will be resent any more.
local function drop_copies(ctx, id)
	local l = rkey(ctx.P, K.IX_MSGS, id)
	for _, h in ipairs(redis.call('LRANGE', l, 0, -1)) do
		redis.call('DEL', rkey(ctx.P, K.MSG, h))
	end
	redis.call('DEL', l)
	redis.call('SREM', rkey(ctx.P, K.RETRYING), id)
	-- a later follow-up starts a new list: nobody has had any of it
	local key = rkey(ctx.P, K.IX, id)
	for _, f in ipairs(redis.call('HKEYS', key)) do
		if string.sub(f, 1, 5) == 'sent:' then
			redis.call('HDEL', key, f)
		end
	end
end

local function publish(ctx, agent, event)
	local msg = cjson.encode(event)
	local inbox = rkey(ctx.P, K.AGENT_INBOX, agent)
	redis.call('LPUSH', inbox, msg)
	redis.call('LTRIM', inbox, 0, INBOX_MAX - 1)
	redis.call('PUBLISH', rkey(ctx.P, K.ASSIGNMENTS), msg)
end

-- Give interaction IX (no longer waiting) to agent A from queue Q.  DEFER:
-- the caller updates A's ready sets itself afterwards (fill).
local function assign(ctx, ix, a, q, how, defer)
	local P, now = ctx.P, ctx.now
	local key = rkey(P, K.IX, ix.id)
	local wait = now - ix.enqueued
	if wait < 0 then wait = 0 end
	local score = string.format('%.2f', (now - ix.rank) / PRIORITY_MS)
	redis.call('HSET', key, 'state', 'assigned', 'agent', a.id,
	    'assigned', now, 'wait', wait, 'score', score, 'queue', q)
	local nth = redis.call('HINCRBY', key, 'assignments', 1)
	redis.call('SADD', rkey(P, K.AGENT_IX, a.id), ix.id)
	redis.call('SADD', rkey(P, K.ASSIGNED, q), ix.id)
	a.load = a.load + 1
	a.since = now
	redis.call('HSET', rkey(P, K.AGENT, a.id), 'since', now, 'last', ix.id)
	local c = qcfg(ctx, q)
	if c.strategy == 'round-robin' then
		redis.call('HSET', rkey(P, K.RR, q), a.id,
		    redis.call('INCR', rkey(P, K.RRSEQ, q)))
	end
	if not defer then ready_update(ctx, a) end
	if nth ~= 1 then
		stats_add(ctx, q, 'assigned', 1)
	elseif c.sl > 0 and wait <= c.sl * 1000 then
		-- the first answer is what a service level measures
		stats_add(ctx, q, 'assigned', 1, 'answered', 1, 'wait_ms', wait,
		    wait_bucket(wait), 1, 'within', 1)
	else
		stats_add(ctx, q, 'assigned', 1, 'answered', 1, 'wait_ms', wait,
		    wait_bucket(wait), 1)
	end
	redis.call('XADD', rkey(P, K.ASSIGNMENTS), 'MAXLEN', '~', ASSIGNMENTS_MAX,
	    '*', 'id', ix.id, 'agent', a.id, 'queue', q, 'wait', wait,
	    'score', score, 'how', how, 'at', now)
	publish(ctx, a.id, { event = 'assigned', id = ix.id, agent = a.id,
	    queue = q, wait_ms = wait, score = score, how = how, at = now })
	deliver(ctx, ix.id, a.id, q, how)
	event(ctx, ix.id, { event = 'assigned', agent = a.id, queue = q,
	    how = how, wait_ms = wait })
	reindex(ctx, ix.id, ix.enqueued)
	ctx.assigned[#ctx.assigned + 1] = { id = ix.id, agent = a.id,
	    queue = q, wait_ms = wait, score = score, how = how }
end

-- The ready agent of queue Q who should take IX, by the queue's strategy.
local function offer(ctx, ix, q, exclude)
	local r = parse_req(ctx, ix.desc)
	local ids = redis.call('ZRANGE', rkey(ctx.P, K.READY, q), 0, -1)
	local refused = ix.refused or {}	-- none on a new interaction
	for _, id in ipairs(ids) do
		if id ~= exclude and not refused[id] then
			local a = agent_get(ctx, id)
			if a == nil or not a.inq[q] then
				redis.call('ZREM', rkey(ctx.P, K.READY, q), id)
			elseif not ready(a) then
				ready_update(ctx, a)
			elseif eligible(a, r) then
				return a
			end
		end
	end
	return nil
end

-- The first member of bucket BK, and its rank, that an agent may take:
-- not EXCLUDE, and not in RSET, the agent's refusals (nil when it has
-- none, then only the first two are looked at).
local function bucket_head(bk, exclude, rset)
	local h = redis.call('ZRANGE', bk, 0, rset and HEAD_SCAN - 1 or 1,
	    'WITHSCORES')
	for j = 1, #h, 2 do
		local id = string.sub(h[j], 17)
		if id ~= exclude and not (rset and
		    redis.call('SISMEMBER', rset, id) == 1) then
			return h[j], tonumber(h[j + 1])
		end
	end
	return nil
end

-- The waiting interaction agent A should take next: the lowest rank among
-- the heads of the buckets A is eligible for, over A's queues.
local function best_for(ctx, a, exclude)
	local best
	local rset = rkey(ctx.P, K.AGENT_REFUSED, a.id)
	if redis.call('EXISTS', rset) == 0 then rset = nil end
	for _, q in ipairs(a.queues) do
		local bl = redis.call('HGETALL', rkey(ctx.P, K.BUCKETS, q))
		for i = 1, #bl, 2 do
			if eligible(a, parse_req(ctx, bl[i + 1])) then
				local m, rank = bucket_head(rkey(ctx.P,
				    K.BUCKET, q, bl[i]), exclude, rset)
				if m and (best == nil or rank < best.rank or
				    (rank == best.rank and m < best.member)) then
					best = { rank = rank, member = m, q = q,
					    req = bl[i] }
				end
			end
		end
	end
	return best
end

-- Interaction IX is no longer kept from the agents whose mailboxes
-- refused it (it was closed).
local function refusals_drop(ctx, ix)
	for _, g in ipairs(ix.refused_by or {}) do
		redis.call('SREM', rkey(ctx.P, K.AGENT_REFUSED, g), ix.id)
	end
	redis.call('HDEL', rkey(ctx.P, K.IX, ix.id), 'refused_by')
end

-- Agent A takes waiting work while ready.
local function fill(ctx, a, exclude)
	local guard = 0
	while ready(a) and guard < 100 do
		guard = guard + 1
		local b = best_for(ctx, a, exclude)
		if b == nil then break end
		wait_del(ctx, b.q, b.req, b.member)
		local ix = ix_get(ctx, string.sub(b.member, 17))
		if ix ~= nil and ix.state == 'waiting' then
			assign(ctx, ix, a, b.q, 'queue', true)
		end
	end
	ready_update(ctx, a)
end

-- A new waiting interaction: a ready agent takes it, or it waits.
local function arrive(ctx, ix, q, exclude, how)
	local a = offer(ctx, ix, q, exclude)
	if a ~= nil then
		redis.call('HSET', rkey(ctx.P, K.IX, ix.id), 'state', 'waiting')
		assign(ctx, ix, a, q, how)
		return a.id
	end
	redis.call('HSET', rkey(ctx.P, K.IX, ix.id), 'state', 'waiting',
	    'queue', q)
	wait_add(ctx, q, ix)
	reindex(ctx, ix.id, ix.enqueued)
	return nil
end

-- Take interaction IX away from its agent (close, transfer, requeue, a
-- resend given up); held_ms adds up how long agents held it, of which
-- mailacd_close counts the handling time.
local function release(ctx, ix)
	if ix.state ~= 'assigned' or ix.agent == nil then return nil end
	local P = ctx.P
	local key = rkey(P, K.IX, ix.id)
	local at = tonumber(redis.call('HGET', key, 'assigned') or '')
	if at ~= nil and ctx.now > at then
		redis.call('HINCRBY', key, 'held_ms', ctx.now - at)
	end
	redis.call('SREM', rkey(P, K.AGENT_IX, ix.agent), ix.id)
	redis.call('SREM', rkey(P, K.ASSIGNED, ix.queue), ix.id)
	local a = agent_get(ctx, ix.agent)
	if a ~= nil then
		a.since = ctx.now
		redis.call('HSET', rkey(P, K.AGENT, a.id), 'since', ctx.now)
	end
	return a
end

local function result(ctx, t)
	t.assigned = ctx.assigned
	if #ctx.assigned == 0 then t.assigned = nil end
	return cjson.encode(t)
end

local function stream_after(a, b)
	local am, as = string.match(a, '^(%d+)-(%d+)$')
	local bm, bs = string.match(b, '^(%d+)-(%d+)$')
	if am == nil or bm == nil then return a ~= b end
	am, bm = tonumber(am), tonumber(bm)
	if am ~= bm then return am > bm end
	return tonumber(as) > tonumber(bs)
end

local function keytype(k)
	return redis.call('TYPE', k).ok
end

--[[ mailacd_ingest: queue (and if possible assign) one ingest entry.
KEYS: schema, ix, queue, ingest.  ARGV: group, entry, member ("": made
here), rank ("": enqueued - PRIORITY_MS x the entry's priority), enqueued,
field, value, ...  Returns 1 queued, 0 already handled (a replay:
acknowledged only), 3 a follow-up of an existing interaction, with the
agent it was assigned to ("" if none): { code, agent }.  A new interaction
counts as offered in its queue; a follow-up does not, even one that
reopens a closed interaction. ]]
local function followup(ctx, keys, args, f, last)
	return 0
end

local function ingest(keys, args)
	local ctx = context(keys)
	local tix, tq = keytype(keys[2]), keytype(keys[3])
	local f = {}
	for i = 6, #args - 1, 2 do f[args[i]] = args[i + 1] end
	local req, desc = requirement(f.skills, f.language)
	local q = f.queue or ''
	local tb = keytype(rkey(ctx.P, K.BUCKET, q, req))
	-- writes are not undone when a later command fails: check first
	if (tix ~= 'none' and tix ~= 'hash') or
	    (tq ~= 'none' and tq ~= 'zset') or
	    (tb ~= 'none' and tb ~= 'zset') then
		fail('WRONGTYPE', keys[2] .. ' is a ' .. tix .. ', ' ..
		    keys[3] .. ' is a ' .. tq .. ', bucket is a ' .. tb)
	end
	if tix == 'hash' then
		-- a replay (own pending entry, one claimed from a dead router,
		-- a group reset) is an entry the interaction has taken already
		local h = redis.call('HMGET', keys[2], 'entries', 'entry')
		local seen = h[1] or (',' .. (h[2] or '') .. ',')
		if string.find(seen, ',' .. args[2] .. ',', 1, true) then
			redis.call('XACK', keys[4], args[1], args[2])
			return { 0, '' }
		end
		redis.call('HSET', keys[2], 'entries', seen .. args[2] .. ',')
		return followup(ctx, keys, args, f, h[2])
	end
	-- the seed's score, minutes waiting + priority, as a constant: the
	-- rank (lowest served first) and the member that orders equal ranks
	-- by arrival (a router of library 3 sends both)
	local enq = tonumber(args[5]) or 0
	local rank = tonumber(args[4] or '') or
	    enq - PRIORITY_MS * (tonumber(f.priority) or 0)
	local ix = { id = f.id, rank = rank, enqueued = enq,
	    member = (args[3] or '') ~= '' and args[3] or member_of(enq, f.id),
	    req = req, desc = desc }
	redis.call('HSET', keys[2], 'state', 'waiting', 'enqueued', args[5],
	    'rank', rank, 'entry', args[2], 'entries', ',' .. args[2] .. ',',
	    'req', req, unpack(args, 6))
	if (f.msg or '') ~= '' then
		redis.call('RPUSH', rkey(ctx.P, K.IX_MSGS, f.id), f.msg)
	end
	local who = string.lower(f.customer or '')
	if who == '' then
		who = string.lower(string.gsub(f.sender or '', '^<(.*)>$', '%1'))
	end
	redis.call('ZADD', rkey(ctx.P, K.IXS), ix.enqueued, f.id)
	redis.call('ZADD', rkey(ctx.P, K.IXIDS), 0, f.id)
	if who ~= '' then
		redis.call('ZADD', rkey(ctx.P, K.IXS_CUSTOMER, who), ix.enqueued,
		    f.id)
	end
	event(ctx, f.id, { event = 'arrived', queue = q, from = who,
	    subject = f.subject, message_id = f.message_id })
	if (f.stopped or '') == '1' then
		-- a flow stopped routing (spam the relay let through): the
		-- message is recorded on an interaction that never waits
		redis.call('HSET', keys[2], 'state', 'closed', 'closed',
		    ctx.now, 'closed_by', 'flow')
		event(ctx, f.id, { event = 'closed', by = 'flow' })
		reindex(ctx, f.id, enq)
		redis.call('XACK', keys[4], args[1], args[2])
		return { 1, '' }
	end
	stats_add(ctx, q, 'offered', 1)
	local agent = arrive(ctx, ix, q, nil, 'arrival')
	redis.call('XACK', keys[4], args[1], args[2])
	return { 1, agent or '' }
end

-- A message for an interaction that exists: back to its last agent if
-- they can take it, else to its queue with its original rank.  F: the
-- entry's fields; LAST: the latest entry taken before.  Automatic mail
-- (auto-replies, bounces) is recorded but never reopens a closed
-- interaction by itself.
followup = function(ctx, keys, args, f, last)
	local key = keys[2]
	local ix = ix_get(ctx, f.id)
	-- an older entry that arrives late (taken over from a dead router)
	-- counts, but does not replace what the newest message said
	if last == nil or stream_after(args[2], last) then
		local upd = { 'entry', args[2] }
		for i = 6, #args - 1, 2 do
			local n = args[i]
			if n == 'message_id' or n == 'in_reply_to' or
			    n == 'references' or n == 'subject' or
			    n == 'size' or n == 'queue_id' or n == 'auto' or
			    n == 'arrived' then
				upd[#upd + 1] = 'last_' .. n
				upd[#upd + 1] = args[i + 1]
			end
		end
		redis.call('HSET', key, unpack(upd))
	end
	redis.call('HINCRBY', key, 'followups', 1)
	event(ctx, ix.id, { event = 'message', subject = f.subject,
	    message_id = f.message_id, auto = f.auto ~= '' and f.auto or nil,
	    merged = (f.merged or '') ~= '' or nil })
	if (f.merged or '') ~= '' then
		redis.call('HINCRBY', key, 'merged', 1)
	end
	local closed_auto = ix.state == 'closed' and (f.auto or '') ~= ''
	if (f.msg or '') ~= '' then
		if closed_auto then
			-- nobody will be sent it: not kept
			redis.call('DEL', rkey(ctx.P, K.MSG, f.msg))
		else
			redis.call('RPUSH', rkey(ctx.P, K.IX_MSGS, ix.id), f.msg)
		end
	end
	if ix.state == 'assigned' then
		publish(ctx, ix.agent, { event = 'followup', id = ix.id,
		    agent = ix.agent, queue = ix.queue, at = ctx.now })
		deliver(ctx, ix.id, ix.agent, ix.queue, 'followup')
	elseif closed_auto then
		redis.call('HINCRBY', key, 'auto_followups', 1)
	elseif ix.state == 'closed' then
		local a = ix.agent and agent_get(ctx, ix.agent)
		if a ~= nil and ready(a) and a.inq[ix.queue] and
		    eligible(a, parse_req(ctx, ix.desc)) then
			redis.call('HSET', key, 'state', 'waiting')
			assign(ctx, ix, a, ix.queue, 'reply')
		else
			arrive(ctx, ix, ix.queue, nil, 'reopened')
		end
	end
	redis.call('XACK', keys[4], args[1], args[2])
	local a = ctx.assigned[1]
	return { 3, a and a.agent or '' }
end

--[[ mailacd_dead: move one ingest entry to the dead-letter stream.
KEYS: schema, dead, ingest.  ARGV: group, entry, reason, field, value... ]]
local function dead(keys, args)
	redis.call('XADD', keys[2], '*', 'entry', args[2], 'reason', args[3],
	    unpack(args, 4))
	redis.call('XACK', keys[3], args[1], args[2])
	return { 2, '' }
end

--[[ mailacd_sync: write the roster and queue settings of the
configuration, keep presence and load, and let ready agents take work.
ARGV: "NQUEUES:4", (name, strategy, service_level, delivery) x NQUEUES,
nagents, (id, address, skills, languages, capacity, queues) x nagents.
A plain NQUEUES (routers before library 3) means three values per queue
and leaves the delivery mode as it was. ]]
local function sync(keys, args)
	local ctx = context(keys)
	local P = ctx.P
	redis.call('SET', ctx.schema, SCHEMA, 'NX')
	local i = 1
	local nq, width = string.match(args[i] or '', '^(%d+):(%d+)$')
	nq, width = tonumber(nq or args[i]), tonumber(width or 3)
	if nq == nil or width < 3 then
		fail('BADARG', 'ARGV[1] must be NQUEUES:WIDTH, not "' ..
		    tostring(args[i]) .. '"')
	end
	i = i + 1
	local queues = {}
	for _ = 1, nq do
		local q = args[i]
		queues[q] = true
		redis.call('HSET', rkey(P, K.QUEUECFG, q), 'strategy',
		    args[i + 1], 'service_level', args[i + 2])
		if width >= 4 then
			redis.call('HSET', rkey(P, K.QUEUECFG, q), 'delivery',
			    args[i + 3])
		end
		redis.call('SADD', rkey(P, K.QUEUES), q)
		i = i + width
	end
	for _, q in ipairs(redis.call('SMEMBERS', rkey(P, K.QUEUES))) do
		if not queues[q] then
			redis.call('SREM', rkey(P, K.QUEUES), q)
			redis.call('DEL', rkey(P, K.QUEUECFG, q))
		end
	end
	local na = tonumber(args[i]); i = i + 1
	local agents, order = {}, {}
	for _ = 1, na do
		local id = args[i]
		local key = rkey(P, K.AGENT, id)
		agents[id] = true
		order[#order + 1] = id
		for _, q in ipairs(split(redis.call('HGET', key, 'queues'))) do
			redis.call('ZREM', rkey(P, K.READY, q), id)
		end
		redis.call('HSET', key, 'id', id, 'address', args[i + 1],
		    'skills', args[i + 2], 'languages', args[i + 3],
		    'capacity', args[i + 4], 'queues', args[i + 5],
		    'roster', '1')
		redis.call('HSETNX', key, 'presence', 'offline')
		redis.call('HSETNX', key, 'since', ctx.now)
		redis.call('SADD', rkey(P, K.AGENTS), id)
		i = i + 6
	end
	for _, id in ipairs(redis.call('SMEMBERS', rkey(P, K.AGENTS))) do
		if not agents[id] then
			local key = rkey(P, K.AGENT, id)
			for _, q in ipairs(split(redis.call('HGET', key,
			    'queues'))) do
				redis.call('ZREM', rkey(P, K.READY, q), id)
			end
			redis.call('HSET', key, 'roster', '0', 'presence',
			    'offline')
			redis.call('SREM', rkey(P, K.AGENTS), id)
		end
	end
	for _, id in ipairs(order) do
		local a = agent_get(ctx, id)
		ready_update(ctx, a)
		fill(ctx, a, nil)
	end
	return result(ctx, { agents = na, queues = nq })
end

local function need_agent(ctx, id)
	local a = agent_get(ctx, id or '')
	if a == nil then
		fail('NOAGENT', 'no agent "' .. tostring(id) .. '"')
	end
	if not a.roster then
		fail('NOAGENT', 'agent "' .. id .. '" is no longer in the roster')
	end
	return a
end

local function need_ix(ctx, id)
	local ix = ix_get(ctx, id or '')
	if ix == nil then
		fail('NOIX', 'no interaction ' .. tostring(id))
	end
	return ix
end

--[[ mailacd_presence: ARGV agent, presence (available, away, offline),
[requeue ("1": put back what the agent holds, with away or offline), by].
An available agent takes waiting work at once.  Requeued interactions go
back to their queues with their original rank, each to another ready
agent if there is one, never to this one in this call. ]]
local function presence(keys, args)
	local ctx = context(keys)
	local p = string.lower(args[2] or '')
	if not PRESENCES[p] then
		fail('BADARG', 'presence must be available, away or offline, ' ..
		    'not "' .. tostring(args[2]) .. '"')
	end
	if args[3] == '1' and p == 'available' then
		fail('BADARG', 'requeue goes with away or offline, not ' ..
		    'available')
	end
	local a = need_agent(ctx, args[1])
	local before = a.presence
	if p == 'available' and before ~= 'available' then
		a.since = ctx.now
		redis.call('HSET', rkey(ctx.P, K.AGENT, a.id), 'since', ctx.now)
	end
	a.presence = p
	if p ~= before then
		redis.call('HSET', rkey(ctx.P, K.AGENT, a.id), 'presence', p,
		    'presence_at', ctx.now)
	end
	local requeued = nil
	if args[3] == '1' then
		local held = {}
		for _, id in ipairs(redis.call('SMEMBERS',
		    rkey(ctx.P, K.AGENT_IX, a.id))) do
			local ix = ix_get(ctx, id)
			if ix ~= nil and ix.state == 'assigned' and
			    ix.agent == a.id then
				held[#held + 1] = ix
			end
		end
		-- the longest-waiting by rank goes back first
		table.sort(held, function(x, y)
			if x.rank ~= y.rank then return x.rank < y.rank end
			return x.id < y.id
		end)
		requeued = {}
		for _, ix in ipairs(held) do
			local key = rkey(ctx.P, K.IX, ix.id)
			release(ctx, ix)
			a.load = a.load - 1
			redis.call('HSET', key, 'requeued', ctx.now,
			    'requeued_by', args[4] or 'operator')
			redis.call('HINCRBY', key, 'requeues', 1)
			event(ctx, ix.id, { event = 'requeued', agent = a.id,
			    by = args[4] or 'operator' })
			publish(ctx, a.id, { event = 'requeued', id = ix.id,
			    agent = a.id, queue = ix.queue, at = ctx.now })
			arrive(ctx, ix, ix.queue, a.id, 'requeue')
			requeued[#requeued + 1] = ix.id
		end
		if #requeued == 0 then requeued = nil end
	end
	fill(ctx, a, nil)
	return result(ctx, { agent = a.id, presence = p, was = before,
	    load = a.load, capacity = a.capacity, requeued = requeued })
end

--[[ mailacd_fill: ARGV agent.  The agent takes waiting work if ready
(for programs that changed an agent's hash themselves). ]]
local function f_fill(keys, args)
	local ctx = context(keys)
	local a = need_agent(ctx, args[1])
	fill(ctx, a, nil)
	return result(ctx, { agent = a.id, load = a.load,
	    capacity = a.capacity })
end

--[[ mailacd_close: ARGV id, by.  Closes an interaction; its agent is free
for the next one at once.  Closing a closed interaction changes nothing.
Counts closed, and when agents held it since it arrived or was last
reopened, handled and handled_ms (that time held), in its queue. ]]
local function close(keys, args)
	local ctx = context(keys)
	local ix = need_ix(ctx, args[1])
	local key = rkey(ctx.P, K.IX, ix.id)
	if ix.state == 'closed' then
		return result(ctx, { id = ix.id, state = 'closed',
		    already = true, agent = ix.agent })
	end
	if ix.state == 'waiting' then
		wait_del(ctx, ix.queue, ix.req, ix.member)
	end
	local a = release(ctx, ix)
	redis.call('HSET', key, 'state', 'closed', 'closed', ctx.now,
	    'closed_by', args[2] or 'operator')
	event(ctx, ix.id, { event = 'closed', by = args[2] or 'operator',
	    agent = ix.agent })
	reindex(ctx, ix.id, ix.enqueued)
	redis.call('HDEL', key, 'delivery_attempts', 'delivery_next')
	drop_copies(ctx, ix.id)
	refusals_drop(ctx, ix)
	-- handled: agents held it since it arrived or was last reopened
	local h = redis.call('HMGET', key, 'held_ms', 'held_closed_ms')
	local held = (tonumber(h[1]) or 0) - (tonumber(h[2]) or 0)
	if ix.state == 'assigned' or held > 0 then
		redis.call('HSET', key, 'held_closed_ms', tonumber(h[1]) or 0)
		stats_add(ctx, ix.queue, 'closed', 1, 'handled', 1,
		    'handled_ms', held)
	else
		stats_add(ctx, ix.queue, 'closed', 1)
	end
	if a ~= nil then
		publish(ctx, a.id, { event = 'closed', id = ix.id,
		    agent = a.id, queue = ix.queue, at = ctx.now })
		fill(ctx, a, nil)	-- updates a's ready sets at its end
	end
	return result(ctx, { id = ix.id, state = 'closed', was = ix.state,
	    agent = ix.agent })
end

--[[ mailacd_transfer: ARGV id, queue, by, [requirements ("1": the next
two replace the skills and language), skills (comma-separated), language].
Back to a queue (its own or another) with its id and original rank; the
agent who had it does not get it back from this transfer and takes other
work.  Into another queue it counts as transferred in the one it leaves
and offered in the other. ]]
local function transfer(keys, args)
	local ctx = context(keys)
	local ix = need_ix(ctx, args[1])
	local q = args[2] or ''
	if not qcfg(ctx, q).exists then
		fail('NOQUEUE', 'no queue "' .. q .. '"')
	end
	local newreq = args[4] == '1'
	if newreq then
		for _, w in ipairs(split(args[5])) do
			if not string.match(w, '^[A-Za-z0-9._-]+$') then
				fail('BADARG', 'skill "' .. w .. '" may contain ' ..
				    'only A-Z a-z 0-9 . _ -')
			end
		end
		if not string.match(args[6] or '', '^[A-Za-z0-9-]*$') then
			fail('BADARG', 'language "' .. tostring(args[6]) ..
			    '" is not a language tag')
		end
	end
	if ix.state == 'closed' then
		fail('BADSTATE', 'interaction ' .. ix.id .. ' is closed')
	end
	local from = ix.queue
	if ix.state == 'waiting' then
		wait_del(ctx, ix.queue, ix.req, ix.member)
	end
	local prev = release(ctx, ix)
	local key = rkey(ctx.P, K.IX, ix.id)
	redis.call('HSET', key, 'queue', q, 'transferred', ctx.now,
	    'transferred_by', args[3] or 'operator')
	if newreq then
		ix.req, ix.desc = requirement(args[5], args[6])
		redis.call('HSET', key, 'skills', args[5] or '', 'language',
		    args[6] or '', 'req', ix.req)
	end
	redis.call('HINCRBY', key, 'transfers', 1)
	event(ctx, ix.id, { event = 'transferred', from = from, queue = q,
	    by = args[3] or 'operator', skills = newreq and args[5] or nil,
	    language = newreq and args[6] or nil })
	if prev ~= nil then
		publish(ctx, prev.id, { event = 'transferred', id = ix.id,
		    agent = prev.id, queue = q, from = from, at = ctx.now })
	end
	if q ~= from then
		-- back into its own queue it neither leaves nor enters one
		stats_add(ctx, from, 'transferred', 1)
		stats_add(ctx, q, 'offered', 1)
	end
	arrive(ctx, ix, q, prev and prev.id, 'transfer')
	if prev ~= nil then
		fill(ctx, prev, ix.id)
	end
	return result(ctx, { id = ix.id, from = from, queue = q,
	    was = ix.state, skills = newreq and (args[5] or '') or nil,
	    language = newreq and (args[6] or '') or nil })
end

--[[ mailacd_priority: ARGV id, priority (0..1000), by.  A new priority is
a new rank, enqueued - 60000 x priority, and for a waiting interaction one
re-insert into its queue and bucket; nothing else moves.  Who may take it
does not change, so no agent is asked. ]]
local function priority(keys, args)
	local ctx = context(keys)
	local ix = need_ix(ctx, args[1])
	local p = tonumber(args[2] or '')
	if p == nil or p ~= math.floor(p) or p < 0 or p > 1000 then
		fail('BADARG', 'priority must be a whole number from 0 to 1000, ' ..
		    'not "' .. tostring(args[2]) .. '"')
	end
	local key = rkey(ctx.P, K.IX, ix.id)
	local was = redis.call('HGET', key, 'priority')
	local rank = ix.enqueued - PRIORITY_MS * p
	redis.call('HSET', key, 'priority', p, 'rank', rank, 'reprioritized',
	    ctx.now, 'reprioritized_by', args[3] or 'operator')
	event(ctx, ix.id, { event = 'priority', priority = p,
	    was = tonumber(was) or 0, by = args[3] or 'operator' })
	if ix.state == 'waiting' then
		redis.call('ZADD', rkey(ctx.P, K.QUEUE, ix.queue), 'XX', rank,
		    ix.member)
		redis.call('ZADD', rkey(ctx.P, K.BUCKET, ix.queue,
		    ix.req), 'XX', rank, ix.member)
	end
	return result(ctx, { id = ix.id, state = ix.state, queue = ix.queue,
	    priority = p, was = tonumber(was) or 0, rank = rank })
end

--[[ mailacd_undeliverable: ARGV id, agent, error.  The router gave up
resending interaction ID to AGENT (forward mode): it goes back to its
queue with its rank, not to AGENT in this call, and AGENT's capacity is
freed.  BADSTATE when ID is no longer assigned to AGENT. ]]
local function undeliverable(keys, args)
	local ctx = context(keys)
	local ix = need_ix(ctx, args[1])
	if ix.state ~= 'assigned' or ix.agent ~= args[2] then
		fail('BADSTATE', 'interaction ' .. ix.id .. ' is ' .. ix.state ..
		    (ix.agent and (' (agent ' .. ix.agent .. ')') or '') ..
		    ', not assigned to ' .. tostring(args[2]))
	end
	local key = rkey(ctx.P, K.IX, ix.id)
	local prev = release(ctx, ix)
	redis.call('HSET', key, 'last_delivery_failure', ctx.now,
	    'last_delivery_error', args[3] or '', 'last_delivery_agent',
	    args[2])
	redis.call('HINCRBY', key, 'delivery_failures', 1)
	-- not offered to that agent again while it is open
	if not ix.refused[args[2]] then
		ix.refused[args[2]] = true
		ix.refused_by[#ix.refused_by + 1] = args[2]
		redis.call('HSET', key, 'refused_by',
		    table.concat(ix.refused_by, ','))
	end
	local rset = rkey(ctx.P, K.AGENT_REFUSED, args[2])
	redis.call('SADD', rset, ix.id)
	redis.call('EXPIRE', rset, REFUSED_TTL)
	event(ctx, ix.id, { event = 'undeliverable', agent = args[2],
	    error = args[3] or '' })
	redis.call('HDEL', key, 'delivery_attempts', 'delivery_next',
	    'delivery_error')
	redis.call('SREM', rkey(ctx.P, K.RETRYING), ix.id)
	stats_add(ctx, ix.queue, 'delivery_failed', 1)
	if prev ~= nil then
		publish(ctx, prev.id, { event = 'undeliverable', id = ix.id,
		    agent = prev.id, queue = ix.queue, error = args[3] or '',
		    at = ctx.now })
	end
	arrive(ctx, ix, ix.queue, prev and prev.id, 'redelivery')
	if prev ~= nil then
		fill(ctx, prev, ix.id)
	end
	return result(ctx, { id = ix.id, queue = ix.queue, was = ix.state,
	    agent = args[2] })
end

--[[ mailacd_delivered: ARGV id, agent, copies, via.  The router resent
the customer's messages of interaction ID to AGENT's workplace address
(forward mode) up to copy COPIES (a count: sent:AGENT becomes COPIES)
through relay VIA: the bookkeeping of that, no longer retrying, and a
"delivered" event on the timeline.  Nothing is written when the
interaction is gone (expired or deleted meanwhile): answers 0, else 1. ]]
local function delivered(keys, args)
	local ctx = context(keys)
	local ix = ix_get(ctx, args[1] or '')
	if ix == nil then return 0 end
	local key = rkey(ctx.P, K.IX, ix.id)
	local copies = tonumber(args[3])
	if copies == nil or copies < 1 or args[2] == nil or args[2] == '' then
		fail('BADARG', 'delivered: agent and a copy count needed')
	end
	redis.call('HSET', key, 'sent:' .. args[2], copies, 'delivered_at',
	    ctx.now)
	redis.call('HINCRBY', key, 'delivered', 1)
	redis.call('HDEL', key, 'delivery_attempts', 'delivery_error',
	    'delivery_next')
	redis.call('SREM', rkey(ctx.P, K.RETRYING), ix.id)
	event(ctx, ix.id, { event = 'delivered', agent = args[2],
	    copies = copies, via = args[4] or '' })
	return 1
end

--[[ mailacd_handoff: the milter hands off one message for one registered
address, idempotently.  KEYS: schema, seen, ingest, msg (the stored copy),
open (the customer's last interaction at this address), rate (the
customer's hourly count), [own thread key], referenced thread keys...
ARGV: schema the milter writes, seen ttl, id, thread ttl, own (1: the key
after rate is the message's own thread key, set only when unset: another
message reusing a Message-ID does not take it over), token id ("" or the
interaction a valid reply token names), rate limit (0: none), count (1:
this call counts the message against the limit, once per organisation),
merge (1: merge a customer's new thread into their open interaction),
stored (1: KEYS[4] holds the copy), auto ("" for mail from a person),
participants (1: a Message-ID joins its interaction only for a
participant; the others open a new one naming it in "related"), identity
(the customer without sub-address: a participant of what it starts),
then the ingest entry's fields as name, value, ...
A message that answers one of an interaction (a reply token, or its
In-Reply-To or References naming one recorded for the same address)
carries that interaction's id: the router treats it as a follow-up.
Returns {code, id}: 0 already handed off (an MTA retry: the seen key's
lifetime starts again), 1 new, 3 reply,
5 merged into the open interaction; or {4, count}: the customer is over
the hourly limit and nothing is handed off.  Counts in the
organisation's counters hash: handed_off for each entry written,
rate_limited once per message over the limit (the call that counts). ]]
local function handoff(keys, args)
	local ctx = context(keys)
	if args[1] ~= SCHEMA then
		fail('SCHEMA', 'the milter writes schema ' .. tostring(args[1]) ..
		    ', this library knows schema ' .. SCHEMA)
	end
	if not redis.call('GET', keys[1]) then
		redis.call('SET', keys[1], SCHEMA)
	end
	local seen = redis.call('GET', keys[2])
	if seen then
		-- a write, so that the milter's WAIT covers the first attempt's
		-- writes too; the retried message stays idempotent as long
		redis.call('EXPIRE', keys[2], tonumber(args[2]))
		return { 0, seen }
	end
	local limit = tonumber(args[7]) or 0
	if limit > 0 then
		local n
		if args[8] == '1' then
			n = redis.call('INCR', keys[6])
			if n == 1 then redis.call('EXPIRE', keys[6], 7200) end
		else
			n = tonumber(redis.call('GET', keys[6]) or '0')
		end
		if n > limit then
			redis.call('DEL', keys[4])
			if args[8] == '1' then
				-- once per message and organisation, as it counts
				redis.call('HINCRBY', rkey(ctx.P, K.COUNTERS),
				    'rate_limited', 1)
			end
			return { 4, tostring(n) }
		end
	end
	local id, code, related = args[3], 1, nil
	local first = args[5] == '1' and 8 or 7
	if args[6] ~= '' then
		id = args[6]
		code = 3
	else
		for i = first, #keys do
			local t = redis.call('GET', keys[i])
			if t then
				local pk = rkey(ctx.P, K.PEOPLE, t)
				if args[12] == '1' and
				    redis.call('EXISTS', pk) == 1 and
				    redis.call('SISMEMBER', pk, args[13]) == 0 then
					related = t
				else
					id = t
					code = 3
				end
				break
			end
		end
	end
	if code == 1 and args[9] == '1' then
		local o = redis.call('GET', keys[5])
		if o and redis.call('HGET', rkey(ctx.P, K.IX, o), 'state') ~=
		    'closed' then
			id = o
			code = 5
		end
	end
	local f = {}
	for i = 14, #args - 1, 2 do
		f[#f + 1] = args[i]
		f[#f + 1] = (args[i] == 'id') and id or args[i + 1]
	end
	if args[10] == '1' then
		f[#f + 1] = 'msg'
		f[#f + 1] = string.sub(keys[4], #rkey(ctx.P, K.MSG, '') + 1)
	end
	if code == 5 then
		f[#f + 1] = 'merged'
		f[#f + 1] = '1'
	end
	if related then
		f[#f + 1] = 'related'
		f[#f + 1] = related
	end
	redis.call('XADD', keys[3], '*', unpack(f))
	redis.call('HINCRBY', rkey(ctx.P, K.COUNTERS), 'handed_off', 1)
	redis.call('SET', keys[2], id, 'EX', tonumber(args[2]))
	if first == 8 then
		redis.call('SET', keys[7], id, 'EX', tonumber(args[4]), 'NX')
	end
	if args[11] == '' then
		redis.call('SET', keys[5], id, 'EX', tonumber(args[4]))
	end
	if args[13] ~= '' and code ~= 5 then
		local pk = rkey(ctx.P, K.PEOPLE, id)
		redis.call('SADD', pk, args[13])
		redis.call('EXPIRE', pk, tonumber(args[4]))
	end
	return { code, id }
end

--[[ mailacd_reply_find: the interaction an outbound reply belongs to.
KEYS: schema, thread keys of the ids the reply names...  ARGV: the id from
our header, or "".  Returns {} or {id, the customer's last Message-ID, its
References}. ]]
local function reply_find(keys, args)
	local ctx = context(keys)
	local id = args[1] or ''
	if id == '' then
		for i = 2, #keys do
			local t = redis.call('GET', keys[i])
			if t then
				id = t
				break
			end
		end
	end
	if id == '' then return {} end
	local h = redis.call('HMGET', rkey(ctx.P, K.IX, id), 'state',
	    'message_id', 'last_message_id', 'references', 'last_references')
	if not h[1] then return {} end
	return { id, h[3] or h[2] or '', h[5] or h[4] or '' }
end

--[[ mailacd_open_find: whether customers have an open interaction at an
address, for flows' open_interaction condition.  KEYS: schema, open:HEX
(the key mailacd_handoff keeps for a customer and an address)...  Returns
one integer per open key: 1 when it names an interaction that is not
closed, else 0. ]]
local function open_find(keys, args)
	local ctx = context(keys)
	local r = {}
	for i = 2, #keys do
		local id = redis.call('GET', keys[i])
		local st = id and redis.call('HGET', rkey(ctx.P, K.IX, id),
		    'state')
		r[#r + 1] = (st and st ~= 'closed') and 1 or 0
	end
	return r
end

--[[ mailacd_reply_record: an agent's reply to interaction ID went out.
KEYS: schema, ix:ID, the thread key of the reply's Message-ID.  ARGV:
Message-ID, by, thread ttl, id.  Returns 1, or 0 when the interaction is
gone. ]]
local function reply_record(keys, args)
	local ctx = context(keys)
	if redis.call('EXISTS', keys[2]) == 0 then return 0 end
	redis.call('HSET', keys[2], 'last_reply_at', ctx.now,
	    'last_reply_message_id', args[1], 'last_reply_by', args[2])
	redis.call('HINCRBY', keys[2], 'replies', 1)
	event(ctx, args[4], { event = 'reply', by = args[2],
	    message_id = args[1] })
	redis.call('SET', keys[3], args[4], 'EX', tonumber(args[3]))
	return 1
end

--[[ mailacd_waiting: ARGV queue.  Read only: why the interactions waiting
in a queue wait, per requirement set (bucket): how many, and the first
reason that stops them (the same eligibility rule as every assignment):
  noagent      no agent of the roster serves the queue
  skill        no agent of the queue has skill WHAT
  language     no agent of the queue speaks language WHAT
  combination  no single agent of the queue has every skill and the language
  away         the agents who could take it are away or offline
  capacity     the available agents who could take it are at capacity
  ready        an agent could take it now (it is being assigned)
Answers {queue, waiting, agents, requirements = [{skills, language,
waiting, reason, what, eligible}]}. ]]
local function f_waiting(keys, args)
	local ctx = context(keys)
	local q = args[1] or ''
	local agents = {}
	for _, id in ipairs(redis.call('SMEMBERS', rkey(ctx.P, K.AGENTS))) do
		local a = agent_get(ctx, id)
		if a ~= nil and a.roster and a.inq[q] then
			agents[#agents + 1] = a
		end
	end
	local out = {}
	local bl = redis.call('HGETALL', rkey(ctx.P, K.BUCKETS, q))
	for i = 1, #bl, 2 do
		local n = redis.call('ZCARD', rkey(ctx.P, K.BUCKET, q, bl[i]))
		local r = parse_req(ctx, bl[i + 1])
		local e = { skills = table.concat(r.skills, ','),
		    language = r.lang, waiting = n, eligible = 0 }
		local avail, ready_n = 0, 0
		for _, a in ipairs(agents) do
			if eligible(a, r) then
				e.eligible = e.eligible + 1
				if a.presence == 'available' then
					avail = avail + 1
					if a.load < a.capacity then
						ready_n = ready_n + 1
					end
				end
			end
		end
		if #agents == 0 then
			e.reason = 'noagent'
		elseif e.eligible == 0 then
			for _, sk in ipairs(r.skills) do
				local held = false
				for _, a in ipairs(agents) do
					if a.skills[sk] then held = true break end
				end
				if not held then
					e.reason, e.what = 'skill', sk
					break
				end
			end
			if e.reason == nil and r.lang ~= '' then
				local spoken = false
				for _, a in ipairs(agents) do
					if a.languages[r.lang] then
						spoken = true
						break
					end
				end
				if not spoken then
					e.reason, e.what = 'language', r.lang
				end
			end
			e.reason = e.reason or 'combination'
		elseif avail == 0 then
			e.reason = 'away'
		elseif ready_n == 0 then
			e.reason = 'capacity'
		else
			e.reason = 'ready'
		end
		if n > 0 then out[#out + 1] = cjson.encode(e) end
	end
	-- an empty Lua table is a JSON object to cjson: the array by hand
	local head = cjson.encode({ queue = q, agents = #agents,
	    waiting = redis.call('ZCARD', rkey(ctx.P, K.QUEUE, q)) })
	return string.sub(head, 1, -2) .. ',"requirements":[' ..
	    table.concat(out, ',') .. ']}'
end

--[[ mailacd_list: ARGV state, queue, agent, customer, subject (a part of
it, case ignored), since (ms), cursor ("" or "SCORE:ID" from a previous
answer), limit, budget (ids looked at before answering).  Read only: the
interactions that match every filter given ("" for none), newest arrival
first, from the smallest of the index sets the filters name.  Answers
{items = [...], next = cursor or nothing, examined}; an answer with
"next" stopped at its budget or limit: call again with it for more. ]]
local function f_list(keys, args)
	local ctx = context(keys)
	local state, q, agent = args[1] or '', args[2] or '', args[3] or ''
	local cust, subj = string.lower(args[4] or ''),
	    string.lower(args[5] or '')
	local since = tonumber(args[6] or '') or 0
	local limit = tonumber(args[8] or '') or 50
	local budget = tonumber(args[9] or '') or 20000
	local src, n = rkey(ctx.P, K.IXS), nil
	local cands = {}
	if state ~= '' then cands[#cands + 1] = rkey(ctx.P, K.IXS_STATE, state) end
	if q ~= '' then cands[#cands + 1] = rkey(ctx.P, K.IXS_QUEUE, q) end
	if agent ~= '' then cands[#cands + 1] = rkey(ctx.P, K.IXS_AGENT, agent) end
	if cust ~= '' then
		cands[#cands + 1] = rkey(ctx.P, K.IXS_CUSTOMER, cust)
	end
	for _, k in ipairs(cands) do
		local c = redis.call('ZCARD', k)
		if n == nil or c < n then src, n = k, c end
	end
	local PAGE = 500
	local max, sk_score, sk_id = '+inf', nil, nil
	local cs, cid = string.match(args[7] or '', '^(%d+):(%x+)$')
	if cs then max, sk_score, sk_id = cs, cs, cid end
	local items, examined, last, done = {}, 0, nil, false
	while not done and #items < limit and examined < budget do
		local page = redis.call('ZREVRANGEBYSCORE', src, max, since,
		    'WITHSCORES', 'LIMIT', 0, PAGE)
		local fresh, stopped = 0, false
		for i = 1, #page, 2 do
			local id, sc = page[i], page[i + 1]
			-- members of one score come in descending id order: those
			-- at the cursor's score down to its id were seen before
			if not (sk_score and sc == sk_score and id >= sk_id) then
				fresh = fresh + 1
				examined = examined + 1
				last = { sc, id }
				local h = redis.call('HMGET', rkey(ctx.P, K.IX, id),
				    'state', 'queue', 'agent', 'customer', 'subject',
				    'enqueued', 'assigned', 'closed', 'sender')
				local ok = h[1] ~= false and
				    (state == '' or h[1] == state) and
				    (q == '' or h[2] == q) and
				    (agent == '' or h[3] == agent) and
				    (subj == '' or string.find(string.lower(h[5] or ''),
				    subj, 1, true) ~= nil)
				if ok then
					items[#items + 1] = { id = id, state = h[1],
					    queue = h[2] or '', agent = h[3] or '',
					    customer = h[4] or h[9] or '',
					    subject = h[5] or '',
					    arrived = tonumber(h[6]),
					    assigned = tonumber(h[7]),
					    closed = tonumber(h[8]) }
				end
				if #items >= limit or examined >= budget then
					stopped = i + 1 < #page
					break
				end
			end
		end
		if #page < 2 * PAGE and not stopped then
			done = true		-- the page held the rest of the range
		elseif fresh == 0 then
			-- a whole page at one score, all seen: past that score
			max, sk_score, sk_id = '(' .. page[#page], nil, nil
		else
			max, sk_score, sk_id = last[1], last[1], last[2]
		end
	end
	local out = { examined = examined }
	if not done and last then out.next = last[1] .. ':' .. last[2] end
	local enc = {}
	for _, it in ipairs(items) do enc[#enc + 1] = cjson.encode(it) end
	local head = cjson.encode(out)
	return string.sub(head, 1, -2) .. (head == '{}' and '' or ',') ..
	    '"items":[' .. table.concat(enc, ',') .. ']}'
end

--[[ mailacd_dataset: ARGV id known ("" none), new id, who.  The marker of
the data set the daemons write into (common/dataset.c).  Answers {current
id, 1 if this call recorded a loss}: the marker gone (made anew) or
holding another id (an older data set restored: a snapshot, a replica) is
recorded once per vanished id. ]]
local function f_dataset(keys, args)
	local ctx = context(keys)
	local k = rkey(ctx.P, K.DATASET)
	local known, fresh, who = args[1] or '', args[2] or '', args[3] or ''
	local id = redis.call('HGET', k, 'id')
	if id then
		if known ~= '' and id ~= known and
		    redis.call('HGET', k, 'previous') ~= known then
			redis.call('HSET', k, 'lost_detected', ctx.now, 'lost_by',
			    who, 'previous', known)
			return { id, 1 }
		end
		return { id, 0 }
	end
	redis.call('HSET', k, 'id', fresh, 'created', ctx.now, 'created_by',
	    who)
	if known == '' then return { fresh, 0 } end
	redis.call('HSET', k, 'lost_detected', ctx.now, 'lost_by', who,
	    'previous', known)
	return { fresh, 1 }
end

--[[ mailacd_metrics: ARGV the configured domain names.  Read only: what
the router's metrics serve for one organisation, in one call, so that a
scrape costs one round trip whatever the number of queues and agents:
  now       Redis's clock (ms), which the waits are measured against
  dead      entries in the dead-letter stream
  counters  the counters hash (field: value, a string)
  queues    per queue of the roster: waiting, oldest (the enqueue time in
            ms of the longest waiting, absent when none wait;
            oldest_exact false when the walk stopped at METRICS_SCAN
            members and it is a lower bound of the wait), assigned,
            service_level (the target in seconds, 0: none), answered and
            within (today's, UTC), totals (the totals hash, as
            counters)
  agents    per agent of the roster: presence, load, capacity
  domains   per name given: status (passed, failed, unchecked; "never"
            when no check was stored) ]]
local METRICS_SCAN = 10000
local METRICS_PAGE = 500

-- hash_table - an HGETALL reply as a table; the values stay strings, as
-- cjson would write a number past 14 digits with an exponent
local function hash_table(h)
	local t = {}
	for i = 1, #h, 2 do t[h[i]] = h[i + 1] end
	return t
end

-- oldest - the enqueue time of the longest-waiting member of queue KEY.
-- Members are ranked by enqueued - PRIORITY_MS x priority, and a rank is
-- never above its enqueue time: the walk stops at the first rank that is
-- not below the oldest time seen.
local function oldest(key)
	local first = redis.call('ZRANGE', key, 0, 0)
	if first[1] == nil then return nil, true end
	local old = tonumber(string.sub(first[1], 1, 15)) or 0
	local start = 1
	while start < METRICS_SCAN do
		local page = redis.call('ZRANGE', key, start,
		    start + METRICS_PAGE - 1, 'WITHSCORES')
		for i = 1, #page, 2 do
			if tonumber(page[i + 1]) >= old then return old, true end
			local enq = tonumber(string.sub(page[i], 1, 15))
			if enq and enq < old then old = enq end
		end
		if #page < 2 * METRICS_PAGE then return old, true end
		start = start + METRICS_PAGE
	end
	return old, false
end

local function f_metrics(keys, args)
	local ctx = context(keys)
	local P, today = ctx.P, day(ctx.now)
	local qs, as, ds = {}, {}, {}
	local names = redis.call('SMEMBERS', rkey(P, K.QUEUES))
	table.sort(names)
	for _, q in ipairs(names) do
		local key = rkey(P, K.QUEUE, q)
		local e = { queue = q, waiting = redis.call('ZCARD', key),
		    assigned = redis.call('SCARD', rkey(P, K.ASSIGNED, q)),
		    service_level = qcfg(ctx, q).sl }
		if e.waiting > 0 then
			e.oldest, e.oldest_exact = oldest(key)
		end
		local st = redis.call('HMGET', rkey(P, K.STATS, q, today),
		    'answered', 'within')
		e.answered = tonumber(st[1]) or 0
		e.within = tonumber(st[2]) or 0
		e.totals = hash_table(redis.call('HGETALL',
		    rkey(P, K.TOTALS, q)))
		qs[#qs + 1] = cjson.encode(e)
	end
	local ids = redis.call('SMEMBERS', rkey(P, K.AGENTS))
	table.sort(ids)
	for _, id in ipairs(ids) do
		local a = agent_get(ctx, id)
		if a ~= nil then
			as[#as + 1] = cjson.encode({ agent = id,
			    presence = a.presence, load = a.load,
			    capacity = a.capacity })
		end
	end
	for _, name in ipairs(args) do
		local st = redis.call('HGET', rkey(P, K.DOMAIN, name), 'status')
		ds[#ds + 1] = cjson.encode({ domain = name,
		    status = st or 'never' })
	end
	-- empty Lua tables are JSON objects to cjson: the arrays by hand
	local head = cjson.encode({ now = ctx.now,
	    dead = redis.call('XLEN', rkey(P, K.DEAD)),
	    counters = hash_table(redis.call('HGETALL', rkey(P, K.COUNTERS))) })
	return string.sub(head, 1, -2) .. ',"queues":[' ..
	    table.concat(qs, ',') .. '],"agents":[' .. table.concat(as, ',') ..
	    '],"domains":[' .. table.concat(ds, ',') .. ']}'
end

local function version()
	return LIBRARY
end

-- Our errors as plain error replies: without this Redis appends
-- "script: NAME, on @user_function:LINE." to every message.
local function api(fn)
	return function(keys, args)
		local ok, r = pcall(fn, keys, args)
		if ok then return r end
		if type(r) == 'table' and r.err then r = r.err end
		return redis.error_reply(tostring(r))
	end
end

redis.register_function('mailacd_ingest', api(ingest))
redis.register_function('mailacd_dead', api(dead))
redis.register_function('mailacd_sync', api(sync))
redis.register_function('mailacd_presence', api(presence))
redis.register_function('mailacd_fill', api(f_fill))
redis.register_function('mailacd_close', api(close))
redis.register_function('mailacd_transfer', api(transfer))
redis.register_function('mailacd_priority', api(priority))
redis.register_function('mailacd_undeliverable', api(undeliverable))
redis.register_function('mailacd_delivered', api(delivered))
redis.register_function('mailacd_handoff', api(handoff))
redis.register_function{ function_name = 'mailacd_reply_find',
    callback = api(reply_find), flags = { 'no-writes' } }
redis.register_function('mailacd_reply_record', api(reply_record))
redis.register_function{ function_name = 'mailacd_open_find',
    callback = api(open_find), flags = { 'no-writes' } }
redis.register_function{ function_name = 'mailacd_waiting',
    callback = api(f_waiting), flags = { 'no-writes' } }
redis.register_function{ function_name = 'mailacd_list',
    callback = api(f_list), flags = { 'no-writes' } }
redis.register_function{ function_name = 'mailacd_metrics',
    callback = api(f_metrics), flags = { 'no-writes' } }
redis.register_function('mailacd_dataset', api(f_dataset))
redis.register_function{ function_name = 'mailacd_version',
    callback = version, flags = { 'no-writes' } }
