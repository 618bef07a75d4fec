/*
 * Grants: rules, claims encoding and decoding, signing; chains of them.
 */
#include "porter/cred.h"

#include <string.h>

#include "porter/cbor.h"

/* Link profile: protected header is exactly {1: -8, 4: h'<8 bytes>'}. */
static const uint8_t prot_prefix[] = {0xa2, 0x01, 0x27, 0x04, 0x48};
#define PROT_LEN (sizeof(prot_prefix) + PT_KID_LEN)

void
pt_kid(const struct pt_crypto_ops *ops, const uint8_t pk[PT_PK_LEN], uint8_t kid[PT_KID_LEN])
{
	uint8_t h[PT_HASH_LEN];

	ops->sha256(h, pk, PT_PK_LEN);
	memcpy(kid, h, PT_KID_LEN);
}

const char *
pt_purpose_name(unsigned purpose)
{
	switch (purpose) {
	case PT_PURPOSE_RESIDENT:
		return "resident";
	case PT_PURPOSE_GUEST:
		return "guest";
	case PT_PURPOSE_SERVICE:
		return "service";
	case PT_PURPOSE_DELIVERY:
		return "delivery";
	default:
		return NULL;
	}
}

int
pt_purpose_parse(const char *s, uint8_t *purpose)
{
	uint8_t p;

	for (p = PT_PURPOSE_RESIDENT; p <= PT_PURPOSE_DELIVERY; p++) {
		if (strcmp(s, pt_purpose_name(p)) == 0) {
			*purpose = p;
			return PT_OK;
		}
	}
	*purpose = 0;
	return PT_EINVAL;
}

/* Ids: 1..PT_ID_MAX of [A-Za-z0-9._-]; they end up in MQTT topics,
 * file names and log lines, so nothing else gets in. */
bool
pt_id_is_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > PT_ID_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return s[0] != '.';
}

/* IANA zone names: become a path under the zoneinfo directory, so no
 * "..", no leading '/', a strict character set. */
bool
pt_tzname_is_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > PT_TZNAME_MAX || s[0] == '/' || s[len - 1] == '/')
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '-' || c == '+'))
			return false;
		if (c == '/' && s[i + 1] == '/')
			return false;
	}
	return true;	/* '.' is not allowed at all, so ".." cannot occur */
}

static bool
time_is_valid(int64_t t)
{
	return t >= 0 && t <= PT_TIME_MAX;
}

static size_t
bounded_len(const char *s, size_t max)
{
	size_t n = 0;

	while (n <= max && s[n] != '\0')
		n++;
	return n;
}

static bool
text_is_valid(const char *s, size_t max)
{
	size_t n = bounded_len(s, max);

	return n <= max && pt_text_is_printable((const uint8_t *)s, n);
}

int
pt_grant_check(const struct pt_grant *g)
{
	const struct pt_schedule *s = &g->sched;
	static const uint8_t zero[PT_CTI_LEN];
	size_t i, n;

	if (!pt_id_is_valid(g->aud, bounded_len(g->aud, PT_ID_MAX)) ||
	    bounded_len(g->aud, PT_ID_MAX) > PT_ID_MAX)
		return PT_EMALFORMED;
	if ((g->has_nbf && !time_is_valid(g->nbf)) || (g->has_exp && !time_is_valid(g->exp)) ||
	    (g->has_iat && !time_is_valid(g->iat)))
		return PT_EMALFORMED;
	if (g->has_nbf && g->has_exp && g->nbf >= g->exp)
		return PT_EMALFORMED;
	if (memcmp(g->cti, zero, PT_CTI_LEN) == 0)
		return PT_EMALFORMED;
	if (g->n_locks > PT_LOCKS_MAX)
		return PT_EMALFORMED;
	for (i = 0; i < g->n_locks; i++) {
		n = bounded_len(g->locks[i], PT_ID_MAX);
		if (n > PT_ID_MAX || !pt_id_is_valid(g->locks[i], n))
			return PT_EMALFORMED;
		/* strictly ascending: one encoding, no duplicates */
		if (i > 0 && strcmp(g->locks[i - 1], g->locks[i]) >= 0)
			return PT_EMALFORMED;
	}
	if (pt_purpose_name(g->purpose) == NULL)
		return PT_EMALFORMED;
	if (g->has_entries && (g->entries == 0 || g->entries > PT_ENTRIES_MAX))
		return PT_EMALFORMED;
	if (g->depth > PT_DEPTH_MAX || (g->cond & ~PT_COND_KNOWN) != 0)
		return PT_EMALFORMED;
	if (g->has_door_open && (g->door_open_max == 0 || g->door_open_max > PT_DOOR_OPEN_MAX))
		return PT_EMALFORMED;
	/* Strangers never get standing access: non-residents must expire,
	 * and a delivery is a counted number of entries. */
	if (g->purpose != PT_PURPOSE_RESIDENT && !g->has_exp)
		return PT_EMALFORMED;
	if (g->purpose == PT_PURPOSE_DELIVERY && !g->has_entries)
		return PT_EMALFORMED;
	if (s->n_windows > PT_WINDOWS_MAX || s->n_weekly > PT_WEEKLY_MAX)
		return PT_EMALFORMED;
	for (i = 0; i < s->n_windows; i++) {
		const struct pt_window *w = &s->windows[i];
		if (!time_is_valid(w->start) || !time_is_valid(w->end) || w->start >= w->end)
			return PT_EMALFORMED;
		if (i > 0 && s->windows[i - 1].end > w->start)
			return PT_EMALFORMED;	/* sorted, not overlapping */
	}
	for (i = 0; i < s->n_weekly; i++) {
		const struct pt_weekly *w = &s->weekly[i];
		if (w->days == 0 || w->days > 0x7f || w->start_min >= w->end_min ||
		    w->end_min > 1440)
			return PT_EMALFORMED;
	}
	n = bounded_len(s->tz, PT_TZNAME_MAX);
	if (s->n_weekly > 0 ? !pt_tzname_is_valid(s->tz, n) : n != 0)
		return PT_EMALFORMED;
	if (!text_is_valid(g->note, PT_NOTE_MAX))
		return PT_EMALFORMED;
	/* Duress: a resident's own credential, never delegated further (so
	 * no child can drop the marker, and none can be under it). */
	if (g->duress && (g->purpose != PT_PURPOSE_RESIDENT || g->depth != 0))
		return PT_EMALFORMED;
	return PT_OK;
}

static void
put_key(struct pt_cbor_wr *w, int64_t key)
{
	pt_cbor_put_int(w, key);
}

int
pt_grant_encode_claims(const struct pt_grant *g, uint8_t *out, size_t cap, size_t *out_len)
{
	const struct pt_schedule *s = &g->sched;
	struct pt_cbor_wr w;
	size_t n, i, note_len;
	int r;

	*out_len = 0;
	if ((r = pt_grant_check(g)) != PT_OK)
		return r;
	note_len = strlen(g->note);
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_map(&w, 4u + g->has_exp + g->has_nbf + g->has_iat);
	put_key(&w, PT_CWT_AUD);
	pt_cbor_put_text(&w, g->aud, strlen(g->aud));
	if (g->has_exp) {
		put_key(&w, PT_CWT_EXP);
		pt_cbor_put_uint(&w, (uint64_t)g->exp);
	}
	if (g->has_nbf) {
		put_key(&w, PT_CWT_NBF);
		pt_cbor_put_uint(&w, (uint64_t)g->nbf);
	}
	if (g->has_iat) {
		put_key(&w, PT_CWT_IAT);
		pt_cbor_put_uint(&w, (uint64_t)g->iat);
	}
	put_key(&w, PT_CWT_CTI);
	pt_cbor_put_bytes(&w, g->cti, PT_CTI_LEN);
	put_key(&w, PT_CWT_CNF);
	pt_cbor_put_map(&w, 1);
	put_key(&w, 1);			/* COSE_Key */
	pt_cbor_put_map(&w, 3);
	put_key(&w, 1);			/* kty */
	pt_cbor_put_uint(&w, 1);	/* OKP */
	put_key(&w, -1);		/* crv */
	pt_cbor_put_uint(&w, 6);	/* Ed25519 */
	put_key(&w, -2);		/* x */
	pt_cbor_put_bytes(&w, g->holder, PT_PK_LEN);

	put_key(&w, PT_CWT_PORTER);
	n = 2u + (g->n_locks > 0) + g->has_entries + (g->cond != 0) + g->has_door_open +
	    (s->n_weekly > 0) * 2u + (s->n_windows > 0) + (note_len > 0) + g->duress;
	pt_cbor_put_map(&w, n);
	if (g->n_locks > 0) {
		put_key(&w, PT_PC_LOCKS);
		pt_cbor_put_array(&w, g->n_locks);
		for (i = 0; i < g->n_locks; i++)
			pt_cbor_put_text(&w, g->locks[i], strlen(g->locks[i]));
	}
	put_key(&w, PT_PC_PURPOSE);
	pt_cbor_put_uint(&w, g->purpose);
	if (g->has_entries) {
		put_key(&w, PT_PC_ENTRIES);
		pt_cbor_put_uint(&w, g->entries);
	}
	put_key(&w, PT_PC_DEPTH);
	pt_cbor_put_uint(&w, g->depth);
	if (g->cond != 0) {
		put_key(&w, PT_PC_COND);
		pt_cbor_put_uint(&w, g->cond);
	}
	if (g->has_door_open) {
		put_key(&w, PT_PC_DOOR_OPEN);
		pt_cbor_put_uint(&w, g->door_open_max);
	}
	if (s->n_weekly > 0) {
		put_key(&w, PT_PC_TZ);
		pt_cbor_put_text(&w, s->tz, strlen(s->tz));
	}
	if (s->n_windows > 0) {
		put_key(&w, PT_PC_WINDOWS);
		pt_cbor_put_array(&w, s->n_windows);
		for (i = 0; i < s->n_windows; i++) {
			pt_cbor_put_array(&w, 2);
			pt_cbor_put_uint(&w, (uint64_t)s->windows[i].start);
			pt_cbor_put_uint(&w, (uint64_t)s->windows[i].end);
		}
	}
	if (s->n_weekly > 0) {
		put_key(&w, PT_PC_WEEKLY);
		pt_cbor_put_array(&w, s->n_weekly);
		for (i = 0; i < s->n_weekly; i++) {
			pt_cbor_put_array(&w, 3);
			pt_cbor_put_uint(&w, s->weekly[i].days);
			pt_cbor_put_uint(&w, s->weekly[i].start_min);
			pt_cbor_put_uint(&w, s->weekly[i].end_min);
		}
	}
	if (note_len > 0) {
		put_key(&w, PT_PC_NOTE);
		pt_cbor_put_text(&w, g->note, note_len);
	}
	if (g->duress) {
		put_key(&w, PT_PC_DURESS);
		pt_cbor_put_bool(&w, true);
	}
	if ((r = pt_cbor_wr_status(&w)) != PT_OK)
		return r;
	*out_len = w.len;
	return PT_OK;
}

/* A text item copied into dst[cap + 1] as a C string. */
static int
read_str(struct pt_cbor_rd *rd, char *dst, size_t cap)
{
	const uint8_t *p;
	size_t len;

	if (pt_cbor_text(rd, &p, &len) != PT_OK || len > cap)
		return PT_EMALFORMED;
	memcpy(dst, p, len);
	dst[len] = '\0';
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
read_time(struct pt_cbor_rd *rd, int64_t *t)
{
	uint64_t u;

	if (pt_cbor_uint(rd, &u) != PT_OK || u > (uint64_t)PT_TIME_MAX)
		return PT_EMALFORMED;
	*t = (int64_t)u;
	return PT_OK;
}

static int
read_cnf(struct pt_cbor_rd *rd, uint8_t holder[PT_PK_LEN])
{
	struct pt_cbor_keys keys;
	const uint8_t *x;
	uint64_t n, u;
	size_t len;
	int64_t k;

	/* {1: {1: 1, -1: 6, -2: x}}: exactly an Ed25519 OKP key. */
	if (pt_cbor_map(rd, &n) != PT_OK || n != 1 || pt_cbor_int(rd, &k) != PT_OK || k != 1)
		return PT_EMALFORMED;
	if (pt_cbor_map(rd, &n) != PT_OK)
		return PT_EMALFORMED;
	if (n != 3)
		return PT_EUNSUPPORTED;
	pt_cbor_key_init(&keys);
	if (pt_cbor_key(rd, &keys, &k) != PT_OK || k != 1 || pt_cbor_uint(rd, &u) != PT_OK)
		return PT_EMALFORMED;
	if (u != 1)
		return PT_EUNSUPPORTED;
	if (pt_cbor_key(rd, &keys, &k) != PT_OK || k != -1 || pt_cbor_uint(rd, &u) != PT_OK)
		return PT_EMALFORMED;
	if (u != 6)
		return PT_EUNSUPPORTED;
	if (pt_cbor_key(rd, &keys, &k) != PT_OK || k != -2 ||
	    pt_cbor_bytes(rd, &x, &len) != PT_OK || len != PT_PK_LEN)
		return PT_EMALFORMED;
	memcpy(holder, x, PT_PK_LEN);
	return PT_OK;
}

static int
read_porter(struct pt_cbor_rd *rd, struct pt_grant *g)
{
	struct pt_schedule *s = &g->sched;
	struct pt_cbor_keys keys;
	uint64_t n, m, i, u;
	uint32_t v;
	int64_t k;
	bool has_purpose = false, has_depth = false;

	/* More keys than we know cannot all be known: still read them, so an
	 * unknown one is reported as unsupported rather than malformed. */
	if (pt_cbor_map(rd, &n) != PT_OK || n > 32)
		return PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		if (pt_cbor_key(rd, &keys, &k) != PT_OK)
			return PT_EMALFORMED;
		switch (k) {
		case PT_PC_LOCKS:
			if (pt_cbor_array(rd, &m) != PT_OK || m == 0 || m > PT_LOCKS_MAX)
				return PT_EMALFORMED;
			g->n_locks = (uint8_t)m;
			for (u = 0; u < m; u++)
				if (read_str(rd, g->locks[u], PT_ID_MAX) != PT_OK)
					return PT_EMALFORMED;
			break;
		case PT_PC_PURPOSE:
			if (read_u32(rd, 255, &v) != PT_OK)
				return PT_EMALFORMED;
			g->purpose = (uint8_t)v;
			has_purpose = true;
			break;
		case PT_PC_ENTRIES:
			if (read_u32(rd, PT_ENTRIES_MAX, &g->entries) != PT_OK)
				return PT_EMALFORMED;
			g->has_entries = true;
			break;
		case PT_PC_DEPTH:
			if (read_u32(rd, PT_DEPTH_MAX, &v) != PT_OK)
				return PT_EMALFORMED;
			g->depth = (uint8_t)v;
			has_depth = true;
			break;
		case PT_PC_COND:
			if (read_u32(rd, UINT32_MAX, &g->cond) != PT_OK)
				return PT_EMALFORMED;
			if (g->cond == 0)
				return PT_EMALFORMED;	/* absent is the only encoding of none */
			if (g->cond & ~PT_COND_KNOWN)
				return PT_EUNSUPPORTED;	/* a condition we cannot enforce */
			break;
		case PT_PC_DOOR_OPEN:
			if (read_u32(rd, PT_DOOR_OPEN_MAX, &g->door_open_max) != PT_OK)
				return PT_EMALFORMED;
			g->has_door_open = true;
			break;
		case PT_PC_TZ:
			if (read_str(rd, s->tz, PT_TZNAME_MAX) != PT_OK || s->tz[0] == '\0')
				return PT_EMALFORMED;	/* absent is the only encoding of none */
			break;
		case PT_PC_WINDOWS:
			if (pt_cbor_array(rd, &m) != PT_OK || m == 0 || m > PT_WINDOWS_MAX)
				return PT_EMALFORMED;
			s->n_windows = (uint8_t)m;
			for (u = 0; u < m; u++) {
				uint64_t two;
				if (pt_cbor_array(rd, &two) != PT_OK || two != 2 ||
				    read_time(rd, &s->windows[u].start) != PT_OK ||
				    read_time(rd, &s->windows[u].end) != PT_OK)
					return PT_EMALFORMED;
			}
			break;
		case PT_PC_WEEKLY:
			if (pt_cbor_array(rd, &m) != PT_OK || m == 0 || m > PT_WEEKLY_MAX)
				return PT_EMALFORMED;
			s->n_weekly = (uint8_t)m;
			for (u = 0; u < m; u++) {
				uint64_t three;
				uint32_t d, a, b;
				if (pt_cbor_array(rd, &three) != PT_OK || three != 3 ||
				    read_u32(rd, 0x7f, &d) != PT_OK ||
				    read_u32(rd, 1440, &a) != PT_OK || read_u32(rd, 1440, &b) != PT_OK)
					return PT_EMALFORMED;
				s->weekly[u].days = (uint8_t)d;
				s->weekly[u].start_min = (uint16_t)a;
				s->weekly[u].end_min = (uint16_t)b;
			}
			break;
		case PT_PC_NOTE:
			if (read_str(rd, g->note, PT_NOTE_MAX) != PT_OK || g->note[0] == '\0')
				return PT_EMALFORMED;
			break;
		case PT_PC_DURESS:
			if (pt_cbor_bool(rd, &g->duress) != PT_OK || !g->duress)
				return PT_EMALFORMED;	/* absent is the only encoding of false */
			break;
		default:
			return PT_EUNSUPPORTED;	/* every porter claim is critical */
		}
	}
	if (!has_purpose || !has_depth)
		return PT_EMALFORMED;
	return PT_OK;
}

int
pt_grant_decode_claims(const uint8_t *p, size_t len, struct pt_grant *g)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	const uint8_t *b;
	uint64_t n, i;
	size_t blen;
	int64_t k;
	unsigned seen = 0;
	int r = PT_EMALFORMED;

	memset(g, 0, sizeof(*g));
	pt_cbor_rd_init(&rd, p, len);
	if (pt_cbor_map(&rd, &n) != PT_OK || n > 16)
		goto fail;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		if (pt_cbor_key(&rd, &keys, &k) != PT_OK)
			goto fail;
		switch (k) {
		case PT_CWT_AUD:
			if (read_str(&rd, g->aud, PT_ID_MAX) != PT_OK)
				goto fail;
			seen |= 1u;
			break;
		case PT_CWT_EXP:
			if (read_time(&rd, &g->exp) != PT_OK)
				goto fail;
			g->has_exp = true;
			break;
		case PT_CWT_NBF:
			if (read_time(&rd, &g->nbf) != PT_OK)
				goto fail;
			g->has_nbf = true;
			break;
		case PT_CWT_IAT:
			if (read_time(&rd, &g->iat) != PT_OK)
				goto fail;
			g->has_iat = true;
			break;
		case PT_CWT_CTI:
			if (pt_cbor_bytes(&rd, &b, &blen) != PT_OK || blen != PT_CTI_LEN)
				goto fail;
			memcpy(g->cti, b, PT_CTI_LEN);
			seen |= 2u;
			break;
		case PT_CWT_CNF:
			if ((r = read_cnf(&rd, g->holder)) != PT_OK)
				goto fail;
			r = PT_EMALFORMED;
			seen |= 4u;
			break;
		case PT_CWT_PORTER:
			if ((r = read_porter(&rd, g)) != PT_OK)
				goto fail;
			r = PT_EMALFORMED;
			seen |= 8u;
			break;
		default:
			r = PT_EUNSUPPORTED;	/* every claim is critical */
			goto fail;
		}
	}
	if (!pt_cbor_rd_done(&rd) || seen != 15u)
		goto fail;
	/* What decodes must also be what we would have encoded. */
	if (pt_grant_check(g) != PT_OK)
		goto fail;
	return PT_OK;
fail:
	memset(g, 0, sizeof(*g));
	return r;
}

int
pt_grant_sign(const struct pt_crypto_ops *ops, const struct pt_signer *sg, struct pt_grant *g,
	      uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t claims[PT_LINK_SIZE_MAX];
	size_t n;
	int r;

	*out_len = 0;
	pt_kid(ops, sg->pk, g->kid);
	if ((r = pt_grant_encode_claims(g, claims, sizeof(claims), &n)) != PT_OK)
		return r == PT_ENOSPC ? PT_ETOOBIG : r;
	r = pt_sign1_sign(sg, g->kid, PT_KID_LEN, (const uint8_t *)PT_AAD_GRANT,
			  sizeof(PT_AAD_GRANT) - 1, claims, n, out, cap, out_len);
	if (r == PT_OK && *out_len > PT_LINK_SIZE_MAX) {
		memset(out, 0, *out_len);
		*out_len = 0;
		r = PT_ETOOBIG;
	}
	return r;
}

/* One link at the reader: a tagged COSE_Sign1 in porter's profile. */
static int
read_link(struct pt_cbor_rd *rd, struct pt_link *l, size_t *start, size_t *end)
{
	struct pt_cose_hdr h;
	int r;

	*start = rd->off;
	if (pt_sign1_read(rd, &l->cose) != PT_OK || !l->cose.tagged)
		return PT_EMALFORMED;
	*end = rd->off;
	if (*end - *start > PT_LINK_SIZE_MAX)
		return PT_ETOOBIG;
	if ((r = pt_cose_headers(&l->cose, &h)) != PT_OK)
		return r;
	if (!h.has_alg || h.alg != PT_COSE_ALG_EDDSA)
		return PT_EUNSUPPORTED;
	if (l->cose.prot_len != PROT_LEN || memcmp(l->cose.prot, prot_prefix, sizeof(prot_prefix)) != 0)
		return PT_EMALFORMED;
	if (l->cose.unprot_len != 1 || l->cose.unprot[0] != 0xa0 || l->cose.sig_len != PT_SIG_LEN)
		return PT_EMALFORMED;
	if ((r = pt_grant_decode_claims(l->cose.payload, l->cose.payload_len, &l->g)) != PT_OK)
		return r;
	memcpy(l->g.kid, l->cose.prot + sizeof(prot_prefix), PT_KID_LEN);
	return PT_OK;
}

int
pt_chain_decode(const uint8_t *p, size_t len, struct pt_chain *c)
{
	struct pt_cbor_rd rd;
	uint64_t n, i;
	size_t s, e;
	int r = PT_EMALFORMED;

	memset(c, 0, sizeof(*c));
	if (len > PT_CHAIN_SIZE_MAX)
		return PT_ETOOBIG;
	pt_cbor_rd_init(&rd, p, len);
	if (pt_cbor_array(&rd, &n) != PT_OK || n == 0)
		goto fail;
	if (n > PT_CHAIN_MAX) {
		r = PT_ECHAINLEN;
		goto fail;
	}
	for (i = 0; i < n; i++)
		if ((r = read_link(&rd, &c->link[i], &s, &e)) != PT_OK)
			goto fail;
	r = PT_EMALFORMED;
	if (!pt_cbor_rd_done(&rd))
		goto fail;
	c->n = (uint8_t)n;
	return PT_OK;
fail:
	memset(c, 0, sizeof(*c));
	return r;
}

int
pt_chain_append(const uint8_t *prev, size_t prev_len, const uint8_t *link, size_t link_len,
		uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_wr w;
	struct pt_sign1 s;
	uint64_t n = 0, i;
	size_t body = 0;
	int r;

	*out_len = 0;
	if (link_len > PT_LINK_SIZE_MAX)
		return PT_ETOOBIG;
	if (pt_sign1_decode(link, link_len, &s) != PT_OK || !s.tagged)
		return PT_EMALFORMED;
	if (prev_len > 0) {
		pt_cbor_rd_init(&rd, prev, prev_len);
		if (pt_cbor_array(&rd, &n) != PT_OK || n == 0 || n > PT_CHAIN_MAX)
			return PT_EMALFORMED;
		body = rd.off;
		for (i = 0; i < n; i++)
			if (pt_sign1_read(&rd, &s) != PT_OK || !s.tagged)
				return PT_EMALFORMED;
		if (!pt_cbor_rd_done(&rd))
			return PT_EMALFORMED;
	}
	if (n + 1 > PT_CHAIN_MAX)
		return PT_ECHAINLEN;
	/* The protocol limit first: it is not the caller's buffer's fault. */
	if (1 + (prev_len - body) + link_len > PT_CHAIN_SIZE_MAX)
		return PT_ETOOBIG;
	pt_cbor_wr_init(&w, out, cap);
	pt_cbor_put_array(&w, (size_t)n + 1);
	if (prev_len > 0)
		pt_cbor_put_raw(&w, prev + body, prev_len - body);
	pt_cbor_put_raw(&w, link, link_len);
	if ((r = pt_cbor_wr_status(&w)) != PT_OK)
		return r;
	if (w.len > PT_CHAIN_SIZE_MAX)
		return PT_ETOOBIG;
	*out_len = w.len;
	return PT_OK;
}
