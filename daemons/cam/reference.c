/*
 * The reference picture: what the camera saw when the owner set it up,
 * as a binary PGM of CAM_W x CAM_H grey cells (any image viewer shows
 * it). Written atomically, mode 0644 (it is a thumbnail of the room, not
 * a secret from the camera's own user); read strictly: exactly the
 * header porter-cam writes, then exactly CAM_PIX bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cam.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define PGM_HEADER "P5\n" STR(CAM_W) " " STR(CAM_H) "\n255\n"

_Static_assert(CAM_W == 64 && CAM_H == 36, "PGM_HEADER spells the size");

int
reference_load(const char *path, uint8_t pix[CAM_PIX], struct pt_errbuf *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	const size_t hl = sizeof(PGM_HEADER) - 1;
	int r;

	if ((r = pt_file_read(path, hl + CAM_PIX, &buf, &len, err)) != PT_OK)
		return r;
	if (len != hl + CAM_PIX || memcmp(buf, PGM_HEADER, hl) != 0) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "'%s' is not a porter-cam reference picture (a %dx%d PGM)", path, CAM_W,
			       CAM_H);
		free(buf);
		return PT_EMALFORMED;
	}
	memcpy(pix, buf + hl, CAM_PIX);
	free(buf);
	return PT_OK;
}

int
reference_save(const char *path, const uint8_t pix[CAM_PIX], struct pt_errbuf *err)
{
	uint8_t buf[sizeof(PGM_HEADER) - 1 + CAM_PIX];

	memcpy(buf, PGM_HEADER, sizeof(PGM_HEADER) - 1);
	memcpy(buf + sizeof(PGM_HEADER) - 1, pix, CAM_PIX);
	return pt_file_write(path, buf, sizeof(buf), 0644, err) == PT_OK ? 0 : -1;
}
