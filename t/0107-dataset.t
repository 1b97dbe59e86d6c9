#!/bin/sh
exec "${MAILACD_BUILD:?}/t/dataset_test"
