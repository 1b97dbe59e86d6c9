#!/bin/sh
# 3055-e2e-hostile-threads.t - an outsider cannot overwrite another
# customer's interaction.  Through the private Postfix, with support@'s
# queue in forward mode (the milter stores each message's copy):
#  - a second message that reuses a customer's Message-ID is another
#    interaction: the first one's stored copy, record and thread key are
#    untouched (first writer wins);
#  - an MTA retry of the first message (the same bytes) is still
#    idempotent: no second entry, the same id;
#  - the customer's reply to that Message-ID joins the first interaction,
#    not the attacker's.
. "$(dirname "$0")/lib/harness.sh"
require_root
require_tools redis-server redis-cli postfix postconf swaks ss
require_build mailacd-milter

TOP='delivery = { relay = "smtp://127.0.0.1:9"; };'
start_redis || bail_out "cannot start redis-server"
start_sink || bail_out "cannot start the sink"
t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
milter_conf "" "" 'delivery = "forward";' "" "$TOP" >"$T_TMP/mailacd.conf"
ok "the configuration checks" "$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/mailacd.conf"
start_milter unix "$T_TMP/mailacd.conf" || bail_out "cannot start mailacd-milter"
start_postfix "$MILTER_PF" || bail_out "cannot start the private Postfix"
RUN=$$.$(date +%s)
MID="dup-$RUN@customer.test"

# msg FILE FROM BODY [HEADERS]: a message under Message-ID $MID
msg() {
	{
		printf 'From: %s\nTo: support@example.com\nSubject: my order\n' "$2"
		printf 'Date: Fri, 04 Dec 2026 10:00:00 +0000\nMessage-ID: <%s>\n' "$MID"
		[ -n "${4:-}" ] && printf '%s\n' "$4"
		printf '\n%s\n' "$3"
	} >"$1"
}
copy_of() { rcli HGET "mailacd:{acme}:msg:$(stream_field acme "$1" msg)" data; }

msg "$T_TMP/a.eml" "Ana <ana@customer.test>" "Original text from Ana."
ok "Ana's message is accepted" send_mail "$T_TMP/a.eml" ana@customer.test support@example.com
is "$(stream_len acme)" 1 "one interaction"
ID_A=$(stream_field acme 1 id)
like "$(copy_of 1)" "Original text from Ana" "its copy is stored"

msg "$T_TMP/b.eml" "Ana <ana@customer.test>" "ATTACKER TEXT: pay to this account." \
    "X-Mailer: evil"
ok "a different message under the same Message-ID is accepted" \
    send_mail "$T_TMP/b.eml" mallory@evil.test support@example.com
is "$(stream_len acme)" 2 "it is another interaction, not a retry"
ID_B=$(stream_field acme 2 id)
isnt "$ID_B" "$ID_A" "with its own id"
like "$(copy_of 1)" "Original text from Ana" "Ana's stored copy is untouched"
unlike "$(copy_of 1)" "ATTACKER" "and holds nothing of the attacker's"
isnt "$(stream_field acme 2 msg)" "$(stream_field acme 1 msg)" \
    "the second message has a copy of its own"

ok "an MTA retry of Ana's message (the same bytes) is accepted" \
    send_mail "$T_TMP/a.eml" ana@customer.test support@example.com
is "$(stream_len acme)" 2 "the retry adds no entry"
like "$(cat "$MILTER_LOG")" "were already recorded \\(MTA retry\\); ids reused" \
    "the milter recognises it as a retry"

{
	printf 'From: Ana <ana@customer.test>\nTo: support@example.com\n'
	printf 'Subject: Re: my order\nMessage-ID: <re-%s@customer.test>\n' "$RUN"
	printf 'In-Reply-To: <%s>\n\nAny news?\n' "$MID"
} >"$T_TMP/c.eml"
ok "Ana's reply to her Message-ID is accepted" \
    send_mail "$T_TMP/c.eml" ana@customer.test support@example.com
is "$(stream_field acme 3 id)" "$ID_A" "it joins Ana's interaction, not the attacker's"
milter_log_clean
done_testing
