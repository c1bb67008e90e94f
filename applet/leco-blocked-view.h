/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

#include "leco-blocked.h"

G_BEGIN_DECLS

/* The traffic window's Blocked page: a column view over a LecoBlockedList,
 * or a centered "Nothing was blocked" when it is empty.  Put in a GtkStack,
 * it keeps its page's title at "Blocked (N)". */
#define LECO_TYPE_BLOCKED_VIEW (leco_blocked_view_get_type ())
G_DECLARE_FINAL_TYPE (LecoBlockedView, leco_blocked_view, LECO, BLOCKED_VIEW, GtkWidget)

GtkWidget *leco_blocked_view_new (LecoBlockedList *list);
/* page title, "Blocked (12)"; owned by the caller */
char *leco_blocked_view_title (LecoBlockedView *self);
/* selects the entry of key and scrolls to it; FALSE when there is none */
gboolean leco_blocked_view_select (LecoBlockedView *self, const char *key);
/* Test hook: JSON members "blocked-shows" ("empty" or "list") and "blocked"
 * (an array of the entries as shown) */
void leco_blocked_view_dump (LecoBlockedView *self, GString *out);

G_END_DECLS
