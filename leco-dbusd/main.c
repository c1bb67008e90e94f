/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * leco-dbusd: LECO's unprivileged system-bus daemon.  Wires the kernel
 * source, the configuration and the bus together; the logic is libldd.
 */
#define G_LOG_DOMAIN "leco-dbusd"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <systemd/sd-daemon.h>

#include "ldd-daemon.h"

#define DEFAULT_PIN "/sys/fs/bpf/leco"

typedef struct {
  GMainLoop *loop;
  LddDaemon *daemon;
  int exit_code;
  gboolean acquired;
} App;

static gboolean
on_signal (gpointer user_data)
{
  App *app = user_data;

  g_message ("stopping on signal");
  g_main_loop_quit (app->loop);
  return G_SOURCE_CONTINUE;
}

static void
on_name_acquired (GDBusConnection *bus, const char *name, gpointer user_data)
{
  App *app = user_data;

  app->acquired = TRUE;
  g_debug ("owning %s", name);
  /* now the signals reach the clients that listen to the name */
  ldd_daemon_start_events (app->daemon);
  sd_notify (0, "READY=1\nSTATUS=Watching connections");
}

static void
on_name_lost (GDBusConnection *bus, const char *name, gpointer user_data)
{
  App *app = user_data;

  if (!bus || g_dbus_connection_is_closed (bus))
    g_printerr ("leco-dbusd: lost the connection to the bus\n");
  else if (app->acquired)
    g_printerr ("leco-dbusd: lost the bus name %s to another owner\n", name);
  else
    g_printerr ("leco-dbusd: could not own the bus name %s: another instance runs, or the bus "
                "policy does not allow this user (see org.leco.Overseer.conf)\n", name);
  app->exit_code = EXIT_FAILURE;
  g_main_loop_quit (app->loop);
}

static GDBusConnection *
connect_bus (const char *bus, GError **error)
{
  if (g_str_equal (bus, "system"))
    return g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, error);
  if (g_str_equal (bus, "session"))
    return g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, error);
  if (!g_dbus_is_supported_address (bus, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "--bus takes system, session or a D-Bus address, not \"%s\"", bus);
      return NULL;
    }
  return g_dbus_connection_new_for_address_sync (bus,
                                                 G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                 G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                 NULL, NULL, error);
}

int
main (int argc, char **argv)
{
  g_autofree char *bus_opt = NULL, *config_path = NULL, *pin_path = NULL, *cgroup_root = NULL;
  gboolean verbose = FALSE, version = FALSE;
  const GOptionEntry entries[] = {
    { "bus", 0, 0, G_OPTION_ARG_STRING, &bus_opt, "Bus to serve: system (default), session or ADDRESS", "BUS" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file (default " LDD_CONFIG_PATH ")", "FILE" },
    { "pin-path", 'p', 0, G_OPTION_ARG_FILENAME, &pin_path,
      "Where leco-ebpf-load pinned the maps (default " DEFAULT_PIN "; unused when systemd passes them)", "DIR" },
    { "cgroup-root", 0, 0, G_OPTION_ARG_FILENAME, &cgroup_root, "cgroup2 mount (default: found)", "DIR" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log debug messages", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- LECO's system-bus daemon");
  g_autoptr (GError) error = NULL;
  g_autoptr (LddConfig) config = NULL;
  g_autoptr (LddSource) source = NULL;
  g_autoptr (LddCgroups) cgroups = NULL;
  g_autoptr (LddDaemon) daemon = NULL;
  g_autoptr (GDBusConnection) bus = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  App app = { 0 };
  guint owner;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("leco-dbusd: %s (see --help)\n", error->message);
      return 2;
    }
  if (argc > 1)
    {
      g_printerr ("leco-dbusd: unexpected argument \"%s\" (see --help)\n", argv[1]);
      return 2;
    }
  if (version)
    {
      g_print ("leco-dbusd %s\n", LECO_VERSION);
      return 0;
    }
  if (verbose)
    g_log_set_debug_enabled (TRUE);

  /* an explicit --config must exist; the default file is optional */
  config = ldd_config_load (config_path ? config_path : LDD_CONFIG_PATH, config_path == NULL, &error);
  if (!config)
    {
      g_printerr ("leco-dbusd: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (verbose)
    {
      g_autofree char *desc = ldd_config_describe (config);
      g_debug ("configuration: %s", desc);
    }

  source = pin_path ? NULL : ldd_source_new_from_fds (&error);
  if (!source)
    {
      if (error && !g_error_matches (error, LDD_SOURCE_ERROR, LDD_SOURCE_ERROR_NOT_LOADED))
        {
          g_printerr ("leco-dbusd: %s\n", error->message);
          return EXIT_FAILURE;
        }
      g_clear_error (&error);
      source = ldd_source_new_from_pins (pin_path ? pin_path : DEFAULT_PIN, &error);
      if (!source)
        {
          g_printerr ("leco-dbusd: %s\n", error->message);
          return EXIT_FAILURE;
        }
    }
  cgroups = ldd_cgroups_new_checked (cgroup_root, &error);
  if (!cgroups)
    {
      g_printerr ("leco-dbusd: %s\n", error->message);
      return EXIT_FAILURE;
    }

  bus = connect_bus (bus_opt ? bus_opt : "system", &error);
  if (!bus)
    {
      g_printerr ("leco-dbusd: cannot connect to the bus: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_dbus_connection_set_exit_on_close (bus, FALSE);

  daemon = ldd_daemon_new (g_steal_pointer (&config), g_steal_pointer (&source), g_steal_pointer (&cgroups),
                           LDD_LOG_AUTO);
  if (!ldd_daemon_start (daemon, bus, &error))
    {
      g_printerr ("leco-dbusd: %s\n", error->message);
      return EXIT_FAILURE;
    }

  loop = g_main_loop_new (NULL, FALSE);
  app.loop = loop;
  app.daemon = daemon;
  g_unix_signal_add (SIGTERM, on_signal, &app);
  g_unix_signal_add (SIGINT, on_signal, &app);
  owner = g_bus_own_name_on_connection (bus, LDD_BUS_NAME, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                        on_name_acquired, on_name_lost, &app, NULL);
  g_main_loop_run (loop);

  sd_notify (0, "STOPPING=1");
  g_bus_unown_name (owner);
  ldd_daemon_stop (daemon);
  g_dbus_connection_flush_sync (bus, NULL, NULL);
  return app.exit_code;
}
