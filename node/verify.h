/*
 * node/verify.h — the node's crypto worker pool: verify, decode and open
 * objects from peers off the main thread.
 *
 * Ingest costs about one Ed25519 verification, one crypto_box_seal_open
 * and one body decryption per report; the main thread also has LMDB
 * writes and ZeroMQ to do. The pool takes the pure work (msg_decode, then
 * for a report: open the content key sealed to this organization, decrypt
 * and decode the body, list its indicators) and hands results back in the
 * order the jobs were submitted, so the main thread sees objects exactly
 * in arrival order (a release before its report stays before it).
 *
 * Threads: verify_submit, verify_take, verify_fd and verify_inflight are
 * called by one thread (the node's); workers touch nothing but the jobs
 * and the read-only keys given to verify_new. LMDB and ZeroMQ are never
 * used by a worker.
 *
 * Ownership: a job is owned by the pool between verify_submit and
 * verify_take, then by the caller, who frees it with verify_job_free.
 */
#ifndef SIGMESH_VERIFY_H
#define SIGMESH_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/body.h"
#include "proto/msg.h"

typedef struct verify_job {
	/* input */
	uint8_t *obj;			/* owned */
	size_t len;
	uint8_t id[SM_ID_LEN];		/* msg_object_id of obj */
	uint8_t from[SM_ID_LEN];	/* the peer that sent it */
	uint64_t now_ms;		/* clock for the future-skew check */
	/* output */
	int rc;				/* msg_decode's */
	sm_err err;
	sm_msg msg;			/* valid when rc == 0 */
	bool readable;			/* a report whose body this org opened */
	body_t body;			/* when readable */
	uint8_t *plain;			/* when readable: the body's plaintext, kept so
					 * the feed need not open it again; wiped on free */
	size_t plain_len;
	body_indicator *ind;		/* when readable: values point into body/hexbuf */
	size_t n_ind;
	char *hexbuf;
	/* pool bookkeeping */
	struct verify_job *next;
	int state;
} verify_job;

typedef struct verify verify_t;

/* threads workers (>= 1). org, box_pk and box_sk are borrowed and must
 * outlive the pool (box_sk is the identity's guarded secret key, read
 * only). */
verify_t *verify_new(size_t threads, const uint8_t org[SM_ID_LEN],
    const uint8_t box_pk[crypto_box_PUBLICKEYBYTES],
    const uint8_t box_sk[crypto_box_SECRETKEYBYTES], sm_err *err);
/* Stops the workers after their current job; unfinished jobs are freed. */
void verify_destroy(verify_t **v);

/* New job holding a copy of obj; NULL on ENOMEM. */
verify_job *verify_job_new(const uint8_t *obj, size_t len, const uint8_t from[SM_ID_LEN],
    uint64_t now_ms);
void verify_job_free(verify_job **j);

/* Do a job's work on the calling thread (the node's own objects, and
 * tests): what a worker does. */
void verify_run(verify_job *j, const uint8_t org[SM_ID_LEN],
    const uint8_t box_pk[crypto_box_PUBLICKEYBYTES],
    const uint8_t box_sk[crypto_box_SECRETKEYBYTES]);

/* Queue a job (the pool owns it from now on). */
void verify_submit(verify_t *v, verify_job *j);
/* The oldest submitted job if it is finished, else NULL. */
verify_job *verify_take(verify_t *v);
/* Jobs submitted and not yet taken. */
size_t verify_inflight(const verify_t *v);
/* A file descriptor that polls readable when a job has finished; read
 * side is drained by verify_take. */
int verify_fd(const verify_t *v);

#endif
