/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "ldd-config"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "ldd-config.h"

/* Longest value quoted in an error message, in characters. */
#define QUOTE_MAX_CHARS 80
/* Longest GKeyFile parser message passed on, in characters. */
#define MESSAGE_MAX_CHARS 240
/* Numbers saturate past this (see parse_digits()). */
#define DIGITS_LIMIT G_GUINT64_CONSTANT(1000000000000)

typedef struct {
	LddIgnoreKind kind;
	char *pattern;            /* UNIT, COMM: fnmatch(3) glob, FNM_NOESCAPE */
	int family;               /* ADDRESS: AF_INET or AF_INET6 */
	guint8 addr[16];          /* ADDRESS: network order, host bits cleared */
	guint prefix;             /* ADDRESS: 0..32 or 0..128 */
	guint16 port_lo, port_hi; /* PORT: inclusive */
} LddIgnoreRule;

static void ignore_rule_free(gpointer data)
{
	LddIgnoreRule *rule = data;

	g_free(rule->pattern);
	g_free(rule);
}

typedef enum {
	VALUE_DURATION, /* milliseconds: "2s", "500ms", "1m", "1h" or a bare number of ms */
	VALUE_COUNT,    /* a plain integer */
} ValueType;

static const struct {
	const char *key;
	ValueType type;
	gsize offset;
	guint def, min, max;
} daemon_keys[] = {
	{ "UpdateInterval", VALUE_DURATION, G_STRUCT_OFFSET(LddConfig, update_interval_ms), 2000, 100, 3600000 },
	{ "FlowTableSize", VALUE_COUNT, G_STRUCT_OFFSET(LddConfig, flow_table_size), 16384, 16, 1048576 },
	{ "ClosedHistory", VALUE_COUNT, G_STRUCT_OFFSET(LddConfig, closed_history), 256, 0, 65536 },
	{ "BlockedHistory", VALUE_COUNT, G_STRUCT_OFFSET(LddConfig, blocked_history), 1000, 1, 100000 },
	{ "CoalesceWindow", VALUE_DURATION, G_STRUCT_OFFSET(LddConfig, coalesce_window_ms), 5000, 100, 3600000 },
	{ "DrainInterval", VALUE_DURATION, G_STRUCT_OFFSET(LddConfig, drain_interval_ms), 200, 10, 5000 },
};

static const struct {
	const char *key;
	LddIgnoreKind kind;
} ignore_keys[] = {
	{ "Units", LDD_IGNORE_UNIT },
	{ "Comms", LDD_IGNORE_COMM },
	{ "Addresses", LDD_IGNORE_ADDRESS },
	{ "Ports", LDD_IGNORE_PORT },
};

static guint *config_field(LddConfig *config, gsize offset)
{
	return G_STRUCT_MEMBER_P(config, offset);
}

LddConfig *ldd_config_new_default(void)
{
	LddConfig *config = g_new0(LddConfig, 1);

	for (gsize i = 0; i < G_N_ELEMENTS(daemon_keys); i++)
		*config_field(config, daemon_keys[i].offset) = daemon_keys[i].def;
	config->ignore = g_ptr_array_new_with_free_func(ignore_rule_free);
	return config;
}

void ldd_config_free(LddConfig *config)
{
	if (!config)
		return;
	g_clear_pointer(&config->ignore, g_ptr_array_unref);
	g_free(config);
}

/* Untrusted text as it goes into a message: valid UTF-8, control characters
 * escaped (nothing else, so a value reads as it is written in the file), at
 * most max_chars characters. */
static char *escape_text(const char *text, guint max_chars)
{
	g_autofree char *valid = g_utf8_make_valid(text, -1);
	GString *s = g_string_new(NULL);
	guint n = 0;

	for (const char *p = valid; *p; p = g_utf8_next_char(p), n++) {
		gunichar c = g_utf8_get_char(p);

		if (n == max_chars) {
			g_string_append(s, "…");
			break;
		}
		if (g_unichar_iscntrl(c))
			g_string_append_printf(s, "\\u%04x", c);
		else
			g_string_append_unichar(s, c);
	}
	return g_string_free(s, FALSE);
}

static void set_value_error(GError **error, const char *file, const char *group, const char *key,
			    const char *value, const char *expected)
{
	g_autofree char *g = escape_text(group, QUOTE_MAX_CHARS);
	g_autofree char *k = escape_text(key, QUOTE_MAX_CHARS);
	g_autofree char *v = escape_text(value, QUOTE_MAX_CHARS);

	g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		    "%s: [%s] %s=\"%s\": %s", file, g, k, v, expected);
}

static void format_duration(GString *s, guint ms)
{
	if (ms && ms % 3600000 == 0)
		g_string_append_printf(s, "%uh", ms / 3600000);
	else if (ms && ms % 60000 == 0)
		g_string_append_printf(s, "%um", ms / 60000);
	else if (ms && ms % 1000 == 0)
		g_string_append_printf(s, "%us", ms / 1000);
	else
		g_string_append_printf(s, "%ums", ms);
}

/* Strict unsigned decimal: digits only, no sign.  *end is where the digits
 * stop; FALSE without any digit.  Values past 10^12 saturate (out of every
 * range, and no overflow when scaled to milliseconds). */
static gboolean parse_digits(const char *s, guint64 *out, const char **end)
{
	guint64 v = 0;
	const char *p = s;

	for (; g_ascii_isdigit(*p); p++)
		if (v <= DIGITS_LIMIT)
			v = v * 10 + (guint64)(*p - '0');
	*out = MIN(v, DIGITS_LIMIT + 1);
	*end = p;
	return p != s;
}

static gboolean parse_number(const char *text, ValueType type, guint64 *out)
{
	g_autofree char *s = g_strstrip(g_strdup(text));
	const char *end;
	guint64 v, mult;

	if (!parse_digits(s, &v, &end))
		return FALSE;
	if (type == VALUE_COUNT || *end == '\0')
		mult = 1;
	else if (g_str_equal(end, "ms"))
		mult = 1;
	else if (g_str_equal(end, "s"))
		mult = 1000;
	else if (g_str_equal(end, "m"))
		mult = 60000;
	else if (g_str_equal(end, "h"))
		mult = 3600000;
	else
		return FALSE;
	if (type == VALUE_COUNT && *end != '\0')
		return FALSE;
	*out = v * mult;
	return TRUE;
}

static gboolean parse_daemon_key(LddConfig *config, GKeyFile *kf, const char *file, const char *key,
				 GError **error)
{
	g_autofree char *raw = g_key_file_get_value(kf, "Daemon", key, NULL);
	g_autofree char *value = NULL;
	g_autofree char *expected = NULL;
	g_autoptr(GString) range = g_string_new(NULL);
	guint64 v = 0;
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(daemon_keys); i++)
		if (g_str_equal(daemon_keys[i].key, key))
			break;
	if (i == G_N_ELEMENTS(daemon_keys)) {
		set_value_error(error, file, "Daemon", key, raw ? raw : "",
				"unknown key, expected one of UpdateInterval, FlowTableSize, ClosedHistory, "
				"BlockedHistory, CoalesceWindow, DrainInterval");
		return FALSE;
	}

	if (daemon_keys[i].type == VALUE_DURATION) {
		format_duration(range, daemon_keys[i].min);
		g_string_append(range, "..");
		format_duration(range, daemon_keys[i].max);
		expected = g_strdup_printf("expected a duration like 2s or 500ms (%s)", range->str);
	} else {
		expected = g_strdup_printf("expected an integer (%u..%u)", daemon_keys[i].min, daemon_keys[i].max);
	}

	value = g_key_file_get_string(kf, "Daemon", key, NULL);
	if (!value || !parse_number(value, daemon_keys[i].type, &v) ||
	    v < daemon_keys[i].min || v > daemon_keys[i].max) {
		set_value_error(error, file, "Daemon", key, raw ? raw : "", expected);
		return FALSE;
	}
	*config_field(config, daemon_keys[i].offset) = (guint)v;
	return TRUE;
}

static gboolean parse_port(const char *text, guint16 *out, const char **end)
{
	guint64 v;

	if (!parse_digits(text, &v, end) || v < 1 || v > 65535)
		return FALSE;
	*out = (guint16)v;
	return TRUE;
}

static gboolean parse_port_range(const char *text, LddIgnoreRule *rule)
{
	const char *end;

	if (!parse_port(text, &rule->port_lo, &end))
		return FALSE;
	rule->port_hi = rule->port_lo;
	if (*end == '-' && !parse_port(end + 1, &rule->port_hi, &end))
		return FALSE;
	return *end == '\0' && rule->port_lo <= rule->port_hi;
}

static gboolean is_v4_mapped(const guint8 a[16])
{
	static const guint8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

/* "192.0.2.1", "10.0.0.0/8", "fe80::/10".  Host bits are cleared;
 * "::ffff:a.b.c.d/n" with n >= 96 becomes the IPv4 rule it stands for. */
static gboolean parse_network(const char *text, LddIgnoreRule *rule)
{
	const char *slash = strchr(text, '/');
	gsize len = slash ? (gsize)(slash - text) : strlen(text);
	char host[INET6_ADDRSTRLEN];
	guint max;

	if (len == 0 || len >= sizeof(host))
		return FALSE;
	memcpy(host, text, len);
	host[len] = '\0';
	memset(rule->addr, 0, sizeof(rule->addr));
	if (inet_pton(AF_INET, host, rule->addr) == 1) {
		rule->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, rule->addr) == 1) {
		rule->family = AF_INET6;
		max = 128;
	} else {
		return FALSE;
	}

	rule->prefix = max;
	if (slash) {
		const char *end;
		guint64 v;

		if (!parse_digits(slash + 1, &v, &end) || *end != '\0' || v > max)
			return FALSE;
		rule->prefix = (guint)v;
	}

	for (guint bit = rule->prefix; bit < max; bit++)
		rule->addr[bit / 8] &= (guint8) ~(0x80u >> (bit % 8));

	if (rule->family == AF_INET6 && rule->prefix >= 96 && is_v4_mapped(rule->addr)) {
		memmove(rule->addr, rule->addr + 12, 4);
		memset(rule->addr + 4, 0, 12);
		rule->family = AF_INET;
		rule->prefix -= 96;
	}
	return TRUE;
}

static gboolean is_unit_pattern_char(char c)
{
	/* systemd unit name characters, and fnmatch's */
	return g_ascii_isalnum(c) || strchr(":_.\\@-*?[]!^", c) != NULL;
}

static gboolean valid_pattern(const char *text, LddIgnoreKind kind)
{
	gsize len = strlen(text);

	if (len == 0 || len > LDD_CONFIG_MAX_PATTERN_LEN)
		return FALSE;
	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		if (g_unichar_iscntrl(g_utf8_get_char(p)))
			return FALSE;
		if (kind == LDD_IGNORE_UNIT && !is_unit_pattern_char(*p))
			return FALSE;
	}
	return TRUE;
}

static const char *ignore_expected(LddIgnoreKind kind)
{
	switch (kind) {
	case LDD_IGNORE_UNIT:
		return "expected a unit name or glob like sshd.service or app-*.scope "
		       "(letters, digits, \":_.\\@-\" and glob characters \"*?[]!^\", at most 255 bytes; "
		       "separate patterns with ';')";
	case LDD_IGNORE_COMM:
		return "expected a process name or glob like curl or python3* "
		       "(no control characters, at most 255 bytes; separate patterns with ';')";
	case LDD_IGNORE_ADDRESS:
		return "expected an IPv4 or IPv6 address or network like 192.0.2.1, 10.0.0.0/8 or fe80::/10 "
		       "(prefix at most 32 for IPv4, 128 for IPv6)";
	case LDD_IGNORE_PORT:
		return "expected a port 1..65535 or a range like 6000-6010";
	}
	g_assert_not_reached();
}

static gboolean parse_ignore_key(LddConfig *config, GKeyFile *kf, const char *file, const char *key,
				 GError **error)
{
	g_autofree char *raw = g_key_file_get_value(kf, "Ignore", key, NULL);
	g_auto(GStrv) items = NULL;
	gsize n = 0, i;
	LddIgnoreKind kind;

	for (i = 0; i < G_N_ELEMENTS(ignore_keys); i++)
		if (g_str_equal(ignore_keys[i].key, key))
			break;
	if (i == G_N_ELEMENTS(ignore_keys)) {
		set_value_error(error, file, "Ignore", key, raw ? raw : "",
				"unknown key, expected one of Units, Comms, Addresses, Ports");
		return FALSE;
	}
	kind = ignore_keys[i].kind;

	items = g_key_file_get_string_list(kf, "Ignore", key, &n, NULL);
	if (!items && raw && *raw) {
		set_value_error(error, file, "Ignore", key, raw,
				"expected a ';'-separated list (write a backslash as \\\\ and ';' as \\;)");
		return FALSE;
	}
	if (n > LDD_CONFIG_MAX_PATTERNS) {
		g_autofree char *expected = g_strdup_printf("%" G_GSIZE_FORMAT " entries, expected at most %u",
							    n, LDD_CONFIG_MAX_PATTERNS);
		set_value_error(error, file, "Ignore", key, raw, expected);
		return FALSE;
	}

	for (i = 0; i < n; i++) {
		g_autofree LddIgnoreRule *rule = g_new0(LddIgnoreRule, 1);
		const char *item = g_strstrip(items[i]);
		gboolean ok;

		rule->kind = kind;
		switch (kind) {
		case LDD_IGNORE_UNIT:
		case LDD_IGNORE_COMM:
			ok = valid_pattern(item, kind);
			if (ok)
				rule->pattern = g_strdup(item);
			break;
		case LDD_IGNORE_ADDRESS:
			ok = parse_network(item, rule);
			break;
		case LDD_IGNORE_PORT:
			ok = parse_port_range(item, rule);
			break;
		default:
			g_assert_not_reached();
		}
		if (!ok) {
			if (*item)
				set_value_error(error, file, "Ignore", key, item, ignore_expected(kind));
			else
				set_value_error(error, file, "Ignore", key, raw,
						"empty entry in the list, expected a non-empty value between ';'");
			return FALSE;
		}
		g_ptr_array_add(config->ignore, g_steal_pointer(&rule));
	}
	return TRUE;
}

/* The file's bytes, at most LDD_CONFIG_MAX_FILE_SIZE of them. */
static char *read_file_bounded(int fd, const char *file, gsize *out_len, GError **error)
{
	g_autofree char *buf = g_malloc(LDD_CONFIG_MAX_FILE_SIZE + 1);
	gsize len = 0;
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int errsv = errno;

		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "%s: %s", file, g_strerror(errsv));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "%s: not a regular file", file);
		return NULL;
	}
	/* one byte more than allowed tells a file that is too big */
	while (len <= LDD_CONFIG_MAX_FILE_SIZE) {
		ssize_t r = read(fd, buf + len, LDD_CONFIG_MAX_FILE_SIZE + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int errsv = errno;

			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "%s: %s", file,
				    g_strerror(errsv));
			return NULL;
		}
		if (r == 0)
			break;
		len += (gsize)r;
	}
	if (len > LDD_CONFIG_MAX_FILE_SIZE) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "%s: file is larger than %u bytes, expected a short key file", file,
			    LDD_CONFIG_MAX_FILE_SIZE);
		return NULL;
	}
	*out_len = len;
	return g_steal_pointer(&buf);
}

static char *read_config_file(const char *path, const char *file, gsize *out_len, GError **error)
{
	char *data;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		int errsv = errno;

		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "%s: %s", file, g_strerror(errsv));
		return NULL;
	}
	data = read_file_bounded(fd, file, out_len, error);
	close(fd);
	return data;
}

/* GKeyFile wants UTF-8 but checks it only for the values it is asked for. */
static gboolean check_text(const char *data, gsize len, const char *file, GError **error)
{
	const char *end;
	guint line = 1;

	if (g_utf8_validate_len(data, len, &end))
		return TRUE;
	for (const char *p = data; p < end; p++)
		if (*p == '\n')
			line++;
	g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_UNKNOWN_ENCODING,
		    "%s: line %u: %s, expected a UTF-8 text key file", file, line,
		    *end == '\0' ? "contains a NUL byte" : "invalid UTF-8");
	return FALSE;
}

static LddConfig *parse_key_file(const char *data, gsize len, const char *file, GError **error)
{
	g_autoptr(LddConfig) config = ldd_config_new_default();
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) local_error = NULL;
	g_auto(GStrv) groups = NULL;

	if (!check_text(data, len, file, error))
		return NULL;
	/* KEEP_TRANSLATIONS: a "Key[de]=" is reported as unknown, not dropped */
	if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_KEEP_TRANSLATIONS, &local_error)) {
		g_autofree char *msg = escape_text(local_error->message, MESSAGE_MAX_CHARS);

		g_set_error(error, G_KEY_FILE_ERROR, local_error->code, "%s: %s", file, msg);
		return NULL;
	}

	groups = g_key_file_get_groups(kf, NULL);
	for (char **group = groups; *group; group++) {
		g_auto(GStrv) keys = g_key_file_get_keys(kf, *group, NULL, NULL);
		gboolean daemon = g_str_equal(*group, "Daemon");

		if (!daemon && !g_str_equal(*group, "Ignore")) {
			g_autofree char *g = escape_text(*group, QUOTE_MAX_CHARS);

			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
				    "%s: unknown group [%s], expected [Daemon] or [Ignore]", file, g);
			return NULL;
		}
		g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

		for (char **key = keys; keys && *key; key++) {
			/* GKeyFile keeps only the last of a repeated key (also across two
			 * sections of one group): say so rather than drop one silently */
			if (!g_hash_table_add(seen, *key)) {
				g_autofree char *k = escape_text(*key, QUOTE_MAX_CHARS);

				g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
					    "%s: [%s] %s is given more than once; give it once (lists are "
					    "separated by ;)", file, *group, k);
				return NULL;
			}
			if (daemon ? !parse_daemon_key(config, kf, file, *key, error)
				   : !parse_ignore_key(config, kf, file, *key, error))
				return NULL;
		}
	}
	return g_steal_pointer(&config);
}

LddConfig *ldd_config_load(const char *path, gboolean missing_ok, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autofree char *file = NULL;
	g_autofree char *data = NULL;
	gsize len = 0;

	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!path)
		return ldd_config_new_default();

	file = g_filename_display_name(path);
	data = read_config_file(path, file, &len, &local_error);
	if (!data) {
		if (missing_ok && g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
			return ldd_config_new_default();
		g_propagate_error(error, g_steal_pointer(&local_error));
		return NULL;
	}
	return parse_key_file(data, len, file, error);
}

/* The first `prefix` bits of a and net (host bits of net are clear) agree. */
static gboolean prefix_match(const guint8 *net, const guint8 *a, guint prefix)
{
	guint bytes = prefix / 8, bits = prefix % 8;

	if (memcmp(net, a, bytes) != 0)
		return FALSE;
	if (bits == 0)
		return TRUE;
	return (a[bytes] & (guint8)(0xff00u >> bits)) == net[bytes];
}

static gboolean rule_matches(const LddIgnoreRule *rule, const LddIgnoreQuery *q, const guint8 *v4,
			     const guint8 *v6)
{
	switch (rule->kind) {
	case LDD_IGNORE_UNIT:
		return q->unit && *q->unit && fnmatch(rule->pattern, q->unit, FNM_NOESCAPE) == 0;
	case LDD_IGNORE_COMM:
		return q->comm && *q->comm && fnmatch(rule->pattern, q->comm, FNM_NOESCAPE) == 0;
	case LDD_IGNORE_ADDRESS:
		if (rule->family == AF_INET)
			return v4 && prefix_match(rule->addr, v4, rule->prefix);
		return v6 && prefix_match(rule->addr, v6, rule->prefix);
	case LDD_IGNORE_PORT:
		return (q->remote_port && q->remote_port >= rule->port_lo && q->remote_port <= rule->port_hi) ||
		       (q->local_port && q->local_port >= rule->port_lo && q->local_port <= rule->port_hi);
	}
	return FALSE;
}

gboolean ldd_config_ignores(const LddConfig *config, const LddIgnoreQuery *q)
{
	const guint8 *v4 = NULL, *v6 = NULL;

	g_return_val_if_fail(config != NULL, FALSE);
	g_return_val_if_fail(q != NULL, FALSE);

	if (q->remote_addr && q->family == AF_INET) {
		v4 = q->remote_addr;
	} else if (q->remote_addr && q->family == AF_INET6) {
		v6 = q->remote_addr;
		/* a dual-stack socket talking IPv4 matches the IPv4 rules too */
		if (is_v4_mapped(v6))
			v4 = v6 + 12;
	}
	for (guint i = 0; i < config->ignore->len; i++)
		if (rule_matches(g_ptr_array_index(config->ignore, i), q, v4, v6))
			return TRUE;
	return FALSE;
}

guint ldd_config_count_ignores(const LddConfig *config, LddIgnoreKind kind)
{
	guint n = 0;

	g_return_val_if_fail(config != NULL, 0);

	for (guint i = 0; i < config->ignore->len; i++)
		if (((const LddIgnoreRule *)g_ptr_array_index(config->ignore, i))->kind == kind)
			n++;
	return n;
}

static void describe_rule(GString *s, const LddIgnoreRule *rule)
{
	char buf[INET6_ADDRSTRLEN];

	switch (rule->kind) {
	case LDD_IGNORE_UNIT:
	case LDD_IGNORE_COMM:
		g_string_append(s, rule->pattern);
		break;
	case LDD_IGNORE_ADDRESS:
		g_string_append(s, inet_ntop(rule->family, rule->addr, buf, sizeof(buf)) ? buf : "?");
		if (rule->prefix != (rule->family == AF_INET ? 32u : 128u))
			g_string_append_printf(s, "/%u", rule->prefix);
		break;
	case LDD_IGNORE_PORT:
		g_string_append_printf(s, "%u", rule->port_lo);
		if (rule->port_hi != rule->port_lo)
			g_string_append_printf(s, "-%u", rule->port_hi);
		break;
	}
}

char *ldd_config_describe(const LddConfig *config)
{
	GString *s = g_string_new(NULL);

	g_return_val_if_fail(config != NULL, NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(daemon_keys); i++) {
		guint v = *(const guint *)((const guint8 *)config + daemon_keys[i].offset);

		g_string_append_printf(s, "%s%s=", i ? " " : "", daemon_keys[i].key);
		if (daemon_keys[i].type == VALUE_DURATION)
			format_duration(s, v);
		else
			g_string_append_printf(s, "%u", v);
	}

	g_string_append(s, "; ignoring");
	if (config->ignore->len == 0)
		g_string_append(s, " nothing");
	for (gsize k = 0; k < G_N_ELEMENTS(ignore_keys); k++) {
		gboolean first = TRUE;

		for (guint i = 0; i < config->ignore->len; i++) {
			const LddIgnoreRule *rule = g_ptr_array_index(config->ignore, i);

			if (rule->kind != ignore_keys[k].kind)
				continue;
			if (first)
				g_string_append_printf(s, " %s=", ignore_keys[k].key);
			else
				g_string_append_c(s, ',');
			describe_rule(s, rule);
			first = FALSE;
		}
	}
	return g_string_free(s, FALSE);
}
