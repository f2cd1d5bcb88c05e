/*
 * node/zwait.c — one poll() on ZeroMQ sockets' ZMQ_FD and plain
 * descriptors; see zwait.h for the rule that keeps wake-ups from being
 * missed.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <zmq.h>
#include "node/zwait.h"

struct zwait {
	size_t n;
	struct pollfd pfd[ZWAIT_MAX];
	int fd[ZWAIT_MAX];
	void *sock[ZWAIT_MAX];		/* borrowed; NULL for a plain descriptor */
	bool on[ZWAIT_MAX];
	bool ask[ZWAIT_MAX];		/* used since ZMQ_EVENTS was last asked */
	bool ready[ZWAIT_MAX];
};

zwait_t *zwait_new(sm_err *err)
{
	zwait_t *w = calloc(1, sizeof(*w));

	if (!w)
		sm_fail(err, SM_ENOMEM, "zwait: out of memory");
	return w;
}

void zwait_destroy(zwait_t **w)
{
	if (!w || !*w)
		return;
	free(*w);
	*w = NULL;
}

static int add(zwait_t *w, void *sock, int fd, sm_err *err)
{
	if (w->n == ZWAIT_MAX)
		return sm_fail(err, SM_EBOUND, "zwait: more than %d slots", ZWAIT_MAX);
	w->fd[w->n] = fd;
	w->pfd[w->n].events = POLLIN;
	w->sock[w->n] = sock;
	w->on[w->n] = true;
	w->ask[w->n] = sock != NULL;
	w->ready[w->n] = false;
	return (int)w->n++;
}

int zwait_socket(zwait_t *w, void *sock, sm_err *err)
{
	int fd;
	size_t len = sizeof(fd);

	if (!sock)
		return sm_fail(err, SM_EINVAL, "zwait: no socket");
	if (zmq_getsockopt(sock, ZMQ_FD, &fd, &len) < 0)
		return sm_fail(err, SM_EIO, "zwait: ZMQ_FD: %s", zmq_strerror(errno));
	return add(w, sock, fd, err);
}

int zwait_fd(zwait_t *w, int fd, sm_err *err)
{
	if (fd < 0)
		return sm_fail(err, SM_EINVAL, "zwait: descriptor %d", fd);
	return add(w, NULL, fd, err);
}

static bool slot_ok(const zwait_t *w, int slot)
{
	return slot >= 0 && (size_t)slot < w->n;
}

void zwait_watch(zwait_t *w, int slot, bool on)
{
	if (slot_ok(w, slot))
		w->on[slot] = on;
}

void zwait_used(zwait_t *w, int slot)
{
	if (slot_ok(w, slot))
		w->ask[slot] = true;
}

void zwait_drained(zwait_t *w, int slot)
{
	if (slot_ok(w, slot))
		w->ask[slot] = false;
}

/* ZMQ_EVENTS of slot i: takes its pending commands, so afterwards the
 * descriptor fires on the next one. 1 with input, 0 without, -1. */
static int events_in(zwait_t *w, size_t i)
{
	uint32_t ev;
	size_t len = sizeof(ev);

	if (zmq_getsockopt(w->sock[i], ZMQ_EVENTS, &ev, &len) < 0)
		return -1;
	w->ask[i] = false;
	return (ev & ZMQ_POLLIN) != 0;
}

/* Monotonic, unlike now_ms (wall time, for timestamps): a clock step must
 * not stretch or cut a wait. */
static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One look: ZMQ_EVENTS where asked, then one poll() of up to wait_ms. */
static int look(zwait_t *w, int wait_ms)
{
	int n_ready = 0, rc;

	for (size_t i = 0; i < w->n; i++) {
		w->ready[i] = false;
		w->pfd[i].fd = w->on[i] ? w->fd[i] : -1;	/* poll skips a negative one */
		w->pfd[i].revents = 0;
		if (!w->on[i] || !w->sock[i] || !w->ask[i])
			continue;
		if ((rc = events_in(w, i)) < 0)
			return -1;
		if (rc) {
			w->ready[i] = true;
			n_ready++;
		}
	}
	/* what is already known to be waiting is served without sleeping;
	 * the poll still runs to see the plain descriptors */
	rc = poll(w->pfd, w->n, n_ready ? 0 : wait_ms);
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < w->n && rc > 0; i++) {
		if (!w->on[i] || !(w->pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) || w->ready[i])
			continue;
		if (w->sock[i]) {
			/* the descriptor also fires for commands that bring no
			 * input (a peer attached, flow control) */
			int in = events_in(w, i);
			if (in < 0)
				return -1;
			if (!in)
				continue;
		}
		w->ready[i] = true;
		n_ready++;
	}
	return n_ready;
}

int zwait_wait(zwait_t *w, long timeout_ms)
{
	uint64_t end = timeout_ms > 0 ? mono_ms() + (uint64_t)timeout_ms : 0;

	for (;;) {
		long left = timeout_ms < 0 ? -1 : 0;
		if (timeout_ms > 0) {
			uint64_t now = mono_ms();
			left = now < end ? (long)(end - now) : 0;
		}
		int rc = look(w, left > INT32_MAX ? INT32_MAX : (int)left);
		if (rc != 0 || left == 0)
			return rc;
	}
}

bool zwait_ready(const zwait_t *w, int slot)
{
	return slot_ok(w, slot) && w->ready[slot];
}
