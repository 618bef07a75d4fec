/*
 * Live view relay (docs/live.md, "porterd API"). porterd checks an owner's
 * live request, relays it to the home's hubs, and then passes ciphertext
 * from the camera to the viewer: a key record and fragments it cannot
 * open, kept in memory only (never on disk, never in a log line).
 *
 * The table: every session (and, after it ended, a small tombstone until
 * a minute past its expiry, so its id cannot be used again and its viewer
 * gets 410, not 404) in one list under reg->mu. Bounded: [live] sessions
 * open at once, viewers_per_home of them per home and as many per account,
 * STARTS_PER_MIN opened by one account in a minute (429: one account
 * never makes the others' POST 503); tombstones do not count as open and
 * are at most TOMBS_PER_SESSION x sessions (at least TOMBS_MIN), the one
 * nearest its end dropped for a new one (the hub keeps its own replay
 * set). Bytes: [live] memory of key records and fragments in all, [live]
 * session_memory of them per session (507 beyond it); at most
 * UPLOADS_PER_SESSION fragment bodies received at once per session.
 * Served fragments are lent to libmicrohttpd, refcounted and immutable,
 * at most SERVING_PER_SESSION answers in flight per session (429).
 * The viewer's routes check, at each request, that the account is still
 * an owner of the session's home (404 and the session ended if not);
 * live_end_account ends them at a member's removal. With several porterd
 * on one store, a session lives in the one that opened it (docs/live.md).
 *
 * Long polls. GET .../fragments/{n} that finds nothing suspends its
 * connection (libmicrohttpd's suspend/resume) with a waiter that belongs
 * to the request (rq->live): linked in reg->waiters while suspended, and
 * only then. A waiter is suspended and resumed under reg->mu only, and
 * resuming unlinks it, so a resume never meets a connection that is not
 * suspended or is gone (the bugs stream.c once had). A resumed request is
 * answered from the table again (live_again): the fragment, 410, 409, or
 * 204 at its deadline; else it waits again. Waiters are woken by the
 * fragment's PUT, by the session's end (DELETE, reaper) and by the reaper
 * at their deadline; live_stop wakes all and none may suspend after it.
 * At most WAITERS_PER_SESSION per session (429).
 *
 * The reaper thread ends sessions past their expiry or without a viewer's
 * fetch for [live] idle_timeout (a viewer waiting in a long poll counts as
 * fetching), frees their bytes at once, and drops tombstones at expiry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <microhttpd.h>

#include "porter/envelope.h"
#include "porter/live.h"
#include "porter/text.h"
#include "api.h"
#include "camrevoke.h"
#include "porterd.h"

#define TICK_MS 100
#define WAITERS_PER_SESSION 4
#define TOMBS_PER_SESSION 8		/* ended sessions' ids kept: 8 x [live] sessions */
#define TOMBS_MIN 1024
#define STARTS_PER_MIN 20		/* POST /live per account in 60 s */
#define UPLOADS_PER_SESSION 2		/* fragment bodies received at once per session */
#define SERVING_PER_SESSION 8		/* fragment answers in flight per session */
#define BUFFER_MAX 32			/* [live] buffer's upper bound (config.c) */
#define REQUEST_B64_MAX 700		/* > pt_b64_len(PT_ENVELOPE_SIZE_MAX) */
#define TOMBSTONE_S 60			/* an ended session's id is kept past its expiry */

/* A fragment's bytes: immutable once stored, shared by the table and the
 * answers that send it; freed (wiped) with the last reference. */
struct fbuf {
	atomic_uint refs;
	size_t len;
	uint8_t p[];
};

struct frag {
	uint8_t *p;			/* NULL: none; else b->p */
	size_t len;
	uint32_t index;
	struct fbuf *b;
};

/* An answer lending a fragment (struct reply's data_cls). */
struct serve {
	struct server *s;
	struct fbuf *b;
	uint8_t id[PT_LIVE_ID_LEN];
};

struct live_session {
	struct live_session *next;
	uint8_t id[PT_LIVE_ID_LEN];
	char home[PT_ID_MAX + 1];
	char camera[PT_ID_MAX + 1];
	uint8_t cam_pk[PT_PK_LEN];
	uint8_t viewer_xpk[PT_LIVE_XPK_LEN];
	int64_t account;
	int64_t expires_at;		/* UTC seconds: the request's exp */
	uint64_t last_fetch_ns;		/* monotonic */
	uint64_t opened_ns;		/* monotonic: POST /live */
	unsigned uploads;		/* fragment bodies being received */
	unsigned serving;		/* fragment answers in flight */
	bool ended;			/* a tombstone: no bytes, only the id */
	bool relayed;			/* published: before that, not visible */
	uint8_t *keyrec;
	size_t keyrec_len;
	struct frag f0;
	struct frag ring[BUFFER_MAX];	/* media fragments, oldest first */
	unsigned ring_n, ring_cap;
	bool has_media;
	uint32_t newest;		/* the newest media index received */
	size_t bytes;			/* held: keyrec + f0 + ring */
	unsigned waiters;		/* suspended long polls */
};

struct live_waiter {
	struct live_waiter *prev, *next;	/* in reg->waiters while linked */
	bool linked;				/* under reg->mu */
	struct MHD_Connection *c;
	uint8_t id[PT_LIVE_ID_LEN];
	uint32_t index;
	int64_t account;
	uint64_t deadline_ns;
};

struct lives {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct live_session *head;
	struct live_waiter *waiters;
	unsigned n_open, n_entries;
	size_t bytes;			/* all sessions' held bytes */
	bool quit, stopping;
	pthread_t reaper;
};

struct live_cfg {
	unsigned sessions, per_home, buffer;
	size_t memory, share;
	int64_t idle_s, wait_s, skew_s;
};

static void
cfg_get(struct server *s, struct live_cfg *c)
{
	pthread_rwlock_rdlock(&s->cfg_lock);
	c->sessions = s->cfg.live_sessions;
	c->per_home = s->cfg.live_viewers_per_home;
	c->buffer = s->cfg.live_buffer;
	c->memory = s->cfg.live_memory;
	c->share = s->cfg.live_session_memory;
	c->idle_s = s->cfg.live_idle_timeout;
	c->wait_s = s->cfg.live_wait;
	c->skew_s = s->cfg.live_skew;
	pthread_rwlock_unlock(&s->cfg_lock);
	if (c->buffer < 1 || c->buffer > BUFFER_MAX)
		c->buffer = 4;
	if (c->share == 0 || c->share > c->memory)
		c->share = c->memory;
}

/* ---- the table (under reg->mu) ---- */

static struct live_session *
find(struct lives *reg, const uint8_t id[PT_LIVE_ID_LEN])
{
	struct live_session *ls;

	for (ls = reg->head; ls != NULL; ls = ls->next)
		if (memcmp(ls->id, id, PT_LIVE_ID_LEN) == 0)
			return ls;
	return NULL;
}

static void
fbuf_unref(struct fbuf *b)
{
	if (b != NULL && atomic_fetch_sub(&b->refs, 1) == 1) {
		pt_wipe(b->p, b->len);
		free(b);
	}
}

static void
frag_free(struct frag *f)
{
	fbuf_unref(f->b);
	f->b = NULL;
	f->p = NULL;
	f->len = 0;
}

/* Resume every waiter of the session id (all with id NULL). */
static void
wake(struct lives *reg, const uint8_t *id)
{
	struct live_waiter *w = reg->waiters, *nx;
	struct live_session *ls;

	for (; w != NULL; w = nx) {
		nx = w->next;
		if (id != NULL && memcmp(w->id, id, PT_LIVE_ID_LEN) != 0)
			continue;
		if (w->prev != NULL)
			w->prev->next = w->next;
		else
			reg->waiters = w->next;
		if (w->next != NULL)
			w->next->prev = w->prev;
		w->prev = w->next = NULL;
		w->linked = false;
		/* A viewer that waited was fetching all along. */
		if ((ls = find(reg, w->id)) != NULL) {
			if (ls->waiters > 0)
				ls->waiters--;
			ls->last_fetch_ns = now_mono_ns();
		}
		MHD_resume_connection(w->c);
	}
}

/* End the session: its bytes freed now, its waiters woken; it stays as a
 * tombstone until its expiry. */
static void
end_session(struct lives *reg, struct live_session *ls, const char *why)
{
	unsigned i;
	char hx[2 * PT_LIVE_ID_LEN + 1];

	if (ls->ended)
		return;
	ls->ended = true;
	if (ls->keyrec != NULL) {
		pt_wipe(ls->keyrec, ls->keyrec_len);
		free(ls->keyrec);
		ls->keyrec = NULL;
	}
	frag_free(&ls->f0);
	for (i = 0; i < ls->ring_n; i++)
		frag_free(&ls->ring[i]);
	ls->ring_n = 0;
	reg->bytes -= ls->bytes;
	ls->bytes = 0;
	if (ls->relayed)
		reg->n_open--;
	wake(reg, ls->id);
	if (ls->relayed) {
		pt_live_id_text(ls->id, hx);
		plog(LOG_INFO_, "event=live_end session=%s home=%s reason=%s", hx, ls->home, why);
	}
}

static void
unlink_free(struct lives *reg, struct live_session *ls)
{
	struct live_session **pp;

	end_session(reg, ls, "removed");
	for (pp = &reg->head; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == ls) {
			*pp = ls->next;
			break;
		}
	}
	reg->n_entries--;
	free(ls);
}

/* Is the session over now (it is ended then)? */
static bool
over(struct lives *reg, struct live_session *ls, int64_t now, uint64_t mono, int64_t idle_s)
{
	if (ls->ended)
		return true;
	if (!ls->relayed)
		return false;
	if (now >= ls->expires_at) {
		end_session(reg, ls, "expired");
		return true;
	}
	if (ls->waiters == 0 && mono - ls->last_fetch_ns > (uint64_t)idle_s * 1000000000u) {
		end_session(reg, ls, "idle");
		return true;
	}
	return false;
}

static void *
reaper(void *arg)
{
	struct server *s = arg;
	struct lives *reg = s->lives;
	struct live_session *ls, *nx;
	struct live_waiter *w, *wn;
	struct live_cfg cf;
	struct timespec until;
	int64_t now;
	uint64_t mono;

	pthread_mutex_lock(&reg->mu);
	while (!reg->quit) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!reg->quit)
			if (pthread_cond_timedwait(&reg->cv, &reg->mu, &until) == ETIMEDOUT)
				break;
		if (reg->quit)
			break;
		pthread_mutex_unlock(&reg->mu);
		cfg_get(s, &cf);	/* not under reg->mu: the lock order is cfg, then mu */
		pthread_mutex_lock(&reg->mu);
		now = now_utc();
		mono = now_mono_ns();
		for (ls = reg->head; ls != NULL; ls = nx) {
			nx = ls->next;
			if (ls->waiters > 0)
				ls->last_fetch_ns = mono;	/* waiting is fetching */
			(void)over(reg, ls, now, mono, cf.idle_s);
			if (ls->ended && now >= ls->expires_at + TOMBSTONE_S)
				unlink_free(reg, ls);
		}
		/* Waiters at their deadline: resumed, they answer 204. */
		for (w = reg->waiters; w != NULL; w = wn) {
			wn = w->next;
			if (mono >= w->deadline_ns) {
				if (w->prev != NULL)
					w->prev->next = w->next;
				else
					reg->waiters = w->next;
				if (w->next != NULL)
					w->next->prev = w->prev;
				w->prev = w->next = NULL;
				w->linked = false;
				if ((ls = find(reg, w->id)) != NULL) {
					if (ls->waiters > 0)
						ls->waiters--;
					ls->last_fetch_ns = mono;
				}
				MHD_resume_connection(w->c);
			}
		}
	}
	pthread_mutex_unlock(&reg->mu);
	return NULL;
}

int
live_start(struct server *s)
{
	struct lives *reg = calloc(1, sizeof(*reg));
	pthread_condattr_t ca;

	if (reg == NULL)
		return -1;
	pthread_mutex_init(&reg->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&reg->cv, &ca);
	pthread_condattr_destroy(&ca);
	s->lives = reg;
	if (pthread_create(&reg->reaper, NULL, reaper, s) != 0) {
		s->lives = NULL;
		pthread_cond_destroy(&reg->cv);
		pthread_mutex_destroy(&reg->mu);
		free(reg);
		return -1;
	}
	return 0;
}

void
live_stop(struct server *s)
{
	struct lives *reg = s->lives;

	if (reg == NULL)
		return;
	pthread_mutex_lock(&reg->mu);
	reg->stopping = true;
	wake(reg, NULL);
	reg->quit = true;
	pthread_cond_signal(&reg->cv);
	pthread_mutex_unlock(&reg->mu);
	pthread_join(reg->reaper, NULL);
}

void
live_free(struct server *s)
{
	struct lives *reg = s->lives;

	if (reg == NULL)
		return;
	pthread_mutex_lock(&reg->mu);
	while (reg->head != NULL)
		unlink_free(reg, reg->head);
	pthread_mutex_unlock(&reg->mu);
	pthread_cond_destroy(&reg->cv);
	pthread_mutex_destroy(&reg->mu);
	free(reg);
	s->lives = NULL;
}

/* ---- answers ---- */

static void
gone(struct reply *rp)
{
	fail(rp, 410, "gone", NULL, "this live session is over");
}

static void
camera_refused(struct reply *rp)
{
	fail(rp, 401, "unauthenticated", NULL, "unknown camera or bad signature");
}

/* ---- POST /v1/homes/{id}/live ---- */

/*
 * The body, in one place: exactly {"request": "<base64url>"}, the
 * envelope at most PT_ENVELOPE_SIZE_MAX bytes. false with the reply filled.
 */
static bool
request_decode(const struct request *rq, struct reply *rp, uint8_t *env, size_t *env_len)
{
	json_t *j, *v;
	const char *key, *t;
	size_t n, out;
	bool ok = false;

	*env_len = 0;
	j = json_loadb(rq->body != NULL ? rq->body : "", rq->len, JSON_REJECT_DUPLICATES, NULL);
	if (j == NULL || !json_is_object(j)) {
		fail(rp, 400, "bad-request", NULL, "the body is not one JSON object");
		goto out;
	}
	json_object_foreach(j, key, v) {
		if (strcmp(key, "request") != 0) {
			fail(rp, 400, "unknown-field", key, "this field is not known here");
			goto out;
		}
	}
	v = json_object_get(j, "request");
	if (v == NULL) {
		fail(rp, 400, "missing-field", "request", "'request' is required");
		goto out;
	}
	t = json_string_value(v);
	n = t != NULL ? json_string_length(v) : 0;
	if (t == NULL || n == 0 || n > REQUEST_B64_MAX || n % 4 == 1 ||
	    (out = n / 4 * 3 + (n % 4 != 0 ? n % 4 - 1 : 0)) > PT_ENVELOPE_SIZE_MAX ||
	    pt_b64_decode(env, out, t, n) != PT_OK) {
		fail(rp, 400, "invalid-field", "request",
		     "'request' must be a signed live request in base64url");
		goto out;
	}
	*env_len = out;
	ok = true;
out:
	json_decref(j);
	return ok;
}

/* A request refused here never reaches a hub, so the refusal is recorded
 * in the home's events (docs/live.md): the reason, the caller, and the
 * session and signer once the signature verified. The caller is an owner
 * of the home (checked first), so only owners can add these. */
static void
record_refusal(struct server *s, struct request *rq, const char *home_id, const char *reason,
	       const struct pt_envelope *env)
{
	char hx[2 * PT_LIVE_ID_LEN + 1], kid[2 * PT_KID_LEN + 1];
	json_t *d;

	d = json_pack("{s:s,s:I}", "reason", reason, "by", (json_int_t)rq->actor);
	if (d == NULL)
		return;
	if (env != NULL) {
		pt_live_id_text(env->nonce, hx);
		hex(env->kid, PT_KID_LEN, kid);
		json_object_set_new(d, "session", json_string(hx));
		json_object_set_new(d, "owner_key_id", json_string(kid));
	}
	if (pt_store_begin(s->st) != PT_OK) {
		json_decref(d);
		return;
	}
	if (record_event(s, home_id, "live.refused", d, NULL) != PT_OK ||
	    pt_store_commit(s->st) != PT_OK) {
		pt_store_rollback(s->st);
		plog(LOG_ERR_, "event=live_refused id=%s home=%s error=\"not recorded\"", rq->id,
		     home_id);
		return;
	}
	stream_notify(s);
}

void
live_open(struct server *s, struct request *rq, struct reply *rp, const struct pt_home *h, int role)
{
	struct lives *reg = s->lives;
	uint8_t env_b[PT_ENVELOPE_SIZE_MAX];
	uint8_t (*roots)[PT_PK_LEN] = NULL;
	struct pt_envelope env;
	struct pt_camera cam;
	struct live_session *ls = NULL, *o;
	struct live_cfg cf;
	char hx[2 * PT_LIVE_ID_LEN + 1], kid[2 * PT_KID_LEN + 1], target[PT_ID_MAX + 8];
	size_t env_len = 0, n_roots = 0, idx = 0, hubs = 0;
	unsigned in_home = 0, mine = 0, starts = 0, live_n = 0, tombs = 0, tomb_max;
	struct live_session *oldest = NULL;
	uint64_t mono;
	int64_t now;
	int x;

	if (!need_owner(role, rp) || !need_json(rq, rp) || !request_decode(rq, rp, env_b, &env_len))
		return;
	if (reg == NULL) {
		fail_internal(rp);
		return;
	}
	cfg_get(s, &cf);
	if ((roots = load_roots(s, h->id, &n_roots)) == NULL) {
		fail_internal(rp);
		return;
	}
	now = now_utc();
	/* Signature by an owner key of the home, audience, freshness, exp > now. */
	x = pt_envelope_verify(pt_crypto_sodium(), env_b, env_len, PT_ENV_LIVE,
			       (const uint8_t (*)[PT_PK_LEN])roots, n_roots, h->id, now,
			       (uint32_t)cf.skew_s, &env, &idx);
	free(roots);
	if (x != PT_OK) {
		record_refusal(s, rq, h->id, pt_err_info(x)->code, NULL);
		fail_reason(rp, x, "request");
		return;
	}
	if (env.exp <= now) {
		record_refusal(s, rq, h->id, pt_err_info(PT_EEXPIRED)->code, &env);
		fail_reason(rp, PT_EEXPIRED, "request");
		return;
	}
	if (env.exp <= env.iat || env.exp - env.iat > PT_LIVE_SECONDS_MAX) {
		fail(rp, 400, "invalid-field", "request",
		     "a live request may last at most 600 seconds after it was signed");
		return;
	}
	if (env.op != PT_LIVE_VIEW || env.target_len != PT_LIVE_XPK_LEN ||
	    !pt_live_xpk_is_valid(env.target)) {
		fail(rp, 400, "invalid-field", "request", "the request's viewer key is not usable");
		return;
	}
	if (pt_store_camera_by_id(s->st, env.lock, &cam) != PT_OK || strcmp(cam.home_id, h->id) != 0) {
		fail(rp, 404, "not-found", "camera", "no such camera in this home");
		return;
	}
	{
		/* A revoked camera streams nothing porterd would take (camrevoke.h). */
		bool revoked = false;
		if (camera_keys_revoked(s, h->id, (const uint8_t(*)[PT_PK_LEN])cam.pk, 1, &revoked) !=
		    PT_OK) {
			fail_internal(rp);
			return;
		}
		if (revoked) {
			fail(rp, 403, "revoked", "camera", "this camera's key is revoked in this home");
			return;
		}
	}
	pt_live_id_text(env.nonce, hx);
	hex(env.kid, PT_KID_LEN, kid);
	if ((ls = calloc(1, sizeof(*ls))) == NULL) {
		fail_internal(rp);
		return;
	}
	memcpy(ls->id, env.nonce, PT_LIVE_ID_LEN);
	memcpy(ls->home, h->id, sizeof(ls->home));
	memcpy(ls->camera, cam.id, sizeof(ls->camera));
	memcpy(ls->cam_pk, cam.pk, PT_PK_LEN);
	memcpy(ls->viewer_xpk, env.target, PT_LIVE_XPK_LEN);
	ls->account = rq->actor;
	ls->expires_at = env.exp;
	ls->last_fetch_ns = ls->opened_ns = mono = now_mono_ns();
	ls->ring_cap = cf.buffer;
	/* Replay and limits, counted under the lock so two at once cannot both
	 * pass; the entry is reserved (not yet visible) while it is relayed. */
	pthread_mutex_lock(&reg->mu);
	if (find(reg, ls->id) != NULL) {
		pthread_mutex_unlock(&reg->mu);
		free(ls);
		record_refusal(s, rq, h->id, "replayed", &env);
		fail(rp, 409, "exists", "request", "this live session id was used already");
		return;
	}
	/* Open (or being relayed) sessions of the home, of the account, in
	 * all; the account's starts in the last minute (tombstones stay at
	 * least that long); the tombstones. */
	for (o = reg->head; o != NULL; o = o->next) {
		if (!o->ended) {
			live_n++;
			in_home += strcmp(o->home, h->id) == 0;
			mine += o->account == rq->actor;
		} else {
			tombs++;
			if (oldest == NULL || o->expires_at < oldest->expires_at)
				oldest = o;
		}
		if (o->account == rq->actor && mono - o->opened_ns < 60ull * 1000000000ull)
			starts++;
	}
	if (in_home >= cf.per_home || mine >= cf.per_home) {
		pthread_mutex_unlock(&reg->mu);
		free(ls);
		(void)snprintf(rp->retry_after, sizeof(rp->retry_after), "10");
		fail(rp, 429, "too-many", NULL,
		     in_home >= cf.per_home ? "too many live views of this home at once"
					    : "too many live views of this account at once");
		return;
	}
	if (starts >= STARTS_PER_MIN) {
		pthread_mutex_unlock(&reg->mu);
		free(ls);
		(void)snprintf(rp->retry_after, sizeof(rp->retry_after), "60");
		fail(rp, 429, "too-many", NULL, "too many live views started in a minute");
		return;
	}
	if (reg->stopping || live_n >= cf.sessions) {
		pthread_mutex_unlock(&reg->mu);
		free(ls);
		(void)snprintf(rp->retry_after, sizeof(rp->retry_after), "10");
		fail(rp, 503, "unavailable", NULL, "too many live views at once; try again");
		return;
	}
	/* Room for one more tombstone later: the one nearest its end goes. */
	tomb_max = cf.sessions * TOMBS_PER_SESSION;
	if (tomb_max < TOMBS_MIN)
		tomb_max = TOMBS_MIN;
	if (tombs >= tomb_max && oldest != NULL)
		unlink_free(reg, oldest);
	ls->next = reg->head;
	reg->head = ls;
	reg->n_entries++;
	pthread_mutex_unlock(&reg->mu);

	/* The envelope as the owner made it, to every hub of the home. */
	x = mqtt_hub_relay(s, h->id, MQTT_RELAY_LIVE, env_b, env_len, &hubs);
	pthread_mutex_lock(&reg->mu);
	if (x != PT_OK) {
		unlink_free(reg, ls);
		pthread_mutex_unlock(&reg->mu);
		if (x == PT_ENOTFOUND)
			fail(rp, 409, "no-hub", NULL, "the home has no paired hub to relay to");
		else if (x == PT_EUNSUPPORTED || x == PT_EIO)
			fail(rp, 503, "mqtt-unavailable", NULL,
			     x == PT_EUNSUPPORTED ? "this server has no MQTT broker configured"
						  : "the MQTT broker cannot be reached now: try again");
		else
			fail_internal(rp);
		return;
	}
	ls->relayed = true;
	ls->last_fetch_ns = now_mono_ns();
	reg->n_open++;
	pthread_mutex_unlock(&reg->mu);
	plog(LOG_INFO_, "event=live_open id=%s home=%s session=%s camera=%s owner_key_id=%s hubs=%zu",
	     rq->id, h->id, hx, cam.id, kid, hubs);
	/* The audit trail: who asked, for which camera (relayed already: a
	 * store failure is a 500, though the request went out). */
	(void)snprintf(target, sizeof(target), "home:%s", h->id);
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	if (!commit_audited(s, rq, rp, "live.open", target,
			    json_pack("{s:s,s:s,s:s,s:I}", "session", hx, "camera", cam.id,
				      "owner_key_id", kid, "expires_at", (json_int_t)env.exp)))
		return;
	rp->status = 202;
	rp->body = json_pack("{s:s,s:s,s:I}", "session", hx, "camera", cam.id, "expires_at",
			     (json_int_t)env.exp);
}

/* ---- /v1/live/{session}... ---- */

/* "0", or 1..4294967295 without a leading zero. */
static bool
index_parse(const char *t, uint32_t *out)
{
	uint64_t v = 0;
	size_t i, n = strlen(t);

	if (n == 0 || n > 10 || (n > 1 && t[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(t[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool
id_parse(const char *t, size_t n, uint8_t id[PT_LIVE_ID_LEN])
{
	char buf[2 * PT_LIVE_ID_LEN + 1];
	size_t i;

	if (n != 2 * PT_LIVE_ID_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
			return false;
	memcpy(buf, t, n);
	buf[n] = '\0';
	return pt_live_id_parse(buf, id) == PT_OK;
}

enum route { R_NONE, R_SESSION, R_KEY, R_FRAGMENT };

/* rest after "/v1/live/": {s}, {s}/key, {s}/fragments/{n}. */
static enum route
route_parse(const char *rest, uint8_t id[PT_LIVE_ID_LEN], uint32_t *index)
{
	const char *slash = strchr(rest, '/');
	size_t n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);

	if (!id_parse(rest, n, id))
		return R_NONE;
	if (slash == NULL)
		return R_SESSION;
	if (strcmp(slash, "/key") == 0)
		return R_KEY;
	if (strncmp(slash, "/fragments/", 11) == 0 && index_parse(slash + 11, index))
		return R_FRAGMENT;
	return R_NONE;
}

bool
live_upload_path(const char *url, const char *method, bool *fragment)
{
	uint8_t id[PT_LIVE_ID_LEN];
	uint32_t n;
	enum route r;

	if (strcmp(method, "PUT") != 0 || strncmp(url, "/v1/live/", 9) != 0)
		return false;
	r = route_parse(url + 9, id, &n);
	*fragment = r == R_FRAGMENT;
	return r == R_FRAGMENT || r == R_KEY;
}

static bool
ctype_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	return ct != NULL && strncasecmp(ct, want, n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Porter-Camera names this session's camera (checked under reg->mu). */
static bool
camera_is(const struct live_session *ls, const char *cam)
{
	return cam != NULL && strnlen(cam, PT_ID_MAX + 1) <= PT_ID_MAX && strcmp(cam, ls->camera) == 0;
}

/* A reserved session, not yet relayed: the camera cannot have its order
 * yet, but may race the relay's end; it tries again (a 5xx is transient
 * for its uploader). */
static void
not_yet(struct reply *rp)
{
	(void)snprintf(rp->retry_after, sizeof(rp->retry_after), "1");
	fail(rp, 503, "unavailable", NULL, "this live session is being opened; try again");
}

/* Porter-Signature is 64 bytes of base64url. */
static bool
sig_decode(const char *t, uint8_t sig[PT_SIG_LEN])
{
	return t != NULL && strlen(t) == pt_b64_len(PT_SIG_LEN) &&
	       pt_b64_decode(sig, PT_SIG_LEN, t, strlen(t)) == PT_OK;
}

bool
live_upload_early(struct server *s, const char *url, const char *ctype, const char *camera,
		  const char *signature, struct reply *rp, bool *counted,
		  uint8_t id[PT_LIVE_ID_LEN])
{
	struct lives *reg = s->lives;
	struct live_session *ls;
	struct live_cfg cf;
	uint8_t sig[PT_SIG_LEN];
	uint32_t n;
	int status = 0;

	*counted = false;
	if (route_parse(url + 9, id, &n) != R_FRAGMENT)
		return false;
	if (!ctype_is(ctype, "application/octet-stream")) {
		fail(rp, 415, "unsupported-media-type", NULL,
		     "send the fragment as application/octet-stream");
		return true;
	}
	if (reg == NULL)
		return false;
	cfg_get(s, &cf);
	pthread_mutex_lock(&reg->mu);
	ls = find(reg, id);
	if (ls != NULL && !ls->relayed && !ls->ended)
		status = 503;
	else if (ls == NULL || over(reg, ls, now_utc(), now_mono_ns(), cf.idle_s))
		status = 410;
	else if (!camera_is(ls, camera) || !sig_decode(signature, sig))
		status = 401;
	else if (ls->uploads >= UPLOADS_PER_SESSION)
		status = 429;
	else
		ls->uploads++;	/* bodies of up to PT_LIVE_FRAGMENT_MAX: a few per session */
	pthread_mutex_unlock(&reg->mu);
	if (status == 503) {
		not_yet(rp);
		return true;
	}
	if (status == 410) {
		gone(rp);
		return true;
	}
	if (status == 401) {
		camera_refused(rp);
		return true;
	}
	if (status == 429) {
		(void)snprintf(rp->retry_after, sizeof(rp->retry_after), "1");
		fail(rp, 503, "unavailable", NULL,
		     "too many uploads to this live session at once; try again");
		return true;
	}
	*counted = true;
	return false;
}

void
live_upload_done(struct server *s, const uint8_t id[PT_LIVE_ID_LEN])
{
	struct lives *reg = s->lives;
	struct live_session *ls;

	if (reg == NULL)
		return;
	pthread_mutex_lock(&reg->mu);
	if ((ls = find(reg, id)) != NULL && ls->uploads > 0)
		ls->uploads--;
	pthread_mutex_unlock(&reg->mu);
}

/* PUT /v1/live/{s}/key */
static void
key_put(struct server *s, struct request *rq, struct reply *rp, const uint8_t id[PT_LIVE_ID_LEN])
{
	struct lives *reg = s->lives;
	struct live_session *ls;
	struct pt_live_keyrec k;
	struct live_cfg cf;
	uint8_t pk[PT_PK_LEN], xpk[PT_LIVE_XPK_LEN];
	char cam[PT_ID_MAX + 1], home[PT_ID_MAX + 1];
	uint8_t *copy = NULL;
	int x;

	if (!ctype_is(rq->content_type, "application/cbor")) {
		fail(rp, 415, "unsupported-media-type", NULL, "send the key record as application/cbor");
		return;
	}
	cfg_get(s, &cf);
	pthread_mutex_lock(&reg->mu);
	ls = find(reg, id);
	if (ls != NULL && !ls->relayed && !ls->ended) {
		pthread_mutex_unlock(&reg->mu);
		not_yet(rp);
		return;
	}
	if (ls == NULL || over(reg, ls, now_utc(), now_mono_ns(), cf.idle_s)) {
		pthread_mutex_unlock(&reg->mu);
		gone(rp);
		return;
	}
	if (!camera_is(ls, rq->camera)) {
		pthread_mutex_unlock(&reg->mu);
		camera_refused(rp);
		return;
	}
	memcpy(pk, ls->cam_pk, PT_PK_LEN);
	memcpy(xpk, ls->viewer_xpk, PT_LIVE_XPK_LEN);
	memcpy(cam, ls->camera, sizeof(cam));
	memcpy(home, ls->home, sizeof(home));
	pthread_mutex_unlock(&reg->mu);

	x = pt_live_keyrec_open(pt_crypto_sodium(), pk, (const uint8_t *)rq->body, rq->len, &k);
	if (x == PT_EBADSIG) {
		camera_refused(rp);
		return;
	}
	if (x == PT_OK && !camera_upload_allowed(s, rp, home, cam, pk))
		return;	/* revoked meanwhile: nothing kept (camrevoke.h) */
	if (x != PT_OK) {
		fail_reason(rp, x, "key");
		return;
	}
	if (strcmp(k.camera, cam) != 0 || memcmp(k.session, id, PT_LIVE_ID_LEN) != 0 ||
	    memcmp(k.viewer_xpk, xpk, PT_LIVE_XPK_LEN) != 0) {
		fail(rp, 400, "invalid-field", "key",
		     "the key record names another camera, session or viewer key");
		return;
	}
	pthread_mutex_lock(&reg->mu);
	ls = find(reg, id);
	if (ls == NULL || ls->ended) {
		pthread_mutex_unlock(&reg->mu);
		gone(rp);
		return;
	}
	if (ls->keyrec != NULL) {
		bool same = ls->keyrec_len == rq->len && memcmp(ls->keyrec, rq->body, rq->len) == 0;

		pthread_mutex_unlock(&reg->mu);
		if (same) {
			rp->status = 200;
			rp->body = json_pack("{s:b}", "stored", 1);
		} else {
			fail(rp, 409, "conflict", "key", "this session has another key record already");
		}
		return;
	}
	if (reg->bytes + rq->len > cf.memory || ls->bytes + rq->len > cf.share ||
	    (copy = malloc(rq->len)) == NULL) {
		pthread_mutex_unlock(&reg->mu);
		(void)snprintf(rp->retry_after, sizeof(rp->retry_after), "1");
		fail(rp, 503, "unavailable", NULL, "live view memory is full; try again");
		return;
	}
	memcpy(copy, rq->body, rq->len);
	ls->keyrec = copy;
	ls->keyrec_len = rq->len;
	ls->bytes += rq->len;
	reg->bytes += rq->len;
	pthread_mutex_unlock(&reg->mu);
	rp->status = 201;
	rp->body = json_pack("{s:b}", "stored", 1);
}

/* PUT /v1/live/{s}/fragments/{n} */
static void
fragment_put(struct server *s, struct request *rq, struct reply *rp,
	     const uint8_t id[PT_LIVE_ID_LEN], uint32_t index)
{
	struct lives *reg = s->lives;
	struct live_session *ls;
	struct pt_live_hdr hd;
	struct live_cfg cf;
	uint8_t pk[PT_PK_LEN], sig[PT_SIG_LEN], sha[PT_HASH_LEN];
	char cam[PT_ID_MAX + 1], home[PT_ID_MAX + 1];
	struct fbuf *copy = NULL;
	size_t drop = 0;
	int x;

	if (!ctype_is(rq->content_type, "application/octet-stream")) {
		fail(rp, 415, "unsupported-media-type", NULL,
		     "send the fragment as application/octet-stream");
		return;
	}
	cfg_get(s, &cf);
	pthread_mutex_lock(&reg->mu);
	ls = find(reg, id);
	if (ls != NULL && !ls->relayed && !ls->ended) {
		pthread_mutex_unlock(&reg->mu);
		not_yet(rp);
		return;
	}
	if (ls == NULL || over(reg, ls, now_utc(), now_mono_ns(), cf.idle_s)) {
		pthread_mutex_unlock(&reg->mu);
		gone(rp);
		return;
	}
	if (!camera_is(ls, rq->camera)) {
		pthread_mutex_unlock(&reg->mu);
		camera_refused(rp);
		return;
	}
	memcpy(pk, ls->cam_pk, PT_PK_LEN);
	memcpy(cam, ls->camera, sizeof(cam));
	memcpy(home, ls->home, sizeof(home));
	pthread_mutex_unlock(&reg->mu);

	if (!sig_decode(rq->signature, sig)) {
		camera_refused(rp);
		return;
	}
	x = pt_live_hdr_decode((const uint8_t *)rq->body, rq->len, &hd);
	if (x != PT_OK) {
		fail_reason(rp, x, "fragment");
		return;
	}
	if (memcmp(hd.session, id, PT_LIVE_ID_LEN) != 0 || hd.index != index) {
		fail(rp, 400, "invalid-field", "fragment",
		     "the fragment's header names another session or index");
		return;
	}
	pt_crypto_sodium()->sha256(sha, (const uint8_t *)rq->body, rq->len);
	if (pt_live_fragment_verify(pt_crypto_sodium(), pk, id, index, sha, sig) != PT_OK) {
		camera_refused(rp);
		return;
	}
	if (!camera_upload_allowed(s, rp, home, cam, pk))
		return;	/* revoked meanwhile: nothing kept (camrevoke.h) */

	pthread_mutex_lock(&reg->mu);
	ls = find(reg, id);
	if (ls == NULL || ls->ended) {
		pthread_mutex_unlock(&reg->mu);
		gone(rp);
		return;
	}
	if (index == 0 && ls->f0.p != NULL) {
		bool same = ls->f0.len == rq->len && memcmp(ls->f0.p, rq->body, rq->len) == 0;

		pthread_mutex_unlock(&reg->mu);
		if (same) {
			rp->status = 200;
			rp->body = json_pack("{s:b}", "stored", 1);
		} else {
			fail(rp, 409, "conflict", "fragment", "fragment 0 of this session differs");
		}
		return;
	}
	if (index > 0 && ls->has_media && index <= ls->newest) {
		pthread_mutex_unlock(&reg->mu);
		fail(rp, 409, "conflict", "fragment", "a newer fragment was stored already");
		return;
	}
	if (index > 0 && ls->ring_n == ls->ring_cap)
		drop = ls->ring[0].len;
	if (reg->bytes - drop + rq->len > cf.memory ||
	    (copy = malloc(sizeof(*copy) + rq->len)) == NULL) {
		pthread_mutex_unlock(&reg->mu);
		(void)snprintf(rp->retry_after, sizeof(rp->retry_after), "1");
		fail(rp, 503, "unavailable", NULL, "live view memory is full; try again");
		return;
	}
	/* This session's share ([live] session_memory): the others' uploads
	 * are not refused for it. */
	if (ls->bytes - drop + rq->len > cf.share) {
		pthread_mutex_unlock(&reg->mu);
		free(copy);
		(void)snprintf(rp->retry_after, sizeof(rp->retry_after), "1");
		fail(rp, 507, "quota", NULL,
		     "this live session holds its share of memory ([live] session_memory)");
		return;
	}
	atomic_init(&copy->refs, 1);
	copy->len = rq->len;
	memcpy(copy->p, rq->body, rq->len);
	if (index == 0) {
		ls->f0.b = copy;
		ls->f0.p = copy->p;
		ls->f0.len = rq->len;
		ls->f0.index = 0;
	} else {
		if (ls->ring_n == ls->ring_cap) {
			frag_free(&ls->ring[0]);
			memmove(&ls->ring[0], &ls->ring[1], (ls->ring_n - 1) * sizeof(ls->ring[0]));
			ls->ring_n--;
			ls->bytes -= drop;
			reg->bytes -= drop;
		}
		ls->ring[ls->ring_n].b = copy;
		ls->ring[ls->ring_n].p = copy->p;
		ls->ring[ls->ring_n].len = rq->len;
		ls->ring[ls->ring_n].index = index;
		ls->ring_n++;
		ls->has_media = true;
		ls->newest = index;
	}
	ls->bytes += rq->len;
	reg->bytes += rq->len;
	wake(reg, id);
	pthread_mutex_unlock(&reg->mu);
	rp->status = 201;
	rp->body = json_pack("{s:b}", "stored", 1);
}

/* The viewer's session, under reg->mu: NULL (and 404) for anyone else. */
static struct live_session *
viewer_find(struct lives *reg, const uint8_t id[PT_LIVE_ID_LEN], int64_t account)
{
	struct live_session *ls = find(reg, id);

	if (ls == NULL || !ls->relayed || ls->account != account)
		return NULL;
	return ls;
}

/* An answer lending a fragment is over (libmicrohttpd's free callback,
 * or http.c when it could not be made). */
static void
serve_done(void *cls)
{
	struct serve *sv = cls;
	struct lives *reg = sv->s->lives;
	struct live_session *ls;

	if (reg != NULL) {
		pthread_mutex_lock(&reg->mu);
		if ((ls = find(reg, sv->id)) != NULL && ls->serving > 0)
			ls->serving--;
		pthread_mutex_unlock(&reg->mu);
	}
	fbuf_unref(sv->b);
	free(sv);
}

/*
 * The answer to GET .../fragments/{n}, under reg->mu: true with the reply
 * filled, false when there is nothing yet (the caller waits). The bytes
 * are lent, not copied: at most SERVING_PER_SESSION answers at once.
 */
static bool
fragment_answer(struct server *s, struct live_session *ls, uint32_t index, struct reply *rp)
{
	struct serve *sv;
	const struct frag *f = NULL;
	unsigned i;

	if (index == 0) {
		if (ls->f0.p != NULL)
			f = &ls->f0;
	} else {
		for (i = 0; i < ls->ring_n; i++)
			if (ls->ring[i].index == index)
				f = &ls->ring[i];
		if (f == NULL && ls->has_media && index < ls->newest) {
			/* Dropped, or never sent: the oldest held after it. */
			uint32_t next = ls->newest;

			for (i = 0; i < ls->ring_n; i++)
				if (ls->ring[i].index > index && ls->ring[i].index < next)
					next = ls->ring[i].index;
			rp->status = 409;
			rp->body = json_pack("{s:s,s:I}", "error", "behind", "next", (json_int_t)next);
			return true;
		}
	}
	if (f == NULL)
		return false;
	if (ls->serving >= SERVING_PER_SESSION) {
		(void)snprintf(rp->retry_after, sizeof(rp->retry_after), "1");
		fail(rp, 429, "too-many", NULL, "too many fragments of this live session in flight");
		return true;
	}
	if ((sv = calloc(1, sizeof(*sv))) == NULL) {
		fail_internal(rp);
		return true;
	}
	sv->s = s;
	sv->b = f->b;
	atomic_fetch_add(&f->b->refs, 1);
	memcpy(sv->id, ls->id, PT_LIVE_ID_LEN);
	ls->serving++;
	rp->data = f->p;
	rp->data_len = f->len;
	rp->data_free = serve_done;
	rp->data_cls = sv;
	rp->content_type = "application/octet-stream";
	rp->status = 200;
	return true;
}

/*
 * GET .../fragments/{n}: answer now, or suspend the connection with the
 * request's waiter (made here the first time). The deadline is set once,
 * at the first call. Called again by http.c each time the connection is
 * resumed (live_again).
 */
static void
fragment_get(struct server *s, struct request *rq, struct reply *rp,
	     const uint8_t id[PT_LIVE_ID_LEN], uint32_t index, int64_t account)
{
	struct lives *reg = s->lives;
	struct live_session *ls;
	struct live_waiter *w = rq->live;
	struct live_cfg cf;
	uint64_t mono;

	cfg_get(s, &cf);
	if (w == NULL) {
		if ((w = calloc(1, sizeof(*w))) == NULL) {
			fail_internal(rp);
			return;
		}
		memcpy(w->id, id, PT_LIVE_ID_LEN);
		w->index = index;
		w->account = account;
		w->deadline_ns = now_mono_ns() + (uint64_t)cf.wait_s * 1000000000u;
		w->c = rq->conn;
		rq->live = w;
	}
	pthread_mutex_lock(&reg->mu);
	mono = now_mono_ns();
	ls = viewer_find(reg, id, account);
	if (ls == NULL) {
		pthread_mutex_unlock(&reg->mu);
		not_found(rp);
		return;
	}
	if (over(reg, ls, now_utc(), mono, cf.idle_s)) {
		pthread_mutex_unlock(&reg->mu);
		gone(rp);
		return;
	}
	ls->last_fetch_ns = mono;	/* each GET is the viewer's heartbeat */
	if (fragment_answer(s, ls, index, rp)) {
		pthread_mutex_unlock(&reg->mu);
		return;
	}
	if (mono >= w->deadline_ns) {
		pthread_mutex_unlock(&reg->mu);
		rp->status = 204;
		return;
	}
	if (reg->stopping) {
		pthread_mutex_unlock(&reg->mu);
		(void)snprintf(rp->retry_after, sizeof(rp->retry_after), "1");
		fail(rp, 503, "unavailable", NULL, "the server is stopping");
		return;
	}
	if (ls->waiters >= WAITERS_PER_SESSION) {
		pthread_mutex_unlock(&reg->mu);
		(void)snprintf(rp->retry_after, sizeof(rp->retry_after), "1");
		fail(rp, 429, "too-many", NULL, "too many requests waiting on this live session");
		return;
	}
	/* Suspended and linked in one critical section: whoever resumes it
	 * (under the same lock) finds it suspended. */
	w->next = reg->waiters;
	w->prev = NULL;
	if (reg->waiters != NULL)
		reg->waiters->prev = w;
	reg->waiters = w;
	w->linked = true;
	ls->waiters++;
	MHD_suspend_connection(w->c);
	pthread_mutex_unlock(&reg->mu);
	rp->suspended = true;
}

void
live_again(struct server *s, struct request *rq, struct reply *rp)
{
	struct live_waiter *w = rq->live;

	json_wipe_set(false);
	fragment_get(s, rq, rp, w->id, w->index, w->account);
}

void
live_request_done(struct server *s, struct request *rq)
{
	struct lives *reg = s->lives;
	struct live_waiter *w = rq->live;
	struct live_session *ls;

	if (w == NULL)
		return;
	rq->live = NULL;
	if (reg != NULL) {
		/* Never linked here (a suspended connection does not complete);
		 * checked all the same, under the lock. */
		pthread_mutex_lock(&reg->mu);
		if (w->linked) {
			if (w->prev != NULL)
				w->prev->next = w->next;
			else
				reg->waiters = w->next;
			if (w->next != NULL)
				w->next->prev = w->prev;
			if ((ls = find(reg, w->id)) != NULL && ls->waiters > 0)
				ls->waiters--;
		}
		pthread_mutex_unlock(&reg->mu);
	}
	free(w);
}

static void
session_get(struct server *s, struct reply *rp, const uint8_t id[PT_LIVE_ID_LEN], int64_t account,
	    bool key)
{
	struct lives *reg = s->lives;
	struct live_session *ls;
	struct live_cfg cf;
	char hx[2 * PT_LIVE_ID_LEN + 1];
	uint64_t mono;

	cfg_get(s, &cf);
	pthread_mutex_lock(&reg->mu);
	mono = now_mono_ns();
	if ((ls = viewer_find(reg, id, account)) == NULL) {
		pthread_mutex_unlock(&reg->mu);
		not_found(rp);
		return;
	}
	if (over(reg, ls, now_utc(), mono, cf.idle_s)) {
		pthread_mutex_unlock(&reg->mu);
		gone(rp);
		return;
	}
	ls->last_fetch_ns = mono;
	if (key) {
		if (ls->keyrec == NULL) {
			fail(rp, 404, "not-found", "key", "the camera has not sent its key record yet");
		} else if ((rp->data = malloc(ls->keyrec_len)) == NULL) {
			fail_internal(rp);
		} else {
			memcpy(rp->data, ls->keyrec, ls->keyrec_len);
			rp->data_len = ls->keyrec_len;
			rp->content_type = "application/cbor";
			rp->status = 200;
		}
		pthread_mutex_unlock(&reg->mu);
		return;
	}
	pt_live_id_text(ls->id, hx);
	rp->status = 200;
	rp->body = json_pack("{s:s,s:s,s:s,s:I,s:b}", "session", hx, "home", ls->home, "camera",
			     ls->camera, "expires_at", (json_int_t)ls->expires_at, "key",
			     ls->keyrec != NULL);
	json_object_set_new(rp->body, "newest",
			    ls->has_media ? json_integer(ls->newest)
					  : (ls->f0.p != NULL ? json_integer(0) : json_null()));
	/* The oldest media fragment held (fragment 0 is always kept). */
	json_object_set_new(rp->body, "oldest",
			    ls->ring_n > 0 ? json_integer(ls->ring[0].index)
					   : (ls->f0.p != NULL ? json_integer(0) : json_null()));
	pthread_mutex_unlock(&reg->mu);
}

/* DELETE by an owner of the session's home (live_viewer checked it): the
 * session ends, with an audit row naming whose session it was. */
static void
session_delete(struct server *s, struct request *rq, struct reply *rp,
	       const uint8_t id[PT_LIVE_ID_LEN])
{
	struct lives *reg = s->lives;
	struct live_session *ls;
	char hx[2 * PT_LIVE_ID_LEN + 1], target[PT_ID_MAX + 8];
	int64_t opener;
	bool was_over;

	pthread_mutex_lock(&reg->mu);
	if ((ls = find(reg, id)) == NULL || !ls->relayed) {
		pthread_mutex_unlock(&reg->mu);
		not_found(rp);
		return;
	}
	was_over = ls->ended;
	opener = ls->account;
	(void)snprintf(target, sizeof(target), "home:%s", ls->home);
	end_session(reg, ls, "deleted");
	pthread_mutex_unlock(&reg->mu);
	if (was_over) {
		gone(rp);
		return;
	}
	pt_live_id_text(id, hx);
	if (pt_store_begin(s->st) != PT_OK) {
		fail_internal(rp);
		return;
	}
	if (!commit_audited(s, rq, rp, "live.end", target,
			    json_pack("{s:s,s:I}", "session", hx, "opened_by", (json_int_t)opener)))
		return;
	rp->status = 204;
}

/* Is the account an owner of the home now? (As api.c's routes ask: the
 * cache, else the store.) */
static bool
owner_of(struct server *s, const char *home, int64_t account)
{
	struct pt_home h;
	json_t *policy = NULL;
	int role = 0;

	if (s->shared_store || !cache_home_get(s->cache, home, account, &h, &role, &policy)) {
		uint64_t gen = cache_gen(s->cache);

		if (pt_store_home_get(s->st, home, account, &h, &role) != PT_OK)
			return false;
		if (!s->shared_store)
			cache_home_put(s->cache, gen, account, &h, role);
	}
	json_decref(policy);
	return role == PT_HOME_OWNER;
}

void
live_end_account(struct server *s, const char *home, int64_t account)
{
	struct lives *reg = s->lives;
	struct live_session *ls;

	if (reg == NULL)
		return;
	pthread_mutex_lock(&reg->mu);
	for (ls = reg->head; ls != NULL; ls = ls->next)
		if (ls->relayed && !ls->ended && ls->account == account &&
		    strcmp(ls->home, home) == 0)
			end_session(reg, ls, "not-owner");
	pthread_mutex_unlock(&reg->mu);
}

void
live_camera_put(struct server *s, struct request *rq, struct reply *rp, const char *rest)
{
	uint8_t id[PT_LIVE_ID_LEN];
	uint32_t index = 0;
	enum route r = route_parse(rest, id, &index);

	if (s->lives == NULL || (r != R_KEY && r != R_FRAGMENT)) {
		not_found(rp);
		return;
	}
	if (r == R_KEY)
		key_put(s, rq, rp, id);
	else
		fragment_put(s, rq, rp, id, index);
}

void
live_viewer(struct server *s, struct request *rq, struct reply *rp, int64_t account,
	    const char *rest)
{
	uint8_t id[PT_LIVE_ID_LEN];
	uint32_t index = 0;
	enum route r = route_parse(rest, id, &index);

	struct lives *reg = s->lives;
	struct live_session *ls;
	char home[PT_ID_MAX + 1];
	int64_t opener = 0;
	bool found, del;

	if (reg == NULL || r == R_NONE) {
		not_found(rp);
		return;
	}
	/* The account must be an owner of the session's home now: one that
	 * was removed (or made a member) gets 404, and its sessions of the
	 * home end. Any owner may DELETE; only the one who opened it reads. */
	del = r == R_SESSION && method_is(rq, "DELETE");
	pthread_mutex_lock(&reg->mu);
	ls = find(reg, id);
	found = ls != NULL && ls->relayed;
	if (found) {
		memcpy(home, ls->home, sizeof(home));
		opener = ls->account;
	}
	pthread_mutex_unlock(&reg->mu);
	if (!found || (!del && opener != account)) {
		not_found(rp);
		return;
	}
	if (!owner_of(s, home, account)) {
		live_end_account(s, home, account);
		not_found(rp);
		return;
	}
	if (del)
		session_delete(s, rq, rp, id);
	else if (r == R_SESSION)
		session_get(s, rp, id, account, false);
	else if (r == R_KEY)
		session_get(s, rp, id, account, true);
	else
		fragment_get(s, rq, rp, id, index, account);
}
