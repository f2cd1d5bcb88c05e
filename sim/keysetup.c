/*
 * sim/keysetup.c — everything a testnet needs on disk before its nodes
 * start, made with the real key and roster code (keys/identity.h,
 * keys/roster.h), exactly as founders would:
 *
 *   BASE/n/NAME/org.key         each organization's secret key (no passphrase:
 *                               throwaway keys in a 0700 temp dir)
 *   BASE/rosters/SIG.roster     each SIG's genesis entry, signed by every
 *                               founding member, with each member's endpoint
 *   BASE/n/NAME.conf            the node's INI config (node/config.h)
 *
 * The rosters directory is shared by all nodes: rosters are public.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "keys/identity.h"
#include "keys/roster.h"
#include "sim/sim.h"

static int s_mkdir(const char *path, sm_err *err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return sm_fail(err, SM_EIO, "mkdir %s: %s", path, strerror(errno));
	return 0;
}

/* Testnets above this many nodes run without seed links: at scale-1000
 * (1,000 processes on 2 cores) their 16,000 connections, on top of the
 * neighbours', kept the nodes redialling while they started: after 31
 * minutes 3,000 connections were up, against 22,000 after 4 minutes
 * without (bench/NOTES.md; on that machine scale-1000 does not come up
 * even so, for want of CPU). On machines of their own, nodes keep them. */
#define SIM_SEED_LINKS_MAX_NODES 300

static int s_write_conf(const sim_node *nd, const char *rosters, int active_peers,
    int recon_ms, const char *log_level, bool no_seeds, sm_err *err)
{
	FILE *f = fopen(nd->conf, "w");

	if (!f)
		return sm_fail(err, SM_EIO, "%s: %s", nd->conf, strerror(errno));
	fprintf(f,
	    "; written by sigmesh-sim for organization %s\n"
	    "[node]\n"
	    "data_dir = %s\n"
	    "key_file = %s/org.key\n"
	    "rosters = %s\n"
	    "listen = tcp://%s:%d\n"
	    "log_level = %s\n"
	    "map_size_mb = 256\n"
	    "active_peers = %d\n"
	    "; by default a testnet heals in seconds, not the production half-minute\n"
	    "recon_interval_ms = %d\n",
	    nd->name, nd->dir, nd->dir, rosters, nd->host, nd->port,
	    log_level ? log_level : "warn", active_peers,
	    recon_ms > 0 ? recon_ms : 2000);
	if (no_seeds)
		fprintf(f, "; too many nodes on one machine to keep seed links (sim/keysetup.c)\n"
		    "seed_links = 0\n");
	if (fclose(f) != 0)
		return sm_fail(err, SM_EIO, "%s: write failed", nd->conf);
	return 0;
}

int keysetup_create(testnet *t, const profile *p, sm_err *err)
{
	char path[SIM_MAX_PATH * 2 + 160], rosters[SIM_MAX_PATH + 16];
	identity_t **ids = NULL;
	roster_member *mem = NULL;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/n", t->base);
	snprintf(rosters, sizeof(rosters), "%s/rosters", t->base);
	if (s_mkdir(path, err) < 0 || s_mkdir(rosters, err) < 0)
		return -1;
	ids = calloc((size_t)p->n_orgs, sizeof(*ids));
	mem = calloc((size_t)p->n_orgs, sizeof(*mem));
	if (!ids || !mem) {
		sm_fail(err, SM_ENOMEM, "keysetup: out of memory");
		goto out;
	}
	for (int i = 0; i < p->n_orgs; i++) {
		sim_node *nd = &t->nodes[i];

		if (s_mkdir(nd->dir, err) < 0)
			goto out;
		ids[i] = identity_generate(nd->name, err);
		if (!ids[i])
			goto out;
		snprintf(path, sizeof(path), "%s/org.key", nd->dir);
		if (identity_save(ids[i], path, NULL, true, err) < 0)
			goto out;
		if (s_write_conf(nd, rosters, p->active_peers, t->recon_ms, t->log_level,
		    p->n_orgs > SIM_SEED_LINKS_MAX_NODES, err) < 0)
			goto out;
	}
	for (int s = 0; s < p->n_sigs; s++) {
		const prof_sig *g = &p->sigs[s];
		uint8_t *entry = NULL, *next;
		size_t len = 0, nlen;
		roster_t *r = NULL;

		for (int k = 0; k < g->n_members; k++) {
			const sim_node *nd = &t->nodes[g->members[k]];
			char ep[64];
			size_t clen = 0;
			uint8_t *card = identity_card(ids[g->members[k]], &clen, err);
			int r2;

			/* the relay port, when a relay delays links: the node listens
			 * on its real port behind it */
			snprintf(ep, sizeof(ep), "tcp://%s:%d", nd->host,
			    nd->roster_port > 0 ? nd->roster_port : nd->port);
			r2 = card ? roster_member_from_card(&mem[k], card, clen, ep, err) : -1;
			free(card);
			if (r2 < 0) {
				sm_wrap(err, "roster %s: ", g->name);
				goto out;
			}
		}
		entry = roster_genesis(g->name, mem, (uint32_t)g->n_members, 0, false,
		    (uint64_t)sim_now_ms(), &len, err);
		/* every founder signs the genesis entry */
		for (int k = 0; entry && k < g->n_members; k++) {
			next = roster_approve(entry, len, ids[g->members[k]], &nlen, err);
			free(entry);
			entry = next;
			len = nlen;
		}
		if (entry && (r = roster_new())) {
			snprintf(path, sizeof(path), "%s/%s.roster", rosters, g->name);
			if (roster_append(r, entry, len, err) == 0 && roster_save(r, path, err) == 0)
				rc = 0;
			else
				rc = -1;
		} else {
			rc = -1;
		}
		free(entry);
		roster_destroy(&r);
		if (rc < 0) {
			sm_wrap(err, "roster %s: ", g->name);
			goto out;
		}
	}
	rc = 0;
out:
	for (int i = 0; ids && i < p->n_orgs; i++)
		identity_destroy(&ids[i]);
	free(ids);
	free(mem);
	return rc;
}
