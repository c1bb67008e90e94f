/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  LECO_TRAY_NORMAL,
  LECO_TRAY_ATTENTION,      /* something was blocked since the user last looked */
  LECO_TRAY_DISCONNECTED,   /* the daemon is not there (or refuses us) */
} LecoTrayState;

#define LECO_TYPE_TRAY (leco_tray_get_type ())
G_DECLARE_FINAL_TYPE (LecoTray, leco_tray, LECO, TRAY, GObject)

/* icon_theme_path: a directory holding hicolor/ with our icons, or NULL */
LecoTray *leco_tray_new (GDBusConnection *session, const char *icon_theme_path, GError **error);
void leco_tray_set_state (LecoTray *self, LecoTrayState state);
LecoTrayState leco_tray_get_state (LecoTray *self);
void leco_tray_set_tooltip (LecoTray *self, const char *text);
/* until: "17:45" while notifications are paused, NULL when not */
void leco_tray_set_paused (LecoTray *self, const char *until);
const char *leco_tray_get_pause_label (LecoTray *self);
gboolean leco_tray_is_registered (LecoTray *self);

/* Signals: "activate" (): the icon was clicked; "menu-action" (const char *): "show", "pause", "muted", "quit" */

G_END_DECLS
