/*
 * target: the memory and threads a scan reads, whatever holds them.
 *
 * The heap walk, the root gathering and the classifier read a process's
 * memory only through a struct target; a live process (ptrace/target.c)
 * is one implementation, and a core file can be another.  Nothing that
 * takes a target calls ptrace or reads /proc.
 */
#ifndef LEAKCHECK_TARGET_H
#define LEAKCHECK_TARGET_H

#include <elf.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

#include "leakcheck/types.h"

struct target {
	int pid;	  /* for messages: the process's (or the core's) */
	const char *maps; /* its mappings, in /proc/PID/maps's format;
			   * owned by whoever made the target */
	/* Read LEN bytes at ADDR into BUF: bytes read (short at an
	 * unreadable page), 0 or -errno if none can be. */
	long (*read)(void *ctx, taddr_t addr, void *buf, size_t len);
	void *ctx;
};

/* All LEN bytes at ADDR, or -1. */
static inline int target_read_all(const struct target *tg, taddr_t addr,
				  void *buf, size_t len)
{
	return tg->read(tg->ctx, addr, buf, len) == (long)len ? 0 : -1;
}

/* The program headers (at most MAX, into PH) of the x86-64 ELF module
 * whose header TG holds at BASE (a shared object's first mapping, where
 * its p_vaddr's are from): how many, or -1 if no such header is there. */
static inline int target_phdrs(const struct target *tg, taddr_t base,
			       Elf64_Phdr *ph, int max)
{
	Elf64_Ehdr eh;

	if (target_read_all(tg, base, &eh, sizeof(eh)) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_machine != EM_X86_64 ||
	    eh.e_phnum > max || eh.e_phentsize != sizeof(*ph) ||
	    target_read_all(tg, base + eh.e_phoff, ph,
			    eh.e_phnum * sizeof(*ph)))
		return -1;
	return eh.e_phnum;
}

/*
 * A thread as the scan sees it: where its stack is a root from, its
 * thread pointer, and the register words that are roots (none for the
 * thread that ends its process: valgrind's rule).
 */
struct target_thread {
	pid_t tid;
	taddr_t sp;   /* its stack pointer, 0 if unknown */
	taddr_t from; /* its stack is a root from here up (sp or below) */
	taddr_t tp;   /* its thread pointer (glibc's TCB), 0 if unknown */
	const taddr_t *words; /* root register words (general, then SSE) */
	size_t nwords;
};

#endif
