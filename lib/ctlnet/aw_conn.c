/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "aw_tls.h"

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

int
aw_conn_start_tls(struct aw_conn *c, struct aw_tls *tls)
{
	c->ssl = aw_tls_ssl_new(tls, c->h.fd);
	if (c->ssl == NULL)
		return -1;
	c->tls = tls;
	c->tls_state = AW_CONN_TLS_HANDSHAKE;
	/* a client speaks first: start once the socket is writable */
	if (!tls->server && !c->connecting)
		return aw_loop_mod(c->loop, &c->h, EPOLLIN | EPOLLRDHUP | EPOLLOUT);
	return 0;
}

const char *
aw_conn_strerror(const struct aw_conn *c, int err)
{
	if (err == EPROTO && c->ssl != NULL)
		return aw_tls_last_error();
	return strerror(err);
}

/* One handshake step: 1 done, 0 waiting (interest set), -1 failed (EPROTO),
 * -2 closed by the peer before it sent a byte of TLS (a probe: not counted). */
static int
tls_step(struct aw_conn *c)
{
	if (c->tls_state == AW_CONN_TLS_UP)
		return 1;
	if (c->tls_state == AW_CONN_TLS_FAILED) {
		errno = EPROTO;
		return -1;
	}
	ERR_clear_error();
	errno = 0;
	int r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		if (aw_tls_peer_id(c->ssl, c->peer_id, sizeof(c->peer_id)) < 0) {
			aw_tls_set_error("TLS handshake failed: peer certificate has no subject CN "
					 "or DNS name in printable ASCII");
			goto failed;
		}
		c->tls_state = AW_CONN_TLS_UP;
		c->tls->handshakes++;
		return 1;
	}
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		uint32_t ev = EPOLLIN | EPOLLRDHUP | (e == SSL_ERROR_WANT_WRITE ? EPOLLOUT : 0);
		return aw_loop_mod(c->loop, &c->h, ev) < 0 ? -1 : 0;
	}
	if (c->tls->server && BIO_number_read(SSL_get_rbio(c->ssl)) == 0 &&
	    (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0))) {
		ERR_clear_error();
		c->tls_state = AW_CONN_TLS_FAILED;
		errno = EPIPE;
		return -2;
	}
	aw_tls_reason(c->ssl, r, true);
failed:
	c->tls_state = AW_CONN_TLS_FAILED;
	c->tls->handshake_failed++;
	errno = EPROTO;
	return -1;
}

void
aw_conn_close_notify(struct aw_conn *c)
{
	if (c->ssl != NULL && c->tls_state == AW_CONN_TLS_UP) {
		SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
}

void
aw_conn_free(struct aw_conn *c)
{
	SSL_free(c->ssl);
	c->ssl = NULL;
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
	if (c->connecting || c->tls_state == AW_CONN_TLS_HANDSHAKE)
		return 0; /* leaves when the connection (or its handshake) is up */
	/* Coalesce: lines queued in one loop round leave in one write, when the
	 * loop reports the socket writable; a large backlog is written now. */
	if (aw_conn_queued(c) >= AW_CONN_FLUSH_NOW || aw_conn_queued(c) >= c->out_max / 2)
		return aw_conn_flush(c);
	return aw_loop_mod(c->loop, &c->h, EPOLLIN | EPOLLRDHUP | EPOLLOUT);
}

/* SSL_write what is queued: 0 (all, or the socket is full), -1 (EPROTO). */
static int
tls_write(struct aw_conn *c, bool *want_write)
{
	*want_write = false;
	if (tls_step(c) <= 0)
		return c->tls_state == AW_CONN_TLS_FAILED ? -1 : 1;
	while (c->out_off < c->out_len) {
		size_t n = c->out_len - c->out_off;
		ERR_clear_error();
		errno = 0;
		int w = SSL_write(c->ssl, c->out + c->out_off,
				  n > (1u << 30) ? (int)(1u << 30) : (int)n);
		if (w > 0) {
			c->out_off += (size_t)w;
			continue;
		}
		int e = SSL_get_error(c->ssl, w);
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
			*want_write = e == SSL_ERROR_WANT_WRITE;
			return 0;
		}
		aw_tls_reason(c->ssl, w, false);
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int
aw_conn_flush(struct aw_conn *c)
{
	if (c->ssl != NULL) {
		bool want_write;
		int rc = tls_write(c, &want_write);
		if (rc != 0)
			return rc < 0 ? -1 : 0; /* 1: handshake still going, interest set */
		if (c->out_off == c->out_len)
			c->out_off = c->out_len = 0;
		uint32_t ev = EPOLLIN | EPOLLRDHUP | (c->out_len || want_write ? EPOLLOUT : 0);
		return aw_loop_mod(c->loop, &c->h, ev);
	}
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
	bool want_write;
	int rc;

	if (c->ssl == NULL)
		return aw_linebuf_read(&c->in, c->h.fd);
	if (c->tls_state != AW_CONN_TLS_UP) {
		rc = tls_step(c);
		if (rc <= 0)
			return rc == -2 ? AW_LINE_EOF : rc < 0 ? AW_LINE_ERROR : AW_LINE_AGAIN;
		if (aw_conn_flush(c) < 0) /* what was queued during the handshake */
			return AW_LINE_ERROR;
	}
	rc = aw_tls_read(c->ssl, &c->in, &want_write);
	if (want_write)
		aw_loop_mod(c->loop, &c->h, EPOLLIN | EPOLLRDHUP | EPOLLOUT);
	return rc;
}
