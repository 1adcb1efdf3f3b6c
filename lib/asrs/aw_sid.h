/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_sid — ASRS service identifiers (SPEC §4.1).
 *
 * A service is named by a URI: 1..255 bytes of printable ASCII (0x20..0x7e,
 * space included, as the spec says "ASCII printable"), compared byte for byte.
 * Its 64-bit service ID (SID) is the first 8 bytes of SHA-256(URI), read
 * big-endian. SIDs are written as exactly 16 hex digits ("c6251832bd2b33f2").
 *
 * Contract: pure functions, no EAL, no allocation, thread-safe; callable from
 * any thread, the data plane included (aw_sid_from_uri costs one SHA-256 of at
 * most 255 bytes through OpenSSL's one-shot SHA256()). Functions that can fail
 * return 0 or -1 and write a one-line reason into the caller's err buffer
 * (err may be NULL; the message is truncated to errlen).
 */
#ifndef AW_SID_H
#define AW_SID_H

#include <stddef.h>
#include <stdint.h>

#define AW_URI_MIN_LEN 1
#define AW_URI_MAX_LEN 255
#define AW_SID_STRLEN  17 /* 16 hex digits and the NUL */

/*
 * SID of the len bytes at uri (no NUL needed; not validated: call
 * aw_uri_check first where the URI comes from outside). Never fails.
 */
uint64_t aw_sid_from_uri(const char *uri, size_t len);

/*
 * 0 when uri[0..len) is a valid service URI, else -1 with one of:
 *   "URI is empty"
 *   "URI is 300 bytes long, at most 255 allowed"
 *   "URI byte 4 is 0x0a, not printable ASCII (0x20..0x7e)"
 */
int aw_uri_check(const char *uri, size_t len, char *err, size_t errlen);

/* Writes 16 lowercase hex digits and a NUL; returns buf ("" when len < 17). */
const char *aw_sid_format(uint64_t sid, char *buf, size_t len);

/*
 * Parses exactly 16 hex digits (lower or upper case; no "0x", no sign, no
 * spaces, nothing after). 0 on success, else -1 with one of:
 *   "SID is empty" / "SID 'abc' has 3 hex digits, 16 required"
 *   "SID 'c62518g' has a non-hex character 'g' at offset 6"
 */
int aw_sid_parse(const char *s, uint64_t *out, char *err, size_t errlen);

#endif /* AW_SID_H */
