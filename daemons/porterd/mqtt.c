/*
 * porterd's side of MQTT (docs/mqtt.md): one libmosquitto client in a
 * thread of its own.
 *
 * Up from the hubs (subscribed, by default as the shared subscription
 * "$share/porterd/porter/v1/hub/+/<leaf>" so that porterd replicas share
 * the stream): state and events; and, always as a plain subscription
 * "porter/v1/hub/+/home" (every replica needs it, and a broker sends
 * retained messages to plain subscriptions only), the hub's own signed
 * word on which home it is paired with (on_home). Down to the hubs: the ack after each
 * batch (retained), revocations (the tail, retained, when an owner adds
 * one; pages when a hub's state shows it behind), owner-signed commands as
 * the owner made them, time beacons, and the home's owner statements
 * (retained, when a key is endorsed and when a hub is paired).
 *
 * Threads. This file's thread runs mosquitto_loop() and every callback, so
 * all the work on what hubs send (decode, verify, store, ack) happens
 * there, in normal store transactions on that thread. HTTP request
 * threads only publish (mqtt_revocations_changed, mqtt_command_relay,
 * mqtt_hub_relay):
 * libmosquitto queues the packet and wakes the loop (mosquitto_threaded_set),
 * so no request ever waits for the broker. The thread is ours, not
 * mosquitto_loop_start()'s: libmosquitto's own loop gives up for good on
 * some errors (a DNS or TLS failure), and porterd must keep trying, with
 * backoff, for as long as it runs; the beacons share the thread.
 *
 * Trust. A message names its hub only by the id in its topic
 * (pt_mqtt_topic_parse); the hub must be one porterd paired, and its key
 * comes from the store. An events batch is stored only after its hashes
 * and its checkpoint signature verify under that key. Nothing a hub sends
 * is trusted for more than the events it signed: state is advisory
 * (online, last_seen, revocation catch-up). And nothing a hub sends is
 * filed under the home of its row until the hub's key has said that home
 * (hubs.confirmed, on_home): a hub's public key is no secret, so another
 * home's owner can register it (docs/threat-model.md).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <mosquitto.h>

#include "porter/link.h"
#include "porter/mqtt.h"
#include "porter/net.h"
#include "porter/proto.h"
#include "porter/text.h"
#include "api.h"
#include "porterd.h"

#define KEEPALIVE_S 30
#define BACKOFF_MAX_S 30
#define HUBS_PAGE 64		/* hubs read at a time (beacons, a home's hubs) */
#define HOME_HUBS_MAX 32	/* a home has at most 8 (api_org.c); room to spare */
#define DELIVERY_PAGE 64
#define BAD_BATCH_SLOTS 64	/* hubs remembered for the once-an-hour alert */
#define BAD_BATCH_EVERY_S 3600
#define PASSWORD_MAX 256

struct bad_batch {
	char hub[PT_ID_MAX + 1];
	int64_t at;		/* porterd's clock of the last alert; 0: free */
};

/* The last state message of a hub porterd does not know yet (bounded): a
 * hub connects and publishes its retained state before the owner pairs it
 * through the API; mqtt_hub_paired() applies it then, so the new hub shows
 * online (and gets its revocations) without waiting for its next state. */
#define STRAY_SLOTS 32
#define STRAY_TTL_MS (10 * 60 * 1000)

struct stray_state {
	char hub[PT_ID_MAX + 1];	/* "": free */
	uint8_t p[PT_MQTT_STATE_PAYLOAD_MAX];
	size_t len;
	int64_t at;			/* porterd's clock, ms */
};

/* A hub registered through the API may have published its retained
 * "home" statement long before (paired at the door first): porterd
 * ignored it then (an unknown hub). mqtt_hub_paired subscribes to that
 * hub's exact state and home topics, on which the broker sends the
 * retained messages again, and on_home (or the run loop, after
 * RESUB_TTL_S) unsubscribes. Bounded: the oldest goes first. */
#define RESUB_SLOTS 32
#define RESUB_TTL_S 120

struct resub {
	char hub[PT_ID_MAX + 1];	/* "": free */
	uint64_t until;			/* monotonic seconds */
};

struct mqtt {
	struct server *s;
	struct mosquitto *mq;
	pthread_t thread;
	bool started;
	bool lib;			/* mosquitto_lib_init done */
	char host[256];
	int port;
	const char *via;		/* the attempt's bind address (pt_net_bind_for; the loop thread's) */
	char client_id[PT_ID_MAX + 1];
	char filter_state[PT_MQTT_TOPIC_CAP + PT_ID_MAX + 16];
	char filter_events[PT_MQTT_TOPIC_CAP + PT_ID_MAX + 16];
	char filter_home[PT_MQTT_TOPIC_CAP];	/* never shared (on_home) */
	int64_t beacon_s;
	atomic_bool stop;
	atomic_bool connected;		/* CONNACK accepted, not disconnected since */
	atomic_bool beacon_now;		/* send a round of beacons at the next turn */
	atomic_int backoff_s;
	pthread_mutex_t sleep_mu;	/* the backoff sleep, cut short by mqtt_stop */
	pthread_cond_t sleep_cv;
	pthread_mutex_t tail_mu;	/* one revocation tail at a time: newest last */
	struct bad_batch bad[BAD_BATCH_SLOTS];	/* this thread only */
	pthread_mutex_t stray_mu;
	struct stray_state stray[STRAY_SLOTS];
	pthread_mutex_t resub_mu;
	struct resub resub[RESUB_SLOTS];
};

/* ---- small helpers ---- */

static int64_t
now_ms_utc(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Exactly 2n lowercase hex digits into out[n]. */
static bool
hex_decode(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	if (s == NULL || strlen(s) != 2 * n)
		return false;
	for (i = 0; i < n; i++) {
		int hi = unhex(s[2 * i]), lo = unhex(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* Publish to a hub's leaf as the leaf table says (QoS; retained unless
 * retain_off: revocation pages). 0 or a mosquitto error. */
static int
publish(struct mqtt *m, int leaf, const char *hub_id, const uint8_t *p, size_t len,
	bool retain_off)
{
	const struct pt_mqtt_leaf_info *li = pt_mqtt_leaf_info(leaf);
	char topic[PT_MQTT_TOPIC_CAP];
	size_t tl;
	int rc;

	if (li == NULL || pt_mqtt_topic_build(leaf, hub_id, topic, sizeof(topic), &tl) != PT_OK ||
	    len > (size_t)PT_MQTT_PAYLOAD_MAX)
		return MOSQ_ERR_INVAL;
	rc = mosquitto_publish(m->mq, NULL, topic, (int)len, p, li->qos,
			       li->retained && !retain_off);
	if (rc != MOSQ_ERR_SUCCESS)
		plog(LOG_WARN_, "event=mqtt_publish topic=%s error=\"%s\"", topic,
		     mosquitto_strerror(rc));
	else
		plog(LOG_DEBUG_, "event=mqtt_publish topic=%s bytes=%zu", topic, len);
	return rc;
}

/* ---- revocations ---- */

/*
 * down_ok: porterd sends a hub row nothing of its home's but the pairing
 * relay until the hub's key has named that home (hubs.confirmed, on_home):
 * no revocation tail or page, owners message, command, live request or
 * approval. A hub refuses another home's statements, but it moves its
 * revocation version over refused entries (an entry by a key it does not
 * trust must not block the ones after it), so another home's pages could
 * push it past the real home's revocations, which it would then never
 * fetch (security review 107, H1); and each refusal is an event in the
 * hub's log. At the confirmation on_home sends the tail, then (through
 * the state kept meanwhile) a page if the hub is behind, then the owners
 * message: revocations before the owner statements they may cancel.
 */

/*
 * The revocations message of a home: the entries above since (oldest
 * first, at most 32; tail: the newest 32 whatever since) and the home's
 * newest version. 0 with the payload in out[cap], or a PT_E* value.
 */
static int
revocations_encode(struct server *s, const char *home_id, int64_t since, bool tail, uint8_t *out,
		   size_t cap, size_t *len, int64_t *newest_out)
{
	struct pt_revocation_row *rows = NULL;
	struct pt_mqtt_revocations *msg = NULL;
	int64_t newest = 0;
	size_t n = 0, i;
	int r;

	*len = 0;
	if ((rows = calloc(PT_MQTT_REVOCATIONS_MAX, sizeof(*rows))) == NULL ||
	    (msg = calloc(1, sizeof(*msg))) == NULL) {
		r = PT_ENOMEM;
		goto out;
	}
	if ((r = pt_store_revocation_newest(s->st, home_id, &newest)) != PT_OK)
		goto out;
	if (tail)
		since = newest > PT_MQTT_REVOCATIONS_MAX ? newest - PT_MQTT_REVOCATIONS_MAX : 0;
	if (since < 0 || since > newest)
		since = 0;	/* a hub ahead of this store (restored from a backup) */
	if ((r = pt_store_revocation_list(s->st, home_id, since, rows, PT_MQTT_REVOCATIONS_MAX,
					  &n)) != PT_OK)
		goto out;
	for (i = 0; i < n; i++) {
		msg->r[i].version = rows[i].version;
		msg->r[i].envelope = rows[i].envelope;
		msg->r[i].envelope_len = rows[i].envelope_len;
		if (rows[i].version > newest)	/* one committed since newest was read */
			newest = rows[i].version;
	}
	msg->n = n;
	msg->newest = newest;
	r = pt_mqtt_revocations_encode(msg, out, cap, len);
	if (newest_out != NULL)
		*newest_out = newest;
out:
	free(rows);
	free(msg);
	return r;
}

/* One page for a hub whose state says it holds version rev. */
static void
revocations_page(struct mqtt *m, const struct pt_hub *h, int64_t rev)
{
	uint8_t *buf = malloc(PT_MQTT_REVOCATIONS_PAYLOAD_MAX);
	int64_t newest = 0;
	size_t len = 0;
	int r;

	if (buf == NULL)
		return;
	r = revocations_encode(m->s, h->home_id, rev, false, buf, PT_MQTT_REVOCATIONS_PAYLOAD_MAX,
			       &len, &newest);
	if (r != PT_OK)
		plog(LOG_ERR_, "event=mqtt_revocations hub=%s error=\"%s\"", h->id, pt_err_text(r));
	else if (publish(m, PT_MQTT_REVOCATIONS, h->id, buf, len, true) == MOSQ_ERR_SUCCESS)
		plog(LOG_INFO_, "event=mqtt_revocations_page hub=%s since=%lld newest=%lld", h->id,
		     (long long)rev, (long long)newest);
	free(buf);
}

/* The home's revocation tail (retained) to hub_id, or to every confirmed
 * hub of the home (hub_id NULL). */
static void
revocations_tail_publish(struct server *s, const char *home_id, const char *hub_id)
{
	struct mqtt *m = s->mqtt;
	struct pt_hub *hubs = NULL;
	uint8_t *buf = NULL;
	int64_t newest = 0;
	size_t n = 0, len = 0, i;
	int r;

	if (m == NULL)
		return;
	if ((hubs = calloc(HOME_HUBS_MAX, sizeof(*hubs))) == NULL ||
	    (buf = malloc(PT_MQTT_REVOCATIONS_PAYLOAD_MAX)) == NULL) {
		plog(LOG_ERR_, "event=mqtt_revocations home=%s error=\"out of memory\"", home_id);
		goto out;
	}
	/* Read and publish under one lock: of two revocations posted at once,
	 * the tail published last is the one with the newest version. */
	pthread_mutex_lock(&m->tail_mu);
	if (hub_id == NULL)
		r = pt_store_hub_list(s->st, home_id, hubs, HOME_HUBS_MAX, &n);
	else if ((r = pt_store_hub_by_id(s->st, hub_id, &hubs[0])) == PT_OK)
		n = strcmp(hubs[0].home_id, home_id) == 0 ? 1 : 0;
	if (r == PT_OK && n > 0)
		r = revocations_encode(s, home_id, 0, true, buf, PT_MQTT_REVOCATIONS_PAYLOAD_MAX,
				       &len, &newest);
	if (r != PT_OK)
		plog(LOG_ERR_, "event=mqtt_revocations home=%s error=\"%s\"", home_id, pt_err_text(r));
	for (i = 0; r == PT_OK && i < n; i++)
		if (hubs[i].confirmed &&	/* none down to a hub not confirmed: down_ok */
		    publish(m, PT_MQTT_REVOCATIONS, hubs[i].id, buf, len, false) == MOSQ_ERR_SUCCESS)
			plog(LOG_INFO_, "event=mqtt_revocations_tail home=%s hub=%s newest=%lld",
			     home_id, hubs[i].id, (long long)newest);
	pthread_mutex_unlock(&m->tail_mu);
out:
	free(hubs);
	free(buf);
}

void
mqtt_revocations_changed(struct server *s, const char *home_id)
{
	revocations_tail_publish(s, home_id, NULL);
}

/* ---- owners (docs/web.md, "Endorsing an owner key") ---- */

/*
 * The owners message of a home: the statements of its owner keys, in the
 * order they were stored (the store lists keys by id), at most
 * PT_MQTT_OWNERS_MAX. Keys stored without one (the first key, bound by the
 * pairing; a key no hub is meant to trust) are left out. 0 with the
 * payload in out[cap] and the count in *n_out, or a PT_E* value.
 */
static int
owners_encode(struct server *s, const char *home_id, uint8_t *out, size_t cap, size_t *len,
	      size_t *n_out)
{
	struct pt_owner_key *ks = NULL;
	struct pt_mqtt_owners *msg = NULL;
	size_t n = 0, i;
	int r;

	*len = 0;
	*n_out = 0;
	if ((ks = calloc(PT_MQTT_OWNERS_MAX, sizeof(*ks))) == NULL ||
	    (msg = calloc(1, sizeof(*msg))) == NULL) {
		r = PT_ENOMEM;
		goto out;
	}
	/* porterd keeps at most 64 owner keys a home (api.c): all fit. */
	if ((r = pt_store_owner_key_list(s->st, home_id, ks, PT_MQTT_OWNERS_MAX, &n)) != PT_OK)
		goto out;
	for (i = 0; i < n && msg->n < PT_MQTT_OWNERS_MAX; i++) {
		if (ks[i].statement_len == 0)
			continue;
		msg->s[msg->n].statement = ks[i].statement;
		msg->s[msg->n].statement_len = ks[i].statement_len;
		msg->n++;
	}
	r = pt_mqtt_owners_encode(msg, out, cap, len);
	*n_out = msg->n;
out:
	free(ks);
	free(msg);
	return r;
}

/* Publish the home's owners message (retained) to hub_id, or to every hub
 * of the home (hub_id NULL). Nothing when the home has no statement. */
static void
owners_publish(struct server *s, const char *home_id, const char *hub_id)
{
	struct mqtt *m = s->mqtt;
	struct pt_hub *hubs = NULL;
	uint8_t *buf = NULL;
	size_t n = 0, len = 0, count = 0, i;
	int r = PT_OK;

	if (m == NULL)
		return;
	if ((hubs = calloc(HOME_HUBS_MAX, sizeof(*hubs))) == NULL ||
	    (buf = malloc(PT_MQTT_OWNERS_PAYLOAD_MAX)) == NULL) {
		plog(LOG_ERR_, "event=mqtt_owners home=%s error=\"out of memory\"", home_id);
		goto out;
	}
	/* Read and publish under the tail lock: of two keys endorsed at once,
	 * the message published last holds both. */
	pthread_mutex_lock(&m->tail_mu);
	if (hub_id == NULL)
		r = pt_store_hub_list(s->st, home_id, hubs, HOME_HUBS_MAX, &n);
	else if ((r = pt_store_hub_by_id(s->st, hub_id, &hubs[0])) == PT_OK)
		n = 1;
	if (r == PT_OK && n > 0)
		r = owners_encode(s, home_id, buf, PT_MQTT_OWNERS_PAYLOAD_MAX, &len, &count);
	if (r != PT_OK)
		plog(LOG_ERR_, "event=mqtt_owners home=%s error=\"%s\"", home_id, pt_err_text(r));
	for (i = 0; r == PT_OK && count > 0 && i < n; i++)
		if (hubs[i].confirmed &&	/* see down_ok */
		    publish(m, PT_MQTT_OWNERS, hubs[i].id, buf, len, false) == MOSQ_ERR_SUCCESS)
			plog(LOG_INFO_, "event=mqtt_owners home=%s hub=%s statements=%zu", home_id,
			     hubs[i].id, count);
	pthread_mutex_unlock(&m->tail_mu);
out:
	free(hubs);
	free(buf);
}

void
mqtt_owners_changed(struct server *s, const char *home_id)
{
	owners_publish(s, home_id, NULL);
}

/* ---- commands ---- */

/* The leaves an owner's envelope is relayed on as it is (docs/mqtt.md):
 * the only names mqtt_hub_relay takes. */
static bool
relay_leaf_is_valid(const char *leaf)
{
	return strcmp(leaf, MQTT_RELAY_LIVE) == 0 || strcmp(leaf, MQTT_RELAY_APPROVAL) == 0;
}

int
mqtt_hub_relay(struct server *s, const char *home_id, const char *leaf, const uint8_t *env,
	       size_t env_len, size_t *n)
{
	struct mqtt *m = s->mqtt;
	struct pt_hub *hubs = NULL;
	char topic[PT_MQTT_TOPIC_CAP];
	size_t nh = 0, i;
	int r, k, rc;

	*n = 0;
	if (leaf == NULL || !relay_leaf_is_valid(leaf) || env_len == 0 ||
	    env_len > PT_ENVELOPE_SIZE_MAX)
		return PT_EINVAL;
	if (m == NULL)
		return PT_EUNSUPPORTED;
	if (!atomic_load(&m->connected))
		return PT_EIO;
	if ((hubs = calloc(HOME_HUBS_MAX, sizeof(*hubs))) == NULL)
		return PT_ENOMEM;
	if ((r = pt_store_hub_list(s->st, home_id, hubs, HOME_HUBS_MAX, &nh)) != PT_OK)
		goto out;
	r = PT_ENOTFOUND;
	for (i = 0; i < nh; i++) {
		if (!hubs[i].confirmed)
			continue;	/* see down_ok */
		r = PT_OK;
		/* porter/v1/hub/<id>/<leaf>: QoS 1, never retained (a live
		 * request lives 10 minutes at most, an approval's request
		 * an hour at most; a hub that is offline now misses it). */
		k = snprintf(topic, sizeof(topic), PT_MQTT_PREFIX "%s/%s", hubs[i].id, leaf);
		if (k < 0 || (size_t)k >= sizeof(topic) ||
		    !pt_id_is_valid(hubs[i].id, strnlen(hubs[i].id, PT_ID_MAX + 1))) {
			r = PT_EINVAL;
			goto out;
		}
		rc = mosquitto_publish(m->mq, NULL, topic, (int)env_len, env, 1, false);
		if (rc != MOSQ_ERR_SUCCESS) {
			plog(LOG_WARN_, "event=mqtt_publish topic=%s error=\"%s\"", topic,
			     mosquitto_strerror(rc));
			r = PT_EIO;
			goto out;
		}
		plog(LOG_DEBUG_, "event=mqtt_publish topic=%s bytes=%zu", topic, env_len);
		(*n)++;
	}
out:
	free(hubs);
	return r;
}

int
mqtt_command_relay(struct server *s, const char *home_id, const char *hub_id, const uint8_t *env,
		   size_t env_len, char (*ids)[PT_ID_MAX + 1], size_t max, size_t *n)
{
	struct mqtt *m = s->mqtt;
	struct pt_mqtt_command c;
	struct pt_hub *hubs = NULL;
	uint8_t buf[PT_MQTT_COMMAND_PAYLOAD_MAX];
	size_t nh = 0, len = 0, i;
	int r;

	*n = 0;
	if (m == NULL)
		return PT_EUNSUPPORTED;
	if (!atomic_load(&m->connected))
		return PT_EIO;
	c.envelope = env;
	c.envelope_len = env_len;
	if ((r = pt_mqtt_command_encode(&c, buf, sizeof(buf), &len)) != PT_OK)
		return r;
	if ((hubs = calloc(HOME_HUBS_MAX, sizeof(*hubs))) == NULL)
		return PT_ENOMEM;
	if ((r = pt_store_hub_list(s->st, home_id, hubs, HOME_HUBS_MAX, &nh)) != PT_OK)
		goto out;
	r = PT_ENOTFOUND;
	for (i = 0; i < nh && *n < max; i++) {
		if ((hub_id != NULL && strcmp(hub_id, hubs[i].id) != 0) || !hubs[i].confirmed)
			continue;	/* see down_ok */
		if (publish(m, PT_MQTT_COMMANDS, hubs[i].id, buf, len, false) != MOSQ_ERR_SUCCESS) {
			r = PT_EIO;
			goto out;
		}
		memcpy(ids[*n], hubs[i].id, sizeof(ids[*n]));
		(*n)++;
		r = PT_OK;
	}
out:
	free(hubs);
	return r;
}

/* ---- pairing ---- */

bool
mqtt_pair_relay(struct server *s, const char *hub_id, const char *home_id,
		const uint8_t owner[PT_PK_LEN], const uint8_t *statement, size_t statement_len)
{
	struct mqtt *m = s->mqtt;
	struct pt_link_pair pm;
	uint8_t buf[PT_LINK_PAIR_BODY_MAX];
	size_t len = 0, hl;
	int r;

	memset(&pm, 0, sizeof(pm));
	hl = strnlen(home_id, PT_ID_MAX + 1);
	if (hl > PT_ID_MAX)
		r = PT_EINVAL;
	else {
		memcpy(pm.home, home_id, hl);
		memcpy(pm.owner, owner, PT_PK_LEN);
		pm.statement = statement;
		pm.statement_len = statement_len;
		r = pt_link_pair_body_encode(&pm, buf, sizeof(buf), &len);
	}
	if (r == PT_OK && m == NULL)
		r = PT_EUNSUPPORTED;
	else if (r == PT_OK && !atomic_load(&m->connected))
		r = PT_EIO;
	else if (r == PT_OK && publish(m, PT_MQTT_PAIR, hub_id, buf, len, false) != MOSQ_ERR_SUCCESS)
		r = PT_EIO;
	if (r == PT_OK)
		plog(LOG_INFO_, "event=pair_relay hub=%s result=published bytes=%zu", hub_id, len);
	else
		plog(LOG_WARN_, "event=pair_relay hub=%s result=failed reason=%s", hub_id,
		     pt_err_code(r));
	return r == PT_OK;
}

/* ---- time beacons ---- */

static void
beacons(struct mqtt *m)
{
	struct pt_hub *hubs = calloc(HUBS_PAGE, sizeof(*hubs));
	struct pt_mqtt_time t;
	uint8_t buf[PT_MQTT_TIME_PAYLOAD_MAX];
	int64_t after = 0, rev;
	size_t n = 0, len, i, sent = 0;

	if (hubs == NULL)
		return;
	do {
		if (pt_store_hub_list_online(m->s->st, after, hubs, HUBS_PAGE, &n) != PT_OK)
			break;
		for (i = 0; i < n; i++) {
			after = hubs[i].rowid;
			if (pt_store_revocation_newest(m->s->st, hubs[i].home_id, &rev) != PT_OK)
				continue;
			t.now_ms = now_ms_utc();
			t.rev = rev;
			if (pt_mqtt_time_encode(&t, buf, sizeof(buf), &len) == PT_OK &&
			    publish(m, PT_MQTT_TIME, hubs[i].id, buf, len, false) == MOSQ_ERR_SUCCESS)
				sent++;
		}
	} while (n == HUBS_PAGE && !atomic_load(&m->stop));
	free(hubs);
	plog(LOG_DEBUG_, "event=mqtt_beacons hubs=%zu", sent);
}

/* ---- state ---- */

/* Inside a transaction: the hub came online or went offline. */
static int
state_transition(struct server *s, const struct pt_hub *h, bool online)
{
	return record_event(s, h->home_id, online ? "hub.online" : "hub.offline",
			    json_pack("{s:s}", "hub_id", h->id), online ? NULL : "hub-offline");
}

/* Keep a decoded-valid state message of an unknown hub: the same hub's
 * slot, else a free or the oldest one. */
static void
stray_keep(struct mqtt *m, const char *hub_id, const uint8_t *p, size_t len)
{
	struct stray_state *same = NULL, *victim = NULL, *slot;
	size_t i, n = strlen(hub_id);

	if (n > PT_ID_MAX || len > sizeof(same->p))
		return;
	pthread_mutex_lock(&m->stray_mu);
	for (i = 0; i < STRAY_SLOTS; i++) {
		struct stray_state *x = &m->stray[i];

		if (x->hub[0] != '\0' && strcmp(x->hub, hub_id) == 0) {
			same = x;
			break;
		}
		/* a free slot first, else the oldest */
		if (victim == NULL ||
		    (victim->hub[0] != '\0' && (x->hub[0] == '\0' || x->at < victim->at)))
			victim = x;
	}
	slot = same != NULL ? same : victim;
	memcpy(slot->hub, hub_id, n + 1);
	memcpy(slot->p, p, len);
	slot->len = len;
	slot->at = now_ms_utc();
	pthread_mutex_unlock(&m->stray_mu);
}

static void on_state(struct mqtt *m, const char *hub_id, const uint8_t *p, size_t len);

/* The kept state of hub_id, if fresh: taken out of its slot and applied
 * (on_state), now that the hub is known (why) or has confirmed its home. */
static void
stray_apply(struct mqtt *m, const char *hub_id, const char *why)
{
	uint8_t p[PT_MQTT_STATE_PAYLOAD_MAX];
	size_t i, len = 0;
	bool found = false;

	pthread_mutex_lock(&m->stray_mu);
	for (i = 0; i < STRAY_SLOTS; i++) {
		struct stray_state *x = &m->stray[i];

		if (x->hub[0] == '\0' || strcmp(x->hub, hub_id) != 0)
			continue;
		if (now_ms_utc() - x->at <= STRAY_TTL_MS) {
			memcpy(p, x->p, x->len);
			len = x->len;
			found = true;
		}
		memset(x, 0, sizeof(*x));
		break;
	}
	pthread_mutex_unlock(&m->stray_mu);
	if (found) {
		plog(LOG_INFO_, "event=mqtt_state hub=%s result=applied-%s", hub_id, why);
		on_state(m, hub_id, p, len);
	}
}

/* Subscribe (or unsubscribe) to one hub's exact topic of a leaf. */
static int
hub_topic_sub(struct mqtt *m, int leaf, const char *hub_id, bool on)
{
	char topic[PT_MQTT_TOPIC_CAP];
	size_t tl;

	if (pt_mqtt_topic_build(leaf, hub_id, topic, sizeof(topic), &tl) != PT_OK)
		return MOSQ_ERR_INVAL;
	return on ? mosquitto_subscribe(m->mq, NULL, topic, 1)
		  : mosquitto_unsubscribe(m->mq, NULL, topic);
}

static void
resub_off(struct mqtt *m, const char *hub_id, const char *why)
{
	(void)hub_topic_sub(m, PT_MQTT_STATE, hub_id, false);
	(void)hub_topic_sub(m, PT_MQTT_HOME, hub_id, false);
	plog(LOG_DEBUG_, "event=mqtt_unsubscribe hub=%s reason=%s", hub_id, why);
}

/* Ask the broker for hub_id's retained state and home statement again
 * (struct resub says why). State first: the broker answers subscriptions
 * in order, so a state that arrives before the hub is confirmed is kept
 * (stray) and applied when its statement confirms it. */
static void
resub_on(struct mqtt *m, const char *hub_id)
{
	char evict[PT_ID_MAX + 1] = "";
	struct resub *victim = NULL;
	uint64_t now = now_mono_ns() / 1000000000u;
	size_t i, n = strlen(hub_id);
	int rc;

	if (n > PT_ID_MAX || !atomic_load(&m->connected))
		return;	/* on (re)connecting, the wildcard gets every retained one */
	pthread_mutex_lock(&m->resub_mu);
	for (i = 0; i < RESUB_SLOTS; i++) {
		struct resub *x = &m->resub[i];

		if (x->hub[0] != '\0' && strcmp(x->hub, hub_id) == 0) {
			victim = x;
			break;
		}
		if (victim == NULL ||
		    (victim->hub[0] != '\0' && (x->hub[0] == '\0' || x->until < victim->until)))
			victim = x;
	}
	if (victim->hub[0] != '\0' && strcmp(victim->hub, hub_id) != 0)
		memcpy(evict, victim->hub, sizeof(evict));
	memcpy(victim->hub, hub_id, n + 1);
	victim->until = now + RESUB_TTL_S;
	pthread_mutex_unlock(&m->resub_mu);
	if (evict[0] != '\0')
		resub_off(m, evict, "evicted");
	if ((rc = hub_topic_sub(m, PT_MQTT_STATE, hub_id, true)) != MOSQ_ERR_SUCCESS ||
	    (rc = hub_topic_sub(m, PT_MQTT_HOME, hub_id, true)) != MOSQ_ERR_SUCCESS)
		plog(LOG_WARN_, "event=mqtt_subscribe hub=%s error=\"%s\"", hub_id,
		     mosquitto_strerror(rc));
	else
		plog(LOG_INFO_, "event=mqtt_subscribe hub=%s reason=paired", hub_id);
}

/* hub_id's statement came (done) or its time is up (hub_id NULL: every
 * slot past its time): unsubscribe. */
static void
resub_end(struct mqtt *m, const char *hub_id)
{
	char off[RESUB_SLOTS][PT_ID_MAX + 1];
	uint64_t now = now_mono_ns() / 1000000000u;
	size_t i, n = 0;

	pthread_mutex_lock(&m->resub_mu);
	for (i = 0; i < RESUB_SLOTS; i++) {
		struct resub *x = &m->resub[i];

		if (x->hub[0] == '\0' ||
		    (hub_id != NULL ? strcmp(x->hub, hub_id) != 0 : x->until > now))
			continue;
		memcpy(off[n++], x->hub, sizeof(off[0]));
		memset(x, 0, sizeof(*x));
	}
	pthread_mutex_unlock(&m->resub_mu);
	for (i = 0; i < n; i++)
		resub_off(m, off[i], hub_id != NULL ? "statement" : "timeout");
}

void
mqtt_hub_paired(struct server *s, const char *hub_id)
{
	struct mqtt *m = s->mqtt;

	if (m == NULL)
		return;
	/* Its state is kept, not applied, until the hub confirms the home
	 * (on_state); then on_home applies it. */
	stray_apply(m, hub_id, "at-pairing");
	/* A hub paired at the door long before: its retained statement, and
	 * its state, again. */
	resub_on(m, hub_id);
	/* The home's owner statements, retained on the new hub's topic: it
	 * gets them now if connected, else when it connects. */
	{
		struct pt_hub h;

		if (pt_store_hub_by_id(s->st, hub_id, &h) == PT_OK)
			owners_publish(s, h.home_id, hub_id);
	}
}

/* Revocation catch-up: a page above what the hub holds; the hub
 * republishes state after applying it, and gets the next one. Something
 * porterd sends down (owner-signed, for the row's home), so also for a hub
 * that has not confirmed that home yet: one paired with another home
 * refuses them itself, and one about to pair through the uplink holds
 * them and applies them before the owner statements that follow. */
static void
revocations_catch_up(struct mqtt *m, const struct pt_hub *h, const struct pt_mqtt_state *st)
{
	int64_t newest = 0;

	if (!st->online || !st->has_rev)
		return;
	if (pt_store_revocation_newest(m->s->st, h->home_id, &newest) == PT_OK && st->rev != newest)
		revocations_page(m, h, st->rev < newest ? st->rev : 0);
}

static void
on_state(struct mqtt *m, const char *hub_id, const uint8_t *p, size_t len)
{
	struct server *s = m->s;
	struct pt_mqtt_state st;
	struct pt_hub h;
	bool changed = false;
	int r;

	if ((r = pt_mqtt_state_decode(p, len, &st)) != PT_OK) {
		plog(LOG_WARN_, "event=mqtt_state hub=%s result=dropped error=\"%s\" bytes=%zu", hub_id,
		     pt_err_text(r), len);
		return;
	}
	if ((r = pt_store_hub_by_id(s->st, hub_id, &h)) != PT_OK) {
		plog(LOG_WARN_, "event=mqtt_state hub=%s result=dropped error=\"%s\"", hub_id,
		     r == PT_ENOTFOUND ? "unknown hub" : pt_err_text(r));
		if (r == PT_ENOTFOUND)
			stray_keep(m, hub_id, p, len);
		return;
	}
	if (!h.confirmed)
		goto keep;
	if ((r = pt_store_begin(s->st)) != PT_OK)
		goto fail;
	/* The row read above may have been removed, registered by another
	 * home or un-confirmed since: checked again, and held, inside the
	 * transaction that stores (review 107, L2). */
	if ((r = pt_store_hub_hold(s->st, h.home_id, h.id)) == PT_ENOTFOUND || r == PT_ECONFLICT) {
		pt_store_rollback(s->st);
		goto keep;
	}
	if (r != PT_OK ||
	    (r = pt_store_hub_seen(s->st, h.id, now_utc(), st.online, &changed)) != PT_OK ||
	    (changed && (r = state_transition(s, &h, st.online)) != PT_OK)) {
		pt_store_rollback(s->st);
		goto fail;
	}
	/* The live view's state (docs/web.md): porterd's own encoding of what
	 * it decoded, never the hub's bytes; an offline state (the will)
	 * knows nothing, so the last known one stays. In the transaction
	 * that holds the row; not stored is logged, the rest stands. */
	if (st.online) {
		uint8_t enc[PT_HUB_STATE_MAX + 1];
		size_t elen = 0;
		int x;

		if ((x = pt_mqtt_state_encode(&st, enc, sizeof(enc) - 1, &elen)) == PT_OK) {
			enc[elen] = '\0';
			x = pt_store_hub_state_set(s->st, h.id, (const char *)enc);
		}
		if (x != PT_OK)
			plog(LOG_ERR_, "event=mqtt_state hub=%s error=\"state not stored: %s\"", h.id,
			     pt_err_text(x));
	}
	if ((r = pt_store_commit(s->st)) != PT_OK)
		goto fail;
	stream_notify(s);
	plog(changed ? LOG_INFO_ : LOG_DEBUG_, "event=mqtt_state hub=%s online=%s changed=%s rev=%lld",
	     h.id, st.online ? "true" : "false", changed ? "yes" : "no",
	     st.has_rev ? (long long)st.rev : -1LL);
	revocations_catch_up(m, &h, &st);
	return;
keep:
	/* Kept, as an unknown hub's: applied when it confirms. */
	plog(LOG_INFO_, "event=mqtt_state hub=%s result=kept error=\"hub has not confirmed this home\"",
	     hub_id);
	stray_keep(m, hub_id, p, len);
	return;
fail:
	plog(LOG_ERR_, "event=mqtt_state hub=%s error=\"%s\"", hub_id, pt_err_text(r));
}

/* ---- events ---- */

/* A batch that did not verify: an event and an alert, at most once an
 * hour per hub (a hub with the wrong key would otherwise flood them). */
static void
batch_refused(struct mqtt *m, const struct pt_hub *h, const struct pt_mqtt_events *b,
	      const char *why)
{
	struct bad_batch *slot = NULL, *oldest = &m->bad[0];
	int64_t now = now_utc();
	size_t i;

	for (i = 0; i < BAD_BATCH_SLOTS && slot == NULL; i++) {
		if (strcmp(m->bad[i].hub, h->id) == 0)
			slot = &m->bad[i];
		else if (m->bad[i].at < oldest->at)
			oldest = &m->bad[i];
	}
	if (slot != NULL && now - slot->at < BAD_BATCH_EVERY_S)
		return;
	if (slot == NULL) {
		slot = oldest;
		memcpy(slot->hub, h->id, sizeof(slot->hub));
	}
	slot->at = now;
	if (pt_store_begin(m->s->st) != PT_OK)
		return;
	/* Only in the home the hub still confirms (review 107, L2). */
	if (pt_store_hub_hold(m->s->st, h->home_id, h->id) != PT_OK ||
	    record_event(m->s, h->home_id, "hub.batch-refused",
			 json_pack("{s:s,s:s,s:I,s:I}", "hub_id", h->id, "reason", why, "first_seq",
				   (json_int_t)b->ev[0].seq, "last_seq",
				   (json_int_t)b->ev[b->n - 1].seq),
			 "event-unverified") != PT_OK ||
	    pt_store_commit(m->s->st) != PT_OK)
		pt_store_rollback(m->s->st);
}

/* The event's data as stored: the hub's bytes when they are one JSON
 * object (what the hub hashed, so the stored row still recomputes), else a
 * marker. */
static void
event_data(const struct pt_mqtt_event *e, char out[PT_DETAIL_MAX + 1])
{
	json_t *j = NULL;

	if (e->data_len <= PT_DETAIL_MAX && e->data_len > 0 &&
	    (j = json_loadb((const char *)e->data, e->data_len, JSON_REJECT_DUPLICATES, NULL)) !=
		    NULL &&
	    json_is_object(j)) {
		memcpy(out, e->data, e->data_len);
		out[e->data_len] = '\0';
	} else {
		(void)snprintf(out, PT_DETAIL_MAX + 1, "{\"malformed\":true}");
	}
	json_decref(j);
}

/*
 * Inside the transaction: a hub's grant names a token id; a delivery of
 * the home that was issued that credential moves credential-issued ->
 * entered (compare-and-set: only from credential-issued), with its event
 * and an audit row by the system (actor 0).
 */
static int
delivery_entered(struct server *s, const struct pt_hub *h, const struct pt_event_row *ev)
{
	struct pt_delivery_filter f;
	struct pt_delivery *ds = NULL;
	uint8_t token[PT_CTI_LEN];
	char target[PT_ID_MAX + 8], d_[PT_DETAIL_MAX + 1];
	json_t *data = json_loads(ev->data, 0, NULL);
	int64_t after = 0;
	size_t n = 0, i, dn;
	int r = PT_OK;

	if (data == NULL || !hex_decode(json_string_value(json_object_get(data, "token")), token,
					sizeof(token)))
		goto out;
	if ((ds = calloc(DELIVERY_PAGE, sizeof(*ds))) == NULL) {
		r = PT_ENOMEM;
		goto out;
	}
	memset(&f, 0, sizeof(f));
	f.home_id = h->home_id;
	f.state = PT_D_ISSUED;
	do {
		if ((r = pt_store_delivery_list(s->st, &f, after, ds, DELIVERY_PAGE, &n)) != PT_OK)
			goto out;
		for (i = 0; i < n; i++) {
			struct pt_delivery *d = &ds[i];
			after = d->rowid;
			if (!d->has_token || memcmp(d->token_id, token, sizeof(token)) != 0)
				continue;
			d->state = PT_D_ENTERED;
			d->updated_at = now_utc();
			r = pt_store_delivery_update(s->st, d, PT_D_ISSUED, 0);
			if (r == PT_ECONFLICT) {
				r = PT_OK;	/* moved on meanwhile (completed, failed) */
				continue;
			}
			if (r != PT_OK ||
			    (r = record_event(s, h->home_id, "delivery.entered",
					      json_pack("{s:s,s:s,s:I}", "delivery_id", d->id, "hub_id",
							h->id, "hub_seq", (json_int_t)ev->hub_seq),
					      NULL)) != PT_OK)
				goto out;
			dn = (size_t)snprintf(d_, sizeof(d_),
					      "{\"delivery_id\":\"%s\",\"hub_id\":\"%s\",\"hub_seq\":%lld}",
					      d->id, h->id, (long long)ev->hub_seq);
			(void)snprintf(target, sizeof(target), "home:%s", h->home_id);
			if (dn >= sizeof(d_) ||
			    (r = pt_store_audit_append(s->st, now_utc(), 0, "delivery.enter", target,
						       d_)) != PT_OK)
				goto out;
			plog(LOG_INFO_, "event=delivery_entered delivery=%s hub=%s seq=%lld", d->id,
			     h->id, (long long)ev->hub_seq);
		}
	} while (n == DELIVERY_PAGE);
out:
	json_decref(data);
	free(ds);
	return r;
}

/*
 * The alert a hub event raises, or NULL. porter-hub names the alerts it
 * raises itself: an event "alert.<type>" (door-held-open, intrusion,
 * door-forced, lock-jammed, clock-drift, ...) beside the event of what
 * happened, so only those raise one, never the door events themselves
 * (that would be two alerts for one opening). The uplink's own trouble is
 * an event without that form: it is mapped here; so is a clip the
 * camera says porterd refused for good (camera.clip-refused, one event
 * per refusal: the owner must hear of evidence that never arrived).
 */
static const char *
alert_of(const char *type)
{
	static const char *const map[][2] = {
		{"uplink.fork", "uplink-fork"},	/* porterd acked another chain */
		{"uplink.gap", "uplink-gap"},
		{"camera.clip-refused", "clip-refused"},
	};
	size_t i;

	if (strncmp(type, "alert.", 6) == 0 && type[6] != '\0')
		return type + 6;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(type, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* Inside the transaction: store one verified event (it continues the
 * chain, or follows a recorded gap), its alert, its delivery effect. */
static int
event_store(struct server *s, const struct pt_hub *h, const struct pt_mqtt_event *e,
	    bool *exists)
{
	struct pt_event_row ev;
	struct pt_alert_row al;
	const char *alert;
	int r;

	*exists = false;
	memset(&ev, 0, sizeof(ev));
	memcpy(ev.home_id, h->home_id, sizeof(ev.home_id));
	(void)snprintf(ev.source, sizeof(ev.source), "hub:%s", h->id);
	memcpy(ev.type, e->type, e->type_len);	/* <= PT_EVENT_TYPE_LEN_MAX == PT_EVENT_TYPE_MAX */
	event_data(e, ev.data);
	ev.at = e->at != 0 ? e->at : 1;	/* the store reads 0 as "now" */
	ev.hub_seq = e->seq;
	memcpy(ev.hash, e->hash, PT_HASH_LEN);
	if ((r = pt_store_event_append(s->st, &ev)) == PT_EEXISTS) {
		*exists = true;	/* another porterd stored it a moment ago */
		return PT_OK;
	}
	if (r != PT_OK)
		return r;
	if ((alert = alert_of(ev.type)) != NULL) {
		memset(&al, 0, sizeof(al));
		memcpy(al.home_id, ev.home_id, sizeof(al.home_id));
		memcpy(al.type, alert, strlen(alert) + 1);
		memcpy(al.data, ev.data, sizeof(al.data));
		al.at = now_utc();
		al.event_id = ev.id;
		if ((r = pt_store_alert_insert(s->st, &al)) != PT_OK)
			return r;
	}
	if (strcmp(ev.type, "decision.grant") == 0)
		return delivery_entered(s, h, &ev);
	return PT_OK;
}

/* Inside the transaction: the chain does not continue where porterd's does. */
static int
fork_found(struct server *s, const struct pt_hub *h, int64_t seq, int64_t last)
{
	plog(LOG_WARN_, "event=mqtt_events hub=%s result=fork seq=%lld stored=%lld", h->id,
	     (long long)seq, (long long)last);
	return record_event(s, h->home_id, "hub.event-fork",
			    json_pack("{s:s,s:I,s:I}", "hub_id", h->id, "seq", (json_int_t)seq,
				      "stored_seq", (json_int_t)last),
			    "event-fork");
}

/*
 * Inside a transaction: store a verified batch as docs/mqtt.md ("porterd
 * stores idempotently by (hub, seq)") says. *ack gets the highest seq
 * stored with nothing unaccounted for before it (a gap is accounted for by
 * its alert); *forked is set when the batch forks from what is stored
 * (nothing more stored, no ack).
 */
static int
batch_store(struct server *s, const struct pt_hub *h, const struct pt_mqtt_events *b,
	    struct pt_mqtt_ack *ack, bool *forked, size_t *stored)
{
	uint8_t last_hash[PT_HASH_LEN], h2[PT_HASH_LEN];
	static const uint8_t zero[PT_HASH_LEN];
	int64_t last = 0;
	bool exists;
	size_t i;
	int r;

	*forked = false;
	*stored = 0;
	if ((r = pt_store_hub_event_last(s->st, h->id, &last, last_hash)) != PT_OK)
		return r;
	for (i = 0; i < b->n; i++) {
		const struct pt_mqtt_event *e = &b->ev[i];

		if (e->seq <= last) {
			/* A resend: the same hash as stored, or a fork. A seq
			 * inside a recorded gap was never stored: it comes late,
			 * and is stored now. */
			r = pt_store_hub_event_hash(s->st, h->id, e->seq, h2);
			if (r == PT_OK) {
				if (memcmp(h2, zero, sizeof(h2)) == 0 ||
				    memcmp(h2, e->hash, PT_HASH_LEN) == 0)
					continue;
				*forked = true;
				return fork_found(s, h, e->seq, last);
			}
			if (r != PT_ENOTFOUND)
				return r;
		} else if (e->seq == last + 1) {
			/* prev of seq 1 is zero (the decoder checked); an older
			 * row stored without a hash cannot be compared. */
			if (last > 0 && memcmp(last_hash, zero, sizeof(zero)) != 0 &&
			    memcmp(e->prev, last_hash, PT_HASH_LEN) != 0) {
				*forked = true;
				return fork_found(s, h, e->seq, last);
			}
		} else {
			plog(LOG_WARN_, "event=mqtt_events hub=%s result=gap missing=%lld-%lld",
			     h->id, (long long)(last + 1), (long long)(e->seq - 1));
			if ((r = record_event(s, h->home_id, "hub.event-gap",
					      json_pack("{s:s,s:I,s:I}", "hub_id", h->id, "from",
							(json_int_t)(last + 1), "to",
							(json_int_t)(e->seq - 1)),
					      "event-gap")) != PT_OK)
				return r;
		}
		if ((r = event_store(s, h, e, &exists)) != PT_OK)
			return r;
		if (exists) {
			/* Stored by another porterd meanwhile: the same, or a fork. */
			if ((r = pt_store_hub_event_hash(s->st, h->id, e->seq, h2)) != PT_OK)
				return r;
			if (memcmp(h2, e->hash, PT_HASH_LEN) != 0) {
				*forked = true;
				return fork_found(s, h, e->seq, last);
			}
		} else {
			(*stored)++;
		}
		if (e->seq > last) {
			last = e->seq;
			memcpy(last_hash, e->hash, PT_HASH_LEN);
		}
	}
	/* Every event of the batch is stored, or was with the same hash: keep
	 * its checkpoint (verified by on_events) for evidence bundles. A
	 * resend's is known already; another signature of the same event
	 * (PT_EEXISTS) signs the same hash, and the first one stays. */
	r = pt_store_hub_checkpoint_add(s->st, h->id, b->ev[b->n - 1].seq, b->sig);
	if (r != PT_OK && r != PT_EEXISTS)
		return r;
	ack->seq = last;
	memcpy(ack->hash, last_hash, PT_HASH_LEN);
	return PT_OK;
}

static void
on_events(struct mqtt *m, const char *hub_id, const uint8_t *p, size_t len)
{
	struct server *s = m->s;
	struct pt_mqtt_events *b = NULL;
	struct pt_mqtt_ack ack;
	struct pt_hub h;
	uint8_t abuf[PT_MQTT_ACK_PAYLOAD_MAX];
	bool forked = false, changed = false;
	size_t bad = 0, alen = 0, stored = 0;
	int r;

	if ((r = pt_store_hub_by_id(s->st, hub_id, &h)) != PT_OK) {
		plog(LOG_WARN_, "event=mqtt_events hub=%s result=dropped error=\"%s\"", hub_id,
		     r == PT_ENOTFOUND ? "unknown hub" : pt_err_text(r));
		return;
	}
	if (!h.confirmed) {
		/* Not acked: the hub keeps the batch and sends it again. */
		plog(LOG_WARN_, "event=mqtt_events hub=%s result=dropped error=\"hub has not confirmed this home\" bytes=%zu",
		     hub_id, len);
		return;
	}
	if ((b = malloc(sizeof(*b))) == NULL)
		return;
	if ((r = pt_mqtt_events_decode(p, len, b)) != PT_OK) {
		plog(LOG_WARN_, "event=mqtt_events hub=%s result=dropped error=\"%s\" bytes=%zu",
		     hub_id, pt_err_text(r), len);
		goto out;
	}
	if ((r = pt_mqtt_events_verify(pt_crypto_sodium(), h.pk, h.id, b, &bad)) != PT_OK) {
		plog(LOG_WARN_, "event=mqtt_events hub=%s result=dropped error=\"%s\" at=%s seqs=%lld-%lld",
		     hub_id, pt_err_text(r), bad < b->n ? "hash" : "signature",
		     (long long)b->ev[0].seq, (long long)b->ev[b->n - 1].seq);
		batch_refused(m, &h, b, bad < b->n ? "hash" : "signature");
		goto out;
	}
	memset(&ack, 0, sizeof(ack));
	if ((r = pt_store_begin(s->st)) != PT_OK)
		goto fail;
	/* As in on_state: the row read above, checked again and held inside
	 * the transaction that stores, else dropped unacked (review 107, L2). */
	if ((r = pt_store_hub_hold(s->st, h.home_id, h.id)) == PT_ENOTFOUND || r == PT_ECONFLICT) {
		pt_store_rollback(s->st);
		plog(LOG_WARN_, "event=mqtt_events hub=%s result=dropped error=\"hub has not confirmed this home\" bytes=%zu",
		     hub_id, len);
		goto out;
	}
	if (r != PT_OK ||
	    (r = pt_store_hub_seen(s->st, h.id, now_utc(), true, &changed)) != PT_OK ||
	    (changed && (r = state_transition(s, &h, true)) != PT_OK) ||
	    (r = batch_store(s, &h, b, &ack, &forked, &stored)) != PT_OK) {
		pt_store_rollback(s->st);
		goto fail;
	}
	if ((r = pt_store_commit(s->st)) != PT_OK)
		goto fail;
	stream_notify(s);
	plog(LOG_INFO_, "event=mqtt_events hub=%s seqs=%lld-%lld stored=%zu ack=%lld%s", h.id,
	     (long long)b->ev[0].seq, (long long)b->ev[b->n - 1].seq, stored, (long long)ack.seq,
	     forked ? " result=fork" : "");
	if (forked)
		goto out;	/* no ack: the hub keeps its events */
	if ((r = pt_mqtt_ack_encode(&ack, abuf, sizeof(abuf), &alen)) != PT_OK)
		goto fail;
	(void)publish(m, PT_MQTT_ACK, h.id, abuf, alen, false);
	goto out;
fail:
	plog(LOG_ERR_, "event=mqtt_events hub=%s error=\"%s\"", hub_id, pt_err_text(r));
out:
	free(b);
}

/* ---- home: the hub's own word on its home (docs/mqtt.md, "home") ---- */

/*
 * A PT_ENV_HUB_HOME statement, verified under the row's key: naming the
 * row's home, the row is confirmed (and the state kept meanwhile is
 * applied); verified but naming another home (PT_EAUDIENCE: the signature
 * and claims were checked first), it is not (the hub was reset and paired
 * elsewhere, or the row was never its home). Anything else changes
 * nothing. Any age is accepted: the statement is retained, and a hub may
 * not know the time.
 */
static void
on_home(struct mqtt *m, const char *hub_id, const uint8_t *p, size_t len)
{
	struct server *s = m->s;
	struct pt_envelope env;
	struct pt_hub h;
	size_t idx = 0;
	bool changed = false, ours;
	int r, v;

	resub_end(m, hub_id);
	if ((r = pt_store_hub_by_id(s->st, hub_id, &h)) != PT_OK) {
		plog(r == PT_ENOTFOUND ? LOG_INFO_ : LOG_WARN_,
		     "event=mqtt_home hub=%s result=ignored error=\"%s\"", hub_id,
		     r == PT_ENOTFOUND ? "unknown hub" : pt_err_text(r));
		return;
	}
	/* Empty: the hub says it is paired with no home (it publishes that
	 * while unpaired, so a reset hub clears its old statement): no
	 * home's either. Only the hub's own broker account can publish on
	 * its topic (dist/mosquitto-acl). */
	if (len == 0) {
		v = PT_EAUDIENCE;
	} else {
		v = pt_envelope_verify(pt_crypto_sodium(), p, len, PT_ENV_HUB_HOME,
				       (const uint8_t (*)[PT_PK_LEN])h.pk, 1, h.home_id, now_utc(),
				       UINT32_MAX, &env, &idx);
		memset(&env, 0, sizeof(env));
	}
	if (v != PT_OK && v != PT_EAUDIENCE) {
		plog(LOG_WARN_, "event=mqtt_home hub=%s result=ignored error=\"%s\" bytes=%zu", hub_id,
		     pt_err_text(v), len);
		return;
	}
	ours = v == PT_OK;
	if ((r = pt_store_begin(s->st)) != PT_OK)
		goto fail;
	if ((r = pt_store_hub_confirm_set(s->st, h.home_id, h.id, ours, &changed)) != PT_OK ||
	    (changed &&
	     (r = record_event(s, h.home_id, ours ? "hub.confirmed" : "hub.disowned",
			       json_pack("{s:s}", "hub_id", h.id),
			       ours ? NULL : "hub-disowned")) != PT_OK)) {
		pt_store_rollback(s->st);
		goto fail;
	}
	if ((r = pt_store_commit(s->st)) != PT_OK)
		goto fail;
	if (changed)
		stream_notify(s);
	plog(changed ? (ours ? LOG_INFO_ : LOG_WARN_) : LOG_DEBUG_,
	     "event=mqtt_home hub=%s home=%s result=%s changed=%s", h.id, h.home_id,
	     ours ? "confirmed" : "another-home", changed ? "yes" : "no");
	if (ours && changed) {
		/* What was held back (down_ok): the revocation tail, a page
		 * if the state kept meanwhile shows the hub behind, then the
		 * owner statements. */
		revocations_tail_publish(s, h.home_id, h.id);
		stray_apply(m, h.id, "at-confirmation");
		owners_publish(s, h.home_id, h.id);
	} else if (ours) {
		stray_apply(m, h.id, "at-confirmation");
	}
	return;
fail:
	plog(LOG_ERR_, "event=mqtt_home hub=%s error=\"%s\"", hub_id, pt_err_text(r));
}

/* ---- the client ---- */

static void
on_message(struct mosquitto *mq, void *obj, const struct mosquitto_message *msg)
{
	struct mqtt *m = obj;
	struct pt_mqtt_topic t;
	int r;

	(void)mq;
	if (msg->topic == NULL || msg->payloadlen < 0)
		return;
	if ((r = pt_mqtt_topic_parse(msg->topic, strlen(msg->topic), &t)) != PT_OK) {
		plog(r == PT_EUNSUPPORTED ? LOG_INFO_ : LOG_WARN_,
		     "event=mqtt_message result=dropped error=\"%s\" topic_bytes=%zu", pt_err_text(r),
		     strlen(msg->topic));
		return;
	}
	switch (t.leaf) {
	case PT_MQTT_STATE:
		on_state(m, t.hub_id, msg->payload, (size_t)msg->payloadlen);
		break;
	case PT_MQTT_EVENTS:
		on_events(m, t.hub_id, msg->payload, (size_t)msg->payloadlen);
		break;
	case PT_MQTT_HOME:
		on_home(m, t.hub_id, msg->payload, (size_t)msg->payloadlen);
		break;
	default:
		plog(LOG_WARN_, "event=mqtt_message hub=%s result=dropped error=\"not a leaf porterd reads\"",
		     t.hub_id);
	}
}

static void
on_connect(struct mosquitto *mq, void *obj, int rc)
{
	struct mqtt *m = obj;
	int x;

	if (rc != 0) {
		plog(LOG_WARN_, "event=mqtt_connect broker=%s:%d result=refused error=\"%s\"", m->host,
		     m->port, mosquitto_connack_string(rc));
		return;
	}
	if ((x = mosquitto_subscribe(mq, NULL, m->filter_state, 1)) != MOSQ_ERR_SUCCESS ||
	    (x = mosquitto_subscribe(mq, NULL, m->filter_events, 1)) != MOSQ_ERR_SUCCESS ||
	    (x = mosquitto_subscribe(mq, NULL, m->filter_home, 1)) != MOSQ_ERR_SUCCESS) {
		plog(LOG_ERR_, "event=mqtt_subscribe error=\"%s\"", mosquitto_strerror(x));
		return;
	}
	atomic_store(&m->connected, true);
	atomic_store(&m->backoff_s, 1);
	atomic_store(&m->beacon_now, true);	/* hubs learn the newest version at once */
	plog(LOG_INFO_, "event=mqtt_connected broker=%s:%d via=%s client_id=%s", m->host, m->port,
	     m->via != NULL ? m->via : "any",
	     m->client_id);
}

static void
on_disconnect(struct mosquitto *mq, void *obj, int rc)
{
	struct mqtt *m = obj;

	(void)mq;
	if (atomic_exchange(&m->connected, false) || rc != 0)
		plog(atomic_load(&m->stop) ? LOG_INFO_ : LOG_WARN_,
		     "event=mqtt_disconnected broker=%s:%d reason=\"%s\"", m->host, m->port,
		     rc == 0 ? "asked" : mosquitto_strerror(rc));
}

/* Sleep up to secs, or until mqtt_stop. */
static void
nap(struct mqtt *m, int secs)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += secs;
	pthread_mutex_lock(&m->sleep_mu);
	while (!atomic_load(&m->stop) &&
	       pthread_cond_timedwait(&m->sleep_cv, &m->sleep_mu, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&m->sleep_mu);
}

static void *
run(void *arg)
{
	struct mqtt *m = arg;
	bool have_socket = false, warned = false, up = false;
	uint64_t next_beacon = 0, now, now_ms, by_ms = 0;
	unsigned failed = 0;	/* attempts that never connected (pt_net_bind_for) */
	const char *bind;
	int rc, b, e, wait_ms;

	while (!atomic_load(&m->stop)) {
		if (!have_socket) {
			/* The whole address each time: a first attempt that failed
			 * early may have left nothing to reconnect to. After one
			 * that failed, one address family at a time (porter/net.h:
			 * a name whose first address does not answer). */
			bind = pt_net_bind_for(m->host, failed);
			m->via = bind;
			rc = mosquitto_connect_bind_async(m->mq, m->host, m->port, KEEPALIVE_S, bind);
			if (rc == MOSQ_ERR_SUCCESS || rc == MOSQ_ERR_CONN_PENDING) {
				have_socket = true;
				up = false;
				by_ms = pt_net_connect_by(now_mono_ns() / 1000000u);
			} else {
				plog(warned ? LOG_DEBUG_ : LOG_WARN_,
				     "event=mqtt_connect broker=%s:%d via=%s result=failed error=\"%s\"",
				     m->host, m->port, bind != NULL ? bind : "any",
				     rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
				warned = true;
				failed++;
				goto backoff;
			}
		}
		/* Not connected yet: did the TCP connect itself fail? (porter/
		 * net.h: under TLS libmosquitto would notice only at the
		 * keepalive.) */
		if (!up && !atomic_load(&m->connected) &&
		    (e = pt_net_connect_error(mosquitto_socket(m->mq))) != 0) {
			have_socket = false;
			failed++;
			plog(warned ? LOG_DEBUG_ : LOG_WARN_,
			     "event=mqtt_connect broker=%s:%d via=%s result=failed error=\"%s\"", m->host,
			     m->port, m->via != NULL ? m->via : "any", strerror(e));
			warned = true;
			goto backoff;
		}
		/* An address that never answers refuses nothing (porter/net.h):
		 * not connected by the deadline, the next attempt, the next
		 * family; the loop below waits no longer than that. */
		wait_ms = 1000;
		if (!up && !atomic_load(&m->connected)) {
			now_ms = now_mono_ns() / 1000000u;
			if (pt_net_connect_is_late(by_ms, now_ms)) {
				pt_net_connect_abandon(mosquitto_socket(m->mq));
				have_socket = false;
				failed++;
				plog(warned ? LOG_DEBUG_ : LOG_WARN_,
				     "event=mqtt_connect broker=%s:%d via=%s result=failed"
				     " error=\"timed out\" wait_ms=%u",
				     m->host, m->port, m->via != NULL ? m->via : "any",
				     PT_NET_CONNECT_WAIT_MS);
				warned = true;
				goto backoff;
			}
			if (by_ms - now_ms < (uint64_t)wait_ms)
				wait_ms = (int)(by_ms - now_ms);
		}
		rc = mosquitto_loop(m->mq, wait_ms, 1);
		if (rc != MOSQ_ERR_SUCCESS) {
			have_socket = false;
			if (!up)
				failed++;	/* never connected: the next family */
			atomic_store(&m->connected, false);
			if (atomic_load(&m->stop))
				break;
			plog(warned ? LOG_DEBUG_ : LOG_WARN_,
			     "event=mqtt_connection broker=%s:%d result=lost error=\"%s\"", m->host,
			     m->port, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
			warned = true;
			goto backoff;
		}
		if (atomic_load(&m->connected)) {
			warned = false;
			up = true;
			now = now_mono_ns() / 1000000000u;
			if (atomic_exchange(&m->beacon_now, false) || now >= next_beacon) {
				beacons(m);
				next_beacon = now + (uint64_t)m->beacon_s;
			}
			resub_end(m, NULL);
		}
		continue;
backoff:
		b = atomic_load(&m->backoff_s);
		nap(m, b);
		atomic_store(&m->backoff_s, b * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : b * 2);
	}
	return NULL;
}

/* The first line of a 0600 file (config.c checked the mode at load). */
static int
password_read(const char *path, char *out, size_t cap, struct pt_errbuf *err)
{
	size_t len;

	return pt_secret_line("mqtt.password_file", path, out, cap, &len, err);
}

/* "host:port" or "[v6]:port" (config.c checked the form). */
static int
broker_split(const char *b, char *host, size_t cap, int *port)
{
	const char *colon = strrchr(b, ':'), *h = b;
	uint64_t p;
	size_t hl;

	if (colon == NULL || pt_uint_parse(colon + 1, 1, 65535, &p) != PT_OK)
		return -1;
	hl = (size_t)(colon - b);
	if (b[0] == '[' && hl >= 3) {
		h = b + 1;
		hl -= 2;
	}
	if (hl == 0 || hl >= cap)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)p;
	return 0;
}

static int
filter(const struct config *c, int leaf, char *out, size_t cap)
{
	char f[PT_MQTT_TOPIC_CAP];
	size_t fl;
	int n;

	if (pt_mqtt_filter_build(leaf, f, sizeof(f), &fl) != PT_OK)
		return -1;
	if (c->mqtt_share_group[0] != '\0')
		n = snprintf(out, cap, "$share/%s/%s", c->mqtt_share_group, f);
	else
		n = snprintf(out, cap, "%s", f);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int
mqtt_start(struct server *s, struct mqtt **out, struct pt_errbuf *err)
{
	const struct config *c = &s->cfg;
	char pw[PASSWORD_MAX + 2];
	struct mqtt *m;
	pthread_condattr_t ca;
	uint8_t rnd[8];
	size_t fl;
	int rc;

	*out = NULL;
	if (c->mqtt_broker[0] == '\0')
		return 0;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "mqtt: out of memory");
		return -1;
	}
	m->s = s;
	m->beacon_s = c->mqtt_beacon;
	atomic_init(&m->stop, false);
	atomic_init(&m->connected, false);
	atomic_init(&m->beacon_now, false);
	atomic_init(&m->backoff_s, 1);
	pthread_mutex_init(&m->sleep_mu, NULL);
	pthread_mutex_init(&m->tail_mu, NULL);
	pthread_mutex_init(&m->stray_mu, NULL);
	pthread_mutex_init(&m->resub_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->sleep_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (broker_split(c->mqtt_broker, m->host, sizeof(m->host), &m->port) != 0 ||
	    filter(c, PT_MQTT_STATE, m->filter_state, sizeof(m->filter_state)) != 0 ||
	    filter(c, PT_MQTT_EVENTS, m->filter_events, sizeof(m->filter_events)) != 0 ||
	    pt_mqtt_filter_build(PT_MQTT_HOME, m->filter_home, sizeof(m->filter_home), &fl) !=
		    PT_OK) {
		(void)snprintf(err->msg, sizeof(err->msg), "mqtt.broker: '%.100s' is not host:port",
			       c->mqtt_broker);
		goto fail;
	}
	if (c->mqtt_client_id[0] != '\0') {
		memcpy(m->client_id, c->mqtt_client_id, sizeof(m->client_id));
	} else {
		pt_random(rnd, sizeof(rnd));
		memcpy(m->client_id, "porterd-", 8);
		pt_hex(rnd, sizeof(rnd), m->client_id + 8);
	}
	mosquitto_lib_init();
	m->lib = true;
	/* A clean session: the id is new at each start, and what hubs sent
	 * while porterd was away comes again (events until acked; retained
	 * state with plain subscriptions). */
	if ((m->mq = mosquitto_new(m->client_id, true, m)) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "mqtt: cannot make a client: %s",
			       strerror(errno));
		goto fail;
	}
	mosquitto_threaded_set(m->mq, true);
	(void)mosquitto_int_option(m->mq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_connect_callback_set(m->mq, on_connect);
	mosquitto_disconnect_callback_set(m->mq, on_disconnect);
	mosquitto_message_callback_set(m->mq, on_message);
	if (c->mqtt_username[0] != '\0') {
		if (c->mqtt_password_file[0] != '\0' &&
		    password_read(c->mqtt_password_file, pw, sizeof(pw), err) != 0)
			goto fail;
		rc = mosquitto_username_pw_set(m->mq, c->mqtt_username,
					       c->mqtt_password_file[0] != '\0' ? pw : NULL);
		pt_wipe(pw, sizeof(pw));
		if (rc != MOSQ_ERR_SUCCESS) {
			(void)snprintf(err->msg, sizeof(err->msg), "mqtt.username: %s",
				       mosquitto_strerror(rc));
			goto fail;
		}
	}
	if (c->mqtt_tls_ca[0] != '\0' &&
	    (rc = mosquitto_tls_set(m->mq, c->mqtt_tls_ca, NULL,
				    c->mqtt_tls_cert[0] != '\0' ? c->mqtt_tls_cert : NULL,
				    c->mqtt_tls_key[0] != '\0' ? c->mqtt_tls_key : NULL, NULL)) !=
		    MOSQ_ERR_SUCCESS) {
		(void)snprintf(err->msg, sizeof(err->msg), "mqtt.tls_ca: %s", mosquitto_strerror(rc));
		goto fail;
	}
	if (pthread_create(&m->thread, NULL, run, m) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "mqtt: cannot start a thread");
		goto fail;
	}
	m->started = true;
	plog(LOG_INFO_, "event=mqtt_start broker=%s:%d client_id=%s subscribe=\"%s %s %s\" tls=%s",
	     m->host, m->port, m->client_id, m->filter_state, m->filter_events, m->filter_home,
	     c->mqtt_tls_ca[0] != '\0' ? "on" : "off");
	*out = m;
	return 0;
fail:
	mqtt_stop(m);
	return -1;
}

void
mqtt_stop(struct mqtt *m)
{
	if (m == NULL)
		return;
	atomic_store(&m->stop, true);
	pthread_mutex_lock(&m->sleep_mu);
	pthread_cond_broadcast(&m->sleep_cv);
	pthread_mutex_unlock(&m->sleep_mu);
	if (m->mq != NULL)
		(void)mosquitto_disconnect(m->mq);
	if (m->started)
		pthread_join(m->thread, NULL);
	if (m->mq != NULL)
		mosquitto_destroy(m->mq);
	if (m->lib)
		mosquitto_lib_cleanup();
	pthread_cond_destroy(&m->sleep_cv);
	pthread_mutex_destroy(&m->sleep_mu);
	pthread_mutex_destroy(&m->tail_mu);
	pthread_mutex_destroy(&m->stray_mu);
	pthread_mutex_destroy(&m->resub_mu);
	free(m);
}
