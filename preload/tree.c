// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The synthesized tree. One generator emits every node of the calling
 * thread's namespace in turn; a lookup keeps the node it wants, a listing
 * the children of its directory. Devices and port state come from the
 * provider's own discovery code (device.c, state.c), the code that
 * ibv_get_device_list and a fresh context's ibv_query_port use, so the
 * files agree with the verbs. Nothing is cached: each access lists the
 * devices again (two rtnetlink dumps) and, below a device, reads its port
 * (two more), so the files are as live as the netdevs.
 *
 * Formats are the kernel's (drivers/infiniband/core/sysfs.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <dirent.h>
#include <net/if.h>

#include "providers/uroce/device.h"
#include "providers/uroce/state.h"
#include "providers/uroce/uroce.h"
#include "tools/common/format.h"
#include "preload/tree.h"

#define IB_ROOT "/sys/class/infiniband"
#define VERBS_ROOT "/sys/class/infiniband_verbs"
#define DEV_ROOT "/dev/infiniband"

/* uverbs character devices: the kernel's major and first minor */
#define UVERBS_MAJOR 231
#define UVERBS_BASE_MINOR 192
/* IB_USER_VERBS_ABI_VERSION, and the driver ABI a uverbsN reports */
#define UVERBS_ABI 6
#define UVERBS_DRIVER_ABI 1

struct walk {
	const char *want;
	size_t wantlen;
	bool list;
	struct vfs_node *node; /* lookup */
	int found; /* TREE_* */
	struct vfs_dirent *ents; /* listing */
	int nents, cap;
	bool dir_seen;
	int err;
	char path[PATH_MAX];
};

/* Is the emitted path the parent directory of nothing but its last part? */
static bool is_child_of_want(struct walk *w, const char **name)
{
	const char *slash = strrchr(w->path, '/');

	if (!slash || (size_t)(slash - w->path) != w->wantlen ||
	    memcmp(w->path, w->want, w->wantlen))
		return false;
	*name = slash + 1;
	return true;
}

static void list_add(struct walk *w, const char *name, enum vfs_kind kind)
{
	static const unsigned char dt[] = {
		[VFS_DIR] = DT_DIR,
		[VFS_FILE] = DT_REG,
		[VFS_CHR] = DT_CHR,
		[VFS_LNK] = DT_LNK,
	};
	struct vfs_dirent *e;

	if (w->nents == w->cap) {
		int cap = w->cap ? 2 * w->cap : 32;

		e = realloc(w->ents, cap * sizeof(*e));
		if (!e) {
			w->err = ENOMEM;
			return;
		}
		w->ents = e;
		w->cap = cap;
	}
	e = &w->ents[w->nents++];
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->type = dt[kind];
	e->ino = vfs_ino(w->path);
}

/*
 * Emits the node whose path fmt gives. Returns true when the caller is to
 * fill its content (w_put): it is the node looked up, or a link on the way
 * to it.
 */
static bool __attribute__((format(printf, 3, 4)))
emit(struct walk *w, enum vfs_kind kind, const char *fmt, ...)
{
	const char *name;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(w->path, sizeof(w->path), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(w->path))
		return false;

	if (w->list) {
		if (!strcmp(w->path, w->want))
			w->dir_seen = kind == VFS_DIR;
		else if (is_child_of_want(w, &name))
			list_add(w, name, kind);
		return false;
	}
	if (w->found != TREE_NONE)
		return false;
	if (!strcmp(w->path, w->want))
		w->found = TREE_NODE;
	else if (kind == VFS_LNK && !strncmp(w->want, w->path, n) &&
		 w->want[n] == '/')
		w->found = TREE_LINK;
	else
		return false;
	memset(w->node, 0, offsetof(struct vfs_node, data));
	w->node->kind = kind;
	memcpy(w->node->path, w->path, n + 1);
	w->node->data[0] = '\0';
	return true;
}

static void __attribute__((format(printf, 2, 3)))
w_put(struct walk *w, const char *fmt, ...)
{
	struct vfs_node *node = w->node;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(node->data + node->len, sizeof(node->data) - node->len,
		      fmt, ap);
	va_end(ap);
	if (n > 0)
		node->len += (size_t)n < sizeof(node->data) - node->len ?
				     (size_t)n :
				     sizeof(node->data) - node->len - 1;
}

/* Needs the subtree below @prefix: the wanted path is inside it, or lists it. */
static bool wants_below(const struct walk *w, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(w->want, prefix, n) &&
	       (w->want[n] == '/' || (w->list && !w->want[n]));
}

/* A small file of the host's (the CPU lists), or "" */
static void read_small(const char *path, char *buf, size_t size)
{
	ssize_t n = -1;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
}

/* Parses a CPU list ("0-3,8") into @mask; returns the highest CPU + 1. */
static unsigned int cpu_list(const char *s, uint32_t *mask, unsigned int words)
{
	unsigned int max = 0, a, b, i;
	char *end;

	while (*s >= '0' && *s <= '9') {
		a = b = strtoul(s, &end, 10);
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		for (i = a; i <= b && i / 32 < words; i++) {
			if (mask)
				mask[i / 32] |= 1u << (i % 32);
			if (i + 1 > max)
				max = i + 1;
		}
		s = *end == ',' ? end + 1 : end;
	}
	return max;
}

/*
 * local_cpus of a device with no NUMA node: the online CPUs, printed as
 * the kernel prints a cpumask of nr_cpu_ids bits ("%*pb"): 32-bit hex
 * chunks, most significant first, the first one only as wide as its bits.
 */
static void put_local_cpus(struct walk *w)
{
	enum { WORDS = 256 };
	uint32_t mask[WORDS] = { 0 };
	unsigned int nbits, chunk, i;
	char buf[4096];

	read_small("/sys/devices/system/cpu/possible", buf, sizeof(buf));
	nbits = cpu_list(buf, NULL, WORDS);
	read_small("/sys/devices/system/cpu/online", buf, sizeof(buf));
	cpu_list(buf, mask, WORDS);
	if (!nbits)
		nbits = 1;
	chunk = nbits % 32 ? nbits % 32 : 32;
	for (i = (nbits + 31) / 32; i-- > 0;) {
		uint32_t v = chunk == 32 ? mask[i] :
					   mask[i] & ((1u << chunk) - 1);

		w_put(w, "%s%0*x", i == (nbits + 31) / 32 - 1 ? "" : ",",
		      (int)(chunk + 3) / 4, v);
		chunk = 32;
	}
	w_put(w, "\n");
}

static void put_guid(struct walk *w, __be64 guid)
{
	char buf[GUID_STR_LEN];

	w_put(w, "%s\n", format_guid(guid, buf));
}

/* "%pI6": eight groups of four hex digits */
static void put_gid(struct walk *w, const uint8_t *raw)
{
	int i;

	for (i = 0; i < 16; i += 2)
		w_put(w, "%02x%02x%s", raw[i], raw[i + 1], i < 14 ? ":" : "\n");
}

static void put_rate(struct walk *w, uint8_t speed, uint8_t width)
{
	static const struct {
		uint8_t speed;
		const char *name;
		int rate; /* deci-Gb/s per lane */
	} speeds[] = {
		{ 2, " DDR", 50 },     { 4, " QDR", 100 },
		{ 8, " FDR10", 100 },  { 16, " FDR", 140 },
		{ 32, " EDR", 250 },   { 64, " HDR", 500 },
		{ 128, " NDR", 1000 },
	};
	const char *name = " SDR";
	int rate = 25, lanes = (int)port_width_lanes(width);
	size_t i;

	for (i = 0; i < sizeof(speeds) / sizeof(speeds[0]); i++)
		if (speeds[i].speed == speed) {
			name = speeds[i].name;
			rate = speeds[i].rate;
		}
	rate *= lanes;
	if (!rate) {
		w->node->read_err = EINVAL;
		return;
	}
	w_put(w, "%d%s Gb/sec (%dX%s)\n", rate / 10, rate % 10 ? ".5" : "",
	      lanes, name);
}

static const char *ifname_of(const struct uroce_device *dev, int ifindex,
			     char *buf)
{
	unsigned int i;

	for (i = 0; i < dev->nmembers; i++)
		if (dev->members[i].ifindex == ifindex)
			return dev->members[i].ifname;
	return if_indextoname(ifindex, buf) ? buf : NULL;
}

static void gen_port(struct walk *w, const char *base,
		     const struct uroce_device *dev,
		     const struct uroce_port_state *st)
{
	char ifname[IF_NAMESIZE];
	const char *nd;
	unsigned int i;

	if (emit(w, VFS_FILE, "%s/ports/1/state", base))
		w_put(w, "%s\n", st->running ? "4: ACTIVE" : "1: DOWN");
	if (emit(w, VFS_FILE, "%s/ports/1/phys_state", base))
		w_put(w, "%s\n", st->running ? "5: LinkUp" : "3: Disabled");
	if (emit(w, VFS_FILE, "%s/ports/1/rate", base))
		put_rate(w, st->active_speed, st->active_width);
	/* No subnet manager on Ethernet: LIDs and SL are 0, as for RoCE. */
	if (emit(w, VFS_FILE, "%s/ports/1/lid", base))
		w_put(w, "0x0\n");
	if (emit(w, VFS_FILE, "%s/ports/1/sm_lid", base))
		w_put(w, "0x0\n");
	if (emit(w, VFS_FILE, "%s/ports/1/lid_mask_count", base))
		w_put(w, "0\n");
	if (emit(w, VFS_FILE, "%s/ports/1/sm_sl", base))
		w_put(w, "0\n");
	if (emit(w, VFS_FILE, "%s/ports/1/cap_mask", base))
		w_put(w, "0x%08x\n", UROCE_PORT_CAP_FLAGS);
	if (emit(w, VFS_FILE, "%s/ports/1/link_layer", base))
		w_put(w, "Ethernet\n");

	emit(w, VFS_DIR, "%s/ports/1/gids", base);
	emit(w, VFS_DIR, "%s/ports/1/gid_attrs", base);
	emit(w, VFS_DIR, "%s/ports/1/gid_attrs/types", base);
	emit(w, VFS_DIR, "%s/ports/1/gid_attrs/ndevs", base);
	for (i = 0; i < UROCE_GID_TBL_LEN; i++) {
		static const uint8_t zero[16];
		bool used = i < st->ngids;

		/* An empty entry reads as zeros; its attributes fail. */
		if (emit(w, VFS_FILE, "%s/ports/1/gids/%u", base, i))
			put_gid(w, used ? st->gids[i].gid.raw : zero);
		if (emit(w, VFS_FILE, "%s/ports/1/gid_attrs/types/%u", base,
			 i)) {
			if (used)
				w_put(w, "RoCE v2\n");
			else
				w->node->read_err = EINVAL;
		}
		if (emit(w, VFS_FILE, "%s/ports/1/gid_attrs/ndevs/%u", base,
			 i)) {
			nd = used ? ifname_of(dev, st->gids[i].ifindex,
					      ifname) :
				    NULL;
			if (nd)
				w_put(w, "%s\n", nd);
			else
				w->node->read_err = EINVAL;
		}
	}
	emit(w, VFS_DIR, "%s/ports/1/pkeys", base);
	if (emit(w, VFS_FILE, "%s/ports/1/pkeys/0", base))
		w_put(w, "0xffff\n");
}

static void gen_device(struct walk *w, const struct uroce_device *dev)
{
	const struct ibv_device *ib = &dev->vdev.device;
	struct uroce_port_state st;
	char base[128], port[160];
	unsigned int i;

	snprintf(base, sizeof(base), IB_ROOT "/%.64s", ib->name);
	emit(w, VFS_DIR, "%s", base);
	if (!wants_below(w, base))
		return;

	if (emit(w, VFS_FILE, "%s/node_type", base))
		w_put(w, "1: CA\n");
	if (emit(w, VFS_FILE, "%s/node_guid", base))
		put_guid(w, dev->vdev.node_guid);
	if (emit(w, VFS_FILE, "%s/sys_image_guid", base))
		put_guid(w, dev->vdev.node_guid);
	if (emit(w, VFS_FILE, "%s/fw_ver", base))
		w_put(w, "%s\n", UROCE_PROVIDER_VERSION);
	if (emit(w, VFS_FILE, "%s/hca_type", base))
		w_put(w, "uroce\n");
	if (emit(w, VFS_FILE, "%s/board_id", base))
		w_put(w, "uroce\n");

	/*
	 * device/ stands for the parent device: no NUMA node, so every
	 * online CPU is local, and net/ links to the netdevs.
	 */
	emit(w, VFS_DIR, "%s/device", base);
	if (emit(w, VFS_FILE, "%s/device/numa_node", base))
		w_put(w, "-1\n");
	if (emit(w, VFS_FILE, "%s/device/local_cpus", base))
		put_local_cpus(w);
	emit(w, VFS_DIR, "%s/device/net", base);
	for (i = 0; i < dev->nmembers; i++)
		if (emit(w, VFS_LNK, "%s/device/net/%s", base,
			 dev->members[i].ifname))
			w_put(w, "../../../../net/%s", dev->members[i].ifname);

	emit(w, VFS_DIR, "%s/ports", base);
	emit(w, VFS_DIR, "%s/ports/1", base);
	snprintf(port, sizeof(port), "%s/ports/1", base);
	/* The netdev may have gone since the listing: then no port files. */
	if (!wants_below(w, port) || uroce_state_read(dev, &st))
		return;
	gen_port(w, base, dev, &st);
}

static void gen_verbs(struct walk *w, const struct uroce_device *dev)
{
	const struct ibv_device *ib = &dev->vdev.device;
	int n = dev->vdev.index;

	emit(w, VFS_DIR, VERBS_ROOT "/uverbs%d", n);
	if (emit(w, VFS_FILE, VERBS_ROOT "/uverbs%d/ibdev", n))
		w_put(w, "%s\n", ib->name);
	if (emit(w, VFS_FILE, VERBS_ROOT "/uverbs%d/abi_version", n))
		w_put(w, "%d\n", UVERBS_DRIVER_ABI);
	if (emit(w, VFS_FILE, VERBS_ROOT "/uverbs%d/dev", n))
		w_put(w, "%d:%d\n", UVERBS_MAJOR, UVERBS_BASE_MINOR + n);
	if (emit(w, VFS_LNK, VERBS_ROOT "/uverbs%d/device", n))
		w_put(w, "../../infiniband/%s/device", ib->name);
}

static __thread bool building;

bool tree_building(void)
{
	return building;
}

static void generate(struct walk *w)
{
	struct verbs_device **devs = NULL;
	int i, n;

	building = true;
	n = uroce_list_devices(&devs);
	if (n < 0) {
		w->err = -n;
		building = false;
		return;
	}
	emit(w, VFS_DIR, IB_ROOT);
	emit(w, VFS_DIR, VERBS_ROOT);
	if (emit(w, VFS_FILE, VERBS_ROOT "/abi_version"))
		w_put(w, "%d\n", UVERBS_ABI);
	emit(w, VFS_DIR, DEV_ROOT);
	for (i = 0; i < n; i++) {
		const struct uroce_device *dev = (void *)devs[i];

		if (emit(w, VFS_CHR, DEV_ROOT "/uverbs%d", dev->vdev.index))
			w->node->rdev =
				makedev(UVERBS_MAJOR,
					UVERBS_BASE_MINOR + dev->vdev.index);
		gen_verbs(w, dev);
		gen_device(w, dev);
	}
	for (i = 0; i < n; i++)
		free(devs[i]);
	free(devs);
	building = false;
}

int tree_find(const char *path, struct vfs_node *node)
{
	struct walk w = {
		.want = path,
		.wantlen = strlen(path),
		.node = node,
	};

	generate(&w);
	if (w.err)
		return -w.err;
	return w.found;
}

int vfs_list(const char *path, struct vfs_dirent **ents)
{
	struct walk w = {
		.want = path,
		.wantlen = strlen(path),
		.list = true,
	};

	/* "." and ".." first, as readdir gives them */
	snprintf(w.path, sizeof(w.path), "%s", path);
	list_add(&w, ".", VFS_DIR);
	list_add(&w, "..", VFS_DIR);
	if (!w.err)
		generate(&w);
	if (!w.err && !w.dir_seen)
		w.err = ENOENT;
	if (w.err) {
		free(w.ents);
		return -w.err;
	}
	*ents = w.ents;
	return w.nents;
}
