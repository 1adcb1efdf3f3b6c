/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_conn — a non-blocking line connection (SPEC §7.1 framing) on an aw_loop:
 * input through aw_linebuf (≤ 1 MiB lines), output through a queue bounded by
 * out_max bytes. Nothing blocks and nothing grows without bound: a send that
 * would push the queue past out_max fails and the caller decides (mapd
 * disconnects a subscriber that is too far behind).
 *
 * With aw_conn_start_tls() the same calls run TLS 1.3 (aw_tls): the
 * handshake is driven, non-blocking, by the same events (its WANT_READ /
 * WANT_WRITE set the epoll interest); lines queued meanwhile leave once it
 * is done; peer_id then holds the peer certificate's identity. A failed
 * handshake or TLS error: -1 / AW_LINE_ERROR with errno EPROTO, and
 * aw_conn_strerror() gives the reason.
 *
 * Contract: used by the loop's thread only. The handler's fn is the caller's;
 * it calls aw_conn_on_writable() on EPOLLOUT and aw_conn_read() on EPOLLIN.
 */
#ifndef AW_CONN_H
#define AW_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aw_line.h"
#include "aw_loop.h"

struct aw_tls;
struct ssl_st;

#define AW_PEER_ID_MAX 256

enum aw_conn_tls {
	AW_CONN_PLAIN = 0,
	AW_CONN_TLS_HANDSHAKE, /* started, not finished */
	AW_CONN_TLS_UP,
	AW_CONN_TLS_FAILED,
};

struct aw_conn {
	struct aw_handler h; /* first member: container_of(h) == conn */
	struct aw_loop *loop;
	struct aw_linebuf in;
	char *out;
	size_t out_off, out_len, out_cap, out_max;
	bool connecting; /* non-blocking connect in progress */
	uint8_t tls_state; /* enum aw_conn_tls */
	struct ssl_st *ssl;
	struct aw_tls *tls; /* counts handshakes */
	char peer_id[AW_PEER_ID_MAX];
};

/* fd must be non-blocking. Registers for EPOLLIN (EPOLLOUT too while
 * connecting). 0, or -1 (fd left open for the caller). */
int aw_conn_open(struct aw_conn *c, struct aw_loop *loop, int fd, bool connecting,
		 size_t out_max, aw_handler_fn fn, aw_destroy_fn destroy);
/* Run TLS on c (right after aw_conn_open, before any byte moved), as the
 * context's side: server (accept) or client (connect). 0, or -1 (no memory). */
int aw_conn_start_tls(struct aw_conn *c, struct aw_tls *tls);
/* strerror(err), or the TLS reason when err is EPROTO on a TLS connection. */
const char *aw_conn_strerror(const struct aw_conn *c, int err);
/* TLS: send close_notify (best effort, non-blocking) before a half-close. */
void aw_conn_close_notify(struct aw_conn *c);
/* Free buffers (the handler's destroy function calls this; calling it again,
 * or earlier on a killed connection, is harmless). */
void aw_conn_free(struct aw_conn *c);
#define AW_CONN_FLUSH_NOW (256u * 1024u) /* queued bytes written at once by send */
#define AW_CONN_KEEP (256u * 1024u) /* aw_conn_trim frees a larger, empty output buffer */

/* Queue line + '\n'; it is written when the loop next reports the socket
 * writable (so a burst of lines leaves in one write), or at once when the
 * queue holds AW_CONN_FLUSH_NOW bytes or half of out_max. 0; -1 when the
 * queue would still exceed out_max after a write (nothing queued; errno
 * ENOBUFS) or on a write error (errno). */
int aw_conn_send(struct aw_conn *c, const char *line, size_t len);
/* Give back an output buffer larger than AW_CONN_KEEP once it is empty (a
 * snapshot or a backlog went out). Call it from a timer, not per send: the
 * buffer is reused while traffic flows. */
void aw_conn_trim(struct aw_conn *c);
/* Write what is queued; keeps EPOLLOUT on while something is left. 0 / -1. */
int aw_conn_flush(struct aw_conn *c);
/* On EPOLLOUT: completes a pending connect (0 ok, -1 failed, errno set) and
 * flushes. */
int aw_conn_on_writable(struct aw_conn *c);
/* One read into the input buffer: AW_LINE_OK / AGAIN / EOF / ERROR / TOO_LONG. */
int aw_conn_read(struct aw_conn *c);
static inline size_t
aw_conn_queued(const struct aw_conn *c)
{
	return c->out_len - c->out_off;
}

#endif /* AW_CONN_H */
