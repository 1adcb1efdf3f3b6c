/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_sid — service IDs (SPEC §4.1) and URI checks. Any thread.
 * OpenSSL 3's SHA256() fetches the digest implementation on every call (a
 * provider lookup costing more than the hash of a short URI); the SHA-256
 * EVP_MD is fetched once instead, published with an atomic compare-and-swap
 * (no lock; a thread that loses the race frees its copy), and kept for the
 * life of the process.
 */
#include "aw_sid.h"
#include "aw_err.h"
#include "aw_hex.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static _Atomic(EVP_MD *) sha256_md;

/* The fetched SHA-256, or NULL if the provider has none (SHA256() then). */
static const EVP_MD *
sha256(void)
{
	EVP_MD *md = atomic_load_explicit(&sha256_md, memory_order_acquire), *none = NULL;

	if (md != NULL)
		return md;
	md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (md == NULL)
		return NULL;
	if (!atomic_compare_exchange_strong_explicit(&sha256_md, &none, md, memory_order_acq_rel,
						     memory_order_acquire)) {
		EVP_MD_free(md);
		md = none; /* the winner's */
	}
	return md;
}

uint64_t
aw_sid_from_uri(const char *uri, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	const EVP_MD *type = sha256();
	uint64_t sid = 0;

	if (type == NULL || EVP_Digest(uri, len, md, NULL, type, NULL) != 1)
		SHA256((const unsigned char *)uri, len, md);
	for (int i = 0; i < 8; i++)
		sid = (sid << 8) | md[i];
	return sid;
}

int
aw_uri_check(const char *uri, size_t len, char *err, size_t errlen)
{
	if (uri == NULL || len < AW_URI_MIN_LEN)
		return aw_errf(err, errlen, "URI is empty");
	if (len > AW_URI_MAX_LEN)
		return aw_errf(err, errlen, "URI is %zu bytes long, at most %d allowed", len,
		            AW_URI_MAX_LEN);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)uri[i];

		if (c < 0x20 || c > 0x7e)
			return aw_errf(err, errlen,
			            "URI byte %zu is 0x%02x, not printable ASCII (0x20..0x7e)", i,
			            c);
	}
	return 0;
}

const char *
aw_sid_format(uint64_t sid, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	if (buf == NULL || len == 0)
		return buf;
	if (len < AW_SID_STRLEN) {
		buf[0] = '\0';
		return buf;
	}
	for (int i = 15; i >= 0; i--) {
		buf[i] = hex[sid & 0xf];
		sid >>= 4;
	}
	buf[16] = '\0';
	return buf;
}

int
aw_sid_parse(const char *s, uint64_t *out, char *err, size_t errlen)
{
	uint64_t v = 0;
	size_t n;

	if (s == NULL || *s == '\0')
		return aw_errf(err, errlen, "SID is empty");
	n = strlen(s);
	for (size_t i = 0; i < n; i++) {
		int d = aw_hex_digit(s[i]);

		if (d < 0) {
			unsigned char c = (unsigned char)s[i];

			if (c >= 0x20 && c <= 0x7e)
				return aw_errf(err, errlen,
				            "SID '%.*s' has a non-hex character '%c' at offset %zu",
				            (int)(i + 1), s, c, i);
			return aw_errf(err, errlen, "SID has a non-hex byte 0x%02x at offset %zu", c,
			            i);
		}
		v = (v << 4) | (uint64_t)d;
	}
	if (n != 16)
		return aw_errf(err, errlen, "SID '%.40s' has %zu hex digits, 16 required", s, n);
	*out = v;
	return 0;
}
