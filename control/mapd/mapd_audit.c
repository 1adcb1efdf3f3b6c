/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_audit — the audit trail (see mapd_audit.h). Contract: anyway-mapd's
 * one thread.
 */
#include "mapd_audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "aw_log.h"
#include "aw_loop.h"

#define LINE_MAX_BYTES 4096

/* Lines are gathered in buf and written once per loop round (mapd_audit_flush
 * from the main loop): one write(2) for a burst of changes, not one each. */
static struct {
	char path[4096];
	int fd; /* -1: stderr */
	uint64_t last_err_ms;
	time_t stamp_sec; /* stamp is "YYYY-MM-DDTHH:MM:SS" of this second */
	char stamp[32];
	size_t len;
	char buf[16 * LINE_MAX_BYTES];
} au = {.fd = -1};

static int
open_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return fd;
}

int
mapd_audit_open(const char *path, char *err, size_t errlen)
{
	if (path == NULL)
		return 0;
	if (strlen(path) >= sizeof(au.path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	int fd = open_file(path, err, errlen);
	if (fd < 0)
		return -1;
	snprintf(au.path, sizeof(au.path), "%s", path);
	au.fd = fd;
	return 0;
}

bool
mapd_audit_reopen(void)
{
	char err[4200];

	if (au.fd < 0)
		return false;
	mapd_audit_flush(); /* what was written before goes to the old file */
	int fd = open_file(au.path, err, sizeof(err));
	if (fd < 0) {
		aw_log(AW_LOG_ERR, "SIGHUP: --audit-log %s (still writing the old file)", err);
		return true;
	}
	close(au.fd);
	au.fd = fd;
	aw_log(AW_LOG_NOTICE, "SIGHUP: audit log %s reopened", au.path);
	return true;
}

void
mapd_audit_close(void)
{
	mapd_audit_flush();
	if (au.fd >= 0)
		close(au.fd);
	au.fd = -1;
}

/* Append s, writing bytes outside 0x21..0x7e (0x20 kept when keep_space) and
 * '\\' as \xHH. */
static size_t
put_escaped(char *buf, size_t off, size_t cap, const char *s, int keep_space)
{
	for (; *s != '\0' && off + 5 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c > 0x20 && c < 0x7f && c != '\\') || (keep_space && c == ' '))
			buf[off++] = (char)c;
		else
			off += (size_t)snprintf(buf + off, cap - off, "\\x%02x", c);
	}
	return off;
}

static void
write_all(const char *p, size_t n)
{
	int fd = au.fd >= 0 ? au.fd : STDERR_FILENO;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			uint64_t now = aw_now_ms();
			if (au.last_err_ms == 0 || now - au.last_err_ms >= 60000) {
				aw_log(AW_LOG_ERR, "audit log %s: write failed: %s",
				       au.fd >= 0 ? au.path : "(stderr)",
				       w < 0 ? strerror(errno) : "nothing written");
				au.last_err_ms = now;
			}
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

void
mapd_audit_flush(void)
{
	write_all(au.buf, au.len);
	au.len = 0;
}

void
mapd_audit(uint64_t version, const char *identity, const char *op, const char *fields)
{
	char *line;
	struct timeval tv;
	size_t off = 0, cap = LINE_MAX_BYTES;

	if (sizeof(au.buf) - au.len < LINE_MAX_BYTES)
		mapd_audit_flush();
	line = au.buf + au.len;
	gettimeofday(&tv, NULL);
	if (tv.tv_sec != au.stamp_sec || au.stamp[0] == '\0') { /* one strftime a second */
		struct tm tm;
		gmtime_r(&tv.tv_sec, &tm);
		strftime(au.stamp, sizeof(au.stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		au.stamp_sec = tv.tv_sec;
	}
	if (au.fd < 0)
		off += (size_t)snprintf(line, cap, "anyway-mapd: audit: ");
	off += (size_t)snprintf(line + off, cap - off, "%s.%03ldZ version=%llu identity=", au.stamp,
	                        (long)(tv.tv_usec / 1000), (unsigned long long)version);
	off = put_escaped(line, off, cap - 64, identity[0] ? identity : "-", 0);
	off += (size_t)snprintf(line + off, cap - off, " op=%s", op);
	if (fields != NULL)
		off = put_escaped(line, off, cap - 2, fields, 1);
	line[off++] = '\n';
	au.len += off;
}

const char *
mapd_audit_dest(const char *service, const struct aw_msg_dest *d, char *buf, size_t len)
{
	char a[AW_ADDR_STRLEN];

	aw_addr_format(&d->addr, a, sizeof(a));
	snprintf(buf, len, " service=%s dest=%s%s%s:%u priority=%u weight=%u", service,
	         d->addr.family == AW_AF_INET6 ? "[" : "", a,
	         d->addr.family == AW_AF_INET6 ? "]" : "", d->port, d->priority, d->weight);
	return buf;
}
