/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_acl — identities, ACL enforcement, per-identity limits and refusals
 * (see mapd_acl.h). Contract: anyway-mapd's one thread.
 */
#include "mapd_acl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_log.h"
#include "mapd.h"
#include "mapd_audit.h"

#define LOG_IDENT_MS     10000 /* one refusal line per identity per 10 s */
#define LOG_WINDOW_MS    10000
#define LOG_WINDOW_LINES 20 /* refusal lines per 10 s, all identities */

static const char *const reason_names[] = {
#define MAPD_ACL_R_NAME(e, s) s,
        MAPD_ACL_REASONS(MAPD_ACL_R_NAME)
#undef MAPD_ACL_R_NAME
};

const char *
mapd_acl_reason_name(enum mapd_acl_reason r)
{
	return (unsigned)r < MAPD_ACL_R__COUNT ? reason_names[r] : "?";
}

const char *
mapd_acl_identity(const struct mapd_client *cl)
{
	return cl->ident != NULL ? cl->ident->id : "";
}

static void
ident_put(struct mapd *md, struct mapd_ident *id)
{
	if (id != NULL && id->refs == 0 && id->held == 0) {
		aw_strmap_del(&md->guard.idents, id->id);
		free(id);
	}
}

static struct mapd_ident *
ident_get(struct mapd *md, const char *name)
{
	struct mapd_ident *id = aw_strmap_get(&md->guard.idents, name);

	if (id != NULL)
		return id;
	id = calloc(1, sizeof(*id));
	if (id == NULL)
		return NULL;
	snprintf(id->id, sizeof(id->id), "%s", name);
	id->tokens = -1; /* filled on first use */
	if (aw_strmap_put(&md->guard.idents, id->id, id) == id) {
		free(id);
		return NULL;
	}
	return id;
}

/* Registrations enter / leave the table: count them per owner; audit expiry. */
static void
owner_hook(void *arg, const char *uri, const struct mapd_reg *r, int delta, bool expired)
{
	struct mapd *md = arg;
	struct mapd_ident *id = r->owner;
	char f[AW_MSG_URI_MAX + 128];

	if (expired)
		mapd_audit(md->st.version + 1, id ? id->id : "", "expire",
		           mapd_audit_dest(uri, &r->d, f, sizeof(f)));
	if (id == NULL)
		return;
	if (delta > 0) {
		id->held++;
	} else if (id->held > 0) {
		id->held--;
		ident_put(md, id);
	}
}

int
mapd_acl_start(struct mapd *md, const char *path, char *err, size_t errlen)
{
	struct mapd_guard *g = &md->guard;

	aw_strmap_init(&g->idents);
	md->st.owner_hook = owner_hook;
	md->st.hook_arg = md;
	g->path = path;
	if (path == NULL) {
		aw_log(AW_LOG_WARNING, "no --acl: any connection may take any role, register any "
		       "service and install relays");
		return 0;
	}
	if (mapd_acl_load(path, &g->acl, err, errlen) < 0)
		return -1;
	g->on = true;
	aw_log(AW_LOG_NOTICE, "acl %s: %u entries", path, g->acl.n);
	return 0;
}

void
mapd_acl_stop(struct mapd *md)
{
	struct mapd_guard *g = &md->guard;

	md->st.owner_hook = NULL;
	for (size_t i = 0; i < g->idents.cap; i++)
		if (g->idents.slots[i].key != NULL)
			free(g->idents.slots[i].val);
	aw_strmap_free(&g->idents);
	mapd_acl_free(&g->acl);
}

/* The ACL entry that lets id take role, NULL when none (admin covers all). */
static const struct mapd_acl_entry *
role_entry(const struct mapd_acl *a, const char *id, int role)
{
	const struct mapd_acl_entry *e = mapd_acl_find(a, MAPD_ACL_ADMIN, id);

	if (e != NULL || role == AW_ROLE_ADMIN)
		return e;
	return mapd_acl_find(
	        a, role == AW_ROLE_SUBSCRIBER ? MAPD_ACL_SUBSCRIBER : MAPD_ACL_REGISTRAR, id);
}

bool
mapd_acl_reload(struct mapd *md)
{
	struct mapd_guard *g = &md->guard;
	struct mapd_acl a;
	char err[768];

	if (g->path == NULL)
		return false;
	if (mapd_acl_load(g->path, &a, err, sizeof(err)) < 0) {
		g->reload_failures++;
		aw_log(AW_LOG_ERR, "SIGHUP: acl not reloaded, the old one stays in force: %s", err);
		return true;
	}
	mapd_acl_free(&g->acl);
	g->acl = a;
	g->reloads++;
	aw_log(AW_LOG_NOTICE, "SIGHUP: acl %s reloaded: %u entries", g->path, a.n);
	for (struct mapd_client *cl = md->clients, *next; cl != NULL; cl = next) {
		next = cl->next;
		if (cl->hello && role_entry(&g->acl, mapd_acl_identity(cl), cl->role) == NULL)
			mapd_client_drop(md, cl, "the reloaded acl no longer allows its role");
	}
	return true;
}

/* Count and log (condensed per identity and overall). */
static void
note_refusal(struct mapd *md, const struct mapd_client *cl, enum mapd_acl_reason r, const char *why)
{
	struct mapd_guard *g = &md->guard;
	struct mapd_ident *id = cl->ident;
	uint64_t now = aw_now_ms();

	g->refused[r]++;
	if (now - g->log_window_ms >= LOG_WINDOW_MS) {
		g->log_window_ms = now;
		g->log_lines = 0;
	}
	bool quiet = id != NULL && id->log_ms != 0 && now - id->log_ms < LOG_IDENT_MS;
	if (quiet || g->log_lines >= LOG_WINDOW_LINES) {
		g->log_dropped++;
		if (id != NULL)
			id->log_suppressed++;
		return;
	}
	g->log_lines++;
	if (id != NULL && id->log_suppressed > 0)
		aw_log(AW_LOG_WARNING, "refused (%s) %s: %s (and %llu more refusals of this identity "
		       "not logged)", mapd_acl_reason_name(r), cl->peer, why,
		       (unsigned long long)id->log_suppressed);
	else
		aw_log(AW_LOG_WARNING, "refused (%s) %s: %s", mapd_acl_reason_name(r), cl->peer, why);
	if (id != NULL) {
		id->log_ms = now;
		id->log_suppressed = 0;
	}
}

/* Count, log, reply. */
static void __attribute__((format(printf, 4, 5)))
refuse(struct mapd *md, struct mapd_client *cl, enum mapd_acl_reason r, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	mapd_client_reply_err(cl, "%s", why);
	note_refusal(md, cl, r, why);
}

bool
mapd_acl_hello(struct mapd *md, struct mapd_client *cl, int role, const char *name)
{
	struct mapd_guard *g = &md->guard;
	const char *who = cl->c.peer_id[0] != '\0' ? cl->c.peer_id : name;
	struct mapd_ident *id = ident_get(md, who);

	if (id == NULL) {
		mapd_client_reply_err(cl, "out of memory");
		return false;
	}
	id->refs++;
	if (cl->ident != NULL) { /* an earlier hello was refused */
		cl->ident->refs--;
		ident_put(md, cl->ident);
	}
	cl->ident = id;
	if (!g->on || role_entry(&g->acl, who, role) != NULL)
		return true;
	refuse(md, cl, MAPD_ACL_R_ROLE,
	       "identity '%s' is not allowed role '%s' (acl %s: no %s%s "
	       "entry matches)",
	       who, aw_role_name((enum aw_role)role), g->acl.path,
	       role == AW_ROLE_ADMIN ? "" : "admin or ",
	       role == AW_ROLE_ADMIN ? "admin" : aw_role_name((enum aw_role)role));
	return false;
}

void
mapd_acl_client_gone(struct mapd *md, struct mapd_client *cl)
{
	if (cl->ident == NULL)
		return;
	cl->ident->refs--;
	ident_put(md, cl->ident);
	cl->ident = NULL;
}

static bool
has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

bool
mapd_acl_may_op(struct mapd *md, struct mapd_client *cl, const char *op)
{
	struct mapd_guard *g = &md->guard;
	size_t n = strlen(op);

	if (!g->on || !(has_prefix(op, "relay.") || has_prefix(op, "gateway.")))
		return true;
	if (n >= 8 && strcmp(op + n - 8, ".refused") == 0)
		return true; /* a subscriber's report; the role table decides */
	if (strcmp(op, "relay.list") == 0 || strcmp(op, "relay.get") == 0)
		return true; /* reads without keys */
	if (mapd_acl_find(&g->acl, MAPD_ACL_ADMIN, mapd_acl_identity(cl)) != NULL)
		return true;
	refuse(md, cl, MAPD_ACL_R_ADMIN_OP,
	       "identity '%s' may not send %s (acl %s: no admin entry "
	       "matches)",
	       mapd_acl_identity(cl), op, g->acl.path);
	return false;
}

/* Token bucket of the identity; false when empty. */
static bool
take_token(struct mapd_ident *id, const struct mapd_acl_entry *lim, uint64_t now)
{
	double rate = lim ? lim->rate : MAPD_ACL_DEF_RATE;
	double burst =
	        lim ? lim->burst : mapd_acl_default_burst(MAPD_ACL_DEF_RATE, MAPD_ACL_DEF_MAX);

	if (id->tokens < 0) {
		id->tokens = burst;
	} else {
		id->tokens += rate * (double)(now - id->tok_ms) / 1000.0;
		if (id->tokens > burst)
			id->tokens = burst;
	}
	id->tok_ms = now;
	if (id->tokens < 1.0)
		return false;
	id->tokens -= 1.0;
	return true;
}

static bool
check_limits(struct mapd *md, struct mapd_client *cl, const struct mapd_reg *old, bool reg)
{
	const struct mapd_acl *a = &md->guard.acl;
	struct mapd_ident *id = cl->ident;
	const struct mapd_acl_entry *lim = mapd_acl_limits_of(a, id->id);
	uint32_t max = lim ? lim->max_dests : MAPD_ACL_DEF_MAX;
	char rule[64] = "default";

	if (lim != NULL)
		snprintf(rule, sizeof(rule), "line %u", lim->line);
	if (reg && old == NULL && id->held >= max) {
		refuse(md, cl, MAPD_ACL_R_MAX_DESTS,
		       "identity '%s' already holds %u destinations, its "
		       "limit (acl %s %s: max %u)",
		       id->id, id->held, a->path, rule, max);
		return false;
	}
	if (!take_token(id, lim, aw_now_ms())) {
		refuse(md, cl, MAPD_ACL_R_RATE,
		       "identity '%s' sends more than %u registrations per "
		       "second (acl %s %s: rate %u/s burst %u); the map "
		       "server is not overloaded, retry later",
		       id->id, lim ? lim->rate : MAPD_ACL_DEF_RATE, a->path, rule,
		       lim ? lim->rate : MAPD_ACL_DEF_RATE,
		       lim ? lim->burst
		           : mapd_acl_default_burst(MAPD_ACL_DEF_RATE, MAPD_ACL_DEF_MAX));
		return false;
	}
	return true;
}

bool
mapd_acl_may_register(struct mapd *md, struct mapd_client *cl, const struct aw_msg *m)
{
	const struct mapd_acl *a = &md->guard.acl;
	const struct aw_msg_reg *r = &m->u.reg;
	const char *who = mapd_acl_identity(cl);
	char why[1024];

	if (!md->guard.on || cl->ident == NULL)
		return true;
	bool reg = m->type == AW_MSG_REGISTER;
	bool admin = mapd_acl_find(a, MAPD_ACL_ADMIN, who) != NULL;
	int rc = mapd_acl_check_register(a, who, r->service, &r->addr, why, sizeof(why));
	if (rc != MAPD_ACL_OK) {
		refuse(md, cl,
		       rc == MAPD_ACL_NO_PREFIX    ? MAPD_ACL_R_PREFIX
		       : rc == MAPD_ACL_NO_SERVICE ? MAPD_ACL_R_SERVICE
		                                   : MAPD_ACL_R_ROLE,
		       "%s", why);
		return false;
	}
	const struct mapd_reg *old = mapd_find_reg(&md->st, r);
	const struct mapd_ident *owner = old ? old->owner : NULL;
	if (!admin && owner != NULL && owner != cl->ident) {
		char a_s[AW_ADDR_STRLEN];
		aw_addr_format(&r->addr, a_s, sizeof(a_s));
		refuse(md, cl, MAPD_ACL_R_OWNER,
		       "identity '%s' may not %s destination %s port %u of "
		       "service '%s': it is held by identity '%s' (acl %s: "
		       "only its registrant or an admin may change it)",
		       who, reg ? "register" : "deregister", a_s, r->port, r->service, owner->id,
		       a->path);
		return false;
	}
	return check_limits(md, cl, old, reg);
}

bool
mapd_acl_may_register_member(const struct mapd_client *cl, const char *id, char *why, size_t whylen)
{
	struct mapd *md = cl->md;
	const struct mapd_acl *a = &md->guard.acl;
	const char *who = mapd_acl_identity(cl);

	if (!md->guard.on || mapd_acl_find(a, MAPD_ACL_ADMIN, who) != NULL)
		return true;
	if (mapd_acl_find(a, MAPD_ACL_SUBSCRIBER, who) != NULL && strcmp(id, who) == 0)
		return true;
	snprintf(why, whylen,
	         "identity '%s' may not register member '%s' (acl %s: a subscriber "
	         "may register only the member id equal to its identity)",
	         who, id, a->path);
	note_refusal(md, cl, MAPD_ACL_R_MEMBER, why);
	return false;
}

json_t *
mapd_acl_json(const struct mapd *md)
{
	const struct mapd_guard *g = &md->guard;
	json_t *r = json_object();

	for (int i = 0; i < MAPD_ACL_R__COUNT; i++)
		json_object_set_new(r, reason_names[i], json_integer((json_int_t)g->refused[i]));
	return json_pack("{s:s?, s:I, s:I, s:o, s:I, s:I, s:I}", "file", g->path, "entries",
	                 (json_int_t)g->acl.n, "identities", (json_int_t)g->idents.n, "refusals",
	                 r, "reloads", (json_int_t)g->reloads, "reload_failures",
	                 (json_int_t)g->reload_failures, "log_lines_dropped",
	                 (json_int_t)g->log_dropped);
}
