/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ListConnections' filter argument (a{sv}), as leco-dbusd's method handler
 * sees it: the input is a serialized GVariant of type a{sv}, taken as
 * untrusted (trusted=FALSE), brought to normal form as GDBus hands values
 * over, then checked by ldd_daemon_check_filter() and, when accepted, read
 * the way handle_list_connections() reads it (GVariantDict lookups).
 *
 * Invariants: TRUE exactly when no error is set; an error is
 * G_DBUS_ERROR_INVALID_ARGS (org.freedesktop.DBus.Error.InvalidArgs on the
 * bus) with a valid UTF-8 message; a filter is accepted exactly when every
 * key is one of the documented ones with its documented type (an independent
 * oracle below, from data/org.leco.Overseer.xml); the non-normal value reads
 * the same as its normal form.
 *
 * Parsing D-Bus messages is GDBus's job, not ours: what the bus can deliver
 * as a{sv} is a subset of what this produces.
 */
#include <gio/gio.h>

#include "fuzz-common.h"
#include "leco-event.h"
#include "ldd-daemon.h"

/* The filter keys documented for ListConnections. */
static const struct {
	const char *key, *type;
} documented[] = {
	{ "unit", "s" }, { "cgroup-id", "t" }, { "pid", "u" },
	{ "uid", "u" },  { "protocol", "s" },  { "direction", "s" },
};

static gboolean oracle(GVariant *filter)
{
	gsize n = g_variant_n_children(filter);

	for (gsize i = 0; i < n; i++) {
		g_autoptr(GVariant) entry = g_variant_get_child_value(filter, i);
		g_autoptr(GVariant) k = g_variant_get_child_value(entry, 0);
		g_autoptr(GVariant) boxed = g_variant_get_child_value(entry, 1);
		g_autoptr(GVariant) value = g_variant_get_variant(boxed);
		const char *key = g_variant_get_string(k, NULL);
		gboolean ok = FALSE;

		for (gsize j = 0; j < G_N_ELEMENTS(documented); j++)
			if (g_str_equal(key, documented[j].key))
				ok = g_str_equal(g_variant_get_type_string(value), documented[j].type);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

static gboolean check(GVariant *filter)
{
	g_autoptr(GError) error = NULL;
	gboolean ok = ldd_daemon_check_filter(filter, &error);

	FUZZ_CHECK(ok == (error == NULL), "returned %d with error %p", ok, (void *)error);
	if (error) {
		g_autofree char *name = g_dbus_error_encode_gerror(error);

		FUZZ_CHECK(g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS), "error %s %d: %s",
			   g_quark_to_string(error->domain), error->code, error->message);
		FUZZ_CHECK(g_str_equal(name, "org.freedesktop.DBus.Error.InvalidArgs"), "D-Bus error %s", name);
		FUZZ_CHECK(g_utf8_validate(error->message, -1, NULL), "error message not UTF-8");
	}
	return ok;
}

/* What handle_list_connections() and list_one() do with an accepted filter. */
static void use_filter(GVariant *filter)
{
	GVariantDict f;
	const char *s;
	guint64 t;
	guint32 u;

	g_variant_dict_init(&f, filter);
	(void)g_variant_dict_lookup(&f, "cgroup-id", "t", &t);
	(void)g_variant_dict_lookup(&f, "pid", "u", &u);
	(void)g_variant_dict_lookup(&f, "uid", "u", &u);
	(void)g_variant_dict_lookup(&f, "protocol", "&s", &s);
	(void)g_variant_dict_lookup(&f, "direction", "&s", &s);
	if (g_variant_dict_contains(&f, "unit"))
		(void)g_variant_dict_lookup(&f, "unit", "&s", &s);
	g_variant_dict_clear(&f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_glib_init();
	/* one-time GLib/GIO registrations, so they are not taken for leaks */
	g_type_ensure(G_TYPE_DBUS_CONNECTION);
	(void)G_DBUS_ERROR;
	(void)LDD_ERROR;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GBytes) bytes = g_bytes_new(data, size);
	g_autoptr(GVariant) raw = g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE_VARDICT, bytes, FALSE));
	g_autoptr(GVariant) filter = g_variant_get_normal_form(raw);
	gboolean ok, ok_raw;

	FUZZ_CHECK(g_variant_is_normal_form(filter), "normal form is not normal");
	ok = check(filter);
	FUZZ_CHECK(ok == oracle(filter), "check_filter says %s, the documented keys and types say otherwise",
		   ok ? "accept" : "reject");
	ok_raw = check(raw);
	FUZZ_CHECK(ok == ok_raw, "the value and its normal form are judged differently");
	if (ok)
		use_filter(filter);
	return 0;
}
