#!/bin/sh
exec "${MAILACD_BUILD:?}/t/outbound_test"
