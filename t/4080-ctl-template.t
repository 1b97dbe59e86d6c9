#!/bin/sh
# 4080-ctl-template.t - mailacdctl template preview: the raw message a
# customer would get, read back with python3's email package: an agent's
# sample reply with the channel's header and footer, the agent's
# signature and the contact card; a standard response and the
# acknowledgement composed (MIME, encoded Subject, threading, RFC 3834
# Auto-Submitted) and dressed; usage and lookup errors with their exit
# codes; and configuration mistakes in templates reported as file:line,
# naming both the template's line and the setting.  Only the
# configuration is read: Redis is not there.
. "$(dirname "$0")/lib/harness.sh"
require_build mailacdctl
PY=/usr/bin/python3
CTL=$MAILACD_BUILD/mailacdctl
CONF=$T_TMP/mailacd.conf
mkdir -p "$T_TMP/tpl"
printf 'Hello {{customer.name}}, this is {{channel.name}}.\n' >"$T_TMP/tpl/head.txt"
printf '<p class="head">Hello {{customer.name}}</p>\n' >"$T_TMP/tpl/head.html"
printf -- '-- \n{{organization}} {{date}}\n' >"$T_TMP/tpl/foot.txt"
printf '{{agent.name}} of {{queue}}\n' >"$T_TMP/tpl/sig.txt"
printf 'We got "{{interaction.subject}}" (ref {{interaction.reference}}).\nExpect an answer within {{wait.expected|a day}}; we open {{opens|soon}}.\n' >"$T_TMP/tpl/ack.txt"
printf '<p>We got <b>{{interaction.subject}}</b>, ref {{interaction.reference}}.</p>\n' >"$T_TMP/tpl/ack.html"
printf 'Señora {{customer.name}}, su reembolso está en camino.\n' >"$T_TMP/tpl/refund.txt"
cat >"$CONF" <<CONF
redis = { host = "127.0.0.1"; port = 1; };
milter = { socket = "inet:8891@127.0.0.1"; };
organizations = ( { id = "acme";
  date_format = "%d/%m/%Y %H:%M %Z";
  timezone = "Europe/Madrid";
  schedules = ( { name = "office"; timezone = "Europe/Madrid";
                  hours = [ "mon-fri 09:00-18:00" ]; } );
  queues = ( { name = "support"; schedule = "office"; } );
  responses = (
    { name = "ack"; subject = "Re: {{interaction.subject}} [{{interaction.reference}}]";
      text = "tpl/ack.txt"; html = "tpl/ack.html"; },
    { name = "refund"; subject = "Reembolso para {{customer.name}} ✓";
      text = "tpl/refund.txt"; } );
  domains = ( { name = "example.com"; addresses = (
    { address = "support@example.com"; queue = "support";
      display_name = "Acme Support"; ack = "ack";
      header = { text = "tpl/head.txt"; html = "tpl/head.html"; };
      footer = { text = "tpl/foot.txt"; };
      card = { organization = "Acme Inc"; url = "https://example.com/"; }; },
    { address = "bare@example.com"; queue = "support"; } ); } );
  agents = ( { id = "alice"; name = "Alice Smith"; address = "alice@corp.test";
    queues = [ "support" ]; signature = { text = "tpl/sig.txt"; }; },
    { id = "bob"; address = "bob@corp.test"; queues = [ "support" ]; } );
} );
CONF
chmod 600 "$CONF"

# tp ARGS...: mailacdctl -c CONF ARGS, stdout in $T_TMP/out; ERR, RC
tp() {
	"$CTL" -c "$CONF" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	ERR=$(cat "$T_TMP/err")
}
# py: evaluate each "NAME<TAB>python expression" line of $T_TMP/checks
# over the message in $T_TMP/out; prints "NAME ok" or "NAME bad"
py() {
	"$PY" - "$T_TMP/out" "$T_TMP/checks" <<'PYEOF'
import email, email.policy, re, sys
raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw, policy=email.policy.default)
def txt(p):
    return p.get_content().replace("\r\n", "\n") if p is not None else ""
plain = txt(m.get_body(preferencelist=("plain",)))
html = txt(m.get_body(preferencelist=("html",)))
cards = [p for p in m.walk() if p.get_content_type() == "text/vcard"]
for line in open(sys.argv[2]):
    name, _, expr = line.rstrip("\n").partition("\t")
    try:
        good = eval(expr)
    except Exception:
        good = False
    print(name + (" ok" if good else " bad"))
print("crlf " + ("ok" if b"\n" not in raw.replace(b"\r\n", b"") else "bad"))
print("defects " + ("ok" if not any(p.defects for p in m.walk()) else "bad"))
PYEOF
}
# expect WHAT: the checks in $T_TMP/checks, one TAP line each, then CRLF
# line ends and no MIME defects
expect() {
	py >"$T_TMP/py.out" 2>&1
	for name in $(cut -f1 "$T_TMP/checks") crlf defects; do
		if grep -qx "$name ok" "$T_TMP/py.out"; then
			pass "$1: $name"
		else
			fail "$1: $name"
			diag "$(cat "$T_TMP/py.out")"
			diag "$(head -c 3000 "$T_TMP/out")"
		fi
	done
}
T=$(printf '\t')

# an agent's sample reply, dressed
tp template preview support@example.com --agent alice
is "$RC" 0 "preview of a reply: exit 0"
is "$ERR" "" "nothing on stderr"
cat >"$T_TMP/checks" <<C
from${T}str(m["From"]) == "Acme Support <support@example.com>"
mixed${T}m.get_content_type() == "multipart/mixed"
head${T}plain.startswith("Hello Ana Example, this is Acme Support.\n")
sig${T}"Alice Smith of support\n" in plain
datefmt${T}re.search(r"-- \nAcme Inc \d\d/\d\d/20\d\d \d\d:\d\d CES?T", plain) is not None
htmlhead${T}'<p class="head">Hello Ana Example</p>' in html
card${T}len(cards) == 1 and "ORG:Acme Inc" in cards[0].get_content()
C
expect "reply"
tp template preview support@example.com
cat >"$T_TMP/checks" <<C
nosig${T}" of support" not in plain and plain.startswith("Hello")
C
expect "reply without --agent"
tp template preview bare@example.com
is "$RC" 0 "an address with nothing to add: exit 0"
cat >"$T_TMP/checks" <<C
plain${T}plain.strip() == "This is where the agent's answer goes." and not cards
C
expect "undressed address"

# the acknowledgement
tp template preview support@example.com --ack
is "$RC" 0 "preview of the ack: exit 0"
cat >"$T_TMP/checks" <<C
subject${T}str(m["Subject"]) == "Re: Sample question [0F1E2D3C]"
auto${T}str(m["Auto-Submitted"]) == "auto-replied"
irt${T}str(m["In-Reply-To"]) == "<preview-question@example.net>"
refs${T}str(m["References"]) == "<preview-question@example.net>"
to${T}str(m["To"]) == "Ana Example <customer@example.net>"
msgid${T}str(m["Message-ID"]) == "<preview-ack@example.com>"
alt${T}m.get_body(preferencelist=("plain",)) is not None and m.get_body(preferencelist=("html",)) is not None
text${T}'We got "Sample question" (ref 0F1E2D3C).' in plain and "within 15 minutes" in plain
opens${T}re.search(r"we open \d\d/\d\d/20\d\d \d\d:\d\d CES?T\.", plain) is not None
html${T}"<b>Sample question</b>" in html
head${T}plain.startswith("Hello Ana Example, this is Acme Support.\n")
C
expect "ack"

# a standard response: non-ASCII subject and text
tp template preview support@example.com --response refund --agent bob
is "$RC" 0 "preview of a response: exit 0"
cat >"$T_TMP/checks" <<C
subject${T}str(m["Subject"]) == "Reembolso para Ana Example ✓"
encoded${T}b"=?utf-8?" in raw.split(b"\r\n\r\n")[0].lower()
noauto${T}m["Auto-Submitted"] is None
text${T}"Señora Ana Example, su reembolso está en camino." in plain
qp${T}m.get_body(preferencelist=("plain",))["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
C
expect "response"
# the same input composes the same bytes (a retry resends them)
"$CTL" -c "$CONF" template preview support@example.com --response refund \
    | grep -v '^Date:' >"$T_TMP/a"
"$CTL" -c "$CONF" template preview support@example.com --response refund \
    | grep -v '^Date:' >"$T_TMP/b"
ok "the same response composes the same bytes" cmp -s "$T_TMP/a" "$T_TMP/b"

# lookups and usage
tp template preview nobody@example.com
is "$RC" 1 "an unknown address: exit 1"
like "$ERR" "nobody@example.com is not a registered address" "says so"
tp template preview support@example.com --agent carol
is "$RC" 1 "an unknown agent: exit 1"
tp template preview support@example.com --response nosuch
is "$RC" 1 "an unknown response: exit 1"
like "$ERR" "no response nosuch in organization acme" "says so"
tp template preview bare@example.com --ack
is "$RC" 1 "--ack of an address without one: exit 1"
tp template preview support@example.com --ack --response refund
is "$RC" 64 "--ack with --response: usage error"
tp template preview
is "$RC" 64 "no address: usage error"
tp template show support@example.com
is "$RC" 64 "an unknown subcommand: usage error"

# configuration mistakes: file:line, the template's line and the setting
printf 'line one\n{{customer.nmae}}\n' >"$T_TMP/tpl/bad.txt"
printf 'x {{queue\n' >"$T_TMP/tpl/open.txt"
cp "$CONF" "$T_TMP/bad.conf"
sed -i -e 's|text = "tpl/refund.txt"; } );|text = "tpl/refund.txt"; },\
    { name = "bad"; subject = "x"; text = "tpl/bad.txt"; html = "tpl/none.html"; },\
    { name = "open"; subject = "{{interaction.id"; text = "tpl/open.txt"; },\
    { name = "empty"; subject = "x"; } );|' \
    -e 's|display_name = "Acme Support"; ack = "ack";|display_name = "Acme Support"; ack = "nope";|' \
    -e 's|^  timezone = "Europe/Madrid";$|  timezone = "Mars/Base";|' "$T_TMP/bad.conf"
"$CTL" -c "$T_TMP/bad.conf" check >"$T_TMP/out" 2>&1
RC=$?
OUT=$(cat "$T_TMP/out")
is "$RC" 78 "a configuration with template mistakes: exit 78"
line() { grep -n "$1" "$T_TMP/bad.conf" | sed 1q | cut -d: -f1; }
like "$OUT" "bad.conf:$(line 'name = "bad"'): organizations\\[acme\\]\\.responses\\[bad\\]\\.text = \"tpl/bad.txt\": $T_TMP/tpl/bad.txt:2: unknown placeholder \\{\\{customer.nmae\\}\\}" \
    "an unknown placeholder: the setting's line and the template's line"
like "$OUT" "bad.conf:$(line 'name = "bad"'): organizations\\[acme\\]\\.responses\\[bad\\]\\.html = \"tpl/none.html\": cannot open $T_TMP/tpl/none.html" \
    "a missing template file"
like "$OUT" "responses\\[open\\]\\.subject = \"\\{\\{interaction.id\": unclosed \\{\\{" \
    "an unclosed {{ in a subject"
like "$OUT" "responses\\[open\\]\\.text = \"tpl/open.txt\": $T_TMP/tpl/open.txt:1: unclosed \\{\\{" \
    "an unclosed {{ in a file"
like "$OUT" "bad.conf:$(line 'name = "empty"'): organizations\\[acme\\]\\.responses\\[empty\\]: needs text, html or both" \
    "a response without text or html"
like "$OUT" "bad.conf:$(line 'ack = "nope"'): .*addresses\\[support@example.com\\]\\.ack = \"nope\": no such response in this organization" \
    "an address's ack must name a response"
like "$OUT" "bad.conf:$(line 'Mars/Base'): organizations\\[acme\\]\\.timezone = \"Mars/Base\": unknown time zone" \
    "an unknown time zone"
done_testing
