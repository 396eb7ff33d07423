// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Answering a client of a query endpoint (the provider's and librdmacm's):
 * whether it may read the reply, the reply's header line, and sending it.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "util/endpoint.h"

/* A client that does not read its reply is dropped after this long. */
#define EP_SEND_TIMEOUT_MS 1000
#define CAP_SYS_ADMIN_BIT 21

/* Reads a small /proc file whole; false if it cannot. */
static bool read_small(const char *path, char *buf, size_t size)
{
	size_t n;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = 0;
	return true;
}

/*
 * CAP_SYS_ADMIN in the endpoint's own user namespace. /proc/PID/ns/user
 * cannot be read across UIDs, but uid_map and status can: the same map
 * stands for the same user namespace.
 */
static bool peer_is_admin(pid_t pid)
{
	char path[64], line[256], mine[512], theirs[512];
	unsigned long long caps = 0;
	bool found = false;
	FILE *f;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	if (!read_small("/proc/self/uid_map", mine, sizeof(mine)) ||
	    !read_small(path, theirs, sizeof(theirs)) || strcmp(mine, theirs))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			found = true;
			break;
		}
	fclose(f);
	return found && (caps >> CAP_SYS_ADMIN_BIT) & 1;
}

bool uroce_ep_peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	return cred.uid == geteuid() || peer_is_admin(cred.pid);
}

void uroce_ep_header(char *buf, size_t size, const char *kind, int version)
{
	char comm[32] = "", esc[4 * sizeof(comm)], *w = esc;
	unsigned char c;
	size_t i;
	FILE *f;

	f = fopen("/proc/self/comm", "re");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
	}
	comm[strcspn(comm, "\n")] = 0;
	for (i = 0; comm[i]; i++) {
		c = (unsigned char)comm[i];
		if (c > ' ' && c <= '~' && c != '\\')
			*w++ = (char)c;
		else
			w += snprintf(w, esc + sizeof(esc) - w, "\\x%02x", c);
	}
	*w = 0;
	snprintf(buf, size, "%s version=%d pid=%d comm=%s uid=%u\n", kind,
		 version, getpid(), esc, geteuid());
}

static int ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int)((now.tv_sec - t0->tv_sec) * 1000 +
		     (now.tv_nsec - t0->tv_nsec) / 1000000);
}

/*
 * Gives up once the client has had EP_SEND_TIMEOUT_MS in all: a slow
 * reader must not hold up the thread that answers (the provider's
 * monitor, librdmacm's CM thread).
 */
void uroce_ep_send(int fd, const char *p, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	struct timespec t0;
	ssize_t n;
	int left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (len) {
		n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		left = EP_SEND_TIMEOUT_MS - ms_since(&t0);
		if (n < 0 && errno == EAGAIN && left > 0 &&
		    poll(&pfd, 1, left) > 0)
			continue;
		return;
	}
}
