/*
 * The MQTT protocol between porter-hub and porterd: topics, payloads,
 * Home Assistant discovery. docs/mqtt.md specifies the bytes;
 * porter/mqtt.h the API. Allocates nothing.
 */
#include "porter/mqtt.h"

#include <string.h>

#include "porter/cbor.h"

/* CBOR keys, one set per message. */
enum { K_EV_SEQ = 1, K_EV_AT = 2, K_EV_TYPE = 3, K_EV_DATA = 4, K_EV_PREV = 5, K_EV_HASH = 6 };
enum { K_B_EVENTS = 1, K_B_SIG = 2 };
enum { K_ACK_SEQ = 1, K_ACK_HASH = 2 };
enum { K_RV_NEWEST = 1, K_RV_ENTRIES = 2 };
enum { K_RE_VERSION = 1, K_RE_ENVELOPE = 2 };
enum { K_CMD_ENVELOPE = 1 };
enum { K_T_NOW = 1, K_T_REV = 2 };

#define TIME_MS_MAX (PT_TIME_MAX * 1000LL)

/*
 * The size arithmetic of porter/mqtt.h. CBOR heads: a uint or negative
 * int takes at most 9 bytes; a string of 24..255 bytes has a 2-byte head,
 * 256..65535 a 3-byte one; an array of 24..255 items a 2-byte head.
 */
_Static_assert(PT_EVENT_TYPE_LEN_MAX >= 24 && PT_EVENT_TYPE_LEN_MAX <= 255, "type head is 2 bytes");
_Static_assert(PT_EVENT_DATA_MAX >= 256 && PT_EVENT_DATA_MAX <= 65535, "data head is 3 bytes");
_Static_assert(PT_ENVELOPE_SIZE_MAX >= 256 && PT_ENVELOPE_SIZE_MAX <= 65535, "envelope head is 3 bytes");
_Static_assert(PT_MQTT_EVENTS_MAX >= 24 && PT_MQTT_EVENTS_MAX <= 255, "events array head is 2 bytes");
_Static_assert(PT_MQTT_REVOCATIONS_MAX >= 24 && PT_MQTT_REVOCATIONS_MAX <= 255,
	       "revocations array head is 2 bytes");
_Static_assert(PT_SIG_LEN >= 24 && PT_SIG_LEN <= 255 && PT_HASH_LEN >= 24 && PT_HASH_LEN <= 255,
	       "signature and hash heads are 2 bytes");
_Static_assert(PT_MQTT_EVENT_ENC_MAX ==
		       1 +				/* map(6) */
			       1 + 9 +			/* seq */
			       1 + 9 +			/* at */
			       1 + 2 + PT_EVENT_TYPE_LEN_MAX +	/* type */
			       1 + 3 + PT_EVENT_DATA_MAX +	/* data */
			       1 + 2 + PT_HASH_LEN +	/* prev */
			       1 + 2 + PT_HASH_LEN,	/* hash */
	       "one event record at its largest");
_Static_assert(PT_MQTT_OWNERS_MAX >= 24 && PT_MQTT_OWNERS_MAX <= 255, "owners array head is 2 bytes");
_Static_assert(PT_MQTT_PAYLOAD_MAX >= PT_MQTT_OWNERS_PAYLOAD_MAX, "owners fit every broker limit");
_Static_assert(PT_MQTT_PAYLOAD_MAX >= PT_MQTT_REVOCATIONS_PAYLOAD_MAX &&
		       PT_MQTT_PAYLOAD_MAX >= PT_MQTT_COMMAND_PAYLOAD_MAX &&
		       PT_MQTT_PAYLOAD_MAX >= PT_MQTT_ACK_PAYLOAD_MAX &&
		       PT_MQTT_PAYLOAD_MAX >= PT_MQTT_TIME_PAYLOAD_MAX &&
		       PT_MQTT_PAYLOAD_MAX >= PT_MQTT_STATE_PAYLOAD_MAX &&
		       PT_MQTT_PAYLOAD_MAX >= PT_MQTT_HA_CONFIG_MAX,
	       "PT_MQTT_PAYLOAD_MAX is the largest payload");
_Static_assert(PT_MQTT_TOPIC_MAX < PT_MQTT_TOPIC_CAP && PT_MQTT_HA_TOPIC_MAX < PT_MQTT_TOPIC_CAP,
	       "every topic fits PT_MQTT_TOPIC_CAP with its NUL");
/* The longest state: {"alarm":"armed_night","at":253402300799,"bolt":"unlocked",
 * "camera":"unhealthy","door":"unknown","online":false,"rev":9223372036854775807} */
_Static_assert(sizeof("{\"alarm\":\"armed_night\",\"at\":253402300799,\"bolt\":\"unlocked\","
		      "\"camera\":\"unhealthy\",\"door\":\"unknown\",\"online\":false,"
		      "\"rev\":9223372036854775807}") - 1 <= PT_MQTT_STATE_PAYLOAD_MAX,
	       "the longest state fits");
_Static_assert(PT_TIME_MAX == 253402300799LL, "the longest 'at' above has 12 digits");

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
is_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Append (p, n) to out[cap] at *len; false (nothing written) if no room
 * is left for it and a NUL. */
static bool
append(char *out, size_t cap, size_t *len, const char *p, size_t n)
{
	if (n >= cap - *len)
		return false;
	memcpy(out + *len, p, n);
	*len += n;
	out[*len] = '\0';
	return true;
}

static bool
append_str(char *out, size_t cap, size_t *len, const char *s)
{
	return append(out, cap, len, s, strlen(s));
}

/* ---- leaves ---- */

static const struct pt_mqtt_leaf_info leaves[] = {
	[PT_MQTT_STATE] = {"state", 1, true, true},
	[PT_MQTT_EVENTS] = {"events", 1, false, true},
	[PT_MQTT_ACK] = {"ack", 1, true, false},
	[PT_MQTT_REVOCATIONS] = {"revocations", 1, true, false},
	[PT_MQTT_COMMANDS] = {"commands", 1, false, false},
	[PT_MQTT_TIME] = {"time", 0, false, false},
	[PT_MQTT_OWNERS] = {"owners", 1, true, false},
	[PT_MQTT_PAIR] = {"pair", 1, false, false},
	[PT_MQTT_HOME] = {"home", 1, true, true},
};
_Static_assert(sizeof(leaves) / sizeof(leaves[0]) == PT_MQTT_LEAF_LAST + 1, "every leaf named");
#define N_LEAVES (sizeof(leaves) / sizeof(leaves[0]))

const struct pt_mqtt_leaf_info *
pt_mqtt_leaf_info(int leaf)
{
	if (leaf < PT_MQTT_STATE || (size_t)leaf >= N_LEAVES)
		return NULL;
	return &leaves[leaf];
}

/* ---- topics ---- */

static int
topic_build(int leaf, const char *hub, size_t hub_len, char *out, size_t cap, size_t *out_len)
{
	const struct pt_mqtt_leaf_info *li = pt_mqtt_leaf_info(leaf);
	size_t n = 0;

	if (li == NULL)
		return PT_EINVAL;
	if (cap == 0 || !append_str(out, cap, &n, PT_MQTT_PREFIX) ||
	    !append(out, cap, &n, hub, hub_len) || !append(out, cap, &n, "/", 1) ||
	    !append_str(out, cap, &n, li->name)) {
		if (cap > 0)
			out[0] = '\0';
		return PT_ENOSPC;
	}
	*out_len = n;
	return PT_OK;
}

int
pt_mqtt_topic_build(int leaf, const char *hub_id, char *out, size_t cap, size_t *out_len)
{
	size_t hub_len;

	*out_len = 0;
	if (hub_id == NULL)
		return PT_EINVAL;
	hub_len = bounded(hub_id, PT_ID_MAX);
	if (!pt_id_is_valid(hub_id, hub_len))
		return PT_EINVAL;
	return topic_build(leaf, hub_id, hub_len, out, cap, out_len);
}

int
pt_mqtt_filter_build(int leaf, char *out, size_t cap, size_t *out_len)
{
	*out_len = 0;
	return topic_build(leaf, "+", 1, out, cap, out_len);
}

int
pt_mqtt_topic_parse(const char *topic, size_t len, struct pt_mqtt_topic *t)
{
	static const char head[] = "porter/v";
	const size_t head_len = sizeof(head) - 1;
	size_t i, id_start, id_len, rest;
	const char *leaf;
	int r = PT_EMALFORMED;

	memset(t, 0, sizeof(*t));
	if (topic == NULL)
		goto fail;
	if (len > PT_MQTT_TOPIC_MAX) {
		r = PT_ETOOBIG;
		goto fail;
	}
	if (memchr(topic, '\0', len) != NULL || len < head_len ||
	    memcmp(topic, head, head_len) != 0)
		goto fail;
	/* "porter/v<digits>/": a version other than ours is named as such. */
	for (i = head_len; i < len && topic[i] >= '0' && topic[i] <= '9'; i++)
		continue;
	if (i == head_len || i == len || topic[i] != '/')
		goto fail;
	if (i - head_len != 1 || topic[head_len] != '0' + PT_MQTT_VERSION) {
		r = PT_EUNSUPPORTED;
		goto fail;
	}
	if (len < sizeof(PT_MQTT_PREFIX) - 1 ||
	    memcmp(topic, PT_MQTT_PREFIX, sizeof(PT_MQTT_PREFIX) - 1) != 0)
		goto fail;
	id_start = sizeof(PT_MQTT_PREFIX) - 1;
	for (i = id_start; i < len && topic[i] != '/'; i++)
		continue;
	if (i == len)
		goto fail;
	id_len = i - id_start;
	if (!pt_id_is_valid(topic + id_start, id_len))
		goto fail;
	leaf = topic + i + 1;
	rest = len - i - 1;
	for (i = PT_MQTT_STATE; i < N_LEAVES; i++) {
		if (strlen(leaves[i].name) == rest && memcmp(leaves[i].name, leaf, rest) == 0)
			break;
	}
	if (i == N_LEAVES)
		goto fail;
	t->leaf = (uint8_t)i;
	memcpy(t->hub_id, topic + id_start, id_len);
	t->hub_id[id_len] = '\0';
	return PT_OK;
fail:
	memset(t, 0, sizeof(*t));
	return r;
}

/* ---- a bounded JSON writer (state, discovery configs) ---- */

struct jw {
	uint8_t *buf;
	size_t cap;		/* room for the payload; one more byte holds the NUL */
	size_t len;
	bool overflow;
	bool first;		/* no member written yet in the current object */
};

static void
jw_init(struct jw *w, uint8_t *out, size_t cap)
{
	w->buf = out;
	w->cap = cap > 0 ? cap - 1 : 0;
	w->len = 0;
	w->overflow = cap == 0;
	w->first = true;
}

static void
jw_raw(struct jw *w, const char *p, size_t n)
{
	if (w->overflow)
		return;
	if (n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void
jw_lit(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

/* A JSON string; the callers pass printable UTF-8, so only '"' and '\\'
 * need escaping, but control bytes are escaped too rather than trusted. */
static void
jw_str(struct jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	jw_raw(w, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xfu]};

		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			jw_raw(w, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			jw_raw(w, esc, 6);
		} else {
			jw_raw(w, (const char *)&s[i], 1);
		}
	}
	jw_raw(w, "\"", 1);
}

static void
jw_uint(struct jw *w, uint64_t v)
{
	char d[20];
	size_t n = 0;

	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	jw_raw(w, d + sizeof(d) - n, n);
}

static void
jw_key(struct jw *w, const char *key)
{
	if (!w->first)
		jw_raw(w, ",", 1);
	w->first = false;
	jw_str(w, key, strlen(key));
	jw_raw(w, ":", 1);
}

static void
jw_kv_str(struct jw *w, const char *key, const char *v)
{
	jw_key(w, key);
	jw_str(w, v, strlen(v));
}

static void
jw_kv_lit(struct jw *w, const char *key, const char *v)
{
	jw_key(w, key);
	jw_lit(w, v);
}

static int
jw_end(struct jw *w, uint8_t *out, size_t *out_len)
{
	if (w->overflow) {
		*out_len = 0;
		return PT_ENOSPC;
	}
	out[w->len] = '\0';
	*out_len = w->len;
	return PT_OK;
}

/* ---- state ---- */

static const char *const bolt_names[] = {"unknown", "locked", "unlocked", "jammed"};
static const char *const door_names[] = {"unknown", "closed", "open"};
static const char *const alarm_names[] = {"unknown",	"none",	   "disarmed",
					  "armed_home", "armed_away", "armed_night",
					  "arming",	"pending",    "triggered"};
static const char *const camera_names[] = {"unknown", "none", "healthy", "unhealthy"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *
pt_mqtt_bolt_name(unsigned v)
{
	return v < COUNT(bolt_names) ? bolt_names[v] : NULL;
}

const char *
pt_mqtt_door_name(unsigned v)
{
	return v < COUNT(door_names) ? door_names[v] : NULL;
}

const char *
pt_mqtt_alarm_name(unsigned v)
{
	return v < COUNT(alarm_names) ? alarm_names[v] : NULL;
}

const char *
pt_mqtt_camera_name(unsigned v)
{
	return v < COUNT(camera_names) ? camera_names[v] : NULL;
}

static bool
state_is_valid(const struct pt_mqtt_state *s)
{
	if (s->bolt >= COUNT(bolt_names) || s->door >= COUNT(door_names) ||
	    s->alarm >= COUNT(alarm_names) || s->camera >= COUNT(camera_names))
		return false;
	/* Absent values are zero, so a decoded struct compares equal to the
	 * one that was encoded. */
	if (s->has_at ? s->at < 0 || s->at > PT_TIME_MAX : s->at != 0)
		return false;
	if (s->has_rev ? s->rev < 0 : s->rev != 0)
		return false;
	if (!s->online)	/* the will: nothing is known about an offline hub */
		return s->bolt == 0 && s->door == 0 && s->alarm == 0 && s->camera == 0 &&
		       !s->has_at && !s->has_rev;
	return s->has_rev;	/* an online hub always knows its version */
}

int
pt_mqtt_state_encode(const struct pt_mqtt_state *s, uint8_t *out, size_t cap, size_t *out_len)
{
	struct jw w;

	*out_len = 0;
	if (!state_is_valid(s))
		return PT_EINVAL;
	jw_init(&w, out, cap);
	jw_lit(&w, "{");
	jw_kv_str(&w, "alarm", alarm_names[s->alarm]);
	jw_key(&w, "at");
	if (s->has_at)
		jw_uint(&w, (uint64_t)s->at);
	else
		jw_lit(&w, "null");
	jw_kv_str(&w, "bolt", bolt_names[s->bolt]);
	jw_kv_str(&w, "camera", camera_names[s->camera]);
	jw_kv_str(&w, "door", door_names[s->door]);
	jw_kv_lit(&w, "online", s->online ? "true" : "false");
	jw_key(&w, "rev");
	if (s->has_rev)
		jw_uint(&w, (uint64_t)s->rev);
	else
		jw_lit(&w, "null");
	jw_lit(&w, "}");
	return jw_end(&w, out, out_len);
}

/* A scanner for the one canonical form the encoder writes. */
struct sc {
	const uint8_t *p;
	size_t len, off;
};

static bool
sc_lit(struct sc *c, const char *s)
{
	size_t n = strlen(s);

	if (n > c->len - c->off || memcmp(c->p + c->off, s, n) != 0)
		return false;
	c->off += n;
	return true;
}

/* "name" where name is one of names[0..count). */
static bool
sc_enum(struct sc *c, const char *const *names, size_t count, uint8_t *v)
{
	size_t start, n, i;

	if (!sc_lit(c, "\""))
		return false;
	start = c->off;
	while (c->off < c->len && c->p[c->off] != '"' && c->off - start <= 16)
		c->off++;
	if (c->off >= c->len || c->p[c->off] != '"')
		return false;
	n = c->off - start;
	c->off++;
	for (i = 0; i < count; i++) {
		if (strlen(names[i]) == n && memcmp(names[i], c->p + start, n) == 0) {
			*v = (uint8_t)i;
			return true;
		}
	}
	return false;
}

/* null, or a non-negative integer in 0..max without leading zeros. */
static bool
sc_uint_or_null(struct sc *c, int64_t max, bool *has, int64_t *v)
{
	uint64_t acc = 0;
	size_t start = c->off;

	*has = false;
	*v = 0;
	if (sc_lit(c, "null"))
		return true;
	while (c->off < c->len && c->p[c->off] >= '0' && c->p[c->off] <= '9') {
		unsigned d = (unsigned)(c->p[c->off] - '0');
		if (acc > ((uint64_t)max - d) / 10)
			return false;
		acc = acc * 10 + d;
		c->off++;
	}
	if (c->off == start || (c->p[start] == '0' && c->off - start > 1))
		return false;
	*has = true;
	*v = (int64_t)acc;
	return true;
}

int
pt_mqtt_state_decode(const uint8_t *p, size_t len, struct pt_mqtt_state *s)
{
	struct sc c = {p, len, 0};
	int r = PT_EMALFORMED;

	memset(s, 0, sizeof(*s));
	if (p == NULL)
		goto fail;
	if (len > PT_MQTT_STATE_PAYLOAD_MAX) {
		r = PT_ETOOBIG;
		goto fail;
	}
	if (!sc_lit(&c, "{\"alarm\":") || !sc_enum(&c, alarm_names, COUNT(alarm_names), &s->alarm) ||
	    !sc_lit(&c, ",\"at\":") || !sc_uint_or_null(&c, PT_TIME_MAX, &s->has_at, &s->at) ||
	    !sc_lit(&c, ",\"bolt\":") || !sc_enum(&c, bolt_names, COUNT(bolt_names), &s->bolt) ||
	    !sc_lit(&c, ",\"camera\":") ||
	    !sc_enum(&c, camera_names, COUNT(camera_names), &s->camera) ||
	    !sc_lit(&c, ",\"door\":") || !sc_enum(&c, door_names, COUNT(door_names), &s->door) ||
	    !sc_lit(&c, ",\"online\":"))
		goto fail;
	if (sc_lit(&c, "true"))
		s->online = true;
	else if (!sc_lit(&c, "false"))
		goto fail;
	if (!sc_lit(&c, ",\"rev\":") || !sc_uint_or_null(&c, INT64_MAX, &s->has_rev, &s->rev) ||
	    !sc_lit(&c, "}") || c.off != c.len || !state_is_valid(s))
		goto fail;
	return PT_OK;
fail:
	memset(s, 0, sizeof(*s));
	return r;
}

/* ---- CBOR helpers ---- */

static void
wr_init(struct pt_cbor_wr *w, uint8_t *out, size_t cap, size_t max)
{
	pt_cbor_wr_init(w, out, cap < max ? cap : max);
}

static int
wr_end(const struct pt_cbor_wr *w, size_t *out_len)
{
	if (pt_cbor_wr_status(w) != PT_OK) {
		*out_len = 0;
		return PT_ENOSPC;
	}
	*out_len = w->len;
	return PT_OK;
}

/* The payload's top-level map of 1..max_pairs pairs (PT_ETOOBIG over max_len). */
static int
rd_begin(struct pt_cbor_rd *rd, const uint8_t *p, size_t len, size_t max_len, uint64_t max_pairs,
	 uint64_t *n)
{
	*n = 0;
	if (p == NULL)
		return PT_EMALFORMED;
	if (len > max_len)
		return PT_ETOOBIG;
	pt_cbor_rd_init(rd, p, len);
	if (pt_cbor_map(rd, n) != PT_OK || *n == 0 || *n > max_pairs)
		return PT_EMALFORMED;
	return PT_OK;
}

static int
read_uint_range(struct pt_cbor_rd *rd, uint64_t lo, uint64_t hi, int64_t *v)
{
	uint64_t u;

	*v = 0;
	if (pt_cbor_uint(rd, &u) != PT_OK || u < lo || u > hi)
		return PT_EMALFORMED;
	*v = (int64_t)u;
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
read_envelope(struct pt_cbor_rd *rd, const uint8_t **p, size_t *len)
{
	if (pt_cbor_bytes(rd, p, len) != PT_OK || *len == 0 || *len > PT_ENVELOPE_SIZE_MAX) {
		*p = NULL;
		*len = 0;
		return PT_EMALFORMED;
	}
	return PT_OK;
}

/* Read the next key, which must be exactly want (so a map of n pairs with
 * keys 1..n in order has every key, and nothing else gets in). */
static int
read_key(struct pt_cbor_rd *rd, struct pt_cbor_keys *keys, int64_t want)
{
	int64_t key;

	if (pt_cbor_key(rd, keys, &key) != PT_OK || key != want)
		return PT_EMALFORMED;
	return PT_OK;
}

static const uint8_t empty[1];

/* ---- events ---- */

static bool
event_is_valid(const struct pt_mqtt_event *e)
{
	return e->seq >= 1 && e->type != NULL && pt_event_type_is_valid(e->type, e->type_len) &&
	       e->data_len <= PT_EVENT_DATA_MAX && (e->data != NULL || e->data_len == 0) &&
	       (e->seq != 1 || is_zero(e->prev, PT_HASH_LEN));
}

static bool
batch_is_valid(const struct pt_mqtt_events *b)
{
	size_t i;

	if (b->n == 0 || b->n > PT_MQTT_EVENTS_MAX)
		return false;
	for (i = 0; i < b->n; i++) {
		const struct pt_mqtt_event *e = &b->ev[i];

		if (!event_is_valid(e))
			return false;
		if (i > 0 && (b->ev[i - 1].seq == INT64_MAX || e->seq != b->ev[i - 1].seq + 1 ||
			      memcmp(e->prev, b->ev[i - 1].hash, PT_HASH_LEN) != 0))
			return false;
	}
	return true;
}

int
pt_mqtt_events_encode(const struct pt_mqtt_events *b, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;
	size_t i;

	*out_len = 0;
	if (!batch_is_valid(b))
		return PT_EINVAL;
	wr_init(&w, out, cap, PT_MQTT_EVENTS_PAYLOAD_MAX);
	pt_cbor_put_map(&w, 2);
	pt_cbor_put_uint(&w, K_B_EVENTS);
	pt_cbor_put_array(&w, b->n);
	for (i = 0; i < b->n; i++) {
		const struct pt_mqtt_event *e = &b->ev[i];

		pt_cbor_put_map(&w, 6);
		pt_cbor_put_uint(&w, K_EV_SEQ);
		pt_cbor_put_uint(&w, (uint64_t)e->seq);
		pt_cbor_put_uint(&w, K_EV_AT);
		pt_cbor_put_int(&w, e->at);
		pt_cbor_put_uint(&w, K_EV_TYPE);
		pt_cbor_put_text(&w, e->type, e->type_len);
		pt_cbor_put_uint(&w, K_EV_DATA);
		pt_cbor_put_bytes(&w, e->data_len > 0 ? e->data : empty, e->data_len);
		pt_cbor_put_uint(&w, K_EV_PREV);
		pt_cbor_put_bytes(&w, e->prev, PT_HASH_LEN);
		pt_cbor_put_uint(&w, K_EV_HASH);
		pt_cbor_put_bytes(&w, e->hash, PT_HASH_LEN);
	}
	pt_cbor_put_uint(&w, K_B_SIG);
	pt_cbor_put_bytes(&w, b->sig, PT_SIG_LEN);
	return wr_end(&w, out_len);
}

static int
read_event(struct pt_cbor_rd *rd, struct pt_mqtt_event *e)
{
	struct pt_cbor_keys keys;
	const uint8_t *p;
	uint64_t n;

	if (pt_cbor_map(rd, &n) != PT_OK || n != 6)
		return PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	if (read_key(rd, &keys, K_EV_SEQ) != PT_OK ||
	    read_uint_range(rd, 1, INT64_MAX, &e->seq) != PT_OK ||
	    read_key(rd, &keys, K_EV_AT) != PT_OK || pt_cbor_int(rd, &e->at) != PT_OK ||
	    read_key(rd, &keys, K_EV_TYPE) != PT_OK || pt_cbor_text(rd, &p, &e->type_len) != PT_OK)
		return PT_EMALFORMED;
	e->type = (const char *)p;
	if (!pt_event_type_is_valid(e->type, e->type_len) ||
	    read_key(rd, &keys, K_EV_DATA) != PT_OK || pt_cbor_bytes(rd, &e->data, &e->data_len) != PT_OK ||
	    e->data_len > PT_EVENT_DATA_MAX || read_key(rd, &keys, K_EV_PREV) != PT_OK ||
	    read_fixed_bytes(rd, e->prev, PT_HASH_LEN) != PT_OK ||
	    read_key(rd, &keys, K_EV_HASH) != PT_OK ||
	    read_fixed_bytes(rd, e->hash, PT_HASH_LEN) != PT_OK)
		return PT_EMALFORMED;
	return PT_OK;
}

int
pt_mqtt_events_decode(const uint8_t *p, size_t len, struct pt_mqtt_events *b)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	uint64_t n, count, i;
	int r;

	memset(b, 0, sizeof(*b));
	if ((r = rd_begin(&rd, p, len, PT_MQTT_EVENTS_PAYLOAD_MAX, 2, &n)) != PT_OK)
		goto fail;
	r = PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	if (n != 2 || read_key(&rd, &keys, K_B_EVENTS) != PT_OK ||
	    pt_cbor_array(&rd, &count) != PT_OK || count == 0 || count > PT_MQTT_EVENTS_MAX)
		goto fail;
	for (i = 0; i < count; i++)
		if (read_event(&rd, &b->ev[i]) != PT_OK)
			goto fail;
	b->n = (size_t)count;
	if (read_key(&rd, &keys, K_B_SIG) != PT_OK ||
	    read_fixed_bytes(&rd, b->sig, PT_SIG_LEN) != PT_OK || !pt_cbor_rd_done(&rd) ||
	    !batch_is_valid(b))
		goto fail;
	return PT_OK;
fail:
	memset(b, 0, sizeof(*b));
	return r;
}

int
pt_mqtt_events_verify(const struct pt_crypto_ops *ops, const uint8_t hub_pk[PT_PK_LEN],
		      const char *hub_id, const struct pt_mqtt_events *b, size_t *bad)
{
	uint8_t h[PT_HASH_LEN];
	const struct pt_mqtt_event *last;
	size_t i;

	*bad = b->n;
	if (ops == NULL || hub_pk == NULL || hub_id == NULL || !batch_is_valid(b))
		return PT_EINVAL;
	for (i = 0; i < b->n; i++) {
		const struct pt_mqtt_event *e = &b->ev[i];

		if (pt_event_hash(ops, e->prev, e->seq, e->at, e->type, e->type_len,
				  e->data_len > 0 ? e->data : empty, e->data_len, h) != PT_OK ||
		    memcmp(h, e->hash, PT_HASH_LEN) != 0) {
			*bad = i;
			return PT_EBADSIG;
		}
	}
	last = &b->ev[b->n - 1];
	if (pt_checkpoint_verify(ops, hub_pk, hub_id, last->seq, last->hash, b->sig) != PT_OK)
		return PT_EBADSIG;
	*bad = 0;
	return PT_OK;
}

int
pt_mqtt_events_sign(const struct pt_signer *sg, const char *hub_id, struct pt_mqtt_events *b)
{
	uint8_t msg[PT_CHECKPOINT_MSG_MAX];
	const struct pt_mqtt_event *last;
	size_t n;
	int r;

	memset(b->sig, 0, PT_SIG_LEN);
	if (sg == NULL || sg->sign == NULL || hub_id == NULL || !batch_is_valid(b))
		return PT_EINVAL;
	last = &b->ev[b->n - 1];
	if (pt_checkpoint_message(hub_id, last->seq, last->hash, msg, sizeof(msg), &n) != PT_OK)
		return PT_EINVAL;
	if ((r = sg->sign(sg->arg, b->sig, msg, n)) != PT_OK) {
		memset(b->sig, 0, PT_SIG_LEN);
		return r < 0 ? r : PT_ECRYPTO;
	}
	return PT_OK;
}

/* ---- ack ---- */

static bool
ack_is_valid(const struct pt_mqtt_ack *a)
{
	return a->seq >= 0 && (a->seq > 0 || is_zero(a->hash, PT_HASH_LEN));
}

int
pt_mqtt_ack_encode(const struct pt_mqtt_ack *a, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;

	*out_len = 0;
	if (!ack_is_valid(a))
		return PT_EINVAL;
	wr_init(&w, out, cap, PT_MQTT_ACK_PAYLOAD_MAX);
	pt_cbor_put_map(&w, a->seq > 0 ? 2 : 1);
	pt_cbor_put_uint(&w, K_ACK_SEQ);
	pt_cbor_put_uint(&w, (uint64_t)a->seq);
	if (a->seq > 0) {
		pt_cbor_put_uint(&w, K_ACK_HASH);
		pt_cbor_put_bytes(&w, a->hash, PT_HASH_LEN);
	}
	return wr_end(&w, out_len);
}

int
pt_mqtt_ack_decode(const uint8_t *p, size_t len, struct pt_mqtt_ack *a)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	uint64_t n;
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = rd_begin(&rd, p, len, PT_MQTT_ACK_PAYLOAD_MAX, 2, &n)) != PT_OK)
		goto fail;
	r = PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	if (read_key(&rd, &keys, K_ACK_SEQ) != PT_OK ||
	    read_uint_range(&rd, 0, INT64_MAX, &a->seq) != PT_OK)
		goto fail;
	/* The hash comes exactly when something was stored. */
	if ((n == 2) != (a->seq > 0))
		goto fail;
	if (n == 2 && (read_key(&rd, &keys, K_ACK_HASH) != PT_OK ||
		       read_fixed_bytes(&rd, a->hash, PT_HASH_LEN) != PT_OK))
		goto fail;
	if (!pt_cbor_rd_done(&rd))
		goto fail;
	return PT_OK;
fail:
	memset(a, 0, sizeof(*a));
	return r;
}

/* ---- revocations ---- */

static bool
revocations_are_valid(const struct pt_mqtt_revocations *m)
{
	size_t i;

	if (m->newest < 0 || m->n > PT_MQTT_REVOCATIONS_MAX)
		return false;
	for (i = 0; i < m->n; i++) {
		const struct pt_mqtt_revocation *r = &m->r[i];

		if (r->version < 1 || r->version > m->newest || r->envelope == NULL ||
		    r->envelope_len == 0 || r->envelope_len > PT_ENVELOPE_SIZE_MAX ||
		    (i > 0 && r->version <= m->r[i - 1].version))
			return false;
	}
	return true;
}

int
pt_mqtt_revocations_encode(const struct pt_mqtt_revocations *m, uint8_t *out, size_t cap,
			   size_t *out_len)
{
	struct pt_cbor_wr w;
	size_t i;

	*out_len = 0;
	if (!revocations_are_valid(m))
		return PT_EINVAL;
	wr_init(&w, out, cap, PT_MQTT_REVOCATIONS_PAYLOAD_MAX);
	pt_cbor_put_map(&w, 2);
	pt_cbor_put_uint(&w, K_RV_NEWEST);
	pt_cbor_put_uint(&w, (uint64_t)m->newest);
	pt_cbor_put_uint(&w, K_RV_ENTRIES);
	pt_cbor_put_array(&w, m->n);
	for (i = 0; i < m->n; i++) {
		pt_cbor_put_map(&w, 2);
		pt_cbor_put_uint(&w, K_RE_VERSION);
		pt_cbor_put_uint(&w, (uint64_t)m->r[i].version);
		pt_cbor_put_uint(&w, K_RE_ENVELOPE);
		pt_cbor_put_bytes(&w, m->r[i].envelope, m->r[i].envelope_len);
	}
	return wr_end(&w, out_len);
}

int
pt_mqtt_revocations_decode(const uint8_t *p, size_t len, struct pt_mqtt_revocations *m)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys, ekeys;
	uint64_t n, count, pairs, i;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = rd_begin(&rd, p, len, PT_MQTT_REVOCATIONS_PAYLOAD_MAX, 2, &n)) != PT_OK)
		goto fail;
	r = PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	if (n != 2 || read_key(&rd, &keys, K_RV_NEWEST) != PT_OK ||
	    read_uint_range(&rd, 0, INT64_MAX, &m->newest) != PT_OK ||
	    read_key(&rd, &keys, K_RV_ENTRIES) != PT_OK || pt_cbor_array(&rd, &count) != PT_OK ||
	    count > PT_MQTT_REVOCATIONS_MAX)
		goto fail;
	for (i = 0; i < count; i++) {
		struct pt_mqtt_revocation *e = &m->r[i];

		pt_cbor_key_init(&ekeys);
		if (pt_cbor_map(&rd, &pairs) != PT_OK || pairs != 2 ||
		    read_key(&rd, &ekeys, K_RE_VERSION) != PT_OK ||
		    read_uint_range(&rd, 1, INT64_MAX, &e->version) != PT_OK ||
		    read_key(&rd, &ekeys, K_RE_ENVELOPE) != PT_OK ||
		    read_envelope(&rd, &e->envelope, &e->envelope_len) != PT_OK)
			goto fail;
	}
	m->n = (size_t)count;
	if (!pt_cbor_rd_done(&rd) || !revocations_are_valid(m))
		goto fail;
	return PT_OK;
fail:
	memset(m, 0, sizeof(*m));
	return r;
}

/* ---- commands ---- */

int
pt_mqtt_command_encode(const struct pt_mqtt_command *c, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;

	*out_len = 0;
	if (c->envelope == NULL || c->envelope_len == 0 || c->envelope_len > PT_ENVELOPE_SIZE_MAX)
		return PT_EINVAL;
	wr_init(&w, out, cap, PT_MQTT_COMMAND_PAYLOAD_MAX);
	pt_cbor_put_map(&w, 1);
	pt_cbor_put_uint(&w, K_CMD_ENVELOPE);
	pt_cbor_put_bytes(&w, c->envelope, c->envelope_len);
	return wr_end(&w, out_len);
}

int
pt_mqtt_command_decode(const uint8_t *p, size_t len, struct pt_mqtt_command *c)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	uint64_t n;
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = rd_begin(&rd, p, len, PT_MQTT_COMMAND_PAYLOAD_MAX, 1, &n)) != PT_OK)
		goto fail;
	r = PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	if (read_key(&rd, &keys, K_CMD_ENVELOPE) != PT_OK ||
	    read_envelope(&rd, &c->envelope, &c->envelope_len) != PT_OK || !pt_cbor_rd_done(&rd))
		goto fail;
	return PT_OK;
fail:
	memset(c, 0, sizeof(*c));
	return r;
}

/* ---- time ---- */

int
pt_mqtt_time_encode(const struct pt_mqtt_time *t, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;

	*out_len = 0;
	if (t->now_ms < 0 || t->now_ms > TIME_MS_MAX || t->rev < 0)
		return PT_EINVAL;
	wr_init(&w, out, cap, PT_MQTT_TIME_PAYLOAD_MAX);
	pt_cbor_put_map(&w, 2);
	pt_cbor_put_uint(&w, K_T_NOW);
	pt_cbor_put_uint(&w, (uint64_t)t->now_ms);
	pt_cbor_put_uint(&w, K_T_REV);
	pt_cbor_put_uint(&w, (uint64_t)t->rev);
	return wr_end(&w, out_len);
}

int
pt_mqtt_time_decode(const uint8_t *p, size_t len, struct pt_mqtt_time *t)
{
	struct pt_cbor_rd rd;
	struct pt_cbor_keys keys;
	uint64_t n;
	int r;

	memset(t, 0, sizeof(*t));
	if ((r = rd_begin(&rd, p, len, PT_MQTT_TIME_PAYLOAD_MAX, 2, &n)) != PT_OK)
		goto fail;
	r = PT_EMALFORMED;
	pt_cbor_key_init(&keys);
	if (n != 2 || read_key(&rd, &keys, K_T_NOW) != PT_OK ||
	    read_uint_range(&rd, 0, (uint64_t)TIME_MS_MAX, &t->now_ms) != PT_OK ||
	    read_key(&rd, &keys, K_T_REV) != PT_OK ||
	    read_uint_range(&rd, 0, INT64_MAX, &t->rev) != PT_OK || !pt_cbor_rd_done(&rd))
		goto fail;
	return PT_OK;
fail:
	memset(t, 0, sizeof(*t));
	return r;
}

/* ---- Home Assistant discovery ---- */

#define HA_NAME_MAX 100
#define HA_VERSION_MAX 32
#define HA_AVAILABILITY "{{ 'online' if value_json.online else 'offline' }}"

struct ha_entity {
	const char *component, *object, *name, *template;
};

static const struct ha_entity ha_entities[] = {
	[PT_MQTT_HA_LOCK] = {"lock", "lock", "Lock", "{{ value_json.bolt }}"},
	[PT_MQTT_HA_DOOR] = {"binary_sensor", "door", "Door", "{{ value_json.door }}"},
	[PT_MQTT_HA_CAMERA] = {"binary_sensor", "camera", "Camera", "{{ value_json.camera }}"},
};

static const struct ha_entity *
ha_entity(int entity)
{
	if (entity < PT_MQTT_HA_LOCK || (size_t)entity >= COUNT(ha_entities))
		return NULL;
	return &ha_entities[entity];
}

/* Home Assistant's node_id: [A-Za-z0-9_-]; ours are that plus '.'. */
static bool
ha_id(const char *hub_id, size_t *len)
{
	*len = 0;
	if (hub_id == NULL)
		return false;
	*len = bounded(hub_id, PT_ID_MAX);
	return pt_id_is_valid(hub_id, *len) && memchr(hub_id, '.', *len) == NULL;
}

int
pt_mqtt_ha_topic(int entity, const char *hub_id, char *out, size_t cap, size_t *out_len)
{
	const struct ha_entity *h = ha_entity(entity);
	size_t hub_len, n = 0;

	*out_len = 0;
	if (h == NULL || !ha_id(hub_id, &hub_len))
		return PT_EINVAL;
	if (cap == 0 || !append_str(out, cap, &n, PT_MQTT_HA_PREFIX "/") ||
	    !append_str(out, cap, &n, h->component) || !append(out, cap, &n, "/", 1) ||
	    !append(out, cap, &n, hub_id, hub_len) || !append(out, cap, &n, "/", 1) ||
	    !append_str(out, cap, &n, h->object) || !append_str(out, cap, &n, "/config")) {
		if (cap > 0)
			out[0] = '\0';
		return PT_ENOSPC;
	}
	*out_len = n;
	return PT_OK;
}

static bool
text_ok(const char *s, size_t max, size_t *len)
{
	*len = 0;
	if (s == NULL)
		return false;
	*len = bounded(s, max);
	return *len >= 1 && *len <= max && pt_text_is_printable((const uint8_t *)s, *len);
}

int
pt_mqtt_ha_config(int entity, const char *hub_id, const char *name, const char *sw_version,
		  uint8_t *out, size_t cap, size_t *out_len)
{
	const struct ha_entity *h = ha_entity(entity);
	char state[PT_MQTT_TOPIC_CAP], set[PT_MQTT_TOPIC_CAP + 8], ident[PT_ID_MAX + 8],
		uid[PT_ID_MAX + 16];
	size_t hub_len, name_len, ver_len, n, set_len = 0, ident_len = 0, uid_len = 0;
	struct jw w;

	*out_len = 0;
	if (h == NULL || !ha_id(hub_id, &hub_len) || !text_ok(name, HA_NAME_MAX, &name_len) ||
	    !text_ok(sw_version, HA_VERSION_MAX, &ver_len))
		return PT_EINVAL;
	if (pt_mqtt_topic_build(PT_MQTT_STATE, hub_id, state, sizeof(state), &n) != PT_OK ||
	    !append(set, sizeof(set), &set_len, state, n - strlen("state")) ||
	    !append_str(set, sizeof(set), &set_len, "ha/set") ||
	    !append_str(ident, sizeof(ident), &ident_len, "porter_") ||
	    !append(ident, sizeof(ident), &ident_len, hub_id, hub_len) ||
	    !append(uid, sizeof(uid), &uid_len, ident, ident_len) ||
	    !append(uid, sizeof(uid), &uid_len, "_", 1) ||
	    !append_str(uid, sizeof(uid), &uid_len, h->object))
		return PT_EINVAL;	/* cannot happen: the buffers fit the longest id */

	/* Keys in sorted order, so the config is one canonical string. */
	jw_init(&w, out, cap);
	jw_lit(&w, "{");
	jw_kv_str(&w, "availability_template", HA_AVAILABILITY);
	jw_kv_str(&w, "availability_topic", state);
	if (entity == PT_MQTT_HA_LOCK)
		/* Home Assistant requires one; nobody may publish there and the
		 * hub never listens: opening takes an owner's signature. */
		jw_kv_str(&w, "command_topic", set);
	jw_key(&w, "device");
	w.first = true;
	jw_lit(&w, "{");
	jw_key(&w, "identifiers");
	jw_lit(&w, "[");
	jw_str(&w, ident, ident_len);
	jw_lit(&w, "]");
	jw_kv_str(&w, "manufacturer", "porter");
	jw_kv_str(&w, "model", "porter-hub");
	jw_key(&w, "name");
	jw_str(&w, name, name_len);
	jw_key(&w, "sw_version");
	jw_str(&w, sw_version, ver_len);
	jw_lit(&w, "}");
	w.first = false;
	switch (entity) {
	case PT_MQTT_HA_LOCK:
		jw_kv_str(&w, "name", h->name);
		jw_kv_lit(&w, "optimistic", "false");
		jw_kv_lit(&w, "qos", "1");
		jw_kv_str(&w, "state_jammed", bolt_names[PT_MQTT_BOLT_JAMMED]);
		jw_kv_str(&w, "state_locked", bolt_names[PT_MQTT_BOLT_LOCKED]);
		jw_kv_str(&w, "state_topic", state);
		jw_kv_str(&w, "state_unlocked", bolt_names[PT_MQTT_BOLT_UNLOCKED]);
		break;
	case PT_MQTT_HA_DOOR:
		jw_kv_str(&w, "device_class", "door");
		jw_kv_str(&w, "name", h->name);
		jw_kv_str(&w, "payload_off", door_names[PT_MQTT_DOOR_CLOSED]);
		jw_kv_str(&w, "payload_on", door_names[PT_MQTT_DOOR_OPEN]);
		jw_kv_lit(&w, "qos", "1");
		jw_kv_str(&w, "state_topic", state);
		break;
	default: /* PT_MQTT_HA_CAMERA */
		jw_kv_str(&w, "device_class", "problem");
		jw_kv_str(&w, "entity_category", "diagnostic");
		jw_kv_str(&w, "name", h->name);
		jw_kv_str(&w, "payload_off", camera_names[PT_MQTT_CAMERA_HEALTHY]);
		jw_kv_str(&w, "payload_on", camera_names[PT_MQTT_CAMERA_UNHEALTHY]);
		jw_kv_lit(&w, "qos", "1");
		jw_kv_str(&w, "state_topic", state);
		break;
	}
	jw_key(&w, "unique_id");
	jw_str(&w, uid, uid_len);
	jw_kv_str(&w, "value_template", h->template);
	jw_lit(&w, "}");
	return jw_end(&w, out, out_len);
}

/* ---- owners ---- */

static bool
owners_are_valid(const struct pt_mqtt_owners *m)
{
	size_t i;

	if (m->n > PT_MQTT_OWNERS_MAX)
		return false;
	for (i = 0; i < m->n; i++)
		if (m->s[i].statement == NULL || m->s[i].statement_len == 0 ||
		    m->s[i].statement_len > PT_ENVELOPE_SIZE_MAX)
			return false;
	return true;
}

int
pt_mqtt_owners_encode(const struct pt_mqtt_owners *m, uint8_t *out, size_t cap, size_t *out_len)
{
	struct pt_cbor_wr w;
	size_t i;

	*out_len = 0;
	if (!owners_are_valid(m))
		return PT_EINVAL;
	wr_init(&w, out, cap, PT_MQTT_OWNERS_PAYLOAD_MAX);
	pt_cbor_put_array(&w, m->n);
	for (i = 0; i < m->n; i++)
		pt_cbor_put_bytes(&w, m->s[i].statement, m->s[i].statement_len);
	return wr_end(&w, out_len);
}

int
pt_mqtt_owners_decode(const uint8_t *p, size_t len, struct pt_mqtt_owners *m)
{
	struct pt_cbor_rd rd;
	uint64_t count, i;
	int r = PT_EMALFORMED;

	memset(m, 0, sizeof(*m));
	if (p == NULL)
		goto fail;
	if (len > PT_MQTT_OWNERS_PAYLOAD_MAX) {
		r = PT_ETOOBIG;
		goto fail;
	}
	pt_cbor_rd_init(&rd, p, len);
	if (pt_cbor_array(&rd, &count) != PT_OK || count > PT_MQTT_OWNERS_MAX)
		goto fail;
	for (i = 0; i < count; i++)
		if (read_envelope(&rd, &m->s[i].statement, &m->s[i].statement_len) != PT_OK)
			goto fail;
	m->n = (size_t)count;
	if (!pt_cbor_rd_done(&rd) || !owners_are_valid(m))
		goto fail;
	return PT_OK;
fail:
	memset(m, 0, sizeof(*m));
	return r;
}
