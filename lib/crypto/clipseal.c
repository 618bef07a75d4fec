/*
 * lib/crypto/clipseal.c: porter/clipseal.h (not written yet).
 */
#include "porter/clipseal.h"

typedef int clipseal_unused_t;
