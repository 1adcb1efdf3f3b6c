/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_metrics_http — GET /metrics over HTTP/1.1; see aw_metrics_http.h.
 *
 * A connection reads its request head (up to the blank line) into a fixed
 * buffer, builds the whole response, writes it (EPOLLOUT while the socket is
 * full), then shuts its side down and discards input until the client
 * closes, so that unread request bytes never turn the close into a reset
 * that could cut the response short. Every phase is bounded by the deadline.
 */
#define _GNU_SOURCE /* accept4 */
#include "aw_metrics_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "aw_net.h"

enum mhttp_phase { PH_READ, PH_WRITE, PH_DRAIN };

struct aw_mhttp_conn {
	struct aw_handler h; /* first member */
	struct aw_metrics_http *s;
	struct aw_mhttp_conn *prev, *next;
	enum mhttp_phase phase;
	uint64_t deadline_ms;
	size_t in_len;
	char in[AW_MHTTP_REQ_MAX + 1];
	char *out; /* the response, malloc()ed */
	size_t out_len, out_off;
};

static void
conn_destroy(struct aw_handler *h)
{
	struct aw_mhttp_conn *c = (struct aw_mhttp_conn *)h;

	free(c->out);
	free(c);
}

static void
conn_close(struct aw_mhttp_conn *c)
{
	struct aw_metrics_http *s = c->s;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	aw_loop_kill(s->loop, &c->h);
}

/* The status line, headers and body (NULL: none) as c->out. */
static void
respond(struct aw_mhttp_conn *c, const char *status, const char *extra, const char *ctype,
	const char *body, size_t body_len, bool head_only)
{
	char hdr[512];
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
		     "Connection: close\r\n\r\n",
		     status, ctype, body_len, extra ? extra : "");
	if (head_only)
		body_len = 0;
	c->out = malloc((size_t)n + body_len);
	if (!c->out) {
		conn_close(c);
		return;
	}
	memcpy(c->out, hdr, (size_t)n);
	if (body_len)
		memcpy(c->out + n, body, body_len);
	c->out_len = (size_t)n + body_len;
	c->out_off = 0;
	c->phase = PH_WRITE;
	c->deadline_ms = aw_now_ms() + AW_MHTTP_TIMEOUT_MS;
	aw_loop_mod(c->s->loop, &c->h, EPOLLOUT);
}

static void
respond_error(struct aw_mhttp_conn *c, const char *status, const char *extra)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "%s\n", status);

	c->s->bad_requests++;
	respond(c, status, extra, "text/plain; charset=utf-8", body, (size_t)n, false);
}

static void
respond_metrics(struct aw_mhttp_conn *c, bool head_only)
{
	struct aw_metrics w;

	aw_metrics_init(&w);
	c->s->fill(&w, c->s->arg);
	aw_metrics_end(&w);
	if (w.oom) {
		aw_metrics_free(&w);
		respond_error(c, "500 Internal Server Error", NULL);
		return;
	}
	c->s->scrapes++;
	respond(c, "200 OK", NULL, AW_METRICS_CONTENT_TYPE, w.buf, w.len, head_only);
	aw_metrics_free(&w);
}

/* The request line of a complete head: "METHOD SP TARGET SP HTTP/1.x".
 * Headers are not interpreted. */
static void
handle_request(struct aw_mhttp_conn *c)
{
	char *line = c->in, *eol = strchr(c->in, '\n'), *sp1, *sp2, *target;
	size_t tlen;

	*eol = '\0'; /* CRLF, or a bare LF (RFC 9112 §2.2 allows accepting it) */
	if (eol > line && eol[-1] == '\r')
		eol[-1] = '\0';
	sp1 = strchr(line, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || sp1 == line || sp2 == sp1 + 1 || strchr(sp2 + 1, ' ') ||
	    (strcmp(sp2 + 1, "HTTP/1.1") != 0 && strcmp(sp2 + 1, "HTTP/1.0") != 0)) {
		respond_error(c, "400 Bad Request", NULL);
		return;
	}
	*sp1 = *sp2 = '\0';
	target = sp1 + 1;
	tlen = strcspn(target, "?");
	if (tlen != strlen("/metrics") || memcmp(target, "/metrics", tlen) != 0) {
		respond_error(c, "404 Not Found", NULL);
		return;
	}
	if (strcmp(line, "GET") != 0 && strcmp(line, "HEAD") != 0) {
		respond_error(c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n");
		return;
	}
	respond_metrics(c, strcmp(line, "HEAD") == 0);
}

static void
on_read(struct aw_mhttp_conn *c)
{
	char sink[4096];
	ssize_t n;

	if (c->phase == PH_DRAIN) {
		/* bounded by the deadline; EOF or error ends it */
		n = read(c->h.fd, sink, sizeof(sink));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(c);
		return;
	}
	n = read(c->h.fd, c->in + c->in_len, AW_MHTTP_REQ_MAX - c->in_len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	if (n < 0)
		return;
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	if (memchr(c->in, '\0', c->in_len)) {
		respond_error(c, "400 Bad Request", NULL);
		return;
	}
	if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n"))
		handle_request(c);
	else if (c->in_len >= AW_MHTTP_REQ_MAX)
		respond_error(c, "431 Request Header Fields Too Large", NULL);
}

static void
on_write(struct aw_mhttp_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->h.fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	shutdown(c->h.fd, SHUT_WR);
	c->phase = PH_DRAIN;
	c->deadline_ms = aw_now_ms() + AW_MHTTP_TIMEOUT_MS;
	aw_loop_mod(c->s->loop, &c->h, EPOLLIN);
}

static void
conn_event(struct aw_handler *h, uint32_t events)
{
	struct aw_mhttp_conn *c = (struct aw_mhttp_conn *)h;

	if (c->phase == PH_WRITE && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		on_write(c);
	else if (c->phase != PH_WRITE && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		on_read(c);
}

/* The timer runs only while there is a connection or a paused listener. */
static void
arm_timer(struct aw_metrics_http *s, bool on)
{
	struct itimerspec its = {{0, 0}, {0, 0}};

	if (on == s->timer_armed)
		return;
	if (on)
		its.it_interval.tv_nsec = its.it_value.tv_nsec = 250 * 1000000L;
	if (timerfd_settime(s->th.fd, 0, &its, NULL) == 0)
		s->timer_armed = on;
}

static void
accept_one(struct aw_metrics_http *s, int fd)
{
	struct aw_mhttp_conn *c;

	if (s->n_conns >= AW_MHTTP_MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
		s->refused++;
		close(fd);
		return;
	}
	c->s = s;
	c->h.fd = fd;
	c->h.fn = conn_event;
	c->h.destroy = conn_destroy;
	c->phase = PH_READ;
	c->deadline_ms = aw_now_ms() + AW_MHTTP_TIMEOUT_MS;
	if (aw_loop_add(s->loop, &c->h, EPOLLIN) < 0) {
		s->refused++;
		close(fd);
		free(c);
		return;
	}
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	arm_timer(s, true);
}

static void
listener_event(struct aw_handler *h, uint32_t events)
{
	struct aw_metrics_http *s = h->ctx;

	(void)events;
	for (int i = 0; i < 64; i++) { /* bounded per round */
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* no spinning on a level-triggered listener: resume on
				 * the next timer tick */
				s->refused++;
				s->paused = true;
				aw_loop_mod(s->loop, &s->lh, 0);
				arm_timer(s, true);
			}
			return;
		}
		accept_one(s, fd);
	}
}

static void
timer_event(struct aw_handler *h, uint32_t events)
{
	struct aw_metrics_http *s = h->ctx;
	uint64_t expirations, now = aw_now_ms();
	struct aw_mhttp_conn *c, *next;

	(void)events;
	if (read(h->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return;
	for (c = s->conns; c; c = next) {
		next = c->next;
		if (now >= c->deadline_ms) {
			if (c->phase != PH_DRAIN)
				s->timeouts++;
			conn_close(c);
		}
	}
	if (s->paused) {
		s->paused = false;
		aw_loop_mod(s->loop, &s->lh, EPOLLIN);
	}
	if (!s->conns)
		arm_timer(s, false);
}

static int
open_timer(struct aw_metrics_http *s)
{
	s->th.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->th.fd < 0)
		return -1;
	s->th.fn = timer_event;
	s->th.ctx = s;
	if (aw_loop_add(s->loop, &s->th, EPOLLIN) < 0) {
		close(s->th.fd);
		s->th.fd = -1;
		return -1;
	}
	return 0;
}

int
aw_metrics_http_open(struct aw_metrics_http *s, struct aw_loop *l, const char *hostport,
		     aw_metrics_fill_fn fill, void *arg, char *err, size_t errlen)
{
	struct aw_sockaddr a;
	char e[160];

	memset(s, 0, sizeof(*s));
	s->lh.fd = s->th.fd = -1;
	s->loop = l;
	s->fill = fill;
	s->arg = arg;
	if (aw_hostport_parse(hostport, 0, &a, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	aw_sockaddr_format(&a, s->listen, sizeof(s->listen));
	s->lh.fd = aw_tcp_listen(&a, e, sizeof(e));
	if (s->lh.fd < 0) {
		snprintf(err, errlen, "%s: %s", hostport, e);
		return -1;
	}
	s->lh.fn = listener_event;
	s->lh.ctx = s;
	if (aw_loop_add(l, &s->lh, EPOLLIN) < 0 || open_timer(s) < 0) {
		snprintf(err, errlen, "%s: %s", hostport, strerror(errno));
		aw_metrics_http_close(s);
		return -1;
	}
	return 0;
}

void
aw_metrics_http_close(struct aw_metrics_http *s)
{
	if (!s->loop)
		return;
	while (s->conns)
		conn_close(s->conns);
	if (s->lh.fd >= 0)
		aw_loop_kill(s->loop, &s->lh);
	if (s->th.fd >= 0)
		aw_loop_kill(s->loop, &s->th);
	s->lh.fd = s->th.fd = -1;
	s->loop = NULL;
}

void
aw_metrics_http_self(const struct aw_metrics_http *s, struct aw_metrics *w, const char *prefix)
{
	char name[AW_METRICS_NAME_MAX];

	snprintf(name, sizeof(name), "%s_metrics_scrapes", prefix);
	aw_metrics_family(w, name, AW_METRIC_COUNTER, "Metrics requests answered with 200.");
	aw_metrics_u64(w, s->scrapes, NULL);
	snprintf(name, sizeof(name), "%s_metrics_http_errors", prefix);
	aw_metrics_family(w, name, AW_METRIC_COUNTER,
			  "Metrics connections not served, by reason.");
	aw_metrics_u64(w, s->bad_requests, "reason", "bad_request", NULL);
	aw_metrics_u64(w, s->refused, "reason", "too_many_connections", NULL);
	aw_metrics_u64(w, s->timeouts, "reason", "timeout", NULL);
}
