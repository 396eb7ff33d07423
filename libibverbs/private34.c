// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rdma-core's provider interface, IBVERBS_PRIVATE_34, as far as binaries
 * need it to load. Debian's perftest links libmlx5 and libefa directly;
 * their constructors register drivers and their code imports the kernel
 * command helpers (ibv_cmd_*), so the dynamic linker refuses to start the
 * program unless every one of those symbols resolves.
 *
 * uroce drives no kernel device: a foreign driver's registration is noted
 * and ignored, so it is never matched to a device and none of its contexts
 * exists. The command helpers can therefore only be reached by a foreign
 * provider's code called on a uroce object (for example mlx5dv_* on a
 * uroce context); they refuse with EOPNOTSUPP, as a provider without the
 * feature does.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ibverbs.h"
#include "util/log.h"

/* rdma-core reads this before destroying objects of a removed device. */
bool verbs_allow_disassociate_destroy;

/* The head of rdma-core's struct verbs_device_ops: the driver's name. */
struct foreign_driver_ops {
	const char *name;
};

void verbs_register_driver_34(const struct foreign_driver_ops *ops)
{
	uroce_dbg("ignoring provider %s: uroce serves only its own devices",
		  ops && ops->name ? ops->name : "(unnamed)");
}

static int foreign_call(const char *name)
{
	uroce_warn("%s: rdma-core kernel command on a uroce object refused",
		   name);
	return EOPNOTSUPP;
}

#define FOREIGN_CMD(name)                   \
	int name(void);                     \
	int name(void)                      \
	{                                   \
		return foreign_call(#name); \
	}

FOREIGN_CMD(execute_ioctl)
FOREIGN_CMD(ibv_cmd_advise_mr)
FOREIGN_CMD(ibv_cmd_alloc_dm)
FOREIGN_CMD(ibv_cmd_alloc_mw)
FOREIGN_CMD(ibv_cmd_alloc_pd)
FOREIGN_CMD(ibv_cmd_attach_mcast)
FOREIGN_CMD(ibv_cmd_close_xrcd)
FOREIGN_CMD(ibv_cmd_create_ah)
FOREIGN_CMD(ibv_cmd_create_counters)
FOREIGN_CMD(ibv_cmd_create_cq)
FOREIGN_CMD(ibv_cmd_create_cq_ex)
FOREIGN_CMD(ibv_cmd_create_flow)
FOREIGN_CMD(ibv_cmd_create_flow_action_esp)
FOREIGN_CMD(ibv_cmd_create_qp)
FOREIGN_CMD(ibv_cmd_create_qp_ex)
FOREIGN_CMD(ibv_cmd_create_qp_ex2)
FOREIGN_CMD(ibv_cmd_create_rwq_ind_table)
FOREIGN_CMD(ibv_cmd_create_srq)
FOREIGN_CMD(ibv_cmd_create_srq_ex)
FOREIGN_CMD(ibv_cmd_create_wq)
FOREIGN_CMD(ibv_cmd_dealloc_mw)
FOREIGN_CMD(ibv_cmd_dealloc_pd)
FOREIGN_CMD(ibv_cmd_dereg_mr)
FOREIGN_CMD(ibv_cmd_destroy_ah)
FOREIGN_CMD(ibv_cmd_destroy_counters)
FOREIGN_CMD(ibv_cmd_destroy_cq)
FOREIGN_CMD(ibv_cmd_destroy_flow)
FOREIGN_CMD(ibv_cmd_destroy_flow_action)
FOREIGN_CMD(ibv_cmd_destroy_qp)
FOREIGN_CMD(ibv_cmd_destroy_rwq_ind_table)
FOREIGN_CMD(ibv_cmd_destroy_srq)
FOREIGN_CMD(ibv_cmd_destroy_wq)
FOREIGN_CMD(ibv_cmd_detach_mcast)
FOREIGN_CMD(ibv_cmd_free_dm)
FOREIGN_CMD(ibv_cmd_get_context)
FOREIGN_CMD(ibv_cmd_modify_cq)
FOREIGN_CMD(ibv_cmd_modify_flow_action_esp)
FOREIGN_CMD(ibv_cmd_modify_qp)
FOREIGN_CMD(ibv_cmd_modify_qp_ex)
FOREIGN_CMD(ibv_cmd_modify_srq)
FOREIGN_CMD(ibv_cmd_modify_wq)
FOREIGN_CMD(ibv_cmd_open_qp)
FOREIGN_CMD(ibv_cmd_open_xrcd)
FOREIGN_CMD(ibv_cmd_poll_cq)
FOREIGN_CMD(ibv_cmd_post_recv)
FOREIGN_CMD(ibv_cmd_post_send)
FOREIGN_CMD(ibv_cmd_post_srq_recv)
FOREIGN_CMD(ibv_cmd_query_context)
FOREIGN_CMD(ibv_cmd_query_device_any)
FOREIGN_CMD(ibv_cmd_query_mr)
FOREIGN_CMD(ibv_cmd_query_port)
FOREIGN_CMD(ibv_cmd_query_qp)
FOREIGN_CMD(ibv_cmd_query_srq)
FOREIGN_CMD(ibv_cmd_read_counters)
FOREIGN_CMD(ibv_cmd_reg_dm_mr)
FOREIGN_CMD(ibv_cmd_reg_dmabuf_mr)
FOREIGN_CMD(ibv_cmd_reg_mr)
FOREIGN_CMD(ibv_cmd_req_notify_cq)
FOREIGN_CMD(ibv_cmd_rereg_mr)
FOREIGN_CMD(ibv_cmd_resize_cq)

/* Attribute counting of the ioctl command buffers: nothing to count. */
unsigned int __ioctl_final_num_attrs(unsigned int num_attrs, void *link)
{
	return num_attrs;
}

/* uroce devices have no sysfs directory. */
int ibv_read_ibdev_sysfs_file(char *buf, size_t size, void *dev,
			      const char *fnfmt, ...)
{
	errno = ENOENT;
	return -1;
}

/* Opens a uroce device; uroce's provider takes no private data. */
struct ibv_context *verbs_open_device(struct ibv_device *device,
				      void *private_data)
{
	if (private_data) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	return ibv_open_device(device);
}

/* Context allocation is done only by registered (never foreign) drivers. */
void *_verbs_init_and_alloc_context(void *device, int cmd_fd, size_t alloc_size,
				    void *context_offset, uint32_t driver_id)
{
	foreign_call("_verbs_init_and_alloc_context");
	errno = EOPNOTSUPP;
	return NULL;
}

/*
 * Same names as uroce's own provider interface (UROCE_PRIVATE_1), bound to
 * the rdma-core version: a foreign provider's layouts are not uroce's, so
 * these must not reach the real helpers.
 */
void foreign_verbs_set_ops(void *vctx, const void *ops)
{
	foreign_call("verbs_set_ops");
}
__asm__(".symver foreign_verbs_set_ops, verbs_set_ops@IBVERBS_PRIVATE_34");

void foreign_verbs_uninit_context(void *vctx)
{
	foreign_call("verbs_uninit_context");
}
__asm__(".symver foreign_verbs_uninit_context, "
	"verbs_uninit_context@IBVERBS_PRIVATE_34");

void foreign_verbs_init_cq(void *cq, void *ctx, void *channel, void *cq_context)
{
	foreign_call("verbs_init_cq");
}
__asm__(".symver foreign_verbs_init_cq, verbs_init_cq@IBVERBS_PRIVATE_34");
