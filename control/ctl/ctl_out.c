/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl: output (see ctl.h). Errors are one line on stderr. Tables are
 * collected whole, then printed with each column as wide as its widest cell,
 * like `ip` and `ovs-appctl`; replies of any shape print as key/value lines
 * and tables; the generic formatters of the command table (an object, a list)
 * are here too.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

struct ctl_table {
	size_t n_cols;
	size_t n_rows, cap_rows;
	char **cells; /* row-major, (n_rows + 1) * n_cols, row 0 = headers */
	size_t *width;
};

/* "anyway-ctl: <message><tail>" on stderr. */
static void
report(const char *tail, const char *fmt, va_list ap)
{
	fprintf(stderr, CTL_PROG ": ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "%s\n", tail);
}

int
ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(" (see " CTL_PROG " --help)", fmt, ap);
	va_end(ap);
	return CTL_USAGE;
}

int
ctl_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("", fmt, ap);
	va_end(ap);
	return CTL_ERR;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (d == NULL) {
		fprintf(stderr, CTL_PROG ": out of memory\n");
		exit(CTL_ERR);
	}
	return d;
}

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (q == NULL) {
		fprintf(stderr, CTL_PROG ": out of memory\n");
		exit(CTL_ERR);
	}
	return q;
}

struct ctl_table *
ctl_table_new(const char *const *headers)
{
	struct ctl_table *t = xrealloc(NULL, sizeof(*t));

	memset(t, 0, sizeof(*t));
	while (headers[t->n_cols] != NULL)
		t->n_cols++;
	t->width = xrealloc(NULL, t->n_cols * sizeof(size_t));
	memset(t->width, 0, t->n_cols * sizeof(size_t));
	ctl_table_row(t, headers); /* row 0, not counted in n_rows */
	return t;
}

void
ctl_table_row(struct ctl_table *t, const char *const *cells)
{
	size_t row = t->cells == NULL ? 0 : t->n_rows + 1;

	if (row + 1 > t->cap_rows) {
		t->cap_rows = t->cap_rows ? t->cap_rows * 2 : 16;
		t->cells = xrealloc(t->cells, t->cap_rows * t->n_cols * sizeof(char *));
	}
	for (size_t i = 0; i < t->n_cols; i++) {
		char *c = xstrdup(cells[i]);
		size_t w = strlen(c);
		t->cells[row * t->n_cols + i] = c;
		if (w > t->width[i])
			t->width[i] = w;
	}
	if (row > 0)
		t->n_rows++;
}

/* Prints the rows (the header row too when header) and frees t. */
static void
table_emit(struct ctl_table *t, bool header)
{
	for (size_t r = header ? 0 : 1; r <= t->n_rows; r++) {
		for (size_t i = 0; i < t->n_cols; i++) {
			const char *c = t->cells[r * t->n_cols + i];
			if (i + 1 == t->n_cols)
				printf("%s\n", c); /* no trailing blanks */
			else
				printf("%-*s  ", (int)t->width[i], c);
		}
	}
	ctl_table_free(t);
}

void
ctl_table_print(struct ctl_table *t)
{
	table_emit(t, true);
}

void
ctl_table_free(struct ctl_table *t)
{
	for (size_t k = 0; k < (t->n_rows + 1) * t->n_cols; k++)
		free(t->cells[k]);
	free(t->cells);
	free(t->width);
	free(t);
}

char *
ctl_cell(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return xstrdup("-");
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return s ? s : xstrdup("?");
}

static bool
skipped(const char *k, const char *const *skip)
{
	if (strcmp(k, "ok") == 0)
		return true;
	for (size_t i = 0; skip != NULL && skip[i] != NULL; i++)
		if (strcmp(skip[i], k) == 0)
			return true;
	return false;
}

static bool
is_table(const json_t *v)
{
	return json_is_array(v) && json_array_size(v) > 0 && json_is_object(json_array_get(v, 0));
}

/* Scalars (and nested objects, flattened) of obj as key/value rows. */
static void
collect_scalars(struct ctl_table *t, const json_t *obj, const char *prefix,
		const char *const *skip)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		if (prefix[0] == '\0' && skipped(k, skip))
			continue;
		char key[256];
		snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "." : "", k);
		if (json_is_object(v)) {
			collect_scalars(t, v, key, NULL);
			continue;
		}
		if (is_table(v))
			continue; /* printed as a table afterwards */
		char *cell = ctl_cell(v);
		const char *row[] = {key, cell};
		ctl_table_row(t, row);
		free(cell);
	}
}

void
ctl_print_object(const json_t *obj, const char *const *skip)
{
	static const char *const no_headers[] = {"", "", NULL};
	struct ctl_table *t = ctl_table_new(no_headers);
	const char *k;
	json_t *v;

	collect_scalars(t, obj, "", skip);
	table_emit(t, false); /* key/value lines: no header */
	json_object_foreach((json_t *)obj, k, v) {
		if (!is_table(v) || skipped(k, skip))
			continue;
		printf("\n%s:\n", k);
		ctl_print_array(v);
	}
}

void
ctl_print_array(const json_t *arr)
{
	json_t *keys = json_array(), *row;
	size_t i, j;

	if (json_array_size(arr) == 0) {
		printf("(none)\n");
		json_decref(keys);
		return;
	}
	json_array_foreach((json_t *)arr, i, row) {
		const char *k;
		json_t *v;
		if (!json_is_object(row))
			continue;
		json_object_foreach(row, k, v) {
			bool seen = false;
			json_t *e;
			json_array_foreach(keys, j, e) seen = seen || strcmp(json_string_value(e), k) == 0;
			if (!seen)
				json_array_append_new(keys, json_string(k));
		}
	}
	size_t n = json_array_size(keys);
	const char **hdr = xrealloc(NULL, (n + 1) * sizeof(char *));
	char **upper = xrealloc(NULL, (n + 1) * sizeof(char *));
	for (j = 0; j < n; j++) {
		upper[j] = xstrdup(json_string_value(json_array_get(keys, j)));
		for (char *p = upper[j]; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		hdr[j] = upper[j];
	}
	hdr[n] = NULL;
	struct ctl_table *t = ctl_table_new(hdr);
	json_array_foreach((json_t *)arr, i, row) {
		char **cells = xrealloc(NULL, (n + 1) * sizeof(char *));
		for (j = 0; j < n; j++)
			cells[j] = ctl_cell(json_object_get(row, json_string_value(
								    json_array_get(keys, j))));
		ctl_table_row(t, (const char *const *)cells);
		for (j = 0; j < n; j++)
			free(cells[j]);
		free(cells);
	}
	ctl_table_print(t);
	for (j = 0; j < n; j++)
		free(upper[j]);
	free(upper);
	free(hdr);
	json_decref(keys);
}

char *
ctl_endpoint_cell(const json_t *v)
{
	const json_t *a = json_object_get(v, "addr"), *p = json_object_get(v, "port");
	char buf[128];

	if (!json_is_string(a) || !json_is_integer(p))
		return ctl_cell(v);
	const char *addr = json_string_value(a);
	snprintf(buf, sizeof(buf), strchr(addr, ':') ? "[%s]:%lld" : "%s:%lld", addr,
		 (long long)json_integer_value(p));
	return xstrdup(buf);
}

char *
ctl_nonzero_cell(const json_t *obj)
{
	char buf[512] = "";
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		size_t n = strlen(buf);
		if (json_is_integer(v) && json_integer_value(v) != 0 && n < sizeof(buf))
			snprintf(buf + n, sizeof(buf) - n, "%s%s=%lld", n ? " " : "", k,
				 (long long)json_integer_value(v));
	}
	return xstrdup(buf[0] ? buf : "-");
}

void
ctl_print_nonzero(const char *title, const json_t *obj)
{
	const char *k;
	json_t *v;
	int n = 0;

	printf("%s:", title);
	json_object_foreach((json_t *)obj, k, v) {
		if (json_is_integer(v) && json_integer_value(v) != 0) {
			printf("%s %s %lld", n ? "," : "", k, (long long)json_integer_value(v));
			n++;
		}
	}
	printf("%s\n", n ? "" : " none");
}

/* One service's rows: its name and SID on the first destination only. */
static void
service_rows(struct ctl_table *t, const json_t *s)
{
	char *svc = ctl_cell(json_object_get(s, "service"));
	char *sid = ctl_cell(json_object_get(s, "sid"));
	const json_t *dests = json_object_get(s, "destinations");
	size_t j;
	json_t *d;

	if (json_array_size(dests) == 0) {
		const char *row[] = {svc, sid, "(none)", "-", "-"};
		ctl_table_row(t, row);
	}
	json_array_foreach((json_t *)dests, j, d) {
		char *ep = ctl_endpoint_cell(d);
		char *pr = ctl_cell(json_object_get(d, "priority"));
		char *w = ctl_cell(json_object_get(d, "weight"));
		const char *row[] = {j == 0 ? svc : "", j == 0 ? sid : "", ep, pr, w};
		ctl_table_row(t, row);
		free(ep), free(pr), free(w);
	}
	free(svc), free(sid);
}

void
ctl_print_services(const json_t *services)
{
	static const char *const hdr[] = {"SERVICE", "SID", "DESTINATION", "PRIORITY", "WEIGHT",
					  NULL};
	size_t i;
	json_t *s;

	if (json_array_size(services) == 0) {
		printf("(none)\n");
		return;
	}
	struct ctl_table *t = ctl_table_new(hdr);
	json_array_foreach((json_t *)services, i, s) service_rows(t, s);
	ctl_table_print(t);
}

int
ctl_reply_array(const struct ctl_cmd *c, const json_t *reply, const char *key,
		const json_t **arr)
{
	*arr = json_object_get(reply, key);
	if (!json_is_array(*arr))
		return ctl_error("%s: %s: reply has no '%s' array", ctl_peer_name(c->peer), c->op,
				 key);
	return CTL_OK;
}

/* The reply (or its member c->key) as key/value lines and tables. */
int
ctl_show_object(const struct ctl_cmd *c, const json_t *reply)
{
	ctl_print_object(c->key != NULL ? json_object_get(reply, c->key) : reply, NULL);
	return CTL_OK;
}

/* The array c->key of the reply as a table. */
int
ctl_show_list(const struct ctl_cmd *c, const json_t *reply)
{
	const json_t *arr;
	int rc = ctl_reply_array(c, reply, c->key, &arr);

	if (rc == CTL_OK)
		ctl_print_array(arr);
	return rc;
}
