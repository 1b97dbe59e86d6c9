#!/bin/sh
# 0112-sentinel.t - Sentinel discovery (common/sentinel.c) and the Redis
# pool's fail-over (common/rds.c) against fake Sentinels that name a
# replica, a master that is gone, or nothing (t/lib/fake-sentinel.py);
# the assertions are in t/unit/sentinel_test.c.
. "$(dirname "$0")/lib/harness.sh"
T_TAP=0
require_build t/sentinel_test
require_tools python3
spawn fake "$T_TMP/fake.log" python3 "$T_TOP/t/lib/fake-sentinel.py" \
    "$T_TMP/ports.fake" \
    n_master=master n_slave=slave n_ro=readonly n_auth=master,pass=datapw \
    s_slave=sentinel:n_slave s_master=sentinel:n_master s_dead=sentinel:dead \
    s_nil=nil s_silent=silent s_auth=sentinel:n_auth,pass=sentpw \
    s_ro=sentinel:n_ro s_switch=sentinel:n_master,switch=n_slave \
    n_user=master,user=app,pass=datapw s_user=sentinel:n_user,user=watch,pass=sentpw
wait_for 10 test -s "$T_TMP/ports.fake" ||
    bail_out "the fake Sentinels did not start: $(cat "$T_TMP/fake.log")"
SENTINEL_PORTS=$T_TMP/ports.fake "$MAILACD_BUILD/t/sentinel_test"
