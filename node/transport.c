/*
 * node/transport.c — CURVE ROUTER/DEALER transport with a ZAP gate; see
 * transport.h.
 */
#include <errno.h>
#include <malloc.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <time.h>
#include "node/log.h"
#include "node/transport.h"

#define TP_MAX_DEALERS 2048
#define TP_MAX_BANS 256
#define TP_ACCEPT_LOG_MS 10000	/* at most one accept-failure line per this */
#define TP_DEALER_MAX_IN 4096	/* largest frame a DEALER takes (ZMTP's own) */
/*
 * How often transport_reap sweeps: it hands free heap memory back to the
 * kernel, drops what peers sent down our DEALERs, and reads the DEALERs'
 * monitors. In a 59-node soak, glibc kept about 250 kB per process of
 * freed memory resident (ZeroMQ's per-connection pipes and buffers, freed
 * when a connection closes, and message bodies, allocated on its I/O
 * thread's arena); malloc_trim(0) every 10 s cut the mean RssAnon growth
 * from warm-up to the end from +870 kB to +584 kB (issue 6). Reading every
 * DEALER costs two system calls each (poll and getpid, in libzmq) even
 * when there is nothing to read: done every second, that was 30 to 70 of
 * an idle node's system calls per second.
 */
#define TP_SWEEP_MS 10000
/*
 * A connection's liveness is the kernel's: TCP keepalive probes after
 * TP_KEEPALIVE_IDLE_S of silence, TP_KEEPALIVE_CNT of them
 * TP_KEEPALIVE_INTVL_S apart, and TCP_USER_TIMEOUT (ZMQ_TCP_MAXRT) drops
 * a connection whose sent data stays unacknowledged for TP_MAXRT_MS; both
 * ends, so a ROUTER also sheds a peer that vanished without a FIN. A
 * peer gone (host down, cut link) is noticed within about a minute, and
 * a DEALER then redials. ZMTP heartbeats did the same in user space:
 * every PING and PONG woke ZeroMQ's I/O thread at both ends, a third of
 * an idle node's wake-ups (scale-200 at rest, 10 s pings: 5.4 I/O-thread
 * wake-ups a second per node, 3.5 with 60 s pings), and on a loaded
 * machine each wake-up is what costs (bench/NOTES.md). Keepalive probes
 * are answered by the kernel and wake nobody. (Pinging from both ends
 * every 5 s, before 2026-11-27, had also made heartbeats most of an idle
 * node's traffic on the wire.)
 */
#define TP_KEEPALIVE_IDLE_S 30
#define TP_KEEPALIVE_INTVL_S 10
#define TP_KEEPALIVE_CNT 3
#define TP_MAXRT_MS 30000
/* How long a connection may take from TCP accept or connect to a finished
 * CurveZMQ handshake, ZAP included, before libzmq drops it. */
#ifndef TP_HANDSHAKE_MS
#define TP_HANDSHAKE_MS 5000
#endif
/* The same for our DEALERs, counted from TCP connect (so it includes any
 * wait in a busy peer's accept queue). A build option for experiments:
 * 20 s made no difference beyond the spread of a 600-node start, where
 * one handshake in 600 nodes failed (bench/NOTES.md). */
#ifndef TP_DIAL_HANDSHAKE_MS
#define TP_DIAL_HANDSHAKE_MS TP_HANDSHAKE_MS
#endif
/*
 * The longest a DEALER waits between attempts to reach a peer that is
 * down (ZeroMQ starts at 100 ms and doubles up to this). Every attempt
 * wakes the I/O thread and costs a TCP connect: with a 1 s ceiling, a node
 * whose neighbours were all down used 2.1-2.5 ms of CPU per second, with
 * 10 s 0.54 ms/s, and a scale-600 testnet came up in 99.5 s instead of
 * 130.8 s (bench/NOTES.md). A long back-off must not delay the answers to
 * a peer that has just come back, though: transport_heard redials at once
 * a DEALER that has been down for TP_REDIAL_DOWN_MS when its peer is heard
 * from, and the node redials (transport_redial) a peer it owes a direct
 * send, which will not greet it (node.c settle_owed).
 */
#ifndef TP_RECONNECT_MAX_MS
#define TP_RECONNECT_MAX_MS 10000
#endif
#define TP_REDIAL_DOWN_MS 1000	/* the back-off so far: ZeroMQ retries sooner */
/* A socket opened this long ago without a connection (no TCP connect, or
 * none since its handshake failed) may be dialled again. At 5 s, as
 * before 2026-11-28, a peer that came back just after a redial waited up
 * to 1.9 s for ZeroMQ's attempts at 0.1, 0.3, 0.7, 1.5 and 3.1 s and the
 * next redial; a handshake under way is kept apart (shaking). */
#define TP_REDIAL_OPENED_MS 1000

struct dealer {
	uint8_t org[SM_ID_LEN];
	void *sock;
	void *mon;			/* PAIR: sock's handshake and disconnect events */
	bool up;			/* a connection is through its handshake */
	bool shaking;			/* a connection is in its handshake, since tcp_ms */
	uint64_t tcp_ms;
	uint64_t used_ms;		/* last send */
	uint64_t opened_ms;		/* sock created (at a redial too) */
	uint64_t down_ms;		/* without a connection since (if !up) */
	/* connection attempts ZeroMQ scheduled since the last connection
	 * (ZMQ_EVENT_CONNECT_RETRIED), the dial itself counted as one: two
	 * or more without a connection means an attempt failed */
	unsigned attempts;
	char endpoint[ROSTER_MAX_ENDPOINT];
};

struct ban {
	uint8_t org[SM_ID_LEN];
	uint64_t until_ms;
};

struct transport {
	void *zctx;			/* borrowed */
	const identity_t *id;		/* borrowed */
	federation_t *fed;		/* borrowed */
	void *router;			/* bound CURVE server */
	void *zap;			/* REP on inproc://zeromq.zap.01 */
	struct dealer *dealers;		/* one per peer we send to */
	size_t n_dealers;
	void *mon;			/* PAIR: the ROUTER's accept-failure events */
	uint64_t accept_failed;		/* since the last log line */
	int accept_errno;		/* the last failure's errno */
	uint64_t accept_logged_ms;	/* when the last line was written */
	uint64_t swept_ms;		/* last sweep (see TP_SWEEP_MS) */
	uint64_t mon_seq;		/* names the DEALERs' monitor endpoints */
	struct ban bans[TP_MAX_BANS];
	size_t n_bans;
	transport_stats st;
	/* endpoints set by the node's configuration ([peer] sections),
	 * dialled instead of the roster's */
	struct endpoint_override {
		uint8_t org[SM_ID_LEN];
		char endpoint[ROSTER_MAX_ENDPOINT];
	} *over;
	size_t n_over;
};

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void hex(const uint8_t *in, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}

static int setint(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v));
}

/* TCP keepalive and the retransmission limit on every connection of s
 * (see TP_KEEPALIVE_IDLE_S) */
static int set_liveness(void *s)
{
	return setint(s, ZMQ_TCP_KEEPALIVE, 1) < 0 || setint(s, ZMQ_TCP_KEEPALIVE_IDLE, TP_KEEPALIVE_IDLE_S) < 0 ||
	    setint(s, ZMQ_TCP_KEEPALIVE_INTVL, TP_KEEPALIVE_INTVL_S) < 0 ||
	    setint(s, ZMQ_TCP_KEEPALIVE_CNT, TP_KEEPALIVE_CNT) < 0 || setint(s, ZMQ_TCP_MAXRT, TP_MAXRT_MS) < 0 ? -1 : 0;
}

/*
 * Read one event from a monitor socket without waiting: a frame of u16
 * event + u32 value, then a frame with the endpoint (read and dropped).
 * -1 when none is waiting. Both the listener's monitor (accept failures)
 * and each DEALER's (handshakes, disconnects) are read with this.
 */
static int monitor_event(void *mon, uint16_t *event, uint32_t *value)
{
	zmq_msg_t ev;
	bool more;

	zmq_msg_init(&ev);
	if (zmq_msg_recv(&ev, mon, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&ev);
		return -1;
	}
	*event = 0;
	*value = 0;
	if (zmq_msg_size(&ev) >= 6) {
		memcpy(event, zmq_msg_data(&ev), 2);
		memcpy(value, (uint8_t *)zmq_msg_data(&ev) + 2, 4);
	}
	more = zmq_msg_more(&ev);
	zmq_msg_close(&ev);
	while (more) {
		zmq_msg_t x;
		zmq_msg_init(&x);
		more = zmq_msg_recv(&x, mon, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&x);
		zmq_msg_close(&x);
	}
	return 0;
}

static void dealer_close_socks(struct dealer *d)
{
	if (d->sock) {
		zmq_socket_monitor(d->sock, NULL, 0);
		zmq_close(d->sock);
	}
	if (d->mon)
		zmq_close(d->mon);
	d->sock = d->mon = NULL;
}

transport_t *transport_new(void *zctx, const identity_t *id, federation_t *fed,
    const char *listen, sm_err *err)
{
	transport_t *t = calloc(1, sizeof(*t));
	const id_public *pub = identity_public(id);

	if (!t) {
		sm_fail(err, SM_ENOMEM, "transport: out of memory");
		return NULL;
	}
	t->zctx = zctx;
	t->id = id;
	t->fed = fed;
	if (!(t->dealers = calloc(TP_MAX_DEALERS, sizeof(*t->dealers)))) {
		sm_fail(err, SM_ENOMEM, "transport: out of memory");
		goto fail;
	}
	/* ZAP first: a CURVE server socket asks the handler bound at this
	 * fixed inproc endpoint; without one, libzmq would admit anyone. */
	t->zap = zmq_socket(zctx, ZMQ_REP);
	if (!t->zap || zmq_bind(t->zap, "inproc://zeromq.zap.01") < 0) {
		sm_fail(err, SM_EIO, "transport: ZAP handler: %s", zmq_strerror(errno));
		goto fail;
	}
	t->router = zmq_socket(zctx, ZMQ_ROUTER);
	if (!t->router) {
		sm_fail(err, SM_EIO, "transport: %s", zmq_strerror(errno));
		goto fail;
	}
	int64_t maxmsg = WIRE_MAX_FRAME + 1024;
	if (setint(t->router, ZMQ_CURVE_SERVER, 1) < 0 ||
	    zmq_setsockopt(t->router, ZMQ_CURVE_SECRETKEY, identity_curve_sk(id), 32) < 0 ||
	    zmq_setsockopt(t->router, ZMQ_CURVE_PUBLICKEY, pub->curve_pk, 32) < 0 ||
	    zmq_setsockopt(t->router, ZMQ_ZAP_DOMAIN, "sigmesh", 7) < 0 ||
	    zmq_setsockopt(t->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) < 0 ||
	    setint(t->router, ZMQ_ROUTER_MANDATORY, 1) < 0 ||
	    setint(t->router, ZMQ_ROUTER_HANDOVER, 1) < 0 ||
	    setint(t->router, ZMQ_HANDSHAKE_IVL, TP_HANDSHAKE_MS) < 0 ||
	    set_liveness(t->router) < 0 ||
	    setint(t->router, ZMQ_RCVHWM, 20000) < 0 ||
	    setint(t->router, ZMQ_LINGER, 0) < 0) {
		sm_fail(err, SM_EIO, "transport: socket options: %s", zmq_strerror(errno));
		goto fail;
	}
	/* ZeroMQ retries a failed accept() silently (EMFILE: the descriptor
	 * limit is reached, and no peer can connect until some close): watch
	 * for it on a monitor socket, read by transport_reap */
	char mon_ep[64];
	snprintf(mon_ep, sizeof(mon_ep), "inproc://sigmesh-accept-%p", (void *)t);
	if (zmq_socket_monitor(t->router, mon_ep, ZMQ_EVENT_ACCEPT_FAILED) < 0 ||
	    !(t->mon = zmq_socket(zctx, ZMQ_PAIR)) || setint(t->mon, ZMQ_LINGER, 0) < 0 ||
	    zmq_connect(t->mon, mon_ep) < 0) {
		sm_fail(err, SM_EIO, "transport: accept monitor: %s", zmq_strerror(errno));
		goto fail;
	}
	if (zmq_bind(t->router, listen) < 0) {
		sm_fail(err, SM_EIO, "transport: cannot listen on %s: %s", listen, zmq_strerror(errno));
		goto fail;
	}
	return t;
fail:
	transport_destroy(&t);
	return NULL;
}

void transport_destroy(transport_t **tp)
{
	transport_t *t = tp ? *tp : NULL;

	if (!t)
		return;
	for (size_t i = 0; i < t->n_dealers; i++)
		dealer_close_socks(&t->dealers[i]);
	free(t->dealers);
	free(t->over);
	if (t->mon)
		zmq_close(t->mon);
	if (t->router) {
		zmq_socket_monitor(t->router, NULL, 0);
		zmq_close(t->router);
	}
	if (t->zap)
		zmq_close(t->zap);
	free(t);
	*tp = NULL;
}

void *transport_router(transport_t *t) { return t->router; }
void *transport_zap(transport_t *t) { return t->zap; }
const transport_stats *transport_get_stats(const transport_t *t) { return &t->st; }

bool transport_banned(transport_t *t, const uint8_t org[SM_ID_LEN])
{
	uint64_t now = now_ms();

	for (size_t i = 0; i < t->n_bans; i++)
		if (t->bans[i].until_ms > now && !sodium_memcmp(t->bans[i].org, org, SM_ID_LEN))
			return true;
	return false;
}

static struct dealer *find_dealer(transport_t *t, const uint8_t org[SM_ID_LEN])
{
	for (size_t i = 0; i < t->n_dealers; i++)
		if (!memcmp(t->dealers[i].org, org, SM_ID_LEN))
			return &t->dealers[i];
	return NULL;
}

static void close_dealer(transport_t *t, struct dealer *d)
{
	dealer_close_socks(d);
	*d = t->dealers[--t->n_dealers];
}

void transport_ban(transport_t *t, const uint8_t org[SM_ID_LEN], uint64_t ms)
{
	uint64_t now = now_ms();
	struct dealer *d;
	size_t slot = t->n_bans;

	for (size_t i = 0; i < t->n_bans; i++) {
		if (!memcmp(t->bans[i].org, org, SM_ID_LEN) || t->bans[i].until_ms <= now) {
			slot = i;
			break;
		}
	}
	if (slot == TP_MAX_BANS)
		slot = 0;	/* table full of live bans: overwrite the oldest slot */
	else if (slot == t->n_bans)
		t->n_bans++;
	memcpy(t->bans[slot].org, org, SM_ID_LEN);
	t->bans[slot].until_ms = now + ms;
	if ((d = find_dealer(t, org)))
		close_dealer(t, d);
}

void transport_prune(transport_t *t)
{
	for (size_t i = 0; i < t->n_dealers;) {
		if (!federation_is_member(t->fed, t->dealers[i].org))
			close_dealer(t, &t->dealers[i]);
		else
			i++;
	}
}

/*
 * One ZAP request (RFC 27): version, request id, domain, address,
 * identity, mechanism, then one credential frame for CURVE: the client's
 * 32-byte public key. We answer 200 with the org id (hex) as user id, or
 * 400. Anything odd is refused.
 */
void transport_zap_handle(transport_t *t)
{
	zmq_msg_t fr[8];
	int n = 0, more = 1;
	uint8_t org[SM_ID_LEN];
	char user[2 * SM_ID_LEN + 1] = "";
	const char *status = "400", *text = "not a member";

	while (more && n < 8) {
		zmq_msg_init(&fr[n]);
		if (zmq_msg_recv(&fr[n], t->zap, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&fr[n]);
			break;
		}
		more = zmq_msg_more(&fr[n]);
		n++;
	}
	while (more) {		/* drain a request with too many frames */
		zmq_msg_t x;
		zmq_msg_init(&x);
		if (zmq_msg_recv(&x, t->zap, 0) < 0) {
			zmq_msg_close(&x);
			break;
		}
		more = zmq_msg_more(&x);
		zmq_msg_close(&x);
		n = 0;		/* malformed: reply with a refusal below */
	}
	if (n < 2)
		goto out_close;
	if (n == 7 && zmq_msg_size(&fr[5]) == 5 && !memcmp(zmq_msg_data(&fr[5]), "CURVE", 5) &&
	    zmq_msg_size(&fr[6]) == 32 &&
	    federation_org_by_curve(t->fed, zmq_msg_data(&fr[6]), org)) {
		if (transport_banned(t, org)) {
			text = "banned for misbehaviour";
		} else {
			hex(org, SM_ID_LEN, user);
			status = "200";
			text = "OK";
		}
	}
	if (status[0] == '2')
		t->st.zap_accepted++;
	else {
		t->st.zap_refused++;
		log_info("zap: refused a connection: %s", text);
	}
	/* reply: version, request id, status code, status text, user id, metadata */
	zmq_send(t->zap, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(t->zap, zmq_msg_data(&fr[1]), zmq_msg_size(&fr[1]), ZMQ_SNDMORE);
	zmq_send(t->zap, status, 3, ZMQ_SNDMORE);
	zmq_send(t->zap, text, strlen(text), ZMQ_SNDMORE);
	zmq_send(t->zap, user, strlen(user), ZMQ_SNDMORE);
	zmq_send(t->zap, "", 0, 0);
out_close:
	if (n < 2 && n >= 0) {
		/* REP must answer something to stay usable */
		if (n > 0) {
			zmq_send(t->zap, "1.0", 3, ZMQ_SNDMORE);
			zmq_send(t->zap, "", 0, ZMQ_SNDMORE);
			zmq_send(t->zap, "400", 3, ZMQ_SNDMORE);
			zmq_send(t->zap, "malformed", 9, ZMQ_SNDMORE);
			zmq_send(t->zap, "", 0, ZMQ_SNDMORE);
			zmq_send(t->zap, "", 0, 0);
		}
	}
	for (int i = 0; i < n; i++)
		zmq_msg_close(&fr[i]);
}

int transport_recv(transport_t *t, uint8_t org[SM_ID_LEN], zmq_msg_t *msg)
{
	for (;;) {
		zmq_msg_t rid;
		const char *user;
		int more;

		zmq_msg_init(&rid);
		if (zmq_msg_recv(&rid, t->router, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&rid);
			return -1;
		}
		more = zmq_msg_more(&rid);
		zmq_msg_close(&rid);
		if (!more)
			continue;
		zmq_msg_init(msg);
		if (zmq_msg_recv(msg, t->router, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(msg);
			return -1;
		}
		/* a DEALER sends one frame per message; drop anything more */
		more = zmq_msg_more(msg);
		while (more) {
			zmq_msg_t x;
			zmq_msg_init(&x);
			if (zmq_msg_recv(&x, t->router, ZMQ_DONTWAIT) < 0)
				more = 0;
			else
				more = zmq_msg_more(&x);
			zmq_msg_close(&x);
		}
		user = zmq_msg_gets(msg, "User-Id");
		if (!user || strlen(user) != 2 * SM_ID_LEN ||
		    sodium_hex2bin(org, SM_ID_LEN, user, 2 * SM_ID_LEN, NULL, NULL, NULL) < 0) {
			zmq_msg_close(msg);
			continue;
		}
		t->st.frames_in++;
		t->st.bytes_in += zmq_msg_size(msg);
		if (transport_banned(t, org) || !federation_is_member(t->fed, org)) {
			t->st.banned_dropped++;
			zmq_msg_close(msg);
			continue;
		}
		return 0;
	}
}

/*
 * Create d's socket and its monitor and start dialling d->endpoint with
 * curve_pk as the server's key. The monitor reports only a finished
 * handshake and a lost connection (a refused attempt reports nothing), so
 * its queue stays short; transport_heard and transport_reap read it.
 */
static int dealer_connect(transport_t *t, struct dealer *d, const uint8_t curve_pk[32])
{
	const id_public *pub = identity_public(t->id);
	/* the size bound covers ZMTP's own frames too (the CurveZMQ
	 * handshake, a peer's ZMTP PINGs), so it cannot be 0 */
	const int64_t no_inbound = TP_DEALER_MAX_IN;
	char mon_ep[80];
	void *s;

	snprintf(mon_ep, sizeof(mon_ep), "inproc://sigmesh-dealer-%p-%" PRIu64, (void *)t, t->mon_seq++);
	if (!(s = zmq_socket(t->zctx, ZMQ_DEALER)))
		return -1;
	d->sock = s;
	d->mon = NULL;
	d->up = d->shaking = false;
	d->opened_ms = d->down_ms = now_ms();
	d->attempts = 1;
	if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, curve_pk, 32) < 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub->curve_pk, 32) < 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, identity_curve_sk(t->id), 32) < 0 ||
	    setint(s, ZMQ_SNDHWM, 512) < 0 ||
	    /* Nothing is ever read from a DEALER: the peer answers on its
	     * own connection to our ROUTER. Left at ZeroMQ's defaults, a
	     * hostile member we connect to could send 1,000 messages of
	     * any size down this connection and have us hold them all.
	     * A frame over TP_DEALER_MAX_IN now drops the connection, and
	     * at most one small message waits (transport_reap discards
	     * it). */
	    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &no_inbound, sizeof(no_inbound)) < 0 ||
	    setint(s, ZMQ_RCVHWM, 1) < 0 ||
	    setint(s, ZMQ_LINGER, 0) < 0 ||
	    setint(s, ZMQ_RECONNECT_IVL, 100) < 0 ||
	    setint(s, ZMQ_RECONNECT_IVL_MAX, TP_RECONNECT_MAX_MS) < 0 ||
	    setint(s, ZMQ_HANDSHAKE_IVL, TP_DIAL_HANDSHAKE_MS) < 0 ||
	    set_liveness(s) < 0 ||
	    zmq_socket_monitor(s, mon_ep, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
	    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
	    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CONNECT_RETRIED) < 0 ||
	    !(d->mon = zmq_socket(t->zctx, ZMQ_PAIR)) || setint(d->mon, ZMQ_LINGER, 0) < 0 ||
	    zmq_connect(d->mon, mon_ep) < 0 ||
	    zmq_connect(s, d->endpoint) < 0) {
		int e = errno;
		dealer_close_socks(d);
		errno = e;
		return -1;
	}
	return 0;
}

static struct dealer *open_dealer(transport_t *t, const uint8_t org[SM_ID_LEN])
{
	const roster_member *m = federation_member(t->fed, org);
	struct dealer *d;

	const char *ep = m ? m->endpoint : "";

	for (size_t i = 0; m && i < t->n_over; i++)
		if (!memcmp(t->over[i].org, org, SM_ID_LEN))
			ep = t->over[i].endpoint;
	if (!m || !ep[0] || t->n_dealers >= TP_MAX_DEALERS)
		return NULL;
	d = &t->dealers[t->n_dealers];
	memset(d, 0, sizeof(*d));
	snprintf(d->endpoint, sizeof(d->endpoint), "%s", ep);
	if (dealer_connect(t, d, m->id.curve_pk) < 0) {
		log_warn("transport: cannot connect to %s (%s): %s", m->id.name, ep,
		    zmq_strerror(errno));
		return NULL;
	}
	memcpy(d->org, org, SM_ID_LEN);
	d->used_ms = now_ms();	/* idle from now, whether a send follows or not */
	t->n_dealers++;
	return d;
}

/* Bring d->up, d->shaking and d->down_ms up to date from d's monitor,
 * counting failed handshakes (timeouts mostly: a peer too busy to finish
 * one in time). */
static void dealer_events(transport_t *t, struct dealer *d)
{
	uint16_t event;
	uint32_t value;

	for (int k = 0; k < 64 && monitor_event(d->mon, &event, &value) == 0; k++) {
		if (event == ZMQ_EVENT_CONNECT_RETRIED) {
			d->attempts++;
		} else if (event == ZMQ_EVENT_CONNECTED) {
			d->shaking = true;
			d->attempts = 0;
			d->tcp_ms = now_ms();
		} else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
			d->up = true;
			d->shaking = false;
		} else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
		    event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
			d->shaking = false;
			t->st.handshakes_failed++;
		} else if (event == ZMQ_EVENT_DISCONNECTED) {
			d->shaking = false;
			d->attempts = 0;	/* the reconnection is scheduled next */
			if (d->up) {
				d->up = false;
				d->down_ms = now_ms();
			}
		}
	}
}

bool transport_redial(transport_t *t, const uint8_t org[SM_ID_LEN])
{
	struct dealer *d = find_dealer(t, org);
	const roster_member *m;
	uint64_t now;

	if (!d)
		return false;
	dealer_events(t, d);
	now = now_ms();
	/* down long enough that ZeroMQ's next attempt may be seconds away,
	 * and no handshake under way (on a socket opened in the last
	 * second, or on a connection made since). Redialling during a slow
	 * handshake threw that handshake away and made the peer start
	 * another. */
	if (d->up || now - d->down_ms < TP_REDIAL_DOWN_MS || now - d->opened_ms < TP_REDIAL_OPENED_MS ||
	    (d->shaking && now - d->tcp_ms < TP_DIAL_HANDSHAKE_MS) ||
	    !(m = federation_member(t->fed, org)))
		return false;
	dealer_close_socks(d);
	if (dealer_connect(t, d, m->id.curve_pk) < 0) {
		log_warn("transport: cannot redial %s (%s): %s", m->id.name, d->endpoint,
		    zmq_strerror(errno));
		close_dealer(t, d);
		return false;
	}
	t->st.redials++;
	log_debug("transport: redialled %s (%s)", m->id.name, d->endpoint);
	return true;
}

bool transport_heard(transport_t *t, const uint8_t org[SM_ID_LEN])
{
	/* the peer is up (it just spoke): dial it now */
	return transport_redial(t, org);
}

/* org's DEALER, opened now if there is none and org may be dialled. */
static struct dealer *dealer_for(transport_t *t, const uint8_t org[SM_ID_LEN])
{
	struct dealer *d = find_dealer(t, org);

	if (d)
		return d;
	if (transport_banned(t, org) || !federation_is_member(t->fed, org))
		return NULL;
	return open_dealer(t, org);
}

bool transport_dialled(transport_t *t, const uint8_t org[SM_ID_LEN])
{
	return find_dealer(t, org) != NULL;
}

bool transport_linked(transport_t *t, const uint8_t org[SM_ID_LEN])
{
	struct dealer *d = find_dealer(t, org);

	if (!d)
		return false;
	dealer_events(t, d);
	return d->up;
}

bool transport_down(transport_t *t, const uint8_t org[SM_ID_LEN])
{
	struct dealer *d = find_dealer(t, org);

	if (!d)
		return false;
	dealer_events(t, d);
	/* A handshake under way means a process answered: slow, not down.
	 * The monitor is read only when asked (reading every DEALER's each
	 * second cost an idle node 30-70 system calls a second, TP_SWEEP_MS),
	 * so when the disconnection happened is not known; a failed attempt
	 * to connect again says the peer is not there. */
	return !d->up && !d->shaking && d->attempts >= 2;
}

int transport_dial(transport_t *t, const uint8_t org[SM_ID_LEN])
{
	return dealer_for(t, org) ? 0 : -1;
}

int transport_send(transport_t *t, const uint8_t org[SM_ID_LEN], const uint8_t *buf, size_t len)
{
	struct dealer *d = dealer_for(t, org);

	if (!d)
		return -1;
	d->used_ms = now_ms();
	if (zmq_send(d->sock, buf, len, ZMQ_DONTWAIT) < 0) {
		t->st.send_dropped++;
		return -1;
	}
	t->st.frames_out++;
	t->st.bytes_out += len;
	return 0;
}

static void accept_events(transport_t *t);

size_t transport_reap(transport_t *t, uint64_t idle_ms,
    bool (*keep)(void *ctx, const uint8_t org[SM_ID_LEN]), void *ctx)
{
	uint64_t now = now_ms();
	size_t closed = 0;

	accept_events(t);
	for (size_t i = 0; i < t->n_dealers;) {
		struct dealer *d = &t->dealers[i];
		if (now - d->used_ms > idle_ms && !(keep && keep(ctx, d->org))) {
			close_dealer(t, d);	/* moves the last one into slot i */
			closed++;
		} else {
			i++;
		}
	}
	if (now - t->swept_ms < TP_SWEEP_MS)
		return closed;
	for (size_t i = 0; i < t->n_dealers; i++) {
		/* a peer has no business sending on the connection we opened
		 * to it (only small messages get past the size bound, one at
		 * a time): drop what it did */
		struct dealer *d = &t->dealers[i];
		char none;
		while (zmq_recv(d->sock, &none, sizeof(none), ZMQ_DONTWAIT) >= 0)
			t->st.backchannel_dropped++;
		dealer_events(t, d);	/* keeps the monitor's queue short */
	}
#ifdef __GLIBC__
	malloc_trim(0);		/* every arena, pages inside the heaps too */
#endif
	t->swept_ms = now;
	return closed;
}

/*
 * Read the ROUTER's pending accept-failure events (each: a frame of u16
 * event + u32 errno, then a frame with the endpoint) and, at most once per
 * TP_ACCEPT_LOG_MS, log how many there were and why. Bounded per call: a
 * listener at its descriptor limit fails again at every poll.
 */
static void accept_events(transport_t *t)
{
	uint64_t now;
	uint16_t event;
	uint32_t value;

	for (int k = 0; t->mon && k < 4096 && monitor_event(t->mon, &event, &value) == 0; k++) {
		if (event == ZMQ_EVENT_ACCEPT_FAILED) {
			t->accept_failed++;
			t->accept_errno = (int)value;
		}
	}
	now = now_ms();
	if (!t->accept_failed || now - t->accept_logged_ms < TP_ACCEPT_LOG_MS)
		return;
	if (t->accept_errno == EMFILE || t->accept_errno == ENFILE) {
		struct rlimit rl;
		char lim[32] = "unknown";
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
			snprintf(lim, sizeof(lim), "%" PRIu64, (uint64_t)rl.rlim_cur);
		log_error("transport: cannot accept connections: too many open files "
		    "(%s; RLIMIT_NOFILE %s): %" PRIu64 " accept failures; peers cannot connect "
		    "until descriptors are freed (raise the limit, e.g. LimitNOFILE=)",
		    t->accept_errno == ENFILE ? "system-wide table full" : "process limit reached",
		    lim, t->accept_failed);
	} else {
		log_error("transport: cannot accept connections: %s: %" PRIu64 " accept failures",
		    zmq_strerror(t->accept_errno), t->accept_failed);
	}
	t->st.accept_failed += t->accept_failed;
	t->accept_failed = 0;
	t->accept_logged_ms = now;
}

int transport_set_endpoint(transport_t *t, const uint8_t org[SM_ID_LEN], const char *endpoint,
    sm_err *err)
{
	struct endpoint_override *o;

	if (!endpoint || strlen(endpoint) >= ROSTER_MAX_ENDPOINT)
		return sm_fail(err, SM_EBOUND, "endpoint longer than %d bytes", ROSTER_MAX_ENDPOINT - 1);
	for (size_t i = 0; i < t->n_over; i++)
		if (!memcmp(t->over[i].org, org, SM_ID_LEN)) {
			snprintf(t->over[i].endpoint, ROSTER_MAX_ENDPOINT, "%s", endpoint);
			return 0;
		}
	if (!(o = realloc(t->over, (t->n_over + 1) * sizeof(*o))))
		return sm_fail(err, SM_ENOMEM, "out of memory");
	t->over = o;
	memcpy(o[t->n_over].org, org, SM_ID_LEN);
	snprintf(o[t->n_over].endpoint, ROSTER_MAX_ENDPOINT, "%s", endpoint);
	t->n_over++;
	return 0;
}
