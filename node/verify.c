/*
 * node/verify.c — see verify.h. One FIFO of jobs under one mutex: workers
 * claim the oldest unclaimed job, the node takes finished jobs from the
 * head only, so results come back in submission order whatever the number
 * of workers. A worker signals a finished job on an eventfd the node polls
 * beside its ZeroMQ sockets.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "node/verify.h"

#define VERIFY_MAX_THREADS 16

enum { JOB_QUEUED = 0, JOB_RUNNING = 1, JOB_DONE = 2 };

struct verify {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	verify_job *head, *tail;	/* every job not yet taken, oldest first */
	verify_job *claim;		/* oldest job no worker has claimed */
	size_t inflight;
	bool stop;
	int efd;
	const uint8_t *org, *box_pk, *box_sk;
	pthread_t th[VERIFY_MAX_THREADS];
	size_t n_th;
};

verify_job *verify_job_new(const uint8_t *obj, size_t len, const uint8_t from[SM_ID_LEN],
    uint64_t now_ms)
{
	verify_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	if (!(j->obj = malloc(len ? len : 1))) {
		free(j);
		return NULL;
	}
	memcpy(j->obj, obj, len);
	j->len = len;
	msg_object_id(obj, len, j->id);
	if (from)
		memcpy(j->from, from, SM_ID_LEN);
	j->now_ms = now_ms;
	return j;
}

void verify_job_free(verify_job **jp)
{
	verify_job *j = jp ? *jp : NULL;

	if (!j)
		return;
	free(j->obj);
	if (j->rc == 0)
		msg_clear(&j->msg);
	free(j->ind);
	free(j->hexbuf);
	if (j->plain) {
		sodium_memzero(j->plain, j->plain_len);
		free(j->plain);
	}
	if (j->readable)
		body_clear(&j->body);
	free(j);
	*jp = NULL;
}

/* The pure part of ingest: verify and decode; for a report, open the body
 * with this organization's own key slot. A report readable only through a
 * release is left for the node, which holds the releases. */
void verify_run(verify_job *j, const uint8_t org[SM_ID_LEN],
    const uint8_t box_pk[crypto_box_PUBLICKEYBYTES],
    const uint8_t box_sk[crypto_box_SECRETKEYBYTES])
{
	uint8_t *plain;
	size_t plen = 0;

	j->rc = msg_decode(j->obj, j->len, j->now_ms, &j->msg, &j->err);
	if (j->rc < 0 || j->msg.type != SM_MSG_REPORT)
		return;
	plain = msg_report_open(&j->msg.u.report, j->id, NULL, 0, org, box_pk, box_sk,
	    &plen, NULL);
	if (!plain)
		return;
	if (body_decode(plain, plen, &j->body, NULL) == 0) {
		if (body_indicators(&j->body, &j->ind, &j->n_ind, &j->hexbuf, NULL) == 0) {
			j->readable = true;
			j->plain = plain;
			j->plain_len = plen;
			return;
		}
		body_clear(&j->body);
	}
	sodium_memzero(plain, plen);
	free(plain);
}

static void *worker(void *arg)
{
	verify_t *v = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&v->mu);
	for (;;) {
		while (!v->stop && !v->claim)
			pthread_cond_wait(&v->cv, &v->mu);
		if (v->stop)
			break;
		verify_job *j = v->claim;
		v->claim = j->next;
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&v->mu);
		verify_run(j, v->org, v->box_pk, v->box_sk);
		pthread_mutex_lock(&v->mu);
		j->state = JOB_DONE;
		/* signal after the state change, so a reader that drained the
		 * eventfd and then looked at the head never misses this job */
		if (write(v->efd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
			/* an eventfd write fails only on counter overflow */
		}
	}
	pthread_mutex_unlock(&v->mu);
	return NULL;
}

verify_t *verify_new(size_t threads, const uint8_t org[SM_ID_LEN],
    const uint8_t box_pk[crypto_box_PUBLICKEYBYTES],
    const uint8_t box_sk[crypto_box_SECRETKEYBYTES], sm_err *err)
{
	verify_t *v = calloc(1, sizeof(*v));

	if (!v) {
		sm_fail(err, SM_ENOMEM, "out of memory");
		return NULL;
	}
	v->efd = -1;
	if (threads < 1)
		threads = 1;
	if (threads > VERIFY_MAX_THREADS)
		threads = VERIFY_MAX_THREADS;
	v->org = org;
	v->box_pk = box_pk;
	v->box_sk = box_sk;
	pthread_mutex_init(&v->mu, NULL);
	pthread_cond_init(&v->cv, NULL);
	if ((v->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		sm_fail(err, SM_EIO, "verify: eventfd: %s", strerror(errno));
		goto fail;
	}
	for (; v->n_th < threads; v->n_th++) {
		if (pthread_create(&v->th[v->n_th], NULL, worker, v) != 0) {
			sm_fail(err, SM_EIO, "verify: cannot start a worker thread");
			goto fail;
		}
		/* named for operators (top -H, ps -L) beside ZeroMQ's ZMQbg/ threads */
		pthread_setname_np(v->th[v->n_th], "sigmeshd-verify");
	}
	return v;
fail:
	verify_destroy(&v);
	return NULL;
}

void verify_destroy(verify_t **vp)
{
	verify_t *v = vp ? *vp : NULL;

	if (!v)
		return;
	pthread_mutex_lock(&v->mu);
	v->stop = true;
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
	for (size_t i = 0; i < v->n_th; i++)
		pthread_join(v->th[i], NULL);
	while (v->head) {
		verify_job *j = v->head;
		v->head = j->next;
		if (j->state != JOB_DONE)
			j->rc = -1;	/* nothing decoded: nothing to clear */
		verify_job_free(&j);
	}
	if (v->efd >= 0)
		close(v->efd);
	pthread_cond_destroy(&v->cv);
	pthread_mutex_destroy(&v->mu);
	free(v);
	*vp = NULL;
}

void verify_submit(verify_t *v, verify_job *j)
{
	j->next = NULL;
	j->state = JOB_QUEUED;
	pthread_mutex_lock(&v->mu);
	if (v->tail)
		v->tail->next = j;
	else
		v->head = j;
	v->tail = j;
	if (!v->claim)
		v->claim = j;
	v->inflight++;
	pthread_cond_signal(&v->cv);
	pthread_mutex_unlock(&v->mu);
}

static verify_job *pop_done(verify_t *v)
{
	verify_job *j = NULL;

	pthread_mutex_lock(&v->mu);
	if (v->head && v->head->state == JOB_DONE) {
		j = v->head;
		v->head = j->next;
		if (!v->head)
			v->tail = NULL;
		v->inflight--;
		j->next = NULL;
	}
	pthread_mutex_unlock(&v->mu);
	return j;
}

verify_job *verify_take(verify_t *v)
{
	verify_job *j = pop_done(v);
	uint64_t cnt;

	if (j)
		return j;
	/* nothing ready: reset the eventfd, then look once more, so that a
	 * job finished in between is not left without a wake-up */
	if (read(v->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN) {
		/* EAGAIN: already zero */
	}
	return pop_done(v);
}

size_t verify_inflight(const verify_t *v)
{
	return v->inflight;	/* changed only by the node's thread */
}

int verify_fd(const verify_t *v)
{
	return v->efd;
}
