/*
 * The sandbox parts porter-hub and porter-cam share (porter/sandbox.h):
 * the allow-list tables, printed and loaded with libseccomp; the user
 * lookup and the privilege drop with its checks; no_new_privs.
 *
 * The tables themselves, and what only one daemon needs, stay in
 * daemons/hub/sandbox.c and daemons/cam/sandbox.c.
 */
#define _GNU_SOURCE	/* setresuid, setresgid, initgroups */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <seccomp.h>

#include "porter/sandbox.h"

/* A message's prefix or key: "" for NULL. */
static const char *
text(const char *s)
{
	return s != NULL ? s : "";
}

const struct pt_sandbox_rule pt_sandbox_noexec = {
	.how = PT_SANDBOX_MASKED, .arg = 2, .mask = PROT_EXEC, .value = 0,
	.text = " (prot without PROT_EXEC)",
};

const struct pt_sandbox_rule pt_sandbox_self = {
	.how = PT_SANDBOX_SELF, .arg = 0, .text = " (own pid)",
};

void
pt_sandbox_print(FILE *out, const char *key, const struct pt_sandbox_table *t, size_t n)
{
	const struct pt_sandbox_allow *row;
	size_t i, j;
	int nr;

	for (i = 0; i < n; i++) {
		for (j = 0; j < t[i].n; j++) {
			row = &t[i].rows[j];
			nr = seccomp_syscall_resolve_name(row->name);
			fprintf(out, "%s = %s%s    # %s%s%s\n", key, row->name,
				row->rule != NULL ? text(row->rule->text) : "", row->why, text(t[i].note),
				nr == __NR_SCMP_ERROR ? " [not on this architecture]" : "");
		}
	}
}

/* libseccomp's SCMP_A* macros leave datum_b out of the initializer, which
 * clang's -Wmissing-field-initializers refuses: every field, here. */
static struct scmp_arg_cmp
arg_cmp(unsigned arg, enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	struct scmp_arg_cmp cmp = {arg, op, a, b};

	return cmp;
}

static int
add(scmp_filter_ctx ctx, int nr, const struct pt_sandbox_rule *rule)
{
	size_t i;
	int r = 0;

	if (rule == NULL)
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	if (rule->arg > 5)
		return -EINVAL;
	switch (rule->how) {
	case PT_SANDBOX_ANY:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	case PT_SANDBOX_ONE_OF:
		if (rule->values == NULL || rule->n_values == 0)
			return -EINVAL;
		for (i = 0; r == 0 && i < rule->n_values; i++)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					     arg_cmp(rule->arg, SCMP_CMP_EQ, rule->values[i], 0));
		return r;
	case PT_SANDBOX_MASKED:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					arg_cmp(rule->arg, SCMP_CMP_MASKED_EQ, rule->mask, rule->value));
	case PT_SANDBOX_SELF:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					arg_cmp(rule->arg, SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0));
	case PT_SANDBOX_ENOSYS:
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
	case PT_SANDBOX_ERRNO_EQ:
		if (rule->err <= 0 || rule->err > 4095)
			return -EINVAL;
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO((uint32_t)rule->err), nr, 1,
					arg_cmp(rule->arg, SCMP_CMP_EQ, rule->value, 0));
	}
	return -EINVAL;
}

static int
add_rows(scmp_filter_ctx ctx, const struct pt_sandbox_table *t, struct pt_errbuf *err)
{
	size_t i;
	int nr;

	for (i = 0; i < t->n; i++) {
		nr = seccomp_syscall_resolve_name(t->rows[i].name);
		if (nr == __NR_SCMP_ERROR)
			continue;	/* not on this architecture (open, poll on arm64) */
		if (add(ctx, nr, t->rows[i].rule) != 0) {
			(void)snprintf(err->msg, sizeof(err->msg), "seccomp: cannot allow '%s'",
				       t->rows[i].name);
			return -1;
		}
	}
	return 0;
}

int
pt_sandbox_load(const struct pt_sandbox_table *t, size_t n, struct pt_errbuf *err)
{
	scmp_filter_ctx ctx;
	size_t i;
	int r = -1;

	/* Anything not allowed kills the whole process, every thread. */
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "seccomp_init failed");
		return -1;
	}
	/* Every thread, including those started already (a resolver thread,
	 * a lavfi graph's workers). */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "seccomp: cannot set the filter attributes");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (add_rows(ctx, &t[i], err) != 0)
			goto out;
	if ((r = seccomp_load(ctx)) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "seccomp: cannot load the filter: %s",
			       strerror(-r));
		r = -1;
		goto out;
	}
	r = 0;
out:
	seccomp_release(ctx);
	return r;
}

int
pt_sandbox_no_new_privs(struct pt_errbuf *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "cannot set no_new_privs: %s",
			       strerror(errno));
		return -1;
	}
	return 0;
}

int
pt_sandbox_lookup(const struct pt_sandbox_user *u, uid_t *uid, gid_t *gid,
		  struct pt_errbuf *err)
{
	struct passwd pw, *pres = NULL;
	struct group gr, *gres = NULL;
	char buf[4096];
	gid_t g;
	int r;

	r = getpwnam_r(u->user, &pw, buf, sizeof(buf), &pres);
	if (r != 0 || pres == NULL) {
		(void)snprintf(err->msg, sizeof(err->msg), "%scannot find user '%s'%s%s",
			       text(u->find_prefix), u->user, r != 0 ? ": " : "",
			       r != 0 ? strerror(r) : "");
		return -1;
	}
	if (pw.pw_uid == 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "%s '%s' is root: name an unprivileged user", text(u->user_key),
			       u->user);
		return -1;
	}
	g = pw.pw_gid;
	if (u->group != NULL && u->group[0] != '\0') {
		r = getgrnam_r(u->group, &gr, buf, sizeof(buf), &gres);
		if (r != 0 || gres == NULL) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "%s: cannot find group '%s'%s%s", text(u->group_key), u->group,
				       r != 0 ? ": " : "", r != 0 ? strerror(r) : "");
			return -1;
		}
		if (gr.gr_gid == 0) {
			(void)snprintf(err->msg, sizeof(err->msg),
				       "%s '%s' is root's: name an unprivileged group",
				       text(u->group_key), u->group);
			return -1;
		}
		g = gr.gr_gid;
	}
	*uid = pw.pw_uid;
	*gid = g;
	return 0;
}

int
pt_sandbox_become(const struct pt_sandbox_user *u, uid_t uid, gid_t gid, struct pt_errbuf *err)
{
	/* Supplementary groups first, while still allowed to set them. */
	if ((u->supplementary ? initgroups(u->user, gid) : setgroups(0, NULL)) != 0 ||
	    setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg), "%scannot become user '%s': %s",
			       text(u->drop_prefix), u->user, strerror(errno));
		return -1;
	}
	/* There is no way back. */
	if (setuid(0) == 0 || seteuid(0) == 0 || getuid() != uid || geteuid() != uid ||
	    getgid() != gid || getegid() != gid) {
		(void)snprintf(err->msg, sizeof(err->msg), "%sdropping to user '%s' did not hold",
			       text(u->drop_prefix), u->user);
		return -1;
	}
	return 0;
}
