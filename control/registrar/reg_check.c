/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reg_check — the health checks, in one helper thread so that a slow service
 * never delays the loop: `tcp` (a connect to the service's addr:port) or
 * `http:/PATH` (GET /PATH, status 2xx or 3xx), each bounded by
 * REG_CHECK_TIMEOUT_MS; every check_interval_ms. The result is published in
 * reg_svc.healthy (atomic); nothing else is shared.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "reg.h"

static pthread_t check_thread;

static int
wait_fd(int fd, short ev, uint64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = ev};
	uint64_t now = aw_now_ms();

	if (now >= deadline)
		return -1;
	return poll(&p, 1, (int)(deadline - now)) == 1 ? 0 : -1;
}

static int
connect_to(const struct aw_msg_reg *r, uint64_t deadline)
{
	struct aw_sockaddr a;
	char hp[80], ab[AW_ADDR_STRLEN], err[128];
	int inprog, e = 0;
	socklen_t l = sizeof(e);

	aw_addr_format(&r->addr, ab, sizeof(ab));
	snprintf(hp, sizeof(hp), r->addr.family == AW_AF_INET6 ? "[%s]:%u" : "%s:%u", ab, r->port);
	if (aw_hostport_parse(hp, 0, &a, err, sizeof(err)) < 0)
		return -1;
	int fd = aw_tcp_connect(&a, &inprog);
	if (fd < 0)
		return -1;
	if (inprog && (wait_fd(fd, POLLOUT, deadline) < 0 ||
		       getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0 || e != 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* GET path; 0 when the status is 2xx or 3xx. */
static int
http_check(int fd, const struct reg_svc *s, uint64_t deadline)
{
	char req[512], buf[64], ab[AW_ADDR_STRLEN];
	size_t got = 0;

	aw_addr_format(&s->r.addr, ab, sizeof(ab));
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: anyway-registrar\r\n\r\n",
			 s->http_path, ab);
	if (n <= 0 || (size_t)n >= sizeof(req) || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
		return -1;
	while (got < 12) {
		if (wait_fd(fd, POLLIN, deadline) < 0)
			return -1;
		ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, MSG_DONTWAIT);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	buf[got] = '\0';
	/* "HTTP/1.x NNN" */
	if (strncmp(buf, "HTTP/", 5) != 0)
		return -1;
	const char *sp = strchr(buf, ' ');
	return sp != NULL && (sp[1] == '2' || sp[1] == '3') ? 0 : -1;
}

static int
check_one(const struct reg_svc *s)
{
	uint64_t deadline = aw_now_ms() + REG_CHECK_TIMEOUT_MS;
	int fd, ok;

	if (s->check == CHECK_NONE)
		return 1;
	fd = connect_to(&s->r, deadline);
	if (fd < 0)
		return 0;
	ok = s->check == CHECK_TCP || http_check(fd, s, deadline) == 0;
	close(fd);
	return ok;
}

static void *
check_main(void *arg)
{
	struct reg *rg = arg;

	while (!atomic_load(&rg->stop_checks)) {
		uint64_t next = aw_now_ms() + rg->check_interval_ms;

		for (int i = 0; i < rg->n_svc && !atomic_load(&rg->stop_checks); i++)
			atomic_store(&rg->svc[i].healthy, check_one(&rg->svc[i]));
		while (!atomic_load(&rg->stop_checks) && aw_now_ms() < next) {
			struct timespec ts = {0, 20 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

int
reg_checks_start(struct reg *rg)
{
	atomic_store(&rg->stop_checks, false);
	return pthread_create(&check_thread, NULL, check_main, rg) == 0 ? 0 : -1;
}

void
reg_checks_stop(struct reg *rg)
{
	atomic_store(&rg->stop_checks, true);
	pthread_join(check_thread, NULL);
}
