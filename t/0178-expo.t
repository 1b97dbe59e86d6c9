#!/bin/sh
exec "${MAILACD_BUILD:?}/t/expo_test"
