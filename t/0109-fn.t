#!/bin/sh
# 0108-fn.t - the typed constructors of common/fn.c against the function
# library in a throw-away Redis (t/unit/fn_test.c)
. "$(dirname "$0")/lib/harness.sh"
require_tools redis-server
start_redis || bail_out "redis-server did not start"
T_TAP=0
"${MAILACD_BUILD:?}/t/fn_test" "$REDIS_PORT"
