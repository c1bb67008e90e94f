/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

#include "leco-blocked.h"
#include "leco-client.h"

G_BEGIN_DECLS

#define LECO_TYPE_POPOVER (leco_popover_get_type ())
G_DECLARE_FINAL_TYPE (LecoPopover, leco_popover, LECO, POPOVER, GtkApplicationWindow)

/* rows: the applet's model of LecoRow, one per cgroup, updated in place */
LecoPopover *leco_popover_new (GtkApplication *app, LecoClient *client, GListModel *rows);
/* after rows were updated: the totals line, and a re-sort when shown */
void leco_popover_refresh (LecoPopover *self, guint64 rx_rate, guint64 tx_rate);
/* the client's state changed: message (or NULL) in the status line; with
 * the daemon away the window says its data is stale and shows no rates */
void leco_popover_set_status (LecoPopover *self, const char *message);
/* a widget for the header bar, packed at its end (after "Show idle") */
void leco_popover_add_header_widget (LecoPopover *self, GtkWidget *w);
/* select (and expand) the row of an app id or unit */
void leco_popover_focus (LecoPopover *self, const char *app_or_unit);
/* The Blocked page over the applet's list of blocked entries (once). */
void leco_popover_set_blocked (LecoPopover *self, LecoBlockedList *list);
/* Presents the window on its Blocked page and, when key (a
 * leco_blocked_key_from_record() key) is non-NULL and listed, selects and
 * scrolls to its entry. */
void leco_popover_show_blocked (LecoPopover *self, const char *key);
void leco_popover_dump_window (LecoPopover *self, GString *out);
void leco_popover_dump (LecoPopover *self, GString *out);

G_END_DECLS
