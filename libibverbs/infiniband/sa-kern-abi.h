/*
 * uroce - <infiniband/sa-kern-abi.h>
 *
 * Obsolete: the kernel path record layout now comes from
 * <rdma/ib_user_sa.h>; this header only keeps the old names working.
 */
#ifndef INFINIBAND_SA_KERN_ABI_H
#define INFINIBAND_SA_KERN_ABI_H

#warning "<infiniband/sa-kern-abi.h> is obsolete; include <rdma/ib_user_sa.h>"

#include <rdma/ib_user_sa.h>

#define ib_kern_path_rec ib_user_path_rec
#define ibv_kern_path_rec ib_user_path_rec

#endif /* INFINIBAND_SA_KERN_ABI_H */
