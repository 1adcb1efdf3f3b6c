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

#include "aw_loop.h"

#define LINE_MAX_BYTES 4096

static struct {
	char path[4096];
	int fd; /* -1: stderr */
	uint64_t last_err_ms;
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
	int fd = open_file(au.path, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "anyway-mapd: SIGHUP: --audit-log %s (still writing the old file)\n",
			err);
		return true;
	}
	close(au.fd);
	au.fd = fd;
	fprintf(stderr, "anyway-mapd: SIGHUP: audit log %s reopened\n", au.path);
	return true;
}

void
mapd_audit_close(void)
{
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

void
mapd_audit(uint64_t version, const char *identity, const char *op, const char *fields)
{
	char line[LINE_MAX_BYTES];
	struct timeval tv;
	struct tm tm;
	size_t off;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	off = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	off += (size_t)snprintf(line + off, sizeof(line) - off, ".%03ldZ version=%llu identity=",
				(long)(tv.tv_usec / 1000), (unsigned long long)version);
	off = put_escaped(line, off, sizeof(line) - 64, identity[0] ? identity : "-", 0);
	off += (size_t)snprintf(line + off, sizeof(line) - off, " op=%s", op);
	if (fields != NULL)
		off = put_escaped(line, off, sizeof(line) - 2, fields, 1);
	line[off++] = '\n';
	if (au.fd < 0) {
		fprintf(stderr, "anyway-mapd: audit: %.*s", (int)off, line);
		return;
	}
	if (write(au.fd, line, off) != (ssize_t)off) {
		uint64_t now = aw_now_ms();
		if (au.last_err_ms == 0 || now - au.last_err_ms >= 60000) {
			fprintf(stderr, "anyway-mapd: audit log %s: write failed: %s\n", au.path,
				strerror(errno));
			au.last_err_ms = now;
		}
	}
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
