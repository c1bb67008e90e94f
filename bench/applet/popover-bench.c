/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * popover-bench: what one TrafficUpdated costs the traffic window with many
 * cgroup rows, from the signal's records to the next painted frame.
 *
 * In process, with the applet's own code (libapplet): N LecoRows (one per
 * cgroup, as the applet's model holds them), a LecoPopover over them,
 * presented on the display ($DISPLAY, e.g. Xvfb).  Each iteration builds a
 * TrafficUpdated message where every row changed and takes its records
 * back from the wire format as GDBus gives them to a signal handler (not
 * timed), then times one of:
 *
 *   update:  new bytes and new rates for every row, in a new order by rate
 *            (the worst case): what the applet does on TrafficUpdated
 *            (leco_traffic_apply: each record read in one pass, its row
 *            found by cgroup id and updated in place, the sums adjusted;
 *            leco_popover_refresh: re-sort when the order no longer holds);
 *   steady:  the same with the rates as they were (new bytes and
 *            connection counts): the order holds, nothing is re-sorted;
 *   rebuild: the baseline: every row removed and a new LecoRow made per
 *            record (leco_traffic_reset to nothing, leco_traffic_apply),
 *            the same refresh;
 *
 * and then, with the window on its Blocked page over 1,000 entries:
 *
 *   blocked: one ConnectionBlocked repeating the oldest entry (the worst
 *            case: merged by key, moved from the last row to the first),
 *            what the applet does with it (leco_blocked_list_add);
 *
 * each up to the frame clock's "after-paint" of the next frame: the change
 * is made outside a frame (from a timeout), so that frame lays out and
 * paints all it queued.  The bench lets go of its records where GDBus
 * would (the handler returns), inside the timed span; the applet holds
 * them until the main loop is idle, so their tree of GVariants is freed
 * after that frame, as in the applet.
 * The kinds take turns (noisy machines), with an idle pause before each
 * so that the frame clock starts the frame at once.  The window has the
 * applet's default size: a screenful of rows is bound and drawn.
 *
 * Usage: popover-bench [--rows N] [--iterations N]
 * Prints one line: rows= iterations= update_median_ms= update_p95_ms=
 * update_apply_median_ms= rebuild_median_ms= rebuild_p95_ms=
 * rebuild_apply_median_ms= steady_median_ms= steady_p95_ms=
 * steady_apply_median_ms= blocked_median_ms= blocked_p95_ms=
 * blocked_apply_median_ms=
 */
#include <stdlib.h>

#include <gtk/gtk.h>

#include "leco-blocked.h"
#include "leco-client.h"
#include "leco-popover.h"
#include "leco-traffic.h"

typedef enum { KIND_UPDATE, KIND_REBUILD, KIND_STEADY, N_KINDS, KIND_BLOCKED = N_KINDS, N_ALL } Kind;

typedef struct {
  GtkApplication *app;
  LecoClient *client;
  LecoTraffic *traffic;
  LecoPopover *pop;
  GdkFrameClock *clock;
  guint n_rows, iterations, warmup;
  guint iter;                 /* counts all kinds */
  guint seq;
  Kind kind;
  gboolean waiting;
  gint64 t0, t_applied;
  guint64 *rate;              /* per row, as last sent */
  GArray *total[N_ALL], *apply[N_ALL];
  LecoBlockedList *blocked;   /* the Blocked page's, LECO_BLOCKED_MAX entries */
  guint blocked_seq;
  int width, height;            /* --size: the window's default size (0: its own) */
} Bench;

/* a ConnectionBlocked of entry i (its count-th) */
static GVariant *
blocked_record (guint i, guint32 count)
{
  GVariantBuilder d;
  char unit[32];

  g_snprintf (unit, sizeof unit, "bench-%04u.service", i % 100);
  g_variant_builder_init (&d, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&d, "{sv}", "id", g_variant_new_uint64 (i + 1));
  g_variant_builder_add (&d, "{sv}", "protocol", g_variant_new_string ("tcp"));
  g_variant_builder_add (&d, "{sv}", "family", g_variant_new_string ("ipv4"));
  g_variant_builder_add (&d, "{sv}", "direction", g_variant_new_string ("out"));
  g_variant_builder_add (&d, "{sv}", "local-address", g_variant_new_string ("192.0.2.1"));
  g_variant_builder_add (&d, "{sv}", "local-port", g_variant_new_uint16 (40000));
  g_variant_builder_add (&d, "{sv}", "remote-address", g_variant_new_string ("198.51.100.7"));
  g_variant_builder_add (&d, "{sv}", "remote-port", g_variant_new_uint16 (1000 + i));
  g_variant_builder_add (&d, "{sv}", "pid", g_variant_new_uint32 (4000 + i));
  g_variant_builder_add (&d, "{sv}", "comm", g_variant_new_string ("bench"));
  g_variant_builder_add (&d, "{sv}", "exe", g_variant_new_string ("/usr/bin/bench"));
  g_variant_builder_add (&d, "{sv}", "uid", g_variant_new_uint32 (0));
  g_variant_builder_add (&d, "{sv}", "user", g_variant_new_string ("root"));
  g_variant_builder_add (&d, "{sv}", "cgroup-id", g_variant_new_uint64 (1000 + i % 100));
  g_variant_builder_add (&d, "{sv}", "cgroup", g_variant_new_string (unit));
  g_variant_builder_add (&d, "{sv}", "unit", g_variant_new_string (unit));
  g_variant_builder_add (&d, "{sv}", "app-id", g_variant_new_string (""));
  g_variant_builder_add (&d, "{sv}", "reason", g_variant_new_string ("firewall"));
  g_variant_builder_add (&d, "{sv}", "kernel-reason", g_variant_new_string ("NETFILTER_DROP"));
  g_variant_builder_add (&d, "{sv}", "count", g_variant_new_uint32 (count));
  g_variant_builder_add (&d, "{sv}", "started", g_variant_new_int64 (g_get_real_time ()));
  g_variant_builder_add (&d, "{sv}", "last-seen", g_variant_new_int64 (g_get_real_time ()));
  return g_variant_ref_sink (g_variant_builder_end (&d));
}

static GVariant *
make_update (Bench *b)
{
  GVariantBuilder all;

  b->seq++;
  g_variant_builder_init (&all, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < b->n_rows; i++)
    {
      GVariantBuilder d;
      char path[64], unit[32];
      /* a fresh order by rate every time, or (steady) the rates as
       * they were with new byte counts: the order holds */
      guint64 rate = b->kind == KIND_STEADY ? b->rate[i]
                                            : (guint64) ((i * 2654435761u + b->seq * 40503u) % 100000u) * 10 + 1;

      g_snprintf (unit, sizeof unit, "bench-%04u.service", i);
      g_snprintf (path, sizeof path, "/system.slice/%s", unit);
      g_variant_builder_init (&d, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&d, "{sv}", "cgroup-id", g_variant_new_uint64 (1000 + i));
      g_variant_builder_add (&d, "{sv}", "cgroup", g_variant_new_string (path));
      g_variant_builder_add (&d, "{sv}", "unit", g_variant_new_string (unit));
      g_variant_builder_add (&d, "{sv}", "app-id", g_variant_new_string (""));
      g_variant_builder_add (&d, "{sv}", "rx-bytes", g_variant_new_uint64 ((guint64) b->seq * 100000 + i));
      g_variant_builder_add (&d, "{sv}", "tx-bytes", g_variant_new_uint64 ((guint64) b->seq * 50000 + i));
      b->rate[i] = rate;
      g_variant_builder_add (&d, "{sv}", "rx-rate", g_variant_new_uint64 (rate));
      g_variant_builder_add (&d, "{sv}", "tx-rate", g_variant_new_uint64 (rate / 2));
      g_variant_builder_add (&d, "{sv}", "connections", g_variant_new_uint32 ((i + b->seq) % 7));
      g_variant_builder_add (&d, "{sv}", "blocked", g_variant_new_uint64 (0));
      g_variant_builder_add_value (&all, g_variant_builder_end (&d));
    }
  {
    /* through the wire format and back, as GDBus hands a received
     * TrafficUpdated to the applet */
    g_autoptr (GDBusMessage) msg = g_dbus_message_new_signal ("/org/leco/Overseer", "org.leco.Overseer1",
                                                              "TrafficUpdated");
    g_autoptr (GDBusMessage) back = NULL;
    g_autoptr (GError) error = NULL;
    g_autofree guchar *blob = NULL;
    gsize size = 0;

    g_dbus_message_set_serial (msg, b->seq);
    g_dbus_message_set_body (msg, g_variant_new_tuple ((GVariant *[]) { g_variant_builder_end (&all) }, 1));
    blob = g_dbus_message_to_blob (msg, &size, G_DBUS_CAPABILITY_FLAGS_NONE, &error);
    if (blob)
      back = g_dbus_message_new_from_blob (blob, size, G_DBUS_CAPABILITY_FLAGS_NONE, &error);
    if (!back)
      g_error ("D-Bus round trip: %s", error->message);
    return g_variant_get_child_value (g_dbus_message_get_body (back), 0);
  }
}

static void
refresh (Bench *b)
{
  leco_popover_refresh (b->pop, leco_traffic_get_rx_rate (b->traffic), leco_traffic_get_tx_rate (b->traffic));
}

/* the applet's way: in place */
static void
apply_update (Bench *b, GVariant *records)
{
  leco_traffic_apply (b->traffic, records, g_get_real_time ());
  refresh (b);
}

/* the baseline: a new model's worth of rows (all removed, all added anew) */
static void
apply_rebuild (Bench *b, GVariant *records)
{
  g_autoptr (GVariant) none = g_variant_ref_sink (g_variant_new ("aa{sv}", NULL));

  leco_traffic_reset (b->traffic, none, g_get_real_time ());
  leco_traffic_apply (b->traffic, records, g_get_real_time ());
  refresh (b);
}

static gboolean next_iteration (gpointer data);

static void
on_after_paint (GdkFrameClock *clock, Bench *b)
{
  gint64 now;

  if (!b->waiting)
    return;
  now = g_get_monotonic_time ();
  b->waiting = FALSE;
  if (b->iter >= b->warmup)
    {
      double total = (now - b->t0) / 1000.0, apply = (b->t_applied - b->t0) / 1000.0;

      g_array_append_val (b->total[b->kind], total);
      g_array_append_val (b->apply[b->kind], apply);
    }
  b->iter++;
  /* idle a little: the next frame then starts as soon as it is asked for */
  g_timeout_add (40, next_iteration, b);
}

static gboolean
next_iteration (gpointer data)
{
  Bench *b = data;
  g_autoptr (GVariant) records = NULL;

  if (b->iter == b->warmup + N_KINDS * b->iterations)
    {
      /* the Blocked page from now on; a moment to settle */
      leco_popover_show_blocked (b->pop, NULL);
      b->iter++;
      g_timeout_add (300, next_iteration, b);
      return G_SOURCE_REMOVE;
    }
  if (b->iter > b->warmup + N_KINDS * b->iterations)
    {
      g_autoptr (GVariant) attempt = NULL;

      if (b->iter > b->warmup + (N_KINDS + 1) * b->iterations)
        {
          g_application_quit (G_APPLICATION (b->app));
          return G_SOURCE_REMOVE;
        }
      b->kind = KIND_BLOCKED;
      /* entry i was added i-th, so the oldest is the next in turn */
      attempt = blocked_record (b->blocked_seq % LECO_BLOCKED_MAX, 2 + b->blocked_seq / LECO_BLOCKED_MAX);
      b->blocked_seq++;
      b->waiting = TRUE;
      b->t0 = g_get_monotonic_time ();
      leco_blocked_list_add (b->blocked, attempt);
      b->t_applied = g_get_monotonic_time ();
      gdk_frame_clock_request_phase (b->clock, GDK_FRAME_CLOCK_PHASE_PAINT);
      return G_SOURCE_REMOVE;
    }
  b->kind = b->iter % N_KINDS;
  records = make_update (b);      /* the signal as received: not timed */
  b->waiting = TRUE;
  b->t0 = g_get_monotonic_time ();
  if (b->kind != KIND_REBUILD)
    apply_update (b, records);
  else
    apply_rebuild (b, records);
  b->t_applied = g_get_monotonic_time ();
  /* the changes queue their own layout and redraws; this only makes sure
   * a frame follows even if none were queued */
  gdk_frame_clock_request_phase (b->clock, GDK_FRAME_CLOCK_PHASE_PAINT);
  return G_SOURCE_REMOVE;
}

static gboolean
start (gpointer data)
{
  Bench *b = data;
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (b->pop));

  b->clock = gdk_surface_get_frame_clock (surface);
  g_signal_connect (b->clock, "after-paint", G_CALLBACK (on_after_paint), b);
  next_iteration (b);
  return G_SOURCE_REMOVE;
}

static void
on_map (GtkWidget *w, Bench *b)
{
  /* let the first frames settle */
  g_timeout_add (500, start, b);
}

static void
activate (GApplication *app, Bench *b)
{
  g_autoptr (GVariant) first = NULL;

  g_application_hold (app);
  b->client = leco_client_new ("unix:path=/nonexistent/leco-bench"); /* stays disconnected */
  b->traffic = leco_traffic_new ();
  b->pop = leco_popover_new (b->app, b->client, leco_traffic_get_rows (b->traffic));
  if (b->width > 0 && b->height > 0)
    gtk_window_set_default_size (GTK_WINDOW (b->pop), b->width, b->height);
  /* the applet's Blocked page, full */
  b->blocked = leco_blocked_list_new (LECO_BLOCKED_MAX);
  for (guint i = 0; i < LECO_BLOCKED_MAX; i++)
    {
      g_autoptr (GVariant) attempt = blocked_record (i, 1);

      leco_blocked_list_add (b->blocked, attempt);
    }
  leco_popover_set_blocked (b->pop, b->blocked);
  first = make_update (b);
  apply_update (b, first);
  g_signal_connect (b->pop, "map", G_CALLBACK (on_map), b);
  gtk_window_present (GTK_WINDOW (b->pop));
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
pct (GArray *a, double p)
{
  if (!a->len)
    return -1;
  g_array_sort (a, cmp_double);
  return g_array_index (a, double, MIN (a->len - 1, (guint) (p / 100.0 * (a->len - 1) + 0.5)));
}

int
main (int argc, char **argv)
{
  Bench b = { .n_rows = 1000, .iterations = 60, .warmup = 6, .kind = KIND_UPDATE };
  int rc;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--rows") && i + 1 < argc)
        b.n_rows = (guint) atoi (argv[++i]);
      else if (g_str_equal (argv[i], "--iterations") && i + 1 < argc)
        b.iterations = (guint) atoi (argv[++i]);
      else if (g_str_equal (argv[i], "--size") && i + 1 < argc &&
               sscanf (argv[i + 1], "%dx%d", &b.width, &b.height) == 2)
        i++;
      else
        {
          g_printerr ("usage: popover-bench [--rows N] [--iterations N] [--size WxH]\n");
          return 2;
        }
    }
  b.rate = g_new0 (guint64, b.n_rows);
  for (int k = 0; k < N_ALL; k++)
    {
      b.total[k] = g_array_new (FALSE, FALSE, sizeof (double));
      b.apply[k] = g_array_new (FALSE, FALSE, sizeof (double));
    }
  b.app = gtk_application_new ("org.leco.Bench.Popover", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (b.app, "activate", G_CALLBACK (activate), &b);
  rc = g_application_run (G_APPLICATION (b.app), 1, argv);
  if (rc == 0)
    g_print ("rows=%u iterations=%u update_median_ms=%.2f update_p95_ms=%.2f update_apply_median_ms=%.2f "
             "rebuild_median_ms=%.2f rebuild_p95_ms=%.2f rebuild_apply_median_ms=%.2f "
             "steady_median_ms=%.2f steady_p95_ms=%.2f steady_apply_median_ms=%.2f "
             "blocked_median_ms=%.2f blocked_p95_ms=%.2f blocked_apply_median_ms=%.2f\n",
             b.n_rows, b.total[KIND_UPDATE]->len, pct (b.total[KIND_UPDATE], 50), pct (b.total[KIND_UPDATE], 95),
             pct (b.apply[KIND_UPDATE], 50), pct (b.total[KIND_REBUILD], 50), pct (b.total[KIND_REBUILD], 95),
             pct (b.apply[KIND_REBUILD], 50), pct (b.total[KIND_STEADY], 50), pct (b.total[KIND_STEADY], 95),
             pct (b.apply[KIND_STEADY], 50), pct (b.total[KIND_BLOCKED], 50), pct (b.total[KIND_BLOCKED], 95),
             pct (b.apply[KIND_BLOCKED], 50));
  return rc;
}
