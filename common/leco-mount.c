/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>

#include "leco-mount.h"

bool leco_path_on_fs(const char *path, long magic)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == magic;
}

bool leco_fd_on_fs(int fd, long magic)
{
	struct statfs st;

	return fstatfs(fd, &st) == 0 && st.f_type == magic;
}

/* Mount paths in mountinfo escape space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

int leco_find_mount(const char *mountinfo, const char *fstype, char *buf, size_t len)
{
	char line[8192];
	FILE *f;
	int r = -ENOENT;

	f = fopen(mountinfo ? mountinfo : "/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char mnt[4096], type[64];
		const char *sep = strstr(line, " - ");

		/* fields: id parent major:minor root mountpoint options [optional...] - type source super */
		if (!sep || sscanf(sep + 3, "%63s", type) != 1 || strcmp(type, fstype) != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		unescape_octal(mnt);
		if (strlen(mnt) >= len) {
			r = -ENAMETOOLONG;
			break;
		}
		memcpy(buf, mnt, strlen(mnt) + 1);
		r = 0;
		break;
	}
	if (ferror(f))
		r = -EIO;
	fclose(f);
	return r;
}
