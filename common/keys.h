/* keys.h - the one place that spells mailacd's Redis keys and stream fields.
 *
 * Every key is "mailacd:{ORG}:..." so that one organisation's keys share a
 * Redis Cluster slot.  man/mailacd-keys.7 documents them for operators; keep
 * the two in step and bump KEYS_SCHEMA when a key or field changes meaning.
 * Both daemons refuse a schema version they do not know. */
#ifndef MAILACD_KEYS_H
#define MAILACD_KEYS_H

#include <stdio.h>

#define KEYS_SCHEMA		"1"

/* mailacd:{ORG}:schema - string, the schema version the data was written in */
#define KEYS_FMT_SCHEMA		"mailacd:{%s}:schema"
/* mailacd:{ORG}:ingest - stream, milter -> router hand-off (one entry per
 * interaction); fields are the KEYS_F_* names below */
#define KEYS_FMT_INGEST		"mailacd:{%s}:ingest"
/* mailacd:{ORG}:seen:HEX - string holding the interaction id handed off for
 * one (message, registered recipient); makes MTA retries idempotent */
#define KEYS_FMT_SEEN		"mailacd:{%s}:seen:%s"

/* Stream entry fields of mailacd:{ORG}:ingest, schema 1. */
#define KEYS_F_VERSION		"v"
#define KEYS_F_ID		"id"
#define KEYS_F_ORG		"org"
#define KEYS_F_QUEUE		"queue"
#define KEYS_F_SKILLS		"skills"
#define KEYS_F_LANGUAGE		"language"
#define KEYS_F_PRIORITY		"priority"
#define KEYS_F_ARRIVED		"arrived"
#define KEYS_F_SENDER		"sender"
#define KEYS_F_ADDRESS		"address"
#define KEYS_F_RCPT		"rcpt"
#define KEYS_F_MATCH		"match"
#define KEYS_F_MSGID		"message_id"
#define KEYS_F_INREPLYTO	"in_reply_to"
#define KEYS_F_REFERENCES	"references"
#define KEYS_F_SUBJECT		"subject"
#define KEYS_F_FROM		"from"
#define KEYS_F_SIZE		"size"
#define KEYS_F_QID		"queue_id"
#define KEYS_F_AUTO		"auto"

/* keys_fmt - write one key into BUF; returns -1 if it did not fit */
#define keys_fmt(buf, size, ...) \
	(snprintf((buf), (size), __VA_ARGS__) >= (int)(size) ? -1 : 0)

#endif
