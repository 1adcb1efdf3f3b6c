/* SPDX-License-Identifier: BSD-3-Clause */
/* aw_msg field helpers: typed, range-checked member access with path errors. */
#include "aw_msg_priv.h"
#include "aw_hex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>


void
aw_msg_sanitize(const char *s, char *out, size_t n)
{
	size_t i = 0;

	for (; s[i] != '\0' && i + 1 < n; i++)
		out[i] = (s[i] >= 0x20 && s[i] <= 0x7e) ? s[i] : '?';
	out[i] = '\0';
}

const char *
aw_msg_json_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "real";
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

static bool
key_in(const char *key, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(key, *list) == 0)
			return true;
	return false;
}

int
aw_msg_check_keys(const json_t *obj, const char *pfx, const char *const *keys,
		  const char *const *extra, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		if (!key_in(key, keys) && !key_in(key, extra)) {
			char safe[64];

			aw_msg_sanitize(key, safe, sizeof(safe));
			return aw_msg_fail(err, errlen, "%s%s: unknown field", pfx, safe);
		}
	}
	return 0;
}

int
aw_msg_want_object(const json_t *v, const char *pfx, const char *key, char *err, size_t errlen)
{
	if (json_is_object(v))
		return 0;
	return aw_msg_fail(err, errlen, "%s%s: expected object, got %s", pfx, key,
			   aw_msg_json_type(v));
}

/* The member, or NULL with rc set: AW_FIELD_ABSENT (optional) or -1 (required). */
static const json_t *
lookup(const json_t *obj, const char *pfx, const char *key, bool required, int *rc, char *err,
       size_t errlen)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL)
		*rc = required ? aw_msg_fail(err, errlen, "%s%s: missing required field", pfx, key)
			       : AW_FIELD_ABSENT;
	return v;
}

int
aw_msg_get_uint(const json_t *obj, const char *pfx, const char *key, bool required,
		uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	int rc = 0;
	const json_t *v = lookup(obj, pfx, key, required, &rc, err, errlen);
	json_int_t x;

	if (v == NULL)
		return rc;
	if (!json_is_integer(v))
		return aw_msg_fail(err, errlen, "%s%s: expected integer %llu..%llu, got %s", pfx,
				   key, (unsigned long long)min, (unsigned long long)max,
				   aw_msg_json_type(v));
	x = json_integer_value(v);
	if (x < 0 || (uint64_t)x < min || (uint64_t)x > max)
		return aw_msg_fail(err, errlen, "%s%s: expected integer %llu..%llu, got %lld", pfx,
				   key, (unsigned long long)min, (unsigned long long)max,
				   (long long)x);
	*out = (uint64_t)x;
	return 0;
}

int
aw_msg_get_u16(const json_t *obj, const char *pfx, const char *key, bool required,
	       uint16_t min, uint16_t *out, char *err, size_t errlen)
{
	uint64_t x;
	int rc = aw_msg_get_uint(obj, pfx, key, required, min, UINT16_MAX, &x, err, errlen);

	if (rc == 0)
		*out = (uint16_t)x;
	return rc;
}

int
aw_msg_get_u32(const json_t *obj, const char *pfx, const char *key, bool required,
	       uint32_t min, uint32_t max, uint32_t *out, char *err, size_t errlen)
{
	uint64_t x;
	int rc = aw_msg_get_uint(obj, pfx, key, required, min, max, &x, err, errlen);

	if (rc == 0)
		*out = (uint32_t)x;
	return rc;
}

/* v as a string with its length, or NULL with rc = -1 and err written. */
static const char *
string_value(const json_t *v, const char *pfx, const char *key, const char *what, size_t *len,
	     int *rc, char *err, size_t errlen)
{
	if (!json_is_string(v)) {
		*rc = aw_msg_fail(err, errlen, "%s%s: expected %s, got %s", pfx, key, what,
				  aw_msg_json_type(v));
		return NULL;
	}
	*len = json_string_length(v);
	return json_string_value(v);
}

/* A string member with its length, or NULL with rc set as lookup(). */
static const char *
get_string(const json_t *obj, const char *pfx, const char *key, const char *what, size_t *len,
	   int *rc, char *err, size_t errlen)
{
	const json_t *v = lookup(obj, pfx, key, true, rc, err, errlen);

	return v == NULL ? NULL : string_value(v, pfx, key, what, len, rc, err, errlen);
}

static int
str_value(const json_t *v, const char *pfx, const char *key, char *out, char *err,
	  size_t errlen)
{
	static const char what[] = "string of 1..255 printable ASCII characters";
	size_t len = 0;
	int rc = 0;
	const char *s = string_value(v, pfx, key, what, &len, &rc, err, errlen);

	if (s == NULL)
		return rc;
	if (len == 0 || len > AW_MSG_URI_MAX)
		return aw_msg_fail(err, errlen, "%s%s: expected %s, got %zu characters", pfx, key,
				   what, len);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return aw_msg_fail(err, errlen,
					   "%s%s: byte %zu is 0x%02x, not printable ASCII", pfx,
					   key, i, (unsigned char)s[i]);
	memset(out, 0, AW_MSG_URI_MAX + 1);
	memcpy(out, s, len);
	return 0;
}

int
aw_msg_get_str(const json_t *obj, const char *pfx, const char *key, char *out, char *err,
	       size_t errlen)
{
	int rc = 0;
	const json_t *v = lookup(obj, pfx, key, true, &rc, err, errlen);

	return v == NULL ? rc : str_value(v, pfx, key, out, err, errlen);
}

int
aw_msg_uri_from_json(const json_t *v, const char *path, char out[AW_MSG_URI_MAX + 1],
		     char *err, size_t errlen)
{
	if (v == NULL)
		return aw_msg_fail(err, errlen, "%s: missing required field", path);
	return str_value(v, "", path, out, err, errlen);
}

int
aw_msg_get_hex(const json_t *obj, const char *pfx, const char *key, uint8_t *out,
	       size_t nbytes, char *err, size_t errlen)
{
	char what[32];
	size_t len = 0;
	int rc = 0;
	const char *s;

	snprintf(what, sizeof(what), "%zu hex digits", 2 * nbytes);
	s = get_string(obj, pfx, key, what, &len, &rc, err, errlen);
	if (s == NULL)
		return rc;
	if (len != 2 * nbytes)
		return aw_msg_fail(err, errlen, "%s%s: expected %s, got %zu characters", pfx, key,
				   what, len);
	for (size_t i = 0; i < len; i++)
		if (aw_hex_digit((unsigned char)s[i]) < 0)
			return aw_msg_fail(err, errlen,
					   "%s%s: byte %zu is 0x%02x, not a hex digit", pfx, key,
					   i, (unsigned char)s[i]);
	for (size_t i = 0; i < nbytes; i++)
		out[i] = (uint8_t)(aw_hex_digit((unsigned char)s[2 * i]) << 4 |
				   aw_hex_digit((unsigned char)s[2 * i + 1]));
	return 0;
}

int
aw_msg_get_addr(const json_t *obj, const char *pfx, const char *key, struct aw_addr *out,
		char *err, size_t errlen)
{
	static const char what[] = "IPv4 or IPv6 address";
	char why[128];
	size_t len = 0;
	int rc = 0;
	const char *s = get_string(obj, pfx, key, what, &len, &rc, err, errlen);

	if (s == NULL)
		return rc;
	if (len == 0 || len >= AW_ADDR_STRLEN)
		return aw_msg_fail(err, errlen, "%s%s: expected %s, got %zu characters", pfx, key,
				   what, len);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] > 0x7e)
			return aw_msg_fail(err, errlen, "%s%s: expected %s, byte %zu is 0x%02x",
					   pfx, key, what, i, (unsigned char)s[i]);
	if (aw_addr_parse(s, out, why, sizeof(why)) < 0)
		return aw_msg_fail(err, errlen, "%s%s: %s", pfx, key, why);
	return 0;
}

