/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_conf_json — the helpers every JSON validator of the data plane shares
 * (config file sections and API arguments): key-path error messages, unknown
 * key rejection, typed getters with ranges, address parsing, lists.
 *
 * Contract: plain functions, any thread. Each returns 0 or -1; on -1 the first
 * error is in c->err as "FILE: key.path: what was expected" (no FILE when
 * c->file is NULL, as for API requests). Nothing is allocated but the array
 * aw_jc_parse_list returns, which the caller frees.
 */
#ifndef AW_CONF_JSON_H
#define AW_CONF_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "aw_inet.h"

struct aw_config;

/* Error context: file name and the buffer the first error goes to. */
struct aw_jctx {
	const char *file;
	char *err;
	size_t errlen;
	bool no_eal; /* --check-config: skip what needs EAL (lcore and port ids) */
};

__attribute__((format(printf, 3, 4))) int aw_jc_bad(struct aw_jctx *c, const char *path,
						     const char *fmt, ...);
const char *aw_jc_type_name(const json_t *v);
/* Rejects keys not in `allowed` (NULL-terminated); names what was allowed. */
int aw_jc_check_keys(struct aw_jctx *c, json_t *obj, const char *path,
		     const char *const *allowed);
/* "path.key" (or "key" at the top level). */
void aw_jc_subpath(char *out, size_t len, const char *path, const char *key);
/* Optional unsigned integer in lo..hi; `def` when absent. */
int aw_jc_get_uint(struct aw_jctx *c, json_t *obj, const char *path, const char *key,
		   uint64_t lo, uint64_t hi, uint64_t def, uint64_t *out);
int aw_jc_get_string(struct aw_jctx *c, json_t *obj, const char *path, const char *key,
		     bool required, const char **out);
int aw_jc_get_array(struct aw_jctx *c, json_t *obj, const char *path, const char *key,
		    bool required, size_t max, json_t **out);
int aw_jc_parse_addr(struct aw_jctx *c, const char *path, const char *s, struct aw_addr *out);
/* A string of exactly 2 * n hex digits at `path` into out[0..n). */
int aw_jc_parse_hex(struct aw_jctx *c, json_t *v, const char *path, uint8_t *out, size_t n);

#define AW_JC_GET_U32(c, obj, path, key, lo, hi, def, dst)                                       \
	({                                                                                 \
		uint64_t _v;                                                               \
		int _r = aw_jc_get_uint(c, obj, path, key, lo, hi, def, &_v);                    \
		if (_r == 0)                                                               \
			(dst) = (__typeof__(dst))_v;                                       \
		_r;                                                                        \
	})

typedef int (*aw_jc_elem_fn)(struct aw_jctx *c, json_t *v, const char *path,
			   const struct aw_config *cfg, void *out);
/* Parses the optional top-level array `key` into a calloc'd array of
 * elem_size-byte elements, calling fn on each with its path "key[i]". */
int aw_jc_parse_list(struct aw_jctx *c, json_t *root, const char *key, size_t max,
		     size_t elem_size, aw_jc_elem_fn fn, const struct aw_config *cfg, void **out,
		     unsigned *n);

#endif /* AW_CONF_JSON_H */
