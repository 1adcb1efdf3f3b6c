/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_bird — announce the VIPs by health through BIRD 2 (SPEC §8): the VIP
 * routes are a static protocol in BIRD's config (--bird-protocol NAME); the
 * agent enables it while the instance is healthy and disables it otherwise,
 * speaking birdc's line protocol on BIRD's control socket (--bird-socket)
 * itself: non-blocking socket, every exchange bounded by
 * AGENT_BIRD_TIMEOUT_MS. Announced only while the data plane answers (its
 * connection is up: pings every second, a call bounded at 5 s), the agent
 * is synced with a map server or holds a view from one (fail-static), the
 * instance is not drained and the agent is not stopping.
 * Contract: anyway-agent's one thread.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "aw_metrics.h"

#define AGENT_BIRD_TIMEOUT_MS 2000
#define AGENT_BIRD_RETRY_MS 2000
#define AGENT_BIRD_VIPS_MS 10000

int
agent_bird_set(struct agent_bird *b, const char *what, const char *v)
{
	bool sock = strcmp(what, "socket") == 0;
	size_t max = sock ? sizeof(b->sock) : sizeof(b->proto);

	if (strlen(v) == 0 || strlen(v) >= max) {
		fprintf(stderr, "anyway-agent: --bird-%s: expected 1..%zu bytes\n", what, max - 1);
		return -1;
	}
	for (const char *p = v; !sock && *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_')) {
			fprintf(stderr, "anyway-agent: --bird-protocol: expected a BIRD protocol "
					"name (A-Z a-z 0-9 _), got '%.80s'\n", v);
			return -1;
		}
	snprintf(sock ? b->sock : b->proto, max, "%s", v);
	return 0;
}

int
agent_bird_check(const struct agent_bird *b)
{
	if ((b->sock[0] != '\0') != (b->proto[0] != '\0')) {
		fprintf(stderr, "anyway-agent: --bird-socket and --bird-protocol go together\n");
		return -1;
	}
	return 0;
}

/* Reads reply lines until the last one ("DDDD text"); its code, or -1 with err. */
static int
read_reply(int fd, uint64_t deadline, char *err, size_t errlen)
{
	char buf[4096];
	size_t len = 0;

	for (;;) {
		char *nl;
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			size_t l = (size_t)(nl - buf);
			*nl = '\0';
			if (l >= 5 && buf[4] == ' ' && buf[0] >= '0' && buf[0] <= '9') {
				int code = atoi(buf);
				snprintf(err, errlen, "%.200s", buf + 5);
				return code;
			}
			memmove(buf, nl + 1, len - l - 1);
			len -= l + 1;
		}
		if (len == sizeof(buf))
			len = 0; /* a continuation line too long to keep: its end still comes */
		uint64_t now = aw_now_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (now >= deadline || poll(&p, 1, (int)(deadline - now)) <= 0)
			return snprintf(err, errlen, "no reply within %d ms", AGENT_BIRD_TIMEOUT_MS), -1;
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);
		if (n == 0)
			return snprintf(err, errlen, "connection closed by BIRD"), -1;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return snprintf(err, errlen, "read: %s", strerror(errno)), -1;
		if (n > 0)
			len += (size_t)n;
	}
}

/* One command on a new control connection; 0, or -1 with err. */
static int
bird_command(const struct agent_bird *b, const char *cmd, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint64_t deadline = aw_now_ms() + AGENT_BIRD_TIMEOUT_MS;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	char line[128];
	int code = -1;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", b->sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "connect %s: %s", b->sock, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	code = read_reply(fd, deadline, err, errlen); /* greeting: 0001 BIRD x ready. */
	if (code == 1) {
		int n = snprintf(line, sizeof(line), "%s\n", cmd);
		if (write(fd, line, (size_t)n) != n) /* a short line into an empty socket */
			code = -1, snprintf(err, errlen, "write: %s", strerror(errno));
		else
			code = read_reply(fd, deadline, err, errlen);
	} else if (code >= 0) {
		snprintf(err, errlen, "unexpected greeting (code %04d)", code);
		code = -1;
	}
	close(fd);
	if (code >= 8000) { /* 8xxx run-time errors, 9xxx parse errors */
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "%.60s: %.180s", cmd, err);
		snprintf(err, errlen, "%s", tmp);
	}
	return code >= 0 && code < 8000 ? 0 : -1;
}

/* The data plane's VIPs (vip.list), read every AGENT_BIRD_VIPS_MS while it
 * is up: shown in the status and logged when they change, so that an
 * operator sees the routes BIRD's static protocol must hold. */
static void
read_vips(struct agent *ag, uint64_t now)
{
	struct agent_bird *b = &ag->bird;
	json_t *reply = NULL, *out = json_array();
	size_t i;
	json_t *v;

	b->next_vips_ms = now + AGENT_BIRD_VIPS_MS;
	if (out == NULL || agent_dp_call_raw(ag, "{\"op\":\"vip.list\"}", 17, &reply) < 0) {
		json_decref(out);
		return;
	}
	json_array_foreach(json_object_get(reply, "vips"), i, v)
		if (json_is_string(json_object_get(v, "addr")))
			json_array_append(out, json_object_get(v, "addr"));
	json_decref(reply);
	if (b->vips == NULL || !json_equal(out, b->vips)) {
		char *t = json_dumps(out, JSON_COMPACT);
		fprintf(stderr, "anyway-agent: bird: the data plane's VIPs: %s (protocol %s must "
				"hold a route for each)\n", t != NULL ? t : "?", b->proto);
		free(t);
	}
	json_decref(b->vips);
	b->vips = out;
}

static bool
healthy(const struct agent *ag, const char **why)
{
	bool synced = false;

	for (int i = 0; i < ag->n_mapd; i++)
		synced |= ag->mapd[i].state == MAPD_SYNCED || ag->mapd[i].has_view;
	if (ag->bird.stopping)
		*why = "agent stopping";
	else if (ag->cluster.draining)
		*why = "drained";
	else if (!ag->dp.up)
		*why = "data plane not answering";
	else if (!synced)
		*why = "never synced with a map server";
	else
		return *why = "healthy", true;
	return false;
}

static void
set_announced(struct agent *ag, bool want, const char *why, uint64_t now)
{
	struct agent_bird *b = &ag->bird;
	char cmd[96], err[256];

	snprintf(cmd, sizeof(cmd), "%s %s", want ? "enable" : "disable", b->proto);
	if (bird_command(b, cmd, err, sizeof(err)) < 0) {
		b->errors++;
		b->retry_at_ms = now + AGENT_BIRD_RETRY_MS;
		if (strcmp(err, b->last_error) != 0) /* logged once per distinct error */
			fprintf(stderr, "anyway-agent: bird: %s failed: %s (retrying every %d ms)\n",
				cmd, err, AGENT_BIRD_RETRY_MS);
		snprintf(b->last_error, sizeof(b->last_error), "%s", err);
		return;
	}
	b->last_error[0] = '\0';
	b->known = true;
	b->announced = want;
	b->changes++;
	snprintf(b->reason, sizeof(b->reason), "%s", why);
	fprintf(stderr, "anyway-agent: bird: VIPs %s (protocol %s %s): %s\n",
		want ? "announced" : "withdrawn", b->proto, want ? "enabled" : "disabled", why);
}

void
agent_bird_tick(struct agent *ag, uint64_t now)
{
	struct agent_bird *b = &ag->bird;
	const char *why;

	if (b->sock[0] == '\0')
		return;
	if (ag->dp.up && now >= b->next_vips_ms && !b->stopping)
		read_vips(ag, now);
	bool want = healthy(ag, &why);
	if ((!b->known || want != b->announced) && now >= b->retry_at_ms)
		set_announced(ag, want, why, now);
}

void
agent_bird_stop(struct agent *ag)
{
	if (ag->bird.sock[0] == '\0')
		return;
	ag->bird.stopping = true;
	ag->bird.retry_at_ms = 0;
	agent_bird_tick(ag, aw_now_ms());
}

json_t *
agent_bird_json(const struct agent *ag)
{
	const struct agent_bird *b = &ag->bird;
	const char *why;
	bool want = healthy(ag, &why);

	if (b->sock[0] == '\0')
		return json_null();
	return json_pack("{s:s, s:s, s:b, s:b, s:b, s:s, s:s, s:I, s:I, s:s, s:O?}", "socket", b->sock,
			 "protocol", b->proto, "announced", b->known && b->announced, "known",
			 b->known, "should_announce", want, "reason", b->reason, "health", why,
			 "changes", (json_int_t)b->changes, "errors", (json_int_t)b->errors,
			 "last_error", b->last_error, "vips", b->vips);
}

/* The --metrics families of membership, drain and announcing. */
void
agent_cluster_metrics(struct aw_metrics *w, const struct agent *ag)
{
	const struct agent_cluster *c = &ag->cluster;
	const struct agent_bird *b = &ag->bird;

	aw_metrics_family(w, "anyway_agent_cluster_epoch", AW_METRIC_GAUGE,
			  "Epoch of the member list last applied with cluster.set (0: none).");
	aw_metrics_u64(w, c->applied_epoch, NULL);
	aw_metrics_family(w, "anyway_agent_cluster_updates_rejected", AW_METRIC_COUNTER,
			  "Member list updates rejected whole (malformed or an older epoch).");
	aw_metrics_u64(w, c->rejected, NULL);
	aw_metrics_family(w, "anyway_agent_cluster_apply_errors", AW_METRIC_COUNTER,
			  "cluster.set calls the data plane refused.");
	aw_metrics_u64(w, c->apply_errors, NULL);
	aw_metrics_family(w, "anyway_agent_drain_state", AW_METRIC_GAUGE,
			  "0 active, 1 draining, 2 drained.");
	aw_metrics_u64(w, c->drained ? 2 : c->draining ? 1 : 0, NULL);
	if (b->sock[0] == '\0')
		return;
	aw_metrics_family(w, "anyway_agent_vips_announced", AW_METRIC_GAUGE,
			  "1 while BIRD's VIP protocol is enabled by the agent.");
	aw_metrics_u64(w, b->known && b->announced ? 1 : 0, NULL);
	aw_metrics_family(w, "anyway_agent_announce_changes", AW_METRIC_COUNTER,
			  "Announce / withdraw changes made through BIRD.");
	aw_metrics_u64(w, b->changes, NULL);
	aw_metrics_family(w, "anyway_agent_bird_errors", AW_METRIC_COUNTER,
			  "BIRD control socket commands that failed (retried every 2 s).");
	aw_metrics_u64(w, b->errors, NULL);
}
