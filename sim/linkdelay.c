/*
 * sim/linkdelay.c — a userspace link emulator: a TCP relay that holds every
 * byte for a fixed delay, for kernels without sch_netem.
 *
 * For each node the relay listens on a relay port; the rosters list that
 * port (keysetup.c), the node itself listens on its real port. Every
 * accepted connection is paired with one dialled to the node, and bytes
 * are copied both ways, each chunk held until delay_ms after it was read:
 * one FIFO of (due, bytes) per direction, so order is kept. Since the relay
 * sits once on every path, the one-way delay between two nodes is delay_ms
 * (plus the loopback's microseconds). ZeroMQ CURVE is opaque TCP to it.
 *
 * Bounded: a direction holding more than LD_MAX_QUEUE bytes stops reading
 * its source, so TCP flow control pushes back on the sender (a frozen
 * node's peers stall as behind a real link). A node that is down makes the
 * dial fail and the accepted connection is closed; a reset or error on one
 * side closes both; a clean EOF is passed on once the data before it is
 * out. Delay only: loss stays with netns.c's BPF fallback.
 *
 * One thread (epoll), started after the listeners exist and joined by
 * linkdelay_destroy; every descriptor is close-on-exec so the nodes the
 * simulator forks never keep one (they hold copies between fork and exec,
 * which is why s_conn_close removes a socket from epoll before closing). In netns mode each listener lives in
 * its node's namespace (bound there before the thread starts) and the
 * thread dials the node from inside that namespace with setns, which for
 * the network namespace acts on the calling thread only. If the simulator
 * dies, the thread dies with it: nothing outlives the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "sim/sim.h"

#define LD_MAX_QUEUE (4u << 20)	/* per direction, before backpressure */
#define LD_READ_MAX (64u << 10)	/* bytes per read (and per chunk) */

enum { LD_WAKE = 0, LD_LISTEN, LD_SIDE };

typedef struct ld_ref {
	int kind;		/* LD_WAKE, LD_LISTEN, LD_SIDE */
	int side;		/* LD_SIDE: 0 peer (accepted), 1 node (dialled) */
	void *obj;		/* ld_listener or ld_conn, borrowed */
} ld_ref;

struct ld_dir;

typedef struct ld_chunk {
	struct ld_chunk *next;			/* in its direction's FIFO */
	struct ld_chunk *tprev, *tnext;		/* in the timer list while not due */
	struct ld_dir *dir;
	struct ld_conn *conn;
	int side;				/* the direction: read from side */
	bool timed;
	int64_t due_us;				/* CLOCK_MONOTONIC, microseconds */
	size_t len, off;
	uint8_t data[];
} ld_chunk;

typedef struct ld_dir {
	ld_chunk *head, *tail;	/* owned */
	size_t queued;
	bool eof;		/* the source side sent FIN */
	bool shut;		/* FIN passed on to the other side */
	bool blocked;		/* last write would block: wait for EPOLLOUT */
} ld_dir;

typedef struct ld_listener {
	int fd;
	int nsfd;		/* the node's namespace, or -1 */
	struct sockaddr_in target;
	ld_ref ref;
} ld_listener;

typedef struct ld_conn {
	int fd[2];		/* 0: accepted from a peer, 1: dialled to the node */
	bool connected;		/* fd[1]'s connect finished */
	bool dead;		/* closed; freed at the end of the batch */
	bool gone[2];		/* fd[k] removed from epoll (finished) */
	uint32_t ev[2];		/* interest registered for fd[k] */
	ld_dir d[2];		/* d[k]: bytes read from fd[k], for fd[1 - k] */
	ld_ref ref[2];
	struct ld_conn *prev, *next;	/* all connections */
} ld_conn;

struct linkdelay {
	int delay_ms;
	int ep, wake;
	int rootns;			/* the simulator's own namespace, or -1 */
	int n, cap;
	ld_listener *ls;		/* owned */
	ld_ref wake_ref;
	ld_conn *conns;			/* owned, doubly linked */
	ld_conn *dead;			/* closed this batch, via next */
	ld_chunk *thead, *ttail;	/* chunks not yet due, in due order */
	pthread_t th;
	bool running;
	_Atomic uint64_t bytes, accepted, refused;
	uint8_t buf[LD_READ_MAX];	/* the thread's read buffer */
};

static int64_t s_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

linkdelay *linkdelay_new(int delay_ms, sm_err *err)
{
	linkdelay *ld = calloc(1, sizeof(*ld));
	struct rlimit rl;

	if (!ld) {
		sm_fail(err, SM_ENOMEM, "link relay: out of memory");
		return NULL;
	}
	ld->delay_ms = delay_ms;
	ld->rootns = -1;
	ld->ep = epoll_create1(EPOLL_CLOEXEC);
	ld->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ld->ep < 0 || ld->wake < 0) {
		sm_fail(err, SM_EIO, "link relay: epoll/eventfd: %s", strerror(errno));
		linkdelay_destroy(&ld);
		return NULL;
	}
	ld->wake_ref.kind = LD_WAKE;
	if (epoll_ctl(ld->ep, EPOLL_CTL_ADD, ld->wake,
	    &(struct epoll_event){ .events = EPOLLIN, .data.ptr = &ld->wake_ref }) < 0) {
		sm_fail(err, SM_EIO, "link relay: epoll_ctl: %s", strerror(errno));
		linkdelay_destroy(&ld);
		return NULL;
	}
	/* two descriptors per relayed connection, on top of the simulator's
	 * own: a 59-node testnet holds a few thousand */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return ld;
}

/* A socket created inside namespace nsfd (or here if nsfd < 0). */
static int s_socket_in(linkdelay *ld, int nsfd)
{
	int fd, e;

	if (nsfd < 0)
		return socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	e = errno;
	if (setns(ld->rootns, CLONE_NEWNET) < 0) {
		/* cannot get back: this thread's later sockets would be in the
		 * wrong place; fail loudly rather than relay wrongly */
		if (fd >= 0)
			close(fd);
		errno = EIO;
		return -1;
	}
	errno = e;
	return fd;
}

int linkdelay_add(linkdelay *ld, const char *host, int *port, int target_port,
    const char *netns, sm_err *err)
{
	ld_listener *l;
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = -1, nsfd = -1, one = 1, p;

	if (ld->running)
		return sm_fail(err, SM_EINVAL, "link relay: listeners are added before it starts");
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return sm_fail(err, SM_EINVAL, "link relay: bad address %s", host);
	if (netns && *netns) {
		char path[128];

		if (ld->rootns < 0 &&
		    (ld->rootns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
			return sm_fail(err, SM_EIO, "link relay: own namespace: %s", strerror(errno));
		snprintf(path, sizeof(path), "/run/netns/%s", netns);
		if ((nsfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return sm_fail(err, SM_EIO, "link relay: %s: %s", path, strerror(errno));
	}
	if (ld->n == ld->cap) {
		int nc = ld->cap ? ld->cap * 2 : 64;
		ld_listener *nl = realloc(ld->ls, (size_t)nc * sizeof(*nl));

		if (!nl) {
			sm_fail(err, SM_ENOMEM, "link relay: out of memory");
			goto fail;
		}
		ld->ls = nl;
		ld->cap = nc;
	}
	if ((fd = s_socket_in(ld, nsfd)) < 0) {
		sm_fail(err, SM_EIO, "link relay: socket: %s", strerror(errno));
		goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* the first free port from *port upwards (the caller's pick is a hint) */
	for (p = *port; p < *port + 1000 && p <= 65535; p++) {
		a.sin_port = htons((uint16_t)p);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			break;
	}
	if (p >= *port + 1000 || p > 65535 || listen(fd, 256) < 0) {
		sm_fail(err, SM_EIO, "link relay: no free port on %s from %d", host, *port);
		goto fail;
	}
	l = &ld->ls[ld->n++];
	l->fd = fd;
	l->nsfd = nsfd;
	l->target = a;
	l->target.sin_port = htons((uint16_t)target_port);
	*port = p;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (nsfd >= 0)
		close(nsfd);
	return -1;
}

static void s_timer_unlink(linkdelay *ld, ld_chunk *c)
{
	if (!c->timed)
		return;
	if (c->tprev)
		c->tprev->tnext = c->tnext;
	else
		ld->thead = c->tnext;
	if (c->tnext)
		c->tnext->tprev = c->tprev;
	else
		ld->ttail = c->tprev;
	c->timed = false;
	c->tprev = c->tnext = NULL;
}

static void s_conn_close(linkdelay *ld, ld_conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	for (int k = 0; k < 2; k++) {
		ld_chunk *ch = c->d[k].head, *nx;

		for (; ch; ch = nx) {
			nx = ch->next;
			s_timer_unlink(ld, ch);
			free(ch);
		}
		c->d[k].head = c->d[k].tail = NULL;
		if (c->fd[k] >= 0) {
			/* out of the epoll set first: close() alone leaves it
			 * there while any other descriptor refers to the same
			 * socket, and a node being forked holds a copy until
			 * its exec; its events then carried a pointer into this
			 * conn after it was freed (heap corruption, seen under
			 * --link-delay as "free(): corrupted unsorted chunks") */
			if (!c->gone[k])
				epoll_ctl(ld->ep, EPOLL_CTL_DEL, c->fd[k], NULL);
			close(c->fd[k]);
		}
		c->fd[k] = -1;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		ld->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = ld->dead;
	ld->dead = c;
}

/* Register what fd[k] should wake us for; drop it once it is finished. */
static void s_interest(linkdelay *ld, ld_conn *c)
{
	for (int k = 0; k < 2; k++) {
		uint32_t ev = 0;

		if (c->dead || c->gone[k])
			continue;
		if (c->d[k].eof && c->d[1 - k].shut) {
			/* nothing more to read from it, nothing more to write to it */
			epoll_ctl(ld->ep, EPOLL_CTL_DEL, c->fd[k], NULL);
			c->gone[k] = true;
			continue;
		}
		if (!c->d[k].eof && c->d[k].queued < LD_MAX_QUEUE)
			ev |= EPOLLIN;
		if ((k == 1 && !c->connected) || c->d[1 - k].blocked)
			ev |= EPOLLOUT;
		if (ev != c->ev[k]) {
			epoll_ctl(ld->ep, EPOLL_CTL_MOD, c->fd[k],
			    &(struct epoll_event){ .events = ev, .data.ptr = &c->ref[k] });
			c->ev[k] = ev;
		}
	}
	if (!c->dead && c->gone[0] && c->gone[1])
		s_conn_close(ld, c);
}

/* Write direction k's due bytes to fd[1 - k]. */
static void s_flush(linkdelay *ld, ld_conn *c, int k, int64_t now)
{
	ld_dir *d = &c->d[k];

	if (c->dead || !c->connected)
		return;
	d->blocked = false;
	while (d->head && d->head->due_us <= now) {
		ld_chunk *ch = d->head;
		ssize_t n = send(c->fd[1 - k], ch->data + ch->off, ch->len - ch->off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				d->blocked = true;
				break;
			}
			if (errno == EINTR)
				continue;
			s_conn_close(ld, c);
			return;
		}
		atomic_fetch_add(&ld->bytes, (uint64_t)n);
		ch->off += (size_t)n;
		if (ch->off < ch->len)
			continue;
		d->head = ch->next;
		if (!d->head)
			d->tail = NULL;
		d->queued -= ch->len;
		s_timer_unlink(ld, ch);
		free(ch);
	}
	if (d->eof && !d->head && !d->shut) {
		shutdown(c->fd[1 - k], SHUT_WR);
		d->shut = true;
	}
	s_interest(ld, c);
}

static void s_accept(linkdelay *ld, ld_listener *l)
{
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), out, one = 1;
		ld_conn *c;

		if (fd < 0)
			return;		/* EAGAIN, or EMFILE: the peer waits in the backlog */
		atomic_fetch_add(&ld->accepted, 1);
		out = s_socket_in(ld, l->nsfd);
		c = out >= 0 ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			if (out >= 0)
				close(out);
			close(fd);
			atomic_fetch_add(&ld->refused, 1);
			continue;
		}
		/* the relay must not add Nagle delays of its own */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(out, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd[0] = fd;
		c->fd[1] = out;
		for (int k = 0; k < 2; k++)
			c->ref[k] = (ld_ref){ .kind = LD_SIDE, .side = k, .obj = c };
		c->next = ld->conns;
		if (ld->conns)
			ld->conns->prev = c;
		ld->conns = c;
		if (connect(out, (struct sockaddr *)&l->target, sizeof(l->target)) == 0)
			c->connected = true;
		else if (errno != EINPROGRESS) {
			/* the node is down: the peer sees its connection closed */
			atomic_fetch_add(&ld->refused, 1);
			s_conn_close(ld, c);
			continue;
		}
		c->ev[0] = EPOLLIN;
		c->ev[1] = c->connected ? EPOLLIN : EPOLLOUT;
		if (epoll_ctl(ld->ep, EPOLL_CTL_ADD, fd,
		    &(struct epoll_event){ .events = c->ev[0], .data.ptr = &c->ref[0] }) < 0 ||
		    epoll_ctl(ld->ep, EPOLL_CTL_ADD, out,
		    &(struct epoll_event){ .events = c->ev[1], .data.ptr = &c->ref[1] }) < 0)
			s_conn_close(ld, c);
	}
}

static void s_read(linkdelay *ld, ld_conn *c, int k, int64_t now)
{
	uint8_t *buf = ld->buf;
	ld_dir *d = &c->d[k];
	ssize_t n = recv(c->fd[k], buf, LD_READ_MAX, 0);
	ld_chunk *ch;

	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			s_conn_close(ld, c);
		return;
	}
	if (n == 0) {
		d->eof = true;
		s_flush(ld, c, k, now);		/* passes the FIN on if nothing waits */
		s_interest(ld, c);
		return;
	}
	if (!(ch = malloc(sizeof(*ch) + (size_t)n))) {
		s_conn_close(ld, c);
		return;
	}
	memcpy(ch->data, buf, (size_t)n);
	ch->len = (size_t)n;
	ch->off = 0;
	ch->next = NULL;
	ch->dir = d;
	ch->conn = c;
	ch->side = k;
	ch->due_us = now + (int64_t)ld->delay_ms * 1000;
	if (d->tail)
		d->tail->next = ch;
	else
		d->head = ch;
	d->tail = ch;
	d->queued += ch->len;
	/* the delay is one constant, so reading order is due order: the timer
	 * list stays sorted by appending */
	ch->timed = true;
	ch->tnext = NULL;
	ch->tprev = ld->ttail;
	if (ld->ttail)
		ld->ttail->tnext = ch;
	else
		ld->thead = ch;
	ld->ttail = ch;
	s_interest(ld, c);
}

static void s_side_event(linkdelay *ld, ld_conn *c, int k, uint32_t ev, int64_t now)
{
	if (c->dead)
		return;
	if (k == 1 && !c->connected) {
		int e = 0;
		socklen_t el = sizeof(e);

		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e != 0) {
			atomic_fetch_add(&ld->refused, 1);
			s_conn_close(ld, c);
			return;
		}
		c->connected = true;
		s_flush(ld, c, 0, now);
		s_interest(ld, c);
		return;
	}
	if (ev & EPOLLERR) {
		s_conn_close(ld, c);
		return;
	}
	if (ev & EPOLLIN)
		s_read(ld, c, k, now);
	if (c->dead)
		return;
	if (ev & EPOLLOUT)
		s_flush(ld, c, 1 - k, now);
	if (c->dead)
		return;
	/* a hang-up before the direction is finished: the other end is gone
	 * (reset); without EPOLLIN interest it would fire forever */
	if ((ev & EPOLLHUP) && !(c->d[k].eof && c->d[1 - k].shut) && !(c->ev[k] & EPOLLIN))
		s_conn_close(ld, c);
}

static void *s_thread(void *arg)
{
	linkdelay *ld = arg;
	struct epoll_event evs[64];
	bool stop = false;

	while (!stop) {
		int64_t now = s_now_us();
		int timeout = -1, n;

		if (ld->thead) {
			int64_t wait = ld->thead->due_us - now;

			/* rounded up: a chunk is never written before its time */
			timeout = wait <= 0 ? 0 : (int)((wait + 999) / 1000);
		}
		n = epoll_wait(ld->ep, evs, 64, timeout);
		now = s_now_us();
		for (int i = 0; i < n; i++) {
			ld_ref *r = evs[i].data.ptr;

			if (r->kind == LD_WAKE)
				stop = true;
			else if (r->kind == LD_LISTEN)
				s_accept(ld, r->obj);
			else
				s_side_event(ld, r->obj, r->side, evs[i].events, now);
		}
		now = s_now_us();
		while (ld->thead && ld->thead->due_us <= now) {
			ld_chunk *ch = ld->thead;

			s_timer_unlink(ld, ch);
			s_flush(ld, ch->conn, ch->side, now);	/* may free ch */
		}
		while (ld->dead) {
			ld_conn *c = ld->dead;

			ld->dead = c->next;
			free(c);
		}
	}
	return NULL;
}

int linkdelay_start(linkdelay *ld, sm_err *err)
{
	sigset_t all, old;
	int rc;

	for (int i = 0; i < ld->n; i++) {
		ld_listener *l = &ld->ls[i];

		l->ref = (ld_ref){ .kind = LD_LISTEN, .obj = l };
		if (epoll_ctl(ld->ep, EPOLL_CTL_ADD, l->fd,
		    &(struct epoll_event){ .events = EPOLLIN, .data.ptr = &l->ref }) < 0)
			return sm_fail(err, SM_EIO, "link relay: epoll_ctl: %s", strerror(errno));
	}
	/* signals (Ctrl-C) stay with the main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&ld->th, NULL, s_thread, ld);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return sm_fail(err, SM_EIO, "link relay: pthread_create: %s", strerror(rc));
	ld->running = true;
	return 0;
}

void linkdelay_stats(linkdelay *ld, uint64_t *bytes, uint64_t *accepted, uint64_t *refused)
{
	*bytes = ld ? atomic_load(&ld->bytes) : 0;
	*accepted = ld ? atomic_load(&ld->accepted) : 0;
	*refused = ld ? atomic_load(&ld->refused) : 0;
}

void linkdelay_destroy(linkdelay **pld)
{
	linkdelay *ld = pld ? *pld : NULL;

	if (!ld)
		return;
	if (ld->running) {
		uint64_t one = 1;

		if (write(ld->wake, &one, sizeof(one)) < 0) {
			/* an eventfd write of 1 cannot fail short of a full counter */
		}
		pthread_join(ld->th, NULL);
		ld->running = false;
	}
	while (ld->conns)
		s_conn_close(ld, ld->conns);
	while (ld->dead) {
		ld_conn *c = ld->dead;

		ld->dead = c->next;
		free(c);
	}
	for (int i = 0; i < ld->n; i++) {
		close(ld->ls[i].fd);
		if (ld->ls[i].nsfd >= 0)
			close(ld->ls[i].nsfd);
	}
	free(ld->ls);
	if (ld->ep >= 0)
		close(ld->ep);
	if (ld->wake >= 0)
		close(ld->wake);
	if (ld->rootns >= 0)
		close(ld->rootns);
	free(ld);
	*pld = NULL;
}
