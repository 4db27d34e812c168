/*
 * mem: reading and writing tracee memory.  Data goes through
 * process_vm_readv/writev (one syscall per range, no PEEKDATA loops);
 * code goes through /proc/PID/mem, which may write read-only text.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ptrace/ptrace.h"

long mem_read(pid_t pid, taddr_t addr, void *buf, size_t len)
{
	struct iovec l = {buf, len}, r = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_readv(pid, &l, 1, &r, 1, 0);
	return n < 0 ? -errno : n;
}

int mem_write(pid_t pid, taddr_t addr, const void *buf, size_t len)
{
	struct iovec l = {(void *)buf, len}, r = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_writev(pid, &l, 1, &r, 1, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

/* P's /proc/PID/mem, opened on first use (for writing code). */
int mem_fd(struct proc *p)
{
	if (p->memfd < 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/mem", p->pid);
		p->memfd = open(path, O_RDWR | O_CLOEXEC);
	}
	return p->memfd;
}

int mem_write_code(struct proc *p, taddr_t addr, const void *buf, size_t len)
{
	int fd = mem_fd(p);
	ssize_t n;
	if (fd < 0)
		return -errno;
	n = pwrite(fd, buf, len, (off_t)addr);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

long mem_read_force(struct proc *p, taddr_t addr, void *buf, size_t len)
{
	long n = mem_read(p->pid, addr, buf, len);
	int fd;
	if (n == (long)len)
		return n;
	fd = mem_fd(p);
	if (fd < 0)
		return n;
	{
		ssize_t m = pread(fd, buf, len, (off_t)addr);
		if (m > n)
			return m;
	}
	return n;
}
