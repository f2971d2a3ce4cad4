/* agent_base64: RFC 4648 base64, the form `gradebox grade` uses for file
 * uploads and archives, where the INGInious wire protocol has bytes. */
#ifndef GB_AGENT_BASE64_H
#define GB_AGENT_BASE64_H

#include <stddef.h>

/* A fresh NUL-terminated encoding of len bytes; NULL when out of memory. */
char *gb_b64_encode(const void *data, size_t len);
/* Decode text (padding required, no whitespace) into a fresh buffer;
 * -1 on a character outside the alphabet or a bad length. */
int gb_b64_decode(const char *text, size_t textlen, unsigned char **out, size_t *outlen);

#endif
