/*
 * Evidence bundles anchored to an owner key (porter/evidence.h, the
 * owner's part, keys 10..13; docs/clips.md "Evidence bundles"): the codec
 * of the new part, pt_evidence_owner_walk (down only, each statement once,
 * the path back to an anchor) and pt_evidence_verify_trust: the camera
 * key named by a camera statement and the hub key by a pairing statement,
 * each verifying with the owner key or a key it endorsed, for the
 * bundle's home; every way to fail named. Real keys, real signatures.
 * (The clip's and hub's parts are tested in test_clip.c.)
 *
 * PORTER_EVIDENCE_CORPUS=DIR writes seeds for fuzz/fuzz_clip.c there
 * (selector byte 3: an evidence bundle): evidence_owner (the three parts),
 * evidence_owner_nohub (clip and owner's part).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porter/camera_stmt.h"
#include "porter/clip.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/event.h"
#include "porter/evidence.h"
#include "t.h"

static const struct pt_crypto_ops *ops;

#define NOW 1795600000LL
#define HOME "h-1"
#define HUB_ID "hub-1"
#define CAM_ID "cam-front"
#define FIRST 40
#define N_EV 6	/* events 40..45; the manifest names 41 and 44 */

struct key {
	struct pt_secret *sk;
	struct pt_signer sg;
	uint8_t pk[PT_PK_LEN];
	uint8_t kid[PT_KID_LEN];
};

static void
key_new(struct key *k, uint8_t seed_byte)
{
	uint8_t seed[PT_SEED_LEN];

	memset(seed, seed_byte, sizeof(seed));
	k->sk = pt_secret_new();
	if (k->sk == NULL || pt_secret_from_seed(k->sk, seed) != PT_OK)
		abort();
	pt_secret_public(k->sk, k->pk);
	pt_kid(ops, k->pk, k->kid);
	pt_signer_sodium(&k->sg, k->sk);
}

struct fx {
	struct key cam, hub, a, b, x;
	uint8_t clip[PT_CLIP_ID_LEN];
	uint8_t seg[100];
	uint8_t manifest[4096];
	size_t manifest_len;
	char data[N_EV][80];
	uint8_t cam_stmt[PT_CAMERA_STMT_MAX];
	uint8_t pairing[PT_ENVELOPE_SIZE_MAX];
	uint8_t endorse[4][PT_ENVELOPE_SIZE_MAX];	/* 0: A -> B */
	struct pt_evidence *e;
	struct pt_clip_manifest *m;
	uint8_t buf[65536], buf2[65536];
};

/* An owner statement (PT_ENV_OWNER) by k naming target, of home. */
static size_t
endorse(const struct key *k, const char *home, const uint8_t target[PT_PK_LEN], uint8_t *out)
{
	struct pt_envelope e;
	size_t len;

	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_OWNER;
	(void)snprintf(e.aud, sizeof(e.aud), "%s", home);
	e.iat = 1000000000;	/* 2001: statements are believed at any age */
	pt_random(e.nonce, sizeof(e.nonce));
	e.op = PT_OWNER_ADD;
	memcpy(e.target, target, PT_PK_LEN);
	e.target_len = PT_PK_LEN;
	if (pt_envelope_sign(ops, &k->sg, &e, out, PT_ENVELOPE_SIZE_MAX, &len) != PT_OK)
		abort();
	return len;
}

/* A pairing statement (PT_ENV_PAIRING, v2) by k for hub key target, of home. */
static size_t
pair_stmt(const struct key *k, const char *home, const uint8_t target[PT_PK_LEN], uint8_t *out)
{
	struct pt_envelope e;
	size_t len;

	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_PAIRING;
	(void)snprintf(e.aud, sizeof(e.aud), "%s", home);
	e.iat = NOW - 86400;
	pt_random(e.nonce, sizeof(e.nonce));
	memcpy(e.target, target, PT_PK_LEN);
	e.target_len = PT_PK_LEN;
	if (pt_envelope_sign(ops, &k->sg, &e, out, PT_ENVELOPE_SIZE_MAX, &len) != PT_OK)
		abort();
	return len;
}

static size_t
cam_stmt(const struct key *k, const char *home, const char *camera,
	 const uint8_t camera_pk[PT_PK_LEN], uint8_t *out)
{
	struct pt_camera_stmt st;
	size_t len;

	memset(&st, 0, sizeof(st));
	(void)snprintf(st.home, sizeof(st.home), "%s", home);
	(void)snprintf(st.camera, sizeof(st.camera), "%s", camera);
	memcpy(st.camera_pk, camera_pk, PT_PK_LEN);
	st.iat = 1000000000;
	if (pt_camera_stmt_sign(ops, &k->sg, &st, out, PT_CAMERA_STMT_MAX, &len) != PT_OK)
		abort();
	return len;
}

/*
 * The fixture: camera cam-front enrolled by B, B endorsed by A, the hub
 * paired by A; a bundle of one segment, events 40..45, two checkpoints.
 */
static void
fx_new(struct fx *f)
{
	uint8_t prev[PT_HASH_LEN], msg[PT_CHECKPOINT_MSG_MAX];
	char hex[2 * PT_CLIP_ID_LEN + 1];
	size_t i, ml;
	struct pt_evidence *e;
	int64_t cps[2] = {FIRST + 2, FIRST + N_EV - 1};

	memset(f, 0, sizeof(*f));
	key_new(&f->cam, 0x11);
	key_new(&f->hub, 0x22);
	key_new(&f->a, 0x33);
	key_new(&f->b, 0x44);
	key_new(&f->x, 0x55);
	if ((f->e = e = calloc(1, sizeof(*e))) == NULL || (f->m = calloc(1, sizeof(*f->m))) == NULL)
		abort();
	for (i = 0; i < PT_CLIP_ID_LEN; i++)
		f->clip[i] = (uint8_t)(0xc0 + i);
	for (i = 0; i < sizeof(f->seg); i++)
		f->seg[i] = (uint8_t)i;
	/* The manifest (in f->m for now). */
	(void)snprintf(f->m->camera, sizeof(f->m->camera), "%s", CAM_ID);
	memcpy(f->m->clip, f->clip, PT_CLIP_ID_LEN);
	f->m->start_seq = FIRST + 1;
	f->m->end_seq = FIRST + 4;
	f->m->start_ms = 1795600000000ull;
	f->m->end_ms = f->m->start_ms + 2000;
	(void)snprintf(f->m->container, sizeof(f->m->container), "%s", "mp4");
	f->m->n_segments = 1;
	f->m->seg[0].duration_ms = 2000;
	f->m->seg[0].size = sizeof(f->seg);
	ops->sha256(f->m->seg[0].sha256, f->seg, sizeof(f->seg));
	f->m->n_keys = 1;
	memcpy(f->m->key[0].kid, f->a.kid, PT_KID_LEN);
	memset(f->m->key[0].sealed, 0x5a, PT_CLIP_SEALED_KEY_LEN);
	if (pt_clip_manifest_sign(&f->cam.sg, f->m, f->manifest, sizeof(f->manifest),
				  &f->manifest_len) != PT_OK)
		abort();
	memset(f->m, 0, sizeof(*f->m));
	memcpy(e->camera_pk, f->cam.pk, PT_PK_LEN);
	e->manifest = f->manifest;
	e->manifest_len = f->manifest_len;
	e->n_segs = 1;
	e->seg[0].p = f->seg;
	e->seg[0].len = sizeof(f->seg);
	/* The hub's part. */
	e->has_hub = true;
	(void)snprintf(e->hub_id, sizeof(e->hub_id), "%s", HUB_ID);
	memcpy(e->hub_pk, f->hub.pk, PT_PK_LEN);
	memset(e->prev, 0x77, PT_HASH_LEN);
	memcpy(prev, e->prev, PT_HASH_LEN);
	pt_clip_id_text(f->clip, hex);
	e->n_events = N_EV;
	for (i = 0; i < N_EV; i++) {
		struct pt_evidence_event *v = &e->ev[i];
		(void)snprintf(f->data[i], sizeof(f->data[i]), "{\"clip\":\"%s\",\"n\":%zu}", hex, i);
		v->seq = FIRST + (int64_t)i;
		v->at = NOW + (int64_t)i;
		v->type = i == 1 ? "session.start" : i == 4 ? "session.end" : "door.open";
		v->type_len = strlen(v->type);
		v->data = (const uint8_t *)f->data[i];
		v->data_len = strlen(f->data[i]);
		if (pt_event_hash(ops, prev, v->seq, v->at, v->type, v->type_len, v->data,
				  v->data_len, v->hash) != PT_OK)
			abort();
		memcpy(prev, v->hash, PT_HASH_LEN);
	}
	e->n_cps = 2;
	for (i = 0; i < 2; i++) {
		if (pt_checkpoint_message(HUB_ID, cps[i], e->ev[cps[i] - FIRST].hash, msg, sizeof(msg),
					  &ml) != PT_OK ||
		    f->hub.sg.sign(f->hub.sg.arg, e->cp[i].sig, msg, ml) != PT_OK)
			abort();
		e->cp[i].seq = cps[i];
	}
	/* The owner's part. */
	e->has_owner = true;
	(void)snprintf(e->home, sizeof(e->home), "%s", HOME);
	e->camera_stmt.p = f->cam_stmt;
	e->camera_stmt.len = cam_stmt(&f->b, HOME, CAM_ID, f->cam.pk, f->cam_stmt);
	e->n_owner_stmts = 1;
	e->owner_stmt[0].p = f->endorse[0];
	e->owner_stmt[0].len = endorse(&f->a, HOME, f->b.pk, f->endorse[0]);
	e->pairing.p = f->pairing;
	e->pairing.len = pair_stmt(&f->a, HOME, f->hub.pk, f->pairing);
}

static void
fx_free(struct fx *f)
{
	pt_secret_free(f->cam.sk);
	pt_secret_free(f->hub.sk);
	pt_secret_free(f->a.sk);
	pt_secret_free(f->b.sk);
	pt_secret_free(f->x.sk);
	free(f->e);
	free(f->m);
}

/* Verify f->e anchored at owners (n of them), pins as given. */
static int
verify(struct fx *f, const struct key *const *owners, size_t n, const char *home,
       struct pt_evidence_result *res)
{
	uint8_t pks[4][PT_PK_LEN];
	struct pt_evidence_trust t;
	size_t i;

	for (i = 0; i < n; i++)
		memcpy(pks[i], owners[i]->pk, PT_PK_LEN);
	memset(&t, 0, sizeof(t));
	t.owners = (const uint8_t(*)[PT_PK_LEN])pks;
	t.n_owners = n;
	t.home = home;
	t.now = NOW;
	return pt_evidence_verify_trust(ops, f->e, &t, f->m, res);
}

/* verify(...) fails with what. */
static bool
fails(struct fx *f, const struct key *owner, enum pt_evidence_what what)
{
	struct pt_evidence_result res;
	const struct key *o[1] = {owner};
	int r = verify(f, o, 1, NULL, &res);

	if (r == PT_OK || res.what != what)
		printf("# got %d, what %d (want %d)\n", r, (int)res.what, (int)what);
	return r != PT_OK && res.what == what;
}

static void
test_codec(void)
{
	struct fx f;
	struct pt_evidence *d = calloc(1, sizeof(*d));
	size_t len, len2, i;
	int bad = 0;

	if (d == NULL)
		abort();
	fx_new(&f);
	T_EQ(pt_evidence_encode(f.e, f.buf, sizeof(f.buf), &len), PT_OK, "a bundle with all three parts encodes");
	T_EQ(f.buf[0], 0xad, "a map of 13 pairs");
	T_EQ(pt_evidence_decode(f.buf, len, d), PT_OK, "and decodes");
	T_OK(d->has_owner && strcmp(d->home, HOME) == 0 && d->n_owner_stmts == 1 &&
		     d->camera_stmt.len == f.e->camera_stmt.len &&
		     memcmp(d->camera_stmt.p, f.cam_stmt, d->camera_stmt.len) == 0 &&
		     d->pairing.len == f.e->pairing.len &&
		     memcmp(d->owner_stmt[0].p, f.endorse[0], d->owner_stmt[0].len) == 0,
	     "the owner's part read back: home, camera statement, endorsement, pairing");
	T_OK(d->camera_stmt.p >= f.buf && d->camera_stmt.p < f.buf + len,
	     "borrowed from the buffer");
	T_EQ(pt_evidence_encode(d, f.buf2, sizeof(f.buf2), &len2), PT_OK, "re-encodes");
	T_OK(len2 == len && memcmp(f.buf, f.buf2, len) == 0, "to the same bytes");
	for (i = 0; i < len; i++)
		if (pt_evidence_decode(f.buf, i, d) == PT_OK)
			bad++;
	T_EQ(bad, 0, "every truncation refused");
	T_OK(!d->has_owner && d->camera_stmt.p == NULL, "a refusal zeroes the bundle");

	/* Which parts go together. */
	f.e->pairing.len = 0;
	f.e->pairing.p = NULL;
	T_EQ(pt_evidence_encode(f.e, f.buf, sizeof(f.buf), &len), PT_OK,
	     "the owner's part without a pairing statement encodes (12 pairs)");
	T_OK(f.buf[0] == 0xac && pt_evidence_decode(f.buf, len, d) == PT_OK && d->pairing.len == 0,
	     "and decodes");
	f.e->has_hub = false;
	f.e->n_events = f.e->n_cps = 0;
	T_EQ(pt_evidence_encode(f.e, f.buf, sizeof(f.buf), &len), PT_OK,
	     "the clip's and the owner's parts alone encode (7 pairs)");
	T_OK(f.buf[0] == 0xa7 && pt_evidence_decode(f.buf, len, d) == PT_OK && d->has_owner &&
		     !d->has_hub,
	     "and decode");
	f.e->pairing.p = f.pairing;
	f.e->pairing.len = 10;
	T_EQ(pt_evidence_encode(f.e, f.buf2, sizeof(f.buf2), &len2), PT_EINVAL,
	     "a pairing statement without the hub's part: not encoded");
	f.e->pairing.len = 0;
	/* By hand: the 7-pair bundle with key 13 appended (0x0d, bstr of 1). */
	memcpy(f.buf2, f.buf, len);
	f.buf2[0] = 0xa8;
	f.buf2[len] = 0x0d;
	f.buf2[len + 1] = 0x41;
	f.buf2[len + 2] = 0x00;
	T_EQ(pt_evidence_decode(f.buf2, len + 3, d), PT_EMALFORMED,
	     "key 13 without the hub's part: refused");
	f.buf2[0] = 0xa8;
	f.buf2[len] = 0x0e;
	T_EQ(pt_evidence_decode(f.buf2, len + 3, d), PT_EMALFORMED, "key 14: refused");
	/* The owner's part cut: the clip's part (4 pairs) plus key 10 only. */
	f.e->has_owner = false;
	f.e->home[0] = '\0';
	f.e->camera_stmt.p = NULL;
	f.e->camera_stmt.len = 0;
	f.e->n_owner_stmts = 0;
	T_EQ(pt_evidence_encode(f.e, f.buf, sizeof(f.buf), &len), PT_OK, "the clip's part alone");
	memcpy(f.buf2, f.buf, len);
	f.buf2[0] = 0xa5;
	memcpy(f.buf2 + len, "\x0a\x63h-1", 5);
	T_EQ(pt_evidence_decode(f.buf2, len + 5, d), PT_EMALFORMED,
	     "key 10 without 11 and 12: refused");
	f.e->camera_stmt.p = f.cam_stmt;
	f.e->camera_stmt.len = 10;
	T_EQ(pt_evidence_encode(f.e, f.buf, sizeof(f.buf), &len), PT_EINVAL,
	     "a camera statement without has_owner: not encoded");
	f.e->has_owner = true;
	(void)snprintf(f.e->home, sizeof(f.e->home), "%s", "not an id!");
	T_EQ(pt_evidence_encode(f.e, f.buf, sizeof(f.buf), &len), PT_EINVAL,
	     "a home that is not an id: not encoded");
	(void)snprintf(f.e->home, sizeof(f.e->home), "%s", HOME);
	f.e->camera_stmt.len = PT_CAMERA_STMT_MAX + 1;
	T_EQ(pt_evidence_encode(f.e, f.buf, sizeof(f.buf), &len), PT_EINVAL,
	     "a camera statement over %d bytes: not encoded", PT_CAMERA_STMT_MAX);
	f.e->camera_stmt.len = 10;
	f.e->n_owner_stmts = PT_EVIDENCE_OWNER_STMTS_MAX + 1;
	T_EQ(pt_evidence_encode(f.e, f.buf, sizeof(f.buf), &len), PT_EINVAL,
	     "more than %d owner statements: not encoded", PT_EVIDENCE_OWNER_STMTS_MAX);
	f.e->n_owner_stmts = 1;
	f.e->owner_stmt[0].len = 0;
	T_EQ(pt_evidence_encode(f.e, f.buf, sizeof(f.buf), &len), PT_EINVAL,
	     "an empty owner statement: not encoded");
	free(d);
	fx_free(&f);
}

static void
test_walk(void)
{
	struct fx f;
	struct pt_evidence_walk *w = malloc(sizeof(*w));
	struct pt_evidence_stmt st[4];
	uint8_t anchors[2][PT_PK_LEN];
	size_t n;

	if (w == NULL)
		abort();
	fx_new(&f);
	/* A -> B, B -> X: from A all three; from B, B and X; from X, X. */
	st[0].p = f.endorse[0];
	st[0].len = endorse(&f.a, HOME, f.b.pk, f.endorse[0]);
	st[1].p = f.endorse[1];
	st[1].len = endorse(&f.b, HOME, f.x.pk, f.endorse[1]);
	memcpy(anchors[0], f.a.pk, PT_PK_LEN);
	n = pt_evidence_owner_walk(ops, HOME, (const uint8_t(*)[PT_PK_LEN])anchors, 1, st, 2, NOW, w);
	T_EQ(n, 3, "from A: A, B (A's statement), X (B's)");
	T_OK(memcmp(w->keys[1], f.b.pk, PT_PK_LEN) == 0 && w->via[1] == 0 && w->by[1] == 0 &&
		     memcmp(w->keys[2], f.x.pk, PT_PK_LEN) == 0 && w->via[2] == 1 && w->by[2] == 1 &&
		     w->via[0] == -1 && w->by[0] == -1,
	     "each with the statement that added it and its signer");
	/* Listed the other way round: the same set, in more rounds. */
	st[2] = st[0];
	st[0] = st[1];
	st[1] = st[2];
	n = pt_evidence_owner_walk(ops, HOME, (const uint8_t(*)[PT_PK_LEN])anchors, 1, st, 2, NOW, w);
	T_EQ(n, 3, "statements in any order: the same set");
	memcpy(anchors[0], f.b.pk, PT_PK_LEN);
	n = pt_evidence_owner_walk(ops, HOME, (const uint8_t(*)[PT_PK_LEN])anchors, 1, st, 2, NOW, w);
	T_EQ(n, 2, "from B: B and X, never A (up)");
	memcpy(anchors[0], f.x.pk, PT_PK_LEN);
	n = pt_evidence_owner_walk(ops, HOME, (const uint8_t(*)[PT_PK_LEN])anchors, 1, st, 2, NOW, w);
	T_EQ(n, 1, "from X: X alone");
	/* X signs a statement naming A: X is not trusted from A for it. */
	st[2].p = f.endorse[2];
	st[2].len = endorse(&f.x, HOME, f.a.pk, f.endorse[2]);
	memcpy(anchors[0], f.a.pk, PT_PK_LEN);
	n = pt_evidence_owner_walk(ops, HOME, (const uint8_t(*)[PT_PK_LEN])anchors, 1, st + 2, 1,
				   NOW, w);
	T_EQ(n, 1, "a stranger's statement naming A makes the stranger nothing");
	/* A cycle A -> B -> A (through X's statement too): each key once. */
	n = pt_evidence_owner_walk(ops, HOME, (const uint8_t(*)[PT_PK_LEN])anchors, 1, st, 3, NOW, w);
	T_EQ(n, 3, "a cycle: each key once");
	/* Another home's endorsement counts for nothing. */
	st[3].p = f.endorse[3];
	st[3].len = endorse(&f.a, "h-2", f.b.pk, f.endorse[3]);
	n = pt_evidence_owner_walk(ops, HOME, (const uint8_t(*)[PT_PK_LEN])anchors, 1, st + 3, 1,
				   NOW, w);
	T_EQ(n, 1, "an endorsement of another home: not followed");
	/* Two anchors, one twice. */
	memcpy(anchors[1], f.a.pk, PT_PK_LEN);
	n = pt_evidence_owner_walk(ops, HOME, (const uint8_t(*)[PT_PK_LEN])anchors, 2, NULL, 0, NOW, w);
	T_EQ(n, 1, "an anchor given twice is one key");
	n = pt_evidence_owner_walk(ops, NULL, (const uint8_t(*)[PT_PK_LEN])anchors, 1, st, 1, NOW, w);
	T_EQ(n, 0, "no home: nothing trusted");
	free(w);
	fx_free(&f);
}

static void
test_verify(void)
{
	struct fx f;
	struct pt_evidence_result res;
	const struct key *o[2];
	struct pt_evidence_trust t;
	uint8_t keep[PT_ENVELOPE_SIZE_MAX];
	size_t keep_len;
	int r;

	fx_new(&f);
	o[0] = &f.a;
	r = verify(&f, o, 1, HOME, &res);
	T_EQ(r, PT_OK, "anchored at A: verifies (camera by B, endorsed by A; hub paired by A)");
	T_OK(res.camera_vouched && res.hub_vouched && !res.hub_pinned &&
		     memcmp(res.camera_by, f.b.kid, PT_KID_LEN) == 0 &&
		     memcmp(res.hub_by, f.a.kid, PT_KID_LEN) == 0 && res.trusted == 2 &&
		     res.segments == 1 && res.events == N_EV && res.checkpoints == 2,
	     "says who vouched: B for the camera, A for the hub; 2 keys trusted");
	T_OK(fails(&f, &f.b, PT_EV_HUB_STMT),
	     "anchored at B: the camera passes, the hub's pairing by A does not (never up)");
	T_OK(fails(&f, &f.x, PT_EV_CAMERA_STMT), "anchored at a stranger: the camera statement fails");
	o[1] = &f.x;
	T_EQ(verify(&f, o, 2, NULL, &res), PT_OK, "A and a stranger together: verifies");
	T_EQ(verify(&f, o, 1, "h-2", &res), PT_EBADSIG, "--home of another home: fails");
	T_EQ(res.what, PT_EV_HOME, "... naming the home");

	/* The endorsement missing: B is not reached. */
	f.e->n_owner_stmts = 0;
	T_OK(fails(&f, &f.a, PT_EV_CAMERA_STMT), "the endorsement A -> B left out: the camera statement fails");
	f.e->n_owner_stmts = 1;
	/* A bit of the camera statement's signature flipped. */
	f.cam_stmt[f.e->camera_stmt.len - 1] ^= 1;
	T_OK(fails(&f, &f.a, PT_EV_CAMERA_STMT), "the camera statement altered: named");
	f.cam_stmt[f.e->camera_stmt.len - 1] ^= 1;
	/* A camera statement by B for another home, camera id, key. */
	f.e->camera_stmt.len = cam_stmt(&f.b, "h-2", CAM_ID, f.cam.pk, f.cam_stmt);
	T_OK(fails(&f, &f.a, PT_EV_CAMERA_STMT_NAMES), "a camera statement of another home: named");
	f.e->camera_stmt.len = cam_stmt(&f.b, HOME, "cam-back", f.cam.pk, f.cam_stmt);
	T_OK(fails(&f, &f.a, PT_EV_CAMERA_STMT_NAMES),
	     "a camera statement naming another camera id than the manifest's: named");
	f.e->camera_stmt.len = cam_stmt(&f.b, HOME, CAM_ID, f.x.pk, f.cam_stmt);
	T_OK(fails(&f, &f.a, PT_EV_CAMERA_STMT_NAMES), "a camera statement naming another key: named");
	f.e->camera_stmt.len = cam_stmt(&f.b, HOME, CAM_ID, f.cam.pk, f.cam_stmt);
	/* An owner statement where the camera statement goes. */
	memcpy(keep, f.cam_stmt, f.e->camera_stmt.len);
	keep_len = f.e->camera_stmt.len;
	f.e->camera_stmt.p = f.endorse[0];
	f.e->camera_stmt.len = f.e->owner_stmt[0].len;
	T_OK(fails(&f, &f.a, PT_EV_CAMERA_STMT), "an owner statement as the camera statement: named");
	f.e->camera_stmt.p = f.cam_stmt;
	f.e->camera_stmt.len = keep_len;
	/* The camera key pinned too, and not the bundle's: the pin first. */
	memset(&t, 0, sizeof(t));
	t.owners = (const uint8_t(*)[PT_PK_LEN])f.a.pk;
	t.n_owners = 1;
	t.camera_pk = f.x.pk;
	t.now = NOW;
	T_EQ(pt_evidence_verify_trust(ops, f.e, &t, f.m, &res), PT_EBADSIG, "a pinned camera key not the bundle's");
	T_EQ(res.what, PT_EV_CAMERA_KEY, "... named first");
	t.camera_pk = f.cam.pk;
	t.hub_pk = f.hub.pk;
	T_EQ(pt_evidence_verify_trust(ops, f.e, &t, f.m, &res), PT_OK, "both keys pinned and A: verifies");
	T_OK(res.hub_pinned && res.hub_vouched, "... pinned and vouched for");
	t.owners = NULL;
	T_EQ(pt_evidence_verify_trust(ops, f.e, &t, f.m, &res), PT_EINVAL, "owners NULL with n 1: EINVAL");
	t.n_owners = PT_EVIDENCE_ANCHORS_MAX + 1;
	t.owners = (const uint8_t(*)[PT_PK_LEN])f.a.pk;
	T_EQ(pt_evidence_verify_trust(ops, f.e, &t, f.m, &res), PT_EINVAL, "too many anchors: EINVAL");

	/* The hub's pairing statement. */
	memcpy(keep, f.pairing, f.e->pairing.len);
	keep_len = f.e->pairing.len;
	f.e->pairing.len = 0;
	f.e->pairing.p = NULL;
	T_OK(fails(&f, &f.a, PT_EV_HUB_STMT_MISSING), "the pairing statement missing: named");
	f.e->pairing.p = f.pairing;
	f.e->pairing.len = pair_stmt(&f.a, HOME, f.x.pk, f.pairing);
	T_OK(fails(&f, &f.a, PT_EV_HUB_STMT_NAMES), "a pairing statement of another hub: named");
	f.e->pairing.len = pair_stmt(&f.a, "h-2", f.hub.pk, f.pairing);
	T_OK(fails(&f, &f.a, PT_EV_HUB_STMT), "a pairing statement of another home: named");
	f.e->pairing.len = pair_stmt(&f.x, HOME, f.hub.pk, f.pairing);
	T_OK(fails(&f, &f.a, PT_EV_HUB_STMT), "a pairing statement by a stranger: named");
	f.e->pairing.len = endorse(&f.a, HOME, f.hub.pk, f.pairing);
	T_OK(fails(&f, &f.a, PT_EV_HUB_STMT),
	     "an owner statement naming the hub key as the pairing statement: named");
	memcpy(f.pairing, keep, keep_len);
	f.e->pairing.len = keep_len;
	T_EQ(verify(&f, o, 1, NULL, &res), PT_OK, "restored: verifies");
	/* A byte of the chain: still named as before, after the statements. */
	f.e->ev[2].hash[0] ^= 1;
	T_OK(fails(&f, &f.a, PT_EV_EVENT), "an event's hash altered: the event named");
	f.e->ev[2].hash[0] ^= 1;
	/* Without the owner's part. */
	f.e->has_owner = false;
	T_OK(fails(&f, &f.a, PT_EV_NO_OWNER_PART), "no owner's part: named");
	T_EQ(pt_evidence_verify_pinned(ops, f.e, f.cam.pk, f.hub.pk, f.m, &res), PT_OK,
	     "no owner's part, keys pinned: verifies as before");
	f.e->has_owner = true;
	T_EQ(pt_evidence_verify_pinned(ops, f.e, f.cam.pk, NULL, f.m, &res), PT_OK,
	     "with it, keys pinned and no owner key: the owner's part is not read");
	T_OK(!res.camera_vouched && !res.hub_vouched, "... and nothing said vouched");
	/* The hub's part absent: the camera alone is vouched for. */
	f.e->has_hub = false;
	f.e->pairing.len = 0;
	T_EQ(verify(&f, o, 1, NULL, &res), PT_OK, "the clip's and owner's parts alone: verifies");
	T_OK(res.camera_vouched && !res.hub_vouched, "... the camera vouched for, no hub");
	fx_free(&f);
}

static void
save(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return;
	(void)fputc(3, f);	/* fuzz_clip: an evidence bundle */
	(void)fwrite(p, 1, n, f);
	fclose(f);
}

static void
write_corpus(const char *dir)
{
	struct fx f;
	size_t len;

	fx_new(&f);
	if (pt_evidence_encode(f.e, f.buf, sizeof(f.buf), &len) == PT_OK)
		save(dir, "evidence_owner", f.buf, len);
	f.e->has_hub = false;
	f.e->n_events = f.e->n_cps = 0;
	f.e->pairing.len = 0;
	f.e->pairing.p = NULL;
	if (pt_evidence_encode(f.e, f.buf, sizeof(f.buf), &len) == PT_OK)
		save(dir, "evidence_owner_nohub", f.buf, len);
	fx_free(&f);
}

int
main(void)
{
	const char *corpus = getenv("PORTER_EVIDENCE_CORPUS");

	if (pt_crypto_init() != PT_OK)
		return 1;
	ops = pt_crypto_sodium();
	if (corpus != NULL)
		write_corpus(corpus);
	test_codec();
	test_walk();
	test_verify();
	return t_done();
}
