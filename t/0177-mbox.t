#!/bin/sh
exec "${MAILACD_BUILD:?}/t/mbox_test"
