/* hiredis_stub.h - the replies fuzz/hiredis_stub.c gives in place of a
 * Redis server, taken from fuzz input. */
#ifndef MAILACD_HIREDIS_STUB_H
#define MAILACD_HIREDIS_STUB_H

#include <stddef.h>
#include <stdint.h>

/* hiredis_stub_feed - the encoded replies the next commands get (DATA is
 * not copied: it must live until the commands are done); see
 * hiredis_stub.c for the encoding */
void	hiredis_stub_feed(const uint8_t *data, size_t len);

/* hiredis_stub_commands - commands sent since the last feed */
size_t	hiredis_stub_commands(void);

#endif
