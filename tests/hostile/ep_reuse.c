// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A query endpoint must judge the process that connected, not whatever
 * process holds its PID when the connection is served. Run as root, in a
 * PID namespace of its own (ns_last_pid chooses the next PID):
 *
 *   ep_reuse victim MRS SECONDS
 *	opens the first device, registers MRS memory regions (so that its
 *	reply outgrows a socket buffer), becomes UID 1000 and sleeps
 *   ep_reuse attack nobody|nocap
 *	keeps the endpoint's thread busy with a client that does not read,
 *	connects from a child that is nobody or root without CAP_SYS_ADMIN,
 *	takes the socket, lets the child exit and gives its PID to a root
 *	child with every capability; then reads: a reply is a failure
 */
#include <errno.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "util/endpoint.h"

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static int victim(int mrs, int seconds)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	static char buf[1 << 16];
	int i;

	if (!list || !list[0])
		die("no device");
	ctx = ibv_open_device(list[0]);
	pd = ctx ? ibv_alloc_pd(ctx) : NULL;
	if (!pd)
		die("open");
	for (i = 0; i < mrs; i++)
		if (!ibv_reg_mr(pd, buf + (i % 64) * 1024, 1024,
				IBV_ACCESS_LOCAL_WRITE |
					IBV_ACCESS_REMOTE_READ))
			die("ibv_reg_mr");
	/* Owned by a third user: root without CAP_SYS_ADMIN is not it. */
	if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) ||
	    setresuid(1000, 1000, 1000))
		die("become uid 1000");
	printf("victim: %d MRs registered\n", mrs);
	fflush(stdout);
	sleep((unsigned int)seconds);
	return 0;
}

/* The abstract name of the one endpoint in the namespace. */
static void find_endpoint(struct sockaddr_un *sun, socklen_t *len)
{
	char line[512], *name;
	FILE *f = fopen("/proc/net/unix", "re");

	if (!f)
		die("/proc/net/unix");
	while (fgets(line, sizeof(line), f)) {
		name = strstr(line, "@" UROCE_EP_PREFIX);
		if (!name)
			continue;
		name[strcspn(name, "\n")] = 0;
		memset(sun, 0, sizeof(*sun));
		sun->sun_family = AF_UNIX;
		strncpy(sun->sun_path + 1, name + 1, sizeof(sun->sun_path) - 2);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				   strlen(name));
		fclose(f);
		return;
	}
	fprintf(stderr, "no endpoint\n");
	exit(2);
}

static int ep_connect(const struct sockaddr_un *sun, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)sun, len))
		die("connect");
	return fd;
}

static void drop(const char *mode)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (!strcmp(mode, "nobody")) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			die("become nobody");
		return;
	}
	if (syscall(SYS_capget, &h, d))
		die("capget");
	d[0].effective &= ~(1u << CAP_SYS_ADMIN);
	d[0].permitted &= ~(1u << CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &h, d))
		die("capset");
}

static void send_fd(int sock, int fd)
{
	char c = 0, ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &m, 0) != 1)
		die("sendmsg");
}

static int recv_fd(int sock)
{
	char c, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &m, 0) != 1)
		die("recvmsg");
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		die("no fd");
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static int attack(const char *mode)
{
	struct sockaddr_un sun;
	struct pollfd p;
	char buf[4096];
	pid_t c, d;
	socklen_t len;
	int sp[2], blocker, fd;
	long got = 0;
	ssize_t n;
	FILE *f;

	find_endpoint(&sun, &len);
	/* Root: served first, and it never reads. */
	blocker = ep_connect(&sun, len);
	usleep(50000);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp))
		die("socketpair");
	c = fork();
	if (c < 0)
		die("fork");
	if (!c) {
		drop(mode);
		send_fd(sp[1], ep_connect(&sun, len));
		_exit(0);
	}
	fd = recv_fd(sp[0]);
	waitpid(c, NULL, 0);
	f = fopen("/proc/sys/kernel/ns_last_pid", "we");
	if (!f || fprintf(f, "%d", c - 1) < 0 || fclose(f))
		die("ns_last_pid");
	d = fork();
	if (d < 0)
		die("fork");
	if (!d) {
		pause();
		_exit(0);
	}
	if (d != c) {
		printf("attack: PID %d not reused (got %d)\n", c, d);
		kill(d, SIGKILL);
		return 77;
	}
	printf("attack %s: connected as PID %d, which is now a root process "
	       "with CAP_SYS_ADMIN\n",
	       mode, c);
	close(blocker);
	p.fd = fd;
	p.events = POLLIN;
	while (poll(&p, 1, 3000) > 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		got += n;
	kill(d, SIGKILL);
	waitpid(d, NULL, 0);
	if (got) {
		printf("attack %s: FAIL: the endpoint answered (%ld bytes)\n",
		       mode, got);
		return 1;
	}
	printf("attack %s: refused\n", mode);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "victim"))
		return victim(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "attack"))
		return attack(argv[2]);
	fprintf(stderr, "usage: see the comment at the top of ep_reuse.c\n");
	return 2;
}
