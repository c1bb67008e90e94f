/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sigclient: the measuring ends of bench/daemon/run.
 *
 *   sigclient listen ADDRESS            print "<remote-port> <CLOCK_MONOTONIC ns>" for each
 *                                       ConnectionBlocked and each baseline Ping signal
 *   sigclient send ADDR PORT0 N GAP_MS  send N UDP datagrams to ADDR:PORT0+i, print "<port> <ns>"
 *   sigclient emitter ADDRESS PORT0 N   baseline: a process that turns each UDP datagram on
 *                                       127.0.0.1:PORT0..PORT0+N-1 into a D-Bus signal at once
 *                                       (no eBPF, no daemon logic)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <gio/gio.h>

static guint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (guint64) ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static GDBusConnection *
bus_at (const char *address)
{
  g_autoptr (GError) error = NULL;
  GDBusConnection *c = g_dbus_connection_new_for_address_sync (
    address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, &error);

  if (!c)
    {
      g_printerr ("sigclient: %s\n", error->message);
      exit (1);
    }
  return c;
}

static void
on_signal (GDBusConnection *c, const char *sender, const char *path, const char *iface, const char *member,
           GVariant *params, gpointer user_data)
{
  guint64 t = now_ns ();
  guint16 port = 0;

  if (g_str_equal (member, "ConnectionBlocked"))
    {
      g_autoptr (GVariant) d = g_variant_get_child_value (params, 0);

      g_variant_lookup (d, "remote-port", "q", &port);
    }
  else
    g_variant_get (params, "(q)", &port);
  printf ("%u %" G_GUINT64_FORMAT "\n", port, t);
  fflush (stdout);
}

static int
do_listen (const char *address)
{
  GDBusConnection *c = bus_at (address);
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);

  g_dbus_connection_signal_subscribe (c, NULL, "org.leco.Overseer1", "ConnectionBlocked", NULL, NULL,
                                      G_DBUS_SIGNAL_FLAGS_NONE, on_signal, NULL, NULL);
  g_dbus_connection_signal_subscribe (c, NULL, "org.leco.Bench", "Ping", NULL, NULL,
                                      G_DBUS_SIGNAL_FLAGS_NONE, on_signal, NULL, NULL);
  /* the subscription is in place once the bus answered a round trip */
  g_dbus_connection_call_sync (c, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetId", NULL, NULL, 0, -1, NULL, NULL);
  printf ("ready\n");
  fflush (stdout);
  g_main_loop_run (loop);
  return 0;
}

static int
do_send (const char *addr, int port0, int n, int gap_ms)
{
  struct sockaddr_in sin = { .sin_family = AF_INET };
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  if (fd < 0 || inet_pton (AF_INET, addr, &sin.sin_addr) != 1)
    return 1;
  for (int i = 0; i < n; i++)
    {
      guint64 t;

      sin.sin_port = htons (port0 + i);
      t = now_ns ();
      if (sendto (fd, "x", 1, 0, (struct sockaddr *) &sin, sizeof (sin)) < 0 && errno != EPERM)
        return 1; /* a firewall drop on output returns EPERM: expected */
      printf ("%d %" G_GUINT64_FORMAT "\n", port0 + i, t);
      fflush (stdout);
      g_usleep (gap_ms * 1000);
    }
  return 0;
}

static gboolean
on_datagram (GSocket *s, GIOCondition cond, gpointer user_data)
{
  GDBusConnection *c = user_data;
  char buf[64];
  g_autoptr (GSocketAddress) from = NULL;

  if (g_socket_receive_from (s, &from, buf, sizeof (buf), NULL, NULL) >= 0)
    {
      g_autoptr (GSocketAddress) local = g_socket_get_local_address (s, NULL);
      /* the sender's sequence number is the port it sent to */
      guint16 port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));

      g_dbus_connection_emit_signal (c, NULL, "/org/leco/Bench", "org.leco.Bench", "Ping",
                                     g_variant_new ("(q)", port), NULL);
      g_dbus_connection_flush (c, NULL, NULL, NULL);
    }
  return G_SOURCE_CONTINUE;
}

static int
do_emitter (const char *address, int port0, int n)
{
  GDBusConnection *c = bus_at (address);
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);

  for (int i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (lo, port0 + i);
      GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
      GSource *src;

      if (!s || !g_socket_bind (s, sa, TRUE, &error))
        {
          g_printerr ("sigclient: %s\n", error->message);
          return 1;
        }
      src = g_socket_create_source (s, G_IO_IN, NULL);
      g_source_set_callback (src, (GSourceFunc) (void (*) (void)) on_datagram, c, NULL);
      g_source_attach (src, NULL);
    }
  printf ("ready\n");
  fflush (stdout);
  g_main_loop_run (loop);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 3 && g_str_equal (argv[1], "listen"))
    return do_listen (argv[2]);
  if (argc == 6 && g_str_equal (argv[1], "send"))
    return do_send (argv[2], atoi (argv[3]), atoi (argv[4]), atoi (argv[5]));
  if (argc == 5 && g_str_equal (argv[1], "emitter"))
    return do_emitter (argv[2], atoi (argv[3]), atoi (argv[4]));
  g_printerr ("usage: sigclient listen ADDRESS | send ADDR PORT0 N GAP_MS | emitter ADDRESS PORT0 N\n");
  return 2;
}
