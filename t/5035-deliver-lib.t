#!/bin/sh
# 5035-deliver-lib.t - the library's side of forward delivery
# (common/mailacd.lua), called with redis-cli: delivery jobs on assignment
# and on follow-ups, none for notify queues, the list of stored copies,
# copies dropped at close and for automatic mail to a closed interaction,
# mailacd_undeliverable (back to the queue, not to the same agent while it
# is open: neither when that agent looks for work nor when it is offered
# again; capacity freed, statistics), the queue's mode written by mailacd_sync in both
# argument formats.
. "$(dirname "$0")/lib/harness.sh"
require_tools redis-server redis-cli

start_redis || bail_out "redis-server did not start"
P='mailacd:{acme}:'
S="${P}schema"

fc() {
	_f=$1
	shift
	rcli FCALL "$_f" 1 "$S" "$@" 2>&1
}
I() { printf '%032x' "$1"; }
ix() { rcli HGET "${P}ix:$1" "$2"; }
jobs() { rcli XRANGE "${P}deliver" - + | paste -sd' ' - |
    sed 's/[0-9]*-[0-9]* id /|/g; s/ at [0-9]*//g'; }
copies() { rcli LRANGE "${P}ix:$1:msgs" 0 -1 | paste -sd' ' -; }

# ingest ID QUEUE [FIELD VALUE...]: one entry through mailacd_ingest
ingest() {
	_id=$1 _q=$2
	shift 2
	_a=$(now_ms)
	_e=$(rcli XADD "${P}ingest" '*' v 1 id "$_id" org acme queue "$_q" \
	    arrived "$_a" "$@")
	REP=$(rcli FCALL mailacd_ingest 4 "$S" "${P}ix:$_id" "${P}queue:$_q" \
	    "${P}ingest" routers "$_e" "$(printf '%015d:%s' "$_a" "$_id")" \
	    "$_a" "$_a" v 1 id "$_id" org acme queue "$_q" priority 0 \
	    arrived "$_a" "$@" 2>&1 | paste -sd/ -)
}
store() { rcli HSET "${P}msg:$1" data "message $1" size 9 complete 1 >/dev/null; }

LIB=$MAILACD_BUILD/common/mailacd.lua
[ -r "$LIB" ] || bail_out "$LIB not built (run make)"
rcli FUNCTION LOAD REPLACE "$(cat "$LIB")" >/dev/null
rcli XGROUP CREATE "${P}ingest" routers '$' MKSTREAM >/dev/null
fc mailacd_sync 2:4 support longest-idle 0 forward sales longest-idle 0 notify \
    2 a1 a1@corp.example '' '' 2 support,sales a2 a2@corp.example '' '' 1 \
    support >/dev/null
is "$(rcli HGET "${P}queuecfg:support" delivery)" forward \
    "mailacd_sync NQUEUES:4 writes the queue's delivery mode"
is "$(rcli HGET "${P}queuecfg:sales" delivery)" notify "... for each queue"

X=$(I 1) Y=$(I 2) Z=$(I 3)
fc mailacd_presence a1 available >/dev/null
store m1
ingest "$X" support msg m1
is "$REP" "1/a1" "a new interaction is assigned to a1"
is "$(copies "$X")" m1 "its stored copy is listed on ix:ID:msgs"
is "$(jobs)" "|$X agent a1 queue support how arrival" \
    "a forward queue's assignment writes one delivery job"

store m2
ingest "$X" support msg m2 subject "Re: hello"
is "$REP/$(ix "$X" agent)" "3//a1" "a follow-up while assigned stays with a1"
is "$(copies "$X")" "m1 m2" "the follow-up's copy is appended"
is "$(jobs | sed 's/^.*|/|/')" "|$X agent a1 queue support how followup" \
    "... and a follow-up job is written"

ingest "$Y" sales
is "$REP" "1/a1" "a notify queue's interaction is assigned too"
is "$(rcli XLEN "${P}deliver")" 2 "... but writes no delivery job"

# --- giving up a delivery -----------------------------------------------------
rcli HSET "${P}ix:$X" delivery_attempts 5 delivery_next 1 \
    delivery_error "452 mailbox full" >/dev/null
rcli SADD "${P}retrying" "$X" >/dev/null
OUT=$(fc mailacd_undeliverable "$X" a2 "550 no such user")
like "$OUT" "^BADSTATE .*not assigned to a2" \
    "undeliverable for an agent who does not have it: BADSTATE"
OUT=$(fc mailacd_undeliverable "$X" a1 "550 no such user")
like "$OUT" '"was":"assigned"' "undeliverable for a1: done ($OUT)"
is "$(ix "$X" state)" waiting \
    "it waits in its queue: a1 is ready but does not get it back at once"
is "$(rcli SISMEMBER "${P}agent:a1:ix" "$X")" 0 "a1's capacity is freed"
is "$(ix "$X" delivery_failures)/$(ix "$X" last_delivery_agent)" "1/a1" \
    "the failure is recorded on the interaction"
is "$(ix "$X" last_delivery_error)" "550 no such user" "... with the error"
is "$(ix "$X" delivery_attempts)$(ix "$X" delivery_next)" "" \
    "the retry state is cleared"
is "$(rcli SISMEMBER "${P}retrying" "$X")" 0 "no longer counted as retrying"
is "$(rcli HGET "${P}stats:support:$(date -u +%F)" delivery_failed)" 1 \
    "today's statistics count one failed delivery"
like "$(rcli LINDEX "${P}agent:a1:inbox" 0)" '"event":"undeliverable"' \
    "a1's list tells them"
OUT=$(fc mailacd_undeliverable "$X" a1 again)
like "$OUT" "^BADSTATE .*is waiting" "a second give-up: BADSTATE"
is "$(rcli SISMEMBER "${P}agent:a1:refused" "$X")/$(ix "$X" refused_by)" \
    "1/a1" "a1's refusals hold it, and it names a1"
cmp_ok "$(rcli TTL "${P}agent:a1:refused")" -gt 86400 "... which expire, in days"
fc mailacd_presence a1 available >/dev/null
is "$(ix "$X" state)" waiting \
    "a1 looks for work again: not given what its mailbox refused"

OUT=$(fc mailacd_presence a2 available)
like "$OUT" "\"id\":\"$X\",\"agent\":\"a2\"" "a2 becomes available and takes it"
is "$(jobs | sed 's/^.*|/|/')" "|$X agent a2 queue support how queue" \
    "... with a delivery job for a2, who has had none of its copies"
rcli HSET "${P}ix:$X" sent:a1 2 sent:a2 2 >/dev/null
OUT=$(fc mailacd_transfer "$X" support op)
is "$(ix "$X" state)" waiting \
    "back to the queue: not offered to a1 either, though ready"

# --- close drops the copies and the refusals ----------------------------------
fc mailacd_close "$X" a2 >/dev/null
is "$(rcli SISMEMBER "${P}agent:a1:refused" "$X")/$(ix "$X" refused_by)" \
    "0/" "closed: no longer kept from a1"

is "$(rcli EXISTS "${P}msg:m1" "${P}msg:m2" "${P}ix:$X:msgs")" 0 \
    "closing deletes the stored copies and their list"
is "$(rcli HKEYS "${P}ix:$X" | grep -c '^sent:')" 0 \
    "... and who had how many of them"

NJ=$(rcli XLEN "${P}deliver")
store m3
ingest "$X" support msg m3 auto auto-submitted
is "$(ix "$X" state)" closed "automatic mail does not reopen it"
is "$(rcli EXISTS "${P}msg:m3")$(copies "$X")" 0 \
    "... and its copy is not kept: nobody will be sent it"
is "$(rcli XLEN "${P}deliver")" "$NJ" "... and no job is written"

store m4
ingest "$X" support msg m4 merged 1
is "$(ix "$X" state)" assigned "a customer's message reopens it"
is "$(copies "$X")" m4 "a new list starts with that copy"
is "$(rcli XLEN "${P}deliver")" "$((NJ + 1))" "... and a job is written"
is "$(ix "$X" merged)" 1 "a merged new thread is counted"

# a router older than library 3 (three values per queue) leaves the mode
fc mailacd_sync 1 support longest-idle 0 2 a1 a1@corp.example '' '' 2 \
    support,sales a2 a2@corp.example '' '' 1 support >/dev/null
is "$(rcli HGET "${P}queuecfg:support" delivery)" forward \
    "mailacd_sync with a plain NQUEUES keeps the delivery mode"
like "$(fc mailacd_sync x:4 0)" "^BADARG ARGV\\[1\\] must be" \
    "a malformed queue count is refused"
: "$Z"
done_testing
