#!/usr/bin/python3
"""assign-driver.py - t/5030-assign.t's helper for the assignment library:
a RESP client (no python redis module needed), the invariant checker, the
random-ish driver and the concurrent workers.

	assign-driver.py random PORT SEED N
	assign-driver.py worker PORT SEED PREFIX SECONDS
	assign-driver.py check PORT
	assign-driver.py totals PORT FILE	(against the totals saved in FILE)
	assign-driver.py json EXPR	(JSON on standard input as "d")
"""
import json, os, random, socket, sys, time

P = 'mailacd:{acme}:'
S = P + 'schema'


class RError(Exception):
	pass


class R:
	"""A minimal RESP client (no redis module needed)."""

	def __init__(self, port):
		self.s = socket.create_connection(('127.0.0.1', int(port)))
		self.f = self.s.makefile('rb')

	def call(self, *args):
		out = [b'*%d\r\n' % len(args)]
		for a in args:
			a = a if isinstance(a, bytes) else str(a).encode()
			out.append(b'$%d\r\n%s\r\n' % (len(a), a))
		self.s.sendall(b''.join(out))
		return self.read()

	def read(self):
		line = self.f.readline()
		t, rest = line[:1], line[1:-2]
		if t == b'+':
			return rest.decode()
		if t == b'-':
			raise RError(rest.decode())
		if t == b':':
			return int(rest)
		if t == b'$':
			n = int(rest)
			if n < 0:
				return None
			return self.f.read(n + 2)[:-2].decode()
		if t == b'*':
			n = int(rest)
			if n < 0:
				return None
			return [self.read() for _ in range(n)]
		raise RError('bad reply %r' % line)

	def fcall(self, name, *args):
		return self.call('FCALL', name, 1, S, *args)


# One consistent picture of the organisation: a script runs atomically, so
# this can be taken while other clients are busy.
DUMP = '''
local out = { h = {}, z = {}, s = {} }
for _, k in ipairs(redis.call('KEYS', ARGV[1] .. '*')) do
	local t = redis.call('TYPE', k).ok
	local n = string.sub(k, #ARGV[1] + 1)
	if t == 'hash' then out.h[n] = redis.call('HGETALL', k)
	elseif t == 'zset' then
		out.z[n] = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
	elseif t == 'set' then out.s[n] = redis.call('SMEMBERS', k) end
end
return cjson.encode(out)
'''


def L(v):
	"""cjson encodes an empty table as {}"""
	return v if isinstance(v, list) else []


def split(s):
	return [w for w in (s or '').split(',') if w]


def check(r):
	"""Every broken invariant, as 'category: explanation' strings."""
	d = json.loads(r.call('EVAL', DUMP, 0, P))
	H = {k: dict(zip(L(v)[::2], L(v)[1::2])) for k, v in d['h'].items()}
	Z = {k: L(v)[::2] for k, v in d['z'].items()}
	SE = {k: set(L(v)) for k, v in d['s'].items()}
	bad = []
	agents, ixs = {}, {}
	for k, h in H.items():
		if k.startswith('agent:') and k.count(':') == 1:
			a = {'id': k[6:], 'presence': h.get('presence', 'offline'),
			    'cap': int(h.get('capacity', '1')),
			    'roster': h.get('roster') != '0',
			    'skills': set(w.lower() for w in split(h.get('skills'))),
			    'langs': set(w.lower() for w in split(h.get('languages'))),
			    'queues': split(h.get('queues'))}
			a['held'] = SE.get('agent:%s:ix' % a['id'], set())
			a['ready'] = (a['roster'] and a['presence'] == 'available' and
			    len(a['held']) < a['cap'])
			agents[a['id']] = a
		elif k.startswith('ix:'):
			ixs[k[3:]] = h
	for a in agents.values():
		if len(a['held']) > a['cap']:
			bad.append('capacity: %s holds %d > %d' % (a['id'],
			    len(a['held']), a['cap']))
	waitq = {}
	for k, members in Z.items():
		if k.startswith('queue:'):
			for m in members:
				waitq.setdefault(m[16:], []).append(k[6:])
	for i, h in ixs.items():
		st = h.get('state')
		holders = sorted(a['id'] for a in agents.values() if i in a['held'])
		wq = waitq.get(i, [])
		where = len(holders) + len(wq) + (st == 'closed')
		if where != 1 or len(holders) > 1:
			bad.append('exclusive: %s (%s) held by %s, waiting in %s' %
			    (i, st, holders, wq))
		if st == 'waiting':
			q = h.get('queue') or ''
			b = 'bucket:%s:%s' % (q, h.get('req'))
			m = '%015d:%s' % (int(h['enqueued']), i)
			if wq != [q] or m not in Z.get(b, []) or holders:
				bad.append('state: %s waiting in %s, queues %s, '
				    'bucket %s' % (i, q, wq, m in Z.get(b, [])))
			if h.get('req') not in H.get('buckets:' + q, {}):
				bad.append('state: %s bucket not listed' % i)
			zq = L(d['z'].get('queue:' + q))
			sc = dict(zip(zq[::2], zq[1::2]))
			if m in sc and float(sc[m]) != float(h['rank']):
				bad.append('state: %s score differs from rank' % i)
		elif st == 'assigned':
			if holders != [h.get('agent')] or wq:
				bad.append('state: %s assigned to %s, held by %s, '
				    'waiting in %s' % (i, h.get('agent'), holders, wq))
			if i not in SE.get('assigned:' + h.get('queue', ''), set()):
				bad.append('state: %s not in assigned:%s' % (i,
				    h.get('queue')))
		elif st == 'closed':
			if holders or wq:
				bad.append('state: closed %s held by %s, waiting in '
				    '%s' % (i, holders, wq))
		else:
			bad.append('state: %s has state %s' % (i, st))
	for k, members in Z.items():
		if k.startswith('bucket:'):
			q = k.split(':')[1]
			for m in members:
				h = ixs.get(m[16:], {})
				if h.get('state') != 'waiting' or h.get('queue') != q:
					bad.append('state: stale %s in %s' % (m, k))
	for k, ids in SE.items():
		if k.startswith('assigned:'):
			for i in ids:
				h = ixs.get(i, {})
				if h.get('state') != 'assigned' or \
				    h.get('queue') != k[9:]:
					bad.append('state: stale %s in %s' % (i, k))
	# nothing waits that a ready agent could take (an agent who just
	# transferred an interaction does not get it back from that transfer)
	for i, h in ixs.items():
		if h.get('state') != 'waiting':
			continue
		lang = (h.get('language') or '').lower()
		need = set(w.lower() for w in split(h.get('skills')))
		for a in agents.values():
			if not a['ready'] or h['queue'] not in a['queues']:
				continue
			if lang and lang not in a['langs'] or not need <= a['skills']:
				continue
			if 'transferred' in h and h.get('agent') == a['id']:
				continue
			bad.append('idle: %s waits in %s while %s is ready' %
			    (i, h['queue'], a['id']))
	# ready:Q is exactly the ready agents of Q
	queues = set(k[9:] for k in H if k.startswith('queuecfg:'))
	for q in queues | set(k[6:] for k in Z if k.startswith('ready:')):
		want = sorted(a['id'] for a in agents.values()
		    if a['ready'] and q in a['queues'])
		got = sorted(Z.get('ready:' + q, []))
		if want != got:
			bad.append('ready: ready:%s is %s, ready agents %s' %
			    (q, got, want))
	bad += check_stats(H)
	return bad, len(ixs)


# the fields of the statistics that the totals keep, and their names there
TOTALS = {'offered': 'offered', 'assigned': 'assigned', 'answered':
    'answered', 'within': 'within', 'wait_ms': 'wait_sum_ms', 'closed':
    'closed', 'handled': 'handled', 'handled_ms': 'handled_ms',
    'transferred': 'transferred', 'delivery_failed': 'delivery_failed'}


def check_stats(H):
	"""The statistics agree with themselves: each day is the sum of its
	hours, the totals the sum of the days, the wait buckets add up to the
	answered, nothing is negative."""
	bad = []
	days, hours, totals = {}, {}, {}
	for k, h in H.items():
		p = k.split(':')
		if p[0] == 'stats' and len(p) == 3:
			(hours if 'T' in p[2] else days)[(p[1], p[2])] = h
		elif p[0] == 'totals' and len(p) == 2:
			totals[p[1]] = h
	for (q, per), h in days.items():
		for f, v in h.items():
			n = sum(int(hh.get(f, 0)) for (qq, pp), hh in hours.items()
			    if qq == q and pp[:10] == per)
			if n != int(v):
				bad.append('stats: %s %s %s is %s, its hours add up to '
				    '%d' % (q, per, f, v, n))
	for (q, per), h in list(days.items()) + list(hours.items()):
		b = sum(int(v) for f, v in h.items() if f.startswith('wait_le_'))
		if b != int(h.get('answered', 0)):
			bad.append('stats: %s %s: wait buckets add up to %d, '
			    'answered %s' % (q, per, b, h.get('answered')))
		if [f for f, v in h.items() if int(v) < 0]:
			bad.append('stats: %s %s has a negative count' % (q, per))
		if int(h.get('handled', 0)) > int(h.get('closed', 0)) or \
		    int(h.get('answered', 0)) > int(h.get('assigned', 0)):
			bad.append('stats: %s %s: more handled than closed or '
			    'answered than assigned' % (q, per))
	for q in set(q for q, _ in days) | set(totals):
		t = totals.get(q, {})
		want = {}
		for (qq, _), h in days.items():
			if qq != q:
				continue
			for f, v in h.items():
				f = TOTALS.get(f, f if f.startswith('wait_le_') else None)
				if f:
					want[f] = want.get(f, 0) + int(v)
		if {f: int(v) for f, v in t.items()} != want:
			bad.append('stats: totals:%s is %s, the days add up to %s' %
			    (q, t, want))
	return bad


def totals_read(r):
	"""every queue's totals, {queue: {field: n}}"""
	out = {}
	for k in r.call('KEYS', P + 'totals:*'):
		h = L(r.call('HGETALL', k))
		out[k[len(P) + 7:]] = {f: int(v) for f, v in zip(h[::2], h[1::2])}
	return out


def totals_fell(old, new):
	"""the counters of OLD that are lower (or gone) in NEW"""
	bad = []
	for q, h in old.items():
		for f, v in h.items():
			if new.get(q, {}).get(f, 0) < v:
				bad.append('totals: %s %s went down from %d to %s' %
				    (q, f, v, new.get(q, {}).get(f)))
	return bad


def ingest(r, ix, q, prio, arrived, skills='', lang='', rnd=None, extra=()):
	f = ['v', '1', 'id', ix, 'org', 'acme', 'queue', q, 'skills', skills,
	    'language', lang, 'priority', str(prio), 'arrived', str(arrived)]
	f += list(extra)
	e = r.call('XADD', P + 'ingest', '*', *f)
	return e, ingest_entry(r, e, ix, q, prio, arrived, f)


def ingest_entry(r, e, ix, q, prio, arrived, f):
	return r.call('FCALL', 'mailacd_ingest', 4, S, P + 'ix:' + ix,
	    P + 'queue:' + q, P + 'ingest', 'routers', e,
	    '%015d:%s' % (arrived, ix), arrived - 60000 * prio, arrived, *f)


SKILLS = ['general', 'Billing', 'tech', 'VIP']
LANGS = ['en', 'ES', 'de']
QUEUES = [('support', 'longest-idle', '60'), ('billing', 'least-busy', '0'),
    ('sales', 'round-robin', '300')]


def roster(rnd, n):
	ag = []
	for k in range(n):
		sk = rnd.sample(SKILLS, rnd.randint(1, 3))
		la = rnd.sample(LANGS, rnd.randint(1, 2))
		qs = rnd.sample([q[0] for q in QUEUES], rnd.randint(1, 3))
		ag.append(['ag%d' % k, 'ag%d@corp.example' % k, ','.join(sk),
		    ','.join(la), str(rnd.randint(1, 3)), ','.join(qs)])
	return ag


def sync(r, agents):
	args = [str(len(QUEUES))]
	for q in QUEUES:
		args += list(q)
	args.append(str(len(agents)))
	for a in agents:
		args += a
	return r.fcall('mailacd_sync', *args)


def random_ix(rnd):
	return (rnd.choice([q[0] for q in QUEUES]),
	    ','.join(rnd.sample(SKILLS + ['general'], rnd.randint(0, 2))),
	    rnd.choice(['', '', 'en', 'es', 'DE', 'fr']))


class Run:
	"""A random-ish sequence of calls; counts what happened."""

	def __init__(self, r, rnd, prefix, agents):
		self.r, self.rnd, self.prefix = r, rnd, prefix
		self.agents = agents
		self.n = 0
		self.count = {}
		self.errors = []
		self.known = []		# (id, queue, prio, arrived, fields)

	def bump(self, k):
		self.count[k] = self.count.get(k, 0) + 1

	def new(self):
		rnd = self.rnd
		self.n += 1
		ix = '%s%0*x' % (self.prefix, 32 - len(self.prefix), self.n)
		q, sk, la = random_ix(rnd)
		prio = rnd.randint(0, 30)
		arrived = int(time.time() * 1000) - rnd.randint(0, 600000)
		e, rep = ingest(self.r, ix, q, prio, arrived, sk, la)
		self.known.append((ix, q, prio, arrived, e))
		self.bump('ingest-%s' % ('assigned' if rep[1] else 'waiting'))

	def some(self):
		"""one random call on existing data"""
		rnd, r = self.rnd, self.r
		k = rnd.random()
		try:
			if k < 0.30:
				a = rnd.choice(self.agents)
				p = rnd.choice(['available'] * 4 + ['away', 'offline'])
				r.fcall('mailacd_presence', a, p)
				self.bump('presence')
			elif k < 0.65 and self.known:
				ix = rnd.choice(self.known)[0]
				if rnd.random() < 0.6:
					# mostly what an agent holds
					ix = r.call('SRANDMEMBER', P + 'agent:' +
					    rnd.choice(self.agents) + ':ix') or ix
				rep = json.loads(r.fcall('mailacd_close', ix, 'test'))
				self.bump('close-' + ('already' if rep.get('already')
				    else rep.get('was', '?')))
			elif k < 0.78 and self.known:
				ix, q, prio, arrived, _ = rnd.choice(self.known)
				e, rep = ingest(self.r, ix, q, prio, arrived, '', '',
				    extra=['subject', 'Re: more'])
				self.bump('followup-%s' % (rep[1] and 'assigned' or
				    'other'))
			elif k < 0.83 and self.known:
				ix, q, prio, arrived, e = rnd.choice(self.known)
				rep = ingest_entry(r, e, ix, q, prio, arrived, [])
				self.bump('replay-%d' % rep[0])
			elif k < 0.90 and self.known:
				ix = rnd.choice(self.known)[0]
				q = rnd.choice([q[0] for q in QUEUES])
				try:
					r.fcall('mailacd_transfer', ix, q, 'test')
					self.bump('transfer')
				except RError as e:
					if not str(e).startswith('BADSTATE'):
						raise
					self.bump('transfer-closed')
			else:
				r.fcall('mailacd_fill', rnd.choice(self.agents))
				self.bump('fill')
		except RError as e:
			if str(e).startswith('NOAGENT') and \
			    'no longer in the roster' in str(e):
				self.bump('removed-agent')
			else:
				self.errors.append(str(e))


def cmd_random(port, seed, total):
	"""200 interactions, 10 agents, presence changes, closes, follow-ups,
	transfers, a roster change; the invariants checked along the way"""
	r = R(port)
	rnd = random.Random(seed)
	agents = roster(rnd, 10)
	sync(r, agents)
	run = Run(r, rnd, 'c0', [a[0] for a in agents])
	problems = []
	tot = {}
	for i in range(total):
		run.new()
		for _ in range(rnd.randint(1, 4)):
			run.some()
			now = totals_read(r)
			problems += totals_fell(tot, now)
			tot = now
		if i == total // 2:
			# ag9 leaves the roster, ag8 gets more capacity
			agents[8][4] = str(int(agents[8][4]) + 2)
			sync(r, agents[:9])
		if i == 3 * total // 4:
			sync(r, agents)
		if i in (total // 2, 3 * total // 4):
			bad, _ = check(r)
			problems += ['after sync: %s' % b for b in bad]
		if i % 20 == 19:
			bad, _ = check(r)
			problems += ['after %d: %s' % (i + 1, b) for b in bad]
	for a in run.agents:
		r.fcall('mailacd_presence', a, 'available')
	bad, n = check(r)
	problems += ['at the end: %s' % b for b in bad]
	for p in problems[:20]:
		print(p)
	for e in run.errors[:10]:
		print('error: ' + e)
	st = {}
	for i in run.known:
		s = r.call('HGET', P + 'ix:' + i[0], 'state')
		st[s] = st.get(s, 0) + 1
	st.update(run.count)
	st['interactions'] = n
	print('summary ' + ' '.join('%s=%d' % kv for kv in sorted(st.items())))


def cmd_worker(port, seed, prefix, secs):
	"""concurrent calls until SECS pass"""
	r = R(port)
	rnd = random.Random(seed)
	agents = sorted(a for a in r.call('SMEMBERS', P + 'agents'))
	run = Run(r, rnd, prefix, agents)
	# the same interactions for every worker, and each one's new ones
	for k in sorted(r.call('KEYS', P + 'ix:*')):
		h = r.call('HMGET', k, 'queue', 'priority', 'arrived', 'entry')
		run.known.append((k[len(P) + 3:], h[0], int(h[1]), int(h[2]),
		    h[3]))
	end = time.time() + float(secs)
	while time.time() < end:
		if rnd.random() < 0.3:
			run.new()
		run.some()
	for e in run.errors[:10]:
		print('error: ' + e)
	print('summary calls=%d %s' % (sum(run.count.values()),
	    ' '.join('%s=%d' % kv for kv in sorted(run.count.items()))))


def cmd_check(port):
	bad, n = check(R(port))
	for b in bad[:20]:
		print(b)


def cmd_totals(port, path):
	"""the totals went down since the last call that saved them in PATH"""
	new = totals_read(R(port))
	try:
		with open(path) as f:
			old = json.load(f)
	except FileNotFoundError:
		old = {}
	for b in totals_fell(old, new)[:20]:
		print(b)
	with open(path, 'w') as f:
		json.dump(new, f)


def cmd_json(expr):
	d = json.loads(sys.stdin.read())
	v = eval(expr, {'d': d})
	print(v if not isinstance(v, bool) else str(v).lower())


if __name__ == '__main__':
	c = sys.argv[1]
	if c == 'random':
		cmd_random(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
	elif c == 'worker':
		cmd_worker(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
	elif c == 'check':
		cmd_check(sys.argv[2])
	elif c == 'totals':
		cmd_totals(sys.argv[2], sys.argv[3])
	elif c == 'json':
		cmd_json(sys.argv[2])
