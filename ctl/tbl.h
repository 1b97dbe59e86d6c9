/* tbl.h - plain aligned text tables for mailacdctl: a header row, then one
 * row per item, columns two spaces apart, left aligned. */
#ifndef MAILACD_TBL_H
#define MAILACD_TBL_H

#include <stddef.h>
#include <stdio.h>

struct tbl;

/* tbl_new - a table of NCOLS columns headed HEADERS (copied); NULL on
 * memory shortage */
struct tbl *tbl_new(size_t ncols, const char *const *headers);

/* tbl_free - free the table and its cells.  Accepts NULL. */
void	tbl_free(struct tbl *t);

/* tbl_add - append a row of the table's NCOLS cells (copied; NULL shows
 * as "-"); 0, or -1 on memory shortage */
int	tbl_add(struct tbl *t, const char *const *cells);

/* tbl_print - write the table to FP, headers first */
void	tbl_print(const struct tbl *t, FILE *fp);

/* tbl_text - write S to FP with control characters shown as '?', so that
 * data from mail cannot move the cursor or hide text */
void	tbl_text(FILE *fp, const char *s);

/* tbl_width - display width of S: one column per UTF-8 character */
size_t	tbl_width(const char *s);

#endif
