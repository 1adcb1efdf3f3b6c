/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reg_mapd — anyway-registrar's connections to the map servers: connect
 * (non-blocking, backoff 100 ms .. 5 s), hello as registrar, register every
 * passing service at once, read the replies (errors are logged and counted),
 * and the deregistration on shutdown.
 * Contract: the registrar's main thread.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aw_log.h"
#include "reg.h"

struct reg_link {
	struct aw_conn c; /* first member */
	struct reg *rg;
	struct reg_mapd *m;
};

static void
link_destroy(struct aw_handler *h)
{
	aw_conn_free(&((struct reg_link *)h)->c);
	free(h);
}

static void
mapd_down(struct reg *rg, struct reg_mapd *m, const char *why)
{
	if (m->link != NULL) {
		aw_loop_kill(&rg->loop, &m->link->c.h);
		m->link->m = NULL;
		m->link = NULL;
	}
	if (why != NULL) /* condensed: a map server down fails every retry */
		aw_log_rep(&m->log_rep, AW_LOG_WARNING, "mapd %s: %s", m->name, why);
	m->up = false;
	m->retry_at_ms = aw_now_ms() + aw_backoff_next(&m->bo);
}

static void
send_reg(struct reg *rg, struct reg_mapd *m, const struct reg_svc *s, bool deregister)
{
	struct aw_msg msg;
	char *line;

	aw_msg_init(&msg, deregister ? AW_MSG_DEREGISTER : AW_MSG_REGISTER);
	msg.u.reg = s->r;
	if (deregister)
		msg.u.reg.ttl = 0;
	else if (s->drain)
		msg.u.reg.weight = 0; /* drained: the map keeps it, with no new flows */
	line = aw_msg_encode(&msg);
	if (line == NULL || aw_conn_send(&m->link->c, line, strlen(line)) < 0)
		mapd_down(rg, m, line == NULL ? "out of memory" : aw_conn_strerror(&m->link->c, errno));
	else
		m->sent++;
	free(line);
}

void
reg_send_all(struct reg *rg, const struct reg_svc *s, bool deregister)
{
	for (int i = 0; i < rg->n_mapd; i++)
		if (rg->mapd[i].up && rg->mapd[i].link != NULL)
			send_reg(rg, &rg->mapd[i], s, deregister);
}

static void
on_line(struct reg_mapd *m, const char *line, size_t len)
{
	char err[AW_MSG_ERRLEN];
	struct aw_msg msg;

	/* the map server answers: the connection (and its TLS handshake) is good */
	aw_backoff_reset(&m->bo);
	if (aw_msg_decode(line, len, &msg, err, sizeof(err)) < 0) {
		aw_log_rl(&m->log_rl, AW_LOG_WARNING, "mapd %s: unreadable reply: %s", m->name, err);
		return;
	}
	if (msg.type == AW_MSG_REPLY && !msg.u.reply.ok) {
		m->errors++;
		aw_log_rl(&m->log_rl, AW_LOG_WARNING, "mapd %s: refused: %s", m->name, msg.u.reply.error);
	}
	aw_msg_free(&msg);
}

static void
on_up(struct reg *rg, struct reg_mapd *m)
{
	char hello[AW_MSG_NAME_MAX + 64];

	m->up = true;
	aw_backoff_reset(&m->bo);
	aw_log_rep_flush(&m->log_rep);
	aw_log(AW_LOG_NOTICE, "mapd %s: connected", m->name);
	snprintf(hello, sizeof(hello), "{\"op\":\"hello\",\"role\":\"registrar\",\"name\":\"%s\"}",
		 rg->name);
	if (aw_conn_send(&m->link->c, hello, strlen(hello)) < 0) {
		mapd_down(rg, m, strerror(errno));
		return;
	}
	for (int i = 0; i < rg->n_svc && m->link != NULL; i++)
		if (rg->svc[i].seen == 1)
			send_reg(rg, m, &rg->svc[i], false);
}

static void
link_event(struct aw_handler *h, uint32_t events)
{
	struct reg_link *l = (struct reg_link *)h;
	struct reg_mapd *m = l->m;
	char *line;
	size_t len;
	int rc;

	if (m == NULL)
		return;
	if (events & EPOLLOUT) {
		bool was = l->c.connecting;
		if (aw_conn_on_writable(&l->c) < 0) {
			mapd_down(l->rg, m, aw_conn_strerror(&l->c, errno));
			return;
		}
		if (was)
			on_up(l->rg, m);
	}
	if (m->link != l || !(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	rc = aw_conn_read(&l->c);
	if (rc == AW_LINE_EOF || rc == AW_LINE_ERROR || rc == AW_LINE_TOO_LONG) {
		mapd_down(l->rg, m, rc == AW_LINE_EOF	  ? "connection closed"
				    : rc == AW_LINE_TOO_LONG ? "line longer than 1 MiB"
							     : aw_conn_strerror(&l->c, errno));
		return;
	}
	while ((rc = aw_linebuf_next(&l->c.in, &line, &len)) == AW_LINE_OK)
		if (len > 0)
			on_line(m, line, len);
}

void
reg_mapd_init(struct reg_mapd *m)
{
	aw_backoff_init(&m->bo, 100, 5000);
}

void
reg_mapd_tick(struct reg *rg, struct reg_mapd *m, uint64_t now)
{
	int inprog, fd;
	struct reg_link *l;

	if (m->link != NULL) {
		if (!m->up && now - m->connect_ms > REG_CHECK_TIMEOUT_MS * 2)
			mapd_down(rg, m, "connect timed out");
		return;
	}
	if (now < m->retry_at_ms)
		return;
	fd = aw_tcp_connect(&m->addr, &inprog);
	if (fd < 0) {
		mapd_down(rg, m, strerror(errno));
		return;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL || aw_conn_open(&l->c, &rg->loop, fd, inprog != 0, 1u << 20, link_event,
				      link_destroy) < 0) {
		free(l);
		close(fd);
		mapd_down(rg, m, "out of memory");
		return;
	}
	if (rg->tls != NULL && aw_conn_start_tls(&l->c, rg->tls) < 0) {
		aw_loop_kill(&rg->loop, &l->c.h); /* closes fd; frees l after the round */
		mapd_down(rg, m, "out of memory");
		return;
	}
	l->rg = rg;
	l->m = m;
	m->link = l;
	m->connect_ms = now;
	if (!inprog)
		on_up(rg, m);
}

/* Half-close and read until the map server closes: it has then processed
 * every deregister (closing with unread replies could reset the connection
 * and lose them). */
static void
drain(struct reg_mapd *m, uint64_t deadline)
{
	int fd = m->link->c.h.fd;
	char buf[4096];

	while (aw_conn_queued(&m->link->c) > 0 && aw_now_ms() < deadline) {
		/* what the connection waits for (a TLS handshake may wait to read) */
		struct pollfd p = {.fd = fd,
				   .events = m->link->c.h.events & EPOLLOUT ? POLLOUT : POLLIN};
		poll(&p, 1, 50);
		if (aw_conn_flush(&m->link->c) < 0)
			return;
	}
	aw_conn_close_notify(&m->link->c);
	shutdown(fd, SHUT_WR);
	while (aw_now_ms() < deadline) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 50) == 1 && read(fd, buf, sizeof(buf)) <= 0)
			return;
	}
}

void
reg_shutdown(struct reg *rg, uint32_t timeout_ms)
{
	uint64_t deadline = aw_now_ms() + timeout_ms;

	for (int i = 0; i < rg->n_svc; i++)
		reg_send_all(rg, &rg->svc[i], true);
	for (int i = 0; i < rg->n_mapd; i++)
		if (rg->mapd[i].link != NULL) {
			if (rg->mapd[i].up)
				drain(&rg->mapd[i], deadline);
			mapd_down(rg, &rg->mapd[i], NULL);
		}
}
