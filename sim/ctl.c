/*
 * sim/ctl.c — a client for sigmeshd's control socket (node/control.h):
 * ZeroMQ REQ, one JSON frame each way.
 *
 * A REQ socket that never got its reply is stuck (it refuses to send
 * again), and a node under test is sometimes paused or killed on purpose,
 * so every call has a timeout, and a timeout throws the socket away; the
 * next call connects a fresh one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>
#include "node/control.h"
#include "sim/sim.h"

struct ctl {
	char endpoint[SIM_MAX_PATH + 16];
	void *sock;	/* NULL until needed, or after a timeout */
};

static void *s_ctx;

void *ctl_context(void)
{
	if (!s_ctx) {
		s_ctx = zmq_ctx_new();
		if (s_ctx)
			zmq_ctx_set(s_ctx, ZMQ_MAX_SOCKETS, 8192);
	}
	return s_ctx;
}

void ctl_context_term(void)
{
	if (s_ctx) {
		zmq_ctx_term(s_ctx);
		s_ctx = NULL;
	}
}

ctl_t *ctl_new(const char *endpoint)
{
	ctl_t *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	snprintf(c->endpoint, sizeof(c->endpoint), "%s", endpoint);
	return c;
}

static void s_close(ctl_t *c)
{
	if (c->sock) {
		int zero = 0;

		zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof(zero));
		zmq_close(c->sock);
		c->sock = NULL;
	}
}

void ctl_destroy(ctl_t **cp)
{
	if (cp && *cp) {
		s_close(*cp);
		free(*cp);
		*cp = NULL;
	}
}

json_t *ctl_call(ctl_t *c, json_t *req, int timeout_ms, char *err, size_t errlen)
{
	char *text = NULL;
	json_t *rep = NULL;
	json_error_t jerr;
	zmq_msg_t msg;
	int zero = 0, n;

	err[0] = '\0';
	if (!c->sock) {
		void *ctx = ctl_context();

		c->sock = ctx ? zmq_socket(ctx, ZMQ_REQ) : NULL;
		if (!c->sock) {
			snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(zmq_errno()));
			return NULL;
		}
		zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof(zero));
		if (zmq_connect(c->sock, c->endpoint) < 0) {
			snprintf(err, errlen, "connect %s: %s", c->endpoint, zmq_strerror(zmq_errno()));
			s_close(c);
			return NULL;
		}
	}
	zmq_setsockopt(c->sock, ZMQ_SNDTIMEO, &timeout_ms, sizeof(timeout_ms));
	zmq_setsockopt(c->sock, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
	text = json_dumps(req, JSON_COMPACT);
	if (!text) {
		snprintf(err, errlen, "cannot encode request");
		return NULL;
	}
	if (zmq_send(c->sock, text, strlen(text), 0) < 0) {
		snprintf(err, errlen, "send: %s", zmq_strerror(zmq_errno()));
		free(text);
		s_close(c);
		return NULL;
	}
	free(text);
	zmq_msg_init(&msg);
	n = zmq_msg_recv(&msg, c->sock, 0);
	if (n < 0) {
		snprintf(err, errlen, "%s", zmq_errno() == EAGAIN ? "timeout" : zmq_strerror(zmq_errno()));
		zmq_msg_close(&msg);
		s_close(c);
		return NULL;
	}
	if ((size_t)n > CONTROL_MAX_MSG) {
		snprintf(err, errlen, "reply of %d bytes", n);
		zmq_msg_close(&msg);
		s_close(c);
		return NULL;
	}
	rep = json_loadb(zmq_msg_data(&msg), (size_t)n, 0, &jerr);
	zmq_msg_close(&msg);
	if (!rep || !json_is_object(rep)) {
		snprintf(err, errlen, "reply is not a JSON object%s%s", rep ? "" : ": ",
		    rep ? "" : jerr.text);
		json_decref(rep);
		return NULL;
	}
	if (!json_is_true(json_object_get(rep, "ok"))) {
		const char *e = json_string_value(json_object_get(rep, "error"));

		snprintf(err, errlen, "%s", e ? e : "ok is not true");
		json_decref(rep);
		return NULL;
	}
	return rep;
}
