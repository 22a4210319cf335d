/* The floors under `local-procs bench`: the same measurements made with the
 * bare system calls, nothing else. A pipe round trip is a write and a read
 * each way between two processes; a process start and join is fork, _exit
 * and waitpid. The library cannot go below these; its ratio to them is what
 * it adds. Output: the same `name value unit` lines as local-procs bench.
 *
 * Usage: local_floor [pipe-roundtrip] [spawn-join] [--scale S]
 * (both when neither is named; S shrinks the counts, as for local-procs) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void die(const char *what) {
    fprintf(stderr, "local_floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void full_write(int fd, const void *buf, size_t len) {
    if (write(fd, buf, len) != (ssize_t)len) die("write");
}

static int full_read(int fd, void *buf, size_t len) {
    ssize_t got = read(fd, buf, len);
    if (got == 0) return 0;
    if (got != (ssize_t)len) die("read");
    return 1;
}

static void pipe_roundtrip(long rounds);
static void spawn_join(long spawns);

int main(int argc, char **argv) {
    double scale = 1.0;
    int pipe_wanted = 0, spawn_wanted = 0;
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc && (scale = strtod(argv[i + 1], &end)) > 0 && *end == 0) {
            i++;
        } else if (strcmp(argv[i], "pipe-roundtrip") == 0) {
            pipe_wanted = 1;
        } else if (strcmp(argv[i], "spawn-join") == 0) {
            spawn_wanted = 1;
        } else {
            fprintf(stderr, "usage: local_floor [pipe-roundtrip] [spawn-join] [--scale S]\n");
            return 2;
        }
    }
    if (!pipe_wanted && !spawn_wanted) pipe_wanted = spawn_wanted = 1;
    long rounds = (long)(20000 * scale) > 0 ? (long)(20000 * scale) : 1;
    long spawns = (long)(200 * scale) > 0 ? (long)(200 * scale) : 1;
    if (pipe_wanted) pipe_roundtrip(rounds);
    if (spawn_wanted) spawn_join(spawns);
    return 0;
}

/* pipe_roundtrip: 8 bytes there and back. */
static void pipe_roundtrip(long rounds) {
    int to_child[2], to_parent[2];
    if (pipe2(to_child, O_CLOEXEC) || pipe2(to_parent, O_CLOEXEC)) die("pipe2");
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        uint64_t item;
        while (full_read(to_child[0], &item, sizeof item)) full_write(to_parent[1], &item, sizeof item);
        _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    uint64_t item = 1;
    for (int i = 0; i < 100; i++) {
        full_write(to_child[1], &item, sizeof item);
        full_read(to_parent[0], &item, sizeof item);
    }
    double start = now();
    for (long i = 0; i < rounds; i++) {
        full_write(to_child[1], &item, sizeof item);
        full_read(to_parent[0], &item, sizeof item);
    }
    double elapsed = now() - start;
    close(to_child[1]);
    if (waitpid(child, NULL, 0) != child) die("waitpid");
    close(to_parent[0]);
    printf("pipe_roundtrip %.3f us\n", elapsed / rounds * 1e6);
    fflush(stdout);
}

/* spawn_join: fork a child that does nothing, wait for it. */
static void spawn_join(long spawns) {
    double start = now();
    for (long i = 0; i < spawns; i++) {
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) _exit(0);
        if (waitpid(pid, NULL, 0) != pid) die("waitpid");
    }
    printf("spawn_join %.3f ms\n", (now() - start) / spawns * 1e3);
    fflush(stdout);
}
