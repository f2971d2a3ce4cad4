/* metrics: the queue daemon's counters and histograms, rendered in the
 * Prometheus text format (version 0.0.4). */
#ifndef GB_METRICS_H
#define GB_METRICS_H

#include <stdint.h>

/* Upper bounds (seconds) of the histogram buckets, +Inf implied: from a
 * trivial job (tens of ms) to INGInious's longest usual limits. */
#define GB_METRICS_BUCKETS \
	{ 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600 }
#define GB_METRICS_NBUCKETS 15
/* The results of the contract, then "other" for anything else. */
#define GB_METRICS_RESULTS \
	{ "success", "failed", "timeout", "overflow", "crash", "killed", "error" }
#define GB_METRICS_NRESULTS 7

struct gb_hist {
	uint64_t counts[GB_METRICS_NBUCKETS + 1]; /* per bucket, last = +Inf */
	uint64_t n;
	double sum;
};

struct gb_metrics {
	uint64_t results[GB_METRICS_NRESULTS + 1];
	uint64_t submitted, refused, requeued;
	struct gb_hist grading, wait;
};

/* A finished job: its result name, seconds queued, seconds grading. */
void gb_metrics_job(struct gb_metrics *m, const char *result, double wait_s, double grading_s);
/* The gauges are the caller's: queued jobs, busy and total slots. Returns
 * a malloc'd text, NULL without memory. */
char *gb_metrics_render(const struct gb_metrics *m, unsigned queued, unsigned busy,
			unsigned slots);

#endif
