#!/bin/sh
exec "${MAILACD_BUILD:?}/t/flow_test" "$(dirname "$0")/data/lang"
