#!/bin/sh
exec "${MAILACD_BUILD:?}/t/clock_test"
