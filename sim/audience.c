/*
 * sim/audience.c — who is entitled to an object, from the profile alone.
 *
 * This is deliberately a second, independent reading of CONTEXT.md's TLP
 * table, written from the simulator's own indices rather than from
 * proto/tlp.c: if the two disagree, the run shows leaks or losses.
 *   CLEAR, GREEN          the whole federation
 *   AMBER, AMBER+STRICT   members of the named SIGs, the named orgs,
 *                         and whatever the originator released later
 *   RED                   the named orgs (and orgs released to later)
 *   always                the originator
 */
#include <string.h>
#include "sim/sim.h"

static const char *const tlp_names[TLP_N] = {
	"clear", "green", "amber", "amber+strict", "red",
};
static const char *const tlp_labels[TLP_N] = {
	"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED",
};

const char *sim_tlp_name(int tlp)
{
	return tlp >= 0 && tlp < TLP_N ? tlp_names[tlp] : "?";
}

const char *sim_tlp_label(int tlp)
{
	return tlp >= 0 && tlp < TLP_N ? tlp_labels[tlp] : "?";
}

bool aud_has_sig(const sim_aud *a, int sig)
{
	for (int i = 0; i < a->n_sigs; i++)
		if (a->sigs[i] == sig)
			return true;
	return false;
}

bool aud_has_org(const sim_aud *a, int org)
{
	for (int i = 0; i < a->n_orgs; i++)
		if (a->orgs[i] == org)
			return true;
	return false;
}

static void s_add(const profile *p, int tlp, const sim_aud *a, uint8_t *out)
{
	if (tlp != TLP_RED) {
		for (int s = 0; s < a->n_sigs; s++) {
			const prof_sig *g = &p->sigs[a->sigs[s]];

			for (int k = 0; k < g->n_members; k++)
				out[g->members[k]] = 1;
		}
	}
	for (int k = 0; k < a->n_orgs; k++)
		out[a->orgs[k]] = 1;
}

void audience_expected(const profile *p, int tlp, const sim_aud *base,
    const sim_aud *rel, int n_rel, int originator, uint8_t *out)
{
	memset(out, 0, p->n_orgs);
	if (tlp == TLP_CLEAR || tlp == TLP_GREEN) {
		memset(out, 1, p->n_orgs);
		return;
	}
	s_add(p, tlp, base, out);
	for (int i = 0; i < n_rel; i++)
		s_add(p, tlp, &rel[i], out);
	if (originator >= 0 && originator < p->n_orgs)
		out[originator] = 1;
}

int audience_count(const uint8_t *set, int n)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += set[i] != 0;
	return c;
}
