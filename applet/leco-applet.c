/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * leco-applet: a GtkApplication (single instance) tying together the daemon
 * client, the tray icon, the notifications and the traffic popover.  No
 * timers of its own while the popover is closed: it only reacts to the bus.
 */
#define G_LOG_DOMAIN "leco-applet"

#include "config.h"

#include <glib/gi18n.h>

#include "leco-applet.h"
#include "leco-blocked.h"
#include "leco-client.h"
#include "leco-format.h"
#include "leco-notifier.h"
#include "leco-popover.h"
#include "leco-traffic.h"
#include "leco-tray.h"

struct _LecoApplet {
  GtkApplication parent;
  LecoClient *client;
  LecoTray *tray;
  LecoNotifier *notifier;
  GSettings *settings;
  LecoTraffic *traffic;       /* per-cgroup rows, the popover's model */
  LecoPopover *popover;
  LecoBlockedList *blocked;   /* the Blocked page's entries, kept while it is closed */
  guint64 rx_rate, tx_rate;
  guint64 blocked_unseen;
  gboolean started;
};

G_DEFINE_FINAL_TYPE (LecoApplet, leco_applet, GTK_TYPE_APPLICATION)

static void
update_tooltip (LecoApplet *self)
{
  g_autofree char *text = NULL;

  if (leco_client_get_state (self->client) != LECO_CLIENT_CONNECTED)
    text = g_strdup (leco_client_get_message (self->client));
  else
    {
      g_autofree char *down = leco_format_rate (self->rx_rate), *up = leco_format_rate (self->tx_rate);

      if (self->blocked_unseen)
        text = g_strdup_printf (g_dngettext (NULL, "↓ %s  ↑ %s — %" G_GUINT64_FORMAT " blocked",
                                             "↓ %s  ↑ %s — %" G_GUINT64_FORMAT " blocked", self->blocked_unseen),
                                down, up, self->blocked_unseen);
      else
        text = g_strdup_printf ("↓ %s  ↑ %s", down, up);
    }
  leco_tray_set_tooltip (self->tray, text);
}

static void
traffic_changed (LecoApplet *self)
{
  self->rx_rate = leco_traffic_get_rx_rate (self->traffic);
  self->tx_rate = leco_traffic_get_tx_rate (self->traffic);
  update_tooltip (self);
  if (self->popover)
    leco_popover_refresh (self->popover, self->rx_rate, self->tx_rate);
}

static void
on_reset (LecoClient *client, GVariant *traffic, GVariant *blocked, LecoApplet *self)
{
  /* after a (re)connect the daemon's state is the truth: rows it no longer
   * has would only be stale, the rest update in place */
  g_debug ("state read: %zu cgroups, %zu blocked", g_variant_n_children (traffic), g_variant_n_children (blocked));
  leco_traffic_reset (self->traffic, traffic, g_get_real_time ());
  leco_blocked_list_reset (self->blocked, blocked);
  traffic_changed (self);
}

static void
on_traffic (LecoClient *client, GVariant *rows, LecoApplet *self)
{
  leco_traffic_apply (self->traffic, rows, g_get_real_time ());
  traffic_changed (self);
}

static gboolean
popover_shown (LecoApplet *self)
{
  return self->popover && gtk_widget_get_visible (GTK_WIDGET (self->popover));
}

static void
on_blocked (LecoClient *client, GVariant *attempt, LecoApplet *self)
{
  leco_blocked_list_add (self->blocked, attempt);
  leco_notifier_blocked (self->notifier, attempt);
  if (popover_shown (self))
    return;
  self->blocked_unseen++;
  leco_tray_set_state (self->tray, LECO_TRAY_ATTENTION);
  update_tooltip (self);
}

static void
on_state (LecoClient *client, LecoApplet *self)
{
  LecoClientState state = leco_client_get_state (client);

  if (state == LECO_CLIENT_CONNECTED)
    leco_tray_set_state (self->tray, self->blocked_unseen ? LECO_TRAY_ATTENTION : LECO_TRAY_NORMAL);
  else if (state != LECO_CLIENT_CONNECTING)
    {
      leco_tray_set_state (self->tray, LECO_TRAY_DISCONNECTED);
      g_message ("%s", leco_client_get_message (client));
    }
  if (self->popover)
    leco_popover_set_status (self->popover, state == LECO_CLIENT_CONNECTED ? NULL : leco_client_get_message (client));
  update_tooltip (self);
}

static void
show_popover (LecoApplet *self, const char *focus)
{
  if (!self->popover)
    {
      self->popover = leco_popover_new (GTK_APPLICATION (self), self->client,
                                        leco_traffic_get_rows (self->traffic));
      g_object_add_weak_pointer (G_OBJECT (self->popover), (gpointer *) &self->popover);
      leco_popover_set_blocked (self->popover, self->blocked);
      on_state (self->client, self);
      leco_popover_refresh (self->popover, self->rx_rate, self->tx_rate);
    }
  gtk_window_present (GTK_WINDOW (self->popover));
  if (focus)
    leco_popover_focus (self->popover, focus);
  /* the user looked */
  self->blocked_unseen = 0;
  if (leco_tray_get_state (self->tray) == LECO_TRAY_ATTENTION)
    leco_tray_set_state (self->tray, LECO_TRAY_NORMAL);
  update_tooltip (self);
}

static void
toggle_popover (LecoApplet *self)
{
  if (popover_shown (self))
    gtk_widget_set_visible (GTK_WIDGET (self->popover), FALSE);
  else
    show_popover (self, NULL);
}

static void
on_tray_menu (LecoTray *tray, const char *action, LecoApplet *self)
{
  if (g_str_equal (action, "show"))
    show_popover (self, NULL);
  else if (g_str_equal (action, "pause"))
    leco_notifier_pause (self->notifier, !leco_notifier_is_paused (self->notifier));
  else if (g_str_equal (action, "quit"))
    g_application_quit (G_APPLICATION (self));
}

static void
on_paused_changed (GSettings *settings, const char *key, LecoApplet *self)
{
  leco_tray_set_paused (self->tray, leco_notifier_is_paused (self->notifier));
}

static void
on_notifier_show (LecoNotifier *notifier, const char *app, LecoApplet *self)
{
  show_popover (self, app);
}

/* ---- actions ------------------------------------------------------------- */

static void
act_show (GSimpleAction *a, GVariant *p, gpointer self)
{
  show_popover (self, NULL);
}

/* the Blocked page, at the entry of a key (leco_blocked_key_from_record) when not "" */
static void
act_show_blocked (GSimpleAction *a, GVariant *p, gpointer user_data)
{
  LecoApplet *self = user_data;

  show_popover (self, NULL);
  leco_popover_show_blocked (self->popover, g_variant_get_string (p, NULL));
}

static void
act_quit (GSimpleAction *a, GVariant *p, gpointer self)
{
  g_application_quit (G_APPLICATION (self));
}

/* Test hook, only with $LECO_APPLET_DEBUG_DUMP set: what the applet shows,
 * written to that file (the popover's rows in view order, tray and
 * notification state, the traffic window's banner once it exists). */
static void
act_dump (GSimpleAction *a, GVariant *p, gpointer user_data)
{
  LecoApplet *self = user_data;
  const char *path = g_getenv ("LECO_APPLET_DEBUG_DUMP");
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  g_string_append_printf (out, "{\"tray-state\": %d, \"registered\": %s, \"client-state\": %d, "
                          "\"notify-calls\": %" G_GUINT64_FORMAT ", \"popover-visible\": %s, \"rows\": %u",
                          leco_tray_get_state (self->tray), leco_tray_is_registered (self->tray) ? "true" : "false",
                          leco_client_get_state (self->client), leco_notifier_get_calls (self->notifier),
                          popover_shown (self) ? "true" : "false",
                          g_list_model_get_n_items (leco_traffic_get_rows (self->traffic)));
  if (self->popover)
    {
      g_string_append (out, ", ");
      leco_popover_dump_window (self->popover, out);
    }
  g_string_append (out, "}\n");
  if (self->popover)
    leco_popover_dump (self->popover, out);
  if (!g_file_set_contents (path, out->str, out->len, &error))
    g_warning ("debug dump: %s", error->message);
}

/* ---- application ------------------------------------------------------- */

static void
leco_applet_startup (GApplication *app)
{
  LecoApplet *self = LECO_APPLET (app);
  g_autoptr (GError) error = NULL;
  const char *icons = g_getenv ("LECO_ICON_DIR");
  GActionEntry entries[] = {
    { "show", act_show, NULL, NULL, NULL, { 0 } },
    { "quit", act_quit, NULL, NULL, NULL, { 0 } },
    { "show-blocked", act_show_blocked, "s", NULL, NULL, { 0 } },
  };

  G_APPLICATION_CLASS (leco_applet_parent_class)->startup (app);
  if (!icons)
    icons = LECO_DATADIR "/icons";
  gtk_icon_theme_add_search_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()), icons);
  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), app);
  if (g_getenv ("LECO_APPLET_DEBUG_DUMP"))
    {
      GActionEntry dump = { "debug-dump", act_dump, NULL, NULL, NULL, { 0 } };

      g_action_map_add_action_entries (G_ACTION_MAP (app), &dump, 1, app);
    }

  self->settings = g_settings_new ("org.leco.Overseer.Applet");
  self->traffic = leco_traffic_new ();
  self->blocked = leco_blocked_list_new (LECO_BLOCKED_MAX);
  self->tray = leco_tray_new (g_application_get_dbus_connection (app), icons, &error);
  if (!self->tray)
    g_error ("cannot export the tray item: %s", error->message);
  self->notifier = leco_notifier_new (self->settings);
  leco_tray_set_paused (self->tray, leco_notifier_is_paused (self->notifier));
  g_signal_connect_swapped (self->tray, "activate", G_CALLBACK (toggle_popover), self);
  g_signal_connect (self->tray, "menu-action", G_CALLBACK (on_tray_menu), self);
  g_signal_connect (self->notifier, "show", G_CALLBACK (on_notifier_show), self);
  g_signal_connect (self->settings, "changed::paused-until", G_CALLBACK (on_paused_changed), self);
  g_application_hold (app);
}

static int
leco_applet_command_line (GApplication *app, GApplicationCommandLine *cmdline)
{
  LecoApplet *self = LECO_APPLET (app);
  GVariantDict *opts = g_application_command_line_get_options_dict (cmdline);
  const char *bus = NULL;

  if (!self->started)
    {
      self->started = TRUE;
      g_variant_dict_lookup (opts, "bus", "&s", &bus);
      self->client = leco_client_new (bus);
      g_signal_connect (self->client, "state-changed", G_CALLBACK (on_state), self);
      g_signal_connect (self->client, "reset", G_CALLBACK (on_reset), self);
      g_signal_connect (self->client, "traffic", G_CALLBACK (on_traffic), self);
      g_signal_connect (self->client, "blocked", G_CALLBACK (on_blocked), self);
      update_tooltip (self);
    }
  /* a second launch lands here too, in the first instance */
  if (g_variant_dict_contains (opts, "show"))
    show_popover (self, NULL);
  if (g_variant_dict_contains (opts, "quit"))
    g_application_quit (app);
  return 0;
}

static void
leco_applet_shutdown (GApplication *app)
{
  LecoApplet *self = LECO_APPLET (app);

  g_clear_object (&self->client);
  g_clear_object (&self->notifier);
  g_clear_object (&self->tray);
  if (self->popover)
    gtk_window_destroy (GTK_WINDOW (self->popover));
  g_clear_pointer (&self->traffic, leco_traffic_free);
  g_clear_object (&self->blocked);
  g_clear_object (&self->settings);
  G_APPLICATION_CLASS (leco_applet_parent_class)->shutdown (app);
}

static void
leco_applet_class_init (LecoAppletClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->startup = leco_applet_startup;
  app_class->command_line = leco_applet_command_line;
  app_class->shutdown = leco_applet_shutdown;
}

static void
leco_applet_init (LecoApplet *self)
{
  const GOptionEntry options[] = {
    { "show", 's', 0, G_OPTION_ARG_NONE, NULL, N_("Open the traffic window"), NULL },
    { "quit", 'q', 0, G_OPTION_ARG_NONE, NULL, N_("Quit the running applet"), NULL },
    { "bus", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Where leco-dbusd is: a D-Bus address (default: the system bus)"), N_("ADDRESS") },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

LecoApplet *
leco_applet_new (void)
{
  return g_object_new (LECO_TYPE_APPLET, "application-id", "org.leco.Overseer.Applet",
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE, NULL);
}
