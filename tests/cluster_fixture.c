/* A cluster of managerds on loopback (cluster_fixture.h). */
#include "cluster_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
// cmocka's, after what it needs: the helpers that fail the test.
#include <setjmp.h>
#include <stddef.h>

#include <cmocka.h>

#include "harness.h"
#include "harness_int.h"

/* The cluster the running test made: c_teardown frees it even when an
 * assertion ended the test early (its namespaces and bridge, left
 * behind, would keep their subnet's route). */
static c_cluster *live;

/* Three ports for each member (clients, the group, metrics). */
#define C_PORTS (C_ALL * 3)

/* C_PORTS ports nobody listens on now, all different: each bound to 0,
 * let go only once all are chosen (one let go before the next is asked
 * may be given again). -1 for a port that could not be had. */
static void
free_ports(int out[C_PORTS])
{
	int fds[C_PORTS];
	for (int i = 0; i < C_PORTS; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a   = { .sin_family = AF_INET,
			  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t          len = sizeof(a);
		out[i]                 = -1;
		if (fds[i] >= 0
		    && bind(fds[i], (struct sockaddr *) &a, sizeof(a)) == 0
		    && getsockname(fds[i], (struct sockaddr *) &a, &len)
		        == 0) {
			out[i] = ntohs(a.sin_port);
		}
	}
	for (int i = 0; i < C_PORTS; i++) {
		if (fds[i] >= 0) {
			close(fds[i]);
		}
	}
}

/* A cluster's directory and key; members numbered, nothing else. */
static c_cluster *
cluster_base(const char *name, const char *const *extra)
{
	c_cluster  *c   = calloc(1, sizeof(*c));
	const char *tmp = getenv("TMPDIR");
	uint8_t     raw[32];
	if (c == NULL) {
		return NULL;
	}
	c->extra = extra;
	snprintf(c->dir, sizeof(c->dir), "%s/mgr-%s-XXXXXX",
	    tmp != NULL && tmp[0] != '\0' && strlen(tmp) < 80 ? tmp : "/tmp",
	    name);
	if (mkdtemp(c->dir) == NULL
	    || getrandom(raw, sizeof(raw), 0) != (ssize_t) sizeof(raw)) {
		h_log("cluster %s: %s", name, strerror(errno));
		free(c);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		snprintf(c->key + 2 * i, 3, "%02x", raw[i]);
	}
	snprintf(c->keyfile, sizeof(c->keyfile), "%s/authkey", c->dir);
	FILE *f = fopen(c->keyfile, "w");
	if (f == NULL) {
		free(c);
		return NULL;
	}
	fprintf(f, "%s\n", c->key);
	fclose(f);
	chmod(c->keyfile, 0600);
	for (int i = 0; i < C_ALL; i++) {
		c_member *m = &c->m[i];
		m->id       = i + 1;
		snprintf(
		    m->data, sizeof(m->data), "%s/node%d", c->dir, m->id);
		snprintf(
		    m->log, sizeof(m->log), "%s/node%d.log", c->dir, m->id);
	}
	return c;
}

/* The clients' URLs and --cluster's list, from the members' addresses. */
static void
make_lists(c_cluster *c)
{
	size_t ul = 0, ml = 0;
	for (int i = 0; i < C_ALL; i++) {
		c_member *m = &c->m[i];
		snprintf(
		    m->url, sizeof(m->url), "tcp://%s:%d", m->ip, m->port);
		if (i == C_MEMBERS) { // the one to join later
			snprintf(c->joining, sizeof(c->joining),
			    "%s,%d=%s:%d", c->members, m->id, m->ip,
			    m->raft_port);
			break;
		}
		ul += (size_t) snprintf(c->urls + ul, sizeof(c->urls) - ul,
		    "%s%s", i ? "," : "", m->url);
		ml += (size_t) snprintf(c->members + ml,
		    sizeof(c->members) - ml, "%s%d=%s:%d", i ? "," : "",
		    m->id, m->ip, m->raft_port);
	}
}

c_cluster *
c_cluster_new(const char *name, const char *const *extra)
{
	c_cluster *c = cluster_base(name, extra);
	if (c == NULL) {
		return NULL;
	}
	live = c;
	int ports[C_PORTS];
	free_ports(ports);
	for (int i = 0; i < C_ALL; i++) {
		c_member *m  = &c->m[i];
		m->port      = ports[3 * i];
		m->raft_port = ports[3 * i + 1];
		snprintf(m->http, sizeof(m->http), "http://127.0.0.1:%d",
		    ports[3 * i + 2]);
		snprintf(m->ip, sizeof(m->ip), "127.0.0.1");
	}
	make_lists(c);
	return c;
}

static void
netns_down(c_cluster *c)
{
	for (int i = 0; i < C_MEMBERS; i++) {
		// The veth first: a namespace outlives its name while an
		// orphaned socket in it still retransmits to a cut peer, and
		// its veth with it.
		if (c->m[i].link[0] != '\0') {
			(void) h_sh(
			    "ip link del %s 2>/dev/null; true", c->m[i].link);
		}
		if (c->m[i].ns[0] != '\0') {
			(void) h_sh(
			    "ip netns del %s 2>/dev/null; true", c->m[i].ns);
		}
	}
	if (c->bridge[0] != '\0') {
		(void) h_sh("ip link del %s 2>/dev/null; true", c->bridge);
	}
}

c_cluster *
c_cluster_new_netns(const char *name, const char *const *extra)
{
	if (geteuid() != 0 || access("/usr/sbin/ip", X_OK) != 0) {
		return NULL;
	}
	c_cluster *c = cluster_base(name, extra);
	if (c == NULL) {
		return NULL;
	}
	int id = (int) (getpid() % 10000);
	int k  = (int) (getpid() % 200) + 20;
	// A subnet no interface of this machine has (a run killed before
	// its teardown may have left one).
	for (int tries = 0; tries < 200
	     && h_sh("! ip -o -4 addr show | grep -q ' 10\\.214\\.%d\\.'", k)
	         != 0;
	     tries++) {
		k = (k - 20 + 1) % 200 + 20;
	}
	snprintf(c->bridge, sizeof(c->bridge), "mgcb%d", id);
	bool ok = h_sh("ip link add %s type bridge && ip addr add "
	               "10.214.%d.254/24 dev %s && ip link set %s up",
	              c->bridge, k, c->bridge, c->bridge)
	    == 0;
	for (int i = 0; ok && i < C_MEMBERS; i++) {
		c_member *m = &c->m[i];
		snprintf(m->ns, sizeof(m->ns), "mgc%d-%d", id, m->id);
		snprintf(m->link, sizeof(m->link), "mgc%da%d", id, m->id);
		snprintf(m->ip, sizeof(m->ip), "10.214.%d.%d", k, m->id);
		m->port      = 50000;
		m->raft_port = 7000;
		snprintf(m->metrics, sizeof(m->metrics),
		    "http://%s:9464/metrics", m->ip);
		ok = h_sh(
		         "ip netns add %s && ip link add %s type veth peer "
		         "name "
		         "mgc%db%d && ip link set mgc%db%d netns %s && ip "
		         "link "
		         "set %s master %s up && ip -n %s addr add %s/24 dev "
		         "mgc%db%d && ip -n %s link set mgc%db%d up && ip -n "
		         "%s "
		         "link set lo up",
		         m->ns, m->link, id, m->id, id, m->id, m->ns, m->link,
		         c->bridge, m->ns, m->ip, id, m->id, m->ns, id, m->id,
		         m->ns)
		    == 0;
	}
	if (!ok) {
		h_log("cluster %s: the namespaces could not be made", name);
		c_cluster_free(c);
		return NULL;
	}
	make_lists(c);
	live = c;
	return c;
}

int
c_link(c_cluster *c, int i, bool up)
{
	return h_sh("ip link set %s %s", c->m[i].link, up ? "up" : "down")
	        == 0
	    ? 0
	    : -1;
}

long long
c_metric(c_cluster *c, int i, const char *name)
{
	char body[65536], want[128];
	if (c->m[i].metrics[0] == '\0'
	    || h_http_get(
	           c->m[i].metrics, NULL, "/metrics", body, sizeof(body))
	        != 200) {
		return -1;
	}
	snprintf(want, sizeof(want), "\nmgr_%s ", name);
	const char *p = strstr(body, want);
	return p != NULL ? strtoll(p + strlen(want), NULL, 10) : -1;
}

int
c_start(c_cluster *c, int i)
{
	c_member *m = &c->m[i];
	char      id[16], listen[80];
	snprintf(id, sizeof(id), "%d", m->id);
	snprintf(listen, sizeof(listen), "tcp://%s:%d", m->ip, m->port);
	const char *argv[48];
	size_t      argc = 0;
	if (m->ns[0] != '\0') { // in its namespace: ip execs managerd there
		argv[argc++] = "/usr/sbin/ip";
		argv[argc++] = "netns";
		argv[argc++] = "exec";
		argv[argc++] = m->ns;
	}
	const char *base[]
	    = { h_managerd_path(), "--listen", listen, "--authkey-file",
		      m->keyfile[0] != '\0' ? m->keyfile : c->keyfile,
		      "--data-dir", m->data, "--node-id", id, "--cluster",
		      i == C_MEMBERS ? c->joining : c->members, "--log-level",
		      "info", "--ready-fd", "3" };
	for (size_t k = 0; k < sizeof(base) / sizeof(base[0]); k++) {
		argv[argc++] = base[k];
	}
	if (i == C_MEMBERS) {
		argv[argc++] = "--join";
	}
	if (c->http) { // the token is the key (its file's first line)
		argv[argc++] = "--http";
		argv[argc++] = m->http;
		argv[argc++] = "--http-token-file";
		argv[argc++] = c->keyfile;
	}
	if (m->metrics[0] != '\0') {
		argv[argc++] = "--metrics";
		argv[argc++] = m->metrics;
		argv[argc++] = "--metrics-no-auth";
	}
	int ready[2];
	if (h_high_pipe(ready) != 0) {
		return -1;
	}
	for (const char *const *e = c->extra; e != NULL && *e != NULL; e++) {
		if (argc + 1 < sizeof(argv) / sizeof(argv[0])) {
			argv[argc++] = *e;
		}
	}
	argv[argc] = NULL;
	int logfd
	    = open(m->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0) {
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, logfd, 1);
	posix_spawn_file_actions_adddup2(&fa, logfd, 2);
	posix_spawn_file_actions_adddup2(&fa, ready[1], 3);
	const char *const unset[] = { "MGR_AUTHKEY", NULL };
	char            **envp    = h_make_env(unset);
	int               rv      = envp == NULL ? ENOMEM
	                                         : posix_spawn(&m->pid, argv[0], &fa, NULL,
	                                             (char *const *) argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	close(logfd);
	close(ready[1]);
	if (rv != 0) {
		h_log("posix_spawn: %s", strerror(rv));
		close(ready[0]);
		m->pid = 0;
		return -1;
	}
	h_live_set(m->data, m->pid, c->keyfile, m->log);
	// Listening (and its signals taken) once it says "ready".
	char    buf[512];
	size_t  len      = 0;
	int64_t deadline = h_now_ms() + 30000;
	bool    ok       = false;
	while (!ok && len < sizeof(buf) - 1) {
		short ev;
		if (h_poll_one(ready[0], POLLIN, deadline, &ev) <= 0) {
			break;
		}
		ssize_t n = read(ready[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0) {
			break;
		}
		len += (size_t) n;
		buf[len] = '\0';
		ok       = strstr(buf, "ready\n") != NULL;
	}
	close(ready[0]);
	if (!ok) {
		h_log("member %d was not ready", m->id);
		c_dump_logs(c);
		return -1;
	}
	return 0;
}

int
c_start_all(c_cluster *c)
{
	for (int i = 0; i < C_MEMBERS; i++) {
		if (c_start(c, i) != 0) {
			return -1;
		}
	}
	return 0;
}

void
c_kill(c_cluster *c, int i)
{
	c_member *m = &c->m[i];
	int       status;
	if (m->pid > 0) {
		kill(m->pid, SIGKILL);
		h_wait_pid(m->pid, 10000, &status);
		h_live_drop(m->data);
		m->pid = 0;
	}
}

int
c_stop_all(c_cluster *c)
{
	int rv = 0;
	for (int i = 0; i < C_ALL; i++) {
		c_member *m = &c->m[i];
		int       status;
		if (m->pid <= 0) {
			continue;
		}
		kill(m->pid, SIGTERM);
		if (h_wait_pid(m->pid, 20000, &status) != 0) {
			h_log("member %d did not stop on SIGTERM", m->id);
			kill(m->pid, SIGKILL);
			h_wait_pid(m->pid, 10000, &status);
			rv = -1;
		} else if (h_exit_code(status) != 0) {
			h_log("member %d exited with %d", m->id,
			    h_exit_code(status));
			rv = -1;
		}
		h_live_drop(m->data);
		m->pid = 0;
	}
	const char *reports[]
	    = { "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
		      "WARNING: ThreadSanitizer", "runtime error:" };
	for (int i = 0; i < C_ALL; i++) {
		for (size_t k = 0; k < sizeof(reports) / sizeof(reports[0]);
		     k++) {
			if (c_log_has(c, i, reports[k])) {
				h_log(
				    "member %d: %s", c->m[i].id, reports[k]);
				rv = -1;
			}
		}
	}
	if (rv != 0) {
		c_dump_logs(c);
	}
	return rv;
}

mgr_opts
c_opts(c_cluster *c, int64_t reconnect_ms)
{
	mgr_opts o        = { 0 };
	o.authkey         = c->key;
	o.authkey_len     = strlen(c->key);
	o.connect_timeout = 10000;
	o.reconnect       = reconnect_ms;
	o.lease           = reconnect_ms > 0 ? 5000 : 0;
	return o;
}

int
c_leader(c_cluster *c, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	while (h_now_ms() < deadline) {
		mgr_client *cl;
		mgr_opts    o = c_opts(c, 0);
		o.connect_timeout
		    = h_left_ms(deadline) > 0 ? h_left_ms(deadline) : 1;
		if (mgr_connect(&cl, c->urls, &o) == 0) {
			int64_t pid = 0;
			int     rv  = h_info_int(cl, "pid", &pid);
			mgr_disconnect(cl);
			for (int i = 0; rv == 0 && i < C_ALL; i++) {
				if (c->m[i].pid == (pid_t) pid) {
					return i;
				}
			}
		}
		h_nap(20);
	}
	return -1;
}

void
c_dump_logs(const c_cluster *c)
{
	for (int i = 0; i < C_ALL; i++) {
		char  line[1024];
		FILE *f = fopen(c->m[i].log, "r");
		if (f == NULL) {
			continue;
		}
		fprintf(
		    stderr, "---- member %d (%s)\n", c->m[i].id, c->m[i].log);
		while (fgets(line, sizeof(line), f) != NULL) {
			fputs(line, stderr);
		}
		fclose(f);
	}
}

void
c_dump_live_logs(void)
{
	if (live != NULL) {
		c_dump_logs(live);
	}
}

bool
c_log_has(const c_cluster *c, int i, const char *needle)
{
	char  line[1024];
	bool  found = false;
	FILE *f     = fopen(c->m[i].log, "r");
	while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL) {
		found = strstr(line, needle) != NULL;
	}
	if (f != NULL) {
		fclose(f);
	}
	return found;
}

void
c_cluster_free(c_cluster *c)
{
	if (c == NULL) {
		return;
	}
	if (live == c) {
		live = NULL;
	}
	for (int i = 0; i < C_ALL; i++) {
		c_kill(c, i);
	}
	netns_down(c);
	char *const argv[] = { "rm", "-rf", c->dir, NULL };
	h_run("/bin/rm", argv, NULL, 0, 10000, NULL, 0);
	free(c);
}

int
c_teardown(void **state)
{
	(void) state;
	c_cluster_free(live); // NULL once the test freed its own
	return 0;
}

int64_t
c_await_served(atomic_llong *const *count, const long long *at,
    atomic_int *const *failed, int n, long long more, int64_t t0,
    int timeout_ms)
{
	for (int i = 0; i < n; i++) {
		while (atomic_load(count[i]) < at[i] + more
		    && (failed == NULL || atomic_load(failed[i]) == 0)
		    && h_now_ms() - t0 < timeout_ms) {
			h_nap(2); // the clients' threads count; nothing to
			          // wait on
		}
	}
	return h_now_ms() - t0;
}

c_cluster *
c_cluster_up(const char *name, const char *const *extra)
{
	c_cluster *c = c_cluster_new(name, extra);
	assert_non_null(c);
	assert_int_equal(c_start_all(c), 0);
	if (c_leader(c, 20000) < 0) {
		c_dump_logs(c);
		fail_msg("no leader within 20 s");
	}
	return c;
}

mgr_client *
c_connect(c_cluster *c, const char *urls, const mgr_opts *o)
{
	mgr_client *cl;
	int         rv = mgr_connect(&cl, urls, o);
	if (rv != 0) {
		c_dump_logs(c);
		fail_msg("connect %s: %s (%s)", urls, mgr_strerror(rv),
		    mgr_errdetail());
	}
	return cl;
}

void
c_incr_n(mgr_obj *d, const char *key, int n)
{
	for (int i = 0; i < n; i++) {
		int rv = mgr_dict_incr(d, mgr_str(key), mgr_int(1), NULL);
		if (rv != 0) {
			c_dump_live_logs();
			fail_msg("incr %s: %s (%s)", key, mgr_strerror(rv),
			    mgr_errdetail());
		}
	}
}
