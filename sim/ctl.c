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
	int64_t sent_ms;	/* ctl_probe/ctl_post: when its request went out; 0: none out */
	uint64_t ticket;	/* names the request out; bumped whenever one is sent or dropped */
	bool probe_out;		/* the request out is ctl_probe's (else ctl_post's) */
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
	c->sent_ms = 0;
	c->ticket++;	/* whatever was out will never be answered here */
	c->probe_out = false;
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

/* Connect if needed and send req; on failure the socket is reset. */
static int s_send(ctl_t *c, json_t *req, int timeout_ms, char *err, size_t errlen)
{
	char *text = NULL;
	int zero = 0;

	err[0] = '\0';
	if (!c->sock) {
		void *ctx = ctl_context();

		c->sock = ctx ? zmq_socket(ctx, ZMQ_REQ) : NULL;
		if (!c->sock) {
			snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(zmq_errno()));
			return -1;
		}
		zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof(zero));
		if (zmq_connect(c->sock, c->endpoint) < 0) {
			snprintf(err, errlen, "connect %s: %s", c->endpoint, zmq_strerror(zmq_errno()));
			s_close(c);
			return -1;
		}
	}
	zmq_setsockopt(c->sock, ZMQ_SNDTIMEO, &timeout_ms, sizeof(timeout_ms));
	text = json_dumps(req, JSON_COMPACT);
	if (!text) {
		snprintf(err, errlen, "cannot encode request");
		return -1;
	}
	if (zmq_send(c->sock, text, strlen(text), 0) < 0) {
		snprintf(err, errlen, "send: %s", zmq_strerror(zmq_errno()));
		free(text);
		s_close(c);
		return -1;
	}
	free(text);
	return 0;
}

/* Wait up to timeout_ms (0: not at all) for the reply to the request out.
 * A timeout leaves the socket as it is (the caller decides whether to wait
 * on); *timed_out tells it apart from a bad reply. */
static json_t *s_recv(ctl_t *c, int timeout_ms, bool *timed_out, char *err, size_t errlen)
{
	json_t *rep = NULL;
	json_error_t jerr;
	zmq_msg_t msg;
	int n;

	*timed_out = false;
	err[0] = '\0';
	zmq_msg_init(&msg);
	if (timeout_ms > 0)
		zmq_setsockopt(c->sock, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
	n = zmq_msg_recv(&msg, c->sock, timeout_ms > 0 ? 0 : ZMQ_DONTWAIT);
	if (n < 0) {
		*timed_out = zmq_errno() == EAGAIN;
		snprintf(err, errlen, "%s", *timed_out ? "timeout" : zmq_strerror(zmq_errno()));
		zmq_msg_close(&msg);
		if (!*timed_out)
			s_close(c);
		return NULL;
	}
	c->sent_ms = 0;
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

json_t *ctl_call(ctl_t *c, json_t *req, int timeout_ms, char *err, size_t errlen)
{
	json_t *rep;
	bool timed_out;

	if (c->sent_ms)
		s_close(c);	/* a probe's or a post's request is still out: start afresh */
	if (s_send(c, req, timeout_ms, err, errlen) < 0)
		return NULL;
	rep = s_recv(c, timeout_ms, &timed_out, err, errlen);
	if (timed_out)
		s_close(c);
	return rep;
}

json_t *ctl_probe(ctl_t *c, json_t *req, int64_t now_ms, int give_up_ms, char *err, size_t errlen)
{
	bool timed_out;	/* a timeout leaves the request out: the next probe looks again */

	/* a post's request out is not ours to take: drop it (voids its ticket) */
	if (c->sent_ms && (!c->probe_out || now_ms - c->sent_ms > give_up_ms))
		s_close(c);
	if (!c->sent_ms) {
		if (s_send(c, req, 1000, err, errlen) < 0)
			return NULL;
		c->sent_ms = now_ms;
		c->ticket++;
		c->probe_out = true;
	}
	return s_recv(c, 0, &timed_out, err, errlen);
}

uint64_t ctl_post(ctl_t *c, json_t *req, int64_t now_ms, char *err, size_t errlen)
{
	if (c->sent_ms)
		s_close(c);
	if (s_send(c, req, 1000, err, errlen) < 0)
		return 0;
	c->sent_ms = now_ms;
	c->probe_out = false;
	return ++c->ticket;
}

json_t *ctl_collect(ctl_t *c, uint64_t ticket, int64_t now_ms, int give_up_ms, int *outcome,
    char *err, size_t errlen)
{
	json_t *rep;
	bool timed_out;

	*outcome = CTL_LOST;
	if (!ticket || ticket != c->ticket || !c->sent_ms) {
		snprintf(err, errlen, "request dropped (the node was restarted or called again)");
		return NULL;
	}
	rep = s_recv(c, 0, &timed_out, err, errlen);
	if (rep || !timed_out) {
		/* an error reply is an answer; a broken socket (s_recv closed
		 * it, so the ticket is void) is not */
		*outcome = rep || c->ticket == ticket ? CTL_ANSWERED : CTL_LOST;
		c->sent_ms = 0;
		c->ticket++;	/* the ticket is used up */
		return rep;
	}
	if (now_ms - c->sent_ms > give_up_ms) {
		snprintf(err, errlen, "no reply in %d ms", give_up_ms);
		s_close(c);	/* never resent: the node may still act on it */
		return NULL;
	}
	*outcome = CTL_PENDING;
	return NULL;
}

void *ctl_socket(const ctl_t *c)
{
	return c->sent_ms ? c->sock : NULL;
}

void ctl_reset(ctl_t *c)
{
	s_close(c);
}
