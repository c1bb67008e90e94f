/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LECO_TYPE_APPLET (leco_applet_get_type ())
G_DECLARE_FINAL_TYPE (LecoApplet, leco_applet, LECO, APPLET, GtkApplication)

LecoApplet *leco_applet_new (void);

G_END_DECLS
