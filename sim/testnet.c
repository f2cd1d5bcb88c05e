/*
 * sim/testnet.c — the sigmeshd processes of a testnet.
 *
 * Each node is a child process in its own process group (so a Ctrl-C on
 * the terminal reaches only the simulator, which then tears the testnet
 * down in order) with PR_SET_PDEATHSIG = SIGKILL (so nothing is left
 * behind if the simulator itself dies). A node's stdout and stderr go to
 * DATA_DIR/node.log.
 *
 * Deliberate faults go through testnet_kill/pause/stop, which reap and
 * account immediately; a child found dead by testnet_poll was not killed by
 * us, so it is a crash: counted, and restarted so that the run can still
 * measure whether the testnet heals.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sim/sim.h"

static testnet *volatile s_live;	/* for the emergency kill in a signal handler */

static bool s_port_free(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	if (fd < 0)
		return false;
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* The lowest port the kernel hands out for outgoing connections. */
static int s_ephemeral_low(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	int lo = 32768, hi = 60999;

	if (f) {
		if (fscanf(f, "%d %d", &lo, &hi) != 2)
			lo = 32768;
		fclose(f);
	}
	return lo;
}

int testnet_init(testnet *t, const profile *p, int base_port, const char *state_dir, sm_err *err)
{
	char self[SIM_MAX_PATH];
	const char *env = getenv("SIGMESH_SIM_NODE");	/* override, for debugging */
	ssize_t n;
	int port;

	memset(t, 0, sizeof(*t));
	if (env && *env) {
		snprintf(t->sigmeshd, sizeof(t->sigmeshd), "%s", env);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			return sm_fail(err, SM_EIO, "readlink /proc/self/exe: %s", strerror(errno));
		self[n] = '\0';
		snprintf(t->sigmeshd, sizeof(t->sigmeshd), "%s/sigmeshd", dirname(self));
	}
	if (access(t->sigmeshd, X_OK) < 0)
		return sm_fail(err, SM_ENOTFOUND, "%s: not found or not executable (build it first)",
		    t->sigmeshd);
	if (snprintf(t->base, sizeof(t->base), "%s/smsim.XXXXXX", state_dir ? state_dir : "/tmp") >=
	    (int)sizeof(t->base))
		return sm_fail(err, SM_EBOUND, "--state-dir: path too long");
	if (!mkdtemp(t->base))
		return sm_fail(err, SM_EIO, "mkdtemp: %s", strerror(errno));
	t->n = p->n_orgs;
	t->nodes = calloc((size_t)t->n, sizeof(sim_node));
	if (!t->nodes)
		return sm_fail(err, SM_ENOMEM, "testnet: out of memory");
	/* Ports: from base_port (or a pid-derived base) upwards, each checked,
	 * below the kernel's ephemeral range with room for the relay's ports:
	 * hundreds of nodes make thousands of outgoing connections while the
	 * later ones start, and a listen port inside the ephemeral range can
	 * be taken by one of them in between ("Address already in use"). */
	int span = s_ephemeral_low() - 10000 - 2 * t->n - 64;
	port = base_port > 0 ? base_port :
	    span >= 1000 ? 10000 + (int)(getpid() % span) : 20000 + (int)(getpid() % 20000);
	for (int i = 0; i < t->n; i++) {
		sim_node *nd = &t->nodes[i];
		int tries = 0;

		while (!s_port_free(port) && tries++ < 1000)
			port++;
		if (port > 65000)
			return sm_fail(err, SM_EIO, "no free TCP ports on 127.0.0.1");
		nd->idx = i;
		nd->port = port++;
		snprintf(nd->host, sizeof(nd->host), "127.0.0.1");	/* netns_setup may change it */
		snprintf(nd->name, sizeof(nd->name), "%s", p->orgs[i].name);
		snprintf(nd->dir, sizeof(nd->dir), "%.200s/n/%.60s", t->base, nd->name);
		snprintf(nd->conf, sizeof(nd->conf), "%.200s/n/%.60s.conf", t->base, nd->name);
		snprintf(nd->log, sizeof(nd->log), "%.200s/n/%.60s.log", t->base, nd->name);
	}
	t->base_port = t->nodes[0].port;
	s_live = t;
	return 0;
}

/* Relay ports above every node's port, so that no node finds its own port
 * taken; in netns mode each listener is bound in its node's namespace at
 * the node's address (peers reach it over the bridge, so cut links cut it
 * too) and dials the node there. */
int testnet_relay(testnet *t, sm_err *err)
{
	int port = 0;

	for (int i = 0; i < t->n; i++)
		if (t->nodes[i].port >= port)
			port = t->nodes[i].port + 1;
	if (!(t->relay = linkdelay_new(t->link_delay_ms, err)))
		return -1;
	for (int i = 0; i < t->n; i++) {
		sim_node *nd = &t->nodes[i];

		if (linkdelay_add(t->relay, nd->host, &port, nd->port, nd->netns, err) < 0)
			return -1;	/* testnet_teardown frees the relay */
		nd->roster_port = port++;
	}
	return linkdelay_start(t->relay, err);
}

int testnet_start(testnet *t, int i, sm_err *err)
{
	sim_node *nd = &t->nodes[i];
	char ep[SIM_MAX_PATH + 32];
	pid_t pid;

	if (nd->pid)
		return 0;
	pid = fork();
	if (pid < 0)
		return sm_fail(err, SM_EIO, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(127);
		setpgid(0, 0);
		fd = open(nd->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		if (nd->netns[0] && netns_enter(nd) < 0) {
			dprintf(2, "sigmesh-sim: cannot enter namespace %s\n", nd->netns);
			_exit(127);
		}
		execl(t->sigmeshd, "sigmeshd", "--config", nd->conf, (char *)NULL);
		_exit(127);
	}
	nd->pid = pid;
	nd->state = NS_STARTING;
	nd->starts++;
	nd->start_mono = sim_mono_ms();
	nd->back_ms = sim_now_ms();
	nd->next_probe_mono = nd->start_mono + 50;
	nd->cpu_last_s = 0;
	if (nd->ctl)
		ctl_reset(nd->ctl);	/* a probe to the last incarnation is void */
	if (!nd->ctl) {
		snprintf(ep, sizeof(ep), "ipc://%s/control.sock", nd->dir);
		nd->ctl = ctl_new(ep);
		if (!nd->ctl)
			return sm_fail(err, SM_ENOMEM, "out of memory");
	}
	return 0;
}

void testnet_sample(testnet *t, int i)
{
	sim_node *nd = &t->nodes[i];
	char path[64], buf[4096], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	if (!nd->pid)
		return;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)nd->pid);
	if ((f = fopen(path, "r"))) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		/* fields after the ")" of comm: state(3) ... utime(14) stime(15) */
		if ((p = strrchr(buf, ')')) &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
			nd->cpu_last_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)nd->pid);
	if ((f = fopen(path, "r"))) {
		long kb;

		while (fgets(buf, sizeof(buf), f))
			if (sscanf(buf, "VmHWM: %ld kB", &kb) == 1 && kb > nd->rss_peak_kb)
				nd->rss_peak_kb = kb;
		fclose(f);
	}
}

/* The process is gone (reaped): fold its CPU into the total. */
static void s_gone(sim_node *nd)
{
	nd->cpu_prev_s += nd->cpu_last_s;
	nd->cpu_last_s = 0;
	nd->pid = 0;
	nd->state = NS_DOWN;
}

void testnet_kill(testnet *t, int i, int sig)
{
	sim_node *nd = &t->nodes[i];

	if (!nd->pid)
		return;
	testnet_sample(t, i);
	kill(nd->pid, sig);
	kill(nd->pid, SIGCONT);
	waitpid(nd->pid, NULL, 0);
	nd->kills++;
	s_gone(nd);
}

void testnet_pause(testnet *t, int i)
{
	sim_node *nd = &t->nodes[i];

	if (nd->pid && nd->state != NS_PAUSED) {
		kill(nd->pid, SIGSTOP);
		nd->state = NS_PAUSED;
		nd->pauses++;
	}
}

void testnet_resume(testnet *t, int i)
{
	sim_node *nd = &t->nodes[i];

	if (nd->pid && nd->state == NS_PAUSED) {
		kill(nd->pid, SIGCONT);
		nd->back_ms = sim_now_ms();
		/* probe again: it answers once it has drained its backlog */
		nd->state = NS_STARTING;
		nd->next_probe_mono = sim_mono_ms();
	}
}

/* Clean shutdown over the control API, SIGTERM and finally SIGKILL if the
 * node does not exit in time. */
void testnet_stop(testnet *t, int i)
{
	sim_node *nd = &t->nodes[i];
	json_t *req, *rep;
	char e[128];
	int64_t until;

	if (!nd->pid)
		return;
	testnet_sample(t, i);
	if (nd->state == NS_PAUSED)
		kill(nd->pid, SIGCONT);
	req = json_pack("{s:s}", "cmd", "stop");
	rep = ctl_call(nd->ctl, req, 2000, e, sizeof(e));
	json_decref(req);
	json_decref(rep);
	if (!rep)
		kill(nd->pid, SIGTERM);
	until = sim_mono_ms() + 5000;
	while (waitpid(nd->pid, NULL, WNOHANG) == 0) {
		if (sim_mono_ms() > until) {
			kill(nd->pid, SIGKILL);
			waitpid(nd->pid, NULL, 0);
			break;
		}
		usleep(10000);
	}
	nd->stops++;
	s_gone(nd);
}

int testnet_poll(testnet *t)
{
	int crashes = 0, status;
	pid_t pid;
	int64_t now = sim_mono_ms();

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < t->n; i++) {
			sim_node *nd = &t->nodes[i];

			if (nd->pid != pid)
				continue;
			nd->crashes++;
			crashes++;
			fprintf(stderr, "\nsigmesh-sim: node %s exited unexpectedly (%s %d); log: %s\n",
			    nd->name, WIFSIGNALED(status) ? "signal" : "status",
			    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), nd->log);
			s_gone(nd);
		}
	}
	for (int i = 0; i < t->n; i++) {
		sim_node *nd = &t->nodes[i];
		json_t *req, *rep;
		char e[128];

		/* A crashed node comes back after a second, unless a fault holds it
		 * down; too many crashes and it stays down (the run reports it). */
		if (nd->state == NS_DOWN && !nd->hold_down && nd->crashes > 0 && nd->crashes < 4 &&
		    now - nd->start_mono > 1000)
			testnet_start(t, i, NULL);
		if (nd->state != NS_STARTING || now < nd->next_probe_mono)
			continue;
		/* every starting node's probe is out at once: one at a time, a
		 * thousand nodes on two cores each answering in more than the
		 * wait would never all be seen up */
		req = json_pack("{s:s}", "cmd", "status");
		rep = ctl_probe(nd->ctl, req, now, 10000, e, sizeof(e));
		json_decref(req);
		if (rep) {
			json_decref(nd->status);
			nd->status = rep;
			nd->state = NS_UP;
			nd->ready_after_ms = sim_now_ms() - nd->back_ms;
			if (!nd->ready_ms_first)
				nd->ready_ms_first = sim_mono_ms() - nd->start_mono;
		} else {
			nd->next_probe_mono = now + 20;
		}
	}
	return crashes;
}

int testnet_count(const testnet *t, int state)
{
	int n = 0;

	for (int i = 0; i < t->n; i++)
		n += t->nodes[i].state == state;
	return n;
}

void testnet_emergency_kill(void)
{
	testnet *t = s_live;

	if (!t || !t->nodes)
		return;
	for (int i = 0; i < t->n; i++)
		if (t->nodes[i].pid > 0)
			kill(t->nodes[i].pid, SIGKILL);
	netns_emergency(t);
}

void testnet_teardown(testnet *t, bool keep)
{
	int64_t until;

	if (!t->nodes)
		goto rm;
	for (int i = 0; i < t->n; i++) {
		sim_node *nd = &t->nodes[i];

		if (nd->pid) {
			kill(nd->pid, SIGTERM);
			kill(nd->pid, SIGCONT);
		}
	}
	until = sim_mono_ms() + 3000;
	for (int i = 0; i < t->n; i++) {
		sim_node *nd = &t->nodes[i];

		while (nd->pid && waitpid(nd->pid, NULL, WNOHANG) == 0) {
			if (sim_mono_ms() > until) {
				kill(nd->pid, SIGKILL);
				waitpid(nd->pid, NULL, 0);
				break;
			}
			usleep(5000);
		}
		nd->pid = 0;
		ctl_destroy(&nd->ctl);
		json_decref(nd->status);
		nd->status = NULL;
	}
	s_live = NULL;
	linkdelay_destroy(&t->relay);
	/* the nodes are gone: their namespaces can go (even with --keep) */
	netns_teardown(t);
	free(t->nodes);
	t->nodes = NULL;
rm:
	if (t->base[0]) {
		if (keep)
			fprintf(stderr, "sigmesh-sim: testnet kept in %s\n", t->base);
		else
			sim_rmtree(t->base);
		t->base[0] = '\0';
	}
}
