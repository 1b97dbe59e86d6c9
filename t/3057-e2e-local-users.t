#!/bin/sh
# 3057-e2e-local-users.t - a local user cannot send as a channel.  The
# private Postfix hands sendmail(1) submissions to mailacd-milter too
# (non_smtpd_milters, as the README wires it), presenting them as coming
# from 127.0.0.1.  With the shipped example's outbound group (trust by
# SMTP AUTH login only), a local user's mail as support@ is left unsigned
# and logged; with the old example's trusted loopback it would have been
# DKIM-signed as the channel, which the test also shows.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix postconf sendmail ss openssl
require_build mailacd-milter

KEY=$T_TMP/dkim.key
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$KEY" 2>/dev/null
chmod 600 "$KEY"
DKIM="dkim = { selector = \"s1\"; key_file = \"$KEY\"; };"
# the outbound group of conf/mailacd.conf, as shipped
OUTBOUND=$(awk '/^outbound = \{/ { on = 1 } on { print } on && /^\};/ { exit }' \
    "$T_TOP/conf/mailacd.conf")
like "$OUTBOUND" "trust_authenticated = true" "the example's outbound group is read"
unlike "$(printf '%s\n' "$OUTBOUND" | grep -v '^ *#')" "127\\.0\\.0\\.0/8" \
    "the shipped example trusts no loopback network"
start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start the sink"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
milter_conf "" "" "" "$DKIM" "$OUTBOUND" >"$T_TMP/mailacd.conf"
ok "the configuration with the example's trust rules checks" \
    "$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
pf_postconf -e "non_smtpd_milters = $MILTER_PF"
postfix -c "$PF_CONF" reload >/dev/null 2>&1
RUN=$$.$(date +%s)

# local N: a local user submits message N as support@ with sendmail(1)
# (root here: Postfix lets only root use a private configuration
# directory; the milter sees any user's submission the same way)
local_send() {
	{
		printf 'From: Acme Support <support@example.com>\nTo: ana@customer.test\n'
		printf 'Subject: pay here %s\nMessage-ID: <local-%s.%s@example.com>\n\n' "$1" "$1" "$RUN"
		printf 'Please pay to account 666.\n'
	} >"$T_TMP/l$1.eml"
	chmod 644 "$T_TMP/l$1.eml"
	sendmail -C "$PF_CONF" -f support@example.com ana@customer.test \
	    <"$T_TMP/l$1.eml"
}
arrived() { [ -n "$(sink_find "local-$1.$RUN@example.com")" ]; }

ok "a local user's sendmail(1) submission as support@ is accepted" local_send 1
ok "and delivered" wait_for 30 arrived 1
f=$(sink_find "local-1.$RUN@example.com" | sed 1q)
is "$(msg_header "$f" DKIM-Signature)" "" "it is not DKIM-signed as the channel"
like "$(cat "$MILTER_LOG")" "sender <?support@example.com>? is support@example.com but the client is not trusted" \
    "the milter says the client is not trusted"

# the old example: loopback trusted, and every local user speaks as support@
stop_milter
sed -i 's|^  # trusted_networks = \[ "192.0.2.0/24" \];.*|  trusted_networks = [ "127.0.0.0/8" ];|' \
    "$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot restart mailacd-milter"
ok "with loopback trusted, the same submission is accepted" local_send 2
ok "and delivered" wait_for 30 arrived 2
f=$(sink_find "local-2.$RUN@example.com" | sed 1q)
like "$(msg_header "$f" DKIM-Signature)" "d=example.com" \
    "signed as the channel: why loopback must not be trusted with non_smtpd_milters"
milter_log_clean
done_testing
