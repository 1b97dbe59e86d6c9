# lib.sh - the benchmarks' own helpers, on top of t/lib/harness.sh.
#
# Sourced (POSIX sh) by bench/*.sh instead of the harness itself:
#
#	. "$T_TOP/bench/lib.sh"
#
# What it adds to the harness:
#   programs   bench_programs (copies of the built programs for the run)
#   milters    start_noop_milter stop_noop_milter
#   Postfix    postfix_set_milter
#   sink       sink_clear
#   measures   bench_message cpu_ticks

. "$T_TOP/t/lib/harness.sh"

# sink_clear - forget the messages received so far
sink_clear() {
	find "$SINK_DIR" -type f -exec rm -f {} +
	[ -z "${SINK_RAW:-}" ] || find "$SINK_RAW" -type f -exec rm -f {} +
}

# bench_message - FILE FROM RCPT TAG: the outbound benchmarks' message, the
# same bytes for every run: a customer notice from FROM to RCPT, 4096
# octets of body, Message-ID <bench-TAG-1234@example.com>
bench_message() {
	{
		printf 'From: Acme Support <%s>\n' "$2"
		printf 'To: Ana <%s>\n' "$3"
		printf 'Subject: Your order 1234 has shipped\n'
		printf 'Date: Sun, 22 Nov 2026 12:00:00 +0000\n'
		printf 'Message-ID: <bench-%s-1234@example.com>\n' "$4"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=UTF-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n'
		printf '\n'
		# 64 lines of 63 characters and a line break: 4096 bytes
		awk 'BEGIN {
			t = "Hello Ana, your parcel left our warehouse today and is on its way. "
			for (i = 1; i <= 64; i++) {
				l = sprintf("%02d ", i)
				while (length(l) < 63) l = l t
				print substr(l, 1, 63)
			}
		}'
	} >"$1"
}

# cpu_ticks - PID: the clock ticks (user + system) the process has used,
# for the benchmarks' CPU per message (getconf CLK_TCK a second)
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

# postfix_set_milter - SPEC: point the running instance at another milter
postfix_set_milter() {
	pf_postconf -e "smtpd_milters = $1" &&
	    postfix -c "$PF_CONF" reload >>"$PF_BASE/start.log" 2>&1
}

# bench_programs PROG...: each of $MAILACD_BUILD/PROG must be built; they
# are copied into the temp dir and MAILACD_BUILD points there, so that a
# rebuild during a benchmark cannot swap the programs under it
bench_programs() {
	for _p in "$@"; do
		[ -x "$MAILACD_BUILD/$_p" ] || {
			echo "bench: $MAILACD_BUILD/$_p not built: make" >&2
			exit 1
		}
	done
	mkdir -p "$T_TMP/build/bench"
	for _p in "$@"; do
		cp "$MAILACD_BUILD/$_p" "$T_TMP/build/$_p"
	done
	MAILACD_BUILD=$T_TMP/build
}

# start_noop_milter - KIND: the benchmark's no-op milter (sets NOOP_SOCKET,
# NOOP_PF, NOOP_PID); NOOP_MILTER overrides the program
start_noop_milter() {
	t_milter_sockets "$1" noop
	NOOP_SOCKET=$T_MSOCK
	NOOP_PF=$T_MPF
	spawn noop "$T_TMP/noop.log" sh -c 'umask 0; exec "$@"' noop \
	    "${NOOP_MILTER:-$MAILACD_BUILD/bench/noop-milter}" -p "$NOOP_SOCKET"
	NOOP_PID=$SPAWNED_PID
	t_wait_milter "$NOOP_PID" "$T_TMP/noop.log"
}

# stop_noop_milter - stop the no-op milter
stop_noop_milter() {
	kill_pid "$NOOP_PID" 5
	t_forget "$NOOP_PID"
}
