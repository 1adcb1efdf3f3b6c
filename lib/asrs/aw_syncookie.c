/* SPDX-License-Identifier: BSD-3-Clause */
/* SYN cookies with SipHash-2-4; see aw_syncookie.h for the layout and the
 * contract. */
#include "aw_syncookie.h"

#include <string.h>

#include "aw_siphash.h"

static const uint16_t mss_tab[AW_SYNCOOKIE_N_MSS] = {536, 1200, 1220, 1280, 1360, 1400, 1440, 1460};

static inline uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void
aw_syncookie_init(struct aw_syncookie *sc, const uint8_t master[16], uint32_t period_s)
{
	memset(sc, 0, sizeof(*sc));
	sc->master[0] = le64(master);
	sc->master[1] = le64(master + 8);
	sc->period_s = period_s ? period_s : 1;
	sc->gen[0] = sc->gen[1] = UINT64_MAX;
}

unsigned
aw_syncookie_mss_idx(uint16_t mss)
{
	unsigned i = AW_SYNCOOKIE_N_MSS - 1;

	while (i > 0 && mss_tab[i] > mss)
		i--;
	return i;
}

uint16_t
aw_syncookie_mss(unsigned idx)
{
	return mss_tab[idx % AW_SYNCOOKIE_N_MSS];
}

/* The key of generation g: SipHash of ("AWSC", g) and ("awsc", g) under the
 * master secret; cached in the slot of g's parity. */
static const uint64_t *
gen_key(struct aw_syncookie *sc, uint64_t g)
{
	unsigned s = (unsigned)(g & 1);

	if (sc->gen[s] != g) {
		uint8_t in[12] = {'A', 'W', 'S', 'C'};
		for (int i = 0; i < 8; i++)
			in[4 + i] = (uint8_t)(g >> (8 * i));
		sc->key[s][0] = aw_siphash24(sc->master, in, sizeof(in));
		memcpy(in, "awsc", 4);
		sc->key[s][1] = aw_siphash24(sc->master, in, sizeof(in));
		sc->gen[s] = g;
	}
	return sc->key[s];
}

static uint32_t
cookie_hash(struct aw_syncookie *sc, uint64_t g, const struct aw_sc_flow *f, uint32_t isn,
	    unsigned mss_idx)
{
	uint8_t in[44];

	memcpy(in, f->src, 16);
	memcpy(in + 16, f->dst, 16);
	memcpy(in + 32, &f->sport, 2);
	memcpy(in + 34, &f->dport, 2);
	for (int i = 0; i < 4; i++)
		in[36 + i] = (uint8_t)(isn >> (8 * i));
	in[40] = f->v6 ? 6 : 4;
	in[41] = (uint8_t)mss_idx;
	in[42] = in[43] = 0;
	return (uint32_t)aw_siphash24(gen_key(sc, g), in, sizeof(in)) & 0x7ffffffu;
}

uint32_t
aw_syncookie_make(struct aw_syncookie *sc, uint64_t now_s, const struct aw_sc_flow *f,
		  uint32_t client_isn, unsigned mss_idx)
{
	uint64_t g = now_s / sc->period_s;

	mss_idx %= AW_SYNCOOKIE_N_MSS;
	return (uint32_t)(g & 3) << 30 | (uint32_t)mss_idx << 27 |
	       cookie_hash(sc, g, f, client_isn, mss_idx);
}

enum aw_sc_res
aw_syncookie_check(struct aw_syncookie *sc, uint64_t now_s, const struct aw_sc_flow *f,
		   uint32_t client_isn, uint32_t cookie, unsigned *mss_idx)
{
	uint64_t g = now_s / sc->period_s;
	unsigned cg = cookie >> 30, mi = (cookie >> 27) & 7;

	if (cg != (g & 3)) {
		if (g == 0 || cg != ((g - 1) & 3))
			return AW_SC_STALE;
		g--;
	}
	if (cookie_hash(sc, g, f, client_isn, mi) != (cookie & 0x7ffffffu))
		return AW_SC_BAD;
	*mss_idx = mi;
	return AW_SC_OK;
}
