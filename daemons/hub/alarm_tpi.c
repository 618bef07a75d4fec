/*
 * daemons/hub/alarm_tpi.c: the "envisalink" alarm panel driver: a DSC
 * PowerSeries panel through an EnvisaLink's TPI (Third Party Interface)
 * over TCP (docs/alarm-panels.md; the line codec is lib/proto/tpi.c).
 *
 * One TCP connection, non-blocking, in the hub's poll loop: connect, wait
 * for the login prompt (505 3), send the password (005), and once it is
 * accepted (505 1) ask for a status report (001). A poll (000) goes every
 * [alarm] envisalink_keepalive; a panel silent for three times that, a
 * refused login or a line that is not TPI closes the connection, the
 * state becomes unknown and the driver reconnects with a growing delay
 * (1 s .. 60 s).
 *
 * Zone bypass, as DSC does it: only while the partition is disarmed ("zones
 * cannot be bypassed once the system is armed", the PowerSeries user
 * manual), with the keypad's [*][1], the zone's two digits, [#], sent as
 * keystrokes (071). [*][1] toggles, so the driver first learns which zones
 * are bypassed: leaving bypass mode makes the EnvisaLink send the bitfield
 * (616), and [*][1] then [#] does just that (once per connection, when a
 * bypass is first asked for; a disarm clears every bypass, so the driver
 * knows it then without asking). A panel programmed to want a code for
 * bypassing asks for it after [*][1] (900); the driver answers with the
 * access code (200) before it sends the zone, which is why [*][1] goes
 * alone first. The outcome is the next 616: a zone whose bit did not move
 * was refused by the panel. While the partition is armed, can_bypass() is
 * false and bypass() refuses (PT_EUNSUPPORTED). An arm or disarm asked for
 * during those keystrokes waits for them to end.
 *
 * The secrets (the TPI password, the access code) stay in their 0600
 * files: read when a line needs them, wiped from memory once written.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "porter/crypto.h"
#include "porter/tpi.h"
#include "hub.h"

#define BACKOFF_FIRST_MS 1000u
#define BACKOFF_MAX_MS 60000u
#define CODE_WAIT_MS 400u	/* after [*][1]: does the panel ask for a code (900)? */
#define TX_CAP 1024u
#define SECRET_CAP 64u

enum conn { T_WAITING = 0, T_CONNECTING, T_LOGIN, T_READY };

enum op {
	OP_NONE = 0,
	OP_ARM,		/* 030/031: done at 656 or 652 */
	OP_DISARM,	/* 040: done at 655 */
	OP_TRIGGER,	/* 060 3: done at its ack */
	OP_DUMP,	/* 071 *1#: done at 616 */
	OP_BYPASS,	/* 071 *1, (900 -> 200), 071 NN#: done at 616 */
};

/* The steps of a bypass. */
enum step { S_NONE = 0, S_STAR1_SENT, S_CODE_WAIT, S_CODE_SENT, S_ZONE_SENT };

struct tpi {
	struct hub_alarm_sink sink;
	struct sockaddr_storage addr;
	unsigned addr_len;
	char addr_text[HUB_ADDR_MAX];
	char password_file[PATH_MAX];
	char code_file[PATH_MAX];
	unsigned partition;
	uint32_t keepalive_ms, timeout_ms;

	enum conn conn;
	int fd;
	uint32_t backoff_ms;
	uint64_t next_try_ms;	/* T_WAITING */
	uint64_t login_by_ms;	/* T_CONNECTING, T_LOGIN */
	uint64_t last_rx_ms;
	uint64_t next_poll_ms;
	uint8_t rx[PT_TPI_LINE_MAX + 2];
	size_t rx_len;
	uint8_t tx[TX_CAP];
	size_t tx_len;

	/* what the panel said (this connection) */
	int state;		/* enum hub_alarm_state */
	bool reported;		/* a partition state came in */
	bool armed, exit_delay, entry_delay, in_alarm, panic;
	int armed_state;
	bool bypass_known;
	uint64_t bypassed;	/* bit z-1 */
	uint64_t dump_after_ms;	/* do not ask for the bitfield again before */

	/* the command in progress, and bypasses asked for */
	enum op op;
	enum step step;
	unsigned op_zone;
	bool op_on;
	uint64_t op_deadline_ms;
	uint64_t step_at_ms;
	uint64_t want_mask, want_on;	/* bypass(zone, on) not yet sent */
	enum op queued;			/* an arm or disarm waiting for keystrokes to end */
	int queued_state;
	uint64_t echo_mask;		/* already so: report at the next tick */
};

/* ---- secrets ---- */

/* The first line of a file only the hub may read (mode 0600). */
static int
read_secret(const char *what, const char *path, char *out, size_t cap, size_t *len,
	    struct pt_errbuf *err)
{
	char key[64];

	(void)snprintf(key, sizeof(key), "alarm.%s", what);
	return pt_secret_line(key, path, out, cap, len, err);
}

static int
read_password(const char *path, char *out, size_t cap, size_t *len, struct pt_errbuf *err)
{
	size_t i;

	if (read_secret("envisalink_password_file", path, out, cap, len, err) != 0)
		return -1;
	for (i = 0; i < *len; i++)
		if ((unsigned char)out[i] < 0x21 || (unsigned char)out[i] > 0x7e)
			break;
	if (*len == 0 || *len > PT_TPI_PASSWORD_MAX || i < *len) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.envisalink_password_file: '%.100s': the TPI password is 1..6"
			       " printable characters without spaces (the EnvisaLink takes no more)",
			       path);
		pt_wipe(out, cap);
		return -1;
	}
	return 0;
}

static int
read_code(const char *path, char *out, size_t cap, size_t *len, struct pt_errbuf *err)
{
	if (read_secret("envisalink_code_file", path, out, cap, len, err) != 0)
		return -1;
	if (!pt_tpi_code_is_valid(out, *len)) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.envisalink_code_file: '%.100s': a DSC access code is 4 or 6 digits",
			       path);
		pt_wipe(out, cap);
		return -1;
	}
	return 0;
}

/* ---- sending ---- */

static void disconnect(struct tpi *t, uint64_t now, const char *why);
static int start_arm(struct tpi *t, int state, uint64_t now);
static int start_disarm(struct tpi *t, uint64_t now);

static void
flush_tx(struct tpi *t, uint64_t now)
{
	ssize_t n;

	while (t->tx_len > 0 && t->fd >= 0) {
		n = send(t->fd, t->tx, t->tx_len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			disconnect(t, now, strerror(errno));
			return;
		}
		memmove(t->tx, t->tx + n, t->tx_len - (size_t)n);
		/* What moved down leaves a copy at the end: it may be a code. */
		pt_wipe(t->tx + t->tx_len - (size_t)n, (size_t)n);
		t->tx_len -= (size_t)n;
	}
}

/* Queue one line; secret: the data is a password or a code (not logged). */
static int
send_line(struct tpi *t, unsigned cmd, const char *data, size_t len, bool secret, uint64_t now)
{
	uint8_t line[PT_TPI_DATA_MAX + 8];
	size_t n;
	int r;

	if ((r = pt_tpi_encode(cmd, data, len, line, sizeof(line), &n)) != PT_OK)
		return r;
	if (t->tx_len + n > sizeof(t->tx)) {
		pt_wipe(line, sizeof(line));
		hlog(HLOG_WARN, "event=alarm_tpi note=\"send buffer full: the panel does not read\"");
		return PT_ENOSPC;
	}
	memcpy(t->tx + t->tx_len, line, n);
	t->tx_len += n;
	pt_wipe(line, sizeof(line));
	if (secret)
		hlog(HLOG_DEBUG, "event=alarm_tpi tx=%03u data=(secret)", cmd);
	else
		hlog(HLOG_DEBUG, "event=alarm_tpi tx=%03u data=\"%.*s\"", cmd, (int)len,
		     data != NULL ? data : "");
	flush_tx(t, now);
	return PT_OK;
}

/* A command with the partition and then the access code from its file. */
static int
send_with_code(struct tpi *t, unsigned cmd, bool with_partition, uint64_t now)
{
	char buf[SECRET_CAP + 2], *code = with_partition ? buf + 1 : buf;
	struct pt_errbuf err;
	size_t len;
	int r;

	if (t->code_file[0] == '\0') {
		hlog(HLOG_WARN, "event=alarm_tpi note=\"the panel wants a code and"
				" alarm.envisalink_code_file is not set\"");
		return PT_EINVAL;
	}
	if (read_code(t->code_file, code, SECRET_CAP, &len, &err) != 0) {
		hlog(HLOG_ERR, "event=alarm_tpi error=\"%s\"", err.msg);
		return PT_EIO;
	}
	if (with_partition) {
		buf[0] = (char)('0' + t->partition);
		len++;
	}
	r = send_line(t, cmd, buf, len, true, now);
	pt_wipe(buf, sizeof(buf));
	return r;
}

/* ---- what the hub hears ---- */

static void
set_state(struct tpi *t, int state)
{
	bool first = !t->reported;

	t->reported = true;
	if (state == t->state && !first)
		return;
	t->state = state;
	t->sink.state(t->sink.arg, state);
}

static void
op_done(struct tpi *t)
{
	t->op = OP_NONE;
	t->step = S_NONE;
	t->op_zone = 0;
	t->op_deadline_ms = UINT64_MAX;
}

static void
op_fail(struct tpi *t, const char *what)
{
	char w[96];

	if (t->op == OP_BYPASS) {
		(void)snprintf(w, sizeof(w), "bypass zone %u %s: %s", t->op_zone,
			       t->op_on ? "on" : "off", what);
		what = w;
	}
	if (t->op != OP_NONE && t->op != OP_DUMP)
		t->sink.failed(t->sink.arg, what);
	else
		hlog(HLOG_WARN, "event=alarm_tpi note=\"%s\"", what);
	op_done(t);
}

/* Every bypass asked for and not done: refused, with why. */
static void
fail_wants(struct tpi *t, const char *why)
{
	char w[96];
	unsigned z;

	for (z = 1; z <= PT_TPI_ZONES; z++) {
		uint64_t bit = (uint64_t)1 << (z - 1);
		if (!(t->want_mask & bit))
			continue;
		t->want_mask &= ~bit;
		(void)snprintf(w, sizeof(w), "bypass zone %u %s: %s", z,
			       (t->want_on & bit) ? "on" : "off", why);
		t->sink.failed(t->sink.arg, w);
	}
}

static bool
is_disarmed(const struct tpi *t)
{
	return t->reported && !t->armed && !t->exit_delay && !t->entry_delay && !t->in_alarm &&
	       !t->panic;
}

/* A command made of keystrokes, [*][1] first: a bypass, or the dump. */
static bool
keyed(const struct tpi *t)
{
	return t->op == OP_BYPASS || t->op == OP_DUMP;
}

static void
on_bypass_dump(struct tpi *t, uint64_t bits)
{
	uint64_t changed = bits ^ t->bypassed;	/* against what the hub was told */
	unsigned z;

	t->bypassed = bits;
	t->bypass_known = true;
	for (z = 1; z <= PT_TPI_ZONES; z++) {
		uint64_t bit = (uint64_t)1 << (z - 1);
		if (changed & bit)
			t->sink.bypassed(t->sink.arg, z, (bits & bit) != 0);
	}
	if (t->op == OP_DUMP) {
		op_done(t);
	} else if (t->op == OP_BYPASS && t->step >= S_ZONE_SENT) {
		uint64_t bit = (uint64_t)1 << (t->op_zone - 1);
		if (((bits & bit) != 0) != t->op_on)
			op_fail(t, "the panel did not change it (the zone may not be bypassable)");
		else
			op_done(t);
	}
	/* Asked for a state it is in already: say so now. */
	t->echo_mask |= t->want_mask & ~(t->want_on ^ bits);
	t->want_mask &= ~t->echo_mask;
}

/* A DSC panel clears every bypass when it is disarmed (the PowerSeries
 * manuals): no need to send keystrokes to learn it. */
static void
bypasses_cleared(struct tpi *t)
{
	uint64_t was = t->bypassed;
	unsigned z;

	t->bypassed = 0;
	for (z = 1; z <= PT_TPI_ZONES; z++)
		if (was & ((uint64_t)1 << (z - 1)))
			t->sink.bypassed(t->sink.arg, z, false);
}

static void
on_partition(struct tpi *t, const struct pt_tpi_msg *m, uint64_t now)
{
	switch (m->pstate) {
	case PT_TPI_P_READY:
	case PT_TPI_P_NOT_READY:
	case PT_TPI_P_FORCE_READY:
		/* The Ready light: only meaningful while disarmed. */
		if (!t->armed && !t->exit_delay && !t->entry_delay && !t->in_alarm && !t->panic)
			set_state(t, HUB_ALARM_DISARMED);
		break;
	case PT_TPI_P_ALARM:
		t->in_alarm = true;
		set_state(t, HUB_ALARM_TRIGGERED);
		break;
	case PT_TPI_P_DISARMED: {
		bool was_armed = t->armed || t->exit_delay || t->entry_delay || t->in_alarm;
		t->armed = t->exit_delay = t->entry_delay = t->in_alarm = t->panic = false;
		set_state(t, HUB_ALARM_DISARMED);
		if (was_armed)
			bypasses_cleared(t);
		if (t->op == OP_DISARM)
			op_done(t);
		break;
	}
	case PT_TPI_P_EXIT_DELAY:
	case PT_TPI_P_ARMING:
		t->exit_delay = true;
		set_state(t, HUB_ALARM_ARMING);
		if (t->op == OP_ARM)
			op_done(t);
		break;
	case PT_TPI_P_ENTRY_DELAY:
		t->entry_delay = true;
		set_state(t, HUB_ALARM_PENDING);
		break;
	case PT_TPI_P_ARM_FAILED:
	case PT_TPI_P_FAILURE_TO_ARM:
		if (t->op == OP_ARM)
			op_fail(t, "the panel failed to arm");
		break;
	case PT_TPI_P_INVALID_CODE:
		if (t->op != OP_NONE)
			op_fail(t, "the panel says the access code is invalid");
		break;
	case PT_TPI_P_NOT_AVAILABLE:
		if (t->op != OP_NONE)
			op_fail(t, "the panel says the function is not available");
		break;
	case PT_TPI_P_LOCKOUT:
		if (t->op != OP_NONE)
			op_fail(t, "the keypad is locked out");
		break;
	case PT_TPI_P_BUSY:
		if (t->op != OP_NONE)
			op_fail(t, "the partition is busy");
		break;
	default:
		break;
	}
	(void)now;
}

static void
on_line(struct tpi *t, const uint8_t *line, size_t len, uint64_t now)
{
	struct pt_tpi_msg m;
	char pw[SECRET_CAP];
	struct pt_errbuf err;
	size_t pl;
	int r;

	if ((r = pt_tpi_decode(line, len, &m)) != PT_OK) {
		hlog(HLOG_WARN, "event=alarm_tpi result=refuse reason=%s bytes=%zu", pt_err_code(r), len);
		return;
	}
	t->last_rx_ms = now;
	hlog(HLOG_DEBUG, "event=alarm_tpi rx=%03u", m.code);
	if (m.kind == PT_TPI_LOGIN_RESULT) {
		switch (m.login) {
		case 3:	/* send the password */
			if (read_password(t->password_file, pw, sizeof(pw), &pl, &err) != 0) {
				hlog(HLOG_ERR, "event=alarm_tpi error=\"%s\"", err.msg);
				disconnect(t, now, "no password");
				return;
			}
			(void)send_line(t, PT_TPI_LOGIN, pw, pl, true, now);
			pt_wipe(pw, sizeof(pw));
			return;
		case 1:
			t->conn = T_READY;
			t->backoff_ms = BACKOFF_FIRST_MS;
			t->next_poll_ms = now + t->keepalive_ms;
			hlog(HLOG_INFO, "event=alarm_tpi state=logged-in panel=%s", t->addr_text);
			(void)send_line(t, PT_TPI_STATUS, NULL, 0, false, now);
			return;
		case 0:
			hlog(HLOG_ERR, "event=alarm_tpi state=login-refused panel=%s note=\"wrong"
				       " password (or checksum)\"", t->addr_text);
			disconnect(t, now, "login refused");
			return;
		default:
			disconnect(t, now, "login timed out at the panel");
			return;
		}
	}
	if (t->conn != T_READY)
		return;	/* nothing counts before the login */
	switch (m.kind) {
	case PT_TPI_ACK:
		if (t->op == OP_TRIGGER && m.ack == PT_TPI_PANIC)
			op_done(t);
		else if (keyed(t) && t->step == S_STAR1_SENT && m.ack == PT_TPI_KEYS) {
			t->step = S_CODE_WAIT;
			t->step_at_ms = now + CODE_WAIT_MS;
		} else if (keyed(t) && t->step == S_CODE_SENT && m.ack == PT_TPI_CODE_SEND) {
			t->step_at_ms = now;	/* the zone now */
		}
		return;
	case PT_TPI_CMD_ERROR:
		if (t->op != OP_NONE)
			op_fail(t, "the EnvisaLink refused the command's checksum");
		return;
	case PT_TPI_SYS_ERROR: {
		char w[64];
		(void)snprintf(w, sizeof(w), "the panel answered system error %03u", m.error);
		if (t->op != OP_NONE)
			op_fail(t, w);
		else
			hlog(HLOG_WARN, "event=alarm_tpi note=\"%s\"", w);
		return;
	}
	case PT_TPI_CODE_REQUIRED:
		if (t->op == OP_NONE) {
			hlog(HLOG_WARN, "event=alarm_tpi note=\"the panel asks for a code nobody"
					" here asked to give\"");
			return;
		}
		if (send_with_code(t, PT_TPI_CODE_SEND, false, now) != PT_OK) {
			op_fail(t, "the panel wants an access code (alarm.envisalink_code_file)");
			return;
		}
		if (keyed(t)) {
			t->step = S_CODE_SENT;
			t->step_at_ms = UINT64_MAX;	/* the zone once 200 is acked */
		}
		return;
	case PT_TPI_ZONE_OPEN:
		t->sink.zone(t->sink.arg, m.zone, m.on);
		return;
	case PT_TPI_BYPASS_DUMP:
		on_bypass_dump(t, m.bypassed);
		return;
	case PT_TPI_ARMED:
		if (m.partition != t->partition)
			return;
		t->armed = true;
		t->exit_delay = t->entry_delay = false;
		t->armed_state = (m.mode == PT_TPI_ARM_MODE_STAY || m.mode == PT_TPI_ARM_MODE_ZERO_STAY)
					 ? HUB_ALARM_ARMED_HOME
					 : HUB_ALARM_ARMED_AWAY;
		if (!t->in_alarm && !t->panic)
			set_state(t, t->armed_state);
		if (t->op == OP_ARM)
			op_done(t);
		return;
	case PT_TPI_PARTITION:
		if (m.partition == t->partition)
			on_partition(t, &m, now);
		return;
	case PT_TPI_PANIC_ALARM:
		if (m.on && m.key == 'P') {
			/* The panic key's alarm (what trigger() sends); its restore
			 * comes at once on DSC panels, so only a disarm ends it. */
			t->panic = true;
			set_state(t, HUB_ALARM_TRIGGERED);
		}
		return;
	default:
		return;	/* zone alarm / tamper / fault, users, LEDs, troubles: not ours */
	}
}

/* ---- the connection ---- */

static void
disconnect(struct tpi *t, uint64_t now, const char *why)
{
	bool was_ready = t->conn == T_READY;

	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	pt_wipe(t->tx, sizeof(t->tx));
	t->tx_len = 0;
	t->rx_len = 0;
	t->conn = T_WAITING;
	t->next_try_ms = now + t->backoff_ms;
	hlog(HLOG_WARN, "event=alarm_tpi state=disconnected panel=%s why=\"%s\" retry_in_ms=%u",
	     t->addr_text, why, t->backoff_ms);
	t->backoff_ms = t->backoff_ms >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS : t->backoff_ms * 2;
	if (t->op != OP_NONE)
		op_fail(t, "the panel's connection closed");
	if (t->queued != OP_NONE)
		t->sink.failed(t->sink.arg, "the panel's connection closed");
	t->queued = OP_NONE;
	fail_wants(t, "the panel's connection closed");
	t->echo_mask = 0;
	t->armed = t->exit_delay = t->entry_delay = t->in_alarm = t->panic = false;
	t->bypass_known = false;
	t->dump_after_ms = 0;
	if (t->reported || was_ready) {
		t->reported = false;
		if (t->state != HUB_ALARM_UNKNOWN) {
			t->state = HUB_ALARM_UNKNOWN;
			t->sink.state(t->sink.arg, HUB_ALARM_UNKNOWN);
		}
	}
}

static void
start_connect(struct tpi *t, uint64_t now)
{
	int fd, one = 1;

	fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		disconnect(t, now, strerror(errno));
		return;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	t->fd = fd;
	t->login_by_ms = now + t->timeout_ms;
	t->last_rx_ms = now;
	if (connect(fd, (const struct sockaddr *)&t->addr, t->addr_len) == 0) {
		t->conn = T_LOGIN;
		return;
	}
	if (errno != EINPROGRESS) {
		disconnect(t, now, strerror(errno));
		return;
	}
	t->conn = T_CONNECTING;
	hlog(HLOG_DEBUG, "event=alarm_tpi state=connecting panel=%s", t->addr_text);
}

static void
on_readable(struct tpi *t, uint64_t now)
{
	size_t ll, used;
	ssize_t n;
	int r;

	n = recv(t->fd, t->rx + t->rx_len, sizeof(t->rx) - t->rx_len, 0);
	if (n == 0) {
		disconnect(t, now, "the panel closed the connection");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			disconnect(t, now, strerror(errno));
		return;
	}
	t->rx_len += (size_t)n;
	for (;;) {
		if ((r = pt_tpi_line_scan(t->rx, t->rx_len, &ll, &used)) != PT_OK) {
			disconnect(t, now, "a line longer than any TPI message");
			return;
		}
		if (used == 0)
			return;
		if (ll > 0)
			on_line(t, t->rx, ll, now);
		if (t->fd < 0)
			return;	/* on_line disconnected */
		memmove(t->rx, t->rx + used, t->rx_len - used);
		t->rx_len -= used;
	}
}

static void
on_socket(void *arg, short revents)
{
	struct tpi *t = arg;
	uint64_t now = hub_mono_ms();
	socklen_t sl = sizeof(int);
	int e = 0;

	if (t->conn == T_CONNECTING) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return;
		if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &e, &sl) != 0 || e != 0) {
			disconnect(t, now, e != 0 ? strerror(e) : "connect failed");
			return;
		}
		t->conn = T_LOGIN;
		hlog(HLOG_DEBUG, "event=alarm_tpi state=connected panel=%s", t->addr_text);
		return;
	}
	if (revents & (POLLIN | POLLERR | POLLHUP))
		on_readable(t, now);
	if (t->fd >= 0 && (revents & POLLOUT))
		flush_tx(t, now);
}

/* ---- the ops ---- */

static void
tpi_poll(void *drv, struct hub_poll *p)
{
	struct tpi *t = drv;

	if (t->fd < 0)
		return;
	if (t->conn == T_CONNECTING)
		hub_poll_add(p, t->fd, POLLOUT, on_socket, t);
	else
		hub_poll_add(p, t->fd, (short)(POLLIN | (t->tx_len > 0 ? POLLOUT : 0)), on_socket, t);
}

static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t
tpi_deadline(void *drv)
{
	struct tpi *t = drv;
	uint64_t d;

	switch (t->conn) {
	case T_WAITING:
		return t->next_try_ms;
	case T_CONNECTING:
	case T_LOGIN:
		return t->login_by_ms;
	case T_READY:
		break;
	}
	if (t->echo_mask != 0 || (t->op == OP_NONE && t->queued != OP_NONE))
		return 0;
	d = min64(t->next_poll_ms, t->last_rx_ms + 3u * (uint64_t)t->keepalive_ms);
	d = min64(d, t->op_deadline_ms);
	if (keyed(t) && (t->step == S_CODE_WAIT || t->step == S_CODE_SENT))
		d = min64(d, t->step_at_ms);
	if (t->op == OP_NONE && t->want_mask != 0)
		d = min64(d, t->bypass_known ? 0 : t->dump_after_ms);
	return d;
}

static void
start_op(struct tpi *t, enum op op, uint64_t now)
{
	t->op = op;
	t->step = S_NONE;
	t->op_deadline_ms = now + t->timeout_ms;
}

/* The next bypass asked for: learn the bitfield first, then toggle. */
static void
next_bypass(struct tpi *t, uint64_t now)
{
	char keys[PT_TPI_KEYS_MAX + 2];
	unsigned z;

	if (!is_disarmed(t)) {
		if (t->want_mask != 0)
			fail_wants(t, "the partition is armed: DSC bypasses zones only while disarmed");
		return;
	}
	if (!t->bypass_known) {
		if (now < t->dump_after_ms)
			return;
		/* [*][1] then [#] (in two, like a toggle: a panel that wants a
		 * code asks for it after [*][1]). */
		start_op(t, OP_DUMP, now);
		t->dump_after_ms = now + t->keepalive_ms;	/* not in a loop if none comes */
		keys[0] = (char)('0' + t->partition);
		keys[1] = '*';
		keys[2] = '1';
		t->step = S_STAR1_SENT;
		(void)send_line(t, PT_TPI_KEYS, keys, 3, false, now);
		return;
	}
	for (z = 1; z <= PT_TPI_ZONES; z++)
		if (t->want_mask & ((uint64_t)1 << (z - 1)))
			break;
	if (z > PT_TPI_ZONES)
		return;
	t->want_mask &= ~((uint64_t)1 << (z - 1));
	start_op(t, OP_BYPASS, now);
	t->op_zone = z;
	t->op_on = (t->want_on >> (z - 1)) & 1u;
	if ((((t->bypassed >> (z - 1)) & 1u) != 0) == t->op_on) {
		op_done(t);
		t->sink.bypassed(t->sink.arg, z, t->op_on);
		return;
	}
	/* [*][1] alone first: a panel that wants a code asks for it now. */
	keys[0] = (char)('0' + t->partition);
	keys[1] = '*';
	keys[2] = '1';
	t->step = S_STAR1_SENT;
	(void)send_line(t, PT_TPI_KEYS, keys, 3, false, now);
}

static void
send_zone_keys(struct tpi *t, uint64_t now)
{
	char keys[PT_TPI_KEYS_MAX + 2], k[PT_TPI_KEYS_MAX + 1];
	size_t n;

	if (pt_tpi_bypass_keys(t->op == OP_DUMP ? 0 : t->op_zone, k, &n) != PT_OK) {
		op_fail(t, "no such zone");
		return;
	}
	/* "*1NN#" (or "*1#") without the "*1" already sent: "NN#" ("#"). */
	keys[0] = (char)('0' + t->partition);
	memcpy(keys + 1, k + 2, n - 2);
	t->step = S_ZONE_SENT;
	t->step_at_ms = UINT64_MAX;
	(void)send_line(t, PT_TPI_KEYS, keys, n - 1, false, now);
}

static void
tpi_tick(void *drv, uint64_t now)
{
	struct tpi *t = drv;
	unsigned z;

	switch (t->conn) {
	case T_WAITING:
		if (now >= t->next_try_ms)
			start_connect(t, now);
		return;
	case T_CONNECTING:
	case T_LOGIN:
		if (now >= t->login_by_ms)
			disconnect(t, now, t->conn == T_CONNECTING ? "connect timed out"
								   : "no login within the timeout");
		return;
	case T_READY:
		break;
	}
	if (now >= t->last_rx_ms + 3u * (uint64_t)t->keepalive_ms) {
		disconnect(t, now, "the panel is silent");
		return;
	}
	if (now >= t->next_poll_ms) {
		t->next_poll_ms = now + t->keepalive_ms;
		(void)send_line(t, PT_TPI_POLL, NULL, 0, false, now);
		if (t->fd < 0)
			return;
	}
	if (t->echo_mask != 0) {
		uint64_t m = t->echo_mask;
		t->echo_mask = 0;
		for (z = 1; z <= PT_TPI_ZONES; z++)
			if (m & ((uint64_t)1 << (z - 1)))
				t->sink.bypassed(t->sink.arg, z, (t->want_on >> (z - 1)) & 1u);
	}
	if (t->op != OP_NONE && now >= t->op_deadline_ms) {
		op_fail(t, "the panel did not answer in time");
	}
	if (keyed(t) && (t->step == S_CODE_WAIT || t->step == S_CODE_SENT) && now >= t->step_at_ms)
		send_zone_keys(t, now);
	if (t->op == OP_NONE && t->queued != OP_NONE && t->fd >= 0) {
		enum op q = t->queued;
		t->queued = OP_NONE;
		if ((q == OP_ARM ? start_arm(t, t->queued_state, now) : start_disarm(t, now)) != PT_OK)
			t->sink.failed(t->sink.arg, q == OP_ARM ? "arm: cannot send" : "disarm: cannot send");
	}
	/* The bitfield is learnt when a bypass is first asked for, not on its
	 * own: every [*][1] shows on the keypads. */
	if (t->op == OP_NONE && t->queued == OP_NONE && t->fd >= 0 && t->want_mask != 0)
		next_bypass(t, now);
}

static bool
tpi_ready(void *drv)
{
	struct tpi *t = drv;

	return t->conn == T_READY && t->reported;
}

/* DSC: only a disarmed partition can bypass a zone. */
static bool
tpi_can_bypass(void *drv)
{
	struct tpi *t = drv;

	return tpi_ready(t) && is_disarmed(t);
}

static int
tpi_bypass(void *drv, unsigned zone, bool on, uint64_t now)
{
	struct tpi *t = drv;
	uint64_t bit;

	(void)now;
	if (zone < 1 || zone > PT_TPI_ZONES)
		return PT_EINVAL;
	if (!tpi_ready(t))
		return PT_EIO;
	if (!is_disarmed(t))
		return PT_EUNSUPPORTED;	/* the panel cannot: docs/alarm-panels.md */
	bit = (uint64_t)1 << (zone - 1);
	t->want_mask |= bit;
	t->want_on = on ? t->want_on | bit : t->want_on & ~bit;
	return PT_OK;	/* tick() sends it, one at a time */
}

static int
start_arm(struct tpi *t, int state, uint64_t now)
{
	char p[2] = {(char)('0' + t->partition), '\0'};
	int r;

	start_op(t, OP_ARM, now);
	r = send_line(t, state == HUB_ALARM_ARMED_AWAY ? PT_TPI_ARM_AWAY : PT_TPI_ARM_STAY, p, 1,
		      false, now);
	if (r != PT_OK)
		op_done(t);
	return r;
}

static int
start_disarm(struct tpi *t, uint64_t now)
{
	int r;

	start_op(t, OP_DISARM, now);
	if ((r = send_with_code(t, PT_TPI_DISARM, true, now)) != PT_OK)
		op_done(t);
	return r;
}

/* An arm or disarm while keystrokes are under way (a bypass, the bitfield)
 * waits for them: a command in the middle of [*][1] would land in the
 * keypad's bypass mode. Another arm or disarm in progress: a conflict. */
static int
queue_or_start(struct tpi *t, enum op op, int state, uint64_t now)
{
	if (!tpi_ready(t))
		return PT_EIO;
	if (t->op == OP_ARM || t->op == OP_DISARM || t->op == OP_TRIGGER || t->queued != OP_NONE)
		return PT_ECONFLICT;
	if (t->op != OP_NONE) {
		t->queued = op;
		t->queued_state = state;
		return PT_OK;
	}
	return op == OP_ARM ? start_arm(t, state, now) : start_disarm(t, now);
}

static int
tpi_arm(void *drv, int state, uint64_t now)
{
	if (state != HUB_ALARM_ARMED_HOME && state != HUB_ALARM_ARMED_AWAY)
		return PT_EINVAL;
	return queue_or_start(drv, OP_ARM, state, now);
}

static int
tpi_disarm(void *drv, uint64_t now)
{
	return queue_or_start(drv, OP_DISARM, 0, now);
}

static int
tpi_trigger(void *drv, uint64_t now)
{
	struct tpi *t = drv;

	if (!tpi_ready(t))
		return PT_EIO;
	/* An alarm goes before anything else in progress. */
	if (t->op != OP_NONE)
		op_fail(t, "cancelled by an alarm");
	start_op(t, OP_TRIGGER, now);
	return send_line(t, PT_TPI_PANIC, "3", 1, false, now);
}

static void
tpi_close(void *drv)
{
	struct tpi *t = drv;

	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);	/* no flush: nothing pending matters once the hub stops */
	pt_wipe(t, sizeof(*t));
	free(t);
}

static int
tpi_open(const struct hub_config *cfg, const struct hub_alarm_sink *sink, void **drv,
	 struct pt_errbuf *err)
{
	char secret[SECRET_CAP];
	struct tpi *t;
	size_t len;

	*drv = NULL;
	if (cfg->tpi_address[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.envisalink_address is not set (the EnvisaLink's ip:4025)");
		return -1;
	}
	if (cfg->tpi_password_file[0] == '\0') {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.envisalink_password_file is not set (a 0600 file with the TPI"
			       " password)");
		return -1;
	}
	/* Both files are checked now, so a mistake stops the start. */
	if (read_password(cfg->tpi_password_file, secret, sizeof(secret), &len, err) != 0)
		return -1;
	pt_wipe(secret, sizeof(secret));
	if (cfg->tpi_code_file[0] != '\0') {
		if (read_code(cfg->tpi_code_file, secret, sizeof(secret), &len, err) != 0)
			return -1;
		pt_wipe(secret, sizeof(secret));
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	if (config_parse_addr(cfg->tpi_address, &t->addr, &t->addr_len) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "alarm.envisalink_address: '%.100s' is not ip:port", cfg->tpi_address);
		free(t);
		return -1;
	}
	t->sink = *sink;
	(void)snprintf(t->addr_text, sizeof(t->addr_text), "%s", cfg->tpi_address);
	memcpy(t->password_file, cfg->tpi_password_file, sizeof(t->password_file));
	memcpy(t->code_file, cfg->tpi_code_file, sizeof(t->code_file));
	t->partition = cfg->tpi_partition;
	t->keepalive_ms = cfg->tpi_keepalive_ms;
	t->timeout_ms = cfg->tpi_timeout_ms;
	t->fd = -1;
	t->conn = T_WAITING;
	t->backoff_ms = BACKOFF_FIRST_MS;
	t->next_try_ms = 0;
	t->state = HUB_ALARM_UNKNOWN;
	t->op_deadline_ms = UINT64_MAX;
	*drv = t;
	hlog(HLOG_INFO, "event=alarm_tpi state=starting panel=%s partition=%u code=%s", t->addr_text,
	     t->partition, t->code_file[0] ? "yes" : "no");
	return 0;
}

const struct hub_alarm_ops hub_alarm_tpi = {
	.name = "envisalink",
	.open = tpi_open,
	.close = tpi_close,
	.ready = tpi_ready,
	.can_bypass = tpi_can_bypass,
	.bypass = tpi_bypass,
	.arm = tpi_arm,
	.disarm = tpi_disarm,
	.trigger = tpi_trigger,
	.poll = tpi_poll,
	.deadline = tpi_deadline,
	.tick = tpi_tick,
};
