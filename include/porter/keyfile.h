/*
 * porter/keyfile.h: key files on disk, for the programs (not the core).
 *
 * Secret key file (mode 0600, refused if group or others can read it):
 *     porter-ed25519-secret-v1 <base64url of the 32-byte seed>\n
 * Public key file, and the form keys take on command lines:
 *     porter-ed25519-public-v1 <base64url of the 32-byte key>\n
 * A public key argument may be the bare base64url key or a path to a
 * public or secret key file.
 */
#ifndef PORTER_KEYFILE_H
#define PORTER_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porter/crypto.h"
#include "porter/err.h"

#define PT_SECRET_TAG "porter-ed25519-secret-v1"
#define PT_PUBLIC_TAG "porter-ed25519-public-v1"
#define PT_PK_TEXT_LEN 43	/* base64url of 32 bytes */

/* Errors come back as a sentence in err (lowercase, subject quoted). */
struct pt_errbuf {
	char msg[256];
};

/* Create path with mode 0600 (O_EXCL unless overwrite) holding s's seed,
 * fsync'd; path.pub gets the public key. */
int pt_keyfile_save(const char *path, const struct pt_secret *s, bool overwrite,
		    struct pt_errbuf *err) PT_MUST_CHECK;
/* Load a secret key; refuses files readable by group or others. The seed
 * passes through a wiped buffer only. */
int pt_keyfile_load(const char *path, struct pt_secret *s, struct pt_errbuf *err) PT_MUST_CHECK;
/*
 * The first line of a secret file (a broker password, a panel code): the
 * file opened must be a regular file, not a symbolic link, of mode 0600 or
 * tighter. out[cap] gets the line without its end, NUL-terminated, *len
 * its length (0 for an empty file: the caller decides). what names the
 * configuration key in errors ("mqtt.password_file: '...' has mode 0644:
 * it must be 0600 (chmod 600)"). 0, or -1 with err set and out wiped,
 * also when the line does not fit ("too long").
 */
int pt_secret_line(const char *what, const char *path, char *out, size_t cap, size_t *len,
		   struct pt_errbuf *err) PT_MUST_CHECK;
/* A public key from text (bare base64url) or a key file's path. */
int pt_pubkey_parse(const char *arg, uint8_t pk[PT_PK_LEN], struct pt_errbuf *err) PT_MUST_CHECK;
/* "porter-ed25519-public-v1 <b64>" is not needed on screens: just <b64>. */
void pt_pubkey_text(const uint8_t pk[PT_PK_LEN], char out[PT_PK_TEXT_LEN + 1]);

/*
 * A 32-byte symmetric key file (porterd's sealing key), mode 0600:
 *     porter-sealing-key-v1 <base64url of 32 bytes>\n
 * Loaded with the same checks as secret keys (owner, mode, O_NOFOLLOW);
 * created with a fresh random key if it does not exist (the parent
 * directory must exist). key must be guarded memory the caller wipes.
 */
#define PT_SEALING_TAG "porter-sealing-key-v1"
int pt_symkey_load_or_create(const char *path, uint8_t key[32], bool *created,
			     struct pt_errbuf *err) PT_MUST_CHECK;

/* Read a whole regular file of at most max bytes into a malloc'd buffer. */
int pt_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len,
		 struct pt_errbuf *err) PT_MUST_CHECK;
/* Write a file atomically (temp file, fsync, rename) with the given mode. */
int pt_file_write(const char *path, const uint8_t *p, size_t len, unsigned mode,
		  struct pt_errbuf *err) PT_MUST_CHECK;

#endif
