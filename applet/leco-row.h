/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* One row of the traffic popover: a cgroup (unit/app), or one of its
 * connections when the row is expanded.  Updated in place. */
#define LECO_TYPE_ROW (leco_row_get_type ())
G_DECLARE_FINAL_TYPE (LecoRow, leco_row, LECO, ROW, GObject)

#define LECO_ROW_HISTORY 60   /* sparkline samples */

LecoRow *leco_row_new_cgroup (guint64 cgroup_id);
/* a connection record (a{sv} from ListConnections) */
LecoRow *leco_row_new_connection (GVariant *record);

/* A traffic record (a{sv} from ListTraffic/TrafficUpdated); returns TRUE when
 * something visible changed. */
gboolean leco_row_update_traffic (LecoRow *self, GVariant *record, gint64 now_us);
void leco_row_add_blocked (LecoRow *self, guint64 count);

gboolean leco_row_is_cgroup (LecoRow *self);
guint64 leco_row_get_cgroup_id (LecoRow *self);
const char *leco_row_get_title (LecoRow *self);     /* app name, unit or cgroup */
const char *leco_row_get_subtitle (LecoRow *self);  /* unit / process */
const char *leco_row_get_app_id (LecoRow *self);
const char *leco_row_get_unit (LecoRow *self);
GIcon *leco_row_get_icon (LecoRow *self);
guint64 leco_row_get_rx_rate (LecoRow *self);
guint64 leco_row_get_tx_rate (LecoRow *self);
guint64 leco_row_get_rx_bytes (LecoRow *self);
guint64 leco_row_get_tx_bytes (LecoRow *self);
guint leco_row_get_connections (LecoRow *self);
guint64 leco_row_get_blocked (LecoRow *self);
gint64 leco_row_get_last_active (LecoRow *self);
/* history of (rx+tx) rates, oldest first; *n set */
const guint64 *leco_row_get_history (LecoRow *self, guint *n, guint *start);
GListStore *leco_row_get_children (LecoRow *self);   /* connections, for cgroup rows */

/* App display name and icon for an app id, from its .desktop file (cached). */
void leco_app_lookup (const char *app_id, char **name, GIcon **icon);

G_END_DECLS
