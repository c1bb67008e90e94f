/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "leco-cgroups"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/magic.h>

#include <gio/gio.h>

#include "leco-mount.h"
#include "ldd-cgroups.h"
#include "ldd-unit.h"

/* A bound on what a tree walk may cost us: an outsider can create cgroups
 * (delegated subtrees), so neither depth nor count is unbounded. */
#define MAX_DEPTH 32
#define MAX_CGROUPS 200000

struct _LddCgroups {
  char *root;
  GHashTable *by_id;        /* guint64* -> LddCgroupInfo* */
  gint64 last_scan_us;
  guint64 max_id;           /* highest id the last scan saw */
  guint64 settled_id;       /* highest id the scans before it saw */
  gboolean complete;        /* the last scan walked the whole tree */
  gboolean walk_complete;   /* the walk in progress has, so far */
  gboolean root_failed;     /* said so once; again after it recovered */
  guint min_rescan_ms;
  guint64 scans;
};

static void
info_free (gpointer p)
{
  LddCgroupInfo *info = p;

  g_free (info->path);
  g_free (info->unit);
  g_free (info->slice);
  g_free (info->app_id);
  g_free (info);
}

static gboolean check_root (const char *root, GError **error);

static LddCgroups *
create (const char *root, gboolean check, GError **error)
{
  g_autoptr (LddCgroups) self = g_new0 (LddCgroups, 1);
  char buf[4096];

  self->by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, info_free);
  self->min_rescan_ms = 250;
  if (!root)
    {
      int r = leco_find_mount (NULL, "cgroup2", buf, sizeof (buf));

      if (r < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-r),
                       "no cgroup2 filesystem mounted (%s): units cannot be named", g_strerror (-r));
          return NULL;
        }
      root = buf;
    }
  self->root = g_strdup (root);
  if (check && !check_root (self->root, error))
    return NULL;
  ldd_cgroups_rescan (self);
  return g_steal_pointer (&self);
}

LddCgroups *
ldd_cgroups_new (const char *root, GError **error)
{
  return create (root, FALSE, error);
}

LddCgroups *
ldd_cgroups_new_checked (const char *root, GError **error)
{
  return create (root, TRUE, error);
}

void
ldd_cgroups_free (LddCgroups *self)
{
  if (!self)
    return;
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_free (self->root);
  g_free (self);
}

static void
add (LddCgroups *self, GHashTable *table, guint64 id, const char *path)
{
  LddCgroupInfo *info = g_new0 (LddCgroupInfo, 1);
  LddUnitInfo u = {};

  info->id = id;
  /* a cgroup's name is anyone's choice (delegated subtrees): no control
   * characters into the journal, a terminal or a D-Bus string */
  info->path = g_utf8_make_valid (path, -1);
  for (char *p = info->path; *p; p++)
    if ((unsigned char) *p < 0x20 || *p == 0x7f)
      *p = '?';
  ldd_unit_info_from_path (path, &u);
  info->unit = g_steal_pointer (&u.unit);
  info->slice = g_steal_pointer (&u.slice);
  info->app_id = g_steal_pointer (&u.app_id);
  ldd_unit_info_clear (&u);
  g_hash_table_replace (table, &info->id, info);
  self->max_id = MAX (self->max_id, id);
}

/* Walk the tree with openat(): each cgroup directory's inode is its id. */
static void
walk (LddCgroups *self, GHashTable *table, int dirfd, GString *path, guint depth)
{
  DIR *d;
  struct dirent *de;
  int fd;

  if (depth > MAX_DEPTH || g_hash_table_size (table) >= MAX_CGROUPS)
    {
      self->walk_complete = FALSE;
      return;
    }
  fd = dup (dirfd);
  if (fd < 0)
    {
      self->walk_complete = FALSE;
      return;
    }
  d = fdopendir (fd);
  if (!d)
    {
      self->walk_complete = FALSE;
      close (fd);
      return;
    }
  while ((de = readdir (d)))
    {
      struct stat st;
      gsize len = path->len;
      int sub;

      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      sub = openat (dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (sub < 0)
        {
          /* removed meanwhile, or not ours to read: then what is below it
           * is unknown, not gone */
          if (errno != ENOENT)
            self->walk_complete = FALSE;
          continue;
        }
      if (fstat (sub, &st) == 0)
        {
          if (len > 1)
            g_string_append_c (path, '/');
          else
            g_string_truncate (path, 1);
          g_string_append (path, de->d_name);
          add (self, table, st.st_ino, path->str);
          walk (self, table, sub, path, depth + 1);
          g_string_truncate (path, len);
        }
      close (sub);
      if (g_hash_table_size (table) >= MAX_CGROUPS)
        break;
    }
  closedir (d);
}

void
ldd_cgroups_rescan (LddCgroups *self)
{
  g_autoptr (GHashTable) table = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, info_free);
  g_autoptr (GString) path = g_string_new ("/");
  struct stat st;
  int fd;

  self->last_scan_us = g_get_monotonic_time ();
  self->scans++;
  self->settled_id = MAX (self->settled_id, self->max_id);
  self->max_id = 0;
  self->walk_complete = TRUE;
  fd = open (self->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      /* rescans come with events, several a second: say it once */
      if (!self->root_failed)
        g_warning ("cannot open the cgroup2 root \"%s\": %s; cgroups stay unnamed until it can be read",
                   self->root, g_strerror (errno));
      self->root_failed = TRUE;
      self->walk_complete = FALSE;
      self->complete = FALSE;
      return;
    }
  if (self->root_failed)
    g_message ("the cgroup2 root \"%s\" can be read again", self->root);
  self->root_failed = FALSE;
  if (fstat (fd, &st) == 0)
    add (self, table, st.st_ino, "/");
  walk (self, table, fd, path, 0);
  close (fd);
  if (g_hash_table_size (table) >= MAX_CGROUPS)
    {
      g_warning ("more than %d cgroups, the rest stay unnamed", MAX_CGROUPS);
      self->walk_complete = FALSE;
    }
  self->complete = self->walk_complete;
  /* entries of removed cgroups go with the old table */
  g_hash_table_unref (self->by_id);
  self->by_id = g_steal_pointer (&table);
}

const LddCgroupInfo *
ldd_cgroups_lookup (LddCgroups *self, guint64 id)
{
  LddCgroupInfo *info;

  if (id == 0)
    return NULL;
  info = g_hash_table_lookup (self->by_id, &id);
  if (info)
    return info;
  /* kernfs hands out ids in increasing order: an id below the highest one
   * the last scan saw belongs to a cgroup removed before it, no use looking */
  if (id <= self->max_id)
    return NULL;
  if (g_get_monotonic_time () - self->last_scan_us < (gint64) self->min_rescan_ms * 1000)
    return NULL;
  ldd_cgroups_rescan (self);
  return g_hash_table_lookup (self->by_id, &id);
}

/* The root can be opened and is a cgroup2 filesystem (not, say, a tmpfs
 * mounted over the mount point mountinfo names). */
static gboolean
check_root (const char *root, GError **error)
{
  int fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gboolean cgroup2;

  if (fd < 0)
    {
      int err = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
                   "cannot open the cgroup2 mount \"%s\": %s: units cannot be named", root, g_strerror (err));
      return FALSE;
    }
  cgroup2 = leco_fd_on_fs (fd, CGROUP2_SUPER_MAGIC);
  close (fd);
  if (!cgroup2)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_MOUNTED,
                   "\"%s\" is not a cgroup2 filesystem (is something mounted over it?): units cannot be named",
                   root);
      return FALSE;
    }
  return TRUE;
}

gboolean
ldd_cgroups_is_gone (LddCgroups *self, guint64 id)
{
  /* kernfs hands out ids in increasing order.  An id an earlier scan had
   * reached (settled_id) belongs to a cgroup that existed by the end of
   * that scan; if the last scan, which began after it, did not find it, it
   * was removed.  (An id only the last scan reached may belong to a cgroup
   * made while it walked, behind it: not yet known either way.)  The last
   * walk must have seen the whole tree: below a directory we could not
   * read, nothing is known. */
  return self->complete && id != 0 && id <= self->settled_id && !g_hash_table_contains (self->by_id, &id);
}

void
ldd_cgroups_refresh (LddCgroups *self, guint max_age_ms)
{
  if (g_get_monotonic_time () - self->last_scan_us >= (gint64) max_age_ms * 1000)
    ldd_cgroups_rescan (self);
}

guint
ldd_cgroups_size (LddCgroups *self)
{
  return g_hash_table_size (self->by_id);
}

const char *
ldd_cgroups_root (LddCgroups *self)
{
  return self->root;
}

void
ldd_cgroups_set_min_rescan (LddCgroups *self, guint ms)
{
  self->min_rescan_ms = ms;
}

guint64
ldd_cgroups_scans (LddCgroups *self)
{
  return self->scans;
}
