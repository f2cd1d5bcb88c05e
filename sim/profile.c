/*
 * sim/profile.c — the shape of a community: its SIGs, how many
 * organizations each has, which organizations bridge two SIGs.
 *
 * Profile text format (one directive per line, '#' starts a comment):
 *
 *   name jcsip-2014            a label for the reports
 *   active_peers 4             eager-push peers per node and SIG (optional)
 *   sig chemical 15            a SIG and how many organizations call it home
 *   bridge chemical oil 1      1 organization of chemical is also in oil
 *
 * Organizations are named after their home SIG ("chemical-03"). The total
 * number of organizations is the sum of the sig sizes; a bridge adds a
 * membership, not an organization (the last home members of the first SIG
 * that are not yet bridging are chosen, so a profile always yields the same
 * community). SIG names are [a-z0-9-], at most 40 characters.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/sim.h"

#define PROF_MAX_SIGS 512
#define PROF_MAX_ORGS 20000
#define PROF_MAX_BRIDGES 1024

void profile_clear(profile *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n_sigs; i++)
		free(p->sigs[i].members);
	free(p->sigs);
	free(p->orgs);
	memset(p, 0, sizeof(*p));
}

static bool s_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 40)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return false;
	return true;
}

int profile_find_sig(const profile *p, const char *name)
{
	for (int i = 0; i < p->n_sigs; i++)
		if (strcmp(p->sigs[i].name, name) == 0)
			return i;
	return -1;
}

bool profile_is_member(const profile *p, int org, int sig)
{
	const prof_org *o = &p->orgs[org];

	for (int k = 0; k < o->n_sigs; k++)
		if (o->sigs[k] == sig)
			return true;
	return false;
}

int profile_bridges(const profile *p)
{
	int n = 0;

	for (int i = 0; i < p->n_orgs; i++)
		n += p->orgs[i].n_sigs > 1;
	return n;
}

/* After sigs[] (with n_home) and the bridge memberships are in orgs[],
 * build each SIG's member list. */
static int s_finish(profile *p, sm_err *err)
{
	for (int s = 0; s < p->n_sigs; s++) {
		prof_sig *g = &p->sigs[s];
		int n = 0;

		for (int o = 0; o < p->n_orgs; o++)
			n += profile_is_member(p, o, s);
		g->members = calloc(n ? n : 1, sizeof(int));
		if (!g->members)
			return sm_fail(err, SM_ENOMEM, "profile: out of memory");
		g->n_members = 0;
		for (int o = 0; o < p->n_orgs; o++)
			if (profile_is_member(p, o, s))
				g->members[g->n_members++] = o;
	}
	if (p->active_peers <= 0)
		p->active_peers = 4;
	return 0;
}

/* Create the organizations once all sig sizes are known. */
static int s_make_orgs(profile *p, sm_err *err)
{
	int total = 0;

	for (int s = 0; s < p->n_sigs; s++)
		total += p->sigs[s].n_home;
	if (total < 2 || total > PROF_MAX_ORGS)
		return sm_fail(err, SM_EBOUND, "profile: %d organizations (2..%d)",
		    total, PROF_MAX_ORGS);
	p->orgs = calloc(total, sizeof(prof_org));
	if (!p->orgs)
		return sm_fail(err, SM_ENOMEM, "profile: out of memory");
	for (int s = 0; s < p->n_sigs; s++) {
		for (int k = 0; k < p->sigs[s].n_home; k++) {
			prof_org *o = &p->orgs[p->n_orgs++];

			snprintf(o->name, sizeof(o->name), "%.40s-%02d", p->sigs[s].name, k + 1);
			o->home = s;
			o->n_sigs = 1;
			o->sigs[0] = s;
		}
	}
	return 0;
}

static int s_bridge(profile *p, int a, int b, int k, sm_err *err)
{
	int done = 0;

	if (a == b)
		return sm_fail(err, SM_EINVAL, "bridge: a SIG cannot bridge to itself");
	for (int o = p->n_orgs - 1; o >= 0 && done < k; o--) {
		prof_org *g = &p->orgs[o];

		if (g->home != a || g->n_sigs != 1)
			continue;
		g->sigs[g->n_sigs++] = b;
		done++;
	}
	if (done < k)
		return sm_fail(err, SM_EBOUND, "bridge %s %s %d: %s has only %d free organizations",
		    p->sigs[a].name, p->sigs[b].name, k, p->sigs[a].name, done);
	return 0;
}

int profile_parse(profile *p, const char *text, sm_err *err)
{
	struct { int a, b, k, line; } br[PROF_MAX_BRIDGES];
	int n_br = 0, line = 0, rc = -1;
	char *copy = strdup(text), *save = NULL, *ln;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "unnamed");
	if (!copy)
		return sm_fail(err, SM_ENOMEM, "profile: out of memory");
	p->sigs = calloc(PROF_MAX_SIGS, sizeof(prof_sig));
	if (!p->sigs) {
		sm_fail(err, SM_ENOMEM, "profile: out of memory");
		goto out;
	}
	for (ln = strtok_r(copy, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		char w[4][128];
		char *hash = strchr(ln, '#');
		int nw;

		line++;
		if (hash)
			*hash = '\0';
		nw = sscanf(ln, "%127s %127s %127s %127s", w[0], w[1], w[2], w[3]);
		if (nw <= 0)
			continue;
		if (strcmp(w[0], "name") == 0 && nw == 2) {
			snprintf(p->name, sizeof(p->name), "%.60s", w[1]);
		} else if (strcmp(w[0], "active_peers") == 0 && nw == 2) {
			p->active_peers = atoi(w[1]);
			if (p->active_peers < 1 || p->active_peers > 64) {
				sm_fail(err, SM_EBOUND, "profile line %d: active_peers 1..64", line);
				goto out;
			}
		} else if (strcmp(w[0], "sig") == 0 && nw == 3) {
			int n = atoi(w[2]);

			if (!s_name_ok(w[1]) || profile_find_sig(p, w[1]) >= 0) {
				sm_fail(err, SM_EINVAL, "profile line %d: bad or repeated SIG name '%s'", line, w[1]);
				goto out;
			}
			if (n < 1 || n > 1000 || p->n_sigs >= PROF_MAX_SIGS) {
				sm_fail(err, SM_EBOUND, "profile line %d: SIG size 1..1000, at most %d SIGs",
				    line, PROF_MAX_SIGS);
				goto out;
			}
			snprintf(p->sigs[p->n_sigs].name, SIM_MAX_NAME, "%.40s", w[1]);
			p->sigs[p->n_sigs++].n_home = n;
		} else if (strcmp(w[0], "bridge") == 0 && nw == 4) {
			if (n_br >= PROF_MAX_BRIDGES) {
				sm_fail(err, SM_EBOUND, "profile line %d: too many bridges", line);
				goto out;
			}
			br[n_br].a = profile_find_sig(p, w[1]);
			br[n_br].b = profile_find_sig(p, w[2]);
			br[n_br].k = atoi(w[3]);
			br[n_br].line = line;
			if (br[n_br].a < 0 || br[n_br].b < 0 || br[n_br].k < 1) {
				sm_fail(err, SM_EINVAL, "profile line %d: bridge needs two declared SIGs and a count >= 1", line);
				goto out;
			}
			n_br++;
		} else {
			sm_fail(err, SM_EINVAL, "profile line %d: unknown directive '%s'", line, w[0]);
			goto out;
		}
	}
	if (p->n_sigs < 1) {
		sm_fail(err, SM_EINVAL, "profile: no SIGs");
		goto out;
	}
	if (s_make_orgs(p, err) < 0)
		goto out;
	for (int i = 0; i < n_br; i++) {
		if (s_bridge(p, br[i].a, br[i].b, br[i].k, err) < 0) {
			sm_wrap(err, "profile line %d: ", br[i].line);
			goto out;
		}
	}
	rc = s_finish(p, err);
out:
	free(copy);
	if (rc < 0)
		profile_clear(p);
	return rc;
}

/* N organizations in N/25 SIGs of about 25; SIG i bridges to SIG i+1 with
 * one organization, except the last SIG, which has no bridge. */
int profile_scale(profile *p, int n, sm_err *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int n_sigs, rc;

	if (n < 4 || n > PROF_MAX_ORGS)
		return sm_fail(err, SM_EBOUND, "scale-%d: between 4 and %d organizations", n, PROF_MAX_ORGS);
	n_sigs = n / 25 > 0 ? n / 25 : 1;
	if (n_sigs > PROF_MAX_SIGS)
		n_sigs = PROF_MAX_SIGS;
	f = open_memstream(&text, &len);
	if (!f)
		return sm_fail(err, SM_ENOMEM, "profile: out of memory");
	fprintf(f, "name scale-%d\nactive_peers 4\n", n);
	for (int i = 0; i < n_sigs; i++)
		fprintf(f, "sig s%03d %d\n", i, n / n_sigs + (i < n % n_sigs));
	for (int i = 0; i + 2 < n_sigs; i++)
		fprintf(f, "bridge s%03d s%03d 1\n", i, i + 1);
	fclose(f);
	rc = profile_parse(p, text, err);
	free(text);
	return rc;
}

int profile_load(profile *p, const char *spec, sm_err *err)
{
	char *text = NULL;
	long len;
	FILE *f;
	int rc;

	if (strncmp(spec, "scale-", 6) == 0) {
		char *end;
		long n = strtol(spec + 6, &end, 10);

		if (*end || end == spec + 6)
			return sm_fail(err, SM_EINVAL, "profile '%s': expected scale-N", spec);
		return profile_scale(p, (int)n, err);
	}
	f = fopen(spec, "r");
	if (!f)
		return sm_fail(err, SM_EIO, "profile %s: %s", spec, strerror(errno));
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || len > 1 << 20 ||
	    fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return sm_fail(err, SM_EBOUND, "profile %s: unreadable or over 1 MiB", spec);
	}
	text = calloc(1, len + 1);
	if (!text || fread(text, 1, len, f) != (size_t)len) {
		fclose(f);
		free(text);
		return sm_fail(err, SM_EIO, "profile %s: read failed", spec);
	}
	fclose(f);
	rc = profile_parse(p, text, err);
	free(text);
	if (rc < 0)
		sm_wrap(err, "%s: ", spec);
	return rc;
}
