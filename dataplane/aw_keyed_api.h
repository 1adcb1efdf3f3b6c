/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_keyed_api — the JSON API and telemetry of a feature's table of entries
 * keyed by a 16-byte PathID (the TRS relay's "relay.*", the gateway's
 * "gateway.*"; dataplane/API.md). One implementation of the request shapes
 * these tables share:
 *   X.add  {one entry} → {path_id, existed}; {"<many>": [..]} → {applied}
 *          (at most batch_max entries, all parsed first, applied all or nothing)
 *   X.del  {path_id} → {path_id, existed}; {"path_ids": [..]} → {removed}
 *   X.get  {path_id} → {"<one>": entry}
 *   X.list {limit 1..10000 (100), cursor} → {"<many>": [..], cursor or null}
 *   telemetry: the feature's summary, then "first_paths" (at most 64 PathIDs).
 *
 * The feature describes its table once (struct aw_keyed); every table call
 * (apply, del, find, iterate, entry_json, tel_summary) is made with *lock(f)
 * held, which serialises them against the feature's other control threads.
 *
 * Contract: aw_keyed_add/del/get/list on the API thread (they are method
 * handlers: validate the whole request, change nothing on error, NULL with a
 * precise message in err); aw_keyed_telemetry on the telemetry thread.
 */
#ifndef AW_KEYED_API_H
#define AW_KEYED_API_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "aw_conf_json.h"
#include "aw_dp.h"

struct rte_tel_data;

struct aw_keyed {
	const char *feature;   /* its config section: "<feature> is not enabled in the config" */
	const char *one;       /* an entry: method prefix "<one>.", get's reply key */
	const char *many;      /* add's batch key and list's reply key */
	const char *not_found; /* get of an unknown PathID (the whole message) */
	unsigned batch_max;    /* entries or PathIDs in one add / del batch */
	size_t entry_size;     /* what parse fills */
	void *(*of)(struct aw_dp *dp); /* the instance, NULL when the feature is off */
	pthread_mutex_t *(*lock)(void *f);
	/* One entry (no lock): 0, or -1 with the error in c. */
	int (*parse)(void *f, struct aw_jctx *c, json_t *v, const char *path, void *entry);
	const uint8_t *(*entry_id)(const void *entry);
	/* Under the lock. apply: n entries as one update, all or nothing
	 * (err "what[i].key: ..."); existed[i] may be NULL. */
	int (*apply)(void *f, const void *entries, unsigned n, const char *what, bool *existed,
		     char *err, size_t errlen);
	/* n PathIDs as one update; *removed: how many were there. */
	int (*del)(void *f, const uint8_t (*ids)[16], unsigned n, unsigned *removed, char *err,
		   size_t errlen);
	const void *(*find)(void *f, const uint8_t id[16]);
	/* The entry at or after *next: 0 and *next moved past it, -1 at the end. */
	int (*iterate)(void *f, uint32_t *next, const uint8_t **id, const void **entry);
	json_t *(*entry_json)(void *f, const uint8_t id[16], const void *entry);
	void (*tel_summary)(void *f, struct rte_tel_data *d); /* dict fields */
};

json_t *aw_keyed_add(const struct aw_keyed *k, struct aw_dp *dp, json_t *req, char *err,
		     size_t errlen);
json_t *aw_keyed_del(const struct aw_keyed *k, struct aw_dp *dp, json_t *req, char *err,
		     size_t errlen);
json_t *aw_keyed_get(const struct aw_keyed *k, struct aw_dp *dp, json_t *req, char *err,
		     size_t errlen);
json_t *aw_keyed_list(const struct aw_keyed *k, struct aw_dp *dp, json_t *req, char *err,
		      size_t errlen);

/* The telemetry reply for instance f (NULL once destroyed: -1). */
int aw_keyed_telemetry(const struct aw_keyed *k, void *f, struct rte_tel_data *d);

/* The four method handlers of table k, named PFX_add ... PFX_list. */
#define AW_KEYED_METHODS(pfx, k)                                                                \
	static json_t *pfx##_add(struct aw_dp *dp, json_t *req, char *err, size_t errlen)        \
	{                                                                                          \
		return aw_keyed_add(&(k), dp, req, err, errlen);                                   \
	}                                                                                          \
	static json_t *pfx##_del(struct aw_dp *dp, json_t *req, char *err, size_t errlen)        \
	{                                                                                          \
		return aw_keyed_del(&(k), dp, req, err, errlen);                                   \
	}                                                                                          \
	static json_t *pfx##_get(struct aw_dp *dp, json_t *req, char *err, size_t errlen)        \
	{                                                                                          \
		return aw_keyed_get(&(k), dp, req, err, errlen);                                   \
	}                                                                                          \
	static json_t *pfx##_list(struct aw_dp *dp, json_t *req, char *err, size_t errlen)       \
	{                                                                                          \
		return aw_keyed_list(&(k), dp, req, err, errlen);                                  \
	}

#endif /* AW_KEYED_API_H */
