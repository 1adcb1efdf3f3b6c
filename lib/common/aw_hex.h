/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_hex — hexadecimal digits, for the parsers and printers of MACs, SIDs,
 * PathIDs and keys.
 * Contract: pure inline, any thread.
 */
#ifndef AW_HEX_H
#define AW_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Value of one hex digit (either case), or -1. */
static inline int
aw_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Writes the n bytes of b as 2n lowercase hex digits and a NUL into out
 * (2n + 1 bytes). */
static inline void
aw_hex_encode(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

#endif /* AW_HEX_H */
