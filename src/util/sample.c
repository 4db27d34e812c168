/*
 * sample: the byte-countdown heap sampler (see leakcheck/profile.h).
 *
 * PRNG: xorshift64* (Vigna), 64-bit state, never 0.  Interval: -ln(U) * R
 * with U uniform in (0, 1] from the top 53 bits, rounded up to >= 1 byte
 * and capped so an absurd draw cannot overflow.  Only sampled allocations
 * call this, so the log() is not worth approximating (Go uses a fast log2
 * because it runs inside the allocator; we run next to an unwind).
 */
#include <math.h>
#include <time.h>
#include <unistd.h>

#include "leakcheck/profile.h"

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void sampler_seed(struct sampler *s, uint64_t seed)
{
	s->rng = splitmix64(seed);
	if (!s->rng)
		s->rng = 0x2545f4914f6cdd1dULL;
	s->left = 0;
}

static uint64_t xorshift64s(struct sampler *s)
{
	uint64_t x = s->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

uint64_t sampler_next_interval(struct sampler *s, uint64_t rate)
{
	double u, v;

	if (!s->rng) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		sampler_seed(s, (uint64_t)ts.tv_nsec ^
				    (uint64_t)ts.tv_sec << 32 ^
				    (uint64_t)getpid());
	}
	/* (0, 1]: never log(0) */
	u = (double)((xorshift64s(s) >> 11) + 1) * (1.0 / 9007199254740992.0);
	v = -log(u) * (double)rate;
	if (v < 1.0)
		return 1;
	if (v > 1e18)
		return (uint64_t)1e18;
	return (uint64_t)v + 1;
}

double sampler_weight(uint64_t rate, uint64_t size)
{
	if (!rate)
		return 1.0;
	if (!size)
		return 0.0;
	return 1.0 / -expm1(-(double)size / (double)rate);
}
