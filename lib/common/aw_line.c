/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_line.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
aw_linebuf_init(struct aw_linebuf *lb, size_t max_line)
{
	memset(lb, 0, sizeof(*lb));
	lb->max = max_line ? max_line : AW_LINE_MAX_DEFAULT;
	lb->cap = 4096;
	lb->idle_read = 65536;
	lb->buf = malloc(lb->cap);
	return lb->buf ? 0 : -1;
}

void
aw_linebuf_free(struct aw_linebuf *lb)
{
	free(lb->buf);
	memset(lb, 0, sizeof(*lb));
}

/* Move unreturned bytes to the front and grow so that 'want' more bytes fit. */
static int
make_room(struct aw_linebuf *lb, size_t want)
{
	if (lb->start > 0) {
		memmove(lb->buf, lb->buf + lb->start, lb->len - lb->start);
		lb->len -= lb->start;
		lb->start = 0;
	}
	if (lb->len + want + 1 <= lb->cap)
		return 0;
	size_t ncap = lb->cap;
	while (ncap < lb->len + want + 1)
		ncap *= 2;
	if (ncap > lb->max + 2 + want)
		ncap = lb->max + 2 + want;
	char *nb = realloc(lb->buf, ncap);
	if (nb == NULL)
		return -1;
	lb->buf = nb;
	lb->cap = ncap;
	return 0;
}

static int
pending_too_long(const struct aw_linebuf *lb)
{
	const char *p = lb->buf + lb->start;
	size_t n = lb->len - lb->start;

	return n > lb->max && memchr(p, '\n', lb->max + 1) == NULL;
}

int
aw_linebuf_feed(struct aw_linebuf *lb, const void *data, size_t n)
{
	if (make_room(lb, n) < 0)
		return AW_LINE_ERROR;
	memcpy(lb->buf + lb->len, data, n);
	lb->len += n;
	return pending_too_long(lb) ? AW_LINE_TOO_LONG : AW_LINE_OK;
}

void
aw_linebuf_trim(struct aw_linebuf *lb, size_t keep)
{
	size_t n = lb->len - lb->start;

	if (lb->cap <= keep || n > keep / 2)
		return;
	memmove(lb->buf, lb->buf + lb->start, n);
	lb->len = n;
	lb->start = 0;
	char *nb = realloc(lb->buf, keep);
	if (nb != NULL) {
		lb->buf = nb;
		lb->cap = keep;
	}
}

int
aw_linebuf_read(struct aw_linebuf *lb, int fd)
{
	if (make_room(lb, lb->len > lb->start ? 65536 : lb->idle_read) < 0)
		return AW_LINE_ERROR;
	for (;;) {
		ssize_t r = read(fd, lb->buf + lb->len, lb->cap - lb->len - 1);
		if (r > 0) {
			lb->len += (size_t)r;
			return pending_too_long(lb) ? AW_LINE_TOO_LONG : AW_LINE_OK;
		}
		if (r == 0)
			return AW_LINE_EOF;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return AW_LINE_AGAIN;
		return AW_LINE_ERROR;
	}
}

int
aw_linebuf_next(struct aw_linebuf *lb, char **line, size_t *linelen)
{
	char *p = lb->buf + lb->start;
	size_t n = lb->len - lb->start;
	char *nl = memchr(p, '\n', n);

	if (nl == NULL)
		return pending_too_long(lb) ? AW_LINE_TOO_LONG : AW_LINE_NONE;
	size_t l = (size_t)(nl - p);
	if (l > lb->max)
		return AW_LINE_TOO_LONG;
	lb->start += l + 1;
	if (l > 0 && p[l - 1] == '\r')
		l--;
	p[l] = '\0';
	*line = p;
	*linelen = l;
	return AW_LINE_OK;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int
aw_write_line(int fd, const char *buf, size_t len)
{
	if (write_all(fd, buf, len) < 0)
		return -1;
	return write_all(fd, "\n", 1);
}
