/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_birdc — one exchange on BIRD 2's control socket (birdc's line
 * protocol), driven by the agent's epoll loop so that a BIRD that hangs or
 * is gone never stalls the agent's other work: a new non-blocking
 * connection per command; wait for the greeting (final line, code 0001);
 * send the command; read the numbered reply lines ("DDDD-text"
 * continuations, " text" continuations, "DDDD text" the final one) until
 * the final one. The whole exchange is bounded by AGENT_BIRD_TIMEOUT_MS
 * (agent_birdc_tick() enforces the deadline). At most one exchange at a
 * time; its end is reported to agent_bird_done() (agent_bird.c).
 * Contract: anyway-agent's one thread.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"

static struct agent *
bird_agent(struct aw_handler *h)
{
	struct agent_bird *b = (struct agent_bird *)((char *)h - offsetof(struct agent_bird, x.h));

	return (struct agent *)((char *)b - offsetof(struct agent, bird));
}

/* Ends the exchange in flight: closes it and reports code (-1: failed, err). */
static void
finish(struct agent *ag, int code, const char *err)
{
	struct agent_birdc *x = &ag->bird.x;
	int first = x->first_code;

	if (x->phase == BIRDC_IDLE)
		return;
	epoll_ctl(ag->loop.epfd, EPOLL_CTL_DEL, x->h.fd, NULL);
	close(x->h.fd);
	x->h.fd = -1;
	x->phase = BIRDC_IDLE;
	agent_bird_done(ag, code, first, err);
}

/* The next complete line of x->buf, NUL-ended in place; NULL: none yet. The
 * caller consumes it with consume(). */
static char *
next_line(struct agent_birdc *x, size_t *used)
{
	char *nl = memchr(x->buf, '\n', x->len);

	if (nl == NULL)
		return NULL;
	*nl = '\0';
	*used = (size_t)(nl - x->buf) + 1;
	return x->buf;
}

static void
consume(struct agent_birdc *x, size_t used)
{
	memmove(x->buf, x->buf + used, x->len - used);
	x->len -= used;
}

/* One line: -1 not final, else the final line's code (text in err). */
static int
line_code(struct agent_birdc *x, const char *l, char *err, size_t errlen)
{
	bool numbered = strlen(l) >= 5 && l[0] >= '0' && l[0] <= '9' && l[1] >= '0' &&
			l[1] <= '9' && l[2] >= '0' && l[2] <= '9' && l[3] >= '0' && l[3] <= '9';

	if (!numbered)
		return -1; /* " text": continuation of the previous code */
	if (x->first_code < 0)
		x->first_code = atoi(l);
	if (l[4] != ' ')
		return -1;
	snprintf(err, errlen, "%.200s", l + 5);
	return atoi(l);
}

/* The greeting came: send the command. */
static void
send_command(struct agent *ag)
{
	struct agent_birdc *x = &ag->bird.x;
	char line[sizeof(x->cmd) + 1];
	int n = snprintf(line, sizeof(line), "%s\n", x->cmd);
	ssize_t w = send(x->h.fd, line, (size_t)n, MSG_NOSIGNAL);

	if (w != n) { /* a short line into an empty socket: all or an error */
		char err[160];
		snprintf(err, sizeof(err), "write: %s", w < 0 ? strerror(errno) : "short write");
		finish(ag, -1, err);
		return;
	}
	x->phase = BIRDC_REPLY;
	x->first_code = -1;
}

/* Complete lines received so far. */
static void
take_lines(struct agent *ag)
{
	struct agent_birdc *x = &ag->bird.x;
	char text[256], err[300];
	size_t used;
	char *l;

	while (x->phase != BIRDC_IDLE && (l = next_line(x, &used)) != NULL) {
		int code = line_code(x, l, text, sizeof(text));
		consume(x, used);
		if (code < 0)
			continue;
		if (x->phase == BIRDC_REPLY) {
			finish(ag, code, text);
		} else if (code == 1) {
			x->len = 0; /* BIRD sends nothing more before the command */
			send_command(ag);
		} else {
			snprintf(err, sizeof(err), "unexpected greeting (code %04d)", code);
			finish(ag, -1, err);
		}
	}
}

static void
on_event(struct aw_handler *h, uint32_t events)
{
	struct agent *ag = bird_agent(h);
	struct agent_birdc *x = &ag->bird.x;
	char err[160];

	(void)events;
	if (x->phase == BIRDC_IDLE || h->fd < 0)
		return; /* an event of a connection closed in this round */
	for (int i = 0; i < 16 && x->phase != BIRDC_IDLE; i++) {
		if (x->len == sizeof(x->buf))
			x->len = 0; /* a continuation line too long to keep: its end still comes */
		ssize_t n = recv(h->fd, x->buf + x->len, sizeof(x->buf) - x->len, MSG_DONTWAIT);
		if (n == 0) {
			finish(ag, -1, "connection closed by BIRD");
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			snprintf(err, sizeof(err), "read: %s", strerror(errno));
			finish(ag, -1, err);
			return;
		}
		x->len += (size_t)n;
		take_lines(ag);
	}
}

int
agent_birdc_start(struct agent *ag, const char *cmd, char *err, size_t errlen)
{
	struct agent_bird *b = &ag->bird;
	struct agent_birdc *x = &b->x;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (x->phase != BIRDC_IDLE)
		return snprintf(err, errlen, "an exchange is in flight"), -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", b->sock);
	/* a unix socket connects at once or fails (EAGAIN: BIRD's backlog is full) */
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "connect %s: %s", b->sock, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	x->h.fd = fd;
	x->h.fn = on_event;
	x->h.destroy = NULL;
	x->len = 0;
	x->first_code = -1;
	x->phase = BIRDC_GREETING;
	x->deadline_ms = aw_now_ms() + AGENT_BIRD_TIMEOUT_MS;
	snprintf(x->cmd, sizeof(x->cmd), "%s", cmd);
	if (aw_loop_add(&ag->loop, &x->h, EPOLLIN | EPOLLRDHUP) < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		close(fd);
		x->h.fd = -1;
		x->phase = BIRDC_IDLE;
		return -1;
	}
	return 0;
}

void
agent_birdc_tick(struct agent *ag, uint64_t now)
{
	struct agent_birdc *x = &ag->bird.x;
	char err[96];

	if (x->phase == BIRDC_IDLE || now < x->deadline_ms)
		return;
	snprintf(err, sizeof(err), "no %s within %d ms",
		 x->phase == BIRDC_GREETING ? "greeting" : "reply", AGENT_BIRD_TIMEOUT_MS);
	finish(ag, -1, err);
}

void
agent_birdc_wait(struct agent *ag)
{
	struct agent_birdc *x = &ag->bird.x;

	while (x->phase != BIRDC_IDLE) {
		uint64_t now = aw_now_ms();
		struct pollfd p = {.fd = x->h.fd, .events = POLLIN};

		int n = now >= x->deadline_ms ? 0 : poll(&p, 1, (int)(x->deadline_ms - now));

		if (n == 0 || (n < 0 && errno != EINTR))
			agent_birdc_tick(ag, x->deadline_ms);
		else if (n > 0)
			on_event(&x->h, EPOLLIN);
	}
}
