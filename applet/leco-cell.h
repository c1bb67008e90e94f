/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * A one-line text cell for figures that change every update (rates, byte
 * counts, times).  Its size comes from a sample text given once, so new
 * text only redraws it: a GtkLabel would ask the whole column view to
 * measure and lay out again, a thousand times per TrafficUpdated.  Text
 * wider than the cell is ellipsized.  Exposed to accessibility as a label.
 */
#define LECO_TYPE_CELL (leco_cell_get_type ())
G_DECLARE_FINAL_TYPE (LecoCell, leco_cell, LECO, CELL, GtkWidget)

GtkWidget *leco_cell_new (const char *sample, float xalign);
void leco_cell_set_text (LecoCell *self, const char *text);
const char *leco_cell_get_text (LecoCell *self);

G_END_DECLS
