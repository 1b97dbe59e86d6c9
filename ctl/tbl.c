/* tbl.c - plain aligned text tables.  Cells are copied in, measured in
 * UTF-8 characters, and printed with control characters neutralised. */
#include <stdlib.h>
#include <string.h>

#include "tbl.h"

struct tbl {
	size_t	ncols;
	char	**cells;	/* row-major; row 0 is the header */
	size_t	nrows;		/* including the header */
	size_t	cap;		/* rows allocated */
};

/* tbl_grow - room for one more row; 0 or -1 */
static int
tbl_grow(struct tbl *t)
{
	char	**n;
	size_t	cap;

	if (t->nrows < t->cap)
		return (0);
	cap = t->cap ? t->cap * 2 : 8;
	if ((n = reallocarray(t->cells, cap * t->ncols, sizeof(*n))) == NULL)
		return (-1);
	t->cells = n;
	t->cap = cap;
	return (0);
}

/* tbl_add - copy one row of cells in */
int
tbl_add(struct tbl *t, const char *const *cells)
{
	size_t	i;
	char	**row;

	if (tbl_grow(t) != 0)
		return (-1);
	row = t->cells + t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		if ((row[i] = strdup(cells[i] ? cells[i] : "-")) == NULL) {
			while (i-- > 0)
				free(row[i]);
			return (-1);
		}
	}
	t->nrows++;
	return (0);
}

/* tbl_new - a table with its header row */
struct tbl *
tbl_new(size_t ncols, const char *const *headers)
{
	struct tbl *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (NULL);
	t->ncols = ncols;
	if (tbl_add(t, headers) != 0) {
		free(t);
		return (NULL);
	}
	return (t);
}

/* tbl_free - the cells, then the table */
void
tbl_free(struct tbl *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

/* tbl_width - count UTF-8 lead octets (continuation octets take no room) */
size_t
tbl_width(const char *s)
{
	size_t	w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return (w);
}

/* tbl_text - S with control characters replaced by '?' */
void
tbl_text(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		putc(c < 0x20 || c == 0x7f ? '?' : c, fp);
	}
}

/* tbl_print - pad each column to its widest cell; no trailing blanks */
void
tbl_print(const struct tbl *t, FILE *fp)
{
	size_t	*w, r, c, n, last;

	if ((w = calloc(t->ncols, sizeof(*w))) == NULL)
		return;
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			if ((n = tbl_width(t->cells[r * t->ncols + c])) > w[c])
				w[c] = n;
	for (r = 0; r < t->nrows; r++) {
		for (last = t->ncols; last > 1; last--)
			if (t->cells[r * t->ncols + last - 1][0] != '\0')
				break;
		for (c = 0; c < last; c++) {
			const char *s = t->cells[r * t->ncols + c];

			tbl_text(fp, s);
			if (c + 1 < last)
				fprintf(fp, "%*s", (int)(w[c] - tbl_width(s) + 2),
				    "");
		}
		putc('\n', fp);
	}
	free(w);
}
