/*
 * bench/bench_ingest.c — how many reports per second one node accepts from
 * a peer, and how fast it starts on the store that leaves.
 *
 *   bench_ingest [N]          (default 100000 reports)
 *
 * Set-up: two organizations in one SIG, real keys and a real roster. The
 * node (node_new/node_run, the code sigmeshd runs, on its own thread) is
 * fed by the other member over ZeroMQ CURVE on loopback: N TLP:AMBER
 * reports to the SIG, each signed by the peer, its body encrypted and the
 * content key sealed to both members, sent in OBJECTS frames of 256 (the
 * protocol's maximum). The reports are built before the clock starts.
 * The node does everything it does in production: dedup, verify, roster
 * and TLP scope check, open the sealed key, decrypt and decode the body,
 * index its indicators, durable group commit, forward (to nobody: the
 * only other member is the originator).
 *
 * Rows:
 *   ingest         N / (time from the first frame sent to the last object
 *                  stored), and the CPU the process used meanwhile (node
 *                  thread, verify worker, ZeroMQ I/O threads, feeder).
 *   ceiling        1 / (one Ed25519 verify + one crypto_box_seal_open +
 *                  decryption of one body + one store_put in batches of
 *                  256 with a durable commit each), measured here on the
 *                  same objects: what one core could do with nothing else.
 *   catch-up       a third member with an empty store starts beside the
 *                  node: time until it holds all N, and the bytes both
 *                  sent beyond the objects themselves.
 *   start-up       node_new on the resulting store (the scope table is
 *                  rebuilt with msg_decode_trusted), and the same rebuild
 *                  with msg_decode (a signature check per object, as
 *                  before).
 * Prints a markdown section on stdout; works in a temp dir under /tmp.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "keys/federation.h"
#include "keys/identity.h"
#include "keys/roster.h"
#include "node/node.h"
#include "node/scope.h"
#include "node/store.h"
#include "proto/body.h"
#include "proto/wire.h"

#define FRAME_OBJS 256
#define N_MICRO 2000

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what, const sm_err *err)
{
	fprintf(stderr, "bench_ingest: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

/* Reports of the peer, AMBER to the SIG: the everyday J-CSIP case. */
static uint8_t **make_reports(identity_t *peer, federation_t *fed, const uint8_t sig[SM_ID_LEN],
    size_t n, size_t **lens)
{
	uint8_t **objs = calloc(n, sizeof(*objs));
	sm_recipient *rcpt = NULL;
	uint32_t n_rcpt = 0;
	sm_report r;
	uint8_t sigs[1][SM_ID_LEN];
	sm_err err = {0};
	uint64_t t0 = (uint64_t)time(NULL) * 1000;

	*lens = calloc(n, sizeof(**lens));
	if (!objs || !*lens)
		die("out of memory", NULL);
	memset(&r, 0, sizeof(r));
	memcpy(sigs[0], sig, SM_ID_LEN);
	r.aud.n_sigs = 1;
	r.aud.sigs = sigs;
	r.tlp = SM_TLP_AMBER;
	if (federation_refs(fed, &r.aud, &r.rosters, &r.n_rosters, &err) < 0 ||
	    federation_resolve(fed, &r.aud, r.rosters, r.n_rosters, &rcpt, &n_rcpt, &err) < 0)
		die("audience", &err);
	for (size_t i = 0; i < n; i++) {
		char json[1024];
		body_t b;
		uint8_t *enc;
		size_t enc_len;
		int jl = snprintf(json, sizeof(json),
		    "{\"title\":\"Invoice %zu\",\"mail_type\":\"attachment\",\"sender_class\":\"freemail-foreign\","
		    "\"from\":[{\"address\":\"billing%zu@lure%zu.example\",\"name\":\"Accounts\"}],"
		    "\"subject\":\"Payment overdue %zu\",\"domains\":[\"lure%zu.example\",\"c2-%zu.example\"],"
		    "\"urls\":[\"http://c2-%zu.example/gate.php?id=%zu\"]}",
		    i, i, i % 977, i, i % 977, i, i, i);
		if (body_from_json(json, (size_t)jl, &b, &err) < 0)
			die("body", &err);
		if (!(enc = body_encode(&b, &enc_len, &err)))
			die("body_encode", &err);
		body_clear(&b);
		r.h.type = SM_MSG_REPORT;
		memcpy(r.h.originator, identity_public(peer)->org, SM_ID_LEN);
		r.h.seq = i + 1;
		r.h.created_ms = t0 - n + i;
		if (!(objs[i] = msg_report_build(&r, enc, enc_len, true, rcpt, n_rcpt,
		    identity_sign_sk(peer), NULL, &(*lens)[i], &err)))
			die("report", &err);
		free(enc);
	}
	free(rcpt);
	free(r.rosters);
	return objs;
}

/* Per-object cost of each primitive on one core, in seconds. */
struct micro { double verify, open, decrypt, put; size_t body; };

static struct micro measure_primitives(const uint8_t *obj, size_t len, identity_t *node,
    const char *dir, uint8_t **objs, size_t *lens, size_t n)
{
	struct micro m = {0};
	sm_object o;
	sm_msg msg;
	sm_err err = {0};
	uint8_t key[32], *plain;
	const sm_keyslot *slot = NULL;
	double t0;
	volatile int sink = 0;

	if (msg_object_split(obj, len, &o, &err) < 0 || msg_decode(obj, len, 0, &msg, &err) < 0)
		die("sample object", &err);
	t0 = now();
	for (int i = 0; i < N_MICRO; i++)
		sink += msg_object_verify(&o, NULL);
	m.verify = (now() - t0) / N_MICRO;
	for (uint32_t i = 0; i < msg.u.report.n_keys; i++)
		if (!memcmp(msg.u.report.keys[i].org, identity_public(node)->org, SM_ID_LEN))
			slot = &msg.u.report.keys[i];
	if (!slot)
		die("no key slot for the node", NULL);
	t0 = now();
	for (int i = 0; i < N_MICRO; i++)
		sink += crypto_box_seal_open(key, slot->sealed, SM_SEALED_KEY_LEN,
		    identity_public(node)->box_pk, identity_box_sk(node));
	m.open = (now() - t0) / N_MICRO;
	m.body = msg.u.report.data_len;
	plain = malloc(msg.u.report.data_len);
	t0 = now();
	for (int i = 0; i < N_MICRO; i++) {
		unsigned long long pl;
		/* the AEAD's associated data does not change its cost */
		sink += crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &pl, NULL,
		    msg.u.report.data, msg.u.report.data_len, NULL, 0, msg.u.report.nonce, key);
	}
	m.decrypt = (now() - t0) / N_MICRO;
	free(plain);
	msg_clear(&msg);
	(void)sink;

	/* batched, durable store_put of the same objects into a scratch store */
	char sdir[600];
	snprintf(sdir, sizeof(sdir), "%s/putbench", dir);
	store_t *s = store_open(sdir, (size_t)4 << 30, &err);
	if (!s)
		die("scratch store", &err);
	size_t np = n < 20000 ? n : 20000;
	t0 = now();
	for (size_t b = 0; b < np; b += 256) {
		if (store_begin(s, &err) < 0)
			die("store_begin", &err);
		for (size_t i = b; i < b + 256 && i < np; i++) {
			store_meta meta;
			sm_object oo;
			memset(&meta, 0, sizeof(meta));
			msg_object_id(objs[i], lens[i], meta.id);
			if (msg_object_split(objs[i], lens[i], &oo, &err) < 0)
				die("split", &err);
			meta.type = SM_MSG_REPORT;
			meta.tlp = SM_TLP_AMBER;
			memcpy(meta.originator, oo.signer, SM_ID_LEN);
			meta.seq = i + 1;
			meta.created_ms = 1700000000000ull + i;
			if (store_put(s, &meta, objs[i], lens[i], &err) < 0)
				die("store_put", &err);
		}
		if (store_commit(s, &err) < 0)
			die("store_commit", &err);
	}
	m.put = (now() - t0) / (double)np;
	store_destroy(&s);
	return m;
}

struct loadctx { scope_t *s; size_t bad; };

static int load_full(void *ctx, const store_meta *meta, const uint8_t *obj, size_t len)
{
	struct loadctx *c = ctx;
	sm_msg m;

	if (msg_decode(obj, len, 0, &m, NULL) < 0) {
		c->bad++;
		return 0;
	}
	return scope_add(c->s, &m, meta->arrival) ? 0 : -1;
}

static void *run_node(void *arg)
{
	node_run(arg);
	return NULL;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	char dir[] = "/tmp/sm-bench-ingest.XXXXXX", path[700], rosters[600];
	sm_err err = {0};
	int port = 30000 + (int)(getpid() % 20000);

	if (sodium_init() < 0 || n == 0 || !mkdtemp(dir))
		die("set-up", NULL);
	snprintf(rosters, sizeof(rosters), "%s/rosters", dir);
	mkdir(rosters, 0700);

	/* two members of one SIG */
	identity_t *node_id = identity_generate("org-node", &err);
	identity_t *peer_id = identity_generate("org-peer", &err);
	identity_t *late_id = identity_generate("org-late", &err);
	if (!node_id || !peer_id || !late_id)
		die("keys", &err);
	snprintf(path, sizeof(path), "%s/node.key", dir);
	if (identity_save(node_id, path, NULL, true, &err) < 0)
		die("save key", &err);
	snprintf(path, sizeof(path), "%s/late.key", dir);
	if (identity_save(late_id, path, NULL, true, &err) < 0)
		die("save key", &err);
	roster_member mem[3];
	identity_t *ids[3] = { node_id, peer_id, late_id };
	for (int i = 0; i < 3; i++) {
		char ep[64];
		size_t clen;
		uint8_t *card = identity_card(ids[i], &clen, &err);
		snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", port + i);
		if (!card || roster_member_from_card(&mem[i], card, clen, ep, &err) < 0)
			die("card", &err);
		free(card);
	}
	size_t elen, nlen;
	uint8_t *entry = roster_genesis("bench", mem, 3, 0, false, (uint64_t)time(NULL) * 1000, &elen, &err);
	for (int i = 0; entry && i < 3; i++) {
		uint8_t *next = roster_approve(entry, elen, ids[i], &nlen, &err);
		free(entry);
		entry = next;
		elen = nlen;
	}
	roster_t *ro = roster_new();
	snprintf(path, sizeof(path), "%s/bench.roster", rosters);
	if (!entry || !ro || roster_append(ro, entry, elen, &err) < 0 || roster_save(ro, path, &err) < 0)
		die("roster", &err);
	free(entry);
	uint8_t sig[SM_ID_LEN];
	memcpy(sig, roster_sig_id(ro), SM_ID_LEN);
	roster_destroy(&ro);
	federation_t *fed = federation_new();
	if (!fed || federation_load_dir(fed, rosters, &err) < 0)
		die("federation", &err);

	fprintf(stderr, "bench_ingest: building %zu reports\n", n);
	size_t *lens;
	uint8_t **objs = make_reports(peer_id, fed, sig, n, &lens);
	size_t total_bytes = 0;
	for (size_t i = 0; i < n; i++)
		total_bytes += lens[i];
	struct micro mc = measure_primitives(objs[0], lens[0], node_id, dir, objs, lens, n);

	/* the node */
	char conf[2048];
	config cfg;
	snprintf(conf, sizeof(conf),
	    "[node]\ndata_dir = %s/data\nkey_file = %s/node.key\nrosters = %s\n"
	    "listen = tcp://127.0.0.1:%d\nlog_level = error\nmap_size_mb = 4096\n",
	    dir, dir, rosters, port);
	if (config_parse(&cfg, conf, dir, &err) < 0)
		die("config", &err);
	node_t *node = node_new(&cfg, &err);
	if (!node)
		die("node_new", &err);
	pthread_t th;
	pthread_create(&th, NULL, run_node, node);

	/* the feeding peer: a CURVE client with the peer's keys */
	void *zctx = zmq_ctx_new();
	void *dealer = zmq_socket(zctx, ZMQ_DEALER);
	int hwm = 0, linger = 0;
	zmq_setsockopt(dealer, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(dealer, ZMQ_CURVE_SERVERKEY, identity_public(node_id)->curve_pk, 32);
	zmq_setsockopt(dealer, ZMQ_CURVE_PUBLICKEY, identity_public(peer_id)->curve_pk, 32);
	zmq_setsockopt(dealer, ZMQ_CURVE_SECRETKEY, identity_curve_sk(peer_id), 32);
	snprintf(path, sizeof(path), "tcp://127.0.0.1:%d", port);
	if (zmq_connect(dealer, path) < 0)
		die("connect", NULL);

	const node_counters *c = node_get_counters(node);
	double t0 = now(), cpu0 = cpu_now();
	for (size_t i = 0; i < n; i += FRAME_OBJS) {
		size_t k = n - i < FRAME_OBJS ? n - i : FRAME_OBJS, flen = 0;
		uint8_t *frame = wire_objects((const uint8_t **)&objs[i], &lens[i], (uint32_t)k, &flen);
		if (!frame || zmq_send(dealer, frame, flen, 0) < 0)
			die("send", NULL);
		free(frame);
	}
	uint64_t got = 0;
	double t1;
	for (;;) {
		got = __atomic_load_n(&c->received_objects, __ATOMIC_RELAXED);
		t1 = now();
		if (got >= n || t1 - t0 > 300)
			break;
		usleep(500);
	}
	double cpu1 = cpu_now();
	uint64_t rejected = __atomic_load_n(&c->rejected, __ATOMIC_RELAXED);
	node_stop(node);
	pthread_join(th, NULL);
	node_destroy(&node);
	zmq_close(dealer);
	zmq_ctx_term(zctx);

	/* start-up on the store just written */
	double s0 = now();
	node = node_new(&cfg, &err);
	double s_trusted = now() - s0;
	if (!node)
		die("node_new again", &err);
	node_destroy(&node);
	/* catch-up: a third member of the SIG, "offline" during all of the
	 * above (its store is empty), comes up beside the node */
	char confc[2048];
	config cfgc;
	snprintf(confc, sizeof(confc),
	    "[node]\ndata_dir = %s/late\nkey_file = %s/late.key\nrosters = %s\n"
	    "listen = tcp://127.0.0.1:%d\nlog_level = error\nmap_size_mb = 4096\n",
	    dir, dir, rosters, port + 2);
	if (config_parse(&cfgc, confc, dir, &err) < 0)
		die("config", &err);
	node = node_new(&cfg, &err);
	if (!node)
		die("node_new for catch-up", &err);
	pthread_t tha, thc;
	/* the node has been up a while when the newcomer returns */
	pthread_create(&tha, NULL, run_node, node);
	sleep(6);
	double c0 = now();
	node_t *late = node_new(&cfgc, &err);
	if (!late)
		die("node_new for catch-up", &err);
	const node_counters *ca = node_get_counters(node), *cc = node_get_counters(late);
	pthread_create(&thc, NULL, run_node, late);
	uint64_t caught;
	double c1;
	for (;;) {
		caught = __atomic_load_n(&cc->received_objects, __ATOMIC_RELAXED);
		c1 = now();
		if (caught >= n || c1 - c0 > 300)
			break;
		usleep(1000);
	}
	usleep(200 * 1000);	/* let the last sessions finish before counting bytes */
	uint64_t sent_a = __atomic_load_n(&ca->bytes_sent, __ATOMIC_RELAXED);
	uint64_t sent_c = __atomic_load_n(&cc->bytes_sent, __ATOMIC_RELAXED);
	uint64_t pushed = __atomic_load_n(&ca->recon_objects, __ATOMIC_RELAXED);
	uint64_t dups = __atomic_load_n(&cc->duplicates, __ATOMIC_RELAXED);
	uint64_t sess_a = __atomic_load_n(&ca->recon_sessions, __ATOMIC_RELAXED);
	uint64_t sess_c = __atomic_load_n(&cc->recon_sessions, __ATOMIC_RELAXED);
	node_stop(node);
	node_stop(late);
	pthread_join(tha, NULL);
	pthread_join(thc, NULL);
	node_destroy(&node);
	node_destroy(&late);

	snprintf(path, sizeof(path), "%s/data", dir);
	store_t *st = store_open(path, (size_t)4096 << 20, &err);
	struct loadctx lc = { scope_new(), 0 };
	if (!st || !lc.s)
		die("store", &err);
	s0 = now();
	if (store_each_arrival(st, 0, load_full, &lc, &err) < 0)
		die("reload", &err);
	double s_full = now() - s0;
	size_t held = scope_count(lc.s);
	scope_destroy(&lc.s);
	store_destroy(&st);

	double wall = t1 - t0;
	double rate = (double)got / wall;
	double per = mc.verify + mc.open + mc.decrypt + mc.put;
	double ceiling = 1.0 / per;
	double cores = (cpu1 - cpu0) / wall;
	printf("## Ingest (node)\n\n");
	printf("`bench_ingest %zu`: one node (node_new/node_run on its own thread, one verify worker per core) fed "
	    "%zu TLP:AMBER reports (%zu bytes on average, body %zu bytes encrypted, content key sealed to 3 "
	    "members) by the other member of its SIG over ZeroMQ CURVE on loopback, OBJECTS frames of %d. "
	    "Stored means verified, scope-checked, opened, decrypted, indexed, durably committed (group "
	    "commit, fsync per batch of up to %d) and forwarded (to the third member, offline: its queue).\n\n",
	    n, n, total_bytes / n, mc.body, FRAME_OBJS, NODE_BATCH);
	printf("| what | result |\n|---|---|\n");
	printf("| ingest | %llu stored in %.2f s: **%.0f reports/s** (%llu rejected) |\n",
	    (unsigned long long)got, wall, rate, (unsigned long long)rejected);
	printf("| CPU used meanwhile | %.2f cores on average (node, worker, ZeroMQ I/O, feeder) |\n", cores);
	printf("| Ed25519 verify | %.1f us |\n", mc.verify * 1e6);
	printf("| crypto_box_seal_open | %.1f us |\n", mc.open * 1e6);
	printf("| body decryption (%zu bytes) | %.1f us |\n", mc.body, mc.decrypt * 1e6);
	printf("| store_put, batched 256, durable | %.1f us |\n", mc.put * 1e6);
	printf("| ceiling, one core | %.0f reports/s |\n", ceiling);
	printf("| ingest / ceiling | %.0f%% of one core's ceiling; %.0f%% per core in use (%.2f) |\n",
	    100.0 * rate / ceiling, 100.0 * rate / (ceiling * (cores > 1 ? cores : 1)), cores);
	printf("| start-up, %zu objects, msg_decode_trusted (node_new) | %.2f s |\n", held, s_trusted);
	printf("| start-up rebuild with msg_decode (signature per object) | %.2f s |\n\n", s_full);
	printf("## Catch-up (node)\n\n");
	printf("`bench_ingest %zu`: a third member of the SIG with an empty store (offline during all %zu "
	    "reports) starts beside the node, which has been up for 6 s; they greet and reconcile (one session: the newcomer, just started, starts it, and the node waits "
	    "for it), and the node pushes what the newcomer lacks. Overhead = every byte both sent (HELLO, RECON, OBJECTS "
	    "framing, duplicate pushes) beyond the missed objects' own bytes.\n\n", n, n);
	printf("| what | result |\n|---|---|\n");
	printf("| caught up | %llu of %zu objects in **%.2f s** (%.0f objects/s) |\n",
	    (unsigned long long)caught, n, c1 - c0, (double)caught / (c1 - c0));
	printf("| missed objects' bytes | %zu |\n", total_bytes);
	printf("| bytes sent, node + newcomer | %llu + %llu |\n", (unsigned long long)sent_a,
	    (unsigned long long)sent_c);
	printf("| overhead | **%.2f%%** of the missed bytes |\n",
	    100.0 * ((double)(sent_a + sent_c) - (double)total_bytes) / (double)total_bytes);
	printf("| objects pushed by reconciliation / duplicates received | %llu / %llu |\n",
	    (unsigned long long)pushed, (unsigned long long)dups);
	printf("| sessions started by node / newcomer | %llu / %llu |\n\n",
	    (unsigned long long)sess_a, (unsigned long long)sess_c);

	for (size_t i = 0; i < n; i++)
		free(objs[i]);
	free(objs);
	free(lens);
	federation_destroy(&fed);
	identity_destroy(&node_id);
	identity_destroy(&peer_id);
	identity_destroy(&late_id);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_ingest: could not remove %s\n", dir);
	return got >= n ? 0 : 1;
}
