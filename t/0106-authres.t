#!/bin/sh
exec "${MAILACD_BUILD:?}/t/authres_test"
