#!/bin/sh
# 5020-e2e-router.t - real mail through a private Postfix, mailacd-milter
# and mailacd-router: each registered recipient's interaction ends up in
# its queue with the id stamped on the delivered message.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix smtp-sink swaks ss
require_build mailacd-milter
require_build mailacd-router

start_stack unix
spawn router "$T_TMP/router.log" "$MAILACD_BUILD/mailacd-router" -f \
    -c "$MILTER_CONF"
ROUTER_PID=$SPAWNED_PID
RUN=$$.$(date +%s)

# mail N TO SUBJECT: send message N to TO
mail() {
	cat >"$T_TMP/m$1.eml" <<EOF
From: Customer <cust@customer.test>
To: $2
Subject: $3
Date: $(date -R)
Message-ID: <e2e-$1.$RUN@customer.test>

Hello.
EOF
	send_mail "$T_TMP/m$1.eml" cust@customer.test "$2"
}

queued() { rcli ZCARD "mailacd:{acme}:queue:$1"; }
counts_are() { [ "$(queued support) $(queued billing)" = "$1" ]; }

ok "mail to support@ is accepted" mail 1 support@example.com "first"
ok "mail to billing@ is accepted" mail 2 billing@example.com "invoice"
ok "mail to Support+tag@ is accepted" mail 3 Support+tag@EXAMPLE.com "third"
ok "mail to a stranger is accepted" mail 4 someone@elsewhere.test "other"
ok "support holds 2 interactions, billing 1" wait_for 20 counts_are "2 1"

has_mail() { [ -n "$(sink_find "$1")" ]; }
wait_for 20 has_mail "e2e-2.$RUN@customer.test"
F=$(sink_find "e2e-2.$RUN@customer.test" | sed 1q)
id=$(hdr_id "$(msg_header "$F" X-MailACD-Interaction)")
ok "the delivered message carries an interaction id" test -n "$id"
is "$(rcli ZRANGE 'mailacd:{acme}:queue:billing' 0 -1 | cut -d: -f2)" "$id" \
    "the billing queue holds that interaction"
is "$(rcli HGET "mailacd:{acme}:ix:$id" subject)" invoice \
    "its hash has the subject"
is "$(rcli HGET "mailacd:{acme}:ix:$id" priority)" 20 "and the address's priority"
is "$(rcli XPENDING 'mailacd:{acme}:ingest' routers | sed -n 1p)" 0 \
    "the router acknowledged every hand-off"
kill_pid "$ROUTER_PID"
t_forget "$ROUTER_PID"
logs_clean "no sanitizer report in the router log" "$T_TMP/router.log"
milter_log_clean
done_testing
