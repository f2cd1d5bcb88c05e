/*
 * sim/workload.c — what the organizations do during a run, decided before
 * the run from --seed alone, so two runs with the same seed submit the same
 * reports in the same order.
 *
 * fy2014: the J-CSIP FY2014 year (CONTEXT.md): 626 submissions whose
 *   quarterly counts follow 259/100/158/109, compressed so the mean rate is
 *   --rate reports per second (each quarter lasts a quarter of the run).
 *   Report bodies follow the published shares: mail type 52% attachment,
 *   35% unknown (fragments), the rest link and reconnaissance; attachments
 *   about half executables, 31% Office, then shortcuts and Ichitaro;
 *   senders 71% free mail, 4% ISP, 15% corporate, the rest unknown.
 * burst: the same mix, every submission due at once (as fast as the
 *   network acknowledges).
 *
 * Follow-ups: some AMBER reports are released to another SIG a few seconds
 * later, other audience members report sightings, and a few reports are
 * retracted by their originator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/sim.h"

/* JSON names of the report body (PROTOCOL.md §5, mirroring proto/body.h).
 * Kept together so a rename in the protocol is a one-place change here. */
#define BJ_TITLE "title"
#define BJ_MAIL_TYPE "mail_type"
#define BJ_SENDER_CLASS "sender_class"
#define BJ_FIRST_SEEN "first_seen_ms"
#define BJ_FROM "from"
#define BJ_ADDR "address"
#define BJ_NAME "name"
#define BJ_REPLY_TO "reply_to"
#define BJ_SUBJECT "subject"
#define BJ_MESSAGE_ID "message_id"
#define BJ_X_MAILER "x_mailer"
#define BJ_RELAYS "relays"
#define BJ_URLS "urls"
#define BJ_DOMAINS "domains"
#define BJ_ATTS "attachments"
#define BJ_ATT_NAME "name"
#define BJ_ATT_MIME "mime"
#define BJ_ATT_SIZE "size"
#define BJ_ATT_SHA256 "sha256"
#define BJ_ATT_CLASS "file_class"
#define BJ_ATT_FLAGS "flags"
#define BJ_C2 "c2"
#define BJ_HOST "host"
#define BJ_IP "ip"
#define BJ_PORT "port"
#define BJ_LABELS "labels"
#define BJ_ANALYSIS "analysis"
/* Enum values as the C names, lower-case (body_*_name in proto/body.h). */
static const char *const mail_types[] = { "unknown", "attachment", "link", "reconnaissance" };
static const char *const sender_classes[] = {
	"unknown", "freemail-domestic", "freemail-foreign", "isp", "corporate",
};
static const char *const file_classes[] = {
	"other", "executable", "office", "shortcut", "pdf", "archive", "script", "ichitaro",
};
enum { F_DOUBLE_EXT = 1, F_RLO = 2, F_FAKE_ICON = 4, F_MACROS = 8, F_ENCRYPTED = 16 };
/* Attachment flags travel as a list of names, bit 0 first. */
static const char *const flag_names[] = { "double-extension", "rlo", "fake-icon", "macros", "encrypted" };

static json_t *s_flags(int flags)
{
	json_t *a = json_array();

	for (int b = 0; b < 5; b++)
		if (flags & (1 << b))
			json_array_append_new(a, json_string(flag_names[b]));
	return a;
}

static const int fy2014_quarters[4] = { 259, 100, 158, 109 };

/* ---- pick from a weighted table ---- */
static int s_pick(sim_rng *r, const int *w, int n)
{
	int total = 0, x;

	for (int i = 0; i < n; i++)
		total += w[i];
	x = (int)rng_below(r, (uint32_t)total);
	for (int i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

static const char *s_one(sim_rng *r, const char *const *v, int n)
{
	return v[rng_below(r, (uint32_t)n)];
}
#define ONE(r, v) s_one(r, v, (int)(sizeof(v) / sizeof(v[0])))

static const char *const syll[] = {
	"sec", "upd", "mail", "net", "doc", "cloud", "soft", "info", "web", "data",
	"portal", "login", "auth", "link", "file", "share", "micro", "global", "corp", "office",
};
static const char *const tlds[] = { "com", "net", "org", "info", "biz", "xyz", "top", "jp" };
static const char *const freemail_jp[] = { "yahoo.co.jp", "excite.co.jp", "goo.jp", "livedoor.com" };
static const char *const freemail_intl[] = { "gmail.com", "outlook.com", "hotmail.com", "163.com", "mail.ru", "aol.com" };
static const char *const isp_jp[] = { "ocn.ne.jp", "plala.or.jp", "so-net.ne.jp", "biglobe.ne.jp", "nifty.com" };
static const char *const surnames[] = { "Sato", "Suzuki", "Takahashi", "Tanaka", "Ito", "Watanabe", "Yamamoto", "Nakamura", "Kobayashi", "Kato" };
static const char *const lures[] = {
	"Invitation to the plant safety seminar", "Revised purchase order", "Request for quotation",
	"Meeting materials for next week", "Notice of system maintenance", "Updated organisation chart",
	"Questionnaire on energy policy", "Invoice for March", "Your mailbox is almost full",
	"Conference registration confirmation", "Press release draft", "Shipping document (B/L)",
	"Recruitment inquiry", "Re: technical specifications", "Password expiry notice",
};
static const char *const docnames[] = {
	"seminar", "order", "quotation", "materials", "schedule", "report", "invoice", "specification", "list", "resume",
};
static const char *const mailers[] = { "Microsoft Outlook 16.0", "Thunderbird 38", "", "Becky! ver. 2.70", "PHPMailer 5.2" };

static void s_domain(sim_rng *r, char *out, size_t n)
{
	snprintf(out, n, "%s%s%u.%s", ONE(r, syll), ONE(r, syll), rng_below(r, 100), ONE(r, tlds));
}

static void s_ip(sim_rng *r, char *out, size_t n)
{
	static const char *const nets[] = { "192.0.2", "198.51.100", "203.0.113" };

	snprintf(out, n, "%s.%u", ONE(r, nets), 1 + rng_below(r, 254));
}

static void s_hex(sim_rng *r, char *out, size_t bytes)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < bytes; i++) {
		uint32_t b = rng_below(r, 256);

		out[2 * i] = hx[b >> 4];
		out[2 * i + 1] = hx[b & 15];
	}
	out[2 * bytes] = '\0';
}

static json_t *s_host(sim_rng *r, bool with_name)
{
	char ip[32], dom[96];
	static const int ports[] = { 80, 443, 443, 8080, 53, 995 };

	s_ip(r, ip, sizeof(ip));
	s_domain(r, dom, sizeof(dom));
	return json_pack("{s:s?, s:s, s:i}", BJ_HOST, with_name ? dom : NULL, BJ_IP, ip,
	    BJ_PORT, ports[rng_below(r, 6)]);
}

static json_t *s_attachment(sim_rng *r)
{
	static const int class_w[] = { 0, 50, 31, 8, 3, 3, 0, 5 };	/* by file_classes[] */
	int fc = s_pick(r, class_w, 8), flags = 0;
	char name[160], sha[65];
	const char *mime = "application/octet-stream", *doc = ONE(r, docnames);

	switch (fc) {
	case 1:	/* executables: faked icons, double extensions, RLO tricks */
		flags = F_FAKE_ICON;
		if (rng_below(r, 3) == 0) {
			flags |= F_RLO;
			snprintf(name, sizeof(name), "%s\xe2\x80\xaexcod.scr", doc);
		} else if (rng_below(r, 2) == 0) {
			flags |= F_DOUBLE_EXT;
			snprintf(name, sizeof(name), "%s.pdf.exe", doc);
		} else {
			snprintf(name, sizeof(name), "%s.exe", doc);
		}
		if (rng_below(r, 2) == 0) {
			flags |= F_ENCRYPTED;
			mime = "application/zip";
			strncat(name, ".zip", sizeof(name) - strlen(name) - 1);
		}
		break;
	case 2:
		mime = "application/vnd.ms-word.document.macroEnabled.12";
		flags = rng_below(r, 2) ? F_MACROS : 0;
		snprintf(name, sizeof(name), "%s.%s", doc, flags ? "docm" : "doc");
		break;
	case 3:
		snprintf(name, sizeof(name), "%s.lnk", doc);
		break;
	case 4:
		mime = "application/pdf";
		snprintf(name, sizeof(name), "%s.pdf", doc);
		break;
	case 5:
		mime = "application/x-rar-compressed";
		snprintf(name, sizeof(name), "%s.rar", doc);
		break;
	default:
		mime = "application/x-js-taro";
		snprintf(name, sizeof(name), "%s.jtd", doc);
		break;
	}
	s_hex(r, sha, 32);
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:o}", BJ_ATT_NAME, name,
	    BJ_ATT_MIME, mime, BJ_ATT_SIZE, (json_int_t)(20000 + rng_below(r, 900000)),
	    BJ_ATT_SHA256, sha, BJ_ATT_CLASS, file_classes[fc], BJ_ATT_FLAGS, s_flags(flags));
}

/* Analyst notes to fill a body up to --body-bytes: realistic free text, so
 * that size-dependent costs (encryption, store, wire) are measured on a
 * body of the size asked for. */
static const char *const notes[] = {
	"The attachment drops a loader into the user's profile directory and adds a Run key. ",
	"Outbound beacons every 60 seconds over HTTPS to the listed C2 host, fixed user agent. ",
	"The lure reuses a real press release of a partner company, sent within a day of it. ",
	"Several recipients in the same department; the sender address changed once per wave. ",
	"Sandbox run shows the payload checks for analysis tools before unpacking the second stage. ",
	"Mail gateway logs show the same relay chain as a campaign seen earlier this quarter. ",
	"Domain registered three days before the first mail, privacy-protected registrant. ",
	"No credential entered on the fake login page according to proxy logs; password reset done. ",
};

static char *s_pad(sim_rng *r, json_t *b, size_t want)
{
	char *out = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	size_t have = out ? strlen(out) : 0;

	if (!out || have >= want)
		return out;
	const char *a = json_string_value(json_object_get(b, BJ_ANALYSIS));
	size_t need = want - have, alen = a ? strlen(a) : 0, len = alen;
	char *text = malloc(alen + need + 128);

	if (!text)
		return out;
	memcpy(text, a ? a : "", alen);
	text[len++] = ' ';
	while (len < alen + need) {
		const char *n = ONE(r, notes);
		size_t nl = strlen(n), take = nl < alen + need - len ? nl : alen + need - len;

		memcpy(text + len, n, take);
		len += take;
	}
	text[len] = '\0';
	if (json_object_set_new(b, BJ_ANALYSIS, json_string(text)) == 0) {
		free(out);
		out = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	}
	free(text);
	return out;
}

char *workload_body(sim_rng *r, const profile *p, int org, int64_t now_ms, size_t body_bytes)
{
	static const int mail_w[] = { 35, 52, 8, 5 };		/* unknown, attachment, link, recon */
	static const int sender_w[] = { 10, 40, 31, 4, 15 };	/* by sender_classes[] */
	int mt = s_pick(r, mail_w, 4), sc = s_pick(r, sender_w, 5);
	char addr[200], dom[96], subj[200], title[300], msgid[200], url[300];
	const char *mdom, *who = ONE(r, surnames);
	json_t *b, *urls = json_array(), *doms = json_array(), *atts = json_array();
	json_t *c2 = json_array(), *relays = json_array(), *labels = json_array();
	char *out;

	switch (sc) {
	case 1: mdom = ONE(r, freemail_jp); break;
	case 2: mdom = ONE(r, freemail_intl); break;
	case 3: mdom = ONE(r, isp_jp); break;
	case 4: s_domain(r, dom, sizeof(dom)); mdom = dom; break;	/* spoofed corporate */
	default: mdom = "unknown.invalid"; break;
	}
	snprintf(addr, sizeof(addr), "%c.%s%u@%s", "abcdefghkmnst"[rng_below(r, 13)],
	    who, rng_below(r, 90), mdom);
	for (char *c = addr; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c += 'a' - 'A';
	snprintf(subj, sizeof(subj), "%s%s", rng_below(r, 4) == 0 ? "Re: " : "", ONE(r, lures));
	snprintf(title, sizeof(title), "%s targeted email: \"%s\" (%s)",
	    mt == 0 ? "Fragment of a" : "", subj, p->sigs[p->orgs[org].home].name);
	if (mt == 0)
		memmove(title, "Targeted email fragment", 24);
	snprintf(msgid, sizeof(msgid), "<%llx.%u@%s>", (unsigned long long)(rng_next(r) >> 16),
	    rng_below(r, 100000), mdom);
	json_array_append_new(relays, s_host(r, rng_below(r, 2)));
	if (mt == 1) {
		int n = 1 + (rng_below(r, 5) == 0);

		for (int i = 0; i < n; i++)
			json_array_append_new(atts, s_attachment(r));
	}
	if (mt == 2) {
		s_domain(r, dom, sizeof(dom));
		snprintf(url, sizeof(url), "https://%s/%s/login.php?id=%u", dom, ONE(r, syll),
		    rng_below(r, 100000));
		json_array_append_new(urls, json_string(url));
		json_array_append_new(doms, json_string(dom));
	}
	if (mt == 1 || mt == 2) {
		int n = 1 + rng_below(r, 3);

		for (int i = 0; i < n; i++) {
			json_t *h = s_host(r, true);

			json_array_append(doms, json_object_get(h, BJ_HOST));
			json_array_append_new(c2, h);
		}
	}
	json_array_append_new(labels, json_string(mt == 3 ? "reconnaissance" : "targeted-attack"));
	b = json_pack("{s:s, s:s, s:s, s:I, s:[{s:s, s:s}], s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s}",
	    BJ_TITLE, title, BJ_MAIL_TYPE, mail_types[mt], BJ_SENDER_CLASS, sender_classes[sc],
	    BJ_FIRST_SEEN, (json_int_t)(now_ms - 3600000 - rng_below(r, 36000000)),
	    BJ_FROM, BJ_ADDR, addr, BJ_NAME, who,
	    BJ_SUBJECT, subj, BJ_MESSAGE_ID, msgid, BJ_X_MAILER, ONE(r, mailers),
	    BJ_RELAYS, relays, BJ_URLS, urls, BJ_DOMAINS, doms, BJ_ATTS, atts, BJ_C2, c2,
	    BJ_LABELS, labels,
	    BJ_ANALYSIS, mt == 0 ? "Quarantined at the gateway; only headers were kept." :
	    "Received by several employees; no one opened the payload.");
	if (!b)
		return NULL;
	out = s_pad(r, b, body_bytes);
	json_decref(b);
	return out;
}

/* ---- the event list ---- */
static sim_event *s_push(workload *w)
{
	if (w->n == w->cap) {
		int cap = w->cap ? 2 * w->cap : 1024;
		sim_event *ev = realloc(w->ev, (size_t)cap * sizeof(*ev));

		if (!ev)
			return NULL;
		w->ev = ev;
		w->cap = cap;
	}
	memset(&w->ev[w->n], 0, sizeof(sim_event));
	return &w->ev[w->n++];
}

static void s_audience(sim_rng *r, const profile *p, int org, int tlp, sim_aud *a)
{
	const prof_org *o = &p->orgs[org];

	memset(a, 0, sizeof(*a));
	if (tlp == TLP_CLEAR || tlp == TLP_GREEN) {
		a->federation = true;
		return;
	}
	if (tlp == TLP_RED) {
		int n = 1 + rng_below(r, 3);

		for (int i = 0; i < n && a->n_orgs < SIM_AUD_MAX; i++) {
			int x = (int)rng_below(r, (uint32_t)p->n_orgs);

			if (x != org && !aud_has_org(a, x))
				a->orgs[a->n_orgs++] = x;
		}
		if (a->n_orgs == 0)
			a->orgs[a->n_orgs++] = (org + 1) % p->n_orgs;
		return;
	}
	/* AMBER: own SIG mostly; sometimes a second SIG or a few named orgs */
	a->sigs[a->n_sigs++] = o->home;
	uint32_t x = rng_below(r, 100);
	if (x < 12 && p->n_sigs > 1) {
		int s = (int)rng_below(r, (uint32_t)p->n_sigs);

		if (!aud_has_sig(a, s))
			a->sigs[a->n_sigs++] = s;
	} else if (x < 20) {
		int n = 1 + rng_below(r, 2);

		for (int i = 0; i < n; i++) {
			int y = (int)rng_below(r, (uint32_t)p->n_orgs);

			if (!profile_is_member(p, y, o->home) && !aud_has_org(a, y))
				a->orgs[a->n_orgs++] = y;
		}
	}
}

static const workload *s_sort_w;	/* qsort context; the sim is single-threaded */
static int s_cmp(const void *a, const void *b)
{
	const sim_event *x = &s_sort_w->ev[*(const int *)a], *y = &s_sort_w->ev[*(const int *)b];

	if (x->at_ms != y->at_ms)
		return x->at_ms < y->at_ms ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

int workload_generate(workload *w, const profile *p, const workload_opts *o,
    sm_err *err)
{
	static const int tlp_w[TLP_N] = { 12, 22, 55, 7, 4 };	/* clear green amber strict red */
	bool burst = strcmp(o->kind, "burst") == 0;
	double rate = o->rate > 0 ? o->rate : 12.0;
	int n = o->reports > 0 ? o->reports : 626;
	sim_rng r;
	int64_t now = sim_now_ms();

	memset(w, 0, sizeof(*w));
	if (!burst && strcmp(o->kind, "fy2014") != 0)
		return sm_fail(err, SM_EINVAL, "workload '%s': expected fy2014 or burst", o->kind);
	if (o->duration_s > 0 && o->reports <= 0)
		n = (int)(rate * o->duration_s);
	if (o->body_bytes > BODY_MAX_PAD)
		return sm_fail(err, SM_EBOUND, "workload: body of %zu bytes (at most %d)",
		    o->body_bytes, BODY_MAX_PAD);
	if (n < 1 || n > 1000000)
		return sm_fail(err, SM_EBOUND, "workload: %d reports (1..1000000)", n);
	rng_seed(&r, o->seed);
	w->duration_ms = burst ? 0 : (int64_t)(n / rate * 1000.0);
	w->n_reports = n;

	/* Submissions: spread over four equal quarters in FY2014 proportions. */
	int qn[4], done = 0;
	for (int q = 0; q < 4; q++) {
		qn[q] = q < 3 ? n * fy2014_quarters[q] / 626 : n - done;
		done += qn[q];
	}
	for (int q = 0; q < 4; q++) {
		for (int k = 0; k < qn[q]; k++) {
			sim_event *e = s_push(w);

			if (!e)
				goto nomem;
			e->kind = EV_SUBMIT;
			/* evenly spaced within the quarter, with jitter */
			e->at_ms = burst ? 0 : (int64_t)((q + (k + rng_unit(&r)) / qn[q]) * w->duration_ms / 4);
			e->org = (int)rng_below(&r, (uint32_t)p->n_orgs);
			e->tlp = s_pick(&r, tlp_w, TLP_N);
			e->report = w->n - 1;
			s_audience(&r, p, e->org, e->tlp, &e->aud);
			e->body = workload_body(&r, p, e->org, now, o->body_bytes);
			if (!e->body)
				goto nomem;
		}
	}
	/* Follow-ups, planned relative to their report. */
	uint8_t *set = malloc(p->n_orgs);
	if (!set)
		goto nomem;
	for (int i = 0; i < n; i++) {
		sim_event rep = w->ev[i];	/* copy: s_push may move the array */
		int64_t t = rep.at_ms;

		/* a release widens the audience by a SIG it does not name yet:
		 * none when it names them all (two SIGs, both named) */
		if ((rep.tlp == TLP_AMBER || rep.tlp == TLP_AMBER_STRICT) && (int)rep.aud.n_sigs < p->n_sigs &&
		    rng_below(&r, 100) < 8) {
			sim_event *e = s_push(w);
			int s = (int)rng_below(&r, (uint32_t)p->n_sigs);

			if (!e)
				goto nomem2;
			while (aud_has_sig(&rep.aud, s))
				s = (s + 1) % p->n_sigs;
			e->kind = EV_RELEASE;
			e->org = rep.org;
			e->report = i;
			e->tlp = rep.tlp;
			e->aud.sigs[e->aud.n_sigs++] = s;
			e->at_ms = t + 2000 + rng_below(&r, 3000);
		}
		if (rng_below(&r, 100) < 25) {
			int k = 1 + rng_below(&r, 2);

			audience_expected(p, rep.tlp, &rep.aud, NULL, 0, rep.org, set);
			set[rep.org] = 0;
			for (int j = 0; j < k && audience_count(set, p->n_orgs) > 0; j++) {
				int x = (int)rng_below(&r, (uint32_t)p->n_orgs);
				sim_event *e;

				while (!set[x])
					x = (x + 1) % p->n_orgs;
				set[x] = 0;
				if (!(e = s_push(w)))
					goto nomem2;
				e->kind = EV_SIGHT;
				e->org = x;
				e->report = i;
				e->tlp = rep.tlp;
				e->originator_only = rep.tlp == TLP_RED || rng_below(&r, 100) < 15;
				e->at_ms = t + 3000 + rng_below(&r, 4000);
			}
		}
		if (rng_below(&r, 1000) < 15) {
			sim_event *e = s_push(w);

			if (!e)
				goto nomem2;
			e->kind = EV_RETRACT;
			e->org = rep.org;
			e->report = i;
			e->tlp = rep.tlp;
			e->at_ms = t + 6000 + rng_below(&r, 3000);
		}
	}
	free(set);
	w->order = malloc((size_t)w->n * sizeof(int));
	if (!w->order)
		goto nomem;
	for (int i = 0; i < w->n; i++)
		w->order[i] = i;
	s_sort_w = w;
	if ((size_t)w->n > 1)	/* qsort needs a valid pointer even for 0 items */
		qsort(w->order, (size_t)w->n, sizeof(int), s_cmp);
	return 0;
nomem2:
	free(set);
nomem:
	workload_clear(w);
	return sm_fail(err, SM_ENOMEM, "workload: out of memory");
}

void workload_clear(workload *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->n; i++)
		free(w->ev[i].body);
	free(w->ev);
	free(w->order);
	memset(w, 0, sizeof(*w));
}

uint64_t workload_digest(const workload *w)
{
	uint64_t h = 0xcbf29ce484222325ULL;

#define MIX(v) do { h ^= (uint64_t)(v); h *= 0x100000001b3ULL; } while (0)
	for (int i = 0; i < w->n; i++) {
		const sim_event *e = &w->ev[w->order[i]];

		MIX(e->kind); MIX(e->at_ms); MIX(e->org); MIX(e->report); MIX(e->tlp);
		MIX(e->aud.federation); MIX(e->aud.n_sigs); MIX(e->aud.n_orgs);
		for (int k = 0; k < e->aud.n_sigs; k++)
			MIX(e->aud.sigs[k]);
		for (int k = 0; k < e->aud.n_orgs; k++)
			MIX(e->aud.orgs[k]);
		/* bodies carry first_seen relative to the wall clock; hash the
		 * report's shape, not its timestamp */
	}
#undef MIX
	return h;
}
