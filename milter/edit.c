/* edit.c - the ordered list of changes a message gets at its end. */
#include <stdlib.h>
#include <string.h>

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
