/* edit.c - the ordered list of changes a message gets at its end. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "edit.h"

/* edit_add - one more edit at the end of the list */
int
edit_add(struct edits *e, enum edit_kind kind, const char *name, int index,
    const char *value, const char *what)
{
	struct edit *x;
	size_t	cap;

	if (e->n == e->cap) {
		cap = e->cap ? e->cap * 2 : 8;
		if ((x = realloc(e->v, cap * sizeof(*x))) == NULL)
			return (-1);
		e->v = x;
		e->cap = cap;
	}
	x = &e->v[e->n];
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	x->index = index;
	x->what = what;
	if ((name != NULL && (x->name = strdup(name)) == NULL) ||
	    (value != NULL && (x->value = strdup(value)) == NULL)) {
		free(x->name);
		return (-1);
	}
	e->n++;
	return (0);
}

/* edit_add_body - the new body at the end of the list */
int
edit_add_body(struct edits *e, const char *data, size_t len,
    const char *what)
{
	struct edit *x;

	if (edit_add(e, EDIT_BODY_REPLACE, NULL, 0, NULL, what) != 0)
		return (-1);
	x = &e->v[e->n - 1];
	if ((x->value = malloc(len + 1)) == NULL) {
		e->n--;
		return (-1);
	}
	memcpy(x->value, data, len);
	x->value[len] = '\0';
	x->len = len;
	return (0);
}

/* edit_reset - free the list */
void
edit_reset(struct edits *e)
{
	size_t	i;

	for (i = 0; i < e->n; i++) {
		free(e->v[i].name);
		free(e->v[i].value);
	}
	free(e->v);
	memset(e, 0, sizeof(*e));
}

/* edit_name_count - count NAME, adding it the first time */
int
edit_name_count(struct edit_names *nm, const char *name)
{
	struct edit_name *v;
	size_t	i;

	for (i = 0; i < nm->n; i++)
		if (strcasecmp(nm->v[i].name, name) == 0) {
			nm->v[i].count++;
			return (0);
		}
	if ((v = realloc(nm->v, (nm->n + 1) * sizeof(*v))) == NULL)
		return (-1);
	nm->v = v;
	if ((v[nm->n].name = strdup(name)) == NULL)
		return (-1);
	v[nm->n++].count = 1;
	return (0);
}

/* edit_remove_all - every copy of every name in NM, the last first */
int
edit_remove_all(struct edits *e, const struct edit_names *nm,
    const char *what)
{
	size_t	i;
	int	idx;

	for (i = 0; i < nm->n; i++)
		for (idx = nm->v[i].count; idx >= 1; idx--)
			if (edit_add(e, EDIT_HDR_CHANGE, nm->v[i].name, idx,
			    NULL, what) != 0)
				return (-1);
	return (0);
}

/* edit_names_reset - free the names */
void
edit_names_reset(struct edit_names *nm)
{
	size_t	i;

	for (i = 0; i < nm->n; i++)
		free(nm->v[i].name);
	free(nm->v);
	nm->v = NULL;
	nm->n = 0;
}
