// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Several unprivileged processes share UDP port 4791 in the calling network
 * namespace (steer.sh makes a fresh one), each owning the QPNs of its tag:
 * datagrams to each QPN reach its owner, also after a member or the leader
 * is killed and after a member joins; IB CM MADs on QP 1 reach the listener
 * of their service ID or the process that chose their communication ID; a
 * process of another UID cannot join. Runs as root (to become the members'
 * UIDs); every wait is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/steer_group.h"

#define PORT 4791
#define MEMBER_UID 65534
#define OTHER_UID 65533
#define MAX_MEMBERS 8
/* Bounds, not expectations: a busy machine only makes the test slower. */
#define REPORT_MS 3000
#define CONVERGE_TRIES 300

#define SVC_ID 0x0000000001060000ull /* RDMA_PS_TCP, port 0 */
#define MCAST_GROUP "239.1.1.1"

#define FAIL(...)                                                 \
	do {                                                      \
		fprintf(stderr, "steer_ns:%d: FAIL: ", __LINE__); \
		fprintf(stderr, __VA_ARGS__);                     \
		fputc('\n', stderr);                              \
		cleanup();                                        \
		exit(1);                                          \
	} while (0)

/* What a member tells the driver. */
struct report {
	/*
	 * T tag, E join errno, R own QPN, M another's QPN, G GSI, C multicast
	 * (destination QPN 0xffffff), S settled
	 * leader (bit 31), members its program steers to (bits 16..30) and
	 * programs it attached (bits 0..15)
	 */
	char kind;
	uint32_t val;
};

struct member {
	pid_t pid;
	int up; /* reports */
	int down; /* commands */
	uint32_t tag;
	char name;
};

static struct member members[MAX_MEMBERS];
static int tx = -1;
/* The port's address: 0.0.0.0, or [::] with "steer_ns 6". */
static struct sockaddr_storage port_addr;
static socklen_t port_len;

static void cleanup(void)
{
	int i;

	for (i = 0; i < MAX_MEMBERS; i++) {
		if (!members[i].pid)
			continue;
		kill(members[i].pid, SIGKILL);
		waitpid(members[i].pid, NULL, 0);
		members[i].pid = 0;
	}
}

static void report(int fd, char kind, uint32_t val)
{
	struct report r;

	memset(&r, 0, sizeof(r)); /* padding too */
	r.kind = kind;
	r.val = val;
	if (write(fd, &r, sizeof(r)) != sizeof(r))
		_exit(3);
}

static uint32_t be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void member_rx(struct steer_group *g, int up)
{
	uint8_t buf[512];
	uint32_t qpn;
	ssize_t n;

	while ((n = recv(steer_group_udp_fd(g), buf, sizeof(buf), 0)) > 0) {
		if (steer_group_rx(g, buf, (size_t)n) || n < 12)
			continue;
		qpn = be24(buf + 5);
		if (qpn == 0xffffff)
			report(up, 'C', 0);
		else if (qpn == 1)
			report(up, 'G', 0);
		else if (qpn >> STEER_QPN_SHIFT == steer_group_tag(g))
			report(up, 'R', qpn);
		else
			report(up, 'M', qpn);
	}
}

static void member_main(uid_t uid, int up, int down)
{
	struct steer_group *g;
	uint64_t svc;
	char cmd;

	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		_exit(2);
	g = steer_group_join((struct sockaddr *)&port_addr, port_len);
	if (!g) {
		report(up, 'E', (uint32_t)errno);
		_exit(0);
	}
	if (getenv("STEER_MCAST_IF") && port_addr.ss_family == AF_INET) {
		struct ip_mreqn mreq = {
			.imr_ifindex = atoi(getenv("STEER_MCAST_IF")),
		};

		inet_pton(AF_INET, MCAST_GROUP, &mreq.imr_multiaddr);
		if (setsockopt(steer_group_udp_fd(g), IPPROTO_IP,
			       IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)))
			_exit(5);
	}
	report(up, 'T', steer_group_tag(g));
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = steer_group_udp_fd(g), .events = POLLIN },
			{ .fd = steer_group_fd(g), .events = POLLIN },
			{ .fd = down, .events = POLLIN },
		};
		int t = steer_group_timeout(g);

		poll(p, 3, t < 0 || t > 100 ? 100 : t);
		if (p[0].revents & POLLIN)
			member_rx(g, up);
		if (steer_group_run(g))
			_exit(4);
		if (!(p[2].revents & (POLLIN | POLLHUP)))
			continue;
		if (read(down, &cmd, 1) != 1 || cmd == 'q')
			break;
		if (cmd == 'L' && read(down, &svc, sizeof(svc)) == sizeof(svc))
			steer_group_listen_nowait(g, svc);
		if (cmd == 'S') {
			struct steer_group_stats st;

			steer_group_stats(g, &st);
			report(up, 'S',
			       (st.leader && st.settled ? 1u << 31 : 0) |
				       (st.members & 0x7fff) << 16 |
				       (uint32_t)(st.attaches & 0xffff));
		}
	}
	steer_group_leave(g);
	_exit(0);
}

static bool read_report(int fd, struct report *r, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && read(fd, r, sizeof(*r)) == sizeof(*r);
}

/* Starts member @name as @uid; returns its slot, or -errno of its join. */
static int spawn(char name, uid_t uid)
{
	int up[2], down[2], i;
	struct report r;
	struct member *m;

	for (i = 0; members[i].pid; i++)
		if (i == MAX_MEMBERS - 1)
			FAIL("too many members");
	m = &members[i];
	if (pipe(up) || pipe(down))
		FAIL("pipe: %s", strerror(errno));
	m->pid = fork();
	if (m->pid < 0)
		FAIL("fork: %s", strerror(errno));
	if (!m->pid) {
		/* Never outlive the driver, whatever kills it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(up[0]);
		close(down[1]);
		if (tx >= 0)
			close(tx);
		member_main(uid, up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);
	m->up = up[0];
	m->down = down[1];
	m->name = name;
	if (!read_report(m->up, &r, REPORT_MS * 3))
		FAIL("member %c: no word after joining", name);
	if (r.kind == 'E') {
		waitpid(m->pid, NULL, 0);
		m->pid = 0;
		close(m->up);
		close(m->down);
		return -(int)r.val;
	}
	m->tag = r.val;
	printf("member %c (pid %d, uid %u) joined, tag %u\n", name, m->pid, uid,
	       m->tag);
	return i;
}

static void kill_member(struct member *m)
{
	printf("member %c killed (SIGKILL)\n", m->name);
	kill(m->pid, SIGKILL);
	waitpid(m->pid, NULL, 0);
	close(m->up);
	close(m->down);
	m->pid = 0;
}

/* Kills two at once: the kernel's order of their closes is unknown. */
static void kill_two(struct member *m1, struct member *m2)
{
	printf("members %c and %c killed together (SIGKILL)\n", m1->name,
	       m2->name);
	kill(m1->pid, SIGKILL);
	kill(m2->pid, SIGKILL);
	waitpid(m1->pid, NULL, 0);
	waitpid(m2->pid, NULL, 0);
	close(m1->up);
	close(m1->down);
	close(m2->up);
	close(m2->down);
	m1->pid = m2->pid = 0;
}

/* An orderly leave: steer_group_leave. */
static void stop_member(struct member *m)
{
	char cmd = 'q';

	printf("member %c leaves\n", m->name);
	if (write(m->down, &cmd, 1) != 1)
		FAIL("command: %s", strerror(errno));
	waitpid(m->pid, NULL, 0);
	close(m->up);
	close(m->down);
	m->pid = 0;
}

static void send_pkt(const uint8_t *pkt, size_t len)
{
	struct sockaddr_storage to = port_addr;

	if (to.ss_family == AF_INET)
		((struct sockaddr_in *)&to)->sin_addr.s_addr =
			htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&to)->sin6_addr = in6addr_loopback;
	if (sendto(tx, pkt, len, 0, (struct sockaddr *)&to, port_len) !=
	    (ssize_t)len)
		FAIL("sendto: %s", strerror(errno));
}

/* Waits for the one report a datagram causes: the member's slot, or -1. */
static int who_got(struct report *r)
{
	struct pollfd p[MAX_MEMBERS];
	int idx[MAX_MEMBERS], i, n = 0;

	for (i = 0; i < MAX_MEMBERS; i++) {
		if (!members[i].pid)
			continue;
		idx[n] = i;
		p[n++] = (struct pollfd){ .fd = members[i].up,
					  .events = POLLIN };
	}
	if (poll(p, (nfds_t)n, REPORT_MS) <= 0)
		return -1;
	for (i = 0; i < n; i++)
		if ((p[i].revents & POLLIN) &&
		    read(p[i].fd, r, sizeof(*r)) == sizeof(*r))
			return idx[i];
	return -1;
}

static int to_qpn(uint32_t qpn, struct report *r)
{
	uint8_t pkt[12 + 16 + 4] = { 0x04, 0, 0xff, 0xff };

	pkt[5] = (uint8_t)(qpn >> 16);
	pkt[6] = (uint8_t)(qpn >> 8);
	pkt[7] = (uint8_t)qpn;
	send_pkt(pkt, sizeof(pkt));
	return who_got(r);
}

/* A CM MAD on QP 1: @attr with @id at @off, @svc as its service ID. */
static int to_gsi(uint16_t attr, int off, uint32_t id, uint64_t svc,
		  struct report *r)
{
	uint8_t pkt[12 + 8 + 256 + 4] = { 0x64, 0, 0xff, 0xff, 0, 0, 0, 1 };
	int i;

	pkt[20] = 1;
	pkt[21] = 0x07;
	pkt[22] = 2;
	pkt[23] = 0x03;
	pkt[36] = (uint8_t)(attr >> 8);
	pkt[37] = (uint8_t)attr;
	for (i = 0; i < 4; i++)
		pkt[off + i] = (uint8_t)(id >> (24 - 8 * i));
	for (i = 0; i < 8; i++)
		pkt[52 + i] = (uint8_t)(svc >> (56 - 8 * i));
	send_pkt(pkt, sizeof(pkt));
	return who_got(r);
}

static uint32_t qpn_of(const struct member *m, uint32_t n)
{
	return m->tag << STEER_QPN_SHIFT | n;
}

/* A member's 'S' report. */
static uint32_t ask_stats(struct member *m)
{
	struct report r;
	char cmd = 'S';

	if (write(m->down, &cmd, 1) != 1)
		FAIL("command: %s", strerror(errno));
	while (read_report(m->up, &r, REPORT_MS))
		if (r.kind == 'S')
			return r.val;
	FAIL("member %c does not answer", m->name);
}

struct leader_state {
	pid_t pid;
	uint32_t attaches;
};

/*
 * Until a leader has attached a program that knows the last change: a new
 * leader, or one more program than @before, steering to every live member.
 * Traffic alone cannot tell, as the kernel's hash fallback may hit the
 * right socket by chance.
 */
static struct leader_state converge(struct leader_state before)
{
	struct leader_state now;
	uint32_t val, live = 0;
	int try, i;

	for (i = 0; i < MAX_MEMBERS; i++)
		live += members[i].pid != 0;
	for (try = 0; try < CONVERGE_TRIES; try++) {
		for (i = 0; i < MAX_MEMBERS; i++) {
			if (!members[i].pid)
				continue;
			val = ask_stats(&members[i]);
			if (!(val >> 31) || (val >> 16 & 0x7fff) != live)
				continue;
			now.pid = members[i].pid;
			now.attaches = val & 0xffff;
			if (now.pid != before.pid ||
			    now.attaches > before.attaches) {
				printf("  %c leads, program %u attached\n",
				       members[i].name, now.attaches);
				return now;
			}
		}
		usleep(50000);
	}
	FAIL("no program after the change in %d tries", CONVERGE_TRIES);
}

/* Every datagram to a member's QPNs reaches it, none another. */
static void check_all(void)
{
	struct report r;
	uint32_t n;
	int i, got;

	for (i = 0; i < MAX_MEMBERS; i++) {
		if (!members[i].pid)
			continue;
		for (n = 0; n < 1024; n += 41) {
			got = to_qpn(qpn_of(&members[i], n), &r);
			if (got != i || r.kind != 'R')
				FAIL("QPN 0x%06x of %c reached %c (%c)",
				     qpn_of(&members[i], n), members[i].name,
				     got < 0 ? '-' : members[got].name,
				     got < 0 ? '-' : r.kind);
		}
		printf("  25 datagrams to QPNs 0x%06x.. all reached %c\n",
		       qpn_of(&members[i], 0), members[i].name);
	}
}

static void listen_svc(struct member *m, uint64_t svc)
{
	char cmd = 'L';

	if (write(m->down, &cmd, 1) != 1 ||
	    write(m->down, &svc, sizeof(svc)) != sizeof(svc))
		FAIL("command: %s", strerror(errno));
}

static int leader_slot(void)
{
	struct report r;
	int got;

	/* QPNs nobody owns go to the leader (which drops and counts them). */
	got = to_qpn(0xfffffe, &r);
	if (got < 0 || r.kind != 'M')
		FAIL("unowned QPN reached nobody");
	return got;
}

static void check_gsi(int listener, int other)
{
	struct member *l = &members[listener], *o = &members[other];
	uint32_t comm = o->tag << STEER_COMM_SHIFT | 0x123;
	struct report r;
	int try, got, leader = leader_slot();

	for (try = 0; try < CONVERGE_TRIES; try++) {
		got = to_gsi(0x0010, 44, 0x99, SVC_ID | 7471, &r);
		if (got == listener && r.kind == 'G')
			break;
		usleep(50000);
	}
	if (try == CONVERGE_TRIES)
		FAIL("REQ for the listened service never reached %c", l->name);
	printf("  REQ to service 0x%016llx reached its listener %c\n",
	       (unsigned long long)(SVC_ID | 7471), l->name);
	got = to_gsi(0x0010, 44, 0x99, SVC_ID | 9, &r);
	if (got != leader)
		FAIL("REQ to an unknown service did not reach the leader");
	printf("  REQ to an unknown service reached the leader %c\n",
	       members[leader].name);
	got = to_gsi(0x0013, 48, comm, 0, &r);
	if (got != other)
		FAIL("REP for %c's comm ID reached another", o->name);
	got = to_gsi(0x0015, 48, comm, 0, &r);
	if (got != other)
		FAIL("DREQ for %c's comm ID reached another", o->name);
	printf("  REP and DREQ to comm ID 0x%08x reached %c\n", comm, o->name);
}

/*
 * A datagram to a multicast group on the port reaches every member once:
 * the kernel delivers multicast to each socket, without the program.
 */
static void check_mcast(void)
{
	uint8_t pkt[12 + 8 + 16 + 4] = { 0x64, 0,    0xff, 0xff,
					 0,    0xff, 0xff, 0xff };
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(PORT) };
	struct ip_mreqn mreq = { 0 };
	int copies[MAX_MEMBERS] = { 0 }, i, got;
	struct report r;

	if (!getenv("STEER_MCAST_IF") || port_addr.ss_family != AF_INET) {
		puts("multicast: no IPv4 interface to send on, not checked");
		return;
	}
	mreq.imr_ifindex = atoi(getenv("STEER_MCAST_IF"));
	inet_pton(AF_INET, MCAST_GROUP, &sa.sin_addr);
	if (setsockopt(tx, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof(mreq)) ||
	    sendto(tx, pkt, sizeof(pkt), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != sizeof(pkt))
		FAIL("multicast send: %s", strerror(errno));
	while ((got = who_got(&r)) >= 0) {
		if (r.kind != 'C')
			FAIL("multicast: %c reported %c", members[got].name,
			     r.kind);
		copies[got]++;
	}
	for (i = 0; i < MAX_MEMBERS; i++) {
		if (members[i].pid && copies[i] != 1)
			FAIL("multicast: %c got %d copies", members[i].name,
			     copies[i]);
	}
	puts("  one datagram to " MCAST_GROUP
	     ":4791 reached every member once");
}

static void lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr))
		FAIL("SIOCGIFFLAGS: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		FAIL("SIOCSIFFLAGS: %s", strerror(errno));
	close(fd);
}

static void set_port_addr(bool v6)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&port_addr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&port_addr;

	if (v6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(PORT);
		port_len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(PORT);
		port_len = sizeof(*sin);
	}
}

int main(int argc, char **argv)
{
	int a, b, c, d, e, g, i, leader, got;
	uint32_t dead_qpn;
	struct report r;
	struct leader_state ls = { 0 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	set_port_addr(argc > 1 && !strcmp(argv[1], "6"));
	tx = socket(port_addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (tx < 0)
		FAIL("socket: %s", strerror(errno));
	lo_up();

	printf("three processes of uid 65534 join port 4791 (%s)\n",
	       port_addr.ss_family == AF_INET ? "0.0.0.0" : "[::]");
	a = spawn('A', MEMBER_UID);
	b = spawn('B', MEMBER_UID);
	c = spawn('C', MEMBER_UID);
	if (a < 0 || b < 0 || c < 0)
		FAIL("join: %s", strerror(-(a < 0 ? a : b < 0 ? b : c)));
	converge(ls);
	check_all();
	listen_svc(&members[c], SVC_ID | 7471);
	check_gsi(c, b);

	check_mcast();

	puts("a process of uid 65533 tries to join");
	e = spawn('E', OTHER_UID);
	if (e != -EADDRINUSE)
		FAIL("uid 65533 joined or failed otherwise: %d", e);
	puts("  refused: EADDRINUSE");

	dead_qpn = qpn_of(&members[b], 7);
	ls = converge(ls);
	kill_member(&members[b]);
	converge(ls);
	check_all();
	leader = leader_slot();
	got = to_qpn(dead_qpn, &r);
	if (got != leader || r.kind != 'M')
		FAIL("QPN 0x%06x of the dead B did not reach the leader",
		     dead_qpn);
	printf("  B's QPN 0x%06x now reaches the leader %c, which drops it\n",
	       dead_qpn, members[leader].name);

	ls = converge((struct leader_state){ 0 });
	d = spawn('D', MEMBER_UID);
	if (d < 0)
		FAIL("D: %s", strerror(-d));
	converge(ls);
	check_all();
	got = to_qpn(dead_qpn, &r);
	if (got != leader || r.kind != 'M')
		FAIL("D took the dead B's QPN 0x%06x", dead_qpn);
	printf("  B's QPNs are not D's: 0x%06x still reaches the leader\n",
	       dead_qpn);

	ls = converge((struct leader_state){ 0 });
	kill_member(&members[leader]);
	converge(ls);
	check_all();
	check_gsi(c, d);
	leader = leader_slot();
	printf("  new leader: %c\n", members[leader].name);

	puts("E, F, G join");
	ls = converge((struct leader_state){ 0 });
	if (spawn('E', MEMBER_UID) < 0 || spawn('F', MEMBER_UID) < 0 ||
	    (g = spawn('G', MEMBER_UID)) < 0)
		FAIL("E, F or G could not join");
	ls = converge(ls);
	check_all();
	for (i = 0; i < MAX_MEMBERS; i++)
		if (members[i].pid && i != leader && i != g)
			break;
	kill_two(&members[i], &members[g]);
	ls = converge(ls);
	check_all();
	for (i = 0; i < MAX_MEMBERS; i++)
		if (members[i].pid && i != leader)
			break;
	stop_member(&members[i]);
	converge(ls);
	check_all();

	cleanup();
	close(tx);
	puts("PASS");
	return 0;
}
