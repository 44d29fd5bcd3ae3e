/*
 * fuzz.h - what the fuzz targets (test/fuzz_*.c) share: the libFuzzer entry
 * point they define, and a reader that decodes the input as a stream of
 * fields. A field read past the end of the input reads as zero, so every
 * input, however short, is a complete program for the target.
 *
 * The same target builds two ways (mk/fuzz.mk, mk/test.mk): with clang's
 * -fsanitize=fuzzer for `make fuzz`, and with test/fuzz_replay.c's main()
 * for `make test`, which replays the committed corpus with any compiler.
 */
#ifndef EPWGET_TEST_FUZZ_H
#define EPWGET_TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fuzz_in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint16_t fz_u16(struct fuzz_in *in)
{
	uint16_t hi = fz_u8(in);

	return (uint16_t)(hi << 8 | fz_u8(in));
}

static inline uint32_t fz_u32(struct fuzz_in *in)
{
	uint32_t hi = fz_u16(in);

	return hi << 16 | fz_u16(in);
}

/* Copy up to len bytes into dst; returns how many the input still had. */
static inline size_t fz_bytes(struct fuzz_in *in, uint8_t *dst, size_t len)
{
	size_t n = len < in->n ? len : in->n;

	memcpy(dst, in->p, n);
	in->p += n;
	in->n -= n;
	return n;
}

#endif
