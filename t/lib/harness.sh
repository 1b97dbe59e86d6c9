# harness.sh - TAP and throw-away server helpers for mailacd's shell tests.
#
# Sourced (POSIX sh) by t/*.t, contrib/demo.sh and bench/lib.sh:
#
#	. "$(dirname "$0")/lib/harness.sh"
#	require_root; require_tools redis-server postfix ...
#	start_redis; start_sink; start_milter inet; start_postfix "$MILTER_PF"
#
# Everything lives in one temp dir ($T_TMP) and every process is started
# here and stopped by its pid in the EXIT trap, including the private
# Postfix instance (own config_directory, queue_directory, data_directory,
# loopback ports only).  The system's Postfix, its configuration, port 25
# and the system Redis on 6379 are never touched.  Every wait is bounded,
# and a watchdog ends a test that runs longer than $MAILACD_TEST_TIMEOUT s.
#
# What it offers (each function has a one-line comment below; those
# marked * are the harness's own, called by the others):
#   TAP        plan done_testing ok is isnt like unlike cmp_ok pass fail skip
#              skip_all bail_out diag note; *t_result
#   guards     require_root require_tools require_build
#   processes  spawn kill_pid t_alive t_not_alive t_reap t_forget wait_for
#              now_ms; *t_show_logs *t_cleanup *t_setup
#   ports      free_port port_listening t_port_free; *port_busy
#   Redis      start_redis start_redis_clock redis_clock stop_redis
#              restart_redis crash_redis rcli
#              stream_key stream_len stream_field stream_find stream_entry
#              stream_dump; *redis_up *t_redis_spawn
#   sink       start_sink sink_raw sink_count wait_sink sink_files sink_find
#              sink_message sink_rcpts msg_headers msg_header msg_body
#              hdr_id hdr_param; *t_sink_has *msg_header_names
#   Postfix    start_postfix stop_postfix postfix_use pf_postconf
#              queue_empty queue_listing; send_mail swaks_final_reply
#              (swaks); *t_stop_postfixes
#   Sendmail   require_sendmail start_sendmail stop_sendmail sm_queue_empty
#              sm_queue_listing
#   milters    milter_conf start_milter stop_milter milter_log_clean mt_run
#              (miltertest) t_milter_sockets t_wait_milter;
#              *t_milter_listening
#   DNS        start_dns (dnsmasq); *t_dns_up
#   Dovecot    start_dovecot dovecot_put dovecot_count dovecot_flags
#              start_submission
#   checks     logs_clean json_ok jq
#   all        start_stack (Redis + sink + milter + Postfix)
#   several    start_redis_at restart_redis_at (more private Redis servers);
#              *t_redis_spawn_at
#
# The benchmarks' own helpers (no-op milter, CPU ticks, the outbound
# message, ...) are in bench/lib.sh, which sources this file.
#
# Environment:
#   MAILACD_BUILD	 build dir with mailacd-milter, bench/noop-milter
#			 (default: TOP/build)
#   MAILACD_KEEP=1	 keep the temp dir (and print where it is)
#   MAILACD_TEST_TIMEOUT seconds before the watchdog ends the test (150;
#			 0: no watchdog)
#   MAILACD_TMPDIR	 where to create the temp dir (default /tmp)
#   MAILACD_SENDMAIL_ROOT where Sendmail's Debian packages are unpacked
#			 (default: / when sendmail-bin is installed, else
#			 /var/cache/mailacd-test/sendmail, which
#			 contrib/install-deps.sh fills)

# --- where things are ---------------------------------------------------

if [ -z "${T_TOP:-}" ]; then
	T_TOP=$(cd "$(dirname "$0")/.." && pwd)
fi
: "${MAILACD_BUILD:=$T_TOP/build}"
PATH=$PATH:/usr/sbin:/sbin
export PATH

T_N=0		# assertions so far
T_FAILED=0	# failed assertions
T_PLAN=		# planned count, if plan was called
T_PIDS=		# background processes to stop, by pid
T_TMP=
T_WATCHDOG=
T_TAP=${T_TAP:-1}	# 0: demo/bench, print no TAP plan at exit

# --- TAP ------------------------------------------------------------------

# plan - announce how many assertions follow
plan() {
	T_PLAN=$1
	echo "1..$1"
}

# done_testing - print the plan at the end when none was given up front
done_testing() {
	if [ -z "$T_PLAN" ]; then
		T_PLAN=$T_N
		echo "1..$T_N"
	fi
}

# skip_all - the whole test cannot run here: say why and stop
skip_all() {
	echo "1..0 # SKIP $*"
	T_PLAN=0
	exit 0
}

# bail_out - stop the whole prove run: the environment is broken
bail_out() {
	echo "Bail out! $*"
	exit 255
}

# diag - a comment for the human, on stderr (shown even without prove -v)
diag() {
	printf '%s\n' "$@" | sed 's/^/# /' >&2
}

# note - a comment on stdout (shown with prove -v)
note() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# t_result - print one TAP line; STATUS 0 is a pass
t_result() {
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T_N - $2"
		return 0
	fi
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - $2"
	return 1
}

# pass / fail - an assertion decided by the caller
pass() { t_result 0 "$1"; }
fail() { t_result 1 "$1"; }

# ok - DESC CMD...: passes when CMD exits 0
ok() {
	_d=$1
	shift
	if "$@"; then
		t_result 0 "$_d"
	else
		t_result 1 "$_d"
		diag "    command failed: $*"
		return 1
	fi
}

# is - GOT WANT DESC: string equality, showing both on failure
is() {
	if [ "$1" = "$2" ]; then
		t_result 0 "$3"
	else
		t_result 1 "$3"
		diag "         got: '$1'" "    expected: '$2'"
		return 1
	fi
}

# isnt - GOT UNWANTED DESC: string inequality
isnt() {
	if [ "$1" != "$2" ]; then
		t_result 0 "$3"
	else
		t_result 1 "$3"
		diag "         got: '$1'" "    expected anything else"
		return 1
	fi
}

# like - GOT ERE DESC: GOT (maybe several lines) matches the extended regex
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		t_result 0 "$3"
	else
		t_result 1 "$3"
		diag "                  '$1'" "    doesn't match '$2'"
		return 1
	fi
}

# unlike - GOT ERE DESC: no line of GOT matches the extended regex
unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		t_result 1 "$3"
		diag "                  '$1'" "          matches '$2'"
		return 1
	fi
	t_result 0 "$3"
}

# cmp_ok - GOT OP WANT DESC: integer comparison (-eq -lt -ge ...)
cmp_ok() {
	if test "$1" "$2" "$3" 2>/dev/null; then
		t_result 0 "$4"
	else
		t_result 1 "$4"
		diag "    '$1'" "        $2" "    '$3'"
		return 1
	fi
}

# skip - DESC: an assertion that cannot be checked here
skip() {
	T_N=$((T_N + 1))
	echo "ok $T_N # skip $*"
}

# --- preconditions ----------------------------------------------------------

# require_root - skip unless root (a private Postfix needs it)
require_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root (private Postfix instance)"
}

# require_tools - skip unless every named program is on PATH
require_tools() {
	for _t in "$@"; do
		command -v "$_t" >/dev/null 2>&1 ||
		    skip_all "$_t not installed (sh contrib/install-deps.sh)"
	done
}

# require_build - skip unless PROG (relative to MAILACD_BUILD) was built
require_build() {
	[ -x "$MAILACD_BUILD/$1" ] ||
	    skip_all "$MAILACD_BUILD/$1 not built (run make)"
}

# --- temp dir, processes, cleanup --------------------------------------------

# t_alive - PID is running (a zombie does not count)
t_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$_st" ] && [ "$_st" != Z ] && [ "$_st" != X ]
}

# t_reap - collect PID's exit status if it is our child, without blocking
t_reap() {
	t_alive "$1" || wait "$1" 2>/dev/null
	return 0
}

# kill_pid - PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (5)
kill_pid() {
	_p=$1
	t_alive "$_p" || { t_reap "$_p"; return 0; }
	kill -TERM "$_p" 2>/dev/null
	_i=0
	_lim=$(( ${2:-5} * 10 ))
	while t_alive "$_p" && [ $_i -lt $_lim ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if t_alive "$_p"; then
		kill -KILL "$_p" 2>/dev/null
		sleep 0.1
	fi
	t_reap "$_p"
}

# t_forget - drop PID from the list the EXIT trap stops
t_forget() {
	_new=
	for _q in $T_PIDS; do
		[ "$_q" = "$1" ] || _new="$_new $_q"
	done
	T_PIDS=$_new
}

# spawn - NAME LOG CMD...: start CMD in the background, output appended to
# LOG; sets SPAWNED_PID and remembers it for cleanup
spawn() {
	_name=$1
	_log=$2
	shift 2
	"$@" >>"$_log" 2>&1 </dev/null &
	SPAWNED_PID=$!
	T_PIDS="$T_PIDS $SPAWNED_PID"
	echo "$SPAWNED_PID" >"$T_TMP/pids/$_name"
}

# t_show_logs - print the tail of every log, for a failed test
t_show_logs() {
	for _f in "$T_TMP"/milter*.log "$T_TMP"/noop*.log "$T_TMP"/router*.log \
	    "$T_TMP/dovecot/dovecot.log" "$T_TMP/sendmail/trace.log" \
	    "$T_TMP/postfix/maillog" "$T_TMP"/postfix-*/maillog \
	    "$T_TMP/redis/redis.log" "$T_TMP/sink.log"; do
		[ -s "$_f" ] || continue
		diag "---- last lines of $_f ----"
		diag "$(tail -n 25 "$_f" | tr -d '\r')"
	done
}

# t_cleanup - EXIT trap: stop everything by pid, remove the temp dir
# (unless T_KEEP_RUNNING=1: the demo leaves its servers up on request)
t_cleanup() {
	_rc=$?
	trap - EXIT INT TERM HUP
	# Whoever read our output may be gone: keep cleaning up regardless.
	trap '' PIPE
	[ -n "$T_WATCHDOG" ] && kill "$T_WATCHDOG" 2>/dev/null && t_reap "$T_WATCHDOG"
	[ "${T_KEEP_RUNNING:-0}" = 1 ] && exit "$_rc"
	if [ -n "$T_TMP" ] && [ "$T_TAP" = 1 ] && [ "$T_FAILED" -gt 0 ]; then
		t_show_logs
	fi
	[ -n "$T_TMP" ] && t_stop_postfixes
	[ -n "$T_TMP" ] && stop_sendmail
	for _p in $T_PIDS; do
		kill -TERM "$_p" 2>/dev/null
	done
	for _p in $T_PIDS; do
		kill_pid "$_p" 3
	done
	T_PIDS=
	if [ -n "$T_TMP" ] && [ -d "$T_TMP" ]; then
		if [ "${MAILACD_KEEP:-0}" = 1 ]; then
			diag "kept $T_TMP"
		else
			rm -rf "$T_TMP"
		fi
	fi
	if [ "$T_TAP" = 1 ] && [ -n "$T_PLAN" ] && [ "$T_PLAN" != 0 ] &&
	    [ "$T_N" -ne "$T_PLAN" ]; then
		diag "planned $T_PLAN assertions but ran $T_N"
		[ "$_rc" -eq 0 ] && _rc=1
	fi
	[ "$T_FAILED" -gt 0 ] && [ "$_rc" -eq 0 ] && _rc=1
	exit "$_rc"
}

# t_setup - make the temp dir, install the trap and the watchdog
t_setup() {
	T_TMP=$(mktemp -d "${MAILACD_TMPDIR:-/tmp}/mailacd-t.XXXXXX") ||
	    bail_out "cannot make a temp dir"
	# Postfix and smtp-sink run as "postfix" and must reach their files.
	chmod 755 "$T_TMP"
	mkdir -p "$T_TMP/pids"
	: >"$T_TMP/ports"
	trap t_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	# prove (or "| head") gone: without this the shell dies on the next
	# write and leaves every server running.
	trap 'exit 141' PIPE
	# The watchdog ends a hung test: it signals the test shell (whose trap
	# runs once the current command returns) and then that shell's
	# children, by pid, so that the current command does return.
	_to=${MAILACD_TEST_TIMEOUT:-150}
	[ "$_to" = 0 ] && return 0
	sh -c '
		sleep "$1" >/dev/null 2>&1 </dev/null &
		s=$!
		trap "kill \$s 2>/dev/null; exit 0" TERM
		wait $s
		echo "not ok - watchdog: still running after $1 s, stopping"
		kill -TERM "$2" 2>/dev/null
		for p in $(ps -o pid= --ppid "$2"); do
			[ "$p" = "$$" ] || kill -TERM "$p" 2>/dev/null
		done
	' watchdog "$_to" $$ &
	T_WATCHDOG=$!
}

# --- waiting ------------------------------------------------------------------

# wait_for - SECONDS CMD...: poll CMD every 0.1 s until it succeeds;
# returns 1 when SECONDS pass first
wait_for() {
	_lim=$(( $1 * 10 ))
	shift
	_i=0
	while ! "$@"; do
		_i=$((_i + 1))
		[ $_i -ge $_lim ] && return 1
		sleep 0.1
	done
	return 0
}

# now_ms - wall clock in milliseconds
now_ms() {
	date +%s%3N
}

# --- ports ------------------------------------------------------------------

# port_busy - something listens on or uses TCP port PORT
port_busy() {
	[ -n "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]
}

# port_listening - a TCP listener on 127.0.0.1:PORT (or any address)
port_listening() {
	[ -n "$(ss -Htln "( sport = :$1 )" 2>/dev/null)" ]
}

# free_port - print a free loopback TCP port below the ephemeral range,
# never one handed out before in this test
free_port() {
	_lo=10000
	_hi=$(awk '{print $1 - 1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ -n "$_hi" ] && [ "$_hi" -gt 12000 ] || _hi=32767
	_i=0
	while [ $_i -lt 500 ]; do
		_i=$((_i + 1))
		_r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		_p=$(( _lo + _r % (_hi - _lo) ))
		case " $(cat "$T_TMP/ports") " in
		*" $_p "*) continue ;;
		esac
		port_busy "$_p" && continue
		echo "$_p" >>"$T_TMP/ports"
		echo "$_p"
		return 0
	done
	bail_out "no free port found"
}

# --- Redis ------------------------------------------------------------------

# rcli - redis-cli against the private Redis, raw output
rcli() {
	redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --raw "$@"
}

# redis_up - the private Redis answers PING
redis_up() {
	[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
}

# t_redis_spawn - start redis-server on REDIS_PORT and wait for PONG (with
# the wall clock of file REDIS_CLOCK when that is set)
t_redis_spawn() {
	if [ -n "${REDIS_CLOCK:-}" ]; then
		set -- env LD_PRELOAD="$MAILACD_BUILD/t/fakeclock.so" \
		    MAILACD_FAKECLOCK="$REDIS_CLOCK"
	else
		set --
	fi
	spawn redis "$T_TMP/redis/redis.log" "$@" redis-server \
	    --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode yes \
	    --dir "$T_TMP/redis" --dbfilename dump.rdb --save '' \
	    --appendonly no --daemonize no --supervised no \
	    --pidfile "$T_TMP/redis/redis.pid" --logfile '' ${REDIS_ARGS:-}
	REDIS_PID=$SPAWNED_PID
	if ! wait_for 10 redis_up; then
		diag "redis-server on port $REDIS_PORT did not answer" \
		    "$(tail -n 20 "$T_TMP/redis/redis.log")"
		return 1
	fi
}

# start_redis - a throw-away redis-server on a free loopback port
# (sets REDIS_PORT, REDIS_PID)
start_redis() {
	REDIS_PORT=$(free_port)
	mkdir -p "$T_TMP/redis"
	t_redis_spawn
}

# start_redis_clock - start_redis with a wall clock the test sets with
# redis_clock (t/lib/fakeclock.c preloaded), the real one until then
start_redis_clock() {
	[ -r "$MAILACD_BUILD/t/fakeclock.so" ] ||
	    bail_out "$MAILACD_BUILD/t/fakeclock.so not built (run make)"
	mkdir -p "$T_TMP/redis"
	REDIS_CLOCK=$T_TMP/redis/clock
	: >"$REDIS_CLOCK"
	start_redis
}

# redis_clock MS - the private Redis's wall clock (TIME, the library's
# clock, expiry) stands at MS, Unix milliseconds, until the next call; ""
# gives it the real time again
redis_clock() {
	printf '%s\n' "$1" >"$REDIS_CLOCK.new" && mv "$REDIS_CLOCK.new" "$REDIS_CLOCK"
}

# stop_redis - stop the private Redis, saving its data so that a restart
# on the same port finds it again (an outage, not a wipe)
stop_redis() {
	redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown save >/dev/null 2>&1
	wait_for 10 t_not_alive "$REDIS_PID" || kill_pid "$REDIS_PID"
	t_reap "$REDIS_PID"
	t_forget "$REDIS_PID"
	wait_for 5 t_port_free "$REDIS_PORT"
}

t_not_alive() { ! t_alive "$1"; }
t_port_free() { ! port_listening "$1"; }

# restart_redis - start the private Redis again on the same port
restart_redis() {
	t_redis_spawn
}

# crash_redis - SIGKILL the private Redis, as a crash would (no save)
crash_redis() {
	kill -KILL "$REDIS_PID" 2>/dev/null
	wait_for 10 t_not_alive "$REDIS_PID"
	t_reap "$REDIS_PID"
	t_forget "$REDIS_PID"
	wait_for 5 t_port_free "$REDIS_PORT"
}

# stream_key - ORG: the ingest stream's name
stream_key() {
	echo "mailacd:{$1}:ingest"
}

# stream_len - ORG: entries in the organisation's ingest stream
stream_len() {
	rcli XLEN "$(stream_key "$1")"
}

# stream_field - ORG N FIELD: FIELD of the Nth (1-based) stream entry
stream_field() {
	rcli EVAL '
		local r = redis.call("XRANGE", KEYS[1], "-", "+")
		local e = r[tonumber(ARGV[1])]
		if not e then return false end
		local f = e[2]
		for i = 1, #f, 2 do
			if f[i] == ARGV[2] then return f[i + 1] end
		end
		return false' 1 "$(stream_key "$1")" "$2" "$3"
}

# stream_find - ORG FIELD VALUE: indexes (1-based) of entries where
# FIELD = VALUE, one per line
stream_find() {
	rcli EVAL '
		local r = redis.call("XRANGE", KEYS[1], "-", "+")
		local out = {}
		for n, e in ipairs(r) do
			local f = e[2]
			for i = 1, #f, 2 do
				if f[i] == ARGV[1] and f[i + 1] == ARGV[2] then
					out[#out + 1] = n
				end
			end
		end
		return out' 1 "$(stream_key "$1")" "$2" "$3"
}

# stream_entry - ORG N: the Nth (1-based) entry, its id then one
# "field: value" line per field
stream_entry() {
	rcli EVAL '
		local r = redis.call("XRANGE", KEYS[1], "-", "+")
		local e = r[tonumber(ARGV[1])]
		if not e then return {} end
		local out = { "entry " .. e[1] }
		local f = e[2]
		for i = 1, #f, 2 do
			out[#out + 1] = string.format("%-12s %s", f[i] .. ":", f[i + 1])
		end
		return out' 1 "$(stream_key "$1")" "$2"
}

# stream_dump - ORG: every entry, "field=value" lines, for diagnostics
stream_dump() {
	rcli EVAL '
		local r = redis.call("XRANGE", KEYS[1], "-", "+")
		local out = {}
		for _, e in ipairs(r) do
			out[#out + 1] = "entry " .. e[1]
			local f = e[2]
			for i = 1, #f, 2 do
				out[#out + 1] = "  " .. f[i] .. "=" .. f[i + 1]
			end
		end
		return out' 1 "$(stream_key "$1")"
}

# --- smtp-sink ----------------------------------------------------------------

# start_sink - a capturing SMTP server (t/lib/smtp-capture.py) on a free
# port: each message's DATA bytes exactly as received in SINK_RAW, and a
# dump in smtp-sink's layout in SINK_DIR (sets SINK_PORT, SINK_DIR,
# SINK_RAW, SINK_PID).  SINK_IMPL=smtp-sink uses Postfix's smtp-sink
# instead (faster; the benchmarks' throughput runs), which keeps no raw
# bytes.
start_sink() {
	SINK_PORT=$(free_port)
	SINK_DIR=$T_TMP/sink
	SINK_RAW=$T_TMP/sink-raw
	mkdir -p "$SINK_DIR" "$SINK_RAW"
	if [ "${SINK_IMPL:-capture}" = smtp-sink ]; then
		chown postfix "$SINK_DIR"
		spawn sink "$T_TMP/sink.log" smtp-sink -u postfix -c \
		    -d "$SINK_DIR/%H%M%S." "127.0.0.1:$SINK_PORT" 256
	else
		spawn sink "$T_TMP/sink.log" /usr/bin/python3 \
		    "$T_TOP/t/lib/smtp-capture.py" 127.0.0.1 "$SINK_PORT" \
		    "$SINK_DIR" "$SINK_RAW"
	fi
	SINK_PID=$SPAWNED_PID
	if ! wait_for 10 port_listening "$SINK_PORT"; then
		diag "the sink did not listen on $SINK_PORT" "$(cat "$T_TMP/sink.log")"
		return 1
	fi
}

# sink_raw - FILE: the bytes the sink received for dump FILE, unchanged
sink_raw() {
	[ -f "$SINK_RAW/$(basename "${1:-none}")" ] || return 1
	cat "$SINK_RAW/$(basename "$1")"
}

# sink_count - messages the sink has received
sink_count() {
	find "$SINK_DIR" -type f | wc -l
}

# t_sink_has - the sink holds at least N messages
t_sink_has() {
	[ "$(sink_count)" -ge "$1" ]
}

# wait_sink - N [SECONDS]: wait until the sink holds N messages and the
# private Postfix queue is empty; 1 on timeout
wait_sink() {
	wait_for "${2:-30}" t_sink_has "$1" || return 1
	wait_for "${2:-30}" queue_empty
}

# sink_files - every dump file, oldest first
sink_files() {
	ls -1tr "$SINK_DIR"/* 2>/dev/null
}

# sink_find - MESSAGE-ID (without <>): the dump files of that message
sink_find() {
	for _f in $(sink_files); do
		if msg_header "$_f" Message-ID | grep -Fqx "<$1>"; then
			echo "$_f"
		fi
	done
}

# sink_message - FILE: the message as delivered, without smtp-sink's own
# X-Client-*/X-Helo-Args/X-Mail-Args/X-Rcpt-Args lines at the top and the
# empty line it appends
sink_message() {
	[ -f "${1:-}" ] || return 0
	awk 'done || !/^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args): / {
		if (done) print last
		done = 1; last = $0 }
	    END { if (done && last != "") print last }' "$1"
}

# sink_rcpts - FILE: the envelope recipients smtp-sink recorded, one a line
sink_rcpts() {
	[ -f "${1:-}" ] || return 0
	awk '/^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args): / {
		if ($1 == "X-Rcpt-Args:") print $2; next } { exit }' "$1" |
	    sed 's/^TO://; s/^<//; s/>$//'
}

# msg_headers - FILE: the header section, unfolded (one header a line,
# folding whitespace kept as a single space), LF endings
msg_headers() {
	sink_message "$1" | tr -d '\r' | awk '
		/^$/ { exit }
		/^[ \t]/ { sub(/^[ \t]+/, " "); cur = cur $0; next }
		{ if (cur != "") print cur; cur = $0 }
		END { if (cur != "") print cur }'
}

# msg_header - FILE NAME: the value of every NAME header (any case),
# unfolded, leading white space removed, one a line
msg_header() {
	msg_headers "$1" | awk -v n="$2" '
		BEGIN { n = tolower(n) ":" }
		{ i = index($0, ":"); if (i == 0) next
		  if (tolower(substr($0, 1, i)) != n) next
		  v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v }'
}

# msg_header_names - FILE: every header name, one a line
msg_header_names() {
	msg_headers "$1" | sed -n 's/^\([^: ]*\):.*/\1/p'
}

# msg_body - FILE: the body (after the first empty line), LF endings
msg_body() {
	sink_message "$1" | tr -d '\r' | awk 'body { print } /^$/ { body = 1 }'
}

# hdr_id - VALUE: the interaction id of an X-MailACD-Interaction value
hdr_id() {
	printf '%s\n' "$1" | sed 's/[[:space:]]*;.*//; s/^[[:space:]]*//'
}

# hdr_param - VALUE NAME: one parameter of an X-MailACD-Interaction value
# ("" when absent); white space around ";" and "=" is ignored
hdr_param() {
	printf '%s\n' "$1" | tr '\t' ' ' | tr ';' '\n' | sed 1d |
	    sed 's/^ *//; s/ *$//; s/ *= */=/' |
	    awk -v n="$2" -F= 'tolower($1) == n { sub(/^[^=]*=/, ""); print; exit }'
}

# --- Postfix ------------------------------------------------------------------

# pf - postconf/postfix/postqueue helpers bound to the private instance
pf_postconf() { postconf -c "$PF_CONF" "$@"; }
queue_empty() {
	postqueue -c "$PF_CONF" -p 2>/dev/null | grep -q 'Mail queue is empty'
}
queue_listing() { postqueue -c "$PF_CONF" -p 2>&1; }

# start_postfix - [MILTER_SPEC [NAME]]: a private Postfix relaying
# everything to the sink; MILTER_SPEC is Postfix syntax
# (inet:127.0.0.1:PORT, unix:/path) or empty for no milter (sets
# SMTP_PORT, PF_CONF, PF_QUEUE).  NAME starts another instance beside the
# first, in $T_TMP/postfix-NAME with host name NAME.mailacd.test; the
# helpers below act on the one started last, or chosen by postfix_use
start_postfix() {
	SMTP_PORT=$(free_port)
	PF_BASE=$T_TMP/postfix${2:+-$2}
	PF_CONF=$PF_BASE/etc
	PF_QUEUE=$PF_BASE/queue
	PF_DATA=$PF_BASE/data
	mkdir -p "$PF_CONF" "$PF_QUEUE" "$PF_DATA"
	chown postfix "$PF_DATA"
	: >"$PF_BASE/maillog"
	cat >"$PF_CONF/main.cf" <<EOF
# Private Postfix instance of a mailacd test: loopback only, relays all
# mail to smtp-sink on 127.0.0.1:$SINK_PORT.
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = ${2:-mx}.mailacd.test
mydomain = mailacd.test
myorigin = \$myhostname
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
default_transport = smtp:[127.0.0.1]:$SINK_PORT
relay_transport = relay:[127.0.0.1]:$SINK_PORT
maillog_file = $PF_BASE/maillog
maillog_file_prefixes = $T_TMP
biff = no
append_dot_mydomain = no
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtpd_banner = \$myhostname ESMTP private test instance
# Failed transactions must not slow or cut off the test clients.
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
# Retry deferred mail quickly, never bounce during a test.
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
delay_warning_time = 0
smtp_connect_timeout = 5s
# The milter under test.
smtpd_milters = ${1:-}
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 5s
milter_command_timeout = 10s
milter_content_timeout = 20s
EOF
	if [ -n "${PF_EXTRA_MAIN:-}" ]; then
		printf '%s\n' "$PF_EXTRA_MAIN" >>"$PF_CONF/main.cf"
	fi
	# Debian's service list, chroot off everywhere, smtpd on our port.
	cat >"$PF_CONF/master.cf" <<EOF
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
        -o syslog_name=postfix/\$service_name
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	if ! postfix -c "$PF_CONF" check >"$PF_BASE/check.log" 2>&1; then
		diag "postfix check failed" "$(cat "$PF_BASE/check.log")"
		return 1
	fi
	if ! timeout 30 postfix -c "$PF_CONF" start >"$PF_BASE/start.log" 2>&1; then
		diag "postfix start failed" "$(cat "$PF_BASE/start.log")" \
		    "$(tail -n 20 "$PF_BASE/maillog")"
		return 1
	fi
	PF_MASTER_PID=$(sed 1q "$PF_QUEUE/pid/master.pid" 2>/dev/null | tr -d ' ')
	echo "$SMTP_PORT" >"$PF_BASE/smtp_port"
	grep -qx "$PF_BASE" "$T_TMP/postfixes" 2>/dev/null ||
	    echo "$PF_BASE" >>"$T_TMP/postfixes"
	if ! wait_for 15 port_listening "$SMTP_PORT"; then
		diag "postfix smtpd did not listen on $SMTP_PORT" \
		    "$(tail -n 20 "$PF_BASE/maillog")"
		return 1
	fi
}

# postfix_use - [NAME]: the helpers (pf_postconf, queue_empty,
# queue_listing, stop_postfix) act on instance NAME from now on (none: the
# first); sets SMTP_PORT, PF_BASE, PF_CONF, PF_QUEUE, PF_DATA
postfix_use() {
	PF_BASE=$T_TMP/postfix${1:+-$1}
	PF_CONF=$PF_BASE/etc
	PF_QUEUE=$PF_BASE/queue
	PF_DATA=$PF_BASE/data
	PF_MASTER_PID=
	SMTP_PORT=$(cat "$PF_BASE/smtp_port" 2>/dev/null)
}

# t_stop_postfixes - stop every private instance started (EXIT trap)
t_stop_postfixes() {
	stop_postfix
	[ -f "$T_TMP/postfixes" ] || return 0
	for _b in $(cat "$T_TMP/postfixes"); do
		PF_BASE=$_b PF_CONF=$_b/etc PF_QUEUE=$_b/queue PF_MASTER_PID=
		stop_postfix
	done
}

# stop_postfix - stop the private instance and every process it started
stop_postfix() {
	[ -n "${PF_CONF:-}" ] && [ -f "$PF_CONF/main.cf" ] || return 0
	_m=$(sed 1q "$PF_QUEUE/pid/master.pid" 2>/dev/null | tr -d ' ')
	[ -n "$_m" ] || _m=${PF_MASTER_PID:-}
	if [ -n "$_m" ] && t_alive "$_m"; then
		timeout 20 postfix -c "$PF_CONF" stop >>"$PF_BASE/start.log" 2>&1
		wait_for 10 t_not_alive "$_m" || kill -KILL "$_m" 2>/dev/null
		# The master leads its own process group: whatever is left of
		# its children goes with it.
		kill -s KILL -- "-$_m" 2>/dev/null
	fi
	PF_CONF=
}

# --- Sendmail -----------------------------------------------------------------
#
# Debian's sendmail-bin conflicts with postfix (both provide the system
# MTA), so it is not installed: contrib/install-deps.sh unpacks the
# sendmail-bin, sendmail-base and sendmail-cf packages with dpkg-deb -x
# into /var/cache/mailacd-test/sendmail and installs only their libraries.
# A private instance runs that binary as root with its own sendmail.cf
# (built here with m4 from the unpacked sendmail-cf), queue, pid file and
# loopback port, in the foreground (-bD).  Sendmail qualifies its host
# name before it reads any configuration and sleeps a minute when it
# cannot: it runs in a UTS namespace of its own (unshare --uts) whose host
# name is mx.sendmail.test, which leaves the machine's name alone.  It
# logs to syslog only, and there is no syslog here: -X writes a transcript
# of its SMTP sessions (the client's and its own to the sink) to
# SM_BASE/trace.log instead.

# require_sendmail - skip unless Sendmail's binary and m4 files are there
# (sets SM_ROOT, SM_BIN, SM_CFDIR)
require_sendmail() {
	if [ -n "${MAILACD_SENDMAIL_ROOT:-}" ]; then
		SM_ROOT=$MAILACD_SENDMAIL_ROOT
	elif [ -x /usr/libexec/sendmail/sendmail ] &&
	    [ -f /usr/share/sendmail/cf/m4/cf.m4 ]; then
		SM_ROOT=
	else
		SM_ROOT=/var/cache/mailacd-test/sendmail
	fi
	SM_BIN=$SM_ROOT/usr/libexec/sendmail/sendmail
	SM_CFDIR=$SM_ROOT/usr/share/sendmail/cf
	[ -x "$SM_BIN" ] && [ -f "$SM_CFDIR/m4/cf.m4" ] ||
	    skip_all "Sendmail not unpacked in ${SM_ROOT:-/} (sh contrib/install-deps.sh)"
	require_tools m4 unshare hostname
	unshare --uts true 2>/dev/null ||
	    skip_all "unshare --uts is not permitted here (a container without CAP_SYS_ADMIN?): Sendmail would wait a minute for a qualified host name"
}

# start_sendmail - [INPUT_MAIL_FILTER_ARGS [MORE_MC]]: a private Sendmail
# relaying everything to the sink, with the milter given as the two
# arguments of INPUT_MAIL_FILTER (m4-quoted: `mailacd', `S=...'), and
# MORE_MC appended to the .mc before the mailers (sets SMTP_PORT, SM_BASE,
# SM_QUEUE, SM_PID)
start_sendmail() {
	SMTP_PORT=$(free_port)
	SM_BASE=$T_TMP/sendmail
	SM_QUEUE=$SM_BASE/queue
	mkdir -p "$SM_QUEUE"
	chmod 700 "$SM_QUEUE"
	printf '127.0.0.1\tlocalhost mx.sendmail.test\n' >"$SM_BASE/hosts"
	printf 'hosts\tfiles\naliases\tfiles\n' >"$SM_BASE/service.switch"
	# m4 quotes are ` and ': the .mc is written with printf, not a
	# here-document, so that the shell leaves them alone
	{
		printf 'divert(-1)\ndivert(0)dnl\n'
		printf "VERSIONID(\`mailacd private test instance')dnl\n"
		printf "OSTYPE(\`linux')dnl\n"
		printf "define(\`confDOMAIN_NAME', \`mx.sendmail.test')dnl\n"
		printf "define(\`confDONT_PROBE_INTERFACES', \`True')dnl\n"
		printf "define(\`QUEUE_DIR', \`%s')dnl\n" "$SM_QUEUE"
		printf "define(\`STATUS_FILE', \`%s/statistics')dnl\n" "$SM_BASE"
		printf "define(\`ALIAS_FILE', \`')dnl\n"
		printf "define(\`HELP_FILE', \`')dnl\n"
		printf "define(\`confPID_FILE', \`%s/sendmail.pid')dnl\n" "$SM_BASE"
		printf "define(\`confSERVICE_SWITCH_FILE', \`%s/service.switch')dnl\n" "$SM_BASE"
		printf "define(\`confHOSTS_FILE', \`%s/hosts')dnl\n" "$SM_BASE"
		printf "define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl\n"
		printf "define(\`confDONT_BLAME_SENDMAIL', \`GroupWritableDirPathSafe')dnl\n"
		printf "define(\`SMART_HOST', \`esmtp:[127.0.0.1]')dnl\n"
		printf "define(\`ESMTP_MAILER_ARGS', \`TCP \$h %s')dnl\n" "$SINK_PORT"
		printf "define(\`RELAY_MAILER_ARGS', \`TCP \$h %s')dnl\n" "$SINK_PORT"
		printf "define(\`confTO_QUEUERETURN', \`1h')dnl\n"
		printf "define(\`confTO_QUEUEWARN', \`1h')dnl\n"
		printf "FEATURE(\`nocanonify')dnl\n"
		printf "FEATURE(\`promiscuous_relay')dnl\n"
		printf "FEATURE(\`accept_unresolvable_domains')dnl\n"
		printf "FEATURE(\`accept_unqualified_senders')dnl\n"
		printf "FEATURE(\`no_default_msa')dnl\n"
		printf "DAEMON_OPTIONS(\`Family=inet, Name=MTA, Addr=127.0.0.1, Port=%s')dnl\n" "$SMTP_PORT"
		if [ -n "${1:-}" ]; then
			printf 'INPUT_MAIL_FILTER(%s)dnl\n' "$1"
		fi
		[ -n "${2:-}" ] && printf '%s\n' "$2"
		printf "MAILER(\`smtp')dnl\n"
	} >"$SM_BASE/sendmail.mc"
	if ! m4 -D_CF_DIR_="$SM_CFDIR/" "$SM_CFDIR/m4/cf.m4" \
	    "$SM_BASE/sendmail.mc" >"$SM_BASE/sendmail.cf" 2>"$SM_BASE/m4.log"; then
		diag "m4 could not build sendmail.cf" "$(cat "$SM_BASE/m4.log")"
		return 1
	fi
	# -bD: daemon in the foreground; -q10s: retry the queue quickly
	spawn sendmail "$SM_BASE/sendmail.log" unshare --uts sh -c \
	    'hostname mx.sendmail.test && exec "$@"' sendmail \
	    "$SM_BIN" -C "$SM_BASE/sendmail.cf" -bD -q10s -X "$SM_BASE/trace.log"
	SM_PID=$SPAWNED_PID
	if ! wait_for 30 port_listening "$SMTP_PORT"; then
		diag "sendmail did not listen on $SMTP_PORT" \
		    "$(tail -n 20 "$SM_BASE/sendmail.log")"
		return 1
	fi
}

# stop_sendmail - stop the private Sendmail and the children it forked
stop_sendmail() {
	[ -n "${SM_PID:-}" ] || return 0
	_kids=$(ps -o pid= --ppid "$SM_PID" 2>/dev/null)
	kill_pid "$SM_PID" 10
	t_forget "$SM_PID"
	for _p in $_kids; do
		kill_pid "$_p" 3
	done
	SM_PID=
}

# sm_queue_empty - the private Sendmail's queue holds no message
sm_queue_empty() {
	[ -z "$(ls "$SM_QUEUE" 2>/dev/null | grep '^[qd]f')" ]
}

# sm_queue_listing - the files in the private Sendmail's queue
sm_queue_listing() {
	ls -l "$SM_QUEUE" 2>&1
}

# --- mail ---------------------------------------------------------------------

T_SWAKS_N=0

# send_mail - FILE FROM TO[,TO...]: send FILE with swaks to the private
# Postfix; the transcript goes to SWAKS_LOG; returns swaks' status.  The
# message sent is FILE byte for byte (swaks adds CRLF line ends and the
# final line break itself: it gets FILE without its last newline).
send_mail() {
	# a counter in a file: callers may run in $(...) subshells
	T_SWAKS_N=$(($(cat "$T_TMP/swaks.n" 2>/dev/null || echo 0) + 1))
	echo "$T_SWAKS_N" >"$T_TMP/swaks.n"
	SWAKS_LOG=$T_TMP/swaks.$T_SWAKS_N.log
	printf '%s' "$(cat "$1")" >"$T_TMP/swaks.$T_SWAKS_N.eml"
	swaks --server 127.0.0.1 --port "$SMTP_PORT" --helo client.mailacd.test \
	    --from "$2" --to "$3" --data "@$T_TMP/swaks.$T_SWAKS_N.eml" \
	    --timeout 40 >"$SWAKS_LOG" 2>&1 </dev/null
}

# swaks_final_reply - the server's reply to the end of DATA in SWAKS_LOG
swaks_final_reply() {
	awk 'seen && /^<[*-]/ { sub(/^<[*-]* */, ""); print; exit }
	    /^ -> \.$/ { seen = 1 }' "${1:-$SWAKS_LOG}" | tr -d '\r'
}

# --- milters ------------------------------------------------------------------

# t_milter_sockets - KIND NAME: set T_MSOCK (libmilter syntax) and T_MPF
# (Postfix syntax) for a fresh unix or inet socket; KIND may also be a
# socket already chosen: inet:PORT@127.0.0.1 or unix:/path
t_milter_sockets() {
	case $1 in
	inet:*@*)
		T_MSOCK=$1
		T_MPORT=${1#inet:}
		T_MPORT=${T_MPORT%@*}
		T_MPF=inet:${1#*@}:$T_MPORT
		;;
	unix:/*)
		T_MSOCK=$1
		T_MPF=$1
		T_MPORT=
		;;
	unix)
		T_MSOCK=unix:$T_TMP/$2.sock
		T_MPF=unix:$T_TMP/$2.sock
		T_MPORT=
		;;
	inet)
		T_MPORT=$(free_port)
		T_MSOCK=inet:$T_MPORT@127.0.0.1
		T_MPF=inet:127.0.0.1:$T_MPORT
		;;
	*)
		bail_out "milter socket kind '$1': want unix or inet"
		;;
	esac
}

# t_milter_listening - the socket in T_MSOCK takes connections
t_milter_listening() {
	case $T_MSOCK in
	unix:*) [ -S "${T_MSOCK#unix:}" ] ;;
	inet:*) port_listening "$T_MPORT" ;;
	esac
}

# t_wait_milter - PID LOG: wait until PID listens on T_MSOCK
t_wait_milter() {
	_i=0
	while ! t_milter_listening; do
		if ! t_alive "$1"; then
			t_reap "$1"
			diag "milter exited before listening on $T_MSOCK:" \
			    "$(tail -n 30 "$2")"
			return 1
		fi
		_i=$((_i + 1))
		if [ $_i -ge 100 ]; then
			diag "milter not listening on $T_MSOCK after 10 s:" \
			    "$(tail -n 30 "$2")"
			return 1
		fi
		sleep 0.1
	done
}

# milter_conf - [EXTRA_ADDRESSES [AGENTS [QUEUE_SETTINGS [DOMAIN_SETTINGS
# [TOP_SETTINGS]]]]]: print a mailacd.conf for the private Redis and
# MILTER_SOCKET; EXTRA_ADDRESSES are more address entries of example.com
# (libconfig, each ending in a comma), AGENTS the elements of acme's agents
# list (libconfig groups separated by commas), QUEUE_SETTINGS more settings
# for every queue (e.g. 'strategy = "least-busy";'), DOMAIN_SETTINGS more
# settings of example.com (e.g. its dkim group), TOP_SETTINGS more
# top-level groups (e.g. outbound)
milter_conf() {
	cat <<EOF
# mailacd.conf written by t/lib/harness.sh
redis = {
	host = "127.0.0.1";
	port = $REDIS_PORT;
	connect_timeout_ms = 500;
	command_timeout_ms = 1000;
};
milter = {
	socket = "$MILTER_SOCKET";
	on_redis_failure = "tempfail";
	sender_rate_limit = ${MILTER_SENDER_RATE_LIMIT:-60};
};
${5:-}
organizations = (
	{
		id = "acme";
		queues = ( { name = "support"; ${3:-} }, { name = "billing"; ${3:-} },
			   { name = "sales"; ${3:-} } );
		agents = ( ${2:-} );
		domains = (
			{
				name = "example.com";
				${4:-}
				addresses = (
					${1:-}
					{ address = "support@example.com"; queue = "support";
					  skills = [ "general", "email" ]; language = "en";
					  priority = 10; },
					{ address = "billing@example.com"; queue = "billing";
					  priority = 20; }
				);
			}
		);
	}
);
EOF
}

# start_milter - KIND [CONF]: start mailacd-milter in the foreground on a
# fresh unix or inet socket; writes CONF (default $T_TMP/mailacd.conf)
# with milter_conf unless it exists.  Sets MILTER_SOCKET, MILTER_PF (for
# start_postfix), MILTER_CONF, MILTER_LOG, MILTER_PID.
start_milter() {
	t_milter_sockets "$1" milter
	MILTER_SOCKET=$T_MSOCK
	MILTER_PF=$T_MPF
	MILTER_CONF=${2:-$T_TMP/mailacd.conf}
	MILTER_LOG=$T_TMP/milter.log
	[ -f "$MILTER_CONF" ] || milter_conf >"$MILTER_CONF"
	# a stale socket file of a milter that stopped would look like the
	# new one listening (t_milter_listening) before it does
	case $MILTER_SOCKET in
	unix:*) rm -f "${MILTER_SOCKET#unix:}" ;;
	esac
	# umask 0: Postfix's smtpd (user postfix) must be able to connect to
	# a unix socket made by a milter running as root.
	spawn milter "$MILTER_LOG" sh -c 'umask 0; exec "$@"' milter \
	    "$MAILACD_BUILD/mailacd-milter" -f -c "$MILTER_CONF" \
	    -p "$MILTER_SOCKET" ${MILTER_ARGS:-}
	MILTER_PID=$SPAWNED_PID
	t_wait_milter "$MILTER_PID" "$MILTER_LOG"
}

# mt_run SCRIPT - run t/milter/SCRIPT with miltertest against
# $MILTER_SOCKET; its "ok -"/"not ok -" lines become numbered TAP lines
# here (NR=0: the milter answers every step)
mt_run() {
	_out=$T_TMP/mt-$1.out
	miltertest -s "$T_TOP/t/milter/$1" -D sock="$MILTER_SOCKET" -D dir="$T_TOP/t/milter" -D nr="${NR:-1}" \
	    -D redis="${MT_REDIS:-up}" \
	    >"$_out" 2>&1
	_rc=$?
	while IFS= read -r _l; do
		case $_l in
		"ok - "*) pass "${_l#ok - }" ;;
		"not ok - "*) fail "${_l#not ok - }" ;;
		"#"*) note "${_l#\# }" ;;
		*) note "miltertest: $_l" ;;
		esac
	done <"$_out"
	is "$_rc" 0 "miltertest $1 ran to the end"
}

# start_stack - KIND: Redis, smtp-sink, mailacd-milter on a KIND (unix or
# inet) socket and a private Postfix using it, or bail out
start_stack() {
	start_redis || bail_out "cannot start redis-server"
	start_sink || bail_out "cannot start smtp-sink"
	start_milter "$1" || bail_out "cannot start mailacd-milter"
	start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
	note "redis :$REDIS_PORT  sink :$SINK_PORT  smtpd :$SMTP_PORT " \
	    " milter $MILTER_SOCKET"
}

# milter_log_clean - stop the milter and assert that its log holds no
# sanitizer report (make test-asan) and no crash
milter_log_clean() {
	# LeakSanitizer reports at exit: stop the milter first
	t_alive "$MILTER_PID" && stop_milter
	logs_clean "no sanitizer report or panic in the milter log" "$MILTER_LOG"
}

# logs_clean DESC FILE...: assert that no FILE holds a sanitizer report
# (make test-asan) or a panic; stop the processes that wrote them first
logs_clean() {
	_desc=$1
	shift
	_bad=$(grep -hE 'AddressSanitizer|LeakSanitizer|runtime error:|SUMMARY: |panic' \
	    "$@" 2>/dev/null | sed 5q)
	is "$_bad" "" "$_desc"
}

# json_ok DESC: $OUT is one valid JSON document
json_ok() {
	if printf '%s\n' "$OUT" | /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)' \
	    2>"$T_TMP/json.err"; then
		pass "$1"
	else
		fail "$1"
		diag "$(cat "$T_TMP/json.err")" "$OUT"
	fi
}

# jq EXPR: evaluate a Python expression over the JSON in $OUT (as "d")
jq() {
	printf '%s\n' "$OUT" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if not isinstance(v, bool) else str(v).lower())' "$1"
}

# stop_milter - stop mailacd-milter (SIGTERM, then SIGKILL)
stop_milter() {
	kill_pid "$MILTER_PID" 10
	t_forget "$MILTER_PID"
}

t_setup

# --- DNS ------------------------------------------------------------------------

# start_dns - ARGS...: a private dnsmasq answering on 127.0.0.1, UDP and
# TCP, from its command line only (ARGS: --txt-record=, --mx-host=,
# --cname=, --host-record=, --local=/zone/, --server=/zone/ADDR#PORT ...),
# as the user running the test; no resolv.conf, hosts file, DHCP or
# configuration file.  Sets DNS_PORT, DNS_SERVER (ADDR@PORT, as dns.h
# wants it), DNS_PID and DNS_LOG (every query is logged there)
start_dns() {
	mkdir -p "$T_TMP/dns"
	DNS_LOG=$T_TMP/dns/dnsmasq.log
	# free_port knows TCP only: a busy UDP port makes dnsmasq exit, and
	# another port is tried
	for _try in 1 2 3 4 5; do
		DNS_PORT=$(free_port)
		spawn dns "$DNS_LOG" dnsmasq --keep-in-foreground \
		    --conf-file=/dev/null --user="$(id -un)" \
		    --port="$DNS_PORT" --listen-address=127.0.0.1 \
		    --bind-interfaces --no-resolv --no-hosts --no-poll \
		    --pid-file="$T_TMP/dns/dnsmasq.pid" --log-facility=- \
		    --log-queries "$@"
		DNS_PID=$SPAWNED_PID
		DNS_SERVER=127.0.0.1@$DNS_PORT
		# every socket is bound before the first is served, and
		# queries wait in their buffers: TCP listening means ready
		wait_for 10 t_dns_up "$DNS_PID" "$DNS_PORT"
		if t_alive "$DNS_PID"; then
			port_listening "$DNS_PORT" && return 0
			break
		fi
		t_reap "$DNS_PID"
		t_forget "$DNS_PID"
	done
	diag "dnsmasq did not listen on 127.0.0.1:$DNS_PORT" \
	    "$(tail -n 20 "$DNS_LOG")"
	return 1
}

# t_dns_up - PID PORT: dnsmasq PID listens on PORT, or died (start_dns
# tells which)
t_dns_up() {
	t_alive "$1" || return 0
	port_listening "$2" && return 0
	return 1
}

# --- Dovecot --------------------------------------------------------------

# start_dovecot USER:PASSWORD...: a private Dovecot (dovecot-imapd,
# dovecot-pop3d) under $T_TMP/dovecot with its own configuration: IMAP and
# POP3 on loopback, plain (with STARTTLS) and TLS, a self-signed
# certificate for 127.0.0.1 and localhost ($DOVECOT_CERT, which the test
# trusts explicitly), a passwd-file user database with USERS, and one
# Maildir each (INBOX and a folder "Done") owned by nobody.  Sets
# DOVECOT_IMAP, DOVECOT_IMAPS, DOVECOT_POP3, DOVECOT_POP3S (ports),
# DOVECOT_MAIL (the Maildirs' parent) and DOVECOT_PID.
start_dovecot() {
	_d=$T_TMP/dovecot
	mkdir -p "$_d/run" "$_d/state" "$_d/mail"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
	    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	    -keyout "$_d/key.pem" -out "$_d/cert.pem" >/dev/null 2>&1 || return 1
	chmod 600 "$_d/key.pem"
	DOVECOT_CERT=$_d/cert.pem
	DOVECOT_MAIL=$_d/mail
	: >"$_d/passwd"
	for _u in "$@"; do
		printf '%s:{PLAIN}%s::::::\n' "${_u%%:*}" "${_u#*:}" >>"$_d/passwd"
		for _f in "" /.Done; do
			mkdir -p "$_d/mail/${_u%%:*}$_f/new" "$_d/mail/${_u%%:*}$_f/cur" \
			    "$_d/mail/${_u%%:*}$_f/tmp"
		done
	done
	chown -R nobody:nogroup "$_d/mail"
	DOVECOT_IMAP=$(free_port)
	DOVECOT_IMAPS=$(free_port)
	DOVECOT_POP3=$(free_port)
	DOVECOT_POP3S=$(free_port)
	cat >"$_d/dovecot.conf" <<EOF
# a private Dovecot for mailacd's tests (t/lib/harness.sh)
protocols = imap pop3
listen = 127.0.0.1
base_dir = $_d/run
state_dir = $_d/state
log_path = $_d/dovecot.log
ssl = yes
ssl_cert = <$_d/cert.pem
ssl_key = <$_d/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$_d/mail/%u
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN $_d/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$_d/mail/%u
}
service imap-login {
  inet_listener imap {
    port = $DOVECOT_IMAP
  }
  inet_listener imaps {
    port = $DOVECOT_IMAPS
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $DOVECOT_POP3
  }
  inet_listener pop3s {
    port = $DOVECOT_POP3S
    ssl = yes
  }
}
protocol imap {
  mail_max_userip_connections = 50
}
EOF
	spawn dovecot "$_d/dovecot.out" dovecot -F -c "$_d/dovecot.conf"
	DOVECOT_PID=$SPAWNED_PID
	wait_for 20 port_listening "$DOVECOT_POP3S" &&
	    wait_for 5 port_listening "$DOVECOT_IMAP"
}

# start_submission RELAY-PORT USER:PASSWORD...: a private Dovecot
# submission service (dovecot-submissiond) under $T_TMP/submission that
# takes mail only after SMTP AUTH (passwd-file USERS; plain text, which
# Dovecot allows on loopback, or STARTTLS) on one port and with implicit
# TLS on another (a self-signed certificate for 127.0.0.1 and localhost,
# $SUBMISSION_CERT; Postfix's "secure" level checks names only, so name
# it localhost there), and relays it to 127.0.0.1:RELAY-PORT.  It calls
# itself submit.test in the Received header it adds ("with ESMTPSA" when
# the session had TLS), and logs each relayed message under its user
# ("submission(USER)...: Successfully relayed message: ...").  Sets
# SUBMISSION_PORT, SUBMISSION_TLS_PORT, SUBMISSION_CERT, SUBMISSION_LOG,
# SUBMISSION_PID.
start_submission() {
	_d=$T_TMP/submission
	_relay=$1
	shift
	mkdir -p "$_d/run" "$_d/state" "$_d/home"
	chown nobody:nogroup "$_d/home"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
	    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	    -keyout "$_d/key.pem" -out "$_d/cert.pem" >/dev/null 2>&1 || return 1
	chmod 600 "$_d/key.pem"
	SUBMISSION_CERT=$_d/cert.pem
	: >"$_d/passwd"
	for _u in "$@"; do
		printf '%s:{PLAIN}%s::::::\n' "${_u%%:*}" "${_u#*:}" >>"$_d/passwd"
	done
	SUBMISSION_PORT=$(free_port)
	SUBMISSION_TLS_PORT=$(free_port)
	SUBMISSION_LOG=$_d/dovecot.log
	cat >"$_d/dovecot.conf" <<EOF
# a private Dovecot submission service for mailacd's tests (t/lib/harness.sh)
protocols = submission
listen = 127.0.0.1
base_dir = $_d/run
state_dir = $_d/state
log_path = $SUBMISSION_LOG
ssl = yes
ssl_cert = <$_d/cert.pem
ssl_key = <$_d/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
hostname = submit.test
submission_relay_host = 127.0.0.1
submission_relay_port = $_relay
submission_relay_trusted = no
mail_location = maildir:$_d/home/%u
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN $_d/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$_d/home/%u
}
service submission-login {
  inet_listener submission {
    port = $SUBMISSION_PORT
  }
  inet_listener submissions {
    port = $SUBMISSION_TLS_PORT
    ssl = yes
  }
}
EOF
	spawn submission "$_d/dovecot.out" dovecot -F -c "$_d/dovecot.conf"
	SUBMISSION_PID=$SPAWNED_PID
	wait_for 20 port_listening "$SUBMISSION_PORT" &&
	    wait_for 5 port_listening "$SUBMISSION_TLS_PORT"
}

# dovecot_put USER FILE: deliver the message in FILE (LF line ends) to
# USER's INBOX, as an MTA would: into its Maildir's new/
dovecot_put() {
	_n=$(date +%s).$$.$(od -An -N4 -tu4 /dev/urandom | tr -d ' ').localhost
	sed 's/$/\r/' "$2" >"$DOVECOT_MAIL/$1/tmp/$_n" &&
	    chown nobody:nogroup "$DOVECOT_MAIL/$1/tmp/$_n" &&
	    mv "$DOVECOT_MAIL/$1/tmp/$_n" "$DOVECOT_MAIL/$1/new/$_n"
}

# dovecot_count USER [FOLDER]: the messages in USER's INBOX (or FOLDER)
dovecot_count() {
	_f=$DOVECOT_MAIL/$1${2:+/.$2}
	find "$_f/new" "$_f/cur" -type f 2>/dev/null | wc -l
}

# dovecot_flags USER: the Maildir flags of each message in USER's INBOX,
# one line each ("" for a message still in new/)
dovecot_flags() {
	for _f in "$DOVECOT_MAIL/$1"/new/* "$DOVECOT_MAIL/$1"/cur/*; do
		[ -e "$_f" ] || continue
		case $_f in
		*:2,*) echo "${_f##*:2,}" ;;
		*) echo "" ;;
		esac
	done
}

# --- several private Redis servers ---------------------------------------

# start_redis_at NAME [ARGS...] - one more throw-away redis-server, its
# files in $T_TMP/NAME, on a free loopback port (extra redis-server ARGS);
# REDIS_PORT and REDIS_PID are set to it, so save the previous server's
# first; stop_redis and rcli act on whichever REDIS_PORT names
start_redis_at() {
	_rname=$1
	shift
	REDIS_PORT=$(free_port)
	mkdir -p "$T_TMP/$_rname"
	t_redis_spawn_at "$_rname" "$@"
}

# restart_redis_at NAME [ARGS...] - start_redis_at again on REDIS_PORT
restart_redis_at() {
	_rname=$1
	shift
	t_redis_spawn_at "$_rname" "$@"
}

# t_redis_spawn_at NAME [ARGS...] - t_redis_spawn in $T_TMP/NAME
t_redis_spawn_at() {
	_rname=$1
	shift
	spawn "$_rname" "$T_TMP/$_rname/redis.log" redis-server \
	    --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode yes \
	    --dir "$T_TMP/$_rname" --dbfilename dump.rdb --save '' \
	    --appendonly no --daemonize no --supervised no \
	    --pidfile "$T_TMP/$_rname/redis.pid" --logfile '' "$@"
	REDIS_PID=$SPAWNED_PID
	if ! wait_for 10 redis_up; then
		diag "redis-server $_rname on port $REDIS_PORT did not answer" \
		    "$(tail -n 20 "$T_TMP/$_rname/redis.log")"
		return 1
	fi
}
