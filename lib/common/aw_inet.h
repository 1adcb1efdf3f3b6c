/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_inet — IP addresses, prefixes and MAC addresses: parsing and formatting.
 *
 * Contract: pure functions, no EAL, no allocation, thread-safe. Parsers never
 * accept trailing garbage; on failure they return -1 and write a one-line
 * reason into the caller's buffer ("prefix length 33 exceeds 32 for IPv4").
 * Addresses are kept in network byte order in a 16-byte array; IPv4 uses the
 * first 4 bytes and leaves the rest zero, so one code path serves both families.
 */
#ifndef AW_INET_H
#define AW_INET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define AW_AF_INET4 4
#define AW_AF_INET6 6

#define AW_ADDR_STRLEN 48  /* enough for any IPv6 text form plus "/128" */
#define AW_MAC_STRLEN  18

struct aw_addr {
	uint8_t family;      /* AW_AF_INET4 or AW_AF_INET6 */
	uint8_t pad[3];
	uint8_t b[16];       /* network byte order; IPv4 in b[0..3] */
};

struct aw_prefix {
	struct aw_addr addr; /* host bits kept as written (an interface address) */
	uint8_t len;
};

struct aw_mac {
	uint8_t b[6];
};

/* "10.0.0.1" or "2001:db8::1". */
int aw_addr_parse(const char *s, struct aw_addr *out, char *err, size_t errlen);
/* "10.0.0.0/24"; with require_len false a bare address gets /32 or /128. */
int aw_prefix_parse(const char *s, bool require_len, struct aw_prefix *out, char *err,
		    size_t errlen);
/*
 * A network prefix ("10.9.0.0/16": routes, pools, prefix lists): like
 * aw_prefix_parse with a required length, and host bits must be zero
 * ("'10.9.0.1/16' has host bits set; did you mean 10.9.0.0/16?").
 * Interface addresses ("10.1.0.1/24") use aw_prefix_parse instead.
 */
int aw_network_parse(const char *s, struct aw_prefix *out, char *err, size_t errlen);
/* "02:00:00:00:00:01" (colon separated, two hex digits each). */
int aw_mac_parse(const char *s, struct aw_mac *out, char *err, size_t errlen);

const char *aw_addr_format(const struct aw_addr *a, char *buf, size_t len);
const char *aw_prefix_format(const struct aw_prefix *p, char *buf, size_t len);
const char *aw_mac_format(const struct aw_mac *m, char *buf, size_t len);

static inline unsigned
aw_addr_len(const struct aw_addr *a)
{
	return a->family == AW_AF_INET4 ? 4 : 16;
}

static inline unsigned
aw_family_bits(uint8_t family)
{
	return family == AW_AF_INET4 ? 32 : 128;
}

static inline bool
aw_addr_eq(const struct aw_addr *a, const struct aw_addr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, 16) == 0;
}

static inline void
aw_addr_set4(struct aw_addr *a, const void *be32)
{
	memset(a, 0, sizeof(*a));
	a->family = AW_AF_INET4;
	memcpy(a->b, be32, 4);
}

static inline void
aw_addr_set6(struct aw_addr *a, const void *be128)
{
	memset(a, 0, sizeof(*a));
	a->family = AW_AF_INET6;
	memcpy(a->b, be128, 16);
}

/* True when addr lies inside prefix (same family, first len bits equal). */
bool aw_prefix_contains(const struct aw_prefix *p, const struct aw_addr *addr);
/* Clear the host bits of p (turn an interface address into its network). */
void aw_prefix_mask(struct aw_prefix *p);

#endif /* AW_INET_H */
