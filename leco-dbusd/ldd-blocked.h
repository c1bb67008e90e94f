/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <linux/types.h>

#include "leco.h"

/* Blocked attempts, coalesced per (cgroup, remote address, port, protocol,
 * reason): the first goes out at once, repeats raise count and go out at
 * most once per window.  History bounded, newest first. */
typedef struct {
  guint64 id;
  struct leco_event first;   /* tuple; pid/comm/uid: the latest attempt's */
  guint64 count;
  gint64 started_us;         /* CLOCK_REALTIME of the first attempt */
  gint64 last_us;            /* CLOCK_REALTIME of the latest */
  gint64 emitted_mono;       /* monotonic time of the last signal */
  gboolean pending;          /* repeats not sent yet */
  GList link;                /* in the history, newest first */
} LddBlocked;

typedef struct _LddBlockedTable LddBlockedTable;

LddBlockedTable *ldd_blocked_table_new (guint history, guint window_ms);
void ldd_blocked_table_free (LddBlockedTable *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LddBlockedTable, ldd_blocked_table_free)

/* Account one BLOCKED/DENIED event; *emit_now when it is to be signalled now. */
LddBlocked *ldd_blocked_add (LddBlockedTable *self, const struct leco_event *e, gint64 mono_us,
                             gboolean *emit_now);
/* Entries whose repeats are due (marked sent); *next_due_mono: when the next
 * one will be, or 0 when none is pending. */
GPtrArray *ldd_blocked_take_due (LddBlockedTable *self, gint64 mono_us, gint64 *next_due_mono);
/* Newest first; max 0: all. */
GPtrArray *ldd_blocked_list (LddBlockedTable *self, guint max);
guint64 ldd_blocked_total (LddBlockedTable *self);
