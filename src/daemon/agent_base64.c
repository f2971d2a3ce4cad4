/* agent_base64: see agent_base64.h. */
#include "agent_base64.h"

#include <stdint.h>
#include <stdlib.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *gb_b64_encode(const void *data, size_t len)
{
	const unsigned char *in = data;
	char *out, *o;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	out = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	o = out;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t n = len - i;

		if (n > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (n > 2)
			v |= in[i + 2];
		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = n > 1 ? alphabet[v >> 6 & 63] : '=';
		*o++ = n > 2 ? alphabet[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int value_of(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int gb_b64_decode(const char *text, size_t textlen, unsigned char **out, size_t *outlen)
{
	unsigned char *buf, *o;

	*out = NULL;
	*outlen = 0;
	if (textlen % 4)
		return -1;
	buf = malloc(textlen / 4 * 3 + 1);
	if (!buf)
		return -1;
	o = buf;
	for (size_t i = 0; i < textlen; i += 4) {
		int v[4], pad = 0;

		for (int k = 0; k < 4; k++) {
			char c = text[i + k];

			/* '=' only at the end: "x===" and "xx=x" are malformed */
			if (c == '=' && i + 4 == textlen && k >= 2 && (k == 3 || text[i + 3] == '=')) {
				v[k] = 0;
				pad++;
				continue;
			}
			v[k] = value_of(c);
			if (v[k] < 0) {
				free(buf);
				return -1;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		*o++ = (unsigned char)(w >> 16);
		if (pad < 2)
			*o++ = (unsigned char)(w >> 8);
		if (pad < 1)
			*o++ = (unsigned char)w;
	}
	*out = buf;
	*outlen = (size_t)(o - buf);
	return 0;
}
