/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "aw_err.h"

static int
parse_port(const char *p, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/*
 * True when host looks like a number rather than a name: its last label is all
 * digits or 0x-hex (no DNS name ends so, RFC 3696 §2). getaddrinfo would take
 * such legacy inet_aton forms ("1.2.3", "0x7f.1"); they are refused instead.
 */
static bool
looks_numeric(const char *host)
{
	const char *l = strrchr(host, '.');
	bool hex;

	l = l ? l + 1 : host;
	hex = l[0] == '0' && (l[1] == 'x' || l[1] == 'X');
	if (hex)
		l += 2;
	if (*l == '\0')
		return true;
	for (; *l; l++)
		if (!(hex ? isxdigit((unsigned char)*l) : isdigit((unsigned char)*l)))
			return false;
	return true;
}

/* A host name through getaddrinfo: its first IPv4 address, else its first IPv6 one. */
static int
resolve_name(const char *s, const char *host, uint16_t port, struct aw_sockaddr *out, char *err,
	     size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL, *pick = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &res);

	if (rc != 0)
		return aw_errf(err, errlen, "'%.80s': cannot resolve '%s': %s", s, host,
			       gai_strerror(rc));
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			pick = ai;
			break;
		}
		if (ai->ai_family == AF_INET6 && pick == NULL)
			pick = ai;
	}
	if (pick == NULL || pick->ai_addrlen > sizeof(out->ss)) {
		freeaddrinfo(res);
		return aw_errf(err, errlen, "'%.80s': '%s' has no IPv4 or IPv6 address", s, host);
	}
	memcpy(&out->ss, pick->ai_addr, pick->ai_addrlen);
	out->len = (socklen_t)pick->ai_addrlen;
	if (pick->ai_family == AF_INET)
		((struct sockaddr_in *)&out->ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&out->ss)->sin6_port = htons(port);
	freeaddrinfo(res);
	return 0;
}

int
aw_hostport_parse(const char *s, uint16_t default_port, struct aw_sockaddr *out, char *err,
		  size_t errlen)
{
	char host[256];
	const char *ps = NULL;
	uint16_t port = default_port;
	size_t hl;

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || (rb[1] != '\0' && rb[1] != ':'))
			return aw_errf(err, errlen, "'%.80s': expected [IPv6]:PORT", s);
		hl = (size_t)(rb - s - 1);
		if (hl >= sizeof(host))
			return aw_errf(err, errlen, "'%.80s': address too long", s);
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		ps = rb[1] == ':' ? rb + 2 : NULL;
	} else {
		const char *c = strrchr(s, ':');
		if (c != NULL && strchr(s, ':') != c)
			return aw_errf(err, errlen, "'%.80s': write an IPv6 address as [ADDR]:PORT", s);
		hl = c ? (size_t)(c - s) : strlen(s);
		if (hl >= sizeof(host))
			return aw_errf(err, errlen, "'%.80s': address too long", s);
		memcpy(host, s, hl);
		host[hl] = '\0';
		ps = c ? c + 1 : NULL;
	}
	if (ps != NULL && parse_port(ps, &port) < 0)
		return aw_errf(err, errlen, "'%.80s': port: expected 1..65535", s);
	if (port == 0 || host[0] == '\0')
		return aw_errf(err, errlen, "'%.80s': expected HOST:PORT", s);
	struct sockaddr_in *a4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&out->ss;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		out->len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		out->len = sizeof(*a6);
		return 0;
	}
	if (s[0] == '[')
		return aw_errf(err, errlen, "'%.80s': '%s' is not an IPv6 address", s, host);
	if (looks_numeric(host))
		return aw_errf(err, errlen,
			       "'%.80s': '%s' is not a numeric IPv4 address (dotted quad) nor a name",
			       s, host);
	return resolve_name(s, host, port, out, err, errlen);
}

const char *
aw_sockaddr_format(const struct aw_sockaddr *a, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN] = "?";

	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *a4 = (const void *)&a->ss;
		inet_ntop(AF_INET, &a4->sin_addr, h, sizeof(h));
		snprintf(buf, len, "%s:%u", h, ntohs(a4->sin_port));
	} else if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const void *)&a->ss;
		inet_ntop(AF_INET6, &a6->sin6_addr, h, sizeof(h));
		snprintf(buf, len, "[%s]:%u", h, ntohs(a6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
	return buf;
}

int
aw_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int
aw_tcp_listen(const struct aw_sockaddr *a, char *err, size_t errlen)
{
	char b[80];
	int one = 1;
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return aw_errf(err, errlen, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 || listen(fd, 128) < 0) {
		int e = errno;
		close(fd);
		return aw_errf(err, errlen, "listen on %s: %s", aw_sockaddr_format(a, b, sizeof(b)),
			       strerror(e));
	}
	return fd;
}

int
aw_tcp_connect(const struct aw_sockaddr *a, int *in_progress)
{
	int one = 1;
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	*in_progress = 0;
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == 0)
		return fd;
	if (errno == EINPROGRESS) {
		*in_progress = 1;
		return fd;
	}
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

static int
unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

/* Create the directory of path, and its missing parents, mode 0755.
 * 0, or -1 with the message in err. */
static int
make_parent_dir(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return aw_errf(err, errlen, "cannot create directory %s: %s", dir,
				       strerror(errno));
		if (last)
			return 0;
		*p = '/';
	}
}

int
aw_unix_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	if (unix_addr(path, &sun) < 0)
		return aw_errf(err, errlen, "%s: path longer than %zu bytes", path,
			       sizeof(sun.sun_path) - 1);
	if (make_parent_dir(path, err, errlen) < 0)
		return -1;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return aw_errf(err, errlen, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		return aw_errf(err, errlen, "%s: %s", path, strerror(e));
	}
	return fd;
}

int
aw_unix_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sun;
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	int fd;

	if (unix_addr(path, &sun) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
aw_hostport_option(const char *prog, const char *opt, const char *arg)
{
	struct aw_sockaddr a;
	char e[160];

	if (aw_hostport_parse(arg, 0, &a, e, sizeof(e)) == 0)
		return 0;
	fprintf(stderr, "%s: %s %s\n", prog, opt, e);
	return -1;
}
