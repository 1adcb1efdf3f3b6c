/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_dp — anyway-agent's client of the data plane's JSON API
 * (dataplane/API.md): one persistent unix-socket connection, blocking calls
 * with a timeout, watched on the loop so that a data-plane restart (EOF) is
 * seen at once; a ping every second otherwise. On (re)connect the agent
 * reads what the data plane has (service.list, relay.list) as its applied
 * state and reconciles everything against the merged map.
 * A transport only: it reports upward through callbacks (struct
 * agent_dp_cbs given at init, and the done function of each asynchronous
 * request) and never calls the apply or batch code by name.
 * Contract: anyway-agent's one thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "agent.h"

void
agent_dp_init(struct agent_dp *dp, const char *path, const struct agent_dp_cbs *cb)
{
	memset(dp, 0, sizeof(*dp));
	dp->cb = *cb;
	snprintf(dp->path, sizeof(dp->path), "%s", path);
	dp->h.fd = -1;
	aw_backoff_init(&dp->bo, 50, 2000);
}

void
agent_dp_down(struct agent *ag, const char *why)
{
	struct agent_dp *dp = &ag->dp;
	agent_dp_done_fn fn = dp->pending_fn;

	dp->pending_fn = NULL; /* its reply will never come */
	if (fn != NULL)
		fn(ag, NULL, dp->pending_arg);
	if (dp->up) {
		aw_log(AW_LOG_WARNING, "data plane %s: %s", dp->path, why);
		epoll_ctl(ag->loop.epfd, EPOLL_CTL_DEL, dp->h.fd, NULL);
		close(dp->h.fd);
		dp->h.fd = -1;
		aw_linebuf_free(&dp->lb);
		dp->up = false;
		/* what a restarted data plane has is read again on reconnect */
		agent_view_clear(&ag->applied);
		agent_view_init(&ag->applied);
	}
	snprintf(dp->last_error, sizeof(dp->last_error), "%s", why);
	dp->retry_at_ms = aw_now_ms() + aw_backoff_next(&dp->bo);
}

static int
read_reply(struct agent *ag, json_t **reply)
{
	struct agent_dp *dp = &ag->dp;
	char *line;
	size_t len;
	int rc;

	while ((rc = aw_linebuf_next(&dp->lb, &line, &len)) == AW_LINE_NONE) {
		rc = aw_linebuf_read(&dp->lb, dp->h.fd);
		if (rc != AW_LINE_OK) {
			agent_dp_down(ag, rc == AW_LINE_EOF ? "connection closed"
					  : rc == AW_LINE_TOO_LONG ? "reply longer than 64 MiB"
					  : errno == EAGAIN ? "no reply within 5 s" : strerror(errno));
			return -1;
		}
	}
	if (rc != AW_LINE_OK) {
		agent_dp_down(ag, "reply longer than 64 MiB");
		return -1;
	}
	json_error_t je;
	*reply = json_loadb(line, len, 0, &je);
	if (!json_is_object(*reply)) {
		json_decref(*reply);
		*reply = NULL;
		agent_dp_down(ag, "reply is not a JSON object");
		return -1;
	}
	return 0;
}

static int
send_raw(struct agent *ag, const char *line, size_t len)
{
	struct agent_dp *dp = &ag->dp;

	if (!dp->up)
		return -1;
	dp->calls++;
	if (aw_write_line(dp->h.fd, line, len) < 0) {
		agent_dp_down(ag, strerror(errno));
		return -1;
	}
	return 0;
}

void
agent_dp_complete(struct agent *ag)
{
	struct agent_dp *dp = &ag->dp;
	agent_dp_done_fn fn = dp->pending_fn;
	json_t *rep = NULL;

	if (fn == NULL)
		return;
	dp->pending_fn = NULL; /* before the read: a failure there must not call fn twice */
	if (!dp->up || read_reply(ag, &rep) < 0)
		rep = NULL;
	fn(ag, rep, dp->pending_arg);
}

int
agent_dp_send_async(struct agent *ag, const char *line, size_t len, agent_dp_done_fn done,
		    void *arg)
{
	agent_dp_complete(ag);
	if (send_raw(ag, line, len) < 0)
		return -1;
	ag->dp.pending_fn = done;
	ag->dp.pending_arg = arg;
	return 0;
}

int
agent_dp_call_raw(struct agent *ag, const char *line, size_t len, json_t **reply)
{
	*reply = NULL;
	agent_dp_complete(ag); /* replies come in order: the one in flight first */
	if (send_raw(ag, line, len) < 0)
		return -1;
	return ag->dp.up ? read_reply(ag, reply) : -1;
}

int
agent_dp_call(struct agent *ag, json_t *req, json_t **reply)
{
	char *line = json_dumps(req, JSON_COMPACT);
	int rc;

	*reply = NULL;
	if (line == NULL)
		return -1;
	rc = agent_dp_call_raw(ag, line, strlen(line), reply);
	free(line);
	return rc;
}

static void
dp_event(struct aw_handler *h, uint32_t events)
{
	struct agent_dp *dp = (struct agent_dp *)((char *)h - offsetof(struct agent_dp, h));
	struct agent *ag = (struct agent *)((char *)dp - offsetof(struct agent, dp));

	if (dp->pending_fn != NULL && (events & EPOLLIN)) {
		agent_dp_complete(ag); /* the reply of the request in flight */
		return;
	}
	agent_dp_down(ag, "connection closed (data plane stopped?)");
}

/* A feature answers "unknown method" or "... is not enabled": not served. */
bool
agent_dp_feature_missing(const json_t *reply)
{
	const char *e = json_string_value(json_object_get(reply, "error"));

	return e != NULL && (strstr(e, "unknown method") || strstr(e, "not enabled"));
}

static int
load_services(struct agent *ag)
{
	json_t *req = json_pack("{s:s}", "op", "service.list"), *rep, *svc;
	size_t i;
	char err[AW_MSG_ERRLEN];
	int rc = agent_dp_call(ag, req, &rep);

	json_decref(req);
	if (rc < 0)
		return -1;
	ag->dp.asrs = json_is_true(json_object_get(rep, "ok"));
	if (!ag->dp.asrs && !agent_dp_feature_missing(rep))
		aw_log(AW_LOG_WARNING, "service.list: %s",
		       json_string_value(json_object_get(rep, "error")));
	json_array_foreach(json_object_get(rep, "services"), i, svc) {
		struct aw_msg_dest *d = NULL;
		uint32_t n = 0;
		const char *uri = json_string_value(json_object_get(svc, "service"));

		if (uri != NULL && aw_msg_dests_from_json(json_object_get(svc, "destinations"),
							  "destinations", &d, &n, err, sizeof(err)) == 0) {
			if (n > 0)
				agent_view_set_service(&ag->applied, uri, d, n);
			else /* known with no destination: make sure it is deleted or set */
				ag->dp.cb.listed_empty(ag, uri);
		}
		free(d);
	}
	json_decref(rep);
	return 0;
}

static int
load_relays(struct agent *ag)
{
	json_t *cursor = json_null();

	ag->dp.trs = true;
	for (int page = 0; page < 100000; page++) {
		json_t *req = json_pack("{s:s, s:i}", "op", "relay.list", "limit", 1000), *rep, *r;
		size_t i;

		if (!json_is_null(cursor))
			json_object_set(req, "cursor", cursor);
		int rc = agent_dp_call(ag, req, &rep);
		json_decref(req);
		json_decref(cursor);
		if (rc < 0)
			return -1;
		if (!json_is_true(json_object_get(rep, "ok"))) {
			ag->dp.trs = false;
			if (!agent_dp_feature_missing(rep))
				aw_log(AW_LOG_WARNING, "relay.list: %s",
				       json_string_value(json_object_get(rep, "error")));
			json_decref(rep);
			return 0;
		}
		json_array_foreach(json_object_get(rep, "relays"), i, r) {
			struct aw_msg_relay e = {0};
			const char *hex = json_string_value(json_object_get(r, "path_id"));

			if (hex != NULL && strlen(hex) == 32) {
				for (int k = 0; k < 16; k++)
					sscanf(hex + 2 * k, "%2hhx", &e.path_id[k]);
				agent_view_set_relay(&ag->applied, &e, false);
			}
		}
		cursor = json_incref(json_object_get(rep, "cursor"));
		json_decref(rep);
		if (cursor == NULL || json_is_null(cursor)) {
			json_decref(cursor);
			return 0;
		}
	}
	return 0;
}

static void
dp_connect(struct agent *ag, uint64_t now)
{
	struct agent_dp *dp = &ag->dp;
	int fd = aw_unix_connect(dp->path, AGENT_DP_TIMEOUT_MS);

	if (fd < 0) {
		char why[160];
		snprintf(why, sizeof(why), "connect: %s", strerror(errno));
		agent_dp_down(ag, why);
		return;
	}
	if (aw_linebuf_init(&dp->lb, AGENT_DP_REPLY_MAX) < 0) {
		close(fd);
		agent_dp_down(ag, "out of memory");
		return;
	}
	dp->h.fd = fd;
	dp->h.fn = dp_event;
	dp->h.destroy = NULL;
	dp->up = true;
	if (aw_loop_add(&ag->loop, &dp->h, EPOLLIN | EPOLLRDHUP) < 0) {
		agent_dp_down(ag, strerror(errno));
		return;
	}
	dp->reconnects++;
	if (load_services(ag) < 0 || load_relays(ag) < 0 || agent_gateway_load(ag) < 0)
		return;
	aw_log(AW_LOG_NOTICE, "data plane %s: connected (services %s, relays %s, gateways %s)",
	       dp->path, dp->asrs ? "on" : "off", dp->trs ? "on" : "off", dp->gw ? "on" : "off");
	aw_backoff_reset(&dp->bo);
	dp->next_ping_ms = now + AGENT_DP_PING_MS;
	dp->cb.connected(ag); /* re-apply everything */
}

void
agent_dp_tick(struct agent *ag, uint64_t now)
{
	struct agent_dp *dp = &ag->dp;

	if (!dp->up) {
		if (now >= dp->retry_at_ms)
			dp_connect(ag, now);
		return;
	}
	/* the ping first completes a batch still in flight (bounded by the
	 * call timeout), so a data plane that stopped answering is noticed */
	if (now >= dp->next_ping_ms) {
		json_t *req = json_pack("{s:s}", "op", "ping"), *rep;

		if (agent_dp_call(ag, req, &rep) == 0)
			dp->next_ping_ms = now + AGENT_DP_PING_MS;
		json_decref(req);
		json_decref(rep);
	}
}
