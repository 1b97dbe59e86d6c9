#!/bin/sh
exec "${MAILACD_BUILD:?}/t/tmpl_test"
