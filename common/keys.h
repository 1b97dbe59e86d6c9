/* keys.h - the one place that spells mailacd's Redis keys and stream fields.
 *
 * Every key is "mailacd:{ORG}:..." so that one organisation's keys share a
 * Redis Cluster slot.  man/mailacd-keys.7 documents them for operators
 * (t/0122-keys-man.t checks that the two name the same keys); bump
 * KEYS_SCHEMA when a key or field changes meaning.  Both daemons refuse a
 * schema version they do not know.
 *
 * The function library (common/mailacd.lua) spells nothing of this itself:
 * the build puts a Lua translation of the version numbers, KEYS_FMT_*
 * formats and KEYS_PRIORITY_MS at its head (common/keys2lua.awk), so each
 * is written here once.  Keep each such #define on one line. */
#ifndef MAILACD_KEYS_H
#define MAILACD_KEYS_H

#include <stdio.h>

#define KEYS_SCHEMA		"1"
/* the version of the function library common/mailacd.lua: bump it when a
 * function changes behaviour (fn_load never replaces a newer one) */
#define KEYS_LIBRARY		"9"

/* mailacd:{ORG}:schema - string, the schema version the data was written in */
#define KEYS_FMT_SCHEMA		"mailacd:{%s}:schema"
/* mailacd:{ORG}:dataset - hash, the marker of the data set the daemons
 * write into (common/dataset.c): id (random hex), created (ms), created_by,
 * and when a daemon that knew an earlier id found it gone: lost_detected
 * (ms), lost_by, previous (the id that disappeared) */
#define KEYS_FMT_DATASET	"mailacd:{%s}:dataset"
/* mailacd:{ORG}:people:ID - set, the participants of interaction ID (its
 * customer, without sub-address, and whoever joined with a reply token):
 * with milter.thread_join = "participant" only they join it by naming
 * one of its Message-IDs; expires after milter.thread_ttl. */
#define KEYS_FMT_PEOPLE		"mailacd:{%s}:people:%s"
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
/* The operator's index of interactions (written by the library in the
 * calls that change them; mailacd_list reads it): sorted sets of ids
 * scored by arrival (enqueued ms) - all of them, by state, by queue, by
 * last agent, by customer (lower case) - and ixids, every id with score 0
 * for prefixes (ZRANGEBYLEX).  An interaction's hash field "idx" says
 * which state, queue and agent sets hold it. */
#define KEYS_FMT_IXS		"mailacd:{%s}:ixs"
#define KEYS_FMT_IXS_STATE	"mailacd:{%s}:ixs:state:%s"
#define KEYS_FMT_IXS_QUEUE	"mailacd:{%s}:ixs:queue:%s"
#define KEYS_FMT_IXS_AGENT	"mailacd:{%s}:ixs:agent:%s"
#define KEYS_FMT_IXS_CUSTOMER	"mailacd:{%s}:ixs:customer:%s"
#define KEYS_FMT_IXIDS		"mailacd:{%s}:ixids"
/* mailacd:{ORG}:timeline:ID - list, the interaction's timeline: one JSON
 * object per event ({"at":ms,"event":...,"by":...}) as it happens */
#define KEYS_FMT_TIMELINE	"mailacd:{%s}:timeline:%s"
/* mailacd:{ORG}:dead - stream of ingest entries that could not be queued */
#define KEYS_FMT_DEAD		"mailacd:{%s}:dead"
/* Written by the function library common/mailacd.lua, which takes them
 * from here; man/mailacd-keys.7 describes each. */
#define KEYS_FMT_BUCKET		"mailacd:{%s}:bucket:%s:%s"
#define KEYS_FMT_BUCKETS	"mailacd:{%s}:buckets:%s"
#define KEYS_FMT_QUEUES		"mailacd:{%s}:queues"
#define KEYS_FMT_QUEUECFG	"mailacd:{%s}:queuecfg:%s"
#define KEYS_FMT_AGENTS		"mailacd:{%s}:agents"
#define KEYS_FMT_AGENT		"mailacd:{%s}:agent:%s"
#define KEYS_FMT_AGENT_IX	"mailacd:{%s}:agent:%s:ix"
#define KEYS_FMT_AGENT_INBOX	"mailacd:{%s}:agent:%s:inbox"
/* the interactions whose copies the agent's mailbox refused for good:
 * not offered to that agent again while open */
#define KEYS_FMT_AGENT_REFUSED	"mailacd:{%s}:agent:%s:refused"
#define KEYS_FMT_READY		"mailacd:{%s}:ready:%s"
/* round-robin: the hash of each agent's last turn in a queue, and the
 * queue's turn counter */
#define KEYS_FMT_RR		"mailacd:{%s}:rr:%s"
#define KEYS_FMT_RRSEQ		"mailacd:{%s}:rrseq:%s"
#define KEYS_FMT_ASSIGNED	"mailacd:{%s}:assigned:%s"
#define KEYS_FMT_ASSIGNMENTS	"mailacd:{%s}:assignments"
/* mailacd:{ORG}:stats:QUEUE:PERIOD - hash, a queue's statistics of one
 * UTC day (PERIOD YYYY-MM-DD) or hour (YYYY-MM-DDTHH), written in the same
 * calls, expiring 90 days after their last change: offered, assigned,
 * answered, wait_ms, within, closed, handled, handled_ms, transferred,
 * delivery_failed, and the first-assignment waits in buckets
 * wait_le_SECONDS ... wait_le_inf (each answer counted in one bucket, not
 * cumulative); a missing hash or field is zero */
#define KEYS_FMT_STATS		"mailacd:{%s}:stats:%s:%s"
/* mailacd:{ORG}:totals:QUEUE - hash, the same counters since the queue
 * began, never expiring, so that they never go down (metrics): offered,
 * assigned, answered, within, closed, handled, handled_ms, transferred,
 * delivery_failed, wait_sum_ms (the stats' wait_ms) and wait_le_* */
#define KEYS_FMT_TOTALS		"mailacd:{%s}:totals:%s"
/* mailacd:{ORG}:counters - hash, the organisation's event counters since
 * it began, never expiring, for the router's metrics: the KEYS_F_CNT_*
 * fields below.  The milter's hand-off counts handed_off and
 * rate_limited in mailacd_handoff; the other milter fields are counted in
 * the milter process and added with HINCRBY about once a second
 * (milter/tally.c), the router's where it decides them. */
#define KEYS_FMT_COUNTERS	"mailacd:{%s}:counters"
#define KEYS_F_CNT_HANDED_OFF	"handed_off"
#define KEYS_F_CNT_TEMPFAILED	"tempfailed"
#define KEYS_F_CNT_RATE_LIMITED	"rate_limited"
#define KEYS_F_CNT_LOOPS	"loops"
#define KEYS_F_CNT_SIGNED	"outbound_signed"
#define KEYS_F_CNT_REFUSED	"outbound_refused"
#define KEYS_F_CNT_RETRIES	"delivery_retries"
#define KEYS_F_CNT_DOMAIN_FAILED "domain_check_failed"

/* mailacd:{ORG}:msg:HEX - hash, the stored copy of one inbound message for
 * one registered address (HEX as in KEYS_FMT_SEEN), written by the milter
 * for queues in forward mode, expiring after delivery.retention:
 *   data      the message as received: header lines (CRLF), blank line,
 *             body; foreign X-MailACD-* headers left out except
 *             X-MailACD-Loop; only the header section when incomplete
 *   size      the message's size in bytes as received
 *   complete  "1": data holds the whole message; "0": larger than
 *             delivery.max_size, data holds the header section only */
#define KEYS_FMT_MSG		"mailacd:{%s}:msg:%s"
#define KEYS_F_MSG_DATA		"data"
#define KEYS_F_MSG_SIZE		"size"
#define KEYS_F_MSG_COMPLETE	"complete"
/* mailacd:{ORG}:ix:ID:msgs - list of the HEX of the interaction's stored
 * copies in arrival order (the library appends, mailacd_close deletes
 * them with the copies) */
#define KEYS_FMT_IX_MSGS	"mailacd:{%s}:ix:%s:msgs"
/* mailacd:{ORG}:deliver - stream of delivery jobs written by the library
 * when an interaction of a forward-mode queue is assigned or gets a
 * follow-up while assigned: fields id, agent, queue, how, at.  A job
 * means "resend to AGENT every stored copy of ID it has not had". */
#define KEYS_FMT_DELIVER	"mailacd:{%s}:deliver"
/* mailacd:{ORG}:retrying - set of interaction ids whose delivery failed
 * and is being retried */
#define KEYS_FMT_RETRYING	"mailacd:{%s}:retrying"
/* mailacd:{ORG}:open:HEX - string, the interaction id last handed off for
 * one customer at one registered address (HEX = SHA-256 of the customer's
 * address + "\n" + registered address), for new_thread = "merge" */
#define KEYS_FMT_OPEN		"mailacd:{%s}:open:%s"
/* mailacd:{ORG}:rate:HEX:HOUR - counter of the messages of one sender
 * (HEX = SHA-256 of the sender) in one hour since the epoch, for
 * milter.sender_rate_limit; expires after two hours */
#define KEYS_FMT_RATE		"mailacd:{%s}:rate:%s:%lld"

/* Interaction hash fields of delivery (forward mode), written by the
 * router: "sent:AGENT" how many of ix:ID:msgs AGENT has had; delivered,
 * delivered_at, delivery_attempts, delivery_error, delivery_next. */
#define KEYS_F_SENT_PREFIX	"sent:"
#define KEYS_F_DELIVERED	"delivered"
#define KEYS_F_DELIVERED_AT	"delivered_at"
#define KEYS_F_DLV_ATTEMPTS	"delivery_attempts"
#define KEYS_F_DLV_ERROR	"delivery_error"
#define KEYS_F_DLV_NEXT		"delivery_next"

/* Headers of resent copies.  X-MailACD-Delivery (with X-MailACD-Interaction
 * and the Resent-* block) marks a copy the router submitted: from a
 * trusted client it passes the milter untouched.  X-MailACD-Loop is kept
 * in stored copies and added at each resend, so mail that has gone round
 * through mailacd twice carries it twice and is not routed again. */
#define KEYS_H_DELIVERY		"X-MailACD-Delivery"
#define KEYS_H_LOOP		"X-MailACD-Loop"

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
#define KEYS_F_MSG		"msg"	/* HEX of the stored copy, if any */
#define KEYS_F_MERGED		"merged"	/* "1": new thread merged */
/* who the customer is (header From, or Reply-To for a forwarded domain,
 * else the envelope sender) and, for forwarded mail, whom it was first
 * sent to (inbound.h: inb_customer, inb_original) */
#define KEYS_F_CUSTOMER		"customer"
#define KEYS_F_ORIGINAL_RCPT	"original_rcpt"
/* the interaction a message named by Message-ID but could not join (its
 * sender is no participant): the agent sees the context */
#define KEYS_F_RELATED		"related"
/* what a flow decided (the address names a flow): the rules that applied,
 * the interaction's labels (comma-separated), the acknowledgement chosen,
 * "1" when it stopped routing (recorded closed), and the language detected
 * in the text with its confidence (0..100) */
#define KEYS_F_FLOW		"flow"
#define KEYS_F_TAGS		"tags"
#define KEYS_F_ACK		"ack"
#define KEYS_F_STOPPED		"stopped"
#define KEYS_F_DETECTED		"detected_language"
#define KEYS_F_CONFIDENCE	"language_confidence"
/* the flow's queue is outside its business hours: when they begin again
 * (seconds since 1970), for the acknowledgement */
#define KEYS_F_OPENS		"opens"

/* keys_fmt - write one key into BUF; returns -1 if it did not fit */
#define keys_fmt(buf, size, ...) \
	(snprintf((buf), (size), __VA_ARGS__) >= (int)(size) ? -1 : 0)

/* mailacd:{ORG}:domain:NAME - hash, the last DNS check of a configured
 * domain (mailacdctl domain check; the router's re-check): status passed,
 * failed or unchecked; checked_at (Unix ms); verified_at, when its
 * ownership record first passed (HSETNX: kept); ownership ok, missing,
 * wrong, unchecked or not-required; records "ownership=ok mx=missing ...";
 * failed_records, the ids missing or wrong, space-separated */
#define KEYS_FMT_DOMAIN		"mailacd:{%s}:domain:%s"
/* mailacd:{ORG}:sendrate:DOMAIN:MINUTE - counter of a domain's outbound
 * messages in one minute since the epoch (rate_limit), shared by every
 * milter; expires after two minutes */
#define KEYS_FMT_SENDRATE	"mailacd:{%s}:sendrate:%s:%lld"
/* mailacd:{ORG}:mailbox:ADDRESS - hash, the router's last look at the
 * mailbox an address's mail is pulled from: status ok or failing; class
 * of the failure (connect, tls, auth, folder, server, relay); error, its
 * description ("" when ok); checked_at, ok_at, next_at (Unix ms); waiting,
 * messages left on the server at the last look; pulled and refused,
 * counters since the key was made */
#define KEYS_FMT_MAILBOX	"mailacd:{%s}:mailbox:%s"
/* mailacd:{ORG}:mailbox:ADDRESS:lease - string, the router that pulls
 * the mailbox now (its consumer name); expires unless renewed, so that
 * one router at a time pulls one mailbox */
#define KEYS_FMT_MAILBOX_LEASE	"mailacd:{%s}:mailbox:%s:lease"
/* mailacd:{ORG}:mailbox:ADDRESS:refused - set, the UIDLs of the POP3
 * mailbox's messages the relay refused for good (POP3 has no flags to
 * mark them on the server): not pulled again; an id no longer on the
 * server is removed at the next look */
#define KEYS_FMT_MAILBOX_REFUSED "mailacd:{%s}:mailbox:%s:refused"
#define KEYS_F_MB_STATUS	"status"
#define KEYS_F_MB_CLASS		"class"
#define KEYS_F_MB_ERROR		"error"
#define KEYS_F_MB_CHECKED_AT	"checked_at"
#define KEYS_F_MB_OK_AT		"ok_at"
#define KEYS_F_MB_NEXT_AT	"next_at"
#define KEYS_F_MB_WAITING	"waiting"
#define KEYS_F_MB_PULLED	"pulled"
#define KEYS_F_MB_REFUSED	"refused"
#define KEYS_F_DOM_STATUS	"status"
#define KEYS_F_DOM_CHECKED_AT	"checked_at"
#define KEYS_F_DOM_VERIFIED_AT	"verified_at"
#define KEYS_F_DOM_OWNERSHIP	"ownership"
#define KEYS_F_DOM_RECORDS	"records"
#define KEYS_F_DOM_FAILED	"failed_records"

#endif
