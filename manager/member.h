/* managerd --cluster's part of managerd's start (member.c). */
#ifndef MGR_MANAGER_MEMBER_H
#define MGR_MANAGER_MEMBER_H

#include "options.h"
#include "server.h"

/* Whether the command line's cluster options go together (and with the
 * data directory's contents): -1 to go on, or the exit status after a
 * line on stderr. */
int member_check(const daemon_opts *o);
/* srv becomes a member serving nobody yet (before any listener): -1 to go
 * on, or the exit status after a line on stderr. argv is kept (what a
 * restart runs again). */
int member_open(server *srv, const daemon_opts *o, int argc, char **argv);
/* It takes part in the group, serving clients at bound (comma-separated)
 * when it leads, unless --advertise says otherwise: -1 or the exit
 * status. */
int member_start(server *srv, const daemon_opts *o, const char *bound);

#endif
