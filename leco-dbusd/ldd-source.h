/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <linux/types.h>

#include "leco.h"
#include "ldd-flows.h"

/* The kernel side as the daemon sees it: LECO's maps, from pins or from the
 * systemd fd store, and the ring buffer as a GLib source. */
typedef struct _LddSource LddSource;

typedef void (*LddEventFunc) (const struct leco_event *event, gpointer user_data);

typedef struct {
  guint64 cgroup_id;
  struct leco_cgroup_stats s;
} LddCgroupTotals;

#define LDD_SOURCE_ERROR (ldd_source_error_quark ())
GQuark ldd_source_error_quark (void);
typedef enum {
  LDD_SOURCE_ERROR_NOT_LOADED,   /* nothing pinned / nothing passed */
  LDD_SOURCE_ERROR_PERMISSION,   /* pins exist but we may not open them */
  LDD_SOURCE_ERROR_BAD_MAP,      /* a map of the wrong type, size or version */
  LDD_SOURCE_ERROR_FAILED,
} LddSourceError;

/* Open the pinned maps in DIR (read-only but the ring buffer). */
LddSource *ldd_source_new_from_pins (const char *dir, GError **error);
/* Take the maps from $LISTEN_FDS/$LISTEN_FDNAMES (systemd fd store);
 * NULL with LDD_SOURCE_ERROR_NOT_LOADED when none were passed. */
LddSource *ldd_source_new_from_fds (GError **error);
void ldd_source_free (LddSource *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LddSource, ldd_source_free)

/* Deliver events through FUNC from the default main context: at once when
 * the kernel wakes us (blocked/denied, backlog), else on a drain timer that
 * backs off from drain_ms to max_ms while nothing arrives. */
void ldd_source_start (LddSource *self, guint drain_ms, guint max_ms, LddEventFunc func, gpointer user_data);
/* Consume what is pending now, at most LDD_SOURCE_DRAIN_BUDGET records;
 * returns the number of records.  A drain cut short at the budget goes on
 * from an idle source of the main context, so that a storm of events never
 * keeps the main loop (bus calls, timers) waiting. */
#define LDD_SOURCE_DRAIN_BUDGET 1024
int ldd_source_drain (LddSource *self);
/* TRUE when the last drain stopped at the budget (records may be left). */
gboolean ldd_source_backlog (LddSource *self);

const struct leco_meta *ldd_source_get_meta (LddSource *self);
/* Pins only: the pin dir, and whether its maps were replaced (another
 * leco-ebpf-load build) or removed since this source opened them. */
const char *ldd_source_get_pin_dir (LddSource *self);
gboolean ldd_source_pins_changed (LddSource *self);
/* Ring buffer reserve failures counted by the kernel + malformed records. */
guint64 ldd_source_events_lost (LddSource *self);
guint64 ldd_source_malformed (LddSource *self);
/* Blocked packets and denied connects the kernel saw since the hooks were
 * loaded (whatever the daemon's lifetime). */
guint64 ldd_source_blocked_total (LddSource *self);
/* Destinations announced for unconnected sockets: cookie (guint64*) ->
 * GArray of struct leco_dest_key.  NULL when the map is not available. */
GHashTable *ldd_source_read_dests (LddSource *self);

/* All per-cgroup totals (summed over CPUs). */
gboolean ldd_source_read_cgroups (LddSource *self, GArray *out /* LddCgroupTotals */, GError **error);
/* Live sockets from the socket walks the load has (the storage map
 * iterator, else the tcp, udp and task walks), each socket once; FALSE
 * without any (the records read until a read failed are kept in *out). */
gboolean ldd_source_read_sockets (LddSource *self, struct leco_sock_rec **out /* free() */, gsize *n,
                                  GError **error);
/* How surely ldd_source_read_sockets meets an open socket of network
 * namespace NETNS and PROTOCOL (so that one it does not meet is gone). */
LddWalkSees ldd_source_walk_sees (LddSource *self, guint32 netns, guint8 protocol);
