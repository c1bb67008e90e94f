/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LECO_TYPE_NOTIFIER (leco_notifier_get_type ())
G_DECLARE_FINAL_TYPE (LecoNotifier, leco_notifier, LECO, NOTIFIER, GObject)

/* settings: org.leco.Overseer.Applet (muted-apps, paused-until, budget) */
LecoNotifier *leco_notifier_new (GSettings *settings);
/* a ConnectionBlocked record (a{sv}) */
void leco_notifier_blocked (LecoNotifier *self, GVariant *attempt);
void leco_notifier_pause (LecoNotifier *self, gboolean pause);
gboolean leco_notifier_is_paused (LecoNotifier *self);
guint64 leco_notifier_get_calls (LecoNotifier *self);

/* Signal "show-blocked" (const char *key or NULL): the user asked to see the
 * blocked attempt of that key (a notification's "Show"), or all of them
 * (the summary's "Show blocked"). */

G_END_DECLS
