/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_api — the data plane's JSON API on a unix socket (SPEC §7.3): one JSON
 * object per line in, one reply per line out ({"ok":true,...} or
 * {"ok":false,"error":"..."}). A malformed line gets an error and the
 * connection stays usable; a line over 1 MiB closes it.
 *
 * The server is an event loop (lib/ctlnet aw_loop + aw_conn) on non-blocking
 * sockets, so no client can stall it: replies are queued per connection and
 * written when the socket takes them; a connection whose queue reaches a
 * high-water mark is not read until it drains (backpressure); one whose
 * output makes no progress for api.send_timeout_s, or would exceed
 * api.max_output_bytes, is closed; one with no request for
 * api.idle_timeout_s is closed. Peers whose SO_PEERCRED uid/gid is trusted
 * (api.trusted_uids / trusted_gids) get api.reserved_clients slots that
 * others cannot take, and evict the longest-idle untrusted connection when
 * the table is full. Counters are added to the `stats` reply as "api".
 *
 * Contract: aw_api_start / aw_api_stop on the main thread. Requests are served
 * by one control thread (rte_ctrl_thread_create, off the packet lcores), which
 * is the only writer of dp->addrs (RCU publish + synchronize) and the only
 * producer on dp->ctl_ring. Method handlers (aw_api_methods.c) validate first
 * and change nothing on error.
 */
#ifndef AW_API_H
#define AW_API_H

#include <pthread.h>

#include <jansson.h>

#include "aw_dp.h"

struct aw_api_srv; /* the API thread's state (aw_api.c) */

struct aw_api {
	struct aw_dp *dp;
	int listen_fd;
	int wake[2];
	pthread_t thread;
	bool running;
	char path[108];
	struct aw_api_srv *srv;
};

int aw_api_start(struct aw_api *api, struct aw_dp *dp, char *err, size_t errlen);
void aw_api_stop(struct aw_api *api);

/* A method: validates the whole request (the object, "op" included), then
 * acts; returns the reply's data (the dispatcher adds "ok") or NULL with a
 * precise message in err. API thread only. */
typedef json_t *(*aw_api_fn)(struct aw_dp *dp, json_t *req, char *err, size_t errlen);

struct aw_api_method {
	const char *name;
	aw_api_fn fn;
};

/* The arguments of a request: a new copy of the object without "op". */
json_t *aw_api_args(json_t *req);

/* A request whose only argument is {"path_id": 32 hex digits} (relay.get,
 * gateway.del, ...): 0 with id set, or -1 with a precise message. */
int aw_api_path_id_arg(json_t *req, const char *op, uint8_t id[16], char *err, size_t errlen);

/* One request (already parsed) → reply object (always non-NULL). */
json_t *aw_api_handle(struct aw_dp *dp, json_t *req);

#endif /* AW_API_H */
