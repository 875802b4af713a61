/* systemd's readiness protocol (sd_notify) without libsystemd: under a
 * unit with Type=notify, systemd waits for READY=1 before it counts
 * managerd as started, so units ordered after it find it listening. */
#ifndef MGR_MANAGER_NOTIFY_H
#define MGR_MANAGER_NOTIFY_H

/* Sends state ("READY=1", "STOPPING=1") to $NOTIFY_SOCKET when it is set
 * (a socket path, or '@' then an abstract name); nothing otherwise. 0, or
 * -1 after a log line (managerd goes on: the state is a courtesy). */
int notify_state(const char *state);

#endif
