/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A GtkMenuButton whose popover lists the apps and units in GSettings
 * muted-apps (org.leco.Overseer.Applet), each with an "Unmute" button that
 * activates the application action "app.unmute" (parameter: the app id or
 * unit); live-updated as the setting changes; "No muted applications" when
 * there are none. */
GtkWidget *leco_muted_button_new (GSettings *settings);
/* Test hook: "muted-listed": [...] (what the popover lists) */
void leco_muted_button_dump (GtkWidget *button, GString *out);

G_END_DECLS
