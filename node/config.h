/*
 * node/config.h — sigmeshd's configuration file (INI, parsed with inih).
 *
 *   [node]
 *   data_dir   = /var/lib/sigmesh          ; LMDB store, control and feed sockets
 *   key_file   = /etc/sigmesh/org.key      ; secret identity (keys/identity.h)
 *   passphrase_file = /etc/sigmesh/pass    ; optional
 *   rosters    = /etc/sigmesh/rosters      ; directory of *.roster files
 *   listen     = tcp://127.0.0.1:7001      ; CURVE endpoint peers connect to
 *   control    = ipc:///var/lib/sigmesh/control.sock   ; default: data_dir/control.sock
 *   feed       = ipc:///var/lib/sigmesh/feed.sock      ; default: data_dir/feed.sock
 *   log_level  = info                      ; error, warn, info, debug
 *   map_size_mb = 4096
 *   active_peers = 6                       ; eager-push peers per SIG
 *   recon_interval_ms = 30000              ; periodic reconciliation
 *   seed_links = 16                        ; foreign SIGs kept connected (below)
 *   anonymize  = example.co.jp, 10.1.0.0/16, Example Gas  ; see below
 *
 *   [peer]                                 ; repeatable, optional: where to reach
 *   org = gas-07                           ; one member (its roster name or
 *   endpoint = tcp://192.0.2.7:7001        ; 64-hex org id) instead of the
 *                                          ; endpoint its roster entry lists
 *
 * Peers normally come from the rosters: each member's entry lists its
 * endpoint. A [peer] section overrides that for this node alone, where the
 * roster's address is not the one to dial from here (a member reached
 * through a VPN or NAT), or reaches a member whose entry lists none. It
 * changes only the address dialled: neighbours and trees still come from
 * the rosters, the peer is still authenticated by its roster key (CURVE),
 * and an org no roster names stops the node at start. Each section names
 * org first, then endpoint (tcp://HOST:PORT).
 *
 * seed_links bounds the foreign SIGs (those this node is not in) to whose
 * entry member (the one its reports to that SIG go to first) the node
 * keeps a connection open, so that its first report to that SIG does not
 * wait for a new connection's set-up: four round trips. Each costs a
 * connection at both ends (about 50 kB each) and a TCP keepalive probe
 * after each 30 s of silence (answered by the kernel); 0
 * opens them only when needed, as before 2026-11-27.
 *
 * anonymize lists what `sigmesh submit --eml` removes from an email before
 * it is shared, besides the recipients named in its headers (which are
 * always removed). Each entry is taken by its form: an IP address or CIDR
 * range is an internal address; an entry with '@' an address; a host name
 * with a dot one of the organization's own domains (its subdomains too);
 * anything else a string to redact wherever it appears
 * (node/cli/cmd_analyst.h, analyst_rules_from_config).
 *
 * Unknown keys and sections are errors (a typo must not silently weaken a
 * node), reported with the line number.
 */
#ifndef SIGMESH_CONFIG_H
#define SIGMESH_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "proto/err.h"

#define CONFIG_MAX_PATH 1024
#define CONFIG_MAX_PEERS 256
#define CONFIG_MAX_ANON 64
/* seed_links' default; a build with -DCONFIG_SEED_LINKS=0 behaves as
 * sigmeshd did before them, for A/B runs (bench/NOTES.md) */
#ifndef CONFIG_SEED_LINKS
#define CONFIG_SEED_LINKS 16
#endif

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

typedef struct config {
	char path[CONFIG_MAX_PATH];		/* the file itself */
	char data_dir[CONFIG_MAX_PATH];
	char key_file[CONFIG_MAX_PATH];
	char passphrase_file[CONFIG_MAX_PATH];
	char rosters[CONFIG_MAX_PATH];
	char listen[256];
	char control[CONFIG_MAX_PATH + 8];
	char feed[CONFIG_MAX_PATH + 8];
	int log_level;
	uint64_t map_size_mb;
	uint32_t active_peers;
	uint32_t recon_interval_ms;
	uint32_t seed_links;
	size_t n_peers;
	struct config_peer {
		char org[128];		/* roster name or 64-hex org id, resolved at start */
		char endpoint[256];	/* tcp://HOST:PORT */
	} peers[CONFIG_MAX_PEERS];
	size_t n_anon;
	char anon[CONFIG_MAX_ANON][256];
} config;

/* Defaults, then the file. Relative paths are taken relative to the
 * config file's directory. */
int config_load(config *c, const char *path, sm_err *err)
    __attribute__((warn_unused_result));
/* Parse from memory (for tests and the fuzzer); base_dir resolves
 * relative paths. */
int config_parse(config *c, const char *text, const char *base_dir, sm_err *err)
    __attribute__((warn_unused_result));

#endif
