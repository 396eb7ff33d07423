// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uroce_devinfo: the attributes of devices and their ports, in the layout
 * and with the options and exit codes of ibv_devinfo, so that what people
 * and scripts know of it carries over. -v adds each GID's netdev.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/common/format.h"
#include "tools/common/names.h"
#include "tools/common/query.h"
#include "tools/devinfo.h"

/* ibv_devinfo's exit codes for one device; they are OR'ed together. */
enum {
	RC_OPEN = 1,
	RC_QUERY = 2,
	RC_CLOSE = 3,
	RC_PORT = 4,
};

void field(int depth, int col, const char *name, const char *fmt, ...)
{
	int pos = depth * 8 + strlen(name) + 1;
	va_list ap;

	printf("%.*s%s:", depth, "\t\t\t\t\t\t\t\t", name);
	do {
		putchar('\t');
		pos = (pos / 8 + 1) * 8;
	} while (pos < col);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void flag_line(const char *name, uint64_t bits, void *arg)
{
	if (name)
		printf("\t\t\t\t\t%s\n", name);
	else
		printf("\t\t\t\t\tUnknown flags: 0x%llX\n",
		       (unsigned long long)bits);
}

static int print_device(struct ibv_device *dev, uint8_t only_port, int verbose)
{
	struct ibv_device_attr_ex attr;
	struct ibv_device_attr *a = &attr.orig_attr;
	struct ibv_context *ctx;
	char guid[GUID_STR_LEN];
	int rc = 0;
	uint8_t port;

	ctx = ibv_open_device(dev);
	if (!ctx) {
		fprintf(stderr, "Failed to open device\n");
		return RC_OPEN;
	}
	if (ibv_query_device_ex(ctx, NULL, &attr)) {
		fprintf(stderr, "Failed to query device props\n");
		rc = RC_QUERY;
		goto cleanup;
	}
	if (only_port > a->phys_port_cnt) {
		fprintf(stderr, "Invalid port requested for device\n");
		rc = RC_PORT;
		goto cleanup;
	}

	printf("hca_id:\t%s\n", ibv_get_device_name(dev));
	field(1, DEV_COL, "transport", "%s (%d)",
	      transport_name(dev->transport_type), dev->transport_type);
	if (a->fw_ver[0])
		field(1, DEV_COL, "fw_ver", "%s", a->fw_ver);
	field(1, DEV_COL, "node_guid", "%s", format_guid(a->node_guid, guid));
	field(1, DEV_COL, "sys_image_guid", "%s",
	      format_guid(a->sys_image_guid, guid));
	field(1, DEV_COL, "vendor_id", "0x%04x", a->vendor_id);
	field(1, DEV_COL, "vendor_part_id", "%u", a->vendor_part_id);
	field(1, DEV_COL, "hw_ver", "0x%X", a->hw_ver);
	field(1, DEV_COL, "phys_port_cnt", "%u", a->phys_port_cnt);
	if (verbose)
		print_device_limits(ctx, &attr);

	for (port = 1; port <= a->phys_port_cnt; port++) {
		if (only_port && port != only_port)
			continue;
		rc = print_port(ctx, port, verbose);
		if (rc)
			break;
	}
cleanup:
	if (ibv_close_device(ctx)) {
		fprintf(stderr, "Failed to close device");
		rc = RC_CLOSE;
	}
	return rc;
}

static int list_devices(void)
{
	struct ibv_device **list, **dev;
	int n;

	list = ibv_get_device_list(&n);
	if (!list) {
		perror("Failed to get IB devices list");
		return -1;
	}
	printf("%d HCA%s found:\n", n, n == 1 ? "" : "s");
	for (dev = list; *dev; dev++)
		printf("\t%s\n", ibv_get_device_name(*dev));
	printf("\n");
	ibv_free_device_list(list);
	return 0;
}

static void usage(const char *argv0)
{
	printf("Usage: %s             print the ca attributes\n\n", argv0);
	printf("Options:\n"
	       "  -d, --ib-dev=<dev>     use IB device <dev> "
	       "(default first device found)\n"
	       "  -i, --ib-port=<port>   use port <port> of IB device "
	       "(default all ports)\n"
	       "  -l, --list             print only the IB devices names\n"
	       "  -v, --verbose          print all the attributes of the IB "
	       "device(s)\n");
}

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "ib-dev", required_argument, NULL, 'd' },
		{ "ib-port", required_argument, NULL, 'i' },
		{ "list", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct ibv_device **list, **dev, *found;
	const char *devname = NULL;
	int verbose = 0, rc = 0, c;
	long port = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "d:i:lvh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			devname = optarg;
			break;
		case 'i':
			port = strtol(optarg, &end, 0);
			if (port <= 0 || port > 255 || *end) {
				usage(argv[0]);
				return 1;
			}
			break;
		case 'l':
			return list_devices();
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return -1;
		}
	}
	if (optind < argc) {
		usage(argv[0]);
		return -1;
	}

	list = ibv_get_device_list(NULL);
	if (!list) {
		perror("Failed to get IB devices list");
		return -1;
	}
	if (devname) {
		found = find_device(list, devname);
		if (!found) {
			fprintf(stderr, "IB device '%s' wasn't found\n",
				devname);
			rc = -1;
			goto out;
		}
		rc = print_device(found, port, verbose);
		goto out;
	}
	if (!*list) {
		fprintf(stderr, "No IB devices found\n");
		rc = -1;
		goto out;
	}
	for (dev = list; *dev; dev++)
		rc |= print_device(*dev, port, verbose);
out:
	ibv_free_device_list(list);
	return rc;
}
