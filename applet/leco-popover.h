/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

#include "leco-client.h"

G_BEGIN_DECLS

#define LECO_TYPE_POPOVER (leco_popover_get_type ())
G_DECLARE_FINAL_TYPE (LecoPopover, leco_popover, LECO, POPOVER, GtkWindow)

/* rows: the applet's model of LecoRow, one per cgroup, updated in place */
LecoPopover *leco_popover_new (GtkApplication *app, LecoClient *client, GListModel *rows);
/* after rows were updated: the totals line, and a re-sort when shown */
void leco_popover_refresh (LecoPopover *self, guint64 rx_rate, guint64 tx_rate);
void leco_popover_set_status (LecoPopover *self, const char *message);
/* select (and expand) the row of an app id or unit */
void leco_popover_focus (LecoPopover *self, const char *app_or_unit);
void leco_popover_dump_window (LecoPopover *self, GString *out);
void leco_popover_dump (LecoPopover *self, GString *out);
/* a widget at the end of the window's top row */
void leco_popover_add_header_widget (LecoPopover *self, GtkWidget *widget);

G_END_DECLS
