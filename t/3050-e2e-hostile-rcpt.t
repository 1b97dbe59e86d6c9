#!/bin/sh
# 3050-e2e-hostile-rcpt.t - one address, one spelling; no forged routing
# header in any mailbox we serve.  Through the private Postfix:
#  - support@example.com. (trailing dot), "support"@, "Support"@,
#    "support+x"@, "billing"@ and an upper-case U-label domain reach the
#    queue of the address they spell, stamped, forged X-MailACD-* headers
#    gone;
#  - "x; queue=billing; priority=1000"@ at the catch-all domain is
#    recorded, and python3's email parser reads the stamp's address
#    parameter back whole: nothing injected;
#  - a local part over 64 octets or an address over 254 at one of our
#    domains is refused at RCPT (550 5.1.3), a malformed one with 501
#    5.1.3, another domain's is none of our business;
#  - mail straight to an agent's workplace address loses forged
#    X-MailACD-* headers and is not recorded.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix postconf ss
require_build mailacd-milter
PY=/usr/bin/python3

DOMAIN_EXTRA='catch_all = { queue = "support"; };'
AGENTS='{ id = "a1"; address = "a1@corp.example"; queues = [ "support" ]; capacity = 5; }'
EXTRA='{ address = "info@xn--bcher-kva.example"; queue = "sales"; }'
start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start the sink"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
milter_conf "" "$AGENTS" "" "$DOMAIN_EXTRA" >"$T_TMP/mailacd.conf"
# a second domain, internationalised, written in A-labels, and a third
# with a catch-all and a name long enough for a 255-octet address
LONGDOM=$(printf 'abcdefghi.%.0s' $(seq 1 19))example.com
sed -i "s|^		domains = (|		domains = (\n\
			{ name = \"xn--bcher-kva.example\"; addresses = ( $EXTRA ); },\n\
			{ name = \"$LONGDOM\"; catch_all = { queue = \"support\"; }; },|" \
    "$T_TMP/mailacd.conf"
ok "the configuration checks" "$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
RUN=$$.$(date +%s)
N=0

# one RCPT [HEADERS]: send a message with forged headers to RCPT, spelled
# exactly as given; sets MID, OUT (the server's answers) and F (the sink's
# dump, once it arrived)
one() {
	N=$((N + 1))
	MID="h$N.$RUN@customer.test"
	{
		printf 'From: Mallory <mallory@evil.test>\nTo: support@example.com\n'
		printf 'Subject: hostile %s\nMessage-ID: <%s>\n' "$N" "$MID"
		printf 'X-MailACD-Interaction: 0123456789abcdef0123456789abcdef; org=acme; queue=vip; priority=1000\n'
		printf 'x-mailacd-queue: vip\n%s\nHello.\n' "${2:-}"
	} >"$T_TMP/h$N.eml"
	OUT=$("$PY" "$T_TOP/t/lib/smtp-one.py" "$SMTP_PORT" mallory@evil.test \
	    "$1" "$T_TMP/h$N.eml" 2>&1)
	F=
	case $OUT in
	*"data 250"*) wait_for 20 arrived && F=$(sink_find "$MID" | sed 1q) ;;
	esac
}
arrived() { [ -n "$(sink_find "$MID")" ]; }
stamp() { msg_header "$F" X-MailACD-Interaction; }
# routed RCPT QUEUE ADDRESS WHAT: RCPT is stamped once for QUEUE, address
# ADDRESS, and no forged header survived
routed() {
	one "$1"
	like "$OUT" "data 250" "$4: accepted"
	is "$(stamp | grep -c .)" 1 "$4: one X-MailACD-Interaction"
	is "$(hdr_param "$(stamp)" queue)" "$2" "$4: queue $2"
	is "$(hdr_param "$(stamp)" address)" "$3" "$4: address $3"
	is "$(hdr_param "$(stamp)" priority | grep -c 1000)" 0 "$4: no forged priority"
	is "$(msg_headers "$F" | grep -ci '^x-mailacd-queue')" 0 "$4: the forged X-MailACD-Queue is gone"
}

routed "support@example.com." support support@example.com "trailing dot"
routed '"support"@example.com' support support@example.com "quoted local part"
routed '"Support"@example.com' support support@example.com "quoted, upper case"
routed '"support+x"@example.com' support support@example.com "quoted with a sub-address"
routed '"billing"@example.com' billing billing@example.com "quoted billing"
routed 'SUPPORT@Example.COM.' support support@example.com "upper case and a trailing dot"
routed "info@B$(printf '\303\234')CHER.example" sales info@xn--bcher-kva.example \
    "an upper-case U-label domain meets its A-label"
routed "info@xn--bcher-kva.example." sales info@xn--bcher-kva.example \
    "the A-label with a trailing dot"
like "$(stream_find acme address support@example.com | grep -c .)" '^[1-9]' \
    "the stream records the canonical address"

# parameter injection through a quoted local part at the catch-all domain
one '"x; queue=billing; priority=1000"@example.com'
like "$OUT" "data 250" "a quoted local part with '; queue=' is accepted (catch-all)"
s=$(stamp)
note "stamp: $s"
got=$(sink_message "$F" | "$PY" -c '
import sys, email
m = email.message_from_binary_file(sys.stdin.buffer)
h = m.get_all("X-MailACD-Interaction")
print(len(h))
for p in ("queue", "priority", "address"):
    print(m.get_param(p, header="X-MailACD-Interaction"))')
is "$(echo "$got" | sed -n 1p)" 1 "python3's email parser finds one stamp"
is "$(echo "$got" | sed -n 2p)" support "its queue is the catch-all's, not the injected billing"
is "$(echo "$got" | sed -n 3p)" 0 "its priority is the catch-all's, not the injected 1000"
is "$(echo "$got" | sed -n 4p)" '"x; queue=billing; priority=1000"@example.com' \
    "the address parameter is one quoted value, read back whole"

# addresses that cannot be recorded are refused at RCPT
L65=$(printf 'a%.0s' $(seq 1 65))
one "$L65@example.com"
like "$OUT" "rcpt 550 5.1.3 mailacd: an address at example.com that cannot be recorded: local part longer than 64 octets" \
    "a 65-octet local part at the catch-all domain: 550 5.1.3 at RCPT"
one "$(printf 'b%.0s' $(seq 1 60))@$LONGDOM"
like "$OUT" "rcpt 550 5.1.3 mailacd: an address at $LONGDOM that cannot be recorded: address longer than 254 octets" \
    "a 262-octet address at a catch-all domain: 550 5.1.3 at RCPT"
one "$(printf 'b%.0s' $(seq 1 40))@$LONGDOM"
like "$OUT" "data 250" "a 242-octet one there is accepted"
is "$(hdr_param "$(stamp)" address)" "$(printf 'b%.0s' $(seq 1 40))@$LONGDOM" \
    "and recorded"
one '"sup\\port"x@example.com'
like "$OUT" "rcpt 501 5.1.3" \
    "a malformed local part at our domain: 501 5.1.3 (Postfix refuses it before the milter, see t/2010)"
L65=$(printf 'c%.0s' $(seq 1 65))
one "$L65@elsewhere.test"
unlike "$OUT" "mailacd" "a long local part at another domain is not ours to refuse"

# an agent's workplace mailbox gets no forged routing header
one "a1@corp.example"
like "$OUT" "data 250" "mail straight to an agent's workplace address is accepted"
is "$(msg_headers "$F" | grep -ci '^X-MailACD-')" 0 "and reaches the agent with no X-MailACD-* header"
is "$(stream_find acme message_id "<$MID>" | grep -c .)" 0 "nothing is recorded for it"
one "A1+tag@CORP.example."
is "$(msg_headers "$F" | grep -ci '^X-MailACD-')" 0 "another spelling of the agent's address: stripped too"
like "$(cat "$MILTER_LOG")" "mail to an agent: foreign X-MailACD-\\* headers removed" \
    "the milter says it removed them"
milter_log_clean
done_testing
