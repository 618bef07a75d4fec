/*
 * daemons/hub/hub.h: porter-hub's insides (not a public interface).
 *
 * One process, one thread, one poll(2) loop (main.c). Everything the loop
 * watches registers a file descriptor and a callback in a struct hub_poll
 * each turn, and says when it next needs the time (a monotonic deadline):
 *
 *   main.c      flags, configuration, signals (signalfd), the loop, logging
 *   config.c    the configuration table (inih)
 *   hub.c       the core: link sessions, challenges, pt_decide, pairing,
 *               lockout, the door machine, events and checkpoints
 *   listen.c    the link's Unix and TCP listeners and connections (frames),
 *               and the line-oriented control sockets (admin, sim)
 *   drv_sim.c   the simulated lock, door contact and motion sensors
 *   uplink.c    MQTT to porterd (docs/mqtt.md): state, events, and the
 *               owner-signed revocations and commands coming down
 *
 * Ownership: struct hub owns everything it opens; hub_close() releases it
 * all. Nothing here is thread-safe: only the loop's thread calls in.
 */
#ifndef PORTER_HUB_HUB_H
#define PORTER_HUB_HUB_H

#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "porter/cred.h"
#include "porter/crypto.h"
#include "porter/decide.h"
#include "porter/door.h"
#include "porter/keyfile.h"
#include "porter/link.h"
#include "porter/mqtt.h"
#include "porter/tz.h"

#define HUB_VERSION "0.1.0"

/* ---- logging (main.c): one line per event, key=value, to stderr ---- */

enum { HLOG_ERR = 0, HLOG_WARN = 1, HLOG_INFO = 2, HLOG_DEBUG = 3 };
void hlog_set_level(int level);
void hlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- clocks ---- */

uint64_t hub_mono_ms(void);	/* CLOCK_MONOTONIC, milliseconds */
int64_t hub_now_utc(void);	/* CLOCK_REALTIME, seconds */

/* ---- configuration (config.c) ---- */

#define HUB_ADDR_MAX 128
#define HUB_ZONES_TEXT_MAX 192	/* "1,2,3,...": a zone list as configured */
#define HUB_BROKER_MAX 264	/* host (a DNS name, up to 253) and port */

struct hub_config {
	/* [hub] */
	char id[PT_ID_MAX + 1];		/* "": derived from the key (hub-<kid hex>) */
	char home[PT_ID_MAX + 1];	/* "": learnt when paired */
	char lock[PT_ID_MAX + 1];	/* the lock this hub drives */
	char state_dir[PATH_MAX];
	char key[PATH_MAX];		/* "": <state_dir>/hub.key */
	char admin[PATH_MAX];		/* "": <state_dir>/admin.sock */
	char zoneinfo[PATH_MAX];
	char tz[PT_TZNAME_MAX + 1];	/* "": none (weekly intervals refused) */
	bool time_trusted;
	uint32_t pairing_ttl_ms;
	uint32_t checkpoint_every;	/* events between signed checkpoints */
	/* [link] */
	char unix_path[PATH_MAX];	/* "": <state_dir>/link.sock; "-": none */
	bool unix_set;			/* unix_path came from the file */
	char tcp[HUB_ADDR_MAX];		/* host:port; "": none */
	uint32_t challenge_ttl_ms;	/* the relay bound */
	uint32_t lockout_failures;	/* failures before the first lockout */
	uint32_t lockout_first_ms;
	uint32_t lockout_max_ms;
	uint32_t idle_timeout_ms;
	uint32_t max_connections;
	/* [door] */
	struct pt_door_cfg door;
	/* [drivers] */
	char drv_lock[16], drv_door[16], drv_motion[16];
	char sim_control[PATH_MAX];	/* "": <state_dir>/sim.sock */
	uint32_t sim_lock_delay_ms;
	/* [server] */
	uint32_t revocations_max_age;	/* s; 0: no limit */
	/* [mqtt]: the uplink to porterd (docs/mqtt.md) */
	char mqtt_broker[HUB_BROKER_MAX];	/* host:port; "": no uplink */
	char mqtt_username[PT_ID_MAX + 1];	/* "": the hub id */
	char mqtt_password_file[PATH_MAX];	/* "": no password; else mode 0600 */
	char mqtt_tls_ca[PATH_MAX];		/* "": plain MQTT (loopback only) */
	char mqtt_tls_cert[PATH_MAX];		/* client certificate, with tls_key */
	char mqtt_tls_key[PATH_MAX];
	uint32_t mqtt_keepalive;		/* s */
	uint32_t mqtt_command_skew;		/* s: a command's freshness */
	uint32_t mqtt_drift_max;		/* s: a beacon further off is an alert */
	bool mqtt_discovery;			/* Home Assistant discovery configs */
	char mqtt_label[101];			/* the device's name there; "": hub id */
	/* [alarm]: the alarm panel (issue 6; alarm.c and alarm_*.c) */
	/* -- alarm core keys (alarm core's rows) -- */
	char alarm_driver[16];			/* "none", "sim", "mqtt", "envisalink" */
	char alarm_entry_zones[HUB_ZONES_TEXT_MAX];	/* "1,2": bypassed for an entry */
	char alarm_interior_zones[HUB_ZONES_TEXT_MAX];	/* stay armed throughout */
	uint32_t alarm_bypass_timeout_ms;	/* the panel confirms a bypass within this */
	bool alarm_resident_disarm;		/* a resident's credential disarms */
	bool alarm_panic_trigger;		/* a panic call at the door sounds the panel */
	char alarm_cannot_bypass[8];		/* "refuse" or "ask" (the owners, docs/alarm.md) */
	uint32_t alarm_ask_timeout;		/* s: an owner may answer a request this long */
	char alarm_sim_state[16];		/* the sim panel's state at start */
	/* -- alarm mqtt driver keys (alarm_mqtt.c's rows) -- */
	char amq_broker[HUB_BROKER_MAX];	/* host:port of Home Assistant's broker */
	char amq_username[101];			/* "": anonymous */
	char amq_password_file[PATH_MAX];	/* "": no password; else mode 0600 */
	char amq_tls_ca[PATH_MAX], amq_tls_cert[PATH_MAX], amq_tls_key[PATH_MAX];
	uint32_t amq_keepalive;			/* s */
	char amq_flavor[16];			/* "homeassistant" or "alarmo" */
	char amq_command_topic[201];		/* where commands go */
	char amq_state_topic[201];		/* the panel's state words (retained) */
	char amq_event_topic[201];		/* Alarmo's events; "": none */
	char amq_code_file[PATH_MAX];		/* the panel code, mode 0600; "": none */
	char amq_area[65];			/* Alarmo's area (slug); "": none */
	char amq_zones[1024];			/* "1=topic,2=topic": zone sensors */
	char amq_zone_prefix[101];		/* put before each of those topics */
	/* -- alarm envisalink driver keys (alarm_tpi.c's rows) -- */
	char tpi_address[HUB_ADDR_MAX];	/* the EnvisaLink, ip:port (numeric) */
	char tpi_password_file[PATH_MAX];	/* the TPI password (1..6), mode 0600 */
	char tpi_code_file[PATH_MAX];		/* the panel access code, mode 0600; "": none */
	uint32_t tpi_partition;			/* 1..8 */
	uint32_t tpi_keepalive_ms;		/* a poll (000) this often */
	uint32_t tpi_timeout_ms;		/* login, and each command's outcome */
	/* [camera]: porter-cam's health and clip marks (camwatch.c) */
	/* -- camera keys -- */
	char cam_socket[PATH_MAX];		/* health datagrams arrive here; "": no camera */
	char cam_id[PT_ID_MAX + 1];		/* the camera's id (porter-cam's cam.id) */
	char cam_key[PATH_MAX];			/* its public key: base64url or a key file */
	uint32_t cam_max_age_ms;		/* an older message is stale */
	char cam_marks[PATH_MAX];		/* porter-cam's clip marks socket; "": none */
	char cam_uid[33];			/* only datagrams from this uid or user; "": any */
	/* [zigbee2mqtt]: drv_z2m.c */
	/* -- zigbee2mqtt keys -- */
	char z2m_broker[HUB_BROKER_MAX];	/* host:port of Zigbee2MQTT's broker */
	char z2m_base[101];			/* base topic (PT_Z2M_BASE_MAX) */
	char z2m_lock[101], z2m_door[101];	/* friendly names (PT_Z2M_NAME_MAX); "": none */
	char z2m_motion_entry[101], z2m_motion_interior[101];
	char z2m_username[101];			/* "": anonymous */
	char z2m_password_file[PATH_MAX];	/* "": no password; else mode 0600 */
	char z2m_tls_ca[PATH_MAX], z2m_tls_cert[PATH_MAX], z2m_tls_key[PATH_MAX];
	uint32_t z2m_keepalive;			/* s */
	/* [gpio]: drv_gpio.c */
	/* -- gpio keys -- */
	char gpio_chip[64];			/* gpiochip0, /dev/gpiochip0, a label */
	char gpio_strike[32];			/* line offset or name; "": none */
	bool gpio_strike_active_low;
	bool gpio_strike_pulse;			/* pulse (strike_pulse) instead of hold */
	uint32_t gpio_strike_pulse_ms;
	char gpio_lock_sense[32];		/* input: active = bolt thrown; "": none */
	bool gpio_lock_sense_active_low;
	char gpio_contact[32];			/* input: active = door OPEN; "": none */
	bool gpio_contact_active_low;
	char gpio_motion_entry[32], gpio_motion_interior[32];	/* active = motion */
	bool gpio_motion_active_low;
	uint32_t gpio_debounce_ms;
	bool gpio_pull_up;			/* bias pull-up on the inputs */
	/* [sandbox]: sandbox.c */
	/* -- sandbox keys -- */
	char sb_user[33];			/* started as root: become this user; "": stay */
	char sb_group[33];			/* "": sandbox.user's login group */
	bool sb_seccomp;			/* the seccomp allow-list (yes) */
	/* [log] */
	int log_level;
};

void config_defaults(struct hub_config *c);
/* Load path over the defaults; derived paths filled in. 0 or -1 (err). */
int config_load(const char *path, struct hub_config *c, struct pt_errbuf *err);
/* `porter-hub -n -v`: every key with its value and what it is for. */
void config_print(const struct hub_config *c);
/* "127.0.0.1:8490", "[::1]:8490": numeric only. 0 or -1. */
struct sockaddr_storage;
int config_parse_addr(const char *addr, struct sockaddr_storage *ss, unsigned *len);
/* "broker.example.net:8883", "127.0.0.1:1883", "[::1]:1883": host (without
 * brackets) into host[cap], port 1..65535. 0 or -1. */
int config_parse_broker(const char *addr, char *host, size_t cap, unsigned *port);

/* ---- the sandbox (sandbox.c) ----
 *
 * Entered once, by main.c, when start-up is over (everything opened and
 * bound): started as root with sandbox.user, the state directory and
 * hub.db* become that user's and the hub becomes that user (and
 * sandbox.group, or the user's group, with the user's supplementary
 * groups), for good; then no_new_privs; then, with sandbox.seccomp, the
 * allow-list for every thread, anything else killing the process (SIGSYS).
 */
/* sandbox.user / sandbox.group exist and are not root's (for -n and the
 * start, before anything is opened). 0 or -1 (err). */
int hub_sandbox_check(const struct hub_config *c, struct pt_errbuf *err);
/* Drop, no_new_privs, filter, as above. 0, or -1 (err) with the process in
 * an unknown state: exit. Not thread-safe (start-up only). */
int hub_sandbox_apply(const struct hub_config *c, struct pt_errbuf *err);
/* `porter-hub -n -v`: the allow-list, one system call per line with the
 * reason; and how many rows it has. */
void hub_sandbox_print(void);
size_t hub_sandbox_count(void);
/* The NSS modules of nsswitch.conf's "hosts:" line that are not inside
 * glibc (not files, dns), which the sandbox loads before its filter: how
 * many were put in out (at most cap). */
#define HUB_NSS_NAME_MAX 32
size_t hub_sandbox_nss_modules(const char *text, char (*out)[HUB_NSS_NAME_MAX], size_t cap);

/* ---- the poll registry (main.c fills and runs it) ---- */

#define HUB_POLL_MAX 192

typedef void (*hub_poll_fn)(void *arg, short revents);

struct hub_poll {
	struct pollfd pfd[HUB_POLL_MAX];
	hub_poll_fn fn[HUB_POLL_MAX];
	void *arg[HUB_POLL_MAX];
	size_t n;
};

/* Watch fd for events this turn; fn(arg, revents) is called once if any. */
void hub_poll_add(struct hub_poll *p, int fd, short events, hub_poll_fn fn, void *arg);

/* ---- drivers: lock, door contact, motion ---- */

/*
 * What a driver reports goes to the hub through these (hub.c implements
 * them). Reports may come at any time from the driver's own callbacks;
 * the hub feeds them to the door machine at once.
 */
struct hub_drv_sink {
	void (*bolt)(void *arg, bool locked);	/* the lock's state report */
	void (*contact)(void *arg, bool open);	/* the door contact */
	void (*motion)(void *arg, uint8_t zone);	/* enum pt_door_zone */
	void (*lock_failed)(void *arg);		/* a command did not move the bolt */
	/* The hub's view for status replies (state, session): the caller
	 * adds what it knows to obj. */
	void (*status)(void *arg, json_t *obj);
	void *arg;
};

enum { HUB_ROLE_LOCK = 1, HUB_ROLE_DOOR = 2, HUB_ROLE_MOTION = 4 };

/*
 * One backend (sim today; zigbee2mqtt and gpio later) serving one or
 * more roles. The hub opens each backend named in [drivers] once, with
 * the roles it serves. Commands return at once; the outcome comes back
 * as a report (bolt, or lock_failed).
 */
struct hub_drv_ops {
	const char *name;
	int (*open)(const struct hub_config *cfg, unsigned roles, const struct hub_drv_sink *sink,
		    void **drv, struct pt_errbuf *err);
	void (*close)(void *drv);
	/* Is the initial state known (door contact and bolt)? Until it is,
	 * the hub does not start the door machine and refuses grants. */
	bool (*ready)(void *drv, bool *door_open, bool *bolt_locked);
	int (*lock)(void *drv, uint64_t now_ms);
	int (*unlock)(void *drv, uint64_t now_ms);
	void (*poll)(void *drv, struct hub_poll *p);	/* add the fds it wants */
	uint64_t (*deadline)(void *drv);		/* UINT64_MAX: none */
	void (*tick)(void *drv, uint64_t now_ms);
};

extern const struct hub_drv_ops hub_drv_sim;
extern const struct hub_drv_ops hub_drv_z2m;	/* "zigbee2mqtt": drv_z2m.c */
extern const struct hub_drv_ops hub_drv_gpio;	/* "gpio": drv_gpio.c (libgpiod) */
const struct hub_drv_ops *hub_drv_find(const char *name);

/* ---- the alarm panel (issue 6): alarm.c, alarm_sim.c, alarm_mqtt.c,
 * alarm_tpi.c ----
 *
 * The hub keeps the alarm armed during an entry: it bypasses only the
 * entry zones, only for one session, and ends the bypass once the door is
 * shut, locked and the entry zone has been quiet for [door] bypass_quiet.
 * It never disarms for a non-resident. Drivers report what the panel says
 * through the sink, at any time from their own callbacks; commands return
 * at once and the outcome comes back as a report (or as failed()).
 *
 * Zones are the panel's numbers (1..HUB_ALARM_ZONES). Which of them are
 * entry zones and which interior is configuration ([alarm]), not the
 * driver's business.
 */
#define HUB_ALARM_ZONES 64

enum hub_alarm_state {
	HUB_ALARM_UNKNOWN = 0,	/* not reported yet, or the panel is unreachable */
	HUB_ALARM_DISARMED,
	HUB_ALARM_ARMED_HOME,
	HUB_ALARM_ARMED_AWAY,
	HUB_ALARM_ARMING,	/* exit delay */
	HUB_ALARM_PENDING,	/* entry delay */
	HUB_ALARM_TRIGGERED,
};

/* "unknown", "disarmed", "armed_home", "armed_away", "arming", "pending",
 * "triggered" (Home Assistant's alarm_control_panel words); NULL if out
 * of range. */
const char *hub_alarm_state_name(int state);

struct hub_alarm_sink {
	void (*state)(void *arg, int state);			/* enum hub_alarm_state */
	void (*zone)(void *arg, unsigned zone, bool faulted);	/* open / motion */
	void (*bypassed)(void *arg, unsigned zone, bool on);	/* the panel confirms */
	void (*failed)(void *arg, const char *what);		/* a command failed */
	void *arg;
};

struct hub_alarm_ops {
	const char *name;	/* "sim", "mqtt", "envisalink" */
	int (*open)(const struct hub_config *cfg, const struct hub_alarm_sink *sink, void **drv,
		    struct pt_errbuf *err);
	void (*close)(void *drv);
	/* The arm state is known (the panel has reported since open). */
	bool (*ready)(void *drv);
	/* Can this panel bypass a single zone right now (supported, reachable,
	 * not triggered)? false: the hub follows the home's policy (refuse). */
	bool (*can_bypass)(void *drv);
	int (*bypass)(void *drv, unsigned zone, bool on, uint64_t now_ms);
	int (*arm)(void *drv, int state /* ARMED_HOME or ARMED_AWAY */, uint64_t now_ms);
	int (*disarm)(void *drv, uint64_t now_ms);	/* residents only: the hub checks */
	int (*trigger)(void *drv, uint64_t now_ms);	/* sound the alarm (intrusion) */
	void (*poll)(void *drv, struct hub_poll *p);
	uint64_t (*deadline)(void *drv);		/* UINT64_MAX: none */
	void (*tick)(void *drv, uint64_t now_ms);
};

extern const struct hub_alarm_ops hub_alarm_sim;	/* alarm_sim.c */
extern const struct hub_alarm_ops hub_alarm_mqtt;	/* alarm_mqtt.c: HA / Alarmo */
extern const struct hub_alarm_ops hub_alarm_tpi;	/* alarm_tpi.c: EnvisaLink TPI (DSC) */
/* By name; "none" and unknown names: NULL (alarm.c). */
const struct hub_alarm_ops *hub_alarm_find(const char *name);

/* The alarm core's configuration (alarm.c). A zone list is "" or zone
 * numbers 1..HUB_ALARM_ZONES separated by commas (spaces allowed): bit
 * zone-1 of *mask. 0 or -1. */
int hub_alarm_zones_parse(const char *text, uint64_t *mask);
/* The [alarm] core keys together: a known driver (or none), valid zone
 * lists, entry zones when there is a panel, no zone both entry and
 * interior, a known sim state. 0 or -1 (err). main.c calls it after
 * config_load, for -n, start and SIGHUP alike. */
int hub_alarm_config_check(const struct hub_config *c, struct pt_errbuf *err);
/* "disarmed", "armed_home", ... (hub_alarm_state_name) back to the enum;
 * -1 if unknown. */
int hub_alarm_state_parse(const char *name);

/* The sim panel's control lines (alarm_sim.c), "alarm ..." on the sim
 * control socket without the word "alarm": drv is the sim panel. */
void hub_alarm_sim_line(void *drv, const char *line, char *out, size_t cap);
/* The sim lock's control socket hands every line that starts with the
 * word "alarm" to fn (drv_sim.c; drv is a hub_drv_sim instance). */
void hub_drv_sim_route_alarm(void *drv,
			     void (*fn)(void *arg, const char *line, char *out, size_t cap),
			     void *arg);

/* ---- the camera (camwatch.c): porter-cam's health and clip marks ----
 *
 * porter-cam sends a signed health datagram every second to [camera]
 * socket; each is checked with pt_cam_watch_receive (porter/cam_health.h)
 * and the camera is healthy while the last accepted message is fresh and
 * says ok. Clip marks go the other way, one datagram each to [camera]
 * marks, never blocking: a failure is returned, not retried.
 */
struct hub_cam;

/* [camera] socket set: id and key set and the key readable. 0 or -1. */
int hub_cam_config_check(const struct hub_config *c, struct pt_errbuf *err);
/* Bind the health socket (mode 0660 through the umask, SO_PASSCRED; an old
 * socket there is replaced; [camera] uid: other senders are dropped) and
 * make the marks socket, as configured; *out NULL when neither is. 0 or
 * -1 (err). */
int hub_cam_open(struct hub_cam **out, const struct hub_config *c, struct pt_errbuf *err);
void hub_cam_close(struct hub_cam *cam);
void hub_cam_poll(struct hub_cam *cam, struct hub_poll *p);
/* When the last message ages out (UINT64_MAX: none to wait for). */
uint64_t hub_cam_deadline(const struct hub_cam *cam);
/* Is a camera watched at all ([camera] socket set)? */
bool hub_cam_is_watched(const struct hub_cam *cam);
/* Whether the watched camera's key is one of keys (the key revocations a
 * decision has just read: not left to the next tick's look). */
bool hub_cam_key_in(const struct hub_cam *cam, const uint8_t (*keys)[PT_PK_LEN], size_t n);
/* Healthy now (false without a camera). *status (may be NULL) gets the
 * last accepted status bits, 0 if none or aged out. */
bool hub_cam_is_healthy(const struct hub_cam *cam, uint64_t now_ms, uint32_t *status);
/* Messages refused since the last call (and the last reason), for the
 * log and the events. */
uint64_t hub_cam_refused(struct hub_cam *cam, int *last_reason);
/* The clips porterd refused for good that the camera's last accepted
 * message names (its key 7, docs/cam.md): true and *f set when it names
 * some; false (*f zeroed) when none, no message, or the key is revoked. */
struct pt_cam_refused;
bool hub_cam_clips_refused(const struct hub_cam *cam, struct pt_cam_refused *f);
/* Send a mark (porter/clip.h) to [camera] marks. PT_OK, PT_EINVAL (no
 * marks socket, a bad mark), PT_EIO (errno in *sys_errno). */
struct pt_clip_mark;
bool hub_cam_has_marks(const struct hub_cam *cam);
int hub_cam_mark(struct hub_cam *cam, const struct pt_clip_mark *m, int *sys_errno);
/* Send a signed live view order (porter/live.h, at most PT_LIVE_ORDER_MAX
 * bytes, made by the caller) to [camera] marks, as a mark. PT_OK,
 * PT_EINVAL (no marks socket, nothing or too much to send), PT_EIO (errno
 * in *sys_errno). */
int hub_cam_order(struct hub_cam *cam, const uint8_t *order, size_t len, int *sys_errno);
/* The hub's trusted owner keys (roots, the first PT_CAM_OWNERS_MAX of
 * them) to [camera] marks as a hub-signed camera owners message
 * (porter/cam_owners.h), so clips are sealed to them: at once when they
 * differ from the last sent, else again every minute (5 s after a failed
 * send). Nothing without a marks socket, a [camera] id or a root. Called
 * on every tick; hub_cam_deadline includes the next send. */
struct hub_state;
void hub_cam_owners(struct hub_cam *cam, struct pt_secret *key, struct hub_state *st,
		    const char *hub_id, const uint8_t (*roots)[PT_PK_LEN], size_t n_roots,
		    int64_t now_utc, uint64_t now_ms);

/* ---- line control sockets (listen.c): admin and sim ---- */

/*
 * A Unix stream socket speaking newline-terminated text: one request
 * line (at most HUB_LINE_MAX bytes), one reply line, then the server
 * closes. The handler writes the reply (without the newline) to out.
 */
#define HUB_LINE_MAX 256
#define HUB_REPLY_MAX 4096
#define HUB_LINE_CONNS 4

typedef void (*hub_line_fn)(void *arg, const char *line, char *out, size_t cap);

struct hub_lines;
struct hub_line_conn {
	struct hub_lines *owner;
	int fd;
	char in[HUB_LINE_MAX + 1];
	size_t in_len;
	char out[HUB_REPLY_MAX + 1];
	size_t out_len, out_off;
	uint64_t since_ms;
};

struct hub_lines {
	const char *what;	/* "admin", "sim": for the log */
	int fd;
	hub_line_fn fn;
	void *arg;
	struct hub_line_conn c[HUB_LINE_CONNS];
};

/* Listen on path (an old socket there is replaced) with mode. */
int hub_lines_open(struct hub_lines *l, const char *what, const char *path, unsigned mode,
		   hub_line_fn fn, void *arg, struct pt_errbuf *err);
void hub_lines_close(struct hub_lines *l, const char *path);
void hub_lines_poll(struct hub_lines *l, struct hub_poll *p);
uint64_t hub_lines_deadline(const struct hub_lines *l);
void hub_lines_tick(struct hub_lines *l, uint64_t now_ms);

/* A client for the above: send line, read one reply line. 0 or -1. */
int hub_lines_request(const char *path, const char *line, char *reply, size_t cap,
		      struct pt_errbuf *err);

/* ---- the link listener (listen.c) ---- */

struct hub;
struct hub_link;

/*
 * A link connection as the core sees it: an id for the log, and the
 * exchange's state. The listener owns the socket and its buffers.
 */
struct hub_session {
	uint64_t id;			/* correlation id: conn=N in logs and events */
	bool has_challenge;		/* a HELLO was answered */
	struct pt_challenge ch;		/* the outstanding challenge */
	bool panic_only;		/* it was asked for a PANIC: no PROOF on it */
	char lock[PT_ID_MAX + 1];	/* the lock the HELLO asked for */
};

/* The core's answer to one frame. */
enum hub_verdict {
	HUB_KEEP = 0,	/* reply queued (or none); keep the connection */
	HUB_CLOSE = 1,	/* reply queued; close once it is written */
	HUB_WAIT = 2,	/* no reply yet: the core answers later with
			 * hub_link_reply (a grant waiting for the alarm
			 * panel); nothing more is read until then */
};

/* listen.c calls the core for each complete frame. The core writes at
 * most one reply frame to out (*out_len = 0: none). */
int hub_on_frame(struct hub *h, struct hub_session *s, const uint8_t *frame, size_t len,
		 uint8_t *out, size_t *out_len);
/* After each frame's answer is sent (or could not be), before anything
 * else is read: the door's part of a grant whose DECISION went first
 * (hub.c, "The order that matters"). Nothing to do: returns at once. */
void hub_after_answer(struct hub *h);
/* A frame the reader refused before the core could see it (too-large,
 * malformed prefix), or an error answered by the listener itself. */
void hub_on_frame_error(struct hub *h, struct hub_session *s, int reason);

int hub_link_open(struct hub_link **out, struct hub *h, const struct hub_config *cfg,
		  struct pt_errbuf *err);
void hub_link_close(struct hub_link *l);
void hub_link_poll(struct hub_link *l, struct hub_poll *p);
uint64_t hub_link_deadline(const struct hub_link *l);
void hub_link_tick(struct hub_link *l, uint64_t now_ms);
/* The answer to a frame the core took with HUB_WAIT: queue frame on
 * connection conn_id and read again. -1 if that connection is gone or
 * was not waiting. */
int hub_link_reply(struct hub_link *l, uint64_t conn_id, const uint8_t *frame, size_t len);
/* listen.c tells the core that a connection waiting for its answer
 * closed (the peer left, or shutdown). */
void hub_on_session_closed(struct hub *h, const struct hub_session *s);
/* The TCP port bound (0 if no TCP listener), for -R. */
unsigned hub_link_tcp_port(const struct hub_link *l);
/* Apply what SIGHUP may change (idle timeout). */
void hub_link_reconfigure(struct hub_link *l, const struct hub_config *cfg);

/* ---- the uplink seam: MQTT to porterd (uplink.c) ----
 *
 * The core calls the uplink from the loop: poll, deadline and tick as for
 * the drivers, and events_appended whenever new events are in the chain,
 * so it can forward the outbox (hub_state_event_list(unsent_only) /
 * hub_state_event_mark_sent on porterd's ack). Downward traffic
 * (owner-signed revocations, remote lock and unlock, time beacons, live
 * view requests) is decoded by the uplink (lib/proto/mqtt.c) and handed
 * to the core (hub_on_revocations, hub_on_command, hub_on_time, hub_on_live
 * below), which checks every signature itself: the server relays, it
 * cannot forge.
 */
struct hub_uplink_ops {
	void (*poll)(void *up, struct hub_poll *p);
	uint64_t (*deadline)(void *up);		/* UINT64_MAX: none */
	void (*tick)(void *up, uint64_t now_ms);
	void (*events_appended)(void *up, int64_t last_seq);
	void (*close)(void *up);
	bool (*connected)(void *up);		/* connected and subscribed: porterd can answer */
};

/* Start the uplink if [mqtt] broker is set (else do nothing): checks the
 * password file (mode 0600) and the TLS files, then attaches itself with
 * hub_uplink_set and connects in the background (never blocking the
 * loop). 0 or -1 (err). */
int hub_uplink_open(struct hub *h, const struct hub_config *cfg, struct pt_errbuf *err);

/* ---- the core (hub.c) ---- */

/* Open the state, the key (created on first start), the zone, the
 * drivers, the admin socket and the link listeners. 0 or -1 (err). */
int hub_open(struct hub **out, const struct hub_config *cfg, struct pt_errbuf *err);
/* Refuse a grant still waiting for the panel (hub-stop: the device gets
 * its answer, the unbypass goes out), then sign a final checkpoint, log
 * hub.stop, release everything. */
void hub_close(struct hub *h);
/* Everything the loop watches this turn. */
void hub_poll(struct hub *h, struct hub_poll *p);
/* The earliest deadline of the door machine, drivers, connections,
 * lockout and pairing (monotonic ms; UINT64_MAX: none). */
uint64_t hub_deadline(struct hub *h);
/* Time passes: fire what is due. */
void hub_tick(struct hub *h, uint64_t now_ms);
/* SIGHUP: take the values that may change live from cfg. */
void hub_reconfigure(struct hub *h, const struct hub_config *cfg);
unsigned hub_tcp_port(const struct hub *h);
/* Attach the uplink (taken: closed by hub_close). */
void hub_uplink_set(struct hub *h, const struct hub_uplink_ops *ops, void *up);

/* ---- the core's side of the uplink (hub.c) ---- */

/* Borrowed, valid until hub_close. */
struct hub_state *hub_store(struct hub *h);
const char *hub_id_get(const struct hub *h);
/* Record an event (data taken; canonical JSON), appended at the end of
 * this loop turn like every other. */
void hub_event(struct hub *h, const char *type, json_t *data);
/* The state to publish now (online; bolt, door, rev; at if the time is
 * trusted). */
void hub_mqtt_state(struct hub *h, struct pt_mqtt_state *s);
/* The hub's word on its home (PT_ENV_HUB_HOME, docs/mqtt.md "home"),
 * signed now by the hub key: the home it is paired with and the owner key
 * whose pairing it accepted. PT_OK; PT_ENOTFOUND while not paired (the
 * uplink then publishes an empty "home", clearing any retained one);
 * PT_EIO, or the signer's error. hub_home_gen moves at every pairing. */
int hub_home_statement(struct hub *h, uint8_t *out, size_t cap, size_t *out_len) PT_MUST_CHECK;
unsigned hub_home_gen(const struct hub *h);
/* Sign a batch (its checkpoint signature, with the hub key) and store the
 * checkpoint with its events. PT_OK or the error (b->sig zeroed). */
int hub_sign_batch(struct hub *h, struct pt_mqtt_events *b) PT_MUST_CHECK;
/* A revocations message (decoded, nothing verified): each entry above the
 * hub's version verified with the owner keys and stored; the version and
 * the freshness moved as docs/mqtt.md says; an event per entry. */
void hub_on_revocations(struct hub *h, const struct pt_mqtt_revocations *m);
/* A revocations payload as it came: decoded strictly (the error if not:
 * nothing done) and handed to hub_on_revocations; before the hub is
 * paired, the last one is held (a copy) and applied at the pairing,
 * before the held owners message. */
int hub_on_revocations_msg(struct hub *h, const uint8_t *p, size_t len) PT_MUST_CHECK;
/* An owners message (docs/mqtt.md; the payload as it came): decoded
 * strictly, then each owner statement verified against the owner keys
 * the hub trusts (so an endorsed key may endorse the next), none revoked,
 * for this home, with no age limit; each new key becomes a root with its
 * statement as evidence. Events owner.add and owner.refuse. */
void hub_on_owners(struct hub *h, const uint8_t *p, size_t len);
/* A remote command (decoded, nothing verified): verified, its nonce
 * recorded, then the door machine; the outcome is an event. */
void hub_on_command(struct hub *h, const struct pt_mqtt_command *c);
/* A live view request (docs/live.md, "The hub"): the payload of
 * porter/v1/hub/<id>/live as it came, one PT_ENV_LIVE envelope. Verified
 * against the owner roots, fresh, not expired, at most
 * PT_LIVE_SECONDS_MAX long, for our camera, its session id never seen
 * (recorded durably first); then the event live.start and, once it has
 * its seq, the order signed by the hub key on [camera] marks. A refusal
 * is a live.refused event (one a second at most; the ones dropped are
 * counted in the next) and changes nothing else. */
void hub_on_live(struct hub *h, const uint8_t *p, size_t len);
/* An owner's answer (PT_ENV_APPROVAL, as porterd relayed it) to a request
 * for approval: approval.answer, or approval.refuse (docs/alarm.md). */
void hub_on_approval(struct hub *h, const uint8_t *p, size_t len);
/* An owner's pairing relayed by porterd (porter/v1/hub/<id>/pair: a link
 * PAIR's body, pt_link_pair_body_decode), judged by the same checks as a
 * PAIR at the door, except the lockout: it neither counts nor is blocked
 * (a server must not lock couriers out). Already paired, or no code
 * shown: dropped with one log line, no event. Else pairing.ok or
 * pairing.refuse, with "via": "uplink" (docs/hub.md, "Pairing"). */
void hub_on_pair_uplink(struct hub *h, const uint8_t *p, size_t len);
/* A time beacon: drift detection only, never the clock. true: the state
 * should be published again (porterd's version differs from ours). */
bool hub_on_time(struct hub *h, const struct pt_mqtt_time *t);

/* The hub's identity, for `porter-hub -V` and the pair command. */
void hub_id_from_key(const uint8_t pk[PT_PK_LEN], char out[PT_ID_MAX + 1]);
/* Load or create the hub key (0600), NULL on failure (err set). */
struct pt_secret *hub_key_load(const struct hub_config *cfg, bool create, bool *created,
			       struct pt_errbuf *err);

#endif
