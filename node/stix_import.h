/*
 * node/stix_import.h — a STIX 2.1 bundle in, one report body out.
 *
 * An analyst who received a bundle from a partner (a national CERT, another
 * sharing scheme) turns it into a sigmesh report body, checks it and submits
 * it like any other report. What is taken:
 *
 *   indicator     its pattern's simple equality comparisons
 *                 ([domain-name:value = 'x'], [url:value = '...'],
 *                 [file:hashes.'SHA-256' = '...'], [email-addr:value = ...],
 *                 [ipv4-addr:value = ...], [ipv6-addr:value = ...],
 *                 [email-message:subject = ...],
 *                 [email-message:from_ref.value = ...]); comparisons joined
 *                 with AND / OR and grouped with [] and () are split. A
 *                 pattern holding anything else (another operator, a
 *                 qualifier, FOLLOWEDBY, an unknown object path) is kept
 *                 whole as a label "stix-pattern:<pattern>", with any
 *                 comparison it does recognise still taken.
 *                 IPs from indicators become C2 hosts.
 *   email-addr    sender (or Reply-To, when an email-message's
 *                 additional_header_fields names it so)
 *   email-message subject, Message-ID, X-Mailer, Return-Path
 *   url, domain-name, file (SHA-256, name, size, mime_type)
 *   ipv4/ipv6-addr observables without an indicator: sending relays
 *   report        name -> title, description -> analysis, labels
 *                 ("mail-type:X" -> mail_type)
 * Everything else is ignored. Values are de-duplicated, in bundle order.
 *
 * Strict and bounded: at most STIX_IMPORT_MAX_LEN bytes and
 * STIX_IMPORT_MAX_OBJECTS objects; duplicate JSON keys, strings with NUL,
 * strings over BODY_MAX_STR (BODY_MAX_TEXT for analysis) and lists over
 * BODY_MAX_LIST are rejected, not truncated. Nothing recurses on the input
 * beyond jansson's own parser (depth-limited).
 */
#ifndef SIGMESH_STIX_IMPORT_H
#define SIGMESH_STIX_IMPORT_H

#include <stddef.h>
#include "proto/body.h"
#include "proto/err.h"

#define STIX_IMPORT_MAX_LEN (16u * 1024 * 1024)
#define STIX_IMPORT_MAX_OBJECTS 100000

/*
 * Parse json[0..len) (need not be NUL-terminated) into *out, which must be
 * zeroed (or cleared). On success the caller owns *out (body_clear). On
 * failure *out is left cleared and err says why: SM_EBOUND (size, count,
 * length), SM_EMALFORMED (not JSON, not a bundle, wrong type of a field),
 * SM_ENOMEM.
 */
int stix_import(const char *json, size_t len, body_t *out, sm_err *err)
    __attribute__((warn_unused_result));

#endif
