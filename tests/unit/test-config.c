/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* leco-dbusd.conf is admin-written text: parse strictly, explain every rejection. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "ldd-config.h"

static char *write_tmp(const char *content, gssize len)
{
	g_autoptr(GError) error = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("leco-dbusd-conf-XXXXXX", &path, &error);

	g_assert_no_error(error);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
	g_assert_true(g_file_set_contents(path, content, len, &error));
	g_assert_no_error(error);
	return path;
}

/* Load content from a temporary file; *out_path (if given) gets its name. */
static LddConfig *load_text_len(const char *content, gssize len, char **out_path, GError **error)
{
	g_autofree char *path = write_tmp(content, len);
	LddConfig *config = ldd_config_load(path, FALSE, error);

	g_unlink(path);
	if (out_path)
		*out_path = g_steal_pointer(&path);
	return config;
}

static LddConfig *load_text(const char *content)
{
	g_autoptr(GError) error = NULL;
	LddConfig *config = load_text_len(content, -1, NULL, &error);

	g_assert_no_error(error);
	g_assert_nonnull(config);
	return config;
}

/* The content must be refused with an error that names the file and contains
 * every one of the NULL-terminated needles. */
static GError *assert_rejected_len(const char *content, gssize len, ...)
{
	g_autofree char *path = NULL;
	GError *error = NULL;
	g_autoptr(LddConfig) config = load_text_len(content, len, &path, &error);
	const char *needle;
	va_list ap;

	g_assert_null(config);
	g_assert_nonnull(error);
	g_assert_true(error->domain == G_KEY_FILE_ERROR || error->domain == G_IO_ERROR);
	g_assert_true(g_str_has_prefix(error->message, path));
	g_assert_true(g_utf8_validate(error->message, -1, NULL));
	g_assert_null(strchr(error->message, '\n'));
	va_start(ap, len);
	while ((needle = va_arg(ap, const char *))) {
		if (!strstr(error->message, needle))
			g_error("error \"%s\" does not contain \"%s\"", error->message, needle);
	}
	va_end(ap);
	return error;
}

#define assert_rejected(content, ...) \
	g_error_free(assert_rejected_len((content), -1, __VA_ARGS__, NULL))

static void assert_defaults(const LddConfig *c)
{
	g_assert_cmpuint(c->update_interval_ms, ==, 2000);
	g_assert_cmpuint(c->flow_table_size, ==, 16384);
	g_assert_cmpuint(c->closed_history, ==, 256);
	g_assert_cmpuint(c->blocked_history, ==, 1000);
	g_assert_cmpuint(c->coalesce_window_ms, ==, 5000);
	g_assert_cmpuint(c->drain_interval_ms, ==, 200);
	for (LddIgnoreKind k = LDD_IGNORE_UNIT; k <= LDD_IGNORE_PORT; k++)
		g_assert_cmpuint(ldd_config_count_ignores(c, k), ==, 0);
}

static void test_defaults(void)
{
	g_autoptr(LddConfig) c = ldd_config_new_default();
	g_autoptr(LddConfig) from_null = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *desc = NULL;
	LddIgnoreQuery q = { .unit = "sshd.service", .comm = "sshd", .remote_port = 22, .local_port = 40000 };

	assert_defaults(c);
	g_assert_false(ldd_config_ignores(c, &q));
	desc = ldd_config_describe(c);
	g_assert_cmpstr(desc, ==,
			"UpdateInterval=2s FlowTableSize=16384 ClosedHistory=256 BlockedHistory=1000 "
			"CoalesceWindow=5s DrainInterval=200ms; ignoring nothing");

	from_null = ldd_config_load(NULL, FALSE, &error);
	g_assert_no_error(error);
	assert_defaults(from_null);
}

static void test_missing_file(void)
{
	g_autoptr(LddConfig) c = NULL;
	g_autoptr(GError) error = NULL;
	const char *path = "/nonexistent/leco/leco-dbusd.conf";

	c = ldd_config_load(path, TRUE, &error);
	g_assert_no_error(error);
	assert_defaults(c);
	g_clear_pointer(&c, ldd_config_free);

	c = ldd_config_load(path, FALSE, &error);
	g_assert_null(c);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
	g_assert_true(g_str_has_prefix(error->message, path));
}

/* missing_ok covers a missing file only, not one that cannot be read. */
static void test_not_a_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(LddConfig) c = ldd_config_load("/", TRUE, &error);

	g_assert_null(c);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);
	g_assert_cmpstr(error->message, ==, "/: not a regular file");
}

static void test_too_big(void)
{
	gsize len = LDD_CONFIG_MAX_FILE_SIZE + 1;
	g_autofree char *big = g_malloc(len);
	g_autoptr(GError) error = NULL;

	memset(big, '#', len);
	error = assert_rejected_len(big, (gssize)len, "larger than", NULL);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static const char full_file[] =
	"# every key\n"
	"[Daemon]\n"
	"UpdateInterval=1s\n"
	"FlowTableSize=65536\n"
	"ClosedHistory=0\n"
	"BlockedHistory=100000\n"
	"CoalesceWindow=1m\n"
	"DrainInterval=50\n"
	"\n"
	"[Ignore]\n"
	"Units=app-*-org.example.*.scope;systemd-timesyncd.service;app-gnome-firefox\\\\x2desr-*.scope\n"
	"Comms=ntpd;chrony?;Web Content\n"
	"Addresses=10.0.0.0/8; 192.168.1.7 ;fe80::/10;::1\n"
	"Ports=53;6000-6010;\n";

static void test_full_file(void)
{
	g_autoptr(LddConfig) c = load_text(full_file);
	g_autofree char *desc = ldd_config_describe(c);

	g_assert_cmpuint(c->update_interval_ms, ==, 1000);
	g_assert_cmpuint(c->flow_table_size, ==, 65536);
	g_assert_cmpuint(c->closed_history, ==, 0);
	g_assert_cmpuint(c->blocked_history, ==, 100000);
	g_assert_cmpuint(c->coalesce_window_ms, ==, 60000);
	g_assert_cmpuint(c->drain_interval_ms, ==, 50);
	g_assert_cmpuint(ldd_config_count_ignores(c, LDD_IGNORE_UNIT), ==, 3);
	g_assert_cmpuint(ldd_config_count_ignores(c, LDD_IGNORE_COMM), ==, 3);
	g_assert_cmpuint(ldd_config_count_ignores(c, LDD_IGNORE_ADDRESS), ==, 4);
	g_assert_cmpuint(ldd_config_count_ignores(c, LDD_IGNORE_PORT), ==, 2);
	g_assert_cmpstr(desc, ==,
			"UpdateInterval=1s FlowTableSize=65536 ClosedHistory=0 BlockedHistory=100000 "
			"CoalesceWindow=1m DrainInterval=50ms; ignoring "
			"Units=app-*-org.example.*.scope,systemd-timesyncd.service,app-gnome-firefox\\x2desr-*.scope "
			"Comms=ntpd,chrony?,Web Content "
			"Addresses=10.0.0.0/8,192.168.1.7,fe80::/10,::1 Ports=53,6000-6010");
}

/* No groups, only comments, an empty [Ignore], empty lists: all defaults. */
static void test_empty_and_partial(void)
{
	const char *texts[] = {
		"",
		"# nothing here\n\n",
		"[Ignore]\n",
		"[Daemon]\n[Ignore]\nUnits=\nComms=\nAddresses=\nPorts=\n",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
		g_autoptr(LddConfig) c = load_text(texts[i]);

		assert_defaults(c);
	}
}

static void test_partial_daemon(void)
{
	g_autoptr(LddConfig) c = load_text("[Daemon]\nFlowTableSize=16\n");

	g_assert_cmpuint(c->flow_table_size, ==, 16);
	g_assert_cmpuint(c->update_interval_ms, ==, 2000);
	g_assert_cmpuint(c->closed_history, ==, 256);
}

static void test_durations(void)
{
	static const struct {
		const char *text;
		guint ms;
	} cases[] = {
		{ "2s", 2000 },   { "500ms", 500 }, { "1m", 60000 },     { "1h", 3600000 }, { "1500", 1500 },
		{ "100", 100 },   { "100ms", 100 }, { "3600000", 3600000 }, { " 7s  ", 7000 }, { "0005s", 5000 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf("[Daemon]\nUpdateInterval=%s\n", cases[i].text);
		g_autoptr(LddConfig) c = load_text(text);

		g_assert_cmpuint(c->update_interval_ms, ==, cases[i].ms);
	}
}

/* Range limits are inclusive. */
static void test_range_limits(void)
{
	g_autoptr(LddConfig) lo = load_text("[Daemon]\nUpdateInterval=100ms\nFlowTableSize=16\nClosedHistory=0\n"
					    "BlockedHistory=1\nCoalesceWindow=100\nDrainInterval=10ms\n");
	g_autoptr(LddConfig) hi = load_text("[Daemon]\nUpdateInterval=1h\nFlowTableSize=1048576\nClosedHistory=65536\n"
					    "BlockedHistory=100000\nCoalesceWindow=60m\nDrainInterval=5s\n");

	g_assert_cmpuint(lo->update_interval_ms, ==, 100);
	g_assert_cmpuint(lo->flow_table_size, ==, 16);
	g_assert_cmpuint(lo->blocked_history, ==, 1);
	g_assert_cmpuint(lo->coalesce_window_ms, ==, 100);
	g_assert_cmpuint(lo->drain_interval_ms, ==, 10);
	g_assert_cmpuint(hi->update_interval_ms, ==, 3600000);
	g_assert_cmpuint(hi->flow_table_size, ==, 1048576);
	g_assert_cmpuint(hi->closed_history, ==, 65536);
	g_assert_cmpuint(hi->blocked_history, ==, 100000);
	g_assert_cmpuint(hi->coalesce_window_ms, ==, 3600000);
	g_assert_cmpuint(hi->drain_interval_ms, ==, 5000);
}

/* A key given twice is refused (GKeyFile would keep only the last, found by
 * fuzz/), also across two sections of one group; distinct keys in a group
 * that appears twice are fine. */
static void test_duplicate_key(void)
{
	g_autoptr(LddConfig) c = load_text("[Daemon]\nFlowTableSize=32\n"
					   "[Ignore]\nPorts=1\n[Daemon]\nDrainInterval=1s\n");
	g_autoptr(GError) e1 = assert_rejected_len("[Daemon]\nFlowTableSize=32\nFlowTableSize=64\n", -1,
						   "FlowTableSize", "more than once", NULL);
	g_autoptr(GError) e2 = assert_rejected_len("[Ignore]\nUnits=a.service\n[Daemon]\nFlowTableSize=32\n"
						   "[Ignore]\nUnits=b.service\n", -1, "Units", "more than once",
						   NULL);

	g_assert_cmpuint(c->flow_table_size, ==, 32);
	g_assert_cmpuint(c->drain_interval_ms, ==, 1000);
	g_assert_cmpuint(ldd_config_count_ignores(c, LDD_IGNORE_PORT), ==, 1);
}

/* One bad value for one key: each row becomes its own test case. */
typedef struct {
	const char *key;
	const char *value;
	const char *expected; /* part of the "expected ..." text */
} BadDaemonValue;

#define DURATION_100MS_1H "expected a duration like 2s or 500ms (100ms..1h)"
#define DURATION_10MS_5S "expected a duration like 2s or 500ms (10ms..5s)"

static const BadDaemonValue bad_daemon_values[] = {
	{ "UpdateInterval", "fast", DURATION_100MS_1H },
	{ "UpdateInterval", "99", DURATION_100MS_1H },
	{ "UpdateInterval", "99ms", DURATION_100MS_1H },
	{ "UpdateInterval", "61m", DURATION_100MS_1H },
	{ "UpdateInterval", "2h", DURATION_100MS_1H },
	{ "UpdateInterval", "2x", DURATION_100MS_1H },
	{ "UpdateInterval", "2sec", DURATION_100MS_1H },
	{ "UpdateInterval", "1.5s", DURATION_100MS_1H },
	{ "UpdateInterval", "-5s", DURATION_100MS_1H },
	{ "UpdateInterval", "", DURATION_100MS_1H },
	{ "UpdateInterval", "2 s", DURATION_100MS_1H },
	{ "UpdateInterval", "99999999999999999999999h", DURATION_100MS_1H },
	{ "FlowTableSize", "big", "expected an integer (16..1048576)" },
	{ "FlowTableSize", "15", "expected an integer (16..1048576)" },
	{ "FlowTableSize", "1048577", "expected an integer (16..1048576)" },
	{ "FlowTableSize", "4096s", "expected an integer (16..1048576)" },
	{ "FlowTableSize", "0x4000", "expected an integer (16..1048576)" },
	{ "FlowTableSize", "+100", "expected an integer (16..1048576)" },
	{ "FlowTableSize", "18446744073709551632", "expected an integer (16..1048576)" },
	{ "ClosedHistory", "none", "expected an integer (0..65536)" },
	{ "ClosedHistory", "-1", "expected an integer (0..65536)" },
	{ "ClosedHistory", "65537", "expected an integer (0..65536)" },
	{ "ClosedHistory", "1k", "expected an integer (0..65536)" },
	{ "BlockedHistory", "many", "expected an integer (1..100000)" },
	{ "BlockedHistory", "0", "expected an integer (1..100000)" },
	{ "BlockedHistory", "100001", "expected an integer (1..100000)" },
	{ "BlockedHistory", "10s", "expected an integer (1..100000)" },
	{ "CoalesceWindow", "long", DURATION_100MS_1H },
	{ "CoalesceWindow", "50ms", DURATION_100MS_1H },
	{ "CoalesceWindow", "3601s", DURATION_100MS_1H },
	{ "CoalesceWindow", "5d", DURATION_100MS_1H },
	{ "DrainInterval", "often", DURATION_10MS_5S },
	{ "DrainInterval", "9ms", DURATION_10MS_5S },
	{ "DrainInterval", "6s", DURATION_10MS_5S },
	{ "DrainInterval", "1w", DURATION_10MS_5S },
};

static void test_bad_daemon_value(gconstpointer data)
{
	const BadDaemonValue *bad = data;
	g_autofree char *text = g_strdup_printf("[Daemon]\n%s=%s\n", bad->key, bad->value);
	g_autofree char *what = g_strdup_printf("[Daemon] %s=\"%s\": ", bad->key, bad->value);
	g_autoptr(GError) error = assert_rejected_len(text, -1, what, bad->expected, NULL);

	g_assert_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
}

static void test_error_message_format(void)
{
	g_autofree char *path = NULL;
	g_autofree char *want = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(LddConfig) c = load_text_len("[Daemon]\nUpdateInterval=fast\n", -1, &path, &error);

	g_assert_null(c);
	want = g_strdup_printf("%s: [Daemon] UpdateInterval=\"fast\": expected a duration like 2s or 500ms "
			       "(100ms..1h)", path);
	g_assert_cmpstr(error->message, ==, want);
}

static void test_unknown_group(void)
{
	g_autoptr(GError) error = assert_rejected_len("[Daemon]\nFlowTableSize=32\n[Deamon]\nFoo=1\n", -1,
						      "unknown group [Deamon]", "expected [Daemon] or [Ignore]",
						      NULL);

	g_assert_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND);
}

static void test_unknown_key(void)
{
	assert_rejected("[Daemon]\nUpdateIntervall=2s\n", "[Daemon] UpdateIntervall=\"2s\"", "unknown key",
			"UpdateInterval");
	assert_rejected("[Ignore]\nUnit=sshd.service\n", "[Ignore] Unit=\"sshd.service\"", "unknown key", "Units");
	/* an [Ignore] key in [Daemon] */
	assert_rejected("[Daemon]\nPorts=22\n", "[Daemon] Ports=\"22\"", "unknown key");
	/* localized keys are not dropped silently */
	assert_rejected("[Daemon]\nUpdateInterval[de]=2s\n", "[Daemon] UpdateInterval[de]=\"2s\"", "unknown key");
}

static void test_not_a_key_file(void)
{
	g_autoptr(GError) e1 = assert_rejected_len("UpdateInterval=2s\n", -1, "does not start with a group", NULL);
	g_autoptr(GError) e2 = assert_rejected_len("[Daemon]\nthis is not a key\n", -1, "this is not a key", NULL);
	g_autoptr(GError) e3 = assert_rejected_len("[Daemon\nUpdateInterval=2s\n", -1, "Daemon", NULL);

	g_assert_error(e1, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND);
	g_assert_error(e2, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE);
	g_assert_error(e3, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE);
}

static void test_invalid_utf8(void)
{
	g_autoptr(GError) e1 = assert_rejected_len("[Daemon]\nUpdateInterval=2s\xff\n", -1, "line 2", "UTF-8", NULL);
	/* in a group name, which GKeyFile itself would accept */
	g_autoptr(GError) e2 = assert_rejected_len("# ok\n\n[Daem\xc3on]\n", -1, "line 3", "UTF-8", NULL);

	g_assert_error(e1, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_UNKNOWN_ENCODING);
	g_assert_error(e2, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_UNKNOWN_ENCODING);
}

static void test_binary_garbage(void)
{
	static const char elf[] = "\x7f" "ELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00";
	g_autoptr(GError) e1 = assert_rejected_len(elf, sizeof(elf) - 1, "line 1", "NUL byte", NULL);
	g_autoptr(GRand) rand = g_rand_new_with_seed(42);

	g_assert_error(e1, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_UNKNOWN_ENCODING);

	/* random bytes, and random printable lines: refused, with a sane message */
	for (int round = 0; round < 200; round++) {
		char buf[512];
		gsize len = (gsize)g_rand_int_range(rand, 1, sizeof(buf));

		for (gsize i = 0; i < len; i++)
			buf[i] = round % 2 ? (char)g_rand_int_range(rand, 0, 256)
					   : (char)g_rand_int_range(rand, 0x20, 0x7f);
		buf[0] = 'x'; /* never a valid start of a key file */
		g_error_free(assert_rejected_len(buf, (gssize)len, NULL));
	}
}

typedef struct {
	const char *key;
	const char *item;
	const char *expected;
} BadIgnoreItem;

static const BadIgnoreItem bad_ignore_items[] = {
	{ "Addresses", "10.0.0.0/33", "expected an IPv4 or IPv6 address or network" },
	{ "Addresses", "::1/129", "prefix at most 32 for IPv4, 128 for IPv6" },
	{ "Addresses", "foo", "expected an IPv4 or IPv6 address" },
	{ "Addresses", "10.0.0.0/", "expected an IPv4 or IPv6 address" },
	{ "Addresses", "/8", "expected an IPv4 or IPv6 address" },
	{ "Addresses", "10.0.0/8", "expected an IPv4 or IPv6 address" },
	{ "Addresses", "10.0.0.256", "expected an IPv4 or IPv6 address" },
	{ "Addresses", "10.0.0.0/-1", "expected an IPv4 or IPv6 address" },
	{ "Addresses", "10.0.0.0/8/8", "expected an IPv4 or IPv6 address" },
	{ "Addresses", "fe80::1%eth0", "expected an IPv4 or IPv6 address" },
	{ "Addresses", "1:2:3:4:5:6:7:8:9", "expected an IPv4 or IPv6 address" },
	{ "Ports", "0", "expected a port 1..65535 or a range like 6000-6010" },
	{ "Ports", "70000", "expected a port 1..65535" },
	{ "Ports", "10-5", "expected a port 1..65535" },
	{ "Ports", "http", "expected a port 1..65535" },
	{ "Ports", "-5", "expected a port 1..65535" },
	{ "Ports", "5-", "expected a port 1..65535" },
	{ "Ports", "1-65536", "expected a port 1..65535" },
	{ "Ports", "22 23", "expected a port 1..65535" },
	{ "Units", "sshd.service,cron.service", "expected a unit name or glob" },
	{ "Units", "ssh d.service", "expected a unit name or glob" },
	{ "Units", "system.slice/sshd.service", "expected a unit name or glob" },
	{ "Comms", "cu\x01rl", "expected a process name or glob" },
};

static void test_bad_ignore_item(gconstpointer data)
{
	const BadIgnoreItem *bad = data;
	/* the bad item among good ones: the message names the bad one */
	g_autofree char *text = g_strdup_printf("[Ignore]\nUnits=a.service\n%s=%s\n", bad->key, bad->item);
	g_autofree char *what = g_strdup_printf("[Ignore] %s=\"%s\": ", bad->key,
						strchr(bad->item, '\x01') ? "cu\\u0001rl" : bad->item);
	g_autoptr(GError) error = assert_rejected_len(text, -1, what, bad->expected, NULL);

	g_assert_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
}

static void test_empty_pattern(void)
{
	assert_rejected("[Ignore]\nUnits=a.service;;b.service\n", "[Ignore] Units=\"a.service;;b.service\"",
			"empty entry");
	assert_rejected("[Ignore]\nComms=;\n", "[Ignore] Comms=\";\"", "empty entry");
	assert_rejected("[Ignore]\nAddresses= ;10.0.0.1\n", "[Ignore] Addresses=", "empty entry");
	assert_rejected("[Ignore]\nPorts=22;  ;23\n", "[Ignore] Ports=\"22;  ;23\"", "empty entry");
}

static void test_pattern_limits(void)
{
	g_autoptr(GString) many = g_string_new("[Ignore]\nPorts=");
	g_autoptr(LddConfig) c = NULL;
	g_autofree char *long_unit = NULL;
	g_autofree char *text = NULL;

	for (int i = 1; i <= LDD_CONFIG_MAX_PATTERNS; i++)
		g_string_append_printf(many, "%d;", i);
	c = load_text(many->str);
	g_assert_cmpuint(ldd_config_count_ignores(c, LDD_IGNORE_PORT), ==, LDD_CONFIG_MAX_PATTERNS);
	g_string_append(many, "999");
	assert_rejected(many->str, "[Ignore] Ports=\"1;2;3;", "257 entries, expected at most 256");

	long_unit = g_strnfill(LDD_CONFIG_MAX_PATTERN_LEN - strlen(".service") + 1, 'a');
	text = g_strdup_printf("[Ignore]\nUnits=%s.service\n", long_unit);
	assert_rejected(text, "[Ignore] Units=\"aaaa", "…\": expected a unit name or glob", "at most 255 bytes");
}

/* GKeyFile's own escapes: "\\" is one backslash, "\;" a literal ';'. */
static void test_key_file_escapes(void)
{
	g_autoptr(LddConfig) c = load_text("[Ignore]\nUnits=app-gnome-firefox\\\\x2desr-*.scope\n"
					   "Comms=a\\;b\n");
	LddIgnoreQuery q = { .unit = "app-gnome-firefox\\x2desr-999.scope" };
	LddIgnoreQuery semi = { .comm = "a;b" };

	g_assert_true(ldd_config_ignores(c, &q));
	g_assert_true(ldd_config_ignores(c, &semi));
	assert_rejected("[Ignore]\nUnits=app-gnome-firefox\\x2desr-*.scope\n",
			"[Ignore] Units=\"app-gnome-firefox\\x2desr-*.scope\"", "write a backslash as \\\\");
}

static void test_ignore_units(void)
{
	g_autoptr(LddConfig) c = load_text("[Ignore]\nUnits=app-*-org.example.*.scope;sshd.service;user@*.service\n");
	LddIgnoreQuery q = { 0 };

	q.unit = "app-gnome-org.example.Foo-123.scope";
	g_assert_true(ldd_config_ignores(c, &q));
	q.unit = "app-org.example.Foo-123.scope"; /* no launcher: the first '*' needs a '-' after it */
	g_assert_false(ldd_config_ignores(c, &q));
	q.unit = "sshd.service";
	g_assert_true(ldd_config_ignores(c, &q));
	q.unit = "sshd.socket";
	g_assert_false(ldd_config_ignores(c, &q));
	q.unit = "user@1000.service";
	g_assert_true(ldd_config_ignores(c, &q));
	q.unit = "";
	g_assert_false(ldd_config_ignores(c, &q));
	q.unit = NULL;
	g_assert_false(ldd_config_ignores(c, &q));
}

static void test_ignore_comms(void)
{
	g_autoptr(LddConfig) c = load_text("[Ignore]\nComms=chrony?;python3*;[Ww]eb Content;*\\\\*\n");
	LddIgnoreQuery q = { 0 };

	q.comm = "chronyd";
	g_assert_true(ldd_config_ignores(c, &q));
	q.comm = "chrony";
	g_assert_false(ldd_config_ignores(c, &q));
	q.comm = "python3.11";
	g_assert_true(ldd_config_ignores(c, &q));
	q.comm = "web Content";
	g_assert_true(ldd_config_ignores(c, &q));
	q.comm = "back\\slash"; /* backslash is literal in patterns */
	g_assert_true(ldd_config_ignores(c, &q));
	q.comm = "curl";
	g_assert_false(ldd_config_ignores(c, &q));
	q.comm = NULL;
	g_assert_false(ldd_config_ignores(c, &q));
}

static gboolean ignores_addr(const LddConfig *c, const char *text)
{
	guint8 addr[16];
	LddIgnoreQuery q = { 0 };

	if (inet_pton(AF_INET, text, addr) == 1)
		q.family = AF_INET;
	else if (inet_pton(AF_INET6, text, addr) == 1)
		q.family = AF_INET6;
	else
		g_assert_not_reached();
	q.remote_addr = addr;
	return ldd_config_ignores(c, &q);
}

static void test_ignore_ipv4(void)
{
	g_autoptr(LddConfig) c = load_text("[Ignore]\nAddresses=10.0.0.0/8;192.168.0.0/23;203.0.113.7;198.51.100.77/24\n");

	g_assert_true(ignores_addr(c, "10.0.0.0"));
	g_assert_true(ignores_addr(c, "10.255.255.255"));
	g_assert_false(ignores_addr(c, "9.255.255.255"));
	g_assert_false(ignores_addr(c, "11.0.0.0"));
	/* a prefix that is not a byte boundary */
	g_assert_true(ignores_addr(c, "192.168.0.0"));
	g_assert_true(ignores_addr(c, "192.168.1.255"));
	g_assert_false(ignores_addr(c, "192.168.2.0"));
	g_assert_false(ignores_addr(c, "192.167.255.255"));
	/* a single address is a /32 */
	g_assert_true(ignores_addr(c, "203.0.113.7"));
	g_assert_false(ignores_addr(c, "203.0.113.6"));
	g_assert_false(ignores_addr(c, "203.0.113.8"));
	/* host bits in a network are ignored */
	g_assert_true(ignores_addr(c, "198.51.100.1"));
	g_assert_false(ignores_addr(c, "198.51.101.1"));
	/* an IPv4 rule never matches plain IPv6 */
	g_assert_false(ignores_addr(c, "::a00:1"));
	g_assert_false(ignores_addr(c, "a00::"));
}

static void test_ignore_ipv6(void)
{
	g_autoptr(LddConfig) c = load_text("[Ignore]\nAddresses=fe80::/10;2001:db8::/127;::1\n");

	g_assert_true(ignores_addr(c, "fe80::"));
	g_assert_true(ignores_addr(c, "fe80::1"));
	g_assert_true(ignores_addr(c, "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	g_assert_false(ignores_addr(c, "fec0::"));
	g_assert_false(ignores_addr(c, "fe7f:ffff::"));
	g_assert_true(ignores_addr(c, "2001:db8::"));
	g_assert_true(ignores_addr(c, "2001:db8::1"));
	g_assert_false(ignores_addr(c, "2001:db8::2"));
	g_assert_true(ignores_addr(c, "::1"));
	g_assert_false(ignores_addr(c, "::2"));
	g_assert_false(ignores_addr(c, "127.0.0.1"));
	g_assert_false(ignores_addr(c, "0.0.0.1"));
}

static void test_ignore_v4_mapped(void)
{
	g_autoptr(LddConfig) v4 = load_text("[Ignore]\nAddresses=10.0.0.0/8\n");
	/* a mapped rule stands for its IPv4 rule */
	g_autoptr(LddConfig) mapped = load_text("[Ignore]\nAddresses=::ffff:192.0.2.0/120\n");
	/* and a plain IPv6 rule covering the mapped range still sees mapped queries */
	g_autoptr(LddConfig) v6 = load_text("[Ignore]\nAddresses=::ffff:0:0/95\n");
	g_autofree char *desc = ldd_config_describe(mapped);

	g_assert_true(ignores_addr(v4, "::ffff:10.1.2.3"));
	g_assert_true(ignores_addr(v4, "::ffff:10.255.255.255"));
	g_assert_false(ignores_addr(v4, "::ffff:11.0.0.0"));
	g_assert_false(ignores_addr(v4, "::10.1.2.3")); /* IPv4-compatible is not mapped */
	g_assert_false(ignores_addr(v4, "::fffe:10.1.2.3"));

	g_assert_true(ignores_addr(mapped, "192.0.2.5"));
	g_assert_true(ignores_addr(mapped, "::ffff:192.0.2.255"));
	g_assert_false(ignores_addr(mapped, "192.0.3.0"));
	g_assert_true(strstr(desc, "Addresses=192.0.2.0/24") != NULL);

	g_assert_true(ignores_addr(v6, "::ffff:8.8.8.8"));
	g_assert_false(ignores_addr(v6, "8.8.8.8"));
}

static void test_ignore_prefix_zero(void)
{
	g_autoptr(LddConfig) all4 = load_text("[Ignore]\nAddresses=0.0.0.0/0\n");
	g_autoptr(LddConfig) all6 = load_text("[Ignore]\nAddresses=::/0\n");

	g_assert_true(ignores_addr(all4, "255.255.255.255"));
	g_assert_true(ignores_addr(all4, "::ffff:1.2.3.4"));
	g_assert_false(ignores_addr(all4, "2001:db8::1"));
	g_assert_true(ignores_addr(all6, "2001:db8::1"));
	g_assert_false(ignores_addr(all6, "1.2.3.4"));
}

static void test_ignore_unknown_address(void)
{
	g_autoptr(LddConfig) c = load_text("[Ignore]\nAddresses=0.0.0.0/0;::/0\n");
	guint8 addr[16] = { 0 };
	LddIgnoreQuery no_addr = { .family = AF_INET };
	LddIgnoreQuery no_family = { .family = 0, .remote_addr = addr };
	LddIgnoreQuery other_family = { .family = AF_UNIX, .remote_addr = addr };

	g_assert_false(ldd_config_ignores(c, &no_addr));
	g_assert_false(ldd_config_ignores(c, &no_family));
	g_assert_false(ldd_config_ignores(c, &other_family));
}

static void test_ignore_ports(void)
{
	g_autoptr(LddConfig) c = load_text("[Ignore]\nPorts=53;6000-6010;65535\n");
	LddIgnoreQuery q = { 0 };

	g_assert_false(ldd_config_ignores(c, &q)); /* port 0: unknown */
	q.remote_port = 53;
	g_assert_true(ldd_config_ignores(c, &q));
	q.remote_port = 5999;
	g_assert_false(ldd_config_ignores(c, &q));
	q.remote_port = 6000;
	g_assert_true(ldd_config_ignores(c, &q));
	q.remote_port = 6010;
	g_assert_true(ldd_config_ignores(c, &q));
	q.remote_port = 6011;
	g_assert_false(ldd_config_ignores(c, &q));
	q.remote_port = 65535;
	g_assert_true(ldd_config_ignores(c, &q));
	/* the local port counts too */
	q.remote_port = 443;
	q.local_port = 6005;
	g_assert_true(ldd_config_ignores(c, &q));
	q.local_port = 40000;
	g_assert_false(ldd_config_ignores(c, &q));
}

/* Any one rule is enough; the others need not match. */
static void test_ignore_any_rule(void)
{
	g_autoptr(LddConfig) c = load_text("[Ignore]\nUnits=foo.service\nComms=bar\nAddresses=192.0.2.1\nPorts=7\n");
	guint8 addr[4] = { 192, 0, 2, 1 };
	LddIgnoreQuery none = { .unit = "x.service", .comm = "x", .family = AF_INET,
				.remote_addr = (const guint8[]){ 192, 0, 2, 2 }, .remote_port = 8, .local_port = 9 };
	LddIgnoreQuery q;

	g_assert_false(ldd_config_ignores(c, &none));
	q = none;
	q.unit = "foo.service";
	g_assert_true(ldd_config_ignores(c, &q));
	q = none;
	q.comm = "bar";
	g_assert_true(ldd_config_ignores(c, &q));
	q = none;
	q.remote_addr = addr;
	g_assert_true(ldd_config_ignores(c, &q));
	q = none;
	q.local_port = 7;
	g_assert_true(ldd_config_ignores(c, &q));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/missing-file", test_missing_file);
	g_test_add_func("/config/not-a-file", test_not_a_file);
	g_test_add_func("/config/too-big", test_too_big);
	g_test_add_func("/config/full-file", test_full_file);
	g_test_add_func("/config/empty-and-partial", test_empty_and_partial);
	g_test_add_func("/config/partial-daemon", test_partial_daemon);
	g_test_add_func("/config/durations", test_durations);
	g_test_add_func("/config/range-limits", test_range_limits);
	g_test_add_func("/config/duplicate-key", test_duplicate_key);
	g_test_add_func("/config/error-message-format", test_error_message_format);
	for (gsize i = 0; i < G_N_ELEMENTS(bad_daemon_values); i++) {
		g_autofree char *name = g_strdup_printf("/config/bad-value/%s/%" G_GSIZE_FORMAT,
							bad_daemon_values[i].key, i);

		g_test_add_data_func(name, &bad_daemon_values[i], test_bad_daemon_value);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad_ignore_items); i++) {
		g_autofree char *name = g_strdup_printf("/config/bad-ignore/%s/%" G_GSIZE_FORMAT,
							bad_ignore_items[i].key, i);

		g_test_add_data_func(name, &bad_ignore_items[i], test_bad_ignore_item);
	}
	g_test_add_func("/config/unknown-group", test_unknown_group);
	g_test_add_func("/config/unknown-key", test_unknown_key);
	g_test_add_func("/config/not-a-key-file", test_not_a_key_file);
	g_test_add_func("/config/invalid-utf8", test_invalid_utf8);
	g_test_add_func("/config/binary-garbage", test_binary_garbage);
	g_test_add_func("/config/empty-pattern", test_empty_pattern);
	g_test_add_func("/config/pattern-limits", test_pattern_limits);
	g_test_add_func("/config/key-file-escapes", test_key_file_escapes);
	g_test_add_func("/config/ignore/units", test_ignore_units);
	g_test_add_func("/config/ignore/comms", test_ignore_comms);
	g_test_add_func("/config/ignore/ipv4", test_ignore_ipv4);
	g_test_add_func("/config/ignore/ipv6", test_ignore_ipv6);
	g_test_add_func("/config/ignore/v4-mapped", test_ignore_v4_mapped);
	g_test_add_func("/config/ignore/prefix-zero", test_ignore_prefix_zero);
	g_test_add_func("/config/ignore/unknown-address", test_ignore_unknown_address);
	g_test_add_func("/config/ignore/ports", test_ignore_ports);
	g_test_add_func("/config/ignore/any-rule", test_ignore_any_rule);
	return g_test_run();
}
