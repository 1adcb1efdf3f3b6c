/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_aclfile — parse and match anyway-mapd's ACL (see mapd_aclfile.h and
 * control/ACL.md). Contract: pure; any thread.
 */
#include "mapd_aclfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_TOKENS 512

struct pctx {
	const char *path;
	unsigned line;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3))) fail(struct pctx *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->path, p->line, msg);
	return -1;
}

const char *
mapd_acl_kind_name(enum mapd_acl_kind k)
{
	return k == MAPD_ACL_ADMIN        ? "admin"
	       : k == MAPD_ACL_SUBSCRIBER ? "subscriber"
	                                  : "registrar";
}

static void
entry_free(struct mapd_acl_entry *e)
{
	free(e->ident);
	for (unsigned i = 0; i < e->n_services; i++)
		free(e->services[i]);
	free(e->services);
	free(e->prefixes);
	memset(e, 0, sizeof(*e));
}

void
mapd_acl_free(struct mapd_acl *a)
{
	for (unsigned i = 0; i < a->n; i++)
		entry_free(&a->e[i]);
	free(a->e);
	free(a->path);
	memset(a, 0, sizeof(*a));
}

/* Printable ASCII without blanks, 1..max bytes. */
static const char *
bad_text(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0)
		return "is empty";
	if (n > max)
		return "is too long";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] > 0x7e)
			return "has a byte that is not printable ASCII";
	return NULL;
}

static int
check_ident(struct pctx *p, const char *kind, const char *id)
{
	const char *bad = bad_text(id, MAPD_ACL_IDENT_MAX);
	const char *star = strchr(id, '*');

	if (bad != NULL)
		return fail(p, "%s: identity '%s' %s", kind, id, bad);
	if (star != NULL && star[1] != '\0')
		return fail(p, "%s: identity pattern '%s': '*' is allowed only at the end", kind,
		            id);
	return 0;
}

/* scheme "://" then anything; the scheme has no '*'. */
static int
check_service(struct pctx *p, const char *pat)
{
	const char *bad = bad_text(pat, 255);
	const char *sep = strstr(pat, "://");

	if (bad != NULL)
		return fail(p, "service pattern '%s' %s (1..255 printable ASCII)", pat, bad);
	if (sep == NULL || sep == pat)
		return fail(
		        p,
		        "service pattern '%s': expected SCHEME://..., e.g. asrs://shop.example/*",
		        pat);
	for (const char *c = pat; c < sep; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (c > pat && ((*c >= '0' && *c <= '9') || strchr("+.-", *c)))))
			return fail(p,
			            "service pattern '%s': scheme has '%c' (letters, then "
			            "letters, digits, '+', '.', '-')",
			            pat, *c);
	return 0;
}

static int
parse_u32(struct pctx *p, const char *what, const char *s, const char *suffix, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = (*s >= '0' && *s <= '9') ? strtoul(s, &end, 10) : 0;
	if (!(*s >= '0' && *s <= '9') || errno || strcmp(end, suffix) != 0 || v < 1 ||
	    v > MAPD_ACL_LIMIT_MAX)
		return fail(p, "%s: expected 1..%u%s, got '%s'", what, MAPD_ACL_LIMIT_MAX, suffix,
		            s);
	*out = (uint32_t)v;
	return 0;
}

static int
add_service(struct pctx *p, struct mapd_acl_entry *e, const char *pat)
{
	char **v;

	if (check_service(p, pat) < 0)
		return -1;
	for (unsigned i = 0; i < e->n_services; i++)
		if (strcmp(e->services[i], pat) == 0)
			return fail(p, "service pattern '%s' given twice", pat);
	v = realloc(e->services, (e->n_services + 1) * sizeof(*v));
	if (v == NULL)
		return fail(p, "out of memory");
	e->services = v;
	if ((v[e->n_services] = strdup(pat)) == NULL)
		return fail(p, "out of memory");
	e->n_services++;
	return 0;
}

static int
add_prefix(struct pctx *p, struct mapd_acl_entry *e, const char *s)
{
	char why[128];
	struct aw_prefix pf, *v;

	if (aw_network_parse(s, &pf, why, sizeof(why)) < 0)
		return fail(p, "prefix '%s': %s", s, why);
	for (unsigned i = 0; i < e->n_prefixes; i++)
		if (e->prefixes[i].len == pf.len && aw_addr_eq(&e->prefixes[i].addr, &pf.addr))
			return fail(p, "prefix '%s' given twice", s);
	v = realloc(e->prefixes, (e->n_prefixes + 1) * sizeof(*v));
	if (v == NULL)
		return fail(p, "out of memory");
	e->prefixes = v;
	v[e->n_prefixes++] = pf;
	return 0;
}

/* "service X", "prefix P", "rate N/s", "burst N", "max N". */
static int
parse_options(struct pctx *p, struct mapd_acl_entry *e, char **tok, int n)
{
	bool has_burst = false;
	uint32_t seen = 0;

	for (int i = 2; i < n; i += 2) {
		const char *k = tok[i];
		if (i + 1 >= n)
			return fail(p, "'%s' needs a value", k);
		const char *v = tok[i + 1];
		bool reg_only = strcmp(k, "service") == 0 || strcmp(k, "prefix") == 0;
		if (reg_only && e->kind != MAPD_ACL_REGISTRAR)
			return fail(p, "'%s' is for registrar entries, not %s", k,
			            mapd_acl_kind_name(e->kind));
		int bit = strcmp(k, "rate") == 0    ? 1
		          : strcmp(k, "burst") == 0 ? 2
		          : strcmp(k, "max") == 0   ? 4
		                                    : 0;
		if (bit != 0 && (seen & (uint32_t)bit))
			return fail(p, "'%s' given twice", k);
		seen |= (uint32_t)bit;
		int rc;
		if (strcmp(k, "service") == 0)
			rc = add_service(p, e, v);
		else if (strcmp(k, "prefix") == 0)
			rc = add_prefix(p, e, v);
		else if (bit == 1)
			rc = parse_u32(p, "rate", v, "/s", &e->rate);
		else if (bit == 2)
			rc = parse_u32(p, "burst", v, "", &e->burst), has_burst = true;
		else if (bit == 4)
			rc = parse_u32(p, "max", v, "", &e->max_dests);
		else
			return fail(p,
			            "unknown option '%s' (expected service, prefix, rate, burst "
			            "or max)",
			            k);
		if (rc < 0)
			return -1;
	}
	if (!has_burst) /* a registrar (re)registers all it holds at once on connect */
		e->burst = mapd_acl_default_burst(e->rate, e->max_dests);
	if (e->kind == MAPD_ACL_REGISTRAR && (e->n_services == 0 || e->n_prefixes == 0))
		return fail(p,
		            "registrar '%s' needs at least one 'service PATTERN' and one "
		            "'prefix NET'",
		            e->ident);
	return 0;
}

static int
parse_line(struct pctx *p, struct mapd_acl *a, char *s)
{
	char *tok[MAX_TOKENS], *save = NULL;
	int n = 0;

	for (char *t = strtok_r(s, " \t\r", &save); t != NULL; t = strtok_r(NULL, " \t\r", &save)) {
		if (t[0] == '#')
			break;
		if (n == MAX_TOKENS)
			return fail(p, "more than %d words on one line", MAX_TOKENS);
		tok[n++] = t;
	}
	if (n == 0)
		return 0;
	struct mapd_acl_entry e = {
	        .line = p->line, .rate = MAPD_ACL_DEF_RATE, .max_dests = MAPD_ACL_DEF_MAX};
	if (strcmp(tok[0], "admin") == 0)
		e.kind = MAPD_ACL_ADMIN;
	else if (strcmp(tok[0], "subscriber") == 0)
		e.kind = MAPD_ACL_SUBSCRIBER;
	else if (strcmp(tok[0], "registrar") == 0)
		e.kind = MAPD_ACL_REGISTRAR;
	else
		return fail(p, "unknown keyword '%s' (expected admin, subscriber or registrar)",
		            tok[0]);
	if (n < 2)
		return fail(p, "%s: identity missing", tok[0]);
	if (check_ident(p, tok[0], tok[1]) < 0)
		return -1;
	for (unsigned i = 0; i < a->n; i++)
		if (a->e[i].kind == e.kind && strcmp(a->e[i].ident, tok[1]) == 0)
			return fail(p, "duplicate entry: %s '%s' is already at line %u", tok[0],
			            tok[1], a->e[i].line);
	if ((e.ident = strdup(tok[1])) == NULL)
		return fail(p, "out of memory");
	if (parse_options(p, &e, tok, n) < 0) {
		entry_free(&e);
		return -1;
	}
	struct mapd_acl_entry *v = realloc(a->e, (a->n + 1) * sizeof(*v));
	if (v == NULL) {
		entry_free(&e);
		return fail(p, "out of memory");
	}
	a->e = v;
	v[a->n++] = e;
	return 0;
}

int
mapd_acl_parse(const char *text, size_t len, const char *path, struct mapd_acl *out, char *err,
               size_t errlen)
{
	struct pctx p = {.path = path, .line = 0, .err = err, .errlen = errlen};
	struct mapd_acl a = {0};
	size_t off = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (memchr(text, '\0', len) != NULL) {
		p.line = 1;
		for (size_t i = 0; text[i] != '\0'; i++)
			p.line += text[i] == '\n';
		return fail(&p, "NUL byte");
	}
	while (off < len && rc == 0) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		char *line = malloc(n + 1);
		p.line++;
		if (line == NULL) {
			rc = fail(&p, "out of memory");
			break;
		}
		memcpy(line, text + off, n);
		line[n] = '\0';
		rc = parse_line(&p, &a, line);
		free(line);
		off += n + 1;
	}
	if (rc == 0 && (a.path = strdup(path)) == NULL)
		rc = fail(&p, "out of memory");
	if (rc < 0) {
		mapd_acl_free(&a);
		return -1;
	}
	*out = a;
	return 0;
}

int
mapd_acl_load(const char *path, struct mapd_acl *out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	size_t len = 0;
	ssize_t r;

	memset(out, 0, sizeof(*out));
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(MAPD_ACL_MAX_BYTES + 1);
	if (buf == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while ((r = read(fd, buf + len, MAPD_ACL_MAX_BYTES + 1 - len)) > 0)
		len += (size_t)r;
	int e = errno;
	close(fd);
	int rc = -1;
	if (r < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(e));
	else if (len > MAPD_ACL_MAX_BYTES)
		snprintf(err, errlen, "%s: larger than %u bytes", path, MAPD_ACL_MAX_BYTES);
	else
		rc = mapd_acl_parse(buf, len, path, out, err, errlen);
	free(buf);
	return rc;
}

uint32_t
mapd_acl_default_burst(uint32_t rate, uint32_t max_dests)
{
	uint32_t b = rate > MAPD_ACL_LIMIT_MAX / 2 ? MAPD_ACL_LIMIT_MAX : 2 * rate;

	return b > max_dests ? b : max_dests;
}

bool
mapd_acl_ident_match(const char *pattern, const char *id)
{
	size_t n = strlen(pattern);

	if (n > 0 && pattern[n - 1] == '*')
		return strncmp(pattern, id, n - 1) == 0;
	return strcmp(pattern, id) == 0;
}

bool
mapd_acl_glob(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	/* greedy with backtracking to the last '*': linear in practice */
	while (*s != '\0') {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat == *s) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

const struct mapd_acl_entry *
mapd_acl_find(const struct mapd_acl *a, enum mapd_acl_kind k, const char *id)
{
	for (unsigned i = 0; i < a->n; i++)
		if (a->e[i].kind == k && mapd_acl_ident_match(a->e[i].ident, id))
			return &a->e[i];
	return NULL;
}

const struct mapd_acl_entry *
mapd_acl_limits_of(const struct mapd_acl *a, const char *id)
{
	for (unsigned i = 0; i < a->n; i++)
		if (mapd_acl_ident_match(a->e[i].ident, id))
			return &a->e[i];
	return NULL;
}

static bool
has_prefix_for(const struct mapd_acl_entry *e, const struct aw_addr *addr)
{
	for (unsigned i = 0; i < e->n_prefixes; i++)
		if (aw_prefix_contains(&e->prefixes[i], addr))
			return true;
	return false;
}

static bool
has_service(const struct mapd_acl_entry *e, const char *service)
{
	for (unsigned i = 0; i < e->n_services; i++)
		if (mapd_acl_glob(e->services[i], service))
			return true;
	return false;
}

int
mapd_acl_check_register(const struct mapd_acl *a, const char *id, const char *service,
                        const struct aw_addr *addr, char *why, size_t whylen)
{
	const struct mapd_acl_entry *svc_ok = NULL;
	bool any = false;
	char at[AW_ADDR_STRLEN];

	if (mapd_acl_find(a, MAPD_ACL_ADMIN, id) != NULL)
		return MAPD_ACL_OK;
	for (unsigned i = 0; i < a->n; i++) {
		const struct mapd_acl_entry *e = &a->e[i];
		if (e->kind != MAPD_ACL_REGISTRAR || !mapd_acl_ident_match(e->ident, id))
			continue;
		any = true;
		if (!has_service(e, service))
			continue;
		if (has_prefix_for(e, addr))
			return MAPD_ACL_OK;
		if (svc_ok == NULL)
			svc_ok = e;
	}
	if (!any) {
		snprintf(why, whylen,
		         "identity '%s' may not register (acl %s: no registrar or "
		         "admin entry matches)",
		         id, a->path);
		return MAPD_ACL_NO_ENTRY;
	}
	if (svc_ok == NULL) {
		snprintf(why, whylen,
		         "identity '%s' may not register service '%s' (acl %s: no "
		         "service pattern of its registrar entries matches)",
		         id, service, a->path);
		return MAPD_ACL_NO_SERVICE;
	}
	aw_addr_format(addr, at, sizeof(at));
	snprintf(why, whylen,
	         "identity '%s' may not register destination %s for service '%s' "
	         "(acl %s line %u: registrar '%s': no prefix holds %s)",
	         id, at, service, a->path, svc_ok->line, svc_ok->ident, at);
	return MAPD_ACL_NO_PREFIX;
}
