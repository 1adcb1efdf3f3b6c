/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_status — anyway-agent's own status on a unix socket, same line
 * protocol: {"op":"status"} → map servers (state, version, counts, errors,
 * instance and restart grace),
 * the data plane (connected, applies, last apply time, errors), and counts of
 * what is applied; {"op":"ping"} → pong. Malformed lines get an error reply
 * and the connection stays usable; an oversized line closes it.
 *
 * Manners (control/PROTOCOL.md): at most STATUS_MAX_CLIENTS connections (one
 * more gets an error line and is closed); a connection with no request for
 * STATUS_IDLE_MS, or whose replies make no progress for STATUS_SEND_MS, is
 * closed; while more than STATUS_HIGH_WATER bytes of replies wait, its further
 * requests are not read. Sends never raise SIGPIPE (MSG_NOSIGNAL, and the
 * agent ignores it). A timerfd on the agent's loop drives the timeouts. The
 * socket file is mode 0660, group --status-group when given (SPEC §7.4).
 * Contract: anyway-agent's one thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "agent.h"
#include "aw_sockperm.h"

#define STATUS_MAX_CLIENTS 16
#define STATUS_IDLE_MS 10000u
#define STATUS_SEND_MS 5000u
#define STATUS_OUT_MAX (4u << 20)
#define STATUS_HIGH_WATER (256u << 10)
#define STATUS_TICK_S 1

struct status_srv;

struct status_client {
	struct aw_conn c; /* first member */
	struct agent *ag;
	struct status_srv *srv;
	struct status_client *prev, *next;
	bool eof;
	uint64_t last_req_ms, out_ms;
};

/* Lives in ag->status_h.ctx while the socket is open. */
struct status_srv {
	struct aw_handler timer; /* its destroy frees this */
	struct agent *ag;
	struct status_client *clients;
	unsigned n;
};

static const char *const state_names[] = {"disconnected", "connecting", "subscribing", "synced"};

/* The restart grace of one map server (control/PROTOCOL.md "Map server
 * restart"): which instance it is, how many restarts were seen, whether an
 * old view is still merged and for how long. */
static void
grace_json(json_t *o, const struct agent_mapd *m, uint64_t now)
{
	uint64_t left = m->has_grace && m->grace_until_ms > now ? m->grace_until_ms - now : 0;

	json_object_set_new(o, "instance",
			    m->instance[0] != '\0' ? json_string(m->instance) : json_null());
	json_object_set_new(o, "restarts", json_integer((json_int_t)m->restarts_seen));
	json_object_set_new(o, "grace", json_boolean(m->has_grace));
	json_object_set_new(o, "grace_left_ms", json_integer((json_int_t)left));
}

static json_t *
mapd_json(const struct agent_mapd *m, uint64_t now)
{
	json_t *o = json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
			 "mapd", m->name, "state", state_names[m->state], "has_view", m->has_view, "version",
			 (json_int_t)m->version, "services", (json_int_t)m->view.svcs.n, "relays",
			 (json_int_t)m->view.relays.n, "snapshots", (json_int_t)m->snapshots,
			 "updates", (json_int_t)m->updates, "rejected", (json_int_t)m->rejected,
			 "connects", (json_int_t)m->reconnects,
			 "silent_ms", (json_int_t)(m->state == MAPD_IDLE ? 0 : now - m->last_rx_ms),
			 "last_error", m->last_error);

	if (o != NULL)
		grace_json(o, m, now);
	return o;
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
	json_object_set_new(jdp, "gateways_on", json_boolean(dp->gw));
	json_object_set_new(jdp, "last_apply",
			    dp->last_apply_wall > 0 ? json_real(dp->last_apply_wall) : json_null());
	return json_pack("{s:s, s:o, s:o, s:{s:I, s:I, s:I}, s:I, s:o, s:o}", "name", ag->name,
			 "mapds", maps, "dataplane", jdp, "applied", "services",
			 (json_int_t)ag->applied.svcs.n, "relays", (json_int_t)ag->applied.relays.n,
			 "gateways", (json_int_t)ag->applied.gateways.n, "rejected_updates",
			 (json_int_t)ag->rejected_updates, "cluster", agent_cluster_json(ag),
			 "bird", agent_bird_json(ag));
}

static void
client_destroy(struct aw_handler *h)
{
	aw_conn_free(&((struct status_client *)h)->c);
	free(h);
}

static void
client_close(struct status_client *cl)
{
	struct status_srv *srv = cl->srv;

	if (cl->c.h.dead)
		return;
	if (cl->prev != NULL)
		cl->prev->next = cl->next;
	else
		srv->clients = cl->next;
	if (cl->next != NULL)
		cl->next->prev = cl->prev;
	srv->n--;
	aw_loop_kill(cl->c.loop, &cl->c.h);
}

static void
reply(struct status_client *cl, char *line)
{
	size_t before = aw_conn_queued(&cl->c);

	if (line == NULL || aw_conn_send(&cl->c, line, strlen(line)) < 0)
		client_close(cl);
	else if (before == 0 || aw_conn_queued(&cl->c) < before + strlen(line) + 1)
		cl->out_ms = aw_now_ms();
	free(line);
}

static void
on_line(struct status_client *cl, const char *line, size_t len)
{
	json_error_t je;
	json_t *req = json_loadb(line, len, 0, &je);
	const char *op = json_string_value(json_object_get(req, "op"));

	cl->last_req_ms = aw_now_ms();
	if (req == NULL)
		reply(cl, aw_msg_reply_error("invalid JSON at column %d: %s", je.column, je.text));
	else if (!json_is_object(req))
		reply(cl, aw_msg_reply_error("expected a JSON object"));
	else if (op == NULL)
		reply(cl, aw_msg_reply_error("op: missing required field (string)"));
	else if (json_object_size(req) == 1 &&
		 (strcmp(op, "drain") == 0 || strcmp(op, "undrain") == 0))
		reply(cl, agent_drain_op(cl->ag, op));
	else if (json_object_size(req) != 1)
		reply(cl, aw_msg_reply_error("%s takes no arguments", op));
	else if (strcmp(op, "status") == 0) {
		json_t *s = status_json(cl->ag);
		reply(cl, aw_msg_reply_ok(s));
		json_decref(s);
	} else if (strcmp(op, "ping") == 0)
		reply(cl, strdup("{\"ok\":true,\"pong\":true}"));
	else
		reply(cl, aw_msg_reply_error("op: unknown method '%.64s' (known: status, ping, drain, undrain)", op));
	json_decref(req);
}

/* Answers buffered requests below the high-water mark; an oversized line,
 * or a peer that has shut its side and has everything answered, closes. */
static void
serve_lines(struct status_client *cl)
{
	char *line;
	size_t len;
	int rc = AW_LINE_OK;

	while (!cl->c.h.dead && aw_conn_queued(&cl->c) < STATUS_HIGH_WATER &&
	       (rc = aw_linebuf_next(&cl->c.in, &line, &len)) == AW_LINE_OK)
		if (len > 0)
			on_line(cl, line, len);
	if (cl->c.h.dead)
		return;
	if (rc == AW_LINE_TOO_LONG || (cl->eof && rc == AW_LINE_NONE && aw_conn_queued(&cl->c) == 0))
		client_close(cl);
}

static void
client_event(struct aw_handler *h, uint32_t events)
{
	struct status_client *cl = (struct status_client *)h;
	size_t before = aw_conn_queued(&cl->c);
	uint32_t ev;

	if (before > 0 && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
		if (aw_conn_on_writable(&cl->c) < 0) {
			client_close(cl);
			return;
		}
		if (aw_conn_queued(&cl->c) < before)
			cl->out_ms = aw_now_ms();
	}
	if (!cl->eof && aw_conn_queued(&cl->c) < STATUS_HIGH_WATER &&
	    (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
		int rc = aw_conn_read(&cl->c);
		if (rc == AW_LINE_EOF)
			cl->eof = true;
		else if (rc == AW_LINE_ERROR) {
			client_close(cl);
			return;
		}
	}
	serve_lines(cl);
	if (h->dead)
		return;
	/* read only below the high-water mark and until the peer's EOF */
	ev = aw_conn_queued(&cl->c) > 0 ? EPOLLOUT : 0;
	if (!cl->eof && aw_conn_queued(&cl->c) < STATUS_HIGH_WATER)
		ev |= EPOLLIN | EPOLLRDHUP;
	if (aw_loop_mod(cl->c.loop, h, ev) < 0)
		client_close(cl);
}

static void
refuse(int fd)
{
	static const char msg[] = "{\"ok\":false,\"error\":\"too many status clients (16)\"}\n";
	ssize_t w = send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);

	(void)w; /* best effort */
	close(fd);
}

static void
accept_event(struct aw_handler *h, uint32_t events)
{
	struct agent *ag = (struct agent *)((char *)h - offsetof(struct agent, status_h));
	struct status_srv *srv = h->ctx;

	(void)events;
	for (int i = 0; i < 16; i++) {
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct status_client *cl;

		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0) {
			/* EMFILE / ENFILE: pause instead of spinning; the timer resumes */
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				aw_loop_mod(&ag->loop, h, 0);
			return;
		}
		if (srv->n >= STATUS_MAX_CLIENTS) {
			refuse(fd);
			continue;
		}
		cl = calloc(1, sizeof(*cl));
		if (cl == NULL || aw_conn_open(&cl->c, &ag->loop, fd, false, STATUS_OUT_MAX, client_event,
					       client_destroy) < 0) {
			free(cl);
			close(fd);
			continue;
		}
		cl->ag = ag;
		cl->srv = srv;
		cl->last_req_ms = cl->out_ms = aw_now_ms();
		cl->next = srv->clients;
		if (srv->clients != NULL)
			srv->clients->prev = cl;
		srv->clients = cl;
		srv->n++;
	}
	/* 16 accepted in a row: leave the rest to the next round */
}

/* Every STATUS_TICK_S: close stalled and idle clients. */
static void
timer_event(struct aw_handler *h, uint32_t events)
{
	struct status_srv *srv = h->ctx;
	uint64_t ticks, now = aw_now_ms();
	struct status_client *next;
	ssize_t r = read(h->fd, &ticks, sizeof(ticks));

	(void)events;
	(void)r;
	if (srv->ag->status_h.fd >= 0 && aw_loop_mod(&srv->ag->loop, &srv->ag->status_h, EPOLLIN) < 0)
		aw_log(AW_LOG_ERR, "status socket: epoll: %s", strerror(errno));
	for (struct status_client *cl = srv->clients; cl != NULL; cl = next) {
		next = cl->next;
		if (aw_conn_queued(&cl->c) > 0 ? now - cl->out_ms >= STATUS_SEND_MS
					       : now - cl->last_req_ms >= STATUS_IDLE_MS)
			client_close(cl);
	}
}

static void
srv_free(struct aw_handler *h)
{
	free(h->ctx);
}

static int
open_timer(struct agent *ag, struct status_srv *srv)
{
	struct itimerspec its = {.it_interval = {.tv_sec = STATUS_TICK_S},
				 .it_value = {.tv_sec = STATUS_TICK_S}};

	srv->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	srv->timer.fn = timer_event;
	srv->timer.destroy = srv_free;
	srv->timer.ctx = srv;
	srv->ag = ag;
	if (srv->timer.fd < 0)
		return -1;
	if (timerfd_settime(srv->timer.fd, 0, &its, NULL) < 0 ||
	    aw_loop_add(&ag->loop, &srv->timer, EPOLLIN) < 0) {
		close(srv->timer.fd);
		srv->timer.fd = -1;
		return -1;
	}
	return 0;
}

int
agent_status_open(struct agent *ag, char *err, size_t errlen)
{
	struct status_srv *srv = calloc(1, sizeof(*srv));
	int fd;

	if (srv == NULL || open_timer(ag, srv) < 0) {
		snprintf(err, errlen, "status timer: %s", strerror(errno));
		free(srv);
		return -1;
	}
	fd = aw_unix_listen(ag->status_path, err, errlen);
	if (fd >= 0 && aw_sock_set_perms(ag->status_path, ag->status_has_gid, ag->status_gid, err,
					 errlen) < 0) {
		close(fd);
		unlink(ag->status_path);
		fd = -1;
	}
	ag->status_h.fd = fd;
	ag->status_h.fn = accept_event;
	ag->status_h.destroy = NULL;
	ag->status_h.ctx = srv;
	if (fd >= 0 && aw_loop_add(&ag->loop, &ag->status_h, EPOLLIN) < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		close(fd);
		ag->status_h.fd = fd = -1;
	}
	if (fd < 0) {
		epoll_ctl(ag->loop.epfd, EPOLL_CTL_DEL, srv->timer.fd, NULL);
		close(srv->timer.fd);
		free(srv);
		ag->status_h.ctx = NULL;
		return -1;
	}
	return 0;
}

void
agent_status_close(struct agent *ag)
{
	struct status_srv *srv = ag->status_h.ctx;

	if (ag->status_h.fd >= 0) {
		aw_loop_kill(&ag->loop, &ag->status_h);
		unlink(ag->status_path);
	}
	if (srv == NULL)
		return;
	while (srv->clients != NULL)
		client_close(srv->clients);
	aw_loop_kill(&ag->loop, &srv->timer); /* frees srv when reaped */
	ag->status_h.ctx = NULL;
}
