/*
 * node/cli/cmd_analyst.c — submit an email, import STIX, export, stats;
 * see cmd_analyst.h for the command lines.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>
#include "node/cli/cli.h"
#include "node/cli/cmd_analyst.h"
#include "node/cli/nodeclient.h"
#include "node/control.h"
#include "node/eml.h"
#include "node/stats.h"
#include "node/stix_import.h"
#include "proto/body.h"
#include "proto/tlp.h"

static int s_usage(const char *cmd, const char *text)
{
	fprintf(stderr, "usage: sigmesh %s %s\n", cmd, text);
	return CLI_EXIT_USAGE;
}

/* ---- anonymization rules from the configuration ------------------------ */

static bool s_ip_like(const char *s)
{
	bool sep = false;

	for (; *s; s++) {
		if (*s == '.' || *s == ':')
			sep = true;
		else if (!strchr("0123456789abcdefABCDEF/", *s))
			return false;
	}
	return sep;
}

static bool s_host_like(const char *s)
{
	size_t n = strlen(s);

	if (!n || s[0] == '.' || s[n - 1] == '.' || !strchr(s, '.'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
			return false;
	return true;
}

int analyst_rules_from_config(const config *c, anon_rules **out, sm_err *err)
{
	anon_rules *r = anon_rules_new();

	*out = NULL;
	if (!r)
		return sm_fail(err, SM_ENOMEM, "anonymize: out of memory");
	for (size_t i = 0; c && i < c->n_anon; i++) {
		const char *e = c->anon[i];
		sm_err ipe = {0};
		int rc;

		/* "cafe.be" looks like hex digits and dots: an IP first, a
		 * domain if that fails */
		if (s_ip_like(e) && anon_rules_add(r, ANON_INTERNAL_IP, e, &ipe) == 0)
			continue;
		if (strchr(e, '@'))
			rc = anon_rules_add(r, ANON_RECIPIENT, e, err);
		else if (s_host_like(e))
			rc = anon_rules_add(r, ANON_ORG_DOMAIN, e, err);
		else if (s_ip_like(e))
			rc = sm_fail(err, ipe.code, "%s", ipe.msg);
		else
			rc = anon_rules_add(r, ANON_EXTRA, e, err);
		if (rc < 0) {
			anon_rules_destroy(&r);
			return sm_wrap(err, "%s: anonymize entry '%s': ", c->path, e);
		}
	}
	*out = r;
	return 0;
}

/* ---- submit --eml ------------------------------------------------------ */

bool cmd_analyst_wants_eml(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--eml"))
			return true;
	return false;
}

/* Send body (JSON text) as a report; prints its id. */
static int s_submit_body(const struct cli_node *o, const char *body_json, const char *tlp,
    json_t *aud, bool federation)
{
	json_t *body = json_loads(body_json, 0, NULL), *req, *rep;
	uint8_t t;

	if (tlp_parse(tlp, &t) < 0) {
		json_decref(body);
		json_decref(aud);
		return cli_fail("unknown --tlp '%s' (clear, green, amber, amber+strict, red)", tlp);
	}
	if (!body) {
		json_decref(aud);
		return cli_fail("out of memory building the report body");
	}
	req = json_pack("{s:s, s:s, s:o}", "cmd", "submit", "tlp", tlp, "body", body);
	if (federation) {
		json_decref(aud);
		json_object_set_new(req, "audience", json_string("federation"));
	} else if (json_object_size(aud))
		json_object_set_new(req, "audience", aud);
	else
		json_decref(aud);
	if (!(rep = cli_node_call(o, req)))
		return CLI_EXIT_FAIL;
	if (o->json)
		json_dumpf(rep, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	else
		fputs(json_string_value(json_object_get(rep, "id")), stdout);
	putchar('\n');
	json_decref(rep);
	return 0;
}

/* Drop the "original" of every replacement: what a dry run shows is what
 * would be shared, and the recipients' addresses are not part of it (a
 * dry run pasted into a ticket must not name them). */
static void s_hide_originals(json_t *doc)
{
	json_t *reps = json_object_get(doc, "replacements"), *r;
	size_t i;

	json_array_foreach(reps, i, r)
		json_object_del(r, "original");
}

#define EML_USAGE "--eml FILE (--dry-run [--show-originals] | --tlp LABEL " \
	"(--sig NAME... --org NAME... | --audience federation)) --config FILE"

int cmd_submit_eml(int argc, char **argv)
{
	struct cli_node o;
	const char *file = NULL, *tlp = NULL;
	bool dry = false, originals = false, federation = false;
	json_t *aud = json_object();
	anon_rules *rules = NULL;
	uint8_t *raw = NULL;
	size_t len = 0;
	sm_err err = {0};
	int rc = CLI_EXIT_FAIL;

	if (cli_node_opts(&argc, argv, &o, false) < 0) {
		json_decref(aud);
		return CLI_EXIT_FAIL;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--eml") && i + 1 < argc && !file)
			file = argv[++i];
		else if (!strcmp(argv[i], "--tlp") && i + 1 < argc)
			tlp = argv[++i];
		else if (!strcmp(argv[i], "--dry-run"))
			dry = true;
		else if (!strcmp(argv[i], "--show-originals"))
			originals = true;
		else if (cli_audience_arg(argc, argv, &i, aud, &federation))
			;
		else {
			rc = s_usage("submit", EML_USAGE);
			goto out;
		}
	}
	if (!file || (!dry && !tlp) || (dry && (tlp || json_object_size(aud) || federation))) {
		rc = s_usage("submit", EML_USAGE);
		goto out;
	}
	/* without the configuration the node's own domains and redactions
	 * are unknown: a dry run would show less anonymization than there
	 * should be, and a real submission would share it */
	if (!o.cfg) {
		cli_fail("submit --eml needs --config FILE: the anonymization rules "
		    "(the [node] anonymize list) come from the node's configuration");
		goto out;
	}
	if (analyst_rules_from_config(o.cfg, &rules, &err) < 0) {
		cli_err(&err);
		goto out;
	}
	if (!(raw = (uint8_t *)cli_read_file(file, EML_MAX_SIZE, &len)))
		goto out;
	eml_opts eo = { .rules = rules };
	if (dry) {
		char *doc = eml_dry_run_json(raw, len, &eo, &err);
		json_t *j = doc ? json_loads(doc, JSON_PRESERVE_ORDER, NULL) : NULL;
		free(doc);
		if (!j) {
			if (err.code == SM_OK)
				sm_fail(&err, SM_ENOMEM, "out of memory");
			sm_wrap(&err, "%s: ", file);
			cli_err(&err);
			goto out;
		}
		if (!originals)
			s_hide_originals(j);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
		rc = 0;
		goto out;
	}
	{
		body_t b;
		eml_info info;
		char *bj;

		memset(&info, 0, sizeof(info));
		if (eml_parse(raw, len, &eo, &b, &info, &err) < 0) {
			sm_wrap(&err, "%s: ", file);
			cli_err(&err);
			goto out;
		}
		if (info.partial)
			fprintf(stderr, "sigmesh: %s: the message is broken or over a bound; "
			    "submitting what could be read\n", file);
		bj = body_to_json(&b);
		body_clear(&b);
		eml_info_clear(&info);
		if (!bj) {
			cli_fail("out of memory building the report body");
			goto out;
		}
		if (!o.data_dir) {
			free(bj);
			cli_fail("which node? the configuration names no data_dir");
			goto out;
		}
		rc = s_submit_body(&o, bj, tlp, aud, federation);
		aud = NULL;		/* consumed */
		free(bj);
	}
out:
	json_decref(aud);
	anon_rules_destroy(&rules);
	free(raw);
	cli_node_clear(&o);
	return rc;
}

/* ---- import ------------------------------------------------------------ */

#define IMPORT_USAGE "--stix21 FILE (--dry-run | --tlp LABEL " \
	"(--sig NAME... --org NAME... | --audience federation))"

int cmd_import(int argc, char **argv)
{
	struct cli_node o;
	const char *file = NULL, *tlp = NULL;
	bool dry = false, federation = false;
	json_t *aud = json_object();
	char *text = NULL, *bj = NULL;
	size_t len = 0;
	body_t b;
	sm_err err = {0};
	int rc = CLI_EXIT_FAIL;

	memset(&b, 0, sizeof(b));
	if (cli_node_opts(&argc, argv, &o, false) < 0) {
		json_decref(aud);
		return CLI_EXIT_FAIL;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--stix21") && i + 1 < argc && !file)
			file = argv[++i];
		else if (!strcmp(argv[i], "--tlp") && i + 1 < argc)
			tlp = argv[++i];
		else if (!strcmp(argv[i], "--dry-run"))
			dry = true;
		else if (cli_audience_arg(argc, argv, &i, aud, &federation))
			;
		else {
			rc = s_usage("import", IMPORT_USAGE);
			goto out;
		}
	}
	if (!file || (!dry && !tlp)) {
		rc = s_usage("import", IMPORT_USAGE);
		goto out;
	}
	if (!dry && !o.data_dir) {
		cli_fail("which node? give --config FILE, --data-dir DIR or set SIGMESH_DATA");
		goto out;
	}
	if (!(text = cli_read_file(file, STIX_IMPORT_MAX_LEN, &len)))
		goto out;
	if (stix_import(text, len, &b, &err) < 0) {
		sm_wrap(&err, "%s: ", file);
		cli_err(&err);
		goto out;
	}
	if (!(bj = body_to_json(&b))) {
		cli_fail("out of memory building the report body");
		goto out;
	}
	if (dry) {
		puts(bj);
		rc = 0;
		goto out;
	}
	rc = s_submit_body(&o, bj, tlp, aud, federation);
	aud = NULL;
out:
	json_decref(aud);
	body_clear(&b);
	free(bj);
	free(text);
	cli_node_clear(&o);
	return rc;
}

/* ---- export ------------------------------------------------------------ */

#define EXPORT_USAGE "--format stix21|misp|csv [--internal] [--tlp L] [--sig S] " \
	"[--originator O] [--since MS] [--until MS] [--out FILE]"

static int s_u64_arg(const char *s, json_int_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno || v > (unsigned long long)INT64_MAX)
		return -1;
	*out = (json_int_t)v;
	return 0;
}

/* Write text to path through a temporary file and a rename, so a reader
 * never sees half a document. Mode 0600: an export may hold AMBER. */
static int s_write_out(const char *path, const char *text, size_t len)
{
	char tmp[CONFIG_MAX_PATH + 16];
	FILE *f;
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
		return cli_fail("--out %s: path too long", path);
	if ((fd = mkstemp(tmp)) < 0)
		return cli_fail("--out %s: cannot create a file beside it: %s", path, strerror(errno));
	if (!(f = fdopen(fd, "wb"))) {
		close(fd);
		unlink(tmp);
		return cli_fail("--out %s: %s", path, strerror(errno));
	}
	if (fwrite(text, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(tmp);
		return cli_fail("--out %s: write failed: %s", path, strerror(errno));
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return cli_fail("--out %s: %s", path, strerror(errno));
	}
	return 0;
}

int cmd_export(int argc, char **argv)
{
	struct cli_node o;
	const char *out = NULL;
	json_t *req, *rep;
	int rc = CLI_EXIT_FAIL;

	if (cli_node_opts(&argc, argv, &o, true) < 0)
		return CLI_EXIT_FAIL;
	req = json_pack("{s:s}", "cmd", "export");
	for (int i = 1; i < argc; i++) {
		const char *k = argv[i];
		json_int_t v;
		if (!strcmp(k, "--internal")) {
			json_object_set_new(req, "internal", json_true());
			continue;
		}
		if (i + 1 >= argc)
			goto usage;
		if (!strcmp(k, "--format") || !strcmp(k, "--tlp") || !strcmp(k, "--sig") ||
		    !strcmp(k, "--originator"))
			json_object_set_new(req, k + 2, json_string(argv[++i]));
		else if (!strcmp(k, "--since") || !strcmp(k, "--until")) {
			if (s_u64_arg(argv[++i], &v) < 0) {
				json_decref(req);
				cli_node_clear(&o);
				return cli_fail("%s must be milliseconds since 1970, not '%s'", k, argv[i]);
			}
			json_object_set_new(req, !strcmp(k, "--since") ? "since_ms" : "until_ms",
			    json_integer(v));
		} else if (!strcmp(k, "--out"))
			out = argv[++i];
		else
			goto usage;
	}
	if (!json_object_get(req, "format"))
		goto usage;
	if (!(rep = cli_node_call(&o, req)))
		goto done;
	{
		const char *text = json_string_value(json_object_get(rep, "text"));
		size_t len = json_string_length(json_object_get(rep, "text"));
		if (!text)
			rc = cli_fail("the node's export reply has no text");
		else if (out)
			rc = s_write_out(out, text, len);
		else
			rc = fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 :
			    cli_fail("writing the export to stdout failed");
		if (rc == 0)
			fprintf(stderr, "sigmesh: exported %lld of %lld matching report(s) as %s%s%s\n",
			    (long long)json_integer_value(json_object_get(rep, "exported")),
			    (long long)json_integer_value(json_object_get(rep, "reports")),
			    json_string_value(json_object_get(rep, "format")),
			    out ? " to " : "", out ? out : "");
	}
	json_decref(rep);
done:
	cli_node_clear(&o);
	return rc;
usage:
	json_decref(req);
	cli_node_clear(&o);
	return s_usage("export", EXPORT_USAGE);
}

/* ---- stats ------------------------------------------------------------- */

/* stats_t from stats_json's document (the node computed it), for
 * stats_svg. The JSON lists each table's rows in the enum's order; the
 * labels are checked against the names, so a change of order in stats.c
 * fails here instead of drawing wrong charts. */
static int s_stats_from_json(json_t *doc, stats_t *st, sm_err *err)
{
	struct { const char *key; uint64_t *v; size_t n; const char *(*name)(uint8_t); } tab[] = {
		{ "mail_types", st->mail_type, 4, body_mail_type_name },
		{ "attachments", st->file_class, 8, body_file_class_name },
		{ "senders", st->sender_class, 5, body_sender_class_name },
		{ "tlp", st->tlp, 5, tlp_name },
	};
	json_t *arr, *row;
	size_t i;

	memset(st, 0, sizeof(*st));
	st->n_reports = (uint64_t)json_integer_value(json_object_get(doc, "reports"));
	st->n_readable = (uint64_t)json_integer_value(json_object_get(doc, "readable"));
	arr = json_object_get(doc, "quarters");
	if (json_array_size(arr) > STATS_MAX_QUARTERS)
		return sm_fail(err, SM_EBOUND, "stats: %zu quarters, at most %d",
		    json_array_size(arr), STATS_MAX_QUARTERS);
	json_array_foreach(arr, i, row) {
		const char *l = json_string_value(json_object_get(row, "label"));
		snprintf(st->quarters[i].label, sizeof(st->quarters[i].label), "%s", l ? l : "?");
		st->quarters[i].n = (uint64_t)json_integer_value(json_object_get(row, "count"));
	}
	st->n_quarters = json_array_size(arr);
	for (size_t t = 0; t < sizeof(tab) / sizeof(tab[0]); t++) {
		arr = json_object_get(doc, tab[t].key);
		if (json_array_size(arr) != tab[t].n)
			return sm_fail(err, SM_EMALFORMED, "stats: table %s has %zu rows, expected %zu",
			    tab[t].key, json_array_size(arr), tab[t].n);
		json_array_foreach(arr, i, row) {
			const char *l = json_string_value(json_object_get(row, "label"));
			const char *want = tab[t].name((uint8_t)i);
			/* tlp_name is "TLP:AMBER"; stats may print it shorter */
			if (!l || !want || (strcasecmp(l, want) && strcasecmp(l, want + (strncmp(want, "TLP:", 4) ? 0 : 4))))
				return sm_fail(err, SM_EMALFORMED, "stats: table %s row %zu is '%s', expected '%s'",
				    tab[t].key, i, l ? l : "?", want ? want : "?");
			tab[t].v[i] = (uint64_t)json_integer_value(json_object_get(row, "count"));
		}
	}
	arr = json_object_get(doc, "top_indicators");
	json_array_foreach(arr, i, row) {
		const char *l = json_string_value(json_object_get(row, "label"));
		if (i >= STATS_TOP)
			break;
		if (!(st->top[i].value = strdup(l ? l : "?"))) {
			stats_clear(st);
			return sm_fail(err, SM_ENOMEM, "stats: out of memory");
		}
		st->top[i].n_orgs = (uint32_t)json_integer_value(json_object_get(row, "count"));
		st->top[i].n_reports = (uint32_t)json_integer_value(json_object_get(row, "reports"));
		st->n_top = i + 1;
	}
	for (i = 0; i < 8; i++)
		st->n_atts += st->file_class[i];
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	struct cli_node o;
	const char *svg = NULL;
	json_t *req, *rep;
	int rc = CLI_EXIT_FAIL;

	if (cli_node_opts(&argc, argv, &o, true) < 0)
		return CLI_EXIT_FAIL;
	req = json_pack("{s:s}", "cmd", "stats");
	for (int i = 1; i < argc; i++) {
		const char *k = argv[i];
		json_int_t v;
		if (i + 1 >= argc)
			goto usage;
		if (!strcmp(k, "--from") || !strcmp(k, "--to")) {
			if (s_u64_arg(argv[++i], &v) < 0) {
				json_decref(req);
				cli_node_clear(&o);
				return cli_fail("%s must be milliseconds since 1970, not '%s'", k, argv[i]);
			}
			json_object_set_new(req, !strcmp(k, "--from") ? "from_ms" : "to_ms", json_integer(v));
		} else if (!strcmp(k, "--svg"))
			svg = argv[++i];
		else
			goto usage;
	}
	if (svg) {
		struct stat sb;
		if (stat(svg, &sb) < 0 && mkdir(svg, 0755) < 0) {
			rc = cli_fail("--svg %s: cannot create the directory: %s", svg, strerror(errno));
			json_decref(req);
			goto done;
		}
	}
	if (!(rep = cli_node_call(&o, req)))
		goto done;
	if (o.json)
		json_dumpf(json_object_get(rep, "stats"), stdout, JSON_INDENT(2) | JSON_SORT_KEYS),
		    putchar('\n');
	else
		fputs(json_string_value(json_object_get(rep, "text")) ?
		    json_string_value(json_object_get(rep, "text")) : "", stdout);
	rc = 0;
	if (svg) {
		stats_t st;
		sm_err err = {0};
		if (s_stats_from_json(json_object_get(rep, "stats"), &st, &err) < 0 ||
		    stats_svg(&st, svg, &err) < 0)
			rc = cli_err(&err);
		stats_clear(&st);
		if (rc == 0)
			fprintf(stderr, "sigmesh: charts written to %s\n", svg);
	}
	json_decref(rep);
done:
	cli_node_clear(&o);
	return rc;
usage:
	json_decref(req);
	cli_node_clear(&o);
	return s_usage("stats", "[--from MS] [--to MS] [--json] [--svg DIR]");
}
