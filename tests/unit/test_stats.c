/*
 * tests/unit/test_stats.c — fiscal quarters, shares, the "seen by several
 * organizations" table, and the SVG charts. With STATS_OUT_DIR set the
 * charts are written there (tests/integration/stix_validate.sh parses them
 * as XML); otherwise into a temporary directory removed afterwards.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node/stats.h"
#include "node/store.h"
#include "node/svg.h"
#include "proto/msg.h"
#include "tests/test.h"

/* 2014-04-01T00:00:00+09:00 = 2014-03-31T15:00:00Z */
#define FY2014_START 1396278000000ULL
#define DAY 86400000ULL

static char *shared_url = "http://x.example/?a=1&b=<2>";
static char *dom_a[] = { "c2.shared.example" };
static char *urls_a[] = { "http://x.example/?a=1&b=<2>" };
static body_attachment att_exe = { .name = "a.exe", .file_class = FILE_EXECUTABLE };
static body_attachment att_doc[2] = { { .name = "b.doc", .file_class = FILE_OFFICE },
	{ .name = "c.lnk", .file_class = FILE_SHORTCUT } };

static body_t b_att1 = { .title = "1", .mail_type = MAIL_ATTACHMENT,
	.sender_class = SENDER_FREEMAIL_DOMESTIC, .n_atts = 1, .atts = &att_exe,
	.n_domains = 1, .domains = dom_a, .n_urls = 1, .urls = urls_a };
static body_t b_att2 = { .title = "2", .mail_type = MAIL_ATTACHMENT,
	.sender_class = SENDER_FREEMAIL_FOREIGN, .n_atts = 2, .atts = att_doc,
	.n_domains = 1, .domains = dom_a };
static body_t b_link = { .title = "3", .mail_type = MAIL_LINK,
	.sender_class = SENDER_CORPORATE, .n_urls = 1, .urls = urls_a };
static body_t b_recon = { .title = "4", .mail_type = MAIL_RECON,
	.sender_class = SENDER_FREEMAIL_DOMESTIC };

static export_sighting sg_c[2];
static export_item items[10];
static size_t n_items;

static void mk(uint8_t org_tag, uint64_t t, uint8_t tlp, const body_t *b)
{
	export_item *it = &items[n_items];
	memset(it, 0, sizeof *it);
	it->id[0] = (uint8_t)(n_items + 1);
	memset(it->originator, org_tag, 32);
	it->created_ms = t;
	it->tlp = tlp;
	it->body = b;
	n_items++;
}

static void setup(void)
{
	(void)shared_url;
	n_items = 0;
	memset(sg_c, 0, sizeof sg_c);
	memset(sg_c[0].org, 0xC0, 32);
	sg_c[0].kind = SM_SIGHT_SEEN;
	sg_c[0].count = 1;
	memset(sg_c[1].org, 0xD0, 32);
	sg_c[1].kind = SM_SIGHT_FALSE_POSITIVE;	/* does not count as seen */
	sg_c[1].count = 1;
	/* FY2014 Q1: 4 reports (one unreadable) */
	mk(0xA0, FY2014_START, SM_TLP_AMBER, &b_att1);
	mk(0xB0, FY2014_START + 10 * DAY, SM_TLP_AMBER, &b_att2);
	items[1].n_sightings = 2;
	items[1].sightings = sg_c;
	mk(0xA0, FY2014_START + 20 * DAY, SM_TLP_GREEN, &b_link);
	mk(0xA0, FY2014_START + 30 * DAY, SM_TLP_RED, NULL);
	/* FY2014 Q2: 2 */
	mk(0xB0, FY2014_START + 100 * DAY, SM_TLP_AMBER, &b_att1);
	mk(0xA0, FY2014_START + 120 * DAY, SM_TLP_CLEAR, &b_recon);
	/* FY2014 Q3: none; Q4 (Feb 2015): 1 */
	mk(0xA0, FY2014_START + 320 * DAY, SM_TLP_AMBER_STRICT, &b_recon);
	/* retracted, and out of range: not counted */
	mk(0xA0, FY2014_START + 5 * DAY, SM_TLP_AMBER, &b_att1);
	items[n_items - 1].retracted = true;
	mk(0xA0, FY2014_START + 400 * DAY, SM_TLP_AMBER, &b_att1);
}

static void test_quarter_labels(void)
{
	char l[16];
	stats_quarter_label(FY2014_START, l);
	CHECK(!strcmp(l, "FY2014 Q1"));
	stats_quarter_label(FY2014_START - 1, l);	/* 23:59:59.999 JST Mar 31 */
	CHECK(!strcmp(l, "FY2013 Q4"));
	stats_quarter_label(FY2014_START + 91 * DAY, l);	/* Jul 1 */
	CHECK(!strcmp(l, "FY2014 Q2"));
	stats_quarter_label(FY2014_START + 275 * DAY, l);	/* Jan 1 2015 */
	CHECK(!strcmp(l, "FY2014 Q4"));
	stats_quarter_label(FY2014_START + 365 * DAY, l);	/* Apr 1 2015 */
	CHECK(!strcmp(l, "FY2015 Q1"));
}

static void test_counts_and_shares(void)
{
	setup();
	stats_t s;
	sm_err e;
	int rc = stats_compute(items, n_items, FY2014_START,
	    FY2014_START + 365 * DAY, &s, &e);
	CHECKF(rc == 0, "%s", e.msg);
	if (rc)
		return;
	CHECK(s.n_reports == 7);
	CHECK(s.n_readable == 6);
	CHECK(s.n_quarters == 4);
	CHECK(!strcmp(s.quarters[0].label, "FY2014 Q1") && s.quarters[0].n == 4);
	CHECK(!strcmp(s.quarters[1].label, "FY2014 Q2") && s.quarters[1].n == 2);
	CHECK(!strcmp(s.quarters[2].label, "FY2014 Q3") && s.quarters[2].n == 0);
	CHECK(!strcmp(s.quarters[3].label, "FY2014 Q4") && s.quarters[3].n == 1);
	CHECK(s.mail_type[MAIL_ATTACHMENT] == 3 && s.mail_type[MAIL_LINK] == 1 &&
	    s.mail_type[MAIL_RECON] == 2 && s.mail_type[MAIL_UNKNOWN] == 0);
	CHECK(s.sender_class[SENDER_FREEMAIL_DOMESTIC] == 4);
	CHECK(s.n_atts == 4 && s.file_class[FILE_EXECUTABLE] == 2 &&
	    s.file_class[FILE_OFFICE] == 1 && s.file_class[FILE_SHORTCUT] == 1);
	CHECK(s.tlp[SM_TLP_AMBER] == 3 && s.tlp[SM_TLP_RED] == 1 &&
	    s.tlp[SM_TLP_CLEAR] == 1 && s.tlp[SM_TLP_GREEN] == 1 &&
	    s.tlp[SM_TLP_AMBER_STRICT] == 1);
	/* the domain: reports of A (x1) and B (x2), seen by C -> 3 orgs;
	 * the URL: A (x2 reports) and B -> 2 orgs; the FP org D not counted */
	CHECK(s.n_top == 2);
	CHECK(s.n_top == 2 && s.top[0].type == IND_DOMAIN &&
	    !strcmp(s.top[0].value, "c2.shared.example") && s.top[0].n_orgs == 3 &&
	    s.top[0].n_reports == 3);
	CHECK(s.n_top == 2 && s.top[1].type == IND_URL && s.top[1].n_orgs == 2 &&
	    s.top[1].n_reports == 3);

	/* JSON shares: attachment 3 of 6 readable = 50% */
	char *j = stats_json(&s);
	CHECK(j != NULL);
	json_t *doc = j ? json_loads(j, 0, NULL) : NULL;
	json_t *mt = json_object_get(doc, "mail_types");
	json_t *att = json_array_get(mt, MAIL_ATTACHMENT);
	CHECK(!strcmp(json_string_value(json_object_get(att, "label")), "attachment"));
	CHECK(json_real_value(json_object_get(att, "percent")) > 49.99 &&
	    json_real_value(json_object_get(att, "percent")) < 50.01);
	json_t *q = json_array_get(json_object_get(doc, "quarters"), 0);
	CHECK(json_integer_value(json_object_get(q, "count")) == 4);
	CHECK(json_array_size(json_object_get(doc, "top_indicators")) == 2);
	json_decref(doc);
	free(j);

	/* text tables */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK(stats_print(f, &s, &e) == 0);
	fclose(f);
	CHECK(buf && strstr(buf, "FY2014 Q1") && strstr(buf, "57.1%") &&
	    strstr(buf, "c2.shared.example"));
	free(buf);
	stats_clear(&s);
	CHECK(s.n_top == 0);
	stats_clear(&s);	/* idempotent */
}

static void test_span_bound(void)
{
	setup();
	items[0].created_ms = 1000;	/* 1970: 45 years before the rest */
	stats_t s;
	sm_err e;
	CHECK(stats_compute(items, n_items, 0, 0, &s, &e) == -1 &&
	    e.code == SM_EBOUND);
	CHECK(s.n_reports == 0);
	/* nothing in range: empty, not an error */
	CHECK(stats_compute(items, n_items, 1, 2, &s, &e) == 0 &&
	    s.n_reports == 0 && s.n_quarters == 0);
	stats_clear(&s);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_svg(void)
{
	setup();
	stats_t s;
	sm_err e;
	CHECK(stats_compute(items, n_items, FY2014_START,
	    FY2014_START + 365 * DAY, &s, &e) == 0);
	const char *outdir = getenv("STATS_OUT_DIR");
	char tmpl[] = "/tmp/sigmesh-stats-XXXXXX";
	const char *dir = outdir && *outdir ? outdir : mkdtemp(tmpl);
	CHECK(dir != NULL);
	if (!dir)
		return;
	CHECKF(stats_svg(&s, dir, &e) == 0, "%s", e.msg);
	const char *files[] = { "quarters", "mail_types", "attachments",
	    "senders", "tlp", "top_indicators" };
	for (size_t k = 0; k < 6; k++) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s.svg", dir, files[k]);
		char *d = slurp(path);
		CHECKF(d != NULL, "%s", path);
		if (!d)
			continue;
		CHECK(!strncmp(d, "<?xml", 5) && strstr(d, "</svg>\n"));
		CHECK(count(d, "<text") == count(d, "</text>"));
		CHECK(count(d, "%)</text>") + count(d, "%</text>") >= 1);
		if (!strcmp(files[k], "quarters")) {
			CHECK(count(d, "<rect") == 1 + 4);	/* background + bars */
			CHECK(strstr(d, ">4 (57.1%)</text>") != NULL);
		}
		if (!strcmp(files[k], "mail_types")) {
			/* 3 non-zero slices, 4 legend swatches */
			CHECK(count(d, "<path") == 3);
			CHECK(count(d, "<rect") == 1 + 4);
			CHECK(strstr(d, "attachment  3 (50.0%)") != NULL);
		}
		if (!strcmp(files[k], "top_indicators")) {
			CHECK(strstr(d, "http://x.example/?a=1&amp;b=&lt;2&gt;") != NULL);
			CHECK(strstr(d, "<2>") == NULL);
		}
		free(d);
		if (!outdir || !*outdir)
			unlink(path);
	}
	if (!outdir || !*outdir)
		rmdir(dir);
	/* a chart of one value is a full circle */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	svg_slice one[2] = { { "all", 5 }, { "none", 0 } };
	CHECK(svg_pie_chart(f, "t & <u>", one, 2, &e) == 0);
	fclose(f);
	CHECK(buf && count(buf, "<circle") == 1 && count(buf, "<path") == 0 &&
	    strstr(buf, "t &amp; &lt;u&gt;") && strstr(buf, "all  5 (100.0%)"));
	free(buf);
	stats_clear(&s);
}

int main(void)
{
	RUN(test_quarter_labels);
	RUN(test_counts_and_shares);
	RUN(test_span_bound);
	RUN(test_svg);
	TEST_EXIT();
}
