// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Start-up: librdmacm's rsocket calls, the environment (rdma-core's
 * RS_SQ_SIZE, RS_RQ_SIZE, RS_INLINE and RDMAV_FORK_SAFE) and the
 * preload_config file. A librdmacm without rsockets leaves every call
 * passed through.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <rdma/rsocket.h>

#include "rspreload/shim.h"
#include "util/log.h"

struct rs_api rs;
struct shim_config shim_cfg;
__thread int shim_busy;
/* The directory of uroce's librdmacm, as the loader names it, with '/'. */
static char uroce_dir[PATH_MAX];

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

#define RS_SYM(h, field, name) (rs.field = (__typeof__(rs.field))dlsym(h, name))

static void resolve(void)
{
	struct rs_api api = {};
	const char *slash;
	Dl_info info;
	void *h;

	h = dlopen("librdmacm.so.1", RTLD_NOW | RTLD_NOLOAD);
	if (!h)
		return;
	rs = api;
	if (!RS_SYM(h, socket, "rsocket") || !RS_SYM(h, bind, "rbind") ||
	    !RS_SYM(h, listen, "rlisten") || !RS_SYM(h, accept, "raccept") ||
	    !RS_SYM(h, connect, "rconnect") ||
	    !RS_SYM(h, shutdown, "rshutdown") || !RS_SYM(h, close, "rclose") ||
	    !RS_SYM(h, recv, "rrecv") || !RS_SYM(h, recvfrom, "rrecvfrom") ||
	    !RS_SYM(h, recvmsg, "rrecvmsg") || !RS_SYM(h, read, "rread") ||
	    !RS_SYM(h, readv, "rreadv") || !RS_SYM(h, send, "rsend") ||
	    !RS_SYM(h, sendto, "rsendto") || !RS_SYM(h, sendmsg, "rsendmsg") ||
	    !RS_SYM(h, write, "rwrite") || !RS_SYM(h, writev, "rwritev") ||
	    !RS_SYM(h, poll, "rpoll") ||
	    !RS_SYM(h, getpeername, "rgetpeername") ||
	    !RS_SYM(h, getsockname, "rgetsockname") ||
	    !RS_SYM(h, setsockopt, "rsetsockopt") ||
	    !RS_SYM(h, getsockopt, "rgetsockopt") ||
	    !RS_SYM(h, fcntl, "rfcntl")) {
		uroce_warn("rspreload: librdmacm has no rsockets; "
			   "sockets stay real\n");
		rs = api;
	}
	dlclose(h);
	if (rs.socket && dladdr((void *)rs.socket, &info) && info.dli_fname &&
	    (slash = strrchr(info.dli_fname, '/')) &&
	    slash - info.dli_fname < (long)sizeof(uroce_dir) - 1)
		memcpy(uroce_dir, info.dli_fname, slash - info.dli_fname + 1);
}

/*
 * Is @addr, the caller of socket(), code of uroce's own libraries
 * (libibverbs, librdmacm, the provider: all under librdmacm's directory)?
 * Their sockets stay real, whatever thread opens them.
 */
bool shim_own_code(const void *addr)
{
	Dl_info info;
	size_t n = strlen(uroce_dir);

	return n && dladdr(addr, &info) && info.dli_fname &&
	       !strncmp(info.dli_fname, uroce_dir, n);
}

static int env_int(const char *name)
{
	const char *v = getenv(name);

	return v ? atoi(v) : 0;
}

static void init(void)
{
	uroce_log_init();
	shim_busy++;
	resolve();
	shim_busy--;
	shim_cfg.sq_size = env_int("RS_SQ_SIZE");
	shim_cfg.rq_size = env_int("RS_RQ_SIZE");
	shim_cfg.inline_size = env_int("RS_INLINE");
	shim_cfg.fork_safe = env_int("RDMAV_FORK_SAFE") != 0;
	config_load();
}

void shim_init(void)
{
	pthread_once(&init_once, init);
}

__attribute__((constructor)) static void shim_ctor(void)
{
	shim_init();
}

/* The queue sizes of the environment on a new rsocket; defaults if refused. */
void shim_rsock_options(int rfd)
{
	if (shim_cfg.sq_size)
		RS_CALL(rs.setsockopt(rfd, SOL_RDMA, RDMA_SQSIZE,
				      &shim_cfg.sq_size, sizeof(int)));
	if (shim_cfg.rq_size)
		RS_CALL(rs.setsockopt(rfd, SOL_RDMA, RDMA_RQSIZE,
				      &shim_cfg.rq_size, sizeof(int)));
	if (shim_cfg.inline_size)
		RS_CALL(rs.setsockopt(rfd, SOL_RDMA, RDMA_INLINE,
				      &shim_cfg.inline_size, sizeof(int)));
}
