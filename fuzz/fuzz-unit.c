/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgroup path -> unit, slice and app id (leco-dbusd/ldd-unit.h).  The input
 * is a cgroup2 path as the kernel would hand it over (cut at the first NUL):
 * untrusted text, since delegated subtrees are named by whoever owns them.
 *
 * Invariants (ldd-unit.h): every result is valid UTF-8 without control
 * characters; the unit names a .service or .scope and the slice a .slice;
 * an app id comes with a unit or a slice; for a clean path the unit and slice
 * are components of it; the same path always gives the same answer.
 * ldd_unit_unescape: clean output, and the identity on clean text without '\'.
 */
#include <string.h>

#include "fuzz-common.h"
#include "ldd-unit.h"

/* name is a whole '/'-separated component of path. */
static gboolean is_component(const char *path, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = path; (p = strstr(p, name)); p++)
		if ((p == path || p[-1] == '/') && (p[n] == '/' || p[n] == '\0'))
			return TRUE;
	return FALSE;
}

static void check_info(const char *path, const LddUnitInfo *u)
{
	FUZZ_CHECK(u->unit && u->slice && u->app_id, "NULL field");
	FUZZ_CHECK(fuzz_text_clean(u->unit), "unit not clean text: \"%s\"", u->unit);
	FUZZ_CHECK(fuzz_text_clean(u->slice), "slice not clean text: \"%s\"", u->slice);
	FUZZ_CHECK(fuzz_text_clean(u->app_id), "app id not clean text: \"%s\"", u->app_id);
	FUZZ_CHECK(!*u->unit || g_str_has_suffix(u->unit, ".service") || g_str_has_suffix(u->unit, ".scope"),
		   "unit \"%s\"", u->unit);
	FUZZ_CHECK(!*u->slice || g_str_has_suffix(u->slice, ".slice"), "slice \"%s\"", u->slice);
	/* at most every byte of a 255-byte component became U+FFFD */
	FUZZ_CHECK(strlen(u->unit) <= 3 * LDD_UNIT_NAME_MAX, "unit of %zu bytes", strlen(u->unit));
	FUZZ_CHECK(strlen(u->slice) <= 3 * LDD_UNIT_NAME_MAX, "slice of %zu bytes", strlen(u->slice));
	FUZZ_CHECK(!*u->app_id || *u->unit || *u->slice, "app id \"%s\" without unit or slice", u->app_id);

	if (fuzz_text_clean(path)) {
		FUZZ_CHECK(!*u->unit || is_component(path, u->unit), "unit \"%s\" not in the path", u->unit);
		FUZZ_CHECK(!*u->slice || is_component(path, u->slice), "slice \"%s\" not in the path", u->slice);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	LddUnitInfo u;

	fuzz_glib_init();
	ldd_unit_info_from_path(NULL, &u);
	FUZZ_CHECK(!*u.unit && !*u.slice && !*u.app_id, "NULL path is not the root");
	ldd_unit_info_clear(&u);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *path = fuzz_strndup(data, size);
	g_autofree char *unescaped = NULL;
	g_auto(LddUnitInfo) a = { 0 };
	g_auto(LddUnitInfo) b = { 0 };

	ldd_unit_info_from_path(path, &a);
	check_info(path, &a);

	/* deterministic, and out may be uninitialized garbage */
	memset(&b, 0x5a, sizeof(b));
	ldd_unit_info_from_path(path, &b);
	FUZZ_CHECK(g_str_equal(a.unit, b.unit) && g_str_equal(a.slice, b.slice) && g_str_equal(a.app_id, b.app_id),
		   "two answers for one path");

	unescaped = ldd_unit_unescape(path);
	FUZZ_CHECK(unescaped, "unescape returned NULL");
	FUZZ_CHECK(fuzz_text_clean(unescaped), "unescape result not clean text");
	if (!strchr(path, '\\') && fuzz_text_clean(path))
		FUZZ_CHECK(g_str_equal(unescaped, path), "unescape changed text without escapes");
	return 0;
}
