/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-decode: how many ring buffer records a second the daemon decodes and
 * aggregates on one core, against a baseline that only copies and sums them
 * (the cost of touching the data at all), in the same run.  Also the memory
 * the flow table takes for 10,000 open flows.
 *
 *   bench-decode [N_EVENTS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <glib.h>

#include "leco-event.h"
#include "ldd-daemon.h"
#include "ldd-flows.h"

static double
now_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) || !(p = strstr (status, "VmRSS:")))
    return -1;
  return strtol (p + 6, NULL, 10);
}

/* A realistic mix: flows open and close (UDP per destination and TCP with a
 * state change), some blocked attempts, 200 processes in 50 cgroups. */
static struct leco_event *
make_events (guint n)
{
  struct leco_event *ev = g_new0 (struct leco_event, n);
  GRand *r = g_rand_new_with_seed (42);
  guint64 cookie = 1, closing = 1;

  for (guint i = 0; i < n; i++)
    {
      struct leco_event *e = &ev[i];
      guint kind = i % 10;

      e->family = AF_INET;
      e->pid = 1000 + g_rand_int_range (r, 0, 200);
      e->uid = 1000;
      e->cgroup_id = 5000 + e->pid % 50;
      memcpy (e->comm, "worker", 7);
      e->remote_addr[0] = 10;
      e->remote_addr[3] = g_rand_int_range (r, 1, 255);
      e->remote_port = 443;
      e->local_port = 30000 + i % 30000;
      e->direction = LECO_DIR_OUT;
      if (kind < 3)
        {
          /* open (TCP or UDP), closed a few events later */
          e->type = LECO_EV_FLOW_OPEN;
          e->protocol = kind < 2 ? IPPROTO_TCP : IPPROTO_UDP;
          e->state = e->protocol == IPPROTO_TCP ? 2 : 0;
          e->cookie = cookie++;
        }
      else if (kind < 6)
        {
          e->type = LECO_EV_FLOW_STATE;
          e->protocol = IPPROTO_TCP;
          e->state = 1;
          e->cookie = cookie - 1;
        }
      else if (kind < 9)
        {
          e->type = LECO_EV_FLOW_CLOSE;
          e->protocol = IPPROTO_UDP;
          e->cookie = closing < cookie ? closing++ : cookie - 1;
          e->tx_bytes = 1000;
          e->rx_bytes = 2000;
        }
      else
        {
          e->type = LECO_EV_BLOCKED;
          e->protocol = IPPROTO_UDP;
          e->reason = LECO_REASON_NETFILTER;
          e->count = 1;
          e->remote_port = g_rand_int_range (r, 1, 2000);
        }
    }
  g_rand_free (r);
  return ev;
}

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? (guint) strtoul (argv[1], NULL, 10) : 2000000;
  g_autofree struct leco_event *ev = make_events (n);
  g_autoptr (GError) error = NULL;
  g_autoptr (LddDaemon) daemon = NULL;
  LddCgroups *cgroups;
  LddConfig *config;
  volatile guint64 sink = 0;
  double t0, base_s, leco_s;
  long rss0, rss1;

  config = ldd_config_new_default ();
  config->flow_table_size = 65536;
  cgroups = ldd_cgroups_new (NULL, &error);
  if (!cgroups)
    {
      fprintf (stderr, "bench-decode: %s\n", error->message);
      return 1;
    }
  daemon = ldd_daemon_new (config, NULL, cgroups, LDD_LOG_STDERR);

  /* baseline: copy each record out of the "ring" and touch it */
  t0 = now_s ();
  for (guint i = 0; i < n; i++)
    {
      struct leco_event e;

      memcpy (&e, &ev[i], sizeof (e));
      sink += e.cookie + e.type;
    }
  base_s = now_s () - t0;

  /* LECO: validate, then account (flows, coalescing, cgroup names) */
  t0 = now_s ();
  for (guint i = 0; i < n; i++)
    {
      struct leco_event e;

      if (leco_event_decode (&ev[i], sizeof (ev[i]), &e, NULL, 0) == 0)
        ldd_daemon_handle_event (daemon, &e);
    }
  leco_s = now_s () - t0;
  printf ("decode+aggregate: %.0f events/s on one core (baseline copy-only %.0f events/s, "
          "ratio %.4f); target >= 200000/s: %s\n",
          n / leco_s, n / base_s, base_s / leco_s, n / leco_s >= 200000 ? "PASS" : "FAIL");

  /* memory of 10,000 open flows in the table itself */
  {
    g_autoptr (LddFlows) flows = ldd_flows_new (16384, 256);
    gboolean created;

    rss0 = rss_kib ();
    for (guint i = 0; i < 10000; i++)
      {
        struct leco_event e = ev[0];

        e.type = LECO_EV_FLOW_OPEN;
        e.cookie = 1000000 + i;
        ldd_flows_open (flows, &e, i, &created);
      }
    rss1 = rss_kib ();
    printf ("flow table: 10000 open flows take %ld KiB (%.0f bytes per flow)\n", rss1 - rss0,
            (rss1 - rss0) * 1024.0 / 10000);
  }
  return sink == 0x5a5a5a5a5a ? 1 : 0;
}
