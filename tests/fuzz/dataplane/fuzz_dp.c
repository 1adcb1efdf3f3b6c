/* SPDX-License-Identifier: BSD-3-Clause */
#define _XOPEN_SOURCE 700
#include "fuzz_dp.h"

#include <string.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_memory.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_LSAN 1
#endif
#ifdef FUZZ_LSAN
#include <sanitizer/lsan_interface.h>

/* LeakSanitizer does not look into DPDK's memory (anonymous mappings it did
 * not allocate), so heap blocks that only DPDK-allocated tables point to (the
 * relay's crypto engines, ...) looked leaked. Each memseg list becomes a root
 * region: LSan scans what of it is mapped. */
static int
lsan_root(const struct rte_memseg_list *msl, void *arg)
{
	(void)arg;
	if (msl->base_va != NULL && msl->len > 0)
		__lsan_register_root_region(msl->base_va, msl->len);
	return 0;
}
#endif

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 ? 0 : -1;
}

void
fuzz_eal_start(const char *tag)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "--file-prefix=awf%s%d", tag, (int)getpid());
	char *argv[] = {"fuzz", "-l", "0", "--no-huge", "-m", "256", "--no-pci", prefix,
			"--vdev=net_null0", "--vdev=net_null1", "--no-telemetry",
			"--log-level=error", NULL};
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0)
		exit(77);
	/* A primary alone needs none of its runtime files (config, mp socket,
	 * fbarrays: open or mapped already); removed now, every run, crashes
	 * included, leaves nothing under /var/run/dpdk. (--in-memory does not
	 * go with --no-huge.) */
	nftw(rte_eal_get_runtime_dir(), rm_entry, 8, FTW_DEPTH | FTW_PHYS);
#ifdef FUZZ_LSAN
	rte_memseg_list_walk(lsan_root, NULL);
#endif
}

void
fuzz_dp_start(const char *tag, const char *config_json, struct aw_config *cfg,
	      struct aw_dp *dp)
{
	char path[64], err[512];

	fuzz_eal_start(tag);
	snprintf(path, sizeof(path), "/tmp/awf%s%d.json", tag, (int)getpid());
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(config_json, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "fuzz setup: cannot write %s\n", path);
		exit(1);
	}
	int rc = aw_config_load(path, cfg, err, sizeof(err));
	unlink(path);
	if (rc < 0 || aw_dp_init(dp, cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz setup: %s\n", err);
		exit(1);
	}
}

size_t
fuzz_udp_frame(uint8_t *b, uint8_t sel, uint16_t dport, const uint8_t *pl, size_t n)
{
	static const uint8_t mac[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xaa};
	const int v6 = sel & 1;
	size_t ih = v6 ? 40 : 20, l4 = 8 + n;
	uint8_t *ip = b + 14, *u = ip + ih;

	memcpy(b, mac, 12);
	b[12] = v6 ? 0x86 : 0x08;
	b[13] = v6 ? 0xdd : 0x00;
	memset(ip, 0, ih);
	if (v6) {
		static const uint8_t s6[16] = {0x20, 1, 0xd, 0xb8, 0, 1, [15] = 2};
		static const uint8_t d6[16] = {0x20, 1, 0xd, 0xb8, 0, 1, [15] = 1};
		ip[0] = 0x60;
		ip[4] = (uint8_t)(l4 >> 8);
		ip[5] = (uint8_t)l4;
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, s6, 16);
		memcpy(ip + 24, d6, 16);
	} else {
		static const uint8_t sd[8] = {10, 1, 0, 2, 10, 1, 0, 1};
		ip[0] = 0x45;
		ip[2] = (uint8_t)((l4 + 20) >> 8);
		ip[3] = (uint8_t)(l4 + 20);
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, sd, 8);
		uint32_t s = 0;
		for (int i = 0; i < 20; i += 2)
			s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
		s = (s & 0xffff) + (s >> 16);
		s = (s & 0xffff) + (s >> 16);
		ip[10] = (uint8_t)(~s >> 8);
		ip[11] = (uint8_t)~s;
	}
	u[0] = 0x9c;
	u[1] = (uint8_t)(0x40 + ((sel >> 1) & 3));
	u[2] = (uint8_t)(dport >> 8);
	u[3] = (uint8_t)dport;
	u[4] = (uint8_t)(l4 >> 8);
	u[5] = (uint8_t)l4;
	u[6] = u[7] = 0;
	memcpy(u + 8, pl, n);
	return 14 + ih + l4;
}
