/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "leco-blocked"

#include "config.h"

#include <string.h>

#include "ldd-blocked.h"

typedef struct {
  guint64 cgroup_id;
  guint8 addr[LECO_ADDR_LEN];
  guint16 port;
  guint16 family;
  guint8 protocol;
  guint8 direction;
  guint8 reason;
  guint8 _pad;
} BlockKey;

typedef struct {
  BlockKey key;
  LddBlocked b;
} BlockBox;

#define BBOX(p) ((BlockBox *) ((char *) (p) - G_STRUCT_OFFSET (BlockBox, b)))

struct _LddBlockedTable {
  guint history;
  gint64 window_us;
  guint64 next_id;
  guint64 total;
  GHashTable *by_key;
  GQueue recent;             /* newest first */
};

static guint
key_hash (gconstpointer p)
{
  const guint8 *b = p;
  guint h = 2166136261u;

  for (guint i = 0; i < sizeof (BlockKey); i++)
    h = (h ^ b[i]) * 16777619u;
  return h;
}

static gboolean
key_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, sizeof (BlockKey)) == 0;
}

LddBlockedTable *
ldd_blocked_table_new (guint history, guint window_ms)
{
  LddBlockedTable *self = g_new0 (LddBlockedTable, 1);

  self->history = MAX (history, 1);
  self->window_us = (gint64) window_ms * 1000;
  self->next_id = 1;
  self->by_key = g_hash_table_new (key_hash, key_equal);
  g_queue_init (&self->recent);
  return self;
}

void
ldd_blocked_table_free (LddBlockedTable *self)
{
  if (!self)
    return;
  for (GList *l = self->recent.head; l; )
    {
      GList *next = l->next;
      g_free (BBOX (l->data));
      l = next;
    }
  g_hash_table_unref (self->by_key);
  g_free (self);
}

static void
make_key (const struct leco_event *e, BlockKey *k)
{
  memset (k, 0, sizeof (*k));
  k->cgroup_id = e->cgroup_id;
  memcpy (k->addr, e->remote_addr, sizeof (k->addr));
  /* inbound attempts come from ever-changing source ports: key on ours */
  k->port = e->direction == LECO_DIR_IN ? e->local_port : e->remote_port;
  k->family = e->family;
  k->protocol = e->protocol;
  k->direction = e->direction;
  k->reason = e->reason;
}

LddBlocked *
ldd_blocked_add (LddBlockedTable *self, const struct leco_event *e, gint64 mono_us, gboolean *emit_now)
{
  BlockKey k;
  LddBlocked *b;
  guint count = MAX (e->count, 1);

  make_key (e, &k);
  self->total += count;
  b = g_hash_table_lookup (self->by_key, &k);
  if (!b)
    {
      BlockBox *box = g_new0 (BlockBox, 1);

      box->key = k;
      b = &box->b;
      b->id = self->next_id++;
      b->first = *e;
      b->count = count;
      b->started_us = b->last_us = g_get_real_time ();
      b->emitted_mono = mono_us;
      b->link.data = b;
      g_hash_table_insert (self->by_key, &box->key, b);
      g_queue_push_head_link (&self->recent, &b->link);
      while (self->recent.length > self->history)
        {
          /* links are embedded: never let GQueue free them */
          LddBlocked *old = g_queue_pop_tail_link (&self->recent)->data;

          g_hash_table_remove (self->by_key, &BBOX (old)->key);
          g_free (BBOX (old));
        }
      *emit_now = TRUE;
      return b;
    }
  b->count += count;
  b->last_us = g_get_real_time ();
  if (e->pid)
    {
      b->first.pid = e->pid;
      memcpy (b->first.comm, e->comm, sizeof (b->first.comm));
    }
  b->first.uid = e->uid;
  g_queue_unlink (&self->recent, &b->link);
  g_queue_push_head_link (&self->recent, &b->link);
  if (!b->pending && mono_us - b->emitted_mono >= self->window_us)
    {
      /* quiet for a window: this one goes out at once again */
      b->emitted_mono = mono_us;
      *emit_now = TRUE;
      return b;
    }
  b->pending = TRUE;
  *emit_now = FALSE;
  return b;
}

GPtrArray *
ldd_blocked_take_due (LddBlockedTable *self, gint64 mono_us, gint64 *next_due_mono)
{
  GPtrArray *due = g_ptr_array_new ();

  *next_due_mono = 0;
  for (GList *l = self->recent.head; l; l = l->next)
    {
      LddBlocked *b = l->data;
      gint64 at;

      if (!b->pending)
        continue;
      at = b->emitted_mono + self->window_us;
      if (at <= mono_us)
        {
          b->pending = FALSE;
          b->emitted_mono = mono_us;
          g_ptr_array_add (due, b);
        }
      else if (*next_due_mono == 0 || at < *next_due_mono)
        *next_due_mono = at;
    }
  return due;
}

GPtrArray *
ldd_blocked_list (LddBlockedTable *self, guint max)
{
  GPtrArray *out = g_ptr_array_new ();

  for (GList *l = self->recent.head; l && (max == 0 || out->len < max); l = l->next)
    g_ptr_array_add (out, l->data);
  return out;
}

guint64
ldd_blocked_total (LddBlockedTable *self)
{
  return self->total;
}
