// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bpfnoop: load and attach the reference programs of bpfnoop.bpf.c and keep
 * them attached until SIGTERM/SIGINT or MAXSECS.
 *
 *   bpfnoop OBJECT [-T MAXSECS] [-c CGROUP2_DIR]
 *
 * Cgroup programs are attached to CGROUP2_DIR (needed when OBJECT has any).
 * Prints one "id=N name=NAME" line per attached program, then "ready".
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[16] = {};
	struct bpf_object *obj;
	struct bpf_program *p;
	int max_secs = 600, n = 0, err = 1, opt, i, cgfd = -1;

	while ((opt = getopt(argc, argv, "T:c:")) != -1) {
		if (opt == 'T') {
			max_secs = atoi(optarg);
		} else if (opt == 'c') {
			cgfd = open(optarg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (cgfd < 0) {
				perror(optarg);
				return 1;
			}
		} else {
			goto usage;
		}
	}
	if (optind != argc - 1 || max_secs < 1)
		goto usage;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	obj = bpf_object__open_file(argv[optind], NULL);
	if (!obj) {
		fprintf(stderr, "bpfnoop: cannot open \"%s\"\n", argv[optind]);
		return 1;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "bpfnoop: cannot load \"%s\"\n", argv[optind]);
		goto out;
	}
	bpf_object__for_each_program(p, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (n == (int)(sizeof(links) / sizeof(links[0])))
			break;
		if (bpf_program__type(p) == BPF_PROG_TYPE_CGROUP_SOCK_ADDR ||
		    bpf_program__type(p) == BPF_PROG_TYPE_CGROUP_SOCK)
			links[n] = cgfd >= 0 ? bpf_program__attach_cgroup(p, cgfd) : NULL;
		else
			links[n] = bpf_program__attach(p);
		if (!links[n]) {
			fprintf(stderr, "bpfnoop: cannot attach \"%s\"\n", bpf_program__name(p));
			goto out;
		}
		n++;
		if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0)
			printf("id=%u name=%s\n", info.id, bpf_program__name(p));
	}
	printf("ready\n");
	fflush(stdout);
	for (i = 0; !stop && i < max_secs * 10; i++)
		usleep(100000);
	err = 0;
out:
	for (i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return err;
usage:
	fprintf(stderr, "usage: bpfnoop OBJECT [-T MAXSECS] [-c CGROUP2_DIR]\n");
	return 2;
}
