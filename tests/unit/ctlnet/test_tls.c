/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_tls + aw_conn over TLS 1.3: two connections on one aw_loop joined by a
 * socketpair (small socket buffers, so that writes are partial and the
 * handshake and the data interleave with WANT_READ / WANT_WRITE); the peer
 * identities; megabytes of lines arrive whole and in order; a refused
 * certificate gives EPROTO with its reason and is counted; bad files are
 * refused when the context is built. Certificates come from
 * deploy/pki/anyway-pki (argv[1]) in a temporary directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aw_conn.h"
#include "aw_line.h"
#include "aw_tls.h"
#include "aw_test.h"

static const char *pki_script;
static char dir[64];

struct end {
	struct aw_conn c; /* first member */
	unsigned lines;
	unsigned long long bytes;
	int status; /* last aw_conn_read result that ended it (0: open) */
	int err;
	char why[320];
	char first[64];
};

static void
fail_end(struct end *e, int status, int err)
{
	e->status = status;
	e->err = err;
	snprintf(e->why, sizeof(e->why), "%s", aw_conn_strerror(&e->c, err));
	aw_loop_kill(e->c.loop, &e->c.h);
}

static void
on_event(struct aw_handler *h, uint32_t events)
{
	struct end *e = (struct end *)h;
	char *line;
	size_t len;

	if ((events & EPOLLOUT) && aw_conn_on_writable(&e->c) < 0) {
		fail_end(e, AW_LINE_ERROR, errno);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	int rc = aw_conn_read(&e->c);
	if (rc == AW_LINE_AGAIN)
		return;
	if (rc != AW_LINE_OK) {
		fail_end(e, rc, errno);
		return;
	}
	while (aw_linebuf_next(&e->c.in, &line, &len) == AW_LINE_OK) {
		if (e->lines++ == 0)
			snprintf(e->first, sizeof(e->first), "%.*s", (int)len, line);
		e->bytes += len;
	}
}

/* anyway-pki VERB SUBDIR [NAME] */
static void
pki(const char *verb, const char *sub, const char *name)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "sh %s %s %s/%s %s >/dev/null", pki_script, verb, dir, sub,
		 name);
	CHECK_EQ(system(cmd), 0);
}

static struct aw_tls *
ctx(bool server, const char *ca, const char *name)
{
	char c[128], k[128], a[128], err[512];

	snprintf(a, sizeof(a), "%s/%s/ca.pem", dir, ca);
	snprintf(c, sizeof(c), "%s/%s.pem", dir, name);
	snprintf(k, sizeof(k), "%s/%s.key", dir, name);
	struct aw_tls *t = aw_tls_new(server, a, c, k, err, sizeof(err));
	if (t == NULL)
		fprintf(stderr, "aw_tls_new: %s\n", err);
	CHECK(t != NULL);
	return t;
}

/* Server and client ends on a socketpair; run the loop until both are idle
 * or one ends (bounded). */
static void
pair(struct aw_loop *l, struct end *s, struct end *c, struct aw_tls *ts, struct aw_tls *tc)
{
	int sv[2], small = 4096;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	for (int i = 0; i < 2; i++)
		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	memset(s, 0, sizeof(*s));
	memset(c, 0, sizeof(*c));
	CHECK_EQ(aw_conn_open(&s->c, l, sv[0], false, 64u << 20, on_event, NULL), 0);
	CHECK_EQ(aw_conn_open(&c->c, l, sv[1], false, 64u << 20, on_event, NULL), 0);
	CHECK_EQ(aw_conn_start_tls(&s->c, ts), 0);
	CHECK_EQ(aw_conn_start_tls(&c->c, tc), 0);
}

static void
run(struct aw_loop *l, struct end *s, struct end *c, unsigned want_lines)
{
	for (int i = 0; i < 20000 && s->status == 0 && c->status == 0; i++) {
		if (aw_loop_run_once(l, 100) == 0 && s->lines >= want_lines &&
		    aw_conn_queued(&c->c) == 0)
			break;
	}
}

static void
finish(struct aw_loop *l, struct end *s, struct end *c)
{
	if (!s->c.h.dead)
		aw_loop_kill(l, &s->c.h);
	if (!c->c.h.dead)
		aw_loop_kill(l, &c->c.h);
	aw_loop_run_once(l, 0);
	aw_conn_free(&s->c);
	aw_conn_free(&c->c);
}

static void
test_lines_over_tls(void)
{
	struct aw_loop l;
	struct end s, c;
	struct aw_tls *ts = ctx(true, "ca", "server"), *tc = ctx(false, "ca", "client");
	static char line[100000];
	unsigned n = 40; /* 4 MB through 4 KiB socket buffers */

	CHECK_EQ(aw_loop_init(&l), 0);
	pair(&l, &s, &c, ts, tc);
	CHECK_EQ(aw_conn_send(&c.c, "{\"op\":\"hello\"}", 14), 0); /* queued before the handshake */
	memset(line, 'x', sizeof(line));
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(aw_conn_send(&c.c, line, sizeof(line)), 0);
	run(&l, &s, &c, n + 1);
	CHECK_EQ(s.status, 0);
	CHECK_EQ(c.status, 0);
	CHECK_EQ(s.lines, n + 1);
	CHECK_EQ(s.bytes, 14 + (unsigned long long)n * sizeof(line));
	CHECK_STR(s.first, "{\"op\":\"hello\"}");
	CHECK_STR(s.c.peer_id, "client");
	CHECK_STR(c.c.peer_id, "server");
	CHECK_EQ(ts->handshakes, 1);
	CHECK_EQ(ts->handshake_failed, 0);
	/* and back: the server answers */
	CHECK_EQ(aw_conn_send(&s.c, "{\"ok\":true}", 11), 0);
	run(&l, &c, &s, 1);
	CHECK_EQ(c.lines, 1);
	CHECK_STR(c.first, "{\"ok\":true}");
	finish(&l, &s, &c);
	aw_loop_fini(&l);
	aw_tls_free(ts);
	aw_tls_free(tc);
}

static void
test_unknown_ca_refused(void)
{
	struct aw_loop l;
	struct end s, c;
	struct aw_tls *ts = ctx(true, "ca", "server"), *tc = ctx(false, "ca", "other/intruder");

	CHECK_EQ(aw_loop_init(&l), 0);
	pair(&l, &s, &c, ts, tc);
	CHECK_EQ(aw_conn_send(&c.c, "{\"op\":\"hello\"}", 14), 0);
	run(&l, &s, &c, 1);
	CHECK_EQ(s.status, AW_LINE_ERROR);
	CHECK_EQ(s.err, EPROTO);
	CHECK(strstr(s.why, "TLS handshake failed: peer certificate refused: unable to get local "
			    "issuer certificate") != NULL);
	CHECK_EQ(s.lines, 0);
	CHECK_STR(s.c.peer_id, "");
	CHECK_EQ(ts->handshake_failed, 1);
	CHECK_EQ(ts->handshakes, 0);
	finish(&l, &s, &c);
	aw_loop_fini(&l);
	aw_tls_free(ts);
	aw_tls_free(tc);
}

static void
test_bad_files(void)
{
	char a[128], c[128], k[128], err[512];

	snprintf(a, sizeof(a), "%s/ca/ca.pem", dir);
	snprintf(c, sizeof(c), "%s/server.pem", dir);
	snprintf(k, sizeof(k), "%s/client.key", dir);
	CHECK(aw_tls_new(true, a, c, k, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "does not match the certificate in --cert") != NULL);
	CHECK(aw_tls_new(true, "/nonexistent/ca.pem", c, k, err, sizeof(err)) == NULL);
	CHECK_STR(err, "--ca /nonexistent/ca.pem: No such file or directory");
	CHECK(aw_tls_new(false, c /* a certificate, no key */, c, c, err, sizeof(err)) == NULL);
	CHECK(strncmp(err, "--key ", 6) == 0);
	/* a reload that fails keeps the context */
	snprintf(k, sizeof(k), "%s/server.key", dir);
	struct aw_tls *t = aw_tls_new(true, a, c, k, err, sizeof(err));
	CHECK(t != NULL);
	if (t != NULL) {
		void *before = t->ctx;
		free(t->key);
		t->key = strdup("/nonexistent/key.pem");
		CHECK_EQ(aw_tls_reload(t, err, sizeof(err)), -1);
		CHECK(t->ctx == before);
		aw_tls_free(t);
	}
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/awtls-unit-%d", (int)getpid());
	pki("init", "ca", "");
	pki("issue", "ca", "server");
	pki("issue", "ca", "client");
	pki("init", "other", "");
	pki("issue", "other", "intruder");
	/* flat names for ctx(): DIR/server.pem -> DIR/ca/server.pem ... */
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "cd %s && for f in server client; do"
		 " ln -s ca/$f.pem $f.pem && ln -s ca/$f.key $f.key; done",
		 dir);
	CHECK_EQ(system(cmd), 0);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_tls PATH/TO/anyway-pki\n");
		return 2;
	}
	pki_script = argv[1];
	setup();
	test_lines_over_tls();
	test_unknown_ca_refused();
	test_bad_files();
	teardown();
	printf("%d checks, %d failed\n", aw_test_checks, aw_test_failures);
	return aw_test_failures ? 1 : 0;
}
