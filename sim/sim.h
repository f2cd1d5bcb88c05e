/*
 * sim/sim.h — sigmesh-sim: whole testnets of real sigmeshd processes on one
 * machine, a realistic workload, deliberate faults, and measurements.
 *
 * The simulator is one program; its files share this header:
 *   profile.c   community shapes (SIGs, sizes, bridges) from sim/profiles/NAME.txt
 *               or generated ("scale-N")
 *   audience.c  who is entitled to each object, computed from the profile
 *               alone (a cross-check of the node's TLP code, not a copy)
 *   workload.c  the deterministic event list: submissions, releases,
 *               sightings, retractions, with realistic report bodies
 *   keysetup.c  organization keys, quorum-signed rosters, node configs
 *   ctl.c       the control-socket client (ZeroMQ REQ, JSON)
 *   testnet.c   sigmeshd processes: start, kill, pause, stop, reap
 *   netns.c     --net netns: a namespace per node, a bridge, link faults
 *   linkdelay.c --link-delay without netem: a delaying TCP relay (a thread)
 *   faults.c    the fault schedule (none, demo, churn)
 *   measure.c   dumps, coverage, leaks, latency, per-node overhead
 *   report.c    summary.json, latency.svg, terminal summary
 *   selftest.c  internal checks (`sigmesh-sim selftest`)
 *   run.c       the run command: glue and the main loop
 *   sim.c       main(): dispatch only
 *
 * Everything is single-threaded except the link relay's own thread; the main loop polls on a few-millisecond
 * tick. Randomness here is for workload shape only (a seeded xoshiro), never
 * for keys: keys come from keys/identity.c (libsodium).
 */
#ifndef SIGMESH_SIM_H
#define SIGMESH_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "proto/err.h"

#define SIM_MAX_NAME 64
#define SIM_MAX_PATH 512
#define SIM_MAX_ORG_SIGS 4	/* SIGs one organization belongs to */
#define SIM_AUD_MAX 8		/* SIGs or named orgs in one simulated audience */

/* ---- deterministic PRNG (xoshiro256**), workload shape only ---- */
typedef struct sim_rng { uint64_t s[4]; } sim_rng;
void rng_seed(sim_rng *r, uint64_t seed);
uint64_t rng_next(sim_rng *r);
uint32_t rng_below(sim_rng *r, uint32_t n);	/* uniform in [0, n) */
double rng_unit(sim_rng *r);			/* uniform in [0, 1) */

int64_t sim_now_ms(void);	/* CLOCK_REALTIME, same clock as the nodes */
int64_t sim_mono_ms(void);	/* CLOCK_MONOTONIC, for scheduling */

/* ---- profile.c ---- */
typedef struct prof_sig {
	char name[SIM_MAX_NAME];
	int n_home;		/* organizations whose home SIG this is */
	int n_members;		/* home + bridging members */
	int *members;		/* org indices, ascending; owned */
} prof_sig;

typedef struct prof_org {
	char name[SIM_MAX_NAME];
	int home;			/* index of its home SIG */
	int n_sigs;
	int sigs[SIM_MAX_ORG_SIGS];	/* home first, then bridged SIGs */
} prof_org;

typedef struct profile {
	char name[SIM_MAX_NAME];
	int active_peers;	/* per node, per SIG (config active_peers) */
	int n_sigs;
	prof_sig *sigs;		/* owned */
	int n_orgs;
	prof_org *orgs;		/* owned */
} profile;

/* Parse the profile text format (sim/profiles/README in profile.c). */
int profile_parse(profile *p, const char *text, sm_err *err);
/* A file path, or "scale-N" (N organizations in N/25 SIGs). */
int profile_load(profile *p, const char *spec, sm_err *err);
int profile_scale(profile *p, int n, sm_err *err);
void profile_clear(profile *p);
bool profile_is_member(const profile *p, int org, int sig);
int profile_find_sig(const profile *p, const char *name);
int profile_bridges(const profile *p);	/* organizations in more than one SIG */

/* ---- audience.c ---- */
/* An audience as the simulator chose it: indices into the profile. */
typedef struct sim_aud {
	bool federation;
	int n_sigs, sigs[SIM_AUD_MAX];
	int n_orgs, orgs[SIM_AUD_MAX];
} sim_aud;

enum { TLP_CLEAR = 0, TLP_GREEN, TLP_AMBER, TLP_AMBER_STRICT, TLP_RED, TLP_N };
const char *sim_tlp_name(int tlp);	/* "amber+strict" (control API form) */
const char *sim_tlp_label(int tlp);	/* "TLP:AMBER+STRICT" */

/* Mark in out[n_orgs] every organization entitled to a report of label tlp
 * with audience base plus the n_rel released additions (from the
 * originator). The originator is always entitled. Independent of proto/tlp.c
 * on purpose: it is the yardstick the nodes are measured against. */
void audience_expected(const profile *p, int tlp, const sim_aud *base,
    const sim_aud *rel, int n_rel, int originator, uint8_t *out);
int audience_count(const uint8_t *set, int n);
bool aud_has_sig(const sim_aud *a, int sig);
bool aud_has_org(const sim_aud *a, int org);

/* ---- workload.c ---- */
enum ev_kind { EV_SUBMIT = 0, EV_RELEASE, EV_SIGHT, EV_RETRACT, EV_N };
enum ev_state { ES_PENDING = 0, ES_DONE, ES_FAILED, ES_SKIPPED, ES_SENT /* reply awaited */ };

typedef struct sim_event {
	int kind;		/* enum ev_kind */
	int64_t at_ms;		/* planned offset from the workload start */
	int org;		/* who acts (submitter, releaser, sighter, retractor) */
	int report;		/* for RELEASE/SIGHT/RETRACT: index of the SUBMIT event */
	int tlp;		/* SUBMIT: label; others: copied from the report */
	sim_aud aud;		/* SUBMIT: audience; RELEASE: what is added */
	bool originator_only;	/* SIGHT */
	char *body;		/* SUBMIT: body JSON, owned */
	/* filled at run time */
	int state;		/* enum ev_state */
	int tries;
	int64_t sent_ms;	/* wall clock when sent (latency origin) */
	int actor;		/* the node it was sent to */
	uint64_t ticket;	/* ES_SENT: its request at the actor (ctl_post) */
	int64_t reply_ms;	/* ES_DONE: how long the actor took to answer */
	char id[72];		/* object id (hex) the node returned */
	char error[128];
} sim_event;

typedef struct workload {
	int n, cap;
	sim_event *ev;		/* submissions first (0..n_reports-1), then the
				 * follow-ups; owned */
	int *order;		/* event indices sorted by at_ms; owned */
	int64_t duration_ms;	/* planned span of the submissions */
	int n_reports;
} workload;

typedef struct workload_opts {
	const char *kind;	/* "fy2014" or "burst" */
	int reports;		/* 0 = kind's default (626) */
	double rate;		/* reports per second, 0 = default */
	double duration_s;	/* > 0: reports = rate * duration */
	uint64_t seed;
	size_t body_bytes;	/* > 0: analysis notes fill each body to this many
				 * bytes of JSON (at most BODY_MAX_PAD) */
} workload_opts;
#define BODY_MAX_PAD (60 * 1024)	/* under proto/body.h's 64 KiB text bound */

int workload_generate(workload *w, const profile *p, const workload_opts *o,
    sm_err *err);
void workload_clear(workload *w);
/* Body JSON for one report (PROTOCOL.md §5 names); malloc'd. */
char *workload_body(sim_rng *r, const profile *p, int org, int64_t now_ms,
    size_t body_bytes);
/* A digest of the whole event list (for determinism checks). */
uint64_t workload_digest(const workload *w);

/* ---- ctl.c ---- */
typedef struct ctl ctl_t;
void *ctl_context(void);		/* the process's one zmq context */
void ctl_context_term(void);
ctl_t *ctl_new(const char *endpoint);
void ctl_destroy(ctl_t **c);
/* Send req (borrowed), wait up to timeout_ms for the reply. Returns the
 * reply (caller decrefs) if it parsed and said "ok": true; otherwise NULL
 * with why in err (a timeout resets the socket so the next call works). */
json_t *ctl_call(ctl_t *c, json_t *req, int timeout_ms, char *err, size_t errlen);
/* Without waiting: send req (borrowed) unless a request is already out,
 * then take its reply if it has come. Returns the reply as ctl_call does,
 * else NULL (err "timeout" while it is still out). A request out longer
 * than give_up_ms is dropped with its socket and sent afresh. Lets a
 * caller probe a thousand busy nodes at once instead of one at a time. */
json_t *ctl_probe(ctl_t *c, json_t *req, int64_t now_ms, int give_up_ms, char *err,
    size_t errlen);
/* Send req (borrowed) without waiting for its reply, dropping any request
 * still out. Returns a ticket (nonzero) naming this request, or 0 with why
 * in err. The socket holds one request at a time: any other call on this
 * ctl voids the ticket. */
uint64_t ctl_post(ctl_t *c, json_t *req, int64_t now_ms, char *err, size_t errlen);
/* What became of a request ctl_post sent (ctl_collect). */
enum ctl_outcome {
	CTL_PENDING = 0,	/* still out, younger than give_up_ms */
	CTL_ANSWERED,		/* the node answered (ok, or with an error) */
	CTL_LOST		/* no answer within give_up_ms, or the ticket was
				 * voided: the node may or may not have acted */
};
/* The reply to ctl_post's request `ticket`, as ctl_call returns one, with
 * *outcome CTL_ANSWERED; or NULL with *outcome saying why: CTL_PENDING,
 * CTL_ANSWERED (an error or bad reply, in err) or CTL_LOST (in err; the
 * socket is dropped, and the request is never sent again, since the node
 * may still act on it). Never blocks: the simulator keeps a request out at
 * many nodes at once and goes on with its schedule meanwhile. */
json_t *ctl_collect(ctl_t *c, uint64_t ticket, int64_t now_ms, int give_up_ms, int *outcome,
    char *err, size_t errlen);
/* The ZeroMQ socket whose request is out, to zmq_poll for its reply; NULL
 * when none is out. */
void *ctl_socket(const ctl_t *c);
/* Drop the socket and any request out (the node was restarted). */
void ctl_reset(ctl_t *c);

/* ---- testnet.c ---- */
enum node_state { NS_DOWN = 0, NS_STARTING, NS_UP, NS_PAUSED };

typedef struct sim_node {
	int idx;
	char name[SIM_MAX_NAME];
	char dir[SIM_MAX_PATH];		/* data_dir */
	char conf[SIM_MAX_PATH];
	char log[SIM_MAX_PATH];
	int port;			/* where it listens */
	int roster_port;		/* its roster endpoint's port: port, or its
					 * relay port when linkdelay.c delays links */
	char host[40];			/* listen address: 127.0.0.1, or 198.18.x.y */
	char netns[48];			/* its namespace (netns mode), else "" */
	pid_t pid;			/* 0 when not running */
	int state;			/* enum node_state */
	bool hold_down;			/* a fault keeps it down: do not restart */
	int cut;			/* netns: 0, FK_ISOLATE or FK_ISLAND in force */
	int64_t start_mono;		/* when the current start began */
	int64_t next_probe_mono;
	ctl_t *ctl;
	/* overhead, accumulated over incarnations */
	double cpu_prev_s;		/* CPU of earlier incarnations */
	double cpu_last_s;		/* last sample of the current one */
	long rss_peak_kb;
	int starts, kills, pauses, stops, crashes;
	bool faulted;			/* a fault of the plan acted on it */
	int64_t ready_ms_first;		/* time to first ready (ms) */
	int64_t back_ms;		/* wall clock of the last start or resume */
	bool healed;			/* started or resumed by the heal step */
	int64_t ready_after_ms;		/* back_ms to answering status, last time */
	/* measurement */
	uint64_t dump_after;		/* arrival cursor for incremental dumps */
	json_t *status;			/* last status reply, owned */
} sim_node;

typedef struct testnet {
	char base[SIM_MAX_PATH];	/* temp dir: keys, rosters, nodes */
	char sigmeshd[SIM_MAX_PATH];
	int n;
	sim_node *nodes;		/* owned */
	int base_port;
	int recon_ms;			/* recon_interval_ms written in the configs */
	const char *log_level;		/* log_level written in the configs (NULL: warn); borrowed */
	/* --net netns (netns.c) */
	bool netns;			/* namespaces exist and must be removed */
	char ns_tag[24];		/* "smsim<pid>": prefix of every namespace */
	int link_delay_ms;		/* one-way delay between two nodes */
	double loss_pct;		/* per-packet loss between two nodes */
	char loss_obj[SIM_MAX_PATH];	/* BPF loss fallback object, if built */
	char link_how[24];		/* "netem", "bpf-loss", "relay",
					 * "relay+bpf-loss" or "" */
	struct linkdelay *relay;	/* the delay relay, owned, or NULL */
} testnet;

/* state_dir: where the testnet's directory is made (NULL: /tmp). */
int testnet_init(testnet *t, const profile *p, int base_port, const char *state_dir, sm_err *err);
int testnet_start(testnet *t, int i, sm_err *err);
void testnet_kill(testnet *t, int i, int sig);	/* SIGKILL: node goes down */
void testnet_pause(testnet *t, int i);
void testnet_resume(testnet *t, int i);
void testnet_stop(testnet *t, int i);	/* clean "stop" over control */
/* Reap exited children, advance STARTING nodes that answer status.
 * Returns the number of nodes that died without being told to. */
int testnet_poll(testnet *t);
int testnet_count(const testnet *t, int state);
void testnet_sample(testnet *t, int i);	/* CPU / RSS from /proc */
void testnet_teardown(testnet *t, bool keep);
void testnet_emergency_kill(void);	/* async-signal-safe */
int sim_rmtree(const char *path);

/* ---- netns.c ---- */
/* Root and `ip netns` working? If not, why (for the fallback message). */
bool netns_usable(char *why, size_t len);
/* After testnet_init: a namespace per node on a bridge, addresses in
 * 198.18.0.0/15 (nodes[i].host), delay/loss from t->link_delay_ms and
 * t->loss_pct. On failure what exists is still removed by netns_teardown. */
int netns_setup(testnet *t, sm_err *err);
int netns_isolate(testnet *t, int i, bool cut);	/* node's link down / up */
int netns_island(testnet *t, int i, bool on);	/* onto the island bridge / back */
int netns_enter(const sim_node *nd);		/* setns, in the child */
void netns_teardown(testnet *t);		/* every namespace, veth, bridge */
void netns_emergency(const testnet *t);		/* async-signal-safe */
void netns_sweep_stale(void);			/* namespaces of dead simulators */

/* ---- linkdelay.c ---- */
/* A TCP relay holding every byte delay_ms before passing it on, in order,
 * with bounded buffering; one thread. Delay only, no loss. */
typedef struct linkdelay linkdelay;
linkdelay *linkdelay_new(int delay_ms, sm_err *err);
/* Before linkdelay_start: listen on host at the first free port from *port
 * (set to the port taken), inside namespace netns ("" or NULL: here), and
 * relay each connection to host:target_port in the same namespace. */
int linkdelay_add(linkdelay *ld, const char *host, int *port, int target_port,
    const char *netns, sm_err *err);
int linkdelay_start(linkdelay *ld, sm_err *err);
/* Bytes passed on, connections accepted, dials to a node that failed. */
void linkdelay_stats(linkdelay *ld, uint64_t *bytes, uint64_t *accepted, uint64_t *refused);
/* Stops the thread, closes everything; NULL-safe, idempotent. */
void linkdelay_destroy(linkdelay **ld);
/* testnet.c: a relay port for every node (nodes[i].roster_port), started;
 * after testnet_init and netns_setup, before keysetup_create. */
int testnet_relay(testnet *t, sm_err *err);

/* ---- keysetup.c ---- */
/* Keys for every organization, a signed roster per SIG, a config per node,
 * under t->base. */
int keysetup_create(testnet *t, const profile *p, sm_err *err);

/* ---- faults.c ---- */
enum fault_kind { FK_KILL = 0, FK_RESTART, FK_PAUSE, FK_RESUME, FK_STOP, FK_START,
	/* netns mode only: real partitions, the node keeps running */
	FK_ISOLATE, FK_ISLAND, FK_REJOIN };

typedef struct sim_fault {
	int64_t at_ms;
	int kind;
	int node;
	bool done;
} sim_fault;

#define FAULT_MAX_STORY 8
typedef struct fault_plan {
	int n, cap;
	sim_fault *f;		/* sorted by at_ms; owned */
	char mode[16];
	int n_story;
	char story[FAULT_MAX_STORY][200];	/* one line per fault episode */
} fault_plan;

/* Plan the faults of `mode` over a workload of span_ms, from the seed.
 * With netns, partitions cut links (FK_ISLAND, FK_ISOLATE) instead of
 * freezing processes. */
int faults_plan(fault_plan *fp, const char *mode, const profile *p,
    int64_t span_ms, uint64_t seed, bool netns, sm_err *err);
void faults_clear(fault_plan *fp);
const char *faults_kind_name(int kind);

/* ---- measure.c ---- */
typedef struct sim_pct { double p50, p90, p99, max; size_t n; } sim_pct;
/* Percentiles by nearest rank on a copy of v; n == 0 gives zeros. */
sim_pct pct_compute(const double *v, size_t n);

typedef struct measure measure;	/* opaque, see measure.c */
measure *measure_new(const profile *p, const workload *w);
void measure_destroy(measure **m);
/* Pull new dump items from node i; returns items added, -1 on error. */
int measure_dump(measure *m, testnet *t, int i);
/* Expected deliveries still missing (objects the run produced). */
long measure_missing(const measure *m);
long measure_leaks(const measure *m);
/* Everything as JSON (summary.json's "results"); caller decrefs. */
json_t *measure_results(measure *m, const testnet *t);
/* Latency samples per TLP label (ms), borrowed, for the chart. */
const double *measure_latencies(const measure *m, int tlp, size_t *n);

/* ---- report.c ---- */
int report_write(const char *out_dir, json_t *summary, const measure *m,
    sm_err *err);
void report_print(json_t *summary);

/* ---- selftest.c / run.c ---- */
int selftest_main(int argc, char **argv);
int run_main(int argc, char **argv);
extern volatile int sim_interrupted;

#endif
