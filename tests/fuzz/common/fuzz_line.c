/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the line framing of the control protocol (lib/common aw_line)
 * against a model. Input: byte 0 picks the line limit (1..505 bytes), byte 1
 * seeds the sizes of the chunks the rest is fed in; complete lines are taken
 * out after every chunk. Every line returned must be the next '\n'-separated
 * piece of the stream (one trailing '\r' stripped, NUL-terminated), and
 * AW_LINE_TOO_LONG must come exactly when the first pending line is longer
 * than the limit; after it the connection would be closed, so the run ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aw_line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

/* Length of the model's next line from pos: up to '\n' or the bytes fed so far. */
static size_t
model_line(const uint8_t *s, size_t pos, size_t fed, int *complete)
{
	const uint8_t *nl = memchr(s + pos, '\n', fed - pos);

	*complete = nl != NULL;
	return nl != NULL ? (size_t)(nl - (s + pos)) : fed - pos;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aw_linebuf lb;
	size_t pos = 0, fed = 0;
	int complete;

	if (size < 2)
		return 0;
	const size_t max = 1 + (size_t)(data[0] % 64) * 8;
	uint32_t rng = data[1] | 0x100u;
	const uint8_t *s = data + 2;
	size -= 2;
	if (aw_linebuf_init(&lb, max) != 0)
		abort();
	while (fed < size) {
		rng = rng * 1103515245u + 12345u;
		size_t chunk = 1 + (rng >> 16) % 700;
		if (chunk > size - fed)
			chunk = size - fed;
		int rc = aw_linebuf_feed(&lb, s + fed, chunk);
		fed += chunk;
		size_t l = model_line(s, pos, fed, &complete);
		if (rc == AW_LINE_TOO_LONG) {
			if (l <= max)
				abort(); /* refused a line within the limit */
			break;
		}
		if (rc != AW_LINE_OK || (!complete && l > max))
			abort(); /* a pending line over the limit went unnoticed */
		for (;;) {
			char *line;
			size_t len;
			rc = aw_linebuf_next(&lb, &line, &len);
			l = model_line(s, pos, fed, &complete);
			if (rc == AW_LINE_NONE) {
				if (complete || l > max)
					abort();
				break;
			}
			if (rc == AW_LINE_TOO_LONG) {
				if (l <= max)
					abort();
				goto out;
			}
			if (rc != AW_LINE_OK || !complete || l > max)
				abort();
			size_t want = l > 0 && s[pos + l - 1] == '\r' ? l - 1 : l;
			if (len != want || memcmp(line, s + pos, len) != 0 || line[len] != '\0')
				abort();
			pos += l + 1;
		}
	}
out:
	aw_linebuf_free(&lb);
	return 0;
}

static const uint8_t seed0[] = "\x10\x07{\"op\":\"ping\"}\n{\"op\":\"hello\",\"role\":\"admin\","
			       "\"name\":\"x\"}\r\n\n\r\npartial";
static const uint8_t seed1[] = "\x00\x01" "a\nbb\nccc\n";

size_t
aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens)
{
	static const uint8_t *s[] = {seed0, seed1};
	static const size_t l[] = {sizeof(seed0) - 1, sizeof(seed1) - 1};
	*seeds = s;
	*lens = l;
	return 2;
}
