/* server: see server.h for the protocol. Connections are a list; each
 * has an input buffer (split on newlines) and an output buffer flushed as
 * the socket takes it (EPOLLOUT only while something is pending). */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

#define SERVER_READ_CHUNK 65536
#define SERVER_BACKLOG 512
#define SERVER_SOCKET_MODE 0660

struct conn {
	struct gb_watch w;
	struct gb_server *srv;
	struct conn *prev, *next;
	int fd;
	bool http, closing;       /* closing: close once the output is out */
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off, out_cap;
	bool waiting, progress, resume;
	char wait_id[GB_JOB_ID_MAX];
	uint32_t events;          /* what epoll watches now */
};

struct listener {
	struct gb_watch w;
	struct gb_server *srv;
	int fd;
	bool http;
};

struct gb_server {
	struct gb_queue *q;
	int epfd;
	struct listener unix_l, http_l;
	char socket_path[PATH_MAX]; /* ours to unlink, "" if systemd's */
	struct conn *conns, *dead;
	unsigned nconns;
};

/* Close now, free after the event round: a later event of the same round
 * may still point at it. */
static void conn_free(struct conn *c)
{
	struct gb_server *srv = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	/* Explicitly: close alone leaves the registration while another
	 * descriptor shares the socket's open file. */
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->next = srv->dead;
	srv->dead = c;
}

static void conn_reap(struct gb_server *srv)
{
	while (srv->dead) {
		struct conn *c = srv->dead;
		srv->dead = c->next;
		free(c->in);
		free(c->out);
		free(c);
	}
}

static void conn_watch(struct conn *c)
{
	uint32_t want = (c->closing ? 0 : EPOLLIN) | (c->out_len > c->out_off ? EPOLLOUT : 0);
	struct epoll_event ev = { .events = want, .data.ptr = &c->w };

	if (want != c->events) {
		epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev);
		c->events = want;
	}
}

/* Write what the socket takes now. Returns -1 when the conn was freed. */
static int conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			conn_free(c);
			return -1;
		}
		c->out_off += (size_t)w;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->closing) {
			conn_free(c);
			return -1;
		}
	}
	conn_watch(c);
	return 0;
}

static int conn_append(struct conn *c, const char *data, size_t len)
{
	if (c->out_len - c->out_off + len > GB_SERVER_OUT_MAX)
		return -1;
	if (c->out_off && c->out_len + len > c->out_cap) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *n;
		while (cap < c->out_len + len)
			cap *= 2;
		n = realloc(c->out, cap);
		if (!n)
			return -1;
		c->out = n;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	return 0;
}

/* Send one JSON line (steals o). Returns -1 when the conn was freed. */
static int reply(struct conn *c, json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int r = -1;

	json_decref(o);
	if (text && conn_append(c, text, strlen(text)) == 0 && conn_append(c, "\n", 1) == 0)
		r = 0;
	free(text);
	if (r < 0) {
		conn_free(c);
		return -1;
	}
	return conn_flush(c);
}

static int reply_error(struct conn *c, const char *msg)
{
	return reply(c, json_pack("{s:b, s:s}", "ok", 0, "error", msg));
}

/* Start waiting for id: at once if done, else when the queue says so. */
static int start_wait(struct conn *c, const char *id, bool progress)
{
	json_t *res, *st;

	res = gb_queue_result(c->srv->q, id);
	if (res)
		return reply(c, json_pack("{s:b, s:s, s:o}", "ok", 1, "id", id, "result", res));
	st = gb_queue_status(c->srv->q, id);
	if (!st) {
		char msg[GB_JOB_ID_MAX + 16];
		snprintf(msg, sizeof(msg), "no job %s", id);
		return reply_error(c, msg);
	}
	c->waiting = true;
	c->progress = progress;
	snprintf(c->wait_id, sizeof(c->wait_id), "%s", id);
	if (progress) {
		const char *state = json_string_value(json_object_get(st, "state"));
		json_t *ev = json_pack("{s:s, s:s}", "event", state, "id", id);
		if (json_object_get(st, "position"))
			json_object_set(ev, "position", json_object_get(st, "position"));
		json_decref(st);
		return reply(c, ev);
	}
	json_decref(st);
	return 0;
}

static const char *get_id(json_t *req)
{
	json_t *v = json_object_get(req, "id");

	return json_is_string(v) && gb_job_id_valid(json_string_value(v)) ? json_string_value(v)
									   : NULL;
}

/* One request line. Returns -1 when the conn was freed. */
static int handle_request(struct conn *c, const char *line, size_t len)
{
	struct gb_queue *q = c->srv->q;
	json_error_t je;
	_cleanup_free_ char *msg = NULL;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	const char *cmd, *id;
	gb_error err = { 0 };
	char newid[GB_JOB_ID_MAX];
	int r;

	if (!req || !json_is_object(req)) {
		char m[256];
		json_decref(req);
		if (!req)
			snprintf(m, sizeof(m), "bad JSON at column %d: %s", je.column, je.text);
		else
			snprintf(m, sizeof(m), "a request is a JSON object");
		return reply_error(c, m);
	}
	cmd = json_string_value(json_object_get(req, "cmd"));
	id = get_id(req);
	if (!cmd) {
		r = reply_error(c, "field \"cmd\" is missing (submit, wait, status, kill, list, "
				"metrics)");
	} else if (!strcmp(cmd, "submit")) {
		if (gb_queue_submit(q, json_object_get(req, "job"), newid, &err) < 0) {
			r = reply_error(c, err.msg);
		} else {
			r = reply(c, json_pack("{s:b, s:s}", "ok", 1, "id", newid));
			if (r == 0 && json_is_true(json_object_get(req, "wait")))
				r = start_wait(c, newid,
					       json_is_true(json_object_get(req, "progress")));
		}
	} else if (!strcmp(cmd, "wait")) {
		r = id ? start_wait(c, id, json_is_true(json_object_get(req, "progress")))
		       : reply_error(c, "field \"id\" is missing or not a job id");
	} else if (!strcmp(cmd, "status")) {
		if (json_object_get(req, "id") && !id) {
			r = reply_error(c, "field \"id\" is not a job id");
		} else if (id) {
			json_t *st = gb_queue_status(q, id);
			char m[GB_JOB_ID_MAX + 16];
			snprintf(m, sizeof(m), "no job %s", id);
			r = st ? reply(c, json_pack("{s:b, s:o}", "ok", 1, "status", st))
			       : reply_error(c, m);
		} else {
			r = reply(c, json_pack("{s:b, s:o}", "ok", 1, "summary", gb_queue_summary(q)));
		}
	} else if (!strcmp(cmd, "kill")) {
		if (!id)
			r = reply_error(c, "field \"id\" is missing or not a job id");
		else if (gb_queue_kill(q, id, &err) < 0)
			r = reply_error(c, err.msg);
		else
			r = reply(c, json_pack("{s:b, s:s}", "ok", 1, "id", id));
	} else if (!strcmp(cmd, "list")) {
		r = reply(c, json_pack("{s:b, s:o}", "ok", 1, "jobs", gb_queue_list(q)));
	} else if (!strcmp(cmd, "metrics")) {
		msg = gb_queue_metrics(q);
		r = reply(c, json_pack("{s:b, s:s}", "ok", 1, "metrics", msg ? msg : ""));
	} else {
		char m[128];
		snprintf(m, sizeof(m), "unknown command \"%.40s\"", cmd);
		r = reply_error(c, m);
	}
	json_decref(req);
	return r;
}

static int handle_http(struct conn *c)
{
	static const char head[] = "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
				   "Connection: close\r\n\r\n";
	char h[256];
	_cleanup_free_ char *body = NULL;
	const char *status = "200 OK", *type = "text/plain; version=0.0.4";
	const char *text;

	if (!strncmp(c->in, "GET /metrics ", 13) || !strncmp(c->in, "GET /metrics?", 13)) {
		body = gb_queue_metrics(c->srv->q);
		text = body ? body : "";
	} else if (strncmp(c->in, "GET ", 4)) {
		status = "405 Method Not Allowed";
		type = "text/plain";
		text = "only GET /metrics\n";
	} else {
		status = "404 Not Found";
		type = "text/plain";
		text = "only /metrics\n";
	}
	snprintf(h, sizeof(h), head, status, type, strlen(text));
	c->closing = true;
	if (conn_append(c, h, strlen(h)) < 0 || conn_append(c, text, strlen(text)) < 0) {
		conn_free(c);
		return -1;
	}
	return conn_flush(c);
}

/* Handle the complete lines in the input buffer (none while waiting). */
static int conn_process(struct conn *c)
{
	size_t start = 0;

	if (c->http) {
		if (memmem(c->in, c->in_len, "\r\n\r\n", 4) || memmem(c->in, c->in_len, "\n\n", 2)) {
			c->in[c->in_len] = '\0';
			return handle_http(c);
		}
		return 0;
	}
	while (!c->waiting && !c->closing) {
		char *nl = memchr(c->in + start, '\n', c->in_len - start);
		size_t len;
		if (!nl)
			break;
		len = (size_t)(nl - (c->in + start));
		if (len && handle_request(c, c->in + start, len) < 0)
			return -1;
		start += len + 1;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	return 0;
}

static void conn_event(struct gb_watch *w, uint32_t events)
{
	struct conn *c = (struct conn *)w;
	size_t max = c->http ? GB_SERVER_HTTP_MAX : GB_SPOOL_JOB_MAX;

	if (c->fd < 0)
		return;

	if ((events & EPOLLOUT) && conn_flush(c) < 0)
		return;
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->closing)
		return;
	for (;;) {
		ssize_t n;
		if (c->in_len + SERVER_READ_CHUNK + 1 > c->in_cap) {
			size_t cap = c->in_cap ? c->in_cap * 2 : SERVER_READ_CHUNK + 1;
			char *p;
			while (cap < c->in_len + SERVER_READ_CHUNK + 1)
				cap *= 2;
			p = realloc(c->in, cap);
			if (!p) {
				conn_free(c);
				return;
			}
			c->in = p;
			c->in_cap = cap;
		}
		n = read(c->fd, c->in + c->in_len, SERVER_READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* The client is gone (or half-closed): what it asked for
			 * has its reply, a half message is dropped. */
			if (!c->waiting && c->out_off < c->out_len && n == 0) {
				c->closing = true;
				conn_watch(c);
			} else {
				conn_free(c);
			}
			return;
		}
		c->in_len += (size_t)n;
		if (conn_process(c) < 0)
			return;
		if (c->in_len > max) {
			char m[96];
			snprintf(m, sizeof(m), "a request line is longer than %zu bytes", max);
			c->in_len = 0;
			c->closing = !c->http;
			if (c->http || reply_error(c, m) < 0) {
				if (c->http)
					conn_free(c);
				return;
			}
			if (conn_flush(c) < 0)
				return;
			return;
		}
	}
}

static void listener_event(struct gb_watch *w, uint32_t events)
{
	struct listener *l = (struct listener *)w;
	struct gb_server *srv = l->srv;

	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;
		struct epoll_event ev = { .events = EPOLLIN };

		if (fd < 0)
			return; /* EAGAIN, or out of fds: the next event retries */
		if (srv->nconns >= GB_SERVER_CONN_MAX || !(c = calloc(1, sizeof(*c)))) {
			close(fd);
			continue;
		}
		c->w.fn = conn_event;
		c->srv = srv;
		c->fd = fd;
		c->http = l->http;
		c->events = EPOLLIN;
		ev.data.ptr = &c->w;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = srv->conns;
		if (srv->conns)
			srv->conns->prev = c;
		srv->conns = c;
		srv->nconns++;
	}
}

void gb_server_job_event(void *arg, const char *id, json_t *result)
{
	struct gb_server *srv = arg;
	struct conn *c, *next;

	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (!c->waiting || strcmp(c->wait_id, id))
			continue;
		if (!result) {
			if (c->progress)
				reply(c, json_pack("{s:s, s:s}", "event", "grading", "id", id));
			continue;
		}
		c->waiting = false;
		/* requests that came while it waited: after this event, as they
		 * may end jobs themselves (a kill) */
		if (reply(c, json_pack("{s:b, s:s, s:O}", "ok", 1, "id", id, "result", result)) == 0)
			c->resume = c->in_len > 0;
	}
}

void gb_server_resume(struct gb_server *srv)
{
	struct conn *c;

	/* From the head every time: a request may end a job whose waiters'
	 * connections then close, any of them. */
	for (;;) {
		for (c = srv->conns; c && !c->resume; c = c->next)
			;
		if (!c) {
			conn_reap(srv);
			return;
		}
		c->resume = false;
		conn_process(c);
	}
}

static int listen_unix(struct gb_server *srv, const char *path, gid_t gid, gb_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return gb_fail(err, ENAMETOOLONG, "socket %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return gb_fail_errno(err, "socket");
	if (lstat(path, &st) == 0) {
		/* A live daemon answers; a dead one's socket is replaced. */
		if (!S_ISSOCK(st.st_mode)) {
			close(fd);
			return gb_fail(err, 0, "socket %s: exists and is not a socket", path);
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN) {
			close(fd);
			return gb_fail(err, 0, "socket %s: another gradebox serve listens there", path);
		}
		close(fd);
		unlink(path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return gb_fail_errno(err, "socket");
	}
	old = umask(0777 & ~SERVER_SOCKET_MODE);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) ||
	    chmod(path, SERVER_SOCKET_MODE) < 0 || listen(fd, SERVER_BACKLOG) < 0) {
		gb_fail_errno(err, "socket %s", path);
		close(fd);
		return -1;
	}
	snprintf(srv->socket_path, sizeof(srv->socket_path), "%s", path);
	return fd;
}

/* HOST:PORT with a numeric host (IPv4, [IPv6]), "localhost" or none (all
 * IPv4 addresses). Numeric only: a static binary has no resolver. */
static int listen_tcp(const char *addr, gb_error *err)
{
	char host[128];
	const char *colon = strrchr(addr, ':');
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr *sa;
	socklen_t salen;
	uint64_t port;
	int fd, one = 1;
	size_t hl;

	if (!colon || gb_parse_u64(colon + 1, &port) < 0 || port == 0 || port > 65535)
		return gb_fail(err, 0, "--metrics-listen %s: expected HOST:PORT or :PORT", addr);
	hl = (size_t)(colon - addr);
	if (hl >= sizeof(host))
		return gb_fail(err, 0, "--metrics-listen %s: host too long", addr);
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6.sin6_addr) != 1)
			return gb_fail(err, 0, "--metrics-listen %s: bad IPv6 address", addr);
		s6.sin6_port = htons((uint16_t)port);
		sa = (struct sockaddr *)&s6;
		salen = sizeof(s6);
	} else {
		if (!strcmp(host, "localhost"))
			strcpy(host, "127.0.0.1");
		if (*host && inet_pton(AF_INET, host, &s4.sin_addr) != 1)
			return gb_fail(err, 0, "--metrics-listen %s: the host must be an IP address",
				       addr);
		s4.sin_port = htons((uint16_t)port);
		sa = (struct sockaddr *)&s4;
		salen = sizeof(s4);
	}
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, sa, salen) < 0 || listen(fd, SERVER_BACKLOG) < 0) {
		gb_fail_errno(err, "--metrics-listen %s", addr);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int add_listener(struct gb_server *srv, struct listener *l, int fd, bool http,
			gb_error *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &l->w };

	l->w.fn = listener_event;
	l->srv = srv;
	l->fd = fd;
	l->http = http;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return gb_fail_errno(err, "epoll_ctl");
	return 0;
}

int gb_server_new(struct gb_queue *q, int epfd, const struct gb_server_opts *o,
		  struct gb_server **out, gb_error *err)
{
	struct gb_server *srv = calloc(1, sizeof(*srv));
	int fd;

	if (!srv)
		return gb_fail(err, ENOMEM, "server");
	srv->q = q;
	srv->epfd = epfd;
	srv->unix_l.fd = srv->http_l.fd = -1;
	fd = o->listen_fd >= 0 ? o->listen_fd : listen_unix(srv, o->socket_path, o->gid, err);
	if (fd < 0 || add_listener(srv, &srv->unix_l, fd, false, err) < 0)
		goto fail;
	if (o->metrics_listen && *o->metrics_listen) {
		fd = listen_tcp(o->metrics_listen, err);
		if (fd < 0 || add_listener(srv, &srv->http_l, fd, true, err) < 0)
			goto fail;
	}
	*out = srv;
	return 0;
fail:
	if (fd >= 0 && srv->unix_l.fd != fd && srv->http_l.fd != fd)
		close(fd);
	gb_server_free(srv);
	return -1;
}

void gb_server_stop_listening(struct gb_server *srv)
{
	gb_closep(&srv->unix_l.fd);
	gb_closep(&srv->http_l.fd);
	if (srv->socket_path[0]) {
		unlink(srv->socket_path);
		srv->socket_path[0] = '\0';
	}
}

void gb_server_free(struct gb_server *srv)
{
	if (!srv)
		return;
	gb_server_stop_listening(srv);
	while (srv->conns)
		conn_free(srv->conns);
	conn_reap(srv);
	free(srv);
}
