/* One tshark start-up shared by many captures: an LD_PRELOAD library for
 * the test harness (tests/harness.py, docs/testing.md).
 *
 * tshark spends about 0.5 s of CPU (0.8 s with the ASan runtime) registering
 * every dissector before it reads a packet, and the fixture makes the same
 * run (same options, taps, filters, preferences) on each of ~45 captures.
 * With DNSMON_TSHARK_BATCH=FILE set, tshark's first call to
 * wtap_open_offline() -- cf_open(), once the options, preferences, taps and
 * filters are in place and before the capture's epan session exists --
 * runs FILE instead: for each line "capture<TAB>stdout<TAB>stderr" it forks;
 * the child points its stdout and stderr at those files and goes on as the
 * same tshark would have with that capture as -r; the parent waits for it
 * and appends "code<TAB>seconds" to FILE.status (code: the exit status, or
 * -N for signal N, as Python reports it). When every line is done the
 * parent exits 0 without reading a capture of its own.
 *
 * A child skips epan_cleanup(), tshark's freeing of every registration just
 * before it exits: that touches, and so copies, most of the parent's heap
 * (half a child's cost under ASan). The capture's own cleanup (epan_free,
 * dnsmon's cleanup routine) still runs, and so does the exit status. The
 * runs that check the batching run it, as does every other tshark test.
 *
 * Without DNSMON_TSHARK_BATCH this library only passes the calls on. The
 * fixture compares a batched run with a plain one for every mode, so a
 * difference between the two fails the suite.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <ws_version.h>
#include <epan/epan.h>
#include <wiretap/wtap.h>

/* 4.0 declares gboolean do_random; 4.4 and 4.6 declare bool (Wireshark moved
 * to C99 types in 4.2). */
#if WIRESHARK_VERSION_MAJOR > 4 || (WIRESHARK_VERSION_MAJOR == 4 && WIRESHARK_VERSION_MINOR >= 2)
typedef bool open_flag;
#else
typedef gboolean open_flag;
#endif
typedef wtap *(*open_offline_fn)(const char *, unsigned int, int *, char **, open_flag);

static int in_child;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* fd now reads/writes path; 0 or -1 (errno set). */
static int redirect(int fd, const char *path)
{
    int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (f < 0)
        return -1;
    if (dup2(f, fd) < 0) {
        close(f);
        return -1;
    }
    close(f);
    return 0;
}

/* Splits "a\tb\tc" in place into three fields; 0 when malformed. */
static int split_line(char *line, char **cap, char **out, char **err)
{
    *cap = line;
    *out = strchr(line, '\t');
    if (!*out)
        return 0;
    *(*out)++ = '\0';
    *err = strchr(*out, '\t');
    if (!*err)
        return 0;
    *(*err)++ = '\0';
    return **cap && **out && **err;
}

/* The parent's loop: returns only in a child, with the capture it reads. */
static const char *serve(const char *batch)
{
    char status_path[4096];
    char *listing = NULL, *save = NULL, *line;
    GError *error = NULL;
    int status;

    /* Read at once (g_file_get_contents reads the fd, no stdio stream): a
     * stdio stream open across fork() could have its shared file offset
     * moved by a child's exit, and the parent would read lines again. */
    if (!g_file_get_contents(batch, &listing, NULL, &error)) {
        fprintf(stderr, "tshark_batch: %s\n", error->message);
        _exit(2);
    }
    snprintf(status_path, sizeof status_path, "%s.status", batch);
    status = open(status_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (status < 0) {
        fprintf(stderr, "tshark_batch: %s: %s\n", status_path, strerror(errno));
        _exit(2);
    }
    for (line = strtok_r(listing, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *cap, *out, *err;
        double t0 = now();
        int st, code;
        pid_t pid;

        if (!split_line(line, &cap, &out, &err)) {
            fprintf(stderr, "tshark_batch: malformed line in %s\n", batch);
            _exit(2);
        }
        fflush(NULL);   /* nothing buffered may reach a child's output twice */
        pid = fork();
        if (pid < 0) {
            fprintf(stderr, "tshark_batch: fork: %s\n", strerror(errno));
            _exit(2);
        }
        if (pid == 0) {
            close(status);
            if (redirect(STDOUT_FILENO, out) < 0 || redirect(STDERR_FILENO, err) < 0)
                _exit(3);
            in_child = 1;
            return cap;
        }
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        code = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
        if (dprintf(status, "%d\t%.3f\n", code, now() - t0) < 0)
            _exit(2);
    }
    close(status);
    _exit(0);
}

__attribute__((visibility("default")))
wtap *wtap_open_offline(const char *filename, unsigned int type, int *err,
                        char **err_info, open_flag do_random)
{
    open_offline_fn real = (open_offline_fn)dlsym(RTLD_NEXT, "wtap_open_offline");
    const char *batch = getenv("DNSMON_TSHARK_BATCH");

    if (!real) {
        fprintf(stderr, "tshark_batch: no wtap_open_offline after this library\n");
        _exit(2);
    }
    if (batch && *batch && !in_child)
        filename = serve(batch);
    return real(filename, type, err, err_info, do_random);
}

__attribute__((visibility("default")))
void epan_cleanup(void)
{
    void (*real)(void) = (void (*)(void))dlsym(RTLD_NEXT, "epan_cleanup");

    if (!in_child && real)
        real();
}
