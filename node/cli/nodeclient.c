/*
 * node/cli/nodeclient.c — what every sigmesh command that talks to a
 * running node shares: finding the node (--config, --data-dir,
 * SIGMESH_DATA), one request and one reply on its control socket
 * (node/control.h), reading an input file, and audience arguments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>
#include "node/cli/cli.h"
#include "node/cli/nodeclient.h"

void cli_node_clear(struct cli_node *o)
{
	free(o->cfg);
	o->cfg = NULL;
}

/* Take --config, --data-dir and --json out of argv. need_node: fail if no
 * node can be found. */
int cli_node_opts(int *argc, char **argv, struct cli_node *o, bool need_node)
{
	int k = 0;
	sm_err err = {0};

	memset(o, 0, sizeof(*o));
	o->data_dir = getenv("SIGMESH_DATA");
	for (int i = 0; i < *argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			o->json = true;
		} else if (!strcmp(argv[i], "--data-dir") && i + 1 < *argc) {
			o->data_dir = argv[++i];
		} else if (!strcmp(argv[i], "--config") && i + 1 < *argc) {
			free(o->cfg);
			if (!(o->cfg = calloc(1, sizeof(*o->cfg)))) {
				cli_fail("out of memory");
				return -1;
			}
			if (config_load(o->cfg, argv[++i], &err) < 0) {
				cli_err(&err);
				cli_node_clear(o);
				return -1;
			}
			snprintf(o->control, sizeof(o->control), "%s", o->cfg->control);
			o->data_dir = o->cfg->data_dir;
		} else
			argv[k++] = argv[i];
	}
	*argc = k;
	if (need_node && !o->data_dir) {
		cli_fail("which node? give --config FILE, --data-dir DIR or set SIGMESH_DATA");
		cli_node_clear(o);
		return -1;
	}
	return 0;
}

/* One request (consumed), one reply; NULL after saying why on stderr. A
 * reply with "ok": false is printed here too and also gives NULL. */
json_t *cli_node_call(const struct cli_node *o, json_t *req)
{
	char ep[CONFIG_MAX_PATH + 32];
	void *ctx = zmq_ctx_new(), *s = ctx ? zmq_socket(ctx, ZMQ_REQ) : NULL;
	int timeout = 120000, linger = 0;
	const char *tv = getenv("SIGMESH_TIMEOUT_MS");
	char *text = json_dumps(req, JSON_COMPACT);
	json_t *rep = NULL;
	zmq_msg_t msg;

	json_decref(req);
	zmq_msg_init(&msg);
	if (!s || !text) {
		cli_fail("cannot set up the control connection: %s", zmq_strerror(errno));
		goto out;
	}
	if (o->control[0])
		snprintf(ep, sizeof(ep), "%s", o->control);
	else
		snprintf(ep, sizeof(ep), "ipc://%s/control.sock", o->data_dir);
	if (tv && atoi(tv) > 0)
		timeout = atoi(tv);
	if (!strncmp(ep, "ipc://", 6) && access(ep + 6, F_OK) < 0) {
		cli_fail("the node is not running (no control socket at %s)", ep + 6);
		goto out;
	}
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof(timeout));
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_connect(s, ep) < 0 || zmq_send(s, text, strlen(text), 0) < 0) {
		cli_fail("cannot reach the node at %s: %s", ep, zmq_strerror(errno));
		goto out;
	}
	if (zmq_msg_recv(&msg, s, 0) < 0) {
		cli_fail("no answer from the node at %s within %d ms (is sigmeshd running?)", ep, timeout);
		goto out;
	}
	if (!(rep = json_loadb(zmq_msg_data(&msg), zmq_msg_size(&msg), 0, NULL))) {
		cli_fail("the node answered something that is not JSON");
		goto out;
	}
	if (!json_is_true(json_object_get(rep, "ok"))) {
		const char *e = json_string_value(json_object_get(rep, "error"));
		cli_fail("%s", e ? e : "the node refused the request without saying why");
		json_decref(rep);
		rep = NULL;
	}
out:
	zmq_msg_close(&msg);
	free(text);
	if (s)
		zmq_close(s);
	if (ctx)
		zmq_ctx_term(ctx);
	return rep;
}

/* The whole file (at most max bytes, NUL-terminated); NULL after saying
 * why. "-" is stdin. */
char *cli_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		cli_fail("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n + 65536 + 1 > cap) {
			size_t ncap = cap ? 2 * cap : 65536 + 1;
			char *x;
			if (cap > max + 1 || !(x = realloc(buf, ncap))) {
				if (cap > max + 1)
					cli_fail("%s: larger than %zu bytes", path, max);
				else
					cli_fail("%s: out of memory", path);
				free(buf);
				buf = NULL;
				goto out;
			}
			buf = x;
			cap = ncap;
		}
		size_t r = fread(buf + n, 1, 65536, f);
		n += r;
		if (n > max) {
			cli_fail("%s: larger than %zu bytes", path, max);
			free(buf);
			buf = NULL;
			goto out;
		}
		if (r == 0) {
			if (ferror(f)) {
				cli_fail("cannot read %s: %s", path, strerror(errno));
				free(buf);
				buf = NULL;
			}
			break;
		}
	}
	if (buf)
		buf[n] = '\0';
	*len = n;
out:
	if (f != stdin)
		fclose(f);
	return buf;
}

/* --sig A --org B --audience federation into req's "audience"; returns 1
 * if argv[*i] was one of them. */
int cli_audience_arg(int argc, char **argv, int *i, json_t *aud, bool *federation)
{
	const char *k = argv[*i];

	if (!strcmp(k, "--audience") && *i + 1 < argc && !strcmp(argv[*i + 1], "federation")) {
		*federation = true;
		++*i;
		return 1;
	}
	if ((!strcmp(k, "--sig") || !strcmp(k, "--org")) && *i + 1 < argc) {
		const char *key = !strcmp(k, "--sig") ? "sigs" : "orgs";
		json_t *arr = json_object_get(aud, key);
		if (!arr)
			json_object_set_new(aud, key, arr = json_array());
		json_array_append_new(arr, json_string(argv[++*i]));
		return 1;
	}
	return 0;
}

