/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl: dispatch from the command table (ctl_cmds.c) and the --help
 * text generated from it. See ctl.h for the contract.
 *
 * A command is its first word and, for most, a second one ("vip add"); an
 * entry marked bare also runs for the first word alone ("vip" = "vip list").
 * Entries apply always, only with --mapd, or only without it: that is how
 * "services" and "relay add" move to the map server. The first applicable
 * entry whose words match runs: its argument count is checked here, its
 * parser fills the request, one request goes out (or pages of one, for paged
 * lists) and its formatter prints the reply unless --json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define SESSION_PAGE 10000 /* the API's largest *.list limit */

const char *
ctl_cmd_name(const struct ctl_cmd *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", c->word, c->sub ? " " : "", c->sub ? c->sub : "");
	return buf;
}

int
ctl_cmd_usage(const struct ctl_cmd *c)
{
	char name[64];

	return ctl_usage_error("usage: %s %s", ctl_cmd_name(c, name, sizeof(name)), c->usage);
}

static bool
applies(const struct ctl_cmd *c, const struct ctl_opts *o)
{
	return c->when == CTL_ALWAYS || (c->when == CTL_WITH_MAPD) == o->mapd_given;
}

/* The entry for argv, and how many words name it; NULL when none applies. */
static const struct ctl_cmd *
find(const struct ctl_opts *o, int argc, char **argv, int *words)
{
	for (size_t i = 0; i < ctl_n_cmds; i++) {
		const struct ctl_cmd *c = &ctl_cmds[i];
		if (!applies(c, o) || strcmp(c->word, argv[0]) != 0)
			continue;
		*words = 1;
		if (c->sub == NULL || (argc == 1 && c->bare))
			return c;
		if (argc > 1 && strcmp(argv[1], c->sub) == 0) {
			*words = 2;
			return c;
		}
	}
	return NULL;
}

/* Appends ", s" (or "s" first) to buf[0..len), *n its length so far. */
static void
list_add(char *buf, size_t len, size_t *n, const char *s)
{
	if (*n < len)
		*n += (size_t)snprintf(buf + *n, len - *n, "%s%s", *n ? ", " : "", s);
}

/* No entry applies: an unknown word, a command that --mapd does not have, or
 * a missing or unknown second word. */
static int
not_found(const struct ctl_opts *o, int argc, char **argv)
{
	bool known = false, moved = false;
	char list[512] = "", name[64];
	size_t n = 0;

	for (size_t i = 0; i < ctl_n_cmds; i++) {
		const struct ctl_cmd *c = &ctl_cmds[i];
		if (strcmp(c->word, argv[0]) != 0)
			continue;
		known = true;
		if (!applies(c, o))
			moved = true;
		else if (c->sub != NULL)
			list_add(list, sizeof(list), &n, c->sub);
	}
	if (!known)
		return ctl_usage_error("unknown command '%s'", argv[0]);
	if (moved && o->mapd_given) {
		n = 0;
		for (size_t i = 0; i < ctl_n_cmds; i++) /* aliases ("service list") left out */
			if (ctl_cmds[i].peer == CTL_PEER_MAPD && !ctl_cmds[i].bare)
				list_add(list, sizeof(list), &n,
					 ctl_cmd_name(&ctl_cmds[i], name, sizeof(name)));
		return ctl_usage_error("%s%s%s: not a map server command (the map server has %s); "
				       "drop --mapd to ask the data plane", argv[0],
				       argc > 1 ? " " : "", argc > 1 ? argv[1] : "", list);
	}
	if (argc == 1)
		return ctl_usage_error("%s needs a subcommand (%s)", argv[0], list);
	return ctl_usage_error("%s: unknown subcommand '%s' (%s)", argv[0], argv[1], list);
}

/* Fetches pages of c->op until the cursor is null or max rows were seen. */
static int
run_paged(const struct ctl_opts *o, const struct ctl_cmd *c, long long max)
{
	struct ctl_table *t = ctl_table_new(c->pager->columns);
	json_t *cursor = json_null(), *reply = NULL;
	long long seen = 0;
	int rc = CTL_OK;

	while (rc == CTL_OK && seen < max) {
		long long lim = max - seen < SESSION_PAGE ? max - seen : SESSION_PAGE;
		json_t *req = json_pack("{s:s,s:I}", "op", c->op, "limit", (json_int_t)lim);
		if (!json_is_null(cursor))
			json_object_set(req, "cursor", cursor);
		json_decref(cursor);
		cursor = json_null();
		rc = ctl_request(o, c->peer, c->role, req, &reply);
		const json_t *arr;
		if (rc != CTL_OK || (rc = ctl_reply_array(c, reply, c->key, &arr)) != CTL_OK)
			break;
		size_t i;
		json_t *e;
		json_array_foreach((json_t *)arr, i, e) c->pager->row(t, e);
		seen += (long long)json_array_size(arr);
		json_t *next = json_object_get(reply, "cursor");
		if (next == NULL || json_is_null(next) || json_array_size(arr) == 0)
			break;
		cursor = json_incref(next);
		json_decref(reply);
		reply = NULL;
	}
	json_decref(reply);
	json_decref(cursor);
	if (rc == CTL_OK && !o->json) {
		ctl_table_print(t);
		printf("%lld %s%s\n", seen, c->key, seen >= max ? " (limit reached)" : "");
	} else {
		ctl_table_free(t);
	}
	return rc;
}

/* Parses the arguments into the request, sends it, prints the reply. */
static int
run(const struct ctl_opts *o, const struct ctl_cmd *c, int argc, char **argv)
{
	json_t *req, *reply;
	ctl_show_fn show = c->show;
	int rc = CTL_OK;
	char name[64];

	if ((o->stats && c->stats_op == NULL) || (o->interval_s > 0 && c->watch == NULL))
		return ctl_usage_error("%s: no %s option", ctl_cmd_name(c, name, sizeof(name)),
				       o->stats ? "--stats" : "-i");
	if (o->interval_s > 0)
		return c->watch(o, c);
	if (o->stats)
		show = c->stats_show;
	req = json_pack("{s:s}", "op", o->stats ? c->stats_op : c->op);

	if (c->parse != NULL && argc > 0)
		rc = c->parse(c, argc, argv, req);
	if (rc != CTL_OK) {
		json_decref(req);
		return rc;
	}
	if (c->pager != NULL) {
		json_int_t max = json_integer_value(json_object_get(req, "limit"));
		json_decref(req);
		return run_paged(o, c, max > 0 ? max : CTL_DEFAULT_LIST_MAX);
	}
	rc = ctl_request(o, c->peer, c->role, req, &reply);
	if (rc == CTL_OK && !o->json)
		rc = show(c, reply);
	json_decref(reply);
	return rc;
}

int
ctl_dispatch(const struct ctl_opts *o, int argc, char **argv)
{
	int words;
	const struct ctl_cmd *c = find(o, argc, argv, &words);
	char name[64];

	if (c == NULL)
		return not_found(o, argc, argv);
	argc -= words;
	argv += words;
	if (argc >= c->min_args && (c->max_args < 0 || argc <= c->max_args))
		return run(o, c, argc, argv);
	if (c->max_args == 0)
		return ctl_usage_error("%s takes no arguments", ctl_cmd_name(c, name, sizeof(name)));
	return ctl_cmd_usage(c);
}

/* ---- --help --------------------------------------------------------------- */

#define HELP_COL 36 /* where the help lines start */

static const char help_head[] =
	"usage: " CTL_PROG " [OPTIONS] COMMAND [ARGS...]\n"
	"Operator CLI for anyway-dataplane, anyway-mapd and anyway-agent.\n"
	"\n"
	"Options (anywhere on the line):\n"
	"  -s, --socket PATH    data plane API socket (default " CTL_DEFAULT_SOCKET ")\n"
	"  -m, --mapd HOST:PORT map server (default " CTL_DEFAULT_MAPD "); also makes\n"
	"                       the commands marked [--mapd] go to the map server\n"
	"  -a, --agent PATH     agent status socket (default " CTL_DEFAULT_AGENT ")\n"
	"  -j, --json           print the raw JSON reply lines instead of tables\n"
	"  -t, --timeout MS     connect / reply timeout in milliseconds (default 5000)\n"
	"  --stats              services: per service and destination counters\n"
	"  -i, --interval S     stats: rates every S seconds; -c, --count N: N times\n"
	"  --ca FILE --cert FILE --key FILE\n"
	"                       TLS 1.3 to the map server: the operator's CA, this\n"
	"                       client's certificate and key (required for map server\n"
	"                       commands unless --insecure)\n"
	"  --insecure           plain TCP to the map server (tests, loopback demos)\n"
	"  --mapd-name NAME     the identity the map server's certificate must carry\n"
	"                       (DNS SAN, or CN without DNS SAN; default mapd)\n"
	"  -h, --help           this text;  -V, --version  the version\n";

static void
help_entry(FILE *f, const struct ctl_cmd *c)
{
	char line[160];
	int n;

	if (c->bare)
		n = snprintf(line, sizeof(line), "  %s [%s]", c->word, c->sub);
	else
		n = snprintf(line, sizeof(line), "  %s%s%s", c->word, c->sub ? " " : "",
			     c->sub ? c->sub : "");
	if (c->usage[0] != '\0')
		snprintf(line + n, sizeof(line) - (size_t)n, " %s", c->usage);
	if (strlen(line) + 2 > HELP_COL)
		fprintf(f, "%s\n%*s", line, HELP_COL, "");
	else
		fprintf(f, "%-*s", HELP_COL, line);
	fprintf(f, "%s%s\n", c->help, c->when == CTL_WITH_MAPD ? " [--mapd]" : "");
}

void
ctl_help(FILE *f)
{
	static const struct {
		enum ctl_peer_kind peer;
		const char *title;
	} sections[] = {
		{CTL_PEER_DATAPLANE, "Data plane (--socket):"},
		{CTL_PEER_MAPD, "Map server (--mapd):"},
		{CTL_PEER_AGENT, "Agent (--agent):"},
	};

	fputs(help_head, f);
	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		fprintf(f, "\n%s\n", sections[s].title);
		for (size_t i = 0; i < ctl_n_cmds; i++)
			if (ctl_cmds[i].peer == sections[s].peer)
				help_entry(f, &ctl_cmds[i]);
	}
	fputs("\nExit codes: 0 ok, 1 connection or API error, 2 usage error.\n", f);
}
