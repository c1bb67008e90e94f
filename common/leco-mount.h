/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* First mount point of FSTYPE in a mountinfo file (NULL: /proc/self/mountinfo).
 * Returns 0, -ENOENT when none, -ENAMETOOLONG, or -errno on read errors. */
int leco_find_mount(const char *mountinfo, const char *fstype, char *buf, size_t len);
