#include "porter/err.h"

#include <stddef.h>

/*
 * Exit codes: 0 grant/success, 1 usage, 2 input or I/O error, and
 * 10 + n for the denial reason -n, so scripts can tell every reason apart.
 */
static const struct pt_err_info table[PT_ERR_COUNT_] = {
	[0] = {"ok", "granted", 200, 0},
	[1] = {"malformed", "the credential or message is malformed", 400, 11},
	[2] = {"bad-signature", "a signature does not verify", 403, 12},
	[3] = {"broken-chain", "a link was not issued by the holder of the link before it", 403, 13},
	[4] = {"widened-link", "a link grants more than the link it was delegated from", 403, 14},
	[5] = {"chain-too-long", "the delegation chain has too many links", 403, 15},
	[6] = {"untrusted-root", "the first link is not signed by an owner key this hub trusts", 403, 16},
	[7] = {"not-yet-valid", "the credential is not valid yet", 403, 17},
	[8] = {"expired", "the credential has expired", 403, 18},
	[9] = {"outside-schedule", "the credential is not valid at this time of day or week", 403, 19},
	[10] = {"time-unknown", "the hub does not know the time, so time-bound credentials are refused", 503, 20},
	[11] = {"wrong-home-or-lock", "the credential is for another home or lock", 403, 21},
	[12] = {"no-entries-left", "the credential has no entries left", 403, 22},
	[13] = {"revoked", "the credential or a key in its chain has been revoked", 403, 23},
	[14] = {"revocation-data-too-old", "the hub has not refreshed its revocations recently enough to admit visitors", 503, 24},
	[15] = {"camera-unhealthy", "the credential requires the camera, and the camera is not healthy", 503, 25},
	[16] = {"alarm-cannot-bypass", "the credential requires an entry-zone bypass the alarm cannot give", 503, 26},
	[17] = {"door-not-closed", "the door is not closed and locked", 409, 27},
	[18] = {"locked-out", "too many failed attempts: try again later", 429, 28},
	[19] = {"proof-too-late", "the answer came too long after the challenge", 403, 29},
	[20] = {"nonce-reused", "the challenge was already used", 403, 30},
	[21] = {"unsupported", "an algorithm, header or claim is not supported", 400, 31},
	[22] = {"too-large", "the input is larger than allowed", 413, 32},
	[23] = {"stale", "the signed message is too old or from the future", 403, 33},
	[24] = {"replayed", "the signed message was already used", 403, 34},
	[25] = {"invalid-argument", "invalid argument", 400, 1},
	[26] = {"buffer-too-small", "the output does not fit", 500, 2},
	[27] = {"io-error", "input/output error", 500, 2},
	[28] = {"out-of-memory", "out of memory", 503, 2},
	[29] = {"crypto-failure", "the crypto library failed", 500, 2},
	[30] = {"not-found", "not found", 404, 2},
	[31] = {"untrusted-signer", "the signer is not allowed to issue this message", 403, 41},
	[32] = {"exists", "it already exists", 409, 2},
	[33] = {"conflict", "it changed meanwhile: read it again", 409, 2},
	[34] = {"panic-received", "the call for help was received; the door stays shut", 202, 44},
	[35] = {"owner-asked", "the owner has been asked to let you in: try again once they answer",
		403, 45},
	[36] = {"owner-denied", "the owner refused this entry", 403, 46},
};

static const struct pt_err_info unknown = {"unknown", "unknown error", 500, 2};

const struct pt_err_info *
pt_err_info(int err)
{
	if (err > 0 || err <= -PT_ERR_COUNT_)
		return &unknown;
	return &table[-err];
}

const char *
pt_err_code(int err)
{
	return pt_err_info(err)->code;
}

const char *
pt_err_text(int err)
{
	return pt_err_info(err)->text;
}
