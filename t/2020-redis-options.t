#!/bin/sh
# 2020-redis-options.t - the Redis connection settings: a unix socket,
# AUTH with a password, and with an ACL user name, a database other than 0;
# a wrong password or user is a tempfail with the reason in the log, never
# an accept.
. "$(dirname "$0")/lib/harness.sh"
require_tools miltertest redis-server redis-cli
require_build mailacd-milter

RSOCK=$T_TMP/redis/redis.sock
mkdir -p "$T_TMP/redis"
REDIS_PORT=$(free_port)
spawn redis "$T_TMP/redis/redis.log" redis-server --port 0 \
    --unixsocket "$RSOCK" --unixsocketperm 700 --requirepass 's3cret pass' \
    --dir "$T_TMP/redis" --save '' --appendonly no
REDIS_PID=$SPAWNED_PID
wait_for 10 test -S "$RSOCK" || bail_out "redis-server did not start"
r() { redis-cli -s "$RSOCK" --no-auth-warning -a 's3cret pass' -n 3 "$@"; }

# conf PASSWORD: the harness configuration, Redis over the unix socket
conf() {
	milter_conf | sed "/^redis = {/,/^};/c\\
redis = {\\
	socket = \"$RSOCK\";\\
	password = \"$1\";\\
	database = 3;\\
	connect_timeout_ms = 500;\\
	command_timeout_ms = 1000;\\
};"
}

t_milter_sockets unix milter
MILTER_SOCKET=$T_MSOCK
conf 's3cret pass' >"$T_TMP/good.conf"
# it holds a secret: not readable by others (the loader refuses that)
chmod 600 "$T_TMP/good.conf"
ok "the unix-socket configuration checks" \
    "$MAILACD_BUILD/mailacd-milter" -n -c "$T_TMP/good.conf"
start_milter unix "$T_TMP/good.conf"
mt_run retry.lua
id=$(sed -n 's/^# ID //p' "$T_TMP/mt-retry.lua.out")
is "$(r XLEN 'mailacd:{acme}:ingest')" 1 "handed off over the unix socket, with AUTH, into database 3"
is "$(r XRANGE 'mailacd:{acme}:ingest' - + | awk 'p { print; exit } $0 == "id" { p = 1 }')" "$id" \
    "the entry carries the stamped id"
is "$(redis-cli -s "$RSOCK" --no-auth-warning -a 's3cret pass' -n 0 DBSIZE)" 0 \
    "nothing written to database 0"
stop_milter

conf 'wrong' >"$T_TMP/bad.conf"
chmod 600 "$T_TMP/bad.conf"
start_milter unix "$T_TMP/bad.conf"
mt_run redis-down.lua
like "$(cat "$MILTER_LOG")" "QID101: redis $RSOCK: hand-off failed: connect $RSOCK: .*(WRONGPASS|invalid)" \
    "a wrong password is a tempfail, and the log says so"
like "$(cat "$MILTER_LOG")" "password" "the log names the password problem"
ok "the password itself is never logged" sh -c "! grep -q 's3cret' '$MILTER_LOG'"
stop_milter

# an ACL user (Redis 6 and later): AUTH USER PASSWORD, the default user off
r ACL SETUSER mailacd on '>acl pass' '~mailacd:*' '&*' +@all >/dev/null
r ACL SETUSER default off >/dev/null
ra() { redis-cli -s "$RSOCK" --no-auth-warning --user mailacd --pass 'acl pass' -n 3 "$@"; }
conf 'acl pass' | sed 's/^\tpassword = .*/&\
	username = "mailacd";/' >"$T_TMP/acl.conf"
chmod 600 "$T_TMP/acl.conf"
start_milter unix "$T_TMP/acl.conf"
mt_run retry.lua
is "$(sed -n 's/^# ID //p' "$T_TMP/mt-retry.lua.out")" "$id" \
    "redis.username: the retry is recognised, through the ACL user"
cmp_ok "$(ra CLIENT LIST | grep -v 'cmd=client' | grep -c ' user=mailacd ')" -ge 1 \
    "... the milter's connections are the user's, the default user off"
stop_milter
conf 'acl pass' | sed 's/^\tpassword = .*/&\
	username = "nobody";/' >"$T_TMP/acl-bad.conf"
chmod 600 "$T_TMP/acl-bad.conf"
MILTER_LOG_BEFORE=$(wc -l <"$MILTER_LOG")
start_milter unix "$T_TMP/acl-bad.conf"
mt_run redis-down.lua
like "$(cat "$MILTER_LOG")" "hand-off failed: connect $RSOCK: .*(WRONGPASS|invalid username-password)" \
    "a user Redis does not know is a tempfail, and the log says so"
milter_log_clean
done_testing
