/* client: the CLI's side of the queue daemon's socket (server.h has the
 * protocol): connect, send one request line, read reply lines. */
#ifndef GB_CLIENT_H
#define GB_CLIENT_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"

struct gb_client {
	int fd;
	char *buf;
	size_t len, cap;
	char path[108];
};

int gb_client_connect(struct gb_client *c, const char *path, gb_error *err);
void gb_client_close(struct gb_client *c);
/* Send req (not stolen) as one line. */
int gb_client_send(struct gb_client *c, json_t *req, gb_error *err);
/* The next reply line, parsed. A reply {"ok": false, "error": M} is
 * returned as is: the caller decides. */
int gb_client_recv(struct gb_client *c, json_t **out, gb_error *err);
/* send + recv, and an {"ok": false} reply turned into err. */
int gb_client_call(struct gb_client *c, json_t *req, json_t **out, gb_error *err);

#endif
