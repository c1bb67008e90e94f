/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gdesktopappinfo.h>
#include <glib/gi18n.h>

#include "leco-format.h"
#include "leco-row.h"

struct _LecoRow {
  GObject parent;
  gboolean cgroup;
  guint64 cgroup_id;
  char *title, *subtitle, *app_id, *unit;
  GIcon *icon;
  guint64 rx_rate, tx_rate, rx_bytes, tx_bytes, blocked;
  guint connections;
  gint64 last_active;
  guint64 history[LECO_ROW_HISTORY];
  guint n_history, history_start;
  GListStore *children;
};

G_DEFINE_FINAL_TYPE (LecoRow, leco_row, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_SUBTITLE,
  PROP_ICON,
  PROP_RX_RATE,
  PROP_TX_RATE,
  PROP_RX_BYTES,
  PROP_TX_BYTES,
  PROP_CONNECTIONS,
  PROP_BLOCKED,
  PROP_LAST_ACTIVE,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

static void
leco_row_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  LecoRow *self = LECO_ROW (object);

  switch (id)
    {
    case PROP_TITLE: g_value_set_string (value, self->title); break;
    case PROP_SUBTITLE: g_value_set_string (value, self->subtitle); break;
    case PROP_ICON: g_value_set_object (value, self->icon); break;
    case PROP_RX_RATE: g_value_set_uint64 (value, self->rx_rate); break;
    case PROP_TX_RATE: g_value_set_uint64 (value, self->tx_rate); break;
    case PROP_RX_BYTES: g_value_set_uint64 (value, self->rx_bytes); break;
    case PROP_TX_BYTES: g_value_set_uint64 (value, self->tx_bytes); break;
    case PROP_CONNECTIONS: g_value_set_uint (value, self->connections); break;
    case PROP_BLOCKED: g_value_set_uint64 (value, self->blocked); break;
    case PROP_LAST_ACTIVE: g_value_set_int64 (value, self->last_active); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
leco_row_finalize (GObject *object)
{
  LecoRow *self = LECO_ROW (object);

  g_free (self->title);
  g_free (self->subtitle);
  g_free (self->app_id);
  g_free (self->unit);
  g_clear_object (&self->icon);
  g_clear_object (&self->children);
  G_OBJECT_CLASS (leco_row_parent_class)->finalize (object);
}

static void
leco_row_class_init (LecoRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags f = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = leco_row_get_property;
  object_class->finalize = leco_row_finalize;
  props[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, f);
  props[PROP_SUBTITLE] = g_param_spec_string ("subtitle", NULL, NULL, NULL, f);
  props[PROP_ICON] = g_param_spec_object ("icon", NULL, NULL, G_TYPE_ICON, f);
  props[PROP_RX_RATE] = g_param_spec_uint64 ("rx-rate", NULL, NULL, 0, G_MAXUINT64, 0, f);
  props[PROP_TX_RATE] = g_param_spec_uint64 ("tx-rate", NULL, NULL, 0, G_MAXUINT64, 0, f);
  props[PROP_RX_BYTES] = g_param_spec_uint64 ("rx-bytes", NULL, NULL, 0, G_MAXUINT64, 0, f);
  props[PROP_TX_BYTES] = g_param_spec_uint64 ("tx-bytes", NULL, NULL, 0, G_MAXUINT64, 0, f);
  props[PROP_CONNECTIONS] = g_param_spec_uint ("connections", NULL, NULL, 0, G_MAXUINT, 0, f);
  props[PROP_BLOCKED] = g_param_spec_uint64 ("blocked", NULL, NULL, 0, G_MAXUINT64, 0, f);
  props[PROP_LAST_ACTIVE] = g_param_spec_int64 ("last-active", NULL, NULL, 0, G_MAXINT64, 0, f);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
leco_row_init (LecoRow *self)
{
}

/* .desktop lookups are file system walks: cache them for the process. */
void
leco_app_lookup (const char *app_id, char **name, GIcon **icon)
{
  static GHashTable *cache;
  GAppInfo *info = NULL;

  *name = NULL;
  *icon = NULL;
  if (!app_id || !*app_id || strchr (app_id, ':'))
    return;
  if (!cache)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  if (!g_hash_table_lookup_extended (cache, app_id, NULL, (gpointer *) &info))
    {
      g_autofree char *id = g_strconcat (app_id, ".desktop", NULL);

      info = (GAppInfo *) g_desktop_app_info_new (id);
      if (info)
        g_hash_table_insert (cache, g_strdup (app_id), info);
      else if (g_hash_table_size (cache) < 4096)
        g_hash_table_insert (cache, g_strdup (app_id), g_object_new (G_TYPE_OBJECT, NULL));
    }
  if (info && G_IS_APP_INFO (info))
    {
      *name = g_strdup (g_app_info_get_display_name (info));
      if (g_app_info_get_icon (info))
        *icon = g_object_ref (g_app_info_get_icon (info));
    }
}

static const char *
lookup_s (GVariant *d, const char *key)
{
  const char *v = "";

  g_variant_lookup (d, key, "&s", &v);
  return v;
}

static void
set_str (LecoRow *self, char **field, const char *value, guint prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), props[prop]);
}

static void
set_u64 (LecoRow *self, guint64 *field, guint64 value, guint prop, gboolean *changed)
{
  if (*field == value)
    return;
  *field = value;
  *changed = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), props[prop]);
}

/* Name and icon: the app's, else the unit's, else the cgroup path. */
static void
name_from (LecoRow *self, GVariant *d)
{
  const char *app_id = lookup_s (d, "app-id"), *unit = lookup_s (d, "unit"), *cgroup = lookup_s (d, "cgroup");
  g_autofree char *name = NULL;
  g_autoptr (GIcon) icon = NULL;

  if (g_strcmp0 (self->app_id, app_id) == 0 && g_strcmp0 (self->unit, unit) == 0 && self->title)
    return;
  g_free (self->app_id);
  self->app_id = g_strdup (app_id);
  g_free (self->unit);
  self->unit = g_strdup (unit);
  leco_app_lookup (app_id, &name, &icon);
  if (!icon)
    icon = g_themed_icon_new_with_default_fallbacks (*unit ? "application-x-executable" : "network-workgroup");
  {
    /* a cgroup removed before the daemon could name it */
    g_autofree char *gone = *cgroup ? NULL : g_strdup_printf (_("cgroup %" G_GUINT64_FORMAT " (removed)"),
                                                             self->cgroup_id);

    set_str (self, &self->title, name ? name : *app_id ? app_id : *unit ? unit : *cgroup ? cgroup : gone,
             PROP_TITLE);
  }
  set_str (self, &self->subtitle, *unit ? unit : cgroup, PROP_SUBTITLE);
  g_set_object (&self->icon, icon);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ICON]);
}

LecoRow *
leco_row_new_cgroup (guint64 cgroup_id)
{
  LecoRow *self = g_object_new (LECO_TYPE_ROW, NULL);

  self->cgroup = TRUE;
  self->cgroup_id = cgroup_id;
  self->children = g_list_store_new (LECO_TYPE_ROW);
  return self;
}

LecoRow *
leco_row_new_connection (GVariant *d)
{
  LecoRow *self = g_object_new (LECO_TYPE_ROW, NULL);
  guint16 port = 0;
  guint32 pid = 0;
  gint64 started = 0;
  g_autofree char *endpoint = NULL;

  g_variant_lookup (d, "remote-port", "q", &port);
  g_variant_lookup (d, "pid", "u", &pid);
  g_variant_lookup (d, "cgroup-id", "t", &self->cgroup_id);
  g_variant_lookup (d, "rx-bytes", "t", &self->rx_bytes);
  g_variant_lookup (d, "tx-bytes", "t", &self->tx_bytes);
  g_variant_lookup (d, "started", "x", &started);
  endpoint = leco_format_endpoint (lookup_s (d, "remote-address"), port, lookup_s (d, "protocol"));
  self->title = g_strdup (endpoint);
  self->subtitle = g_strdup_printf ("%s (%u) %s", lookup_s (d, "comm"), pid, lookup_s (d, "direction"));
  self->last_active = started;
  self->icon = g_themed_icon_new (g_str_equal (lookup_s (d, "direction"), "in") ? "go-down-symbolic"
                                                                                : "go-up-symbolic");
  return self;
}

gboolean
leco_row_update_traffic (LecoRow *self, GVariant *d, gint64 now_us)
{
  gboolean changed = FALSE;
  guint64 v;
  guint32 n;
  guint idx;

  g_object_freeze_notify (G_OBJECT (self));
  name_from (self, d);
  if (g_variant_lookup (d, "rx-rate", "t", &v))
    set_u64 (self, &self->rx_rate, v, PROP_RX_RATE, &changed);
  if (g_variant_lookup (d, "tx-rate", "t", &v))
    set_u64 (self, &self->tx_rate, v, PROP_TX_RATE, &changed);
  if (g_variant_lookup (d, "rx-bytes", "t", &v))
    set_u64 (self, &self->rx_bytes, v, PROP_RX_BYTES, &changed);
  if (g_variant_lookup (d, "tx-bytes", "t", &v))
    set_u64 (self, &self->tx_bytes, v, PROP_TX_BYTES, &changed);
  if (g_variant_lookup (d, "blocked", "t", &v))
    set_u64 (self, &self->blocked, v, PROP_BLOCKED, &changed);
  if (g_variant_lookup (d, "connections", "u", &n) && n != self->connections)
    {
      self->connections = n;
      changed = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CONNECTIONS]);
    }
  if (self->rx_rate || self->tx_rate)
    {
      self->last_active = now_us;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LAST_ACTIVE]);
    }
  /* sparkline: one sample per update */
  idx = (self->history_start + self->n_history) % LECO_ROW_HISTORY;
  self->history[idx] = self->rx_rate + self->tx_rate;
  if (self->n_history < LECO_ROW_HISTORY)
    self->n_history++;
  else
    self->history_start = (self->history_start + 1) % LECO_ROW_HISTORY;
  g_object_thaw_notify (G_OBJECT (self));
  return changed;
}

void
leco_row_add_blocked (LecoRow *self, guint64 count)
{
  self->blocked += count;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_BLOCKED]);
}

gboolean leco_row_is_cgroup (LecoRow *self) { return self->cgroup; }
guint64 leco_row_get_cgroup_id (LecoRow *self) { return self->cgroup_id; }
const char *leco_row_get_title (LecoRow *self) { return self->title ? self->title : ""; }
const char *leco_row_get_subtitle (LecoRow *self) { return self->subtitle ? self->subtitle : ""; }
const char *leco_row_get_app_id (LecoRow *self) { return self->app_id ? self->app_id : ""; }
const char *leco_row_get_unit (LecoRow *self) { return self->unit ? self->unit : ""; }
GIcon *leco_row_get_icon (LecoRow *self) { return self->icon; }
guint64 leco_row_get_rx_rate (LecoRow *self) { return self->rx_rate; }
guint64 leco_row_get_tx_rate (LecoRow *self) { return self->tx_rate; }
guint64 leco_row_get_rx_bytes (LecoRow *self) { return self->rx_bytes; }
guint64 leco_row_get_tx_bytes (LecoRow *self) { return self->tx_bytes; }
guint leco_row_get_connections (LecoRow *self) { return self->connections; }
guint64 leco_row_get_blocked (LecoRow *self) { return self->blocked; }
gint64 leco_row_get_last_active (LecoRow *self) { return self->last_active; }
GListStore *leco_row_get_children (LecoRow *self) { return self->children; }

const guint64 *
leco_row_get_history (LecoRow *self, guint *n, guint *start)
{
  *n = self->n_history;
  *start = self->history_start;
  return self->history;
}
