/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* Humane text for people: "1.2 MB", "340 kB/s", "3 min ago", reasons in words. */
char *leco_format_bytes (guint64 bytes);
char *leco_format_rate (guint64 bytes_per_second);
/* now_us and then_us: microseconds since the epoch */
char *leco_format_relative (gint64 then_us, gint64 now_us);
const char *leco_format_reason (const char *reason);
/* "198.51.100.7 port 443 (TCP)" / "[2001:db8::1] port 53 (UDP)" */
char *leco_format_endpoint (const char *address, guint16 port, const char *protocol);
