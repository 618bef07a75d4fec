/*
 * lib/core/clip.c: porter/clip.h (not written yet).
 */
#include "porter/clip.h"

typedef int clip_unused_t;
