/*
 * node/anon.h — anonymization of a report body before it leaves the node.
 *
 * J-CSIP's hub removed "who was attacked" from every report before sharing
 * it; in sigmesh the originating node does it. anon_apply rewrites every
 * string of a body_t (title, addresses, names, subject, ids, URLs, hosts,
 * file names, labels, analysis) and replaces:
 *   recipient addresses, in plain, percent-encoded and base64 (standard and
 *     URL-safe, at any alignment) forms        -> "[recipient]"
 *   recipient display names and mailbox local parts   -> "[recipient]"
 *   the organization's own domains (and subdomains)    -> "[org-domain]"
 *   internal host names                                 -> "[internal-host]"
 *   internal IPs (configured addresses or CIDR ranges) -> "[internal-ip]"
 *   extra strings from configuration                    -> "[redacted]"
 * Entries that would only carry a placeholder (a domain of the organization
 * in the domains list, a relay that is internal or private) are removed
 * instead, so the node's index never holds placeholders.
 *
 * Matching is case-insensitive for the plain and percent-encoded forms.
 * The base64 forms are matched for the needle as configured and in lower
 * case (base64 of other capitalizations is not searched).
 *
 * Ownership: anon_rules is opaque; the caller creates and destroys it. It
 * copies every string added. anon_log owns its entries; anon_log_clear
 * frees them.
 */
#ifndef SIGMESH_ANON_H
#define SIGMESH_ANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/body.h"
#include "proto/err.h"

enum anon_kind {
	ANON_RECIPIENT = 0,	/* an address "user@org.example" */
	ANON_RECIPIENT_NAME,	/* a person's display name */
	ANON_ORG_DOMAIN,	/* "org.example": covers its subdomains too */
	ANON_INTERNAL_HOST,	/* "mx1.corp.local" */
	ANON_INTERNAL_IP,	/* "192.0.2.10" or "192.0.2.0/24" or "2001:db8::/32" */
	ANON_EXTRA,		/* any other string from configuration */
	ANON_KIND_MAX
};

#define ANON_MAX_RULES 1024	/* entries per rule set */

typedef struct anon_rules anon_rules;

anon_rules *anon_rules_new(void);
void anon_rules_destroy(anon_rules **r);
/* Add one entry (copied). Empty and duplicate entries are ignored.
 * SM_EINVAL for a malformed IP/CIDR, SM_EBOUND past ANON_MAX_RULES or
 * BODY_MAX_STR bytes. Adding a recipient address also adds its local part
 * as a name when it is at least 4 characters and not a role name
 * ("info", "admin", ...). */
int anon_rules_add(anon_rules *r, enum anon_kind kind, const char *s, sm_err *err);
/* A deep copy (NULL on allocation failure); r may be NULL (empty set). */
anon_rules *anon_rules_dup(const anon_rules *r);
size_t anon_rules_count(const anon_rules *r, enum anon_kind kind);

/* Is this host name / IP text the organization's own? A host is internal
 * if it equals an internal host, or is an org domain or under one. An IP
 * is internal if it matches a configured IP/range, or is private,
 * loopback, link-local or unique-local (RFC 1918, 4193, ...). */
bool anon_is_internal_host(const anon_rules *r, const char *host);
bool anon_is_internal_ip(const anon_rules *r, const char *ip);

/* What anon_apply replaced, for `sigmesh submit --dry-run`. "original" is
 * the configured needle (not the text around it), so displaying the log
 * shows no more than the operator configured or the headers named. */
typedef struct anon_entry {
	char *field;		/* "urls[3]", "subject", "relays[0]" */
	char *original;		/* what was matched */
	const char *placeholder;	/* static: "[recipient]", ... or "(removed)" */
} anon_entry;

typedef struct anon_log {
	size_t n;
	anon_entry *e;
	size_t dropped;		/* entries not recorded past ANON_MAX_RULES*4 */
} anon_log;

void anon_log_clear(anon_log *log);

/* Rewrite b in place. log may be NULL. On failure (SM_ENOMEM) b may be
 * partly rewritten and must not be shared; the caller discards it. */
int anon_apply(body_t *b, const anon_rules *rules, anon_log *log, sm_err *err)
    __attribute__((warn_unused_result));

/* The placeholder for a kind ("[recipient]", ...). */
const char *anon_placeholder(enum anon_kind kind);

#endif
