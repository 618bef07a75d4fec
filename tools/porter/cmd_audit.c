/*
 * porter audit verify --db FILE: recompute porterd's hash-chained audit
 * trail, straight from the database file, without trusting porterd.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "porter/keyfile.h"
#include "porter/store.h"
#include "porter.h"

static const char audit_usage[] =
	"usage: porter audit verify --db FILE\n"
	"\n"
	"Recompute the hash chain of porterd's audit trail in the SQLite database\n"
	"FILE, opened as porterd opens it (safe while porterd runs). Exit 0 if\n"
	"every row links to the one before and hashes right; otherwise name the\n"
	"first bad row and exit 12 (bad-signature).\n";

int
cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct pt_store *st = NULL;
	struct pt_errbuf err;
	const char *db = NULL;
	int64_t bad = 0, rows = 0;
	int c, r;

	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(audit_usage, stdout);
			return 0;
		}
		die_usage("audit", "expected 'audit verify --db FILE'");
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'D': db = optarg; break;
		case 'h': fputs(audit_usage, stdout); return 0;
		default: die_usage("audit", "bad option");
		}
	}
	if (db == NULL || optind != argc)
		die_usage("audit", "--db FILE (or a postgresql:// URI) is required");
	if (strstr(db, "://") == NULL && access(db, R_OK) != 0) {
		warnx_("cannot open '%s': no such readable file", db);
		return EXIT_INPUT;
	}
	if (pt_store_open(db, &st, &err) != PT_OK) {
		warnx_("%s", err.msg);
		return EXIT_INPUT;
	}
	r = pt_store_audit_verify(st, &bad, &rows);
	pt_store_close(st);
	if (r == PT_OK) {
		printf("audit chain intact: %lld rows\n", (long long)rows);
		return 0;
	}
	if (r == PT_EBADSIG) {
		printf("audit chain broken at row %lld (%lld rows checked before it)\n", (long long)bad,
		       (long long)rows);
		return pt_err_info(PT_EBADSIG)->exit_code;
	}
	warnx_("cannot read the audit trail of '%s': %s", db, pt_err_text(r));
	return EXIT_INPUT;
}
