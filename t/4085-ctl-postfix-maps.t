#!/bin/sh
# 4085-ctl-postfix-maps.t - mailacdctl postfix maps: the four maps written
# from mailacd.conf (relay hosts, SASL passwords, TLS policies, the
# implicit-TLS transport), read back through Postfix's own postmap -q as
# smtp(8) would look them up (by envelope sender, in any case); the
# password map and its .db mode 0600 even over an older .db others could
# read, nothing left half-written; --no-postmap prints the commands; the
# main.cf and master.cf lines; a configuration change replaces the maps;
# usage errors and a server given two TLS settings refused.  No Redis is
# needed: the configuration points at a port where nobody listens.
. "$(dirname "$0")/lib/harness.sh"
require_tools postmap
require_build mailacdctl
CTL=$MAILACD_BUILD/mailacdctl
CONF=$T_TMP/mailacd.conf
PFC=$T_TMP/postfix
mkdir -p "$PFC"
: >"$PFC/main.cf"	# postmap reads main.cf; an empty one gives the defaults
MAPS=$T_TMP/maps
# conf SUPPORT-PASSWORD [EXTRA-AGENT]: the configuration
conf() {
	cat >"$CONF" <<EOF
redis = { host = "127.0.0.1"; port = 1; };
milter = { socket = "inet:1@127.0.0.1"; };
organizations = ( { id = "acme"; queues = ( { name = "support"; } );
  agents = ( { id = "alice"; address = "Alice@Agents.Example"; queues = [ "support" ];
      smtp = { server = "127.0.0.1"; port = 2525; tls = "none"; user = "alice";
        password_file = "$T_TMP/alice.pass"; }; },
    { id = "bob"; address = "bob@agents.example"; queues = [ "support" ]; } $2 );
  domains = ( { name = "example.com"; bounce_domain = "bounces.example.com";
    addresses = (
      { address = "support@example.com"; queue = "support";
        smtp = { server = "smtp.office365.com"; user = "support@example.com";
          password = "$1"; }; },
      { address = "sales@example.com"; queue = "support";
        smtp = { server = "smtp.gmail.com"; tls = "implicit";
          user = "sales@example.com"; password = "pw-sales-Q7"; }; },
      { address = "billing@example.com"; queue = "support"; } ); } );
} );
EOF
	chmod 600 "$CONF"
}
printf 'pw-alice-K2\n' >"$T_TMP/alice.pass"
chmod 600 "$T_TMP/alice.pass"
conf pw-support-M5
q() { postmap -c "$PFC" -q "$1" "hash:$MAPS/$2"; }
mode() { stat -c %a "$1"; }

# --- --no-postmap ---------------------------------------------------------
OUT=$("$CTL" -c "$CONF" postfix maps --dir "$MAPS" --no-postmap 2>&1); RC=$?
is "$RC" 0 "--no-postmap: exit 0"
like "$OUT" "^postmap hash:$MAPS/sasl_passwd\$" "... prints the postmap commands"
ok "... and writes the maps" test -f "$MAPS/relayhost" -a -f "$MAPS/sasl_passwd" \
    -a -f "$MAPS/tls_policy" -a -f "$MAPS/transport"
ok "... without building them" test ! -e "$MAPS/sasl_passwd.db"
is "$(mode "$MAPS/sasl_passwd")" 600 "the password map is mode 0600"
is "$(mode "$MAPS/relayhost")" 644 "the others are 0644"
is "$(ls -A "$MAPS" | grep -c '^\.')" 0 "no temporary file left"
is "$(cat "$MAPS/relayhost")" "support@example.com [smtp.office365.com]:587
support@bounces.example.com [smtp.office365.com]:587
sales@example.com [smtp.gmail.com]:465
sales@bounces.example.com [smtp.gmail.com]:465
Alice@Agents.Example [127.0.0.1]:2525" "the relay hosts, in the configuration's order"
unlike "$OUT" "pw-support-M5|pw-sales-Q7|pw-alice-K2" "no password on the output"

# --- with postmap -----------------------------------------------------------
# an older .db that others could read must not stay so
: >"$MAPS/sasl_passwd.db"
chmod 644 "$MAPS/sasl_passwd.db"
OUT=$("$CTL" -c "$CONF" postfix maps --dir "$MAPS" --postfix-config "$PFC" 2>&1); RC=$?
is "$RC" 0 "postfix maps with postmap: exit 0"
is "$(mode "$MAPS/sasl_passwd.db")" 600 "the password map's .db is 0600"
is "$(q support@example.com relayhost)" "[smtp.office365.com]:587" \
    "a channel's envelope sender finds its server"
is "$(q SUPPORT@EXAMPLE.COM sasl_passwd)" "support@example.com:pw-support-M5" \
    "... and its account, in any case"
is "$(q support@bounces.example.com sasl_passwd)" "support@example.com:pw-support-M5" \
    "the channel's bounce address finds the same account"
is "$(q alice@agents.example sasl_passwd)" "alice:pw-alice-K2" \
    "an agent's workplace address finds the agent's account (password_file)"
is "$(q bob@agents.example relayhost)" "" "an agent without a server: not in the maps"
is "$(q billing@example.com sasl_passwd)" "" "a channel without a server: not in the maps"
is "$(q '[smtp.office365.com]:587' tls_policy)" "secure" \
    "STARTTLS with verification: the policy secure"
is "$(q '[127.0.0.1]:2525' tls_policy)" "none" "tls none on loopback: none"
is "$(q sales@example.com transport)" "mailacd-smtps:[smtp.gmail.com]:465" \
    "implicit TLS: the wrapper-mode transport"
is "$(q support@example.com transport)" "" "STARTTLS: the default transport"
for p in "smtp_sender_dependent_authentication = yes" \
    "smtp_sasl_auth_enable = yes" "smtp_sasl_security_options = noanonymous" \
    "sender_dependent_relayhost_maps = hash:$MAPS/relayhost" \
    "smtp_sasl_password_maps = hash:$MAPS/sasl_passwd" \
    "smtp_tls_policy_maps = hash:$MAPS/tls_policy" \
    "sender_dependent_default_transport_maps = hash:$MAPS/transport" \
    "mailacd-smtps unix - - n - - smtp" "  -o smtp_tls_wrappermode=yes"; do
	ok "prints: $p" sh -c 'printf "%s\n" "$1" | grep -qxF -- "$2"' - "$OUT" "$p"
done

# --- a change replaces the maps ------------------------------------------------
conf pw-support-NEW
OUT=$("$CTL" -c "$CONF" postfix maps --dir "$MAPS" --postfix-config "$PFC" 2>&1); RC=$?
is "$RC" 0 "run again after a change"
is "$(q support@example.com sasl_passwd)" "support@example.com:pw-support-NEW" \
    "... the new password is in the map"
is "$(grep -c . "$MAPS/sasl_passwd")" 5 "... replacing, not appending"

# --- refusals ---------------------------------------------------------------------
OUT=$("$CTL" -c "$CONF" postfix maps --dir relative/maps 2>&1); RC=$?
is "$RC" 64 "a relative --dir: usage error"
OUT=$("$CTL" -c "$CONF" postfix tables 2>&1); RC=$?
is "$RC" 64 "an unknown subcommand: usage error"
like "$OUT" "usage: mailacdctl .*postfix maps" "... with the usage"
OUT=$("$CTL" -c "$CONF" postfix maps --bogus 2>&1); RC=$?
is "$RC" 64 "an unknown option: usage error"
conf pw-support-NEW ', { id = "carol"; address = "carol@agents.example"; queues = [ "support" ];
      smtp = { server = "smtp.office365.com"; tls_verify = false; user = "carol";
        password = "pw-carol"; }; }'
cp "$MAPS/sasl_passwd" "$T_TMP/before"
OUT=$("$CTL" -c "$CONF" postfix maps --dir "$MAPS" --no-postmap 2>&1); RC=$?
is "$RC" 78 "one server with two TLS settings: EX_CONFIG"
like "$OUT" "carol: server \\[smtp.office365.com\\]:587 is also used with other TLS settings" \
    "... naming the identity and the server"
ok "... and the maps are left as they were" cmp -s "$MAPS/sasl_passwd" "$T_TMP/before"
done_testing
