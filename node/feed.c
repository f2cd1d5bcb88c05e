/*
 * node/feed.c — see feed.h.
 *
 * The socket is an XPUB rather than a PUB so the node sees subscriptions
 * come and go (a subscriber that disconnects is unsubscribed by libzmq):
 * with nobody listening, publishing costs nothing, which matters because
 * building an event's JSON reads the store and was the main cost left on
 * the node's thread during ingest.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>
#include "node/control.h"
#include "node/feed.h"
#include "node/log.h"

int feed_open(node_t *n, sm_err *err)
{
	int hwm = 10000, linger = 0;

	if (!(n->feed = zmq_socket(n->zctx, ZMQ_XPUB)))
		return sm_fail(err, SM_EIO, "feed: %s", zmq_strerror(errno));
	zmq_setsockopt(n->feed, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(n->feed, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(n->feed, n->cfg.feed) < 0)
		return sm_fail(err, SM_EIO, "feed: cannot bind %s: %s", n->cfg.feed, zmq_strerror(errno));
	return 0;
}

void feed_close(node_t *n)
{
	if (n->feed)
		zmq_close(n->feed);
	n->feed = NULL;
}

/* Count the (un)subscription messages XPUB has queued: one frame each,
 * first byte 1 = subscribe, 0 = unsubscribe, then the topic prefix. */
static void drain_subscriptions(node_t *n)
{
	uint8_t buf[256];
	int r;

	while ((r = zmq_recv(n->feed, buf, sizeof(buf), ZMQ_DONTWAIT)) >= 1) {
		if (buf[0] == 1)
			n->feed_subs++;
		else if (buf[0] == 0 && n->feed_subs > 0)
			n->feed_subs--;
	}
}

void feed_publish(node_t *n, scope_entry *e)
{
	scope_entry *r = scope_report_of(n->scope, e);
	json_t *j;
	char *text;
	const char *topic = msg_type_name(e->msg.type);

	if (!n->feed || !r || !tlp_may_feed(r->msg.u.report.tlp))
		return;
	drain_subscriptions(n);
	if (n->feed_subs == 0)
		return;
	if (!(j = control_item_json(n, e->msg.id, true)))
		return;
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (!text)
		return;
	/* a slow subscriber loses events (PUB drops at the high-water mark);
	 * it never slows the node */
	zmq_send(n->feed, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(n->feed, text, strlen(text), ZMQ_DONTWAIT);
	free(text);
}
