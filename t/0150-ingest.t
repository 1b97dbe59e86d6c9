#!/bin/sh
exec "${MAILACD_BUILD:?}/t/ingest_test"
