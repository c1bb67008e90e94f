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
  char *title, *sort_key, *subtitle, *app_id, *unit, *cgroup_path;
  GIcon *icon;
  guint64 rx_rate, tx_rate, rx_bytes, tx_bytes, blocked;
  guint connections;
  gint64 last_active;
  gint64 first_seen;           /* first update applied (idle rows) */
  guint64 history[LECO_ROW_HISTORY];
  guint n_history, history_start;
  GListStore *children;
  guint serial;                /* bumped at every change */
};

G_DEFINE_FINAL_TYPE (LecoRow, leco_row, G_TYPE_OBJECT)

enum { SIG_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
leco_row_finalize (GObject *object)
{
  LecoRow *self = LECO_ROW (object);

  g_free (self->title);
  g_free (self->sort_key);
  g_free (self->subtitle);
  g_free (self->app_id);
  g_free (self->unit);
  g_free (self->cgroup_path);
  g_clear_object (&self->icon);
  g_clear_object (&self->children);
  G_OBJECT_CLASS (leco_row_parent_class)->finalize (object);
}

static void
leco_row_class_init (LecoRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = leco_row_finalize;
  /* one signal per update rather than a notify per field: a thousand rows
   * change at once, and only the few bound to cells listen */
  signals[SIG_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                       NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
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
str_of (GVariant *v)
{
  return v ? g_variant_get_string (v, NULL) : "";
}

gboolean
leco_traffic_record_parse (GVariant *record, LecoTrafficRecord *rec)
{
  static const struct {
    const char *key;
    guint bit;
    gsize offset;
  } numbers[] = {
    { "cgroup-id", LECO_RECORD_CGROUP_ID, G_STRUCT_OFFSET (LecoTrafficRecord, cgroup_id) },
    { "rx-rate", LECO_RECORD_RX_RATE, G_STRUCT_OFFSET (LecoTrafficRecord, rx_rate) },
    { "tx-rate", LECO_RECORD_TX_RATE, G_STRUCT_OFFSET (LecoTrafficRecord, tx_rate) },
    { "rx-bytes", LECO_RECORD_RX_BYTES, G_STRUCT_OFFSET (LecoTrafficRecord, rx_bytes) },
    { "tx-bytes", LECO_RECORD_TX_BYTES, G_STRUCT_OFFSET (LecoTrafficRecord, tx_bytes) },
    { "blocked", LECO_RECORD_BLOCKED, G_STRUCT_OFFSET (LecoTrafficRecord, blocked) },
  };
  gsize n;

  memset (rec, 0, sizeof *rec);
  if (!g_variant_is_of_type (record, G_VARIANT_TYPE_VARDICT))
    return FALSE;
  /* one pass, children taken directly: a lookup per key would walk the
   * dictionary each time, and g_variant_get()'s format strings cost more
   * than the values they read */
  n = g_variant_n_children (record);
  for (gsize c = 0; c < n; c++)
    {
      g_autoptr (GVariant) entry = g_variant_get_child_value (record, c);
      g_autoptr (GVariant) key_v = g_variant_get_child_value (entry, 0);
      g_autoptr (GVariant) boxed = g_variant_get_child_value (entry, 1);
      GVariant *v = g_variant_get_variant (boxed);
      const char *key = g_variant_get_string (key_v, NULL);
      const GVariantType *type = g_variant_get_type (v);
      GVariant **str = NULL;

      if (g_variant_type_equal (type, G_VARIANT_TYPE_UINT64))
        {
          for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
            if (strcmp (key, numbers[i].key) == 0)
              {
                G_STRUCT_MEMBER (guint64, rec, numbers[i].offset) = g_variant_get_uint64 (v);
                rec->have |= numbers[i].bit;
                break;
              }
        }
      else if (g_variant_type_equal (type, G_VARIANT_TYPE_UINT32))
        {
          if (strcmp (key, "connections") == 0)
            {
              rec->connections = g_variant_get_uint32 (v);
              rec->have |= LECO_RECORD_CONNECTIONS;
            }
        }
      else if (g_variant_type_equal (type, G_VARIANT_TYPE_BOOLEAN))
        {
          if (strcmp (key, "removed") == 0 && g_variant_get_boolean (v))
            rec->have |= LECO_RECORD_REMOVED;
        }
      else if (g_variant_type_equal (type, G_VARIANT_TYPE_STRING))
        {
          if (strcmp (key, "cgroup") == 0)
            str = &rec->cgroup;
          else if (strcmp (key, "unit") == 0)
            str = &rec->unit;
          else if (strcmp (key, "app-id") == 0)
            str = &rec->app_id;
        }
      if (str)
        {
          g_clear_pointer (str, g_variant_unref);   /* a repeated key: the last wins */
          *str = v;
        }
      else
        g_variant_unref (v);
    }
  return (rec->have & LECO_RECORD_CGROUP_ID) != 0;
}

void
leco_traffic_record_clear (LecoTrafficRecord *rec)
{
  g_clear_pointer (&rec->cgroup, g_variant_unref);
  g_clear_pointer (&rec->unit, g_variant_unref);
  g_clear_pointer (&rec->app_id, g_variant_unref);
}

static void
set_title (LecoRow *self, const char *title)
{
  g_free (self->title);
  self->title = g_strdup (title);
  /* sorting compares titles often: collate once */
  g_free (self->sort_key);
  self->sort_key = g_utf8_collate_key (title, -1);
}

static void
set_u64 (guint64 *field, guint64 value, guint *changed)
{
  if (*field == value)
    return;
  *field = value;
  *changed |= LECO_ROW_CHANGED_TRAFFIC;
}

/* Name and icon: the app's, else the unit's, else the cgroup path. */
static guint
name_from (LecoRow *self, const LecoTrafficRecord *rec)
{
  const char *app_id = str_of (rec->app_id), *unit = str_of (rec->unit), *cgroup = str_of (rec->cgroup);
  g_autofree char *name = NULL, *gone = NULL;
  g_autoptr (GIcon) icon = NULL;
  const char *title;

  if (self->title && g_strcmp0 (self->app_id, app_id) == 0 && g_strcmp0 (self->unit, unit) == 0 &&
      g_strcmp0 (self->cgroup_path, cgroup) == 0)
    return 0;
  g_free (self->app_id);
  self->app_id = g_strdup (app_id);
  g_free (self->unit);
  self->unit = g_strdup (unit);
  g_free (self->cgroup_path);
  self->cgroup_path = g_strdup (cgroup);
  leco_app_lookup (app_id, &name, &icon);
  if (!icon)
    icon = g_themed_icon_new_with_default_fallbacks (*unit ? "application-x-executable" : "network-workgroup");
  /* a cgroup removed before the daemon could name it */
  if (!*cgroup)
    gone = g_strdup_printf (_("cgroup %" G_GUINT64_FORMAT " (removed)"), self->cgroup_id);
  title = name ? name : *app_id ? app_id : *unit ? unit : *cgroup ? cgroup : gone;
  g_free (self->subtitle);
  self->subtitle = g_strdup (*unit ? unit : cgroup);
  /* the kernel's names for what is no program's: said in words, once */
  if (self->cgroup_id == 0)
    {
      title = _("Inbound, no local program");
      g_free (self->subtitle);
      self->subtitle = g_strdup ("");
    }
  else if (!*unit && !*app_id && g_str_equal (cgroup, "/"))
    {
      title = _("System (root cgroup)");
      g_free (self->subtitle);
      self->subtitle = g_strdup ("");
    }
  if (g_strcmp0 (self->title, title) != 0)
    set_title (self, title);
  g_set_object (&self->icon, icon);
  return LECO_ROW_CHANGED_NAME;
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

static const char *
lookup_s (GVariant *d, const char *key)
{
  const char *v = "";

  g_variant_lookup (d, key, "&s", &v);
  return v;
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
  set_title (self, endpoint);
  self->subtitle = g_strdup_printf ("%s (%u) %s", lookup_s (d, "comm"), pid, lookup_s (d, "direction"));
  self->last_active = started;
  self->icon = g_themed_icon_new (g_str_equal (lookup_s (d, "direction"), "in") ? "go-down-symbolic"
                                                                                : "go-up-symbolic");
  return self;
}

guint
leco_row_update_traffic (LecoRow *self, const LecoTrafficRecord *rec, gint64 now_us)
{
  guint changed = name_from (self, rec);
  guint idx;

  if (rec->have & LECO_RECORD_RX_RATE)
    set_u64 (&self->rx_rate, rec->rx_rate, &changed);
  if (rec->have & LECO_RECORD_TX_RATE)
    set_u64 (&self->tx_rate, rec->tx_rate, &changed);
  if (rec->have & LECO_RECORD_RX_BYTES)
    set_u64 (&self->rx_bytes, rec->rx_bytes, &changed);
  if (rec->have & LECO_RECORD_TX_BYTES)
    set_u64 (&self->tx_bytes, rec->tx_bytes, &changed);
  if ((rec->have & LECO_RECORD_BLOCKED) && rec->blocked != self->blocked)
    {
      self->blocked = rec->blocked;
      changed |= LECO_ROW_CHANGED_BLOCKED;
    }
  if ((rec->have & LECO_RECORD_CONNECTIONS) && rec->connections != self->connections)
    {
      self->connections = rec->connections;
      changed |= LECO_ROW_CHANGED_TRAFFIC;
    }
  if (self->rx_rate || self->tx_rate)
    self->last_active = now_us;
  if (!self->first_seen)
    self->first_seen = now_us;
  /* sparkline: one sample per update */
  idx = (self->history_start + self->n_history) % LECO_ROW_HISTORY;
  self->history[idx] = self->rx_rate + self->tx_rate;
  if (self->n_history < LECO_ROW_HISTORY)
    self->n_history++;
  else
    self->history_start = (self->history_start + 1) % LECO_ROW_HISTORY;
  changed |= LECO_ROW_CHANGED_TRAFFIC;
  self->serial++;
  g_signal_emit (self, signals[SIG_CHANGED], 0, changed);
  return changed;
}

guint leco_row_get_serial (LecoRow *self) { return self->serial; }
gboolean leco_row_is_cgroup (LecoRow *self) { return self->cgroup; }
guint64 leco_row_get_cgroup_id (LecoRow *self) { return self->cgroup_id; }
const char *leco_row_get_title (LecoRow *self) { return self->title ? self->title : ""; }
const char *leco_row_get_sort_key (LecoRow *self) { return self->sort_key ? self->sort_key : ""; }
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
const char *leco_row_get_cgroup_path (LecoRow *self) { return self->cgroup_path ? self->cgroup_path : ""; }

gboolean
leco_row_is_idle (LecoRow *self, gint64 now_us, gint64 idle_us)
{
  gint64 since = MAX (self->last_active, self->first_seen);

  if (!self->cgroup)
    return FALSE;
  /* removed before the daemon could name it: nothing more will come */
  if (self->title && !*leco_row_get_cgroup_path (self) && self->cgroup_id != 0)
    return TRUE;
  return self->connections == 0 && !self->rx_rate && !self->tx_rate && since > 0 && now_us - since > idle_us;
}

const guint64 *
leco_row_get_history (LecoRow *self, guint *n, guint *start)
{
  *n = self->n_history;
  *start = self->history_start;
  return self->history;
}
