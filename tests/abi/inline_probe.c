/*
 * Behavioural probe of the static inline functions and function-like
 * macros of <infiniband/verbs.h> and <infiniband/ib.h>.
 *
 * Distro binaries carry the inlines of the header they were built with, so
 * uroce's inlines must do exactly what rdma-core's do.  This file is built
 * twice, once against the system headers and once against uroce's, and run
 * each time; inline_check.py diffs the two traces.
 *
 * Every exported function the inlines may call is stubbed here, and a fake
 * struct verbs_context is set up whose operations only log their calls.
 * Each inline is then driven through legacy and extended contexts, with
 * operations present or missing, with every cut-off of verbs_context.sz,
 * and with the return values that change its control flow.  Pointers are
 * printed by name, never by address, so traces are comparable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <infiniband/verbs.h>
#include <infiniband/ib.h>

#include "probe_util.h"

/* what the fake operations return */
static int g_ret;
static void *g_retp;

/* ------------------------------------------------------------------ */
/* objects                                                             */

static struct verbs_context *vctx;
static struct ibv_context *ctx;
static struct ibv_device dev;
static struct ibv_pd pd, pd2;
static struct ibv_mr mr;
static struct ibv_mw mw;
static struct ibv_cq cq;
static struct ibv_cq_ex cqx;
static struct ibv_qp qp;
static struct ibv_qp_ex qpx;
static struct ibv_srq srq;
static struct ibv_wq wq;
static struct ibv_xrcd xrcd;
static struct ibv_flow flow;
static struct ibv_flow_action action;
static struct ibv_dm dm;
static struct ibv_td td;
static struct ibv_counters counters;
static struct ibv_rwq_ind_table ind_tbl;
static struct ibv_ah ah;
static char dummy_obj[4096];

/* ------------------------------------------------------------------ */
/* stubs for the exported functions the inlines call                   */

int(ibv_query_port)(struct ibv_context *context, uint8_t port_num,
		    struct _compat_ibv_port_attr *port_attr)
{
	LOG("ibv_query_port(%s, %u, %s) attr sum %lu", pn(context), port_num,
	    pn(port_attr), checksum(port_attr, sizeof(struct ibv_port_attr)));
	return g_ret;
}

int ibv_query_device(struct ibv_context *context,
		     struct ibv_device_attr *device_attr)
{
	LOG("ibv_query_device(%s, %s) attr_ex sum %lu", pn(context),
	    pn(device_attr),
	    checksum(device_attr, sizeof(struct ibv_device_attr_ex)));
	return g_ret;
}

int _ibv_query_gid_ex(struct ibv_context *context, uint32_t port_num,
		      uint32_t gid_index, struct ibv_gid_entry *entry,
		      uint32_t flags, size_t entry_size)
{
	LOG("_ibv_query_gid_ex(%s, %u, %u, %s, %u, %zu)", pn(context), port_num,
	    gid_index, pn(entry), flags, entry_size);
	return g_ret;
}

ssize_t _ibv_query_gid_table(struct ibv_context *context,
			     struct ibv_gid_entry *entries, size_t max_entries,
			     uint32_t flags, size_t entry_size)
{
	LOG("_ibv_query_gid_table(%s, %s, %zu, %u, %zu)", pn(context),
	    pn(entries), max_entries, flags, entry_size);
	return g_ret;
}

struct ibv_mr *ibv_reg_mr_iova2(struct ibv_pd *p, void *addr, size_t length,
				uint64_t iova, unsigned int access)
{
	LOG("ibv_reg_mr_iova2(%s, %s, %zu, %s, 0x%x)", pn(p), pn(addr), length,
	    iova == (uintptr_t)addr ? "iova=addr" : "iova=other", access);
	return g_retp;
}

struct ibv_mr *(ibv_reg_mr)(struct ibv_pd *p, void *addr, size_t length,
			    int access)
{
	LOG("ibv_reg_mr(%s, %s, %zu, 0x%x)", pn(p), pn(addr), length, access);
	return g_retp;
}

struct ibv_mr *(ibv_reg_mr_iova)(struct ibv_pd *p, void *addr, size_t length,
				 uint64_t iova, int access)
{
	LOG("ibv_reg_mr_iova(%s, %s, %zu, %llu, 0x%x)", pn(p), pn(addr), length,
	    (unsigned long long)iova, access);
	return g_retp;
}

struct ibv_srq *ibv_create_srq(struct ibv_pd *p, struct ibv_srq_init_attr *attr)
{
	LOG("ibv_create_srq(%s, %s)", pn(p), pn(attr));
	return g_retp;
}

struct ibv_qp *ibv_create_qp(struct ibv_pd *p, struct ibv_qp_init_attr *attr)
{
	LOG("ibv_create_qp(%s, %s)", pn(p), pn(attr));
	return g_retp;
}

/* ------------------------------------------------------------------ */
/* fake provider operations                                            */

static int op_query_port(struct ibv_context *c, uint8_t port,
			 struct ibv_port_attr *a, size_t len)
{
	LOG("op query_port(%s, %u, %s, %zu) attr sum %lu", pn(c), port, pn(a),
	    len, checksum(a, sizeof(*a)));
	return g_ret;
}

static int op_advise_mr(struct ibv_pd *p, enum ibv_advise_mr_advice advice,
			uint32_t flags, struct ibv_sge *sg, uint32_t n)
{
	LOG("op advise_mr(%s, %d, %u, %s, %u)", pn(p), (int)advice, flags,
	    pn(sg), n);
	return g_ret;
}

static struct ibv_mr *op_alloc_null_mr(struct ibv_pd *p)
{
	LOG("op alloc_null_mr(%s)", pn(p));
	return g_retp;
}

static int op_read_counters(struct ibv_counters *c, uint64_t *v, uint32_t n,
			    uint32_t flags)
{
	LOG("op read_counters(%s, %s, %u, %u)", pn(c), pn(v), n, flags);
	return g_ret;
}

static int op_attach_counters_point_flow(struct ibv_counters *c,
					 struct ibv_counter_attach_attr *a,
					 struct ibv_flow *f)
{
	LOG("op attach_counters_point_flow(%s, %s, %s)", pn(c), pn(a), pn(f));
	return g_ret;
}

static struct ibv_counters *op_create_counters(struct ibv_context *c,
					       struct ibv_counters_init_attr *a)
{
	LOG("op create_counters(%s, %s)", pn(c), pn(a));
	return g_retp;
}

static int op_destroy_counters(struct ibv_counters *c)
{
	LOG("op destroy_counters(%s)", pn(c));
	return g_ret;
}

static struct ibv_mr *op_reg_dm_mr(struct ibv_pd *p, struct ibv_dm *d,
				   uint64_t off, size_t len, unsigned int acc)
{
	LOG("op reg_dm_mr(%s, %s, %llu, %zu, 0x%x)", pn(p), pn(d),
	    (unsigned long long)off, len, acc);
	return g_retp;
}

static struct ibv_dm *op_alloc_dm(struct ibv_context *c,
				  struct ibv_alloc_dm_attr *a)
{
	LOG("op alloc_dm(%s, %s)", pn(c), pn(a));
	return g_retp;
}

static int op_free_dm(struct ibv_dm *d)
{
	LOG("op free_dm(%s)", pn(d));
	return g_ret;
}

static int op_modify_flow_action_esp(struct ibv_flow_action *a,
				     struct ibv_flow_action_esp_attr *e)
{
	LOG("op modify_flow_action_esp(%s, %s)", pn(a), pn(e));
	return g_ret;
}

static int op_destroy_flow_action(struct ibv_flow_action *a)
{
	LOG("op destroy_flow_action(%s)", pn(a));
	return g_ret;
}

static struct ibv_flow_action *
op_create_flow_action_esp(struct ibv_context *c,
			  struct ibv_flow_action_esp_attr *e)
{
	LOG("op create_flow_action_esp(%s, %s)", pn(c), pn(e));
	return g_retp;
}

static int op_modify_qp_rate_limit(struct ibv_qp *q,
				   struct ibv_qp_rate_limit_attr *a)
{
	LOG("op modify_qp_rate_limit(%s, %s)", pn(q), pn(a));
	return g_ret;
}

static struct ibv_pd *
op_alloc_parent_domain(struct ibv_context *c,
		       struct ibv_parent_domain_init_attr *a)
{
	LOG("op alloc_parent_domain(%s, %s)", pn(c), pn(a));
	return g_retp;
}

static int op_dealloc_td(struct ibv_td *t)
{
	LOG("op dealloc_td(%s)", pn(t));
	return g_ret;
}

static struct ibv_td *op_alloc_td(struct ibv_context *c,
				  struct ibv_td_init_attr *a)
{
	LOG("op alloc_td(%s, %s)", pn(c), pn(a));
	return g_retp;
}

static int op_modify_cq(struct ibv_cq *q, struct ibv_modify_cq_attr *a)
{
	LOG("op modify_cq(%s, %s)", pn(q), pn(a));
	return g_ret;
}

static int op_post_srq_ops(struct ibv_srq *s, struct ibv_ops_wr *op,
			   struct ibv_ops_wr **bad)
{
	LOG("op post_srq_ops(%s, %s, %s)", pn(s), pn(op), pn(bad));
	return g_ret;
}

static int op_destroy_rwq_ind_table(struct ibv_rwq_ind_table *t)
{
	LOG("op destroy_rwq_ind_table(%s)", pn(t));
	return g_ret;
}

static struct ibv_rwq_ind_table *
op_create_rwq_ind_table(struct ibv_context *c,
			struct ibv_rwq_ind_table_init_attr *a)
{
	LOG("op create_rwq_ind_table(%s, %s)", pn(c), pn(a));
	return g_retp;
}

static int op_destroy_wq(struct ibv_wq *w)
{
	LOG("op destroy_wq(%s)", pn(w));
	return g_ret;
}

static int op_modify_wq(struct ibv_wq *w, struct ibv_wq_attr *a)
{
	LOG("op modify_wq(%s, %s)", pn(w), pn(a));
	return g_ret;
}

static struct ibv_wq *op_create_wq(struct ibv_context *c,
				   struct ibv_wq_init_attr *a)
{
	LOG("op create_wq(%s, %s)", pn(c), pn(a));
	return g_retp ? &wq : NULL;
}

static int op_query_rt_values(struct ibv_context *c, struct ibv_values_ex *v)
{
	LOG("op query_rt_values(%s, %s)", pn(c), pn(v));
	return g_ret;
}

static struct ibv_cq_ex *op_create_cq_ex(struct ibv_context *c,
					 struct ibv_cq_init_attr_ex *a)
{
	LOG("op create_cq_ex(%s, %s)", pn(c), pn(a));
	return g_retp;
}

static int op_query_device_ex(struct ibv_context *c,
			      const struct ibv_query_device_ex_input *in,
			      struct ibv_device_attr_ex *a, size_t len)
{
	LOG("op query_device_ex(%s, %s, %s, %zu) attr sum %lu", pn(c), pn(in),
	    pn(a), len, checksum(a, sizeof(*a)));
	return g_ret;
}

static int op_ibv_destroy_flow(struct ibv_flow *f)
{
	LOG("op ibv_destroy_flow(%s)", pn(f));
	return g_ret;
}

static struct ibv_flow *op_ibv_create_flow(struct ibv_qp *q,
					   struct ibv_flow_attr *a)
{
	LOG("op ibv_create_flow(%s, %s)", pn(q), pn(a));
	return g_retp;
}

static struct ibv_qp *op_open_qp(struct ibv_context *c,
				 struct ibv_qp_open_attr *a)
{
	LOG("op open_qp(%s, %s)", pn(c), pn(a));
	return g_retp;
}

static struct ibv_qp *op_create_qp_ex(struct ibv_context *c,
				      struct ibv_qp_init_attr_ex *a)
{
	LOG("op create_qp_ex(%s, %s)", pn(c), pn(a));
	return g_retp;
}

static int op_get_srq_num(struct ibv_srq *s, uint32_t *n)
{
	LOG("op get_srq_num(%s, %s)", pn(s), pn(n));
	return g_ret;
}

static struct ibv_srq *op_create_srq_ex(struct ibv_context *c,
					struct ibv_srq_init_attr_ex *a)
{
	LOG("op create_srq_ex(%s, %s)", pn(c), pn(a));
	return g_retp;
}

static struct ibv_xrcd *op_open_xrcd(struct ibv_context *c,
				     struct ibv_xrcd_init_attr *a)
{
	LOG("op open_xrcd(%s, %s)", pn(c), pn(a));
	return g_retp;
}

static int op_close_xrcd(struct ibv_xrcd *x)
{
	LOG("op close_xrcd(%s)", pn(x));
	return g_ret;
}

/* legacy ibv_context_ops */

static struct ibv_mw *op_alloc_mw(struct ibv_pd *p, enum ibv_mw_type t)
{
	LOG("op alloc_mw(%s, %d)", pn(p), (int)t);
	return g_retp;
}

static int op_bind_mw(struct ibv_qp *q, struct ibv_mw *m, struct ibv_mw_bind *b)
{
	LOG("op bind_mw(%s, %s, %s)", pn(q), pn(m), pn(b));
	return g_ret;
}

static int op_dealloc_mw(struct ibv_mw *m)
{
	LOG("op dealloc_mw(%s)", pn(m));
	return g_ret;
}

static int op_poll_cq(struct ibv_cq *q, int n, struct ibv_wc *wc)
{
	LOG("op poll_cq(%s, %d, %s)", pn(q), n, pn(wc));
	return g_ret;
}

static int op_req_notify_cq(struct ibv_cq *q, int solicited)
{
	LOG("op req_notify_cq(%s, %d)", pn(q), solicited);
	return g_ret;
}

static int op_post_srq_recv(struct ibv_srq *s, struct ibv_recv_wr *wr,
			    struct ibv_recv_wr **bad)
{
	LOG("op post_srq_recv(%s, %s, %s)", pn(s), pn(wr), pn(bad));
	return g_ret;
}

static int op_post_send(struct ibv_qp *q, struct ibv_send_wr *wr,
			struct ibv_send_wr **bad)
{
	LOG("op post_send(%s, %s, %s)", pn(q), pn(wr), pn(bad));
	return g_ret;
}

static int op_post_recv(struct ibv_qp *q, struct ibv_recv_wr *wr,
			struct ibv_recv_wr **bad)
{
	LOG("op post_recv(%s, %s, %s)", pn(q), pn(wr), pn(bad));
	return g_ret;
}

static int op_wq_post_recv(struct ibv_wq *w, struct ibv_recv_wr *wr,
			   struct ibv_recv_wr **bad)
{
	LOG("op wq post_recv(%s, %s, %s)", pn(w), pn(wr), pn(bad));
	return g_ret;
}

/* device memory copies */

static int op_memcpy_to_dm(struct ibv_dm *d, uint64_t off, const void *host,
			   size_t len)
{
	LOG("op memcpy_to_dm(%s, %llu, %s, %zu)", pn(d),
	    (unsigned long long)off, pn(host), len);
	return g_ret;
}

static int op_memcpy_from_dm(void *host, struct ibv_dm *d, uint64_t off,
			     size_t len)
{
	LOG("op memcpy_from_dm(%s, %s, %llu, %zu)", pn(host), pn(d),
	    (unsigned long long)off, len);
	return g_ret;
}

/* ibv_qp_ex builders */

static void q_atomic_cmp_swp(struct ibv_qp_ex *q, uint32_t rkey, uint64_t ra,
			     uint64_t cmp, uint64_t swp)
{
	LOG("wr_atomic_cmp_swp(%s, %u, %llu, %llu, %llu)", pn(q), rkey,
	    (unsigned long long)ra, (unsigned long long)cmp,
	    (unsigned long long)swp);
}

static void q_atomic_fetch_add(struct ibv_qp_ex *q, uint32_t rkey, uint64_t ra,
			       uint64_t add)
{
	LOG("wr_atomic_fetch_add(%s, %u, %llu, %llu)", pn(q), rkey,
	    (unsigned long long)ra, (unsigned long long)add);
}

static void q_bind_mw(struct ibv_qp_ex *q, struct ibv_mw *m, uint32_t rkey,
		      const struct ibv_mw_bind_info *bi)
{
	LOG("wr_bind_mw(%s, %s, %u, %s)", pn(q), pn(m), rkey, pn(bi));
}

static void q_local_inv(struct ibv_qp_ex *q, uint32_t rkey)
{
	LOG("wr_local_inv(%s, %u)", pn(q), rkey);
}

static void q_rdma_read(struct ibv_qp_ex *q, uint32_t rkey, uint64_t ra)
{
	LOG("wr_rdma_read(%s, %u, %llu)", pn(q), rkey, (unsigned long long)ra);
}

static void q_rdma_write(struct ibv_qp_ex *q, uint32_t rkey, uint64_t ra)
{
	LOG("wr_rdma_write(%s, %u, %llu)", pn(q), rkey, (unsigned long long)ra);
}

static void q_rdma_write_imm(struct ibv_qp_ex *q, uint32_t rkey, uint64_t ra,
			     __be32 imm)
{
	LOG("wr_rdma_write_imm(%s, %u, %llu, %u)", pn(q), rkey,
	    (unsigned long long)ra, (unsigned int)imm);
}

static void q_send(struct ibv_qp_ex *q)
{
	LOG("wr_send(%s)", pn(q));
}

static void q_send_imm(struct ibv_qp_ex *q, __be32 imm)
{
	LOG("wr_send_imm(%s, %u)", pn(q), (unsigned int)imm);
}

static void q_send_inv(struct ibv_qp_ex *q, uint32_t rkey)
{
	LOG("wr_send_inv(%s, %u)", pn(q), rkey);
}

static void q_send_tso(struct ibv_qp_ex *q, void *hdr, uint16_t sz,
		       uint16_t mss)
{
	LOG("wr_send_tso(%s, %s, %u, %u)", pn(q), pn(hdr), sz, mss);
}

static void q_set_ud_addr(struct ibv_qp_ex *q, struct ibv_ah *a, uint32_t qpn,
			  uint32_t qkey)
{
	LOG("wr_set_ud_addr(%s, %s, %u, %u)", pn(q), pn(a), qpn, qkey);
}

static void q_set_xrc_srqn(struct ibv_qp_ex *q, uint32_t srqn)
{
	LOG("wr_set_xrc_srqn(%s, %u)", pn(q), srqn);
}

static void q_set_inline_data(struct ibv_qp_ex *q, void *addr, size_t len)
{
	LOG("wr_set_inline_data(%s, %s, %zu)", pn(q), pn(addr), len);
}

static void q_set_inline_data_list(struct ibv_qp_ex *q, size_t n,
				   const struct ibv_data_buf *l)
{
	LOG("wr_set_inline_data_list(%s, %zu, %s)", pn(q), n, pn(l));
}

static void q_set_sge(struct ibv_qp_ex *q, uint32_t lkey, uint64_t addr,
		      uint32_t len)
{
	LOG("wr_set_sge(%s, %u, %llu, %u)", pn(q), lkey,
	    (unsigned long long)addr, len);
}

static void q_set_sge_list(struct ibv_qp_ex *q, size_t n,
			   const struct ibv_sge *l)
{
	LOG("wr_set_sge_list(%s, %zu, %s)", pn(q), n, pn(l));
}

static void q_start(struct ibv_qp_ex *q)
{
	LOG("wr_start(%s)", pn(q));
}

static int q_complete(struct ibv_qp_ex *q)
{
	LOG("wr_complete(%s)", pn(q));
	return g_ret;
}

static void q_abort(struct ibv_qp_ex *q)
{
	LOG("wr_abort(%s)", pn(q));
}

static void q_atomic_write(struct ibv_qp_ex *q, uint32_t rkey, uint64_t ra,
			   const void *wr)
{
	LOG("wr_atomic_write(%s, %u, %llu, %s)", pn(q), rkey,
	    (unsigned long long)ra, pn(wr));
}

/* ibv_cq_ex pollers */

static int c_start_poll(struct ibv_cq_ex *c, struct ibv_poll_cq_attr *a)
{
	LOG("start_poll(%s, %s)", pn(c), pn(a));
	return g_ret;
}

static int c_next_poll(struct ibv_cq_ex *c)
{
	LOG("next_poll(%s)", pn(c));
	return g_ret;
}

static void c_end_poll(struct ibv_cq_ex *c)
{
	LOG("end_poll(%s)", pn(c));
}

static enum ibv_wc_opcode c_read_opcode(struct ibv_cq_ex *c)
{
	LOG("read_opcode(%s)", pn(c));
	return IBV_WC_RECV_RDMA_WITH_IMM;
}

#define READER(fn, type, val)                   \
	static type c_##fn(struct ibv_cq_ex *c) \
	{                                       \
		LOG(#fn "(%s)", pn(c));         \
		return (type)(val);             \
	}
READER(read_vendor_err, uint32_t, 11)
READER(read_byte_len, uint32_t, 12)
READER(read_imm_data, __be32, 0x01020304)
READER(read_qp_num, uint32_t, 14)
READER(read_src_qp, uint32_t, 15)
READER(read_wc_flags, unsigned int, 16)
READER(read_slid, uint32_t, 17)
READER(read_sl, uint8_t, 18)
READER(read_dlid_path_bits, uint8_t, 19)
READER(read_completion_ts, uint64_t, 0x123456789ULL)
READER(read_cvlan, uint16_t, 21)
READER(read_flow_tag, uint32_t, 22)
READER(read_completion_wallclock_ns, uint64_t, 0x987654321ULL)

static void c_read_tm_info(struct ibv_cq_ex *c, struct ibv_wc_tm_info *ti)
{
	LOG("read_tm_info(%s, %s)", pn(c), pn(ti));
	ti->tag = 99;
	ti->priv = 98;
}

/* ------------------------------------------------------------------ */
/* set-up                                                              */

static void setup_objects(void)
{
	vctx = calloc(1, sizeof(*vctx));
	ctx = &vctx->context;
	name_ptr(vctx, "vctx");
	name_ptr(ctx, "ctx");
	name_ptr(&dev, "dev");
	ctx->device = &dev;

	ctx->ops.alloc_mw = op_alloc_mw;
	ctx->ops.bind_mw = op_bind_mw;
	ctx->ops.dealloc_mw = op_dealloc_mw;
	ctx->ops.poll_cq = op_poll_cq;
	ctx->ops.req_notify_cq = op_req_notify_cq;
	ctx->ops.post_srq_recv = op_post_srq_recv;
	ctx->ops.post_send = op_post_send;
	ctx->ops.post_recv = op_post_recv;

#define OBJ(o)                    \
	do {                      \
		name_ptr(&o, #o); \
		o.context = ctx;  \
	} while (0)
	OBJ(pd);
	OBJ(pd2);
	OBJ(mr);
	OBJ(mw);
	OBJ(cq);
	OBJ(cqx);
	OBJ(qp);
	OBJ(srq);
	OBJ(wq);
	OBJ(xrcd);
	OBJ(flow);
	OBJ(action);
	OBJ(dm);
	OBJ(td);
	OBJ(counters);
	OBJ(ind_tbl);
	OBJ(ah);
	name_ptr(&qpx, "qpx");
	qpx.qp_base.context = ctx;
	name_ptr(dummy_obj, "dummy");
	mr.pd = &pd;
	mw.pd = &pd;
	wq.post_recv = op_wq_post_recv;
	dm.memcpy_to_dm = op_memcpy_to_dm;
	dm.memcpy_from_dm = op_memcpy_from_dm;

	qpx.wr_atomic_cmp_swp = q_atomic_cmp_swp;
	qpx.wr_atomic_fetch_add = q_atomic_fetch_add;
	qpx.wr_bind_mw = q_bind_mw;
	qpx.wr_local_inv = q_local_inv;
	qpx.wr_rdma_read = q_rdma_read;
	qpx.wr_rdma_write = q_rdma_write;
	qpx.wr_rdma_write_imm = q_rdma_write_imm;
	qpx.wr_send = q_send;
	qpx.wr_send_imm = q_send_imm;
	qpx.wr_send_inv = q_send_inv;
	qpx.wr_send_tso = q_send_tso;
	qpx.wr_set_ud_addr = q_set_ud_addr;
	qpx.wr_set_xrc_srqn = q_set_xrc_srqn;
	qpx.wr_set_inline_data = q_set_inline_data;
	qpx.wr_set_inline_data_list = q_set_inline_data_list;
	qpx.wr_set_sge = q_set_sge;
	qpx.wr_set_sge_list = q_set_sge_list;
	qpx.wr_start = q_start;
	qpx.wr_complete = q_complete;
	qpx.wr_abort = q_abort;
	qpx.wr_atomic_write = q_atomic_write;

	cqx.start_poll = c_start_poll;
	cqx.next_poll = c_next_poll;
	cqx.end_poll = c_end_poll;
	cqx.read_opcode = c_read_opcode;
	cqx.read_vendor_err = c_read_vendor_err;
	cqx.read_byte_len = c_read_byte_len;
	cqx.read_imm_data = c_read_imm_data;
	cqx.read_qp_num = c_read_qp_num;
	cqx.read_src_qp = c_read_src_qp;
	cqx.read_wc_flags = c_read_wc_flags;
	cqx.read_slid = c_read_slid;
	cqx.read_sl = c_read_sl;
	cqx.read_dlid_path_bits = c_read_dlid_path_bits;
	cqx.read_completion_ts = c_read_completion_ts;
	cqx.read_cvlan = c_read_cvlan;
	cqx.read_flow_tag = c_read_flow_tag;
	cqx.read_tm_info = c_read_tm_info;
	cqx.read_completion_wallclock_ns = c_read_completion_wallclock_ns;
}

static void set_ext_ops(int on)
{
#define SETOP(f) (vctx->f = on ? op_##f : NULL)
	SETOP(query_port);
	SETOP(advise_mr);
	SETOP(alloc_null_mr);
	SETOP(read_counters);
	SETOP(attach_counters_point_flow);
	SETOP(create_counters);
	SETOP(destroy_counters);
	SETOP(reg_dm_mr);
	SETOP(alloc_dm);
	SETOP(free_dm);
	SETOP(modify_flow_action_esp);
	SETOP(destroy_flow_action);
	SETOP(create_flow_action_esp);
	SETOP(modify_qp_rate_limit);
	SETOP(alloc_parent_domain);
	SETOP(dealloc_td);
	SETOP(alloc_td);
	SETOP(modify_cq);
	SETOP(post_srq_ops);
	SETOP(destroy_rwq_ind_table);
	SETOP(create_rwq_ind_table);
	SETOP(destroy_wq);
	SETOP(modify_wq);
	SETOP(create_wq);
	SETOP(query_rt_values);
	SETOP(create_cq_ex);
	SETOP(query_device_ex);
	SETOP(ibv_destroy_flow);
	SETOP(ibv_create_flow);
	SETOP(open_qp);
	SETOP(create_qp_ex);
	SETOP(get_srq_num);
	SETOP(create_srq_ex);
	SETOP(open_xrcd);
	SETOP(close_xrcd);
#undef SETOP
}

/* ------------------------------------------------------------------ */
/* exercising the inlines                                              */

#define RI(expr)                                             \
	do {                                                 \
		long long r_;                                \
		errno = 0;                                   \
		r_ = (long long)(expr);                      \
		LOG("%s = %lld errno %d", #expr, r_, errno); \
	} while (0)

#define RP(expr)                                               \
	do {                                                   \
		const void *r_;                                \
		errno = 0;                                     \
		r_ = (expr);                                   \
		LOG("%s = %s errno %d", #expr, pn(r_), errno); \
	} while (0)

static void run_context_inlines(int extended)
{
	struct ibv_port_attr pattr;
	struct ibv_device_attr_ex dattr;
	struct ibv_query_device_ex_input in = { 0 };
	struct ibv_gid_entry gent[2];
	struct ibv_flow_attr fattr;
	struct ibv_flow_action_esp_attr esp;
	struct ibv_xrcd_init_attr xattr;
	struct ibv_sge sge;
	struct ibv_alloc_dm_attr dmattr;
	struct ibv_cq_init_attr_ex cqattr;
	struct ibv_modify_cq_attr mcq;
	struct ibv_srq_init_attr_ex srqattr;
	struct ibv_ops_wr opwr, *badop;
	uint32_t srqn;
	struct ibv_qp_init_attr_ex qpattr;
	struct ibv_td_init_attr tdattr;
	struct ibv_parent_domain_init_attr pdattr;
	struct ibv_values_ex values;
	struct ibv_qp_open_attr oqattr;
	struct ibv_qp_rate_limit_attr rl;
	struct ibv_wq_init_attr wqattr;
	struct ibv_wq_attr wqmod;
	struct ibv_rwq_ind_table_init_attr itattr;
	struct ibv_counters_init_attr cattr;
	struct ibv_counter_attach_attr caattr;
	uint64_t cvals[4];
	int base = nnames;
	unsigned int i;
	static const uint32_t srq_masks[] = {
		0,
		IBV_SRQ_INIT_ATTR_PD,
		IBV_SRQ_INIT_ATTR_TYPE,
		IBV_SRQ_INIT_ATTR_PD | IBV_SRQ_INIT_ATTR_TYPE,
		IBV_SRQ_INIT_ATTR_PD | IBV_SRQ_INIT_ATTR_CQ,
		IBV_SRQ_INIT_ATTR_PD | IBV_SRQ_INIT_ATTR_XRCD,
	};
	static const uint32_t qp_masks[] = {
		0,
		IBV_QP_INIT_ATTR_PD,
		IBV_QP_INIT_ATTR_XRCD,
		IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_CREATE_FLAGS,
	};

	name_ptr(&pattr, "port_attr");
	name_ptr(&dattr, "dev_attr_ex");
	name_ptr(&dattr.orig_attr, "dev_attr_ex");
	name_ptr(&in, "ex_input");
	name_ptr(gent, "gid_entries");
	name_ptr(&fattr, "flow_attr");
	name_ptr(&esp, "esp_attr");
	name_ptr(&xattr, "xrcd_attr");
	name_ptr(&sge, "sge");
	name_ptr(&dmattr, "dm_attr");
	name_ptr(&cqattr, "cq_attr");
	name_ptr(&mcq, "modify_cq_attr");
	name_ptr(&srqattr, "srq_attr");
	name_ptr(&opwr, "ops_wr");
	name_ptr(&badop, "bad_op");
	name_ptr(&srqn, "srqn");
	name_ptr(&qpattr, "qp_attr");
	name_ptr(&tdattr, "td_attr");
	name_ptr(&pdattr, "pd_attr");
	name_ptr(&values, "values");
	name_ptr(&oqattr, "open_qp_attr");
	name_ptr(&rl, "rate_limit_attr");
	name_ptr(&wqattr, "wq_attr");
	name_ptr(&wqmod, "wq_mod_attr");
	name_ptr(&itattr, "ind_tbl_attr");
	name_ptr(&cattr, "counters_attr");
	name_ptr(&caattr, "counter_attach_attr");
	name_ptr(cvals, "counter_values");

	RP(verbs_get_ctx(ctx));

	memset(&pattr, 0xa5, sizeof(pattr));
	RI(ibv_query_port(ctx, 3, &pattr));
	LOG("port_attr sum after %lu", checksum(&pattr, sizeof(pattr)));

	in.comp_mask = 1;
	RI(ibv_query_device_ex(ctx, &in, &dattr));
	in.comp_mask = 0;
	memset(&dattr, 0x5a, sizeof(dattr));
	RI(ibv_query_device_ex(ctx, &in, &dattr));
	LOG("dev_attr_ex sum after %lu", checksum(&dattr, sizeof(dattr)));
	memset(&dattr, 0x5a, sizeof(dattr));
	RI(ibv_query_device_ex(ctx, NULL, &dattr));
	LOG("dev_attr_ex sum after %lu", checksum(&dattr, sizeof(dattr)));

	RI(ibv_query_gid_ex(ctx, 1, 7, gent, 0));
	RI(ibv_query_gid_table(ctx, gent, 2, 0));

	RP(ibv_create_flow(&qp, &fattr));
	RI(ibv_destroy_flow(&flow));
	RP(ibv_create_flow_action_esp(ctx, &esp));
	RI(ibv_modify_flow_action_esp(&action, &esp));
	RI(ibv_destroy_flow_action(&action));
	RP(ibv_open_xrcd(ctx, &xattr));
	if (extended && vctx->close_xrcd)
		RI(ibv_close_xrcd(&xrcd));

	RI(ibv_advise_mr(&pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, 1, &sge, 1));
	RP(ibv_alloc_dm(ctx, &dmattr));
	RI(ibv_free_dm(&dm));
	RP(ibv_alloc_null_mr(&pd));
	RP(ibv_reg_dm_mr(&pd, &dm, 64, 128, IBV_ACCESS_LOCAL_WRITE));
	RP(ibv_create_cq_ex(ctx, &cqattr));
	RI(ibv_modify_cq(&cq, &mcq));

	for (i = 0; i < sizeof(srq_masks) / sizeof(srq_masks[0]); i++) {
		srqattr.comp_mask = srq_masks[i];
		srqattr.pd = &pd;
		srqattr.srq_type = IBV_SRQT_BASIC;
		LOG("srq comp_mask 0x%x basic", srq_masks[i]);
		RP(ibv_create_srq_ex(ctx, &srqattr));
		srqattr.srq_type = IBV_SRQT_XRC;
		LOG("srq comp_mask 0x%x xrc", srq_masks[i]);
		RP(ibv_create_srq_ex(ctx, &srqattr));
	}
	RI(ibv_get_srq_num(&srq, &srqn));
	badop = NULL;
	RI(ibv_post_srq_ops(&srq, &opwr, &badop));
	LOG("bad_op -> %s", pn(badop));

	for (i = 0; i < sizeof(qp_masks) / sizeof(qp_masks[0]); i++) {
		qpattr.comp_mask = qp_masks[i];
		qpattr.pd = &pd;
		LOG("qp comp_mask 0x%x", qp_masks[i]);
		RP(ibv_create_qp_ex(ctx, &qpattr));
	}

	RP(ibv_alloc_td(ctx, &tdattr));
	RI(ibv_dealloc_td(&td));
	RP(ibv_alloc_parent_domain(ctx, &pdattr));
	RI(ibv_query_rt_values_ex(ctx, &values));
	RP(ibv_open_qp(ctx, &oqattr));
	RI(ibv_modify_qp_rate_limit(&qp, &rl));

	wqattr.wq_context = dummy_obj;
	wq.wq_context = NULL;
	wq.events_completed = 77;
	RP(ibv_create_wq(ctx, &wqattr));
	LOG("wq_context %s events_completed %u", pn(wq.wq_context),
	    wq.events_completed);
	RI(ibv_modify_wq(&wq, &wqmod));
	RI(ibv_destroy_wq(&wq));
	RP(ibv_create_rwq_ind_table(ctx, &itattr));
	RI(ibv_destroy_rwq_ind_table(&ind_tbl));

	RP(ibv_create_counters(ctx, &cattr));
	RI(ibv_destroy_counters(&counters));
	RI(ibv_attach_counters_point_flow(&counters, &caattr, &flow));
	RI(ibv_read_counters(&counters, cvals, 4, 1));
	nnames = base;
}

static void run_plain_inlines(void)
{
	struct ibv_wc wc;
	struct ibv_send_wr swr, *bad_swr;
	struct ibv_recv_wr rwr, *bad_rwr;
	struct ibv_mw_bind bind;
	struct ibv_mw_bind_info bi;
	struct ibv_data_buf dbuf;
	struct ibv_sge sge;
	struct ibv_poll_cq_attr pattr;
	struct ibv_wc_tm_info tm;
	struct ib_addr a, b;
	volatile unsigned int acc;
	static const uint32_t rkeys[] = { 0,	      1,	 0xfe,
					  0xff,	      0x100,	 0x12345678,
					  0x123456ff, 0xffffffff };
	static const uint32_t labels[] = {
		0, 1, 0x3fff, 0x4000, 0xfc000, 0xfffff, 0x12345, 0xffffffff
	};
	unsigned int i;

	memset(&wc, 0, sizeof(wc));
	memset(&swr, 0, sizeof(swr));
	memset(&rwr, 0, sizeof(rwr));
	memset(&bind, 0, sizeof(bind));
	memset(&bi, 0, sizeof(bi));
	memset(&dbuf, 0, sizeof(dbuf));
	memset(&sge, 0, sizeof(sge));
	memset(&pattr, 0, sizeof(pattr));
	name_ptr(&wc, "wc");
	name_ptr(&swr, "send_wr");
	name_ptr(&bad_swr, "bad_send_wr");
	name_ptr(&rwr, "recv_wr");
	name_ptr(&bad_rwr, "bad_recv_wr");
	name_ptr(&bind, "mw_bind");
	name_ptr(&bi, "bind_info");
	name_ptr(&dbuf, "data_buf");
	name_ptr(&sge, "sge");
	name_ptr(&pattr, "poll_attr");
	name_ptr(&tm, "tm_info");

	printf("== data path\n");
	RI(ibv_poll_cq(&cq, 16, &wc));
	RI(ibv_req_notify_cq(&cq, 1));
	RI(ibv_post_send(&qp, &swr, &bad_swr));
	RI(ibv_post_recv(&qp, &rwr, &bad_rwr));
	RI(ibv_post_srq_recv(&srq, &rwr, &bad_rwr));
	RI(ibv_post_wq_recv(&wq, &rwr, &bad_rwr));

	printf("== memory windows\n");
	RP(ibv_alloc_mw(&pd, IBV_MW_TYPE_2));
	ctx->ops.alloc_mw = NULL;
	RP(ibv_alloc_mw(&pd, IBV_MW_TYPE_1));
	ctx->ops.alloc_mw = op_alloc_mw;
	RI(ibv_dealloc_mw(&mw));
	for (i = 0; i < sizeof(rkeys) / sizeof(rkeys[0]); i++)
		LOG("ibv_inc_rkey(0x%x) = 0x%x", rkeys[i],
		    ibv_inc_rkey(rkeys[i]));
	{
		static const struct {
			enum ibv_mw_type type;
			int has_mr, other_pd;
			uint64_t addr, length;
		} cases[] = {
			{ IBV_MW_TYPE_2, 1, 0, 0, 0 },
			{ IBV_MW_TYPE_1, 0, 0, 0, 0 },
			{ IBV_MW_TYPE_1, 0, 0, 1, 0 },
			{ IBV_MW_TYPE_1, 0, 0, 0, 1 },
			{ IBV_MW_TYPE_1, 1, 0, 8, 8 },
			{ IBV_MW_TYPE_1, 1, 1, 8, 8 },
		};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			mw.type = cases[i].type;
			bind.bind_info.mr = cases[i].has_mr ? &mr : NULL;
			mr.pd = cases[i].other_pd ? &pd2 : &pd;
			bind.bind_info.addr = cases[i].addr;
			bind.bind_info.length = cases[i].length;
			LOG("bind case %u", i);
			RI(ibv_bind_mw(&qp, &mw, &bind));
		}
		mr.pd = &pd;
	}

	printf("== memory registration\n");
	RP(ibv_reg_mr(&pd, dummy_obj, 4096, IBV_ACCESS_LOCAL_WRITE));
	RP(ibv_reg_mr(&pd, dummy_obj, 4096, 0));
	RP(ibv_reg_mr(&pd, dummy_obj, 4096,
		      IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_RELAXED_ORDERING));
	acc = IBV_ACCESS_REMOTE_READ;
	RP(ibv_reg_mr(&pd, dummy_obj, 4096, acc));
	RP(ibv_reg_mr_iova(&pd, dummy_obj, 4096, 0x1000,
			   IBV_ACCESS_LOCAL_WRITE));
	RP(ibv_reg_mr_iova(&pd, dummy_obj, 4096, 0x1000,
			   IBV_ACCESS_RELAXED_ORDERING));
	RP(ibv_reg_mr_iova(&pd, dummy_obj, 4096, 0x1000, acc));

	printf("== device memory\n");
	RI(ibv_memcpy_to_dm(&dm, 8, dummy_obj, 16));
	RI(ibv_memcpy_from_dm(dummy_obj, &dm, 8, 16));

	printf("== extended QP\n");
	ibv_wr_atomic_cmp_swp(&qpx, 1, 2, 3, 4);
	ibv_wr_atomic_fetch_add(&qpx, 1, 2, 3);
	ibv_wr_bind_mw(&qpx, &mw, 5, &bi);
	ibv_wr_local_inv(&qpx, 6);
	ibv_wr_rdma_read(&qpx, 7, 8);
	ibv_wr_rdma_write(&qpx, 9, 10);
	ibv_wr_rdma_write_imm(&qpx, 11, 12, 13);
	ibv_wr_send(&qpx);
	ibv_wr_send_imm(&qpx, 14);
	ibv_wr_send_inv(&qpx, 15);
	ibv_wr_send_tso(&qpx, dummy_obj, 16, 17);
	ibv_wr_set_ud_addr(&qpx, &ah, 18, 19);
	ibv_wr_set_xrc_srqn(&qpx, 20);
	ibv_wr_set_inline_data(&qpx, dummy_obj, 21);
	ibv_wr_set_inline_data_list(&qpx, 1, &dbuf);
	ibv_wr_set_sge(&qpx, 22, 23, 24);
	ibv_wr_set_sge_list(&qpx, 1, &sge);
	ibv_wr_start(&qpx);
	RI(ibv_wr_complete(&qpx));
	ibv_wr_abort(&qpx);
	ibv_wr_atomic_write(&qpx, 25, 26, dummy_obj);

	printf("== extended CQ\n");
	RP(ibv_cq_ex_to_cq(&cqx));
	RI(ibv_start_poll(&cqx, &pattr));
	RI(ibv_next_poll(&cqx));
	ibv_end_poll(&cqx);
	RI(ibv_wc_read_opcode(&cqx));
	RI(ibv_wc_read_vendor_err(&cqx));
	RI(ibv_wc_read_byte_len(&cqx));
	RI(ibv_wc_read_imm_data(&cqx));
	RI(ibv_wc_read_invalidated_rkey(&cqx));
	RI(ibv_wc_read_qp_num(&cqx));
	RI(ibv_wc_read_src_qp(&cqx));
	RI(ibv_wc_read_wc_flags(&cqx));
	RI(ibv_wc_read_slid(&cqx));
	RI(ibv_wc_read_sl(&cqx));
	RI(ibv_wc_read_dlid_path_bits(&cqx));
	RI(ibv_wc_read_completion_ts(&cqx));
	RI(ibv_wc_read_completion_wallclock_ns(&cqx));
	RI(ibv_wc_read_cvlan(&cqx));
	RI(ibv_wc_read_flow_tag(&cqx));
	ibv_wc_read_tm_info(&cqx, &tm);
	LOG("tm_info %llu %u", (unsigned long long)tm.tag, tm.priv);

	printf("== helpers\n");
	for (i = 0; i < 32; i++)
		LOG("ibv_is_qpt_supported(0x%x, %u) = %d", 1u << i, i,
		    ibv_is_qpt_supported(1u << i, (enum ibv_qp_type)i));
	LOG("ibv_is_qpt_supported(0x114, RC) = %d",
	    ibv_is_qpt_supported(0x114, IBV_QPT_RC));
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		LOG("ibv_flow_label_to_udp_sport(0x%x) = 0x%x", labels[i],
		    ibv_flow_label_to_udp_sport(labels[i]));
	LOG("vext_field_avail(ibv_wc, sl, 40) = %d",
	    (int)vext_field_avail(struct ibv_wc, sl, 40));
	LOG("vext_field_avail(ibv_wc, sl, 41) = %d",
	    (int)vext_field_avail(struct ibv_wc, sl, 41));

	printf("== ib.h\n");
	memset(&a, 0, sizeof(a));
	LOG("any(zero) %d loopback(zero) %d", ib_addr_any(&a),
	    ib_addr_loopback(&a));
	ib_addr_set(&a, 0, 0, 0, htobe32(1));
	LOG("any(::1) %d loopback(::1) %d", ib_addr_any(&a),
	    ib_addr_loopback(&a));
	ib_addr_set(&b, htobe32(0xfe800000), 0, htobe32(2), htobe32(3));
	LOG("any(b) %d loopback(b) %d cmp(a,b)<0 %d cmp(a,a) %d",
	    ib_addr_any(&b), ib_addr_loopback(&b), ib_addr_cmp(&a, &b) < 0,
	    ib_addr_cmp(&a, &a));
	LOG("sib_subnet_prefix %llx sib_interface_id %llx raw[3] %u",
	    (unsigned long long)be64toh(b.sib_subnet_prefix),
	    (unsigned long long)be64toh(b.sib_interface_id), b.sib_raw[3]);
}

/* verbs_context members that verbs_get_ctx_op() may be asked about */
#define VOFF(f)                                       \
	{                                             \
#f, offsetof(struct verbs_context, f) \
	}
static const struct {
	const char *name;
	size_t off;
} vmembers[] = {
	VOFF(query_port),
	VOFF(advise_mr),
	VOFF(alloc_null_mr),
	VOFF(read_counters),
	VOFF(attach_counters_point_flow),
	VOFF(create_counters),
	VOFF(destroy_counters),
	VOFF(reg_dm_mr),
	VOFF(alloc_dm),
	VOFF(free_dm),
	VOFF(modify_flow_action_esp),
	VOFF(destroy_flow_action),
	VOFF(create_flow_action_esp),
	VOFF(modify_qp_rate_limit),
	VOFF(alloc_parent_domain),
	VOFF(dealloc_td),
	VOFF(alloc_td),
	VOFF(modify_cq),
	VOFF(post_srq_ops),
	VOFF(destroy_rwq_ind_table),
	VOFF(create_rwq_ind_table),
	VOFF(destroy_wq),
	VOFF(modify_wq),
	VOFF(create_wq),
	VOFF(query_rt_values),
	VOFF(create_cq_ex),
	VOFF(query_device_ex),
	VOFF(ibv_destroy_flow),
	VOFF(ibv_create_flow),
	VOFF(open_qp),
	VOFF(create_qp_ex),
	VOFF(get_srq_num),
	VOFF(create_srq_ex),
	VOFF(open_xrcd),
	VOFF(close_xrcd),
	VOFF(sz),
};

int main(void)
{
	static const int rets[] = { 0, EOPNOTSUPP, ENOSYS, EINVAL, -1 };
	unsigned int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	setup_objects();

	printf("== legacy context\n");
	ctx->abi_compat = NULL;
	g_ret = 0;
	g_retp = dummy_obj;
	run_context_inlines(0);

	ctx->abi_compat = __VERBS_ABI_IS_EXTENDED;
	for (i = 0; i < sizeof(rets) / sizeof(rets[0]); i++) {
		printf("== extended context, full sz, ret %d\n", rets[i]);
		vctx->sz = sizeof(*vctx);
		set_ext_ops(1);
		g_ret = rets[i];
		g_retp = rets[i] ? NULL : dummy_obj;
		run_context_inlines(1);
	}

	printf("== extended context, no extended ops\n");
	set_ext_ops(0);
	g_ret = 0;
	g_retp = dummy_obj;
	run_context_inlines(1);

	set_ext_ops(1);
	for (i = 0; i < sizeof(vmembers) / sizeof(vmembers[0]); i++) {
		size_t need = sizeof(*vctx) - vmembers[i].off;

		printf("== extended context, sz just covers %s\n",
		       vmembers[i].name);
		vctx->sz = need;
		run_context_inlines(1);
		printf("== extended context, sz one short of %s\n",
		       vmembers[i].name);
		vctx->sz = need - 1;
		run_context_inlines(1);
	}

	vctx->sz = sizeof(*vctx);
	g_ret = 0;
	g_retp = dummy_obj;
	run_plain_inlines();
	return 0;
}
