/*
 * tests/test.h — the smallest test harness that does the job.
 *
 * A test program is a main() that calls TEST(name) { ... } blocks through
 * RUN(fn). Each CHECK that fails prints "FAIL name: file:line: expr" and
 * marks the case failed; a case with no failed CHECK prints "PASS name".
 * tests/run.sh counts those lines. A case must CHECK something: a case that
 * ran no CHECK at all is reported as a failure, so an empty test cannot pass.
 */
#ifndef SIGMESH_TEST_H
#define SIGMESH_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed_cases;	/* cases with at least one failed CHECK */
static int t_case_failed;	/* current case has failed */
static int t_case_checks;	/* CHECKs evaluated in the current case */
static const char *t_case_name;

#define CHECK(expr) do { \
	t_case_checks++; \
	if (!(expr)) { \
		if (!t_case_failed) \
			printf("FAIL %s: %s:%d: %s\n", t_case_name, __FILE__, __LINE__, #expr); \
		else \
			printf("  also %s:%d: %s\n", __FILE__, __LINE__, #expr); \
		t_case_failed = 1; \
	} \
} while (0)

/* CHECK that prints a formatted detail on failure. */
#define CHECKF(expr, ...) do { \
	t_case_checks++; \
	if (!(expr)) { \
		printf("FAIL %s: %s:%d: %s: ", t_case_name, __FILE__, __LINE__, #expr); \
		printf(__VA_ARGS__); \
		printf("\n"); \
		t_case_failed = 1; \
	} \
} while (0)

#define RUN(fn) do { \
	t_case_name = #fn; t_case_failed = 0; t_case_checks = 0; \
	fn(); \
	if (!t_case_failed && t_case_checks == 0) { \
		printf("FAIL %s: checked nothing\n", #fn); \
		t_case_failed = 1; \
	} \
	if (t_case_failed) t_failed_cases++; \
	else printf("PASS %s\n", #fn); \
	fflush(stdout); \
} while (0)

#define TEST_EXIT() return t_failed_cases ? 1 : 0

/* Path of the shared data folder (../shared by default, $SHARED if set). */
static inline const char *test_shared_dir(void)
{
	const char *s = getenv("SHARED");
	return s && *s ? s : "../shared";
}

#endif
