/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * leco-test-deny CGROUP egress|connect: attach a deny-all program to one
 * cgroup, print "attached", and hold it until SIGTERM (the link goes with
 * the process).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "deny.skel.h"

static void on_term(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[2] = {};
	struct deny_bpf *skel;
	int cg, r = 1;

	if (argc != 3 || (strcmp(argv[2], "egress") && strcmp(argv[2], "connect"))) {
		fprintf(stderr, "usage: leco-test-deny CGROUP_DIR egress|connect\n");
		return 2;
	}
	cg = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		fprintf(stderr, "leco-test-deny: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	skel = deny_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "leco-test-deny: load failed: %s\n", strerror(errno));
		return 1;
	}
	if (!strcmp(argv[2], "egress")) {
		links[0] = bpf_program__attach_cgroup(skel->progs.deny_egress, cg);
	} else {
		links[0] = bpf_program__attach_cgroup(skel->progs.deny_connect4, cg);
		links[1] = bpf_program__attach_cgroup(skel->progs.deny_connect6, cg);
		if (!links[1])
			goto out;
	}
	if (!links[0])
		goto out;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	printf("attached\n");
	fflush(stdout);
	pause();
	r = 0;
out:
	if (r)
		fprintf(stderr, "leco-test-deny: attach failed: %s\n", strerror(errno));
	bpf_link__destroy(links[0]);
	bpf_link__destroy(links[1]);
	deny_bpf__destroy(skel);
	close(cg);
	return r;
}
