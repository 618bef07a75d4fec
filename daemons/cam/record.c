/*
 * porter-cam's recorder, in the input worker: the pre-roll ring of
 * compressed packets, and the clip muxer (docs/cam.md, "Clips").
 *
 * H.264 and H.265 are remuxed as they come (never decoded for the clip);
 * any other source (raw video from lavfi, MJPEG...) is encoded here once,
 * every frame, with clips.encoder (libx264, or mpeg4), so the ring always
 * holds compressed packets. The ring keeps clips.preroll of video from a
 * key frame on, bounded in bytes.
 *
 * On the monitor's BEGIN the ring's packets, then every new one, go into
 * FFmpeg's mp4 muxer writing fragmented MP4 (empty moov, one moof+mdat
 * per fragment, base-data-offset from the moof) into memory through a
 * custom AVIOContext: the worker opens no file. A fragment is cut at the
 * first key frame after clips.segment of video; the bytes written since
 * the last cut (the first segment also carries ftyp+moov, the last the
 * mfra) leave for the monitor as one segment, in chunks over fd 3. So
 * the concatenation of the segments in order is one playable file. On
 * FINISH the trailer closes the last segment.
 *
 * Everything here runs inside the seccomp sandbox except record_init,
 * which opens the encoder before it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#include "record.h"

#define RING_BYTES_MAX (64u * 1024u * 1024u)	/* bounds the pre-roll in memory */
#define RING_PKTS_MAX 8192u
#define MUX_IO_BUF 65536

static int
mem_write(void *opaque, uint8_t *p, int n)
{
	struct record *r = opaque;
	size_t need;

	if (n <= 0)
		return 0;
	need = r->out_len + (size_t)n;
	if (need > CAM_SEGMENT_PLAIN_MAX)
		return AVERROR(ENOSPC);
	if (need > r->out_cap) {
		size_t cap = r->out_cap ? r->out_cap : 256u * 1024u;
		uint8_t *q;
		while (cap < need)
			cap *= 2;
		if ((q = av_realloc(r->out, cap)) == NULL)
			return AVERROR(ENOMEM);
		r->out = q;
		r->out_cap = cap;
	}
	memcpy(r->out + r->out_len, p, (size_t)n);
	r->out_len = need;
	return n;
}

/* Blocking: segment data must not be dropped; the monitor reads at once. */
static int
send_all(const uint8_t *p, size_t len)
{
	ssize_t n;

	do
		n = send(CAM_REPORT_FD, p, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
ms_of(const struct record *r, int64_t ts)
{
	int64_t ms = av_rescale_q(ts, r->tb, (AVRational){1, 1000});

	return ms < 0 ? 0u : ms > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* The bytes since the last cut leave as one segment. */
static int
emit_segment(struct record *r, int64_t end_ts, bool last)
{
	uint8_t msg[1 + CAM_CLIP_CHUNK];
	uint8_t g[1 + 4 + 1];
	size_t off = 0, n;

	avio_flush(r->pb);
	while (off < r->out_len) {
		n = r->out_len - off > CAM_CLIP_CHUNK ? CAM_CLIP_CHUNK : r->out_len - off;
		msg[0] = CAM_MSG_CLIP_DATA;
		memcpy(msg + 1, r->out + off, n);
		if (send_all(msg, n + 1) != 0)
			return -1;
		off += n;
	}
	g[0] = CAM_MSG_CLIP_SEGMENT;
	put32(g + 1, end_ts > r->seg_ts ? ms_of(r, end_ts - r->seg_ts) : 0u);
	g[5] = last ? 1 : 0;
	if (send_all(g, sizeof(g)) != 0)
		return -1;
	camlog(CAMLOG_DEBUG, "event=segment index=%u bytes=%zu last=%d", r->nseg, r->out_len, last);
	r->nseg++;
	r->out_len = 0;
	r->seg_ts = end_ts;
	return 0;
}

static void
mux_free(struct record *r)
{
	if (r->mux != NULL) {
		if (r->pb != NULL) {
			av_freep(&r->pb->buffer);
			avio_context_free(&r->pb);
		}
		avformat_free_context(r->mux);
		r->mux = NULL;
	}
	r->pb = NULL;
	r->active = false;
	r->out_len = 0;
}

static int
mux_open(struct record *r)
{
	AVDictionary *o = NULL;
	AVStream *st;
	uint8_t *iobuf;
	int e;

	if (avformat_alloc_output_context2(&r->mux, NULL, "mp4", NULL) < 0 || r->mux == NULL)
		return -1;
	if ((st = avformat_new_stream(r->mux, NULL)) == NULL ||
	    avcodec_parameters_copy(st->codecpar, r->par) < 0)
		goto fail;
	st->codecpar->codec_tag = 0;
	st->time_base = r->tb;
	if ((iobuf = av_malloc(MUX_IO_BUF)) == NULL)
		goto fail;
	if ((r->pb = avio_alloc_context(iobuf, MUX_IO_BUF, 1, r, NULL, mem_write, NULL)) == NULL) {
		av_free(iobuf);
		goto fail;
	}
	r->mux->pb = r->pb;
	r->mux->flags |= AVFMT_FLAG_CUSTOM_IO;
	/* Fragments only where we cut them, each self-contained. */
	av_dict_set(&o, "movflags", "frag_custom+empty_moov+default_base_moof", 0);
	e = avformat_write_header(r->mux, &o);
	av_dict_free(&o);
	if (e < 0)
		goto fail;
	r->active = true;
	r->nseg = 0;
	r->have_ts = false;
	return 0;
fail:
	mux_free(r);
	return -1;
}

/* One packet into the clip; cuts a segment before a key frame that comes
 * clips.segment or more after the segment's start. */
static int
mux_packet(struct record *r, const AVPacket *in)
{
	AVPacket *p = r->tmp;
	int64_t dts = in->dts != AV_NOPTS_VALUE ? in->dts : in->pts;
	int64_t pts = in->pts != AV_NOPTS_VALUE ? in->pts : dts;
	int e;

	if (dts == AV_NOPTS_VALUE)
		return 0;	/* no time at all: cannot be placed */
	if (!r->have_ts) {
		r->have_ts = true;
		r->ts0 = dts;
		r->seg_ts = dts;
		r->last_dts = dts - 1;
	}
	if (dts <= r->last_dts)	/* the muxer wants strictly increasing dts */
		dts = r->last_dts + 1;
	if (pts < dts)
		pts = dts;
	if ((in->flags & AV_PKT_FLAG_KEY) && dts > r->seg_ts &&
	    ms_of(r, dts - r->seg_ts) >= r->cfg->segment_ms) {
		if (av_write_frame(r->mux, NULL) < 0 || emit_segment(r, dts, false) != 0)
			return -1;
	}
	if (av_packet_ref(p, in) < 0)
		return -1;
	p->stream_index = 0;
	p->dts = dts - r->ts0;
	p->pts = pts - r->ts0;
	p->pos = -1;
	av_packet_rescale_ts(p, r->tb, r->mux->streams[0]->time_base);
	r->last_dts = dts;
	r->last_dur = in->duration > 0 ? in->duration : r->last_dur;
	e = av_write_frame(r->mux, p);
	av_packet_unref(p);
	return e < 0 ? -1 : 0;
}

/* ---- the ring ---- */

static void
ring_drop_front(struct record *r)
{
	struct ring_pkt *f = &r->ring[r->head];

	r->bytes -= (size_t)f->pkt->size;
	av_packet_free(&f->pkt);
	r->head = (r->head + 1) % r->cap;
	r->n--;
}

static struct ring_pkt *
ring_at(struct record *r, size_t i)
{
	return &r->ring[(r->head + i) % r->cap];
}

/* Drop what the pre-roll no longer needs: everything before the newest
 * key frame that is at least clips.preroll old. */
static void
ring_trim(struct record *r, uint64_t now)
{
	for (;;) {
		size_t i, next = 0;
		for (i = 1; i < r->n; i++)
			if (ring_at(r, i)->pkt->flags & AV_PKT_FLAG_KEY) {
				next = i;
				break;
			}
		if (next == 0)
			return;
		if (ring_at(r, next)->mono + r->cfg->preroll_ms > now && r->bytes <= RING_BYTES_MAX &&
		    r->n < RING_PKTS_MAX)
			return;
		while (next-- > 0)
			ring_drop_front(r);
	}
}

static int
ring_push(struct record *r, const AVPacket *pkt, uint64_t now)
{
	struct ring_pkt *slot;

	if (r->n == 0 && !(pkt->flags & AV_PKT_FLAG_KEY))
		return 0;	/* a clip starts at a key frame */
	if (r->n == r->cap) {
		if (r->n >= RING_PKTS_MAX) {	/* one GOP over the bound: start again */
			while (r->n > 0)
				ring_drop_front(r);
			if (!(pkt->flags & AV_PKT_FLAG_KEY))
				return 0;
		} else {
			size_t cap = r->cap ? r->cap * 2 : 256, i;
			struct ring_pkt *q = av_malloc_array(cap, sizeof(*q));
			if (q == NULL)
				return -1;
			for (i = 0; i < r->n; i++)
				q[i] = *ring_at(r, i);
			av_free(r->ring);
			r->ring = q;
			r->cap = cap;
			r->head = 0;
		}
	}
	slot = &r->ring[(r->head + r->n) % r->cap];
	if ((slot->pkt = av_packet_clone(pkt)) == NULL)
		return -1;
	slot->mono = now;
	r->n++;
	r->bytes += (size_t)pkt->size;
	ring_trim(r, now);
	return 0;
}

/* ---- BEGIN and FINISH ---- */

static int
begin(struct record *r)
{
	uint8_t o[1 + 4];
	int64_t first, last;
	size_t i;

	if (r->n == 0)
		return 0;	/* nothing yet: start at the next key frame */
	if (mux_open(r) != 0) {
		camlog(CAMLOG_ERR, "event=clip error=\"cannot start the mp4 muxer\"");
		return -1;
	}
	r->want = false;
	first = ring_at(r, 0)->pkt->dts != AV_NOPTS_VALUE ? ring_at(r, 0)->pkt->dts
							  : ring_at(r, 0)->pkt->pts;
	last = ring_at(r, r->n - 1)->pkt->dts != AV_NOPTS_VALUE ? ring_at(r, r->n - 1)->pkt->dts
								 : ring_at(r, r->n - 1)->pkt->pts;
	o[0] = CAM_MSG_CLIP_OPEN;
	put32(o + 1, first != AV_NOPTS_VALUE && last != AV_NOPTS_VALUE && last > first
			     ? ms_of(r, last - first) : 0u);
	if (send_all(o, sizeof(o)) != 0)
		return -1;
	camlog(CAMLOG_INFO, "event=clip_recording mode=%s preroll_ms=%u packets=%zu bytes=%zu",
	       r->encode ? "encode" : "remux", ms_of(r, last - first), r->n, r->bytes);
	for (i = 0; i < r->n; i++)
		if (mux_packet(r, ring_at(r, i)->pkt) != 0)
			return -1;
	return 0;
}

static int
finish(struct record *r)
{
	int64_t end;

	r->want = false;
	if (!r->active)
		return 0;
	end = r->last_dts + (r->last_dur > 0 ? r->last_dur : 1);
	if (av_write_trailer(r->mux) < 0 || emit_segment(r, end, true) != 0)
		return -1;
	camlog(CAMLOG_INFO, "event=clip_done segments=%u", r->nseg);
	mux_free(r);
	return 0;
}

/* ---- live view: a second muxer, the same packets ---- */

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
live_write(void *opaque, uint8_t *p, int n)
{
	struct record *r = opaque;
	size_t need;

	if (n <= 0)
		return 0;
	need = r->lout_len + (size_t)n;
	if (need > CAM_LIVE_PLAIN_MAX)
		return AVERROR(ENOSPC);
	if (need > r->lout_cap) {
		size_t cap = r->lout_cap ? r->lout_cap : 256u * 1024u;
		uint8_t *q;
		while (cap < need)
			cap *= 2;
		if ((q = av_realloc(r->lout, cap)) == NULL)
			return AVERROR(ENOMEM);
		r->lout = q;
		r->lout_cap = cap;
	}
	memcpy(r->lout + r->lout_len, p, (size_t)n);
	r->lout_len = need;
	return n;
}

/* The bytes written since the last cut leave as one live fragment. */
static int
live_emit(struct record *r, uint8_t kind, uint64_t capture, uint32_t duration)
{
	uint8_t msg[1 + CAM_CLIP_CHUNK];
	uint8_t w[1 + 1 + 8 + 4];
	size_t off = 0, n;
	int i;

	if (r->lpb != NULL)
		avio_flush(r->lpb);
	while (off < r->lout_len) {
		n = r->lout_len - off > CAM_CLIP_CHUNK ? CAM_CLIP_CHUNK : r->lout_len - off;
		msg[0] = CAM_MSG_LIVE_DATA;
		memcpy(msg + 1, r->lout + off, n);
		if (send_all(msg, n + 1) != 0)
			return -1;
		off += n;
	}
	w[0] = CAM_MSG_LIVE_FRAG;
	w[1] = kind;
	for (i = 0; i < 8; i++)
		w[2 + i] = (uint8_t)(capture >> (56 - 8 * i));
	put32(w + 10, duration);
	if (send_all(w, sizeof(w)) != 0)
		return -1;
	camlog(CAMLOG_DEBUG, "event=live_fragment kind=%u bytes=%zu duration_ms=%u", kind,
	       r->lout_len, duration);
	r->lout_len = 0;
	return 0;
}

static void
live_free(struct record *r)
{
	if (r->lmux != NULL) {
		if (r->lpb != NULL) {
			av_freep(&r->lpb->buffer);
			avio_context_free(&r->lpb);
		}
		avformat_free_context(r->lmux);
		r->lmux = NULL;
	}
	r->lpb = NULL;
	r->lout_len = 0;
	r->lhave_ts = false;
}

/* The live muxer failed: stop it (the clip and the health reports go
 * on) and tell the monitor, which ends the sessions. */
static int
live_fail(struct record *r, const char *what)
{
	camlog(CAMLOG_ERR, "event=live error=\"%s\"", what);
	live_free(r);
	r->live_want = false;
	return live_emit(r, CAM_LIVE_FAILED, 0, 0);
}

/* At a key frame: the muxer, and its header as fragment 0 (the init). */
static int
live_open(struct record *r)
{
	AVDictionary *o = NULL;
	AVStream *st;
	uint8_t *iobuf;
	int e;

	if (avformat_alloc_output_context2(&r->lmux, NULL, "mp4", NULL) < 0 || r->lmux == NULL)
		return -1;
	if ((st = avformat_new_stream(r->lmux, NULL)) == NULL ||
	    avcodec_parameters_copy(st->codecpar, r->par) < 0)
		goto fail;
	st->codecpar->codec_tag = 0;
	st->time_base = r->tb;
	if ((iobuf = av_malloc(MUX_IO_BUF)) == NULL)
		goto fail;
	if ((r->lpb = avio_alloc_context(iobuf, MUX_IO_BUF, 1, r, NULL, live_write, NULL)) == NULL) {
		av_free(iobuf);
		goto fail;
	}
	r->lmux->pb = r->lpb;
	r->lmux->flags |= AVFMT_FLAG_CUSTOM_IO;
	/* empty_moov: the init is ftyp + moov alone, fragment 0;
	 * default_base_moof: each moof+mdat stands on its own (Media Source
	 * Extensions want it); frag_custom: cut where live_packet says, so
	 * each fragment's first picture and duration are known here. */
	av_dict_set(&o, "movflags", "frag_custom+empty_moov+default_base_moof", 0);
	e = avformat_write_header(r->lmux, &o);
	av_dict_free(&o);
	if (e < 0)
		goto fail;
	return live_emit(r, CAM_LIVE_INIT, 0, 0);
fail:
	live_free(r);
	return -1;
}

/* One packet (the source's, or the clip encoder's output) into live. */
static int
live_packet(struct record *r, const AVPacket *in)
{
	AVPacket *p;
	int64_t dts = in->dts != AV_NOPTS_VALUE ? in->dts : in->pts;
	int64_t pts = in->pts != AV_NOPTS_VALUE ? in->pts : dts;
	bool key = (in->flags & AV_PKT_FLAG_KEY) != 0;
	uint64_t wall = wall_ms();
	int e;

	if (!r->live_enabled || dts == AV_NOPTS_VALUE)
		return 0;
	if (r->lmux == NULL) {
		if (!r->live_want || !key)
			return 0;
		if (live_open(r) != 0)
			return live_fail(r, "cannot start the live mp4 muxer");
		r->live_want = false;
		camlog(CAMLOG_INFO, "event=live_muxer result=started mode=%s",
		       r->encode ? "encode" : "remux");
	}
	if (r->ltmp == NULL && (r->ltmp = av_packet_alloc()) == NULL)
		return live_fail(r, "out of memory");
	p = r->ltmp;
	if (!r->lhave_ts) {
		r->lhave_ts = true;
		r->lts0 = dts;
		r->lfrag_ts = dts;
		r->lfrag_wall = wall;
		r->llast_dts = dts - 1;
	}
	if (dts <= r->llast_dts)
		dts = r->llast_dts + 1;
	if (pts < dts)
		pts = dts;
	if (key && dts > r->lfrag_ts && ms_of(r, dts - r->lfrag_ts) >= r->cfg->live_fragment_ms) {
		if (av_write_frame(r->lmux, NULL) < 0)
			return live_fail(r, "cannot cut a live fragment");
		if (live_emit(r, CAM_LIVE_MEDIA, r->lfrag_wall, ms_of(r, dts - r->lfrag_ts)) != 0)
			return -1;
		r->lfrag_ts = dts;
		r->lfrag_wall = wall;
	}
	if (av_packet_ref(p, in) < 0)
		return live_fail(r, "out of memory");
	p->stream_index = 0;
	p->dts = dts - r->lts0;
	p->pts = pts - r->lts0;
	p->pos = -1;
	av_packet_rescale_ts(p, r->tb, r->lmux->streams[0]->time_base);
	r->llast_dts = dts;
	e = av_write_frame(r->lmux, p);
	av_packet_unref(p);
	if (e < 0)
		return live_fail(r, "cannot mux a live packet (a fragment over the limit?)");
	return 0;
}

/* ---- the worker's entry points ---- */

int
record_init(struct record *r, const struct cam_config *cfg, const AVStream *st,
	    const AVCodecContext *dec)
{
	const AVCodec *enc;
	AVDictionary *o = NULL;
	AVRational fr;
	int e;

	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->enabled = cfg->marks[0] != '\0';
	r->live_enabled = r->enabled && cfg->live_on;
	if (!r->enabled)
		return 0;
	if ((r->tmp = av_packet_alloc()) == NULL || (r->par = avcodec_parameters_alloc()) == NULL)
		return -1;
	if (st->codecpar->codec_id == AV_CODEC_ID_H264 || st->codecpar->codec_id == AV_CODEC_ID_HEVC) {
		if (avcodec_parameters_copy(r->par, st->codecpar) < 0)
			return -1;
		r->tb = st->time_base;
		return 0;
	}
	/* Raw (or another codec): encode, once, every frame. */
	r->encode = true;
	enc = avcodec_find_encoder_by_name(cfg->encoder);
	if (enc == NULL)
		enc = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
	if (enc == NULL || (r->enc = avcodec_alloc_context3(enc)) == NULL)
		return -1;
	fr = st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0 ? st->avg_frame_rate
								       : st->r_frame_rate;
	if (fr.num <= 0 || fr.den <= 0)
		fr = (AVRational){25, 1};
	r->enc->width = dec->width;
	r->enc->height = dec->height;
	r->enc->pix_fmt = AV_PIX_FMT_YUV420P;
	r->enc->time_base = st->time_base;
	r->enc->framerate = fr;
	r->enc->sample_aspect_ratio = dec->sample_aspect_ratio;
	/* A key frame a second: pre-roll and segments cut to within one. */
	r->enc->gop_size = (int)((fr.num + fr.den - 1) / fr.den);
	r->enc->max_b_frames = 0;
	r->enc->thread_count = 1;	/* no threads to start inside the sandbox */
	r->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;	/* mp4 wants avcC */
	if (strcmp(enc->name, "libx264") == 0) {
		av_dict_set(&o, "preset", "veryfast", 0);
		av_dict_set(&o, "tune", "zerolatency", 0);
		av_dict_set(&o, "crf", "23", 0);
	} else {
		r->enc->bit_rate = (int64_t)dec->width * dec->height * 3;
	}
	e = avcodec_open2(r->enc, enc, &o);
	av_dict_free(&o);
	if (e < 0)
		return -1;
	if (avcodec_parameters_from_context(r->par, r->enc) < 0)
		return -1;
	r->tb = r->enc->time_base;
	if ((r->yuv = av_frame_alloc()) == NULL)
		return -1;
	r->yuv->format = AV_PIX_FMT_YUV420P;
	r->yuv->width = dec->width;
	r->yuv->height = dec->height;
	if (av_frame_get_buffer(r->yuv, 0) < 0)
		return -1;
	camlog(CAMLOG_INFO, "event=clip_encoder name=%s size=%dx%d fps=%d/%d", enc->name, dec->width,
	       dec->height, fr.num, fr.den);
	return 0;
}

int
record_packet(struct record *r, const AVPacket *pkt, uint64_t now)
{
	if (!r->enabled || r->encode)
		return 0;
	if (live_packet(r, pkt) != 0)
		return -1;
	if (ring_push(r, pkt, now) != 0)
		return -1;
	if (r->want && !r->active && (pkt->flags & AV_PKT_FLAG_KEY))
		return begin(r);
	return r->active ? mux_packet(r, pkt) : 0;
}

static int
drain_encoder(struct record *r, uint64_t now)
{
	int e;

	for (;;) {
		e = avcodec_receive_packet(r->enc, r->tmp2 != NULL ? r->tmp2 : (r->tmp2 = av_packet_alloc()));
		if (r->tmp2 == NULL)
			return -1;
		if (e == AVERROR(EAGAIN) || e == AVERROR_EOF)
			return 0;
		if (e < 0)
			return -1;
		if (live_packet(r, r->tmp2) != 0 || ring_push(r, r->tmp2, now) != 0)
			e = -1;
		else if (r->want && !r->active && (r->tmp2->flags & AV_PKT_FLAG_KEY))
			e = begin(r);
		else if (r->active)
			e = mux_packet(r, r->tmp2);
		else
			e = 0;
		av_packet_unref(r->tmp2);
		if (e != 0)
			return -1;
	}
}

int
record_frame(struct record *r, const AVFrame *f, uint64_t now)
{
	if (!r->enabled || !r->encode)
		return 0;
	if (f->width != r->enc->width || f->height != r->enc->height)
		return 0;	/* the source changed size: not recorded */
	if (av_frame_make_writable(r->yuv) < 0)
		return -1;
	r->sws = sws_getCachedContext(r->sws, f->width, f->height, (enum AVPixelFormat)f->format,
				      f->width, f->height, AV_PIX_FMT_YUV420P, SWS_POINT, NULL, NULL,
				      NULL);
	if (r->sws == NULL || sws_scale(r->sws, (const uint8_t *const *)f->data, f->linesize, 0,
					f->height, r->yuv->data, r->yuv->linesize) != f->height)
		return -1;
	r->yuv->pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
	if (r->yuv->pts != AV_NOPTS_VALUE && r->have_pts && r->yuv->pts <= r->last_pts)
		return 0;	/* the encoder wants increasing time stamps */
	r->have_pts = r->yuv->pts != AV_NOPTS_VALUE;
	r->last_pts = r->yuv->pts;
	r->yuv->pict_type = AV_PICTURE_TYPE_NONE;
	if (avcodec_send_frame(r->enc, r->yuv) < 0)
		return -1;
	return drain_encoder(r, now);
}

/* The monitor's orders: non-blocking, every packet. */
int
record_control(struct record *r)
{
	uint8_t b[16];
	ssize_t n;

	if (!r->enabled)
		return 0;
	for (;;) {
		n = recv(CAM_REPORT_FD, b, sizeof(b), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;	/* nothing (a gone monitor shows on the next send) */
		if (n == 1 && b[0] == CAM_MSG_CLIP_BEGIN) {
			if (r->active || r->want)
				continue;
			r->want = true;
			if (begin(r) != 0)
				return -1;
		} else if (n == 1 && b[0] == CAM_MSG_CLIP_FINISH) {
			if (!r->active && r->want) {
				/* Nothing was ever recorded: say so with an empty clip. */
				r->want = false;
				uint8_t z[1 + 4 + 1] = {CAM_MSG_CLIP_SEGMENT, 0, 0, 0, 0, 2};
				if (send_all(z, sizeof(z)) != 0)
					return -1;
				continue;
			}
			if (finish(r) != 0)
				return -1;
		} else if (n == 1 && b[0] == CAM_MSG_LIVE_START && r->live_enabled) {
			/* Running already: the monitor has the init and starts a
			 * new session at the next fragment (a key frame). */
			if (r->lmux == NULL)
				r->live_want = true;
		} else if (n == 1 && b[0] == CAM_MSG_LIVE_STOP && r->live_enabled) {
			r->live_want = false;
			if (r->lmux != NULL)
				camlog(CAMLOG_INFO, "event=live_muxer result=stopped");
			live_free(r);
		} else {
			camlog(CAMLOG_WARN, "event=control result=refused bytes=%zd", n);
		}
	}
}
