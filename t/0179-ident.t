#!/bin/sh
# 0179-ident.t - the identities' own outgoing servers: configuration and
# Postfix's maps, without a server (t/unit/ident_test.c)
exec "${MAILACD_BUILD:?}/t/ident_test"
