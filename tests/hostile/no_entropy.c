// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Keys others must not guess, with no generator to draw them from: run
 * where /dev/urandom reads nothing (no_entropy.sh binds /dev/null over
 * it), this program refuses getrandom(2) to itself with a seccomp filter
 * and registers an MR and allocates a memory window on uroce_lo. Both
 * must fail (EAGAIN) rather than hand out a key made from the clock.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <infiniband/verbs.h>

static void no_getrandom(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("seccomp");
		exit(2);
	}
}

int main(void)
{
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	static char buf[4096];
	struct ibv_mr *mr;
	struct ibv_mw *mw;
	struct ibv_pd *pd;
	int i, bad = 0;

	no_getrandom();
	list = ibv_get_device_list(NULL);
	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), "uroce_lo"))
			ctx = ibv_open_device(list[i]);
	pd = ctx ? ibv_alloc_pd(ctx) : NULL;
	if (!pd) {
		fprintf(stderr, "no uroce_lo\n");
		return 2;
	}
	mr = ibv_reg_mr(pd, buf, sizeof(buf), IBV_ACCESS_LOCAL_WRITE);
	if (mr) {
		printf("no_entropy: FAIL: ibv_reg_mr gave rkey 0x%x\n",
		       mr->rkey);
		ibv_dereg_mr(mr);
		bad++;
	} else {
		printf("no_entropy: ibv_reg_mr: %s\n", strerror(errno));
		bad += errno != EAGAIN;
	}
	mw = ibv_alloc_mw(pd, IBV_MW_TYPE_1);
	if (mw) {
		printf("no_entropy: FAIL: ibv_alloc_mw gave rkey 0x%x\n",
		       mw->rkey);
		ibv_dealloc_mw(mw);
		bad++;
	} else {
		printf("no_entropy: ibv_alloc_mw: %s\n", strerror(errno));
		bad += errno != EAGAIN;
	}
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	ibv_free_device_list(list);
	return bad ? 1 : 0;
}
