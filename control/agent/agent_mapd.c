/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_mapd — one subscription to a map server: connect (non-blocking, with
 * backoff), hello as subscriber, take the snapshot (in parts), then versioned
 * pushes. A push is decoded and validated whole before it touches the view;
 * a malformed one is rejected and logged, and the version gap it leaves makes
 * the agent resubscribe for a fresh snapshot. A lost map server's view is kept
 * (fail-static) until it sends a new snapshot, or until another map server is
 * synced and stale_ms has passed.
 * Contract: anyway-agent's one thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "aw_hex.h"
#include "agent.h"

struct agent_link {
	struct aw_conn c; /* first member */
	struct agent_mapd *m;
};

static void
link_destroy(struct aw_handler *h)
{
	struct agent_link *l = (struct agent_link *)h;

	aw_conn_free(&l->c);
	free(l);
}

void
agent_mapd_close(struct agent_mapd *m, const char *why)
{
	uint64_t now = aw_now_ms();

	if (m->link != NULL) {
		aw_loop_kill(&m->ag->loop, &m->link->c.h);
		m->link->m = NULL;
		m->link = NULL;
	}
	if (why != NULL) {
		aw_log_rep(&m->log_rep, AW_LOG_WARNING, "mapd %s: %s", m->name, why);
		snprintf(m->last_error, sizeof(m->last_error), "%s", why);
	}
	if (m->state != MAPD_IDLE)
		m->down_since_ms = now;
	m->state = MAPD_IDLE;
	m->in_snapshot = false;
	agent_view_clear(&m->pending);
	m->retry_at_ms = now + aw_backoff_next(&m->bo);
}

static void
mark_view(struct agent *ag, const struct agent_view *v)
{
	for (size_t i = 0; i < v->svcs.cap; i++)
		if (v->svcs.slots[i].key)
			agent_mark_service(ag, v->svcs.slots[i].key);
	for (size_t i = 0; i < v->relays.cap; i++)
		if (v->relays.slots[i].key)
			agent_mark_relay(ag, v->relays.slots[i].key);
	agent_mark_gateways(ag, v);
}

/* The hello reply: which instance of the map server this is. */
static void
on_hello_reply(struct agent_mapd *m, const json_t *data)
{
	const char *inst = json_string_value(json_object_get(data, "instance"));
	const json_t *up = json_object_get(data, "uptime_ms");

	if (inst == NULL) {
		m->instance[0] = '\0'; /* an older map server: a version going backwards tells */
		return;
	}
	if (m->instance[0] != '\0' && strcmp(m->instance, inst) != 0)
		m->restarted = true;
	snprintf(m->instance, sizeof(m->instance), "%s", inst);
	if (json_is_integer(up) && json_integer_value(up) >= 0)
		m->uptime_ms = (uint64_t)json_integer_value(up);
}

/* A complete snapshot replaces the view. After a restart of the map server
 * the old view is kept in grace (merged) until the registrars had time to
 * re-register: restart_grace_ms after the server's start. */
static void
replace_view(struct agent_mapd *m, uint64_t snap_version)
{
	struct agent *ag = m->ag;
	bool restart = m->has_view &&
		       (m->restarted || (m->instance[0] == '\0' && snap_version < m->version_before));
	uint64_t up = m->uptime_ms == UINT64_MAX ? 0 : m->uptime_ms;
	uint64_t left = ag->restart_grace_ms > up ? ag->restart_grace_ms - up : 0;

	if (restart && left > 0 && !m->has_grace) {
		m->grace = m->view; /* everything in it is rechecked: ag->full */
		agent_view_init(&m->view);
		m->has_grace = true;
	} else {
		/* no restart, or another one within the grace (the older, fuller
		 * view stays in grace): everything in the old view is rechecked */
		mark_view(ag, &m->view);
		agent_view_clear(&m->view);
	}
	if (restart && left > 0) {
		m->grace_until_ms = aw_now_ms() + left;
		m->restarts_seen++;
		aw_log(AW_LOG_NOTICE, "mapd %s: restarted (up %llu ms): nothing it had is "
				      "withdrawn for %llu ms", m->name, (unsigned long long)up,
		       (unsigned long long)left);
	}
	m->restarted = false;
	m->view = m->pending;
	agent_view_init(&m->pending);
}

static void
end_grace(struct agent_mapd *m, const char *why)
{
	if (!m->has_grace)
		return;
	aw_log(AW_LOG_NOTICE, "mapd %s: restart grace over (%s)", m->name, why);
	mark_view(m->ag, &m->grace);
	agent_view_clear(&m->grace);
	m->has_grace = false;
}

static int
on_snapshot(struct agent_mapd *m, const struct aw_msg *msg)
{
	const struct aw_msg_snapshot *s = &msg->u.snapshot;

	if (m->in_snapshot && msg->version != m->version)
		return -1;
	m->in_snapshot = true;
	m->version = msg->version;
	for (uint32_t i = 0; i < s->n_services; i++)
		if (agent_view_set_service(&m->pending, s->services[i].service, s->services[i].dests,
					   s->services[i].n_dests) < 0)
			return -1;
	for (uint32_t i = 0; i < s->n_relays; i++)
		if (agent_view_set_relay(&m->pending, &s->relays[i], true) < 0)
			return -1;
	if (agent_gateway_snapshot(&m->pending, s) < 0)
		return -1;
	if (s->more)
		return 0;
	/* complete: the new view replaces the old one; everything in either is rechecked */
	replace_view(m, msg->version);
	m->in_snapshot = false;
	m->has_view = true;
	m->state = MAPD_SYNCED;
	m->snapshots++;
	aw_backoff_reset(&m->bo);
	m->ag->full = true;
	return 0;
}

/* A versioned push: must be the next version after what we have. */
static int
on_push(struct agent_mapd *m, const struct aw_msg *msg)
{
	char hex[2 * AW_MSG_PATH_ID_LEN + 1];

	if (m->state != MAPD_SYNCED || !msg->has_version || msg->version != m->version + 1)
		return -1;
	m->version = msg->version;
	m->updates++;
	switch (msg->type) {
	case AW_MSG_SERVICE:
		if (agent_view_set_service(&m->view, msg->u.svc.service, msg->u.svc.dests,
					   msg->u.svc.n_dests) < 0)
			return -1;
		agent_mark_service(m->ag, msg->u.svc.service);
		return 0;
	case AW_MSG_GATEWAY_ADD:
	case AW_MSG_GATEWAY_DEL:
		return agent_gateway_push(m, msg);
	case AW_MSG_RELAY_ADD:
		if (agent_view_set_relay(&m->view, &msg->u.relay, true) < 0)
			return -1;
		aw_hex_encode(msg->u.relay.path_id, AW_MSG_PATH_ID_LEN, hex);
		agent_mark_relay(m->ag, hex);
		return 0;
	default: /* RELAY_DEL */
		aw_hex_encode(msg->u.path_id, AW_MSG_PATH_ID_LEN, hex);
		agent_view_del_relay(&m->view, hex);
		agent_mark_relay(m->ag, hex);
		return 0;
	}
}

/* 0: go on; -1: the connection was closed. */
static int
on_line(struct agent_mapd *m, const char *line, size_t len)
{
	char err[AW_MSG_ERRLEN], why[AW_MSG_ERRLEN + 64];
	struct aw_msg msg;
	int rc = 0;

	if (len == 0 || agent_cluster_line(m, line, len))
		return 0;
	if (aw_msg_decode(line, len, &msg, err, sizeof(err)) < 0) {
		m->rejected++;
		m->ag->rejected_updates++;
		aw_log_rl(&m->log_rl, AW_LOG_WARNING,
			  "mapd %s: rejected a malformed message, nothing applied: %s", m->name, err);
		snprintf(m->last_error, sizeof(m->last_error), "rejected: %s", err);
		return 0;
	}
	switch (msg.type) {
	case AW_MSG_REPLY:
		if (!msg.u.reply.ok) {
			snprintf(why, sizeof(why), "error reply: %s", msg.u.reply.error);
			agent_mapd_close(m, why);
			rc = -1;
		} else if (msg.u.reply.data != NULL && m->state == MAPD_HELLO) {
			on_hello_reply(m, msg.u.reply.data);
		}
		break;
	case AW_MSG_SNAPSHOT:
		if (on_snapshot(m, &msg) < 0) {
			agent_mapd_close(m, "inconsistent snapshot parts: resubscribing");
			rc = -1;
		}
		break;
	case AW_MSG_SERVICE:
	case AW_MSG_RELAY_ADD:
	case AW_MSG_RELAY_DEL:
	case AW_MSG_GATEWAY_ADD:
	case AW_MSG_GATEWAY_DEL:
		if (on_push(m, &msg) < 0) {
			snprintf(why, sizeof(why), "version %llu after %llu: resubscribing for a snapshot",
				 (unsigned long long)msg.version, (unsigned long long)m->version);
			agent_mapd_close(m, why);
			rc = -1;
		}
		break;
	case AW_MSG_PING:
		/* liveness: mapd closes a subscriber that sends nothing for its idle
		 * timeout (control/PROTOCOL.md); its pong reply is ignored above */
		if (aw_conn_send(&m->link->c, "{\"op\":\"ping\"}", 13) < 0) {
			agent_mapd_close(m, aw_conn_strerror(&m->link->c, errno));
			rc = -1;
		}
		break;
	default:
		aw_log_rl(&m->log_rl, AW_LOG_INFO, "mapd %s: ignored op %s", m->name,
			  aw_msg_type_name(msg.type));
	}
	aw_msg_free(&msg);
	return rc;
}

static void
link_readable(struct agent_mapd *m)
{
	struct agent_link *l = m->link;

	for (int r = 0; r < 32 && m->link == l; r++) {
		int rc = aw_conn_read(&l->c);
		char *line;
		size_t len;

		if (rc == AW_LINE_AGAIN)
			return;
		if (rc == AW_LINE_EOF || rc == AW_LINE_ERROR) {
			agent_mapd_close(m, rc == AW_LINE_EOF ? "connection closed"
							      : aw_conn_strerror(&l->c, errno));
			return;
		}
		m->last_rx_ms = aw_now_ms();
		while (m->link == l && rc != AW_LINE_TOO_LONG &&
		       (rc = aw_linebuf_next(&l->c.in, &line, &len)) == AW_LINE_OK)
			on_line(m, line, len);
		if (rc == AW_LINE_TOO_LONG && m->link == l) {
			agent_mapd_close(m, "line longer than 1 MiB");
			return;
		}
	}
}

static void
link_event(struct aw_handler *h, uint32_t events)
{
	struct agent_link *l = (struct agent_link *)h;
	struct agent_mapd *m = l->m;

	if (m == NULL)
		return;
	if (events & EPOLLOUT) {
		bool was_connecting = l->c.connecting;
		if (aw_conn_on_writable(&l->c) < 0) {
			agent_mapd_close(m, aw_conn_strerror(&l->c, errno));
			return;
		}
		if (was_connecting && m->state == MAPD_CONNECTING) {
			m->state = MAPD_HELLO;
			aw_log_rep_flush(&m->log_rep);
			aw_log(AW_LOG_NOTICE, "mapd %s: connected", m->name);
		}
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		link_readable(m);
}

static void
start_connect(struct agent_mapd *m, uint64_t now)
{
	char hello[AW_MSG_NAME_MAX + 64];
	int in_progress;
	int fd = aw_tcp_connect(&m->addr, &in_progress);
	struct agent_link *l;

	m->reconnects++;
	if (fd < 0) {
		agent_mapd_close(m, strerror(errno));
		return;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL || aw_conn_open(&l->c, &m->ag->loop, fd, in_progress != 0, 256u << 10,
				      link_event, link_destroy) < 0) {
		free(l);
		close(fd);
		agent_mapd_close(m, "out of memory");
		return;
	}
	if (m->ag->tls != NULL && aw_conn_start_tls(&l->c, m->ag->tls) < 0) {
		aw_loop_kill(&m->ag->loop, &l->c.h); /* closes fd; frees l after the round */
		agent_mapd_close(m, "out of memory");
		return;
	}
	l->m = m;
	m->link = l;
	m->state = in_progress ? MAPD_CONNECTING : MAPD_HELLO;
	m->connect_ms = m->last_rx_ms = now;
	m->restarted = false;
	m->version_before = m->version;
	m->uptime_ms = UINT64_MAX;
	snprintf(hello, sizeof(hello), "{\"op\":\"hello\",\"role\":\"subscriber\",\"name\":\"%s\"}",
		 m->ag->name);
	if (aw_conn_send(&l->c, hello, strlen(hello)) < 0)
		agent_mapd_close(m, strerror(errno));
}

/* The data plane refused relay hex: tell each connected map server that
 * pushed it (relay.refused; control/PROTOCOL.md). */
void
agent_mapd_report_refused(struct agent *ag, const char *hex, const char *error)
{
	agent_mapd_report_refused_gw(ag, false, hex, error);
}

/* Same for a relay or (gateway) a gateway entry: relay.refused / gateway.refused. */
void
agent_mapd_report_refused_gw(struct agent *ag, bool gateway, const char *hex, const char *error)
{
	struct aw_msg msg;
	size_t n = 0;

	aw_msg_init(&msg, gateway ? AW_MSG_GATEWAY_REFUSED : AW_MSG_RELAY_REFUSED);
	for (int i = 0; i < AW_MSG_PATH_ID_LEN; i++) {
		int hi = aw_hex_digit(hex[2 * i]), lo = hi < 0 ? -1 : aw_hex_digit(hex[2 * i + 1]);
		if (lo < 0)
			return;
		msg.u.refusal.path_id[i] = (uint8_t)(hi << 4 | lo);
	}
	/* printable ASCII, 1..255 bytes, as lib/proto wants */
	for (const char *p = error; *p != '\0' && n < AW_MSG_NAME_MAX; p++)
		msg.u.refusal.error[n++] = *p >= 0x20 && *p <= 0x7e ? *p : '?';
	if (n == 0)
		msg.u.refusal.error[n++] = '?';
	char *line = aw_msg_encode(&msg);
	for (int i = 0; line != NULL && i < ag->n_mapd; i++) {
		struct agent_mapd *m = &ag->mapd[i];
		const struct aw_strmap *v = gateway ? &m->view.gateways : &m->view.relays;
		const struct aw_strmap *g = gateway ? &m->grace.gateways : &m->grace.relays;

		/* an older map server (no "instance" at hello) has no relay.refused */
		if (m->state != MAPD_SYNCED || m->link == NULL || m->instance[0] == '\0' ||
		    (aw_strmap_get(v, hex) == NULL &&
		     (!m->has_grace || aw_strmap_get(g, hex) == NULL)))
			continue;
		/* ENOBUFS: the report is dropped, the link kept */
		if (aw_conn_send(&m->link->c, line, strlen(line)) < 0 && errno != ENOBUFS)
			agent_mapd_close(m, aw_conn_strerror(&m->link->c, errno));
	}
	free(line);
}

int
agent_mapd_send(struct agent_mapd *m, const char *line)
{
	if (m->link == NULL)
		return -1;
	/* written at once: membership lines are rare, and the last one
	 * (member.deregister) goes out just before the agent exits */
	if (aw_conn_send(&m->link->c, line, strlen(line)) == 0 && aw_conn_flush(&m->link->c) == 0)
		return 0;
	if (errno != ENOBUFS)
		agent_mapd_close(m, aw_conn_strerror(&m->link->c, errno));
	return -1;
}

void
agent_mapd_init(struct agent_mapd *m, struct agent *ag)
{
	m->ag = ag;
	m->state = MAPD_IDLE;
	agent_view_init(&m->view);
	agent_view_init(&m->pending);
	agent_view_init(&m->grace);
	aw_backoff_init(&m->bo, 100, 5000);
}

static bool
another_synced(const struct agent_mapd *m)
{
	for (int i = 0; i < m->ag->n_mapd; i++)
		if (&m->ag->mapd[i] != m && m->ag->mapd[i].state == MAPD_SYNCED)
			return true;
	return false;
}

void
agent_mapd_tick(struct agent_mapd *m, uint64_t now)
{
	if (m->state == MAPD_IDLE && now >= m->retry_at_ms)
		start_connect(m, now);
	else if (m->state == MAPD_CONNECTING && now - m->connect_ms > AGENT_DP_TIMEOUT_MS)
		agent_mapd_close(m, "connect timed out");
	else if (m->state != MAPD_IDLE && now - m->last_rx_ms > AGENT_SILENCE_MS)
		agent_mapd_close(m, "nothing heard for 15 s: reconnecting");
	if (m->state != MAPD_SYNCED && m->has_view && another_synced(m) &&
	    now - m->down_since_ms > m->ag->stale_ms) {
		aw_log(AW_LOG_WARNING, "mapd %s: lost for %llu ms, its view is dropped", m->name,
		       (unsigned long long)(now - m->down_since_ms));
		mark_view(m->ag, &m->view);
		agent_view_clear(&m->view);
		m->has_view = false;
		end_grace(m, "map server lost");
	}
	if (m->has_grace && now >= m->grace_until_ms)
		end_grace(m, "time is up");
}
