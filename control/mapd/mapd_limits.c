/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_limits — what keeps anyway-mapd alive under abusive or careless
 * clients (control/PROTOCOL.md "Limits"):
 *   - connections per source address (--max-per-source);
 *   - hello timeout, then an idle timeout (a line at least every
 *     --idle-timeout-s, or every ttl for a connection that registered);
 *   - a partial line over MAPD_PARTIAL_BYTES held longer than MAPD_PARTIAL_MS;
 *   - one budget for all input buffers (--input-budget: the oldest partial
 *     line is dropped) and one for all queued output (--output-budget: the
 *     largest queue, the slowest reader, is dropped);
 *   - EMFILE/ENFILE on accept: a reserved fd is freed to accept and close the
 *     pending connection; with none, accepting pauses for a second.
 * Every refusal is counted (struct mapd_counters).
 * Contract: anyway-mapd's one thread.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aw_log.h"
#include "mapd.h"

#define IN_KEEP 4096u /* an input buffer shrinks back to this after a long line */

int
mapd_limits_init(struct mapd *md)
{
	aw_strmap_init(&md->sources);
	md->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return md->reserve_fd < 0 ? -1 : 0;
}

void
mapd_limits_fini(struct mapd *md)
{
	aw_strmap_free(&md->sources);
	if (md->reserve_fd >= 0)
		close(md->reserve_fd);
	md->reserve_fd = -1;
}

static void
source_key(const struct aw_conn *c, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const void *a = NULL;

	out[0] = '\0';
	if (getpeername(c->h.fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET)
		a = &((struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	if (a == NULL || inet_ntop(ss.ss_family, a, out, (socklen_t)len) == NULL)
		out[0] = '\0';
}

bool
mapd_source_admit(struct mapd *md, struct mapd_client *cl)
{
	source_key(&cl->c, cl->src, sizeof(cl->src));
	if (cl->src[0] == '\0')
		return true; /* not an IP peer: not limited per source */
	uintptr_t n = (uintptr_t)aw_strmap_get(&md->sources, cl->src);
	if (n >= md->max_per_source) {
		md->cnt.refused_per_source++;
		return false;
	}
	if (aw_strmap_put(&md->sources, cl->src, (void *)(n + 1)) == (void *)(n + 1))
		return false; /* out of memory */
	cl->counted = true;
	return true;
}

void
mapd_source_release(struct mapd *md, struct mapd_client *cl)
{
	if (!cl->counted)
		return;
	cl->counted = false;
	uintptr_t n = (uintptr_t)aw_strmap_get(&md->sources, cl->src);
	if (n <= 1)
		aw_strmap_del(&md->sources, cl->src);
	else
		aw_strmap_put(&md->sources, cl->src, (void *)(n - 1));
}

void
mapd_account(struct mapd *md, struct mapd_client *cl)
{
	size_t in = 0, out = 0;

	if (!cl->c.h.dead) {
		aw_linebuf_trim(&cl->c.in, IN_KEEP);
		in = cl->c.in.cap;
		out = aw_conn_queued(&cl->c); /* the scan frees a large, drained buffer */
	}
	md->in_total = md->in_total - cl->in_acct + in;
	md->out_total = md->out_total - cl->out_acct + out;
	cl->in_acct = in;
	cl->out_acct = out;
}

/* The connection holding the oldest partial line (input) or the largest
 * output queue (output). */
static struct mapd_client *
victim(struct mapd *md, bool input)
{
	struct mapd_client *best = NULL;

	for (struct mapd_client *cl = md->clients; cl != NULL; cl = cl->next) {
		if (input) {
			if (cl->partial_since_ms == 0 || aw_linebuf_pending(&cl->c.in) == 0)
				continue;
			if (best == NULL || cl->partial_since_ms < best->partial_since_ms ||
			    (cl->partial_since_ms == best->partial_since_ms &&
			     cl->in_acct > best->in_acct))
				best = cl;
		} else if (cl->out_acct > 0 && (best == NULL || cl->out_acct > best->out_acct)) {
			best = cl;
		}
	}
	return best;
}

void
mapd_enforce_budgets(struct mapd *md)
{
	struct mapd_client *v;

	while (md->in_total > md->in_budget && (v = victim(md, true)) != NULL) {
		md->cnt.closed_input_budget++;
		mapd_client_reply_err(v, "input budget of the map server exceeded: closing");
		mapd_client_drop(md, v, "input budget exceeded: oldest partial line dropped");
	}
	while (md->out_total > md->out_budget && (v = victim(md, false)) != NULL) {
		md->cnt.dropped_output_budget++;
		mapd_client_drop(md, v, "output budget exceeded: largest queue dropped");
	}
}

/* The reason to close cl now, or NULL. */
static const char *
overdue(struct mapd *md, struct mapd_client *cl, uint64_t now)
{
	if (!cl->hello) {
		if (now - cl->since_ms <= md->hello_timeout_ms)
			return NULL;
		md->cnt.closed_no_hello++;
		mapd_client_reply_err(cl, "op: expected hello within %llu s: closing",
				      (unsigned long long)(md->hello_timeout_ms / 1000));
		return "no hello in time";
	}
	if (cl->partial_since_ms != 0 && now - cl->partial_since_ms > MAPD_PARTIAL_MS &&
	    aw_linebuf_pending(&cl->c.in) > MAPD_PARTIAL_BYTES) {
		md->cnt.closed_partial_line++;
		mapd_client_reply_err(cl, "a partial line over %u bytes was held over %u s: closing",
				      MAPD_PARTIAL_BYTES, MAPD_PARTIAL_MS / 1000);
		return "partial line held too long";
	}
	uint64_t allow = md->idle_timeout_ms;
	if ((uint64_t)cl->max_ttl_s * 1000u > allow)
		allow = (uint64_t)cl->max_ttl_s * 1000u; /* renewals come every ttl/3 */
	if (now - cl->last_rx_ms <= allow)
		return NULL;
	md->cnt.closed_idle++;
	mapd_client_reply_err(cl, "idle for %llu s: closing", (unsigned long long)(allow / 1000));
	return "idle timeout";
}

static void
accept_resume(struct mapd *md)
{
	md->accept_resume_ms = 0;
	for (int i = 0; i < md->n_lis; i++)
		aw_loop_mod(&md->loop, &md->lis[i].h, EPOLLIN);
	if (md->reserve_fd < 0)
		md->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void
mapd_limits_scan(struct mapd *md, uint64_t now_ms)
{
	struct mapd_client *cl, *next;

	if (md->accept_resume_ms != 0 && now_ms >= md->accept_resume_ms)
		accept_resume(md);
	if (now_ms < md->next_scan_ms)
		return;
	md->next_scan_ms = now_ms + MAPD_SCAN_MS;
	for (cl = md->clients; cl != NULL; cl = next) {
		next = cl->next;
		const char *why = overdue(md, cl, now_ms);
		if (why != NULL)
			mapd_client_drop(md, cl, why);
		else
			aw_conn_trim(&cl->c);
	}
}

void
mapd_accept_no_fd(struct mapd *md, int lfd)
{
	if (md->reserve_fd >= 0) {
		close(md->reserve_fd);
		md->reserve_fd = -1;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			md->cnt.refused_fd_limit++;
			close(fd);
		}
		md->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (md->reserve_fd >= 0)
			return;
	}
	/* no spare fd: stop watching the listeners for a while */
	if (md->accept_resume_ms == 0) {
		md->cnt.accept_paused++;
		aw_log_rep(&md->log_fd, AW_LOG_ERR,
			   "no file descriptor left: accepting paused for %d ms", MAPD_ACCEPT_PAUSE_MS);
	}
	md->accept_resume_ms = aw_now_ms() + MAPD_ACCEPT_PAUSE_MS;
	for (int i = 0; i < md->n_lis; i++)
		aw_loop_mod(&md->loop, &md->lis[i].h, 0);
}

json_t *
mapd_limits_json(const struct mapd *md)
{
	const struct mapd_counters *c = &md->cnt;

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			 " s:I, s:I}",
			 "refused_max_clients", (json_int_t)c->refused_max_clients,
			 "refused_per_source", (json_int_t)c->refused_per_source,
			 "refused_fd_limit", (json_int_t)c->refused_fd_limit,
			 "accept_paused", (json_int_t)c->accept_paused,
			 "closed_no_hello", (json_int_t)c->closed_no_hello,
			 "closed_idle", (json_int_t)c->closed_idle,
			 "closed_partial_line", (json_int_t)c->closed_partial_line,
			 "closed_line_too_long", (json_int_t)c->closed_line_too_long,
			 "closed_input_budget", (json_int_t)c->closed_input_budget,
			 "dropped_output_budget", (json_int_t)c->dropped_output_budget,
			 "clients", (json_int_t)md->n_clients,
			 "sources", (json_int_t)md->sources.n,
			 "input_bytes", (json_int_t)md->in_total,
			 "output_bytes", (json_int_t)md->out_total,
			 "tls_handshakes", (json_int_t)(md->tls ? md->tls->handshakes : 0),
			 "tls_handshake_failed",
			 (json_int_t)(md->tls ? md->tls->handshake_failed : 0));
}
