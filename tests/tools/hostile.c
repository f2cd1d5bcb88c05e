/*
 * tests/tools/hostile.c — a member node's misbehaving twin.
 *
 *   hostile MODE --key M.key --rosters DIR --victim NAME [options]
 *
 * Connects to the victim's ROUTER as the member whose key file it is given
 * (a CurveZMQ DEALER, exactly as a real node would, so ZAP admits it), and
 * speaks the protocol badly on purpose. tests/integration/hostile.sh runs
 * one mode at a time and then inspects the victim (its log, `sigmesh dump`,
 * `sigmesh peers`) and the other nodes.
 *
 * Options:
 *   --as KEY        sign objects as this organization (a report some other
 *                   member "originated", which M then relays); default M
 *   --by KEY        sign the sighting as this organization (early-sighting)
 *   --sig NAME      SIG of the audience (or of the roster, roster-noquorum)
 *   --org NAME      organization named in the audience (repeatable), or
 *                   the organization M claims to be (other-originator)
 *   --release-sig NAME  SIG a forged release adds (release-forged)
 *   --release-first NAME  SIG an earlier release adds (early-sighting)
 *   --seconds N     duration of flood and slowloris (default 3)
 *   --conns N       slowloris connections (default 64)
 *   --seq N         first sequence number used (default: random, large)
 *   --variant S     a word put in titles (equivocate)
 *
 * Modes (each prints "id NAME HEX" for every object it sends, and "sent N
 * frames"; "handshake ok" / "handshake refused" from the socket monitor;
 * "disconnected" if the victim dropped the connection):
 *   hello              a HELLO only (admission checks)
 *   forged-sig         a GREEN report by M with one signature byte flipped
 *   other-originator   objects that claim another org (--org) as originator:
 *                      signer field = that org; and tbs originator = that org
 *   replay             a valid report sent twice (same id), then another
 *                      report with the same originator and seq
 *   relay              a report built --as someone else, relayed by M
 *                      (--tlp amber-strict|amber|red, --sig / --org)
 *   release-forged     a valid AMBER report --as its originator for --sig,
 *                      then a release of it signed by M adding --release-sig
 *   early-sighting     not misbehaviour: what gossip may do to an honest
 *                      relay. A valid AMBER report --as its originator for
 *                      --sig; a sighting of it --by a member of
 *                      --release-sig only; with --release-first, a
 *                      release adding that SIG (one the sighting's author
 *                      is not in); then the originator's release adding
 *                      --release-sig (each 300 ms after the last)
 *   roster-noquorum    a ROSTER frame adding a fresh member to --sig,
 *                      approved by M alone
 *   oversize           one frame of 5 MiB (over WIRE_MAX_FRAME + 1 KiB)
 *   big-object         an OBJECTS frame holding a 2 MiB object
 *   bomb-len           frames declaring 2^32-1 elements / bytes
 *   bomb-deep          a frame nested 100000 deep
 *   garbage            five frames of random bytes (strikes to a ban)
 *   equivocate         six GREEN reports by M with seqs --seq.. and titles
 *                      naming --variant: run it against two victims with
 *                      the same --seq and different --variant
 *   flood              duplicates of one valid object, full speed, --seconds
 *   flood-ihave        IHAVE frames of 4096 random ids, full speed, --seconds
 *   backchannel        listen at M's own endpoint, greet the victim, and
 *                      send 3 small messages, then --conns messages of
 *                      4 MiB, down the connection the victim opens to M
 *                      to answer
 *   slowloris          --conns raw TCP connections that send a partial
 *                      ZMTP greeting and never read, held --seconds
 *
 * Exit: 0 when everything was sent, 2 on usage or setup errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "keys/federation.h"
#include "keys/identity.h"
#include "keys/roster.h"
#include "proto/body.h"
#include "proto/codec.h"
#include "proto/msg.h"
#include "proto/wire.h"

#define MAX_ORGS 16

static const char *opt_key, *opt_rosters, *opt_victim, *opt_as, *opt_by, *opt_sig, *opt_relsig;
static const char *opt_relfirst;
static const char *opt_tlp = "amber-strict";
static const char *opt_orgs[MAX_ORGS];
static int n_opt_orgs;
static double opt_seconds = 3;
static int opt_conns = 64;
static uint64_t opt_seq;
static const char *opt_variant = "1";

static identity_t *me;		/* M: the key the connection uses */
static identity_t *as;		/* signs "someone else's" objects; may be me */
static federation_t *fed;
static const roster_member *victim;
static void *zctx, *sock, *mon;
static unsigned long frames_sent;
static bool handshake_ok;		/* the victim admitted us */

static void die(const char *what, const sm_err *err)
{
	fprintf(stderr, "hostile: %s%s%s\n", what, err ? ": " : "", err ? err->msg : "");
	exit(2);
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_id(const char *name, const uint8_t *obj, size_t len)
{
	uint8_t id[SM_ID_LEN];
	char hx[2 * SM_ID_LEN + 1];

	msg_object_id(obj, len, id);
	sodium_bin2hex(hx, sizeof(hx), id, SM_ID_LEN);
	printf("id %s %s\n", name, hx);
	fflush(stdout);
}

static const roster_member *member_named(const char *name)
{
	for (size_t i = 0; i < federation_count(fed); i++) {
		uint32_t n;
		const roster_member *m = roster_members(federation_at(fed, i), 0, &n);
		for (uint32_t j = 0; j < n; j++)
			if (!strcmp(m[j].id.name, name))
				return &m[j];
	}
	fprintf(stderr, "hostile: no member named %s in %s\n", name, opt_rosters);
	exit(2);
}

/* ---- the connection --------------------------------------------------- */

/* Read monitor events for up to ms; report handshake results and
 * disconnects. Returns the last interesting event (0 if none). */
static int watch(int ms)
{
	int last = 0;
	double end = mono() + ms / 1000.0;

	while (mono() < end) {
		zmq_pollitem_t it = { mon, 0, ZMQ_POLLIN, 0 };
		int left = (int)((end - mono()) * 1000) + 1;
		if (zmq_poll(&it, 1, left) <= 0)
			break;
		zmq_msg_t a, b;
		zmq_msg_init(&a);
		zmq_msg_init(&b);
		if (zmq_msg_recv(&a, mon, 0) < 0 || zmq_msg_size(&a) < 6) {
			zmq_msg_close(&a);
			break;
		}
		uint16_t ev;
		memcpy(&ev, zmq_msg_data(&a), 2);
		if (zmq_msg_more(&a))
			zmq_msg_recv(&b, mon, 0);
		zmq_msg_close(&a);
		zmq_msg_close(&b);
		switch (ev) {
		case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
			printf("handshake ok\n");
			last = ev;
			break;
		case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
		case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
		case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
			printf("handshake refused\n");
			last = ev;
			break;
		case ZMQ_EVENT_DISCONNECTED:
			printf("disconnected\n");
			last = ev;
			break;
		}
		fflush(stdout);
	}
	return last;
}

static void connect_victim(void)
{
	const id_public *pub = identity_public(me);
	/* a refused handshake leaves a DEALER with no pipe, where a blocking
	 * send would wait forever: give up after 10 s instead */
	int linger = 3000, hwm = 100000, sndtimeo = 10000;
	int64_t maxmsg = 64 << 20;

	zctx = zmq_ctx_new();
	sock = zmq_socket(zctx, ZMQ_DEALER);
	if (!sock || zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, victim->id.curve_pk, 32) < 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub->curve_pk, 32) < 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, identity_curve_sk(me), 32) < 0 ||
	    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof(hwm)) < 0 ||
	    zmq_setsockopt(sock, ZMQ_SNDTIMEO, &sndtimeo, sizeof(sndtimeo)) < 0 ||
	    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) < 0)
		die("socket options", NULL);
	if (zmq_socket_monitor(sock, "inproc://hostile-mon", ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
	    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
	    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_DISCONNECTED) < 0)
		die("monitor", NULL);
	mon = zmq_socket(zctx, ZMQ_PAIR);
	if (!mon || zmq_connect(mon, "inproc://hostile-mon") < 0)
		die("monitor connect", NULL);
	if (zmq_connect(sock, victim->endpoint) < 0)
		die("connect", NULL);
	/* wait for the handshake before sending: a refused one must show */
	double end = mono() + 3;
	while (mono() < end) {
		int ev = watch(100);
		if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
			handshake_ok = true;
			return;
		}
		if (ev && ev != ZMQ_EVENT_DISCONNECTED)
			break;
	}
}

static void finish(void)
{
	int zero = 0;

	watch(500);
	printf("sent %lu frames\n", frames_sent);
	fflush(stdout);
	/* stop the monitor and never linger on a connection that was refused:
	 * either would make zmq_ctx_term wait forever */
	zmq_socket_monitor(sock, NULL, 0);
	zmq_setsockopt(mon, ZMQ_LINGER, &zero, sizeof(zero));
	if (!handshake_ok)
		zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_close(mon);
	zmq_close(sock);
	zmq_ctx_term(zctx);
}

static int send_frame(const uint8_t *buf, size_t len, int flags)
{
	if (!buf)
		die("frame encoder failed", NULL);
	if (zmq_send(sock, buf, len, flags) < 0)
		return -1;
	frames_sent++;
	return 0;
}

static void send_objects(const uint8_t *const *objs, const size_t *lens, uint32_t n)
{
	size_t flen = 0;
	uint8_t *f = wire_objects(objs, lens, n, &flen);

	send_frame(f, flen, 0);
	free(f);
}

static void send_obj(const uint8_t *obj, size_t len)
{
	send_objects(&obj, &len, 1);
}

/* ---- building objects ------------------------------------------------- */

static uint64_t next_seq(void)
{
	return opt_seq++;
}

static void audience_from_opts(sm_audience *aud, bool federation)
{
	memset(aud, 0, sizeof(*aud));
	if (federation) {
		aud->federation = true;
		return;
	}
	if (opt_sig) {
		roster_t *r = federation_find_name(fed, opt_sig);
		if (!r)
			die("no such SIG", NULL);
		aud->n_sigs = 1;
		aud->sigs = malloc(SM_ID_LEN);
		memcpy(aud->sigs[0], roster_sig_id(r), SM_ID_LEN);
	}
	if (n_opt_orgs) {
		aud->orgs = malloc((size_t)n_opt_orgs * SM_ID_LEN);
		for (int i = 0; i < n_opt_orgs; i++)
			memcpy(aud->orgs[aud->n_orgs++], member_named(opt_orgs[i])->id.org, SM_ID_LEN);
	}
}

/* A report signed by `by`, encrypted to its audience like node_submit does.
 * key, if not NULL, receives the content key. */
static uint8_t *make_report(identity_t *by, uint8_t tlp, const sm_audience *aud0, uint64_t seq,
    const char *title, uint8_t *key, size_t *len)
{
	sm_report r;
	sm_recipient *rcpt = NULL;
	uint32_t n_rcpt = 0;
	body_t b;
	size_t blen;
	uint8_t *enc, *obj;
	uint8_t ck[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	sm_err err = {0};
	bool encrypt = tlp >= SM_TLP_AMBER;

	memset(&b, 0, sizeof(b));
	b.title = (char *)title;
	b.mail_type = 1;
	if (!(enc = body_encode(&b, &blen, &err)))
		die("body", &err);
	memset(&r, 0, sizeof(r));
	if (msg_audience_copy(&r.aud, aud0, &err) < 0 || msg_audience_normalize(&r.aud, &err) < 0 ||
	    federation_refs(fed, &r.aud, &r.rosters, &r.n_rosters, &err) < 0)
		die("audience", &err);
	if (encrypt) {
		if (federation_resolve(fed, &r.aud, r.rosters, r.n_rosters, &rcpt, &n_rcpt, &err) < 0)
			die("resolve", &err);
		bool have = false;
		for (uint32_t i = 0; i < n_rcpt; i++)
			have |= !memcmp(rcpt[i].org, identity_public(by)->org, SM_ID_LEN);
		if (!have) {
			rcpt = realloc(rcpt, (n_rcpt + 1) * sizeof(*rcpt));
			memcpy(rcpt[n_rcpt].org, identity_public(by)->org, SM_ID_LEN);
			memcpy(rcpt[n_rcpt].box_pk, identity_public(by)->box_pk, crypto_box_PUBLICKEYBYTES);
			n_rcpt++;
		}
	}
	r.h.type = SM_MSG_REPORT;
	memcpy(r.h.originator, identity_public(by)->org, SM_ID_LEN);
	r.h.seq = seq;
	r.h.created_ms = ms_now();
	r.tlp = tlp;
	obj = msg_report_build(&r, enc, blen, encrypt, rcpt, n_rcpt, identity_sign_sk(by), ck, len, &err);
	if (!obj)
		die("report build", &err);
	if (key)
		memcpy(key, ck, sizeof(ck));
	sodium_memzero(ck, sizeof(ck));
	free(enc);
	free(rcpt);
	free(r.rosters);
	msg_audience_clear(&r.aud);
	return obj;
}

static uint8_t *green_report(identity_t *by, uint64_t seq, const char *title, size_t *len)
{
	sm_audience aud;
	uint8_t *o;

	audience_from_opts(&aud, true);
	o = make_report(by, SM_TLP_GREEN, &aud, seq, title, NULL, len);
	msg_audience_clear(&aud);
	return o;
}

/* Re-wrap an object's parts: [type, signer, tbs, sig]. */
static uint8_t *wrap(uint8_t type, const uint8_t *signer, const uint8_t *tbs, size_t tbs_len,
    const uint8_t *sig, size_t *len)
{
	codec_w w;

	codec_w_init(&w);
	codec_w_array(&w, 4);
	codec_w_uint(&w, type);
	codec_w_bin(&w, signer, SM_ID_LEN);
	codec_w_bin(&w, tbs, tbs_len);
	codec_w_bin(&w, sig, SM_SIG_LEN);
	return codec_w_take(&w, len);
}

static void sign_tbs(identity_t *by, uint8_t type, const uint8_t *tbs, size_t n, uint8_t sig[SM_SIG_LEN])
{
	uint8_t *m = malloc(9 + 1 + n);

	memcpy(m, "sigmesh/1", 9);
	m[9] = type;
	memcpy(m + 10, tbs, n);
	crypto_sign_detached(sig, NULL, m, 10 + n, identity_sign_sk(by));
	free(m);
}

/* ---- modes ------------------------------------------------------------ */

static void mode_forged_sig(void)
{
	size_t len;
	uint8_t *o = green_report(me, next_seq(), "forged signature", &len);

	o[len - 1] ^= 0x01;	/* the signature is the last 64 bytes */
	print_id("forged", o, len);
	send_obj(o, len);
	free(o);
}

static void mode_other_originator(void)
{
	const uint8_t *other;
	size_t len, l2, l3;
	sm_object so;
	sm_err err = {0};
	uint8_t *o, *a, *b, *tbs, sig[SM_SIG_LEN];

	if (!n_opt_orgs)
		die("other-originator needs --org", NULL);
	other = member_named(opt_orgs[0])->id.org;
	o = green_report(me, next_seq(), "claims another originator", &len);
	if (msg_object_split(o, len, &so, &err) < 0)
		die("split", &err);
	/* (a) signer field says the other org; signature is M's */
	a = wrap(so.type, other, so.tbs, so.tbs_len, so.sig, &l2);
	/* (b) signer is M, tbs originator is the other org, signed by M */
	tbs = malloc(so.tbs_len);
	memcpy(tbs, so.tbs, so.tbs_len);
	for (size_t i = 0; i + 3 + SM_ID_LEN <= so.tbs_len; i++) {
		if (tbs[i] == 0x02 && tbs[i + 1] == 0xc4 && tbs[i + 2] == 0x20 &&
		    !memcmp(tbs + i + 3, identity_public(me)->org, SM_ID_LEN)) {
			memcpy(tbs + i + 3, other, SM_ID_LEN);
			break;
		}
	}
	sign_tbs(me, so.type, tbs, so.tbs_len, sig);
	b = wrap(so.type, identity_public(me)->org, tbs, so.tbs_len, sig, &l3);
	print_id("signer-claims-other", a, l2);
	print_id("originator-claims-other", b, l3);
	send_obj(a, l2);
	send_obj(b, l3);
	free(o);
	free(a);
	free(b);
	free(tbs);
}

static void mode_replay(void)
{
	size_t l1, l2;
	uint64_t seq = next_seq();
	uint8_t *a = green_report(me, seq, "replay original", &l1);
	uint8_t *b = green_report(me, seq, "replay same seq, other content", &l2);

	print_id("original", a, l1);
	print_id("same-seq", b, l2);
	send_obj(a, l1);
	send_obj(a, l1);	/* same id again */
	usleep(300 * 1000);	/* let the first commit */
	send_obj(a, l1);
	send_obj(b, l2);
	free(a);
	free(b);
}

static void mode_equivocate(void)
{
	for (int i = 0; i < 6; i++) {
		char title[64];
		size_t len;
		snprintf(title, sizeof(title), "equivocation %d variant %s", i, opt_variant);
		uint8_t *o = green_report(me, next_seq(), title, &len);
		print_id("equivocal", o, len);
		send_obj(o, len);
		free(o);
	}
}

static uint8_t tlp_of(const char *s)
{
	if (!strcmp(s, "amber-strict"))
		return SM_TLP_AMBER_STRICT;
	if (!strcmp(s, "amber"))
		return SM_TLP_AMBER;
	if (!strcmp(s, "red"))
		return SM_TLP_RED;
	if (!strcmp(s, "green"))
		return SM_TLP_GREEN;
	die("--tlp: amber-strict, amber, red or green", NULL);
	return 0;
}

static void mode_relay(void)
{
	sm_audience aud;
	size_t len;
	uint8_t tlp = tlp_of(opt_tlp);
	uint8_t *o;

	audience_from_opts(&aud, tlp <= SM_TLP_GREEN);
	o = make_report(as, tlp, &aud, next_seq(), "relayed where it may not go", NULL, &len);
	print_id("relayed", o, len);
	send_obj(o, len);
	msg_audience_clear(&aud);
	free(o);
}

/* The header of an object "by" makes now, with the next sequence number. */
static void head_of(sm_head *h, uint8_t type, identity_t *by)
{
	h->type = type;
	memcpy(h->originator, identity_public(by)->org, SM_ID_LEN);
	h->seq = next_seq();
	h->created_ms = ms_now();
}

/* A release of report rep (content key key) signed by "by", adding SIG
 * rs; the caller frees the result. */
static uint8_t *make_release(identity_t *by, const uint8_t *rep, size_t len, roster_t *rs,
    const uint8_t *key, size_t *rlen)
{
	sm_audience add;
	sm_release rl;
	sm_recipient *rcpt = NULL;
	uint32_t n_rcpt = 0;
	sm_err err = {0};
	uint8_t *rel;

	memset(&add, 0, sizeof(add));
	add.n_sigs = 1;
	if (!(add.sigs = malloc(SM_ID_LEN)))
		die("out of memory", NULL);
	memcpy(add.sigs[0], roster_sig_id(rs), SM_ID_LEN);
	memset(&rl, 0, sizeof(rl));
	head_of(&rl.h, SM_MSG_RELEASE, by);
	msg_object_id(rep, len, rl.report);
	rl.add = add;
	if (federation_refs(fed, &add, &rl.rosters, &rl.n_rosters, &err) < 0 ||
	    federation_resolve(fed, &add, rl.rosters, rl.n_rosters, &rcpt, &n_rcpt, &err) < 0)
		die("release audience", &err);
	if (!(rel = msg_release_build(&rl, key, rcpt, n_rcpt, identity_sign_sk(by), rlen, &err)))
		die("release build", &err);
	free(rcpt);
	free(rl.rosters);
	msg_audience_clear(&add);
	return rel;
}

static void mode_early_sighting(void)
{
	sm_audience aud;
	sm_sighting si;
	uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	size_t len, slen, rlen, flen = 0;
	sm_err err = {0};
	uint8_t *rep, *sig, *rel, *first = NULL;
	identity_t *by;
	roster_t *rs, *fs = NULL;

	if (!opt_relsig || !(rs = federation_find_name(fed, opt_relsig)) || !opt_by)
		die("early-sighting needs --release-sig and --by", NULL);
	if (opt_relfirst && !(fs = federation_find_name(fed, opt_relfirst)))
		die("--release-first names no SIG of the rosters", NULL);
	if (!(by = identity_load(opt_by, NULL, &err)))
		die(opt_by, &err);
	audience_from_opts(&aud, false);
	rep = make_report(as, SM_TLP_AMBER, &aud, next_seq(), "report released after a sighting came", key, &len);
	memset(&si, 0, sizeof(si));
	head_of(&si.h, SM_MSG_SIGHTING, by);
	msg_object_id(rep, len, si.report);
	si.kind = SM_SIGHT_SEEN;
	si.count = 1;
	if (!(sig = msg_sighting_build(&si, identity_sign_sk(by), &slen, &err)))
		die("sighting build", &err);
	if (fs)
		first = make_release(as, rep, len, fs, key, &flen);
	rel = make_release(as, rep, len, rs, key, &rlen);
	sodium_memzero(key, sizeof(key));
	print_id("report", rep, len);
	print_id("sighting", sig, slen);
	if (first)
		print_id("first-release", first, flen);
	print_id("release", rel, rlen);
	send_obj(rep, len);
	usleep(300 * 1000);
	send_obj(sig, slen);
	if (first) {
		usleep(300 * 1000);
		send_obj(first, flen);
	}
	usleep(300 * 1000);
	send_obj(rel, rlen);
	identity_destroy(&by);
	free(rep);
	free(sig);
	free(first);
	free(rel);
	msg_audience_clear(&aud);
}

static void mode_release_forged(void)
{
	sm_audience aud;
	uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	size_t len, rlen;
	uint8_t *rep, *rel;
	roster_t *rs;

	if (!opt_relsig || !(rs = federation_find_name(fed, opt_relsig)))
		die("release-forged needs --release-sig", NULL);
	audience_from_opts(&aud, false);
	rep = make_report(as, SM_TLP_AMBER, &aud, next_seq(), "report released by a stranger", key, &len);
	/* M learned the content key as a reader of the report */
	rel = make_release(me, rep, len, rs, key, &rlen);
	sodium_memzero(key, sizeof(key));
	print_id("report", rep, len);
	print_id("release", rel, rlen);
	send_obj(rep, len);
	usleep(300 * 1000);
	send_obj(rel, rlen);
	free(rep);
	free(rel);
	msg_audience_clear(&aud);
}

static void mode_roster_noquorum(void)
{
	roster_t *r;
	roster_change ch;
	identity_t *x;
	uint8_t *card, *ent, *app, *f;
	size_t clen, elen, alen, flen;
	sm_err err = {0};

	if (!opt_sig || !(r = federation_find_name(fed, opt_sig)))
		die("roster-noquorum needs --sig", NULL);
	if (!(x = identity_generate("intruder", &err)) || !(card = identity_card(x, &clen, &err)))
		die("intruder identity", &err);
	memset(&ch, 0, sizeof(ch));
	ch.op = ROSTER_ADD;
	ch.created_ms = ms_now();
	if (roster_member_from_card(&ch.member, card, clen, "tcp://127.0.0.1:1", &err) < 0 ||
	    !(ent = roster_propose(r, &ch, &elen, &err)) ||
	    !(app = roster_approve(ent, elen, me, &alen, &err)))
		die("proposal", &err);
	const uint8_t *ents[1] = { app };
	size_t lens[1] = { alen };
	f = wire_roster(roster_sig_id(r), roster_version(r), ents, lens, 1, &flen);
	printf("roster %s at version %llu: add approved by 1\n", opt_sig,
	    (unsigned long long)roster_version(r));
	send_frame(f, flen, 0);
	free(f);
	free(card);
	free(ent);
	free(app);
	identity_destroy(&x);
}

static void mode_oversize(void)
{
	size_t n = 5u << 20;
	uint8_t *f = calloc(1, n);
	codec_w w;
	size_t hlen;
	uint8_t *h;

	/* a well-formed header, so only the size is wrong */
	codec_w_init(&w);
	codec_w_array(&w, 3);
	codec_w_uint(&w, 1);
	codec_w_uint(&w, WIRE_OBJECTS);
	codec_w_array(&w, 1);
	h = codec_w_take(&w, &hlen);
	memcpy(f, h, hlen);
	f[hlen] = 0xc6;		/* bin32 of the rest */
	uint32_t rest = (uint32_t)(n - hlen - 5);
	f[hlen + 1] = rest >> 24; f[hlen + 2] = rest >> 16; f[hlen + 3] = rest >> 8; f[hlen + 4] = rest;
	send_frame(f, n, 0);
	free(f);
	free(h);
}

static void mode_big_object(void)
{
	size_t n = 2u << 20;
	uint8_t *o = calloc(1, n);

	randombytes_buf(o, n);
	send_obj(o, n);
	free(o);
}

static void mode_bomb_len(void)
{
	/* [1, OBJECTS, array32 of 2^32-1] */
	static const uint8_t a[] = { 0x93, 0x01, 0x02, 0xdd, 0xff, 0xff, 0xff, 0xff, 0xc4, 0x00 };
	/* [1, OBJECTS, [bin32 of 2^32-1 bytes]] */
	static const uint8_t b[] = { 0x93, 0x01, 0x02, 0x91, 0xc6, 0xff, 0xff, 0xff, 0xff, 0x00 };
	/* [1, IHAVE, map32 of 2^32-1 entries] */
	static const uint8_t c[] = { 0x93, 0x01, 0x03, 0xdf, 0xff, 0xff, 0xff, 0xff, 0x01 };
	/* [1, HELLO, {1: array16 of 65535 heads}] */
	static const uint8_t d[] = { 0x93, 0x01, 0x01, 0x81, 0x01, 0xdc, 0xff, 0xff };

	send_frame(a, sizeof(a), 0);
	send_frame(b, sizeof(b), 0);
	send_frame(c, sizeof(c), 0);
	send_frame(d, sizeof(d), 0);
}

static void mode_bomb_deep(void)
{
	size_t depth = 100000, n = 3 + depth + 1;
	uint8_t *f = malloc(n);

	f[0] = 0x93;
	f[1] = 0x01;
	f[2] = 0x02;
	memset(f + 3, 0x91, depth);
	f[n - 1] = 0x00;
	send_frame(f, n, 0);
	free(f);
}

static void mode_garbage(void)
{
	uint8_t buf[300];

	for (int i = 0; i < 6; i++) {
		randombytes_buf(buf, sizeof(buf));
		buf[0] = 0x93;	/* looks like a frame, is not one */
		buf[1] = 0x01;
		buf[2] = 0x02;
		send_frame(buf, sizeof(buf), 0);
	}
}

static void mode_flood(bool ihave)
{
	size_t len, flen = 0;
	uint8_t *o = NULL, *f = NULL;
	uint8_t (*ids)[SM_ID_LEN] = NULL;
	double end;
	unsigned long dropped = 0;

	if (ihave) {
		ids = malloc(WIRE_MAX_IDS * SM_ID_LEN);
	} else {
		o = green_report(me, next_seq(), "flood", &len);
		print_id("flood", o, len);
		f = wire_objects((const uint8_t *const *)&o, &len, 1, &flen);
	}
	end = mono() + opt_seconds;
	while (mono() < end) {
		if (ihave) {
			randombytes_buf(ids, WIRE_MAX_IDS * SM_ID_LEN);
			f = wire_ids(WIRE_IHAVE, (const uint8_t (*)[SM_ID_LEN])ids, WIRE_MAX_IDS, false, &flen);
		}
		if (send_frame(f, flen, ZMQ_DONTWAIT) < 0) {
			dropped++;
			usleep(100);
		}
		if (ihave)
			free(f);
	}
	if (!ihave)
		free(f);
	printf("flood: %lu frames in %.1f s (%.0f/s), %lu would block\n", frames_sent, opt_seconds,
	    frames_sent / opt_seconds, dropped);
	free(o);
	free(ids);
}

/* A HELLO carrying the head of every roster we hold, as a node greets. */
static void send_hello(void)
{
	sm_roster_ref heads[WIRE_MAX_HEADS];
	uint32_t k = 0;
	size_t flen = 0;

	for (size_t i = 0; i < federation_count(fed) && k < WIRE_MAX_HEADS; i++, k++) {
		memcpy(heads[k].sig, roster_sig_id(federation_at(fed, i)), SM_ID_LEN);
		heads[k].version = roster_version(federation_at(fed, i));
	}
	uint8_t *f = wire_hello(heads, k, 0, &flen);
	send_frame(f, flen, 0);
	free(f);
}

/*
 * One ZAP request on zap (RFC 27): admit the victim's CURVE key, refuse
 * every other. Every member dials M's endpoint, not only the victim, so
 * without this the first connection to M's listener may be another node's
 * and the attack would hit the wrong one.
 */
static void zap_only_victim(void *zap)
{
	zmq_msg_t f[7];
	int n = 0, more = 1;
	size_t ms = sizeof(more);

	while (more && n < 7) {
		zmq_msg_init(&f[n]);
		if (zmq_msg_recv(&f[n], zap, 0) < 0)
			break;
		n++;
		zmq_getsockopt(zap, ZMQ_RCVMORE, &more, &ms);
	}
	while (more) {	/* more frames than RFC 27 has: drop them */
		char b[64];
		zmq_recv(zap, b, sizeof(b), 0);
		zmq_getsockopt(zap, ZMQ_RCVMORE, &more, &ms);
	}
	/* version, request id, domain, address, routing id, mechanism, key */
	bool admit = n == 7 && zmq_msg_size(&f[6]) == 32 &&
	    !memcmp(zmq_msg_data(&f[6]), victim->id.curve_pk, 32);
	if (n >= 2) {
		zmq_send(zap, "1.0", 3, ZMQ_SNDMORE);
		zmq_send(zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
		zmq_send(zap, admit ? "200" : "400", 3, ZMQ_SNDMORE);
		zmq_send(zap, "", 0, ZMQ_SNDMORE);
		zmq_send(zap, "", 0, ZMQ_SNDMORE);
		zmq_send(zap, "", 0, 0);
	}
	for (int i = 0; i < n; i++)
		zmq_msg_close(&f[i]);
}

/*
 * Answer back on the victim's own connection: listen at M's roster
 * endpoint as M (a CurveZMQ server with M's key, admitting only the
 * victim), greet the victim so it connects to M to answer, then send 3
 * small messages and --conns messages of 4 MiB down the connection the
 * victim opened. The victim never reads from its outbound connections;
 * without a bound it would hold them all.
 */
static void mode_backchannel(void)
{
	const roster_member *mm = member_named(identity_public(me)->name);
	const id_public *pub = identity_public(me);
	void *srv = zmq_socket(zctx, ZMQ_ROUTER);
	void *zap = zmq_socket(zctx, ZMQ_REP);
	int one = 1, zero = 0, hwm = 100000;
	size_t big = 4u << 20, rlen;
	uint8_t rid[256], *junk = calloc(1, big);
	double end;
	unsigned long sent = 0;

	if (!srv || !zap || !junk)
		die("backchannel: out of memory", NULL);
	if (zmq_bind(zap, "inproc://zeromq.zap.01") < 0)
		die("backchannel: cannot bind the ZAP handler", NULL);
	if (!mm || !mm->endpoint[0])
		die("backchannel: no endpoint for M in the rosters", NULL);
	if (zmq_setsockopt(srv, ZMQ_CURVE_SERVER, &one, sizeof(one)) < 0 ||
	    zmq_setsockopt(srv, ZMQ_CURVE_SECRETKEY, identity_curve_sk(me), 32) < 0 ||
	    zmq_setsockopt(srv, ZMQ_CURVE_PUBLICKEY, pub->curve_pk, 32) < 0 ||
	    zmq_setsockopt(srv, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) < 0 ||
	    zmq_setsockopt(srv, ZMQ_SNDHWM, &hwm, sizeof(hwm)) < 0 ||
	    zmq_setsockopt(srv, ZMQ_LINGER, &zero, sizeof(zero)) < 0 ||
	    zmq_bind(srv, mm->endpoint) < 0)
		die("backchannel: cannot listen at M's endpoint", NULL);
	send_hello();
	/* the victim's answer arrives on our listener: its routing id */
	zmq_pollitem_t it[2] = { { srv, 0, ZMQ_POLLIN, 0 }, { zap, 0, ZMQ_POLLIN, 0 } };
	end = mono() + opt_seconds;
	rlen = 0;
	while (!rlen && mono() < end) {
		if (zmq_poll(it, 2, 100) <= 0)
			continue;
		if (it[1].revents & ZMQ_POLLIN)
			zap_only_victim(zap);
		if (!(it[0].revents & ZMQ_POLLIN))
			continue;
		int r = zmq_recv(srv, rid, sizeof(rid), ZMQ_DONTWAIT);
		int more = 0;
		size_t ms = sizeof(more);
		zmq_getsockopt(srv, ZMQ_RCVMORE, &more, &ms);
		while (more) {	/* the body */
			uint8_t b[64];
			zmq_recv(srv, b, sizeof(b), 0);
			zmq_getsockopt(srv, ZMQ_RCVMORE, &more, &ms);
		}
		if (r > 0)
			rlen = (size_t)r > sizeof(rid) ? sizeof(rid) : (size_t)r;
	}
	if (!rlen) {
		printf("no connection from the victim\n");
		goto out;
	}
	printf("victim connected\n");
	/* first a few small messages, under the victim's size bound: they
	 * reach its DEALER and must be discarded, not kept */
	int small = 0;
	for (; small < 3; small++)
		if (zmq_send(srv, rid, rlen, ZMQ_SNDMORE) < 0 || zmq_send(srv, "hi", 2, 0) < 0)
			break;
	printf("backchannel sent %d small messages%s%s\n", small, small < 3 ? ": " : "",
	    small < 3 ? zmq_strerror(errno) : "");
	fflush(stdout);
	usleep(2500000);	/* the victim drains its DEALERs once a second */
	for (int i = 0; i < opt_conns && mono() < end + opt_seconds; i++) {
		if (zmq_send(srv, rid, rlen, ZMQ_SNDMORE) < 0 || zmq_send(srv, junk, big, 0) < 0)
			break;
		sent++;
	}
	printf("backchannel sent %lu messages of %zu bytes\n", sent, big);
	fflush(stdout);
	/* hold the connection while the victim is watched: the I/O thread
	 * is still pushing it all out */
	usleep((useconds_t)(opt_seconds * 1e6));
out:
	fflush(stdout);
	zmq_close(srv);
	zmq_close(zap);
	free(junk);
}

/* Raw TCP: a partial ZMTP greeting (10 of 64 bytes), then silence. */
static void mode_slowloris(void)
{
	char host[64];
	int port, *fds = calloc(opt_conns, sizeof(int)), open_at_end = 0;
	struct sockaddr_in sa;
	static const uint8_t partial[10] = { 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f };

	if (sscanf(victim->endpoint, "tcp://%63[^:]:%d", host, &port) != 2)
		die("slowloris: endpoint is not tcp://host:port", NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	inet_pton(AF_INET, host, &sa.sin_addr);
	for (int i = 0; i < opt_conns; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			printf("slowloris: connection %d refused: %s\n", i, strerror(errno));
			if (fds[i] >= 0)
				close(fds[i]);
			fds[i] = -1;
			continue;
		}
		if (write(fds[i], partial, sizeof(partial)) < 0)
			printf("slowloris: write: %s\n", strerror(errno));
	}
	printf("slowloris: %d connections hold a partial greeting\n", opt_conns);
	fflush(stdout);
	usleep((useconds_t)(opt_seconds * 1e6));
	for (int i = 0; i < opt_conns; i++) {
		if (fds[i] < 0)
			continue;
		/* the victim wrote its greeting (we never read it); EOF or RST
		 * behind it means the victim gave up on us */
		uint8_t b[256];
		ssize_t r;
		int alive = 1;
		while ((r = recv(fds[i], b, sizeof(b), MSG_DONTWAIT)) > 0)
			;
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			alive = 0;
		open_at_end += alive;
		close(fds[i]);
	}
	printf("slowloris: %d of %d still open after %.0f s\n", open_at_end, opt_conns, opt_seconds);
	free(fds);
}

/* ---- main ------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: hostile MODE --key KEY --rosters DIR --victim NAME [--as KEY] "
	    "[--sig NAME] [--org NAME]... [--release-sig NAME] [--release-first NAME] [--tlp T] [--seconds N] "
	    "[--conns N] [--seq N] [--variant S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode;
	sm_err err = {0};

	if (argc < 2 || sodium_init() < 0)
		usage();
	mode = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--key")) opt_key = v;
		else if (!strcmp(a, "--rosters")) opt_rosters = v;
		else if (!strcmp(a, "--victim")) opt_victim = v;
		else if (!strcmp(a, "--as")) opt_as = v;
		else if (!strcmp(a, "--by")) opt_by = v;
		else if (!strcmp(a, "--sig")) opt_sig = v;
		else if (!strcmp(a, "--release-sig")) opt_relsig = v;
		else if (!strcmp(a, "--release-first")) opt_relfirst = v;
		else if (!strcmp(a, "--tlp")) opt_tlp = v;
		else if (!strcmp(a, "--org") && n_opt_orgs < MAX_ORGS) opt_orgs[n_opt_orgs++] = v;
		else if (!strcmp(a, "--seconds")) opt_seconds = atof(v);
		else if (!strcmp(a, "--conns")) opt_conns = atoi(v);
		else if (!strcmp(a, "--variant")) opt_variant = v;
		else if (!strcmp(a, "--seq")) opt_seq = strtoull(v, NULL, 10);
		else usage();
	}
	if (!opt_key || !opt_rosters || !opt_victim || opt_conns < 1 || opt_conns > 4096)
		usage();
	if (!opt_seq)	/* far above anything a real node of the test used */
		opt_seq = 1000000000ull + randombytes_uniform(1000000000u);
	if (!(me = identity_load(opt_key, NULL, &err)))
		die(opt_key, &err);
	as = me;
	if (opt_as && !(as = identity_load(opt_as, NULL, &err)))
		die(opt_as, &err);
	if (!(fed = federation_new()) || federation_load_dir(fed, opt_rosters, &err) < 0)
		die(opt_rosters, &err);
	victim = member_named(opt_victim);

	if (!strcmp(mode, "slowloris")) {
		mode_slowloris();
		goto out;
	}
	connect_victim();
	if (!strcmp(mode, "hello")) send_hello();
	else if (!strcmp(mode, "forged-sig")) mode_forged_sig();
	else if (!strcmp(mode, "other-originator")) mode_other_originator();
	else if (!strcmp(mode, "replay")) mode_replay();
	else if (!strcmp(mode, "relay")) mode_relay();
	else if (!strcmp(mode, "release-forged")) mode_release_forged();
	else if (!strcmp(mode, "early-sighting")) mode_early_sighting();
	else if (!strcmp(mode, "roster-noquorum")) mode_roster_noquorum();
	else if (!strcmp(mode, "oversize")) mode_oversize();
	else if (!strcmp(mode, "big-object")) mode_big_object();
	else if (!strcmp(mode, "bomb-len")) mode_bomb_len();
	else if (!strcmp(mode, "bomb-deep")) mode_bomb_deep();
	else if (!strcmp(mode, "garbage")) mode_garbage();
	else if (!strcmp(mode, "equivocate")) mode_equivocate();
	else if (!strcmp(mode, "flood")) mode_flood(false);
	else if (!strcmp(mode, "flood-ihave")) mode_flood(true);
	else if (!strcmp(mode, "backchannel")) mode_backchannel();
	else {
		fprintf(stderr, "hostile: unknown mode %s\n", mode);
		exit(2);
	}
	finish();
out:
	if (as != me)
		identity_destroy(&as);
	identity_destroy(&me);
	federation_destroy(&fed);
	return 0;
}
