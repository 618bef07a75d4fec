/*
 * GET /v1/homes/{id}/stream: a home's live state as Server-Sent Events
 * (docs/web.md "Live state"). A stream waits without holding a thread:
 * its reader suspends the connection (libmicrohttpd's suspend/resume)
 * whenever it has nothing to send, and one watcher thread resumes every
 * waiting stream each WATCH_MS and at once when stream_notify() is called
 * after a commit. A resumed reader looks at the store (the session, the
 * hubs, the events after the last one sent), writes what changed, and
 * suspends again. Never a wait on an MHD thread.
 *
 * Locking: reg->mu guards the list, each stream's `suspended` flag and
 * `stopping`; a stream's suspend (in its reader, on an MHD thread) and
 * its resume (the watcher, http_stop) both happen under it, so a resume
 * never meets a connection that is not suspended or already gone. The
 * rest of a stream belongs to whichever MHD thread runs its reader.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "porter/text.h"
#include "porterd.h"
#include "duress.h"

#define WATCH_MS 500
#define PING_NS (15ull * 1000000000u)
#define REPLAY_MAX 200			/* events replayed after Last-Event-ID */
#define PAGE 200			/* events read at a time */
#define HUBS_MAX 32			/* hubs of a home followed (8 may be paired) */
#define BUF_MAX (512u * 1024u)		/* one look's output, at most */
#define BUF_SOFT (64u * 1024u)		/* stop reading events past this */
#define STOP_WAIT_NS (5ull * 1000000000u)

struct sent_hub {
	char id[PT_ID_MAX + 1];
	bool online;
	int64_t last_seen;
	char state[PT_HUB_STATE_MAX + 1];
};

struct stream {
	struct streams *reg;
	struct server *s;
	struct stream *prev, *next;
	struct MHD_Connection *c;	/* set once the response is queued */
	bool suspended;			/* under reg->mu */
	char home[PT_ID_MAX + 1];
	int64_t account;
	char addr[64];			/* rq->rl_addr: counted against the per-address cap */
	uint8_t th[PT_HASH_LEN];	/* the session's token hash */
	uint64_t deadline_ns, last_write_ns;
	bool started, ended;
	/* events: cursor is the last id sent (or, at first, the one before
	 * the first to send: stream_open) */
	int64_t cursor;
	struct sent_hub *hubs;		/* HUBS_MAX */
	size_t n_hubs;
	char *buf;
	size_t len, off, cap;
};

struct streams {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct stream *head;
	unsigned n;			/* open streams, counted against [web] streams */
	bool kick, quit, stopping;
	pthread_t watcher;
};

/* ---- output ---- */

__attribute__((format(printf, 2, 3))) static bool
emit(struct stream *st, const char *fmt, ...)
{
	va_list ap;
	int n;
	size_t need;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(st->buf + st->len, st->cap - st->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return false;
		if ((size_t)n < st->cap - st->len) {
			st->len += (size_t)n;
			return true;
		}
		need = st->len + (size_t)n + 1;
		if (need > BUF_MAX)
			return false;
		{
			size_t ncap = st->cap * 2 > need ? st->cap * 2 : need;
			char *nb;

			if (ncap > BUF_MAX)
				ncap = BUF_MAX;
			if ((nb = realloc(st->buf, ncap)) == NULL)
				return false;
			st->buf = nb;
			st->cap = ncap;
		}
	}
}

/* One message: compact JSON has no line break, so one data: line. */
static bool
emit_json(struct stream *st, const char *event, int64_t id, json_t *j)
{
	char text[4096];	/* an event's data is at most PT_DETAIL_MAX */
	size_t n = j != NULL ? json_dumpb(j, text, sizeof(text) - 1, JSON_COMPACT) : 0;

	json_decref(j);
	if (n == 0 || n >= sizeof(text))
		return false;
	text[n] = '\0';
	if (id > 0)
		return emit(st, "event: %s\nid: %lld\ndata: %s\n\n", event, (long long)id, text);
	return emit(st, "event: %s\ndata: %s\n\n", event, text);
}

/* The event as GET /v1/homes/{id}/events shows it (api_org.c event_json):
 * its data column is canonical JSON porterd wrote; {} should it not parse. */
static json_t *
event_json(const struct pt_event_row *e)
{
	json_t *d = json_loads(e->data, JSON_REJECT_DUPLICATES, NULL);

	if (d == NULL || !json_is_object(d)) {
		json_decref(d);
		d = json_object();
	}
	return json_pack("{s:I,s:I,s:s,s:s,s:o}", "id", (json_int_t)e->id, "at", (json_int_t)e->at,
			 "source", e->source, "type", e->type, "data", d);
}

/* ---- one look at the store ---- */

static bool
session_alive(struct stream *st)
{
	struct pt_home h;
	int64_t id = 0, expires = 0;
	int role = 0;

	if (pt_store_session_get(st->s->st, st->th, now_utc(), &id, &expires) != PT_OK ||
	    id != st->account)
		return false;
	/* Removed from the home (or the home deleted): the stream ends too. */
	return pt_store_home_get(st->s->st, st->home, st->account, &h, &role) == PT_OK;
}

static bool
hubs_look(struct stream *st)
{
	struct pt_hub *hs = calloc(HUBS_MAX, sizeof(*hs));
	size_t n = 0, i, k;
	bool ok = true;

	if (hs == NULL || pt_store_hub_list(st->s->st, st->home, hs, HUBS_MAX, &n) != PT_OK) {
		free(hs);
		return false;
	}
	for (i = 0; i < n && ok; i++) {
		struct sent_hub *x = NULL;

		for (k = 0; k < st->n_hubs; k++)
			if (strcmp(st->hubs[k].id, hs[i].id) == 0)
				x = &st->hubs[k];
		if (x != NULL && x->online == hs[i].online && x->last_seen == hs[i].last_seen &&
		    strcmp(x->state, hs[i].state) == 0)
			continue;
		if (x == NULL) {
			if (st->n_hubs >= HUBS_MAX)
				continue;
			x = &st->hubs[st->n_hubs++];
			memcpy(x->id, hs[i].id, sizeof(x->id));
		}
		x->online = hs[i].online;
		x->last_seen = hs[i].last_seen;
		memcpy(x->state, hs[i].state, sizeof(x->state));
		ok = emit_json(st, "hub", 0, hub_json(&hs[i]));
	}
	free(hs);
	return ok;
}

/* A duress event is not sent to the account under duress (duress.c):
 * skipped, the cursor moves past it all the same. */
static bool
events_look(struct stream *st)
{
	struct pt_event_row *es = calloc(PAGE, sizeof(*es));
	struct duress_view *dv = NULL;
	size_t n = 0, i;
	bool ok = true;

	if (es == NULL)
		return false;
	while (ok && st->len < BUF_SOFT) {
		if (pt_store_event_list(st->s->st, st->home, st->cursor, es, PAGE, &n) != PT_OK) {
			ok = false;
			break;
		}
		for (i = 0; i < n && ok; i++) {
			if (strcmp(es[i].type, "alert.duress") == 0) {
				if (dv == NULL) {
					if ((dv = malloc(sizeof(*dv))) == NULL) {
						ok = false;
						break;
					}
					duress_view_load(st->s, st->home, st->account, dv);
				}
				if (duress_hides_text(dv, es[i].type, es[i].data)) {
					st->cursor = es[i].id;
					continue;
				}
			}
			ok = emit_json(st, "event", es[i].id, event_json(&es[i]));
			st->cursor = es[i].id;
		}
		if (n < PAGE)
			break;
	}
	free(dv);
	free(es);
	return ok;
}

/*
 * The browser went away (a closed tab): a stream writes only now and then,
 * and libmicrohttpd notices a closed socket only when it writes, so look
 * without waiting. A browser sends nothing after its request: 0 from a
 * peek is the end of the connection. Over TLS a close_notify record may
 * come first; the next ping then finds the socket closed.
 */
static bool
peer_gone(struct stream *st)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(st->c, MHD_CONNECTION_INFO_CONNECTION_FD);
	char b;
	ssize_t n;

	if (ci == NULL)
		return false;
	n = recv(ci->connect_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Fill the buffer with what there is to send; st->ended when the stream
 * is over (time, session, shutdown, the browser gone, an error). */
static void
look(struct stream *st)
{
	uint64_t now = now_mono_ns();

	if (atomic_load(&st->s->stopping) || now >= st->deadline_ns || peer_gone(st) ||
	    !session_alive(st)) {
		st->ended = true;
		return;
	}
	if (!st->started) {
		st->started = true;
		if (!emit(st, "retry: 2000\n\n")) {
			st->ended = true;
			return;
		}
	}
	if (!hubs_look(st) || !events_look(st)) {
		plog(LOG_WARN_, "event=stream_end home=%s account=%lld reason=\"store or output\"",
		     st->home, (long long)st->account);
		st->ended = true;
		return;
	}
	if (st->len == 0 && now - st->last_write_ns >= PING_NS && !emit(st, ": ping\n\n"))
		st->ended = true;
}

/* ---- libmicrohttpd's side ---- */

static ssize_t
reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *st = cls;
	struct streams *reg = st->reg;
	size_t n;

	(void)pos;
	if (st->off == st->len) {
		st->off = st->len = 0;
		if (!st->ended)
			look(st);
	}
	if (st->off < st->len) {
		n = st->len - st->off < max ? st->len - st->off : max;
		memcpy(out, st->buf + st->off, n);
		st->off += n;
		st->last_write_ns = now_mono_ns();
		return (ssize_t)n;
	}
	if (st->ended)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* Nothing to send: wait suspended for the watcher, unless porterd is
	 * stopping (http_stop resumes every stream once, and none may
	 * suspend after that). */
	pthread_mutex_lock(&reg->mu);
	if (reg->stopping) {
		pthread_mutex_unlock(&reg->mu);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	st->suspended = true;
	MHD_suspend_connection(st->c);
	pthread_mutex_unlock(&reg->mu);
	return 0;
}

static void
stream_free(void *cls)
{
	struct stream *st = cls;
	struct streams *reg = st->reg;

	pthread_mutex_lock(&reg->mu);
	if (st->prev != NULL)
		st->prev->next = st->next;
	else if (reg->head == st)
		reg->head = st->next;
	if (st->next != NULL)
		st->next->prev = st->prev;
	reg->n--;
	pthread_mutex_unlock(&reg->mu);
	plog(LOG_DEBUG_, "event=stream_closed home=%s account=%lld", st->home,
	     (long long)st->account);
	pt_wipe(st->th, sizeof(st->th));
	free(st->hubs);
	free(st->buf);
	free(st);
}

void
stream_discard(struct stream *st)
{
	if (st != NULL)
		stream_free(st);
}

struct MHD_Response *
stream_response(struct stream *st, struct MHD_Connection *c)
{
	struct MHD_Response *resp;

	st->c = c;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, st, stream_free);
	if (resp == NULL)
		stream_free(st);
	return resp;
}

/* Resume every suspended stream; under reg->mu. */
static void
resume_all(struct streams *reg)
{
	struct stream *st;

	for (st = reg->head; st != NULL; st = st->next) {
		if (st->suspended) {
			st->suspended = false;
			MHD_resume_connection(st->c);
		}
	}
}

static void *
watcher(void *arg)
{
	struct streams *reg = arg;
	struct timespec until;

	pthread_mutex_lock(&reg->mu);
	while (!reg->quit) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += WATCH_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!reg->quit && !reg->kick)
			if (pthread_cond_timedwait(&reg->cv, &reg->mu, &until) == ETIMEDOUT)
				break;
		reg->kick = false;
		resume_all(reg);
	}
	pthread_mutex_unlock(&reg->mu);
	return NULL;
}

int
streams_start(struct server *s)
{
	struct streams *reg = calloc(1, sizeof(*reg));
	pthread_condattr_t ca;

	if (reg == NULL)
		return -1;
	pthread_mutex_init(&reg->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&reg->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&reg->watcher, NULL, watcher, reg) != 0) {
		pthread_cond_destroy(&reg->cv);
		pthread_mutex_destroy(&reg->mu);
		free(reg);
		return -1;
	}
	s->streams = reg;
	return 0;
}

/* Before MHD_stop_daemon, which must find no suspended connection: end
 * every stream (resumed, its reader sees `stopping` and ends it), wait for
 * them to close (5 s at most), then stop the watcher. */
void
streams_stop(struct server *s)
{
	struct streams *reg = s->streams;
	struct timespec pause = {0, 10 * 1000000};
	uint64_t deadline = now_mono_ns() + STOP_WAIT_NS;
	unsigned left;

	if (reg == NULL)
		return;
	pthread_mutex_lock(&reg->mu);
	reg->stopping = true;
	resume_all(reg);
	pthread_mutex_unlock(&reg->mu);
	for (;;) {
		pthread_mutex_lock(&reg->mu);
		left = reg->n;
		pthread_mutex_unlock(&reg->mu);
		if (left == 0 || now_mono_ns() >= deadline)
			break;
		nanosleep(&pause, NULL);
	}
	pthread_mutex_lock(&reg->mu);
	reg->quit = true;
	pthread_cond_signal(&reg->cv);
	pthread_mutex_unlock(&reg->mu);
	pthread_join(reg->watcher, NULL);
	if (left != 0)
		plog(LOG_WARN_, "event=streams_stop open=%u", left);
}

/* After MHD_stop_daemon (every response is gone, and with it every
 * stream) and after mqtt_stop (no stream_notify any more): main.c. */
void
streams_free(struct server *s)
{
	struct streams *reg = s->streams;

	if (reg == NULL)
		return;
	pthread_cond_destroy(&reg->cv);
	pthread_mutex_destroy(&reg->mu);
	free(reg);
	s->streams = NULL;
}

void
stream_notify(struct server *s)
{
	struct streams *reg = s->streams;

	/* NULL: never started (or freed, after mqtt_stop, so not by the MQTT
	 * thread); stopping: the watcher is gone or going, nothing to wake. */
	if (reg == NULL)
		return;
	pthread_mutex_lock(&reg->mu);
	if (!reg->stopping && !reg->quit) {
		reg->kick = true;
		pthread_cond_signal(&reg->cv);
	}
	pthread_mutex_unlock(&reg->mu);
}

/*
 * GET /v1/homes/{id}/stream, the member authenticated and the home found:
 * rp->stream (200) for http.c to send, or an error answer. last_event_id:
 * the Last-Event-ID header, or NULL.
 */
void
stream_open(struct server *s, struct reply *rp, int64_t account, const char *home_id,
	    const uint8_t th[PT_HASH_LEN], const char *last_event_id, const char *addr)
{
	struct streams *reg = s->streams;
	struct stream *st = NULL;
	uint64_t last = 0;
	int64_t newest = 0;
	unsigned cap, cap_account, cap_addr, n_account = 0, n_addr = 0;
	struct stream *o;
	int64_t max_s;

	pthread_rwlock_rdlock(&s->cfg_lock);
	cap = s->cfg.web_streams;
	cap_account = s->cfg.web_streams_per_account;
	cap_addr = s->cfg.web_streams_per_address;
	max_s = s->cfg.web_stream_max;
	pthread_rwlock_unlock(&s->cfg_lock);
	if (reg == NULL || (st = calloc(1, sizeof(*st))) == NULL ||
	    (st->hubs = calloc(HUBS_MAX, sizeof(*st->hubs))) == NULL ||
	    (st->buf = malloc(4096)) == NULL)
		goto fail;
	st->cap = 4096;
	st->reg = reg;
	st->s = s;
	st->account = account;
	(void)snprintf(st->addr, sizeof(st->addr), "%s", addr != NULL ? addr : "");
	memcpy(st->home, home_id, strnlen(home_id, PT_ID_MAX) + 1);
	st->home[PT_ID_MAX] = '\0';
	memcpy(st->th, th, PT_HASH_LEN);
	st->deadline_ns = now_mono_ns() + (uint64_t)max_s * 1000000000u;
	st->last_write_ns = now_mono_ns();
	/* Where the events start, looked up here (one indexed query, not a
	 * walk through the history): a new stream sends what comes after the
	 * newest; one that resumes (Last-Event-ID) what came after the id it
	 * names, the newest REPLAY_MAX at most, and never less than the new. */
	if (pt_store_event_last_id(s->st, home_id, &newest) != PT_OK)
		goto fail;
	st->cursor = newest;
	if (last_event_id != NULL && pt_uint_parse(last_event_id, 0, (uint64_t)INT64_MAX, &last) == PT_OK &&
	    (int64_t)last < newest) {
		int64_t below = 0;

		if (pt_store_event_back_id(s->st, home_id, REPLAY_MAX, &below) != PT_OK)
			goto fail;
		/* below: the newest event not to replay (0: fewer than that). */
		st->cursor = (int64_t)last > below ? (int64_t)last : below;
	}
	pthread_mutex_lock(&reg->mu);
	if (reg->stopping || reg->n >= cap) {
		pthread_mutex_unlock(&reg->mu);
		free(st->hubs);
		free(st->buf);
		free(st);
		rp->status = 503;
		(void)snprintf(rp->retry_after, sizeof(rp->retry_after), "5");
		rp->body = json_pack("{s:{s:s,s:s}}", "error", "code", "unavailable", "message",
				     "too many live streams at once; try again");
		return;
	}
	/* One account, or one address, may not take every place: counted
	 * here, under the lock, so two at once cannot both pass. */
	for (o = reg->head; o != NULL; o = o->next) {
		if (o->account == account)
			n_account++;
		if (strcmp(o->addr, st->addr) == 0)
			n_addr++;
	}
	if (n_account >= cap_account || n_addr >= cap_addr) {
		bool by_account = n_account >= cap_account;

		pthread_mutex_unlock(&reg->mu);
		free(st->hubs);
		free(st->buf);
		free(st);
		rp->status = 429;
		(void)snprintf(rp->retry_after, sizeof(rp->retry_after), "5");
		rp->body = json_pack("{s:{s:s,s:s}}", "error", "code", "rate-limited", "message",
				     by_account ? "too many live streams open for this account; close one"
						: "too many live streams open from this address; close one");
		return;
	}
	reg->n++;
	st->next = reg->head;
	if (reg->head != NULL)
		reg->head->prev = st;
	reg->head = st;
	pthread_mutex_unlock(&reg->mu);
	rp->status = 200;
	rp->stream = st;
	return;
fail:
	if (st != NULL) {
		free(st->hubs);
		free(st->buf);
		free(st);
	}
	rp->status = 500;
	rp->body = json_pack("{s:{s:s,s:s}}", "error", "code", "internal", "message",
			     "the server could not complete the request");
}
