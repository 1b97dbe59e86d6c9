#!/bin/sh
exec "${MAILACD_BUILD:?}/t/compose_test"
