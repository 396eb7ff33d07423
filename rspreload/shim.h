/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * librspreload.so, the LD_PRELOAD socket shim: an application's TCP
 * sockets become rsockets of uroce's librdmacm under the application's own
 * fd numbers.
 *
 * Each socket the shim takes over is two objects: the application's fd,
 * a real kernel socket of the family and type asked for (the "shadow"),
 * and the rsocket behind it. The shadow keeps the fd number, answers
 * fstat and close-on-exec, takes the options rsockets does not know, and
 * becomes the connection itself when rsockets cannot carry it (the peer
 * is not on uroce): then the rsocket is closed and the fd is an ordinary
 * socket from then on.
 */
#ifndef UROCE_RSPRELOAD_SHIM_H
#define UROCE_RSPRELOAD_SHIM_H

#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* librdmacm's rsocket calls, found at start; all NULL without rsockets. */
struct rs_api {
	__typeof__(&socket) socket;
	__typeof__(&bind) bind;
	__typeof__(&listen) listen;
	__typeof__(&accept) accept;
	__typeof__(&connect) connect;
	__typeof__(&shutdown) shutdown;
	__typeof__(&close) close;
	__typeof__(&recv) recv;
	__typeof__(&recvfrom) recvfrom;
	__typeof__(&recvmsg) recvmsg;
	__typeof__(&read) read;
	__typeof__(&readv) readv;
	__typeof__(&send) send;
	__typeof__(&sendto) sendto;
	__typeof__(&sendmsg) sendmsg;
	__typeof__(&write) write;
	__typeof__(&writev) writev;
	__typeof__(&poll) poll;
	__typeof__(&getpeername) getpeername;
	__typeof__(&getsockname) getsockname;
	__typeof__(&setsockopt) setsockopt;
	__typeof__(&getsockopt) getsockopt;
	__typeof__(&fcntl) fcntl;
};

extern struct rs_api rs;

/*
 * RDMAV_FORK_SAFE=1: a stream socket starts real and moves onto an rsocket
 * at its first data call after connect/accept, so that a process may fork
 * between accept and its first read (fork.c).
 */
enum rsock_state {
	RS_READY, /* rfd is the rsocket */
	RS_FORK, /* real for now, not connected */
	RS_FORK_LISTEN, /* real listener: its accepted sockets will move */
	RS_FORK_ACTIVE, /* connected, moves when the peer says it listens */
	RS_FORK_PASSIVE, /* accepted, moves at its first data call */
};

/* What the shim knows of one socket it took over. */
struct rsock {
	int rfd; /* the rsocket, -1 while the socket is real (RS_FORK...) */
	int domain;
	int type; /* SOCK_STREAM or SOCK_DGRAM, without flags */
	int refs; /* application fds (dup) that share it */
	enum rsock_state state;
};

/* init.c */
void shim_init(void);
/* Set while the shim calls into librdmacm: its own sockets stay real. */
extern __thread int shim_busy;
struct shim_config {
	int sq_size, rq_size, inline_size;
	bool fork_safe;
};
extern struct shim_config shim_cfg;
void shim_rsock_options(int rfd);
bool shim_own_code(const void *addr);

/* config.c */
void config_load(void);
bool config_intercept(int domain, int type, int protocol);

/* fdmap.c: the application's fd -> its rsocket, lock-free to look up. */
struct rsock *fd_rsock(int fd);
int fd_attach(int fd, struct rsock *s);
struct rsock *fd_detach(int fd);
void rsock_put(struct rsock *s);

/* socket.c */
int shim_new_rsock(int fd, int rfd, int domain, int type,
		   enum rsock_state state);
/* fork.c */
void fork_resolve(int fd, struct rsock *s);

/* The rsocket behind @fd, or NULL for an fd that is a real socket now. */
static inline struct rsock *fd_rs(int fd)
{
	struct rsock *s = fd_rsock(fd);

	return s && s->rfd >= 0 ? s : NULL;
}

/* Runs the rsocket call EXPR with the shim out of the way. */
#define RS_CALL(expr)                     \
	({                                \
		__typeof__(expr) rs_ret_; \
		shim_busy++;              \
		rs_ret_ = (expr);         \
		shim_busy--;              \
		rs_ret_;                  \
	})

/*
 * The rsocket behind @fd, ready for data (a pending fork-safe move done
 * first), or NULL for an fd the shim passes through.
 */
static inline struct rsock *fd_data_rsock(int fd)
{
	struct rsock *s = fd_rsock(fd);

	if (s && (s->state == RS_FORK_ACTIVE || s->state == RS_FORK_PASSIVE))
		fork_resolve(fd, s);
	return fd_rs(fd);
}

#endif /* UROCE_RSPRELOAD_SHIM_H */
