/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgroup path -> unit, slice and application id, following systemd's
 * conventions ("Desktop Environment Integration", "cgroup delegation"):
 *
 *   /system.slice/sshd.service                          sshd.service, system.slice
 *   /system.slice/docker.service/any/child              docker.service (a delegated subtree)
 *   /user.slice/user-1000.slice/user@1000.service/init.scope
 *                                                       user@1000.service (the user manager)
 *   .../user@1000.service/app.slice/app-gnome-org.gnome.Terminal-1234.scope
 *                                                       app id org.gnome.Terminal
 *   .../app-org.gnome.Terminal.slice/vte-spawn-0f3c.scope
 *                                                       app id from the slice
 *   /machine.slice/libpod-<id>.scope/container/...      libpod-<id>.scope, podman:<12 hex>
 */
#define G_LOG_DOMAIN "ldd-unit"

#include <string.h>

#include "ldd-unit.h"

/* A component of the path: not NUL-terminated. */
typedef struct {
	const char *s;
	gsize len;
} Name;

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

static gboolean has_prefix(Name n, const char *prefix)
{
	gsize l = strlen(prefix);

	return n.len >= l && memcmp(n.s, prefix, l) == 0;
}

static gboolean has_suffix(Name n, const char *suffix)
{
	gsize l = strlen(suffix);

	return n.len >= l && memcmp(n.s + n.len - l, suffix, l) == 0;
}

static gboolean name_equal(Name n, const char *s)
{
	return n.len == strlen(s) && memcmp(n.s, s, n.len) == 0;
}

/* "<something>SUFFIX", not longer than a unit name can be. */
static gboolean is_type(Name n, const char *suffix)
{
	return n.len > strlen(suffix) && n.len <= LDD_UNIT_NAME_MAX && has_suffix(n, suffix);
}

static gboolean is_unit(Name n)
{
	return is_type(n, ".service") || is_type(n, ".scope");
}

static gboolean is_user_manager(Name n)
{
	return is_type(n, ".service") && has_prefix(n, "user@");
}

static Name name_slice(Name n, gsize start, gsize end)
{
	Name r = { n.s + start, end - start };

	return r;
}

/* Valid UTF-8, each control character replaced by U+FFFD. */
static char *sanitize(const char *s, gsize len)
{
	g_autofree char *valid = g_utf8_make_valid(s, (gssize)len);
	GString *out = g_string_sized_new(len);

	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iscntrl(c))
			g_string_append(out, REPLACEMENT);
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
	}
	return g_string_free(out, FALSE);
}

static int hex_value(char c)
{
	return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

static char *unescape_len(const char *s, gsize len)
{
	g_autofree char *raw = g_malloc(len + 1);
	gsize o = 0;

	for (gsize i = 0; i < len; i++) {
		if (len - i >= 4 && s[i] == '\\' && s[i + 1] == 'x') {
			int hi = hex_value(s[i + 2]);
			int lo = hex_value(s[i + 3]);

			if (hi >= 0 && lo >= 0 && (hi || lo)) {
				raw[o++] = (char)(hi << 4 | lo);
				i += 3;
				continue;
			}
		}
		raw[o++] = s[i];
	}
	return sanitize(raw, o);
}

char *ldd_unit_unescape(const char *name)
{
	g_return_val_if_fail(name != NULL, NULL);

	return unescape_len(name, strlen(name));
}

/* Split n at unescaped '-' (escaped ones are "\x2d" and contain none). */
static guint split_dashes(Name n, Name *parts, guint max)
{
	guint count = 0;
	gsize start = 0;

	for (gsize i = 0; i <= n.len && count < max; i++) {
		if (i == n.len || n.s[i] == '-') {
			parts[count++] = name_slice(n, start, i);
			start = i + 1;
		}
	}
	return count;
}

static gboolean is_hex(Name n)
{
	for (gsize i = 0; i < n.len; i++)
		if (!g_ascii_isxdigit(n.s[i]))
			return FALSE;
	return n.len > 0;
}

/* A D-Bus activated app: "dbus-:1.2-org.gnome.Foo" is org.gnome.Foo. */
static char *strip_dbus_launcher(char *id)
{
	if (g_str_has_prefix(id, "dbus-:")) {
		const char *dash = strchr(id + strlen("dbus-:"), '-');

		if (dash && dash[1]) {
			char *r = g_strdup(dash + 1);

			g_free(id);
			return r;
		}
	}
	return id;
}

/* The unescaped, sanitized app id, or NULL when part is empty. */
static char *app_id_from_part(Name part)
{
	if (part.len == 0)
		return NULL;
	return strip_dbus_launcher(unescape_len(part.s, part.len));
}

/*
 * Containers: "libpod-<id>.scope", "libpod-conmon-<id>.scope",
 * "docker-<id>.scope", "crio-<id>.scope", "cri-containerd-<id>.scope" with a
 * hex id of at least 12 digits; "machine-<escaped name>.scope" (machined),
 * "systemd-nspawn@<escaped name>.service".
 */
static char *container_id(Name unit)
{
	static const struct {
		const char *prefix, *kind;
	} engines[] = {
		{ "libpod-conmon-", "podman" },
		{ "libpod-", "podman" },
		{ "docker-", "docker" },
		{ "crio-conmon-", "crio" },
		{ "crio-", "crio" },
		{ "cri-containerd-", "containerd" },
	};

	if (is_type(unit, ".scope")) {
		Name body = name_slice(unit, 0, unit.len - strlen(".scope"));

		for (gsize i = 0; i < G_N_ELEMENTS(engines); i++) {
			Name id;

			if (!has_prefix(body, engines[i].prefix))
				continue;
			id = name_slice(body, strlen(engines[i].prefix), body.len);
			if (id.len < 12 || !is_hex(id))
				return NULL;
			return g_strdup_printf("%s:%.12s", engines[i].kind, id.s);
		}
		if (has_prefix(body, "machine-") && body.len > strlen("machine-")) {
			g_autofree char *name = unescape_len(body.s + strlen("machine-"), body.len - strlen("machine-"));

			return g_strconcat("machine:", name, NULL);
		}
	} else if (is_type(unit, ".service") && has_prefix(unit, "systemd-nspawn@")) {
		Name inst = name_slice(unit, strlen("systemd-nspawn@"), unit.len - strlen(".service"));

		if (inst.len > 0) {
			g_autofree char *name = unescape_len(inst.s, inst.len);

			return g_strconcat("machine:", name, NULL);
		}
	}
	return NULL;
}

/*
 * Desktop applications:
 *   app[-<launcher>]-<ApplicationID>-<RANDOM>.scope
 *   app[-<launcher>]-<ApplicationID>[@<RANDOM>].service
 */
static char *app_id_from_unit(Name unit)
{
	Name parts[LDD_UNIT_NAME_MAX];
	Name body;
	guint n;

	if (!has_prefix(unit, "app-"))
		return NULL;
	if (is_type(unit, ".scope")) {
		body = name_slice(unit, strlen("app-"), unit.len - strlen(".scope"));
		n = split_dashes(body, parts, G_N_ELEMENTS(parts));
		return n >= 2 ? app_id_from_part(parts[n - 2]) : NULL;
	}
	if (is_type(unit, ".service")) {
		const char *at;

		body = name_slice(unit, strlen("app-"), unit.len - strlen(".service"));
		at = memchr(body.s, '@', body.len);
		if (at)
			body.len = (gsize)(at - body.s);
		n = split_dashes(body, parts, G_N_ELEMENTS(parts));
		return n >= 1 ? app_id_from_part(parts[n - 1]) : NULL;
	}
	return NULL;
}

/* "app-<ApplicationID>.slice" (GNOME), "app-<launcher>-<ApplicationID>-<RANDOM>.slice". */
static char *app_id_from_slice(Name slice)
{
	Name parts[LDD_UNIT_NAME_MAX];
	Name body;
	guint n;

	if (!has_prefix(slice, "app-") || !is_type(slice, ".slice"))
		return NULL;
	body = name_slice(slice, strlen("app-"), slice.len - strlen(".slice"));
	n = split_dashes(body, parts, G_N_ELEMENTS(parts));
	if (n == 1)
		return app_id_from_part(parts[0]);
	if (n == 2) /* "<ApplicationID>-<RANDOM>" or "<launcher>-<ApplicationID>" */
		return app_id_from_part(is_hex(parts[1]) ? parts[0] : parts[1]);
	return app_id_from_part(parts[n - 2]);
}

/* The components of path, within LDD_UNIT_MAX_PATH bytes and LDD_UNIT_MAX_DEPTH components. */
static guint split_path(const char *path, Name comps[LDD_UNIT_MAX_DEPTH])
{
	gsize len = strnlen(path, LDD_UNIT_MAX_PATH + 1);
	guint n = 0;
	gsize i = 0;

	if (len > LDD_UNIT_MAX_PATH) {
		/* keep whole components only */
		len = LDD_UNIT_MAX_PATH;
		while (len > 0 && path[len] != '/')
			len--;
	}
	while (i < len && n < LDD_UNIT_MAX_DEPTH) {
		gsize start;

		while (i < len && path[i] == '/')
			i++;
		start = i;
		while (i < len && path[i] != '/')
			i++;
		if (i > start) {
			comps[n].s = path + start;
			comps[n].len = i - start;
			n++;
		}
	}
	return n;
}

void ldd_unit_info_from_path(const char *path, LddUnitInfo *out)
{
	Name comps[LDD_UNIT_MAX_DEPTH];
	g_autofree char *app_id = NULL;
	int unit = -1, slice = -1, app_slice = -1;
	int unit_slice = -1, unit_app_slice = -1;
	guint n;

	g_return_if_fail(out != NULL);

	n = split_path(path ? path : "/", comps);
	for (guint i = 0; i < n; i++) {
		Name c = comps[i];

		if (is_type(c, ".slice")) {
			slice = (int)i;
			if (has_prefix(c, "app-"))
				app_slice = (int)i;
			continue;
		}
		if (!is_unit(c))
			continue;
		/* the user manager's own processes */
		if (name_equal(c, "init.scope") && i > 0 && is_user_manager(comps[i - 1]))
			continue;
		unit = (int)i;
		unit_slice = slice;
		unit_app_slice = app_slice;
		/* what runs inside a container is the container's */
		app_id = container_id(c);
		if (app_id)
			break;
	}

	if (unit < 0) {
		unit_slice = slice;
		unit_app_slice = app_slice;
	} else if (!app_id) {
		app_id = app_id_from_unit(comps[unit]);
	}
	if (!app_id && unit_app_slice >= 0)
		app_id = app_id_from_slice(comps[unit_app_slice]);

	out->unit = unit >= 0 ? sanitize(comps[unit].s, comps[unit].len) : g_strdup("");
	out->slice = unit_slice >= 0 ? sanitize(comps[unit_slice].s, comps[unit_slice].len) : g_strdup("");
	out->app_id = app_id ? g_steal_pointer(&app_id) : g_strdup("");
}

void ldd_unit_info_clear(LddUnitInfo *info)
{
	g_clear_pointer(&info->unit, g_free);
	g_clear_pointer(&info->slice, g_free);
	g_clear_pointer(&info->app_id, g_free);
}
