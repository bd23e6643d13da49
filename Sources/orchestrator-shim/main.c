/*
 * orchestrator-shim STATUS-FILE PROGRAM [ARG...]
 *
 * Runs PROGRAM (an absolute path; no shell, no PATH search) as its child, waits for it, writes
 * how it ended to STATUS-FILE ("exit N" or "signal N", written to a temporary name and renamed,
 * so the file is either complete or absent), then ends the same way.
 *
 * Why: the orchestrator starts each run in a session of its own, so a run survives the
 * orchestrator's own death. When the orchestrator is restarted, the status file tells whether a
 * run it lost sight of actually finished, and how: a run that succeeded meanwhile is recorded as
 * succeeded instead of being run a second time. The orchestrator removes the file once it has
 * recorded the outcome itself, so there is no moment when a finished run has left no trace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_status(const char *path, const char *text) {
    char temporary[4096];
    if (snprintf(temporary, sizeof temporary, "%s.tmp", path) >= (int)sizeof temporary) return -1;
    int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    size_t length = strlen(text);
    /* No fsync: the file must survive the orchestrator's death, not the machine's. */
    if (write(fd, text, length) != (ssize_t)length) {
        close(fd);
        return -1;
    }
    close(fd);
    return rename(temporary, path);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: orchestrator-shim STATUS-FILE PROGRAM [ARG...]\n");
        return 125;
    }
    pid_t child = fork();
    if (child < 0) {
        perror("orchestrator-shim: fork");
        return 125;
    }
    if (child == 0) {
        execv(argv[2], argv + 2);
        fprintf(stderr, "orchestrator-shim: cannot run %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    /* Signals meant for the run reach the whole process group; the shim only waits. */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("orchestrator-shim: waitpid");
            return 125;
        }
    }
    char text[64];
    if (WIFSIGNALED(status)) {
        snprintf(text, sizeof text, "signal %d\n", WTERMSIG(status));
    } else {
        snprintf(text, sizeof text, "exit %d\n", WEXITSTATUS(status));
    }
    write_status(argv[1], text);
    if (WIFSIGNALED(status)) {
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
    }
    return WEXITSTATUS(status);
}
