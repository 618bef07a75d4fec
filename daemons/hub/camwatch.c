/*
 * daemons/hub/camwatch.c: porter-cam's health messages and clip marks
 * (not written yet).
 */
#include "hub.h"

/* (the camera watch and the clip marks go here) */
typedef int camwatch_unused_t;
