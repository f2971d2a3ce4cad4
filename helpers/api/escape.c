/* -e/--escape: INGInious passes the text's UTF-8 bytes through Python's
 * unicode-escape codec, encodes the result as Latin-1 and decodes it as
 * UTF-8. Every byte outside an escape is kept as is, an escape must give
 * a code point below 256 (else Latin-1 fails), and the bytes must end up
 * valid UTF-8: so "\xc3\xa9" is "é" while "\u00e9" fails. */
#include <string.h>
#include <strings.h>

#include "api.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int trunc_err(size_t at, size_t end, const char *what)
{
	return api_py_raise("UnicodeDecodeError",
			    "'unicodeescape' codec can't decode bytes in position %zu-%zu: truncated %s escape",
			    at, end, what);
}

static int latin1_err(uint32_t cp)
{
	return api_py_raise("UnicodeEncodeError",
			    "'latin-1' codec can't encode character '\\u%04x' in position 0: ordinal not in range(256)",
			    cp);
}

int api_unescape(const char *s, size_t n, struct api_buf *out)
{
	/* text with surrogates has no UTF-8 bytes to start from */
	if (api_has_surrogate(s, n))
		return api_py_raise("UnicodeEncodeError",
				    "'utf-8' codec can't encode characters: surrogates not allowed");
	struct api_buf raw = {0};
	int rc = 1;
	for (size_t i = 0; i < n;) {
		if (s[i] != '\\') {
			api_buf_addc(&raw, s[i++]);
			continue;
		}
		size_t at = i++;
		if (i >= n) {
			api_py_raise("UnicodeDecodeError",
				     "'unicodeescape' codec can't decode byte 0x5c in position %zu: \\ at end of string", at);
			goto out;
		}
		char c = s[i++];
		uint32_t v = 0;
		int digits = 0;
		switch (c) {
		case '\n': continue; /* a line continuation */
		case '\\': v = '\\'; break;
		case '\'': v = '\''; break;
		case '"': v = '"'; break;
		case 'a': v = 7; break;
		case 'b': v = 8; break;
		case 'f': v = 12; break;
		case 'n': v = 10; break;
		case 'r': v = 13; break;
		case 't': v = 9; break;
		case 'v': v = 11; break;
		case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
			v = (uint32_t)(c - '0');
			for (int k = 0; k < 2 && i < n && s[i] >= '0' && s[i] <= '7'; k++)
				v = v * 8 + (uint32_t)(s[i++] - '0');
			break;
		case 'x': digits = 2; break;
		case 'u': digits = 4; break;
		case 'U': digits = 8; break;
		case 'N': {
			const char *close = i < n && s[i] == '{' ? memchr(s + i, '}', n - i) : NULL;
			if (!close || close == s + i + 1) {
				api_py_raise("UnicodeDecodeError",
					     "'unicodeescape' codec can't decode bytes in position %zu-%zu: malformed \\N character escape",
					     at, i);
				goto out;
			}
			size_t nl = (size_t)(close - (s + i + 1));
			bool found = false;
			for (size_t k = 0; k < api_ucd_names_n; k++) {
				const char *nm = api_ucd_names[k].name;
				if (strlen(nm) == nl && !strncasecmp(nm, s + i + 1, nl)) {
					v = api_ucd_names[k].cp;
					found = true;
					break;
				}
			}
			if (!found) {
				/* a name we lack is either unknown or above U+00FF:
				 * both fail in Python too */
				api_py_raise("UnicodeDecodeError",
					     "'unicodeescape' codec can't decode bytes in position %zu-%zu: unknown Unicode character name",
					     at, (size_t)(close - s));
				goto out;
			}
			i = (size_t)(close - s) + 1;
			break;
		}
		default:
			/* an unknown escape stays as written */
			api_buf_addc(&raw, '\\');
			api_buf_addc(&raw, c);
			continue;
		}
		if (digits) {
			for (int k = 0; k < digits; k++) {
				int h = i < n ? hexval(s[i]) : -1;
				if (h < 0) {
					trunc_err(at, i < n ? i : n - 1,
						  digits == 2 ? "\\xXX" : digits == 4 ? "\\uXXXX" : "\\UXXXXXXXX");
					goto out;
				}
				v = v << 4 | (uint32_t)h;
				i++;
			}
			if (v > 0x10ffff) {
				api_py_raise("UnicodeDecodeError",
					     "'unicodeescape' codec can't decode bytes in position %zu-%zu: illegal Unicode character",
					     at, i - 1);
				goto out;
			}
		}
		if (v > 0xff) {
			latin1_err(v);
			goto out;
		}
		api_buf_addc(&raw, (char)v);
	}
	size_t bad;
	if (!api_utf8_valid(raw.p, raw.n, &bad)) {
		api_py_raise("UnicodeDecodeError", "'utf-8' codec can't decode byte 0x%02x in position %zu: invalid continuation byte",
			     (unsigned char)raw.p[bad], bad);
		goto out;
	}
	api_buf_add(out, raw.p, raw.n);
	rc = 0;
out:
	api_buf_free(&raw);
	return rc;
}
