/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_batch — one batch call of the data-plane API being built: items are
 * JSON text (an object, or a string for the delete forms) appended to
 * {"op": OP, PLURAL: [ ... ]}, flushed when the line would pass CHUNK_BYTES
 * or CHUNK_ITEMS. A refused batch is retried item by item in the single form
 * ({"op": OP, ...object members} or {"op": OP, SINGLE: "string"}) so that one
 * bad item cannot hold the others back; each refusal is logged and counted.
 * On success the applied state records what each item set.
 * Pipelining: a flushed batch is sent and left in flight (struct agent's
 * inflight); its reply is read when it arrives (the API socket becomes
 * readable), or before anything else is sent, since replies come in order.
 * So the agent decodes the next pushes while the data plane applies.
 * Contract: anyway-agent's one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

#define CHUNK_ITEMS 10000
#define CHUNK_BYTES (700u * 1024u)

void
agent_batch_init(struct agent_batch *b, const char *op, const char *plural, const char *single)
{
	memset(b, 0, sizeof(*b));
	b->op = op;
	b->plural = plural;
	b->single = single;
	aw_jw_init(&b->w);
}


static void
batch_clear(struct agent_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->keys[i]);
		free(b->vals[i]);
	}
	b->n = 0;
	aw_jw_reset(&b->w);
}

void
agent_batch_free(struct agent_batch *b)
{
	batch_clear(b);
	free(b->keys);
	free(b->vals);
	free(b->start);
	aw_jw_free(&b->w);
}

static void
note_error(struct agent *ag, const char *op, const json_t *rep)
{
	const char *e = json_string_value(json_object_get(rep, "error"));

	ag->dp.errors++;
	snprintf(ag->dp.last_error, sizeof(ag->dp.last_error), "%s: %s", op, e ? e : "?");
	aw_log_rl(&ag->dp.log_rl, AW_LOG_WARNING, "data plane refused %s: %s", op, e ? e : "?");
}

/* Item i alone, in the single form of the method. */
static void
apply_single(struct agent *ag, struct agent_batch *b, size_t i, struct aw_jw *w)
{
	const char *item = b->w.buf + b->start[i];
	size_t len = (i + 1 < b->n ? b->start[i + 1] - 1 : b->end) - b->start[i];
	json_t *rep = NULL;

	aw_jw_reset(w);
	aw_jw_lit(w, "{\"op\":");
	aw_jw_str(w, b->op);
	if (item[0] == '{') {
		aw_jw_lit(w, ",");
		aw_jw_raw(w, item + 1, len - 1);
	} else {
		aw_jw_lit(w, ",");
		aw_jw_str(w, b->single);
		aw_jw_lit(w, ":");
		aw_jw_raw(w, item, len);
		aw_jw_lit(w, "}");
	}
	if (w->oom || agent_dp_call_raw(ag, w->buf, w->len, &rep) < 0)
		return;
	if (json_is_true(json_object_get(rep, "ok")) || strstr(b->op, ".del") != NULL) {
		agent_applied_update(ag, b->op, b->keys[i], b->vals[i]);
		b->vals[i] = NULL;
	} else {
		note_error(ag, b->op, rep);
		if (strcmp(b->op, "relay.add") == 0 || strcmp(b->op, "gateway.add") == 0)
			/* back to the admin, through mapd */
			agent_mapd_report_refused_gw(ag, b->op[0] == 'g', b->keys[i],
						     json_string_value(json_object_get(rep, "error"))
							     ?: "refused");
	}
	json_decref(rep);
}

/* agent_dp's completion of the batch in flight (rep NULL: connection lost). */
static void
batch_done(struct agent *ag, json_t *rep, void *arg)
{
	struct agent_batch *b = arg;

	if (rep != NULL) {
		if (json_is_true(json_object_get(rep, "ok"))) {
			for (size_t i = 0; i < b->n; i++) {
				agent_applied_update(ag, b->op, b->keys[i], b->vals[i]);
				b->vals[i] = NULL;
			}
			ag->dp.applies++;
			ag->dp.items_applied += b->n;
		} else {
			struct aw_jw one;

			note_error(ag, b->op, rep);
			aw_jw_init(&one);
			for (size_t i = 0; i < b->n && ag->dp.up; i++)
				apply_single(ag, b, i, &one);
			aw_jw_free(&one);
		}
		ag->dp.last_apply_wall = aw_wall_s();
	}
	json_decref(rep);
	batch_clear(b);
}

void
agent_batch_flush(struct agent *ag, struct agent_batch *b)
{
	struct agent_batch t;

	if (b->n == 0)
		return;
	agent_dp_complete(ag); /* ag->inflight is free after this */
	b->end = b->w.len;
	aw_jw_lit(&b->w, "]}");
	if (b->w.oom || agent_dp_send_async(ag, b->w.buf, b->w.len, batch_done, &ag->inflight) < 0) {
		batch_clear(b);
		return;
	}
	/* b goes in flight; b takes the (cleared) buffers of the last one */
	t = ag->inflight;
	ag->inflight = *b;
	*b = t;
	b->op = ag->inflight.op;
	b->plural = ag->inflight.plural;
	b->single = ag->inflight.single;
	batch_clear(b); /* what a lost connection left there */
}

void
agent_batch_add(struct agent *ag, struct agent_batch *b, const char *key, const char *item,
		size_t len, void *val)
{
	if (b->n > 0 && (b->n >= CHUNK_ITEMS || b->w.len + len + 2 > CHUNK_BYTES))
		agent_batch_flush(ag, b);
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 256;
		char **k = realloc(b->keys, ncap * sizeof(*k));
		void **v = k ? realloc(b->vals, ncap * sizeof(*v)) : NULL;
		size_t *s = v ? realloc(b->start, ncap * sizeof(*s)) : NULL;
		if (k != NULL)
			b->keys = k;
		if (v != NULL)
			b->vals = v;
		if (s == NULL) {
			free(val);
			return;
		}
		b->start = s;
		b->cap = ncap;
	}
	char *kc = strdup(key);
	if (kc == NULL) {
		free(val);
		return;
	}
	if (b->n == 0) {
		aw_jw_lit(&b->w, "{\"op\":");
		aw_jw_str(&b->w, b->op);
		aw_jw_lit(&b->w, ",");
		aw_jw_str(&b->w, b->plural);
		aw_jw_lit(&b->w, ":[");
	} else {
		aw_jw_lit(&b->w, ",");
	}
	b->start[b->n] = b->w.len;
	aw_jw_raw(&b->w, item, len);
	b->vals[b->n] = val;
	b->keys[b->n++] = kc;
}
