/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Blocked attempts as the traffic window's Blocked page shows them: one
 * LecoBlockedEntry per key the daemon coalesces on (ldd-blocked.c: cgroup,
 * remote address, port (the local one for inbound attempts), protocol,
 * direction, reason), newest activity first, at most LECO_BLOCKED_MAX.
 * The texts people read are made once per record, not per bind.
 */
#define LECO_BLOCKED_MAX 1000

/* The key of a ConnectionBlocked/ListBlocked record (a{sv}):
 *   "CGROUP-ID|DIRECTION|PROTOCOL|FAMILY|REMOTE-ADDRESS|PORT|REASON|KERNEL-REASON"
 * PORT is the local port for direction "in", the remote port otherwise.
 * Missing keys read as "" or 0.  Free with g_free(). */
char *leco_blocked_key_from_record (GVariant *record);

#define LECO_TYPE_BLOCKED_ENTRY (leco_blocked_entry_get_type ())
G_DECLARE_FINAL_TYPE (LecoBlockedEntry, leco_blocked_entry, LECO, BLOCKED_ENTRY, GObject)

const char *leco_blocked_entry_get_key (LecoBlockedEntry *self);
guint leco_blocked_entry_get_serial (LecoBlockedEntry *self);   /* moves with every update */
guint64 leco_blocked_entry_get_count (LecoBlockedEntry *self);
gint64 leco_blocked_entry_get_started (LecoBlockedEntry *self);  /* us since the epoch */
gint64 leco_blocked_entry_get_last_seen (LecoBlockedEntry *self);
GIcon *leco_blocked_entry_get_icon (LecoBlockedEntry *self);
const char *leco_blocked_entry_get_title (LecoBlockedEntry *self);       /* app, unit, or "Inbound, no local program" */
const char *leco_blocked_entry_get_subtitle (LecoBlockedEntry *self);    /* unit / cgroup */
const char *leco_blocked_entry_get_process (LecoBlockedEntry *self);     /* "comm (pid)" or "–" */
const char *leco_blocked_entry_get_comm (LecoBlockedEntry *self);        /* "–" without a process */
guint32 leco_blocked_entry_get_pid (LecoBlockedEntry *self);
const char *leco_blocked_entry_get_exe (LecoBlockedEntry *self);         /* "" when unknown */
const char *leco_blocked_entry_get_user (LecoBlockedEntry *self);
const char *leco_blocked_entry_get_destination (LecoBlockedEntry *self); /* "→ 198.18.0.2:5600 tcp" */
/* the destination as two lines: "← 198.18.0.1:40000", "tcp, inbound to port 5700" */
void leco_blocked_entry_get_destination_lines (LecoBlockedEntry *self, const char **main_line, const char **note);
const char *leco_blocked_entry_get_destination_tip (LecoBlockedEntry *self);
const char *leco_blocked_entry_get_blocked_by (LecoBlockedEntry *self);  /* the reason in words */
const char *leco_blocked_entry_get_kernel_reason (LecoBlockedEntry *self);
const char *leco_blocked_entry_get_hint (LecoBlockedEntry *self);        /* where to look */

/* The reason and its hint in words ("firewall" -> "Firewall rule
 * (nftables/iptables)"); unit may be NULL or "". */
const char *leco_blocked_reason_words (const char *reason);
char *leco_blocked_hint (const char *reason, const char *direction, const char *unit);

/* A GListModel of LecoBlockedEntry, newest activity first. */
#define LECO_TYPE_BLOCKED_LIST (leco_blocked_list_get_type ())
G_DECLARE_FINAL_TYPE (LecoBlockedList, leco_blocked_list, LECO, BLOCKED_LIST, GObject)

LecoBlockedList *leco_blocked_list_new (guint max);
/* ListBlocked's aa{sv} (newest first): the daemon's history replaces ours */
void leco_blocked_list_reset (LecoBlockedList *self, GVariant *records);
/* One ConnectionBlocked: merged into its entry (count, last seen, process)
 * in O(1) plus moving it to the front (items-changed: one row out of its
 * place, then one in at 0; one row changed when it was first already), or
 * a new entry; the oldest beyond max dropped.  Returns the entry (owned by the list), NULL for a bad record. */
LecoBlockedEntry *leco_blocked_list_add (LecoBlockedList *self, GVariant *record);
/* the entry of a key and its position, or NULL */
LecoBlockedEntry *leco_blocked_list_lookup (LecoBlockedList *self, const char *key, guint *position);

G_END_DECLS
