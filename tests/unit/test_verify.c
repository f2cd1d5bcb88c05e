/*
 * tests/unit/test_verify.c — node/verify.c, the crypto worker pool:
 * results come back in submission order whatever the number of workers,
 * a bad signature fails with SM_ESIG, a report sealed to this
 * organization is opened and its indicators listed, one that is not is
 * decoded but not readable.
 */
#include <poll.h>
#include "tests/test.h"
#include "keys/identity.h"
#include "node/verify.h"

static identity_t *me, *other;

/* A signed sighting by "other" with sequence number seq. */
static uint8_t *sighting(uint64_t seq, size_t *len)
{
	sm_sighting s;

	memset(&s, 0, sizeof(s));
	s.h.type = SM_MSG_SIGHTING;
	memcpy(s.h.originator, identity_public(other)->org, SM_ID_LEN);
	s.h.seq = seq;
	s.h.created_ms = 1700000000000ull + seq;
	memset(s.report, 0x5a, SM_ID_LEN);
	s.count = seq;
	return msg_sighting_build(&s, identity_sign_sk(other), len, NULL);
}

/* An AMBER report to one named org, sealed to rcpt (and the sender). */
static uint8_t *report(const identity_t *rcpt, size_t *len)
{
	sm_report r;
	sm_recipient rc[2];
	body_t b;
	uint8_t *enc, *obj;
	size_t enc_len;
	const char *json = "{\"title\":\"t\",\"mail_type\":\"link\",\"domains\":[\"c2.example\"]}";

	if (body_from_json(json, strlen(json), &b, NULL) < 0 || !(enc = body_encode(&b, &enc_len, NULL)))
		return NULL;
	body_clear(&b);
	memset(&r, 0, sizeof(r));
	r.h.type = SM_MSG_REPORT;
	memcpy(r.h.originator, identity_public(other)->org, SM_ID_LEN);
	r.h.seq = 1000;
	r.h.created_ms = 1700000000000ull;
	r.tlp = SM_TLP_AMBER;
	uint8_t orgs[1][SM_ID_LEN];
	memcpy(orgs[0], identity_public(rcpt)->org, SM_ID_LEN);
	r.aud.n_orgs = 1;
	r.aud.orgs = orgs;
	memcpy(rc[0].org, identity_public(rcpt)->org, SM_ID_LEN);
	memcpy(rc[0].box_pk, identity_public(rcpt)->box_pk, sizeof(rc[0].box_pk));
	memcpy(rc[1].org, identity_public(other)->org, SM_ID_LEN);
	memcpy(rc[1].box_pk, identity_public(other)->box_pk, sizeof(rc[1].box_pk));
	if (memcmp(rc[0].org, rc[1].org, SM_ID_LEN) > 0) {	/* sorted by org */
		sm_recipient t = rc[0];
		rc[0] = rc[1];
		rc[1] = t;
	}
	obj = msg_report_build(&r, enc, enc_len, true, rc, 2, identity_sign_sk(other), NULL, len, NULL);
	free(enc);
	return obj;
}

static verify_job *take_wait(verify_t *v)
{
	verify_job *j;

	for (int i = 0; i < 2000; i++) {
		if ((j = verify_take(v)))
			return j;
		struct pollfd p = { verify_fd(v), POLLIN, 0 };
		poll(&p, 1, 10);
	}
	return NULL;
}

static void test_order_and_errors(void)
{
	for (size_t threads = 1; threads <= 3; threads++) {
		verify_t *v = verify_new(threads, identity_public(me)->org, identity_public(me)->box_pk,
		    identity_box_sk(me), NULL);
		uint8_t from[SM_ID_LEN] = {1};
		bool order = true, codes = true;
		CHECK(v != NULL);
		if (!v)
			return;
		for (uint64_t i = 1; i <= 60; i++) {
			size_t len;
			uint8_t *obj = sighting(i, &len);
			if (i % 7 == 0)
				obj[len - 1] ^= 1;	/* breaks the signature */
			verify_submit(v, verify_job_new(obj, len, from, 0));
			free(obj);
		}
		CHECK(verify_inflight(v) <= 60);
		for (uint64_t i = 1; i <= 60; i++) {
			verify_job *j = take_wait(v);
			if (!j) {
				order = false;
				break;
			}
			if (i % 7 == 0)
				codes &= j->rc < 0 && j->err.code == SM_ESIG;
			else
				codes &= j->rc == 0 && j->msg.type == SM_MSG_SIGHTING &&
				    j->msg.u.sighting.count == i && !j->readable;
			order &= i % 7 == 0 || j->msg.u.h.seq == i;
			verify_job_free(&j);
			CHECK(j == NULL);
		}
		CHECKF(order && codes, "threads %zu", threads);
		CHECK(verify_inflight(v) == 0 && verify_take(v) == NULL);
		/* destroy with jobs still queued: freed, no leak (ASan) */
		for (uint64_t i = 1; i <= 5; i++) {
			size_t len;
			uint8_t *obj = sighting(i, &len);
			verify_submit(v, verify_job_new(obj, len, from, 0));
			free(obj);
		}
		verify_destroy(&v);
		CHECK(v == NULL);
		verify_destroy(&v);
	}
}

static void test_open_report(void)
{
	verify_t *v = verify_new(2, identity_public(me)->org, identity_public(me)->box_pk,
	    identity_box_sk(me), NULL);
	size_t len1, len2;
	uint8_t *mine = report(me, &len1), *theirs = NULL;
	identity_t *third = identity_generate("org-third", NULL);
	verify_job *j;

	CHECK(v && mine && third);
	if (!v || !mine || !third)
		goto out;
	theirs = report(third, &len2);
	CHECK(theirs != NULL);
	verify_submit(v, verify_job_new(mine, len1, NULL, 0));
	verify_submit(v, verify_job_new(theirs, len2, NULL, 0));
	j = take_wait(v);
	CHECK(j && j->rc == 0 && j->readable && j->plain && j->n_ind > 0);
	bool found = false;
	for (size_t i = 0; j && i < j->n_ind; i++)
		found |= j->ind[i].type == BODY_IND_DOMAIN && !strcmp(j->ind[i].value, "c2.example");
	CHECK(found);
	verify_job_free(&j);
	j = take_wait(v);	/* valid, but not sealed to us */
	CHECK(j && j->rc == 0 && j->msg.type == SM_MSG_REPORT && !j->readable && !j->plain && !j->n_ind);
	verify_job_free(&j);
out:
	free(mine);
	free(theirs);
	identity_destroy(&third);
	verify_destroy(&v);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	me = identity_generate("org-me", NULL);
	other = identity_generate("org-other", NULL);
	if (!me || !other)
		return 1;
	RUN(test_order_and_errors);
	RUN(test_open_report);
	identity_destroy(&me);
	identity_destroy(&other);
	TEST_EXIT();
}
