/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: anyway-mapd's ACL file (control/mapd/mapd_aclfile.c). The
 * input is the file. Must never crash or leak. A refused file gives one
 * message "F:LINE: ..." with LINE within the file; an accepted one holds only
 * valid entries (identity without an inner '*', registrars with services and
 * prefixes, limits in range, no duplicate), and written back out as text it
 * parses to the same ACL. The URI glob is checked against a plain recursive
 * matcher on pieces of the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz_seeds.h"
#include "mapd_aclfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

static const char *const seeds_txt[] = {
        "admin ops-*\nsubscriber agent-*\n",
        "registrar web-1 service asrs://shop.example/* prefix 10.1.0.0/16 prefix 2001:db8::/48 "
        "rate 50/s max 200\n",
        "# c\nregistrar w service asrs://*.x/* service a+b://y prefix 0.0.0.0/0 burst 3\n",
        "admin a\nadmin a\n",
        "registrar w service asrs://x prefix 10.0.0.1/8\n",
};
AW_FUZZ_TEXT_SEEDS(seeds_txt)

static int
ref_glob(const char *p, const char *s)
{
	if (*p == '\0')
		return *s == '\0';
	if (*p == '*')
		return ref_glob(p + 1, s) || (*s != '\0' && ref_glob(p, s + 1));
	return *s == *p && ref_glob(p + 1, s + 1);
}

static void
check_entry(const struct mapd_acl *a, unsigned i)
{
	const struct mapd_acl_entry *e = &a->e[i];
	const char *star = strchr(e->ident, '*');

	if (e->ident[0] == '\0' || (star != NULL && star[1] != '\0'))
		abort();
	if (e->kind == MAPD_ACL_REGISTRAR && (e->n_services == 0 || e->n_prefixes == 0))
		abort();
	if (e->kind != MAPD_ACL_REGISTRAR && (e->n_services != 0 || e->n_prefixes != 0))
		abort();
	if (e->rate < 1 || e->rate > MAPD_ACL_LIMIT_MAX || e->burst < 1 ||
	    e->burst > MAPD_ACL_LIMIT_MAX || e->max_dests < 1 || e->max_dests > MAPD_ACL_LIMIT_MAX)
		abort();
	for (unsigned j = 0; j < i; j++)
		if (a->e[j].kind == e->kind && strcmp(a->e[j].ident, e->ident) == 0)
			abort();
	if (mapd_acl_find(a, e->kind, e->ident) == NULL)
		abort();
}

/* The ACL as text (one entry a line). */
static char *
write_out(const struct mapd_acl *a, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		abort();
	for (unsigned i = 0; i < a->n; i++) {
		const struct mapd_acl_entry *e = &a->e[i];
		char p[AW_ADDR_STRLEN];
		fprintf(f, "%s %s", mapd_acl_kind_name(e->kind), e->ident);
		for (unsigned j = 0; j < e->n_services; j++)
			fprintf(f, " service %s", e->services[j]);
		for (unsigned j = 0; j < e->n_prefixes; j++)
			fprintf(f, " prefix %s", aw_prefix_format(&e->prefixes[j], p, sizeof(p)));
		fprintf(f, " rate %u/s burst %u max %u\n", e->rate, e->burst, e->max_dests);
	}
	fclose(f);
	return buf;
}

static void
check_same(const struct mapd_acl *a, const struct mapd_acl *b)
{
	if (a->n != b->n)
		abort();
	for (unsigned i = 0; i < a->n; i++) {
		const struct mapd_acl_entry *x = &a->e[i], *y = &b->e[i];
		if (x->kind != y->kind || strcmp(x->ident, y->ident) != 0 ||
		    x->n_services != y->n_services || x->n_prefixes != y->n_prefixes ||
		    x->rate != y->rate || x->burst != y->burst || x->max_dests != y->max_dests)
			abort();
		for (unsigned j = 0; j < x->n_services; j++)
			if (strcmp(x->services[j], y->services[j]) != 0)
				abort();
		for (unsigned j = 0; j < x->n_prefixes; j++)
			if (x->prefixes[j].len != y->prefixes[j].len ||
			    !aw_addr_eq(&x->prefixes[j].addr, &y->prefixes[j].addr))
				abort();
	}
}

static void
check_glob(const uint8_t *data, size_t size)
{
	char p[24], s[24];
	size_t np = size < 20 ? size / 2 : 10, ns = size < 20 ? size - np : 10;

	for (size_t i = 0; i < np; i++)
		p[i] = data[i] == 0 ? '*' : (char)data[i];
	for (size_t i = 0; i < ns; i++)
		s[i] = data[np + i] == 0 ? 'a' : (char)data[np + i];
	p[np] = s[ns] = '\0';
	if (mapd_acl_glob(p, s) != (ref_glob(p, s) != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mapd_acl a, b;
	char err[1024];
	unsigned lines = 1;

	check_glob(data, size);
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (mapd_acl_parse((const char *)data, size, "F", &a, err, sizeof(err)) < 0) {
		unsigned line = 0;
		if (sscanf(err, "F:%u: ", &line) != 1 || line < 1 || line > lines || a.n != 0)
			abort();
		return 0;
	}
	for (unsigned i = 0; i < a.n; i++)
		check_entry(&a, i);
	size_t len = 0;
	char *text = write_out(&a, &len);
	if (mapd_acl_parse(text, len, "F", &b, err, sizeof(err)) < 0)
		abort();
	check_same(&a, &b);
	free(text);
	mapd_acl_free(&b);
	mapd_acl_free(&a);
	return 0;
}
