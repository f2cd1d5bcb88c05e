/*
 * bench/bench_relayfloor.c — the floor under a testnet's latency on this
 * machine: processes that do nothing but relay over ZeroMQ CURVE.
 *
 *   bench_relayfloor                       the two default rows below
 *   bench_relayfloor SIZES RATE [SECONDS]  one row: SIZES is a comma list
 *                                          of group sizes, RATE reports/s
 *
 * Why: jcsip-2018's latency target (40 / 200 ms p50 / p99 to the full
 * audience) is missed on 2-core machines, and the time goes to thread
 * wake-ups, not to a node's own work (bench/NOTES.md). This measures what
 * is left when a node's own work is taken away: one process per
 * organization, each with a ROUTER it listens on and a DEALER per
 * neighbour, the ZeroMQ I/O thread and the main thread as in sigmeshd, the
 * same traffic shape (copies a second, announcement frames per copy,
 * body size, audiences, hops), and no signatures, no sealing, no store.
 * If this floor is above a target, no change inside sigmeshd meets that
 * target on the machine.
 *
 * Model (seeded, every relay derives the same plan):
 *   - groups of the given sizes (SIGs). Inside a group each member links
 *     to the next around a ring and to PEERS/2 random others; consecutive
 *     groups are joined by two bridge links (the profiles' bridges).
 *   - reports of BODY bytes at RATE a second with exponential gaps, from
 *     a random origin; WIDE_SHARE of them go to every organization (TLP
 *     CLEAR and GREEN), the rest to the origin's group. Follow-ups
 *     (sightings) of SMALL bytes at FOLLOW_RATE per report, to the group.
 *   - an object travels the breadth-first tree of its audience's links
 *     from its origin (one copy per member: sigmesh's trees give 1.08),
 *     and each relay that gets one sends a 64-byte announcement to up to
 *     LAZY other neighbours in the audience (sigmeshd sent 3.05 per copy
 *     when it told 3 SIG neighbours, and tells 2 since session 19: the
 *     floor keeps 3, so it errs high, not low).
 *   - latency of an object: from its due time (not from when its origin
 *     got round to sending it) until its last audience member got it.
 * Rows report latency to the full audience for reports (p50 / p90 / p99,
 * what the sim's "all-in" figures are), copies a second, CPU and context
 * switches per copy (all processes, all threads). Exits non-zero if any
 * copy went missing.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include <zmq.h>

#define RF_MAX_NODES 2048
#define RF_PEERS 4          /* a profile's active_peers */
#define RF_LAZY 3           /* announcements per copy received */
#define RF_BODY 4600        /* a 4 KiB report body, sealed and signed */
#define RF_SMALL 420        /* a sighting */
#define RF_ANNOUNCE 64
#define RF_WIDE_SHARE 0.30  /* fy2014's CLEAR and GREEN share */
#define RF_FOLLOW_RATE 0.40 /* sightings and releases per report */
#define RF_HDR 13           /* kind u8, object u32, due ns u64 */

enum { RF_OBJECT = 1, RF_ANNOUNCEMENT = 2 };

struct rf_obj {
	uint64_t due_ns;   /* CLOCK_MONOTONIC, shared by every process */
	uint16_t origin;
	uint8_t wide;      /* audience: everyone (1) or the origin's group (0) */
	uint8_t report;    /* a report (1) or a follow-up (0) */
};

struct rf_plan {
	size_t n, n_groups, n_objs;
	uint16_t *group;          /* owned: group of each node */
	uint16_t (*adj)[32];      /* owned: neighbours of each node */
	uint8_t *deg;             /* owned */
	struct rf_obj *objs;      /* owned */
};

/* xorshift64*: the plan must be the same in every process, not secret */
static uint64_t rf_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static double rf_unit(uint64_t *s)
{
	return (double)(rf_rand(s) >> 11) / 9007199254740992.0;
}

static uint64_t rf_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int rf_linked(const struct rf_plan *p, size_t a, size_t b)
{
	for (size_t i = 0; i < p->deg[a]; i++)
		if (p->adj[a][i] == b)
			return 1;
	return 0;
}

static void rf_link(struct rf_plan *p, size_t a, size_t b)
{
	if (a == b || rf_linked(p, a, b) || p->deg[a] >= 32 || p->deg[b] >= 32)
		return;
	p->adj[a][p->deg[a]++] = (uint16_t)b;
	p->adj[b][p->deg[b]++] = (uint16_t)a;
}

static void rf_plan_free(struct rf_plan *p)
{
	free(p->group);
	free(p->adj);
	free(p->deg);
	free(p->objs);
}

static int rf_plan_make(struct rf_plan *p, const size_t *sizes, size_t n_groups, double rate,
    double seconds, uint64_t t0_ns)
{
	uint64_t s = 0x5167a11ceULL;
	size_t first[256], n = 0, cap;
	double t = 0;

	memset(p, 0, sizeof(*p));
	for (size_t g = 0; g < n_groups; g++) {
		first[g] = n;
		n += sizes[g];
	}
	if (n < 2 || n > RF_MAX_NODES)
		return -1;
	p->n = n;
	p->n_groups = n_groups;
	cap = (size_t)(rate * seconds * (1 + RF_FOLLOW_RATE) * 2) + 16;
	p->group = calloc(n, sizeof(*p->group));
	p->adj = calloc(n, sizeof(*p->adj));
	p->deg = calloc(n, 1);
	p->objs = calloc(cap, sizeof(*p->objs));
	if (!p->group || !p->adj || !p->deg || !p->objs)
		return -1;
	for (size_t g = 0; g < n_groups; g++) {
		for (size_t i = 0; i < sizes[g]; i++) {
			size_t a = first[g] + i;
			p->group[a] = (uint16_t)g;
			if (sizes[g] > 1)
				rf_link(p, a, first[g] + (i + 1) % sizes[g]);
			for (int k = 0; k < RF_PEERS / 2 - 1 && sizes[g] > 3; k++)
				rf_link(p, a, first[g] + rf_rand(&s) % sizes[g]);
		}
		if (g > 0)
			for (int k = 0; k < 2; k++)
				rf_link(p, first[g - 1] + rf_rand(&s) % sizes[g - 1],
				    first[g] + rf_rand(&s) % sizes[g]);
	}
	/* reports and follow-ups as two Poisson streams, merged in due order */
	for (int report = 1; report >= 0; report--) {
		double r = report ? rate : rate * RF_FOLLOW_RATE;
		for (t = -__builtin_log(1 - rf_unit(&s)) / r; t < seconds && p->n_objs < cap;
		    t += -__builtin_log(1 - rf_unit(&s)) / r) {
			struct rf_obj *o = &p->objs[p->n_objs++];
			o->due_ns = t0_ns + (uint64_t)(t * 1e9);
			o->origin = (uint16_t)(rf_rand(&s) % n);
			o->report = (uint8_t)report;
			o->wide = (uint8_t)(report && rf_unit(&s) < RF_WIDE_SHARE);
		}
	}
	if (p->n_objs == 0)
		return -1;
	for (size_t i = 1; i < p->n_objs; i++)
		for (size_t j = i; j > 0 && p->objs[j].due_ns < p->objs[j - 1].due_ns; j--) {
			struct rf_obj x = p->objs[j];
			p->objs[j] = p->objs[j - 1];
			p->objs[j - 1] = x;
		}
	return 0;
}

static int rf_in_audience(const struct rf_plan *p, const struct rf_obj *o, size_t node)
{
	return o->wide || p->group[node] == p->group[o->origin];
}

/* The breadth-first tree of the audience's links from the origin; parent
 * of every member (the origin is its own). Ties go to the first found, so
 * every relay computes the same tree. */
static void rf_tree(const struct rf_plan *p, const struct rf_obj *o, int32_t *parent,
    uint16_t *queue)
{
	size_t head = 0, tail = 0;

	for (size_t i = 0; i < p->n; i++)
		parent[i] = -1;
	parent[o->origin] = o->origin;
	queue[tail++] = o->origin;
	while (head < tail) {
		size_t a = queue[head++];
		for (size_t k = 0; k < p->deg[a]; k++) {
			size_t b = p->adj[a][k];
			if (parent[b] < 0 && rf_in_audience(p, o, b)) {
				parent[b] = (int32_t)a;
				queue[tail++] = (uint16_t)b;
			}
		}
	}
}

/*
 * A node's cryptographic work on one copy, for rows "with crypto": check
 * the originator's Ed25519 signature over the object, and for a report
 * open its sealed content key (X25519) and decrypt its body
 * (XChaCha20-Poly1305), as sigmeshd does for a report it may read. One
 * sample object serves every copy: the cost does not depend on which.
 */
struct rf_crypto {
	uint8_t sign_pk[crypto_sign_PUBLICKEYBYTES], sig[crypto_sign_BYTES], sig_small[crypto_sign_BYTES];
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES], box_sk[crypto_box_SECRETKEYBYTES];
	uint8_t sealed[crypto_box_SEALBYTES + 32], nonce[24];
	uint8_t body[RF_BODY];   /* ciphertext, then the signature covers it */
	size_t body_len;
};

static int rf_crypto_make(struct rf_crypto *c)
{
	uint8_t sk[crypto_sign_SECRETKEYBYTES], key[32];
	unsigned long long clen;
	uint8_t plain[RF_BODY - 128];

	randombytes_buf(plain, sizeof(plain));
	randombytes_buf(key, sizeof(key));
	randombytes_buf(c->nonce, sizeof(c->nonce));
	if (crypto_sign_keypair(c->sign_pk, sk) < 0 || crypto_box_keypair(c->box_pk, c->box_sk) < 0 ||
	    crypto_box_seal(c->sealed, key, 32, c->box_pk) < 0 ||
	    crypto_aead_xchacha20poly1305_ietf_encrypt(c->body, &clen, plain, sizeof(plain), NULL, 0,
	    NULL, c->nonce, key) < 0)
		return -1;
	c->body_len = (size_t)clen;
	crypto_sign_detached(c->sig, NULL, c->body, c->body_len, sk);
	crypto_sign_detached(c->sig_small, NULL, c->body, RF_SMALL, sk);
	sodium_memzero(sk, sizeof(sk));
	return 0;
}

/* 0 if every check passed (they always should: a failure is a bug here) */
static int rf_crypto_work(const struct rf_crypto *c, int report)
{
	uint8_t key[32], plain[RF_BODY];
	unsigned long long plen;

	if (!report)
		return crypto_sign_verify_detached(c->sig_small, c->body, RF_SMALL, c->sign_pk);
	if (crypto_sign_verify_detached(c->sig, c->body, c->body_len, c->sign_pk) != 0 ||
	    crypto_box_seal_open(key, c->sealed, sizeof(c->sealed), c->box_pk, c->box_sk) != 0 ||
	    crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL, c->body, c->body_len, NULL, 0,
	    c->nonce, key) != 0)
		return -1;
	return 0;
}

/* read exactly len bytes (a pipe may hand them over in parts) */
static int rf_read_all(int fd, void *buf, size_t len)
{
	for (size_t got = 0; got < len;) {
		ssize_t r = read(fd, (uint8_t *)buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

struct rf_counts {
	uint64_t frames_sent, crypto_failed;
	double cpu_s, csw;   /* the process's, all threads, from t0 to the end */
};

static void rf_usage(double *cpu_s, double *csw)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	*cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	    ru.ru_stime.tv_usec / 1e6;
	*csw = (double)ru.ru_nvcsw + (double)ru.ru_nivcsw;
}

static void rf_send(void *dealer, uint8_t kind, uint32_t obj, uint64_t due, size_t len,
    uint8_t *buf, struct rf_counts *c)
{
	buf[0] = kind;
	memcpy(buf + 1, &obj, 4);
	memcpy(buf + 5, &due, 8);
	/* a full HWM would block the relay: count it as sent anyway and
	 * let coverage show the loss, as a node's bounded queues would */
	zmq_send(dealer, buf, len, ZMQ_DONTWAIT);
	c->frames_sent++;
}

/* An object arrived (or is due here): pass it down its tree and announce
 * it to other neighbours in its audience. */
static void rf_relay(const struct rf_plan *p, size_t me, uint32_t id, void **dealers,
    int32_t *parent, uint16_t *queue, uint8_t *buf, struct rf_counts *c)
{
	const struct rf_obj *o = &p->objs[id];
	int lazy = 0;

	rf_tree(p, o, parent, queue);
	for (size_t k = 0; k < p->deg[me]; k++) {
		size_t b = p->adj[me][k];
		if (!rf_in_audience(p, o, b))
			continue;
		if (parent[b] == (int32_t)me && b != o->origin)
			rf_send(dealers[k], RF_OBJECT, id, o->due_ns, o->report ? RF_BODY : RF_SMALL, buf, c);
		else if (parent[me] != (int32_t)b && lazy < RF_LAZY) {
			rf_send(dealers[k], RF_ANNOUNCEMENT, id, o->due_ns, RF_ANNOUNCE, buf, c);
			lazy++;
		}
	}
}

/* One organization's process. Writes, on `out`, the latency in ns of
 * every object it is in the audience of (UINT64_MAX: never got it; 0 for
 * objects outside its audience or its own), then its counts. */
static int rf_node(const struct rf_plan *p, size_t me, const uint8_t (*pub)[41],
    const char *sec, const struct rf_crypto *cr, int in, int out, uint64_t t_end_ns)
{
	void *ctx = zmq_ctx_new(), *router = zmq_socket(ctx, ZMQ_ROUTER);
	void *dealers[32] = {0};
	uint16_t *ports = calloc(p->n, sizeof(*ports));
	uint64_t *lat = calloc(p->n_objs, sizeof(*lat));
	int32_t *parent = calloc(p->n, sizeof(*parent));
	uint16_t *queue = calloc(p->n, sizeof(*queue));
	uint8_t *buf = calloc(1, RF_BODY);
	struct rf_counts c = {0};
	char ep[64];
	size_t eplen = sizeof(ep), next = 0;
	int one = 1, hwm = 512, rc = 1, started = 0;
	double cpu0 = 0, csw0 = 0;
	uint16_t port;

	if (!ctx || !router || !ports || !lat || !parent || !queue || !buf)
		goto out;
	if (zmq_setsockopt(router, ZMQ_CURVE_SERVER, &one, sizeof(one)) < 0 ||
	    zmq_setsockopt(router, ZMQ_CURVE_SECRETKEY, sec, 40) < 0 ||
	    zmq_bind(router, "tcp://127.0.0.1:*") < 0 ||
	    zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, ep, &eplen) < 0)
		goto out;
	port = (uint16_t)atoi(strrchr(ep, ':') + 1);
	if (write(out, &port, 2) != 2 || rf_read_all(in, ports, p->n * 2) < 0)
		goto out;
	for (size_t k = 0; k < p->deg[me]; k++) {
		size_t b = p->adj[me][k];
		char cpub[41], csec[41];
		if (!(dealers[k] = zmq_socket(ctx, ZMQ_DEALER)) || zmq_curve_keypair(cpub, csec) < 0 ||
		    zmq_setsockopt(dealers[k], ZMQ_CURVE_SERVERKEY, pub[b], 40) < 0 ||
		    zmq_setsockopt(dealers[k], ZMQ_CURVE_PUBLICKEY, cpub, 40) < 0 ||
		    zmq_setsockopt(dealers[k], ZMQ_CURVE_SECRETKEY, csec, 40) < 0 ||
		    zmq_setsockopt(dealers[k], ZMQ_SNDHWM, &hwm, sizeof(hwm)) < 0)
			goto out;
		snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%u", ports[b]);
		if (zmq_connect(dealers[k], ep) < 0)
			goto out;
	}
	for (size_t i = 0; i < p->n_objs; i++)
		lat[i] = rf_in_audience(p, &p->objs[i], me) && p->objs[i].origin != me ? UINT64_MAX : 0;
	for (;;) {
		uint64_t now = rf_now_ns();
		long wait_ms;
		zmq_pollitem_t it = { router, 0, ZMQ_POLLIN, 0 };

		if (!started && now >= p->objs[0].due_ns - 1000000) {
			rf_usage(&cpu0, &csw0);
			started = 1;
		}
		while (next < p->n_objs && p->objs[next].due_ns <= now) {
			if (p->objs[next].origin == me)
				rf_relay(p, me, (uint32_t)next, dealers, parent, queue, buf, &c);
			next++;
		}
		if (now >= t_end_ns)
			break;
		wait_ms = (long)((t_end_ns - now) / 1000000) + 1;
		if (next < p->n_objs)
			wait_ms = (long)((p->objs[next].due_ns - now) / 1000000) + 1;
		if (zmq_poll(&it, 1, wait_ms) < 0 && errno != EINTR)
			goto out;
		for (;;) {
			zmq_msg_t id, m;
			uint32_t obj;
			int more;
			zmq_msg_init(&id);
			zmq_msg_init(&m);
			if (zmq_msg_recv(&id, router, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&id);
				zmq_msg_close(&m);
				break;
			}
			more = zmq_msg_more(&id);
			if (more && zmq_msg_recv(&m, router, 0) >= 0 && zmq_msg_size(&m) >= RF_HDR) {
				const uint8_t *d = zmq_msg_data(&m);
				memcpy(&obj, d + 1, 4);
				/* an announcement only wakes the relay, as in
				 * sigmeshd, where it is rarely acted on */
				if (obj < p->n_objs && d[0] == RF_OBJECT && lat[obj] == UINT64_MAX) {
					/* sigmeshd checks before it relays */
					if (cr && rf_crypto_work(cr, p->objs[obj].report) < 0)
						c.crypto_failed++;
					lat[obj] = rf_now_ns() - p->objs[obj].due_ns;
					rf_relay(p, me, obj, dealers, parent, queue, buf, &c);
				}
			}
			zmq_msg_close(&id);
			zmq_msg_close(&m);
		}
	}
	rf_usage(&c.cpu_s, &c.csw);
	c.cpu_s -= cpu0;
	c.csw -= csw0;
	if (write(out, lat, p->n_objs * 8) == (ssize_t)(p->n_objs * 8) &&
	    write(out, &c, sizeof(c)) == sizeof(c))
		rc = 0;
out:
	for (size_t k = 0; k < 32; k++)
		if (dealers[k]) {
			int zero = 0;
			zmq_setsockopt(dealers[k], ZMQ_LINGER, &zero, sizeof(zero));
			zmq_close(dealers[k]);
		}
	if (router)
		zmq_close(router);
	if (ctx)
		zmq_ctx_term(ctx);
	free(ports);
	free(lat);
	free(parent);
	free(queue);
	free(buf);
	return rc;
}

static int rf_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int rf_row(const char *name, const size_t *sizes, size_t n_groups, double rate,
    double seconds, const struct rf_crypto *cr)
{
	struct rf_plan p;
	size_t n = 0;
	uint8_t (*pub)[41] = NULL;
	char (*sec)[41] = NULL;
	int (*to)[2] = NULL, (*from)[2] = NULL;
	pid_t *pids = NULL;
	uint64_t *all = NULL, *worst = NULL, t0, t_end, missing = 0, copies = 0;
	struct rf_counts tot = {0};
	size_t n_rep = 0, started = 0;
	double per_copy;
	int rc = -1;

	for (size_t g = 0; g < n_groups; g++)
		n += sizes[g];
	/* a second per 40 processes to start and hand shakes, then a second
	 * quiet, then the workload, then 3 s for the last copies; a thousand
	 * relays saturate this machine and lag by seconds, so a row that
	 * large gets 60 s, or its slowest copies would count as missing and
	 * its p99 would read low */
	t0 = rf_now_ns() + (uint64_t)((2.0 + (double)n / 40.0) * 1e9);
	t_end = t0 + (uint64_t)((seconds + (n > 500 ? 60.0 : 3.0)) * 1e9);
	if (rf_plan_make(&p, sizes, n_groups, rate, seconds, t0) < 0) {
		fprintf(stderr, "bench_relayfloor: bad plan\n");
		return -1;
	}
	pub = calloc(n, sizeof(*pub));
	sec = calloc(n, sizeof(*sec));
	to = calloc(n, sizeof(*to));
	from = calloc(n, sizeof(*from));
	pids = calloc(n, sizeof(*pids));
	worst = calloc(p.n_objs, sizeof(*worst));
	all = calloc(p.n_objs, sizeof(*all));
	if (!pub || !sec || !to || !from || !pids || !worst || !all)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (zmq_curve_keypair((char *)pub[i], sec[i]) < 0)
			goto out;
	fflush(NULL);
	for (size_t i = 0; i < n; i++) {
		if (pipe(to[i]) < 0 || pipe(from[i]) < 0)
			goto out;
		if ((pids[i] = fork()) < 0)
			goto out;
		if (pids[i] == 0) {
			/* the other relays' pipes are not this one's business
			 * (and a thousand of them would pass RLIMIT_NOFILE) */
			for (size_t j = 0; j < i; j++) {
				close(to[j][1]);
				close(from[j][0]);
			}
			close(to[i][1]);
			close(from[i][0]);
			_exit(rf_node(&p, i, (const uint8_t (*)[41])pub, sec[i], cr, to[i][0], from[i][1], t_end));
		}
		started++;
		close(to[i][0]);
		close(from[i][1]);
	}
	{
		uint16_t *ports = calloc(n, sizeof(*ports));
		if (!ports)
			goto out;
		for (size_t i = 0; i < n; i++)
			if (rf_read_all(from[i][0], &ports[i], 2) < 0) {
				fprintf(stderr, "bench_relayfloor: relay %zu did not start\n", i);
				free(ports);
				goto out;
			}
		for (size_t i = 0; i < n; i++)
			if (write(to[i][1], ports, n * 2) != (ssize_t)(n * 2)) {
				free(ports);
				goto out;
			}
		free(ports);
	}
	if (rf_now_ns() > t0)
		fprintf(stderr, "bench_relayfloor: %s: start-up overran the workload's start\n", name);
	for (size_t i = 0; i < n; i++) {
		struct rf_counts c;
		if (rf_read_all(from[i][0], all, p.n_objs * 8) < 0 || rf_read_all(from[i][0], &c, sizeof(c)) < 0) {
			fprintf(stderr, "bench_relayfloor: relay %zu gave no results\n", i);
			goto out;
		}
		tot.frames_sent += c.frames_sent;
		tot.crypto_failed += c.crypto_failed;
		tot.cpu_s += c.cpu_s;
		tot.csw += c.csw;
		for (size_t k = 0; k < p.n_objs; k++) {
			if (all[k] == UINT64_MAX)
				missing++;
			else if (all[k] > 0) {
				copies++;
				if (all[k] > worst[k])
					worst[k] = all[k];
			}
		}
	}
	for (size_t i = 0; i < started; i++)
		waitpid(pids[i], NULL, 0);
	started = 0;
	for (size_t k = 0; k < p.n_objs; k++)
		if (p.objs[k].report)
			all[n_rep++] = worst[k];
	qsort(all, n_rep, sizeof(*all), rf_cmp);
	per_copy = copies ? (double)copies : 1;
	printf("| %s | %zu in %zu groups | %.0f | %.2f | %.1f / %.1f / %.1f | %.0f | %.1f | %" PRIu64 " |\n",
	    name, n, n_groups, (double)copies / seconds, (double)tot.frames_sent / per_copy,
	    n_rep ? all[n_rep / 2] / 1e6 : 0, n_rep ? all[n_rep * 9 / 10] / 1e6 : 0,
	    n_rep ? all[n_rep * 99 / 100] / 1e6 : 0, tot.cpu_s / per_copy * 1e6, tot.csw / per_copy, missing);
	fflush(stdout);
	rc = missing || tot.crypto_failed ? -1 : 0;
	if (tot.crypto_failed)
		fprintf(stderr, "bench_relayfloor: %s: %" PRIu64 " checks failed\n", name, tot.crypto_failed);
	if (missing)
		fprintf(stderr, "bench_relayfloor: %s: %" PRIu64 " copies never arrived\n", name, missing);
out:
	for (size_t i = 0; i < started; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
	for (size_t i = 0; to && from && i < n; i++) {
		if (to[i][1] > 0)
			close(to[i][1]);
		if (from[i][0] > 0)
			close(from[i][0]);
	}
	free(pub);
	free(sec);
	free(to);
	free(from);
	free(pids);
	free(worst);
	free(all);
	rf_plan_free(&p);
	return rc;
}

static size_t rf_parse_sizes(const char *s, size_t *sizes, size_t max)
{
	size_t n = 0;
	char *end;
	while (*s && n < max) {
		unsigned long v = strtoul(s, &end, 10);
		if (end == s || v == 0 || v > RF_MAX_NODES)
			return 0;
		sizes[n++] = v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return 0;
	}
	return *s ? 0 : n;
}

int main(int argc, char **argv)
{
	/* the SIG sizes of sim/profiles/jcsip-2014.txt and jcsip-2018.txt */
	static const size_t j14[] = {15, 11, 10, 10, 8, 5};
	static const size_t j18[] = {40, 28, 27, 24, 12, 6, 30, 15, 16, 18, 13};
	size_t s1000[40];
	size_t sizes[256], n_groups;
	int rc = 0;

	struct rf_crypto cr;

	for (size_t g = 0; g < 40; g++)
		s1000[g] = 25;
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0 || rf_crypto_make(&cr) < 0) {
		fprintf(stderr, "bench_relayfloor: libsodium\n");
		return 1;
	}
	printf("## Relay floor: ZeroMQ CURVE relays that do nothing else\n\n");
	printf("One process per organization relaying over ZeroMQ CURVE on loopback, with sigmeshd's threads, traffic "
	       "shape and trees, and none of its work (bench/bench_relayfloor.c): what a testnet's latency cannot go "
	       "below on this machine. Reports 4,600 B at the rate given, %.0f%% to everyone, the rest to the origin's "
	       "group; %.1f follow-ups of 420 B per report; %d announcements of 64 B per copy. Latency to the full "
	       "audience of each report, from its due time.\n\n",
	    RF_WIDE_SHARE * 100, RF_FOLLOW_RATE, RF_LAZY);
	printf("| row | relays | copies/s | frames per copy | full audience p50 / p90 / p99 ms | CPU per copy us | "
	       "context switches per copy | copies missing |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
	fflush(stdout);
	if (argc >= 3) {
		double rate = atof(argv[2]), secs = argc > 3 ? atof(argv[3]) : 30;
		int with = argc > 4 && strcmp(argv[4], "crypto") == 0;
		if (!(n_groups = rf_parse_sizes(argv[1], sizes, 256)) || rate <= 0 || secs <= 0 ||
		    (argc > 4 && !with) || argc > 5) {
			fprintf(stderr, "usage: bench_relayfloor [SIZES RATE [SECONDS [crypto]]]\n");
			return 2;
		}
		rc = rf_row(with ? "given, with crypto" : "given", sizes, n_groups, rate, secs, with ? &cr : NULL) < 0;
	} else {
		/* rates giving about the copies a second of sigmesh-sim's
		 * fy2014 at 10 reports/s on these profiles (365 and 1,155:
		 * releases widen audiences, sightings follow wide reports) */
		rc |= rf_row("jcsip-2014 shape", j14, 6, 13, 30, NULL) < 0;
		rc |= rf_row("jcsip-2018 shape", j18, 11, 14, 30, NULL) < 0;
		rc |= rf_row("jcsip-2018 shape, with crypto", j18, 11, 14, 30, &cr) < 0;
		/* sigmesh-sim's scale-1000 (40 SIGs of 25) at 10 reports/s
		 * makes about 4,400 first copies a second */
		rc |= rf_row("scale-1000 shape", s1000, 40, 14, 30, NULL) < 0;
	}
	printf("\n");
	return rc;
}
