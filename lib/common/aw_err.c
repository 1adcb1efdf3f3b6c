/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_err.h"

#include <stdarg.h>
#include <stdio.h>

int
aw_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}
