/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "leco-applet"

#include "config.h"

#include <glib/gi18n.h>

#include "leco-client.h"
#include "leco-overseer-generated.h"

#define BUS_NAME "org.leco.Overseer"
#define OBJECT_PATH "/org/leco/Overseer"
#define BLOCKED_HISTORY 200

struct _LecoClient {
  GObject parent;
  char *address;
  GDBusConnection *bus;
  LecoOverseer1 *proxy;
  GCancellable *cancellable;
  guint watch;
  guint sub_traffic, sub_blocked;
  gulong closed_handler;
  guint retry;                 /* reconnecting to the bus (only then a timer) */
  guint retry_s;
  LecoClientState state;
  char *message;
  /* what the daemon's kernel cannot show (LostFeatures), the hooks it runs
   * without (UnavailableHooks a{ss}): read once per daemon, empty until then
   * and while it is away */
  char **lost;
  GVariant *unavailable;
};

G_DEFINE_TYPE (LecoClient, leco_client, G_TYPE_OBJECT)

enum { SIG_STATE_CHANGED, SIG_RESET, SIG_TRAFFIC, SIG_BLOCKED, SIG_LIMITS_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
set_state (LecoClient *self, LecoClientState state, const char *message)
{
  if (self->state == state && g_strcmp0 (self->message, message) == 0)
    return;
  self->state = state;
  g_free (self->message);
  self->message = g_strdup (message);
  g_debug ("daemon state %d: %s", state, message ? message : "");
  g_signal_emit (self, signals[SIG_STATE_CHANGED], 0);
}

/* lost: as, unavailable: a{ss}; NULL for empty */
static void
set_limits (LecoClient *self, GVariant *lost, GVariant *unavailable)
{
  g_auto (GStrv) strv = lost ? g_variant_dup_strv (lost, NULL) : g_new0 (char *, 1);
  g_autoptr (GVariant) hooks = unavailable ? g_variant_ref_sink (unavailable)
                                           : g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE ("{ss}"),
                                                                                      NULL, 0));

  if (g_strv_equal ((const char *const *) strv, (const char *const *) self->lost) &&
      g_variant_equal (hooks, self->unavailable))
    return;
  g_strfreev (self->lost);
  self->lost = g_steal_pointer (&strv);
  g_variant_unref (self->unavailable);
  self->unavailable = g_steal_pointer (&hooks);
  g_debug ("%u lost features, %zu hooks unavailable", g_strv_length (self->lost),
           g_variant_n_children (self->unavailable));
  g_signal_emit (self, signals[SIG_LIMITS_CHANGED], 0);
}

static void
drop_proxy (LecoClient *self)
{
  g_clear_object (&self->proxy);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}

static gboolean
is_access_denied (const GError *error)
{
  return g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
}

static void
refused (LecoClient *self)
{
  g_autofree char *msg = g_strdup_printf (
    _("You may not watch this machine's connections. Ask an administrator to add you to the "
      "\"%s\" group: sudo usermod -aG %s %s (then log in again)."),
    LECO_MONITOR_GROUP, LECO_MONITOR_GROUP, g_get_user_name ());

  set_state (self, LECO_CLIENT_DENIED, msg);
}

typedef struct {
  LecoClient *self;
  GVariant *traffic;
} ResetCtx;

static void
on_blocked_listed (GObject *source, GAsyncResult *res, gpointer user_data)
{
  ResetCtx *ctx = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) blocked = NULL;

  if (!leco_overseer1_call_list_blocked_finish (LECO_OVERSEER1 (source), &blocked, res, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("ListBlocked failed: %s", error->message);
      blocked = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE_VARDICT, NULL, 0));
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        goto out;
    }
  set_state (ctx->self, LECO_CLIENT_CONNECTED, NULL);
  g_signal_emit (ctx->self, signals[SIG_RESET], 0, ctx->traffic, blocked);
out:
  g_variant_unref (ctx->traffic);
  g_object_unref (ctx->self);
  g_free (ctx);
}

static void
on_traffic_listed (GObject *source, GAsyncResult *res, gpointer user_data)
{
  LecoClient *self = user_data;
  g_autoptr (GError) error = NULL;
  GVariant *traffic = NULL;
  ResetCtx *ctx;

  if (!leco_overseer1_call_list_traffic_finish (LECO_OVERSEER1 (source), &traffic, res, &error))
    {
      if (is_access_denied (error))
        refused (self);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *msg = g_strdup_printf (_("The LECO service does not answer: %s"), error->message);
          set_state (self, LECO_CLIENT_DISCONNECTED, msg);
        }
      g_object_unref (self);
      return;
    }
  ctx = g_new0 (ResetCtx, 1);
  ctx->self = self; /* the ref taken for the first call */
  ctx->traffic = traffic;
  leco_overseer1_call_list_blocked (LECO_OVERSEER1 (source), BLOCKED_HISTORY, self->cancellable,
                                    on_blocked_listed, ctx);
}

static void
on_signal (GDBusConnection *bus, const char *sender, const char *path, const char *iface, const char *member,
           GVariant *params, gpointer user_data)
{
  LecoClient *self = user_data;
  g_autoptr (GVariant) arg = NULL;

  if (g_str_equal (member, "TrafficUpdated") && g_variant_is_of_type (params, G_VARIANT_TYPE ("(aa{sv})")))
    {
      arg = g_variant_get_child_value (params, 0);
      g_signal_emit (self, signals[SIG_TRAFFIC], 0, arg);
    }
  else if (g_str_equal (member, "ConnectionBlocked") && g_variant_is_of_type (params, G_VARIANT_TYPE ("(a{sv})")))
    {
      arg = g_variant_get_child_value (params, 0);
      g_signal_emit (self, signals[SIG_BLOCKED], 0, arg);
    }
}

/* The daemon's properties, read once per daemon (they are constant for
 * its lifetime): the two that say what this kernel does not show.  A
 * daemon without them has nothing to say: empty. */
static void
on_properties (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (LecoClient) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), res, &error);
  g_autoptr (GVariant) props = NULL, lost = NULL, unavailable = NULL;

  if (!reply)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* refused (ListTraffic says so) or an older daemon: nothing known */
      g_debug ("daemon properties: %s", error->message);
      set_limits (self, NULL, NULL);
      return;
    }
  props = g_variant_get_child_value (reply, 0);
  lost = g_variant_lookup_value (props, "LostFeatures", G_VARIANT_TYPE_STRING_ARRAY);
  unavailable = g_variant_lookup_value (props, "UnavailableHooks", G_VARIANT_TYPE ("a{ss}"));
  set_limits (self, lost, unavailable);
}

static void
on_proxy (GObject *source, GAsyncResult *res, gpointer user_data)
{
  LecoClient *self = user_data;
  g_autoptr (GError) error = NULL;
  LecoOverseer1 *proxy = leco_overseer1_proxy_new_finish (res, &error);

  if (!proxy)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("cannot talk to %s: %s", BUS_NAME, error->message);
      g_object_unref (self);
      return;
    }
  self->proxy = proxy;
  /* subscribed since the bus connection (on_bus): nothing falls between
   * the daemon's first signals and this read of its state */
  leco_overseer1_call_list_traffic (proxy, self->cancellable, on_traffic_listed, self);
  /* one GetAll rather than a Get each: an absent property is simply not in it */
  g_dbus_proxy_call (G_DBUS_PROXY (proxy), "org.freedesktop.DBus.Properties.GetAll",
                     g_variant_new ("(s)", "org.leco.Overseer1"), G_DBUS_CALL_FLAGS_NONE, -1, self->cancellable,
                     on_properties, g_object_ref (self));
}

static void
on_name_appeared (GDBusConnection *bus, const char *name, const char *owner, gpointer user_data)
{
  LecoClient *self = user_data;

  g_debug ("%s appeared as %s", name, owner);
  drop_proxy (self);
  self->cancellable = g_cancellable_new ();
  leco_overseer1_proxy_new (bus, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START | G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS |
                            G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES, BUS_NAME, OBJECT_PATH,
                            self->cancellable, on_proxy, g_object_ref (self));
}

static void
on_name_vanished (GDBusConnection *bus, const char *name, gpointer user_data)
{
  LecoClient *self = user_data;

  drop_proxy (self);
  /* the next daemon may run on other hooks: read again when it comes */
  set_limits (self, NULL, NULL);
  if (!bus)
    set_state (self, LECO_CLIENT_DISCONNECTED, _("Cannot connect to the system bus."));
  else
    set_state (self, LECO_CLIENT_DISCONNECTED, _("The LECO service (leco-dbusd) is not running."));
}

static void connect_bus (LecoClient *self);

static gboolean
on_retry (gpointer user_data)
{
  LecoClient *self = user_data;

  self->retry = 0;
  connect_bus (self);
  return G_SOURCE_REMOVE;
}

/* Not on the bus: try again in 1, 2, 4, 8, then every 10 s (the only timer
 * the client ever runs, and only in this state). */
static void
retry_later (LecoClient *self)
{
  self->retry_s = CLAMP (self->retry_s * 2, 1, 10);
  if (!self->retry)
    self->retry = g_timeout_add_seconds (self->retry_s, on_retry, self);
}

static void
leave_bus (LecoClient *self)
{
  drop_proxy (self);
  if (self->watch)
    {
      g_bus_unwatch_name (self->watch);
      self->watch = 0;
    }
  if (self->bus)
    {
      if (self->sub_traffic)
        g_dbus_connection_signal_unsubscribe (self->bus, self->sub_traffic);
      if (self->sub_blocked)
        g_dbus_connection_signal_unsubscribe (self->bus, self->sub_blocked);
      g_clear_signal_handler (&self->closed_handler, self->bus);
    }
  self->sub_traffic = self->sub_blocked = 0;
  g_clear_object (&self->bus);
}

/* The bus went away (restarted, or the session ends): the daemon's state
 * is unknown until we are back. */
static void
on_closed (GDBusConnection *bus, gboolean remote_peer_vanished, GError *error, gpointer user_data)
{
  LecoClient *self = user_data;
  g_autofree char *msg = g_strdup_printf (_("Lost the connection to the system bus (%s); trying again."),
                                          error ? error->message : _("closed"));

  g_message ("%s", msg);
  leave_bus (self);
  set_limits (self, NULL, NULL);
  set_state (self, LECO_CLIENT_DISCONNECTED, msg);
  retry_later (self);
}

static void
on_bus (GObject *source, GAsyncResult *res, gpointer user_data)
{
  LecoClient *self = user_data;
  g_autoptr (GError) error = NULL;
  GDBusConnection *bus;

  if (self->address)
    bus = g_dbus_connection_new_for_address_finish (res, &error);
  else
    bus = g_bus_get_finish (res, &error);
  if (!bus)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *msg = g_strdup_printf (_("Cannot connect to the system bus: %s"), error->message);

          set_state (self, LECO_CLIENT_DISCONNECTED, msg);
          retry_later (self);
        }
      g_object_unref (self);
      return;
    }
  self->bus = bus;
  self->retry_s = 0;
  /* g_bus_get's connection would end the process when the bus goes */
  g_dbus_connection_set_exit_on_close (bus, FALSE);
  self->closed_handler = g_signal_connect (bus, "closed", G_CALLBACK (on_closed), self);
  /* Only the two signals the applet uses, from whoever owns the daemon's
   * name (only the daemon's user may): subscribed once, before the name
   * appears, so the first signals of a daemon that just started are not
   * missed; match rules per member, so the bus does not wake us for every
   * connection opened and closed on the machine. */
  self->sub_traffic = g_dbus_connection_signal_subscribe (bus, BUS_NAME, "org.leco.Overseer1", "TrafficUpdated",
                                                          OBJECT_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_signal,
                                                          self, NULL);
  self->sub_blocked = g_dbus_connection_signal_subscribe (bus, BUS_NAME, "org.leco.Overseer1",
                                                          "ConnectionBlocked", OBJECT_PATH, NULL,
                                                          G_DBUS_SIGNAL_FLAGS_NONE, on_signal, self, NULL);
  self->watch = g_bus_watch_name_on_connection (bus, BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                on_name_appeared, on_name_vanished, self, NULL);
  g_object_unref (self);
}

static void
connect_bus (LecoClient *self)
{
  if (self->address)
    g_dbus_connection_new_for_address (self->address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                       NULL, NULL, on_bus, g_object_ref (self));
  else
    g_bus_get (G_BUS_TYPE_SYSTEM, NULL, on_bus, g_object_ref (self));
}

static void
leco_client_dispose (GObject *object)
{
  LecoClient *self = LECO_CLIENT (object);

  g_clear_handle_id (&self->retry, g_source_remove);
  leave_bus (self);
  G_OBJECT_CLASS (leco_client_parent_class)->dispose (object);
}

static void
leco_client_finalize (GObject *object)
{
  LecoClient *self = LECO_CLIENT (object);

  g_free (self->address);
  g_free (self->message);
  g_strfreev (self->lost);
  g_variant_unref (self->unavailable);
  G_OBJECT_CLASS (leco_client_parent_class)->finalize (object);
}

static void
leco_client_class_init (LecoClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = leco_client_dispose;
  object_class->finalize = leco_client_finalize;
  signals[SIG_STATE_CHANGED] = g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                             NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIG_RESET] = g_signal_new ("reset", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                     G_TYPE_NONE, 2, G_TYPE_VARIANT, G_TYPE_VARIANT);
  signals[SIG_TRAFFIC] = g_signal_new ("traffic", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                       NULL, G_TYPE_NONE, 1, G_TYPE_VARIANT);
  signals[SIG_BLOCKED] = g_signal_new ("blocked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                       NULL, G_TYPE_NONE, 1, G_TYPE_VARIANT);
  signals[SIG_LIMITS_CHANGED] = g_signal_new ("limits-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                              NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
leco_client_init (LecoClient *self)
{
  self->state = LECO_CLIENT_CONNECTING;
  self->lost = g_new0 (char *, 1);
  self->unavailable = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE ("{ss}"), NULL, 0));
}

LecoClient *
leco_client_new (const char *bus)
{
  LecoClient *self = g_object_new (LECO_TYPE_CLIENT, NULL);

  self->address = g_strdup (bus);
  connect_bus (self);
  return self;
}

LecoClientState
leco_client_get_state (LecoClient *self)
{
  return self->state;
}

const char *
leco_client_get_message (LecoClient *self)
{
  return self->message ? self->message : "";
}

const char *const *
leco_client_get_lost_features (LecoClient *self)
{
  return (const char *const *) self->lost;
}

GVariant *
leco_client_get_unavailable_hooks (LecoClient *self)
{
  return self->unavailable;
}

static void
on_connections (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  GVariant *list = NULL;

  if (!leco_overseer1_call_list_connections_finish (LECO_OVERSEER1 (source), &list, res, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, (GDestroyNotify) g_variant_unref);
}

void
leco_client_list_connections (LecoClient *self, guint64 cgroup_id, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  GVariantBuilder filter;

  if (!self->proxy)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "%s", leco_client_get_message (self));
      g_object_unref (task);
      return;
    }
  g_variant_builder_init (&filter, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&filter, "{sv}", "cgroup-id", g_variant_new_uint64 (cgroup_id));
  leco_overseer1_call_list_connections (self->proxy, g_variant_builder_end (&filter), cancellable,
                                        on_connections, task);
}

GVariant *
leco_client_list_connections_finish (LecoClient *self, GAsyncResult *res, GError **error)
{
  return g_task_propagate_pointer (G_TASK (res), error);
}
