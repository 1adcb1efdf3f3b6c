/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_msg_gateway — gateway entries (SPEC §6) on the control protocol:
 * gateway.add (one entry or a batch), gateway.del (one path_id or a batch),
 * snapshot gateways[], and the entry <-> JSON building blocks the data
 * plane's API shares. Ranges: aw_msg_gateway_check() (aw_msg_check.h).
 * Contract: as aw_msg.h (no global state; allocates; never on a packet path).
 */
#include "aw_hex.h"
#include "aw_msg_check.h"
#include "aw_msg_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const gateway_keys[] = {"path_id", "suite", "end_key", "node_addr",
					   "idle_timeout_s", NULL};

/* Members of one entry (keys already checked), then the shared check. */
static int
gateway_fields(const json_t *obj, const char *pfx, struct aw_msg_gateway *g, char *err,
	       size_t errlen)
{
	const struct aw_msg_limit *l = aw_gateway_limits;
	struct aw_msg_check_err e;
	uint64_t suite;

	memset(g, 0, sizeof(*g));
	g->idle_timeout_s = AW_MSG_IDLE_TIMEOUT_DEFAULT;
	if (aw_msg_get_hex(obj, pfx, "path_id", g->path_id, AW_MSG_PATH_ID_LEN, err, errlen) < 0 ||
	    aw_msg_get_hex(obj, pfx, "end_key", g->end_key, AW_MSG_TUNNEL_KEY_LEN, err, errlen) < 0 ||
	    aw_msg_get_uint(obj, pfx, "suite", true, l[AW_GATEWAY_LIM_SUITE].min,
			    l[AW_GATEWAY_LIM_SUITE].max, &suite, err, errlen) < 0 ||
	    aw_msg_get_addr(obj, pfx, "node_addr", &g->node_addr, err, errlen) < 0 ||
	    aw_msg_get_u32(obj, pfx, "idle_timeout_s", false, (uint32_t)l[AW_GATEWAY_LIM_IDLE].min,
			   (uint32_t)l[AW_GATEWAY_LIM_IDLE].max, &g->idle_timeout_s, err,
			   errlen) < 0)
		return -1;
	g->suite = (uint8_t)suite;
	if (aw_msg_gateway_check(g, &e) < 0)
		return aw_msg_fail(err, errlen, "%s%s: %s", pfx, e.key, e.msg);
	return 0;
}

/* n entries of arr (path "gateways") into a calloc()ed array. */
static int
gateway_array(const json_t *arr, const char *path, size_t max, struct aw_msg_gateway **out,
	      uint32_t *nout, char *err, size_t errlen)
{
	char pfx[AW_PATH_MAX];
	uint32_t n, a, b;
	int dup;

	if (aw_msg_want_array(arr, path, max, err, errlen) < 0)
		return -1;
	n = (uint32_t)json_array_size(arr);
	if (n > 0 && (*out = calloc(n, sizeof(**out))) == NULL)
		return aw_msg_fail(err, errlen, "%s: out of memory", path);
	*nout = n; /* the caller's aw_msg_free copes with a failure below */
	for (uint32_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(arr, i);

		aw_msg_elem_pfx(pfx, sizeof(pfx), path, i);
		if (aw_msg_want_entry(v, pfx, gateway_keys, err, errlen) < 0 ||
		    gateway_fields(v, pfx, &(*out)[i], err, errlen) < 0)
			return -1;
	}
	dup = aw_msg_find_dup(*out, sizeof(**out), offsetof(struct aw_msg_gateway, path_id),
			      AW_MSG_PATH_ID_LEN, n, &a, &b);
	if (dup < 0)
		return aw_msg_fail(err, errlen, "%s: out of memory", path);
	if (dup > 0)
		return aw_msg_fail(err, errlen, "%s[%u].path_id: duplicate of %s[%u]", path, b, path,
				   a);
	/* one node, one path: the gateway finds a reply's path by node_addr */
	dup = aw_msg_find_dup(*out, sizeof(**out), offsetof(struct aw_msg_gateway, node_addr),
			      sizeof(struct aw_addr), n, &a, &b);
	if (dup < 0)
		return aw_msg_fail(err, errlen, "%s: out of memory", path);
	if (dup > 0)
		return aw_msg_fail(err, errlen, "%s[%u].node_addr: same node as %s[%u]", path, b,
				   path, a);
	return 0;
}

int
aw_msg_decode_snapshot_gateways(const json_t *arr, struct aw_msg_snapshot *snap, char *err,
				size_t errlen)
{
	if (arr == NULL)
		return 0;
	return gateway_array(arr, "gateways", AW_MSG_MAX_GATEWAYS, &snap->gateways,
			     &snap->n_gateways, err, errlen);
}

/* Exactly one of the single member and the batch member. */
static int
one_form(const json_t *root, const char *single, const char *batch, char *err, size_t errlen)
{
	bool s = json_object_get(root, single) != NULL, b = json_object_get(root, batch) != NULL;

	if (s && b)
		return aw_msg_fail(err, errlen, "%s: not allowed together with %s", batch, single);
	return b ? 1 : 0;
}

static int
nonempty(const json_t *arr, const char *path, char *err, size_t errlen)
{
	if (json_is_array(arr) && json_array_size(arr) == 0)
		return aw_msg_fail(err, errlen, "%s: expected 1..%d entries, got none", path,
				   AW_MSG_GATEWAY_BATCH_MAX);
	return 0;
}

int
aw_msg_decode_gateway_add(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	struct aw_msg_gw_add *a = &m->u.gw_add;
	const json_t *arr = json_object_get(root, "gateways");
	int form = one_form(root, "path_id", "gateways", err, errlen);

	if (form < 0 || aw_msg_get_version(root, false, m, err, errlen) < 0)
		return -1;
	if (form == 1) {
		a->batch = true;
		for (const char *const *k = gateway_keys; *k != NULL; k++)
			if (json_object_get(root, *k) != NULL)
				return aw_msg_fail(err, errlen, "%s: not allowed together with gateways",
						   *k);
		if (nonempty(arr, "gateways", err, errlen) < 0)
			return -1;
		return gateway_array(arr, "gateways", AW_MSG_GATEWAY_BATCH_MAX, &a->e, &a->n, err,
				     errlen);
	}
	a->e = calloc(1, sizeof(*a->e));
	if (a->e == NULL)
		return aw_msg_fail(err, errlen, "out of memory");
	a->n = 1;
	return gateway_fields(root, "", a->e, err, errlen);
}

int
aw_msg_decode_gateway_del(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	struct aw_msg_gw_del *d = &m->u.gw_del;
	const json_t *arr = json_object_get(root, "path_ids");
	int form = one_form(root, "path_id", "path_ids", err, errlen);
	uint32_t n = 1, a, b;
	int dup;

	if (form < 0 || aw_msg_get_version(root, false, m, err, errlen) < 0)
		return -1;
	d->batch = form == 1;
	if (d->batch) {
		if (aw_msg_want_array(arr, "path_ids", AW_MSG_GATEWAY_BATCH_MAX, err, errlen) < 0 ||
		    nonempty(arr, "path_ids", err, errlen) < 0)
			return -1;
		n = (uint32_t)json_array_size(arr);
	}
	d->ids = calloc(n, sizeof(*d->ids));
	if (d->ids == NULL)
		return aw_msg_fail(err, errlen, "out of memory");
	d->n = n;
	if (!d->batch)
		return aw_msg_get_hex(root, "", "path_id", d->ids[0], AW_MSG_PATH_ID_LEN, err, errlen);
	for (uint32_t i = 0; i < n; i++) {
		/* a one-member object {"[i]": value}: the field helper then names
		 * the element "path_ids[i]" in its errors */
		json_t *one = json_object();
		char key[24];
		int rc;

		snprintf(key, sizeof(key), "[%u]", i);
		if (one == NULL || json_object_set(one, key, json_array_get(arr, i)) != 0) {
			json_decref(one);
			return aw_msg_fail(err, errlen, "out of memory");
		}
		rc = aw_msg_get_hex(one, "path_ids", key, d->ids[i], AW_MSG_PATH_ID_LEN, err, errlen);
		json_decref(one);
		if (rc < 0)
			return -1;
	}
	dup = aw_msg_find_dup(d->ids, sizeof(*d->ids), 0, AW_MSG_PATH_ID_LEN, n, &a, &b);
	if (dup < 0)
		return aw_msg_fail(err, errlen, "path_ids: out of memory");
	if (dup > 0)
		return aw_msg_fail(err, errlen, "path_ids[%u]: duplicate of path_ids[%u]", b, a);
	return 0;
}

int
aw_msg_gateway_from_json(const json_t *obj, const char *path, const char *const *extra_keys,
			 struct aw_msg_gateway *out, char *err, size_t errlen)
{
	char pfx[AW_PATH_MAX];

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return aw_msg_fail(err, errlen, "%s: expected object, got %s",
				   path[0] ? path : "gateway", obj ? aw_msg_json_type(obj) : "nothing");
	snprintf(pfx, sizeof(pfx), "%s%s", path, path[0] ? "." : "");
	if (aw_msg_check_keys(obj, pfx, gateway_keys, extra_keys, err, errlen) < 0 ||
	    gateway_fields(obj, pfx, out, err, errlen) < 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

static json_t *
jhex(const uint8_t *b, size_t n)
{
	char buf[2 * AW_MSG_TUNNEL_KEY_LEN + 1];

	aw_hex_encode(b, n, buf);
	return json_string(buf);
}

json_t *
aw_msg_gateway_to_json(const struct aw_msg_gateway *g, bool with_key)
{
	char addr[AW_ADDR_STRLEN];
	json_t *o = json_pack("{s:o, s:i, s:s, s:I}", "path_id", jhex(g->path_id, AW_MSG_PATH_ID_LEN),
			      "suite", (int)g->suite, "node_addr",
			      aw_addr_format(&g->node_addr, addr, sizeof(addr)), "idle_timeout_s",
			      (json_int_t)g->idle_timeout_s);

	if (o != NULL && with_key &&
	    json_object_set_new(o, "end_key", jhex(g->end_key, AW_MSG_TUNNEL_KEY_LEN)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
set_array(json_t *o, const char *key, json_t *arr)
{
	return arr == NULL || json_object_set_new(o, key, arr) != 0;
}

int
aw_msg_gateway_body_set(json_t *o, const struct aw_msg *m)
{
	if (m->type == AW_MSG_GATEWAY_ADD) {
		const struct aw_msg_gw_add *a = &m->u.gw_add;
		json_t *arr;

		if (!a->batch) {
			json_t *e = a->n == 1 ? aw_msg_gateway_to_json(a->e, true) : NULL;
			int bad = e == NULL || json_object_update(o, e) != 0;

			json_decref(e);
			return bad;
		}
		arr = json_array();
		for (uint32_t i = 0; i < a->n && arr != NULL; i++)
			if (json_array_append_new(arr, aw_msg_gateway_to_json(&a->e[i], true)) != 0) {
				json_decref(arr);
				arr = NULL;
			}
		return set_array(o, "gateways", arr);
	}
	const struct aw_msg_gw_del *d = &m->u.gw_del;
	if (!d->batch)
		return d->n != 1 || json_object_set_new(o, "path_id", jhex(d->ids[0],
									AW_MSG_PATH_ID_LEN)) != 0;
	json_t *arr = json_array();
	for (uint32_t i = 0; i < d->n && arr != NULL; i++)
		if (json_array_append_new(arr, jhex(d->ids[i], AW_MSG_PATH_ID_LEN)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	return set_array(o, "path_ids", arr);
}

bool
aw_msg_gateway_equal(const struct aw_msg_gateway *a, const struct aw_msg_gateway *b)
{
	return memcmp(a->path_id, b->path_id, sizeof(a->path_id)) == 0 &&
	       memcmp(a->end_key, b->end_key, sizeof(a->end_key)) == 0 && a->suite == b->suite &&
	       aw_addr_eq(&a->node_addr, &b->node_addr) && a->idle_timeout_s == b->idle_timeout_s;
}
