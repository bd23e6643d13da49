#ifndef CPROCESS_H
#define CPROCESS_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` in a session of its own (so that its whole process group
/// can be signalled), stdin from `input_fd` (from /dev/null when it is -1), stdout and stderr to
/// `output_fd`, in `cwd` when it is not NULL, with every other descriptor closed, default signal
/// dispositions and an empty signal mask. Returns 0 and sets `*pid`, or the errno of what failed
/// (the exec's included, which glibc's posix_spawn reports).
int cprocess_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd, int input_fd,
                   int output_fd, pid_t *pid);

/// A descriptor that becomes readable when the child `pid` exits (pidfd_open(2)), or -1.
int cprocess_pidfd_open(pid_t pid);

/// A non-blocking, close-on-exec eventfd, or -1.
int cprocess_eventfd(void);

/// pipe2(2) with O_CLOEXEC; 0 or -1 (errno set).
int cprocess_pipe(int fds[2]);

/// Whether the child `pid` has ended (1) or not (0), without reaping it (waitid with WNOWAIT):
/// until it is reaped, its pid, which is also its process group's number, cannot be given to
/// another process. -1 when it is not a child of this process (any more).
int cprocess_has_exited(pid_t pid);

#endif
