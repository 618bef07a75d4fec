/*
 * pt_secret_line (lib/util/keyfile.c): the first line of a 0600 secret
 * file, as every broker password and panel code is read.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "porter/keyfile.h"
#include "t.h"

static char dir[] = "/tmp/porter-secret-XXXXXX";

static void
put(const char *name, const char *content, size_t len, mode_t mode, char *path, size_t cap)
{
	int fd;

	(void)snprintf(path, cap, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, content, len) != (ssize_t)len || close(fd) != 0 ||
	    chmod(path, mode) != 0) {
		perror(path);
		exit(2);
	}
}

static bool
all_zero(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

int
main(void)
{
	char path[512], link[600], out[32], big[100];
	struct pt_errbuf err;
	size_t len = 99;

	if (mkdtemp(dir) == NULL)
		return 2;

	put("pw", "s3cret\r\nsecond line\n", 21, 0600, path, sizeof(path));
	T_EQ(pt_secret_line("mqtt.password_file", path, out, sizeof(out), &len, &err), 0,
	     "a 0600 file: read");
	T_OK(strcmp(out, "s3cret") == 0 && len == 6, "the first line, without CR LF");
	T_OK(all_zero(out + 7, sizeof(out) - 7), "the rest of the file is wiped from the buffer");

	put("empty", "", 0, 0600, path, sizeof(path));
	len = 99;
	T_EQ(pt_secret_line("k", path, out, sizeof(out), &len, &err), 0, "an empty file: read");
	T_EQ(len, 0, "... as an empty line (the caller decides)");

	put("open", "s3cret\n", 7, 0644, path, sizeof(path));
	memset(out, 'x', sizeof(out));
	T_EQ(pt_secret_line("mqtt.password_file", path, out, sizeof(out), &len, &err), -1,
	     "mode 0644: refused");
	T_OK(strstr(err.msg, "mqtt.password_file:") == err.msg && strstr(err.msg, "0644") &&
		     strstr(err.msg, "it must be 0600"),
	     "the error names the key, the mode and the fix: %s", err.msg);
	T_OK(all_zero(out, sizeof(out)) && len == 0, "nothing left in the buffer");

	put("g", "s3cret\n", 7, 0640, path, sizeof(path));
	T_EQ(pt_secret_line("k", path, out, sizeof(out), &len, &err), -1, "mode 0640: refused");

	put("long", "0123456789012345678901234567890123456789\n", 41, 0600, path, sizeof(path));
	memset(out, 'x', sizeof(out));
	T_EQ(pt_secret_line("k", path, out, sizeof(out), &len, &err), -1,
	     "a line that does not fit: refused");
	T_OK(strstr(err.msg, "too long") != NULL, "says too long: %s", err.msg);
	T_OK(all_zero(out, sizeof(out)), "and the part read is wiped");
	put("edge", "0123456789012345678901234567890\n", 32, 0600, path, sizeof(path));
	T_EQ(pt_secret_line("k", path, out, sizeof(out), &len, &err), -1,
	     "a line of cap - 1 bytes: refused (no way to tell it ended)");
	put("fits", "012345678901234567890123456789\n", 31, 0600, path, sizeof(path));
	T_EQ(pt_secret_line("k", path, out, sizeof(out), &len, &err), 0,
	     "a line of cap - 2 bytes: read");
	T_EQ(len, 30, "... all 30 bytes");
	T_EQ(pt_secret_line("k", path, big, sizeof(big), &len, &err), 0, "a bigger buffer too");

	put("target", "s3cret\n", 7, 0600, path, sizeof(path));
	(void)snprintf(link, sizeof(link), "%s/link", dir);
	T_EQ(symlink(path, link), 0, "(a symbolic link to a 0600 file)");
	T_EQ(pt_secret_line("k", link, out, sizeof(out), &len, &err), -1,
	     "a symbolic link: refused (O_NOFOLLOW)");

	(void)snprintf(link, sizeof(link), "%s/fifo", dir);
	T_EQ(mkfifo(link, 0600), 0, "(a FIFO of mode 0600)");
	T_EQ(pt_secret_line("k", link, out, sizeof(out), &len, &err), -1,
	     "a FIFO: refused at once, no hang (not a regular file)");
	T_OK(strstr(err.msg, "not a regular file") != NULL, "says so: %s", err.msg);

	(void)snprintf(link, sizeof(link), "%s/none", dir);
	T_EQ(pt_secret_line("k", link, out, sizeof(out), &len, &err), -1, "a missing file: refused");
	T_OK(strstr(err.msg, "cannot open") != NULL, "says cannot open: %s", err.msg);

	T_EQ(pt_secret_line("k", dir, out, sizeof(out), &len, &err), -1, "a directory: refused");

	(void)snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		return 2;
	return t_done();
}
