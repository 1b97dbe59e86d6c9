#!/bin/sh
exec "${MAILACD_BUILD:?}/t/token_test"
