/* feedback-msg-tpl's templates: lookup, gettext catalogue, rendering.
 *
 * INGInious renders with Jinja2. When the image has python3 with jinja2,
 * gradebox-api runs the real Jinja2: python3 -c SCRIPT with the template
 * path, the catalogue dir, the language and the NAME=VALUE options as
 * arguments (no shell, no quoting) and reads the rendered text on its
 * stdout. Without them (busybox, Alpine without py3-jinja2) a subset of
 * Jinja2 written in C renders it (tpl_engine.c, gradebox(1) lists it).
 * GRADEBOX_API_NO_PYTHON=1 forces the C subset. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"

/* python3's exit codes for the script below */
#define PY_RENDER_OK 0
#define PY_NO_JINJA 3
#define PY_RENDER_ERROR 4
#define PY_NAME "python3"

static const char py_script[] =
	"import sys\n"
	/* -c puts the cwd (/task) first on sys.path: a task's own jinja2.py
	 * or gettext.py must not stand in for the real ones */
	"sys.path[:] = [p for p in sys.path if p not in ('', '.')]\n"
	"import os\n"
	"try:\n"
	"    import jinja2\n"
	"except Exception:\n"
	"    sys.exit(3)\n"
	"import gettext, traceback\n"
	"path, langdir, lang = sys.argv[1:4]\n"
	"params = dict(o.split('=', 1) for o in sys.argv[4:])\n"
	"os.environ['LANGUAGE'] = lang\n"
	"params['_'] = gettext.translation('messages', langdir, fallback=True).gettext\n"
	"code = 0\n"
	"try:\n"
	"    with open(path, 'r') as f:\n"
	"        out = jinja2.Template(f.read()).render(params)\n"
	"except Exception:\n"
	"    out, code = traceback.format_exc(), 4\n"
	"sys.stdout.buffer.write(out.encode('utf-8', 'surrogateescape'))\n"
	"sys.stdout.flush()\n"
	"sys.exit(code)\n";

char *api_tpl_find(const char *name, const char *lang)
{
	struct api_buf c[3] = {{0}};
	api_buf_printf(&c[0], "%s.%s.tpl", name, lang);
	char *dir = api_path(API_LANG_DIR);
	api_buf_printf(&c[1], "%s/%s/%s.tpl", dir, lang, name);
	free(dir);
	api_buf_printf(&c[2], "%s.tpl", name);
	char *found = NULL;
	for (int i = 0; i < 3; i++) {
		if (!found && access(c[i].p, F_OK) == 0)
			found = api_xstrndup(c[i].p, c[i].n);
		api_buf_free(&c[i]);
	}
	return found;
}

/* INGInious's rst block around a Python traceback. */
static void error_block(struct api_buf *out, const char *tb, size_t n)
{
	out->n = 0;
	api_buf_adds(out, "\n.. error::\n   \n   An error occured while parsing the feedback template. "
			  "Here is the full error:\n   \n   ::\n   \n");
	size_t st = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || tb[i] == '\n') {
			if (st)
				api_buf_addc(out, '\n');
			api_buf_adds(out, "\t\t");
			api_buf_add(out, tb + st, i - st);
			st = i + 1;
			if (i == n)
				break;
		}
	}
	api_buf_adds(out, "\n\tPlease contact your administrator.\n");
}

static char *find_python(void)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t l = strcspn(path, ":");
		struct api_buf b = {0};
		api_buf_add(&b, path, l);
		api_buf_printf(&b, "/%s", PY_NAME);
		if (access(b.p, X_OK) == 0)
			return b.p;
		api_buf_free(&b);
		path += l;
		if (*path)
			path++;
	}
	return NULL;
}

/* Jinja2 through python3: PY_RENDER_OK, PY_RENDER_ERROR, or -1 when there
 * is no python3 with jinja2. */
static int render_python(const char *path, const char *lang, char **opts, size_t nopts, struct api_buf *out)
{
	const char *no = getenv("GRADEBOX_API_NO_PYTHON");
	if (no && *no && strcmp(no, "0"))
		return -1;
	char *py = find_python();
	if (!py)
		return -1;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	char *langdir = api_path(API_LANG_DIR);
	char **av = api_xmalloc((nopts + 7) * sizeof(char *));
	size_t k = 0;
	av[k++] = py;
	av[k++] = "-c";
	av[k++] = (char *)py_script;
	av[k++] = (char *)path;
	av[k++] = langdir;
	av[k++] = (char *)lang;
	for (size_t i = 0; i < nopts; i++)
		av[k++] = opts[i];
	av[k] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execv(py, av);
		_exit(127);
	}
	close(p[1]);
	out->n = 0;
	api_read_fd(p[0], out);
	close(p[0]);
	int st = 0;
	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	free(av);
	free(langdir);
	free(py);
	if (WIFEXITED(st) && WEXITSTATUS(st) == PY_RENDER_OK)
		return PY_RENDER_OK;
	if (WIFEXITED(st) && WEXITSTATUS(st) == PY_RENDER_ERROR)
		return PY_RENDER_ERROR;
	return -1;
}

/* ---- gettext catalogues (.mo) ---- */
#define MO_MAGIC 0x950412deU
#define MO_MAGIC_SWAPPED 0xde120495U

static uint32_t mo_u32(const struct api_mo *mo, size_t off)
{
	if (off + 4 > mo->n)
		return 0;
	const unsigned char *p = (const unsigned char *)mo->data + off;
	return mo->swap ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
			: (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* The catalogue gettext.find would pick for LANG: lang, then without
 * its @modifier, .codeset and _territory. */
static void mo_load(struct api_mo *mo, const char *lang)
{
	memset(mo, 0, sizeof(*mo));
	char *l = api_xstrndup(lang, strlen(lang));
	char *dir = api_path(API_LANG_DIR);
	for (;;) {
		if (!*l || !strcmp(l, "C"))
			break;
		struct api_buf p = {0}, d = {0};
		api_buf_printf(&p, "%s/%s/LC_MESSAGES/messages.mo", dir, l);
		if (api_read_file(p.p, &d) == 0 && d.n >= 28) {
			mo->data = d.p;
			mo->n = d.n;
			uint32_t magic = (uint32_t)(unsigned char)d.p[0] | (uint32_t)(unsigned char)d.p[1] << 8 |
					 (uint32_t)(unsigned char)d.p[2] << 16 | (uint32_t)(unsigned char)d.p[3] << 24;
			if (magic == MO_MAGIC || magic == MO_MAGIC_SWAPPED) {
				mo->swap = magic == MO_MAGIC_SWAPPED;
				mo->count = mo_u32(mo, 8);
				mo->otab = mo_u32(mo, 12);
				mo->ttab = mo_u32(mo, 16);
				api_buf_free(&p);
				break;
			}
			api_buf_free(&d);
			mo->data = NULL;
		}
		api_buf_free(&p);
		char *cut = strrchr(l, '@');
		if (!cut)
			cut = strrchr(l, '.');
		if (!cut)
			cut = strrchr(l, '_');
		if (!cut)
			break;
		*cut = 0;
	}
	free(l);
	free(dir);
}

bool api_mo_lookup(const struct api_mo *mo, const char *s, size_t n, const char **t, size_t *tn)
{
	for (uint32_t i = 0; mo->data && i < mo->count; i++) {
		uint32_t ol = mo_u32(mo, mo->otab + 8 * i), oo = mo_u32(mo, mo->otab + 8 * i + 4);
		if (ol != n || (size_t)oo + ol > mo->n || memcmp(mo->data + oo, s, n))
			continue;
		uint32_t tl = mo_u32(mo, mo->ttab + 8 * i), to = mo_u32(mo, mo->ttab + 8 * i + 4);
		if ((size_t)to + tl > mo->n)
			return false;
		*t = mo->data + to;
		*tn = tl;
		return true;
	}
	return false;
}

int api_tpl_render(const char *path, const char *lang, char **opts, size_t nopts, struct api_buf *out, bool *ok)
{
	int r = render_python(path, lang, opts, nopts, out);
	if (r == PY_RENDER_OK || r == PY_RENDER_ERROR) {
		/* Python's text may carry surrogate escapes: to WTF-8 */
		size_t wn;
		char *w = api_from_bytes(out->p ? out->p : "", out->n, &wn);
		out->n = 0;
		api_buf_add(out, w, wn);
		free(w);
		*ok = r == PY_RENDER_OK;
		if (!*ok) {
			struct api_buf tb = {0};
			api_buf_add(&tb, out->p, out->n);
			error_block(out, tb.p ? tb.p : "", tb.n);
			api_buf_free(&tb);
		}
		return 0;
	}
	/* the C subset: text as open(path, 'r') reads it, universal newlines */
	struct api_buf raw = {0}, src = {0}, err = {0};
	out->n = 0;
	if (api_read_file(path, &raw) < 0) {
		api_buf_printf(&err, "Traceback (most recent call last):\n  File \"%s\", line 1, in <module>\n"
				     "%s: [Errno %d] %s: '%s'\n",
			       path, errno == EISDIR ? "IsADirectoryError" : "OSError", errno, strerror(errno), path);
	} else if (!api_utf8_valid(raw.p, raw.n, NULL)) {
		api_buf_printf(&err, "Traceback (most recent call last):\n  File \"%s\", line 1, in <module>\n"
				     "UnicodeDecodeError: 'utf-8' codec can't decode the template\n",
			       path);
	} else {
		for (size_t i = 0; i < raw.n; i++) {
			if (raw.p[i] == '\r') {
				api_buf_addc(&src, '\n');
				if (i + 1 < raw.n && raw.p[i + 1] == '\n')
					i++;
			} else {
				api_buf_addc(&src, raw.p[i]);
			}
		}
		struct api_mo mo;
		mo_load(&mo, lang);
		if (api_tpl_engine(src.p ? src.p : "", src.n, opts, nopts, &mo, out, &err) < 0) {
			struct api_buf tb = {0};
			api_buf_printf(&tb, "Traceback (most recent call last):\n  File \"%s\", in template\n%s\n", path,
				       err.p);
			api_buf_free(&err);
			err = tb;
		}
		free(mo.data);
	}
	*ok = err.n == 0;
	if (!*ok)
		error_block(out, err.p, err.n);
	api_buf_free(&raw);
	api_buf_free(&src);
	api_buf_free(&err);
	return 0;
}
