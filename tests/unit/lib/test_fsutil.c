/* Unit tests for lib/fsutil's writes inside a tree another user controls
 * (issue 13): a symlink at the temp or final name, or as a directory
 * component, is never followed; a file planted at the old predictable temp
 * name is not reused; a FIFO does not block a read; a hard link is not
 * read or appended to; owner and mode end up as asked. Run as root, the
 * owner cases hand files to uid/gid 65534 (nobody) as the agent hands
 * them to the pg user. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

static char root[] = "/tmp/rdsim-test-fsutil-XXXXXX";

static char *at(const char *rel) { return xasprintf("%s/%s", root, rel); }

static void put(const char *rel, const char *text, mode_t mode)
{
    char *p = at(rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd >= 0) {
        ssize_t w = write(fd, text, strlen(text));
        (void)w;
        fchmod(fd, mode);
        close(fd);
    }
    free(p);
}

static char *get(const char *rel)
{
    char *p = at(rel);
    char *s = fs_read_all(p, 1 << 20, NULL);
    free(p);
    return s;
}

static void link_to(const char *target_rel, const char *rel)
{
    char *t = at(target_rel), *p = at(rel);
    if (symlink(t, p) != 0)
        diag("symlink failed: %s", strerror(errno));
    free(t);
    free(p);
}

static struct stat lst(const char *rel)
{
    struct stat st = {0};
    char *p = at(rel);
    lstat(p, &st);
    free(p);
    return st;
}

/* The victim: must keep its contents, owner and mode through everything. */
static bool victim_intact(void)
{
    char *s = get("victim");
    struct stat st = lst("victim");
    bool ok = s && strcmp(s, "root's\n") == 0 && st.st_uid == geteuid() &&
              (st.st_mode & 07777) == 0644 && S_ISREG(st.st_mode);
    free(s);
    return ok;
}

/* Entries of d/, "." and ".." aside. */
static int count_entries(void)
{
    int n = 0;
    char *p = at("d");
    DIR *d = opendir(p);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    if (d)
        closedir(d);
    free(p);
    return n;
}

static void test_write(bool as_root, uid_t uid, gid_t gid)
{
    int dfd = fs_dir_open_beneath(root, "d");
    ok(dfd >= 0, "fs_dir_open_beneath opens a plain directory");

    ok(fs_write_atomic_at(dfd, "conf", "one\n", 4, 0640, uid, gid), "write a new file");
    char *s = get("d/conf");
    is_str(s, "one\n", "its contents");
    free(s);
    struct stat st = lst("d/conf");
    is_int(st.st_mode & 07777, 0640, "its mode is exactly the one asked (umask aside)");
    if (as_root)
        ok(st.st_uid == uid && st.st_gid == gid, "owned by the user asked (fchown)");
    else
        ok(st.st_uid == geteuid(), "owned by the caller when no owner is asked");

    /* The old predictable temp names, planted as symlinks to the victim. */
    char old[64];
    snprintf(old, sizeof old, "d/conf.tmp.%ld", (long)getpid());
    link_to("victim", old);
    link_to("victim", "d/.conf.tmp.0000000000000000");
    ok(fs_write_atomic_at(dfd, "conf", "two\n", 4, 0600, uid, gid),
       "write with symlinks planted at temp names");
    ok(victim_intact(), "a symlink at a temp name is not followed: the victim is unchanged");
    st = lst(old);
    ok(S_ISLNK(st.st_mode), "the planted temp-name link is left alone (not reused)");
    s = get("d/conf");
    is_str(s, "two\n", "the file has the new contents");
    free(s);
    is_int(count_entries(), 3, "no temp file is left behind");

    /* The final name is a symlink: replaced, never written through. */
    char *c = at("d/conf");
    unlink(c);
    free(c);
    link_to("victim", "d/conf");
    ok(fs_write_atomic_at(dfd, "conf", "three\n", 6, 0600, uid, gid),
       "write over a symlink at the final name");
    ok(victim_intact(), "a symlink at the final name is not followed: the victim is unchanged");
    st = lst("d/conf");
    ok(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600, "the link was replaced by a 0600 file");
    if (as_root)
        ok(st.st_uid == uid, "... owned by the user asked");

    /* A directory at the final name: refused, nothing left. */
    char *sub = at("d/isdir");
    mkdir(sub, 0700);
    free(sub);
    ok(!fs_write_atomic_at(dfd, "isdir", "x", 1, 0600, uid, gid), "a directory at the name: refused");
    is_int(count_entries(), 4, "... and no temp file is left behind");
    close(dfd);
}

static void alarm_handler(int sig) { (void)sig; }

static void test_read(void)
{
    int dfd = fs_dir_open_beneath(root, "d");
    put("d/plain", "text", 0600);
    size_t len = 0;
    char *s = fs_read_all_at(dfd, "plain", 100, &len);
    is_str(s, "text", "fs_read_all_at reads a regular file");
    is_int(len, 4, "... its length");
    free(s);
    link_to("victim", "d/link");
    errno = 0;
    s = fs_read_all_at(dfd, "link", 100, &len);
    ok(!s && errno == ELOOP, "a symlink is not read (ELOOP)");
    free(s);
    char *f = at("d/fifo");
    mkfifo(f, 0600);
    free(f);
    signal(SIGALRM, alarm_handler);
    alarm(5); /* a regression would block here: the alarm turns it into EINTR */
    errno = 0;
    s = fs_read_all_at(dfd, "fifo", 100, &len);
    alarm(0);
    ok(!s && errno == EINVAL, "a FIFO is refused at once (EINVAL), not waited on");
    free(s);
    char *v = at("victim"), *h = at("d/hard");
    int linked = link(v, h);
    free(v);
    free(h);
    if (linked == 0) {
        errno = 0;
        s = fs_read_all_at(dfd, "hard", 100, &len);
        ok(!s && errno == EINVAL, "a hard-linked file is refused (EINVAL)");
        free(s);
        int fd = fs_open_at(dfd, "hard", O_WRONLY | O_APPEND, 0600, (uid_t)-1, (gid_t)-1);
        ok(fd < 0, "... and is not opened for appending");
        if (fd >= 0)
            close(fd);
        ok(victim_intact(), "the hard-linked victim is unchanged");
    }
    errno = 0;
    s = fs_read_all_at(dfd, "missing", 100, &len);
    ok(!s && errno == ENOENT, "a missing file: ENOENT");
    free(s);
    close(dfd);
}

static void test_open_at(bool as_root, uid_t uid, gid_t gid)
{
    int dfd = fs_dir_open_beneath(root, "d");
    errno = 0;
    ok(fs_open_at(dfd, "plain", O_WRONLY | O_TRUNC, 0600, uid, gid) < 0 && errno == EINVAL,
       "fs_open_at refuses O_TRUNC");
    ok(fs_open_at(dfd, "link", O_WRONLY | O_CREAT | O_APPEND, 0600, uid, gid) < 0,
       "fs_open_at does not append through a symlink");
    ok(victim_intact(), "... the victim is unchanged");
    int fd = fs_open_at(dfd, "job.log", O_WRONLY | O_CREAT | O_APPEND, 0600, uid, gid);
    ok(fd >= 0, "fs_open_at creates a log file for appending");
    if (fd >= 0) {
        ok(write(fd, "x", 1) == 1, "... which is writable (blocking again)");
        close(fd);
    }
    if (as_root) {
        struct stat st = lst("d/job.log");
        ok(st.st_uid == uid, "... owned by the user asked");
    }
    close(dfd);
}

static void test_dirs(uid_t uid, gid_t gid, bool as_root)
{
    char *p = at("d/a");
    mkdir(p, 0755);
    free(p);
    p = at("d/a/b");
    mkdir(p, 0755);
    free(p);
    int fd = fs_dir_open_beneath(root, "d/a/b");
    ok(fd >= 0, "fs_dir_open_beneath walks d/a/b");
    if (fd >= 0)
        close(fd);
    fd = fs_dir_open_beneath(root, "");
    ok(fd >= 0, "an empty rel opens the base");
    if (fd >= 0)
        close(fd);

    p = at("vdir");
    mkdir(p, 0755);
    free(p);
    link_to("vdir", "d/slink");
    errno = 0;
    fd = fs_dir_open_beneath(root, "d/slink");
    ok(fd < 0 && (errno == ELOOP || errno == ENOTDIR),
       "a symlinked directory component is refused (ENOTDIR: O_DIRECTORY|O_NOFOLLOW)");
    errno = 0;
    ok(fs_dir_open_beneath(root, "d/../d") < 0 && errno == EINVAL, "'..' is refused (EINVAL)");
    ok(fs_dir_open_beneath(root, "d//a") < 0, "an empty component is refused");
    ok(fs_dir_open_beneath(root, "d/plain") < 0, "a file as a component is refused");

    int dfd = fs_dir_open_beneath(root, "d");
    ok(fs_mkdir_owned_at(dfd, "new", 0700, uid, gid), "fs_mkdir_owned_at makes a directory");
    struct stat st = lst("d/new");
    is_int(st.st_mode & 07777, 0700, "... mode 0700");
    if (as_root)
        ok(st.st_uid == uid && st.st_gid == gid, "... owned by the user asked");
    p = at("d/new");
    chmod(p, 0755);
    free(p);
    ok(fs_mkdir_owned_at(dfd, "new", 0700, uid, gid), "an existing directory is fine");
    is_int(lst("d/new").st_mode & 07777, 0700, "... and gets its mode back");
    ok(!fs_mkdir_owned_at(dfd, "slink", 0700, uid, gid), "a symlink at the name is refused");
    st = lst("vdir");
    ok((st.st_mode & 07777) == 0755 && st.st_uid == geteuid(),
       "... its target keeps its owner and mode");

    ok(fs_exists_at(dfd, "slink", false), "fs_exists_at sees a symlink itself");
    ok(!fs_exists_at(dfd, "slink", true), "... which is no regular file");
    ok(fs_exists_at(dfd, "plain", true), "... a regular file is");
    ok(fs_unlink_at(dfd, "slink", false), "fs_unlink_at removes the symlink");
    ok(lst("vdir").st_mode != 0 && S_ISDIR(lst("vdir").st_mode), "... not its target");
    ok(fs_unlink_at(dfd, "slink", false), "a missing name is success");
    ok(fs_unlink_at(dfd, "new", true), "a directory with dir=true");
    close(dfd);
}

int main(void)
{
    if (!mkdtemp(root)) {
        printf("1..0 # SKIP no temp directory\n");
        return 0;
    }
    umask(022);
    put("victim", "root's\n", 0644);
    char *d = at("d");
    mkdir(d, 0700);
    free(d);
    bool as_root = geteuid() == 0;
    uid_t uid = as_root ? 65534 : (uid_t)-1;
    gid_t gid = as_root ? 65534 : (gid_t)-1;

    test_write(as_root, uid, gid);
    test_read();
    test_open_at(as_root, uid, gid);
    test_dirs(uid, gid, as_root);

    char *p = at("x/path.json");
    char *x = at("x");
    mkdir(x, 0700);
    ok(fs_write_atomic(p, "{}", 2, 0600), "fs_write_atomic by path still works");
    char *s = fs_read_all(p, 100, NULL);
    is_str(s, "{}", "... its contents");
    free(s);
    free(p);
    free(x);
    ok(victim_intact(), "the victim is intact at the end");
    fs_rm_rf(root);
    return done_testing();
}
