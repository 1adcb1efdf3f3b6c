/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reg_ckconf — a service's health-check and drain keys (SPEC §11), taken out
 * of its JSON object (file entry or the flags that follow --service) before
 * the rest is validated as a register message:
 *   check              "tcp" | "none" | "http:/PATH" | "https:/PATH"   (tcp)
 *   rise, fall         passes / failures in a row to register / withdraw (2, 3)
 *   expect_status      "200,204,300-399" or [200, "300-399"]           (200-399)
 *   expect_body        a substring of the first 64 KiB of the body
 *   check_timeout_ms   per check (2000); check_interval_ms (--check-interval-ms)
 *   ca_file, tls_verify  https: CA bundle (the system's), verification (true)
 *   drain              register with weight 0: no new flows (false)
 * Every error names the key: "services[0].rise: expected integer 1..100, got 0".
 * Contract: main thread (start-up and SIGHUP reload).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reg.h"

#define PROG "anyway-registrar"

static int
bad(const char *where, const char *key, const char *what)
{
	fprintf(stderr, PROG ": %s%s: %s\n", where, key, what);
	return -1;
}

static int
set_kind(struct reg_check_conf *ck, const char *v, const char *where)
{
	size_t skip = strncmp(v, "http:", 5) == 0 ? 5 : strncmp(v, "https:", 6) == 0 ? 6 : 0;

	if (strcmp(v, "tcp") == 0) {
		ck->kind = CHECK_TCP;
	} else if (strcmp(v, "none") == 0) {
		ck->kind = CHECK_NONE;
	} else if (skip > 0 && v[skip] == '/' && strlen(v + skip) < sizeof(ck->http_path) &&
		   strpbrk(v + skip, " \r\n\t#") == NULL) {
		ck->kind = skip == 5 ? CHECK_HTTP : CHECK_HTTPS;
		snprintf(ck->http_path, sizeof(ck->http_path), "%s", v + skip);
	} else {
		fprintf(stderr,
			PROG ": %scheck: expected tcp, none, http:/PATH or https:/PATH (the path "
			     "starts with '/'), got '%.80s'\n",
			where, v);
		return -1;
	}
	return 0;
}

/* Integer key in lo..hi into *out (absent: unchanged). */
static int
get_uint(json_t *o, const char *where, const char *key, long long lo, long long hi, uint32_t *out)
{
	json_t *v = json_object_get(o, key);
	char what[96];

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		if (json_is_integer(v))
			snprintf(what, sizeof(what), "expected integer %lld..%lld, got %lld", lo, hi,
				 json_integer_value(v));
		else
			snprintf(what, sizeof(what), "expected integer %lld..%lld", lo, hi);
		return bad(where, key, what);
	}
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

/* "200" or "300-399" into one range. */
static int
status_item(struct reg_check_conf *ck, const char *t, const char *where)
{
	char *end;
	long lo = strtol(t, &end, 10), hi = lo;

	if (end != t && *end == '-')
		hi = strtol(end + 1, &end, 10);
	if (end == t || *end != '\0' || lo < 100 || hi > 599 || lo > hi) {
		fprintf(stderr, PROG ": %sexpect_status: expected status codes 100..599 or ranges "
				"like 200-399, got '%.40s'\n", where, t);
		return -1;
	}
	if (ck->n_status >= REG_MAX_STATUS_RANGES)
		return bad(where, "expect_status", "at most 8 codes or ranges");
	ck->status_lo[ck->n_status] = (uint16_t)lo;
	ck->status_hi[ck->n_status++] = (uint16_t)hi;
	return 0;
}

static int
get_status(struct reg_check_conf *ck, json_t *v, const char *where)
{
	char buf[256], *save = NULL;
	size_t i;
	json_t *x;

	if (json_is_string(v)) {
		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
		for (char *t = strtok_r(buf, ", ", &save); t != NULL; t = strtok_r(NULL, ", ", &save))
			if (status_item(ck, t, where) < 0)
				return -1;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (json_is_integer(x))
				snprintf(buf, sizeof(buf), "%lld", json_integer_value(x));
			else if (json_is_string(x))
				snprintf(buf, sizeof(buf), "%s", json_string_value(x));
			else
				return bad(where, "expect_status", "expected codes (integers) or ranges (strings)");
			if (status_item(ck, buf, where) < 0)
				return -1;
		}
	} else {
		return bad(where, "expect_status", "expected a string like \"200,300-399\" or an array");
	}
	if (ck->n_status == 0)
		return bad(where, "expect_status", "expected at least one code");
	return 0;
}

static int
get_string(json_t *o, const char *where, const char *key, char *out, size_t len)
{
	json_t *v = json_object_get(o, key);
	char what[64];

	if (v == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= len ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(what, sizeof(what), "expected a string of 1..%zu characters", len - 1);
		return bad(where, key, what);
	}
	snprintf(out, len, "%s", json_string_value(v));
	return 0;
}

static int
get_bool(json_t *o, const char *where, const char *key, bool *out)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return bad(where, key, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

static int
parse(json_t *o, const char *where, struct reg_svc *s)
{
	struct reg_check_conf *ck = &s->ck;
	json_t *v = json_object_get(o, "check");
	bool http;

	if (v != NULL && !json_is_string(v))
		return bad(where, "check", "expected string");
	if (set_kind(ck, v != NULL ? json_string_value(v) : "tcp", where) < 0 ||
	    get_uint(o, where, "rise", 1, 100, &ck->rise) < 0 ||
	    get_uint(o, where, "fall", 1, 100, &ck->fall) < 0 ||
	    get_uint(o, where, "check_timeout_ms", 100, 60000, &ck->timeout_ms) < 0 ||
	    get_uint(o, where, "check_interval_ms", 100, 3600000, &ck->interval_ms) < 0 ||
	    get_string(o, where, "expect_body", ck->expect_body, sizeof(ck->expect_body)) < 0 ||
	    get_string(o, where, "ca_file", ck->ca_file, sizeof(ck->ca_file)) < 0 ||
	    get_bool(o, where, "tls_verify", &ck->tls_verify) < 0 || get_bool(o, where, "drain", &s->drain) < 0)
		return -1;
	if ((v = json_object_get(o, "expect_status")) != NULL && get_status(ck, v, where) < 0)
		return -1;
	http = ck->kind == CHECK_HTTP || ck->kind == CHECK_HTTPS;
	if (!http && (ck->n_status > 0 || ck->expect_body[0] != '\0'))
		return bad(where, ck->n_status > 0 ? "expect_status" : "expect_body",
			   "only with an http:/PATH or https:/PATH check");
	if (ck->kind != CHECK_HTTPS && (ck->ca_file[0] != '\0' || json_object_get(o, "tls_verify")))
		return bad(where, ck->ca_file[0] ? "ca_file" : "tls_verify", "only with an https:/PATH check");
	if (ck->ca_file[0] != '\0' && access(ck->ca_file, R_OK) != 0)
		return bad(where, "ca_file", "cannot read the file");
	return 0;
}

int
reg_ckconf_take(json_t *o, const char *where, struct reg_svc *s)
{
	static const char *const keys[] = {"check", "rise", "fall", "expect_status", "expect_body",
					   "check_timeout_ms", "check_interval_ms", "ca_file",
					   "tls_verify", "drain"};

	memset(&s->ck, 0, sizeof(s->ck));
	s->ck.rise = REG_RISE;
	s->ck.fall = REG_FALL;
	s->ck.timeout_ms = REG_CHECK_TIMEOUT_MS;
	s->ck.tls_verify = true;
	s->drain = false;
	if (parse(o, where, s) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_del(o, keys[i]);
	return 0;
}
