// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bpfnoop: load and attach the reference programs of bpfnoop.bpf.c and keep
 * them attached until SIGTERM/SIGINT or MAXSECS.
 *
 *   bpfnoop OBJECT [-T MAXSECS]
 *
 * Prints one "id=N name=NAME" line per attached program, then "ready".
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
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
	struct bpf_link *links[8] = {};
	struct bpf_object *obj;
	struct bpf_program *p;
	int max_secs = 600, n = 0, err = 1, opt, i;

	while ((opt = getopt(argc, argv, "T:")) != -1) {
		if (opt != 'T')
			goto usage;
		max_secs = atoi(optarg);
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
	fprintf(stderr, "usage: bpfnoop OBJECT [-T MAXSECS]\n");
	return 2;
}
