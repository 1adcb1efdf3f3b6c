/* SPDX-License-Identifier: BSD-3-Clause */
/* aw_sdnotify — see aw_sdnotify.h. */
#include "aw_sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* $NOTIFY_SOCKET into an address; its length in *len. -1: EINVAL. */
static int
notify_addr(const char *name, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = strlen(name);

	if ((name[0] != '/' && name[0] != '@') || n < 2 || n >= sizeof(sa->sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name, n);
	if (name[0] == '@') /* abstract: leading NUL, length without a terminator */
		sa->sun_path[0] = '\0';
	else
		n++; /* a path: count its terminating NUL, as systemd does */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

int
aw_sd_notify(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	ssize_t sent;
	int fd, saved;

	if (name == NULL || name[0] == '\0')
		return 0;
	if (notify_addr(name, &sa, &len) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	saved = errno;
	close(fd);
	if (sent < 0) {
		errno = saved;
		return -1;
	}
	return 1;
}

int
aw_sd_notifyf(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		errno = EMSGSIZE;
		return -1;
	}
	return aw_sd_notify(buf);
}
