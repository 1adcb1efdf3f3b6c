/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of anyway-ctl's command table (control/ctl/ctl_cmds.c) and its
 * dispatcher: every entry is complete and has help, no two entries claim the
 * same words, --help names every entry, and argument counts outside an
 * entry's range are one precise usage error (exit 2) before anything is
 * sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aw_test.h"
#include "ctl.h"

static bool
same_words(const struct ctl_cmd *a, const struct ctl_cmd *b)
{
	if (strcmp(a->word, b->word) != 0)
		return false;
	if (a->sub == NULL || b->sub == NULL)
		return true; /* a one-word command and any other entry of that word */
	return strcmp(a->sub, b->sub) == 0 || (a->bare && b->bare);
}

static bool
overlap(enum ctl_when a, enum ctl_when b)
{
	return a == CTL_ALWAYS || b == CTL_ALWAYS || a == b;
}

static void
test_entries_complete(void)
{
	CHECK(ctl_n_cmds > 20);
	for (size_t i = 0; i < ctl_n_cmds; i++) {
		const struct ctl_cmd *c = &ctl_cmds[i];
		CHECK(c->word != NULL && c->word[0] != '\0');
		CHECK(c->op != NULL && c->op[0] != '\0');
		CHECK(c->help != NULL && strlen(c->help) > 5);
		CHECK(c->usage != NULL);
		CHECK((c->show != NULL) != (c->pager != NULL)); /* one way to print */
		CHECK(c->pager == NULL || (c->key != NULL && c->pager->row != NULL &&
					   c->pager->columns[0] != NULL));
		CHECK(!c->bare || c->sub != NULL);
		CHECK(c->min_args >= 0 && (c->max_args < 0 || c->max_args >= c->min_args));
		/* arguments need a parser, and a parser needs arguments */
		CHECK((c->max_args != 0) == (c->parse != NULL));
		CHECK((c->usage[0] == '\0') == (c->max_args == 0));
		CHECK((c->peer == CTL_PEER_MAPD) == (c->role != NULL));
		CHECK(c->peer == CTL_PEER_MAPD || c->when != CTL_WITH_MAPD);
		if (c->help == NULL || c->op == NULL)
			fprintf(stderr, "entry %zu (%s) incomplete\n", i, c->word);
	}
}

/* With or without --mapd, at most one entry claims any command line. */
static void
test_no_two_entries_claim_a_command(void)
{
	for (size_t i = 0; i < ctl_n_cmds; i++)
		for (size_t j = i + 1; j < ctl_n_cmds; j++) {
			const struct ctl_cmd *a = &ctl_cmds[i], *b = &ctl_cmds[j];
			bool clash = same_words(a, b) && overlap(a->when, b->when);
			CHECK(!clash);
			if (clash)
				fprintf(stderr, "entries %zu and %zu both claim '%s %s'\n", i, j,
					a->word, a->sub ? a->sub : "");
		}
}

static char *
help_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		abort();
	ctl_help(f);
	fclose(f);
	return buf;
}

static void
test_help_names_every_entry(void)
{
	char *help = help_text();

	CHECK(strncmp(help, "usage: anyway-ctl ", 18) == 0);
	for (size_t i = 0; i < ctl_n_cmds; i++) {
		const struct ctl_cmd *c = &ctl_cmds[i];
		char name[128];
		if (c->bare)
			snprintf(name, sizeof(name), "  %s [%s]", c->word, c->sub);
		else
			ctl_cmd_name(c, name, sizeof(name));
		CHECK(strstr(help, name) != NULL);
		CHECK(strstr(help, c->help) != NULL);
		if (c->usage[0] != '\0')
			CHECK(strstr(help, c->usage) != NULL);
	}
	CHECK(strstr(help, "Data plane (--socket):") != NULL);
	CHECK(strstr(help, "Map server (--mapd):") != NULL);
	CHECK(strstr(help, "Agent (--agent):") != NULL);
	free(help);
}

/* Runs argv through the dispatcher with stderr captured; returns the exit
 * code and the first stderr line in msg. Peers that do not exist: a command
 * that got past its checks fails to connect (exit 1). */
static int
dispatch(bool mapd, int argc, char **argv, char *msg, size_t len)
{
	struct ctl_opts o = {.socket = "/nonexistent/dp.sock", .agent = "/nonexistent/ag.sock",
			     .mapd = "127.0.0.1:1", .mapd_given = mapd, .timeout_ms = 1000};
	FILE *err = tmpfile();
	int saved = dup(2);

	fflush(stderr);
	dup2(fileno(err), 2);
	int rc = ctl_dispatch(&o, argc, argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(err);
	msg[0] = '\0';
	if (fgets(msg, (int)len, err) == NULL)
		msg[0] = '\0';
	fclose(err);
	return rc;
}

/* Builds "word [sub] x x x..." with n arguments. */
static int
cmd_line(const struct ctl_cmd *c, int n, char **argv)
{
	static char x[] = "x";
	int argc = 0;

	argv[argc++] = (char *)c->word;
	if (c->sub != NULL)
		argv[argc++] = (char *)c->sub;
	for (int i = 0; i < n; i++)
		argv[argc++] = x;
	return argc;
}

static void
test_argument_counts(void)
{
	char *argv[16], msg[512], name[64], want[160];

	for (size_t i = 0; i < ctl_n_cmds; i++) {
		const struct ctl_cmd *c = &ctl_cmds[i];
		bool mapd = c->when == CTL_WITH_MAPD;
		ctl_cmd_name(c, name, sizeof(name));
		if (c->max_args >= 0) { /* one too many */
			int argc = cmd_line(c, c->max_args + 1, argv);
			CHECK_EQ(dispatch(mapd, argc, argv, msg, sizeof(msg)), CTL_USAGE);
			if (c->max_args == 0)
				snprintf(want, sizeof(want), "anyway-ctl: %s takes no arguments", name);
			else
				snprintf(want, sizeof(want), "anyway-ctl: usage: %s %s", name, c->usage);
			CHECK(strncmp(msg, want, strlen(want)) == 0);
		}
		if (c->min_args > 0) { /* one too few */
			int argc = cmd_line(c, c->min_args - 1, argv);
			CHECK_EQ(dispatch(mapd, argc, argv, msg, sizeof(msg)), CTL_USAGE);
			snprintf(want, sizeof(want), "anyway-ctl: usage: %s %s", name, c->usage);
			CHECK(strncmp(msg, want, strlen(want)) == 0);
		}
	}
}

static void
test_unknown_words(void)
{
	char msg[512];
	char *frob[] = {"frobnicate"}, *vip[] = {"vip", "flip"}, *relays[] = {"relays"};
	char *svc[] = {"service", "frob"}, *svc_set[] = {"service", "set"};

	CHECK_EQ(dispatch(false, 1, frob, msg, sizeof(msg)), CTL_USAGE);
	CHECK_STR(msg, "anyway-ctl: unknown command 'frobnicate' (see anyway-ctl --help)\n");
	CHECK_EQ(dispatch(false, 2, vip, msg, sizeof(msg)), CTL_USAGE);
	CHECK_STR(msg, "anyway-ctl: vip: unknown subcommand 'flip' (list, add, del) "
		       "(see anyway-ctl --help)\n");
	CHECK_EQ(dispatch(false, 2, svc, msg, sizeof(msg)), CTL_USAGE);
	CHECK_STR(msg, "anyway-ctl: service: unknown subcommand 'frob' (list, set, del, get) "
		       "(see anyway-ctl --help)\n");
	/* --mapd: the data plane's commands are not the map server's */
	CHECK_EQ(dispatch(true, 2, svc_set, msg, sizeof(msg)), CTL_USAGE);
	CHECK(strncmp(msg, "anyway-ctl: service set: not a map server command (the map server "
			   "has services, service get, subscribers, limits, relays, relay get, "
			   "relay add, relay del, gateways, gateway get, gateway add, "
			   "gateway del, members, register, deregister)", 229) == 0);
	CHECK_EQ(dispatch(true, 2, svc, msg, sizeof(msg)), CTL_USAGE);
	CHECK(strncmp(msg, "anyway-ctl: service frob: not a map server command", 50) == 0);
	/* a valid command gets past the checks: the connection fails (exit 1) */
	CHECK_EQ(dispatch(false, 1, relays, msg, sizeof(msg)), CTL_ERR);
	CHECK_STR(msg, "anyway-ctl: data plane /nonexistent/dp.sock: connect: No such file or "
		       "directory\n");
}

AW_TEST_MAIN(AW_TEST(test_entries_complete), AW_TEST(test_no_two_entries_claim_a_command),
	     AW_TEST(test_help_names_every_entry), AW_TEST(test_argument_counts),
	     AW_TEST(test_unknown_words))
