/*
 * proto/tlp.c — the TLP rules of proto/tlp.h and PROTOCOL.md §9.
 *
 * Every function here is a pure predicate over a decoded report, its
 * releases and a membership oracle. They fail closed: an unknown label, a
 * malformed audience or a release that does not fit the label grants
 * nothing (the originator alone stays entitled to its own report).
 */
#include <string.h>
#include <strings.h>
#include "proto/tlp.h"

static const char *const names[] = {
	[SM_TLP_CLEAR] = "TLP:CLEAR",
	[SM_TLP_GREEN] = "TLP:GREEN",
	[SM_TLP_AMBER] = "TLP:AMBER",
	[SM_TLP_AMBER_STRICT] = "TLP:AMBER+STRICT",
	[SM_TLP_RED] = "TLP:RED",
};

const char *tlp_name(uint8_t tlp)
{
	return tlp <= SM_TLP_RED ? names[tlp] : NULL;
}

int tlp_parse(const char *s, uint8_t *tlp)
{
	if (!s || !tlp)
		return -1;
	if (strncasecmp(s, "TLP:", 4) == 0)
		s += 4;
	for (uint8_t i = 0; i <= SM_TLP_RED; i++) {
		if (strcasecmp(s, names[i] + 4) == 0) {
			*tlp = i;
			return 0;
		}
	}
	return -1;
}

/* Strictly ascending, hence unique. */
static bool ids_sorted(uint8_t (*ids)[SM_ID_LEN], uint32_t n)
{
	if (n && !ids)
		return false;
	for (uint32_t i = 1; i < n; i++)
		if (memcmp(ids[i - 1], ids[i], SM_ID_LEN) >= 0)
			return false;
	return true;
}

static bool set_why(const char **why, const char *s)
{
	if (why)
		*why = s;
	return false;
}

bool tlp_audience_ok(uint8_t tlp, const sm_audience *aud,
    const sm_roster_ref *rosters, uint32_t n_rosters, const char **why)
{
	if (!aud)
		return set_why(why, "no audience");
	if (!ids_sorted(aud->orgs, aud->n_orgs) || !ids_sorted(aud->sigs, aud->n_sigs))
		return set_why(why, "organizations or SIGs not sorted and unique");
	switch (tlp) {
	case SM_TLP_CLEAR:
	case SM_TLP_GREEN:
		if (!aud->federation || aud->n_orgs || aud->n_sigs || n_rosters)
			return set_why(why, "TLP:CLEAR and TLP:GREEN go to the whole federation and name nobody");
		return true;
	case SM_TLP_AMBER:
	case SM_TLP_AMBER_STRICT:
		if (aud->federation)
			return set_why(why, "TLP:AMBER may not go to the whole federation");
		if (aud->n_orgs == 0 && aud->n_sigs == 0)
			return set_why(why, "empty audience");
		break;
	case SM_TLP_RED:
		if (aud->federation || aud->n_sigs)
			return set_why(why, "TLP:RED goes to named organizations only");
		if (aud->n_orgs == 0)
			return set_why(why, "empty audience");
		break;
	default:
		return set_why(why, "unknown TLP label");
	}
	if (n_rosters != aud->n_sigs || (n_rosters && !rosters))
		return set_why(why, "not exactly one roster version per SIG");
	for (uint32_t i = 0; i < n_rosters; i++)
		if (memcmp(rosters[i].sig, aud->sigs[i], SM_ID_LEN) != 0)
			return set_why(why, "roster versions do not match the SIGs");
	return true;
}

bool tlp_release_ok(uint8_t tlp, const sm_audience *add, const char **why)
{
	if (!add)
		return set_why(why, "nothing added");
	if (add->federation)
		return set_why(why, "a release never adds the whole federation");
	if (!ids_sorted(add->orgs, add->n_orgs) || !ids_sorted(add->sigs, add->n_sigs))
		return set_why(why, "organizations or SIGs not sorted and unique");
	switch (tlp) {
	case SM_TLP_AMBER:
	case SM_TLP_AMBER_STRICT:
		if (add->n_orgs == 0 && add->n_sigs == 0)
			return set_why(why, "nothing added");
		return true;
	case SM_TLP_RED:
		if (add->n_sigs)
			return set_why(why, "TLP:RED may be released to named organizations only");
		if (add->n_orgs == 0)
			return set_why(why, "nothing added");
		return true;
	case SM_TLP_CLEAR:
	case SM_TLP_GREEN:
		return set_why(why, "TLP:CLEAR and TLP:GREEN already reach the federation");
	default:
		return set_why(why, "unknown TLP label");
	}
}

bool tlp_may_widen(uint8_t tlp)
{
	return tlp == SM_TLP_AMBER || tlp == SM_TLP_AMBER_STRICT || tlp == SM_TLP_RED;
}

static bool member(const sm_members *m, const uint8_t *sig, uint64_t version,
    const uint8_t org[SM_ID_LEN])
{
	return m && m->is_member && m->is_member(m->ctx, sig, version, org);
}

/* Does this audience (with its roster refs) name org? */
static bool aud_grants(const sm_audience *a, const sm_roster_ref *r, uint32_t nr,
    const uint8_t org[SM_ID_LEN], const sm_members *m)
{
	if (msg_audience_has_org(a, org))
		return true;
	for (uint32_t i = 0; i < nr; i++)
		if (msg_audience_has_sig(a, r[i].sig) && member(m, r[i].sig, r[i].version, org))
			return true;
	return false;
}

static bool is_originator(const sm_report *r, const uint8_t org[SM_ID_LEN])
{
	return sodium_memcmp(r->h.originator, org, SM_ID_LEN) == 0;
}

bool tlp_may_receive(const sm_report *r, const sm_release *const *rel,
    size_t n_rel, const uint8_t org[SM_ID_LEN], const sm_members *m)
{
	if (!r || !org)
		return false;
	if (is_originator(r, org))
		return true;
	if (!tlp_audience_ok(r->tlp, &r->aud, r->rosters, r->n_rosters, NULL))
		return false;
	if (r->aud.federation)
		return member(m, NULL, 0, org);
	if (aud_grants(&r->aud, r->rosters, r->n_rosters, org, m))
		return true;
	for (size_t i = 0; rel && i < n_rel; i++) {
		const sm_release *x = rel[i];
		/* Only the originator can widen its report, and only as far as
		 * the label allows. */
		if (!x || memcmp(x->h.originator, r->h.originator, SM_ID_LEN) != 0 ||
		    !tlp_release_ok(r->tlp, &x->add, NULL))
			continue;
		if (aud_grants(&x->add, x->rosters, x->n_rosters, org, m))
			return true;
	}
	return false;
}

bool tlp_may_forward(const sm_report *r, const sm_release *const *rel,
    size_t n_rel, const uint8_t from[SM_ID_LEN], const uint8_t to[SM_ID_LEN],
    const sm_members *m)
{
	if (!r || !from || !to)
		return false;
	if (r->tlp == SM_TLP_RED && !is_originator(r, from))
		return false;
	return tlp_may_receive(r, rel, n_rel, from, m) &&
	    tlp_may_receive(r, rel, n_rel, to, m);
}

bool tlp_shared(const sm_report *r, const sm_release *const *rel,
    size_t n_rel, const uint8_t a[SM_ID_LEN], const uint8_t b[SM_ID_LEN],
    const sm_members *m)
{
	if (!r || !a || !b)
		return false;
	if (r->tlp == SM_TLP_RED && !is_originator(r, a) && !is_originator(r, b))
		return false;
	return tlp_may_receive(r, rel, n_rel, a, m) &&
	    tlp_may_receive(r, rel, n_rel, b, m);
}

bool tlp_may_export(uint8_t tlp, enum sm_export_dest dest)
{
	switch (tlp) {
	case SM_TLP_CLEAR: return dest <= SM_DEST_PUBLIC;
	case SM_TLP_GREEN: return dest <= SM_DEST_COMMUNITY;
	case SM_TLP_AMBER: return dest <= SM_DEST_CLIENTS;
	case SM_TLP_AMBER_STRICT: return dest == SM_DEST_INTERNAL;
	default: return false;	/* RED and unknown labels never leave */
	}
}

bool tlp_may_feed(uint8_t tlp)
{
	return tlp <= SM_TLP_AMBER_STRICT;
}
