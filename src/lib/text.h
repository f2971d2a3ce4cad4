/* text: encodings for what gradebox hands back as JSON text. */
#ifndef GB_TEXT_H
#define GB_TEXT_H

#include <stddef.h>

/* Standard base64 with padding, NUL-terminated; NULL when out of memory. */
char *gb_base64_encode(const unsigned char *data, size_t len);
/* A copy of data as valid UTF-8 (every invalid sequence and NUL byte
 * becomes U+FFFD, as Python's errors="replace" decoding does), NUL-terminated;
 * NULL when out of memory. */
char *gb_utf8_sanitize(const char *data, size_t len);

#endif
