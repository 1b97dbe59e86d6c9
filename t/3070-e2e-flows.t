#!/bin/sh
# 3070-e2e-flows.t - flows on real mail: a private Postfix, mailacd-milter,
# mailacd-router and Redis.  Mail to an address (and to a catch-all) that
# names a flow reaches the queue its rules chose, with the language
# detected in its text, and lands with the agent who speaks it; outside a
# schedule's hours it goes where the flow says, with the acknowledgement
# recorded; spam is delivered but recorded on a closed interaction; the
# stamp is read back with python3's email parser, and the stream entry and
# "mailacdctl interaction show" carry the tags and the detection.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix smtp-sink swaks ss python3
require_build mailacd-milter
require_build mailacd-router
require_build mailacdctl

S='mailacd:{acme}:schema'
start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start smtp-sink"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
# "office" is closed today and tomorrow (UTC holidays), whatever the hour
today=$(date -u +%F)
tomorrow=$(date -u -d tomorrow +%F)
cat >"$T_TMP/mailacd.conf" <<EOF
redis = { host = "127.0.0.1"; port = $REDIS_PORT; };
milter = { socket = "$MILTER_SOCKET"; };
organizations = ( { id = "acme";
  schedules = (
    { name = "office"; timezone = "UTC"; hours = [ "daily 00:00-24:00" ];
      holidays = [ "$today", "$tomorrow" ]; }
  );
  queues = ( { name = "support"; }, { name = "sales"; },
             { name = "night"; schedule = "office"; } );
  agents = (
    { id = "alice"; address = "alice@corp.test"; skills = [ "general" ];
      languages = [ "en" ]; capacity = 5; queues = [ "support" ]; },
    { id = "bruno"; address = "bruno@corp.test"; skills = [ "general" ];
      languages = [ "es" ]; capacity = 5; queues = [ "support", "sales" ]; },
    { id = "nina"; address = "nina@corp.test"; skills = [ "general" ];
      languages = [ "en", "es" ];
      capacity = 5; queues = [ "night" ]; }
  );
  flows = (
    { name = "again";
      rules = ( { name = "open"; if = { open_interaction = true; };
                  add_priority = 100; tags = [ "again" ]; } );
      default = { queue = "support"; };
    },
    { name = "contact";
      rules = (
        { name = "spam"; if = { subject = "/\\\\bviagra\\\\b/"; };
          close = true; tags = [ "spam" ]; },
        { name = "late"; if = { outside_hours = "office";
            sender_domain = "late.test"; };
          queue = "night"; ack = "closed-now"; },
        { name = "spanish"; if = { language = "es"; };
          queue = "sales"; },
        { name = "vip"; if = { from_domain = "vip.test"; };
          add_priority = 30; tags = [ "vip" ]; }
      );
      default = { queue = "support"; };
    }
  );
  domains = ( { name = "example.com";
    catch_all = { flow = "contact"; skills = [ "general" ]; };
    addresses = (
      { address = "contact@example.com"; flow = "contact";
        skills = [ "general" ]; priority = 10; },
      { address = "again@example.com"; flow = "again";
        skills = [ "general" ]; language = "en"; }
    ); } );
} );
EOF
chmod 600 "$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f \
    -c "$MILTER_CONF"
RUN=$$.$(date +%s)
roster_written() { [ "$(rcli SCARD 'mailacd:{acme}:agents')" = 3 ]; }
ok "the router writes the roster" wait_for 20 roster_written

# mail N FROM TO SUBJECT BODY: send message N
mail() {
	{
		printf 'From: <%s>\nTo: %s\nSubject: %s\n' "$2" "$3" "$4"
		printf 'Message-ID: <flow-%s.%s@test>\nMIME-Version: 1.0\n' "$1" "$RUN"
		printf 'Content-Type: text/plain; charset=utf-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n\n%s\n' "$5"
	} >"$T_TMP/m$1.eml"
	send_mail "$T_TMP/m$1.eml" "$2" "$3"
}
has_mail() { [ -n "$(sink_find "flow-$1.$RUN@test")" ]; }
# stamp N PARAM: a parameter of message N's stamp, read by python3's parser
stamp() {
	f=$(sink_find "flow-$1.$RUN@test" | sed 1q)
	sink_message "$f" | /usr/bin/python3 -c '
import email, email.policy, sys
m = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
v = str(m["X-MailACD-Interaction"] or "")
parts = [p.strip() for p in v.replace("\n", " ").split(";")]
if sys.argv[1] == "id":
    print(parts[0])
else:
    for p in parts[1:]:
        k, _, val = p.partition("=")
        if k.strip() == sys.argv[1]:
            print(val.strip().strip("\""))' "$2"
}
ix() { rcli HGET "mailacd:{acme}:ix:$1" "$2"; }
presence() { rcli FCALL mailacd_presence 1 "$S" "$1" "$2" >/dev/null; }
assigned_to() { [ "$(ix "$1" state)" = assigned ] && [ "$(ix "$1" agent)" = "$2" ]; }

ES='Hola, buenos días. Les escribo porque el pedido que hice la semana pasada todavía no ha llegado a mi casa y necesito saber cuándo lo van a entregar. ¿Me pueden ayudar, por favor? Muchas gracias por su atención.'
EN='Hello, good morning. I am writing because the order I placed last week has still not arrived at my house and I need to know when it will be delivered. Could you help me, please? Thank you very much for your attention.'

ok "a Spanish message to contact@ is accepted" \
    mail 1 cliente@cliente.test contact@example.com "Mi pedido" "$ES"
ok "an English message from a VIP to contact@ is accepted" \
    mail 2 boss@vip.test contact@example.com "My order" "$EN"
ok "spam to contact@ is accepted (it is delivered)" \
    mail 3 seller@spam.test contact@example.com "Cheap Viagra" "$EN"
ok "a message from late.test is accepted" \
    mail 4 night@late.test contact@example.com "After hours" "$EN"
ok "a Spanish message to the catch-all is accepted" \
    mail 5 otra@cliente.test ventas-es@example.com "Consulta" "$ES"
for n in 1 2 3 4 5; do
	ok "message $n delivered" wait_for 20 has_mail $n
done
id1=$(stamp 1 id); id2=$(stamp 2 id); id3=$(stamp 3 id)
id4=$(stamp 4 id); id5=$(stamp 5 id)
ok "five interaction ids stamped" test -n "$id1" -a -n "$id2" -a -n "$id3" \
    -a -n "$id4" -a -n "$id5"

# --- the stamp carries the flow's result -----------------------------------
is "$(stamp 1 queue)/$(stamp 1 language)" "sales/es" \
    "Spanish text: the flow's queue, and the detected language"
is "$(stamp 2 queue)/$(stamp 2 language)/$(stamp 2 priority)" "support/en/40" \
    "VIP: the default queue, English detected, priority 10 + 30"
is "$(stamp 4 queue)" night "outside the office's hours: the night queue"
is "$(stamp 5 queue)/$(stamp 5 language)" "sales/es" \
    "the catch-all's flow: Spanish to sales"

# --- the stream entry and the interaction ------------------------------------
has_ix() { [ -n "$(ix "$1" state)" ]; }
for id in "$id1" "$id2" "$id3" "$id4" "$id5"; do wait_for 20 has_ix "$id"; done
is "$(ix "$id1" detected_language)" es "the detected language is recorded"
conf=$(ix "$id1" language_confidence)
ok "with its confidence ($conf)" test "${conf:-0}" -ge 50
is "$(ix "$id1" flow)" "contact/spanish" "the rule that applied is recorded"
is "$(ix "$id2" tags)/$(ix "$id2" flow)" "vip/contact/vip" "VIP: tagged"
is "$(ix "$id4" ack)" closed-now "the acknowledgement chosen is recorded"
opens=$(ix "$id4" opens)
day3=$(date -u -d "$(date -u -d '2 days' +%F)" +%s)
is "$opens" "$day3" "and when the night queue opens (the day after the holidays, 00:00 UTC)"
is "$(ix "$id3" state)/$(ix "$id3" closed_by)/$(ix "$id3" tags)" \
    "closed/flow/spam" "spam: recorded on an interaction closed by the flow"
is "$(rcli ZSCORE 'mailacd:{acme}:queue:support' "$id3")" "" \
    "spam waits in no queue"
entry=$(rcli XRANGE 'mailacd:{acme}:ingest' - + | tr '\n' ' ')
like "$entry" "stopped 1" "the stream entry of the spam says stopped"
like "$entry" "detected_language es language_confidence [0-9]+" \
    "stream entries carry the detection"
like "$("$MAILACD_BUILD/mailacdctl" -c "$MILTER_CONF" interaction show "$id2" | tr '\n' ' ')" \
    "tags +vip .*flow +contact/vip" "interaction show lists the tags and the flow"

st=$("$MAILACD_BUILD/mailacdctl" -c "$MILTER_CONF" status)
like "$st" "night: closed now \\(schedule office\\), opens [0-9-]+ 00:00 UTC" \
    "mailacdctl status: the night queue is closed now, and when it opens"
OUT=$("$MAILACD_BUILD/mailacdctl" -c "$MILTER_CONF" --json status)
is "$(jq '[q for q in d["organizations"][0]["queues"] if q["queue"] == "night"][0]["hours"]["open"]')" \
    false "status --json: hours.open"

# --- open_interaction: the customer's second new thread at again@ -----------
ok "a first message to again@ is accepted" \
    mail 6 repeat@customer.test again@example.com "Question" "$EN"
ok "message 6 delivered" wait_for 20 has_mail 6
id6=$(stamp 6 id)
wait_for 20 has_ix "$id6"
ok "a second, new thread from the same customer is accepted" \
    mail 7 repeat@customer.test again@example.com "Another question" "$EN"
ok "message 7 delivered" wait_for 20 has_mail 7
id7=$(stamp 7 id)
isnt "$id7" "$id6" "a new interaction (no merging configured)"
is "$(stamp 6 priority)/$(ix "$id6" tags)" "0/" \
    "the first: no open interaction, the rule does not hold"
is "$(stamp 7 priority)/$(ix "$id7" tags)" "100/again" \
    "the second: the first is open, the rule holds"
is "$(stamp 7 tags)/$(stamp 6 tags)" "again/" \
    "the stamp carries the tags, and none when the flow gave none"

# --- the agent who speaks it ------------------------------------------------
presence alice available
presence bruno available
presence nina available
ok "the Spanish message lands with bruno (es)" wait_for 20 assigned_to "$id1" bruno
ok "the catch-all's Spanish message lands with bruno" wait_for 20 assigned_to "$id5" bruno
ok "the English VIP message lands with alice (en)" wait_for 20 assigned_to "$id2" alice
ok "the after-hours message lands with nina (night)" wait_for 20 assigned_to "$id4" nina
is "$(ix "$id3" state)" closed "the spam is never assigned"
like "$(cat "$MILTER_LOG")" "interaction $id1 flow contact/spanish language=es detected=es/[0-9]+" \
    "the milter logs the flow and the detection"
logs_clean "no sanitizer report in the logs" "$MILTER_LOG" "$T_TMP/router.log"
done_testing
