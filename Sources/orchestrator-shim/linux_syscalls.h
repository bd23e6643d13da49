/*
 * The few Linux system calls the shim makes, without a C library (see main.c for why), and its
 * entry point. x86-64 and AArch64; the numbers come from the kernel's headers.
 */
#ifndef ORCHESTRATOR_SHIM_LINUX_SYSCALLS_H
#define ORCHESTRATOR_SHIM_LINUX_SYSCALLS_H

#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
static inline long raw_syscall6(long number, long a, long b, long c, long d, long e, long f) {
    long result;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return result;
}

/* The kernel starts a program with the stack pointer on argc; the ABI wants it 16-byte aligned
 * at a call. */
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "  xor %rbp, %rbp\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call shim_main\n"
        "  hlt\n");
#elif defined(__aarch64__)
static inline long raw_syscall6(long number, long a, long b, long c, long d, long e, long f) {
    register long x8 __asm__("x8") = number;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
}

__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "  mov x29, #0\n"
        "  mov x30, #0\n"
        "  mov x0, sp\n"
        "  bl shim_main\n"
        "  brk #0\n");
#else
#error "orchestrator-shim: x86-64 and AArch64 only"
#endif

static inline long raw_syscall(long number, long a, long b, long c, long d, long e) {
    return raw_syscall6(number, a, b, c, d, e, 0);
}

/* The kernel's struct sigaction (not glibc's): handler, flags, restorer, mask. */
struct kernel_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

/* Each returns the kernel's result: a value, or -errno. */
static inline long sys_write(int fd, const void *bytes, long count) {
    return raw_syscall(SYS_write, fd, (long)bytes, count, 0, 0);
}
static inline long sys_openat(int folder, const char *path, int flags, int mode) {
    return raw_syscall(SYS_openat, folder, (long)path, flags, mode, 0);
}
static inline long sys_close(int fd) { return raw_syscall(SYS_close, fd, 0, 0, 0, 0); }
static inline long sys_read(int fd, void *into, unsigned long count) {
    return raw_syscall(SYS_read, fd, (long)into, (long)count, 0, 0);
}
static inline long sys_dup3(int from, int to, int flags) { return raw_syscall(SYS_dup3, from, to, flags, 0, 0); }
static inline long sys_chdir(const char *path) { return raw_syscall(SYS_chdir, (long)path, 0, 0, 0, 0); }
/* Anonymous memory shared with the children forked after: an address, or -errno. */
static inline long sys_mmap_shared(unsigned long size) {
    return raw_syscall6(SYS_mmap, 0, (long)size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
}
static inline long sys_renameat2(int from_folder, const char *from, int to_folder, const char *to, unsigned flags) {
    return raw_syscall(SYS_renameat2, from_folder, (long)from, to_folder, (long)to, flags);
}
/* fork(2) as clone(2) with only SIGCHLD: AArch64 has no fork system call. */
static inline long sys_fork(void) { return raw_syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0); }
static inline long sys_execve(const char *path, char *const argv[], char *const envp[]) {
    return raw_syscall(SYS_execve, (long)path, (long)argv, (long)envp, 0, 0);
}
static inline long sys_wait4(long pid, int *status, int options) {
    return raw_syscall(SYS_wait4, pid, (long)status, options, 0, 0);
}
static inline long sys_rt_sigaction(int signal, const struct kernel_sigaction *action, struct kernel_sigaction *old) {
    return raw_syscall(SYS_rt_sigaction, signal, (long)action, (long)old, sizeof(unsigned long), 0);
}
static inline long sys_getpid(void) { return raw_syscall(SYS_getpid, 0, 0, 0, 0, 0); }
static inline long sys_getppid(void) { return raw_syscall(SYS_getppid, 0, 0, 0, 0, 0); }
static inline long sys_prctl(int option, long value) { return raw_syscall(SYS_prctl, option, value, 0, 0, 0); }
static inline long sys_kill(long pid, int signal) { return raw_syscall(SYS_kill, pid, signal, 0, 0, 0); }
__attribute__((noreturn)) static inline void sys_exit(int code) {
    for (;;) raw_syscall(SYS_exit_group, code, 0, 0, 0, 0);
}

/* What a compiler may call for a struct copy or a zeroed array, even in a freestanding program. */
__attribute__((used)) void *memset(void *to, int byte, unsigned long count) {
    unsigned char *bytes = to;
    while (count-- > 0) *bytes++ = (unsigned char)byte;
    return to;
}
__attribute__((used)) void *memcpy(void *to, const void *from, unsigned long count) {
    unsigned char *target = to;
    const unsigned char *source = from;
    while (count-- > 0) *target++ = *source++;
    return to;
}

#endif
