/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reg_check — the health checks, all in one helper thread so that a slow
 * service never delays the loop and its renewals, and run in parallel there
 * through the libcurl multi interface, so that a hanging service never delays
 * the checks of the others.
 *
 * Kinds: `tcp` (a connect to addr:port), `http:/PATH` and `https:/PATH` (GET;
 * the status must be in the expected set, 200-399 unless configured, and the
 * first 64 KiB of the body must hold the expected substring when one is
 * configured), `none` (always passing). Each check is bounded by its timeout
 * and starts every interval (a late one starts as soon as the last ends).
 *
 * Rise/fall: a service becomes passing after `rise` passes in a row and
 * failing after `fall` failures in a row (at the first failure when it has
 * never passed). The state is published in reg_svc.healthy (atomic); nothing
 * else is shared. The check state below belongs to the check thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "aw_log.h"
#include "reg.h"

#define BODY_CAP (64u * 1024u)

struct chk {
	CURL *e;	   /* a transfer in flight, NULL otherwise */
	uint64_t due_ms;   /* next start */
	uint32_t passes, fails;
	char *body;	   /* BODY_CAP + 1 when a body is expected */
	size_t body_len;
	bool capped;
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_t check_thread;
static CURLM *multi;
static struct chk chks[REG_MAX_SVC];

int
reg_checks_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct chk *c = arg;
	size_t len = sz * n, room = BODY_CAP - c->body_len;

	if (c->body == NULL)
		return len; /* not kept */
	if (len > room) {
		memcpy(c->body + c->body_len, p, room);
		c->body_len = BODY_CAP;
		c->capped = true;
		return 0; /* enough read: ends the transfer (CURLE_WRITE_ERROR) */
	}
	memcpy(c->body + c->body_len, p, len);
	c->body_len += len;
	return len;
}

static void
make_url(const struct reg_svc *s, char *url, size_t len)
{
	char ab[AW_ADDR_STRLEN];
	const char *scheme = s->ck.kind == CHECK_HTTPS ? "https" : "http";
	const char *path = s->ck.kind == CHECK_TCP ? "/" : s->ck.http_path;

	aw_addr_format(&s->r.addr, ab, sizeof(ab));
	snprintf(url, len, s->r.addr.family == AW_AF_INET6 ? "%s://[%s]:%u%s" : "%s://%s:%u%s",
		 scheme, ab, s->r.port, path);
}

/* A new easy handle for one check of svc i; 0 when it runs. */
static int
start_one(const struct reg_svc *s, struct chk *c, int i)
{
	char url[AW_ADDR_STRLEN + sizeof(s->ck.http_path) + 32];
	CURL *e = curl_easy_init();

	if (e == NULL)
		return -1;
	make_url(s, url, sizeof(url));
	c->body_len = 0;
	c->capped = false;
	c->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)(intptr_t)i);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");	 /* never $http_proxy */
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L); /* each check connects */
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)s->ck.timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)s->ck.timeout_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "anyway-registrar");
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	if (s->ck.kind == CHECK_TCP)
		curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
	if (s->ck.kind == CHECK_HTTPS) {
		if (s->ck.ca_file[0] != '\0')
			curl_easy_setopt(e, CURLOPT_CAINFO, s->ck.ca_file);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, s->ck.tls_verify ? 1L : 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, s->ck.tls_verify ? 2L : 0L);
	}
	if (curl_multi_add_handle(multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		return -1;
	}
	c->e = e;
	return 0;
}

static bool
status_ok(const struct reg_check_conf *ck, long code)
{
	if (ck->n_status == 0)
		return code >= 200 && code <= 399;
	for (int i = 0; i < ck->n_status; i++)
		if (code >= ck->status_lo[i] && code <= ck->status_hi[i])
			return true;
	return false;
}

/* Whether the finished transfer passes; why[] says why not. */
static bool
judge(const struct reg_svc *s, struct chk *c, CURLcode res, char *why, size_t len)
{
	long code = 0;

	if (res != CURLE_OK && !(res == CURLE_WRITE_ERROR && c->capped)) {
		snprintf(why, len, "%s", c->errbuf[0] ? c->errbuf : curl_easy_strerror(res));
		return false;
	}
	if (s->ck.kind == CHECK_TCP)
		return true;
	curl_easy_getinfo(c->e, CURLINFO_RESPONSE_CODE, &code);
	if (!status_ok(&s->ck, code)) {
		snprintf(why, len, "HTTP status %ld not expected", code);
		return false;
	}
	if (c->body != NULL) {
		c->body[c->body_len] = '\0';
		if (memchr(c->body, '\0', c->body_len) != NULL || strstr(c->body, s->ck.expect_body) == NULL) {
			snprintf(why, len, "body does not contain the expected text");
			return false;
		}
	}
	return true;
}

static void
record(struct reg_svc *s, struct chk *c, bool ok, const char *why)
{
	int h = atomic_load(&s->healthy);
	char ab[AW_ADDR_STRLEN];

	if (ok) {
		c->fails = 0;
		if (++c->passes >= s->ck.rise && h != 1)
			atomic_store(&s->healthy, 1);
		return;
	}
	c->passes = 0;
	c->fails++;
	aw_addr_format(&s->r.addr, ab, sizeof(ab));
	aw_log(c->fails == 1 ? AW_LOG_INFO : AW_LOG_DEBUG, "%s %s port %u: check failed (%u in a row): %s",
	       s->r.service, ab, s->r.port, c->fails, why);
	if (h == -1 || (h == 1 && c->fails >= s->ck.fall))
		atomic_store(&s->healthy, 0);
}

static void
finish_done(struct reg *rg)
{
	CURLMsg *msg;
	int left;
	char why[CURL_ERROR_SIZE + 64];

	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		void *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		int i = (int)(intptr_t)priv;
		struct chk *c = &chks[i];
		bool ok = judge(&rg->svc[i], c, msg->data.result, why, sizeof(why));

		curl_multi_remove_handle(multi, c->e);
		curl_easy_cleanup(c->e);
		c->e = NULL;
		record(&rg->svc[i], c, ok, why);
	}
}

/* Starts the due checks; returns ms until the next one is due (at most 100). */
static uint32_t
start_due(struct reg *rg, uint64_t now)
{
	uint64_t wait = 100;

	for (int i = 0; i < rg->n_svc; i++) {
		struct reg_svc *s = &rg->svc[i];
		struct chk *c = &chks[i];
		uint32_t every = s->ck.interval_ms ? s->ck.interval_ms : rg->check_interval_ms;

		if (c->e != NULL)
			continue;
		if (now >= c->due_ms) {
			c->due_ms = now + every;
			if (s->ck.kind == CHECK_NONE)
				atomic_store(&s->healthy, 1);
			else if (start_one(s, c, i) < 0)
				record(s, c, false, "cannot start the check (out of memory)");
		}
		if (c->e == NULL && c->due_ms - now < wait)
			wait = c->due_ms - now;
	}
	return (uint32_t)wait;
}

static void *
check_main(void *arg)
{
	struct reg *rg = arg;

	while (!atomic_load(&rg->stop_checks)) {
		int running;
		uint32_t wait = start_due(rg, aw_now_ms());

		curl_multi_perform(multi, &running);
		finish_done(rg);
		curl_multi_poll(multi, NULL, 0, (int)wait, NULL);
	}
	return NULL;
}

int
reg_checks_start(struct reg *rg)
{
	multi = curl_multi_init();
	if (multi == NULL)
		return -1;
	memset(chks, 0, sizeof(chks));
	for (int i = 0; i < rg->n_svc; i++)
		if (rg->svc[i].ck.expect_body[0] != '\0' &&
		    (chks[i].body = malloc(BODY_CAP + 1)) == NULL)
			goto fail;
	atomic_store(&rg->stop_checks, false);
	if (pthread_create(&check_thread, NULL, check_main, rg) == 0)
		return 0;
fail:
	for (int i = 0; i < REG_MAX_SVC; i++)
		free(chks[i].body);
	memset(chks, 0, sizeof(chks));
	curl_multi_cleanup(multi);
	multi = NULL;
	return -1;
}

void
reg_checks_stop(struct reg *rg)
{
	if (multi == NULL) /* not running (a restart that failed) */
		return;
	atomic_store(&rg->stop_checks, true);
	curl_multi_wakeup(multi);
	pthread_join(check_thread, NULL);
	for (int i = 0; i < REG_MAX_SVC; i++) {
		if (chks[i].e != NULL) {
			curl_multi_remove_handle(multi, chks[i].e);
			curl_easy_cleanup(chks[i].e);
		}
		free(chks[i].body);
	}
	memset(chks, 0, sizeof(chks));
	curl_multi_cleanup(multi);
	multi = NULL;
}
