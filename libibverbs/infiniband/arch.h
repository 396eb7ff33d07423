/*
 * uroce - <infiniband/arch.h>
 *
 * Obsolete compatibility header.  It only provides htonll()/ntohll(),
 * which are better written as htobe64()/be64toh() from <endian.h>.  The
 * memory barrier macros it once had are gone, as in rdma-core.
 */
#ifndef INFINIBAND_ARCH_H
#define INFINIBAND_ARCH_H

#include <stdint.h>
#include <endian.h>

#warning "<infiniband/arch.h> is obsolete; use <endian.h> (htobe64/be64toh)"

#ifndef ntohll
#undef htonll
#undef ntohll
static inline __attribute__((deprecated)) uint64_t htonll(uint64_t x)
{
	return htobe64(x);
}

static inline __attribute__((deprecated)) uint64_t ntohll(uint64_t x)
{
	return be64toh(x);
}
#define htonll htonll
#define ntohll ntohll
#endif

#endif /* INFINIBAND_ARCH_H */
