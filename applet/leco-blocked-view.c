/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Blocked page of the traffic window: what was blocked, by whom it was
 * blocked in words and where to look.  The entries' texts are made by the
 * model once per record; a cell only copies them.  Only the rows on screen
 * are bound, and a ConnectionBlocked re-binds only the rows it moved.
 */
#define G_LOG_DOMAIN "leco-applet"

#include "config.h"

#include <glib/gi18n.h>

#include "leco-blocked-view.h"
#include "leco-format.h"

struct _LecoBlockedView {
  GtkWidget parent;
  LecoBlockedList *list;
  GtkSingleSelection *selection;
  GtkWidget *pages;            /* "empty" | "list" */
  GtkWidget *view;
  GHashTable *times;           /* bound list items of the Last seen column */
  LecoBlockedEntry *selected;  /* kept across the list's changes */
  guint changing;              /* inside the list's items-changed */
  guint clock;
};

G_DEFINE_FINAL_TYPE (LecoBlockedView, leco_blocked_view, GTK_TYPE_WIDGET)

typedef enum { COL_LAST, COL_COUNT, COL_APP, COL_PROCESS, COL_USER, COL_DEST, COL_BY } Column;

typedef struct {
  GtkWidget *icon, *title, *sub;
} Cell;

static GQuark cell_quark;

static char *
exact_time (gint64 us)
{
  g_autoptr (GDateTime) t = us > 0 ? g_date_time_new_from_unix_local (us / G_USEC_PER_SEC) : NULL;

  return t ? g_date_time_format (t, "%Y-%m-%d %H:%M:%S") : g_strdup ("?");
}

static void
show_time (GtkListItem *item)
{
  Cell *c = g_object_get_qdata (G_OBJECT (item), cell_quark);
  LecoBlockedEntry *e = gtk_list_item_get_item (item);
  g_autofree char *rel = NULL;

  if (!e)
    return;
  rel = leco_format_relative (leco_blocked_entry_get_last_seen (e), g_get_real_time ());
  gtk_label_set_text (GTK_LABEL (c->title), rel);
}

static gboolean on_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                                  GtkListItem *item);

static void
cell_setup (GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
  Column col = GPOINTER_TO_INT (data);
  Cell *c = g_new0 (Cell, 1);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  c->title = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (c->title), col == COL_COUNT ? 1.0 : 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (c->title), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (c->title), TRUE);
  gtk_widget_set_hexpand (c->title, TRUE);
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_box_append (GTK_BOX (texts), c->title);
  if (col == COL_BY || col == COL_APP)
    {
      /* who and why matter most: up to two lines rather than cut (rows
       * have three lines anyway, for the hint) */
      gtk_label_set_single_line_mode (GTK_LABEL (c->title), FALSE);
      gtk_label_set_wrap (GTK_LABEL (c->title), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (c->title), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_lines (GTK_LABEL (c->title), 2);
    }
  if (col == COL_APP || col == COL_PROCESS || col == COL_DEST || col == COL_BY)
    {
      c->sub = gtk_label_new (NULL);
      gtk_label_set_xalign (GTK_LABEL (c->sub), 0.0);
      gtk_label_set_ellipsize (GTK_LABEL (c->sub), PANGO_ELLIPSIZE_END);
      gtk_label_set_single_line_mode (GTK_LABEL (c->sub), TRUE);
      gtk_widget_add_css_class (c->sub, "dim-label");
      gtk_widget_add_css_class (c->sub, "caption");
      gtk_box_append (GTK_BOX (texts), c->sub);
    }
  if (col == COL_COUNT)
    gtk_widget_add_css_class (c->title, "numeric");
  if (col == COL_APP)
    {
      c->icon = gtk_image_new ();
      gtk_image_set_pixel_size (GTK_IMAGE (c->icon), 24);
      gtk_box_append (GTK_BOX (box), c->icon);
    }
  gtk_box_append (GTK_BOX (box), texts);
  gtk_widget_set_valign (texts, GTK_ALIGN_CENTER);
  if (col != COL_USER)
    {
      g_object_set_data (G_OBJECT (box), "leco-column", data);
      gtk_widget_set_has_tooltip (box, TRUE);
      g_signal_connect (box, "query-tooltip", G_CALLBACK (on_query_tooltip), item);
    }
  g_object_set_qdata_full (G_OBJECT (item), cell_quark, c, g_free);
  gtk_list_item_set_child (item, box);
}

static void
set2 (Cell *c, const char *title, const char *sub)
{
  gtk_label_set_text (GTK_LABEL (c->title), title);
  if (c->sub)
    {
      gtk_label_set_text (GTK_LABEL (c->sub), sub);
      gtk_widget_set_visible (c->sub, sub && *sub);
    }
}

/* Tooltips made when asked for: gtk_widget_set_tooltip_text() at each bind
 * has GTK 4.8 query the tooltip under the pointer again, which cost more
 * than all the rest of a bind. */
static char *
cell_tooltip (Column col, LecoBlockedEntry *e)
{
  switch (col)
    {
    case COL_LAST:
      {
        g_autofree char *last = exact_time (leco_blocked_entry_get_last_seen (e));
        g_autofree char *first = exact_time (leco_blocked_entry_get_started (e));

        return g_strdup_printf (_("Last seen %s\nFirst seen %s"), last, first);
      }
    case COL_COUNT:
      return g_strdup_printf (g_dngettext (NULL, "%" G_GUINT64_FORMAT " attempt",
                                           "%" G_GUINT64_FORMAT " attempts", leco_blocked_entry_get_count (e)),
                              leco_blocked_entry_get_count (e));
    case COL_APP:
      return *leco_blocked_entry_get_subtitle (e)
               ? g_strdup_printf ("%s\n%s", leco_blocked_entry_get_title (e), leco_blocked_entry_get_subtitle (e))
               : g_strdup (leco_blocked_entry_get_title (e));
    case COL_PROCESS:
      return leco_blocked_entry_get_pid (e)
               ? g_strdup_printf ("%s\n%s", leco_blocked_entry_get_process (e),
                                  *leco_blocked_entry_get_exe (e) ? leco_blocked_entry_get_exe (e)
                                                                  : _("executable not known"))
               : g_strdup (_("No local process: dropped before any program received it"));
    case COL_USER:
      return NULL;
    case COL_DEST:
      return g_strdup (leco_blocked_entry_get_destination_tip (e));
    case COL_BY:
      return g_strdup_printf (_("%s\nKernel reason: %s\nWhere to look: %s"), leco_blocked_entry_get_blocked_by (e),
                              *leco_blocked_entry_get_kernel_reason (e) ? leco_blocked_entry_get_kernel_reason (e)
                                                                        : "?",
                              *leco_blocked_entry_get_hint (e) ? leco_blocked_entry_get_hint (e) : "–");
    }
  return NULL;
}

static gboolean
on_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip, GtkListItem *item)
{
  LecoBlockedEntry *e = gtk_list_item_get_item (item);
  g_autofree char *text = e ? cell_tooltip (GPOINTER_TO_INT (g_object_get_data (G_OBJECT (widget), "leco-column")),
                                            e)
                            : NULL;

  if (!text)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
cell_bind (GtkSignalListItemFactory *f, GtkListItem *item, LecoBlockedView *self)
{
  Column col = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (f), "leco-column"));
  Cell *c = g_object_get_qdata (G_OBJECT (item), cell_quark);
  LecoBlockedEntry *e = gtk_list_item_get_item (item);
  g_autofree char *text = NULL;

  if (!e)
    return;
  switch (col)
    {
    case COL_LAST:
      show_time (item);
      g_hash_table_add (self->times, item);
      break;
    case COL_COUNT:
      text = g_strdup_printf ("%" G_GUINT64_FORMAT, leco_blocked_entry_get_count (e));
      set2 (c, text, NULL);
      break;
    case COL_APP:
      gtk_image_set_from_gicon (GTK_IMAGE (c->icon), leco_blocked_entry_get_icon (e));
      set2 (c, leco_blocked_entry_get_title (e), leco_blocked_entry_get_subtitle (e));
      break;
    case COL_PROCESS:
      if (leco_blocked_entry_get_pid (e))
        text = *leco_blocked_entry_get_exe (e)
                 ? g_strdup_printf (_("pid %u · %s"), leco_blocked_entry_get_pid (e), leco_blocked_entry_get_exe (e))
                 : g_strdup_printf (_("pid %u"), leco_blocked_entry_get_pid (e));
      set2 (c, leco_blocked_entry_get_comm (e), text);
      break;
    case COL_USER:
      set2 (c, leco_blocked_entry_get_user (e), NULL);
      break;
    case COL_DEST:
      {
        const char *main_line, *note;

        leco_blocked_entry_get_destination_lines (e, &main_line, &note);
        set2 (c, main_line, note);
      }
      break;
    case COL_BY:
      set2 (c, leco_blocked_entry_get_blocked_by (e), leco_blocked_entry_get_hint (e));
      break;
    }
}

static void
cell_unbind (GtkSignalListItemFactory *f, GtkListItem *item, LecoBlockedView *self)
{
  g_hash_table_remove (self->times, item);
}

static gboolean
on_clock (gpointer data)
{
  LecoBlockedView *self = data;
  GHashTableIter it;
  gpointer item;

  g_hash_table_iter_init (&it, self->times);
  while (g_hash_table_iter_next (&it, &item, NULL))
    show_time (item);
  return G_SOURCE_CONTINUE;
}

static void
on_map (GtkWidget *widget, LecoBlockedView *self)
{
  if (!self->clock)
    self->clock = g_timeout_add_seconds (10, on_clock, self);
  on_clock (self);
}

static void
on_unmap (GtkWidget *widget, LecoBlockedView *self)
{
  g_clear_handle_id (&self->clock, g_source_remove);
}

char *
leco_blocked_view_title (LecoBlockedView *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->list));

  return n ? g_strdup_printf (_("Blocked (%u)"), n) : g_strdup (_("Blocked"));
}

static void
on_items_changed (GListModel *list, guint pos, guint removed, guint added, LecoBlockedView *self)
{
  GtkWidget *parent = gtk_widget_get_parent (GTK_WIDGET (self));
  guint n = g_list_model_get_n_items (list);

  if (removed == added && removed > 0)
    return;    /* a repeat moved to the front: same number */
  gtk_stack_set_visible_child_name (GTK_STACK (self->pages), n ? "list" : "empty");
  if (GTK_IS_STACK (parent))
    {
      g_autofree char *title = leco_blocked_view_title (self);

      gtk_stack_page_set_title (gtk_stack_get_page (GTK_STACK (parent), GTK_WIDGET (self)), title);
    }
}

/* The list moves a repeated entry to the top as two changes: the selection
 * model drops its selection when the entry goes out; it comes back when the
 * entry is in again. */
static void
before_change (GListModel *list, guint pos, guint removed, guint added, LecoBlockedView *self)
{
  self->changing++;
}

static void
after_change (GListModel *list, guint pos, guint removed, guint added, LecoBlockedView *self)
{
  guint at;

  self->changing--;
  if (self->selected && gtk_single_selection_get_selected_item (self->selection) != (gpointer) self->selected &&
      leco_blocked_list_lookup (self->list, leco_blocked_entry_get_key (self->selected), &at))
    gtk_single_selection_set_selected (self->selection, at);
}

static void
on_selected (GtkSingleSelection *selection, GParamSpec *pspec, LecoBlockedView *self)
{
  if (self->changing)
    return;
  g_set_object (&self->selected, gtk_single_selection_get_selected_item (selection));
}

static void
on_root (GtkWidget *widget, GParamSpec *pspec, LecoBlockedView *self)
{
  /* now in its stack: the page's title */
  on_items_changed (G_LIST_MODEL (self->list), 0, 0, 0, self);
}

static void
add_column (LecoBlockedView *self, const char *title, Column col, int width, gboolean expand)
{
  GtkListItemFactory *f = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *c;

  g_object_set_data (G_OBJECT (f), "leco-column", GINT_TO_POINTER (col));
  g_signal_connect (f, "setup", G_CALLBACK (cell_setup), GINT_TO_POINTER (col));
  g_signal_connect (f, "bind", G_CALLBACK (cell_bind), self);
  g_signal_connect (f, "unbind", G_CALLBACK (cell_unbind), self);
  c = gtk_column_view_column_new (title, f);
  gtk_column_view_column_set_resizable (c, TRUE);
  gtk_column_view_column_set_expand (c, expand);
  if (width > 0)
    gtk_column_view_column_set_fixed_width (c, width);
  gtk_column_view_append_column (GTK_COLUMN_VIEW (self->view), c);
  g_object_unref (c);
}

static void
leco_blocked_view_dispose (GObject *object)
{
  LecoBlockedView *self = LECO_BLOCKED_VIEW (object);

  g_clear_handle_id (&self->clock, g_source_remove);
  g_clear_pointer (&self->pages, gtk_widget_unparent);
  if (self->list)
    g_signal_handlers_disconnect_by_data (self->list, self);
  if (self->selection)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  g_clear_object (&self->selection);
  g_clear_object (&self->list);
  g_clear_object (&self->selected);
  G_OBJECT_CLASS (leco_blocked_view_parent_class)->dispose (object);
}

static void
leco_blocked_view_finalize (GObject *object)
{
  g_hash_table_unref (LECO_BLOCKED_VIEW (object)->times);
  G_OBJECT_CLASS (leco_blocked_view_parent_class)->finalize (object);
}

static void
leco_blocked_view_class_init (LecoBlockedViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  cell_quark = g_quark_from_static_string ("leco-blocked-cell");
  object_class->dispose = leco_blocked_view_dispose;
  object_class->finalize = leco_blocked_view_finalize;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

static void
leco_blocked_view_init (LecoBlockedView *self)
{
  self->times = g_hash_table_new (NULL, NULL);
}

GtkWidget *
leco_blocked_view_new (LecoBlockedList *list)
{
  LecoBlockedView *self = g_object_new (LECO_TYPE_BLOCKED_VIEW, NULL);
  GtkWidget *scroll = gtk_scrolled_window_new ();
  GtkWidget *empty = gtk_label_new (_("Nothing was blocked since LECO started"));

  self->list = g_object_ref (list);
  /* around the selection model's own handler */
  g_signal_connect (list, "items-changed", G_CALLBACK (before_change), self);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (list)));
  g_signal_connect (list, "items-changed", G_CALLBACK (after_change), self);
  g_signal_connect (self->selection, "notify::selected", G_CALLBACK (on_selected), self);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  self->view = gtk_column_view_new (GTK_SELECTION_MODEL (g_object_ref (self->selection)));
  gtk_column_view_set_show_row_separators (GTK_COLUMN_VIEW (self->view), TRUE);
  /* all in the window's 780 px: texts are ellipsized with tooltips in full */
  add_column (self, _("Last seen"), COL_LAST, 80, FALSE);
  add_column (self, _("Count"), COL_COUNT, 54, FALSE);
  add_column (self, _("Application"), COL_APP, 150, TRUE);
  add_column (self, _("Process"), COL_PROCESS, 90, FALSE);
  add_column (self, _("User"), COL_USER, 64, FALSE);
  add_column (self, _("Destination"), COL_DEST, 148, FALSE);
  add_column (self, _("Blocked by"), COL_BY, 170, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), self->view);

  gtk_widget_add_css_class (empty, "dim-label");
  gtk_widget_set_halign (empty, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (empty, GTK_ALIGN_CENTER);
  self->pages = gtk_stack_new ();
  gtk_stack_add_named (GTK_STACK (self->pages), empty, "empty");
  gtk_stack_add_named (GTK_STACK (self->pages), scroll, "list");
  gtk_widget_set_parent (self->pages, GTK_WIDGET (self));
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);

  g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed), self);
  g_signal_connect (self, "map", G_CALLBACK (on_map), self);
  g_signal_connect (self, "unmap", G_CALLBACK (on_unmap), self);
  g_signal_connect (self, "notify::root", G_CALLBACK (on_root), self);
  on_items_changed (G_LIST_MODEL (list), 0, 0, 0, self);
  return GTK_WIDGET (self);
}

static GtkWidget *
inner_list_view (GtkWidget *view)
{
  for (GtkWidget *c = gtk_widget_get_first_child (view); c; c = gtk_widget_get_next_sibling (c))
    if (GTK_IS_LIST_VIEW (c))
      return c;
  return NULL;
}

gboolean
leco_blocked_view_select (LecoBlockedView *self, const char *key)
{
  guint pos;
  GtkWidget *lv;

  if (!leco_blocked_list_lookup (self->list, key, &pos))
    return FALSE;
  gtk_single_selection_set_selected (self->selection, pos);
  /* GTK 4.8 has no gtk_column_view_scroll_to(): its list view's action */
  lv = inner_list_view (self->view);
  if (lv)
    gtk_widget_activate_action (lv, "list.scroll-to-item", "u", pos);
  return TRUE;
}

static void
json_str (GString *out, const char *name, const char *value)
{
  g_autofree char *esc = g_strescape (value ? value : "", NULL);

  g_string_append_printf (out, "\"%s\": \"%s\", ", name, esc);
}

void
leco_blocked_view_dump (LecoBlockedView *self, GString *out)
{
  GListModel *m = G_LIST_MODEL (self->list);
  guint n = g_list_model_get_n_items (m);
  guint selected = gtk_single_selection_get_selected (self->selection);

  g_string_append_printf (out, "\"blocked-shows\": \"%s\", \"blocked\": [",
                          gtk_stack_get_visible_child_name (GTK_STACK (self->pages)));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (LecoBlockedEntry) e = g_list_model_get_item (m, i);
      g_autofree char *rel = leco_format_relative (leco_blocked_entry_get_last_seen (e), g_get_real_time ());

      g_string_append (out, i ? ", {" : "{");
      json_str (out, "key", leco_blocked_entry_get_key (e));
      json_str (out, "title", leco_blocked_entry_get_title (e));
      json_str (out, "subtitle", leco_blocked_entry_get_subtitle (e));
      json_str (out, "process", leco_blocked_entry_get_process (e));
      json_str (out, "exe", leco_blocked_entry_get_exe (e));
      json_str (out, "user", leco_blocked_entry_get_user (e));
      json_str (out, "destination", leco_blocked_entry_get_destination (e));
      json_str (out, "blocked-by", leco_blocked_entry_get_blocked_by (e));
      json_str (out, "kernel-reason", leco_blocked_entry_get_kernel_reason (e));
      json_str (out, "hint", leco_blocked_entry_get_hint (e));
      json_str (out, "last-seen-text", rel);
      g_string_append_printf (out, "\"count\": %" G_GUINT64_FORMAT ", \"started\": %" G_GINT64_FORMAT
                              ", \"last-seen\": %" G_GINT64_FORMAT ", \"selected\": %s}",
                              leco_blocked_entry_get_count (e), leco_blocked_entry_get_started (e),
                              leco_blocked_entry_get_last_seen (e), selected == i ? "true" : "false");
    }
  g_string_append_c (out, ']');
}
