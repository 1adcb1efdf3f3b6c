/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: JSON API requests (dataplane/API.md) against a real data
 * plane instance with ASRS on (net_null ports): the request parsers and
 * handlers of service.set/del/list (single and batch forms),
 * listener.add/del/list and session.list, and whatever else the input names.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

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
	"\"port\":80}]}]}";

/* Stops the instance too, so that LeakSanitizer sees everything freed. */
static void
summary(void)
{
	printf("fuzz_asrs_api: %lu requests applied, %lu refused\n", n_ok, n_err);
	aw_dp_fini(&dp);
	aw_config_free(&cfg);
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
	if (reply == NULL || !json_is_boolean(json_object_get(reply, "ok")))
		abort();
	if (json_is_true(json_object_get(reply, "ok")))
		n_ok++;
	else if (!json_is_string(json_object_get(reply, "error")))
		abort();
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
};

size_t
aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens)
{
	static const uint8_t *s[sizeof(seeds_txt) / sizeof(seeds_txt[0])];
	static size_t l[sizeof(seeds_txt) / sizeof(seeds_txt[0])];
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		s[i] = (const uint8_t *)seeds_txt[i];
		l[i] = strlen(seeds_txt[i]);
	}
	*seeds = s;
	*lens = l;
	return sizeof(s) / sizeof(s[0]);
}
