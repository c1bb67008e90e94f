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
 *
 * The text can also come from a source, made only when the cell is mapped:
 * a list view keeps up to 200 rows bound, most of them off screen, and
 * formatting every figure of each of them at every update costs more than
 * the rest of the update.  An unmapped cell's text (and accessible label)
 * is brought up to date when it is mapped.
 */
#define LECO_TYPE_CELL (leco_cell_get_type ())
G_DECLARE_FINAL_TYPE (LecoCell, leco_cell, LECO, CELL, GtkWidget)

GtkWidget *leco_cell_new (const char *sample, float xalign);
void leco_cell_set_ellipsize (LecoCell *self, PangoEllipsizeMode mode);   /* default: end */
void leco_cell_set_text (LecoCell *self, const char *text);
const char *leco_cell_get_text (LecoCell *self);

typedef char *(*LecoCellTextFunc) (gpointer data);
/* func (data) makes the text (data is borrowed: set another source, or
 * none, before it goes); now when mapped, else when mapped next. */
void leco_cell_set_source (LecoCell *self, LecoCellTextFunc func, gpointer data);
/* the source's text changed: made again now when mapped, else when mapped */
void leco_cell_source_changed (LecoCell *self);

G_END_DECLS
