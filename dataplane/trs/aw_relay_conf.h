/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_relay_conf — the config keys "trs" and "relays" (dataplane/CONFIG.md),
 * and the one parser of a relay entry that the config and relay.add share.
 *
 * Contract: plain functions on the main thread (config) or the API thread
 * (relay.add); errors as "key.path: what was expected" in c->err.
 */
#ifndef AW_RELAY_CONF_H
#define AW_RELAY_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "aw_conf_json.h"
#include "aw_inet.h"
#include "aw_relay_table.h"

#define AW_RELAY_MAX_PATHS_DEFAULT 1048576u
#define AW_RELAY_MAX_PATHS_MAX     (16u << 20)
#define AW_RELAY_BATCH_MAX         10000u

struct aw_relay_conf {
	uint16_t port;              /* host order */
	bool has_addr4, has_addr6;  /* else the ports' first address of the family */
	struct aw_addr addr4, addr6;
	uint32_t max_paths;
	uint32_t verify_burst;      /* verifications per lcore per burst */
	unsigned n_relays;
	struct aw_relay_entry *relays;
};

/* One relay entry object at `path` ("relays[3]" or "" for relay.add, whose
 * "op" key the caller removed). */
int aw_relay_entry_parse(struct aw_jctx *c, json_t *v, const char *path,
			 struct aw_relay_entry *out);
/* -1 with err ("what[i].path_id: same PathID as what[j]") on a duplicate. */
int aw_relay_check_dups(const struct aw_relay_entry *e, unsigned n, const char *what, char *err,
			size_t errlen);

#endif /* AW_RELAY_CONF_H */
