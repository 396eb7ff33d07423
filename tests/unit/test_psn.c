// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* providers/uroce/psn.h: 24-bit PSN arithmetic, wrap-around above all. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "providers/uroce/psn.h"

#include "tests/lib/check.h"

#define M UROCE_PSN_MASK

/* The signed distance computed in wide arithmetic, as the reference. */
static int64_t ref_diff(uint32_t a, uint32_t b)
{
	int64_t d = ((int64_t)a - (int64_t)b) % (1 << 24);

	if (d < 0)
		d += 1 << 24;
	if (d >= (1 << 23))
		d -= 1 << 24;
	return d;
}

static void test_add_sub(void)
{
	REQUIRE(uroce_psn_add(0, 0) == 0);
	REQUIRE(uroce_psn_add(M, 1) == 0);
	REQUIRE(uroce_psn_add(0xfffffe, 5) == 3);
	REQUIRE(uroce_psn_add(5, M) == 4);
	REQUIRE(uroce_psn_add(0x123456, 0x1000000) == 0x123456);
	REQUIRE(uroce_psn_inc(M) == 0);
	REQUIRE(uroce_psn_inc(41) == 42);

	REQUIRE(uroce_psn_sub(0, 1) == M);
	REQUIRE(uroce_psn_sub(3, 0xfffffe) == 5);
	REQUIRE(uroce_psn_sub(0xfffffe, 3) == 0xfffffb);
	REQUIRE(uroce_psn_sub(7, 7) == 0);

	REQUIRE(uroce_psn_valid(0));
	REQUIRE(uroce_psn_valid(M));
	REQUIRE(!uroce_psn_valid(M + 1));
	REQUIRE(!uroce_psn_valid(UINT32_MAX));
}

static void test_diff_order(void)
{
	REQUIRE(uroce_psn_diff(5, 5) == 0);
	REQUIRE(uroce_psn_diff(0, M) == 1);
	REQUIRE(uroce_psn_diff(M, 0) == -1);
	REQUIRE(uroce_psn_diff(0x7fffff, 0) == 0x7fffff);
	REQUIRE(uroce_psn_diff(0, 0x7fffff) == -0x7fffff);
	REQUIRE(uroce_psn_diff(0x800000, 0) == -0x800000);
	REQUIRE(uroce_psn_diff(0, 0x800000) == -0x800000);
	REQUIRE(uroce_psn_diff(2, 0xfffffe) == 4);

	/* Across the wrap. */
	REQUIRE(uroce_psn_before(M, 0));
	REQUIRE(uroce_psn_after(0, M));
	REQUIRE(uroce_psn_before(0xfffff0, 5));
	REQUIRE(uroce_psn_after(5, 0xfffff0));
	REQUIRE(!uroce_psn_before(5, 0xfffff0));
	REQUIRE(uroce_psn_before_eq(7, 7) && uroce_psn_after_eq(7, 7));
	REQUIRE(!uroce_psn_before(7, 7) && !uroce_psn_after(7, 7));
	REQUIRE(uroce_psn_before_eq(M, 0) && !uroce_psn_after_eq(M, 0));

	/* Exactly half the space apart: each counts as before the other. */
	REQUIRE(uroce_psn_before(0x800000, 0));
	REQUIRE(uroce_psn_before(0, 0x800000));
	REQUIRE(uroce_psn_before(0x900000, 0x100000));
	/* One short of half: strictly ordered. */
	REQUIRE(uroce_psn_after(0x7fffff, 0) && uroce_psn_before(0, 0x7fffff));
	REQUIRE(uroce_psn_after(0x0ffffe, 0x8fffff));
}

static void test_against_reference(void)
{
	static const uint32_t edges[] = { 0,	    1,	      2,
					  0x7ffffe, 0x7fffff, 0x800000,
					  0x800001, 0xfffffe, 0xffffff };
	unsigned int i, j;

	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		for (j = 0; j < sizeof(edges) / sizeof(edges[0]); j++)
			REQUIRE(uroce_psn_diff(edges[i], edges[j]) ==
				ref_diff(edges[i], edges[j]));

	srand(1);
	for (i = 0; i < 1000000; i++) {
		uint32_t a = (uint32_t)rand() & M, b = (uint32_t)rand() & M;
		int64_t d = ref_diff(a, b);

		if (i & 1) /* half the pairs close together, maybe wrapping */
			b = (a + (uint32_t)(rand() % 64) - 32) & M,
			d = ref_diff(a, b);
		REQUIRE(uroce_psn_diff(a, b) == d);
		REQUIRE(uroce_psn_before(a, b) == (d < 0));
		REQUIRE(uroce_psn_after(a, b) == (d > 0));
		REQUIRE(uroce_psn_sub(a, b) == (uint32_t)((a - b) & M));
		REQUIRE(uroce_psn_add(b, uroce_psn_sub(a, b)) == a);
		if (d != -(1 << 23)) /* away from the ambiguous half point */
			REQUIRE(uroce_psn_before(a, b) ==
				uroce_psn_after(b, a));
	}
}

static void test_window(void)
{
	/* [0xfffffe, 0xfffffe + 3) = { 0xfffffe, 0xffffff, 0 } */
	REQUIRE(uroce_psn_in_window(0xfffffe, 0xfffffe, 3));
	REQUIRE(uroce_psn_in_window(M, 0xfffffe, 3));
	REQUIRE(uroce_psn_in_window(0, 0xfffffe, 3));
	REQUIRE(!uroce_psn_in_window(1, 0xfffffe, 3));
	REQUIRE(!uroce_psn_in_window(0xfffffd, 0xfffffe, 3));
	REQUIRE(!uroce_psn_in_window(5, 5, 0));
	REQUIRE(uroce_psn_in_window(5, 5, 1));
	/* An RC responder's valid region: half the space from ePSN on. */
	REQUIRE(uroce_psn_in_window(0x7fffff, 0, UROCE_PSN_HALF));
	REQUIRE(!uroce_psn_in_window(0x800000, 0, UROCE_PSN_HALF));
	REQUIRE(uroce_psn_in_window(0x800000, 0x800001, 1 << 24));

	REQUIRE(uroce_psn_in_range(0, 0xfffff0, 0x10));
	REQUIRE(uroce_psn_in_range(0xfffff0, 0xfffff0, 0x10));
	REQUIRE(uroce_psn_in_range(0x10, 0xfffff0, 0x10));
	REQUIRE(!uroce_psn_in_range(0x11, 0xfffff0, 0x10));
	REQUIRE(!uroce_psn_in_range(0xffffef, 0xfffff0, 0x10));
	REQUIRE(uroce_psn_in_range(9, 9, 9) && !uroce_psn_in_range(10, 9, 9));
}

int main(void)
{
	test_add_sub();
	test_diff_order();
	test_against_reference();
	test_window();
	printf("test_psn: ok\n");
	return 0;
}
