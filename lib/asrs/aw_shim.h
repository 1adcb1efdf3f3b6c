/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_shim — how a packet names its ASRS service (SPEC §4.2): the UDP shim and
 * the TCP option (kind 253, ExID 0x4153). Parsers, builders, option removal.
 *
 * Contract: pure functions, no EAL, no allocation, thread-safe; meant for the
 * data plane (any lcore) as well as for tests, benchmarks and clients. Parsers
 * take a byte buffer and its length, never read outside it and need no
 * alignment. Every malformation has its own error code (one X-macro list,
 * names from aw_shim_err_name); the router counts all of them as `bad_shim`.
 *
 * UDP shim, at the start of the UDP payload (multi-byte fields big-endian):
 *   0  'A' 0x41 | 1 'S' 0x53 | 2 ver (1) | 3 flags (bit0 = U, URI follows)
 *   4  hdr_len (16 bits): total shim bytes, >= 16, multiple of 4
 *   6  reserved (16 bits)
 *   8  SID (64 bits)
 *   16 uri_len (16 bits), 18 URI bytes   (only with U), then padding to hdr_len
 * Receiver rules (decided here, the spec leaves them open):
 *   - reserved, flag bits other than U, and the padding after the URI (or
 *     after byte 16 without U) are ignored: senders write zeros, receivers do
 *     not look (room for later extensions, no per-byte scan on the fast path);
 *   - without U the SID must not be 0 (0 names no service): AW_SHIM_ERR_SID_ZERO;
 *   - with U the URI must be a valid URI (aw_uri_check) and the SID field
 *     must be 0 or SHA-256-SID(URI); the parsed sid is always the URI's SID.
 * Checks run in the order of the error list below; the first failure wins.
 *
 * TCP option (RFC 6994 experimental), in a SYN's options area:
 *   253 | 12 | 0x41 0x53 | SID (8 bytes, big-endian)
 * The finder walks the whole options area (RFC 9293: EOL ends it, NOP is one
 * byte, every other option has a length byte >= 2 and must fit in the area).
 * Kind 253 options with another ExID (or too short to hold one) are skipped.
 */
#ifndef AW_SHIM_H
#define AW_SHIM_H

#include <stddef.h>
#include <stdint.h>

#define AW_ASRS_PORT     6868
#define AW_SHIM_MAGIC    0x4153u /* "AS" */
#define AW_SHIM_VERSION  1
#define AW_SHIM_FLAG_URI 0x01u /* U */
#define AW_SHIM_MIN_LEN  16u
#define AW_SHIM_URI_OFF  18u                                     /* uri_len at 16, URI from 18 */
#define AW_SHIM_MAX_LEN  (((AW_SHIM_URI_OFF + 255u) + 3u) & ~3u) /* built max: 276 */

#define AW_TCPOPT_KIND     253
#define AW_TCPOPT_LEN      12u
#define AW_TCPOPT_EXID     0x4153u
#define AW_TCPOPT_MAX_AREA 40u /* TCP options area: data offset 15 - 5 words */

/* X(identifier suffix, name). Order = check order; OK must stay first (0). */
#define AW_SHIM_ERRORS(X)                                                                          \
	X(OK, ok)                       /* parsed */                                               \
	X(SHORT, short)                 /* payload < 16 bytes */                                   \
	X(BAD_MAGIC, bad_magic)         /* bytes 0..1 are not "AS" */                              \
	X(BAD_VERSION, bad_version)     /* ver != 1 */                                             \
	X(HDR_LEN_SHORT, hdr_len_short) /* hdr_len < 16 */                                         \
	X(HDR_LEN_ALIGN, hdr_len_align) /* hdr_len not a multiple of 4 */                          \
	X(HDR_LEN_TRUNC, hdr_len_trunc) /* hdr_len > payload length */                             \
	X(SID_ZERO, sid_zero)           /* no U and SID 0 */                                       \
	X(URI_LEN_TRUNC, uri_len_trunc) /* U: 18 + uri_len > hdr_len */                            \
	X(URI_INVALID, uri_invalid)     /* U: uri_len 0, > 255, or not printable */                \
	X(SID_MISMATCH, sid_mismatch)   /* U: SID neither 0 nor SID(URI) */                        \
	X(OPT_NOT_FOUND, opt_not_found) /* TCP: no ASRS option (not malformed) */                  \
	X(OPT_MALFORMED, opt_malformed) /* TCP: an option's length byte < 2 */                     \
	X(OPT_TRUNC, opt_trunc)         /* TCP: an option runs past the area */                    \
	X(OPT_BAD_LEN, opt_bad_len)     /* TCP: ASRS ExID with length != 12 */                     \
	X(OPT_DUP, opt_dup)             /* TCP: two ASRS options */

enum aw_shim_err {
#define AW_SHIM_ERR_ENUM_(id, name) AW_SHIM_ERR_##id,
	AW_SHIM_ERRORS(AW_SHIM_ERR_ENUM_)
#undef AW_SHIM_ERR_ENUM_
	        AW_SHIM_ERR_COUNT
};

/* "bad_magic" for AW_SHIM_ERR_BAD_MAGIC; "unknown" outside the enum. */
const char *aw_shim_err_name(enum aw_shim_err e);

/* A parsed UDP shim. uri points into the parsed buffer (NULL without U). */
struct aw_shim {
	uint64_t sid; /* host order; with U always SID(URI) */
	const uint8_t *uri;
	uint16_t uri_len; /* 0 without U */
	uint16_t hdr_len; /* bytes to strip from the payload */
	uint8_t flags;    /* as received (unknown bits kept, not acted on) */
};

/*
 * Parses the shim at the start of payload[0..len). AW_SHIM_ERR_OK with *out
 * filled, or the first malformation found (SHORT .. SID_MISMATCH); *out is
 * untouched on error. With U this computes one SHA-256 of the URI.
 */
enum aw_shim_err aw_shim_parse(const void *payload, size_t len, struct aw_shim *out);

/* Shim length for a URI of uri_len bytes (16 when uri_len is 0: no U). */
size_t aw_shim_len(size_t uri_len);

/*
 * Writes a shim into buf[0..cap): with uri == NULL a 16-byte shim without U
 * carrying sid; otherwise U, the given sid field (0 or the URI's SID for a
 * valid shim; anything else to build bad ones), uri_len and the URI,
 * zero padding. Returns the shim length, or -1 when cap < aw_shim_len() or
 * uri_len is outside 1..255 (the URI's bytes are not checked).
 */
int aw_shim_build(void *buf, size_t cap, uint64_t sid, const char *uri, size_t uri_len);

/* A found TCP option: its SID and its offset in the options area. */
struct aw_tcpopt {
	uint64_t sid;
	uint16_t off;
};

/*
 * Finds the ASRS option in a TCP options area opts[0..len) (the bytes after
 * the fixed 20-byte header, len = data offset * 4 - 20). Returns OK with *out
 * filled, OPT_NOT_FOUND, or OPT_MALFORMED / OPT_TRUNC / OPT_BAD_LEN / OPT_DUP
 * (the whole area is walked, so a malformation after the option also counts).
 */
enum aw_shim_err aw_tcpopt_find(const void *opts, size_t len, struct aw_tcpopt *out);

/*
 * Overwrites the 12 option bytes at opts[off..off+12) with NOPs and updates
 * *cksum, the TCP checksum as stored in the header (network order, RFC 1624
 * incremental update). opts must start at an even offset from the TCP header
 * (it does: header + 20), off may be odd. Returns 0, or -1 when off + 12 > len
 * (nothing changed).
 */
int aw_tcpopt_strip(void *opts, size_t len, size_t off, uint16_t *cksum);

/* Writes the 12-byte option carrying sid into buf; returns 12, or 0 when cap < 12. */
size_t aw_tcpopt_build(void *buf, size_t cap, uint64_t sid);

#endif /* AW_SHIM_H */
