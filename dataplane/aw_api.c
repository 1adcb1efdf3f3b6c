/* SPDX-License-Identifier: BSD-3-Clause */
/* The JSON API server (see aw_api.h for the contract and the limits). */
#define _GNU_SOURCE
#include "aw_api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_lcore.h>

#include "aw_conn.h"
#include "aw_loop.h"
#include "aw_metrics_dp.h"
#include "aw_metrics_http.h"
#include "aw_sockperm.h"

#define TICK_MS 1000u           /* timeouts are checked this often */
#define ACCEPT_PAUSE_MS 200u    /* accept paused this long on EMFILE / ENFILE */
#define ACCEPT_BATCH 16         /* connections accepted per listen event */
#define HIGH_WATER (256u << 10) /* queued output above this: stop reading */

enum close_why { CLOSE_PEER, CLOSE_IDLE, CLOSE_SLOW, CLOSE_TOO_LONG, CLOSE_EVICTED, CLOSE_STOP };

struct api_conn {
	struct aw_conn c; /* first member: the loop's handler is &c.h */
	struct aw_api_srv *srv;
	struct api_conn *prev, *next;
	bool trusted;
	bool eof;            /* peer shut its side: answer what is buffered, then close */
	uint64_t last_req_ms; /* last complete request (the idle clock) */
	uint64_t out_ms;      /* output queued or last written (the send clock) */
};

struct aw_api_srv {
	struct aw_api *api;
	const struct aw_api_conf *conf;
	struct aw_loop loop;
	struct aw_handler listen_h, wake_h;
	struct api_conn *conns; /* newest first */
	unsigned n_conns, n_trusted;
	size_t high_water;
	uint64_t now_ms;
	uint64_t accept_resume_ms; /* 0: accepting */
	uint64_t next_tick_ms;
	/* counters (API thread only; shown in `stats` as "api") */
	uint64_t accepted, refused, evicted, timed_out, closed_slow, closed_too_long;
	uint64_t replies_too_large, accept_errors;
	struct aw_metrics_http metrics; /* metrics.listen: served on this loop */
};

static void *serve(void *arg);

/* ---- listening socket ------------------------------------------------------ */

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

/* The socket file appears only once it listens: bound under a temporary
 * name, given mode 0660 and api.socket_group, then renamed to the path, so a
 * client that waits for the file never meets a bound socket that still
 * refuses or has other permissions (when path + ".PID" does not fit sun_path
 * it is bound in place). 0, or -1 with errno or with err set. */
static int
listen_on(struct aw_api *api, const struct aw_api_conf *conf, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char tmp[sizeof(sa.sun_path)];
	bool direct = snprintf(tmp, sizeof(tmp), "%s.%d", api->path, (int)getpid()) >=
		      (int)sizeof(tmp);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", direct ? api->path : tmp);
	if (!direct)
		unlink(tmp);
	api->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (api->listen_fd < 0)
		return -1;
	if (bind(api->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		snprintf(err, errlen, "api.unix: cannot listen on %s: %s", api->path, strerror(e));
		return -1;
	}
	if (aw_sock_set_perms(sa.sun_path, conf->has_socket_gid, conf->socket_gid, err, errlen) < 0 ||
	    listen(api->listen_fd, 64) < 0 || (!direct && rename(tmp, api->path) < 0)) {
		int e = errno;
		if (!direct)
			unlink(tmp);
		if (err[0] == '\0')
			snprintf(err, errlen, "api.unix: cannot listen on %s: %s", api->path,
				 strerror(e));
		return -1;
	}
	return 0;
}

static void
wake_event(struct aw_handler *h, uint32_t events)
{
	struct aw_api_srv *srv = h->ctx;

	(void)events;
	srv->loop.stop = true;
}

static void accept_event(struct aw_handler *h, uint32_t events);

static void
metrics_fill(struct aw_metrics *w, void *arg)
{
	struct aw_api_srv *srv = arg;

	aw_metrics_dp(srv->api->dp, w);
	aw_metrics_http_self(&srv->metrics, w, "anyway_dp");
}

static int
srv_create(struct aw_api *api, char *err, size_t errlen)
{
	struct aw_api_srv *srv = calloc(1, sizeof(*srv));

	if (srv == NULL || aw_loop_init(&srv->loop) < 0) {
		free(srv);
		snprintf(err, errlen, "api: cannot create the event loop: %s", strerror(errno));
		return -1;
	}
	api->srv = srv;
	srv->api = api;
	srv->conf = &api->dp->cfg->api;
	srv->high_water = srv->conf->max_output / 4 < HIGH_WATER ? srv->conf->max_output / 4
								 : HIGH_WATER;
	srv->listen_h = (struct aw_handler){.fd = api->listen_fd, .fn = accept_event, .ctx = srv};
	srv->wake_h = (struct aw_handler){.fd = api->wake[0], .fn = wake_event, .ctx = srv};
	if (aw_loop_add(&srv->loop, &srv->listen_h, EPOLLIN) < 0 ||
	    aw_loop_add(&srv->loop, &srv->wake_h, EPOLLIN) < 0) {
		snprintf(err, errlen, "api: epoll: %s", strerror(errno));
		return -1;
	}
	char e[200];
	if (api->dp->cfg->metrics_listen[0] != '\0' &&
	    aw_metrics_http_open(&srv->metrics, &srv->loop, api->dp->cfg->metrics_listen,
				 metrics_fill, srv, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "metrics.listen: %s", e);
		return -1;
	}
	return 0;
}

static void
srv_destroy(struct aw_api *api)
{
	if (api->srv == NULL)
		return;
	aw_metrics_http_close(&api->srv->metrics);
	aw_loop_fini(&api->srv->loop);
	free(api->srv);
	api->srv = NULL;
}

int
aw_api_start(struct aw_api *api, struct aw_dp *dp, char *err, size_t errlen)
{
	memset(api, 0, sizeof(*api));
	api->dp = dp;
	api->listen_fd = -1;
	api->wake[0] = api->wake[1] = -1;
	snprintf(api->path, sizeof(api->path), "%s", dp->cfg->api_unix);
	if (make_parent_dir(api->path) < 0 || claim_path(api->path, err, errlen) < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "api.unix: cannot create the directory of %s: %s",
				 api->path, strerror(errno));
		return -1;
	}
	err[0] = '\0';
	if (listen_on(api, &dp->cfg->api, err, errlen) < 0)
		return -1;
	if (pipe2(api->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		snprintf(err, errlen, "api: pipe: %s", strerror(errno));
		return -1;
	}
	if (srv_create(api, err, errlen) < 0)
		return -1;
	if (rte_ctrl_thread_create(&api->thread, "aw-api", NULL, serve, api->srv) != 0) {
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
	srv_destroy(api);
	for (int i = 0; i < 2 && api->dp != NULL; i++) /* dp: aw_api_start ran */
		if (api->wake[i] >= 0) {
			close(api->wake[i]);
			api->wake[i] = -1;
		}
	if (api->listen_fd >= 0) {
		close(api->listen_fd);
		unlink(api->path);
		api->listen_fd = -1;
	}
}

/* ---- connections ----------------------------------------------------------- */

static void
conn_destroy(struct aw_handler *h)
{
	struct api_conn *ac = (struct api_conn *)h;

	aw_conn_free(&ac->c);
	free(ac);
}

/* Unlinks, counts and closes now; the memory goes after this loop round. */
static void
conn_close(struct api_conn *ac, enum close_why why)
{
	struct aw_api_srv *srv = ac->srv;

	if (ac->c.h.dead)
		return;
	if (ac->prev != NULL)
		ac->prev->next = ac->next;
	else
		srv->conns = ac->next;
	if (ac->next != NULL)
		ac->next->prev = ac->prev;
	srv->n_conns--;
	srv->n_trusted -= ac->trusted;
	srv->timed_out += why == CLOSE_IDLE;
	srv->closed_slow += why == CLOSE_SLOW;
	srv->closed_too_long += why == CLOSE_TOO_LONG;
	srv->evicted += why == CLOSE_EVICTED;
	aw_loop_kill(&srv->loop, &ac->c.h);
}

/* Queues one reply line; the send clock restarts when the queue was empty
 * or bytes left. A reply that cannot fit the output bound at all is
 * replaced by an error; a queue that would overflow closes the connection. */
static void
conn_send(struct api_conn *ac, const char *line, size_t len)
{
	struct aw_api_srv *srv = ac->srv;
	size_t before = aw_conn_queued(&ac->c);
	char msg[200];

	if (len + 1 > srv->conf->max_output) {
		srv->replies_too_large++;
		len = (size_t)snprintf(msg, sizeof(msg),
				       "{\"ok\":false,\"error\":\"reply of %zu bytes is larger than "
				       "api.max_output_bytes (%llu)\"}",
				       len + 1, (unsigned long long)srv->conf->max_output);
		line = msg;
	}
	if (aw_conn_send(&ac->c, line, len) < 0) {
		conn_close(ac, errno == ENOBUFS ? CLOSE_SLOW : CLOSE_PEER);
		return;
	}
	if (before == 0 || aw_conn_queued(&ac->c) < before + len + 1)
		ac->out_ms = srv->now_ms;
}

static void
send_json(struct api_conn *ac, json_t *r)
{
	char *s = json_dumps(r, JSON_COMPACT);

	if (s != NULL)
		conn_send(ac, s, strlen(s));
	else
		conn_close(ac, CLOSE_PEER); /* out of memory: the client would wait forever */
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

static json_t *
srv_stats_json(const struct aw_api_srv *srv)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "clients",
			 (json_int_t)srv->n_conns, "trusted_clients", (json_int_t)srv->n_trusted,
			 "accepted", (json_int_t)srv->accepted, "refused", (json_int_t)srv->refused,
			 "evicted", (json_int_t)srv->evicted, "timed_out", (json_int_t)srv->timed_out,
			 "closed_slow", (json_int_t)srv->closed_slow, "closed_too_long",
			 (json_int_t)srv->closed_too_long, "replies_too_large",
			 (json_int_t)srv->replies_too_large, "accept_errors",
			 (json_int_t)srv->accept_errors);
}

static void
serve_line(struct api_conn *ac, const char *line, size_t len)
{
	struct aw_api_srv *srv = ac->srv;
	json_error_t je;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);

	ac->last_req_ms = srv->now_ms;
	if (req == NULL) {
		send_json(ac, error_reply("malformed JSON: %s (line %d, column %d)", je.text,
					  je.line, je.column));
		return;
	}
	json_t *r = aw_api_handle(srv->api->dp, req);
	const char *op = json_string_value(json_object_get(req, "op"));
	if (op != NULL && strcmp(op, "stats") == 0 && json_is_true(json_object_get(r, "ok")))
		json_object_set_new(r, "api", srv_stats_json(srv));
	json_decref(req);
	send_json(ac, r);
}

/* Serves buffered requests while the output queue is below the high-water
 * mark; closes the connection once the peer has shut its side and every
 * request it sent is answered and written. */
static void
serve_lines(struct api_conn *ac)
{
	struct aw_api_srv *srv = ac->srv;
	char *line;
	size_t len;
	int rc = AW_LINE_OK;

	while (!ac->c.h.dead && aw_conn_queued(&ac->c) < srv->high_water) {
		rc = aw_linebuf_next(&ac->c.in, &line, &len);
		if (rc != AW_LINE_OK)
			break;
		if (len > 0)
			serve_line(ac, line, len);
	}
	if (ac->c.h.dead)
		return;
	if (rc == AW_LINE_TOO_LONG) {
		send_json(ac, error_reply("request line longer than %u bytes: closing",
					  AW_LINE_MAX_DEFAULT));
		if (!ac->c.h.dead)
			aw_conn_flush(&ac->c); /* best effort: the peer may not read */
		conn_close(ac, CLOSE_TOO_LONG);
	} else if (ac->eof && rc == AW_LINE_NONE && aw_conn_queued(&ac->c) == 0) {
		conn_close(ac, CLOSE_PEER);
	}
}

/* Read while below the high-water mark and the peer still sends; write
 * while something is queued. */
static void
conn_update_events(struct api_conn *ac)
{
	size_t q = aw_conn_queued(&ac->c);
	uint32_t ev = q > 0 ? EPOLLOUT : 0;

	if (ac->c.h.dead)
		return;
	if (!ac->eof && q < ac->srv->high_water)
		ev |= EPOLLIN | EPOLLRDHUP;
	if (aw_loop_mod(&ac->srv->loop, &ac->c.h, ev) < 0)
		conn_close(ac, CLOSE_PEER);
}

static void
conn_read(struct api_conn *ac)
{
	int rc = aw_conn_read(&ac->c);

	if (rc == AW_LINE_EOF)
		ac->eof = true;
	else if (rc == AW_LINE_ERROR)
		conn_close(ac, CLOSE_PEER);
	/* AW_LINE_TOO_LONG: serve_lines answers the complete lines before it, then closes */
}

static void
conn_event(struct aw_handler *h, uint32_t events)
{
	struct api_conn *ac = (struct api_conn *)h;
	size_t before = aw_conn_queued(&ac->c);
	bool hup = (events & (EPOLLHUP | EPOLLERR)) != 0;

	ac->srv->now_ms = aw_now_ms();
	if (before > 0 && ((events & EPOLLOUT) || hup)) {
		if (aw_conn_on_writable(&ac->c) < 0) {
			conn_close(ac, CLOSE_PEER);
			return;
		}
		if (aw_conn_queued(&ac->c) < before)
			ac->out_ms = ac->srv->now_ms;
	}
	if (!ac->eof && aw_conn_queued(&ac->c) < ac->srv->high_water &&
	    (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		conn_read(ac);
	if (h->dead)
		return;
	serve_lines(ac);
	conn_update_events(ac);
}

/* ---- admission --------------------------------------------------------------- */

static bool
peer_trusted(const struct aw_api_conf *conf, int fd)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) < 0)
		return false;
	for (unsigned i = 0; i < conf->n_uids; i++)
		if (conf->uids[i] == (uint32_t)cr.uid)
			return true;
	for (unsigned i = 0; i < conf->n_gids; i++)
		if (conf->gids[i] == (uint32_t)cr.gid)
			return true;
	return false;
}

static struct api_conn *
longest_idle_untrusted(struct aw_api_srv *srv)
{
	struct api_conn *best = NULL;

	for (struct api_conn *ac = srv->conns; ac != NULL; ac = ac->next)
		if (!ac->trusted && (best == NULL || ac->last_req_ms <= best->last_req_ms))
			best = ac;
	return best;
}

static void
refuse(struct aw_api_srv *srv, int fd)
{
	char msg[200];
	int n = snprintf(msg, sizeof(msg),
			 "{\"ok\":false,\"error\":\"too many API clients (%u of api.max_clients %u "
			 "in use, %u reserved for trusted peers)\"}\n",
			 srv->n_conns, srv->conf->max_clients, srv->conf->reserved_clients);
	ssize_t w = send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);

	(void)w; /* best effort: the peer may be gone already */
	close(fd);
	srv->refused++;
}

/* Takes a slot for fd (closing the longest-idle untrusted connection when a
 * trusted peer finds the table full) or refuses it. */
static void
admit(struct aw_api_srv *srv, int fd)
{
	const struct aw_api_conf *conf = srv->conf;
	bool trusted = peer_trusted(conf, fd);
	unsigned untrusted = srv->n_conns - srv->n_trusted;

	if (!trusted && (srv->n_conns >= conf->max_clients ||
			 untrusted >= conf->max_clients - conf->reserved_clients)) {
		refuse(srv, fd);
		return;
	}
	if (trusted && srv->n_conns >= conf->max_clients) {
		struct api_conn *victim = longest_idle_untrusted(srv);
		if (victim == NULL) {
			refuse(srv, fd);
			return;
		}
		conn_close(victim, CLOSE_EVICTED);
	}
	struct api_conn *ac = calloc(1, sizeof(*ac));
	if (ac == NULL || aw_conn_open(&ac->c, &srv->loop, fd, false, srv->conf->max_output,
				       conn_event, conn_destroy) < 0) {
		free(ac);
		close(fd);
		srv->accept_errors++;
		return;
	}
	ac->srv = srv;
	ac->trusted = trusted;
	ac->last_req_ms = ac->out_ms = srv->now_ms;
	ac->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = ac;
	srv->conns = ac;
	srv->n_conns++;
	srv->n_trusted += trusted;
	srv->accepted++;
}

static void
accept_event(struct aw_handler *h, uint32_t events)
{
	struct aw_api_srv *srv = h->ctx;

	(void)events;
	srv->now_ms = aw_now_ms();
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			admit(srv, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			/* EMFILE / ENFILE / ENOBUFS: the pending connection stays
			 * queued and the socket readable; pause instead of spinning */
			srv->accept_errors++;
			srv->accept_resume_ms = srv->now_ms + ACCEPT_PAUSE_MS;
			aw_loop_mod(&srv->loop, h, 0);
		}
		return;
	}
}

/* ---- the thread ------------------------------------------------------------- */

static void
sweep(struct aw_api_srv *srv)
{
	const struct aw_api_conf *conf = srv->conf;
	uint64_t now = srv->now_ms;
	struct api_conn *next;

	for (struct api_conn *ac = srv->conns; ac != NULL; ac = next) {
		next = ac->next;
		if (aw_conn_queued(&ac->c) > 0) {
			if (now - ac->out_ms >= (uint64_t)conf->send_timeout_s * 1000u)
				conn_close(ac, CLOSE_SLOW);
		} else if (conf->idle_timeout_s > 0 &&
			   now - ac->last_req_ms >= (uint64_t)conf->idle_timeout_s * 1000u) {
			conn_close(ac, CLOSE_IDLE);
		}
	}
}

static int
wait_ms(const struct aw_api_srv *srv)
{
	uint64_t at = srv->next_tick_ms;

	if (srv->accept_resume_ms != 0 && srv->accept_resume_ms < at)
		at = srv->accept_resume_ms;
	return at > srv->now_ms ? (int)(at - srv->now_ms) : 0;
}

static void *
serve(void *arg)
{
	struct aw_api_srv *srv = arg;

	srv->now_ms = aw_now_ms();
	srv->next_tick_ms = srv->now_ms + TICK_MS;
	while (!srv->loop.stop) {
		if (aw_loop_run_once(&srv->loop, wait_ms(srv)) < 0)
			break;
		srv->now_ms = aw_now_ms();
		if (srv->accept_resume_ms != 0 && srv->now_ms >= srv->accept_resume_ms) {
			srv->accept_resume_ms = 0;
			aw_loop_mod(&srv->loop, &srv->listen_h, EPOLLIN);
		}
		if (srv->now_ms >= srv->next_tick_ms) {
			sweep(srv);
			srv->next_tick_ms = srv->now_ms + TICK_MS;
		}
	}
	while (srv->conns != NULL)
		conn_close(srv->conns, CLOSE_STOP);
	return NULL;
}
