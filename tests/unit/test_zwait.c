/*
 * tests/unit/test_zwait.c — node/zwait.c, the node loop's wait: input on a
 * ZeroMQ socket and on a plain descriptor wakes it, a slot switched off
 * does not, a socket marked used is asked again before the wait sleeps
 * (and one wrongly marked drained after its signal was taken is not seen:
 * why the rule exists), and a ping-pong of bursts over loopback TCP,
 * answered on the watched ROUTER itself, never sleeps through input.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <zmq.h>
#include "tests/test.h"
#include "node/zwait.h"

#define LONG_MS 10000	/* a wait that reaches this has missed its input */
#define ROUNDS 600

static void *ctx;

/* A ROUTER bound on loopback and a DEALER connected to it. */
static int pair(void **router, void **dealer)
{
	char ep[128];
	size_t len = sizeof(ep);

	*router = zmq_socket(ctx, ZMQ_ROUTER);
	*dealer = zmq_socket(ctx, ZMQ_DEALER);
	if (!*router || !*dealer || zmq_bind(*router, "tcp://127.0.0.1:*") < 0 ||
	    zmq_getsockopt(*router, ZMQ_LAST_ENDPOINT, ep, &len) < 0 || zmq_connect(*dealer, ep) < 0)
		return -1;
	return 0;
}

static void close_pair(void *router, void *dealer)
{
	int zero = 0;

	zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_close(router);
	zmq_close(dealer);
}

/* Receive one ROUTER message (identity + body) without waiting; its body
 * size, or -1 (errno EAGAIN when none). */
static int router_recv(void *router, zmq_msg_t *id)
{
	char buf[64];
	int more, n;
	size_t len = sizeof(more);

	if (zmq_msg_recv(id, router, ZMQ_DONTWAIT) < 0)
		return -1;
	if (zmq_getsockopt(router, ZMQ_RCVMORE, &more, &len) < 0 || !more)
		return -1;
	n = zmq_recv(router, buf, sizeof(buf), ZMQ_DONTWAIT);
	return n;
}

static void test_zwait_input_wakes(void)
{
	void *router, *dealer;
	sm_err err = {0};
	zwait_t *w = zwait_new(&err);
	int s_rt, s_fd, efd = eventfd(0, EFD_NONBLOCK);
	uint64_t one = 1;

	CHECK(w && efd >= 0 && pair(&router, &dealer) == 0);
	s_rt = zwait_socket(w, router, &err);
	s_fd = zwait_fd(w, efd, &err);
	CHECK(s_rt >= 0 && s_fd >= 0 && s_rt != s_fd);
	CHECK(zwait_wait(w, 0) == 0);		/* nothing yet */
	CHECK(!zwait_ready(w, s_rt) && !zwait_ready(w, s_fd));
	CHECK(zmq_send(dealer, "x", 1, 0) == 1);
	CHECK(zwait_wait(w, LONG_MS) == 1);
	CHECK(zwait_ready(w, s_rt) && !zwait_ready(w, s_fd));

	zmq_msg_t id;
	zmq_msg_init(&id);
	CHECK(router_recv(router, &id) == 1);
	zmq_msg_close(&id);
	zmq_msg_init(&id);
	CHECK(router_recv(router, &id) < 0 && errno == EAGAIN);
	zmq_msg_close(&id);
	zwait_drained(w, s_rt);
	CHECK(zwait_wait(w, 0) == 0);

	CHECK(write(efd, &one, sizeof(one)) == sizeof(one));
	CHECK(zwait_wait(w, LONG_MS) == 1);
	CHECK(zwait_ready(w, s_fd) && !zwait_ready(w, s_rt));

	/* switched off, input is not reported; back on, it is */
	zwait_watch(w, s_fd, false);
	CHECK(zwait_wait(w, 0) == 0 && !zwait_ready(w, s_fd));
	zwait_watch(w, s_fd, true);
	CHECK(zwait_wait(w, 0) == 1 && zwait_ready(w, s_fd));

	zwait_destroy(&w);
	CHECK(w == NULL);
	close(efd);
	close_pair(router, dealer);
}

/* The rule: an operation that takes the socket's signal leaves input
 * that only ZMQ_EVENTS shows. */
static void test_zwait_used_is_asked(void)
{
	void *router, *dealer;
	sm_err err = {0};
	zwait_t *w = zwait_new(&err);
	int s_rt;
	uint32_t ev = 0;
	size_t len = sizeof(ev);

	CHECK(w && pair(&router, &dealer) == 0);
	CHECK((s_rt = zwait_socket(w, router, &err)) >= 0);
	CHECK(zwait_wait(w, 0) == 0);
	CHECK(zmq_send(dealer, "y", 1, 0) == 1);
	/* wait for the descriptor's signal without taking it */
	CHECK(zwait_wait(w, LONG_MS) == 1);
	/* an operation on the socket (here ZMQ_EVENTS itself) */
	CHECK(zmq_getsockopt(router, ZMQ_EVENTS, &ev, &len) == 0 && (ev & ZMQ_POLLIN));
	zwait_drained(w, s_rt);			/* wrong: input is waiting */
	CHECK(zwait_wait(w, 50) == 0);		/* so the wait does not see it */
	zwait_used(w, s_rt);			/* right */
	CHECK(zwait_wait(w, 0) == 1 && zwait_ready(w, s_rt));
	zwait_destroy(&w);
	close_pair(router, dealer);
}

struct peer_arg {
	void *dealer;
	int failed;
};

/* Round r: send 1 + r % 5 messages, then wait for the ROUTER's answer. */
static void *peer_main(void *arg)
{
	struct peer_arg *pa = arg;
	int t = LONG_MS;

	zmq_setsockopt(pa->dealer, ZMQ_RCVTIMEO, &t, sizeof(t));
	for (int r = 0; r < ROUNDS; r++) {
		char ack[8];
		for (int i = 0; i < 1 + r % 5; i++)
			if (zmq_send(pa->dealer, "m", 1, 0) != 1)
				pa->failed = 1;
		if (zmq_recv(pa->dealer, ack, sizeof(ack), 0) < 0) {
			pa->failed = 1;
			break;
		}
	}
	return NULL;
}

/* The node's pattern: take at most 2 messages a turn (then zwait_used),
 * or all of them (the EAGAIN, then zwait_drained); answer each burst on
 * the watched ROUTER, an operation that can take its signal. */
static void test_zwait_ping_pong_never_sleeps_through_input(void)
{
	void *router, *dealer;
	sm_err err = {0};
	zwait_t *w = zwait_new(&err);
	int s_rt, missed = 0, got = 0, round = 0, turns = 0;
	pthread_t th;
	struct peer_arg pa = { NULL, 0 };

	CHECK(w && pair(&router, &dealer) == 0);
	CHECK((s_rt = zwait_socket(w, router, &err)) >= 0);
	pa.dealer = dealer;
	CHECK(pthread_create(&th, NULL, peer_main, &pa) == 0);
	while (round < ROUNDS) {
		int rc = zwait_wait(w, LONG_MS);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			missed++;	/* the peer is waiting for us: input was there */
			break;
		}
		turns++;
		bool drained = false;
		for (int k = 0; k < (round % 2 ? 2 : 64); k++) {
			zmq_msg_t id;
			zmq_msg_init(&id);
			if (router_recv(router, &id) < 0) {
				zmq_msg_close(&id);
				drained = true;
				break;
			}
			if (++got == 1 + round % 5) {
				zmq_msg_send(&id, router, ZMQ_SNDMORE);
				zmq_send(router, "ok", 2, 0);
				got = 0;
				round++;
			}
			zmq_msg_close(&id);
		}
		if (drained)
			zwait_drained(w, s_rt);
		else
			zwait_used(w, s_rt);
	}
	pthread_join(th, NULL);
	CHECKF(missed == 0, "a wait slept %d ms through input at round %d", LONG_MS, round);
	CHECK(round == ROUNDS && !pa.failed);
	CHECK(turns >= ROUNDS);
	zwait_destroy(&w);
	close_pair(router, dealer);
}

static void test_zwait_bounds(void)
{
	sm_err err = {0};
	zwait_t *w = zwait_new(&err);
	int fds[2];

	CHECK(w && pipe(fds) == 0);
	CHECK(zwait_socket(w, NULL, &err) < 0 && err.code == SM_EINVAL);
	memset(&err, 0, sizeof(err));
	CHECK(zwait_fd(w, -1, &err) < 0 && err.code == SM_EINVAL);
	for (int i = 0; i < ZWAIT_MAX; i++)
		CHECK(zwait_fd(w, fds[0], &err) == i);
	memset(&err, 0, sizeof(err));
	CHECK(zwait_fd(w, fds[0], &err) < 0 && err.code == SM_EBOUND);
	/* a slot that was never handed out is ignored, never indexed */
	zwait_used(w, -1);
	zwait_drained(w, ZWAIT_MAX);
	zwait_watch(w, ZWAIT_MAX + 3, false);
	CHECK(!zwait_ready(w, -1) && !zwait_ready(w, ZWAIT_MAX));
	zwait_destroy(&w);
	zwait_destroy(&w);	/* twice is harmless */
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	ctx = zmq_ctx_new();
	RUN(test_zwait_input_wakes);
	RUN(test_zwait_used_is_asked);
	RUN(test_zwait_ping_pong_never_sleeps_through_input);
	RUN(test_zwait_bounds);
	zmq_ctx_term(ctx);
	TEST_EXIT();
}
