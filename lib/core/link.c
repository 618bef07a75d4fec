/*
 * The link protocol codec: frames, the seven messages, BLE fragments.
 * docs/link-protocol.md specifies the bytes; porter/link.h the API.
 */
#include "porter/link.h"

#include <string.h>

#include "porter/cbor.h"

/* CBOR keys of the bodies (one grammar per type). */
enum { K_HELLO_LOCK = 1, K_HELLO_PANIC = 2 };
enum { K_CH_HUB = 1, K_CH_NONCE = 2, K_CH_TIME = 3, K_CH_EXPIRES = 4 };
enum { K_PR_NONCE = 1, K_PR_CHAIN = 2, K_PR_SIG = 3 };
enum {
	K_DE_REASON = 1,
	K_DE_CODE = 2,
	K_DE_LINK = 3,
	K_DE_NOTES = 4,
	K_DE_COND = 5,
	K_DE_DOOR = 6,
	K_DE_RELOCK = 7,
};
enum { K_ER_REASON = 1, K_ER_CODE = 2, K_ER_RETRY = 3, K_ER_VERSION = 4 };
enum { K_PA_HOME = 1, K_PA_OWNER = 2, K_PA_STATEMENT = 3 };

/*
 * The largest bodies, byte by byte (CBOR heads: a string of 24..255 bytes
 * has a 2-byte head, 256..65535 a 3-byte one; keys 1..7 are one byte).
 */
#define PROOF_BODY_MAX                                 \
	(1 +				/* map(3) */   \
	 1 + 2 + PT_NONCE_LEN +		/* nonce */    \
	 1 + 3 + PT_CHAIN_SIZE_MAX +	/* chain */    \
	 1 + 2 + PT_SIG_LEN)		/* signature */
#define PAIR_BODY_MAX                                       \
	(1 +				/* map(3) */        \
	 1 + 2 + PT_ID_MAX +		/* home id */       \
	 1 + 2 + PT_PK_LEN +		/* owner key */     \
	 1 + 3 + PT_ENVELOPE_SIZE_MAX)	/* statement */
#define DECISION_BODY_MAX                                          \
	(1 +					/* map(7) */       \
	 1 + 2 +				/* reason >= -256 */ \
	 1 + 2 + PT_LINK_CODE_MAX +		/* code */         \
	 1 + 1 +				/* link 0..3 */    \
	 1 + 1 + PT_CHAIN_MAX * (3 + PT_NOTE_MAX) +	/* notes */ \
	 1 + 1 +				/* cond < 24 */    \
	 1 + 5 +				/* door-open */    \
	 1 + 3)					/* relock */

_Static_assert(PT_CHAIN_SIZE_MAX >= 256 && PT_CHAIN_SIZE_MAX <= 65535, "chain head is 3 bytes");
_Static_assert(PT_NOTE_MAX >= 256 && PT_NOTE_MAX <= 65535, "note head is 3 bytes");
_Static_assert(PT_CHAIN_MAX < 24 && PT_COND_KNOWN < 24, "one-byte link index and cond");
_Static_assert(PT_DOOR_OPEN_MAX <= UINT32_MAX && PT_LINK_RELOCK_MAX <= 65535, "head sizes");
_Static_assert(PT_LINK_CODE_MAX >= 24 && PT_LINK_CODE_MAX <= 255, "code head is 2 bytes");
_Static_assert(PT_ENVELOPE_SIZE_MAX >= 256 && PT_ENVELOPE_SIZE_MAX <= 65535 && PT_ID_MAX >= 24 &&
		       PT_ID_MAX <= 255 && PT_LINK_PAIR_BODY_MAX <= PT_LINK_BODY_MAX,
	       "a PAIR body: 2-byte id head, 3-byte statement head, fits a frame");
_Static_assert(PT_LINK_REASON_MIN >= -256, "reason head is 2 bytes");
_Static_assert(PT_LINK_HDR_LEN + PROOF_BODY_MAX <= PT_LINK_FRAME_MAX,
	       "a PROOF with the largest chain fits a frame");
_Static_assert(PT_LINK_HDR_LEN + DECISION_BODY_MAX <= PT_LINK_FRAME_MAX,
	       "the largest DECISION fits a frame");
_Static_assert(PT_ENVELOPE_SIZE_MAX >= 256 && PT_ENVELOPE_SIZE_MAX <= 65535,
	       "statement head is 3 bytes");
_Static_assert(PT_LINK_HDR_LEN + PAIR_BODY_MAX <= PT_LINK_FRAME_MAX,
	       "a PAIR with the largest statement fits a frame");
_Static_assert(PT_LINK_FRAME_MAX == 9 * (PT_LINK_BLE_FRAG_MAX - 1),
	       "the cap is nine full BLE fragments");
_Static_assert(PT_LINK_FRAME_MAX - PT_LINK_PREFIX_LEN <= 0xffff, "the prefix holds any length");
_Static_assert(-PT_ERR_COUNT_ > PT_LINK_REASON_MIN, "every reason fits the wire range");

/* ---- small helpers ---- */

/* Length of s, but stop at max + 1: a longer string is refused anyway. */
static size_t
bounded(const char *s, size_t max)
{
	size_t n = 0;

	while (n <= max && s[n] != '\0')
		n++;
	return n;
}

static bool
code_is_valid(const uint8_t *p, size_t len)
{
	size_t i;

	if (len == 0 || len > PT_LINK_CODE_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
			return false;
	return true;
}

static bool
reason_is_known(int reason)
{
	return reason <= PT_OK && reason > -PT_ERR_COUNT_;
}

/* Is (p, len) exactly the stable code of a known reason? */
static bool
code_is(int reason, const uint8_t *p, size_t len)
{
	const char *c = pt_err_code(reason);
	size_t n = bounded(c, PT_LINK_CODE_MAX);

	return n == len && memcmp(c, p, len) == 0;
}

static bool
error_reason_is_valid(int reason)
{
	return reason == PT_EMALFORMED || reason == PT_EUNSUPPORTED || reason == PT_ETOOBIG ||
	       reason == PT_ELOCKEDOUT;
}

static void
copy_str(char *dst, const uint8_t *p, size_t len)
{
	memcpy(dst, p, len);
	dst[len] = '\0';
}

/* ---- frames ---- */

int
pt_link_frame_scan(const uint8_t *p, size_t len, size_t *frame_len, size_t *need)
{
	size_t n;

	*frame_len = 0;
	*need = 0;
	if (len < PT_LINK_PREFIX_LEN) {
		*need = PT_LINK_PREFIX_LEN - len;
		return PT_OK;
	}
	n = PT_LINK_PREFIX_LEN + (((size_t)p[0] << 8) | p[1]);
	if (n > PT_LINK_FRAME_MAX)
		return PT_ETOOBIG;
	if (n < PT_LINK_HDR_LEN)
		return PT_EMALFORMED;
	if (len < n) {
		*need = n - len;
		return PT_OK;
	}
	*frame_len = n;
	return PT_OK;
}

int
pt_link_frame_parse(const uint8_t *p, size_t len, struct pt_link_frame *f)
{
	size_t n, need;
	int r;

	memset(f, 0, sizeof(*f));
	if (len > PT_LINK_FRAME_MAX)
		return PT_ETOOBIG;
	if ((r = pt_link_frame_scan(p, len, &n, &need)) != PT_OK)
		return r;
	if (n == 0 || n != len)
		return PT_EMALFORMED;	/* truncated, or bytes after the frame */
	if (p[2] != PT_LINK_VERSION)
		return PT_EUNSUPPORTED;
	if (p[3] < PT_LINK_HELLO || p[3] > PT_LINK_TYPE_MAX)
		return PT_EMALFORMED;
	f->version = p[2];
	f->type = p[3];
	f->body = p + PT_LINK_HDR_LEN;
	f->body_len = len - PT_LINK_HDR_LEN;
	return PT_OK;
}

/* Encoding: the body goes after the 4-byte header, which is filled in
 * once its length is known. */
static void
enc_begin(struct pt_cbor_wr *w, uint8_t *out, size_t cap)
{
	if (cap < PT_LINK_HDR_LEN) {
		pt_cbor_wr_init(w, out, 0);
		w->overflow = true;
		return;
	}
	cap -= PT_LINK_HDR_LEN;
	pt_cbor_wr_init(w, out + PT_LINK_HDR_LEN, cap < PT_LINK_BODY_MAX ? cap : PT_LINK_BODY_MAX);
}

static int
enc_end(struct pt_cbor_wr *w, uint8_t type, uint8_t *out, size_t *out_len)
{
	size_t n;

	if (pt_cbor_wr_status(w) != PT_OK)
		return PT_ENOSPC;
	n = w->len + PT_LINK_HDR_LEN - PT_LINK_PREFIX_LEN;
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)(n & 0xffu);
	out[2] = PT_LINK_VERSION;
	out[3] = type;
	*out_len = w->len + PT_LINK_HDR_LEN;
	return PT_OK;
}

/* Decoding: the frame of the wanted type, its body's map head (at most
 * max_pairs pairs) and a key-order tracker. */
static int
dec_begin(const uint8_t *p, size_t len, uint8_t type, struct pt_cbor_rd *rd, uint64_t *n,
	  uint64_t max_pairs)
{
	struct pt_link_frame f;
	int r;

	*n = 0;
	if ((r = pt_link_frame_parse(p, len, &f)) != PT_OK)
		return r;
	if (f.type != type)
		return PT_EMALFORMED;
	pt_cbor_rd_init(rd, f.body, f.body_len);
	if (pt_cbor_map(rd, n) != PT_OK || *n > max_pairs)
		return PT_EMALFORMED;
	return PT_OK;
}

static int
read_uint_range(struct pt_cbor_rd *rd, uint64_t lo, uint64_t hi, uint64_t *v)
{
	if (pt_cbor_uint(rd, v) != PT_OK || *v < lo || *v > hi)
		return PT_EMALFORMED;
	return PT_OK;
}

static int
read_fixed_bytes(struct pt_cbor_rd *rd, uint8_t *out, size_t want)
{
	const uint8_t *p;
	size_t n;

	if (pt_cbor_bytes(rd, &p, &n) != PT_OK || n != want)
		return PT_EMALFORMED;
	memcpy(out, p, n);
	return PT_OK;
}

static int
read_id(struct pt_cbor_rd *rd, char out[PT_ID_MAX + 1])
{
	const uint8_t *p;
	size_t n;

	if (pt_cbor_text(rd, &p, &n) != PT_OK || !pt_id_is_valid((const char *)p, n))
		return PT_EMALFORMED;
	copy_str(out, p, n);
	return PT_OK;
}

static int
read_code(struct pt_cbor_rd *rd, char out[PT_LINK_CODE_MAX + 1])
{
	const uint8_t *p;
	size_t n;

	if (pt_cbor_text(rd, &p, &n) != PT_OK || !code_is_valid(p, n))
		return PT_EMALFORMED;
	copy_str(out, p, n);
	return PT_OK;
}

/* ---- HELLO ---- */

int
pt_link_hello_encode(const struct pt_link_hello *m, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;
	size_t lock_len = bounded(m->lock, PT_ID_MAX);

	*out_len = 0;
	if (lock_len > 0 && !pt_id_is_valid(m->lock, lock_len))
		return PT_EINVAL;
	enc_begin(&w, out, cap);
	pt_cbor_put_map(&w, (lock_len > 0 ? 1u : 0u) + (m->panic ? 1u : 0u));
	if (lock_len > 0) {
		pt_cbor_put_uint(&w, K_HELLO_LOCK);
		pt_cbor_put_text(&w, m->lock, lock_len);
	}
	if (m->panic) {
		pt_cbor_put_uint(&w, K_HELLO_PANIC);
		pt_cbor_put_bool(&w, true);
	}
	return enc_end(&w, PT_LINK_HELLO, out, out_len);
}

int
pt_link_hello_decode(const uint8_t *p, size_t len, struct pt_link_hello *m)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	uint64_t n, i;
	int64_t key;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = dec_begin(p, len, PT_LINK_HELLO, &rd, &n, 2)) != PT_OK)
		goto fail;
	r = PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		if (pt_cbor_key(&rd, &keys, &key) != PT_OK)
			goto fail;
		if (key == K_HELLO_LOCK) {
			if (read_id(&rd, m->lock) != PT_OK)
				goto fail;
		} else if (key == K_HELLO_PANIC) {
			/* Only true: false is said by leaving the key out. */
			if (pt_cbor_bool(&rd, &m->panic) != PT_OK || !m->panic)
				goto fail;
		} else {
			goto fail;
		}
	}
	if (!pt_cbor_rd_done(&rd))
		goto fail;
	return PT_OK;
fail:
	memset(m, 0, sizeof(*m));
	return r;
}

/* ---- CHALLENGE ---- */

static bool
challenge_is_valid(const struct pt_link_challenge *m, size_t *hub_len)
{
	*hub_len = bounded(m->hub_id, PT_ID_MAX);
	return pt_id_is_valid(m->hub_id, *hub_len) &&
	       (!m->has_time || (m->time >= 0 && m->time <= PT_TIME_MAX)) &&
	       m->expires_ms >= 1 && m->expires_ms <= PT_LINK_EXPIRY_MAX_MS;
}

int
pt_link_challenge_encode(const struct pt_link_challenge *m, uint8_t *out, size_t cap,
			 size_t *out_len)
{
	struct pt_cbor_wr w;
	size_t hub_len;

	*out_len = 0;
	if (!challenge_is_valid(m, &hub_len))
		return PT_EINVAL;
	enc_begin(&w, out, cap);
	pt_cbor_put_map(&w, m->has_time ? 4 : 3);
	pt_cbor_put_uint(&w, K_CH_HUB);
	pt_cbor_put_text(&w, m->hub_id, hub_len);
	pt_cbor_put_uint(&w, K_CH_NONCE);
	pt_cbor_put_bytes(&w, m->nonce, PT_NONCE_LEN);
	if (m->has_time) {
		pt_cbor_put_uint(&w, K_CH_TIME);
		pt_cbor_put_uint(&w, (uint64_t)m->time);
	}
	pt_cbor_put_uint(&w, K_CH_EXPIRES);
	pt_cbor_put_uint(&w, m->expires_ms);
	return enc_end(&w, PT_LINK_CHALLENGE, out, out_len);
}

int
pt_link_challenge_decode(const uint8_t *p, size_t len, struct pt_link_challenge *m)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	uint64_t n, i, v;
	int64_t key;
	unsigned seen = 0;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = dec_begin(p, len, PT_LINK_CHALLENGE, &rd, &n, 4)) != PT_OK)
		goto fail;
	r = PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		if (pt_cbor_key(&rd, &keys, &key) != PT_OK)
			goto fail;
		switch (key) {
		case K_CH_HUB:
			if (read_id(&rd, m->hub_id) != PT_OK)
				goto fail;
			break;
		case K_CH_NONCE:
			if (read_fixed_bytes(&rd, m->nonce, PT_NONCE_LEN) != PT_OK)
				goto fail;
			break;
		case K_CH_TIME:
			if (read_uint_range(&rd, 0, (uint64_t)PT_TIME_MAX, &v) != PT_OK)
				goto fail;
			m->has_time = true;
			m->time = (int64_t)v;
			break;
		case K_CH_EXPIRES:
			if (read_uint_range(&rd, 1, PT_LINK_EXPIRY_MAX_MS, &v) != PT_OK)
				goto fail;
			m->expires_ms = (uint32_t)v;
			break;
		default:
			goto fail;
		}
		seen |= 1u << key;
	}
	if (!pt_cbor_rd_done(&rd) ||
	    (seen & (1u << K_CH_HUB | 1u << K_CH_NONCE | 1u << K_CH_EXPIRES)) !=
		    (1u << K_CH_HUB | 1u << K_CH_NONCE | 1u << K_CH_EXPIRES))
		goto fail;
	return PT_OK;
fail:
	memset(m, 0, sizeof(*m));
	return r;
}

/* ---- PROOF, and PANIC (the same body, another type) ---- */

static int
proof_body_encode(uint8_t type, const uint8_t nonce[PT_NONCE_LEN], const uint8_t *chain,
		  size_t chain_len, const uint8_t sig[PT_SIG_LEN], uint8_t *out, size_t cap,
		  size_t *out_len)
{
	struct pt_cbor_wr w;

	*out_len = 0;
	if (chain_len > PT_CHAIN_SIZE_MAX)
		return PT_ETOOBIG;
	if (chain == NULL || chain_len == 0)
		return PT_EINVAL;
	enc_begin(&w, out, cap);
	pt_cbor_put_map(&w, 3);
	pt_cbor_put_uint(&w, K_PR_NONCE);
	pt_cbor_put_bytes(&w, nonce, PT_NONCE_LEN);
	pt_cbor_put_uint(&w, K_PR_CHAIN);
	pt_cbor_put_bytes(&w, chain, chain_len);
	pt_cbor_put_uint(&w, K_PR_SIG);
	pt_cbor_put_bytes(&w, sig, PT_SIG_LEN);
	return enc_end(&w, type, out, out_len);
}

int
pt_link_proof_encode(const struct pt_link_proof *m, uint8_t *out, size_t cap, size_t *out_len)
{
	return proof_body_encode(PT_LINK_PROOF, m->nonce, m->chain, m->chain_len, m->sig, out, cap,
				 out_len);
}

int
pt_link_panic_encode(const struct pt_link_panic *m, uint8_t *out, size_t cap, size_t *out_len)
{
	return proof_body_encode(PT_LINK_PANIC, m->nonce, m->chain, m->chain_len, m->sig, out, cap,
				 out_len);
}

static int
proof_body_decode(const uint8_t *p, size_t len, uint8_t type, uint8_t nonce[PT_NONCE_LEN],
		  const uint8_t **chain, size_t *chain_len, uint8_t sig[PT_SIG_LEN])
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	uint64_t n, i;
	int64_t key;
	int r;

	if ((r = dec_begin(p, len, type, &rd, &n, 3)) != PT_OK)
		return r;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		if (pt_cbor_key(&rd, &keys, &key) != PT_OK)
			return PT_EMALFORMED;
		switch (key) {
		case K_PR_NONCE:
			if (read_fixed_bytes(&rd, nonce, PT_NONCE_LEN) != PT_OK)
				return PT_EMALFORMED;
			break;
		case K_PR_CHAIN:
			if (pt_cbor_bytes(&rd, chain, chain_len) != PT_OK || *chain_len == 0)
				return PT_EMALFORMED;
			if (*chain_len > PT_CHAIN_SIZE_MAX)
				return PT_ETOOBIG;
			break;
		case K_PR_SIG:
			if (read_fixed_bytes(&rd, sig, PT_SIG_LEN) != PT_OK)
				return PT_EMALFORMED;
			break;
		default:
			return PT_EMALFORMED;
		}
	}
	/* All three keys, in order: a map of 3 pairs with strictly ascending
	 * keys from {1, 2, 3} has them all. */
	if (!pt_cbor_rd_done(&rd) || n != 3)
		return PT_EMALFORMED;
	return PT_OK;
}

int
pt_link_proof_decode(const uint8_t *p, size_t len, struct pt_link_proof *m)
{
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = proof_body_decode(p, len, PT_LINK_PROOF, m->nonce, &m->chain, &m->chain_len,
				   m->sig)) != PT_OK)
		memset(m, 0, sizeof(*m));
	return r;
}

int
pt_link_panic_decode(const uint8_t *p, size_t len, struct pt_link_panic *m)
{
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = proof_body_decode(p, len, PT_LINK_PANIC, m->nonce, &m->chain, &m->chain_len,
				   m->sig)) != PT_OK)
		memset(m, 0, sizeof(*m));
	return r;
}

/* ---- DECISION ---- */

void
pt_link_decision_init(struct pt_link_decision *m, const struct pt_decision *d,
		      const struct pt_chain *decoded, uint32_t relock_s)
{
	const char *code;
	size_t i, n;

	memset(m, 0, sizeof(*m));
	m->reason = d->reason;
	code = pt_err_code(d->reason);
	n = bounded(code, PT_LINK_CODE_MAX);
	if (n <= PT_LINK_CODE_MAX)
		memcpy(m->code, code, n);
	if (d->reason == PT_OK) {
		m->link = -1;
		m->cond = d->cond;
		m->door_open_max = d->door_open_max;
		m->relock_s = relock_s;
	} else {
		m->link = d->link >= 0 && d->link < PT_CHAIN_MAX ? d->link : -1;
	}
	for (i = 0; decoded != NULL && i < decoded->n && i < PT_CHAIN_MAX; i++) {
		n = bounded(decoded->link[i].g.note, PT_NOTE_MAX);
		if (n == 0 || n > PT_NOTE_MAX)
			continue;
		memcpy(m->notes[m->n_notes++], decoded->link[i].g.note, n);
	}
}

int
pt_link_decision_encode(const struct pt_link_decision *m, uint8_t *out, size_t cap,
			size_t *out_len)
{
	struct pt_cbor_wr w;
	size_t note_len[PT_CHAIN_MAX], code_len, pairs = 2, i;
	const char *code;
	bool grant = m->reason == PT_OK;

	*out_len = 0;
	if (!reason_is_known(m->reason) || m->n_notes > PT_CHAIN_MAX)
		return PT_EINVAL;
	if (grant ? m->link != -1 : (m->link < -1 || m->link >= PT_CHAIN_MAX))
		return PT_EINVAL;
	if (!grant && (m->cond != 0 || m->door_open_max != 0 || m->relock_s != 0))
		return PT_EINVAL;	/* a refusal must not look like a grant */
	if ((m->cond & ~PT_COND_KNOWN) != 0 || m->door_open_max > PT_DOOR_OPEN_MAX ||
	    m->relock_s > PT_LINK_RELOCK_MAX)
		return PT_EINVAL;
	for (i = 0; i < m->n_notes; i++) {
		note_len[i] = bounded(m->notes[i], PT_NOTE_MAX);
		if (note_len[i] == 0 || note_len[i] > PT_NOTE_MAX ||
		    !pt_text_is_printable((const uint8_t *)m->notes[i], note_len[i]))
			return PT_EINVAL;
	}
	code = pt_err_code(m->reason);
	code_len = bounded(code, PT_LINK_CODE_MAX);
	if (!code_is_valid((const uint8_t *)code, code_len))
		return PT_EINVAL;

	pairs += (size_t)(m->link >= 0) + (size_t)(m->n_notes > 0) + (size_t)(m->cond != 0) +
		 (size_t)(m->door_open_max != 0) + (size_t)(m->relock_s != 0);
	enc_begin(&w, out, cap);
	pt_cbor_put_map(&w, pairs);
	pt_cbor_put_uint(&w, K_DE_REASON);
	pt_cbor_put_int(&w, m->reason);
	pt_cbor_put_uint(&w, K_DE_CODE);
	pt_cbor_put_text(&w, code, code_len);
	if (m->link >= 0) {
		pt_cbor_put_uint(&w, K_DE_LINK);
		pt_cbor_put_uint(&w, (uint64_t)m->link);
	}
	if (m->n_notes > 0) {
		pt_cbor_put_uint(&w, K_DE_NOTES);
		pt_cbor_put_array(&w, m->n_notes);
		for (i = 0; i < m->n_notes; i++)
			pt_cbor_put_text(&w, m->notes[i], note_len[i]);
	}
	if (m->cond != 0) {
		pt_cbor_put_uint(&w, K_DE_COND);
		pt_cbor_put_uint(&w, m->cond);
	}
	if (m->door_open_max != 0) {
		pt_cbor_put_uint(&w, K_DE_DOOR);
		pt_cbor_put_uint(&w, m->door_open_max);
	}
	if (m->relock_s != 0) {
		pt_cbor_put_uint(&w, K_DE_RELOCK);
		pt_cbor_put_uint(&w, m->relock_s);
	}
	return enc_end(&w, PT_LINK_DECISION, out, out_len);
}

static int
read_notes(struct pt_cbor_rd *rd, struct pt_link_decision *m)
{
	const uint8_t *p;
	uint64_t n, i;
	size_t len;

	if (pt_cbor_array(rd, &n) != PT_OK || n == 0 || n > PT_CHAIN_MAX)
		return PT_EMALFORMED;
	for (i = 0; i < n; i++) {
		if (pt_cbor_text(rd, &p, &len) != PT_OK || len == 0 || len > PT_NOTE_MAX)
			return PT_EMALFORMED;
		copy_str(m->notes[i], p, len);
	}
	m->n_notes = (uint8_t)n;
	return PT_OK;
}

int
pt_link_decision_decode(const uint8_t *p, size_t len, struct pt_link_decision *m)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	uint64_t n, i, v;
	int64_t key, reason;
	unsigned seen = 0;
	int r, k;

	memset(m, 0, sizeof(*m));
	if ((r = dec_begin(p, len, PT_LINK_DECISION, &rd, &n, 7)) != PT_OK)
		goto fail;
	r = PT_EMALFORMED;
	m->link = -1;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		if (pt_cbor_key(&rd, &keys, &key) != PT_OK)
			goto fail;
		switch (key) {
		case K_DE_REASON:
			if (pt_cbor_int(&rd, &reason) != PT_OK || reason > PT_OK ||
			    reason < PT_LINK_REASON_MIN)
				goto fail;
			m->reason = (int)reason;
			break;
		case K_DE_CODE:
			if (read_code(&rd, m->code) != PT_OK)
				goto fail;
			break;
		case K_DE_LINK:
			if (read_uint_range(&rd, 0, PT_CHAIN_MAX - 1, &v) != PT_OK)
				goto fail;
			m->link = (int)v;
			break;
		case K_DE_NOTES:
			if (read_notes(&rd, m) != PT_OK)
				goto fail;
			break;
		case K_DE_COND:
			if (read_uint_range(&rd, 1, PT_COND_KNOWN, &v) != PT_OK ||
			    (v & ~(uint64_t)PT_COND_KNOWN) != 0)
				goto fail;
			m->cond = (uint32_t)v;
			break;
		case K_DE_DOOR:
			if (read_uint_range(&rd, 1, PT_DOOR_OPEN_MAX, &v) != PT_OK)
				goto fail;
			m->door_open_max = (uint32_t)v;
			break;
		case K_DE_RELOCK:
			if (read_uint_range(&rd, 1, PT_LINK_RELOCK_MAX, &v) != PT_OK)
				goto fail;
			m->relock_s = (uint32_t)v;
			break;
		default:
			goto fail;
		}
		seen |= 1u << key;
	}
	if (!pt_cbor_rd_done(&rd) ||
	    (seen & (1u << K_DE_REASON | 1u << K_DE_CODE)) != (1u << K_DE_REASON | 1u << K_DE_CODE))
		goto fail;
	/* A grant names no link; a refusal carries nothing a grant carries. */
	if (m->reason == PT_OK ? (seen & 1u << K_DE_LINK) != 0
			       : (seen & (1u << K_DE_COND | 1u << K_DE_DOOR | 1u << K_DE_RELOCK)) != 0)
		goto fail;
	/* A known reason comes with its own code; an unknown one (a newer
	 * hub's) with a code that is not already another reason's. */
	if (reason_is_known(m->reason)) {
		if (!code_is(m->reason, (const uint8_t *)m->code, bounded(m->code, PT_LINK_CODE_MAX)))
			goto fail;
	} else {
		for (k = 0; k > -PT_ERR_COUNT_; k--)
			if (code_is(k, (const uint8_t *)m->code, bounded(m->code, PT_LINK_CODE_MAX)))
				goto fail;
	}
	return PT_OK;
fail:
	memset(m, 0, sizeof(*m));
	return r;
}

/* ---- ERROR ---- */

int
pt_link_error_encode(const struct pt_link_error *m, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;
	const char *code;
	size_t code_len;
	bool locked = m->reason == PT_ELOCKEDOUT, unsup = m->reason == PT_EUNSUPPORTED;

	*out_len = 0;
	if (!error_reason_is_valid(m->reason))
		return PT_EINVAL;
	if (locked ? m->retry_after_ms < 1 || m->retry_after_ms > PT_LINK_RETRY_MAX_MS
		   : m->retry_after_ms != 0)
		return PT_EINVAL;
	if (unsup ? m->version == 0 : m->version != 0)
		return PT_EINVAL;
	code = pt_err_code(m->reason);
	code_len = bounded(code, PT_LINK_CODE_MAX);
	enc_begin(&w, out, cap);
	pt_cbor_put_map(&w, 2 + (size_t)(locked || unsup));
	pt_cbor_put_uint(&w, K_ER_REASON);
	pt_cbor_put_int(&w, m->reason);
	pt_cbor_put_uint(&w, K_ER_CODE);
	pt_cbor_put_text(&w, code, code_len);
	if (locked) {
		pt_cbor_put_uint(&w, K_ER_RETRY);
		pt_cbor_put_uint(&w, m->retry_after_ms);
	}
	if (unsup) {
		pt_cbor_put_uint(&w, K_ER_VERSION);
		pt_cbor_put_uint(&w, m->version);
	}
	return enc_end(&w, PT_LINK_ERROR, out, out_len);
}

int
pt_link_error_decode(const uint8_t *p, size_t len, struct pt_link_error *m)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	uint64_t n, i, v;
	int64_t key, reason;
	unsigned seen = 0, want;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = dec_begin(p, len, PT_LINK_ERROR, &rd, &n, 3)) != PT_OK)
		goto fail;
	r = PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		if (pt_cbor_key(&rd, &keys, &key) != PT_OK)
			goto fail;
		switch (key) {
		case K_ER_REASON:
			if (pt_cbor_int(&rd, &reason) != PT_OK || reason > PT_OK ||
			    reason < PT_LINK_REASON_MIN || !error_reason_is_valid((int)reason))
				goto fail;
			m->reason = (int)reason;
			break;
		case K_ER_CODE:
			if (read_code(&rd, m->code) != PT_OK)
				goto fail;
			break;
		case K_ER_RETRY:
			if (read_uint_range(&rd, 1, PT_LINK_RETRY_MAX_MS, &v) != PT_OK)
				goto fail;
			m->retry_after_ms = (uint32_t)v;
			break;
		case K_ER_VERSION:
			if (read_uint_range(&rd, 1, UINT8_MAX, &v) != PT_OK)
				goto fail;
			m->version = (uint8_t)v;
			break;
		default:
			goto fail;
		}
		seen |= 1u << key;
	}
	want = 1u << K_ER_REASON | 1u << K_ER_CODE;
	if (m->reason == PT_ELOCKEDOUT)
		want |= 1u << K_ER_RETRY;
	if (m->reason == PT_EUNSUPPORTED)
		want |= 1u << K_ER_VERSION;
	if (!pt_cbor_rd_done(&rd) || seen != want ||
	    !code_is(m->reason, (const uint8_t *)m->code, bounded(m->code, PT_LINK_CODE_MAX)))
		goto fail;
	return PT_OK;
fail:
	memset(m, 0, sizeof(*m));
	return r;
}

/* ---- PAIR ---- */

/* The body {1: home, 2: owner, 3: statement}: the same map in a link frame
 * and in the uplink's pair message (docs/mqtt.md). */
static int
pair_put(struct pt_cbor_wr *w, const struct pt_link_pair *m)
{
	size_t home_len = bounded(m->home, PT_ID_MAX);

	if (m->statement_len > PT_ENVELOPE_SIZE_MAX)
		return PT_ETOOBIG;
	if (!pt_id_is_valid(m->home, home_len) || m->statement == NULL || m->statement_len == 0)
		return PT_EINVAL;
	pt_cbor_put_map(w, 3);
	pt_cbor_put_uint(w, K_PA_HOME);
	pt_cbor_put_text(w, m->home, home_len);
	pt_cbor_put_uint(w, K_PA_OWNER);
	pt_cbor_put_bytes(w, m->owner, PT_PK_LEN);
	pt_cbor_put_uint(w, K_PA_STATEMENT);
	pt_cbor_put_bytes(w, m->statement, m->statement_len);
	return PT_OK;
}

int
pt_link_pair_encode(const struct pt_link_pair *m, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;
	int r;

	*out_len = 0;
	enc_begin(&w, out, cap);
	if ((r = pair_put(&w, m)) != PT_OK)
		return r;
	return enc_end(&w, PT_LINK_PAIR, out, out_len);
}

int
pt_link_pair_body_encode(const struct pt_link_pair *m, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;
	int r;

	*out_len = 0;
	pt_cbor_wr_init(&w, out, cap);
	if ((r = pair_put(&w, m)) != PT_OK)
		return r;
	if (pt_cbor_wr_status(&w) != PT_OK)
		return PT_ENOSPC;
	*out_len = w.len;
	return PT_OK;
}

/* The body's map, read from rd to its end; m zeroed by the caller. */
static int
pair_get(struct pt_cbor_rd *rd, struct pt_link_pair *m)
{
	struct pt_cbor_keys keys;
	uint64_t n, i;
	int64_t key;

	if (pt_cbor_map(rd, &n) != PT_OK || n > 3)
		return PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	for (i = 0; i < n; i++) {
		if (pt_cbor_key(rd, &keys, &key) != PT_OK)
			return PT_EMALFORMED;
		switch (key) {
		case K_PA_HOME:
			if (read_id(rd, m->home) != PT_OK)
				return PT_EMALFORMED;
			break;
		case K_PA_OWNER:
			if (read_fixed_bytes(rd, m->owner, PT_PK_LEN) != PT_OK)
				return PT_EMALFORMED;
			break;
		case K_PA_STATEMENT:
			if (pt_cbor_bytes(rd, &m->statement, &m->statement_len) != PT_OK ||
			    m->statement_len == 0)
				return PT_EMALFORMED;
			if (m->statement_len > PT_ENVELOPE_SIZE_MAX)
				return PT_ETOOBIG;
			break;
		default:
			return PT_EMALFORMED;
		}
	}
	/* All three keys: a map of 3 pairs with strictly ascending keys from
	 * {1, 2, 3} has them all. */
	if (!pt_cbor_rd_done(rd) || n != 3)
		return PT_EMALFORMED;
	return PT_OK;
}

int
pt_link_pair_decode(const uint8_t *p, size_t len, struct pt_link_pair *m)
{
	struct pt_link_frame f;
	struct pt_cbor_rd rd;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = pt_link_frame_parse(p, len, &f)) != PT_OK)
		goto fail;
	r = PT_EMALFORMED;
	if (f.type != PT_LINK_PAIR)
		goto fail;
	pt_cbor_rd_init(&rd, f.body, f.body_len);
	if ((r = pair_get(&rd, m)) != PT_OK)
		goto fail;
	return PT_OK;
fail:
	memset(m, 0, sizeof(*m));
	return r;
}

int
pt_link_pair_body_decode(const uint8_t *p, size_t len, struct pt_link_pair *m)
{
	struct pt_cbor_rd rd;
	int r;

	memset(m, 0, sizeof(*m));
	if (p == NULL) {
		r = PT_EMALFORMED;
		goto fail;
	}
	if (len > PT_LINK_PAIR_BODY_MAX) {
		r = PT_ETOOBIG;
		goto fail;
	}
	pt_cbor_rd_init(&rd, p, len);
	if ((r = pair_get(&rd, m)) != PT_OK)
		goto fail;
	return PT_OK;
fail:
	memset(m, 0, sizeof(*m));
	return r;
}

/* ---- any message ---- */

int
pt_link_encode(const struct pt_link_msg *m, uint8_t *out, size_t cap, size_t *out_len)
{
	*out_len = 0;
	switch (m->type) {
	case PT_LINK_HELLO:
		return pt_link_hello_encode(&m->u.hello, out, cap, out_len);
	case PT_LINK_CHALLENGE:
		return pt_link_challenge_encode(&m->u.challenge, out, cap, out_len);
	case PT_LINK_PROOF:
		return pt_link_proof_encode(&m->u.proof, out, cap, out_len);
	case PT_LINK_DECISION:
		return pt_link_decision_encode(&m->u.decision, out, cap, out_len);
	case PT_LINK_ERROR:
		return pt_link_error_encode(&m->u.error, out, cap, out_len);
	case PT_LINK_PAIR:
		return pt_link_pair_encode(&m->u.pair, out, cap, out_len);
	case PT_LINK_PANIC:
		return pt_link_panic_encode(&m->u.panic, out, cap, out_len);
	default:
		return PT_EINVAL;
	}
}

int
pt_link_decode(const uint8_t *p, size_t len, struct pt_link_msg *m)
{
	struct pt_link_frame f;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = pt_link_frame_parse(p, len, &f)) != PT_OK)
		return r;
	switch (f.type) {
	case PT_LINK_HELLO:
		r = pt_link_hello_decode(p, len, &m->u.hello);
		break;
	case PT_LINK_CHALLENGE:
		r = pt_link_challenge_decode(p, len, &m->u.challenge);
		break;
	case PT_LINK_PROOF:
		r = pt_link_proof_decode(p, len, &m->u.proof);
		break;
	case PT_LINK_DECISION:
		r = pt_link_decision_decode(p, len, &m->u.decision);
		break;
	case PT_LINK_ERROR:
		r = pt_link_error_decode(p, len, &m->u.error);
		break;
	case PT_LINK_PAIR:
		r = pt_link_pair_decode(p, len, &m->u.pair);
		break;
	case PT_LINK_PANIC:
		r = pt_link_panic_decode(p, len, &m->u.panic);
		break;
	default:
		r = PT_EMALFORMED;	/* frame_parse refused it already */
		break;
	}
	if (r != PT_OK) {
		memset(m, 0, sizeof(*m));
		return r;
	}
	m->type = f.type;
	return PT_OK;
}

/* ---- BLE fragments ---- */

size_t
pt_link_frag_count(size_t len, size_t frag_max)
{
	size_t per;

	if (frag_max < PT_LINK_BLE_FRAG_MIN || frag_max > PT_LINK_BLE_FRAG_MAX)
		return 0;
	per = frag_max - 1;
	if (len == 0)
		return 1;	/* one header-only fragment, first and last */
	return len / per + (len % per != 0);
}

int
pt_link_frag_get(const uint8_t *msg, size_t len, size_t frag_max, size_t i, uint8_t *out,
		 size_t cap, size_t *out_len)
{
	size_t count, per, off, n;
	unsigned h;

	*out_len = 0;
	if (len > PT_LINK_FRAME_MAX)
		return PT_EINVAL;
	count = pt_link_frag_count(len, frag_max);
	if (count == 0 || i >= count)
		return PT_EINVAL;
	per = frag_max - 1;
	off = i * per;
	n = len - off < per ? len - off : per;
	if (cap < 1 + n)
		return PT_ENOSPC;
	h = (unsigned)(i & PT_LINK_FRAG_SEQ);
	if (i == 0)
		h |= PT_LINK_FRAG_FIRST;
	if (i == count - 1)
		h |= PT_LINK_FRAG_LAST;
	out[0] = (uint8_t)h;
	if (n > 0)
		memcpy(out + 1, msg + off, n);
	*out_len = 1 + n;
	return PT_OK;
}

void
pt_link_reasm_init(struct pt_link_reasm *r)
{
	memset(r, 0, sizeof(*r));
}

int
pt_link_reasm_add(struct pt_link_reasm *r, const uint8_t *frag, size_t len, bool *complete)
{
	unsigned h, seq;
	size_t pl;
	int err = PT_EMALFORMED;

	*complete = false;
	if (len > PT_LINK_BLE_FRAG_MAX) {
		err = PT_ETOOBIG;
		goto drop;
	}
	if (len == 0)
		goto drop;
	h = frag[0];
	seq = h & PT_LINK_FRAG_SEQ;
	pl = len - 1;
	if ((h & PT_LINK_FRAG_RESERVED) != 0)
		goto drop;
	if (h & PT_LINK_FRAG_FIRST) {
		/* A first fragment in the middle of a message: the sender lost
		 * track; so do we. A non-last first fragment is full, and a
		 * fragment is at least the default ATT payload: that bounds the
		 * number of fragments of a message. */
		if (r->active || seq != 0)
			goto drop;
		if (!(h & PT_LINK_FRAG_LAST) && len < PT_LINK_BLE_FRAG_MIN)
			goto drop;
		r->len = 0;
		r->frag_len = pl;
		r->active = true;
	} else {
		if (!r->active || seq != r->next_seq || pl > r->frag_len)
			goto drop;
		if (h & PT_LINK_FRAG_LAST ? pl == 0 : pl != r->frag_len)
			goto drop;
	}
	if (pl > PT_LINK_FRAME_MAX - r->len) {
		err = PT_ETOOBIG;
		goto drop;
	}
	memcpy(r->buf + r->len, frag + 1, pl);
	r->len += pl;
	r->next_seq = (uint8_t)((seq + 1) & PT_LINK_FRAG_SEQ);
	if (h & PT_LINK_FRAG_LAST) {
		r->active = false;
		*complete = true;
	}
	return PT_OK;
drop:
	pt_link_reasm_init(r);
	return err;
}
