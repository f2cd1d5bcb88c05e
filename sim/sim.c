/*
 * sim/sim.c — sigmesh-sim's main(): dispatch only (see sim/sim.h).
 */
#include <stdio.h>
#include <string.h>
#include "sim/sim.h"

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "help";

	if (strcmp(cmd, "run") == 0)
		return run_main(argc - 1, argv + 1);
	if (strcmp(cmd, "selftest") == 0)
		return selftest_main(argc - 1, argv + 1);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		char *h[] = { "run", "--help", NULL };

		return run_main(2, h);
	}
	fprintf(stderr, "sigmesh-sim: unknown command '%s' (try: sigmesh-sim help)\n", cmd);
	return 2;
}
