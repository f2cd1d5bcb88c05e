/*
 * node/control_req.h — decoding one control request (node/control.h)
 * from JSON into a typed request, with every type and bound check.
 *
 * This is the part of the control API that needs no running node: the
 * daemon (control_dispatch) and the fuzz harness (tests/fuzz/fuzz_control.c)
 * both call control_req_parse, so the fuzzer exercises exactly the checks
 * the daemon runs. What needs the node's state comes after, in control.c:
 * resolving SIG and organization names through the rosters, and the
 * commands themselves.
 */
#ifndef SIGMESH_CONTROL_REQ_H
#define SIGMESH_CONTROL_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "proto/body.h"
#include "proto/err.h"
#include "proto/msg.h"

typedef enum control_cmd {
	CONTROL_SUBMIT,
	CONTROL_LIST,
	CONTROL_SHOW,
	CONTROL_SEARCH,
	CONTROL_SIGHT,
	CONTROL_RETRACT,
	CONTROL_RELEASE,
	CONTROL_PEERS,
	CONTROL_STATUS,
	CONTROL_DUMP,
	CONTROL_FSCK,
	CONTROL_EXPORT,	/* arguments read by control_export (control_analyst.h) */
	CONTROL_STATS,	/* arguments read by control_stats */
	CONTROL_STOP,
} control_cmd;

#define CONTROL_LIST_MAX 10000	/* list: most items in one reply */

/* An audience as a request names it. sigs and orgs, when not NULL, are
 * borrowed from the request: JSON arrays of strings, at most
 * SM_MAX_AUDIENCE_SIGS / SM_MAX_AUDIENCE_ORGS of them, names or hex ids
 * still to be resolved against the node's rosters. */
typedef struct control_audience {
	bool federation;
	json_t *sigs, *orgs;	/* borrowed; NULL when absent */
} control_audience;

/* One decoded request. Strings are borrowed from the JSON request, which
 * must outlive this; body is owned (control_req_clear frees it). Fields a
 * command does not take stay zero. */
typedef struct control_req {
	control_cmd cmd;
	json_t *json;			/* the request itself, borrowed */
	uint8_t id[SM_ID_LEN];		/* show, sight, retract, release */
	/* submit */
	uint8_t tlp;
	control_audience aud;		/* also release's added audience */
	body_t body;			/* owned */
	bool has_body;
	bool has_supersedes;
	uint8_t supersedes[SM_ID_LEN];
	/* list */
	uint64_t since_ms, until_ms;	/* until 0: no upper bound */
	uint64_t limit;			/* 1..CONTROL_LIST_MAX; absent: 100 */
	int tlp_filter;			/* -1: any */
	int type_filter;		/* SM_MSG_*, -1: every type */
	const char *originator, *sig;	/* NULL: no filter; still to resolve */
	/* search */
	const char *value;		/* 1..BODY_MAX_STR bytes */
	/* sight */
	uint8_t kind;			/* SM_SIGHT_* */
	bool originator_only;		/* a JSON boolean, nothing else */
	uint64_t count;			/* >= 1; absent: 1 (0 is refused) */
	const char *note;
	/* retract */
	const char *reason;
	/* dump */
	uint64_t after;
} control_req;

/* Decode req (as jansson loaded it, at most CONTROL_MAX_MSG bytes) into
 * out. An optional argument that is absent takes its default; one that is
 * present with the wrong JSON type (null included) or out of its bound is
 * refused with SM_EINVAL naming "<cmd>: <argument>", never dropped or
 * clamped. On failure returns -1 with err->msg the text the client is sent,
 * naming the command and what was wrong ("submit: tlp must be ..."); out
 * then holds nothing to free. On success call control_req_clear. */
int control_req_parse(json_t *req, control_req *out, sm_err *err);

/* Free what out owns; NULL-safe, idempotent. */
void control_req_clear(control_req *out);

#endif
