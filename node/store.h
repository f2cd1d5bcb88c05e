/*
 * node/store.h — a node's LMDB store.
 *
 * One LMDB environment per node (data dir). Messages are stored as the
 * exact signed bytes received, so they can be re-verified (sigmesh fsck)
 * and re-sent. The main table is keyed by a local arrival sequence
 * (ascending keys append at the end of the B-tree, about twenty times
 * faster than random 32-byte keys here); everything else is an index:
 *
 *   msgs      arrival seq (u64 BE)        -> signed object bytes
 *   ids       object id (32)              -> arrival seq + meta
 *   origseq   originator (32) | seq (BE)  -> object id    (replay check)
 *   created   created_ms (BE) | id         -> ""           (reconciliation order)
 *   refs      report id (32)              -> object ids (dupsort): sightings,
 *                                            retractions, releases of it
 *   ind       type (1) | value            -> report ids (dupsort)
 *   meta      name                        -> value (node state: own seq, ...)
 *
 * Durability: store_commit is a durable LMDB commit (fsync). Callers batch
 * many puts per transaction (group commit) and acknowledge only after it.
 * A crash loses at most the uncommitted batch, which no one was told of.
 *
 * Errors: a full map or disk is SM_EFULL; the write is rolled back, the
 * store stays readable, and the next write may succeed once space exists.
 *
 * Caveats (LMDB's): one write transaction at a time, used by one thread;
 * read transactions are per thread; do not use a store across fork().
 * Reads return copies (store_get); pointers handed to iteration callbacks
 * are valid only during the callback: copy what you keep. Callbacks must
 * not write to the store.
 */
#ifndef SIGMESH_STORE_H
#define SIGMESH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/err.h"
#include "proto/msg.h"

/* Indicator types, the key prefix of the "ind" index. */
enum store_ind {
	IND_EMAIL = 1, IND_DOMAIN = 2, IND_IPV4 = 3, IND_IPV6 = 4, IND_URL = 5,
	IND_SHA256 = 6, IND_HOST = 7, IND_SUBJECT = 8, IND_FILENAME = 9,
};

/* What the store keeps beside each object for indexing and scope. */
typedef struct store_meta {
	uint8_t id[SM_ID_LEN];
	uint8_t type;			/* enum sm_msg_type */
	uint8_t tlp;			/* reports; for the others, their report's */
	uint8_t originator[SM_ID_LEN];
	uint64_t seq;
	uint64_t created_ms;
	uint64_t arrival;		/* local arrival sequence (set by the store) */
	uint64_t received_ms;		/* local clock when stored */
	bool has_ref;
	uint8_t ref[SM_ID_LEN];		/* the report a sighting/retraction/release is about */
} store_meta;

typedef struct store store_t;

/* Open or create the store in dir (created 0700). map_size in bytes
 * (0: 4 GiB). */
store_t *store_open(const char *dir, size_t map_size, sm_err *err);
/* Same, but the map may grow (doubling, while no transaction is active)
 * up to map_max bytes before writes fail with SM_EFULL; map_max below
 * map_size means no growth. store_open(d, m, e) is store_open_ex(d, m, 0, e). */
store_t *store_open_ex(const char *dir, size_t map_size, size_t map_max, sm_err *err);
void store_destroy(store_t **s);

/* ---- writing: one batch = one durable commit -------------------------- */
int store_begin(store_t *s, sm_err *err) __attribute__((warn_unused_result));
/* Add one object. SM_EEXISTS if the id is stored (harmless duplicate);
 * SM_EREPLAY if the originator already has a different object with this
 * seq. meta->arrival and received_ms are filled in. */
int store_put(store_t *s, store_meta *meta, const uint8_t *obj, size_t len,
    sm_err *err) __attribute__((warn_unused_result));
/* Index a report's indicator (after the node decrypted it). */
int store_index(store_t *s, uint8_t ind_type, const char *value,
    const uint8_t report[SM_ID_LEN], sm_err *err);
int store_set_meta(store_t *s, const char *name, const void *val, size_t len, sm_err *err);
int store_commit(store_t *s, sm_err *err) __attribute__((warn_unused_result));
void store_abort(store_t *s);

/* ---- reading ---------------------------------------------------------- */
/* Read calls outside a write batch open a short read transaction of their
 * own; inside a batch they see the batch's writes. */
bool store_has(store_t *s, const uint8_t id[SM_ID_LEN]);
/* Copy of the object bytes (malloc'd, caller frees) and its meta. */
uint8_t *store_get(store_t *s, const uint8_t id[SM_ID_LEN], store_meta *meta,
    size_t *len, sm_err *err);
int store_get_meta(store_t *s, const char *name, void *val, size_t cap,
    size_t *len, sm_err *err);
/* Does originator already have an object with this seq? (id out if so) */
bool store_has_origseq(store_t *s, const uint8_t orig[SM_ID_LEN], uint64_t seq,
    uint8_t id[SM_ID_LEN]);

/* Iterate objects by arrival (from arrival seq "after", exclusive), by
 * created order, refs of a report, and report ids of an indicator. The
 * callback returns 0 to go on, 1 to stop, -1 to abort with an error. */
typedef int (*store_each_fn)(void *ctx, const store_meta *meta,
    const uint8_t *obj, size_t len);
int store_each_arrival(store_t *s, uint64_t after, store_each_fn fn, void *ctx, sm_err *err);
/* Objects with created_ms in [from, to), ascending (created_ms, id). */
int store_each_created(store_t *s, uint64_t from, uint64_t to, store_each_fn fn,
    void *ctx, sm_err *err);
int store_each_ref(store_t *s, const uint8_t report[SM_ID_LEN], store_each_fn fn,
    void *ctx, sm_err *err);
typedef int (*store_id_fn)(void *ctx, const uint8_t id[SM_ID_LEN]);
int store_each_indicator(store_t *s, uint8_t ind_type, const char *value,
    store_id_fn fn, void *ctx, sm_err *err);

typedef struct store_stats {
	uint64_t objects, reports, sightings, retractions, releases;
	uint64_t indicators;		/* index entries */
	uint64_t bytes_used;		/* pages in use * page size */
	uint64_t map_size;
	uint64_t last_arrival;
} store_stats;
int store_stat(store_t *s, store_stats *st, sm_err *err);

/* Integrity check (sigmesh fsck): every index entry points to a stored
 * object and every object is indexed; verify(ctx, obj, len) is called on
 * each object to re-check signatures. Problems are counted in *bad and
 * described through report(ctx, text). */
int store_check(store_t *s, int (*verify)(void *ctx, const uint8_t *obj, size_t len),
    void (*report)(void *ctx, const char *text), void *ctx, uint64_t *bad, sm_err *err);

const char *store_path(const store_t *s);

#endif
