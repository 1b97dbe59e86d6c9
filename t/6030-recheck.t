#!/bin/sh
# 6030-recheck.t - mailacd-router re-checks verified domains in the DNS
# every dns.recheck_interval (router/recheck.c): a domain whose checked_at
# is old is checked again against a private dnsmasq and stored as
# "mailacdctl domain check" stores it (checked_at moves, one info line); a
# record that is wrong now makes the domain failed, keeps verified_at and
# names the record in a warning and counts it (domain_check_failed, for
# the metrics); a dead DNS server is "could not check", the status
# unchanged and nothing counted; domains never verified, or checked lately, are left
# alone; "mailacdctl status" counts the domains, --json lists them.
. "$(dirname "$0")/lib/harness.sh"
require_tools dnsmasq openssl redis-server redis-cli
require_build mailacd-router
require_build mailacdctl
[ -x /usr/bin/python3 ] || skip_all "/usr/bin/python3 not installed"
R=$MAILACD_BUILD/mailacd-router
CTL=$MAILACD_BUILD/mailacdctl
SECRET="a secret of sixteen+"
OLD=1600000000000	# 2020: older than any interval

# token ORG DOMAIN: the ownership token, computed by openssl
token() {
	printf '%s\n%s' "$1" "$2" | openssl dgst -sha256 -hmac "$SECRET" |
	    sed 's/.*= *//' | cut -c1-32 | sed 's/^/mailacd-verification=/'
}

# hget DOMAIN FIELD: a field of the domain's hash
hget() { rcli HGET "mailacd:{acme}:domain:$1" "$2"; }

# conf FILE SERVER: organisation acme with four domains that receive no
# mail (the ownership record is their only record)
conf() {
	cat >"$1" <<EOC
redis = { host = "127.0.0.1"; port = $REDIS_PORT; connect_timeout_ms = 500; };
milter = { socket = "inet:1@127.0.0.1"; };
router = { block_ms = 200; claim_idle_ms = 1000; };
dns = {
  verification_secret = "$SECRET";
  server = "$2";
  timeout_ms = 200;
  recheck_interval = 300;
};
organizations = (
  { id = "acme"; queues = ( { name = "q"; } );
    domains = (
      { name = "good.test"; },
      { name = "bad.test"; },
      { name = "stale.test"; },
      { name = "never.test"; }
    ); }
);
EOC
	chmod 600 "$1"	# a secret: not readable by others
}

# router NAME CONF: start a router in the foreground, log to NAME.log
router() {
	spawn "$1" "$T_TMP/$1.log" "$R" -f -c "$2"
	eval "PID_$1=\$SPAWNED_PID"
}

# logged NAME TEXT: the router's log NAME.log has a line with TEXT
logged() { grep -qF -- "$2" "$T_TMP/$1.log"; }

start_redis || bail_out "redis-server did not start"
DEAD=$(free_port)	# nothing listens there
TOK_GOOD=$(token acme good.test)
TOK_BAD=$(token acme bad.test)
WRONG=mailacd-verification=00000000000000000000000000000000
start_dns --local=/test/ \
    --txt-record=_mailacd.good.test,"$TOK_GOOD" \
    --txt-record=_mailacd.bad.test,"$WRONG" \
    --txt-record=_mailacd.stale.test,"$(token acme stale.test)" ||
    bail_out "cannot start dnsmasq"
CONF=$T_TMP/mailacd.conf
conf "$CONF" "$DNS_SERVER"
conf "$T_TMP/dead.conf" "127.0.0.1@$DEAD"

# good.test and bad.test verified in 2020, last checked then; stale.test
# checked then but never verified; never.test never checked
for d in good.test bad.test; do
	rcli HSET "mailacd:{acme}:domain:$d" status passed checked_at $OLD \
	    verified_at $OLD ownership ok records ownership=ok \
	    failed_records "" >/dev/null
done
rcli HSET "mailacd:{acme}:domain:stale.test" status failed \
    checked_at $OLD ownership missing records ownership=missing \
    failed_records ownership >/dev/null

T0=$(now_ms)
router r1 "$CONF"
ok "the re-check of good.test is logged" \
    wait_for 10 logged r1 "domain good.test (acme): re-check passed"
ok "the re-check of bad.test is logged" \
    wait_for 10 logged r1 "domain bad.test (acme): re-check failed: ownership"
GOOD_AT=$(hget good.test checked_at)
cmp_ok "$GOOD_AT" -ge "$T0" "good.test: checked_at moves to now"
is "$(hget good.test status)/$(hget good.test verified_at)" "passed/$OLD" \
    "good.test: still passed, verified_at kept"
is "$(hget bad.test status)" failed "bad.test: status failed"
is "$(hget bad.test verified_at)" "$OLD" "bad.test: verified_at kept"
is "$(hget bad.test failed_records)" ownership \
    "bad.test: failed_records names the record"
cmp_ok "$(hget bad.test checked_at)" -ge "$T0" "bad.test: checked_at moves"
is "$(grep -F 'domain bad.test (acme): re-check failed:' "$T_TMP/r1.log" |
    sed 's/.*re-check failed: //' | head -1)" \
    "ownership wrong (found \"$WRONG\", expected \"$TOK_BAD\")" \
    "the warning names the record, what was found and what is expected"
ok "the failure is a warning" \
    grep -q 'warn.*domain bad.test (acme): re-check failed' "$T_TMP/r1.log"
is "$(rcli HGET 'mailacd:{acme}:counters' domain_check_failed)" 1 \
    "the failing re-check is counted for the metrics (domain_check_failed)"
sleep 1.2	# two more turns of the loop
is "$(hget stale.test checked_at)/$(hget stale.test status)" "$OLD/failed" \
    "stale.test, never verified: not re-checked"
is "$(rcli EXISTS 'mailacd:{acme}:domain:never.test')" 0 \
    "never.test, never checked: not re-checked"
ok "no line about stale.test or never.test" \
    sh -c '! grep -qE "(stale|never)\.test" "$1"' sh "$T_TMP/r1.log"
is "$(grep -c 'domain good.test (acme): re-check' "$T_TMP/r1.log")" 1 \
    "good.test, checked now: re-checked once only"
is "$(hget good.test checked_at)" "$GOOD_AT" "its checked_at stays"
kill_pid "$PID_r1"

# the DNS server dies: could not check, status unchanged
rcli HSET "mailacd:{acme}:domain:good.test" checked_at $OLD >/dev/null
router r2 "$T_TMP/dead.conf"
ok "a dead DNS server: could not check, logged" \
    wait_for 10 logged r2 "domain good.test (acme): could not check; status stays passed"
ok "the record that could not be checked is named" \
    logged r2 "domain good.test (acme): re-check: could not check ownership:"
is "$(hget good.test status)/$(hget good.test checked_at)" "passed/$OLD" \
    "good.test: status and checked_at unchanged"
unlike "$(cat "$T_TMP/r2.log")" "good.test \(acme\): re-check failed" \
    "could not check is not failed"
is "$(rcli HGET 'mailacd:{acme}:counters' domain_check_failed)" 1 \
    "nor counted as failed"
kill_pid "$PID_r2"
logs_clean "no sanitizer report or panic in the router logs" \
    "$T_TMP/r1.log" "$T_TMP/r2.log"

# mailacdctl status
OUT=$("$CTL" -c "$CONF" status 2>"$T_TMP/ctl.err")
is "$?" 0 "status: exit 0"
is "$(printf '%s\n' "$OUT" | grep '^  domains ')" \
    "  domains        1 verified, 2 failing, 1 never checked" \
    "status: the domains line counts verified, failing, never checked"
OUT=$("$CTL" -c "$CONF" status --json 2>>"$T_TMP/ctl.err")
json_ok "status --json parses"
is "$(jq '[x["name"] for x in d["organizations"][0]["domains"]]')" \
    "['good.test', 'bad.test', 'stale.test', 'never.test']" \
    "status --json: one object per configured domain"
is "$(jq 'd["organizations"][0]["domains"][1]')" \
    "{'name': 'bad.test', 'status': 'failed', 'checked_at': $(hget bad.test checked_at), 'verified_at': $OLD, 'failed_records': ['ownership']}" \
    "status --json: name, status, checked_at, verified_at, failed_records"
is "$(jq 'd["organizations"][0]["domains"][3]')" \
    "{'name': 'never.test', 'status': None, 'checked_at': None, 'verified_at': None, 'failed_records': []}" \
    "status --json: a domain never checked"
done_testing
