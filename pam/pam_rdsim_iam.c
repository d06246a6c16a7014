/* pam_rdsim_iam: PAM module of IAM database authentication (issue 12
 * item 5; pam/README.md).
 *
 * Runs inside a PostgreSQL backend, as the pg OS user, for the pg_hba
 * rules `... +rds_iam ... pam pamservice=rdsim-iam` the agent writes when
 * an instance has IAM database authentication on. It reads the login user
 * (PAM_USER) and the password (the token from generate-db-auth-token)
 * through the PAM conversation, and asks its agent, over the unix socket
 * ../iamauth.sock (the backend's working directory is the node's data
 * directory; the socket is the pg user's only, mode 0600 in the node's
 * 0700 directory), whether the token logs that user in:
 *   request:  <user>\n<token>\n     (user 1-63 bytes, token 1-4096)
 *   reply:    "allow\n" or anything else (deny)
 * The agent asks the controlplane over the authenticated channel. Every
 * failure (no socket, timeout, oversize input, a bad reply) is a deny; a
 * login never waits longer than IAM_TIMEOUT_S per socket operation. The
 * token is wiped after use and never logged.
 *
 * Option: socket=<path> (in the PAM service file) replaces
 * ../iamauth.sock. */
#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#include <errno.h>
#include <security/pam_modules.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define IAM_TIMEOUT_S 10
#define IAM_USER_MAX 63
#define IAM_TOKEN_MAX 4096
#define IAM_DEFAULT_SOCKET "../iamauth.sock"

/* The password through the application's conversation (PostgreSQL asks
 * its client for it): a malloc'd copy, or NULL. */
static char *ask_token(pam_handle_t *pamh)
{
    const struct pam_conv *conv = NULL;
    if (pam_get_item(pamh, PAM_CONV, (const void **)&conv) != PAM_SUCCESS || !conv ||
        !conv->conv)
        return NULL;
    struct pam_message msg = {PAM_PROMPT_ECHO_OFF, "Password: "};
    const struct pam_message *msgs[1] = {&msg};
    struct pam_response *resp = NULL;
    if (conv->conv(1, msgs, &resp, conv->appdata_ptr) != PAM_SUCCESS || !resp)
        return NULL;
    char *tok = resp[0].resp;
    free(resp);
    return tok;
}

static void wipe_free(char *s)
{
    if (!s)
        return;
    volatile char *p = s;
    while (*p)
        *p++ = 0;
    free(s);
}

static int send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Asks the agent; 1 for allow, 0 otherwise. */
static int ask_agent(const char *path, const char *user, const char *token)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return 0;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct timeval tv = {IAM_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int allow = 0;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        send_all(fd, user, strlen(user)) == 0 && send_all(fd, "\n", 1) == 0 &&
        send_all(fd, token, strlen(token)) == 0 && send_all(fd, "\n", 1) == 0) {
        shutdown(fd, SHUT_WR);
        char reply[16];
        size_t got = 0;
        while (got < sizeof reply - 1) {
            ssize_t r = recv(fd, reply + got, sizeof reply - 1 - got, 0);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        reply[got] = '\0';
        allow = strcmp(reply, "allow\n") == 0;
    }
    close(fd);
    return allow;
}

static int printable(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f || n >= max)
            return 0;
    return n > 0;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)flags;
    const char *path = IAM_DEFAULT_SOCKET;
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "socket=", 7) == 0 && argv[i][7])
            path = argv[i] + 7;
    const char *user = NULL;
    if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user || !printable(user, IAM_USER_MAX))
        return PAM_AUTH_ERR;
    char *token = ask_token(pamh);
    int ok = token && printable(token, IAM_TOKEN_MAX) && !strchr(token, ' ') &&
             ask_agent(path, user, token);
    wipe_free(token);
    return ok ? PAM_SUCCESS : PAM_AUTH_ERR;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}

/* The account is the database role's: nothing more to check here. */
PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}
