/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: anyway-registrar's configuration (control/registrar/
 * reg_config.c): the --config JSON file and the command-line flags. The first
 * input byte picks the form: even, the rest is the file given as
 * "--mapd 127.0.0.1:7810 --config /proc/self/fd/N" (one memfd); odd, the rest
 * is up to 31 NUL-separated arguments after the program name. Must never
 * crash or leak; what is accepted must hold 1..REG_MAX_SVC services and
 * 1..REG_MAX_MAPD map servers, each service a valid register message.
 * Error lines go to stderr (tests/fuzz/run_fuzz.sh closes it for this target).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

#define MAX_ARGS 32

static int memfd = -1;
static char fd_path[64];

static void
check_accepted(const struct reg *rg)
{
	char err[AW_MSG_ERRLEN];
	struct aw_msg m;

	if (rg->n_svc < 1 || rg->n_svc > REG_MAX_SVC || rg->n_mapd < 1 || rg->n_mapd > REG_MAX_MAPD)
		abort();
	for (int i = 0; i < rg->n_svc; i++) {
		aw_msg_init(&m, AW_MSG_REGISTER);
		m.u.reg = rg->svc[i].r;
		char *line = aw_msg_encode(&m);
		if (line == NULL || aw_msg_decode(line, strlen(line), &m, err, sizeof(err)) != 0)
			abort(); /* a service the map server would refuse */
		aw_msg_free(&m);
		free(line);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reg rg;
	static char buf[8192];
	char *argv[MAX_ARGS + 1];
	int argc = 0;
	bool exit_now;

	if (memfd < 0) {
		memfd = memfd_create("awfuzzreg", 0);
		if (memfd < 0)
			abort();
		snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", memfd);
	}
	if (size < 1 || size > sizeof(buf))
		return 0;
	argv[argc++] = "anyway-registrar";
	if ((data[0] & 1) == 0) {
		if (ftruncate(memfd, 0) != 0 ||
		    (size > 1 && pwrite(memfd, data + 1, size - 1, 0) != (ssize_t)(size - 1)))
			abort();
		argv[argc++] = "--mapd";
		argv[argc++] = "127.0.0.1:7810";
		argv[argc++] = "--config";
		argv[argc++] = fd_path;
	} else {
		memcpy(buf, data + 1, size - 1);
		buf[size - 1] = '\0';
		for (char *p = buf; p < buf + size - 1 && argc < MAX_ARGS; p += strlen(p) + 1)
			argv[argc++] = p;
	}
	argv[argc] = NULL;
	memset(&rg, 0, sizeof(rg));
	rg.check_interval_ms = 1000;
	optind = 0; /* glibc: start getopt over */
	if (reg_parse_args(&rg, argc, argv, &exit_now) == 0 && !exit_now)
		check_accepted(&rg);
	return 0;
}

static const char *const seeds_txt[] = {
	"\x00{\"services\":[{\"service\":\"asrs://shop.example/web\",\"addr\":\"10.2.0.2\","
	"\"port\":8080,\"priority\":1,\"weight\":5,\"ttl\":10,\"check\":\"http:/health\"},"
	"{\"service\":\"asrs://b\",\"addr\":\"2001:db8::2\",\"port\":53,\"check\":\"none\"}]}",
	"\x01--mapd\0" "127.0.0.1:7810\0--mapd\0[::1]:7811\0--service\0asrs://x/y\0--addr\0"
	"10.0.0.1\0--port\0" "80\0--ttl\0" "5\0--check\0tcp\0--name\0reg-1\0"
	"--check-interval-ms\0" "500",
};
static const size_t seeds_len[] = {
	sizeof("\x00{\"services\":[{\"service\":\"asrs://shop.example/web\",\"addr\":\"10.2.0.2\","
	       "\"port\":8080,\"priority\":1,\"weight\":5,\"ttl\":10,\"check\":\"http:/health\"},"
	       "{\"service\":\"asrs://b\",\"addr\":\"2001:db8::2\",\"port\":53,\"check\":\"none\"}]}") - 1,
	sizeof("\x01--mapd\0" "127.0.0.1:7810\0--mapd\0[::1]:7811\0--service\0asrs://x/y\0--addr\0"
	       "10.0.0.1\0--port\0" "80\0--ttl\0" "5\0--check\0tcp\0--name\0reg-1\0"
	       "--check-interval-ms\0" "500") - 1,
};

size_t
aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens)
{
	*seeds = (const uint8_t **)seeds_txt;
	*lens = seeds_len;
	return sizeof(seeds_txt) / sizeof(seeds_txt[0]);
}
