#!/bin/sh
# 0140-milter-cli.t - mailacd-milter's command line: -n, -V, usage, bad
# configuration, the file's mode, encrypted and linked DKIM keys, a socket
# that cannot be opened, -P (also with -u, and a symbolic link), SIGTERM.
. "$(dirname "$0")/lib/harness.sh"
require_build mailacd-milter
M=$MAILACD_BUILD/mailacd-milter

REDIS_PORT=1	# never connected to in this test
MILTER_SOCKET=inet:1@127.0.0.1
milter_conf >"$T_TMP/good.conf"

out=$("$M" -n -c "$T_TMP/good.conf" 2>&1); rc=$?
is "$out" "configuration OK" "-n on a good file says configuration OK"
is "$rc" 0 "-n on a good file exits 0"

sed 's/priority = 20;/priority = 2000; colour = "blue";/' "$T_TMP/good.conf" \
    >"$T_TMP/bad.conf"
out=$("$M" -n -c "$T_TMP/bad.conf" 2>&1); rc=$?
is "$rc" 78 "-n on a bad file exits 78 (EX_CONFIG)"
like "$out" "^$T_TMP/bad.conf:[0-9]+: .*priority.*2000.*between 0 and 1000" \
    "out-of-range priority named with file:line and bounds"
like "$out" "^$T_TMP/bad.conf:[0-9]+: .*colour" "unknown key reported too"
is "$(printf '%s\n' "$out" | grep -c "^$T_TMP/bad.conf:")" 2 \
    "every error reported, one per line"

# an internationalised domain name is named in the A-labels it must take
U=$(printf 'b\303\274cher.example')
sed "s/name = \"example.com\";/name = \"$U\";/" "$T_TMP/good.conf" >"$T_TMP/idn.conf"
out=$("$M" -n -c "$T_TMP/idn.conf" 2>&1)
like "$out" 'is an internationalised name: write it in A-labels, "xn--bcher-kva.example"' \
    "a U-label domain: the error gives its A-label form"

out=$("$M" -c "$T_TMP/bad.conf" -f 2>&1); rc=$?
is "$rc" 78 "starting with a bad file exits 78 before listening"

# the file's mode: one that holds a secret must not be readable by
# others, and no file may be writable by group or others
sed 's/^redis = {/redis = { password = "s3cret-pass";/' "$T_TMP/good.conf" \
    >"$T_TMP/secret.conf"
chmod 644 "$T_TMP/secret.conf"
out=$("$M" -n -c "$T_TMP/secret.conf" 2>&1); rc=$?
is "$rc" 78 "-n: a secret in a file others can read exits 78"
like "$out" "^$T_TMP/secret.conf:[0-9]+: redis.password: is a secret, but $T_TMP/secret.conf can be read by others \\(mode 0644, $(stat -c %U:%G "$T_TMP/secret.conf")\\): expected e.g. root:mailacd 0640 \\(readable by the owner and the group the daemons run as only\\)" \
    "naming the setting, the file, its mode and owner, and what is expected"
unlike "$out" "s3cret" "without showing the secret"
chmod 640 "$T_TMP/secret.conf"
out=$("$M" -n -c "$T_TMP/secret.conf" 2>&1); rc=$?
is "$rc/$out" "0/configuration OK" "mode 0640: configuration OK"
chmod 664 "$T_TMP/good.conf"
out=$("$M" -n -c "$T_TMP/good.conf" 2>&1); rc=$?
is "$rc" 78 "-n: a file the group can write exits 78, secret or not"
like "$out" "^$T_TMP/good.conf: can be written by group or others \\(mode 0664, $(stat -c %U:%G "$T_TMP/good.conf")\\)" \
    "saying so, with the mode and owner"
chmod 644 "$T_TMP/good.conf"

out=$("$M" -n -c "$T_TMP/missing.conf" 2>&1); rc=$?
is "$rc" 78 "a missing file exits 78"
like "$out" "missing.conf" "and names the file"

out=$("$M" -V 2>&1); rc=$?
is "$rc" 0 "-V exits 0"
like "$out" "^mailacd-milter [0-9]+\.[0-9]+\.[0-9]+" "-V prints the version"
like "$out" "libmilter .*hiredis .*libconfig .*GMime .*OpenSSL" \
    "-V names the libraries"

out=$("$M" --version 2>&1); rc=$?
like "$rc/$out" "^0/mailacd-milter [0-9]+\.[0-9]+\.[0-9]+" "--version works as -V does"

out=$("$M" -x 2>&1); rc=$?
is "$rc" 64 "an unknown option exits 64 (EX_USAGE)"
like "$out" "usage: mailacd-milter" "and prints the usage"
out=$("$M" -x 2>/dev/null)
is "$out" "" "on stderr"
for h in -h --help; do
	out=$("$M" $h 2>"$T_TMP/err"); rc=$?
	is "$rc/$(cat "$T_TMP/err")" "0/" "$h: exit 0, nothing on stderr"
	like "$out" "^usage: mailacd-milter" "$h: the usage on stdout"
	like "$out" "--strict" "$h: naming every option"
done

# -n --strict: warnings are errors
cp "$T_TOP/t/data/cfg/unservable.conf" "$T_TMP/unservable.conf"
chmod 0600 "$T_TMP/unservable.conf"
out=$("$M" -n -c "$T_TMP/unservable.conf" 2>&1); rc=$?
like "$rc/$out" "^0/configuration OK" "-n: warnings do not fail the check"
out=$("$M" -n --strict -c "$T_TMP/unservable.conf" 2>&1); rc=$?
is "$rc" 78 "-n --strict: warnings are errors, exit 78"
unlike "$out" "configuration OK" "and the configuration is not OK"
like "$out" "warning: requires skill \"comercal\"" "each warning is printed"
like "$out" "unservable.conf: 4 warnings, which --strict makes errors" \
    "and counted"
out=$("$M" -n --strict -c "$T_TMP/good.conf" 2>&1); rc=$?
is "$rc/$out" "0/configuration OK" "-n --strict on a file without warnings"
out=$("$M" --strict -c "$T_TMP/good.conf" -f 2>&1); rc=$?
is "$rc" 64 "--strict without -n exits 64"
like "$out" "--strict goes with -n" "saying so"

# errors before the log is open carry the program's name too
out=$("$M" -u no-such-user-mailacd -c "$T_TMP/good.conf" -f 2>&1)
like "$out" "^mailacd-milter: crit: -u no-such-user-mailacd: no such user" \
    "a -u error is named mailacd-milter"

out=$("$M" -u no-such-user-mailacd -c "$T_TMP/good.conf" -f 2>&1); rc=$?
is "$rc" 67 "an unknown -u user exits 67 (EX_NOUSER)"
like "$out" "no-such-user-mailacd: no such user" "and says so"

# DKIM keys: an encrypted key is refused at once, never a pass-phrase
# prompt (stdin is /dev/null and a timeout stops a hang); a symbolic link
# is followed and what it points to is checked like a key file
K=$T_TMP/keys
mkdir -p "$K"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
    -out "$K/good.key" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -aes256 \
    -pass pass:x -out "$K/pkcs8.key" 2>/dev/null
openssl genrsa -traditional -aes256 -passout pass:x -out "$K/trad.key" \
    1024 2>/dev/null
cp "$K/good.key" "$K/open.key"
chmod 600 "$K"/*.key
chmod 644 "$K/open.key"
ln -s good.key "$K/link.key"
ln -s open.key "$K/link-open.key"
ln -s nothere.key "$K/dangling.key"
# keyconf NAME: good.conf with example.com signing with $K/NAME
keyconf() {
	milter_conf "" "" "" \
	    "dkim = { selector = \"s1\"; key_file = \"$K/$1\"; };" \
	    >"$T_TMP/key-$1.conf"
	echo "$T_TMP/key-$1.conf"
}
for k in pkcs8.key trad.key; do
	out=$(timeout 20 "$M" -n -c "$(keyconf "$k")" </dev/null 2>&1); rc=$?
	is "$rc" 78 "an encrypted key ($k) is refused at once: exit 78, no prompt"
	like "$out" "key_file = \"$K/$k\": is encrypted \\(pass-phrase protected\\); mailacd needs an unencrypted key: openssl pkey -in $K/$k -out NEW.key" \
	    "and says it is encrypted and how to decrypt it ($out)"
done
out=$("$M" -n -c "$(keyconf link.key)" </dev/null 2>&1); rc=$?
is "$rc/$out" "0/configuration OK" "a symbolic link to a good key is followed"
out=$("$M" -n -c "$(keyconf link-open.key)" </dev/null 2>&1); rc=$?
is "$rc" 78 "a symbolic link to a key others can read is refused"
like "$out" "key_file = \"$K/link-open.key\": is a symbolic link to $K/open.key, which can be read by group or others \\(mode 0644\\)" \
    "naming the mode of the file it points to ($out)"
out=$("$M" -n -c "$(keyconf dangling.key)" </dev/null 2>&1); rc=$?
is "$rc" 78 "a dangling symbolic link is refused"
like "$out" "dangling.key\": is a symbolic link to nothere.key, which cannot be read: No such file" \
    "saying it points to nothing ($out)"

# a port that is already taken
P=$(free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(20)' "$P" &
HOLDER=$!
T_PIDS="$T_PIDS $HOLDER"
wait_for 5 port_listening "$P"
out=$(timeout 20 "$M" -f -c "$T_TMP/good.conf" -p "inet:$P@127.0.0.1" 2>&1); rc=$?
is "$rc" 71 "a socket in use exits 71 (EX_OSERR)"
like "$out" "cannot listen on inet:$P@127.0.0.1: Address already in use" \
    "and names the socket and the reason"
out=$(timeout 20 "$M" -c "$T_TMP/good.conf" -p "inet:$P@127.0.0.1" 2>&1); rc=$?
like "$rc/$out" "^71/mailacd-milter: cannot listen on inet:$P@127.0.0.1: Address already in use" \
    "in the background too, on stderr before detaching"
kill_pid "$HOLDER"

# -P writes the pid file, SIGTERM stops cleanly and removes it
P=$(free_port)
spawn cli "$T_TMP/cli.log" "$M" -f -c "$T_TMP/good.conf" \
    -p "inet:$P@127.0.0.1" -P "$T_TMP/m.pid"
wait_for 10 port_listening "$P"
ok "-P writes the pid file" wait_for 5 test -s "$T_TMP/m.pid"
is "$(cat "$T_TMP/m.pid" 2>/dev/null)" "$SPAWNED_PID" "with the milter's pid"
like "$(head -1 "$T_TMP/cli.log")" \
    "^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3}Z mailacd-milter\[$SPAWNED_PID\]: info: mailacd-milter .* listening on" \
    "-f: each log line starts with the UTC time, the name and the pid"
t0=$(now_ms)
kill -TERM "$SPAWNED_PID"
ok "SIGTERM stops the milter" wait_for 10 t_not_alive "$SPAWNED_PID"
t1=$(now_ms)
cmp_ok "$((t1 - t0))" -lt 1500 \
    "at once, not after libmilter's 5-second poll ($((t1 - t0)) ms)"
ok "and the pid file is removed" wait_for 5 test ! -e "$T_TMP/m.pid"
# -P with -u: the pid file in a directory only root can write is made
# before the privileges go, and removed at exit all the same
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -m 755 "$T_TMP/run"
	P=$(free_port)
	spawn pidu "$T_TMP/pidu.log" "$M" -f -c "$T_TMP/good.conf" \
	    -p "inet:$P@127.0.0.1" -u nobody -P "$T_TMP/run/m.pid"
	UPID=$SPAWNED_PID
	wait_for 10 port_listening "$P"
	is "$(cat "$T_TMP/run/m.pid" 2>/dev/null)" "$UPID" \
	    "-u nobody -P in a root-owned 0755 directory: the pid file holds the milter's pid"
	is "$(stat -c '%U %a' "$T_TMP/run/m.pid" 2>/dev/null)" "root 644" \
	    "owned by root, mode 0644"
	is "$(awk '/^Uid:/ { print $2 }' "/proc/$UPID/status")" "$(id -u nobody)" \
	    "the milter runs as nobody"
	kill -TERM "$UPID"
	ok "SIGTERM stops the milter run as nobody" wait_for 10 t_not_alive "$UPID"
	ok "and the pid file is removed although nobody cannot write its directory" \
	    wait_for 5 test ! -e "$T_TMP/run/m.pid"
	t_forget "$UPID"
	spawn pidk "$T_TMP/pidk.log" "$M" -f -c "$T_TMP/good.conf" \
	    -p "inet:$P@127.0.0.1" -u nobody -P "$T_TMP/run/m.pid"
	UPID=$SPAWNED_PID
	wait_for 10 port_listening "$P"
	ok "started again: the pid file is back" test -s "$T_TMP/run/m.pid"
	kill -KILL "$UPID"
	ok "SIGKILL: the pid file is removed all the same" \
	    wait_for 5 test ! -e "$T_TMP/run/m.pid"
	t_reap "$UPID"
	t_forget "$UPID"

	# a symbolic link at the pid path is refused, not followed
	ln -s "$T_TMP/run/target" "$T_TMP/run/link.pid"
	out=$(timeout 10 "$M" -f -c "$T_TMP/good.conf" -p "inet:$(free_port)@127.0.0.1" \
	    -P "$T_TMP/run/link.pid" 2>&1); rc=$?
	is "$rc" 73 "-P naming a symbolic link exits 73 (EX_CANTCREAT)"
	like "$out" "$T_TMP/run/link.pid: is a symbolic link" "saying so ($out)"
	ok "and nothing is written where the link points" test ! -e "$T_TMP/run/target"
	mkfifo "$T_TMP/run/fifo.pid"
	out=$(timeout 10 "$M" -f -c "$T_TMP/good.conf" -p "inet:$(free_port)@127.0.0.1" \
	    -P "$T_TMP/run/fifo.pid" 2>&1); rc=$?
	is "$rc" 73 "-P naming a FIFO exits 73 at once"
	like "$out" "fifo.pid: is not a regular file" "saying so ($out)"
else
	for _i in 1 2 3 4 5 6 7 8 9 10 11 12; do skip "-u nobody needs root and a nobody user"; done
fi

# -u: the unix socket goes to the user and group with mode 0660, and the
# milter runs as that user
if [ "$(id -u)" -eq 0 ] && id postfix >/dev/null 2>&1; then
	spawn user "$T_TMP/user.log" sh -c 'umask 022; exec "$@"' m "$M" -f \
	    -c "$T_TMP/good.conf" -u postfix:postfix -p "unix:$T_TMP/u.sock"
	UPID=$SPAWNED_PID
	ok "-u: the milter listens" wait_for 10 test -S "$T_TMP/u.sock"
	is "$(stat -c '%U:%G %a' "$T_TMP/u.sock" 2>/dev/null)" "postfix:postfix 660" \
	    "-u postfix:postfix: socket owned by postfix:postfix, mode 0660 despite umask 022"
	is "$(awk '/^Uid:/ { print $2 }' "/proc/$UPID/status")" "$(id -u postfix)" \
	    "-u postfix: the milter runs as postfix"
	kill_pid "$UPID"
else
	for _i in 1 2 3; do skip "-u needs root and a postfix user"; done
fi
done_testing
