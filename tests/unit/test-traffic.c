/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The applet's traffic rows (applet/leco-traffic.c, leco-row.c): records
 * read in one pass, rows updated in place with one ::changed each, rate
 * sums kept without a walk, rows the daemon forgot removed on reset, and
 * malformed records (no cgroup id, wrong value types, not a dict) ignored
 * without harm.
 */
#include <glib.h>

#include "leco-traffic.h"

/* a record the way the daemon sends it, with its arguments in key order */
static GVariant *
record (guint64 id, const char *cgroup, const char *unit, const char *app_id, guint64 rx_rate,
        guint64 tx_rate, guint64 rx, guint64 tx, guint32 conns, guint64 blocked)
{
  GVariantBuilder d;

  g_variant_builder_init (&d, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&d, "{sv}", "cgroup-id", g_variant_new_uint64 (id));
  g_variant_builder_add (&d, "{sv}", "cgroup", g_variant_new_string (cgroup));
  g_variant_builder_add (&d, "{sv}", "unit", g_variant_new_string (unit));
  g_variant_builder_add (&d, "{sv}", "slice", g_variant_new_string ("system.slice"));
  g_variant_builder_add (&d, "{sv}", "app-id", g_variant_new_string (app_id));
  g_variant_builder_add (&d, "{sv}", "rx-bytes", g_variant_new_uint64 (rx));
  g_variant_builder_add (&d, "{sv}", "tx-bytes", g_variant_new_uint64 (tx));
  g_variant_builder_add (&d, "{sv}", "rx-rate", g_variant_new_uint64 (rx_rate));
  g_variant_builder_add (&d, "{sv}", "tx-rate", g_variant_new_uint64 (tx_rate));
  g_variant_builder_add (&d, "{sv}", "connections", g_variant_new_uint32 (conns));
  g_variant_builder_add (&d, "{sv}", "blocked", g_variant_new_uint64 (blocked));
  return g_variant_builder_end (&d);
}

/* records through the D-Bus wire format, as a signal handler gets them */
static GVariant *
list (GVariant **recs, gsize n)
{
  GVariant *arr = g_variant_new_array (G_VARIANT_TYPE_VARDICT, recs, n);
  g_autoptr (GDBusMessage) msg = g_dbus_message_new_signal ("/org/leco/Overseer", "org.leco.Overseer1",
                                                            "TrafficUpdated");
  g_autoptr (GDBusMessage) back = NULL;
  g_autofree guchar *blob = NULL;
  gsize size = 0;

  g_dbus_message_set_serial (msg, 1);
  g_dbus_message_set_body (msg, g_variant_new_tuple (&arr, 1));
  blob = g_dbus_message_to_blob (msg, &size, G_DBUS_CAPABILITY_FLAGS_NONE, NULL);
  back = g_dbus_message_new_from_blob (blob, size, G_DBUS_CAPABILITY_FLAGS_NONE, NULL);
  g_assert_nonnull (back);
  return g_variant_get_child_value (g_dbus_message_get_body (back), 0);
}

static void
count_changed (LecoRow *row, guint what, gpointer data)
{
  guint *calls = data;

  calls[0]++;
  calls[1] |= what;
}

static void
test_parse (void)
{
  g_autoptr (GVariant) r = g_variant_ref_sink (record (42, "/system.slice/x.service", "x.service", "", 10, 20,
                                                       300, 400, 3, 5));
  LecoTrafficRecord rec;

  g_assert_true (leco_traffic_record_parse (r, &rec));
  g_assert_cmpuint (rec.have, ==, LECO_RECORD_CGROUP_ID | LECO_RECORD_RX_RATE | LECO_RECORD_TX_RATE |
                                      LECO_RECORD_RX_BYTES | LECO_RECORD_TX_BYTES | LECO_RECORD_BLOCKED |
                                      LECO_RECORD_CONNECTIONS);
  g_assert_cmpuint (rec.cgroup_id, ==, 42);
  g_assert_cmpuint (rec.rx_rate, ==, 10);
  g_assert_cmpuint (rec.tx_rate, ==, 20);
  g_assert_cmpuint (rec.rx_bytes, ==, 300);
  g_assert_cmpuint (rec.tx_bytes, ==, 400);
  g_assert_cmpuint (rec.connections, ==, 3);
  g_assert_cmpuint (rec.blocked, ==, 5);
  g_assert_cmpstr (g_variant_get_string (rec.unit, NULL), ==, "x.service");
  g_assert_cmpstr (g_variant_get_string (rec.cgroup, NULL), ==, "/system.slice/x.service");
  g_assert_cmpstr (g_variant_get_string (rec.app_id, NULL), ==, "");
  leco_traffic_record_clear (&rec);
  g_assert_null (rec.unit);
}

static void
test_parse_malformed (void)
{
  GVariantBuilder d;
  g_autoptr (GVariant) r = NULL, s = NULL;
  LecoTrafficRecord rec;

  /* wrong types are ignored, not converted; a repeated key: the last one */
  g_variant_builder_init (&d, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&d, "{sv}", "cgroup-id", g_variant_new_uint32 (7));
  g_variant_builder_add (&d, "{sv}", "rx-rate", g_variant_new_string ("fast"));
  g_variant_builder_add (&d, "{sv}", "unit", g_variant_new_uint64 (1));
  g_variant_builder_add (&d, "{sv}", "cgroup", g_variant_new_string ("/a"));
  g_variant_builder_add (&d, "{sv}", "cgroup", g_variant_new_string ("/b"));
  g_variant_builder_add (&d, "{sv}", "connections", g_variant_new_uint64 (9));
  r = g_variant_ref_sink (g_variant_builder_end (&d));
  g_assert_false (leco_traffic_record_parse (r, &rec));
  g_assert_cmpuint (rec.have, ==, 0);
  g_assert_null (rec.unit);
  g_assert_cmpstr (g_variant_get_string (rec.cgroup, NULL), ==, "/b");
  leco_traffic_record_clear (&rec);

  /* not a dictionary at all */
  s = g_variant_ref_sink (g_variant_new_string ("garbage"));
  g_assert_false (leco_traffic_record_parse (s, &rec));
  leco_traffic_record_clear (&rec);
}

static void
test_apply_in_place (void)
{
  g_autoptr (LecoTraffic) t = leco_traffic_new ();
  GVariant *recs[3];
  g_autoptr (GVariant) first = NULL, second = NULL;
  g_autoptr (LecoRow) row0 = NULL;
  LecoRow *row;
  guint calls[2] = { 0, 0 };

  recs[0] = record (1, "/a.slice/a.service", "a.service", "", 100, 10, 1000, 100, 1, 0);
  recs[1] = record (2, "/b.slice/b.service", "b.service", "", 200, 20, 2000, 200, 2, 0);
  first = list (recs, 2);
  g_assert_cmpuint (leco_traffic_apply (t, first, 1), ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (leco_traffic_get_rows (t)), ==, 2);
  g_assert_cmpuint (leco_traffic_get_rx_rate (t), ==, 300);
  g_assert_cmpuint (leco_traffic_get_tx_rate (t), ==, 30);
  row0 = g_list_model_get_item (leco_traffic_get_rows (t), 0);
  g_assert_cmpstr (leco_row_get_title (row0), ==, "a.service");
  g_signal_connect (row0, "changed", G_CALLBACK (count_changed), calls);

  /* only cgroup 1 changed: updated in place, the same object, one signal */
  recs[0] = record (1, "/a.slice/a.service", "a.service", "", 5, 1, 1500, 150, 0, 2);
  recs[1] = record (3, "", "", "", 0, 0, 10, 10, 0, 0);
  second = list (recs, 2);
  g_assert_cmpuint (leco_traffic_apply (t, second, 2), ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (leco_traffic_get_rows (t)), ==, 3);
  row = leco_traffic_lookup (t, 1);
  g_assert_true (row == row0);
  g_assert_cmpuint (calls[0], ==, 1);
  g_assert_cmpuint (calls[1] & LECO_ROW_CHANGED_TRAFFIC, !=, 0);
  g_assert_cmpuint (calls[1] & LECO_ROW_CHANGED_BLOCKED, !=, 0);
  g_assert_cmpuint (calls[1] & LECO_ROW_CHANGED_NAME, ==, 0);
  g_assert_cmpuint (leco_row_get_rx_bytes (row), ==, 1500);
  g_assert_cmpuint (leco_row_get_connections (row), ==, 0);
  g_assert_cmpuint (leco_row_get_blocked (row), ==, 2);
  g_assert_cmpint (leco_row_get_last_active (row), ==, 2);
  g_assert_cmpuint (leco_traffic_get_rx_rate (t), ==, 205);
  g_assert_cmpuint (leco_traffic_get_tx_rate (t), ==, 21);
  /* a cgroup gone before the daemon could name it */
  g_assert_cmpstr (leco_row_get_title (leco_traffic_lookup (t, 3)), ==, "cgroup 3 (removed)");
}

static void
test_reset_drops_forgotten (void)
{
  g_autoptr (LecoTraffic) t = leco_traffic_new ();
  GVariant *recs[5];
  g_autoptr (GVariant) all = NULL, after = NULL;

  for (guint i = 0; i < 5; i++)
    recs[i] = record (10 + i, "/x", "", "", 10 * (i + 1), 1, i, i, 0, 0);
  all = list (recs, 5);
  leco_traffic_apply (t, all, 1);
  g_assert_cmpuint (leco_traffic_get_rx_rate (t), ==, 150);

  /* the daemon now lists 11 and 14 only (and 20, new) */
  recs[0] = record (11, "/x", "", "", 20, 1, 1, 1, 0, 0);
  recs[1] = record (14, "/x", "", "", 50, 1, 4, 4, 0, 0);
  recs[2] = record (20, "/y", "", "", 7, 1, 0, 0, 0, 0);
  after = list (recs, 3);
  g_assert_cmpuint (leco_traffic_reset (t, after, 2), ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (leco_traffic_get_rows (t)), ==, 3);
  g_assert_null (leco_traffic_lookup (t, 10));
  g_assert_null (leco_traffic_lookup (t, 12));
  g_assert_null (leco_traffic_lookup (t, 13));
  g_assert_nonnull (leco_traffic_lookup (t, 11));
  g_assert_nonnull (leco_traffic_lookup (t, 14));
  g_assert_nonnull (leco_traffic_lookup (t, 20));
  g_assert_cmpuint (leco_traffic_get_rx_rate (t), ==, 77);
  g_assert_cmpuint (leco_traffic_get_tx_rate (t), ==, 3);
}

static void
test_removed (void)
{
  g_autoptr (LecoTraffic) t = leco_traffic_new ();
  GVariant *recs[4];
  g_autoptr (GVariant) all = NULL, gone = NULL;
  GVariantBuilder d;

  for (guint i = 0; i < 4; i++)
    recs[i] = record (30 + i, "/s", "", "", i + 1, 1, 0, 0, 0, 0);
  all = list (recs, 4);
  leco_traffic_apply (t, all, 1);
  g_assert_cmpuint (leco_traffic_get_rx_rate (t), ==, 10);

  /* 31 and 32 go; 40 is new and gone within the same update; 99 unknown */
  recs[0] = g_variant_new_parsed ("{'cgroup-id': <@t 31>, 'removed': <true>}");
  recs[1] = g_variant_new_parsed ("{'cgroup-id': <@t 32>, 'removed': <true>}");
  recs[2] = record (40, "/n", "", "", 5, 0, 0, 0, 0, 0);
  g_variant_builder_init (&d, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&d, "{sv}", "cgroup-id", g_variant_new_uint64 (40));
  g_variant_builder_add (&d, "{sv}", "removed", g_variant_new_boolean (TRUE));
  g_variant_builder_add (&d, "{sv}", "cgroup-id", g_variant_new_uint64 (40));
  recs[3] = g_variant_builder_end (&d);
  gone = list (recs, 4);
  g_assert_cmpuint (leco_traffic_apply (t, gone, 2), ==, 4);
  g_assert_cmpuint (g_list_model_get_n_items (leco_traffic_get_rows (t)), ==, 2);
  g_assert_nonnull (leco_traffic_lookup (t, 30));
  g_assert_null (leco_traffic_lookup (t, 31));
  g_assert_null (leco_traffic_lookup (t, 32));
  g_assert_nonnull (leco_traffic_lookup (t, 33));
  g_assert_null (leco_traffic_lookup (t, 40));
  g_assert_cmpuint (leco_traffic_get_rx_rate (t), ==, 1 + 4);

  /* "removed": false is an ordinary record */
  {
    GVariant *r[1] = { g_variant_new_parsed ("{'cgroup-id': <@t 30>, 'removed': <false>, 'rx-rate': <@t 9>}") };
    g_autoptr (GVariant) l = list (r, 1);

    leco_traffic_apply (t, l, 3);
    g_assert_cmpuint (leco_row_get_rx_rate (leco_traffic_lookup (t, 30)), ==, 9);
  }
}

static void
test_malformed_list (void)
{
  g_autoptr (LecoTraffic) t = leco_traffic_new ();
  GVariantBuilder d;
  GVariant *recs[2];
  g_autoptr (GVariant) l = NULL, wrong = NULL;

  g_variant_builder_init (&d, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&d, "{sv}", "rx-rate", g_variant_new_uint64 (5));
  recs[0] = g_variant_builder_end (&d);    /* no cgroup id: skipped */
  recs[1] = record (1, "/a", "", "", 1, 1, 1, 1, 0, 0);
  l = list (recs, 2);
  g_test_expect_message ("leco-applet", G_LOG_LEVEL_WARNING, "*without a cgroup-id*");
  g_assert_cmpuint (leco_traffic_apply (t, l, 1), ==, 1);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (leco_traffic_get_skipped (t), ==, 1);
  g_assert_cmpuint (leco_traffic_get_rx_rate (t), ==, 1);

  /* the wrong container type: a warning, nothing applied */
  wrong = g_variant_ref_sink (g_variant_new_strv ((const char *[]) { "a", NULL }, -1));
  g_test_expect_message ("leco-applet", G_LOG_LEVEL_WARNING, "*not aa{sv}*");
  g_assert_cmpuint (leco_traffic_apply (t, wrong, 2), ==, 0);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (g_list_model_get_n_items (leco_traffic_get_rows (t)), ==, 1);
}

static void
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
}

/* The records are let go once the main loop is idle (after the frame that
 * shows them), not while the update is applied; a row's serial moves at
 * every change (the popover's cells compare it with what they show). */
static void
test_records_kept_until_idle (void)
{
  g_autoptr (LecoTraffic) t = leco_traffic_new ();
  GVariant *recs[1];
  GVariant *records;
  gboolean freed = FALSE;
  guint serial;

  g_autoptr (GVariant) wire = NULL;

  recs[0] = record (7, "/a.slice/a.service", "a.service", "", 1, 2, 3, 4, 1, 0);
  wire = list (recs, 1);
  /* the same records, told when they are freed */
  records = g_variant_new_from_data (G_VARIANT_TYPE ("aa{sv}"), g_variant_get_data (wire),
                                     g_variant_get_size (wire), FALSE, set_flag, &freed);
  g_variant_ref_sink (records);
  g_assert_cmpuint (leco_traffic_apply (t, records, 1), ==, 1);
  serial = leco_row_get_serial (leco_traffic_lookup (t, 7));
  g_variant_unref (records);
  g_assert_false (freed);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_true (freed);

  recs[0] = record (7, "/a.slice/a.service", "a.service", "", 5, 6, 7, 8, 1, 0);
  records = list (recs, 1);
  g_assert_cmpuint (leco_traffic_apply (t, records, 2), ==, 1);
  g_variant_unref (records);
  g_assert_cmpuint (leco_row_get_serial (leco_traffic_lookup (t, 7)), !=, serial);
  /* still held when the LecoTraffic goes: freed with it (no leak) */
}

/* The kernel's names for what is no program's said in words: the root
 * cgroup, cgroup 0 (inbound with no local socket); a unit keeps its name. */
static void
test_names (void)
{
  g_autoptr (LecoTraffic) t = leco_traffic_new ();
  GVariant *recs[] = {
    record (1, "/", "", "", 0, 0, 0, 0, 0, 0),
    record (0, "", "", "", 0, 0, 0, 0, 0, 3),
    record (7, "/system.slice/cups.service", "cups.service", "", 0, 0, 0, 0, 0, 0),
  };
  g_autoptr (GVariant) l = list (recs, G_N_ELEMENTS (recs));

  g_assert_cmpuint (leco_traffic_apply (t, l, 1000), ==, 3);
  g_assert_cmpstr (leco_row_get_title (leco_traffic_lookup (t, 1)), ==, "System (root cgroup)");
  g_assert_cmpstr (leco_row_get_subtitle (leco_traffic_lookup (t, 1)), ==, "");
  g_assert_cmpstr (leco_row_get_title (leco_traffic_lookup (t, 0)), ==, "Inbound, no local program");
  g_assert_cmpstr (leco_row_get_subtitle (leco_traffic_lookup (t, 0)), ==, "");
  g_assert_cmpstr (leco_row_get_title (leco_traffic_lookup (t, 7)), ==, "cups.service");
  g_assert_cmpstr (leco_row_get_cgroup_path (leco_traffic_lookup (t, 7)), ==, "/system.slice/cups.service");
}

/* Idle: no traffic and no open connections for longer than the limit,
 * counted from the last activity or, never active, from the first update;
 * a removed cgroup (no path) at once. */
static void
test_idle (void)
{
  g_autoptr (LecoTraffic) t = leco_traffic_new ();
  const gint64 min = 60 * G_USEC_PER_SEC, limit = 10 * min;
  GVariant *recs[] = {
    record (1, "/a.scope", "a.scope", "", 5, 0, 5, 0, 0, 0),      /* active */
    record (2, "/b.scope", "b.scope", "", 0, 0, 0, 0, 2, 0),      /* connections open */
    record (3, "/c.scope", "c.scope", "", 0, 0, 9, 9, 0, 0),      /* quiet */
    record (4, "", "", "", 0, 0, 0, 0, 0, 0),                     /* removed before named */
  };
  g_autoptr (GVariant) l = list (recs, G_N_ELEMENTS (recs));

  leco_traffic_apply (t, l, min);
  g_assert_false (leco_row_is_idle (leco_traffic_lookup (t, 3), min + limit - 1, limit));
  g_assert_true (leco_row_is_idle (leco_traffic_lookup (t, 3), min + limit + 1, limit));
  g_assert_false (leco_row_is_idle (leco_traffic_lookup (t, 1), min + 5 * min, limit));
  g_assert_false (leco_row_is_idle (leco_traffic_lookup (t, 2), min + 60 * min, limit));
  g_assert_true (leco_row_is_idle (leco_traffic_lookup (t, 4), min, limit));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/traffic/parse", test_parse);
  g_test_add_func ("/traffic/parse-malformed", test_parse_malformed);
  g_test_add_func ("/traffic/apply-in-place", test_apply_in_place);
  g_test_add_func ("/traffic/reset-drops-forgotten", test_reset_drops_forgotten);
  g_test_add_func ("/traffic/removed", test_removed);
  g_test_add_func ("/traffic/malformed-list", test_malformed_list);
  g_test_add_func ("/traffic/records-kept-until-idle", test_records_kept_until_idle);
  g_test_add_func ("/traffic/names", test_names);
  g_test_add_func ("/traffic/idle", test_idle);
  return g_test_run ();
}
