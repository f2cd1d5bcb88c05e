/*
 * node/zwait.h — the node loop's wait on its ZeroMQ sockets and plain file
 * descriptors, in one poll() and without libzmq's per-call checks.
 *
 * zmq_poll asks every ZeroMQ socket for ZMQ_EVENTS before it sleeps and
 * again after it wakes; when a socket's command mailbox is idle each ask
 * is a getpid() and a poll() (libzmq's fork check and signaler). With
 * three sockets that is fourteen system calls for every turn of the
 * loop, most of the node thread's system calls on a busy testnet
 * (bench/NOTES.md, session 20). Here the loop sleeps in one poll() on the
 * sockets' ZMQ_FD descriptors and asks ZMQ_EVENTS only of a socket that
 * was used since it last asked, or whose descriptor fired.
 *
 * The rule that makes this safe (zmq_getsockopt(3), ZMQ_FD): the
 * descriptor only signals that the socket's command mailbox got
 * something, and any operation on the socket may take that signal
 * without its events showing anywhere. So after any operation on a
 * socket the caller says zwait_used (the next wait asks ZMQ_EVENTS
 * before sleeping), or zwait_drained when its last operation was a
 * receive that failed with EAGAIN: that receive emptied the mailbox and
 * left every pipe asleep, so the next message sends a command and the
 * descriptor fires.
 *
 * Threads: one, the caller's, as for the sockets themselves.
 * Ownership: sockets and descriptors are borrowed; the caller closes
 * them after zwait_destroy.
 */
#ifndef SIGMESH_ZWAIT_H
#define SIGMESH_ZWAIT_H

#include <stdbool.h>
#include "proto/err.h"

#define ZWAIT_MAX 8

typedef struct zwait zwait_t;

zwait_t *zwait_new(sm_err *err);
void zwait_destroy(zwait_t **w);

/* Watch a ZeroMQ socket for input; returns its slot, or -1 (SM_EBOUND,
 * SM_EIO when ZMQ_FD cannot be read). It starts as used. */
int zwait_socket(zwait_t *w, void *sock, sm_err *err);
/* Watch a plain descriptor for POLLIN; returns its slot, or -1. */
int zwait_fd(zwait_t *w, int fd, sm_err *err);

/* Leave a slot out of the waits while off (a queue that is full). */
void zwait_watch(zwait_t *w, int slot, bool on);
/* A socket had an operation other than a receive ending in EAGAIN. */
void zwait_used(zwait_t *w, int slot);
/* A socket's last operation was a receive that failed with EAGAIN. */
void zwait_drained(zwait_t *w, int slot);

/* Wait up to timeout_ms (-1: no limit) until a watched slot has input.
 * Returns the number of slots with input, 0 at the timeout, or -1 with
 * errno set (EINTR when a signal came). */
int zwait_wait(zwait_t *w, long timeout_ms);
/* Did the last zwait_wait find input on slot? (The setters above and
 * this ignore a slot that was never handed out.) */
bool zwait_ready(const zwait_t *w, int slot);

#endif
