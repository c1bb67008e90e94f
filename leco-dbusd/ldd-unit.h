/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A cgroup2 path names the systemd unit, slice and desktop application or
 * container a process belongs to.  The path is untrusted text (delegated
 * subtrees are named by whoever owns them): it is read within fixed bounds and
 * every result is valid UTF-8 without control characters, ready for D-Bus.
 */
#pragma once

#include <glib.h>

/* Only this much of a path is looked at, cut at a '/' ... */
#define LDD_UNIT_MAX_PATH 4096
/* ... and only its first components. */
#define LDD_UNIT_MAX_DEPTH 64
/* Longer components are never units or slices (systemd's UNIT_NAME_MAX - 1). */
#define LDD_UNIT_NAME_MAX 255

typedef struct {
	char *unit;   /* "sshd.service", "session-3.scope"; "" when none */
	char *slice;  /* "system.slice", "user-1000.slice", "app.slice"; "" when none */
	char *app_id; /* "org.gnome.Terminal", "podman:0123456789ab", "machine:fedora"; "" when none */
} LddUnitInfo;

/*
 * path is below the cgroup2 root, e.g. "/system.slice/sshd.service" or "/";
 * NULL is taken as "/".  out is overwritten without being freed first (it
 * may be uninitialized); release it with ldd_unit_info_clear().
 */
void ldd_unit_info_from_path(const char *path, LddUnitInfo *out);
void ldd_unit_info_clear(LddUnitInfo *info);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(LddUnitInfo, ldd_unit_info_clear)

/*
 * Undo systemd's unit name escaping: "\xHH" becomes that byte ("\x2d" -> '-'),
 * everything else is kept.  "\x00" stays as it is written.  The result is
 * valid UTF-8 with control characters replaced by U+FFFD.
 */
char *ldd_unit_unescape(const char *name);
