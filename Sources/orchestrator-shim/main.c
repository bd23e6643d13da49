/*
 * orchestrator-shim STATUS-FILE PROGRAM [ARG...]
 * orchestrator-shim --stdin
 *
 * Runs PROGRAM (an absolute path; no shell, no PATH search) as its child, waits for it, writes
 * how it ended to STATUS-FILE ("exit N" or "signal N", written to a temporary name and renamed,
 * so the file is either complete or absent), then ends the same way. With `--stdin`, the run
 * (status file, working folder, arguments, environment) is read from standard input instead:
 * the daemon starts the shim ahead of the run (see `run_from_input`).
 *
 * Why: the orchestrator starts each run in a session of its own, so a run survives the
 * orchestrator's own death. When the orchestrator is restarted, the status file tells whether a
 * run it lost sight of actually finished, and how: a run that succeeded meanwhile is recorded as
 * succeeded instead of being run a second time. The orchestrator removes the file once it has
 * recorded the outcome itself, so there is no moment when a finished run has left no trace.
 *
 * Why without a C library: the shim stands between a file's arrival and its command's start, and
 * on this kind of machine starting a statically linked glibc program costs about 0.45 ms more
 * than starting one that makes its system calls itself (measured: spawn to exit 0.70 ms against
 * 0.25 ms), which was a fifth of the whole close-to-start latency. So the shim has its own entry
 * point (`_start`), its own system calls (`linux_syscalls.h`), and no libc: headers give it constants and
 * macros only.
 */
#include <fcntl.h>
#include <linux/prctl.h>
#include <signal.h>
#include <sys/wait.h>

#include "linux_syscalls.h"

static long length_of(const char *text) {
    long length = 0;
    while (text[length] != 0) length++;
    return length;
}

static void say(const char *text) { sys_write(2, text, length_of(text)); }

/* Appends `value` in decimal to `buffer` at `at`; returns the new end. */
static long append_number(char *buffer, long at, long value) {
    char digits[24];
    long count = 0;
    if (value < 0) {
        buffer[at++] = '-';
        value = -value;
    }
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0);
    while (count > 0) buffer[at++] = digits[--count];
    return at;
}

static long append_text(char *buffer, long at, long capacity, const char *text) {
    for (long index = 0; text[index] != 0 && at < capacity; index++) buffer[at++] = text[index];
    return at;
}

static const char *describe(long error) {
    switch (error) {
    case ENOENT: return "No such file or directory";
    case EACCES: return "Permission denied";
    case ENOEXEC: return "Exec format error";
    case ENOTDIR: return "Not a directory";
    case ELOOP: return "Too many levels of symbolic links";
    case E2BIG: return "Argument list too long";
    case ENOMEM: return "Cannot allocate memory";
    case ETXTBSY: return "Text file busy";
    case EISDIR: return "Is a directory";
    default: return "error";
    }
}

/* STATUS-FILE.tmp, written then renamed over STATUS-FILE. No fsync: the file must survive the
 * orchestrator's death, not the machine's. */
static void write_status(const char *path, const char *text, long length) {
    char temporary[4096];
    long at = append_text(temporary, 0, (long)sizeof temporary - 8, path);
    if (path[at] != 0) return;
    at = append_text(temporary, at, (long)sizeof temporary - 1, ".tmp");
    temporary[at] = 0;
    long fd = sys_openat(AT_FDCWD, temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return;
    long written = sys_write((int)fd, text, length);
    sys_close((int)fd);
    if (written == length) sys_renameat2(AT_FDCWD, temporary, AT_FDCWD, path, 0);
}

static void ignore(int signal) {
    struct kernel_sigaction action = {.handler = SIG_IGN, .flags = 0, .restorer = 0, .mask = 0};
    sys_rt_sigaction(signal, &action, 0);
}

static void restore_default(int signal) {
    struct kernel_sigaction action = {.handler = SIG_DFL, .flags = 0, .restorer = 0, .mask = 0};
    sys_rt_sigaction(signal, &action, 0);
}

/* Prints "orchestrator-shim: WHAT SUBJECT: REASON" and exits 127, as a shell does for a command
 * it cannot run. */
__attribute__((noreturn)) static void cannot(const char *what, const char *subject, long error) {
    char message[4200];
    long at = append_text(message, 0, 100, "orchestrator-shim: ");
    at = append_text(message, at, 200, what);
    at = append_text(message, at, 4000, subject);
    at = append_text(message, at, 4100, ": ");
    at = append_text(message, at, 4190, describe(error));
    message[at++] = '\n';
    sys_write(2, message, at);
    sys_exit(127);
}

/* Runs `argv` (argv[0] is the program's path) in `folder` (none when empty): the child's part
 * of a run, in the process that becomes the command. */
__attribute__((noreturn)) static void exec_run(const char *folder, char **argv, char **envp) {
    if (folder[0] != 0) {
        long changed = sys_chdir(folder);
        if (changed < 0) cannot("cannot change to ", folder, -changed);
    }
    cannot("cannot run ", argv[0], -sys_execve(argv[0], argv, envp));
}

/* Forks, or ends the shim: 0 in the child, the child's pid in the shim. */
static long fork_or_exit(void) {
    long child = sys_fork();
    if (child < 0) {
        say("orchestrator-shim: fork failed\n");
        sys_exit(125);
    }
    return child;
}

/* Waits for `child` (signals meant for the run reach the whole process group; the shim only
 * waits) and returns how it ended. */
static int wait_for(long child) {
    ignore(SIGTERM);
    ignore(SIGINT);
    ignore(SIGHUP);
    int status = 0;
    long reaped;
    do {
        reaped = sys_wait4(child, &status, 0);
    } while (reaped == -EINTR);
    if (reaped < 0) {
        say("orchestrator-shim: waitpid failed\n");
        sys_exit(125);
    }
    return status;
}

/* Records `status` in `status_file` and ends the same way. */
__attribute__((noreturn)) static void end_as(int status, const char *status_file) {
    char text[32];
    long at;
    if (WIFSIGNALED(status)) {
        at = append_text(text, 0, 16, "signal ");
        at = append_number(text, at, WTERMSIG(status));
    } else {
        at = append_text(text, 0, 16, "exit ");
        at = append_number(text, at, WEXITSTATUS(status));
    }
    text[at++] = '\n';
    write_status(status_file, text, at);
    if (WIFSIGNALED(status)) {
        restore_default(WTERMSIG(status));
        sys_kill(sys_getpid(), WTERMSIG(status));
    }
    sys_exit(WEXITSTATUS(status));
}

/* Runs `argv` in `folder` as the shim's child, waits for it, records how it ended in
 * `status_file`, and ends the same way. */
__attribute__((noreturn)) static void run(const char *status_file, const char *folder, char **argv, char **envp) {
    long child = fork_or_exit();
    if (child == 0) exec_run(folder, argv, envp);
    end_as(wait_for(child), status_file);
}

/* The run as the child read it, in memory it shares with the shim: the child runs it at once;
 * the shim takes the status file from it once the child is gone. `ready` is set when the whole
 * run was read (before that, the child runs nothing). */
struct shared_run {
    volatile unsigned long ready;
    char bytes[];
};

/* Room for a run: more than the kernel takes in arguments and environment (ARG_MAX), in memory
 * that costs nothing until written. */
#define RUN_CAPACITY (32UL << 20)

static struct shared_run *shared;

/* The child's part of `--stdin`: reads the run from `input` into `shared` and runs it. */
__attribute__((noreturn)) static void read_and_run(int input) {
    unsigned long have = 0, need = 12;
    unsigned int header[3] = {0, 0, 0};
    while (have < need) {
        long got = sys_read(input, shared->bytes + have, RUN_CAPACITY - have);
        if (got == -EINTR) continue;
        if (got <= 0) sys_exit(125);
        have += (unsigned long)got;
        if (have >= 12 && need == 12) {
            for (int index = 0; index < 12; index++) ((char *)header)[index] = shared->bytes[index];
            if (header[0] == 0 || header[1] == 0) sys_exit(125);
            need = 12UL + header[0];
            if (need >= RUN_CAPACITY) {
                say("orchestrator-shim: a run larger than the shim takes\n");
                sys_exit(125);
            }
        }
    }
    unsigned long arguments = header[1], entries = header[2];
    char *text = shared->bytes + 12, *at = text, *end = text + header[0];
    *end = 0;
    /* The pointers go after the text, aligned. */
    char **vector = (char **)(((unsigned long)end + 16) & ~7UL);
    if ((char *)(vector + arguments + entries + 2) > shared->bytes + RUN_CAPACITY) {
        say("orchestrator-shim: a run larger than the shim takes\n");
        sys_exit(125);
    }
    const char *strings[2];
    unsigned long index = 0, total = 2 + arguments + entries;
    for (unsigned long taken = 0; taken < total; taken++) {
        if (at >= end) {
            say("orchestrator-shim: a truncated run on standard input\n");
            sys_exit(125);
        }
        if (taken < 2) {
            strings[taken] = at;
        } else {
            vector[index++] = at;
            if (taken == 1 + arguments) vector[index++] = 0;
        }
        at += length_of(at) + 1;
    }
    vector[index] = 0;
    shared->ready = 1;
    exec_run(strings[1], vector, vector + arguments + 1);
}

/* `--stdin`: started ahead of its run, the shim forks the child that will be the command at
 * once, and the child waits for the run on the shim's standard input: when the run comes, it
 * is read and started by the process that runs it, with no fork between. The run is three
 * native-endian 32-bit numbers (the size of what follows, the count of arguments, the count of
 * environment entries), then NUL-terminated strings: the status file, the working folder
 * (empty for none), the arguments (the first is the program's path), the environment entries.
 * When the input ends before a whole run (the orchestrator stopped or died first), nothing is
 * run: exit 125. */
__attribute__((noreturn)) static void run_from_input(void) {
    long memory = sys_mmap_shared(sizeof(struct shared_run) + RUN_CAPACITY);
    if (memory < 0 && memory > -4096) {
        say("orchestrator-shim: out of memory\n");
        sys_exit(125);
    }
    shared = (struct shared_run *)memory;
    /* The input moves to descriptor 3 (closed by the command's exec); the command's standard
     * input is /dev/null, as a directly started one's is. */
    if (sys_dup3(0, 3, O_CLOEXEC) < 0) sys_exit(125);
    long null = sys_openat(AT_FDCWD, "/dev/null", O_RDONLY, 0);
    if (null > 0) {
        sys_dup3((int)null, 0, 0);
        sys_close((int)null);
    }
    long shim = sys_getpid();
    long child = fork_or_exit();
    if (child == 0) {
        /* A shim killed while it waits takes its child along, and with it the only reader of
         * the input: the orchestrator's hand-over then fails and it takes another shim, where a
         * surviving child would run the run unsupervised. The command keeps this: a run whose
         * shim was killed is killed too, never left running with nobody to record its end. */
        sys_prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (sys_getppid() != shim) sys_exit(125);
        read_and_run(3);
    }
    sys_close(3);
    int status = wait_for(child);
    /* No whole run was read (the input ended first): nothing ran, no status is written. */
    if (!shared->ready) sys_exit(125);
    end_as(status, shared->bytes + 12);
}

/* Called by `_start` with the initial stack: argc, argv[], NULL, envp[], NULL. */
__attribute__((used, noreturn)) void shim_main(long *stack) {
    long argc = stack[0];
    char **argv = (char **)(stack + 1);
    char **envp = argv + argc + 1;
    if (argc == 2 && argv[1][0] == '-' && argv[1][1] == '-' && argv[1][2] == 's' && argv[1][3] == 't'
        && argv[1][4] == 'd' && argv[1][5] == 'i' && argv[1][6] == 'n' && argv[1][7] == 0) {
        run_from_input();
    }
    if (argc < 3) {
        say("usage: orchestrator-shim STATUS-FILE PROGRAM [ARG...]\n"
            "       orchestrator-shim --stdin\n");
        sys_exit(125);
    }
    run(argv[1], "", argv + 2, envp);
}
