#!/bin/sh
exec "${MAILACD_BUILD:?}/t/hdr_test"
