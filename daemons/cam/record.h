/*
 * porter-cam's recorder (record.c): the pre-roll ring and the clip muxer
 * inside the input worker. Not thread-safe; one per worker.
 */
#ifndef PORTER_CAM_RECORD_H
#define PORTER_CAM_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "cam.h"

struct ring_pkt {
	AVPacket *pkt;
	uint64_t mono;		/* when it arrived, CLOCK_MONOTONIC ms */
};

struct record {
	const struct cam_config *cfg;
	bool enabled;		/* clips.marks is set */
	bool encode;		/* raw source: encode; else remux */
	AVCodecContext *enc;
	AVFrame *yuv;
	struct SwsContext *sws;
	bool have_pts;
	int64_t last_pts;
	AVCodecParameters *par;	/* of the packets in the ring */
	AVRational tb;		/* their time base */
	AVPacket *tmp, *tmp2;

	struct ring_pkt *ring;
	size_t cap, head, n, bytes;

	/* the clip being recorded */
	bool want;		/* BEGIN received, waiting for a key frame */
	bool active;
	AVFormatContext *mux;
	AVIOContext *pb;
	uint8_t *out;		/* the segment's bytes so far */
	size_t out_len, out_cap;
	bool have_ts;
	int64_t ts0, seg_ts, last_dts, last_dur;
	uint32_t nseg;

	/* live view: a second fMP4 muxer fed the same packets, on the
	 * monitor's START/STOP; one fragment per key frame at or after
	 * live.fragment_ms (docs/cam.md, "Live view") */
	bool live_enabled;	/* live.hub_key is set */
	bool live_want;		/* START received, waiting for a key frame */
	AVFormatContext *lmux;	/* non-NULL: running */
	AVIOContext *lpb;
	uint8_t *lout;		/* the open fragment's bytes */
	size_t lout_len, lout_cap;
	bool lhave_ts;
	int64_t lts0, lfrag_ts, llast_dts;
	uint64_t lfrag_wall;	/* capture time of the fragment's first picture, ms */
	AVPacket *ltmp;
};

/* Before the sandbox: decide remux or encode, open the encoder. 0 or -1. */
int record_init(struct record *r, const struct cam_config *cfg, const AVStream *st,
		const AVCodecContext *dec);
/* Each packet of the video stream (remux), each decoded frame (encode);
 * now: CLOCK_MONOTONIC ms. 0, or -1: the clip cannot go on (the worker
 * ends; the monitor closes the clip with what it has). */
int record_packet(struct record *r, const AVPacket *pkt, uint64_t now);
int record_frame(struct record *r, const AVFrame *f, uint64_t now);
/* Read the monitor's BEGIN / FINISH without blocking. 0 or -1. */
int record_control(struct record *r);

#endif
