/*
 * porter/tpi.h: the EnvisaLink TPI for DSC PowerSeries panels (the
 * "EnvisaLink TPI Programmer's Document", DSC version; docs/alarm-panels.md
 * says which parts porter-hub uses and why): the framing of one line and
 * the typed decoding of the messages the hub acts on. lib/proto/tpi.c.
 *
 * A line is ASCII: a 3-digit command, its data, a 2-character checksum,
 * CR LF. The checksum is the sum of the bytes of command and data, modulo
 * 256, as two upper-case hexadecimal digits: arm away partition 1 is
 * "0301" + "C4" + CR LF; the document's own example "0321C6" is command 032
 * with data "1". The EnvisaLink may put
 * a "HH:MM:SS " time stamp in front of a line (command 055); it is not part
 * of the checksum and is skipped here.
 *
 * Decoders are strict: the checksum must match, the command must be three
 * digits, and each message the hub acts on must carry exactly the data the
 * document gives it (digits where it says digits, hexadecimal where it says
 * hexadecimal, the right length); other commands decode as PT_TPI_OTHER
 * with their data left unread. A failing decoder zeroes its output and
 * returns PT_EMALFORMED, or PT_ETOOBIG for a line longer than
 * PT_TPI_LINE_MAX. Nothing here allocates or keeps state; every function
 * is safe from several threads on distinct outputs.
 */
#ifndef PORTER_TPI_H
#define PORTER_TPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/err.h"

/* The longest message is 615 (zone timer dump): 3 + 256 + 2; a time stamp
 * adds 9, CR LF 2. Anything longer is not a TPI line. */
#define PT_TPI_DATA_MAX 256
#define PT_TPI_LINE_MAX (9 + 3 + PT_TPI_DATA_MAX + 2)	/* without CR LF */
#define PT_TPI_ZONES 64		/* PowerSeries: zones 1..64 */
#define PT_TPI_PARTITIONS 8
#define PT_TPI_CODE_MIN 4	/* DSC access codes: 4 or 6 digits */
#define PT_TPI_CODE_MAX 6
#define PT_TPI_KEYS_MAX 6	/* command 071 carries up to six keystrokes */
#define PT_TPI_PASSWORD_MAX 6	/* command 005: 1..6 characters */

/* Application -> TPI (the commands porter-hub sends). */
enum pt_tpi_cmd {
	PT_TPI_POLL = 0,		/* 000: keep-alive; answered with 500 000 */
	PT_TPI_STATUS = 1,		/* 001: status report of everything */
	PT_TPI_LOGIN = 5,		/* 005 + password */
	PT_TPI_ARM_AWAY = 30,		/* 030 + partition */
	PT_TPI_ARM_STAY = 31,		/* 031 + partition */
	PT_TPI_ARM_CODE = 33,		/* 033 + partition + code */
	PT_TPI_DISARM = 40,		/* 040 + partition + code */
	PT_TPI_PANIC = 60,		/* 060 + 1 fire / 2 ambulance / 3 panic */
	PT_TPI_KEYS = 71,		/* 071 + partition + 1..6 keys */
	PT_TPI_CODE_SEND = 200,		/* 200 + code: the answer to 900 */
};

/* TPI -> application: what the decoder gives a meaning to. */
enum pt_tpi_kind {
	PT_TPI_OTHER = 0,		/* a well-formed line of another command */
	PT_TPI_ACK,			/* 500: ack of command `ack` */
	PT_TPI_CMD_ERROR,		/* 501: the last command's checksum was bad */
	PT_TPI_SYS_ERROR,		/* 502: `error` (3 digits) */
	PT_TPI_LOGIN_RESULT,		/* 505: `login` 0 bad, 1 ok, 2 timed out, 3 send it */
	PT_TPI_ZONE_ALARM,		/* 601 / 602 (`on`): partition, zone */
	PT_TPI_ZONE_TAMPER,		/* 603 / 604 */
	PT_TPI_ZONE_FAULT,		/* 605 / 606 (trouble, not open) */
	PT_TPI_ZONE_OPEN,		/* 609 / 610 (`on`: open) */
	PT_TPI_BYPASS_DUMP,		/* 616: `bypassed`, bit z-1 = zone z */
	PT_TPI_PARTITION,		/* 650..659, 670..674: `partition`, see `pstate` */
	PT_TPI_ARMED,			/* 652: `partition`, `mode` */
	PT_TPI_USER_CLOSING,		/* 700: `partition`, `user` */
	PT_TPI_USER_OPENING,		/* 750: `partition`, `user` */
	PT_TPI_PANIC_ALARM,		/* 621..626: `key` 'F' 'A' 'P', `on` */
	PT_TPI_CODE_REQUIRED,		/* 900: `code_len` (0: not given) */
};

/* The partition messages (code - 650 for 650..659, as sent). */
enum pt_tpi_pstate {
	PT_TPI_P_READY = 650,
	PT_TPI_P_NOT_READY = 651,
	PT_TPI_P_FORCE_READY = 653,
	PT_TPI_P_ALARM = 654,
	PT_TPI_P_DISARMED = 655,
	PT_TPI_P_EXIT_DELAY = 656,
	PT_TPI_P_ENTRY_DELAY = 657,
	PT_TPI_P_LOCKOUT = 658,
	PT_TPI_P_ARM_FAILED = 659,
	PT_TPI_P_INVALID_CODE = 670,
	PT_TPI_P_NOT_AVAILABLE = 671,
	PT_TPI_P_FAILURE_TO_ARM = 672,
	PT_TPI_P_BUSY = 673,
	PT_TPI_P_ARMING = 674,
};

/* 652's mode. */
enum pt_tpi_arm_mode {
	PT_TPI_ARM_MODE_AWAY = 0,
	PT_TPI_ARM_MODE_STAY = 1,
	PT_TPI_ARM_MODE_ZERO_AWAY = 2,	/* away, no entry delay */
	PT_TPI_ARM_MODE_ZERO_STAY = 3,
};

struct pt_tpi_msg {
	unsigned code;		/* 0..999 */
	enum pt_tpi_kind kind;
	bool on;		/* zone alarm/tamper/fault/open; panic key alarm */
	uint8_t partition;	/* 1..8 */
	uint8_t zone;		/* 1..64 */
	uint8_t mode;		/* enum pt_tpi_arm_mode */
	uint8_t login;		/* 505: 0..3 */
	uint8_t code_len;	/* 900: 4 or 6; 0 if the line carries none */
	char key;		/* 621..626: 'F', 'A', 'P' */
	unsigned ack;		/* 500: the command acknowledged */
	unsigned error;		/* 502: the system error code */
	unsigned pstate;	/* PT_TPI_PARTITION: enum pt_tpi_pstate */
	unsigned user;		/* 700 / 750: 0..9999 */
	uint64_t bypassed;	/* 616 */
	const uint8_t *data;	/* the data (borrowed from the line) */
	size_t data_len;
};

/* The checksum of command and data as the two characters sent. */
void pt_tpi_checksum(const uint8_t *p, size_t len, char out[2]);

/*
 * Write one command line (with CR LF) to out[cap]: cmd 0..999, data of
 * printable ASCII without spaces (0..PT_TPI_DATA_MAX bytes).
 * PT_EINVAL for a bad command or data, PT_ENOSPC if cap is too small
 * (*out_len 0 then). The line may carry a secret (005, 033, 040, 200):
 * the caller wipes out after sending it.
 */
int pt_tpi_encode(unsigned cmd, const char *data, size_t data_len, uint8_t *out, size_t cap,
		  size_t *out_len) PT_MUST_CHECK;

/*
 * Find the end of the first line in buf[len] (a received byte stream):
 * PT_OK with *line_len (without CR LF) and *used (with them) when a LF is
 * there; PT_OK with *used = 0 when it needs more bytes; PT_ETOOBIG
 * when PT_TPI_LINE_MAX + 2 bytes hold no LF (the stream cannot be a TPI
 * stream any more: close it).
 */
int pt_tpi_line_scan(const uint8_t *buf, size_t len, size_t *line_len, size_t *used) PT_MUST_CHECK;

/* Decode one line (without CR LF) as sent by the EnvisaLink. */
int pt_tpi_decode(const uint8_t *line, size_t len, struct pt_tpi_msg *m) PT_MUST_CHECK;

/* Bypass keystrokes for 071 ("*1" + two-digit zone + "#": 5 keys, toggle
 * the zone's bypass and leave bypass mode; zone 0: "*1#", which only leaves
 * it and makes the panel dump the bypass bitfield, 616). out holds 6. */
int pt_tpi_bypass_keys(unsigned zone, char out[PT_TPI_KEYS_MAX + 1], size_t *len) PT_MUST_CHECK;

/* Is s[len] a DSC access code (4 or 6 digits)? */
bool pt_tpi_code_is_valid(const char *s, size_t len);

#endif
