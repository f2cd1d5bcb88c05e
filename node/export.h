/*
 * node/export.h — indicators out of sigmesh, into the tools analysts run:
 * STIX 2.1 bundles, MISP event JSON, and CSV.
 *
 * The input is plain data (export_item), so export needs neither a running
 * node nor a store: the caller decrypts what it may read and passes it in.
 * Output is deterministic: the same items give the same bytes (sorted keys,
 * ids derived with UUIDv5 from report ids and values, no clock reads), so a
 * re-export updates objects in the receiving tool instead of duplicating
 * them.
 *
 * TLP is honoured here, not by the caller: an item whose label may not leave
 * the node for the destination is left out (tlp_may_export). Without
 * opts.internal the destination is the organization's clients
 * (SM_DEST_CLIENTS): AMBER+STRICT and RED are left out. With opts.internal
 * (the file stays inside the organization, e.g. its own SIEM) AMBER+STRICT
 * is included; RED never is, because TLP:RED may not be passed on to anyone,
 * not even colleagues (proto/tlp.h: "RED never").
 *
 * Retracted reports are left out of MISP and CSV; in STIX they are kept
 * with "revoked": true so that a tool that imported them earlier drops them.
 * Items whose body is NULL (the node cannot read them) carry no indicators
 * and are left out of every format.
 *
 * Caveats: the output FILE is written as it goes; on failure it may hold a
 * partial document, so write to a temporary file and rename.
 */
#ifndef SIGMESH_EXPORT_H
#define SIGMESH_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "proto/body.h"
#include "proto/err.h"

enum export_format {
	EXPORT_STIX21 = 1,
	EXPORT_MISP = 2,
	EXPORT_CSV = 3,
};

/* Feedback from one organization on one report (enum sm_sighting_kind). */
typedef struct export_sighting {
	uint8_t org[32];		/* organization id (Ed25519 public key) */
	const char *org_name;		/* may be NULL: a name is derived from org */
	uint8_t kind;			/* SM_SIGHT_SEEN / SM_SIGHT_FALSE_POSITIVE */
	uint64_t count;			/* times seen, >= 1 */
	uint64_t created_ms;
} export_sighting;

/* One report. Every pointer is borrowed for the duration of the call. */
typedef struct export_item {
	uint8_t id[32];			/* report object id */
	uint8_t tlp;			/* enum sm_tlp */
	uint8_t originator[32];
	const char *originator_name;	/* may be NULL */
	uint64_t created_ms;
	const body_t *body;		/* NULL when the node cannot read it */
	size_t n_sightings;
	const export_sighting *sightings;
	bool retracted;
} export_item;

typedef struct export_opts {
	bool internal;			/* output stays inside the organization */
} export_opts;

/*
 * Write items to out in format fmt. opts may be NULL (= not internal).
 * Returns 0, or -1 with err: SM_EINVAL (unknown format, NULL items with
 * n > 0), SM_ENOMEM, SM_EIO (write failed). Items left out by the TLP rule
 * are not an error.
 */
int export_write(FILE *out, enum export_format fmt, const export_item *items,
    size_t n, const export_opts *opts, sm_err *err);

/* "stix", "stix21", "misp", "csv" (case-insensitive) -> format. */
int export_format_parse(const char *s, enum export_format *fmt, sm_err *err);

/* Would item it be included for these options (TLP rule only)? */
bool export_allowed(const export_item *it, const export_opts *opts);

/* ---- helpers shared with stats and the tests --------------------------- */

/* One indicator of a body, with where it came from. */
typedef struct export_ind {
	uint8_t type;			/* enum store_ind (node/store.h) */
	const char *value;		/* valid only during the callback */
	const char *context;		/* "sender", "reply-to", "c2", "relay",
					 * "link", "attachment", "subject" */
	bool high_value;		/* worth a STIX indicator / MISP to_ids */
	const body_attachment *att;	/* the attachment, for sha256/filename */
} export_ind;

/* Call fn for every indicator of b, in body order. IPs are classified by
 * inet_pton; a relay or C2 "ip" that is neither IPv4 nor IPv6 is skipped.
 * fn returning non-zero stops the walk and is returned. */
typedef int (*export_ind_fn)(void *ctx, const export_ind *ind);
int export_indicators(const body_t *b, export_ind_fn fn, void *ctx);

/* RFC 3339 UTC with milliseconds: "2014-10-31T15:52:13.127Z". */
void export_rfc3339(uint64_t ms, char out[32]);

/* UUIDv5 (RFC 9562) of name in namespace ns, as 36 lowercase characters
 * plus NUL. SHA-1 comes from GLib. Returns 0, or -1 if GLib fails. */
int export_uuid5(const uint8_t ns[16], const void *name, size_t len,
    char out[37]);

/* The STIX 2.1 namespace for SCO ids (00abedb4-aa42-466c-9c01-fed23315a9b7). */
extern const uint8_t export_stix_ns[16];

#endif
