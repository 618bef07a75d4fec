/*
 * The camera health message (porter/cam_health.h, docs/cam.md): payload
 * codec, signing, the signature-first opener, and the hub's per-camera
 * freshness and replay check.
 */
#include "porter/cam_health.h"

#include <string.h>

#include "porter/cbor.h"

enum {
	K_ID = 1,
	K_RUN = 2,
	K_SEQ = 3,
	K_TIME = 4,
	K_STATUS = 5,
	K_METRICS = 6,
	K_REFUSED = 7,
};
enum {
	R_COUNT = 1,
	R_CLIP = 2,
	R_STATUS = 3,
	R_AT = 4,
};
#define AT_MAX ((uint64_t)UINT32_MAX)
enum {
	M_PPS = 1,
	M_FPS = 2,
	M_AGE = 3,
	M_LUMA = 4,
	M_CONTRAST = 5,
	M_CHANGE = 6,
	M_MATCH = 7,
	M_RESTARTS = 8,
};
#define SEQ_MAX ((uint64_t)INT64_MAX)
#define TIME_MAX ((uint64_t)INT64_MAX)

/* The largest payload: map(7), id 64 bytes (1 + 2 + 64), run (1 + 1 + 16),
 * seq and time (1 + 9 each), status (1 + 2), metrics (1 + 1 + 8 x (1 + 5)),
 * refused (1 + 1 + count 1 + 5, clip 1 + 1 + 16, status 1 + 3, at 1 + 5). */
#define PAYLOAD_LARGEST (1 + (1 + 2 + PT_ID_MAX) + (1 + 1 + PT_CAM_RUN_LEN) + 2 * (1 + 9) + \
			 (1 + 2) + (1 + 1 + 8 * (1 + 5)) +                                 \
			 (1 + 1 + (1 + 5) + (1 + 1 + PT_CAM_CLIP_LEN) + (1 + 3) + (1 + 5)))
_Static_assert(PAYLOAD_LARGEST <= PT_CAM_PAYLOAD_MAX, "the largest payload fits");
_Static_assert(PT_CAM_PAYLOAD_MAX >= 24 && PT_CAM_PAYLOAD_MAX <= 255,
	       "a payload's bstr head is 2 bytes");
_Static_assert(1 + 2 + PT_CAM_PAYLOAD_MAX + 2 + PT_SIG_LEN <= PT_CAM_HEALTH_MAX,
	       "the largest message fits");
_Static_assert(PT_CAM_ALL <= 0xffu, "a status is at most 2 bytes of CBOR");

bool
pt_cam_status_is_valid(uint32_t status)
{
	if ((status & ~PT_CAM_ALL) != 0)
		return false;
	return ((status & PT_CAM_OK) != 0) == ((status & PT_CAM_PROBLEMS) == 0);
}

uint32_t
pt_cam_status_settle(uint32_t status)
{
	status &= PT_CAM_ALL & ~PT_CAM_OK;
	return (status & PT_CAM_PROBLEMS) == 0 ? status | PT_CAM_OK : status;
}

static size_t
bounded(const char *s, size_t max)
{
	size_t n = 0;

	while (n <= max && s[n] != '\0')
		n++;
	return n;
}

/* count 0: nothing refused, and nothing else said; else a 4xx or 0. */
static bool
refused_is_valid(const struct pt_cam_refused *f)
{
	static const uint8_t zero[PT_CAM_CLIP_LEN];

	if (f->count == 0)
		return memcmp(f->clip, zero, sizeof(zero)) == 0 && f->status == 0 && f->at == 0;
	return (f->status == 0 || (f->status >= PT_CAM_REFUSED_STATUS_MIN &&
				   f->status <= PT_CAM_REFUSED_STATUS_MAX)) &&
	       f->at <= AT_MAX;
}

static bool
metrics_are_valid(const struct pt_cam_metrics *m)
{
	return m->pps <= PT_CAM_PPS_MAX && m->fps <= PT_CAM_FPS_MAX &&
	       m->packet_age_ms <= PT_CAM_AGE_MAX && m->luma <= PT_CAM_LUMA_MAX &&
	       m->contrast <= PT_CAM_CONTRAST_MAX && m->change <= PT_CAM_CHANGE_MAX &&
	       (!m->has_match || m->match <= PT_CAM_MATCH_MAX) && (m->has_match || m->match == 0);
}

/* NOREF and "no match metric" say the same thing, so they must agree. */
static bool
health_is_valid(const struct pt_cam_health *h, size_t *id_len)
{
	*id_len = bounded(h->id, PT_ID_MAX);
	return pt_id_is_valid(h->id, *id_len) && h->seq >= 1 && h->seq <= SEQ_MAX &&
	       h->time_ms <= TIME_MAX && pt_cam_status_is_valid(h->status) &&
	       metrics_are_valid(&h->m) && (((h->status & PT_CAM_NOREF) != 0) == !h->m.has_match) &&
	       refused_is_valid(&h->refused);
}

int
pt_cam_payload_encode(const struct pt_cam_health *h, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;
	size_t id_len;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (h == NULL || (out == NULL && cap != 0) || !health_is_valid(h, &id_len))
		return PT_EINVAL;
	pt_cbor_wr_init(&w, out, cap < PT_CAM_PAYLOAD_MAX ? cap : PT_CAM_PAYLOAD_MAX);
	pt_cbor_put_map(&w, h->refused.count != 0 ? 7 : 6);
	pt_cbor_put_uint(&w, K_ID);
	pt_cbor_put_text(&w, h->id, id_len);
	pt_cbor_put_uint(&w, K_RUN);
	pt_cbor_put_bytes(&w, h->run, PT_CAM_RUN_LEN);
	pt_cbor_put_uint(&w, K_SEQ);
	pt_cbor_put_uint(&w, h->seq);
	pt_cbor_put_uint(&w, K_TIME);
	pt_cbor_put_uint(&w, h->time_ms);
	pt_cbor_put_uint(&w, K_STATUS);
	pt_cbor_put_uint(&w, h->status);
	pt_cbor_put_uint(&w, K_METRICS);
	pt_cbor_put_map(&w, h->m.has_match ? 8 : 7);
	pt_cbor_put_uint(&w, M_PPS);
	pt_cbor_put_uint(&w, h->m.pps);
	pt_cbor_put_uint(&w, M_FPS);
	pt_cbor_put_uint(&w, h->m.fps);
	pt_cbor_put_uint(&w, M_AGE);
	pt_cbor_put_uint(&w, h->m.packet_age_ms);
	pt_cbor_put_uint(&w, M_LUMA);
	pt_cbor_put_uint(&w, h->m.luma);
	pt_cbor_put_uint(&w, M_CONTRAST);
	pt_cbor_put_uint(&w, h->m.contrast);
	pt_cbor_put_uint(&w, M_CHANGE);
	pt_cbor_put_uint(&w, h->m.change);
	if (h->m.has_match) {
		pt_cbor_put_uint(&w, M_MATCH);
		pt_cbor_put_uint(&w, h->m.match);
	}
	pt_cbor_put_uint(&w, M_RESTARTS);
	pt_cbor_put_uint(&w, h->m.restarts);
	if (h->refused.count != 0) {
		pt_cbor_put_uint(&w, K_REFUSED);
		pt_cbor_put_map(&w, 4);
		pt_cbor_put_uint(&w, R_COUNT);
		pt_cbor_put_uint(&w, h->refused.count);
		pt_cbor_put_uint(&w, R_CLIP);
		pt_cbor_put_bytes(&w, h->refused.clip, PT_CAM_CLIP_LEN);
		pt_cbor_put_uint(&w, R_STATUS);
		pt_cbor_put_uint(&w, h->refused.status);
		pt_cbor_put_uint(&w, R_AT);
		pt_cbor_put_uint(&w, h->refused.at);
	}
	if (pt_cbor_wr_status(&w) != PT_OK)
		return PT_ENOSPC;
	*out_len = w.len;
	return PT_OK;
}

static int
read_u32(struct pt_cbor_rd *rd, uint32_t max, uint32_t *v)
{
	uint64_t u;

	if (pt_cbor_uint(rd, &u) != PT_OK || u > max)
		return PT_EMALFORMED;
	*v = (uint32_t)u;
	return PT_OK;
}

static int
read_metrics(struct pt_cbor_rd *rd, struct pt_cam_metrics *m)
{
	struct pt_cbor_keys keys;
	uint64_t n, i;
	int64_t key;
	unsigned seen = 0;
	int r;

	if (pt_cbor_map(rd, &n) != PT_OK || n < 7 || n > 8)
		return PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		if (pt_cbor_key(rd, &keys, &key) != PT_OK)
			return PT_EMALFORMED;
		switch (key) {
		case M_PPS: r = read_u32(rd, PT_CAM_PPS_MAX, &m->pps); break;
		case M_FPS: r = read_u32(rd, PT_CAM_FPS_MAX, &m->fps); break;
		case M_AGE: r = read_u32(rd, PT_CAM_AGE_MAX, &m->packet_age_ms); break;
		case M_LUMA: r = read_u32(rd, PT_CAM_LUMA_MAX, &m->luma); break;
		case M_CONTRAST: r = read_u32(rd, PT_CAM_CONTRAST_MAX, &m->contrast); break;
		case M_CHANGE: r = read_u32(rd, PT_CAM_CHANGE_MAX, &m->change); break;
		case M_MATCH:
			r = read_u32(rd, PT_CAM_MATCH_MAX, &m->match);
			m->has_match = true;
			break;
		case M_RESTARTS: r = read_u32(rd, UINT32_MAX, &m->restarts); break;
		default: return PT_EMALFORMED;
		}
		if (r != PT_OK)
			return r;
		seen |= 1u << key;
	}
	/* Keys ascend strictly, so n pairs from 1..8 with 7 absent at most
	 * once means: all of them, or all but 7. */
	if ((seen | 1u << M_MATCH) != 0x1feu)
		return PT_EMALFORMED;
	return PT_OK;
}

/* Key 7: map(4), keys 1..4 ascending, each once. */
static int
read_refused(struct pt_cbor_rd *rd, struct pt_cam_refused *f)
{
	struct pt_cbor_keys keys;
	const uint8_t *s;
	size_t sl;
	uint64_t n, i, v;
	int64_t key;

	if (pt_cbor_map(rd, &n) != PT_OK || n != 4)
		return PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		if (pt_cbor_key(rd, &keys, &key) != PT_OK)
			return PT_EMALFORMED;
		switch (key) {
		case R_COUNT:
			if (pt_cbor_uint(rd, &v) != PT_OK || v < 1 || v > UINT32_MAX)
				return PT_EMALFORMED;
			f->count = (uint32_t)v;
			break;
		case R_CLIP:
			if (pt_cbor_bytes(rd, &s, &sl) != PT_OK || sl != PT_CAM_CLIP_LEN)
				return PT_EMALFORMED;
			memcpy(f->clip, s, sl);
			break;
		case R_STATUS:
			if (pt_cbor_uint(rd, &v) != PT_OK ||
			    (v != 0 && (v < PT_CAM_REFUSED_STATUS_MIN || v > PT_CAM_REFUSED_STATUS_MAX)))
				return PT_EMALFORMED;
			f->status = (uint32_t)v;
			break;
		case R_AT:
			if (pt_cbor_uint(rd, &v) != PT_OK || v > AT_MAX)
				return PT_EMALFORMED;
			f->at = v;
			break;
		default:
			return PT_EMALFORMED;
		}
	}
	/* Four pairs, keys strictly ascending from 1..4: each once. */
	return PT_OK;
}

int
pt_cam_payload_decode(const uint8_t *p, size_t len, struct pt_cam_health *h)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	const uint8_t *s;
	size_t sl, id_len;
	uint64_t n, i, v;
	int64_t key;
	unsigned seen = 0;
	int r = PT_EMALFORMED;

	if (h == NULL)
		return PT_EINVAL;
	memset(h, 0, sizeof(*h));
	if (p == NULL)
		goto fail;
	if (len > PT_CAM_PAYLOAD_MAX) {
		r = PT_ETOOBIG;
		goto fail;
	}
	pt_cbor_rd_init(&rd, p, len);
	if (pt_cbor_map(&rd, &n) != PT_OK || n < 6 || n > 7)
		goto fail;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		/* Keys strictly ascend, so each comes at most once; seen
		 * says 1..6 all came (7, refused, is optional). */
		if (pt_cbor_key(&rd, &keys, &key) != PT_OK || key < K_ID || key > K_REFUSED)
			goto fail;
		seen |= 1u << key;
		switch (key) {
		case K_ID:
			if (pt_cbor_text(&rd, &s, &sl) != PT_OK ||
			    !pt_id_is_valid((const char *)s, sl))
				goto fail;
			memcpy(h->id, s, sl);
			h->id[sl] = '\0';
			break;
		case K_RUN:
			if (pt_cbor_bytes(&rd, &s, &sl) != PT_OK || sl != PT_CAM_RUN_LEN)
				goto fail;
			memcpy(h->run, s, sl);
			break;
		case K_SEQ:
			if (pt_cbor_uint(&rd, &v) != PT_OK || v < 1 || v > SEQ_MAX)
				goto fail;
			h->seq = v;
			break;
		case K_TIME:
			if (pt_cbor_uint(&rd, &v) != PT_OK || v > TIME_MAX)
				goto fail;
			h->time_ms = v;
			break;
		case K_STATUS:
			if (pt_cbor_uint(&rd, &v) != PT_OK || v > UINT32_MAX ||
			    !pt_cam_status_is_valid((uint32_t)v))
				goto fail;
			h->status = (uint32_t)v;
			break;
		case K_METRICS:
			if (read_metrics(&rd, &h->m) != PT_OK)
				goto fail;
			break;
		case K_REFUSED:
			if (read_refused(&rd, &h->refused) != PT_OK)
				goto fail;
			break;
		default:
			goto fail;
		}
	}
	if ((seen & 0x7eu) != 0x7eu || !pt_cbor_rd_done(&rd) || !health_is_valid(h, &id_len))
		goto fail;
	return PT_OK;
fail:
	memset(h, 0, sizeof(*h));
	return r;
}

int
pt_cam_health_signed_bytes(const uint8_t *payload, size_t len, uint8_t *out, size_t cap,
			   size_t *out_len)
{
	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (payload == NULL || (out == NULL && cap != 0))
		return PT_EINVAL;
	if (len > PT_CAM_PAYLOAD_MAX)
		return PT_ETOOBIG;
	if (cap < sizeof(PT_CAM_HEALTH_DOMAIN) + len)
		return PT_ENOSPC;
	memcpy(out, PT_CAM_HEALTH_DOMAIN, sizeof(PT_CAM_HEALTH_DOMAIN)); /* with its NUL */
	memcpy(out + sizeof(PT_CAM_HEALTH_DOMAIN), payload, len);
	*out_len = sizeof(PT_CAM_HEALTH_DOMAIN) + len;
	return PT_OK;
}

int
pt_cam_health_sign(const struct pt_signer *sg, const struct pt_cam_health *h, uint8_t *out,
		   size_t cap, size_t *out_len)
{
	uint8_t payload[PT_CAM_PAYLOAD_MAX];
	uint8_t tbs[sizeof(PT_CAM_HEALTH_DOMAIN) + PT_CAM_PAYLOAD_MAX];
	uint8_t sig[PT_SIG_LEN];
	struct pt_cbor_wr w;
	size_t plen, tlen;
	int r;

	if (out_len == NULL)
		return PT_EINVAL;
	*out_len = 0;
	if (sg == NULL || sg->sign == NULL || (out == NULL && cap != 0))
		return PT_EINVAL;
	if ((r = pt_cam_payload_encode(h, payload, sizeof(payload), &plen)) != PT_OK)
		return r;
	if ((r = pt_cam_health_signed_bytes(payload, plen, tbs, sizeof(tbs), &tlen)) != PT_OK)
		return r;
	if ((r = sg->sign(sg->arg, sig, tbs, tlen)) != PT_OK)
		return r;
	pt_cbor_wr_init(&w, out, cap < PT_CAM_HEALTH_MAX ? cap : PT_CAM_HEALTH_MAX);
	pt_cbor_put_array(&w, 2);
	pt_cbor_put_bytes(&w, payload, plen);
	pt_cbor_put_bytes(&w, sig, PT_SIG_LEN);
	if (pt_cbor_wr_status(&w) != PT_OK)
		return PT_ENOSPC;
	*out_len = w.len;
	return PT_OK;
}

int
pt_cam_health_open(const struct pt_crypto_ops *ops, const uint8_t cam_pk[PT_PK_LEN],
		   const uint8_t *p, size_t len, struct pt_cam_health *h)
{
	uint8_t tbs[sizeof(PT_CAM_HEALTH_DOMAIN) + PT_CAM_PAYLOAD_MAX];
	struct pt_cbor_rd rd;
	const uint8_t *payload, *sig;
	size_t plen, slen, tlen;
	uint64_t n;
	int r = PT_EMALFORMED;

	if (h == NULL)
		return PT_EINVAL;
	memset(h, 0, sizeof(*h));
	if (p == NULL)
		return PT_EMALFORMED;
	if (len > PT_CAM_HEALTH_MAX)
		return PT_ETOOBIG;
	pt_cbor_rd_init(&rd, p, len);
	if (pt_cbor_array(&rd, &n) != PT_OK || n != 2 ||
	    pt_cbor_bytes(&rd, &payload, &plen) != PT_OK ||
	    pt_cbor_bytes(&rd, &sig, &slen) != PT_OK || slen != PT_SIG_LEN ||
	    !pt_cbor_rd_done(&rd))
		return PT_EMALFORMED;
	if (plen > PT_CAM_PAYLOAD_MAX)
		return PT_ETOOBIG;
	/* The signature first: nothing of an unsigned payload is read. */
	if (ops == NULL || ops->ed25519_verify == NULL || cam_pk == NULL)
		return PT_EBADSIG;
	if ((r = pt_cam_health_signed_bytes(payload, plen, tbs, sizeof(tbs), &tlen)) != PT_OK)
		return r;
	if (!ops->ed25519_verify(sig, tbs, tlen, cam_pk))
		return PT_EBADSIG;
	return pt_cam_payload_decode(payload, plen, h);
}

int
pt_cam_watch_init(struct pt_cam_watch *w, const char *id, const uint8_t pk[PT_PK_LEN],
		  uint32_t max_age_ms)
{
	size_t n;

	if (w == NULL)
		return PT_EINVAL;
	memset(w, 0, sizeof(*w));
	if (id == NULL || pk == NULL || max_age_ms == 0)
		return PT_EINVAL;
	n = bounded(id, PT_ID_MAX);
	if (!pt_id_is_valid(id, n))
		return PT_EINVAL;
	memcpy(w->id, id, n);
	memcpy(w->pk, pk, PT_PK_LEN);
	w->max_age_ms = max_age_ms;
	return PT_OK;
}

/* Is m newer than the last accepted message? */
static bool
is_newer(const struct pt_cam_watch *w, const struct pt_cam_health *m)
{
	if (!w->have || m->time_ms > w->last.time_ms)
		return true;
	return m->time_ms == w->last.time_ms &&
	       memcmp(m->run, w->last.run, PT_CAM_RUN_LEN) == 0 && m->seq > w->last.seq;
}

int
pt_cam_watch_receive(struct pt_cam_watch *w, const struct pt_crypto_ops *ops, const uint8_t *p,
		     size_t len, uint64_t now_ms, struct pt_cam_health *out)
{
	struct pt_cam_health m;
	int r;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (w == NULL || w->max_age_ms == 0)
		return PT_EINVAL;
	if ((r = pt_cam_health_open(ops, w->pk, p, len, &m)) != PT_OK)
		return r;
	r = PT_EUNTRUSTED;
	if (strcmp(m.id, w->id) != 0)
		goto refuse;
	r = PT_ESTALE;
	if (m.time_ms > now_ms + PT_CAM_FUTURE_MAX_MS ||
	    (now_ms > w->max_age_ms && m.time_ms < now_ms - w->max_age_ms))
		goto refuse;
	r = PT_EREPLAY;
	if (!is_newer(w, &m))
		goto refuse;
	w->last = m;
	w->have = true;
	if (out != NULL)
		*out = m;
	return PT_OK;
refuse:
	memset(&m, 0, sizeof(m));
	return r;
}

bool
pt_cam_watch_is_healthy(const struct pt_cam_watch *w, uint64_t now_ms)
{
	if (w == NULL || !w->have || (w->last.status & PT_CAM_OK) == 0)
		return false;
	if (w->last.time_ms > now_ms + PT_CAM_FUTURE_MAX_MS)
		return false;
	return w->last.time_ms >= now_ms || now_ms - w->last.time_ms <= w->max_age_ms;
}

void
pt_cam_status_text(uint32_t status, char *out, size_t cap)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{PT_CAM_OK, "ok"},	     {PT_CAM_STALLED, "stalled"}, {PT_CAM_FROZEN, "frozen"},
		{PT_CAM_BLACK, "black"},     {PT_CAM_MOVED, "moved"},	  {PT_CAM_STARTING, "starting"},
		{PT_CAM_NOREF, "noref"},
	};
	size_t i, n = 0, l;

	if (out == NULL || cap == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((status & names[i].bit) == 0)
			continue;
		l = strlen(names[i].name);
		if (n + (n != 0) + l + 1 > cap)
			return;
		if (n != 0)
			out[n++] = ',';
		memcpy(out + n, names[i].name, l + 1);
		n += l;
	}
	if (n == 0 && cap > 4)
		memcpy(out, "none", 5);
}
