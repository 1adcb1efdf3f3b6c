/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl: the data plane's counters over time (SPEC §11) —
 *  - `services --stats`: per service, then per destination, sessions made,
 *    active, packets and bytes each way (the data plane's service.stats),
 *    like `ipvsadm -L --stats`;
 *  - `stats -i SECONDS [-c COUNT]`: a `stats` request every interval (a
 *    connection each), and one line of rates per interval (packets/s, bits/s, drops/s
 *    with the reasons that dropped), computed over the data plane's own
 *    clock (the reply's time_ms) so that a slow reply does not skew them.
 * See ctl.h for the contract.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

/* ---- services --stats ------------------------------------------------------ */

static const char *const svc_keys[] = {"conns", "active", "in_pkts", "out_pkts", "in_bytes",
				       "out_bytes"};
#define N_SVC_KEYS 6

static void
counter_row(struct ctl_table *t, const char *svc, const char *dest, const json_t *o)
{
	char *c[2 + N_SVC_KEYS];

	c[0] = (char *)svc;
	c[1] = (char *)dest;
	for (int k = 0; k < N_SVC_KEYS; k++)
		c[2 + k] = ctl_cell(json_object_get(o, svc_keys[k]));
	ctl_table_row(t, (const char *const *)c);
	for (int k = 0; k < N_SVC_KEYS; k++)
		free(c[2 + k]);
}

static bool
all_zero(const json_t *o)
{
	for (int k = 0; k < N_SVC_KEYS; k++)
		if (json_integer_value(json_object_get(o, svc_keys[k])) != 0)
			return false;
	return true;
}

/* SERVICE row (DESTINATION "(all)": its totals), then one row per
 * destination; a destination the service no longer has, whose sessions or
 * counters are still kept, is marked "(removed)". */
int
ctl_show_service_stats(const struct ctl_cmd *c, const json_t *reply)
{
	static const char *const hdr[] = {"SERVICE", "DESTINATION", "CONNS", "ACTIVE", "INPKTS",
					  "OUTPKTS", "INBYTES", "OUTBYTES", NULL};
	const json_t *svcs, *other = json_object_get(reply, "other");
	int rc = ctl_reply_array(c, reply, "services", &svcs);
	size_t i, j;
	json_t *s, *d;

	if (rc != CTL_OK)
		return rc;
	if (json_array_size(svcs) == 0 && (other == NULL || all_zero(other))) {
		printf("(none)\n");
		return CTL_OK;
	}
	struct ctl_table *t = ctl_table_new(hdr);
	json_array_foreach((json_t *)svcs, i, s) {
		char *name = ctl_cell(json_object_get(s, "service"));
		counter_row(t, name, "(all)", s);
		json_array_foreach(json_object_get(s, "destinations"), j, d) {
			char *ep = ctl_endpoint_cell(d), dest[300];
			snprintf(dest, sizeof(dest), "%s%s", ep,
				 json_is_true(json_object_get(d, "removed")) ? " (removed)" : "");
			counter_row(t, "", dest, d);
			free(ep);
		}
		free(name);
	}
	if (other != NULL && !all_zero(other)) /* pairs beyond the data plane's bound */
		counter_row(t, "(other)", "(all)", other);
	ctl_table_print(t);
	return CTL_OK;
}

/* ---- stats -i ----------------------------------------------------------------- */

struct sample {
	uint64_t t_ms, rx, tx, rx_bytes, tx_bytes, drops;
	json_t *by_reason; /* borrowed from the reply */
};

static uint64_t
u(const json_t *o, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(o, k));
	return v > 0 ? (uint64_t)v : 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sample_of(const json_t *r, struct sample *s)
{
	s->t_ms = json_is_integer(json_object_get(r, "time_ms")) ? u(r, "time_ms") : now_ms();
	s->rx = u(r, "rx");
	s->tx = u(r, "tx");
	s->rx_bytes = u(r, "rx_bytes");
	s->tx_bytes = u(r, "tx_bytes");
	s->drops = u(r, "drops_total");
	s->by_reason = json_object_get(r, "drops");
}

static double
rate(uint64_t a, uint64_t b, double secs)
{
	return b >= a ? (double)(b - a) / secs : 0.0; /* a restarted data plane: 0 */
}

/* One line: the rates between a and b; --json: one object. */
static void
print_rates(const struct ctl_opts *o, const struct sample *a, const struct sample *b)
{
	double secs = b->t_ms > a->t_ms ? (double)(b->t_ms - a->t_ms) / 1000.0 : 1.0;
	json_t *by = json_object();
	const char *k;
	json_t *v;
	char reasons[1024] = "";
	size_t n = 0;

	json_object_foreach(b->by_reason, k, v) {
		uint64_t was = u(a->by_reason, k), is = json_is_integer(v) ? u(b->by_reason, k) : 0;
		if (is <= was)
			continue;
		json_object_set_new(by, k, json_real(rate(was, is, secs)));
		if (n < sizeof(reasons))
			n += (size_t)snprintf(reasons + n, sizeof(reasons) - n, "%s%s %.0f",
					      n ? ", " : "", k, rate(was, is, secs));
	}
	if (o->json) {
		json_t *j = json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:o}", "interval_s", secs, "rx_pps",
				      rate(a->rx, b->rx, secs), "tx_pps", rate(a->tx, b->tx, secs),
				      "rx_bps", 8 * rate(a->rx_bytes, b->rx_bytes, secs), "tx_bps",
				      8 * rate(a->tx_bytes, b->tx_bytes, secs), "drops_ps",
				      rate(a->drops, b->drops, secs), "drops_ps_by_reason", by);
		char *s = json_dumps(j, JSON_COMPACT);
		printf("%s\n", s ? s : "{}");
		free(s);
		json_decref(j);
	} else {
		json_decref(by);
		printf("%-12.0f  %-12.0f  %-14.0f  %-14.0f  %-10.0f  %s\n", rate(a->rx, b->rx, secs),
		       rate(a->tx, b->tx, secs), 8 * rate(a->rx_bytes, b->rx_bytes, secs),
		       8 * rate(a->tx_bytes, b->tx_bytes, secs), rate(a->drops, b->drops, secs),
		       n ? reasons : "-");
	}
	fflush(stdout);
}

static void
sleep_s(int s)
{
	struct timespec ts = {.tv_sec = s};
	while (nanosleep(&ts, &ts) != 0)
		;
}

int
ctl_watch_stats(const struct ctl_opts *o, const struct ctl_cmd *c)
{
	json_t *prev = NULL, *cur = NULL;
	json_t *req = json_pack("{s:s}", "op", c->op);
	struct sample a, b;
	/* a connection per request: an interval may exceed api.idle_timeout_s */
	int rc = ctl_call_once(o, c->peer, NULL, req, &prev, NULL);

	if (rc == CTL_OK && !o->json)
		printf("%-12s  %-12s  %-14s  %-14s  %-10s  %s\n", "RX_PPS", "TX_PPS", "RX_BPS",
		       "TX_BPS", "DROPS_PS", "DROPS_PS_BY_REASON");
	for (long long i = 0; rc == CTL_OK && (o->count == 0 || i < o->count); i++) {
		sleep_s(o->interval_s);
		rc = ctl_call_once(o, c->peer, NULL, req, &cur, NULL);
		if (rc != CTL_OK)
			break;
		sample_of(prev, &a);
		sample_of(cur, &b);
		print_rates(o, &a, &b);
		json_decref(prev);
		prev = cur;
		cur = NULL;
	}
	json_decref(cur);
	json_decref(prev);
	json_decref(req);
	return rc;
}
