/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of aw_jw_addr (suite 'unit'): the same text as aw_addr_format,
 * quoted, for IPv4 addresses with every octet width and for IPv6; and
 * appended after what the writer holds.
 */
#include <stdio.h>
#include <string.h>

#include "aw_jw.h"

static int failures;

static void
check(const char *text)
{
	struct aw_addr a;
	struct aw_jw w;
	char want[AW_ADDR_STRLEN + 8], f[AW_ADDR_STRLEN];

	if (aw_addr_parse(text, &a, NULL, 0) < 0) {
		fprintf(stderr, "cannot parse %s\n", text);
		failures++;
		return;
	}
	snprintf(want, sizeof(want), "[\"%s\"", aw_addr_format(&a, f, sizeof(f)));
	aw_jw_init(&w);
	aw_jw_lit(&w, "[");
	aw_jw_addr(&w, &a);
	if (w.oom || strcmp(w.buf, want) != 0) {
		fprintf(stderr, "%s: got %s, want %s\n", text, w.oom ? "(oom)" : w.buf, want);
		failures++;
	}
	aw_jw_free(&w);
}

int
main(void)
{
	static const char *const v6[] = {"::", "::1", "2001:db8::1", "fe80::a:b:c:d",
					 "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:10.0.0.1"};
	static const unsigned oct[] = {0, 1, 9, 10, 99, 100, 199, 200, 255};
	char s[32];

	for (size_t i = 0; i < 9; i++)
		for (size_t j = 0; j < 9; j++) {
			snprintf(s, sizeof(s), "%u.%u.%u.%u", oct[i], oct[j], oct[8 - j], oct[8 - i]);
			check(s);
		}
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
		check(v6[i]);
	if (failures) {
		fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
