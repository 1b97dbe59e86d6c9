#!/bin/sh
# 0173-autoreply.t - RFC 3834's rules for acknowledgements: the decision
# (unit tests in C), then the once-per-period rule in the function library
# against a private Redis.
. "$(dirname "$0")/lib/harness.sh"
require_build
T_TAP=0
"$MAILACD_BUILD/t/autoreply_test"
