/*
 * node/eml.h — a report body from an email as it arrived (.eml), with GMime.
 *
 * eml_parse reads one RFC 5322 message and fills a body_t: sender
 * addresses and names, Reply-To, Return-Path, Subject, Message-ID,
 * X-Mailer, arrival time, the sending hosts from the Received chain, every
 * URL and its domain in the text and HTML parts, and every attachment
 * (decoded name, MIME type, size, SHA-256, file class and trick flags),
 * then classifies the mail (mail_type) and the sender (sender_class).
 *
 * Unless opts->keep_recipients is set the body is anonymized before
 * eml_parse returns (node/anon.h): the rules in opts plus every address
 * and name found in To, Cc, Bcc, Delivered-To, X-Original-To and the
 * "for <...>" clauses of Received lines. What was replaced is in
 * info->log.
 *
 * The input is hostile: its size, the number of MIME parts, their nesting
 * and the bytes hashed per attachment are bounded (eml_opts, 0 = default).
 * A broken or truncated message yields what could be read (info->partial)
 * or SM_EMALFORMED / SM_EBOUND; never a crash.
 *
 * Ownership: out is filled zeroed-first and owned by the caller
 * (body_clear); info owns its log (eml_info_clear). GMime is initialized
 * once per process on first use (thread-safe); it is never shut down.
 */
#ifndef SIGMESH_EML_H
#define SIGMESH_EML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "node/anon.h"
#include "proto/body.h"
#include "proto/err.h"

#define EML_MAX_SIZE (32u * 1024 * 1024)	/* default input bound */
#define EML_MAX_PARTS 256
#define EML_MAX_DEPTH 16
#define EML_MAX_HASH (32u * 1024 * 1024)	/* bytes decoded per attachment */

typedef struct eml_opts {
	const anon_rules *rules;	/* borrowed; NULL = none configured */
	bool keep_recipients;		/* skip anonymization (local analysis only) */
	size_t max_size, max_parts, max_depth, max_hash;	/* 0 = defaults */
} eml_opts;

typedef struct eml_info {
	anon_log log;			/* replacements made */
	size_t parts;			/* MIME parts visited */
	size_t received;		/* Received headers seen */
	size_t urls_skipped;		/* over BODY_MAX_STR or past BODY_MAX_LIST */
	bool partial;			/* a bound was hit or the MIME was broken */
	size_t n_recipients;		/* recipient addresses found in headers */
	char *self_sent;		/* internal: NULL once eml_parse returns */
} eml_info;

void eml_info_clear(eml_info *info);

/* info may be NULL. Returns 0, or -1 with SM_EBOUND (input over
 * max_size), SM_EMALFORMED (not a message at all), SM_ENOMEM. */
int eml_parse(const uint8_t *raw, size_t len, const eml_opts *opts,
    body_t *out, eml_info *info, sm_err *err) __attribute__((warn_unused_result));

/* For `sigmesh submit --eml FILE --dry-run`: the anonymized body and what
 * was replaced, as one JSON document
 *   {"body": {...body JSON...}, "replacements": [{"field": "urls[0]",
 *    "original": "user@example.org", "placeholder": "[recipient]"}, ...]}
 * malloc'd, caller frees. NULL on failure with err set. */
char *eml_dry_run_json(const uint8_t *raw, size_t len, const eml_opts *opts,
    sm_err *err);

/* Classification helpers, exposed for tests. */
uint8_t eml_sender_class(const char *addr);
/* File class from content (magic bytes) and name; *flags gets ATT_*. */
uint8_t eml_file_class(const uint8_t *data, size_t len, const char *name,
    uint32_t *flags);

#endif
