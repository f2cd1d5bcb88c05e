/*
 * sim/selftest.c — `sigmesh-sim selftest`: checks of the simulator's own
 * logic (the parts a wrong answer would silently corrupt every run's
 * figures): profile parsing, expected audiences, percentiles, workload
 * shape and determinism, fault plans. Prints PASS/FAIL lines for
 * tests/run.sh; exits non-zero if any case failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "proto/body.h"
#include "sim/sim.h"

static int s_failed, s_case_failed, s_checks;
static const char *s_case;

#define CHECK(e) do { s_checks++; if (!(e)) { \
	if (!s_case_failed) printf("FAIL %s: %s:%d: %s\n", s_case, __FILE__, __LINE__, #e); \
	s_case_failed = 1; } } while (0)
#define RUN(fn) do { s_case = #fn; s_case_failed = 0; s_checks = 0; fn(); \
	if (!s_checks) { printf("FAIL %s: no checks\n", #fn); s_case_failed = 1; } \
	if (s_case_failed) s_failed++; else printf("PASS %s\n", #fn); } while (0)

static const char small_text[] =
    "# test\nname t\nactive_peers 3\nsig alpha 5\nsig beta 4   # comment\n"
    "sig gamma 3\nbridge alpha beta 1\n";

static void profile_parses_small(void)
{
	profile p;
	sm_err err = { 0 };

	CHECK(profile_parse(&p, small_text, &err) == 0);
	CHECK(p.n_orgs == 12);
	CHECK(p.n_sigs == 3);
	CHECK(p.active_peers == 3);
	CHECK(p.sigs[0].n_members == 5);
	CHECK(p.sigs[1].n_members == 5);	/* 4 home + 1 bridge */
	CHECK(p.sigs[2].n_members == 3);
	CHECK(profile_bridges(&p) == 1);
	/* the bridge is alpha's last member, alpha-05 (index 4) */
	CHECK(strcmp(p.orgs[4].name, "alpha-05") == 0);
	CHECK(profile_is_member(&p, 4, 1));
	CHECK(!profile_is_member(&p, 3, 1));
	CHECK(profile_find_sig(&p, "gamma") == 2);
	profile_clear(&p);
}

static void profile_rejects_bad(void)
{
	profile p;
	sm_err err = { 0 };

	CHECK(profile_parse(&p, "sig a 3\nsgi b 2\n", &err) < 0 && err.code == SM_EINVAL);
	CHECK(strstr(err.msg, "line 2") != NULL);
	sm_err_clear(&err);
	CHECK(profile_parse(&p, "sig a 3\nsig a 2\n", &err) < 0 && err.code == SM_EINVAL);
	sm_err_clear(&err);
	CHECK(profile_parse(&p, "sig a 3\nsig b 2\nbridge a c 1\n", &err) < 0);
	sm_err_clear(&err);
	CHECK(profile_parse(&p, "sig a 2\nsig b 2\nbridge a b 3\n", &err) < 0 && err.code == SM_EBOUND);
	sm_err_clear(&err);
	CHECK(profile_parse(&p, "sig Bad_Name 2\n", &err) < 0);
	sm_err_clear(&err);
	CHECK(profile_parse(&p, "# nothing\n", &err) < 0);
	sm_err_clear(&err);
	CHECK(profile_parse(&p, "sig a 0\n", &err) < 0 && err.code == SM_EBOUND);
}

static void profile_scale_shape(void)
{
	profile p;
	sm_err err = { 0 };

	CHECK(profile_load(&p, "scale-1000", &err) == 0);
	CHECK(p.n_orgs == 1000 && p.n_sigs == 40);
	CHECK(profile_bridges(&p) == 38);	/* the last SIG has no bridge */
	profile_clear(&p);
	CHECK(profile_load(&p, "scale-x", &err) < 0);
	sm_err_clear(&err);
	CHECK(profile_load(&p, "scale-2", &err) < 0);
}

static void profile_files(void)
{
	static const struct { const char *f; int orgs, sigs; } want[] = {
		{ "sim/profiles/jcsip-2014.txt", 59, 6 }, { "sim/profiles/jcsip-2018.txt", 229, 11 },
		{ "sim/profiles/jcsip-2024.txt", 279, 13 }, { "sim/profiles/small.txt", 12, 3 },
	};
	int found = 0;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		profile p;
		sm_err err = { 0 };

		if (profile_load(&p, want[i].f, &err) < 0) {
			CHECK(err.code == SM_EIO);	/* run from elsewhere: only absent is fine */
			continue;
		}
		found++;
		CHECK(p.n_orgs == want[i].orgs && p.n_sigs == want[i].sigs);
		/* at least one SIG nobody bridges into or out of */
		int lonely = 0;
		for (int s = 0; s < p.n_sigs; s++) {
			bool b = false;
			for (int k = 0; k < p.sigs[s].n_members; k++)
				b |= p.orgs[p.sigs[s].members[k]].n_sigs > 1;
			lonely += !b;
		}
		CHECK(lonely >= 1);
		CHECK(profile_bridges(&p) >= 1);
		profile_clear(&p);
	}
	CHECK(found == 0 || found == 4);
}

static void audience_rules(void)
{
	profile p;
	sm_err err = { 0 };
	uint8_t set[12];
	sim_aud a = { 0 }, rel = { 0 };

	CHECK(profile_parse(&p, small_text, &err) == 0);
	/* GREEN/CLEAR: everyone, whatever the audience says */
	audience_expected(&p, TLP_GREEN, &a, NULL, 0, 0, set);
	CHECK(audience_count(set, 12) == 12);
	audience_expected(&p, TLP_CLEAR, &a, NULL, 0, 7, set);
	CHECK(audience_count(set, 12) == 12);
	/* AMBER to beta from gamma-01 (index 9): beta's 5 members + originator */
	a.sigs[a.n_sigs++] = 1;
	audience_expected(&p, TLP_AMBER, &a, NULL, 0, 9, set);
	CHECK(audience_count(set, 12) == 6);
	CHECK(set[4] && set[5] && set[8] && set[9] && !set[0] && !set[10]);
	/* AMBER+STRICT behaves the same; + a named org */
	a.orgs[a.n_orgs++] = 11;
	audience_expected(&p, TLP_AMBER_STRICT, &a, NULL, 0, 9, set);
	CHECK(audience_count(set, 12) == 7 && set[11]);
	/* a release to alpha widens it */
	rel.sigs[rel.n_sigs++] = 0;
	audience_expected(&p, TLP_AMBER, &a, &rel, 1, 9, set);
	CHECK(audience_count(set, 12) == 11 && set[0] && !set[10]);
	/* RED: named orgs only; a SIG in the audience does not count */
	audience_expected(&p, TLP_RED, &a, NULL, 0, 9, set);
	CHECK(audience_count(set, 12) == 2 && set[11] && set[9]);
	profile_clear(&p);
}

static void percentiles(void)
{
	double v[100];
	sim_pct r;

	for (int i = 0; i < 100; i++)
		v[i] = 100 - i;		/* 100..1, unsorted on purpose */
	r = pct_compute(v, 100);
	CHECK(r.n == 100 && r.p50 == 50 && r.p90 == 90 && r.p99 == 99 && r.max == 100);
	r = pct_compute(v, 1);
	CHECK(r.p50 == 100 && r.p99 == 100 && r.max == 100);
	double w[4] = { 10, 20, 30, 40 };
	r = pct_compute(w, 4);
	CHECK(r.p50 == 20 && r.p90 == 40 && r.p99 == 40);
	r = pct_compute(NULL, 0);
	CHECK(r.n == 0 && r.max == 0);
	CHECK(v[0] == 100);	/* input left alone */
}

static void workload_shape(void)
{
	profile p;
	workload w1, w2;
	sm_err err = { 0 };
	workload_opts o = { .kind = "fy2014", .seed = 7 };
	int tlp[TLP_N] = { 0 }, kinds[EV_N] = { 0 }, q1 = 0, att = 0, unk = 0, fm = 0;

	CHECK(profile_parse(&p, small_text, &err) == 0);
	CHECK(workload_generate(&w1, &p, &o, &err) == 0);
	CHECK(workload_generate(&w2, &p, &o, &err) == 0);
	CHECK(w1.n_reports == 626);
	CHECK(workload_digest(&w1) == workload_digest(&w2));
	CHECK(w1.duration_ms > 40000 && w1.duration_ms < 60000);	/* 626 at 12/s */
	for (int i = 0; i < w1.n; i++) {
		const sim_event *e = &w1.ev[i];

		kinds[e->kind]++;
		if (e->kind != EV_SUBMIT)
			continue;
		tlp[e->tlp]++;
		q1 += e->at_ms < w1.duration_ms / 4;
		att += strstr(e->body, "\"mail_type\":\"attachment\"") != NULL;
		unk += strstr(e->body, "\"mail_type\":\"unknown\"") != NULL;
		fm += strstr(e->body, "\"sender_class\":\"freemail") != NULL;
		if (e->tlp == TLP_RED)
			CHECK(!e->aud.federation && e->aud.n_sigs == 0 && e->aud.n_orgs >= 1);
		if (e->tlp == TLP_AMBER)
			CHECK(e->aud.n_sigs >= 1 && e->aud.sigs[0] == p.orgs[e->org].home);
		if (e->tlp <= TLP_GREEN)
			CHECK(e->aud.federation);
	}
	CHECK(q1 == 626 * 259 / 626);	/* the first quarter's share */
	CHECK(tlp[TLP_AMBER] > tlp[TLP_GREEN] && tlp[TLP_GREEN] > tlp[TLP_CLEAR] &&
	    tlp[TLP_CLEAR] > tlp[TLP_RED] && tlp[TLP_RED] > 0 && tlp[TLP_AMBER_STRICT] > 0);
	CHECK(att > 626 * 0.42 && att < 626 * 0.62);	/* 52% */
	CHECK(unk > 626 * 0.27 && unk < 626 * 0.43);	/* 35% */
	CHECK(fm > 626 * 0.60 && fm < 626 * 0.82);	/* 71% */
	CHECK(kinds[EV_RELEASE] > 0 && kinds[EV_SIGHT] > 0 && kinds[EV_RETRACT] > 0);
	/* order is sorted and follow-ups come after their report */
	for (int i = 1; i < w1.n; i++)
		CHECK(w1.ev[w1.order[i - 1]].at_ms <= w1.ev[w1.order[i]].at_ms);
	for (int i = w1.n_reports; i < w1.n; i++)
		CHECK(w1.ev[i].at_ms > w1.ev[w1.ev[i].report].at_ms);
	/* every body is JSON with the documented fields */
	json_error_t je;
	json_t *b = json_loads(w1.ev[0].body, 0, &je);
	CHECK(b && json_is_string(json_object_get(b, "title")) &&
	    json_is_array(json_object_get(b, "from")) && json_is_array(json_object_get(b, "c2")) &&
	    json_is_array(json_object_get(b, "attachments")));
	json_decref(b);
	/* and every body is accepted by the protocol's own JSON reader */
	int bad = 0;
	for (int i = 0; i < w1.n_reports; i++) {
		body_t bd = { 0 };
		sm_err be = { 0 };

		if (body_from_json(w1.ev[i].body, strlen(w1.ev[i].body), &bd, &be) < 0) {
			if (!bad++)
				printf("  body %d rejected: %s\n", i, be.msg);
		}
		body_clear(&bd);
	}
	CHECK(bad == 0);
	o.seed = 8;
	workload_clear(&w2);
	CHECK(workload_generate(&w2, &p, &o, &err) == 0);
	CHECK(workload_digest(&w1) != workload_digest(&w2));
	workload_clear(&w1);
	workload_clear(&w2);
	o.kind = "nope";
	CHECK(workload_generate(&w1, &p, &o, &err) < 0);
	profile_clear(&p);
}

/* Two SIGs: a report to both leaves no SIG to release it to. The
 * generator looked for one forever (it hung on seed 4 of a 2-SIG profile). */
static void workload_two_sigs(void)
{
	profile p;
	sm_err err = { 0 };
	int releases = 0;

	CHECK(profile_parse(&p, "name two\nactive_peers 3\nsig a 6\nsig b 5\nbridge a b 1\n", &err) == 0);
	for (uint64_t seed = 1; seed <= 24; seed++) {
		workload w;
		workload_opts o = { .kind = "fy2014", .seed = seed };

		CHECK(workload_generate(&w, &p, &o, &err) == 0);
		for (int i = w.n_reports; i < w.n; i++) {
			const sim_event *e = &w.ev[i], *rep = &w.ev[e->report];
			if (e->kind != EV_RELEASE)
				continue;
			releases++;
			CHECK(e->aud.n_sigs == 1 && !aud_has_sig(&rep->aud, e->aud.sigs[0]));
		}
		workload_clear(&w);
	}
	CHECK(releases > 0);
	profile_clear(&p);
}

static void fault_plans(void)
{
	fault_plan fp;
	profile p = { 0 };
	sm_err err = { 0 };
	int kills = 0, restarts = 0, pauses = 0, resumes = 0, bal;

	CHECK(profile_load(&p, "sim/profiles/jcsip-2014.txt", &err) == 0);
	if (p.n_orgs != 59)
		return;
	CHECK(faults_plan(&fp, "demo", &p, 50000, 1, false, &err) == 0);
	/* 2 kills + 2 restarts, a freeze, a stop and start, and a SIG cut */
	CHECK(fp.n_story == 4);
	for (int i = 0; i < fp.n; i++) {
		pauses += fp.f[i].kind == FK_PAUSE;
		resumes += fp.f[i].kind == FK_RESUME;
	}
	CHECK(pauses == resumes && pauses >= 3 && fp.n == 6 + 2 * pauses);
	for (int i = 0; i < fp.n; i++) {
		kills += fp.f[i].kind == FK_KILL;
		restarts += fp.f[i].kind == FK_RESTART;
		if (i)
			CHECK(fp.f[i - 1].at_ms <= fp.f[i].at_ms);
	}
	CHECK(kills == 2 && restarts == 2);
	faults_clear(&fp);
	CHECK(faults_plan(&fp, "churn", &p, 60000, 1, false, &err) == 0 && fp.n > 10);
	/* every disruption is undone */
	bal = 0;
	for (int i = 0; i < fp.n; i++)
		bal += (fp.f[i].kind == FK_KILL || fp.f[i].kind == FK_PAUSE || fp.f[i].kind == FK_STOP) ? 1 : -1;
	CHECK(bal == 0);
	faults_clear(&fp);
	CHECK(faults_plan(&fp, "none", &p, 60000, 1, false, &err) == 0 && fp.n == 0);
	CHECK(faults_plan(&fp, "chaos", &p, 60000, 1, false, &err) < 0 && err.code == SM_EINVAL);
	/* kill20: 12 of 59 killed, nobody restarted before the heal */
	CHECK(faults_plan(&fp, "kill20", &p, 60000, 1, false, &err) == 0 && fp.n == 12);
	for (int i = 0; i < fp.n; i++)
		CHECK(fp.f[i].kind == FK_KILL && fp.f[i].at_ms == 18000);
	faults_clear(&fp);
	/* partition: a whole SIG frozen, then every bridge; all undone */
	CHECK(faults_plan(&fp, "partition", &p, 60000, 1, false, &err) == 0 && fp.n_story == 2);
	bal = 0;
	for (int i = 0; i < fp.n; i++)
		bal += fp.f[i].kind == FK_PAUSE ? 1 : fp.f[i].kind == FK_RESUME ? -1 : 100;
	CHECK(bal == 0 && fp.n >= 2 * (2 + profile_bridges(&p)));
	faults_clear(&fp);
	/* netns partitions: no process frozen; each island/isolate is undone by a rejoin */
	CHECK(faults_plan(&fp, "partition", &p, 60000, 1, true, &err) == 0 && fp.n_story == 2);
	bal = 0;
	for (int i = 0; i < fp.n; i++)
		bal += fp.f[i].kind == FK_ISLAND || fp.f[i].kind == FK_ISOLATE ? 1 :
		    fp.f[i].kind == FK_REJOIN ? -1 : 100;
	CHECK(bal == 0 && fp.n >= 2 * (2 + profile_bridges(&p)));
	CHECK(strcmp(faults_kind_name(FK_REJOIN), "rejoin") == 0 && strcmp(faults_kind_name(99), "?") == 0);
	faults_clear(&fp);
	CHECK(faults_plan(&fp, "offline", &p, 60000, 1, false, &err) == 0 && fp.n == 1 &&
	    fp.f[0].kind == FK_STOP && fp.f[0].at_ms == 0);
	faults_clear(&fp);
	profile_clear(&p);
}

/* ---- the link relay (linkdelay.c) ---- */

static int64_t s_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int s_tcp(void)
{
	return socket(AF_INET, SOCK_STREAM, 0);
}

static int s_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = s_tcp();

	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Wait up to ms for fd to be readable; then recv. -2 on timeout. */
static ssize_t s_recv_wait(int fd, void *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms) <= 0)
		return -2;
	return recv(fd, buf, len, 0);
}

#define LD_TEST_MS 60
#define LD_TEST_BYTES (768 * 1024)

static void linkdelay_stream(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	sm_err err = { 0 };
	linkdelay *ld = linkdelay_new(LD_TEST_MS, &err);
	int lfd = s_tcp(), cli = -1, srv = -1, port = 0, rport, dead_port;
	uint8_t *out = malloc(LD_TEST_BYTES), *in = malloc(LD_TEST_BYTES), b[4096];
	size_t sent = 0, got = 0;
	int64_t t0, t1;
	bool order = true;
	ssize_t n;

	CHECK(ld && lfd >= 0 && out && in);
	if (!ld || lfd < 0 || !out || !in)
		goto out;
	/* the "node": a listener on an ephemeral port */
	CHECK(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(lfd, 8) == 0);
	CHECK(getsockname(lfd, (struct sockaddr *)&a, &al) == 0);
	port = ntohs(a.sin_port);
	rport = 20000 + (int)(getpid() % 20000);
	CHECK(linkdelay_add(ld, "127.0.0.1", &rport, port, "", &err) == 0);
	/* a second relay port whose node is down (nothing listens there) */
	dead_port = rport + 1;
	{
		int probe = s_tcp(), tp;
		struct sockaddr_in z = a;

		/* a port that was free a moment ago: bound, then released */
		z.sin_port = 0;
		al = sizeof(z);
		CHECK(bind(probe, (struct sockaddr *)&z, sizeof(z)) == 0 &&
		    getsockname(probe, (struct sockaddr *)&z, &al) == 0);
		tp = ntohs(z.sin_port);
		close(probe);
		CHECK(linkdelay_add(ld, "127.0.0.1", &dead_port, tp, NULL, &err) == 0);
	}
	CHECK(dead_port != rport);
	CHECK(linkdelay_start(ld, &err) == 0);
	CHECK(linkdelay_add(ld, "127.0.0.1", &port, port, NULL, &err) < 0);	/* too late */

	/* one byte each way: never earlier than the delay */
	cli = s_connect(rport);
	CHECK(cli >= 0);
	if (cli < 0)
		goto out;
	t0 = s_us();
	CHECK(send(cli, "A", 1, 0) == 1);
	srv = accept(lfd, NULL, NULL);
	CHECK(srv >= 0);
	if (srv < 0)
		goto out;
	n = s_recv_wait(srv, b, sizeof(b), 5000);
	t1 = s_us();
	CHECK(n == 1 && b[0] == 'A');
	CHECK(t1 - t0 >= LD_TEST_MS * 1000);
	t0 = s_us();
	CHECK(send(srv, "B", 1, 0) == 1);
	n = s_recv_wait(cli, b, sizeof(b), 5000);
	t1 = s_us();
	CHECK(n == 1 && b[0] == 'B');
	CHECK(t1 - t0 >= LD_TEST_MS * 1000);

	/* a stream: complete and in order, written and read interleaved */
	for (size_t i = 0; i < LD_TEST_BYTES; i++)
		out[i] = (uint8_t)(i * 7 + i / 251);
	t0 = s_us();
	while (got < LD_TEST_BYTES && s_us() - t0 < 20 * 1000000) {
		struct pollfd p[2] = { { .fd = cli, .events = sent < LD_TEST_BYTES ? POLLOUT : 0 },
			{ .fd = srv, .events = POLLIN } };

		if (poll(p, 2, 1000) <= 0)
			continue;
		if (p[0].revents & POLLOUT) {
			size_t chunk = LD_TEST_BYTES - sent < 20000 ? LD_TEST_BYTES - sent : 20000;

			n = send(cli, out + sent, chunk, MSG_DONTWAIT);
			if (n > 0)
				sent += (size_t)n;
		}
		if (p[1].revents & POLLIN) {
			n = recv(srv, in + got, LD_TEST_BYTES - got, 0);
			if (n <= 0)
				break;
			if (got == 0)
				CHECK(s_us() - t0 >= LD_TEST_MS * 1000);
			got += (size_t)n;
		}
	}
	CHECK(got == LD_TEST_BYTES);
	for (size_t i = 0; i < got && order; i++)
		order = in[i] == out[i];
	CHECK(order);
	/* a clean close passes on as EOF, after the data */
	shutdown(cli, SHUT_WR);
	n = s_recv_wait(srv, b, sizeof(b), 5000);
	CHECK(n == 0);

	/* a connection reset while a forked process holds copies of the
	 * relay's sockets (as a node does between fork and exec): the relay
	 * frees it, and the copies must not bring its events back (under
	 * ASan this was a heap-use-after-free; without, heap corruption) */
	{
		int c2 = s_connect(rport), s2 = -1, hold[2] = { -1, -1 };
		pid_t child = -1;
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		CHECK(c2 >= 0 && send(c2, "C", 1, 0) == 1);
		if (c2 >= 0 && (s2 = accept(lfd, NULL, NULL)) >= 0) {
			CHECK(s_recv_wait(s2, b, sizeof(b), 5000) == 1);
			CHECK(pipe(hold) == 0);
			if ((child = fork()) == 0) {
				char z;
				/* only the relay's copies stay open here */
				close(c2);
				close(s2);
				close(hold[1]);
				(void)!read(hold[0], &z, 1);	/* until the parent closes it */
				_exit(0);
			}
			CHECK(child > 0);
			close(hold[0]);
			/* a reset from the "node", then the peer hangs up */
			setsockopt(s2, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(s2);
			poll(NULL, 0, 100);
			close(c2);
			c2 = -1;
			poll(NULL, 0, 200);
			close(hold[1]);
			if (child > 0)
				waitpid(child, NULL, 0);
		}
		if (c2 >= 0)
			close(c2);
	}

	/* a relay to a node that is down: the connection is closed promptly */
	{
		int d = s_connect(dead_port);

		CHECK(d >= 0);
		if (d >= 0) {
			n = s_recv_wait(d, b, sizeof(b), 3000);
			CHECK(n == 0 || (n < 0 && n != -2));
			close(d);
		}
	}
	{
		uint64_t bytes, acc, refused;

		linkdelay_stats(ld, &bytes, &acc, &refused);
		CHECK(bytes == 3 + LD_TEST_BYTES && acc == 3 && refused == 1);
	}
out:
	if (cli >= 0)
		close(cli);
	if (srv >= 0)
		close(srv);
	if (lfd >= 0)
		close(lfd);
	linkdelay_destroy(&ld);
	linkdelay_destroy(&ld);		/* idempotent */
	free(out);
	free(in);
}

/* A control socket's stand-in: a REP that answers each request after
 * delay_ms with {"ok":true,"n":<requests so far>}, or with an error when
 * the request says "refuse". */
struct slow_rep {
	void *ctx, *sock;
	pthread_t th;
	bool started;
	char ep[96];
	_Atomic int delay_ms;
	_Atomic int got;	/* requests received (the server thread counts) */
};

static void *slow_rep_run(void *arg)
{
	struct slow_rep *sr = arg;
	char buf[256], out[64];

	for (;;) {
		int n = zmq_recv(sr->sock, buf, sizeof(buf), 0);

		if (n < 0)
			return NULL;	/* context terminated: done */
		sr->got++;
		usleep((useconds_t)sr->delay_ms * 1000);
		if (memmem(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf), "refuse", 6))
			snprintf(out, sizeof(out), "{\"ok\":false,\"error\":\"refused\",\"n\":%d}", sr->got);
		else
			snprintf(out, sizeof(out), "{\"ok\":true,\"n\":%d}", sr->got);
		zmq_send(sr->sock, out, strlen(out), 0);
	}
}

/* Start sr's server on an ipc endpoint named after tag; 0 or -1. */
static int slow_rep_open(struct slow_rep *sr, const char *tag, int delay_ms)
{
	int linger = 0;

	snprintf(sr->ep, sizeof(sr->ep), "ipc:///tmp/smsim-selftest-%s-%d.sock", tag, (int)getpid());
	sr->delay_ms = delay_ms;
	if (!(sr->ctx = zmq_ctx_new()) || !(sr->sock = zmq_socket(sr->ctx, ZMQ_REP)))
		return -1;
	zmq_setsockopt(sr->sock, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(sr->sock, sr->ep) < 0 || pthread_create(&sr->th, NULL, slow_rep_run, sr) != 0)
		return -1;
	sr->started = true;
	return 0;
}

static void slow_rep_close(struct slow_rep *sr)
{
	if (sr->started) {
		zmq_ctx_shutdown(sr->ctx);	/* wakes the server thread's recv */
		pthread_join(sr->th, NULL);
	}
	if (sr->sock)
		zmq_close(sr->sock);
	if (sr->ctx)
		zmq_ctx_term(sr->ctx);
	if (sr->ep[0])
		unlink(sr->ep + 6);
}

/* ctl_probe (how the simulator waits for a thousand nodes at once): it
 * never blocks, takes a late reply when it comes, and sends afresh once a
 * request has been out longer than give_up_ms. */
static void ctl_probes(void)
{
	char e[128];
	struct slow_rep sr = { 0 };
	ctl_t *c = NULL;
	json_t *req = json_pack("{s:s}", "cmd", "status"), *rep = NULL;
	int64_t t0, waited;

	CHECK(req && slow_rep_open(&sr, "probe", 300) == 0);
	CHECK((c = ctl_new(sr.ep)) != NULL);
	if (!c || !req || !sr.started)
		goto out;
	/* a reply 300 ms late: probes return without it (the server is still
	 * asleep) until it is there */
	t0 = sim_mono_ms();
	rep = ctl_probe(c, req, sim_mono_ms(), 10000, e, sizeof(e));
	CHECK(rep == NULL && !strcmp(e, "timeout"));
	while (!rep && sim_mono_ms() - t0 < 5000) {
		usleep(10000);
		rep = ctl_probe(c, req, sim_mono_ms(), 10000, e, sizeof(e));
	}
	waited = sim_mono_ms() - t0;
	CHECK(rep != NULL);
	CHECK(waited >= 290);
	CHECK(json_integer_value(json_object_get(rep, "n")) == 1);
	CHECK(sr.got == 1);	/* one request, however many probes */
	json_decref(rep);
	rep = NULL;
	/* and the same ctl then serves a blocking call */
	rep = ctl_call(c, req, 3000, e, sizeof(e));
	CHECK(rep && json_integer_value(json_object_get(rep, "n")) == 2);
	json_decref(rep);
	rep = NULL;
	/* a request out longer than give_up_ms is dropped and sent afresh on a
	 * new socket: the server sees a second one */
	sr.delay_ms = 1500;
	t0 = sim_mono_ms();
	rep = ctl_probe(c, req, sim_mono_ms(), 200, e, sizeof(e));
	CHECK(rep == NULL);
	while (sr.got < 4 && sim_mono_ms() - t0 < 5000) {
		usleep(20000);
		json_decref(ctl_probe(c, req, sim_mono_ms(), 200, e, sizeof(e)));
	}
	CHECK(sr.got == 4);

out:
	ctl_destroy(&c);
	json_decref(req);
	slow_rep_close(&sr);
}

/* ctl_collect until its request is no longer pending (at most 5 s). */
static json_t *collect_wait(ctl_t *c, uint64_t tk, int give_up_ms, int *outcome, char *e,
    size_t elen)
{
	int64_t t0 = sim_mono_ms();
	json_t *rep;

	do {
		usleep(10000);
		rep = ctl_collect(c, tk, sim_mono_ms(), give_up_ms, outcome, e, elen);
	} while (!rep && *outcome == CTL_PENDING && sim_mono_ms() - t0 < 5000);
	return rep;
}

/* ctl_post and ctl_collect (how the simulator keeps actions out at many
 * nodes at once): the caller goes on while the request is out, takes the
 * reply when it comes, and a request is never sent twice. */
static void ctl_posts(void)
{
	char e[128];
	struct slow_rep sr = { 0 };
	int outcome;
	ctl_t *c = NULL;
	json_t *req = json_pack("{s:s}", "cmd", "submit"), *rep = NULL;
	uint64_t tk;

	CHECK(req && slow_rep_open(&sr, "post", 300) == 0);
	CHECK((c = ctl_new(sr.ep)) != NULL);
	if (!c || !req || !sr.started)
		goto out;
	tk = ctl_post(c, req, sim_mono_ms(), e, sizeof(e));
	CHECK(tk != 0);
	rep = ctl_collect(c, tk, sim_mono_ms(), 10000, &outcome, e, sizeof(e));
	CHECK(rep == NULL && outcome == CTL_PENDING);
	rep = collect_wait(c, tk, 10000, &outcome, e, sizeof(e));
	CHECK(rep && sr.got == 1 && json_integer_value(json_object_get(rep, "n")) == 1);
	json_decref(rep);
	CHECK(outcome == CTL_ANSWERED);
	/* a ticket answered is used up */
	rep = ctl_collect(c, tk, sim_mono_ms(), 10000, &outcome, e, sizeof(e));
	CHECK(rep == NULL && outcome == CTL_LOST);
	/* no reply within give_up_ms: the action has failed, and it is not
	 * sent again (the node may yet act on it) */
	sr.delay_ms = 1000;
	tk = ctl_post(c, req, sim_mono_ms(), e, sizeof(e));
	rep = collect_wait(c, tk, 200, &outcome, e, sizeof(e));
	CHECK(rep == NULL && outcome == CTL_LOST && strstr(e, "no reply in 200 ms"));
	usleep(1200000);
	CHECK(sr.got == 2);
	/* another call on the same ctl voids a ticket out */
	sr.delay_ms = 100;
	tk = ctl_post(c, req, sim_mono_ms(), e, sizeof(e));
	rep = ctl_call(c, req, 3000, e, sizeof(e));
	/* the post's request may or may not have left before its socket went */
	CHECK(rep && json_integer_value(json_object_get(rep, "n")) == sr.got && sr.got >= 3);
	json_decref(rep);
	rep = ctl_collect(c, tk, sim_mono_ms(), 10000, &outcome, e, sizeof(e));
	CHECK(rep == NULL && outcome == CTL_LOST && strstr(e, "dropped"));
	/* a refusal is an answer (the simulator may try a follow-up again),
	 * not a lost request */
	json_t *no = json_pack("{s:s}", "cmd", "refuse");
	tk = ctl_post(c, no, sim_mono_ms(), e, sizeof(e));
	rep = collect_wait(c, tk, 10000, &outcome, e, sizeof(e));
	CHECK(rep == NULL && outcome == CTL_ANSWERED && !strcmp(e, "refused"));
	json_decref(no);
out:
	ctl_destroy(&c);
	json_decref(req);
	slow_rep_close(&sr);
}

int selftest_main(int argc, char **argv)
{
	(void)argc; (void)argv;
	RUN(profile_parses_small);
	RUN(profile_rejects_bad);
	RUN(profile_scale_shape);
	RUN(profile_files);
	RUN(audience_rules);
	RUN(percentiles);
	RUN(workload_shape);
	RUN(workload_two_sigs);
	RUN(fault_plans);
	RUN(linkdelay_stream);
	RUN(ctl_probes);
	RUN(ctl_posts);
	return s_failed ? 1 : 0;
}
