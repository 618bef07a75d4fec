/*
 * Key files and whole-file I/O for the programs.
 */
#include "porter/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((format(printf, 2, 3))) static int
fail(struct pt_errbuf *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err != NULL)
		(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int
errno_to_pt(int e)
{
	return e == ENOENT ? PT_ENOTFOUND : e == ENOMEM ? PT_ENOMEM : PT_EIO;
}

int
pt_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len, struct pt_errbuf *err)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0, cap;
	ssize_t n;
	int fd, r;

	*out = NULL;
	*out_len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = errno_to_pt(errno);
		fail(err, "cannot open '%s': %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fail(err, "cannot read '%s': not a regular file", path);
		r = PT_EIO;
		goto out_close;
	}
	if ((uint64_t)st.st_size > max) {
		fail(err, "cannot read '%s': larger than %zu bytes", path, max);
		r = PT_ETOOBIG;
		goto out_close;
	}
	/* Size the buffer from fstat, not from max (a reader allowed 256 MiB
	 * must not allocate 256 MiB for a 2 KiB file), and grow it if the file
	 * grows after fstat, up to max + 1 bytes: one more than allowed is how
	 * a file that grew past max is seen. */
	cap = (size_t)st.st_size + 1;
	if ((buf = malloc(cap)) == NULL) {
		fail(err, "cannot read '%s': out of memory", path);
		r = PT_ENOMEM;
		goto out_close;
	}
	while (got <= max) {
		if (got == cap) {
			size_t ncap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
			uint8_t *nb = realloc(buf, ncap);

			if (nb == NULL) {
				fail(err, "cannot read '%s': out of memory", path);
				r = PT_ENOMEM;
				goto out_free;
			}
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail(err, "cannot read '%s': %s", path, strerror(errno));
			r = PT_EIO;
			goto out_free;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > max) {
		fail(err, "cannot read '%s': larger than %zu bytes", path, max);
		r = PT_ETOOBIG;
		goto out_free;
	}
	*out = buf;
	*out_len = got;
	close(fd);
	return PT_OK;
out_free:
	free(buf);
out_close:
	close(fd);
	return r;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
pt_file_write(const char *path, const uint8_t *p, size_t len, unsigned mode, struct pt_errbuf *err)
{
	char tmp[4096];
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		fail(err, "cannot write '%s': path too long", path);
		return PT_EINVAL;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, (mode_t)mode);
	if (fd < 0) {
		fail(err, "cannot create '%s': %s", tmp, strerror(errno));
		return PT_EIO;
	}
	if (fchmod(fd, (mode_t)mode) != 0 || write_all(fd, p, len) != 0 || fsync(fd) != 0) {
		fail(err, "cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return PT_EIO;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		fail(err, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
		return PT_EIO;
	}
	return PT_OK;
}

void
pt_pubkey_text(const uint8_t pk[PT_PK_LEN], char out[PT_PK_TEXT_LEN + 1])
{
	if (pt_b64_encode(out, PT_PK_TEXT_LEN + 1, pk, PT_PK_LEN) != PT_OK)
		out[0] = '\0';
}

int
pt_keyfile_save(const char *path, const struct pt_secret *s, bool overwrite, struct pt_errbuf *err)
{
	char line[128], pub[4096 + 8], tmp[4096 + 16], pk_text[PT_PK_TEXT_LEN + 1];
	uint8_t pk[PT_PK_LEN];
	int fd = -1, n, r = PT_EIO;

	n = snprintf(pub, sizeof(pub), "%s.pub", path);
	if (n < 0 || (size_t)n >= sizeof(pub))
		return fail(err, "cannot write '%s': path too long", path), PT_EINVAL;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return fail(err, "cannot write '%s': path too long", path), PT_EINVAL;
	if (!overwrite && access(path, F_OK) == 0)
		return fail(err, "cannot create '%s': it exists (use --force to replace it)", path),
		       PT_EIO;
	/* A new file, never an existing inode: --force must not write the
	 * seed into whatever a hard link at the path points to. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		fail(err, "cannot create '%s': %s", tmp, strerror(errno));
		return PT_EIO;
	}
	memcpy(line, PT_SECRET_TAG " ", sizeof(PT_SECRET_TAG));
	n = (int)sizeof(PT_SECRET_TAG);
	if (pt_b64_encode(line + n, sizeof(line) - (size_t)n - 1, pt_secret_seed(s), PT_SEED_LEN) !=
	    PT_OK)
		goto out;
	n = (int)strlen(line);
	line[n++] = '\n';
	if (fchmod(fd, 0600) != 0 || write_all(fd, (const uint8_t *)line, (size_t)n) != 0 ||
	    fsync(fd) != 0 || close(fd) != 0) {
		fail(err, "cannot write '%s': %s", tmp, strerror(errno));
		fd = -1;
		goto out;
	}
	fd = -1;
	/* Without --force, link() refuses an existing path atomically. */
	if (overwrite ? rename(tmp, path) != 0 : link(tmp, path) != 0) {
		if (errno == EEXIST)
			fail(err, "cannot create '%s': it exists (use --force to replace it)", path);
		else
			fail(err, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	pt_secret_public(s, pk);
	pt_pubkey_text(pk, pk_text);
	n = snprintf(line, sizeof(line), "%s %s\n", PT_PUBLIC_TAG, pk_text);
	if ((r = pt_file_write(pub, (const uint8_t *)line, (size_t)n, 0644, err)) != PT_OK)
		goto out;
	r = PT_OK;
out:
	pt_wipe(line, sizeof(line));
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);	/* gone after rename; the spare name after link */
	return r;
}

/* "<tag> <b64>\n" exactly; decodes into out. */
static int
parse_line(const char *buf, size_t len, const char *tag, uint8_t *out, size_t out_len)
{
	size_t tl = strlen(tag);

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len < tl + 1 || memcmp(buf, tag, tl) != 0 || buf[tl] != ' ')
		return PT_EMALFORMED;
	return pt_b64_decode(out, out_len, buf + tl + 1, len - tl - 1);
}

/*
 * Open a secret file for reading and check the file that is read, not the
 * path: no symbolic link at the last component, a regular file, ours, not
 * readable by group or others. Reads at most cap bytes into buf (*len ==
 * cap means "too long" to the caller). The caller wipes buf.
 */
static int
read_secret_file(const char *path, char *buf, size_t cap, size_t *len, struct pt_errbuf *err)
{
	struct stat st;
	ssize_t got;
	int fd, r;

	*len = 0;
	/* O_NONBLOCK: a FIFO planted at the path must not hang us before
	 * fstat can refuse it; it changes nothing for regular files. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		r = errno_to_pt(errno);
		fail(err, "cannot open '%s': %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fail(err, "cannot read '%s': not a regular file", path);
		close(fd);
		return PT_EIO;
	}
	if ((st.st_mode & 077) != 0) {
		fail(err, "key file '%s' can be read by others (mode %04o): chmod 600 it", path,
		     (unsigned)(st.st_mode & 07777));
		close(fd);
		return PT_EINVAL;
	}
	if (st.st_uid != geteuid()) {
		fail(err, "key file '%s' belongs to another user", path);
		close(fd);
		return PT_EINVAL;
	}
	while (*len < cap) {
		got = read(fd, buf + *len, cap - *len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		*len += (size_t)got;
	}
	close(fd);
	return PT_OK;
}

int
pt_keyfile_load(const char *path, struct pt_secret *s, struct pt_errbuf *err)
{
	uint8_t seed[PT_SEED_LEN];
	char buf[257];
	size_t len = 0;
	int r;

	if ((r = read_secret_file(path, buf, sizeof(buf), &len, err)) != PT_OK)
		return r;
	r = len < sizeof(buf) ? parse_line(buf, len, PT_SECRET_TAG, seed, sizeof(seed)) : PT_EMALFORMED;
	pt_wipe(buf, sizeof(buf));
	if (r != PT_OK) {
		pt_wipe(seed, sizeof(seed));
		fail(err, "'%s' is not a porter secret key file", path);
		return PT_EMALFORMED;
	}
	r = pt_secret_from_seed(s, seed);
	pt_wipe(seed, sizeof(seed));
	if (r != PT_OK)
		fail(err, "cannot load '%s': %s", path, pt_err_text(r));
	return r;
}

#define SYMKEY_LEN 32

static int
symkey_load(const char *path, uint8_t key[SYMKEY_LEN], struct pt_errbuf *err)
{
	char buf[257];
	size_t len = 0;
	int r;

	if ((r = read_secret_file(path, buf, sizeof(buf), &len, err)) != PT_OK)
		return r;
	r = len < sizeof(buf) ? parse_line(buf, len, PT_SEALING_TAG, key, SYMKEY_LEN) :
				PT_EMALFORMED;
	pt_wipe(buf, sizeof(buf));
	if (r != PT_OK) {
		pt_wipe(key, SYMKEY_LEN);
		fail(err, "'%s' is not a porter sealing key file", path);
		return PT_EMALFORMED;
	}
	return PT_OK;
}

/* fsync the directory holding path, so that a new name in it survives a
 * crash (the key it names seals data that outlives this process). */
static int
sync_parent(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd, r;

	if (slash == NULL) {
		memcpy(dir, ".", 2);
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir))
			return -1;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/*
 * Write a fresh random key to a private temporary file, then link() it to
 * path: the key file appears whole or not at all, and link() refuses an
 * existing path atomically (PT_EEXISTS: another process created it first).
 */
static int
symkey_create(const char *path, uint8_t key[SYMKEY_LEN], struct pt_errbuf *err)
{
	char line[128], tmp[4096 + 32], suffix[16];
	uint8_t rnd[6];
	size_t n;
	int fd = -1, r = PT_EIO, e;

	/* A random suffix: no two creators, nor a crashed one's leftover,
	 * share a temporary name. */
	pt_random(rnd, sizeof(rnd));
	if (pt_b64_encode(suffix, sizeof(suffix), rnd, sizeof(rnd)) != PT_OK)
		return fail(err, "cannot create '%s': internal error", path), PT_EIO;
	e = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%s", path, (long)getpid(), suffix);
	if (e < 0 || (size_t)e >= sizeof(tmp))
		return fail(err, "cannot create '%s': path too long", path), PT_EINVAL;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = errno_to_pt(errno);
		fail(err, "cannot create '%s': %s", path, strerror(errno));
		return r;
	}
	pt_random(key, SYMKEY_LEN);
	memcpy(line, PT_SEALING_TAG " ", sizeof(PT_SEALING_TAG));
	n = sizeof(PT_SEALING_TAG);
	if (pt_b64_encode(line + n, sizeof(line) - n - 1, key, SYMKEY_LEN) != PT_OK) {
		fail(err, "cannot create '%s': internal error", path);
		goto out;
	}
	n = strlen(line);
	line[n++] = '\n';
	if (fchmod(fd, 0600) != 0 || write_all(fd, (const uint8_t *)line, n) != 0 ||
	    fsync(fd) != 0) {
		fail(err, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	e = close(fd);
	fd = -1;
	if (e != 0) {
		fail(err, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (link(tmp, path) != 0) {
		if (errno == EEXIST) {
			r = PT_EEXISTS;
		} else {
			fail(err, "cannot create '%s': %s", path, strerror(errno));
		}
		goto out;
	}
	if (sync_parent(path) != 0) {
		fail(err, "cannot sync the directory of '%s': %s", path, strerror(errno));
		goto out;
	}
	r = PT_OK;
out:
	pt_wipe(line, sizeof(line));
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);	/* the spare name after link, or the whole attempt */
	if (r != PT_OK)
		pt_wipe(key, SYMKEY_LEN);
	return r;
}

int
pt_symkey_load_or_create(const char *path, uint8_t key[32], bool *created, struct pt_errbuf *err)
{
	int r;

	*created = false;
	r = symkey_load(path, key, err);
	if (r != PT_ENOTFOUND)
		return r;
	r = symkey_create(path, key, err);
	if (r == PT_OK) {
		*created = true;
		return PT_OK;
	}
	/* Another process made it between our open and our link: use theirs. */
	if (r == PT_EEXISTS)
		r = symkey_load(path, key, err);
	return r;
}

int
pt_pubkey_parse(const char *arg, uint8_t pk[PT_PK_LEN], struct pt_errbuf *err)
{
	struct pt_secret *s;
	uint8_t *buf = NULL;
	size_t len, alen = strlen(arg);
	int r;

	if (alen == PT_PK_TEXT_LEN && pt_b64_decode(pk, PT_PK_LEN, arg, alen) == PT_OK) {
		if (!pt_pk_is_valid(pk)) {
			fail(err, "'%s' is not a valid Ed25519 public key", arg);
			return PT_EMALFORMED;
		}
		return PT_OK;
	}
	if (access(arg, F_OK) != 0) {
		fail(err, "'%s' is neither a public key nor a key file", arg);
		return PT_EINVAL;
	}
	if ((r = pt_file_read(arg, 256, &buf, &len, err)) != PT_OK)
		return r;
	r = parse_line((const char *)buf, len, PT_PUBLIC_TAG, pk, PT_PK_LEN);
	if (r != PT_OK && len > strlen(PT_SECRET_TAG) &&
	    memcmp(buf, PT_SECRET_TAG, strlen(PT_SECRET_TAG)) == 0) {
		/* A secret key file: take its public half. */
		if ((s = pt_secret_new()) == NULL) {
			r = PT_ENOMEM;
		} else {
			r = pt_keyfile_load(arg, s, err);
			if (r == PT_OK)
				pt_secret_public(s, pk);
			pt_secret_free(s);
		}
		pt_wipe(buf, len);
		free(buf);
		return r;
	}
	pt_wipe(buf, len);
	free(buf);
	if (r != PT_OK || !pt_pk_is_valid(pk)) {
		fail(err, "'%s' is not a porter public key file", arg);
		return PT_EMALFORMED;
	}
	return PT_OK;
}

int
pt_secret_line(const char *what, const char *path, char *out, size_t cap, size_t *len,
	       struct pt_errbuf *err)
{
	struct stat sb;
	ssize_t n;
	int fd;

	*len = 0;
	if (cap < 2) {
		fail(err, "%s: no room for a secret", what);
		return -1;
	}
	out[0] = '\0';
	/* O_NONBLOCK: a FIFO planted at the path must not hang us before
	 * fstat can refuse it. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fail(err, "%s: cannot open '%.100s': %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fail(err, "%s: '%.100s' is not a regular file", what, path);
		goto fail;
	}
	if ((sb.st_mode & 077) != 0) {
		fail(err, "%s: '%.100s' has mode %04o: it must be 0600 (chmod 600)", what, path,
		     (unsigned)(sb.st_mode & 07777));
		goto fail;
	}
	if ((n = read(fd, out, cap - 1)) < 0) {
		fail(err, "%s: cannot read '%.100s': %s", what, path, strerror(errno));
		goto fail;
	}
	out[(size_t)n] = '\0';
	*len = strcspn(out, "\r\n");
	if (*len == cap - 1) {
		fail(err, "%s: '%.100s': too long", what, path);
		goto fail;
	}
	pt_wipe(out + *len, cap - *len);	/* the rest of the file */
	close(fd);
	return 0;
fail:
	pt_wipe(out, cap);
	*len = 0;
	close(fd);
	return -1;
}
