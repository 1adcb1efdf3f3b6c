/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_api.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_lcore.h>

#include "aw_line.h"

#define MAX_CLIENTS 64

static void *serve(void *arg);

struct client {
	int fd;
	struct aw_linebuf lb;
};

static int
make_parent_dir(const char *path)
{
	char dir[108];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

/* A socket file left by a process that died is removed; a live one is an error. */
static int
claim_path(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		snprintf(err, errlen, "api.unix: %s is in use by another running data plane", path);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	unlink(path);
	return 0;
}

int
aw_api_start(struct aw_api *api, struct aw_dp *dp, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memset(api, 0, sizeof(*api));
	api->dp = dp;
	api->listen_fd = -1;
	snprintf(api->path, sizeof(api->path), "%s", dp->cfg->api_unix);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", api->path);
	if (make_parent_dir(api->path) < 0 || claim_path(api->path, err, errlen) < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "api.unix: cannot create the directory of %s: %s",
				 api->path, strerror(errno));
		return -1;
	}
	api->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (api->listen_fd < 0 || bind(api->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(api->listen_fd, 16) < 0 || pipe(api->wake) < 0) {
		snprintf(err, errlen, "api.unix: cannot listen on %s: %s", api->path,
			 strerror(errno));
		return -1;
	}
	if (rte_ctrl_thread_create(&api->thread, "aw-api", NULL, serve, api) != 0) {
		snprintf(err, errlen, "cannot start the API thread");
		return -1;
	}
	api->running = true;
	return 0;
}

void
aw_api_stop(struct aw_api *api)
{
	if (api->running) {
		ssize_t w = write(api->wake[1], "x", 1);
		(void)w;
		pthread_join(api->thread, NULL);
		api->running = false;
	}
	if (api->listen_fd >= 0) {
		close(api->listen_fd);
		unlink(api->path);
		api->listen_fd = -1;
	}
}

static void
reply(int fd, json_t *r)
{
	char *s = json_dumps(r, JSON_COMPACT);
	if (s != NULL)
		aw_write_line(fd, s, strlen(s));
	free(s);
	json_decref(r);
}

__attribute__((format(printf, 1, 2))) static json_t *
error_reply(const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

/* Serves every complete line of one client; false when it must be closed. */
static bool
serve_client(struct aw_api *api, struct client *cl)
{
	int rc = aw_linebuf_read(&cl->lb, cl->fd);
	char *line;
	size_t len;

	if (rc == AW_LINE_EOF || rc == AW_LINE_ERROR)
		return false;
	while ((rc = aw_linebuf_next(&cl->lb, &line, &len)) == AW_LINE_OK) {
		json_error_t je;
		if (len == 0)
			continue;
		json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
		if (req == NULL) {
			reply(cl->fd, error_reply("malformed JSON: %s (line %d, column %d)", je.text,
						  je.line, je.column));
			continue;
		}
		reply(cl->fd, aw_api_handle(api->dp, req));
		json_decref(req);
	}
	if (rc == AW_LINE_TOO_LONG) {
		reply(cl->fd, error_reply("request line longer than %u bytes: closing",
					  AW_LINE_MAX_DEFAULT));
		return false;
	}
	return true;
}

static void
close_client(struct client *cl)
{
	close(cl->fd);
	aw_linebuf_free(&cl->lb);
	cl->fd = -1;
}

static void
accept_client(struct aw_api *api, struct client *clients, unsigned *n)
{
	int fd = accept(api->listen_fd, NULL, NULL);
	if (fd < 0)
		return;
	if (*n >= MAX_CLIENTS) {
		reply(fd, error_reply("too many API clients (%d)", MAX_CLIENTS));
		close(fd);
		return;
	}
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	clients[*n].fd = fd;
	if (aw_linebuf_init(&clients[*n].lb, AW_LINE_MAX_DEFAULT) < 0) {
		close(fd);
		return;
	}
	(*n)++;
}

static void *
serve(void *arg)
{
	struct aw_api *api = arg;
	struct client clients[MAX_CLIENTS];
	struct pollfd pfd[MAX_CLIENTS + 2];
	unsigned n = 0;

	for (;;) {
		pfd[0] = (struct pollfd){.fd = api->wake[0], .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = api->listen_fd, .events = POLLIN};
		for (unsigned i = 0; i < n; i++)
			pfd[i + 2] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
		if (poll(pfd, n + 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		for (unsigned i = 0; i < n; i++)
			if (pfd[i + 2].revents && !serve_client(api, &clients[i]))
				close_client(&clients[i]);
		unsigned k = 0; /* compact closed clients out */
		for (unsigned i = 0; i < n; i++)
			if (clients[i].fd >= 0)
				clients[k++] = clients[i];
		n = k;
		if (pfd[1].revents)
			accept_client(api, clients, &n);
	}
	for (unsigned i = 0; i < n; i++)
		close_client(&clients[i]);
	return NULL;
}
