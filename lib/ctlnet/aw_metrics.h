/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_metrics — a tiny OpenMetrics 1.0.0 text writer (SPEC §11): metric
 * families (counter, gauge, info) with HELP/TYPE lines, then samples with
 * labels. Counters' samples get the "_total" suffix and infos' "_info", so a
 * caller names the family once ("anyway_mapd_pushes") and cannot get the
 * suffix wrong. Label values and HELP text are escaped (\\ \" \n).
 *
 * Contract: no EAL, no I/O; one writer per thread. Memory failures are
 * sticky (w->oom): the text is then incomplete and must not be served.
 * Names are the caller's constants and must match [a-zA-Z_:][a-zA-Z0-9_:]*
 * (checked: a bad name sets w->bad_name and writes nothing for it).
 */
#ifndef AW_METRICS_H
#define AW_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum aw_metric_type { AW_METRIC_COUNTER, AW_METRIC_GAUGE, AW_METRIC_INFO };

#define AW_METRICS_CONTENT_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define AW_METRICS_NAME_MAX 128

struct aw_metrics {
	char *buf;
	size_t len, cap;
	bool oom, bad_name;
	enum aw_metric_type type; /* of the current family */
	char family[AW_METRICS_NAME_MAX];
};

void aw_metrics_init(struct aw_metrics *w);
void aw_metrics_free(struct aw_metrics *w);
/* Start a family: "# TYPE name type" and "# HELP name help". */
void aw_metrics_family(struct aw_metrics *w, const char *name, enum aw_metric_type type,
		       const char *help);
/* One sample of the current family. Labels follow as name, value pairs of
 * strings, ended by NULL: aw_metrics_u64(w, 3, "role", "admin", NULL). */
void aw_metrics_u64(struct aw_metrics *w, uint64_t v, ...) __attribute__((sentinel));
void aw_metrics_f64(struct aw_metrics *w, double v, ...) __attribute__((sentinel));
/* "# EOF"; the text is then w->buf[0..w->len). */
void aw_metrics_end(struct aw_metrics *w);
/* Is name a valid metric or label name? */
bool aw_metrics_name_ok(const char *name, bool label);

#endif /* AW_METRICS_H */
