/*
 * daemons/hub/drv_z2m.c: the "zigbee2mqtt" driver. A Zigbee lock, a door
 * contact sensor and motion sensors as Zigbee2MQTT (Z2M) presents them on
 * MQTT (docs/drivers.md; the messages are decoded by lib/proto/z2m.c).
 *
 *   command     <base>/<lock>/set  {"state":"UNLOCK"} / {"state":"LOCK"},
 *               QoS 1, never retained (a retained command would be
 *               carried out again whenever Z2M reconnects)
 *   read        <base>/<lock>/get  {"state":""} after every (re)connect
 *   reports     <base>/<name>: lock_state / state (the bolt), contact
 *               (true: the door is SHUT), occupancy (motion)
 *   health      <base>/<name>/availability and <base>/bridge/state, in
 *               the legacy text form and the JSON form
 *
 * Rules:
 *   - The bolt is what the lock reports, never what was asked for: a
 *     command is confirmed by a report of the asked-for bolt, and fails
 *     (lock_failed) on "not_fully_locked", when the lock or the bridge
 *     goes offline, when the broker connection drops, or when no report
 *     comes within 90% of [door] lock_timeout (so the driver answers
 *     before the door machine's own backstop fires).
 *   - Retained messages are what Z2M published last, maybe long ago. A
 *     retained report is taken only as the first knowledge of a device
 *     (Z2M itself restores its last state the same way); it never confirms
 *     a command and never overrides a live report. The lock is asked for a
 *     fresh reading on every connect, and a retained bolt is only used
 *     once the lock has had [door] lock_timeout to answer. A retained
 *     occupancy is never motion.
 *   - Not ready (the door machine does not start, grants are refused)
 *     until connected, the bridge online, and the lock and the door
 *     sensor this instance serves known and not offline (motion sensors
 *     are not waited for). A command while the lock is offline fails at
 *     once.
 *
 * Its own libmosquitto client, in the hub's poll loop exactly as the
 * uplink (uplink.c) runs its own: the socket joins the poll set, connect
 * is mosquitto_connect_async, reconnects back off 1 s .. 30 s. Callbacks
 * run inside mosquitto_loop_read/_write called from the loop; they call
 * the sink directly (never from inside a command).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mosquitto.h>

#include "porter/crypto.h"
#include "porter/net.h"
#include "porter/z2m.h"
#include "hub.h"

_Static_assert(sizeof(((struct hub_config *)0)->z2m_lock) == PT_Z2M_NAME_MAX + 1, "name size");
_Static_assert(sizeof(((struct hub_config *)0)->z2m_base) == PT_Z2M_BASE_MAX + 1, "base size");

#define RECONNECT_FIRST_MS 1000u
#define RECONNECT_MAX_MS 30000u
#define MISC_EVERY_MS 1000u
#define PASSWORD_MAX 256

enum { ZC_WAITING = 0, ZC_CONNECTING = 1, ZC_CONNECTED = 2 };
enum { DEV_LOCK = 0, DEV_DOOR = 1, DEV_MOT_ENTRY = 2, DEV_MOT_INTERIOR = 3, DEV_N = 4 };
static const char *const dev_what[DEV_N] = {"lock", "door", "motion-entry", "motion-interior"};

struct dev {
	bool used;
	char name[PT_Z2M_NAME_MAX + 1];
	char topic[PT_Z2M_TOPIC_CAP], avail_topic[PT_Z2M_TOPIC_CAP];
	bool offline;		/* availability said offline (unknown: available) */
	bool known;		/* a report has given its state */
	bool fresh;		/* ... a live one, not a retained one */
	bool value;		/* lock: thrown; door: open */
};

struct z2m {
	struct hub_drv_sink sink;
	unsigned roles;
	struct mosquitto *m;
	char host[HUB_BROKER_MAX];
	unsigned port;
	int keepalive;
	bool tls;
	char bridge_topic[PT_Z2M_TOPIC_CAP], set_topic[PT_Z2M_TOPIC_CAP], get_topic[PT_Z2M_TOPIC_CAP];
	struct dev dev[DEV_N];

	int conn;
	uint64_t next_try_ms, misc_ms;
	uint32_t backoff_ms;
	unsigned conn_failed;		/* attempts that never connected (pt_net_bind_for) */
	const char *via;		/* its answer for the current attempt (static) */
	uint64_t connect_by_ms;		/* the attempt's deadline (pt_net_connect_by) */
	int last_sub_mid;
	bool subscribed;
	bool bridge_online;

	uint32_t cmd_timeout_ms, refresh_ms;
	uint64_t refresh_until_ms;	/* a retained bolt counts after this */
	uint8_t pending;		/* PT_DOOR_ACT_LOCK / _UNLOCK, 0: none */
	uint64_t pending_due_ms;
	bool was_ready;
	bool closing;		/* hub_close: no more reports to the sink */
};

/* ---- helpers ---- */

static int
read_password(const char *path, char *out, size_t cap, struct pt_errbuf *err)
{
	size_t len;

	if (pt_secret_line("zigbee2mqtt.password_file", path, out, cap, &len, err) != 0)
		return -1;
	if (len == 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "zigbee2mqtt.password_file: '%.100s': %s",
			       path, "no password in it");
		return -1;
	}
	return 0;
}

/* What this instance must know before the door machine may start. */
static bool
is_ready(const struct z2m *z, uint64_t now)
{
	const struct dev *l = &z->dev[DEV_LOCK], *d = &z->dev[DEV_DOOR];

	if (z->conn != ZC_CONNECTED || !z->subscribed || !z->bridge_online)
		return false;
	if ((z->roles & HUB_ROLE_LOCK) &&
	    (!l->known || l->offline || (!l->fresh && now < z->refresh_until_ms)))
		return false;
	if ((z->roles & HUB_ROLE_DOOR) && (!d->known || d->offline))
		return false;
	return true;
}

/* The hub starts the door machine from a report: when this instance has
 * just become ready, repeat what it knows (a repeat changes nothing in a
 * running machine; no command is pending then, see fail_pending). */
static void
poke_if_ready(struct z2m *z)
{
	bool r = is_ready(z, hub_mono_ms());

	if (r && !z->was_ready) {
		hlog(HLOG_INFO, "event=z2m state=ready");
		z->was_ready = true;
		if ((z->roles & HUB_ROLE_LOCK) && z->pending == 0)
			z->sink.bolt(z->sink.arg, z->dev[DEV_LOCK].value);
		if (z->roles & HUB_ROLE_DOOR)
			z->sink.contact(z->sink.arg, z->dev[DEV_DOOR].value);
	} else if (!r && z->was_ready) {
		hlog(HLOG_WARN, "event=z2m state=not-ready bridge=%s lock=%s door=%s",
		     z->bridge_online ? "online" : "offline",
		     !(z->roles & HUB_ROLE_LOCK) ? "-" : z->dev[DEV_LOCK].offline ? "offline" : "online",
		     !(z->roles & HUB_ROLE_DOOR) ? "-" : z->dev[DEV_DOOR].offline ? "offline" : "online");
		z->was_ready = false;
	}
}

static void
fail_pending(struct z2m *z, const char *why)
{
	if (z->pending == 0)
		return;
	hlog(HLOG_WARN, "event=z2m_lock result=failed command=%s why=%s",
	     pt_door_action_name(z->pending), why);
	z->pending = 0;
	z->sink.lock_failed(z->sink.arg);
}

/* ---- messages ---- */

static void
on_lock_report(struct z2m *z, const struct pt_z2m_report *r, bool retained)
{
	struct dev *l = &z->dev[DEV_LOCK];
	int bolt = pt_z2m_report_bolt(r);
	bool changed;

	if (bolt < 0)
		return;	/* battery, linkquality, ...: nothing about the bolt */
	if (retained && l->known)
		return;	/* a replay on resubscribe: the live reports rule */
	hlog(HLOG_INFO, "event=z2m_report device=lock bolt=%s lock_state=%s retained=%s",
	     bolt ? "thrown" : "drawn",
	     r->lock_state == PT_Z2M_LOCK_NOT_FULLY ? "not_fully_locked"
	     : r->lock_state == PT_Z2M_LOCK_LOCKED  ? "locked"
	     : r->lock_state == PT_Z2M_LOCK_UNLOCKED ? "unlocked"
						      : "-",
	     retained ? "yes" : "no");
	changed = !l->known || l->value != (bolt == 1);
	l->known = true;
	l->value = bolt == 1;
	if (!retained)
		l->fresh = true;
	if (z->pending != 0 && !retained) {
		if (z->pending == PT_DOOR_ACT_LOCK && r->lock_state == PT_Z2M_LOCK_NOT_FULLY) {
			fail_pending(z, "not_fully_locked");
			return;
		}
		if ((z->pending == PT_DOOR_ACT_LOCK) == (bolt == 1)) {
			z->pending = 0;	/* confirmed: report it even if unchanged */
			z->sink.bolt(z->sink.arg, l->value);
			return;
		}
	}
	/* Always passed on, ready or not: the hub ignores reports until its
	 * machine runs, and once it runs a door that moves while the lock is
	 * offline must still be seen. */
	if (changed)
		z->sink.bolt(z->sink.arg, l->value);
}

static void
on_door_report(struct z2m *z, const struct pt_z2m_report *r, bool retained)
{
	struct dev *d = &z->dev[DEV_DOOR];
	bool open, changed;

	if (r->contact == PT_Z2M_ABSENT)
		return;
	if (retained && d->known)
		return;
	open = r->contact == PT_Z2M_FALSE;	/* Z2M: contact true = closed */
	hlog(HLOG_INFO, "event=z2m_report device=door contact=%s retained=%s",
	     open ? "open" : "closed", retained ? "yes" : "no");
	changed = !d->known || d->value != open;
	d->known = true;
	d->fresh = d->fresh || !retained;
	d->value = open;
	if (changed)
		z->sink.contact(z->sink.arg, open);
}

static void
on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	struct z2m *z = arg;
	const uint8_t *p = msg->payload;
	size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
	struct pt_z2m_report rep;
	bool online = false, decoded = false;
	int i, r;

	(void)m;
	if (z->closing || msg->topic == NULL)
		return;
	memset(&rep, 0, sizeof(rep));
	if (strcmp(msg->topic, z->bridge_topic) == 0) {
		if ((r = pt_z2m_avail_decode(p, len, &online)) != PT_OK)
			goto refuse;
		if (online != z->bridge_online)
			hlog(online ? HLOG_INFO : HLOG_WARN, "event=z2m_bridge state=%s retained=%s",
			     online ? "online" : "offline", msg->retain ? "yes" : "no");
		z->bridge_online = online;
		if (!online)
			fail_pending(z, "bridge-offline");
		poke_if_ready(z);
		return;
	}
	/* One device may serve several roles (a lock with a door sensor
	 * built in, named for both): every role it has takes the message. */
	for (i = 0; i < DEV_N; i++) {
		struct dev *d = &z->dev[i];
		if (!d->used)
			continue;
		if (strcmp(msg->topic, d->avail_topic) == 0) {
			if (!decoded && (r = pt_z2m_avail_decode(p, len, &online)) != PT_OK)
				goto refuse;
			decoded = true;
			if (online == d->offline)
				hlog(online ? HLOG_INFO : HLOG_WARN,
				     "event=z2m_availability device=%s name=\"%s\" state=%s", dev_what[i],
				     d->name, online ? "online" : "offline");
			d->offline = !online;
			if (i == DEV_LOCK && !online)
				fail_pending(z, "lock-offline");
		} else if (strcmp(msg->topic, d->topic) == 0) {
			if (!decoded && (r = pt_z2m_report_decode(p, len, &rep)) != PT_OK)
				goto refuse;
			decoded = true;
			if (i == DEV_LOCK)
				on_lock_report(z, &rep, msg->retain);
			else if (i == DEV_DOOR)
				on_door_report(z, &rep, msg->retain);
			else if (rep.occupancy == PT_Z2M_TRUE && !msg->retain) {
				hlog(HLOG_INFO, "event=z2m_report device=%s occupancy=true", dev_what[i]);
				z->sink.motion(z->sink.arg, i == DEV_MOT_ENTRY ? PT_DOOR_ZONE_ENTRY
									       : PT_DOOR_ZONE_INTERIOR);
			}
		}
	}
	if (decoded)
		poke_if_ready(z);
	return;	/* else a topic we do not read */
refuse:
	/* The topic is ours (configuration), the payload a stranger's: its
	 * size and the reason only. */
	hlog(HLOG_WARN, "event=z2m_message topic=\"%.160s\" result=refuse reason=%s bytes=%zu",
	     msg->topic, pt_err_code(r), len);
}

/* ---- the connection ---- */

static void
schedule(struct z2m *z, uint64_t now)
{
	if (z->conn != ZC_CONNECTED)
		z->conn_failed++;	/* never connected: the next try, the next family */
	z->conn = ZC_WAITING;
	z->subscribed = false;
	z->bridge_online = false;
	fail_pending(z, "broker-disconnected");
	poke_if_ready(z);
	z->next_try_ms = now + z->backoff_ms;
	z->backoff_ms = z->backoff_ms >= RECONNECT_MAX_MS / 2 ? RECONNECT_MAX_MS : z->backoff_ms * 2;
}

static void
on_connect(struct mosquitto *m, void *arg, int rc)
{
	struct z2m *z = arg;
	int i, mid = 0;

	if (rc != 0) {
		hlog(HLOG_ERR, "event=z2m state=refused reason=\"%s\"", mosquitto_connack_string(rc));
		return;	/* the broker closes; on_disconnect schedules */
	}
	z->conn = ZC_CONNECTED;
	z->backoff_ms = RECONNECT_FIRST_MS;
	z->subscribed = false;
	(void)mosquitto_subscribe(m, &mid, z->bridge_topic, 1);
	for (i = 0; i < DEV_N; i++) {
		if (!z->dev[i].used)
			continue;
		(void)mosquitto_subscribe(m, &mid, z->dev[i].avail_topic, 1);
		(void)mosquitto_subscribe(m, &mid, z->dev[i].topic, 1);
	}
	z->last_sub_mid = mid;
	hlog(HLOG_INFO, "event=z2m state=connected broker=%s:%u tls=%s via=%s", z->host, z->port,
	     z->tls ? "yes" : "no", z->via != NULL ? z->via : "any");
}

static void
on_subscribe(struct mosquitto *m, void *arg, int mid, int qos_count, const int *granted)
{
	struct z2m *z = arg;
	char get[32];
	size_t len;
	int i;

	for (i = 0; i < qos_count; i++)
		if (granted[i] > 2)
			hlog(HLOG_ERR, "event=z2m_subscribe result=refused note=\"the broker's ACL"
				       " refuses a Zigbee2MQTT topic\"");
	if (mid != z->last_sub_mid || z->subscribed)
		return;
	/* The retained messages of every topic are in by now. */
	z->subscribed = true;
	if (z->dev[DEV_LOCK].used) {
		z->dev[DEV_LOCK].fresh = false;
		z->refresh_until_ms = hub_mono_ms() + z->refresh_ms;
		if (pt_z2m_get_encode(get, sizeof(get), &len) == PT_OK)
			(void)mosquitto_publish(m, NULL, z->get_topic, (int)len, get, 1, false);
	}
	poke_if_ready(z);
}

static void
on_disconnect(struct mosquitto *m, void *arg, int rc)
{
	struct z2m *z = arg;

	(void)m;
	if (z->closing)
		return;
	hlog(HLOG_WARN, "event=z2m state=%s reason=\"%s\"",
	     z->conn == ZC_CONNECTED ? "disconnected" : "connect-failed", mosquitto_strerror(rc));
	schedule(z, hub_mono_ms());
}

static void
on_log(struct mosquitto *m, void *arg, int level, const char *msg)
{
	(void)m;
	(void)arg;
	(void)level;
	hlog(HLOG_DEBUG, "event=mosquitto client=z2m msg=\"%s\"", msg);
}

static void
start_connect(struct z2m *z, uint64_t now)
{
	/* After an attempt that failed, one address family at a time
	 * (porter/net.h: a name whose first address does not answer). */
	const char *bind = pt_net_bind_for(z->host, z->conn_failed);
	int rc = mosquitto_connect_bind_async(z->m, z->host, (int)z->port, z->keepalive, bind);

	if (rc != MOSQ_ERR_SUCCESS) {
		hlog(HLOG_WARN, "event=z2m state=connect-failed broker=%s:%u via=%s error=\"%s\"",
		     z->host, z->port, bind != NULL ? bind : "any",
		     rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		schedule(z, now);
		return;
	}
	z->conn = ZC_CONNECTING;
	z->misc_ms = now + MISC_EVERY_MS;
	z->via = bind;
	z->connect_by_ms = pt_net_connect_by(now);
}

/* ---- the driver interface ---- */

static void
on_socket(void *arg, short revents)
{
	struct z2m *z = arg;
	int rc = MOSQ_ERR_SUCCESS, e;

	/* The TCP connect itself failed (porter/net.h): the next attempt now. */
	if (z->conn == ZC_CONNECTING && (revents & (POLLERR | POLLHUP)) &&
	    (e = pt_net_connect_error(mosquitto_socket(z->m))) != 0) {
		hlog(HLOG_WARN, "event=z2m state=connect-failed broker=%s:%u via=%s error=\"%s\"",
		     z->host, z->port, z->via != NULL ? z->via : "any", strerror(e));
		schedule(z, hub_mono_ms());
		return;
	}
	if (revents & (POLLIN | POLLERR | POLLHUP))
		rc = mosquitto_loop_read(z->m, 1);
	if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(z->m) >= 0 &&
	    ((revents & POLLOUT) || mosquitto_want_write(z->m)))
		rc = mosquitto_loop_write(z->m, 1);
	if (rc != MOSQ_ERR_SUCCESS && z->conn != ZC_WAITING && mosquitto_socket(z->m) < 0) {
		hlog(HLOG_WARN, "event=z2m state=connect-failed broker=%s:%u error=\"%s\"", z->host,
		     z->port, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		schedule(z, hub_mono_ms());
	}
}

static void
z2m_poll(void *drv, struct hub_poll *p)
{
	struct z2m *z = drv;
	int fd;

	if (z->conn == ZC_WAITING || (fd = mosquitto_socket(z->m)) < 0)
		return;
	hub_poll_add(p, fd, (short)(POLLIN | (mosquitto_want_write(z->m) ? POLLOUT : 0)), on_socket,
		     z);
}

static uint64_t
z2m_deadline(void *drv)
{
	struct z2m *z = drv;
	uint64_t d;

	if (z->conn == ZC_WAITING)
		return z->next_try_ms;
	d = z->misc_ms;
	if (z->conn == ZC_CONNECTING && z->connect_by_ms < d)
		d = z->connect_by_ms;
	if (z->pending != 0 && z->pending_due_ms < d)
		d = z->pending_due_ms;
	if (!z->was_ready && z->subscribed && z->refresh_until_ms < d &&
	    z->refresh_until_ms > hub_mono_ms())
		d = z->refresh_until_ms;
	return d;
}

static void
z2m_tick(void *drv, uint64_t now)
{
	struct z2m *z = drv;

	if (z->conn == ZC_WAITING) {
		if (now >= z->next_try_ms)
			start_connect(z, now);
		return;
	}
	/* An address that never answers refuses nothing (porter/net.h):
	 * the next attempt, the next family. */
	if (z->conn == ZC_CONNECTING && pt_net_connect_is_late(z->connect_by_ms, now)) {
		pt_net_connect_abandon(mosquitto_socket(z->m));
		hlog(HLOG_WARN, "event=z2m state=connect-failed broker=%s:%u via=%s"
				" error=\"timed out\" wait_ms=%u",
		     z->host, z->port, z->via != NULL ? z->via : "any", PT_NET_CONNECT_WAIT_MS);
		schedule(z, now);
		return;
	}
	if (now >= z->misc_ms) {
		z->misc_ms = now + MISC_EVERY_MS;
		(void)mosquitto_loop_misc(z->m);	/* pings; a dead broker: on_disconnect */
		if (z->conn == ZC_WAITING)
			return;
		if (mosquitto_socket(z->m) < 0) {
			schedule(z, now);
			return;
		}
	}
	if (z->pending != 0 && now >= z->pending_due_ms)
		fail_pending(z, "no-report-in-time");
	if (!z->was_ready)
		poke_if_ready(z);	/* the refresh window may have ended */
}

static bool
z2m_ready(void *drv, bool *door_open, bool *bolt_locked)
{
	struct z2m *z = drv;

	*door_open = z->dev[DEV_DOOR].value;
	*bolt_locked = z->dev[DEV_LOCK].value;
	return is_ready(z, hub_mono_ms());
}

static int
command(struct z2m *z, uint8_t act, uint64_t now)
{
	char set[32];
	size_t len;
	int rc;

	if (!(z->roles & HUB_ROLE_LOCK))
		return PT_EINVAL;
	if (z->conn != ZC_CONNECTED || !z->bridge_online || z->dev[DEV_LOCK].offline) {
		hlog(HLOG_WARN, "event=z2m_lock result=refused command=%s why=%s",
		     pt_door_action_name(act),
		     z->conn != ZC_CONNECTED ? "broker-disconnected"
		     : !z->bridge_online     ? "bridge-offline"
					     : "lock-offline");
		return PT_EIO;
	}
	if (pt_z2m_set_encode(act == PT_DOOR_ACT_LOCK, set, sizeof(set), &len) != PT_OK)
		return PT_EINVAL;
	rc = mosquitto_publish(z->m, NULL, z->set_topic, (int)len, set, 1, false);
	if (rc != MOSQ_ERR_SUCCESS) {
		hlog(HLOG_WARN, "event=z2m_lock result=failed command=%s error=\"%s\"",
		     pt_door_action_name(act), mosquitto_strerror(rc));
		return PT_EIO;
	}
	z->pending = act;
	z->pending_due_ms = now + z->cmd_timeout_ms;
	hlog(HLOG_INFO, "event=z2m_lock result=sent command=%s topic=\"%s\"", pt_door_action_name(act),
	     z->set_topic);
	return PT_OK;
}

static int
z2m_lock(void *drv, uint64_t now_ms)
{
	return command(drv, PT_DOOR_ACT_LOCK, now_ms);
}

static int
z2m_unlock(void *drv, uint64_t now_ms)
{
	return command(drv, PT_DOOR_ACT_UNLOCK, now_ms);
}

static void
z2m_close(void *drv)
{
	struct z2m *z = drv;

	if (z == NULL)
		return;
	z->closing = true;
	if (z->m != NULL) {
		if (z->conn == ZC_CONNECTED) {
			(void)mosquitto_disconnect(z->m);
			if (mosquitto_socket(z->m) >= 0)
				(void)mosquitto_loop_write(z->m, 1);
		}
		mosquitto_destroy(z->m);
		mosquitto_lib_cleanup();
	}
	free(z);
}

static bool
is_numeric(const char *host)
{
	uint8_t a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

static int
dev_setup(struct z2m *z, int i, const char *name, const char *base, struct pt_errbuf *err)
{
	struct dev *d = &z->dev[i];
	size_t len;

	if (!pt_z2m_name_is_valid(name, strlen(name))) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "zigbee2mqtt.%s: '%.60s' is not usable (printable; no + # or //;"
			       " not bridge/...; not ending in /set /get /availability)",
			       i == DEV_MOT_ENTRY ? "motion_entry" : i == DEV_MOT_INTERIOR ? "motion_interior"
												     : dev_what[i],
			       name);
		return -1;
	}
	d->used = true;
	memcpy(d->name, name, strlen(name) + 1);
	if (pt_z2m_topic_build(base, name, "", d->topic, sizeof(d->topic), &len) != PT_OK ||
	    pt_z2m_topic_build(base, name, "/availability", d->avail_topic, sizeof(d->avail_topic),
			       &len) != PT_OK) {
		(void)snprintf(err->msg, sizeof(err->msg), "zigbee2mqtt: '%.100s' cannot name a topic",
			       name);
		return -1;
	}
	return 0;
}

static int
z2m_open(const struct hub_config *cfg, unsigned roles, const struct hub_drv_sink *sink, void **drv,
	 struct pt_errbuf *err)
{
	char password[PASSWORD_MAX];
	struct z2m *z;
	size_t len;
	int rc;

	*drv = NULL;
	if ((z = calloc(1, sizeof(*z))) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	z->sink = *sink;
	z->roles = roles;
	if (!pt_z2m_base_is_valid(cfg->z2m_base, strlen(cfg->z2m_base))) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "zigbee2mqtt.base_topic: '%.100s' is not a topic porter can use",
			       cfg->z2m_base);
		goto fail;
	}
	if ((roles & HUB_ROLE_LOCK) && cfg->z2m_lock[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "drivers.lock = zigbee2mqtt needs zigbee2mqtt.lock (the lock's friendly"
			       " name)");
		goto fail;
	}
	if ((roles & HUB_ROLE_DOOR) && cfg->z2m_door[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "drivers.door = zigbee2mqtt needs zigbee2mqtt.door (the contact sensor's"
			       " friendly name)");
		goto fail;
	}
	if ((roles & HUB_ROLE_MOTION) && cfg->z2m_motion_entry[0] == '\0' &&
	    cfg->z2m_motion_interior[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "drivers.motion = zigbee2mqtt needs zigbee2mqtt.motion_entry or"
			       " motion_interior");
		goto fail;
	}
	if (((roles & HUB_ROLE_LOCK) && dev_setup(z, DEV_LOCK, cfg->z2m_lock, cfg->z2m_base, err) != 0) ||
	    ((roles & HUB_ROLE_DOOR) && dev_setup(z, DEV_DOOR, cfg->z2m_door, cfg->z2m_base, err) != 0) ||
	    ((roles & HUB_ROLE_MOTION) && cfg->z2m_motion_entry[0] != '\0' &&
	     dev_setup(z, DEV_MOT_ENTRY, cfg->z2m_motion_entry, cfg->z2m_base, err) != 0) ||
	    ((roles & HUB_ROLE_MOTION) && cfg->z2m_motion_interior[0] != '\0' &&
	     dev_setup(z, DEV_MOT_INTERIOR, cfg->z2m_motion_interior, cfg->z2m_base, err) != 0))
		goto fail;
	if (pt_z2m_topic_build(cfg->z2m_base, NULL, "", z->bridge_topic, sizeof(z->bridge_topic), &len) !=
		    PT_OK ||
	    ((roles & HUB_ROLE_LOCK) &&
	     (pt_z2m_topic_build(cfg->z2m_base, cfg->z2m_lock, "/set", z->set_topic,
				 sizeof(z->set_topic), &len) != PT_OK ||
	      pt_z2m_topic_build(cfg->z2m_base, cfg->z2m_lock, "/get", z->get_topic,
				 sizeof(z->get_topic), &len) != PT_OK))) {
		(void)snprintf(err->msg, sizeof(err->msg), "zigbee2mqtt: the topics do not fit");
		goto fail;
	}
	if (config_parse_broker(cfg->z2m_broker, z->host, sizeof(z->host), &z->port) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "zigbee2mqtt.broker: '%.100s' is not host:port",
			       cfg->z2m_broker);
		goto fail;
	}
	/* libmosquitto resolves a name itself, blocking: only an address (or
	 * localhost, answered from /etc/hosts) keeps the loop free. */
	if (!is_numeric(z->host) && strcmp(z->host, "localhost") != 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "zigbee2mqtt.broker: give an address ('%.64s' would be looked up"
			       " inside the hub's loop)",
			       z->host);
		goto fail;
	}
	if ((cfg->z2m_tls_cert[0] == '\0') != (cfg->z2m_tls_key[0] == '\0') ||
	    (cfg->z2m_tls_cert[0] != '\0' && cfg->z2m_tls_ca[0] == '\0')) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "zigbee2mqtt.tls_cert and tls_key go together, and need tls_ca");
		goto fail;
	}
	z->tls = cfg->z2m_tls_ca[0] != '\0';
	z->keepalive = (int)cfg->z2m_keepalive;
	z->refresh_ms = cfg->door.lock_timeout_ms;
	z->cmd_timeout_ms = cfg->door.lock_timeout_ms - cfg->door.lock_timeout_ms / 10u;
	if (z->cmd_timeout_ms == 0)
		z->cmd_timeout_ms = 1;

	mosquitto_lib_init();
	if ((z->m = mosquitto_new(NULL, true, z)) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "zigbee2mqtt: cannot make a client: %s",
			       strerror(errno));
		mosquitto_lib_cleanup();
		goto fail;
	}
	(void)mosquitto_int_option(z->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	password[0] = '\0';
	if (cfg->z2m_password_file[0] != '\0' &&
	    read_password(cfg->z2m_password_file, password, sizeof(password), err) != 0)
		goto fail;
	rc = MOSQ_ERR_SUCCESS;
	if (cfg->z2m_username[0] != '\0')
		rc = mosquitto_username_pw_set(z->m, cfg->z2m_username,
					       password[0] ? password : NULL);
	pt_wipe(password, sizeof(password));
	if (rc != MOSQ_ERR_SUCCESS) {
		(void)snprintf(err->msg, sizeof(err->msg), "zigbee2mqtt: cannot set the credentials: %s",
			       mosquitto_strerror(rc));
		goto fail;
	}
	if (z->tls) {
		rc = mosquitto_tls_set(z->m, cfg->z2m_tls_ca, NULL,
				       cfg->z2m_tls_cert[0] ? cfg->z2m_tls_cert : NULL,
				       cfg->z2m_tls_key[0] ? cfg->z2m_tls_key : NULL, NULL);
		if (rc == MOSQ_ERR_SUCCESS)
			rc = mosquitto_tls_opts_set(z->m, 1, "tlsv1.2", NULL);
		if (rc != MOSQ_ERR_SUCCESS) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "zigbee2mqtt: TLS: %s (are tls_ca, tls_cert and tls_key readable"
				       " PEM files?)",
				       mosquitto_strerror(rc));
			goto fail;
		}
	}
	mosquitto_connect_callback_set(z->m, on_connect);
	mosquitto_disconnect_callback_set(z->m, on_disconnect);
	mosquitto_message_callback_set(z->m, on_message);
	mosquitto_subscribe_callback_set(z->m, on_subscribe);
	mosquitto_log_callback_set(z->m, on_log);
	z->conn = ZC_WAITING;
	z->backoff_ms = RECONNECT_FIRST_MS;
	z->next_try_ms = 0;
	hlog(HLOG_INFO, "event=z2m state=starting broker=%s:%u tls=%s base=\"%s\" lock=\"%s\""
			" door=\"%s\"",
	     z->host, z->port, z->tls ? "yes" : "no", cfg->z2m_base, z->dev[DEV_LOCK].name,
	     z->dev[DEV_DOOR].name);
	*drv = z;
	return 0;
fail:
	z2m_close(z);
	return -1;
}

const struct hub_drv_ops hub_drv_z2m = {
	.name = "zigbee2mqtt",
	.open = z2m_open,
	.close = z2m_close,
	.ready = z2m_ready,
	.lock = z2m_lock,
	.unlock = z2m_unlock,
	.poll = z2m_poll,
	.deadline = z2m_deadline,
	.tick = z2m_tick,
};
