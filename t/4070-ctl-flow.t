#!/bin/sh
# 4070-ctl-flow.t - mailacdctl flow test: the dry run of a flow on a
# message from stdin.  Which rules matched, the schedules' state, the
# resulting queue, skills, language, priority, tags, acknowledgement and
# stop, as text and as JSON (read back with python3's json), for mail a
# rule takes, mail it does not, mail that only the schedule tells apart,
# a called flow, MIME-encoded mail, an open interaction taken as false or
# (-o) true, a hostile expression, and the usage
# errors.  Nothing is read or written in Redis: the configuration points
# at a port where nobody listens, and it works all the same.
. "$(dirname "$0")/lib/harness.sh"
require_tools python3
require_build mailacdctl
CTL=$MAILACD_BUILD/mailacdctl
CONF=$T_TMP/mailacd.conf
printf 'boss@vip.test\n@partner.test  # a whole domain\n' >"$T_TMP/vip.txt"
cat >"$CONF" <<EOF
redis = { host = "127.0.0.1"; port = 1; };
milter = { socket = "inet:1@127.0.0.1"; };
flow = { match_limit = 10000; };
organizations = ( { id = "acme";
  schedules = (
    { name = "office"; timezone = "Europe/Madrid";
      hours = [ "mon-fri 09:00-18:00" ]; holidays = [ "2026-12-25" ]; }
  );
  queues = ( { name = "support"; schedule = "office"; }, { name = "sales"; },
             { name = "night"; }, { name = "billing"; } );
  flows = (
    { name = "triage";
      rules = (
        { name = "spam"; if = { subject = "/\\\\bviagra\\\\b/"; };
          close = true; tags = [ "spam" ]; },
        { name = "vip"; if = { from_list = "$T_TMP/vip.txt"; };
          add_priority = 40; add_skills = [ "vip" ]; tags = [ "vip" ];
          call = "money"; },
        { name = "night"; if = { outside_hours = "office";
            not = { automatic = true; }; };
          queue = "night"; ack = "closed-now"; },
        { name = "hostile"; if = { body = "/(x+x+)+\$/"; }; queue = "sales"; }
      );
      default = { queue = "support"; };
    },
    { name = "money";
      rules = ( { name = "refund"; if = { body = [ "refund", "devolución" ]; };
                  queue = "billing"; tags = [ "refund" ]; } );
      default = { }; },
    { name = "repeat";
      rules = ( { name = "again"; if = { open_interaction = true; };
                  queue = "sales"; tags = [ "again" ]; } );
      default = { queue = "support"; }; }
  );
  domains = ( { name = "example.com";
    addresses = (
      { address = "help@example.com"; flow = "triage"; skills = [ "general" ];
        priority = 10; },
      { address = "sales@example.com"; queue = "sales"; language = "es"; },
      { address = "again@example.com"; flow = "repeat"; }
    ); } );
} );
EOF
chmod 600 "$CONF"

# ft MESSAGE ARGS...: flow test with MESSAGE on stdin; OUT, ERR, RC
ft() {
	m=$1
	shift
	printf '%b' "$m" | "$CTL" -c "$CONF" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
}
# field NAME: the value of "  NAME  value" in the result block
field() { printf '%s\n' "$OUT" | sed -n "s/^  $1  *//p" | tail -1; }

FRI_DAY=2026-12-04T10:00Z	# 11:00 in Madrid, a Friday
FRI_NIGHT=2026-12-04T20:00Z	# 21:00

# open_interaction: not read from Redis; false, or true with -o
ft 'Subject: again\n\nstill waiting\n' flow test again@example.com
is "$RC/$(field queue)/$(field tags)" "0/support/-" \
    "open_interaction is taken as false"
like "$OUT" "open_interaction is not read from Redis here: taken as false \\(-o: as true\\)" \
    "... and the output says so, and how to take it as true"
ft 'Subject: again\n\nstill waiting\n' flow test -o again@example.com
is "$RC/$(field queue)/$(field tags)" "0/sales/again" \
    "-o: as if the customer had an open interaction"
like "$OUT" "taken as true \\(-o\\)" "... and the output says so"

ft 'Subject: hello\n\nwhere is my order?\n' flow test -t $FRI_DAY help@example.com
is "$RC" 0 "plain mail in office hours: exit 0"
like "$OUT" "^address +help@example.com \\(organization acme, flow triage\\)" \
    "names the address and its flow"
like "$OUT" "schedule +office: open \\(2026-12-04 11:00 CET\\)" \
    "the schedule is open, in its own zone"
like "$OUT" "flow triage rule spam \\(line [0-9]+\\): no" "each rule looked at"
like "$OUT" "flow triage: default" "none matched: the default"
is "$(field queue)/$(field skills)/$(field priority)/$(field tags)" \
    "support/general/10/-" "the default's queue, the address's skills and priority"
is "$ERR" "" "nothing on stderr"

ft 'Subject: hello\n\nwhere is my order?\n' flow test -t $FRI_NIGHT help@example.com
like "$OUT" "schedule +office: closed \\(2026-12-04 21:00 CET\\), opens 2026-12-07 09:00 CET" \
    "after hours: closed, and when it opens (Monday)"
like "$OUT" "rule night \\(line [0-9]+\\): matched" "the night rule matched"
is "$(field queue)/$(field ack)" "night/closed-now" \
    "outside hours: the night queue and its acknowledgement"
ft 'Subject: hello\nAuto-Submitted: auto-replied\n\nI am away\n' flow test \
    -t $FRI_NIGHT help@example.com
is "$(field queue)" support "automatic mail is not the night rule's (not = { automatic })"
ft 'Subject: failure notice\n\nx\n' flow test -f '' -t $FRI_NIGHT help@example.com
is "$(field queue)" support "-f '': the null sender is automatic mail"
ft 'Subject: hello\n\nx\n' flow test -t 2026-12-25T10:00Z help@example.com
is "$(field queue)" night "a holiday is outside hours"

ft 'Subject: =?utf-8?q?Cheap_VIAGRA_now?=\n\nx\n' flow test -t $FRI_DAY help@example.com
is "$(field tags)/$(field stopped | cut -c1-3)" "spam/yes" \
    "an RFC 2047 subject matched case-insensitively: tagged, routing stops"

ft 'From: Boss <Boss@VIP.test>\nSubject: money\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nQuiero una DEVOLUCI=D3N\n' \
    flow test -t $FRI_DAY help@example.com
like "$OUT" "flow triage calls money" "the vip rule calls the money flow"
like "$OUT" "flow money rule refund \\(line [0-9]+\\): matched" \
    "the quoted-printable Latin-1 body matched"
is "$(field queue)/$(field skills)/$(field priority)/$(field tags)" \
    "billing/general,vip/50/vip,refund" \
    "queue from the called flow, skills and priority added to, tags of both"

ft 'From: anyone@partner.test\nSubject: hi\n\nhello\n' flow test -t $FRI_DAY help@example.com
is "$(field tags)/$(field queue)" "vip/support" \
    "a domain of the list file; money's empty default keeps the default queue"

big=$(python3 -c 'print("x" * 30000 + "z")')
ft "Subject: hi\n\n$big\n" flow test -t $FRI_DAY help@example.com
like "$OUT" "limit +a regular expression hit flow.match_limit \\(10000\\): the default applied" \
    "a pathological expression hits the match limit"
is "$(field queue)" support "and the flow's default applies"

ft 'Subject: hola\n\nhola\n' flow test sales@example.com
is "$RC/$(field queue)/$(field language)" "0/sales/es" \
    "an address with a queue: its route as it is"

ft 'From: boss@vip.test\nSubject: hi\n\nrefund\n' --json flow test -t $FRI_NIGHT help@example.com
json_ok "--json is JSON"
is "$(jq 'd["queue"]')/$(jq 'd["path"]')" "billing/triage/vip > money/refund" \
    "JSON: the queue and the path"
is "$(jq 'd["schedules"][0]["open"]')/$(jq 'd["schedules"][0]["opens"]')" \
    "false/1796630400" "JSON: the schedule closed and when it opens (epoch)"
is "$(jq 'd["stopped"]')/$(jq 'd["tags"]')" "false/['vip', 'refund']" \
    "JSON: stopped and tags"

# --- mistakes --------------------------------------------------------------
ft 'x' flow test nobody@example.org
is "$RC" 1 "an address that is not registered: exit 1"
like "$ERR" "nobody@example.org is not a registered address" "and says so"
ft 'x' flow test -t yesterday help@example.com
is "$RC" 64 "a bad -t: exit 64"
like "$ERR" "-t yesterday: not a time" "and says why"
ft 'x' flow help@example.com
is "$RC" 64 "flow without test: exit 64"
ft 'x' flow test
is "$RC" 64 "no address: exit 64"
done_testing
