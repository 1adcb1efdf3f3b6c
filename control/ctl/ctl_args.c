/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl: argument helpers shared by the parsers of the command table
 * (integers, endpoints, keyword pairs, single string arguments, "limit N").
 * Every bad argument is one usage error naming it. See ctl.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int
ctl_parse_int(const char *s, const char *what, long long min, long long max, long long *out)
{
	char *end;

	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return ctl_usage_error("%s: expected an integer %lld..%lld, got '%s'", what, min,
				       max, s);
	*out = v;
	return CTL_OK;
}

int
ctl_parse_endpoint(const char *s, json_t **out)
{
	char addr[64];
	const char *colon = strrchr(s, ':');
	long long port;
	size_t n;

	if (colon == NULL)
		return ctl_usage_error("expected ADDR:PORT or [IPV6]:PORT, got '%s'", s);
	n = (size_t)(colon - s);
	if (s[0] == '[') {
		if (n < 2 || s[n - 1] != ']')
			return ctl_usage_error("expected [IPV6]:PORT, got '%s'", s);
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(addr))
		return ctl_usage_error("expected ADDR:PORT or [IPV6]:PORT, got '%s'", s);
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (ctl_parse_int(colon + 1, "port", 1, 65535, &port) != CTL_OK)
		return CTL_USAGE;
	*out = json_pack("{s:s,s:I}", "addr", addr, "port", (json_int_t)port);
	return CTL_OK;
}

/* "w1, w2, w3" of a keyword list. */
static void
keyword_list(const struct ctl_kw *kw, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; kw->word != NULL && n < len; kw++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", kw->word);
}

int
ctl_parse_keywords(const struct ctl_cmd *c, const struct ctl_kw *kw, int argc, char **argv,
		   json_t *req)
{
	char name[64], words[128];
	long long v;

	if (argc % 2 != 0)
		return ctl_cmd_usage(c);
	for (int i = 0; i < argc; i += 2) {
		const struct ctl_kw *k = kw;
		while (k->word != NULL && strcmp(argv[i], k->word) != 0)
			k++;
		if (k->word == NULL) {
			keyword_list(kw, words, sizeof(words));
			return ctl_usage_error("%s: unknown keyword '%s' (%s)",
					       ctl_cmd_name(c, name, sizeof(name)), argv[i], words);
		}
		if (ctl_parse_int(argv[i + 1], k->word, k->min, k->max, &v) != CTL_OK)
			return CTL_USAGE;
		json_object_set_new(req, k->member, json_integer(v));
	}
	return CTL_OK;
}

static int
one_string(json_t *req, const char *member, int argc, char **argv)
{
	(void)argc; /* the table allows exactly one */
	json_object_set_new(req, member, json_string(argv[0]));
	return CTL_OK;
}

int
ctl_parse_addr(const struct ctl_cmd *c, int argc, char **argv, json_t *req)
{
	(void)c;
	return one_string(req, "addr", argc, argv);
}

int
ctl_parse_service(const struct ctl_cmd *c, int argc, char **argv, json_t *req)
{
	(void)c;
	return one_string(req, "service", argc, argv);
}

int
ctl_parse_path_id(const struct ctl_cmd *c, int argc, char **argv, json_t *req)
{
	(void)c;
	return one_string(req, "path_id", argc, argv);
}

/* [limit N] of the paged lists. */
int
ctl_parse_limit(const struct ctl_cmd *c, int argc, char **argv, json_t *req)
{
	long long max;

	if (argc != 2 || strcmp(argv[0], "limit") != 0)
		return ctl_cmd_usage(c);
	if (ctl_parse_int(argv[1], "limit", 1, 100000000, &max) != CTL_OK)
		return CTL_USAGE;
	json_object_set_new(req, "limit", json_integer(max));
	return CTL_OK;
}
