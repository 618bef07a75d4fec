/*
 * Evidence bundles (porter/evidence.h): strict codec and offline check.
 */
#include "porter/evidence.h"

#include <string.h>

#include "porter/camera_stmt.h"
#include "porter/cbor.h"
#include "porter/envelope.h"

enum {
	K_VERSION = 1,
	K_CAMERA_KEY = 2,
	K_MANIFEST = 3,
	K_SEGMENTS = 4,
	K_HUB_ID = 5,
	K_HUB_KEY = 6,
	K_PREV = 7,
	K_EVENTS = 8,
	K_CHECKPOINTS = 9,
	K_HOME = 10,
	K_CAMERA_STMT = 11,
	K_OWNER_STMTS = 12,
	K_PAIRING = 13,
};
#define BIT(k) ((uint32_t)1 << (k))
#define KEYS_CLIP (BIT(K_VERSION) | BIT(K_CAMERA_KEY) | BIT(K_MANIFEST) | BIT(K_SEGMENTS))
#define KEYS_HUB (BIT(K_HUB_ID) | BIT(K_HUB_KEY) | BIT(K_PREV) | BIT(K_EVENTS) | BIT(K_CHECKPOINTS))
#define KEYS_OWNER (BIT(K_HOME) | BIT(K_CAMERA_STMT) | BIT(K_OWNER_STMTS))
#define SEQ_MAX ((uint64_t)INT64_MAX)

static size_t
bounded(const char *s, size_t max)
{
	size_t n = 0;

	while (n <= max && s[n] != '\0')
		n++;
	return n;
}

static bool
stmt_is_valid(const struct pt_evidence_stmt *st, size_t max)
{
	return st->p != NULL && st->len >= 1 && st->len <= max;
}

/* What the decoder refuses, on a struct. */
static bool
evidence_is_valid(const struct pt_evidence *e)
{
	size_t i;

	if (e->manifest == NULL || e->manifest_len == 0 || e->manifest_len > PT_CLIP_MANIFEST_MAX ||
	    e->n_segs > PT_CLIP_SEGMENTS_MAX)
		return false;
	for (i = 0; i < e->n_segs; i++)
		if (e->seg[i].p == NULL || e->seg[i].len == 0 ||
		    e->seg[i].len > PT_CLIP_SEGMENT_SIZE_MAX ||
		    e->seg[i].index >= PT_CLIP_SEGMENTS_MAX ||
		    (i > 0 && e->seg[i].index <= e->seg[i - 1].index))
			return false;
	if (!e->has_owner) {
		if (e->home[0] != '\0' || e->camera_stmt.len != 0 || e->n_owner_stmts != 0 ||
		    e->pairing.len != 0)
			return false;
	} else {
		if (!pt_id_is_valid(e->home, bounded(e->home, PT_ID_MAX)) ||
		    !stmt_is_valid(&e->camera_stmt, PT_CAMERA_STMT_MAX) ||
		    e->n_owner_stmts > PT_EVIDENCE_OWNER_STMTS_MAX)
			return false;
		for (i = 0; i < e->n_owner_stmts; i++)
			if (!stmt_is_valid(&e->owner_stmt[i], PT_ENVELOPE_SIZE_MAX))
				return false;
		if (e->pairing.len != 0 &&
		    (!e->has_hub || !stmt_is_valid(&e->pairing, PT_ENVELOPE_SIZE_MAX)))
			return false;
	}
	if (!e->has_hub)
		return e->n_events == 0 && e->n_cps == 0 && e->pairing.len == 0;
	if (!pt_id_is_valid(e->hub_id, bounded(e->hub_id, PT_ID_MAX)) || e->n_events < 1 ||
	    e->n_events > PT_EVIDENCE_EVENTS_MAX || e->n_cps < 1 ||
	    e->n_cps > PT_EVIDENCE_CHECKPOINTS_MAX)
		return false;
	for (i = 0; i < e->n_events; i++) {
		const struct pt_evidence_event *v = &e->ev[i];
		if (v->seq < 1 || (i > 0 && v->seq - 1 != e->ev[i - 1].seq) || v->type == NULL ||
		    !pt_event_type_is_valid(v->type, v->type_len) ||
		    v->data_len > PT_EVENT_DATA_MAX || (v->data == NULL && v->data_len != 0))
			return false;
	}
	for (i = 0; i < e->n_cps; i++)
		if (e->cp[i].seq < e->ev[0].seq || e->cp[i].seq > e->ev[e->n_events - 1].seq ||
		    (i > 0 && e->cp[i].seq <= e->cp[i - 1].seq))
			return false;
	return true;
}

int
pt_evidence_encode(const struct pt_evidence *e, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;
	size_t i;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (e == NULL || (out == NULL && cap != 0) || !evidence_is_valid(e))
		return PT_EINVAL;
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_map(&w, 4u + (e->has_hub ? 5u : 0u) + (e->has_owner ? 3u : 0u) +
				    (e->pairing.len != 0 ? 1u : 0u));
	pt_cbor_put_uint(&w, K_VERSION);
	pt_cbor_put_uint(&w, PT_EVIDENCE_VERSION);
	pt_cbor_put_uint(&w, K_CAMERA_KEY);
	pt_cbor_put_bytes(&w, e->camera_pk, PT_PK_LEN);
	pt_cbor_put_uint(&w, K_MANIFEST);
	pt_cbor_put_bytes(&w, e->manifest, e->manifest_len);
	pt_cbor_put_uint(&w, K_SEGMENTS);
	pt_cbor_put_array(&w, e->n_segs);
	for (i = 0; i < e->n_segs; i++) {
		pt_cbor_put_array(&w, 2);
		pt_cbor_put_uint(&w, e->seg[i].index);
		pt_cbor_put_bytes(&w, e->seg[i].p, e->seg[i].len);
	}
	if (e->has_hub) {
		pt_cbor_put_uint(&w, K_HUB_ID);
		pt_cbor_put_text(&w, e->hub_id, bounded(e->hub_id, PT_ID_MAX));
		pt_cbor_put_uint(&w, K_HUB_KEY);
		pt_cbor_put_bytes(&w, e->hub_pk, PT_PK_LEN);
		pt_cbor_put_uint(&w, K_PREV);
		pt_cbor_put_bytes(&w, e->prev, PT_HASH_LEN);
		pt_cbor_put_uint(&w, K_EVENTS);
		pt_cbor_put_array(&w, e->n_events);
		for (i = 0; i < e->n_events; i++) {
			const struct pt_evidence_event *v = &e->ev[i];
			pt_cbor_put_array(&w, 5);
			pt_cbor_put_uint(&w, (uint64_t)v->seq);
			pt_cbor_put_int(&w, v->at);
			pt_cbor_put_text(&w, v->type, v->type_len);
			pt_cbor_put_bytes(&w, v->data, v->data_len);
			pt_cbor_put_bytes(&w, v->hash, PT_HASH_LEN);
		}
		pt_cbor_put_uint(&w, K_CHECKPOINTS);
		pt_cbor_put_array(&w, e->n_cps);
		for (i = 0; i < e->n_cps; i++) {
			pt_cbor_put_array(&w, 2);
			pt_cbor_put_uint(&w, (uint64_t)e->cp[i].seq);
			pt_cbor_put_bytes(&w, e->cp[i].sig, PT_SIG_LEN);
		}
	}
	if (e->has_owner) {
		pt_cbor_put_uint(&w, K_HOME);
		pt_cbor_put_text(&w, e->home, bounded(e->home, PT_ID_MAX));
		pt_cbor_put_uint(&w, K_CAMERA_STMT);
		pt_cbor_put_bytes(&w, e->camera_stmt.p, e->camera_stmt.len);
		pt_cbor_put_uint(&w, K_OWNER_STMTS);
		pt_cbor_put_array(&w, e->n_owner_stmts);
		for (i = 0; i < e->n_owner_stmts; i++)
			pt_cbor_put_bytes(&w, e->owner_stmt[i].p, e->owner_stmt[i].len);
		if (e->pairing.len != 0) {
			pt_cbor_put_uint(&w, K_PAIRING);
			pt_cbor_put_bytes(&w, e->pairing.p, e->pairing.len);
		}
	}
	if (pt_cbor_wr_status(&w) != PT_OK)
		return PT_ENOSPC;
	*out_len = w.len;
	return PT_OK;
}

static int
read_fixed(struct pt_cbor_rd *rd, uint8_t *out, size_t n)
{
	const uint8_t *s;
	size_t sl;

	if (pt_cbor_bytes(rd, &s, &sl) != PT_OK || sl != n)
		return PT_EMALFORMED;
	memcpy(out, s, n);
	return PT_OK;
}

static int
read_segments(struct pt_cbor_rd *rd, struct pt_evidence *e)
{
	uint64_t n, i, k, idx;

	if (pt_cbor_array(rd, &n) != PT_OK || n > PT_CLIP_SEGMENTS_MAX)
		return PT_EMALFORMED;
	for (i = 0; i < n; i++) {
		struct pt_evidence_seg *g = &e->seg[i];
		if (pt_cbor_array(rd, &k) != PT_OK || k != 2 || pt_cbor_uint(rd, &idx) != PT_OK ||
		    idx >= PT_CLIP_SEGMENTS_MAX || pt_cbor_bytes(rd, &g->p, &g->len) != PT_OK ||
		    g->len == 0 || g->len > PT_CLIP_SEGMENT_SIZE_MAX)
			return PT_EMALFORMED;
		g->index = (uint32_t)idx;
	}
	e->n_segs = (size_t)n;
	return PT_OK;
}

static int
read_events(struct pt_cbor_rd *rd, struct pt_evidence *e)
{
	const uint8_t *s;
	uint64_t n, i, k, seq;

	if (pt_cbor_array(rd, &n) != PT_OK || n < 1 || n > PT_EVIDENCE_EVENTS_MAX)
		return PT_EMALFORMED;
	for (i = 0; i < n; i++) {
		struct pt_evidence_event *v = &e->ev[i];
		if (pt_cbor_array(rd, &k) != PT_OK || k != 5 || pt_cbor_uint(rd, &seq) != PT_OK ||
		    seq < 1 || seq > SEQ_MAX || pt_cbor_int(rd, &v->at) != PT_OK ||
		    pt_cbor_text(rd, &s, &v->type_len) != PT_OK ||
		    pt_cbor_bytes(rd, &v->data, &v->data_len) != PT_OK ||
		    read_fixed(rd, v->hash, PT_HASH_LEN) != PT_OK)
			return PT_EMALFORMED;
		v->seq = (int64_t)seq;
		v->type = (const char *)s;
	}
	e->n_events = (size_t)n;
	return PT_OK;
}

static int
read_checkpoints(struct pt_cbor_rd *rd, struct pt_evidence *e)
{
	uint64_t n, i, k, seq;

	if (pt_cbor_array(rd, &n) != PT_OK || n < 1 || n > PT_EVIDENCE_CHECKPOINTS_MAX)
		return PT_EMALFORMED;
	for (i = 0; i < n; i++) {
		if (pt_cbor_array(rd, &k) != PT_OK || k != 2 || pt_cbor_uint(rd, &seq) != PT_OK ||
		    seq < 1 || seq > SEQ_MAX || read_fixed(rd, e->cp[i].sig, PT_SIG_LEN) != PT_OK)
			return PT_EMALFORMED;
		e->cp[i].seq = (int64_t)seq;
	}
	e->n_cps = (size_t)n;
	return PT_OK;
}

static int
read_stmt(struct pt_cbor_rd *rd, struct pt_evidence_stmt *st, size_t max)
{
	if (pt_cbor_bytes(rd, &st->p, &st->len) != PT_OK || st->len < 1 || st->len > max)
		return PT_EMALFORMED;
	return PT_OK;
}

static int
read_owner_stmts(struct pt_cbor_rd *rd, struct pt_evidence *e)
{
	uint64_t n, i;

	if (pt_cbor_array(rd, &n) != PT_OK || n > PT_EVIDENCE_OWNER_STMTS_MAX)
		return PT_EMALFORMED;
	for (i = 0; i < n; i++)
		if (read_stmt(rd, &e->owner_stmt[i], PT_ENVELOPE_SIZE_MAX) != PT_OK)
			return PT_EMALFORMED;
	e->n_owner_stmts = (size_t)n;
	return PT_OK;
}

int
pt_evidence_decode(const uint8_t *p, size_t len, struct pt_evidence *e)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	const uint8_t *s;
	size_t sl;
	uint64_t n, i, v;
	uint32_t seen = 0;
	int64_t key;
	int r = PT_EMALFORMED;

	if (e == NULL)
		return PT_EINVAL;
	memset(e, 0, sizeof(*e));
	if (p == NULL)
		goto fail;
	if (len > PT_EVIDENCE_MAX) {
		r = PT_ETOOBIG;
		goto fail;
	}
	pt_cbor_rd_init(&rd, p, len);
	if (pt_cbor_map(&rd, &n) != PT_OK || n < 4 || n > 13)
		goto fail;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		/* Keys strictly ascending (so each once); which sets may
		 * appear together is checked after the map. */
		if (pt_cbor_key(&rd, &keys, &key) != PT_OK || key < K_VERSION || key > K_PAIRING)
			goto fail;
		seen |= BIT(key);
		switch (key) {
		case K_VERSION:
			if (pt_cbor_uint(&rd, &v) != PT_OK || v != PT_EVIDENCE_VERSION)
				goto fail;
			break;
		case K_CAMERA_KEY:
			if (read_fixed(&rd, e->camera_pk, PT_PK_LEN) != PT_OK)
				goto fail;
			break;
		case K_MANIFEST:
			if (pt_cbor_bytes(&rd, &e->manifest, &e->manifest_len) != PT_OK ||
			    e->manifest_len == 0 || e->manifest_len > PT_CLIP_MANIFEST_MAX)
				goto fail;
			break;
		case K_SEGMENTS:
			if (read_segments(&rd, e) != PT_OK)
				goto fail;
			break;
		case K_HUB_ID:
			if (pt_cbor_text(&rd, &s, &sl) != PT_OK || sl > PT_ID_MAX ||
			    !pt_id_is_valid((const char *)s, sl))
				goto fail;
			memcpy(e->hub_id, s, sl);
			e->has_hub = true;
			break;
		case K_HUB_KEY:
			if (read_fixed(&rd, e->hub_pk, PT_PK_LEN) != PT_OK)
				goto fail;
			break;
		case K_PREV:
			if (read_fixed(&rd, e->prev, PT_HASH_LEN) != PT_OK)
				goto fail;
			break;
		case K_EVENTS:
			if (read_events(&rd, e) != PT_OK)
				goto fail;
			break;
		case K_CHECKPOINTS:
			if (read_checkpoints(&rd, e) != PT_OK)
				goto fail;
			break;
		case K_HOME:
			if (pt_cbor_text(&rd, &s, &sl) != PT_OK || sl > PT_ID_MAX ||
			    !pt_id_is_valid((const char *)s, sl))
				goto fail;
			memcpy(e->home, s, sl);
			e->has_owner = true;
			break;
		case K_CAMERA_STMT:
			if (read_stmt(&rd, &e->camera_stmt, PT_CAMERA_STMT_MAX) != PT_OK)
				goto fail;
			break;
		case K_OWNER_STMTS:
			if (read_owner_stmts(&rd, e) != PT_OK)
				goto fail;
			break;
		case K_PAIRING:
			if (read_stmt(&rd, &e->pairing, PT_ENVELOPE_SIZE_MAX) != PT_OK)
				goto fail;
			break;
		default:
			goto fail;
		}
	}
	/* The clip's part; the hub's and the owner's, each whole or not at
	 * all; the pairing statement only with both. */
	if (seen != KEYS_CLIP && seen != (KEYS_CLIP | KEYS_HUB) &&
	    seen != (KEYS_CLIP | KEYS_OWNER) && seen != (KEYS_CLIP | KEYS_HUB | KEYS_OWNER) &&
	    seen != (KEYS_CLIP | KEYS_HUB | KEYS_OWNER | BIT(K_PAIRING)))
		goto fail;
	if (!pt_cbor_rd_done(&rd) || !evidence_is_valid(e))
		goto fail;
	return PT_OK;
fail:
	memset(e, 0, sizeof(*e));
	return r;
}

static int
failed(struct pt_evidence_result *res, enum pt_evidence_what what, int64_t at, int r)
{
	res->what = what;
	res->at = at;
	return r;
}

/*
 * The event at seq names this clip: type want, its data (the hub's JSON)
 * holding "clip":"<32 hex>". Inside a JSON string a quote is escaped, so
 * the bytes "clip":" appear unescaped only as a member of the object.
 */
static bool
event_names_clip(const struct pt_evidence *e, int64_t first, uint64_t seq, const char *want,
		 const uint8_t clip[PT_CLIP_ID_LEN])
{
	static const char hx[] = "0123456789abcdef";
	char pat[8 + 2 * PT_CLIP_ID_LEN + 1];
	const struct pt_evidence_event *v;
	size_t i, n;

	v = &e->ev[(size_t)(seq - (uint64_t)first)];
	if (v->type_len != strlen(want) || memcmp(v->type, want, v->type_len) != 0)
		return false;
	memcpy(pat, "\"clip\":\"", 8);
	for (i = 0; i < PT_CLIP_ID_LEN; i++) {
		pat[8 + 2 * i] = hx[clip[i] >> 4];
		pat[8 + 2 * i + 1] = hx[clip[i] & 15];
	}
	pat[sizeof(pat) - 1] = '"';
	n = sizeof(pat);
	for (i = 0; v->data != NULL && i + n <= v->data_len; i++)
		if (memcmp(v->data + i, pat, n) == 0)
			return true;
	return false;
}

int
pt_evidence_verify(const struct pt_crypto_ops *ops, const struct pt_evidence *e,
		   const uint8_t *pinned, struct pt_clip_manifest *m, struct pt_evidence_result *res)
{
	return pt_evidence_verify_pinned(ops, e, pinned, NULL, m, res);
}

int
pt_evidence_verify_pinned(const struct pt_crypto_ops *ops, const struct pt_evidence *e,
			  const uint8_t *pinned, const uint8_t *hub_pinned,
			  struct pt_clip_manifest *m, struct pt_evidence_result *res)
{
	struct pt_evidence_trust t;

	memset(&t, 0, sizeof(t));
	t.camera_pk = pinned;
	t.hub_pk = hub_pinned;
	return pt_evidence_verify_trust(ops, e, &t, m, res);
}

static bool
key_in(const uint8_t (*keys)[PT_PK_LEN], size_t n, const uint8_t pk[PT_PK_LEN])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(keys[i], pk, PT_PK_LEN) == 0)
			return true;
	return false;
}

size_t
pt_evidence_owner_walk(const struct pt_crypto_ops *ops, const char *home,
		       const uint8_t (*anchors)[PT_PK_LEN], size_t n_anchors,
		       const struct pt_evidence_stmt *stmts, size_t n_stmts, int64_t now,
		       struct pt_evidence_walk *w)
{
	struct pt_envelope env;
	bool used[PT_EVIDENCE_OWNER_STMTS_MAX], progress;
	size_t i, idx;

	memset(w, 0, sizeof(*w));
	if (ops == NULL || home == NULL || (anchors == NULL && n_anchors != 0))
		return 0;
	if (n_anchors > PT_EVIDENCE_ANCHORS_MAX)
		n_anchors = PT_EVIDENCE_ANCHORS_MAX;
	if (stmts == NULL || n_stmts > PT_EVIDENCE_OWNER_STMTS_MAX)
		n_stmts = 0;
	for (i = 0; i < n_anchors; i++)
		if (!key_in((const uint8_t(*)[PT_PK_LEN])w->keys, w->n, anchors[i])) {
			memcpy(w->keys[w->n], anchors[i], PT_PK_LEN);
			w->via[w->n] = -1;
			w->by[w->n++] = -1;
		}
	memset(used, 0, sizeof(used));
	/* Down only: a key named by a statement a key of the set signed. The
	 * set only grows, so a statement that fails now may pass later; one
	 * used never again: at most n_stmts + 1 rounds. */
	do {
		progress = false;
		for (i = 0; i < n_stmts && w->n < PT_EVIDENCE_TRUST_MAX; i++) {
			if (used[i] || w->n == 0)
				continue;
			if (pt_envelope_verify(ops, stmts[i].p, stmts[i].len, PT_ENV_OWNER,
					       (const uint8_t(*)[PT_PK_LEN])w->keys, w->n, home, now,
					       UINT32_MAX, &env, &idx) != PT_OK)
				continue;
			used[i] = true;
			if (env.op == PT_OWNER_ADD && env.target_len == PT_PK_LEN &&
			    !key_in((const uint8_t(*)[PT_PK_LEN])w->keys, w->n, env.target)) {
				memcpy(w->keys[w->n], env.target, PT_PK_LEN);
				w->via[w->n] = (int)i;
				w->by[w->n++] = (int)idx;
				progress = true;
			}
		}
	} while (progress);
	memset(&env, 0, sizeof(env));
	return w->n;
}

/* The owner's part of the check, up to what needs the manifest. */
static int
owner_check(const struct pt_crypto_ops *ops, const struct pt_evidence *e,
	    const struct pt_evidence_trust *t, struct pt_evidence_walk *w,
	    struct pt_camera_stmt *st, struct pt_evidence_result *res)
{
	size_t idx;

	if (!e->has_owner)
		return failed(res, PT_EV_NO_OWNER_PART, 0, PT_EBADSIG);
	if (t->home != NULL && strcmp(t->home, e->home) != 0)
		return failed(res, PT_EV_HOME, 0, PT_EBADSIG);
	res->trusted = pt_evidence_owner_walk(ops, e->home, t->owners, t->n_owners, e->owner_stmt,
					      e->n_owner_stmts, t->now, w);
	if (pt_camera_stmt_verify(ops, e->camera_stmt.p, e->camera_stmt.len,
				  (const uint8_t(*)[PT_PK_LEN])w->keys, w->n, st, &idx) != PT_OK)
		return failed(res, PT_EV_CAMERA_STMT, 0, PT_EBADSIG);
	/* The camera id is the manifest's: compared once that is open. */
	if (!pt_camera_stmt_matches(st, e->home, st->camera, e->camera_pk, NULL))
		return failed(res, PT_EV_CAMERA_STMT_NAMES, 0, PT_EBADSIG);
	memcpy(res->camera_by, st->kid, PT_KID_LEN);
	return PT_OK;
}

static int
pairing_check(const struct pt_crypto_ops *ops, const struct pt_evidence *e,
	      const struct pt_evidence_trust *t, const struct pt_evidence_walk *w,
	      struct pt_evidence_result *res)
{
	struct pt_envelope env;
	size_t idx;
	int r = PT_OK;

	if (e->pairing.len == 0)
		return failed(res, PT_EV_HUB_STMT_MISSING, 0, PT_EBADSIG);
	if (pt_envelope_verify(ops, e->pairing.p, e->pairing.len, PT_ENV_PAIRING,
			       (const uint8_t(*)[PT_PK_LEN])w->keys, w->n, e->home, t->now,
			       UINT32_MAX, &env, &idx) != PT_OK)
		return failed(res, PT_EV_HUB_STMT, 0, PT_EBADSIG);
	if (env.target_len != PT_PK_LEN || memcmp(env.target, e->hub_pk, PT_PK_LEN) != 0)
		r = failed(res, PT_EV_HUB_STMT_NAMES, 0, PT_EBADSIG);
	else
		memcpy(res->hub_by, env.kid, PT_KID_LEN);
	memset(&env, 0, sizeof(env));
	return r;
}

int
pt_evidence_verify_trust(const struct pt_crypto_ops *ops, const struct pt_evidence *e,
			 const struct pt_evidence_trust *t, struct pt_clip_manifest *m,
			 struct pt_evidence_result *res)
{
	uint8_t h[PT_HASH_LEN], prev[PT_HASH_LEN];
	struct pt_evidence_walk w;
	struct pt_camera_stmt st;
	bool owners;
	size_t i, j;
	int64_t first, last;
	int r;

	if (res == NULL)
		return PT_EINVAL;
	memset(res, 0, sizeof(*res));
	if (ops == NULL || ops->sha256 == NULL || e == NULL || m == NULL || t == NULL ||
	    t->n_owners > PT_EVIDENCE_ANCHORS_MAX || (t->owners == NULL && t->n_owners != 0))
		return PT_EINVAL;
	owners = t->n_owners > 0;
	memset(&st, 0, sizeof(st));
	if (t->camera_pk != NULL && memcmp(t->camera_pk, e->camera_pk, PT_PK_LEN) != 0)
		return failed(res, PT_EV_CAMERA_KEY, 0, PT_EBADSIG);
	if (owners && (r = owner_check(ops, e, t, &w, &st, res)) != PT_OK)
		return r;
	if (pt_clip_manifest_open(ops, e->camera_pk, e->manifest, e->manifest_len, m) != PT_OK)
		return failed(res, PT_EV_MANIFEST, 0, PT_EBADSIG);
	if (owners && strcmp(st.camera, m->camera) != 0)
		return failed(res, PT_EV_CAMERA_STMT_NAMES, 0, PT_EBADSIG);
	res->camera_vouched = owners;
	/* Every listed segment, once, with the manifest's size and hash. */
	for (i = 0, j = 0; i < m->n_segments; i++) {
		if (j >= e->n_segs || e->seg[j].index != i)
			return failed(res, PT_EV_SEGMENT_MISSING, (int64_t)i, PT_EMALFORMED);
		ops->sha256(h, e->seg[j].p, e->seg[j].len);
		if (e->seg[j].len != m->seg[i].size || memcmp(h, m->seg[i].sha256, PT_HASH_LEN) != 0)
			return failed(res, PT_EV_SEGMENT, (int64_t)i, PT_EBADSIG);
		res->segments++;
		j++;
	}
	if (j < e->n_segs)
		return failed(res, PT_EV_SEGMENT_EXTRA, (int64_t)e->seg[j].index, PT_EMALFORMED);
	if (!e->has_hub)
		return PT_OK;
	if (t->hub_pk != NULL && memcmp(t->hub_pk, e->hub_pk, PT_PK_LEN) != 0)
		return failed(res, PT_EV_HUB_KEY, 0, PT_EBADSIG);
	if (owners && (r = pairing_check(ops, e, t, &w, res)) != PT_OK)
		return r;
	/* The hub's chain: each hash recomputed from the one before. */
	memcpy(prev, e->prev, PT_HASH_LEN);
	for (i = 0; i < e->n_events; i++) {
		const struct pt_evidence_event *v = &e->ev[i];
		if (pt_event_hash(ops, prev, v->seq, v->at, v->type, v->type_len, v->data,
				  v->data_len, h) != PT_OK ||
		    memcmp(h, v->hash, PT_HASH_LEN) != 0)
			return failed(res, PT_EV_EVENT, v->seq, PT_EBADSIG);
		memcpy(prev, h, PT_HASH_LEN);
		res->events++;
	}
	first = e->ev[0].seq;
	last = e->ev[e->n_events - 1].seq;
	for (i = 0; i < e->n_cps; i++) {
		const struct pt_evidence_event *v = &e->ev[(size_t)(e->cp[i].seq - first)];
		if (pt_checkpoint_verify(ops, e->hub_pk, e->hub_id, v->seq, v->hash, e->cp[i].sig) !=
		    PT_OK)
			return failed(res, PT_EV_CHECKPOINT, e->cp[i].seq, PT_EBADSIG);
		res->checkpoints++;
	}
	/* The last checkpoint signs the last event, and with it the chain. */
	if (e->cp[e->n_cps - 1].seq != last)
		return failed(res, PT_EV_UNSIGNED, last, PT_EBADSIG);
	if (m->start_seq < (uint64_t)first || m->start_seq > (uint64_t)last)
		return failed(res, PT_EV_CLIP_EVENTS, (int64_t)m->start_seq, PT_EMALFORMED);
	if (m->end_seq != 0 && (m->end_seq < (uint64_t)first || m->end_seq > (uint64_t)last))
		return failed(res, PT_EV_CLIP_EVENTS, (int64_t)m->end_seq, PT_EMALFORMED);
	/* And those events are this clip's session start and end. */
	if (!event_names_clip(e, first, m->start_seq, "session.start", m->clip))
		return failed(res, PT_EV_CLIP_SESSION, (int64_t)m->start_seq, PT_EBADSIG);
	if (m->end_seq != 0 && !event_names_clip(e, first, m->end_seq, "session.end", m->clip))
		return failed(res, PT_EV_CLIP_SESSION, (int64_t)m->end_seq, PT_EBADSIG);
	res->hub_pinned = t->hub_pk != NULL;
	res->hub_vouched = owners;
	return PT_OK;
}

const struct pt_evidence_text *
pt_evidence_what_text(enum pt_evidence_what what)
{
	static const struct pt_evidence_text t[] = {
		[PT_EV_OK] = {"the bundle", false, "every signature, hash and chain link checks out"},
		[PT_EV_CAMERA_KEY] = {"the camera key", false, "not the pinned one"},
		[PT_EV_MANIFEST] = {"the manifest", false,
				    "its signature does not verify with the camera key"},
		[PT_EV_SEGMENT] = {"segment", true, "its size or SHA-256 is not the manifest's"},
		[PT_EV_SEGMENT_MISSING] = {"segment", true,
					   "listed in the manifest, missing from the bundle"},
		[PT_EV_SEGMENT_EXTRA] = {"segment", true, "in the bundle, not in the manifest"},
		[PT_EV_EVENT] = {"event", true, "its hash does not recompute from the chain"},
		[PT_EV_CHECKPOINT] = {"checkpoint at event", true,
				      "the hub's signature does not verify"},
		[PT_EV_UNSIGNED] = {"event", true, "the last event is not signed by a checkpoint"},
		[PT_EV_CLIP_EVENTS] = {"event", true,
				       "the manifest names it, the bundle does not hold it"},
		[PT_EV_HUB_KEY] = {"the hub key", false, "not the pinned one"},
		[PT_EV_CLIP_SESSION] = {"event", true,
					"the manifest names it, but it is not this clip's"
					" session.start (or session.end)"},
		[PT_EV_NO_OWNER_PART] = {"the owner's statements", false,
					 "not in the bundle (exported without an owner key):"
					 " verify it with --camera-key"},
		[PT_EV_HOME] = {"the home", false, "the bundle is of another home"},
		[PT_EV_CAMERA_STMT] = {"the camera statement", false,
				       "it does not verify with the owner key or a key it"
				       " endorsed (through the bundle's owner statements)"},
		[PT_EV_CAMERA_STMT_NAMES] = {"the camera statement", false,
					     "it names another home, camera or camera key than"
					     " the bundle's"},
		[PT_EV_HUB_STMT_MISSING] = {"the hub's pairing statement", false,
					    "not in the bundle, so the hub's key is not"
					    " vouched for"},
		[PT_EV_HUB_STMT] = {"the hub's pairing statement", false,
				    "it does not verify with the owner key or a key it endorsed"
				    " (through the bundle's owner statements)"},
		[PT_EV_HUB_STMT_NAMES] = {"the hub's pairing statement", false,
					  "it names another hub key than the bundle's"},
	};

	if ((unsigned)what >= sizeof(t) / sizeof(t[0]))
		return &t[PT_EV_OK];
	return &t[what];
}
