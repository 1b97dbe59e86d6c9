#!/bin/sh
# 5080-metrics.t - mailacd-router's Prometheus metrics (router.metrics_listen)
# on a live router and a private Redis: /metrics in the text format that
# promtool accepts, 404 elsewhere, 405 for other methods; the numbers of
# real interactions (waiting, the oldest wait, assigned, agent state and
# load, today's service level) as they change, dead letters, a domain's
# check, the milter's hand-offs counted by the library, the totals hash as
# counters and a cumulative histogram; every metric the Grafana dashboard
# and the alert rules name is served, and a private Prometheus scraping the
# router answers every panel's query with data; an address in use stops a
# second router with the reason; a Redis down still answers, with
# mailacd_redis_up 0; a reload moves the metrics to another port.
. "$(dirname "$0")/lib/harness.sh"
require_tools redis-server redis-cli curl promtool prometheus miltertest ss
require_build mailacd-router
require_build mailacd-milter
[ -x /usr/bin/python3 ] || skip_all "/usr/bin/python3 not installed"

S='mailacd:{acme}:schema'
IN='mailacd:{acme}:ingest'
DASH=$T_TOP/contrib/grafana/mailacd.json
RULES=$T_TOP/contrib/prometheus/mailacd-alerts.yml
start_redis || bail_out "cannot start redis-server"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
MP=$(free_port)
AGENTS='{ id = "alice"; address = "alice@corp.test"; skills = [ "general", "email" ];
	  languages = [ "en" ]; capacity = 2; queues = [ "support" ]; },
	{ id = "bob"; address = "bob@corp.test"; languages = [ "en" ]; queues = [ "billing" ]; }'
# conf PORT: the harness configuration, targets of 60 s, metrics on PORT
conf() {
	milter_conf '{ address = "off@example.com"; queue = "support"; enabled = false; },' \
	    "$AGENTS" 'service_level = 60;' "" \
	    "router = { block_ms = 200; metrics_listen = \"127.0.0.1:$1\"; };"
}
conf "$MP" >"$T_TMP/mailacd.conf"

# scrape [PORT]: the metrics page
scrape() { curl -sf "http://127.0.0.1:${1:-$MP}/metrics"; }
# metric SERIES: the value of one series, as served (empty when absent)
metric() { scrape | awk -v k="$1" '$1 == k { print $2 }'; }
# is_metric SERIES VALUE: the series has VALUE
is_metric() { [ "$(metric "$1")" = "$2" ]; }
# q QUEUE, a AGENT: the label sets of acme's queue and agent series
q() { echo "{org=\"acme\",queue=\"$1\"}"; }
a() { echo "{org=\"acme\",agent=\"$1\"${2:+,state=\"$2\"}}"; }
# entry ID AGO: an interaction for support that arrived AGO ms ago
entry() {
	rcli XADD "$IN" '*' v 1 id "$1" org acme queue support priority 0 \
	    arrived $(($(now_ms) - $2)) subject "metrics $1" >/dev/null
}
# promcheck DESC: promtool check metrics accepts a live scrape
promcheck() {
	scrape >"$T_TMP/scrape.txt"
	if promtool check metrics <"$T_TMP/scrape.txt" >"$T_TMP/promtool.out" 2>&1
	then
		pass "$1"
	else
		fail "$1"
		diag "$(cat "$T_TMP/promtool.out")"
	fi
}

is "$("$MAILACD_BUILD/mailacd-router" -n -c "$T_TMP/mailacd.conf" 2>&1)" \
    "configuration OK" "-n accepts router.metrics_listen"
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f \
    -c "$T_TMP/mailacd.conf"
ROUTER_PID=$SPAWNED_PID
ok "the router listens on 127.0.0.1:$MP" wait_for 10 port_listening "$MP"
roster() { [ "$(rcli SCARD 'mailacd:{acme}:agents')" = 2 ]; }
ok "and writes the roster" wait_for 10 roster
like "$(cat "$T_TMP/router.log")" "metrics: serving http://127.0.0.1:$MP/metrics" \
    "the log says where the metrics are"

# --- HTTP -------------------------------------------------------------------
curl -s -D "$T_TMP/headers" -o "$T_TMP/body" "http://127.0.0.1:$MP/metrics"
like "$(sed -n 1p "$T_TMP/headers")" "^HTTP/1.1 200" "GET /metrics: 200"
like "$(grep -i '^content-type:' "$T_TMP/headers")" \
    "text/plain; version=0.0.4" "in the text format, version 0.0.4"
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MP/")" 404 \
    "GET /: 404"
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MP/metrics/x")" \
    404 "GET /metrics/x: 404"
is "$(curl -s -o /dev/null -w '%{http_code}' -d x=1 "http://127.0.0.1:$MP/metrics")" \
    405 "POST /metrics: 405"
is "$(curl -s -o /dev/null -w '%{http_code}' -I "http://127.0.0.1:$MP/metrics")" \
    200 "HEAD /metrics: 200"
promcheck "promtool check metrics accepts the first scrape"
is "$(metric mailacd_redis_up)" 1 "mailacd_redis_up 1"
like "$(metric 'mailacd_router_build_info{version="'"$(cat "$T_TOP/VERSION")"'"}')" \
    "^1$" "mailacd_router_build_info names the version"
like "$(grep '^# HELP mailacd_redis_errors_total' "$T_TMP/scrape.txt")" \
    "per process" "HELP says which numbers are the process's own"
like "$(grep '^# HELP mailacd_queue_waiting' "$T_TMP/scrape.txt")" \
    "from Redis" "and which come from Redis"

# --- interactions -------------------------------------------------------------
A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1
B=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2
C=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3
entry $A 120000
entry $B 30000
entry $C 0
ok "three interactions wait in support (everybody offline)" \
    wait_for 10 is_metric "mailacd_queue_waiting$(q support)" 3
OLD=$(metric "mailacd_queue_oldest_wait_seconds$(q support)")
ok "the oldest waited about 120 s ($OLD)" \
    awk -v v="$OLD" 'BEGIN { exit !(v >= 120 && v < 150) }'
is "$(metric "mailacd_queue_waiting$(q billing)")" 0 "none in billing"
is "$(metric "mailacd_queue_oldest_wait_seconds$(q billing)")" 0.000 \
    "whose oldest wait is 0"
is "$(metric "mailacd_agent_state$(a alice offline)")$(metric "mailacd_agent_state$(a alice available)")" \
    10 "alice is offline"
is "$(metric "mailacd_agent_capacity$(a alice)")" 2 "her capacity is 2"
is "$(metric "mailacd_queue_service_level_target_seconds$(q support)")" 60 \
    "support's target is 60 s"
is "$(metric "mailacd_queue_service_level$(q support)")" "" \
    "no service level before the day's first answer"

rcli FCALL mailacd_presence 1 "$S" alice available >/dev/null
ok "alice available takes two: one waits" \
    wait_for 10 is_metric "mailacd_queue_waiting$(q support)" 1
is "$(metric "mailacd_queue_assigned$(q support)")" 2 "two assigned"
is "$(metric "mailacd_agent_load$(a alice)")" 2 "alice's load is 2"
is "$(metric "mailacd_agent_state$(a alice available)")" 1 "alice is available"
is "$(metric "mailacd_queue_answered_today$(q support)")" 2 "two answered today"
is "$(metric "mailacd_queue_answered_within_target_today$(q support)")" 1 \
    "one within 60 s (the one of 30 s)"
is "$(metric "mailacd_queue_service_level$(q support)")" 0.5 \
    "service level 0.5"
OLD=$(metric "mailacd_queue_oldest_wait_seconds$(q support)")
ok "the oldest now is the newest arrival ($OLD s)" \
    awk -v v="$OLD" 'BEGIN { exit !(v < 60) }'

rcli FCALL mailacd_close 1 "$S" $A operator >/dev/null
ok "a close lets alice take the last one" \
    wait_for 10 is_metric "mailacd_queue_waiting$(q support)" 0
is "$(metric "mailacd_queue_oldest_wait_seconds$(q support)")" 0.000 \
    "nothing waits: the oldest wait is 0"
is "$(metric "mailacd_agent_load$(a alice)")" 2 "alice's load is 2 again"
is "$(metric "mailacd_queue_service_level$(q support)")" 0.666667 \
    "service level 2 of 3"

# --- dead letters and a domain --------------------------------------------------
rcli XADD "$IN" '*' v 1 id nonsense org acme queue support priority 0 \
    arrived 1 >/dev/null
ok "a malformed entry is a dead letter" \
    wait_for 10 is_metric 'mailacd_dead_letters{org="acme"}' 1
D='{org="acme",domain="example.com",status='
is "$(metric "mailacd_domain_status${D}\"never\"}")" 1 \
    "example.com never checked"
rcli HSET 'mailacd:{acme}:domain:example.com' status failed >/dev/null
is "$(metric "mailacd_domain_status${D}\"failed\"}")$(metric "mailacd_domain_status${D}\"never\"}")" \
    10 "a failed check shows as status failed"

# --- the totals hash: counters and a histogram -----------------------------------
# what the library counted for the three interactions of support
is "$(metric "mailacd_queue_offered_total$(q support)")" 3 \
    "support: 3 offered (arrived)"
is "$(metric "mailacd_queue_assignments_total$(q support)")" 3 \
    "support: 3 assignments"
is "$(metric "mailacd_queue_answered_total$(q support)")" 3 \
    "support: 3 first answers"
is "$(metric "mailacd_queue_closed_total$(q support)")" 1 "support: 1 closed"
is "$(metric "mailacd_queue_wait_seconds_count$(q support)")" 3 \
    "support: 3 waits in the histogram"
W='mailacd_queue_wait_seconds_bucket{org="acme",queue="support",le='
is "$(metric "$W\"120\"}")/$(metric "$W\"300\"}")" 2/3 \
    "two waited under 120 s, the first about 120 s"
SUM=$(metric "mailacd_queue_wait_seconds_sum$(q support)")
ok "their sum is about 150 s ($SUM)" \
    awk -v v="$SUM" 'BEGIN { exit !(v >= 150 && v < 250) }'

# --- the milter's hand-offs, counted by the library ------------------------------
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
N0=$(rcli XLEN "$IN")
mt_run inbound.lua
N1=$(rcli XLEN "$IN")
ok "the milter handed off interactions ($((N1 - N0)))" test "$N1" -gt "$N0"
is "$(metric 'mailacd_milter_handed_off_total{org="acme"}')" "$((N1 - N0))" \
    "mailacd_milter_handed_off_total counts each one (not the retry)"
stop_milter

# sales gets no interaction here: the values written into its hash are
# the ones served
rcli HSET 'mailacd:{acme}:totals:sales' offered 7 assigned 6 answered 5 \
    closed 4 transferred 1 delivery_failed 2 wait_sum_ms 912345 \
    wait_le_10 1 wait_le_60 2 wait_le_600 1 wait_le_inf 1 >/dev/null
is "$(metric "mailacd_queue_offered_total$(q sales)")" 7 "offered from totals"
is "$(metric "mailacd_queue_assignments_total$(q sales)")" 6 \
    "assignments from totals"
is "$(metric "mailacd_queue_answered_total$(q sales)")" 5 "answered from totals"
is "$(metric "mailacd_queue_closed_total$(q sales)")" 4 "closed from totals"
is "$(metric "mailacd_queue_transferred_total$(q sales)")" 1 \
    "transferred from totals"
is "$(metric "mailacd_delivery_give_ups_total$(q sales)")" 2 \
    "give-ups from the totals' delivery_failed"
H='mailacd_queue_wait_seconds_bucket{org="acme",queue="sales",le='
is "$(metric "$H\"10\"}") $(metric "$H\"30\"}") $(metric "$H\"60\"}") $(metric "$H\"300\"}") $(metric "$H\"600\"}") $(metric "$H\"86400\"}") $(metric "$H\"+Inf\"}")" \
    "1 1 3 3 4 4 5" "the buckets are cumulative"
is "$(metric "mailacd_queue_wait_seconds_sum$(q sales)")" 912.345 \
    "the sum in seconds"
is "$(metric "mailacd_queue_wait_seconds_count$(q sales)")" 5 \
    "the count is the last bucket"
promcheck "promtool check metrics accepts the scrape with every family filled"

# --- what the dashboard and the alert rules name is served ---------------------
SERVED=$(grep -v '^#' "$T_TMP/scrape.txt" | sed 's/[{ ].*//' | sort -u)
NAMES=$(/usr/bin/python3 -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
for p in d["panels"]:
    for t in p.get("targets", []):
        for m in re.findall(r"\bmailacd_[a-z_]+", t["expr"]):
            print(m)
' "$DASH" | sort -u)
ok "the dashboard names metrics" test -n "$NAMES"
is "$(printf '%s\n' "$NAMES" | grep -vxF -- "$SERVED")" "" \
    "every metric of the dashboard's queries is served"
ANAMES=$(grep -o 'mailacd_[a-z_]*' "$RULES" | grep -v '^mailacd_[a-z_]*\.yml' |
    sort -u)
is "$(printf '%s\n' "$ANAMES" | grep -vxF -- "$SERVED")" "" \
    "every metric of the alert rules is served"

# A private Prometheus scrapes the router every second and evaluates the
# alert rules: every panel's query answers with data, every rule is healthy.
PP=$(free_port)
mkdir -p "$T_TMP/prom"
cat >"$T_TMP/prom.yml" <<EOF
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [ "$RULES" ]
scrape_configs:
  - job_name: mailacd
    static_configs: [ { targets: [ "127.0.0.1:$MP" ] } ]
EOF
spawn prometheus "$T_TMP/prometheus.log" prometheus \
    --config.file="$T_TMP/prom.yml" --storage.tsdb.path="$T_TMP/prom" \
    --web.listen-address="127.0.0.1:$PP" --log.level=warn
PROM_PID=$SPAWNED_PID
prom_ready() { curl -sf "http://127.0.0.1:$PP/-/ready" >/dev/null; }
ok "a private Prometheus starts" wait_for 30 prom_ready
# scraped N: Prometheus holds N scrapes of the router or more
scraped() {
	curl -sf "http://127.0.0.1:$PP/api/v1/query" \
	    --data-urlencode 'query=count_over_time(up{job="mailacd"}[1m])' |
	    /usr/bin/python3 -c 'import json,sys; r = json.load(sys.stdin)["data"]["result"]; sys.exit(not r or int(r[0]["value"][1]) < int(sys.argv[1]))' "$1"
}
ok "it scrapes the router" wait_for 30 scraped 4
BAD=$(/usr/bin/python3 -c '
import json, sys, urllib.parse, urllib.request
base = "http://127.0.0.1:%s/api/v1/" % sys.argv[2]
d = json.load(open(sys.argv[1]))
n = 0
for p in d["panels"]:
    for t in p.get("targets", []):
        q = t["expr"].replace("$org", ".*").replace("$queue", ".*")
        url = base + "query?" + urllib.parse.urlencode({"query": q})
        try:
            r = json.load(urllib.request.urlopen(url))
        except Exception as e:
            print("%s: %s: %s" % (p["title"], q, e)); continue
        n += 1
        if r.get("status") != "success" or not r["data"]["result"]:
            print("%s: %s: %s" % (p["title"], q, json.dumps(r)[:300]))
print("queries %d" % n, file=sys.stderr)
rules = json.load(urllib.request.urlopen(base + "rules"))
for g in rules["data"]["groups"]:
    for rule in g["rules"]:
        if rule.get("health") != "ok":
            print("rule %s: %s %s" % (rule["name"], rule.get("health"), rule.get("lastError")))
' "$DASH" "$PP" 2>"$T_TMP/queries.txt")
is "$BAD" "" "Prometheus answers every panel's query with data, and every alert rule evaluates ($(cat "$T_TMP/queries.txt"))"
kill_pid "$PROM_PID"
t_forget "$PROM_PID"

# --- the address in use -----------------------------------------------------------
"$MAILACD_BUILD/mailacd-router" -f -c "$T_TMP/mailacd.conf" \
    >"$T_TMP/second.log" 2>&1 </dev/null
is "$?" 71 "a second router on the same metrics address exits 71 (EX_OSERR)"
like "$(cat "$T_TMP/second.log")" \
    "metrics: cannot listen on 127.0.0.1:$MP: Address already in use" \
    "naming the address and the reason"
serves() { scrape >/dev/null; }
ok "the first router still serves" serves

# --- Redis down -----------------------------------------------------------------
stop_redis
promcheck "with Redis down the scrape is still good"
is "$(metric mailacd_redis_up)" 0 "mailacd_redis_up 0"
ERRS=$(metric mailacd_redis_errors_total)
cmp_ok "${ERRS:-0}" -ge 1 "mailacd_redis_errors_total counts the failures ($ERRS)"
is "$(grep -c '^mailacd_queue_waiting' "$T_TMP/scrape.txt")" 0 \
    "and nothing from Redis is made up"
restart_redis
ok "Redis back: mailacd_redis_up 1" wait_for 15 is_metric mailacd_redis_up 1
is "$(metric "mailacd_agent_load$(a alice)")" 2 "the numbers are back"
like "$(cat "$T_TMP/router.log")" "metrics: redis 127.0.0.1:$REDIS_PORT: back" \
    "the log says when the metrics read Redis again"

# --- a reload moves the address -------------------------------------------------
MP2=$(free_port)
conf "$MP2" >"$T_TMP/mailacd.conf"
kill -HUP "$ROUTER_PID"
ok "after a reload the metrics are on the new port" wait_for 10 port_listening "$MP2"
ok "and no longer on the old one" wait_for 10 t_port_free "$MP"
is "$(scrape "$MP2" | awk '$1 == "mailacd_redis_up" { print $2 }')" 1 \
    "the new port serves"

kill_pid "$ROUTER_PID"
t_forget "$ROUTER_PID"
ok "the router stopped, the port is free" wait_for 10 t_port_free "$MP2"
logs_clean "no sanitizer report or panic in the router log" "$T_TMP/router.log"
done_testing
