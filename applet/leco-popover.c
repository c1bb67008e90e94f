/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The traffic popover: a borderless window near the tray (GTK4 has no
 * free-floating popovers) with one row per cgroup, expandable to its
 * connections.  Rows are LecoRow objects updated in place by the applet; the
 * view only re-sorts, so scroll position and selection stay.
 */
#define G_LOG_DOMAIN "leco-applet"

#include "config.h"

#include <glib/gi18n.h>

#include "leco-cell.h"
#include "leco-format.h"
#include "leco-popover.h"
#include "leco-row.h"

struct _LecoPopover {
  GtkWindow parent;
  LecoClient *client;
  GListModel *rows;            /* the applet's, LecoRow per cgroup */
  GtkCustomFilter *filter;
  GtkFilterListModel *filtered;
  GtkTreeListModel *tree;
  GtkCustomSorter *sorter;
  GtkSorter *row_sorter;       /* the tree's, over sorter; set only while shown */
  GtkSortListModel *sorted;
  GtkSingleSelection *selection;
  GtkWidget *view;
  GtkWidget *search;
  GtkWidget *status;
  GtkWidget *summary;
  GtkWidget *banner;           /* a GtkRevealer: what this kernel does not show */
  GtkWidget *banner_label;     /* the first lost feature, ellipsized */
  GtkWidget *banner_more;      /* "(+N more)", always in full */
  GHashTable *bound;          /* GtkListItem (cells) bound to a row */
  char *needle;
  gboolean was_active;
  guint clock;                 /* relative times, only while shown */
};

G_DEFINE_FINAL_TYPE (LecoPopover, leco_popover, GTK_TYPE_WINDOW)

/* ---- sorting and filtering --------------------------------------------- */

static int
by_rate (gconstpointer a, gconstpointer b, gpointer user_data)
{
  LecoRow *x = (LecoRow *) a, *y = (LecoRow *) b;
  guint64 rx = leco_row_get_rx_rate (x) + leco_row_get_tx_rate (x);
  guint64 ry = leco_row_get_rx_rate (y) + leco_row_get_tx_rate (y);
  gint64 ax = leco_row_get_last_active (x), ay = leco_row_get_last_active (y);

  if (rx != ry)
    return rx > ry ? -1 : 1;
  if (ax != ay)
    return ax > ay ? -1 : 1;
  return strcmp (leco_row_get_sort_key (x), leco_row_get_sort_key (y));
}

static gboolean
matches (gpointer item, gpointer user_data)
{
  LecoPopover *self = user_data;
  LecoRow *row = item;
  g_autofree char *hay = NULL;

  if (!self->needle || !*self->needle)
    return TRUE;
  hay = g_utf8_casefold (g_strjoin (" ", leco_row_get_title (row), leco_row_get_subtitle (row),
                                    leco_row_get_app_id (row), NULL), -1);
  return strstr (hay, self->needle) != NULL;
}

/* Escape lands in the search entry, which has the focus: with text it
 * clears it, without it closes the window. */
static void
on_stop_search (GtkSearchEntry *entry, LecoPopover *self)
{
  if (*gtk_editable_get_text (GTK_EDITABLE (entry)))
    gtk_editable_set_text (GTK_EDITABLE (entry), "");
  else
    gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

static void
on_search_changed (GtkSearchEntry *entry, LecoPopover *self)
{
  g_free (self->needle);
  self->needle = g_utf8_casefold (gtk_editable_get_text (GTK_EDITABLE (entry)), -1);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

/* ---- connections under a row ------------------------------------------- */

static void
on_connections (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (LecoRow) row = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) list = leco_client_list_connections_finish (LECO_CLIENT (source), res, &error);
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  GListStore *children = leco_row_get_children (row);
  GVariantIter it;
  GVariant *rec;

  if (!list)
    {
      g_debug ("connections of cgroup %" G_GUINT64_FORMAT ": %s", leco_row_get_cgroup_id (row), error->message);
      return;
    }
  g_variant_iter_init (&it, list);
  while ((rec = g_variant_iter_next_value (&it)))
    {
      g_ptr_array_add (items, leco_row_new_connection (rec));
      g_variant_unref (rec);
    }
  g_list_store_splice (children, 0, g_list_model_get_n_items (G_LIST_MODEL (children)), items->pdata, items->len);
}

static void
fetch_children (LecoPopover *self, LecoRow *row)
{
  leco_client_list_connections (self->client, leco_row_get_cgroup_id (row), NULL, on_connections,
                                g_object_ref (row));
}

static GListModel *
create_children (gpointer item, gpointer user_data)
{
  LecoRow *row = item;

  if (!leco_row_is_cgroup (row))
    return NULL;
  /* filled when expanded: asking the daemon for every row would cost a call each */
  return g_object_ref (G_LIST_MODEL (leco_row_get_children (row)));
}

static void
on_expanded (GtkTreeListRow *trow, GParamSpec *pspec, LecoPopover *self)
{
  if (gtk_tree_list_row_get_expanded (trow))
    {
      g_autoptr (LecoRow) row = gtk_tree_list_row_get_item (trow);

      fetch_children (self, row);
    }
}

/* ---- cells --------------------------------------------------------------- */

/* A text column: how its text is made (from a LecoRow), a sample as wide
 * as the text usually gets (the cell's size; longer text is ellipsized),
 * and whether the text moves with the clock. */
typedef struct {
  LecoCellTextFunc text;
  const char *sample;
  gboolean clock;
} TextColumn;

static char *text_down (gpointer r) { return leco_format_rate (leco_row_get_rx_rate (r)); }
static char *text_up (gpointer r) { return leco_format_rate (leco_row_get_tx_rate (r)); }

static char *
text_total (gpointer r)
{
  g_autofree char *rx = leco_format_bytes (leco_row_get_rx_bytes (r));
  g_autofree char *tx = leco_format_bytes (leco_row_get_tx_bytes (r));

  return g_strdup_printf ("↓ %s  ↑ %s", rx, tx);
}

static char *
text_conns (gpointer r)
{
  return leco_row_is_cgroup (r) ? g_strdup_printf ("%u", leco_row_get_connections (r)) : g_strdup ("");
}

static char *
text_blocked (gpointer r)
{
  return leco_row_is_cgroup (r) && leco_row_get_blocked (r) ? g_strdup_printf ("%" G_GUINT64_FORMAT,
                                                                               leco_row_get_blocked (r))
                                                            : g_strdup ("");
}

static char *
text_active (gpointer r)
{
  return leco_format_relative (leco_row_get_last_active (r), g_get_real_time ());
}

static const TextColumn col_down = { text_down, N_("888.8 kB/s"), FALSE };
static const TextColumn col_up = { text_up, N_("888.8 kB/s"), FALSE };
static const TextColumn col_total = { text_total, N_("↓ 888.8 MB  ↑ 888.8 MB"), FALSE };
static const TextColumn col_conns = { text_conns, "8888", FALSE };
static const TextColumn col_blocked = { text_blocked, "8888", FALSE };
static const TextColumn col_active = { text_active, N_("59 min ago"), TRUE };

/*
 * What a bound list item (one cell of a row) shows.  The popover keeps the
 * set of them and brings those whose row changed up to date after each
 * update (leco_popover_refresh), rather than each cell connecting to its
 * row: a list view keeps up to 200 rows bound, re-bound whenever the order
 * changes, and a handler connected and disconnected per cell per bind cost
 * more than what the cells show.
 */
typedef struct _Bound Bound;
typedef void (*ShowFunc) (GtkListItem *item, Bound *b);
struct _Bound {
  LecoRow *row;                /* owned while bound */
  guint serial;                /* the row's when last shown */
  ShowFunc show;
  const TextColumn *col;       /* text cells */
  GtkWidget *icon, *title, *sub;   /* the name cell's */
};

static GQuark bound_quark;

static Bound *
bound_of (GtkListItem *item)
{
  return g_object_get_qdata (G_OBJECT (item), bound_quark);
}

static Bound *
bound_setup (GtkListItem *item, ShowFunc show, const TextColumn *col)
{
  Bound *b = g_new0 (Bound, 1);

  b->show = show;
  b->col = col;
  g_object_set_qdata_full (G_OBJECT (item), bound_quark, b, g_free);
  return b;
}

static LecoRow *
item_row (GtkListItem *item)
{
  GtkTreeListRow *trow = gtk_list_item_get_item (item);
  LecoRow *row;

  if (!trow)
    return NULL;
  /* the tree row keeps its item: hand out a borrowed pointer */
  row = gtk_tree_list_row_get_item (trow);
  g_object_unref (row);
  return row;
}

static void
any_bind (GtkSignalListItemFactory *f, GtkListItem *item, LecoPopover *self)
{
  Bound *b = bound_of (item);
  LecoRow *row = item_row (item);

  g_set_object (&b->row, row);
  if (!row)
    return;
  b->serial = leco_row_get_serial (row);
  b->show (item, b);
  g_hash_table_add (self->bound, item);
}

static void
any_unbind (GtkSignalListItemFactory *f, GtkListItem *item, LecoPopover *self)
{
  Bound *b = bound_of (item);

  g_hash_table_remove (self->bound, item);
  if (b->col)
    leco_cell_set_source (LECO_CELL (gtk_list_item_get_child (item)), NULL, NULL);
  g_clear_object (&b->row);
}

static void
show_text (GtkListItem *item, Bound *b)
{
  /* made now when on screen, else when it gets there */
  leco_cell_set_source (LECO_CELL (gtk_list_item_get_child (item)), b->col->text, b->row);
}

static void
text_setup (GtkSignalListItemFactory *f, GtkListItem *item, const TextColumn *col)
{
  GtkWidget *cell = leco_cell_new (_(col->sample), 1.0);

  gtk_widget_add_css_class (cell, "numeric");
  bound_setup (item, show_text, col);
  gtk_list_item_set_child (item, cell);
}

static GtkColumnViewColumn *
text_column (LecoPopover *self, const char *title, const TextColumn *col)
{
  GtkListItemFactory *f = gtk_signal_list_item_factory_new ();

  g_signal_connect (f, "setup", G_CALLBACK (text_setup), (gpointer) col);
  g_signal_connect (f, "bind", G_CALLBACK (any_bind), self);
  g_signal_connect (f, "unbind", G_CALLBACK (any_unbind), self);
  return gtk_column_view_column_new (title, f);
}

/* The name column: expander, icon, title over a dim subtitle.  The texts
 * are cells sized once, like the figures: a re-sort re-binds up to 200
 * rows, and GtkLabels with new text would have the view measure each of
 * them again. */
static void
show_name (GtkListItem *item, Bound *b)
{
  GIcon *gicon = leco_row_get_icon (b->row);
  GtkImage *icon = GTK_IMAGE (b->icon);

  /* most rows share their icon: set only when it differs */
  if (gtk_image_get_storage_type (icon) != GTK_IMAGE_GICON || !gicon ||
      !g_icon_equal (gtk_image_get_gicon (icon), gicon))
    gtk_image_set_from_gicon (icon, gicon);
  leco_cell_set_text (LECO_CELL (b->title), leco_row_get_title (b->row));
  leco_cell_set_text (LECO_CELL (b->sub), leco_row_get_subtitle (b->row));
}

static void
name_setup (GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
  GtkWidget *expander = gtk_tree_expander_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  Bound *b = bound_setup (item, show_name, NULL);

  b->icon = gtk_image_new ();
  /* short samples: the column's width decides, the texts are ellipsized */
  b->title = leco_cell_new ("Application", 0.0);
  b->sub = leco_cell_new ("unit.service", 0.0);
  gtk_image_set_pixel_size (GTK_IMAGE (b->icon), 24);
  gtk_widget_set_hexpand (b->title, TRUE);
  gtk_widget_set_hexpand (b->sub, TRUE);
  leco_cell_set_ellipsize (LECO_CELL (b->sub), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (b->sub, "dim-label");
  gtk_widget_add_css_class (b->sub, "caption");
  gtk_box_append (GTK_BOX (texts), b->title);
  gtk_box_append (GTK_BOX (texts), b->sub);
  gtk_box_append (GTK_BOX (box), b->icon);
  gtk_box_append (GTK_BOX (box), texts);
  gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), box);
  gtk_list_item_set_child (item, expander);
}

static void
name_bind (GtkSignalListItemFactory *f, GtkListItem *item, LecoPopover *self)
{
  GtkTreeListRow *trow = gtk_list_item_get_item (item);

  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (gtk_list_item_get_child (item)), trow);
  any_bind (f, item, self);
  if (trow && !g_object_get_data (G_OBJECT (trow), "leco-watched"))
    {
      g_object_set_data (G_OBJECT (trow), "leco-watched", GINT_TO_POINTER (1));
      g_signal_connect_object (trow, "notify::expanded", G_CALLBACK (on_expanded), self, 0);
    }
}

/* the sparkline of the last minutes */
static void
draw_spark (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  Bound *b = bound_of (data);
  const guint64 *hist;
  guint n, start;
  guint64 max = 1;

  if (!b->row || !leco_row_is_cgroup (b->row))
    return;
  hist = leco_row_get_history (b->row, &n, &start);
  if (n < 2)
    return;
  for (guint i = 0; i < n; i++)
    max = MAX (max, hist[(start + i) % LECO_ROW_HISTORY]);
  cairo_set_line_width (cr, 1.5);
  cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, 1.0);
  for (guint i = 0; i < n; i++)
    {
      double x = w - (double) (n - 1 - i) * w / (LECO_ROW_HISTORY - 1);
      double y = h - 1 - (double) hist[(start + i) % LECO_ROW_HISTORY] * (h - 2) / max;

      if (i == 0)
        cairo_move_to (cr, x, y);
      else
        cairo_line_to (cr, x, y);
    }
  cairo_stroke (cr);
}

static void
show_spark (GtkListItem *item, Bound *b)
{
  gtk_widget_queue_draw (gtk_list_item_get_child (item));
}

static void
spark_setup (GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
  GtkWidget *area = gtk_drawing_area_new ();

  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (area), 90);
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (area), 22);
  bound_setup (item, show_spark, NULL);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (area), draw_spark, item, NULL);
  gtk_list_item_set_child (item, area);
}

/* The cells whose row changed since they were shown: shown again. */
static void
refresh_bound (LecoPopover *self)
{
  GHashTableIter it;
  gpointer item;

  g_hash_table_iter_init (&it, self->bound);
  while (g_hash_table_iter_next (&it, &item, NULL))
    {
      Bound *b = bound_of (item);
      guint serial = leco_row_get_serial (b->row);

      if (serial != b->serial)
        {
          b->serial = serial;
          b->show (item, b);
        }
    }
}

/* ---- what the kernel does not show ---------------------------------------- */

/* Set when the daemon (re)appears, never per update.  One line, the first
 * lost feature (cut short if need be) and how many more (never cut); the
 * tooltip has all of them and every hook not attached with why. */
static void
on_limits (LecoClient *client, LecoPopover *self)
{
  const char *const *lost = leco_client_get_lost_features (client);
  GVariant *hooks = leco_client_get_unavailable_hooks (client);
  guint n = g_strv_length ((char **) lost);
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GString) tip = g_string_new (NULL);
  g_autofree char *more = NULL;
  GVariantIter it;
  const char *hook, *why;

  if (n > 0)
    {
      g_string_printf (text, _("This kernel limits what LECO sees: %s"), lost[0]);
      if (n > 1)
        more = g_strdup_printf (g_dngettext (NULL, "(+%u more)", "(+%u more)", n - 1), n - 1);
      g_string_append (tip, _("LECO cannot see, with the hooks this kernel accepted:"));
      for (guint i = 0; i < n; i++)
        g_string_append_printf (tip, "\n• %s", lost[i]);
    }
  if (g_variant_n_children (hooks) > 0)
    {
      if (tip->len)
        g_string_append (tip, "\n\n");
      g_string_append (tip, _("Hooks not attached:"));
      g_variant_iter_init (&it, hooks);
      while (g_variant_iter_next (&it, "{&s&s}", &hook, &why))
        g_string_append_printf (tip, "\n• %s: %s", hook, why);
    }
  gtk_label_set_text (GTK_LABEL (self->banner_label), text->str);
  gtk_label_set_text (GTK_LABEL (self->banner_more), more ? more : "");
  gtk_widget_set_visible (self->banner_more, more != NULL);
  gtk_widget_set_tooltip_text (self->banner, n > 0 ? tip->str : NULL);
  /* hidden, not just folded: the box would keep its spacing for it */
  if (n > 0)
    gtk_widget_set_visible (self->banner, TRUE);
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->banner), n > 0);
}

static void
on_banner_revealed (GtkRevealer *revealer, GParamSpec *pspec, LecoPopover *self)
{
  if (!gtk_revealer_get_reveal_child (revealer) && !gtk_revealer_get_child_revealed (revealer))
    gtk_widget_set_visible (GTK_WIDGET (revealer), FALSE);
}

#define BANNER_CSS ".leco-banner { background-color: alpha(@warning_color, 0.18); border-radius: 6px; " \
                   "padding: 4px 8px; }"

static GtkWidget *
banner_new (LecoPopover *self)
{
  static gsize css_once = 0;
  GtkWidget *revealer = gtk_revealer_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");

  if (g_once_init_enter (&css_once))
    {
      GtkCssProvider *css = gtk_css_provider_new ();

#if GTK_CHECK_VERSION (4, 12, 0)
      gtk_css_provider_load_from_string (css, BANNER_CSS);
#else
      gtk_css_provider_load_from_data (css, BANNER_CSS, -1);
#endif
      gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                                  GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
      g_object_unref (css);
      g_once_init_leave (&css_once, 1);
    }
  self->banner_label = gtk_label_new (NULL);
  /* one line that never widens the window: the rest is in the tooltip */
  gtk_label_set_single_line_mode (GTK_LABEL (self->banner_label), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (self->banner_label), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (self->banner_label), 0);
  gtk_widget_set_hexpand (self->banner_label, TRUE);
  self->banner_more = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->banner_more, "dim-label");
  gtk_widget_add_css_class (icon, "warning");
  gtk_widget_add_css_class (box, "leco-banner");
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), self->banner_label);
  gtk_box_append (GTK_BOX (box), self->banner_more);
  gtk_revealer_set_child (GTK_REVEALER (revealer), box);
  gtk_revealer_set_reveal_child (GTK_REVEALER (revealer), FALSE);
  gtk_widget_set_visible (revealer, FALSE);
  g_signal_connect (revealer, "notify::child-revealed", G_CALLBACK (on_banner_revealed), self);
  return revealer;
}

/* ---- window -------------------------------------------------------------- */

/* Does the view's order still hold after rows changed in place?  A walk
 * over the top-level rows is far cheaper than a sort: most updates move
 * nothing. */
static gboolean
order_holds (LecoPopover *self)
{
  GListModel *m = G_LIST_MODEL (self->sorted);
  g_autoptr (LecoRow) prev = NULL;
  guint n = g_list_model_get_n_items (m);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GtkTreeListRow) trow = g_list_model_get_item (m, i);
      LecoRow *row;

      if (gtk_tree_list_row_get_depth (trow) > 0)
        continue;
      row = gtk_tree_list_row_get_item (trow);
      if (prev && by_rate (prev, row, NULL) > 0)
        {
          g_object_unref (row);
          return FALSE;
        }
      g_set_object (&prev, row);
      g_object_unref (row);
    }
  return TRUE;
}

static void
resort (LecoPopover *self)
{
  if (!gtk_sort_list_model_get_sorter (self->sorted))
    return;
  if (!order_holds (self))
    gtk_sorter_changed (GTK_SORTER (self->sorter), GTK_SORTER_CHANGE_DIFFERENT);
}

static gboolean
on_clock (gpointer user_data)
{
  LecoPopover *self = user_data;
  GHashTableIter it;
  gpointer item;

  /* relative times, only while someone looks, only in the bound cells */
  g_hash_table_iter_init (&it, self->bound);
  while (g_hash_table_iter_next (&it, &item, NULL))
    {
      Bound *b = bound_of (item);

      if (b->col && b->col->clock)
        leco_cell_source_changed (LECO_CELL (gtk_list_item_get_child (item)));
    }
  return G_SOURCE_CONTINUE;
}

static void
on_active (GtkWindow *window, GParamSpec *pspec, LecoPopover *self)
{
  if (gtk_window_is_active (window))
    self->was_active = TRUE;
  else if (self->was_active)
    gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

static void
on_visible (GtkWidget *widget, GParamSpec *pspec, LecoPopover *self)
{
  /* Sorted only while someone looks.  Hidden, the rows change without a
   * re-sort, and a sort model merging new rows into an order that no
   * longer holds breaks it ("comparison method violates its general
   * contract"): no sorter then, one full sort when shown. */
  if (gtk_widget_get_visible (widget))
    {
      if (!self->clock)
        self->clock = g_timeout_add_seconds (10, on_clock, self);
      gtk_sort_list_model_set_sorter (self->sorted, self->row_sorter);
      /* hidden, the rows changed without the cells following */
      refresh_bound (self);
    }
  else
    {
      self->was_active = FALSE;
      g_clear_handle_id (&self->clock, g_source_remove);
      gtk_sort_list_model_set_sorter (self->sorted, NULL);
    }
}

static gboolean
close_cb (GtkWidget *widget, GVariant *args, gpointer user_data)
{
  gtk_widget_set_visible (widget, FALSE);
  return TRUE;
}

static void
leco_popover_dispose (GObject *object)
{
  LecoPopover *self = LECO_POPOVER (object);

  g_clear_handle_id (&self->clock, g_source_remove);
  g_clear_object (&self->selection);
  g_clear_object (&self->row_sorter);
  g_clear_object (&self->sorter);
  g_clear_object (&self->client);
  g_clear_object (&self->rows);
  G_OBJECT_CLASS (leco_popover_parent_class)->dispose (object);
}

static void
leco_popover_finalize (GObject *object)
{
  g_free (LECO_POPOVER (object)->needle);
  g_hash_table_unref (LECO_POPOVER (object)->bound);
  G_OBJECT_CLASS (leco_popover_parent_class)->finalize (object);
}

static void
leco_popover_class_init (LecoPopoverClass *klass)
{
  bound_quark = g_quark_from_static_string ("leco-bound");
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = leco_popover_dispose;
  object_class->finalize = leco_popover_finalize;
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, close_cb, NULL);
}

static void
leco_popover_init (LecoPopover *self)
{
  self->bound = g_hash_table_new (NULL, NULL);
}

static void
add_column (LecoPopover *self, GtkColumnViewColumn *col, gboolean expand)
{
  gtk_column_view_column_set_expand (col, expand);
  gtk_column_view_column_set_resizable (col, TRUE);
  gtk_column_view_append_column (GTK_COLUMN_VIEW (self->view), col);
  g_object_unref (col);
}

LecoPopover *
leco_popover_new (GtkApplication *app, LecoClient *client, GListModel *rows)
{
  LecoPopover *self = g_object_new (LECO_TYPE_POPOVER, "application", app, "title", _("LECO — network traffic"),
                                    "decorated", FALSE, "default-width", 780, "default-height", 460,
                                    "hide-on-close", TRUE, NULL);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *scroll = gtk_scrolled_window_new ();
  GtkListItemFactory *f;
  GtkColumnViewColumn *col;

  self->client = g_object_ref (client);
  self->rows = g_object_ref (rows);
  self->filter = gtk_custom_filter_new (matches, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (rows), GTK_FILTER (self->filter));
  self->tree = gtk_tree_list_model_new (G_LIST_MODEL (self->filtered), FALSE, FALSE, create_children, self, NULL);
  self->sorter = gtk_custom_sorter_new (by_rate, NULL, NULL);
  self->row_sorter = GTK_SORTER (gtk_tree_list_row_sorter_new (g_object_ref (GTK_SORTER (self->sorter))));
  self->sorted = gtk_sort_list_model_new (G_LIST_MODEL (self->tree), NULL);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->sorted)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);

  gtk_widget_set_margin_start (box, 8);
  gtk_widget_set_margin_end (box, 8);
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  self->search = gtk_search_entry_new ();
  gtk_widget_set_hexpand (self->search, TRUE);
  g_signal_connect (self->search, "search-changed", G_CALLBACK (on_search_changed), self);
  g_signal_connect (self->search, "stop-search", G_CALLBACK (on_stop_search), self);
  self->summary = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->summary, "dim-label");
  gtk_box_append (GTK_BOX (top), self->search);
  gtk_box_append (GTK_BOX (top), self->summary);
  self->status = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->status), TRUE);
  gtk_label_set_selectable (GTK_LABEL (self->status), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->status), 0);
  gtk_widget_add_css_class (self->status, "error");
  gtk_widget_set_visible (self->status, FALSE);
  self->banner = banner_new (self);

  self->view = gtk_column_view_new (GTK_SELECTION_MODEL (g_object_ref (self->selection)));
  gtk_column_view_set_show_row_separators (GTK_COLUMN_VIEW (self->view), TRUE);
  f = gtk_signal_list_item_factory_new ();
  g_signal_connect (f, "setup", G_CALLBACK (name_setup), NULL);
  g_signal_connect (f, "bind", G_CALLBACK (name_bind), self);
  g_signal_connect (f, "unbind", G_CALLBACK (any_unbind), self);
  col = gtk_column_view_column_new (_("Application"), f);
  gtk_column_view_column_set_fixed_width (col, 250);
  add_column (self, col, TRUE);
  add_column (self, text_column (self, _("Down"), &col_down), FALSE);
  add_column (self, text_column (self, _("Up"), &col_up), FALSE);
  add_column (self, text_column (self, _("Total"), &col_total), FALSE);
  add_column (self, text_column (self, _("Connections"), &col_conns), FALSE);
  add_column (self, text_column (self, _("Blocked"), &col_blocked), FALSE);
  f = gtk_signal_list_item_factory_new ();
  g_signal_connect (f, "setup", G_CALLBACK (spark_setup), NULL);
  g_signal_connect (f, "bind", G_CALLBACK (any_bind), self);
  g_signal_connect (f, "unbind", G_CALLBACK (any_unbind), self);
  col = gtk_column_view_column_new (_("Activity"), f);
  add_column (self, col, FALSE);
  add_column (self, text_column (self, _("Last active"), &col_active), FALSE);

  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), self->view);
  gtk_widget_set_vexpand (scroll, TRUE);
  gtk_box_append (GTK_BOX (box), self->banner);
  gtk_box_append (GTK_BOX (box), top);
  gtk_box_append (GTK_BOX (box), self->status);
  gtk_box_append (GTK_BOX (box), scroll);
  gtk_window_set_child (GTK_WINDOW (self), box);

  g_signal_connect (self, "notify::is-active", G_CALLBACK (on_active), self);
  g_signal_connect (self, "notify::visible", G_CALLBACK (on_visible), self);
  g_signal_connect_object (client, "limits-changed", G_CALLBACK (on_limits), self, 0);
  on_limits (client, self);
  return self;
}

void
leco_popover_refresh (LecoPopover *self, guint64 rx_rate, guint64 tx_rate)
{
  g_autofree char *down = leco_format_rate (rx_rate), *up = leco_format_rate (tx_rate);
  g_autofree char *text = g_strdup_printf ("↓ %s  ↑ %s", down, up);

  gtk_label_set_text (GTK_LABEL (self->summary), text);
  if (!gtk_widget_get_visible (GTK_WIDGET (self)))
    return;
  /* re-sorting re-binds what moved; then the cells still showing old values */
  resort (self);
  refresh_bound (self);
}

void
leco_popover_set_status (LecoPopover *self, const char *message)
{
  gtk_label_set_text (GTK_LABEL (self->status), message ? message : "");
  gtk_widget_set_visible (self->status, message && *message);
}

void
leco_popover_focus (LecoPopover *self, const char *app_or_unit)
{
  GListModel *m = G_LIST_MODEL (self->sorted);

  gtk_editable_set_text (GTK_EDITABLE (self->search), "");
  for (guint i = 0; app_or_unit && i < g_list_model_get_n_items (m); i++)
    {
      g_autoptr (GtkTreeListRow) trow = g_list_model_get_item (m, i);
      g_autoptr (LecoRow) row = gtk_tree_list_row_get_item (trow);

      if (g_strcmp0 (leco_row_get_app_id (row), app_or_unit) == 0 ||
          g_strcmp0 (leco_row_get_unit (row), app_or_unit) == 0)
        {
          gtk_single_selection_set_selected (self->selection, i);
          gtk_tree_list_row_set_expanded (trow, TRUE);
          break;
        }
    }
}

/* Test hook: members of the dump's first line (no braces) about the window
 * itself: the banner as shown (revealed, its line and tooltip, whether the
 * first sentence is cut), the window's width. */
void
leco_popover_dump_window (LecoPopover *self, GString *out)
{
  const char *tip = gtk_widget_get_tooltip_text (self->banner);
  const char *more = gtk_label_get_text (GTK_LABEL (self->banner_more));
  g_autofree char *line = g_strconcat (gtk_label_get_text (GTK_LABEL (self->banner_label)), *more ? " " : "", more,
                                       NULL);
  g_autofree char *text = g_strescape (line, NULL);
  g_autofree char *tooltip = g_strescape (tip ? tip : "", NULL);
  PangoLayout *layout = gtk_label_get_layout (GTK_LABEL (self->banner_label));

  g_string_append_printf (out, "\"banner-visible\": %s, \"banner-text\": \"%s\", \"banner-tooltip\": \"%s\", "
                          "\"banner-ellipsized\": %s, \"banner-width\": %d, \"window-width\": %d",
                          gtk_widget_get_visible (self->banner) &&
                          gtk_revealer_get_child_revealed (GTK_REVEALER (self->banner)) ? "true" : "false",
                          text, tooltip, pango_layout_is_ellipsized (layout) ? "true" : "false",
                          gtk_widget_get_width (self->banner), gtk_widget_get_width (GTK_WIDGET (self)));
}

/* Test hook: the rows as the view has them, one JSON object a line. */
void
leco_popover_dump (LecoPopover *self, GString *out)
{
  GListModel *m = G_LIST_MODEL (self->sorted);

  for (guint i = 0; i < g_list_model_get_n_items (m); i++)
    {
      g_autoptr (GtkTreeListRow) trow = g_list_model_get_item (m, i);
      g_autoptr (LecoRow) row = gtk_tree_list_row_get_item (trow);
      g_autofree char *title = g_strescape (leco_row_get_title (row), NULL);
      g_autofree char *sub = g_strescape (leco_row_get_subtitle (row), NULL);

      g_string_append_printf (out,
                              "{\"depth\": %u, \"cgroup-id\": %" G_GUINT64_FORMAT ", \"title\": \"%s\", "
                              "\"subtitle\": \"%s\", \"rx-bytes\": %" G_GUINT64_FORMAT ", \"tx-bytes\": %"
                              G_GUINT64_FORMAT ", \"rx-rate\": %" G_GUINT64_FORMAT ", \"tx-rate\": %"
                              G_GUINT64_FORMAT ", \"connections\": %u, \"blocked\": %" G_GUINT64_FORMAT
                              ", \"selected\": %s, \"expanded\": %s}\n",
                              gtk_tree_list_row_get_depth (trow), leco_row_get_cgroup_id (row), title, sub,
                              leco_row_get_rx_bytes (row), leco_row_get_tx_bytes (row),
                              leco_row_get_rx_rate (row), leco_row_get_tx_rate (row),
                              leco_row_get_connections (row), leco_row_get_blocked (row),
                              gtk_single_selection_get_selected (self->selection) == i ? "true" : "false",
                              gtk_tree_list_row_get_expanded (trow) ? "true" : "false");
    }
}

/* ---- header hook (issue 12: the muted-apps button) ---------------------- */

/* Appends a widget to the window's top row (after the search entry and the
 * totals line). */
void
leco_popover_add_header_widget (LecoPopover *self, GtkWidget *widget)
{
  gtk_box_append (GTK_BOX (gtk_widget_get_parent (self->search)), widget);
}
