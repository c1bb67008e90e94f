/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bpffs, tracefs and cgroup2 mounts; pin ownership; pin removal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/magic.h>

#include "leco-mount.h"
#include "loader.h"

int pin_dir_is_bpffs(const char *dir)
{
	char parent[PATH_MAX];
	char *slash;

	if (leco_path_on_fs(dir, BPF_FS_MAGIC))
		return 1;
	if (access(dir, F_OK) == 0)
		return 0;
	/* not there yet: its parent must be on bpffs */
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (!slash)
		return 0;
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	return leco_path_on_fs(parent, BPF_FS_MAGIC);
}

/*
 * Make sure bpffs is mounted at /sys/fs/bpf when the pin dir lives below it
 * and nothing is mounted there yet (containers, minimal systems).
 */
int ensure_bpffs(const char *dir, bool *mounted)
{
	*mounted = false;
	if (strncmp(dir, "/sys/fs/bpf", 11) != 0 || (dir[11] != '/' && dir[11] != '\0'))
		return 0;
	if (leco_path_on_fs("/sys/fs/bpf", BPF_FS_MAGIC))
		return 0;
	if (access("/sys/fs/bpf", F_OK) < 0)
		return -ENOENT;
	if (mount("bpf", "/sys/fs/bpf", "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") < 0)
		return -errno;
	*mounted = true;
	return 0;
}

/* libbpf resolves classic tracepoints through tracefs. */
int ensure_tracefs(void)
{
	if (access("/sys/kernel/tracing/events", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		return 0;
	if (access("/sys/kernel/tracing", F_OK) < 0)
		return -ENOENT;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	return 0;
}

int set_pin_access(const char *path, gid_t gid, bool have_group, mode_t mode)
{
	if (have_group && chown(path, 0, gid) < 0)
		return -errno;
	if (chmod(path, mode) < 0)
		return -errno;
	return 0;
}

/* Is NAME one of ours: "<something>_v<digits>"? */
static bool is_leco_pin(const char *name)
{
	const char *v = strrchr(name, '_');

	if (!v || v[1] != 'v' || !v[2])
		return false;
	for (const char *p = v + 2; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/*
 * Remove our pins from DIR: all of them, or (keep_suffix set, e.g. "_v1")
 * every version but that one.  Also removes leftover staging dirs.
 */
int remove_leco_pins(const char *dir, const char *keep_suffix)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t klen = keep_suffix ? strlen(keep_suffix) : 0;
	int r = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (strncmp(de->d_name, "staging-", 8) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			remove_leco_pins(path, NULL);
			if (rmdir(path) < 0 && r == 0)
				r = -errno;
			continue;
		}
		if (!is_leco_pin(de->d_name))
			continue;
		if (keep_suffix && n > klen && strcmp(de->d_name + n - klen, keep_suffix) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) < 0 && errno != ENOENT && r == 0)
			r = -errno;
	}
	closedir(d);
	return r;
}
