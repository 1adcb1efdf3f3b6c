/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_net — socket helpers for the control daemons: "HOST:PORT" parsing
 * (IPv4 "10.0.0.1:7810", IPv6 "[::1]:7810", name "localhost:7810"), non-blocking TCP
 * listen/connect, unix-socket listen/connect, address formatting.
 *
 * Contract: pure helpers, thread-safe; errors as one line in err.
 */
#ifndef AW_NET_H
#define AW_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct aw_sockaddr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/*
 * "A:P" / "[A6]:P" / "NAME:P"; a bare host gets default_port (0: the port is
 * required). Numeric addresses first; a name is resolved with getaddrinfo (may
 * block on DNS: call at start or connect time only, never per message) to its
 * first IPv4 address, else its first IPv6 address.
 */
int aw_hostport_parse(const char *s, uint16_t default_port, struct aw_sockaddr *out, char *err,
		      size_t errlen);
/* A daemon's HOST:PORT option checked at option time: 0, or -1 after printing
 * "PROG: OPT <why>" to stderr (the caller exits 2). */
int aw_hostport_option(const char *prog, const char *opt, const char *arg);
/* "10.0.0.1:7810" / "[::1]:7810" */
const char *aw_sockaddr_format(const struct aw_sockaddr *a, char *buf, size_t len);
/* Non-blocking listening TCP socket (SO_REUSEADDR, v6-only for v6). fd or -1. */
int aw_tcp_listen(const struct aw_sockaddr *a, char *err, size_t errlen);
/* Non-blocking TCP connect; *in_progress set when it completes later. fd or -1. */
int aw_tcp_connect(const struct aw_sockaddr *a, int *in_progress);
/* Non-blocking listening unix socket at path (a stale socket file is replaced;
 * its directory and missing parents are created, mode 0755). fd or -1. */
int aw_unix_listen(const char *path, char *err, size_t errlen);
/* Blocking unix connect with send/receive timeouts of timeout_ms. fd or -1. */
int aw_unix_connect(const char *path, int timeout_ms);
/* Set O_NONBLOCK. 0 / -1. */
int aw_set_nonblock(int fd);

#endif /* AW_NET_H */
