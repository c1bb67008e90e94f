/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "leco-row.h"

G_BEGIN_DECLS

/*
 * The applet's per-cgroup rows, kept from ListTraffic and TrafficUpdated:
 * one LecoRow per cgroup id in a GListStore (the popover's model), updated
 * in place, with the summed rates for the tray.
 */
typedef struct _LecoTraffic LecoTraffic;

LecoTraffic *leco_traffic_new (void);
void leco_traffic_free (LecoTraffic *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LecoTraffic, leco_traffic_free)

GListModel *leco_traffic_get_rows (LecoTraffic *self);     /* of LecoRow */
LecoRow *leco_traffic_lookup (LecoTraffic *self, guint64 cgroup_id);

/* TrafficUpdated: the records that changed (aa{sv}); a record with
 * "removed" true drops its cgroup's row.  Records without a cgroup-id are
 * skipped and counted.  Returns the number applied. */
guint leco_traffic_apply (LecoTraffic *self, GVariant *records, gint64 now_us);
/* ListTraffic after a (re)connect: the daemon's whole state; rows it no
 * longer lists are removed. */
guint leco_traffic_reset (LecoTraffic *self, GVariant *records, gint64 now_us);

guint64 leco_traffic_get_rx_rate (LecoTraffic *self);
guint64 leco_traffic_get_tx_rate (LecoTraffic *self);
guint64 leco_traffic_get_skipped (LecoTraffic *self);

G_END_DECLS
