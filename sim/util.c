/*
 * sim/util.c — small shared helpers: a seeded PRNG for the workload's shape
 * (never for keys), clocks, and removing a directory tree.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "sim/sim.h"

static uint64_t s_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(sim_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = s_splitmix(&seed);
}

static uint64_t s_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(sim_rng *r)
{
	uint64_t *s = r->s, res = s_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = s_rotl(s[3], 45);
	return res;
}

uint32_t rng_below(sim_rng *r, uint32_t n)
{
	/* Lemire's multiply-shift; the tiny bias is irrelevant for a workload. */
	return n ? (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32) : 0;
}

double rng_unit(sim_rng *r)
{
	return (rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

int64_t sim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sim_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path) < 0 ? 0 : 0;	/* best effort: keep going */
}

int sim_rmtree(const char *path)
{
	if (!path || !*path || access(path, F_OK) < 0)
		return 0;
	return nftw(path, s_rm, 32, FTW_DEPTH | FTW_PHYS);
}
