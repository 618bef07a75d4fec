/*
 * porter-cam's input worker: one connection to the source, then exit.
 *
 *   1. open the source with FFmpeg (lavfi:, /dev/videoN, rtsp://, files),
 *      every blocking call bounded by a deadline through the
 *      AVIOInterruptCB, so a dead source never hangs the worker;
 *   2. find the video stream, open its decoder with threads=1;
 *   3. read the reference picture;
 *   4. drop privileges and enter the seccomp sandbox (sandbox.c);
 *   5. read packets (at the stream's own rate for files and lavfi),
 *      decode, analyse a few pictures a second at 64x36 (analysis.c),
 *      and report to the monitor on fd 3 every interval.
 *
 * It ends when the source ends or fails, or when the monitor is gone; the
 * monitor starts the next one. In reference mode it averages a couple of
 * seconds of pictures and sends them instead of reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "cam.h"
#include "record.h"

#define REF_PICTURES 10		/* averaged into a reference picture */
#define PACE_REBASE_MS 2000	/* a time stamp jump beyond this restarts pacing */
/* Reports go to the monitor this often: its stall clock and the packet
 * age it sends are as fine as this. */
#define REPORT_MS 250u

struct worker {
	const struct cam_config *cfg;
	AVFormatContext *fmt;
	AVCodecContext *dec;
	AVPacket *pkt;
	AVFrame *frame;
	int vstream;
	AVRational tb;
	bool intra_only, pace;
	uint64_t deadline_ms;		/* the interrupt callback's; 0: none */

	struct SwsContext *sws_area, *sws_probe;

	/* pacing */
	bool paced;
	uint64_t pace_mono0;
	int64_t pace_ts0;

	/* analysis */
	struct cam_analysis an;
	uint32_t period_ms;
	uint64_t last_pic_ms;
	bool any_pic;

	/* reference mode */
	bool reference_mode;
	unsigned ref_n;
	uint32_t ref_sum[CAM_PIX];

	/* reports: every REPORT_MS, with the rates of the last whole second */
	uint64_t started_ms, last_packet_ms, window_ms, report_due_ms, seq;
	uint32_t pkts, pics, pps, fps;

	/* clips (record.c) */
	struct record rec;
};

/*
 * The worker ends here, straight through exit_group(2): no atexit work,
 * and none of the sanitizers' exit hooks (LeakSanitizer would start a
 * tracer thread, which the filter forbids). The kernel frees everything.
 */
void
worker_quit(int code)
{
	for (;;)
		(void)syscall(SYS_exit_group, code);
}

const char *
worker_exit_text(int code)
{
	switch (code) {
	case CAM_WORKER_OK: return "done";
	case CAM_WORKER_CONFIG: return "configuration refused";
	case CAM_WORKER_SANDBOX: return "sandbox failed";
	case CAM_WORKER_EOF: return "the source ended";
	case CAM_WORKER_IO: return "read error or timeout";
	case CAM_WORKER_OPEN: return "cannot open the source";
	case CAM_WORKER_NOVIDEO: return "no video stream or decoder";
	default: return "unexpected exit";
	}
}

/* FFmpeg's log into ours: one line, quotes and controls replaced. */
static void
av_log_cb(void *avcl, int level, const char *fmt, va_list vl)
{
	char line[400];
	int prefix = 1;
	size_t i;

	if (level > av_log_get_level())
		return;
	av_log_format_line2(avcl, level, fmt, vl, line, (int)sizeof(line), &prefix);
	for (i = 0; line[i] != '\0'; i++)
		if (line[i] == '"' || (unsigned char)line[i] < 0x20)
			line[i] = line[i] == '"' ? '\'' : ' ';
	while (i > 0 && line[i - 1] == ' ')
		line[--i] = '\0';
	if (i > 0)
		camlog(level <= AV_LOG_ERROR ? CAMLOG_WARN : CAMLOG_DEBUG, "event=ffmpeg msg=\"%s\"", line);
}

static int
interrupt_cb(void *arg)
{
	const struct worker *w = arg;

	return w->deadline_ms != 0 && cam_mono_ms() > w->deadline_ms;
}

static const char *
averr(int e, char *buf, size_t cap)
{
	if (av_strerror(e, buf, cap) != 0)
		(void)snprintf(buf, cap, "error %d", e);
	return buf;
}

static bool
has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static int
open_source(struct worker *w)
{
	const struct cam_config *cfg = w->cfg;
	const AVInputFormat *ifmt = NULL;
	const AVCodec *codec = NULL;
	const AVCodecDescriptor *desc;
	AVDictionary *o = NULL;
	const char *url = cfg->input;
	char eb[128], us[24];
	bool file = false, lavfi = false;
	unsigned i;
	int r;

	if (has_prefix(url, "lavfi:")) {
		ifmt = av_find_input_format("lavfi");
		url += 6;
		lavfi = true;
	} else if (has_prefix(url, "v4l2:")) {
		ifmt = av_find_input_format("video4linux2");
		url += 5;
	} else if (has_prefix(url, "/dev/video")) {
		ifmt = av_find_input_format("video4linux2");
	} else {
		file = strstr(url, "://") == NULL || has_prefix(url, "file:");
	}
	if ((lavfi || url != cfg->input || has_prefix(url, "/dev/video")) && ifmt == NULL) {
		camlog(CAMLOG_ERR, "event=open error=\"this FFmpeg has no input device for '%s'\"",
		     cfg->input);
		return CAM_WORKER_OPEN;
	}
	w->pace = cfg->pace == CAM_PACE_YES || (cfg->pace == CAM_PACE_AUTO && (file || lavfi));

	if ((w->fmt = avformat_alloc_context()) == NULL)
		return CAM_WORKER_OPEN;
	w->fmt->interrupt_callback.callback = interrupt_cb;
	w->fmt->interrupt_callback.opaque = w;
	(void)snprintf(us, sizeof(us), "%llu", (unsigned long long)cfg->io_timeout_ms * 1000u);
	if (has_prefix(url, "rtsp://") || has_prefix(url, "rtsps://")) {
		av_dict_set(&o, "rtsp_transport", cfg->rtsp_transport, 0);
		av_dict_set(&o, "timeout", us, 0);	/* socket I/O, microseconds */
	} else if (!file && ifmt == NULL) {
		av_dict_set(&o, "rw_timeout", us, 0);
	}
	w->deadline_ms = cam_mono_ms() + cfg->open_timeout_ms;
	r = avformat_open_input(&w->fmt, url, ifmt, &o);	/* frees fmt on failure */
	av_dict_free(&o);
	if (r < 0) {
		camlog(CAMLOG_ERR, "event=open input=\"%s\" error=\"%s\"", cfg->input,
		     r == AVERROR_EXIT ? "timed out" : averr(r, eb, sizeof(eb)));
		w->fmt = NULL;
		return CAM_WORKER_OPEN;
	}
	if ((r = avformat_find_stream_info(w->fmt, NULL)) < 0) {
		camlog(CAMLOG_ERR, "event=open input=\"%s\" error=\"probing: %s\"", cfg->input,
		     r == AVERROR_EXIT ? "timed out" : averr(r, eb, sizeof(eb)));
		return CAM_WORKER_OPEN;
	}
	w->deadline_ms = 0;
	r = av_find_best_stream(w->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
	if (r < 0 || codec == NULL) {
		camlog(CAMLOG_ERR, "event=open input=\"%s\" error=\"no video stream that can be decoded\"",
		     cfg->input);
		return CAM_WORKER_NOVIDEO;
	}
	w->vstream = r;
	for (i = 0; i < w->fmt->nb_streams; i++)
		if ((int)i != w->vstream)
			w->fmt->streams[i]->discard = AVDISCARD_ALL;
	w->tb = w->fmt->streams[w->vstream]->time_base;
	if ((w->dec = avcodec_alloc_context3(codec)) == NULL ||
	    avcodec_parameters_to_context(w->dec, w->fmt->streams[w->vstream]->codecpar) < 0)
		return CAM_WORKER_NOVIDEO;
	/* One thread: nothing to start after the filter is in place, and one
	 * stream's cost is one core's share. */
	w->dec->thread_count = 1;
	if (cfg->decode == CAM_DECODE_KEY)
		w->dec->skip_frame = AVDISCARD_NONKEY;
	/* The pictures are only analysed, at 64x36: the deblocking filter
	 * buys nothing there, and costs a good part of H.264 decoding.
	 * Deterministic all the same: a repeated frame still decodes to
	 * identical pixels. (Clips will be remuxed, never decoded.) */
	w->dec->skip_loop_filter = AVDISCARD_ALL;
	w->dec->flags2 |= AV_CODEC_FLAG2_FAST;
	if ((r = avcodec_open2(w->dec, codec, NULL)) < 0) {
		camlog(CAMLOG_ERR, "event=open input=\"%s\" error=\"decoder %s: %s\"", cfg->input,
		     codec->name, averr(r, eb, sizeof(eb)));
		return CAM_WORKER_NOVIDEO;
	}
	desc = avcodec_descriptor_get(codec->id);
	w->intra_only = desc != NULL && (desc->props & AV_CODEC_PROP_INTRA_ONLY) != 0;
	camlog(CAMLOG_INFO, "event=opened input=\"%s\" format=%s codec=%s size=%dx%d pace=%s decode=%s",
	     cfg->input, w->fmt->iformat->name, codec->name, w->dec->width, w->dec->height,
	     w->pace ? "yes" : "no",
	     cfg->decode == CAM_DECODE_KEY ? "keyframes" : w->intra_only ? "analysed" : "all");
	return CAM_WORKER_OK;
}

static void
load_reference(struct worker *w, struct cam_reference *ref, bool *have)
{
	uint8_t pix[CAM_PIX];
	struct pt_errbuf err;
	int r;

	*have = false;
	r = reference_load(w->cfg->reference, pix, &err);
	if (r == PT_ENOTFOUND) {
		camlog(CAMLOG_INFO, "event=reference path=\"%s\" result=none note=\"no moved check:"
				" take one with 'porter-cam reference'\"",
		     w->cfg->reference);
		return;
	}
	if (r != PT_OK) {
		camlog(CAMLOG_WARN, "event=reference result=unusable error=\"%s\"", err.msg);
		return;
	}
	if (!cam_reference_init(ref, pix)) {
		camlog(CAMLOG_WARN, "event=reference path=\"%s\" result=unusable textured_blocks=%u",
		     w->cfg->reference, ref->textured);
		return;
	}
	*have = true;
}

static void
send_msg(const uint8_t *p, size_t len)
{
	ssize_t n;

	do
		n = send(CAM_REPORT_FD, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
		/* The monitor is gone: nobody to report to. */
		worker_quit(CAM_WORKER_OK);
	}
}

static void
report(struct worker *w, uint64_t now)
{
	struct pt_cam_health h;
	uint8_t buf[1 + PT_CAM_PAYLOAD_MAX];
	uint64_t age;
	size_t n;

	if (now - w->window_ms >= 1000u) {
		uint64_t win = now - w->window_ms;
		uint64_t pps = (uint64_t)w->pkts * 1000u / win, fps = (uint64_t)w->pics * 1000u / win;
		w->pps = pps > PT_CAM_PPS_MAX ? PT_CAM_PPS_MAX : (uint32_t)pps;
		w->fps = fps > PT_CAM_FPS_MAX ? PT_CAM_FPS_MAX : (uint32_t)fps;
		w->pkts = w->pics = 0;
		w->window_ms = now;
	}

	memset(&h, 0, sizeof(h));
	memcpy(h.id, w->cfg->id, sizeof(h.id));
	h.seq = ++w->seq;
	h.time_ms = now;
	h.status = pt_cam_status_settle(cam_analysis_status(&w->an));
	h.m.pps = w->pps;
	h.m.fps = w->fps;
	/* No packet yet: the cap, which the monitor reads as "none". */
	age = w->last_packet_ms != 0 ? now - w->last_packet_ms : PT_CAM_AGE_MAX;
	h.m.packet_age_ms = age > PT_CAM_AGE_MAX ? PT_CAM_AGE_MAX : (uint32_t)age;
	h.m.luma = w->an.last.luma;
	h.m.contrast = w->an.last.contrast;
	h.m.change = w->an.last.change > PT_CAM_CHANGE_MAX ? PT_CAM_CHANGE_MAX : w->an.last.change;
	h.m.has_match = w->an.ref.usable;
	h.m.match = w->an.ref.usable ? w->an.last.match : 0;
	buf[0] = CAM_MSG_REPORT;
	if (pt_cam_payload_encode(&h, buf + 1, sizeof(buf) - 1, &n) != PT_OK) {
		camlog(CAMLOG_ERR, "event=report error=\"cannot encode\"");
		return;
	}
	send_msg(buf, n + 1);
	w->report_due_ms = now + REPORT_MS;
}

/* Sleep until the packet's time stamp is due, relative to the first. */
static void
pace(struct worker *w, const AVPacket *pkt)
{
	int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
	int64_t rel_ms, ahead;
	uint64_t now = cam_mono_ms();
	struct timespec t;

	if (ts == AV_NOPTS_VALUE)
		return;
	if (!w->paced) {
		w->paced = true;
		w->pace_mono0 = now;
		w->pace_ts0 = ts;
		return;
	}
	rel_ms = av_rescale_q(ts - w->pace_ts0, w->tb, (AVRational){1, 1000});
	ahead = (int64_t)(w->pace_mono0 + (uint64_t)(rel_ms > 0 ? rel_ms : 0)) - (int64_t)now;
	if (rel_ms < 0 || ahead > PACE_REBASE_MS || ahead < -PACE_REBASE_MS) {
		w->pace_mono0 = now;	/* a jump or a loop: start again from here */
		w->pace_ts0 = ts;
		return;
	}
	if (ahead <= 0)
		return;
	t.tv_sec = (time_t)(ahead / 1000);
	t.tv_nsec = (long)(ahead % 1000) * 1000000L;
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &t, &t) == EINTR)
		continue;
}

static bool
picture_due(const struct worker *w, uint64_t now)
{
	/* An eighth of slack, so 25 fps analysed at 5 fps takes every 5th. */
	return !w->any_pic || now - w->last_pic_ms >= w->period_ms - w->period_ms / 8;
}

static int
scale(struct worker *w, const AVFrame *f, uint8_t area[CAM_PIX], uint8_t probe[CAM_PIX])
{
	uint8_t *dst[4] = {NULL, NULL, NULL, NULL};
	int dls[4] = {CAM_W, 0, 0, 0};
	enum AVPixelFormat fmt = (enum AVPixelFormat)f->format;

	w->sws_area = sws_getCachedContext(w->sws_area, f->width, f->height, fmt, CAM_W, CAM_H,
					   AV_PIX_FMT_GRAY8, SWS_AREA, NULL, NULL, NULL);
	w->sws_probe = sws_getCachedContext(w->sws_probe, f->width, f->height, fmt, CAM_W, CAM_H,
					    AV_PIX_FMT_GRAY8, SWS_POINT, NULL, NULL, NULL);
	if (w->sws_area == NULL || w->sws_probe == NULL)
		return -1;
	dst[0] = area;
	if (sws_scale(w->sws_area, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst,
		      dls) != CAM_H)
		return -1;
	dst[0] = probe;
	if (sws_scale(w->sws_probe, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
		      dst, dls) != CAM_H)
		return -1;
	return 0;
}

static void
picture(struct worker *w, const AVFrame *f, uint64_t now)
{
	uint8_t area[CAM_PIX], probe[CAM_PIX];
	unsigned i;

	if (f->width <= 0 || f->height <= 0 || scale(w, f, area, probe) != 0) {
		camlog(CAMLOG_WARN, "event=scale error=\"cannot scale a %dx%d %s picture\"", f->width,
		     f->height, av_get_pix_fmt_name((enum AVPixelFormat)f->format));
		return;
	}
	w->any_pic = true;
	w->last_pic_ms = now;
	w->pics++;
	if (w->reference_mode) {
		uint8_t buf[1 + CAM_PIX];
		for (i = 0; i < CAM_PIX; i++)
			w->ref_sum[i] += area[i];
		if (++w->ref_n < REF_PICTURES)
			return;
		buf[0] = CAM_MSG_REF;
		for (i = 0; i < CAM_PIX; i++)
			buf[1 + i] = (uint8_t)((w->ref_sum[i] + REF_PICTURES / 2) / REF_PICTURES);
		send_msg(buf, sizeof(buf));
		worker_quit(CAM_WORKER_OK);
	}
	cam_analysis_picture(&w->an, now, area, probe);
	camlog(CAMLOG_DEBUG, "event=picture luma=%u contrast=%u change=%u local=%u match=%u status=%#x",
	       w->an.last.luma, w->an.last.contrast, w->an.last.change, w->an.last.local,
	       w->an.last.match, cam_analysis_status(&w->an));
}

/*
 * decode = all on an inter-coded stream: the frames no other frame
 * references (nal_ref_idc 0 in H.264: most B-frames, and P-frames an
 * encoder marks so) are skipped at the decoder (AVDISCARD_NONREF).
 * Nothing is predicted from them, so every other frame decodes to the
 * same pixels as before; the analysed pictures are then taken among the
 * reference frames, by the same clock (picture_due), at analyse_fps as
 * long as those come at least that often: hence only from 3x analyse_fps
 * up (IBBP, the sparsest common pattern, has one reference in three).
 * A stream without B-frames usually marks every frame a reference: then
 * nothing is skipped. Not when clips encode every frame (sources other
 * than H.264/H.265: record.c). Measured on H.264 only (docs/performance.md);
 * a decoder that does not act on AVDISCARD_NONREF decodes every frame.
 */
static void
skip_unreferenced(struct worker *w)
{
	AVRational fr = av_guess_frame_rate(w->fmt, w->fmt->streams[w->vstream], NULL);
	bool fast = fr.num > 0 && fr.den > 0 &&
		    (int64_t)fr.num >= (int64_t)3 * w->cfg->analyse_fps * fr.den;

	if (w->cfg->decode != CAM_DECODE_ALL || w->intra_only || w->rec.encode)
		return;
	if (fast)
		w->dec->skip_frame = AVDISCARD_NONREF;
	camlog(CAMLOG_INFO, "event=decode_skip frames=%s rate=%d/%d", fast ? "unreferenced" : "none",
	       fr.num, fr.den);
}

/* Hidden, for the test suite: a call the filter must refuse. */
static void
forbidden(const char *test)
{
	camlog(CAMLOG_INFO, "event=sandbox_test call=%s", test);
	if (strcmp(test, "execve") == 0) {
		char *const argv[] = {(char *)"true", NULL};
		execve("/bin/true", argv, argv + 1);
	} else if (strcmp(test, "open") == 0) {
		(void)!open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	} else if (strcmp(test, "socket") == 0) {
		(void)!socket(AF_INET, SOCK_STREAM, 0);
	} else if (strcmp(test, "none") == 0) {
		worker_quit(CAM_WORKER_OK);
	}
	camlog(CAMLOG_ERR, "event=sandbox_test call=%s result=\"not refused\"", test);
	worker_quit(1);
}

static int
loop(struct worker *w)
{
	char eb[128];
	uint64_t now;
	int r;

	for (;;) {
		now = cam_mono_ms();
		if (!w->reference_mode && now >= w->report_due_ms)
			report(w, now);
		w->deadline_ms = now + w->cfg->io_timeout_ms;
		r = av_read_frame(w->fmt, w->pkt);
		w->deadline_ms = 0;
		/* A read that comes back only after io_timeout brought nothing in
		 * time: what it hands over is the frame the demuxer's parser held
		 * (libavformat flushes its parsers when a read fails), not a
		 * fresh packet, and must not move the stall clock. */
		if (r >= 0 && cam_mono_ms() - now >= w->cfg->io_timeout_ms) {
			av_packet_unref(w->pkt);
			r = AVERROR_EXIT;
		}
		if (r == AVERROR_EOF) {
			camlog(CAMLOG_INFO, "event=input_end input=\"%s\"", w->cfg->input);
			return CAM_WORKER_EOF;
		}
		if (r < 0) {
			camlog(CAMLOG_WARN, "event=input_error input=\"%s\" error=\"%s\"", w->cfg->input,
			     r == AVERROR_EXIT ? "no data within io_timeout" : averr(r, eb, sizeof(eb)));
			return CAM_WORKER_IO;
		}
		if (w->pkt->stream_index != w->vstream) {
			av_packet_unref(w->pkt);
			continue;
		}
		if (w->pace)
			pace(w, w->pkt);
		now = cam_mono_ms();
		w->last_packet_ms = now;
		w->pkts++;
		if (record_control(&w->rec) != 0 || record_packet(&w->rec, w->pkt, now) != 0) {
			camlog(CAMLOG_ERR, "event=clip error=\"recording failed\"");
			av_packet_unref(w->pkt);
			return CAM_WORKER_IO;
		}
		/* Intra-only streams (raw, MJPEG): decode only what is analysed
		 * (unless every frame is encoded for clips). */
		if (w->intra_only && !w->rec.encode && !picture_due(w, now)) {
			av_packet_unref(w->pkt);
			continue;
		}
		r = avcodec_send_packet(w->dec, w->pkt);
		av_packet_unref(w->pkt);
		if (r < 0 && r != AVERROR(EAGAIN)) {
			camlog(CAMLOG_DEBUG, "event=decode error=\"%s\"", averr(r, eb, sizeof(eb)));
			continue;	/* a damaged packet: the next key frame recovers */
		}
		while (avcodec_receive_frame(w->dec, w->frame) == 0) {
			if (picture_due(w, now))
				picture(w, w->frame, now);
			if (record_frame(&w->rec, w->frame, now) != 0) {
				camlog(CAMLOG_ERR, "event=clip error=\"encoding failed\"");
				av_frame_unref(w->frame);
				return CAM_WORKER_IO;
			}
			av_frame_unref(w->frame);
		}
	}
}

int
worker_main(const struct cam_config *cfg, bool reference, const char *test)
{
	static struct worker w;	/* 10 KiB of analysis state: not on the stack */
	struct cam_reference ref;
	struct pt_errbuf err;
	bool have_ref = false;
	int r;

	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	w.reference_mode = reference;
	w.period_ms = 1000u / cfg->analyse_fps;
	w.started_ms = w.window_ms = cam_mono_ms();
	if (fcntl(CAM_REPORT_FD, F_GETFD) < 0) {
		camlog(CAMLOG_ERR, "event=start error=\"no report descriptor: run by porter-cam only\"");
		return CAM_WORKER_CONFIG;
	}
	if (cfg->input[0] == '\0') {
		camlog(CAMLOG_ERR, "event=start error=\"cam.input is empty\"");
		return CAM_WORKER_CONFIG;
	}
	av_log_set_level(cfg->log_level >= CAMLOG_DEBUG ? AV_LOG_INFO : AV_LOG_ERROR);
	av_log_set_callback(av_log_cb);
	avdevice_register_all();
	avformat_network_init();

	if ((w.pkt = av_packet_alloc()) == NULL || (w.frame = av_frame_alloc()) == NULL)
		return CAM_WORKER_OPEN;
	if ((r = open_source(&w)) != CAM_WORKER_OK)
		return r;
	if (!reference) {
		int sb = 1 << 20;
		load_reference(&w, &ref, &have_ref);
		if (record_init(&w.rec, cfg, w.fmt->streams[w.vstream], w.dec) != 0) {
			camlog(CAMLOG_ERR, "event=clip error=\"cannot set up recording (encoder '%s')\"",
			       cfg->encoder);
			return CAM_WORKER_NOVIDEO;
		}
		/* Room for segment chunks (capped at net.core.wmem_max). */
		if (w.rec.enabled)
			(void)setsockopt(CAM_REPORT_FD, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb));
	}
	skip_unreferenced(&w);
	cam_analysis_init(&w.an, &cfg->lim, have_ref ? &ref : NULL);

	/* From here on: no new files, sockets, programs or threads. */
	if (sandbox_drop(cfg->user, false, &err) != 0 || sandbox_enter(&err) != 0) {
		camlog(CAMLOG_ERR, "event=sandbox error=\"%s\"", err.msg);
		return CAM_WORKER_SANDBOX;
	}
	camlog(CAMLOG_DEBUG, "event=sandboxed");
	if (test != NULL)
		forbidden(test);
	w.report_due_ms = cam_mono_ms();
	return loop(&w);
}
