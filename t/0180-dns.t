#!/bin/sh
# 0180-dns.t - the DNS client (common/dns.c) against a private dnsmasq:
# TXT found (also one record in several character-strings, and several
# records), missing as NXDOMAIN and as NODATA (the name has only an MX),
# MX with preferences, host names in lower case, CNAME, a TXT behind a
# CNAME and behind a dangling one, A; REFUSED, a dead upstream and a port
# where nothing listens are "failed", never "missing", and a dead server
# costs about two tries of the timeout.  A fake server (python3) answers
# SERVFAIL, garbage, another id, another question, a truncated answer,
# records with empty or truncated RDATA and nothing at all.  Then the domain ownership token (common/dtoken.c)
# against openssl dgst.  dns_test's own TAP (no network) comes first.
. "$(dirname "$0")/lib/harness.sh"
require_tools dnsmasq openssl
require_build t/dns_test
DT=$MAILACD_BUILD/t/dns_test

# unit: dns_test's TAP, renumbered into ours
"$DT" >"$T_TMP/unit.out" 2>"$T_TMP/unit.err"
RC=$?
while IFS= read -r _l; do
	case $_l in
	"ok "*) pass "${_l#ok [0-9]* - }" ;;
	"not ok "*) fail "${_l#not ok [0-9]* - }" ;;
	"1.."*) ;;
	*) note "$_l" ;;
	esac
done <"$T_TMP/unit.out"
cat "$T_TMP/unit.err" >>"$T_TMP/all.err"
is "$RC" 0 "dns_test's own assertions ran to the end"

# q SERVER MS TYPE NAME: one lookup; sets STATUS, REASON, CANON, ANSWERS
# (one a line), MS (elapsed inside dns_lookup)
q() {
	"$DT" lookup "$@" >"$T_TMP/q.out" 2>"$T_TMP/q.err"
	cat "$T_TMP/q.err" >>"$T_TMP/all.err"
	STATUS=$(sed -n 's/^status //p' "$T_TMP/q.out")
	REASON=$(sed -n 's/^reason //p' "$T_TMP/q.out")
	CANON=$(sed -n 's/^canonical //p' "$T_TMP/q.out")
	ANSWERS=$(sed -n 's/^answer //p' "$T_TMP/q.out")
	MS=$(sed -n 's/^elapsed_ms //p' "$T_TMP/q.out")
}

# lq TYPE NAME: a lookup at the private dnsmasq, 1 s a try
lq() { q "$DNS_SERVER" 1000 "$@"; }

# rep CHAR N: CHAR N times
rep() { head -c "$2" /dev/zero | tr '\0' "$1"; }

DEAD=$(free_port)	# nothing listens there, UDP or TCP
P200=$(rep b 200)
P100=$(rep c 100)
P300=$(rep a 300)
start_dns --local=/example.test/ \
    --txt-record=verify.example.test,"mailacd-verification=0123abcd" \
    --txt-record=split.example.test,"$P200","$P100" \
    --txt-record=long.example.test,"$P300" \
    --txt-record=multi.example.test,"v=one" \
    --txt-record=multi.example.test,"v=two" \
    --txt-record=big.example.test,"$(rep 1 240)" \
    --txt-record=big.example.test,"$(rep 2 240)" \
    --txt-record=big.example.test,"$(rep 3 240)" \
    --txt-record=big.example.test,"$(rep 4 240)" \
    --txt-record=big.example.test,"$(rep 5 240)" \
    --txt-record=big.example.test,"$(rep 6 240)" \
    --mx-host=example.test,MX1.Example.TEST,10 \
    --mx-host=example.test,mx2.example.test,20 \
    --txt-record=esc.example.test,'back\slash' \
    --cname=alias.example.test,verify.example.test \
    --cname=chain.example.test,alias.example.test \
    --cname=dangling.example.test,nothere.example.test \
    --host-record=host.example.test,192.0.2.10 \
    --server=/dead.test/127.0.0.1#"$DEAD" ||
    bail_out "cannot start dnsmasq"
note "dnsmasq on $DNS_SERVER"

lq TXT verify.example.test
is "$STATUS" found "TXT: found"
is "$ANSWERS" "mailacd-verification=0123abcd" "TXT: the text"
is "$CANON" "" "TXT: no CNAME followed"
lq TXT VERIFY.Example.Test.
is "$STATUS/$ANSWERS" "found/mailacd-verification=0123abcd" \
    "TXT: the name in another case with a trailing dot"
lq TXT split.example.test
is "$ANSWERS" "$P200$P100" \
    "TXT: a 300-octet record in two character-strings comes back whole"
lq TXT long.example.test
is "$ANSWERS" "$P300" \
    "TXT: a 300-octet string dnsmasq splits itself comes back whole"
lq TXT multi.example.test
is "$(printf '%s\n' "$ANSWERS" | sort | tr '\n' ' ')" "v=one v=two " \
    "TXT: two records, two answers"
lq TXT big.example.test
is "$(printf '%s\n' "$ANSWERS" | cut -c1 | sort | tr -d '\n')/$(printf '%s\n' "$ANSWERS" | wc -c)" \
    123456/1446 "TXT: 1,500 octets, more than dnsmasq sends by UDP: all six (TCP)"
grep -q "query\[TXT\] big.example.test from 127.0.0.1" "$DNS_LOG" &&
    [ "$(grep -c "query\[TXT\] big.example.test" "$DNS_LOG")" -ge 2 ]
is $? 0 "asked twice: UDP, then TCP after a truncated answer"
lq TXT nx.example.test
is "$STATUS" missing "TXT of a name that does not exist: missing"
like "$REASON" "NXDOMAIN: nx.example.test does not exist" \
    "the reason says NXDOMAIN ($REASON)"
lq TXT example.test
is "$STATUS" missing "TXT of a name with only an MX (NODATA): missing"
like "$REASON" "no TXT record \\(example.test exists\\)" \
    "the reason says the name exists"
lq MX example.test
is "$STATUS" found "MX: found"
is "$(printf '%s\n' "$ANSWERS" | sort | tr '\n' ' ')" \
    "10 mx1.example.test 20 mx2.example.test " \
    "MX: preference and host, lower case, no trailing dot"
lq MX verify.example.test
is "$STATUS" missing "MX of a name with only a TXT: missing"
lq CNAME alias.example.test
is "$STATUS/$ANSWERS" found/verify.example.test "CNAME: the target"
lq TXT alias.example.test
is "$STATUS/$ANSWERS" found/mailacd-verification=0123abcd \
    "TXT behind a CNAME: the target's text"
is "$CANON" verify.example.test "and the name it belongs to"
lq TXT chain.example.test
is "$STATUS/$ANSWERS/$CANON" \
    found/mailacd-verification=0123abcd/verify.example.test \
    "TXT behind two CNAMEs"
lq TXT esc.example.test
is "$ANSWERS" 'back\092slash' "TXT: a backslash comes back escaped (DDD, as in zone files)"
lq CNAME verify.example.test
is "$STATUS" missing "CNAME of a name without one: missing"
lq TXT dangling.example.test
is "$STATUS" missing "TXT behind a CNAME to nowhere: missing"
is "$CANON" nothere.example.test "naming the target"
like "$REASON" "NXDOMAIN: nothere.example.test does not exist" \
    "the target does not exist"
lq A host.example.test
is "$STATUS/$ANSWERS" found/192.0.2.10 "A: the address"
lq TXT host.example.test
is "$STATUS" missing "TXT of a name with only an A: missing"
lq TXT other.org
is "$STATUS" failed "a name dnsmasq may not answer (REFUSED): failed"
like "$REASON" REFUSED "the reason says REFUSED"

q "$DNS_SERVER" 300 TXT x.dead.test
is "$STATUS" failed "the upstream of the zone is dead: failed, not missing"
cmp_ok "$MS" -lt 900 "within 3 x the timeout of 300 ms ($MS ms)"

q "127.0.0.1@$DEAD" 400 TXT verify.example.test
is "$STATUS" failed "a port where nothing listens: failed"
like "$REASON" "no answer from 127.0.0.1@$DEAD \\(2 tries of 400 ms\\)" \
    "saying no answer came ($REASON)"
cmp_ok "$MS" -lt 1200 "within 3 x the timeout of 400 ms ($MS ms)"
cmp_ok "$MS" -ge 700 "after both tries ($MS ms)"

# --- a fake server for what dnsmasq will not say ------------------------------

if [ -x /usr/bin/python3 ]; then
	FAKE_PORT=$(free_port)
	cat >"$T_TMP/fakedns.py" <<'EOF'
# fakedns.py PORT - answers UDP queries by their first label:
# servfail, garbage, wrongid, otherq, truncated, loop (a CNAME to
# itself), empty, prefonly, shorttxt (malformed RDATA), silent; else
# NXDOMAIN
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("listening", flush=True)
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 17:
        continue
    i, labels = 12, []
    while i < len(q) and q[i] != 0:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace").lower())
        i += 1 + q[i]
    question = q[12:i + 5]
    first = labels[0] if labels else ""
    ident, flags, rcode = q[0:2], 0x80 | (q[2] & 0x01), 3
    if first == "silent":
        continue
    if first == "garbage":
        s.sendto(b"\x12\x34\xff", peer)
        continue
    if first == "servfail":
        rcode = 2
    if first == "wrongid":
        ident = bytes([q[0] ^ 0xff, q[1]])
    if first == "truncated":
        flags |= 0x02
        rcode = 0
    if first == "otherq":
        question = b"\x05other\x04test\x00" + q[i + 1:i + 5]
    ancount, answer = 0, b""
    if first == "loop":
        # owner and target: a pointer to the question's name
        ancount, rcode = 1, 0
        answer = b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x02\xc0\x0c"
    if first in ("empty", "prefonly", "shorttxt"):
        # a record of the asked type: no RDATA at all, an MX preference
        # without its host, a character-string shorter than its length
        rd = {"empty": b"", "prefonly": b"\x00\x0a",
              "shorttxt": b"\x05abc"}[first]
        ancount, rcode = 1, 0
        answer = (b"\xc0\x0c" + q[i + 1:i + 3] + b"\x00\x01\x00\x00\x00\x3c" +
                  len(rd).to_bytes(2, "big") + rd)
    s.sendto(ident + bytes([flags, 0x80 | rcode]) +
             b"\x00\x01\x00" + bytes([ancount]) + b"\x00\x00\x00\x00" +
             question + answer, peer)
EOF
	spawn fakedns "$T_TMP/fakedns.log" /usr/bin/python3 -u \
	    "$T_TMP/fakedns.py" "$FAKE_PORT"
	wait_for 10 grep -q listening "$T_TMP/fakedns.log" ||
	    bail_out "the fake DNS server did not start: $(cat "$T_TMP/fakedns.log")"
	FAKE=127.0.0.1@$FAKE_PORT
	q "$FAKE" 300 TXT nx.fake.test
	is "$STATUS" missing "fake server: its NXDOMAIN is missing"
	q "$FAKE" 300 TXT servfail.fake.test
	is "$STATUS" failed "SERVFAIL: failed, not missing"
	like "$REASON" "SERVFAIL from $FAKE" "saying SERVFAIL"
	q "$FAKE" 300 TXT garbage.fake.test
	is "$STATUS" failed "a garbled answer: failed"
	like "$REASON" "unreadable answer from $FAKE" "saying so ($REASON)"
	q "$FAKE" 300 TXT wrongid.fake.test
	is "$STATUS" failed "an answer with another id: failed"
	like "$REASON" "another query id" "saying so"
	q "$FAKE" 300 TXT otherq.fake.test
	is "$STATUS" failed "the answer to another question: failed"
	like "$REASON" "another question" "saying so"
	q "$FAKE" 300 TXT truncated.fake.test
	is "$STATUS" failed "truncated, and no TCP to ask again: failed ($REASON)"
	q "$FAKE" 300 TXT loop.fake.test
	is "$STATUS" failed "a CNAME to itself: failed"
	like "$REASON" "more than 8 CNAMEs" "saying so ($REASON)"
	for _t in TXT A MX CNAME; do
		q "$FAKE" 300 "$_t" empty.fake.test
		is "$STATUS/$REASON" \
		    "failed/malformed $_t record from $FAKE: empty RDATA" \
		    "a $_t record with empty RDATA: failed, saying so, not \"out of memory\" ($REASON)"
	done
	q "$FAKE" 300 MX prefonly.fake.test
	is "$STATUS/$REASON" "failed/malformed MX record from $FAKE: truncated RDATA (a preference without a host)" \
	    "an MX with its preference only: failed, truncated ($REASON)"
	q "$FAKE" 300 TXT shorttxt.fake.test
	is "$STATUS" failed "a TXT character-string shorter than its length: failed ($REASON)"
	unlike "$REASON" "out of memory" "and not called out of memory"
	q "$FAKE" 300 TXT silent.fake.test
	is "$STATUS" failed "no answer at all: failed"
	cmp_ok "$MS" -lt 900 "within 3 x the timeout of 300 ms ($MS ms)"
	note "a silent server took the client $MS ms with 2 tries of 300 ms"
else
	skip "/usr/bin/python3 not installed: no fake server"
fi

# --- the domain ownership token -------------------------------------------------

SECRET="a secret of sixteen+"
# want ORG DOMAIN: the token by openssl, DOMAIN as given
want() {
	printf '%s\n%s' "$1" "$2" | openssl dgst -sha256 -hmac "$SECRET" |
	    sed 's/.*= *//' | cut -c1-32 | sed 's/^/mailacd-verification=/'
}
TOK=$("$DT" token "$SECRET" acme news.example.com 2>>"$T_TMP/all.err")
is "$TOK" "$(want acme news.example.com)" \
    "token: HMAC-SHA256 of org LF domain, 128 bits in hex (openssl agrees)"
is "$("$DT" token "$SECRET" acme News.Example.COM. 2>>"$T_TMP/all.err")" \
    "$TOK" "token: the domain's case and trailing dot do not matter"
isnt "$("$DT" token "$SECRET" beta news.example.com 2>>"$T_TMP/all.err")" \
    "$TOK" "token: another organisation, another token"
is "$("$DT" token "$SECRET" beta news.example.com 2>>"$T_TMP/all.err")" \
    "$(want beta news.example.com)" "token: beta's is openssl's too"

kill_pid "$DNS_PID" 5
logs_clean "no sanitizer report from dns_test" "$T_TMP/all.err"
done_testing
