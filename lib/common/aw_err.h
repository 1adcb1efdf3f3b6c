/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_err — the one way lib/ and the daemons report a bad input: a formatted
 * one-line reason written into the caller's buffer.
 *
 * Contract: pure, thread-safe. err may be NULL (nothing written).
 */
#ifndef AW_ERR_H
#define AW_ERR_H

#include <stddef.h>

/* Writes the message into err (truncated to errlen) and returns -1. */
__attribute__((format(printf, 3, 4))) int aw_errf(char *err, size_t errlen, const char *fmt,
						   ...);

#endif /* AW_ERR_H */
