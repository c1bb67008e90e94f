/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* cgroup v2 id -> path below the cgroup2 mount -> unit, slice, app id. */
typedef struct {
  guint64 id;
  char *path;     /* "/system.slice/sshd.service" */
  char *unit;
  char *slice;
  char *app_id;
} LddCgroupInfo;

typedef struct _LddCgroups LddCgroups;

/* root: the cgroup2 mount, NULL to find it in /proc/self/mountinfo.  Any
 * directory tree does (tests, fuzzing). */
LddCgroups *ldd_cgroups_new (const char *root, GError **error);
/* The same, for the daemon: the root must be a readable cgroup2 filesystem
 * (not, say, a tmpfs mounted over the mount point mountinfo names). */
LddCgroups *ldd_cgroups_new_checked (const char *root, GError **error);
void ldd_cgroups_free (LddCgroups *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LddCgroups, ldd_cgroups_free)

/* Cached; a miss rescans the tree (at most every min_rescan_ms) and drops
 * entries of removed cgroups.  NULL when the id is unknown (yet). */
const LddCgroupInfo *ldd_cgroups_lookup (LddCgroups *self, guint64 id);
void ldd_cgroups_rescan (LddCgroups *self);
/* Rescan when the last scan is older than max_age_ms. */
void ldd_cgroups_refresh (LddCgroups *self, guint max_age_ms);
/* TRUE for the id of a cgroup known to be removed: the last scan did not
 * find it though it existed by the end of an earlier one (ids grow).
 * FALSE when unsure (a new id, a subtree that could not be read). */
gboolean ldd_cgroups_is_gone (LddCgroups *self, guint64 id);
guint ldd_cgroups_size (LddCgroups *self);
const char *ldd_cgroups_root (LddCgroups *self);
void ldd_cgroups_set_min_rescan (LddCgroups *self, guint ms);
guint64 ldd_cgroups_scans (LddCgroups *self);
