/*
 * node/store.c — a node's LMDB store; see store.h for the tables.
 *
 * On-disk layout (store version 1, meta "store.version" = u32 BE 1):
 *
 *   msgs     key: arrival u64 BE                value: the object's bytes
 *   ids      key: id (32)                       value: 99-byte meta record:
 *              off  len
 *                0    8  arrival u64 BE (key of msgs)
 *                8    1  type (enum sm_msg_type, 1..4)
 *                9    1  tlp (enum sm_tlp, 0..4)
 *               10   32  originator
 *               42    8  seq u64 BE
 *               50    8  created_ms u64 BE
 *               58    8  received_ms u64 BE
 *               66    1  has_ref (0 or 1)
 *               67   32  ref (zeros when has_ref is 0)
 *   origseq  key: originator (32) | seq u64 BE  value: id (32)
 *   created  key: created_ms u64 BE | id (32)   value: empty
 *   refs     key: report id (32)                values (dupsort): ids (32)
 *   ind      key: type (1) | value              values (dupsort): report ids
 *              A value longer than STORE_IND_LITERAL_MAX (510) bytes does
 *              not fit LMDB's 511-byte key limit; its key is instead
 *              type (1) | 0x00 | BLAKE2b-256(value) (crypto_generichash,
 *              32 bytes, unkeyed). Indicator values are C strings and hold
 *              no NUL byte, so a hashed key never equals a literal one.
 *              store_each_indicator derives the key the same way.
 *   meta     key: name                          value: bytes
 *              "store.version"   u32 BE
 *              "store.counters"  6 x u64 BE: objects, reports, sightings,
 *                                retractions, releases, indicator entries;
 *                                updated in the transaction that changes them
 *            names starting with "store." are reserved for the store.
 *
 * Threads: one writer thread owns a batch (store_begin..store_commit); any
 * thread may read. Reads by the batch owner use the write transaction so
 * they see the batch; other threads use short read transactions (MDB_NOTLS
 * lets those live on any thread). Growing the map (mdb_env_set_mapsize) is
 * only allowed with no transaction active in the process, so readers hold
 * a shared lock for the life of their read and a resize takes it exclusive.
 */
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include "node/store.h"

#define STORE_VERSION 1u
#define META_LEN 99
#define STORE_IND_LITERAL_MAX 510	/* 1 type byte + 510 = LMDB's 511 */
#define STORE_IND_VALUE_MAX 65536	/* longest indicator value accepted */
#define STORE_META_NAME_MAX 255
#define STORE_META_VALUE_MAX 65536
#define DEFAULT_MAP ((size_t)4 << 30)
#define MIN_MAP ((size_t)64 << 10)
#define N_COUNTERS 6
#define MIB(x) ((unsigned long long)((x) >> 20))

static const char KEY_VERSION[] = "store.version";
static const char KEY_COUNTERS[] = "store.counters";

enum { C_OBJECTS, C_REPORTS, C_SIGHTINGS, C_RETRACTIONS, C_RELEASES, C_INDICATORS };
enum batch_state { B_IDLE, B_OPEN, B_FAILED };

struct store {
	MDB_env *env;
	MDB_dbi msgs, ids, origseq, created, refs, ind, meta;
	char *path;			/* owned copy of the directory path */
	size_t map_size;		/* current map size, bytes */
	size_t map_max;			/* growth cap, bytes */
	pthread_rwlock_t resize;	/* shared: a read txn; exclusive: resize */
	MDB_txn *wtxn;			/* the open batch, if state == B_OPEN */
	pthread_t owner;		/* thread that opened the batch */
	int state;			/* enum batch_state */
	sm_err batch_err;		/* why a B_FAILED batch failed */
	uint64_t next_arrival;		/* next msgs key within the batch */
};

/* ---- small helpers ---------------------------------------------------- */

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static const char *hex8(const uint8_t *id, char out[17])
{
	sodium_bin2hex(out, 17, id, 8);
	return out;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void meta_pack(const store_meta *m, uint8_t out[META_LEN])
{
	be64(out, m->arrival);
	out[8] = m->type;
	out[9] = m->tlp;
	memcpy(out + 10, m->originator, SM_ID_LEN);
	be64(out + 42, m->seq);
	be64(out + 50, m->created_ms);
	be64(out + 58, m->received_ms);
	out[66] = m->has_ref ? 1 : 0;
	if (m->has_ref)
		memcpy(out + 67, m->ref, SM_ID_LEN);
	else
		memset(out + 67, 0, SM_ID_LEN);
}

/* Disk bytes are untrusted: reject a record of the wrong size or with
 * out-of-range fields rather than hand garbage to the caller. */
static int meta_unpack(const MDB_val *v, const uint8_t id[SM_ID_LEN], store_meta *m)
{
	const uint8_t *p = v->mv_data;

	if (v->mv_size != META_LEN || p[8] < SM_MSG_REPORT || p[8] > SM_MSG_RELEASE ||
	    p[9] > SM_TLP_RED || p[66] > 1)
		return -1;
	memcpy(m->id, id, SM_ID_LEN);
	m->arrival = rd64(p);
	m->type = p[8];
	m->tlp = p[9];
	memcpy(m->originator, p + 10, SM_ID_LEN);
	m->seq = rd64(p + 42);
	m->created_ms = rd64(p + 50);
	m->received_ms = rd64(p + 58);
	m->has_ref = p[66] == 1;
	memcpy(m->ref, p + 67, SM_ID_LEN);
	return 0;
}

/* Free bytes on the store's filesystem, or UINT64_MAX if unknown. */
static uint64_t disk_free(const store_t *s)
{
	struct statvfs v;
	if (statvfs(s->path, &v) != 0)
		return UINT64_MAX;
	return (uint64_t)v.f_bavail * v.f_frsize;
}

/* Map an LMDB or errno result to the error convention. */
static int lmdb_fail(store_t *s, sm_err *err, int rc, const char *what)
{
	int code;
	uint64_t avail;

	/* LMDB turns a short write (a disk that fills mid-write) into EIO;
	 * call it full when the filesystem indeed has (almost) no room. */
	if (rc == EIO && (avail = disk_free(s)) < ((uint64_t)16 << 20))
		return sm_fail(err, SM_EFULL, "store full: %s: disk full in %s (%llu KiB free)",
		    what, s->path, (unsigned long long)(avail >> 10));
	switch (rc) {
	case MDB_MAP_FULL:
		return sm_fail(err, SM_EFULL,
		    "store full: map size %llu MiB reached; raise map_size_mb",
		    MIB(s->map_size));
	case ENOSPC:
	case EDQUOT:
		return sm_fail(err, SM_EFULL, "store full: %s: disk full in %s (%s)",
		    what, s->path, mdb_strerror(rc));
	case EACCES:
	case EPERM:
	case EROFS:
		code = SM_EPERM;
		break;
	case ENOMEM:
		code = SM_ENOMEM;
		break;
	case MDB_NOTFOUND:
		code = SM_ENOTFOUND;
		break;
	default:
		code = SM_EIO;
		break;
	}
	return sm_fail(err, code, "store %s: %s: %s", s->path, what, mdb_strerror(rc));
}

static int corrupt(store_t *s, sm_err *err, const char *what, const uint8_t *id)
{
	char h[17] = "-";
	if (id)
		hex8(id, h);
	return sm_fail(err, SM_EIO, "store %s corrupt: %s (object %s); run sigmesh fsck",
	    s->path, what, h);
}

static void env_refresh_size(store_t *s)
{
	MDB_envinfo info;
	if (mdb_env_info(s->env, &info) == 0)
		s->map_size = info.me_mapsize;
}

static uint64_t env_used(store_t *s, unsigned *psize)
{
	MDB_envinfo info;
	MDB_stat st;

	if (mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &st) != 0)
		return 0;
	*psize = st.ms_psize;
	return ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
}

/* Double the map, up to map_max. Only with no transaction active in the
 * process: waits for readers through the resize lock. 0 if it grew. */
static int grow_map(store_t *s)
{
	size_t want;
	int rc;

	if (s->map_size >= s->map_max)
		return -1;
	want = s->map_size > s->map_max / 2 ? s->map_max : s->map_size * 2;
	pthread_rwlock_wrlock(&s->resize);
	rc = mdb_env_set_mapsize(s->env, want);
	pthread_rwlock_unlock(&s->resize);
	if (rc != 0)
		return -1;
	env_refresh_size(s);
	return 0;
}

/* ---- transactions ----------------------------------------------------- */

/* The store whose batch this thread owns. Thread-local, so a reader thread
 * never touches the writer's batch state: only the owner, which alone
 * changes that state, ever finds its own store here. */
static _Thread_local const store_t *tl_batch;

static bool in_own_batch(const store_t *s)
{
	return tl_batch == s && s->state == B_OPEN;
}

/* A transaction to read from: the batch's when the caller owns it, else a
 * fresh read transaction (*own set; finish with rdone). */
static int rbegin(store_t *s, MDB_txn **txn, bool *own, sm_err *err)
{
	int rc;

	if (in_own_batch(s)) {
		*txn = s->wtxn;
		*own = false;
		return 0;
	}
	pthread_rwlock_rdlock(&s->resize);
	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	if (rc != 0) {
		pthread_rwlock_unlock(&s->resize);
		return lmdb_fail(s, err, rc, "read transaction");
	}
	*own = true;
	return 0;
}

static void rdone(store_t *s, MDB_txn *txn, bool own)
{
	if (own) {
		mdb_txn_abort(txn);
		pthread_rwlock_unlock(&s->resize);
	}
}

/* Writes need an open batch owned by this thread. A batch that already
 * failed keeps failing with its first error until commit or abort. */
static int wcheck(store_t *s, sm_err *err)
{
	if (!s)
		return sm_fail(err, SM_EINVAL, "store: NULL store");
	if (s->state == B_FAILED)
		return sm_fail(err, s->batch_err.code, "batch already failed: %s",
		    s->batch_err.msg);
	if (s->state != B_OPEN)
		return sm_fail(err, SM_EINVAL, "store %s: write outside a batch (call store_begin)",
		    s->path);
	if (!pthread_equal(s->owner, pthread_self()))
		return sm_fail(err, SM_EINVAL, "store %s: batch belongs to another thread", s->path);
	return 0;
}

/* An LMDB write failed: the transaction is unusable, so abort the batch,
 * remember why, and if the map was full try to grow it for the next one. */
static int batch_fail(store_t *s, sm_err *err, int rc, const char *what)
{
	size_t old = s->map_size;

	mdb_txn_abort(s->wtxn);
	s->wtxn = NULL;
	s->state = B_FAILED;
	tl_batch = NULL;
	sm_err_clear(&s->batch_err);
	if (rc == MDB_MAP_FULL && grow_map(s) == 0)
		sm_fail(&s->batch_err, SM_EFULL,
		    "store full: map size %llu MiB reached; grown to %llu MiB, retry the batch",
		    MIB(old), MIB(s->map_size));
	else
		lmdb_fail(s, &s->batch_err, rc, what);
	return sm_fail(err, s->batch_err.code, "%s", s->batch_err.msg);
}

static int counters_get(MDB_txn *txn, store_t *s, uint64_t c[N_COUNTERS])
{
	MDB_val k = { sizeof(KEY_COUNTERS) - 1, (void *)KEY_COUNTERS }, v;

	memset(c, 0, sizeof(uint64_t) * N_COUNTERS);
	if (mdb_get(txn, s->meta, &k, &v) != 0)
		return 0;
	if (v.mv_size != 8 * N_COUNTERS)
		return -1;
	for (int i = 0; i < N_COUNTERS; i++)
		c[i] = rd64((const uint8_t *)v.mv_data + 8 * i);
	return 0;
}

static int counters_add(store_t *s, int which, int which2)
{
	uint64_t c[N_COUNTERS];
	uint8_t buf[8 * N_COUNTERS];
	MDB_val k = { sizeof(KEY_COUNTERS) - 1, (void *)KEY_COUNTERS };
	MDB_val v = { sizeof(buf), buf };

	if (counters_get(s->wtxn, s, c) != 0)
		return MDB_CORRUPTED;
	c[which]++;
	if (which2 >= 0)
		c[which2]++;
	for (int i = 0; i < N_COUNTERS; i++)
		be64(buf + 8 * i, c[i]);
	return mdb_put(s->wtxn, s->meta, &k, &v, 0);
}

/* ---- open / close ----------------------------------------------------- */

static int open_tables(store_t *s, sm_err *err)
{
	MDB_txn *txn = NULL;
	MDB_val k, v;
	uint8_t ver[4];
	int rc;
	struct { const char *name; MDB_dbi *dbi; unsigned flags; } t[] = {
		{ "msgs", &s->msgs, 0 }, { "ids", &s->ids, 0 },
		{ "origseq", &s->origseq, 0 }, { "created", &s->created, 0 },
		{ "refs", &s->refs, MDB_DUPSORT | MDB_DUPFIXED },
		{ "ind", &s->ind, MDB_DUPSORT | MDB_DUPFIXED },
		{ "meta", &s->meta, 0 },
	};

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return lmdb_fail(s, err, rc, "open transaction");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if ((rc = mdb_dbi_open(txn, t[i].name, MDB_CREATE | t[i].flags, t[i].dbi)) != 0) {
			lmdb_fail(s, err, rc, "open table");
			sm_wrap(err, "table %s: ", t[i].name);
			goto fail;
		}
	k.mv_size = sizeof(KEY_VERSION) - 1;
	k.mv_data = (void *)KEY_VERSION;
	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		ver[0] = ver[1] = ver[2] = 0;
		ver[3] = STORE_VERSION;
		v.mv_size = 4;
		v.mv_data = ver;
		if ((rc = mdb_put(txn, s->meta, &k, &v, 0)) != 0) {
			lmdb_fail(s, err, rc, "write version");
			goto fail;
		}
	} else if (rc != 0) {
		lmdb_fail(s, err, rc, "read version");
		goto fail;
	} else if (v.mv_size != 4 || memcmp(v.mv_data, "\0\0\0\1", 4) != 0) {
		sm_fail(err, SM_EVERSION, "store %s: unknown store version (this build reads %u)",
		    s->path, STORE_VERSION);
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return lmdb_fail(s, err, rc, "commit tables");
	return 0;
fail:
	mdb_txn_abort(txn);
	return -1;
}

store_t *store_open_ex(const char *dir, size_t map_size, size_t map_max, sm_err *err)
{
	store_t *s = NULL;
	struct stat st;
	int rc, dead;

	if (!dir || !*dir) {
		sm_fail(err, SM_EINVAL, "store: no directory given");
		return NULL;
	}
	if (map_size == 0)
		map_size = DEFAULT_MAP;
	if (map_size < MIN_MAP)
		map_size = MIN_MAP;
	if (map_max < map_size)
		map_max = map_size;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		sm_fail(err, errno == EACCES || errno == EROFS ? SM_EPERM : SM_EIO,
		    "store: cannot create directory %s: %s", dir, strerror(errno));
		return NULL;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		sm_fail(err, SM_EIO, "store: %s is not a directory", dir);
		return NULL;
	}
	if (access(dir, R_OK | W_OK | X_OK) != 0) {
		sm_fail(err, SM_EPERM, "store: directory %s is not writable: %s", dir,
		    strerror(errno));
		return NULL;
	}
	if (!(s = calloc(1, sizeof(*s))) || !(s->path = strdup(dir))) {
		free(s);
		sm_fail(err, SM_ENOMEM, "store: out of memory");
		return NULL;
	}
	pthread_rwlock_init(&s->resize, NULL);
	s->map_size = map_size;
	s->map_max = map_max;
	if ((rc = mdb_env_create(&s->env)) != 0) {
		lmdb_fail(s, err, rc, "create environment");
		goto fail;
	}
	if (mdb_env_get_maxkeysize(s->env) < 1 + STORE_IND_LITERAL_MAX) {
		sm_fail(err, SM_EINVAL, "store: LMDB built with max key size %d, need 511",
		    mdb_env_get_maxkeysize(s->env));
		goto fail;
	}
	if ((rc = mdb_env_set_maxdbs(s->env, 8)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, map_size)) != 0) {
		lmdb_fail(s, err, rc, "configure environment");
		goto fail;
	}
	/* MDB_NOTLS: read transactions may run on worker threads.
	 * Default sync flags: every commit is durable (fsync). */
	if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600)) != 0) {
		lmdb_fail(s, err, rc, "open");
		goto fail;
	}
	/* A process killed while reading leaves its reader slot behind. */
	mdb_reader_check(s->env, &dead);
	/* The file may already be larger than asked (an earlier, larger map). */
	env_refresh_size(s);
	if (s->map_max < s->map_size)
		s->map_max = s->map_size;
	if (open_tables(s, err) != 0)
		goto fail;
	return s;
fail:
	store_destroy(&s);
	return NULL;
}

store_t *store_open(const char *dir, size_t map_size, sm_err *err)
{
	return store_open_ex(dir, map_size, 0, err);
}

void store_destroy(store_t **sp)
{
	store_t *s;

	if (!sp || !(s = *sp))
		return;
	if (s->wtxn)
		mdb_txn_abort(s->wtxn);
	if (tl_batch == s)
		tl_batch = NULL;
	if (s->env)
		mdb_env_close(s->env);
	pthread_rwlock_destroy(&s->resize);
	free(s->path);
	free(s);
	*sp = NULL;
}

const char *store_path(const store_t *s)
{
	return s ? s->path : NULL;
}

/* ---- writing ---------------------------------------------------------- */

int store_begin(store_t *s, sm_err *err)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	unsigned psize = 0;
	int rc;

	if (!s)
		return sm_fail(err, SM_EINVAL, "store: NULL store");
	if (s->state != B_IDLE)
		return sm_fail(err, SM_EINVAL, "store %s: a batch is already open", s->path);
	/* Grow early, while no transaction is active, so a batch rarely hits
	 * the end of the map. */
	if (s->map_size < s->map_max && env_used(s, &psize) > s->map_size / 4 * 3)
		grow_map(s);
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &s->wtxn)) != 0) {
		s->wtxn = NULL;
		return lmdb_fail(s, err, rc, "begin batch");
	}
	if ((rc = mdb_cursor_open(s->wtxn, s->msgs, &c)) != 0)
		goto fail;
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND) {
		s->next_arrival = 1;
	} else if (rc != 0) {
		goto fail;
	} else if (k.mv_size != 8) {
		mdb_txn_abort(s->wtxn);
		s->wtxn = NULL;
		return corrupt(s, err, "msgs key is not 8 bytes", NULL);
	} else {
		s->next_arrival = rd64(k.mv_data) + 1;
	}
	s->owner = pthread_self();
	s->state = B_OPEN;
	tl_batch = s;
	return 0;
fail:
	mdb_txn_abort(s->wtxn);
	s->wtxn = NULL;
	return lmdb_fail(s, err, rc, "begin batch");
}

int store_put(store_t *s, store_meta *meta, const uint8_t *obj, size_t len, sm_err *err)
{
	uint8_t id[SM_ID_LEN], rec[META_LEN], akey[8], oskey[SM_ID_LEN + 8];
	uint8_t ckey[8 + SM_ID_LEN];
	char h1[17], h2[17], h3[17];
	MDB_val k, v;
	store_meta m;
	int rc;

	if (wcheck(s, err) != 0)
		return -1;
	if (!meta || !obj || len == 0)
		return sm_fail(err, SM_EINVAL, "store_put: no object");
	if (len > SM_MAX_OBJECT)
		return sm_fail(err, SM_EBOUND, "store_put: object of %zu bytes, max %u",
		    len, SM_MAX_OBJECT);
	if (meta->type < SM_MSG_REPORT || meta->type > SM_MSG_RELEASE)
		return sm_fail(err, SM_ETYPE, "store_put: message type %u", meta->type);
	if (meta->tlp > SM_TLP_RED)
		return sm_fail(err, SM_EINVAL, "store_put: TLP label %u", meta->tlp);
	crypto_generichash(id, sizeof(id), obj, len, NULL, 0);
	if (memcmp(id, meta->id, SM_ID_LEN) != 0)
		return sm_fail(err, SM_EINVAL, "store_put: id %s is not the hash of the bytes (%s)",
		    hex8(meta->id, h1), hex8(id, h2));

	k.mv_size = SM_ID_LEN;
	k.mv_data = id;
	rc = mdb_get(s->wtxn, s->ids, &k, &v);
	if (rc == 0)
		return sm_fail(err, SM_EEXISTS, "object %s already stored", hex8(id, h1));
	if (rc != MDB_NOTFOUND)
		return batch_fail(s, err, rc, "look up id");

	memcpy(oskey, meta->originator, SM_ID_LEN);
	be64(oskey + SM_ID_LEN, meta->seq);
	k.mv_size = sizeof(oskey);
	k.mv_data = oskey;
	rc = mdb_get(s->wtxn, s->origseq, &k, &v);
	if (rc == 0) {
		if (v.mv_size == SM_ID_LEN && memcmp(v.mv_data, id, SM_ID_LEN) == 0)
			return sm_fail(err, SM_EEXISTS, "object %s already stored", hex8(id, h1));
		return sm_fail(err, SM_EREPLAY,
		    "originator %s seq %llu already used by object %s (this is %s)",
		    hex8(meta->originator, h1), (unsigned long long)meta->seq,
		    v.mv_size == SM_ID_LEN ? hex8(v.mv_data, h2) : "?", hex8(id, h3));
	}
	if (rc != MDB_NOTFOUND)
		return batch_fail(s, err, rc, "look up originator seq");

	m = *meta;
	m.arrival = s->next_arrival;
	m.received_ms = now_ms();
	meta_pack(&m, rec);

	/* Arrival keys only ever grow, so MDB_APPEND fills pages to the end
	 * instead of splitting them. */
	be64(akey, m.arrival);
	k.mv_size = 8;
	k.mv_data = akey;
	v.mv_size = len;
	v.mv_data = (void *)obj;
	if ((rc = mdb_put(s->wtxn, s->msgs, &k, &v, MDB_APPEND)) != 0)
		return batch_fail(s, err, rc, "write object");
	k.mv_size = SM_ID_LEN;
	k.mv_data = id;
	v.mv_size = META_LEN;
	v.mv_data = rec;
	if ((rc = mdb_put(s->wtxn, s->ids, &k, &v, MDB_NOOVERWRITE)) != 0)
		return batch_fail(s, err, rc, "write id");
	k.mv_size = sizeof(oskey);
	k.mv_data = oskey;
	v.mv_size = SM_ID_LEN;
	v.mv_data = id;
	if ((rc = mdb_put(s->wtxn, s->origseq, &k, &v, MDB_NOOVERWRITE)) != 0)
		return batch_fail(s, err, rc, "write originator seq");
	be64(ckey, m.created_ms);
	memcpy(ckey + 8, id, SM_ID_LEN);
	k.mv_size = sizeof(ckey);
	k.mv_data = ckey;
	v.mv_size = 0;
	v.mv_data = "";
	if ((rc = mdb_put(s->wtxn, s->created, &k, &v, 0)) != 0)
		return batch_fail(s, err, rc, "write created index");
	if (m.has_ref) {
		k.mv_size = SM_ID_LEN;
		k.mv_data = m.ref;
		v.mv_size = SM_ID_LEN;
		v.mv_data = id;
		rc = mdb_put(s->wtxn, s->refs, &k, &v, MDB_NODUPDATA);
		if (rc != 0 && rc != MDB_KEYEXIST)
			return batch_fail(s, err, rc, "write refs index");
	}
	if ((rc = counters_add(s, C_OBJECTS, C_REPORTS + m.type - SM_MSG_REPORT)) != 0)
		return batch_fail(s, err, rc, "update counters");
	s->next_arrival++;
	meta->arrival = m.arrival;
	meta->received_ms = m.received_ms;
	return 0;
}

/* The ind key of a value: see the layout at the top. *klen is its length. */
static void ind_key(uint8_t type, const char *value, size_t vlen, uint8_t *key, size_t *klen)
{
	key[0] = type;
	if (vlen <= STORE_IND_LITERAL_MAX) {
		memcpy(key + 1, value, vlen);
		*klen = 1 + vlen;
	} else {
		key[1] = 0;
		crypto_generichash(key + 2, 32, (const uint8_t *)value, vlen, NULL, 0);
		*klen = 2 + 32;
	}
}

static int ind_check(store_t *s, uint8_t type, const char *value, size_t *vlen, sm_err *err)
{
	if (type < IND_EMAIL || type > IND_FILENAME)
		return sm_fail(err, SM_EINVAL, "indicator type %u unknown", type);
	if (!value || !*value)
		return sm_fail(err, SM_EINVAL, "indicator value empty");
	*vlen = strnlen(value, STORE_IND_VALUE_MAX + 1);
	if (*vlen > STORE_IND_VALUE_MAX)
		return sm_fail(err, SM_EBOUND, "indicator value over %d bytes", STORE_IND_VALUE_MAX);
	return 0;
}

int store_index(store_t *s, uint8_t ind_type, const char *value,
    const uint8_t report[SM_ID_LEN], sm_err *err)
{
	uint8_t key[1 + STORE_IND_LITERAL_MAX];
	size_t vlen, klen;
	store_meta m;
	char h[17];
	MDB_val k, v;
	int rc;

	if (wcheck(s, err) != 0 || ind_check(s, ind_type, value, &vlen, err) != 0)
		return -1;
	if (!report)
		return sm_fail(err, SM_EINVAL, "store_index: no report id");
	k.mv_size = SM_ID_LEN;
	k.mv_data = (void *)report;
	rc = mdb_get(s->wtxn, s->ids, &k, &v);
	if (rc == MDB_NOTFOUND)
		return sm_fail(err, SM_ENOTFOUND, "store_index: report %s not stored", hex8(report, h));
	if (rc != 0)
		return batch_fail(s, err, rc, "look up report");
	if (meta_unpack(&v, report, &m) != 0)
		return corrupt(s, err, "bad ids record", report);
	if (m.type != SM_MSG_REPORT)
		return sm_fail(err, SM_EINVAL, "store_index: object %s is not a report", h);

	ind_key(ind_type, value, vlen, key, &klen);
	k.mv_size = klen;
	k.mv_data = key;
	v.mv_size = SM_ID_LEN;
	v.mv_data = (void *)report;
	rc = mdb_put(s->wtxn, s->ind, &k, &v, MDB_NODUPDATA);
	if (rc == MDB_KEYEXIST)
		return 0;	/* indexed already: idempotent */
	if (rc != 0)
		return batch_fail(s, err, rc, "write indicator");
	if ((rc = counters_add(s, C_INDICATORS, -1)) != 0)
		return batch_fail(s, err, rc, "update counters");
	return 0;
}

static int meta_name_check(const char *name, sm_err *err)
{
	size_t n;

	if (!name || !*name)
		return sm_fail(err, SM_EINVAL, "meta: empty name");
	if ((n = strnlen(name, STORE_META_NAME_MAX + 1)) > STORE_META_NAME_MAX)
		return sm_fail(err, SM_EBOUND, "meta: name over %d bytes", STORE_META_NAME_MAX);
	return 0;
}

int store_set_meta(store_t *s, const char *name, const void *val, size_t len, sm_err *err)
{
	MDB_val k, v;
	int rc;

	if (wcheck(s, err) != 0 || meta_name_check(name, err) != 0)
		return -1;
	if (strncmp(name, "store.", 6) == 0)
		return sm_fail(err, SM_EINVAL, "meta: name %s is reserved for the store", name);
	if (len > STORE_META_VALUE_MAX)
		return sm_fail(err, SM_EBOUND, "meta %s: value of %zu bytes, max %d", name, len,
		    STORE_META_VALUE_MAX);
	if (!val && len)
		return sm_fail(err, SM_EINVAL, "meta %s: no value", name);
	k.mv_size = strlen(name);
	k.mv_data = (void *)name;
	v.mv_size = len;
	v.mv_data = len ? (void *)val : "";
	if ((rc = mdb_put(s->wtxn, s->meta, &k, &v, 0)) != 0)
		return batch_fail(s, err, rc, "write meta");
	return 0;
}

int store_commit(store_t *s, sm_err *err)
{
	size_t old;
	int rc;

	if (!s)
		return sm_fail(err, SM_EINVAL, "store: NULL store");
	if (s->state == B_FAILED) {
		s->state = B_IDLE;
		return sm_fail(err, s->batch_err.code, "%s", s->batch_err.msg);
	}
	if (s->state != B_OPEN)
		return sm_fail(err, SM_EINVAL, "store %s: commit without a batch", s->path);
	if (!pthread_equal(s->owner, pthread_self()))
		return sm_fail(err, SM_EINVAL, "store %s: batch belongs to another thread", s->path);
	rc = mdb_txn_commit(s->wtxn);	/* frees the txn, success or not */
	s->wtxn = NULL;
	s->state = B_IDLE;
	tl_batch = NULL;
	if (rc == 0)
		return 0;
	old = s->map_size;
	if (rc == MDB_MAP_FULL && grow_map(s) == 0)
		return sm_fail(err, SM_EFULL,
		    "store full: map size %llu MiB reached; grown to %llu MiB, retry the batch",
		    MIB(old), MIB(s->map_size));
	return lmdb_fail(s, err, rc, "commit");
}

void store_abort(store_t *s)
{
	if (!s)
		return;
	if (s->wtxn && pthread_equal(s->owner, pthread_self())) {
		mdb_txn_abort(s->wtxn);
		s->wtxn = NULL;
		tl_batch = NULL;
	}
	if (!s->wtxn)
		s->state = B_IDLE;
}

/* ---- reading ---------------------------------------------------------- */

bool store_has(store_t *s, const uint8_t id[SM_ID_LEN])
{
	MDB_txn *txn;
	MDB_val k = { SM_ID_LEN, (void *)id }, v;
	bool own, found;

	if (!s || !id || rbegin(s, &txn, &own, NULL) != 0)
		return false;
	found = mdb_get(txn, s->ids, &k, &v) == 0;
	rdone(s, txn, own);
	return found;
}

/* Meta and bytes of id within txn; obj points into the map. */
static int load(store_t *s, MDB_txn *txn, const uint8_t id[SM_ID_LEN], store_meta *m,
    MDB_val *obj, sm_err *err)
{
	uint8_t akey[8];
	MDB_val k = { SM_ID_LEN, (void *)id }, v;
	char h[17];
	int rc;

	rc = mdb_get(txn, s->ids, &k, &v);
	if (rc == MDB_NOTFOUND)
		return sm_fail(err, SM_ENOTFOUND, "object %s not stored", hex8(id, h));
	if (rc != 0)
		return lmdb_fail(s, err, rc, "read id");
	if (meta_unpack(&v, id, m) != 0)
		return corrupt(s, err, "bad ids record", id);
	be64(akey, m->arrival);
	k.mv_size = 8;
	k.mv_data = akey;
	rc = mdb_get(txn, s->msgs, &k, obj);
	if (rc == MDB_NOTFOUND)
		return corrupt(s, err, "object bytes missing", id);
	if (rc != 0)
		return lmdb_fail(s, err, rc, "read object");
	return 0;
}

uint8_t *store_get(store_t *s, const uint8_t id[SM_ID_LEN], store_meta *meta,
    size_t *len, sm_err *err)
{
	MDB_txn *txn;
	MDB_val obj;
	store_meta m;
	uint8_t *out = NULL;
	bool own;

	if (!s || !id || !len) {
		sm_fail(err, SM_EINVAL, "store_get: missing argument");
		return NULL;
	}
	*len = 0;
	if (rbegin(s, &txn, &own, err) != 0)
		return NULL;
	if (load(s, txn, id, &m, &obj, err) == 0) {
		if (!(out = malloc(obj.mv_size ? obj.mv_size : 1))) {
			sm_fail(err, SM_ENOMEM, "store_get: out of memory");
		} else {
			memcpy(out, obj.mv_data, obj.mv_size);
			*len = obj.mv_size;
			if (meta)
				*meta = m;
		}
	}
	rdone(s, txn, own);
	return out;
}

int store_get_meta(store_t *s, const char *name, void *val, size_t cap,
    size_t *len, sm_err *err)
{
	MDB_txn *txn;
	MDB_val k, v;
	bool own;
	int rc, ret = -1;

	if (!s)
		return sm_fail(err, SM_EINVAL, "store: NULL store");
	if (meta_name_check(name, err) != 0)
		return -1;
	if (rbegin(s, &txn, &own, err) != 0)
		return -1;
	k.mv_size = strlen(name);
	k.mv_data = (void *)name;
	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		sm_fail(err, SM_ENOTFOUND, "meta %s not set", name);
	} else if (rc != 0) {
		lmdb_fail(s, err, rc, "read meta");
	} else {
		if (len)
			*len = v.mv_size;
		if (v.mv_size > cap || (!val && v.mv_size)) {
			sm_fail(err, SM_EBOUND, "meta %s: value of %zu bytes, buffer %zu",
			    name, v.mv_size, cap);
		} else {
			if (v.mv_size)
				memcpy(val, v.mv_data, v.mv_size);
			ret = 0;
		}
	}
	rdone(s, txn, own);
	return ret;
}

bool store_has_origseq(store_t *s, const uint8_t orig[SM_ID_LEN], uint64_t seq,
    uint8_t id[SM_ID_LEN])
{
	uint8_t key[SM_ID_LEN + 8];
	MDB_val k = { sizeof(key), key }, v;
	MDB_txn *txn;
	bool own, found;

	if (!s || !orig || rbegin(s, &txn, &own, NULL) != 0)
		return false;
	memcpy(key, orig, SM_ID_LEN);
	be64(key + SM_ID_LEN, seq);
	found = mdb_get(txn, s->origseq, &k, &v) == 0 && v.mv_size == SM_ID_LEN;
	if (found && id)
		memcpy(id, v.mv_data, SM_ID_LEN);
	rdone(s, txn, own);
	return found;
}

/* Callback result: 0 go on, 1 stop (ok), -1 error. */
static int cb_result(int r, sm_err *err)
{
	if (r < 0)
		return sm_fail(err, SM_EINVAL, "store iteration: stopped by callback error");
	return r;
}

int store_each_arrival(store_t *s, uint64_t after, store_each_fn fn, void *ctx, sm_err *err)
{
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	uint8_t akey[8], id[SM_ID_LEN];
	MDB_val k = { 8, akey }, v, mv;
	store_meta m;
	bool own;
	int rc, ret = -1, op = MDB_SET_RANGE;

	if (!s || !fn)
		return sm_fail(err, SM_EINVAL, "store_each_arrival: missing argument");
	if (after == UINT64_MAX)
		return 0;
	if (rbegin(s, &txn, &own, err) != 0)
		return -1;
	if ((rc = mdb_cursor_open(txn, s->msgs, &c)) != 0) {
		lmdb_fail(s, err, rc, "cursor");
		goto out;
	}
	be64(akey, after + 1);
	for (;; op = MDB_NEXT) {
		rc = mdb_cursor_get(c, &k, &v, op);
		if (rc == MDB_NOTFOUND)
			break;
		if (rc != 0) {
			lmdb_fail(s, err, rc, "iterate msgs");
			goto out;
		}
		/* msgs holds bytes only; the id, and so the meta, is their hash. */
		crypto_generichash(id, sizeof(id), v.mv_data, v.mv_size, NULL, 0);
		if (k.mv_size != 8 || load(s, txn, id, &m, &mv, err) != 0 ||
		    m.arrival != rd64(k.mv_data)) {
			sm_err_clear(err);
			corrupt(s, err, "arrival entry without matching ids record", id);
			goto out;
		}
		if ((rc = cb_result(fn(ctx, &m, v.mv_data, v.mv_size), err)) != 0) {
			ret = rc > 0 ? 0 : -1;
			goto out;
		}
	}
	ret = 0;
out:
	if (c)
		mdb_cursor_close(c);
	rdone(s, txn, own);
	return ret;
}

int store_each_created(store_t *s, uint64_t from, uint64_t to, store_each_fn fn,
    void *ctx, sm_err *err)
{
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	uint8_t ckey[8 + SM_ID_LEN] = { 0 };
	MDB_val k = { sizeof(ckey), ckey }, v, obj;
	store_meta m;
	bool own;
	int rc, ret = -1, op = MDB_SET_RANGE;

	if (!s || !fn)
		return sm_fail(err, SM_EINVAL, "store_each_created: missing argument");
	if (from >= to)
		return 0;
	if (rbegin(s, &txn, &own, err) != 0)
		return -1;
	if ((rc = mdb_cursor_open(txn, s->created, &c)) != 0) {
		lmdb_fail(s, err, rc, "cursor");
		goto out;
	}
	be64(ckey, from);
	for (;; op = MDB_NEXT) {
		rc = mdb_cursor_get(c, &k, &v, op);
		if (rc == MDB_NOTFOUND)
			break;
		if (rc != 0) {
			lmdb_fail(s, err, rc, "iterate created");
			goto out;
		}
		if (k.mv_size != sizeof(ckey)) {
			corrupt(s, err, "created key of wrong size", NULL);
			goto out;
		}
		if (rd64(k.mv_data) >= to)
			break;
		if (load(s, txn, (const uint8_t *)k.mv_data + 8, &m, &obj, err) != 0) {
			if (err && err->code == SM_ENOTFOUND) {
				sm_err_clear(err);
				corrupt(s, err, "created entry for a missing object",
				    (const uint8_t *)k.mv_data + 8);
			}
			goto out;
		}
		if ((rc = cb_result(fn(ctx, &m, obj.mv_data, obj.mv_size), err)) != 0) {
			ret = rc > 0 ? 0 : -1;
			goto out;
		}
	}
	ret = 0;
out:
	if (c)
		mdb_cursor_close(c);
	rdone(s, txn, own);
	return ret;
}

int store_each_ref(store_t *s, const uint8_t report[SM_ID_LEN], store_each_fn fn,
    void *ctx, sm_err *err)
{
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k = { SM_ID_LEN, (void *)report }, v, obj;
	store_meta m;
	bool own;
	int rc, ret = -1, op = MDB_SET;

	if (!s || !fn || !report)
		return sm_fail(err, SM_EINVAL, "store_each_ref: missing argument");
	if (rbegin(s, &txn, &own, err) != 0)
		return -1;
	if ((rc = mdb_cursor_open(txn, s->refs, &c)) != 0) {
		lmdb_fail(s, err, rc, "cursor");
		goto out;
	}
	for (;; op = MDB_NEXT_DUP) {
		rc = mdb_cursor_get(c, &k, &v, op);
		if (rc == MDB_NOTFOUND)
			break;
		if (rc != 0) {
			lmdb_fail(s, err, rc, "iterate refs");
			goto out;
		}
		if (v.mv_size != SM_ID_LEN) {
			corrupt(s, err, "refs value of wrong size", report);
			goto out;
		}
		if (load(s, txn, v.mv_data, &m, &obj, err) != 0) {
			if (err && err->code == SM_ENOTFOUND) {
				sm_err_clear(err);
				corrupt(s, err, "refs entry for a missing object", v.mv_data);
			}
			goto out;
		}
		if ((rc = cb_result(fn(ctx, &m, obj.mv_data, obj.mv_size), err)) != 0) {
			ret = rc > 0 ? 0 : -1;
			goto out;
		}
	}
	ret = 0;
out:
	if (c)
		mdb_cursor_close(c);
	rdone(s, txn, own);
	return ret;
}

int store_each_indicator(store_t *s, uint8_t ind_type, const char *value,
    store_id_fn fn, void *ctx, sm_err *err)
{
	uint8_t key[1 + STORE_IND_LITERAL_MAX];
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	size_t vlen, klen;
	bool own;
	int rc, ret = -1, op = MDB_SET;

	if (!s || !fn)
		return sm_fail(err, SM_EINVAL, "store_each_indicator: missing argument");
	if (ind_check(s, ind_type, value, &vlen, err) != 0)
		return -1;
	ind_key(ind_type, value, vlen, key, &klen);
	k.mv_size = klen;
	k.mv_data = key;
	if (rbegin(s, &txn, &own, err) != 0)
		return -1;
	if ((rc = mdb_cursor_open(txn, s->ind, &c)) != 0) {
		lmdb_fail(s, err, rc, "cursor");
		goto out;
	}
	for (;; op = MDB_NEXT_DUP) {
		rc = mdb_cursor_get(c, &k, &v, op);
		if (rc == MDB_NOTFOUND)
			break;
		if (rc != 0) {
			lmdb_fail(s, err, rc, "iterate indicators");
			goto out;
		}
		if (v.mv_size != SM_ID_LEN) {
			corrupt(s, err, "ind value of wrong size", NULL);
			goto out;
		}
		if ((rc = cb_result(fn(ctx, v.mv_data), err)) != 0) {
			ret = rc > 0 ? 0 : -1;
			goto out;
		}
	}
	ret = 0;
out:
	if (c)
		mdb_cursor_close(c);
	rdone(s, txn, own);
	return ret;
}

int store_stat(store_t *s, store_stats *st, sm_err *err)
{
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_envinfo info;
	MDB_stat ms;
	MDB_val k, v;
	uint64_t cnt[N_COUNTERS];
	bool own;
	int rc, ret = -1;

	if (!s || !st)
		return sm_fail(err, SM_EINVAL, "store_stat: missing argument");
	memset(st, 0, sizeof(*st));
	if (rbegin(s, &txn, &own, err) != 0)
		return -1;
	if (counters_get(txn, s, cnt) != 0) {
		corrupt(s, err, "counters record of wrong size", NULL);
		goto out;
	}
	st->objects = cnt[C_OBJECTS];
	st->reports = cnt[C_REPORTS];
	st->sightings = cnt[C_SIGHTINGS];
	st->retractions = cnt[C_RETRACTIONS];
	st->releases = cnt[C_RELEASES];
	st->indicators = cnt[C_INDICATORS];
	if ((rc = mdb_cursor_open(txn, s->msgs, &c)) != 0) {
		lmdb_fail(s, err, rc, "cursor");
		goto out;
	}
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == 8)
		st->last_arrival = rd64(k.mv_data);
	else if (rc != 0 && rc != MDB_NOTFOUND) {
		lmdb_fail(s, err, rc, "read last arrival");
		goto out;
	}
	if (mdb_env_info(s->env, &info) == 0 && mdb_env_stat(s->env, &ms) == 0) {
		st->bytes_used = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
		st->map_size = info.me_mapsize;
	}
	ret = 0;
out:
	if (c)
		mdb_cursor_close(c);
	rdone(s, txn, own);
	return ret;
}

/* ---- integrity check -------------------------------------------------- */

struct check {
	store_t *s;
	MDB_txn *txn;
	void (*report)(void *ctx, const char *text);
	void *ctx;
	uint64_t bad;
};

static void problem(struct check *ck, const uint8_t *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct check *ck, const uint8_t *id, const char *fmt, ...)
{
	char text[300], h[17] = "-";
	va_list ap;
	int n;

	ck->bad++;
	if (!ck->report)
		return;
	if (id)
		hex8(id, h);
	n = snprintf(text, sizeof(text), "object %s: ", h);
	va_start(ap, fmt);
	vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	va_end(ap);
	ck->report(ck->ctx, text);
}

/* The ids record of id, or -1 (and a problem) if missing or malformed. */
static int check_id(struct check *ck, const uint8_t *id, store_meta *m, const char *from)
{
	MDB_val k = { SM_ID_LEN, (void *)id }, v;

	if (mdb_get(ck->txn, ck->s->ids, &k, &v) != 0) {
		problem(ck, id, "%s entry points to an id with no ids record", from);
		return -1;
	}
	if (meta_unpack(&v, id, m) != 0) {
		problem(ck, id, "malformed ids record (%zu bytes)", v.mv_size);
		return -1;
	}
	return 0;
}

static bool has_key(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	MDB_cursor *c;
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	bool ok;

	if (!val) {
		return mdb_get(txn, dbi, &k, &v) == 0;
	}
	if (mdb_cursor_open(txn, dbi, &c) != 0)
		return false;
	ok = mdb_cursor_get(c, &k, &v, MDB_GET_BOTH) == 0;
	mdb_cursor_close(c);
	return ok;
}

int store_check(store_t *s, int (*verify)(void *ctx, const uint8_t *obj, size_t len),
    void (*report)(void *ctx, const char *text), void *ctx, uint64_t *bad, sm_err *err)
{
	struct check ck = { .s = s, .report = report, .ctx = ctx };
	MDB_cursor *c = NULL;
	MDB_val k, v, obj;
	uint8_t id[SM_ID_LEN], buf[8 + SM_ID_LEN];
	uint64_t cnt[N_COUNTERS], seen[N_COUNTERS] = { 0 };
	store_meta m, m2;
	bool own;
	int rc, ret = -1, op;
	static const char *const cname[N_COUNTERS] = {
		"objects", "reports", "sightings", "retractions", "releases", "indicators" };

	if (!s)
		return sm_fail(err, SM_EINVAL, "store_check: NULL store");
	if (rbegin(s, &ck.txn, &own, err) != 0)
		return -1;

	/* msgs: every object hashes to an id whose record points back here. */
	if ((rc = mdb_cursor_open(ck.txn, s->msgs, &c)) != 0)
		goto lmdb;
	for (op = MDB_FIRST; (rc = mdb_cursor_get(c, &k, &v, op)) == 0; op = MDB_NEXT) {
		seen[C_OBJECTS]++;
		crypto_generichash(id, sizeof(id), v.mv_data, v.mv_size, NULL, 0);
		if (k.mv_size != 8) {
			problem(&ck, id, "msgs key of %zu bytes", k.mv_size);
			continue;
		}
		if (check_id(&ck, id, &m, "msgs") != 0)
			continue;
		if (m.arrival != rd64(k.mv_data))
			problem(&ck, id, "stored at arrival %llu but ids says %llu",
			    (unsigned long long)rd64(k.mv_data), (unsigned long long)m.arrival);
		seen[C_REPORTS + m.type - SM_MSG_REPORT]++;
		if (verify && verify(ctx, v.mv_data, v.mv_size) != 0)
			problem(&ck, id, "does not verify");
	}
	if (rc != MDB_NOTFOUND)
		goto lmdb;
	mdb_cursor_close(c);
	c = NULL;

	/* ids: the bytes exist at the recorded arrival, hash to the id, and
	 * every index that should name the object does. */
	if ((rc = mdb_cursor_open(ck.txn, s->ids, &c)) != 0)
		goto lmdb;
	for (op = MDB_FIRST; (rc = mdb_cursor_get(c, &k, &v, op)) == 0; op = MDB_NEXT) {
		const uint8_t *kid = k.mv_data;
		if (k.mv_size != SM_ID_LEN) {
			problem(&ck, NULL, "ids key of %zu bytes", k.mv_size);
			continue;
		}
		if (meta_unpack(&v, kid, &m) != 0) {
			problem(&ck, kid, "malformed ids record (%zu bytes)", v.mv_size);
			continue;
		}
		be64(buf, m.arrival);
		k.mv_size = 8;
		k.mv_data = buf;
		if (mdb_get(ck.txn, s->msgs, &k, &obj) != 0) {
			problem(&ck, kid, "no bytes at arrival %llu", (unsigned long long)m.arrival);
		} else {
			crypto_generichash(id, sizeof(id), obj.mv_data, obj.mv_size, NULL, 0);
			if (memcmp(id, m.id, SM_ID_LEN) != 0)
				problem(&ck, m.id, "bytes at arrival %llu hash to another id",
				    (unsigned long long)m.arrival);
		}
		memcpy(buf, m.originator, SM_ID_LEN);
		be64(buf + SM_ID_LEN, m.seq);
		if (!has_key(ck.txn, s->origseq, buf, SM_ID_LEN + 8, NULL, 0))
			problem(&ck, m.id, "missing from the origseq index");
		be64(buf, m.created_ms);
		memcpy(buf + 8, m.id, SM_ID_LEN);
		if (!has_key(ck.txn, s->created, buf, sizeof(buf), NULL, 0))
			problem(&ck, m.id, "missing from the created index");
		if (m.has_ref && !has_key(ck.txn, s->refs, m.ref, SM_ID_LEN, m.id, SM_ID_LEN))
			problem(&ck, m.id, "missing from the refs index");
	}
	if (rc != MDB_NOTFOUND)
		goto lmdb;
	mdb_cursor_close(c);
	c = NULL;

	/* origseq: names an existing object with that originator and seq. */
	if ((rc = mdb_cursor_open(ck.txn, s->origseq, &c)) != 0)
		goto lmdb;
	for (op = MDB_FIRST; (rc = mdb_cursor_get(c, &k, &v, op)) == 0; op = MDB_NEXT) {
		if (k.mv_size != SM_ID_LEN + 8 || v.mv_size != SM_ID_LEN) {
			problem(&ck, NULL, "origseq entry of wrong size");
			continue;
		}
		if (check_id(&ck, v.mv_data, &m, "origseq") == 0 &&
		    (memcmp(m.originator, k.mv_data, SM_ID_LEN) != 0 ||
		    m.seq != rd64((const uint8_t *)k.mv_data + SM_ID_LEN)))
			problem(&ck, v.mv_data, "origseq key disagrees with its ids record");
	}
	if (rc != MDB_NOTFOUND)
		goto lmdb;
	mdb_cursor_close(c);
	c = NULL;

	/* created: names an existing object created at that time. */
	if ((rc = mdb_cursor_open(ck.txn, s->created, &c)) != 0)
		goto lmdb;
	for (op = MDB_FIRST; (rc = mdb_cursor_get(c, &k, &v, op)) == 0; op = MDB_NEXT) {
		const uint8_t *kid = (const uint8_t *)k.mv_data + 8;
		if (k.mv_size != 8 + SM_ID_LEN) {
			problem(&ck, NULL, "created key of %zu bytes", k.mv_size);
			continue;
		}
		if (check_id(&ck, kid, &m, "created") == 0 && m.created_ms != rd64(k.mv_data))
			problem(&ck, kid, "created index time disagrees with its ids record");
	}
	if (rc != MDB_NOTFOUND)
		goto lmdb;
	mdb_cursor_close(c);
	c = NULL;

	/* refs: each listed object exists and refers to this report. */
	if ((rc = mdb_cursor_open(ck.txn, s->refs, &c)) != 0)
		goto lmdb;
	for (op = MDB_FIRST; (rc = mdb_cursor_get(c, &k, &v, op)) == 0; op = MDB_NEXT) {
		if (k.mv_size != SM_ID_LEN || v.mv_size != SM_ID_LEN) {
			problem(&ck, NULL, "refs entry of wrong size");
			continue;
		}
		if (check_id(&ck, v.mv_data, &m, "refs") == 0 &&
		    (!m.has_ref || memcmp(m.ref, k.mv_data, SM_ID_LEN) != 0))
			problem(&ck, v.mv_data, "listed under a report it does not refer to");
	}
	if (rc != MDB_NOTFOUND)
		goto lmdb;
	mdb_cursor_close(c);
	c = NULL;

	/* ind: each report id exists and is a report. */
	if ((rc = mdb_cursor_open(ck.txn, s->ind, &c)) != 0)
		goto lmdb;
	for (op = MDB_FIRST; (rc = mdb_cursor_get(c, &k, &v, op)) == 0; op = MDB_NEXT) {
		seen[C_INDICATORS]++;
		if (k.mv_size < 2 || v.mv_size != SM_ID_LEN) {
			problem(&ck, NULL, "ind entry of wrong size");
			continue;
		}
		if (check_id(&ck, v.mv_data, &m2, "ind") == 0 && m2.type != SM_MSG_REPORT)
			problem(&ck, v.mv_data, "indexed indicator names a non-report");
	}
	if (rc != MDB_NOTFOUND)
		goto lmdb;
	mdb_cursor_close(c);
	c = NULL;

	if (counters_get(ck.txn, s, cnt) != 0) {
		problem(&ck, NULL, "counters record of wrong size");
	} else {
		for (int i = 0; i < N_COUNTERS; i++)
			if (cnt[i] != seen[i])
				problem(&ck, NULL, "counter %s is %llu, found %llu", cname[i],
				    (unsigned long long)cnt[i], (unsigned long long)seen[i]);
	}
	ret = 0;
	goto out;
lmdb:
	lmdb_fail(s, err, rc, "check");
out:
	if (c)
		mdb_cursor_close(c);
	rdone(s, ck.txn, own);
	if (bad)
		*bad = ck.bad;
	return ret;
}
