#!/bin/sh
# 0195-monitoring.t - the monitoring files in contrib/ against promtool and
# the manual: the alert rules load and pass their unit tests (which fail
# when a rule's threshold or duration changes), the Grafana dashboard is
# JSON whose every panel has queries that parse as PromQL, and every metric
# they name, and every metric router/expo.c serves, is described in
# mailacd-router(8).  t/5080-metrics.t runs them against a live router.
. "$(dirname "$0")/lib/harness.sh"
require_tools promtool
[ -x /usr/bin/python3 ] || skip_all "/usr/bin/python3 not installed"
cd "$T_TOP" || bail_out "no source tree at $T_TOP"
P=contrib/prometheus
DASH=contrib/grafana/mailacd.json
MAN=man/mailacd-router.8

# promtool_ok DESC ARGS...: promtool succeeds, its output shown otherwise
promtool_ok() {
	_d=$1
	shift
	if promtool "$@" >"$T_TMP/promtool.out" 2>&1; then
		pass "$_d"
	else
		fail "$_d"
		diag "$(cat "$T_TMP/promtool.out")"
	fi
}

promtool_ok "promtool check rules: the alert rules load" \
    check rules "$P/mailacd-alerts.yml"
like "$(cat "$T_TMP/promtool.out")" "SUCCESS: 5 rules found" "five rules"
for a in MailacdServiceLevelBreached MailacdDeadLetters MailacdRedisDown \
    MailacdDeliveryGivingUp MailacdDomainFailing; do
	ok "alert $a is defined" grep -q "alert: $a\$" "$P/mailacd-alerts.yml"
	ok "alert $a is unit-tested" grep -q "alertname: $a\$" \
	    "$P/mailacd-alerts.test.yml"
done
promtool_ok "promtool test rules: the alert rules pass their unit tests" \
    test rules "$P/mailacd-alerts.test.yml"

# the unit tests bite: a rule changed is caught
# mutant NAME SED: the rules changed by SED fail the unit tests
mutant() {
	mkdir -p "$T_TMP/$1"
	sed "$2" "$P/mailacd-alerts.yml" >"$T_TMP/$1/mailacd-alerts.yml"
	cp "$P/mailacd-alerts.test.yml" "$T_TMP/$1/"
	cmp -s "$P/mailacd-alerts.yml" "$T_TMP/$1/mailacd-alerts.yml" && return 1
	! promtool test rules "$T_TMP/$1/mailacd-alerts.test.yml" \
	    >"$T_TMP/$1.out" 2>&1
}
ok "an objective of 0.4 instead of 0.8 fails the tests" \
    mutant objective 's/< 0\.8$/< 0.4/'
ok "a volume guard of 30 instead of 10 fails the tests" \
    mutant volume 's/>= 10$/>= 30/'
ok "Redis down after 10m instead of 1m fails the tests" \
    mutant redis '/MailacdRedisDown/,/for:/s/for: 1m/for: 10m/'
ok "a domain alert on passed instead of failed fails the tests" \
    mutant domain '/MailacdDomainFailing/,/expr:/s/status="failed"/status="passed"/'
ok "dead letters aggregated without max fails the tests (one alert per router)" \
    mutant dead 's/expr: max without (instance, job) (delta(mailacd_dead_letters/expr: (delta(mailacd_dead_letters/'

# the dashboard
OUT=$(cat "$DASH")
json_ok "the dashboard is JSON"
is "$(jq 'd["uid"] + " " + d["title"]')" "mailacd mailacd" "uid and title"
is "$(jq '[v["name"] for v in d["templating"]["list"]]')" \
    "['datasource', 'org', 'queue']" "variables: datasource, org, queue"
is "$(jq '[p["title"] for p in d["panels"] if p["type"] != "row" and not [t for t in p.get("targets", []) if t.get("expr", "").strip()]]')" \
    "[]" "every panel has a query"
is "$(jq '[p["title"] for p in d["panels"] if p["type"] != "row" and p["datasource"]["uid"] != "${datasource}"]')" \
    "[]" "every panel reads the chosen Prometheus"
is "$(jq '[p["title"] for p in d["panels"] if p["type"] == "row"]')" \
    "['Queues', 'Agents', 'Mail and health']" \
    "rows: queues, agents, mail and health"
N=$(jq 'len([t for p in d["panels"] for t in p.get("targets", [])])')
cmp_ok "$N" -ge 30 "$N queries"
# each query as a recording rule: promtool parses the PromQL
{
	echo "groups:"
	echo "  - name: dashboard"
	echo "    rules:"
	printf '%s\n' "$OUT" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
i = 0
for p in d["panels"]:
    for t in p.get("targets", []):
        i += 1
        q = t["expr"].replace("$org", ".*").replace("$queue", ".*")
        print("      - record: dashboard:q%d" % i)
        print("        expr: %s" % json.dumps(q))
'
} >"$T_TMP/dashboard-rules.yml"
promtool_ok "promtool parses every query of the dashboard" \
    check rules "$T_TMP/dashboard-rules.yml"

# every metric named, and every metric served, is in the manual
NAMED=$( { grep -o 'mailacd_[a-z_]*' "$DASH" "$P/mailacd-alerts.yml" |
    sed 's/.*://'; } | grep -v '^mailacd_alerts$' | sort -u)
SERVED=$(grep -o '"mailacd_[a-z_]*"' router/expo.c | tr -d '"' | sort -u)
FAMILIES=$(printf '%s\n' "$NAMED" | sed 's/_\(bucket\|sum\|count\)$//' | sort -u)
DOC=$(grep -o 'mailacd_[a-z_]*' "$MAN" | sort -u)
ok "expo.c names its families" test "$(printf '%s\n' "$SERVED" | wc -l)" -ge 25
is "$(printf '%s\n' "$SERVED" | grep -vxF -- "$DOC")" "" \
    "every metric the router serves is described in mailacd-router(8)"
is "$(printf '%s\n' "$FAMILIES" | grep -vxF -- "$SERVED")" "" \
    "the dashboard and the alert rules name only metrics the router serves"
done_testing
