// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Helpers of the hostile peer and soak tests: see common.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tests/hostile/common.h"

void put_file(const char *dir, const char *name, const char *text)
{
	char tmp[4096], path[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.%s.%d", dir, name, getpid());
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(tmp, "w");
	REQUIRE(f);
	fputs(text, f);
	REQUIRE(!fclose(f));
	REQUIRE(!rename(tmp, path));
}

static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t cap = 0, len = 0, n;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	do {
		if (len + 4097 > cap) {
			cap = cap ? 2 * cap : 8192;
			buf = realloc(buf, cap);
			REQUIRE(buf);
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

bool have_file(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !access(path, F_OK);
}

/*
 * What wait_file returned: the roles read it until they end, so it is
 * freed at exit (leak checkers run after).
 */
static char *files[32];
static unsigned int nfiles;

static void free_files(void)
{
	while (nfiles)
		free(files[--nfiles]);
}

char *wait_file(const char *dir, const char *name)
{
	double end = now_s() + test_secs(WAIT_SEC);
	char path[4096], *s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	while (!(s = slurp(path))) {
		if (now_s() > end) {
			fprintf(stderr, "timeout waiting for %s\n", path);
			exit(1);
		}
		usleep(20000);
	}
	if (nfiles < sizeof(files) / sizeof(files[0])) {
		if (!nfiles)
			atexit(free_files);
		files[nfiles++] = s;
	}
	return s;
}

long long get_val(const char *text, const char *key)
{
	size_t kl = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == ' ')
			return strtoll(p + kl + 1, NULL, 0);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/*
 * RC: every remote access, ~268 ms x 8 (a dead peer shows within a few
 * seconds, and a live one outlasts a busy machine: with 67 ms a try, 1 run
 * in 6 failed with RETRY_EXC_ERR at load 6). UC: RDMA WRITE, its only
 * remote access.
 */
static struct test_conn conn_rc = {
	.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
		  IBV_ACCESS_REMOTE_ATOMIC,
	.mtu = IBV_MTU_1024,
	.hop_limit = 64,
	.rd_atomic = 16,
	.timeout = 16,
	.retry_cnt = 7,
	.rnr_retry = 7,
};
static struct test_conn conn_uc = {
	.access = IBV_ACCESS_REMOTE_WRITE,
	.mtu = IBV_MTU_1024,
	.hop_limit = 64,
};
static const struct test_conn conn_ud = { .qkey = QKEY };

static const struct test_conn *conn(enum ibv_qp_type type)
{
	if (type == IBV_QPT_RC)
		return &conn_rc;
	return type == IBV_QPT_UC ? &conn_uc : &conn_ud;
}

void qp_sgid_index(uint8_t index)
{
	conn_rc.sgid_index = index;
	conn_uc.sgid_index = index;
}

void qp_init(struct ibv_qp *qp, enum ibv_qp_type type)
{
	test_qp_init(qp, conn(type));
}

void qp_rtr(struct ibv_qp *qp, const union ibv_gid *dgid, uint32_t dqpn,
	    uint32_t rq_psn)
{
	test_qp_rtr(qp, conn(qp->qp_type), dgid, dqpn, rq_psn);
}

void qp_rts(struct ibv_qp *qp, uint32_t sq_psn)
{
	test_qp_rts(qp, conn(qp->qp_type), sq_psn);
}

void qp_to(struct ibv_qp *qp, enum ibv_qp_state st)
{
	struct ibv_qp_attr a = { .qp_state = st };

	REQUIRE(!ibv_modify_qp(qp, &a, IBV_QP_STATE));
}

/* The reply of one endpoint, or NULL. */
static char *ep_ask(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 1 << 16;
	struct timeval tv = { 2, 0 };
	char *buf;
	ssize_t n;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* Abstract: a leading NUL, then the name without its '@'. */
	strncpy(sa.sun_path + 1, name, sizeof(sa.sun_path) - 2);
	if (connect(fd, (struct sockaddr *)&sa,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				strlen(name)))) {
		close(fd);
		return NULL;
	}
	buf = malloc(cap);
	REQUIRE(buf);
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			REQUIRE(buf);
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

char *ep_read(const char *prefix, int pid)
{
	char line[512], want[64], *reply = NULL, *at, *sp;
	FILE *f = fopen("/proc/net/unix", "r");

	if (!f)
		return NULL;
	snprintf(want, sizeof(want), " pid=%d ", pid);
	while (!reply && fgets(line, sizeof(line), f)) {
		at = strchr(line, '@');
		if (!at || strncmp(at + 1, prefix, strlen(prefix)))
			continue;
		sp = strpbrk(at, " \n");
		if (sp)
			*sp = '\0';
		reply = ep_ask(at + 1);
		if (reply && !strstr(reply, want)) {
			free(reply);
			reply = NULL;
		}
	}
	fclose(f);
	return reply;
}

long long ep_counter(const char *reply, long long qpn, const char *key)
{
	char want[64], k[80];
	const char *line = reply, *end, *p;
	size_t kl;

	if (qpn >= 0)
		snprintf(want, sizeof(want), "qp ");
	else
		snprintf(want, sizeof(want), "stat ");
	snprintf(k, sizeof(k), " %s=", key);
	kl = strlen(k);
	for (; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (strncmp(line, want, strlen(want)))
			continue;
		if (qpn >= 0) {
			char q[32];

			snprintf(q, sizeof(q), " qpn=%lld ", qpn);
			p = strstr(line, q);
			if (!p || (end && p > end))
				continue;
		}
		p = strstr(line, k);
		if (p && (!end || p < end))
			return strtoll(p + kl, NULL, 10);
	}
	return -1;
}

void pattern(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
}

void ip_gid(const char *ip, union ibv_gid *gid)
{
	memset(gid, 0, sizeof(*gid));
	gid->raw[10] = 0xff;
	gid->raw[11] = 0xff;
	REQUIRE(inet_pton(AF_INET, ip, &gid->raw[12]) == 1);
}
