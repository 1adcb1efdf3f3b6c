/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: aw_msg_decode of arbitrary bytes must never crash, leak, or
 * read past the input; what it accepts must encode and decode back equal, and
 * what it rejects must come with a printable error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aw_msg.h"

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
};

#define NSEEDS (sizeof(seed_lines) / sizeof(seed_lines[0]))

size_t
aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens)
{
	static size_t l[NSEEDS];

	for (size_t i = 0; i < NSEEDS; i++)
		l[i] = strlen(seed_lines[i]);
	*seeds = (const uint8_t **)seed_lines;
	*lens = l;
	return NSEEDS;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[AW_MSG_ERRLEN];
	struct aw_msg m, again;
	char *line;

	if (aw_msg_decode((const char *)data, size, &m, err, sizeof(err)) != 0) {
		for (const char *p = err; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				abort();
		return 0;
	}
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
