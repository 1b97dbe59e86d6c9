#!/bin/sh
exec "${MAILACD_BUILD:?}/t/cfg_test" "$(dirname "$0")/data/cfg"
