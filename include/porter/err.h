/*
 * porter/err.h: the one status enum of porter.
 *
 * Every action returns PT_OK (0) or a negative PT_E* value. A decision's
 * reason is a value of the same enum: PT_OK means "grant", anything else
 * names the first check that failed. One table (err.c) gives each value a
 * stable code (shown to the courier, the owner and in logs), a sentence, an
 * HTTP status and a CLI exit code. Numbers and codes never change once
 * released: append new values at the end.
 */
#ifndef PORTER_ERR_H
#define PORTER_ERR_H

#include <stdbool.h>

#define PT_MUST_CHECK __attribute__((warn_unused_result))

enum pt_err {
	PT_OK = 0,
	PT_EMALFORMED = -1,	/* not a well-formed porter token / message */
	PT_EBADSIG = -2,	/* a signature does not verify */
	PT_EBROKENCHAIN = -3,	/* a link is not issued by the previous holder */
	PT_EWIDENED = -4,	/* a link grants more than its parent */
	PT_ECHAINLEN = -5,	/* more links than PT_CHAIN_MAX */
	PT_EUNTRUSTED = -6,	/* the first link is not signed by a trusted root */
	PT_ENOTYET = -7,	/* before not-before */
	PT_EEXPIRED = -8,	/* at or after expiry */
	PT_ESCHEDULE = -9,	/* outside the windows / week-day intervals */
	PT_ETIMEUNKNOWN = -10,	/* the hub's clock is not trusted */
	PT_EAUDIENCE = -11,	/* wrong home or lock */
	PT_ENOENTRIES = -12,	/* entries all used */
	PT_EREVOKED = -13,	/* a token id or key in the chain is revoked */
	PT_EREVSTALE = -14,	/* revocation data too old for a non-resident */
	PT_ECAMERA = -15,	/* camera required but unhealthy */
	PT_EALARM = -16,	/* alarm entry-zone bypass required but impossible */
	PT_EDOOR = -17,		/* door not closed or bolt not thrown */
	PT_ELOCKEDOUT = -18,	/* too many failures: locked out for now */
	PT_ETOOLATE = -19,	/* proof arrived after the challenge expired */
	PT_ENONCE = -20,	/* challenge nonce already used */
	PT_EUNSUPPORTED = -21,	/* algorithm or critical claim not understood */
	PT_ETOOBIG = -22,	/* input larger than the protocol allows */
	PT_ESTALE = -23,	/* signed message timestamp outside the allowed skew */
	PT_EREPLAY = -24,	/* signed message nonce already seen */
	PT_EINVAL = -25,	/* caller error: bad argument */
	PT_ENOSPC = -26,	/* output buffer too small */
	PT_EIO = -27,		/* I/O error (programs, never the core) */
	PT_ENOMEM = -28,	/* out of memory (programs, never the core) */
	PT_ECRYPTO = -29,	/* the crypto library failed */
	PT_ENOTFOUND = -30,	/* no such file / key / object */
	PT_EUNTRUSTEDCMD = -31,	/* command or revocation signer not allowed */
	PT_EEXISTS = -32,	/* a unique thing already exists */
	PT_ECONFLICT = -33,	/* the object changed meanwhile (state moved on) */
	PT_EPANIC = -34,	/* a panic call was received: the alert is raised, the door stays shut */
	PT_EASKED = -35,	/* the panel cannot bypass: the owner has been asked to approve */
	PT_EDENIED = -36,	/* the owner refused this entry (an owner-signed denial) */
	PT_ERR_COUNT_ = 37	/* number of values, PT_OK included */
};

struct pt_err_info {
	const char *code;	/* stable machine code: "expired" */
	const char *text;	/* one lowercase sentence for people */
	int http_status;	/* status porterd answers with */
	int exit_code;		/* exit code of the porter CLI */
};

/* Never NULL: unknown values map to an "unknown" entry. */
const struct pt_err_info *pt_err_info(int err);
const char *pt_err_code(int err);
const char *pt_err_text(int err);

#endif
