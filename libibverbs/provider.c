// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Finding and loading providers. A provider is a shared object in the
 * provider directory that exports VERBS_PROVIDER_SYMBOL. The directory is
 * $UROCE_PROVIDER_DIR, else "uroce-providers" beside this library, which is
 * right both in the build tree (build/lib) and once installed.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ibverbs.h"
#include "util/log.h"

#define MAX_PROVIDERS 16

static const struct verbs_provider *providers[MAX_PROVIDERS + 1];
static pthread_once_t providers_once = PTHREAD_ONCE_INIT;

static int provider_dir(char *buf, size_t len)
{
	const char *env = secure_getenv("UROCE_PROVIDER_DIR");
	Dl_info info;
	char *slash;

	if (env && *env) {
		if (snprintf(buf, len, "%s", env) >= (int)len)
			return -ENAMETOOLONG;
		return 0;
	}
	if (!dladdr((void *)provider_dir, &info) || !info.dli_fname)
		return -ENOENT;
	if (snprintf(buf, len, "%s", info.dli_fname) >= (int)len)
		return -ENAMETOOLONG;
	slash = strrchr(buf, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	if (strlen(buf) + sizeof("/uroce-providers") > len)
		return -ENAMETOOLONG;
	strcat(buf, "/uroce-providers");
	return 0;
}

static int is_shared_object(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 3 && !strcmp(d->d_name + n - 3, ".so");
}

static void load_one(const char *dir, const char *file, unsigned int *n)
{
	const struct verbs_provider *prov;
	char path[PATH_MAX];
	void *handle;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    (int)sizeof(path))
		return;
	/* Providers stay loaded for the life of the process, as in rdma-core. */
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		uroce_warn("cannot load provider %s: %s", path, dlerror());
		return;
	}
	prov = dlsym(handle, VERBS_PROVIDER_SYMBOL);
	if (!prov || prov->abi != VERBS_PROVIDER_ABI || !prov->list_devices ||
	    !prov->alloc_context) {
		uroce_warn("%s is not a provider of ABI %d", path,
			   VERBS_PROVIDER_ABI);
		dlclose(handle);
		return;
	}
	if (*n == MAX_PROVIDERS) {
		uroce_warn("too many providers, ignoring %s", path);
		dlclose(handle);
		return;
	}
	uroce_dbg("loaded provider %s from %s", prov->name, path);
	providers[(*n)++] = prov;
}

static void load_all(void)
{
	struct dirent **names;
	char dir[PATH_MAX];
	unsigned int n = 0;
	int i, count;

	if (provider_dir(dir, sizeof(dir))) {
		uroce_warn("cannot locate the provider directory");
		return;
	}
	count = scandir(dir, &names, is_shared_object, alphasort);
	if (count < 0) {
		uroce_warn("cannot read provider directory %s", dir);
		return;
	}
	for (i = 0; i < count; i++) {
		load_one(dir, names[i]->d_name, &n);
		free(names[i]);
	}
	free(names);
}

/* Returns the NULL-terminated list of loaded providers. */
int verbs_load_providers(const struct verbs_provider ***list)
{
	pthread_once(&providers_once, load_all);
	*list = providers;
	return 0;
}
