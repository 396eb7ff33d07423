// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Behavioural probe of the static inline functions of <rdma/rdma_cma.h>
 * and <rdma/rdma_verbs.h>.
 *
 * Like inline_probe.c, this file is built against the system headers and
 * against uroce's, and inline_check.py diffs the traces of the two runs.
 * The helpers reach the verbs through the operations of a fake
 * ibv_context (post_send, post_recv, post_srq_recv, poll_cq,
 * req_notify_cq) and through a few exported functions (ibv_reg_mr,
 * ibv_reg_mr_iova2, ibv_dereg_mr, ibv_get_cq_event, ibv_ack_cq_events),
 * all stubbed here to log their arguments (the work requests in full) and
 * to return scripted values.  Every helper is driven through its
 * successful and failing paths, and the completion helpers through each
 * exit of their wait loop.  assert()s are checked in a child process.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <rdma/rdma_cma.h>
#include <rdma/rdma_verbs.h>

#include "probe_util.h"

/* ------------------------------------------------------------------ */
/* objects                                                             */

static struct ibv_context ctx;
static struct ibv_pd pd;
static struct ibv_qp qp;
static struct ibv_srq srq;
static struct ibv_cq send_cq, recv_cq, other_cq;
static struct ibv_comp_channel send_ch, recv_ch;
static struct ibv_mr mr, mr2;
static struct ibv_ah ah;
static struct rdma_cm_id id, other_id;
static struct ibv_wc wc;
static struct ibv_sge user_sgl[3];
static char buf[4096];
static char app_ctx[1];
static char mr_obj[1];

/* ------------------------------------------------------------------ */
/* scripted return values                                              */

#define SCRIPT_LEN 8
struct script {
	int ret[SCRIPT_LEN];
	int n, next;
	int dflt; /* once the script is used up */
};

static struct script s_poll, s_notify, s_event, s_post, s_dereg;
/* what ibv_get_cq_event() reports on success */
static struct ibv_cq *ev_cq;
static void *ev_ctx;
static int ncalls;

static int take(struct script *s)
{
	if (++ncalls > 40) {
		LOG("runaway: more than 40 calls");
		exit(3);
	}
	if (s->next < s->n)
		return s->ret[s->next++];
	return s->dflt;
}

static void set_script(struct script *s, int dflt, int n, const int *v)
{
	memset(s, 0, sizeof(*s));
	s->dflt = dflt;
	s->n = n;
	memcpy(s->ret, v, n * sizeof(*v));
}

/* ------------------------------------------------------------------ */
/* logging work requests                                               */

static void log_sges(const struct ibv_sge *sg, int n)
{
	int i;

	if (n > 3)
		n = 3;
	for (i = 0; i < n; i++)
		LOG("    sge[%d] addr %s+%lld length %u lkey 0x%x", i, pn(buf),
		    (long long)(sg[i].addr - (uintptr_t)buf), sg[i].length,
		    sg[i].lkey);
}

static const char *sgl_name(const struct ibv_sge *sg)
{
	return sg == user_sgl ? "user_sgl" : "local";
}

static int op_post_send(struct ibv_qp *q, struct ibv_send_wr *wr,
			struct ibv_send_wr **bad)
{
	LOG("op post_send(%s) wr_id %s next %s sg_list %s num_sge %d "
	    "opcode %d send_flags 0x%x",
	    pn(q), pn((void *)(uintptr_t)wr->wr_id), pn(wr->next),
	    sgl_name(wr->sg_list), wr->num_sge, (int)wr->opcode,
	    wr->send_flags);
	log_sges(wr->sg_list, wr->num_sge);
	if (wr->opcode == IBV_WR_RDMA_READ || wr->opcode == IBV_WR_RDMA_WRITE)
		LOG("    rdma remote_addr 0x%llx rkey 0x%x",
		    (unsigned long long)wr->wr.rdma.remote_addr,
		    wr->wr.rdma.rkey);
	if (q->qp_type == IBV_QPT_UD)
		LOG("    ud ah %s remote_qpn 0x%x remote_qkey 0x%x",
		    pn(wr->wr.ud.ah), wr->wr.ud.remote_qpn,
		    wr->wr.ud.remote_qkey);
	*bad = NULL;
	return take(&s_post);
}

static void log_recv_wr(const struct ibv_recv_wr *wr)
{
	LOG("    wr_id %s next %s sg_list %s num_sge %d",
	    pn((void *)(uintptr_t)wr->wr_id), pn(wr->next),
	    sgl_name(wr->sg_list), wr->num_sge);
	log_sges(wr->sg_list, wr->num_sge);
}

static int op_post_recv(struct ibv_qp *q, struct ibv_recv_wr *wr,
			struct ibv_recv_wr **bad)
{
	LOG("op post_recv(%s)", pn(q));
	log_recv_wr(wr);
	*bad = NULL;
	return take(&s_post);
}

static int op_post_srq_recv(struct ibv_srq *s, struct ibv_recv_wr *wr,
			    struct ibv_recv_wr **bad)
{
	LOG("op post_srq_recv(%s)", pn(s));
	log_recv_wr(wr);
	*bad = NULL;
	return take(&s_post);
}

static int op_poll_cq(struct ibv_cq *c, int n, struct ibv_wc *w)
{
	int ret = take(&s_poll);

	LOG("op poll_cq(%s, %d, %s) -> %d", pn(c), n, pn(w), ret);
	return ret;
}

static int op_req_notify_cq(struct ibv_cq *c, int solicited_only)
{
	int ret = take(&s_notify);

	LOG("op req_notify_cq(%s, %d) -> %d", pn(c), solicited_only, ret);
	return ret;
}

/* ------------------------------------------------------------------ */
/* stubs of the exported functions the helpers call                    */

struct ibv_mr *(ibv_reg_mr)(struct ibv_pd *p, void *addr, size_t length,
			    int access)
{
	LOG("ibv_reg_mr(%s, buf+%td, %zu, 0x%x)", pn(p), (char *)addr - buf,
	    length, access);
	return &mr2;
}

struct ibv_mr *ibv_reg_mr_iova2(struct ibv_pd *p, void *addr, size_t length,
				uint64_t iova, unsigned int access)
{
	LOG("ibv_reg_mr_iova2(%s, buf+%td, %zu, %s, 0x%x)", pn(p),
	    (char *)addr - buf, length,
	    iova == (uintptr_t)addr ? "iova=addr" : "iova=other", access);
	return &mr2;
}

int ibv_dereg_mr(struct ibv_mr *m)
{
	LOG("ibv_dereg_mr(%s)", pn(m));
	return take(&s_dereg);
}

int ibv_get_cq_event(struct ibv_comp_channel *ch, struct ibv_cq **c,
		     void **cq_context)
{
	int ret = take(&s_event);

	LOG("ibv_get_cq_event(%s) -> %d", pn(ch), ret);
	if (ret) {
		errno = EAGAIN;
		return ret;
	}
	*c = ev_cq;
	*cq_context = ev_ctx;
	return 0;
}

void ibv_ack_cq_events(struct ibv_cq *c, unsigned int nevents)
{
	LOG("ibv_ack_cq_events(%s, %u)", pn(c), nevents);
}

/* ------------------------------------------------------------------ */

static void setup(void)
{
	ctx.ops.post_send = op_post_send;
	ctx.ops.post_recv = op_post_recv;
	ctx.ops.post_srq_recv = op_post_srq_recv;
	ctx.ops.poll_cq = op_poll_cq;
	ctx.ops.req_notify_cq = op_req_notify_cq;

	pd.context = &ctx;
	qp.context = &ctx;
	qp.pd = &pd;
	qp.qp_type = IBV_QPT_RC;
	srq.context = &ctx;
	send_cq.context = &ctx;
	recv_cq.context = &ctx;
	other_cq.context = &ctx;
	send_ch.context = &ctx;
	recv_ch.context = &ctx;

	mr.context = &ctx;
	mr.pd = &pd;
	mr.addr = buf + 64;
	mr.length = 1024;
	mr.lkey = 0x1234;
	mr.rkey = 0x5678;

	id.verbs = &ctx;
	id.qp = &qp;
	id.pd = &pd;
	id.send_cq = &send_cq;
	id.recv_cq = &recv_cq;
	id.send_cq_channel = &send_ch;
	id.recv_cq_channel = &recv_ch;
	id.qp_type = IBV_QPT_RC;

	name_ptr(&ctx, "ctx");
	name_ptr(&pd, "pd");
	name_ptr(&qp, "qp");
	name_ptr(&srq, "srq");
	name_ptr(&send_cq, "send_cq");
	name_ptr(&recv_cq, "recv_cq");
	name_ptr(&other_cq, "other_cq");
	name_ptr(&send_ch, "send_ch");
	name_ptr(&recv_ch, "recv_ch");
	name_ptr(&mr, "mr");
	name_ptr(&mr2, "mr2");
	name_ptr(&ah, "ah");
	name_ptr(&id, "id");
	name_ptr(&other_id, "other_id");
	name_ptr(&wc, "wc");
	name_ptr(user_sgl, "user_sgl");
	name_ptr(buf, "buf");
	name_ptr(app_ctx, "app_ctx");
	name_ptr(mr_obj, "mr_obj");
}

static void reset(int post_ret)
{
	set_script(&s_post, post_ret, 0, NULL);
	set_script(&s_poll, 1, 0, NULL);
	set_script(&s_notify, 0, 0, NULL);
	set_script(&s_event, 0, 0, NULL);
	set_script(&s_dereg, post_ret, 0, NULL);
	ncalls = 0;
	errno = 4242;
}

static void result(int ret)
{
	LOG("=> %d errno %d", ret, errno);
}

static void run_post_helpers(int post_ret)
{
	printf("-- post helpers, verb returns %d\n", post_ret);

	user_sgl[0].addr = (uintptr_t)buf + 8;
	user_sgl[0].length = 16;
	user_sgl[0].lkey = 1;
	user_sgl[1].addr = (uintptr_t)buf + 100;
	user_sgl[1].length = 32;
	user_sgl[1].lkey = 2;

	printf("rdma_post_recvv (qp)\n");
	reset(post_ret);
	id.srq = NULL;
	result(rdma_post_recvv(&id, app_ctx, user_sgl, 2));
	printf("rdma_post_recvv (srq)\n");
	reset(post_ret);
	id.srq = &srq;
	result(rdma_post_recvv(&id, app_ctx, user_sgl, 2));
	id.srq = NULL;

	printf("rdma_post_sendv\n");
	reset(post_ret);
	result(rdma_post_sendv(&id, app_ctx, user_sgl, 2, IBV_SEND_SIGNALED));
	printf("rdma_post_readv\n");
	reset(post_ret);
	result(rdma_post_readv(&id, app_ctx, user_sgl, 1, IBV_SEND_FENCE,
			       0x1122334455667788ULL, 0xabcd));
	printf("rdma_post_writev\n");
	reset(post_ret);
	result(rdma_post_writev(&id, NULL, user_sgl, 2, 0, 0x99, 0xdcba));

	printf("rdma_post_recv (qp)\n");
	reset(post_ret);
	result(rdma_post_recv(&id, app_ctx, buf + 64, 1024, &mr));
	printf("rdma_post_recv (srq)\n");
	reset(post_ret);
	id.srq = &srq;
	result(rdma_post_recv(&id, app_ctx, buf + 100, 10, &mr));
	id.srq = NULL;

	printf("rdma_post_send\n");
	reset(post_ret);
	result(rdma_post_send(&id, app_ctx, buf + 70, 0x100000001ULL, &mr,
			      IBV_SEND_SIGNALED | IBV_SEND_SOLICITED));
	printf("rdma_post_send (no mr)\n");
	reset(post_ret);
	result(rdma_post_send(&id, app_ctx, buf, 12, NULL, IBV_SEND_INLINE));

	printf("rdma_post_read\n");
	reset(post_ret);
	result(rdma_post_read(&id, app_ctx, buf + 64, 40, &mr, 0, 0x4000,
			      0x77));
	printf("rdma_post_write\n");
	reset(post_ret);
	result(rdma_post_write(&id, app_ctx, buf + 64, 40, &mr,
			       IBV_SEND_SIGNALED, 0x5000, 0x88));
	printf("rdma_post_write (no mr)\n");
	reset(post_ret);
	result(rdma_post_write(&id, app_ctx, buf, 8, NULL, IBV_SEND_INLINE,
			       0x6000, 0x99));

	printf("rdma_post_ud_send\n");
	reset(post_ret);
	qp.qp_type = IBV_QPT_UD;
	result(rdma_post_ud_send(&id, app_ctx, buf + 64, 100, &mr,
				 IBV_SEND_SIGNALED, &ah, 0xabcdef));
	printf("rdma_post_ud_send (no mr)\n");
	reset(post_ret);
	result(rdma_post_ud_send(&id, NULL, buf, 4, NULL, 0, &ah, 7));
	qp.qp_type = IBV_QPT_RC;
}

static void run_mr_helpers(void)
{
	static const int rets[] = { 0, EINVAL, EBUSY };
	unsigned int i;

	printf("-- memory registration\n");
	reset(0);
	LOG("rdma_reg_msgs -> %s", pn(rdma_reg_msgs(&id, buf, 100)));
	LOG("rdma_reg_read -> %s", pn(rdma_reg_read(&id, buf + 1, 200)));
	LOG("rdma_reg_write -> %s", pn(rdma_reg_write(&id, buf + 2, 300)));
	for (i = 0; i < sizeof(rets) / sizeof(rets[0]); i++) {
		printf("rdma_dereg_mr, verb returns %d\n", rets[i]);
		reset(rets[i]);
		result(rdma_dereg_mr(&mr));
	}
	for (i = 0; i < 3; i++) {
		static const int v[] = { 0, EIO, -3 };

		printf("rdma_seterrno(%d)\n", v[i]);
		errno = 4242;
		result(rdma_seterrno(v[i]));
	}
}

struct comp_case {
	const char *what; /* first, so that it can go unnamed */
	int npoll;
	int poll[SCRIPT_LEN];
	int nnotify;
	int notify[SCRIPT_LEN];
	int nevent;
	int event[SCRIPT_LEN];
};

#define POLL(...) .poll = { __VA_ARGS__ }, .npoll = NARGS(__VA_ARGS__)
#define NOTIFY(...) .notify = { __VA_ARGS__ }, .nnotify = NARGS(__VA_ARGS__)
#define EVENT(...) .event = { __VA_ARGS__ }, .nevent = NARGS(__VA_ARGS__)
#define NARGS(...) (int)(sizeof((int[]){ __VA_ARGS__ }) / sizeof(int))

static const struct comp_case comp_cases[] = {
	{ "completion at once", POLL(1) },
	{ "two completions at once", POLL(2) },
	{ "completion after arming", POLL(0, 1) },
	{ "completion after an event", POLL(0, 0, 1) },
	{ "two events, then completion", POLL(0, 0, 0, 0, 1) },
	{ "poll error at once", POLL(-1) },
	{ "poll error -22 at once", POLL(-22) },
	{ "poll error after arming", POLL(0, -5) },
	{ "poll error after an event", POLL(0, 0, -2) },
	{ "arming fails", POLL(0), NOTIFY(EINVAL) },
	{ "arming fails later", POLL(0, 0, 0), NOTIFY(0, ENOMEM) },
	{ "event fails", POLL(0, 0), EVENT(-1) },
	{ "event fails later", POLL(0, 0, 0, 0), EVENT(0, -1) },
};

static void run_comp(const struct comp_case *c, int recv)
{
	reset(0);
	set_script(&s_poll, 1, c->npoll, c->poll);
	set_script(&s_notify, 0, c->nnotify, c->notify);
	set_script(&s_event, 0, c->nevent, c->event);
	ev_cq = recv ? &recv_cq : &send_cq;
	ev_ctx = &id;
	if (recv)
		result(rdma_get_recv_comp(&id, &wc));
	else
		result(rdma_get_send_comp(&id, &wc));
}

static void run_comp_helpers(void)
{
	unsigned int i;

	printf("-- completion helpers\n");
	for (i = 0; i < sizeof(comp_cases) / sizeof(comp_cases[0]); i++) {
		printf("rdma_get_send_comp: %s\n", comp_cases[i].what);
		run_comp(&comp_cases[i], 0);
		printf("rdma_get_recv_comp: %s\n", comp_cases[i].what);
		run_comp(&comp_cases[i], 1);
	}
}

/* Run fn in a child and report whether it returned or died (assert) */
static void in_child(const char *what, void (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		/* keep the child's trace out of the comparison */
		if (!freopen("/dev/null", "w", stdout) ||
		    !freopen("/dev/null", "w", stderr))
			_exit(2);
		fn();
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("waitpid");
		exit(2);
	}
	if (WIFEXITED(status))
		LOG("%s: exits %d", what, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		LOG("%s: killed by signal %d", what, WTERMSIG(status));
}

static void recv_below_mr(void)
{
	reset(0);
	rdma_post_recv(&id, NULL, buf + 63, 10, &mr);
}

static void recv_past_mr(void)
{
	reset(0);
	rdma_post_recv(&id, NULL, buf + 64 + 1000, 25, &mr);
}

static void recv_fills_mr(void)
{
	reset(0);
	rdma_post_recv(&id, NULL, buf + 64 + 1000, 24, &mr);
}

static void event_wrong_cq(void)
{
	static const int poll[] = { 0, 0 };

	reset(0);
	set_script(&s_poll, 1, 2, poll);
	ev_cq = &other_cq;
	ev_ctx = &id;
	rdma_get_send_comp(&id, &wc);
}

static void event_wrong_ctx(void)
{
	static const int poll[] = { 0, 0 };

	reset(0);
	set_script(&s_poll, 1, 2, poll);
	ev_cq = &recv_cq;
	ev_ctx = &other_id;
	rdma_get_recv_comp(&id, &wc);
}

static void run_asserts(void)
{
	printf("-- assertions\n");
	in_child("rdma_post_recv below the mr", recv_below_mr);
	in_child("rdma_post_recv past the mr", recv_past_mr);
	in_child("rdma_post_recv up to the mr's end", recv_fills_mr);
	in_child("rdma_get_send_comp, event on another cq", event_wrong_cq);
	in_child("rdma_get_recv_comp, event for another id", event_wrong_ctx);
}

static void run_cma_inlines(void)
{
	printf("-- rdma_cma.h\n");
	LOG("rdma_get_local_addr: id + %td",
	    (char *)rdma_get_local_addr(&id) - (char *)&id);
	LOG("rdma_get_peer_addr: id + %td",
	    (char *)rdma_get_peer_addr(&id) - (char *)&id);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup();
	run_cma_inlines();
	run_mr_helpers();
	run_post_helpers(0);
	run_post_helpers(EINVAL);
	run_post_helpers(-1);
	run_comp_helpers();
	run_asserts();
	return 0;
}
