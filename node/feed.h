/*
 * node/feed.h — the node's local event feed: a ZeroMQ PUB socket
 * (ipc://DATA_DIR/feed.sock by default) on which every new report,
 * sighting, retraction and release this node stores is published as two
 * frames: the topic ("report", "sighting", "retraction", "release") and
 * the same JSON that `sigmesh show --json` prints. Subscribers filter by
 * topic prefix (ZMQ_SUBSCRIBE "report"). TLP:RED objects are never
 * published (TLP: no feed).
 */
#ifndef SIGMESH_FEED_H
#define SIGMESH_FEED_H

#include "node/node_impl.h"

int feed_open(node_t *n, sm_err *err);
void feed_close(node_t *n);
void feed_publish(node_t *n, scope_entry *e);

#endif
