#!/bin/sh
# 6020-e2e-domains.t - the domain gate of outbound mail, end to end through
# the private Postfix: mail from a domain whose ownership record has not
# been verified is answered 451 4.7.1 until "mailacdctl domain check" finds
# the record in the (dnsmasq) DNS; a campaign domain is held for
# dns.activation_period after it first verifies, then flows; a
# notification domain's rate_limit is counted in Redis across two milters
# (two smtpd services of one Postfix, each with its own mailacd-milter);
# inbound mail is never gated; Redis down means 451 4.3.0.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix postconf smtp-sink swaks dnsmasq openssl
require_build mailacd-milter
require_build mailacdctl

SECRET="a domain verification secret"
token() {
	printf 'mailacd-verification=%s' "$(printf '%s\n%s' "$1" "$2" |
	    openssl dgst -sha256 -hmac "$SECRET" | sed 's/.*= *//' | cut -c1-32)"
}
start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start smtp-sink"
start_dns --local=/example.com/ \
    --txt-record=_mailacd.example.com,"$(token acme example.com)" \
    --txt-record=_mailacd.news.example.com,"$(token acme news.example.com)" \
    || bail_out "cannot start dnsmasq"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
cat >"$T_TMP/mailacd.conf" <<EOF
redis = { host = "127.0.0.1"; port = $REDIS_PORT; };
milter = { socket = "$MILTER_SOCKET"; };
outbound = { trusted_networks = [ "127.0.0.0/8" ]; };
dns = { verification_secret = "$SECRET"; server = "$DNS_SERVER";
	timeout_ms = 3000; activation_period = 4; };
organizations = ( {
	id = "acme";
	queues = ( { name = "support"; } );
	domains = (
		{ name = "example.com";
		  addresses = ( { address = "support@example.com"; queue = "support"; } ); },
		{ name = "news.example.com"; kind = "campaign";
		  addresses = ( { address = "hello@news.example.com"; queue = "support";
				  direction = "outbound"; } ); },
		{ name = "alerts.example.com"; kind = "notification";
		  require_verification = false; rate_limit = 3;
		  addresses = ( { address = "alert@alerts.example.com"; queue = "support";
				  direction = "outbound"; } ); }
	); } );
EOF
chmod 600 "$T_TMP/mailacd.conf"	# a secret: not readable by others
ok "the configuration checks" "$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
# a second milter on the same Redis behind a second smtpd service
t_milter_sockets unix milter2
M2_SOCK=$T_MSOCK M2_PF=$T_MPF
spawn milter2 "$T_TMP/milter2.log" sh -c 'umask 0; exec "$@"' milter \
    "$MAILACD_BUILD/mailacd-milter" -f -c "$T_TMP/mailacd.conf" -p "$M2_SOCK"
M2_PID=$SPAWNED_PID
t_wait_milter "$M2_PID" "$T_TMP/milter2.log"
PORT2=$(free_port)
pf_postconf -M "127.0.0.1:$PORT2/inet=127.0.0.1:$PORT2 inet n - n - - smtpd -o smtpd_milters=$M2_PF"
postfix -c "$PF_CONF" reload >/dev/null 2>&1
wait_for 15 port_listening "$PORT2" || bail_out "no second smtpd service"
RUN=$$.$(date +%s)
N=0
# out FROM [PORT]: one message from FROM to a customer; REPLY is the
# server's answer to the end of DATA
out() {
	N=$((N + 1))
	printf 'From: %s\nTo: cust@customer.example\nSubject: n%s\nMessage-ID: <d%s.%s@example.com>\n\nHello.\n' \
	    "$1" "$N" "$N" "$RUN" >"$T_TMP/o$N.eml"
	swaks --server 127.0.0.1 --port "${2:-$SMTP_PORT}" --from "$1" \
	    --to cust@customer.example --data "@$T_TMP/o$N.eml" \
	    >"$T_TMP/o$N.log" 2>&1 </dev/null
	REPLY=$(swaks_final_reply "$T_TMP/o$N.log")
}
ctl() { "$MAILACD_BUILD/mailacdctl" -c "$T_TMP/mailacd.conf" "$@"; }

# --- verification enables sending (seed 000) --------------------------------------
out support@example.com
like "$REPLY" '^451 4\.7\.1 mailacd: domain example\.com is not verified yet: publish its records \(mailacdctl domain records example\.com\) and run mailacdctl domain check example\.com' \
    "unverified domain: 451 4.7.1 with what to do"
like "$(cat "$MILTER_LOG")" "outbound from support@example.com held: mailacd: domain example.com is not verified" \
    "... logged"
printf 'From: cust@customer.example\nTo: support@example.com\nSubject: in\n\nHi.\n' >"$T_TMP/in.eml"
send_mail "$T_TMP/in.eml" cust@customer.example support@example.com
like "$(swaks_final_reply)" '^250' "inbound mail to the same domain is not gated"
ctl domain check example.com >"$T_TMP/check.out" 2>&1
like "$(cat "$T_TMP/check.out")" "ownership +ok" "mailacdctl domain check finds the ownership record"
ok "verified_at is stored" test -n "$(rcli HGET 'mailacd:{acme}:domain:example.com' verified_at)"
out support@example.com
like "$REPLY" '^250' "once verified the domain sends"

# --- the campaign domain's activation hold (seed 002) ------------------------------
ctl domain check news.example.com >"$T_TMP/check2.out" 2>&1
V=$(rcli HGET 'mailacd:{acme}:domain:news.example.com' verified_at)
ok "the campaign domain verifies" test -n "$V" ||
    diag "$(cat "$T_TMP/check2.out")"
out hello@news.example.com
like "$REPLY" '^451 4\.7\.1 mailacd: campaign domain news\.example\.com verified at .* is held until .* \(dns\.activation_period\)' \
    "right after: held with 451 4.7.1"
past_hold() { [ $(($(now_ms) - V)) -gt 4200 ]; }
wait_for 10 past_hold
out hello@news.example.com
like "$REPLY" '^250' "after dns.activation_period it flows"

# --- the rate limit, shared by two milters -------------------------------------------
# a fresh minute, so that the four messages share one
while [ $(( $(now_ms) % 60000 )) -gt 50000 ]; do sleep 1; done
out alert@alerts.example.com "$SMTP_PORT"; R1=$REPLY
out alert@alerts.example.com "$PORT2"; R2=$REPLY
out alert@alerts.example.com "$SMTP_PORT"; R3=$REPLY
out alert@alerts.example.com "$PORT2"; R4=$REPLY
like "$R1 | $R2 | $R3" '^250.* \| 250.* \| 250' \
    "three messages this minute pass, alternating between the two milters"
like "$R4" '^451 4\.7\.1 mailacd: domain alerts\.example\.com sent 3 messages this minute, its rate_limit; try again later' \
    "the fourth, through the second milter, is over the shared limit: 451 4.7.1"
like "$(cat "$T_TMP/milter2.log")" "alerts.example.com sent 3 messages this minute" \
    "the second milter logs it"

# --- Redis down --------------------------------------------------------------------
stop_redis
out support@example.com
like "$REPLY" '^451 4\.3\.0' "Redis down: the domain cannot be checked, 451 4.3.0"
logs_clean "$T_TMP/milter2.log"
done_testing
