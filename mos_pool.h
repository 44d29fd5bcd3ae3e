/*
 * mos_pool.h - fixed-size object pools and the arena they are carved from.
 *
 * Every object the stack uses at run time comes from a pool carved once,
 * at context creation, out of one per-core arena whose size the
 * configuration decides. Get and put are O(1) (an intrusive LIFO free list:
 * the object freed last is the warmest in cache); an empty pool is an error
 * return plus a counter, never a crash and never a fallback to malloc.
 *
 * Threading: a pool belongs to one core; nothing here locks.
 */
#ifndef EPWGET_MOS_POOL_H
#define EPWGET_MOS_POOL_H

#include <stddef.h>
#include <stdint.h>

/* A bump allocator over one block: carving is done once, at start. */
struct mos_arena {
	uint8_t *base;
	size_t size;
	size_t used;
};

struct mos_pool {
	const char *name;	/* for statistics and error messages */
	uint8_t *base;		/* first object */
	uint8_t *end;		/* one past the last object */
	void *free_head;	/* LIFO list linked through the first word of each free object */
	uint32_t obj_size;	/* rounded up to the alignment */
	uint32_t capacity;
	uint32_t in_use;
	uint32_t in_use_max;	/* high-water mark */
	uint64_t exhausted;	/* gets that found the pool empty */
};

/* Round n up to align (a power of two). */
static inline size_t mos_align_up(size_t n, size_t align)
{
	return (n + align - 1) & ~(align - 1);
}

void mos_arena_init(struct mos_arena *a, void *mem, size_t size);

/* size bytes aligned to align (a power of two) from the arena, or NULL when it is full. */
void *mos_arena_carve(struct mos_arena *a, size_t size, size_t align);

/* Bytes a pool of n objects of obj_size (aligned to align) takes from an arena. */
size_t mos_pool_mem_size(size_t obj_size, size_t align, uint32_t n);

/*
 * Carve a pool of n objects of obj_size bytes, each aligned to align (a
 * power of two, at least sizeof(void *)), from the arena; name must outlive
 * the pool. Returns 0, -EINVAL (bad sizes) or -ENOMEM (arena too small).
 */
int mos_pool_carve(struct mos_pool *p, struct mos_arena *a, const char *name,
		   size_t obj_size, size_t align, uint32_t n);

/* One object, or NULL when the pool is empty (counted in p->exhausted). Contents are stale. */
static inline void *mos_pool_get(struct mos_pool *p)
{
	void *obj = p->free_head;

	if (obj == NULL) {
		p->exhausted++;
		return NULL;
	}
	p->free_head = *(void **)obj;
	if (++p->in_use > p->in_use_max)
		p->in_use_max = p->in_use;
	return obj;
}

/* Return an object that mos_pool_get gave out (checked in debug builds). */
void mos_pool_put(struct mos_pool *p, void *obj);

/* Whether obj is the start of one of this pool's objects. */
int mos_pool_owns(const struct mos_pool *p, const void *obj);

#endif
