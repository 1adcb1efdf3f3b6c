/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

int
aw_conn_open(struct aw_conn *c, struct aw_loop *loop, int fd, bool connecting, size_t out_max,
	     aw_handler_fn fn, aw_destroy_fn destroy)
{
	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->out_max = out_max;
	c->connecting = connecting;
	c->h.fd = fd;
	c->h.fn = fn;
	c->h.destroy = destroy;
	if (aw_linebuf_init(&c->in, AW_LINE_MAX_DEFAULT) < 0)
		return -1;
	if (aw_loop_add(loop, &c->h, EPOLLIN | EPOLLRDHUP | (connecting ? EPOLLOUT : 0)) < 0) {
		aw_linebuf_free(&c->in);
		return -1;
	}
	return 0;
}

void
aw_conn_free(struct aw_conn *c)
{
	aw_linebuf_free(&c->in);
	free(c->out);
	c->out = NULL;
	c->out_off = c->out_len = c->out_cap = 0;
}

static int
reserve(struct aw_conn *c, size_t add)
{
	size_t need;

	if (c->out_off > 0 && (c->out_off >= c->out_len / 2 || c->out_len + add > c->out_cap)) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	need = c->out_len + add;
	if (need <= c->out_cap)
		return 0;
	size_t cap = c->out_cap ? c->out_cap : 4096;
	while (cap < need)
		cap *= 2;
	char *p = realloc(c->out, cap);
	if (p == NULL)
		return -1;
	c->out = p;
	c->out_cap = cap;
	return 0;
}

int
aw_conn_send(struct aw_conn *c, const char *line, size_t len)
{
	if (aw_conn_queued(c) + len + 1 > c->out_max && !c->connecting && aw_conn_flush(c) < 0)
		return -1;
	if (aw_conn_queued(c) + len + 1 > c->out_max) {
		errno = ENOBUFS;
		return -1;
	}
	if (reserve(c, len + 1) < 0)
		return -1;
	memcpy(c->out + c->out_len, line, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	if (c->connecting)
		return 0;
	/* Coalesce: lines queued in one loop round leave in one write, when the
	 * loop reports the socket writable; a large backlog is written now. */
	if (aw_conn_queued(c) >= AW_CONN_FLUSH_NOW || aw_conn_queued(c) >= c->out_max / 2)
		return aw_conn_flush(c);
	return aw_loop_mod(c->loop, &c->h, EPOLLIN | EPOLLRDHUP | EPOLLOUT);
}

int
aw_conn_flush(struct aw_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->h.fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	uint32_t ev = EPOLLIN | EPOLLRDHUP | (c->out_len ? EPOLLOUT : 0);
	return aw_loop_mod(c->loop, &c->h, ev);
}

void
aw_conn_trim(struct aw_conn *c)
{
	if (c->out_len == 0 && c->out_cap > AW_CONN_KEEP) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
}

int
aw_conn_on_writable(struct aw_conn *c)
{
	if (c->connecting) {
		int e = 0;
		socklen_t l = sizeof(e);

		if (getsockopt(c->h.fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
			return -1;
		if (e != 0) {
			errno = e;
			return -1;
		}
		c->connecting = false;
	}
	return aw_conn_flush(c);
}

int
aw_conn_read(struct aw_conn *c)
{
	return aw_linebuf_read(&c->in, c->h.fd);
}
