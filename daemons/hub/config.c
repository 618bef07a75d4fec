/*
 * porter-hub's configuration: every key declared once, in keys[], which
 * drives the parser, the defaults, the range checks and `porter-hub -n -v`
 * (docs/man/porter-hub.conf.5 lists the same keys).
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ini.h>

#include "porter/cbor.h"
#include "porter/text.h"
#include "hub.h"

enum ctype {
	C_STR, C_ID, C_TZ, C_ADDR, C_BOOL, C_UINT, C_MS, C_SECS, C_DRIVER, C_LEVEL, C_BROKER,
	C_LABEL, C_USER
};

struct key {
	const char *section, *name;
	enum ctype type;
	size_t off, size;
	const char *def;
	uint64_t min, max;	/* C_UINT: the value; C_MS: ms; C_SECS: s */
	const char *doc;
};

#define F(m) offsetof(struct hub_config, m), sizeof(((struct hub_config *)0)->m)

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int
config_parse_addr(const char *addr, struct sockaddr_storage *ss, unsigned *len)
{
	char host[HUB_ADDR_MAX];
	const char *colon = strrchr(addr, ':'), *h = addr;
	struct addrinfo hints, *res = NULL;
	size_t hl;

	if (colon == NULL || colon == addr || colon[1] == '\0')
		return -1;
	hl = (size_t)(colon - addr);
	if (addr[0] == '[') {
		if (hl < 2 || colon[-1] != ']')
			return -1;
		h = addr + 1;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || res == NULL)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = (unsigned)res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
config_parse_broker(const char *addr, char *host, size_t cap, unsigned *port)
{
	const char *colon = strrchr(addr, ':'), *h = addr;
	uint64_t p;
	size_t hl, i;

	if (colon == NULL || colon == addr || colon[1] == '\0')
		return -1;
	hl = (size_t)(colon - addr);
	if (addr[0] == '[') {
		if (hl < 3 || colon[-1] != ']')
			return -1;
		h = addr + 1;
		hl -= 2;
		for (i = 0; i < hl; i++)	/* an IPv6 literal */
			if (!(h[i] == ':' || h[i] == '.' || (h[i] >= '0' && h[i] <= '9') ||
			      (h[i] >= 'a' && h[i] <= 'f') || (h[i] >= 'A' && h[i] <= 'F')))
				return -1;
	} else {
		for (i = 0; i < hl; i++)	/* a DNS name or an IPv4 address */
			if (!(h[i] == '.' || h[i] == '-' || (h[i] >= '0' && h[i] <= '9') ||
			      (h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z')))
				return -1;
	}
	if (hl == 0 || hl > 253 || hl >= cap || pt_uint_parse(colon + 1, 1, 65535, &p) != PT_OK)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (unsigned)p;
	return 0;
}

#define MS(x) ((uint64_t)(x))
#define SEC 1000u
#define MIN (60u * SEC)
#define HOUR (60u * MIN)
#define DAY (24u * HOUR)

static const struct key keys[] = {
	{"hub", "id", C_ID, F(id), "", 0, 0,
	 "the hub's id, bound into every proof; empty: hub-<key id in hex>, from the hub key"},
	{"hub", "home", C_ID, F(home), "", 0, 0,
	 "the home this hub belongs to; empty: learnt from the owner's pairing statement"},
	{"hub", "lock", C_ID, F(lock), "front", 0, 0,
	 "the id of the lock this hub drives (credentials that name locks must name it)"},
	{"hub", "state_dir", C_STR, F(state_dir), "var/hub", 0, 0,
	 "durable state (hub.db), the key and the sockets; created 0700"},
	{"hub", "key", C_STR, F(key), "", 0, 0,
	 "the hub's Ed25519 key file, created 0600 on first start; default <state_dir>/hub.key"},
	{"hub", "admin", C_STR, F(admin), "", 0, 0,
	 "the admin socket ('porter-hub pair' asks it for a code), mode 0600;"
	 " default <state_dir>/admin.sock"},
	{"hub", "zoneinfo", C_STR, F(zoneinfo), "/usr/share/zoneinfo", 0, 0,
	 "IANA time zone files"},
	{"hub", "tz", C_TZ, F(tz), "", 0, 0,
	 "the home's IANA zone (Europe/Berlin); empty: week-day intervals are refused"},
	{"hub", "time_trusted", C_BOOL, F(time_trusted), "yes", 0, 0,
	 "yes: the clock is trusted (time-bound credentials allowed); stands in for NTP/RTC"
	 " sync status"},
	{"hub", "pairing_ttl", C_MS, F(pairing_ttl_ms), "5m", MS(10 * SEC), MS(HOUR),
	 "how long a pairing code is valid (10s .. 1h)"},
	{"hub", "checkpoint_every", C_UINT, F(checkpoint_every), "16", 1, 100000,
	 "sign a checkpoint of the event chain every N events (and at shutdown)"},
	{"link", "unix", C_STR, F(unix_path), "", 0, 0,
	 "the link's Unix socket (mode 0660); default <state_dir>/link.sock; set empty: none"},
	{"link", "tcp", C_ADDR, F(tcp), "127.0.0.1:8490", 0, 0,
	 "the link's TCP address:port (port 0: any free one); empty: none"},
	{"link", "challenge_ttl", C_MS, F(challenge_ttl_ms), "5s", MS(100), MS(PT_LINK_EXPIRY_MAX_MS),
	 "a proof must arrive this long after its challenge: the relay bound (100ms .. 60s)"},
	{"link", "lockout_failures", C_UINT, F(lockout_failures), "5", 1, 1000,
	 "failed attempts that start the first lockout"},
	{"link", "lockout_first", C_MS, F(lockout_first_ms), "30s", MS(SEC), MS(DAY),
	 "length of the first lockout; each further failure doubles it"},
	{"link", "lockout_max", C_MS, F(lockout_max_ms), "1h", MS(SEC), MS(DAY),
	 "longest lockout"},
	{"link", "idle_timeout", C_MS, F(idle_timeout_ms), "30s", MS(SEC), MS(10 * MIN),
	 "a connection without a complete frame for this long is closed"},
	{"link", "max_connections", C_UINT, F(max_connections), "16", 1, 128,
	 "link connections at once; more are closed at once"},
	{"door", "open_timeout", C_MS, F(door.open_timeout_ms), "20s", 1, MS(PT_DOOR_TIMER_MAX_MS),
	 "relock if the door is not opened this long after the bolt is drawn"},
	{"door", "relock_delay", C_MS, F(door.relock_delay_ms), "2s", 0, MS(PT_DOOR_TIMER_MAX_MS),
	 "relock this long after the door shuts"},
	{"door", "held_open", C_MS, F(door.held_open_ms), "60s", 1, MS(PT_DOOR_HELD_MAX_MS),
	 "alert when the door stands open longer (unless the credential sets its own limit)"},
	{"door", "intrusion_window", C_MS, F(door.intrusion_window_ms), "5m", 0,
	 MS(PT_DOOR_WINDOW_MAX_MS), "motion this long after a delivery ends is an intrusion"},
	{"door", "bypass_quiet", C_MS, F(door.bypass_quiet_ms), "30s", 0, MS(PT_DOOR_TIMER_MAX_MS),
	 "the entry zone must be quiet this long before the alarm bypass ends"},
	{"door", "lock_timeout", C_MS, F(door.lock_timeout_ms), "15s", 1,
	 MS(PT_DOOR_LOCK_TIMEOUT_MAX_MS), "a lock command not confirmed by then failed"},
	{"drivers", "lock", C_DRIVER, F(drv_lock), "sim", 0, 0, "the lock's driver: sim, zigbee2mqtt or gpio"},
	{"drivers", "door", C_DRIVER, F(drv_door), "sim", 0, 0, "the door contact's driver: sim, zigbee2mqtt or gpio"},
	{"drivers", "motion", C_DRIVER, F(drv_motion), "sim", 0, 0, "the motion sensors' driver: sim, zigbee2mqtt or gpio"},
	{"drivers", "sim_control", C_STR, F(sim_control), "", 0, 0,
	 "the sim drivers' control socket ('porter sim'), mode 0660; default <state_dir>/sim.sock"},
	{"drivers", "sim_lock_delay", C_MS, F(sim_lock_delay_ms), "200ms", 0, MS(10 * SEC),
	 "the sim lock reports its bolt this long after a command"},
	{"server", "revocations_max_age", C_SECS, F(revocations_max_age), "24h", 0, 365u * 86400u,
	 "refuse non-residents when revocations were last refreshed longer ago; 0: no limit"},
	{"mqtt", "broker", C_BROKER, F(mqtt_broker), "", 0, 0,
	 "the MQTT broker, host:port (the uplink to porterd); empty: no uplink"},
	{"mqtt", "username", C_ID, F(mqtt_username), "", 0, 0,
	 "the broker account; empty: the hub id (one account per hub)"},
	{"mqtt", "password_file", C_STR, F(mqtt_password_file), "", 0, 0,
	 "a file holding the broker password, mode 0600; empty: none"},
	{"mqtt", "tls_ca", C_STR, F(mqtt_tls_ca), "", 0, 0,
	 "CA certificate (PEM) that signed the broker's: TLS on; empty: plain MQTT (loopback only)"},
	{"mqtt", "tls_cert", C_STR, F(mqtt_tls_cert), "", 0, 0,
	 "client certificate (PEM), with tls_key and tls_ca; empty: none"},
	{"mqtt", "tls_key", C_STR, F(mqtt_tls_key), "", 0, 0,
	 "the client certificate's key (PEM); empty: none"},
	{"mqtt", "keepalive", C_SECS, F(mqtt_keepalive), "60s", 5, 65535,
	 "MQTT keepalive: a silent broker is taken as gone after 1.5 times this"},
	{"mqtt", "command_skew", C_SECS, F(mqtt_command_skew), "120s", 10, 600,
	 "a remote command's issued-at must be this close to the hub's clock"},
	{"mqtt", "drift_max", C_SECS, F(mqtt_drift_max), "60s", 1, 86400,
	 "porterd's time beacon further off than this: time-drift event and alert"},
	{"mqtt", "discovery", C_BOOL, F(mqtt_discovery), "yes", 0, 0,
	 "publish Home Assistant MQTT discovery configs (lock, door) on connect"},
	{"mqtt", "label", C_LABEL, F(mqtt_label), "", 0, 0,
	 "the hub's name in Home Assistant (1..100 printable characters); empty: the hub id"},
	/* -- [alarm] core rows -- */
	{"alarm", "driver", C_STR, F(alarm_driver), "none", 0, 0,
	 "the alarm panel's driver: none, sim, mqtt or envisalink (docs/alarm.md)"},
	{"alarm", "entry_zones", C_STR, F(alarm_entry_zones), "", 0, 0,
	 "the panel's zones by the door (\"1\" or \"1,2\"): bypassed for one entry only"},
	{"alarm", "interior_zones", C_STR, F(alarm_interior_zones), "", 0, 0,
	 "zones inside: they stay armed; a fault during a bypassed entry triggers the alarm"},
	{"alarm", "bypass_timeout", C_MS, F(alarm_bypass_timeout_ms), "5s", MS(100), MS(60 * SEC),
	 "the panel must confirm the entry zones' bypass within this, or the door stays shut"},
	{"alarm", "resident_disarm", C_BOOL, F(alarm_resident_disarm), "no", 0, 0,
	 "yes: a resident's credential at the door disarms the panel (never anyone else's)"},
	{"alarm", "panic_trigger", C_BOOL, F(alarm_panic_trigger), "no", 0, 0,
	 "yes: a courier's panic call at the door sounds the panel too; no: silent, the alert only"},
	{"alarm", "cannot_bypass", C_STR, F(alarm_cannot_bypass), "refuse", 0, 0,
	 "a panel that cannot bypass the entry zones: refuse, or ask the owners through porterd"},
	{"alarm", "ask_timeout", C_SECS, F(alarm_ask_timeout), "5m", 30, 3600,
	 "cannot_bypass = ask: how long an owner has to answer, and the approval to be used"},
	{"alarm", "sim_state", C_STR, F(alarm_sim_state), "armed_away", 0, 0,
	 "the sim panel's state at start: disarmed, armed_home or armed_away"},
	/* -- [alarm] mqtt driver rows -- */
	{"alarm", "mqtt_broker", C_BROKER, F(amq_broker), "", 0, 0,
	 "driver = mqtt: the broker of the Home Assistant / Alarmo panel, host:port"},
	{"alarm", "mqtt_username", C_STR, F(amq_username), "", 0, 0,
	 "that broker's account; empty: anonymous"},
	{"alarm", "mqtt_password_file", C_STR, F(amq_password_file), "", 0, 0,
	 "a file holding that account's password, mode 0600; empty: none"},
	{"alarm", "mqtt_tls_ca", C_STR, F(amq_tls_ca), "", 0, 0,
	 "CA certificate (PEM) of that broker's: TLS on; empty: plain MQTT (loopback only)"},
	{"alarm", "mqtt_tls_cert", C_STR, F(amq_tls_cert), "", 0, 0,
	 "client certificate (PEM), with mqtt_tls_key and mqtt_tls_ca; empty: none"},
	{"alarm", "mqtt_tls_key", C_STR, F(amq_tls_key), "", 0, 0,
	 "the client certificate's key (PEM); empty: none"},
	{"alarm", "mqtt_keepalive", C_SECS, F(amq_keepalive), "30s", 5, 65535,
	 "MQTT keepalive with that broker: a silent broker is gone after 1.5 times this"},
	{"alarm", "mqtt_flavor", C_STR, F(amq_flavor), "homeassistant", 0, 0,
	 "homeassistant (an MQTT alarm control panel) or alarmo (Alarmo's MQTT interface)"},
	{"alarm", "mqtt_command_topic", C_STR, F(amq_command_topic), "", 0, 0,
	 "where DISARM / ARM_HOME / ARM_AWAY / TRIGGER go; empty: alarmo/command for alarmo"},
	{"alarm", "mqtt_state_topic", C_STR, F(amq_state_topic), "", 0, 0,
	 "the panel's state (disarmed, armed_away, ...); empty: alarmo/state for alarmo"},
	{"alarm", "mqtt_event_topic", C_STR, F(amq_event_topic), "", 0, 0,
	 "Alarmo's event topic (failed to arm, wrong code); empty: alarmo/event for alarmo"},
	{"alarm", "mqtt_code_file", C_STR, F(amq_code_file), "", 0, 0,
	 "the panel code sent with each command, mode 0600; empty: commands carry no code"},
	{"alarm", "mqtt_area", C_STR, F(amq_area), "", 0, 0,
	 "Alarmo's area (its name as a slug) when it has several; empty: none"},
	{"alarm", "mqtt_zones", C_STR, F(amq_zones), "", 0, 0,
	 "zone sensors: \"1=zigbee2mqtt/front_door,2=zigbee2mqtt/hall_pir\" (Zigbee2MQTT or ON/OFF)"},
	{"alarm", "mqtt_zone_prefix", C_STR, F(amq_zone_prefix), "", 0, 0,
	 "put before each topic of mqtt_zones (\"zigbee2mqtt/\": then \"1=front_door\"); empty: none"},
	/* -- [alarm] envisalink driver rows -- */
	{"alarm", "envisalink_address", C_ADDR, F(tpi_address), "", 0, 0,
	 "driver = envisalink: the EnvisaLink's TPI, ip:port (its port is 4025)"},
	{"alarm", "envisalink_password_file", C_STR, F(tpi_password_file), "", 0, 0,
	 "a file holding the TPI password (the local web password, 1..6 characters), mode 0600"},
	{"alarm", "envisalink_code_file", C_STR, F(tpi_code_file), "", 0, 0,
	 "a file holding the DSC access code (4 or 6 digits), mode 0600; empty: none"},
	{"alarm", "envisalink_partition", C_UINT, F(tpi_partition), "1", 1, 8,
	 "the DSC partition the door belongs to (1..8)"},
	{"alarm", "envisalink_keepalive", C_MS, F(tpi_keepalive_ms), "30s", MS(SEC), MS(10 * MIN),
	 "send a poll this often; a panel silent for 3 times this is taken as gone"},
	{"alarm", "envisalink_timeout", C_MS, F(tpi_timeout_ms), "10s", MS(100), MS(MIN),
	 "the login, and each command's outcome (an arm state, a bypass dump), within this"},
	/* -- [camera] rows -- */
	{"camera", "socket", C_STR, F(cam_socket), "", 0, 0,
	 "porter-cam's health datagrams arrive on this Unix socket (mode 0660); empty: no camera"},
	{"camera", "id", C_ID, F(cam_id), "", 0, 0, "the camera's id (porter-cam's cam.id)"},
	{"camera", "key", C_STR, F(cam_key), "", 0, 0,
	 "the camera's public key: base64url, or a key file (cam.key.pub)"},
	{"camera", "max_age", C_MS, F(cam_max_age_ms), "3s", MS(500), MS(60 * SEC),
	 "a health message older than this is stale: silence makes the camera unhealthy"},
	{"camera", "marks", C_STR, F(cam_marks), "", 0, 0,
	 "porter-cam's clip marks socket: session start and end go there; empty: none"},
	{"camera", "uid", C_STR, F(cam_uid), "", 0, 0,
	 "accept health datagrams only from this uid or user (porter-cam's); empty: any sender"},
	/* -- [zigbee2mqtt] rows -- */
	{"zigbee2mqtt", "broker", C_BROKER, F(z2m_broker), "127.0.0.1:1883", 0, 0,
	 "the broker Zigbee2MQTT uses, host:port (drivers = zigbee2mqtt)"},
	{"zigbee2mqtt", "base_topic", C_STR, F(z2m_base), "zigbee2mqtt", 0, 0,
	 "Zigbee2MQTT's base topic (its configuration.yaml mqtt.base_topic)"},
	{"zigbee2mqtt", "lock", C_STR, F(z2m_lock), "", 0, 0,
	 "the lock's friendly name in Zigbee2MQTT (drivers.lock = zigbee2mqtt)"},
	{"zigbee2mqtt", "door", C_STR, F(z2m_door), "", 0, 0,
	 "the door contact sensor's friendly name (drivers.door = zigbee2mqtt)"},
	{"zigbee2mqtt", "motion_entry", C_STR, F(z2m_motion_entry), "", 0, 0,
	 "the entry zone's motion sensor (occupancy); empty: none"},
	{"zigbee2mqtt", "motion_interior", C_STR, F(z2m_motion_interior), "", 0, 0,
	 "the interior zone's motion sensor (occupancy); empty: none"},
	{"zigbee2mqtt", "username", C_STR, F(z2m_username), "", 0, 0,
	 "the broker account; empty: none"},
	{"zigbee2mqtt", "password_file", C_STR, F(z2m_password_file), "", 0, 0,
	 "a file holding the broker password, mode 0600; empty: none"},
	{"zigbee2mqtt", "tls_ca", C_STR, F(z2m_tls_ca), "", 0, 0,
	 "CA certificate (PEM) of the broker's: TLS on; empty: plain MQTT (loopback only)"},
	{"zigbee2mqtt", "tls_cert", C_STR, F(z2m_tls_cert), "", 0, 0,
	 "client certificate (PEM), with tls_key and tls_ca; empty: none"},
	{"zigbee2mqtt", "tls_key", C_STR, F(z2m_tls_key), "", 0, 0,
	 "the client certificate's key (PEM); empty: none"},
	{"zigbee2mqtt", "keepalive", C_SECS, F(z2m_keepalive), "30s", 5, 65535,
	 "MQTT keepalive with that broker"},
	/* -- [gpio] rows -- */
	{"gpio", "chip", C_STR, F(gpio_chip), "gpiochip0", 0, 0,
	 "the GPIO chip: gpiochip0, /dev/gpiochip0, its number or its label (drivers = gpio)"},
	{"gpio", "strike", C_STR, F(gpio_strike), "", 0, 0,
	 "the electric strike's output line (offset or name); drivers.lock = gpio needs it"},
	{"gpio", "strike_active_low", C_BOOL, F(gpio_strike_active_low), "no", 0, 0,
	 "yes: the strike is released by driving the line low"},
	{"gpio", "strike_pulse", C_BOOL, F(gpio_strike_pulse), "no", 0, 0,
	 "yes: release the strike for strike_pulse_time only; no: hold it until LOCK"},
	{"gpio", "strike_pulse_time", C_MS, F(gpio_strike_pulse_ms), "5s", MS(100), MS(60 * SEC),
	 "how long a pulse releases the strike (100ms .. 60s)"},
	{"gpio", "lock_sense", C_STR, F(gpio_lock_sense), "", 0, 0,
	 "an input that is active while the bolt is thrown (lock feedback); empty: none"},
	{"gpio", "lock_sense_active_low", C_BOOL, F(gpio_lock_sense_active_low), "no", 0, 0,
	 "yes: lock_sense is active low"},
	{"gpio", "contact", C_STR, F(gpio_contact), "", 0, 0,
	 "the reed contact's input, active while the door is OPEN; drivers.door = gpio needs it"},
	{"gpio", "contact_active_low", C_BOOL, F(gpio_contact_active_low), "no", 0, 0,
	 "yes: the contact input is active low"},
	{"gpio", "motion_entry", C_STR, F(gpio_motion_entry), "", 0, 0,
	 "a PIR input for the entry zone, active on motion; empty: none"},
	{"gpio", "motion_interior", C_STR, F(gpio_motion_interior), "", 0, 0,
	 "a PIR input for the interior zone, active on motion; empty: none"},
	{"gpio", "motion_active_low", C_BOOL, F(gpio_motion_active_low), "no", 0, 0,
	 "yes: the PIR inputs are active low"},
	{"gpio", "debounce", C_MS, F(gpio_debounce_ms), "50ms", 0, MS(2 * SEC),
	 "an input must hold a new level this long before it counts (0 .. 2s)"},
	{"gpio", "pull_up", C_BOOL, F(gpio_pull_up), "no", 0, 0,
	 "yes: ask the kernel for a pull-up bias on the inputs (a reed switch to ground)"},
	/* -- [sandbox] rows (sandbox.c) -- */
	{"sandbox", "user", C_USER, F(sb_user), "", 0, 0,
	 "started as root: become this user once started (the state directory and hub.db*"
	 " become its); the user must exist; empty: stay as started"},
	{"sandbox", "group", C_USER, F(sb_group), "", 0, 0,
	 "the group to become with sandbox.user; empty: the user's login group"},
	{"sandbox", "seccomp", C_BOOL, F(sb_seccomp), "yes", 0, 0,
	 "yes: the seccomp allow-list once started (any other system call kills the hub;"
	 " -n -v lists it); no: none, with a warning at start"},
	{"log", "level", C_LEVEL, F(log_level), "info", 0, 0, "error, warn, info or debug"},
};

/* "250ms", or a duration of porter/text.h ("5s", "2m", "1h", "90"). */
static int
parse_ms(const char *v, uint64_t *ms)
{
	size_t n = strlen(v);
	int64_t s;

	if (n > 2 && strcmp(v + n - 2, "ms") == 0) {
		char num[24];
		if (n - 2 >= sizeof(num))
			return -1;
		memcpy(num, v, n - 2);
		num[n - 2] = '\0';
		return pt_uint_parse(num, 0, UINT32_MAX, ms) == PT_OK ? 0 : -1;
	}
	if (pt_duration_parse(v, &s) != PT_OK || s < 0 || s > (int64_t)(UINT32_MAX / 1000u))
		return -1;
	*ms = (uint64_t)s * 1000u;
	return 0;
}

/* A user or group name as useradd(8) takes it: [A-Za-z_][A-Za-z0-9_.-]*. */
static bool
is_account_name(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char ch = v[i];
		bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
		if (!alpha && (i == 0 || !((ch >= '0' && ch <= '9') || ch == '.' || ch == '-')))
			return false;
	}
	return true;
}

static int
set(struct hub_config *c, const struct key *k, const char *v, struct pt_errbuf *err)
{
	char *dst = (char *)c + k->off;
	uint64_t u;
	int64_t d;
	size_t n = strlen(v);

	switch (k->type) {
	case C_STR:
		if (n >= k->size)
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	case C_ID:
		if (n >= k->size || (n > 0 && !pt_id_is_valid(v, n)))
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	case C_TZ:
		if (n >= k->size || (n > 0 && !pt_tzname_is_valid(v, n)))
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	case C_ADDR: {
		struct sockaddr_storage ss;
		unsigned sl;
		if (n >= k->size || (n > 0 && config_parse_addr(v, &ss, &sl) != 0))
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	}
	case C_BOOL:
		if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
			*(bool *)(void *)dst = true;
		else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
			*(bool *)(void *)dst = false;
		else
			goto bad;
		return 0;
	case C_UINT:
		if (pt_uint_parse(v, k->min, k->max, &u) != PT_OK)
			goto bad;
		*(uint32_t *)(void *)dst = (uint32_t)u;
		return 0;
	case C_MS:
		if (parse_ms(v, &u) != 0 || u < k->min || u > k->max)
			goto bad;
		*(uint32_t *)(void *)dst = (uint32_t)u;
		return 0;
	case C_SECS:
		if (pt_duration_parse(v, &d) != PT_OK || d < 0 || (uint64_t)d < k->min ||
		    (uint64_t)d > k->max)
			goto bad;
		*(uint32_t *)(void *)dst = (uint32_t)d;
		return 0;
	case C_BROKER: {
		char host[HUB_BROKER_MAX];
		unsigned port;
		if (n >= k->size || (n > 0 && config_parse_broker(v, host, sizeof(host), &port) != 0))
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	}
	case C_LABEL:
		if (n >= k->size || (n > 0 && !pt_text_is_printable((const uint8_t *)v, n)))
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	case C_USER:
		if (n >= k->size || (n > 0 && !is_account_name(v, n)))
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	case C_DRIVER:
		if (n >= k->size || hub_drv_find(v) == NULL)
			goto bad;
		memcpy(dst, v, n + 1);
		return 0;
	case C_LEVEL:
		for (int i = 0; i < 4; i++) {
			if (strcmp(v, level_names[i]) == 0) {
				*(int *)(void *)dst = i;
				return 0;
			}
		}
		goto bad;
	}
bad:
	(void)snprintf(err->msg, sizeof(err->msg), "%s.%s: '%.64s' is not valid (%s)", k->section,
		       k->name, v, k->doc);
	return -1;
}

static int
derive(char *dst, size_t cap, const char *dir, const char *name, const char *what,
       struct pt_errbuf *err)
{
	int n;

	if (dst[0] != '\0')
		return 0;
	n = snprintf(dst, cap, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= cap) {
		(void)snprintf(err->msg, sizeof(err->msg), "%s: the path under state_dir is too long",
			       what);
		return -1;
	}
	return 0;
}

/* Paths derived from state_dir, and checks across keys. */
static int
finish(struct hub_config *c, struct pt_errbuf *err)
{
	if (derive(c->key, sizeof(c->key), c->state_dir, "hub.key", "hub.key", err) != 0 ||
	    derive(c->admin, sizeof(c->admin), c->state_dir, "admin.sock", "hub.admin", err) != 0 ||
	    derive(c->sim_control, sizeof(c->sim_control), c->state_dir, "sim.sock",
		   "drivers.sim_control", err) != 0)
		return -1;
	if (!c->unix_set &&
	    derive(c->unix_path, sizeof(c->unix_path), c->state_dir, "link.sock", "link.unix", err) != 0)
		return -1;
	if (c->lockout_max_ms < c->lockout_first_ms) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "link.lockout_max is shorter than link.lockout_first");
		return -1;
	}
	if (pt_door_cfg_check(&c->door) != PT_OK) {
		(void)snprintf(err->msg, sizeof(err->msg), "[door]: a timer is out of its range");
		return -1;
	}
	if (c->door.open_timeout_ms > PT_LINK_RELOCK_MAX * 1000u) {
		(void)snprintf(err->msg, sizeof(err->msg), "door.open_timeout: at most 1h");
		return -1;
	}
	if ((c->mqtt_tls_cert[0] == '\0') != (c->mqtt_tls_key[0] == '\0')) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "mqtt.tls_cert and mqtt.tls_key go together: set both or neither");
		return -1;
	}
	if (c->mqtt_tls_cert[0] != '\0' && c->mqtt_tls_ca[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "mqtt.tls_cert needs mqtt.tls_ca (the broker is verified too)");
		return -1;
	}
	if (c->sb_group[0] != '\0' && c->sb_user[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "sandbox.group needs sandbox.user (the group is set with the user)");
		return -1;
	}
	if (c->unix_path[0] == '\0' && c->tcp[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "link.unix and link.tcp are both empty: the door would have no link");
		return -1;
	}
	return 0;
}

void
config_defaults(struct hub_config *c)
{
	struct pt_errbuf err;
	size_t i;

	memset(c, 0, sizeof(*c));
	pt_door_cfg_default(&c->door);	/* watch_purposes and anything not in the table */
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (set(c, &keys[i], keys[i].def, &err) != 0)
			abort();	/* a default that does not parse is a bug */
	if (finish(c, &err) != 0)
		abort();
}

struct parse_ctx {
	struct hub_config *c;
	struct pt_errbuf *err;
	bool failed;
};

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *pc = user;
	size_t i;

	if (pc->failed)
		return 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0) {
			if (set(pc->c, &keys[i], value, pc->err) != 0) {
				pc->failed = true;
				return 0;
			}
			if (strcmp(section, "link") == 0 && strcmp(name, "unix") == 0)
				pc->c->unix_set = true;
			return 1;
		}
	}
	(void)snprintf(pc->err->msg, sizeof(pc->err->msg), "unknown key '%.40s' in section [%.40s]",
		       name, section);
	pc->failed = true;
	return 0;
}

static bool
section_known(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].section, name) == 0)
			return true;
	return false;
}

/* inih only calls us for keys: a misspelt section without keys would
 * pass unseen, so one pass checks every [section] name. */
static int
scan_sections(const char *path, struct pt_errbuf *err)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (f == NULL)
		return 0;	/* ini_parse reports it */
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *end;
		n++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '[' || (end = strchr(p, ']')) == NULL)
			continue;
		*end = '\0';
		if (!section_known(p + 1)) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "'%.100s' line %d: unknown section [%.40s]", path, n, p + 1);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

int
config_load(const char *path, struct hub_config *c, struct pt_errbuf *err)
{
	struct parse_ctx pc = {c, err, false};
	char msg[sizeof(err->msg)];
	int line;

	memset(c, 0, sizeof(*c));
	pt_door_cfg_default(&c->door);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (set(c, &keys[i], keys[i].def, err) != 0)
			abort();
	err->msg[0] = '\0';
	if (scan_sections(path, err) != 0)
		return -1;
	line = ini_parse(path, handler, &pc);
	if (line == -1) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot open '%.100s': %s", path,
			       strerror(errno));
		return -1;
	}
	if (line != 0 || pc.failed) {
		memcpy(msg, err->msg, sizeof(msg));
		(void)snprintf(err->msg, sizeof(err->msg), "'%.64s' line %d: %.180s", path, line,
			       msg[0] ? msg : "syntax error");
		return -1;
	}
	if (finish(c, &err[0]) != 0) {
		memcpy(msg, err->msg, sizeof(msg));
		(void)snprintf(err->msg, sizeof(err->msg), "'%.64s': %.180s", path, msg);
		return -1;
	}
	return 0;
}

static void
print_ms(uint32_t ms)
{
	if (ms % 1000u == 0)
		printf("%us", ms / 1000u);
	else
		printf("%ums", ms);
}

void
config_print(const struct hub_config *c)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];
		const char *p = (const char *)c + k->off;
		printf("%s.%s = ", k->section, k->name);
		switch (k->type) {
		case C_STR:
		case C_ID:
		case C_TZ:
		case C_ADDR:
		case C_BROKER:
		case C_LABEL:
		case C_USER:
		case C_DRIVER: printf("%s", p); break;
		case C_BOOL: printf("%s", *(const bool *)(const void *)p ? "yes" : "no"); break;
		case C_UINT: printf("%u", *(const uint32_t *)(const void *)p); break;
		case C_MS: print_ms(*(const uint32_t *)(const void *)p); break;
		case C_SECS: printf("%us", *(const uint32_t *)(const void *)p); break;
		case C_LEVEL: {
			int l = *(const int *)(const void *)p;
			printf("%s", level_names[l < 0 ? 0 : l > 3 ? 3 : l]);
			break;
		}
		}
		printf("    # %s\n", k->doc);
	}
}
