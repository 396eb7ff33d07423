// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The CM query endpoint (util/cm_endpoint.h): an abstract unix socket,
 * answered by the CM thread with a snapshot of every CM ID.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "librdmacm/cma.h"
#include "util/cm_endpoint.h"
#include "util/endpoint.h"

static int ep_fd = -1;
static int ep_kind = CM_FD_EP;

static void print_addr(FILE *f, const struct sockaddr *sa)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  ip, sizeof(ip));
		fprintf(f, "%s:%u", ip, cm_sockaddr_port(sa));
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, ip,
			  sizeof(ip));
		fprintf(f, "[%s]:%u", ip, cm_sockaddr_port(sa));
	} else {
		fputc('-', f);
	}
}

static const char *ps_name(enum rdma_port_space ps)
{
	switch (ps) {
	case RDMA_PS_TCP:
		return "TCP";
	case RDMA_PS_UDP:
		return "UDP";
	case RDMA_PS_IB:
		return "IB";
	case RDMA_PS_IPOIB:
		return "IPOIB";
	}
	return "?";
}

static const char *qpt_name(enum ibv_qp_type t)
{
	return t == IBV_QPT_RC ? "RC" : t == IBV_QPT_UC ? "UC" : "UD";
}

/* Called with cm_lock held. */
static void print_ids(FILE *f)
{
	struct cm_id *cid;

	for (cid = cm_id_first(); cid; cid = cid->next) {
		fprintf(f, "cm_id id=0x%x ps=%s qp_type=%s state=%s src=",
			cid->local_id, ps_name(cid->id.ps),
			qpt_name(cid->id.qp_type), cm_state_str(cid->state));
		print_addr(f, &cid->id.route.addr.src_addr);
		fputs(" dst=", f);
		print_addr(f, &cid->id.route.addr.dst_addr);
		fprintf(f,
			" dev=%s lqpn=%u rqpn=%u rid=0x%x listen=%d "
			"destroyed=%d\n",
			cid->dev ? cid->dev->name : "-",
			cid->id.qp ? cid->id.qp->qp_num : cid->local_qpn,
			cid->remote_qpn, cid->remote_id,
			cid->state == CMS_LISTEN, cid->destroyed);
	}
	fprintf(f,
		"stat rx_drops=%llu req_drops=%llu req_evicted=%llu "
		"icmp_ignored=%llu icrc_errors=%llu\n",
		(unsigned long long)cm_rx_drops,
		(unsigned long long)cm_req_drops,
		(unsigned long long)cm_req_evicted,
		(unsigned long long)cm_icmp_ignored,
		(unsigned long long)cm_roce_icrc_errors);
}

int cm_ep_start(void)
{
	int fd = uroce_ep_listen(UROCE_CM_EP_PREFIX, 8);

	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	if (cm_thread_add_fd(fd, &ep_kind, EPOLLIN)) {
		close(fd);
		return -1;
	}
	ep_fd = fd;
	return 0;
}

static void answer(void *arg, int fd)
{
	char hdr[UROCE_EP_HEADER_MAX], *p = NULL;
	size_t len = 0;
	bool ok;
	FILE *f;

	(void)arg;
	f = open_memstream(&p, &len);
	if (!f)
		return;
	uroce_ep_header(hdr, sizeof(hdr), UROCE_CM_EP_HEADER,
			UROCE_CM_EP_VERSION);
	fputs(hdr, f);
	pthread_mutex_lock(&cm_lock);
	print_ids(f);
	pthread_mutex_unlock(&cm_lock);
	fputs("end\n", f);
	ok = !ferror(f);
	/* Half a reply would mislead: without the end line it is refused. */
	if (!fclose(f) && ok)
		uroce_ep_send(fd, p, len);
	free(p);
}

/*
 * Called by the CM thread without cm_lock: accepting, the credential
 * check and the send hold up no application's CM call, and only the
 * snapshot takes the lock.
 */
void cm_ep_serve(void)
{
	uroce_ep_serve(ep_fd, answer, NULL);
}
