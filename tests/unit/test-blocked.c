/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Blocked page's model (applet/leco-blocked.c): the key of a record is
 * the daemon's coalescing key (the local port for inbound attempts), a
 * repeat updates its entry in place and moves it to the front with one
 * items-changed, the list keeps the newest max entries, reset takes the
 * daemon's history, and the texts people read: titles ("Inbound, no local
 * program"), destinations without "port 0", reasons and hints in words.
 */
#include <glib.h>

#include "leco-blocked.h"

typedef struct {
  guint64 id, cgroup_id;
  const char *dir, *proto, *raddr, *laddr;
  guint16 rport, lport;
  guint32 pid, count;
  const char *comm, *unit, *cgroup, *reason, *kreason;
  gint64 started, last;
} Rec;

static GVariant *
record (const Rec *r)
{
  GVariantBuilder d;

  g_variant_builder_init (&d, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&d, "{sv}", "id", g_variant_new_uint64 (r->id));
  g_variant_builder_add (&d, "{sv}", "protocol", g_variant_new_string (r->proto ? r->proto : "tcp"));
  g_variant_builder_add (&d, "{sv}", "family", g_variant_new_string ("ipv4"));
  g_variant_builder_add (&d, "{sv}", "direction", g_variant_new_string (r->dir ? r->dir : "out"));
  g_variant_builder_add (&d, "{sv}", "local-address", g_variant_new_string (r->laddr ? r->laddr : "198.18.0.1"));
  g_variant_builder_add (&d, "{sv}", "local-port", g_variant_new_uint16 (r->lport));
  g_variant_builder_add (&d, "{sv}", "remote-address", g_variant_new_string (r->raddr ? r->raddr : "198.18.0.2"));
  g_variant_builder_add (&d, "{sv}", "remote-port", g_variant_new_uint16 (r->rport));
  g_variant_builder_add (&d, "{sv}", "pid", g_variant_new_uint32 (r->pid));
  g_variant_builder_add (&d, "{sv}", "comm", g_variant_new_string (r->comm ? r->comm : ""));
  g_variant_builder_add (&d, "{sv}", "exe", g_variant_new_string (""));
  g_variant_builder_add (&d, "{sv}", "uid", g_variant_new_uint32 (0));
  g_variant_builder_add (&d, "{sv}", "user", g_variant_new_string ("root"));
  g_variant_builder_add (&d, "{sv}", "cgroup-id", g_variant_new_uint64 (r->cgroup_id));
  g_variant_builder_add (&d, "{sv}", "cgroup", g_variant_new_string (r->cgroup ? r->cgroup : ""));
  g_variant_builder_add (&d, "{sv}", "unit", g_variant_new_string (r->unit ? r->unit : ""));
  g_variant_builder_add (&d, "{sv}", "slice", g_variant_new_string (""));
  g_variant_builder_add (&d, "{sv}", "app-id", g_variant_new_string (""));
  g_variant_builder_add (&d, "{sv}", "reason", g_variant_new_string (r->reason ? r->reason : "firewall"));
  g_variant_builder_add (&d, "{sv}", "kernel-reason", g_variant_new_string (r->kreason ? r->kreason : "NETFILTER_DROP"));
  g_variant_builder_add (&d, "{sv}", "count", g_variant_new_uint32 (r->count ? r->count : 1));
  g_variant_builder_add (&d, "{sv}", "started", g_variant_new_int64 (r->started));
  g_variant_builder_add (&d, "{sv}", "last-seen", g_variant_new_int64 (r->last));
  return g_variant_ref_sink (g_variant_builder_end (&d));
}

typedef struct {
  guint calls, pos, removed, added;
} Changes;

static void
on_changed (GListModel *m, guint pos, guint removed, guint added, Changes *c)
{
  c->calls++;
  c->pos = pos;
  c->removed = removed;
  c->added = added;
}

static LecoBlockedEntry *
nth (LecoBlockedList *l, guint i)
{
  LecoBlockedEntry *e = g_list_model_get_item (G_LIST_MODEL (l), i);

  g_object_unref (e);    /* the list keeps it */
  return e;
}

static void
test_key (void)
{
  Rec out = { .id = 1, .cgroup_id = 42, .rport = 5600, .lport = 40000, .reason = "cgroup-bpf",
              .kreason = "BPF_CGROUP_EGRESS" };
  Rec in = { .id = 2, .dir = "in", .rport = 40001, .lport = 5700, .raddr = "198.18.0.1" };
  Rec in2 = in;
  g_autoptr (GVariant) a = record (&out), b = record (&in), c = NULL;
  g_autofree char *ka = leco_blocked_key_from_record (a), *kb = leco_blocked_key_from_record (b), *kc = NULL;

  g_assert_cmpstr (ka, ==, "42|out|tcp|ipv4|198.18.0.2|5600|cgroup-bpf|BPF_CGROUP_EGRESS");
  g_assert_cmpstr (kb, ==, "0|in|tcp|ipv4|198.18.0.1|5700|firewall|NETFILTER_DROP");
  /* inbound attempts from another source port: the same key */
  in2.rport = 40999;
  c = record (&in2);
  kc = leco_blocked_key_from_record (c);
  g_assert_cmpstr (kb, ==, kc);
}

static void
test_merge (void)
{
  g_autoptr (LecoBlockedList) l = leco_blocked_list_new (0);
  Rec r1 = { .id = 1, .cgroup_id = 7, .rport = 5400, .pid = 100, .comm = "curl", .unit = "a.service",
             .started = 1000, .last = 1000 };
  Rec r2 = { .id = 2, .cgroup_id = 8, .proto = "udp", .rport = 53, .pid = 200, .comm = "dig", .started = 2000,
             .last = 2000 };
  Changes ch = { 0 };
  g_autoptr (GVariant) v1 = record (&r1), v2 = record (&r2), v3 = NULL;
  g_autofree char *k1 = leco_blocked_key_from_record (v1);
  LecoBlockedEntry *e1, *e;
  guint pos = 99;

  g_signal_connect (l, "items-changed", G_CALLBACK (on_changed), &ch);
  e1 = leco_blocked_list_add (l, v1);
  leco_blocked_list_add (l, v2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (l)), ==, 2);
  g_assert_true (nth (l, 0) != e1);
  g_assert_true (leco_blocked_list_lookup (l, k1, &pos) == e1);
  g_assert_cmpuint (pos, ==, 1);
  g_assert_cmpstr (leco_blocked_entry_get_title (e1), ==, "a.service");
  g_assert_cmpstr (leco_blocked_entry_get_process (e1), ==, "curl (100)");
  g_assert_cmpstr (leco_blocked_entry_get_destination (e1), ==, "→ 198.18.0.2:5400 tcp");
  g_assert_cmpstr (leco_blocked_entry_get_blocked_by (e1), ==, "Firewall rule (nftables/iptables)");
  g_assert_cmpstr (leco_blocked_entry_get_hint (e1), ==, "nft list ruleset");

  /* a coalesced repeat of the first: same id, running count */
  r1.count = 5;
  r1.last = 3000;
  r1.pid = 0;   /* a retransmission without a process keeps the one we had */
  v3 = record (&r1);
  ch.calls = 0;
  e = leco_blocked_list_add (l, v3);
  g_assert_true (e == e1);
  /* out of position 1, in at 0: two changes of one row */
  g_assert_cmpuint (ch.calls, ==, 2);
  g_assert_cmpuint (ch.pos, ==, 0);
  g_assert_cmpuint (ch.removed, ==, 0);
  g_assert_cmpuint (ch.added, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (l)), ==, 2);
  g_assert_true (nth (l, 0) == e1);
  g_assert_cmpuint (leco_blocked_entry_get_count (e1), ==, 5);
  g_assert_cmpint (leco_blocked_entry_get_started (e1), ==, 1000);
  g_assert_cmpint (leco_blocked_entry_get_last_seen (e1), ==, 3000);
  g_assert_cmpstr (leco_blocked_entry_get_process (e1), ==, "curl (100)");
  /* again: already first, one row changed in place */
  ch.calls = 0;
  g_assert_true (leco_blocked_list_add (l, v3) == e1);
  g_assert_cmpuint (ch.calls, ==, 1);
  g_assert_cmpuint (ch.pos, ==, 0);
  g_assert_cmpuint (ch.removed, ==, 1);
  g_assert_cmpuint (ch.added, ==, 1);
  g_assert_true (leco_blocked_list_lookup (l, k1, &pos) == e1);
  g_assert_cmpuint (pos, ==, 0);
  g_signal_handlers_disconnect_by_data (l, &ch);
}

static void
test_bounded (void)
{
  g_autoptr (LecoBlockedList) l = leco_blocked_list_new (10);
  g_autoptr (GVariant) first = NULL;
  g_autofree char *k0 = NULL;

  for (guint i = 0; i < 25; i++)
    {
      Rec r = { .id = i + 1, .cgroup_id = 9, .rport = 1000 + i, .pid = 1, .comm = "x", .last = i };
      g_autoptr (GVariant) v = record (&r);

      if (i == 0)
        first = g_variant_ref (v);
      leco_blocked_list_add (l, v);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (l)), ==, 10);
  k0 = leco_blocked_key_from_record (first);
  g_assert_null (leco_blocked_list_lookup (l, k0, NULL));
  g_assert_cmpint (leco_blocked_entry_get_last_seen (nth (l, 0)), ==, 24);
  g_assert_cmpint (leco_blocked_entry_get_last_seen (nth (l, 9)), ==, 15);
}

static void
test_words (void)
{
  g_autoptr (LecoBlockedList) l = leco_blocked_list_new (0);
  Rec in = { .id = 1, .dir = "in", .raddr = "198.18.0.1", .rport = 40000, .laddr = "198.18.0.2", .lport = 5700,
             .cgroup = "/" };
  Rec icmp = { .id = 2, .cgroup_id = 5, .proto = "icmp", .pid = 3, .comm = "ping", .cgroup = "user.slice/x.scope",
               .reason = "security", .kreason = "SECURITY_HOOK" };
  Rec deny = { .id = 3, .cgroup_id = 6, .rport = 5600, .pid = 4, .comm = "nc", .unit = "nonet.service",
               .reason = "cgroup-bpf", .kreason = "BPF_CGROUP_EGRESS" };
  Rec conn = { .id = 4, .cgroup_id = 6, .rport = 5601, .pid = 4, .comm = "nc", .reason = "connect-denied",
               .kreason = "EPERM" };
  g_autoptr (GVariant) vi = record (&in), vc = record (&icmp), vd = record (&deny), vn = record (&conn);
  g_autoptr (GVariant) all = NULL, bad = NULL;
  GVariant *recs[2];
  LecoBlockedEntry *e;
  const char *line1, *line2;

  e = leco_blocked_list_add (l, vi);
  g_assert_cmpstr (leco_blocked_entry_get_title (e), ==, "Inbound, no local program");
  g_assert_cmpstr (leco_blocked_entry_get_process (e), ==, "–");
  g_assert_cmpstr (leco_blocked_entry_get_user (e), ==, "–");
  g_assert_cmpstr (leco_blocked_entry_get_destination (e), ==, "← 198.18.0.1:40000 tcp (inbound, port 5700)");
  leco_blocked_entry_get_destination_lines (e, &line1, &line2);
  g_assert_cmpstr (line1, ==, "← 198.18.0.1:40000");
  g_assert_cmpstr (line2, ==, "tcp, inbound to port 5700");
  g_assert_cmpstr (leco_blocked_entry_get_hint (e), ==, "nft list ruleset (input chain)");
  e = leco_blocked_list_add (l, vc);
  g_assert_cmpstr (leco_blocked_entry_get_title (e), ==, "user.slice/x.scope");
  g_assert_cmpstr (leco_blocked_entry_get_destination (e), ==, "→ 198.18.0.2 icmp");
  g_assert_cmpstr (leco_blocked_entry_get_blocked_by (e), ==, "Security module (LSM)");
  e = leco_blocked_list_add (l, vd);
  g_assert_cmpstr (leco_blocked_entry_get_blocked_by (e), ==, "systemd IPAddressDeny= or a cgroup eBPF filter");
  g_assert_cmpstr (leco_blocked_entry_get_hint (e), ==,
                   "systemctl show nonet.service -p IPAddressDeny -p IPAddressAllow");
  e = leco_blocked_list_add (l, vn);
  g_assert_cmpstr (leco_blocked_entry_get_blocked_by (e), ==,
                   "connect() refused (EPERM/EACCES: cgroup hook or LSM)");
  g_assert_cmpstr (leco_blocked_entry_get_title (e), ==, "nc");   /* no unit, no cgroup path: its comm */
  g_assert_cmpstr (leco_blocked_entry_get_hint (e), ==,
                   "check cgroup connect programs (bpftool cgroup tree) and LSM logs (journalctl -k)");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (l)), ==, 4);
  {
    g_autofree char *h = leco_blocked_hint ("cgroup-bpf", "out", "");

    g_assert_cmpstr (h, ==, "bpftool cgroup tree (not in a systemd unit)");
  }

  /* the daemon's history after a reconnect replaces ours, in its order */
  recs[0] = vn;
  recs[1] = vi;
  all = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE_VARDICT, recs, 2));
  leco_blocked_list_reset (l, all);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (l)), ==, 2);
  g_assert_cmpstr (leco_blocked_entry_get_kernel_reason (nth (l, 0)), ==, "EPERM");
  g_assert_cmpstr (leco_blocked_entry_get_title (nth (l, 1)), ==, "Inbound, no local program");
  /* not a dict: ignored */
  bad = g_variant_ref_sink (g_variant_new_string ("x"));
  g_assert_null (leco_blocked_list_add (l, bad));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/blocked/key", test_key);
  g_test_add_func ("/blocked/merge", test_merge);
  g_test_add_func ("/blocked/bounded", test_bounded);
  g_test_add_func ("/blocked/words", test_words);
  return g_test_run ();
}
