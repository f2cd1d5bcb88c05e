/* node/log.c — see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>
#include "node/log.h"

static int level = LOG_INFO;
static const char *const names[] = { "error", "warn", "info", "debug" };

void log_set_level(int l) { level = l; }
int log_level(void) { return level; }

int log_parse_level(const char *s)
{
	for (int i = 0; i <= LOG_DEBUG; i++)
		if (!strcasecmp(s, names[i]))
			return i;
	return -1;
}

void log_msg(int l, const char *fmt, ...)
{
	char line[1024], ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;
	int n;

	if (l > level)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ldZ %-5s ", ts, now.tv_nsec / 1000000, names[l]);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	/* one write per line, so lines from a burst do not interleave */
	fprintf(stderr, "%s\n", line);
}
