-- retry.lua - the MTA retries the message redis-down.lua could not hand off.
dofile(dir .. "/tap.lua")

local conn = session()
send_down1(conn, "QID201")
is(mt.getreply(conn), SMFIR_CONTINUE, "the retry is accepted")
local v = (mt.getheader(conn, "X-MailACD-Interaction", 0) or ""):gsub("\r?\n[ \t]+", " ")
print("# ID " .. tostring(v:match("^(%x+); ")))
mt.disconnect(conn)
