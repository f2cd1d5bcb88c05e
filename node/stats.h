/*
 * node/stats.h — J-CSIP-style activity statistics over exported reports:
 * reports per Japanese fiscal-year quarter, shares of mail types,
 * attachment file classes, sender address classes and TLP labels, and the
 * indicators seen by several organizations.
 *
 * Input is the same plain data as export (export_item). A report counts if
 * it is not retracted and its time is in [from_ms, to_ms) (to_ms 0 = no
 * upper bound); its time is the body's first_seen_ms when known, else its
 * created_ms. Reports the node cannot read (body NULL) count in the
 * quarter and TLP tables only.
 *
 * Quarters are those of the Japanese fiscal year, in Japan time (UTC+9):
 * Q1 = April-June, Q2 = July-September, Q3 = October-December,
 * Q4 = January-March of the next calendar year ("FY2014 Q4" is Jan-Mar 2015).
 *
 * An indicator is "seen by" the originator of each report that carries it
 * and by every organization that sent a SEEN sighting of such a report.
 */
#ifndef SIGMESH_STATS_H
#define SIGMESH_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "node/export.h"
#include "proto/err.h"

#define STATS_MAX_QUARTERS 64		/* 16 fiscal years */
#define STATS_TOP 10

typedef struct stats_quarter {
	char label[16];			/* "FY2014 Q1" */
	uint64_t n;
} stats_quarter;

typedef struct stats_top {
	uint8_t type;			/* enum store_ind */
	char *value;			/* owned; stats_clear frees it */
	uint32_t n_orgs;		/* distinct organizations that saw it */
	uint32_t n_reports;		/* reports that carry it */
} stats_top;

typedef struct stats_t {
	uint64_t n_reports;		/* counted reports */
	uint64_t n_readable;		/* of which with a body */
	size_t n_quarters;		/* every quarter from first to last */
	stats_quarter quarters[STATS_MAX_QUARTERS];
	uint64_t mail_type[4];		/* enum body_mail_type */
	uint64_t sender_class[5];	/* enum body_sender_class */
	uint64_t n_atts;
	uint64_t file_class[8];		/* enum body_file_class, per attachment */
	uint64_t tlp[5];		/* enum sm_tlp */
	size_t n_top;
	stats_top top[STATS_TOP];	/* n_orgs >= 2, most organizations first */
} stats_t;

/* Fill *out (overwritten; stats_clear it afterwards). Returns 0, or -1:
 * SM_EBOUND when the reports span more than STATS_MAX_QUARTERS quarters
 * (narrow the range), SM_ENOMEM. */
int stats_compute(const export_item *items, size_t n, uint64_t from_ms,
    uint64_t to_ms, stats_t *out, sm_err *err);
void stats_clear(stats_t *s);

/* "FY2014 Q1" for a UTC time in ms. */
void stats_quarter_label(uint64_t ms, char out[16]);

/* Text tables (counts and percentages). */
int stats_print(FILE *out, const stats_t *s, sm_err *err);
/* JSON document (sorted keys); malloc'd, caller frees; NULL on ENOMEM. */
char *stats_json(const stats_t *s);
/* One SVG chart per table into directory dir (which must exist):
 * quarters.svg, mail_types.svg, attachments.svg, senders.svg, tlp.svg and,
 * when there are any, top_indicators.svg. */
int stats_svg(const stats_t *s, const char *dir, sm_err *err);

#endif
