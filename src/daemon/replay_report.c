/* replay_report: what `gradebox test` shows — one line per submission, a
 * table per task, and the full comparison as JSON for tools.
 *
 * Recordings carry personal data (usernames, e-mail and IP addresses, which
 * may also appear in file names, feedback and stdout). Unless the user asks
 * (-v), every string shown or dumped has each such value the recording
 * names replaced by GB_REPLAY_HIDDEN, and anything shaped like an e-mail
 * address too. */
#include "replay.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define GB_REPLAY_HIDDEN "<hidden>"
/* Shorter values are too common to hide ("a", "me") without hiding text. */
#define GB_REPLAY_PERSONAL_MIN 3
/* Values on a submission's line are cut to this many bytes. */
#define GB_REPLAY_SHORT_BYTES 40

static const char *const status_word[] = {
	[GB_REPLAY_PENDING] = "pending", [GB_REPLAY_SAME] = "same",
	[GB_REPLAY_DIFFERENT] = "different", [GB_REPLAY_ERROR] = "error",
	[GB_REPLAY_BROKEN] = "broken",
};
static const char *const status_label[] = {
	[GB_REPLAY_PENDING] = "PENDING", [GB_REPLAY_SAME] = "same",
	[GB_REPLAY_DIFFERENT] = "DIFF", [GB_REPLAY_ERROR] = "ERROR",
	[GB_REPLAY_BROKEN] = "BROKEN",
};

static bool email_char(char c)
{
	return c && (isalnum((unsigned char)c) || strchr("._%+-", c));
}

/* s with personal values hidden: a fresh string. */
static char *redact(const struct gb_replay_sub *sub, const char *s)
{
	char *cur = strdup(s);
	const json_t *list = sub ? sub->tf.personal : NULL;
	size_t n = json_array_size(list);
	if (!cur)
		return NULL;
	/* longest first: "ann@x.org" goes before "ann" */
	for (size_t pass = 0; pass < n; pass++) {
		const char *p = NULL;
		size_t plen = 0;
		for (size_t i = 0; i < n; i++) {
			size_t l = json_string_length(json_array_get(list, i));
			size_t rank = 0;
			for (size_t k = 0; k < n; k++) {
				size_t lk = json_string_length(json_array_get(list, k));
				rank += lk > l || (lk == l && k < i);
			}
			if (rank == pass) {
				p = json_string_value(json_array_get(list, i));
				plen = l;
			}
		}
		if (!p || plen < GB_REPLAY_PERSONAL_MIN)
			continue;
		for (char *hit; (hit = strstr(cur, p));) {
			char *next;
			if (asprintf(&next, "%.*s%s%s", (int)(hit - cur), cur, GB_REPLAY_HIDDEN,
				     hit + plen) < 0) {
				free(cur);
				return NULL;
			}
			free(cur);
			cur = next;
		}
	}
	/* e-mail addresses the recording did not name */
	for (char *at = strchr(cur, '@'); at; at = strchr(at + 1, '@')) {
		char *b = at, *e = at + 1;
		while (b > cur && email_char(b[-1]))
			b--;
		while (email_char(*e))
			e++;
		if (b == at || !memchr(at + 1, '.', (size_t)(e - at - 1)))
			continue;
		char *next;
		if (asprintf(&next, "%.*s%s%s", (int)(b - cur), cur, GB_REPLAY_HIDDEN, e) < 0) {
			free(cur);
			return NULL;
		}
		at = next + (b - cur);
		free(cur);
		cur = next;
	}
	return cur;
}

static json_t *redact_json(const struct gb_replay_sub *sub, const json_t *v)
{
	if (json_is_string(v)) {
		_cleanup_free_ char *s = redact(sub, json_string_value(v));
		return s ? json_string(s) : NULL;
	}
	if (json_is_array(v)) {
		json_t *a = json_array();
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
			json_array_append_new(a, redact_json(sub, e));
		return a;
	}
	if (json_is_object(v)) {
		json_t *o = json_object();
		const char *k;
		json_t *e;
		json_object_foreach((json_t *)v, k, e) {
			_cleanup_free_ char *rk = redact(sub, k);
			if (rk)
				json_object_set_new(o, rk, redact_json(sub, e));
		}
		return o;
	}
	return v ? json_incref((json_t *)v) : json_null();
}

/* A value as compact JSON, cut to GB_REPLAY_SHORT_BYTES on a UTF-8 boundary. */
static char *shorten(const json_t *v)
{
	/* 15 digits: 99.99, not the 99.989999999999995 a double holds */
	char *s = json_dumps(v ? v : json_null(),
			     JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	if (!s || strlen(s) <= GB_REPLAY_SHORT_BYTES)
		return s;
	size_t cut = GB_REPLAY_SHORT_BYTES;
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	strcpy(s + cut, "...");
	return s;
}

void gb_replay_print_lines(const struct gb_replay *r, FILE *out, bool verbose)
{
	for (size_t i = 0; i < r->nsubs; i++) {
		const struct gb_replay_sub *s = &r->subs[i];
		_cleanup_free_ char *line = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&line, &len);
		if (!m)
			return;
		fprintf(m, "%-6s  ", status_label[s->status]);
		if (s->status == GB_REPLAY_BROKEN || s->status == GB_REPLAY_ERROR) {
			/* BROKEN messages start with FILE:LINE:COLUMN */
			if (s->status == GB_REPLAY_ERROR)
				fprintf(m, "%s  ", s->file);
			fputs(s->message ? s->message : "?", m);
		} else {
			fputs(s->file, m);
			size_t k;
			json_t *d;
			json_array_foreach(s->diffs, k, d) {
				/* hidden before they are cut, so no part of a value shows */
				json_t *o = json_object_get(d, "old"), *n = json_object_get(d, "new");
				json_t *ho = verbose ? json_incref(o) : redact_json(s, o);
				json_t *hn = verbose ? json_incref(n) : redact_json(s, n);
				_cleanup_free_ char *old = shorten(ho);
				_cleanup_free_ char *new = shorten(hn);
				json_decref(ho);
				json_decref(hn);
				fprintf(m, "%s%s: %s -> %s", k ? "; " : "  ",
					json_string_value(json_object_get(d, "key")),
					old ? old : "?", new ? new : "?");
			}
			if (s->updated)
				fputs("  (updated)", m);
		}
		fclose(m);
		/* messages may span lines (a YAML problem's context): one line each */
		for (char *c = line; c && *c; c++)
			if (*c == '\n' || *c == '\r')
				*c = ' ';
		_cleanup_free_ char *shown = verbose ? strdup(line) : redact(s, line);
		fprintf(out, "%s\n", shown ? shown : line);
	}
}

void gb_replay_count(const struct gb_replay *r, const char *task, struct gb_replay_counts *c)
{
	*c = (struct gb_replay_counts){ 0 };
	for (size_t i = 0; i < r->nsubs; i++) {
		const struct gb_replay_sub *s = &r->subs[i];
		if (task && strcmp(task, s->task))
			continue;
		switch (s->status) {
		case GB_REPLAY_SAME:
			c->graded++;
			c->same++;
			break;
		case GB_REPLAY_DIFFERENT:
			c->graded++;
			c->different++;
			break;
		default:
			c->errors++;
			break;
		}
	}
}

static void table_row(FILE *out, const char *name, int width, const struct gb_replay_counts *c)
{
	fprintf(out, "%-*s  %6zu  %6zu  %9zu  %6zu\n", width, name, c->graded, c->same,
		c->different, c->errors);
}

void gb_replay_print_table(const struct gb_replay *r, FILE *out)
{
	struct gb_replay_counts c;
	int width = (int)strlen("total");
	for (size_t t = 0; t < r->ntasks; t++)
		if ((int)strlen(r->tasks[t]) > width)
			width = (int)strlen(r->tasks[t]);
	fprintf(out, "%-*s  %6s  %6s  %9s  %6s\n", width, "task", "graded", "same", "different",
		"errors");
	for (size_t t = 0; t < r->ntasks; t++) {
		gb_replay_count(r, r->tasks[t], &c);
		if (c.graded || c.errors) /* tasks without recordings say nothing */
			table_row(out, r->tasks[t], width, &c);
	}
	gb_replay_count(r, NULL, &c);
	table_row(out, "total", width, &c);
}

static json_t *counts_json(const struct gb_replay_counts *c)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "graded", (json_int_t)c->graded, "same",
			 (json_int_t)c->same, "different", (json_int_t)c->different, "errors",
			 (json_int_t)c->errors);
}

json_t *gb_replay_json(const struct gb_replay *r, bool verbose)
{
	json_t *subs = json_array(), *tasks = json_object();
	struct gb_replay_counts c;
	for (size_t i = 0; i < r->nsubs; i++) {
		const struct gb_replay_sub *s = &r->subs[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "file", s->file, "task", s->task,
				      "status", status_word[s->status], "updated", s->updated);
		if (!o)
			continue;
		if (s->diffs)
			json_object_set(o, "differences", s->diffs);
		if (s->message)
			json_object_set_new(o, "message", json_string(s->message));
		if (s->status == GB_REPLAY_BROKEN && s->line) {
			json_object_set_new(o, "line", json_integer(s->line));
			json_object_set_new(o, "column", json_integer(s->column));
		}
		if (!verbose) {
			json_t *hidden = redact_json(s, o);
			json_decref(o);
			o = hidden;
		}
		json_array_append_new(subs, o);
	}
	for (size_t t = 0; t < r->ntasks; t++) {
		gb_replay_count(r, r->tasks[t], &c);
		if (c.graded || c.errors)
			json_object_set_new(tasks, r->tasks[t], counts_json(&c));
	}
	gb_replay_count(r, NULL, &c);
	return json_pack("{s:s, s:o, s:o, s:o}", "course", r->course, "submissions", subs,
			 "tasks", tasks, "total", counts_json(&c));
}
