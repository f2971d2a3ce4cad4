/* client: see client.h. */
#include "client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "spool.h"
#include "util.h"

#define CLIENT_READ_CHUNK 65536
/* A reply carries a result: an archive and capped outputs. */
#define CLIENT_REPLY_MAX (GB_SPOOL_RESULT_MAX * 2)

int gb_client_connect(struct gb_client *c, const char *path, gb_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return gb_fail(err, ENAMETOOLONG, "socket %s", path);
	strcpy(sa.sun_path, path);
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return gb_fail_errno(err, "socket");
	if (GB_RETRY(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) < 0) {
		gb_fail_errno(err, "cannot reach the queue daemon at %s (is `gradebox serve` "
			      "running? --socket PATH names another socket)", path);
		gb_closep(&c->fd);
		return -1;
	}
	return 0;
}

void gb_client_close(struct gb_client *c)
{
	gb_closep(&c->fd);
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

int gb_client_send(struct gb_client *c, json_t *req, gb_error *err)
{
	_cleanup_free_ char *text = json_dumps(req, JSON_COMPACT);

	if (!text)
		return gb_fail(err, ENOMEM, "request");
	if (gb_write_all(c->fd, text, strlen(text)) < 0 || gb_write_all(c->fd, "\n", 1) < 0)
		return gb_fail_errno(err, "sending to the queue daemon at %s", c->path);
	return 0;
}

int gb_client_recv(struct gb_client *c, json_t **out, gb_error *err)
{
	json_error_t je;

	*out = NULL;
	for (;;) {
		char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
		ssize_t n;

		if (nl) {
			size_t line = (size_t)(nl - c->buf);
			*out = json_loadb(c->buf, line, 0, &je);
			memmove(c->buf, nl + 1, c->len - line - 1);
			c->len -= line + 1;
			if (!*out || !json_is_object(*out))
				return gb_fail(err, 0, "the queue daemon at %s sent a bad reply", c->path);
			return 0;
		}
		if (c->len + CLIENT_READ_CHUNK > c->cap) {
			size_t cap = c->cap ? c->cap * 2 : CLIENT_READ_CHUNK * 2;
			char *p;
			if (cap > CLIENT_REPLY_MAX)
				return gb_fail(err, 0, "the queue daemon's reply is too large");
			p = realloc(c->buf, cap);
			if (!p)
				return gb_fail(err, ENOMEM, "reading the reply");
			c->buf = p;
			c->cap = cap;
		}
		n = GB_RETRY(read(c->fd, c->buf + c->len, c->cap - c->len));
		if (n < 0)
			return gb_fail_errno(err, "reading from the queue daemon at %s", c->path);
		if (n == 0)
			return gb_fail(err, 0, "the queue daemon at %s closed the connection (it "
				       "stopped?)", c->path);
		c->len += (size_t)n;
	}
}

int gb_client_call(struct gb_client *c, json_t *req, json_t **out, gb_error *err)
{
	json_t *rep;

	if (gb_client_send(c, req, err) < 0 || gb_client_recv(c, &rep, err) < 0)
		return -1;
	if (!json_is_true(json_object_get(rep, "ok"))) {
		const char *m = json_string_value(json_object_get(rep, "error"));
		gb_fail(err, 0, "%s", m ? m : "the queue daemon refused the request");
		json_decref(rep);
		return -1;
	}
	*out = rep;
	return 0;
}
