-- outbound.lua - who may send as our addresses: a trusted network, SMTP
-- AUTH, a trusted MTA service; anyone else gets no signature.
-- Globals from -D: sock, dir, nr.
dofile(dir .. "/tap.lua")

-- signed CONN: the milter inserted a DKIM-Signature at EOM
function signed(conn)
	return mt.eom_check(conn, MT_HDRINSERT, "DKIM-Signature")
end

-- message CONN QID FROM [AUTH]: headers and body of an outbound reply (the
-- MAIL macros go in one call: a second one replaces the first)
function message(conn, qid, from, auth)
	if auth then
		must(mt.macro(conn, SMFIC_MAIL, "i", qid, "{auth_authen}", auth),
		    "macros i, auth_authen")
	else
		must(mt.macro(conn, SMFIC_MAIL, "i", qid), "macro i")
	end
	must(mt.mailfrom(conn, from), "MAIL FROM " .. from)
	must(mt.rcptto(conn, "<ana@customer.test>"), "RCPT TO")
	must(mt.data(conn), "DATA")
	must(mt.header(conn, "From", "Acme <" .. string.sub(from, 2)), "From")
	must(mt.header(conn, "To", "ana@customer.test"), "To")
	must(mt.header(conn, "Subject", "Re: order"), "Subject")
	must(mt.header(conn, "X-MailACD-Queue", "vip"), "ours")
	must(mt.eoh(conn), "EOH")
	must(mt.bodystring(conn, "Hello Ana.\r\n"), "body")
	must(mt.eom(conn), "EOM")
end

-- 1. a trusted network
local conn = session(true)
ok(not mt.test_option(conn, SMFIP_NOCONNECT),
   "outbound trust configured: the connect step is not skipped")
must(mt.conninfo(conn, "relay.corp.test", "10.9.1.2"), "connect from 10.9.1.2")
message(conn, "QO1", "<support@example.com>")
ok(signed(conn), "from 10.9.0.0/16: signed")
ok(mt.eom_check(conn, MT_HDRCHANGE, "X-MailACD-Queue"), "and our X-MailACD-Queue removed")
ok(mt.eom_check(conn, MT_HDRADD, "Message-ID"), "a Message-ID added (there was none)")
ok(not mt.eom_check(conn, MT_HDRADD, "Auto-Submitted"), "no Auto-Submitted for a person's address")
is(mt.getreply(conn), SMFIR_CONTINUE, "and accepted")
mt.disconnect(conn)

-- 2. SMTP AUTH from anywhere: an agent's login, as a channel of its queue
conn = session(true)
must(mt.conninfo(conn, "home.example", "192.0.2.1"), "connect from 192.0.2.1")
message(conn, "QO2", "<support@example.com>", "agent7")
ok(signed(conn), "agent7's login (an agent of queue support) as support@: signed")
mt.disconnect(conn)

-- not_ours CONN QID FROM AUTH: an authenticated client the milter does not
-- trust as FROM: accepted at DATA untouched, nothing signed
function not_ours(conn, qid, from, auth)
	must(mt.macro(conn, SMFIC_MAIL, "i", qid, "{auth_authen}", auth),
	    "macros i, auth_authen")
	must(mt.mailfrom(conn, from), "MAIL FROM " .. from)
	must(mt.rcptto(conn, "<ana@customer.test>"), "RCPT TO")
	must(mt.data(conn), "DATA")
	return mt.getreply(conn) == SMFIR_ACCEPT
end

-- 2b. a login that is no agent's and not in trusted_logins
conn = session(true)
must(mt.conninfo(conn, "home.example", "192.0.2.1"), "connect from 192.0.2.1")
ok(not_ours(conn, "QO2b", "<support@example.com>", "intruder"),
   "a login that is nobody's: not trusted as support@ (untouched at DATA)")
mt.disconnect(conn)

-- 2c. agent7 serves support, not billing
conn = session(true)
must(mt.conninfo(conn, "home.example", "192.0.2.1"), "connect from 192.0.2.1")
ok(not_ours(conn, "QO2c", "<billing@example.com>", "agent7"),
   "agent7's login as billing@ (not its queue): not trusted")
mt.disconnect(conn)

-- 2d. a service login listed in trusted_logins may send as any channel
conn = session(true)
must(mt.conninfo(conn, "home.example", "192.0.2.1"), "connect from 192.0.2.1")
message(conn, "QO2d", "<billing@example.com>", "crm-service")
ok(signed(conn), "a trusted_logins login as billing@: signed")
mt.disconnect(conn)

-- 3. through a trusted MTA service
conn = session(true)
must(mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", "ORIGINATING"), "macro daemon_name")
must(mt.conninfo(conn, "home.example", "192.0.2.1"), "connect via ORIGINATING")
message(conn, "QO3", "<support@example.com>")
ok(signed(conn), "through service ORIGINATING: signed")
mt.disconnect(conn)

-- 4. nobody we trust: the message is not ours to sign or change at all
conn = session(true)
must(mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", "smtpd"), "macro daemon_name")
must(mt.conninfo(conn, "home.example", "192.0.2.1"), "connect from 192.0.2.1")
envelope(conn, "QO4", "<support@example.com>", { "<ana@customer.test>" })
must(mt.data(conn), "DATA")
is(mt.getreply(conn), SMFIR_ACCEPT,
   "untrusted client sending as support@: accepted at DATA untouched (not signed)")
mt.disconnect(conn)

-- 5. a trusted client, a sender that is not ours: nothing to sign
conn = session(true)
must(mt.conninfo(conn, "relay.corp.test", "10.9.1.2"), "connect from 10.9.1.2")
envelope(conn, "QO5", "<someone@elsewhere.test>", { "<ana@customer.test>" })
must(mt.data(conn), "DATA")
is(mt.getreply(conn), SMFIR_ACCEPT, "not our sender, not our recipient: accepted at DATA, body unread")
mt.disconnect(conn)

-- 6. an inbound-only address cannot send
conn = session(true)
must(mt.conninfo(conn, "relay.corp.test", "10.9.1.2"), "connect from 10.9.1.2")
envelope(conn, "QO6", "<in@example.com>", { "<ana@customer.test>" })
must(mt.data(conn), "DATA")
is(mt.getreply(conn), SMFIR_ACCEPT, "an inbound-only address is not signed for")
mt.disconnect(conn)

-- 8. a resent copy of the router (X-MailACD-Delivery) to a registered
-- address: from a trusted client it passes untouched; from anyone else
-- our headers go and it is an inbound message like any other
function resent(conn, qid)
	must(mt.macro(conn, SMFIC_MAIL, "i", qid), "macro i")
	must(mt.mailfrom(conn, "<>"), "MAIL FROM <>")
	must(mt.rcptto(conn, "<support@example.com>"), "RCPT TO support@")
	must(mt.data(conn), "DATA")
	must(mt.header(conn, "Resent-From", "support@example.com"), "Resent-From")
	must(mt.header(conn, "X-MailACD-Delivery", "0123456789abcdef0123456789abcdef; agent=a1; copy=0"), "ours")
	must(mt.header(conn, "X-MailACD-Interaction", "0123456789abcdef0123456789abcdef; org=acme"), "ours")
	must(mt.header(conn, "From", "Ana <ana@customer.test>"), "From")
	must(mt.header(conn, "Subject", "resent"), "Subject")
	must(mt.eoh(conn), "EOH")
	must(mt.bodystring(conn, "Resent body.\r\n"), "body")
	must(mt.eom(conn), "EOM")
end
if redis ~= "down" then
	conn = session(true)
	must(mt.conninfo(conn, "relay.corp.test", "10.9.1.2"), "connect from 10.9.1.2")
	resent(conn, "QR1")
	ok(not mt.eom_check(conn, MT_HDRCHANGE, "X-MailACD-Delivery") and
	   not mt.eom_check(conn, MT_HDRADD, "X-MailACD-Interaction"),
	   "a resent copy from a trusted client: untouched, no interaction")
	is(mt.getreply(conn), SMFIR_CONTINUE, "and accepted")
	mt.disconnect(conn)
	conn = session(true)
	must(mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", "smtpd"), "macro daemon_name")
	must(mt.conninfo(conn, "home.example", "192.0.2.1"), "connect from 192.0.2.1")
	resent(conn, "QR2")
	ok(mt.eom_check(conn, MT_HDRCHANGE, "X-MailACD-Delivery") and
	   mt.eom_check(conn, MT_HDRADD, "X-MailACD-Interaction"),
	   "the same from an untrusted client: our headers removed, a new interaction stamped")
	mt.disconnect(conn)
end

-- 7. (run with Redis stopped, -D redis=down) a reply needs Redis to find
-- its interaction: 451 so the MTA keeps it; a message that answers
-- nothing is signed without Redis
if redis == "down" then
	conn = session(true)
	must(mt.conninfo(conn, "relay.corp.test", "10.9.1.2"), "connect from 10.9.1.2")
	must(mt.macro(conn, SMFIC_MAIL, "i", "QO7"), "macro i")
	must(mt.mailfrom(conn, "<support@example.com>"), "MAIL FROM")
	must(mt.rcptto(conn, "<ana@customer.test>"), "RCPT TO")
	must(mt.data(conn), "DATA")
	must(mt.header(conn, "From", "support@example.com"), "From")
	must(mt.header(conn, "In-Reply-To", "<cust-1@customer.test>"), "In-Reply-To")
	must(mt.eoh(conn), "EOH")
	must(mt.bodystring(conn, "Answer.\r\n"), "body")
	must(mt.eom(conn), "EOM")
	is(mt.getreply(conn), SMFIR_REPLYCODE, "Redis down, a reply: tempfailed (451), not sent unrecorded")
	mt.disconnect(conn)
	conn = session(true)
	must(mt.conninfo(conn, "relay.corp.test", "10.9.1.2"), "connect from 10.9.1.2")
	message(conn, "QO8", "<support@example.com>")
	ok(signed(conn), "Redis down, a message that answers nothing: still signed")
	is(mt.getreply(conn), SMFIR_CONTINUE, "and accepted")
	mt.disconnect(conn)
end
