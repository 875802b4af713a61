/* managerd: serves shared objects on the given addresses until SIGTERM or
 * SIGINT (or, for an embedded manager, until its parent goes away). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "server.h"

#define MAX_LISTEN 16

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: managerd --listen URL [--listen URL ...] [--authkey-file "
	    "F]\n"
	    "                [--max-message BYTES] [--log-level L]\n"
	    "                [--io-threads N]\n"
	    "  URL: ipc:///path/to/socket or tcp://host:port (port 0: any)\n"
	    "  the authkey comes from --authkey-file (its bytes less one\n"
	    "  trailing newline) or MGR_AUTHKEY; without either a random "
	    "key\n"
	    "  is made and written to a 0600 file whose path is printed.\n"
	    "  L: error, warn, info (default), debug.\n"
	    "  --io-threads N: event loop threads serving connections (2)\n"
	    "  --ready-fd N: write the bound URLs and \"ready\" to fd N, "
	    "close it\n"
	    "  --lifeline-fd N: shut down when fd N reaches end of file\n");
}

/* Writes a fresh random key to a new 0600 file; prints its path. */
static int
make_key(char **key, size_t *len)
{
	char        k[65];
	char        path[512];
	const char *dir = getenv("XDG_RUNTIME_DIR");
	if (auth_random_key(k) != 0) {
		return -1;
	}
	snprintf(path, sizeof(path), "%s/managerd-%ld.authkey",
	    dir && dir[0] ? dir : "/tmp", (long) getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, k, 64) != 64 || close(fd) != 0) {
		fprintf(stderr, "managerd: cannot write the key to %s: %s\n",
		    path, strerror(errno));
		return -1;
	}
	printf("managerd: no authkey given; generated one in %s\n", path);
	*key = strdup(k);
	*len = 64;
	return *key ? 0 : -1;
}

int
main(int argc, char **argv)
{
	const char *urls[MAX_LISTEN];
	int         nurls    = 0;
	const char *keyfile  = NULL;
	size_t      maxmsg   = 0;
	int         ready_fd = -1, lifeline_fd = -1;
	int         io_threads = 0;

	for (int i = 1; i < argc; i++) {
		const char *a   = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (val == NULL) {
			fprintf(stderr, "managerd: %s needs a value\n", a);
			usage(stderr);
			return 2;
		}
		i++;
		char *end;
		if (strcmp(a, "--listen") == 0) {
			if (nurls == MAX_LISTEN) {
				fprintf(
				    stderr, "managerd: too many --listen\n");
				return 2;
			}
			urls[nurls++] = val;
		} else if (strcmp(a, "--authkey-file") == 0) {
			keyfile = val;
		} else if (strcmp(a, "--max-message") == 0) {
			unsigned long long v = strtoull(val, &end, 10);
			if (*end != '\0' || v < 1024 || v > (1ull << 31)) {
				fprintf(stderr,
				    "managerd: --max-message takes "
				    "1024 to 2147483648 bytes\n");
				return 2;
			}
			maxmsg = (size_t) v;
		} else if (strcmp(a, "--io-threads") == 0) {
			long v = strtol(val, &end, 10);
			if (*end != '\0' || v < 1 || v > 64) {
				fprintf(stderr,
				    "managerd: --io-threads takes "
				    "1 to 64\n");
				return 2;
			}
			io_threads = (int) v;
		} else if (strcmp(a, "--log-level") == 0) {
			if ((log_level = log_parse_level(val)) < 0) {
				fprintf(stderr,
				    "managerd: unknown log level %s\n", val);
				return 2;
			}
		} else if (strcmp(a, "--ready-fd") == 0) {
			ready_fd = (int) strtol(val, &end, 10);
		} else if (strcmp(a, "--lifeline-fd") == 0) {
			lifeline_fd = (int) strtol(val, &end, 10);
		} else {
			fprintf(stderr, "managerd: unknown option %s\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (nurls == 0) {
		fprintf(stderr, "managerd: give at least one --listen URL\n");
		usage(stderr);
		return 2;
	}

	char  *key = NULL;
	size_t keylen;
	if (keyfile != NULL) {
		if (auth_read_key_file(keyfile, &key, &keylen) != 0) {
			fprintf(stderr,
			    "managerd: cannot read a key from %s\n", keyfile);
			return 1;
		}
	} else if (getenv("MGR_AUTHKEY") && getenv("MGR_AUTHKEY")[0]) {
		key    = strdup(getenv("MGR_AUTHKEY"));
		keylen = strlen(key);
	} else if (make_key(&key, &keylen) != 0) {
		return 1;
	}

	// Signals are taken by a signalfd: block them before the server
	// makes its threads so that none of those gets them.
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);

	server     *srv;
	server_opts o  = { .key = key,
		 .keylen        = keylen,
		 .max_message   = maxmsg,
		 .io_threads    = io_threads };
	int         rv = server_new(&srv, &o);
	free(key);
	if (rv != 0) {
		fprintf(stderr, "managerd: %s\n", mgr_strerror(rv));
		return 1;
	}
	FILE *ready = ready_fd >= 0 ? fdopen(ready_fd, "w") : NULL;
	for (int i = 0; i < nurls; i++) {
		char bound[300];
		if ((rv = server_listen(srv, urls[i], bound, sizeof(bound)))
		    != 0) {
			fprintf(stderr, "managerd: cannot listen on %s: %s\n",
			    urls[i], mgr_strerror(rv));
			server_free(srv);
			return 1;
		}
		printf("managerd: listening on %s\n", bound);
		if (ready != NULL) {
			fprintf(ready, "%s\n", bound);
		}
	}
	fflush(stdout);
	if (ready != NULL) {
		fprintf(ready, "ready\n");
		fclose(ready);
	}
	log_msg(LOG_INFO, "serving (pid %ld)", (long) getpid());

	struct pollfd pfd[2] = { { .fd = sfd, .events = POLLIN },
		{ .fd = lifeline_fd, .events = POLLIN } };
	for (;;) {
		int n = poll(pfd, lifeline_fd >= 0 ? 2 : 1, -1);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			log_msg(LOG_ERROR, "poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				log_msg(LOG_INFO, "signal %u: shutting down",
				    si.ssi_signo);
			}
			break;
		}
		if (lifeline_fd >= 0 && pfd[1].revents) {
			char b[64];
			if (read(lifeline_fd, b, sizeof(b)) <= 0) {
				log_msg(
				    LOG_INFO, "parent gone: shutting down");
				break;
			}
		}
	}
	server_free(srv);
	close(sfd);
	return 0;
}
