/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The live-socket walks a load left pinned (or stored), read the same way by
 * every reader: which ones to read for the hooks attached, and their
 * records, each socket once.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "leco.h"

/* The walks to read with HOOKS attached (bits of enum leco_hook), in
 * order: the storage map iterator alone where it loaded (every socket LECO
 * tracks, every namespace), else the tcp, udp and task walks that are
 * there.  Fills OUT (room for 4), returns how many. */
size_t leco_walks_for(uint64_t hooks, enum leco_hook out[4]);

/* The program whose iterator link a walk pins ("<program>_iter_v<ABI>"). */
const char *leco_walk_program(enum leco_hook walk);

/* Read the records of each iterator fd in FDS to its end (closing it) and
 * keep each socket once (one socket held by several processes is met once
 * per process by the task walk): *OUT (malloc'ed, sorted by cookie) holds
 * *N records, at most MAX.  Records that fail validation are counted in
 * *MALFORMED.  Returns 0, or a negative errno of the first read that failed
 * (the records read until then are kept). */
int leco_walk_read(const int *fds, size_t nfds, size_t max, struct leco_sock_rec **out, size_t *n,
		   uint64_t *malformed);
