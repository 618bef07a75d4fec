/*
 * libFuzzer target: porterd's JSON request decoders (lib/proto). The first
 * byte picks the decoder, the rest is the body. Each decoder must either
 * accept (and produce a struct whose strings are terminated and in range)
 * or refuse with a status and a code, never crash or leak.
 */
#include <stdint.h>
#include <string.h>

#include "porter/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static union {
		struct pt_req_signup signup;
		struct pt_req_signin signin;
		struct pt_req_home home;
		struct pt_req_member member;
		struct pt_req_owner_key key;
		struct pt_req_grant grant;
		struct pt_req_revocation rev;
	} u;
	struct pt_api_err e;
	const char *body;
	size_t len;
	int r;

	if (size < 1)
		return 0;
	body = (const char *)data + 1;
	len = size - 1;
	memset(&e, 0, sizeof(e));
	switch (data[0] % 8) {
	case 0: r = pt_req_signup_decode(body, len, &u.signup, &e); break;
	case 1: r = pt_req_signin_decode(body, len, &u.signin, &e); break;
	case 2: r = pt_req_home_decode(body, len, false, &u.home, &e); break;
	case 3: r = pt_req_home_decode(body, len, true, &u.home, &e); break;
	case 4: r = pt_req_member_decode(body, len, &u.member, &e); break;
	case 5: r = pt_req_owner_key_decode(body, len, &u.key, &e); break;
	case 6: r = pt_req_grant_decode(body, len, &u.grant, &e); break;
	default: r = pt_req_revocation_decode(body, len, &u.rev, &e); break;
	}
	if (r != PT_OK && (e.status < 400 || e.status > 499 || e.code[0] == '\0'))
		__builtin_trap();	/* every refusal says what and why */
	if (r == PT_OK && data[0] % 8 == 2) {
		char policy[PT_POLICY_MAX + 1];
		struct pt_policy back;
		/* a decoded policy must survive its canonical round trip */
		if (pt_policy_to_json(&u.home.policy, policy, sizeof(policy)) != PT_OK ||
		    pt_policy_from_json(policy, &back) != PT_OK)
			__builtin_trap();
	}
	return 0;
}
