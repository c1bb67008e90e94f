/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "leco-format.h"

char *
leco_format_bytes (guint64 bytes)
{
  if (bytes < 1000)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " B", bytes);
  return g_format_size_full (bytes, G_FORMAT_SIZE_DEFAULT);
}

char *
leco_format_rate (guint64 bps)
{
  g_autofree char *size = NULL;

  if (bps == 0)
    return g_strdup ("–");
  size = leco_format_bytes (bps);
  return g_strdup_printf ("%s/s", size);
}

char *
leco_format_relative (gint64 then_us, gint64 now_us)
{
  gint64 s = (now_us - then_us) / G_USEC_PER_SEC;

  if (then_us <= 0)
    return g_strdup ("");
  if (s < 5)
    return g_strdup (_("just now"));
  if (s < 60)
    return g_strdup_printf (_("%d s ago"), (int) s);
  if (s < 3600)
    return g_strdup_printf (_("%d min ago"), (int) (s / 60));
  if (s < 86400)
    return g_strdup_printf (_("%d h ago"), (int) (s / 3600));
  return g_strdup_printf (_("%d days ago"), (int) (s / 86400));
}

const char *
leco_format_reason (const char *reason)
{
  if (g_strcmp0 (reason, "firewall") == 0)
    return _("blocked by the firewall");
  if (g_strcmp0 (reason, "cgroup-bpf") == 0)
    return _("blocked by the unit's IP policy");
  if (g_strcmp0 (reason, "security") == 0)
    return _("blocked by a security module");
  if (g_strcmp0 (reason, "connect-denied") == 0)
    return _("connect() denied");
  return _("blocked");
}

char *
leco_format_endpoint (const char *address, guint16 port, const char *protocol)
{
  g_autofree char *proto = g_ascii_strup (protocol ? protocol : "", -1);
  gboolean v6 = address && strchr (address, ':');

  if (port == 0)
    return g_strdup_printf ("%s%s%s (%s)", v6 ? "[" : "", address ? address : "?", v6 ? "]" : "", proto);
  return g_strdup_printf (_("%s%s%s port %u (%s)"), v6 ? "[" : "", address ? address : "?", v6 ? "]" : "",
                          port, proto);
}
