/*
 * lib/proto internal: the field readers every JSON body decoder shares
 * (api_json.c defines them; api_json_org.c uses them too). Not installed,
 * not for programs: include porter/proto.h instead.
 *
 * Readers take the decoded object o and a field name; on a refusal they
 * fill *e (400 invalid-field / missing-field naming the field, or 413
 * too-large) and return -1. They return 1 when the field is present and
 * valid, 0 when it is absent and optional. Outputs are zeroed first.
 */
#ifndef PORTER_PROTO_API_JSON_PRIV_H
#define PORTER_PROTO_API_JSON_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "porter/proto.h"

/* In a decoder: a reader's -1 goes to the decoder's fail label. */
#define FAIL(x)                       \
	do {                          \
		if ((x) < 0)          \
			goto fail;    \
	} while (0)

/* 400 invalid-field "'field' why". Returns PT_EMALFORMED. */
int pt_json_invalid(struct pt_api_err *e, const char *field, const char *why);
/* 400 missing-field "'field' is required". Returns -1. */
int pt_json_missing(struct pt_api_err *e, const char *field);

/*
 * Every key of o must be in allowed (NULL-terminated); the first that is
 * not is refused as unknown-field, shown as prefix + at most key_max bytes
 * of its name (only if printable; prefix + "?" otherwise). 0 or -1.
 */
int pt_json_check_keys(json_t *o, const char *const *allowed, const char *prefix, int key_max,
		       struct pt_api_err *e);
/* The body as one JSON object (duplicate keys refused) whose keys are all
 * in allowed; NULL with *e filled otherwise. Caller json_decref()s it. */
json_t *pt_json_load_object(const char *p, size_t len, const char *const *allowed,
			    struct pt_api_err *e);

/* A string of min..max bytes without NUL (printable UTF-8 if text), copied
 * into out[max + 1]. */
int pt_json_get_str(json_t *o, const char *field, bool required, size_t min, size_t max,
		    bool text, char *out, struct pt_api_err *e);
/* true or false (optional: *out untouched when absent). */
int pt_json_get_bool(json_t *o, const char *field, bool *out, struct pt_api_err *e);
/* An e-mail address (3..PT_EMAIL_MAX bytes, printable ASCII, one '@'
 * with something on both sides), lowercased into out. Required. */
int pt_json_get_email(json_t *o, const char *field, char *out, struct pt_api_err *e);
/* Lowercases s in place; true if it is an e-mail address by the rule above. */
bool pt_json_email_is_valid(char *s);
/*
 * base64url text (no padding) of 1..max decoded bytes into out[max]; *n =
 * the decoded length. Longer than max: 400 "wrong length" when max < 256
 * (a key), else 413 too-large (a chain, an envelope).
 */
int pt_json_get_b64(json_t *o, const char *field, bool required, size_t max, uint8_t *out,
		    size_t *n, struct pt_api_err *e);
/* A valid, not small-order Ed25519 public key (43 characters). */
int pt_json_get_pk(json_t *o, const char *field, bool required, uint8_t pk[PT_PK_LEN],
		   struct pt_api_err *e);
/* An integer (not a real, not a string) in min..max. */
int pt_json_get_int(json_t *o, const char *field, bool required, int64_t min, int64_t max,
		    int64_t *out, struct pt_api_err *e);
/* A finite number (integer or real) in min..max; errors name `name`
 * (e.g. "location.lat" for the field "lat" of the location object). */
int pt_json_get_num(json_t *o, const char *field, const char *name, bool required, double min,
		    double max, double *out, struct pt_api_err *e);

#endif
