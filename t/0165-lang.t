#!/bin/sh
exec "${MAILACD_BUILD:?}/t/lang_test" "$(dirname "$0")/data/lang"
