/* SPDX-License-Identifier: BSD-3-Clause */
/* The owner table: rendezvous hashing over the members; see aw_owner.h. */
#include "aw_owner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {"active", "draining", "down"};

const char *
aw_member_state_name(unsigned s)
{
	return s < 3 ? state_names[s] : "?";
}

int
aw_member_state_parse(const char *s)
{
	for (unsigned i = 0; i < 3; i++)
		if (strcmp(s, state_names[i]) == 0)
			return (int)i;
	return -1;
}

bool
aw_member_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n >= AW_OWNER_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

uint64_t
aw_owner_id_hash(const char *id)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++) {
		h ^= *p;
		h *= 0x100000001b3ull;
	}
	return h;
}

static int
cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct aw_member *)a)->id, ((const struct aw_member *)b)->id);
}

/* Primary and secondary of one row: the best active member; the best
 * non-down member other than it. */
static void
fill_row(struct aw_owner_tab *t, const uint64_t *idh, uint32_t r)
{
	int prim = -1, top = -1, next = -1; /* top, next: the two best non-down */
	uint64_t s_prim = 0, s_top = 0, s_next = 0;

	for (unsigned i = 0; i < t->n; i++) {
		uint8_t st = t->m[i].state;
		if (st == AW_MEMBER_DOWN)
			continue;
		uint64_t s = aw_owner_score(idh[i], r);
		if (st == AW_MEMBER_ACTIVE && (prim < 0 || s > s_prim))
			prim = (int)i, s_prim = s;
		if (top < 0 || s > s_top) {
			next = top, s_next = s_top;
			top = (int)i, s_top = s;
		} else if (next < 0 || s > s_next) {
			next = (int)i, s_next = s;
		}
	}
	if (prim < 0) {
		t->row[r][0] = t->row[r][1] = AW_OWNER_NONE;
		return;
	}
	int sec = top == prim ? next : top;
	t->row[r][0] = (uint8_t)prim;
	t->row[r][1] = sec < 0 ? AW_OWNER_NONE : (uint8_t)sec;
}

struct aw_owner_tab *
aw_owner_build(uint64_t epoch, const struct aw_member *m, unsigned n, const char *self_id,
	       char *err, size_t errlen)
{
	uint64_t idh[AW_OWNER_MAX_MEMBERS];

	if (n > AW_OWNER_MAX_MEMBERS) {
		snprintf(err, errlen, "expected at most %u members, got %u", AW_OWNER_MAX_MEMBERS,
			 n);
		return NULL;
	}
	struct aw_owner_tab *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->epoch = epoch;
	t->n = n;
	if (n != 0)
		memcpy(t->m, m, n * sizeof(*m));
	qsort(t->m, n, sizeof(*m), cmp_member);
	t->self = -1;
	for (unsigned i = 0; i < n; i++) {
		if (!aw_member_id_ok(t->m[i].id) || t->m[i].state > AW_MEMBER_DOWN) {
			snprintf(err, errlen, "member '%.63s': invalid id or state", t->m[i].id);
			free(t);
			return NULL;
		}
		if (i > 0 && strcmp(t->m[i - 1].id, t->m[i].id) == 0) {
			snprintf(err, errlen, "member id '%s' appears twice", t->m[i].id);
			free(t);
			return NULL;
		}
		if (self_id != NULL && strcmp(t->m[i].id, self_id) == 0)
			t->self = (int)i;
		idh[i] = aw_owner_id_hash(t->m[i].id);
	}
	for (uint32_t r = 0; r < AW_OWNER_ROWS; r++)
		fill_row(t, idh, r);
	return t;
}

void
aw_owner_free(struct aw_owner_tab *t)
{
	free(t);
}

bool
aw_owner_same_members(const struct aw_owner_tab *t, const struct aw_member *m, unsigned n)
{
	if (t->n != n)
		return false;
	for (unsigned i = 0; i < n; i++) {
		bool found = false;
		for (unsigned j = 0; j < t->n && !found; j++)
			found = strcmp(t->m[j].id, m[i].id) == 0 && t->m[j].state == m[i].state &&
				aw_addr_eq(&t->m[j].addr, &m[i].addr);
		if (!found)
			return false;
	}
	return true;
}

int
aw_owner_find_addr(const struct aw_owner_tab *t, const struct aw_addr *a)
{
	for (unsigned i = 0; i < t->n; i++)
		if (aw_addr_eq(&t->m[i].addr, a))
			return (int)i;
	return -1;
}
