/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: JSON API requests (dataplane/API.md) against a real data
 * plane instance with ASRS and the TRS relay on (net_null ports): the request
 * parsers and handlers of service.set/del/list (single and batch forms),
 * listener.add/del/list, session.list, relay.add/del/get/list/expired,
 * vip.add/del/list, stats, config.get, ping, and whatever else the input names.
 * The input is the request line; a reply must always come back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_eal.h>

#include "aw_api.h"
#include "aw_dp_init.h"
#include "fuzz_dp.h"
#include "../fuzz_seeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

#define PID "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"

static struct aw_dp dp;
static struct aw_config cfg;
static unsigned long n_ok, n_err;

static const char config_json[] =
	"{\"ports\":[{\"port\":0,\"addrs\":[\"10.1.0.1/24\",\"2001:db8:1::1/64\"]},"
	"{\"port\":1,\"addrs\":[\"10.2.0.1/24\"]}],\"vips\":[{\"addr\":\"203.0.113.10\"}],"
	"\"asrs\":{\"max_sessions\":64,\"max_services\":64},"
	"\"listeners\":[{\"vip\":\"203.0.113.10\",\"proto\":\"tcp\",\"port\":80,"
	"\"service\":\"asrs://a/b\"}],"
	"\"services\":[{\"service\":\"asrs://a/b\",\"destinations\":[{\"addr\":\"10.2.0.2\","
	"\"port\":80}]}],\"trs\":{\"max_paths\":16},"
	"\"relays\":[{\"path_id\":\"" PID "\",\"tunnel_key\":\"" PID PID "\",\"suite\":1}]}";

/* Stops the instance too, so that LeakSanitizer sees everything freed. */
static void
summary(void)
{
	printf("fuzz_asrs_api: %lu requests applied, %lu refused\n", n_ok, n_err);
	aw_dp_fini(&dp);
	aw_config_free(&cfg);
}

/* No reply, or one without "ok" (or a refusal without "error"): say which, stop. */
static void
bad_reply(const json_t *req, const json_t *reply)
{
	char *q = json_dumps(req, JSON_COMPACT | JSON_ENSURE_ASCII);
	char *r = reply != NULL ? json_dumps(reply, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	fprintf(stderr, "fuzz_asrs_api: request %s\n  got reply %s\n", q ? q : "?",
		reply == NULL ? "NULL" : r ? r : "(not printable)");
	abort();
}

static void
setup(void)
{
	fuzz_dp_start("j", config_json, &cfg, &dp);
	atexit(summary);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (dp.feat[AW_FEAT_ASRS] == NULL)
		setup();
	json_t *req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (req == NULL)
		return 0;
	json_t *reply = aw_api_handle(&dp, req);
	if (reply == NULL || !json_is_boolean(json_object_get(reply, "ok")) ||
	    (json_is_false(json_object_get(reply, "ok")) &&
	     !json_is_string(json_object_get(reply, "error"))))
		bad_reply(req, reply);
	if (json_is_true(json_object_get(reply, "ok")))
		n_ok++;
	else
		n_err++;
	json_decref(reply);
	json_decref(req);
	return 0;
}

static const char *const seeds_txt[] = {
	"{\"op\":\"service.set\",\"service\":\"asrs://x/y\",\"destinations\":[{\"addr\":"
	"\"10.2.0.3\",\"port\":81,\"priority\":2,\"weight\":5},{\"addr\":\"2001:db8::9\","
	"\"port\":1}]}",
	"{\"op\":\"service.set\",\"services\":[{\"service\":\"asrs://b/1\",\"destinations\":[]},"
	"{\"service\":\"asrs://b/2\",\"destinations\":[{\"addr\":\"10.2.0.4\",\"port\":9}]}]}",
	"{\"op\":\"service.del\",\"services\":[\"asrs://b/1\",\"asrs://b/3\"]}",
	"{\"op\":\"service.del\",\"service\":\"asrs://x/y\"}",
	"{\"op\":\"listener.add\",\"vip\":\"203.0.113.10\",\"proto\":\"udp\",\"port\":53,"
	"\"service\":\"asrs://b/2\"}",
	"{\"op\":\"listener.del\",\"vip\":\"203.0.113.10\",\"proto\":\"udp\",\"port\":53}",
	"{\"op\":\"session.list\",\"limit\":5,\"cursor\":3}",
	"{\"op\":\"service.list\"}",
	"{\"op\":\"relay.add\",\"path_id\":\"b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2\",\"tunnel_key\":\""
	PID PID "\",\"suite\":2,\"idle_timeout_s\":60,\"rate\":{\"pps\":10,\"burst\":1500}}",
	"{\"op\":\"relay.del\",\"path_id\":\"" PID "\"}",
	"{\"op\":\"relay.get\",\"path_id\":\"" PID "\"}",
	"{\"op\":\"relay.list\"}",
	"{\"op\":\"relay.expired\"}",
	"{\"op\":\"vip.add\",\"addr\":\"203.0.113.77\"}",
	"{\"op\":\"vip.del\",\"addr\":\"203.0.113.10\"}",
	"{\"op\":\"vip.list\"}",
	"{\"op\":\"stats\"}",
	"{\"op\":\"config.get\"}",
	"{\"op\":\"ping\"}",
};

AW_FUZZ_TEXT_SEEDS(seeds_txt)
