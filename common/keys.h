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
/* mailacd:{ORG}:thread:HEX - string holding the interaction id of a
 * message; HEX is SHA-256 of "<message-id>\n" + registered address.  A
 * message whose In-Reply-To/References name it joins that interaction. */
#define KEYS_FMT_THREAD		"mailacd:{%s}:thread:%s"

/* mailacd:{ORG}:ix:ID - hash, one interaction (stream fields + state,
 * enqueued, rank, entry) */
#define KEYS_FMT_IX		"mailacd:{%s}:ix:%s"
/* mailacd:{ORG}:queue:QUEUE - sorted set of waiting interactions, member
 * KEYS_FMT_MEMBER, score the rank (enqueued ms - 60000 x priority) */
#define KEYS_FMT_QUEUE		"mailacd:{%s}:queue:%s"
#define KEYS_FMT_MEMBER		"%015lld:%s"
/* mailacd:{ORG}:dead - stream of ingest entries that could not be queued */
#define KEYS_FMT_DEAD		"mailacd:{%s}:dead"
/* Written by the function library common/mailacd.lua (the Lua spells them
 * too; man/mailacd-keys.7 describes each). */
#define KEYS_FMT_BUCKET		"mailacd:{%s}:bucket:%s:%s"
#define KEYS_FMT_BUCKETS	"mailacd:{%s}:buckets:%s"
#define KEYS_FMT_QUEUES		"mailacd:{%s}:queues"
#define KEYS_FMT_QUEUECFG	"mailacd:{%s}:queuecfg:%s"
#define KEYS_FMT_AGENTS		"mailacd:{%s}:agents"
#define KEYS_FMT_AGENT		"mailacd:{%s}:agent:%s"
#define KEYS_FMT_AGENT_IX	"mailacd:{%s}:agent:%s:ix"
#define KEYS_FMT_AGENT_INBOX	"mailacd:{%s}:agent:%s:inbox"
#define KEYS_FMT_READY		"mailacd:{%s}:ready:%s"
#define KEYS_FMT_ASSIGNED	"mailacd:{%s}:assigned:%s"
#define KEYS_FMT_ASSIGNMENTS	"mailacd:{%s}:assignments"
#define KEYS_FMT_STATS		"mailacd:{%s}:stats:%s:%s"

/* the consumer group of routers on every ingest stream */
#define KEYS_GROUP		"routers"
/* a priority point is worth one minute of waiting */
#define KEYS_PRIORITY_MS	60000LL

/* Interaction hash fields added by the router. */
#define KEYS_F_STATE		"state"
#define KEYS_F_ENQUEUED		"enqueued"
#define KEYS_F_RANK		"rank"
#define KEYS_F_ENTRY		"entry"
#define KEYS_F_REASON		"reason"

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
