/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The notifier's key of a ConnectionBlocked record: the daemon's coalescing
 * key (leco-dbusd/ldd-blocked.c), which the Blocked view selects by. */
#include <gio/gio.h>

#include "leco-notifier.h"

static GVariant *
record (const char *direction, guint64 cgid, const char *remote, guint16 rport, guint16 lport, const char *proto,
        const char *reason, guint32 count, const char *comm)
{
  GVariantDict d;

  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "id", "t", (guint64) 7);
  g_variant_dict_insert (&d, "direction", "s", direction);
  g_variant_dict_insert (&d, "cgroup-id", "t", cgid);
  g_variant_dict_insert (&d, "remote-address", "s", remote);
  g_variant_dict_insert (&d, "remote-port", "q", rport);
  g_variant_dict_insert (&d, "local-port", "q", lport);
  g_variant_dict_insert (&d, "protocol", "s", proto);
  g_variant_dict_insert (&d, "reason", "s", reason);
  g_variant_dict_insert (&d, "kernel-reason", "s", "NETFILTER_DROP");
  g_variant_dict_insert (&d, "count", "u", count);
  g_variant_dict_insert (&d, "comm", "s", comm);
  return g_variant_ref_sink (g_variant_dict_end (&d));
}

static void
test_key (void)
{
  g_autoptr (GVariant) out1 = record ("out", 42, "198.18.0.2", 5800, 40000, "udp", "firewall", 1, "a");
  /* a coalesced repeat: another count, source port, process name */
  g_autoptr (GVariant) out2 = record ("out", 42, "198.18.0.2", 5800, 40001, "udp", "firewall", 9, "b");
  g_autoptr (GVariant) other_reason = record ("out", 42, "198.18.0.2", 5800, 40000, "udp", "cgroup-bpf", 1, "a");
  g_autoptr (GVariant) other_cg = record ("out", 43, "198.18.0.2", 5800, 40000, "udp", "firewall", 1, "a");
  /* inbound: the peer's source port says nothing, our port does */
  g_autoptr (GVariant) in1 = record ("in", 0, "198.18.0.1", 51000, 5701, "tcp", "firewall", 1, "");
  g_autoptr (GVariant) in2 = record ("in", 0, "198.18.0.1", 51002, 5701, "tcp", "firewall", 1, "");
  g_autofree char *k1 = notifier_key_from_record (out1), *k2 = notifier_key_from_record (out2);
  g_autofree char *kr = notifier_key_from_record (other_reason), *kc = notifier_key_from_record (other_cg);
  g_autofree char *ki1 = notifier_key_from_record (in1), *ki2 = notifier_key_from_record (in2);

  g_assert_cmpstr (k1, ==, "42|198.18.0.2|5800|udp|out|firewall");
  g_assert_cmpstr (k1, ==, k2);
  g_assert_cmpstr (k1, !=, kr);
  g_assert_cmpstr (k1, !=, kc);
  g_assert_cmpstr (ki1, ==, "0|198.18.0.1|5701|tcp|in|firewall");
  g_assert_cmpstr (ki1, ==, ki2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/notifier/key", test_key);
  return g_test_run ();
}
