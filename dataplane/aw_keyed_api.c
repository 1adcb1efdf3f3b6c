/* SPDX-License-Identifier: BSD-3-Clause */
/* The API and telemetry of a PathID-keyed feature table (see aw_keyed_api.h).
 * API thread (add/del/get/list) or telemetry thread (aw_keyed_telemetry). */
#include "aw_keyed_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "aw_api.h"
#include "aw_hex.h"

#define LIST_MAX 10000
#define LIST_DEF 100
#define TEL_PATHS 64

static void *
feature_on(const struct aw_keyed *k, struct aw_dp *dp, char *err, size_t errlen)
{
	void *f = k->of(dp);

	if (f == NULL)
		snprintf(err, errlen, "%s is not enabled in the config", k->feature);
	return f;
}

static int
apply_locked(const struct aw_keyed *k, void *f, const void *e, unsigned n, const char *what,
	     bool *existed, char *err, size_t errlen)
{
	pthread_mutex_t *m = k->lock(f);

	pthread_mutex_lock(m);
	int rc = k->apply(f, e, n, what, existed, err, errlen);
	pthread_mutex_unlock(m);
	return rc;
}

static int
del_locked(const struct aw_keyed *k, void *f, const uint8_t (*ids)[16], unsigned n,
	   unsigned *removed, char *err, size_t errlen)
{
	pthread_mutex_t *m = k->lock(f);

	*removed = 0;
	pthread_mutex_lock(m);
	int rc = k->del(f, ids, n, removed, err, errlen);
	pthread_mutex_unlock(m);
	return rc;
}

/* {"<key>": [...]} and nothing else, at most batch_max elements. */
static bool
batch_ok(const struct aw_keyed *k, json_t *req, json_t *list)
{
	return json_object_size(req) == 2 && json_is_array(list) &&
	       json_array_size(list) <= k->batch_max;
}

static json_t *
add_batch(const struct aw_keyed *k, void *f, json_t *list, char *err, size_t errlen)
{
	struct aw_jctx c = {NULL, err, errlen};
	size_t n = json_array_size(list), i;
	uint8_t *e = calloc(n ? n : 1, k->entry_size);
	json_t *v, *out = NULL;
	char p[48];

	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_array_foreach (list, i, v) {
		snprintf(p, sizeof(p), "%s[%zu]", k->many, i);
		if (k->parse(f, &c, v, p, e + i * k->entry_size) < 0)
			goto done;
	}
	if (apply_locked(k, f, e, (unsigned)n, k->many, NULL, err, errlen) == 0)
		out = json_pack("{s:I}", "applied", (json_int_t)n);
done:
	memset(e, 0, k->entry_size * n); /* keys */
	free(e);
	return out;
}

static json_t *
add_one(const struct aw_keyed *k, void *f, json_t *req, char *err, size_t errlen)
{
	struct aw_jctx c = {NULL, err, errlen};
	void *e = calloc(1, k->entry_size);
	json_t *out = NULL;
	bool existed = false;
	char h[33];

	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_t *a = aw_api_args(req);
	int rc = k->parse(f, &c, a, "", e);
	json_decref(a);
	if (rc == 0 && apply_locked(k, f, e, 1, k->one, &existed, err, errlen) == 0) {
		aw_hex_encode(k->entry_id(e), 16, h);
		out = json_pack("{s:s,s:b}", "path_id", h, "existed", existed);
	}
	memset(e, 0, k->entry_size); /* keys */
	free(e);
	return out;
}

json_t *
aw_keyed_add(const struct aw_keyed *k, struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	void *f = feature_on(k, dp, err, errlen);
	json_t *list = json_object_get(req, k->many);

	if (f == NULL)
		return NULL;
	if (list == NULL)
		return add_one(k, f, req, err, errlen);
	if (!batch_ok(k, req, list)) {
		snprintf(err, errlen, "%s: expected an array of at most %u %s objects and no other "
			 "argument", k->many, k->batch_max, k->one);
		return NULL;
	}
	return add_batch(k, f, list, err, errlen);
}

static json_t *
del_batch(const struct aw_keyed *k, void *f, json_t *list, char *err, size_t errlen)
{
	struct aw_jctx c = {NULL, err, errlen};
	size_t n = json_array_size(list), i;
	uint8_t (*ids)[16] = malloc(16 * (n ? n : 1));
	json_t *v, *out = NULL;
	unsigned removed;
	char p[32];

	if (ids == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_array_foreach (list, i, v) {
		snprintf(p, sizeof(p), "path_ids[%zu]", i);
		if (aw_jc_parse_hex(&c, v, p, ids[i], 16) < 0)
			goto done;
	}
	if (del_locked(k, f, (const uint8_t(*)[16])ids, (unsigned)n, &removed, err, errlen) == 0)
		out = json_pack("{s:i}", "removed", removed);
done:
	free(ids);
	return out;
}

json_t *
aw_keyed_del(const struct aw_keyed *k, struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	void *f = feature_on(k, dp, err, errlen);
	json_t *list = json_object_get(req, "path_ids");
	unsigned removed;
	uint8_t id[16];
	char op[48], h[33];

	if (f == NULL)
		return NULL;
	if (list != NULL) {
		if (!batch_ok(k, req, list)) {
			snprintf(err, errlen, "path_ids: expected an array of at most %u PathIDs "
				 "and no other argument", k->batch_max);
			return NULL;
		}
		return del_batch(k, f, list, err, errlen);
	}
	snprintf(op, sizeof(op), "%s.del", k->one);
	if (aw_api_path_id_arg(req, op, id, err, errlen) < 0 ||
	    del_locked(k, f, (const uint8_t(*)[16])id, 1, &removed, err, errlen) < 0)
		return NULL;
	aw_hex_encode(id, 16, h);
	return json_pack("{s:s,s:b}", "path_id", h, "existed", removed == 1);
}

json_t *
aw_keyed_get(const struct aw_keyed *k, struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	void *f = feature_on(k, dp, err, errlen);
	json_t *out = NULL;
	uint8_t id[16];
	char op[48];

	snprintf(op, sizeof(op), "%s.get", k->one);
	if (f == NULL || aw_api_path_id_arg(req, op, id, err, errlen) < 0)
		return NULL;
	pthread_mutex_lock(k->lock(f));
	const void *e = k->find(f, id);
	if (e != NULL)
		out = json_pack("{s:o}", k->one, k->entry_json(f, id, e));
	else
		snprintf(err, errlen, "%s", k->not_found);
	pthread_mutex_unlock(k->lock(f));
	return out;
}

json_t *
aw_keyed_list(const struct aw_keyed *k, struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	static const char *const keys[] = {"op", "limit", "cursor", NULL};
	void *f = feature_on(k, dp, err, errlen);
	struct aw_jctx c = {NULL, err, errlen};
	uint64_t limit, cursor;
	const uint8_t *id;
	const void *e;
	bool end = false;

	if (f == NULL || aw_jc_check_keys(&c, req, "", keys) < 0 ||
	    aw_jc_get_uint(&c, req, "", "limit", 1, LIST_MAX, LIST_DEF, &limit) < 0 ||
	    aw_jc_get_uint(&c, req, "", "cursor", 0, UINT32_MAX, 0, &cursor) < 0)
		return NULL;
	json_t *arr = json_array();
	uint32_t next = (uint32_t)cursor;
	pthread_mutex_lock(k->lock(f));
	for (uint64_t n = 0; n < limit; n++) {
		if (k->iterate(f, &next, &id, &e) < 0) {
			end = true;
			break;
		}
		json_array_append_new(arr, k->entry_json(f, id, e));
	}
	if (!end) { /* null cursor when nothing follows */
		uint32_t probe = next;
		end = k->iterate(f, &probe, &id, &e) < 0;
	}
	pthread_mutex_unlock(k->lock(f));
	return json_pack("{s:o,s:o}", k->many, arr, "cursor",
			 end ? json_null() : json_integer(next));
}

int
aw_keyed_telemetry(const struct aw_keyed *k, void *f, struct rte_tel_data *d)
{
	struct rte_tel_data *list = rte_tel_data_alloc();
	uint32_t next = 0;
	const uint8_t *id;
	const void *e;
	unsigned n = 0;

	if (f == NULL || list == NULL) {
		rte_tel_data_free(list);
		return -1;
	}
	rte_tel_data_start_array(list, RTE_TEL_STRING_VAL);
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(k->lock(f));
	k->tel_summary(f, d);
	while (n < TEL_PATHS && k->iterate(f, &next, &id, &e) == 0) {
		char hex[33];
		aw_hex_encode(id, 16, hex);
		rte_tel_data_add_array_string(list, hex);
		n++;
	}
	pthread_mutex_unlock(k->lock(f));
	rte_tel_data_add_dict_container(d, "first_paths", list, 0);
	return 0;
}
