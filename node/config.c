/*
 * node/config.c — sigmeshd's INI configuration, parsed with inih; see
 * config.h for the keys.
 */
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "node/config.h"
#include "node/log.h"

struct parse_ctx {
	config *c;
	const char *base;	/* directory of the file, for relative paths */
	sm_err *err;
};

static int set_path(struct parse_ctx *p, char *dst, size_t cap, const char *v)
{
	int n;

	if (v[0] == '/' || !p->base || !p->base[0])
		n = snprintf(dst, cap, "%s", v);
	else
		n = snprintf(dst, cap, "%s/%s", p->base, v);
	if (n < 0 || (size_t)n >= cap)
		return sm_fail(p->err, SM_EBOUND, "path too long");
	return 0;
}

static int set_uint(struct parse_ctx *p, const char *key, const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x;

	x = strtoull(v, &end, 10);
	if (!*v || *end || v[0] == '-' || x > max)
		return sm_fail(p->err, SM_EINVAL, "%s must be a number up to %llu",
		    key, (unsigned long long)max);
	*out = x;
	return 0;
}

/* Split "a, b, c" into the anonymization list. */
static int set_list(struct parse_ctx *p, const char *v)
{
	const char *s = v;

	while (*s) {
		while (*s == ' ' || *s == ',')
			s++;
		const char *e = s;
		while (*e && *e != ',')
			e++;
		size_t n = e - s;
		while (n && s[n - 1] == ' ')
			n--;
		if (n) {
			if (p->c->n_anon >= CONFIG_MAX_ANON || n >= sizeof(p->c->anon[0]))
				return sm_fail(p->err, SM_EBOUND, "anonymize list too long");
			memcpy(p->c->anon[p->c->n_anon], s, n);
			p->c->anon[p->c->n_anon++][n] = '\0';
		}
		s = e;
	}
	return 0;
}

static int handler(void *user, const char *section, const char *key, const char *v)
{
	struct parse_ctx *p = user;
	config *c = p->c;
	uint64_t u;
	int rc = 0;

	if (!key)		/* a section header alone */
		goto check_section;
	if (!strcmp(section, "node")) {
		if (!strcmp(key, "data_dir"))
			rc = set_path(p, c->data_dir, sizeof(c->data_dir), v);
		else if (!strcmp(key, "key_file"))
			rc = set_path(p, c->key_file, sizeof(c->key_file), v);
		else if (!strcmp(key, "passphrase_file"))
			rc = set_path(p, c->passphrase_file, sizeof(c->passphrase_file), v);
		else if (!strcmp(key, "rosters"))
			rc = set_path(p, c->rosters, sizeof(c->rosters), v);
		else if (!strcmp(key, "listen"))
			rc = snprintf(c->listen, sizeof(c->listen), "%s", v) >= (int)sizeof(c->listen) ?
			    sm_fail(p->err, SM_EBOUND, "listen too long") : 0;
		else if (!strcmp(key, "control"))
			rc = snprintf(c->control, sizeof(c->control), "%s", v) >= (int)sizeof(c->control) ?
			    sm_fail(p->err, SM_EBOUND, "control too long") : 0;
		else if (!strcmp(key, "feed"))
			rc = snprintf(c->feed, sizeof(c->feed), "%s", v) >= (int)sizeof(c->feed) ?
			    sm_fail(p->err, SM_EBOUND, "feed too long") : 0;
		else if (!strcmp(key, "log_level")) {
			c->log_level = log_parse_level(v);
			if (c->log_level < 0)
				rc = sm_fail(p->err, SM_EINVAL, "log_level must be error, warn, info or debug");
		} else if (!strcmp(key, "map_size_mb")) {
			rc = set_uint(p, key, v, 1u << 20, &u);
			c->map_size_mb = u;
		} else if (!strcmp(key, "active_peers")) {
			rc = set_uint(p, key, v, 64, &u);
			c->active_peers = (uint32_t)u;
		} else if (!strcmp(key, "recon_interval_ms")) {
			rc = set_uint(p, key, v, 24u * 3600 * 1000, &u);
			c->recon_interval_ms = (uint32_t)u;
		} else if (!strcmp(key, "seed_links")) {
			rc = set_uint(p, key, v, 256, &u);
			c->seed_links = (uint32_t)u;
		} else if (!strcmp(key, "anonymize"))
			rc = set_list(p, v);
		else
			rc = sm_fail(p->err, SM_EINVAL, "unknown key '%s' in [node]", key);
	} else if (!strcmp(section, "peer")) {
		/* inih does not report section headers: each [peer] starts
		 * with its org, which opens the entry its endpoint fills */
		struct config_peer *cp = c->n_peers ? &c->peers[c->n_peers - 1] : NULL;
		if (!strcmp(key, "org")) {
			if (c->n_peers >= CONFIG_MAX_PEERS)
				rc = sm_fail(p->err, SM_EBOUND, "more than %d [peer] sections", CONFIG_MAX_PEERS);
			else if (!*v || strlen(v) >= sizeof(cp->org))
				rc = sm_fail(p->err, SM_EBOUND, "[peer] org must be 1 to %zu characters",
				    sizeof(cp->org) - 1);
			else {
				cp = &c->peers[c->n_peers++];
				memset(cp, 0, sizeof(*cp));
				strcpy(cp->org, v);
			}
		} else if (!strcmp(key, "endpoint")) {
			if (!cp || cp->endpoint[0])
				rc = sm_fail(p->err, SM_EINVAL, "[peer] endpoint without its org first");
			else if (strncmp(v, "tcp://", 6) || strlen(v) <= 6 || !strchr(v + 6, ':') ||
			    strlen(v) >= sizeof(cp->endpoint))
				rc = sm_fail(p->err, SM_EINVAL, "[peer] endpoint '%.64s' is not tcp://HOST:PORT", v);
			else
				strcpy(cp->endpoint, v);
		} else
			rc = sm_fail(p->err, SM_EINVAL, "unknown key '%s' in [peer]", key);
	} else {
check_section:
		if (strcmp(section, "node") && strcmp(section, "peer"))
			rc = sm_fail(p->err, SM_EINVAL, "unknown section [%s]", section);
	}
	return rc == 0;
}

static void defaults(config *c)
{
	memset(c, 0, sizeof(*c));
	c->log_level = LOG_INFO;
	c->map_size_mb = 4096;
	c->active_peers = 6;
	c->recon_interval_ms = 30000;
	c->seed_links = CONFIG_SEED_LINKS;
}

static int finish(config *c, sm_err *err)
{
	for (size_t i = 0; i < c->n_peers; i++)
		if (!c->peers[i].endpoint[0])
			return sm_fail(err, SM_EINVAL, "config: [peer] org = %s has no endpoint", c->peers[i].org);
	if (!c->data_dir[0])
		return sm_fail(err, SM_EINVAL, "config: [node] data_dir is required");
	if (!c->key_file[0])
		return sm_fail(err, SM_EINVAL, "config: [node] key_file is required");
	if (!c->rosters[0])
		return sm_fail(err, SM_EINVAL, "config: [node] rosters is required");
	if (!c->control[0] &&
	    snprintf(c->control, sizeof(c->control), "ipc://%s/control.sock", c->data_dir) >= (int)sizeof(c->control))
		return sm_fail(err, SM_EBOUND, "config: data_dir too long for the control socket");
	if (!c->feed[0] &&
	    snprintf(c->feed, sizeof(c->feed), "ipc://%s/feed.sock", c->data_dir) >= (int)sizeof(c->feed))
		return sm_fail(err, SM_EBOUND, "config: data_dir too long for the feed socket");
	return 0;
}

int config_parse(config *c, const char *text, const char *base_dir, sm_err *err)
{
	struct parse_ctx p = { c, base_dir, err };
	int rc;

	defaults(c);
	rc = ini_parse_string(text, handler, &p);
	if (rc > 0) {
		/* inih stops at the first line the handler refused (or could
		 * not parse) and returns its number */
		if (!err || err->code == SM_OK)
			return sm_fail(err, SM_EMALFORMED, "config line %d: not 'key = value' or '[section]'", rc);
		return sm_wrap(err, "config line %d: ", rc);
	}
	if (rc < 0)
		return sm_fail(err, SM_ENOMEM, "config: out of memory");
	return finish(c, err);
}

int config_load(config *c, const char *path, sm_err *err)
{
	char base[PATH_MAX], *slash;
	FILE *f;
	long n;
	char *text = NULL;
	int rc = -1;

	if (!(f = fopen(path, "r")))
		return sm_fail(err, SM_EIO, "config %s: cannot open", path);
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || n > 1 << 20 || fseek(f, 0, SEEK_SET) < 0) {
		sm_fail(err, SM_EBOUND, "config %s: unreadable or over 1 MiB", path);
		goto out;
	}
	if (!(text = malloc(n + 1)) || fread(text, 1, n, f) != (size_t)n) {
		sm_fail(err, SM_EIO, "config %s: read failed", path);
		goto out;
	}
	text[n] = '\0';
	if (!realpath(path, base))
		snprintf(base, sizeof(base), "%s", path);
	if ((slash = strrchr(base, '/')))
		*slash = '\0';
	rc = config_parse(c, text, base, err);
	if (rc == 0)
		snprintf(c->path, sizeof(c->path), "%s", path);
	else
		sm_wrap(err, "%s: ", path);
out:
	free(text);
	fclose(f);
	return rc;
}
