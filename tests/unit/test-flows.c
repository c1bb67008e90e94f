/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's bounded flow table and blocked-attempt coalescing. */
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <glib.h>

#include "ldd-blocked.h"
#include "ldd-flows.h"

static struct leco_event
ev (guint16 type, guint64 cookie, guint8 last_octet, guint16 rport)
{
  struct leco_event e = {
    .type = type, .family = AF_INET, .protocol = IPPROTO_UDP, .direction = LECO_DIR_OUT,
    .pid = 100 + cookie, .uid = 1000, .cookie = cookie, .cgroup_id = 7, .remote_port = rport,
    .local_port = 40000,
  };

  e.remote_addr[0] = 192;
  e.remote_addr[3] = last_octet;
  memcpy (e.comm, "app", 4);
  return e;
}

static void
test_open_close (void)
{
  g_autoptr (LddFlows) t = ldd_flows_new (16, 4);
  struct leco_event o1 = ev (LECO_EV_FLOW_OPEN, 1, 1, 53), o2 = ev (LECO_EV_FLOW_OPEN, 1, 2, 53);
  struct leco_event c = ev (LECO_EV_FLOW_CLOSE, 1, 0, 0);
  g_autoptr (GPtrArray) closed = NULL;
  gboolean created;
  LddFlow *a, *b;

  a = ldd_flows_open (t, &o1, 1, &created);
  g_assert_true (created);
  g_assert_true (a->primary);
  g_assert_true (ldd_flows_open (t, &o1, 2, &created) == a);
  g_assert_false (created);
  b = ldd_flows_open (t, &o2, 3, &created);
  g_assert_true (created);
  g_assert_false (b->primary);
  g_assert_cmpuint (ldd_flows_open_count (t), ==, 2);
  g_assert_cmpuint (ldd_flows_open_in_cgroup (t, 7), ==, 2);

  c.tx_bytes = 300;
  c.rx_bytes = 20;
  closed = ldd_flows_close (t, &c, 4);
  g_assert_cmpuint (closed->len, ==, 2);
  /* the socket's bytes go to its first flow only: no double counting */
  g_assert_cmpuint (a->tx_bytes, ==, 300);
  g_assert_cmpuint (b->tx_bytes, ==, 0);
  g_assert_true (a->closed && b->closed);
  g_assert_cmpuint (ldd_flows_open_count (t), ==, 0);
  g_assert_cmpuint (ldd_flows_open_in_cgroup (t, 7), ==, 0);
  /* closed flows stay findable for a while */
  g_assert_true (ldd_flows_lookup (t, a->id) == a);
}

static void
test_bounded (void)
{
  g_autoptr (LddFlows) t = ldd_flows_new (16, 2);
  gboolean created;
  guint64 first_id = 0;

  for (guint i = 0; i < 100; i++)
    {
      struct leco_event o = ev (LECO_EV_FLOW_OPEN, 1000 + i, i, 80);
      LddFlow *f = ldd_flows_open (t, &o, i, &created);

      if (i == 0)
        first_id = f->id;
      g_assert_true (created);
    }
  g_assert_cmpuint (ldd_flows_open_count (t), ==, 16);
  g_assert_cmpuint (ldd_flows_evicted (t), ==, 84);
  g_assert_null (ldd_flows_lookup (t, first_id));
  /* the closed history is bounded too */
  for (guint i = 84; i < 100; i++)
    {
      struct leco_event c = ev (LECO_EV_FLOW_CLOSE, 1000 + i, 0, 0);
      g_autoptr (GPtrArray) closed = ldd_flows_close (t, &c, 200 + i);

      g_assert_cmpuint (closed->len, ==, 1);
    }
  g_assert_cmpuint (ldd_flows_open_count (t), ==, 0);
}

static void
test_evicts_idle_first (void)
{
  g_autoptr (LddFlows) t = ldd_flows_new (2, 0);
  struct leco_event a = ev (LECO_EV_FLOW_OPEN, 1, 1, 1), b = ev (LECO_EV_FLOW_OPEN, 2, 2, 2);
  struct leco_event c = ev (LECO_EV_FLOW_OPEN, 3, 3, 3);
  gboolean created;
  LddFlow *fa = ldd_flows_open (t, &a, 1, &created);
  guint64 ida = fa->id, idb = ldd_flows_open (t, &b, 2, &created)->id;

  ldd_flows_open (t, &a, 3, &created); /* a is active again */
  ldd_flows_open (t, &c, 4, &created);
  g_assert_nonnull (ldd_flows_lookup (t, ida));
  g_assert_null (ldd_flows_lookup (t, idb));
}

static void
test_close_unknown_and_fail (void)
{
  g_autoptr (LddFlows) t = ldd_flows_new (8, 8);
  struct leco_event c = ev (LECO_EV_FLOW_CLOSE, 77, 9, 443);
  struct leco_event o = ev (LECO_EV_FLOW_OPEN, 78, 9, 443), f = ev (LECO_EV_FLOW_FAIL, 78, 9, 443);
  g_autoptr (GPtrArray) closed = NULL, failed = NULL;
  gboolean created;

  c.tx_bytes = 5;
  closed = ldd_flows_close (t, &c, 1);
  g_assert_cmpuint (closed->len, ==, 1);
  g_assert_cmpuint (((LddFlow *) closed->pdata[0])->tx_bytes, ==, 5);
  g_assert_cmpuint (ldd_flows_open_count (t), ==, 0);

  o.protocol = f.protocol = IPPROTO_TCP;
  ldd_flows_open (t, &o, 2, &created);
  f.err = 111;
  failed = ldd_flows_close (t, &f, 3);
  g_assert_true (((LddFlow *) failed->pdata[0])->failed);
  g_assert_cmpint (((LddFlow *) failed->pdata[0])->err, ==, 111);
}

static void
test_state_fills_port (void)
{
  g_autoptr (LddFlows) t = ldd_flows_new (8, 8);
  struct leco_event o = ev (LECO_EV_FLOW_OPEN, 5, 1, 443), s = ev (LECO_EV_FLOW_STATE, 5, 1, 443);
  gboolean created;
  LddFlow *f;

  o.protocol = s.protocol = IPPROTO_TCP;
  o.local_port = 0;
  o.state = 2;
  f = ldd_flows_open (t, &o, 1, &created);
  g_assert_cmpuint (f->local_port, ==, 0);
  s.local_port = 51000;
  s.state = 1;
  g_assert_true (ldd_flows_state (t, &s) == f);
  g_assert_cmpuint (f->local_port, ==, 51000);
  g_assert_cmpuint (f->tcp_state, ==, 1);
  s.cookie = 999;
  g_assert_null (ldd_flows_state (t, &s));
}

/* One socket, many destinations, closed at once: every closed flow stays
 * valid for the caller even past the history bound (found by bench/daemon). */
static void
test_close_many_destinations (void)
{
  g_autoptr (LddFlows) t = ldd_flows_new (1024, 4);
  struct leco_event c = ev (LECO_EV_FLOW_CLOSE, 9, 0, 0);
  g_autoptr (GPtrArray) closed = NULL;
  gboolean created;

  for (guint i = 0; i < 400; i++)
    {
      struct leco_event o = ev (LECO_EV_FLOW_OPEN, 9, i % 250, 1000 + i);
      ldd_flows_open (t, &o, i, &created);
      g_assert_true (created);
    }
  c.tx_bytes = 400;
  closed = ldd_flows_close (t, &c, 1000);
  g_assert_cmpuint (closed->len, ==, 400);
  for (guint i = 0; i < closed->len; i++)
    {
      LddFlow *f = closed->pdata[i];

      g_assert_true (f->closed);
      g_assert_cmpuint (f->cookie, ==, 9);
      g_assert_cmpuint (f->tx_bytes, ==, f->primary ? 400 : 0);
    }
  /* the bound applies again at the next call */
  {
    struct leco_event o = ev (LECO_EV_FLOW_OPEN, 10, 1, 1);
    LddFlow *first = closed->pdata[0];
    guint64 id = first->id;

    g_clear_pointer (&closed, g_ptr_array_unref);
    ldd_flows_open (t, &o, 2000, &created);
    g_assert_null (ldd_flows_lookup (t, id));
  }
}

static struct leco_event
blocked (guint64 cg, guint8 octet, guint16 port, guint count)
{
  struct leco_event e = ev (LECO_EV_BLOCKED, 1, octet, port);

  e.cgroup_id = cg;
  e.reason = LECO_REASON_NETFILTER;
  e.count = count;
  return e;
}

static void
test_blocked_coalescing (void)
{
  g_autoptr (LddBlockedTable) t = ldd_blocked_table_new (100, 1000 /* ms */);
  struct leco_event e = blocked (7, 1, 443, 1);
  g_autoptr (GPtrArray) due = NULL, list = NULL;
  gboolean now;
  gint64 next;
  LddBlocked *b, *b2;

  b = ldd_blocked_add (t, &e, 1000000, &now);
  g_assert_true (now);
  g_assert_cmpuint (b->count, ==, 1);
  /* repeats within the window: folded, not sent now */
  e.count = 3;
  g_assert_true (ldd_blocked_add (t, &e, 1100000, &now) == b);
  g_assert_false (now);
  g_assert_cmpuint (b->count, ==, 4);
  due = ldd_blocked_take_due (t, 1500000, &next);
  g_assert_cmpuint (due->len, ==, 0);
  g_assert_cmpint (next, ==, 2000000);
  g_clear_pointer (&due, g_ptr_array_unref);
  due = ldd_blocked_take_due (t, 2000000, &next);
  g_assert_cmpuint (due->len, ==, 1);
  g_assert_cmpint (next, ==, 0);
  /* quiet for a window: the next one goes out at once, same id */
  g_assert_true (ldd_blocked_add (t, &e, 3500000, &now) == b);
  g_assert_true (now);
  g_assert_cmpuint (b->count, ==, 7);
  /* another port, another cgroup: separate entries */
  e = blocked (7, 1, 80, 1);
  b2 = ldd_blocked_add (t, &e, 3600000, &now);
  g_assert_true (now && b2 != b);
  e = blocked (8, 1, 443, 1);
  g_assert_true (ldd_blocked_add (t, &e, 3600000, &now) != b);
  list = ldd_blocked_list (t, 0);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_cmpuint (ldd_blocked_total (t), ==, 9);
}

static void
test_blocked_inbound_key (void)
{
  g_autoptr (LddBlockedTable) t = ldd_blocked_table_new (10, 1000);
  gboolean now;

  /* a port scan from one host: inbound attempts key on our port */
  for (guint16 sport = 1000; sport < 1100; sport++)
    {
      struct leco_event e = blocked (0, 9, sport, 1);

      e.direction = LECO_DIR_IN;
      e.local_port = 22;
      ldd_blocked_add (t, &e, 1000 + sport, &now);
    }
  g_autoptr (GPtrArray) list = ldd_blocked_list (t, 0);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpuint (((LddBlocked *) list->pdata[0])->count, ==, 100);
}

static void
test_blocked_history_bounded (void)
{
  g_autoptr (LddBlockedTable) t = ldd_blocked_table_new (10, 1000);
  g_autoptr (GPtrArray) list = NULL, two = NULL;
  gboolean now;

  for (guint i = 0; i < 1000; i++)
    {
      struct leco_event e = blocked (i, i % 250, 1 + i, 1);
      ldd_blocked_add (t, &e, i, &now);
      g_assert_true (now);
    }
  list = ldd_blocked_list (t, 0);
  g_assert_cmpuint (list->len, ==, 10);
  /* newest first */
  g_assert_cmpuint (((LddBlocked *) list->pdata[0])->first.cgroup_id, ==, 999);
  two = ldd_blocked_list (t, 2);
  g_assert_cmpuint (two->len, ==, 2);
}

/* Flows whose close event the kernel lost: closed when their socket is no
 * longer among the kernel's live ones; live, newer and already closed
 * flows are left alone. */
static void
test_reap_lost (void)
{
  g_autoptr (LddFlows) t = ldd_flows_new (64, 64);
  g_autoptr (GHashTable) alive = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (GPtrArray) closed = NULL, again = NULL, none = NULL;
  struct leco_event live = ev (LECO_EV_FLOW_OPEN, 1, 1, 80), shut = ev (LECO_EV_FLOW_OPEN, 2, 2, 80);
  struct leco_event lost = ev (LECO_EV_FLOW_OPEN, 3, 3, 80), multi1 = ev (LECO_EV_FLOW_OPEN, 4, 4, 53);
  struct leco_event multi2 = ev (LECO_EV_FLOW_OPEN, 4, 5, 53), late = ev (LECO_EV_FLOW_OPEN, 5, 6, 80);
  struct leco_event shut_close = ev (LECO_EV_FLOW_CLOSE, 2, 0, 0);
  guint64 cookie_live = 1, below;
  gboolean created;
  LddFlow *fl, *fs, *fx, *fm1, *fm2, *fn;

  fl = ldd_flows_open (t, &live, 1, &created);
  fs = ldd_flows_open (t, &shut, 1, &created);
  fx = ldd_flows_open (t, &lost, 1, &created);
  fm1 = ldd_flows_open (t, &multi1, 1, &created);
  fm2 = ldd_flows_open (t, &multi2, 1, &created);
  fx->tx_bytes = 4242;            /* last seen through the iterator */
  g_ptr_array_unref (ldd_flows_close (t, &shut_close, 2));
  g_assert_true (fs->closed);
  /* the kernel's live sockets are read here: the next flow is newer */
  below = ldd_flows_next_id (t);
  g_hash_table_add (alive, &cookie_live);
  fn = ldd_flows_open (t, &late, 3, &created);
  g_assert_cmpuint (ldd_flows_open_count (t), ==, 5);
  g_assert_cmpuint (ldd_flows_open_in_cgroup (t, 7), ==, 5);

  closed = ldd_flows_reap (t, alive, below, 4, NULL, NULL);
  g_assert_cmpuint (closed->len, ==, 3);
  g_assert_true (g_ptr_array_find (closed, fx, NULL));
  g_assert_true (g_ptr_array_find (closed, fm1, NULL) && g_ptr_array_find (closed, fm2, NULL));
  g_assert_true (fx->closed && fm1->closed && fm2->closed);
  g_assert_false (fx->failed);
  g_assert_cmpuint (fx->tx_bytes, ==, 4242);
  g_assert_cmpint (fx->ended_us, >, 0);
  g_assert_false (fl->closed);
  g_assert_false (fn->closed);
  g_assert_cmpuint (ldd_flows_open_count (t), ==, 2);
  g_assert_cmpuint (ldd_flows_open_in_cgroup (t, 7), ==, 2);
  g_assert_false (ldd_flows_has_socket (t, 3));
  g_assert_false (ldd_flows_has_socket (t, 4));
  g_assert_cmpuint (ldd_flows_reaped (t), ==, 3);
  /* still findable as closed, like any closed flow */
  g_assert_true (ldd_flows_lookup (t, fx->id) == fx);
  /* reaped once: a second pass finds nothing more */
  again = ldd_flows_reap (t, alive, below, 5, NULL, NULL);
  g_assert_cmpuint (again->len, ==, 0);
  /* without the cookie of the live one, it goes too; the newer one never */
  g_hash_table_remove_all (alive);
  none = ldd_flows_reap (t, alive, below, 6, NULL, NULL);
  g_assert_cmpuint (none->len, ==, 1);
  g_assert_true (none->pdata[0] == fl);
  g_assert_false (fn->closed);
  g_assert_cmpuint (ldd_flows_open_count (t), ==, 1);
}

/* The close event of a reaped socket may still come (it waited behind a
 * backlog): it closes nothing twice, it brings the final counts. */
static void
test_reap_then_late_close (void)
{
  g_autoptr (LddFlows) t = ldd_flows_new (4, 64);
  g_autoptr (GHashTable) alive = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (GPtrArray) reaped = NULL, late = NULL, late2 = NULL, old = NULL;
  struct leco_event o1 = ev (LECO_EV_FLOW_OPEN, 10, 1, 53), o2 = ev (LECO_EV_FLOW_OPEN, 10, 2, 53);
  struct leco_event c = ev (LECO_EV_FLOW_CLOSE, 10, 0, 0);
  gboolean created;
  LddFlow *f1, *f2;

  f1 = ldd_flows_open (t, &o1, 1, &created);
  f2 = ldd_flows_open (t, &o2, 1, &created);
  f1->tx_bytes = 100;
  reaped = ldd_flows_reap (t, alive, ldd_flows_next_id (t), 2, NULL, NULL);
  g_assert_cmpuint (reaped->len, ==, 2);
  c.tx_bytes = 180;
  c.rx_bytes = 7;
  late = ldd_flows_close (t, &c, 3);
  g_assert_cmpuint (late->len, ==, 0);
  g_assert_cmpuint (f1->tx_bytes, ==, 180);
  g_assert_cmpuint (f1->rx_bytes, ==, 7);
  g_assert_cmpuint (f2->tx_bytes, ==, 0);
  g_assert_cmpuint (ldd_flows_open_count (t), ==, 0);

  /* remembered for a while only: the last 4096 reaped sockets */
  for (guint round = 0; round < 4096 / 4 + 1; round++)
    {
      g_autoptr (GPtrArray) some = NULL;

      for (guint i = 0; i < 4; i++)
        {
          struct leco_event o = ev (LECO_EV_FLOW_OPEN, 1000 + round * 4 + i, i, 80);

          ldd_flows_open (t, &o, 4, &created);
        }
      some = ldd_flows_reap (t, alive, ldd_flows_next_id (t), 5, NULL, NULL);
      g_assert_cmpuint (some->len, ==, 4);
    }
  c = ev (LECO_EV_FLOW_CLOSE, 1000 + 4096 + 3, 0, 0);  /* among the last 4096 */
  late2 = ldd_flows_close (t, &c, 6);
  g_assert_cmpuint (late2->len, ==, 0);
  c = ev (LECO_EV_FLOW_CLOSE, 1000, 0, 0);             /* the first, forgotten */
  old = ldd_flows_close (t, &c, 9);
  g_assert_cmpuint (old->len, ==, 1);              /* made up from the event, as for any unknown socket */
}

/* Outbound TCP is announced by the kernel once established or failed; a
 * connect still waiting (SYN_SENT) is a flow only through the iterator, in
 * the direction it goes; announced and counted (closed) sockets as before. */
static void
test_waiting_connect (void)
{
  g_autoptr (LddFlows) t = ldd_flows_new (16, 4);
  g_autoptr (GHashTable) alive = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (GPtrArray) reaped = NULL;
  struct leco_sock_rec r = {
    .s = { .cookie = 77, .cgroup_id = 7, .pid = 4242, .uid = 1000, .flags = LECO_F_TCP_SEEN, .comm = "curl" },
    .remote_port = 443, .family = AF_INET, .protocol = IPPROTO_TCP, .state = 2 /* SYN_SENT */,
  };
  struct leco_event est = ev (LECO_EV_FLOW_OPEN, 77, 0, 443);
  gboolean created;
  LddFlow *f;

  g_assert_true (ldd_sock_rec_is_flow (&r));
  r.state = 1;                       /* established, not announced (yet): not a flow */
  g_assert_false (ldd_sock_rec_is_flow (&r));
  r.s.flags |= LECO_F_ANNOUNCED;
  g_assert_true (ldd_sock_rec_is_flow (&r));
  r.s.flags |= LECO_F_COUNTED;       /* closed, waiting to be freed */
  g_assert_false (ldd_sock_rec_is_flow (&r));
  r.s.flags = LECO_F_TCP_SEEN;
  r.protocol = IPPROTO_UDP;
  r.state = 2;
  g_assert_false (ldd_sock_rec_is_flow (&r));

  r.protocol = IPPROTO_TCP;
  g_assert_false (ldd_flows_knows_socket (t, 77));
  f = ldd_flows_apply_socket (t, &r, 1, &created);
  g_assert_nonnull (f);
  g_assert_true (created);
  g_assert_cmpuint (f->direction, ==, LECO_DIR_OUT);
  g_assert_cmpuint (f->tcp_state, ==, 2);
  g_assert_true (ldd_flows_knows_socket (t, 77));
  /* the kernel's announcement when it is established: the same flow */
  est.protocol = IPPROTO_TCP;
  est.remote_addr[0] = 0;
  est.remote_addr[3] = 0;
  est.state = 1;
  est.local_port = 51000;
  g_assert_true (ldd_flows_open (t, &est, 2, &created) == f);
  g_assert_false (created);
  g_assert_true (ldd_flows_state (t, &est) == f);
  g_assert_cmpuint (f->tcp_state, ==, 1);
  g_assert_cmpuint (f->local_port, ==, 51000);
  /* reaped (its close lost): still known until its late close */
  reaped = ldd_flows_reap (t, alive, ldd_flows_next_id (t), 3, NULL, NULL);
  g_assert_cmpuint (reaped->len, ==, 1);
  g_assert_false (ldd_flows_has_socket (t, 77));
  g_assert_true (ldd_flows_knows_socket (t, 77));

  /* found announced after a restart: the direction it was announced with */
  r.s.cookie = 78;
  r.state = 1;
  r.s.flags = LECO_F_TCP_SEEN | LECO_F_ANNOUNCED | LECO_F_INBOUND;
  f = ldd_flows_apply_socket (t, &r, 4, &created);
  g_assert_true (created);
  g_assert_cmpuint (f->direction, ==, LECO_DIR_IN);
  r.s.cookie = 79;
  r.s.flags = LECO_F_TCP_SEEN | LECO_F_ANNOUNCED;
  f = ldd_flows_apply_socket (t, &r, 4, &created);
  g_assert_true (created);
  g_assert_cmpuint (f->direction, ==, LECO_DIR_OUT);
}

/* Walks that cannot see some sockets (kernels that refuse the storage map
 * iterator: other namespaces) must not close their flows: only their close
 * event does. */
static LddWalkSees
walk_of_netns_100 (const LddFlow *f, gpointer user_data)
{
  if (f->netns == 100)
    return LDD_WALK_SEES_ALWAYS;
  return f->netns == 200 ? LDD_WALK_SEES_HELD : LDD_WALK_BLIND;
}

static void
test_reap_only_seen (void)
{
  g_autoptr (LddFlows) t = ldd_flows_new (16, 16);
  g_autoptr (GHashTable) alive = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (GPtrArray) reaped = NULL, again = NULL, third = NULL;
  struct leco_event mine = ev (LECO_EV_FLOW_OPEN, 1, 1, 80), held = ev (LECO_EV_FLOW_OPEN, 2, 2, 80);
  struct leco_event blind = ev (LECO_EV_FLOW_OPEN, 3, 3, 80), blind_close = ev (LECO_EV_FLOW_CLOSE, 3, 0, 0);
  guint64 cookie_held = 2;
  gboolean created;
  LddFlow *fm, *fh, *fb;

  mine.netns = 100;
  held.netns = 200;
  blind.netns = 300;
  fm = ldd_flows_open (t, &mine, 1, &created);
  fh = ldd_flows_open (t, &held, 1, &created);
  fb = ldd_flows_open (t, &blind, 1, &created);
  g_assert_cmpuint (fh->netns, ==, 200);
  /* a walk meets only the held one: the always-seen one is gone at once */
  g_hash_table_add (alive, &cookie_held);
  reaped = ldd_flows_reap (t, alive, ldd_flows_next_id (t), 2, walk_of_netns_100, NULL);
  g_assert_cmpuint (reaped->len, ==, 1);
  g_assert_true (reaped->pdata[0] == fm);
  /* the held one, met before, only when two walks in a row miss it: met
   * in between, it starts over */
  g_hash_table_remove_all (alive);
  again = ldd_flows_reap (t, alive, ldd_flows_next_id (t), 3, walk_of_netns_100, NULL);
  g_assert_cmpuint (again->len, ==, 0);
  g_hash_table_add (alive, &cookie_held);
  g_ptr_array_unref (ldd_flows_reap (t, alive, ldd_flows_next_id (t), 3, walk_of_netns_100, NULL));
  g_hash_table_remove_all (alive);
  g_ptr_array_unref (ldd_flows_reap (t, alive, ldd_flows_next_id (t), 4, walk_of_netns_100, NULL));
  g_assert_false (fh->closed);
  third = ldd_flows_reap (t, alive, ldd_flows_next_id (t), 5, walk_of_netns_100, NULL);
  g_assert_cmpuint (third->len, ==, 1);
  g_assert_true (third->pdata[0] == fh);
  /* one of the same kind that no walk ever met (it came and went between
   * two walks, its close lost) goes at the first walk that misses it */
  {
    struct leco_event brief = ev (LECO_EV_FLOW_OPEN, 4, 4, 80);
    g_autoptr (GPtrArray) gone = NULL;
    LddFlow *fq;

    brief.netns = 200;
    fq = ldd_flows_open (t, &brief, 5, &created);
    gone = ldd_flows_reap (t, alive, ldd_flows_next_id (t), 5, walk_of_netns_100, NULL);
    g_assert_cmpuint (gone->len, ==, 1);
    g_assert_true (gone->pdata[0] == fq);
  }
  /* the one no walk can see: only its close event closes it */
  g_assert_false (fb->closed);
  blind_close.tx_bytes = 77;
  g_ptr_array_unref (ldd_flows_close (t, &blind_close, 6));
  g_assert_true (fb->closed);
  g_assert_cmpuint (fb->tx_bytes, ==, 77);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/flows/open-close", test_open_close);
  g_test_add_func ("/flows/bounded", test_bounded);
  g_test_add_func ("/flows/evicts-idle-first", test_evicts_idle_first);
  g_test_add_func ("/flows/close-unknown-and-fail", test_close_unknown_and_fail);
  g_test_add_func ("/flows/state-fills-port", test_state_fills_port);
  g_test_add_func ("/flows/close-many-destinations", test_close_many_destinations);
  g_test_add_func ("/flows/reap-lost", test_reap_lost);
  g_test_add_func ("/flows/reap-then-late-close", test_reap_then_late_close);
  g_test_add_func ("/flows/reap-only-what-walks-see", test_reap_only_seen);
  g_test_add_func ("/flows/waiting-connect", test_waiting_connect);
  g_test_add_func ("/blocked/coalescing", test_blocked_coalescing);
  g_test_add_func ("/blocked/inbound-key", test_blocked_inbound_key);
  g_test_add_func ("/blocked/history-bounded", test_blocked_history_bounded);
  return g_test_run ();
}
