/* text: encodings for what gradebox hands back as JSON text (UTF-8
 * sanitising is result.h's gb_utf8_sanitize). */
#ifndef GB_TEXT_H
#define GB_TEXT_H

#include <stddef.h>

/* Standard base64 with padding, NUL-terminated; NULL when out of memory. */
char *gb_base64_encode(const unsigned char *data, size_t len);

#endif
