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
		"      --fdstore          hand the fds to systemd's fd store instead of pinning\n"
		"                         (for ExecStartPre=+ with NotifyAccess=all)\n"
		"  -u, --unload           remove everything a load made in DIR\n"
		"  -c, --check            print which hooks this kernel supports; load nothing\n"
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
	snprintf(buf, len, "%s+%012llx/rb%u", LECO_VERSION, (unsigned long long)(h & 0xffffffffffffULL),
		 o->ringbuf_size);
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

		info.map.map_fd = bpf_map__fd(L->skel->maps.sockets);
		opts.link_info = &info;
		opts.link_info_len = sizeof(info);
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

static int do_check(void)
{
	int r = hooks_probe(false), missing_required = 0;

	if (r < 0)
		return fail(EXIT_NO_BTF, "cannot read kernel BTF (/sys/kernel/btf/vmlinux): %s; "
					 "a kernel with CONFIG_DEBUG_INFO_BTF=y is needed", strerror(-r));
	/* NAME is what the daemon's KernelHooks property says */
	printf("%-20s %-14s %-10s %-30s %s\n", "NAME", "PROGRAM", "KIND", "TARGET", "STATUS");
	for (int i = 0; i < LECO_HOOK_MAX; i++) {
		const struct hook *h = &leco_hooks[i];

		printf("%-20s %-14s %-10s %-30s %s%s%s%s\n", leco_hook_name(h->bit), h->prog,
		       hook_kind_name(h->kind), h->target,
		       h->available ? "ok" : "missing", h->required ? " (required)" : "",
		       h->available ? "" : ": ", h->why);
		if (h->required && !h->available)
			missing_required++;
	}
	if (missing_required)
		return fail(EXIT_ATTACH, "this kernel lacks %d required hook(s)", missing_required);
	return 0;
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
		if (leco_hooks[i].required && !leco_hooks[i].available)
			return fail(EXIT_ATTACH, "required hook %s missing: %s", leco_hooks[i].prog,
				    leco_hooks[i].why);

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

	L.skel = leco_bpf__open();
	if (!L.skel) {
		r = fail(EXIT_FAILURE_OTHER, "cannot open the BPF object: %m");
		goto out;
	}
	bpf_map__set_max_entries(L.skel->maps.events, o->ringbuf_size);
	/* routine events wake the reader once a quarter of the ring is used */
	L.skel->rodata->wakeup_watermark = o->ringbuf_size / 4;
	for (int i = 0; i < LECO_HOOK_MAX; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(L.skel->obj, leco_hooks[i].prog);

		if (p)
			bpf_program__set_autoload(p, leco_hooks[i].available);
	}
	r = leco_bpf__load(L.skel);
	if (r) {
		if (r == -EPERM && !libbpf_last[0])
			r = fail(EXIT_NOT_PRIVILEGED, "the kernel refused to load BPF programs (EPERM): "
						      "needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN");
		else
			r = fail(EXIT_VERIFIER, "the kernel rejected the programs: %s%s",
				 libbpf_last[0] ? libbpf_last : strerror(-r),
				 verbose ? "" : " (--verbose shows the verifier log)");
		goto out;
	}

	for (int i = 0; i < LECO_HOOK_MAX; i++) {
		struct hook *h = &leco_hooks[i];

		if (!h->available)
			continue;
		r = attach_hook(&L, h, cgroup_fd);
		if (r < 0 && h->required) {
			r = fail(r == -EPERM ? EXIT_NOT_PRIVILEGED : EXIT_ATTACH, "cannot attach %s (%s): %s",
				 h->prog, h->target, strerror(-r));
			goto out;
		}
		if (r < 0)
			fprintf(stderr, "leco-ebpf-load: optional hook %s (%s) not attached: %s, ignoring\n",
				h->prog, h->target, strerror(-r));
	}

	meta.abi_version = LECO_ABI_VERSION;
	meta.hooks = L.hooks;
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
		printf("leco-ebpf-load: loaded %s with %d of %d hooks %s %s\n", id, n, LECO_HOOK_MAX,
		       o->fdstore ? "into" : "in", o->fdstore ? "the systemd fd store" : o->pin_dir);
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
		return do_check();
	if (o.unload)
		return do_unload(&o);
	return do_load(&o);
}
