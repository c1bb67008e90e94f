/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's cgroup cache over a directory tree standing in for the
 * cgroup2 mount (ids are inode numbers there as well): entries of removed
 * cgroups go, and a cgroup is reported gone only when two scans prove it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "leco-mount.h"
#include "ldd-cgroups.h"

static guint64
ino (const char *path)
{
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  return st.st_ino;
}

static char *
mkdir_in (const char *root, const char *rel)
{
  char *path = g_build_filename (root, rel, NULL);

  g_assert_cmpint (g_mkdir (path, 0755), ==, 0);
  return path;
}

static void
rm_tree (const char *path)
{
  g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *sub = g_build_filename (path, name, NULL);

      rm_tree (sub);
    }
  g_rmdir (path);
}

static void
test_removed_cgroups_go (void)
{
  g_autofree char *root = g_dir_make_tmp ("leco-cgroups-XXXXXX", NULL);
  g_autofree char *app = mkdir_in (root, "app.slice");
  g_autofree char *a = mkdir_in (root, "app.slice/app-a-1.scope");
  g_autofree char *b = mkdir_in (root, "app.slice/app-b-2.scope");
  g_autofree char *c = mkdir_in (root, "app.slice/app-c-3.scope");
  g_autoptr (GError) error = NULL;
  g_autoptr (LddCgroups) cg = ldd_cgroups_new (root, &error);
  guint64 ia = ino (a), ib = ino (b), ic = ino (c), unknown;
  const LddCgroupInfo *info;

  g_assert_no_error (error);
  g_assert_cmpuint (ldd_cgroups_size (cg), ==, 5);
  info = ldd_cgroups_lookup (cg, ib);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->path, ==, "/app.slice/app-b-2.scope");
  g_assert_cmpstr (info->unit, ==, "app-b-2.scope");
  /* one scan proves nothing about what it did not see */
  g_assert_false (ldd_cgroups_is_gone (cg, ia));
  unknown = MAX (MAX (ia, ib), ic) + 1000;
  g_assert_false (ldd_cgroups_is_gone (cg, unknown));

  g_assert_cmpint (g_rmdir (b), ==, 0);
  g_assert_cmpint (g_rmdir (c), ==, 0);
  ldd_cgroups_rescan (cg);
  /* the cache shrinks with the tree, and says which went */
  g_assert_cmpuint (ldd_cgroups_size (cg), ==, 3);
  g_assert_null (ldd_cgroups_lookup (cg, ib));
  g_assert_true (ldd_cgroups_is_gone (cg, ib));
  g_assert_true (ldd_cgroups_is_gone (cg, ic));
  g_assert_false (ldd_cgroups_is_gone (cg, ia));
  g_assert_nonnull (ldd_cgroups_lookup (cg, ia));
  g_assert_false (ldd_cgroups_is_gone (cg, unknown));
  g_assert_false (ldd_cgroups_is_gone (cg, 0));
  /* gone stays gone, also once newer scans no longer reach that high */
  ldd_cgroups_rescan (cg);
  ldd_cgroups_rescan (cg);
  g_assert_true (ldd_cgroups_is_gone (cg, ib));
  g_assert_true (ldd_cgroups_is_gone (cg, ic));
  g_assert_false (ldd_cgroups_is_gone (cg, ia));

  /* refresh rescans only what is older than asked */
  {
    guint64 scans = ldd_cgroups_scans (cg);

    ldd_cgroups_refresh (cg, 60000);
    g_assert_cmpuint (ldd_cgroups_scans (cg), ==, scans);
    ldd_cgroups_refresh (cg, 0);
    g_assert_cmpuint (ldd_cgroups_scans (cg), ==, scans + 1);
  }
  rm_tree (root);
}

/* A scan that could not walk everything (here: deeper than the walk goes)
 * reports nothing gone, whatever it did not find. */
static void
test_incomplete_scan_knows_nothing (void)
{
  g_autofree char *root = g_dir_make_tmp ("leco-cgroups-XXXXXX", NULL);
  g_autofree char *x = mkdir_in (root, "x.scope");
  g_autoptr (GString) deep = g_string_new (root);
  g_autoptr (GError) error = NULL;
  g_autoptr (LddCgroups) cg = NULL;
  guint64 ix = ino (x);

  for (int i = 0; i < 40; i++)
    {
      g_string_append (deep, "/d");
      g_assert_cmpint (g_mkdir (deep->str, 0755), ==, 0);
    }
  cg = ldd_cgroups_new (root, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ldd_cgroups_lookup (cg, ix));
  g_assert_cmpint (g_rmdir (x), ==, 0);
  ldd_cgroups_rescan (cg);
  ldd_cgroups_rescan (cg);
  g_assert_null (ldd_cgroups_lookup (cg, ix));
  g_assert_false (ldd_cgroups_is_gone (cg, ix));
  rm_tree (root);
}

/* What the daemon starts with must be a real, readable cgroup2 mount. */
static void
test_checked_root (void)
{
  g_autofree char *root = g_dir_make_tmp ("leco-cgroups-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename (root, "missing", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (LddCgroups) cg = NULL;
  char mnt[4096];

  cg = ldd_cgroups_new_checked (root, &error);
  g_assert_null (cg);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_MOUNTED);
  g_assert_nonnull (strstr (error->message, "is not a cgroup2 filesystem"));
  g_assert_nonnull (strstr (error->message, root));
  g_clear_error (&error);
  cg = ldd_cgroups_new_checked (missing, &error);
  g_assert_null (cg);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "cannot open the cgroup2 mount"));
  g_clear_error (&error);
  /* the unchecked constructor takes any tree (tests, fuzzing) */
  cg = ldd_cgroups_new (root, &error);
  g_assert_no_error (error);
  g_clear_pointer (&cg, ldd_cgroups_free);
  /* and the machine's own cgroup2 mount passes, where there is one */
  if (leco_find_mount (NULL, "cgroup2", mnt, sizeof (mnt)) == 0)
    {
      cg = ldd_cgroups_new_checked (NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (cg);
      g_assert_cmpstr (ldd_cgroups_root (cg), ==, mnt);
    }
  g_rmdir (root);
}

/* A root that goes away: one warning, not one per rescan (rescans come
 * with events, several a second); again after it came back and went. */
static void
test_root_gone_warns_once (void)
{
  g_autofree char *root = g_dir_make_tmp ("leco-cgroups-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (LddCgroups) cg = ldd_cgroups_new (root, &error);

  g_assert_no_error (error);
  g_assert_cmpint (g_rmdir (root), ==, 0);
  g_test_expect_message ("leco-cgroups", G_LOG_LEVEL_WARNING, "cannot open the cgroup2 root*");
  for (int i = 0; i < 5; i++)
    ldd_cgroups_rescan (cg);
  g_test_assert_expected_messages ();
  g_assert_cmpint (g_mkdir (root, 0755), ==, 0);
  ldd_cgroups_rescan (cg);
  g_assert_cmpuint (ldd_cgroups_size (cg), ==, 1);
  g_assert_cmpint (g_rmdir (root), ==, 0);
  g_test_expect_message ("leco-cgroups", G_LOG_LEVEL_WARNING, "cannot open the cgroup2 root*");
  ldd_cgroups_rescan (cg);
  ldd_cgroups_rescan (cg);
  g_test_assert_expected_messages ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cgroups/removed-go", test_removed_cgroups_go);
  g_test_add_func ("/cgroups/incomplete-scan", test_incomplete_scan_knows_nothing);
  g_test_add_func ("/cgroups/checked-root", test_checked_root);
  g_test_add_func ("/cgroups/root-gone-warns-once", test_root_gone_warns_once);
  return g_test_run ();
}
