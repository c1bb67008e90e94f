/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "ldd-cgroups.h"
#include "ldd-config.h"
#include "ldd-source.h"

#define LDD_BUS_NAME "org.leco.Overseer"
#define LDD_OBJECT_PATH "/org/leco/Overseer"

/* Errors callers see as org.leco.Overseer1.Error.* */
#define LDD_ERROR (ldd_error_quark ())
GQuark ldd_error_quark (void);
typedef enum {
  LDD_ERROR_NOT_FOUND,
  LDD_ERROR_UNAVAILABLE,
} LddError;

typedef enum {
  LDD_LOG_AUTO,      /* the journal when stderr is connected to it */
  LDD_LOG_JOURNAL,
  LDD_LOG_STDERR,
} LddLogTarget;

typedef struct _LddDaemon LddDaemon;

/* Takes ownership of config, source and cgroups. */
LddDaemon *ldd_daemon_new (LddConfig *config, LddSource *source, LddCgroups *cgroups, LddLogTarget log);
void ldd_daemon_free (LddDaemon *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LddDaemon, ldd_daemon_free)

/* Export the object on the connection (NULL: none); events wait for
 * ldd_daemon_start_events(). */
gboolean ldd_daemon_start (LddDaemon *self, GDBusConnection *bus, GError **error);
/* Start consuming kernel events and the traffic timer.  Call it once the
 * bus name is owned: what the daemon reads from the ring buffer is gone from
 * it, and a signal sent before the name is ours reaches none of the clients
 * that listen to the name (the attempts blocked while the daemon was down
 * would be announced to no one; an instance that cannot own the name would
 * take events from the one that does). */
void ldd_daemon_start_events (LddDaemon *self);
void ldd_daemon_stop (LddDaemon *self);

/* Validate ListConnections' filter (a{sv}): known keys, right types.  FALSE
 * with G_DBUS_ERROR_INVALID_ARGS naming the problem otherwise. */
gboolean ldd_daemon_check_filter (GVariant *filter, GError **error);

/* For tests and benchmarks: feed one kernel event as if from the ring buffer. */
void ldd_daemon_handle_event (LddDaemon *self, const struct leco_event *e);
/* Run the TrafficUpdated step now; returns the number of changed rows
 * (rows that went, sent as {cgroup-id, removed: true}, included). */
guint ldd_daemon_traffic_tick (LddDaemon *self);
