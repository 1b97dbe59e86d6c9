-- tap.lua - TAP lines from miltertest scripts; the .t wrapper numbers them.
-- miltertest swallows the text given to error(), so failures print first.

function ok(cond, desc)
	if cond then
		print("ok - " .. desc)
	else
		print("not ok - " .. desc)
	end
	return cond
end

function is(got, want, desc)
	local same = (got == want)
	ok(same, desc)
	if not same then
		print("#          got: " .. tostring(got))
		print("#     expected: " .. tostring(want))
	end
	return same
end

-- must - stop the script (after saying why) when a step fails
function must(err, what)
	if err ~= nil then
		print("not ok - " .. what .. ": " .. tostring(err))
		error(what)
	end
end

-- session - connect and negotiate, or stop; then the SMTP client's
-- connect step (as an MTA sends it first: libmilter forgets later steps'
-- macros at connect), unless NOCONN (the script sends its own)
function session(noconn)
	local conn = mt.connect(sock, 20, 0.25)
	if conn == nil then
		print("not ok - connect to " .. sock)
		error("connect")
	end
	if not noconn then
		must(mt.conninfo(conn, "client.example.net", "192.0.2.9"), "connect step")
	end
	return conn
end

-- envelope - MAIL FROM and RCPT TO with the {i} macro set to QID
function envelope(conn, qid, from, rcpts)
	must(mt.macro(conn, SMFIC_MAIL, "i", qid), "macro i")
	must(mt.mailfrom(conn, from), "MAIL FROM " .. from)
	for _, r in ipairs(rcpts) do
		must(mt.rcptto(conn, r), "RCPT TO " .. r)
	end
end

-- send_down1 - the message redis-down.lua and retry.lua both send (the
-- same Message-ID, as an MTA retry would), with a spoofed routing header
function send_down1(conn, qid)
	envelope(conn, qid, "<ana@example.net>", { "<support@example.com>" })
	must(mt.data(conn), "DATA")
	must(mt.header(conn, "Message-ID", "<down-1@example.net>"), "Message-ID")
	must(mt.header(conn, "X-MailACD-Queue", "vip"), "spoof")
	must(mt.eoh(conn), "EOH")
	must(mt.bodystring(conn, "x\r\n"), "body")
	must(mt.eom(conn), "EOM")
end
