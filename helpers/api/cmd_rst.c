/* rst-code, rst-image, rst-msgblock, rst-indent: reStructuredText snippets
 * on stdout, byte for byte as INGInious's rst module builds them, then
 * print()'s newline. Text comes from the option, or stdin when it is
 * absent or empty; -e decodes escapes as feedback-msg does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* The text of an option, or stdin; -e applied. 0, or 1. */
static int input_text(const char *arg, bool esc, struct api_buf *out)
{
	struct api_buf raw = {0};
	if (arg && *arg) {
		size_t n;
		char *t = api_from_argv(arg, &n);
		api_buf_add(&raw, t, n);
		free(t);
	} else if (api_read_stdin_text(&raw)) {
		return 1;
	}
	api_buf_cstr(&raw);
	int rc = esc ? api_unescape(raw.p, raw.n, out) : (api_buf_add(out, raw.p, raw.n), 0);
	api_buf_cstr(out);
	api_buf_free(&raw);
	return rc;
}

/* PREFIX + line + "\n" for each line of text. */
static void add_lines(struct api_buf *b, const char *pre, size_t pren, const struct api_buf *text)
{
	size_t *st, *ln;
	size_t n = api_splitlines(text->p ? text->p : "", text->n, &st, &ln);
	for (size_t i = 0; i < n; i++) {
		api_buf_add(b, pre, pren);
		api_buf_add(b, text->p + st[i], ln[i]);
		api_buf_addc(b, '\n');
	}
	free(st);
	free(ln);
}

static int print_out(struct api_buf *b)
{
	api_buf_addc(b, '\n'); /* print()'s own newline */
	int rc = api_print_text(b->p, b->n);
	api_buf_free(b);
	return rc;
}

/* ---- rst-code ---- */
static const struct api_opt code_opts[] = {
	{'l', "language", API_ONE, "LANGUAGE", false, "language of the code block"},
	{'e', "escape", API_FLAG, NULL, false, "interpret backslash escapes"},
	{'c', "code", API_ONE, "CODE", false, "the code (stdin when absent or empty)"},
};
static const struct api_spec code_spec = {
	"rst-code", "rst-code [-h] [-l LANGUAGE] [-e] [-c CODE]", "Print a reStructuredText code block.",
	code_opts, 3, NULL, 0,
};

int api_cmd_rst_code(int argc, char **argv)
{
	struct api_args a;
	int rc;
	if (api_argparse(&code_spec, argc, argv, &a, &rc))
		return rc;
	struct api_buf text = {0}, b = {0};
	if (input_text(a.val[2], a.seen[1], &text))
		return 1;
	size_t ln;
	char *lang = api_arg(&a, 0, &ln);
	api_buf_adds(&b, "\n\n.. code-block:: ");
	api_buf_add(&b, lang, ln);
	api_buf_adds(&b, "\n\n");
	add_lines(&b, "\t", 1, &text);
	api_buf_addc(&b, '\n');
	return print_out(&b);
}

/* ---- rst-image ---- */
static const struct api_opt image_opts[] = {
	{'f', "format", API_ONE, "FORMAT", false, "image format (the file's extension when absent)"},
};
static const struct api_pos image_pos[] = {{"filename", API_ONE, "the image file", NULL}};
static const struct api_spec image_spec = {
	"rst-image", "rst-image [-h] [-f FORMAT] filename", "Print a reStructuredText block showing an image.",
	image_opts, 1, image_pos, 1,
};

static void base64(struct api_buf *b, const unsigned char *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		api_buf_addc(b, tab[v >> 18 & 63]);
		api_buf_addc(b, tab[v >> 12 & 63]);
		api_buf_addc(b, i + 1 < n ? tab[v >> 6 & 63] : '=');
		api_buf_addc(b, i + 2 < n ? tab[v & 63] : '=');
	}
}

/* os.path.splitext(path)[1][1:]: the last dot of the base name, leading
 * dots not counted. */
static const char *extension(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	while (*base == '.')
		base++;
	const char *dot = strrchr(base, '.');
	return dot ? dot + 1 : "";
}

int api_cmd_rst_image(int argc, char **argv)
{
	struct api_args a;
	int rc;
	if (api_argparse(&image_spec, argc, argv, &a, &rc))
		return rc;
	const char *file = a.posv[0][0];
	struct api_buf data = {0}, b = {0};
	if (api_read_file(file, &data) < 0) {
		int e = errno;
		struct api_buf m = {0};
		size_t n;
		char *t = api_from_argv(file, &n);
		api_py_repr(&m, t, n);
		return api_py_raise(e == ENOENT ? "FileNotFoundError" : "OSError", "[Errno %d] %s: %s", e,
				    strerror(e), m.p);
	}
	size_t fn;
	char *fmt = a.val[0] && *a.val[0] ? api_arg(&a, 0, &fn) : api_from_argv(extension(file), &fn);
	api_buf_adds(&b, "\n\n.. raw:: html\n\n\t<img src=\"data:image/");
	api_buf_add(&b, fmt, fn);
	api_buf_adds(&b, ";base64,");
	base64(&b, (const unsigned char *)data.p, data.n);
	api_buf_adds(&b, "\">\n");
	api_buf_free(&data);
	return print_out(&b);
}

/* ---- rst-msgblock ---- */
static const struct api_opt block_opts[] = {
	{'c', "class", API_ONE, "CSSCLASS", false, "success, info, warning or danger"},
	{'e', "escape", API_FLAG, NULL, false, "interpret backslash escapes"},
	{'t', "title", API_ONE, "TITLE", false, "title of the block"},
	{'m', "message", API_ONE, "MESSAGE", false, "the message (stdin when absent or empty)"},
};
static const struct api_spec block_spec = {
	"rst-msgblock", "rst-msgblock [-h] [-c CSSCLASS] [-e] [-t TITLE] [-m MESSAGE]",
	"Print a reStructuredText admonition.", block_opts, 4, NULL, 0,
};

int api_cmd_rst_msgblock(int argc, char **argv)
{
	struct api_args a;
	int rc;
	if (api_argparse(&block_spec, argc, argv, &a, &rc))
		return rc;
	struct api_buf text = {0}, b = {0};
	if (input_text(a.val[3], a.seen[1], &text))
		return 1;
	const char *cls = a.val[0] ? a.val[0] : "info";
	if (strcmp(cls, "success") && strcmp(cls, "info") && strcmp(cls, "warning") && strcmp(cls, "danger"))
		cls = "info";
	size_t tn;
	char *title = api_arg(&a, 2, &tn);
	if (tn) {
		api_buf_adds(&b, "\n\n.. admonition:: ");
		api_buf_add(&b, title, tn);
		api_buf_addc(&b, '\n');
	} else {
		api_buf_adds(&b, "\n\n.. note:: \n");
	}
	api_buf_printf(&b, "\t:class: alert alert-%s\n\n", cls);
	add_lines(&b, "\t", 1, &text);
	api_buf_addc(&b, '\n');
	return print_out(&b);
}

/* ---- rst-indent ---- */
static const struct api_opt indent_opts[] = {
	{'e', "escape", API_FLAG, NULL, false, "interpret backslash escapes"},
	{'c', "indent-char", API_ONE, "INDENT_CHAR", false, "the indent (a tab by default)"},
	{'a', "amount", API_ONE, "AMOUNT", true, "how many indents to add (or remove when <= 0)"},
	{'m', "message", API_ONE, "MESSAGE", false, "the text (stdin when absent or empty)"},
};
static const struct api_spec indent_spec = {
	"rst-indent", "rst-indent [-h] [-e] [-c INDENT_CHAR] [-a AMOUNT] [-m MESSAGE]",
	"Print a text indented (or de-indented).", indent_opts, 4, NULL, 0,
};

int api_cmd_rst_indent(int argc, char **argv)
{
	struct api_args a;
	int rc;
	if (api_argparse(&indent_spec, argc, argv, &a, &rc))
		return rc;
	struct api_buf text = {0}, b = {0}, pre = {0};
	if (input_text(a.val[3], a.seen[0], &text))
		return 1;
	size_t cn;
	char *ch = a.val[1] ? api_arg(&a, 1, &cn) : api_xstrndup("\t", cn = 1);
	long amount = a.val[2] ? a.ival[2] : 1;
	if (amount > 0) {
		for (long i = 0; i < amount; i++)
			api_buf_add(&pre, ch, cn);
		add_lines(&b, pre.p, pre.n, &text);
	} else {
		/* every character equal to the indent among the first |amount|
		 * of a line goes; a longer indent never equals a character */
		size_t *st, *ln;
		size_t n = api_splitlines(text.p ? text.p : "", text.n, &st, &ln);
		for (size_t i = 0; i < n; i++) {
			const char *l = text.p + st[i];
			long idx = 0;
			for (size_t j = 0; j < ln[i]; idx++) {
				size_t at = j;
				api_wtf8_next(l, ln[i], &j);
				bool drop = idx < -amount && j - at == cn && !memcmp(l + at, ch, cn);
				if (!drop)
					api_buf_add(&b, l + at, j - at);
			}
			api_buf_addc(&b, '\n');
		}
		free(st);
		free(ln);
	}
	api_buf_free(&pre);
	if (!b.p)
		api_buf_cstr(&b);
	return print_out(&b);
}
