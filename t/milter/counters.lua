-- counters.lua - one message of each kind the milter counts in its
-- organisation's counters hash (t/2040-milter-counters.t checks them):
-- handed off, an MTA retry (not counted again), a mail loop, a sender
-- over milter.sender_rate_limit (2), outbound signed and refused.
-- Globals from -D: sock, dir, nr.
dofile(dir .. "/tap.lua")

-- inbound CONN QID MSGID [EXTRA]: a customer's message to support@, with
-- the headers of EXTRA ({name, value} pairs)
local function inbound(conn, qid, msgid, extra)
	envelope(conn, qid, "<ana@example.net>", { "<support@example.com>" })
	must(mt.data(conn), "DATA")
	must(mt.header(conn, "From", "Ana <ana@example.net>"), "From")
	must(mt.header(conn, "Subject", "counted"), "Subject")
	must(mt.header(conn, "Message-ID", msgid), "Message-ID")
	for _, h in ipairs(extra or {}) do
		must(mt.header(conn, h[1], h[2]), h[1])
	end
	must(mt.eoh(conn), "EOH")
	must(mt.bodystring(conn, "Hello.\r\n"), "body")
	must(mt.eom(conn), "EOM")
end

-- outbound CONN QID FROM: a reply sent as support@ with header From FROM
local function outbound(conn, qid, from)
	must(mt.macro(conn, SMFIC_MAIL, "i", qid), "macro i")
	must(mt.mailfrom(conn, "<support@example.com>"), "MAIL FROM")
	must(mt.rcptto(conn, "<ana@example.net>"), "RCPT TO")
	must(mt.data(conn), "DATA")
	must(mt.header(conn, "From", from), "From")
	must(mt.header(conn, "To", "ana@example.net"), "To")
	must(mt.header(conn, "Subject", "Re: counted"), "Subject")
	must(mt.eoh(conn), "EOH")
	must(mt.bodystring(conn, "Hello Ana.\r\n"), "body")
	must(mt.eom(conn), "EOM")
end

local conn = session()
inbound(conn, "QC1", "<count-1@example.net>")
ok(mt.eom_check(conn, MT_HDRADD, "X-MailACD-Interaction"), "QC1 handed off")
inbound(conn, "QC1R", "<count-1@example.net>")
ok(mt.eom_check(conn, MT_HDRADD, "X-MailACD-Interaction"),
   "QC1R, the MTA's retry of QC1, stamped with the same interaction")
inbound(conn, "QC2", "<count-2@example.net>",
	{ { "X-MailACD-Loop", "1" }, { "X-MailACD-Loop", "2" } })
is(mt.getreply(conn), SMFIR_CONTINUE, "QC2, a mail loop, accepted")
ok(not mt.eom_check(conn, MT_HDRADD, "X-MailACD-Interaction"),
   "QC2 not routed")
inbound(conn, "QC3", "<count-3@example.net>")
ok(mt.eom_check(conn, MT_HDRADD, "X-MailACD-Interaction"),
   "QC3 handed off (the sender's second message this hour)")
inbound(conn, "QC4", "<count-4@example.net>")
is(mt.getreply(conn), SMFIR_CONTINUE, "QC4 accepted")
ok(not mt.eom_check(conn, MT_HDRADD, "X-MailACD-Interaction"),
   "QC4, the sender's third message this hour, not routed (limit 2)")
mt.disconnect(conn)

conn = session(true)
must(mt.conninfo(conn, "relay.corp.test", "10.9.1.2"), "connect from 10.9.1.2")
outbound(conn, "QO1", "Acme <support@example.com>")
ok(mt.eom_check(conn, MT_HDRINSERT, "DKIM-Signature"), "QO1 signed")
outbound(conn, "QO2", "Mallory <mallory@elsewhere.test>")
is(mt.getreply(conn), SMFIR_REPLYCODE,
   "QO2, From not the sending address: a reply code (550, in the log)")
mt.disconnect(conn)
