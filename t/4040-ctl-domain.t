#!/bin/sh
# 4040-ctl-domain.t - mailacdctl domain records and domain check against a
# private dnsmasq serving records right, missing and wrong, and a private
# Redis: the zone lines, table and JSON of every kind of domain and inbound
# scenario (the ownership token as openssl computes it, the DKIM p= as the
# key's public key); check per record ok / missing / wrong / unchecked with
# what was found and expected; exit statuses 0, 1 and 75; --all, -o,
# --json; the hash mailacd:{ORG}:domain:NAME after a check, verified_at kept
# by a later failing check; Redis down (printed, not stored); an unknown
# domain (1); usage errors (64).
. "$(dirname "$0")/lib/harness.sh"
require_tools dnsmasq openssl redis-server redis-cli
require_build mailacdctl
[ -x /usr/bin/python3 ] || skip_all "/usr/bin/python3 not installed"
CTL=$MAILACD_BUILD/mailacdctl
SECRET="a secret of sixteen+"
KD=$T_TMP/keys
mkdir -m 700 "$KD"

# run ARGS...: mailacdctl with $CONF; OUT, ERR and RC hold what happened
run() {
	"$CTL" -c "$CONF" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
	cat "$T_TMP/err" >>"$T_TMP/all.err"
}

# token ORG DOMAIN: the ownership token, computed by openssl
token() {
	printf '%s\n%s' "$1" "$2" | openssl dgst -sha256 -hmac "$SECRET" |
	    sed 's/.*= *//' | cut -c1-32 | sed 's/^/mailacd-verification=/'
}

# pubkey_b64 KEY: base64 of the DER SubjectPublicKeyInfo, as openssl has it
pubkey_b64() { openssl pkey -in "$1" -pubout -outform DER | base64 -w0; }

# zone_txt NAME: the TXT value of NAME's zone line in OUT, its strings
# joined; "BAD" when a string is longer than 255 octets or the line does
# not parse
zone_txt() {
	printf '%s\n' "$OUT" | /usr/bin/python3 -c '
import re, sys
name = sys.argv[1]
for l in sys.stdin:
    m = re.fullmatch(re.escape(name) + r"\. 3600 IN TXT((?: \"(?:[^\"\\]|\\.)*\")+)\n?", l)
    if m:
        s = re.findall(r"\"((?:[^\"\\]|\\.)*)\"", m.group(1))
        print("BAD" if any(len(x) > 255 for x in s) else "".join(s))
        break' "$1"
}

# rec ID: "STATUS TYPE NAME" of record ID in a check's text output
rec() {
	printf '%s\n' "$OUT" | awk -v id="$1" '$1 == id { print $2, $3, $4; exit }'
}

# detail ID: the detail lines under record ID, trimmed
detail() {
	printf '%s\n' "$OUT" | awk -v id="$1" '
		/^  [^ ]/ { on = ($1 == id); next }
		/^[^ ]/ { on = 0 }
		on { sub(/^ +/, ""); print }'
}

# hget DOMAIN FIELD [ORG]: a field of the domain's hash
hget() { rcli HGET "mailacd:{${3:-acme}}:domain:$1" "$2"; }

start_redis || bail_out "redis-server did not start"
DEAD=$(free_port)	# nothing listens there

"$CTL" dkim genkey -d "$KD" good.test mail >/dev/null 2>>"$T_TMP/all.err" ||
    bail_out "dkim genkey failed"
"$CTL" dkim genkey -d "$KD" bad.test mail >/dev/null 2>>"$T_TMP/all.err" ||
    bail_out "dkim genkey failed"
GOODKEY=$KD/good.test.mail.key
P=$(pubkey_b64 "$GOODKEY")
P1=$(printf '%s' "$P" | cut -c1-200)
P2=$(printf '%s' "$P" | cut -c201-)
TOK_GOOD=$(token acme good.test)
TOK_REDIR=$(token acme redir.test)
TOK_HOSTED2=$(token acme acme2.mail.operator.test)
TOK_BETA=$(token beta beta.test)

start_dns --local=/test/ \
    --txt-record=_mailacd.good.test,"$TOK_GOOD" \
    --mx-host=good.test,mx1.relay.test,10 \
    --mx-host=good.test,MX2.Relay.test,20 \
    --txt-record=mail._domainkey.good.test,"v=DKIM1; k=rsa; ","p=$P1","$P2" \
    --mx-host=bounce.good.test,mx2.relay.test,5 \
    --mx-host=bounce.good.test,mx1.relay.test,10 \
    --txt-record=bounce.good.test,"v=spf1 a:mx1.relay.test -all" \
    --txt-record=bounce.good.test,"google-site-verification=abc" \
    --txt-record=_mailacd.bad.test,"mailacd-verification=00000000000000000000000000000000" \
    --txt-record=mail._domainkey.bad.test,"v=DKIM1; k=rsa; p=MIIBwrong" \
    --mx-host=bounce.bad.test,mx1.relay.test,10 \
    --mx-host=bounce.bad.test,mx2.relay.test,10 \
    --txt-record=bounce.bad.test,"v=spf1 -all" \
    --txt-record=bounce.bad.test,"other=unrelated" \
    --txt-record=_mailacd.redir.test,"$TOK_REDIR" \
    --host-record=bounce.relay.test,192.0.2.25 \
    --host-record=elsewhere.test,192.0.2.26 \
    --cname=bounce.news.campaign.test,bounce.relay.test \
    --cname=bounces.alerts.campaign.test,elsewhere.test \
    --mx-host=acme.mail.operator.test,mx1.relay.test,10 \
    --mx-host=acme.mail.operator.test,mx2.relay.test,10 \
    --txt-record=_mailacd.acme2.mail.operator.test,"$TOK_HOSTED2" \
    --txt-record=_mailacd.beta.test,"$TOK_BETA" \
    --txt-record=s2._domainkey.beta.test,"v=DKIM1;k=rsa;p=$P1","$P2" ||
    bail_out "cannot start dnsmasq"
DNS1=$DNS_SERVER
note "dnsmasq on $DNS1, redis on $REDIS_PORT"

CONF=$T_TMP/mailacd.conf
cat >"$CONF" <<EOF
redis = { host = "127.0.0.1"; port = $REDIS_PORT; connect_timeout_ms = 500; };
milter = { socket = "inet:1@127.0.0.1"; };
dns = {
  verification_secret = "$SECRET";
  server = "$DNS1";
  timeout_ms = 200;
  mx_hosts = [ "mx1.relay.test", "mx2.relay.test" ];
  spf = "v=spf1 a:mx1.relay.test -all";
  bounce_target = "bounce.relay.test";
  hosted_domain = "mail.operator.test";
};
organizations = (
  { id = "acme"; queues = ( { name = "q"; } );
    domains = (
      { name = "good.test"; bounce_domain = "bounce.good.test";
        dkim = { selector = "mail"; key_file = "$GOODKEY"; };
        addresses = ( { address = "support@good.test"; queue = "q"; } ); },
      { name = "bad.test"; bounce_domain = "bounce.bad.test";
        dkim = { selector = "mail"; key_file = "$KD/bad.test.mail.key"; };
        addresses = ( { address = "support@bad.test"; queue = "q"; } ); },
      { name = "redir.test"; inbound = "redirect";
        addresses = ( { address = "help@redir.test"; queue = "q"; },
                      { address = "sales@redir.test"; queue = "q"; },
                      { address = "news@redir.test"; queue = "q";
                        direction = "outbound"; } ); },
      { name = "acme.mail.operator.test"; inbound = "hosted";
        catch_all = { queue = "q"; }; },
      { name = "acme2.mail.operator.test"; inbound = "hosted-redirect";
        addresses = ( { address = "desk@acme2.mail.operator.test";
                        queue = "q"; } ); },
      { name = "news.campaign.test"; kind = "campaign";
        require_verification = false; },
      { name = "alerts.campaign.test"; kind = "notification";
        require_verification = false;
        bounce_domain = "bounces.alerts.campaign.test"; }
    ); },
  { id = "beta"; queues = ( { name = "q"; } );
    domains = (
      { name = "beta.test";
        dkim = { selector = "s2"; key_file = "$GOODKEY"; }; }
    ); }
);
EOF
# it holds a secret: not readable by others (the loader refuses that)
chmod 600 "$CONF"

run -n
is "$RC/$OUT" "0/configuration OK" "the test configuration loads"

# --- records -------------------------------------------------------------------

run domain records good.test
is "$RC" 0 "records good.test: exit 0"
is "$(printf '%s\n' "$OUT" | sed -n 1p)" \
    "; good.test: organization acme, kind contact-center, inbound mx" \
    "a comment line names the domain, organization, kind and inbound"
is "$(zone_txt _mailacd.good.test)" "$TOK_GOOD" \
    "the ownership TXT at _mailacd.good.test is HMAC-SHA256(secret, org LF domain) (openssl agrees)"
like "$TOK_GOOD" '^mailacd-verification=[0-9a-f]{32}$' "the token: 32 hex digits"
ok "the MX lines of good.test: one per dns.mx_hosts, preference 10" \
    sh -c 'printf "%s\n" "$1" | grep -qxF "good.test. 3600 IN MX 10 mx1.relay.test." &&
	printf "%s\n" "$1" | grep -qxF "good.test. 3600 IN MX 10 mx2.relay.test."' \
    sh "$OUT"
is "$(zone_txt mail._domainkey.good.test)" "v=DKIM1; k=rsa; p=$P" \
    "the DKIM TXT: p= is the key file's public key, strings of at most 255 octets"
is "$(printf '%s\n' "$OUT" | grep -c '^bounce.good.test. 3600 IN MX 10 mx[12].relay.test.$')" 2 \
    "the bounce domain's MX lines"
is "$(zone_txt bounce.good.test)" "v=spf1 a:mx1.relay.test -all" \
    "the bounce domain's SPF record is dns.spf"
is "$(printf '%s\n' "$OUT" | grep '^NAME ' | tr -s ' ')" \
    "NAME TYPE VALUE PURPOSE" "then a table: NAME TYPE VALUE PURPOSE"
is "$(printf '%s\n' "$OUT" | awk '$1 == "_mailacd.good.test" && $2 == "TXT" { print $3 }')" \
    "$TOK_GOOD" "the table row of the ownership record"
is "$(printf '%s\n' "$OUT" | awk '$1 == "good.test" && $2 == "MX" { print $3, $4 }' | tr '\n' ',')" \
    "10 mx1.relay.test,10 mx2.relay.test," "table rows of the MX records"
run domain records GOOD.Test.
is "$RC/$(zone_txt _mailacd.good.test)" "0/$TOK_GOOD" \
    "records: the domain in any case, with a trailing dot"
run --json domain records good.test
is "$RC" 0 "records --json: exit 0"
json_ok "records --json is JSON"
is "$(jq '[r["record"] for r in d]')" \
    "['ownership', 'mx', 'dkim', 'bounce-mx', 'bounce-spf']" \
    "records --json: an array of the records"
is "$(jq 'd[1]["values"]')" "['10 mx1.relay.test', '10 mx2.relay.test']" \
    "records --json: MX values"
is "$(jq 'd[2]["values"][0]')" "v=DKIM1; k=rsa; p=$P" "records --json: DKIM value"
is "$(jq 'd[0]["name"] + " " + d[0]["type"] + " " + str(d[0]["ttl"])')" \
    "_mailacd.good.test TXT 3600" "records --json: name, type, ttl"

run domain records redir.test
is "$RC" 0 "records redir.test (scenario 2): exit 0"
is "$(printf '%s\n' "$OUT" | grep -c ' IN MX ')" 0 "redirect: no MX record"
like "$OUT" '^; inbound "redirect": no MX record for redir.test' \
    "redirect: says so in a comment"
like "$OUT" '^; on that server, keep a copy of each message to these addresses and redirect it, envelope recipient unchanged, to mx1.relay.test, mx2.relay.test:$' \
    "redirect: keep a copy and redirect to the relay"
is "$(printf '%s\n' "$OUT" | grep '^;   ' | tr -d ' ;' | tr '\n' ',')" \
    "help@redir.test,sales@redir.test," \
    "redirect: each registered inbound address is listed (not the outbound one)"
like "$OUT" '^; mailacd then identifies the customer by the header From/Reply-To' \
    "redirect: the customer is known by the header From/Reply-To"
is "$(zone_txt _mailacd.redir.test)" "$TOK_REDIR" "redirect: the ownership record"

run domain records acme.mail.operator.test
like "$OUT" '^; acme.mail.operator.test is a hosted subdomain of mail.operator.test' \
    "hosted (scenario 3): a hosted subdomain, said in a comment"
is "$(printf '%s\n' "$OUT" | grep -c '^acme.mail.operator.test. 3600 IN MX 10 ')" 2 \
    "hosted: MX records to the relay"
run domain records acme2.mail.operator.test
is "$(printf '%s\n' "$OUT" | grep -c ' IN MX ')" 0 \
    "hosted-redirect (scenario 4): no MX record"
like "$OUT" '^; inbound "hosted-redirect": no MX record here; the operator.s zone routes mail for acme2.mail.operator.test to the relay$' \
    "hosted-redirect: the operator's zone routes the mail"
like "$OUT" '^; on your own mail server, keep a copy of each message your customers send and redirect it to the registered address it is for:$' \
    "hosted-redirect: keep a copy and redirect"
like "$OUT" '^;   desk@acme2.mail.operator.test$' \
    "hosted-redirect: to the registered address"

run domain records news.campaign.test
is "$RC" 0 "records of a campaign domain: exit 0"
like "$OUT" '^bounce.news.campaign.test. 3600 IN CNAME bounce.relay.test.$' \
    "campaign: bounce.DOMAIN CNAME to dns.bounce_target"
is "$(printf '%s\n' "$OUT" | grep -c 'IN TXT')" 0 \
    "campaign with require_verification = false: no ownership record"
like "$OUT" '^; news.campaign.test receives no mail here' \
    "campaign without inbound addresses: no MX, said in a comment"
run domain records alerts.campaign.test
like "$OUT" '^bounces.alerts.campaign.test. 3600 IN CNAME bounce.relay.test.$' \
    "notification: the CNAME at its bounce_domain"

sed -e '/mx_hosts/d' -e "s/port = $REDIS_PORT/port = $DEAD/" \
    -e 's/connect_timeout_ms = 500/connect_timeout_ms = 200/' \
    "$CONF" >"$T_TMP/nomx.conf"
chmod 600 "$T_TMP/nomx.conf"
"$CTL" -c "$T_TMP/nomx.conf" domain records good.test >"$T_TMP/out" 2>>"$T_TMP/all.err"
OUT=$(cat "$T_TMP/out")
like "$OUT" '^; the MX records of good.test point at the relay.s hosts: set dns.mx_hosts' \
    "dns.mx_hosts unset: a comment says to set it"
is "$(printf '%s\n' "$OUT" | grep -c ' IN MX ')" 0 "and no MX line is printed"

run domain records nope.test
is "$RC" 1 "records of a domain not configured: exit 1"
is "$ERR" "mailacdctl: no domain nope.test in the configuration" "and says so"
run -o beta domain records good.test
is "$RC" 1 "records with -o of another organisation: exit 1"
like "$ERR" "no domain good.test in organisation beta" "and says so"

# --- check ---------------------------------------------------------------------

T0=$(now_ms)
run domain check good.test
T1=$(now_ms)
is "$RC" 0 "check good.test, every record right: exit 0"
is "$(printf '%s\n' "$OUT" | sed -n 1p)" "good.test: passed (organization acme)" \
    "check: the domain passed"
is "$(rec ownership)" "ok TXT _mailacd.good.test" "ownership ok"
is "$(rec mx)" "ok MX good.test" "mx ok (other preferences, other case)"
is "$(rec dkim)" "ok TXT mail._domainkey.good.test" "dkim ok (a record in three strings)"
is "$(rec bounce-mx)" "ok MX bounce.good.test" "bounce-mx ok"
is "$(rec bounce-spf)" "ok TXT bounce.good.test" \
    "bounce-spf ok (another TXT record beside it does not matter)"
is "$ERR" "" "nothing on stderr"
is "$(hget good.test status)" passed "redis: status passed"
is "$(hget good.test ownership)" ok "redis: ownership ok"
is "$(hget good.test records)" \
    "ownership=ok mx=ok dkim=ok bounce-mx=ok bounce-spf=ok" "redis: records"
is "$(hget good.test failed_records)" "" "redis: failed_records empty"
AT=$(hget good.test checked_at)
cmp_ok "$AT" -ge "$T0" "redis: checked_at is the time of the check ($AT)"
cmp_ok "$AT" -le "$T1" "redis: checked_at is not later than its end"
VERIFIED=$(hget good.test verified_at)
is "$VERIFIED" "$AT" "redis: verified_at set when ownership first passed"

run domain check bad.test
is "$RC" 1 "check bad.test, records missing and wrong: exit 1"
is "$(printf '%s\n' "$OUT" | sed -n 1p)" "bad.test: failed (organization acme)" \
    "check: the domain failed"
is "$(rec ownership)" "wrong TXT _mailacd.bad.test" "ownership wrong"
is "$(detail ownership)" "found:    \"mailacd-verification=00000000000000000000000000000000\"
expected: \"$(token acme bad.test)\"" "with what was found and what was expected"
is "$(rec mx)" "missing MX bad.test" "mx missing"
like "$(detail mx)" '^found:    nothing \(no MX record \(bad.test exists\)\)$' \
    "missing: found nothing, and why (NODATA)"
like "$(detail mx)" '^expected: mx1.relay.test, mx2.relay.test \(any preference\)$' \
    "missing: what was expected"
is "$(rec dkim)" "wrong TXT mail._domainkey.bad.test" "dkim wrong"
like "$(detail dkim)" '^found:    "v=DKIM1; k=rsa; p=MIIBwrong"$' "dkim: what was found"
is "$(rec bounce-mx)" "ok MX bounce.bad.test" "bounce-mx ok"
is "$(rec bounce-spf)" "wrong TXT bounce.bad.test" "bounce-spf wrong"
is "$(detail bounce-spf)" 'found:    "v=spf1 -all"
expected: "v=spf1 a:mx1.relay.test -all"' \
    "bounce-spf: only the SPF record is shown as found"
is "$(hget bad.test status)/$(hget bad.test ownership)" failed/wrong \
    "redis: status failed, ownership wrong"
is "$(hget bad.test failed_records)" "ownership mx dkim bounce-spf" \
    "redis: failed_records"
is "$(hget bad.test records)" \
    "ownership=wrong mx=missing dkim=wrong bounce-mx=ok bounce-spf=wrong" \
    "redis: records"
is "$(rcli HEXISTS 'mailacd:{acme}:domain:bad.test' verified_at)" 0 \
    "redis: no verified_at for a domain never verified"

run domain check redir.test
is "$RC/$(rec ownership)" "0/ok TXT _mailacd.redir.test" \
    "redirect domain: only the ownership record is checked"
is "$(printf '%s\n' "$OUT" | grep -c '^  ')" 1 "the instructions are not checked"
REDIR_VERIFIED=$(hget redir.test verified_at)

run domain check acme.mail.operator.test
is "$RC" 1 "hosted domain, ownership record missing: exit 1"
is "$(rec ownership)/$(rec mx)" \
    "missing TXT _mailacd.acme.mail.operator.test/ok MX acme.mail.operator.test" \
    "hosted: ownership missing, mx ok"

run domain check news.campaign.test
is "$RC/$(rec bounce-cname)" "0/ok CNAME bounce.news.campaign.test" \
    "campaign: the bounce CNAME ok"
is "$(hget news.campaign.test ownership)" not-required \
    "redis: ownership not-required"
run domain check alerts.campaign.test
is "$RC/$(rec bounce-cname)" "1/wrong CNAME bounces.alerts.campaign.test" \
    "notification: a CNAME to another target is wrong"
is "$(detail bounce-cname)" "found:    elsewhere.test
expected: bounce.relay.test" "with the target found and the one expected"

# a DNS server that does not answer: could not check, never missing
run domain check -s "127.0.0.1@$DEAD" redir.test
is "$RC" 75 "check with a dead DNS server: exit 75"
is "$(rec ownership)" "unchecked TXT _mailacd.redir.test" "ownership unchecked"
like "$(detail ownership)" "^could not check: no answer from 127.0.0.1@$DEAD" \
    "could not check, and why"
is "$(hget redir.test status)/$(hget redir.test ownership)" \
    unchecked/unchecked "redis: status and ownership unchecked"
is "$(hget redir.test verified_at)" "$REDIR_VERIFIED" \
    "redis: verified_at kept"
run domain check -s "127.0.0.1@$DEAD" bad.test
is "$RC" 75 "unchecked and nothing found missing or wrong: 75, not 1"

# a later check that fails keeps verified_at
OLD=$DNS_PID
start_dns --local=/test/ \
    --txt-record=_mailacd.good.test,"mailacd-verification=ffffffffffffffffffffffffffffffff" ||
    bail_out "cannot start the second dnsmasq"
DNS2=$DNS_SERVER
run domain check -s "$DNS2" good.test
is "$RC" 1 "good.test against a server with its records gone: exit 1"
is "$(rec ownership)" "wrong TXT _mailacd.good.test" "ownership now wrong"
is "$(hget good.test status)/$(hget good.test ownership)" failed/wrong \
    "redis: status failed, ownership wrong"
is "$(hget good.test verified_at)" "$VERIFIED" \
    "redis: verified_at kept from the first check"
cmp_ok "$(hget good.test checked_at)" -gt "$AT" "redis: checked_at moved on"
kill_pid "$DNS_PID" 5
DNS_PID=$OLD

# --- --all, -o, --json -------------------------------------------------------

run domain check --all
is "$RC" 1 "check --all with a failed domain: exit 1"
is "$(printf '%s\n' "$OUT" | grep -c '^[a-z].*: [a-z]* (organization ')" 8 \
    "--all: every configured domain"
is "$(printf '%s\n' "$OUT" | tail -n 1)" \
    "8 domains: 5 passed, 3 failed, 0 unchecked" "--all: a summary line"
run -o beta domain check --all
is "$RC" 0 "-o beta check --all: exit 0"
is "$(printf '%s\n' "$OUT" | sed -n 1p)" "beta.test: passed (organization beta)" \
    "-o: that organisation's domains only"
is "$(rec dkim)" "ok TXT s2._domainkey.beta.test" \
    "dkim ok: blanks between the tags do not matter"
is "$(hget beta.test status beta)" passed "redis: beta's hash"
run domain check --all -o beta --json
is "$RC" 0 "check --all -o beta --json (options after the subcommand): exit 0"
json_ok "check --json is JSON"
is "$(jq 'len(d)')" 1 "--json: an array of one domain"
is "$(jq 'd[0]["domain"] + " " + d[0]["org"] + " " + d[0]["status"]')" \
    "beta.test beta passed" "--json: domain, org, status"
is "$(jq '[r["record"] + "=" + r["status"] for r in d[0]["records"]]')" \
    "['ownership=ok', 'dkim=ok']" "--json: the records"
is "$(jq 'd[0]["stored"]')" true "--json: stored in Redis"
run --json domain check bad.test
is "$RC" 1 "check --json of a failed domain: exit 1, JSON still printed"
json_ok "the failed check's JSON parses"
is "$(jq 'd[0]["records"][1]["status"] + " " + d[0]["records"][1]["reason"]')" \
    "missing no MX record (bad.test exists)" "--json: status and reason"
is "$(jq 'd[0]["records"][0]["found"]')" \
    "['mailacd-verification=00000000000000000000000000000000']" "--json: found"
/usr/bin/python3 -m json.tool "$T_TMP/out" >/dev/null 2>&1
is $? 0 "python3 -m json.tool takes it"

# --- Redis down, setting unset ---------------------------------------------------

"$CTL" -c "$T_TMP/nomx.conf" domain check good.test >"$T_TMP/out" 2>"$T_TMP/err"
RC=$?
OUT=$(cat "$T_TMP/out")
ERR=$(cat "$T_TMP/err")
is "$RC" 75 "dns.mx_hosts unset: the MX records cannot be checked, exit 75"
is "$(rec mx)" "unchecked MX good.test" "mx unchecked"
like "$(detail mx)" "could not check: dns.mx_hosts is not set in the configuration" \
    "because dns.mx_hosts is not set"
is "$(rec ownership)" "ok TXT _mailacd.good.test" \
    "Redis down: the check is still made and printed"
like "$ERR" "^mailacdctl: redis 127.0.0.1:$DEAD: " "Redis down: said on stderr"
like "$ERR" "warning: the results are printed but not stored in Redis" \
    "with a warning"

# --- usage ---------------------------------------------------------------------

run domain
is "$RC" 64 "domain without a subcommand: 64"
run domain frob x.test
is "$RC" 64 "an unknown subcommand: 64"
run domain check
is "$RC" 64 "check without a domain: 64"
run domain check --all good.test
is "$RC" 64 "check with --all and a domain: 64"
run domain records --all
is "$RC" 64 "records --all: 64"
run domain check -s not-an-address good.test
is "$RC" 64 "check -s with a bad server: 64"
like "$ERR" "^mailacdctl: -s not-an-address: " "saying why"
run domain check nope.test
is "$RC" 1 "check of a domain not configured: exit 1"

logs_clean "no sanitizer report from mailacdctl" "$T_TMP/all.err"
done_testing
