/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "leco-flows"

#include "config.h"

#include <string.h>
#include <netinet/in.h>

#include "ldd-flows.h"

typedef struct {
  guint64 cookie;
  guint8 remote_addr[LECO_ADDR_LEN];
  guint16 remote_port;
} FlowKey;

struct _LddFlows {
  guint max_open, max_closed;
  guint64 next_id;
  guint64 evicted;
  guint64 reaped;
  gint64 evict_logged_us;
  GHashTable *by_key;        /* FlowKey* (in the flow) -> open LddFlow* */
  GHashTable *by_cookie;     /* guint64* (the first flow's own cookie) -> the socket's first
                              * open flow; the others follow it through next_of_socket
                              * (one flow per socket is the common case: no array each) */
  GHashTable *by_id;         /* guint64* -> LddFlow* (open and closed) */
  GHashTable *per_cgroup;    /* guint64 cgroup -> open count (GUINT_TO_POINTER) */
  GQueue lru;                /* open flows, least recently active first */
  GQueue closed;             /* closed flows, oldest first */
  GHashTable *reaped_socks;  /* guint64 cookie -> Reaped: sockets whose close may still come */
  GQueue reaped_order;       /* the same, oldest first (at most REAPED_MAX) */
};

/* A reaped socket, remembered so that its late close closes nothing twice;
 * as many as close events a ring buffer of a few MiB holds. */
#define REAPED_MAX 4096

typedef struct {
  guint64 cookie;
  guint64 id;                /* its first (primary) flow */
  GList link;                /* in reaped_order */
} Reaped;

static void
forget_reaped (LddFlows *self, Reaped *r)
{
  g_hash_table_remove (self->reaped_socks, &r->cookie);
  g_queue_unlink (&self->reaped_order, &r->link);
  g_free (r);
}

/* The key lives at the start of each flow allocation. */
typedef struct {
  FlowKey key;
  LddFlow flow;
} FlowBox;

#define BOX(f) ((FlowBox *) ((char *) (f) - G_STRUCT_OFFSET (FlowBox, flow)))

static guint
key_hash (gconstpointer p)
{
  const FlowKey *k = p;
  guint h = g_int64_hash (&k->cookie) ^ (k->remote_port * 2654435761u);

  for (guint i = 0; i < sizeof (k->remote_addr); i++)
    h = h * 31 + k->remote_addr[i];
  return h;
}

static gboolean
key_equal (gconstpointer a, gconstpointer b)
{
  const FlowKey *x = a, *y = b;

  return x->cookie == y->cookie && x->remote_port == y->remote_port &&
         memcmp (x->remote_addr, y->remote_addr, sizeof (x->remote_addr)) == 0;
}

static void
flow_free (LddFlow *f)
{
  g_clear_pointer (&f->exe, g_ref_string_release);
  g_free (BOX (f));
}

LddFlows *
ldd_flows_new (guint max_open, guint max_closed)
{
  LddFlows *self = g_new0 (LddFlows, 1);

  self->max_open = MAX (max_open, 1);
  self->max_closed = max_closed;
  self->next_id = 1;
  self->by_key = g_hash_table_new (key_hash, key_equal);
  self->by_cookie = g_hash_table_new (g_int64_hash, g_int64_equal);
  self->by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  self->per_cgroup = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->reaped_socks = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_queue_init (&self->lru);
  g_queue_init (&self->closed);
  g_queue_init (&self->reaped_order);
  return self;
}

void
ldd_flows_free (LddFlows *self)
{
  if (!self)
    return;
  for (GList *l = self->lru.head; l; )
    {
      GList *next = l->next;
      flow_free (l->data);
      l = next;
    }
  for (GList *l = self->closed.head; l; )
    {
      GList *next = l->next;
      flow_free (l->data);
      l = next;
    }
  g_hash_table_unref (self->by_key);
  g_hash_table_unref (self->by_cookie);
  g_hash_table_unref (self->by_id);
  g_hash_table_unref (self->per_cgroup);
  while (self->reaped_order.head)
    forget_reaped (self, self->reaped_order.head->data);
  g_hash_table_unref (self->reaped_socks);
  g_free (self);
}

static void
cgroup_count (LddFlows *self, guint64 cgroup_id, int delta)
{
  int n = GPOINTER_TO_INT (g_hash_table_lookup (self->per_cgroup, &cgroup_id)) + delta;

  if (n <= 0)
    g_hash_table_remove (self->per_cgroup, &cgroup_id);
  else
    g_hash_table_replace (self->per_cgroup, g_memdup2 (&cgroup_id, sizeof (cgroup_id)), GINT_TO_POINTER (n));
}

/* Detach an open flow from the open indices (not from by_id). */
static void
unlink_open (LddFlows *self, LddFlow *f)
{
  LddFlow *first = g_hash_table_lookup (self->by_cookie, &f->cookie);

  g_hash_table_remove (self->by_key, &BOX (f)->key);
  if (first == f)
    {
      LddFlow *next = f->next_of_socket;

      /* the key is the first flow's own cookie: re-key, never keep a
       * pointer into a flow that leaves */
      g_hash_table_remove (self->by_cookie, &f->cookie);
      if (next)
        g_hash_table_insert (self->by_cookie, &next->cookie, next);
    }
  else
    {
      for (LddFlow *p = first; p; p = p->next_of_socket)
        if (p->next_of_socket == f)
          {
            p->next_of_socket = f->next_of_socket;
            break;
          }
    }
  f->next_of_socket = NULL;
  g_queue_unlink (&self->lru, &f->lru);
  cgroup_count (self, f->cgroup_id, -1);
}

static void
evict_one (LddFlows *self)
{
  LddFlow *f = self->lru.head->data;

  unlink_open (self, f);
  g_hash_table_remove (self->by_id, &f->id);
  flow_free (f);
  self->evicted++;
  /* say it at most every 10 s */
  if (g_get_monotonic_time () - self->evict_logged_us >= 10 * G_USEC_PER_SEC)
    {
      self->evict_logged_us = g_get_monotonic_time ();
      g_message ("flow table full (%u open flows): evicting the longest idle, %" G_GUINT64_FORMAT
               " so far; raise FlowTableSize", self->max_open, self->evicted);
    }
}

static LddFlow *
flow_new (LddFlows *self, guint64 cookie, const guint8 *remote, guint16 rport, gint64 now_us)
{
  FlowBox *b = g_new0 (FlowBox, 1);
  LddFlow *f = &b->flow;
  LddFlow *first;

  if (self->lru.length >= self->max_open)
    evict_one (self);
  b->key.cookie = cookie;
  memcpy (b->key.remote_addr, remote, LECO_ADDR_LEN);
  b->key.remote_port = rport;
  f->id = self->next_id++;
  f->cookie = cookie;
  f->started_us = g_get_real_time ();
  f->active_us = now_us;
  f->lru.data = f;
  g_hash_table_insert (self->by_key, &b->key, f);
  g_hash_table_insert (self->by_id, &f->id, f);
  first = g_hash_table_lookup (self->by_cookie, &cookie);
  f->primary = first == NULL;
  if (!first)
    g_hash_table_insert (self->by_cookie, &f->cookie, f);
  else
    {
      /* after the socket's others: the first stays first */
      LddFlow *last = first;

      while (last->next_of_socket)
        last = last->next_of_socket;
      last->next_of_socket = f;
    }
  g_queue_push_tail_link (&self->lru, &f->lru);
  return f;
}

static void
touch (LddFlows *self, LddFlow *f, gint64 now_us)
{
  f->active_us = now_us;
  g_queue_unlink (&self->lru, &f->lru);
  g_queue_push_tail_link (&self->lru, &f->lru);
}

static void
fill_from_event (LddFlow *f, const struct leco_event *e)
{
  f->family = e->family;
  f->protocol = e->protocol;
  if (e->direction != LECO_DIR_UNKNOWN)
    f->direction = e->direction;
  memcpy (f->local_addr, e->local_addr, sizeof (f->local_addr));
  memcpy (f->remote_addr, e->remote_addr, sizeof (f->remote_addr));
  if (e->local_port)
    f->local_port = e->local_port;
  f->remote_port = e->remote_port;
  if (e->pid)
    {
      f->pid = e->pid;
      memcpy (f->comm, e->comm, sizeof (f->comm));
    }
  f->uid = e->uid;
  f->cgroup_id = e->cgroup_id;
  if (e->netns)
    f->netns = e->netns;
  if (e->protocol == IPPROTO_TCP && e->state)
    f->tcp_state = e->state;
}

/* Drop the oldest closed flows past the bound.  Never called while a caller
 * may still hold flows closed by the same call (a socket with many
 * destinations closes them all at once). */
static void
trim_history (LddFlows *self)
{
  while (self->closed.length > self->max_closed)
    {
      /* links are embedded: never let GQueue free them */
      LddFlow *old = g_queue_pop_head_link (&self->closed)->data;

      g_hash_table_remove (self->by_id, &old->id);
      flow_free (old);
    }
}

LddFlow *
ldd_flows_open (LddFlows *self, const struct leco_event *e, gint64 now_us, gboolean *created)
{
  FlowKey k = { .cookie = e->cookie, .remote_port = e->remote_port };
  LddFlow *f;

  memcpy (k.remote_addr, e->remote_addr, sizeof (k.remote_addr));
  trim_history (self);
  f = g_hash_table_lookup (self->by_key, &k);
  *created = f == NULL;
  if (!f)
    {
      f = flow_new (self, e->cookie, e->remote_addr, e->remote_port, now_us);
      fill_from_event (f, e);
      cgroup_count (self, f->cgroup_id, +1);
    }
  else
    touch (self, f, now_us);
  return f;
}

static LddFlow *
primary (LddFlows *self, guint64 cookie)
{
  return g_hash_table_lookup (self->by_cookie, &cookie);
}

LddFlow *
ldd_flows_state (LddFlows *self, const struct leco_event *e)
{
  LddFlow *f = primary (self, e->cookie);

  if (!f)
    return NULL;
  /* the tuple is complete now (the local port is chosen after SYN_SENT) */
  if (e->local_port)
    f->local_port = e->local_port;
  memcpy (f->local_addr, e->local_addr, sizeof (f->local_addr));
  if (e->state)
    f->tcp_state = e->state;
  touch (self, f, f->active_us);
  return f;
}

GPtrArray *
ldd_flows_close (LddFlows *self, const struct leco_event *e, gint64 now_us)
{
  GPtrArray *out = g_ptr_array_new ();
  gboolean failed = e->type == LECO_EV_FLOW_FAIL;
  LddFlow *f;

  trim_history (self);
  if (!primary (self, e->cookie))
    {
      Reaped *r = g_hash_table_lookup (self->reaped_socks, &e->cookie);

      if (r)
        {
          /* closed already, when its socket was found gone while this event
           * still waited in the ring buffer: no second close, but the
           * final counts */
          f = g_hash_table_lookup (self->by_id, &r->id);
          if (f && f->closed && e->type == LECO_EV_FLOW_CLOSE)
            {
              f->rx_bytes = e->rx_bytes;
              f->tx_bytes = e->tx_bytes;
            }
          forget_reaped (self, r);
          return out;
        }
      /* opened before we started, or evicted: report what the close says */
      f = flow_new (self, e->cookie, e->remote_addr, e->remote_port, now_us);
      fill_from_event (f, e);
      cgroup_count (self, f->cgroup_id, +1);
    }
  while ((f = primary (self, e->cookie)))
    {
      unlink_open (self, f);
      f->closed = TRUE;
      f->failed = failed;
      f->err = e->err;
      f->ended_us = g_get_real_time ();
      f->tcp_state = f->protocol == IPPROTO_TCP ? 7 /* TCP_CLOSE */ : 0;
      if (f->primary && e->type == LECO_EV_FLOW_CLOSE)
        {
          f->rx_bytes = e->rx_bytes;
          f->tx_bytes = e->tx_bytes;
        }
      if (!f->local_port && e->local_port)
        f->local_port = e->local_port;
      g_queue_push_tail_link (&self->closed, &f->lru);
      g_ptr_array_add (out, f);
    }
  return out;
}

GPtrArray *
ldd_flows_reap (LddFlows *self, GHashTable *alive, guint64 below_id, gint64 now_us,
                LddFlowSeenFunc seen, gpointer user_data)
{
  GPtrArray *out = g_ptr_array_new ();
  g_autoptr (GPtrArray) gone = g_ptr_array_new ();

  trim_history (self);
  for (GList *l = self->lru.head; l; l = l->next)
    {
      LddFlow *f = l->data;

      LddWalkSees how;

      if (f->id >= below_id)
        continue;
      if (g_hash_table_contains (alive, &f->cookie))
        {
          f->missed = 0;
          f->walk_met = TRUE;
          continue;
        }
      how = seen ? seen (f, user_data) : LDD_WALK_SEES_ALWAYS;
      if (how == LDD_WALK_BLIND)
        continue;
      /* a connection the walks followed, now missed: perhaps finishing its
       * close where they cannot see; one that came and went between two
       * walks (its close lost under a storm) is simply gone */
      if (how == LDD_WALK_SEES_HELD && f->walk_met && ++f->missed < 2)
        continue;
      g_ptr_array_add (gone, f);
    }
  for (guint i = 0; i < gone->len; i++)
    {
      LddFlow *f = gone->pdata[i];

      unlink_open (self, f);
      f->closed = TRUE;
      f->ended_us = g_get_real_time ();
      f->active_us = now_us;
      f->tcp_state = f->protocol == IPPROTO_TCP ? 7 /* TCP_CLOSE */ : 0;
      g_queue_push_tail_link (&self->closed, &f->lru);
      g_ptr_array_add (out, f);
      /* its close event may still be on its way (the kernel lost it, or it
       * waits behind a backlog): remember the socket, the first (primary)
       * flow of it, for a while */
      if (!g_hash_table_contains (self->reaped_socks, &f->cookie))
        {
          Reaped *r = g_new (Reaped, 1);

          r->cookie = f->cookie;
          r->id = f->id;
          r->link = (GList) { .data = r };
          g_hash_table_insert (self->reaped_socks, &r->cookie, r);
          g_queue_push_tail_link (&self->reaped_order, &r->link);
        }
    }
  while (self->reaped_order.length > REAPED_MAX)
    forget_reaped (self, self->reaped_order.head->data);
  self->reaped += out->len;
  return out;
}

guint64
ldd_flows_next_id (LddFlows *self)
{
  return self->next_id;
}

guint64
ldd_flows_reaped (LddFlows *self)
{
  return self->reaped;
}

/* An outbound TCP connect still waiting for its answer: the kernel
 * announces it only once established or failed. */
static gboolean
waiting_connect (const struct leco_sock_rec *r)
{
  return r->protocol == IPPROTO_TCP && (r->s.flags & LECO_F_TCP_SEEN) && r->state == 2 /* TCP_SYN_SENT */;
}

/* The direction the kernel announced a socket's flow with (or, for a
 * connect waiting for its answer, the one it goes). */
static guint8
sock_rec_direction (const struct leco_sock_rec *r)
{
  if (r->s.flags & LECO_F_ANNOUNCED)
    return r->s.flags & LECO_F_INBOUND ? LECO_DIR_IN : LECO_DIR_OUT;
  return waiting_connect (r) ? LECO_DIR_OUT : LECO_DIR_UNKNOWN;
}

gboolean
ldd_sock_rec_is_flow (const struct leco_sock_rec *r)
{
  if (r->s.flags & LECO_F_COUNTED)
    return FALSE;
  return (r->s.flags & LECO_F_ANNOUNCED) || waiting_connect (r);
}

LddFlow *
ldd_flows_apply_socket (LddFlows *self, const struct leco_sock_rec *r, gint64 now_us, gboolean *created)
{
  LddFlow *f = primary (self, r->s.cookie);

  *created = FALSE;
  if (!f)
    {
      struct leco_event e = {
        .type = LECO_EV_FLOW_OPEN, .family = r->family, .protocol = r->protocol,
        .state = r->protocol == IPPROTO_TCP ? r->state : 0,
        .direction = sock_rec_direction (r),
        .pid = r->s.pid, .uid = r->s.uid, .cookie = r->s.cookie, .cgroup_id = r->s.cgroup_id,
        .local_port = r->local_port, .remote_port = r->remote_port, .netns = r->netns,
      };

      if (!ldd_sock_rec_is_flow (r))
        return NULL;
      memcpy (e.local_addr, r->local_addr, sizeof (e.local_addr));
      memcpy (e.remote_addr, r->remote_addr, sizeof (e.remote_addr));
      memcpy (e.comm, r->s.comm, sizeof (e.comm));
      f = ldd_flows_open (self, &e, now_us, created);
    }
  if (f->rx_bytes != r->s.rx_bytes || f->tx_bytes != r->s.tx_bytes)
    {
      f->rx_bytes = r->s.rx_bytes;
      f->tx_bytes = r->s.tx_bytes;
      touch (self, f, now_us);
    }
  return f;
}

gboolean
ldd_flows_has_socket (LddFlows *self, guint64 cookie)
{
  return primary (self, cookie) != NULL;
}

gboolean
ldd_flows_knows_socket (LddFlows *self, guint64 cookie)
{
  return primary (self, cookie) != NULL || g_hash_table_contains (self->reaped_socks, &cookie);
}

LddFlow *
ldd_flows_lookup (LddFlows *self, guint64 id)
{
  return g_hash_table_lookup (self->by_id, &id);
}

static int
by_id (gconstpointer a, gconstpointer b)
{
  const LddFlow *x = *(LddFlow **) a, *y = *(LddFlow **) b;

  return x->id < y->id ? -1 : x->id > y->id;
}

void
ldd_flows_foreach_open (LddFlows *self, GFunc func, gpointer user_data)
{
  g_autoptr (GPtrArray) all = g_ptr_array_sized_new (self->lru.length);

  for (GList *l = self->lru.head; l; l = l->next)
    g_ptr_array_add (all, l->data);
  /* oldest first: ids grow with time */
  g_ptr_array_sort (all, by_id);
  g_ptr_array_foreach (all, func, user_data);
}

guint
ldd_flows_open_count (LddFlows *self)
{
  return self->lru.length;
}

guint
ldd_flows_open_in_cgroup (LddFlows *self, guint64 cgroup_id)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->per_cgroup, &cgroup_id));
}

guint64
ldd_flows_evicted (LddFlows *self)
{
  return self->evicted;
}
