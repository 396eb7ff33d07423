// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Shows how the kernel maps a classic BPF reuseport program's return value
 * to the sockets of a UDP group on port 4791, with one process per socket:
 *
 *   order    index order as processes join, after one leaves and one joins,
 *            and return values beyond the group (hash fallback)
 *   persist  the program outlives the process that attached it
 *   uid      who may join (effective UID) and who may attach
 *   sockuid  the UID that counts is the one that created the socket
 *   mcast    a datagram to a multicast group on the port (set MCAST to the
 *            ifindex to send on, DST to the group)
 *
 * The program returns the datagram's first 32-bit word, so each datagram
 * names the index it goes to. Run it as root in a namespace of its own:
 *   unshare -n sh -c 'ip link set lo up; reuseport_facts order'
 * Documentation/roce-v2-sharing.md records its output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PORT 4791
#define NR_KIDS 6

struct kid {
	pid_t pid;
	int up; /* J joined, E not, A attached, R received */
	int go; /* a attach, q quit */
};

static struct kid kids[NR_KIDS];

static void say(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		_exit(3);
}

static void set_mcast_if(int fd)
{
	struct ip_mreqn m = { 0 };

	if (!getenv("MCAST"))
		return;
	m.imr_ifindex = atoi(getenv("MCAST"));
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof(m)))
		perror("IP_MULTICAST_IF");
}

/* Label 'J' makes its socket as uid 65534, then binds as uid 65533. */
static int member_socket(char label, uid_t uid)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(PORT) };
	int fd, one = 1;

	if (label == 'J' && setresuid((uid_t)-1, 65534, 0))
		return -1;
	if (label != 'J' && uid && setresuid(uid, uid, uid))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		return -1;
	if (label == 'J' && (seteuid(0) || setresuid(65533, 65533, 65533)))
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		printf("  %c: bind as uid %u%s: %s\n", label, geteuid(),
		       label == 'J' ? " of a socket made by uid 65534" : "",
		       strerror(errno));
		close(fd);
		return -1;
	}
	if (label == 'J')
		printf("  %c: bind as uid %u of a socket made by uid 65534: "
		       "ok\n",
		       label, geteuid());
	if (label == 'A' && getenv("MCAST")) {
		struct ip_mreqn m = { .imr_ifindex = atoi(getenv("MCAST")) };

		inet_pton(AF_INET, getenv("DST"), &m.imr_multiaddr);
		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m,
			       sizeof(m)))
			perror("IP_ADD_MEMBERSHIP");
	}
	return fd;
}

/* The program: index = the payload's first 32-bit word. */
static void attach(int fd, char label)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog p;

	memset(&p, 0, sizeof(p));
	p.len = 2;
	p.filter = f;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &p, sizeof(p)))
		printf("  %c: attach as uid %u: %s\n", label, geteuid(),
		       strerror(errno));
	else
		printf("  %c: attach as uid %u: ok\n", label, geteuid());
}

static void member(char label, uid_t uid, int up, int go)
{
	uint32_t v;
	char c;
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = member_socket(label, uid);
	say(up, fd < 0 ? 'E' : 'J');
	if (fd < 0)
		_exit(1);
	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = go, .events = POLLIN } };

		if (poll(p, 2, -1) < 0)
			_exit(1);
		if (p[1].revents) {
			if (read(go, &c, 1) != 1 || c == 'q')
				_exit(0);
			attach(fd, label);
			say(up, 'A');
		}
		if ((p[0].revents & POLLIN) &&
		    recv(fd, &v, sizeof(v), 0) == sizeof(v)) {
			printf("  index %u -> %c (pid %d)\n", ntohl(v), label,
			       getpid());
			say(up, 'R');
		}
	}
}

static int spawn(int slot, char label, uid_t uid)
{
	int up[2], go[2];
	char c = 0;

	if (pipe(up) || pipe(go))
		return -1;
	kids[slot].pid = fork();
	if (!kids[slot].pid) {
		close(up[0]);
		close(go[1]);
		member(label, uid, up[1], go[0]);
	}
	close(up[1]);
	close(go[0]);
	kids[slot].up = up[0];
	kids[slot].go = go[1];
	if (read(kids[slot].up, &c, 1) != 1 || c != 'J') {
		waitpid(kids[slot].pid, NULL, 0);
		kids[slot].pid = 0;
		return -1;
	}
	return 0;
}

static void stop(int slot)
{
	if (!kids[slot].pid)
		return;
	say(kids[slot].go, 'q');
	waitpid(kids[slot].pid, NULL, 0);
	close(kids[slot].up);
	close(kids[slot].go);
	kids[slot].pid = 0;
}

static void order_attach(int slot)
{
	char c;

	say(kids[slot].go, 'a');
	if (read(kids[slot].up, &c, 1) != 1)
		exit(1);
}

/* Sends @idx from source port @sport (0: any); waits for every copy. */
static void send_idx(uint32_t idx, unsigned short sport)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(sport) };
	const char *dst = getenv("DST") ? getenv("DST") : "127.0.0.1";
	struct pollfd p[NR_KIDS];
	int fd, i, n = 0, got = 0;
	uint32_t v = htonl(idx);
	char c;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (sport && bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		perror("bind");
	set_mcast_if(fd);
	sa.sin_port = htons(PORT);
	inet_pton(AF_INET, dst, &sa.sin_addr);
	if (sendto(fd, &v, sizeof(v), 0, (struct sockaddr *)&sa, sizeof(sa)) !=
	    sizeof(v))
		perror("sendto");
	close(fd);
	for (i = 0; i < NR_KIDS; i++)
		if (kids[i].pid)
			p[n++] = (struct pollfd){ .fd = kids[i].up,
						  .events = POLLIN };
	/* Multicast may reach several: collect until 1 s of silence. */
	while (poll(p, (nfds_t)n, 1000) > 0)
		for (i = 0; i < n; i++)
			if ((p[i].revents & POLLIN) &&
			    read(p[i].fd, &c, 1) == 1)
				got++;
	if (!got)
		printf("  index %u -> nobody\n", idx);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	int i;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(what, "order")) {
		puts("A..E join in this order; A attaches");
		for (i = 0; i < 5; i++)
			spawn(i, (char)('A' + i), 0);
		order_attach(0);
		for (i = 0; i < 5; i++)
			send_idx((uint32_t)i, 0);
		puts("B (index 1) exits");
		stop(1);
		for (i = 0; i < 4; i++)
			send_idx((uint32_t)i, 0);
		puts("F joins");
		spawn(1, 'F', 0);
		for (i = 0; i < 5; i++)
			send_idx((uint32_t)i, 0);
		puts("index 7 (group of 5) from source ports 40000..40005");
		for (i = 0; i < 6; i++)
			send_idx(7, (unsigned short)(40000 + i));
	} else if (!strcmp(what, "persist")) {
		puts("A, B, C join; A attaches and exits");
		for (i = 0; i < 3; i++)
			spawn(i, (char)('A' + i), 0);
		order_attach(0);
		stop(0);
		for (i = 0; i < 4; i++)
			send_idx((uint32_t)(i % 2),
				 (unsigned short)(42000 + i));
	} else if (!strcmp(what, "uid")) {
		puts("A, B as uid 65534; C as uid 65533; D as uid 0");
		spawn(0, 'A', 65534);
		spawn(1, 'B', 65534);
		spawn(2, 'C', 65533);
		spawn(3, 'D', 0);
		puts("B attaches, then A replaces B's program");
		order_attach(1);
		order_attach(0);
		for (i = 0; i < 2; i++)
			send_idx((uint32_t)i, 0);
	} else if (!strcmp(what, "sockuid")) {
		puts("A as uid 65534; J makes its socket as uid 65534 and binds"
		     " it as uid 65533");
		spawn(0, 'A', 65534);
		spawn(1, 'J', 0);
		order_attach(0);
		for (i = 0; i < 2; i++)
			send_idx((uint32_t)i, 0);
	} else if (!strcmp(what, "mcast") && getenv("MCAST") && getenv("DST")) {
		puts("A, B, C join; only A joins the multicast group; A "
		     "attaches; one datagram saying index 1 to the group");
		for (i = 0; i < 3; i++)
			spawn(i, (char)('A' + i), 0);
		order_attach(0);
		send_idx(1, 0);
	} else {
		fprintf(stderr,
			"usage: reuseport_facts order|persist|uid|"
			"sockuid|mcast (mcast: MCAST=ifindex DST=group)\n");
		return 2;
	}
	for (i = 0; i < NR_KIDS; i++)
		stop(i);
	return 0;
}
