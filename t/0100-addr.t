#!/bin/sh
exec "${MAILACD_BUILD:?}/t/addr_test"
