/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_be — big-endian (network order) loads and stores at any alignment, for
 * parsing and writing packet and message fields in place. Pure, any thread;
 * each compiles to one load or store plus a byte swap.
 */
#ifndef AW_BE_H
#define AW_BE_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t
aw_be16_get(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}

static inline uint32_t
aw_be32_get(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static inline void
aw_be16_put(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void
aw_be32_put(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

#endif /* AW_BE_H */
