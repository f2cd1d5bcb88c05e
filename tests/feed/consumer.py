#!/usr/bin/python3
"""Example consumer of a sigmesh node's event feed.

A node publishes every report, sighting, retraction and release it stores
on a ZeroMQ PUB socket (default ipc://DATA_DIR/feed.sock; the "feed" key of
node.conf). Each event is two frames: the topic ("report", "sighting",
"retraction", "release") and a JSON document, the same one
`sigmesh show ID --json` prints under "item". TLP:RED is never published.

    /usr/bin/python3 tests/feed/consumer.py ipc:///var/lib/sigmesh/feed.sock \
        [--topic report] [--count N] [--timeout SECONDS]

prints one JSON line per event: {"topic": ..., "event": {...}}. It runs
until --count events arrived or --timeout seconds passed without one
(exit status 0 if at least one event arrived when --count was not given,
or exactly when --count events arrived; 1 otherwise).

Needs Debian's python3-zmq (pyzmq); run it with /usr/bin/python3.
"""
import argparse
import json
import sys

import zmq


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("endpoint", help="the node's feed endpoint, ipc://DATA_DIR/feed.sock")
    ap.add_argument("--topic", action="append", default=[],
                    help="topic prefix to subscribe to (repeatable; default: all)")
    ap.add_argument("--count", type=int, default=0, help="stop after N events")
    ap.add_argument("--timeout", type=float, default=0,
                    help="stop after this many seconds without an event (0: never)")
    args = ap.parse_args()

    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    # bound what one event may cost us: the node sends at most a report's
    # JSON, far below this
    sub.setsockopt(zmq.MAXMSGSIZE, 8 << 20)
    for t in args.topic or [""]:
        sub.setsockopt_string(zmq.SUBSCRIBE, t)
    sub.connect(args.endpoint)
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)

    got = 0
    try:
        while not args.count or got < args.count:
            ready = dict(poller.poll(args.timeout * 1000 if args.timeout else None))
            if sub not in ready:
                break
            frames = sub.recv_multipart()
            if len(frames) != 2:
                print("consumer: skipped an event of %d frames" % len(frames), file=sys.stderr)
                continue
            topic = frames[0].decode("utf-8", "replace")
            try:
                event = json.loads(frames[1])
            except ValueError as e:
                print("consumer: %s event is not JSON: %s" % (topic, e), file=sys.stderr)
                continue
            print(json.dumps({"topic": topic, "event": event}, sort_keys=True), flush=True)
            got += 1
    except KeyboardInterrupt:
        pass
    finally:
        sub.close()
        ctx.term()
    if args.count:
        return 0 if got == args.count else 1
    return 0 if got else 1


if __name__ == "__main__":
    sys.exit(main())
