/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Blocked page's model: one entry per coalesced blocked attempt, keyed
 * like the daemon keys them, newest activity first.  A ConnectionBlocked is
 * a hash lookup and a move to the front of a GSequence; nothing here runs
 * per TrafficUpdated.
 */
#define G_LOG_DOMAIN "leco-applet"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "leco-blocked.h"
#include "leco-row.h"

/* ---- words --------------------------------------------------------------- */

const char *
leco_blocked_reason_words (const char *reason)
{
  if (g_strcmp0 (reason, "firewall") == 0)
    return _("Firewall rule (nftables/iptables)");
  if (g_strcmp0 (reason, "cgroup-bpf") == 0)
    return _("systemd IPAddressDeny= or a cgroup eBPF filter");
  if (g_strcmp0 (reason, "security") == 0)
    return _("Security module (LSM)");
  if (g_strcmp0 (reason, "connect-denied") == 0)
    return _("connect() refused (EPERM/EACCES: cgroup hook or LSM)");
  return _("Blocked (reason unknown)");
}

char *
leco_blocked_hint (const char *reason, const char *direction, const char *unit)
{
  if (g_strcmp0 (reason, "firewall") == 0)
    return g_strdup (g_strcmp0 (direction, "in") == 0 ? _("nft list ruleset (input chain)") : _("nft list ruleset"));
  if (g_strcmp0 (reason, "cgroup-bpf") == 0)
    return unit && *unit ? g_strdup_printf ("systemctl show %s -p IPAddressDeny -p IPAddressAllow", unit)
                         : g_strdup (_("bpftool cgroup tree (not in a systemd unit)"));
  if (g_strcmp0 (reason, "security") == 0)
    return g_strdup (_("LSM logs (journalctl -k: AppArmor/SELinux denials)"));
  if (g_strcmp0 (reason, "connect-denied") == 0)
    return g_strdup (_("check cgroup connect programs (bpftool cgroup tree) and LSM logs (journalctl -k)"));
  return g_strdup ("");
}

static const char *
lookup_s (GVariant *d, const char *key)
{
  const char *v = NULL;

  if (!g_variant_lookup (d, key, "&s", &v))
    v = "";
  return v;
}

static guint16
lookup_q (GVariant *d, const char *key)
{
  guint16 v = 0;

  g_variant_lookup (d, key, "q", &v);
  return v;
}

char *
leco_blocked_key_from_record (GVariant *d)
{
  guint64 cgid = 0;
  const char *dir = lookup_s (d, "direction");
  guint16 port = g_str_equal (dir, "in") ? lookup_q (d, "local-port") : lookup_q (d, "remote-port");

  g_variant_lookup (d, "cgroup-id", "t", &cgid);
  return g_strdup_printf ("%" G_GUINT64_FORMAT "|%s|%s|%s|%s|%u|%s|%s", cgid, dir, lookup_s (d, "protocol"),
                          lookup_s (d, "family"), lookup_s (d, "remote-address"), port, lookup_s (d, "reason"),
                          lookup_s (d, "kernel-reason"));
}

static gboolean
has_ports (const char *proto)
{
  return g_str_equal (proto, "tcp") || g_str_equal (proto, "udp") || g_str_equal (proto, "sctp") ||
         g_str_equal (proto, "udplite");
}

/* "198.18.0.2:5600", "[2001:db8::2]:53", or the address alone without a port */
static char *
host_port (const char *addr, guint16 port)
{
  gboolean v6 = strchr (addr, ':') != NULL;

  if (!*addr)
    addr = "?";
  if (!port)
    return g_strdup (addr);
  return g_strdup_printf ("%s%s%s:%u", v6 ? "[" : "", addr, v6 ? "]" : "", port);
}

/* ---- entry --------------------------------------------------------------- */

struct _LecoBlockedEntry {
  GObject parent;
  char *key;
  guint64 id;                  /* the daemon's record id */
  guint serial;
  guint64 count;
  gint64 started, last_seen;
  guint32 pid;
  GIcon *icon;
  char *title, *subtitle, *process, *comm, *exe, *user, *destination, *destination_tip, *hint, *kernel_reason;
  char *dest_main, *dest_note; /* the destination's two lines */
  const char *blocked_by;
  GSequenceIter *iter;         /* in the list */
};

G_DEFINE_FINAL_TYPE (LecoBlockedEntry, leco_blocked_entry, G_TYPE_OBJECT)

static void
leco_blocked_entry_finalize (GObject *object)
{
  LecoBlockedEntry *self = LECO_BLOCKED_ENTRY (object);

  g_free (self->key);
  g_clear_object (&self->icon);
  g_free (self->title);
  g_free (self->subtitle);
  g_free (self->process);
  g_free (self->comm);
  g_free (self->dest_main);
  g_free (self->dest_note);
  g_free (self->exe);
  g_free (self->user);
  g_free (self->destination);
  g_free (self->destination_tip);
  g_free (self->hint);
  g_free (self->kernel_reason);
  G_OBJECT_CLASS (leco_blocked_entry_parent_class)->finalize (object);
}

static void
leco_blocked_entry_class_init (LecoBlockedEntryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = leco_blocked_entry_finalize;
}

static void
leco_blocked_entry_init (LecoBlockedEntry *self)
{
}

static void
set_str (char **field, char *value)
{
  g_free (*field);
  *field = value;
}

/* the process, owner: the daemon fills them from the latest attempt that had a process */
static void
entry_process (LecoBlockedEntry *self, GVariant *d, gboolean inbound)
{
  guint32 pid = 0;

  g_variant_lookup (d, "pid", "u", &pid);
  if (self->process && !pid)
    return;
  self->pid = pid;
  set_str (&self->process, pid ? g_strdup_printf ("%s (%u)", lookup_s (d, "comm"), pid) : g_strdup ("–"));
  set_str (&self->comm, g_strdup (pid ? lookup_s (d, "comm") : "–"));
  set_str (&self->exe, g_strdup (pid ? lookup_s (d, "exe") : ""));
  set_str (&self->user, g_strdup (pid || !inbound ? lookup_s (d, "user") : "–"));
}

static void
entry_fill (LecoBlockedEntry *self, GVariant *d)
{
  const char *app_id = lookup_s (d, "app-id"), *unit = lookup_s (d, "unit"), *cgroup = lookup_s (d, "cgroup");
  const char *dir = lookup_s (d, "direction"), *proto = lookup_s (d, "protocol"), *comm = lookup_s (d, "comm");
  const char *reason = lookup_s (d, "reason");
  const char *raddr = lookup_s (d, "remote-address"), *laddr = lookup_s (d, "local-address");
  gboolean inbound = g_str_equal (dir, "in");
  gboolean ports = has_ports (proto);
  guint16 rport = ports ? lookup_q (d, "remote-port") : 0, lport = ports ? lookup_q (d, "local-port") : 0;
  guint64 cgid = 0;
  guint32 pid = 0;
  g_autofree char *name = NULL, *remote = NULL, *local = NULL;
  g_autoptr (GIcon) icon = NULL;

  g_variant_lookup (d, "cgroup-id", "t", &cgid);
  g_variant_lookup (d, "pid", "u", &pid);
  g_variant_lookup (d, "id", "t", &self->id);
  g_variant_lookup (d, "started", "x", &self->started);
  g_variant_lookup (d, "last-seen", "x", &self->last_seen);
  entry_process (self, d, inbound);

  leco_app_lookup (app_id, &name, &icon);
  if (inbound && !pid && !*app_id && !*unit)
    {
      /* dropped on arrival, before any socket of this machine took it */
      self->title = g_strdup (_("Inbound, no local program"));
      self->subtitle = *laddr ? g_strdup_printf (_("to %s"), local = host_port (laddr, lport)) : g_strdup ("");
      g_clear_object (&icon);
      icon = g_themed_icon_new_with_default_fallbacks ("network-receive-symbolic");
    }
  else
    {
      gboolean named_cgroup = *cgroup && !g_str_equal (cgroup, "/");

      if (name)
        self->title = g_steal_pointer (&name);
      else if (*app_id)
        self->title = g_strdup (app_id);
      else if (*unit)
        self->title = g_strdup (unit);
      else if (named_cgroup)
        self->title = g_strdup (cgroup);
      else if (*comm)
        self->title = g_strdup (comm);
      else if (cgid)
        self->title = g_strdup_printf (_("cgroup %" G_GUINT64_FORMAT), cgid);
      else
        self->title = g_strdup (_("Unknown program"));
      self->subtitle = g_strdup (*unit ? unit : named_cgroup ? cgroup : "");
      if (!icon)
        icon = g_themed_icon_new_with_default_fallbacks (*unit ? "application-x-executable" : "network-workgroup");
    }
  g_set_object (&self->icon, icon);

  remote = host_port (raddr, rport);
  self->dest_main = g_strdup_printf ("%s %s", inbound ? "←" : "→", remote);
  if (inbound)
    {
      self->dest_note = lport ? g_strdup_printf (_("%s, inbound to port %u"), proto, lport)
                              : g_strdup_printf (_("%s, inbound"), proto);
      self->destination = lport ? g_strdup_printf (_("%s %s (inbound, port %u)"), self->dest_main, proto, lport)
                                : g_strdup_printf (_("%s %s (inbound)"), self->dest_main, proto);
    }
  else
    {
      self->dest_note = g_strdup (proto);
      self->destination = g_strdup_printf ("%s %s", self->dest_main, proto);
    }
  if (!local)
    local = host_port (laddr, lport);
  self->destination_tip = inbound ? g_strdup_printf (_("From %s to %s on this machine (%s, %s)"), remote, local,
                                                     proto, lookup_s (d, "family"))
                                  : g_strdup_printf (_("From %s on this machine to %s (%s, %s)"), local, remote,
                                                     proto, lookup_s (d, "family"));
  self->blocked_by = leco_blocked_reason_words (reason);
  self->kernel_reason = g_strdup (lookup_s (d, "kernel-reason"));
  self->hint = leco_blocked_hint (reason, dir, unit);
  self->serial++;
}

/* a later record of the same key */
static void
entry_merge (LecoBlockedEntry *self, GVariant *d)
{
  guint64 id = 0;
  guint32 count = 1;
  gint64 started = 0, last = 0;

  g_variant_lookup (d, "id", "t", &id);
  g_variant_lookup (d, "count", "u", &count);
  g_variant_lookup (d, "started", "x", &started);
  g_variant_lookup (d, "last-seen", "x", &last);
  /* the daemon's count is its record's running total; another record of
   * the same key (the daemon forgot the first one) adds to ours */
  if (id == self->id)
    self->count = MAX (self->count, count);
  else
    self->count += count;
  self->id = id;
  if (started && (!self->started || started < self->started))
    self->started = started;
  self->last_seen = MAX (self->last_seen, last);
  entry_process (self, d, g_str_equal (lookup_s (d, "direction"), "in"));
  self->serial++;
}

static LecoBlockedEntry *
entry_new (GVariant *d, char *key)
{
  LecoBlockedEntry *self = g_object_new (LECO_TYPE_BLOCKED_ENTRY, NULL);
  guint32 count = 1;

  self->key = key;
  g_variant_lookup (d, "count", "u", &count);
  self->count = count;
  entry_fill (self, d);
  return self;
}

const char *leco_blocked_entry_get_key (LecoBlockedEntry *self) { return self->key; }
guint leco_blocked_entry_get_serial (LecoBlockedEntry *self) { return self->serial; }
guint64 leco_blocked_entry_get_count (LecoBlockedEntry *self) { return self->count; }
gint64 leco_blocked_entry_get_started (LecoBlockedEntry *self) { return self->started; }
gint64 leco_blocked_entry_get_last_seen (LecoBlockedEntry *self) { return self->last_seen; }
GIcon *leco_blocked_entry_get_icon (LecoBlockedEntry *self) { return self->icon; }
const char *leco_blocked_entry_get_title (LecoBlockedEntry *self) { return self->title; }
const char *leco_blocked_entry_get_subtitle (LecoBlockedEntry *self) { return self->subtitle; }
const char *leco_blocked_entry_get_process (LecoBlockedEntry *self) { return self->process; }
const char *leco_blocked_entry_get_comm (LecoBlockedEntry *self) { return self->comm; }
guint32 leco_blocked_entry_get_pid (LecoBlockedEntry *self) { return self->pid; }

void
leco_blocked_entry_get_destination_lines (LecoBlockedEntry *self, const char **main_line, const char **note)
{
  *main_line = self->dest_main;
  *note = self->dest_note ? self->dest_note : "";
}
const char *leco_blocked_entry_get_exe (LecoBlockedEntry *self) { return self->exe; }
const char *leco_blocked_entry_get_user (LecoBlockedEntry *self) { return self->user; }
const char *leco_blocked_entry_get_destination (LecoBlockedEntry *self) { return self->destination; }
const char *leco_blocked_entry_get_destination_tip (LecoBlockedEntry *self) { return self->destination_tip; }
const char *leco_blocked_entry_get_blocked_by (LecoBlockedEntry *self) { return self->blocked_by; }
const char *leco_blocked_entry_get_kernel_reason (LecoBlockedEntry *self) { return self->kernel_reason; }
const char *leco_blocked_entry_get_hint (LecoBlockedEntry *self) { return self->hint; }

/* ---- list ---------------------------------------------------------------- */

struct _LecoBlockedList {
  GObject parent;
  guint max;
  GSequence *seq;              /* of LecoBlockedEntry (owned), newest first */
  GHashTable *by_key;          /* key (the entry's) -> entry */
};

static GType
list_get_item_type (GListModel *list)
{
  return LECO_TYPE_BLOCKED_ENTRY;
}

static guint
list_get_n_items (GListModel *list)
{
  return g_sequence_get_length (LECO_BLOCKED_LIST (list)->seq);
}

static gpointer
list_get_item (GListModel *list, guint position)
{
  GSequenceIter *it = g_sequence_get_iter_at_pos (LECO_BLOCKED_LIST (list)->seq, position);

  return g_sequence_iter_is_end (it) ? NULL : g_object_ref (g_sequence_get (it));
}

static void
list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = list_get_item_type;
  iface->get_n_items = list_get_n_items;
  iface->get_item = list_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (LecoBlockedList, leco_blocked_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_init))

static void
leco_blocked_list_finalize (GObject *object)
{
  LecoBlockedList *self = LECO_BLOCKED_LIST (object);

  g_hash_table_unref (self->by_key);
  g_sequence_free (self->seq);
  G_OBJECT_CLASS (leco_blocked_list_parent_class)->finalize (object);
}

static void
leco_blocked_list_class_init (LecoBlockedListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = leco_blocked_list_finalize;
}

static void
leco_blocked_list_init (LecoBlockedList *self)
{
  self->seq = g_sequence_new (g_object_unref);
  self->by_key = g_hash_table_new (g_str_hash, g_str_equal);
}

LecoBlockedList *
leco_blocked_list_new (guint max)
{
  LecoBlockedList *self = g_object_new (LECO_TYPE_BLOCKED_LIST, NULL);

  self->max = max ? max : LECO_BLOCKED_MAX;
  return self;
}

/* the oldest, to make room for one more */
static void
make_room (LecoBlockedList *self)
{
  while ((guint) g_sequence_get_length (self->seq) >= self->max)
    {
      GSequenceIter *last = g_sequence_iter_prev (g_sequence_get_end_iter (self->seq));
      LecoBlockedEntry *e = g_sequence_get (last);
      guint pos = g_sequence_iter_get_position (last);

      g_hash_table_remove (self->by_key, e->key);
      g_sequence_remove (last);
      g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 0);
    }
}

void
leco_blocked_list_reset (LecoBlockedList *self, GVariant *records)
{
  guint old = g_sequence_get_length (self->seq);
  GVariantIter it;
  GVariant *d;

  g_hash_table_remove_all (self->by_key);
  g_sequence_remove_range (g_sequence_get_begin_iter (self->seq), g_sequence_get_end_iter (self->seq));
  g_variant_iter_init (&it, records);
  /* newest first: each goes after the ones before it */
  while ((d = g_variant_iter_next_value (&it)))
    {
      char *key = leco_blocked_key_from_record (d);
      LecoBlockedEntry *e = g_hash_table_lookup (self->by_key, key);

      if (e)
        {
          /* an older record of a key already listed (cannot happen with one daemon) */
          g_free (key);
        }
      else if ((guint) g_sequence_get_length (self->seq) < self->max)
        {
          e = entry_new (d, key);
          e->iter = g_sequence_append (self->seq, e);
          g_hash_table_insert (self->by_key, e->key, e);
        }
      else
        g_free (key);
      g_variant_unref (d);
    }
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old, g_sequence_get_length (self->seq));
}

LecoBlockedEntry *
leco_blocked_list_add (LecoBlockedList *self, GVariant *record)
{
  char *key;
  LecoBlockedEntry *e;

  if (!g_variant_is_of_type (record, G_VARIANT_TYPE_VARDICT))
    return NULL;
  key = leco_blocked_key_from_record (record);
  e = g_hash_table_lookup (self->by_key, key);
  if (e)
    {
      guint pos = g_sequence_iter_get_position (e->iter);

      g_free (key);
      entry_merge (e, record);
      if (pos == 0)
        {
          g_list_model_items_changed (G_LIST_MODEL (self), 0, 1, 1);
          return e;
        }
      /* out of its place and in at the top: two changes of one row each
       * (one change over all the rows it passed would have a view with
       * 1,000 rows walk them all: half a second).  A view that keeps its
       * selection across the two sees the entry detached in between
       * (leco_blocked_list_lookup() gives NULL then). */
      g_object_ref (e);
      g_sequence_remove (e->iter);
      e->iter = NULL;
      g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 0);
      e->iter = g_sequence_prepend (self->seq, e);   /* the sequence's reference */
      g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, 1);
      return e;
    }
  make_room (self);
  e = entry_new (record, key);
  e->iter = g_sequence_prepend (self->seq, e);
  g_hash_table_insert (self->by_key, e->key, e);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, 1);
  return e;
}

LecoBlockedEntry *
leco_blocked_list_lookup (LecoBlockedList *self, const char *key, guint *position)
{
  LecoBlockedEntry *e = key ? g_hash_table_lookup (self->by_key, key) : NULL;

  if (e && !e->iter)
    return NULL;   /* being moved to the top */
  if (e && position)
    *position = g_sequence_iter_get_position (e->iter);
  return e;
}
