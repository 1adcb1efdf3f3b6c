/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reg_config — anyway-registrar's command line and service file. Each
 * --service starts a service; --addr/--port/--priority/--weight/--ttl/--check
 * that follow it belong to it. The file (--config) is JSON:
 *   {"services": [{"service", "addr", "port", "priority"?, "weight"?, "ttl"?, "check"?}]}
 * Defaults: priority 0, weight 100, ttl 30, check tcp. Every entry is checked
 * with the register message's own validation (lib/proto), so errors name the
 * field: "services[1].port: expected integer 1..65535, got 0".
 * Contract: main thread, before the loop starts.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_build_config.h"
#include "aw_log.h"
#include "reg.h"

#define PROG "anyway-registrar"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --mapd HOST:PORT [--mapd ...] (--config FILE |\n"
		"         --service URI --addr A --port P [--priority N] [--weight W] [--ttl S]\n"
		"         [--check tcp|http:/PATH|https:/PATH|none] [--rise N] [--fall N]\n"
		"         [--expect-status LIST] [--expect-body TEXT] [--check-timeout-ms MS]\n"
		"         [--ca-file FILE] [--no-tls-verify] [--drain] [--service ...])\n"
		"         [--name NAME] [--check-interval-ms MS] [--log-level LEVEL]\n"
		"         (--ca FILE --cert FILE --key FILE | --insecure) [--help] [--version]\n"
		"Registers services with map servers, renews them every ttl/3 while their\n"
		"health check passes, deregisters them when it fails and on SIGTERM.\n"
		"  --mapd HOST:PORT     a map server: IPv4, [IPv6] or name (repeatable, up to %d)\n"
		"  --config FILE        services from a JSON file: {\"services\": [{\"service\",\n"
		"                       \"addr\", \"port\", \"priority\", \"weight\", \"ttl\", \"check\"}]}\n"
		"                       (re-read on SIGHUP, all or nothing)\n"
		"  --service URI ...    one service; the options after it belong to it\n"
		"                       (defaults: priority 0, weight 100, ttl 30, check tcp)\n"
		"  --check KIND         tcp: connect to addr:port; http:/PATH, https:/PATH: GET\n"
		"                       /PATH answers an expected status (the path starts with\n"
		"                       '/': http:/health); none: always passing\n"
		"  --rise N, --fall N   passes / failures in a row to register / withdraw (2, 3)\n"
		"  --expect-status L    expected HTTP status: codes and ranges (200-399)\n"
		"  --expect-body TEXT   the body must contain TEXT\n"
		"  --check-timeout-ms   each check's time limit (default 2000)\n"
		"  --ca-file FILE       https: CA certificates; --no-tls-verify: don't verify\n"
		"  --drain              register with weight 0: no new flows, sessions kept\n"
		"  --check-interval-ms  how often each check runs (default 1000; the file's\n"
		"                       check_interval_ms per service)\n"
		"  --log-level LEVEL    " AW_LOG_LEVELS " (default info)\n"
		AW_TLS_USAGE "SIGHUP also re-reads --ca/--cert/--key for new connections.\n",
		REG_MAX_MAPD);
}

/* Validate one service object (members as in the file) into s. */
static int
svc_from_json(json_t *o, const char *where, struct reg_svc *s)
{
	static const char *const defaults[][2] = {{"priority", "0"}, {"weight", "100"}, {"ttl", "30"}};
	char err[AW_MSG_ERRLEN];
	struct aw_msg m;
	json_t *req;

	if (!json_is_object(o)) {
		fprintf(stderr, PROG ": %s: expected object\n", where);
		return -1;
	}
	req = json_deep_copy(o);
	if (reg_ckconf_take(req, where, s) < 0) {
		json_decref(req);
		return -1;
	}
	for (size_t i = 0; i < 3; i++)
		if (json_object_get(req, defaults[i][0]) == NULL)
			json_object_set_new(req, defaults[i][0], json_integer(atoi(defaults[i][1])));
	json_object_set_new(req, "op", json_string("register"));
	int rc = aw_msg_decode_json(req, &m, err, sizeof(err));
	json_decref(req);
	if (rc < 0) {
		fprintf(stderr, PROG ": %s%s\n", where, err);
		return -1;
	}
	s->r = m.u.reg;
	atomic_init(&s->healthy, -1);
	s->seen = -1;
	aw_msg_free(&m);
	return 0;
}

int
reg_load_file(const char *path, struct reg_svc *out, int *n_out)
{
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je), *arr, *v;
	size_t i;
	char where[600];

	if (root == NULL) {
		fprintf(stderr, PROG ": %s: line %d: %s\n", path, je.line, je.text);
		return -1;
	}
	arr = json_object_get(root, "services");
	if (!json_is_object(root) || json_object_size(root) != 1 || !json_is_array(arr) ||
	    json_array_size(arr) == 0 || json_array_size(arr) > REG_MAX_SVC) {
		fprintf(stderr, PROG ": %s: services: expected an array of 1..%d services and no other key\n",
			path, REG_MAX_SVC);
		json_decref(root);
		return -1;
	}
	json_array_foreach(arr, i, v) {
		snprintf(where, sizeof(where), "%s: services[%zu].", path, i);
		if (svc_from_json(v, where, &out[*n_out]) < 0) {
			json_decref(root);
			return -1;
		}
		(*n_out)++;
	}
	json_decref(root);
	return 0;
}

static int
add_mapd(struct reg *rg, const char *s)
{
	char err[160];

	if (rg->n_mapd >= REG_MAX_MAPD) {
		fprintf(stderr, PROG ": --mapd: at most %d map servers\n", REG_MAX_MAPD);
		return -1;
	}
	if (aw_hostport_parse(s, 7810, &rg->mapd[rg->n_mapd].addr, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": --mapd %s\n", err);
		return -1;
	}
	snprintf(rg->mapd[rg->n_mapd].name, sizeof(rg->mapd[0].name), "%s", s);
	reg_mapd_init(&rg->mapd[rg->n_mapd++]);
	return 0;
}

/* A per-service flag into the current service's object. */
static int
svc_flag(json_t *cur, const char *key, const char *val)
{
	char *end;
	long long v;

	if (cur == NULL) {
		fprintf(stderr, PROG ": --%s: give --service first\n", key);
		return -1;
	}
	if (strcmp(key, "drain") == 0)
		return json_object_set_new(cur, key, json_true());
	if (strcmp(key, "no-tls-verify") == 0)
		return json_object_set_new(cur, "tls_verify", json_false());
	if (strcmp(key, "addr") == 0 || strcmp(key, "check") == 0 || strcmp(key, "expect-status") == 0 ||
	    strcmp(key, "expect-body") == 0 || strcmp(key, "ca-file") == 0) {
		char k[32];
		snprintf(k, sizeof(k), "%s", key);
		for (char *p = k; *p; p++)
			*p = *p == '-' ? '_' : *p;
		return json_object_set_new(cur, k, json_string(val));
	}
	v = strtoll(val, &end, 10);
	if (*val == '\0' || *end != '\0') {
		fprintf(stderr, PROG ": --%s: expected an integer, got '%.80s'\n", key, val);
		return -1;
	}
	if (strcmp(key, "check-timeout-ms") == 0)
		key = "check_timeout_ms";
	return json_object_set_new(cur, key, json_integer(v));
}

static int
finish(struct reg *rg, json_t *flags, const char *file)
{
	char where[320];
	size_t i;
	json_t *o;

	if (file != NULL && json_array_size(flags) > 0) {
		fprintf(stderr, PROG ": give services either with --config or with --service, not both\n");
		return -1;
	}
	if (file != NULL) {
		snprintf(rg->config_path, sizeof(rg->config_path), "%s", file);
		return reg_load_file(file, rg->svc, &rg->n_svc);
	}
	if (json_array_size(flags) == 0 || json_array_size(flags) > REG_MAX_SVC) {
		fprintf(stderr, PROG ": --service: expected 1..%d services (or --config FILE)\n",
			REG_MAX_SVC);
		return -1;
	}
	json_array_foreach(flags, i, o) {
		snprintf(where, sizeof(where), "--service %.255s: ",
			 json_string_value(json_object_get(o, "service")));
		if (svc_from_json(o, where, &rg->svc[rg->n_svc]) < 0)
			return -1;
		rg->n_svc++;
	}
	return 0;
}

int
reg_parse_args(struct reg *rg, int argc, char **argv, bool *exit_now)
{
	static const struct option opts[] = {
		{"mapd", required_argument, NULL, 'm'},     {"config", required_argument, NULL, 'c'},
		{"service", required_argument, NULL, 's'},  {"addr", required_argument, NULL, 'a'},
		{"port", required_argument, NULL, 'p'},     {"priority", required_argument, NULL, 'P'},
		{"weight", required_argument, NULL, 'w'},   {"ttl", required_argument, NULL, 't'},
		{"check", required_argument, NULL, 'k'},    {"name", required_argument, NULL, 'n'},
		{"check-interval-ms", required_argument, NULL, 'i'},
		{"rise", required_argument, NULL, 'k'},     {"fall", required_argument, NULL, 'k'},
		{"expect-status", required_argument, NULL, 'k'},
		{"expect-body", required_argument, NULL, 'k'},
		{"check-timeout-ms", required_argument, NULL, 'k'},
		{"ca-file", required_argument, NULL, 'k'},  {"no-tls-verify", no_argument, NULL, 'k'},
		{"drain", no_argument, NULL, 'k'},          {"log-level", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},           {"version", no_argument, NULL, 'V'},
		AW_TLS_LONGOPTS,                            {NULL, 0, NULL, 0},
	};
	json_t *flags = json_array(), *cur = NULL;
	const char *file = NULL;
	int c, rc = 0, idx;

	*exit_now = false;
	while (rc == 0 && (c = getopt_long(argc, argv, "hV", opts, &idx)) != -1) {
		if (aw_tls_opt(&rg->tls_opts, c, optarg))
			continue;
		switch (c) {
		case 'm':
			rc = add_mapd(rg, optarg);
			break;
		case 'c':
			file = optarg;
			break;
		case 's':
			cur = json_pack("{s:s}", "service", optarg);
			json_array_append_new(flags, cur);
			break;
		case 'a': case 'p': case 'P': case 'w': case 't': case 'k':
			rc = svc_flag(cur, opts[idx].name, optarg);
			break;
		case 'L':
			rc = aw_log_option(PROG, optarg);
			break;
		case 'n':
			if (strlen(optarg) == 0 || strlen(optarg) > AW_MSG_NAME_MAX ||
			    strpbrk(optarg, "\"\\") != NULL) {
				fprintf(stderr, PROG ": --name: expected 1..255 characters without quotes\n");
				rc = -1;
			} else {
				snprintf(rg->name, sizeof(rg->name), "%s", optarg);
			}
			break;
		case 'i': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 100 || v > 3600000) {
				fprintf(stderr, PROG ": --check-interval-ms: expected 100..3600000\n");
				rc = -1;
			}
			rg->check_interval_ms = (uint32_t)v;
			break;
		}
		case 'h':
			usage(stdout);
			*exit_now = true;
			json_decref(flags);
			return 0;
		case 'V':
			printf(PROG " %s\n", AW_VERSION);
			*exit_now = true;
			json_decref(flags);
			return 0;
		default:
			usage(stderr);
			rc = -1;
		}
	}
	if (rc == 0 && optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		rc = -1;
	}
	if (rc == 0 && rg->n_mapd == 0) {
		fprintf(stderr, PROG ": --mapd: at least one map server is required\n");
		rc = -1;
	}
	if (rc == 0)
		rc = finish(rg, flags, file);
	json_decref(flags);
	if (rc == 0 && aw_tls_setup(PROG, &rg->tls_opts, false, &rg->tls) < 0)
		rc = -1;
	return rc;
}
