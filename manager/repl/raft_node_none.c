/* managerd built without cowsql/raft (CMake's MGR_RAFT found no libraft
 * 0.22): every member refuses to start, saying what to install. */
#include "raft_node.h"

#include <stdio.h>
#include <stdlib.h>

#include "mgr.h"

void *
raft_node_alloc(size_t n)
{
	return malloc(n);
}

void *
raft_node_realloc(void *p, size_t n)
{
	return realloc(p, n);
}

void
raft_node_free(void *p)
{
	free(p);
}

int
raft_node_start(raft_node **out, const raft_node_opts *o,
    const raft_node_ops *ops, char *why, size_t whycap)
{
	(void) o;
	(void) ops;
	*out = NULL;
	snprintf(why, whycap,
	    "this managerd was built without replication: install "
	    "libraft-dev 0.22 (bookworm-backports: tools/enable-backports, "
	    "then apt-get install -t bookworm-backports libraft-dev "
	    "libuv1-dev) and build again");
	return MGR_ESTATE;
}

void
raft_node_stop(raft_node *rn)
{
	(void) rn;
}

int
raft_node_submit(raft_node *rn, void *p, size_t n)
{
	(void) rn;
	(void) n;
	free(p);
	return MGR_ESTATE;
}

void
raft_node_barrier(raft_node *rn)
{
	(void) rn;
}

void
raft_node_figures_of(raft_node *rn, raft_node_figures *f)
{
	(void) rn;
	*f = (raft_node_figures) { .state = "unavailable" };
}

int
raft_node_change(
    raft_node *rn, uint64_t id, const char *addr, char *why, size_t whycap)
{
	(void) rn;
	(void) id;
	(void) addr;
	snprintf(why, whycap, "this managerd was built without libraft");
	return MGR_ESTATE;
}
