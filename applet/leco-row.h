/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* One row of the traffic popover: a cgroup (unit/app), or one of its
 * connections when the row is expanded.  Updated in place; one ::changed
 * signal (guint LecoRowChange flags) per update, and a serial that moves
 * with every change (the popover's cells compare it with what they show
 * rather than each connecting to ::changed). */
#define LECO_TYPE_ROW (leco_row_get_type ())
G_DECLARE_FINAL_TYPE (LecoRow, leco_row, LECO, ROW, GObject)

#define LECO_ROW_HISTORY 60   /* sparkline samples */

/* What a LecoRow::changed signal says changed (flags). */
typedef enum {
  LECO_ROW_CHANGED_NAME = 1 << 0,      /* title, subtitle, icon */
  LECO_ROW_CHANGED_TRAFFIC = 1 << 1,   /* rates, totals, connections, last active, history */
  LECO_ROW_CHANGED_BLOCKED = 1 << 2,
} LecoRowChange;

/* One ListTraffic/TrafficUpdated record, read in one pass over its a{sv}. */
enum {
  LECO_RECORD_CGROUP_ID = 1 << 0,
  LECO_RECORD_RX_RATE = 1 << 1,
  LECO_RECORD_TX_RATE = 1 << 2,
  LECO_RECORD_RX_BYTES = 1 << 3,
  LECO_RECORD_TX_BYTES = 1 << 4,
  LECO_RECORD_BLOCKED = 1 << 5,
  LECO_RECORD_CONNECTIONS = 1 << 6,
  LECO_RECORD_REMOVED = 1 << 7,        /* "removed": true, the cgroup is gone */
};
typedef struct {
  guint have;                          /* LECO_RECORD_* read with the right type */
  guint64 cgroup_id, rx_rate, tx_rate, rx_bytes, tx_bytes, blocked;
  guint32 connections;
  GVariant *cgroup, *unit, *app_id;    /* strings (owned), NULL when absent */
} LecoTrafficRecord;

/* Fills rec from an a{sv} record: unknown keys and values of another type
 * are ignored.  Returns TRUE when it has a cgroup-id.  Clear rec after. */
gboolean leco_traffic_record_parse (GVariant *record, LecoTrafficRecord *rec);
void leco_traffic_record_clear (LecoTrafficRecord *rec);

LecoRow *leco_row_new_cgroup (guint64 cgroup_id);
/* a connection record (a{sv} from ListConnections) */
LecoRow *leco_row_new_connection (GVariant *record);

/* A traffic record applied in place; emits ::changed once (when something
 * did) and returns what changed (LecoRowChange flags). */
guint leco_row_update_traffic (LecoRow *self, const LecoTrafficRecord *rec, gint64 now_us);

/* Bumped at every change: a view compares it with what it shows. */
guint leco_row_get_serial (LecoRow *self);
gboolean leco_row_is_cgroup (LecoRow *self);
guint64 leco_row_get_cgroup_id (LecoRow *self);
const char *leco_row_get_title (LecoRow *self);     /* app name, unit or cgroup */
const char *leco_row_get_sort_key (LecoRow *self);  /* collation key of the title */
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
const char *leco_row_get_cgroup_path (LecoRow *self);
/* a cgroup row removed before it was named, or without traffic and open
 * connections for longer than idle_us (since it was last active or first
 * seen) */
gboolean leco_row_is_idle (LecoRow *self, gint64 now_us, gint64 idle_us);

/* App display name and icon for an app id, from its .desktop file (cached). */
void leco_app_lookup (const char *app_id, char **name, GIcon **icon);

G_END_DECLS
