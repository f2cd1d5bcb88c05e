/*
 * node/transport.h — ZeroMQ with CURVE between member nodes.
 *
 * The zguide's "harmony" shape: one bound ROUTER receives everything that
 * comes in; one connected DEALER per peer carries what goes out. The ROUTER
 * is a CURVE server, and a ZAP handler (inproc://zeromq.zap.01, answered in
 * the node's own poll loop) admits only the transport keys of current
 * members of the federation, before any message is read; it tags each
 * connection with the member's org id (ZAP user id), which every received
 * frame carries as its "User-Id" property. So a node always knows which
 * member sent a frame.
 *
 * Sends never block: DONTWAIT, and a full queue is that peer's problem (the
 * frame is dropped and counted; reconciliation repairs it later).
 *
 * Caveats: single-threaded (ZeroMQ sockets are not thread-safe); the ZAP
 * socket must be polled by the owner of the transport, or connections stall
 * in their handshake.
 */
#ifndef SIGMESH_TRANSPORT_H
#define SIGMESH_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <zmq.h>
#include "keys/federation.h"
#include "keys/identity.h"
#include "proto/wire.h"

typedef struct transport transport_t;

/* Bind the ZAP handler and the ROUTER on listen. fed is borrowed and must
 * outlive the transport (roster updates are seen at once). */
transport_t *transport_new(void *zctx, const identity_t *id, federation_t *fed,
    const char *listen, sm_err *err);
void transport_destroy(transport_t **t);

/* Dial org at endpoint instead of the endpoint its roster entry lists
 * (the node's [peer] configuration). Only the address changes: the peer
 * is still authenticated by its roster's CURVE key. */
int transport_set_endpoint(transport_t *t, const uint8_t org[SM_ID_LEN], const char *endpoint,
    sm_err *err) __attribute__((warn_unused_result));

void *transport_router(transport_t *t);	/* watched by the node loop (zwait.h) */
void *transport_zap(transport_t *t);	/* watched by the node loop (zwait.h) */
/* Answer one pending ZAP request (call when transport_zap is readable). */
void transport_zap_handle(transport_t *t);

/* Receive one frame from the ROUTER without blocking. On 0, org holds the
 * sender's org id and msg the frame (caller closes it). -1 when nothing is
 * waiting. Frames from banned orgs are read and discarded here. */
int transport_recv(transport_t *t, uint8_t org[SM_ID_LEN], zmq_msg_t *msg);

/* Send one frame to org's node (DEALER created on first use from the
 * member's roster endpoint). -1 if org has no endpoint, is not a current
 * member, or its queue is full. */
int transport_send(transport_t *t, const uint8_t org[SM_ID_LEN], const uint8_t *buf, size_t len);

/* Open org's DEALER now, without sending (ZeroMQ connects and completes
 * the CURVE handshake in the background), so that a later send does not
 * wait for TCP, the ZMTP greeting and CurveZMQ: four round trips. Kept
 * open only as long as transport_reap's keep() says. -1 as for
 * transport_send; 0 if it was open already. */
int transport_dial(transport_t *t, const uint8_t org[SM_ID_LEN]);
/* Is org's DEALER open (connected, or connecting)? */
bool transport_dialled(transport_t *t, const uint8_t org[SM_ID_LEN]);
/* Has org's DEALER a connection through the CurveZMQ handshake (ZAP
 * included) now? Reads the DEALER's monitor first. */
bool transport_linked(transport_t *t, const uint8_t org[SM_ID_LEN]);
/* Is org down, as far as this node can tell: our DEALER to it has no
 * connection, and an attempt to make one since it was opened or lost its
 * last one has failed (nothing listens there)? false while a handshake is
 * under way, and for an org we have no DEALER to (we cannot tell). */
bool transport_down(transport_t *t, const uint8_t org[SM_ID_LEN]);
/* org has just been heard from, so it is up: if our DEALER to it has had no
 * connection for a while (ZeroMQ backs off up to 10 s between attempts),
 * dial it again now instead of at ZeroMQ's next attempt (counted in
 * transport_stats.redials). Not while a handshake may still be under way
 * (a DEALER opened in the last few seconds, or a connection of it made
 * since and not yet through or failed). true if it redialled, dropping
 * what was queued. */
bool transport_heard(transport_t *t, const uint8_t org[SM_ID_LEN]);
/* The same redial, for a peer not heard from that we have something for
 * (a direct send it may have missed while down): true if the DEALER was
 * redialled, dropping what was queued on it. */
bool transport_redial(transport_t *t, const uint8_t org[SM_ID_LEN]);

/* Refuse org (in ZAP and on receipt) for ms milliseconds; close its DEALER. */
void transport_ban(transport_t *t, const uint8_t org[SM_ID_LEN], uint64_t ms);
bool transport_banned(transport_t *t, const uint8_t org[SM_ID_LEN]);
/* Close DEALERs to organizations that are no longer members (after a
 * roster change). */
void transport_prune(transport_t *t);

/* Close DEALERs unused for idle_ms, except those keep() says to keep (the
 * node's neighbours). Direct sends to named organizations and foreign SIGs
 * open DEALERs to peers a node rarely talks to; without this their sockets
 * and connections would accumulate up to the size of the federation.
 * Also reads the listener's accept failures (ZeroMQ retries them
 * silently) and logs them, at most once per 10 s: "cannot accept
 * connections: too many open files ... RLIMIT_NOFILE n". Every 10 s it
 * also returns the process's free heap memory to the kernel (glibc's
 * malloc_trim): the buffers of closed connections would otherwise stay
 * resident; and discards what peers sent down our DEALERs (at most one
 * small message each). The node calls it once a second. Returns how many
 * were closed. */
size_t transport_reap(transport_t *t, uint64_t idle_ms,
    bool (*keep)(void *ctx, const uint8_t org[SM_ID_LEN]), void *ctx);

typedef struct transport_stats {
	uint64_t frames_in, frames_out, bytes_in, bytes_out;
	uint64_t send_dropped;		/* EAGAIN: peer queue full */
	uint64_t zap_accepted, zap_refused, banned_dropped;
	uint64_t accept_failed;		/* accept() failures logged (EMFILE...) */
	uint64_t backchannel_dropped;	/* messages a peer sent down our DEALER */
	uint64_t redials;		/* DEALERs redialled (transport_redial) */
	uint64_t handshakes_failed;	/* our DEALERs' connections dropped in their
					 * handshake (timed out, refused) */
} transport_stats;
const transport_stats *transport_get_stats(const transport_t *t);

uint64_t now_ms(void);

#endif
