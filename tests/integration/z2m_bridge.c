/*
 * tests/integration/z2m_bridge.c: a stand-in for Zigbee2MQTT with one lock,
 * one door contact sensor and one motion sensor, on a real MQTT broker,
 * speaking Z2M's topics and payloads (docs/drivers.md) so porter-hub's
 * zigbee2mqtt driver can be tested without a Zigbee radio.
 *
 *   z2m_bridge -p PORT [-u USER -P PASSWORD] [-b BASE] [-D DELAY_MS] [-S] [-T]
 *
 * It behaves as Z2M does with `retain: true` on the devices:
 *   - <base>/bridge/state {"state":"online"} retained (last will:
 *     {"state":"offline"}, retained);
 *   - <base>/<name>/availability {"state":"online"} retained, per device;
 *   - device state retained on <base>/<name>: the lock
 *     {"lock_state":"locked","state":"LOCK",...}, the door {"contact":true,...}
 *     (-S: the lock's state is not published at start, as after a Z2M
 *     restart without a state cache: only /get brings it);
 *   - <base>/lock/set {"state":"LOCK"|"UNLOCK"}: the new state DELAY_MS
 *     later (default 300), unless told to ignore commands or jam;
 *   - <base>/lock/get {"state":""}: the current state at once.
 *   -T: the legacy availability payloads ("online" / "offline" text).
 *
 * The test steers it with text on <base>-sim/control:
 *   door open | door close | motion | turn (the bolt moved by hand)
 *   ignore on|off (commands are dropped) | jam on|off (LOCK ends
 *   not_fully_locked) | lock offline|online | door offline|online |
 *   bridge offline|online | quit
 * and reads what it did on stdout, one line each ("set UNLOCK", "get",
 * "ignored UNLOCK", "ctl door open", ...).
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <mosquitto.h>

struct bridge {
	struct mosquitto *m;
	char base[128];
	char t_lock[192], t_door[192], t_motion[192], t_set[192], t_get[192], t_ctl[192],
		t_bridge[192];
	bool legacy;
	unsigned delay_ms;
	bool locked, door_open, ignore, jam;
	int pending;		/* 0, 1 lock, 2 unlock */
	uint64_t due_ms;
	bool quit;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
say(const char *what, const char *arg)
{
	printf("%s%s\n", what, arg);
	fflush(stdout);
}

static void
pub(struct bridge *b, const char *topic, const char *payload, bool retain)
{
	(void)mosquitto_publish(b->m, NULL, topic, (int)strlen(payload), payload, 1, retain);
}

static void
avail(struct bridge *b, const char *name, bool online)
{
	char t[256];

	if (name == NULL)
		(void)snprintf(t, sizeof(t), "%s", b->t_bridge);
	else
		(void)snprintf(t, sizeof(t), "%s/%s/availability", b->base, name);
	if (b->legacy)
		pub(b, t, online ? "online" : "offline", true);
	else
		pub(b, t, online ? "{\"state\":\"online\"}" : "{\"state\":\"offline\"}", true);
}

static void
lock_state(struct bridge *b, const char *ls)
{
	char p[256];

	(void)snprintf(p, sizeof(p),
		       "{\"action\":\"\",\"battery\":86,\"linkquality\":112,\"lock_state\":\"%s\","
		       "\"state\":\"%s\"}",
		       ls, strcmp(ls, "locked") == 0 ? "LOCK" : "UNLOCK");
	pub(b, b->t_lock, p, true);
}

static void
door_state(struct bridge *b)
{
	pub(b, b->t_door,
	    b->door_open ? "{\"battery\":100,\"contact\":false,\"linkquality\":90,\"voltage\":3005}"
			 : "{\"battery\":100,\"contact\":true,\"linkquality\":90,\"voltage\":3005}",
	    true);
}

static void
control(struct bridge *b, const char *c)
{
	say("ctl ", c);
	if (strcmp(c, "door open") == 0 || strcmp(c, "door close") == 0) {
		b->door_open = strcmp(c, "door open") == 0;
		door_state(b);
	} else if (strcmp(c, "motion") == 0) {
		pub(b, b->t_motion, "{\"battery\":74,\"illuminance\":10,\"occupancy\":true}", false);
		pub(b, b->t_motion, "{\"battery\":74,\"illuminance\":10,\"occupancy\":false}", false);
	} else if (strcmp(c, "turn") == 0) {
		b->locked = !b->locked;
		lock_state(b, b->locked ? "locked" : "unlocked");
	} else if (strcmp(c, "ignore on") == 0 || strcmp(c, "ignore off") == 0) {
		b->ignore = strcmp(c, "ignore on") == 0;
	} else if (strcmp(c, "jam on") == 0 || strcmp(c, "jam off") == 0) {
		b->jam = strcmp(c, "jam on") == 0;
	} else if (strcmp(c, "lock offline") == 0 || strcmp(c, "lock online") == 0) {
		avail(b, "lock", strcmp(c, "lock online") == 0);
	} else if (strcmp(c, "door offline") == 0 || strcmp(c, "door online") == 0) {
		avail(b, "door", strcmp(c, "door online") == 0);
	} else if (strcmp(c, "bridge offline") == 0 || strcmp(c, "bridge online") == 0) {
		avail(b, NULL, strcmp(c, "bridge online") == 0);
	} else if (strcmp(c, "quit") == 0) {
		b->quit = true;
	} else {
		say("unknown control ", c);
	}
}

static void
on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	struct bridge *b = arg;
	char text[128];
	size_t n;
	json_t *o, *s;

	(void)m;
	n = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
	if (n >= sizeof(text))
		n = sizeof(text) - 1;
	memcpy(text, msg->payload, n);
	text[n] = '\0';
	if (strcmp(msg->topic, b->t_ctl) == 0) {
		control(b, text);
		return;
	}
	if (strcmp(msg->topic, b->t_get) == 0) {
		say("get", "");
		lock_state(b, b->locked ? "locked" : "unlocked");
		return;
	}
	if (strcmp(msg->topic, b->t_set) != 0)
		return;
	o = json_loadb(text, n, 0, NULL);
	s = o != NULL ? json_object_get(o, "state") : NULL;
	if (s == NULL || !json_is_string(s) ||
	    (strcmp(json_string_value(s), "LOCK") != 0 && strcmp(json_string_value(s), "UNLOCK") != 0)) {
		say("bad set ", text);
		json_decref(o);
		return;
	}
	if (msg->retain)
		say("retained set ", json_string_value(s));	/* the driver must never */
	if (b->ignore) {
		say("ignored ", json_string_value(s));
	} else {
		say("set ", json_string_value(s));
		b->pending = strcmp(json_string_value(s), "LOCK") == 0 ? 1 : 2;
		b->due_ms = now_ms() + b->delay_ms;
	}
	json_decref(o);
}

int
main(int argc, char **argv)
{
	struct bridge b;
	const char *user = NULL, *pass = NULL;
	bool no_lock_state = false;
	int port = 0, opt, rc;

	memset(&b, 0, sizeof(b));
	(void)snprintf(b.base, sizeof(b.base), "zigbee2mqtt");
	b.delay_ms = 300;
	b.locked = true;
	while ((opt = getopt(argc, argv, "p:u:P:b:D:ST")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'u': user = optarg; break;
		case 'P': pass = optarg; break;
		case 'b': (void)snprintf(b.base, sizeof(b.base), "%s", optarg); break;
		case 'D': b.delay_ms = (unsigned)atoi(optarg); break;
		case 'S': no_lock_state = true; break;
		case 'T': b.legacy = true; break;
		default:
			fprintf(stderr, "usage: z2m_bridge -p PORT [-u USER -P PASS] [-b BASE] [-D MS] [-S] [-T]\n");
			return 2;
		}
	}
	(void)snprintf(b.t_lock, sizeof(b.t_lock), "%s/lock", b.base);
	(void)snprintf(b.t_door, sizeof(b.t_door), "%s/door", b.base);
	(void)snprintf(b.t_motion, sizeof(b.t_motion), "%s/hall motion", b.base);
	(void)snprintf(b.t_set, sizeof(b.t_set), "%s/lock/set", b.base);
	(void)snprintf(b.t_get, sizeof(b.t_get), "%s/lock/get", b.base);
	(void)snprintf(b.t_ctl, sizeof(b.t_ctl), "%s-sim/control", b.base);
	(void)snprintf(b.t_bridge, sizeof(b.t_bridge), "%s/bridge/state", b.base);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	mosquitto_lib_init();
	b.m = mosquitto_new("z2m-bridge-sim", true, &b);
	if (b.m == NULL)
		return 1;
	if (user != NULL)
		(void)mosquitto_username_pw_set(b.m, user, pass);
	{
		const char *w = b.legacy ? "offline" : "{\"state\":\"offline\"}";
		(void)mosquitto_will_set(b.m, b.t_bridge, (int)strlen(w), w, 1, true);
	}
	mosquitto_message_callback_set(b.m, on_message);
	if ((rc = mosquitto_connect(b.m, "127.0.0.1", port, 30)) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "z2m_bridge: connect: %s\n", mosquitto_strerror(rc));
		return 1;
	}
	(void)mosquitto_subscribe(b.m, NULL, b.t_set, 1);
	(void)mosquitto_subscribe(b.m, NULL, b.t_get, 1);
	(void)mosquitto_subscribe(b.m, NULL, b.t_ctl, 1);
	avail(&b, NULL, true);
	avail(&b, "lock", true);
	avail(&b, "door", true);
	avail(&b, "hall motion", true);
	if (!no_lock_state)
		lock_state(&b, "locked");
	door_state(&b);
	say("up ", b.base);
	while (!stop && !b.quit) {
		if ((rc = mosquitto_loop(b.m, 10, 1)) != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "z2m_bridge: %s\n", mosquitto_strerror(rc));
			usleep(100000);
			(void)mosquitto_reconnect(b.m);
		}
		if (b.pending != 0 && now_ms() >= b.due_ms) {
			if (b.pending == 1 && b.jam) {
				lock_state(&b, "not_fully_locked");
				say("jammed ", "LOCK");
			} else {
				b.locked = b.pending == 1;
				lock_state(&b, b.locked ? "locked" : "unlocked");
			}
			b.pending = 0;
		}
	}
	/* A clean stop: Z2M publishes offline itself (no will on DISCONNECT). */
	avail(&b, NULL, false);
	(void)mosquitto_loop(b.m, 100, 1);
	(void)mosquitto_disconnect(b.m);
	mosquitto_destroy(b.m);
	mosquitto_lib_cleanup();
	return 0;
}
