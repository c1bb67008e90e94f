/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the libFuzzer harnesses in fuzz/: the entry points, GLib set up
 * so that a critical or a warning is a crash, and invariant checks that abort
 * (libFuzzer then saves the input as a crash reproducer).
 */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant failed: say which and abort (a libFuzzer "deadly signal"). */
#define FUZZ_CHECK(cond, ...)                                                            \
	do {                                                                             \
		if (G_UNLIKELY(!(cond))) {                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, \
				#cond);                                                  \
			fprintf(stderr, __VA_ARGS__);                                    \
			fputc('\n', stderr);                                             \
			abort();                                                         \
		}                                                                        \
	} while (0)

/* Every GLib log line comes here (g_log() too, through its default handler).
 * GLib's own abort for a fatal level is a breakpoint (SIGTRAP), which
 * libFuzzer does not catch: abort() instead, so the input is saved. */
static const char *fuzz_known_warning;  /* a harness may tolerate one warning (a dependency's bug) */
static unsigned long fuzz_known_warnings; /* how often it was seen */

static inline GLogWriterOutput fuzz_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
					       gpointer user_data)
{
	/* messages, info and debug are noise at thousands of runs a second */
	if (!(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)))
		return G_LOG_WRITER_HANDLED;
	if (fuzz_known_warning && (level & G_LOG_LEVEL_WARNING)) {
		for (gsize i = 0; i < n_fields; i++) {
			if (g_str_equal(fields[i].key, "MESSAGE") && fields[i].length < 0 &&
			    strstr(fields[i].value, fuzz_known_warning)) {
				fuzz_known_warnings++;
				return G_LOG_WRITER_HANDLED;
			}
		}
	}
	g_log_writer_standard_streams(level, fields, n_fields, user_data);
	abort();
}

/*
 * An invariant that an open finding breaks (see README.md): listing its id
 * in LECO_FUZZ_KNOWN (comma-separated) lets fuzzing go past it until it is
 * fixed.  By default every invariant holds.
 */
static inline gboolean fuzz_known(const char *id)
{
	const char *known = getenv("LECO_FUZZ_KNOWN");
	g_auto(GStrv) ids = NULL;

	if (!known || !*known)
		return FALSE;
	ids = g_strsplit(known, ",", -1);
	return g_strv_contains((const char *const *)ids, id);
}

#define FUZZ_CHECK_KNOWN(id, cond, ...) FUZZ_CHECK((cond) || fuzz_known(id), "[" id "] " __VA_ARGS__)

/* Before GLib allocates anything: real malloc for GSlice (GLib < 2.76), so
 * that ASan and LeakSanitizer see every block; criticals and warnings are
 * crashes. */
static inline void fuzz_glib_init(void)
{
	setenv("G_SLICE", "always-malloc", 0);
	setenv("G_DEBUG", "gc-friendly", 0);
	g_log_set_writer_func(fuzz_log_writer, NULL, NULL);
	g_log_set_always_fatal((GLogLevelFlags)(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING));
}

/* Warnings containing text are expected output (a dependency's known bug):
 * counted, not fatal.  Every other warning still aborts, in the writer. */
static inline void fuzz_tolerate_warning(const char *text)
{
	fuzz_known_warning = text;
	g_log_set_always_fatal((GLogLevelFlags)(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL));
}

/* Valid UTF-8 without any control character (Unicode category Cc: C0, DEL, C1). */
static inline gboolean fuzz_text_clean(const char *s)
{
	if (!s || !g_utf8_validate(s, -1, NULL))
		return FALSE;
	for (const char *p = s; *p; p = g_utf8_next_char(p))
		if (g_unichar_iscntrl(g_utf8_get_char(p)))
			return FALSE;
	return TRUE;
}

/* Printable ASCII only (0x20..0x7e). */
static inline gboolean fuzz_printable_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return FALSE;
	return TRUE;
}

/* A NUL-terminated copy of the input (inputs may hold NULs: cut there). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = g_malloc(size + 1);

	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
