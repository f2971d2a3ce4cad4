/* text: encodings for what gradebox hands back as JSON text (UTF-8
 * sanitising is result.h's gb_utf8_sanitize). */
#ifndef GB_TEXT_H
#define GB_TEXT_H

#include <stddef.h>

/* Standard base64 with padding, NUL-terminated; NULL when out of memory. */
char *gb_base64_encode(const unsigned char *data, size_t len);
/* Standard base64 (RFC 4648 §4), as browsers and INGInious send it: ASCII
 * white space is skipped (encoders wrap lines), the '=' padding may be left
 * out. 0 with a malloc'd *out, or -1 on anything else. */
int gb_base64_decode(const char *s, size_t len, unsigned char **out, size_t *outlen);

#endif
