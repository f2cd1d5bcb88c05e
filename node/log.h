/*
 * node/log.h — one leveled logger on stderr, greppable:
 *
 *   2026-11-26T07:12:03.120Z warn  peer: rejected object from chem-03: bad signature
 *
 * Never log secrets, and never report plaintext above debug level.
 * The level is process-wide (set once at start from the configuration).
 */
#ifndef SIGMESH_LOG_H
#define SIGMESH_LOG_H

#include "node/config.h"

void log_set_level(int level);
int log_level(void);
int log_parse_level(const char *s);	/* -1 if unknown */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) do { if (log_level() >= LOG_INFO) log_msg(LOG_INFO, __VA_ARGS__); } while (0)
#define log_debug(...) do { if (log_level() >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
