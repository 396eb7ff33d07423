// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Answering a client of a query endpoint (the provider's and librdmacm's):
 * whether it may read the reply, the reply's header line, and sending it.
 */
#include <errno.h>
#include <fcntl.h>
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
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5 */
#endif

/* Reads a small file of /proc/PID whole; false if it cannot. */
static bool read_small(int dir, const char *name, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = 0;
	return true;
}

/* The value of @key in a status file, or NULL. */
static const char *status_field(const char *status, const char *key)
{
	const char *p = status;
	size_t len = strlen(key);

	while (p && *p) {
		if (!strncmp(p, key, len))
			return p + len;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/*
 * Whether the process of @pidfd (-1: unknown) still runs: a pidfd turns
 * readable when it exits (a signal 0 would need the right to signal it).
 */
static bool pidfd_alive(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return pidfd < 0 || (poll(&p, 1, 0) == 0);
}

/*
 * Root with CAP_SYS_ADMIN in the endpoint's own user namespace, judged on
 * the process that connected: its PID may have passed to another process
 * since, so the status read must show the effective UID the credential
 * holds and, where the kernel gives a pidfd of the peer (SO_PEERPIDFD),
 * that process must still run after the read. /proc/PID/ns/user cannot
 * be read across UIDs, but uid_map can: the same map stands for the same
 * user namespace.
 */
static bool peer_is_admin(int fd, const struct ucred *cred)
{
	char path[64], status[4096], mine[512], theirs[512];
	unsigned long long caps;
	unsigned int ruid, euid;
	bool ok = false;
	const char *v;
	int dir, pidfd = -1;
	socklen_t len = sizeof(pidfd);

	if (cred->pid <= 0)
		return false;
	/* It fails, but for an old kernel, once the process is gone. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len)) {
		if (errno != ENOPROTOOPT)
			return false;
		pidfd = -1;
	}
	snprintf(path, sizeof(path), "/proc/%d", cred->pid);
	dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		goto out;
	if (!read_small(dir, "status", status, sizeof(status)))
		goto out_dir;
	v = status_field(status, "Uid:");
	if (!v || sscanf(v, "%u %u", &ruid, &euid) != 2 || euid != cred->uid)
		goto out_dir;
	v = status_field(status, "CapEff:");
	if (!v || sscanf(v, "%llx", &caps) != 1 ||
	    !((caps >> CAP_SYS_ADMIN_BIT) & 1))
		goto out_dir;
	if (!read_small(AT_FDCWD, "/proc/self/uid_map", mine, sizeof(mine)) ||
	    !read_small(dir, "uid_map", theirs, sizeof(theirs)) ||
	    strcmp(mine, theirs))
		goto out_dir;
	ok = pidfd_alive(pidfd);
out_dir:
	close(dir);
out:
	if (pidfd >= 0)
		close(pidfd);
	return ok;
}

/*
 * The owner's effective UID, or root with CAP_SYS_ADMIN: a client of any
 * other UID is refused before anything is read from /proc, so refusing
 * costs one getsockopt.
 */
bool uroce_ep_peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	if (cred.uid == geteuid())
		return true;
	return cred.uid == 0 && peer_is_admin(fd, &cred);
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

void uroce_ep_serve(int lfd, void (*answer)(void *arg, int fd), void *arg)
{
	int fd, n = 0;

	while (n < UROCE_EP_BATCH) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		n++;
		if (uroce_ep_peer_allowed(fd))
			answer(arg, fd);
		close(fd);
	}
}
