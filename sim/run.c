/*
 * sim/run.c — `sigmesh-sim run`: set the testnet up, drive the workload
 * while injecting faults, heal, let it settle, measure, report, tear down.
 *
 * The main loop is single-threaded on a ~2 ms tick: due faults first, then
 * due workload events (each a synchronous control call: submit returns
 * only after the node's durable commit), then process bookkeeping. A
 * control call to a node the fault plan has frozen is never made: the loop
 * knows each node's state, and an action whose node is down is moved to
 * another member of the same SIG (submissions), retried later (releases,
 * retractions: only the originator may do them) or skipped (sightings).
 *
 * Exit status: 0 when every expected delivery happened and nothing leaked,
 * 1 on any leak, loss after healing, or node crash, 2 on a setup error or
 * an interrupt.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include <zmq.h>
#include "sim/sim.h"

volatile int sim_interrupted;

/* Bringing a testnet up (s_wait_up): nodes starting at once, at most;
 * and how long with no node coming up before the run gives up. */
#define SIM_START_WAVE 64
#define SIM_START_STALL_MS 60000
/* After the start (s_wait_mesh): how long with no node newly linked to
 * all its neighbours before the workload starts anyway; and how long one
 * status answer may take (a saturated 1,000-node testnet answered none
 * within 10 s, so the wait saw no node linked). */
#define SIM_MESH_STALL_MS 60000
#define SIM_MESH_PROBE_MS 30000

typedef struct run_opts {
	const char *profile;
	workload_opts wl;
	const char *faults;
	const char *out;
	double settle_s;
	double idle_s;		/* > 0: measure idle traffic for this long after settling */
	int recon_ms;		/* nodes' recon_interval_ms (default 2000) */
	const char *log_level;	/* nodes' log_level (default warn) */
	int base_port;
	bool keep;
	const char *state_dir;	/* where the testnet's directory goes (default /tmp) */
	const char *net;	/* "loopback" or "netns" */
	int link_delay_ms;
	double loss_pct;
	int start_wave;		/* nodes starting at once, at most (default SIM_START_WAVE) */
} run_opts;

static void s_on_signal(int sig)
{
	(void)sig;
	if (sim_interrupted) {		/* second Ctrl-C: no more courtesy */
		testnet_emergency_kill();
		_exit(130);
	}
	sim_interrupted = 1;
}

static void s_usage(FILE *f)
{
	fprintf(f,
	    "usage: sigmesh-sim run --profile FILE|scale-N --workload fy2014|burst\n"
	    "           [--reports N] [--rate R] [--faults none|demo|churn] [--duration S]\n"
	    "           [--settle S] [--seed N] [--base-port P] [--out DIR] [--keep]\n"
	    "           [--body-bytes N] [--idle S] [--recon-ms N] [--log-level L]\n"
	    "           [--net loopback|netns] [--link-delay MS] [--loss PCT] [--start-wave N]\n"
	    "       sigmesh-sim selftest\n"
	    "       sigmesh-sim help\n"
	    "\n"
	    "run starts one real sigmeshd per organization of the profile (from the\n"
	    "directory sigmesh-sim is in, or $SIGMESH_SIM_NODE), drives the workload,\n"
	    "injects faults, heals, and measures coverage, leaks, latency and overhead.\n"
	    "  --reports N   submissions (fy2014 default 626)\n"
	    "  --rate R      mean submissions per second (default 12)\n"
	    "  --duration S  run the fy2014 mix for S seconds (reports = rate x S)\n"
	    "  --faults F    none, demo, partition (a SIG cut off, then the bridges),\n"
	    "                offline (one node away for the whole workload), kill20\n"
	    "                (20%% of nodes killed, back at the heal), churn\n"
	    "  --settle S    after healing, wait for full coverage until S seconds pass\n"
	    "                without a delivery (default 30)\n"
	    "  --body-bytes N  fill report bodies with analyst notes up to N bytes of JSON\n"
	    "  --idle S      after settling, measure S seconds of idle traffic\n"
	    "  --recon-ms N  the nodes' reconciliation interval (default 2000; production 30000)\n"
	    "  --start-wave N  at most N nodes starting (not yet answering status) at once (default 64)\n"
	    "  --log-level L the nodes' log level (default warn); with --keep and debug,\n"
	    "                each node logs how every object reached it: sim/hops.py reads\n"
	    "                the logs and shows how long each hop and each path took\n"
	    "  --net netns   (root) one network namespace per node on a bridge, addresses\n"
	    "                in 198.18.0.0/15; partitions cut links instead of freezing nodes\n"
	    "  --link-delay MS  one-way delay between any two nodes: netem (netns, when\n"
	    "                the kernel has it), else a userspace relay (also loopback)\n"
	    "  --loss PCT    netns: packet loss between any two nodes, in percent\n"
	    "  --out DIR     summary.json and latency.svg (default build/sim)\n"
	    "  --keep        keep the testnet's directory (keys, stores, logs)\n"
	    "  --state-dir DIR  make the testnet's directory in DIR (default /tmp); /dev/shm\n"
	    "                keeps every store in memory: a real node has a disk of its own,\n"
	    "                while hundreds of nodes on one machine queue on one disk's fsyncs\n"
	    "Exit status: 0 all delivered and no leak; 1 leak, loss or crash; 2 error.\n");
}

static int s_parse(run_opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "profile", required_argument, 0, 'p' }, { "workload", required_argument, 0, 'w' },
		{ "reports", required_argument, 0, 'n' }, { "rate", required_argument, 0, 'r' },
		{ "faults", required_argument, 0, 'f' }, { "duration", required_argument, 0, 'd' },
		{ "seed", required_argument, 0, 's' }, { "out", required_argument, 0, 'o' },
		{ "keep", no_argument, 0, 'k' }, { "settle", required_argument, 0, 'S' },
		{ "base-port", required_argument, 0, 'P' }, { "help", no_argument, 0, 'h' },
		{ "body-bytes", required_argument, 0, 'B' }, { "idle", required_argument, 0, 'I' },
		{ "recon-ms", required_argument, 0, 'R' }, { "net", required_argument, 0, 'N' },
		{ "link-delay", required_argument, 0, 'D' }, { "loss", required_argument, 0, 'L' },
		{ "state-dir", required_argument, 0, 'T' }, { "log-level", required_argument, 0, 'V' },
		{ "start-wave", required_argument, 0, 'W' },
		{ 0, 0, 0, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->wl.kind = "fy2014";
	o->wl.seed = 2014;
	o->faults = "none";
	o->out = "build/sim";
	o->settle_s = 30;
	o->net = "loopback";
	o->start_wave = SIM_START_WAVE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'p': o->profile = optarg; break;
		case 'w': o->wl.kind = optarg; break;
		case 'n': o->wl.reports = atoi(optarg); break;
		case 'r': o->wl.rate = atof(optarg); break;
		case 'f': o->faults = optarg; break;
		case 'd': o->wl.duration_s = atof(optarg); break;
		case 's': o->wl.seed = strtoull(optarg, NULL, 0); break;
		case 'o': o->out = optarg; break;
		case 'k': o->keep = true; break;
		case 'T': o->state_dir = optarg; break;
		case 'S': o->settle_s = atof(optarg); break;
		case 'P': o->base_port = atoi(optarg); break;
		case 'B': o->wl.body_bytes = (size_t)strtoul(optarg, NULL, 10); break;
		case 'I': o->idle_s = atof(optarg); break;
		case 'R': o->recon_ms = atoi(optarg); break;
		case 'V': o->log_level = optarg; break;
		case 'N': o->net = optarg; break;
		case 'D': o->link_delay_ms = atoi(optarg); break;
		case 'L': o->loss_pct = atof(optarg); break;
		case 'W': o->start_wave = atoi(optarg); break;
		case 'h': s_usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (!o->profile || optind != argc)
		return -1;
	if (strcmp(o->net, "loopback") != 0 && strcmp(o->net, "netns") != 0) {
		fprintf(stderr, "sigmesh-sim: --net %s: expected loopback or netns\n", o->net);
		return -1;
	}
	if (o->log_level && strcmp(o->log_level, "error") && strcmp(o->log_level, "warn") &&
	    strcmp(o->log_level, "info") && strcmp(o->log_level, "debug")) {
		fprintf(stderr, "sigmesh-sim: --log-level %s: expected error, warn, info or debug\n", o->log_level);
		return -1;
	}
	if (o->start_wave < 1 || o->start_wave > 100000) {
		fprintf(stderr, "sigmesh-sim: --start-wave must be 1..100000\n");
		return -1;
	}
	if (o->link_delay_ms < 0 || o->link_delay_ms > 10000 || o->loss_pct < 0 || o->loss_pct > 50) {
		fprintf(stderr, "sigmesh-sim: --link-delay must be 0..10000 ms, --loss 0..50%%\n");
		return -1;
	}
	return 0;
}

/* ---- acting on the testnet ---- */

static json_t *s_names(const profile *p, const int *ix, int n, bool sigs)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_string(sigs ? p->sigs[ix[i]].name : p->orgs[ix[i]].name));
	return a;
}

/* Another running member of org's home SIG, or -1. */
static int s_substitute(const profile *p, const testnet *t, int org, uint64_t salt)
{
	const prof_sig *g = &p->sigs[p->orgs[org].home];

	for (int k = 0; k < g->n_members; k++) {
		int x = g->members[(salt + k) % g->n_members];

		if (x != org && t->nodes[x].state == NS_UP)
			return x;
	}
	return -1;
}

/* How long an action's node may take to answer before the action has
 * failed: as long as the sigmesh CLI waits for its node (nodeclient.c), so
 * a failure here is one an analyst would see. The simulator does not wait
 * meanwhile: a thousand nodes on two cores answer in seconds, and the
 * schedule goes on. */
#define SIM_ACTION_REPLY_MS 120000

/*
 * Send event ix to its node without waiting (the reply goes to s_settle).
 * busy[node] is the event a node is answering, or -1: one request at a time
 * per node, as its control socket takes them. Returns 1 sent, 0 retry
 * after *wait_ms, 2 queued behind its node's answer to another action
 * (retry after *wait_ms; no deadline, since each answer has one), -1
 * failed or skipped for good.
 */
static int s_act(const profile *p, testnet *t, workload *w, int ix, const int *busy,
    int64_t *wait_ms)
{
	sim_event *e = &w->ev[ix];
	sim_event *rep = e->kind == EV_SUBMIT ? e : &w->ev[e->report];
	json_t *req = NULL;
	char err[160];
	int actor;

	*wait_ms = 1500;
	if (e->kind != EV_SUBMIT && (rep->state == ES_PENDING || rep->state == ES_SENT)) {
		*wait_ms = 50;	/* its report is still on its way to its node */
		return 0;
	}
	if (e->kind != EV_SUBMIT && rep->state != ES_DONE) {
		e->state = ES_SKIPPED;
		snprintf(e->error, sizeof(e->error), "its report was not submitted");
		return -1;
	}
	actor = e->kind == EV_SIGHT ? e->org : rep->org;
	if (t->nodes[actor].state != NS_UP) {
		if (e->kind == EV_SUBMIT) {
			actor = s_substitute(p, t, e->org, (uint64_t)ix);
			if (actor < 0) {
				e->state = ES_SKIPPED;
				snprintf(e->error, sizeof(e->error), "no running member of its SIG");
				return -1;
			}
			e->org = actor;
		} else if (e->kind == EV_SIGHT) {
			e->state = ES_SKIPPED;
			snprintf(e->error, sizeof(e->error), "sighting node down");
			return -1;
		} else {
			return 0;	/* only the originator may: wait for it */
		}
	}
	if (busy[actor] >= 0) {
		*wait_ms = 5;	/* its node is answering another request */
		return 2;
	}
	if (e->kind == EV_SIGHT && actor == rep->org) {
		e->state = ES_SKIPPED;
		return -1;
	}
	switch (e->kind) {
	case EV_SUBMIT: {
		json_error_t je;
		json_t *body = json_loads(e->body, 0, &je), *aud;

		if (e->aud.federation)
			aud = json_string("federation");
		else
			aud = json_pack("{s:o, s:o}", "sigs", s_names(p, e->aud.sigs, e->aud.n_sigs, true),
			    "orgs", s_names(p, e->aud.orgs, e->aud.n_orgs, false));
		req = json_pack("{s:s, s:s, s:o, s:o}", "cmd", "submit", "tlp", sim_tlp_name(e->tlp),
		    "audience", aud, "body", body);
		break;
	}
	case EV_RELEASE:
		req = json_pack("{s:s, s:s, s:o, s:o}", "cmd", "release", "id", rep->id,
		    "sigs", s_names(p, e->aud.sigs, e->aud.n_sigs, true),
		    "orgs", s_names(p, e->aud.orgs, e->aud.n_orgs, false));
		break;
	case EV_SIGHT:
		req = json_pack("{s:s, s:s, s:s, s:b, s:s}", "cmd", "sight", "id", rep->id,
		    "kind", "seen", "originator_only", e->originator_only,
		    "note", "Same lure received at our gateway; blocked.");
		break;
	default:
		req = json_pack("{s:s, s:s, s:s}", "cmd", "retract", "id", rep->id,
		    "reason", "Turned out to be an internal phishing drill.");
		break;
	}
	if (!req) {
		e->state = ES_FAILED;
		snprintf(e->error, sizeof(e->error), "cannot build the request");
		return -1;
	}
	e->tries++;
	e->sent_ms = sim_now_ms();
	e->actor = actor;
	e->ticket = ctl_post(t->nodes[actor].ctl, req, sim_mono_ms(), err, sizeof(err));
	json_decref(req);
	if (!e->ticket) {
		snprintf(e->error, sizeof(e->error), "%.40s: %.80s", t->nodes[actor].name, err);
		if (e->tries < 5 && e->kind != EV_SUBMIT)
			return 0;
		e->state = ES_FAILED;
		return -1;
	}
	e->state = ES_SENT;
	return 1;
}

/* Take the reply to sent event ix if it has come. Returns 2 still out, 1
 * done, 0 retry after *wait_ms (a follow-up the node refused: a sighting
 * may come before the report reached the sighter), -1 failed for good (an
 * action lost on its way is never sent again: the node may have made it). */
static int s_settle(testnet *t, workload *w, int ix, int64_t *wait_ms)
{
	sim_event *e = &w->ev[ix];
	char err[160];
	int outcome;
	json_t *reply = ctl_collect(t->nodes[e->actor].ctl, e->ticket, sim_mono_ms(),
	    SIM_ACTION_REPLY_MS, &outcome, err, sizeof(err));
	const char *id;

	*wait_ms = 1500;
	if (outcome == CTL_PENDING)
		return 2;
	if (!reply) {
		snprintf(e->error, sizeof(e->error), "%.40s: %.80s", t->nodes[e->actor].name, err);
		e->state = ES_PENDING;
		if (outcome == CTL_ANSWERED && e->tries < 5 && e->kind != EV_SUBMIT)
			return 0;
		e->state = ES_FAILED;
		return -1;
	}
	e->reply_ms = sim_now_ms() - e->sent_ms;
	id = json_string_value(json_object_get(reply, "id"));
	if (id && strlen(id) < sizeof(e->id)) {
		snprintf(e->id, sizeof(e->id), "%s", id);
		e->state = ES_DONE;
	} else {
		e->state = ES_FAILED;
		snprintf(e->error, sizeof(e->error), "reply without an id");
	}
	json_decref(reply);
	return e->state == ES_DONE ? 1 : -1;
}

/*
 * Nothing to do this turn: sleep until the first of an answer from a node
 * with an action out, the next planned event, retry or fault, and 20 ms
 * (testnet_poll's turn: crashes, starting nodes). The simulator shares the
 * machine with the nodes it measures, so it does not spin.
 */
static void s_wait_turn(testnet *t, const workload *w, const fault_plan *fp, int next, int nf,
    const int *retry, int n_retry, const int *out_ev, int n_out, zmq_pollitem_t *polls, int64_t now)
{
	int64_t due = now + 20;
	int np = 0;

	if (next < w->n && w->ev[w->order[next]].at_ms < due)
		due = w->ev[w->order[next]].at_ms;
	if (nf < fp->n && fp->f[nf].at_ms < due)
		due = fp->f[nf].at_ms;
	for (int k = 0; k < n_retry; k++)
		if (w->ev[retry[k]].at_ms < due)
			due = w->ev[retry[k]].at_ms;
	for (int k = 0; k < n_out; k++) {
		void *sock = ctl_socket(t->nodes[w->ev[out_ev[k]].actor].ctl);

		if (sock)
			polls[np++] = (zmq_pollitem_t){ .socket = sock, .events = ZMQ_POLLIN };
	}
	/* something already due that could not go (a kill waiting for its
	 * node's answer): wait for answers, a millisecond at a time */
	long wait = due > now ? (long)(due - now) : np > 0 ? 1 : 0;

	if (wait == 0)
		return;
	if (np > 0)
		zmq_poll(polls, np, wait);
	else
		usleep((useconds_t)wait * 1000);
}

/* Undo a link fault (netns). */
static void s_rejoin(testnet *t, int i)
{
	sim_node *nd = &t->nodes[i];

	if (nd->cut == FK_ISOLATE)
		netns_isolate(t, i, false);
	else if (nd->cut == FK_ISLAND)
		netns_island(t, i, false);
	nd->cut = 0;
}

static void s_fault(testnet *t, sim_fault *f)
{
	sim_node *nd = &t->nodes[f->node];

	nd->faulted = true;
	switch (f->kind) {
	case FK_KILL: nd->hold_down = true; testnet_kill(t, f->node, SIGKILL); break;
	case FK_STOP: nd->hold_down = true; testnet_stop(t, f->node); break;
	case FK_PAUSE: testnet_pause(t, f->node); break;
	case FK_RESUME: testnet_resume(t, f->node); break;
	case FK_ISOLATE:
		if (netns_isolate(t, f->node, true) == 0)
			nd->cut = FK_ISOLATE;
		break;
	case FK_ISLAND:
		if (netns_island(t, f->node, true) == 0)
			nd->cut = FK_ISLAND;
		break;
	case FK_REJOIN: s_rejoin(t, f->node); break;
	default: nd->hold_down = false; testnet_start(t, f->node, NULL); break;
	}
	f->done = true;
}

static void s_progress(bool tty, const char *phase, int64_t t_ms, const testnet *t,
    int done, int total, int faults, long missing)
{
	if (!tty)
		return;
	printf("\r\033[K%-8s %6.1fs  actions %d/%d  nodes up %d/%d  faults %d", phase, t_ms / 1000.0,
	    done, total, testnet_count(t, NS_UP), t->n, faults);
	if (missing >= 0)
		printf("  missing %ld", missing);
	fflush(stdout);
}

/* Keep the nodes' logs of a failed run in OUT/logs: the testnet directory
 * is about to be removed. */
static void s_save_logs(const testnet *t, const char *out)
{
	char dir[SIM_MAX_PATH + 16], dst[SIM_MAX_PATH + 100], buf[8192];

	snprintf(dir, sizeof(dir), "%s/logs", out);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return;
	for (int i = 0; i < t->n; i++) {
		FILE *in = fopen(t->nodes[i].log, "r"), *o;
		size_t n;

		if (!in)
			continue;
		snprintf(dst, sizeof(dst), "%s/%.60s.log", dir, t->nodes[i].name);
		if ((o = fopen(dst, "w"))) {
			while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
				fwrite(buf, 1, n, o);
			fclose(o);
		}
		fclose(in);
	}
}

static int s_counters(testnet *t, long long *sent, long long *recvd)
{
	int n = 0;

	*sent = *recvd = 0;
	for (int i = 0; i < t->n; i++) {
		json_t *req = json_pack("{s:s}", "cmd", "status"), *rep;
		char e[128];

		if (t->nodes[i].state == NS_UP && (rep = ctl_call(t->nodes[i].ctl, req, 3000, e, sizeof(e)))) {
			*sent += json_integer_value(json_object_get(rep, "bytes_sent"));
			*recvd += json_integer_value(json_object_get(rep, "bytes_received"));
			json_decref(rep);
			n++;
		}
		json_decref(req);
	}
	return n;
}

/* Bytes sent on the loopback interface so far (/proc/net/dev), or -1. */
static long long s_lo_bytes(void)
{
	FILE *f = fopen("/proc/net/dev", "r");
	char line[512];
	long long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');
		long long x[9];
		char name[32];

		if (!c || sscanf(line, " %31[^:]", name) != 1 || strcmp(name, "lo"))
			continue;
		/* receive: bytes packets errs drop fifo frame compressed
		 * multicast; then transmit bytes */
		if (sscanf(c + 1, "%lld %lld %lld %lld %lld %lld %lld %lld %lld", &x[0], &x[1], &x[2],
		    &x[3], &x[4], &x[5], &x[6], &x[7], &x[8]) == 9)
			v = x[8];
	}
	fclose(f);
	return v;
}

/*
 * Idle traffic: the byte counters of every node, idle_s apart, with no
 * workload at all (HELLOs, reconciliation rounds). Those count sigmesh
 * frames only; on plain loopback the bytes the loopback interface carried
 * meanwhile are measured too: what the nodes put on the wire (CurveZMQ,
 * TCP keepalive probes, TCP/IP headers and acknowledgements), plus whatever
 * else on this machine used loopback then.
 */
/* CPU seconds used by every node so far (the living ones read afresh). */
static double s_cpu_total(testnet *t)
{
	double sum = 0;

	for (int i = 0; i < t->n; i++) {
		testnet_sample(t, i);
		sum += t->nodes[i].cpu_prev_s + t->nodes[i].cpu_last_s;
	}
	return sum;
}

static int s_idle(testnet *t, double idle_s, bool tty, json_t **out)
{
	long long s0, r0, s1, r1, lo0, lo1;
	bool wire = !t->netns && !t->relay;
	double cpu0, cpu1;
	int64_t t0, t1;
	int n0, n1;

	n0 = s_counters(t, &s0, &r0);
	cpu0 = s_cpu_total(t);
	lo0 = wire ? s_lo_bytes() : -1;
	t0 = sim_mono_ms();
	while (!sim_interrupted && sim_mono_ms() - t0 < idle_s * 1000) {
		testnet_poll(t);
		s_progress(tty, "idle", sim_mono_ms() - t0, t, 0, 0, 0, -1);
		usleep(100000);
	}
	if (sim_interrupted)
		return -1;
	t1 = sim_mono_ms();
	lo1 = lo0 >= 0 ? s_lo_bytes() : -1;
	n1 = s_counters(t, &s1, &r1);
	cpu1 = s_cpu_total(t);
	if (n0 != t->n || n1 != t->n)
		return 0;	/* a node did not answer: no honest figure */
	double secs = (t1 - t0) / 1000.0;
	/* CPU at rest decides how many nodes one machine can hold: at a
	 * thousand nodes, a few ms a second each is the machine's two cores
	 * before any report is sent */
	*out = json_pack("{s:f, s:f, s:f, s:f}", "seconds", secs,
	    "bytes_sent_per_node_per_s", (double)(s1 - s0) / t->n / secs,
	    "bytes_received_per_node_per_s", (double)(r1 - r0) / t->n / secs,
	    "cpu_ms_per_node_per_s", (cpu1 - cpu0) * 1000.0 / t->n / secs);
	if (*out && lo0 >= 0 && lo1 >= lo0)
		json_object_set_new(*out, "wire_bytes_per_node_per_s",
		    json_real((double)(lo1 - lo0) / t->n / secs));
	return 0;
}

/* Wait until every node answers status, starting the nodes first when
 * wave > 0: at most wave of them not yet answering at a time. A thousand
 * nodes started at once on two cores compete for them before any can
 * answer, each dialling peers that are not listening yet; organizations
 * do not start their nodes in the same second either. How long that takes
 * depends on the machine (scale-1000 came up in about five minutes on one
 * 2-core machine, and not at all on another: bench/NOTES.md), so the
 * limit is on a stall: it fails once stall_ms pass with no node coming up.
 * *peak (if not NULL) gets the most nodes seen starting at once. */
static int s_wait_up(testnet *t, int wave, int64_t stall_ms, bool tty, const char *phase,
    int *peak, sm_err *err)
{
	int64_t t0 = sim_mono_ms(), last = 0, moved = t0;
	int next = wave > 0 ? 0 : t->n, up = testnet_count(t, NS_UP), starting;

	while ((next < t->n || up < t->n) && !sim_interrupted) {
		while (next < t->n && testnet_count(t, NS_STARTING) < wave)
			if (testnet_start(t, next++, err) < 0)
				return -1;
		if (peak && (starting = testnet_count(t, NS_STARTING)) > *peak)
			*peak = starting;
		testnet_poll(t);
		if (testnet_count(t, NS_UP) > up) {
			up = testnet_count(t, NS_UP);
			moved = sim_mono_ms();
		}
		if (sim_mono_ms() - moved > stall_ms)
			return -1;
		if (sim_mono_ms() - last > 200) {
			s_progress(tty, phase, sim_mono_ms() - t0, t, 0, 0, 0, -1);
			last = sim_mono_ms();
		}
		usleep(10000);
	}
	return sim_interrupted ? -1 : 0;
}

/*
 * Wait until every node is linked both ways to all its neighbours
 * (status: neighbors_linked == neighbors > 0), so that the workload
 * measures dissemination over a formed mesh, as in a federation whose
 * nodes have been up for longer than a report takes: without it the
 * first seconds of reports wait on TCP and CurveZMQ handshakes still
 * under way (over 25 ms links, every report over 300 ms was made in the
 * first 2.4 s). Each node's probe is out at once, as in testnet_poll.
 * A node not linked yet is asked again after 250 ms, or 2.5 ms per node
 * of the testnet if longer: each answer costs a node a wake-up, and a
 * thousand nodes asked four times a second would be load the wait itself
 * made. Gives up, without failing the run, after stall_ms with no node
 * newly linked; returns how many nodes were linked.
 */
static int s_wait_mesh(testnet *t, int64_t stall_ms, bool tty)
{
	int64_t t0 = sim_mono_ms(), moved = t0, last = 0;
	int64_t again = t->n * 5 / 2 > 250 ? t->n * 5 / 2 : 250;
	bool *done = calloc((size_t)t->n, sizeof(bool));
	int64_t *next = calloc((size_t)t->n, sizeof(int64_t));
	int linked = 0;

	if (!done || !next) {
		free(done);
		free(next);
		return -1;
	}
	while (linked < t->n && !sim_interrupted && sim_mono_ms() - moved <= stall_ms) {
		int64_t now = sim_mono_ms();

		testnet_poll(t);
		for (int i = 0; i < t->n; i++) {
			sim_node *nd = &t->nodes[i];
			json_t *req, *rep;
			char e[128];

			if (done[i] || nd->state != NS_UP || now < next[i])
				continue;
			req = json_pack("{s:s}", "cmd", "status");
			rep = ctl_probe(nd->ctl, req, now, SIM_MESH_PROBE_MS, e, sizeof(e));
			json_decref(req);
			if (!rep)
				continue;
			next[i] = now + again;	/* a node not linked yet is asked again */
			json_int_t nb = json_integer_value(json_object_get(rep, "neighbors"));
			json_int_t up = json_integer_value(json_object_get(rep, "neighbors_linked"));
			json_decref(rep);
			if (nb > 0 && up == nb) {
				done[i] = true;
				linked++;
				moved = sim_mono_ms();
			}
		}
		if (tty && sim_mono_ms() - last > 200) {
			printf("\r\033[Kmesh     %6.1fs  nodes linked to all their neighbours %d/%d",
			    (sim_mono_ms() - t0) / 1000.0, linked, t->n);
			fflush(stdout);
			last = sim_mono_ms();
		}
		usleep(20000);
	}
	/* a probe still out is dropped by the next ctl_call to its node */
	free(done);
	free(next);
	return linked;
}

int run_main(int argc, char **argv)
{
	run_opts o;
	profile p = { 0 };
	workload w = { 0 };
	fault_plan fp = { 0 };
	testnet t = { 0 };
	measure *m = NULL;
	json_t *summary = NULL, *results = NULL;
	sm_err err = { 0 };
	bool tty = isatty(1);
	int start_peak = 0;	/* most nodes starting at once while bringing it up */
	int rc = 2, crashes = 0, injected = 0, done_actions = 0, sub_fails = 0;
	int out_peak = 0;	/* most actions out at once (awaiting their answers) */
	int64_t t_setup, t_mesh = 0, t_work, t_settle, t_end, t_gain = 0;
	int mesh_linked = -1;	/* nodes linked to all their neighbours before the workload */
	long missing = -1, leaks = 0;
	json_t *idle = NULL;
	struct sigaction sa = { .sa_handler = s_on_signal };

	if (s_parse(&o, argc, argv) < 0) {
		s_usage(stderr);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "sigmesh-sim: libsodium failed to initialise\n");
		return 2;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	t_setup = sim_mono_ms();
	if (strcmp(o.net, "netns") == 0) {
		char why[128];

		if (!netns_usable(why, sizeof(why))) {
			fprintf(stderr, "sigmesh-sim: --net netns unavailable (%s): running on loopback, "
			    "partitions freeze processes%s\n", why,
			    o.loss_pct ? ", no packet loss" : "");
			o.net = "loopback";
		}
	} else if (o.loss_pct) {
		fprintf(stderr, "sigmesh-sim: --loss needs --net netns (--link-delay works on loopback)\n");
		return 2;
	}
	if (profile_load(&p, o.profile, &err) < 0 ||
	    workload_generate(&w, &p, &o.wl, &err) < 0 ||
	    faults_plan(&fp, o.faults, &p, w.duration_ms > 0 ? w.duration_ms : 20000,
		o.wl.seed, strcmp(o.net, "netns") == 0, &err) < 0)
		goto fail;
	printf("sigmesh-sim: %s: %d organizations in %d SIGs (%d bridging); %d actions "
	    "(%d reports) over %.1fs; faults %s (%d actions)\n", p.name, p.n_orgs, p.n_sigs,
	    profile_bridges(&p), w.n, w.n_reports, w.duration_ms / 1000.0, fp.mode, fp.n);
	for (int k = 0; k < fp.n_story; k++)
		printf("  fault plan: %s\n", fp.story[k]);
	fflush(stdout);
	if (testnet_init(&t, &p, o.base_port, o.state_dir, &err) < 0)
		goto fail;
	t.recon_ms = o.recon_ms;
	t.log_level = o.log_level;
	t.link_delay_ms = o.link_delay_ms;
	if (strcmp(o.net, "netns") == 0) {
		int64_t t_ns = sim_mono_ms();

		t.loss_pct = o.loss_pct;
		if (netns_setup(&t, &err) < 0)
			goto fail;
		printf("  network: %d namespaces on a bridge (198.18.0.0/15) in %.1fs; "
		    "links: delay %d ms, loss %.2f%% (%s)\n", t.n + 1,
		    (sim_mono_ms() - t_ns) / 1000.0, t.link_delay_ms, t.loss_pct,
		    t.link_how[0] ? t.link_how : "none");
		fflush(stdout);
	}
	if (t.link_delay_ms > 0 && !t.link_how[0])
		snprintf(t.link_how, sizeof(t.link_how), "relay");	/* loopback */
	if (t.link_delay_ms > 0 && strncmp(t.link_how, "relay", 5) == 0) {
		/* no netem: a userspace relay in front of every node delays links */
		if (testnet_relay(&t, &err) < 0)
			goto fail;
		if (strcmp(o.net, "netns") != 0)
			printf("  network: loopback; links: delay %d ms (relay)\n", t.link_delay_ms);
		fflush(stdout);
	}
	if (keysetup_create(&t, &p, &err) < 0)
		goto fail;
	if (s_wait_up(&t, o.start_wave, SIM_START_STALL_MS, tty, "start", &start_peak, &err) < 0) {
		if (err.code)
			goto fail;
		sm_fail(&err, SM_EIO, "%d of %d nodes did not answer status, none for %d s "
		    "(logs in %s/n)", t.n - testnet_count(&t, NS_UP), t.n,
		    SIM_START_STALL_MS / 1000, t.base);
		o.keep = true;
		goto fail;
	}
	t_mesh = sim_mono_ms();
	mesh_linked = s_wait_mesh(&t, SIM_MESH_STALL_MS, tty);
	if (sim_interrupted)
		goto fail;
	if (tty)
		printf("\r\033[K");
	printf("  mesh: %d of %d nodes linked both ways to all their neighbours in %.1fs%s\n",
	    mesh_linked < 0 ? 0 : mesh_linked, t.n, (sim_mono_ms() - t_mesh) / 1000.0,
	    mesh_linked == t.n ? "" : "; starting the workload anyway");
	fflush(stdout);

	/* ---- workload and faults ---- */
	t_work = sim_mono_ms();
	{
		int next = 0, nf = 0, n_retry = 0, n_out = 0;
		int *retry = malloc((size_t)w.n * sizeof(int));	/* events to try again */
		int *out_ev = malloc((size_t)w.n * sizeof(int));	/* events sent, reply awaited */
		int *busy = malloc((size_t)t.n * sizeof(int));		/* per node: its event out, or -1 */
		zmq_pollitem_t *polls = malloc(((size_t)t.n + 1) * sizeof(*polls));
		int64_t last_prog = 0, wait_ms;

		if (!retry || !out_ev || !busy || !polls) {
			free(retry);
			free(out_ev);
			free(busy);
			free(polls);
			sm_fail(&err, SM_ENOMEM, "out of memory");
			goto fail;
		}
		for (int i = 0; i < t.n; i++)
			busy[i] = -1;
		while (!sim_interrupted && (next < w.n || n_retry > 0 || nf < fp.n || n_out > 0)) {
			int64_t now = sim_mono_ms() - t_work;
			bool act = false;

			while (nf < fp.n && fp.f[nf].at_ms <= now) {
				sim_fault *f = &fp.f[nf];

				/* a kill or stop waits for the node's answer to the
				 * action out (as it would if the simulator waited for
				 * every answer): an action cut off leaves the run not
				 * knowing whether the node acted on it */
				if ((f->kind == FK_KILL || f->kind == FK_STOP) && busy[f->node] >= 0 &&
				    t.nodes[f->node].state == NS_UP)
					break;
				s_fault(&t, f);
				nf++;
				injected++;
			}
			if (next < w.n && w.ev[w.order[next]].at_ms <= now) {
				int ix = w.order[next++], r = s_act(&p, &t, &w, ix, busy, &wait_ms);

				if (r == 0 || r == 2) {
					w.ev[ix].at_ms = now + wait_ms;
					retry[n_retry++] = ix;
				} else if (r == 1) {
					busy[w.ev[ix].actor] = ix;
					out_ev[n_out++] = ix;
				}
				done_actions += r < 0;
				act = true;
			}
			for (int k = 0; k < n_retry; k++) {
				int ix = retry[k], r;

				if (w.ev[ix].at_ms > now)
					continue;
				r = s_act(&p, &t, &w, ix, busy, &wait_ms);
				if (r == 2) {
					w.ev[ix].at_ms = now + wait_ms;
					continue;
				}
				/* an originator that a fault holds down with no restart
				 * planned comes back only at the heal: stop waiting */
				if (r == 0 && nf == fp.n && (w.ev[ix].kind == EV_RELEASE ||
				    w.ev[ix].kind == EV_RETRACT) && t.nodes[w.ev[w.ev[ix].report].org].hold_down) {
					w.ev[ix].state = ES_SKIPPED;
					snprintf(w.ev[ix].error, sizeof(w.ev[ix].error), "originator down until the heal");
					r = -1;
				}
				if (r == 0 && w.ev[ix].tries < 20 && now < w.duration_ms + 60000) {
					w.ev[ix].at_ms = now + wait_ms;
					continue;
				}
				if (r == 0) {
					w.ev[ix].state = ES_FAILED;
					snprintf(w.ev[ix].error, sizeof(w.ev[ix].error), "gave up waiting for the originator");
				}
				if (r > 0) {
					busy[w.ev[ix].actor] = ix;
					out_ev[n_out++] = ix;
				} else {
					done_actions++;
				}
				retry[k--] = retry[--n_retry];
				act = true;
			}
			if (n_out > out_peak)
				out_peak = n_out;
			for (int k = 0; k < n_out; k++) {
				int ix = out_ev[k], r = s_settle(&t, &w, ix, &wait_ms);

				if (r == 2)
					continue;
				busy[w.ev[ix].actor] = -1;
				out_ev[k--] = out_ev[--n_out];
				if (r == 0) {
					w.ev[ix].at_ms = now + wait_ms;
					retry[n_retry++] = ix;
				}
				done_actions += r != 0;
				act = true;
			}
			crashes += testnet_poll(&t);
			if (now - last_prog > 200) {
				s_progress(tty, "workload", now, &t, done_actions, w.n, injected, -1);
				last_prog = now;
			}
			if (!act)
				s_wait_turn(&t, &w, &fp, next, nf, retry, n_retry, out_ev, n_out, polls, now);
		}
		free(retry);
		free(out_ev);
		free(busy);
		free(polls);
	}
	if (sim_interrupted)
		goto interrupted;

	/* ---- heal, then settle ---- */
	t_settle = sim_mono_ms();
	for (int i = 0; i < t.n; i++) {
		t.nodes[i].hold_down = false;
		if (t.nodes[i].cut) {
			s_rejoin(&t, i);
			t.nodes[i].healed = true;
		}
		if (t.nodes[i].state == NS_PAUSED) {
			testnet_resume(&t, i);
			t.nodes[i].healed = true;
		} else if (t.nodes[i].state == NS_DOWN) {
			testnet_start(&t, i, NULL);
			t.nodes[i].healed = true;
		}
	}
	if (s_wait_up(&t, 0, 30000, tty, "heal", NULL, &err) < 0 && sim_interrupted)
		goto interrupted;
	m = measure_new(&p, &w);
	if (!m) {
		sm_fail(&err, SM_ENOMEM, "out of memory");
		goto fail;
	}
	/* A saturated testnet is still delivering long after the schedule
	 * ends: wait while deliveries come, and give up only after settle_s
	 * without one (what is missing then is lost, not late). */
	for (long best = -1;;) {
		crashes += testnet_poll(&t);
		for (int i = 0; i < t.n; i++)
			measure_dump(m, &t, i);
		missing = measure_missing(m);
		if (best < 0 || missing < best) {
			best = missing;
			t_gain = sim_mono_ms();
		}
		s_progress(tty, "settle", sim_mono_ms() - t_settle, &t, done_actions, w.n, injected, missing);
		if (missing == 0 || sim_interrupted || sim_mono_ms() - t_gain > o.settle_s * 1000)
			break;
		for (int k = 0; k < 50 && !sim_interrupted; k++)
			usleep(20000);
	}
	if (sim_interrupted)
		goto interrupted;
	/* final counters and process figures */
	for (int i = 0; i < t.n; i++) {
		sim_node *nd = &t.nodes[i];
		json_t *req = json_pack("{s:s}", "cmd", "status"), *rep;
		char e[128];

		testnet_sample(&t, i);
		if (nd->state == NS_UP && (rep = ctl_call(nd->ctl, req, 3000, e, sizeof(e)))) {
			json_decref(nd->status);
			nd->status = rep;
		}
		json_decref(req);
	}
	t_end = sim_mono_ms();
	if (o.idle_s > 0 && s_idle(&t, o.idle_s, tty, &idle) < 0 && sim_interrupted)
		goto interrupted;
	if (tty)
		printf("\r\033[K");
	leaks = measure_leaks(m);
	results = measure_results(m, &t);
	if (!results) {
		sm_fail(&err, SM_ENOMEM, "cannot build results");
		goto fail;
	}
	{
		char verdict[200];
		int fails = 0;

		for (int i = 0; i < w.n; i++) {
			fails += w.ev[i].state == ES_FAILED;
			sub_fails += w.ev[i].kind == EV_SUBMIT && w.ev[i].state == ES_FAILED;
		}
		if (leaks == 0 && missing == 0 && crashes == 0 && sub_fails == 0)
			snprintf(verdict, sizeof(verdict), "PASS");
		else
			snprintf(verdict, sizeof(verdict), "FAIL: %ld leaks, %ld missing deliveries, "
			    "%d node crashes, %d submissions refused", leaks, missing, crashes, sub_fails);
		summary = json_pack("{s:{s:s, s:i, s:i, s:i, s:s, s:i, s:i, s:f, s:I, s:s, s:i, s:f, s:f, s:f, s:i, s:s, s:I, s:i}, s:o, s:s}",
		    "run", "profile", p.name, "organizations", p.n_orgs, "sigs", p.n_sigs,
		    "bridges", profile_bridges(&p), "workload", o.wl.kind, "reports", w.n_reports,
		    "actions", w.n, "rate", o.wl.rate > 0 ? o.wl.rate : 12.0, "seed", (json_int_t)o.wl.seed,
		    "faults", fp.mode, "faults_injected", injected,
		    "setup_s", (t_work - t_setup) / 1000.0, "workload_s", (t_settle - t_work) / 1000.0,
		    "settle_s", (t_end - t_settle) / 1000.0, "crashes", crashes,
		    "sigmeshd", t.sigmeshd, "started_ms", (json_int_t)(sim_now_ms() - (t_end - t_setup)),
		    "failed_actions", fails,
		    "results", results, "verdict", verdict);
		if (summary)
			json_object_update_new(json_object_get(summary, "run"), json_pack("{s:s, s:i, s:f, s:s, s:f, s:i}",
			    "net", o.net, "link_delay_ms", t.link_delay_ms, "loss_pct", t.loss_pct,
			    "link_emulation", t.link_how, "mesh_s", (t_work - t_mesh) / 1000.0,
			    "mesh_linked", mesh_linked));
		if (summary && t.relay) {
			uint64_t rb, ra, rr;

			linkdelay_stats(t.relay, &rb, &ra, &rr);
			json_object_set_new(json_object_get(summary, "run"), "relay", json_pack(
			    "{s:I, s:I, s:I}", "bytes", (json_int_t)rb, "connections", (json_int_t)ra,
			    "dials_failed", (json_int_t)rr));
		}
		results = NULL;
		if (!summary) {
			sm_fail(&err, SM_ENOMEM, "cannot build summary");
			goto fail;
		}
		/* failed actions, with the node's own words, for debugging */
		json_t *fa = json_array();
		for (int i = 0; i < w.n && json_array_size(fa) < 20; i++)
			if (w.ev[i].state == ES_FAILED)
				json_array_append_new(fa, json_pack("{s:i, s:s}", "kind", w.ev[i].kind, "error", w.ev[i].error));
		json_object_set_new(summary, "failed_action_examples", fa);
		json_t *st = json_array();
		for (int k = 0; k < fp.n_story; k++)
			json_array_append_new(st, json_string(fp.story[k]));
		json_object_set_new(summary, "fault_plan", st);
		json_object_set_new(json_object_get(summary, "run"), "recon_interval_ms",
		    json_integer(o.recon_ms > 0 ? o.recon_ms : 2000));
		json_object_set_new(json_object_get(summary, "run"), "start_wave",
		    json_integer(o.start_wave));
		json_object_set_new(json_object_get(summary, "run"), "actions_out_peak",
		    json_integer(out_peak));
		json_object_set_new(json_object_get(summary, "run"), "start_wave_peak",
		    json_integer(start_peak));
		json_object_set_new(json_object_get(summary, "run"), "body_bytes",
		    json_integer((json_int_t)o.wl.body_bytes));
		if (idle) {
			json_object_set_new(json_object_get(summary, "results"), "idle", idle);
			idle = NULL;
		}
	}
	if (report_write(o.out, summary, m, &err) < 0)
		goto fail;
	report_print(summary);
	printf("results: %s/summary.json, %s/latency.svg\n", o.out, o.out);
	rc = (leaks == 0 && missing == 0 && crashes == 0 && sub_fails == 0) ? 0 : 1;
	if (rc) {
		s_save_logs(&t, o.out);
		printf("node logs: %s/logs/\n", o.out);
	}
	goto out;
interrupted:
	if (tty)
		printf("\r\033[K");
	fprintf(stderr, "sigmesh-sim: interrupted; tearing the testnet down\n");
	rc = 2;
	goto out;
fail:
	if (tty)
		printf("\r\033[K");
	fprintf(stderr, "sigmesh-sim: %s\n", err.msg[0] ? err.msg : "failed");
	rc = 2;
out:
	fflush(stdout);
	testnet_teardown(&t, o.keep);
	ctl_context_term();
	json_decref(summary);
	json_decref(results);
	json_decref(idle);
	measure_destroy(&m);
	faults_clear(&fp);
	workload_clear(&w);
	profile_clear(&p);
	return rc;
}
