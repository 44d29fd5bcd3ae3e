/*
 * mos_pool.c - the arena and the fixed-size object pools (see mos_pool.h).
 * mos_core_setup carves every pool from the core's arena once, at start;
 * TCP takes streams and buffers from them (stream_alloc, tcp_shed_buffers)
 * and gives them back; nothing else allocates after start.
 */
#include "mos_pool.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

void mos_arena_init(struct mos_arena *a, void *mem, size_t size)
{
	a->base = mem;
	a->size = mem != NULL ? size : 0;
	a->used = 0;
}

void *mos_arena_carve(struct mos_arena *a, size_t size, size_t align)
{
	uintptr_t start, at;

	if (a->base == NULL || align == 0 || (align & (align - 1)) != 0)
		return NULL;
	start = (uintptr_t)a->base;
	at = mos_align_up(start + a->used, align);
	if (at < start || at - start > a->size || size > a->size - (at - start))
		return NULL;
	a->used = at - start + size;
	return (void *)at;
}

size_t mos_pool_mem_size(size_t obj_size, size_t align, uint32_t n)
{
	if (align < sizeof(void *))
		align = sizeof(void *);
	/* one alignment's worth of slack for where the arena cursor stands */
	return mos_align_up(obj_size, align) * n + align;
}

int mos_pool_carve(struct mos_pool *p, struct mos_arena *a, const char *name,
		   size_t obj_size, size_t align, uint32_t n)
{
	size_t stride;
	uint8_t *mem;

	memset(p, 0, sizeof(*p));
	p->name = name;
	if (align < sizeof(void *) || (align & (align - 1)) != 0 || obj_size == 0 ||
	    obj_size > UINT32_MAX / 2 || n == 0)
		return -EINVAL;
	stride = mos_align_up(obj_size, align);
	if (stride > SIZE_MAX / n)
		return -ENOMEM;
	mem = mos_arena_carve(a, stride * n, align);
	if (mem == NULL)
		return -ENOMEM;

	p->base = mem;
	p->end = mem + stride * n;
	p->obj_size = (uint32_t)stride;
	p->capacity = n;
	/* link back to front so that the first get returns the first object */
	for (uint32_t i = n; i-- > 0;) {
		void *obj = mem + (size_t)i * stride;

		*(void **)obj = p->free_head;
		p->free_head = obj;
	}
	return 0;
}

int mos_pool_owns(const struct mos_pool *p, const void *obj)
{
	const uint8_t *o = obj;

	return o >= p->base && o < p->end && (size_t)(o - p->base) % p->obj_size == 0;
}

void mos_pool_put(struct mos_pool *p, void *obj)
{
	assert(mos_pool_owns(p, obj));
	assert(p->in_use > 0);
	*(void **)obj = p->free_head;
	p->free_head = obj;
	p->in_use--;
}
