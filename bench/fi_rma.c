// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uroce_fi_rma server|client: a software peer for scripts/bench.sh,
 * libfabric's tcp provider (reliable datagram endpoints, "tcp;ofi_rxm")
 * doing RMA writes of one size from client to server with a window of
 * writes outstanding, for a number of seconds. The two ends swap their
 * endpoint names and the target buffer's key over a TCP control
 * connection (exchange.c); the server progresses its endpoint until the
 * client is done. The client prints
 *
 *   result size=S msgs=N secs=T gbps=G mmsgs_s=M
 *
 * Debian ships fi_pingpong but no RMA bandwidth test, hence this program.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>

#include "bench/bench.h"

#define NAME_MAX_LEN 64
#define WINDOW_MAX 1024

struct peer_info {
	uint64_t addr; /* the target buffer, as the peer's RMA names it */
	uint64_t key;
	uint32_t namelen;
	uint8_t name[NAME_MAX_LEN];
};

struct fab {
	struct fi_info *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_av *av;
	struct fid_cq *cq;
	struct fid_ep *ep;
	struct fid_mr *mr;
	void *desc;
	fi_addr_t peer;
};

#define CHECK(call)                                        \
	do {                                               \
		int ret_ = (int)(call);                    \
		if (ret_) {                                \
			fprintf(stderr, "%s: %s\n", #call, \
				fi_strerror(-ret_));       \
			return -1;                         \
		}                                          \
	} while (0)

/* Opens an endpoint on @local (the control connection's own address). */
static int fab_open(struct fab *f, const char *prov, const char *local,
		    void *buf, size_t len)
{
	struct fi_av_attr av = { .type = FI_AV_TABLE };
	struct fi_cq_attr cq = { .format = FI_CQ_FORMAT_CONTEXT,
				 .size = WINDOW_MAX * 2 };
	struct fi_info *hints = fi_allocinfo();

	if (!hints)
		return -1;
	hints->caps = FI_RMA | FI_MSG;
	hints->ep_attr->type = FI_EP_RDM;
	hints->mode = FI_CONTEXT;
	hints->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR |
				      FI_MR_ALLOCATED | FI_MR_PROV_KEY |
				      FI_MR_ENDPOINT;
	hints->fabric_attr->prov_name = strdup(prov);
	CHECK(fi_getinfo(FI_VERSION(1, 17), local, NULL, FI_SOURCE, hints,
			 &f->info));
	fi_freeinfo(hints);
	CHECK(fi_fabric(f->info->fabric_attr, &f->fabric, NULL));
	CHECK(fi_domain(f->fabric, f->info, &f->domain, NULL));
	CHECK(fi_av_open(f->domain, &av, &f->av, NULL));
	CHECK(fi_cq_open(f->domain, &cq, &f->cq, NULL));
	CHECK(fi_endpoint(f->domain, f->info, &f->ep, NULL));
	CHECK(fi_ep_bind(f->ep, &f->av->fid, 0));
	CHECK(fi_ep_bind(f->ep, &f->cq->fid, FI_TRANSMIT | FI_RECV));
	CHECK(fi_enable(f->ep));
	CHECK(fi_mr_reg(f->domain, buf, len,
			FI_WRITE | FI_REMOTE_WRITE | FI_SEND | FI_RECV, 0, 0, 0,
			&f->mr, NULL));
	if (f->info->domain_attr->mr_mode & FI_MR_ENDPOINT) {
		CHECK(fi_mr_bind(f->mr, &f->ep->fid, 0));
		CHECK(fi_mr_enable(f->mr));
	}
	f->desc = fi_mr_desc(f->mr);
	return 0;
}

static void fab_close(struct fab *f)
{
	if (f->mr)
		fi_close(&f->mr->fid);
	if (f->ep)
		fi_close(&f->ep->fid);
	if (f->cq)
		fi_close(&f->cq->fid);
	if (f->av)
		fi_close(&f->av->fid);
	if (f->domain)
		fi_close(&f->domain->fid);
	if (f->fabric)
		fi_close(&f->fabric->fid);
	if (f->info)
		fi_freeinfo(f->info);
}

/* Swaps names and keys with the peer and puts its name in the AV. */
static int fab_connect(struct fab *f, int ctl, void *buf,
		       struct peer_info *them)
{
	struct peer_info me = { 0 };
	size_t len = NAME_MAX_LEN;

	CHECK(fi_getname(&f->ep->fid, me.name, &len));
	me.namelen = (uint32_t)len;
	me.key = fi_mr_key(f->mr);
	me.addr = f->info->domain_attr->mr_mode & FI_MR_VIRT_ADDR ?
			  (uint64_t)(uintptr_t)buf :
			  0;
	if (xchg_swap(ctl, &me, them, sizeof(me)))
		return -1;
	if (fi_av_insert(f->av, them->name, 1, &f->peer, 0, NULL) != 1) {
		fprintf(stderr, "fi_av_insert failed\n");
		return -1;
	}
	return 0;
}

/* Reads what completed; returns how many, or -1 on an error. */
static int reap(struct fab *f)
{
	struct fi_cq_entry e[64];
	struct fi_cq_err_entry err = { 0 };
	ssize_t n = fi_cq_read(f->cq, e, 64);

	if (n >= 0)
		return (int)n;
	if (n == -FI_EAGAIN)
		return 0;
	if (n == -FI_EAVAIL && fi_cq_readerr(f->cq, &err, 0) > 0)
		fprintf(stderr, "completion error: %s\n", fi_strerror(err.err));
	else
		fprintf(stderr, "fi_cq_read: %s\n", fi_strerror((int)-n));
	return -1;
}

static int run_client(struct fab *f, struct peer_info *t, void *buf,
		      size_t size, unsigned int window, double secs)
{
	static struct fi_context ctx[WINDOW_MAX];
	uint64_t posted = 0, done = 0, t0, end, t1;
	unsigned int i = 0;
	ssize_t ret;
	int n;

	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	for (;;) {
		bool stop = now_ns() >= end;

		while (!stop && posted - done < window) {
			ret = fi_write(f->ep, buf, size, f->desc, f->peer,
				       t->addr, t->key, &ctx[i]);
			if (ret == -FI_EAGAIN)
				break;
			if (ret) {
				fprintf(stderr, "fi_write: %s\n",
					fi_strerror((int)-ret));
				return -1;
			}
			i = (i + 1) % WINDOW_MAX;
			posted++;
		}
		n = reap(f);
		if (n < 0)
			return -1;
		done += (uint64_t)n;
		if (stop && done == posted)
			break;
	}
	t1 = now_ns();
	printf("result size=%zu msgs=%llu secs=%.3f gbps=%.3f mmsgs_s=%.4f\n",
	       size, (unsigned long long)done, (t1 - t0) / 1e9,
	       done * size * 8.0 / (t1 - t0), done * 1e3 / (t1 - t0));
	return 0;
}

/* Progresses the endpoint until the client's end-of-run byte arrives. */
static int run_server(struct fab *f, int ctl)
{
	struct pollfd p = { .fd = ctl, .events = POLLIN };
	unsigned int spins = 0;

	for (;;) {
		if (reap(f) < 0)
			return -1;
		if (++spins % 256 == 0 && poll(&p, 1, 0) > 0)
			return 0;
	}
}

static int local_name(int ctl, char *s, size_t len)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	void *a;

	if (getsockname(ctl, (struct sockaddr *)&sa, &salen))
		return -1;
	a = sa.ss_family == AF_INET6 ?
		    (void *)&((struct sockaddr_in6 *)&sa)->sin6_addr :
		    (void *)&((struct sockaddr_in *)&sa)->sin_addr;
	return inet_ntop(sa.ss_family, a, s, (socklen_t)len) ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *prov = "tcp;ofi_rxm";
	unsigned int window = 64, port = 18520;
	size_t size = 65536;
	struct peer_info them;
	struct fab f = { 0 };
	char local[64];
	double secs = 2;
	bool server;
	int c, ctl, ret = 1;
	void *buf;

	if (argc < 2)
		goto usage;
	server = !strcmp(argv[1], "server");
	if (!server && strcmp(argv[1], "client"))
		goto usage;
	optind = 2;
	while ((c = getopt(argc, argv, "a:p:s:t:w:P:")) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = (unsigned int)atoi(optarg);
			break;
		case 's':
			size = (size_t)atol(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'w':
			window = (unsigned int)atoi(optarg);
			break;
		case 'P':
			prov = optarg;
			break;
		default:
			goto usage;
		}
	}
	if ((!server && !addr) || !window || window > WINDOW_MAX || !size)
		goto usage;
	ctl = server ? xchg_accept(addr, (uint16_t)port, 30) :
		       xchg_connect(addr, (uint16_t)port, 30);
	if (ctl < 0)
		return 1;
	buf = calloc(1, size);
	if (!buf || local_name(ctl, local, sizeof(local)) ||
	    fab_open(&f, prov, local, buf, size) ||
	    fab_connect(&f, ctl, buf, &them) || xchg_sync(ctl))
		goto out;
	if (server)
		ret = run_server(&f, ctl) ? 1 : 0;
	else
		ret = run_client(&f, &them, buf, size, window, secs) ||
				      xchg_send(ctl, "", 1) ?
			      1 :
			      0;
out:
	fab_close(&f);
	close(ctl);
	free(buf);
	return ret;
usage:
	fprintf(stderr, "usage: uroce_fi_rma server|client [-a ADDR] "
			"[-p PORT] [-s SIZE] [-t SECS] [-w WINDOW] "
			"[-P PROVIDER]\n");
	return 2;
}
