/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_metrics_http — a minimal HTTP/1.1 responder for "GET /metrics" on a
 * control daemon's aw_loop (SPEC §11). One request per connection, answered
 * with "Connection: close": 200 with the OpenMetrics text for GET/HEAD
 * /metrics (a query string is ignored), 404 for another path, 405 for another
 * method, 400 for a malformed request, 431 when the request head exceeds
 * AW_MHTTP_REQ_MAX bytes. At most AW_MHTTP_MAX_CONNS connections at once (a
 * further one is accepted and closed at once); a connection that has not
 * sent its whole request head within AW_MHTTP_TIMEOUT_MS, or not taken its
 * response in that time again, is closed. Never blocks.
 *
 * Contract: the loop's thread only. fill(w, arg) writes the families (not
 * "# EOF") on every scrape; the server owns its connections and a timerfd
 * on the loop.
 */
#ifndef AW_METRICS_HTTP_H
#define AW_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aw_loop.h"
#include "aw_metrics.h"

#define AW_MHTTP_REQ_MAX 4096
#define AW_MHTTP_MAX_CONNS 16
#define AW_MHTTP_TIMEOUT_MS 5000

typedef void (*aw_metrics_fill_fn)(struct aw_metrics *w, void *arg);

struct aw_mhttp_conn;

struct aw_metrics_http {
	struct aw_handler lh;    /* listening socket */
	struct aw_handler th;    /* timerfd: timeouts */
	struct aw_loop *loop;
	aw_metrics_fill_fn fill;
	void *arg;
	struct aw_mhttp_conn *conns;
	unsigned n_conns;
	bool paused;             /* out of fds: listener off until the next tick */
	bool timer_armed;
	uint64_t scrapes, bad_requests, refused, timeouts;
	char listen[64];         /* the address, as formatted */
};

/* Listen on "HOST:PORT" (numeric, as aw_hostport_parse). 0, or -1 with err. */
int aw_metrics_http_open(struct aw_metrics_http *s, struct aw_loop *l, const char *hostport,
			 aw_metrics_fill_fn fill, void *arg, char *err, size_t errlen);
/* Close the listener and every connection. Safe on a never-opened server
 * whose memory was zeroed. */
void aw_metrics_http_close(struct aw_metrics_http *s);
/* The server's own counters, as families "<prefix>_metrics_..." . */
void aw_metrics_http_self(const struct aw_metrics_http *s, struct aw_metrics *w,
			  const char *prefix);

#endif /* AW_METRICS_HTTP_H */
