/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "leco-cell.h"

struct _LecoCell {
  GtkWidget parent;
  char *text;
  char *sample;
  float xalign;
  PangoEllipsizeMode ellipsize;
  PangoLayout *layout;         /* of text, made on first draw */
  int sample_width, height;    /* measured once per style */
  LecoCellTextFunc source;     /* text made from source (source_data) */
  gpointer source_data;
  gboolean stale;              /* the source changed while unmapped */
};

G_DEFINE_FINAL_TYPE (LecoCell, leco_cell, GTK_TYPE_WIDGET)

static void
leco_cell_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural,
                   int *minimum_baseline, int *natural_baseline)
{
  LecoCell *self = LECO_CELL (widget);

  if (self->height < 0)
    {
      PangoLayout *l = gtk_widget_create_pango_layout (widget, self->sample);

      pango_layout_get_pixel_size (l, &self->sample_width, &self->height);
      g_object_unref (l);
    }
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = *natural = self->sample_width;
  else
    *minimum = *natural = self->height;
}

static void
leco_cell_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  LecoCell *self = LECO_CELL (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget), lw, lh;
  GdkRGBA color;

  if (!self->text || !*self->text)
    return;
  if (!self->layout)
    {
      self->layout = gtk_widget_create_pango_layout (widget, self->text);
      pango_layout_set_ellipsize (self->layout, self->ellipsize);
    }
  pango_layout_set_width (self->layout, w * PANGO_SCALE);
  pango_layout_get_pixel_size (self->layout, &lw, &lh);
#if GTK_CHECK_VERSION(4, 10, 0)
  gtk_widget_get_color (widget, &color);
#else
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
#endif
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (MAX (0, (w - lw) * self->xalign), (h - lh) / 2.0f));
  gtk_snapshot_append_layout (snapshot, self->layout, &color);
  gtk_snapshot_restore (snapshot);
}

static void
leco_cell_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  LecoCell *self = LECO_CELL (widget);

  GTK_WIDGET_CLASS (leco_cell_parent_class)->css_changed (widget, change);
  /* a new font: measure and lay out again */
  g_clear_object (&self->layout);
  self->height = -1;
  gtk_widget_queue_resize (widget);
}

static void
update_from_source (LecoCell *self)
{
  g_autofree char *text = self->source ? self->source (self->source_data) : NULL;

  self->stale = FALSE;
  leco_cell_set_text (self, text);
}

static void
leco_cell_map (GtkWidget *widget)
{
  LecoCell *self = LECO_CELL (widget);

  GTK_WIDGET_CLASS (leco_cell_parent_class)->map (widget);
  if (self->stale)
    update_from_source (self);
}

static void
leco_cell_finalize (GObject *object)
{
  LecoCell *self = LECO_CELL (object);

  g_clear_object (&self->layout);
  g_free (self->text);
  g_free (self->sample);
  G_OBJECT_CLASS (leco_cell_parent_class)->finalize (object);
}

static void
leco_cell_class_init (LecoCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = leco_cell_finalize;
  widget_class->measure = leco_cell_measure;
  widget_class->snapshot = leco_cell_snapshot;
  widget_class->css_changed = leco_cell_css_changed;
  widget_class->map = leco_cell_map;
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LABEL);
  gtk_widget_class_set_css_name (widget_class, "label");
}

static void
leco_cell_init (LecoCell *self)
{
  self->height = -1;
  self->ellipsize = PANGO_ELLIPSIZE_END;
}

GtkWidget *
leco_cell_new (const char *sample, float xalign)
{
  LecoCell *self = g_object_new (LECO_TYPE_CELL, NULL);

  self->sample = g_strdup (sample);
  self->xalign = xalign;
  return GTK_WIDGET (self);
}

void
leco_cell_set_ellipsize (LecoCell *self, PangoEllipsizeMode mode)
{
  self->ellipsize = mode;
  if (self->layout)
    pango_layout_set_ellipsize (self->layout, mode);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
leco_cell_set_text (LecoCell *self, const char *text)
{
  if (!text)
    text = "";
  if (g_strcmp0 (self->text, text) == 0)
    return;
  g_free (self->text);
  self->text = g_strdup (text);
  if (self->layout)
    pango_layout_set_text (self->layout, text, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
leco_cell_get_text (LecoCell *self)
{
  return self->text ? self->text : "";
}

void
leco_cell_set_source (LecoCell *self, LecoCellTextFunc func, gpointer data)
{
  self->source = func;
  self->source_data = data;
  /* no source (an unbound list item): the text stays until the next one */
  if (func)
    leco_cell_source_changed (self);
  else
    self->stale = FALSE;
}

void
leco_cell_source_changed (LecoCell *self)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    update_from_source (self);
  else
    self->stale = TRUE;
}
