-- redis-down.lua - with Redis stopped, registered mail is tempfailed.
dofile(dir .. "/tap.lua")

local conn = session()
send_down1(conn, "QID101")
is(mt.getreply(conn), SMFIR_REPLYCODE, "Redis down: a reply code instead of accept")
-- (the two-argument form of this check is broken in miltertest 1.6.0)
ok(mt.eom_check(conn, MT_SMTPREPLY, "451", "4.3.0",
	"mailacd: cannot record the interaction now, try again later"),
	"the reply is 451 4.3.0 with our text")
ok(not mt.eom_check(conn, MT_HDRADD), "no header added")

-- unregistered mail does not need Redis
envelope(conn, "QID102", "<ana@example.net>", { "<someone@elsewhere.test>" })
must(mt.data(conn), "DATA")
is(mt.getreply(conn), SMFIR_ACCEPT, "Redis down: unregistered mail still passes")
mt.disconnect(conn)
