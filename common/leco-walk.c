/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leco-event.h"
#include "leco-walk.h"

size_t leco_walks_for(uint64_t hooks, enum leco_hook out[4])
{
	static const enum leco_hook fallback[] = { LECO_HOOK_ITER_TCP, LECO_HOOK_ITER_UDP, LECO_HOOK_ITER_TASK_FILE };
	size_t n = 0;

	if (hooks & (1ULL << LECO_HOOK_ITER_SOCKETS)) {
		out[n++] = LECO_HOOK_ITER_SOCKETS;
		return n;
	}
	for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++)
		if (hooks & (1ULL << fallback[i]))
			out[n++] = fallback[i];
	return n;
}

const char *leco_walk_program(enum leco_hook walk)
{
	switch (walk) {
	case LECO_HOOK_ITER_SOCKETS:
		return "dump_sockets";
	case LECO_HOOK_ITER_TCP:
		return "tcp_sockets";
	case LECO_HOOK_ITER_UDP:
		return "udp_sockets";
	case LECO_HOOK_ITER_TASK_FILE:
		return "task_sockets";
	default:
		return NULL;
	}
}

static int by_cookie(const void *a, const void *b)
{
	const struct leco_sock_rec *x = a, *y = b;

	return x->s.cookie < y->s.cookie ? -1 : x->s.cookie > y->s.cookie;
}

int leco_walk_read(const int *fds, size_t nfds, size_t max, struct leco_sock_rec **out, size_t *n,
		   uint64_t *malformed)
{
	struct leco_sock_rec *recs = NULL;
	size_t len = 0, cap = 0, k;
	int r = 0;

	for (size_t i = 0; i < nfds; i++) {
		unsigned char buf[sizeof(struct leco_sock_rec)];
		size_t have = 0;
		ssize_t got = 0;

		while (len < max && (got = read(fds[i], buf + have, sizeof(buf) - have)) > 0) {
			have += got;
			if (have < sizeof(buf))
				continue;
			have = 0;
			if (len == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				struct leco_sock_rec *p = realloc(recs, ncap * sizeof(*recs));

				if (!p) {
					r = r ?: -ENOMEM;
					break;
				}
				recs = p;
				cap = ncap;
			}
			if (leco_sock_rec_decode(buf, sizeof(buf), &recs[len], NULL, 0) == 0)
				len++;
			else if (malformed)
				(*malformed)++;
		}
		if (len < max && got < 0 && r == 0)
			r = -errno;
		close(fds[i]);
	}
	if (len > 1) {
		size_t kept = 1;

		qsort(recs, len, sizeof(*recs), by_cookie);
		for (k = 1; k < len; k++)
			if (recs[k].s.cookie != recs[kept - 1].s.cookie)
				recs[kept++] = recs[k];
		len = kept;
	}
	*out = recs;
	*n = len;
	return r;
}
