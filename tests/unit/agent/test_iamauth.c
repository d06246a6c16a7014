/* iamauth: the question's parser (bounds, printable, exactly two lines),
 * the PAM service text, and one real socket: a question from the agent's
 * own uid reaches the controlplane URL, and with no controlplane the
 * answer is a deny, within the timeout. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/iamauth.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

static char dir[] = "/tmp/rdsim-iamauth-XXXXXX";

static void test_parse(void)
{
    char user[64], token[4097];
    static const char q[] = "iam_app\nhost:5432/?Action=connect&DBUser=iam_app\n";
    ok(iamauth_parse_question(q, strlen(q), user, token), "a question parses");
    is_str(user, "iam_app", "... the user");
    is_str(token, "host:5432/?Action=connect&DBUser=iam_app", "... the token");
    static const char spaced[] = "my user\ntok\n";
    ok(iamauth_parse_question(spaced, strlen(spaced), user, token), "a user with a space");
    const char *bad[] = {"", "\n\n", "u\n\n", "\ntok\n", "u\ntok", "u\ntok\nmore\n",
                         "u\nto k\n", "u\ttab\ntok\x01\n", NULL};
    for (int i = 0; bad[i]; i++)
        ok(!iamauth_parse_question(bad[i], strlen(bad[i]), user, token), "malformed refused");
    char *big = xmalloc(5000);
    memset(big, 'a', 4999);
    big[0] = 'u';
    big[1] = '\n';
    big[4998] = '\n';
    big[4999] = '\0';
    ok(!iamauth_parse_question(big, strlen(big), user, token), "a token over 4096 refused");
    memset(big, 'u', 70);
    big[70] = '\n';
    memcpy(big + 71, "tok\n", 5);
    ok(!iamauth_parse_question(big, strlen(big), user, token), "a user over 63 refused");
    free(big);
    char *t = iamauth_pam_service_text("/x/pam_rdsim_iam.so");
    ok(strstr(t, "\nauth     required  /x/pam_rdsim_iam.so\n") &&
           strstr(t, "\naccount  required  /x/pam_rdsim_iam.so\n"),
       "the PAM service: auth and account by absolute path");
    free(t);
}

typedef struct {
    struct event_base *base;
    char reply[16];
    int fd;
} client;

static void on_answer(evutil_socket_t fd, short what, void *arg)
{
    client *c = arg;
    if (what & EV_READ) {
        ssize_t n = recv(fd, c->reply, sizeof c->reply - 1, 0);
        c->reply[n > 0 ? n : 0] = '\0';
    }
    event_base_loopexit(c->base, NULL);
}

static void test_socket(void)
{
    struct event_base *base = event_base_new();
    proc_user u = {0};
    uint8_t key[AGENTMAC_KEY_LEN] = {1};
    char *nodes = xasprintf("%s/nodes", dir), *node = xasprintf("%s/nodes/n1", dir);
    fs_mkdir_p(node, 0700);
    /* Nothing listens on port 9 of 127.0.0.1: the controlplane is down. */
    iamauth *ia = iamauth_new(base, "http://127.0.0.1:9", "us-east-1a", key, &u, nodes,
                              "/nonexistent/pam_rdsim_iam.so", dir);
    iamauth_begin(ia);
    iamauth_want(ia, "n1");
    iamauth_want(ia, "not-there");
    iamauth_end(ia);
    char *sock = xasprintf("%s/iamauth.sock", node);
    struct stat st;
    ok(stat(sock, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600,
       "the node's socket, mode 0600");
    char *pam = xasprintf("%s/rdsim-iam", dir);
    ok(fs_exists(pam), "the PAM service file written");

    client c = {base, "", -1};
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
    c.fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ok(connect(c.fd, (struct sockaddr *)&sa, sizeof sa) == 0, "a client connects");
    static const char q[] = "iam_app\ntoken-text\n";
    ok(send(c.fd, q, strlen(q), 0) == (ssize_t)strlen(q), "and asks");
    struct event *ev = event_new(base, c.fd, EV_READ, on_answer, &c);
    struct timeval tv = {IAMAUTH_TIMEOUT_S + 3, 0};
    event_add(ev, &tv);
    event_base_dispatch(base);
    is_str(c.reply, "deny\n", "no controlplane: deny");
    event_free(ev);
    close(c.fd);

    /* A client that sends garbage without newlines past the limit: deny. */
    c.fd = socket(AF_UNIX, SOCK_STREAM, 0);
    connect(c.fd, (struct sockaddr *)&sa, sizeof sa);
    char *junk = xmalloc(IAMAUTH_MAX_REQUEST + 10);
    memset(junk, 'x', IAMAUTH_MAX_REQUEST + 10);
    (void)send(c.fd, junk, IAMAUTH_MAX_REQUEST + 10, MSG_NOSIGNAL);
    free(junk);
    c.reply[0] = '\0';
    ev = event_new(base, c.fd, EV_READ, on_answer, &c);
    event_add(ev, &tv);
    event_base_dispatch(base);
    is_str(c.reply, "deny\n", "an oversize question: deny");
    event_free(ev);
    close(c.fd);

    unlink(sock);
    iamauth_begin(ia);
    iamauth_want(ia, "n1");
    iamauth_end(ia);
    ok(stat(sock, &st) == 0 && S_ISSOCK(st.st_mode), "a socket removed under it is made again");
    iamauth_begin(ia);
    iamauth_end(ia);
    ok(!fs_exists(sock), "no longer wanted: the socket is removed");
    iamauth_free(ia);
    event_base_free(base);
    free(pam);
    free(sock);
    free(node);
    free(nodes);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_parse();
    test_socket();
    fs_rm_rf(dir);
    return done_testing();
}
