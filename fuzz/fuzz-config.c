/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * leco-dbusd's configuration file (leco-dbusd/ldd-config.h), loaded through
 * the real path: the bytes go into a memfd and ldd_config_load() opens
 * /proc/self/fd/N like any file.
 *
 * Input: the file, up to the first NUL byte.  What follows the NUL, if
 * anything, is an ignore query (see parse_query()); when that part starts
 * with 'N', the whole input, NUL included, is the file instead (NUL bytes
 * must be refused).
 *
 * Invariants: a config or an error, never both or neither; a key given twice
 * in a group is an error (GKeyFile would silently keep the last value: the
 * file is parsed strictly, see ldd-config.h); errors are
 * G_KEY_FILE_ERROR (or G_IO_ERROR), name the file and are clean text; the
 * tunables are within their documented ranges; a query that knows nothing
 * matches nothing; the --verbose summary is clean text and, written back as
 * a key file, loads to the same summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <gio/gio.h>

#include "fuzz-common.h"
#include "ldd-config.h"

static int memfd = -1;
static char memfd_path[64];

static void put_file(const void *data, size_t size)
{
	FUZZ_CHECK(ftruncate(memfd, 0) == 0, "ftruncate: %s", g_strerror(errno));
	FUZZ_CHECK(size == 0 || pwrite(memfd, data, size, 0) == (ssize_t)size, "pwrite: %s", g_strerror(errno));
}

/* Load what put_file() wrote, checking the either-or contract and the error. */
static LddConfig *load(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *prefix = g_strconcat(memfd_path, ": ", NULL);
	LddConfig *config = ldd_config_load(memfd_path, FALSE, &error);

	FUZZ_CHECK((config == NULL) != (error == NULL), "config %p and error %p", (void *)config,
		   (void *)error);
	if (error) {
		FUZZ_CHECK(error->domain == G_KEY_FILE_ERROR || error->domain == G_IO_ERROR, "error domain %s",
			   g_quark_to_string(error->domain));
		FUZZ_CHECK(fuzz_text_clean(error->message), "error message not clean text");
		FUZZ_CHECK(g_str_has_prefix(error->message, prefix), "error does not name the file: %s",
			   error->message);
	}
	return config;
}

/* A key twice in one group (also across two sections of the same group):
 * GKeyFile lists it twice and returns only the last value. */
static gboolean has_repeated_key(const uint8_t *data, size_t len)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_auto(GStrv) groups = NULL;

	if (!g_key_file_load_from_data(kf, (const char *)data, len, G_KEY_FILE_KEEP_TRANSLATIONS, NULL))
		return FALSE;
	groups = g_key_file_get_groups(kf, NULL);
	for (char **g = groups; *g; g++) {
		g_auto(GStrv) keys = g_key_file_get_keys(kf, *g, NULL, NULL);
		g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

		for (char **k = keys; keys && *k; k++)
			if (!g_hash_table_add(seen, *k))
				return TRUE;
	}
	return FALSE;
}

static void check_ranges(const LddConfig *c)
{
	FUZZ_CHECK(c->update_interval_ms >= 100 && c->update_interval_ms <= 3600000, "UpdateInterval %u",
		   c->update_interval_ms);
	FUZZ_CHECK(c->flow_table_size >= 16 && c->flow_table_size <= 1048576, "FlowTableSize %u",
		   c->flow_table_size);
	FUZZ_CHECK(c->closed_history <= 65536, "ClosedHistory %u", c->closed_history);
	FUZZ_CHECK(c->blocked_history >= 1 && c->blocked_history <= 100000, "BlockedHistory %u",
		   c->blocked_history);
	FUZZ_CHECK(c->coalesce_window_ms >= 100 && c->coalesce_window_ms <= 3600000, "CoalesceWindow %u",
		   c->coalesce_window_ms);
	FUZZ_CHECK(c->drain_interval_ms >= 10 && c->drain_interval_ms <= 5000, "DrainInterval %u",
		   c->drain_interval_ms);
}

/* The query part: flags byte (unused), unit NUL comm NUL, family byte
 * (1: AF_INET, 2: AF_INET6, else as is), 16 address bytes, remote and local
 * port (2 bytes each); missing fields are unknown. */
typedef struct {
	char unit[LDD_CONFIG_MAX_PATTERN_LEN + 64];
	char comm[64];
	guint8 addr[16];
	LddIgnoreQuery q;
} FuzzQuery;

static const uint8_t *take_string(const uint8_t *p, const uint8_t *end, char *out, size_t outlen,
				  const char **field)
{
	size_t n = 0;

	while (p < end && *p && n + 1 < outlen)
		out[n++] = (char)*p++;
	out[n] = '\0';
	if (p < end && *p == '\0')
		p++;
	*field = n ? out : NULL;
	return p;
}

static void parse_query(const uint8_t *p, const uint8_t *end, FuzzQuery *fq)
{
	memset(fq, 0, sizeof(*fq));
	if (p < end)
		p++; /* flags */
	p = take_string(p, end, fq->unit, sizeof(fq->unit), &fq->q.unit);
	p = take_string(p, end, fq->comm, sizeof(fq->comm), &fq->q.comm);
	if (p < end) {
		fq->q.family = *p == 1 ? AF_INET : *p == 2 ? AF_INET6 : *p;
		p++;
	}
	if (end - p >= 16) {
		memcpy(fq->addr, p, 16);
		fq->q.remote_addr = fq->addr;
		p += 16;
	}
	if (end - p >= 2) {
		fq->q.remote_port = (guint16)(p[0] << 8 | p[1]);
		p += 2;
	}
	if (end - p >= 2)
		fq->q.local_port = (guint16)(p[0] << 8 | p[1]);
}

static void query_fixed(const LddConfig *config)
{
	static char long_unit[LDD_CONFIG_MAX_PATTERN_LEN + 1];
	guint8 v4[16] = { 10, 1, 2, 3 }, mapped[16], v6[16];
	const LddIgnoreQuery nothing = { 0 };
	gboolean any_rule = FALSE;
	const LddIgnoreQuery qs[] = {
		{ "sshd.service", "sshd", AF_INET, v4, 22, 51234 },
		{ "app-gnome-org.gnome.Terminal-1234.scope", "gnome-terminal-", AF_INET6, mapped, 443, 40000 },
		{ "systemd-resolved.service", "systemd-resolve", AF_INET6, v6, 53, 0 },
		{ long_unit, "aaaaaaaaaaaaaaa", AF_INET, v4, 65535, 1 },
		{ "", "", 0, NULL, 0, 0 },
	};

	if (!long_unit[0]) {
		memset(long_unit, 'a', LDD_CONFIG_MAX_PATTERN_LEN - strlen(".service"));
		strcat(long_unit, ".service");
	}
	inet_pton(AF_INET6, "::ffff:192.0.2.1", mapped);
	inet_pton(AF_INET6, "2001:db8::1", v6);

	/* "An unknown field matches no rule of its kind" */
	FUZZ_CHECK(!ldd_config_ignores(config, &nothing), "a query that knows nothing was ignored");
	FUZZ_CHECK(!ldd_config_ignores(config, &qs[G_N_ELEMENTS(qs) - 1]), "a query of empty strings was ignored");
	for (int k = LDD_IGNORE_UNIT; k <= LDD_IGNORE_PORT; k++)
		any_rule |= ldd_config_count_ignores(config, (LddIgnoreKind)k) > 0;
	for (size_t i = 0; i < G_N_ELEMENTS(qs); i++) {
		gboolean r = ldd_config_ignores(config, &qs[i]);

		FUZZ_CHECK(!r || any_rule, "ignored without a rule");
	}
}

/* Summary -> key file: "K=V K=V; ignoring Units=a,b Ports=1-2" (or "nothing"). */
static char *summary_to_key_file(const char *summary)
{
	const char *sep = strstr(summary, "; ignoring");
	g_autofree char *daemon = NULL;
	g_auto(GStrv) dkeys = NULL, ikeys = NULL;
	GString *kf = g_string_new("[Daemon]\n");

	FUZZ_CHECK(sep, "summary without \"; ignoring\": %s", summary);
	daemon = g_strndup(summary, (gsize)(sep - summary));
	dkeys = g_strsplit(daemon, " ", -1);
	for (char **k = dkeys; *k; k++)
		if (**k)
			g_string_append_printf(kf, "%s\n", *k);
	sep += strlen("; ignoring");
	if (g_str_equal(sep, " nothing"))
		return g_string_free(kf, FALSE);
	g_string_append(kf, "[Ignore]\n");
	ikeys = g_strsplit(sep, " ", -1);
	for (char **k = ikeys; *k; k++) {
		if (!**k)
			continue;
		for (const char *c = *k; *c; c++) {
			if (*c == '\\')
				g_string_append(kf, "\\\\");
			else if (*c == ',')
				g_string_append_c(kf, ';');
			else
				g_string_append_c(kf, *c);
		}
		g_string_append_c(kf, '\n');
	}
	return g_string_free(kf, FALSE);
}

static void check_summary(const LddConfig *config)
{
	g_autofree char *summary = ldd_config_describe(config);
	g_autofree char *again_summary = NULL;
	g_autofree char *kf = NULL;
	g_autoptr(LddConfig) again = NULL;

	FUZZ_CHECK(summary && fuzz_text_clean(summary), "summary not clean text");
	/* Comms= patterns may hold ' ', ',' and "Ports=": the summary is not
	 * parseable back then; nor can one key hold more than the maximum */
	if (ldd_config_count_ignores(config, LDD_IGNORE_COMM) > 0)
		return;
	for (int k = LDD_IGNORE_UNIT; k <= LDD_IGNORE_PORT; k++)
		if (ldd_config_count_ignores(config, (LddIgnoreKind)k) > LDD_CONFIG_MAX_PATTERNS)
			return;
	kf = summary_to_key_file(summary);
	put_file(kf, strlen(kf));
	again = load();
	FUZZ_CHECK(again, "summary \"%s\" as a key file does not load:\n%s", summary, kf);
	again_summary = ldd_config_describe(again);
	FUZZ_CHECK(g_str_equal(summary, again_summary), "summary \"%s\" loads back as \"%s\"", summary,
		   again_summary);
	for (int k = LDD_IGNORE_UNIT; k <= LDD_IGNORE_PORT; k++)
		FUZZ_CHECK(ldd_config_count_ignores(config, (LddIgnoreKind)k) ==
				   ldd_config_count_ignores(again, (LddIgnoreKind)k),
			   "kind %d: count changed by a round trip", k);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	g_autoptr(GError) error = NULL;
	LddConfig *c;

	fuzz_glib_init();
	/* GLib 2.74's g_key_file_parse_value_as_string() sets its error twice
	 * for an invalid escape followed by a '\' at the end of the value
	 * ("a\q\"); newer GLib clears it first.  Not ours: counted, not fatal. */
	fuzz_tolerate_warning("The overwriting error message was: Key file contains escape character at end of line");
	memfd = memfd_create("leco-fuzz-config", MFD_CLOEXEC);
	FUZZ_CHECK(memfd >= 0, "memfd_create: %s", g_strerror(errno));
	g_snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);

	/* the paths around the parser, once */
	c = ldd_config_load(NULL, FALSE, &error);
	FUZZ_CHECK(c && !error, "NULL path");
	check_ranges(c);
	ldd_config_free(c);
	c = ldd_config_load("/nonexistent/leco-fuzz.conf", TRUE, &error);
	FUZZ_CHECK(c && !error, "missing_ok");
	ldd_config_free(c);
	c = ldd_config_load("/", FALSE, &error);
	FUZZ_CHECK(!c && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE), "a directory");
	g_clear_error(&error);
	/* the size limit: a file of exactly the limit is read, one byte more is not */
	{
		g_autofree char *big = g_malloc(LDD_CONFIG_MAX_FILE_SIZE + 1);

		memset(big, '#', LDD_CONFIG_MAX_FILE_SIZE + 1);
		big[LDD_CONFIG_MAX_FILE_SIZE - 1] = '\n';
		put_file(big, LDD_CONFIG_MAX_FILE_SIZE);
		c = load();
		FUZZ_CHECK(c, "a comment of %d bytes", LDD_CONFIG_MAX_FILE_SIZE);
		ldd_config_free(c);
		put_file(big, LDD_CONFIG_MAX_FILE_SIZE + 1);
		c = ldd_config_load(memfd_path, FALSE, &error);
		FUZZ_CHECK(!c && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA), "a file past the limit");
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t file_len = nul ? (size_t)(nul - data) : size;
	g_autoptr(LddConfig) config = NULL;
	FuzzQuery fq;

	if (nul && nul + 1 < data + size && nul[1] == 'N')
		file_len = size;
	put_file(data, file_len);
	config = load();
	if (config)
		FUZZ_CHECK_KNOWN("repeated-key", !has_repeated_key(data, file_len),
				 "a repeated key was accepted (its first value is lost)");
	if (!config)
		return 0;

	check_ranges(config);
	query_fixed(config);
	if (nul) {
		parse_query(nul + 1, data + size, &fq);
		ldd_config_ignores(config, &fq.q);
	}
	check_summary(config);
	return 0;
}
