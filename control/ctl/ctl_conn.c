/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl: connections to the three JSON line APIs (see ctl.h). One request
 * line out, one reply line in, every wait bounded by the --timeout; a map
 * server request is checked with lib/proto's codec before it is sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "aw_conn.h"
#include "aw_line.h"
#include "aw_msg.h"
#include "aw_tls.h"
#include "ctl.h"

/* TLS 1.3: the server judges the client's certificate after the client's
 * side of the handshake is done, so a refusal shows as a reset. */
#define REFUSED_HINT " (did the map server refuse this client's certificate? see its log)"

static const char *const peer_names[] = {"data plane", "map server", "agent"};

const char *
ctl_peer_name(enum ctl_peer_kind kind)
{
	return peer_names[kind];
}

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
conn_fail(const struct ctl_conn *c, const char *what, int err)
{
	return ctl_error("%s %s: %s: %s", c->what, c->where, what, strerror(err));
}

static int
connect_unix(struct ctl_conn *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(c->where) >= sizeof(sa.sun_path))
		return ctl_error("%s socket path too long (at most %zu bytes): %s", c->what,
				 sizeof(sa.sun_path) - 1, c->where);
	strcpy(sa.sun_path, c->where);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return conn_fail(c, "socket", errno);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return conn_fail(c, "connect", errno);
	return CTL_OK;
}

/* "host:port" or "[v6]:port" into host and port strings. */
static int
split_hostport(const char *s, char *host, size_t hostlen, const char **port)
{
	const char *colon;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL || end[1] != ':' || (size_t)(end - s - 1) >= hostlen)
			return -1;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = '\0';
		*port = end + 2;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || colon == s || (size_t)(colon - s) >= hostlen ||
		    memchr(s, ':', (size_t)(colon - s)) != NULL)
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		*port = colon + 1;
	}
	return **port != '\0' ? 0 : -1;
}

/* Non-blocking connect bounded by the timeout; the socket stays blocking
 * afterwards (reads and writes are bounded by poll and SO_SNDTIMEO). */
static int
connect_bounded(struct ctl_conn *c, const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		return -e;
	}
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int n = poll(&p, 1, c->timeout_ms);
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (n == 0)
		soerr = ETIMEDOUT;
	else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		soerr = errno;
	if (soerr != 0) {
		close(fd);
		return -soerr;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

static int
connect_tcp(struct ctl_conn *c)
{
	char host[256];
	const char *port;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;

	if (split_hostport(c->where, host, sizeof(host), &port) < 0)
		return ctl_usage_error("--mapd: expected HOST:PORT or [IPV6]:PORT, got '%s'",
				       c->where);
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		return ctl_error("%s %s: %s", c->what, c->where, gai_strerror(rc));
	int err = ECONNREFUSED;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = connect_bounded(c, ai);
		if (fd >= 0) {
			c->fd = fd;
			break;
		}
		err = -fd;
	}
	freeaddrinfo(res);
	return c->fd >= 0 ? CTL_OK : conn_fail(c, "connect", err);
}

/* The TLS handshake on the connected socket, bounded by the timeout. */
static int
start_tls(struct ctl_conn *c)
{
	struct timeval tv = {.tv_sec = c->timeout_ms / 1000,
			     .tv_usec = (c->timeout_ms % 1000) * 1000};
	char id[AW_PEER_ID_MAX];

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->ssl = aw_tls_ssl_new(c->tls, c->fd);
	if (c->ssl == NULL)
		return ctl_error("out of memory");
	if (aw_tls_blocking_connect(c->ssl) < 0)
		return ctl_error("%s %s: %s", c->what, c->where, aw_tls_last_error());
	if (aw_tls_peer_id(c->ssl, id, sizeof(id)) < 0)
		return ctl_error("%s %s: TLS: its certificate has no subject CN or DNS name",
				 c->what, c->where);
	return CTL_OK;
}

int
ctl_connect(struct ctl_conn *c, enum ctl_peer_kind kind, const struct ctl_opts *o)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->what = ctl_peer_name(kind);
	c->where = kind == CTL_PEER_DATAPLANE ? o->socket
		   : kind == CTL_PEER_MAPD    ? o->mapd
					      : o->agent;
	c->fd = -1;
	c->timeout_ms = o->timeout_ms;
	c->lb = malloc(sizeof(struct aw_linebuf));
	if (c->lb == NULL || aw_linebuf_init(c->lb, AW_LINE_MAX_DEFAULT) < 0) {
		free(c->lb);
		c->lb = NULL;
		return ctl_error("out of memory");
	}
	if (kind == CTL_PEER_MAPD && aw_tls_setup(CTL_PROG, &o->tls, false, &c->tls) < 0)
		return CTL_USAGE;
	int rc = kind == CTL_PEER_MAPD ? connect_tcp(c) : connect_unix(c);
	if (rc == CTL_OK && c->tls != NULL)
		rc = start_tls(c);
	if (rc == CTL_OK) {
		struct timeval tv = {.tv_sec = c->timeout_ms / 1000,
				     .tv_usec = (c->timeout_ms % 1000) * 1000};
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return rc;
}

void
ctl_close(struct ctl_conn *c)
{
	SSL_free(c->ssl);
	c->ssl = NULL;
	aw_tls_free(c->tls);
	c->tls = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->lb != NULL) {
		aw_linebuf_free(c->lb);
		free(c->lb);
		c->lb = NULL;
	}
}

/* One complete line, or CTL_ERR after printing why. */
static int
read_line(struct ctl_conn *c, const char *op, char **line)
{
	long long deadline = now_ms() + c->timeout_ms;
	size_t len;

	for (;;) {
		int rc = aw_linebuf_next(c->lb, line, &len);
		if (rc == AW_LINE_OK)
			return CTL_OK;
		if (rc == AW_LINE_TOO_LONG)
			return ctl_error("%s %s: %s: reply longer than %u bytes", c->what, c->where,
					 op, AW_LINE_MAX_DEFAULT);
		long long left = deadline - now_ms();
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		bool buffered = c->ssl != NULL && SSL_has_pending(c->ssl);
		int n = buffered ? 1 : left > 0 ? poll(&p, 1, (int)left) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return ctl_error("%s %s: %s: no reply within %d ms", c->what, c->where, op,
					 c->timeout_ms);
		if (n > 0 && c->ssl != NULL) {
			bool want_write;
			rc = aw_tls_read(c->ssl, c->lb, &want_write);
			if (rc == AW_LINE_ERROR && errno == EPROTO)
				return ctl_error("%s %s: %s: %s%s", c->what, c->where, op,
						 aw_tls_last_error(), REFUSED_HINT);
			if (rc == AW_LINE_AGAIN) /* a blocking read timed out */
				rc = AW_LINE_ERROR, errno = ETIMEDOUT;
			if (rc == AW_LINE_TOO_LONG)
				continue; /* reported by aw_linebuf_next */
		} else {
			rc = n < 0 ? AW_LINE_ERROR : aw_linebuf_read(c->lb, c->fd);
		}
		if (rc == AW_LINE_EOF)
			return ctl_error("%s %s: %s: connection closed without a reply", c->what,
					 c->where, op);
		if (rc == AW_LINE_ERROR)
			return conn_fail(c, "read", errno);
	}
}

static int
parse_reply(struct ctl_conn *c, const char *op, const char *line, json_t **reply)
{
	json_error_t je;
	json_t *r = json_loads(line, 0, &je);

	if (r == NULL || !json_is_object(r) || !json_is_boolean(json_object_get(r, "ok"))) {
		json_decref(r);
		return ctl_error("%s %s: %s: malformed reply: %.200s", c->what, c->where, op, line);
	}
	*reply = r;
	if (json_is_false(json_object_get(r, "ok"))) {
		const char *e = json_string_value(json_object_get(r, "error"));
		return ctl_error("%s: %s: %s", c->what, op, e ? e : "error (no text)");
	}
	return CTL_OK;
}

int
ctl_call(struct ctl_conn *c, json_t *req, json_t **reply, char **raw)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	char *out = json_dumps(req, JSON_COMPACT);
	char *line;

	*reply = NULL;
	if (raw != NULL)
		*raw = NULL;
	op = op ? op : "?";
	if (out == NULL)
		return ctl_error("out of memory");
	if (c->ssl != NULL && aw_tls_blocking_write_line(c->ssl, out, strlen(out)) < 0) {
		free(out);
		return ctl_error("%s %s: %s: %s%s", c->what, c->where, op, aw_tls_last_error(),
				 REFUSED_HINT);
	}
	if (c->ssl == NULL && aw_write_line(c->fd, out, strlen(out)) < 0) {
		int e = errno;
		free(out);
		return conn_fail(c, "write", e);
	}
	free(out);
	for (;;) {
		int rc = read_line(c, op, &line);
		if (rc != CTL_OK)
			return rc;
		/* The map server may interleave keepalives. */
		if (c->kind == CTL_PEER_MAPD && strstr(line, "\"ping\"") != NULL) {
			json_t *j = json_loads(line, 0, NULL);
			bool ping = j && json_is_string(json_object_get(j, "op")) &&
				    strcmp(json_string_value(json_object_get(j, "op")), "ping") == 0;
			json_decref(j);
			if (ping)
				continue;
		}
		if (raw != NULL && (*raw = strdup(line)) == NULL)
			return ctl_error("out of memory");
		return parse_reply(c, op, line, reply);
	}
}

int
ctl_hello(struct ctl_conn *c, const char *role)
{
	json_t *req = json_pack("{s:s,s:s,s:s}", "op", "hello", "role", role, "name", CTL_PROG);
	json_t *reply;
	int rc = ctl_call(c, req, &reply, NULL);

	json_decref(req);
	json_decref(reply);
	return rc;
}

int
ctl_call_once(const struct ctl_opts *o, enum ctl_peer_kind kind, const char *role, json_t *req,
	      json_t **reply, char **raw)
{
	struct ctl_conn c;
	int rc = ctl_connect(&c, kind, o);

	*reply = NULL;
	if (raw != NULL)
		*raw = NULL;
	if (rc == CTL_OK && role != NULL)
		rc = ctl_hello(&c, role);
	if (rc == CTL_OK)
		rc = ctl_call(&c, req, reply, raw);
	ctl_close(&c);
	return rc;
}

int
ctl_request(const struct ctl_opts *o, enum ctl_peer_kind kind, const char *role, json_t *req,
	    json_t **reply)
{
	char *raw = NULL, err[AW_MSG_ERRLEN];
	struct aw_msg m;

	*reply = NULL;
	/* The map server speaks SPEC 7.1: check the request with the same codec
	 * first, so that a bad argument is named precisely and nothing is sent
	 * (member.* is outside lib/proto: the map server checks it, mapd_member.c). */
	const char *op0 = json_string_value(json_object_get(req, "op"));
	if (kind == CTL_PEER_MAPD && (op0 == NULL || strncmp(op0, "member.", 7) != 0)) {
		if (aw_msg_decode_json(req, &m, err, sizeof(err)) < 0) {
			const char *op = json_string_value(json_object_get(req, "op"));
			int rc = ctl_usage_error("%s: %s", op ? op : "?", err);
			json_decref(req);
			return rc;
		}
		aw_msg_free(&m);
	}
	int rc = ctl_call_once(o, kind, role, req, reply, &raw);

	json_decref(req);
	if (o->json && raw != NULL)
		printf("%s\n", raw);
	free(raw);
	if (rc != CTL_OK) {
		json_decref(*reply);
		*reply = NULL;
	}
	return rc;
}
