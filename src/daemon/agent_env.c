/* agent_env: see agent_env.h. */
#include "agent_env.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image.h"
#include "image_store.h"
#include "util.h"

#define SECONDS_PER_MINUTE 60
#define SECONDS_PER_HOUR 3600

long long gb_agent_parse_time(const char *s)
{
	struct tm tm = { 0 };
	const char *p;
	long long t;

	if (!s)
		return -1;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.')
		while (isdigit((unsigned char)*++p))
			;
	t = (long long)timegm(&tm);
	if (*p == 'Z' || *p == 'z')
		return p[1] ? -1 : t;
	if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
	    isdigit((unsigned char)p[5]) && !p[6]) {
		long long off = ((p[1] - '0') * 10 + (p[2] - '0')) * SECONDS_PER_HOUR +
				((p[4] - '0') * 10 + (p[5] - '0')) * SECONDS_PER_MINUTE;
		return *p == '+' ? t - off : t + off;
	}
	return -1;
}

static json_t *ports_of(const char *list)
{
	json_t *ports = json_array();
	const char *p = list;

	while (ports && p && *p) {
		char *end;
		long v = strtol(p, &end, 10);

		/* A badly formed list offers no port rather than a wrong one. */
		if (end == p || v <= 0 || v > 65535 || (*end && *end != ',')) {
			json_array_clear(ports);
			break;
		}
		json_array_append_new(ports, json_integer(v));
		p = *end ? end + 1 : end;
	}
	return ports;
}

static void offer(json_t *docker, const char *name, const char *id, long long created,
		  json_t *ports)
{
	json_t *old = json_object_get(docker, name);

	if (old && json_integer_value(json_object_get(old, "created")) >= created)
		return;
	json_object_set_new(docker, name,
			    json_pack("{s:s, s:I, s:O, s:b}", "id", id, "created",
				      (json_int_t)created, "ports", ports, "advertised", 1));
}

static int offer_image(const struct gb_config *cfg, json_t *row, json_t *docker, gb_error *err)
{
	const char *name = json_string_value(json_object_get(row, "name"));
	const char *id = json_string_value(json_object_get(row, "id"));
	long long created = gb_agent_parse_time(json_string_value(json_object_get(row, "created")));
	json_t *img = NULL, *labels, *ports;
	const char *label;

	if (!name || !id)
		return 0;
	if (gb_image_inspect(cfg, name, &img, err) < 0)
		return gb_context(err, "image %s", name);
	labels = json_object_get(json_object_get(img, "config"), "Labels");
	label = json_string_value(json_object_get(labels, GB_IMAGE_LABEL_NAME));
	ports = ports_of(json_string_value(json_object_get(labels, GB_AGENT_LABEL_PORTS)));
	if (created < 0)
		created = 0;
	if (label && *label)
		offer(docker, label, id, created, ports);
	offer(docker, name, id, created, ports);
	json_decref(ports);
	json_decref(img);
	return 0;
}

int gb_agent_environments(const struct gb_config *cfg, json_t **out, gb_error *err)
{
	json_t *rows = NULL, *docker = json_object(), *row;
	size_t i;

	*out = NULL;
	if (!docker)
		return gb_fail(err, ENOMEM, "environments");
	if (gb_image_list(cfg, &rows, err) < 0) {
		json_decref(docker);
		return gb_context(err, "image store %s", cfg->state_dir);
	}
	json_array_foreach(rows, i, row) {
		if (offer_image(cfg, row, docker, err) < 0) {
			json_decref(rows);
			json_decref(docker);
			return -1;
		}
	}
	json_decref(rows);
	*out = json_pack("{s:o}", GB_AGENT_ENV_TYPE, docker);
	return *out ? 0 : gb_fail(err, ENOMEM, "environments");
}
