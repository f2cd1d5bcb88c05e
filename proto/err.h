/*
 * proto/err.h — sigmesh's one error convention.
 *
 * Fallible functions return 0 on success and -1 on failure, and fill the
 * caller's sm_err (when not NULL) with a code and a message that names what
 * was wrong ("report: field 6 (audience): 3 SIGs listed twice"). Predicates
 * return bool. Codes are stable: they appear in PROTOCOL.md and in the
 * negative test vectors.
 */
#ifndef SIGMESH_ERR_H
#define SIGMESH_ERR_H

#include <stdarg.h>

enum sm_code {
	SM_OK = 0,
	SM_EMALFORMED,	/* not valid msgpack, wrong type, missing field */
	SM_ENONCANON,	/* valid msgpack, but not in canonical form */
	SM_ETRAILING,	/* bytes after the message */
	SM_EBOUND,	/* a length or count over its stated bound */
	SM_EDEPTH,	/* nesting deeper than allowed */
	SM_EVERSION,	/* unknown protocol or file version */
	SM_ETYPE,	/* unknown message type */
	SM_ESIG,	/* signature does not verify */
	SM_EDECRYPT,	/* authenticated decryption failed, or not a recipient */
	SM_ESCOPE,	/* TLP label, audience or release rules forbid it */
	SM_EREPLAY,	/* sequence number already seen or out of order */
	SM_EQUORUM,	/* roster change lacks a quorum of valid approvals */
	SM_ENOTMEMBER,	/* organization is not a (current) member */
	SM_ECHAIN,	/* roster entry does not extend the chain */
	SM_ENOTFOUND,
	SM_EEXISTS,
	SM_EFULL,	/* store map or disk full */
	SM_EIO,		/* system call or library I/O failure */
	SM_ENOMEM,
	SM_EINVAL,	/* caller passed something unusable */
	SM_EPERM,	/* file permissions, passphrase, or not allowed */
	SM_ECODE_MAX
};

typedef struct sm_err {
	int code;		/* enum sm_code */
	char msg[256];		/* human-readable, names the offending field */
} sm_err;

/* Record an error and return -1, so callers can write
 * "return sm_fail(err, SM_EBOUND, "subject: %zu bytes, max %d", n, MAX);".
 * err may be NULL. The first error recorded wins: a caller adding context
 * uses sm_wrap. */
int sm_fail(sm_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message already in err with context ("roster entry 4: ").
 * Returns -1. */
int sm_wrap(sm_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Stable short name of a code ("malformed", "bound", ...). */
const char *sm_strerror(int code);

static inline void sm_err_clear(sm_err *err)
{
	if (err) {
		err->code = SM_OK;
		err->msg[0] = '\0';
	}
}

#endif
