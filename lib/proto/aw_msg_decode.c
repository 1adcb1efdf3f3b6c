/* SPDX-License-Identifier: BSD-3-Clause */
/* aw_msg decode: one JSON line to a validated struct aw_msg (see aw_msg.h). */
#include "aw_msg_check.h"
#include "aw_msg_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INT63_MAX ((uint64_t)INT64_MAX)

static const char *const relay_keys[] = {"path_id",        "tunnel_key", "suite",
					 "idle_timeout_s", "bind_timeout_s", "rate",
					 NULL};

/* "[3]." style prefix of element i of the array at path. */
void
aw_msg_elem_pfx(char *buf, size_t n, const char *path, uint32_t i)
{
	snprintf(buf, n, "%s[%u].", path, i);
}

int
aw_msg_want_array(const json_t *v, const char *path, size_t max, char *err, size_t errlen)
{
	if (v == NULL)
		return aw_msg_fail(err, errlen, "%s: missing required field", path);
	if (!json_is_array(v))
		return aw_msg_fail(err, errlen, "%s: expected array, got %s", path,
				   aw_msg_json_type(v));
	if (json_array_size(v) > max)
		return aw_msg_fail(err, errlen, "%s: %zu entries, at most %zu allowed", path,
				   json_array_size(v), max);
	return 0;
}

/* An array element must be an object with only the given keys. */
int
aw_msg_want_entry(const json_t *v, const char *pfx, const char *const *keys, char *err, size_t errlen)
{
	if (!json_is_object(v)) {
		/* pfx ends in '.', which the message leaves out */
		return aw_msg_fail(err, errlen, "%.*s: expected object, got %s",
				   (int)strlen(pfx) - 1, pfx, aw_msg_json_type(v));
	}
	return aw_msg_check_keys(v, pfx, keys, NULL, err, errlen);
}

struct dupkey {
	const void *key;
	size_t len;
	uint32_t idx;
};

static int
dupkey_cmp(const void *a, const void *b)
{
	const struct dupkey *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->len);

	return c != 0 ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Duplicate keys (keylen bytes at keyoff in each of n elements of stride bytes):
 * 0 none, 1 with *first < *dup the two indexes, -1 out of memory. */
int
aw_msg_find_dup(const void *base, size_t stride, size_t keyoff, size_t keylen, uint32_t n,
	 uint32_t *first, uint32_t *dup)
{
	struct dupkey *k;
	int found = 0;

	if (n < 2)
		return 0;
	k = malloc(n * sizeof(*k));
	if (k == NULL)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		k[i] = (struct dupkey){(const char *)base + i * stride + keyoff, keylen, i};
	qsort(k, n, sizeof(*k), dupkey_cmp);
	for (uint32_t i = 1; i < n && !found; i++) {
		if (memcmp(k[i - 1].key, k[i].key, keylen) == 0) {
			*first = k[i - 1].idx;
			*dup = k[i].idx;
			found = 1;
		}
	}
	free(k);
	return found;
}

static int
dest_decode(const json_t *v, const char *pfx, struct aw_msg_dest *d, char *err, size_t errlen)
{
	static const char *const keys[] = {"addr", "port", "priority", "weight", NULL};

	if (aw_msg_want_entry(v, pfx, keys, err, errlen) < 0 ||
	    aw_msg_get_addr(v, pfx, "addr", &d->addr, err, errlen) < 0 ||
	    aw_msg_get_u16(v, pfx, "port", true, 1, &d->port, err, errlen) < 0 ||
	    aw_msg_get_u16(v, pfx, "priority", true, 0, &d->priority, err, errlen) < 0 ||
	    aw_msg_get_u16(v, pfx, "weight", true, 0, &d->weight, err, errlen) < 0)
		return -1;
	return 0;
}

static int
dests_decode(const json_t *arr, const char *path, struct aw_msg_dest **out, uint32_t *nout,
	     char *err, size_t errlen)
{
	char pfx[AW_PATH_MAX];
	struct aw_msg_dest *d = NULL;
	uint32_t n;

	if (aw_msg_want_array(arr, path, AW_MSG_MAX_DESTS, err, errlen) < 0)
		return -1;
	n = (uint32_t)json_array_size(arr);
	if (n > 0 && (d = calloc(n, sizeof(*d))) == NULL)
		return aw_msg_fail(err, errlen, "%s: out of memory", path);
	for (uint32_t i = 0; i < n; i++) {
		aw_msg_elem_pfx(pfx, sizeof(pfx), path, i);
		if (dest_decode(json_array_get(arr, i), pfx, &d[i], err, errlen) < 0)
			goto fail;
		for (uint32_t j = 0; j < i; j++) {
			char a[AW_ADDR_STRLEN];

			if (!aw_addr_eq(&d[j].addr, &d[i].addr) || d[j].port != d[i].port)
				continue;
			aw_addr_format(&d[i].addr, a, sizeof(a));
			aw_msg_fail(err, errlen, "%s[%u]: duplicate of %s[%u] (%s port %u)", path,
				    i, path, j, a, d[i].port);
			goto fail;
		}
	}
	*out = d;
	*nout = n;
	return 0;
fail:
	free(d);
	return -1;
}

#define L aw_relay_limits /* ranges: aw_msg_check.h */

static int
rate_decode(const json_t *v, const char *pfx, struct aw_msg_rate *r, char *err, size_t errlen)
{
	static const char *const keys[] = {"pps", "bps", "burst", NULL};
	char sub[AW_PATH_MAX];

	if (aw_msg_want_object(v, pfx, "rate", err, errlen) < 0)
		return -1;
	snprintf(sub, sizeof(sub), "%srate.", pfx);
	if (aw_msg_check_keys(v, sub, keys, NULL, err, errlen) < 0 ||
	    aw_msg_get_uint(v, sub, "pps", true, 0, L[AW_RELAY_LIM_PPS].max, &r->pps, err,
			    errlen) < 0 ||
	    aw_msg_get_uint(v, sub, "bps", true, 0, L[AW_RELAY_LIM_BPS].max, &r->bps, err,
			    errlen) < 0 ||
	    aw_msg_get_uint(v, sub, "burst", true, 1, L[AW_RELAY_LIM_BURST].max, &r->burst, err,
			    errlen) < 0)
		return -1;
	return 0; /* pps or bps above 0: aw_msg_relay_check */
}

/* Members of a relay entry (keys already checked). */
static int
relay_fields(const json_t *obj, const char *pfx, struct aw_msg_relay *r, char *err,
	     size_t errlen)
{
	const json_t *rate;
	uint64_t suite;

	memset(r, 0, sizeof(*r));
	r->idle_timeout_s = AW_MSG_IDLE_TIMEOUT_DEFAULT;
	r->bind_timeout_s = AW_MSG_BIND_TIMEOUT_DEFAULT;
	if (aw_msg_get_hex(obj, pfx, "path_id", r->path_id, AW_MSG_PATH_ID_LEN, err, errlen) < 0 ||
	    aw_msg_get_hex(obj, pfx, "tunnel_key", r->tunnel_key, AW_MSG_TUNNEL_KEY_LEN, err,
			   errlen) < 0 ||
	    aw_msg_get_uint(obj, pfx, "suite", true, 1, L[AW_RELAY_LIM_SUITE].max, &suite, err,
			    errlen) < 0 ||
	    aw_msg_get_u32(obj, pfx, "idle_timeout_s", false, 1, L[AW_RELAY_LIM_IDLE].max,
			   &r->idle_timeout_s, err, errlen) < 0 ||
	    aw_msg_get_u32(obj, pfx, "bind_timeout_s", false, 1, L[AW_RELAY_LIM_BIND].max,
			   &r->bind_timeout_s, err, errlen) < 0)
		return -1;
	r->suite = (uint8_t)suite;
	rate = json_object_get(obj, "rate");
	if (rate != NULL) {
		if (rate_decode(rate, pfx, &r->rate, err, errlen) < 0)
			return -1;
		r->has_rate = true;
	}
	/* the one validation the map server, the agent and the data plane share */
	struct aw_msg_check_err e;
	if (aw_msg_relay_check(r, "bps", &e) < 0)
		return aw_msg_fail(err, errlen, "%s%s: %s", pfx, e.key, e.msg);
	return 0;
}

/* service, sid, destinations of one service (keys already checked). */
static int
svc_fields(const json_t *obj, const char *pfx, struct aw_msg_svc *s, char *err, size_t errlen)
{
	char path[AW_PATH_MAX];
	uint8_t b[8];
	uint64_t sid = 0;

	if (aw_msg_get_str(obj, pfx, "service", s->service, err, errlen) < 0 ||
	    aw_msg_get_hex(obj, pfx, "sid", b, sizeof(b), err, errlen) < 0)
		return -1;
	for (int i = 0; i < 8; i++)
		sid = sid << 8 | b[i];
	s->sid = aw_msg_sid(s->service);
	if (sid != s->sid)
		return aw_msg_fail(err, errlen,
				   "%ssid: %016llx does not match SHA-256 of the service URI "
				   "(%016llx)",
				   pfx, (unsigned long long)sid, (unsigned long long)s->sid);
	snprintf(path, sizeof(path), "%sdestinations", pfx);
	return dests_decode(json_object_get(obj, "destinations"), path, &s->dests, &s->n_dests,
			    err, errlen);
}

static int
snapshot_services(const json_t *arr, struct aw_msg_snapshot *snap, char *err, size_t errlen)
{
	static const char *const keys[] = {"service", "sid", "destinations", NULL};
	char pfx[AW_PATH_MAX];
	uint32_t n, a, b;
	int dup;

	if (aw_msg_want_array(arr, "services", AW_MSG_MAX_SERVICES, err, errlen) < 0)
		return -1;
	n = (uint32_t)json_array_size(arr);
	if (n > 0 && (snap->services = calloc(n, sizeof(*snap->services))) == NULL)
		return aw_msg_fail(err, errlen, "services: out of memory");
	snap->n_services = n; /* entries are zeroed: aw_msg_free copes with a failure */
	for (uint32_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(arr, i);

		aw_msg_elem_pfx(pfx, sizeof(pfx), "services", i);
		if (aw_msg_want_entry(v, pfx, keys, err, errlen) < 0 ||
		    svc_fields(v, pfx, &snap->services[i], err, errlen) < 0)
			return -1;
	}
	dup = aw_msg_find_dup(snap->services, sizeof(*snap->services),
		       offsetof(struct aw_msg_svc, service), AW_MSG_URI_MAX + 1, n, &a, &b);
	if (dup < 0)
		return aw_msg_fail(err, errlen, "services: out of memory");
	if (dup > 0)
		return aw_msg_fail(err, errlen, "services[%u].service: duplicate of services[%u]",
				   b, a);
	return 0;
}

static int
snapshot_relays(const json_t *arr, struct aw_msg_snapshot *snap, char *err, size_t errlen)
{
	char pfx[AW_PATH_MAX];
	uint32_t n, a, b;
	int dup;

	if (arr == NULL)
		return 0;
	if (aw_msg_want_array(arr, "relays", AW_MSG_MAX_RELAYS, err, errlen) < 0)
		return -1;
	n = (uint32_t)json_array_size(arr);
	if (n > 0 && (snap->relays = calloc(n, sizeof(*snap->relays))) == NULL)
		return aw_msg_fail(err, errlen, "relays: out of memory");
	snap->n_relays = n;
	for (uint32_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(arr, i);

		aw_msg_elem_pfx(pfx, sizeof(pfx), "relays", i);
		if (aw_msg_want_entry(v, pfx, relay_keys, err, errlen) < 0 ||
		    relay_fields(v, pfx, &snap->relays[i], err, errlen) < 0)
			return -1;
	}
	dup = aw_msg_find_dup(snap->relays, sizeof(*snap->relays), offsetof(struct aw_msg_relay, path_id),
		       AW_MSG_PATH_ID_LEN, n, &a, &b);
	if (dup < 0)
		return aw_msg_fail(err, errlen, "relays: out of memory");
	if (dup > 0)
		return aw_msg_fail(err, errlen, "relays[%u].path_id: duplicate of relays[%u]", b,
				   a);
	return 0;
}

int
aw_msg_get_version(const json_t *root, bool required, struct aw_msg *m, char *err,
		   size_t errlen)
{
	int rc = aw_msg_get_uint(root, "", "version", required, 0, INT63_MAX, &m->version, err,
				 errlen);

	if (rc < 0)
		return -1;
	m->has_version = rc == 0;
	return 0;
}

static int
decode_hello(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	static const char *const roles[] = {
#define ROLE_NAME(e, s) s,
		AW_ROLES(ROLE_NAME)
#undef ROLE_NAME
	};
	const json_t *v = json_object_get(root, "role");
	char safe[64];

	if (v == NULL)
		return aw_msg_fail(err, errlen, "role: missing required field");
	if (!json_is_string(v))
		return aw_msg_fail(err, errlen, "role: expected string, got %s",
				   aw_msg_json_type(v));
	for (int r = 0; r < AW_ROLE__COUNT; r++) {
		if (strcmp(json_string_value(v), roles[r]) == 0) {
			m->u.hello.role = (enum aw_role)r;
			return aw_msg_get_str(root, "", "name", m->u.hello.name, err, errlen);
		}
	}
	aw_msg_sanitize(json_string_value(v), safe, sizeof(safe));
	return aw_msg_fail(err, errlen, "role: expected registrar|subscriber|admin, got '%s'",
			   safe);
}

static int
decode_reg(const json_t *root, struct aw_msg_reg *r, bool full, char *err, size_t errlen)
{
	if (aw_msg_get_str(root, "", "service", r->service, err, errlen) < 0 ||
	    aw_msg_get_addr(root, "", "addr", &r->addr, err, errlen) < 0 ||
	    aw_msg_get_u16(root, "", "port", true, 1, &r->port, err, errlen) < 0 ||
	    aw_msg_get_u16(root, "", "priority", full, 0, &r->priority, err, errlen) < 0 ||
	    aw_msg_get_u16(root, "", "weight", full, 0, &r->weight, err, errlen) < 0 ||
	    aw_msg_get_u32(root, "", "ttl", full, 1, AW_MSG_TTL_MAX, &r->ttl, err, errlen) < 0)
		return -1;
	return 0;
}

static int
decode_register(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	return decode_reg(root, &m->u.reg, true, err, errlen);
}

static int
decode_deregister(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	return decode_reg(root, &m->u.reg, false, err, errlen);
}

static int
decode_relay_add(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	if (aw_msg_get_version(root, false, m, err, errlen) < 0)
		return -1;
	return relay_fields(root, "", &m->u.relay, err, errlen);
}

static int
decode_relay_del(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	if (aw_msg_get_version(root, false, m, err, errlen) < 0)
		return -1;
	return aw_msg_get_hex(root, "", "path_id", m->u.path_id, AW_MSG_PATH_ID_LEN, err, errlen);
}

static int
decode_relay_get(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	return aw_msg_get_hex(root, "", "path_id", m->u.path_id, AW_MSG_PATH_ID_LEN, err, errlen);
}

static int
decode_relay_refused(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	struct aw_msg_refusal *r = &m->u.refusal;

	if (aw_msg_get_hex(root, "", "path_id", r->path_id, AW_MSG_PATH_ID_LEN, err, errlen) < 0 ||
	    aw_msg_get_str(root, "", "error", r->error, err, errlen) < 0)
		return -1;
	if (json_object_get(root, "by") == NULL)
		return 0;
	return aw_msg_get_str(root, "", "by", r->by, err, errlen);
}

static int
decode_service_get(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	return aw_msg_get_str(root, "", "service", m->u.service, err, errlen);
}

static int
decode_nothing(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	(void)root, (void)m, (void)err, (void)errlen;
	return 0;
}

static int
decode_snapshot(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	const json_t *more = json_object_get(root, "more");

	if (more != NULL && !json_is_boolean(more))
		return aw_msg_fail(err, errlen, "more: expected boolean, got %s",
				   aw_msg_json_type(more));
	m->u.snapshot.more = json_is_true(more);
	if (aw_msg_get_version(root, true, m, err, errlen) < 0 ||
	    snapshot_services(json_object_get(root, "services"), &m->u.snapshot, err, errlen) < 0)
		return -1;
	if (snapshot_relays(json_object_get(root, "relays"), &m->u.snapshot, err, errlen) < 0)
		return -1;
	return aw_msg_decode_snapshot_gateways(json_object_get(root, "gateways"), &m->u.snapshot,
					       err, errlen);
}

static int
decode_service(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	if (aw_msg_get_version(root, true, m, err, errlen) < 0)
		return -1;
	return svc_fields(root, "", &m->u.svc, err, errlen);
}

typedef int (*decode_fn)(const json_t *root, struct aw_msg *m, char *err, size_t errlen);

#define K(...) ((const char *const[]){"op", __VA_ARGS__, NULL})
static const struct {
	const char *const *keys; /* members allowed, "op" included */
	decode_fn fn;
} decoders[AW_MSG_REPLY] = {
	[AW_MSG_HELLO] = {K("role", "name"), decode_hello},
	[AW_MSG_REGISTER] = {K("service", "addr", "port", "priority", "weight", "ttl"),
			     decode_register},
	[AW_MSG_DEREGISTER] = {K("service", "addr", "port", "priority", "weight", "ttl"),
			       decode_deregister},
	[AW_MSG_RELAY_ADD] = {K("version", "path_id", "tunnel_key", "suite", "idle_timeout_s",
				"bind_timeout_s", "rate"),
			      decode_relay_add},
	[AW_MSG_RELAY_DEL] = {K("version", "path_id"), decode_relay_del},
	[AW_MSG_SERVICE_LIST] = {K(NULL), decode_nothing},
	[AW_MSG_SERVICE_GET] = {K("service"), decode_service_get},
	[AW_MSG_SUBSCRIBER_LIST] = {K(NULL), decode_nothing},
	[AW_MSG_SNAPSHOT] = {K("version", "services", "relays", "gateways", "more"), decode_snapshot},
	[AW_MSG_SERVICE] = {K("version", "service", "sid", "destinations"), decode_service},
	[AW_MSG_PING] = {K(NULL), decode_nothing},
	[AW_MSG_RELAY_LIST] = {K(NULL), decode_nothing},
	[AW_MSG_RELAY_GET] = {K("path_id"), decode_relay_get},
	[AW_MSG_RELAY_REFUSED] = {K("path_id", "error", "by"), decode_relay_refused},
	[AW_MSG_GATEWAY_ADD] = {K("version", "path_id", "end_key", "suite", "node_addr",
				  "idle_timeout_s", "gateways"),
				aw_msg_decode_gateway_add},
	[AW_MSG_GATEWAY_DEL] = {K("version", "path_id", "path_ids"), aw_msg_decode_gateway_del},
	[AW_MSG_GATEWAY_LIST] = {K(NULL), decode_nothing},
	[AW_MSG_GATEWAY_GET] = {K("path_id"), decode_relay_get},
	[AW_MSG_GATEWAY_REFUSED] = {K("path_id", "error", "by"), decode_relay_refused},
	[AW_MSG_MEMBER_REGISTER] = {K("id", "addr", "state", "ttl"), aw_msg_decode_member},
	[AW_MSG_MEMBER_DEREGISTER] = {K("id"), aw_msg_decode_member},
	[AW_MSG_MEMBER_LIST] = {K(NULL), aw_msg_decode_member},
};
#undef K

static int
decode_reply(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	static const char *const keys[] = {"ok", "error", NULL};
	const json_t *ok = json_object_get(root, "ok"), *e;

	if (!json_is_boolean(ok))
		return aw_msg_fail(err, errlen, "ok: expected true or false, got %s",
				   aw_msg_json_type(ok));
	m->type = AW_MSG_REPLY;
	m->u.reply.ok = json_is_true(ok);
	if (m->u.reply.ok) {
		if (json_object_size(root) == 1)
			return 0;
		m->u.reply.data = json_deep_copy(root);
		if (m->u.reply.data == NULL)
			return aw_msg_fail(err, errlen, "out of memory");
		json_object_del(m->u.reply.data, "ok");
		return 0;
	}
	if (aw_msg_check_keys(root, "", keys, NULL, err, errlen) < 0)
		return -1;
	e = json_object_get(root, "error");
	if (e == NULL)
		return aw_msg_fail(err, errlen, "error: missing required field");
	if (!json_is_string(e))
		return aw_msg_fail(err, errlen, "error: expected string, got %s",
				   aw_msg_json_type(e));
	m->u.reply.error = strdup(json_string_value(e));
	return m->u.reply.error == NULL ? aw_msg_fail(err, errlen, "out of memory") : 0;
}

static int
decode_root(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	const json_t *op;
	char safe[64];

	if (!json_is_object(root))
		return aw_msg_fail(err, errlen, "expected a JSON object, got %s",
				   aw_msg_json_type(root));
	op = json_object_get(root, "op");
	if (op == NULL && json_object_get(root, "ok") != NULL)
		return decode_reply(root, m, err, errlen);
	if (op == NULL)
		return aw_msg_fail(err, errlen, "op: missing required field");
	if (!json_is_string(op))
		return aw_msg_fail(err, errlen, "op: expected string, got %s",
				   aw_msg_json_type(op));
	for (int t = 0; t < AW_MSG_REPLY; t++) {
		if (strcmp(json_string_value(op), aw_msg_type_name((enum aw_msg_type)t)) != 0)
			continue;
		m->type = (enum aw_msg_type)t;
		if (aw_msg_check_keys(root, "", decoders[t].keys, NULL, err, errlen) < 0)
			return -1;
		return decoders[t].fn(root, m, err, errlen);
	}
	aw_msg_sanitize(json_string_value(op), safe, sizeof(safe));
	return aw_msg_fail(err, errlen, "op: unknown operation '%s'", safe);
}

int
aw_msg_decode_json(const json_t *root, struct aw_msg *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (decode_root(root, out, err, errlen) == 0)
		return 0;
	aw_msg_free(out);
	return -1;
}

int
aw_msg_decode(const char *line, size_t len, struct aw_msg *out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;
	char safe[96];
	int rc;

	if (aw_msg_decode_fast(line, len, out)) /* the common service push (aw_msg_fast.c) */
		return 0;
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		aw_msg_sanitize(jerr.text, safe, sizeof(safe));
		return aw_msg_fail(err, errlen, "invalid JSON at line %d, column %d: %s", jerr.line,
				   jerr.column, safe);
	}
	rc = aw_msg_decode_json(root, out, err, errlen);
	json_decref(root);
	return rc;
}

int
aw_msg_relay_from_json(const json_t *obj, const char *path, const char *const *extra_keys,
		       struct aw_msg_relay *out, char *err, size_t errlen)
{
	char pfx[AW_PATH_MAX];

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return aw_msg_fail(err, errlen, "%s: expected object, got %s",
				   path[0] ? path : "relay", obj ? aw_msg_json_type(obj) : "nothing");
	snprintf(pfx, sizeof(pfx), "%s%s", path, path[0] ? "." : "");
	if (aw_msg_check_keys(obj, pfx, relay_keys, extra_keys, err, errlen) < 0 ||
	    relay_fields(obj, pfx, out, err, errlen) < 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

int
aw_msg_dests_from_json(const json_t *arr, const char *path, struct aw_msg_dest **dests,
		       uint32_t *n, char *err, size_t errlen)
{
	*dests = NULL;
	*n = 0;
	return dests_decode(arr, path, dests, n, err, errlen);
}
