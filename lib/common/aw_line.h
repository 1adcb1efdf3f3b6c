/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_line — framing of the newline-delimited JSON protocol (SPEC §7.1).
 *
 * Contract: one aw_linebuf per connection, used by one thread. Bytes come in
 * with aw_linebuf_read() (one read(2) on a non-blocking or blocking fd) or
 * aw_linebuf_feed(); complete lines come out with aw_linebuf_next(), without
 * the '\n' and NUL-terminated, valid until the next call on the same buffer.
 * A line longer than the buffer's limit is a protocol error (AW_LINE_TOO_LONG):
 * the caller must close the connection, as the spec says.
 */
#ifndef AW_LINE_H
#define AW_LINE_H

#include <stddef.h>
#include <sys/types.h>

#define AW_LINE_MAX_DEFAULT (1u << 20) /* 1 MiB per line */

enum aw_line_status {
	AW_LINE_OK = 0,        /* a line was returned / bytes were read */
	AW_LINE_NONE = 1,      /* no complete line buffered yet */
	AW_LINE_EOF = 2,       /* peer closed (read returned 0) */
	AW_LINE_AGAIN = 3,     /* EAGAIN on a non-blocking fd */
	AW_LINE_TOO_LONG = -1, /* line exceeds the limit: close the connection */
	AW_LINE_ERROR = -2,    /* read error or out of memory; errno is set */
};

struct aw_linebuf {
	char *buf;
	size_t len;   /* bytes buffered */
	size_t start; /* first byte not yet returned */
	size_t cap;
	size_t max;   /* longest line accepted, excluding '\n' */
	/* Room made for one read when no partial line is pending: 65536 after
	 * init; a server with many mostly idle connections sets it lower so that
	 * each keeps a small buffer (reads are then smaller). */
	size_t idle_read;
};

int aw_linebuf_init(struct aw_linebuf *lb, size_t max_line);
void aw_linebuf_free(struct aw_linebuf *lb);
/* Append bytes; AW_LINE_TOO_LONG when a pending line already exceeds the limit. */
int aw_linebuf_feed(struct aw_linebuf *lb, const void *data, size_t n);
/* One read(2) from fd into the buffer. */
int aw_linebuf_read(struct aw_linebuf *lb, int fd);
/* Next complete line (trailing '\r' stripped), or AW_LINE_NONE / AW_LINE_TOO_LONG. */
int aw_linebuf_next(struct aw_linebuf *lb, char **line, size_t *linelen);

/* Bytes buffered but not yet returned (a partial line once next() said NONE). */
static inline size_t
aw_linebuf_pending(const struct aw_linebuf *lb)
{
	return lb->len - lb->start;
}
/* Give memory back after a large line: when at most keep/2 bytes are pending
 * and the buffer is larger than keep, shrink it to keep bytes. */
void aw_linebuf_trim(struct aw_linebuf *lb, size_t keep);

/* Write all of buf then '\n' to fd (blocking semantics, EINTR retried). 0 or -1. */
int aw_write_line(int fd, const char *buf, size_t len);

#endif /* AW_LINE_H */
