#!/bin/sh
exec "${MAILACD_BUILD:?}/t/flow_test"
