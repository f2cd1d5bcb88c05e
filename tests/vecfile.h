/*
 * tests/vecfile.h — reading the test vectors in tests/vectors/NAME.vec
 * (format: tests/vectors/README.md: "key: value" lines, '#' comments, a
 * key may repeat). Shared by the unit tests that check vectors
 * (test_vectors: envelopes, test_wire: peer frames). Header-only, like
 * tests/test.h: each test program is one file.
 *
 * Ownership: a vfile's keys and values are malloc'd by vec_load and freed
 * by vec_free.
 */
#ifndef SIGMESH_TESTS_VECFILE_H
#define SIGMESH_TESTS_VECFILE_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sodium.h>

#define VEC_DIR "tests/vectors"
#define VEC_MAX_LINES 128

typedef struct vfile {
	char name[128];
	int n;
	char *key[VEC_MAX_LINES], *val[VEC_MAX_LINES];	/* owned */
} vfile;

/* idx-th value of key, or NULL. */
static inline const char *vec_get(const vfile *v, const char *key, int idx)
{
	for (int i = 0; i < v->n; i++)
		if (strcmp(v->key[i], key) == 0 && idx-- == 0)
			return v->val[i];
	return NULL;
}

static inline int vec_count(const vfile *v, const char *key)
{
	int c = 0;

	while (vec_get(v, key, c))
		c++;
	return c;
}

/* Decimal value of key, UINT64_MAX if absent. */
static inline uint64_t vec_num(const vfile *v, const char *key)
{
	const char *s = vec_get(v, key, 0);

	return s ? strtoull(s, NULL, 10) : UINT64_MAX;
}

/* Hex value of key idx as a fresh malloc'd buffer (caller frees), or NULL
 * if absent or not even-length hex. */
static inline uint8_t *vec_hex(const vfile *v, const char *key, int idx, size_t *n)
{
	const char *h = vec_get(v, key, idx);
	size_t l;
	uint8_t *b;

	*n = 0;
	if (!h || (l = strlen(h)) % 2 || !(b = malloc(l / 2 + 1)))
		return NULL;
	if (sodium_hex2bin(b, l / 2 + 1, h, l, NULL, n, NULL) < 0 || *n != l / 2) {
		free(b);
		return NULL;
	}
	return b;
}

/* Does the hex value of key idx equal p[0..n)? */
static inline bool vec_hex_is(const vfile *v, const char *key, int idx, const uint8_t *p, size_t n)
{
	size_t l;
	uint8_t *b = vec_hex(v, key, idx, &l);
	bool eq = b && l == n && (n == 0 || memcmp(b, p, n) == 0);

	free(b);
	return eq;
}

static inline int vec_load(const char *path, vfile *v)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t l;

	if (!f)
		return -1;
	while ((l = getline(&line, &cap, f)) > 0 && v->n < VEC_MAX_LINES) {
		char *c;
		while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			line[--l] = '\0';
		if (l == 0 || line[0] == '#' || !(c = strstr(line, ": ")))
			continue;
		*c = '\0';
		v->key[v->n] = strdup(line);
		v->val[v->n] = strdup(c + 2);
		v->n++;
	}
	free(line);
	fclose(f);
	return 0;
}

static inline int vec_by_name(const void *a, const void *b)
{
	return strcmp(((const vfile *)a)->name, ((const vfile *)b)->name);
}

/* Load every VEC_DIR/NAME.vec that want(NAME) accepts into vf[0..max),
 * sorted by name; returns how many. */
static inline int vec_load_dir(vfile *vf, int max, bool (*want)(const char *name))
{
	DIR *d = opendir(VEC_DIR);
	struct dirent *de;
	char path[512];
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".vec") != 0 || !want(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", VEC_DIR, de->d_name);
		snprintf(vf[n].name, sizeof(vf[n].name), "%s", de->d_name);
		if (vec_load(path, &vf[n]) == 0)
			n++;
	}
	closedir(d);
	qsort(vf, (size_t)n, sizeof(vf[0]), vec_by_name);
	return n;
}

static inline void vec_free(vfile *vf, int n)
{
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < vf[i].n; j++) {
			free(vf[i].key[j]);
			free(vf[i].val[j]);
		}
		vf[i].n = 0;
	}
}
#endif
