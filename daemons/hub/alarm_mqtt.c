/*
 * daemons/hub/alarm_mqtt.c: the "mqtt" alarm panel driver: an alarm panel
 * that speaks Home Assistant's MQTT alarm control panel conventions, or
 * Alarmo's MQTT interface (docs/alarm-panels.md; the payloads are
 * lib/proto/alarm_mqtt.c).
 *
 * Its own libmosquitto connection (the panel's broker is usually Home
 * Assistant's, not porterd's), driven from the hub's poll loop as the
 * uplink is (uplink.c): the socket joins the loop, connecting is
 * non-blocking, a broker given by name is resolved with getaddrinfo_a
 * first, reconnects back off from 1 s to 60 s. Callbacks only set state.
 *
 *   state topic   the panel's words (retained): disarmed, armed_away, ...
 *   command topic what the hub sends, QoS 1, never retained: DISARM,
 *                 ARM_HOME, ARM_AWAY, TRIGGER (Home Assistant), as a plain
 *                 word, or JSON with the code ({"action": ..., "code": ...};
 *                 Alarmo: {"command": ..., "code": ..., "area": ...})
 *   event topic   Alarmo only: FAILED_TO_ARM, INVALID_CODE_PROVIDED, ...
 *                 become failed()
 *   zone topics   door and motion sensors (Zigbee2MQTT JSON or ON / OFF):
 *                 zone(n, faulted)
 *
 * Neither Home Assistant's MQTT alarm panel nor Alarmo can bypass one zone
 * for a while through MQTT (Home Assistant has "armed_custom_bypass", a
 * mode whose zones are set up in advance; Alarmo bypasses open sensors
 * only when arming with force): can_bypass() is false, bypass() refuses,
 * and the hub follows the home's policy.
 */
#define _GNU_SOURCE /* getaddrinfo_a */
#include <ctype.h>
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

#include "porter/alarm_mqtt.h"
#include "porter/crypto.h"
#include "porter/net.h"
#include "hub.h"

#define RECONNECT_FIRST_MS 1000u
#define RECONNECT_MAX_MS 60000u
#define MISC_EVERY_MS 1000u
#define RESOLVE_POLL_MS 100u
#define COMMAND_WAIT_MS 10000u	/* a command's new state (or an event) within this */
#define SECRET_CAP 256u

enum conn { M_WAITING = 0, M_RESOLVING, M_CONNECTING, M_CONNECTED };

struct amq {
	struct hub_alarm_sink sink;
	struct mosquitto *m;
	char host[HUB_BROKER_MAX];
	char port_text[8];
	unsigned port;
	bool tls;
	int keepalive;
	bool alarmo;
	char command_topic[PT_AMQ_TOPIC_MAX + 1];
	char state_topic[PT_AMQ_TOPIC_MAX + 1];
	char event_topic[PT_AMQ_TOPIC_MAX + 1];
	char code_file[PATH_MAX];
	char area[PT_AMQ_AREA_MAX + 1];
	struct pt_amq_zone zones[PT_AMQ_ZONES];
	size_t n_zones;

	enum conn conn;
	bool closing;
	uint64_t next_try_ms;
	uint32_t backoff_ms;
	unsigned conn_failed;		/* attempts that never connected (pt_net_bind_for) */
	const char *via;		/* its answer for the current attempt (static) */
	uint64_t connect_by_ms;		/* the attempt's deadline (pt_net_connect_by) */
	uint64_t misc_ms;
	struct gaicb gai;
	struct gaicb *gai_list[1];
	struct addrinfo hints;
	bool gai_busy;

	int state;		/* enum hub_alarm_state, as reported */
	bool reported;		/* the state topic has spoken since connect */
	bool lost;		/* disconnected: report unknown at the next tick */
	int cmd;		/* the command waiting for its outcome, -1: none */
	uint64_t cmd_deadline_ms;
};

/* ---- secrets ---- */

static int
read_secret(const char *what, const char *path, char *out, size_t cap, size_t *len,
	    struct pt_errbuf *err)
{
	char key[64];

	(void)snprintf(key, sizeof(key), "alarm.%s", what);
	if (pt_secret_line(key, path, out, cap, len, err) != 0)
		return -1;
	if (*len == 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "%s: '%.100s': nothing in it", key, path);
		return -1;
	}
	return 0;
}

static int
read_code(const char *path, char *out, size_t cap, size_t *len, struct pt_errbuf *err)
{
	size_t i;

	if (read_secret("mqtt_code_file", path, out, cap, len, err) != 0)
		return -1;
	for (i = 0; i < *len; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			break;
	if (*len > PT_AMQ_CODE_MAX || i < *len) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.mqtt_code_file: '%.100s': the code is 1..%d printable characters",
			       path, PT_AMQ_CODE_MAX);
		pt_wipe(out, cap);
		return -1;
	}
	return 0;
}

/* ---- what the panel says ---- */

static int
hub_state_of(int s, int prev)
{
	switch (s) {
	case PT_AMQ_DISARMED: return HUB_ALARM_DISARMED;
	case PT_AMQ_ARMED_HOME:
	case PT_AMQ_ARMED_NIGHT:
	case PT_AMQ_ARMED_CUSTOM_BYPASS: return HUB_ALARM_ARMED_HOME;	/* partly armed */
	case PT_AMQ_ARMED_AWAY:
	case PT_AMQ_ARMED_VACATION: return HUB_ALARM_ARMED_AWAY;
	case PT_AMQ_PENDING: return HUB_ALARM_PENDING;
	case PT_AMQ_ARMING: return HUB_ALARM_ARMING;
	case PT_AMQ_TRIGGERED: return HUB_ALARM_TRIGGERED;
	case PT_AMQ_DISARMING: return prev;	/* not there yet */
	default: return HUB_ALARM_UNKNOWN;
	}
}

/* Does the state answer the command in flight? */
static bool
answers(int cmd, int state)
{
	switch (cmd) {
	case PT_AMQ_DISARM: return state == HUB_ALARM_DISARMED;
	case PT_AMQ_ARM_HOME: return state == HUB_ALARM_ARMED_HOME || state == HUB_ALARM_ARMING;
	case PT_AMQ_ARM_AWAY: return state == HUB_ALARM_ARMED_AWAY || state == HUB_ALARM_ARMING;
	case PT_AMQ_TRIGGER: return state == HUB_ALARM_TRIGGERED;
	default: return false;
	}
}

static void
on_state(struct amq *a, const uint8_t *p, size_t len)
{
	int s, r, hs;

	if ((r = pt_amq_state_decode(p, len, &s)) != PT_OK) {
		hlog(HLOG_WARN, "event=alarm_mqtt topic=state result=refuse reason=%s bytes=%zu",
		     pt_err_code(r), len);
		return;
	}
	hs = hub_state_of(s, a->state);
	if (a->cmd >= 0 && answers(a->cmd, hs))
		a->cmd = -1;
	if (hs == a->state && a->reported)
		return;
	a->reported = hs != HUB_ALARM_UNKNOWN;
	a->state = hs;
	a->sink.state(a->sink.arg, hs);
}

static void
on_event(struct amq *a, const uint8_t *p, size_t len)
{
	struct pt_amq_event ev;
	char w[96];
	int r;

	if ((r = pt_amq_event_decode(p, len, &ev)) != PT_OK) {
		hlog(HLOG_WARN, "event=alarm_mqtt topic=event result=refuse reason=%s bytes=%zu",
		     pt_err_code(r), len);
		return;
	}
	switch (ev.kind) {
	case PT_AMQ_EV_FAILED_TO_ARM:
		(void)snprintf(w, sizeof(w), "the panel failed to arm: %zu sensor(s) open", ev.sensors);
		break;
	case PT_AMQ_EV_COMMAND_NOT_ALLOWED:
		(void)snprintf(w, sizeof(w), "the panel does not allow that command now");
		break;
	case PT_AMQ_EV_INVALID_CODE:
		(void)snprintf(w, sizeof(w), "the panel says the code is wrong");
		break;
	case PT_AMQ_EV_NO_CODE:
		(void)snprintf(w, sizeof(w), "the panel wants a code (alarm.mqtt_code_file)");
		break;
	default: {
		/* The broker's word, in a log of key=value fields: only what
		 * cannot start another field goes in as it is. */
		char nm[sizeof(ev.name)];
		size_t i;

		for (i = 0; ev.name[i] != '\0' && i + 1 < sizeof(nm); i++)
			nm[i] = isalnum((unsigned char)ev.name[i]) || ev.name[i] == '_' ||
					ev.name[i] == '-' || ev.name[i] == '.'
				? ev.name[i]
				: '?';
		nm[i] = '\0';
		hlog(HLOG_DEBUG, "event=alarm_mqtt topic=event name=%s", nm);
		return;
	}
	}
	a->cmd = -1;
	a->sink.failed(a->sink.arg, w);
}

static void
on_zone(struct amq *a, unsigned zone, const uint8_t *p, size_t len)
{
	bool known, faulted;
	int r;

	if ((r = pt_amq_sensor_decode(p, len, &known, &faulted)) != PT_OK) {
		hlog(HLOG_WARN, "event=alarm_mqtt topic=zone zone=%u result=refuse reason=%s bytes=%zu",
		     zone, pt_err_code(r), len);
		return;
	}
	if (known)
		a->sink.zone(a->sink.arg, zone, faulted);
}

static void
on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	struct amq *a = arg;
	const uint8_t *p = msg->payload;
	size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0, i;

	(void)m;
	if (a->closing || msg->topic == NULL)
		return;
	if (strcmp(msg->topic, a->state_topic) == 0) {
		on_state(a, p, len);
		return;
	}
	if (a->event_topic[0] != '\0' && strcmp(msg->topic, a->event_topic) == 0) {
		on_event(a, p, len);
		return;
	}
	for (i = 0; i < a->n_zones; i++)
		if (strcmp(msg->topic, a->zones[i].topic) == 0)
			on_zone(a, a->zones[i].zone, p, len);
}

/* ---- the connection (as uplink.c) ---- */

static void
schedule(struct amq *a, uint64_t now)
{
	uint8_t b[2];

	pt_random(b, sizeof(b));
	if (a->conn != M_CONNECTED)
		a->conn_failed++;	/* never connected: the next try, the next family */
	a->conn = M_WAITING;
	a->next_try_ms = now + a->backoff_ms + ((uint32_t)b[0] << 8 | b[1]) % (a->backoff_ms / 4u + 1u);
	a->backoff_ms = a->backoff_ms >= RECONNECT_MAX_MS / 2 ? RECONNECT_MAX_MS : a->backoff_ms * 2;
	if (a->reported || a->state != HUB_ALARM_UNKNOWN)
		a->lost = true;	/* tick() tells the hub: not from inside libmosquitto */
}

static void
on_connect(struct mosquitto *m, void *arg, int rc)
{
	struct amq *a = arg;
	size_t i;

	if (rc != 0) {
		hlog(HLOG_ERR, "event=alarm_mqtt state=refused reason=\"%s\"",
		     mosquitto_connack_string(rc));
		return;
	}
	a->conn = M_CONNECTED;
	a->backoff_ms = RECONNECT_FIRST_MS;
	(void)mosquitto_subscribe(m, NULL, a->state_topic, 1);
	if (a->event_topic[0] != '\0')
		(void)mosquitto_subscribe(m, NULL, a->event_topic, 1);
	for (i = 0; i < a->n_zones; i++)
		(void)mosquitto_subscribe(m, NULL, a->zones[i].topic, 1);
	hlog(HLOG_INFO, "event=alarm_mqtt state=connected broker=%s:%u tls=%s via=%s", a->host,
	     a->port, a->tls ? "yes" : "no", a->via != NULL ? a->via : "any");
}

static void
on_disconnect(struct mosquitto *m, void *arg, int rc)
{
	struct amq *a = arg;

	(void)m;
	if (a->closing)
		return;
	hlog(HLOG_WARN, "event=alarm_mqtt state=%s reason=\"%s\"",
	     a->conn == M_CONNECTED ? "disconnected" : "connect-failed", mosquitto_strerror(rc));
	schedule(a, hub_mono_ms());
}

static void
on_log(struct mosquitto *m, void *arg, int level, const char *msg)
{
	(void)m;
	(void)arg;
	(void)level;
	hlog(HLOG_DEBUG, "event=mosquitto client=alarm msg=\"%s\"", msg);
}

static void
connect_to(struct amq *a, uint64_t now)
{
	/* After an attempt that failed, one address family at a time
	 * (porter/net.h: a name whose first address does not answer). */
	const char *bind = pt_net_bind_for(a->host, a->conn_failed);
	int rc = mosquitto_connect_bind_async(a->m, a->host, (int)a->port, a->keepalive, bind);

	if (rc != MOSQ_ERR_SUCCESS) {
		hlog(HLOG_WARN, "event=alarm_mqtt state=connect-failed broker=%s:%u via=%s error=\"%s\"",
		     a->host, a->port, bind != NULL ? bind : "any",
		     rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		schedule(a, now);
		return;
	}
	a->conn = M_CONNECTING;
	a->misc_ms = now + MISC_EVERY_MS;
	a->via = bind;
	a->connect_by_ms = pt_net_connect_by(now);
}

static void
start_connect(struct amq *a, uint64_t now)
{
	uint8_t buf[16];
	int r;

	if (inet_pton(AF_INET, a->host, buf) == 1 || inet_pton(AF_INET6, a->host, buf) == 1) {
		connect_to(a, now);
		return;
	}
	memset(&a->gai, 0, sizeof(a->gai));
	memset(&a->hints, 0, sizeof(a->hints));
	a->hints.ai_socktype = SOCK_STREAM;
	a->gai.ar_name = a->host;
	a->gai.ar_service = a->port_text;
	a->gai.ar_request = &a->hints;
	a->gai_list[0] = &a->gai;
	if ((r = getaddrinfo_a(GAI_NOWAIT, a->gai_list, 1, NULL)) != 0) {
		hlog(HLOG_WARN, "event=alarm_mqtt state=resolve-failed host=%s error=\"%s\"", a->host,
		     gai_strerror(r));
		schedule(a, now);
		return;
	}
	a->gai_busy = true;
	a->conn = M_RESOLVING;
}

static void
check_resolve(struct amq *a, uint64_t now)
{
	int r = gai_error(&a->gai);

	if (r == EAI_INPROGRESS)
		return;
	a->gai_busy = false;
	if (a->gai.ar_result != NULL)
		freeaddrinfo(a->gai.ar_result);
	a->gai.ar_result = NULL;
	if (r != 0) {
		hlog(HLOG_WARN, "event=alarm_mqtt state=resolve-failed host=%s error=\"%s\"", a->host,
		     gai_strerror(r));
		schedule(a, now);
		return;
	}
	connect_to(a, now);	/* the resolver answers: libmosquitto's lookup will too */
}

static void
on_socket(void *arg, short revents)
{
	struct amq *a = arg;
	int rc = MOSQ_ERR_SUCCESS, e;

	/* The TCP connect itself failed (porter/net.h): the next attempt now. */
	if (a->conn == M_CONNECTING && (revents & (POLLERR | POLLHUP)) &&
	    (e = pt_net_connect_error(mosquitto_socket(a->m))) != 0) {
		hlog(HLOG_WARN, "event=alarm_mqtt state=connect-failed broker=%s:%u via=%s error=\"%s\"",
		     a->host, a->port, a->via != NULL ? a->via : "any", strerror(e));
		schedule(a, hub_mono_ms());
		return;
	}
	if (revents & (POLLIN | POLLERR | POLLHUP))
		rc = mosquitto_loop_read(a->m, 1);
	if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(a->m) >= 0 &&
	    ((revents & POLLOUT) || mosquitto_want_write(a->m)))
		rc = mosquitto_loop_write(a->m, 1);
	if (rc != MOSQ_ERR_SUCCESS && !a->closing && a->conn != M_WAITING &&
	    mosquitto_socket(a->m) < 0) {
		hlog(HLOG_WARN, "event=alarm_mqtt state=connect-failed broker=%s:%u error=\"%s\"",
		     a->host, a->port, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		schedule(a, hub_mono_ms());
	}
}

/* ---- the ops ---- */

static void
amq_poll(void *drv, struct hub_poll *p)
{
	struct amq *a = drv;
	int fd;

	if (a->conn != M_CONNECTING && a->conn != M_CONNECTED)
		return;
	if ((fd = mosquitto_socket(a->m)) < 0)
		return;
	hub_poll_add(p, fd, (short)(POLLIN | (mosquitto_want_write(a->m) ? POLLOUT : 0)), on_socket, a);
}

static uint64_t
amq_deadline(void *drv)
{
	struct amq *a = drv;
	uint64_t d = UINT64_MAX;

	if (a->lost)
		return 0;
	switch (a->conn) {
	case M_WAITING:
		d = a->next_try_ms;
		break;
	case M_RESOLVING:
		d = hub_mono_ms() + RESOLVE_POLL_MS;
		break;
	case M_CONNECTING:
		d = a->misc_ms < a->connect_by_ms ? a->misc_ms : a->connect_by_ms;
		break;
	case M_CONNECTED:
		d = a->misc_ms;
		break;
	}
	if (a->cmd >= 0 && a->cmd_deadline_ms < d)
		d = a->cmd_deadline_ms;
	return d;
}

static void
amq_tick(void *drv, uint64_t now)
{
	struct amq *a = drv;

	if (a->lost) {
		a->lost = false;
		a->reported = false;
		if (a->cmd >= 0) {
			a->cmd = -1;
			a->sink.failed(a->sink.arg, "the panel's broker connection closed");
		}
		if (a->state != HUB_ALARM_UNKNOWN) {
			a->state = HUB_ALARM_UNKNOWN;
			a->sink.state(a->sink.arg, HUB_ALARM_UNKNOWN);
		}
	}
	if (a->cmd >= 0 && now >= a->cmd_deadline_ms) {
		a->cmd = -1;
		a->sink.failed(a->sink.arg, "the panel's state did not follow the command");
	}
	switch (a->conn) {
	case M_WAITING:
		if (now >= a->next_try_ms)
			start_connect(a, now);
		return;
	case M_RESOLVING:
		check_resolve(a, now);
		return;
	case M_CONNECTING:
		/* An address that never answers refuses nothing (porter/net.h):
		 * the next attempt, the next family. */
		if (pt_net_connect_is_late(a->connect_by_ms, now)) {
			pt_net_connect_abandon(mosquitto_socket(a->m));
			hlog(HLOG_WARN, "event=alarm_mqtt state=connect-failed broker=%s:%u via=%s"
					" error=\"timed out\" wait_ms=%u",
			     a->host, a->port, a->via != NULL ? a->via : "any", PT_NET_CONNECT_WAIT_MS);
			schedule(a, now);
			return;
		}
		break;
	case M_CONNECTED:
		break;
	}
	if (now >= a->misc_ms) {
		a->misc_ms = now + MISC_EVERY_MS;
		(void)mosquitto_loop_misc(a->m);
		if (a->conn == M_WAITING)
			return;
	}
	if (mosquitto_socket(a->m) < 0)
		schedule(a, now);
}

static bool
amq_ready(void *drv)
{
	struct amq *a = drv;

	return a->conn == M_CONNECTED && a->reported;
}

static bool
amq_can_bypass(void *drv)
{
	(void)drv;
	return false;	/* neither protocol can bypass one zone: see the top */
}

static int
amq_bypass(void *drv, unsigned zone, bool on, uint64_t now)
{
	(void)drv;
	(void)zone;
	(void)on;
	(void)now;
	return PT_EUNSUPPORTED;
}

static int
send_command(struct amq *a, int cmd, uint64_t now)
{
	uint8_t out[PT_AMQ_COMMAND_MAX];
	char code[SECRET_CAP];
	struct pt_errbuf err;
	size_t code_len = 0, len;
	int format, r, rc;

	if (a->conn != M_CONNECTED)
		return PT_EIO;
	if (a->code_file[0] != '\0' &&
	    read_code(a->code_file, code, sizeof(code), &code_len, &err) != 0) {
		hlog(HLOG_ERR, "event=alarm_mqtt error=\"%s\"", err.msg);
		return PT_EIO;
	}
	format = a->alarmo ? PT_AMQ_JSON_ALARMO : code_len > 0 ? PT_AMQ_JSON_HA : PT_AMQ_PLAIN;
	r = pt_amq_command_encode(format, cmd, code, code_len, a->area, strlen(a->area), out,
				  sizeof(out), &len);
	pt_wipe(code, sizeof(code));
	if (r != PT_OK)
		return r;
	rc = mosquitto_publish(a->m, NULL, a->command_topic, (int)len, out, 1, false);
	pt_wipe(out, sizeof(out));
	if (rc != MOSQ_ERR_SUCCESS) {
		hlog(HLOG_WARN, "event=alarm_mqtt command=%d error=\"%s\"", cmd, mosquitto_strerror(rc));
		return PT_EIO;
	}
	a->cmd = cmd;
	a->cmd_deadline_ms = now + COMMAND_WAIT_MS;
	return PT_OK;
}

static int
amq_arm(void *drv, int state, uint64_t now)
{
	if (state != HUB_ALARM_ARMED_HOME && state != HUB_ALARM_ARMED_AWAY)
		return PT_EINVAL;
	return send_command(drv, state == HUB_ALARM_ARMED_AWAY ? PT_AMQ_ARM_AWAY : PT_AMQ_ARM_HOME,
			    now);
}

static int
amq_disarm(void *drv, uint64_t now)
{
	return send_command(drv, PT_AMQ_DISARM, now);
}

static int
amq_trigger(void *drv, uint64_t now)
{
	return send_command(drv, PT_AMQ_TRIGGER, now);	/* Alarmo: PT_EUNSUPPORTED */
}

static void
amq_close(void *drv)
{
	struct amq *a = drv;

	if (a == NULL)
		return;
	a->closing = true;
	if (a->conn == M_CONNECTED) {
		(void)mosquitto_disconnect(a->m);
		if (mosquitto_socket(a->m) >= 0)
			(void)mosquitto_loop_write(a->m, 1);
	}
	if (a->gai_busy && gai_cancel(&a->gai) == EAI_NOTCANCELED) {
		const struct gaicb *list[1] = {&a->gai};
		struct timespec ts = {2, 0};
		(void)gai_suspend(list, 1, &ts);
		if (gai_error(&a->gai) == EAI_INPROGRESS) {
			hlog(HLOG_WARN, "event=alarm_mqtt note=\"resolver busy: not freed\"");
			return;
		}
	}
	if (a->gai_busy && a->gai.ar_result != NULL)
		freeaddrinfo(a->gai.ar_result);
	mosquitto_destroy(a->m);
	mosquitto_lib_cleanup();
	free(a);
}

static int
topic_set(char *dst, size_t cap, const char *configured, const char *fallback, const char *what,
	  struct pt_errbuf *err)
{
	const char *t = configured[0] != '\0' ? configured : fallback;
	int n = snprintf(dst, cap, "%s", t);

	if (n < 0 || (size_t)n >= cap || (t[0] != '\0' && !pt_amq_topic_is_valid(dst, (size_t)n))) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.%s: '%.100s' is not a topic (1..%d printable characters,"
			       " no '+' or '#')", what, t, PT_AMQ_TOPIC_MAX);
		return -1;
	}
	return 0;
}

static int
amq_open(const struct hub_config *cfg, const struct hub_alarm_sink *sink, void **drv,
	 struct pt_errbuf *err)
{
	char secret[SECRET_CAP], why[160], fb_state[PT_AMQ_TOPIC_MAX + 1], fb_event[PT_AMQ_TOPIC_MAX + 1];
	char client_id[32];
	uint8_t rnd[4];
	struct amq *a;
	size_t len;
	int rc;

	*drv = NULL;
	if (cfg->amq_broker[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg), "alarm.mqtt_broker is not set (host:port)");
		return -1;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	a->sink = *sink;
	a->cmd = -1;
	a->state = HUB_ALARM_UNKNOWN;
	if (config_parse_broker(cfg->amq_broker, a->host, sizeof(a->host), &a->port) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "alarm.mqtt_broker: '%.100s' is not host:port",
			       cfg->amq_broker);
		goto fail;
	}
	(void)snprintf(a->port_text, sizeof(a->port_text), "%u", a->port);
	if (strcmp(cfg->amq_flavor, "alarmo") == 0) {
		a->alarmo = true;
	} else if (strcmp(cfg->amq_flavor, "homeassistant") != 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.mqtt_flavor: '%.40s' is neither homeassistant nor alarmo",
			       cfg->amq_flavor);
		goto fail;
	}
	if (!a->alarmo && (cfg->amq_command_topic[0] == '\0' || cfg->amq_state_topic[0] == '\0')) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.mqtt_command_topic and mqtt_state_topic are needed with"
			       " mqtt_flavor = homeassistant");
		goto fail;
	}
	if (!a->alarmo && cfg->amq_area[0] != '\0') {
		(void)snprintf(err->msg, sizeof(err->msg), "alarm.mqtt_area is Alarmo's (mqtt_flavor = alarmo)");
		goto fail;
	}
	if (strlen(cfg->amq_area) > PT_AMQ_AREA_MAX ||
	    (cfg->amq_area[0] != '\0' && !pt_amq_topic_is_valid(cfg->amq_area, strlen(cfg->amq_area))) ||
	    strchr(cfg->amq_area, '/') != NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "alarm.mqtt_area: '%.64s' is not an area slug",
			       cfg->amq_area);
		goto fail;
	}
	memcpy(a->area, cfg->amq_area, strlen(cfg->amq_area) + 1);
	/* Alarmo's topics; with several areas it puts the area's slug before
	 * the last level (alarmo/<area>/state) and takes "area" in commands. */
	if (a->area[0] != '\0') {
		(void)snprintf(fb_state, sizeof(fb_state), "alarmo/%s/state", a->area);
		(void)snprintf(fb_event, sizeof(fb_event), "alarmo/%s/event", a->area);
	} else {
		(void)snprintf(fb_state, sizeof(fb_state), "alarmo/state");
		(void)snprintf(fb_event, sizeof(fb_event), "alarmo/event");
	}
	if (topic_set(a->command_topic, sizeof(a->command_topic), cfg->amq_command_topic,
		      a->alarmo ? "alarmo/command" : "", "mqtt_command_topic", err) != 0 ||
	    topic_set(a->state_topic, sizeof(a->state_topic), cfg->amq_state_topic,
		      a->alarmo ? fb_state : "", "mqtt_state_topic", err) != 0 ||
	    topic_set(a->event_topic, sizeof(a->event_topic), cfg->amq_event_topic,
		      a->alarmo ? fb_event : "", "mqtt_event_topic", err) != 0)
		goto fail;
	if (pt_amq_zones_parse(cfg->amq_zones, a->zones, PT_AMQ_ZONES, &a->n_zones, why,
			       sizeof(why)) != PT_OK) {
		(void)snprintf(err->msg, sizeof(err->msg), "alarm.mqtt_zones: %s", why);
		goto fail;
	}
	/* A prefix keeps the line short (inih reads at most 200 bytes a line). */
	for (size_t i = 0; i < a->n_zones && cfg->amq_zone_prefix[0] != '\0'; i++) {
		char t[PT_AMQ_TOPIC_MAX + 1];
		int n = snprintf(t, sizeof(t), "%s%s", cfg->amq_zone_prefix, a->zones[i].topic);
		if (n < 0 || (size_t)n >= sizeof(t) || !pt_amq_topic_is_valid(t, (size_t)n)) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "alarm.mqtt_zone_prefix: zone %u's topic would not be valid",
				       a->zones[i].zone);
			goto fail;
		}
		memcpy(a->zones[i].topic, t, (size_t)n + 1);
	}
	if ((cfg->amq_tls_cert[0] == '\0') != (cfg->amq_tls_key[0] == '\0') ||
	    (cfg->amq_tls_cert[0] != '\0' && cfg->amq_tls_ca[0] == '\0')) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.mqtt_tls_cert and mqtt_tls_key go together, and need mqtt_tls_ca");
		goto fail;
	}
	if (cfg->amq_code_file[0] != '\0') {
		/* Checked now, read again for each command. */
		if (read_code(cfg->amq_code_file, secret, sizeof(secret), &len, err) != 0)
			goto fail;
		pt_wipe(secret, sizeof(secret));
		memcpy(a->code_file, cfg->amq_code_file, sizeof(a->code_file));
	}
	a->tls = cfg->amq_tls_ca[0] != '\0';
	a->keepalive = (int)cfg->amq_keepalive;

	mosquitto_lib_init();
	pt_random(rnd, sizeof(rnd));
	(void)snprintf(client_id, sizeof(client_id), "porter-alarm-%02x%02x%02x%02x", rnd[0], rnd[1],
		       rnd[2], rnd[3]);
	if ((a->m = mosquitto_new(client_id, true, a)) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "alarm mqtt: cannot make a client: %s",
			       strerror(errno));
		goto fail_lib;
	}
	(void)mosquitto_int_option(a->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	secret[0] = '\0';
	if (cfg->amq_password_file[0] != '\0' &&
	    read_secret("mqtt_password_file", cfg->amq_password_file, secret, sizeof(secret), &len,
			err) != 0)
		goto fail_lib;
	rc = mosquitto_username_pw_set(a->m, cfg->amq_username[0] ? cfg->amq_username : NULL,
				       secret[0] ? secret : NULL);
	pt_wipe(secret, sizeof(secret));
	if (rc != MOSQ_ERR_SUCCESS && (cfg->amq_username[0] != '\0' || cfg->amq_password_file[0] != '\0')) {
		(void)snprintf(err->msg, sizeof(err->msg), "alarm mqtt: cannot set the credentials: %s",
			       mosquitto_strerror(rc));
		goto fail_lib;
	}
	if (a->tls) {
		rc = mosquitto_tls_set(a->m, cfg->amq_tls_ca, NULL,
				       cfg->amq_tls_cert[0] ? cfg->amq_tls_cert : NULL,
				       cfg->amq_tls_key[0] ? cfg->amq_tls_key : NULL, NULL);
		if (rc == MOSQ_ERR_SUCCESS)
			rc = mosquitto_tls_opts_set(a->m, 1, "tlsv1.2", NULL);
		if (rc != MOSQ_ERR_SUCCESS) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "alarm mqtt: TLS: %s (are mqtt_tls_ca, tls_cert and tls_key"
				       " readable PEM files?)",
				       mosquitto_strerror(rc));
			goto fail_lib;
		}
	}
	mosquitto_connect_callback_set(a->m, on_connect);
	mosquitto_disconnect_callback_set(a->m, on_disconnect);
	mosquitto_message_callback_set(a->m, on_message);
	mosquitto_log_callback_set(a->m, on_log);
	a->conn = M_WAITING;
	a->backoff_ms = RECONNECT_FIRST_MS;
	a->next_try_ms = 0;
	*drv = a;
	hlog(HLOG_INFO, "event=alarm_mqtt state=starting broker=%s:%u flavor=%s tls=%s zones=%zu"
			" code=%s",
	     a->host, a->port, a->alarmo ? "alarmo" : "homeassistant", a->tls ? "yes" : "no",
	     a->n_zones, a->code_file[0] ? "yes" : "no");
	return 0;
fail_lib:
	if (a->m != NULL)
		mosquitto_destroy(a->m);
	mosquitto_lib_cleanup();
fail:
	free(a);
	return -1;
}

const struct hub_alarm_ops hub_alarm_mqtt = {
	.name = "mqtt",
	.open = amq_open,
	.close = amq_close,
	.ready = amq_ready,
	.can_bypass = amq_can_bypass,
	.bypass = amq_bypass,
	.arm = amq_arm,
	.disarm = amq_disarm,
	.trigger = amq_trigger,
	.poll = amq_poll,
	.deadline = amq_deadline,
	.tick = amq_tick,
};
