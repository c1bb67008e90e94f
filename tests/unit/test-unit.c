/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgroup path -> unit, slice, application id; the path is untrusted text. */
#include <string.h>

#include <glib.h>

#include "ldd-unit.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX12 "0123456789ab"
#define USER_MGR "/user.slice/user-1000.slice/user@1000.service"

typedef struct {
	const char *name; /* test case name */
	const char *path;
	const char *unit, *slice, *app_id;
} PathCase;

static const PathCase cases[] = {
	/* no unit */
	{ "root", "/", "", "", "" },
	{ "empty", "", "", "", "" },
	{ "slice-only", "/system.slice", "", "system.slice", "" },
	{ "no-unit", "/foo", "", "", "" },
	{ "no-unit-below-slice", "/system.slice/foo/bar", "", "system.slice", "" },
	{ "nested-slices", "/system.slice/system-getty.slice", "", "system-getty.slice", "" },
	{ "suffix-only", "/system.slice/.service", "", "system.slice", "" },
	{ "not-a-suffix", "/system.slice/foo.service.d", "", "system.slice", "" },

	/* system units */
	{ "service", "/system.slice/sshd.service", "sshd.service", "system.slice", "" },
	{ "init-scope", "/init.scope", "init.scope", "", "" },
	{ "template-instance", "/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service",
	  "system-getty.slice", "" },
	{ "delegated-subtree", "/system.slice/docker.service/some/child", "docker.service", "system.slice", "" },
	{ "slice-inside-unit", "/system.slice/foo.service/sub.slice/x", "foo.service", "system.slice", "" },
	{ "unit-at-root", "/sshd.service", "sshd.service", "", "" },
	{ "no-leading-slash", "system.slice/sshd.service", "sshd.service", "system.slice", "" },
	{ "extra-slashes", "//system.slice///sshd.service/", "sshd.service", "system.slice", "" },

	/* user sessions and the user manager */
	{ "session", "/user.slice/user-1000.slice/session-3.scope", "session-3.scope", "user-1000.slice", "" },
	{ "user-manager", USER_MGR, "user@1000.service", "user-1000.slice", "" },
	{ "user-manager-init", USER_MGR "/init.scope", "user@1000.service", "user-1000.slice", "" },
	{ "user-unit", USER_MGR "/app.slice/foo.service", "foo.service", "app.slice", "" },
	{ "user-session-unit", USER_MGR "/session.slice/org.gnome.Shell@wayland.service",
	  "org.gnome.Shell@wayland.service", "session.slice", "" },
	{ "user-unit-init-scope", USER_MGR "/app.slice/init.scope", "init.scope", "app.slice", "" },
	{ "user-slice-no-unit", USER_MGR "/app.slice/x", "user@1000.service", "user-1000.slice", "" },

	/* desktop applications */
	{ "app-gnome-scope", USER_MGR "/app.slice/app-gnome-org.gnome.Terminal-12345.scope",
	  "app-gnome-org.gnome.Terminal-12345.scope", "app.slice", "org.gnome.Terminal" },
	{ "app-scope-no-launcher", USER_MGR "/app.slice/app-org.kde.konsole-4321.scope",
	  "app-org.kde.konsole-4321.scope", "app.slice", "org.kde.konsole" },
	{ "app-escaped-dash", USER_MGR "/app.slice/app-gnome-firefox\\x2desr-999.scope",
	  "app-gnome-firefox\\x2desr-999.scope", "app.slice", "firefox-esr" },
	{ "app-flatpak", USER_MGR "/app.slice/app-flatpak-org.mozilla.firefox-2222.scope",
	  "app-flatpak-org.mozilla.firefox-2222.scope", "app.slice", "org.mozilla.firefox" },
	{ "app-service-autostart", USER_MGR "/app.slice/app-org.gnome.Evolution\\x2dalarm\\x2dnotify@autostart.service",
	  "app-org.gnome.Evolution\\x2dalarm\\x2dnotify@autostart.service", "app.slice",
	  "org.gnome.Evolution-alarm-notify" },
	{ "app-service-dbus", USER_MGR "/app.slice/app-dbus\\x2d:1.2\\x2dorg.gnome.Foo@0.service",
	  "app-dbus\\x2d:1.2\\x2dorg.gnome.Foo@0.service", "app.slice", "org.gnome.Foo" },
	{ "app-service-plain", USER_MGR "/app.slice/app-org.gnome.Foo.service", "app-org.gnome.Foo.service",
	  "app.slice", "org.gnome.Foo" },
	{ "app-service-launcher", USER_MGR "/app.slice/app-gnome-org.gnome.Foo@1.service",
	  "app-gnome-org.gnome.Foo@1.service", "app.slice", "org.gnome.Foo" },
	{ "app-xdg-open", USER_MGR "/app.slice/app-gnome-xdg\\x2dopen-7.scope", "app-gnome-xdg\\x2dopen-7.scope",
	  "app.slice", "xdg-open" },
	{ "app-from-slice", USER_MGR "/app.slice/app-org.gnome.Terminal.slice/vte-spawn-0f3c.scope",
	  "vte-spawn-0f3c.scope", "app-org.gnome.Terminal.slice", "org.gnome.Terminal" },
	{ "app-from-slice-random", USER_MGR "/app.slice/app-gnome-org.gnome.Nautilus-77.slice/foo.scope",
	  "foo.scope", "app-gnome-org.gnome.Nautilus-77.slice", "org.gnome.Nautilus" },
	{ "app-scope-in-app-slice", USER_MGR "/app.slice/app-org.gnome.Terminal.slice/app-gnome-org.gnome.Terminal-1234.scope",
	  "app-gnome-org.gnome.Terminal-1234.scope", "app-org.gnome.Terminal.slice", "org.gnome.Terminal" },
	{ "app-slice-no-unit", "/app.slice/app-org.example.Foo.slice", "", "app-org.example.Foo.slice",
	  "org.example.Foo" },
	{ "app-scope-no-random", USER_MGR "/app.slice/app-foo.scope", "app-foo.scope", "app.slice", "" },
	{ "app-scope-empty-id", USER_MGR "/app.slice/app--1.scope", "app--1.scope", "app.slice", "" },
	{ "not-app-prefix", USER_MGR "/app.slice/application-foo-1.scope", "application-foo-1.scope", "app.slice", "" },

	/* containers */
	{ "podman", "/machine.slice/libpod-" HEX64 ".scope", "libpod-" HEX64 ".scope", "machine.slice",
	  "podman:" HEX12 },
	{ "podman-inside", "/machine.slice/libpod-" HEX64 ".scope/container/child", "libpod-" HEX64 ".scope",
	  "machine.slice", "podman:" HEX12 },
	{ "podman-conmon", "/machine.slice/libpod-conmon-" HEX64 ".scope", "libpod-conmon-" HEX64 ".scope",
	  "machine.slice", "podman:" HEX12 },
	{ "podman-nested-systemd", "/machine.slice/libpod-" HEX64 ".scope/container/init.scope/system.slice/nginx.service",
	  "libpod-" HEX64 ".scope", "machine.slice", "podman:" HEX12 },
	{ "podman-rootless", USER_MGR "/user.slice/libpod-" HEX64 ".scope/container", "libpod-" HEX64 ".scope",
	  "user.slice", "podman:" HEX12 },
	{ "docker", "/system.slice/docker-" HEX64 ".scope", "docker-" HEX64 ".scope", "system.slice",
	  "docker:" HEX12 },
	{ "docker-not-hex", "/system.slice/docker-compose-web.scope", "docker-compose-web.scope", "system.slice", "" },
	{ "docker-short-id", "/system.slice/docker-abc.scope", "docker-abc.scope", "system.slice", "" },
	{ "machined", "/machine.slice/machine-qemu\\x2d1\\x2dfedora.scope", "machine-qemu\\x2d1\\x2dfedora.scope",
	  "machine.slice", "machine:qemu-1-fedora" },
	{ "nspawn-service", "/machine.slice/systemd-nspawn@fedora.service/payload/system.slice/sshd.service",
	  "systemd-nspawn@fedora.service", "machine.slice", "machine:fedora" },
	{ "cri-containerd", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-" HEX64 ".scope",
	  "cri-containerd-" HEX64 ".scope", "kubepods-burstable-pod1.slice", "containerd:" HEX12 },

	/* weird input */
	{ "control-char", "/system.slice/foo\x01" "bar.service", "foo\xef\xbf\xbd" "bar.service", "system.slice", "" },
	{ "newline", "/system.slice/a\nb.service", "a\xef\xbf\xbd" "b.service", "system.slice", "" },
	{ "invalid-utf8", "/sys\xfftem.slice/\xc3.service", "\xef\xbf\xbd.service", "sys\xef\xbf\xbdtem.slice", "" },
	{ "c1-control", "/system.slice/x\xc2\x85y.service", "x\xef\xbf\xbdy.service", "system.slice", "" },
	{ "escaped-control", "/app.slice/app-gnome-a\\x0ab-1.scope", "app-gnome-a\\x0ab-1.scope", "app.slice",
	  "a\xef\xbf\xbd" "b" },
	{ "escaped-nul", "/app.slice/app-gnome-a\\x00b-1.scope", "app-gnome-a\\x00b-1.scope", "app.slice",
	  "a\\x00b" },
	{ "escaped-invalid-utf8", "/app.slice/app-gnome-\\xff-1.scope", "app-gnome-\\xff-1.scope", "app.slice",
	  "\xef\xbf\xbd" },
	{ "non-ascii", "/system.slice/caf\xc3\xa9.service", "caf\xc3\xa9.service", "system.slice", "" },
};

static void assert_clean(const char *s)
{
	g_assert_nonnull(s);
	g_assert_true(g_utf8_validate(s, -1, NULL));
	for (const char *p = s; *p; p = g_utf8_next_char(p))
		g_assert_false(g_unichar_iscntrl(g_utf8_get_char(p)));
}

static void check_path(const char *path, const char *unit, const char *slice, const char *app_id)
{
	g_auto(LddUnitInfo) info = { 0 };

	ldd_unit_info_from_path(path, &info);
	assert_clean(info.unit);
	assert_clean(info.slice);
	assert_clean(info.app_id);
	g_assert_cmpstr(info.unit, ==, unit);
	g_assert_cmpstr(info.slice, ==, slice);
	g_assert_cmpstr(info.app_id, ==, app_id);
}

static void test_path(gconstpointer data)
{
	const PathCase *c = data;

	check_path(c->path, c->unit, c->slice, c->app_id);
}

static void test_null_path(void)
{
	check_path(NULL, "", "", "");
}

/* Only the first LDD_UNIT_MAX_DEPTH components count. */
static void test_depth_limit(void)
{
	g_autoptr(GString) at_limit = g_string_new(NULL);
	g_autoptr(GString) past_limit = NULL;

	for (int i = 0; i < LDD_UNIT_MAX_DEPTH - 1; i++)
		g_string_append(at_limit, "/s.slice");
	past_limit = g_string_new(at_limit->str);
	g_string_append(at_limit, "/u.service");
	g_string_append(past_limit, "/x/u.service");
	check_path(at_limit->str, "u.service", "s.slice", "");
	check_path(past_limit->str, "", "s.slice", "");
}

static void test_many_components(void)
{
	g_autoptr(GString) path = g_string_new("/system.slice/sshd.service");

	for (int i = 0; i < 5000; i++)
		g_string_append(path, "/a.scope");
	/* the deepest unit among the first 64 components */
	check_path(path->str, "a.scope", "system.slice", "");

	g_string_assign(path, "");
	for (int i = 0; i < 5000; i++)
		g_string_append(path, "/x");
	g_string_append(path, "/late.service");
	check_path(path->str, "", "", "");

	g_string_assign(path, "");
	for (int i = 0; i < 5000; i++)
		g_string_append(path, "/");
	g_string_append(path, "system.slice/sshd.service");
	check_path(path->str, "", "", ""); /* past LDD_UNIT_MAX_PATH bytes */
}

/* Past LDD_UNIT_MAX_PATH bytes nothing is read, and a component cut by the
 * limit is dropped, not taken for a shorter name. */
static void test_length_limit(void)
{
	g_autoptr(GString) path = g_string_new("/system.slice/sshd.service/");
	g_autofree char *huge = g_strnfill(100000, 'a');
	g_autofree char *dir = NULL;

	g_string_append(path, huge);
	check_path(path->str, "sshd.service", "system.slice", "");

	/* a unit that ends right at the limit counts */
	g_string_assign(path, "/system.slice/");
	dir = g_strnfill(LDD_UNIT_MAX_PATH - path->len - strlen("/foo.service"), 'd');
	g_string_append_printf(path, "%s/foo.service", dir);
	g_assert_cmpuint(path->len, ==, LDD_UNIT_MAX_PATH);
	check_path(path->str, "foo.service", "system.slice", "");
	g_string_append(path, "/child");
	check_path(path->str, "foo.service", "system.slice", "");

	/* one byte more, and it is cut, so dropped */
	g_string_insert_c(path, strlen("/system.slice/"), 'e');
	check_path(path->str, "", "system.slice", "");

	/* also when the cut leaves a plausible name: "a.scopeXX" -> "a.scope" */
	g_string_truncate(path, LDD_UNIT_MAX_PATH - strlen("/a.scope"));
	g_string_append(path, "/a.scopeXX");
	g_assert_cmpuint(path->len, >, LDD_UNIT_MAX_PATH);
	check_path(path->str, "", "system.slice", "");
}

/* A component longer than a unit name can be is no unit. */
static void test_long_component(void)
{
	g_autofree char *name = g_strnfill(LDD_UNIT_NAME_MAX - strlen(".service"), 'n');
	g_autofree char *ok = g_strdup_printf("/system.slice/%s.service", name);
	g_autofree char *unit = g_strdup_printf("%s.service", name);
	g_autofree char *too_long = g_strdup_printf("/system.slice/%sn.service", name);

	check_path(ok, unit, "system.slice", "");
	check_path(too_long, "", "system.slice", "");
}

/* Random bytes in, clean UTF-8 out, never a crash. */
static void test_random_input(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(7);
	static const char *const pieces[] = {
		"/", "//", ".slice", ".service", ".scope", "app-", "-", "\\x2d", "\\x", "\\x00", "@",
		"user@1000.service", "init.scope", "libpod-", HEX64, "machine-", "\xff", "\x01", "\xc3",
	};

	for (int round = 0; round < 2000; round++) {
		g_autoptr(GString) path = g_string_new(NULL);
		g_auto(LddUnitInfo) info = { 0 };
		int n = g_rand_int_range(rand, 0, 40);

		for (int i = 0; i < n; i++) {
			if (g_rand_boolean(rand))
				g_string_append(path, pieces[g_rand_int_range(rand, 0, G_N_ELEMENTS(pieces))]);
			else
				g_string_append_c(path, (char)g_rand_int_range(rand, 1, 256));
		}
		ldd_unit_info_from_path(path->str, &info);
		assert_clean(info.unit);
		assert_clean(info.slice);
		assert_clean(info.app_id);
		g_assert_cmpuint(strlen(info.unit), <=, LDD_UNIT_NAME_MAX * 3);
	}
}

static void test_reuse_after_clear(void)
{
	g_auto(LddUnitInfo) info = { 0 };

	ldd_unit_info_from_path("/system.slice/a.service", &info);
	g_assert_cmpstr(info.unit, ==, "a.service");
	ldd_unit_info_clear(&info);
	g_assert_null(info.unit);
	ldd_unit_info_clear(&info); /* twice is fine */
	ldd_unit_info_from_path("/system.slice/b.service", &info);
	g_assert_cmpstr(info.unit, ==, "b.service");
}

static void test_unescape(void)
{
	static const struct {
		const char *in, *out;
	} cases_unescape[] = {
		{ "", "" },
		{ "plain", "plain" },
		{ "a\\x2db", "a-b" },
		{ "qemu\\x2d1\\x2dfedora", "qemu-1-fedora" },
		{ "\\x2D", "-" },              /* upper-case hex digits */
		{ "\\X2d", "\\X2d" },          /* but a lower-case 'x' only */
		{ "a\\x2fb", "a/b" },
		{ "\\x", "\\x" },              /* incomplete escapes stay */
		{ "\\x2", "\\x2" },
		{ "\\xzz", "\\xzz" },
		{ "\\\\x2d", "\\-" },
		{ "\\x00", "\\x00" },          /* never a NUL */
		{ "\\x01", "\xef\xbf\xbd" },   /* control characters replaced */
		{ "\\xc3\\xa9", "\xc3\xa9" },  /* escaped UTF-8 decodes */
		{ "\\xff", "\xef\xbf\xbd" },   /* invalid UTF-8 replaced */
		{ "\xff", "\xef\xbf\xbd" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases_unescape); i++) {
		g_autofree char *out = ldd_unit_unescape(cases_unescape[i].in);

		g_assert_cmpstr(out, ==, cases_unescape[i].out);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *name = g_strdup_printf("/unit/path/%s", cases[i].name);

		g_test_add_data_func(name, &cases[i], test_path);
	}
	g_test_add_func("/unit/null-path", test_null_path);
	g_test_add_func("/unit/depth-limit", test_depth_limit);
	g_test_add_func("/unit/many-components", test_many_components);
	g_test_add_func("/unit/length-limit", test_length_limit);
	g_test_add_func("/unit/long-component", test_long_component);
	g_test_add_func("/unit/random-input", test_random_input);
	g_test_add_func("/unit/reuse-after-clear", test_reuse_after_clear);
	g_test_add_func("/unit/unescape", test_unescape);
	return g_test_run();
}
