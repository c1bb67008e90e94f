/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "leco-applet"

#include "config.h"

#include "leco-traffic.h"

struct _LecoTraffic {
  GListStore *rows;            /* LecoRow per cgroup, in arrival order */
  GHashTable *by_id;           /* cgroup id -> LecoRow (owned by rows) */
  guint64 rx_rate, tx_rate;    /* sums over the rows */
  guint64 skipped;             /* records without a cgroup id */
  GArray *later;               /* LecoTrafficRecord, apply()'s, kept: a
                                * new 80 kB array per update cost more
                                * (realloc, malloc_consolidate) than its use */
  GPtrArray *spent;            /* records applied, let go after the frame */
  guint spent_idle;
};

static void
record_clear (gpointer rec)
{
  leco_traffic_record_clear (rec);
}

LecoTraffic *
leco_traffic_new (void)
{
  LecoTraffic *self = g_new0 (LecoTraffic, 1);

  self->rows = g_list_store_new (LECO_TYPE_ROW);
  self->by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->later = g_array_new (FALSE, FALSE, sizeof (LecoTrafficRecord));
  g_array_set_clear_func (self->later, record_clear);
  self->spent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  return self;
}

void
leco_traffic_free (LecoTraffic *self)
{
  if (!self)
    return;
  g_hash_table_unref (self->by_id);
  g_array_unref (self->later);
  g_clear_handle_id (&self->spent_idle, g_source_remove);
  g_ptr_array_unref (self->spent);
  g_object_unref (self->rows);
  g_free (self);
}

GListModel *
leco_traffic_get_rows (LecoTraffic *self)
{
  return G_LIST_MODEL (self->rows);
}

LecoRow *
leco_traffic_lookup (LecoTraffic *self, guint64 cgroup_id)
{
  return g_hash_table_lookup (self->by_id, &cgroup_id);
}

guint64 leco_traffic_get_rx_rate (LecoTraffic *self) { return self->rx_rate; }
guint64 leco_traffic_get_tx_rate (LecoTraffic *self) { return self->tx_rate; }
guint64 leco_traffic_get_skipped (LecoTraffic *self) { return self->skipped; }

/* Removes the rows that are (in_set) or are not (!in_set) in set, runs of
 * them in one splice each. */
static void
remove_rows (LecoTraffic *self, GHashTable *set, gboolean in_set)
{
  GListModel *m = G_LIST_MODEL (self->rows);

  for (guint i = g_list_model_get_n_items (m); i > 0; i--)
    {
      guint end = i;

      while (i > 0)
        {
          g_autoptr (LecoRow) row = g_list_model_get_item (m, i - 1);
          guint64 id = leco_row_get_cgroup_id (row);

          if (g_hash_table_contains (set, row) != in_set)
            break;
          self->rx_rate -= leco_row_get_rx_rate (row);
          self->tx_rate -= leco_row_get_tx_rate (row);
          g_hash_table_remove (self->by_id, &id);
          i--;
        }
      if (i < end)
        g_list_store_splice (self->rows, i, end - i, NULL, 0);
      if (i == 0)
        break;
    }
}

static void
update_row (LecoTraffic *self, LecoRow *row, const LecoTrafficRecord *rec, gint64 now_us, GHashTable *seen)
{
  /* the sums follow each row's change: no walk over all rows */
  self->rx_rate -= leco_row_get_rx_rate (row);
  self->tx_rate -= leco_row_get_tx_rate (row);
  leco_row_update_traffic (row, rec, now_us);
  self->rx_rate += leco_row_get_rx_rate (row);
  self->tx_rate += leco_row_get_tx_rate (row);
  if (seen)
    g_hash_table_add (seen, row);
}

/*
 * In an order that keeps a sorted view over the rows consistent: new rows
 * join the model (a sort model merges them into its order) while the rows
 * it holds still have the values it sorted them by; only then do those
 * change, and the view re-sorts once (leco_popover_refresh).  Merging into
 * rows whose values changed behind the sort model's back breaks its order.
 */
static guint
apply (LecoTraffic *self, GVariant *records, gint64 now_us, GHashTable *seen)
{
  g_autoptr (GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GHashTable) removed = g_hash_table_new (NULL, NULL);
  GArray *later = self->later;
  GVariantIter it;
  GVariant *v;
  guint n = 0;

  if (!g_variant_is_of_type (records, G_VARIANT_TYPE ("aa{sv}")))
    {
      g_warning ("traffic records of type %s, not aa{sv}: ignored", g_variant_get_type_string (records));
      return 0;
    }
  g_variant_iter_init (&it, records);
  while ((v = g_variant_iter_next_value (&it)))
    {
      LecoTrafficRecord rec;
      LecoRow *row;

      if (!leco_traffic_record_parse (v, &rec))
        {
          if (self->skipped++ == 0)
            g_warning ("a traffic record without a cgroup-id (t): ignored (logged once)");
          leco_traffic_record_clear (&rec);
        }
      else if (rec.have & LECO_RECORD_REMOVED)
        {
          /* the daemon let the cgroup go (removed, nothing left open) */
          row = g_hash_table_lookup (self->by_id, &rec.cgroup_id);
          if (row)
            g_hash_table_add (removed, row);
          leco_traffic_record_clear (&rec);
          n++;
        }
      else if ((row = g_hash_table_lookup (self->by_id, &rec.cgroup_id)))
        {
          g_array_append_val (later, rec);   /* owns rec's strings now */
          n++;
        }
      else
        {
          row = leco_row_new_cgroup (rec.cgroup_id);
          g_hash_table_insert (self->by_id, g_memdup2 (&rec.cgroup_id, sizeof rec.cgroup_id), row);
          g_ptr_array_add (added, row);
          update_row (self, row, &rec, now_us, seen);
          leco_traffic_record_clear (&rec);
          n++;
        }
      g_variant_unref (v);
    }
  /* new rows in one items-changed, not one per row */
  if (added->len)
    g_list_store_splice (self->rows, g_list_model_get_n_items (G_LIST_MODEL (self->rows)), 0, added->pdata,
                         added->len);
  for (guint i = 0; i < later->len; i++)
    {
      const LecoTrafficRecord *rec = &g_array_index (later, LecoTrafficRecord, i);

      update_row (self, g_hash_table_lookup (self->by_id, &rec->cgroup_id), rec, now_us, seen);
    }
  g_array_set_size (later, 0);   /* the records' strings let go, the space kept */
  if (g_hash_table_size (removed))
    remove_rows (self, removed, TRUE);
  return n;
}

static gboolean
let_go (gpointer user_data)
{
  LecoTraffic *self = user_data;

  self->spent_idle = 0;
  g_ptr_array_set_size (self->spent, 0);
  return G_SOURCE_REMOVE;
}

/*
 * GDBus hands a signal's records as a tree of GVariants, one per value
 * (44,000 for 1,000 records), freed when the handler returns: ~3 ms on
 * the way to the frame that shows them.  Kept until the main loop is idle
 * (after the frame clock's paint, which runs at a higher priority), they
 * are freed after that frame instead.
 */
static void
keep_until_idle (LecoTraffic *self, GVariant *records)
{
  g_ptr_array_add (self->spent, g_variant_ref (records));
  if (!self->spent_idle)
    self->spent_idle = g_idle_add (let_go, self);
}

guint
leco_traffic_apply (LecoTraffic *self, GVariant *records, gint64 now_us)
{
  keep_until_idle (self, records);
  return apply (self, records, now_us, NULL);
}

guint
leco_traffic_reset (LecoTraffic *self, GVariant *records, gint64 now_us)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  guint n;

  keep_until_idle (self, records);
  n = apply (self, records, now_us, seen);

  /* rows the daemon no longer has (its kernel map let them go, or it
   * restarted): stale, gone */
  remove_rows (self, seen, FALSE);
  return n;
}
