/*
 * uroce - <infiniband/uroce_private.h>
 *
 * Private libibverbs ABI that is not part of the public verbs API but that
 * binaries built from rdma-core import anyway.  rdma-core declares these
 * in its internal (not installed) driver header; Debian's ibv_devinfo
 * calls ibv_query_gid_type@IBVERBS_PRIVATE_34.  uroce's libibverbs exports
 * the symbol under that same version so those binaries resolve it.
 *
 * Not for new applications: use ibv_query_gid_ex() instead.  The enum
 * values and the prototype must stay as rdma-core 44 has them.
 */
#ifndef INFINIBAND_UROCE_PRIVATE_H
#define INFINIBAND_UROCE_PRIVATE_H

#include <stdint.h>
#include <infiniband/verbs.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * GID types as the old sysfs interface reports them: IB and RoCE v1 were
 * not told apart there.
 */
enum ibv_gid_type_sysfs {
	IBV_GID_TYPE_SYSFS_IB_ROCE_V1,
	IBV_GID_TYPE_SYSFS_ROCE_V2,
};

/*
 * Type of GID index of port port_num.  Returns 0 (an empty entry reads as
 * IBV_GID_TYPE_SYSFS_IB_ROCE_V1) or -1 on error.
 */
int ibv_query_gid_type(struct ibv_context *context, uint8_t port_num,
		       unsigned int index, enum ibv_gid_type_sysfs *type);

#ifdef __cplusplus
}
#endif

#endif /* INFINIBAND_UROCE_PRIVATE_H */
