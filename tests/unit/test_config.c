/*
 * tests/unit/test_config.c — sigmeshd's configuration file (node/config.c):
 * defaults, every key, relative paths, [peer] endpoint overrides, and the
 * refusals an operator's typo must meet (with the line number).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tests/test.h"
#include "node/config.h"

#define NODE_MIN "[node]\ndata_dir = /var/lib/sm\nkey_file = /etc/sm/org.key\nrosters = /etc/sm/rosters\n"

static config c;

static int parse(const char *text, sm_err *e)
{
	sm_err_clear(e);
	return config_parse(&c, text, "/etc/sm", e);
}

static void test_defaults_and_required(void)
{
	sm_err e = {0};

	CHECKF(parse(NODE_MIN, &e) == 0, "%s", e.msg);
	CHECK(c.log_level == LOG_INFO && c.map_size_mb == 4096 && c.active_peers == 6);
	CHECK(c.recon_interval_ms == 30000 && c.n_peers == 0 && c.n_anon == 0);
	CHECK(c.seed_links == CONFIG_SEED_LINKS);
	/* the control and feed sockets default into the data directory */
	CHECK(!strcmp(c.control, "ipc:///var/lib/sm/control.sock"));
	CHECK(!strcmp(c.feed, "ipc:///var/lib/sm/feed.sock"));
	CHECK(parse("[node]\nkey_file = k\nrosters = r\n", &e) < 0 && e.code == SM_EINVAL &&
	    strstr(e.msg, "data_dir is required"));
	CHECK(parse("[node]\ndata_dir = d\nrosters = r\n", &e) < 0 && strstr(e.msg, "key_file"));
	CHECK(parse("[node]\ndata_dir = d\nkey_file = k\n", &e) < 0 && strstr(e.msg, "rosters"));
}

static void test_every_key(void)
{
	sm_err e = {0};

	CHECKF(parse(NODE_MIN "passphrase_file = pass\nlisten = tcp://127.0.0.1:7001\n"
	    "control = ipc:///run/sm.ctl\nfeed = ipc:///run/sm.feed\nlog_level = debug\n"
	    "map_size_mb = 512\nactive_peers = 8\nrecon_interval_ms = 2000\nseed_links = 0\n"
	    "anonymize = example.co.jp, 10.1.0.0/16 ,  Example Gas\n", &e) == 0, "%s", e.msg);
	/* relative paths are taken from the file's directory */
	CHECK(!strcmp(c.passphrase_file, "/etc/sm/pass"));
	CHECK(!strcmp(c.data_dir, "/var/lib/sm"));
	CHECK(!strcmp(c.listen, "tcp://127.0.0.1:7001"));
	CHECK(!strcmp(c.control, "ipc:///run/sm.ctl") && !strcmp(c.feed, "ipc:///run/sm.feed"));
	CHECK(c.log_level == LOG_DEBUG && c.map_size_mb == 512 && c.active_peers == 8);
	CHECK(c.recon_interval_ms == 2000 && c.seed_links == 0);
	CHECK(c.n_anon == 3 && !strcmp(c.anon[0], "example.co.jp") &&
	    !strcmp(c.anon[1], "10.1.0.0/16") && !strcmp(c.anon[2], "Example Gas"));
	CHECK(parse(NODE_MIN "seed_links = 257\n", &e) < 0 && strstr(e.msg, "seed_links"));
}

static void test_refusals_name_the_line(void)
{
	sm_err e = {0};

	/* a typo must not silently weaken a node: unknown keys and sections
	 * stop it, and the message gives the line */
	CHECK(parse(NODE_MIN "recon_intervl_ms = 5\n", &e) < 0 && e.code == SM_EINVAL &&
	    strstr(e.msg, "line 5") && strstr(e.msg, "recon_intervl_ms"));
	/* (inih reports keys, not headers: an empty misspelt section holds
	 * nothing to lose, its first key is refused) */
	CHECK(parse(NODE_MIN "[nodes]\nlisten = tcp://127.0.0.1:1\n", &e) < 0 && strstr(e.msg, "[nodes]"));
	CHECK(parse(NODE_MIN "log_level = loud\n", &e) < 0 && strstr(e.msg, "log_level"));
	CHECK(parse(NODE_MIN "active_peers = 65\n", &e) < 0 && strstr(e.msg, "active_peers"));
	CHECK(parse(NODE_MIN "active_peers = -1\n", &e) < 0);
	CHECK(parse(NODE_MIN "map_size_mb = 12abc\n", &e) < 0 && strstr(e.msg, "map_size_mb"));
	CHECK(parse(NODE_MIN "just words\n", &e) < 0 && strstr(e.msg, "line 5"));
}

static void test_peer_overrides(void)
{
	sm_err e = {0};

	CHECKF(parse(NODE_MIN "[peer]\norg = gas-07\nendpoint = tcp://192.0.2.7:7001\n"
	    "[peer]\norg = 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	    "endpoint = tcp://[2001:db8::1]:7001\n", &e) == 0, "%s", e.msg);
	CHECK(c.n_peers == 2);
	CHECK(!strcmp(c.peers[0].org, "gas-07") && !strcmp(c.peers[0].endpoint, "tcp://192.0.2.7:7001"));
	CHECK(!strcmp(c.peers[1].endpoint, "tcp://[2001:db8::1]:7001"));
	/* each section names its org first */
	CHECK(parse(NODE_MIN "[peer]\nendpoint = tcp://192.0.2.7:7001\n", &e) < 0 && e.code == SM_EINVAL &&
	    strstr(e.msg, "without its org"));
	/* an org with no endpoint, or two endpoints for one org */
	CHECK(parse(NODE_MIN "[peer]\norg = gas-07\n", &e) < 0 && strstr(e.msg, "gas-07 has no endpoint"));
	CHECK(parse(NODE_MIN "[peer]\norg = a\nendpoint = tcp://h:1\nendpoint = tcp://h:2\n", &e) < 0 &&
	    strstr(e.msg, "without its org"));
	/* only CURVE over TCP: host and port */
	CHECK(parse(NODE_MIN "[peer]\norg = a\nendpoint = ipc:///tmp/x\n", &e) < 0 && strstr(e.msg, "tcp://HOST:PORT"));
	CHECK(parse(NODE_MIN "[peer]\norg = a\nendpoint = tcp://\n", &e) < 0);
	CHECK(parse(NODE_MIN "[peer]\norg = a\nendpoint = tcp://hostonly\n", &e) < 0);
	CHECK(parse(NODE_MIN "[peer]\nname = a\n", &e) < 0 && strstr(e.msg, "unknown key 'name' in [peer]"));
}

static void test_peer_bound(void)
{
	sm_err e = {0};
	size_t cap = strlen(NODE_MIN) + (CONFIG_MAX_PEERS + 1) * 64 + 1;
	char *text = malloc(cap), *p;

	CHECK(text != NULL);
	if (!text)
		return;
	p = text + sprintf(text, "%s", NODE_MIN);
	for (int i = 0; i < CONFIG_MAX_PEERS; i++)
		p += sprintf(p, "[peer]\norg = o%d\nendpoint = tcp://h:%d\n", i, 1000 + i);
	CHECKF(parse(text, &e) == 0, "%s", e.msg);
	CHECK(c.n_peers == CONFIG_MAX_PEERS);
	sprintf(p, "[peer]\norg = one-more\nendpoint = tcp://h:1\n");
	CHECK(parse(text, &e) < 0 && e.code == SM_EBOUND);
	free(text);
}

static void test_load_file(void)
{
	sm_err e = {0};
	char dir[] = "/tmp/smcfg.XXXXXX", path[64];
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/node.conf", dir);
	CHECK((f = fopen(path, "w")) != NULL);
	if (!f)
		return;
	fputs("[node]\ndata_dir = data\nkey_file = org.key\nrosters = rosters\n", f);
	fclose(f);
	CHECKF(config_load(&c, path, &e) == 0, "%s", e.msg);
	/* relative to the file's own directory, not the working directory */
	CHECK(!strncmp(c.data_dir, dir, strlen(dir)) && !strcmp(c.data_dir + strlen(dir), "/data"));
	CHECK(!strcmp(c.path, path));
	unlink(path);
	rmdir(dir);
	CHECK(config_load(&c, path, &e) < 0 && e.code == SM_EIO && strstr(e.msg, "cannot open"));
}

int main(void)
{
	RUN(test_defaults_and_required);
	RUN(test_every_key);
	RUN(test_refusals_name_the_line);
	RUN(test_peer_overrides);
	RUN(test_peer_bound);
	RUN(test_load_file);
	TEST_EXIT();
}
