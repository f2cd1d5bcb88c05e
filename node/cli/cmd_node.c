/*
 * node/cli/cmd_node.c — the analyst's and operator's commands that talk to
 * a running sigmeshd over its control socket (node/control.h):
 *
 *   sigmesh [--config FILE | --data-dir DIR] submit FILE|- --tlp LABEL
 *           [--audience federation | --sig NAME... --org NAME...] [--json]
 *   sigmesh ... list [--tlp L] [--sig S] [--originator O] [--type T] [--since MS] [--limit N]
 *   sigmesh ... show ID | search VALUE | sight ID [--false-positive] [--originator-only] [--note T]
 *   sigmesh ... retract ID [--reason T] | release ID (--sig S | --org O)...
 *   sigmesh ... peers | status | fsck | dump [--after N] | stop
 *
 * The node is found from --config (its data_dir), --data-dir, or the
 * SIGMESH_DATA environment variable. Output is human-readable; --json
 * prints the node's JSON reply as it is.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "node/cli/cmd_analyst.h"
#include "node/cli/cli.h"
#include "node/cli/cmd_node.h"
#include "node/cli/nodeclient.h"
#include "node/config.h"
#include "node/control.h"

static int usage(const char *cmd, const char *text)
{
	fprintf(stderr, "usage: sigmesh %s %s\n", cmd, text);
	return 2;
}

/* Print the reply (NULL: the error was printed already); 0 if ok. */
static int finish(struct cli_node *o, json_t *rep, void (*human)(json_t *))
{
	int rc = rep ? 0 : 1;

	if (!rep) {
		/* cli_node_call said why */
	} else if (o->json || !human) {
		json_dumpf(rep, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else
		human(rep);
	json_decref(rep);
	cli_node_clear(o);
	return rc;
}

static void print_time(uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char b[32];

	gmtime_r(&t, &tm);
	strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%SZ", &tm);
	fputs(b, stdout);
}

static void human_items(json_t *rep)
{
	json_t *items = json_object_get(rep, "items"), *it;
	size_t i;

	json_array_foreach(items, i, it) {
		const char *id = json_string_value(json_object_get(it, "id"));
		printf("%.16s  ", id ? id : "?");
		print_time((uint64_t)json_integer_value(json_object_get(it, "created_ms")));
		printf("  %-17s %-10s %-16s %s%s\n",
		    json_string_value(json_object_get(it, "tlp")) ? json_string_value(json_object_get(it, "tlp")) : "",
		    json_string_value(json_object_get(it, "type")),
		    json_string_value(json_object_get(it, "originator_name")),
		    json_is_false(json_object_get(it, "readable")) ? "(not readable here) " : "",
		    json_string_value(json_object_get(it, "title")) ? json_string_value(json_object_get(it, "title")) : "");
		json_int_t s = json_integer_value(json_object_get(it, "sighting_count"));
		if (s)
			printf("%18s seen by %lld other organization(s)\n", "", (long long)s);
	}
	printf("%zu item(s)\n", json_array_size(items));
}

static void human_id(json_t *rep)
{
	printf("%s\n", json_string_value(json_object_get(rep, "id")));
}

static void human_status(json_t *rep)
{
	json_t *sigs = json_object_get(rep, "sigs"), *s;
	size_t i;

	printf("node      %s\norg id    %s\n", json_string_value(json_object_get(rep, "name")),
	    json_string_value(json_object_get(rep, "org")));
	printf("objects   %lld (reports %lld, sightings %lld, retractions %lld, releases %lld)\n",
	    (long long)json_integer_value(json_object_get(rep, "objects")),
	    (long long)json_integer_value(json_object_get(rep, "reports")),
	    (long long)json_integer_value(json_object_get(rep, "sightings")),
	    (long long)json_integer_value(json_object_get(rep, "retractions")),
	    (long long)json_integer_value(json_object_get(rep, "releases")));
	printf("store     %.1f MiB used of %.0f MiB\n",
	    json_integer_value(json_object_get(rep, "store_bytes")) / 1048576.0,
	    json_integer_value(json_object_get(rep, "map_bytes")) / 1048576.0);
	printf("traffic   %lld received, %lld duplicates, %lld rejected, %lld deferred; %lld bytes out, %lld in\n",
	    (long long)json_integer_value(json_object_get(rep, "received_objects")),
	    (long long)json_integer_value(json_object_get(rep, "duplicates")),
	    (long long)json_integer_value(json_object_get(rep, "rejected")),
	    (long long)json_integer_value(json_object_get(rep, "deferred")),
	    (long long)json_integer_value(json_object_get(rep, "bytes_sent")),
	    (long long)json_integer_value(json_object_get(rep, "bytes_received")));
	json_array_foreach(sigs, i, s)
		printf("SIG       %s (roster version %lld)%s\n", json_string_value(json_object_get(s, "name")),
		    (long long)json_integer_value(json_object_get(s, "version")),
		    json_is_true(json_object_get(s, "member")) ? "" : " (not a member)");
}

static void human_peers(json_t *rep)
{
	json_t *peers = json_object_get(rep, "peers"), *p;
	size_t i;
	uint64_t now = (uint64_t)time(NULL) * 1000;

	printf("%-20s %-9s %-9s %8s %8s %8s %8s  %s\n", "peer", "neighbor", "connected", "in", "dups",
	    "rejected", "out", "last seen");
	json_array_foreach(peers, i, p) {
		json_int_t seen = json_integer_value(json_object_get(p, "last_seen_ms"));
		printf("%-20s %-9s %-9s %8lld %8lld %8lld %8lld  ", json_string_value(json_object_get(p, "name")),
		    json_is_true(json_object_get(p, "tree")) ? "tree" :
		    json_is_true(json_object_get(p, "link")) ? "link" :
		    json_is_true(json_object_get(p, "neighbor")) ? "yes" :
		    json_is_true(json_object_get(p, "seed")) ? "seed" :
		    json_is_true(json_object_get(p, "root")) ? "root" : "no",
		    json_is_true(json_object_get(p, "banned")) ? "BANNED" :
		    json_is_true(json_object_get(p, "connected")) ? "yes" : "no",
		    (long long)json_integer_value(json_object_get(p, "objects_in")),
		    (long long)json_integer_value(json_object_get(p, "duplicates_in")),
		    (long long)json_integer_value(json_object_get(p, "rejected")),
		    (long long)json_integer_value(json_object_get(p, "objects_out")));
		if (seen)
			printf("%.1f s ago\n", (now - (uint64_t)seen) / 1000.0);
		else
			printf("never\n");
	}
}

static void human_show(json_t *rep)
{
	json_dumpf(json_object_get(rep, "item"), stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
}

static void human_fsck(json_t *rep)
{
	json_t *pr = json_object_get(rep, "problems"), *p;
	size_t i;

	json_array_foreach(pr, i, p)
		printf("problem: %s\n", json_string_value(p));
	printf("%lld objects checked, %lld problems\n",
	    (long long)json_integer_value(json_object_get(rep, "checked")),
	    (long long)json_integer_value(json_object_get(rep, "bad")));
}

int cmd_submit(int argc, char **argv)
{
	struct cli_node o;
	const char *file = NULL, *tlp = NULL;
	json_t *aud = json_object(), *req, *body;
	bool federation = false;
	char *text;
	size_t len;
	json_error_t jerr;

	/* an email as it arrived: parsed and anonymized in cmd_analyst.c */
	if (cmd_analyst_wants_eml(argc, argv)) {
		json_decref(aud);
		return cmd_submit_eml(argc, argv);
	}
	if (cli_node_opts(&argc, argv, &o, true) < 0)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tlp") && i + 1 < argc)
			tlp = argv[++i];
		else if (cli_audience_arg(argc, argv, &i, aud, &federation))
			;
		else if (!file && argv[i][0] != '-')
			file = argv[i];
		else if (!file && !strcmp(argv[i], "-"))
			file = argv[i];
		else {
			json_decref(aud);
			return usage("submit", "FILE|- --tlp LABEL [--audience federation | --sig NAME... --org NAME...]\n"
			    "       sigmesh submit --eml FILE (--dry-run | --tlp LABEL ...) --config FILE");
		}
	}
	if (!file || !tlp) {
		json_decref(aud);
		return usage("submit", "FILE|- --tlp LABEL [--audience federation | --sig NAME... --org NAME...]\n"
			    "       sigmesh submit --eml FILE (--dry-run | --tlp LABEL ...) --config FILE");
	}
	if (!(text = cli_read_file(file, CONTROL_MAX_MSG, &len))) {
		json_decref(aud);
		return 1;
	}
	body = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!body) {
		fprintf(stderr, "sigmesh: %s: not JSON: %s (line %d)\n", file, jerr.text, jerr.line);
		json_decref(aud);
		return 1;
	}
	req = json_pack("{s:s, s:s, s:o}", "cmd", "submit", "tlp", tlp, "body", body);
	if (federation) {
		json_decref(aud);
		json_object_set_new(req, "audience", json_string("federation"));
	} else if (json_object_size(aud))
		json_object_set_new(req, "audience", aud);
	else
		json_decref(aud);
	return finish(&o, cli_node_call(&o, req), human_id);
}

int cmd_list(int argc, char **argv)
{
	struct cli_node o;
	json_t *req = json_pack("{s:s}", "cmd", "list");

	if (cli_node_opts(&argc, argv, &o, true) < 0)
		return 1;
	for (int i = 1; i < argc; i++) {
		const char *k = argv[i];
		if (i + 1 >= argc)
			goto bad;
		if (!strcmp(k, "--tlp") || !strcmp(k, "--sig") || !strcmp(k, "--originator") || !strcmp(k, "--type"))
			json_object_set_new(req, k + 2, json_string(argv[++i]));
		else if (!strcmp(k, "--since") || !strcmp(k, "--until") || !strcmp(k, "--limit")) {
			char *end;
			unsigned long long v = strtoull(argv[++i], &end, 10);
			if (*end)
				goto bad;
			json_object_set_new(req, !strcmp(k, "--limit") ? "limit" : !strcmp(k, "--since") ?
			    "since_ms" : "until_ms", json_integer((json_int_t)v));
		} else
			goto bad;
	}
	return finish(&o, cli_node_call(&o, req), human_items);
bad:
	json_decref(req);
	return usage("list", "[--tlp L] [--sig S] [--originator O] [--type T] [--since MS] [--until MS] [--limit N]");
}

static int one_id(int argc, char **argv, const char *cmd, void (*human)(json_t *))
{
	struct cli_node o;

	if (cli_node_opts(&argc, argv, &o, true) < 0)
		return 1;
	if (argc != 2)
		return usage(cmd, "ID");
	return finish(&o, cli_node_call(&o, json_pack("{s:s, s:s}", "cmd", cmd, "id", argv[1])), human);
}

int cmd_show(int argc, char **argv) { return one_id(argc, argv, "show", human_show); }

int cmd_search(int argc, char **argv)
{
	struct cli_node o;

	if (cli_node_opts(&argc, argv, &o, true) < 0)
		return 1;
	if (argc != 2)
		return usage("search", "VALUE   (an address, domain, IP, URL, SHA-256, subject or file name)");
	return finish(&o, cli_node_call(&o, json_pack("{s:s, s:s}", "cmd", "search", "value", argv[1])), human_items);
}

int cmd_sight(int argc, char **argv)
{
	struct cli_node o;
	json_t *req;

	if (cli_node_opts(&argc, argv, &o, true) < 0)
		return 1;
	if (argc < 2)
		return usage("sight", "ID [--false-positive] [--originator-only] [--count N] [--note TEXT]");
	req = json_pack("{s:s, s:s, s:s}", "cmd", "sight", "id", argv[1], "kind", "seen");
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--false-positive"))
			json_object_set_new(req, "kind", json_string("false-positive"));
		else if (!strcmp(argv[i], "--originator-only"))
			json_object_set_new(req, "originator_only", json_true());
		else if (!strcmp(argv[i], "--note") && i + 1 < argc)
			json_object_set_new(req, "note", json_string(argv[++i]));
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			json_object_set_new(req, "count", json_integer(atoll(argv[++i])));
		else {
			json_decref(req);
			return usage("sight", "ID [--false-positive] [--originator-only] [--count N] [--note TEXT]");
		}
	}
	return finish(&o, cli_node_call(&o, req), human_id);
}

int cmd_retract(int argc, char **argv)
{
	struct cli_node o;
	json_t *req;

	if (cli_node_opts(&argc, argv, &o, true) < 0)
		return 1;
	if (argc != 2 && !(argc == 4 && !strcmp(argv[2], "--reason")))
		return usage("retract", "ID [--reason TEXT]");
	req = json_pack("{s:s, s:s}", "cmd", "retract", "id", argv[1]);
	if (argc == 4)
		json_object_set_new(req, "reason", json_string(argv[3]));
	return finish(&o, cli_node_call(&o, req), human_id);
}

int cmd_release(int argc, char **argv)
{
	struct cli_node o;
	json_t *req;

	if (cli_node_opts(&argc, argv, &o, true) < 0)
		return 1;
	if (argc < 4)
		return usage("release", "ID (--sig NAME | --org NAME)...");
	req = json_pack("{s:s, s:s}", "cmd", "release", "id", argv[1]);
	for (int i = 2; i < argc; i++) {
		bool fed = false;
		if (!cli_audience_arg(argc, argv, &i, req, &fed) || fed) {
			json_decref(req);
			return usage("release", "ID (--sig NAME | --org NAME)...");
		}
	}
	return finish(&o, cli_node_call(&o, req), human_id);
}

static int plain(int argc, char **argv, const char *cmd, void (*human)(json_t *))
{
	struct cli_node o;

	if (cli_node_opts(&argc, argv, &o, true) < 0)
		return 1;
	if (argc != 1)
		return usage(cmd, "");
	return finish(&o, cli_node_call(&o, json_pack("{s:s}", "cmd", cmd)), human);
}

int cmd_peers(int argc, char **argv) { return plain(argc, argv, "peers", human_peers); }
int cmd_status(int argc, char **argv) { return plain(argc, argv, "status", human_status); }
int cmd_stop(int argc, char **argv) { return plain(argc, argv, "stop", NULL); }

int cmd_fsck(int argc, char **argv)
{
	struct cli_node o;
	json_t *rep;
	int rc;

	if (cli_node_opts(&argc, argv, &o, true) < 0)
		return 1;
	if (argc != 1)
		return usage("fsck", "");
	rep = cli_node_call(&o, json_pack("{s:s}", "cmd", "fsck"));
	if (!rep)
		return 1;
	rc = json_integer_value(json_object_get(rep, "bad")) ? 1 : 0;
	return finish(&o, rep, human_fsck) | rc;
}

int cmd_dump(int argc, char **argv)
{
	struct cli_node o;
	json_t *req = json_pack("{s:s}", "cmd", "dump");

	if (cli_node_opts(&argc, argv, &o, true) < 0) {
		json_decref(req);
		return 1;
	}
	if (argc == 3 && !strcmp(argv[1], "--after"))
		json_object_set_new(req, "after", json_integer(atoll(argv[2])));
	else if (argc != 1) {
		json_decref(req);
		return usage("dump", "[--after ARRIVAL]");
	}
	return finish(&o, cli_node_call(&o, req), NULL);
}
