/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_client — anyway-mapd's listeners and connections: accept, read lines,
 * bounded output, drop, and the broadcast to subscribers.
 * Contract: anyway-mapd's one thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aw_net.h"
#include "aw_log.h"
#include "mapd.h"

#define READS_PER_EVENT 16

static void client_destroy(struct aw_handler *h);

void
mapd_client_drop(struct mapd *md, struct mapd_client *cl, const char *why)
{
	if (cl->c.h.dead)
		return;
	if (why != NULL)
		aw_log_rl(&md->log_drop, AW_LOG_INFO, "%s %s (%s): %s", cl->peer, /* peer-made */
			  cl->hello ? aw_role_name(cl->role) : "-", cl->name, why);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		md->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	md->n_clients--;
	if (aw_conn_queued(&cl->c) > 0 && aw_conn_queued(&cl->c) < cl->c.out_max)
		aw_conn_flush(&cl->c); /* best effort: a last error reply, say */
	aw_loop_kill(&md->loop, &cl->c.h);
	/* the buffers go now, not after the loop round: a round may drop many */
	aw_conn_free(&cl->c);
	mapd_account(md, cl); /* dead: its buffers leave the totals */
	mapd_source_release(md, cl);
	mapd_acl_client_gone(md, cl);
}

static void
client_destroy(struct aw_handler *h)
{
	struct mapd_client *cl = (struct mapd_client *)h;

	aw_conn_free(&cl->c);
	free(cl);
}

int
mapd_client_send(struct mapd_client *cl, const char *line)
{
	if (cl->c.h.dead)
		return -1;
	if (line == NULL) {
		mapd_client_drop(cl->md, cl, "out of memory");
		return -1;
	}
	if (cl->subscribed && cl->c.out_max > cl->md->sub_queue_max) {
		/* a snapshot backlog is being sent: the allowance shrinks as it drains */
		size_t lim = aw_conn_queued(&cl->c) + cl->md->sub_queue_max;
		if (lim < cl->c.out_max)
			cl->c.out_max = lim;
	}
	if (aw_conn_send(&cl->c, line, strlen(line)) < 0) {
		if (errno == ENOBUFS && cl->subscribed)
			cl->md->subscribers_dropped++;
		mapd_client_drop(cl->md, cl,
				 errno == ENOBUFS ? "output queue full (too far behind): disconnected"
						  : aw_conn_strerror(&cl->c, errno));
		return -1;
	}
	mapd_account(cl->md, cl);
	return 0;
}

int
mapd_client_reply_ok(struct mapd_client *cl, json_t *data)
{
	char *line = aw_msg_reply_ok(data);
	int rc = mapd_client_send(cl, line);

	json_decref(data);
	free(line);
	return rc;
}

int
mapd_client_reply_err(struct mapd_client *cl, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cl->errors++;
	char *line = aw_msg_reply_error("%s", msg);
	int rc = mapd_client_send(cl, line);
	free(line);
	return rc;
}

void
mapd_broadcast(struct mapd *md, const char *line)
{
	struct mapd_client *cl = md->clients, *next;

	for (; cl != NULL; cl = next) {
		next = cl->next;
		if (cl->subscribed)
			mapd_client_send(cl, line);
	}
	mapd_enforce_budgets(md);
}

/* After the lines of one read: when a partial line started, and the budgets. */
static void
after_lines(struct mapd *md, struct mapd_client *cl)
{
	if (cl->c.h.dead)
		return;
	if (aw_linebuf_pending(&cl->c.in) == 0)
		cl->partial_since_ms = 0;
	else if (cl->partial_since_ms == 0)
		cl->partial_since_ms = aw_now_ms();
	mapd_account(md, cl);
}

static void
client_readable(struct mapd *md, struct mapd_client *cl)
{
	for (int r = 0; r < READS_PER_EVENT && !cl->c.h.dead; r++) {
		int rc = aw_conn_read(&cl->c);
		char *line;
		size_t len;

		if (rc == AW_LINE_AGAIN)
			return;
		if (rc == AW_LINE_EOF) {
			mapd_client_drop(md, cl, NULL);
			return;
		}
		if (rc == AW_LINE_ERROR) {
			mapd_client_drop(md, cl, aw_conn_strerror(&cl->c, errno));
			return;
		}
		bool any = false;
		while (!cl->c.h.dead && rc != AW_LINE_TOO_LONG &&
		       (rc = aw_linebuf_next(&cl->c.in, &line, &len)) == AW_LINE_OK) {
			any = true;
			mapd_client_line(md, cl, line, len);
		}
		if (any)
			cl->last_rx_ms = aw_now_ms(); /* once per read, not per line */
		after_lines(md, cl);
		if (rc == AW_LINE_TOO_LONG && !cl->c.h.dead) {
			md->cnt.closed_line_too_long++;
			mapd_client_reply_err(cl, "line longer than %u bytes: closing", AW_LINE_MAX_DEFAULT);
			mapd_client_drop(md, cl, "line longer than 1 MiB");
			return;
		}
	}
}

static void
client_event(struct aw_handler *h, uint32_t events)
{
	struct mapd_client *cl = (struct mapd_client *)h;
	struct mapd *md = cl->md;

	if (events & EPOLLOUT) {
		if (aw_conn_on_writable(&cl->c) < 0) {
			mapd_client_drop(md, cl, aw_conn_strerror(&cl->c, errno));
			return;
		}
		mapd_account(md, cl);
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		client_readable(md, cl);
	mapd_enforce_budgets(md);
}

static void
accept_event(struct aw_handler *h, uint32_t events)
{
	struct mapd *md = ((struct mapd_listener *)h)->md;

	(void)events;
	for (int i = 0; i < 64; i++) {
		struct aw_sockaddr a = {.len = sizeof(a.ss)};
		int fd = accept4(h->fd, (struct sockaddr *)&a.ss, &a.len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				mapd_accept_no_fd(md, h->fd);
			return;
		}
		if (md->n_clients >= md->max_clients) {
			md->cnt.refused_max_clients++;
			close(fd);
			continue;
		}
		struct mapd_client *cl = calloc(1, sizeof(*cl));
		if (cl == NULL || aw_conn_open(&cl->c, &md->loop, fd, false, md->client_queue_max,
					       client_event, client_destroy) < 0) {
			free(cl);
			close(fd);
			continue;
		}
		cl->md = md;
		if (md->tls != NULL && aw_conn_start_tls(&cl->c, md->tls) < 0) {
			aw_loop_kill(&md->loop, &cl->c.h);
			continue;
		}
		cl->c.in.idle_read = 1024; /* idle connections keep a 4 KiB buffer */
		cl->serial = ++md->next_serial;
		cl->since_ms = cl->last_rx_ms = aw_now_ms();
		if (!mapd_source_admit(md, cl)) {
			aw_loop_kill(&md->loop, &cl->c.h); /* closes fd; frees cl after the round */
			continue;
		}
		aw_sockaddr_format(&a, cl->peer, sizeof(cl->peer));
		cl->next = md->clients;
		if (md->clients)
			md->clients->prev = cl;
		md->clients = cl;
		md->n_clients++;
	}
}

int
mapd_listen(struct mapd *md, const char *hostport, char *err, size_t errlen)
{
	struct aw_sockaddr a;
	int fd;

	if (md->n_lis >= MAPD_MAX_LISTEN) {
		snprintf(err, errlen, "--listen: at most %d addresses", MAPD_MAX_LISTEN);
		return -1;
	}
	if (aw_hostport_parse(hostport, 7810, &a, err, errlen) < 0)
		return -1;
	fd = aw_tcp_listen(&a, err, errlen);
	if (fd < 0)
		return -1;
	struct mapd_listener *l = &md->lis[md->n_lis];
	l->md = md;
	l->h.fd = fd;
	l->h.fn = accept_event;
	l->h.destroy = NULL;
	if (aw_loop_add(&md->loop, &l->h, EPOLLIN) < 0) {
		close(fd);
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -1;
	}
	md->n_lis++;
	return 0;
}

int
mapd_init(struct mapd *md)
{
	memset(md, 0, sizeof(*md));
	mapd_state_init(&md->st);
	aw_strmap_init(&md->relay_meta);
	aw_strmap_init(&md->gateway_meta);
	md->max_clients = 4096;
	md->sub_queue_max = 64u << 20;
	md->client_queue_max = 8u << 20;
	md->hello_timeout_ms = 10000;
	md->idle_timeout_ms = 60000;
	md->max_per_source = 64;
	md->in_budget = 64u << 20;
	md->out_budget = 256u << 20;
	if (mapd_limits_init(md) < 0)
		return -1;
	uint64_t id = 0;
	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
		id = aw_now_ms() ^ ((uint64_t)getpid() << 32);
	snprintf(md->instance, sizeof(md->instance), "%016llx", (unsigned long long)id);
	md->started_ms = aw_now_ms();
	mapd_member_init(&md->members);
	return aw_loop_init(&md->loop);
}

void
mapd_fini(struct mapd *md)
{
	while (md->clients != NULL)
		mapd_client_drop(md, md->clients, NULL);
	for (int i = 0; i < md->n_lis; i++)
		aw_loop_kill(&md->loop, &md->lis[i].h);
	aw_loop_fini(&md->loop);
	mapd_limits_fini(md);
	mapd_refusal_free(md);
	mapd_state_free(&md->st);
	aw_tls_free(md->tls);
}
