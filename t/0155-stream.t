#!/bin/sh
exec "${MAILACD_BUILD:?}/t/stream_test"
