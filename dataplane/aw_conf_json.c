/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_conf_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_hex.h"

int
aw_jc_bad(struct aw_jctx *c, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->file != NULL)
		snprintf(c->err, c->errlen, "%s: %s: %s", c->file, path, msg);
	else
		snprintf(c->err, c->errlen, "%s: %s", path, msg);
	return -1;
}

const char *
aw_jc_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

/* Rejects keys not in `allowed` (NULL-terminated); names what was allowed. */
int
aw_jc_check_keys(struct aw_jctx *c, json_t *obj, const char *path, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach (obj, key, v) {
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (!ok) {
			char list[256] = "";
			for (const char *const *a = allowed; *a; a++) {
				strncat(list, *a, sizeof(list) - strlen(list) - 3);
				if (a[1])
					strncat(list, ", ", sizeof(list) - strlen(list) - 1);
			}
			return aw_jc_bad(c, path[0] ? path : "(top level)",
				   "unknown key '%s' (expected one of: %s)", key, list);
		}
	}
	return 0;
}

void
aw_jc_subpath(char *out, size_t len, const char *path, const char *key)
{
	snprintf(out, len, "%s%s%s", path, path[0] ? "." : "", key);
}

int
aw_jc_get_uint(struct aw_jctx *c, json_t *obj, const char *path, const char *key, uint64_t lo,
	 uint64_t hi, uint64_t def, uint64_t *out)
{
	char p[160];
	json_t *v = json_object_get(obj, key);

	aw_jc_subpath(p, sizeof(p), path, key);
	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v))
		return aw_jc_bad(c, p, "expected integer %llu..%llu, got %s", (unsigned long long)lo,
			   (unsigned long long)hi, aw_jc_type_name(v));
	json_int_t x = json_integer_value(v);
	if (x < 0 || (uint64_t)x < lo || (uint64_t)x > hi)
		return aw_jc_bad(c, p, "expected integer %llu..%llu, got %lld", (unsigned long long)lo,
			   (unsigned long long)hi, (long long)x);
	*out = (uint64_t)x;
	return 0;
}

int
aw_jc_get_string(struct aw_jctx *c, json_t *obj, const char *path, const char *key, bool required,
	   const char **out)
{
	char p[160];
	json_t *v = json_object_get(obj, key);

	aw_jc_subpath(p, sizeof(p), path, key);
	*out = NULL;
	if (v == NULL)
		return required ? aw_jc_bad(c, p, "required key missing") : 0;
	if (!json_is_string(v))
		return aw_jc_bad(c, p, "expected string, got %s", aw_jc_type_name(v));
	*out = json_string_value(v);
	return 0;
}

int
aw_jc_get_array(struct aw_jctx *c, json_t *obj, const char *path, const char *key, bool required,
	  size_t max, json_t **out)
{
	char p[160];
	json_t *v = json_object_get(obj, key);

	aw_jc_subpath(p, sizeof(p), path, key);
	*out = NULL;
	if (v == NULL)
		return required ? aw_jc_bad(c, p, "required key missing") : 0;
	if (!json_is_array(v))
		return aw_jc_bad(c, p, "expected array, got %s", aw_jc_type_name(v));
	if (json_array_size(v) > max)
		return aw_jc_bad(c, p, "at most %zu entries, got %zu", max, json_array_size(v));
	*out = v;
	return 0;
}

int
aw_jc_parse_addr(struct aw_jctx *c, const char *path, const char *s, struct aw_addr *out)
{
	char e[128];

	if (aw_addr_parse(s, out, e, sizeof(e)) < 0)
		return aw_jc_bad(c, path, "%s", e);
	return 0;
}


int
aw_jc_parse_list(struct aw_jctx *c, json_t *root, const char *key, size_t max, size_t elem_size,
	   aw_jc_elem_fn fn, const struct aw_config *cfg, void **out, unsigned *n)
{
	json_t *arr, *v;
	size_t i;
	char p[64];

	if (aw_jc_get_array(c, root, "", key, false, max, &arr) < 0)
		return -1;
	*n = 0;
	if (arr == NULL || json_array_size(arr) == 0)
		return 0;
	*out = calloc(json_array_size(arr), elem_size);
	if (*out == NULL)
		return aw_jc_bad(c, key, "out of memory");
	json_array_foreach (arr, i, v) {
		snprintf(p, sizeof(p), "%s[%zu]", key, i);
		if (fn(c, v, p, cfg, (char *)*out + i * elem_size) < 0)
			return -1;
	}
	*n = (unsigned)i;
	return 0;
}

int
aw_jc_parse_hex(struct aw_jctx *c, json_t *v, const char *path, uint8_t *out, size_t n)
{
	if (!json_is_string(v))
		return aw_jc_bad(c, path, "expected a string of %zu hex digits, got %s", 2 * n,
				 aw_jc_type_name(v));
	const char *s = json_string_value(v);
	if (strlen(s) != 2 * n)
		return aw_jc_bad(c, path, "expected %zu hex digits, got %zu characters", 2 * n,
				 strlen(s));
	for (size_t i = 0; i < n; i++) {
		int hi = aw_hex_digit(s[2 * i]), lo = aw_hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			size_t at = hi < 0 ? 2 * i : 2 * i + 1;
			unsigned char ch = (unsigned char)s[at];
			if (ch >= 0x20 && ch <= 0x7e)
				return aw_jc_bad(c, path, "expected %zu hex digits, got '%c' at %zu",
						 2 * n, ch, at);
			return aw_jc_bad(c, path, "expected %zu hex digits, got byte 0x%02x at %zu",
					 2 * n, ch, at);
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
