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
#include "leco-muted.h"
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
  guint64 blocked_unseen;      /* attempts (the records' counts), not signals */
  GHashTable *blocked_counts;  /* record id -> the count last seen of it */
  guint pause_timer;           /* one-shot, at paused-until; only while paused */
  GtkWidget *muted_button;     /* in the traffic window's top row */
  guint64 show_blocked_calls;  /* for the debug dump */
  char *show_blocked_key;
  gboolean started;
};

G_DEFINE_FINAL_TYPE (LecoApplet, leco_applet, GTK_TYPE_APPLICATION)

/* "17:45" of paused-until, NULL when not paused */
static char *
paused_until_text (LecoApplet *self)
{
  gint64 until = g_settings_get_int64 (self->settings, "paused-until");
  g_autoptr (GDateTime) t = NULL;

  if (until <= g_get_real_time ())
    return NULL;
  t = g_date_time_new_from_unix_local (until / G_USEC_PER_SEC);
  return t ? g_date_time_format (t, "%H:%M") : g_strdup ("?");
}

static void
update_tooltip (LecoApplet *self)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *until = paused_until_text (self);

  if (leco_client_get_state (self->client) != LECO_CLIENT_CONNECTED)
    g_string_append (text, leco_client_get_message (self->client));
  else
    {
      g_autofree char *down = leco_format_rate (self->rx_rate), *up = leco_format_rate (self->tx_rate);

      g_string_append_printf (text, "↓ %s  ↑ %s", down, up);
      /* attempts, worded as the notifications word them */
      if (self->blocked_unseen)
        g_string_append_printf (text, g_dngettext (NULL, " — %" G_GUINT64_FORMAT " blocked attempt",
                                                   " — %" G_GUINT64_FORMAT " blocked attempts", self->blocked_unseen),
                                self->blocked_unseen);
    }
  if (until)
    g_string_append_printf (text, _("\nNotifications paused until %s"), until);
  leco_tray_set_tooltip (self->tray, text->str);
}

/* The attempts a ConnectionBlocked record adds: its count less what an
 * earlier signal of the same record (same id: a coalesced repeat) said. */
static guint64
new_attempts (LecoApplet *self, GVariant *attempt)
{
  guint64 id = 0;
  guint32 count = 1;
  gpointer before = NULL;

  g_variant_lookup (attempt, "count", "u", &count);
  if (!g_variant_lookup (attempt, "id", "t", &id))
    return count;
  if (g_hash_table_lookup_extended (self->blocked_counts, &id, NULL, &before))
    {
      if (count <= GPOINTER_TO_UINT (before))
        return 0;
      g_hash_table_replace (self->blocked_counts, g_memdup2 (&id, sizeof id), GUINT_TO_POINTER (count));
      return count - GPOINTER_TO_UINT (before);
    }
  if (g_hash_table_size (self->blocked_counts) >= 4096)
    g_hash_table_remove_all (self->blocked_counts);
  g_hash_table_insert (self->blocked_counts, g_memdup2 (&id, sizeof id), GUINT_TO_POINTER (count));
  return count;
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
  guint64 more = new_attempts (self, attempt);

  leco_blocked_list_add (self->blocked, attempt);
  leco_notifier_blocked (self->notifier, attempt);
  if (popover_shown (self) || !more)
    return;
  self->blocked_unseen += more;
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
  if (!self->muted_button)
    {
      /* undo a mute from the window: in its header bar */
      self->muted_button = leco_muted_button_new (self->settings);
      g_object_add_weak_pointer (G_OBJECT (self->muted_button), (gpointer *) &self->muted_button);
      leco_popover_add_header_widget (self->popover, self->muted_button);
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
  else if (g_str_equal (action, "muted"))
    show_popover (self, NULL);
  else if (g_str_equal (action, "quit"))
    g_application_quit (G_APPLICATION (self));
}

static void on_paused_changed (GSettings *settings, const char *key, LecoApplet *self);

static gboolean
on_pause_over (gpointer user_data)
{
  LecoApplet *self = user_data;

  self->pause_timer = 0;
  g_message ("notifications are no longer paused");
  on_paused_changed (self->settings, "paused-until", self);
  return G_SOURCE_REMOVE;
}

/* The tray's menu item and tooltip say until when; a one-shot timer at that
 * time (none while not paused) ends the pause. */
static void
on_paused_changed (GSettings *settings, const char *key, LecoApplet *self)
{
  g_autofree char *until = paused_until_text (self);

  g_clear_handle_id (&self->pause_timer, g_source_remove);
  if (until)
    {
      gint64 left_ms = (g_settings_get_int64 (self->settings, "paused-until") - g_get_real_time ()) / 1000 + 1;

      self->pause_timer = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) MIN (left_ms, (gint64) G_MAXUINT),
                                              on_pause_over, self, NULL);
    }
  leco_tray_set_paused (self->tray, until);
  if (self->client)
    update_tooltip (self);
}

/* The Blocked page, at the entry of KEY (leco_blocked_key_from_record), or
 * all of it for NULL: a notification's "Show" or the summary's "Show blocked". */
static void
show_blocked (LecoApplet *self, const char *key)
{
  self->show_blocked_calls++;
  g_free (self->show_blocked_key);
  self->show_blocked_key = g_strdup (key);
  show_popover (self, NULL);
  leco_popover_show_blocked (self->popover, key);
}

static void
on_notifier_show_blocked (LecoNotifier *notifier, const char *key, LecoApplet *self)
{
  show_blocked (self, key);
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
  const char *key = g_variant_get_string (p, NULL);

  show_blocked (user_data, *key ? key : NULL);
}

static void
act_quit (GSimpleAction *a, GVariant *p, gpointer self)
{
  g_application_quit (G_APPLICATION (self));
}

/* app.unmute('APP'): what the muted-apps button's "Unmute" does */
static void
act_unmute (GSimpleAction *a, GVariant *p, gpointer user_data)
{
  LecoApplet *self = user_data;
  const char *app = g_variant_get_string (p, NULL);
  g_auto (GStrv) muted = g_settings_get_strv (self->settings, "muted-apps");
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_auto (GStrv) next = NULL;

  for (guint i = 0; muted[i]; i++)
    if (!g_str_equal (muted[i], app))
      g_strv_builder_add (b, muted[i]);
  next = g_strv_builder_end (b);
  if (g_strv_length (next) != g_strv_length (muted))
    {
      g_settings_set_strv (self->settings, "muted-apps", (const char *const *) next);
      g_message ("unmuted notifications for \"%s\"", app);
    }
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
  {
    g_autofree char *key = g_strescape (self->show_blocked_key ? self->show_blocked_key : "", NULL);
    g_autofree char *pause = g_strescape (leco_tray_get_pause_label (self->tray), NULL);

    g_string_append_printf (out, ", \"blocked-unseen\": %" G_GUINT64_FORMAT ", \"show-blocked\": %" G_GUINT64_FORMAT
                            ", \"show-blocked-key\": %s%s%s, \"pause-label\": \"%s\", \"pause-timer\": %s",
                            self->blocked_unseen, self->show_blocked_calls, self->show_blocked_key ? "\"" : "",
                            self->show_blocked_key ? key : "null", self->show_blocked_key ? "\"" : "", pause,
                            self->pause_timer ? "true" : "false");
  }
  if (self->muted_button)
    {
      g_string_append (out, ", ");
      leco_muted_button_dump (self->muted_button, out);
    }
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
    { "unmute", act_unmute, "s", NULL, NULL, { 0 } },
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
  self->blocked_counts = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  on_paused_changed (self->settings, "paused-until", self);
  g_signal_connect_swapped (self->tray, "activate", G_CALLBACK (toggle_popover), self);
  g_signal_connect (self->tray, "menu-action", G_CALLBACK (on_tray_menu), self);
  g_signal_connect (self->notifier, "show-blocked", G_CALLBACK (on_notifier_show_blocked), self);
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

  g_clear_handle_id (&self->pause_timer, g_source_remove);
  g_clear_object (&self->client);
  g_clear_object (&self->notifier);
  g_clear_object (&self->tray);
  if (self->popover)
    gtk_window_destroy (GTK_WINDOW (self->popover));
  g_clear_pointer (&self->traffic, leco_traffic_free);
  g_clear_object (&self->blocked);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->blocked_counts, g_hash_table_unref);
  g_clear_pointer (&self->show_blocked_key, g_free);
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
