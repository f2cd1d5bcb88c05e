/*
 * bench/bench_proto.c — envelope throughput on one core.
 *
 * A typical report: 1 KiB body, TLP:AMBER to 15 named organizations, so
 * 16 sealed key slots with the originator's. Measures build (encode, seal,
 * encrypt, sign), receive (verify + decode + tlp_may_receive), full read
 * (verify + decode + open + decrypt), and raw Ed25519 verification of the
 * same bytes in the same run, and prints a markdown section on stdout.
 *
 *   build/bench/bench_proto [seconds per operation, default 1]
 *
 * Timing: 16 interleaved rounds per operation; each operation's best round
 * is reported, and the receive/raw ratio also as the median of the ratios
 * of adjacent receive and raw rounds (robust against load elsewhere).
 *
 * Instruction counts (stable on a shared machine; hardware counters are
 * often unavailable in VMs): "-n COUNT" runs every operation exactly COUNT
 * times without timing, for callgrind:
 *
 *   valgrind --tool=callgrind --callgrind-out-file=cg.out build/bench/bench_proto -n 200
 *   callgrind_annotate --inclusive=yes cg.out | grep -E 'op_(receive|raw_verify)'
 *
 * Every op_* runs the same number of times, so the ratio of their
 * inclusive instruction counts is the per-operation ratio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "proto/msg.h"
#include "proto/tlp.h"

#define N_ORGS 16	/* originator + 15 */
#define BODY 1024

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool no_member(void *ctx, const uint8_t *sig, uint64_t v, const uint8_t org[SM_ID_LEN])
{
	(void)ctx; (void)sig; (void)v; (void)org;
	return false;
}

static uint8_t spk[N_ORGS][32], ssk[N_ORGS][64], bpk[N_ORGS][32], bsk[N_ORGS][32];
static sm_recipient rc[N_ORGS];
static sm_report rep;
static uint8_t aud[N_ORGS - 1][32], body[BODY];
static uint8_t *obj;
static size_t objlen;
static volatile unsigned sink;

static int op_build(void)
{
	size_t l;
	sm_err e = {0};
	uint8_t *o = msg_report_build(&rep, body, BODY, true, rc, N_ORGS, ssk[0], NULL, &l, &e);
	if (!o)
		return -1;
	sink += o[l - 1];
	free(o);
	return 0;
}

static int op_receive(void)
{
	static const sm_members mem = { no_member, NULL };
	sm_msg m;
	sm_err e = {0};
	if (msg_decode(obj, objlen, 0, &m, &e) < 0)
		return -1;
	int ok = tlp_may_receive(&m.u.report, NULL, 0, spk[7], &mem);
	msg_clear(&m);
	return ok ? 0 : -1;
}

static int op_read(void)
{
	sm_msg m;
	sm_err e = {0};
	size_t l;
	uint8_t *pt;
	if (msg_decode(obj, objlen, 0, &m, &e) < 0)
		return -1;
	pt = msg_report_open(&m.u.report, m.id, NULL, 0, spk[7], bpk[7], bsk[7], &l, &e);
	msg_clear(&m);
	if (!pt || l != BODY)
		return -1;
	sink += pt[0];
	free(pt);
	return 0;
}

static sm_object so;
static uint8_t *sigmsg;
static size_t sigmsg_len;

static int op_raw_verify(void)
{
	return crypto_sign_verify_detached(so.sig, sigmsg, sigmsg_len, so.signer);
}

/* ops/s of op over about secs seconds (batches of 16, at least 32 ops). */
static double rate(int (*op)(void), double secs)
{
	double t0 = now(), t;
	long n = 0;

	do {
		for (int i = 0; i < 16; i++)
			if (op() < 0) {
				fprintf(stderr, "bench_proto: operation failed\n");
				exit(1);
			}
		n += 16;
		t = now() - t0;
	} while (t < secs || n < 32);
	return (double)n / t;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long count = argc > 2 && strcmp(argv[1], "-n") == 0 ? atol(argv[2]) : 0;
	double secs = count ? 1.0 : argc > 1 ? atof(argv[1]) : 1.0;
	sm_err e = {0};

	if (sodium_init() < 0 || secs <= 0 || count < 0)
		return 1;
	for (int i = 0; i < N_ORGS; i++) {
		crypto_sign_keypair(spk[i], ssk[i]);
		crypto_box_keypair(bpk[i], bsk[i]);
		memcpy(rc[i].org, spk[i], 32);
		memcpy(rc[i].box_pk, bpk[i], 32);
		if (i > 0)
			memcpy(aud[i - 1], spk[i], 32);
	}
	randombytes_buf(body, sizeof(body));
	memcpy(rep.h.originator, spk[0], 32);
	rep.h.seq = 1;
	rep.h.created_ms = 1700000000000ull;
	rep.tlp = SM_TLP_AMBER;
	rep.aud.orgs = aud;
	rep.aud.n_orgs = N_ORGS - 1;
	if (!(obj = msg_report_build(&rep, body, BODY, true, rc, N_ORGS, ssk[0], NULL, &objlen, &e)) ||
	    msg_object_split(obj, objlen, &so, &e) < 0) {
		fprintf(stderr, "bench_proto: %s\n", e.msg);
		return 1;
	}
	sigmsg_len = 10 + so.tbs_len;
	sigmsg = malloc(sigmsg_len);
	memcpy(sigmsg, "sigmesh/1", 9);
	sigmsg[9] = so.type;
	memcpy(sigmsg + 10, so.tbs, so.tbs_len);

	/* The machine is shared: interleave short rounds of every operation
	 * and keep each one's best round, so a burst of load elsewhere does
	 * not skew one operation against another. */
	enum { ROUNDS = 16 };
	int (*ops[4])(void) = { op_build, op_receive, op_read, op_raw_verify };
	const char *names[4] = { "op_build", "op_receive", "op_read", "op_raw_verify" };
	double best[4] = {0}, ratios[ROUNDS];
	if (count) {
		for (int i = 0; i < 4; i++)
			for (long k = 0; k < count; k++)
				if (ops[i]() < 0) {
					fprintf(stderr, "bench_proto: %s failed\n", names[i]);
					return 1;
				}
		printf("ran each of op_build, op_receive, op_read, op_raw_verify %ld times "
		    "(compare inclusive instruction counts of op_receive and op_raw_verify)\n", count);
		free(obj);
		free(sigmsg);
		return 0;
	}
	for (int r = 0; r < ROUNDS; r++) {
		double x[4];
		for (int i = 0; i < 4; i++) {
			x[i] = rate(ops[i], secs / ROUNDS);
			if (x[i] > best[i])
				best[i] = x[i];
		}
		ratios[r] = x[1] / x[3];
	}
	qsort(ratios, ROUNDS, sizeof(ratios[0]), dbl_cmp);
	double build = best[0], recv = best[1], read = best[2], raw = best[3];
	double median = (ratios[ROUNDS / 2 - 1] + ratios[ROUNDS / 2]) / 2;

	printf("## Envelope (proto)\n\n");
	printf("One core; a TLP:AMBER report with a %d-byte body to 15 named organizations "
	    "(16 key slots with the originator's); object %zu bytes.\n\n", BODY, objlen);
	printf("| operation | ops/s | us/op |\n|---|---:|---:|\n");
	printf("| build: encode + seal 16 keys + encrypt + sign | %.0f | %.1f |\n", build, 1e6 / build);
	printf("| receive: verify + decode + tlp_may_receive | %.0f | %.1f |\n", recv, 1e6 / recv);
	printf("| read: verify + decode + open slot + decrypt | %.0f | %.1f |\n", read, 1e6 / read);
	printf("| raw crypto_sign_verify_detached (same bytes) | %.0f | %.1f |\n", raw, 1e6 / raw);
	printf("\nreceive / raw verify = **%.1f%%** of best rounds, %.1f%% median of "
	    "per-round ratios (target >= 90%%)\n\n", 100.0 * recv / raw, 100.0 * median);
	printf("Command: `%s%s%s`\n\n", argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
	free(obj);
	free(sigmsg);
	return 0;
}
