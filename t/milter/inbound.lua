-- inbound.lua - mailacd-milter against miltertest with Redis up.
-- Globals from -D: sock (libmilter socket spec), dir (this folder).
dofile(dir .. "/tap.lua")

-- 1. a registered recipient with spoofed routing headers; the first
-- command negotiates: the actions we need, the steps we skip, no NR_*
local conn = session()
envelope(conn, "QID001", "<ana@example.net>", { "<Support+order42@EXAMPLE.com>" })
ok(mt.test_action(conn, SMFIF_ADDHDRS), "asks to add headers")
ok(mt.test_action(conn, SMFIF_CHGHDRS), "asks to change headers")
ok(not mt.test_action(conn, SMFIF_ADDRCPT), "does not ask to add recipients")
ok(not mt.test_option(conn, SMFIP_NOCONNECT), "asks for the connect step (the client address counts in the hourly limit)")
ok(mt.test_option(conn, SMFIP_NOHELO), "skips HELO")
if nr ~= "0" then
	ok(mt.test_option(conn, SMFIP_NR_HDR) and mt.test_option(conn, SMFIP_NR_MAIL) and
	   mt.test_option(conn, SMFIP_NR_BODY), "no_reply_steps: no replies to MAIL, headers, body")
	ok(not mt.test_option(conn, SMFIP_NR_DATA), "but a reply to DATA (unregistered mail is accepted there)")
else
	ok(not mt.test_option(conn, SMFIP_NR_HDR), "no_reply_steps = false: headers are answered")
end
ok(not mt.test_option(conn, SMFIP_NR_RCPT), "RCPT is always answered (an address that cannot be recorded is refused there)")
must(mt.data(conn), "DATA")
is(mt.getreply(conn), SMFIR_CONTINUE, "registered recipient: DATA continues")
must(mt.header(conn, "From", "Ana <ana@example.net>"), "From")
must(mt.header(conn, "Subject", "=?UTF-8?B?w5xiZXIgbWVpbmUgUmVjaG51bmc=?="), "Subject")
must(mt.header(conn, "Message-ID", "<mt-1@example.net>"), "Message-ID")
must(mt.header(conn, "X-MailACD-Queue", "vip"), "spoof 1")
must(mt.header(conn, "x-mailacd-queue", "vip\r\n\tfolded"), "spoof 2")
must(mt.header(conn, "X-MAILACD-Interaction", "forged; org=acme"), "spoof 3")
must(mt.eoh(conn), "EOH")
must(mt.bodystring(conn, "Hello, my invoice is wrong.\r\n"), "body")
must(mt.eom(conn), "EOM")
is(mt.getreply(conn), SMFIR_CONTINUE, "registered recipient: accepted at EOM")
ok(mt.eom_check(conn, MT_HDRADD, "X-MailACD-Interaction"), "X-MailACD-Interaction added")
ok(mt.eom_check(conn, MT_HDRDELETE, "X-MailACD-Queue"), "spoofed X-MailACD-Queue deleted")
ok(mt.eom_check(conn, MT_HDRDELETE, "X-MAILACD-Interaction"), "spoofed X-MailACD-Interaction deleted")
local v = mt.getheader(conn, "X-MailACD-Interaction", 0)
ok(v ~= nil, "header value readable")
v = (v or ""):gsub("\r?\n[ \t]+", " ")
local id = v:match("^(%x+); ")
ok(id ~= nil and #id == 32, "id is 32 hex digits: " .. tostring(id))
ok(v:find("; org=acme; address=support@example.com; queue=support; priority=10; language=en; skills=general,email", 1, true) ~= nil,
   "routing parameters: " .. v)
print("# ID " .. tostring(id))

-- 3. the same message again (an MTA retry: the same bytes, trace and
-- X-MailACD-* headers aside) gets the same id
envelope(conn, "QID002", "<ana@example.net>", { "<support@example.com>" })
must(mt.data(conn), "DATA")
must(mt.header(conn, "Received", "from retry.example.net by mx; now"), "Received")
must(mt.header(conn, "From", "Ana <ana@example.net>"), "From")
must(mt.header(conn, "Subject", "=?UTF-8?B?w5xiZXIgbWVpbmUgUmVjaG51bmc=?="), "Subject")
must(mt.header(conn, "Message-ID", "<mt-1@example.net>"), "Message-ID")
must(mt.eoh(conn), "EOH")
must(mt.bodystring(conn, "Hello, my invoice is wrong.\r\n"), "body")
must(mt.eom(conn), "EOM")
local v2 = (mt.getheader(conn, "X-MailACD-Interaction", 0) or ""):gsub("\r?\n[ \t]+", " ")
is(v2:match("^(%x+); "), id, "retry of the same Message-ID reuses the interaction id")

-- 4. two registered recipients and a stranger: two interactions
envelope(conn, "QID003", "<bob@example.net>",
	{ "<support@example.com>", "<billing@example.com>", "<someone@elsewhere.test>" })
must(mt.data(conn), "DATA")
must(mt.header(conn, "Message-ID", "<mt-2@example.net>"), "Message-ID")
must(mt.header(conn, "Subject", "two queues"), "Subject")
must(mt.eoh(conn), "EOH")
must(mt.bodystring(conn, "x\r\n"), "body")
must(mt.eom(conn), "EOM")
local a = mt.getheader(conn, "X-MailACD-Interaction", 0)
local b = mt.getheader(conn, "X-MailACD-Interaction", 1)
ok(a ~= nil and b ~= nil, "two X-MailACD-Interaction headers")
ok(a ~= nil and b ~= nil and a:match("^%x+") ~= b:match("^%x+"), "with different ids")
ok(mt.getheader(conn, "X-MailACD-Interaction", 2) == nil, "and no third")

-- 5. no registered recipient: accepted at DATA, body never read
envelope(conn, "QID004", "<carl@example.net>", { "<someone@elsewhere.test>" })
must(mt.data(conn), "DATA")
is(mt.getreply(conn), SMFIR_ACCEPT, "unregistered mail is accepted at DATA (body skipped)")

-- 6. a disabled address is not ours either
envelope(conn, "QID005", "<carl@example.net>", { "<off@example.com>" })
must(mt.data(conn), "DATA")
is(mt.getreply(conn), SMFIR_ACCEPT, "disabled address is not routed")

-- 7. an aborted message leaves nothing behind for the next one
envelope(conn, "QID006", "<dan@example.net>", { "<support@example.com>" })
must(mt.abort(conn), "abort")
envelope(conn, "QID007", "<dan@example.net>", { "<someone@elsewhere.test>" })
must(mt.data(conn), "DATA")
is(mt.getreply(conn), SMFIR_ACCEPT, "after an abort the next message starts clean")

-- 8. an address at one of our domains that cannot be recorded is refused
-- at RCPT, with the reason; another domain's is not our business
must(mt.macro(conn, SMFIC_MAIL, "i", "QID008"), "macro i")
must(mt.mailfrom(conn, "<eve@example.net>"), "MAIL FROM")
must(mt.rcptto(conn, "<\"sup\001port\"@example.com>"), "RCPT control character")
is(mt.getreply(conn), SMFIR_REPLYCODE, "a control character in a quoted local part at example.com: refused at RCPT")
must(mt.rcptto(conn, "<" .. string.rep("a", 65) .. "@EXAMPLE.com.>"), "RCPT long")
is(mt.getreply(conn), SMFIR_REPLYCODE, "a 65-octet local part at example.com.: refused at RCPT")
must(mt.rcptto(conn, "<sup port@example.com>"), "RCPT space")
is(mt.getreply(conn), SMFIR_REPLYCODE, "an unquoted space at example.com: refused at RCPT")
must(mt.rcptto(conn, "<" .. string.rep("a", 65) .. "@elsewhere.test>"), "RCPT long elsewhere")
is(mt.getreply(conn), SMFIR_CONTINUE, "the same at another domain: not ours to refuse")
must(mt.rcptto(conn, "<\"support\"@example.com.>"), "RCPT quoted")
is(mt.getreply(conn), SMFIR_CONTINUE, "\"support\"@example.com. is taken")
must(mt.data(conn), "DATA")
is(mt.getreply(conn), SMFIR_CONTINUE, "and is a registered recipient")
must(mt.abort(conn), "abort")

mt.disconnect(conn)
