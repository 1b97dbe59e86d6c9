#!/bin/sh
# 3040-e2e-scenarios.t - the four ways inbound mail reaches mailacd (seed
# 001), end to end through a private Postfix and the real mailacd-milter
# into a private Redis: (1) own domain, MX to the relay; (2) own domain
# whose mail server keeps a copy and redirects it (SRS envelope sender:
# the customer comes from the header, the original recipient from
# X-Original-To); (3) a hosted subdomain of the operator's domain; (4) the
# same, redirected.  For each, "mailacdctl domain records" prints the
# matching instructions.

. "$(dirname "$0")/lib/harness.sh"

require_root
require_tools redis-server redis-cli postfix postconf postqueue smtp-sink \
    swaks ss
require_build mailacd-milter
require_build mailacdctl

start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start smtp-sink"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
CONF=$T_TMP/mailacd.conf
cat >"$CONF" <<EOF
redis = { host = "127.0.0.1"; port = $REDIS_PORT; };
milter = { socket = "$MILTER_SOCKET"; };
dns = { hosted_domain = "mail.operator.example";
	mx_hosts = [ "relay.operator.example" ]; };
organizations = ( {
	id = "acme";
	queues = ( { name = "support"; } );
	domains = (
		{ name = "acme.example";
		  addresses = ( { address = "support@acme.example";
				  queue = "support"; } ); },
		{ name = "acme-redirect.example"; inbound = "redirect";
		  addresses = ( { address = "support@acme-redirect.example";
				  queue = "support"; } ); },
		{ name = "acme.mail.operator.example"; inbound = "hosted";
		  addresses = ( { address = "support@acme.mail.operator.example";
				  queue = "support"; } ); },
		{ name = "acme2.mail.operator.example";
		  inbound = "hosted-redirect";
		  addresses = ( { address = "support@acme2.mail.operator.example";
				  queue = "support"; } ); }
	);
} );
EOF
ok "the configuration checks" "$MAILACD_BUILD/mailacd-milter" -n -c "$CONF"
start_milter unix "$CONF" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"

RUN=$$.$(date +%s)
DATE=$(date -R)
SRS='SRS0=HHH=TT=customer.example=ana@company.example'

# records - DOMAIN WANT DESC: "domain records DOMAIN" prints WANT
records() {
	_out=$("$MAILACD_BUILD/mailacdctl" -c "$CONF" domain records "$1" 2>&1)
	case $_out in
	*"$2"*)	pass "$3" ;;
	*)	fail "$3"
		diag "wanted: $2" "got: $_out" ;;
	esac
}

# scenario - TAG ENVFROM RCPT FROM EXTRA: send a message (EXTRA: more
# header lines) and find its stream entry; sets N
scenario() {
	_mid="<$1.$RUN@customer.example>"
	{
		printf 'Date: %s\nMessage-ID: %s\nFrom: %s\nTo: %s\n' \
		    "$DATE" "$_mid" "$4" "$3"
		[ -n "$5" ] && printf '%b\n' "$5"
		printf 'Subject: scenario %s\n\nHello.\n' "$1"
	} >"$T_TMP/$1.eml"
	send_mail "$T_TMP/$1.eml" "$2" "$3"
	like "$(swaks_final_reply)" '^250 ' "$1: accepted"
	N=
	wait_for 20 t_entry "$_mid"
	ok "$1: one stream entry" test -n "$N"
	[ -n "$N" ] || diag "$(stream_dump acme)"
}

t_entry() {
	N=$(stream_find acme message_id "$1" | sed 1q)
	[ -n "$N" ]
}

# field_is - NAME WANT DESC: field NAME of entry N
field_is() {
	is "$(stream_field acme "$N" "$1")" "$2" "$3"
}

# (1) own domain, MX to the relay
scenario mx ana@customer.example support@acme.example \
    'Ana <ana@customer.example>' ''
field_is address support@acme.example "mx: routed to the registered address"
field_is customer ana@customer.example "mx: customer = the sender"
ok "mx: no original_rcpt" test -z "$(rcli EVAL '
	local e = redis.call("XRANGE", KEYS[1], "-", "+")[tonumber(ARGV[1])]
	for i = 1, #e[2], 2 do
		if e[2][i] == "original_rcpt" then return 1 end
	end
	return false' 1 "$(stream_key acme)" "$N")"
records acme.example 'acme.example. 3600 IN MX 10 relay.operator.example.' \
    "mx: records print the MX record"

# (2) redirect: the company's server keeps a copy and redirects it
scenario redirect "$SRS" support@acme-redirect.example \
    'Ana <ana@customer.example>' \
    'X-Original-To: help@company.example\nDelivered-To: help@company.example'
field_is sender "<$SRS>" "redirect: the envelope sender is the SRS address"
field_is customer ana@customer.example "redirect: customer from From"
field_is original_rcpt help@company.example \
    "redirect: original_rcpt from X-Original-To"
records acme-redirect.example \
    '; on that server, keep a copy of each message to these addresses' \
    "redirect: records print the redirect instructions"

# (3) a hosted subdomain, direct
scenario hosted bo@customer.example support@acme.mail.operator.example \
    'Bo <Bo@Customer.example>' ''
field_is address support@acme.mail.operator.example \
    "hosted: routed to the registered address"
field_is customer bo@customer.example "hosted: customer = the sender"
records acme.mail.operator.example \
    'acme.mail.operator.example. 3600 IN MX 10 relay.operator.example.' \
    "hosted: records print the MX record"

# (4) hosted, the company's server keeps a copy and redirects it;
# Reply-To names the customer
FWD='Reply-To: Ana M. <ana.m@customer.example>'
FWD="$FWD\\nX-Original-To: sales@company.example"
scenario hosted-redirect "$SRS" support@acme2.mail.operator.example \
    'Ana <ana@customer.example>' "$FWD"
field_is customer ana.m@customer.example \
    "hosted-redirect: customer from Reply-To"
field_is original_rcpt sales@company.example \
    "hosted-redirect: original_rcpt from X-Original-To"
records acme2.mail.operator.example \
    '; on your own mail server, keep a copy of each message' \
    "hosted-redirect: records print the redirect instructions"

done_testing
