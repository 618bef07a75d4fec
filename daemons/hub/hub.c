/*
 * porter-hub's core: the link's exchanges (HELLO, PROOF, PAIR), the
 * decision with pt_decide, the failed-attempt lockout, the door machine
 * and its drivers, the event chain and its checkpoints, the admin socket.
 *
 * The order that matters, on a grant (DESIGN.md, "Unlock at the door"):
 *   1. hub_state_charge(): the entries, durable (fsync) before anything
 *      else: a crash from here on can lose the entry, never give one more;
 *   2. the DECISION goes back to the device (a grant at the door: the
 *      link sends it, then calls hub_after_answer for steps 3 and 4,
 *      before it reads anything else; a grant the panel waited for, or
 *      a remote unlock: after step 4);
 *   3. the door machine takes the GRANT and answers UNLOCK;
 *   4. the lock driver gets UNLOCK;
 *   5. the events of the turn after decision.grant (session.start,
 *      lock.unlocking) are appended to the chain, in order, in one
 *      transaction at the end of the same loop turn (hub_tick,
 *      events_flush): the exchange waits for one fsync, the charge.
 *   decision.grant (and whatever the turn queued before it) is committed
 *   in the charge's own transaction (hub_state_charge_events), so the
 *   entry and the decision are one commit: a crash leaves both or
 *   neither, and the bolt moves only after both. A crash between 1 and 4
 *   loses the entry (the device may have been told it was let in, the
 *   bolt did not move); between 4 and 5 it loses session.start and
 *   lock.unlocking, never an entry or its decision. Nothing runs between
 *   2 and 3 but the answer's send(): no other frame, timer or message
 *   sees the charge without the door's session.
 *
 * A grant with the alarm condition while the panel is armed waits between
 * the decision and step 1: the hub asks the panel to bypass the entry
 * zones and answers the PROOF (HUB_WAIT, then hub_link_reply) once the
 * panel confirms, or refuses (alarm-cannot-bypass) when it does not within
 * [alarm] bypass_timeout; nothing is charged and nothing moves before
 * (docs/alarm.md). camera_healthy comes from porter-cam's signed health
 * messages (camwatch.c); no camera configured: not healthy.
 *
 * Stand-ins until their issues land (docs/hub.md says the same):
 *   - time_trusted comes from the configuration (hub.time_trusted), not
 *     from the NTP/RTC sync status;
 *   - without [mqtt] broker (no uplink), revocations are only those
 *     already in the state, and their refresh time is whatever the state
 *     says (0: never). With it, uplink.c brings them (hub_on_revocations).
 *
 * Remote commands (hub_on_command) take the same road to the bolt as a
 * grant at the door: an owner-signed, fresh, never-seen UNLOCK becomes a
 * GRANT of the door machine (a session with purpose resident, the
 * command's nonce as its id), so the machine's invariant holds for them
 * too: UNLOCK only ever comes out of a GRANT it took.
 *
 * Live view requests (hub_on_live, docs/live.md) never reach the door:
 * an owner-signed, fresh, never-seen request for our camera becomes an
 * event (live.start) and, once that has its seq, an order signed with the
 * hub key on the camera's marks socket, so a local process that can write
 * to that socket cannot point the camera at a viewer key of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "porter/cam_health.h"
#include "porter/clip.h"
#include "porter/event.h"
#include "porter/live.h"
#include "porter/text.h"
#include "hub.h"
#include "state.h"

#define PAIR_SKEW 600		/* s: a pairing statement's issued-at vs our clock */
#define PAIR_CODE_LEN 16
_Static_assert(PAIR_CODE_LEN == PT_PAIRING_CODE_LEN, "the code is the pairing MAC's key");
#define EVENT_PAGE 32
#define EVQ_MAX 64		/* events queued within one loop turn */
#define HEX_CTI (2 * PT_CTI_LEN + 1)
#define REV_VERSION_KEY "revocations_version"	/* meta: the version of docs/mqtt.md */
#define NONCE_GRACE 86400	/* s: nonces kept this long past their expiry (a clock set back) */
#define DRIFT_REALERT_MS 3600000u	/* a drift that persists: alert again after an hour */
#define DRIFT_GAP_MS 600000u		/* a new drift: not within 10 min of the last alert */
#define REFUSE_BURST 20u		/* refusals of uplink messages recorded at once ... */
#define REFUSE_EVERY_MS 6000u		/* ... then one per 6 s (see uplink_refusal) */
#define CAM_REFUSED_LOG_MS 10000u	/* event=camera_refused: one line per 10 s at most */
#define CLIP_REFUSED_EVERY_MS 60000u	/* camera.clip-refused: one a minute at most */
/* hub state meta: the last refused clip announced (camera.clip-refused):
 * its id's first 8 bytes and its time, so a restart announces it once */
#define CLIP_REFUSED_CLIP_KEY "cam_clip_refused_id8"
#define CLIP_REFUSED_AT_KEY "cam_clip_refused_at"
#define LIVE_Q_MAX 8			/* live orders waiting for their event's seq, per turn */
#define REMOTE_REFUSE_MS 1000u		/* live.refused, approval.refuse: one a second at most */
#define APPROVALS_MAX 8			/* owners' approvals asked for and open at once */
#define APPROVALS_PER_ROOT 2		/* ... of them under one delegation (link 0) */
#define PANIC_SLOTS 16			/* credentials whose last panic call is remembered */
#define PANIC_EVERY_MS 60000u		/* one alert.panic per credential per minute */
#define PANIC_CHALLENGE_MS 1000u	/* in a lockout: one panic-only challenge a second */

struct drv_inst {
	const struct hub_drv_ops *ops;
	void *drv;
	unsigned roles;
};

/*
 * A grant with the alarm condition waits for the panel (docs/alarm.md):
 * decided, not yet charged, the bolt not moved, the DECISION not sent.
 * One at a time: while it waits, the door counts as not secured for
 * every other decision (door-not-closed).
 */
struct pending {
	bool active;
	bool starting;			/* inside bypass_begin: finish there */
	uint64_t conn;			/* the link connection waiting */
	uint64_t deadline_ms;
	uint64_t want, got;		/* entry zones asked for, confirmed */
	struct pt_decision d;
	uint8_t chain[PT_CHAIN_SIZE_MAX];	/* the credential, checked again at the end */
	size_t chain_len;
	bool ready;			/* every entry zone confirmed: finish in hub_tick */
	const char *fail_why;		/* a failure reported: refuse in hub_tick */
	struct pt_link_decision grant, refuse;	/* the answers, notes included */
	json_t *ev;			/* the decision event's data (owned) */
	uint8_t session[PT_CTI_LEN];
	char token[HEX_CTI];
	char lock[PT_ID_MAX + 1];
	bool duress;			/* an owner's duress credential (duress_alert) */
	uint8_t duress_kid[PT_KID_LEN];
	uint8_t root[PT_CTI_LEN];	/* link 0's token id (approval_ask's per-root cap) */
};

#define MARKS_MAX 8	/* clip marks waiting for their event's seq, per turn */

struct mark_q {
	uint8_t kind;			/* enum pt_clip_mark_kind */
	uint8_t clip[PT_CLIP_ID_LEN];
	size_t evq_idx;			/* the session event in h->evq */
};

/* An accepted live view request whose order waits for live.start's seq. */
struct live_q {
	uint8_t session[PT_LIVE_ID_LEN];
	uint8_t xpk[PT_LIVE_XPK_LEN];
	uint8_t kid[PT_KID_LEN];
	int64_t exp;			/* UTC s */
	size_t evq_idx;			/* live.start in h->evq */
};

/* Refusals of messages from afar, recorded at most one a second: a flood
 * of forged or replayed ones costs one line and one event a second, the
 * next one says how many were not (dropped). */
struct refusals {
	uint64_t last_ms;		/* monotonic time of the last one recorded (0: none) */
	uint64_t dropped;		/* refusals not recorded since */
};

struct hub {
	struct hub_config cfg;
	const struct pt_crypto_ops *ops;
	struct hub_state *st;
	struct pt_secret *key;
	uint8_t pk[PT_PK_LEN];
	char id[PT_ID_MAX + 1];
	char home[PT_ID_MAX + 1];	/* "" until paired (or configured) */
	unsigned home_gen;		/* moves at each pairing: the uplink republishes "home" */
	struct pt_tz *tz;		/* NULL: no zone configured */
	/* The owner keys trusted now: computed by roots_load from the
	 * stored rows and the key revocations (docs/hub.md, "Owners"). */
	uint8_t roots[HUB_ROOTS_MAX][PT_PK_LEN];
	size_t n_roots;
	size_t n_rows;			/* stored owner rows: 0 until paired */
	/* The last owners message that came before the hub was paired (a
	 * copy; NULL: none): taken up at the pairing (door or uplink), since the
	 * broker sends a retained message only when we subscribe. */
	uint8_t *owners_held;
	size_t owners_held_len;
	/* The same for the last revocations message (docs/mqtt.md): applied
	 * at the pairing before the held owners. */
	uint8_t *revs_held;
	size_t revs_held_len;

	struct drv_inst drv[3];
	size_t n_drv;
	struct drv_inst *lock_drv, *door_drv;
	struct hub_drv_sink sink;

	struct pt_door door;		/* its fields are private: pt_door_* only */
	bool door_up;			/* the machine runs (drivers reported) */
	uint64_t door_deadline;
	bool door_open;			/* as the contact last reported */
	bool bolt_locked;		/* as the lock last reported (for the MQTT state) */
	bool in_session;		/* between session.start and session.end */
	uint8_t session[PT_CTI_LEN];

	/* the lockout (docs/hub.md: what counts, how it grows and decays) */
	uint32_t failures;
	int64_t locked_until;		/* UTC s, durable */
	uint64_t locked_until_ms;	/* monotonic; 0: none in force */
	uint64_t charge_us;		/* the last charge's commit, for the decision's log line */
	/* A grant at the door whose DECISION is on its way: its door step
	 * and log line, run by hub_after_answer right after the send. */
	struct {
		bool due;
		uint64_t conn;
		struct pt_decision d;
		uint8_t session[PT_CTI_LEN];
		char line[512];		/* its event=decision log line */
	} after;
	int64_t last_failure_at;	/* UTC s, durable (meta) */

	/* pairing */
	bool pair_active;		/* a code was shown (it may have expired) */
	bool pair_expired;
	uint8_t pair_code[PAIR_CODE_LEN];
	uint64_t pair_expires_ms;
	bool pair_consumed;
	uint8_t pair_used[PAIR_CODE_LEN];

	/* the event chain, and what waits to be appended this turn: evq[0,
	 * evq_done) committed already (with a charge, or with the lockout by
	 * count_failure before a refusal is answered), evq[evq_done, evq_n)
	 * not yet; events_flush commits them in one transaction */
	int64_t last_seq, last_cp_seq;
	uint8_t last_hash[PT_HASH_LEN];
	struct hub_event *evq;
	size_t evq_n, evq_done;
	bool lockout_dirty;		/* a reset to save with the events */

	struct hub_lines admin;
	bool admin_open;
	struct hub_link *link;
	const struct hub_uplink_ops *up_ops;	/* NULL: no uplink ([mqtt] broker empty) */
	void *up;
	int64_t rev_version;		/* porterd's revocation version we hold in full */
	bool drift_alerted;		/* a time-drift alert is standing */
	uint64_t drift_alert_ms;
	uint32_t refuse_tokens;		/* uplink_refusal's bucket */
	uint64_t refuse_ms;
	uint64_t refuse_suppressed;
	uint32_t pairlog_tokens;	/* pair_log_take's bucket: uplink pairing lines */
	uint64_t pairlog_ms;
	uint64_t pairlog_suppressed;

	/* the alarm panel (docs/alarm.md); al_ops NULL: [alarm] driver = none */
	const struct hub_alarm_ops *al_ops;
	void *al;
	struct hub_alarm_sink al_sink;
	uint64_t al_entry, al_interior;	/* zone masks: bit zone-1 */
	int al_state;			/* as the panel last reported */
	uint64_t al_faulted, al_bypassed;
	bool al_hub_triggered;		/* the hub sounded it: its own alert says why */
	bool al_triggering;		/* inside the trigger command */
	bool session_bypassed;		/* this session's entry zones are bypassed */
	bool bypass_end_deferred;	/* the machine ended a bypass while a grant waited */
	bool door_bypass;		/* the door machine holds a bypass (until bypass-end) */
	uint64_t al_unbypass_want;	/* entry zones asked off, not yet confirmed off */
	uint64_t al_reconcile_ms;	/* the next unbypass retry (0: none scheduled) */
	uint32_t al_reconcile_n;	/* retries so far of the standing unbypass */
	bool al_stuck_alerted;		/* alert.alarm-bypass-stuck raised for it */
	unsigned al_busy;		/* inside a panel command or pend_finish */
	struct hub_lines al_ctl;	/* the sim panel's lines when no sim device has them */
	bool al_ctl_open;
	struct pending pend;

	/* the camera (camwatch.c) and the clip marks */
	struct hub_cam *cam;		/* NULL: no [camera] */
	bool cam_healthy;
	uint32_t cam_status;
	uint64_t cam_refused_n;		/* refusals not logged yet */
	int cam_refused_why;
	uint64_t cam_refused_log_ms;	/* the next camera_refused line, not before */
	bool clips_refused_known;	/* the two below are the last announced */
	int64_t clips_refused_clip;	/* its clip id's first 8 bytes */
	int64_t clips_refused_at;	/* when the camera says it was refused */
	uint64_t clips_refused_next_ms;	/* no camera.clip-refused before (monotonic) */
	bool clip_open;
	uint8_t clip[PT_CLIP_ID_LEN];
	struct mark_q marks[MARKS_MAX];
	size_t n_marks;
	uint64_t mark_failures;

	/* live view (docs/live.md, "The hub") */
	struct live_q live[LIVE_Q_MAX];
	size_t n_live;
	struct refusals live_refused;
	uint64_t live_order_failures;

	/* panic calls (on_panic): the last alert per credential (token id) */
	struct {
		uint8_t cti[PT_CTI_LEN];
		uint64_t at_ms;		/* 0: free */
	} panic[PANIC_SLOTS];

	/* requests for an owner's approval ([alarm] cannot_bypass = ask,
	 * docs/alarm.md "Ask the owner"); memory only */
	struct approval {
		uint64_t expires_ms;	/* monotonic; 0: free */
		uint8_t id[PT_CTI_LEN];	/* the request id (the approval's nonce) */
		uint8_t session[PT_CTI_LEN];	/* the credential's last token id */
		uint8_t chain[PT_HASH_LEN];	/* SHA-256 of the whole chain: that credential */
		uint8_t root[PT_CTI_LEN];	/* link 0's token id: whose delegation */
		char lock[PT_ID_MAX + 1];
		uint8_t answer;		/* 0: none yet; PT_APPROVE, PT_DENY */
	} appr[APPROVALS_MAX];
	struct refusals appr_refused;
	struct refusals panic_refused;	/* panic.refuse, one a second at most */
	uint64_t panic_ch_ms;		/* the last panic-only challenge given in a lockout */

	/* scratch for one decision (too big for the stack of a small box) */
	struct pt_chain ids, decoded;
	struct pt_usage usage[PT_CHAIN_MAX];
};

/* ---- clocks ---- */

uint64_t
hub_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t
hub_now_utc(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- identity and key ---- */

void
hub_id_from_key(const uint8_t pk[PT_PK_LEN], char out[PT_ID_MAX + 1])
{
	uint8_t kid[PT_KID_LEN];
	char hex[2 * PT_KID_LEN + 1];

	pt_kid(pt_crypto_sodium(), pk, kid);
	pt_hex(kid, sizeof(kid), hex);
	(void)snprintf(out, PT_ID_MAX + 1, "hub-%s", hex);
}

/* mkdir -p with mode 0700 for what it creates. */
static int
mkdirs(const char *path, struct pt_errbuf *err)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path), i;

	if (n == 0 || n >= sizeof(tmp)) {
		(void)snprintf(err->msg, sizeof(err->msg), "bad directory '%.100s'", path);
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
			(void)snprintf(err->msg, sizeof(err->msg), "cannot create '%.100s': %s", tmp,
				       strerror(errno));
			return -1;
		}
		tmp[i] = path[i];
	}
	return 0;
}

struct pt_secret *
hub_key_load(const struct hub_config *cfg, bool create, bool *created, struct pt_errbuf *err)
{
	struct pt_secret *s = pt_secret_new();
	struct stat st;

	*created = false;
	if (s == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "out of memory");
		return NULL;
	}
	if (create && stat(cfg->key, &st) != 0 && errno == ENOENT) {
		if (pt_secret_generate(s) != PT_OK) {
			(void)snprintf(err->msg, sizeof(err->msg), "cannot make a key");
			goto fail;
		}
		if (pt_keyfile_save(cfg->key, s, false, err) != PT_OK)
			goto fail;
		*created = true;
		return s;
	}
	if (pt_keyfile_load(cfg->key, s, err) != PT_OK)
		goto fail;
	return s;
fail:
	pt_secret_free(s);
	return NULL;
}

/* ---- events and checkpoints ---- */

static void
checkpoint(struct hub *h)
{
	uint8_t msg[PT_CHECKPOINT_MSG_MAX], sig[PT_SIG_LEN];
	size_t n;

	if (h->last_seq <= h->last_cp_seq)
		return;
	if (pt_checkpoint_message(h->id, h->last_seq, h->last_hash, msg, sizeof(msg), &n) != PT_OK ||
	    pt_sign_detached(h->key, sig, msg, n) != PT_OK ||
	    hub_state_checkpoint_add(h->st, h->last_seq, h->last_hash, sig) != PT_OK) {
		hlog(HLOG_ERR, "event=checkpoint result=failed seq=%lld", (long long)h->last_seq);
		return;
	}
	h->last_cp_seq = h->last_seq;
	hlog(HLOG_DEBUG, "event=checkpoint seq=%lld", (long long)h->last_seq);
}

static void lockout_save(struct hub *h);
static void event(struct hub *h, const char *type, json_t *data);
static void live_orders_send(struct hub *h, const struct live_q *q, const int64_t *seqs,
			     size_t n);

/*
 * Send the clip marks of this turn's session events, now that their seq
 * is known (docs/hub.md, "Clip marks"). One datagram each, never
 * waiting; a failure is logged and recorded (clip.mark-failed, with the
 * count so far), never retried: porter-cam records around what it got.
 */
static void
marks_send(struct hub *h, int64_t seqs[MARKS_MAX], size_t n)
{
	struct pt_clip_mark m;
	char hex[2 * PT_CLIP_ID_LEN + 1];
	size_t i;
	int r, e;

	for (i = 0; i < n; i++) {
		memset(&m, 0, sizeof(m));
		m.kind = h->marks[i].kind;
		memcpy(m.clip, h->marks[i].clip, PT_CLIP_ID_LEN);
		/* an event that could not be appended has no seq: the last one */
		m.event_seq = seqs[i] > 0 ? (uint64_t)seqs[i] : h->last_seq > 0 ? (uint64_t)h->last_seq : 1u;
		m.time_ms = (uint64_t)hub_now_utc() * 1000u;
		pt_clip_id_text(m.clip, hex);
		r = hub_cam_mark(h->cam, &m, &e);
		if (r == PT_OK) {
			hlog(HLOG_INFO, "event=clip_mark kind=%s clip=%s seq=%lld",
			     m.kind == PT_CLIP_MARK_START ? "start" : "end", hex, (long long)m.event_seq);
			continue;
		}
		h->mark_failures++;
		hlog(HLOG_WARN, "event=clip_mark result=failed kind=%s clip=%s error=\"%s\" failures=%llu",
		     m.kind == PT_CLIP_MARK_START ? "start" : "end", hex,
		     r == PT_EIO ? strerror(e) : pt_err_text(r), (unsigned long long)h->mark_failures);
		event(h, "clip.mark-failed",
		      json_pack("{s:s,s:s,s:s,s:I,s:I}", "kind",
				m.kind == PT_CLIP_MARK_START ? "start" : "end", "clip", hex, "error",
				r == PT_EIO ? strerror(e) : pt_err_code(r), "seq",
				(json_int_t)m.event_seq, "failures", (json_int_t)h->mark_failures));
	}
}

/* hub_state's checkpoint signer (struct hub_ckpt): the hub key over
 * (hub id, seq, hash). */
static int
ckpt_sign(void *arg, int64_t seq, const uint8_t hash[PT_HASH_LEN], uint8_t sig[PT_SIG_LEN])
{
	struct hub *h = arg;
	uint8_t msg[PT_CHECKPOINT_MSG_MAX];
	size_t n;
	int r;

	if ((r = pt_checkpoint_message(h->id, seq, hash, msg, sizeof(msg), &n)) != PT_OK ||
	    (r = pt_sign_detached(h->key, sig, msg, n)) != PT_OK)
		hlog(HLOG_ERR, "event=checkpoint result=failed seq=%lld", (long long)seq);
	return r;
}

static void
ckpt_init(struct hub *h, struct hub_ckpt *ck)
{
	ck->every = (int64_t)h->cfg.checkpoint_every;
	ck->last = h->last_cp_seq;
	ck->sign = ckpt_sign;
	ck->arg = h;
}

/* evq[evq_done, evq_done + n) were committed (ck: their checkpoints). */
static void
events_committed(struct hub *h, size_t n, const struct hub_ckpt *ck)
{
	const struct hub_event *e = &h->evq[h->evq_done + n - 1];

	h->last_seq = e->seq;
	memcpy(h->last_hash, e->hash, PT_HASH_LEN);
	if (ck->last > h->last_cp_seq) {
		h->last_cp_seq = ck->last;
		hlog(HLOG_DEBUG, "event=checkpoint seq=%lld", (long long)ck->last);
	}
	h->evq_done += n;
}

/* What the batch could not take, one at a time: a malformed event (none
 * is made, but a bug must not cost its neighbours) or a database that
 * failed; each gets its own transaction, as before batching. */
static void
events_one_by_one(struct hub *h)
{
	size_t i;
	int r;

	for (i = h->evq_done; i < h->evq_n; i++) {
		struct hub_event *e = &h->evq[i];
		if ((r = hub_state_event_append(h->st, e)) != PT_OK) {
			hlog(HLOG_ERR, "event=event_append error=\"%s\" type=%s", pt_err_text(r),
			     e->type);
			continue;
		}
		h->last_seq = e->seq;
		memcpy(h->last_hash, e->hash, PT_HASH_LEN);
		if (h->last_seq - h->last_cp_seq >= (int64_t)h->cfg.checkpoint_every)
			checkpoint(h);
	}
	h->evq_done = h->evq_n;
}

/*
 * Append what is queued and not committed yet, in order, in one
 * transaction with the checkpoints due and, with_lockout, the lockout as
 * it stands (one commit, one fsync). If that transaction fails: the
 * lockout alone (lockout_save), then the events one at a time. Either
 * way both are stored (or failed, logged) on return: count_failure
 * calls this before the refusal is answered.
 */
static void
events_commit(struct hub *h, bool with_lockout)
{
	struct hub_lockout lo;
	struct hub_ckpt ck;
	size_t n = h->evq_n - h->evq_done;
	int r;

	if (n == 0 && !with_lockout)
		return;
	memset(&lo, 0, sizeof(lo));
	if (with_lockout) {
		h->lockout_dirty = false;	/* saved now, with the count as it is */
		lo.failures = h->failures;
		lo.locked_until = h->locked_until;
		lo.last_failure_at = h->last_failure_at;
	}
	ckpt_init(h, &ck);
	r = hub_state_event_append_lockout(h->st, &h->evq[h->evq_done], n, &ck,
					   with_lockout ? &lo : NULL);
	if (r == PT_OK) {
		if (n > 0)
			events_committed(h, n, &ck);
		return;
	}
	hlog(HLOG_ERR, "event=event_append error=\"%s\" events=%zu lockout=%s note=\"one at a time\"",
	     pt_err_text(r), n, with_lockout ? "yes" : "no");
	if (with_lockout)
		lockout_save(h);
	if (n > 0)
		events_one_by_one(h);
}

/*
 * Commit what is queued and not committed yet (events_commit, with the
 * lockout if a grant reset the count this turn: one fsync for the turn);
 * only then tell the uplink (it publishes from the stored outbox:
 * committed events only) and send what waited for a seq (clip marks,
 * live orders).
 */
static void
events_flush(struct hub *h)
{
	int64_t seqs[MARKS_MAX], live_seqs[LIVE_Q_MAX];
	struct live_q live[LIVE_Q_MAX];
	size_t i, n_marks, n_live;

	events_commit(h, h->lockout_dirty);
	if (h->evq_n > 0 && h->up_ops != NULL)
		h->up_ops->events_appended(h->up, h->last_seq);
	n_marks = h->n_marks;
	for (i = 0; i < n_marks; i++)
		seqs[i] = h->evq[h->marks[i].evq_idx].seq;
	n_live = h->n_live;
	for (i = 0; i < n_live; i++) {
		live[i] = h->live[i];
		live_seqs[i] = h->evq[h->live[i].evq_idx].seq;
	}
	h->evq_n = 0;
	h->evq_done = 0;
	h->n_marks = 0;
	h->n_live = 0;
	marks_send(h, seqs, n_marks);	/* its failures are next turn's events */
	live_orders_send(h, live, live_seqs, n_live);	/* the same */
	memset(live, 0, sizeof(live));
}

/*
 * Record one event; data (taken) is written as canonical JSON (compact,
 * keys sorted). Never the credential, the proof or a pairing code: ids,
 * reasons and hashes only. The event is timed now and appended at the end
 * of this loop turn (events_flush), in the order recorded.
 */
static void
event(struct hub *h, const char *type, json_t *data)
{
	/* (declared above for marks_send) */
	struct hub_event *e;
	char *txt = NULL;
	size_t n = strlen(type);

	if (n > PT_EVENT_TYPE_LEN_MAX || !pt_event_type_is_valid(type, n)) {
		json_decref(data);
		hlog(HLOG_ERR, "event=event_append error=\"bad type\" type=%s", type);
		return;
	}
	if (h->evq_n == EVQ_MAX)
		events_flush(h);	/* a busy turn: append now rather than drop */
	e = &h->evq[h->evq_n];
	memset(e, 0, sizeof(*e));
	e->at = hub_now_utc();
	memcpy(e->type, type, n + 1);
	if (data == NULL)
		data = json_object();
	txt = data != NULL ? json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(data);
	if (txt == NULL || strlen(txt) > PT_EVENT_DATA_MAX) {
		free(txt);
		txt = NULL;
	}
	memcpy(e->data, txt != NULL ? txt : "{\"truncated\":true}",
	       strlen(txt != NULL ? txt : "{\"truncated\":true}") + 1);
	free(txt);
	h->evq_n++;
}

static void
hexs(const uint8_t *p, size_t len, char *out)
{
	pt_hex(p, len, out);
}

/* Where the chain stands at start: the last event, the last checkpoint. */
static int
chain_load(struct hub *h, struct pt_errbuf *err)
{
	struct hub_event *page = NULL;
	uint8_t sig[PT_SIG_LEN];
	int64_t after = 0, cp = 0;
	size_t n = 0, i;
	int r;

	r = hub_state_checkpoint_last(h->st, &cp, h->last_hash, sig);
	if (r == PT_OK)
		after = cp;
	else if (r != PT_ENOTFOUND)
		goto fail;
	else
		cp = 0;
	h->last_cp_seq = cp;
	h->last_seq = cp;
	if ((page = calloc(EVENT_PAGE, sizeof(*page))) == NULL)
		goto fail;
	do {
		if ((r = hub_state_event_list(h->st, after, false, page, EVENT_PAGE, &n)) != PT_OK)
			goto fail;
		for (i = 0; i < n; i++) {
			h->last_seq = page[i].seq;
			memcpy(h->last_hash, page[i].hash, PT_HASH_LEN);
			after = page[i].seq;
		}
	} while (n == EVENT_PAGE);
	free(page);
	return 0;
fail:
	free(page);
	(void)snprintf(err->msg, sizeof(err->msg), "cannot read the event chain");
	return -1;
}

/* ---- the door machine and the drivers ---- */

static void
door_out(struct hub *h, const struct pt_door_out *o);

static void
door_step(struct hub *h, struct pt_door_input *in)
{
	struct pt_door_out o;
	int r;

	if (!h->door_up)
		return;
	in->now_ms = hub_mono_ms();
	r = pt_door_step(&h->door, in, &o);
	if (r == PT_EINVAL) {
		hlog(HLOG_ERR, "event=door_step error=invalid input=%u", in->type);
		return;
	}
	door_out(h, &o);
}

static void alarm_bypass_end(struct hub *h);
static void alarm_trigger(struct hub *h, const char *why, const uint8_t *session);

/* A clip mark to send once the event just queued has its seq. */
static void
mark_queue(struct hub *h, uint8_t kind)
{
	if (!hub_cam_has_marks(h->cam) || h->evq_n == 0)
		return;
	if (h->n_marks == MARKS_MAX) {
		h->mark_failures++;
		hlog(HLOG_ERR, "event=clip_mark result=failed error=\"too many marks in one turn\"");
		return;
	}
	h->marks[h->n_marks].kind = kind;
	memcpy(h->marks[h->n_marks].clip, h->clip, PT_CLIP_ID_LEN);
	h->marks[h->n_marks].evq_idx = h->evq_n - 1;
	h->n_marks++;
}

static void
clip_data(struct hub *h, json_t *d)
{
	char hex[2 * PT_CLIP_ID_LEN + 1];

	if (!h->clip_open)
		return;
	pt_clip_id_text(h->clip, hex);
	json_object_set_new(d, "clip", json_string(hex));
}

static void
door_event(struct hub *h, const struct pt_door_event *ev)
{
	char hex[HEX_CTI];
	json_t *d = json_object();
	uint8_t mark = 0;

	if (ev->has_session) {
		hexs(ev->session, PT_CTI_LEN, hex);
		json_object_set_new(d, "session", json_string(hex));
	}
	if (ev->type == PT_DOOR_EV_SESSION_START) {
		h->in_session = true;
		memcpy(h->session, ev->session, PT_CTI_LEN);
		if (hub_cam_has_marks(h->cam)) {
			/* A clip per session: its id in session.start, START to
			 * the camera once the event has its seq. */
			pt_random(h->clip, PT_CLIP_ID_LEN);
			h->clip_open = true;
			mark = PT_CLIP_MARK_START;
		}
		clip_data(h, d);
	} else if (ev->type == PT_DOOR_EV_SESSION_END) {
		h->in_session = false;
		h->session_bypassed = false;
		clip_data(h, d);
		if (h->clip_open)
			mark = PT_CLIP_MARK_END;
	} else if (ev->type == PT_DOOR_EV_BYPASS_END) {
		alarm_bypass_end(h);
	} else if (ev->type == PT_DOOR_EV_INTRUSION || ev->type == PT_DOOR_EV_FORCED) {
		clip_data(h, d);
	}
	if (ev->why != PT_DOOR_WHY_NONE)
		json_object_set_new(d, "why", json_string(pt_door_why_name(ev->why)));
	if (ev->ms != 0)
		json_object_set_new(d, "ms", json_integer((json_int_t)ev->ms));
	hlog(HLOG_INFO, "event=door type=%s why=%s session=%s", pt_door_event_name(ev->type),
	     ev->why != PT_DOOR_WHY_NONE ? pt_door_why_name(ev->why) : "-",
	     ev->has_session ? hex : "-");
	event(h, pt_door_event_name(ev->type), d);
	if (mark != 0) {
		mark_queue(h, mark);
		if (mark == PT_CLIP_MARK_END)
			h->clip_open = false;
	}
}

static void
door_alert(struct hub *h, const struct pt_door_alert *al)
{
	char type[PT_EVENT_TYPE_LEN_MAX + 1], hex[HEX_CTI];
	json_t *d = json_object();

	if (al->has_session) {
		hexs(al->session, PT_CTI_LEN, hex);
		json_object_set_new(d, "session", json_string(hex));
	}
	clip_data(h, d);
	(void)snprintf(type, sizeof(type), "alert.%s", pt_door_alert_name(al->type));
	hlog(HLOG_WARN, "event=alert type=%s session=%s", pt_door_alert_name(al->type),
	     al->has_session ? hex : "-");
	event(h, type, d);	/* the uplink will forward alerts to porterd */
	/* An intrusion or a forced door while the alarm is armed sounds it
	 * (the alert above already says why: no second one). */
	if (al->type == PT_DOOR_AL_INTRUSION || al->type == PT_DOOR_AL_FORCED)
		alarm_trigger(h, pt_door_alert_name(al->type), al->has_session ? al->session : NULL);
}

/* Record first, then move: events, alerts, then the actions in order. */
static void
door_out(struct hub *h, const struct pt_door_out *o)
{
	struct pt_door_input in;
	uint8_t i;
	int r;

	for (i = 0; i < o->n_events; i++)
		door_event(h, &o->events[i]);
	for (i = 0; i < o->n_alerts; i++)
		door_alert(h, &o->alerts[i]);
	if (o->overflow)
		hlog(HLOG_ERR, "event=door_overflow note=\"the door machine dropped output: a bug\"");
	h->door_deadline = o->deadline_ms;
	for (i = 0; i < o->n_actions; i++) {
		uint64_t now = hub_mono_ms();
		if (h->lock_drv == NULL)
			r = PT_EINVAL;
		else if (o->actions[i] == PT_DOOR_ACT_UNLOCK)
			r = h->lock_drv->ops->unlock(h->lock_drv->drv, now);
		else
			r = h->lock_drv->ops->lock(h->lock_drv->drv, now);
		hlog(HLOG_INFO, "event=lock_command command=%s result=%s",
		     pt_door_action_name(o->actions[i]), pt_err_code(r));
		if (r != PT_OK) {
			memset(&in, 0, sizeof(in));
			in.type = PT_DOOR_IN_LOCK_FAILED;
			door_step(h, &in);
		}
	}
}

/* Do the lock's and the door contact's drivers know their state now? A
 * driver whose device went offline after start says no (zigbee2mqtt):
 * the courier is then refused before an entry is charged, rather than
 * charged for an unlock the lock will not carry out. */
static bool
drivers_ready(struct hub *h)
{
	bool o, l;

	return h->lock_drv != NULL && h->door_drv != NULL &&
	       h->door_drv->ops->ready(h->door_drv->drv, &o, &l) &&
	       h->lock_drv->ops->ready(h->lock_drv->drv, &o, &l);
}

/* Start the machine once the drivers know the door and the bolt. */
static void
door_try_start(struct hub *h)
{
	bool open = false, locked = false, o2, l2;

	if (h->door_up || h->lock_drv == NULL || h->door_drv == NULL)
		return;
	if (!h->door_drv->ops->ready(h->door_drv->drv, &open, &l2) ||
	    !h->lock_drv->ops->ready(h->lock_drv->drv, &o2, &locked))
		return;
	if (pt_door_init(&h->door, &h->cfg.door, open, locked, hub_mono_ms()) != PT_OK) {
		hlog(HLOG_ERR, "event=door_init error=\"bad door configuration\"");
		return;
	}
	h->door_up = true;
	h->door_open = open;
	h->bolt_locked = locked;
	h->door_deadline = pt_door_next_deadline(&h->door);
	hlog(HLOG_INFO, "event=door_start state=%s door=%s bolt=%s",
	     pt_door_state_name(pt_door_state(&h->door)), open ? "open" : "closed",
	     locked ? "thrown" : "drawn");
	event(h, "door.start",
	      json_pack("{s:s,s:s,s:s}", "state", pt_door_state_name(pt_door_state(&h->door)), "door",
			open ? "open" : "closed", "bolt", locked ? "thrown" : "drawn"));
}

static void
sink_bolt(void *arg, bool locked)
{
	struct hub *h = arg;
	struct pt_door_input in;

	door_try_start(h);
	h->bolt_locked = locked;
	memset(&in, 0, sizeof(in));
	in.type = PT_DOOR_IN_BOLT;
	in.locked = locked;
	door_step(h, &in);
}

static void
sink_contact(void *arg, bool open)
{
	struct hub *h = arg;
	struct pt_door_input in;

	door_try_start(h);
	h->door_open = open;
	memset(&in, 0, sizeof(in));
	in.type = PT_DOOR_IN_CONTACT;
	in.open = open;
	door_step(h, &in);
}

static bool alarm_is_armed(const struct hub *h);

/*
 * Motion in a zone, from a motion sensor or a panel zone: the door
 * machine's watch (intrusion after a session), and the alarm's rule for
 * a session whose entry zones are bypassed: the holder stays in the
 * entry zone; motion inside sounds the alarm (docs/alarm.md).
 */
static void
motion(struct hub *h, uint8_t zone, const char *source)
{
	struct pt_door_input in;
	char hex[HEX_CTI];
	json_t *d;

	if (zone == PT_DOOR_ZONE_INTERIOR && h->door_up && h->in_session && h->session_bypassed) {
		hexs(h->session, PT_CTI_LEN, hex);
		hlog(HLOG_WARN, "event=alert type=intrusion why=motion-interior-during-entry session=%s"
				" source=%s",
		     hex, source);
		d = json_pack("{s:s,s:s,s:s}", "session", hex, "why", "motion-interior-during-entry",
			      "source", source);
		clip_data(h, d);
		event(h, "alert.intrusion", d);
		alarm_trigger(h, "motion-interior-during-entry", h->session);
	}
	memset(&in, 0, sizeof(in));
	in.type = PT_DOOR_IN_MOTION;
	in.zone = zone;
	door_step(h, &in);
}

static void
sink_motion(void *arg, uint8_t zone)
{
	motion(arg, zone, "motion-sensor");
}

static void
sink_lock_failed(void *arg)
{
	struct hub *h = arg;
	struct pt_door_input in;

	memset(&in, 0, sizeof(in));
	in.type = PT_DOOR_IN_LOCK_FAILED;
	door_step(h, &in);
}

static void
sink_status(void *arg, json_t *o)
{
	struct hub *h = arg;
	char hex[HEX_CTI];

	json_object_set_new(o, "state", json_string(h->door_up ? pt_door_state_name(
								       pt_door_state(&h->door))
							       : "starting"));
	if (h->door_up && h->in_session) {
		hexs(h->session, PT_CTI_LEN, hex);
		json_object_set_new(o, "session", json_string(hex));
	} else {
		json_object_set_new(o, "session", json_null());
	}
	json_object_set_new(o, "alarm", h->al_ops != NULL ? json_string(hub_alarm_state_name(
								    h->al_state))
							  : json_null());
	json_object_set_new(o, "camera",
			    hub_cam_is_watched(h->cam)
				    ? json_string(h->cam_healthy ? "healthy" : "unhealthy")
				    : json_null());
	json_object_set_new(o, "waiting_for_panel", json_boolean(h->pend.active));
}

/* ---- the alarm panel (docs/alarm.md) ---- */

static bool
alarm_is_armed(const struct hub *h)
{
	return h->al_ops != NULL &&
	       (h->al_state == HUB_ALARM_ARMED_HOME || h->al_state == HUB_ALARM_ARMED_AWAY ||
		h->al_state == HUB_ALARM_ARMING || h->al_state == HUB_ALARM_PENDING);
}

/* pt_decide's alarm_can_bypass: a panel that has reported, and either
 * nothing armed to bypass (disarmed) or armed and able to bypass now. No
 * panel: false (a credential that requires the bypass is refused). */
static bool
alarm_can_bypass(const struct hub *h)
{
	if (h->al_ops == NULL || !h->al_ops->ready(h->al))
		return false;
	switch (h->al_state) {
	case HUB_ALARM_DISARMED:
		return true;
	case HUB_ALARM_ARMED_HOME:
	case HUB_ALARM_ARMED_AWAY:
	case HUB_ALARM_ARMING:
		return h->al_ops->can_bypass(h->al);
	default:	/* unknown, pending (someone is in), triggered */
		return false;
	}
}

static json_t *
zones_json(uint64_t m)
{
	json_t *a = json_array();
	unsigned z;

	for (z = 1; z <= HUB_ALARM_ZONES; z++)
		if (m & ((uint64_t)1 << (z - 1)))
			json_array_append_new(a, json_integer(z));
	return a;
}

static const char *
zone_role(const struct hub *h, unsigned zone)
{
	uint64_t bit = (uint64_t)1 << (zone - 1);

	return (h->al_entry & bit) ? "entry" : (h->al_interior & bit) ? "interior" : "other";
}

/* An unbypass not confirmed: sent again after [alarm] bypass_timeout (the
 * time a panel has to answer), then twice that, ... up to 60 s. */
#define RECONCILE_FIRST_MS(h) ((h)->cfg.alarm_bypass_timeout_ms)
#define RECONCILE_MAX_MS 60000u
#define RECONCILE_ALERT_AT 2u		/* alert.alarm-bypass-stuck at the second retry */

/*
 * Ask the panel to end the bypass of the given zones. The cache forgets
 * them at once (a bypass is only ever trusted from a fresh confirmation),
 * and they stay in al_unbypass_want until the panel reports them off:
 * hub_tick sends the unbypass again until it does (alarm_reconcile).
 */
static void
alarm_unbypass(struct hub *h, uint64_t zones, const char *why)
{
	uint64_t now = hub_mono_ms();
	unsigned z;
	int r;

	h->al_bypassed &= ~zones;
	if (strcmp(why, "reconcile") != 0 && (zones & h->al_entry & ~h->al_unbypass_want) != 0) {
		h->al_reconcile_n = 0;
		h->al_stuck_alerted = false;
	}
	h->al_unbypass_want |= zones & h->al_entry;
	h->al_reconcile_ms = now + RECONCILE_FIRST_MS(h);
	for (z = 1; z <= HUB_ALARM_ZONES; z++) {
		if (!(zones & ((uint64_t)1 << (z - 1))))
			continue;
		h->al_busy++;
		r = h->al_ops->bypass(h->al, z, false, now);
		h->al_busy--;
		hlog(r == PT_OK ? HLOG_INFO : HLOG_ERR, "event=alarm_command command=unbypass zone=%u why=%s"
							 " result=%s",
		     z, why, pt_err_code(r));
		if (r != PT_OK)
			event(h, "alarm.failed",
			      json_pack("{s:s,s:I,s:s}", "command", "unbypass", "zone", (json_int_t)z,
					"reason", pt_err_code(r)));
	}
}

/* The door machine says the bypass is over (shut, locked, quiet). */
static void
alarm_bypass_end(struct hub *h)
{
	h->door_bypass = false;
	if (h->al_ops == NULL)
		return;
	if (h->pend.active) {
		/* A grant waits for these very zones: its outcome decides. */
		h->bypass_end_deferred = true;
		return;
	}
	alarm_unbypass(h, h->al_entry, "bypass-end");
}

static void
alarm_trigger(struct hub *h, const char *why, const uint8_t *session)
{
	char hex[HEX_CTI];
	json_t *d;
	int r;

	if (!alarm_is_armed(h))
		return;	/* disarmed: someone is home; the alert alone goes out */
	h->al_busy++;
	h->al_triggering = true;	/* a report from inside the command is ours */
	r = h->al_ops->trigger(h->al, hub_mono_ms());
	h->al_triggering = false;
	h->al_busy--;
	/* Only a command the panel took makes the next "triggered" ours. */
	if (r == PT_OK)
		h->al_hub_triggered = true;
	hlog(r == PT_OK ? HLOG_WARN : HLOG_ERR, "event=alarm_command command=trigger why=%s result=%s",
	     why, pt_err_code(r));
	d = json_pack("{s:s,s:s}", "why", why, "result", pt_err_code(r));
	if (session != NULL) {
		hexs(session, PT_CTI_LEN, hex);
		json_object_set_new(d, "session", json_string(hex));
	}
	clip_data(h, d);
	event(h, "alarm.trigger", d);
}

/* Residents only, as the home's policy says ([alarm] resident_disarm).
 * The one place the hub disarms. */
static void
alarm_disarm_for_resident(struct hub *h, uint8_t purpose, const uint8_t session[PT_CTI_LEN])
{
	char hex[HEX_CTI];
	int r;

	if (purpose != PT_PURPOSE_RESIDENT)
		abort();	/* never for anyone else: a bug, not a policy */
	if (!h->cfg.alarm_resident_disarm || !alarm_is_armed(h))
		return;
	h->al_busy++;
	r = h->al_ops->disarm(h->al, hub_mono_ms());
	h->al_busy--;
	hexs(session, PT_CTI_LEN, hex);
	hlog(HLOG_INFO, "event=alarm_command command=disarm why=resident session=%s result=%s", hex,
	     pt_err_code(r));
	event(h, "alarm.disarm",
	      json_pack("{s:s,s:s,s:s}", "why", "resident", "session", hex, "result", pt_err_code(r)));
}

/*
 * An owner's duress credential was honoured (docs/alarm.md, "Duress"):
 * the grant went ahead exactly as for the same credential without the
 * marker (same DECISION, same door, the same disarm a resident's
 * credential gets), and this is the only difference: an alert upward,
 * naming the owner key that signed the credential, so porterd can keep
 * it from that owner's own account. Nothing local: no siren, no light,
 * no other relock. The hub's log says it: the log is inside the house.
 */
static void
duress_alert(struct hub *h, uint64_t conn, const uint8_t kid[PT_KID_LEN],
	     const uint8_t session[PT_CTI_LEN])
{
	char ks[2 * PT_KID_LEN + 1], ss[HEX_CTI];

	hexs(kid, PT_KID_LEN, ks);
	hexs(session, PT_CTI_LEN, ss);
	hlog(HLOG_WARN, "event=alert type=duress conn=%llu owner=%s session=%s",
	     (unsigned long long)conn, ks, ss);
	event(h, "alert.duress",
	      json_pack("{s:s,s:s,s:I}", "owner", ks, "session", ss, "conn", (json_int_t)conn));
}

static void pend_finish(struct hub *h, int r, const char *why, uint8_t *out, size_t *out_len);

static void
al_sink_state(void *arg, int state)
{
	struct hub *h = arg;
	int prev = h->al_state;
	json_t *d;

	if (hub_alarm_state_name(state) == NULL || state == prev)
		return;
	h->al_state = state;
	hlog(HLOG_INFO, "event=alarm_state state=%s prev=%s", hub_alarm_state_name(state),
	     hub_alarm_state_name(prev));
	event(h, "alarm.state",
	      json_pack("{s:s,s:s}", "state", hub_alarm_state_name(state), "prev",
			hub_alarm_state_name(prev)));
	if (state == HUB_ALARM_TRIGGERED && h->al_triggering)
		h->al_hub_triggered = true;
	if (state == HUB_ALARM_TRIGGERED && !h->al_hub_triggered) {
		/* The panel sounded on its own (an armed zone): worth a person. */
		d = json_pack("{s:s}", "prev", hub_alarm_state_name(prev));
		if (h->in_session) {
			char hex[HEX_CTI];
			hexs(h->session, PT_CTI_LEN, hex);
			json_object_set_new(d, "session", json_string(hex));
		}
		clip_data(h, d);
		hlog(HLOG_WARN, "event=alert type=alarm-triggered");
		event(h, "alert.alarm-triggered", d);
	}
	if (state != HUB_ALARM_TRIGGERED)
		h->al_hub_triggered = false;
}

static void
al_sink_zone(void *arg, unsigned zone, bool faulted)
{
	struct hub *h = arg;
	uint64_t bit;

	if (zone < 1 || zone > HUB_ALARM_ZONES)
		return;
	bit = (uint64_t)1 << (zone - 1);
	if (((h->al_faulted & bit) != 0) == faulted)
		return;
	h->al_faulted = faulted ? h->al_faulted | bit : h->al_faulted & ~bit;
	hlog(HLOG_INFO, "event=alarm_zone zone=%u role=%s faulted=%s", zone, zone_role(h, zone),
	     faulted ? "yes" : "no");
	event(h, "alarm.zone",
	      json_pack("{s:I,s:s,s:b}", "zone", (json_int_t)zone, "role", zone_role(h, zone),
			"faulted", faulted));
	if (faulted && (h->al_entry & bit))
		motion(h, PT_DOOR_ZONE_ENTRY, "alarm-zone");
	else if (faulted && (h->al_interior & bit))
		motion(h, PT_DOOR_ZONE_INTERIOR, "alarm-zone");
}

static void
al_sink_bypassed(void *arg, unsigned zone, bool on)
{
	struct hub *h = arg;
	uint64_t bit;

	if (zone < 1 || zone > HUB_ALARM_ZONES)
		return;
	bit = (uint64_t)1 << (zone - 1);
	h->al_bypassed = on ? h->al_bypassed | bit : h->al_bypassed & ~bit;
	if (!on)
		h->al_unbypass_want &= ~bit;
	hlog(HLOG_INFO, "event=alarm_bypass zone=%u role=%s on=%s", zone, zone_role(h, zone),
	     on ? "yes" : "no");
	event(h, "alarm.bypass",
	      json_pack("{s:I,s:s,s:b}", "zone", (json_int_t)zone, "role", zone_role(h, zone), "on",
			on));
	if (!h->pend.active || !(h->pend.want & bit))
		return;
	/* Only the confirmations that came for this request count; an "off"
	 * takes one back. The grant is finished in hub_tick, never from
	 * inside a driver's report (a driver may report from a command). */
	if (on)
		h->pend.got |= bit;
	else
		h->pend.got &= ~bit;
	h->pend.ready = (h->pend.got & h->pend.want) == h->pend.want;
}

static void
al_sink_failed(void *arg, const char *what)
{
	struct hub *h = arg;
	char w[128];
	size_t i;

	/* The driver's words, kept printable and short for the log. */
	for (i = 0; what != NULL && what[i] != '\0' && i < sizeof(w) - 1; i++)
		w[i] = (what[i] >= 0x20 && what[i] < 0x7f && what[i] != '"') ? what[i] : '?';
	w[i] = '\0';
	hlog(HLOG_WARN, "event=alarm_failed what=\"%s\"", w);
	event(h, "alarm.failed", json_pack("{s:s}", "what", w));
	if (h->pend.active && h->pend.fail_why == NULL)
		h->pend.fail_why = "panel-failed";	/* refused in hub_tick */
}

static void
simctl_line(void *arg, const char *line, char *out, size_t cap)
{
	struct hub *h = arg;

	if (strncmp(line, "alarm", 5) == 0 && (line[5] == ' ' || line[5] == '\0'))
		hub_alarm_sim_line(h->al, line[5] == ' ' ? line + 6 : line + 5, out, cap);
	else
		(void)snprintf(out, cap, "error only the alarm panel is simulated: alarm ...");
}

/* The same, from the sim devices' socket (it took the word "alarm" off). */
static void
simctl_alarm(void *arg, const char *line, char *out, size_t cap)
{
	struct hub *h = arg;

	hub_alarm_sim_line(h->al, line, out, cap);
}

static int
alarm_open(struct hub *h, struct pt_errbuf *err)
{
	size_t i;

	h->al_state = HUB_ALARM_UNKNOWN;
	if (hub_alarm_config_check(&h->cfg, err) != 0 ||
	    hub_alarm_zones_parse(h->cfg.alarm_entry_zones, &h->al_entry) != 0 ||
	    hub_alarm_zones_parse(h->cfg.alarm_interior_zones, &h->al_interior) != 0)
		return -1;
	if (strcmp(h->cfg.alarm_driver, "none") == 0)
		return 0;
	h->al_sink = (struct hub_alarm_sink){al_sink_state, al_sink_zone, al_sink_bypassed,
					     al_sink_failed, h};
	if (hub_alarm_find(h->cfg.alarm_driver)->open(&h->cfg, &h->al_sink, &h->al, err) != 0)
		return -1;
	h->al_ops = hub_alarm_find(h->cfg.alarm_driver);
	if (h->al_ops == &hub_alarm_sim) {
		/* Its lines share the sim devices' control socket, or get it. */
		for (i = 0; i < h->n_drv && h->drv[i].ops != &hub_drv_sim; i++)
			continue;
		if (i < h->n_drv) {
			hub_drv_sim_route_alarm(h->drv[i].drv, simctl_alarm, h);
		} else {
			if (hub_lines_open(&h->al_ctl, "sim", h->cfg.sim_control, 0660, simctl_line, h,
					   err) != 0)
				return -1;
			h->al_ctl_open = true;
		}
	}
	hlog(HLOG_INFO, "event=alarm_open driver=%s entry_zones=\"%s\" interior_zones=\"%s\"",
	     h->al_ops->name, h->cfg.alarm_entry_zones, h->cfg.alarm_interior_zones);
	return 0;
}

static int
drivers_open(struct hub *h, struct pt_errbuf *err)
{
	const char *names[3] = {h->cfg.drv_lock, h->cfg.drv_door, h->cfg.drv_motion};
	const unsigned roles[3] = {HUB_ROLE_LOCK, HUB_ROLE_DOOR, HUB_ROLE_MOTION};
	unsigned want[3] = {0, 0, 0};
	const struct hub_drv_ops *ops[3] = {NULL, NULL, NULL};
	size_t i, k, n = 0;

	/* One instance per backend, serving every role it is named for. */
	for (i = 0; i < 3; i++) {
		const struct hub_drv_ops *o = hub_drv_find(names[i]);
		if (o == NULL) {
			(void)snprintf(err->msg, sizeof(err->msg), "unknown driver '%.20s'", names[i]);
			return -1;
		}
		for (k = 0; k < n && ops[k] != o; k++)
			continue;
		if (k == n)
			ops[n++] = o;
		want[k] |= roles[i];
	}
	for (k = 0; k < n; k++) {
		if (ops[k]->open(&h->cfg, want[k], &h->sink, &h->drv[k].drv, err) != 0)
			return -1;
		h->drv[k].ops = ops[k];
		h->drv[k].roles = want[k];
		h->n_drv = k + 1;
		if (want[k] & HUB_ROLE_LOCK)
			h->lock_drv = &h->drv[k];
		if (want[k] & HUB_ROLE_DOOR)
			h->door_drv = &h->drv[k];
		hlog(HLOG_INFO, "event=driver_open driver=%s lock=%s door=%s motion=%s", ops[k]->name,
		     want[k] & HUB_ROLE_LOCK ? "yes" : "no", want[k] & HUB_ROLE_DOOR ? "yes" : "no",
		     want[k] & HUB_ROLE_MOTION ? "yes" : "no");
	}
	return 0;
}

/* ---- the lockout ---- */

static bool
locked_out(const struct hub *h, uint64_t now_ms)
{
	return h->locked_until_ms != 0 && now_ms < h->locked_until_ms;
}

/*
 * Which refusals count (docs/link-protocol.md, "Lockout", and docs/hub.md):
 * everything about the credential, the proof or the frame the device
 * sent; nothing about the home's state (time, revocation freshness,
 * camera, alarm, door), nothing refused as locked-out, and none of the
 * hub's own failures (I/O).
 */
static bool
reason_counts(int r)
{
	switch (r) {
	case PT_EMALFORMED:
	case PT_EBADSIG:
	case PT_EBROKENCHAIN:
	case PT_EWIDENED:
	case PT_ECHAINLEN:
	case PT_EUNTRUSTED:
	case PT_ENOTYET:
	case PT_EEXPIRED:
	case PT_ESCHEDULE:
	case PT_EAUDIENCE:
	case PT_ENOENTRIES:
	case PT_EREVOKED:
	case PT_ETOOLATE:
	case PT_ENONCE:
	case PT_EUNSUPPORTED:
	case PT_ETOOBIG:
	/* pairing statements */
	case PT_EUNTRUSTEDCMD:
	case PT_ESTALE:
	case PT_EREPLAY:
		return true;
	default:
		return false;
	}
}

static void
lockout_save(struct hub *h)
{
	if (hub_state_lockout_save(h->st, h->failures, h->locked_until, h->last_failure_at) !=
	    PT_OK)
		hlog(HLOG_ERR, "event=lockout_save result=failed");
}

/*
 * One failure more. The count decays by one for every full hour without
 * a failure; at lockout_failures a lockout of lockout_first starts, and
 * each failure beyond doubles it, up to lockout_max. A failure during a
 * lockout cannot happen here (the caller refuses first), so it neither
 * counts nor extends the lockout.
 *
 * Durable before the caller answers (docs/hub.md, "Lockout"): the count
 * and the time of the failure are committed here, in one transaction
 * with the events queued so far (events_commit): the caller queues the
 * refusal's own event first (link.error, decision.refuse, panic.refuse,
 * pairing.refuse), and lockout.start is queued before the commit. One
 * fsync per counted refusal; the end of the turn has nothing left for
 * them.
 */
static void
count_failure(struct hub *h, const struct hub_session *s, int reason)
{
	int64_t now = hub_now_utc();
	uint64_t now_ms = hub_mono_ms(), len;
	uint32_t k;

	if (!reason_counts(reason) || locked_out(h, now_ms))
		return;
	if (h->last_failure_at > 0 && now > h->last_failure_at) {
		int64_t hours = (now - h->last_failure_at) / 3600;
		h->failures = (int64_t)h->failures > hours ? h->failures - (uint32_t)hours : 0;
	}
	if (h->failures < UINT32_MAX)
		h->failures++;
	h->last_failure_at = now;
	if (h->failures >= h->cfg.lockout_failures) {
		k = h->failures - h->cfg.lockout_failures;
		len = h->cfg.lockout_first_ms;
		while (k-- > 0 && len < h->cfg.lockout_max_ms)
			len *= 2;
		if (len > h->cfg.lockout_max_ms)
			len = h->cfg.lockout_max_ms;
		h->locked_until_ms = now_ms + len;
		h->locked_until = now + (int64_t)((len + 999) / 1000);
		hlog(HLOG_WARN, "event=lockout_start conn=%llu failures=%u ms=%llu reason=%s",
		     (unsigned long long)s->id, h->failures, (unsigned long long)len,
		     pt_err_code(reason));
		event(h, "lockout.start",
		      json_pack("{s:I,s:I,s:s,s:I}", "failures", (json_int_t)h->failures, "ms",
				(json_int_t)len, "reason", pt_err_code(reason), "until",
				(json_int_t)h->locked_until));
		events_commit(h, true);
		return;
	}
	hlog(HLOG_INFO, "event=failure conn=%llu failures=%u reason=%s", (unsigned long long)s->id,
	     h->failures, pt_err_code(reason));
	events_commit(h, true);
}

static uint32_t
retry_after_ms(const struct hub *h, uint64_t now_ms)
{
	uint64_t left = h->locked_until_ms > now_ms ? h->locked_until_ms - now_ms : 1;

	if (left > PT_LINK_RETRY_MAX_MS)
		left = PT_LINK_RETRY_MAX_MS;
	return (uint32_t)(left == 0 ? 1 : left);
}

static int
lockout_load(struct hub *h, struct pt_errbuf *err)
{
	int64_t now = hub_now_utc(), last = 0;
	int r;

	if (hub_state_lockout_get(h->st, &h->failures, &h->locked_until) != PT_OK) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot read the lockout state");
		return -1;
	}
	r = hub_state_meta_get(h->st, "lockout_last_failure", &last);
	if (r == PT_OK)
		h->last_failure_at = last;
	else if (r != PT_ENOTFOUND) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot read the lockout state");
		return -1;
	}
	/* A restart does not lift a lockout: carry its end over to this
	 * boot's monotonic clock. */
	if (h->locked_until > now) {
		h->locked_until_ms = hub_mono_ms() + (uint64_t)(h->locked_until - now) * 1000u;
		hlog(HLOG_WARN, "event=lockout_resumed failures=%u seconds_left=%lld", h->failures,
		     (long long)(h->locked_until - now));
	}
	return 0;
}

/* ---- frames out ---- */

static int
reply_error(int reason, uint32_t retry_ms, uint8_t *out, size_t *out_len)
{
	struct pt_link_error e;

	memset(&e, 0, sizeof(e));
	e.reason = reason;
	if (reason == PT_ELOCKEDOUT)
		e.retry_after_ms = retry_ms;
	if (reason == PT_EUNSUPPORTED)
		e.version = PT_LINK_VERSION;
	if (pt_link_error_encode(&e, out, PT_LINK_FRAME_MAX, out_len) != PT_OK)
		*out_len = 0;
	return HUB_CLOSE;
}

/* A frame that breaks the protocol: counted, recorded, ERROR, close. */
static int
frame_failure(struct hub *h, struct hub_session *s, const char *what, int reason, uint8_t *out,
	      size_t *out_len)
{
	hub_on_frame_error(h, s, reason);
	hlog(HLOG_INFO, "event=link_error conn=%llu frame=%s reason=%s", (unsigned long long)s->id,
	     what, pt_err_code(reason));
	return reply_error(reason, 0, out, out_len);
}

void
hub_on_frame_error(struct hub *h, struct hub_session *s, int reason)
{
	if (locked_out(h, hub_mono_ms()))
		return;	/* nothing is counted or recorded during a lockout */
	if (reason_counts(reason))
		event(h, "link.error",
		      json_pack("{s:s,s:I}", "reason", pt_err_code(reason), "conn", (json_int_t)s->id));
	count_failure(h, s, reason);
}

/* ---- HELLO ---- */

static int
on_hello(struct hub *h, struct hub_session *s, const uint8_t *f, size_t len, uint8_t *out,
	 size_t *out_len)
{
	struct pt_link_hello m;
	struct pt_link_challenge c;
	uint64_t now_ms = hub_mono_ms();
	int r;

	if ((r = pt_link_hello_decode(f, len, &m)) != PT_OK)
		return frame_failure(h, s, "hello", r, out, out_len);
	/* A call for help gets its challenge even now (the lockout bounds
	 * PROOFs, and whoever caused it must not silence a courier), one a
	 * second for the whole link, so that a flood of them cannot buy
	 * what the lockout denies. */
	if (locked_out(h, now_ms) && m.panic &&
	    (h->panic_ch_ms == 0 || now_ms - h->panic_ch_ms >= PANIC_CHALLENGE_MS))
		h->panic_ch_ms = now_ms != 0 ? now_ms : 1;
	else if (locked_out(h, now_ms)) {
		hlog(HLOG_INFO, "event=hello conn=%llu result=locked-out retry_ms=%u",
		     (unsigned long long)s->id, retry_after_ms(h, now_ms));
		return reply_error(PT_ELOCKEDOUT, retry_after_ms(h, now_ms), out, out_len);
	}
	/* A new HELLO replaces the outstanding challenge: its nonce is dead. */
	memset(&s->ch, 0, sizeof(s->ch));
	pt_random(s->ch.nonce, PT_NONCE_LEN);
	s->ch.issued_ms = now_ms;
	s->ch.used = false;
	s->has_challenge = true;
	s->panic_only = m.panic;
	if (m.lock[0] != '\0')
		memcpy(s->lock, m.lock, sizeof(s->lock));
	else
		memcpy(s->lock, h->cfg.lock, sizeof(s->lock));

	memset(&c, 0, sizeof(c));
	memcpy(c.hub_id, h->id, sizeof(c.hub_id));
	memcpy(c.nonce, s->ch.nonce, PT_NONCE_LEN);
	c.has_time = h->cfg.time_trusted;
	c.time = c.has_time ? hub_now_utc() : 0;
	c.expires_ms = h->cfg.challenge_ttl_ms;
	if ((r = pt_link_challenge_encode(&c, out, PT_LINK_FRAME_MAX, out_len)) != PT_OK) {
		hlog(HLOG_ERR, "event=hello conn=%llu error=\"%s\"", (unsigned long long)s->id,
		     pt_err_text(r));
		*out_len = 0;
		return HUB_CLOSE;
	}
	hlog(HLOG_DEBUG, "event=challenge conn=%llu lock=%s panic=%s", (unsigned long long)s->id,
	     s->lock, m.panic ? "yes" : "no");
	return HUB_KEEP;
}

/* ---- PROOF: the decision ---- */

static json_t *
decision_data(const struct hub_session *s, const struct pt_decision *d, const struct pt_chain *c,
	      const char *lock)
{
	char hex[HEX_CTI], hh[2 * PT_HASH_LEN + 1];
	json_t *o = json_object();

	json_object_set_new(o, "reason", json_string(pt_err_code(d->reason)));
	json_object_set_new(o, "conn", json_integer((json_int_t)s->id));
	json_object_set_new(o, "lock", json_string(lock));
	if (d->link >= 0)
		json_object_set_new(o, "link", json_integer(d->link));
	if (c->n > 0) {
		/* The chain verified: the holder's token id and the chain's hash. */
		hexs(c->link[c->n - 1].g.cti, PT_CTI_LEN, hex);
		hexs(d->chain_hash, PT_HASH_LEN, hh);
		json_object_set_new(o, "token", json_string(hex));
		json_object_set_new(o, "chain", json_string(hh));
		json_object_set_new(o, "purpose",
				    json_string(pt_purpose_name(c->link[c->n - 1].g.purpose) != NULL
							? pt_purpose_name(c->link[c->n - 1].g.purpose)
							: "unknown"));
	}
	return o;
}

/*
 * Step 1 of a grant: the entries charged, durable before anything moves,
 * in one transaction with the events queued this turn and not committed
 * yet, decision.grant last of them (one fsync for both; the chain and its
 * checkpoints exactly as appending them one at a time would make them).
 * If that transaction fails, the entries alone, as before (an event must
 * never cost an entry; they are appended at the end of the turn); if that
 * fails too, decision.grant is taken off the queue (nothing was granted)
 * and the error returned.
 */
static int
charge(struct hub *h, const struct pt_decision *d)
{
	const uint8_t(*ctis)[PT_CTI_LEN] = (const uint8_t(*)[PT_CTI_LEN])d->charge;
	struct hub_ckpt ck;
	size_t n = h->evq_n - h->evq_done;
	int64_t at = hub_now_utc();
	int r;

	ckpt_init(h, &ck);
	h->charge_us = mono_us();
	r = hub_state_charge_events(h->st, ctis, d->n_charge, at, &h->evq[h->evq_done], n, &ck);
	h->charge_us = mono_us() - h->charge_us;
	if (r == PT_OK) {
		if (n > 0)
			events_committed(h, n, &ck);
		return PT_OK;
	}
	hlog(HLOG_WARN, "event=charge result=retry error=\"%s\" note=\"the entries alone\"",
	     pt_err_text(r));
	if ((r = hub_state_charge(h->st, ctis, d->n_charge, at)) != PT_OK && n > 0 &&
	    strcmp(h->evq[h->evq_n - 1].type, "decision.grant") == 0)
		h->evq_n--;
	return r;
}

/* Step 1 of a grant (see the top of this file): decision.grant recorded
 * and the entries charged. PT_OK or PT_EIO (nothing granted); ev (the
 * decision event's data) is always taken. */
static int
grant_charge(struct hub *h, uint64_t conn, const struct pt_decision *d, json_t *ev)
{
	int r;

	/* decision.grant is queued first and committed with the entries. */
	event(h, "decision.grant", ev);
	if (d->n_charge > 0 && (r = charge(h, d)) != PT_OK) {
		hlog(HLOG_ERR, "event=charge conn=%llu result=failed error=\"%s\"",
		     (unsigned long long)conn, pt_err_text(r));
		return PT_EIO;
	}
	if (h->failures != 0 && !locked_out(h, hub_mono_ms())) {
		/* A grant resets the count, never a lockout in force (docs/hub.md).
		 * Saved with the events: losing it in a crash is only stricter. */
		h->failures = 0;
		h->lockout_dirty = true;
	}
	return PT_OK;
}

/* Steps 3-4 of a grant, once charged: the door machine's GRANT, the lock
 * driver's UNLOCK. PT_OK or PT_EDOOR (the machine refused: the entry is
 * lost, as a crash would lose it). bypassed: the panel confirmed the
 * entry zones' bypass for this session. */
static int
grant_door(struct hub *h, uint64_t conn, const struct pt_decision *d,
	   const uint8_t session[PT_CTI_LEN], bool bypassed)
{
	struct pt_door_input in;
	struct pt_door_out o;
	int r;

	memset(&in, 0, sizeof(in));
	in.type = PT_DOOR_IN_GRANT;
	in.now_ms = hub_mono_ms();
	memcpy(in.grant.session, session, PT_CTI_LEN);
	in.grant.purpose = d->purpose;
	in.grant.door_open_max_s = d->door_open_max;
	/* Only what the panel confirmed (bypass_begin): the machine ends it. */
	in.grant.alarm_bypassed = bypassed;
	r = pt_door_step(&h->door, &in, &o);
	/* The interior rule (motion) is for visitors: a resident lives there. */
	if (r == PT_OK) {
		h->session_bypassed = bypassed && d->purpose != PT_PURPOSE_RESIDENT;
		if (bypassed)
			h->door_bypass = true;
	}
	door_out(h, &o);	/* session.start, lock.unlocking, then UNLOCK */
	if (r != PT_OK) {
		/* Cannot happen (pt_decide saw the machine secured in this
		 * same turn, and bypass_finish checks again); the entry is
		 * lost, as a crash would lose it. */
		hlog(HLOG_ERR, "event=grant conn=%llu error=\"the door machine refused the grant\"",
		     (unsigned long long)conn);
		return PT_EDOOR;
	}
	if (d->purpose == PT_PURPOSE_RESIDENT)
		alarm_disarm_for_resident(h, d->purpose, session);
	return PT_OK;
}

/* Steps 1-4 of a grant, the DECISION sent after them (a grant the panel
 * waited for). PT_OK or the reason the grant became a refusal after all;
 * ev is always taken (the caller records its own refusal with its own
 * data). */
static int
carry_out_grant(struct hub *h, uint64_t conn, const struct pt_decision *d,
		const uint8_t session[PT_CTI_LEN], json_t *ev, bool bypassed)
{
	int r;

	if ((r = grant_charge(h, conn, d, ev)) != PT_OK)
		return r;
	return grant_door(h, conn, d, session, bypassed);
}

/* A grant charged for the DECISION that went (or was to go) first, whose
 * door step did not happen: a decision.refuse on record, h->after
 * cleared. The entry is lost, as a crash would lose it. */
static void
after_undone(struct hub *h, int reason, const char *why)
{
	char hex[HEX_CTI];

	hexs(h->after.session, PT_CTI_LEN, hex);
	event(h, "decision.refuse",
	      json_pack("{s:s,s:s,s:I,s:s}", "reason", pt_err_code(reason), "session", hex, "conn",
			(json_int_t)h->after.conn, "why", why));
	memset(&h->after, 0, sizeof(h->after));
}

void
hub_after_answer(struct hub *h)
{
	int r;

	if (!h->after.due)
		return;
	h->after.due = false;
	hlog(HLOG_INFO, "%s", h->after.line);
	r = grant_door(h, h->after.conn, &h->after.d, h->after.session, false);
	if (r != PT_OK)
		after_undone(h, r, "door-after-answer");	/* the DECISION said granted */
	else
		memset(&h->after, 0, sizeof(h->after));
}

/* ---- a grant that waits for the alarm panel (docs/alarm.md) ---- */

static void
pend_release(struct hub *h)
{
	json_decref(h->pend.ev);
	memset(&h->pend, 0, sizeof(h->pend));
}

static int ctx_build(struct hub *h, const char *lock, const uint8_t *chain, size_t chain_len,
		     struct pt_context *cx, uint8_t (**rev_ctis)[PT_CTI_LEN],
		     uint8_t (**rev_keys)[PT_PK_LEN]);

/* ---- asking the owners ([alarm] cannot_bypass = ask, docs/alarm.md) ---- */

static bool
ask_enabled(const struct hub *h)
{
	return strcmp(h->cfg.alarm_cannot_bypass, "ask") == 0;
}

/* A waiting grant's refusal that is the panel's doing (pend_poll,
 * bypass_begin), not a change in the grant's own checks. */
static bool
panel_failed(const char *why)
{
	return why != NULL && (strcmp(why, "panel-timeout") == 0 || strcmp(why, "panel-failed") == 0 ||
			       strcmp(why, "bypass-command-failed") == 0);
}

/* Forget the requests whose time is up (answered or not). */
static void
approvals_prune(struct hub *h, uint64_t now_ms)
{
	size_t i;

	for (i = 0; i < APPROVALS_MAX; i++)
		if (h->appr[i].expires_ms != 0 && now_ms >= h->appr[i].expires_ms)
			memset(&h->appr[i], 0, sizeof(h->appr[i]));
}

/* The open request for this very credential (its last token id and the
 * hash of its whole chain: a delegator can give another holder a link
 * with the same token id) at this lock, or NULL. */
static struct approval *
approval_for(struct hub *h, const uint8_t session[PT_CTI_LEN], const uint8_t chain[PT_HASH_LEN],
	     const char *lock)
{
	size_t i;

	approvals_prune(h, hub_mono_ms());
	for (i = 0; i < APPROVALS_MAX; i++)
		if (h->appr[i].expires_ms != 0 &&
		    memcmp(h->appr[i].session, session, PT_CTI_LEN) == 0 &&
		    memcmp(h->appr[i].chain, chain, PT_HASH_LEN) == 0 &&
		    strcmp(h->appr[i].lock, lock) == 0)
			return &h->appr[i];
	return NULL;
}

/* Asking makes sense, and an approval may be used, only while the panel
 * is not sounding or counting down an entry (someone is in). */
static bool
panel_askable(const struct hub *h)
{
	return h->al_ops == NULL ||
	       (h->al_state != HUB_ALARM_PENDING && h->al_state != HUB_ALARM_TRIGGERED);
}

/* A grant of a credential (without its approval, or with it): its
 * request, if any, is over (an approval is for one entry). */
static void
approval_spend(struct hub *h, const uint8_t session[PT_CTI_LEN], const uint8_t chain[PT_HASH_LEN],
	       const char *lock)
{
	struct approval *a = approval_for(h, session, chain, lock);

	if (a != NULL)
		memset(a, 0, sizeof(*a));
}

/*
 * pt_decide refused a verified credential only because the panel cannot
 * bypass (PT_EALARM, every other check passed), or the panel failed the
 * bypass of a granted one. With cannot_bypass = ask: PT_EDENIED if an
 * owner denied it, PT_EASKED if a request is open
 * (a new one is opened, and alert.approval-request recorded, if none
 * is), or PT_EALARM when nobody can be asked. *why says which; *req the
 * request (NULL: none).
 */
static int
ask_owner(struct hub *h, const char *lock, const uint8_t session_id[PT_CTI_LEN],
	  const uint8_t chain[PT_HASH_LEN], const uint8_t root[PT_CTI_LEN], uint8_t purpose,
	  const char **why, struct approval **req)
{
	struct approval *a;
	char id[HEX_CTI], session[HEX_CTI];
	int64_t now = hub_now_utc();
	size_t i, same_root = 0;

	*req = NULL;
	if ((a = approval_for(h, session_id, chain, lock)) != NULL) {
		*req = a;
		*why = a->answer == PT_DENY ? "owner-denied" : "waiting-for-owner";
		return a->answer == PT_DENY ? PT_EDENIED : PT_EASKED;
	}
	if (!panel_askable(h)) {
		*why = "panel-busy";	/* sounding, or someone is in */
		return PT_EALARM;
	}
	if (!h->cfg.time_trusted) {
		*why = "time-unknown";	/* no answer could be judged fresh */
		return PT_EALARM;
	}
	if (h->up_ops == NULL || !h->up_ops->connected(h->up)) {
		*why = "owner-unreachable";	/* nothing could answer */
		return PT_EALARM;
	}
	for (i = 0; i < APPROVALS_MAX; i++)
		if (h->appr[i].expires_ms != 0 && memcmp(h->appr[i].root, root, PT_CTI_LEN) == 0)
			same_root++;
	for (i = 0; i < APPROVALS_MAX && h->appr[i].expires_ms != 0; i++)
		;
	if (i == APPROVALS_MAX || same_root >= APPROVALS_PER_ROOT) {
		*why = "too-many-requests";	/* one delegation cannot take every slot */
		return PT_EALARM;
	}
	a = &h->appr[i];
	pt_random(a->id, PT_CTI_LEN);
	memcpy(a->session, session_id, PT_CTI_LEN);
	memcpy(a->chain, chain, PT_HASH_LEN);
	memcpy(a->root, root, PT_CTI_LEN);
	(void)snprintf(a->lock, sizeof(a->lock), "%s", lock);
	a->answer = 0;
	a->expires_ms = hub_mono_ms() + (uint64_t)h->cfg.alarm_ask_timeout * 1000u;
	hexs(a->id, PT_CTI_LEN, id);
	hexs(a->session, PT_CTI_LEN, session);
	hlog(HLOG_INFO, "event=approval_request request=%s token=%s lock=%s alarm=%s seconds=%u", id,
	     session, a->lock, hub_alarm_state_name(h->al_state), h->cfg.alarm_ask_timeout);
	event(h, "alert.approval-request",
	      json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:o}", "request", id, "session", session, "token",
			session, "lock", a->lock, "purpose",
			pt_purpose_name(purpose) != NULL ? pt_purpose_name(purpose) : "unknown",
			"alarm", h->al_ops != NULL ? hub_alarm_state_name(h->al_state) : NULL,
			"expires",
			h->cfg.time_trusted
				? json_integer((json_int_t)(now + (int64_t)h->cfg.alarm_ask_timeout))
				: json_null()));
	*req = a;
	*why = "asked";
	return PT_EASKED;
}

/*
 * What can change while a grant waits, judged again now that the panel
 * has confirmed: pt_evaluate on the stored chain with a fresh context
 * (lockout, revocations that arrived, validity and schedule, entries,
 * camera health, a panel that went off meanwhile, the door). The proof
 * was checked at the PROOF; everything else is as of now. PT_OK or the
 * reason to refuse.
 */
static int
pend_recheck(struct hub *h, const struct pending *p, bool waive_alarm)
{
	uint8_t (*rev_ctis)[PT_CTI_LEN] = NULL, (*rev_keys)[PT_PK_LEN] = NULL;
	struct pt_context cx;
	struct pt_decision d;
	int r;

	if ((r = ctx_build(h, p->lock, p->chain, p->chain_len, &cx, &rev_ctis, &rev_keys)) == PT_OK) {
		if (waive_alarm)
			cx.alarm_can_bypass = true;	/* an owner approved it as it is */
		r = pt_evaluate(h->ops, p->chain, p->chain_len, &cx, &h->decoded, &d);
	}
	free(rev_ctis);
	free(rev_keys);
	memset(&h->decoded, 0, sizeof(h->decoded));
	memset(&h->ids, 0, sizeof(h->ids));
	/* The entries to charge are those decided at the PROOF, and the
	 * panel must still be armed-and-bypassing or disarmed (not pending,
	 * not triggered: someone is in, or the siren sounds). */
	if (r == PT_OK && (d.n_charge != p->d.n_charge ||
			   memcmp(d.charge, p->d.charge, sizeof(d.charge)) != 0))
		r = PT_ENOENTRIES;
	return r;
}

/*
 * The panel confirmed every entry zone (PT_OK), or did not in time, or
 * failed (PT_EALARM). On PT_OK the decision is checked again
 * (pend_recheck) and the grant goes on as any other: charge, the door
 * machine (bypassed), UNLOCK; otherwise nothing was charged and the bolt
 * never moved, and the zones asked for are unbypassed. The DECISION goes
 * into out (from bypass_begin) or to the waiting connection.
 *
 * The pending grant is moved out of h->pend before anything is done, so
 * that whatever this calls (a driver reporting from inside a command, a
 * connection closing) finds no grant waiting and cannot finish it twice.
 */
static void
pend_finish(struct hub *h, int r, const char *why, uint8_t *out, size_t *out_len)
{
	struct pending *p;
	struct pt_link_decision *ld;
	uint8_t buf[PT_LINK_FRAME_MAX];
	char rid[HEX_CTI];
	struct approval *a = NULL;
	size_t n = 0;
	json_t *ev;
	uint64_t undo;
	bool deferred_end, waived = false;

	if (!h->pend.active)
		return;
	if ((p = malloc(sizeof(*p))) == NULL) {
		/* Nothing was charged and the bolt never moved; a hub that
		 * cannot allocate 5 KiB here stops rather than guess. */
		hlog(HLOG_ERR, "event=decision note=\"out of memory finishing a waiting grant\"");
		abort();
	}
	*p = h->pend;
	memset(&h->pend, 0, sizeof(h->pend));
	deferred_end = h->bypass_end_deferred;
	h->bypass_end_deferred = false;
	h->al_busy++;
	ev = p->ev;
	p->ev = NULL;
	/* The panel failed the bypass (not a change of the grant's own
	 * checks): with cannot_bypass = ask, an owner's approval lets it in
	 * as it is, or the owners are asked now. */
	if (r == PT_EALARM && ask_enabled(h) && panel_failed(why)) {
		a = approval_for(h, p->session, p->d.chain_hash, p->lock);
		if (a != NULL && a->answer == PT_APPROVE && panel_askable(h)) {
			r = PT_OK;
			waived = true;
		} else {
			r = ask_owner(h, p->lock, p->session, p->d.chain_hash, p->root, p->d.purpose,
				      &why, &a);
		}
	}
	/* Denied while it waited for the panel: denied. */
	if (r == PT_OK && !waived && ask_enabled(h) &&
	    (a = approval_for(h, p->session, p->d.chain_hash, p->lock)) != NULL &&
	    a->answer == PT_DENY) {
		r = PT_EDENIED;
		why = "owner-denied";
	}
	if (r == PT_OK && (!h->door_up || pt_door_state(&h->door) != PT_DOOR_SECURED)) {
		r = PT_EDOOR;	/* something moved meanwhile (a remote unlock, the door) */
		why = "changed-while-waiting";
	}
	if (r == PT_OK && (r = pend_recheck(h, p, waived)) != PT_OK)
		why = "changed-while-waiting";
	if (r == PT_OK && waived) {
		json_t *g = json_deep_copy(ev);
		hexs(a->id, PT_CTI_LEN, rid);
		if (g != NULL)
			json_object_set_new(g, "approval", json_string(rid));
		r = carry_out_grant(h, p->conn, &p->d, p->session, g, false);
		if (r == PT_OK) {
			memset(a, 0, sizeof(*a));	/* spent */
			/* Let in with the panel as it is: whatever it was asked
			 * to bypass for this grant is taken back. */
			alarm_unbypass(h, p->want, "approved-without-bypass");
		}
	} else if (r == PT_OK) {
		r = carry_out_grant(h, p->conn, &p->d, p->session, json_deep_copy(ev), true);
		if (r == PT_OK)
			approval_spend(h, p->session, p->d.chain_hash, p->lock);
	}
	if (r == PT_OK && p->duress)
		duress_alert(h, p->conn, p->duress_kid, p->session);
	if (r != PT_OK) {
		if (ev == NULL)
			ev = json_object();
		json_object_set_new(ev, "reason", json_string(pt_err_code(r)));
		json_object_set_new(ev, "why", json_string(why));
		if (a != NULL && (r == PT_EASKED || r == PT_EDENIED)) {
			hexs(a->id, PT_CTI_LEN, rid);
			json_object_set_new(ev, "request", json_string(rid));
		}
		event(h, "decision.refuse", ev);
		ev = NULL;
		undo = p->want | (deferred_end ? h->al_entry : 0);
		if (undo != 0)
			alarm_unbypass(h, undo, "grant-refused");
	}
	json_decref(ev);
	/* Granted: the new session's bypass took over the one that ended. */
	hlog(HLOG_INFO, "event=decision conn=%llu result=%s reason=%s why=%s token=%s lock=%s"
			" waited_for=panel",
	     (unsigned long long)p->conn, r == PT_OK ? "grant" : "refuse", pt_err_code(r), why,
	     p->token, p->lock);
	ld = r == PT_OK ? &p->grant : &p->refuse;
	if (r != PT_OK)
		ld->reason = r;
	if (out != NULL) {
		if (pt_link_decision_encode(ld, out, PT_LINK_FRAME_MAX, out_len) != PT_OK)
			*out_len = 0;
	} else if (h->link == NULL ||
		   pt_link_decision_encode(ld, buf, sizeof(buf), &n) != PT_OK ||
		   hub_link_reply(h->link, p->conn, buf, n) != 0) {
		hlog(HLOG_WARN, "event=decision conn=%llu note=\"the device is gone: the answer was"
				" not delivered\"",
		     (unsigned long long)p->conn);
	}
	h->al_busy--;
	pt_wipe(p, sizeof(*p));
	free(p);
}

/* hub_tick: a waiting grant whose confirmations are in, whose panel
 * failed, or whose time is up. Never from inside a driver's report. */
static void
pend_poll(struct hub *h, uint64_t now_ms)
{
	if (!h->pend.active || h->pend.starting || h->al_busy != 0)
		return;
	if (h->pend.fail_why != NULL)
		pend_finish(h, PT_EALARM, h->pend.fail_why, NULL, NULL);
	else if (h->pend.ready)
		pend_finish(h, PT_OK, "confirmed", NULL, NULL);
	else if (now_ms >= h->pend.deadline_ms)
		pend_finish(h, PT_EALARM, "panel-timeout", NULL, NULL);
}

/*
 * A granted decision with the alarm condition while the panel is armed:
 * ask the panel to bypass every entry zone and wait (HUB_WAIT). What the
 * panel reported before counts for nothing: a bypass left from the last
 * entry may be ending right now (an unbypass in flight), or the panel may
 * have dropped it (a re-arm); only a fresh "on" for every entry zone,
 * after this request, lets the bolt move. Nothing is charged yet.
 */
static int
bypass_begin(struct hub *h, struct hub_session *s, const struct pt_decision *d,
	     const struct pt_chain *c, const uint8_t *chain, size_t chain_len, uint8_t *out,
	     size_t *out_len)
{
	struct pending *p = &h->pend;
	struct pt_decision rd;
	uint64_t now = hub_mono_ms();
	unsigned z;
	int r = PT_OK;

	memset(p, 0, sizeof(*p));
	if (chain_len > sizeof(p->chain)) {
		*out_len = 0;
		return HUB_CLOSE;	/* cannot happen: pt_decide refused it (too-big) */
	}
	p->active = true;
	p->starting = true;
	p->conn = s->id;
	p->d = *d;
	memcpy(p->chain, chain, chain_len);
	p->chain_len = chain_len;
	memcpy(p->session, c->link[c->n - 1].g.cti, PT_CTI_LEN);
	hexs(p->session, PT_CTI_LEN, p->token);
	memcpy(p->lock, s->lock, sizeof(p->lock));
	p->duress = c->link[0].g.duress;
	memcpy(p->duress_kid, c->link[0].g.kid, PT_KID_LEN);
	memcpy(p->root, c->link[0].g.cti, PT_CTI_LEN);
	p->ev = decision_data(s, d, c, s->lock);
	pt_link_decision_init(&p->grant, d, c, (h->cfg.door.open_timeout_ms + 999u) / 1000u);
	rd = *d;
	rd.reason = PT_EALARM;
	rd.link = -1;
	rd.n_charge = 0;
	pt_link_decision_init(&p->refuse, &rd, c, 0);
	p->deadline_ms = now + h->cfg.alarm_bypass_timeout_ms;
	p->want = h->al_entry;
	p->got = 0;
	/* A retry of an old unbypass must not undo this new bypass. */
	h->al_unbypass_want &= ~h->al_entry;
	h->al_reconcile_ms = 0;
	hlog(HLOG_INFO, "event=alarm_bypass_request conn=%llu token=%s zones=%llx",
	     (unsigned long long)s->id, p->token, (unsigned long long)p->want);
	event(h, "alarm.bypass-request",
	      json_pack("{s:o,s:s,s:I}", "zones", zones_json(h->al_entry), "session", p->token, "conn",
			(json_int_t)s->id));
	h->al_busy++;
	for (z = 1; z <= HUB_ALARM_ZONES && r == PT_OK; z++)
		if (p->want & ((uint64_t)1 << (z - 1)))
			r = h->al_ops->bypass(h->al, z, true, now);
	h->al_busy--;
	p->starting = false;
	if (r != PT_OK) {
		hlog(HLOG_WARN, "event=alarm_command command=bypass result=%s", pt_err_code(r));
		pend_finish(h, PT_EALARM, "bypass-command-failed", out, out_len);
		return HUB_KEEP;
	}
	return HUB_WAIT;
}

void
hub_on_session_closed(struct hub *h, const struct hub_session *s)
{
	if (!h->pend.active || h->pend.conn != s->id)
		return;
	/* The courier left before the panel answered: nothing is charged,
	 * nothing moves; what was asked of the panel is taken back. */
	pend_finish(h, PT_EALARM, "device-left", NULL, NULL);
}

/*
 * The decision's context, as it is now: clock, lockout, owner keys,
 * usage of the chain's token ids, revocations, camera, alarm, door. The
 * revocation lists are the caller's to free (also on failure). PT_OK or
 * PT_EIO (the state is unreadable).
 */
static int
ctx_build(struct hub *h, const char *lock, const uint8_t *chain, size_t chain_len,
	  struct pt_context *cx, uint8_t (**rev_ctis)[PT_CTI_LEN], uint8_t (**rev_keys)[PT_PK_LEN])
{
	uint8_t ctis[PT_CHAIN_MAX][PT_CTI_LEN];
	size_t n_rev_ctis = 0, n_rev_keys = 0, n_ctis = 0, i;
	int64_t rev_version = 0, rev_at = 0;

	memset(cx, 0, sizeof(*cx));
	cx->now = hub_now_utc();
	cx->time_trusted = h->cfg.time_trusted;
	cx->mono_ms = hub_mono_ms();
	cx->proof_max_ms = h->cfg.challenge_ttl_ms;
	cx->locked_out_until_ms = locked_out(h, cx->mono_ms) ? h->locked_until_ms : 0;
	cx->hub_id = h->id;
	cx->home_id = h->home;
	cx->lock_id = lock;
	cx->tz_name = h->cfg.tz;
	cx->tz = h->tz;
	cx->roots = (const uint8_t(*)[PT_PK_LEN])h->roots;
	cx->n_roots = h->n_roots;
	/* Usage must be known up front: the chain's token ids, from an
	 * unverified decode (pt_decide verifies before it trusts any of it). */
	memset(h->usage, 0, sizeof(h->usage));
	if (pt_chain_decode(chain, chain_len, &h->ids) == PT_OK)
		for (i = 0; i < h->ids.n; i++)
			memcpy(ctis[n_ctis++], h->ids.link[i].g.cti, PT_CTI_LEN);
	/* One snapshot of the state: usage, revocations, their version. */
	if (hub_state_ctx_load(h->st, (const uint8_t(*)[PT_CTI_LEN])ctis, n_ctis, h->usage,
			       rev_ctis, &n_rev_ctis, rev_keys, &n_rev_keys, &rev_version,
			       &rev_at) != PT_OK)
		return PT_EIO;
	if (n_ctis > 0) {
		cx->usage = h->usage;
		cx->n_usage = n_ctis;
	}
	cx->revoked_ctis = (const uint8_t(*)[PT_CTI_LEN])*rev_ctis;
	cx->n_revoked_ctis = n_rev_ctis;
	cx->revoked_keys = (const uint8_t(*)[PT_PK_LEN])*rev_keys;
	cx->n_revoked_keys = n_rev_keys;
	cx->revocations_at = rev_at;
	cx->revocations_max_age = h->cfg.revocations_max_age;
	/* The camera: fresh, signed, ok (no camera: not healthy). The
	 * alarm: a panel that can keep the rest armed (alarm_can_bypass). */
	cx->camera_healthy = hub_cam_is_healthy(h->cam, cx->mono_ms, NULL) &&
			     !hub_cam_key_in(h->cam, cx->revoked_keys, n_rev_keys);
	cx->alarm_can_bypass = alarm_can_bypass(h);
	/* The door machine's view: secured means shut, thrown, no session;
	 * a grant waiting for the panel holds the door as well. */
	cx->door_closed = h->door_up && !h->door_open && drivers_ready(h);
	cx->bolt_locked = h->door_up && !h->pend.active && pt_door_state(&h->door) == PT_DOOR_SECURED;
	return PT_OK;
}

static int
on_proof(struct hub *h, struct hub_session *s, const uint8_t *f, size_t len, uint8_t *out,
	 size_t *out_len)
{
	struct pt_link_proof m;
	struct pt_link_decision ld;
	struct pt_challenge ch;
	struct pt_context ctx;
	struct pt_decision d;
	uint8_t (*rev_ctis)[PT_CTI_LEN] = NULL, (*rev_keys)[PT_PK_LEN] = NULL;
	uint64_t t0 = mono_us(), t1, t2, t3;
	char hex[HEX_CTI] = "-", line[sizeof(h->after.line)];
	uint8_t chain_hash[PT_HASH_LEN];
	struct approval *appr = NULL;
	const char *why = NULL;
	bool waived = false;
	int r;

	if (!s->has_challenge)
		return frame_failure(h, s, "proof-before-hello", PT_EMALFORMED, out, out_len);
	if (s->panic_only) {
		/* A challenge given for a PANIC (perhaps during a lockout). */
		s->has_challenge = false;
		if (locked_out(h, hub_mono_ms()))
			return reply_error(PT_ELOCKEDOUT, retry_after_ms(h, hub_mono_ms()), out,
					   out_len);
		return frame_failure(h, s, "proof-on-panic-challenge", PT_EMALFORMED, out, out_len);
	}
	if ((r = pt_link_proof_decode(f, len, &m)) != PT_OK)
		return frame_failure(h, s, "proof", r, out, out_len);

	/* The nonce echo names the challenge answered: only the outstanding
	 * one can be, and only once (a recording's nonce is spent). */
	ch = s->ch;
	if (!pt_ct_equal(m.nonce, s->ch.nonce, PT_NONCE_LEN))
		ch.used = true;
	s->ch.used = true;

	t1 = mono_us();
	/* One transaction from the context's read to the charge (the usage
	 * read is the usage charged); without it, ctx_build reads in its own. */
	if (hub_state_decision_begin(h->st) != PT_OK)
		hlog(HLOG_WARN, "event=decision conn=%llu note=\"usage read apart from its charge\"",
		     (unsigned long long)s->id);
	if ((r = ctx_build(h, s->lock, m.chain, m.chain_len, &ctx, &rev_ctis, &rev_keys)) != PT_OK)
		goto io_error;
	t2 = mono_us();
	/* An owner approved this credential (its last token id from the
	 * unverified decode, and the hash of the chain's bytes: pt_decide
	 * verifies all of it): the panel's "cannot bypass" is waived for it,
	 * this once. The hash only when an approval can be looked up
	 * (pt_decide hashes the chain for everything else, d.chain_hash). */
	if (ask_enabled(h) && !ctx.alarm_can_bypass && panel_askable(h) && h->ids.n > 0) {
		h->ops->sha256(chain_hash, m.chain, m.chain_len);
		appr = approval_for(h, h->ids.link[h->ids.n - 1].g.cti, chain_hash, s->lock);
		if (appr != NULL && appr->answer == PT_APPROVE) {
			ctx.alarm_can_bypass = true;
			waived = true;
		}
	}

	r = pt_decide(h->ops, m.chain, m.chain_len, m.sig, PT_SIG_LEN, &ch, &ctx, &h->decoded, &d);
	t3 = mono_us();
	/* The transaction goes on towards the charge only for a grant: not
	 * for a refusal (the owners asked about one included), one for another
	 * lock, one the panel must bypass first, one that charges nothing.
	 * What runs before the charge only reads (an owner's answer is held
	 * in memory); hub_state_decision_end below ends it in any case. */
	if (r != PT_OK || d.n_charge == 0 || strcmp(s->lock, h->cfg.lock) != 0 ||
	    ((d.cond & PT_COND_ALARM_BYPASS) && alarm_is_armed(h)))
		hub_state_decision_end(h->st);
	free(rev_ctis);
	free(rev_keys);
	rev_ctis = NULL;
	rev_keys = NULL;

	/* The audience was checked against the lock the HELLO named; this hub
	 * opens only its own (and asks its owners about no other). */
	if ((r == PT_OK || r == PT_EALARM) && strcmp(s->lock, h->cfg.lock) != 0) {
		r = PT_EAUDIENCE;
		d.link = -1;
	}
	if (r == PT_OK && waived &&
	    (!pt_ct_equal(h->decoded.link[h->decoded.n - 1].g.cti, appr->session, PT_CTI_LEN) ||
	     !pt_ct_equal(d.chain_hash, appr->chain, PT_HASH_LEN))) {
		r = PT_EALARM;	/* cannot happen: the same bytes, decoded twice */
		d.link = -1;
		waived = false;
	}
	/* Refused only for the panel: the owners may be asked. */
	if (r == PT_EALARM && ask_enabled(h) && h->decoded.n > 0)
		r = ask_owner(h, s->lock, h->decoded.link[h->decoded.n - 1].g.cti, d.chain_hash,
			      h->decoded.link[0].g.cti, h->decoded.link[h->decoded.n - 1].g.purpose,
			      &why, &appr);
	/* An owner's denial holds whatever the panel can do now. */
	if (r == PT_OK && !waived && ask_enabled(h) &&
	    (appr = approval_for(h, h->decoded.link[h->decoded.n - 1].g.cti, d.chain_hash,
				 s->lock)) != NULL &&
	    appr->answer == PT_DENY) {
		r = PT_EDENIED;
		why = "owner-denied";
		d.link = -1;
	}
	if (r == PT_OK && !waived && (d.cond & PT_COND_ALARM_BYPASS) && alarm_is_armed(h)) {
		/* The entry zones first: the bolt moves once the panel says so. */
		int v = bypass_begin(h, s, &d, &h->decoded, m.chain, m.chain_len, out, out_len);
		hlog(HLOG_INFO, "event=decision conn=%llu result=%s reason=ok token=%s lock=%s us=%llu",
		     (unsigned long long)s->id, v == HUB_WAIT ? "waiting-for-panel" : "answered",
		     h->pend.active ? h->pend.token : "-", s->lock,
		     (unsigned long long)(mono_us() - t0));
		memset(&h->decoded, 0, sizeof(h->decoded));
		memset(&h->ids, 0, sizeof(h->ids));
		return v;
	}
	h->charge_us = 0;
	if (r == PT_OK) {
		json_t *ev = decision_data(s, &d, &h->decoded, s->lock);
		if (waived) {
			/* Let in without a bypass, the panel as it is; spent. */
			hexs(appr->id, PT_CTI_LEN, hex);
			json_object_set_new(ev, "approval", json_string(hex));
		}
		/* The door's part once the DECISION is sent (hub_after_answer). */
		r = grant_charge(h, s->id, &d, ev);
		if (r == PT_OK) {
			h->after.due = true;
			h->after.conn = s->id;
			h->after.d = d;
			memcpy(h->after.session, h->decoded.link[h->decoded.n - 1].g.cti,
			       PT_CTI_LEN);
		}
		if (r == PT_OK && waived)
			memset(appr, 0, sizeof(*appr));
		else if (r == PT_OK && ask_enabled(h))	/* one entry: its request is over */
			approval_spend(h, h->decoded.link[h->decoded.n - 1].g.cti, d.chain_hash,
				       s->lock);
		if (r == PT_OK && h->decoded.link[0].g.duress)
			duress_alert(h, s->id, h->decoded.link[0].g.kid,
				     h->decoded.link[h->decoded.n - 1].g.cti);
	}
	hub_state_decision_end(h->st);	/* committed by the charge, or nothing to keep */
	if (r != PT_OK) {
		json_t *ev;
		d.reason = r;
		d.n_charge = 0;
		d.cond = 0;
		d.door_open_max = 0;
		ev = decision_data(s, &d, &h->decoded, s->lock);
		if (why != NULL)
			json_object_set_new(ev, "why", json_string(why));
		if (appr != NULL && (r == PT_EASKED || r == PT_EDENIED)) {
			hexs(appr->id, PT_CTI_LEN, hex);
			json_object_set_new(ev, "request", json_string(hex));
		}
		event(h, "decision.refuse", ev);
		count_failure(h, s, r);
	}
	if (h->decoded.n > 0)
		hexs(h->decoded.link[h->decoded.n - 1].g.cti, PT_CTI_LEN, hex);
	/* us: decode to decision; its parts: the context read from the
	 * state (ctx_us), pt_decide (decide_us: the signature checks), the
	 * charge's commit (charge_us, with its fsync; 0 when none). A grant's
	 * line is written after the answer, with the door's (hub_after_answer). */
	(void)snprintf(line, sizeof(line),
		       "event=decision conn=%llu result=%s reason=%s link=%d token=%s lock=%s"
		       " us=%llu ctx_us=%llu decide_us=%llu charge_us=%llu",
		       (unsigned long long)s->id, r == PT_OK ? "grant" : "refuse", pt_err_code(r),
		       d.link, hex, s->lock, (unsigned long long)(mono_us() - t0),
		       (unsigned long long)(t2 - t1), (unsigned long long)(t3 - t2),
		       (unsigned long long)h->charge_us);
	if (h->after.due)
		memcpy(h->after.line, line, sizeof(line));
	else
		hlog(HLOG_INFO, "%s", line);

	pt_link_decision_init(&ld, &d, &h->decoded,
			      r == PT_OK ? (h->cfg.door.open_timeout_ms + 999u) / 1000u : 0);
	if (pt_link_decision_encode(&ld, out, PT_LINK_FRAME_MAX, out_len) != PT_OK) {
		hlog(HLOG_ERR, "event=decision conn=%llu error=\"cannot encode the decision\"",
		     (unsigned long long)s->id);
		/* Charged, but the device cannot be told: the bolt stays thrown. */
		if (h->after.due) {
			hlog(HLOG_INFO, "%s", h->after.line);
			after_undone(h, PT_ENOSPC, "answer-unencodable");
		}
		*out_len = 0;
		memset(&h->decoded, 0, sizeof(h->decoded));
		memset(&h->ids, 0, sizeof(h->ids));
		return HUB_CLOSE;
	}
	memset(&h->decoded, 0, sizeof(h->decoded));
	memset(&h->ids, 0, sizeof(h->ids));
	return HUB_KEEP;
io_error:
	hub_state_decision_end(h->st);
	free(rev_ctis);
	free(rev_keys);
	memset(&d, 0, sizeof(d));
	d.reason = r;
	d.link = -1;
	hlog(HLOG_ERR, "event=decision conn=%llu result=refuse reason=%s note=\"state unreadable\"",
	     (unsigned long long)s->id, pt_err_code(r));
	pt_link_decision_init(&ld, &d, NULL, 0);
	if (pt_link_decision_encode(&ld, out, PT_LINK_FRAME_MAX, out_len) != PT_OK)
		*out_len = 0;
	memset(&h->ids, 0, sizeof(h->ids));
	return HUB_KEEP;
}

/* ---- PANIC: a call for help (docs/alarm.md, "Panic") ---- */

/*
 * Has this credential raised a panic alert within PANIC_EVERY_MS? If not,
 * remember it now (the oldest slot goes). One alert a minute per
 * credential: a device that repeats its call, or a holder who presses
 * again and again, does not flood the owners or the event chain.
 */
static bool
panic_limited(struct hub *h, const uint8_t cti[PT_CTI_LEN], uint64_t now_ms)
{
	size_t i, old = 0;

	for (i = 0; i < PANIC_SLOTS; i++) {
		if (h->panic[i].at_ms != 0 && memcmp(h->panic[i].cti, cti, PT_CTI_LEN) == 0) {
			if (now_ms - h->panic[i].at_ms < PANIC_EVERY_MS)
				return true;
			h->panic[i].at_ms = now_ms;
			return false;
		}
		if (h->panic[i].at_ms < h->panic[old].at_ms)
			old = i;
	}
	memcpy(h->panic[old].cti, cti, PT_CTI_LEN);
	h->panic[old].at_ms = now_ms;
	return false;
}

/* [alarm] panic_trigger: sound the panel, armed or not (someone at the
 * door is calling for help; unlike an intrusion, a disarmed panel does
 * not mean the caller is safe). */
static void
panic_trigger(struct hub *h, const char *session)
{
	int r;

	if (h->al_ops == NULL || !h->cfg.alarm_panic_trigger)
		return;
	h->al_busy++;
	h->al_triggering = true;
	r = h->al_ops->trigger(h->al, hub_mono_ms());
	h->al_triggering = false;
	h->al_busy--;
	if (r == PT_OK)
		h->al_hub_triggered = true;
	hlog(r == PT_OK ? HLOG_WARN : HLOG_ERR, "event=alarm_command command=trigger why=panic result=%s",
	     pt_err_code(r));
	event(h, "alarm.trigger",
	      json_pack("{s:s,s:s,s:s}", "why", "panic", "session", session, "result", pt_err_code(r)));
}

/*
 * PANIC in place of a PROOF: checked by pt_link_panic_verify (who may
 * call: a holder of a credential the owners issued, not revoked; a fresh
 * challenge), then the alert. The bolt never moves, nothing is charged,
 * and a valid call never counts as a failed attempt; a forged one counts
 * as a forged PROOF would. The answer is a DECISION panic-received.
 */
static void refusal_event(struct hub *h, struct refusals *r, const char *type, json_t *d);

static int
on_panic(struct hub *h, struct hub_session *s, const uint8_t *f, size_t len, uint8_t *out,
	 size_t *out_len)
{
	uint8_t (*rev_ctis)[PT_CTI_LEN] = NULL, (*rev_keys)[PT_PK_LEN] = NULL;
	struct pt_link_decision ld;
	struct pt_link_panic m;
	struct pt_challenge ch;
	struct pt_context ctx;
	struct pt_decision d;
	const struct pt_grant *last;
	char hex[HEX_CTI] = "-", kid[2 * PT_KID_LEN + 1];
	uint64_t now_ms;
	bool limited = false;
	int r, link = -1;

	if (!s->has_challenge)
		return frame_failure(h, s, "panic-before-hello", PT_EMALFORMED, out, out_len);
	if ((r = pt_link_panic_decode(f, len, &m)) != PT_OK)
		return frame_failure(h, s, "panic", r, out, out_len);
	ch = s->ch;
	if (!pt_ct_equal(m.nonce, s->ch.nonce, PT_NONCE_LEN))
		ch.used = true;
	s->ch.used = true;
	if ((r = ctx_build(h, s->lock, m.chain, m.chain_len, &ctx, &rev_ctis, &rev_keys)) == PT_OK)
		r = pt_link_panic_verify(h->ops, &m, &ch, &ctx, &h->decoded, &link);
	free(rev_ctis);
	free(rev_keys);
	memset(&h->ids, 0, sizeof(h->ids));
	memset(&d, 0, sizeof(d));
	d.link = link;
	if (r == PT_OK) {
		last = &h->decoded.link[h->decoded.n - 1].g;
		hexs(last->cti, PT_CTI_LEN, hex);
		hexs(h->decoded.link[0].g.kid, PT_KID_LEN, kid);
		now_ms = hub_mono_ms();
		limited = panic_limited(h, last->cti, now_ms);
		hlog(HLOG_WARN, "event=panic conn=%llu token=%s purpose=%s result=%s",
		     (unsigned long long)s->id, hex,
		     pt_purpose_name(last->purpose) != NULL ? pt_purpose_name(last->purpose) : "?",
		     limited ? "repeated" : "alert");
		if (!limited) {
			json_t *ev = json_pack("{s:s,s:s,s:s,s:I,s:s}", "session", hex, "purpose",
					       pt_purpose_name(last->purpose) != NULL
						       ? pt_purpose_name(last->purpose)
						       : "unknown",
					       "owner", kid, "conn", (json_int_t)s->id, "lock", s->lock);
			clip_data(h, ev);
			event(h, "alert.panic", ev);
			panic_trigger(h, hex);
		}
		d.reason = PT_EPANIC;
		d.link = -1;
	} else {
		d.reason = r;
		if (r != PT_EIO) {
			refusal_event(h, &h->panic_refused, "panic.refuse",
				      json_pack("{s:s,s:I,s:i}", "reason", pt_err_code(r), "conn",
						(json_int_t)s->id, "link", link));
			count_failure(h, s, r);
		}
		hlog(HLOG_INFO, "event=panic conn=%llu result=refuse reason=%s link=%d",
		     (unsigned long long)s->id, pt_err_code(r), link);
	}
	/* The notes are the credential's: what its holder is told, as ever. */
	pt_link_decision_init(&ld, &d, r == PT_OK ? &h->decoded : NULL, 0);
	memset(&h->decoded, 0, sizeof(h->decoded));
	if (pt_link_decision_encode(&ld, out, PT_LINK_FRAME_MAX, out_len) != PT_OK) {
		*out_len = 0;
		return HUB_CLOSE;
	}
	/* In a lockout, one call a connection: the next needs a new one. */
	return locked_out(h, hub_mono_ms()) ? HUB_CLOSE : HUB_KEEP;
}

/* ---- PAIR ---- */

static void owners_take_held(struct hub *h);
static void revocations_take_held(struct hub *h);
static void revocations_pending_retry(struct hub *h);
static bool key_in(const uint8_t (*keys)[PT_PK_LEN], size_t n, const uint8_t pk[PT_PK_LEN]);

/*
 * Is this owner row the door pairing's? Its evidence is its own pairing
 * statement for this home (one stored before v2, AAD porter/pairing/v1,
 * is still good evidence of the pairing it made then, here only); a row
 * without a statement predates them and is the pairing's. The one test
 * for both the root set (roots_compute) and the home statement the hub
 * signs (hub_home_statement).
 */
static bool
row_is_pairing(struct hub *h, const struct hub_owner_row *row, int64_t now)
{
	const uint8_t(*self)[PT_PK_LEN] = &row->pk;
	struct pt_envelope p;
	size_t idx;
	bool yes;

	if (row->statement_len == 0)
		return true;
	yes = pt_envelope_verify(h->ops, row->statement, row->statement_len, PT_ENV_PAIRING, self,
				 1, h->home, now, UINT32_MAX, &p, &idx) == PT_OK ||
	      pt_envelope_verify_pairing_v1(h->ops, row->statement, row->statement_len, self, 1,
					    h->home, now, UINT32_MAX, &p, &idx) == PT_OK;
	memset(&p, 0, sizeof(p));
	return yes;
}

/*
 * The root set, computed (docs/hub.md, "Owners"): the stored rows are
 * evidence, not trust. It starts from the key paired at the door (its row
 * holds the pairing statement, signed by that key) unless revoked; then,
 * until nothing changes, a row whose statement verifies as an owner
 * statement (PT_ENV_OWNER, this home, no age limit) by a key in the set,
 * naming the row's key, joins unless its key is revoked. A key revoked,
 * or endorsed only by keys no longer in the set, is no root: revoking a
 * key ends what it endorsed. At most HUB_ROOTS_MAX keys.
 */
static int
roots_compute(struct hub *h, uint8_t (*out)[PT_PK_LEN], size_t *n_out, size_t *n_rows)
{
	struct hub_owner_row *rows = NULL;
	uint8_t (*ctis)[PT_CTI_LEN] = NULL, (*rev)[PT_PK_LEN] = NULL;
	size_t n = 0, nr = 0, n_ctis = 0, n_rev = 0, i, idx;
	bool *in = NULL, progress;
	struct pt_envelope e;
	int64_t now = hub_now_utc();
	int r = -1;

	*n_out = 0;
	*n_rows = 0;
	if (hub_state_owner_rows(h->st, &rows, &nr) != PT_OK ||
	    hub_state_revoked_load(h->st, &ctis, &n_ctis, &rev, &n_rev) != PT_OK)
		goto out;
	if (nr > 0 && (in = calloc(nr, sizeof(*in))) == NULL)
		goto out;
	for (i = 0; i < nr && n < HUB_ROOTS_MAX; i++) {
		if (key_in((const uint8_t(*)[PT_PK_LEN])rev, n_rev, rows[i].pk))
			continue;
		if (row_is_pairing(h, &rows[i], now)) {
			memcpy(out[n++], rows[i].pk, PT_PK_LEN);
			in[i] = true;
		}
	}
	do {
		progress = false;
		for (i = 0; i < nr && n < HUB_ROOTS_MAX; i++) {
			if (in[i] || key_in((const uint8_t(*)[PT_PK_LEN])rev, n_rev, rows[i].pk))
				continue;
			if (pt_envelope_verify(h->ops, rows[i].statement, rows[i].statement_len,
					       PT_ENV_OWNER, (const uint8_t(*)[PT_PK_LEN])out, n,
					       h->home, now, UINT32_MAX, &e, &idx) != PT_OK ||
			    e.target_len != PT_PK_LEN ||
			    memcmp(e.target, rows[i].pk, PT_PK_LEN) != 0)
				continue;
			memcpy(out[n++], rows[i].pk, PT_PK_LEN);
			in[i] = true;
			progress = true;
		}
	} while (progress);
	*n_out = n;
	*n_rows = nr;
	r = 0;
out:
	memset(&e, 0, sizeof(e));
	free(in);
	free(rows);
	free(ctis);
	free(rev);
	return r;
}

/* Recompute the roots; owner.drop for each key that left the set. */
static int
roots_load(struct hub *h)
{
	uint8_t (*next)[PT_PK_LEN], (*rev)[PT_PK_LEN] = NULL, (*ctis)[PT_CTI_LEN] = NULL;
	uint8_t kid[PT_KID_LEN];
	char kid_hex[2 * PT_KID_LEN + 1];
	size_t n = 0, nr = 0, i, n_rev = 0, n_ctis = 0;
	bool revoked;

	if ((next = calloc(HUB_ROOTS_MAX, PT_PK_LEN)) == NULL)
		return -1;
	if (roots_compute(h, next, &n, &nr) != 0) {
		free(next);
		return -1;
	}
	for (i = 0; i < h->n_roots; i++) {
		if (key_in((const uint8_t(*)[PT_PK_LEN])next, n, h->roots[i]))
			continue;
		if (rev == NULL &&
		    hub_state_revoked_load(h->st, &ctis, &n_ctis, &rev, &n_rev) != PT_OK) {
			rev = NULL;
			n_rev = 0;
		}
		revoked = key_in((const uint8_t(*)[PT_PK_LEN])rev, n_rev, h->roots[i]);
		pt_kid(h->ops, h->roots[i], kid);
		hexs(kid, PT_KID_LEN, kid_hex);
		hlog(HLOG_INFO, "event=owner result=dropped key_id=%s reason=%s owners=%zu", kid_hex,
		     revoked ? "revoked" : "endorser-revoked", n);
		event(h, "owner.drop",
		      json_pack("{s:s,s:s}", "key_id", kid_hex, "reason",
				revoked ? "revoked" : "endorser-revoked"));
	}
	memcpy(h->roots, next, n * PT_PK_LEN);
	if (n < HUB_ROOTS_MAX)
		memset(h->roots[n], 0, (HUB_ROOTS_MAX - n) * PT_PK_LEN);
	h->n_roots = n;
	h->n_rows = nr;
	free(next);
	free(rev);
	free(ctis);
	return 0;
}

/*
 * Is the statement's nonce pt_pairing_nonce(code, its home, our key, the
 * key that signed it)? The MAC, not the code, travels: porterd, which
 * relays uplink pairings, never learns the code, and a nonce is good for
 * one signer key only. false if it cannot be computed.
 */
static bool
pair_nonce_is(const struct hub *h, const struct pt_envelope *e, const uint8_t *owner,
	      const uint8_t code[PAIR_CODE_LEN])
{
	uint8_t want[PT_CTI_LEN];
	bool eq;

	if (pt_pairing_nonce(want, code, e->aud, h->pk, owner) != PT_OK)
		return false;
	eq = pt_ct_equal(e->nonce, want, PT_CTI_LEN);
	pt_wipe(want, sizeof(want));
	return eq;
}

/*
 * The code shown was exposed (a statement carries it in clear as its
 * nonce: an old client, or a server that read it): nobody may pair with it
 * any more. A new `porter-hub pair` draws another.
 */
static void
pair_code_cancel(struct hub *h)
{
	pt_wipe(h->pair_code, PAIR_CODE_LEN);
	h->pair_active = false;
	h->pair_expired = false;
	hlog(HLOG_WARN, "event=pairing_cancel reason=code-exposed");
}

/* Is the nonce the code we show, in clear? Then cancel it: true. */
static bool
pair_code_exposed(struct hub *h, const struct pt_envelope *e)
{
	if (!h->pair_active || !pt_ct_equal(e->nonce, h->pair_code, PAIR_CODE_LEN))
		return false;
	pair_code_cancel(h);
	return true;
}

/*
 * Is this the owner's statement for the code we show? The checks, in
 * order (docs/link-protocol.md, "PAIR"): the lockout (the link only: a
 * pairing relayed over the uplink is neither blocked nor counted); the
 * statement (signed by the key carried, for the home named, dated within
 * PAIR_SKEW; one of the old format, AAD porter/pairing/v1, is
 * unsupported); a nonce that is the code shown in clear cancels the code
 * (untrusted-signer, detail code-exposed); its target is our key; the
 * home is ours if we know one; the nonce: the MAC of the code already
 * used (replayed), else of the code shown (anything else, or no code
 * shown: untrusted-signer), still valid (expired); not paired already.
 * *detail: NULL, or a word for the refusal's event ("old-format",
 * "code-exposed").
 */
static int
pair_check(struct hub *h, const struct pt_link_pair *m, bool link, struct pt_envelope *e,
	   const char **detail)
{
	uint8_t signers[1][PT_PK_LEN];
	size_t idx;
	bool shown, used;
	int r;

	*detail = NULL;
	if (link && locked_out(h, hub_mono_ms()))
		return PT_ELOCKEDOUT;
	if (!pt_pk_is_valid(m->owner))
		return PT_EMALFORMED;
	memcpy(signers[0], m->owner, PT_PK_LEN);
	r = pt_envelope_verify(h->ops, m->statement, m->statement_len, PT_ENV_PAIRING,
			       (const uint8_t(*)[PT_PK_LEN])signers, 1, m->home, hub_now_utc(),
			       PAIR_SKEW, e, &idx);
	if (r == PT_EBADSIG &&
	    pt_envelope_verify_pairing_v1(h->ops, m->statement, m->statement_len,
					  (const uint8_t(*)[PT_PK_LEN])signers, 1, m->home,
					  hub_now_utc(), PAIR_SKEW, e, &idx) == PT_OK) {
		/* Made by an older porter: its nonce is the code itself. */
		*detail = pair_code_exposed(h, e) ? "code-exposed" : "old-format";
		memset(e, 0, sizeof(*e));
		return PT_EUNSUPPORTED;
	}
	if (r != PT_OK)
		return r;
	if (pair_code_exposed(h, e)) {
		*detail = "code-exposed";
		return PT_EUNTRUSTEDCMD;
	}
	if (e->target_len != PT_PK_LEN || !pt_ct_equal(e->target, h->pk, PT_PK_LEN))
		return PT_EAUDIENCE;	/* a statement for another hub */
	if (h->home[0] != '\0' && strcmp(h->home, m->home) != 0)
		return PT_EAUDIENCE;
	used = h->pair_consumed && pair_nonce_is(h, e, m->owner, h->pair_used);
	shown = h->pair_active && pair_nonce_is(h, e, m->owner, h->pair_code);
	if (used)
		return PT_EREPLAY;
	if (!shown)
		return PT_EUNTRUSTEDCMD;
	if (h->pair_expired || hub_mono_ms() >= h->pair_expires_ms)
		return PT_EEXPIRED;
	if (h->n_rows > 0)
		return PT_EUNTRUSTEDCMD;	/* owners are added by owners (docs/hub.md) */
	return PT_OK;
}

/*
 * A pairing that passed pair_check, by either path: the key stored as the
 * first root with its statement as evidence, the home, the code used up,
 * then what was held for the pairing (revocations first: a key revoked
 * meanwhile is never a root; then the owners message). PT_OK or PT_EIO
 * (nothing changed then).
 */
static int
pair_take(struct hub *h, const struct pt_link_pair *m, const char *note)
{
	char home_was[PT_ID_MAX + 1];

	memcpy(home_was, h->home, sizeof(home_was));
	memcpy(h->home, m->home, sizeof(h->home));	/* roots_load verifies for it */
	if (hub_state_owner_add(h->st, m->owner, note, m->statement, m->statement_len,
				hub_now_utc()) != PT_OK ||
	    hub_state_home_set(h->st, m->home) != PT_OK || roots_load(h) != 0) {
		memcpy(h->home, home_was, sizeof(h->home));
		return PT_EIO;
	}
	h->home_gen++;
	h->pair_consumed = true;
	memcpy(h->pair_used, h->pair_code, PAIR_CODE_LEN);
	pt_wipe(h->pair_code, PAIR_CODE_LEN);
	h->pair_active = false;
	return PT_OK;
}

/* After pair_take and the pairing.ok event: what was held for it. */
static void
pair_take_held(struct hub *h)
{
	revocations_take_held(h);
	owners_take_held(h);
}

static int
on_pair(struct hub *h, struct hub_session *s, const uint8_t *f, size_t len, uint8_t *out,
	size_t *out_len)
{
	struct pt_link_pair m;
	struct pt_link_decision ld;
	struct pt_decision d;
	struct pt_envelope e;
	char kid_hex[2 * PT_KID_LEN + 1], pk_text[PT_PK_TEXT_LEN + 1];
	uint8_t kid[PT_KID_LEN];
	const char *detail = NULL;
	int r;

	if ((r = pt_link_pair_decode(f, len, &m)) != PT_OK)
		return frame_failure(h, s, "pair", r, out, out_len);
	pt_kid(h->ops, m.owner, kid);
	hexs(kid, PT_KID_LEN, kid_hex);
	r = pair_check(h, &m, true, &e, &detail);
	if (r == PT_OK && (r = pair_take(h, &m, "paired at the door")) == PT_OK) {
		pt_pubkey_text(m.owner, pk_text);
		hlog(HLOG_INFO, "event=paired conn=%llu home=%s owner=%s",
		     (unsigned long long)s->id, h->home, pk_text);
		event(h, "pairing.ok",
		      json_pack("{s:s,s:s,s:s,s:I}", "home", h->home, "owner_key_id", kid_hex,
				"owner", pk_text, "conn", (json_int_t)s->id));
		pair_take_held(h);
	}
	if (r != PT_OK) {
		hlog(HLOG_INFO,
		     "event=pair conn=%llu result=refuse reason=%s detail=%s owner_key_id=%s",
		     (unsigned long long)s->id, pt_err_code(r), detail != NULL ? detail : "-",
		     kid_hex);
		if (r != PT_ELOCKEDOUT) {
			json_t *ev = json_pack("{s:s,s:s,s:I}", "reason", pt_err_code(r),
					       "owner_key_id", kid_hex, "conn", (json_int_t)s->id);

			if (ev != NULL && detail != NULL)
				json_object_set_new(ev, "detail", json_string(detail));
			event(h, "pairing.refuse", ev);
		}
		count_failure(h, s, r);
	}
	memset(&e, 0, sizeof(e));
	memset(&d, 0, sizeof(d));
	d.reason = r;
	d.link = -1;
	pt_link_decision_init(&ld, &d, NULL, 0);
	if (pt_link_decision_encode(&ld, out, PT_LINK_FRAME_MAX, out_len) != PT_OK)
		*out_len = 0;
	return HUB_KEEP;
}

static bool bucket_take(uint32_t *tokens, uint64_t *ms, uint64_t now);
static void uplink_refusal(struct hub *h, const char *type, json_t *d);

/*
 * May this uplink pairing message have its log line? Any publisher on the
 * leaf can send them at any time, so they go through a bucket like
 * uplink_refusal's: *suppressed says how many lines were not logged
 * since the last one.
 */
static bool
pair_log_take(struct hub *h, unsigned long long *suppressed)
{
	if (!bucket_take(&h->pairlog_tokens, &h->pairlog_ms, hub_mono_ms())) {
		h->pairlog_suppressed++;
		return false;
	}
	*suppressed = (unsigned long long)h->pairlog_suppressed;
	h->pairlog_suppressed = 0;
	return true;
}

void
hub_on_pair_uplink(struct hub *h, const uint8_t *p, size_t len)
{
	struct pt_link_pair m;
	struct pt_envelope e;
	char kid_hex[2 * PT_KID_LEN + 1], pk_text[PT_PK_TEXT_LEN + 1];
	uint8_t kid[PT_KID_LEN];
	const char *detail = NULL;
	unsigned long long sup;
	json_t *d;
	int r;

	/* Only while a code is on show: anything else a server sends costs
	 * at most a rate-limited log line and no event, so it can flood
	 * neither the owners' log nor the hub's. */
	if (h->n_rows > 0 || !h->pair_active || h->pair_expired ||
	    hub_mono_ms() >= h->pair_expires_ms) {
		if (pair_log_take(h, &sup))
			hlog(HLOG_INFO,
			     "event=pair via=uplink result=dropped note=\"%s\" bytes=%zu suppressed=%llu",
			     h->n_rows > 0 ? "already paired" : "no code shown", len, sup);
		return;
	}
	if ((r = pt_link_pair_body_decode(p, len, &m)) != PT_OK) {
		if (pair_log_take(h, &sup))
			hlog(HLOG_INFO,
			     "event=pair via=uplink result=refuse reason=%s bytes=%zu suppressed=%llu",
			     pt_err_code(r), len, sup);
		uplink_refusal(h, "pairing.refuse",
			       json_pack("{s:s,s:s}", "reason", pt_err_code(r), "via", "uplink"));
		return;
	}
	pt_kid(h->ops, m.owner, kid);
	hexs(kid, PT_KID_LEN, kid_hex);
	r = pair_check(h, &m, false, &e, &detail);
	if (r == PT_OK && (r = pair_take(h, &m, "paired through porterd")) == PT_OK) {
		pt_pubkey_text(m.owner, pk_text);
		hlog(HLOG_INFO, "event=paired via=uplink home=%s owner=%s", h->home, pk_text);
		event(h, "pairing.ok",
		      json_pack("{s:s,s:s,s:s,s:s}", "home", h->home, "owner_key_id", kid_hex,
				"owner", pk_text, "via", "uplink"));
		pair_take_held(h);
	} else {
		/* Never counted for the lockout: see docs/hub.md, "Pairing". */
		if (pair_log_take(h, &sup))
			hlog(HLOG_INFO,
			     "event=pair via=uplink result=refuse reason=%s detail=%s owner_key_id=%s"
			     " suppressed=%llu",
			     pt_err_code(r), detail != NULL ? detail : "-", kid_hex, sup);
		d = json_pack("{s:s,s:s,s:s}", "reason", pt_err_code(r), "owner_key_id", kid_hex,
			      "via", "uplink");
		if (d != NULL && detail != NULL)
			json_object_set_new(d, "detail", json_string(detail));
		/* The code's cancellation is recorded whatever the bucket
		 * holds: it happens once per code drawn. */
		if (detail != NULL && strcmp(detail, "code-exposed") == 0)
			event(h, "pairing.refuse", d);
		else
			uplink_refusal(h, "pairing.refuse", d);
	}
	memset(&e, 0, sizeof(e));
}

/* ---- frames in ---- */

int
hub_on_frame(struct hub *h, struct hub_session *s, const uint8_t *f, size_t len, uint8_t *out,
	     size_t *out_len)
{
	struct pt_link_frame fr;
	int r;

	*out_len = 0;
	hub_after_answer(h);	/* the link calls it after each answer: never left over */
	r = pt_link_frame_parse(f, len, &fr);
	if (r == PT_EUNSUPPORTED) {
		/* Another generation of device, not an attack: no count. */
		hlog(HLOG_INFO, "event=link_error conn=%llu reason=unsupported version=%u",
		     (unsigned long long)s->id, len > 2 ? f[2] : 0);
		return reply_error(PT_EUNSUPPORTED, 0, out, out_len);
	}
	if (r != PT_OK)
		return frame_failure(h, s, "frame", r, out, out_len);
	switch (fr.type) {
	case PT_LINK_HELLO:
		return on_hello(h, s, f, len, out, out_len);
	case PT_LINK_PROOF:
		return on_proof(h, s, f, len, out, out_len);
	case PT_LINK_PANIC:
		return on_panic(h, s, f, len, out, out_len);
	case PT_LINK_PAIR:
		return on_pair(h, s, f, len, out, out_len);
	case PT_LINK_ERROR:
		/* The device gives up on this connection. */
		hlog(HLOG_DEBUG, "event=link_peer_error conn=%llu", (unsigned long long)s->id);
		return HUB_CLOSE;
	default:
		/* CHALLENGE or DECISION sent to the hub: not its state. */
		return frame_failure(h, s, "unexpected-type", PT_EMALFORMED, out, out_len);
	}
}

/* ---- the admin socket ---- */

static void
admin_status(struct hub *h, char *out, size_t cap)
{
	json_t *o = json_object();
	char *txt;
	uint64_t now = hub_mono_ms();

	json_object_set_new(o, "hub_id", json_string(h->id));
	json_object_set_new(o, "home", h->home[0] ? json_string(h->home) : json_null());
	json_object_set_new(o, "owners", json_integer((json_int_t)h->n_roots));
	json_object_set_new(o, "failures", json_integer((json_int_t)h->failures));
	json_object_set_new(o, "locked_out_ms",
			    json_integer(locked_out(h, now) ? (json_int_t)(h->locked_until_ms - now) : 0));
	json_object_set_new(o, "events", json_integer((json_int_t)h->last_seq));
	json_object_set_new(o, "pairing", json_boolean(h->pair_active && !h->pair_expired &&
						       now < h->pair_expires_ms));
	sink_status(h, o);
	txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (txt == NULL || strlen(txt) >= cap)
		(void)snprintf(out, cap, "error status too large");
	else
		memcpy(out, txt, strlen(txt) + 1);
	free(txt);
}

static void
admin_line(void *arg, const char *line, char *out, size_t cap)
{
	struct hub *h = arg;
	char code[32], key[PT_PK_TEXT_LEN + 1];

	if (strcmp(line, "status") == 0) {
		admin_status(h, out, cap);
		return;
	}
	if (strcmp(line, "pair") != 0) {
		(void)snprintf(out, cap, "error unknown command: pair, status");
		return;
	}
	if (h->n_rows > 0) {
		(void)snprintf(out, cap,
			       "error already paired with home %s: more owners are added by an owner"
			       " (docs/hub.md)",
			       h->home);
		return;
	}
	/* A fresh code each time; the previous one dies. It goes to the
	 * local operator only (this socket is 0600), never to a log. */
	pt_random(h->pair_code, PAIR_CODE_LEN);
	h->pair_active = true;
	h->pair_expired = false;
	h->pair_expires_ms = hub_mono_ms() + h->cfg.pairing_ttl_ms;
	if (pt_b64_encode(code, sizeof(code), h->pair_code, PAIR_CODE_LEN) != PT_OK) {
		(void)snprintf(out, cap, "error cannot encode the code");
		return;
	}
	pt_pubkey_text(h->pk, key);
	(void)snprintf(out, cap, "ok code=%s expires_in=%u hub_id=%s hub_key=%s home=%s", code,
		       h->cfg.pairing_ttl_ms / 1000u, h->id, key, h->home[0] ? h->home : "-");
	pt_wipe(code, sizeof(code));
	hlog(HLOG_INFO, "event=pairing_open expires_in=%u", h->cfg.pairing_ttl_ms / 1000u);
	event(h, "pairing.open",
	      json_pack("{s:I}", "expires_in", (json_int_t)(h->cfg.pairing_ttl_ms / 1000u)));
}

/* ---- open, close, the loop's hooks ---- */

static int
tz_load(struct hub *h, struct pt_errbuf *err)
{
	char path[PATH_MAX + PT_TZNAME_MAX + 2];
	uint8_t *buf = NULL;
	size_t len;
	int n, r;

	if (h->cfg.tz[0] == '\0')
		return 0;
	n = snprintf(path, sizeof(path), "%s/%s", h->cfg.zoneinfo, h->cfg.tz);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		(void)snprintf(err->msg, sizeof(err->msg), "hub.tz: the path is too long");
		return -1;
	}
	if (pt_file_read(path, PT_TZ_FILE_MAX, &buf, &len, err) != PT_OK)
		return -1;
	if ((h->tz = malloc(sizeof(*h->tz))) == NULL) {
		free(buf);
		(void)snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	r = pt_tz_parse_tzif(h->tz, buf, len);
	free(buf);
	if (r != PT_OK) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot read time zone '%.100s': %s", path,
			       pt_err_text(r));
		return -1;
	}
	return 0;
}

int
hub_open(struct hub **out, const struct hub_config *cfg, struct pt_errbuf *err)
{
	struct hub *h = calloc(1, sizeof(*h));
	char db[PATH_MAX + 16], pk_text[PT_PK_TEXT_LEN + 1], state_home[PT_ID_MAX + 1];
	bool created = false;
	int n;

	*out = NULL;
	if (h == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	h->cfg = *cfg;
	h->ops = pt_crypto_sodium();
	if ((h->evq = calloc(EVQ_MAX, sizeof(*h->evq))) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "out of memory");
		free(h);
		return -1;
	}
	h->sink = (struct hub_drv_sink){sink_bolt, sink_contact, sink_motion, sink_lock_failed,
					sink_status, h};
	if (mkdirs(cfg->state_dir, err) != 0)
		goto fail;
	if ((h->key = hub_key_load(cfg, true, &created, err)) == NULL)
		goto fail;
	pt_secret_public(h->key, h->pk);
	pt_pubkey_text(h->pk, pk_text);
	if (created)
		hlog(HLOG_INFO, "event=key_created path=\"%s\" public=%s", cfg->key, pk_text);
	if (cfg->id[0] != '\0')
		memcpy(h->id, cfg->id, sizeof(h->id));
	else
		hub_id_from_key(h->pk, h->id);

	n = snprintf(db, sizeof(db), "%s/hub.db", cfg->state_dir);
	if (n < 0 || (size_t)n >= sizeof(db)) {
		(void)snprintf(err->msg, sizeof(err->msg), "hub.state_dir: the path is too long");
		goto fail;
	}
	if (hub_state_open(db, &h->st, err) != PT_OK)
		goto fail;
	if (hub_state_home_get(h->st, state_home) != PT_OK) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot read the home from '%.100s'", db);
		goto fail;
	}
	if (state_home[0] != '\0' && cfg->home[0] != '\0' && strcmp(state_home, cfg->home) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "hub.home is '%.64s' but the hub was paired into '%.64s'", cfg->home,
			       state_home);
		goto fail;
	}
	memcpy(h->home, state_home[0] != '\0' ? state_home : cfg->home, sizeof(h->home));
	if (roots_load(h) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot read the owner keys");
		goto fail;
	}
	if (tz_load(h, err) != 0 || lockout_load(h, err) != 0 || chain_load(h, err) != 0)
		goto fail;
	n = hub_state_meta_get(h->st, REV_VERSION_KEY, &h->rev_version);
	if (n != PT_OK && n != PT_ENOTFOUND) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot read the revocation version");
		goto fail;
	}
	/* The hub may have stopped between an owner's row and the retry. */
	revocations_pending_retry(h);
	if (drivers_open(h, err) != 0 || alarm_open(h, err) != 0 || hub_cam_open(&h->cam, cfg, err) != 0)
		goto fail;
	if (hub_lines_open(&h->admin, "admin", cfg->admin, 0600, admin_line, h, err) != 0)
		goto fail;
	h->admin_open = true;
	if (hub_uplink_open(h, cfg, err) != 0)
		goto fail;
	if (hub_link_open(&h->link, h, cfg, err) != 0)
		goto fail;
	event(h, "hub.start",
	      json_pack("{s:s,s:s,s:o,s:I}", "version", HUB_VERSION, "hub_id", h->id, "home",
			h->home[0] ? json_string(h->home) : json_null(), "owners",
			(json_int_t)h->n_roots));
	door_try_start(h);
	hlog(HLOG_INFO, "event=hub_open hub_id=%s home=%s owners=%zu key=%s events=%lld tz=%s",
	     h->id, h->home[0] ? h->home : "-", h->n_roots, pk_text, (long long)h->last_seq,
	     cfg->tz[0] ? cfg->tz : "-");
	*out = h;
	return 0;
fail:
	hub_close(h);
	return -1;
}

void
hub_close(struct hub *h)
{
	size_t i;

	if (h == NULL)
		return;
	if (h->st != NULL && h->link != NULL) {
		/* A grant still waiting is refused first, while the link is
		 * up (the device gets its answer) and the panel is open (the
		 * unbypass goes out), and recorded before hub.stop. */
		if (h->pend.active) {
			h->pend.starting = false;
			pend_finish(h, PT_EALARM, "hub-stop", NULL, NULL);
		}
		if (h->al_ops != NULL)
			h->al_ops->tick(h->al, hub_mono_ms());	/* let the driver send what it can */
		event(h, "hub.stop", json_object());
		events_flush(h);
		checkpoint(h);
	}
	if (h->up_ops != NULL)
		h->up_ops->close(h->up);
	hub_link_close(h->link);
	if (h->admin_open)
		hub_lines_close(&h->admin, h->cfg.admin);
	if (h->pend.active)
		pend_release(h);
	if (h->al_ctl_open)
		hub_lines_close(&h->al_ctl, h->cfg.sim_control);
	if (h->al_ops != NULL)
		h->al_ops->close(h->al);
	hub_cam_close(h->cam);
	for (i = 0; i < h->n_drv; i++)
		h->drv[i].ops->close(h->drv[i].drv);
	if (h->st != NULL)
		hub_state_close(h->st);
	pt_secret_free(h->key);
	free(h->tz);
	pt_wipe(h->pair_code, sizeof(h->pair_code));
	free(h->evq);
	free(h->owners_held);
	free(h->revs_held);
	free(h);
}

void
hub_poll(struct hub *h, struct hub_poll *p)
{
	size_t i;

	hub_link_poll(h->link, p);
	hub_lines_poll(&h->admin, p);
	for (i = 0; i < h->n_drv; i++)
		h->drv[i].ops->poll(h->drv[i].drv, p);
	if (h->al_ops != NULL)
		h->al_ops->poll(h->al, p);
	if (h->al_ctl_open)
		hub_lines_poll(&h->al_ctl, p);
	hub_cam_poll(h->cam, p);
	if (h->up_ops != NULL)
		h->up_ops->poll(h->up, p);
}

uint64_t
hub_deadline(struct hub *h)
{
	uint64_t d = hub_link_deadline(h->link), x;
	size_t i;

	if ((x = hub_lines_deadline(&h->admin)) < d)
		d = x;
	for (i = 0; i < h->n_drv; i++)
		if ((x = h->drv[i].ops->deadline(h->drv[i].drv)) < d)
			d = x;
	if (h->door_up && h->door_deadline < d)
		d = h->door_deadline;
	if (h->locked_until_ms != 0 && h->locked_until_ms < d)
		d = h->locked_until_ms;
	if (h->pair_active && !h->pair_expired && h->pair_expires_ms < d)
		d = h->pair_expires_ms;
	if (h->up_ops != NULL && (x = h->up_ops->deadline(h->up)) < d)
		d = x;
	if (h->al_ops != NULL && (x = h->al_ops->deadline(h->al)) < d)
		d = x;
	if (h->al_ctl_open && (x = hub_lines_deadline(&h->al_ctl)) < d)
		d = x;
	if (h->pend.active && h->pend.deadline_ms < d)
		d = h->pend.deadline_ms;
	if (h->pend.active && (h->pend.ready || h->pend.fail_why != NULL))
		d = 0;	/* the panel answered: finish the grant now */
	/* (only when alarm_reconcile would act: a waiting grant or a held
	 * bypass would make a past deadline spin the loop) */
	if (h->al_reconcile_ms != 0 && !h->pend.active && !h->door_bypass &&
	    h->al_reconcile_ms < d)
		d = h->al_reconcile_ms;
	if ((x = hub_cam_deadline(h->cam)) < d)
		d = x;
	if (h->evq_n > 0 || h->lockout_dirty)
		d = 0;	/* records wait to be appended: do not sleep */
	return d;
}

/*
 * A clip porterd refused for good, as the camera's health message says
 * (its key 7: how many are kept in the camera's spool/refused, the
 * newest, porterd's HTTP status for it, when): one event
 * camera.clip-refused per newest clip and time, which porterd raises
 * the alert clip-refused from (docs/mqtt.md). What was announced last
 * is kept in the hub's state, so neither a restart of the hub nor of the
 * camera announces the same refusal again; the same clip refused again
 * after a requeue has a new time and is announced again. Several clips
 * refused between two messages are one event (the newest, and the count).
 */
static void
clip_refused_check(struct hub *h, uint64_t now)
{
	struct pt_cam_refused f;
	char hex[2 * PT_CAM_CLIP_LEN + 1];
	int64_t id8 = 0, at, kept_id8 = 0, kept_at = 0;
	size_t i;

	if (!hub_cam_clips_refused(h->cam, &f))
		return;
	for (i = 0; i < 8; i++)
		id8 = (int64_t)((uint64_t)id8 << 8 | f.clip[i]);
	at = (int64_t)f.at;
	if (!h->clips_refused_known) {
		if (hub_state_meta_get(h->st, CLIP_REFUSED_CLIP_KEY, &kept_id8) == PT_OK &&
		    hub_state_meta_get(h->st, CLIP_REFUSED_AT_KEY, &kept_at) == PT_OK) {
			h->clips_refused_clip = kept_id8;
			h->clips_refused_at = kept_at;
		}
		h->clips_refused_known = true;
	}
	/* Only a refusal later than the last one announced (by time, then
	 * id): a requeue that makes an older clip the newest again, or a
	 * spool that flips between two, announces nothing. And one a minute
	 * at most: what came meanwhile is in the next one's count (review
	 * 114: whoever writes the spool could otherwise make an owner's
	 * alert a second). */
	if (at < h->clips_refused_at || (at == h->clips_refused_at && id8 <= h->clips_refused_clip))
		return;
	if (now < h->clips_refused_next_ms)
		return;
	h->clips_refused_next_ms = now + CLIP_REFUSED_EVERY_MS;
	hexs(f.clip, PT_CAM_CLIP_LEN, hex);
	hlog(HLOG_WARN, "event=camera_clip_refused clip=%s status=%u refused=%u at=%lld"
			" note=\"porterd refused the clip for good; the camera keeps it\"",
	     hex, f.status, f.count, (long long)at);
	event(h, "camera.clip-refused",
	      json_pack("{s:s,s:I,s:I,s:I}", "clip", hex, "status", (json_int_t)f.status,
			"refused", (json_int_t)f.count, "refused_at", (json_int_t)at));
	h->clips_refused_clip = id8;
	h->clips_refused_at = at;
	if (hub_state_meta_set(h->st, CLIP_REFUSED_CLIP_KEY, id8) != PT_OK ||
	    hub_state_meta_set(h->st, CLIP_REFUSED_AT_KEY, at) != PT_OK)
		hlog(HLOG_WARN, "event=camera_clip_refused note=\"cannot store it: a restart may"
				" announce it again\"");
}

/*
 * The camera's health, each turn: a change is an event at once
 * (camera.healthy, camera.unhealthy), and a camera that fails during a
 * session is an alert (camera-unhealthy) too. Silence counts: the last
 * message ages out at [camera] max_age (hub_cam_deadline wakes us).
 */
static void
cam_check(struct hub *h, uint64_t now)
{
	char st[64], hex[HEX_CTI];
	uint32_t status;
	uint64_t refused;
	int why;
	bool ok, was = h->cam_healthy;
	json_t *d;

	if (!hub_cam_is_watched(h->cam))
		return;
	/* Refusals are counted and logged once per 10 s at most: whoever
	 * can write to the socket cannot flood the log. */
	if ((refused = hub_cam_refused(h->cam, &why)) > 0) {
		h->cam_refused_n += refused;
		h->cam_refused_why = why;
	}
	if (h->cam_refused_n > 0 && now >= h->cam_refused_log_ms) {
		hlog(HLOG_INFO, "event=camera_refused messages=%llu last_reason=%s",
		     (unsigned long long)h->cam_refused_n,
		     h->cam_refused_why == PT_EUNTRUSTED ? "sender" : pt_err_code(h->cam_refused_why));
		h->cam_refused_n = 0;
		h->cam_refused_log_ms = now + CAM_REFUSED_LOG_MS;
	}
	clip_refused_check(h, now);
	ok = hub_cam_is_healthy(h->cam, now, &status);
	if (ok == h->cam_healthy && (ok || status == h->cam_status))
		return;
	if (!ok && !h->cam_healthy && (status == 0 || h->cam_status == 0)) {
		/* unhealthy all along (starting, silent): only the log */
		h->cam_status = status;
		return;
	}
	h->cam_healthy = ok;
	h->cam_status = status;
	if (status == 0)
		(void)snprintf(st, sizeof(st), "silent");
	else
		pt_cam_status_text(status, st, sizeof(st));
	hlog(ok ? HLOG_INFO : HLOG_WARN, "event=camera state=%s status=%s",
	     ok ? "healthy" : "unhealthy", st);
	event(h, ok ? "camera.healthy" : "camera.unhealthy", json_pack("{s:s}", "status", st));
	if (!ok && was && h->in_session) {
		hexs(h->session, PT_CTI_LEN, hex);
		d = json_pack("{s:s,s:s}", "status", st, "session", hex);
		clip_data(h, d);
		hlog(HLOG_WARN, "event=alert type=camera-unhealthy session=%s status=%s", hex, st);
		event(h, "alert.camera-unhealthy", d);
	}
}

/*
 * An entry zone must not stay bypassed with no entry going on: a failed
 * or unanswered unbypass, or a bypass the panel reports with no pending
 * grant and no session's bypass in the door machine (a restart during an
 * entry, a panel that came back). The unbypass goes again after
 * bypass_timeout, then twice that, ... up to 60 s, until the panel reports
 * the zone off; at the second retry
 * alert.alarm-bypass-stuck is raised (once per standing problem).
 */
static void
alarm_reconcile(struct hub *h, uint64_t now_ms)
{
	uint64_t stray, delay;
	char zones[HUB_ZONES_TEXT_MAX];
	size_t off = 0;
	unsigned z;

	if (h->al_ops == NULL || h->pend.active || h->door_bypass || h->al_busy != 0) {
		return;
	}
	stray = h->al_unbypass_want | (h->al_bypassed & h->al_entry);
	if (stray == 0) {
		h->al_reconcile_ms = 0;
		h->al_reconcile_n = 0;
		h->al_stuck_alerted = false;
		return;
	}
	if (h->al_reconcile_ms == 0) {
		/* Found bypassed with nothing going on: the first retry now. */
		h->al_reconcile_ms = now_ms;
	}
	if (now_ms < h->al_reconcile_ms)
		return;
	h->al_reconcile_n++;
	for (z = 1; z <= HUB_ALARM_ZONES; z++)
		if (stray & ((uint64_t)1 << (z - 1)))
			off += (size_t)snprintf(zones + off, off < sizeof(zones) ? sizeof(zones) - off : 0,
						"%s%u", off > 0 ? "," : "", z);
	hlog(HLOG_WARN, "event=alarm_reconcile zones=%s retry=%u note=\"entry zone bypassed with no"
			" entry going on\"",
	     zones, h->al_reconcile_n);
	if (h->al_reconcile_n >= RECONCILE_ALERT_AT && !h->al_stuck_alerted) {
		h->al_stuck_alerted = true;
		hlog(HLOG_WARN, "event=alert type=alarm-bypass-stuck zones=%s", zones);
		event(h, "alert.alarm-bypass-stuck",
		      json_pack("{s:o,s:I}", "zones", zones_json(stray), "retries",
				(json_int_t)h->al_reconcile_n));
	}
	alarm_unbypass(h, stray, "reconcile");
	delay = RECONCILE_FIRST_MS(h);
	for (z = 1; z < h->al_reconcile_n && delay < RECONCILE_MAX_MS; z++)
		delay *= 2;
	if (delay > RECONCILE_MAX_MS)
		delay = RECONCILE_MAX_MS;
	h->al_reconcile_ms = now_ms + delay;
}

void
hub_tick(struct hub *h, uint64_t now_ms)
{
	struct pt_door_input in;
	size_t i;

	hub_after_answer(h);	/* the link calls it after each answer: never left over */
	for (i = 0; i < h->n_drv; i++)
		h->drv[i].ops->tick(h->drv[i].drv, now_ms);
	if (h->al_ops != NULL)
		h->al_ops->tick(h->al, now_ms);
	if (h->al_ctl_open)
		hub_lines_tick(&h->al_ctl, now_ms);
	cam_check(h, hub_mono_ms());
	hub_cam_owners(h->cam, h->key, h->st, h->id, (const uint8_t(*)[PT_PK_LEN])h->roots,
		       h->n_roots, hub_now_utc(), now_ms);	/* when the roots changed, and each minute */
	pend_poll(h, now_ms);
	alarm_reconcile(h, now_ms);
	if (h->door_up && now_ms >= h->door_deadline) {
		memset(&in, 0, sizeof(in));
		in.type = PT_DOOR_IN_TICK;
		door_step(h, &in);
	}
	hub_link_tick(h->link, now_ms);
	hub_lines_tick(&h->admin, now_ms);
	if (h->locked_until_ms != 0 && now_ms >= h->locked_until_ms) {
		h->locked_until_ms = 0;
		hlog(HLOG_INFO, "event=lockout_end failures=%u", h->failures);
		event(h, "lockout.end", json_pack("{s:I}", "failures", (json_int_t)h->failures));
	}
	if (h->pair_active && !h->pair_expired && now_ms >= h->pair_expires_ms) {
		/* Kept for the "expired" answer, unusable for pairing. */
		h->pair_expired = true;
		hlog(HLOG_INFO, "event=pairing_expired");
		event(h, "pairing.expired", json_object());
	}
	if (h->up_ops != NULL)
		h->up_ops->tick(h->up, now_ms);
	events_flush(h);
	hub_state_maintain(h->st);	/* the WAL's checkpoint: here, never in a charge */
}

void
hub_uplink_set(struct hub *h, const struct hub_uplink_ops *ops, void *up)
{
	h->up_ops = ops;
	h->up = up;
}

void
hub_reconfigure(struct hub *h, const struct hub_config *c)
{
	h->cfg.challenge_ttl_ms = c->challenge_ttl_ms;
	h->cfg.lockout_failures = c->lockout_failures;
	h->cfg.lockout_first_ms = c->lockout_first_ms;
	h->cfg.lockout_max_ms = c->lockout_max_ms;
	h->cfg.idle_timeout_ms = c->idle_timeout_ms;
	h->cfg.max_connections = c->max_connections;
	h->cfg.time_trusted = c->time_trusted;
	h->cfg.pairing_ttl_ms = c->pairing_ttl_ms;
	h->cfg.revocations_max_age = c->revocations_max_age;
	h->cfg.checkpoint_every = c->checkpoint_every;
	h->cfg.mqtt_command_skew = c->mqtt_command_skew;
	h->cfg.mqtt_drift_max = c->mqtt_drift_max;
	h->cfg.log_level = c->log_level;
	hub_link_reconfigure(h->link, c);
}

unsigned
hub_tcp_port(const struct hub *h)
{
	return hub_link_tcp_port(h->link);
}

/* ---- the core's side of the uplink (docs/mqtt.md) ---- */

struct hub_state *
hub_store(struct hub *h)
{
	return h->st;
}

const char *
hub_id_get(const struct hub *h)
{
	return h->id;
}

void
hub_event(struct hub *h, const char *type, json_t *data)
{
	event(h, type, data);
}

void
hub_mqtt_state(struct hub *h, struct pt_mqtt_state *s)
{
	int64_t now = hub_now_utc();

	memset(s, 0, sizeof(*s));
	s->online = true;
	s->alarm = PT_MQTT_ALARM_NONE;
	if (h->al_ops != NULL) {
		switch (h->al_state) {
		case HUB_ALARM_DISARMED: s->alarm = PT_MQTT_ALARM_DISARMED; break;
		case HUB_ALARM_ARMED_HOME: s->alarm = PT_MQTT_ALARM_ARMED_HOME; break;
		case HUB_ALARM_ARMED_AWAY: s->alarm = PT_MQTT_ALARM_ARMED_AWAY; break;
		case HUB_ALARM_ARMING: s->alarm = PT_MQTT_ALARM_ARMING; break;
		case HUB_ALARM_PENDING: s->alarm = PT_MQTT_ALARM_PENDING; break;
		case HUB_ALARM_TRIGGERED: s->alarm = PT_MQTT_ALARM_TRIGGERED; break;
		default: s->alarm = PT_MQTT_ALARM_UNKNOWN; break;
		}
	}
	s->camera = !hub_cam_is_watched(h->cam) ? PT_MQTT_CAMERA_NONE
		    : h->cam_healthy		  ? PT_MQTT_CAMERA_HEALTHY
						  : PT_MQTT_CAMERA_UNHEALTHY;
	if (h->door_up) {
		s->door = h->door_open ? PT_MQTT_DOOR_OPEN : PT_MQTT_DOOR_CLOSED;
		s->bolt = pt_door_state(&h->door) == PT_DOOR_JAMMED ? PT_MQTT_BOLT_JAMMED
			  : h->bolt_locked			   ? PT_MQTT_BOLT_LOCKED
								   : PT_MQTT_BOLT_UNLOCKED;
	}
	s->has_at = h->cfg.time_trusted && now >= 0 && now <= PT_TIME_MAX;
	s->at = s->has_at ? now : 0;
	s->has_rev = true;
	s->rev = h->rev_version;
}

unsigned
hub_home_gen(const struct hub *h)
{
	return h->home_gen;
}

int
hub_home_statement(struct hub *h, uint8_t *out, size_t cap, size_t *out_len)
{
	struct hub_owner_row *rows = NULL;
	struct pt_envelope e;
	struct pt_signer sg;
	int64_t now = hub_now_utc();
	size_t n = 0, i;
	int r = PT_ENOTFOUND;

	*out_len = 0;
	if (h->n_rows == 0 || h->home[0] == '\0')
		return PT_ENOTFOUND;
	if (hub_state_owner_rows(h->st, &rows, &n) != PT_OK)
		return PT_EIO;
	memset(&e, 0, sizeof(e));
	/* The owner key whose pairing the hub accepted: the row whose
	 * statement is its own pairing statement for this home (revoked or
	 * not: this says which pairing, not whom the hub trusts). */
	for (i = 0; i < n; i++) {
		if (row_is_pairing(h, &rows[i], now)) {
			memcpy(e.target, rows[i].pk, PT_PK_LEN);
			e.target_len = PT_PK_LEN;
			break;
		}
	}
	free(rows);
	if (e.target_len == 0)
		return PT_ENOTFOUND;
	e.kind = PT_ENV_HUB_HOME;
	e.op = PT_HUB_HOME_PAIRED;
	memcpy(e.aud, h->home, sizeof(e.aud));
	e.iat = now >= 0 && now <= PT_TIME_MAX ? now : 0;
	pt_random(e.nonce, PT_CTI_LEN);
	pt_signer_sodium(&sg, h->key);
	r = pt_envelope_sign(h->ops, &sg, &e, out, cap, out_len);
	memset(&e, 0, sizeof(e));
	return r;
}

int
hub_sign_batch(struct hub *h, struct pt_mqtt_events *b)
{
	struct pt_signer sg;
	const struct pt_mqtt_event *last;
	int r;

	pt_signer_sodium(&sg, h->key);
	if ((r = pt_mqtt_events_sign(&sg, h->id, b)) != PT_OK)
		return r;
	/* The batch's signature is the checkpoint over its last event: kept
	 * with the events, so every event sent is covered by a stored
	 * checkpoint. A resend signs the same bytes again (Ed25519 is
	 * deterministic): the checkpoint is there already. */
	last = &b->ev[b->n - 1];
	r = hub_state_checkpoint_add(h->st, last->seq, last->hash, b->sig);
	if (r == PT_EEXISTS)
		r = PT_OK;
	if (r != PT_OK) {
		memset(b->sig, 0, sizeof(b->sig));
		return r;
	}
	if (last->seq > h->last_cp_seq)
		h->last_cp_seq = last->seq;
	return PT_OK;
}

/*
 * Refusals of what comes down the uplink (commands, revocations) are
 * events; but a hostile broker or porterd replaying or forging messages
 * in bulk must not fill the chain (and the disk, one fsync each) with
 * them. A bucket: REFUSE_BURST at once, then one per REFUSE_EVERY_MS; the
 * next refusal recorded says how many were not (each one is still
 * logged). Takes d; records it or drops it.
 */
/* A token of a bucket of REFUSE_BURST, refilled one per REFUSE_EVERY_MS
 * (*ms 0: full, never used). */
static bool
bucket_take(uint32_t *tokens, uint64_t *ms, uint64_t now)
{
	if (*ms == 0) {
		*tokens = REFUSE_BURST;
		*ms = now;
	}
	if (now - *ms >= REFUSE_EVERY_MS) {
		uint64_t add = (now - *ms) / REFUSE_EVERY_MS;
		*tokens = add >= REFUSE_BURST - *tokens ? REFUSE_BURST : *tokens + (uint32_t)add;
		*ms += add * REFUSE_EVERY_MS;
	}
	if (*tokens == 0)
		return false;
	(*tokens)--;
	return true;
}

static void
uplink_refusal(struct hub *h, const char *type, json_t *d)
{
	if (!bucket_take(&h->refuse_tokens, &h->refuse_ms, hub_mono_ms())) {
		h->refuse_suppressed++;
		json_decref(d);
		return;
	}
	if (h->refuse_suppressed > 0) {
		json_object_set_new(d, "suppressed", json_integer((json_int_t)h->refuse_suppressed));
		h->refuse_suppressed = 0;
	}
	event(h, type, d);
}

static const char *
revoke_kind_name(uint8_t kind)
{
	return kind == PT_REVOKE_TOKEN ? "token" : kind == PT_REVOKE_KEY ? "key" : "unknown";
}

static int owner_key_revoked(struct hub *h, const uint8_t pk[PT_PK_LEN]);

/*
 * A revocation signed by an owner key the hub has revoked (signer S):
 * taken only if it is a key revocation whose target T signed a stored
 * key revocation of S (a counter-revocation). So whichever of two keys
 * revokes the other first, both end revoked; and a revoked key takes no
 * uninvolved owner away. S need not have been an owner here: an owner
 * whose statement had not reached this hub when it revoked a thief's key
 * must still win here (its revocation waits pending). The price (review
 * 112): a key that was never an owner (a courier's) that an owner revoked
 * can revoke that owner back, if porterd relays it (porterd takes
 * revocations from owners only): the hub is left without that owner.
 * PT_OK: take it; PT_EREVOKED: refuse it; PT_EIO.
 */
static int
counter_revocation(struct hub *h, const uint8_t signer[PT_PK_LEN], const struct pt_envelope *e)
{
	struct hub_key_revocation *kr = NULL;
	uint8_t t[1][PT_PK_LEN];
	struct pt_envelope e2;
	size_t n = 0, i, idx;
	int r = PT_EREVOKED;

	if (e->op != PT_REVOKE_KEY || e->target_len != PT_PK_LEN || !pt_pk_is_valid(e->target))
		return PT_EREVOKED;
	memcpy(t[0], e->target, PT_PK_LEN);
	if (hub_state_key_revocations(h->st, &kr, &n) != PT_OK)
		return PT_EIO;
	for (i = 0; i < n && r != PT_OK; i++) {
		if (memcmp(kr[i].target, signer, PT_PK_LEN) != 0)
			continue;
		if (pt_envelope_verify(h->ops, kr[i].envelope, kr[i].envelope_len,
				       PT_ENV_REVOCATION, (const uint8_t(*)[PT_PK_LEN])t, 1, h->home,
				       hub_now_utc(), UINT32_MAX,
				       &e2, &idx) == PT_OK)
			r = PT_OK;	/* T revoked S: S may revoke T back */
	}
	memset(&e2, 0, sizeof(e2));
	free(kr);
	return r;
}

/* One revocation: verified against the roots, or against the revoked
 * keys under the counter-revocation rule. */
static int
revocation_verify(struct hub *h, const struct pt_mqtt_revocation *x, int64_t now,
		  struct pt_envelope *e)
{
	uint8_t (*ctis)[PT_CTI_LEN] = NULL, (*rev)[PT_PK_LEN] = NULL;
	size_t n_ctis = 0, n_rev = 0, idx;
	int r;

	/* No age limit: a revocation only ever takes access away, and a
	 * replayed one only revokes again what an owner revoked. */
	r = pt_envelope_verify(h->ops, x->envelope, x->envelope_len, PT_ENV_REVOCATION,
			       (const uint8_t(*)[PT_PK_LEN])h->roots, h->n_roots, h->home, now,
			       UINT32_MAX, e, &idx);
	if (r != PT_EUNTRUSTEDCMD)
		return r;
	if (hub_state_revoked_load(h->st, &ctis, &n_ctis, &rev, &n_rev) != PT_OK)
		return PT_EIO;
	if (n_rev > 0 &&
	    pt_envelope_verify(h->ops, x->envelope, x->envelope_len, PT_ENV_REVOCATION,
			       (const uint8_t(*)[PT_PK_LEN])rev, n_rev, h->home, now, UINT32_MAX, e,
			       &idx) == PT_OK)
		r = counter_revocation(h, rev[idx], e);
	else
		r = PT_EUNTRUSTEDCMD;
	if (r != PT_OK)
		memset(e, 0, sizeof(*e));
	free(ctis);
	free(rev);
	return r;
}

/* A revocation stored (fresh: new; else its target was revoked already),
 * logged and recorded as revocation.add; late: it was pending. */
static void
revocation_recorded(struct hub *h, int64_t version, const struct pt_envelope *e, bool fresh,
		    bool late)
{
	char target[2 * PT_PK_LEN + 1], kid[2 * PT_KID_LEN + 1];
	json_t *d;

	pt_hex(e->target, e->target_len, target);
	pt_hex(e->kid, PT_KID_LEN, kid);
	hlog(HLOG_INFO, "event=revocation version=%lld result=%s kind=%s target=%s"
			" owner_key_id=%s%s",
	     (long long)version, fresh ? "stored" : "already-revoked", revoke_kind_name(e->op),
	     target, kid, late ? " pending=yes" : "");
	d = json_pack("{s:I,s:s,s:s,s:s,s:b}", "version", (json_int_t)version, "kind",
		      revoke_kind_name(e->op), "target", target, "owner_key_id", kid, "new", fresh);
	if (d != NULL && late)
		json_object_set_new(d, "late", json_true());
	event(h, "revocation.add", d);
}

/* held: a message held from before the pairing, applied at it: its
 * entries are verified and stored, but it neither moves the version nor
 * counts as a refresh (it is not word from porterd now; the next message
 * goes over its entries again, and those stored are already-revoked). */
static void
revocations_apply(struct hub *h, const struct pt_mqtt_revocations *m, bool held)
{
	int64_t now = hub_now_utc(), own = h->rev_version, v;
	size_t i, added = 0, refused = 0;
	bool contiguous = true, keys_changed = false;
	struct pt_envelope e;
	int r;

	if (h->n_rows == 0 || h->home[0] == '\0') {
		/* Not paired: nothing can verify, and moving the version over
		 * entries refused for that would lose them for good. */
		hlog(HLOG_WARN, "event=revocations result=ignored note=\"not paired yet\" newest=%lld",
		     (long long)m->newest);
		return;
	}
	if (m->newest < own) {
		/* porterd's numbering is behind ours (a porterd restored from an
		 * old backup numbers again from there): our version says nothing
		 * about its entries any more. Start over from 0; what is revoked
		 * stays revoked (nothing is ever removed), entries seen again are
		 * verified again. */
		hlog(HLOG_WARN, "event=revocations_rewind ours=%lld newest=%lld", (long long)own,
		     (long long)m->newest);
		uplink_refusal(h, "revocation.rewind",
			       json_pack("{s:I,s:I}", "ours", (json_int_t)own, "newest",
					 (json_int_t)m->newest));
		own = 0;
	}
	v = own;
	for (i = 0; i < m->n; i++) {
		const struct pt_mqtt_revocation *x = &m->r[i];
		if (x->version <= own)
			continue;	/* held already */
		if (x->version != v + 1)
			contiguous = false;	/* a hole before it: applied, the version stays */
		/* A key revoked here revokes nothing more, but a key revocation
		 * of whoever revoked it (counter_revocation). */
		r = revocation_verify(h, x, now, &e);
		if (r == PT_EIO) {
			/* Cannot tell: the version must not move past it. */
			hlog(HLOG_ERR, "event=revocation version=%lld result=failed error=\"%s\"",
			     (long long)x->version, pt_err_text(r));
			break;
		}
		if (r == PT_OK) {
			r = hub_state_revocation_add(h->st, x->version, e.op, e.target, e.target_len,
						     x->envelope, x->envelope_len, now);
			if (r != PT_OK && r != PT_EEXISTS) {
				/* Not stored: the version must not move past it. */
				hlog(HLOG_ERR, "event=revocation version=%lld result=failed error=\"%s\"",
				     (long long)x->version, pt_err_text(r));
				break;
			}
			revocation_recorded(h, x->version, &e, r == PT_OK, false);
			added++;
			if (r == PT_OK && e.op == PT_REVOKE_KEY)
				keys_changed = true;
			/* A key revoked: the roots are computed again (what it
			 * endorsed leaves with it: owner.drop). */
			if (r == PT_OK && e.op == PT_REVOKE_KEY && roots_load(h) != 0) {
				hlog(HLOG_ERR, "event=revocation version=%lld error=\"cannot reload the"
					       " owner keys\"",
				     (long long)x->version);
				break;
			}
		} else if (r == PT_EUNTRUSTEDCMD) {
			/* A signer we do not trust (yet): an owner enrolled at
			 * porterd whose statement may come after it. Kept, and
			 * verified again whenever the owner keys or the revoked
			 * keys change (revocations_pending_retry): skipping it for
			 * good would let that owner's revoked credentials in once
			 * the owner is ours. Full, the oldest kept makes room: it
			 * is lost, said in an event; blocking the version instead
			 * would let anyone who can fill the table stop every
			 * revocation after it (review 112). */
			int64_t evicted = -1;
			int k = hub_state_rev_pending_add(h->st, x->version, x->envelope,
							  x->envelope_len, now, &evicted);

			if (k != PT_OK && k != PT_EEXISTS) {
				hlog(HLOG_ERR, "event=revocation version=%lld result=failed"
					       " error=\"cannot keep it pending: %s\"",
				     (long long)x->version, pt_err_text(k));
				break;	/* not kept: the version must not move past it */
			}
			if (evicted >= 0) {
				hlog(HLOG_WARN, "event=revocation version=%lld result=evicted"
						" note=\"%d pending already: the oldest made room\"",
				     (long long)evicted, HUB_REV_PENDING_MAX);
				uplink_refusal(h, "revocation.pending-evicted",
					       json_pack("{s:I,s:I,s:I}", "version", (json_int_t)evicted,
							 "for", (json_int_t)x->version, "max",
							 (json_int_t)HUB_REV_PENDING_MAX));
			}
			hlog(HLOG_WARN, "event=revocation version=%lld result=pending reason=%s",
			     (long long)x->version, pt_err_code(r));
			uplink_refusal(h, "revocation.refuse",
				       json_pack("{s:I,s:s,s:b}", "version", (json_int_t)x->version,
						 "reason", pt_err_code(r), "pending", 1));
			refused++;
		} else {
			/* Another home, a broken envelope, a revoked signer:
			 * recorded, and on. */
			hlog(HLOG_WARN, "event=revocation version=%lld result=refuse reason=%s",
			     (long long)x->version, pt_err_code(r));
			uplink_refusal(h, "revocation.refuse",
				       json_pack("{s:I,s:s}", "version", (json_int_t)x->version,
						 "reason", pt_err_code(r)));
			refused++;
		}
		if (contiguous)
			v = x->version;
	}
	memset(&e, 0, sizeof(e));
	/* A key revoked: a pending counter-revocation by it may verify now
	 * (counter_revocation), and the roots changed. */
	if (keys_changed)
		revocations_pending_retry(h);
	if (held) {
		hlog(HLOG_INFO, "event=revocations held=yes newest=%lld entries=%zu added=%zu"
				" refused=%zu version=%lld",
		     (long long)m->newest, m->n, added, refused, (long long)h->rev_version);
		return;
	}
	if (v != h->rev_version) {
		if (hub_state_meta_set(h->st, REV_VERSION_KEY, v) != PT_OK) {
			hlog(HLOG_ERR, "event=revocations result=failed error=\"cannot save the version\"");
			return;
		}
		h->rev_version = v;
	}
	/* porterd's newest is one we hold: up to date as of now. */
	if (m->newest <= h->rev_version && hub_state_revocation_refreshed(h->st, now) != PT_OK)
		hlog(HLOG_ERR, "event=revocations error=\"cannot record the refresh\"");
	hlog(HLOG_INFO, "event=revocations newest=%lld entries=%zu added=%zu refused=%zu version=%lld",
	     (long long)m->newest, m->n, added, refused, (long long)h->rev_version);
}

/*
 * The revocations kept pending, verified again against the owner keys as
 * they are now: after the owner keys changed (an owners message added
 * one), after a key revocation was stored (a pending counter-revocation
 * may verify now) and at start (the hub may have stopped between an
 * owner's row and this). Applied ones are stored (revocation.add, late);
 * ones refused for another reason now (the signer revoked, another home)
 * are dropped with revocation.refuse; ones still signed by a stranger
 * stay. A key revocation applied changes the roots: the pass starts over
 * (each pass removes an entry or ends). Runs on the event loop, before
 * any exchange can read the roots.
 */
static void
revocations_pending_retry(struct hub *h)
{
	struct hub_rev_pending *p = NULL;
	struct pt_mqtt_revocation x;
	struct pt_envelope e;
	int64_t now = hub_now_utc();
	size_t n = 0, i;
	bool again = true;
	int r;

	if (h->n_rows == 0 || h->home[0] == '\0')
		return;
	while (again) {
		again = false;
		free(p);
		p = NULL;
		if (hub_state_rev_pending_list(h->st, &p, &n) != PT_OK) {
			hlog(HLOG_ERR, "event=revocation_pending error=\"cannot list them\"");
			break;
		}
		for (i = 0; i < n && !again; i++) {
			x.version = p[i].version;
			x.envelope = p[i].envelope;
			x.envelope_len = p[i].envelope_len;
			r = revocation_verify(h, &x, now, &e);
			if (r == PT_EUNTRUSTEDCMD)
				continue;	/* still a stranger's */
			if (r == PT_EIO)
				goto out;
			if (r == PT_OK) {
				r = hub_state_revocation_add(h->st, x.version, e.op, e.target,
							     e.target_len, x.envelope, x.envelope_len,
							     now);
				if (r != PT_OK && r != PT_EEXISTS) {
					hlog(HLOG_ERR, "event=revocation version=%lld result=failed"
						       " error=\"%s\" pending=yes",
					     (long long)x.version, pt_err_text(r));
					goto out;
				}
				revocation_recorded(h, x.version, &e, r == PT_OK, true);
				/* The roots change with a key: start over with them. */
				if (r == PT_OK && e.op == PT_REVOKE_KEY) {
					if (roots_load(h) != 0) {
						hlog(HLOG_ERR, "event=revocation version=%lld error=\"cannot"
							       " reload the owner keys\"",
						     (long long)x.version);
						goto out;
					}
					again = true;
				}
			} else {
				hlog(HLOG_WARN, "event=revocation version=%lld result=refuse reason=%s"
						" pending=yes",
				     (long long)x.version, pt_err_code(r));
				uplink_refusal(h, "revocation.refuse",
					       json_pack("{s:I,s:s}", "version", (json_int_t)x.version,
							 "reason", pt_err_code(r)));
			}
			if (hub_state_rev_pending_del(h->st, p[i].id) != PT_OK) {
				hlog(HLOG_ERR, "event=revocation_pending error=\"cannot drop one\"");
				goto out;
			}
		}
	}
out:
	memset(&e, 0, sizeof(e));
	free(p);
}

void
hub_on_revocations(struct hub *h, const struct pt_mqtt_revocations *m)
{
	revocations_apply(h, m, false);
}

static int
revocations_msg(struct hub *h, const uint8_t *p, size_t len, bool held)
{
	struct pt_mqtt_revocations rv;	/* borrows from p */
	uint8_t *copy;
	int r;

	if ((r = pt_mqtt_revocations_decode(p, len, &rv)) != PT_OK)
		return r;
	if (h->n_rows == 0 || h->home[0] == '\0') {
		/* Not paired: kept (the last one only) for the pairing at the
		 * door, applied there before the held owner statements. */
		hlog(HLOG_INFO, "event=revocations result=ignored note=\"not paired yet\" newest=%lld"
				" held=yes",
		     (long long)rv.newest);
		if (p != h->revs_held) {
			copy = len > 0 ? malloc(len) : NULL;
			free(h->revs_held);
			h->revs_held = copy;
			h->revs_held_len = copy != NULL ? len : 0;
			if (copy != NULL)
				memcpy(copy, p, len);
		}
		return PT_OK;
	}
	revocations_apply(h, &rv, held);
	return PT_OK;
}

int
hub_on_revocations_msg(struct hub *h, const uint8_t *p, size_t len)
{
	return revocations_msg(h, p, len, false);
}

/* Paired at the door: the revocations message held from before, if any. */
static void
revocations_take_held(struct hub *h)
{
	uint8_t *p = h->revs_held;
	size_t len = h->revs_held_len;

	if (p == NULL)
		return;
	h->revs_held = NULL;
	h->revs_held_len = 0;
	if (revocations_msg(h, p, len, true) != PT_OK)
		hlog(HLOG_WARN, "event=revocations result=refuse note=\"held message\"");
	free(p);
}

/* ---- owner statements (docs/web.md, "Endorsing an owner key") ---- */

static bool
key_in(const uint8_t (*keys)[PT_PK_LEN], size_t n, const uint8_t pk[PT_PK_LEN])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(keys[i], pk, PT_PK_LEN) == 0)
			return true;
	return false;
}

/* Why a statement was not taken: a libporter code, or one of these. */
#define OWNER_FULL "too-many-owners"

/*
 * One statement against the roots as they are now. PT_OK: a new root
 * (*added) or one the hub had already (!*added); else the reason, in
 * *why. A statement by a revoked key, or naming one, adds nothing: a key
 * revocation takes a key away for good, whatever endorsed it.
 */
static int
owner_statement(struct hub *h, const uint8_t *st, size_t st_len,
		const uint8_t (*rev_keys)[PT_PK_LEN], size_t n_rev_keys, bool *added,
		const char **why)
{
	char kid[2 * PT_KID_LEN + 1], by[2 * PT_KID_LEN + 1], label[HUB_LABEL_MAX + 1];
	uint8_t new_kid[PT_KID_LEN];
	struct pt_envelope e;
	int64_t now = hub_now_utc();
	size_t idx;
	int r;

	*added = false;
	*why = NULL;
	/* No age limit, as for revocations: a hub may come back after weeks,
	 * and an owner's endorsement does not wear out (a key revocation
	 * ends it). */
	r = pt_envelope_verify(h->ops, st, st_len, PT_ENV_OWNER,
			       (const uint8_t(*)[PT_PK_LEN])h->roots, h->n_roots, h->home, now,
			       UINT32_MAX, &e, &idx);
	if (r != PT_OK)
		return r;
	pt_hex(e.kid, PT_KID_LEN, by);
	if (key_in(rev_keys, n_rev_keys, h->roots[idx]) || key_in(rev_keys, n_rev_keys, e.target))
		return PT_EREVOKED;
	if (!pt_pk_is_valid(e.target))
		return PT_EMALFORMED;
	pt_kid(h->ops, e.target, new_kid);
	pt_hex(new_kid, PT_KID_LEN, kid);
	if (key_in((const uint8_t(*)[PT_PK_LEN])h->roots, h->n_roots, e.target))
		return PT_OK;	/* trusted already: nothing to do */
	if (h->n_roots >= HUB_ROOTS_MAX) {
		*why = OWNER_FULL;
		return PT_ENOSPC;
	}
	(void)snprintf(label, sizeof(label), "endorsed by %s", by);
	r = hub_state_owner_add(h->st, e.target, label, st, st_len, now);
	/* PT_EEXISTS: a row kept from before (its endorser was revoked, or
	 * the hub stopped between the row and its event): the roots are
	 * computed again below, and the key is new if it is trusted now. */
	if (r == PT_ENOSPC) {
		*why = OWNER_FULL;	/* stored rows, revoked ones included */
		return r;
	}
	if (r == PT_EEXISTS)	/* not trusted now (above): this statement is its evidence */
		r = hub_state_owner_restate(h->st, e.target, label, st, st_len, now);
	if (r != PT_OK)
		return r;
	if (roots_load(h) != 0) {
		hlog(HLOG_ERR, "event=owner key_id=%s error=\"cannot reload the owner keys\"", kid);
		return PT_EIO;
	}
	if (!key_in((const uint8_t(*)[PT_PK_LEN])h->roots, h->n_roots, e.target))
		return PT_EUNTRUSTEDCMD;	/* its kept row holds another signer's statement */
	*added = true;
	hlog(HLOG_INFO, "event=owner result=added key_id=%s by=%s owners=%zu", kid, by, h->n_roots);
	event(h, "owner.add", json_pack("{s:s,s:s}", "key_id", kid, "by", by));
	return PT_OK;
}

/* Paired at the door: the owners message held from before, if any. */
static void
owners_take_held(struct hub *h)
{
	uint8_t *p = h->owners_held;
	size_t len = h->owners_held_len;

	if (p == NULL)
		return;
	h->owners_held = NULL;
	h->owners_held_len = 0;
	hub_on_owners(h, p, len);
	free(p);
}

void
hub_on_owners(struct hub *h, const uint8_t *p, size_t len)
{
	struct pt_mqtt_owners m;	/* borrows from p; about 1 KiB */
	uint8_t (*rev_ctis)[PT_CTI_LEN] = NULL, (*rev_keys)[PT_PK_LEN] = NULL;
	size_t n_rev_ctis = 0, n_rev_keys = 0, i, n_added = 0, n_refused = 0;
	int reason[PT_MQTT_OWNERS_MAX];
	const char *why[PT_MQTT_OWNERS_MAX];
	bool done[PT_MQTT_OWNERS_MAX], progress, added;
	int r;

	if ((r = pt_mqtt_owners_decode(p, len, &m)) != PT_OK) {
		hlog(HLOG_WARN, "event=owners result=refuse reason=%s bytes=%zu", pt_err_code(r), len);
		uplink_refusal(h, "owner.refuse", json_pack("{s:s}", "reason", pt_err_code(r)));
		return;
	}
	if (h->n_rows == 0 || h->home[0] == '\0') {
		/* Not paired: nothing can verify yet. Kept (the last one only)
		 * for the pairing (door or uplink), which comes after porterd
		 * published them for this hub (at its pairing through the API). */
		hlog(HLOG_INFO, "event=owners result=held note=\"not paired yet\" statements=%zu", m.n);
		if (p != h->owners_held) {
			uint8_t *copy = len > 0 ? malloc(len) : NULL;

			free(h->owners_held);
			h->owners_held = copy;
			h->owners_held_len = copy != NULL ? len : 0;
			if (copy != NULL)
				memcpy(copy, p, len);
		}
		goto out;
	}
	if (hub_state_revoked_load(h->st, &rev_ctis, &n_rev_ctis, &rev_keys, &n_rev_keys) != PT_OK) {
		hlog(HLOG_ERR, "event=owners error=\"cannot load the revoked keys\"");
		goto out;
	}
	for (i = 0; i < m.n; i++) {
		done[i] = false;
		reason[i] = PT_OK;
		why[i] = NULL;
	}
	/* In order, again while a pass adds a key: a statement by a key that
	 * an earlier or a later one endorses is taken whatever the order
	 * porterd relays them in. At most PT_MQTT_OWNERS_MAX passes. */
	do {
		progress = false;
		for (i = 0; i < m.n; i++) {
			if (done[i])
				continue;
			r = owner_statement(h, m.s[i].statement, m.s[i].statement_len,
					    (const uint8_t(*)[PT_PK_LEN])rev_keys, n_rev_keys, &added,
					    &why[i]);
			reason[i] = r;
			/* Only an unknown signer may become known in a later pass. */
			if (r != PT_EUNTRUSTEDCMD)
				done[i] = true;
			if (added) {
				progress = true;
				n_added++;
			}
		}
	} while (progress);
	for (i = 0; i < m.n; i++) {
		const char *code = why[i] != NULL ? why[i] : pt_err_code(reason[i]);

		if (reason[i] == PT_OK)
			continue;
		n_refused++;
		hlog(HLOG_WARN, "event=owner statement=%zu result=refuse reason=%s", i, code);
		uplink_refusal(h, "owner.refuse", json_pack("{s:s}", "reason", code));
	}
	hlog(HLOG_INFO, "event=owners statements=%zu added=%zu refused=%zu owners=%zu", m.n, n_added,
	     n_refused, h->n_roots);
	if (n_added > 0)
		revocations_pending_retry(h);
out:
	free(rev_ctis);
	free(rev_keys);
	memset(&m, 0, sizeof(m));
}

/* PT_EREVOKED if the hub holds a key revocation of pk, PT_EIO if it
 * cannot tell, else PT_OK. */
static int
owner_key_revoked(struct hub *h, const uint8_t pk[PT_PK_LEN])
{
	uint8_t (*ctis)[PT_CTI_LEN] = NULL, (*keys)[PT_PK_LEN] = NULL;
	size_t n_ctis = 0, n_keys = 0;
	int r;

	if (hub_state_revoked_load(h->st, &ctis, &n_ctis, &keys, &n_keys) != PT_OK)
		r = PT_EIO;
	else
		r = key_in((const uint8_t(*)[PT_PK_LEN])keys, n_keys, pk) ? PT_EREVOKED : PT_OK;
	free(ctis);
	free(keys);
	return r;
}

/* The command as a door machine input, tried first on a copy (the
 * machine is pure and deterministic), so the outcome is recorded before
 * anything moves. */
static int
command_input(struct hub *h, const struct pt_envelope *e, struct pt_door_input *in)
{
	struct pt_door_out o;
	struct pt_door dry;
	int r;

	memset(in, 0, sizeof(*in));
	in->now_ms = hub_mono_ms();
	if (e->op == PT_CMD_UNLOCK) {
		/* A grant like any other: the owner's own entry. */
		in->type = PT_DOOR_IN_GRANT;
		memcpy(in->grant.session, e->nonce, PT_CTI_LEN);
		in->grant.purpose = PT_PURPOSE_RESIDENT;
		in->grant.door_open_max_s = 0;	/* the configured limit */
		in->grant.alarm_bypassed = false;
	} else {
		in->type = PT_DOOR_IN_LOCK_REQUEST;
	}
	dry = h->door;
	r = pt_door_step(&dry, in, &o);
	return r;
}

/* PT_OK if the command verifies against the keys the hub holds a key
 * revocation of (an owner key taken back: refused as revoked). */
static int
command_by_revoked(struct hub *h, const struct pt_mqtt_command *c, int64_t now,
		   struct pt_envelope *e)
{
	uint8_t (*ctis)[PT_CTI_LEN] = NULL, (*rev)[PT_PK_LEN] = NULL;
	size_t n_ctis = 0, n_rev = 0, idx;
	int r = PT_EUNTRUSTEDCMD;

	if (hub_state_revoked_load(h->st, &ctis, &n_ctis, &rev, &n_rev) == PT_OK && n_rev > 0)
		r = pt_envelope_verify(h->ops, c->envelope, c->envelope_len, PT_ENV_COMMAND,
				       (const uint8_t(*)[PT_PK_LEN])rev, n_rev, h->home, now,
				       UINT32_MAX, e, &idx);
	free(ctis);
	free(rev);
	return r;
}

void
hub_on_command(struct hub *h, const struct pt_mqtt_command *c)
{
	char nonce[HEX_CTI] = "", kid[2 * PT_KID_LEN + 1] = "";
	const char *op = "unknown";
	struct pt_door_input in;
	struct pt_door_out o;
	struct pt_envelope e;
	int64_t now = hub_now_utc();
	bool verified = false;
	size_t idx;
	json_t *d;
	int r;

	memset(&e, 0, sizeof(e));
	memset(&in, 0, sizeof(in));
	if (!h->cfg.time_trusted) {
		r = PT_ETIMEUNKNOWN;	/* freshness cannot be judged */
		goto out;
	}
	/* The signature and the audience first, the freshness here after: a
	 * stale command by an owner is then refused with its nonce, which is
	 * how porterd matches the outcome to the owner's request. */
	r = pt_envelope_verify(h->ops, c->envelope, c->envelope_len, PT_ENV_COMMAND,
			       (const uint8_t(*)[PT_PK_LEN])h->roots, h->n_roots, h->home, now,
			       UINT32_MAX, &e, &idx);
	if (r == PT_EUNTRUSTEDCMD && command_by_revoked(h, c, now, &e) == PT_OK) {
		/* Signed by a revoked owner key: said so, with its nonce. */
		hexs(e.nonce, PT_CTI_LEN, nonce);
		pt_hex(e.kid, PT_KID_LEN, kid);
		op = e.op == PT_CMD_UNLOCK ? "unlock" : "lock";
		verified = true;
		r = PT_EREVOKED;
		goto out;
	}
	if (r != PT_OK)
		goto out;
	verified = true;
	hexs(e.nonce, PT_CTI_LEN, nonce);
	pt_hex(e.kid, PT_KID_LEN, kid);
	op = e.op == PT_CMD_UNLOCK ? "unlock" : "lock";
	if (now >= e.iat ? (uint64_t)now - (uint64_t)e.iat > h->cfg.mqtt_command_skew
			 : (uint64_t)e.iat - (uint64_t)now > h->cfg.mqtt_command_skew) {
		r = PT_ESTALE;	/* |now - iat| > skew, counted as pt_envelope_verify does */
		goto out;
	}
	/* An owner key revoked here (a key revocation) commands nothing: that
	 * is how an owner key, endorsed or not, is taken back. */
	if ((r = owner_key_revoked(h, h->roots[idx])) != PT_OK)
		goto out;
	/* The nonce, durable before anything moves: a copy, now or after a
	 * restart, is a replay (QoS 1 may deliver twice: that is one too). */
	if (hub_state_nonce_prune(h->st, now - NONCE_GRACE, NULL) != PT_OK) {
		r = PT_EIO;
		goto out;
	}
	r = hub_state_nonce_add(h->st, e.nonce, e.iat + (int64_t)h->cfg.mqtt_command_skew, now);
	if (r == PT_EEXISTS)
		r = PT_EREPLAY;
	if (r != PT_OK)
		goto out;
	if (e.lock[0] != '\0' && strcmp(e.lock, h->cfg.lock) != 0) {
		r = PT_EAUDIENCE;	/* for a lock this hub does not drive */
		goto out;
	}
	if (!h->door_up) {
		r = PT_EDOOR;	/* the drivers have not reported yet */
		goto out;
	}
	r = command_input(h, &e, &in);
	if (r == PT_EINVAL)
		r = PT_EIO;	/* cannot happen: a bug, not the owner's fault */
out:
	d = json_object();
	json_object_set_new(d, "op", json_string(op));
	json_object_set_new(d, "nonce", verified ? json_string(nonce) : json_null());
	json_object_set_new(d, "reason", json_string(pt_err_code(r)));
	if (verified) {
		json_object_set_new(d, "owner_key_id", json_string(kid));
		json_object_set_new(d, "lock", json_string(e.lock[0] ? e.lock : h->cfg.lock));
	}
	hlog(r == PT_OK ? HLOG_INFO : HLOG_WARN,
	     "event=command result=%s op=%s reason=%s nonce=%s owner_key_id=%s",
	     r == PT_OK ? "ok" : "refuse", op, pt_err_code(r), verified ? nonce : "-",
	     verified ? kid : "-");
	/* Record first, then move (as for a grant at the door). */
	if (r == PT_OK)
		event(h, "command.ok", d);
	else
		uplink_refusal(h, "command.refuse", d);
	if (r == PT_OK) {
		r = pt_door_step(&h->door, &in, &o);
		door_out(h, &o);	/* session.start, lock.unlocking, then UNLOCK */
		if (r != PT_OK)
			hlog(HLOG_ERR, "event=command nonce=%s error=\"the door machine refused what"
				       " it took on a copy\"", nonce);
	}
	memset(&e, 0, sizeof(e));
}

bool
hub_on_time(struct hub *h, const struct pt_mqtt_time *t)
{
	struct timespec ts;
	int64_t hub_ms, drift;
	uint64_t mag, now_ms = hub_mono_ms();

	/* Drift detection only: a beacon never moves the hub's clock. */
	clock_gettime(CLOCK_REALTIME, &ts);
	hub_ms = (int64_t)ts.tv_sec * 1000 + (int64_t)(ts.tv_nsec / 1000000);
	drift = hub_ms - t->now_ms;	/* > 0: the hub is ahead of porterd */
	mag = drift < 0 ? (uint64_t)(-(drift + 1)) + 1u : (uint64_t)drift;
	if (mag > (uint64_t)h->cfg.mqtt_drift_max * 1000u) {
		hlog(HLOG_WARN, "event=time_drift drift_ms=%lld max_s=%u", (long long)drift,
		     h->cfg.mqtt_drift_max);
		/* Once per drift, again after an hour while it lasts; beacons
		 * that flip between off and on (a hostile broker) get one alert
		 * per 10 minutes at most. */
		if (h->drift_alert_ms == 0 ||
		    now_ms - h->drift_alert_ms >= (h->drift_alerted ? DRIFT_REALERT_MS : DRIFT_GAP_MS)) {
			h->drift_alerted = true;
			h->drift_alert_ms = now_ms;
			event(h, "time-drift",
			      json_pack("{s:I,s:I,s:I}", "drift_ms", (json_int_t)drift, "hub_ms",
					(json_int_t)hub_ms, "server_ms", (json_int_t)t->now_ms));
			event(h, "alert.clock-drift", json_pack("{s:I}", "drift_ms", (json_int_t)drift));
		}
	} else if (h->drift_alerted) {
		h->drift_alerted = false;
		hlog(HLOG_INFO, "event=time_drift_end drift_ms=%lld", (long long)drift);
	}
	/* The revocation heartbeat: porterd's newest version is ours. */
	if (t->rev == h->rev_version) {
		if (hub_state_revocation_refreshed(h->st, hub_now_utc()) != PT_OK)
			hlog(HLOG_ERR, "event=beacon error=\"cannot record the refresh\"");
		return false;
	}
	hlog(HLOG_INFO, "event=beacon rev=%lld ours=%lld note=\"state republished\"",
	     (long long)t->rev, (long long)h->rev_version);
	return true;
}

/* ---- live view (docs/live.md, "The hub") ---- */

/* Is a refusal due to be logged and recorded now (at most one a
 * second)? The others are only counted. */
static bool
refusal_due(const struct refusals *r)
{
	return r->last_ms == 0 || hub_mono_ms() - r->last_ms >= REMOTE_REFUSE_MS;
}

/* Record the refusal event type with data d (taken) if one is due, with
 * the count of those dropped since; else only count it. */
static void
refusal_event(struct hub *h, struct refusals *r, const char *type, json_t *d)
{
	uint64_t now = hub_mono_ms();

	if (!refusal_due(r)) {
		r->dropped++;
		json_decref(d);
		return;
	}
	r->last_ms = now != 0 ? now : 1;
	if (r->dropped > 0) {
		json_object_set_new(d, "dropped", json_integer((json_int_t)r->dropped));
		r->dropped = 0;
	}
	event(h, type, d);
}


/* pt_envelope_verify's refusals as live.refused reasons (docs/hub.md). */
static const char *
live_reason(int r)
{
	switch (r) {
	case PT_ETOOBIG:
		return "too-large";
	case PT_EBADSIG:
		return "bad-signature";
	case PT_EUNTRUSTEDCMD:
		return "untrusted-signer";
	case PT_EAUDIENCE:
		return "wrong-home";
	case PT_ESTALE:
		return "stale";
	case PT_EEXPIRED:
		return "expired";
	default:	/* PT_EMALFORMED, PT_EUNSUPPORTED, PT_EINVAL */
		return "malformed";
	}
}

/* ---- an owner's answer to a request (docs/alarm.md, "Ask the owner") ---- */


void
hub_on_approval(struct hub *h, const uint8_t *p, size_t len)
{
	char id[HEX_CTI] = "", session[HEX_CTI], kid[2 * PT_KID_LEN + 1];
	const char *why = NULL;
	struct approval *a = NULL;
	struct pt_envelope e;
	int64_t now = hub_now_utc();
	size_t idx = 0, i;
	json_t *d;
	int r;

	memset(&e, 0, sizeof(e));
	if (p == NULL || len == 0) {
		why = "malformed";
		goto refuse;
	}
	if (len > PT_ENVELOPE_SIZE_MAX) {
		why = "too-large";
		goto refuse;
	}
	if (h->n_rows == 0 || h->home[0] == '\0') {
		why = "unpaired";
		goto refuse;
	}
	if (!h->cfg.time_trusted) {
		why = "time-unknown";
		goto refuse;
	}
	/* The owner roots, this home; freshness after, so that a stale
	 * answer is refused with its request id. */
	r = pt_envelope_verify(h->ops, p, len, PT_ENV_APPROVAL, (const uint8_t(*)[PT_PK_LEN])h->roots,
			       h->n_roots, h->home, now, UINT32_MAX, &e, &idx);
	if (r != PT_OK) {
		why = live_reason(r);
		goto refuse;
	}
	hexs(e.nonce, PT_CTI_LEN, id);
	if (now >= e.iat ? (uint64_t)now - (uint64_t)e.iat > h->cfg.mqtt_command_skew
			 : (uint64_t)e.iat - (uint64_t)now > h->cfg.mqtt_command_skew) {
		why = "stale";
		goto refuse;
	}
	if ((r = owner_key_revoked(h, h->roots[idx])) != PT_OK) {
		why = r == PT_EREVOKED ? "revoked" : "io-error";
		goto refuse;
	}
	approvals_prune(h, hub_mono_ms());
	for (i = 0; i < APPROVALS_MAX && a == NULL; i++)
		if (h->appr[i].expires_ms != 0 && pt_ct_equal(h->appr[i].id, e.nonce, PT_CTI_LEN))
			a = &h->appr[i];
	if (a == NULL) {
		why = "not-found";	/* expired, spent, never asked, or asked before a restart */
		goto refuse;
	}
	if (e.target_len != PT_CTI_LEN || !pt_ct_equal(a->session, e.target, PT_CTI_LEN)) {
		why = "wrong-session";
		goto refuse;
	}
	if (a->answer != 0) {
		why = "replayed";	/* the first answer stands */
		goto refuse;
	}
	a->answer = e.op;
	hexs(a->session, PT_CTI_LEN, session);
	pt_hex(e.kid, PT_KID_LEN, kid);
	hlog(HLOG_INFO, "event=approval result=%s request=%s token=%s owner_key_id=%s",
	     e.op == PT_APPROVE ? "approve" : "deny", id, session, kid);
	event(h, "approval.answer",
	      json_pack("{s:s,s:s,s:s,s:s}", "request", id, "session", session, "answer",
			e.op == PT_APPROVE ? "approve" : "deny", "owner", kid));
	return;
refuse:
	if (refusal_due(&h->appr_refused))
		hlog(HLOG_WARN, "event=approval result=refused reason=%s request=%s", why,
		     id[0] != '\0' ? id : "-");
	d = json_pack("{s:s}", "reason", why);
	if (id[0] != '\0')
		json_object_set_new(d, "request", json_string(id));
	refusal_event(h, &h->appr_refused, "approval.refuse", d);
}

/* PT_OK if the request verifies against a key the hub holds a key
 * revocation of (an owner key taken back: refused as revoked). */
static int
live_by_revoked(struct hub *h, const uint8_t *p, size_t len, int64_t now, struct pt_envelope *e)
{
	uint8_t (*ctis)[PT_CTI_LEN] = NULL, (*rev)[PT_PK_LEN] = NULL;
	size_t n_ctis = 0, n_rev = 0, idx;
	int r = PT_EUNTRUSTEDCMD;

	if (hub_state_revoked_load(h->st, &ctis, &n_ctis, &rev, &n_rev) == PT_OK && n_rev > 0)
		r = pt_envelope_verify(h->ops, p, len, PT_ENV_LIVE, (const uint8_t(*)[PT_PK_LEN])rev,
				       n_rev, h->home, now, UINT32_MAX, e, &idx);
	free(ctis);
	free(rev);
	return r;
}

void
hub_on_live(struct hub *h, const uint8_t *p, size_t len)
{
	char session[2 * PT_LIVE_ID_LEN + 1] = "", kid[2 * PT_KID_LEN + 1] = "";
	const char *why = NULL;
	struct pt_envelope e;
	int64_t now = hub_now_utc();
	bool verified = false;
	size_t idx = 0;
	json_t *d;
	int r;

	memset(&e, 0, sizeof(e));
	/* What can be judged without reading the request. */
	if (p == NULL || len == 0) {
		why = "malformed";
		goto refuse;
	}
	if (len > PT_ENVELOPE_SIZE_MAX) {
		why = "too-large";
		goto refuse;
	}
	if (h->n_rows == 0 || h->home[0] == '\0') {
		why = "unpaired";	/* no owner key to verify it with */
		goto refuse;
	}
	if (!h->cfg.time_trusted) {
		why = "time-unknown";	/* freshness and expiry cannot be judged */
		goto refuse;
	}
	/* The signature (the owner roots: paired key, endorsements, minus
	 * revocations), the audience and the expiry; the freshness after, so
	 * that a stale request by an owner is refused with its session id. */
	r = pt_envelope_verify(h->ops, p, len, PT_ENV_LIVE, (const uint8_t(*)[PT_PK_LEN])h->roots,
			       h->n_roots, h->home, now, UINT32_MAX, &e, &idx);
	/* Which refusal (revoked or unknown key) matters for the log line and
	 * the event only: the revocations are read when one is due. */
	if (r == PT_EUNTRUSTEDCMD && refusal_due(&h->live_refused) &&
	    live_by_revoked(h, p, len, now, &e) == PT_OK) {
		verified = true;
		why = "revoked";
		goto refuse;
	}
	if (r != PT_OK) {
		why = live_reason(r);
		goto refuse;
	}
	verified = true;
	if (now >= e.iat ? (uint64_t)now - (uint64_t)e.iat > h->cfg.mqtt_command_skew
			 : (uint64_t)e.iat - (uint64_t)now > h->cfg.mqtt_command_skew) {
		why = "stale";
		goto refuse;
	}
	/* pt_envelope_verify checks these too; the hub does not rely on it.
	 * The second bound keeps the order valid (expiry <= time + max) for
	 * a request dated a little ahead of our clock. */
	if (e.exp <= now) {
		why = "expired";
		goto refuse;
	}
	if (e.exp > e.iat + PT_LIVE_SECONDS_MAX || e.exp > now + PT_LIVE_SECONDS_MAX) {
		why = "too-long";
		goto refuse;
	}
	if (e.op != PT_LIVE_VIEW || e.target_len != PT_LIVE_XPK_LEN ||
	    !pt_live_xpk_is_valid(e.target)) {
		why = "malformed";	/* no usable viewer key (all zero, small order) */
		goto refuse;
	}
	if ((r = owner_key_revoked(h, h->roots[idx])) != PT_OK) {
		why = r == PT_EREVOKED ? "revoked" : "io-error";
		goto refuse;
	}
	if (!hub_cam_has_marks(h->cam) || h->cfg.cam_id[0] == '\0') {
		why = "no-camera";
		goto refuse;
	}
	if (strcmp(e.lock, h->cfg.cam_id) != 0) {
		why = "unknown-camera";
		goto refuse;
	}
	/* The session id, durable before the order goes out: a copy, now or
	 * after a restart, is a replay (QoS 1 may deliver twice: one too). */
	if (hub_state_live_prune(h->st, now, NULL) != PT_OK) {
		why = "io-error";
		goto refuse;
	}
	r = hub_state_live_add(h->st, e.nonce, e.exp, now);
	if (r != PT_OK) {
		why = r == PT_EEXISTS ? "replayed" : r == PT_ENOSPC ? "too-many" : "io-error";
		goto refuse;
	}

	pt_hex(e.nonce, PT_LIVE_ID_LEN, session);
	pt_hex(e.kid, PT_KID_LEN, kid);
	hlog(HLOG_INFO, "event=live result=start session=%s camera=%s owner_key_id=%s expires_at=%lld",
	     session, e.lock, kid, (long long)e.exp);
	if (h->n_live == LIVE_Q_MAX)
		events_flush(h);	/* a busy turn: the queued orders go now */
	event(h, "live.start",
	      json_pack("{s:s,s:s,s:s,s:I}", "session", session, "camera", e.lock, "owner_key_id",
			kid, "expires_at", (json_int_t)e.exp));
	if (h->evq_n > 0) {
		struct live_q *q = &h->live[h->n_live++];
		memcpy(q->session, e.nonce, PT_LIVE_ID_LEN);
		memcpy(q->xpk, e.target, PT_LIVE_XPK_LEN);
		memcpy(q->kid, e.kid, PT_KID_LEN);
		q->exp = e.exp;
		q->evq_idx = h->evq_n - 1;
	}
	memset(&e, 0, sizeof(e));
	return;

refuse:
	if (!refusal_due(&h->live_refused)) {
		h->live_refused.dropped++;	/* in the next line and event */
		memset(&e, 0, sizeof(e));
		return;
	}
	if (verified) {
		pt_hex(e.nonce, PT_LIVE_ID_LEN, session);
		pt_hex(e.kid, PT_KID_LEN, kid);
	}
	hlog(HLOG_WARN,
	     "event=live result=refuse reason=%s session=%s owner_key_id=%s bytes=%zu dropped=%llu",
	     why, verified ? session : "-", verified ? kid : "-", len,
	     (unsigned long long)h->live_refused.dropped);
	d = json_object();
	json_object_set_new(d, "reason", json_string(why));
	if (verified) {
		json_object_set_new(d, "session", json_string(session));
		json_object_set_new(d, "owner_key_id", json_string(kid));
	}
	refusal_event(h, &h->live_refused, "live.refused", d);
	memset(&e, 0, sizeof(e));
}

/*
 * The orders of this turn's accepted requests, now that live.start has
 * its seq: signed by the hub key, one datagram each on [camera] marks,
 * never waiting. A failure is logged and recorded (live.order-failed),
 * never retried: the viewer asks again.
 */
static void
live_orders_send(struct hub *h, const struct live_q *q, const int64_t *seqs, size_t n)
{
	uint8_t buf[PT_LIVE_ORDER_MAX];
	char session[2 * PT_LIVE_ID_LEN + 1];
	struct pt_live_order o;
	struct pt_signer sg;
	struct timespec ts;
	const char *error;
	size_t i, len = 0;
	int r, e;

	pt_signer_sodium(&sg, h->key);
	for (i = 0; i < n; i++) {
		pt_hex(q[i].session, PT_LIVE_ID_LEN, session);
		e = 0;
		memset(&o, 0, sizeof(o));
		(void)snprintf(o.camera, sizeof(o.camera), "%s", h->cfg.cam_id);
		memcpy(o.session, q[i].session, PT_LIVE_ID_LEN);
		o.event_seq = seqs[i] > 0 ? (uint64_t)seqs[i] : 0;
		clock_gettime(CLOCK_REALTIME, &ts);
		o.time_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
		o.expiry_ms = (uint64_t)q[i].exp * 1000u;
		memcpy(o.viewer_xpk, q[i].xpk, PT_LIVE_XPK_LEN);
		memcpy(o.owner_kid, q[i].kid, PT_KID_LEN);
		if (o.event_seq == 0) {
			r = PT_EIO;	/* live.start is not in the chain: no order names it */
			error = "no live.start event";
		} else if ((r = pt_live_order_sign(&sg, &o, buf, sizeof(buf), &len)) != PT_OK) {
			error = pt_err_code(r);	/* expired meanwhile (PT_EINVAL), or the key */
		} else if ((r = hub_cam_order(h->cam, buf, len, &e)) != PT_OK) {
			error = r == PT_EIO ? strerror(e) : pt_err_code(r);
		} else {
			error = NULL;
		}
		memset(buf, 0, sizeof(buf));
		memset(&o, 0, sizeof(o));
		if (error == NULL) {
			hlog(HLOG_INFO, "event=live_order session=%s seq=%lld bytes=%zu", session,
			     (long long)seqs[i], len);
			continue;
		}
		h->live_order_failures++;
		hlog(HLOG_WARN, "event=live_order result=failed session=%s error=\"%s\" failures=%llu",
		     session, error, (unsigned long long)h->live_order_failures);
		event(h, "live.order-failed",
		      json_pack("{s:s,s:s,s:I,s:I}", "session", session, "error", error, "seq",
				(json_int_t)(seqs[i] > 0 ? seqs[i] : 0), "failures",
				(json_int_t)h->live_order_failures));
	}
}
