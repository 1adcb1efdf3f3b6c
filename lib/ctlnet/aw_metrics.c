/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_metrics — OpenMetrics text writer; see aw_metrics.h.
 */
#include "aw_metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
aw_metrics_init(struct aw_metrics *w)
{
	memset(w, 0, sizeof(*w));
}

void
aw_metrics_free(struct aw_metrics *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static bool
reserve(struct aw_metrics *w, size_t more)
{
	size_t cap;
	char *nb;

	if (w->oom)
		return false;
	if (w->len + more + 1 <= w->cap)
		return true;
	cap = w->cap ? w->cap : 4096;
	while (cap < w->len + more + 1)
		cap *= 2;
	nb = realloc(w->buf, cap);
	if (!nb) {
		w->oom = true;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

static void
put(struct aw_metrics *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void
puts_(struct aw_metrics *w, const char *s)
{
	put(w, s, strlen(s));
}

/* Label values and HELP text: backslash, double quote and newline escaped. */
static void
put_escaped(struct aw_metrics *w, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			put(w, "\\\\", 2);
		else if (*s == '"')
			put(w, "\\\"", 2);
		else if (*s == '\n')
			put(w, "\\n", 2);
		else
			put(w, s, 1);
	}
}

bool
aw_metrics_name_ok(const char *name, bool label)
{
	size_t n = strlen(name);

	if (n == 0 || n >= AW_METRICS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			     (c == ':' && !label);

		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

static const char *const type_names[] = {"counter", "gauge", "info"};
static const char *const type_suffix[] = {"_total", "", "_info"};

void
aw_metrics_family(struct aw_metrics *w, const char *name, enum aw_metric_type type,
		  const char *help)
{
	if (!aw_metrics_name_ok(name, false) || (unsigned)type > AW_METRIC_INFO) {
		w->bad_name = true;
		w->family[0] = '\0';
		return;
	}
	snprintf(w->family, sizeof(w->family), "%s", name);
	w->type = type;
	puts_(w, "# TYPE ");
	puts_(w, name);
	puts_(w, " ");
	puts_(w, type_names[type]);
	puts_(w, "\n# HELP ");
	puts_(w, name);
	puts_(w, " ");
	put_escaped(w, help);
	puts_(w, "\n");
}

/* name{l="v",...} then the caller writes " value\n". false: nothing written. */
static bool
sample_head(struct aw_metrics *w, va_list ap)
{
	const char *k, *v;
	bool first = true;

	if (!w->family[0]) {
		w->bad_name = true;
		return false;
	}
	puts_(w, w->family);
	puts_(w, type_suffix[w->type]);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (!aw_metrics_name_ok(k, true) || !v) {
			w->bad_name = true;
			continue;
		}
		puts_(w, first ? "{" : ",");
		puts_(w, k);
		puts_(w, "=\"");
		put_escaped(w, v);
		puts_(w, "\"");
		first = false;
	}
	if (!first)
		puts_(w, "}");
	return true;
}

/* One sample: name{labels} then num (" value\n"). */
static void
sample(struct aw_metrics *w, const char *num, va_list ap)
{
	if (sample_head(w, ap))
		puts_(w, num);
}

void
aw_metrics_u64(struct aw_metrics *w, uint64_t v, ...)
{
	char num[32];
	va_list ap;

	snprintf(num, sizeof(num), " %llu\n", (unsigned long long)v);
	va_start(ap, v);
	sample(w, num, ap);
	va_end(ap);
}

void
aw_metrics_f64(struct aw_metrics *w, double v, ...)
{
	char num[48];
	va_list ap;

	if (isnan(v))
		snprintf(num, sizeof(num), " NaN\n");
	else if (isinf(v))
		snprintf(num, sizeof(num), " %s\n", v > 0 ? "+Inf" : "-Inf");
	else
		snprintf(num, sizeof(num), " %.15g\n", v);
	va_start(ap, v);
	sample(w, num, ap);
	va_end(ap);
}

void
aw_metrics_end(struct aw_metrics *w)
{
	puts_(w, "# EOF\n");
}
