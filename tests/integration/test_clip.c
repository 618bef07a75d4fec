/*
 * test_clip: cameras and clips against a real porterd (argv[1]), written
 * from docs/api.md ("Cameras and clips") and docs/clips.md.
 *
 * A camera key and two owners' keys are made here; a clip is sealed with
 * libporter as porter-cam does (per-clip key, secretstream segments, key
 * sealed to the owner, camera-signed segments and manifest) and uploaded
 * over HTTP. Checked: enrolment (owner only, ids and keys unique, bad
 * bodies), uploads (201, the same bytes again 200, other bytes 409,
 * forged or foreign signatures 401 without saying which, another home's
 * camera 409, not a sealed segment 400, over [clips] max_segment 413,
 * over the home's quota 507), the manifest (segments already stored must
 * match; missing ones are reported; the same again 200, another 409),
 * the owners' reads (list with paging, get, the manifest and segments byte
 * for byte; a household member reads too), the cross-tenant matrix (an
 * owner of another home gets 404 on every clip route), that refused
 * uploads store nothing, that the downloaded clip decrypts with the
 * owner's key to the plaintext, and that neither the database nor the
 * clip store holds the plaintext or the clip key.
 *
 * Cameras are enrolled with an owner-signed camera statement
 * (porter/camera_stmt.h): porterd refuses one missing, by a key that is
 * not the home's owner key, or naming another home, camera, key or name;
 * and porter clip decrypt believes porterd's camera key only with a
 * statement by an owner key the user trusts: a key swapped in porterd's
 * database, a statement replaced by one of porterd's own making, or a
 * camera without one (enrolled before) is refused, exit 3.
 *
 * PORTER_TEST_STORE=pg runs it with porterd on PostgreSQL (harness.h); the
 * database scan then reads a dump of the clip tables made with psql.
 */
#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <stdarg.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "porter/camera_stmt.h"
#include "porter/clip.h"
#include "porter/clipseal.h"
#include "porter/crypto.h"
#include "porter/envelope.h"
#include "porter/keyfile.h"
#include "porter/text.h"
#include "harness.h"

/* A body over the limit refused before it was read: the 413, or, when
 * porterd answered and closed while curl was still sending, the
 * connection reset under curl's send (the answer lost in the reset). A
 * body that was read would get another answer (404, 401, 201). */
static bool
early_413(const struct resp *r)
{
	return r->status == 413 ||
	       (r->status == 0 && (r->cc == CURLE_SEND_ERROR || r->cc == CURLE_RECV_ERROR ||
				 r->cc == CURLE_GOT_NOTHING));
}

#define MAX_SEGMENT 131072	/* over [server] max_body (65536) */
#define QUOTA 200000
#define NSEG 3
#define SEG_PLAIN 20000
#define MARKER "PORTER-TEST-PLAINTEXT-FRAME-"
#define MISSING_CLIP "0123456789abcdef0123456789abcdef"

static struct server g_s;
static struct acct OWN, MEM, OTH;
static char H[40], H2[40];
static struct key OK1, OK2, OKO, CAM, CAM2, CAMX, FORGED;
static char clips_root[256];

/* ---- camera statements, and porterd's database as an attacker sees it ---- */

/* The owner-signed camera statement (porter/camera_stmt.h), base64url;
 * four rotating static buffers. */
static const char *
stmt_of(const struct key *owner, const char *home, const char *id, const struct key *cam,
	const char *name)
{
	static char text[4][PT_CAMERA_STMT_MAX / 3 * 4 + 8];
	static unsigned k;
	char *out = text[k++ % 4];
	uint8_t b[PT_CAMERA_STMT_MAX];
	struct pt_camera_stmt st;
	size_t n = 0;

	memset(&st, 0, sizeof(st));
	fmt(st.home, sizeof(st.home), "%s", home);
	fmt(st.camera, sizeof(st.camera), "%s", id);
	memcpy(st.camera_pk, cam->pk, PT_PK_LEN);
	fmt(st.name, sizeof(st.name), "%s", name != NULL ? name : "");
	st.iat = (int64_t)time(NULL);
	if (pt_camera_stmt_sign(pt_crypto_sodium(), &owner->sg, &st, b, sizeof(b), &n) != PT_OK ||
	    pt_b64_encode(out, sizeof(text[0]), b, n) != PT_OK)
		bail("cannot sign a camera statement");
	return out;
}

/* POST /v1/homes/{home}/cameras's body, the statement signed by owner. */
static json_t *
cam_body(const char *home, const char *id, const struct key *cam, const char *name,
	 const struct key *owner)
{
	json_t *j = json_pack("{s:s, s:s, s:s}", "id", id, "public_key", cam->text, "statement",
			      stmt_of(owner, home, id, cam, name));

	if (j != NULL && name != NULL)
		json_object_set_new(j, "name", json_string(name));
	return j;
}

/* Run SQL on porterd's database behind its back (sqlite3, or psql). */
static bool
db_exec(const char *sql)
{
	if (g_pg) {
		const char *pg_bin = getenv("PG_BIN");
		char psql[PATH_MAX], out[PATH_MAX], q[2048];
		char *argv[] = {psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", g_s.db, "-c", q,
				NULL};

		fmt(q, sizeof(q), "%s", sql);

		fmt(psql, sizeof(psql), "%s/psql",
		    pg_bin != NULL && pg_bin[0] != '\0' ? pg_bin : "/usr/bin");
		fmt(out, sizeof(out), "%s/psql.out", g_root);
		return run_cmd(argv, out, 30) == 0;
	}
	sqlite3 *db = NULL;
	bool ok = sqlite3_open_v2(g_s.db, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
		  sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
		  sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
	sqlite3_close(db);
	return ok;
}

/* A blob literal of the backend: X'..' or '\x..'::bytea. */
static const char *
blob_sql(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t i, o;

	o = (size_t)snprintf(out, cap, g_pg ? "'\\x" : "X'");
	for (i = 0; i < n && o + 3 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", p[i]);
	fmt(out + o, cap - o, g_pg ? "'::bytea" : "'");
	return out;
}

/* Set cameras.<column> of camera id to blob (NULL: SQL NULL). */
static bool
db_camera_set(const char *id, const char *column, const uint8_t *blob, size_t n)
{
	char sql[2048], lit[1200];

	fmt(sql, sizeof(sql), "UPDATE cameras SET %s = %s WHERE public_id = '%s'", column,
	    blob != NULL ? blob_sql(blob, n, lit, sizeof(lit)) : "NULL", id);
	return db_exec(sql);
}

/* ---- a sealed clip, as porter-cam makes one ---- */

struct clip {
	uint8_t id[PT_CLIP_ID_LEN];
	char hex[2 * PT_CLIP_ID_LEN + 1];
	uint8_t *key;				/* guarded */
	uint8_t *plain[NSEG];
	size_t plain_len[NSEG];
	uint8_t *seg[NSEG];
	size_t seg_len[NSEG];
	uint8_t hash[NSEG][PT_HASH_LEN];
	char sig[NSEG][PT_SIG_LEN * 2];		/* base64url */
	uint8_t *manifest;
	size_t manifest_len;
};

static void
seg_sig(const struct key *k, const uint8_t clip[PT_CLIP_ID_LEN], uint32_t index,
	const uint8_t *body, size_t len, char out[PT_SIG_LEN * 2])
{
	uint8_t h[PT_HASH_LEN], sig[PT_SIG_LEN];

	ops->sha256(h, body, len);
	if (pt_clip_segment_sign(&k->sg, clip, index, h, sig) != PT_OK ||
	    pt_b64_encode(out, PT_SIG_LEN * 2, sig, PT_SIG_LEN) != PT_OK)
		bail("cannot sign a segment");
}

/* The clip: NSEG segments sealed to owner (and owner2 if not NULL); the
 * manifest signed by cam, with seg 0's hash replaced by bad_hash if set. */
static void
clip_make(struct clip *c, const struct key *cam, const char *cam_id, const struct key *owner,
	  const struct key *owner2, const uint8_t *bad_hash)
{
	struct pt_clip_manifest *m = calloc(1, sizeof(*m));
	size_t i, k;

	memset(c, 0, sizeof(*c));
	if (m == NULL || (c->key = pt_clip_key_new()) == NULL ||
	    (c->manifest = malloc(PT_CLIP_MANIFEST_MAX)) == NULL)
		bail("out of memory");
	pt_random(c->id, sizeof(c->id));
	pt_clip_id_text(c->id, c->hex);
	for (i = 0; i < NSEG; i++) {
		c->plain_len[i] = SEG_PLAIN + i;
		if ((c->plain[i] = malloc(c->plain_len[i])) == NULL ||
		    (c->seg[i] = malloc(pt_seg_sealed_size(c->plain_len[i]))) == NULL)
			bail("out of memory");
		/* Recognisable "frames": the marker, then random bytes. */
		pt_random(c->plain[i], c->plain_len[i]);
		for (k = 0; k + sizeof(MARKER) < c->plain_len[i]; k += 1000)
			memcpy(c->plain[i] + k, MARKER, sizeof(MARKER) - 1);
		if (pt_seg_seal(c->key, c->id, (uint32_t)i, c->plain[i], c->plain_len[i], c->seg[i],
				&c->seg_len[i]) != PT_OK)
			bail("cannot seal a segment");
		ops->sha256(c->hash[i], c->seg[i], c->seg_len[i]);
		seg_sig(cam, c->id, (uint32_t)i, c->seg[i], c->seg_len[i], c->sig[i]);
	}
	fmt(m->camera, sizeof(m->camera), "%s", cam_id);
	memcpy(m->clip, c->id, PT_CLIP_ID_LEN);
	m->start_seq = 7;
	m->end_seq = 9;
	m->start_ms = (uint64_t)now_s() * 1000u;
	m->end_ms = m->start_ms + 2000u * NSEG;
	fmt(m->container, sizeof(m->container), "mp4");
	m->preroll_ms = 10000;
	m->postroll_ms = 5000;
	m->n_segments = NSEG;
	for (i = 0; i < NSEG; i++) {
		m->seg[i].index = (uint32_t)i;
		m->seg[i].duration_ms = 2000;
		m->seg[i].size = (uint32_t)c->seg_len[i];
		memcpy(m->seg[i].sha256, i == 0 && bad_hash != NULL ? bad_hash : c->hash[i],
		       PT_HASH_LEN);
	}
	m->n_keys = owner2 != NULL ? 2 : 1;
	pt_kid(ops, owner->pk, m->key[0].kid);
	if (pt_clip_key_seal(c->key, owner->pk, m->key[0].sealed) != PT_OK)
		bail("cannot seal the clip key");
	if (owner2 != NULL) {
		pt_kid(ops, owner2->pk, m->key[1].kid);
		if (pt_clip_key_seal(c->key, owner2->pk, m->key[1].sealed) != PT_OK)
			bail("cannot seal the clip key");
	}
	if (pt_clip_manifest_sign(&cam->sg, m, c->manifest, PT_CLIP_MANIFEST_MAX,
				  &c->manifest_len) != PT_OK)
		bail("cannot sign the manifest");
	free(m);
}

static void
clip_free(struct clip *c)
{
	for (size_t i = 0; i < NSEG; i++) {
		free(c->plain[i]);
		free(c->seg[i]);
	}
	free(c->manifest);
	pt_clip_key_free(c->key);
}

/* ---- uploads: two headers of our own, so a small curl call here ---- */

struct buf {
	char *p;
	size_t len;
};

static size_t
buf_cb(char *d, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;
	char *np = realloc(b->p, b->len + sz * n + 1);

	if (np == NULL)
		return 0;
	memcpy(np + b->len, d, sz * n);
	b->p = np;
	b->len += sz * n;
	b->p[b->len] = '\0';
	return sz * n;
}

struct up {
	long status;
	json_t *json;
	char code[64];
};

/* PUT path with the camera headers (either may be NULL: not sent). */
static void
cam_put(struct up *u, const char *path, const char *camera, const char *sig, const uint8_t *body,
	size_t len)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct buf b = {NULL, 0};
	char url[256], hv[256];
	json_t *e;

	json_decref(u->json);
	memset(u, 0, sizeof(*u));
	if (h == NULL)
		bail("curl");
	fmt(url, sizeof(url), "%s%s", g_s.base, path);
	hl = curl_slist_append(hl, "Expect:");
	hl = curl_slist_append(hl, strstr(path, "/manifest") != NULL ||
					   (strlen(path) > 4 && strcmp(path + strlen(path) - 4, "/key") == 0)
					   ? "Content-Type: application/cbor"
					   : "Content-Type: application/octet-stream");
	if (camera != NULL) {
		fmt(hv, sizeof(hv), "Porter-Camera: %s", camera);
		hl = curl_slist_append(hl, hv);
	}
	if (sig != NULL) {
		fmt(hv, sizeof(hv), "Porter-Signature: %s", sig);
		hl = curl_slist_append(hl, hv);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, len > 0 ? (const char *)body : "");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, buf_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &u->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	u->json = b.p != NULL ? json_loads(b.p, 0, NULL) : NULL;
	e = json_object_get(json_object_get(u->json, "error"), "code");
	fmt(u->code, sizeof(u->code), "%s", json_is_string(e) ? json_string_value(e) : "");
	if (u->status == 0 || u->status >= 500)
		printf("# PUT %s -> %ld %s\n", path, u->status, b.p != NULL ? b.p : "");
	free(b.p);
}

/* A PUT's answer names the bytes sent: their size and SHA-256 as
 * lowercase hex (docs/api.md; porter-cam deletes its copy on this). */
static bool
answer_names(const struct up *u, const uint8_t *body, size_t len)
{
	uint8_t h[PT_HASH_LEN];
	char want[2 * PT_HASH_LEN + 1];
	const char *got = json_string_value(json_object_get(u->json, "sha256"));

	pt_crypto_sodium()->sha256(h, body, len);
	pt_hex(h, sizeof(h), want);
	if (got == NULL || strcmp(got, want) != 0 ||
	    json_integer_value(json_object_get(u->json, "size")) != (json_int_t)len) {
		printf("# want sha256 %s size %zu, got %s\n", want, len,
		       u->json != NULL ? json_dumps(u->json, 0) : "(no JSON)");
		return false;
	}
	return true;
}

/* The manifest PUT's answer names the manifest c sent. */
static bool
manifest_answer_is(const struct up *u, const struct clip *c)
{
	return answer_names(u, c->manifest, c->manifest_len);
}

static bool
put_seg(struct up *u, const struct clip *c, uint32_t index, const char *camera, const char *what,
	long want, const char *code)
{
	cam_put(u, pathf("/v1/clips/%s/segments/%u", c->hex, (unsigned)index), camera,
		c->sig[index], c->seg[index], c->seg_len[index]);
	return CHECK(u->status == want && (code == NULL || strcmp(u->code, code) == 0),
		     "%s -> %ld %s (got %ld %s)", what, want, code != NULL ? code : "", u->status,
		     u->code);
}

/* ---- files ---- */

/* Files under dir (recursively), temporaries counted too. */
static int
count_files(const char *dir)
{
	char p[PATH_MAX];
	struct dirent *d;
	struct stat sb;
	DIR *dh = opendir(dir);
	int n = 0;

	if (dh == NULL)
		return 0;
	while ((d = readdir(dh)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		fmt(p, sizeof(p), "%s/%s", dir, d->d_name);
		if (stat(p, &sb) != 0)
			continue;
		n += S_ISDIR(sb.st_mode) ? count_files(p) : 1;
	}
	closedir(dh);
	return n;
}

static uint8_t *
mem_find(uint8_t *h, size_t hl, const uint8_t *n, size_t nl)
{
	for (size_t i = 0; i + nl <= hl; i++)
		if (h[i] == n[0] && memcmp(h + i, n, nl) == 0)
			return h + i;
	return NULL;
}

static bool
mem_has(const uint8_t *h, size_t hl, const uint8_t *n, size_t nl)
{
	for (size_t i = 0; i + nl <= hl; i++)
		if (h[i] == n[0] && memcmp(h + i, n, nl) == 0)
			return true;
	return false;
}

/* Does any file under dir (or dir itself, a file) hold needle? */
static bool
tree_has(const char *path, const uint8_t *needle, size_t nl)
{
	struct pt_errbuf err;
	struct dirent *d;
	struct stat sb;
	uint8_t *b = NULL;
	size_t len = 0;
	char p[PATH_MAX];
	bool found = false;
	DIR *dh;

	if (stat(path, &sb) != 0)
		return false;
	if (!S_ISDIR(sb.st_mode)) {
		if (pt_file_read(path, 256u << 20, &b, &len, &err) != PT_OK)
			return false;
		found = mem_has(b, len, needle, nl);
		free(b);
		return found;
	}
	if ((dh = opendir(path)) == NULL)
		return false;
	while (!found && (d = readdir(dh)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		fmt(p, sizeof(p), "%s/%s", path, d->d_name);
		found = tree_has(p, needle, nl);
	}
	closedir(dh);
	return found;
}

/* ---- setup ---- */

static void
mk_acct(struct acct *a, const char *email, const char *name)
{
	struct resp r = {0};

	acct_set(a, email, name);
	signup_as(&g_cl, &r, a, NULL, NULL);
	signin(&g_cl, &r, a);
	if (!CHECK(a->token[0] != '\0', "sign up and in as %s", email))
		bail("no account");
	resp_free(&r);
}

static void
mk_home(char id[40], const struct acct *a, const char *name)
{
	struct resp r = {0};

	jreq(&r, "POST", "/v1/homes", a->token, json_pack("{s:s, s:s}", "name", name, "tz", "UTC"));
	if (!CHECK(r.status == 201, "%s: POST /v1/homes -> 201", name)) {
		body_diag(&r);
		bail("no home");
	}
	fmt(id, 40, "%s", js(r.json, "id"));
	resp_free(&r);
}

static void
setup(void)
{
	struct resp r = {0};

	mk_acct(&OWN, "ana@example.org", "Ana");
	mk_acct(&MEM, "max@example.org", "Max");
	mk_acct(&OTH, "olga@example.org", "Olga");
	mk_home(H, &OWN, "Flat");
	mk_home(H2, &OTH, "Olga's flat");
	jreq(&r, "POST", pathf("/v1/homes/%s/members", H), OWN.token,
	     json_pack("{s:s, s:s}", "email", MEM.email, "role", "member"));
	expect_status(&r, 201, "the owner adds a household member");
	/* The owner keys porterd checks camera statements with. */
	jreq(&r, "POST", pathf("/v1/homes/%s/owner-keys", H), OWN.token,
	     json_pack("{s:s}", "public_key", OK1.text));
	expect_status(&r, 201, "the owner's key 1 enrolled");
	jreq(&r, "POST", pathf("/v1/homes/%s/owner-keys", H), OWN.token,
	     json_pack("{s:s}", "public_key", OK2.text));
	expect_status(&r, 201, "the owner's key 2 enrolled");
	jreq(&r, "POST", pathf("/v1/homes/%s/owner-keys", H2), OTH.token,
	     json_pack("{s:s}", "public_key", OKO.text));
	expect_status(&r, 201, "the other owner's key enrolled in her home");
	resp_free(&r);
}

/* ---- cameras ---- */

static void
test_cameras(void)
{
	struct resp r = {0};
	json_t *cams, *cam;
	json_t *j;

	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
	     cam_body(H, "cam-front", &CAM, "Front door", &OK1));
	if (!CHECK(r.status == 201 && strcmp(js(r.json, "id"), "cam-front") == 0 &&
			   strcmp(js(r.json, "public_key"), CAM.text) == 0 &&
			   strcmp(js(r.json, "key_id"), CAM.kid) == 0 &&
			   strcmp(js(r.json, "name"), "Front door") == 0 &&
			   strcmp(js(r.json, "signed_by"), OK1.kid) == 0 &&
			   json_is_string(json_object_get(r.json, "statement")),
		   "the owner enrols cam-front with her statement -> 201 with its key id and signer"))
		body_diag(&r);
	/* The statement: required, by an owner key of this home, naming
	 * exactly what the request enrols. */
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
	     json_pack("{s:s, s:s}", "id", "cam-hall", "public_key", CAMX.text));
	expect_err(&r, 400, "invalid-field", "statement", "a camera without a statement");
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
	     cam_body(H, "cam-hall", &CAMX, NULL, &FORGED));
	expect_err(&r, 403, "untrusted-signer", "statement",
		   "a statement signed by a key that is not the home's owner key");
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
	     cam_body(H, "cam-hall", &CAMX, NULL, &OKO));
	expect_err(&r, 403, "untrusted-signer", "statement",
		   "a statement by another home's owner key");
	j = cam_body(H, "cam-hall", &CAMX, NULL, &OK1);
	json_object_set_new(j, "public_key", json_string(CAM2.text));
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token, j);
	expect_err(&r, 400, "invalid-field", "statement", "a statement naming another camera key");
	j = cam_body(H, "cam-hall", &CAMX, NULL, &OK1);
	json_object_set_new(j, "id", json_string("cam-attic"));
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token, j);
	expect_err(&r, 400, "invalid-field", "statement", "a statement naming another camera id");
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
	     json_pack("{s:s, s:s, s:s}", "id", "cam-hall", "public_key", CAMX.text, "statement",
		       stmt_of(&OK1, H2, "cam-hall", &CAMX, NULL)));
	expect_err(&r, 400, "invalid-field", "statement", "a statement naming another home");
	j = cam_body(H, "cam-hall", &CAMX, "Hall", &OK1);
	json_object_set_new(j, "name", json_string("Garden"));
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token, j);
	expect_err(&r, 400, "invalid-field", "statement", "a statement naming another name");
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
	     json_pack("{s:s, s:s, s:s}", "id", "cam-hall", "public_key", CAMX.text, "statement",
		       "not base64url!"));
	expect_err(&r, 400, "invalid-field", "statement", "a statement that is not base64url");
	{
		/* The statement's bytes less the last 6, as base64url. */
		const char *t = stmt_of(&OK1, H, "cam-hall", &CAMX, NULL);
		size_t tl = strlen(t), bn = tl / 4 * 3 + (tl % 4 ? tl % 4 - 1 : 0);
		uint8_t b[PT_CAMERA_STMT_MAX];
		char cut[PT_CAMERA_STMT_MAX];

		if (bn > sizeof(b) || pt_b64_decode(b, bn, t, tl) != PT_OK ||
		    pt_b64_encode(cut, sizeof(cut), b, bn - 6) != PT_OK)
			bail("cannot cut a statement");
		jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
		     json_pack("{s:s, s:s, s:s}", "id", "cam-hall", "public_key", CAMX.text,
			       "statement", cut));
		expect_err(&r, 400, "malformed", "statement", "a truncated statement");
	}
	req(&r, "GET", pathf("/v1/homes/%s/cameras", H), OWN.token, NULL);
	CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "cameras")) == 1,
	      "none of the refused statements enrolled a camera");
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), MEM.token,
	     cam_body(H, "cam-hall", &CAMX, NULL, &OK1));
	expect_err(&r, 403, "forbidden", NULL, "a household member enrolling a camera");
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
	     cam_body(H, "cam-front", &CAMX, NULL, &OK1));
	expect_err(&r, 409, "exists", "id", "the same camera id again");
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
	     cam_body(H, "cam-other", &CAM, NULL, &OK2));
	expect_err(&r, 409, "exists", "id", "the same camera key under another id");
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H2), OTH.token,
	     cam_body(H2, "cam-front", &CAMX, NULL, &OKO));
	expect_err(&r, 409, "exists", "id", "another home's owner taking the id cam-front");
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H2), OTH.token,
	     cam_body(H2, "cam-b", &CAM2, NULL, &OKO));
	expect_status(&r, 201, "the other owner enrols cam-b in her home");
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
	     json_pack("{s:s, s:s, s:s}", "id", "../etc", "public_key", CAMX.text, "statement",
		       stmt_of(&OK1, H, "cam-x", &CAMX, NULL)));
	expect_err(&r, 400, "invalid-field", "id", "a camera id with '/'");
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
	     json_pack("{s:s, s:s}", "id", "cam-x", "public_key", "AAAA"));
	expect_err(&r, 400, "invalid-field", "public_key", "a short public key");
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
	     json_pack("{s:s, s:s, s:b}", "id", "cam-x", "public_key", CAMX.text, "admin", 1));
	expect_err(&r, 400, "unknown-field", "admin", "an unknown field");
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
	     json_pack("{s:s, s:s, s:s}", "id", "cam-x", "public_key", CAMX.text, "name",
		       "bell\x1b[2J"));
	expect_err(&r, 400, "invalid-field", "name", "a name with an escape sequence");
	req(&r, "GET", pathf("/v1/homes/%s/cameras", H), MEM.token, NULL);
	cams = json_object_get(r.json, "cameras");
	cam = find_by(cams, "id", "cam-front");
	CHECK(r.status == 200 && json_array_size(cams) == 1 && cam != NULL,
	      "a household member lists the home's one camera");
	CHECK(cam != NULL && json_is_string(json_object_get(cam, "statement")) &&
		      strcmp(js(cam, "signed_by"), OK1.kid) == 0,
	      "with its statement (base64url) and the signer's key id");
	req(&r, "GET", pathf("/v1/homes/%s/cameras", H), OTH.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "another owner listing the home's cameras");
	req(&r, "DELETE", pathf("/v1/homes/%s/cameras/cam-b", H), OWN.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "deleting another home's camera through ours");
	/* A camera enrolled and removed: its uploads are refused afterwards. */
	jreq(&r, "POST", pathf("/v1/homes/%s/cameras", H), OWN.token,
	     cam_body(H, "cam-gone", &CAMX, NULL, &OK2));
	if (!CHECK(r.status == 201 && strcmp(js(r.json, "signed_by"), OK2.kid) == 0,
		   "the owner enrols cam-gone, signed with her second key"))
		body_diag(&r);
	req(&r, "DELETE", pathf("/v1/homes/%s/cameras/cam-gone", H), MEM.token, NULL);
	expect_err(&r, 403, "forbidden", NULL, "a household member removing a camera");
	req(&r, "DELETE", pathf("/v1/homes/%s/cameras/cam-gone", H), OWN.token, NULL);
	expect_status(&r, 204, "the owner removes cam-gone");
	resp_free(&r);
}

/* ---- uploads ---- */

static void
test_uploads(struct clip *c)
{
	struct up u = {0};
	char sig[PT_SIG_LEN * 2], dir[PATH_MAX];
	uint8_t *junk, *big;
	size_t i;

	fmt(dir, sizeof(dir), "%s/%s/%s", clips_root, H, c->hex);
	put_seg(&u, c, 0, "cam-front", "segment 0", 201, NULL);
	CHECK(strcmp(js(u.json, "clip"), c->hex) == 0 &&
		      json_integer_value(json_object_get(u.json, "size")) == (json_int_t)c->seg_len[0],
	      "the answer names the clip and the size");
	put_seg(&u, c, 0, "cam-front", "segment 0 again (idempotent)", 200, NULL);
	put_seg(&u, c, 1, "cam-front", "segment 1", 201, NULL);

	/* Other bytes for a stored index, properly signed: 409. */
	seg_sig(&CAM, c->id, 0, c->seg[2], c->seg_len[2], sig);
	cam_put(&u, pathf("/v1/clips/%s/segments/0", c->hex), "cam-front", sig, c->seg[2],
		c->seg_len[2]);
	CHECK(u.status == 409 && strcmp(u.code, "conflict") == 0,
	      "other bytes for stored segment 0 -> 409 conflict (got %ld)", u.status);
	/* Signatures: forged, by another camera, for another index, none. */
	seg_sig(&CAM2, c->id, 2, c->seg[2], c->seg_len[2], sig);
	cam_put(&u, pathf("/v1/clips/%s/segments/2", c->hex), "cam-front", sig, c->seg[2],
		c->seg_len[2]);
	CHECK(u.status == 401 && strcmp(u.code, "unauthenticated") == 0,
	      "segment 2 signed by another camera's key under cam-front -> 401 (got %ld)", u.status);
	cam_put(&u, pathf("/v1/clips/%s/segments/2", c->hex), "cam-nobody", c->sig[2], c->seg[2],
		c->seg_len[2]);
	CHECK(u.status == 401 && strcmp(u.code, "unauthenticated") == 0,
	      "an unknown camera -> the same 401 (got %ld)", u.status);
	cam_put(&u, pathf("/v1/clips/%s/segments/2", c->hex), "cam-gone", c->sig[2], c->seg[2],
		c->seg_len[2]);
	CHECK(u.status == 401, "a removed camera -> 401 (got %ld)", u.status);
	cam_put(&u, pathf("/v1/clips/%s/segments/3", c->hex), "cam-front", c->sig[2], c->seg[2],
		c->seg_len[2]);
	CHECK(u.status == 401, "segment 2's signature at index 3 -> 401 (got %ld)", u.status);
	cam_put(&u, pathf("/v1/clips/%s/segments/2", c->hex), "cam-front", NULL, c->seg[2],
		c->seg_len[2]);
	CHECK(u.status == 401, "no Porter-Signature -> 401 (got %ld)", u.status);
	cam_put(&u, pathf("/v1/clips/%s/segments/2", c->hex), NULL, c->sig[2], c->seg[2],
		c->seg_len[2]);
	CHECK(u.status == 401, "no Porter-Camera -> 401 (got %ld)", u.status);
	c->seg[2][100] ^= 1;
	cam_put(&u, pathf("/v1/clips/%s/segments/2", c->hex), "cam-front", c->sig[2], c->seg[2],
		c->seg_len[2]);
	c->seg[2][100] ^= 1;
	CHECK(u.status == 401, "one flipped bit in the body -> 401 (got %ld)", u.status);
	/* Another home's camera and this clip id: test_squat (M1). */
	/* Not a sealed segment, though signed. */
	if ((junk = malloc(4000)) == NULL || (big = calloc(1, MAX_SEGMENT + 1)) == NULL)
		bail("out of memory");
	pt_random(junk, 4000);
	seg_sig(&CAM, c->id, 2, junk, 4000, sig);
	cam_put(&u, pathf("/v1/clips/%s/segments/2", c->hex), "cam-front", sig, junk, 4000);
	CHECK(u.status == 400 && strcmp(u.code, "malformed") == 0,
	      "random bytes, signed -> 400 malformed (got %ld)", u.status);
	seg_sig(&CAM, c->id, 2, big, MAX_SEGMENT + 1, sig);
	cam_put(&u, pathf("/v1/clips/%s/segments/2", c->hex), "cam-front", sig, big,
		MAX_SEGMENT + 1);
	CHECK(u.status == 413 && strcmp(u.code, "too-large") == 0,
	      "a body over [clips] max_segment -> 413 (got %ld)", u.status);
	free(junk);
	free(big);
	{
		/* Another Content-Type: 415 before anything is read. */
		struct resp r = {0};
		char hv[160];
		fmt(hv, sizeof(hv), "Porter-Signature: %s", c->sig[2]);
		hreq(&r, "PUT", pathf("/v1/clips/%s/segments/2", c->hex), NULL, "application/json",
		     (const char *)c->seg[2], c->seg_len[2], hv);
		expect_err(&r, 415, "unsupported-media-type", NULL,
			   "a segment sent as application/json");
		hreq(&r, "PUT", pathf("/v1/clips/%s/manifest", c->hex), NULL,
		     "application/octet-stream", (const char *)c->manifest, c->manifest_len, NULL);
		expect_err(&r, 415, "unsupported-media-type", NULL,
			   "a manifest sent as application/octet-stream");
		req(&r, "GET", pathf("/v1/clips/%s/segments/2", c->hex), NULL, NULL);
		CHECK(r.status == 405 && strcmp(r.allow, "PUT") == 0, "GET an upload route -> 405, Allow: PUT");
		resp_free(&r);
	}
	cam_put(&u, pathf("/v1/clips/%s/segments/01", c->hex), "cam-front", c->sig[1], c->seg[1],
		c->seg_len[1]);
	CHECK(u.status == 404, "index 01 (not canonical) -> 404 (got %ld)", u.status);
	cam_put(&u, pathf("/v1/clips/%s/segments/1024", c->hex), "cam-front", c->sig[1],
		c->seg[1], c->seg_len[1]);
	CHECK(u.status == 404, "index 1024 -> 404 (got %ld)", u.status);
	{
		/* M3: the segment limit only for PUT to an exact segment path;
		 * any other clips URL or method gets [server] max_body. */
		struct resp r = {0};
		char hv[160];
		char *mid = calloc(1, 100000);
		if (mid == NULL)
			bail("out of memory");
		fmt(hv, sizeof(hv), "Porter-Signature: %s", c->sig[1]);
		hreq(&r, "PUT", pathf("/v1/clips/%s/segments/01", c->hex), NULL,
		     "application/octet-stream", mid, 100000, hv);
		CHECK(early_413(&r), "100 kB to a non-canonical segment path -> 413, not read as a"
				     " segment (got %ld, curl %d)", r.status, (int)r.cc);
		hreq(&r, "POST", pathf("/v1/clips/%s/segments/1", c->hex), NULL,
		     "application/octet-stream", mid, 100000, hv);
		CHECK(early_413(&r), "100 kB POSTed to a segment path -> 413 (got %ld, curl %d)",
		      r.status, (int)r.cc);
		hreq(&r, "PUT", pathf("/v1/clips/%s/segmentsX/1", c->hex), NULL,
		     "application/octet-stream", mid, 100000, hv);
		CHECK(early_413(&r), "100 kB to an unknown clips path -> 413 (got %ld, curl %d)",
		      r.status, (int)r.cc);
		free(mid);
		resp_free(&r);
	}
	cam_put(&u, "/v1/clips/../segments/1", "cam-front", c->sig[1], c->seg[1], c->seg_len[1]);
	CHECK(u.status == 404 || u.status == 400, "a path for a clip id -> 404 (got %ld)",
	      u.status);
	CHECK(count_files(dir) == 4,
	      "after the refusals the clip store holds 2 segments and their 2 signatures (%d)",
	      count_files(dir));

	/* The manifest: segment 2 is missing, 0 and 1 match. */
	cam_put(&u, pathf("/v1/clips/%s/manifest", c->hex), NULL, NULL, c->manifest,
		c->manifest_len);
	if (!CHECK(u.status == 201 && json_integer_value(json_object_get(u.json, "stored")) == 2 &&
			   json_array_size(json_object_get(u.json, "missing")) == 1 &&
			   json_integer_value(json_array_get(json_object_get(u.json, "missing"),
							     0)) == 2,
		   "the manifest -> 201, 2 stored, missing [2] (got %ld)", u.status))
		printf("# %s\n", u.json != NULL ? json_dumps(u.json, 0) : "");
	CHECK(manifest_answer_is(&u, c), "the manifest's 201 carries the size and SHA-256 (hex) of"
	      " the manifest sent");
	cam_put(&u, pathf("/v1/clips/%s/manifest", c->hex), "cam-front", NULL, c->manifest,
		c->manifest_len);
	CHECK(u.status == 200, "the same manifest again -> 200 (got %ld)", u.status);
	CHECK(manifest_answer_is(&u, c), "the same manifest's 200 carries the same size and SHA-256");
	cam_put(&u, pathf("/v1/clips/%s/manifest", c->hex), "cam-b", NULL, c->manifest,
		c->manifest_len);
	CHECK(u.status == 401, "the manifest with Porter-Camera naming another camera -> 401 (got %ld)",
	      u.status);
	cam_put(&u, pathf("/v1/clips/%s/manifest", MISSING_CLIP), NULL, NULL, c->manifest,
		c->manifest_len);
	CHECK(u.status == 400 && strcmp(u.code, "invalid-field") == 0,
	      "the manifest under another clip's path -> 400 (got %ld)", u.status);
	c->manifest[c->manifest_len - 5] ^= 0x10;
	cam_put(&u, pathf("/v1/clips/%s/manifest", c->hex), NULL, NULL, c->manifest,
		c->manifest_len);
	c->manifest[c->manifest_len - 5] ^= 0x10;
	CHECK(u.status == 401, "a manifest with a flipped signature bit -> 401 (got %ld)", u.status);
	/* After the manifest, segment 2 must be the one it lists. */
	seg_sig(&CAM, c->id, 2, c->seg[1], c->seg_len[1], sig);
	cam_put(&u, pathf("/v1/clips/%s/segments/2", c->hex), "cam-front", sig, c->seg[1],
		c->seg_len[1]);
	CHECK(u.status == 409, "segment 2 with bytes the manifest does not list -> 409 (got %ld)",
	      u.status);
	put_seg(&u, c, 2, "cam-front", "segment 2 after the manifest", 201, NULL);
	seg_sig(&CAM, c->id, 3, c->seg[1], c->seg_len[1], sig);
	cam_put(&u, pathf("/v1/clips/%s/segments/3", c->hex), "cam-front", sig, c->seg[1],
		c->seg_len[1]);
	CHECK(u.status == 409, "a segment beyond the manifest -> 409 (got %ld)", u.status);
	CHECK(count_files(dir) == 2 * NSEG,
	      "the clip store holds the %d segments, their signatures and nothing else (%d)", NSEG,
	      count_files(dir));
	for (i = 0; i < NSEG; i++)
		put_seg(&u, c, (uint32_t)i, "cam-front", "every segment again", 200, NULL);
	json_decref(u.json);
}

/* A manifest whose hash of a stored segment is wrong is refused whole. */
static void
test_bad_manifest(void)
{
	struct clip c;
	struct up u = {0};
	struct resp r = {0};
	uint8_t bad[PT_HASH_LEN];

	memset(bad, 0xab, sizeof(bad));
	clip_make(&c, &CAM, "cam-front", &OK1, NULL, bad);
	put_seg(&u, &c, 0, "cam-front", "segment 0 of a second clip", 201, NULL);
	cam_put(&u, pathf("/v1/clips/%s/manifest", c.hex), NULL, NULL, c.manifest, c.manifest_len);
	CHECK(u.status == 409 && strcmp(u.code, "conflict") == 0,
	      "a manifest that does not match stored segment 0 -> 409 (got %ld)", u.status);
	req(&r, "GET", pathf("/v1/homes/%s/clips/%s", H, c.hex), OWN.token, NULL);
	CHECK(r.status == 200 && json_is_null(json_object_get(r.json, "manifest")) &&
		      ji(r.json, "segments") == 1,
	      "the refused manifest was not stored (the clip has 1 segment, no manifest)");
	req(&r, "GET", pathf("/v1/homes/%s/clips/%s/manifest", H, c.hex), OWN.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "its manifest reads as not there");
	resp_free(&r);
	json_decref(u.json);
	clip_free(&c);
}

/* ---- reads ---- */

static void
test_reads(struct clip *c)
{
	struct resp r = {0};
	uint8_t *key = pt_guarded_alloc(PT_CLIP_KEY_LEN), *plain;
	struct pt_clip_manifest *m = malloc(sizeof(*m));
	json_t *clips, *one, *man;
	size_t i, olen;
	int ok;

	if (key == NULL || m == NULL || (plain = malloc(SEG_PLAIN + NSEG)) == NULL)
		bail("out of memory");
	req(&r, "GET", pathf("/v1/homes/%s/clips", H), OWN.token, NULL);
	clips = json_object_get(r.json, "clips");
	one = find_by(clips, "id", c->hex);
	CHECK(r.status == 200 && json_array_size(clips) == 2 && one != NULL &&
		      ji(one, "segments") == NSEG && json_is_true(json_object_get(one, "manifest")) &&
		      strcmp(js(one, "camera"), "cam-front") == 0 &&
		      strcmp(js(one, "camera_key"), CAM.text) == 0,
	      "GET clips: both clips; the first with %d segments, its manifest, its camera", NSEG);
	req(&r, "GET", pathf("/v1/homes/%s/clips?limit=1", H), MEM.token, NULL);
	CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "clips")) == 1 &&
		      json_is_string(json_object_get(r.json, "next")),
	      "a household member pages the clips: limit=1 gives one and a next cursor");
	if (json_is_string(json_object_get(r.json, "next"))) {
		char next[32];
		fmt(next, sizeof(next), "%s", js(r.json, "next"));
		req(&r, "GET", pathf("/v1/homes/%s/clips?limit=1&after=%s", H, next), MEM.token, NULL);
		CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "clips")) == 1,
		      "the next page has the other clip");
	}
	req(&r, "GET", pathf("/v1/homes/%s/clips/%s", H, c->hex), MEM.token, NULL);
	man = json_object_get(r.json, "manifest");
	CHECK(r.status == 200 && ji(man, "start_seq") == 7 && ji(man, "end_seq") == 9 &&
		      strcmp(js(man, "container"), "mp4") == 0 &&
		      json_array_size(json_object_get(man, "segments")) == NSEG &&
		      json_array_size(json_object_get(r.json, "missing")) == 0 &&
		      json_is_string(json_array_get(json_object_get(man, "recipients"), 0)) &&
		      strcmp(json_string_value(json_array_get(json_object_get(man, "recipients"), 0)),
			     OK1.kid) == 0,
	      "GET the clip: the manifest's facts, %d segments, none missing, sealed to the owner",
	      NSEG);
	req(&r, "GET", pathf("/v1/homes/%s/clips/%s/manifest", H, c->hex), OWN.token, NULL);
	CHECK(r.status == 200 && r.len == c->manifest_len &&
		      memcmp(r.body, c->manifest, r.len) == 0,
	      "GET the manifest: the camera's signed bytes, as uploaded");
	CHECK(pt_clip_manifest_open(ops, CAM.pk, (const uint8_t *)r.body, r.len, m) == PT_OK,
	      "the downloaded manifest verifies with the camera key");
	CHECK(pt_clip_key_open(OK1.sec, m->key[0].sealed, key) == PT_OK,
	      "the owner's key opens the sealed clip key");
	CHECK(pt_clip_key_open(OK2.sec, m->key[0].sealed, key) == PT_EBADSIG &&
		      pt_clip_key_open(OK1.sec, m->key[0].sealed, key) == PT_OK,
	      "another owner's key does not");
	ok = 0;
	for (i = 0; i < NSEG; i++) {
		uint8_t h[PT_HASH_LEN];
		req(&r, "GET", pathf("/v1/homes/%s/clips/%s/segments/%zu", H, c->hex, i), OWN.token,
		    NULL);
		ops->sha256(h, (const uint8_t *)r.body, r.len);
		if (r.status == 200 && r.len == c->seg_len[i] &&
		    memcmp(h, m->seg[i].sha256, PT_HASH_LEN) == 0 &&
		    pt_seg_open(key, c->id, (uint32_t)i, (const uint8_t *)r.body, r.len, plain,
				&olen) == PT_OK &&
		    olen == c->plain_len[i] && memcmp(plain, c->plain[i], olen) == 0)
			ok++;
	}
	CHECK(ok == NSEG, "every downloaded segment matches the manifest and decrypts to the plaintext (%d)",
	      ok);
	req(&r, "GET", pathf("/v1/homes/%s/clips/%s/segments/5", H, c->hex), OWN.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "a segment that is not stored");
	req(&r, "GET", pathf("/v1/homes/%s/clips/%s", H, MISSING_CLIP), OWN.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "a clip that does not exist");
	req(&r, "POST", pathf("/v1/homes/%s/clips", H), OWN.token, "{}");
	CHECK(r.status == 405, "POST clips -> 405");

	/* Cross-tenant: another owner gets 404 on every clip route, through
	 * this home and through her own. */
	{
		const char *paths[] = {
			pathf("/v1/homes/%s/clips", H),
			pathf("/v1/homes/%s/clips/%s", H, c->hex),
			pathf("/v1/homes/%s/clips/%s/manifest", H, c->hex),
			pathf("/v1/homes/%s/clips/%s/segments/0", H, c->hex),
			pathf("/v1/homes/%s/clips/%s", H2, c->hex),
			pathf("/v1/homes/%s/clips/%s/manifest", H2, c->hex),
			pathf("/v1/homes/%s/clips/%s/segments/0", H2, c->hex),
		};
		int n404 = 0;
		for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			char p[256];
			fmt(p, sizeof(p), "%s", paths[i]);
			req(&r, "GET", p, OTH.token, NULL);
			if (r.status == 404 && strcmp(ecode(&r), "not-found") == 0)
				n404++;
			else
				printf("# %s -> %ld\n", p, r.status);
		}
		CHECK(n404 == (int)(sizeof(paths) / sizeof(paths[0])),
		      "another owner: 404 on all %zu clip routes (%d)",
		      sizeof(paths) / sizeof(paths[0]), n404);
		req(&r, "GET", pathf("/v1/homes/%s/clips", H2), OTH.token, NULL);
		CHECK(r.status == 200 && json_array_size(json_object_get(r.json, "clips")) == 0,
		      "her own home lists no clips");
		req(&r, "GET", pathf("/v1/homes/%s/clips", H), NULL, NULL);
		CHECK(r.status == 401, "no session -> 401");
	}
	resp_free(&r);
	pt_guarded_free(key);
	free(m);
	free(plain);
}

/* ---- H1: the key record, stored segment signatures, a clip cut short ---- */

static int porter(const char *out, ...);

static struct clip KC;		/* uploaded with its key record, no manifest */
static uint8_t kc_rec[PT_CLIP_KEYREC_MAX];
static size_t kc_rec_len;

/* The key record of clip c as porter-cam makes it: from its manifest. */
static void
keyrec_make(const struct clip *c, const struct key *signer, uint64_t start_ms, uint8_t *out,
	    size_t *len, bool reseal)
{
	struct pt_clip_manifest *m = malloc(sizeof(*m));
	struct pt_clip_keyrec k;

	if (m == NULL || pt_clip_manifest_open(ops, CAM.pk, c->manifest, c->manifest_len, m) != PT_OK)
		bail("cannot open the test clip's manifest");
	memset(&k, 0, sizeof(k));
	memcpy(k.camera, m->camera, sizeof(k.camera));
	memcpy(k.clip, m->clip, PT_CLIP_ID_LEN);
	k.start_seq = m->start_seq;
	k.start_ms = start_ms;
	memcpy(k.container, m->container, sizeof(k.container));
	k.n_keys = m->n_keys;
	memcpy(k.key, m->key, sizeof(k.key));
	if (reseal && pt_clip_key_seal(c->key, OK1.pk, k.key[0].sealed) != PT_OK)
		bail("cannot seal");
	if (pt_clip_keyrec_sign(&signer->sg, &k, out, PT_CLIP_KEYREC_MAX, len) != PT_OK)
		bail("cannot sign a key record");
	free(m);
}

static void
test_keyrec(void)
{
	struct up u = {0};
	struct resp r = {0};
	uint8_t other[PT_CLIP_KEYREC_MAX], *bad;
	size_t other_len, i;
	json_t *ss;
	int ok;

	clip_make(&KC, &CAM, "cam-front", &OK1, &OK2, NULL);
	keyrec_make(&KC, &CAM, 1700000000000ull, kc_rec, &kc_rec_len, false);
	req(&r, "GET", pathf("/v1/homes/%s/clips/%s/key", H, KC.hex), OWN.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "GET the key record of a clip not uploaded yet");

	/* Refusals first: nothing of them may stay. */
	keyrec_make(&KC, &CAM2, 1700000000000ull, other, &other_len, false);
	cam_put(&u, pathf("/v1/clips/%s/key", KC.hex), "cam-front", NULL, other, other_len);
	CHECK(u.status == 401 && strcmp(u.code, "unauthenticated") == 0,
	      "a key record signed by another camera's key -> 401 (got %ld)", u.status);
	cam_put(&u, pathf("/v1/clips/%s/key", KC.hex), NULL, NULL, kc_rec, kc_rec_len);
	CHECK(u.status == 401, "a key record without Porter-Camera -> 401 (got %ld)", u.status);
	cam_put(&u, pathf("/v1/clips/%s/key", KC.hex), "cam-b", NULL, kc_rec, kc_rec_len);
	CHECK(u.status == 401, "Porter-Camera naming another camera than the record -> 401 (got %ld)",
	      u.status);
	if ((bad = malloc(kc_rec_len)) == NULL)
		bail("out of memory");
	for (i = 0, ok = 0; i < kc_rec_len; i += 7) {
		memcpy(bad, kc_rec, kc_rec_len);
		bad[i] ^= 0x01;
		cam_put(&u, pathf("/v1/clips/%s/key", KC.hex), "cam-front", NULL, bad, kc_rec_len);
		if (u.status == 401 || u.status == 400)
			ok++;
		else
			printf("# byte %zu flipped -> %ld\n", i, u.status);
	}
	CHECK(ok == (int)((kc_rec_len + 6) / 7), "a flipped byte anywhere in the record -> 401 or 400"
						 " (%d of %zu)", ok, (kc_rec_len + 6) / 7);
	free(bad);
	cam_put(&u, pathf("/v1/clips/%s/key", MISSING_CLIP), "cam-front", NULL, kc_rec, kc_rec_len);
	CHECK(u.status == 400 && strcmp(u.code, "invalid-field") == 0,
	      "the key record under another clip's path -> 400 (got %ld)", u.status);
	cam_put(&u, pathf("/v1/clips/%s/manifest", KC.hex), NULL, NULL, kc_rec, kc_rec_len);
	CHECK(u.status == 400 || u.status == 401,
	      "a key record sent as the manifest is refused (got %ld)", u.status);
	cam_put(&u, pathf("/v1/clips/%s/key", KC.hex), "cam-front", NULL, KC.manifest,
		KC.manifest_len);
	CHECK(u.status == 400 || u.status == 401,
	      "a manifest sent as the key record is refused (got %ld)", u.status);
	req(&r, "GET", pathf("/v1/homes/%s/clips/%s", H, KC.hex), OWN.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "after the refusals the clip does not exist");

	/* The record, then again, then other bytes. */
	cam_put(&u, pathf("/v1/clips/%s/key", KC.hex), "cam-front", NULL, kc_rec, kc_rec_len);
	if (!CHECK(u.status == 201 && strcmp(js(u.json, "clip"), KC.hex) == 0 &&
			   ji(u.json, "recipients") == 2 && ji(u.json, "start_seq") == 7,
		   "the key record -> 201 {clip, recipients 2, start_seq 7} (got %ld)", u.status))
		printf("# %s\n", u.json != NULL ? json_dumps(u.json, 0) : "");
	CHECK(answer_names(&u, kc_rec, kc_rec_len),
	      "the key record's 201 carries its size and SHA-256 (hex)");
	cam_put(&u, pathf("/v1/clips/%s/key", KC.hex), "cam-front", NULL, kc_rec, kc_rec_len);
	CHECK(u.status == 200, "the same key record again -> 200 (got %ld)", u.status);
	CHECK(answer_names(&u, kc_rec, kc_rec_len),
	      "the same key record's 200 carries the same size and SHA-256");
	keyrec_make(&KC, &CAM, 1700000000001ull, other, &other_len, false);
	cam_put(&u, pathf("/v1/clips/%s/key", KC.hex), "cam-front", NULL, other, other_len);
	CHECK(u.status == 409 && strcmp(u.code, "conflict") == 0,
	      "another key record for the clip -> 409 (got %ld)", u.status);
	req(&r, "GET", pathf("/v1/homes/%s/clips/%s/key", H, KC.hex), MEM.token, NULL);
	CHECK(r.status == 200 && r.len == kc_rec_len && memcmp(r.body, kc_rec, r.len) == 0,
	      "GET the key record: the camera's signed bytes (a member reads it too)");
	req(&r, "GET", pathf("/v1/homes/%s/clips/%s/key", H, KC.hex), OTH.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "another home's owner: the key record is 404");
	req(&r, "GET", pathf("/v1/homes/%s/clips/%s/key", H2, KC.hex), OTH.token, NULL);
	expect_err(&r, 404, "not-found", NULL, "... and through her own home");

	/* Segments 0 and 1 (2 never comes): their signatures are kept. */
	put_seg(&u, &KC, 0, "cam-front", "segment 0 after the key record", 201, NULL);
	put_seg(&u, &KC, 1, "cam-front", "segment 1 after the key record", 201, NULL);
	req(&r, "GET", pathf("/v1/homes/%s/clips/%s", H, KC.hex), OWN.token, NULL);
	ss = json_object_get(r.json, "stored_segments");
	CHECK(r.status == 200 && json_is_true(json_object_get(r.json, "key")) &&
		      json_is_null(json_object_get(r.json, "manifest")) && json_array_size(ss) == 2,
	      "GET the clip: key true, no manifest, 2 stored segments");
	for (i = 0, ok = 0; i < json_array_size(ss); i++) {
		json_t *o = json_array_get(ss, i);
		uint8_t sig[PT_SIG_LEN];
		char hx[2 * PT_HASH_LEN + 1];
		const char *t = js(o, "signature");
		pt_hex(KC.hash[i], PT_HASH_LEN, hx);
		if (ji(o, "index") == (long long)i && ji(o, "size") == (long long)KC.seg_len[i] &&
		    strcmp(js(o, "sha256"), hx) == 0 && strlen(t) == pt_b64_len(PT_SIG_LEN) &&
		    pt_b64_decode(sig, sizeof(sig), t, strlen(t)) == PT_OK &&
		    pt_clip_segment_verify(ops, CAM.pk, KC.id, (uint32_t)i, KC.hash[i], sig) == PT_OK)
			ok++;
	}
	CHECK(ok == 2, "each stored segment: index, size, sha256 and the camera's signature, which"
		       " verifies (%d of 2)", ok);
	{
		char sfile[PATH_MAX];
		struct stat sb;
		fmt(sfile, sizeof(sfile), "%s/%s/%s/0001.sig", clips_root, H, KC.hex);
		CHECK(stat(sfile, &sb) == 0 && sb.st_size == PT_HASH_LEN + PT_SIG_LEN &&
			      (sb.st_mode & 0777) == 0600,
		      "the signature is kept beside the segment: 0001.sig, 96 bytes, 0600");
	}
	/* A refused segment leaves no signature behind. */
	{
		char sig[PT_SIG_LEN * 2], dir[PATH_MAX];
		seg_sig(&CAM, KC.id, 1, KC.seg[0], KC.seg_len[0], sig);
		cam_put(&u, pathf("/v1/clips/%s/segments/1", KC.hex), "cam-front", sig, KC.seg[0],
			KC.seg_len[0]);
		CHECK(u.status == 409, "other bytes at index 1 -> 409 (got %ld)", u.status);
		fmt(dir, sizeof(dir), "%s/%s/%s", clips_root, H, KC.hex);
		CHECK(count_files(dir) == 4, "and the clip's directory still holds 2 segments and 2"
					     " signatures (%d)", count_files(dir));
	}
	resp_free(&r);
	json_decref(u.json);
}

/* After the CLI is logged in (test_cli): decrypt without a manifest. */
static void
test_cli_cut_short(void)
{
	char out[PATH_MAX], key1[PATH_MAX], key2[PATH_MAX], video[PATH_MAX], seg1[PATH_MAX];
	struct pt_errbuf err;
	uint8_t *got = NULL, *want, *orig = NULL, *m2;
	size_t got_len = 0, want_len, orig_len = 0, m2_len;
	struct stat sb;
	struct up u = {0};
	int rc;

	fmt(out, sizeof(out), "%s/porter-cut.out", g_root);
	fmt(key1, sizeof(key1), "%s/owner1.key", g_root);
	fmt(key2, sizeof(key2), "%s/owner2.key", g_root);
	fmt(video, sizeof(video), "%s/cut.mp4", g_root);
	setenv("PORTER_PASSWORD", OWN.pw, 1);
	rc = porter(out, "clip", "decrypt", "--home", H, KC.hex, "--key", key2, "--out", video,
		    "--camera-key", CAM.text, NULL);
	if (!CHECK(rc == 4 && tree_has(out, (const uint8_t *)"CUT SHORT", 9) &&
			   tree_has(out, (const uint8_t *)"segments present: 0,1;", 22),
		   "no manifest: decrypt opens the key record, checks each segment's signature,"
		   " says CUT SHORT with the segments present, exit 4 (exit %d)", rc))
		print_file_diag(out, "porter: ");
	want_len = KC.plain_len[0] + KC.plain_len[1];
	if ((want = malloc(want_len)) == NULL)
		bail("out of memory");
	memcpy(want, KC.plain[0], KC.plain_len[0]);
	memcpy(want + KC.plain_len[0], KC.plain[1], KC.plain_len[1]);
	CHECK(pt_file_read(video, 1u << 24, &got, &got_len, &err) == PT_OK && got_len == want_len &&
		      memcmp(got, want, want_len) == 0,
	      "--out holds segments 0 and 1, in order (%zu bytes)", got_len);
	free(got);
	free(want);
	unlink(video);
	rc = porter(out, "clip", "decrypt", "--home", H, KC.hex, "--key", key2, "--out", video,
		    "--camera-key", CAM2.text, NULL);
	CHECK(rc == 10 - PT_EBADSIG && stat(video, &sb) != 0 &&
		      tree_has(out, (const uint8_t *)"key record does not verify", 26),
	      "another camera key: the key record does not verify, no file (exit %d)", rc);
	rc = porter(out, "clip", "get", "--home", H, KC.hex, NULL);
	CHECK(rc == 0 && tree_has(out, (const uint8_t *)"stored indexes   0,1", 20) &&
		      tree_has(out, (const uint8_t *)"key record", 10),
	      "porter clip get: the key record, the stored indexes (exit %d)", rc);

	/* A byte of stored segment 1 flipped on porterd's disk: named. */
	fmt(seg1, sizeof(seg1), "%s/%s/%s/0001.seg", clips_root, H, KC.hex);
	if (pt_file_read(seg1, 1u << 24, &orig, &orig_len, &err) != PT_OK)
		bail("cannot read a stored segment");
	orig[orig_len / 3] ^= 0x04;
	if (pt_file_write(seg1, orig, orig_len, 0600, &err) != PT_OK)
		bail("cannot write a stored segment");
	rc = porter(out, "clip", "decrypt", "--home", H, KC.hex, "--key", key1, "--out", video,
		    "--camera-key", CAM.text, NULL);
	CHECK(rc == 10 - PT_EBADSIG && stat(video, &sb) != 0 &&
		      tree_has(out, (const uint8_t *)"segment 1: its signature does not verify", 40),
	      "a flipped byte in stored segment 1, no manifest: named, nothing written (exit %d)",
	      rc);
	orig[orig_len / 3] ^= 0x04;
	if (pt_file_write(seg1, orig, orig_len, 0600, &err) != PT_OK)
		bail("cannot write a stored segment");
	free(orig);

	/* The manifest must carry the key record's recipients: one with
	 * another sealing of the same key is refused. */
	if ((m2 = malloc(PT_CLIP_MANIFEST_MAX)) == NULL)
		bail("out of memory");
	{
		struct pt_clip_manifest *m = malloc(sizeof(*m));
		if (m == NULL ||
		    pt_clip_manifest_open(ops, CAM.pk, KC.manifest, KC.manifest_len, m) != PT_OK ||
		    pt_clip_key_seal(KC.key, OK1.pk, m->key[0].sealed) != PT_OK ||
		    pt_clip_manifest_sign(&CAM.sg, m, m2, PT_CLIP_MANIFEST_MAX, &m2_len) != PT_OK)
			bail("cannot make a manifest");
		free(m);
	}
	cam_put(&u, pathf("/v1/clips/%s/manifest", KC.hex), NULL, NULL, m2, m2_len);
	CHECK(u.status == 409 && strcmp(u.code, "conflict") == 0,
	      "a manifest whose sealed keys are not the key record's -> 409 (got %ld)", u.status);
	free(m2);
	{
		/* L6: leftovers of a porterd killed mid-upload in the clip's
		 * directory: a temporary and a signature without its segment,
		 * both two minutes old, go when the clip is written to again; a
		 * temporary of a moment ago (perhaps in flight) stays. */
		char oldtmp[PATH_MAX], young[PATH_MAX], stale[PATH_MAX];
		struct timespec ago[2];
		uint8_t junk[PT_HASH_LEN + PT_SIG_LEN], got_h[PT_HASH_LEN + PT_SIG_LEN + 1];
		FILE *jf;
		size_t gn = 0;

		fmt(oldtmp, sizeof(oldtmp), "%s/%s/%s/.tmp-00112233aabbccdd", clips_root, H, KC.hex);
		fmt(young, sizeof(young), "%s/%s/%s/.tmp-young00000000", clips_root, H, KC.hex);
		fmt(stale, sizeof(stale), "%s/%s/%s/0002.sig", clips_root, H, KC.hex);
		pt_random(junk, sizeof(junk));
		if (pt_file_write(oldtmp, junk, 10, 0600, &err) != PT_OK ||
		    pt_file_write(young, junk, 10, 0600, &err) != PT_OK ||
		    pt_file_write(stale, junk, sizeof(junk), 0600, &err) != PT_OK)
			bail("cannot plant leftovers");
		clock_gettime(CLOCK_REALTIME, &ago[0]);
		ago[0].tv_sec -= 120;
		ago[1] = ago[0];
		if (utimensat(AT_FDCWD, oldtmp, ago, 0) != 0 || utimensat(AT_FDCWD, stale, ago, 0) != 0)
			bail("cannot age the leftovers");
		put_seg(&u, &KC, 2, "cam-front", "the last segment, over a stale signature file", 201,
			NULL);
		if ((jf = fopen(stale, "rb")) != NULL) {
			gn = fread(got_h, 1, sizeof(got_h), jf);
			fclose(jf);
		}
		CHECK(gn == PT_HASH_LEN + PT_SIG_LEN && memcmp(got_h, KC.hash[2], PT_HASH_LEN) == 0,
		      "a signature file left without its segment (2 minutes old) is replaced by the"
		      " upload's own");
		CHECK(stat(oldtmp, &sb) != 0 && stat(young, &sb) == 0,
		      "a 2-minute-old temporary is removed, one of a moment ago kept");
		unlink(young);
	}
	cam_put(&u, pathf("/v1/clips/%s/manifest", KC.hex), NULL, NULL, KC.manifest,
		KC.manifest_len);
	CHECK(u.status == 201, "the manifest with the key record's keys -> 201 (got %ld)", u.status);
	rc = porter(out, "clip", "decrypt", "--home", H, KC.hex, "--key", key1, "--out", video,
		    "--camera-key", CAM.text, NULL);
	CHECK(rc == 0 && !tree_has(out, (const uint8_t *)"CUT SHORT", 9),
	      "with the manifest (and the matching key record): a full clip, exit 0 (exit %d)", rc);
	unlink(video);
	json_decref(u.json);
	unsetenv("PORTER_PASSWORD");
}

/* M1: clips are keyed by (home, clip id). Another home's camera uploading
 * first to a clip id does not take it from this home's camera: each home
 * gets its own clip, and each owner sees only their home's. */
static void
test_squat(void)
{
	struct clip sq;
	struct up u = {0};
	struct resp r = {0};
	char sig[PT_SIG_LEN * 2];

	clip_make(&sq, &CAM2, "cam-b", &OK2, NULL, NULL);
	cam_put(&u, pathf("/v1/clips/%s/segments/0", sq.hex), "cam-b", sq.sig[0], sq.seg[0],
		sq.seg_len[0]);
	CHECK(u.status == 201, "cam-b (home 2) uploads to a clip id first -> 201 (got %ld)",
	      u.status);
	seg_sig(&CAM, sq.id, 0, sq.seg[0], sq.seg_len[0], sig);
	cam_put(&u, pathf("/v1/clips/%s/segments/0", sq.hex), "cam-front", sig, sq.seg[0],
		sq.seg_len[0]);
	CHECK(u.status == 201,
	      "cam-front (home 1) uploads to the same clip id: its own home's clip -> 201, not"
	      " 409 (got %ld)", u.status);
	req(&r, "GET", pathf("/v1/homes/%s/clips/%s", H, sq.hex), OWN.token, NULL);
	CHECK(r.status == 200 && r.json != NULL && strcmp(js(r.json, "camera"), "cam-front") == 0,
	      "home 1's owner sees home 1's clip, by cam-front (got %ld)", r.status);
	req(&r, "GET", pathf("/v1/homes/%s/clips/%s", H2, sq.hex), OTH.token, NULL);
	CHECK(r.status == 200 && r.json != NULL && strcmp(js(r.json, "camera"), "cam-b") == 0,
	      "home 2's owner sees home 2's clip, by cam-b (got %ld)", r.status);
	{
		char p1[PATH_MAX], p2[PATH_MAX];
		struct stat sb;
		fmt(p1, sizeof(p1), "%s/%s/%s/0000.seg", clips_root, H, sq.hex);
		fmt(p2, sizeof(p2), "%s/%s/%s/0000.seg", clips_root, H2, sq.hex);
		CHECK(stat(p1, &sb) == 0 && stat(p2, &sb) == 0,
		      "each stored under its own home's directory");
	}
	resp_free(&r);
	json_decref(u.json);
	clip_free(&sq);
}

/* Quota: cam-b fills her home's quota; the upload beyond it is 507. */
static void
test_quota(void)
{
	struct clip c;
	struct up u = {0};
	int i, stored = 0;
	long last = 0;

	/* NSEG segments of ~20 KB per clip, QUOTA 200000: the 10th or so is refused. */
	for (i = 0; i < 5 && last != 507; i++) {
		clip_make(&c, &CAM2, "cam-b", &OK2, NULL, NULL);
		for (uint32_t k = 0; k < NSEG && last != 507; k++) {
			cam_put(&u, pathf("/v1/clips/%s/segments/%u", c.hex, (unsigned)k), "cam-b",
				c.sig[k], c.seg[k], c.seg_len[k]);
			last = u.status;
			if (u.status == 201)
				stored++;
		}
		clip_free(&c);
	}
	/* test_squat stored one segment in this home before: one fewer. */
	CHECK(last == 507 && strcmp(u.code, "quota") == 0 && stored * (SEG_PLAIN + 72) <= QUOTA &&
		      (stored + 2) * (SEG_PLAIN + 72) + 4 * 256 > QUOTA,
	      "uploads beyond the home's quota -> 507 quota (after %d stored)", stored);
	/* M5: a refused upload to a new clip leaves no directory behind. */
	{
		char d[PATH_MAX];
		struct stat sb;
		clip_make(&c, &CAM2, "cam-b", &OK2, NULL, NULL);
		cam_put(&u, pathf("/v1/clips/%s/segments/0", c.hex), "cam-b", c.sig[0], c.seg[0],
			c.seg_len[0]);
		fmt(d, sizeof(d), "%s/%s/%s", clips_root, H2, c.hex);
		CHECK(u.status == 507 && stat(d, &sb) != 0 && errno == ENOENT,
		      "a new clip over the quota -> 507, and no clip directory is left (got %ld)",
		      u.status);
		clip_free(&c);
	}
	json_decref(u.json);
}

/* ---- the owner's CLI: porter camera, porter clip (argv[2]) ---- */

/* Run porter with the arguments (char *, NULL-terminated); its exit
 * status, its output in out. */
static int
porter(const char *out, ...)
{
	char exe[PATH_MAX], *argv[16];
	va_list ap;
	int n = 1;

	fmt(exe, sizeof(exe), "%s", g_porter);
	argv[0] = exe;
	va_start(ap, out);
	while (n < 15 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	return run_cmd(argv, out, 60);
}

/*
 * H2, issue 5: the camera key porterd sends is believed only with the
 * owner-signed statement it was enrolled with, verified with a key the
 * user trusts (porterd could mint a key, seal a clip key of its own to
 * the owner and sign a forged clip). Each attack on porterd's database is
 * undone before the next.
 */
static void
test_cli_statement(const struct clip *c, const char *out, const char *key1, const char *key2,
		   const char *video)
{
	uint8_t stmt[PT_CAMERA_STMT_MAX];
	const char *forged;
	struct stat sb;
	size_t n;
	int rc;

	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key1, "--out", video, NULL);
	if (!CHECK(rc == 0 && stat(video, &sb) == 0 &&
			   tree_has(out, (const uint8_t *)OK1.kid, strlen(OK1.kid)),
		   "decrypt without --camera-key: porterd's key, vouched for by the owner's statement"
		   " (signer %s named) (exit %d)", OK1.kid, rc))
		print_file_diag(out, "porter: ");
	unlink(video);
	/* The statement is by key 1: key 2 alone does not trust it ... */
	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key2, "--out", video, NULL);
	CHECK(rc == 3 && stat(video, &sb) != 0 &&
		      tree_has(out, (const uint8_t *)"not one you trust", 17),
	      "another owner key that does not trust the signer: refused, exit 3 (exit %d)", rc);
	/* ... with --owner-pub it does (and then fails only because the clip
	 * is sealed to key 1 alone). */
	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key2, "--out", video,
		    "--owner-pub", OK1.text, NULL);
	CHECK(rc != 0 && rc != 3 && stat(video, &sb) != 0 &&
		      !tree_has(out, (const uint8_t *)"not one you trust", 17),
	      "--owner-pub trusts the signer; the clip is still not sealed to key 2 (exit %d)", rc);

	/* A breached porterd swaps the camera key in its database. */
	if (!db_camera_set("cam-front", "pk", FORGED.pk, PT_PK_LEN))
		bail("cannot swap the camera key in porterd's database");
	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key1, "--out", video, NULL);
	CHECK(rc == 3 && stat(video, &sb) != 0 &&
		      tree_has(out, (const uint8_t *)"not the one the owner signed", 28),
	      "a camera key swapped in porterd's database: refused, exit 3, no file (exit %d)", rc);
	/* ... and the statement too, signed by a key of its own. */
	forged = stmt_of(&FORGED, H, "cam-front", &FORGED, "Front door");
	n = PT_CAMERA_STMT_MAX;
	if (strlen(forged) % 4 == 1 ||
	    (n = strlen(forged) / 4 * 3 + (strlen(forged) % 4 ? strlen(forged) % 4 - 1 : 0)) >
		    sizeof(stmt) ||
	    pt_b64_decode(stmt, n, forged, strlen(forged)) != PT_OK ||
	    !db_camera_set("cam-front", "statement", stmt, n))
		bail("cannot replace the camera statement in porterd's database");
	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key1, "--out", video, NULL);
	CHECK(rc == 3 && stat(video, &sb) != 0 &&
		      tree_has(out, (const uint8_t *)FORGED.kid, strlen(FORGED.kid)),
	      "the key and a statement of porterd's own making: signer %s not trusted, exit 3"
	      " (exit %d)", FORGED.kid, rc);
	/* ... or drops the statement: the camera looks enrolled before. */
	if (!db_camera_set("cam-front", "pk", CAM.pk, PT_PK_LEN) ||
	    !db_camera_set("cam-front", "statement", NULL, 0))
		bail("cannot drop the camera statement in porterd's database");
	rc = porter(out, "camera", "list", "--home", H, NULL);
	CHECK(rc == 0 && tree_has(out, (const uint8_t *)"UNSIGNED", 8),
	      "porter camera list shows the camera without a statement as UNSIGNED (exit %d)", rc);
	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key1, "--out", video, NULL);
	CHECK(rc == 3 && stat(video, &sb) != 0 &&
		      tree_has(out, (const uint8_t *)"without an owner-signed statement", 33),
	      "an unsigned camera: refused, exit 3, no file (exit %d)", rc);
	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key1, "--out", video,
		    "--trust-unsigned-camera", NULL);
	CHECK(rc == 0 && stat(video, &sb) == 0 && tree_has(out, (const uint8_t *)"WARNING", 7),
	      "--trust-unsigned-camera: decrypted, with a WARNING (exit %d)", rc);
	unlink(video);
	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key1, "--out", video,
		    "--trust-unsigned-camera", "--camera-key", CAM.text, NULL);
	CHECK(rc == 1, "--camera-key with --trust-unsigned-camera: a usage error (exit %d)", rc);
	/* The owner's statement back, as enrolled. */
	forged = stmt_of(&OK1, H, "cam-front", &CAM, "Front door");
	n = strlen(forged) / 4 * 3 + (strlen(forged) % 4 ? strlen(forged) % 4 - 1 : 0);
	if (pt_b64_decode(stmt, n, forged, strlen(forged)) != PT_OK ||
	    !db_camera_set("cam-front", "statement", stmt, n))
		bail("cannot restore the camera statement");
	rc = porter(out, "camera", "sign", "--home", H, "--id", "cam-front", "--camera-key", CAM.text,
		    "--key", key1, "--name", "Front door", NULL);
	{
		uint8_t *txt = NULL;
		size_t tl = 0;
		struct pt_errbuf err;
		struct pt_camera_stmt st;
		size_t idx;
		uint8_t signers[1][PT_PK_LEN];

		memcpy(signers[0], OK1.pk, PT_PK_LEN);
		n = 0;
		if (pt_file_read(out, 4096, &txt, &tl, &err) == PT_OK && tl > 1 &&
		    txt[tl - 1] == '\n' && (tl - 1) % 4 != 1) {
			n = (tl - 1) / 4 * 3 + ((tl - 1) % 4 ? (tl - 1) % 4 - 1 : 0);
			if (n > sizeof(stmt) || pt_b64_decode(stmt, n, (char *)txt, tl - 1) != PT_OK)
				n = 0;
		}
		free(txt);
		CHECK(rc == 0 && n > 0 &&
			      pt_camera_stmt_verify(pt_crypto_sodium(), stmt, n,
						    (const uint8_t(*)[PT_PK_LEN])signers, 1, &st,
						    &idx) == PT_OK &&
			      pt_camera_stmt_matches(&st, H, "cam-front", CAM.pk, "Front door"),
		      "porter camera sign prints the statement, base64url: it verifies with key 1"
		      " and names the camera (exit %d)", rc);
	}
}

/* ---- viewers follow the home's owner endorsements (docs/cam.md, "Who a
 * viewer believes") ---- */

/* An owner statement (PT_ENV_OWNER) by signer naming key for home, as
 * porter key endorse makes one: its bytes into b. */
static size_t
owner_stmt(const struct key *signer, const char *home, const struct key *key, uint8_t *b,
	   size_t cap)
{
	struct pt_envelope e;
	size_t n = 0;

	memset(&e, 0, sizeof(e));
	e.kind = PT_ENV_OWNER;
	e.op = PT_OWNER_ADD;
	fmt(e.aud, sizeof(e.aud), "%s", home);
	e.iat = (int64_t)time(NULL);
	pt_random(e.nonce, sizeof(e.nonce));
	memcpy(e.target, key->pk, PT_PK_LEN);
	e.target_len = PT_PK_LEN;
	if (pt_envelope_sign(ops, &signer->sg, &e, b, cap, &n) != PT_OK)
		bail("cannot sign an owner statement");
	return n;
}

/* Set owner_keys.statement of key (in home H) behind porterd's back
 * (NULL: withheld). */
static bool
db_owner_stmt_set(const struct key *key, const uint8_t *blob, size_t n)
{
	char sql[2048], lit[1200], pk[80];

	fmt(sql, sizeof(sql),
	    "UPDATE owner_keys SET statement = %s WHERE pk = %s AND home = (SELECT id FROM homes"
	    " WHERE public_id = '%s')",
	    blob != NULL ? blob_sql(blob, n, lit, sizeof(lit)) : "NULL",
	    blob_sql(key->pk, PT_PK_LEN, pk, sizeof(pk)), H);
	return db_exec(sql);
}

/* cam-front's statement in porterd's database: one by signer. */
static void
cam_front_signed_by(const struct key *signer)
{
	const char *t = stmt_of(signer, H, "cam-front", &CAM, "Front door");
	uint8_t b[PT_CAMERA_STMT_MAX];
	size_t n = strlen(t) / 4 * 3 + (strlen(t) % 4 ? strlen(t) % 4 - 1 : 0);

	if (n > sizeof(b) || pt_b64_decode(b, n, t, strlen(t)) != PT_OK ||
	    !db_camera_set("cam-front", "statement", b, n))
		bail("cannot set the camera statement in porterd's database");
}

/*
 * Owner key 1 (the home's first key, which signed cam-front's statement)
 * endorses key 3 with porter key endorse's statement. Key 1's viewer then
 * believes a camera key 3 enrolled (down), key 3's viewer does not
 * believe key 1's camera without --owner-pub (never up); not down when
 * porterd withholds the endorsement, nor with an endorsement for another
 * home, a broken signature, or one by a key that
 * is not the home's. porterd's owner-keys serve the statements.
 */
static void
test_cli_endorsed(const struct clip *c, const char *out, const char *key1, const char *video)
{
	static const char through[] = "trusted through the home's owner endorsements";
	char key3[PATH_MAX], text[PT_ENVELOPE_SIZE_MAX / 3 * 4 + 8];
	uint8_t st[PT_ENVELOPE_SIZE_MAX], bad[PT_ENVELOPE_SIZE_MAX];
	struct key OK3, STRANGER;
	struct pt_errbuf err;
	struct resp r = {0};
	struct stat sb;
	const json_t *k;
	size_t n, nb;
	int rc;

	key_new(&OK3);
	key_new(&STRANGER);
	fmt(key3, sizeof(key3), "%s/owner3.key", g_root);
	if (pt_keyfile_save(key3, OK3.sec, false, &err) != PT_OK)
		bail("cannot save key 3");
	n = owner_stmt(&OK1, H, &OK3, st, sizeof(st));
	if (pt_b64_encode(text, sizeof(text), st, n) != PT_OK)
		bail("cannot encode an owner statement");
	jreq(&r, "POST", pathf("/v1/homes/%s/owner-keys", H), OWN.token,
	     json_pack("{s:s, s:s, s:s}", "public_key", OK3.text, "label", "Ana's tablet",
		       "statement", text));
	expect_status(&r, 201, "key 3 enrolled, endorsed by key 1");
	CHECK(json_is_string(json_object_get(r.json, "statement")) &&
		      strcmp(js(r.json, "statement"), text) == 0,
	      "POST owner-keys answers with the statement as stored");
	req(&r, "GET", pathf("/v1/homes/%s/owner-keys", H), MEM.token, NULL);
	k = json_object_get(r.json, "keys");
	CHECK(r.status == 200 && json_is_null(json_object_get(find_by(k, "public_key", OK1.text),
							      "statement")) &&
		      json_is_string(json_object_get(find_by(k, "public_key", OK3.text),
						     "statement")) &&
		      strcmp(js(find_by(k, "public_key", OK3.text), "statement"), text) == 0 &&
		      strcmp(js(find_by(k, "public_key", OK3.text), "endorsed_by"), OK1.kid) == 0,
	      "GET owner-keys (a member): key 3's endorsement statement, base64url as stored;"
	      " null for key 1");
	resp_free(&r);

	/* Never up: key 3's viewer does not believe cam-front, enrolled by
	 * key 1, though key 1 endorsed key 3: anyone can sign a statement
	 * naming key 3, so porterd could make itself key 3's "endorser". With
	 * --owner-pub key 1 it does (the clip is sealed to key 1 alone, so the
	 * decryption itself then fails). */
	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key3, "--out", video, NULL);
	if (!CHECK(rc == 3 && stat(video, &sb) != 0 &&
			   tree_has(out, (const uint8_t *)"not one you trust", 17),
		   "key 3, endorsed by key 1, does not believe key 1's camera on porterd's word"
		   " (no walk up), exit 3 (exit %d)", rc))
		print_file_diag(out, "porter: ");
	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key3, "--owner-pub",
		    OK1.text, "--out", video, NULL);
	if (!CHECK(rc != 0 && rc != 3 && stat(video, &sb) != 0 &&
			   !tree_has(out, (const uint8_t *)"not one you trust", 17),
		   "with --owner-pub key 1 it does; the clip is not sealed to key 3 (exit %d)", rc))
		print_file_diag(out, "porter: ");
	/* Down: key 1's viewer believes a camera key 3 enrolled, and decrypts. */
	cam_front_signed_by(&OK3);
	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key1, "--out", video, NULL);
	if (!CHECK(rc == 0 && stat(video, &sb) == 0 &&
			   tree_has(out, (const uint8_t *)OK3.kid, strlen(OK3.kid)) &&
			   tree_has(out, (const uint8_t *)through, strlen(through)),
		   "key 1 believes the camera key 3 enrolled (down): decrypted (exit %d)", rc))
		print_file_diag(out, "porter: ");
	unlink(video);

	/* porterd withholds key 3's endorsement: key 1 no longer believes key 3's camera. */
	if (!db_owner_stmt_set(&OK3, NULL, 0))
		bail("cannot withhold the owner statement in porterd's database");
	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key1, "--out", video, NULL);
	CHECK(rc == 3 && stat(video, &sb) != 0 &&
		      tree_has(out, (const uint8_t *)"not one you trust", 17) &&
		      tree_has(out, (const uint8_t *)OK3.kid, strlen(OK3.kid)),
	      "the endorsement withheld: key 1 no longer believes key 3's camera, exit 3 (exit %d)",
	      rc);

	/* Statements that prove nothing, served in its place. */
	cam_front_signed_by(&OK3);
	{
		struct {
			const char *what;
			size_t len;
		} cases[3];
		size_t i;

		nb = owner_stmt(&OK1, H2, &OK3, bad, sizeof(bad));
		cases[0].what = "key 1's endorsement of key 3 for another home";
		cases[0].len = nb;
		for (i = 0; i < 3; i++) {
			if (i == 1) {
				nb = owner_stmt(&OK1, H, &OK3, bad, sizeof(bad));
				bad[nb - 5] ^= 0x01;	/* in the signature */
				cases[1].what = "key 1's endorsement of key 3, its signature broken";
				cases[1].len = nb;
			} else if (i == 2) {
				nb = owner_stmt(&STRANGER, H, &OK3, bad, sizeof(bad));
				cases[2].what = "an endorsement of key 3 by a key not of the home";
				cases[2].len = nb;
			}
			if (!db_owner_stmt_set(&OK3, bad, cases[i].len))
				bail("cannot replace the owner statement in porterd's database");
			rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key1,
				    "--out", video, NULL);
			CHECK(rc == 3 && stat(video, &sb) != 0 &&
				      tree_has(out, (const uint8_t *)"not one you trust", 17),
			      "%s: ignored, key 3's camera not believed, exit 3 (exit %d)",
			      cases[i].what, rc);
		}
	}
	/* As it was: cam-front by key 1, key 3's statement back. */
	cam_front_signed_by(&OK1);
	if (!db_owner_stmt_set(&OK3, st, n))
		bail("cannot restore the owner statement");
	key_free(&OK3);
	key_free(&STRANGER);
}

static void
test_cli(const struct clip *c)
{
	char conf[PATH_MAX], out[PATH_MAX], key1[PATH_MAX], key2[PATH_MAX], video[PATH_MAX];
	char seg0[PATH_MAX];
	struct pt_errbuf err;
	uint8_t *got = NULL, *want, *orig = NULL;
	size_t got_len = 0, want_len = 0, orig_len = 0, i;
	struct stat sb;
	int rc;

	fmt(conf, sizeof(conf), "%s/client.conf", g_root);
	fmt(out, sizeof(out), "%s/porter.out", g_root);
	fmt(key1, sizeof(key1), "%s/owner1.key", g_root);
	fmt(key2, sizeof(key2), "%s/owner2.key", g_root);
	fmt(video, sizeof(video), "%s/clip.mp4", g_root);
	setenv("PORTER_CONFIG", conf, 1);
	setenv("PORTER_PASSWORD", OWN.pw, 1);
	if (pt_keyfile_save(key1, OK1.sec, false, &err) != PT_OK ||
	    pt_keyfile_save(key2, OK2.sec, false, &err) != PT_OK)
		bail("cannot save the owners' key files");
	rc = porter(out, "login", "--server", g_s.base, "--email", OWN.email, NULL);
	if (!CHECK(rc == 0, "porter login (exit %d)", rc))
		print_file_diag(out, "porter: ");
	rc = porter(out, "camera", "list", "--home", H, NULL);
	CHECK(rc == 0 && tree_has(out, (const uint8_t *)"cam-front", 9),
	      "porter camera list shows cam-front (exit %d)", rc);
	rc = porter(out, "camera", "add", "--home", H, "--id", "cam-cli", "--key", CAMX.text,
		    "--name", "Garden", NULL);
	CHECK(rc == 1 && tree_has(out, (const uint8_t *)"--camera-key", 12),
	      "porter camera add --key CAMERA_PUBKEY (the old spelling): a usage error that says"
	      " where the camera's key goes now (exit %d)", rc);
	rc = porter(out, "camera", "add", "--home", H, "--id", "cam-cli", "--camera-key", CAMX.text,
		    "--key", key1, "--name", "Garden", NULL);
	CHECK(rc == 0 && tree_has(out, (const uint8_t *)CAMX.kid, strlen(CAMX.kid)) &&
		      tree_has(out, (const uint8_t *)OK1.kid, strlen(OK1.kid)),
	      "porter camera add signs the statement with --key and enrols cam-cli (exit %d)", rc);
	rc = porter(out, "camera", "list", "--home", H, NULL);
	CHECK(rc == 0 && tree_has(out, (const uint8_t *)OK1.kid, strlen(OK1.kid)),
	      "porter camera list shows who signed (exit %d)", rc);
	rc = porter(out, "camera", "remove", "--home", H, "cam-cli", NULL);
	CHECK(rc == 0, "porter camera remove cam-cli (exit %d)", rc);
	rc = porter(out, "clip", "list", "--home", H, NULL);
	CHECK(rc == 0 && tree_has(out, (const uint8_t *)c->hex, strlen(c->hex)),
	      "porter clip list shows the clip (exit %d)", rc);
	rc = porter(out, "clip", "get", "--home", H, c->hex, NULL);
	CHECK(rc == 0 && tree_has(out, (const uint8_t *)"missing          none", 21),
	      "porter clip get: nothing missing (exit %d)", rc);

	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key1, "--out", video,
		    "--camera-key", CAM.text, NULL);
	if (!CHECK(rc == 0, "porter clip decrypt with the owner's key (exit %d)", rc))
		print_file_diag(out, "porter: ");
	for (i = 0; i < NSEG; i++)
		want_len += c->plain_len[i];
	if ((want = malloc(want_len)) == NULL)
		bail("out of memory");
	for (i = 0, want_len = 0; i < NSEG; i++) {
		memcpy(want + want_len, c->plain[i], c->plain_len[i]);
		want_len += c->plain_len[i];
	}
	CHECK(pt_file_read(video, 1u << 24, &got, &got_len, &err) == PT_OK && got_len == want_len &&
		      memcmp(got, want, want_len) == 0,
	      "--out holds the plaintext of every segment, in order (%zu bytes)", got_len);
	free(got);
	got = NULL;
	unlink(video);
	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key2, "--out", video,
		    "--camera-key", CAM.text, NULL);
	CHECK(rc != 0 && stat(video, &sb) != 0, "another owner's key: refused, no file (exit %d)", rc);
	test_cli_statement(c, out, key1, key2, video);
	test_cli_endorsed(c, out, key1, video);
	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key1, "--out", video,
		    "--camera-key", CAM2.text, NULL);
	CHECK(rc != 0 && stat(video, &sb) != 0 &&
		      tree_has(out, (const uint8_t *)"does not verify", 15),
	      "the wrong camera key: the manifest does not verify, no file (exit %d)", rc);

	/* One byte of a stored segment flipped on the server's disk. */
	fmt(seg0, sizeof(seg0), "%s/%s/%s/0001.seg", clips_root, H, c->hex);
	if (pt_file_read(seg0, 1u << 24, &orig, &orig_len, &err) != PT_OK)
		bail("cannot read a stored segment");
	orig[orig_len / 2] ^= 0x01;
	if (pt_file_write(seg0, orig, orig_len, 0600, &err) != PT_OK)
		bail("cannot write a stored segment");
	rc = porter(out, "clip", "decrypt", "--home", H, c->hex, "--key", key1, "--out", video,
		    "--camera-key", CAM.text, NULL);
	CHECK(rc != 0 && stat(video, &sb) != 0 &&
		      tree_has(out, (const uint8_t *)"segment 1 does not match", 24),
	      "a flipped byte in stored segment 1: decrypt names it, writes nothing (exit %d)", rc);
	{
		/* M2: the same manifest again is answered from the database
		 * alone, before any segment file is read or hashed. */
		struct up u = {0};
		cam_put(&u, pathf("/v1/clips/%s/manifest", c->hex), NULL, NULL, c->manifest,
			c->manifest_len);
		CHECK(u.status == 200,
		      "the same manifest again -> 200 without re-reading the stored segments (got %ld)",
		      u.status);
		json_decref(u.json);
	}
	orig[orig_len / 2] ^= 0x01;
	if (pt_file_write(seg0, orig, orig_len, 0600, &err) != PT_OK)
		bail("cannot write a stored segment");
	free(orig);

	/* porter evidence: export, verify offline, then one byte flipped in a
	 * segment and in the manifest inside the bundle: named. */
	{
		char bundle[PATH_MAX], bad[PATH_MAX];
		uint8_t *b = NULL, *hit;
		size_t blen = 0, k;

		fmt(bundle, sizeof(bundle), "%s/clip.evidence", g_root);
		fmt(bad, sizeof(bad), "%s/bad.evidence", g_root);
		rc = porter(out, "evidence", "export", "--home", H, c->hex, "--out", bundle, NULL);
		CHECK(rc == 3 && stat(bundle, &sb) != 0,
		      "evidence export without --camera-key: refused (exit 3), no file (exit %d)", rc);
		rc = porter(out, "evidence", "export", "--home", H, c->hex, "--out", bundle,
			    "--camera-key", CAM.text, NULL);
		if (!CHECK(rc == 0, "porter evidence export (exit %d)", rc))
			print_file_diag(out, "porter: ");
		rc = porter(out, "evidence", "verify", bundle, "--camera-key", CAM.text, NULL);
		if (!CHECK(rc == 0 && tree_has(out, (const uint8_t *)"ok: ", 4),
			   "porter evidence verify: the bundle checks out offline (exit %d)", rc))
			print_file_diag(out, "porter: ");
		rc = porter(out, "evidence", "verify", bundle, NULL);
		CHECK(rc == 3 && tree_has(out, (const uint8_t *)"needs --camera-key", 18),
		      "evidence verify without --camera-key: refused, the bundle's key not trusted"
		      " (exit %d)", rc);
		rc = porter(out, "evidence", "verify", bundle, "--camera-key", CAM2.text, NULL);
		CHECK(rc != 0 && tree_has(out, (const uint8_t *)"the camera key", 14),
		      "verify with another pinned camera key: names the camera key (exit %d)", rc);
		if (pt_file_read(bundle, 1u << 26, &b, &blen, &err) != PT_OK)
			bail("cannot read the bundle");
		for (k = 0; k < 2; k++) {
			const uint8_t *needle = k == 0 ? c->seg[1] + 500 : c->manifest + 60;
			const char *named = k == 0 ? "segment 1:" : "the manifest:";
			hit = mem_find(b, blen, needle, 16);
			if (hit == NULL)
				bail("the bundle does not hold the clip's bytes");
			hit[3] ^= 0x20;
			if (pt_file_write(bad, b, blen, 0600, &err) != PT_OK)
				bail("cannot write a bundle");
			hit[3] ^= 0x20;
			rc = porter(out, "evidence", "verify", bad, "--camera-key", CAM.text,
				    NULL);
			if (!CHECK(rc != 0 && tree_has(out, (const uint8_t *)named, strlen(named)),
				   "one byte flipped in %s the bundle: verify fails and names it (exit %d)",
				   k == 0 ? "segment 1 of" : "the manifest in", rc))
				print_file_diag(out, "porter: ");
		}
		free(b);
	}
	free(want);
	unsetenv("PORTER_PASSWORD");
}

/* No plaintext, no clip key: in the database or the clip store. */
static void
test_no_plaintext(const struct clip *c)
{
	char dump[PATH_MAX];
	const char *db = g_s.db;

	if (g_pg) {
		/* psql from PG_BIN, as scripts/pg.sh finds it (run_cmd takes a path). */
		const char *pg_bin = getenv("PG_BIN");
		char psql[PATH_MAX];
		char *argv[] = {psql, "-X", "-q", "-d", g_s.db, "-c",
				"COPY (SELECT * FROM clips) TO STDOUT; COPY (SELECT * FROM cameras) TO STDOUT; COPY (SELECT * FROM events) TO STDOUT",
				NULL};
		fmt(psql, sizeof(psql), "%s/psql",
		    pg_bin != NULL && pg_bin[0] != '\0' ? pg_bin : "/usr/bin");
		fmt(dump, sizeof(dump), "%s/db-dump.txt", g_root);
		CHECK(run_cmd(argv, dump, 30) == 0, "psql dumps the clip tables");
		db = dump;
	}
	CHECK(tree_has(db, (const uint8_t *)MARKER, sizeof(MARKER) - 1) == false &&
		      tree_has(clips_root, (const uint8_t *)MARKER, sizeof(MARKER) - 1) == false,
	      "neither the database nor the clip store holds the plaintext");
	CHECK(!tree_has(db, c->key, PT_CLIP_KEY_LEN) && !tree_has(clips_root, c->key, PT_CLIP_KEY_LEN),
	      "neither holds the clip key");
	if (!g_pg) {
		char wal[PATH_MAX];
		fmt(wal, sizeof(wal), "%s-wal", g_s.db);
		CHECK(!tree_has(wal, (const uint8_t *)MARKER, sizeof(MARKER) - 1) &&
			      !tree_has(wal, c->key, PT_CLIP_KEY_LEN),
		      "nor the database's write-ahead log");
	}
	{
		struct stat sb;
		char p[PATH_MAX];
		fmt(p, sizeof(p), "%s/%s/%s", clips_root, H, c->hex);
		CHECK(stat(clips_root, &sb) == 0 && (sb.st_mode & 077) == 0 && stat(p, &sb) == 0 &&
			      (sb.st_mode & 077) == 0,
		      "the clip store's directories are 0700");
		fmt(p, sizeof(p), "%s/%s/%s/0000.seg", clips_root, H, c->hex);
		CHECK(stat(p, &sb) == 0 && (sb.st_mode & 077) == 0 &&
			      (size_t)sb.st_size == c->seg_len[0],
		      "a segment file is 0600, named from the clip id and index");
	}
}

int
main(int argc, char **argv)
{
	struct clip c;
	char extra[512];
	int st;

	harness_init(argc, argv, "clip", 480);
	/* SQLite: the default clip store beside the database; PostgreSQL: set. */
	if (g_pg) {
		fmt(clips_root, sizeof(clips_root), "%s/clips", g_root);
		fmt(extra, sizeof(extra), "[clips]\ndir = %s\nmax_segment = %d\nquota = %d\n",
		    clips_root, MAX_SEGMENT, QUOTA);
	} else {
		fmt(extra, sizeof(extra), "[clips]\nmax_segment = %d\nquota = %d\n", MAX_SEGMENT,
		    QUOTA);
	}
	server_init(&g_s, "s1", true, extra);
	if (!g_pg)
		fmt(clips_root, sizeof(clips_root), "%s/db/clips", g_s.dir);
	if (!T_OK(server_start(&g_s), "porterd starts")) {
		log_tail(&g_s, 30);
		bail("porterd did not start");
	}
	client_init(&g_cl, g_s.base);
	key_new(&OK1);
	key_new(&OK2);
	key_new(&OKO);
	key_new(&FORGED);
	key_new(&CAM);
	key_new(&CAM2);
	key_new(&CAMX);
	setup();
	test_cameras();
	clip_make(&c, &CAM, "cam-front", &OK1, NULL, NULL);
	test_uploads(&c);
	test_bad_manifest();
	test_reads(&c);
	test_keyrec();
	test_squat();
	test_quota();
	test_cli(&c);
	test_cli_cut_short();
	CHECK(atomic_load(&g_badshape) == 0, "every error response is {\"error\": {...}} (%ld not)",
	      atomic_load(&g_badshape));
	CHECK(server_stop(&g_s, SIGTERM, 10000, &st) && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "porterd stops cleanly");
	test_no_plaintext(&c);
	audit_verify(g_s.db, "after the clip suite");
	clip_free(&c);
	clip_free(&KC);
	key_free(&OK1);
	key_free(&OK2);
	key_free(&OKO);
	key_free(&FORGED);
	key_free(&CAM);
	key_free(&CAM2);
	key_free(&CAMX);
	return harness_done();
}
