/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The traffic window: a normal, decorated and resizable window (a header
 * bar with the search entry) with one row per cgroup, expandable to its
 * connections.  Rows are LecoRow objects updated in place by the applet; the
 * view only re-sorts, so scroll position and selection stay, and not while
 * the pointer is over the list.  Size, sort column and "show idle" are
 * kept in GSettings.
 */
#define G_LOG_DOMAIN "leco-applet"

#include "config.h"

#include <glib/gi18n.h>

#include "leco-blocked-view.h"
#include "leco-cell.h"
#include "leco-format.h"
#include "leco-popover.h"
#include "leco-row.h"

/* The sortable columns, in view order; ids as in the sort-column key. */
enum { COL_NAME, COL_DOWN, COL_UP, COL_TOTAL, COL_CONNS, COL_BLOCKED, COL_ACTIVITY, COL_ACTIVE, N_COLS };
static const char *const col_ids[N_COLS] = { "application", "down", "up", "total", "connections", "blocked",
                                             "activity", "last-active" };

#define IDLE_US (10 * 60 * G_USEC_PER_SEC)   /* folded away after this long without traffic */
#define STILL_SECONDS 4                     /* pointer still this long: re-order anyway */

struct _LecoPopover {
  GtkApplicationWindow parent;
  GSettings *settings;         /* NULL without the schema (the bench) */
  LecoClient *client;
  GListModel *rows;            /* the applet's, LecoRow per cgroup */
  GtkCustomFilter *filter;
  GtkFilterListModel *filtered;
  GtkTreeListModel *tree;
  GtkSorter *view_sorter;      /* the column view's (headers clicked) */
  GtkCustomSorter *col_sorters[N_COLS];
  GtkColumnViewColumn *columns[N_COLS];
  GtkSorter *row_sorter;       /* the tree's, over view_sorter; set only while shown */
  int sort_col;                /* primary column, -1 none */
  gboolean sort_desc;
  LecoRow *probe_a, *probe_b;  /* two rows to ask the view's sorter which column leads */
  GtkSortListModel *sorted;
  GtkSingleSelection *selection;
  GtkWidget *view;
  GtkWidget *header;
  GtkWidget *list_area;        /* the scrolled view and its empty state: one child */
  GtkWidget *scroll;
  GtkWidget *empty;
  GtkWidget *idle_toggle;
  GtkWidget *pages;            /* GtkStack: "traffic" | "blocked" */
  GtkWidget *blocked;          /* LecoBlockedView, once set */
  GtkWidget *search;
  GtkWidget *status;
  GtkWidget *summary;
  GtkWidget *banner;           /* a GtkRevealer: what this kernel does not show */
  GtkWidget *banner_label;     /* the first lost feature, ellipsized */
  GtkWidget *banner_more;      /* "(+N more)", always in full */
  GHashTable *bound;          /* GtkListItem (cells) bound to a row */
  char *needle;
  gboolean searched;           /* connections asked for this search */
  gboolean show_idle;
  GHashTable *idle;            /* rows folded away (refs) */
  gboolean stale;              /* the daemon is away: no rates shown */
  gboolean pointer_in;         /* over the list: no re-ordering */
  gboolean reorder_pending;
  double px, py;               /* the pointer, in scroll's coordinates */
  guint still;                 /* re-order after the pointer kept still */
  guint clock;                 /* relative times, only while shown */
};

G_DEFINE_FINAL_TYPE (LecoPopover, leco_popover, GTK_TYPE_APPLICATION_WINDOW)

/* what the rate cells show while the daemon is away: one window */
static gboolean rates_stale;

/* ---- sorting and filtering --------------------------------------------- */

/* Each column's order, ascending (the view inverts it for descending);
 * ties by title then cgroup id: a total order. */
static int
cmp_u64 (guint64 x, guint64 y)
{
  return x < y ? -1 : x > y ? 1 : 0;
}

static int
tie (LecoRow *x, LecoRow *y)
{
  int c = strcmp (leco_row_get_sort_key (x), leco_row_get_sort_key (y));

  return c ? (c < 0 ? -1 : 1) : cmp_u64 (leco_row_get_cgroup_id (x), leco_row_get_cgroup_id (y));
}

static int
col_compare (int col, LecoRow *x, LecoRow *y)
{
  int c = 0;

  switch (col)
    {
    case COL_NAME:
      return tie (x, y);
    case COL_DOWN:
      c = cmp_u64 (leco_row_get_rx_rate (x), leco_row_get_rx_rate (y));
      break;
    case COL_UP:
      c = cmp_u64 (leco_row_get_tx_rate (x), leco_row_get_tx_rate (y));
      break;
    case COL_TOTAL:
      c = cmp_u64 (leco_row_get_rx_bytes (x) + leco_row_get_tx_bytes (x),
                   leco_row_get_rx_bytes (y) + leco_row_get_tx_bytes (y));
      break;
    case COL_CONNS:
      c = cmp_u64 (leco_row_get_connections (x), leco_row_get_connections (y));
      break;
    case COL_BLOCKED:
      c = cmp_u64 (leco_row_get_blocked (x), leco_row_get_blocked (y));
      break;
    case COL_ACTIVITY:
      /* the rate now, then how recently */
      c = cmp_u64 (leco_row_get_rx_rate (x) + leco_row_get_tx_rate (x),
                   leco_row_get_rx_rate (y) + leco_row_get_tx_rate (y));
      if (!c)
        c = cmp_u64 (leco_row_get_last_active (x), leco_row_get_last_active (y));
      break;
    case COL_ACTIVE:
      c = cmp_u64 (leco_row_get_last_active (x), leco_row_get_last_active (y));
      break;
    default:
      break;
    }
  return c ? c : tie (x, y);
}

/* GTK 4.8 has no gtk_column_view_sorter_get_primary_sort_column: one
 * comparison of two probe rows with the column sorters in probe mode says
 * which is asked first (the primary) and whether the view inverts it. */
static gboolean probing;
static int probed;

static int
by_column (gconstpointer a, gconstpointer b, gpointer user_data)
{
  int col = GPOINTER_TO_INT (user_data);

  if (G_UNLIKELY (probing))
    {
      if (probed < 0)
        probed = col;
      return -1;
    }
  return col_compare (col, (LecoRow *) a, (LecoRow *) b);
}

static void
read_sort (LecoPopover *self, int *col, gboolean *desc)
{
  GtkOrdering o;

  probing = TRUE;
  probed = -1;
  o = gtk_sorter_compare (self->view_sorter, self->probe_a, self->probe_b);
  probing = FALSE;
  *col = probed;
  *desc = o == GTK_ORDERING_LARGER;
}

static void
update_empty (LecoPopover *self)
{
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  g_autofree char *text = NULL;

  if (shown == 0 && self->needle && *self->needle)
    text = g_strdup_printf (_("No application matches “%s”"),
                            gtk_editable_get_text (GTK_EDITABLE (self->search)));
  else if (shown == 0 && g_list_model_get_n_items (self->rows) > 0)
    text = g_strdup (_("No recent network activity. “Show idle” lists applications idle for more than 10 minutes."));
  else if (shown == 0)
    text = g_strdup (self->stale ? _("No data: the LECO service is not running") : _("No network activity yet"));
  gtk_label_set_text (GTK_LABEL (self->empty), text ? text : "");
  gtk_widget_set_visible (self->empty, text != NULL);
}

static gboolean
hay_has (const char *s, const char *needle)
{
  g_autofree char *f = NULL;

  if (!s || !*s)
    return FALSE;
  f = g_utf8_casefold (s, -1);
  return strstr (f, needle) != NULL;
}

static gboolean
own_match (LecoRow *row, const char *needle)
{
  return hay_has (leco_row_get_title (row), needle) || hay_has (leco_row_get_subtitle (row), needle) ||
         hay_has (leco_row_get_app_id (row), needle) || hay_has (leco_row_get_unit (row), needle) ||
         hay_has (leco_row_get_cgroup_path (row), needle);
}

/* of the connections fetched (when expanded, or for a search: rows with
 * open connections), their process names, addresses and ports */
static gboolean
child_match (LecoRow *row, const char *needle)
{
  GListModel *kids = leco_row_is_cgroup (row) ? G_LIST_MODEL (leco_row_get_children (row)) : NULL;

  for (guint i = 0; kids && i < g_list_model_get_n_items (kids); i++)
    {
      g_autoptr (LecoRow) c = g_list_model_get_item (kids, i);

      if (hay_has (leco_row_get_title (c), needle) || hay_has (leco_row_get_subtitle (c), needle))
        return TRUE;
    }
  return FALSE;
}

/* Name, unit, app id, cgroup path, or one of its connections. */
static gboolean
matches (gpointer item, gpointer user_data)
{
  LecoPopover *self = user_data;
  LecoRow *row = item;

  if (!self->show_idle && g_hash_table_contains (self->idle, row))
    return FALSE;
  if (!self->needle || !*self->needle)
    return TRUE;
  return own_match (row, self->needle) || child_match (row, self->needle);
}

/* Rows found by a connection only (a process name, a port) are expanded:
 * what matched is in view. */
static void
expand_connection_matches (LecoPopover *self)
{
  GListModel *m = G_LIST_MODEL (self->sorted);

  if (!self->needle || !*self->needle)
    return;
  for (guint i = 0; i < g_list_model_get_n_items (m); i++)
    {
      g_autoptr (GtkTreeListRow) trow = g_list_model_get_item (m, i);
      g_autoptr (LecoRow) row = NULL;

      if (gtk_tree_list_row_get_depth (trow) > 0 || gtk_tree_list_row_get_expanded (trow))
        continue;
      row = gtk_tree_list_row_get_item (trow);
      if (!own_match (row, self->needle) && child_match (row, self->needle))
        gtk_tree_list_row_set_expanded (trow, TRUE);
    }
}

/* The rows whose idle state changed since last time: the filter told only
 * then, and only in the direction it changed. */
static void
update_idle (LecoPopover *self)
{
  GHashTable *now_idle = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  gint64 now = g_get_real_time ();
  guint n = g_list_model_get_n_items (self->rows), went = 0, came = 0;

  for (guint i = 0; i < n; i++)
    {
      LecoRow *row = g_list_model_get_item (self->rows, i);
      gboolean was = g_hash_table_contains (self->idle, row);

      if (leco_row_is_idle (row, now, IDLE_US))
        {
          g_hash_table_add (now_idle, row);
          went += !was;
        }
      else
        {
          came += was;
          g_object_unref (row);
        }
    }
  g_hash_table_unref (self->idle);
  self->idle = now_idle;
  if (!self->show_idle && (went || came))
    gtk_filter_changed (GTK_FILTER (self->filter), went && came ? GTK_FILTER_CHANGE_DIFFERENT
                                                   : went ? GTK_FILTER_CHANGE_MORE_STRICT
                                                          : GTK_FILTER_CHANGE_LESS_STRICT);
}

static void fetch_children (LecoPopover *self, LecoRow *row);

/* A search looks in the connections too: those of rows with open ones,
 * asked once per search (what expanding a row asks anyway). */
static void
fetch_for_search (LecoPopover *self)
{
  guint n = g_list_model_get_n_items (self->rows);

  if (self->searched)
    return;
  self->searched = TRUE;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (LecoRow) row = g_list_model_get_item (self->rows, i);

      if (leco_row_get_connections (row) > 0)
        fetch_children (self, row);
    }
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
  if (*self->needle)
    fetch_for_search (self);
  else
    self->searched = FALSE;
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_empty (self);
  expand_connection_matches (self);
}

/* ---- connections under a row ------------------------------------------- */

typedef struct {
  GWeakRef self;
  LecoRow *row;
} Fetch;

static void
fetch_free (Fetch *f)
{
  g_weak_ref_clear (&f->self);
  g_object_unref (f->row);
  g_free (f);
}

static void
on_connections (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Fetch *f = user_data;
  g_autoptr (LecoPopover) self = g_weak_ref_get (&f->self);
  LecoRow *row = f->row;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) list = leco_client_list_connections_finish (LECO_CLIENT (source), res, &error);
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  GListStore *children = leco_row_get_children (row);
  GVariantIter it;
  GVariant *rec;

  if (!list)
    {
      g_debug ("connections of cgroup %" G_GUINT64_FORMAT ": %s", leco_row_get_cgroup_id (row), error->message);
      fetch_free (f);
      return;
    }
  g_variant_iter_init (&it, list);
  while ((rec = g_variant_iter_next_value (&it)))
    {
      g_ptr_array_add (items, leco_row_new_connection (rec));
      g_variant_unref (rec);
    }
  g_list_store_splice (children, 0, g_list_model_get_n_items (G_LIST_MODEL (children)), items->pdata, items->len);
  /* a search may find the row by its connections now */
  if (self && self->needle && *self->needle && items->len)
    {
      gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_LESS_STRICT);
      update_empty (self);
      expand_connection_matches (self);
    }
  fetch_free (f);
}

static void
fetch_children (LecoPopover *self, LecoRow *row)
{
  Fetch *f = g_new0 (Fetch, 1);

  g_weak_ref_init (&f->self, self);
  f->row = g_object_ref (row);
  leco_client_list_connections (self->client, leco_row_get_cgroup_id (row), NULL, on_connections, f);
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
  gboolean bytes;              /* exact byte counts in a tooltip */
} TextColumn;

/* a rate, or "–" while the daemon is away: never the last one as if live */
static char *
text_rate (guint64 rate)
{
  return rates_stale ? g_strdup ("–") : leco_format_rate (rate);
}

static char *text_down (gpointer r) { return text_rate (leco_row_get_rx_rate (r)); }
static char *text_up (gpointer r) { return text_rate (leco_row_get_tx_rate (r)); }

/* 1234567 -> "1,234,567" */
static char *
group_digits (guint64 v)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, v);
  GString *out = g_string_new (NULL);
  gsize n = strlen (digits);

  for (gsize i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

static char *
bytes_tooltip (LecoRow *row)
{
  g_autofree char *rx = group_digits (leco_row_get_rx_bytes (row));
  g_autofree char *tx = group_digits (leco_row_get_tx_bytes (row));
  g_autofree char *rr = group_digits (leco_row_get_rx_rate (row));
  g_autofree char *tr = group_digits (leco_row_get_tx_rate (row));

  if (rates_stale || !leco_row_is_cgroup (row))
    return g_strdup_printf (_("%s bytes received, %s bytes sent"), rx, tx);
  return g_strdup_printf (_("%s bytes received, %s bytes sent\nNow %s bytes/s received, %s bytes/s sent"), rx, tx,
                          rr, tr);
}

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

static const TextColumn col_down = { text_down, N_("888.8 kB/s"), FALSE, TRUE };
static const TextColumn col_up = { text_up, N_("888.8 kB/s"), FALSE, TRUE };
static const TextColumn col_total = { text_total, N_("↓ 888.8 MB  ↑ 888.8 MB"), FALSE, TRUE };
static const TextColumn col_conns = { text_conns, "8888", FALSE, FALSE };
static const TextColumn col_blocked = { text_blocked, "8888", FALSE, FALSE };
static const TextColumn col_active = { text_active, N_("59 min ago"), TRUE, FALSE };

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

/* Tooltips are made when asked for, not per bind: a re-sort re-binds
 * hundreds of cells. */
static gboolean
on_bytes_tooltip (GtkWidget *w, int x, int y, gboolean kbd, GtkTooltip *tip, GtkListItem *item)
{
  Bound *b = bound_of (item);
  g_autofree char *text = NULL;

  if (!b->row)
    return FALSE;
  text = bytes_tooltip (b->row);
  gtk_tooltip_set_text (tip, text);
  return TRUE;
}

static void
text_setup (GtkSignalListItemFactory *f, GtkListItem *item, const TextColumn *col)
{
  GtkWidget *cell = leco_cell_new (_(col->sample), 1.0);

  gtk_widget_add_css_class (cell, "numeric");
  if (col->bytes)
    {
      gtk_widget_set_has_tooltip (cell, TRUE);
      g_signal_connect (cell, "query-tooltip", G_CALLBACK (on_bytes_tooltip), item);
    }
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
  /* no empty second line (the root cgroup's): the title centred instead */
  gtk_widget_set_visible (b->sub, *leco_row_get_subtitle (b->row) != '\0');
}

/* the full name (a unit is cut at its end), unit, app id, cgroup */
static gboolean
on_name_tooltip (GtkWidget *w, int x, int y, gboolean kbd, GtkTooltip *tip, GtkListItem *item)
{
  Bound *b = bound_of (item);
  g_autoptr (GString) text = NULL;
  const char *lines[4];

  if (!b->row)
    return FALSE;
  lines[0] = leco_row_get_title (b->row);
  lines[1] = leco_row_get_subtitle (b->row);
  lines[2] = leco_row_is_cgroup (b->row) ? leco_row_get_app_id (b->row) : "";
  lines[3] = leco_row_is_cgroup (b->row) ? leco_row_get_cgroup_path (b->row) : "";
  text = g_string_new (lines[0]);
  for (guint i = 1; i < G_N_ELEMENTS (lines); i++)
    {
      gboolean dup = FALSE;

      for (guint j = 0; j < i; j++)
        dup |= g_strcmp0 (lines[i], lines[j]) == 0;
      if (*lines[i] && !dup)
        g_string_append_printf (text, "\n%s", lines[i]);
    }
  gtk_tooltip_set_text (tip, text->str);
  return TRUE;
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
  /* cut at the end, never mid-word in the middle; the tooltip has it all */
  leco_cell_set_ellipsize (LECO_CELL (b->sub), PANGO_ELLIPSIZE_END);
  gtk_widget_set_has_tooltip (box, TRUE);
  g_signal_connect (box, "query-tooltip", G_CALLBACK (on_name_tooltip), item);
  gtk_widget_add_css_class (b->sub, "dim-label");
  gtk_widget_add_css_class (b->sub, "caption");
  gtk_widget_set_valign (texts, GTK_ALIGN_CENTER);
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
  GdkRGBA fg;

  if (!b->row || !leco_row_is_cgroup (b->row) || rates_stale)
    return;
  hist = leco_row_get_history (b->row, &n, &start);
  if (n < 2)
    return;
  for (guint i = 0; i < n; i++)
    max = MAX (max, hist[(start + i) % LECO_ROW_HISTORY]);
  /* the text colour of the row (white on a selected one), not a fixed
   * blue that vanishes on the selection's blue */
#if GTK_CHECK_VERSION(4, 10, 0)
  gtk_widget_get_color (GTK_WIDGET (area), &fg);
#else
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (area)), &fg);
#endif
  cairo_set_line_width (cr, 1.5);
  gdk_cairo_set_source_rgba (cr, &fg);
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
      /* the primary column decides alone: its order is total (ties by
       * title, then cgroup id), so the view's sorter need not be asked */
      if (prev && (self->sort_desc ? -1 : 1) * col_compare (self->sort_col, prev, row) > 0)
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
apply_order (LecoPopover *self)
{
  self->reorder_pending = FALSE;
  g_clear_handle_id (&self->still, g_source_remove);
  if (!gtk_sort_list_model_get_sorter (self->sorted) || self->sort_col < 0)
    return;
  if (!order_holds (self))
    gtk_sorter_changed (GTK_SORTER (self->col_sorters[self->sort_col]), GTK_SORTER_CHANGE_DIFFERENT);
}

static gboolean
on_still (gpointer user_data)
{
  LecoPopover *self = user_data;

  self->still = 0;
  apply_order (self);
  return G_SOURCE_REMOVE;
}

/* With the pointer over the list the rows keep their places (their values
 * still change in place): re-ordered when it leaves, or once it kept
 * still for a few seconds.  New rows meanwhile join where the sort model
 * puts them; the re-order after sets all straight. */
static void
resort (LecoPopover *self)
{
  if (!gtk_sort_list_model_get_sorter (self->sorted))
    return;
  if (self->pointer_in)
    {
      self->reorder_pending = TRUE;
      if (!self->still)
        self->still = g_timeout_add_seconds (STILL_SECONDS, on_still, self);
      return;
    }
  apply_order (self);
}

static void
on_pointer_enter (GtkEventControllerMotion *c, double x, double y, LecoPopover *self)
{
  self->pointer_in = TRUE;
  self->px = x;
  self->py = y;
}

static void
on_pointer_motion (GtkEventControllerMotion *c, double x, double y, LecoPopover *self)
{
  self->px = x;
  self->py = y;
  if (self->still)
    {
      g_source_remove (self->still);
      self->still = g_timeout_add_seconds (STILL_SECONDS, on_still, self);
    }
}

static void
on_pointer_leave (GtkEventControllerMotion *c, LecoPopover *self)
{
  self->pointer_in = FALSE;
  if (self->reorder_pending)
    apply_order (self);
}

/* A header clicked: the new order kept in GSettings. */
static void
on_sort_changed (GtkSorter *sorter, GtkSorterChange change, LecoPopover *self)
{
  int col;
  gboolean desc;

  read_sort (self, &col, &desc);
  if (col == self->sort_col && desc == self->sort_desc)
    return;
  self->sort_col = col;
  self->sort_desc = desc;
  if (self->settings && col >= 0)
    {
      g_settings_set_string (self->settings, "sort-column", col_ids[col]);
      g_settings_set_boolean (self->settings, "sort-descending", desc);
    }
}

static void
restore_sort (LecoPopover *self)
{
  g_autofree char *id = self->settings ? g_settings_get_string (self->settings, "sort-column")
                                       : g_strdup ("activity");
  gboolean desc = self->settings ? g_settings_get_boolean (self->settings, "sort-descending") : TRUE;
  int col = COL_ACTIVITY;

  for (int i = 0; i < N_COLS; i++)
    if (g_str_equal (id, col_ids[i]))
      col = i;
  gtk_column_view_sort_by_column (GTK_COLUMN_VIEW (self->view), self->columns[col],
                                  desc ? GTK_SORT_DESCENDING : GTK_SORT_ASCENDING);
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
  update_idle (self);
  update_empty (self);
  return G_SOURCE_CONTINUE;
}

static void
save_size (LecoPopover *self)
{
  int w = 0, h = 0;

  if (!self->settings)
    return;
  gtk_window_get_default_size (GTK_WINDOW (self), &w, &h);
  if (w > 0 && h > 0)
    {
      g_settings_set_int (self->settings, "window-width", w);
      g_settings_set_int (self->settings, "window-height", h);
    }
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
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
      GtkAdjustment *v = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroll));

      if (!self->clock)
        self->clock = g_timeout_add_seconds (10, on_clock, self);
      update_idle (self);
      gtk_sort_list_model_set_sorter (self->sorted, self->row_sorter);
      /* opens at the top, nothing selected (leco_popover_focus may pick one) */
      gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
      gtk_adjustment_set_value (v, gtk_adjustment_get_lower (v));
      /* hidden, the rows changed without the cells following */
      refresh_bound (self);
      update_empty (self);
    }
  else
    {
      g_clear_handle_id (&self->clock, g_source_remove);
      g_clear_handle_id (&self->still, g_source_remove);
      self->pointer_in = self->reorder_pending = FALSE;
      gtk_sort_list_model_set_sorter (self->sorted, NULL);
    }
}

static void
on_unmap (GtkWidget *widget, LecoPopover *self)
{
  save_size (self);
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
  g_clear_handle_id (&self->still, g_source_remove);
  if (self->view_sorter)
    g_signal_handlers_disconnect_by_data (self->view_sorter, self);
  g_clear_object (&self->selection);
  g_clear_object (&self->row_sorter);
  g_clear_object (&self->view_sorter);
  g_clear_object (&self->probe_a);
  g_clear_object (&self->probe_b);
  g_clear_object (&self->client);
  g_clear_object (&self->rows);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (leco_popover_parent_class)->dispose (object);
}

static void
leco_popover_finalize (GObject *object)
{
  g_free (LECO_POPOVER (object)->needle);
  g_hash_table_unref (LECO_POPOVER (object)->bound);
  g_hash_table_unref (LECO_POPOVER (object)->idle);
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
  self->idle = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->sort_col = -1;
}

static GtkColumnViewColumn *
add_column (LecoPopover *self, int id, GtkColumnViewColumn *col, gboolean expand)
{
  self->col_sorters[id] = gtk_custom_sorter_new (by_column, GINT_TO_POINTER (id), NULL);
  gtk_column_view_column_set_sorter (col, GTK_SORTER (self->col_sorters[id]));
  g_object_unref (self->col_sorters[id]);   /* the column's */
  gtk_column_view_column_set_expand (col, expand);
  gtk_column_view_column_set_resizable (col, TRUE);
  gtk_column_view_append_column (GTK_COLUMN_VIEW (self->view), col);
  self->columns[id] = col;
  g_object_unref (col);
  return col;
}

static GSettings *
applet_settings (void)
{
  GSettingsSchemaSource *src = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = src ? g_settings_schema_source_lookup (src, "org.leco.Overseer.Applet", TRUE)
                                           : NULL;

  return schema ? g_settings_new ("org.leco.Overseer.Applet") : NULL;
}

static void
on_show_idle (GtkToggleButton *button, LecoPopover *self)
{
  self->show_idle = gtk_toggle_button_get_active (button);
  gtk_filter_changed (GTK_FILTER (self->filter), self->show_idle ? GTK_FILTER_CHANGE_LESS_STRICT
                                                                 : GTK_FILTER_CHANGE_MORE_STRICT);
  update_empty (self);
}

static void
on_filtered_changed (GListModel *m, guint pos, guint removed, guint added, LecoPopover *self)
{
  /* only when it may turn empty or stop being so */
  if ((removed || added) && (g_list_model_get_n_items (m) == 0 || g_list_model_get_n_items (m) == added))
    update_empty (self);
}

LecoPopover *
leco_popover_new (GtkApplication *app, LecoClient *client, GListModel *rows)
{
  LecoPopover *self = g_object_new (LECO_TYPE_POPOVER, "application", app, "title", _("LECO — Network activity"),
                                    "hide-on-close", TRUE, NULL);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkEventController *motion;
  GtkListItemFactory *f;
  GtkColumnViewColumn *col;
  int w = 0, h = 0;

  self->settings = applet_settings ();
  self->client = g_object_ref (client);
  self->rows = g_object_ref (rows);
  self->probe_a = leco_row_new_cgroup (0);
  self->probe_b = leco_row_new_cgroup (0);
  self->filter = gtk_custom_filter_new (matches, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (rows), GTK_FILTER (self->filter));
  self->tree = gtk_tree_list_model_new (G_LIST_MODEL (self->filtered), FALSE, FALSE, create_children, self, NULL);
  self->sorted = gtk_sort_list_model_new (G_LIST_MODEL (self->tree), NULL);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->sorted)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  g_signal_connect (self->filtered, "items-changed", G_CALLBACK (on_filtered_changed), self);

  /* the header bar: title, search, "show idle"; others add theirs at the end */
  self->header = gtk_header_bar_new ();
  self->search = gtk_search_entry_new ();
  gtk_widget_set_size_request (self->search, 260, -1);
  g_object_set (self->search, "placeholder-text", _("Search apps, processes, ports, addresses"), NULL);
  g_signal_connect (self->search, "search-changed", G_CALLBACK (on_search_changed), self);
  g_signal_connect (self->search, "stop-search", G_CALLBACK (on_stop_search), self);
  gtk_header_bar_pack_start (GTK_HEADER_BAR (self->header), self->search);
  self->idle_toggle = gtk_toggle_button_new_with_label (_("Show idle"));
  gtk_widget_set_tooltip_text (self->idle_toggle, _("Also list applications without traffic for more than "
                                                    "10 minutes, and removed ones"));
  g_signal_connect (self->idle_toggle, "toggled", G_CALLBACK (on_show_idle), self);
  if (self->settings)
    g_settings_bind (self->settings, "show-idle", self->idle_toggle, "active", G_SETTINGS_BIND_DEFAULT);
  self->show_idle = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->idle_toggle));
  gtk_header_bar_pack_end (GTK_HEADER_BAR (self->header), self->idle_toggle);
  gtk_window_set_titlebar (GTK_WINDOW (self), self->header);

  gtk_widget_set_margin_start (box, 8);
  gtk_widget_set_margin_end (box, 8);
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  self->summary = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->summary, "dim-label");
  gtk_widget_set_hexpand (self->summary, TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->summary), 1.0);
  self->pages = gtk_stack_new ();
  {
    GtkWidget *switcher = gtk_stack_switcher_new ();

    gtk_stack_switcher_set_stack (GTK_STACK_SWITCHER (switcher), GTK_STACK (self->pages));
    gtk_box_append (GTK_BOX (top), switcher);
  }
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
  add_column (self, COL_NAME, col, TRUE);
  add_column (self, COL_DOWN, text_column (self, _("Down"), &col_down), FALSE);
  add_column (self, COL_UP, text_column (self, _("Up"), &col_up), FALSE);
  add_column (self, COL_TOTAL, text_column (self, _("Total"), &col_total), FALSE);
  add_column (self, COL_CONNS, text_column (self, _("Connections"), &col_conns), FALSE);
  add_column (self, COL_BLOCKED, text_column (self, _("Blocked"), &col_blocked), FALSE);
  f = gtk_signal_list_item_factory_new ();
  g_signal_connect (f, "setup", G_CALLBACK (spark_setup), NULL);
  g_signal_connect (f, "bind", G_CALLBACK (any_bind), self);
  g_signal_connect (f, "unbind", G_CALLBACK (any_unbind), self);
  col = gtk_column_view_column_new (_("Activity"), f);
  add_column (self, COL_ACTIVITY, col, FALSE);
  add_column (self, COL_ACTIVE, text_column (self, _("Last active"), &col_active), FALSE);
  self->view_sorter = g_object_ref (gtk_column_view_get_sorter (GTK_COLUMN_VIEW (self->view)));
  self->row_sorter = GTK_SORTER (gtk_tree_list_row_sorter_new (g_object_ref (self->view_sorter)));
  restore_sort (self);
  read_sort (self, &self->sort_col, &self->sort_desc);
  g_signal_connect (self->view_sorter, "changed", G_CALLBACK (on_sort_changed), self);

  /* the list and its empty state, one widget (a page, should there be more) */
  self->scroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroll), self->view);
  self->empty = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->empty), TRUE);
  gtk_label_set_justify (GTK_LABEL (self->empty), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (self->empty, "dim-label");
  gtk_widget_add_css_class (self->empty, "title-4");
  gtk_widget_set_halign (self->empty, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (self->empty, GTK_ALIGN_CENTER);
  gtk_widget_set_can_target (self->empty, FALSE);
  gtk_widget_set_visible (self->empty, FALSE);
  self->list_area = gtk_overlay_new ();
  gtk_overlay_set_child (GTK_OVERLAY (self->list_area), self->scroll);
  gtk_overlay_add_overlay (GTK_OVERLAY (self->list_area), self->empty);
  gtk_widget_set_vexpand (self->list_area, TRUE);
  motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "enter", G_CALLBACK (on_pointer_enter), self);
  g_signal_connect (motion, "motion", G_CALLBACK (on_pointer_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_pointer_leave), self);
  gtk_widget_add_controller (self->scroll, motion);

  gtk_box_append (GTK_BOX (box), self->banner);
  gtk_box_append (GTK_BOX (box), top);
  gtk_box_append (GTK_BOX (box), self->status);
  gtk_stack_add_titled (GTK_STACK (self->pages), self->list_area, "traffic", _("Traffic"));
  gtk_box_append (GTK_BOX (box), self->pages);
  gtk_window_set_child (GTK_WINDOW (self), box);

  /* the size left last time, else one that shows every column at this font */
  if (self->settings)
    {
      w = g_settings_get_int (self->settings, "window-width");
      h = g_settings_get_int (self->settings, "window-height");
    }
  if (w <= 0)
    {
      int nat = 0;

      GListModel *monitors = gdk_display_get_monitors (gtk_widget_get_display (GTK_WIDGET (self)));
      g_autoptr (GdkMonitor) mon = g_list_model_get_item (monitors, 0);

      gtk_widget_measure (self->view, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &nat, NULL, NULL);
      w = MAX (nat + 16 + 24, 900);
      /* never wider than the screen (a large font on a small one) */
      if (mon)
        {
          GdkRectangle geo;

          gdk_monitor_get_geometry (mon, &geo);
          w = MIN (w, geo.width);
        }
    }
  gtk_window_set_default_size (GTK_WINDOW (self), w, h > 0 ? h : 560);
  if (self->settings && g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_signal_connect (self, "notify::visible", G_CALLBACK (on_visible), self);
  g_signal_connect (self, "unmap", G_CALLBACK (on_unmap), self);
  g_signal_connect_object (client, "limits-changed", G_CALLBACK (on_limits), self, 0);
  on_limits (client, self);
  return self;
}

void
leco_popover_add_header_widget (LecoPopover *self, GtkWidget *w)
{
  gtk_header_bar_pack_end (GTK_HEADER_BAR (self->header), w);
}

static void
show_summary (LecoPopover *self, guint64 rx_rate, guint64 tx_rate)
{
  g_autofree char *down = text_rate (rx_rate), *up = text_rate (tx_rate);
  g_autofree char *text = g_strdup_printf ("↓ %s  ↑ %s", down, up);

  gtk_label_set_text (GTK_LABEL (self->summary), text);
}

void
leco_popover_refresh (LecoPopover *self, guint64 rx_rate, guint64 tx_rate)
{
  show_summary (self, rx_rate, tx_rate);
  if (!gtk_widget_get_visible (GTK_WIDGET (self)))
    return;
  /* re-sorting re-binds what moved; then the cells still showing old values */
  resort (self);
  refresh_bound (self);
  /* folded rows active again come back at once (the walk over all rows
   * for rows turning idle waits for the clock) */
  if (!self->show_idle && g_hash_table_size (self->idle))
    {
      GHashTableIter it;
      gpointer row;
      gint64 now = g_get_real_time ();

      g_hash_table_iter_init (&it, self->idle);
      while (g_hash_table_iter_next (&it, &row, NULL))
        if (!leco_row_is_idle (row, now, IDLE_US))
          {
            update_idle (self);
            break;
          }
    }
}

/* Every bound cell shown again (the rates went stale or live). */
static void
reshow_all (LecoPopover *self)
{
  GHashTableIter it;
  gpointer item;

  g_hash_table_iter_init (&it, self->bound);
  while (g_hash_table_iter_next (&it, &item, NULL))
    {
      Bound *b = bound_of (item);

      b->show (item, b);
    }
}

void
leco_popover_set_status (LecoPopover *self, const char *message)
{
  LecoClientState state = leco_client_get_state (self->client);
  /* stale until the daemon's state was read again */
  gboolean stale = state == LECO_CLIENT_DISCONNECTED || state == LECO_CLIENT_DENIED ||
                   (state == LECO_CLIENT_CONNECTING && self->stale);
  g_autofree char *text = NULL;

  /* the daemon away: the rows are what it last said, the rates no longer
   * true; said so, and no rate shown */
  if (stale && state != LECO_CLIENT_DENIED)
    text = g_strdup (_("Data is stale: the LECO service is not running"));
  else if (stale)
    text = g_strdup_printf ("%s\n%s", _("Data is stale: LECO cannot read the service"), message ? message : "");
  else
    text = g_strdup (message ? message : "");
  gtk_label_set_text (GTK_LABEL (self->status), text);
  gtk_widget_set_visible (self->status, *text != '\0');
  if (stale != self->stale)
    {
      self->stale = rates_stale = stale;
      show_summary (self, 0, 0);
      reshow_all (self);
      update_empty (self);
    }
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

/* The bound row whose name cell is at y (in the view's coordinates), or
 * the first one fully below the header when first_visible. */
static LecoRow *
row_at (LecoPopover *self, double y, gboolean first_visible)
{
  GtkWidget *header = gtk_widget_get_first_child (self->view);
  double top = header ? gtk_widget_get_height (header) : 0, best = G_MAXDOUBLE;
  LecoRow *found = NULL;
  GHashTableIter it;
  gpointer item;

  g_hash_table_iter_init (&it, self->bound);
  while (g_hash_table_iter_next (&it, &item, NULL))
    {
      Bound *b = bound_of (item);
      GtkWidget *child = gtk_list_item_get_child (item);
      graphene_rect_t r;

      if (!b->icon || !gtk_widget_get_mapped (child) || !gtk_widget_compute_bounds (child, self->view, &r))
        continue;
      if (first_visible && r.origin.y + 2 >= top && r.origin.y < best)
        {
          best = r.origin.y;
          found = b->row;
        }
      else if (!first_visible && y >= r.origin.y && y < r.origin.y + r.size.height)
        found = b->row;
    }
  return found;
}

static char *
json_title (LecoRow *row)
{
  g_autofree char *t = row ? g_strescape (leco_row_get_title (row), NULL) : NULL;

  return row ? g_strdup_printf ("\"%s\"", t) : g_strdup ("null");
}

/* Test hook: where the column headers and the rows on screen are, in the
 * window's coordinates: "headers": [[id, x, y, w, h]...], "on-screen":
 * [[title, y, h]...] (name cells of bound rows, fully below the header). */
static void
dump_geometry (LecoPopover *self, GString *out)
{
  GtkWidget *header = gtk_widget_get_first_child (self->view);
  GtkWidget *title = header ? gtk_widget_get_first_child (header) : NULL;
  graphene_rect_t r, hr = GRAPHENE_RECT_INIT (0, 0, 0, 0);
  GHashTableIter it;
  gpointer item;
  int i = 0;

  g_string_append (out, ", \"headers\": [");
  for (; title && i < N_COLS; title = gtk_widget_get_next_sibling (title), i++)
    if (gtk_widget_compute_bounds (title, GTK_WIDGET (self), &r))
      g_string_append_printf (out, "%s[\"%s\", %d, %d, %d, %d]", i ? ", " : "", col_ids[i], (int) r.origin.x,
                              (int) r.origin.y, (int) r.size.width, (int) r.size.height);
  g_string_append (out, "]");
  if (gtk_widget_compute_bounds (self->idle_toggle, GTK_WIDGET (self), &r))
    g_string_append_printf (out, ", \"idle-toggle\": [%d, %d, %d, %d]", (int) r.origin.x, (int) r.origin.y,
                            (int) r.size.width, (int) r.size.height);
  g_string_append (out, ", \"on-screen\": [");
  if (header && !gtk_widget_compute_bounds (header, GTK_WIDGET (self), &hr))
    graphene_rect_init (&hr, 0, 0, 0, 0);
  i = 0;
  g_hash_table_iter_init (&it, self->bound);
  while (g_hash_table_iter_next (&it, &item, NULL))
    {
      Bound *b = bound_of (item);
      GtkWidget *child = gtk_list_item_get_child (item);
      g_autofree char *t = NULL;

      if (!b->icon || !b->row || !gtk_widget_get_mapped (child) ||
          !gtk_widget_compute_bounds (child, GTK_WIDGET (self), &r) ||
          r.origin.y < hr.origin.y + hr.size.height || r.origin.y + r.size.height > gtk_widget_get_height (GTK_WIDGET (self)))
        continue;
      t = g_strescape (leco_row_get_title (b->row), NULL);
      g_string_append_printf (out, "%s[\"%s\", %d, %d]", i++ ? ", " : "", t, (int) r.origin.y, (int) r.size.height);
    }
  g_string_append (out, "]");
}

void
leco_popover_set_blocked (LecoPopover *self, LecoBlockedList *list)
{
  g_return_if_fail (!self->blocked);
  self->blocked = leco_blocked_view_new (list);
  gtk_stack_add_titled (GTK_STACK (self->pages), self->blocked, "blocked", _("Blocked"));
}

void
leco_popover_show_blocked (LecoPopover *self, const char *key)
{
  gtk_window_present (GTK_WINDOW (self));
  if (!self->blocked)
    return;
  gtk_stack_set_visible_child (GTK_STACK (self->pages), self->blocked);
  if (key && *key)
    leco_blocked_view_select (LECO_BLOCKED_VIEW (self->blocked), key);
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
  guint sel = gtk_single_selection_get_selected (self->selection);
  g_autoptr (GtkTreeListRow) strow = sel != GTK_INVALID_LIST_POSITION
                                       ? g_list_model_get_item (G_LIST_MODEL (self->sorted), sel) : NULL;
  g_autoptr (LecoRow) srow = strow ? gtk_tree_list_row_get_item (strow) : NULL;
  g_autofree char *selected = json_title (srow);
  g_autofree char *first = json_title (row_at (self, 0, TRUE));
  double vx = 0, vy = 0;
  g_autofree char *under = NULL;
  g_autofree char *empty = g_strescape (gtk_label_get_text (GTK_LABEL (self->empty)), NULL);
  g_autofree char *status = g_strescape (gtk_label_get_text (GTK_LABEL (self->status)), NULL);
  g_autofree char *summary = g_strescape (gtk_label_get_text (GTK_LABEL (self->summary)), NULL);
  g_autofree char *search = g_strescape (gtk_editable_get_text (GTK_EDITABLE (self->search)), NULL);
  int dw = 0, dh = 0;

  gtk_widget_translate_coordinates (self->scroll, self->view, self->px, self->py, &vx, &vy);
  under = json_title (self->pointer_in ? row_at (self, vy, FALSE) : NULL);
  gtk_window_get_default_size (GTK_WINDOW (self), &dw, &dh);
  g_string_append_printf (out, "\"banner-visible\": %s, \"banner-text\": \"%s\", \"banner-tooltip\": \"%s\", "
                          "\"banner-ellipsized\": %s, \"banner-width\": %d, \"window-width\": %d",
                          gtk_widget_get_visible (self->banner) &&
                          gtk_revealer_get_child_revealed (GTK_REVEALER (self->banner)) ? "true" : "false",
                          text, tooltip, pango_layout_is_ellipsized (layout) ? "true" : "false",
                          gtk_widget_get_width (self->banner), gtk_widget_get_width (GTK_WIDGET (self)));
  g_string_append_printf (out, ", \"window-height\": %d, \"default-width\": %d, \"default-height\": %d, "
                          "\"decorated\": %s, \"resizable\": %s, \"has-header\": %s, \"maximized\": %s, "
                          "\"sort-column\": \"%s\", \"sort-descending\": %s, \"selected\": %s, "
                          "\"first-visible\": %s, \"pointer-in\": %s, \"pointer-row\": %s, "
                          "\"reorder-pending\": %s, \"empty-visible\": %s, \"empty-text\": \"%s\", "
                          "\"status-visible\": %s, \"status-text\": \"%s\", \"summary\": \"%s\", "
                          "\"stale\": %s, \"show-idle\": %s, \"shown-rows\": %u, \"view-width\": %d, "
                          "\"view-natural-width\": %d",
                          gtk_widget_get_height (GTK_WIDGET (self)), dw, dh,
                          gtk_window_get_decorated (GTK_WINDOW (self)) ? "true" : "false",
                          gtk_window_get_resizable (GTK_WINDOW (self)) ? "true" : "false",
                          gtk_window_get_titlebar (GTK_WINDOW (self)) == self->header ? "true" : "false",
                          gtk_window_is_maximized (GTK_WINDOW (self)) ? "true" : "false",
                          self->sort_col >= 0 ? col_ids[self->sort_col] : "",
                          self->sort_desc ? "true" : "false", selected, first,
                          self->pointer_in ? "true" : "false", under,
                          self->reorder_pending ? "true" : "false",
                          gtk_widget_get_visible (self->empty) ? "true" : "false", empty,
                          gtk_widget_get_visible (self->status) ? "true" : "false", status, summary,
                          self->stale ? "true" : "false", self->show_idle ? "true" : "false",
                          g_list_model_get_n_items (G_LIST_MODEL (self->filtered)),
                          gtk_widget_get_width (self->scroll), ({
                            int nat = 0;
                            gtk_widget_measure (self->view, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &nat, NULL,
                                                NULL);
                            nat;
                          }));
  g_string_append_printf (out, ", \"search-text\": \"%s\"", search);
  {
    graphene_rect_t br;

    if (!gtk_widget_compute_bounds (self->banner, GTK_WIDGET (self), &br))
      graphene_rect_init (&br, 0, 0, 0, 0);
    g_string_append_printf (out, ", \"banner-y\": %d, \"banner-height\": %d", (int) br.origin.y,
                            (int) br.size.height);
  }
  dump_geometry (self, out);
  g_string_append_printf (out, ", \"page\": \"%s\"", gtk_stack_get_visible_child_name (GTK_STACK (self->pages)));
  if (self->blocked)
    {
      /* the switcher's, as shown */
      const char *title = gtk_stack_page_get_title (gtk_stack_get_page (GTK_STACK (self->pages), self->blocked));

      g_string_append_printf (out, ", \"blocked-title\": \"%s\", ", title);
      leco_blocked_view_dump (LECO_BLOCKED_VIEW (self->blocked), out);
    }
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
      g_autofree char *down = text_down (row), *up = text_up (row);
      g_autofree char *tip = bytes_tooltip (row);
      g_autofree char *tip_e = g_strescape (tip, NULL);

      g_string_append_printf (out,
                              "{\"depth\": %u, \"cgroup-id\": %" G_GUINT64_FORMAT ", \"title\": \"%s\", "
                              "\"subtitle\": \"%s\", \"rx-bytes\": %" G_GUINT64_FORMAT ", \"tx-bytes\": %"
                              G_GUINT64_FORMAT ", \"rx-rate\": %" G_GUINT64_FORMAT ", \"tx-rate\": %"
                              G_GUINT64_FORMAT ", \"connections\": %u, \"blocked\": %" G_GUINT64_FORMAT
                              ", \"selected\": %s, \"expanded\": %s, \"down-text\": \"%s\", \"up-text\": \"%s\", "
                              "\"bytes-tooltip\": \"%s\", \"last-active\": %" G_GINT64_FORMAT "}\n",
                              gtk_tree_list_row_get_depth (trow), leco_row_get_cgroup_id (row), title, sub,
                              leco_row_get_rx_bytes (row), leco_row_get_tx_bytes (row),
                              leco_row_get_rx_rate (row), leco_row_get_tx_rate (row),
                              leco_row_get_connections (row), leco_row_get_blocked (row),
                              gtk_single_selection_get_selected (self->selection) == i ? "true" : "false",
                              gtk_tree_list_row_get_expanded (trow) ? "true" : "false", down, up, tip_e,
                              leco_row_get_last_active (row));
    }
}

/* ---- header hook (issue 12: the muted-apps button) ---------------------- */

