// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* providers/uroce/config.c: parsing, environment and device decisions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/uroce/config.h"

#include "tests/lib/check.h"

#define REQUIRE_STR(a, b)                                                  \
	do {                                                               \
		const char *a_ = (a), *b_ = (b);                           \
		if (!a_ || strcmp(a_, b_)) {                               \
			fprintf(stderr, "%s:%d: '%s' != '%s'\n", __FILE__, \
				__LINE__, a_ ? a_ : "(null)", b_);         \
			exit(1);                                           \
		}                                                          \
	} while (0)

static void conf_init(struct uroce_conf *conf)
{
	uroce_conf_init(conf);
}

/* The device name of @ifname, or NULL if it is not a device. */
static const char *dev(const struct uroce_conf *conf, const char *ifname)
{
	static char name[UROCE_DEV_NAME_MAX];

	if (!uroce_conf_netdev_device(conf, ifname, !strcmp(ifname, "lo"), name,
				      sizeof(name)))
		return NULL;
	return name;
}

static void test_good(void)
{
	static const char text[] =
		"# uroce.conf\n"
		"\n"
		"include eth* net1   # trailing comment\n"
		"include\tib?,bond0\r\n"
		"exclude docker0 veth*\n"
		"   loopback   off\n"
		"rename eth0 mydev\n"
		"rename eth9 x.y-z_9\n"
		"rename eth0 newname\n"
		"lag uroce_lag0 eth1,eth2\n"
		"lag lag1 eth3, eth4 eth5\n"
		"include a#b\n"
		"#include ignored\n"
		"lag lag1 eth6,eth7"; /* no final newline; replaces lag1 */
	struct uroce_conf conf;
	char err[256] = "junk";

	conf_init(&conf);
	REQUIRE(uroce_conf_parse(&conf, text, "good.conf", err, sizeof(err)) ==
		0);
	REQUIRE(err[0] == '\0');
	REQUIRE(conf.ninclude == 5);
	REQUIRE_STR(conf.include[0], "eth*");
	REQUIRE_STR(conf.include[1], "net1");
	REQUIRE_STR(conf.include[2], "ib?");
	REQUIRE_STR(conf.include[3], "bond0");
	REQUIRE_STR(conf.include[4], "a#b");
	REQUIRE(conf.nexclude == 2);
	REQUIRE_STR(conf.exclude[0], "docker0");
	REQUIRE_STR(conf.exclude[1], "veth*");
	REQUIRE(!conf.lo);
	REQUIRE(conf.nrenames == 2);
	REQUIRE_STR(conf.renames[0].ifname, "eth0");
	REQUIRE_STR(conf.renames[0].devname, "newname");
	REQUIRE_STR(conf.renames[1].devname, "x.y-z_9");
	REQUIRE(conf.nlags == 2);
	REQUIRE_STR(conf.lags[0].name, "uroce_lag0");
	REQUIRE(conf.lags[0].nmembers == 2);
	REQUIRE_STR(conf.lags[0].members[0], "eth1");
	REQUIRE_STR(conf.lags[0].members[1], "eth2");
	REQUIRE_STR(conf.lags[1].name, "lag1");
	REQUIRE(conf.lags[1].nmembers == 2);
	REQUIRE_STR(conf.lags[1].members[0], "eth6");
	REQUIRE_STR(conf.lags[1].members[1], "eth7");

	/* Parsing more into the same conf accumulates and overrides. */
	REQUIRE(uroce_conf_parse(&conf,
				 "include x\nloopback yes\n"
				 "lag lag1 eth3,eth4,eth5\n",
				 "more", err, sizeof(err)) == 0);
	REQUIRE(conf.ninclude == 6);
	REQUIRE_STR(conf.include[5], "x");
	REQUIRE(conf.lo);
	REQUIRE(conf.nlags == 2 && conf.lags[1].nmembers == 3);

	uroce_conf_free(&conf);
	REQUIRE(!conf.include && !conf.ninclude && !conf.renames && !conf.lags);
	uroce_conf_free(&conf); /* freeing twice is harmless */
	conf_init(&conf);

	/* The longest names fit. */
	REQUIRE(uroce_conf_parse(&conf,
				 "rename eth0123456789ab "
				 "123456789b123456789c123456789d123456789e"
				 "123456789f123456789abcd",
				 "long", err, sizeof(err)) == 0);
	REQUIRE(strlen(conf.renames[conf.nrenames - 1].devname) == 63);
	REQUIRE(strlen(conf.renames[conf.nrenames - 1].ifname) == 15);
	uroce_conf_free(&conf);

	/* Empty and comment-only texts. */
	conf_init(&conf);
	REQUIRE(uroce_conf_parse(&conf, "", "empty", err, sizeof(err)) == 0);
	REQUIRE(uroce_conf_parse(&conf, "\n\n  # x\n\t\n", NULL, NULL, 0) == 0);
	REQUIRE(conf.lo && !conf.ninclude && !conf.nlags);
	uroce_conf_free(&conf);
}

static void test_bool_values(void)
{
	static const char *const on[] = { "on", "1", "yes", "true", "ON" };
	static const char *const off[] = { "off", "0", "no", "false", "Off" };
	struct uroce_conf conf;
	char line[64];
	size_t i;

	conf_init(&conf);
	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		snprintf(line, sizeof(line), "loopback %s", off[i]);
		REQUIRE(uroce_conf_parse(&conf, line, "b", NULL, 0) == 0);
		REQUIRE(!conf.lo);
		snprintf(line, sizeof(line), "loopback %s", on[i]);
		REQUIRE(uroce_conf_parse(&conf, line, "b", NULL, 0) == 0);
		REQUIRE(conf.lo);
	}
	uroce_conf_free(&conf);
}

/* One bad line: -EINVAL, @msg, and nothing of the line applied. */
static void bad(const char *text, const char *msg)
{
	struct uroce_conf conf;
	char err[256];

	conf_init(&conf);
	REQUIRE(uroce_conf_parse(&conf,
				 "rename eth8 taken\n"
				 "lag lagx ethA,ethB\n",
				 "base", err, sizeof(err)) == 0);
	if (uroce_conf_parse(&conf, text, "bad.conf", err, sizeof(err)) !=
		    -EINVAL ||
	    strcmp(err, msg)) {
		fprintf(stderr, "%s:%d: for '%s' got '%s', expected '%s'\n",
			__FILE__, __LINE__, text, err, msg);
		exit(1);
	}
	REQUIRE(conf.ninclude == 0 && conf.nexclude == 0 && conf.lo);
	REQUIRE(conf.nrenames == 1 && conf.nlags == 1);
	REQUIRE(conf.lags[0].nmembers == 2);
	uroce_conf_free(&conf);
}

static void test_bad(void)
{
	char long_line[5000], words[400];
	int i;

	bad("frobnicate on", "bad.conf:1: unknown keyword 'frobnicate'");
	bad("\n\nInclude eth0", "bad.conf:3: unknown keyword 'Include'");
	bad("include", "bad.conf:1: include: expected at least one pattern");
	bad("exclude ,", "bad.conf:1: exclude: expected at least one pattern");
	bad("loopback", "bad.conf:1: loopback: expected on or off");
	bad("loopback maybe", "bad.conf:1: loopback: expected on or off");
	bad("loopback on off", "bad.conf:1: loopback: expected on or off");
	bad("wire", "bad.conf:1: wire: expected roce or direct");
	bad("wire kernel eth0", "bad.conf:1: wire: expected roce or direct");
	bad("max_qp", "bad.conf:1: max_qp: expected 0 to 65536 or max");
	bad("max_qp 65537", "bad.conf:1: max_qp: expected 0 to 65536 or max");
	bad("max_cq -1", "bad.conf:1: max_cq: expected 0 to 16384 or max");
	bad("max_mr 0x10", "bad.conf:1: max_mr: expected 0 to 1048576 or max");
	bad("max_pd 1 2", "bad.conf:1: max_pd: expected 0 to 65536 or max");
	bad("max_ah 99999999999999999999",
	    "bad.conf:1: max_ah: expected 0 to 32767 or max");
	bad("rename eth0", "bad.conf:1: rename: expected IFNAME DEVNAME");
	bad("rename eth0 a b", "bad.conf:1: rename: expected IFNAME DEVNAME");
	bad("rename eth0 my/dev",
	    "bad.conf:1: rename: invalid device name 'my/dev'");
	bad("rename eth0 my:dev",
	    "bad.conf:1: rename: invalid device name 'my:dev'");
	/* 64 characters: one too many */
#define LONG64 \
	"a123456789b123456789c123456789d123456789e123456789f123456789abcd"
	bad("rename eth0 " LONG64,
	    "bad.conf:1: rename: invalid device name '" LONG64 "'");
	bad("rename eth0123456789abc x",
	    "bad.conf:1: rename: invalid interface name 'eth0123456789abc'");
	bad("rename a/b x", "bad.conf:1: rename: invalid interface name 'a/b'");
	bad("rename .. x", "bad.conf:1: rename: invalid interface name '..'");
	bad("rename eth1 taken",
	    "bad.conf:1: rename: taken is already the name of eth8");
	bad("rename eth1 lagx",
	    "bad.conf:1: rename: lagx is already the name of a lag");
	bad("lag", "bad.conf:1: lag: expected NAME IFNAME,IFNAME...");
	bad("lag l0", "bad.conf:1: lag: expected NAME IFNAME,IFNAME...");
	bad("lag l0 eth1", "bad.conf:1: lag l0: needs 2 to 8 members");
	bad("lag l0 eth1,", "bad.conf:1: lag l0: needs 2 to 8 members");
	bad("lag l0 a,b,c,d,e,f,g,h,i",
	    "bad.conf:1: lag l0: needs 2 to 8 members");
	bad("lag l0 eth1,eth2,eth1", "bad.conf:1: lag l0: eth1 listed twice");
	bad("lag l0 eth1,ethA",
	    "bad.conf:1: lag l0: ethA is already a member of lagx");
	bad("lag l/0 eth1,eth2", "bad.conf:1: lag: invalid device name 'l/0'");
	bad("lag taken eth1,eth2",
	    "bad.conf:1: lag: taken is already the name of eth8");
	bad("lag l0 eth1,eth0123456789abc",
	    "bad.conf:1: lag l0: invalid interface name 'eth0123456789abc'");

	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	memcpy(long_line, "include ", 8);
	bad(long_line, "bad.conf:1: line longer than 4096 characters");

	/* 65 words */
	words[0] = '\0';
	strcat(words, "include");
	for (i = 0; i < 64; i++)
		strcat(words, " e");
	bad(words, "bad.conf:1: more than 64 words");

	memset(long_line, 'x', 300);
	memcpy(long_line, "include ", 8);
	long_line[300] = '\0';
	bad(long_line, "bad.conf:1: include: pattern too long");
}

static void test_partial(void)
{
	/* Bad lines are skipped, good ones apply, the first error wins. */
	static const char text[] = "include eth*\n"
				   "bogus\n"
				   "exclude eth9\n"
				   "lag l0 eth1\n"
				   "loopback off\n";
	struct uroce_conf conf;
	char err[256], small[12];

	conf_init(&conf);
	REQUIRE(uroce_conf_parse(&conf, text, "p.conf", err, sizeof(err)) ==
		-EINVAL);
	REQUIRE_STR(err, "p.conf:2: unknown keyword 'bogus'");
	REQUIRE(conf.ninclude == 1 && conf.nexclude == 1 && !conf.lo);
	REQUIRE(conf.nlags == 0);
	uroce_conf_free(&conf);

	/* A short error buffer is truncated, not overrun; NULL is fine. */
	conf_init(&conf);
	REQUIRE(uroce_conf_parse(&conf, text, "p.conf", small, sizeof(small)) ==
		-EINVAL);
	REQUIRE_STR(small, "p.conf:2: u");
	REQUIRE(uroce_conf_parse(&conf, text, NULL, NULL, 0) == -EINVAL);
	REQUIRE(uroce_conf_parse(&conf, "x", NULL, err, sizeof(err)) ==
		-EINVAL);
	REQUIRE_STR(err, "config:1: unknown keyword 'x'");
	uroce_conf_free(&conf);
}

static void test_limits(void)
{
	static const char text[] = "max_qp 16\nmax_cq 0\nmax_mr max\n"
				   "max_srq 7 # comment\nmax_srq 8\n";
	struct uroce_conf conf;
	char err[128];

	conf_init(&conf);
	REQUIRE(conf.limits.qp == 65536 && conf.limits.cq == 16384 &&
		conf.limits.mr == 1048576 && conf.limits.pd == 65536 &&
		conf.limits.srq == 65536 && conf.limits.ah == 32767 &&
		conf.limits.mw == 65536);
	conf.limits.mr = 3;
	REQUIRE(uroce_conf_parse(&conf, text, "l.conf", err, sizeof(err)) == 0);
	REQUIRE(conf.limits.qp == 16 && conf.limits.cq == 0 &&
		conf.limits.mr == 1048576 && conf.limits.srq == 8 &&
		conf.limits.pd == 65536);
	uroce_conf_free(&conf);
}

static void test_decisions(void)
{
	struct uroce_conf conf;
	char small[8];

	/* Defaults: everything, lo included, named uroce_<ifname>. */
	conf_init(&conf);
	REQUIRE_STR(dev(&conf, "eth0"), "uroce_eth0");
	REQUIRE_STR(dev(&conf, "lo"), "uroce_lo");
	REQUIRE_STR(dev(&conf, "verylongifname1"), "uroce_verylongifname1");
	REQUIRE(!dev(&conf, ""));
	REQUIRE(uroce_conf_netdev_device(&conf, "eth0", false, NULL, 0));
	REQUIRE(uroce_conf_netdev_device(&conf, "eth0", false, small,
					 sizeof(small)));
	REQUIRE_STR(small, "uroce_e");

	REQUIRE(uroce_conf_parse(&conf,
				 "include eth* net1\n"
				 "exclude eth9 veth*\n"
				 "rename eth0 mydev\n"
				 "lag bond eth1,eth2\n",
				 "d", NULL, 0) == 0);
	REQUIRE_STR(dev(&conf, "eth0"), "mydev");
	REQUIRE(!dev(&conf, "eth1")); /* lag members are not devices */
	REQUIRE(!dev(&conf, "eth2"));
	REQUIRE_STR(dev(&conf, "eth3"), "uroce_eth3");
	REQUIRE(!dev(&conf, "eth9")); /* excluded */
	REQUIRE_STR(dev(&conf, "net1"), "uroce_net1");
	REQUIRE(!dev(&conf, "net2")); /* not included */
	REQUIRE(!dev(&conf, "veth0")); /* not included either */
	REQUIRE_STR(dev(&conf, "lo"),
		    "uroce_lo"); /* include does not hide lo */

	REQUIRE(uroce_conf_parse(&conf, "loopback off", "d", NULL, 0) == 0);
	REQUIRE(!dev(&conf, "lo"));
	/* "lo" only is loopback when the caller says so */
	REQUIRE(!uroce_conf_netdev_device(&conf, "lo", false, NULL, 0));
	uroce_conf_free(&conf);

	/* lo on, but excluded */
	conf_init(&conf);
	REQUIRE(uroce_conf_parse(&conf, "exclude l*", "d", NULL, 0) == 0);
	REQUIRE(!dev(&conf, "lo"));
	REQUIRE_STR(dev(&conf, "eth0"), "uroce_eth0");
	uroce_conf_free(&conf);

	/* lo as a lag member is not a device of its own either */
	conf_init(&conf);
	REQUIRE(uroce_conf_parse(&conf, "lag l lo,eth0", "d", NULL, 0) == 0);
	REQUIRE(!dev(&conf, "lo") && !dev(&conf, "eth0"));
	uroce_conf_free(&conf);
}

static char tmpdir[] = "/tmp/test_config.XXXXXX";

static const char *tmpfile_with(const char *name, const char *text, size_t len)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	REQUIRE(f);
	REQUIRE(fwrite(text, 1, len, f) == len);
	REQUIRE(fclose(f) == 0);
	return path;
}

static int saved_stderr = -1;
static FILE *capture;

static void capture_stderr_start(void)
{
	fflush(stderr);
	capture = tmpfile();
	REQUIRE(capture);
	saved_stderr = dup(STDERR_FILENO);
	REQUIRE(saved_stderr >= 0);
	REQUIRE(dup2(fileno(capture), STDERR_FILENO) == STDERR_FILENO);
}

static void capture_stderr_end(char *buf, size_t len)
{
	size_t n;

	fflush(stderr);
	REQUIRE(dup2(saved_stderr, STDERR_FILENO) == STDERR_FILENO);
	close(saved_stderr);
	rewind(capture);
	n = fread(buf, 1, len - 1, capture);
	buf[n] = '\0';
	fclose(capture);
	fputs(buf, stderr); /* still show what was logged */
}

static void clear_env(void)
{
	unsetenv("UROCE_CONF");
	unsetenv("UROCE_INCLUDE");
	unsetenv("UROCE_EXCLUDE");
	unsetenv("UROCE_LO");
	unsetenv("UROCE_RENAME");
	unsetenv("UROCE_MAX_QP");
	unsetenv("UROCE_MAX_MR");
	unsetenv("UROCE_MAX_CQ");
	unsetenv("UROCE_WIRE");
}

/*
 * wire: direct unless a rule says roce; the last rule that matches the
 * device's name or its netdev's wins; UROCE_WIRE overrides every rule.
 */
static void test_wire(void)
{
	static const char text[] = "wire roce\n"
				   "wire direct eth*,uroce_lag?\n"
				   "wire roce eth2\n";
	struct uroce_conf conf;
	char err[128];

	clear_env();
	conf_init(&conf);
	REQUIRE(!uroce_conf_wire_roce(&conf, "uroce_eth0", "eth0"));
	REQUIRE(uroce_conf_parse(&conf, text, "w.conf", err, sizeof(err)) == 0);
	REQUIRE(uroce_conf_wire_roce(&conf, "uroce_veth0", "veth0"));
	REQUIRE(!uroce_conf_wire_roce(&conf, "uroce_eth0", "eth0"));
	REQUIRE(!uroce_conf_wire_roce(&conf, "uroce_lag0", "eth5"));
	REQUIRE(uroce_conf_wire_roce(&conf, "renamed", "eth2"));
	uroce_conf_free(&conf);

	setenv("UROCE_CONF", "", 1);
	setenv("UROCE_WIRE", "roce", 1);
	REQUIRE(uroce_conf_load(&conf) == 0);
	REQUIRE(uroce_conf_wire_roce(&conf, "uroce_eth0", "eth0"));
	uroce_conf_free(&conf);
	setenv("UROCE_WIRE", "kernel", 1); /* warned about, ignored */
	REQUIRE(uroce_conf_load(&conf) == 0);
	REQUIRE(!uroce_conf_wire_roce(&conf, "uroce_eth0", "eth0"));
	uroce_conf_free(&conf);
	clear_env();
}

static void test_load(void)
{
	static const char file[] = "include eth* net*\n"
				   "exclude net9\n"
				   "nonsense here\n"
				   "loopback off\n"
				   "rename eth0 fromfile\n"
				   "rename eth1 one\n"
				   "lag l0 eth5,eth6\n"
				   "max_qp 12\nmax_mr 13\nmax_cq 14\n";
	struct uroce_conf conf;
	const char *path;
	char big[4096], log[1024];
	size_t i;

	REQUIRE(mkdtemp(tmpdir));
	clear_env();

	/* A missing file gives the defaults. */
	setenv("UROCE_CONF", "/nonexistent/uroce.conf", 1);
	REQUIRE(uroce_conf_load(&conf) == 0);
	REQUIRE(conf.lo && !conf.ninclude && !conf.nexclude && !conf.nrenames &&
		!conf.nlags);
	uroce_conf_free(&conf);

	/* Empty UROCE_CONF: no file. A directory: warned about, ignored. */
	setenv("UROCE_CONF", "", 1);
	REQUIRE(uroce_conf_load(&conf) == 0 && conf.lo && !conf.ninclude);
	uroce_conf_free(&conf);
	setenv("UROCE_CONF", tmpdir, 1);
	REQUIRE(uroce_conf_load(&conf) == 0 && conf.lo && !conf.ninclude);
	uroce_conf_free(&conf);

	/* A file with a NUL byte is not a configuration. */
	path = tmpfile_with("nul.conf", "loopback off\0x\n", 15);
	setenv("UROCE_CONF", path, 1);
	REQUIRE(uroce_conf_load(&conf) == 0 && conf.lo);
	uroce_conf_free(&conf);

	/* The file; its bad line is skipped and logged with its number. */
	path = tmpfile_with("uroce.conf", file, strlen(file));
	setenv("UROCE_CONF", path, 1);
	capture_stderr_start();
	REQUIRE(uroce_conf_load(&conf) == 0);
	capture_stderr_end(log, sizeof(log));
	REQUIRE(strstr(log, "uroce.conf:3: unknown keyword 'nonsense'"));
	REQUIRE(conf.ninclude == 2 && conf.nexclude == 1 && !conf.lo);
	REQUIRE(conf.nrenames == 2 && conf.nlags == 1);
	REQUIRE(conf.limits.qp == 12 && conf.limits.mr == 13);
	REQUIRE_STR(dev(&conf, "eth0"), "fromfile");
	REQUIRE(!dev(&conf, "lo"));
	uroce_conf_free(&conf);

	/* The environment overrides the file; lists are replaced. */
	setenv("UROCE_INCLUDE", "ib*, eth0\tnet9", 1);
	setenv("UROCE_EXCLUDE", "", 1);
	setenv("UROCE_LO", "1", 1);
	setenv("UROCE_RENAME",
	       "eth0=fromenv, bad,eth2=x/y ,eth3=three "
	       "eth4=one,eth5=five,=z",
	       1);
	/* A limit from the environment wins; a bad one leaves the file's. */
	setenv("UROCE_MAX_QP", " 3\t", 1);
	setenv("UROCE_MAX_MR", "3 4", 1);
	setenv("UROCE_MAX_CQ", "", 1);
	REQUIRE(uroce_conf_load(&conf) == 0);
	REQUIRE(conf.limits.qp == 3 && conf.limits.mr == 13 &&
		conf.limits.cq == 14);
	REQUIRE(conf.ninclude == 3);
	REQUIRE_STR(conf.include[0], "ib*");
	REQUIRE_STR(conf.include[1], "eth0");
	REQUIRE_STR(conf.include[2], "net9");
	REQUIRE(conf.nexclude == 0 && conf.exclude == NULL);
	REQUIRE(conf.lo);
	REQUIRE_STR(dev(&conf, "eth0"), "fromenv");
	REQUIRE_STR(dev(&conf, "net9"), "uroce_net9");
	REQUIRE(!dev(&conf, "eth2")); /* not included */
	REQUIRE_STR(dev(&conf, "lo"), "uroce_lo");
	/* eth2=x/y, eth4=one (taken by eth1) and =z are skipped */
	REQUIRE(conf.nrenames == 4);
	REQUIRE_STR(conf.renames[2].ifname, "eth3");
	REQUIRE_STR(conf.renames[2].devname, "three");
	REQUIRE_STR(conf.renames[3].ifname, "eth5");
	uroce_conf_free(&conf);

	/* Bad values are ignored whole. */
	setenv("UROCE_LO", "perhaps", 1);
	for (i = 0; i < sizeof(big) - 1; i += 2) {
		big[i] = 'x';
		big[i + 1] = ',';
	}
	big[sizeof(big) - 1] = '\0';
	setenv("UROCE_INCLUDE", big, 1); /* too many patterns */
	setenv("UROCE_EXCLUDE", "a,b", 1);
	REQUIRE(uroce_conf_load(&conf) == 0);
	REQUIRE(!conf.lo); /* from the file */
	REQUIRE(conf.ninclude == 2);
	REQUIRE_STR(conf.include[0], "eth*");
	REQUIRE(conf.nexclude == 2);
	REQUIRE_STR(conf.exclude[1], "b");
	uroce_conf_free(&conf);

	/* Loading over a freed conf, repeatedly, does not leak. */
	clear_env();
	setenv("UROCE_CONF", path, 1);
	for (i = 0; i < 3; i++) {
		REQUIRE(uroce_conf_load(&conf) == 0);
		uroce_conf_free(&conf);
	}

	clear_env();
	REQUIRE(unlink(tmpfile_with("nul.conf", "", 0)) == 0);
	REQUIRE(unlink(tmpfile_with("uroce.conf", "", 0)) == 0);
	REQUIRE(rmdir(tmpdir) == 0);
}

int main(void)
{
	/* Exercise the warning path of uroce_conf_load. */
	setenv("UROCE_LOG", "warn", 1);
	test_good();
	test_bool_values();
	test_bad();
	test_partial();
	test_limits();
	test_decisions();
	test_load();
	test_wire();
	printf("test_config: ok\n");
	return 0;
}
