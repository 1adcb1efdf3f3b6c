/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_hex — hexadecimal digits, for the parsers of MACs, SIDs, PathIDs and keys.
 * Contract: pure inline, any thread.
 */
#ifndef AW_HEX_H
#define AW_HEX_H

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

#endif /* AW_HEX_H */
