/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_maglev.h"
#include "aw_err.h"
#include "aw_mix.h"

#include <endian.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_LEN 19      /* canonical key: family, 16 address bytes, port */
#define EMPTY   0xffffu /* never a valid index: at most 65535 destinations */
#define GOLDEN  0x9e3779b97f4a7c15ull

struct entry {
	uint8_t key[KEY_LEN];
	uint16_t idx; /* index in the caller's array */
	uint32_t weight;
	uint32_t pos; /* next slot of the permutation to try */
	uint32_t skip;
	uint64_t credit;
};

uint64_t
aw_hash64(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = data;
	uint64_t h = aw_mix64(seed ^ ((uint64_t)len * GOLDEN));

	for (; len >= 8; p += 8, len -= 8) { /* whole words: one little-endian load */
		uint64_t w;
		memcpy(&w, p, 8);
		h = aw_mix64(h ^ le64toh(w)) + GOLDEN;
	}
	if (len > 0) {
		uint64_t w = 0;
		for (size_t i = 0; i < len; i++)
			w |= (uint64_t)p[i] << (8 * i);
		h = aw_mix64(h ^ w) + GOLDEN;
	}
	return aw_mix64(h);
}

uint64_t
aw_maglev_flow_hash(const struct aw_addr *client, uint16_t port, uint8_t proto)
{
	uint8_t key[1 + 16 + 2 + 1];
	size_t alen = aw_addr_len(client), n = 0;

	if (alen == 4) { /* the 8-byte key is one word: aw_hash64 without its loops */
		uint32_t a4;
		memcpy(&a4, client->b, 4);
		uint64_t w = (uint64_t)client->family | (uint64_t)le32toh(a4) << 8 |
			     (uint64_t)(port >> 8) << 40 | (uint64_t)(port & 0xff) << 48 |
			     (uint64_t)proto << 56;
		return aw_mix64(aw_mix64(aw_mix64(AW_MAGLEV_SEED_FLOW ^ (8 * GOLDEN)) ^ w) + GOLDEN);
	}
	key[n++] = client->family;
	memcpy(key + n, client->b, alen);
	n += alen;
	key[n++] = (uint8_t)(port >> 8);
	key[n++] = (uint8_t)port;
	key[n++] = proto;
	return aw_hash64(key, n, AW_MAGLEV_SEED_FLOW);
}

bool
aw_is_prime(uint32_t n)
{
	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (uint32_t d = 3; (uint64_t)d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

uint32_t
aw_next_prime(uint32_t n)
{
	for (uint64_t c = n; c <= UINT32_MAX; c++)
		if (aw_is_prime((uint32_t)c))
			return (uint32_t)c;
	return 0;
}

/* Fixed-size canonical key (sorting); the address tail of IPv4 is zeroed. */
static void
canon_key(const struct aw_maglev_dest *d, uint8_t key[KEY_LEN])
{
	memset(key, 0, KEY_LEN);
	key[0] = d->addr.family;
	memcpy(key + 1, d->addr.b, aw_addr_len(&d->addr));
	key[17] = (uint8_t)(d->port >> 8);
	key[18] = (uint8_t)d->port;
}

int
aw_maglev_dest_cmp(const void *a, const void *b)
{
	uint8_t ka[KEY_LEN], kb[KEY_LEN];

	canon_key(a, ka);
	canon_key(b, kb);
	return memcmp(ka, kb, KEY_LEN);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return memcmp(x->key, y->key, KEY_LEN);
}

/* Permutation of one entry: hash of its compact key (family, address, port). */
static void
entry_perm(struct entry *e, uint32_t size)
{
	uint8_t key[1 + 16 + 2];
	size_t alen = e->key[0] == AW_AF_INET4 ? 4 : 16, n = 0;

	key[n++] = e->key[0];
	memcpy(key + n, e->key + 1, alen);
	n += alen;
	key[n++] = e->key[17];
	key[n++] = e->key[18];
	e->pos = (uint32_t)(aw_hash64(key, n, AW_MAGLEV_SEED_OFFSET) % size);
	e->skip = (uint32_t)(aw_hash64(key, n, AW_MAGLEV_SEED_SKIP) % (size - 1) + 1);
	e->credit = 0;
}

static int
check_args(const struct aw_maglev_dest *dests, size_t n, uint32_t size, char *err, size_t errlen)
{
	if (dests == NULL || n == 0)
		return aw_errf(err, errlen, "no destinations");
	if (n > AW_MAGLEV_MAX_DESTS)
		return aw_errf(err, errlen, "%zu destinations exceed the limit of %u", n,
		            AW_MAGLEV_MAX_DESTS);
	if (size < 2 || size > AW_MAGLEV_SIZE_MAX)
		return aw_errf(err, errlen, "table size %u is outside 2..%u", size,
		            AW_MAGLEV_SIZE_MAX);
	if (!aw_is_prime(size))
		return aw_errf(err, errlen, "table size %u is not a prime", size);
	for (size_t i = 0; i < n; i++) {
		uint8_t f = dests[i].addr.family;

		if (f != AW_AF_INET4 && f != AW_AF_INET6)
			return aw_errf(err, errlen, "destination %zu has address family %u", i, f);
	}
	return 0;
}

/*
 * Sorted entries of the positive-weight destinations; *m gets their count and
 * *wmax the largest weight. NULL (err written) on a duplicate, all-zero or ENOMEM.
 */
static struct entry *
make_entries(const struct aw_maglev_dest *dests, size_t n, uint32_t size, size_t *m, uint64_t *wmax,
             char *err, size_t errlen)
{
	struct entry *e = calloc(n, sizeof(*e));
	size_t k = 0;

	if (e == NULL) {
		aw_errf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		canon_key(&dests[i], e[i].key);
		e[i].idx = (uint16_t)i;
		e[i].weight = dests[i].weight;
	}
	qsort(e, n, sizeof(*e), entry_cmp);
	*wmax = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && entry_cmp(&e[i - 1], &e[i]) == 0) {
			unsigned a = e[i - 1].idx, b = e[i].idx;

			aw_errf(err, errlen, "destinations %u and %u are the same", a < b ? a : b,
			     a < b ? b : a);
			free(e);
			return NULL;
		}
		if (e[i].weight > *wmax)
			*wmax = e[i].weight;
		if (e[i].weight > 0) {
			entry_perm(&e[i], size);
			e[k++] = e[i];
		}
	}
	if (k == 0) {
		aw_errf(err, errlen, "all destinations have weight 0");
		free(e);
		return NULL;
	}
	*m = k;
	return e;
}

int
aw_maglev_build(const struct aw_maglev_dest *dests, size_t n, uint16_t *table, uint32_t size,
                char *err, size_t errlen)
{
	struct entry *e;
	uint64_t wmax;
	uint32_t filled = 0;
	size_t m;

	if (check_args(dests, n, size, err, errlen) != 0)
		return -1;
	e = make_entries(dests, n, size, &m, &wmax, err, errlen);
	if (e == NULL)
		return -1;
	for (uint32_t s = 0; s < size; s++)
		table[s] = EMPTY;
	/* Rounds: credits as described in the header; one turn claims one slot. */
	while (filled < size) {
		for (size_t i = 0; i < m && filled < size; i++) {
			struct entry *x = &e[i];

			x->credit += x->weight;
			if (x->credit < wmax)
				continue;
			x->credit -= wmax;
			while (table[x->pos] != EMPTY)
				x->pos = (uint32_t)(((uint64_t)x->pos + x->skip) % size);
			table[x->pos] = x->idx;
			x->pos = (uint32_t)(((uint64_t)x->pos + x->skip) % size);
			filled++;
		}
	}
	free(e);
	return 0;
}
