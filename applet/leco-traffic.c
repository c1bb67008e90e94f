/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "leco-applet"

#include "config.h"

#include "leco-traffic.h"

struct _LecoTraffic {
  GListStore *rows;            /* LecoRow per cgroup, in arrival order */
  GHashTable *by_id;           /* cgroup id -> LecoRow (owned by rows) */
  guint64 rx_rate, tx_rate;    /* sums over the rows */
  guint64 skipped;             /* records without a cgroup id */
};

LecoTraffic *
leco_traffic_new (void)
{
  LecoTraffic *self = g_new0 (LecoTraffic, 1);

  self->rows = g_list_store_new (LECO_TYPE_ROW);
  self->by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  return self;
}

void
leco_traffic_free (LecoTraffic *self)
{
  if (!self)
    return;
  g_hash_table_unref (self->by_id);
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

static guint
apply (LecoTraffic *self, GVariant *records, gint64 now_us, GHashTable *seen)
{
  g_autoptr (GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
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

      if (leco_traffic_record_parse (v, &rec))
        {
          row = g_hash_table_lookup (self->by_id, &rec.cgroup_id);
          if (!row)
            {
              row = leco_row_new_cgroup (rec.cgroup_id);
              g_hash_table_insert (self->by_id, g_memdup2 (&rec.cgroup_id, sizeof rec.cgroup_id), row);
              g_ptr_array_add (added, row);
            }
          /* the sums follow each row's change: no walk over all rows */
          self->rx_rate -= leco_row_get_rx_rate (row);
          self->tx_rate -= leco_row_get_tx_rate (row);
          leco_row_update_traffic (row, &rec, now_us);
          self->rx_rate += leco_row_get_rx_rate (row);
          self->tx_rate += leco_row_get_tx_rate (row);
          if (seen)
            g_hash_table_add (seen, row);
          n++;
        }
      else
        {
          if (self->skipped++ == 0)
            g_warning ("a traffic record without a cgroup-id (t): ignored (logged once)");
        }
      leco_traffic_record_clear (&rec);
      g_variant_unref (v);
    }
  /* new rows in one items-changed, not one per row */
  if (added->len)
    g_list_store_splice (self->rows, g_list_model_get_n_items (G_LIST_MODEL (self->rows)), 0, added->pdata,
                         added->len);
  return n;
}

guint
leco_traffic_apply (LecoTraffic *self, GVariant *records, gint64 now_us)
{
  return apply (self, records, now_us, NULL);
}

guint
leco_traffic_reset (LecoTraffic *self, GVariant *records, gint64 now_us)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  GListModel *m = G_LIST_MODEL (self->rows);
  guint n = apply (self, records, now_us, seen);

  /* rows the daemon no longer has (its kernel map let them go, or it
   * restarted): stale, gone; runs of them leave in one splice */
  for (guint i = g_list_model_get_n_items (m); i > 0; i--)
    {
      g_autoptr (LecoRow) row = g_list_model_get_item (m, i - 1);
      guint64 id = leco_row_get_cgroup_id (row);
      guint end = i;

      if (g_hash_table_contains (seen, row))
        continue;
      self->rx_rate -= leco_row_get_rx_rate (row);
      self->tx_rate -= leco_row_get_tx_rate (row);
      g_hash_table_remove (self->by_id, &id);
      while (i > 1)
        {
          g_autoptr (LecoRow) prev = g_list_model_get_item (m, i - 2);
          guint64 pid = leco_row_get_cgroup_id (prev);

          if (g_hash_table_contains (seen, prev))
            break;
          self->rx_rate -= leco_row_get_rx_rate (prev);
          self->tx_rate -= leco_row_get_tx_rate (prev);
          g_hash_table_remove (self->by_id, &pid);
          i--;
        }
      g_list_store_splice (self->rows, i - 1, end - i + 1, NULL, 0);
    }
  return n;
}
