#!/bin/sh
exec "${MAILACD_BUILD:?}/t/retry_test"
