/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tray icon, speaking the StatusNotifierItem protocol over GDBus itself
 * (libayatana-appindicator is GTK3 and cannot live in a GTK4 process), with
 * its menu over com.canonical.dbusmenu (libdbusmenu-glib).
 *
 * The item lives at /StatusNotifierItem under the well-known name
 * org.kde.StatusNotifierItem-PID-1 and registers with the
 * org.kde.StatusNotifierWatcher whenever one appears.
 */
#define G_LOG_DOMAIN "leco-applet"

#include "config.h"

#include <libdbusmenu-glib/server.h>
#include <glib/gi18n.h>

#include "leco-tray.h"

#define ITEM_PATH "/StatusNotifierItem"
#define MENU_PATH "/MenuBar"
#define WATCHER "org.kde.StatusNotifierWatcher"

static const char item_xml[] =
  "<node>"
  " <interface name='org.kde.StatusNotifierItem'>"
  "  <property name='Category' type='s' access='read'/>"
  "  <property name='Id' type='s' access='read'/>"
  "  <property name='Title' type='s' access='read'/>"
  "  <property name='Status' type='s' access='read'/>"
  "  <property name='WindowId' type='i' access='read'/>"
  "  <property name='IconName' type='s' access='read'/>"
  "  <property name='IconPixmap' type='a(iiay)' access='read'/>"
  "  <property name='IconThemePath' type='s' access='read'/>"
  "  <property name='OverlayIconName' type='s' access='read'/>"
  "  <property name='AttentionIconName' type='s' access='read'/>"
  "  <property name='AttentionIconPixmap' type='a(iiay)' access='read'/>"
  "  <property name='ToolTip' type='(sa(iiay)ss)' access='read'/>"
  "  <property name='ItemIsMenu' type='b' access='read'/>"
  "  <property name='Menu' type='o' access='read'/>"
  "  <method name='ContextMenu'><arg name='x' type='i' direction='in'/><arg name='y' type='i' direction='in'/></method>"
  "  <method name='Activate'><arg name='x' type='i' direction='in'/><arg name='y' type='i' direction='in'/></method>"
  "  <method name='SecondaryActivate'><arg name='x' type='i' direction='in'/><arg name='y' type='i' direction='in'/></method>"
  "  <method name='Scroll'><arg name='delta' type='i' direction='in'/><arg name='orientation' type='s' direction='in'/></method>"
  "  <signal name='NewTitle'/>"
  "  <signal name='NewIcon'/>"
  "  <signal name='NewAttentionIcon'/>"
  "  <signal name='NewOverlayIcon'/>"
  "  <signal name='NewToolTip'/>"
  "  <signal name='NewStatus'><arg name='status' type='s'/></signal>"
  " </interface>"
  "</node>";

struct _LecoTray {
  GObject parent;
  GDBusConnection *bus;
  GDBusNodeInfo *info;
  guint object_id;
  guint name_id;
  guint watcher_id;
  char *bus_name;
  gboolean name_owned;
  gboolean registered;
  gboolean warned_no_watcher;
  guint retry;                /* registration retry timer, only while registering */
  guint tooltip_timer;        /* NewToolTip at most once a second, only while it changes */
  gint64 tooltip_sent;
  gboolean watcher_present;
  guint attempts;
  LecoTrayState state;
  char *tooltip;
  char *icon_theme_path;
  DbusmenuServer *menu;
  DbusmenuMenuitem *pause_item;
  char *pause_label;
  GVariant *pixmaps[3];
};

G_DEFINE_FINAL_TYPE (LecoTray, leco_tray, G_TYPE_OBJECT)

enum { SIG_ACTIVATE, SIG_MENU, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *const icon_names[] = {
  [LECO_TRAY_NORMAL] = "org.leco.Overseer-normal",
  [LECO_TRAY_ATTENTION] = "org.leco.Overseer-attention",
  [LECO_TRAY_DISCONNECTED] = "org.leco.Overseer-disconnected",
};

/* ARGB32 in network byte order, as the protocol wants, for hosts that cannot
 * find our icon by name (not installed, or not in their theme path). */
static GVariant *
render_pixmap (LecoTray *self, LecoTrayState state)
{
  GVariantBuilder b;
  g_autofree char *file = NULL;
  g_autoptr (GdkTexture) tex = NULL;
  int sizes[] = { 22, 32, 48 };

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(iiay)"));
  if (self->icon_theme_path)
    {
      g_autofree char *name = g_strconcat (icon_names[state], ".svg", NULL);
      file = g_build_filename (self->icon_theme_path, "hicolor", "scalable", "apps", name, NULL);
    }
  for (guint s = 0; file && s < G_N_ELEMENTS (sizes); s++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new_from_file_at_size (file, sizes[s], sizes[s], &error);
      int w, h, stride, nch;
      const guint8 *px;
      g_autofree guint8 *argb = NULL;

      if (!pb)
        {
          g_debug ("icon %s: %s", file, error->message);
          break;
        }
      w = gdk_pixbuf_get_width (pb);
      h = gdk_pixbuf_get_height (pb);
      stride = gdk_pixbuf_get_rowstride (pb);
      nch = gdk_pixbuf_get_n_channels (pb);
      px = gdk_pixbuf_read_pixels (pb);
      argb = g_malloc ((gsize) w * h * 4);
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            const guint8 *p = px + y * stride + x * nch;
            guint8 *o = argb + ((gsize) y * w + x) * 4;

            o[0] = nch == 4 ? p[3] : 255;
            o[1] = p[0];
            o[2] = p[1];
            o[3] = p[2];
          }
      g_variant_builder_add (&b, "(ii@ay)", w, h,
                             g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, argb, (gsize) w * h * 4, 1));
    }
  return g_variant_ref_sink (g_variant_builder_end (&b));
}

static GVariant *
get_property (GDBusConnection *c, const char *sender, const char *path, const char *iface, const char *prop,
              GError **error, gpointer user_data)
{
  LecoTray *self = user_data;

  if (g_str_equal (prop, "Category"))
    return g_variant_new_string ("SystemServices");
  if (g_str_equal (prop, "Id"))
    return g_variant_new_string ("org.leco.Overseer.Applet");
  if (g_str_equal (prop, "Title"))
    return g_variant_new_string (_("LECO connection overseer"));
  if (g_str_equal (prop, "Status"))
    return g_variant_new_string (self->state == LECO_TRAY_ATTENTION ? "NeedsAttention" : "Active");
  if (g_str_equal (prop, "WindowId"))
    return g_variant_new_int32 (0);
  /* attention: IconName switches too (as disconnected does), besides Status
   * NeedsAttention: hosts that ignore Status (gtk-sni-tray) show it then */
  if (g_str_equal (prop, "IconName"))
    return g_variant_new_string (icon_names[self->state]);
  if (g_str_equal (prop, "AttentionIconName"))
    return g_variant_new_string (icon_names[LECO_TRAY_ATTENTION]);
  if (g_str_equal (prop, "IconPixmap") || g_str_equal (prop, "AttentionIconPixmap"))
    {
      LecoTrayState s = g_str_equal (prop, "AttentionIconPixmap") ? LECO_TRAY_ATTENTION : self->state;

      if (!self->pixmaps[s])
        self->pixmaps[s] = render_pixmap (self, s);
      return g_variant_ref (self->pixmaps[s]);
    }
  if (g_str_equal (prop, "IconThemePath"))
    return g_variant_new_string (self->icon_theme_path ? self->icon_theme_path : "");
  if (g_str_equal (prop, "OverlayIconName"))
    return g_variant_new_string ("");
  if (g_str_equal (prop, "ToolTip"))
    return g_variant_new ("(sa(iiay)ss)", icon_names[self->state], NULL, _("LECO"),
                          self->tooltip ? self->tooltip : "");
  if (g_str_equal (prop, "ItemIsMenu"))
    return g_variant_new_boolean (FALSE);
  if (g_str_equal (prop, "Menu"))
    return g_variant_new_object_path (MENU_PATH);
  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no property %s", prop);
  return NULL;
}

static void
method_call (GDBusConnection *c, const char *sender, const char *path, const char *iface, const char *method,
             GVariant *params, GDBusMethodInvocation *inv, gpointer user_data)
{
  LecoTray *self = user_data;

  g_debug ("SNI method %s", method);
  if (g_str_equal (method, "Activate") || g_str_equal (method, "SecondaryActivate"))
    g_signal_emit (self, signals[SIG_ACTIVATE], 0);
  g_dbus_method_invocation_return_value (inv, NULL);
}

static const GDBusInterfaceVTable vtable = { method_call, get_property, NULL };

static void
emit (LecoTray *self, const char *signal, GVariant *params)
{
  if (self->bus && self->object_id)
    g_dbus_connection_emit_signal (self->bus, NULL, ITEM_PATH, "org.kde.StatusNotifierItem", signal, params, NULL);
}

static void register_item (LecoTray *self);

static gboolean
on_retry (gpointer user_data)
{
  LecoTray *self = user_data;

  self->retry = 0;
  register_item (self);
  return G_SOURCE_REMOVE;
}

static void
on_registered (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (LecoTray) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) r = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res, &error);

  if (!r)
    {
      /* a watcher may own its name before its object answers: try again a
       * few times, backing off, then give up until it appears anew */
      if (self->watcher_present && ++self->attempts < 8)
        {
          g_debug ("registering with the tray host failed (%s), retrying", error->message);
          g_clear_handle_id (&self->retry, g_source_remove);
          self->retry = g_timeout_add (100u << MIN (self->attempts, 5), on_retry, self);
        }
      else
        g_warning ("the tray host refused our item: %s", error->message);
      return;
    }
  self->registered = TRUE;
  self->attempts = 0;
  g_debug ("registered with %s as %s", WATCHER, self->bus_name);
}

static void
register_item (LecoTray *self)
{
  if (!self->name_owned || !self->watcher_present)
    return;
  g_dbus_connection_call (self->bus, WATCHER, "/StatusNotifierWatcher", WATCHER, "RegisterStatusNotifierItem",
                          g_variant_new ("(s)", self->bus_name), NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                          on_registered, g_object_ref (self));
}

static void
on_watcher_appeared (GDBusConnection *c, const char *name, const char *owner, gpointer user_data)
{
  LecoTray *self = user_data;

  /* also after a restart of the host: register again */
  self->watcher_present = TRUE;
  self->registered = FALSE;
  self->attempts = 0;
  register_item (self);
}

static void
on_watcher_vanished (GDBusConnection *c, const char *name, gpointer user_data)
{
  LecoTray *self = user_data;

  self->registered = FALSE;
  self->watcher_present = FALSE;
  g_clear_handle_id (&self->retry, g_source_remove);
  if (!self->warned_no_watcher)
    {
      g_message ("no system tray (StatusNotifierWatcher) on the session bus: notifications still work, "
                 "and \"leco-applet --show\" opens the traffic window");
      self->warned_no_watcher = TRUE;
    }
}

static void
on_name_acquired (GDBusConnection *c, const char *name, gpointer user_data)
{
  LecoTray *self = user_data;

  self->name_owned = TRUE;
  register_item (self);
}

static void
on_name_lost (GDBusConnection *c, const char *name, gpointer user_data)
{
  LECO_TRAY (user_data)->name_owned = FALSE;
}

static void
on_menu_item (DbusmenuMenuitem *item, guint timestamp, gpointer user_data)
{
  LecoTray *self = g_object_get_data (G_OBJECT (item), "leco-tray");
  const char *action = user_data;

  g_signal_emit (self, signals[SIG_MENU], 0, action);
}

static DbusmenuMenuitem *
menu_item (LecoTray *self, DbusmenuMenuitem *root, const char *label, const char *action)
{
  DbusmenuMenuitem *item = dbusmenu_menuitem_new ();

  dbusmenu_menuitem_property_set (item, DBUSMENU_MENUITEM_PROP_LABEL, label);
  g_object_set_data (G_OBJECT (item), "leco-tray", self);
  g_signal_connect (item, DBUSMENU_MENUITEM_SIGNAL_ITEM_ACTIVATED, G_CALLBACK (on_menu_item), (gpointer) action);
  dbusmenu_menuitem_child_append (root, item);
  g_object_unref (item);
  return item;
}

static void
leco_tray_dispose (GObject *object)
{
  LecoTray *self = LECO_TRAY (object);

  g_clear_handle_id (&self->retry, g_source_remove);
  g_clear_handle_id (&self->tooltip_timer, g_source_remove);
  if (self->watcher_id)
    g_bus_unwatch_name (self->watcher_id);
  self->watcher_id = 0;
  if (self->name_id)
    g_bus_unown_name (self->name_id);
  self->name_id = 0;
  if (self->object_id)
    g_dbus_connection_unregister_object (self->bus, self->object_id);
  self->object_id = 0;
  g_clear_object (&self->menu);
  g_clear_object (&self->bus);
  g_clear_pointer (&self->info, g_dbus_node_info_unref);
  for (guint i = 0; i < G_N_ELEMENTS (self->pixmaps); i++)
    g_clear_pointer (&self->pixmaps[i], g_variant_unref);
  G_OBJECT_CLASS (leco_tray_parent_class)->dispose (object);
}

static void
leco_tray_finalize (GObject *object)
{
  LecoTray *self = LECO_TRAY (object);

  g_free (self->bus_name);
  g_free (self->tooltip);
  g_free (self->icon_theme_path);
  g_free (self->pause_label);
  G_OBJECT_CLASS (leco_tray_parent_class)->finalize (object);
}

static void
leco_tray_class_init (LecoTrayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = leco_tray_dispose;
  object_class->finalize = leco_tray_finalize;
  signals[SIG_ACTIVATE] = g_signal_new ("activate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                        NULL, G_TYPE_NONE, 0);
  signals[SIG_MENU] = g_signal_new ("menu-action", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                    NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
leco_tray_init (LecoTray *self)
{
}

LecoTray *
leco_tray_new (GDBusConnection *session, const char *icon_theme_path, GError **error)
{
  g_autoptr (LecoTray) self = g_object_new (LECO_TYPE_TRAY, NULL);
  DbusmenuMenuitem *root;

  self->bus = g_object_ref (session);
  self->icon_theme_path = g_strdup (icon_theme_path);
  self->info = g_dbus_node_info_new_for_xml (item_xml, error);
  if (!self->info)
    return NULL;
  self->object_id = g_dbus_connection_register_object (session, ITEM_PATH, self->info->interfaces[0], &vtable,
                                                       self, NULL, error);
  if (!self->object_id)
    return NULL;

  root = dbusmenu_menuitem_new ();
  menu_item (self, root, _("Show traffic"), "show");
  self->pause_label = g_strdup (_("Pause notifications for 1 hour"));
  self->pause_item = menu_item (self, root, self->pause_label, "pause");
  menu_item (self, root, _("Muted applications…"), "muted");
  menu_item (self, root, _("Quit"), "quit");
  self->menu = dbusmenu_server_new (MENU_PATH);
  dbusmenu_server_set_root (self->menu, root);
  g_object_unref (root);

  self->bus_name = g_strdup_printf ("org.kde.StatusNotifierItem-%d-1", (int) getpid ());
  self->name_id = g_bus_own_name_on_connection (session, self->bus_name, G_BUS_NAME_OWNER_FLAGS_NONE,
                                                on_name_acquired, on_name_lost, self, NULL);
  self->watcher_id = g_bus_watch_name_on_connection (session, WATCHER, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                     on_watcher_appeared, on_watcher_vanished, self, NULL);
  return g_steal_pointer (&self);
}

void
leco_tray_set_state (LecoTray *self, LecoTrayState state)
{
  if (self->state == state)
    return;
  self->state = state;
  emit (self, "NewIcon", NULL);
  emit (self, "NewAttentionIcon", NULL);
  emit (self, "NewStatus", g_variant_new ("(s)", state == LECO_TRAY_ATTENTION ? "NeedsAttention" : "Active"));
  emit (self, "NewToolTip", NULL);
}

LecoTrayState
leco_tray_get_state (LecoTray *self)
{
  return self->state;
}

static gboolean
on_tooltip_timer (gpointer user_data)
{
  LecoTray *self = user_data;

  self->tooltip_timer = 0;
  self->tooltip_sent = g_get_monotonic_time ();
  emit (self, "NewToolTip", NULL);
  return G_SOURCE_REMOVE;
}

/* Each NewToolTip makes the host read our properties back: under a storm of
 * blocked attempts (the count is in the tooltip) say it at most once a
 * second, or the host runs into the bus's limit of pending calls. */
void
leco_tray_set_tooltip (LecoTray *self, const char *text)
{
  gint64 since;

  if (g_strcmp0 (self->tooltip, text) == 0)
    return;
  g_free (self->tooltip);
  self->tooltip = g_strdup (text);
  if (self->tooltip_timer)
    return;
  since = g_get_monotonic_time () - self->tooltip_sent;
  if (since >= G_USEC_PER_SEC)
    on_tooltip_timer (self);
  else
    self->tooltip_timer = g_timeout_add ((G_USEC_PER_SEC - since) / 1000 + 1, on_tooltip_timer, self);
}

void
leco_tray_set_paused (LecoTray *self, const char *until)
{
  g_free (self->pause_label);
  /* the item resumes while paused: it says so, and until when */
  self->pause_label = until ? g_strdup_printf (_("Notifications paused until %s — Resume"), until)
                            : g_strdup (_("Pause notifications for 1 hour"));
  dbusmenu_menuitem_property_set (self->pause_item, DBUSMENU_MENUITEM_PROP_LABEL, self->pause_label);
}

const char *
leco_tray_get_pause_label (LecoTray *self)
{
  return self->pause_label;
}

gboolean
leco_tray_is_registered (LecoTray *self)
{
  return self->registered;
}
