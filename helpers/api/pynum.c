/* Python's number conversions: float(str), int(str) in base 10, and
 * repr(float). Python first maps Unicode white space to ' ' and Unicode
 * decimal digits to ASCII, strips, then accepts '_' between two digits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

int api_ucd_digit(uint32_t cp)
{
	for (size_t i = 0; i < api_ucd_digit_zero_n; i++)
		if (cp >= api_ucd_digit_zero[i] && cp < api_ucd_digit_zero[i] + 10)
			return (int)(cp - api_ucd_digit_zero[i]);
	return -1;
}

bool api_ucd_isspace(uint32_t cp)
{
	for (size_t i = 0; i < api_ucd_space_n; i++)
		if (cp == api_ucd_space[i])
			return true;
	return false;
}

/* Python's _PyUnicode_TransformDecimalAndSpaceToASCII then strip: ASCII
 * text in out, or -1 when a character is neither ASCII, space nor digit. */
static int to_ascii(const char *s, size_t n, struct api_buf *out)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp = api_wtf8_next(s, n, &i);
		int d;
		if (cp < 0x80)
			api_buf_addc(out, (char)cp);
		else if (api_ucd_isspace(cp))
			api_buf_addc(out, ' ');
		else if ((d = api_ucd_digit(cp)) >= 0)
			api_buf_addc(out, (char)('0' + d));
		else
			return -1;
	}
	api_buf_cstr(out);
	size_t a = 0, z = out->n;
	while (a < z && api_ucd_isspace((unsigned char)out->p[a]))
		a++;
	while (z > a && api_ucd_isspace((unsigned char)out->p[z - 1]))
		z--;
	memmove(out->p, out->p + a, z - a);
	out->n = z - a;
	out->p[out->n] = 0;
	return 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* digitpart := digit (["_"] digit)*, copied without the '_'; returns the
 * count of digits, 0 when none. */
static size_t digitpart(const char **p, struct api_buf *out)
{
	size_t n = 0;
	const char *s = *p;
	if (!is_digit(*s))
		return 0;
	for (;;) {
		api_buf_addc(out, *s++);
		n++;
		if (is_digit(*s))
			continue;
		if (*s == '_' && is_digit(s[1])) {
			s++;
			continue;
		}
		break;
	}
	*p = s;
	return n;
}

static bool word_ci(const char *s, const char *w)
{
	for (; *w; s++, w++)
		if ((*s | 0x20) != *w)
			return false;
	return *s == 0;
}

int api_py_float(const char *s, size_t n, double *out)
{
	struct api_buf a = {0}, num = {0};
	int rc = -1;
	if (to_ascii(s, n, &a) < 0 || memchr(a.p, 0, a.n))
		goto done;
	const char *p = a.p;
	bool neg = false;
	if (*p == '+' || *p == '-') {
		neg = *p == '-';
		api_buf_addc(&num, *p++);
	}
	if (word_ci(p, "inf") || word_ci(p, "infinity")) {
		*out = neg ? -INFINITY : INFINITY;
		rc = 0;
		goto done;
	}
	if (word_ci(p, "nan")) {
		*out = neg ? -NAN : NAN;
		rc = 0;
		goto done;
	}
	size_t digits = digitpart(&p, &num);
	if (*p == '.') {
		api_buf_addc(&num, *p++);
		digits += digitpart(&p, &num);
	}
	if (!digits)
		goto done;
	if (*p == 'e' || *p == 'E') {
		api_buf_addc(&num, *p++);
		if (*p == '+' || *p == '-')
			api_buf_addc(&num, *p++);
		if (!digitpart(&p, &num))
			goto done;
	}
	if (*p)
		goto done;
	*out = strtod(api_buf_cstr(&num), NULL);
	rc = 0;
done:
	api_buf_free(&a);
	api_buf_free(&num);
	return rc;
}

int api_py_int(const char *s, size_t n, struct api_buf *digits)
{
	struct api_buf a = {0}, d = {0};
	int rc = -1;
	if (to_ascii(s, n, &a) < 0 || memchr(a.p, 0, a.n))
		goto done;
	const char *p = a.p;
	bool neg = false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	size_t cnt = digitpart(&p, &d);
	if (!cnt || *p || cnt > API_PY_INT_MAX_DIGITS)
		goto done;
	size_t z = 0;
	while (z + 1 < d.n && d.p[z] == '0')
		z++;
	if (neg && !(d.n - z == 1 && d.p[z] == '0'))
		api_buf_addc(digits, '-');
	api_buf_add(digits, d.p + z, d.n - z);
	rc = 0;
done:
	api_buf_free(&a);
	api_buf_free(&d);
	return rc;
}

/* Shortest digits that read back as d (what Python's repr picks), as a
 * digit string and the decimal point's position. */
static void shortest(double d, char *digits, int *decpt)
{
	char t[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(t, sizeof(t), "%.*e", prec - 1, d);
		if (strtod(t, NULL) == d)
			break;
	}
	size_t k = 0;
	char *e = strchr(t, 'e');
	for (char *c = t; c < e; c++)
		if (is_digit(*c))
			digits[k++] = *c;
	while (k > 1 && digits[k - 1] == '0')
		k--;
	digits[k] = 0;
	*decpt = atoi(e + 1) + 1;
}

void api_float_repr(struct api_buf *b, double d)
{
	if (isnan(d)) {
		api_buf_adds(b, "nan");
		return;
	}
	if (isinf(d)) {
		api_buf_adds(b, d > 0 ? "inf" : "-inf");
		return;
	}
	if (signbit(d)) {
		api_buf_addc(b, '-');
		d = -d;
	}
	char dg[40];
	int decpt;
	if (d == 0) {
		api_buf_adds(b, "0.0");
		return;
	}
	shortest(d, dg, &decpt);
	int nd = (int)strlen(dg);
	/* Python's repr switches to an exponent outside 1e-4 <= |d| < 1e16 */
	if (decpt <= -4 || decpt > 16) {
		api_buf_addc(b, dg[0]);
		if (nd > 1) {
			api_buf_addc(b, '.');
			api_buf_adds(b, dg + 1);
		}
		int e = decpt - 1;
		api_buf_printf(b, "e%c%02d", e < 0 ? '-' : '+', abs(e));
	} else if (decpt <= 0) {
		api_buf_adds(b, "0.");
		for (int i = 0; i < -decpt; i++)
			api_buf_addc(b, '0');
		api_buf_adds(b, dg);
	} else if (decpt >= nd) {
		api_buf_adds(b, dg);
		for (int i = nd; i < decpt; i++)
			api_buf_addc(b, '0');
		api_buf_adds(b, ".0");
	} else {
		api_buf_add(b, dg, (size_t)decpt);
		api_buf_addc(b, '.');
		api_buf_adds(b, dg + decpt);
	}
}
