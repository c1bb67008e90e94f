/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Desktop notifications for blocked connections: one per key (the daemon's
 * coalescing key: cgroup, remote, port, protocol, direction, reason),
 * updated in place as repeats arrive.  Two budgets per notification window,
 * each of notification-burst Notify calls:
 *  - NEW notifications (a key we have no notification for).  Past it, one
 *    summary ("12 more blocked attempts", shown at once and then updated in
 *    place, with a "Show blocked" action) stands in for the rest;
 *  - in-place UPDATES (repeats of a key, the summary's count).
 * Updates do not count against the budget of new notifications: a key that
 * repeats every two seconds would otherwise use it all up and a blocked
 * attempt of another application would wait minutes for its notification
 * (issue 12).  They have a pool of their own, as large, so that the Notify
 * calls stay bounded (at most 2 x burst + 1 per window, the +1 being the
 * summary's first appearance) however many keys repeat; an update past its
 * pool is not lost, only delayed: the entry stays dirty and a one-shot timer
 * (armed only then, never while idle) shows its latest count.
 */
#define G_LOG_DOMAIN "leco-applet"

#include "config.h"

#include <glib/gi18n.h>
#include <libnotify/notify.h>

#include "leco-blocked.h"
#include "leco-format.h"
#include "leco-notifier.h"
#include "leco-row.h"

#define MAX_OPEN 256          /* notifications we keep to update in place */
#define MAX_HELD 4096         /* keys past the budget we keep counting */

typedef struct {
  LecoNotifier *self;
  NotifyNotification *n;
  char *key;                  /* leco_blocked_key_from_record (): the Blocked view's too */
  char *app;                  /* app id or unit: what "Mute this app" mutes */
  char *summary;
  char *icon;
  char *endpoint;
  char *reason;
  guint64 count;
  gboolean inbound;
  gboolean dirty;             /* count changed, not shown yet */
} Entry;

struct _LecoNotifier {
  GObject parent;
  GSettings *settings;
  GHashTable *entries;        /* key -> Entry */
  GQueue sent_new;            /* monotonic times of new notifications in the window */
  GQueue sent_update;         /* monotonic times of in-place updates in the window */
  GHashTable *held;           /* key -> last count of a key past the budget (in the summary) */
  NotifyNotification *summary;
  guint64 suppressed;         /* blocked attempts past the budget, for the summary */
  guint64 suppressed_shown;   /* what the summary on screen says */
  guint flush;
  guint summary_timer;        /* one-shot: collects a burst into one summary update */
  gboolean actions;
  guint64 notify_calls;
};

G_DEFINE_FINAL_TYPE (LecoNotifier, leco_notifier, G_TYPE_OBJECT)

enum { SIG_SHOW_BLOCKED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
entry_free (gpointer p)
{
  Entry *e = p;

  g_signal_handlers_disconnect_by_data (e->n, e);
  g_object_unref (e->n);
  g_free (e->key);
  g_free (e->app);
  g_free (e->summary);
  g_free (e->icon);
  g_free (e->endpoint);
  g_free (e->reason);
  g_free (e);
}

static gint64
window_us (LecoNotifier *self)
{
  return (gint64) g_settings_get_uint (self->settings, "notification-window") * G_USEC_PER_SEC;
}

/* One Notify call within this budget (sent_new or sent_update)?  Takes it
 * when there is one. */
static gboolean
take_budget (LecoNotifier *self, GQueue *sent)
{
  gint64 now = g_get_monotonic_time ();
  guint burst = g_settings_get_uint (self->settings, "notification-burst");

  /* a sliding window of the calls made (64-bit times stored in the pointers) */
  while (sent->length && now - (gint64) (gintptr) g_queue_peek_head (sent) >= window_us (self))
    g_queue_pop_head (sent);
  if (sent->length >= burst)
    return FALSE;
  g_queue_push_tail (sent, (gpointer) (gintptr) now);
  return TRUE;
}

static void
show (LecoNotifier *self, NotifyNotification *n)
{
  g_autoptr (GError) error = NULL;

  self->notify_calls++;
  if (!notify_notification_show (n, &error))
    g_warning ("cannot show a notification: %s", error->message);
}

/* The body may be read as markup by the notification server: everything
 * in it that came from the kernel or a process (names, addresses) is
 * escaped, so a process calling itself "<a href=...>" shows as text. */
static char *
body_of (Entry *e)
{
  g_autofree char *endpoint = g_markup_escape_text (e->endpoint, -1);
  g_autofree char *reason = g_markup_escape_text (e->reason, -1);
  /* outbound: "Connection to HOST port P"; inbound: "Connection from HOST to port P" */
  g_autofree char *line = e->inbound ? g_strdup_printf (_("Connection from %s %s"), endpoint, reason)
                                      : g_strdup_printf (_("Connection to %s %s"), endpoint, reason);

  /* the tray's tooltip says it the same way: "5 blocked attempts" */
  if (e->count > 1)
    return g_strdup_printf (g_dngettext (NULL, "%s (%" G_GUINT64_FORMAT " blocked attempt)",
                                         "%s (%" G_GUINT64_FORMAT " blocked attempts)", e->count), line, e->count);
  return g_steal_pointer (&line);
}

static void
show_entry (LecoNotifier *self, Entry *e)
{
  g_autofree char *body = body_of (e);

  notify_notification_update (e->n, e->summary, body, e->icon);
  e->dirty = FALSE;
  show (self, e->n);
}

static gboolean on_flush (gpointer user_data);

/* Past the update budget: remember (dirty), and let a one-shot timer, armed
 * only now and never while idle, send what is due when the oldest update
 * leaves the window. */
static void
defer (LecoNotifier *self)
{
  gint64 due = window_us (self);

  if (self->flush)
    return;
  if (self->sent_update.length)
    due = (gint64) (gintptr) g_queue_peek_head (&self->sent_update) + window_us (self) - g_get_monotonic_time ();
  self->flush = g_timeout_add (CLAMP (due / 1000 + 10, 100, G_MAXINT), on_flush, self);
}

static void
on_summary_action (NotifyNotification *n, char *action, gpointer user_data)
{
  LecoNotifier *self = user_data;

  /* every action of the summary shows the blocked attempts */
  g_signal_emit (self, signals[SIG_SHOW_BLOCKED], 0, NULL);
}

/* The summary: its first appearance is not held back (it is what stands in
 * for everything past the budget, so it must come at once, not after the
 * repeats of other keys stop); its updates are in place, within the budget
 * of updates.  Both wait SUMMARY_DELAY_MS first (a one-shot timer, armed
 * only while something is held back) so that a storm of distinct keys makes
 * one Notify call, not one per key. */
#define SUMMARY_DELAY_MS 500

static gboolean on_summary_timer (gpointer user_data);

static void
summary_later (LecoNotifier *self)
{
  if (!self->summary_timer)
    self->summary_timer = g_timeout_add (SUMMARY_DELAY_MS, on_summary_timer, self);
}

static void
show_summary (LecoNotifier *self)
{
  g_autofree char *summary = NULL;
  const char *body = self->actions ? _("Open the LECO traffic window to see them all.")
                                   : _("Open the LECO traffic window (tray menu: Show traffic) to see them all.");

  if (self->suppressed == self->suppressed_shown)
    return;
  if (self->summary && !take_budget (self, &self->sent_update))
    {
      defer (self);
      return;
    }
  summary = g_strdup_printf (g_dngettext (NULL, "%" G_GUINT64_FORMAT " more blocked attempt",
                                          "%" G_GUINT64_FORMAT " more blocked attempts", self->suppressed),
                             self->suppressed);
  if (!self->summary)
    {
      self->summary = notify_notification_new (summary, body, "org.leco.Overseer-attention");
      notify_notification_set_app_name (self->summary, "LECO");
      notify_notification_set_category (self->summary, "network");
      notify_notification_set_hint (self->summary, "desktop-entry",
                                    g_variant_new_string ("org.leco.Overseer.Applet"));
      if (self->actions)
        {
          notify_notification_add_action (self->summary, "show-blocked", _("Show blocked"), on_summary_action,
                                          self, NULL);
        }
    }
  else
    notify_notification_update (self->summary, summary, body, "org.leco.Overseer-attention");
  show (self, self->summary);
  self->suppressed_shown = self->suppressed;
}

static gboolean
on_summary_timer (gpointer user_data)
{
  LecoNotifier *self = user_data;

  self->summary_timer = 0;
  show_summary (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_flush (gpointer user_data)
{
  LecoNotifier *self = user_data;
  GHashTableIter it;
  Entry *e;

  self->flush = 0;
  g_hash_table_iter_init (&it, self->entries);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &e))
    {
      if (!e->dirty)
        continue;
      if (!take_budget (self, &self->sent_update))
        {
          defer (self);
          return G_SOURCE_REMOVE;
        }
      show_entry (self, e);
    }
  show_summary (self);
  return G_SOURCE_REMOVE;
}

static void
on_action (NotifyNotification *n, char *action, gpointer user_data)
{
  Entry *e = user_data;
  LecoNotifier *self = e->self;

  if (g_str_equal (action, "mute"))
    {
      g_auto (GStrv) muted = g_settings_get_strv (self->settings, "muted-apps");
      g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
      g_auto (GStrv) next = NULL;

      if (!g_strv_contains ((const char *const *) muted, e->app))
        {
          g_strv_builder_addv (b, (const char **) muted);
          g_strv_builder_add (b, e->app);
          next = g_strv_builder_end (b);
          g_settings_set_strv (self->settings, "muted-apps", (const char *const *) next);
        }
      g_message ("muted notifications for \"%s\"", e->app);
    }
  else if (g_str_equal (action, "show") || g_str_equal (action, "default"))
    g_signal_emit (self, signals[SIG_SHOW_BLOCKED], 0, e->key);
}

static gboolean
quiet (LecoNotifier *self, const char *app)
{
  g_auto (GStrv) muted = NULL;

  if (!g_settings_get_boolean (self->settings, "notifications-enabled"))
    return TRUE;
  if (g_settings_get_int64 (self->settings, "paused-until") > g_get_real_time ())
    return TRUE;
  muted = g_settings_get_strv (self->settings, "muted-apps");
  return g_strv_contains ((const char *const *) muted, app);
}

static const char *
lookup_s (GVariant *d, const char *key)
{
  const char *v = "";

  g_variant_lookup (d, key, "&s", &v);
  return v;
}

void
leco_notifier_blocked (LecoNotifier *self, GVariant *attempt)
{
  const char *app_id = lookup_s (attempt, "app-id"), *unit = lookup_s (attempt, "unit");
  const char *comm = lookup_s (attempt, "comm"), *reason = lookup_s (attempt, "reason");
  const char *remote = lookup_s (attempt, "remote-address"), *proto = lookup_s (attempt, "protocol");
  const char *direction = lookup_s (attempt, "direction");
  /* an attempt no local process made (inbound, dropped before any socket) */
  const char *app = *app_id ? app_id : *unit ? unit : *comm ? comm
                    : g_str_equal (direction, "in") ? "inbound" : "unknown";
  guint16 port = 0;
  guint32 count = 1;
  g_autofree char *key = NULL;
  Entry *e;

  g_variant_lookup (attempt, "remote-port", "q", &port);
  g_variant_lookup (attempt, "count", "u", &count);
  if (quiet (self, app))
    return;
  key = leco_blocked_key_from_record (attempt);
  e = g_hash_table_lookup (self->entries, key);
  if (e)
    {
      /* a repeat: update in place (same notification id), within the
       * budget of updates, not that of new notifications */
      if (count <= e->count && count > 1)
        return;
      e->count = MAX (e->count + 1, (guint64) count);
      e->dirty = TRUE;
      if (take_budget (self, &self->sent_update))
        show_entry (self, e);
      else
        defer (self);
      g_debug ("update of %s: count %" G_GUINT64_FORMAT "%s", key, e->count, e->dirty ? " (held back)" : "");
      return;
    }
  if (g_hash_table_contains (self->held, key) || !take_budget (self, &self->sent_new))
    {
      /* past the budget: counted (attempts, not signals) in the summary */
      guint64 before = GPOINTER_TO_SIZE (g_hash_table_lookup (self->held, key));

      if (count <= before)
        return;
      if (g_hash_table_size (self->held) >= MAX_HELD)
        g_hash_table_remove_all (self->held);
      self->suppressed += count - before;
      g_debug ("held back (past the budget of new notifications): %s, count %u", key, count);
      g_hash_table_insert (self->held, g_steal_pointer (&key), GSIZE_TO_POINTER ((gsize) count));
      summary_later (self);
      return;
    }
  g_debug ("new notification: %s", key);
  if (g_hash_table_size (self->entries) >= MAX_OPEN)
    g_hash_table_remove_all (self->entries);
  e = g_new0 (Entry, 1);
  e->self = self;
  e->key = g_steal_pointer (&key);
  e->app = g_strdup (app);
  e->count = count;
  e->inbound = g_str_equal (direction, "in");
  if (e->inbound)
    {
      /* from the peer to our port: its own source port says nothing */
      guint16 lport = 0;
      g_autofree char *proto_up = g_ascii_strup (proto, -1);

      g_variant_lookup (attempt, "local-port", "q", &lport);
      e->endpoint = g_strdup_printf (_("%s%s%s to port %u (%s)"), strchr (remote, ':') ? "[" : "", remote,
                                     strchr (remote, ':') ? "]" : "", lport, proto_up);
    }
  else
    e->endpoint = leco_format_endpoint (remote, port, proto);
  e->reason = g_strdup (leco_format_reason (reason));
  {
    g_autofree char *name = NULL;
    g_autoptr (GIcon) icon = NULL;

    leco_app_lookup (app_id, &name, &icon);
    if (!*app_id && !*unit && !*comm)
      e->summary = g_strdup (g_str_equal (direction, "in") ? _("Incoming connection blocked")
                                                           : _("Connection blocked"));
    else
      e->summary = g_strdup_printf (_("%s was blocked"), name ? name : app);
    if (icon && G_IS_THEMED_ICON (icon))
      e->icon = g_strdup (g_themed_icon_get_names (G_THEMED_ICON (icon))[0]);
    else
      e->icon = g_strdup ("org.leco.Overseer-attention");
  }
  e->n = notify_notification_new (e->summary, NULL, e->icon);
  notify_notification_set_app_name (e->n, "LECO");
  notify_notification_set_category (e->n, "network");
  notify_notification_set_hint (e->n, "desktop-entry", g_variant_new_string ("org.leco.Overseer.Applet"));
  if (self->actions)
    {
      notify_notification_add_action (e->n, "show", _("Show"), on_action, e, NULL);
      notify_notification_add_action (e->n, "mute", _("Mute this app"), on_action, e, NULL);
    }
  g_hash_table_insert (self->entries, e->key, e);
  show_entry (self, e);
}

void
leco_notifier_pause (LecoNotifier *self, gboolean pause)
{
  g_settings_set_int64 (self->settings, "paused-until", pause ? g_get_real_time () + (gint64) 3600 * G_USEC_PER_SEC : 0);
}

gboolean
leco_notifier_is_paused (LecoNotifier *self)
{
  return g_settings_get_int64 (self->settings, "paused-until") > g_get_real_time ();
}

guint64
leco_notifier_get_calls (LecoNotifier *self)
{
  return self->notify_calls;
}

static void
leco_notifier_dispose (GObject *object)
{
  LecoNotifier *self = LECO_NOTIFIER (object);

  g_clear_handle_id (&self->flush, g_source_remove);
  g_clear_handle_id (&self->summary_timer, g_source_remove);
  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_object (&self->summary);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->held, g_hash_table_unref);
  g_queue_clear (&self->sent_new);
  g_queue_clear (&self->sent_update);
  G_OBJECT_CLASS (leco_notifier_parent_class)->dispose (object);
}

static void
leco_notifier_class_init (LecoNotifierClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = leco_notifier_dispose;
  signals[SIG_SHOW_BLOCKED] = g_signal_new ("show-blocked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                            NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
leco_notifier_init (LecoNotifier *self)
{
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  self->held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&self->sent_new);
  g_queue_init (&self->sent_update);
}

LecoNotifier *
leco_notifier_new (GSettings *settings)
{
  LecoNotifier *self = g_object_new (LECO_TYPE_NOTIFIER, NULL);
  GList *caps;

  self->settings = g_object_ref (settings);
  if (!notify_is_initted ())
    notify_init ("LECO");
  caps = notify_get_server_caps ();
  self->actions = g_list_find_custom (caps, "actions", (GCompareFunc) g_strcmp0) != NULL;
  g_list_free_full (caps, g_free);
  return self;
}
