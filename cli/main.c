/* rdsctl: the command line for rdsim, mirroring `aws rds`.
 *
 * main only gathers what the process environment says (variables, whether
 * stdout/stderr are terminals) and hands over to the command table. */
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/commands.h"
#include "lib/log.h"

int main(int argc, char **argv)
{
    log_set_ident("rdsctl");
    log_set_level(LOG_LEVEL_WARN);
    struct winsize ws;
    cli_env env = {
        .endpoint = getenv("RDSCTL_ENDPOINT"),
        .api_port = getenv("RDS_API_PORT"),
        .rds_home = getenv("RDS_HOME"),
        .output = getenv("RDSCTL_OUTPUT"),
        .wait_delay = getenv("RDSCTL_WAIT_DELAY"),
        .term_width = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0,
        .stderr_tty = isatty(STDERR_FILENO),
    };
    return commands_main(argc, argv, &env);
}
