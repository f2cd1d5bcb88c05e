/*
 * sim/netns.c — `--net netns`: every node in its own network namespace,
 * a real network between them, and real network faults.
 *
 *   smsim<pid>-hub    a namespace holding two bridges: br0 (the network)
 *                     and br1 (the "island" a partitioned SIG is moved to)
 *   smsim<pid>-<i>    node i's namespace: lo and eth0, eth0 being one end
 *                     of a veth pair whose other end (v<i>) is a port of br0
 *
 * Node i's address is 198.18.<1 + i/250>.<1 + i%250>/15: the RFC 2544
 * benchmarking range, never a private range that could collide with a real
 * network. Nothing is created in the root namespace (no interface, no
 * route), so nothing a node sends can leave the namespaces made here. The
 * control sockets are ipc:// files in the data dirs, which the simulator
 * reaches from the root namespace as before.
 *
 * Faults:
 *   isolate   v<i> down: the node is cut off from everyone (a bridge node's
 *             link cut) but keeps running and accepting submissions
 *   island    v<i> moved to br1: all nodes moved there (a SIG) still talk to
 *             each other, not to the rest — a true partition, both sides
 *             keep working
 * Link emulation (--link-delay MS, --loss PCT): a netem qdisc on every
 * node's eth0 egress, so a packet between two nodes crosses exactly one
 * delay (one-way delay MS, round trip 2 MS) and is lost with PCT percent.
 * Kernels without sch_netem (some VM kernels): the delay comes from the
 * userspace relay (linkdelay.c, listening in each node's namespace; link_how
 * "relay"), and loss falls back to a tc BPF classifier that drops a random
 * share (built with clang at setup time).
 *
 * Teardown deletes every namespace (which destroys the veths and bridges in
 * them) after the nodes are gone; the Ctrl-C path does it in order, a
 * second Ctrl-C unmounts the names from the signal handler, and a run
 * sweeps namespaces left by simulators that no longer exist.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sim/sim.h"

#define NETNS_RUN "/run/netns"

/* Run a shell command built from fmt (every name in it is ours: no quoting
 * needed). Returns the exit status, -1 if it could not run. */
static int s_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int s_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

/* Feed lines to `PROG -b -` (ip or tc batch); returns its exit status. */
static FILE *s_batch_open(const char *prog_and_ns, bool quiet)
{
	char cmd[320];

	snprintf(cmd, sizeof(cmd), "%.200s -force -b - %s", prog_and_ns,
	    quiet ? ">/dev/null 2>&1" : "1>&2");
	return popen(cmd, "w");
}

static int s_batch_close(FILE *f)
{
	int rc = f ? pclose(f) : -1;

	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

bool netns_usable(char *why, size_t len)
{
	if (geteuid() != 0) {
		snprintf(why, len, "not running as root");
		return false;
	}
	if (access("/proc/self/ns/net", R_OK) < 0) {
		snprintf(why, len, "no network namespaces in this kernel");
		return false;
	}
	if (s_sh("ip netns list >/dev/null 2>&1") != 0) {
		snprintf(why, len, "`ip netns` does not work (iproute2 missing?)");
		return false;
	}
	return true;
}

/* Namespaces named smsim<pid>-... whose simulator is gone: delete them. */
void netns_sweep_stale(void)
{
	DIR *d = opendir(NETNS_RUN);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		long pid;
		char *end;

		if (strncmp(e->d_name, "smsim", 5) != 0)
			continue;
		pid = strtol(e->d_name + 5, &end, 10);
		if (end == e->d_name + 5 || *end != '-' || pid <= 0)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		fprintf(stderr, "sigmesh-sim: removing namespace %s left by an earlier run\n",
		    e->d_name);
		s_sh("ip netns del %s 2>/dev/null", e->d_name);
	}
	closedir(d);
}

static void s_ns_name(const testnet *t, int i, char *out, size_t len)
{
	if (i < 0)
		snprintf(out, len, "%s-hub", t->ns_tag);
	else
		snprintf(out, len, "%s-%d", t->ns_tag, i);
}

/* Can the kernel do netem? Tried on a throwaway veth in the hub. */
static bool s_have_netem(const testnet *t)
{
	char hub[48];

	s_ns_name(t, -1, hub, sizeof(hub));
	if (s_sh("ip -n %s link add nt0 type veth peer name nt1 2>/dev/null", hub) != 0)
		return false;
	bool ok = s_sh("tc -n %s qdisc add dev nt0 root netem delay 1ms 2>/dev/null", hub) == 0;
	s_sh("ip -n %s link del nt0 2>/dev/null", hub);
	return ok;
}

/* Loss without netem: a tc BPF classifier returning TC_ACT_SHOT for a
 * random share of packets. Built at setup so that the threshold is a
 * constant; needs clang with the bpf target. */
static int s_build_loss_bpf(testnet *t, sm_err *err)
{
	char src[SIM_MAX_PATH + 16];
	FILE *f;
	unsigned thresh = (unsigned)(t->loss_pct * 100.0 + 0.5);	/* per 10000 */

	snprintf(src, sizeof(src), "%.480s/loss.c", t->base);
	snprintf(t->loss_obj, sizeof(t->loss_obj), "%.480s/loss.o", t->base);
	if (!(f = fopen(src, "w")))
		return sm_fail(err, SM_EIO, "%s: %s", src, strerror(errno));
	fprintf(f,
	    "static unsigned int (*get_prandom_u32)(void) = (void *)7;\n"
	    "__attribute__((section(\"classifier\"), used)) int loss(void *skb)\n"
	    "{ return get_prandom_u32() %% 10000 < %uU ? 2 : 0; }\n"
	    "char _license[] __attribute__((section(\"license\"), used)) = \"GPL\";\n", thresh);
	fclose(f);
	if (s_sh("clang -O2 -target bpf -c %s -o %s", src, t->loss_obj) != 0)
		return sm_fail(err, SM_EIO,
		    "--loss: the kernel has no sch_netem and clang could not build the BPF fallback");
	return 0;
}

int netns_setup(testnet *t, sm_err *err)
{
	char hub[48], ns[48], line[256];
	FILE *b;
	bool netem;

	netns_sweep_stale();
	snprintf(t->ns_tag, sizeof(t->ns_tag), "smsim%d", (int)getpid());
	s_ns_name(t, -1, hub, sizeof(hub));
	t->netns = true;	/* from here on, teardown removes what exists */
	/* namespaces and veth pairs, from the root namespace in one batch */
	if (!(b = s_batch_open("ip", false)))
		return sm_fail(err, SM_EIO, "ip -b: %s", strerror(errno));
	fprintf(b, "netns add %s\n", hub);
	for (int i = 0; i < t->n; i++) {
		s_ns_name(t, i, ns, sizeof(ns));
		fprintf(b, "netns add %s\n", ns);
		fprintf(b, "link add v%d netns %s type veth peer name eth0 netns %s\n", i, hub, ns);
	}
	if (s_batch_close(b) != 0)
		return sm_fail(err, SM_EIO, "creating namespaces and veth pairs failed");
	/* the hub: two bridges, every port on br0 */
	snprintf(line, sizeof(line), "ip -n %s", hub);
	if (!(b = s_batch_open(line, false)))
		return sm_fail(err, SM_EIO, "ip -b: %s", strerror(errno));
	fprintf(b, "link add br0 type bridge\nlink add br1 type bridge\n"
	    "link set br0 up\nlink set br1 up\n");
	for (int i = 0; i < t->n; i++)
		fprintf(b, "link set v%d master br0\nlink set v%d up\n", i, i);
	if (s_batch_close(b) != 0)
		return sm_fail(err, SM_EIO, "setting up the bridge in %s failed", hub);
	/* each node: its address on eth0 */
	for (int i = 0; i < t->n; i++) {
		sim_node *nd = &t->nodes[i];

		snprintf(nd->host, sizeof(nd->host), "198.18.%d.%d", 1 + i / 250, 1 + i % 250);
		s_ns_name(t, i, nd->netns, sizeof(nd->netns));
		snprintf(line, sizeof(line), "ip -n %s", nd->netns);
		if (!(b = s_batch_open(line, false)))
			return sm_fail(err, SM_EIO, "ip -b: %s", strerror(errno));
		fprintf(b, "link set lo up\naddr add %s/15 dev eth0\nlink set eth0 up\n", nd->host);
		if (s_batch_close(b) != 0)
			return sm_fail(err, SM_EIO, "addressing %s failed", nd->netns);
	}
	if (t->link_delay_ms <= 0 && t->loss_pct <= 0)
		return 0;
	netem = s_have_netem(t);
	if (!netem && t->loss_pct <= 0) {
		/* delay only: run.c starts the userspace relay (linkdelay.c) */
		snprintf(t->link_how, sizeof(t->link_how), "relay");
		return 0;
	}
	if (!netem && s_build_loss_bpf(t, err) < 0)
		return -1;
	for (int i = 0; i < t->n; i++) {
		sim_node *nd = &t->nodes[i];
		int rc;

		if (netem) {
			char spec[96] = "";

			if (t->link_delay_ms > 0)
				snprintf(spec, sizeof(spec), " delay %dms", t->link_delay_ms);
			if (t->loss_pct > 0)
				snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), " loss %.3f%%",
				    t->loss_pct);
			/* a deep queue: netem's default limit of 1000 packets would add
			 * loss of its own under a burst */
			rc = s_sh("tc -n %s qdisc add dev eth0 root netem limit 100000%s", nd->netns, spec);
		} else {
			rc = s_sh("tc -n %s qdisc add dev eth0 clsact && "
			    "tc -n %s filter add dev eth0 egress bpf da obj %s sec classifier",
			    nd->netns, nd->netns, t->loss_obj);
		}
		if (rc != 0)
			return sm_fail(err, SM_EIO, "link emulation on %s failed", nd->netns);
	}
	/* without netem the delay (if any) is the relay's (run.c starts it) */
	snprintf(t->link_how, sizeof(t->link_how), "%s", netem ? "netem" :
	    t->link_delay_ms > 0 ? "relay+bpf-loss" : "bpf-loss");
	return 0;
}

int netns_isolate(testnet *t, int i, bool cut)
{
	char hub[48];

	s_ns_name(t, -1, hub, sizeof(hub));
	return s_sh("ip -n %s link set v%d %s", hub, i, cut ? "down" : "up") == 0 ? 0 : -1;
}

int netns_island(testnet *t, int i, bool on)
{
	char hub[48];

	s_ns_name(t, -1, hub, sizeof(hub));
	return s_sh("ip -n %s link set v%d master %s", hub, i, on ? "br1" : "br0") == 0 ? 0 : -1;
}

/* Enter node i's namespace (in the forked child, before exec). */
int netns_enter(const sim_node *nd)
{
	char path[96];
	int fd, rc;

	snprintf(path, sizeof(path), NETNS_RUN "/%s", nd->netns);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	rc = setns(fd, CLONE_NEWNET);
	close(fd);
	return rc;
}

void netns_teardown(testnet *t)
{
	char ns[48];
	FILE *b;

	if (!t->netns)
		return;
	if ((b = s_batch_open("ip", true))) {
		for (int i = -1; i < t->n; i++) {
			s_ns_name(t, i, ns, sizeof(ns));
			fprintf(b, "netns del %s\n", ns);
		}
		/* errors for names never created are expected: silence them */
		fflush(b);
		s_batch_close(b);
	}
	t->netns = false;
}

/* Async-signal-safe: what `ip netns del` does, minus the error messages.
 * The namespaces go away once the (SIGKILLed) nodes in them are gone. */
void netns_emergency(const testnet *t)
{
	char path[96];
	int len;

	if (!t->netns)
		return;
	for (int i = -1; i < t->n; i++) {
		/* no snprintf in a signal handler: build the path by hand */
		char num[16], *p = num + sizeof(num);
		unsigned v = i < 0 ? 0 : (unsigned)i;

		*--p = '\0';
		if (i < 0) {
			p = "hub";
		} else {
			do
				*--p = (char)('0' + v % 10);
			while ((v /= 10));
		}
		len = 0;
		for (const char *s = NETNS_RUN "/"; *s; s++)
			path[len++] = *s;
		for (const char *s = t->ns_tag; *s && len < 80; s++)
			path[len++] = *s;
		path[len++] = '-';
		for (; *p && len < 94; p++)
			path[len++] = *p;
		path[len] = '\0';
		umount2(path, MNT_DETACH);
		unlink(path);
	}
}
