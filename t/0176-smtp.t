#!/bin/sh
exec "${MAILACD_BUILD:?}/t/smtp_test"
