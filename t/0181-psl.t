#!/bin/sh
# 0181-psl.t - campaign domains must be proper subdomains, decided with the
# Public Suffix List (common/dpsl.c; t/unit/dpsl_test.c has the table).
exec "${MAILACD_BUILD:?}/t/dpsl_test"
