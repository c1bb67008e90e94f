/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <linux/magic.h>

#include "leco-mount.h"

static char *write_tmp(const char *content)
{
	char *path = NULL;
	int fd = g_file_open_tmp("leco-mountinfo-XXXXXX", &path, NULL);

	g_assert_cmpint(fd, >=, 0);
	g_assert_true(g_file_set_contents(path, content, -1, NULL));
	close(fd);
	return path;
}

/* A hybrid layout (cgroup2 at /sys/fs/cgroup/unified), with optional fields. */
static const char hybrid[] =
	"22 1 0:20 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
	"30 22 0:26 / /sys/fs/cgroup ro shared:9 - tmpfs tmpfs ro,mode=755\n"
	"31 30 0:27 / /sys/fs/cgroup/unified rw shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
	"32 30 0:28 / /sys/fs/cgroup/systemd rw shared:11 - cgroup cgroup rw,name=systemd\n"
	"40 22 0:33 / /sys/fs/bpf rw - bpf bpf rw,mode=700\n";

static void test_hybrid(void)
{
	g_autofree char *p = write_tmp(hybrid);
	char buf[256];

	g_assert_cmpint(leco_find_mount(p, "cgroup2", buf, sizeof(buf)), ==, 0);
	g_assert_cmpstr(buf, ==, "/sys/fs/cgroup/unified");
	g_assert_cmpint(leco_find_mount(p, "bpf", buf, sizeof(buf)), ==, 0);
	g_assert_cmpstr(buf, ==, "/sys/fs/bpf");
	/* "cgroup" must not match "cgroup2" nor the other way round */
	g_assert_cmpint(leco_find_mount(p, "cgroup", buf, sizeof(buf)), ==, 0);
	g_assert_cmpstr(buf, ==, "/sys/fs/cgroup/systemd");
	g_assert_cmpint(leco_find_mount(p, "tracefs", buf, sizeof(buf)), ==, -ENOENT);
	g_unlink(p);
}

static void test_escapes_and_limits(void)
{
	g_autofree char *p = write_tmp("31 30 0:27 / /mnt/with\\040space\\134x rw - cgroup2 none rw\n");
	g_autofree char *q = write_tmp("garbage\n\n - \n1 2 3\n");
	char buf[256], small[8];

	g_assert_cmpint(leco_find_mount(p, "cgroup2", buf, sizeof(buf)), ==, 0);
	g_assert_cmpstr(buf, ==, "/mnt/with space\\x");
	g_assert_cmpint(leco_find_mount(p, "cgroup2", small, sizeof(small)), ==, -ENAMETOOLONG);
	g_assert_cmpint(leco_find_mount(q, "cgroup2", buf, sizeof(buf)), ==, -ENOENT);
	g_assert_cmpint(leco_find_mount("/nonexistent/mountinfo", "cgroup2", buf, sizeof(buf)), ==, -ENOENT);
	g_unlink(p);
	g_unlink(q);
}

/* The statfs magic of where a path or fd is: /proc is procfs, not cgroup2;
 * nothing to ask is no. */
static void test_on_fs(void)
{
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	g_assert_true(leco_path_on_fs("/proc", PROC_SUPER_MAGIC));
	g_assert_false(leco_path_on_fs("/proc", CGROUP2_SUPER_MAGIC));
	g_assert_false(leco_path_on_fs("/nonexistent/leco", PROC_SUPER_MAGIC));
	g_assert_cmpint(fd, >=, 0);
	g_assert_true(leco_fd_on_fs(fd, PROC_SUPER_MAGIC));
	g_assert_false(leco_fd_on_fs(fd, CGROUP2_SUPER_MAGIC));
	close(fd);
	g_assert_false(leco_fd_on_fs(-1, PROC_SUPER_MAGIC));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mount/hybrid", test_hybrid);
	g_test_add_func("/mount/escapes-and-limits", test_escapes_and_limits);
	g_test_add_func("/mount/on-fs", test_on_fs);
	return g_test_run();
}
