/* student_proto: see student_proto.h. */
#include "student_proto.h"

#include <signal.h>
#include <string.h>

void gb_student_msg_make(struct gb_student_msg *m, uint32_t type, int32_t value,
			 const char *text)
{
	memset(m, 0, sizeof(*m));
	m->magic = GB_STUDENT_MAGIC;
	m->type = type;
	m->value = value;
	if (text) {
		size_t n = strnlen(text, GB_STUDENT_TEXT_MAX - 1);
		memcpy(m->text, text, n);
	}
}

bool gb_student_msg_valid(const struct gb_student_msg *m, size_t len)
{
	return len == sizeof(*m) && m->magic == GB_STUDENT_MAGIC &&
	       memchr(m->text, '\0', sizeof(m->text)) != NULL;
}

int gb_student_code_for_signal(int signo)
{
	/* INGInious's value (a segfault gives 245), not the shell's 128+N. */
	return 256 - signo;
}

static bool put(char *buf, size_t cap, size_t *off, const char *s)
{
	size_t n = strlen(s) + 1;

	if (n > cap - *off)
		return false;
	memcpy(buf + *off, s, n);
	*off += n;
	return true;
}

long gb_student_req_encode(const struct gb_student_req *req, char *buf, size_t cap,
			   const char **why)
{
	struct gb_student_req_hdr h = {
		.magic = GB_STUDENT_MAGIC, .type = GB_STUDENT_REQUEST, .flags = req->flags,
		.time_s = req->time_s, .hard_time_s = req->hard_time_s,
		.memory_mb = req->memory_mb, .argc = (uint32_t)req->argc,
	};
	size_t off = sizeof(h);

	if (cap > GB_STUDENT_REQ_MAX)
		cap = GB_STUDENT_REQ_MAX;
	if (req->argc == 0 || req->argc > GB_STUDENT_MAX_ARGS) {
		*why = "the command has no word or too many words";
		return -1;
	}
	if (cap < off || !put(buf, cap, &off, req->container ? req->container : "") ||
	    !put(buf, cap, &off, req->cwd)) {
		*why = "the request is too long";
		return -1;
	}
	for (size_t i = 0; i < req->argc; i++) {
		if (!put(buf, cap, &off, req->argv[i])) {
			*why = "the command line is too long";
			return -1;
		}
	}
	h.strings_len = (uint32_t)(off - sizeof(h));
	memcpy(buf, &h, sizeof(h));
	return (long)off;
}

/* The next NUL-terminated string at *off, within len. */
static const char *take(const char *buf, size_t len, size_t *off)
{
	const char *s = buf + *off, *nul;

	if (*off >= len)
		return NULL;
	nul = memchr(s, '\0', len - *off);
	if (!nul)
		return NULL;
	*off += (size_t)(nul - s) + 1;
	return s;
}

int gb_student_req_decode(const char *buf, size_t len, struct gb_student_req *req,
			  const char **why)
{
	struct gb_student_req_hdr h;
	size_t off = sizeof(h);

	memset(req, 0, sizeof(*req));
	if (len < sizeof(h) || len > GB_STUDENT_REQ_MAX) {
		*why = "request: wrong size";
		return -1;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.magic != GB_STUDENT_MAGIC || h.type != GB_STUDENT_REQUEST) {
		*why = "request: not a run_student request (magic, type)";
		return -1;
	}
	if (h.strings_len != len - sizeof(h)) {
		*why = "request: strings_len does not match the message's size";
		return -1;
	}
	if (h.flags & ~(uint32_t)GB_STUDENT_FLAGS_ALL) {
		*why = "request: unknown flags";
		return -1;
	}
	if (h.time_s > GB_STUDENT_LIMIT_MAX || h.hard_time_s > GB_STUDENT_LIMIT_MAX ||
	    h.memory_mb > GB_STUDENT_LIMIT_MAX) {
		*why = "request: a limit is out of range";
		return -1;
	}
	if (h.argc == 0 || h.argc > GB_STUDENT_MAX_ARGS) {
		*why = "request: argc is out of range";
		return -1;
	}
	req->flags = h.flags;
	req->time_s = h.time_s;
	req->hard_time_s = h.hard_time_s;
	req->memory_mb = h.memory_mb;
	req->container = take(buf, len, &off);
	req->cwd = take(buf, len, &off);
	if (!req->container || !req->cwd) {
		*why = "request: truncated container or cwd";
		return -1;
	}
	if (req->cwd[0] != '/') {
		*why = "request: cwd is not an absolute path";
		return -1;
	}
	for (size_t i = 0; i < h.argc; i++) {
		req->argv[i] = take(buf, len, &off);
		if (!req->argv[i]) {
			*why = "request: truncated argv";
			return -1;
		}
	}
	if (off != len) {
		*why = "request: bytes after argv";
		return -1;
	}
	if (!req->argv[0][0]) {
		*why = "request: empty command name";
		return -1;
	}
	req->argc = h.argc;
	req->argv[h.argc] = NULL;
	return 0;
}

#define SHLEX_SPACE " \t\r\n"

/* The joined command line as a stream of chars: -1 at its end. */
struct joined {
	char *const *words;
	size_t nwords, w, i;
};

static int next_char(struct joined *j)
{
	while (j->w < j->nwords) {
		const char *s = j->words[j->w];
		if (s[j->i])
			return (unsigned char)s[j->i++];
		j->w++;
		j->i = 0;
		if (j->w < j->nwords)
			return ' ';
	}
	return -1;
}

/* shlex (POSIX mode) over the words joined by single spaces. States:
 * ' ' between words, 'a' in a word, '\'' or '"' in quotes, '\\' after an
 * escape. As shlex: inside double quotes a backslash escapes only '"' and
 * '\\' (else it stays), inside single quotes nothing; a quoted empty word
 * ('') is a word. */
long gb_student_shlex(char *const *words, size_t nwords, char *store, size_t cap,
		      const char **out, size_t max_out, const char **why)
{
	struct joined j = { .words = words, .nwords = nwords };
	char state = ' ', escaped = 'a';
	size_t n = 0, off = 0, start = 0;
	int c;

#define SHLEX_PUT(ch)                 \
	do {                          \
		if (off >= cap)       \
			goto too_long; \
		store[off++] = (ch);  \
	} while (0)

	for (;;) {
		c = next_char(&j);
		if (c < 0)
			break;
		switch (state) {
		case ' ':
			if (strchr(SHLEX_SPACE, c))
				break;
			start = off;
			if (c == '\'' || c == '"') {
				state = (char)c;
			} else if (c == '\\') {
				escaped = 'a';
				state = '\\';
			} else {
				SHLEX_PUT((char)c);
				state = 'a';
			}
			break;
		case 'a':
			if (strchr(SHLEX_SPACE, c)) {
				SHLEX_PUT('\0');
				if (n >= max_out)
					goto too_long;
				out[n++] = store + start;
				state = ' ';
			} else if (c == '\'' || c == '"') {
				state = (char)c;
			} else if (c == '\\') {
				escaped = 'a';
				state = '\\';
			} else {
				SHLEX_PUT((char)c);
			}
			break;
		case '\'':
		case '"':
			if (c == state) {
				state = 'a';
			} else if (c == '\\' && state == '"') {
				escaped = state;
				state = '\\';
			} else {
				SHLEX_PUT((char)c);
			}
			break;
		case '\\':
			if (escaped != 'a' && c != '\\' && c != escaped)
				SHLEX_PUT('\\');
			SHLEX_PUT((char)c);
			state = escaped;
			break;
		}
	}
	if (state == '\'' || state == '"') {
		*why = "No closing quotation";
		return -1;
	}
	if (state == '\\') {
		*why = "No escaped character";
		return -1;
	}
	if (state == 'a') {
		SHLEX_PUT('\0');
		if (n >= max_out)
			goto too_long;
		out[n++] = store + start;
	}
#undef SHLEX_PUT
	out[n] = NULL;
	return (long)n;
too_long:
	*why = "the command line is too long";
	return -1;
}
