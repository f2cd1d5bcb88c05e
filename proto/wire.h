/*
 * proto/wire.h — the frames nodes exchange over their CURVE connections
 * (PROTOCOL.md §10). No I/O.
 *
 *     frame = msgpack array [ version:uint (=1), kind:uint, payload ]
 *
 * Signed objects travel inside OBJECTS frames as opaque bins; their
 * authenticity comes from their own signatures, not from the connection.
 * The connection (CurveZMQ, admitted by ZAP) only tells a node which member
 * it is talking to, which the TLP checks need.
 */
#ifndef SIGMESH_WIRE_H
#define SIGMESH_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/err.h"
#include "proto/msg.h"

#define WIRE_VERSION 1
#define WIRE_MAX_FRAME (4u << 20)	/* bytes; also ZMQ_MAXMSGSIZE */
#define WIRE_MAX_OBJECTS 256		/* objects per OBJECTS frame */
#define WIRE_MAX_IDS 4096		/* ids per IHAVE / WANT frame */
#define WIRE_MAX_HEADS 256		/* roster heads in a HELLO */
#define WIRE_MAX_ENTRIES 256		/* roster entries per ROSTER frame */

enum wire_kind {
	WIRE_HELLO = 1,		/* my roster heads; sent on connect and periodically */
	WIRE_OBJECTS = 2,	/* signed objects (eager push, or answer to WANT) */
	WIRE_IHAVE = 3,		/* ids I hold that you may lack (lazy push) */
	WIRE_WANT = 4,		/* send me these ids; graft: and push eagerly to me */
	WIRE_PRUNE = 5,		/* stop eager-pushing me this scope */
	WIRE_ROSTER = 6,	/* roster entries [from, from+n) of one SIG, or a request */
	WIRE_RECON = 7,		/* one reconciliation message (proto/recon) */
	WIRE_KIND_MAX
};

typedef struct wire_frame {
	uint8_t kind;
	/* HELLO */
	uint64_t started_ms;		/* when the sender's node started; 0 = not said */
	uint32_t n_heads;
	sm_roster_ref heads[WIRE_MAX_HEADS];
	/* OBJECTS: pointers into the input buffer */
	uint32_t n_objs;
	const uint8_t *objs[WIRE_MAX_OBJECTS];
	size_t obj_lens[WIRE_MAX_OBJECTS];
	/* IHAVE, WANT: pointers into the input (32 bytes each) */
	uint32_t n_ids;
	const uint8_t *ids[WIRE_MAX_IDS];
	bool graft;			/* WANT */
	/* PRUNE, ROSTER: scope or SIG id; all zero = federation scope */
	uint8_t sig[SM_ID_LEN];
	/* ROSTER */
	uint64_t from;			/* index of the first entry */
	uint32_t n_entries;		/* 0: a request for entries from "from" on */
	const uint8_t *entries[WIRE_MAX_ENTRIES];
	size_t entry_lens[WIRE_MAX_ENTRIES];
	/* RECON */
	uint64_t session;
	bool recon_fin;			/* sender has nothing more to say */
	bool recon_direct;		/* the session's set is the direct scope (PROTOCOL.md §10.3) */
	const uint8_t *recon;
	size_t recon_len;
} wire_frame;

/*
 * Decode one frame. The frame struct is large (about 100 KiB): callers keep
 * one per connection loop, not on small stacks. Pointers in *f point into
 * buf, which must outlive the use of f.
 */
int wire_decode(const uint8_t *buf, size_t len, wire_frame *f, sm_err *err)
    __attribute__((warn_unused_result));

/* Encoders: each returns a malloc'd frame (caller frees) or NULL. */
/* started_ms lets the peer tell a restart from a short silence (0: omit). */
uint8_t *wire_hello(const sm_roster_ref *heads, uint32_t n, uint64_t started_ms, size_t *len);
uint8_t *wire_objects(const uint8_t *const *objs, const size_t *lens, uint32_t n, size_t *len);
uint8_t *wire_ids(uint8_t kind, const uint8_t (*ids)[SM_ID_LEN], uint32_t n, bool graft, size_t *len);
uint8_t *wire_prune(const uint8_t sig[SM_ID_LEN], size_t *len);
uint8_t *wire_roster(const uint8_t sig[SM_ID_LEN], uint64_t from,
    const uint8_t *const *entries, const size_t *lens, uint32_t n, size_t *len);
uint8_t *wire_recon(uint64_t session, bool fin, bool direct, const uint8_t *msg, size_t msg_len,
    size_t *len);

const char *wire_kind_name(uint8_t kind);

#endif
