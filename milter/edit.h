/* edit.h - the changes a message gets at its end, as an ordered list that
 * the libmilter glue (mlfi.c) applies one by one.  inbound.c and
 * outbound.c decide them; nothing here talks to the MTA. */
#ifndef MAILACD_EDIT_H
#define MAILACD_EDIT_H

#include <stddef.h>

/* What one edit does; each maps to one libmilter call. */
enum edit_kind {
	EDIT_HDR_ADD,		/* append header NAME: VALUE */
	EDIT_HDR_INSERT,	/* insert header NAME: VALUE at INDEX */
	EDIT_HDR_CHANGE,	/* the INDEX-th NAME (from 1) to VALUE,
				   removed when VALUE is NULL */
	EDIT_RCPT_ADD,		/* add envelope recipient VALUE */
	EDIT_FROM_CHANGE,	/* the envelope sender becomes VALUE */
	EDIT_BODY_REPLACE	/* the body becomes the LEN octets of VALUE */
};

/* One edit. */
struct edit {
	enum edit_kind kind;
	char	*name;		/* header name, or NULL */
	char	*value;		/* NULL only to remove a header */
	int	index;
	size_t	len;		/* EDIT_BODY_REPLACE: octets of VALUE */
	const char *what;	/* the step, for "cannot WHAT" in log lines */
};

/* An ordered list of edits; all zero is an empty list. */
struct edits {
	struct edit *v;
	size_t	n, cap;
};

/* edit_add - append an edit (NAME and VALUE are copied, either may be
 * NULL; WHAT is kept as given); 0 or -1 (memory) */
int	edit_add(struct edits *e, enum edit_kind kind, const char *name,
		    int index, const char *value, const char *what);

/* edit_add_body - append the replacement of the body by the LEN octets
 * at DATA (copied); 0 or -1 (memory) */
int	edit_add_body(struct edits *e, const char *data, size_t len,
		    const char *what);

/* edit_reset - free every edit; the list is empty again */
void	edit_reset(struct edits *e);

/* One header name that arrived, and how often (any case). */
struct edit_name {
	char	*name;
	int	count;
};

/* The names of headers to remove, as they arrived; all zero is empty. */
struct edit_names {
	struct edit_name *v;
	size_t	n;
};

/* edit_name_count - one more header NAME (compared without regard to
 * case: Postfix and sendmail find headers so); 0 or -1 (memory) */
int	edit_name_count(struct edit_names *nm, const char *name);

/* edit_remove_all - an edit removing each header of NM, every copy, the
 * last first (so that the indexes of the others hold); 0 or -1 */
int	edit_remove_all(struct edits *e, const struct edit_names *nm,
		    const char *what);

/* edit_names_reset - forget every name */
void	edit_names_reset(struct edit_names *nm);

#endif
