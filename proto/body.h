/*
 * proto/body.h — what a report says: the content model of a phishing /
 * targeted-attack report (PROTOCOL.md §5). No I/O.
 *
 * The body is a canonical msgpack map with integer keys; it is the
 * plaintext that msg_report_build encrypts. Unlike the envelope it is
 * extensible: a reader skips keys it does not know, so a newer node can add
 * fields without breaking older ones. Every string is UTF-8, bounded, and
 * every list is bounded (BODY_MAX_*).
 *
 * Ownership: body_t owns every string and array it points to; body_clear
 * frees them. body_decode fills a zeroed body_t; on failure it is left
 * cleared.
 */
#ifndef SIGMESH_BODY_H
#define SIGMESH_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/err.h"

#define BODY_MAX_STR 2048		/* one address, URL, name, subject */
#define BODY_MAX_TEXT (64 * 1024)	/* free-text analysis */
#define BODY_MAX_LIST 512		/* entries in any one list */

enum body_mail_type {
	MAIL_UNKNOWN = 0, MAIL_ATTACHMENT = 1, MAIL_LINK = 2, MAIL_RECON = 3,
};
enum body_sender_class {
	SENDER_UNKNOWN = 0, SENDER_FREEMAIL_DOMESTIC = 1, SENDER_FREEMAIL_FOREIGN = 2,
	SENDER_ISP = 3, SENDER_CORPORATE = 4,
};
enum body_file_class {
	FILE_OTHER = 0, FILE_EXECUTABLE = 1, FILE_OFFICE = 2, FILE_SHORTCUT = 3,
	FILE_PDF = 4, FILE_ARCHIVE = 5, FILE_SCRIPT = 6, FILE_ICHITARO = 7,
};
/* Attachment flags (bit set). */
enum {
	ATT_DOUBLE_EXT = 1 << 0,	/* "invoice.pdf.exe" */
	ATT_RLO = 1 << 1,		/* U+202E in the name */
	ATT_FAKE_ICON = 1 << 2,		/* executable posing as a document */
	ATT_MACROS = 1 << 3,		/* Office document with VBA macros */
	ATT_ENCRYPTED = 1 << 4,		/* password-protected archive/document */
};

typedef struct body_addr {
	char *addr;			/* "user@example.org" */
	char *name;			/* display name, may be NULL */
} body_addr;

typedef struct body_host {
	char *host;			/* may be NULL */
	char *ip;			/* textual IPv4/IPv6, may be NULL */
	uint32_t port;			/* 0 = unknown */
} body_host;

typedef struct body_attachment {
	char *name;
	char *mime;
	uint64_t size;
	bool has_sha256;
	uint8_t sha256[32];
	uint8_t file_class;		/* enum body_file_class */
	uint32_t flags;			/* ATT_* */
} body_attachment;

typedef struct body {
	char *title;			/* one line an analyst reads first */
	uint8_t mail_type;		/* enum body_mail_type */
	uint8_t sender_class;		/* enum body_sender_class */
	uint64_t first_seen_ms;		/* when the mail arrived, 0 = unknown */
	size_t n_from;     body_addr *from;
	size_t n_reply_to; body_addr *reply_to;
	char *return_path;
	char *subject;
	char *message_id;
	char *x_mailer;
	size_t n_relays;   body_host *relays;	/* sending hosts from Received */
	size_t n_urls;     char **urls;
	size_t n_domains;  char **domains;
	size_t n_atts;     body_attachment *atts;
	size_t n_c2;       body_host *c2;	/* command-and-control */
	size_t n_labels;   char **labels;	/* free tags */
	char *analysis;			/* free text */
} body_t;

/* Encode to canonical msgpack; malloc'd, caller frees. */
uint8_t *body_encode(const body_t *b, size_t *len, sm_err *err);
int body_decode(const uint8_t *buf, size_t len, body_t *out, sm_err *err)
    __attribute__((warn_unused_result));
void body_clear(body_t *b);

/* Indicator types. These MUST equal enum store_ind in node/store.h (proto/
 * may not include node/); node/eml.c asserts it at compile time. */
enum {
	BODY_IND_EMAIL = 1, BODY_IND_DOMAIN = 2, BODY_IND_IPV4 = 3,
	BODY_IND_IPV6 = 4, BODY_IND_URL = 5, BODY_IND_SHA256 = 6,
	BODY_IND_HOST = 7, BODY_IND_SUBJECT = 8, BODY_IND_FILENAME = 9,
};

/* One indicator a body carries, for the node's index and for export. */
typedef struct body_indicator {
	uint8_t type;			/* enum store_ind values (node/store.h) */
	const char *value;		/* borrowed from the body */
} body_indicator;
/* Every indicator in b (sender and reply-to addresses, domains, relay and
 * C2 IPs and hosts, URLs, attachment SHA-256 as hex (in *hexbuf, which the
 * caller frees), subjects, file names). *out is malloc'd; caller frees.
 * Addresses, domains and host names are lowercased (Return-Path without
 * its angle brackets); those derived strings also live in *hexbuf, so a
 * value is valid while both b and *hexbuf are. IPs are as given; an ip that
 * is neither IPv4 nor IPv6 text is skipped. The list is sorted by (type,
 * value) without duplicates. */
int body_indicators(const body_t *b, body_indicator **out, size_t *n,
    char **hexbuf, sm_err *err);

const char *body_mail_type_name(uint8_t t);
const char *body_sender_class_name(uint8_t c);
const char *body_file_class_name(uint8_t c);

/* Body <-> JSON (the CLI's `submit` input and `show --json` output).
 * JSON field names are in PROTOCOL.md §5. */
char *body_to_json(const body_t *b);		/* malloc'd */
int body_from_json(const char *json, size_t len, body_t *out, sm_err *err)
    __attribute__((warn_unused_result));

#endif
