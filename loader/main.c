/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * leco-ebpf-load: load LECO's eBPF programs once, attach them, and keep them
 * alive after exit by pinning maps and links under a bpffs directory (or by
 * handing their fds to systemd's fd store).  Idempotent; --unload undoes it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "leco-event.h"
#include "leco-mount.h"
#include "loader.h"
#include "leco.skel.h"

LECO_ASSERT_ABI();

#define STR_(x) #x
#define STR(x) STR_(x)
#define PIN_SUFFIX "_v" STR(LECO_ABI_VERSION)
#define MAX_PINS 32

static bool verbose;
static char libbpf_last[512];

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (verbose)
		return vfprintf(stderr, fmt, ap);
	/* keep the last warning for a one-line error message */
	if (level == LIBBPF_WARN) {
		char buf[sizeof(libbpf_last)];
		size_t n;

		vsnprintf(buf, sizeof(buf), fmt, ap);
		n = strlen(buf);
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			buf[--n] = '\0';
		if (n && strncmp(buf, "libbpf: prog", 12) == 0)
			snprintf(libbpf_last, sizeof(libbpf_last), "%s", buf);
	}
	return 0;
}

static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("leco-ebpf-load: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: leco-ebpf-load [OPTIONS]\n"
		"Load LECO's eBPF hooks and keep them pinned (or in systemd's fd store).\n\n"
		"  -p, --pin DIR          pin directory on bpffs (default %s)\n"
		"  -g, --group NAME       give this group access: ring buffer read-write,\n"
		"                         other maps and the socket iterator read-only\n"
		"  -m, --mode MODE        octal mode of the ring buffer pin (default 0660 with\n"
		"                         --group, else 0600); read-only pins drop the write bits\n"
		"      --ringbuf-size N   ring buffer bytes, a power of two >= 4096 (default %u)\n"
		"      --cgroup PATH      cgroup2 root for the cgroup hooks (default: found)\n"
		"      --without HOOK     leave an optional hook out (repeatable; names as\n"
		"                         --check prints them, e.g. socket-iterator)\n"
		"      --fdstore          hand the fds to systemd's fd store instead of pinning\n"
		"                         (for ExecStartPre=+ with NotifyAccess=all)\n"
		"  -u, --unload           remove everything a load made in DIR\n"
		"  -c, --check            test-load each program and print which hooks this\n"
		"                         kernel supports, misses or refuses; attach nothing\n"
		"  -v, --verbose          show libbpf's log (the verifier log on rejection)\n"
		"  -V, --version          print the version\n"
		"  -h, --help             this help\n\n"
		"Exit status: 0 loaded or already loaded, 1 other error, 2 bad options,\n"
		"3 not privileged, 4 no kernel BTF, 5 no bpffs, 6 pin dir not on bpffs,\n"
		"7 no cgroup2 mount, 8 verifier rejection, 9 --fdstore outside systemd,\n"
		"10 a required hook could not be attached.\n",
		LECO_DEFAULT_PIN, LECO_DEFAULT_RINGBUF);
}

static bool have_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	uint64_t eff;

	if (syscall(SYS_capget, &hdr, data) < 0)
		return geteuid() == 0;
	eff = data[0].effective | ((uint64_t)data[1].effective << 32);
#define HAS(c) (eff & (1ULL << (c)))
	/* mounts, cgroup attach and chown need CAP_SYS_ADMIN in practice */
	return HAS(CAP_SYS_ADMIN) || (HAS(39 /* CAP_BPF */) && HAS(38 /* CAP_PERFMON */) &&
				      HAS(CAP_NET_ADMIN) && HAS(CAP_CHOWN));
#undef HAS
}

static int parse_opts(int argc, char **argv, struct loader_opts *o)
{
	static const struct option longopts[] = {
		{ "pin", required_argument, NULL, 'p' },
		{ "group", required_argument, NULL, 'g' },
		{ "mode", required_argument, NULL, 'm' },
		{ "ringbuf-size", required_argument, NULL, 'R' },
		{ "cgroup", required_argument, NULL, 'C' },
		{ "without", required_argument, NULL, 'W' },
		{ "fdstore", no_argument, NULL, 'F' },
		{ "unload", no_argument, NULL, 'u' },
		{ "check", no_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool mode_set = false;
	char *end;
	long v;
	int c;

	*o = (struct loader_opts){ .pin_dir = LECO_DEFAULT_PIN, .ringbuf_size = LECO_DEFAULT_RINGBUF };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:g:m:ucvVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (optarg[0] != '/' || strlen(optarg) >= PATH_MAX - 64)
				return fail(EXIT_BAD_OPTIONS, "--pin needs an absolute path, got \"%s\"", optarg);
			o->pin_dir = optarg;
			break;
		case 'g':
			o->group = optarg;
			break;
		case 'm':
			errno = 0;
			v = strtol(optarg, &end, 8);
			if (errno || *end || v < 0 || v > 0777 || (v & 0600) != 0600)
				return fail(EXIT_BAD_OPTIONS,
					    "--mode needs an octal mode with owner rw, like 0660, got \"%s\"", optarg);
			o->mode = v;
			mode_set = true;
			break;
		case 'R':
			errno = 0;
			v = strtol(optarg, &end, 0);
			if (errno || *end || v < 4096 || v > (1L << 30) || (v & (v - 1)))
				return fail(EXIT_BAD_OPTIONS,
					    "--ringbuf-size needs a power of two between 4096 and 1 GiB, got \"%s\"",
					    optarg);
			o->ringbuf_size = v;
			break;
		case 'C':
			o->cgroup_root = optarg;
			break;
		case 'W': {
			int h = leco_hook_from_name(optarg);

			for (int i = 0; h < 0 && i < LECO_HOOK_MAX; i++)
				if (strcmp(optarg, leco_hooks[i].prog) == 0)
					h = leco_hooks[i].bit;
			if (h < 0)
				return fail(EXIT_BAD_OPTIONS, "--without: no hook \"%s\" (leco-ebpf-load --check "
							      "lists them)", optarg);
			for (int i = 0; i < LECO_HOOK_MAX; i++)
				if (leco_hooks[i].bit == (enum leco_hook)h && leco_hooks[i].required)
					return fail(EXIT_BAD_OPTIONS, "--without: %s is required, it cannot be "
								      "left out", optarg);
			o->without |= 1ULL << h;
			break;
		}
		case 'F':
			o->fdstore = true;
			break;
		case 'u':
			o->unload = true;
			break;
		case 'c':
			o->check = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'V':
			printf("leco-ebpf-load %s (ABI %d)\n", LECO_VERSION, LECO_ABI_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			return fail(EXIT_BAD_OPTIONS, "option \"%s\" needs an argument (see --help)",
				    argv[optind - 1]);
		default:
			return fail(EXIT_BAD_OPTIONS, "unknown option \"%s\" (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(EXIT_BAD_OPTIONS, "unexpected argument \"%s\" (see --help)", argv[optind]);
	if (o->unload + o->check + o->fdstore > 1)
		return fail(EXIT_BAD_OPTIONS, "--unload, --check and --fdstore exclude each other");
	if (!mode_set)
		o->mode = o->group ? 0660 : 0600;
	return 0;
}

/* The idempotency key: this loader's version, the object's bytes, the tunables. */
static void build_id(const struct loader_opts *o, char *buf, size_t len)
{
	size_t sz = 0;
	const unsigned char *p = leco_bpf__elf_bytes(&sz);
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < sz; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	snprintf(buf, len, "%s+%012llx/rb%u/w%llx", LECO_VERSION, (unsigned long long)(h & 0xffffffffffffULL),
		 o->ringbuf_size, (unsigned long long)o->without);
}

static bool map_pinned(const struct bpf_map *m)
{
	/* internal maps (.rodata, .bss) stay private to the programs */
	return !bpf_map__is_internal(m);
}

static mode_t map_mode(const char *name, mode_t mode)
{
	if (strcmp(name, "events") == 0)
		return mode;
	if (strcmp(name, "sockets") == 0)
		return mode & 0400;
	return mode & 0440 & ~0222;
}

static int pin_name(char *buf, size_t len, const char *dir, const char *name, const char *what)
{
	int n = snprintf(buf, len, "%s/%s%s%s", dir, name, what, PIN_SUFFIX);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static const char *link_suffix(const struct hook *h)
{
	return h->kind == HOOK_ITER ? "_iter" : "_link";
}

/* Same build pinned and complete?  Then there is nothing to do. */
static bool already_loaded(const char *dir, const char *id)
{
	char path[PATH_MAX];
	struct leco_meta m = {};
	struct bpf_map *map;
	__u32 key = 0;
	bool ok = false;
	int fd;

	if (pin_name(path, sizeof(path), dir, "meta", ""))
		return false;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	if (bpf_map_lookup_elem(fd, &key, &m) < 0 || m.abi_version != LECO_ABI_VERSION ||
	    strncmp(m.build_id, id, sizeof(m.build_id)) != 0)
		goto out;
	for (int i = 0; i < LECO_HOOK_MAX; i++) {
		if (!(m.hooks & (1ULL << i)))
			continue;
		if (pin_name(path, sizeof(path), dir, leco_hooks[i].prog, link_suffix(&leco_hooks[i])) ||
		    access(path, F_OK) < 0)
			goto out;
	}
	ok = true;
	{
		/* every map pin as well */
		struct leco_bpf *s = leco_bpf__open();

		if (!s)
			goto out;
		bpf_object__for_each_map(map, s->obj) {
			if (!map_pinned(map))
				continue;
			if (pin_name(path, sizeof(path), dir, bpf_map__name(map), "") || access(path, F_OK) < 0)
				ok = false;
		}
		leco_bpf__destroy(s);
	}
out:
	close(fd);
	return ok;
}

struct pinned {
	char name[64];
	int fd;
	mode_t mode;
};

struct load {
	struct leco_bpf *skel;
	struct bpf_link *links[LECO_HOOK_MAX];
	struct pinned objs[MAX_PINS];
	int n_objs;
	uint64_t hooks;
};

static int attach_hook(struct load *L, struct hook *h, int cgroup_fd)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(L->skel->obj, h->prog);
	struct bpf_link *link;

	if (!prog)
		return -ENOENT;
	switch (h->kind) {
	case HOOK_CGROUP:
		link = bpf_program__attach_cgroup(prog, cgroup_fd);
		break;
	case HOOK_ITER: {
		union bpf_iter_link_info info = {};
		DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);

		if (h->bit == LECO_HOOK_ITER_SOCKETS) {
			info.map.map_fd = bpf_map__fd(L->skel->maps.sockets);
			opts.link_info = &info;
			opts.link_info_len = sizeof(info);
		}
		link = bpf_program__attach_iter(prog, &opts);
		break;
	}
	default:
		link = bpf_program__attach(prog);
		break;
	}
	if (!link)
		return -errno;
	L->links[h->bit] = link;
	L->hooks |= 1ULL << h->bit;
	return 0;
}

static int add_obj(struct load *L, const char *name, const char *what, int fd, mode_t mode)
{
	struct pinned *p;

	if (L->n_objs >= MAX_PINS)
		return -E2BIG;
	p = &L->objs[L->n_objs++];
	snprintf(p->name, sizeof(p->name), "%s%s%s", name, what, PIN_SUFFIX);
	p->fd = fd;
	p->mode = mode;
	return 0;
}

/* Pin into a staging dir, then rename each pin over the old one: readers see
 * either the old or the new object, never a half-loaded set. */
static int pin_all(struct load *L, const struct loader_opts *o, gid_t gid)
{
	char staging[PATH_MAX], from[PATH_MAX + 128], to[PATH_MAX + 128];
	bool have_group = o->group != NULL;
	int r;

	if (mkdir(o->pin_dir, have_group ? 0750 : 0700) < 0 && errno != EEXIST)
		return fail(EXIT_FAILURE_OTHER, "cannot create \"%s\": %m", o->pin_dir);
	r = set_pin_access(o->pin_dir, gid, have_group, have_group ? 0750 : 0700);
	if (r < 0)
		return fail(EXIT_FAILURE_OTHER, "cannot set owner/mode of \"%s\": %s", o->pin_dir, strerror(-r));
	snprintf(staging, sizeof(staging), "%s/staging-%d", o->pin_dir, (int)getpid());
	if (mkdir(staging, 0700) < 0)
		return fail(EXIT_FAILURE_OTHER, "cannot create \"%s\": %m", staging);

	for (int i = 0; i < L->n_objs; i++) {
		snprintf(from, sizeof(from), "%s/%s", staging, L->objs[i].name);
		if (bpf_obj_pin(L->objs[i].fd, from) < 0) {
			r = fail(EXIT_FAILURE_OTHER, "cannot pin \"%s\": %m", from);
			goto undo;
		}
		r = set_pin_access(from, gid, have_group, L->objs[i].mode);
		if (r < 0) {
			r = fail(EXIT_FAILURE_OTHER, "cannot set owner/mode of \"%s\": %s", from, strerror(-r));
			goto undo;
		}
	}
	for (int i = 0; i < L->n_objs; i++) {
		snprintf(from, sizeof(from), "%s/%s", staging, L->objs[i].name);
		snprintf(to, sizeof(to), "%s/%s", o->pin_dir, L->objs[i].name);
		if (rename(from, to) < 0) {
			r = fail(EXIT_FAILURE_OTHER, "cannot move pin into place \"%s\": %m", to);
			goto undo;
		}
	}
	rmdir(staging);

	/* drop whatever the new set does not have: other versions, lost hooks */
	{
		DIR *d = opendir(o->pin_dir);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			bool ours = false;
			size_t n = strlen(de->d_name), k = strlen(PIN_SUFFIX);

			if (n <= k || strcmp(de->d_name + n - k, PIN_SUFFIX) != 0)
				continue;
			for (int i = 0; i < L->n_objs && !ours; i++)
				ours = strcmp(L->objs[i].name, de->d_name) == 0;
			if (!ours) {
				snprintf(to, sizeof(to), "%s/%s", o->pin_dir, de->d_name);
				unlink(to);
			}
		}
		if (d)
			closedir(d);
	}
	return remove_leco_pins(o->pin_dir, PIN_SUFFIX) < 0 ? EXIT_FAILURE_OTHER : 0;
undo:
	remove_leco_pins(staging, NULL);
	rmdir(staging);
	return r;
}

static int fdstore_all(struct load *L)
{
	char msg[NAME_MAX + 64];
	int r;

	for (int i = 0; i < L->n_objs; i++) {
		/* replace what an earlier start stored under the same name */
		snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", L->objs[i].name);
		sd_pid_notify(0, 0, msg);
		snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", L->objs[i].name);
		r = sd_pid_notify_with_fds(0, 0, msg, &L->objs[i].fd, 1);
		if (r <= 0)
			return fail(EXIT_NO_SYSTEMD, "systemd did not take fd \"%s\" (%s): is NotifyAccess=all "
						     "and FileDescriptorStoreMax= set in the unit?",
				    L->objs[i].name, r < 0 ? strerror(-r) : "no notify socket");
	}
	return 0;
}

/* The skeleton opened for loading: every hook still wanted, or (only >= 0)
 * that one program alone, for a test load. */
static struct leco_bpf *open_skel(const struct loader_opts *o, int only)
{
	struct leco_bpf *s = leco_bpf__open();

	if (!s)
		return NULL;
	bpf_map__set_max_entries(s->maps.events, only >= 0 ? 4096 : o->ringbuf_size);
	/* routine events wake the reader once a quarter of the ring is used */
	s->rodata->wakeup_watermark = o->ringbuf_size / 4;
	for (int i = 0; i < LECO_HOOK_MAX; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(s->obj, leco_hooks[i].prog);

		if (p)
			bpf_program__set_autoload(p, only >= 0 ? i == only : hook_wanted(&leco_hooks[i]));
	}
	return s;
}

/* Load hook I's program alone: 0, or the kernel's negative errno. */
static int test_load(const struct loader_opts *o, int i)
{
	struct leco_bpf *s = open_skel(o, i);
	int r;

	if (!s)
		return -errno;
	libbpf_last[0] = '\0';
	r = leco_bpf__load(s);
	leco_bpf__destroy(s);
	return r;
}

/* Leave out what --without names (a hook this kernel lacks stays "missing"). */
static void leave_out(const struct loader_opts *o)
{
	for (int i = 0; i < LECO_HOOK_MAX; i++) {
		struct hook *h = &leco_hooks[i];

		if (!(o->without & (1ULL << h->bit)) || !hook_wanted(h))
			continue;
		h->status = LECO_HS_LEFT_OUT;
		snprintf(h->why, sizeof(h->why), "left out (--without %s)", leco_hook_name(h->bit));
	}
}

static int do_check(const struct loader_opts *o)
{
	enum leco_lockdown lockdown = read_lockdown();
	int r = hooks_probe(false), missing_required = 0, refused_required = 0;

	if (r < 0)
		return fail(EXIT_NO_BTF, "cannot read kernel BTF (/sys/kernel/btf/vmlinux): %s; "
					 "a kernel with CONFIG_DEBUG_INFO_BTF=y is needed", strerror(-r));
	leave_out(o);
	/* what the kernel says, not what its BTF names: load each program */
	for (int i = 0; i < LECO_HOOK_MAX; i++) {
		if (!hook_wanted(&leco_hooks[i]))
			continue;
		r = test_load(o, i);
		if (r)
			hook_refused(&leco_hooks[i], LECO_HS_REFUSED_LOAD, -r, lockdown);
	}
	/* NAME is what the daemon's KernelHooks property says */
	printf("%-20s %-14s %-10s %-30s %s\n", "NAME", "PROGRAM", "KIND", "TARGET", "STATUS");
	for (int i = 0; i < LECO_HOOK_MAX; i++) {
		const struct hook *h = &leco_hooks[i];
		const char *what = h->status == LECO_HS_MISSING ? "missing: " : "";

		printf("%-20s %-14s %-10s %-30s %s%s%s\n", leco_hook_name(h->bit), h->prog,
		       hook_kind_name(h->kind), h->target, hook_wanted(h) ? "ok" : what,
		       hook_wanted(h) ? "" : h->why, h->required ? " (required)" : "");
		if (h->required && h->status == LECO_HS_MISSING)
			missing_required++;
		if (h->required && h->status == LECO_HS_REFUSED_LOAD)
			refused_required++;
	}
	printf("kernel lockdown: %s\n", leco_lockdown_name(lockdown));
	{
		const struct leco_loss *lost[16];
		uint64_t hooks = 0;
		size_t n;

		for (int i = 0; i < LECO_HOOK_MAX; i++)
			if (hook_wanted(&leco_hooks[i]))
				hooks |= 1ULL << leco_hooks[i].bit;
		n = leco_lost_features(hooks, lost, 16);
		if (n == 0)
			printf("lost: nothing\n");
		for (size_t k = 0; k < n && k < 16; k++)
			printf("lost: %s\n", lost[k]->what);
	}
	if (missing_required)
		return fail(EXIT_ATTACH, "this kernel lacks %d required hook(s)", missing_required);
	if (refused_required)
		return fail(EXIT_VERIFIER, "the kernel refuses %d required hook(s)", refused_required);
	return 0;
}

/*
 * Load every hook still wanted.  libbpf loads an object all or nothing, so
 * when the kernel refuses the set, each program is loaded alone to find the
 * ones it refuses; those optional ones are left out and the rest loaded
 * again.  A refused required hook fails the load.
 */
static int load_programs(struct load *L, const struct loader_opts *o, enum leco_lockdown lockdown)
{
	char first[sizeof(libbpf_last)];
	int r, refused = 0;

	L->skel = open_skel(o, -1);
	if (!L->skel)
		return fail(EXIT_FAILURE_OTHER, "cannot open the BPF object: %m");
	libbpf_last[0] = '\0';
	r = leco_bpf__load(L->skel);
	if (r == 0)
		return 0;
	if (r == -EPERM && !libbpf_last[0])
		return fail(EXIT_NOT_PRIVILEGED, "the kernel refused to load BPF programs (EPERM): "
						 "needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN");
	snprintf(first, sizeof(first), "%s", libbpf_last[0] ? libbpf_last : strerror(-r));
	leco_bpf__destroy(L->skel);
	L->skel = NULL;

	for (int i = 0; i < LECO_HOOK_MAX; i++) {
		struct hook *h = &leco_hooks[i];

		if (!hook_wanted(h))
			continue;
		r = test_load(o, i);
		if (r == 0)
			continue;
		hook_refused(h, LECO_HS_REFUSED_LOAD, -r, lockdown);
		if (h->required)
			return fail(r == -EPERM ? EXIT_NOT_PRIVILEGED : EXIT_VERIFIER,
				    "the kernel refused the required hook %s (%s/%s): %s%s%s", leco_hook_name(h->bit),
				    hook_kind_name(h->kind), h->target, h->why + strlen("refused by the kernel: "),
				    libbpf_last[0] ? "; " : "", verbose ? "" : " (--verbose shows the verifier log)");
		fprintf(stderr, "leco-ebpf-load: optional hook %s (%s/%s) %s; loading without it\n",
			leco_hook_name(h->bit), hook_kind_name(h->kind), h->target, h->why);
		refused++;
	}
	if (!refused)
		return fail(EXIT_VERIFIER, "the kernel rejected the programs: %s%s", first,
			    verbose ? "" : " (--verbose shows the verifier log)");
	L->skel = open_skel(o, -1);
	if (!L->skel)
		return fail(EXIT_FAILURE_OTHER, "cannot open the BPF object: %m");
	libbpf_last[0] = '\0';
	r = leco_bpf__load(L->skel);
	if (r)
		return fail(EXIT_VERIFIER, "the kernel rejected the programs: %s%s",
			    libbpf_last[0] ? libbpf_last : strerror(-r),
			    verbose ? "" : " (--verbose shows the verifier log)");
	return 0;
}

/* Read each socket walk once, to the end: sockets open before this load get
 * their storage now (with their process, where the task walk loads), so
 * their counters, their close and their accepted children are seen. */
static unsigned adopt_sockets(struct load *L)
{
	/* the task walk finds the processes, the second tcp/udp pass keeps
	 * them in the sockets' storage */
	static const enum leco_hook walks[] = { LECO_HOOK_ITER_TCP, LECO_HOOK_ITER_UDP, LECO_HOOK_ITER_TASK_FILE,
						LECO_HOOK_ITER_TCP, LECO_HOOK_ITER_UDP };
	__u32 key = LECO_STAT_ADOPTED;
	int ncpus = libbpf_num_possible_cpus();
	unsigned adopted = 0;
	char buf[4096];

	for (size_t k = 0; k < sizeof(walks) / sizeof(walks[0]); k++) {
		struct bpf_link *link = L->links[walks[k]];
		int fd;

		if (!link)
			continue;
		fd = bpf_iter_create(bpf_link__fd(link));
		if (fd < 0) {
			fprintf(stderr, "leco-ebpf-load: cannot walk sockets with %s: %m, ignoring\n",
				leco_hook_name(walks[k]));
			continue;
		}
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	if (ncpus > 0) {
		__u64 v[ncpus];

		if (bpf_map_lookup_elem(bpf_map__fd(L->skel->maps.stats), &key, v) == 0)
			for (int c = 0; c < ncpus; c++)
				adopted += v[c];
	}
	return adopted;
}

static int do_unload(const struct loader_opts *o)
{
	int r;

	if (access(o->pin_dir, F_OK) < 0) {
		printf("leco-ebpf-load: nothing loaded in %s\n", o->pin_dir);
		return 0;
	}
	if (pin_dir_is_bpffs(o->pin_dir) != 1)
		return fail(EXIT_NOT_BPFFS, "\"%s\" is not on a bpf filesystem", o->pin_dir);
	r = remove_leco_pins(o->pin_dir, NULL);
	if (r < 0)
		return fail(EXIT_FAILURE_OTHER, "cannot remove pins in \"%s\": %s", o->pin_dir, strerror(-r));
	if (rmdir(o->pin_dir) < 0 && errno != ENOTEMPTY && errno != EEXIST)
		return fail(EXIT_FAILURE_OTHER, "cannot remove \"%s\": %m", o->pin_dir);
	printf("leco-ebpf-load: unloaded %s\n", o->pin_dir);
	return 0;
}

static int do_load(const struct loader_opts *o)
{
	char cgroot[PATH_MAX], id[sizeof(((struct leco_meta *)0)->build_id)];
	struct load L = {};
	struct leco_meta meta = {};
	struct bpf_map *map;
	struct timespec ts;
	enum leco_lockdown lockdown;
	unsigned adopted;
	gid_t gid = 0;
	bool mounted;
	int cgroup_fd = -1, r;
	__u32 key = 0;

	/* LECO_BTF_PATH: where to look for the kernel's BTF (tests use it) */
	const char *btf = getenv("LECO_BTF_PATH") ?: "/sys/kernel/btf/vmlinux";

	if (access(btf, R_OK) < 0)
		return fail(EXIT_NO_BTF, "kernel BTF (%s) missing: a kernel with CONFIG_DEBUG_INFO_BTF=y "
					 "is needed", btf);
	if (o->group) {
		struct group *g = getgrnam(o->group);

		if (!g)
			return fail(EXIT_BAD_OPTIONS, "no such group \"%s\"", o->group);
		gid = g->gr_gid;
	}
	if (o->cgroup_root) {
		snprintf(cgroot, sizeof(cgroot), "%s", o->cgroup_root);
	} else if (leco_find_mount(NULL, "cgroup2", cgroot, sizeof(cgroot)) < 0) {
		return fail(EXIT_NO_CGROUP2, "no cgroup2 filesystem mounted (need the unified or hybrid "
					     "cgroup layout, or --cgroup PATH)");
	}
	if (o->fdstore) {
		if (!getenv("NOTIFY_SOCKET"))
			return fail(EXIT_NO_SYSTEMD, "--fdstore needs to run under systemd (no $NOTIFY_SOCKET)");
	} else {
		r = ensure_bpffs(o->pin_dir, &mounted);
		if (r < 0)
			return fail(EXIT_NO_BPFFS, "no bpf filesystem at /sys/fs/bpf and mounting one failed: %s",
				    strerror(-r));
		if (pin_dir_is_bpffs(o->pin_dir) != 1)
			return fail(EXIT_NOT_BPFFS, "\"%s\" is not on a bpf filesystem (mount -t bpf bpf DIR)",
				    o->pin_dir);
	}

	r = hooks_probe(o->verbose);
	if (r < 0)
		return fail(EXIT_NO_BTF, "cannot read kernel BTF: %s", strerror(-r));
	for (int i = 0; i < LECO_HOOK_MAX; i++)
		if (leco_hooks[i].required && !hook_wanted(&leco_hooks[i]))
			return fail(EXIT_ATTACH, "required hook %s missing: %s", leco_hooks[i].prog,
				    leco_hooks[i].why);
	leave_out(o);

	build_id(o, id, sizeof(id));
	if (!o->fdstore && already_loaded(o->pin_dir, id)) {
		printf("leco-ebpf-load: %s already loaded in %s, nothing to do\n", id, o->pin_dir);
		return 0;
	}

	cgroup_fd = open(cgroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgroup_fd < 0)
		return fail(EXIT_NO_CGROUP2, "cannot open cgroup2 root \"%s\": %m", cgroot);
	/* a cgroup2 mount listed in mountinfo but covered by another mount,
	 * or a --cgroup that is not one: say so now, not as an attach failure
	 * after loading */
	if (!leco_fd_on_fs(cgroup_fd, CGROUP2_SUPER_MAGIC)) {
		close(cgroup_fd);
		return fail(EXIT_NO_CGROUP2, "\"%s\" is not a cgroup2 filesystem%s", cgroot,
			    o->cgroup_root ? "" : " (another mount hides it)");
	}

	lockdown = read_lockdown();
	r = load_programs(&L, o, lockdown);
	if (r)
		goto out;

	for (int i = 0; i < LECO_HOOK_MAX; i++) {
		struct hook *h = &leco_hooks[i];

		if (!hook_wanted(h))
			continue;
		r = attach_hook(&L, h, cgroup_fd);
		if (r < 0 && h->required) {
			r = fail(r == -EPERM ? EXIT_NOT_PRIVILEGED : EXIT_ATTACH, "cannot attach %s (%s): %s",
				 h->prog, h->target, strerror(-r));
			goto out;
		}
		if (r < 0) {
			hook_refused(h, LECO_HS_REFUSED_ATTACH, -r, lockdown);
			fprintf(stderr, "leco-ebpf-load: optional hook %s (%s/%s) %s; loading without it\n",
				leco_hook_name(h->bit), hook_kind_name(h->kind), h->target, h->why);
		}
	}
	r = 0;
	/* the task walk leaves TCP and UDP of the reader's namespace to these */
	L.skel->bss->tcp_udp_walks = L.links[LECO_HOOK_ITER_TCP] && L.links[LECO_HOOK_ITER_UDP];
	/* nothing would fold a closing datagram socket's counters into its
	 * cgroup's: count them there call by call */
	L.skel->bss->fold_each_call = !L.links[LECO_HOOK_CG_SOCK_RELEASE];
	adopted = adopt_sockets(&L);

	meta.abi_version = LECO_ABI_VERSION;
	meta.hooks = L.hooks;
	meta.lockdown = lockdown;
	for (int i = 0; i < LECO_HOOK_MAX; i++) {
		meta.hook_status[leco_hooks[i].bit] = leco_hooks[i].status;
		meta.hook_errno[leco_hooks[i].bit] = leco_hooks[i].err;
	}
	clock_gettime(CLOCK_BOOTTIME, &ts);
	meta.load_time_ns = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	snprintf(meta.build_id, sizeof(meta.build_id), "%s", id);
	if (bpf_map_update_elem(bpf_map__fd(L.skel->maps.meta), &key, &meta, BPF_ANY) < 0) {
		r = fail(EXIT_FAILURE_OTHER, "cannot write the meta map: %m");
		goto out;
	}

	bpf_object__for_each_map(map, L.skel->obj) {
		if (map_pinned(map))
			add_obj(&L, bpf_map__name(map), "", bpf_map__fd(map), map_mode(bpf_map__name(map), o->mode));
	}
	for (int i = 0; i < LECO_HOOK_MAX; i++) {
		if (!L.links[i])
			continue;
		add_obj(&L, leco_hooks[i].prog, link_suffix(&leco_hooks[i]), bpf_link__fd(L.links[i]),
			leco_hooks[i].kind == HOOK_ITER ? (o->mode & 0440 & ~0222) : 0400);
	}
	r = o->fdstore ? fdstore_all(&L) : pin_all(&L, o, gid);
	if (r == 0) {
		int n = 0;

		for (int i = 0; i < LECO_HOOK_MAX; i++)
			n += !!(L.hooks & (1ULL << i));
		printf("leco-ebpf-load: loaded %s with %d of %d hooks %s %s; %u sockets found open\n", id, n,
		       LECO_HOOK_MAX, o->fdstore ? "into" : "in", o->fdstore ? "the systemd fd store" : o->pin_dir,
		       adopted);
	}
out:
	/* pinned (or stored) objects outlive these fds */
	for (int i = 0; i < LECO_HOOK_MAX; i++)
		bpf_link__destroy(L.links[i]);
	leco_bpf__destroy(L.skel);
	if (cgroup_fd >= 0)
		close(cgroup_fd);
	return r;
}

int main(int argc, char **argv)
{
	struct loader_opts o;
	int r;

	r = parse_opts(argc, argv, &o);
	if (r)
		return r;
	verbose = o.verbose;
	libbpf_set_print(print_libbpf);

	if (!have_caps())
		return fail(EXIT_NOT_PRIVILEGED, "needs root (CAP_SYS_ADMIN, or CAP_BPF, CAP_PERFMON, "
						 "CAP_NET_ADMIN and CAP_CHOWN)%s",
			    o.check ? ": without, tracefs and program probes fail and --check would report "
				      "hooks missing that are there" : "");
	if (o.check)
		return do_check(&o);
	if (o.unload)
		return do_unload(&o);
	return do_load(&o);
}
