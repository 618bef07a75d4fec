/*
 * porter-hub's uplink: MQTT to porterd through a broker (docs/mqtt.md is
 * the protocol, lib/proto/mqtt.c its codec; docs/hub.md, "The uplink",
 * says how the hub runs it).
 *
 * libmosquitto, driven from the hub's own poll(2) loop, never from a
 * thread of its own: its socket joins the loop (mosquitto_socket,
 * mosquitto_want_write, mosquitto_loop_read / _write / _misc), connecting
 * is non-blocking (mosquitto_connect_async), and a broker given by name is
 * resolved with getaddrinfo_a first, so a resolver that does not answer
 * never holds up the door. Reconnects back off from 1 s to 60 s.
 *
 * What goes up: the state (retained; the offline state is the last will,
 * and is published before a clean disconnect, when MQTT does not send the
 * will), Home Assistant discovery configs (retained, on connect), and the
 * outbox as signed batches, one in flight, QoS 1. What comes down is
 * decoded here and handed to the core (hub.c), which verifies every
 * owner signature itself: acks are the outbox's, handled here.
 *
 * Callbacks of libmosquitto run inside mosquitto_loop_read / _write,
 * called from the loop like any other poll callback; they never publish
 * nor reconnect themselves, they set flags that tick() acts on.
 */
#define _GNU_SOURCE /* getaddrinfo_a */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mosquitto.h>

#include "porter/mqtt.h"
#include "porter/net.h"
#include "porter/text.h"
#include "hub.h"
#include "state.h"

#define RECONNECT_FIRST_MS 1000u
#define RECONNECT_MAX_MS 60000u
#define ACK_WAIT_FIRST_MS 10000u	/* docs/mqtt.md: 10 s, then 20, 40, ... */
#define ACK_WAIT_MAX_MS 300000u		/* ... up to 5 min */
#define ACK_WAIT_PAIRED_MS 1000u	/* after a pairing: 1 s, then 2, 4, ... */
#define MISC_EVERY_MS 1000u		/* mosquitto_loop_misc: pings, keepalive */
#define RESOLVE_POLL_MS 100u		/* how often a pending resolution is checked */
#define SUBSCRIBE_WAIT_MS 10000u	/* no SUBACK by then: go on without it */
#define CLOSE_WAIT_MS 2000		/* a clean disconnect waits this long, at most */
#define PASSWORD_MAX 256

enum conn {
	UP_WAITING = 0,		/* for next_try_ms */
	UP_RESOLVING = 1,	/* getaddrinfo_a in progress */
	UP_CONNECTING = 2,	/* TCP/TLS/CONNECT under way */
	UP_CONNECTED = 3,	/* CONNACK 0 */
};

struct uplink {
	struct hub *h;
	struct hub_state *st;
	struct mosquitto *m;
	char id[PT_ID_MAX + 1];
	char host[HUB_BROKER_MAX];
	char port_text[8];
	unsigned port;
	bool tls;
	int keepalive;
	bool discovery;
	char label[101];
	char topic[PT_MQTT_LEAF_LAST + 1][PT_MQTT_TOPIC_CAP];	/* by enum pt_mqtt_leaf */
	/* porter/v1/hub/<id>/live (docs/live.md): built here, matched by
	 * name before the codec's topic parser sees a message. */
	char live_topic[PT_MQTT_TOPIC_CAP];
	char approval_topic[PT_MQTT_TOPIC_CAP];	/* owners' answers (docs/alarm.md) */

	enum conn conn;
	bool closing;
	uint64_t next_try_ms;
	uint32_t backoff_ms;
	unsigned conn_failed;		/* attempts that never connected (pt_net_bind_for) */
	const char *via;		/* its answer for the current attempt (static) */
	uint64_t connect_by_ms;		/* the attempt's deadline (pt_net_connect_by) */
	uint64_t misc_ms;

	/* resolving a broker given by name */
	struct gaicb gai;
	struct gaicb *gai_list[1];
	struct addrinfo hints;
	bool gai_busy;

	/* after CONNACK: subscriptions, then state, discovery, events */
	bool subscribed;
	int last_sub_mid;
	uint64_t sub_deadline_ms;

	/* the home statement: published after every SUBACK and pairing,
	 * before the state and the events (docs/mqtt.md, "home") */
	bool home_force;
	unsigned home_gen;

	/* the state last published (at aside), and a forced republish */
	bool state_valid, state_force;
	struct pt_mqtt_state last;

	/* the outbox: one batch in flight */
	bool want_send, inflight;
	int64_t in_first, in_last;
	uint64_t sent_ms, retry_at_ms;
	uint32_t retry_ms;
	int64_t acked;			/* highest seq acked with our hash (this run) */
	int64_t fork_seq;		/* the last fork recorded, not to record it twice */
	uint8_t fork_hash[PT_HASH_LEN];
	struct hub_event *ev;		/* PT_MQTT_EVENTS_MAX */
	struct pt_mqtt_events *batch;
	uint8_t *buf;			/* PT_MQTT_PAYLOAD_MAX */

	/* a clean shutdown */
	int offline_mid;
	bool offline_done;
	bool no_discovery_logged;
};

/* ---- helpers ---- */

static uint32_t
jitter(uint32_t ms)
{
	uint8_t b[2];

	pt_random(b, sizeof(b));
	return ((uint32_t)b[0] << 8 | b[1]) % (ms / 4u + 1u);
}

static void
schedule(struct uplink *u, uint64_t now)
{
	if (u->conn != UP_CONNECTED)
		u->conn_failed++;	/* never connected: the next try, the next family */
	u->conn = UP_WAITING;
	u->subscribed = false;
	u->inflight = false;
	u->next_try_ms = now + u->backoff_ms + jitter(u->backoff_ms);
	hlog(HLOG_INFO, "event=uplink state=waiting retry_in_ms=%llu",
	     (unsigned long long)(u->next_try_ms - now));
	u->backoff_ms = u->backoff_ms >= RECONNECT_MAX_MS / 2 ? RECONNECT_MAX_MS : u->backoff_ms * 2;
}

static bool
state_differs(const struct pt_mqtt_state *a, const struct pt_mqtt_state *b)
{
	/* `at` alone changing is not a change (docs/mqtt.md, "state"). */
	return a->online != b->online || a->bolt != b->bolt || a->door != b->door ||
	       a->alarm != b->alarm || a->camera != b->camera || a->has_at != b->has_at ||
	       a->has_rev != b->has_rev || a->rev != b->rev;
}

/* The broker password: the first line of a file only the hub may read. */
static int
read_password(const char *path, char *out, size_t cap, struct pt_errbuf *err)
{
	size_t len;

	if (pt_secret_line("mqtt.password_file", path, out, cap, &len, err) != 0)
		return -1;
	if (len == 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "mqtt.password_file: '%.100s': %s", path,
			       "no password in it");
		return -1;
	}
	return 0;
}

/* ---- publishing ---- */

static int
publish(struct uplink *u, const char *topic, const uint8_t *p, size_t len, int qos, bool retain,
	int *mid)
{
	int rc = mosquitto_publish(u->m, mid, topic, (int)len, p, qos, retain);

	if (rc != MOSQ_ERR_SUCCESS)
		hlog(HLOG_WARN, "event=uplink_publish topic=%s error=\"%s\"", topic,
		     mosquitto_strerror(rc));
	return rc;
}

static void
publish_state(struct uplink *u, const struct pt_mqtt_state *s)
{
	size_t len;

	if (pt_mqtt_state_encode(s, u->buf, PT_MQTT_STATE_PAYLOAD_MAX, &len) != PT_OK) {
		hlog(HLOG_ERR, "event=uplink_state error=\"cannot encode the state\"");
		return;
	}
	if (publish(u, u->topic[PT_MQTT_STATE], u->buf, len, 1, true, NULL) != MOSQ_ERR_SUCCESS) {
		/* Again at the next tick (a second at most), not in a hot loop. */
		u->state_force = false;
		u->state_valid = false;
		return;
	}
	u->last = *s;
	u->state_valid = true;
	u->state_force = false;
	hlog(HLOG_DEBUG, "event=uplink_state bolt=%s door=%s rev=%lld", pt_mqtt_bolt_name(s->bolt),
	     pt_mqtt_door_name(s->door), (long long)s->rev);
}

/* The hub's word on its home, signed by its key, retained (docs/mqtt.md,
 * "home"): porterd files our events under a home only once we said it.
 * Unpaired: an empty retained message, so that no statement of a home we
 * were paired with before a reset stays on the broker. */
static void
publish_home(struct uplink *u)
{
	unsigned gen = hub_home_gen(u->h);
	size_t len = 0;
	int r = hub_home_statement(u->h, u->buf, PT_ENVELOPE_SIZE_MAX, &len);

	/* Just paired: porterd may have dropped what we sent while it did not
	 * know us (an unknown hub, or one that had not named its home), and
	 * the ack timer may stand at minutes by now. The owner waits for the
	 * pairing's events, and registers the hub with porterd about now if
	 * it paired at the door: after the statement, send again from the
	 * oldest unacked event at once, then after 1 s, 2, 4, ... (porterd
	 * keeps each event once; an ack puts the timer back to 10 s). */
	if (gen != u->home_gen) {
		u->retry_ms = ACK_WAIT_PAIRED_MS;
		if (u->inflight) {
			u->inflight = false;
			u->want_send = true;
		}
	}

	if (r != PT_OK && r != PT_ENOTFOUND) {
		hlog(HLOG_ERR, "event=uplink_home error=\"cannot sign: %s\"", pt_err_text(r));
		u->home_force = false;	/* again at the next connection or pairing */
		u->home_gen = gen;
		return;
	}
	u->home_force = false;
	u->home_gen = gen;
	/* Not sent (no connection, mostly): again after the next SUBACK. */
	if (publish(u, u->topic[PT_MQTT_HOME], u->buf, r == PT_OK ? len : 0, 1, true, NULL) !=
	    MOSQ_ERR_SUCCESS)
		return;
	hlog(HLOG_INFO, "event=uplink_home result=%s bytes=%zu",
	     r == PT_OK ? "published" : "cleared", r == PT_OK ? len : 0);
}

/* Home Assistant: the lock and the door, retained, the same bytes every
 * time; the camera's config removed (no camera agent yet). */
static void
publish_discovery(struct uplink *u)
{
	static const int entities[] = {PT_MQTT_HA_LOCK, PT_MQTT_HA_DOOR, PT_MQTT_HA_CAMERA};
	char topic[PT_MQTT_TOPIC_CAP];
	size_t tl, len, i;

	for (i = 0; i < sizeof(entities) / sizeof(entities[0]); i++) {
		if (pt_mqtt_ha_topic(entities[i], u->id, topic, sizeof(topic), &tl) != PT_OK) {
			if (!u->no_discovery_logged)
				hlog(HLOG_WARN, "event=uplink_discovery result=none note=\"Home Assistant"
						" allows only [A-Za-z0-9_-] in the hub id\"");
			u->no_discovery_logged = true;
			return;
		}
		if (entities[i] == PT_MQTT_HA_CAMERA) {
			(void)publish(u, topic, NULL, 0, 1, true, NULL);	/* removes it */
			continue;
		}
		if (pt_mqtt_ha_config(entities[i], u->id, u->label[0] ? u->label : u->id, HUB_VERSION,
				      u->buf, PT_MQTT_HA_CONFIG_MAX, &len) != PT_OK) {
			hlog(HLOG_ERR, "event=uplink_discovery error=\"cannot build the config\"");
			return;
		}
		(void)publish(u, topic, u->buf, len, 1, true, NULL);
	}
	hlog(HLOG_DEBUG, "event=uplink_discovery result=published");
}

/* The oldest unsent events (up to 32, consecutive), signed, QoS 1. */
static void
send_batch(struct uplink *u, uint64_t now)
{
	struct pt_mqtt_events *b = u->batch;
	size_t n = 0, k, len;
	int r;

	u->want_send = false;
	if ((r = hub_state_event_list(u->st, 0, true, u->ev, PT_MQTT_EVENTS_MAX, &n)) != PT_OK) {
		hlog(HLOG_ERR, "event=uplink_batch error=\"cannot read the outbox: %s\"", pt_err_text(r));
		goto retry_later;
	}
	if (n == 0)
		return;
	for (k = 1; k < n && u->ev[k].seq == u->ev[k - 1].seq + 1; k++)
		continue;
	memset(b, 0, sizeof(*b));
	b->n = k;
	for (size_t i = 0; i < k; i++) {
		struct pt_mqtt_event *x = &b->ev[i];
		x->seq = u->ev[i].seq;
		x->at = u->ev[i].at;
		x->type = u->ev[i].type;
		x->type_len = strlen(u->ev[i].type);
		x->data = (const uint8_t *)u->ev[i].data;
		x->data_len = strlen(u->ev[i].data);
		memcpy(x->prev, u->ev[i].prev, PT_HASH_LEN);
		memcpy(x->hash, u->ev[i].hash, PT_HASH_LEN);
	}
	if ((r = hub_sign_batch(u->h, b)) != PT_OK ||
	    (r = pt_mqtt_events_encode(b, u->buf, PT_MQTT_EVENTS_PAYLOAD_MAX, &len)) != PT_OK) {
		hlog(HLOG_ERR, "event=uplink_batch first=%lld error=\"cannot sign or encode: %s\"",
		     (long long)b->ev[0].seq, pt_err_text(r));
		goto retry_later;
	}
	if (publish(u, u->topic[PT_MQTT_EVENTS], u->buf, len, 1, false, NULL) != MOSQ_ERR_SUCCESS)
		goto retry_later;
	u->inflight = true;
	u->in_first = b->ev[0].seq;
	u->in_last = b->ev[k - 1].seq;
	u->sent_ms = now;
	u->retry_at_ms = now + u->retry_ms;
	hlog(HLOG_INFO, "event=uplink_batch first=%lld last=%lld events=%zu bytes=%zu",
	     (long long)u->in_first, (long long)u->in_last, k, len);
	return;
retry_later:
	/* Not in a hot loop: the ack timer brings it back. */
	u->inflight = true;
	u->in_first = u->in_last = INT64_MAX;
	u->sent_ms = now;
	u->retry_at_ms = now + u->retry_ms;
}

/* ---- what comes down ---- */

/*
 * porterd sends a hub its home's revocations and owner statements only
 * once the hub has named that home and porterd has a row for it
 * (docs/mqtt.md, "home"), and at that moment it sends them. One arriving
 * while a batch has waited a second or more for its ack: porterd has just
 * come to know us (a hub paired at the door and registered later, its ack
 * timer backed off to minutes by now), and dropped what we sent before.
 * Send again at once from the oldest unacked event, then after 1 s, 2 s,
 * ... as after a pairing (an ack puts the timer back to 10 s). Only the
 * topic is read, not the content: whatever it says, it is porterd's.
 */
static void
peer_knows_us(struct uplink *u, const char *what)
{
	uint64_t now = hub_mono_ms();

	if (!u->inflight || now - u->sent_ms < ACK_WAIT_PAIRED_MS)
		return;
	hlog(HLOG_INFO, "event=uplink_batch first=%lld note=\"%s from porterd, no ack yet: sending"
			" again from the first event after the latest ack\"",
	     (long long)u->in_first, what);
	u->inflight = false;
	u->retry_ms = ACK_WAIT_PAIRED_MS;
	u->want_send = true;
}

static void
on_ack(struct uplink *u, const uint8_t *p, size_t len)
{
	char ours[2 * PT_HASH_LEN + 1], theirs[2 * PT_HASH_LEN + 1];
	struct pt_mqtt_ack a;
	size_t n = 0;
	int r;

	if ((r = pt_mqtt_ack_decode(p, len, &a)) != PT_OK) {
		hlog(HLOG_WARN, "event=uplink_ack result=refuse reason=%s", pt_err_code(r));
		return;
	}
	if (a.seq == 0 || a.seq <= u->acked)
		return;	/* nothing stored, or no news */
	r = hub_state_event_list(u->st, a.seq - 1, false, u->ev, 1, &n);
	if (r != PT_OK) {
		hlog(HLOG_ERR, "event=uplink_ack seq=%lld error=\"%s\"", (long long)a.seq, pt_err_text(r));
		return;
	}
	if (n == 0 || u->ev[0].seq != a.seq) {
		hlog(HLOG_WARN, "event=uplink_ack seq=%lld result=ignored note=\"no such event here\"",
		     (long long)a.seq);
		return;
	}
	if (memcmp(u->ev[0].hash, a.hash, PT_HASH_LEN) != 0) {
		/* porterd holds another chain under our key: keep ours unsent. */
		pt_hex(u->ev[0].hash, PT_HASH_LEN, ours);
		pt_hex(a.hash, PT_HASH_LEN, theirs);
		hlog(HLOG_WARN, "event=uplink_fork seq=%lld ours=%s theirs=%s", (long long)a.seq, ours,
		     theirs);
		if (u->fork_seq != a.seq || memcmp(u->fork_hash, a.hash, PT_HASH_LEN) != 0) {
			u->fork_seq = a.seq;
			memcpy(u->fork_hash, a.hash, PT_HASH_LEN);
			hub_event(u->h, "uplink.fork",
				  json_pack("{s:I,s:s,s:s}", "seq", (json_int_t)a.seq, "ours", ours,
					    "theirs", theirs));
		}
		return;
	}
	if ((r = hub_state_event_mark_sent(u->st, a.seq)) != PT_OK) {
		hlog(HLOG_ERR, "event=uplink_ack seq=%lld error=\"%s\"", (long long)a.seq, pt_err_text(r));
		return;
	}
	u->acked = a.seq;
	hlog(HLOG_DEBUG, "event=uplink_ack seq=%lld result=marked-sent", (long long)a.seq);
	if (u->inflight && a.seq >= u->in_last) {
		u->inflight = false;
		u->retry_ms = ACK_WAIT_FIRST_MS;
		u->want_send = true;
	}
}

static void
on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	struct uplink *u = arg;
	struct pt_mqtt_topic t;
	const uint8_t *p = msg->payload;
	size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
	int r;

	(void)m;
	if (u->closing || msg->topic == NULL)
		return;
	if (strcmp(msg->topic, u->live_topic) == 0) {
		/* One envelope as the owner made it; bounded and verified by
		 * the core (too large, malformed: a live.refused event). */
		hub_on_live(u->h, p, len);
		return;
	}
	if (strcmp(msg->topic, u->approval_topic) == 0) {
		/* The same: one owner-signed approval, judged by the core. */
		hub_on_approval(u->h, p, len);
		return;
	}
	if (pt_mqtt_topic_parse(msg->topic, strlen(msg->topic), &t) != PT_OK ||
	    strcmp(t.hub_id, u->id) != 0) {
		hlog(HLOG_WARN, "event=uplink_message result=ignored note=\"not one of our topics\"");
		return;
	}
	switch (t.leaf) {
	case PT_MQTT_ACK:
		on_ack(u, p, len);
		return;
	case PT_MQTT_REVOCATIONS:
		peer_knows_us(u, "revocations");
		/* Decoded there (held as it came while the hub is unpaired). */
		if ((r = hub_on_revocations_msg(u->h, p, len)) != PT_OK)
			break;
		return;
	case PT_MQTT_COMMANDS: {
		struct pt_mqtt_command c;
		if ((r = pt_mqtt_command_decode(p, len, &c)) != PT_OK)
			break;
		hub_on_command(u->h, &c);
		return;
	}
	case PT_MQTT_OWNERS:
		peer_knows_us(u, "owners");
		/* Decoded there: a payload refused is an owner.refuse event. */
		hub_on_owners(u->h, p, len);
		return;
	case PT_MQTT_PAIR:
		/* An owner's pairing relayed by porterd: decoded and judged
		 * there, by the link's PAIR code (docs/hub.md, "Pairing"). */
		hub_on_pair_uplink(u->h, p, len);
		return;
	case PT_MQTT_TIME: {
		struct pt_mqtt_time tm;
		if ((r = pt_mqtt_time_decode(p, len, &tm)) != PT_OK)
			break;
		if (hub_on_time(u->h, &tm))
			u->state_force = true;	/* porterd pages when it sees our rev */
		return;
	}
	default:
		return;	/* our own state and events: never subscribed */
	}
	hlog(HLOG_WARN, "event=uplink_message topic=%s result=refuse reason=%s bytes=%zu",
	     pt_mqtt_leaf_info(t.leaf)->name, pt_err_code(r), len);
}

/* ---- the connection ---- */

static void
on_connect(struct mosquitto *m, void *arg, int rc)
{
	static const int leaves[] = {PT_MQTT_ACK, PT_MQTT_REVOCATIONS, PT_MQTT_OWNERS,
				     PT_MQTT_COMMANDS, PT_MQTT_TIME, PT_MQTT_PAIR};
	struct uplink *u = arg;
	size_t i;
	int mid = 0;

	if (rc != 0) {
		/* The broker closes the connection; on_disconnect schedules. */
		hlog(HLOG_ERR, "event=uplink state=refused reason=\"%s\"", mosquitto_connack_string(rc));
		return;
	}
	u->conn = UP_CONNECTED;
	u->backoff_ms = RECONNECT_FIRST_MS;
	u->subscribed = false;
	u->inflight = false;
	u->retry_ms = ACK_WAIT_FIRST_MS;
	/* By name, never .../#; the ack first: the broker sends the retained
	 * ack after its SUBACK and before it reads our next SUBSCRIBE, so once
	 * the last SUBACK is in, the retained ack and revocation tail are. */
	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		rc = mosquitto_subscribe(m, &mid, u->topic[leaves[i]],
					 pt_mqtt_leaf_info(leaves[i])->qos);
		if (rc != MOSQ_ERR_SUCCESS)
			hlog(HLOG_ERR, "event=uplink_subscribe topic=%s error=\"%s\"",
			     u->topic[leaves[i]], mosquitto_strerror(rc));
	}
	/* Live view requests and owners' approvals (QoS 1), before the
	 * last SUBACK is awaited. */
	rc = mosquitto_subscribe(m, &mid, u->live_topic, 1);
	if (rc != MOSQ_ERR_SUCCESS)
		hlog(HLOG_ERR, "event=uplink_subscribe topic=%s error=\"%s\"", u->live_topic,
		     mosquitto_strerror(rc));
	rc = mosquitto_subscribe(m, &mid, u->approval_topic, 1);
	if (rc != MOSQ_ERR_SUCCESS)
		hlog(HLOG_ERR, "event=uplink_subscribe topic=%s error=\"%s\"", u->approval_topic,
		     mosquitto_strerror(rc));
	u->last_sub_mid = mid;
	u->sub_deadline_ms = hub_mono_ms() + SUBSCRIBE_WAIT_MS;
	hlog(HLOG_INFO, "event=uplink state=connected broker=%s:%u tls=%s via=%s", u->host, u->port,
	     u->tls ? "yes" : "no", u->via != NULL ? u->via : "any");
}

static void
on_subscribe(struct mosquitto *m, void *arg, int mid, int qos_count, const int *granted)
{
	struct uplink *u = arg;
	int i;

	(void)m;
	for (i = 0; i < qos_count; i++)
		if (granted[i] > 2)
			hlog(HLOG_ERR, "event=uplink_subscribe result=refused note=\"the broker's ACL"
				       " refuses one of our topics\"");
	if (mid == u->last_sub_mid && u->conn == UP_CONNECTED && !u->subscribed) {
		u->subscribed = true;
		hlog(HLOG_INFO, "event=uplink state=subscribed");
		u->home_force = true;
		u->state_force = true;
		u->want_send = true;
		if (u->discovery)
			publish_discovery(u);
	}
}

static void
on_disconnect(struct mosquitto *m, void *arg, int rc)
{
	struct uplink *u = arg;

	(void)m;
	if (u->closing)
		return;
	hlog(rc == 0 ? HLOG_INFO : HLOG_WARN, "event=uplink state=%s reason=\"%s\"",
	     u->conn == UP_CONNECTED ? "disconnected" : "connect-failed", mosquitto_strerror(rc));
	schedule(u, hub_mono_ms());
}

static void
on_publish(struct mosquitto *m, void *arg, int mid)
{
	struct uplink *u = arg;

	(void)m;
	if (u->closing && mid == u->offline_mid)
		u->offline_done = true;
}

static void
on_log(struct mosquitto *m, void *arg, int level, const char *msg)
{
	(void)m;
	(void)arg;
	(void)level;
	hlog(HLOG_DEBUG, "event=mosquitto msg=\"%s\"", msg);
}

static void
connect_to(struct uplink *u, const char *target, uint64_t now)
{
	const char *bind = pt_net_bind_for(target, u->conn_failed);
	int rc;

	/* After an attempt that failed, one address family at a time
	 * (porter/net.h: a name whose first address does not answer). */
	u->via = bind;
	rc = mosquitto_connect_bind_async(u->m, target, (int)u->port, u->keepalive, bind);
	if (rc != MOSQ_ERR_SUCCESS) {
		hlog(HLOG_WARN, "event=uplink state=connect-failed broker=%s:%u via=%s error=\"%s\"",
		     u->host, u->port, bind != NULL ? bind : "any",
		     rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		schedule(u, now);
		return;
	}
	u->conn = UP_CONNECTING;
	u->misc_ms = now + MISC_EVERY_MS;
	u->connect_by_ms = pt_net_connect_by(now);
	hlog(HLOG_DEBUG, "event=uplink state=connecting broker=%s:%u via=%s", u->host, u->port,
	     bind != NULL ? bind : "any");
}

static bool
is_numeric(const char *host)
{
	uint8_t a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

static void
start_connect(struct uplink *u, uint64_t now)
{
	int r;

	if (is_numeric(u->host)) {
		connect_to(u, u->host, now);
		return;
	}
	/* A name: resolved in the background, never in the loop's time. */
	memset(&u->gai, 0, sizeof(u->gai));
	memset(&u->hints, 0, sizeof(u->hints));
	u->hints.ai_socktype = SOCK_STREAM;
	u->hints.ai_family = AF_UNSPEC;
	u->gai.ar_name = u->host;
	u->gai.ar_service = u->port_text;
	u->gai.ar_request = &u->hints;
	u->gai_list[0] = &u->gai;
	if ((r = getaddrinfo_a(GAI_NOWAIT, u->gai_list, 1, NULL)) != 0) {
		hlog(HLOG_WARN, "event=uplink state=resolve-failed host=%s error=\"%s\"", u->host,
		     gai_strerror(r));
		schedule(u, now);
		return;
	}
	u->gai_busy = true;
	u->conn = UP_RESOLVING;
}

static void
check_resolve(struct uplink *u, uint64_t now)
{
	char addr[INET6_ADDRSTRLEN];
	int r = gai_error(&u->gai);

	if (r == EAI_INPROGRESS)
		return;
	u->gai_busy = false;
	if (r != 0 || u->gai.ar_result == NULL ||
	    getnameinfo(u->gai.ar_result->ai_addr, u->gai.ar_result->ai_addrlen, addr,
			sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0) {
		hlog(HLOG_WARN, "event=uplink state=resolve-failed host=%s error=\"%s\"", u->host,
		     r != 0 ? gai_strerror(r) : "no address");
		if (u->gai.ar_result != NULL)
			freeaddrinfo(u->gai.ar_result);
		u->gai.ar_result = NULL;
		schedule(u, now);
		return;
	}
	freeaddrinfo(u->gai.ar_result);
	u->gai.ar_result = NULL;
	/* The resolver answers: libmosquitto looks the name up again (it
	 * needs it for TLS, where the broker's certificate is checked against
	 * it, and it tries every address), which it now does at once. A
	 * resolver that does not answer never reaches libmosquitto's
	 * blocking getaddrinfo. */
	hlog(HLOG_DEBUG, "event=uplink state=resolved host=%s address=%s", u->host, addr);
	connect_to(u, u->host, now);
}

/* ---- the loop's hooks ---- */

static void
on_socket(void *arg, short revents)
{
	struct uplink *u = arg;
	int rc = MOSQ_ERR_SUCCESS, e;

	/* The TCP connect itself failed (porter/net.h: under TLS libmosquitto
	 * would notice only at the keepalive): the next attempt now. */
	if (u->conn == UP_CONNECTING && (revents & (POLLERR | POLLHUP)) &&
	    (e = pt_net_connect_error(mosquitto_socket(u->m))) != 0) {
		hlog(HLOG_WARN, "event=uplink state=connect-failed broker=%s:%u via=%s error=\"%s\"",
		     u->host, u->port, u->via != NULL ? u->via : "any", strerror(e));
		schedule(u, hub_mono_ms());
		return;
	}
	if (revents & (POLLIN | POLLERR | POLLHUP))
		rc = mosquitto_loop_read(u->m, 1);
	if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(u->m) >= 0 &&
	    ((revents & POLLOUT) || mosquitto_want_write(u->m)))
		rc = mosquitto_loop_write(u->m, 1);
	/* A failure has closed the socket and, mostly, called on_disconnect
	 * (which schedules the next try); a TLS handshake that fails closes it
	 * without a callback. */
	if (rc != MOSQ_ERR_SUCCESS && !u->closing && u->conn != UP_WAITING &&
	    mosquitto_socket(u->m) < 0) {
		hlog(HLOG_WARN, "event=uplink state=connect-failed broker=%s:%u error=\"%s\"", u->host,
		     u->port, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		schedule(u, hub_mono_ms());
	}
}

static void
up_poll(void *arg, struct hub_poll *p)
{
	struct uplink *u = arg;
	int fd;

	if (u->conn != UP_CONNECTING && u->conn != UP_CONNECTED)
		return;
	if ((fd = mosquitto_socket(u->m)) < 0)
		return;
	hub_poll_add(p, fd, (short)(POLLIN | (mosquitto_want_write(u->m) ? POLLOUT : 0)), on_socket,
		     u);
}

static uint64_t
up_deadline(void *arg)
{
	struct uplink *u = arg;
	uint64_t d = UINT64_MAX;

	switch (u->conn) {
	case UP_WAITING:
		return u->next_try_ms;
	case UP_RESOLVING:
		return hub_mono_ms() + RESOLVE_POLL_MS;
	case UP_CONNECTING:
		return u->misc_ms < u->connect_by_ms ? u->misc_ms : u->connect_by_ms;
	case UP_CONNECTED:
		d = u->misc_ms;
		if (!u->subscribed)
			return d < u->sub_deadline_ms ? d : u->sub_deadline_ms;
		if (u->state_force || u->home_force || u->home_gen != hub_home_gen(u->h) ||
		    (u->want_send && !u->inflight))
			return 0;
		if (u->inflight && u->retry_at_ms < d)
			d = u->retry_at_ms;
		return d;
	}
	return d;
}

static void
up_tick(void *arg, uint64_t now)
{
	struct uplink *u = arg;
	struct pt_mqtt_state s;

	switch (u->conn) {
	case UP_WAITING:
		if (now >= u->next_try_ms)
			start_connect(u, now);
		return;
	case UP_RESOLVING:
		check_resolve(u, now);
		return;
	case UP_CONNECTING:
		/* An address that never answers refuses nothing (porter/net.h):
		 * the next attempt, the next family. */
		if (pt_net_connect_is_late(u->connect_by_ms, now)) {
			pt_net_connect_abandon(mosquitto_socket(u->m));
			hlog(HLOG_WARN, "event=uplink state=connect-failed broker=%s:%u via=%s"
					" error=\"timed out\" wait_ms=%u",
			     u->host, u->port, u->via != NULL ? u->via : "any", PT_NET_CONNECT_WAIT_MS);
			schedule(u, now);
			return;
		}
		break;
	case UP_CONNECTED:
		break;
	}
	if (now >= u->misc_ms) {
		u->misc_ms = now + MISC_EVERY_MS;
		(void)mosquitto_loop_misc(u->m);	/* pings; a dead broker: on_disconnect */
		if (u->conn == UP_WAITING)
			return;
	}
	if (mosquitto_socket(u->m) < 0) {
		/* Closed without a callback (cannot happen with 2.0; be sure). */
		schedule(u, now);
		return;
	}
	if (u->conn != UP_CONNECTED)
		return;
	if (!u->subscribed) {
		if (now < u->sub_deadline_ms)
			return;
		hlog(HLOG_WARN, "event=uplink_subscribe result=late note=\"going on without SUBACK\"");
		u->subscribed = true;
		u->home_force = true;
		u->state_force = true;
		u->want_send = true;
		if (u->discovery)
			publish_discovery(u);
	}
	/* First the home, then the state, then events: porterd reads them in
	 * that order, so a pairing's events find the hub's word there. */
	if (u->home_force || u->home_gen != hub_home_gen(u->h))
		publish_home(u);
	hub_mqtt_state(u->h, &s);
	if (u->state_force || !u->state_valid || state_differs(&s, &u->last))
		publish_state(u, &s);
	if (u->inflight && now >= u->retry_at_ms) {
		hlog(HLOG_INFO, "event=uplink_batch first=%lld note=\"no ack within %u s: sending again"
				" from the first event after the latest ack\"",
		     (long long)u->in_first, u->retry_ms / 1000u);
		u->inflight = false;
		u->retry_ms = u->retry_ms >= ACK_WAIT_MAX_MS / 2 ? ACK_WAIT_MAX_MS : u->retry_ms * 2;
		u->want_send = true;
	}
	if (u->want_send && !u->inflight)
		send_batch(u, now);
}

static void
up_events_appended(void *arg, int64_t last_seq)
{
	struct uplink *u = arg;

	(void)last_seq;
	u->want_send = true;	/* sent from tick(), never from inside the core */
}

/* Publish the offline state ourselves (MQTT sends no will after a clean
 * DISCONNECT), wait a moment for the broker to take it, disconnect. The
 * door logic has stopped: waiting here holds nothing up. */
static void
clean_disconnect(struct uplink *u)
{
	struct pt_mqtt_state off;
	struct pollfd pfd;
	uint64_t end = hub_mono_ms() + CLOSE_WAIT_MS, now;
	size_t len;
	int fd;

	memset(&off, 0, sizeof(off));
	if (pt_mqtt_state_encode(&off, u->buf, PT_MQTT_STATE_PAYLOAD_MAX, &len) != PT_OK ||
	    publish(u, u->topic[PT_MQTT_STATE], u->buf, len, 1, true, &u->offline_mid) !=
		    MOSQ_ERR_SUCCESS)
		return;
	while (!u->offline_done && (now = hub_mono_ms()) < end &&
	       (fd = mosquitto_socket(u->m)) >= 0) {
		pfd.fd = fd;
		pfd.events = (short)(POLLIN | (mosquitto_want_write(u->m) ? POLLOUT : 0));
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)(end - now)) < 0 && errno != EINTR)
			break;
		on_socket(u, pfd.revents);
	}
	hlog(u->offline_done ? HLOG_INFO : HLOG_WARN, "event=uplink state=offline-published result=%s",
	     u->offline_done ? "acknowledged" : "unconfirmed");
	(void)mosquitto_disconnect(u->m);
	if (mosquitto_socket(u->m) >= 0)
		(void)mosquitto_loop_write(u->m, 1);
}

static void
up_close(void *arg)
{
	struct uplink *u = arg;

	if (u == NULL)
		return;
	u->closing = true;
	if (u->conn == UP_CONNECTED)
		clean_disconnect(u);
	if (u->gai_busy && gai_cancel(&u->gai) == EAI_NOTCANCELED) {
		/* The resolver still writes into u: let it finish first. */
		const struct gaicb *list[1] = {&u->gai};
		struct timespec ts = {2, 0};
		(void)gai_suspend(list, 1, &ts);
		if (gai_error(&u->gai) == EAI_INPROGRESS) {
			hlog(HLOG_WARN, "event=uplink_close note=\"resolver busy: not freed\"");
			return;
		}
	}
	if (u->gai_busy && u->gai.ar_result != NULL)
		freeaddrinfo(u->gai.ar_result);
	mosquitto_destroy(u->m);
	mosquitto_lib_cleanup();
	free(u->ev);
	free(u->batch);
	free(u->buf);
	free(u);
	hlog(HLOG_INFO, "event=uplink state=closed");
}

/* Requests for an owner's approval are made only while one can come back. */
static bool
up_connected(void *arg)
{
	const struct uplink *u = arg;

	return u->conn == UP_CONNECTED && u->subscribed;
}

static const struct hub_uplink_ops uplink_ops = {
	up_poll, up_deadline, up_tick, up_events_appended, up_close, up_connected,
};

/* ---- open ---- */

int
hub_uplink_open(struct hub *h, const struct hub_config *cfg, struct pt_errbuf *err)
{
	char password[PASSWORD_MAX];
	struct pt_mqtt_state off;
	struct uplink *u;
	size_t len;
	int leaf, rc;

	if (cfg->mqtt_broker[0] == '\0') {
		hlog(HLOG_INFO, "event=uplink state=off note=\"no [mqtt] broker: offline hub\"");
		return 0;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->ev = calloc(PT_MQTT_EVENTS_MAX, sizeof(*u->ev))) == NULL ||
	    (u->batch = calloc(1, sizeof(*u->batch))) == NULL ||
	    (u->buf = malloc(PT_MQTT_PAYLOAD_MAX)) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "out of memory");
		goto fail_free;
	}
	u->h = h;
	u->st = hub_store(h);
	(void)snprintf(u->id, sizeof(u->id), "%s", hub_id_get(h));
	if (config_parse_broker(cfg->mqtt_broker, u->host, sizeof(u->host), &u->port) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "mqtt.broker: '%.100s' is not host:port",
			       cfg->mqtt_broker);
		goto fail_free;
	}
	(void)snprintf(u->port_text, sizeof(u->port_text), "%u", u->port);
	u->tls = cfg->mqtt_tls_ca[0] != '\0';
	u->keepalive = (int)cfg->mqtt_keepalive;
	u->discovery = cfg->mqtt_discovery;
	memcpy(u->label, cfg->mqtt_label, sizeof(u->label));
	for (leaf = PT_MQTT_STATE; leaf <= PT_MQTT_LEAF_LAST; leaf++) {
		if (pt_mqtt_topic_build(leaf, u->id, u->topic[leaf], sizeof(u->topic[leaf]), &len) !=
		    PT_OK) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "mqtt: the hub id '%.64s' cannot name a topic", u->id);
			goto fail_free;
		}
	}
	{
		int tl = snprintf(u->live_topic, sizeof(u->live_topic), "%s%s/live", PT_MQTT_PREFIX,
				  u->id);
		int ta = snprintf(u->approval_topic, sizeof(u->approval_topic), "%s%s/approval",
				  PT_MQTT_PREFIX, u->id);
		if (tl < 0 || (size_t)tl >= sizeof(u->live_topic) || ta < 0 ||
		    (size_t)ta >= sizeof(u->approval_topic)) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "mqtt: the hub id '%.64s' cannot name a topic", u->id);
			goto fail_free;
		}
	}

	mosquitto_lib_init();
	/* Client id = hub id, persistent session: QoS 1 messages wait at the
	 * broker over short outages. */
	if ((u->m = mosquitto_new(u->id, false, u)) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "mqtt: cannot make a client: %s",
			       strerror(errno));
		goto fail_lib;
	}
	(void)mosquitto_int_option(u->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	password[0] = '\0';
	if (cfg->mqtt_password_file[0] != '\0' &&
	    read_password(cfg->mqtt_password_file, password, sizeof(password), err) != 0)
		goto fail_lib;
	rc = mosquitto_username_pw_set(u->m, cfg->mqtt_username[0] ? cfg->mqtt_username : u->id,
				       password[0] ? password : NULL);
	pt_wipe(password, sizeof(password));
	if (rc != MOSQ_ERR_SUCCESS) {
		(void)snprintf(err->msg, sizeof(err->msg), "mqtt: cannot set the credentials: %s",
			       mosquitto_strerror(rc));
		goto fail_lib;
	}
	if (u->tls) {
		rc = mosquitto_tls_set(u->m, cfg->mqtt_tls_ca, NULL,
				       cfg->mqtt_tls_cert[0] ? cfg->mqtt_tls_cert : NULL,
				       cfg->mqtt_tls_key[0] ? cfg->mqtt_tls_key : NULL, NULL);
		if (rc == MOSQ_ERR_SUCCESS)	/* verify the broker; TLS 1.2 at least */
			rc = mosquitto_tls_opts_set(u->m, 1, "tlsv1.2", NULL);
		if (rc != MOSQ_ERR_SUCCESS) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "mqtt: TLS: %s (are mqtt.tls_ca, tls_cert and tls_key readable"
				       " PEM files?)",
				       mosquitto_strerror(rc));
			goto fail_lib;
		}
	}
	/* The last will: the offline state, retained. */
	memset(&off, 0, sizeof(off));
	if (pt_mqtt_state_encode(&off, u->buf, PT_MQTT_STATE_PAYLOAD_MAX, &len) != PT_OK ||
	    mosquitto_will_set(u->m, u->topic[PT_MQTT_STATE], (int)len, u->buf, 1, true) !=
		    MOSQ_ERR_SUCCESS) {
		(void)snprintf(err->msg, sizeof(err->msg), "mqtt: cannot set the last will");
		goto fail_lib;
	}
	mosquitto_connect_callback_set(u->m, on_connect);
	mosquitto_disconnect_callback_set(u->m, on_disconnect);
	mosquitto_message_callback_set(u->m, on_message);
	mosquitto_subscribe_callback_set(u->m, on_subscribe);
	mosquitto_publish_callback_set(u->m, on_publish);
	mosquitto_log_callback_set(u->m, on_log);

	u->conn = UP_WAITING;
	u->backoff_ms = RECONNECT_FIRST_MS;
	u->retry_ms = ACK_WAIT_FIRST_MS;
	u->next_try_ms = 0;	/* at the first tick */
	hub_uplink_set(h, &uplink_ops, u);
	hlog(HLOG_INFO, "event=uplink state=starting broker=%s:%u tls=%s user=%s keepalive=%d",
	     u->host, u->port, u->tls ? "yes" : "no",
	     cfg->mqtt_username[0] ? cfg->mqtt_username : u->id, u->keepalive);
	return 0;
fail_lib:
	if (u->m != NULL)
		mosquitto_destroy(u->m);
	mosquitto_lib_cleanup();
fail_free:
	if (u != NULL) {
		free(u->ev);
		free(u->batch);
		free(u->buf);
		free(u);
	}
	return -1;
}
