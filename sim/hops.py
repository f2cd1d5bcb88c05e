#!/usr/bin/env python3
"""sim/hops.py — where a testnet's delivery time goes, hop by hop.

    sigmesh-sim run ... --log-level debug --keep   (prints the kept directory)
    python3 sim/hops.py DIR

At log level debug, every node logs one line per object it takes from a
peer: the object, the peer, the path it came by (tree, graft,
reconciliation, originator, foreign SIG) and its age since it was made.
This script joins those lines across the testnet's nodes (DIR/n/*.log):

  - per path: how long one hop took (the receiver's storage time minus the
    sender's), or the age itself when the sender's own copy is not logged
    (it made the object);
  - the tree's fan-out: the delay of each sender's 1st, 2nd, ... child,
    which shows whether a sender's children wait on one another;
  - the senders and receivers with the most hops over 100 ms.

An object released to a SIG later than it was made counts its age from
when it was made, so "originator" hops of released reports include the
wait for the release. The clocks are those of one machine.
"""
import collections
import datetime
import glob
import re
import sys

LINE = re.compile(r'^(\S+) debug object (\w+) stored from (\S+) by (.+?), (\d+) ms after it was made')


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: hops.py TESTNET-DIR (from sigmesh-sim run --log-level debug --keep)")
    stored = {}     # (object, node) -> ms
    rec = []
    for f in sorted(glob.glob(sys.argv[1] + '/n/*.log')):
        node = f.rsplit('/', 1)[1][:-4]
        with open(f, errors='replace') as fh:
            for line in fh:
                m = LINE.search(line)
                if not m:
                    continue
                ts = datetime.datetime.strptime(m.group(1), '%Y-%m-%dT%H:%M:%S.%fZ')
                ms = ts.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000
                oid = m.group(2)
                if (oid, node) in stored:
                    continue
                stored[(oid, node)] = ms
                rec.append((oid, node, m.group(3), m.group(4), ms, int(m.group(5))))
    if not rec:
        sys.exit("hops.py: no 'object ... stored from' lines in %s/n/*.log "
                 "(run the testnet with --log-level debug --keep)" % sys.argv[1])
    made = {}
    for oid, node, frm, path, ms, age in rec:
        made[oid] = min(made.get(oid, ms - age), ms - age)
    hop = collections.defaultdict(list)
    kids = collections.defaultdict(list)
    slow_from, slow_to = collections.Counter(), collections.Counter()
    for oid, node, frm, path, ms, age in rec:
        if (oid, frm) in stored:
            d = ms - stored[(oid, frm)]
            hop[path].append(d)
            if path in ('tree', 'foreign SIG'):
                kids[(oid, frm)].append(d)
            if d > 100:
                slow_from[frm] += 1
                slow_to[node] += 1
        else:
            hop[path + ' (from its maker)'].append(ms - made[oid])
    print("%d deliveries of %d objects at %d nodes" %
          (len(rec), len(made), len({r[1] for r in rec})))
    print("one hop, by path (ms):")
    for k, v in sorted(hop.items(), key=lambda kv: -len(kv[1])):
        print("  %-32s %7d  p50 %6.0f  p90 %6.0f  p99 %7.0f  max %7.0f" %
              (k, len(v), pct(v, .5), pct(v, .9), pct(v, .99), max(v)))
    rank = collections.defaultdict(list)
    for v in kids.values():
        for i, d in enumerate(sorted(v)):
            rank[i].append(d)
    print("tree and foreign-SIG children of one sender, in arrival order (ms):")
    for i in sorted(rank)[:8]:
        print("  child %d  %7d  p50 %6.0f  p90 %6.0f" % (i + 1, len(rank[i]), pct(rank[i], .5), pct(rank[i], .9)))
    print("most hops over 100 ms, by sender:  ", ", ".join("%s %d" % kv for kv in slow_from.most_common(6)))
    print("most hops over 100 ms, by receiver:", ", ".join("%s %d" % kv for kv in slow_to.most_common(6)))


if __name__ == '__main__':
    main()
