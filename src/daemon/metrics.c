/* metrics: see metrics.h. */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const double buckets[GB_METRICS_NBUCKETS] = GB_METRICS_BUCKETS;
static const char *const results[GB_METRICS_NRESULTS] = GB_METRICS_RESULTS;

static void hist_add(struct gb_hist *h, double v)
{
	size_t i;

	for (i = 0; i < GB_METRICS_NBUCKETS && v > buckets[i]; i++)
		;
	h->counts[i]++;
	h->n++;
	h->sum += v;
}

void gb_metrics_job(struct gb_metrics *m, const char *result, double wait_s, double grading_s)
{
	size_t i;

	for (i = 0; i < GB_METRICS_NRESULTS && strcmp(result, results[i]); i++)
		;
	m->results[i]++;
	hist_add(&m->wait, wait_s < 0 ? 0 : wait_s);
	if (grading_s >= 0)
		hist_add(&m->grading, grading_s);
}

static void hist_render(FILE *f, const char *name, const char *help, const struct gb_hist *h)
{
	uint64_t cum = 0;

	fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t i = 0; i < GB_METRICS_NBUCKETS; i++) {
		cum += h->counts[i];
		fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, buckets[i], (unsigned long long)cum);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->n);
	fprintf(f, "%s_sum %.6f\n%s_count %llu\n", name, h->sum, name, (unsigned long long)h->n);
}

char *gb_metrics_render(const struct gb_metrics *m, unsigned queued, unsigned busy,
			unsigned slots)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct rusage ru;
	double cpu = 0;

	if (!f)
		return NULL;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	fputs("# HELP gradebox_jobs_total Jobs finished, by result.\n"
	      "# TYPE gradebox_jobs_total counter\n", f);
	for (size_t i = 0; i <= GB_METRICS_NRESULTS; i++)
		fprintf(f, "gradebox_jobs_total{result=\"%s\"} %llu\n",
			i < GB_METRICS_NRESULTS ? results[i] : "other",
			(unsigned long long)m->results[i]);
	fprintf(f, "# HELP gradebox_jobs_submitted_total Jobs accepted into the queue.\n"
		"# TYPE gradebox_jobs_submitted_total counter\n"
		"gradebox_jobs_submitted_total %llu\n"
		"# HELP gradebox_jobs_refused_total Submissions refused (bad job, queue full).\n"
		"# TYPE gradebox_jobs_refused_total counter\n"
		"gradebox_jobs_refused_total %llu\n"
		"# HELP gradebox_jobs_requeued_total Jobs stopped by a shutdown, graded again later.\n"
		"# TYPE gradebox_jobs_requeued_total counter\n"
		"gradebox_jobs_requeued_total %llu\n"
		"# HELP gradebox_queue_length Jobs waiting for a slot.\n"
		"# TYPE gradebox_queue_length gauge\n"
		"gradebox_queue_length %u\n"
		"# HELP gradebox_slots_busy Slots grading a job.\n"
		"# TYPE gradebox_slots_busy gauge\n"
		"gradebox_slots_busy %u\n"
		"# HELP gradebox_slots Grading slots.\n"
		"# TYPE gradebox_slots gauge\n"
		"gradebox_slots %u\n"
		"# HELP gradebox_daemon_cpu_seconds_total CPU time of the daemon itself "
		"(not its graders).\n"
		"# TYPE gradebox_daemon_cpu_seconds_total counter\n"
		"gradebox_daemon_cpu_seconds_total %.6f\n",
		(unsigned long long)m->submitted, (unsigned long long)m->refused,
		(unsigned long long)m->requeued, queued, busy, slots, cpu);
	hist_render(f, "gradebox_grading_seconds", "Seconds from a job's start to its result.",
		    &m->grading);
	hist_render(f, "gradebox_queue_wait_seconds", "Seconds a job waited for a slot.",
		    &m->wait);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
