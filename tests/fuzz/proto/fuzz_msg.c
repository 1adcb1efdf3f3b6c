/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: both decoders of lib/proto on arbitrary bytes (every message,
 * member.* included). aw_msg_decode (the fast decoder of aw_msg_fast.c
 * first, then the general one) must never
 * crash, leak, or read past the input, and must agree with the general
 * decoder alone (json_loadb + aw_msg_decode_json): same verdict, equal
 * message, same error text; whatever the fast decoder accepts the general one
 * accepts as an equal message. What is accepted must encode and decode back
 * equal; what is rejected comes with a printable error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aw_msg.h"
#include "aw_msg_priv.h"
#include "../fuzz_seeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

#define PID "00112233445566778899aabbccddeeff"

static const char *const seed_lines[] = {
	"{\"op\":\"hello\",\"role\":\"subscriber\",\"name\":\"agent-1\"}",
	"{\"op\":\"register\",\"service\":\"asrs://x\",\"addr\":\"10.0.0.1\",\"port\":80,"
	"\"priority\":0,\"weight\":1,\"ttl\":30}",
	"{\"op\":\"deregister\",\"service\":\"asrs://x\",\"addr\":\"2001:db8::1\",\"port\":80}",
	"{\"op\":\"relay.add\",\"version\":4,\"path_id\":\"" PID "\",\"tunnel_key\":\"" PID PID
	"\",\"suite\":2,\"idle_timeout_s\":300,\"bind_timeout_s\":30,"
	"\"rate\":{\"pps\":100,\"bps\":100000,\"burst\":3000}}",
	"{\"op\":\"relay.del\",\"path_id\":\"" PID "\"}",
	"{\"op\":\"service.list\"}",
	"{\"op\":\"service.get\",\"service\":\"asrs://x\"}",
	"{\"op\":\"subscriber.list\"}",
	"{\"op\":\"ping\"}",
	"{\"op\":\"snapshot\",\"version\":1,\"services\":[{\"service\":\"asrs://x\","
	"\"sid\":\"5084b6e15a2223b0\",\"destinations\":[{\"addr\":\"10.0.0.1\",\"port\":80,"
	"\"priority\":0,\"weight\":1},{\"addr\":\"::1\",\"port\":81,\"priority\":1,"
	"\"weight\":0}]}],\"relays\":[{\"path_id\":\"" PID "\",\"tunnel_key\":\"" PID PID
	"\",\"suite\":1}]}",
	"{\"op\":\"service\",\"version\":2,\"service\":\"asrs://y\",\"sid\":\"bc535c8e505d4959\","
	"\"destinations\":[]}",
	"{\"ok\":true,\"services\":[\"asrs://x\"],\"n\":1}",
	"{\"ok\":false,\"error\":\"port: expected integer 1..65535, got 0\"}",
	"{\"op\":\"member.register\",\"id\":\"inst-a\",\"addr\":\"10.9.0.1\","
	"\"state\":\"draining\",\"ttl\":30}",
	"{\"op\":\"member.register\",\"id\":\"b.2_X\",\"addr\":\"2001:db8::7\","
	"\"state\":\"down\",\"ttl\":86400}",
	"{\"op\":\"member.deregister\",\"id\":\"inst-a\"}",
	"{\"op\":\"member.list\"}",
};


AW_FUZZ_TEXT_SEEDS(seed_lines)

/* The general decoder alone, as aw_msg_decode runs it when the fast one declines. */
static int
decode_general(const uint8_t *data, size_t size, struct aw_msg *m, char *err, size_t errlen)
{
	json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	int rc;

	if (root == NULL) {
		memset(m, 0, sizeof(*m));
		err[0] = '\0';
		return -2; /* not JSON: aw_msg_decode writes its own message */
	}
	rc = aw_msg_decode_json(root, m, err, errlen);
	json_decref(root);
	return rc;
}

static void
check_fast(const uint8_t *data, size_t size, const struct aw_msg *general, int grc)
{
	struct aw_msg f;

	if (!aw_msg_decode_fast((const char *)data, size, &f))
		return;
	if (grc != 0 || !aw_msg_equal(&f, general))
		abort(); /* the fast decoder accepted what the general one refuses or reads otherwise */
	aw_msg_free(&f);
}

static void
check_printable(const char *err)
{
	if (err[0] == '\0')
		abort();
	for (const char *p = err; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[AW_MSG_ERRLEN], gerr[AW_MSG_ERRLEN];
	struct aw_msg m, g, again;
	char *line;
	int rc = aw_msg_decode((const char *)data, size, &m, err, sizeof(err));
	int grc = decode_general(data, size, &g, gerr, sizeof(gerr));

	check_fast(data, size, &g, grc);
	if (rc != 0) {
		check_printable(err);
		if (grc == 0 || (grc == -1 && strcmp(err, gerr) != 0))
			abort(); /* the two paths disagree */
		return 0;
	}
	if (grc != 0 || !aw_msg_equal(&m, &g))
		abort();
	aw_msg_free(&g);
	line = aw_msg_encode(&m);
	if (line == NULL)
		abort();
	if (aw_msg_decode(line, strlen(line), &again, err, sizeof(err)) != 0 ||
	    !aw_msg_equal(&m, &again))
		abort();
	aw_msg_free(&again);
	aw_msg_free(&m);
	free(line);
	return 0;
}
