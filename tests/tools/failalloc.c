/*
 * tests/tools/failalloc.c — an allocation-failure injector for sigmeshd,
 * loaded with LD_PRELOAD (tests/integration/exhaust.sh builds it with
 * cc -shared -fPIC -DFAILALLOC_SO into $BUILD/failalloc.so).
 *
 * While the file named by FAILALLOC_CTL exists, every FAILALLOC_EVERY-th
 * call to malloc, calloc or realloc returns NULL with errno ENOMEM;
 * removing the file stops the failures (so a test can check recovery).
 * The file is looked at no more than every 20 ms (a stat per allocation
 * would be the test's bottleneck).
 *
 * FAILALLOC_SCOPE=exe (the default) fails only allocations called directly
 * from the executable's own code (sigmeshd links the sigmesh libraries
 * statically): libzmq, by design, aborts on a failed allocation, so failing
 * its allocations measures libzmq, not sigmesh. FAILALLOC_SCOPE=all fails
 * every caller's.
 *
 * The real allocator is glibc's __libc_* entry points: no dlsym (which
 * itself allocates) and no recursion. Counters are atomic; the node has
 * worker threads. Every injected failure is counted; the count is written
 * to FAILALLOC_CTL.count whenever the control file is checked.
 *
 * Built without FAILALLOC_SO (the Makefile builds each tests/tools file as
 * a program), this file is a tiny program that says how to use it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>

#ifndef FAILALLOC_SO
int main(void)
{
	puts("failalloc: build with cc -shared -fPIC -DFAILALLOC_SO -o failalloc.so "
	    "tests/tools/failalloc.c and run a program with LD_PRELOAD=failalloc.so "
	    "FAILALLOC_EVERY=N FAILALLOC_CTL=FILE [FAILALLOC_SCOPE=exe|all]");
	return 0;
}
#else
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static unsigned long s_every;		/* 0: never fail */
static int s_all;			/* fail every caller's allocations */
static char s_ctl[512], s_cnt[520];
static uintptr_t s_lo, s_hi;		/* executable's text mapping */
static int s_active;			/* control file present */
static long long s_next_check_ms;
static unsigned long s_calls, s_failed;

/* The executable's mapping ranges from /proc/self/maps, without malloc:
 * the lowest start and highest end of lines naming /proc/self/exe's path. */
static void s_find_exe(void)
{
	char exe[512], buf[65536];
	ssize_t n, got = 0;
	int fd;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (got < (ssize_t)sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *path = strchr(line, '/');
		if (path && strcmp(path, exe) == 0) {
			uintptr_t lo = (uintptr_t)strtoull(line, NULL, 16);
			char *dash = strchr(line, '-');
			uintptr_t hi = dash ? (uintptr_t)strtoull(dash + 1, NULL, 16) : lo;

			if (!s_lo || lo < s_lo)
				s_lo = lo;
			if (hi > s_hi)
				s_hi = hi;
		}
	}
}

__attribute__((constructor)) static void s_init(void)
{
	const char *e = getenv("FAILALLOC_EVERY"), *c = getenv("FAILALLOC_CTL"),
	    *sc = getenv("FAILALLOC_SCOPE");

	if (!e || !c || strlen(c) >= sizeof(s_ctl))
		return;
	snprintf(s_ctl, sizeof(s_ctl), "%s", c);
	snprintf(s_cnt, sizeof(s_cnt), "%s.count", c);
	s_all = sc && strcmp(sc, "all") == 0;
	s_find_exe();
	s_every = strtoul(e, NULL, 10);
}

static long long s_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_check(void)
{
	long long now = s_now_ms(), next = __atomic_load_n(&s_next_check_ms, __ATOMIC_RELAXED);
	struct stat st;
	char num[32];
	int fd, len;

	if (now < next || !__atomic_compare_exchange_n(&s_next_check_ms, &next, now + 20, 0,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&s_active, stat(s_ctl, &st) == 0, __ATOMIC_RELAXED);
	fd = open(s_cnt, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		len = snprintf(num, sizeof(num), "%lu\n", __atomic_load_n(&s_failed, __ATOMIC_RELAXED));
		if (write(fd, num, (size_t)len) < 0)
			(void)0;	/* only a statistic */
		close(fd);
	}
}

/* Should this allocation, called from caller, fail? */
static int s_fail(void *caller)
{
	if (!s_every)
		return 0;
	s_check();
	if (!__atomic_load_n(&s_active, __ATOMIC_RELAXED))
		return 0;
	if (!s_all && !((uintptr_t)caller >= s_lo && (uintptr_t)caller < s_hi))
		return 0;
	if (__atomic_add_fetch(&s_calls, 1, __ATOMIC_RELAXED) % s_every)
		return 0;
	__atomic_add_fetch(&s_failed, 1, __ATOMIC_RELAXED);
	errno = ENOMEM;
	return 1;
}

void *malloc(size_t n)
{
	return s_fail(__builtin_return_address(0)) ? NULL : __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
	return s_fail(__builtin_return_address(0)) ? NULL : __libc_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	/* realloc(p, 0) frees; never fail a shrink to nothing */
	return n && s_fail(__builtin_return_address(0)) ? NULL : __libc_realloc(p, n);
}
#endif
