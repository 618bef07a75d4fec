/*
 * Clips (porter/clip.h, porter/clipseal.h): marks, clip ids, the signed
 * manifest, segment signatures, sealed clip keys and sealed segments.
 * Round trips with real keys, every refusal of the decoders, bit flips and
 * truncations refused, keys sealed to one owner not opened by another,
 * known sizes.
 *
 * PORTER_CLIP_CORPUS=DIR writes the fuzz target's seed corpus there
 * (fuzz/corpus/clip/; fuzz/fuzz_clip.c says what the first byte selects).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porter/clip.h"
#include "porter/clipseal.h"
#include "porter/crypto.h"
#include "porter/evidence.h"
#include "t.h"

static const struct pt_crypto_ops *ops;
static const char *corpus_dir;
static void save(const char *dir, const char *name, uint8_t sel, const uint8_t *p, size_t n);

static uint8_t *
memfind(uint8_t *h, size_t hl, const uint8_t *n, size_t nl)
{
	for (size_t i = 0; i + nl <= hl; i++)
		if (memcmp(h + i, n, nl) == 0)
			return h + i;
	return NULL;
}

/* ---- clip ids ---- */

static void
test_id(void)
{
	uint8_t id[PT_CLIP_ID_LEN], back[PT_CLIP_ID_LEN];
	char text[2 * PT_CLIP_ID_LEN + 1];

	for (size_t i = 0; i < sizeof(id); i++)
		id[i] = (uint8_t)(i * 17 + 3);
	pt_clip_id_text(id, text);
	T_EQ(strlen(text), 32, "clip id text is 32 characters");
	T_OK(strcmp(text, "031425364758697a8b9cadbecfe0f102") == 0, "clip id text: %s", text);
	T_EQ(pt_clip_id_parse(text, back), PT_OK, "clip id parses");
	T_OK(memcmp(id, back, sizeof(id)) == 0, "clip id round trip");
	T_EQ(pt_clip_id_parse("031425364758697A8B9CADBECFE0F102", back), PT_EMALFORMED,
	     "upper case refused");
	T_OK(back[0] == 0 && back[15] == 0, "refused parse leaves zeros");
	T_EQ(pt_clip_id_parse("031425364758697a8b9cadbecfe0f10", back), PT_EMALFORMED,
	     "31 digits refused");
	T_EQ(pt_clip_id_parse("031425364758697a8b9cadbecfe0f1020", back), PT_EMALFORMED,
	     "33 digits refused");
	T_EQ(pt_clip_id_parse("031425364758697a8b9cadbecfe0f1g2", back), PT_EMALFORMED,
	     "non-hex refused");
	T_EQ(pt_clip_id_parse("../../../../../../etc/passwd....", back), PT_EMALFORMED,
	     "a path refused");
	T_EQ(pt_clip_id_parse("", back), PT_EMALFORMED, "empty refused");
	T_EQ(pt_clip_id_parse(NULL, back), PT_EMALFORMED, "NULL refused");
}

/* ---- marks ---- */

static void
test_mark(void)
{
	struct pt_clip_mark m = {.kind = PT_CLIP_MARK_START, .event_seq = 5,
				 .time_ms = 1700000000000ull}, d;
	uint8_t buf[PT_CLIP_MARK_MAX + 8], bad[PT_CLIP_MARK_MAX + 8];
	size_t len, i;
	int fails = 0;

	for (i = 0; i < PT_CLIP_ID_LEN; i++)
		m.clip[i] = (uint8_t)(0xa0 + i);
	T_EQ(pt_clip_mark_encode(&m, buf, sizeof(buf), &len), PT_OK, "start mark encodes");
	T_EQ(len, 33, "a start mark with a 13-digit time is 33 bytes");
	T_EQ(pt_clip_mark_decode(buf, len, &d), PT_OK, "start mark decodes");
	T_OK(memcmp(&m, &d, sizeof(m)) == 0, "start mark round trip");

	m.kind = PT_CLIP_MARK_END;
	m.event_seq = INT64_MAX;
	m.time_ms = INT64_MAX;
	T_EQ(pt_clip_mark_encode(&m, buf, sizeof(buf), &len), PT_OK, "largest end mark encodes");
	T_OK(len <= PT_CLIP_MARK_MAX, "largest mark (%zu) within PT_CLIP_MARK_MAX", len);
	T_EQ(pt_clip_mark_decode(buf, len, &d), PT_OK, "end mark decodes");
	T_OK(memcmp(&m, &d, sizeof(m)) == 0, "end mark round trip");
	T_EQ(pt_clip_mark_encode(&m, buf, len - 1, &len), PT_ENOSPC, "short buffer: ENOSPC");

	for (i = 0; i + 1 < 33; i++)
		if (pt_clip_mark_decode(buf, i, &d) == PT_OK)
			fails++;
	T_EQ(fails, 0, "every truncation of a mark refused");
	T_OK(d.kind == 0 && d.event_seq == 0, "refused decode leaves zeros");

	/* Encoder refuses what the decoder would refuse. */
	m.kind = 3;
	T_EQ(pt_clip_mark_encode(&m, buf, sizeof(buf), &len), PT_EINVAL, "kind 3 not encoded");
	m.kind = 0;
	T_EQ(pt_clip_mark_encode(&m, buf, sizeof(buf), &len), PT_EINVAL, "kind 0 not encoded");
	m.kind = 1;
	m.event_seq = 0;
	T_EQ(pt_clip_mark_encode(&m, buf, sizeof(buf), &len), PT_EINVAL, "seq 0 not encoded");
	m.event_seq = (uint64_t)INT64_MAX + 1;
	T_EQ(pt_clip_mark_encode(&m, buf, sizeof(buf), &len), PT_EINVAL, "seq > 2^63-1 not encoded");

	/* Hand-made refusals: A4 01 k 02 50 <16> 03 s 04 t. */
	static const uint8_t good[] = {0xa4, 0x01, 0x01, 0x02, 0x50, 1, 2, 3, 4, 5, 6, 7, 8,
				       9, 10, 11, 12, 13, 14, 15, 16, 0x03, 0x07, 0x04, 0x00};
	T_EQ(pt_clip_mark_decode(good, sizeof(good), &d), PT_OK, "hand-made mark decodes");
	T_EQ(d.event_seq, 7, "its seq");
	memcpy(bad, good, sizeof(good));
	bad[2] = 0x03;
	T_EQ(pt_clip_mark_decode(bad, sizeof(good), &d), PT_EMALFORMED, "kind 3 refused");
	memcpy(bad, good, sizeof(good));
	bad[22] = 0x00;
	T_EQ(pt_clip_mark_decode(bad, sizeof(good), &d), PT_EMALFORMED, "seq 0 refused");
	memcpy(bad, good, sizeof(good));
	bad[4] = 0x4f;	/* 15-byte clip id, then a stray byte */
	T_EQ(pt_clip_mark_decode(bad, sizeof(good), &d), PT_EMALFORMED, "15-byte clip id refused");
	memcpy(bad, good, sizeof(good));
	bad[sizeof(good)] = 0x00;
	T_EQ(pt_clip_mark_decode(bad, sizeof(good) + 1, &d), PT_EMALFORMED,
	     "a byte after the map refused");
	memcpy(bad, good, sizeof(good));
	bad[0] = 0xa3;
	T_EQ(pt_clip_mark_decode(bad, sizeof(good) - 2, &d), PT_EMALFORMED, "missing time refused");
	memcpy(bad, good, sizeof(good));
	bad[0] = 0xa5;
	bad[sizeof(good)] = 0x05;
	bad[sizeof(good) + 1] = 0x00;
	T_EQ(pt_clip_mark_decode(bad, sizeof(good) + 2, &d), PT_EMALFORMED, "unknown key 5 refused");
	memcpy(bad, good, sizeof(good));
	bad[21] = 0x04;	/* key 4 before key 3... */
	bad[23] = 0x03;
	T_EQ(pt_clip_mark_decode(bad, sizeof(good), &d), PT_EMALFORMED, "keys out of order refused");
	memcpy(bad, good, sizeof(good));
	bad[23] = 0x03;	/* key 3 twice */
	T_EQ(pt_clip_mark_decode(bad, sizeof(good), &d), PT_EMALFORMED, "a key twice refused");
	{
		/* seq 7 as a two-byte uint: not the shortest form. */
		uint8_t nd[sizeof(good) + 1];
		memcpy(nd, good, 22);
		nd[22] = 0x18;
		nd[23] = 0x07;
		nd[24] = 0x04;
		nd[25] = 0x00;
		T_EQ(pt_clip_mark_decode(nd, sizeof(nd), &d), PT_EMALFORMED,
		     "non-shortest integer refused");
	}
	memset(bad, 0, sizeof(bad));
	T_EQ(pt_clip_mark_decode(bad, PT_CLIP_MARK_MAX + 1, &d), PT_ETOOBIG, "65 bytes: ETOOBIG");
	T_EQ(pt_clip_mark_decode(NULL, 0, &d), PT_EMALFORMED, "NULL refused");
}

/* ---- manifests ---- */

struct owner {
	struct pt_secret *sk;
	uint8_t pk[PT_PK_LEN];
	uint8_t kid[PT_KID_LEN];
};

static void
owner_new(struct owner *o)
{
	o->sk = pt_secret_new();
	if (o->sk == NULL || pt_secret_generate(o->sk) != PT_OK)
		abort();
	pt_secret_public(o->sk, o->pk);
	pt_kid(ops, o->pk, o->kid);
}

static struct pt_clip_manifest *
manifest_new(const uint8_t clip[PT_CLIP_ID_LEN], size_t nseg, const struct owner *owners,
	     size_t nown, const uint8_t *key)
{
	struct pt_clip_manifest *m = calloc(1, sizeof(*m));

	if (m == NULL)
		abort();
	(void)snprintf(m->camera, sizeof(m->camera), "%s", "cam-front");
	memcpy(m->clip, clip, PT_CLIP_ID_LEN);
	m->start_seq = 41;
	m->end_seq = 44;
	m->start_ms = 1700000000000ull;
	m->end_ms = m->start_ms + 2000 * nseg;
	(void)snprintf(m->container, sizeof(m->container), "%s", "mp4");
	m->preroll_ms = 10000;
	m->postroll_ms = 5000;
	m->n_segments = nseg;
	for (size_t i = 0; i < nseg; i++) {
		m->seg[i].index = (uint32_t)i;
		m->seg[i].duration_ms = 2000;
		m->seg[i].size = (uint32_t)(1000 + i);
		memset(m->seg[i].sha256, (int)(i & 0xff), PT_HASH_LEN);
		m->seg[i].sha256[0] = (uint8_t)(i >> 8);
	}
	m->n_keys = nown;
	for (size_t i = 0; i < nown; i++) {
		memcpy(m->key[i].kid, owners[i].kid, PT_KID_LEN);
		if (key != NULL) {
			if (pt_clip_key_seal(key, owners[i].pk, m->key[i].sealed) != PT_OK)
				abort();
		} else {
			memset(m->key[i].sealed, (int)(0x50 + i), PT_CLIP_SEALED_KEY_LEN);
		}
	}
	return m;
}

static bool
manifest_equal(const struct pt_clip_manifest *a, const struct pt_clip_manifest *b)
{
	return strcmp(a->camera, b->camera) == 0 && memcmp(a->clip, b->clip, PT_CLIP_ID_LEN) == 0 &&
	       a->start_seq == b->start_seq && a->end_seq == b->end_seq &&
	       a->start_ms == b->start_ms && a->end_ms == b->end_ms &&
	       strcmp(a->container, b->container) == 0 && a->preroll_ms == b->preroll_ms &&
	       a->postroll_ms == b->postroll_ms && a->n_segments == b->n_segments &&
	       memcmp(a->seg, b->seg, a->n_segments * sizeof(a->seg[0])) == 0 &&
	       a->n_keys == b->n_keys && memcmp(a->key, b->key, a->n_keys * sizeof(a->key[0])) == 0;
}

static void
test_manifest(void)
{
	static uint8_t msg[PT_CLIP_MANIFEST_MAX], pay[PT_CLIP_PAYLOAD_MAX], bad[PT_CLIP_MANIFEST_MAX];
	struct pt_clip_manifest *m, *d = malloc(sizeof(*d));
	struct owner cam, own[PT_CLIP_RECIPIENTS_MAX + 1];
	struct pt_signer sg;
	uint8_t clip[PT_CLIP_ID_LEN];
	char camid[PT_ID_MAX + 1];
	size_t len, plen, i;
	int ok_flips = 0, ok_cuts = 0;
	uint8_t *at;

	if (d == NULL)
		abort();
	owner_new(&cam);
	for (i = 0; i < PT_CLIP_RECIPIENTS_MAX + 1; i++)
		owner_new(&own[i]);
	pt_signer_sodium(&sg, cam.sk);
	pt_random(clip, sizeof(clip));

	m = manifest_new(clip, 3, own, 2, NULL);
	T_EQ(pt_clip_manifest_sign(&sg, m, msg, sizeof(msg), &len), PT_OK, "manifest signs");
	T_EQ(pt_clip_manifest_open(ops, cam.pk, msg, len, d), PT_OK, "manifest opens");
	T_OK(manifest_equal(m, d), "manifest round trip");
	T_EQ(pt_clip_manifest_camera(msg, len, camid), PT_OK, "camera id read unverified");
	T_OK(strcmp(camid, "cam-front") == 0, "camera id is %s", camid);
	T_EQ(pt_clip_manifest_open(ops, own[0].pk, msg, len, d), PT_EBADSIG,
	     "another key's manifest: EBADSIG");
	T_OK(d->n_segments == 0 && d->camera[0] == '\0', "refused open leaves zeros");
	T_EQ(pt_clip_manifest_encode(m, pay, sizeof(pay), &plen), PT_OK, "payload encodes");
	T_EQ(len, 1 + 3 + plen + 2 + 64, "message = array + bstr(payload) + bstr(sig)");
	/* 1 + 12 keys + version 1 + camera 10 + clip 17 + seqs 2 + 2 + times 9 + 9
	 * + "mp4" 4 + pre 3 + post 3 + array 1 + 3 x 42 + array 1 + 2 x 92 */
	T_EQ(plen, 1 + 12 + 1 + 10 + 17 + 2 + 2 + 9 + 9 + 4 + 3 + 3 + 1 + 3 * 42 + 1 + 2 * 92,
	     "known payload size");
	T_EQ(pt_clip_manifest_sign(&sg, m, msg, len - 1, &i), PT_ENOSPC, "one byte short: ENOSPC");
	T_EQ(pt_clip_manifest_sign(&sg, m, msg, sizeof(msg), &len), PT_OK, "signs again");

	for (i = 0; i < len * 8; i++) {
		memcpy(bad, msg, len);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (pt_clip_manifest_open(ops, cam.pk, bad, len, d) == PT_OK)
			ok_flips++;
	}
	T_EQ(ok_flips, 0, "every one of %zu bit flips refused", len * 8);
	for (i = 0; i < len; i++)
		if (pt_clip_manifest_open(ops, cam.pk, msg, i, d) == PT_OK)
			ok_cuts++;
	T_EQ(ok_cuts, 0, "every truncation refused");
	memcpy(bad, msg, len);
	bad[len] = 0;
	T_EQ(pt_clip_manifest_open(ops, cam.pk, bad, len + 1, d), PT_EMALFORMED,
	     "a byte after the message refused");
	T_EQ(pt_clip_manifest_open(ops, cam.pk, msg, PT_CLIP_MANIFEST_MAX + 1, d), PT_ETOOBIG,
	     "over PT_CLIP_MANIFEST_MAX: ETOOBIG");
	T_EQ(pt_clip_manifest_open(NULL, cam.pk, msg, len, d), PT_EBADSIG, "no ops: EBADSIG");

	/* The payload decoder's own refusals (it trusts nothing either). */
	T_EQ(pt_clip_manifest_decode(pay, plen, d), PT_OK, "payload decodes");
	memcpy(bad, pay, plen);
	T_OK(bad[1] == 0x01 && bad[2] == 0x01, "version at offset 2");
	bad[2] = 0x02;
	T_EQ(pt_clip_manifest_decode(bad, plen, d), PT_EMALFORMED, "version 2 refused");
	memcpy(bad, pay, plen);
	at = memfind(bad, plen, own[1].kid, PT_KID_LEN);
	T_OK(at != NULL, "second recipient's kid found");
	if (at != NULL)
		memcpy(at, own[0].kid, PT_KID_LEN);
	T_EQ(pt_clip_manifest_decode(bad, plen, d), PT_EMALFORMED, "a recipient twice refused");
	{
		/* Segment 1's entry [1, 2000, 1001, h]: make its index 2. */
		static const uint8_t e1[] = {0x84, 0x01, 0x19, 0x07, 0xd0, 0x19, 0x03, 0xe9};
		memcpy(bad, pay, plen);
		at = memfind(bad, plen, e1, sizeof(e1));
		T_OK(at != NULL, "segment 1's entry found");
		if (at != NULL)
			at[1] = 0x02;
		T_EQ(pt_clip_manifest_decode(bad, plen, d), PT_EMALFORMED, "index gap refused");
		memcpy(bad, pay, plen);
		at = memfind(bad, plen, e1, sizeof(e1));
		if (at != NULL)
			at[1] = 0x00;
		T_EQ(pt_clip_manifest_decode(bad, plen, d), PT_EMALFORMED, "index twice refused");
	}
	{
		static const uint8_t cont[] = {0x08, 0x63, 'm', 'p', '4'};
		memcpy(bad, pay, plen);
		at = memfind(bad, plen, cont, sizeof(cont));
		T_OK(at != NULL, "container found");
		if (at != NULL)
			memcpy(at + 2, "mkv", 3);
		T_EQ(pt_clip_manifest_decode(bad, plen, d), PT_EMALFORMED, "container mkv refused");
	}
	{
		static const uint8_t cam_t[] = {0x02, 0x69, 'c', 'a', 'm', '-'};
		memcpy(bad, pay, plen);
		at = memfind(bad, plen, cam_t, sizeof(cam_t));
		T_OK(at != NULL, "camera id found");
		if (at != NULL)
			at[2] = '.';
		T_EQ(pt_clip_manifest_decode(bad, plen, d), PT_EMALFORMED, "invalid camera id refused");
		T_EQ(pt_clip_manifest_camera(msg, len, camid), PT_OK, "camera of the good one");
	}
	memcpy(bad, pay, plen);
	bad[0] = 0xab;
	T_EQ(pt_clip_manifest_decode(bad, plen, d), PT_EMALFORMED, "map(11) refused");
	bad[0] = 0xac;
	bad[plen] = 0x00;
	T_EQ(pt_clip_manifest_decode(bad, plen + 1, d), PT_EMALFORMED, "trailing byte refused");
	T_EQ(pt_clip_manifest_decode(bad, PT_CLIP_PAYLOAD_MAX + 1, d), PT_ETOOBIG,
	     "over PT_CLIP_PAYLOAD_MAX: ETOOBIG");

	/* The encoder refuses what the decoder refuses. */
	{
		struct pt_clip_manifest *e = manifest_new(clip, 3, own, 2, NULL);
		e->seg[2].index = 3;
		T_EQ(pt_clip_manifest_encode(e, pay, sizeof(pay), &plen), PT_EINVAL, "gap not encoded");
		e->seg[2].index = 2;
		e->seg[1].size = 0;
		T_EQ(pt_clip_manifest_encode(e, pay, sizeof(pay), &plen), PT_EINVAL, "size 0 not encoded");
		e->seg[1].size = PT_CLIP_SEGMENT_SIZE_MAX + 1;
		T_EQ(pt_clip_manifest_encode(e, pay, sizeof(pay), &plen), PT_EINVAL,
		     "oversize segment not encoded");
		e->seg[1].size = 5;
		e->end_ms = e->start_ms - 1;
		T_EQ(pt_clip_manifest_encode(e, pay, sizeof(pay), &plen), PT_EINVAL,
		     "end before start not encoded");
		e->end_ms = e->start_ms;
		e->end_seq = e->start_seq - 1;
		T_EQ(pt_clip_manifest_encode(e, pay, sizeof(pay), &plen), PT_EINVAL,
		     "end seq before start seq not encoded");
		e->end_seq = 0;
		T_EQ(pt_clip_manifest_encode(e, pay, sizeof(pay), &plen), PT_OK,
		     "end seq 0 (cut short) encodes");
		e->start_seq = 0;
		T_EQ(pt_clip_manifest_encode(e, pay, sizeof(pay), &plen), PT_EINVAL,
		     "start seq 0 not encoded");
		e->start_seq = 1;
		(void)snprintf(e->container, sizeof(e->container), "%s", "mkv");
		T_EQ(pt_clip_manifest_encode(e, pay, sizeof(pay), &plen), PT_EINVAL,
		     "container mkv not encoded");
		(void)snprintf(e->container, sizeof(e->container), "%s", "ts");
		e->n_keys = 0;
		T_EQ(pt_clip_manifest_encode(e, pay, sizeof(pay), &plen), PT_EINVAL,
		     "no recipients not encoded");
		e->n_keys = 2;
		memcpy(e->key[1].kid, e->key[0].kid, PT_KID_LEN);
		T_EQ(pt_clip_manifest_encode(e, pay, sizeof(pay), &plen), PT_EINVAL,
		     "duplicate recipient not encoded");
		e->n_keys = 1;
		e->n_segments = 0;
		T_EQ(pt_clip_manifest_encode(e, pay, sizeof(pay), &plen), PT_EINVAL,
		     "no segments not encoded");
		e->n_segments = 3;
		(void)snprintf(e->camera, sizeof(e->camera), "%s", "a/b");
		T_EQ(pt_clip_manifest_encode(e, pay, sizeof(pay), &plen), PT_EINVAL,
		     "camera id with '/' not encoded");
		free(e);
	}

	/* The largest manifest fits the stated bounds. */
	free(m);
	m = manifest_new(clip, PT_CLIP_SEGMENTS_MAX, own, PT_CLIP_RECIPIENTS_MAX, NULL);
	memset(m->camera, 'c', PT_ID_MAX);
	m->camera[PT_ID_MAX] = '\0';
	for (i = 0; i < m->n_segments; i++) {
		m->seg[i].duration_ms = UINT32_MAX;
		m->seg[i].size = PT_CLIP_SEGMENT_SIZE_MAX;
	}
	m->start_seq = m->end_seq = INT64_MAX;
	m->start_ms = m->end_ms = INT64_MAX;
	m->preroll_ms = m->postroll_ms = 3600000;
	T_EQ(pt_clip_manifest_sign(&sg, m, msg, sizeof(msg), &len), PT_OK, "largest manifest signs");
	T_OK(len <= PT_CLIP_MANIFEST_MAX, "largest manifest %zu <= %u", len,
	     (unsigned)PT_CLIP_MANIFEST_MAX);
	T_EQ(pt_clip_manifest_open(ops, cam.pk, msg, len, d), PT_OK, "largest manifest opens");
	T_OK(manifest_equal(m, d), "largest manifest round trip");
	m->preroll_ms = 3600001;
	T_EQ(pt_clip_manifest_sign(&sg, m, msg, sizeof(msg), &len), PT_EINVAL,
	     "pre-roll over an hour not encoded");
	m->preroll_ms = 0;
	m->n_segments = PT_CLIP_SEGMENTS_MAX + 1;
	T_EQ(pt_clip_manifest_sign(&sg, m, msg, sizeof(msg), &len), PT_EINVAL,
	     "1025 segments not encoded");

	free(m);
	free(d);
	pt_secret_free(cam.sk);
	for (i = 0; i < PT_CLIP_RECIPIENTS_MAX + 1; i++)
		pt_secret_free(own[i].sk);
}

/* ---- key records ---- */

static struct pt_clip_keyrec *
keyrec_new(const uint8_t clip[PT_CLIP_ID_LEN], const struct pt_clip_manifest *m)
{
	struct pt_clip_keyrec *k = calloc(1, sizeof(*k));

	if (k == NULL)
		abort();
	memcpy(k->camera, m->camera, sizeof(k->camera));
	memcpy(k->clip, clip, PT_CLIP_ID_LEN);
	k->start_seq = m->start_seq;
	k->start_ms = m->start_ms + m->preroll_ms;
	memcpy(k->container, m->container, sizeof(k->container));
	k->n_keys = m->n_keys;
	memcpy(k->key, m->key, sizeof(k->key));
	return k;
}

static void
test_keyrec(void)
{
	static uint8_t msg[PT_CLIP_MANIFEST_MAX], man[PT_CLIP_MANIFEST_MAX], bad[PT_CLIP_KEYREC_MAX + 8];
	static uint8_t pay[PT_CLIP_KEYREC_PAYLOAD_MAX];
	struct pt_clip_manifest *m, *md = malloc(sizeof(*md));
	struct pt_clip_keyrec *k, d;
	struct owner cam, other, own[PT_CLIP_RECIPIENTS_MAX];
	struct pt_signer sg, sg_other;
	uint8_t clip[PT_CLIP_ID_LEN], sig[PT_SIG_LEN], h[PT_HASH_LEN];
	uint8_t seg_msg[PT_CLIP_SEGMENT_MSG_LEN];
	char camid[PT_ID_MAX + 1];
	size_t len, mlen, plen, i;
	int ok_flips = 0, ok_cuts = 0;
	uint8_t *at;

	if (md == NULL)
		abort();
	owner_new(&cam);
	owner_new(&other);
	for (i = 0; i < PT_CLIP_RECIPIENTS_MAX; i++)
		owner_new(&own[i]);
	pt_signer_sodium(&sg, cam.sk);
	pt_signer_sodium(&sg_other, other.sk);
	pt_random(clip, sizeof(clip));
	m = manifest_new(clip, 3, own, 2, NULL);
	k = keyrec_new(clip, m);

	T_EQ(pt_clip_keyrec_sign(&sg, k, msg, sizeof(msg), &len), PT_OK, "key record signs");
	T_OK(len <= PT_CLIP_KEYREC_MAX, "key record %zu bytes", len);
	T_EQ(pt_clip_keyrec_open(ops, cam.pk, msg, len, &d), PT_OK, "key record opens");
	T_OK(strcmp(d.camera, "cam-front") == 0 && memcmp(d.clip, clip, 16) == 0 &&
		     d.start_seq == 41 && d.start_ms == k->start_ms &&
		     strcmp(d.container, "mp4") == 0 && d.n_keys == 2 &&
		     memcmp(d.key, k->key, 2 * sizeof(d.key[0])) == 0,
	     "key record round trip");
	T_OK(pt_clip_keyrec_matches(&d, m), "the key record matches its manifest");
	T_EQ(pt_clip_keyrec_camera(msg, len, camid), PT_OK, "camera id read unverified");
	T_OK(strcmp(camid, "cam-front") == 0, "camera id is %s", camid);
	T_EQ(pt_clip_keyrec_encode(k, pay, sizeof(pay), &plen), PT_OK, "payload encodes");
	/* map + 7 keys + version 1 + camera 10 + clip 17 + seq 2 + start 9 +
	 * "mp4" 4 + array 1 + 2 x 92 */
	T_EQ(plen, 1 + 7 + 1 + 10 + 17 + 2 + 9 + 4 + 1 + 2 * 92, "known payload size");
	T_EQ(len, 1 + 2 + plen + 2 + 64, "message = array + bstr(payload) + bstr(sig)");
	T_OK(pay[1] == 0x01 && pay[2] == 0x01, "version 1 first");

	T_EQ(pt_clip_keyrec_open(ops, other.pk, msg, len, &d), PT_EBADSIG,
	     "another camera key: EBADSIG");
	T_OK(d.n_keys == 0 && d.camera[0] == '\0', "refused open leaves zeros");
	T_EQ(pt_clip_keyrec_open(NULL, cam.pk, msg, len, &d), PT_EBADSIG, "no ops: EBADSIG");
	for (i = 0; i < len * 8; i++) {
		memcpy(bad, msg, len);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (pt_clip_keyrec_open(ops, cam.pk, bad, len, &d) == PT_OK)
			ok_flips++;
	}
	T_EQ(ok_flips, 0, "every one of %zu bit flips refused", len * 8);
	for (i = 0; i < len; i++) {
		memcpy(bad, msg, len);
		bad[i] ^= 0xff;
		if (pt_clip_keyrec_open(ops, cam.pk, bad, len, &d) == PT_OK)
			ok_flips++;
	}
	T_EQ(ok_flips, 0, "every one of %zu byte flips refused", len);
	for (i = 0; i < len; i++)
		if (pt_clip_keyrec_open(ops, cam.pk, msg, i, &d) == PT_OK)
			ok_cuts++;
	T_EQ(ok_cuts, 0, "every truncation refused");
	memcpy(bad, msg, len);
	bad[len] = 0;
	T_EQ(pt_clip_keyrec_open(ops, cam.pk, bad, len + 1, &d), PT_EMALFORMED,
	     "a byte after the message refused");
	T_EQ(pt_clip_keyrec_open(ops, cam.pk, msg, PT_CLIP_KEYREC_MAX + 1, &d), PT_ETOOBIG,
	     "over PT_CLIP_KEYREC_MAX: ETOOBIG");

	/* Cross-domain: a signature for one thing never passes for another. */
	T_EQ(pt_clip_manifest_sign(&sg, m, man, sizeof(man), &mlen), PT_OK, "manifest signs");
	T_EQ(pt_clip_keyrec_open(ops, cam.pk, man, mlen, &d), PT_EBADSIG,
	     "a manifest does not open as a key record (its signature is of another domain)");
	T_EQ(pt_clip_manifest_open(ops, cam.pk, msg, len, md), PT_EBADSIG,
	     "a key record does not open as a manifest (its signature is of another domain)");
	{
		/* The key record's payload under a manifest signature (same
		 * payload bytes, domain swapped): refused either way. */
		uint8_t tbs[sizeof(PT_CLIP_MANIFEST_DOMAIN) + PT_CLIP_KEYREC_PAYLOAD_MAX];
		uint8_t sw[PT_CLIP_KEYREC_MAX];
		memcpy(tbs, PT_CLIP_MANIFEST_DOMAIN, sizeof(PT_CLIP_MANIFEST_DOMAIN));
		memcpy(tbs + sizeof(PT_CLIP_MANIFEST_DOMAIN), pay, plen);
		T_EQ(sg.sign(sg.arg, sig, tbs, sizeof(PT_CLIP_MANIFEST_DOMAIN) + plen), PT_OK,
		     "payload signed under the manifest's domain");
		memcpy(sw, msg, len);
		memcpy(sw + len - PT_SIG_LEN, sig, PT_SIG_LEN);
		T_EQ(pt_clip_keyrec_open(ops, cam.pk, sw, len, &d), PT_EBADSIG,
		     "a manifest-domain signature does not open a key record");
		/* and a segment signature's domain */
		pt_random(h, sizeof(h));
		T_EQ(pt_clip_segment_sign(&sg, clip, 0, h, sig), PT_OK, "segment signs");
		memcpy(sw + len - PT_SIG_LEN, sig, PT_SIG_LEN);
		T_EQ(pt_clip_keyrec_open(ops, cam.pk, sw, len, &d), PT_EBADSIG,
		     "a segment signature does not open a key record");
		/* a key record signature is not a segment signature over its
		 * payload's first bytes either */
		pt_clip_segment_msg(clip, 0, h, seg_msg);
		T_EQ(pt_clip_segment_verify(ops, cam.pk, clip, 0, h, msg + len - PT_SIG_LEN),
		     PT_EBADSIG, "a key record signature is not a segment signature");
	}

	/* The decoder's own refusals. */
	T_EQ(pt_clip_keyrec_decode(pay, plen, &d), PT_OK, "payload decodes");
	memcpy(bad, pay, plen);
	bad[2] = 0x02;
	T_EQ(pt_clip_keyrec_decode(bad, plen, &d), PT_EMALFORMED, "version 2 refused");
	memcpy(bad, pay, plen);
	at = memfind(bad, plen, own[1].kid, PT_KID_LEN);
	T_OK(at != NULL, "second recipient's kid found");
	if (at != NULL)
		memcpy(at, own[0].kid, PT_KID_LEN);
	T_EQ(pt_clip_keyrec_decode(bad, plen, &d), PT_EMALFORMED, "a recipient twice refused");
	memcpy(bad, pay, plen);
	bad[0] = 0xa6;
	T_EQ(pt_clip_keyrec_decode(bad, plen, &d), PT_EMALFORMED, "map(6) refused");
	memcpy(bad, pay, plen);
	bad[plen] = 0;
	T_EQ(pt_clip_keyrec_decode(bad, plen + 1, &d), PT_EMALFORMED, "trailing byte refused");
	{
		static const uint8_t seq[] = {0x04, 0x18, 0x29};	/* 4: 41 */
		memcpy(bad, pay, plen);
		at = memfind(bad, plen, seq, sizeof(seq));
		T_OK(at != NULL, "START seq found");
		if (at != NULL) {
			at[1] = 0x00;	/* 4: 0, then a stray byte */
			T_EQ(pt_clip_keyrec_decode(bad, plen, &d), PT_EMALFORMED,
			     "START seq 0 refused");
		}
	}

	/* The encoder refuses what the decoder refuses. */
	k->start_seq = 0;
	T_EQ(pt_clip_keyrec_encode(k, pay, sizeof(pay), &plen), PT_EINVAL, "START seq 0 not encoded");
	k->start_seq = 41;
	k->n_keys = 0;
	T_EQ(pt_clip_keyrec_encode(k, pay, sizeof(pay), &plen), PT_EINVAL, "no recipients not encoded");
	k->n_keys = 2;
	memcpy(k->key[1].kid, k->key[0].kid, PT_KID_LEN);
	T_EQ(pt_clip_keyrec_encode(k, pay, sizeof(pay), &plen), PT_EINVAL,
	     "a recipient twice not encoded");
	memcpy(k->key[1].kid, own[1].kid, PT_KID_LEN);
	(void)snprintf(k->container, sizeof(k->container), "%s", "mkv");
	T_EQ(pt_clip_keyrec_encode(k, pay, sizeof(pay), &plen), PT_EINVAL, "mkv not encoded");
	(void)snprintf(k->container, sizeof(k->container), "%s", "mp4");
	(void)snprintf(k->camera, sizeof(k->camera), "%s", "a/b");
	T_EQ(pt_clip_keyrec_encode(k, pay, sizeof(pay), &plen), PT_EINVAL, "camera 'a/b' not encoded");
	(void)snprintf(k->camera, sizeof(k->camera), "%s", "cam-front");
	T_EQ(pt_clip_keyrec_sign(&sg, k, msg, len - 1, &plen), PT_ENOSPC, "one byte short: ENOSPC");

	/* matches: every field that binds the two. */
	T_OK(pt_clip_keyrec_matches(k, m), "matches again");
	k->key[1].sealed[79] ^= 1;
	T_OK(!pt_clip_keyrec_matches(k, m), "another sealed key: no match");
	k->key[1].sealed[79] ^= 1;
	k->n_keys = 1;
	T_OK(!pt_clip_keyrec_matches(k, m), "fewer recipients: no match");
	k->n_keys = 2;
	k->start_seq = 40;
	T_OK(!pt_clip_keyrec_matches(k, m), "another START seq: no match");
	k->start_seq = 41;
	k->clip[0] ^= 1;
	T_OK(!pt_clip_keyrec_matches(k, m), "another clip: no match");
	k->clip[0] ^= 1;
	(void)snprintf(k->camera, sizeof(k->camera), "%s", "cam-back");
	T_OK(!pt_clip_keyrec_matches(k, m), "another camera: no match");
	(void)snprintf(k->camera, sizeof(k->camera), "%s", "cam-front");

	/* Another camera's key record of the same clip: its own signature
	 * verifies only with its own key. */
	T_EQ(pt_clip_keyrec_sign(&sg_other, k, msg, sizeof(msg), &len), PT_OK, "other camera signs");
	T_EQ(pt_clip_keyrec_open(ops, cam.pk, msg, len, &d), PT_EBADSIG,
	     "signed by another camera: EBADSIG");

	/* The largest key record fits its bounds. */
	free(m);
	m = manifest_new(clip, 1, own, PT_CLIP_RECIPIENTS_MAX, NULL);
	memset(m->camera, 'c', PT_ID_MAX);
	m->camera[PT_ID_MAX] = '\0';
	free(k);
	k = keyrec_new(clip, m);
	k->start_seq = INT64_MAX;
	k->start_ms = INT64_MAX;
	T_EQ(pt_clip_keyrec_encode(k, pay, sizeof(pay), &plen), PT_OK, "largest payload encodes");
	T_EQ(plen, 851, "largest payload is 851 bytes");
	T_EQ(pt_clip_keyrec_sign(&sg, k, msg, sizeof(msg), &len), PT_OK, "largest key record signs");
	T_OK(len <= PT_CLIP_KEYREC_MAX, "largest key record %zu <= %u", len,
	     (unsigned)PT_CLIP_KEYREC_MAX);
	T_EQ(pt_clip_keyrec_open(ops, cam.pk, msg, len, &d), PT_OK, "largest key record opens");
	k->start_ms = (uint64_t)INT64_MAX + 1;
	T_EQ(pt_clip_keyrec_encode(k, pay, sizeof(pay), &plen), PT_EINVAL, "start over 2^63-1 refused");

	free(k);
	free(m);
	free(md);
	pt_secret_free(cam.sk);
	pt_secret_free(other.sk);
	for (i = 0; i < PT_CLIP_RECIPIENTS_MAX; i++)
		pt_secret_free(own[i].sk);
}

/* ---- segment signatures ---- */

static void
test_segment_sig(void)
{
	struct owner cam, other;
	struct pt_signer sg;
	uint8_t clip[PT_CLIP_ID_LEN], h[PT_HASH_LEN], sig[PT_SIG_LEN];
	uint8_t msg[PT_CLIP_SEGMENT_MSG_LEN];

	owner_new(&cam);
	owner_new(&other);
	pt_signer_sodium(&sg, cam.sk);
	pt_random(clip, sizeof(clip));
	pt_random(h, sizeof(h));
	T_EQ(PT_CLIP_SEGMENT_MSG_LEN, 75, "segment message is 75 bytes");
	pt_clip_segment_msg(clip, 0x01020304u, h, msg);
	T_OK(memcmp(msg, "porter/clip-segment/v1\0", 23) == 0, "domain with its NUL first");
	T_OK(memcmp(msg + 23, clip, 16) == 0 && msg[39] == 1 && msg[40] == 2 && msg[41] == 3 &&
		     msg[42] == 4 && memcmp(msg + 43, h, 32) == 0,
	     "clip, big-endian index, hash");
	T_EQ(pt_clip_segment_sign(&sg, clip, 7, h, sig), PT_OK, "segment signs");
	T_EQ(pt_clip_segment_verify(ops, cam.pk, clip, 7, h, sig), PT_OK, "segment verifies");
	T_EQ(pt_clip_segment_verify(ops, cam.pk, clip, 8, h, sig), PT_EBADSIG, "other index refused");
	clip[3] ^= 1;
	T_EQ(pt_clip_segment_verify(ops, cam.pk, clip, 7, h, sig), PT_EBADSIG, "other clip refused");
	clip[3] ^= 1;
	h[31] ^= 0x80;
	T_EQ(pt_clip_segment_verify(ops, cam.pk, clip, 7, h, sig), PT_EBADSIG, "other hash refused");
	h[31] ^= 0x80;
	T_EQ(pt_clip_segment_verify(ops, other.pk, clip, 7, h, sig), PT_EBADSIG,
	     "other camera key refused");
	sig[10] ^= 4;
	T_EQ(pt_clip_segment_verify(ops, cam.pk, clip, 7, h, sig), PT_EBADSIG, "flipped sig refused");
	pt_secret_free(cam.sk);
	pt_secret_free(other.sk);
}

/* ---- sealed keys ---- */

static void
test_key(void)
{
	struct owner a, b;
	uint8_t *key = pt_clip_key_new(), *got = pt_guarded_alloc(PT_CLIP_KEY_LEN);
	uint8_t sealed[PT_CLIP_SEALED_KEY_LEN], sealed2[PT_CLIP_SEALED_KEY_LEN], zero[PT_PK_LEN] = {0};
	int ok = 0;

	T_OK(key != NULL && got != NULL, "guarded keys");
	owner_new(&a);
	owner_new(&b);
	T_EQ(PT_CLIP_SEALED_KEY_LEN, 80, "a sealed key is 80 bytes");
	T_EQ(pt_clip_key_seal(key, a.pk, sealed), PT_OK, "key sealed to owner A");
	T_EQ(pt_clip_key_seal(key, a.pk, sealed2), PT_OK, "sealed again");
	T_OK(memcmp(sealed, sealed2, sizeof(sealed)) != 0, "sealing is randomised");
	T_OK(memfind(sealed, sizeof(sealed), key, PT_CLIP_KEY_LEN) == NULL, "key not in the clear");
	T_EQ(pt_clip_key_open(a.sk, sealed, got), PT_OK, "owner A opens it");
	T_OK(memcmp(got, key, PT_CLIP_KEY_LEN) == 0, "the same key");
	T_EQ(pt_clip_key_open(b.sk, sealed, got), PT_EBADSIG, "owner B does not");
	T_OK(memcmp(got, zero, PT_CLIP_KEY_LEN) == 0, "failed open leaves zeros");
	for (size_t i = 0; i < sizeof(sealed) * 8; i++) {
		sealed[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (pt_clip_key_open(a.sk, sealed, got) == PT_OK)
			ok++;
		sealed[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	T_EQ(ok, 0, "every bit flip of a sealed key refused");
	T_EQ(pt_clip_key_seal(key, zero, sealed), PT_EINVAL, "an invalid owner key refused");
	pt_clip_key_free(key);
	pt_guarded_free(got);
	pt_secret_free(a.sk);
	pt_secret_free(b.sk);
}

/* ---- sealed segments ---- */

static size_t
chunk_at(const uint8_t *s, size_t off)
{
	return (size_t)s[off] << 24 | (size_t)s[off + 1] << 16 | (size_t)s[off + 2] << 8 | s[off + 3];
}

static void
test_segment(void)
{
	static const size_t sizes[] = {0, 1, 1000, PT_SEG_CHUNK, PT_SEG_CHUNK + 1,
				       3 * PT_SEG_CHUNK + 17};
	uint8_t *key = pt_clip_key_new(), *key2 = pt_clip_key_new();
	uint8_t clip[PT_CLIP_ID_LEN], clip2[PT_CLIP_ID_LEN];
	size_t maxp = 3 * PT_SEG_CHUNK + 17, maxs = pt_seg_sealed_size(maxp);
	uint8_t *plain = malloc(maxp), *sealed = malloc(maxs + 1), *out = malloc(maxs + 1);
	uint8_t *bad = malloc(maxs + 1);
	size_t i, k, len, olen;
	int r;

	if (plain == NULL || sealed == NULL || out == NULL || bad == NULL)
		abort();
	pt_random(clip, sizeof(clip));
	memcpy(clip2, clip, sizeof(clip));
	clip2[0] ^= 1;
	pt_random(plain, maxp);

	T_EQ(pt_seg_sealed_size(0), 30 + 21, "empty: header + one empty final chunk");
	T_EQ(pt_seg_sealed_size(PT_SEG_CHUNK), 30 + 21 + PT_SEG_CHUNK, "one full chunk");
	T_EQ(pt_seg_sealed_size(PT_SEG_CHUNK + 1), 30 + 42 + PT_SEG_CHUNK + 1, "two chunks");
	T_EQ(pt_seg_sealed_size(SIZE_MAX), 0, "overflow: 0");

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		T_EQ(pt_seg_seal(key, clip, 3, plain, n, sealed, &len), PT_OK, "%zu bytes seal", n);
		T_EQ(len, pt_seg_sealed_size(n), "%zu bytes: sealed size", n);
		T_OK(memcmp(sealed, "PTSEG1", 6) == 0, "magic");
		T_EQ(pt_seg_open(key, clip, 3, sealed, len, out, &olen), PT_OK, "%zu bytes open", n);
		T_OK(olen == n && memcmp(out, plain, n) == 0, "%zu bytes round trip", n);
		T_EQ(pt_seg_open(key, clip, 4, sealed, len, out, &olen), PT_EBADSIG,
		     "%zu bytes: other index refused", n);
		T_EQ(olen, 0, "refused: no length");
		T_EQ(pt_seg_open(key, clip2, 3, sealed, len, out, &olen), PT_EBADSIG,
		     "%zu bytes: other clip refused", n);
		T_EQ(pt_seg_open(key2, clip, 3, sealed, len, out, &olen), PT_EBADSIG,
		     "%zu bytes: other key refused", n);
		memcpy(bad, sealed, len);
		bad[len] = 0;
		T_EQ(pt_seg_open(key, clip, 3, bad, len + 1, out, &olen), PT_EMALFORMED,
		     "%zu bytes: a byte after the final chunk refused", n);
		/* Every truncation (a step for the big ones, and every chunk
		 * boundary exactly). */
		r = 0;
		for (i = 0; i < len; i += (len > 5000 ? 997 : 1))
			if (pt_seg_open(key, clip, 3, sealed, i, out, &olen) == PT_OK)
				r++;
		for (i = PT_SEG_HEADER_LEN; i < len; i += 4 + chunk_at(sealed, i))
			if (pt_seg_open(key, clip, 3, sealed, i, out, &olen) != PT_EMALFORMED)
				r++;
		T_EQ(r, 0, "%zu bytes: every truncation refused", n);
		if (n <= 1000) {
			r = 0;
			for (i = 0; i < len * 8; i++) {
				memcpy(bad, sealed, len);
				bad[i / 8] ^= (uint8_t)(1u << (i % 8));
				if (pt_seg_open(key, clip, 3, bad, len, out, &olen) == PT_OK)
					r++;
			}
			T_EQ(r, 0, "%zu bytes: every one of %zu bit flips refused", n, len * 8);
		}
	}

	/* Reorder and drop chunks in a 4-chunk segment. */
	{
		size_t n = 3 * PT_SEG_CHUNK + 17, c0 = PT_SEG_HEADER_LEN, c1, c2, c3, full;
		T_EQ(pt_seg_seal(key, clip, 9, plain, n, sealed, &len), PT_OK, "4 chunks seal");
		full = 4 + PT_SEG_CHUNK + 17;
		c1 = c0 + full;
		c2 = c1 + full;
		c3 = c2 + full;
		T_EQ(chunk_at(sealed, c3), 17 + 17, "last chunk holds the 17 left over");
		memcpy(bad, sealed, c0);
		memcpy(bad + c0, sealed + c1, full);
		memcpy(bad + c1, sealed + c0, full);
		memcpy(bad + c2, sealed + c2, len - c2);
		T_EQ(pt_seg_open(key, clip, 9, bad, len, out, &olen), PT_EBADSIG, "swapped chunks refused");
		memcpy(bad, sealed, c1);
		memcpy(bad + c1, sealed + c2, len - c2);
		T_EQ(pt_seg_open(key, clip, 9, bad, len - full, out, &olen), PT_EBADSIG,
		     "a dropped middle chunk refused");
		T_EQ(pt_seg_open(key, clip, 9, sealed, c3, out, &olen), PT_EMALFORMED,
		     "dropped final chunk: truncation detected");
		memcpy(bad, sealed, len);
		bad[c1] = 0x7f;	/* a chunk length over the limit */
		T_EQ(pt_seg_open(key, clip, 9, bad, len, out, &olen), PT_EMALFORMED,
		     "a chunk length over PT_SEG_CHUNK refused");
		memcpy(bad, sealed, len);
		memset(bad + c1, 0, 4);
		T_EQ(pt_seg_open(key, clip, 9, bad, len, out, &olen), PT_EMALFORMED,
		     "a chunk length under ABYTES refused");
		memcpy(bad, sealed, len);
		bad[0] = 'X';
		T_EQ(pt_seg_open(key, clip, 9, bad, len, out, &olen), PT_EMALFORMED, "bad magic refused");
		T_EQ(pt_seg_open(key, clip, 9, sealed, PT_CLIP_SEGMENT_SIZE_MAX + 1, out, &olen),
		     PT_ETOOBIG, "over PT_CLIP_SEGMENT_SIZE_MAX: ETOOBIG");
	}

	/* The streaming sealer: chunks of any size up to PT_SEG_CHUNK. */
	{
		struct pt_seg_sealer s;
		size_t o, cl, parts[] = {100, 0, 5000, 2};
		T_EQ(pt_seg_seal_init(&s, key, clip, 2, sealed), PT_OK, "stream init");
		o = PT_SEG_HEADER_LEN;
		for (i = 0, k = 0; i < 4; k += parts[i], i++) {
			T_EQ(pt_seg_seal_chunk(&s, plain + k, parts[i], i == 3, sealed + o, &cl), PT_OK,
			     "chunk %zu", i);
			T_EQ(cl, parts[i] + PT_SEG_CHUNK_OVERHEAD, "chunk %zu size", i);
			o += cl;
		}
		T_EQ(pt_seg_seal_chunk(&s, plain, 1, true, sealed + o, &cl), PT_EINVAL,
		     "no chunk after the final one");
		T_EQ(pt_seg_open(key, clip, 2, sealed, o, out, &olen), PT_OK, "stream opens");
		T_OK(olen == k && memcmp(out, plain, k) == 0, "stream round trip");
		T_EQ(pt_seg_seal_init(&s, key, clip, 2, sealed), PT_OK, "stream init again");
		T_EQ(pt_seg_seal_chunk(&s, plain, PT_SEG_CHUNK + 1, false, sealed + 30, &cl), PT_EINVAL,
		     "a chunk over PT_SEG_CHUNK refused");
		pt_seg_sealer_wipe(&s);
		T_OK(s.done, "wiped sealer is done");
	}
	T_EQ(pt_seg_seal(key, clip, 0, plain, PT_CLIP_SEGMENT_SIZE_MAX, sealed, &len), PT_EINVAL,
	     "sealed size over PT_CLIP_SEGMENT_SIZE_MAX refused before writing");

	pt_clip_key_free(key);
	pt_clip_key_free(key2);
	free(plain);
	free(sealed);
	free(out);
	free(bad);
}

/* ---- evidence bundles ---- */

#define EV_FIRST 40
#define EV_N 6		/* events 40..45; the manifest names 41 and 44 */

struct ev_fixture {
	struct owner cam, hub, own;
	struct pt_signer cam_sg, hub_sg;
	uint8_t clip[PT_CLIP_ID_LEN], *key;
	uint8_t *seg[3];
	size_t seg_len[3];
	uint8_t manifest[PT_CLIP_MANIFEST_MAX];
	size_t manifest_len;
	char data[EV_N][64];
	struct pt_evidence *e;
};

static void
ev_sign_cp(struct ev_fixture *f, size_t slot, int64_t seq)
{
	uint8_t msg[PT_CHECKPOINT_MSG_MAX];
	size_t ml;

	if (pt_checkpoint_message("hub-1", seq, f->e->ev[seq - f->e->ev[0].seq].hash, msg,
				  sizeof(msg), &ml) != PT_OK ||
	    f->hub_sg.sign(f->hub_sg.arg, f->e->cp[slot].sig, msg, ml) != PT_OK)
		abort();
	f->e->cp[slot].seq = seq;
}

static void
ev_fixture(struct ev_fixture *f)
{
	struct pt_clip_manifest *m;
	uint8_t plain[3000], prev[PT_HASH_LEN];
	char hex[2 * PT_CLIP_ID_LEN + 1];
	size_t i;

	memset(f, 0, sizeof(*f));
	owner_new(&f->cam);
	owner_new(&f->hub);
	owner_new(&f->own);
	pt_signer_sodium(&f->cam_sg, f->cam.sk);
	pt_signer_sodium(&f->hub_sg, f->hub.sk);
	pt_random(f->clip, sizeof(f->clip));
	if ((f->key = pt_clip_key_new()) == NULL || (f->e = calloc(1, sizeof(*f->e))) == NULL)
		abort();
	m = manifest_new(f->clip, 3, &f->own, 1, f->key);
	for (i = 0; i < 3; i++) {
		pt_random(plain, sizeof(plain));
		f->seg[i] = malloc(pt_seg_sealed_size(sizeof(plain)));
		if (f->seg[i] == NULL || pt_seg_seal(f->key, f->clip, (uint32_t)i, plain, sizeof(plain),
						     f->seg[i], &f->seg_len[i]) != PT_OK)
			abort();
		m->seg[i].size = (uint32_t)f->seg_len[i];
		ops->sha256(m->seg[i].sha256, f->seg[i], f->seg_len[i]);
	}
	if (pt_clip_manifest_sign(&f->cam_sg, m, f->manifest, sizeof(f->manifest),
				  &f->manifest_len) != PT_OK)
		abort();
	free(m);
	memcpy(f->e->camera_pk, f->cam.pk, PT_PK_LEN);
	f->e->manifest = f->manifest;
	f->e->manifest_len = f->manifest_len;
	f->e->n_segs = 3;
	for (i = 0; i < 3; i++) {
		f->e->seg[i].index = (uint32_t)i;
		f->e->seg[i].p = f->seg[i];
		f->e->seg[i].len = f->seg_len[i];
	}
	f->e->has_hub = true;
	(void)snprintf(f->e->hub_id, sizeof(f->e->hub_id), "%s", "hub-1");
	memcpy(f->e->hub_pk, f->hub.pk, PT_PK_LEN);
	pt_random(f->e->prev, PT_HASH_LEN);
	memcpy(prev, f->e->prev, PT_HASH_LEN);
	f->e->n_events = EV_N;
	pt_clip_id_text(f->clip, hex);
	for (i = 0; i < EV_N; i++) {
		struct pt_evidence_event *v = &f->e->ev[i];
		if (i == 1 || i == 4)	/* the session events name the clip, as the hub's do */
			(void)snprintf(f->data[i], sizeof(f->data[i]), "{\"n\":%zu,\"clip\":\"%s\"}",
				       i, hex);
		else
			(void)snprintf(f->data[i], sizeof(f->data[i]), "{\"n\":%zu,\"what\":\"door\"}",
				       i);
		v->seq = EV_FIRST + (int64_t)i;
		v->at = 1795600000 + (int64_t)i;
		v->type = i == 1 ? "session.start" : i == 4 ? "session.end" : "door.open";
		v->type_len = strlen(v->type);
		v->data = (const uint8_t *)f->data[i];
		v->data_len = strlen(f->data[i]);
		if (pt_event_hash(ops, prev, v->seq, v->at, v->type, v->type_len, v->data, v->data_len,
				  v->hash) != PT_OK)
			abort();
		memcpy(prev, v->hash, PT_HASH_LEN);
	}
	f->e->n_cps = 2;
	ev_sign_cp(f, 0, EV_FIRST + 2);
	ev_sign_cp(f, 1, EV_FIRST + EV_N - 1);
}

static void ev_fixture_free(struct ev_fixture *f);

/* After an event's type or data changed: every hash again, and both
 * checkpoints re-signed, so only the change itself can fail. */
static void
ev_rechain(struct ev_fixture *f)
{
	uint8_t prev[PT_HASH_LEN];
	size_t i;

	memcpy(prev, f->e->prev, PT_HASH_LEN);
	for (i = 0; i < f->e->n_events; i++) {
		struct pt_evidence_event *v = &f->e->ev[i];
		v->type_len = strlen(v->type);
		v->data_len = strlen((const char *)v->data);
		if (pt_event_hash(ops, prev, v->seq, v->at, v->type, v->type_len, v->data, v->data_len,
				  v->hash) != PT_OK)
			abort();
		memcpy(prev, v->hash, PT_HASH_LEN);
	}
	ev_sign_cp(f, 0, EV_FIRST + 2);
	ev_sign_cp(f, 1, EV_FIRST + (int64_t)f->e->n_events - 1);
}

/* M6, L2: the START and END events must be this clip's session events;
 * the hub key can be pinned; a seq at INT64_MAX does not overflow. */
static void
test_evidence_session(void)
{
	static uint8_t b[200000];
	struct ev_fixture f;
	struct pt_evidence *d = malloc(sizeof(*d));
	struct pt_clip_manifest *m = malloc(sizeof(*m));
	struct pt_evidence_result res;
	char saved[64];
	size_t len;

	if (d == NULL || m == NULL)
		abort();
	ev_fixture(&f);
	T_EQ(pt_evidence_verify_pinned(ops, f.e, f.cam.pk, f.hub.pk, m, &res), PT_OK,
	     "verifies with the camera and hub keys pinned");
	T_OK(res.hub_pinned, "and says the hub key was pinned");
	T_EQ(pt_evidence_verify(ops, f.e, f.cam.pk, m, &res), PT_OK, "verifies without the hub pin");
	T_OK(!res.hub_pinned, "and does not claim the hub");
	T_EQ(pt_evidence_verify_pinned(ops, f.e, f.cam.pk, f.own.pk, m, &res), PT_EBADSIG,
	     "another pinned hub key: fails");
	T_EQ(res.what, PT_EV_HUB_KEY, "names the hub key");

	/* START's event: another clip's session.start. */
	memcpy(saved, f.data[1], sizeof(saved));
	(void)snprintf(f.data[1], sizeof(f.data[1]), "{\"n\":1,\"clip\":\"%032d\"}", 7);
	ev_rechain(&f);
	T_EQ(pt_evidence_verify(ops, f.e, f.cam.pk, m, &res), PT_EBADSIG,
	     "START is a session.start of another clip: fails");
	T_OK(res.what == PT_EV_CLIP_SESSION && res.at == EV_FIRST + 1, "names event 41");
	T_EQ(pt_evidence_encode(f.e, b, sizeof(b), &len), PT_OK, "such a bundle encodes");
	T_OK(pt_evidence_decode(b, len, d) == PT_OK &&
		     pt_evidence_verify(ops, d, f.cam.pk, m, &res) == PT_EBADSIG &&
		     res.what == PT_EV_CLIP_SESSION,
	     "and fails after a round trip");
	memcpy(f.data[1], saved, sizeof(saved));
	/* START's event names the clip but is not a session.start. */
	f.e->ev[1].type = "door.open";
	ev_rechain(&f);
	T_EQ(pt_evidence_verify(ops, f.e, f.cam.pk, m, &res), PT_EBADSIG,
	     "START is a door.open: fails");
	T_OK(res.what == PT_EV_CLIP_SESSION && res.at == EV_FIRST + 1, "names event 41");
	f.e->ev[1].type = "session.start";
	/* END's event: a session.start, not a session.end. */
	f.e->ev[4].type = "session.start";
	ev_rechain(&f);
	T_EQ(pt_evidence_verify(ops, f.e, f.cam.pk, m, &res), PT_EBADSIG,
	     "END is not a session.end: fails");
	T_OK(res.what == PT_EV_CLIP_SESSION && res.at == EV_FIRST + 4, "names event 44");
	f.e->ev[4].type = "session.end";
	ev_rechain(&f);
	T_EQ(pt_evidence_verify(ops, f.e, f.cam.pk, m, &res), PT_OK, "restored: verifies");

	/* L2: seqs at the top of int64 (UBSan: no signed overflow). */
	f.e->ev[0].seq = INT64_MAX;
	T_EQ(pt_evidence_encode(f.e, b, sizeof(b), &len), PT_EINVAL,
	     "an event after seq INT64_MAX: not encoded");
	f.e->ev[0].seq = EV_FIRST;
	ev_fixture_free(&f);
	free(d);
	free(m);
}

static void
ev_fixture_free(struct ev_fixture *f)
{
	for (size_t i = 0; i < 3; i++)
		free(f->seg[i]);
	free(f->e);
	pt_clip_key_free(f->key);
	pt_secret_free(f->cam.sk);
	pt_secret_free(f->hub.sk);
	pt_secret_free(f->own.sk);
}

/* Flip one byte at the first occurrence of needle in the bundle, then
 * decode and verify: the failure it names. */
static enum pt_evidence_what
ev_flip(const uint8_t *b, size_t len, const uint8_t *needle, size_t nl, size_t off, int64_t *at)
{
	static uint8_t c[200000];
	struct pt_evidence *d = malloc(sizeof(*d));
	struct pt_clip_manifest *m = malloc(sizeof(*m));
	struct pt_evidence_result res;
	enum pt_evidence_what w = PT_EV_OK;
	uint8_t *hit;

	if (d == NULL || m == NULL || len > sizeof(c))
		abort();
	memcpy(c, b, len);
	hit = memfind(c, len, needle, nl);
	if (hit == NULL) {
		w = (enum pt_evidence_what)99;
		goto out;
	}
	hit[off] ^= 0x01;
	if (pt_evidence_decode(c, len, d) != PT_OK) {
		w = (enum pt_evidence_what)98;
		goto out;
	}
	if (pt_evidence_verify(ops, d, NULL, m, &res) == PT_OK)
		w = PT_EV_OK;
	else
		w = res.what;
	*at = res.at;
out:
	free(d);
	free(m);
	return w;
}

static void
test_evidence(void)
{
	static uint8_t b[200000], b2[200000];
	struct ev_fixture f;
	struct pt_evidence *d = malloc(sizeof(*d));
	struct pt_clip_manifest *m = malloc(sizeof(*m));
	struct pt_evidence_result res;
	size_t len, len2, i;
	int64_t at = -1;
	int cuts = 0;

	if (d == NULL || m == NULL)
		abort();
	ev_fixture(&f);
	T_EQ(pt_evidence_encode(f.e, b, sizeof(b), &len), PT_OK, "a bundle encodes");
	T_EQ(pt_evidence_decode(b, len, d), PT_OK, "and decodes");
	T_EQ(pt_evidence_encode(d, b2, sizeof(b2), &len2), PT_OK, "and re-encodes");
	T_OK(len2 == len && memcmp(b, b2, len) == 0, "to the same bytes");
	T_EQ(pt_evidence_verify(ops, d, NULL, m, &res), PT_OK, "the bundle verifies");
	T_OK(res.what == PT_EV_OK && res.segments == 3 && res.events == EV_N && res.checkpoints == 2,
	     "every segment, event and checkpoint checked");
	T_EQ(pt_evidence_verify(ops, d, f.cam.pk, m, &res), PT_OK, "with the camera key pinned too");
	T_EQ(pt_evidence_verify(ops, d, f.hub.pk, m, &res), PT_EBADSIG, "another pinned key");
	T_EQ(res.what, PT_EV_CAMERA_KEY, "names the camera key");
	for (i = 0; i < len; i += 37)
		if (pt_evidence_decode(b, i, d) == PT_OK)
			cuts++;
	T_EQ(cuts, 0, "truncations refused");
	T_EQ(pt_evidence_decode(b, len, d), PT_OK, "decodes again");

	/* One byte flipped in each part names that part. */
	T_EQ(ev_flip(b, len, f.seg[1] + 200, 16, 0, &at), PT_EV_SEGMENT, "a byte of segment 1");
	T_EQ(at, 1, "names segment 1");
	T_EQ(ev_flip(b, len, f.manifest + 40, 16, 0, &at), PT_EV_MANIFEST, "a byte of the manifest");
	T_EQ(ev_flip(b, len, (const uint8_t *)"{\"n\":3,", 6, 5, &at), PT_EV_EVENT,
	     "a byte of event 43's data");
	T_EQ(at, EV_FIRST + 3, "names event 43");
	T_EQ(ev_flip(b, len, f.e->ev[5].hash, PT_HASH_LEN, 7, &at), PT_EV_EVENT,
	     "a byte of event 45's recorded hash");
	T_EQ(ev_flip(b, len, f.e->cp[0].sig, PT_SIG_LEN, 9, &at), PT_EV_CHECKPOINT,
	     "a byte of a checkpoint's signature");
	T_EQ(at, EV_FIRST + 2, "names the checkpoint at event 42");
	T_EQ(ev_flip(b, len, f.e->prev, PT_HASH_LEN, 0, &at), PT_EV_EVENT,
	     "a byte of the chain's starting hash");
	T_EQ(at, EV_FIRST, "names the first event");

	/* Structural failures. */
	f.e->n_segs = 2;	/* segment 2 left out */
	T_EQ(pt_evidence_encode(f.e, b2, sizeof(b2), &len2), PT_OK, "a bundle without segment 2");
	T_OK(pt_evidence_decode(b2, len2, d) == PT_OK &&
		     pt_evidence_verify(ops, d, NULL, m, &res) == PT_EMALFORMED &&
		     res.what == PT_EV_SEGMENT_MISSING && res.at == 2,
	     "fails: segment 2 missing");
	f.e->n_segs = 3;
	f.e->n_cps = 1;		/* only the checkpoint at 42 */
	T_EQ(pt_evidence_encode(f.e, b2, sizeof(b2), &len2), PT_OK, "a bundle signed up to 42 only");
	T_OK(pt_evidence_decode(b2, len2, d) == PT_OK &&
		     pt_evidence_verify(ops, d, NULL, m, &res) == PT_EBADSIG &&
		     res.what == PT_EV_UNSIGNED && res.at == EV_FIRST + EV_N - 1,
	     "fails: event 45 not signed");
	f.e->n_cps = 2;
	f.e->n_events = 4;	/* 40..43: the END seq 44 is outside */
	ev_sign_cp(&f, 1, EV_FIRST + 3);
	T_EQ(pt_evidence_encode(f.e, b2, sizeof(b2), &len2), PT_OK, "a bundle of events 40..43");
	T_OK(pt_evidence_decode(b2, len2, d) == PT_OK &&
		     pt_evidence_verify(ops, d, NULL, m, &res) == PT_EMALFORMED &&
		     res.what == PT_EV_CLIP_EVENTS && res.at == 44,
	     "fails: the manifest's END event 44 is not in it");
	f.e->n_events = EV_N;
	ev_sign_cp(&f, 1, EV_FIRST + EV_N - 1);
	f.e->has_hub = false;
	f.e->n_events = f.e->n_cps = 0;
	T_EQ(pt_evidence_encode(f.e, b2, sizeof(b2), &len2), PT_OK, "a bundle of the clip alone");
	T_OK(pt_evidence_decode(b2, len2, d) == PT_OK && pt_evidence_verify(ops, d, NULL, m, &res) == PT_OK &&
		     res.segments == 3 && res.events == 0,
	     "verifies: the clip alone");
	T_EQ(pt_evidence_decode(b2, len2 - 1, d), PT_EMALFORMED, "cut by one byte: refused");
	b2[len2] = 0;
	T_EQ(pt_evidence_decode(b2, len2 + 1, d), PT_EMALFORMED, "a byte after the map: refused");
	f.e->has_hub = true;
	f.e->n_events = EV_N;
	f.e->n_cps = 2;
	f.e->ev[2].seq = 99;
	T_EQ(pt_evidence_encode(f.e, b2, sizeof(b2), &len2), PT_EINVAL, "non-consecutive seqs not encoded");
	f.e->ev[2].seq = EV_FIRST + 2;
	f.e->seg[1].index = 0;
	T_EQ(pt_evidence_encode(f.e, b2, sizeof(b2), &len2), PT_EINVAL, "a segment index twice not encoded");
	f.e->seg[1].index = 1;
	T_EQ(pt_evidence_decode(b, PT_EVIDENCE_MAX + 1, d), PT_ETOOBIG, "over PT_EVIDENCE_MAX: ETOOBIG");
	if (corpus_dir != NULL)
		save(corpus_dir, "evidence", 3, b, len);
	ev_fixture_free(&f);
	free(d);
	free(m);
}

/* ---- the fuzz target's seeds: its fixed keys, first byte the parser ---- */

static void
save(const char *dir, const char *name, uint8_t sel, const uint8_t *p, size_t n)
{
	char path[512];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return;
	(void)fputc(sel, f);
	(void)fwrite(p, 1, n, f);
	fclose(f);
}

static void
write_corpus(const char *dir)
{
	static uint8_t msg[PT_CLIP_MANIFEST_MAX], sealed[200000], plain[140000];
	struct pt_clip_mark mk = {.kind = PT_CLIP_MARK_START, .event_seq = 12,
				  .time_ms = 1795597200000ull};
	struct pt_clip_manifest *m;
	struct owner own[2];
	struct pt_secret *cam = pt_secret_new();
	struct pt_signer sg;
	uint8_t seed[PT_SEED_LEN], clip[PT_CLIP_ID_LEN], *key = pt_guarded_alloc(PT_CLIP_KEY_LEN);
	size_t len, i;
	static const size_t sizes[] = {0, 100, 70000};

	memset(seed, 0x11, sizeof(seed));
	if (cam == NULL || key == NULL || pt_secret_from_seed(cam, seed) != PT_OK)
		abort();
	pt_signer_sodium(&sg, cam);
	memset(clip, 0x55, sizeof(clip));
	memset(key, 0x44, PT_CLIP_KEY_LEN);
	memcpy(mk.clip, clip, sizeof(clip));
	if (pt_clip_mark_encode(&mk, msg, sizeof(msg), &len) != PT_OK)
		abort();
	save(dir, "mark_start", 0, msg, len);
	mk.kind = PT_CLIP_MARK_END;
	mk.event_seq = INT64_MAX;
	if (pt_clip_mark_encode(&mk, msg, sizeof(msg), &len) != PT_OK)
		abort();
	save(dir, "mark_end", 0, msg, len);

	owner_new(&own[0]);
	owner_new(&own[1]);
	m = manifest_new(clip, 3, own, 2, key);
	if (pt_clip_manifest_sign(&sg, m, msg, sizeof(msg), &len) != PT_OK)
		abort();
	save(dir, "manifest_3seg", 1, msg, len);
	save(dir, "manifest_3seg_payload", 1, msg + 4, len - 4 - 66);
	m->n_segments = 1;
	m->n_keys = 1;
	m->end_seq = 0;
	(void)snprintf(m->container, sizeof(m->container), "%s", "ts");
	if (pt_clip_manifest_sign(&sg, m, msg, sizeof(msg), &len) != PT_OK)
		abort();
	save(dir, "manifest_1seg_cut", 1, msg, len);
	{
		struct pt_clip_keyrec *k = keyrec_new(clip, m);
		if (pt_clip_keyrec_sign(&sg, k, msg, sizeof(msg), &len) != PT_OK)
			abort();
		save(dir, "keyrec_1key", 4, msg, len);
		save(dir, "keyrec_1key_payload", 4, msg + 3, len - 3 - 66);
		save(dir, "keyrec_as_manifest", 1, msg, len);
		free(k);
		free(m);
		m = manifest_new(clip, 1, own, 2, key);
		k = keyrec_new(clip, m);
		if (pt_clip_keyrec_sign(&sg, k, msg, sizeof(msg), &len) != PT_OK)
			abort();
		save(dir, "keyrec_2keys", 4, msg, len);
		free(k);
	}
	free(m);

	pt_random(plain, sizeof(plain));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[64];
		if (pt_seg_seal(key, clip, 1, plain, sizes[i], sealed, &len) != PT_OK)
			abort();
		(void)snprintf(name, sizeof(name), "segment_%zu", sizes[i]);
		save(dir, name, 2, sealed, len);
	}
	save(dir, "segment_truncated", 2, sealed, PT_SEG_HEADER_LEN + 4 + PT_SEG_CHUNK + 17 - 1);
	pt_secret_free(own[0].sk);
	pt_secret_free(own[1].sk);
	pt_secret_free(cam);
	pt_guarded_free(key);
}

int
main(void)
{
	const char *corpus = getenv("PORTER_CLIP_CORPUS");

	if (pt_crypto_init() != PT_OK)
		return 1;
	ops = pt_crypto_sodium();
	corpus_dir = corpus;
	if (corpus != NULL)
		write_corpus(corpus);
	test_id();
	test_mark();
	test_manifest();
	test_keyrec();
	test_segment_sig();
	test_key();
	test_segment();
	test_evidence();
	test_evidence_session();
	return t_done();
}
