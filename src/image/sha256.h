/* sha256: SHA-256 for blob digests and diff_ids, streamed. Uses the x86 SHA
 * extensions when the CPU has them (imports hash every byte twice). */
#ifndef GB_SHA256_H
#define GB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define GB_SHA256_LEN 32
#define GB_SHA256_HEX_LEN 64

struct gb_sha256 {
	uint32_t h[8];
	uint64_t len;        /* bytes hashed so far */
	uint8_t buf[64];
	size_t nbuf;
};

void gb_sha256_init(struct gb_sha256 *c);
void gb_sha256_update(struct gb_sha256 *c, const void *data, size_t len);
void gb_sha256_final(struct gb_sha256 *c, uint8_t out[GB_SHA256_LEN]);
/* Final digest as 64 lowercase hex digits plus NUL. */
void gb_sha256_final_hex(struct gb_sha256 *c, char out[GB_SHA256_HEX_LEN + 1]);
/* One-shot helper. */
void gb_sha256_hex(const void *data, size_t len, char out[GB_SHA256_HEX_LEN + 1]);
/* Force the portable code (tests compare both paths). */
void gb_sha256_force_portable(int on);

#endif
