#!/bin/sh
exec "${MAILACD_BUILD:?}/t/inbound_test"
