/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* First mount point of FSTYPE in a mountinfo file (NULL: /proc/self/mountinfo).
 * Returns 0, -ENOENT when none, -ENAMETOOLONG, or -errno on read errors. */
int leco_find_mount(const char *mountinfo, const char *fstype, char *buf, size_t len);

/* Whether the file system PATH (an open FD) is on has the statfs magic MAGIC
 * (linux/magic.h): a mount point covered by another mount is not.  False
 * also when it cannot be asked. */
bool leco_path_on_fs(const char *path, long magic);
bool leco_fd_on_fs(int fd, long magic);
