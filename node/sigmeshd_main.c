/*
 * sigmeshd — an organization's sigmesh node.
 *
 *   sigmeshd --config FILE
 *
 * Runs until SIGINT/SIGTERM (or the control API's "stop"), then commits
 * what it holds and exits 0. Logs go to stderr.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sodium.h>
#include "node/log.h"
#include "node/node.h"

static node_t *running;

static void on_signal(int sig)
{
	(void)sig;
	if (running)
		node_stop(running);
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	config cfg;
	sm_err err = {0};
	struct sigaction sa;
	struct rlimit rl;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			path = argv[++i];
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: sigmeshd --config FILE\n");
			return 0;
		} else {
			fprintf(stderr, "sigmeshd: unknown argument '%s' (usage: sigmeshd --config FILE)\n", argv[i]);
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "usage: sigmeshd --config FILE\n");
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "sigmeshd: libsodium failed to initialise\n");
		return 1;
	}
	if (config_load(&cfg, path, &err) < 0) {
		fprintf(stderr, "sigmeshd: %s\n", err.msg);
		return 1;
	}
	log_set_level(cfg.log_level);
	/* Each DEALER costs four descriptors (its socket's and its monitor's
	 * mailboxes, the monitor's, the TCP connection): take the hard limit
	 * the operator allows rather than the soft default (often 1024), as
	 * servers that hold many connections do. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (!(running = node_new(&cfg, &err))) {
		log_error("cannot start: %s", err.msg);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	int rc = node_run(running) < 0 ? 1 : 0;
	log_info("shutting down");
	node_destroy(&running);
	return rc;
}
