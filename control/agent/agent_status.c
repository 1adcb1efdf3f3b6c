/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_status — anyway-agent's own status on a unix socket, same line
 * protocol: {"op":"status"} → map servers (state, version, counts, errors),
 * the data plane (connected, applies, last apply time, errors), and counts of
 * what is applied; {"op":"ping"} → pong. Malformed lines get an error reply
 * and the connection stays usable; an oversized line closes it.
 * Contract: anyway-agent's one thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"

struct status_client {
	struct aw_conn c; /* first member */
	struct agent *ag;
};

static const char *const state_names[] = {"disconnected", "connecting", "subscribing", "synced"};

static json_t *
mapd_json(const struct agent_mapd *m, uint64_t now)
{
	return json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "mapd", m->name,
			 "state", state_names[m->state], "has_view", m->has_view, "version",
			 (json_int_t)m->version, "services", (json_int_t)m->view.svcs.n, "relays",
			 (json_int_t)m->view.relays.n, "snapshots", (json_int_t)m->snapshots,
			 "updates", (json_int_t)m->updates, "rejected", (json_int_t)m->rejected,
			 "connects", (json_int_t)m->reconnects,
			 "silent_ms", (json_int_t)(m->state == MAPD_IDLE ? 0 : now - m->last_rx_ms),
			 "last_error", m->last_error);
}

static json_t *
status_json(struct agent *ag)
{
	uint64_t now = aw_now_ms();
	json_t *maps = json_array();
	const struct agent_dp *dp = &ag->dp;

	for (int i = 0; i < ag->n_mapd; i++)
		json_array_append_new(maps, mapd_json(&ag->mapd[i], now));
	json_t *jdp = json_pack("{s:s, s:b, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:s}", "path", dp->path,
				"connected", dp->up, "services_on", dp->asrs, "relays_on", dp->trs,
				"calls", (json_int_t)dp->calls, "applies", (json_int_t)dp->applies,
				"items_applied", (json_int_t)dp->items_applied, "errors",
				(json_int_t)dp->errors, "reconnects", (json_int_t)dp->reconnects,
				"last_error", dp->last_error);
	json_object_set_new(jdp, "last_apply",
			    dp->last_apply_wall > 0 ? json_real(dp->last_apply_wall) : json_null());
	return json_pack("{s:s, s:o, s:o, s:{s:I, s:I}, s:I}", "name", ag->name, "mapds", maps,
			 "dataplane", jdp, "applied", "services", (json_int_t)ag->applied.svcs.n,
			 "relays", (json_int_t)ag->applied.relays.n, "rejected_updates",
			 (json_int_t)ag->rejected_updates);
}

static void
client_destroy(struct aw_handler *h)
{
	aw_conn_free(&((struct status_client *)h)->c);
	free(h);
}

static void
reply(struct status_client *cl, char *line)
{
	if (line == NULL || aw_conn_send(&cl->c, line, strlen(line)) < 0)
		aw_loop_kill(cl->c.loop, &cl->c.h);
	free(line);
}

static void
on_line(struct status_client *cl, const char *line, size_t len)
{
	json_error_t je;
	json_t *req = json_loadb(line, len, 0, &je);
	const char *op = json_string_value(json_object_get(req, "op"));

	if (req == NULL)
		reply(cl, aw_msg_reply_error("invalid JSON at column %d: %s", je.column, je.text));
	else if (!json_is_object(req))
		reply(cl, aw_msg_reply_error("expected a JSON object"));
	else if (op == NULL)
		reply(cl, aw_msg_reply_error("op: missing required field (string)"));
	else if (json_object_size(req) != 1)
		reply(cl, aw_msg_reply_error("%s takes no arguments", op));
	else if (strcmp(op, "status") == 0) {
		json_t *s = status_json(cl->ag);
		reply(cl, aw_msg_reply_ok(s));
		json_decref(s);
	} else if (strcmp(op, "ping") == 0)
		reply(cl, strdup("{\"ok\":true,\"pong\":true}"));
	else
		reply(cl, aw_msg_reply_error("op: unknown method '%.64s' (known: status, ping)", op));
	json_decref(req);
}

static void
client_event(struct aw_handler *h, uint32_t events)
{
	struct status_client *cl = (struct status_client *)h;
	char *line;
	size_t len;
	int rc;

	if ((events & EPOLLOUT) && aw_conn_on_writable(&cl->c) < 0) {
		aw_loop_kill(cl->c.loop, h);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	rc = aw_conn_read(&cl->c);
	if (rc == AW_LINE_AGAIN)
		return;
	if (rc == AW_LINE_EOF || rc == AW_LINE_ERROR || rc == AW_LINE_TOO_LONG) {
		aw_loop_kill(cl->c.loop, h);
		return;
	}
	while (!h->dead && (rc = aw_linebuf_next(&cl->c.in, &line, &len)) == AW_LINE_OK)
		if (len > 0)
			on_line(cl, line, len);
	if (rc == AW_LINE_TOO_LONG && !h->dead)
		aw_loop_kill(cl->c.loop, h);
}

static void
accept_event(struct aw_handler *h, uint32_t events)
{
	struct agent *ag = (struct agent *)((char *)h - offsetof(struct agent, status_h));

	(void)events;
	for (int i = 0; i < 16; i++) {
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct status_client *cl;

		if (fd < 0)
			return;
		cl = calloc(1, sizeof(*cl));
		if (cl == NULL || aw_conn_open(&cl->c, &ag->loop, fd, false, 4u << 20, client_event,
					       client_destroy) < 0) {
			free(cl);
			close(fd);
			continue;
		}
		cl->ag = ag;
	}
}

int
agent_status_open(struct agent *ag, char *err, size_t errlen)
{
	int fd = aw_unix_listen(ag->status_path, err, errlen);

	if (fd < 0)
		return -1;
	ag->status_h.fd = fd;
	ag->status_h.fn = accept_event;
	ag->status_h.destroy = NULL;
	if (aw_loop_add(&ag->loop, &ag->status_h, EPOLLIN) < 0) {
		close(fd);
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
agent_status_close(struct agent *ag)
{
	if (ag->status_h.fd >= 0) {
		aw_loop_kill(&ag->loop, &ag->status_h);
		unlink(ag->status_path);
	}
}
