/* Unit tests for cli/args (flags → Query parameters) and the command
 * table's consistency. Expected bodies and shorthand trees were checked
 * against what aws-cli 1.45 sends and parses for the same input. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "lib/tap.h"

static const arg_field tag_fields[] = {{"Key", NULL, false}, {"Value", NULL, false}, {NULL, NULL, false}};
static const arg_shape tag_shape = {tag_fields};
static const arg_field filter_fields[] = {{"Name", NULL, true}, {"Values", "Value", true}, {NULL, NULL, false}};
static const arg_shape filter_shape = {filter_fields};
static const arg_field log_fields[] = {{"EnableLogTypes", "member", false}, {"DisableLogTypes", "member", false}, {NULL, NULL, false}};
static const arg_shape log_shape = {log_fields};

/* One flag of every type; "name" is required. */
static const arg_spec specs[] = {
    {"name", "Name", ARG_STRING, NULL, NULL, true, ""},
    {"count", "Count", ARG_INT, NULL, NULL, false, ""},
    {"multi-az", "MultiAZ", ARG_BOOL, NULL, NULL, false, ""},
    {"start-time", "StartTime", ARG_TIMESTAMP, NULL, NULL, false, ""},
    {"categories", "EventCategories", ARG_LIST, "EventCategory", NULL, false, ""},
    {"logs", "EnableCloudwatchLogsExports", ARG_LIST, "member", NULL, false, ""},
    {"tags", "Tags", ARG_STRUCT_LIST, "Tag", &tag_shape, false, ""},
    {"filters", "Filters", ARG_STRUCT_LIST, "Filter", &filter_shape, false, ""},
    {"log-config", "CloudwatchLogsExportConfiguration", ARG_STRUCT, NULL, &log_shape, false, ""},
    {"no-paginate", NULL, ARG_FLAG, NULL, NULL, false, ""},
    {"timeout", NULL, ARG_SECONDS, NULL, NULL, false, ""},
    {NULL, NULL, 0, NULL, NULL, false, NULL},
};

#define MAX_ARGV 12

typedef struct {
    const char *name;
    const char *argv[MAX_ARGV]; /* NULL-terminated */
    args_status want;
    const char *body; /* ARGS_OK: params after "Action=T&Version=2014-10-31&" */
    const char *opts; /* ARGS_OK: local options as name=value;... */
    const char *err;  /* otherwise: a substring of the message */
} args_case;

static const args_case cases[] = {
    {"string", {"--name", "shop"}, ARGS_OK, "Name=shop", "", NULL},
    {"string inline =", {"--name=a=b"}, ARGS_OK, "Name=a%3Db", "", NULL},
    {"value percent-encoded like botocore", {"--name", "p@ss w&rd/~é"}, ARGS_OK,
     "Name=p%40ss+w%26rd%2F~%C3%A9", "", NULL},
    {"last occurrence wins", {"--name", "a", "--name", "b"}, ARGS_OK, "Name=b", "", NULL},
    {"spec order, not argv order", {"--multi-az", "--count", "3", "--name", "x"}, ARGS_OK,
     "Name=x&Count=3&MultiAZ=true", "", NULL},
    {"int normalised", {"--name", "x", "--count", "020"}, ARGS_OK, "Name=x&Count=20", "", NULL},
    {"int with sign", {"--name", "x", "--count=+5"}, ARGS_OK, "Name=x&Count=5", "", NULL},
    {"negative int", {"--name", "x", "--count=-1"}, ARGS_OK, "Name=x&Count=-1", "", NULL},
    {"bad int", {"--name", "x", "--count", "abc"}, ARGS_USAGE_ERROR, NULL, NULL,
     "argument --count: invalid integer value: 'abc'"},
    {"fraction is not an int", {"--name", "x", "--count", "1.5"}, ARGS_USAGE_ERROR, NULL, NULL, "invalid integer"},
    {"int out of range", {"--name", "x", "--count", "2147483648"}, ARGS_USAGE_ERROR, NULL, NULL, "invalid integer"},
    {"--x is true", {"--name", "x", "--multi-az"}, ARGS_OK, "Name=x&MultiAZ=true", "", NULL},
    {"--no-x is false", {"--name", "x", "--no-multi-az"}, ARGS_OK, "Name=x&MultiAZ=false", "", NULL},
    {"--x then --no-x: last wins", {"--name", "x", "--multi-az", "--no-multi-az"}, ARGS_OK,
     "Name=x&MultiAZ=false", "", NULL},
    {"boolean takes no value", {"--name", "x", "--multi-az=yes"}, ARGS_USAGE_ERROR, NULL, NULL,
     "argument --multi-az: ignored explicit argument 'yes'"},
    {"boolean's value word is unknown", {"--name", "x", "--multi-az", "true"}, ARGS_USAGE_ERROR, NULL, NULL,
     "Unknown options: true"},
    {"--no- of a non-boolean is unknown", {"--name", "x", "--no-count"}, ARGS_USAGE_ERROR, NULL, NULL,
     "Unknown options: --no-count"},
    {"timestamp Z", {"--name", "x", "--start-time", "2024-01-02T03:04:05Z"}, ARGS_OK,
     "Name=x&StartTime=2024-01-02T03%3A04%3A05Z", "", NULL},
    {"timestamp space, no seconds", {"--name", "x", "--start-time", "2024-01-02 05:00"}, ARGS_OK,
     "Name=x&StartTime=2024-01-02T05%3A00%3A00Z", "", NULL},
    {"timestamp epoch", {"--name", "x", "--start-time", "1700000000"}, ARGS_OK,
     "Name=x&StartTime=2023-11-14T22%3A13%3A20Z", "", NULL},
    {"timestamp offset and fraction", {"--name", "x", "--start-time", "2024-01-02T03:04:05.25+02:00"}, ARGS_OK,
     "Name=x&StartTime=2024-01-02T01%3A04%3A05.250000Z", "", NULL},
    {"timestamp bad", {"--name", "x", "--start-time", "yesterday"}, ARGS_PARAM_ERROR, NULL, NULL,
     "Invalid type for parameter StartTime"},
    {"list words", {"--name", "x", "--categories", "failover", "backup"}, ARGS_OK,
     "Name=x&EventCategories.EventCategory.1=failover&EventCategories.EventCategory.2=backup", "", NULL},
    {"list keeps commas", {"--name", "x", "--categories", "a,b"}, ARGS_OK,
     "Name=x&EventCategories.EventCategory.1=a%2Cb", "", NULL},
    {"list member locationName", {"--name", "x", "--logs", "postgresql", "upgrade"}, ARGS_OK,
     "Name=x&EnableCloudwatchLogsExports.member.1=postgresql&EnableCloudwatchLogsExports.member.2=upgrade", "", NULL},
    {"list JSON", {"--name", "x", "--logs", "[\"postgresql\"]"}, ARGS_OK,
     "Name=x&EnableCloudwatchLogsExports.member.1=postgresql", "", NULL},
    {"empty JSON list sends Name=", {"--name", "x", "--logs", "[]"}, ARGS_OK,
     "Name=x&EnableCloudwatchLogsExports=", "", NULL},
    {"list stops at next flag", {"--categories", "a", "--name", "x"}, ARGS_OK,
     "Name=x&EventCategories.EventCategory.1=a", "", NULL},
    {"list needs a value", {"--name", "x", "--categories"}, ARGS_USAGE_ERROR, NULL, NULL,
     "argument --categories: expected at least one argument"},
    {"tags shorthand", {"--name", "x", "--tags", "Key=env,Value=dev", "Key=team,Value=a b"}, ARGS_OK,
     "Name=x&Tags.Tag.1.Key=env&Tags.Tag.1.Value=dev&Tags.Tag.2.Key=team&Tags.Tag.2.Value=a+b", "", NULL},
    {"tags shorthand quotes and escapes", {"--name", "x", "--tags", "Value='x,y',Key=q", "Key=a\\,b,Value=c=d"}, ARGS_OK,
     "Name=x&Tags.Tag.1.Value=x%2Cy&Tags.Tag.1.Key=q&Tags.Tag.2.Key=a%2Cb&Tags.Tag.2.Value=c%3Dd", "", NULL},
    {"tags JSON", {"--name", "x", "--tags", "[{\"Key\":\"k\",\"Value\":\"v,w\"}]"}, ARGS_OK,
     "Name=x&Tags.Tag.1.Key=k&Tags.Tag.1.Value=v%2Cw", "", NULL},
    {"tags JSON objects", {"--name", "x", "--tags", "{\"Key\":\"a\"}", "{\"Key\":\"b\"}"}, ARGS_OK,
     "Name=x&Tags.Tag.1.Key=a&Tags.Tag.2.Key=b", "", NULL},
    {"tags bad JSON", {"--name", "x", "--tags", "[{\"Key\":"}, ARGS_PARAM_ERROR, NULL, NULL,
     "Error parsing parameter '--tags': Invalid JSON"},
    {"tags shorthand syntax error", {"--name", "x", "--tags", "Key"}, ARGS_PARAM_ERROR, NULL, NULL,
     "Error parsing parameter '--tags': Expected: '=', received: 'EOF' for input:\nKey\n   ^"},
    {"tags duplicate key", {"--name", "x", "--tags", "Key=a,Value=b,Key=c"}, ARGS_PARAM_ERROR, NULL, NULL,
     "Second instance of key \"Key\""},
    {"tags unknown member", {"--name", "x", "--tags", "Key=a,Valu=b"}, ARGS_PARAM_ERROR, NULL, NULL,
     "Unknown parameter in Tags[0]: \"Valu\", must be one of: Key, Value"},
    {"tags list for a string", {"--name", "x", "--tags", "Key=a,Value=b,c"}, ARGS_PARAM_ERROR, NULL, NULL,
     "Invalid type for parameter Tags[0].Value"},
    {"tags JSON number for a string", {"--name", "x", "--tags", "[{\"Key\":1}]"}, ARGS_PARAM_ERROR, NULL, NULL,
     "Invalid type for parameter Tags[0].Key"},
    {"filters shorthand", {"--name", "x", "--filters", "Name=db-instance-id,Values=a,b", "Name=engine,Values=postgres"}, ARGS_OK,
     "Name=x&Filters.Filter.1.Name=db-instance-id&Filters.Filter.1.Values.Value.1=a&Filters.Filter.1.Values.Value.2=b"
     "&Filters.Filter.2.Name=engine&Filters.Filter.2.Values.Value.1=postgres", "", NULL},
    {"filters JSON", {"--name", "x", "--filters", "[{\"Name\":\"engine\",\"Values\":[\"postgres\"]}]"}, ARGS_OK,
     "Name=x&Filters.Filter.1.Name=engine&Filters.Filter.1.Values.Value.1=postgres", "", NULL},
    {"filters missing required member", {"--name", "x", "--filters", "Name=engine"}, ARGS_PARAM_ERROR, NULL, NULL,
     "Missing required parameter in Filters[0]: \"Values\""},
    {"structure shorthand", {"--name", "x", "--log-config", "EnableLogTypes=postgresql,upgrade,DisableLogTypes=x"}, ARGS_OK,
     "Name=x&CloudwatchLogsExportConfiguration.EnableLogTypes.member.1=postgresql"
     "&CloudwatchLogsExportConfiguration.EnableLogTypes.member.2=upgrade"
     "&CloudwatchLogsExportConfiguration.DisableLogTypes.member.1=x", "", NULL},
    {"structure JSON, empty list", {"--name", "x", "--log-config", "{\"DisableLogTypes\":[]}"}, ARGS_OK,
     "Name=x&CloudwatchLogsExportConfiguration.DisableLogTypes=", "", NULL},
    {"structure JSON array refused", {"--name", "x", "--log-config", "[1]"}, ARGS_PARAM_ERROR, NULL, NULL,
     "Error parsing parameter '--log-config'"},
    {"local flag", {"--name", "x", "--no-paginate"}, ARGS_OK, "Name=x", "no-paginate=true;", NULL},
    {"local seconds", {"--name", "x", "--timeout", "2.5"}, ARGS_OK, "Name=x", "timeout=2.5;", NULL},
    {"local seconds bad", {"--name", "x", "--timeout", "-1"}, ARGS_USAGE_ERROR, NULL, NULL,
     "invalid number of seconds"},
    {"missing required", {"--count", "1"}, ARGS_USAGE_ERROR, NULL, NULL,
     "the following arguments are required: --name"},
    {"missing value", {"--name"}, ARGS_USAGE_ERROR, NULL, NULL, "argument --name: expected one argument"},
    {"value may not look like a flag", {"--name", "--count", "1"}, ARGS_USAGE_ERROR, NULL, NULL,
     "argument --name: expected one argument"},
    {"unknown flags all listed", {"--name", "x", "--bogus", "1", "--other"}, ARGS_USAGE_ERROR, NULL, NULL,
     "Unknown options: --bogus, 1, --other"},
    {"unknown checked before required", {"--bogus"}, ARGS_USAGE_ERROR, NULL, NULL, "Unknown options: --bogus"},
};

static void check_case(const args_case *c)
{
    int argc = 0;
    while (argc < MAX_ARGV && c->argv[argc])
        argc++;
    query params = {0}, opts = {0};
    sbuf err = {0};
    args_status st = args_parse(specs, argc, (char *const *)c->argv, &params, &opts, &err);
    is_int(st, c->want, c->name);
    if (st == ARGS_OK && c->want == ARGS_OK) {
        char *body = query_encode("T", &params, false);
        const char *prefix = "Action=T&Version=2014-10-31&";
        bool has_prefix = strncmp(body, prefix, strlen(prefix)) == 0;
        is_str(has_prefix ? body + strlen(prefix) : body, c->body, c->name);
        sbuf o = {0};
        for (size_t i = 0; i < opts.len; i++)
            sbuf_printf(&o, "%s=%s;", opts.items[i].name, opts.items[i].value);
        is_str(o.data ? o.data : "", c->opts, c->name);
        sbuf_free(&o);
        free(body);
    } else if (st != ARGS_OK) {
        bool found = err.data && strstr(err.data, c->err);
        if (!ok(found, c->name))
            diag("error was: %s", err.data ? err.data : "(none)");
    }
    query_free(&params);
    query_free(&opts);
    sbuf_free(&err);
}

/* awscli ShorthandParser().parse(input), as compact JSON, or the start of
 * its error message. */
typedef struct {
    const char *input;
    const char *tree;
    const char *err;
} shorthand_case;

static const shorthand_case shorthand_cases[] = {
    {"Key=a,Value=b", "{\"Key\":\"a\",\"Value\":\"b\"}", NULL},
    {"Name=db-instance-id,Values=a,b", "{\"Name\":\"db-instance-id\",\"Values\":[\"a\",\"b\"]}", NULL},
    {"Name=x,Values=a,b,Other=c", "{\"Name\":\"x\",\"Values\":[\"a\",\"b\"],\"Other\":\"c\"}", NULL},
    {"Values=[a,b],Name=x", "{\"Values\":[\"a\",\"b\"],\"Name\":\"x\"}", NULL},
    {"A={B=c,D=[e,f]}", "{\"A\":{\"B\":\"c\",\"D\":[\"e\",\"f\"]}}", NULL},
    {"Key=a\\,b", "{\"Key\":\"a,b\"}", NULL},
    {"Key='x,y'", "{\"Key\":\"x,y\"}", NULL},
    {"Key=\"q\\\"z\"", "{\"Key\":\"q\\\"z\"}", NULL},
    {"Key=", "{\"Key\":\"\"}", NULL},
    {"Key=a=b", "{\"Key\":\"a=b\"}", NULL},
    {"Key= spaced  ", "{\"Key\":\"spaced\"}", NULL},
    {"K=a,b,c", "{\"K\":[\"a\",\"b\",\"c\"]}", NULL},
    {"Key", NULL, "Expected: '=', received: 'EOF'"},
    {"Key=a,Key=b", NULL, "Second instance of key \"Key\" encountered"},
    {"Key=a,", NULL, "Expected: '<second>', received: '<none>'"},
    {"Key=[a,b", NULL, "Expected: ',', received: 'EOF'"},
    {"k=v,", NULL, "Expected: '<second>', received: '<none>'"},
    {"=v", "{\"\":\"v\"}", NULL},
    {"Key=a , Value=b", "{\"Key\":\"a\",\"Value\":\"b\"}", NULL},
    {"A=xé,B=日", "{\"A\":\"xé\",\"B\":\"日\"}", NULL},
    {"Key='unterminated", NULL, "Expected: '<singled quoted>', received: '<none>'"},
    {"A=[]", "{\"A\":[]}", NULL},
    {"A={}", "{\"A\":{}}", NULL},
    {"A=a,b,c,D=[x],E={F=g}", "{\"A\":[\"a\",\"b\",\"c\"],\"D\":[\"x\"],\"E\":{\"F\":\"g\"}}", NULL},
};

static void check_shorthand(const shorthand_case *c)
{
    sbuf err = {0};
    cJSON *tree = args_parse_shorthand(c->input, &err);
    char *name = xasprintf("shorthand '%s'", c->input);
    if (c->tree) {
        char *got = tree ? cJSON_PrintUnformatted(tree) : NULL;
        is_str(got, c->tree, name);
        if (!got)
            diag("error: %s", err.data ? err.data : "");
        free(got);
    } else {
        bool found = !tree && err.data && strncmp(err.data, c->err, strlen(c->err)) == 0;
        if (!ok(found, name))
            diag("error was: %s", err.data ? err.data : "(none)");
    }
    free(name);
    cJSON_Delete(tree);
    sbuf_free(&err);
}

typedef struct {
    const char *in;
    const char *out; /* NULL: refused */
} timestamp_case;

static const timestamp_case timestamp_cases[] = {
    {"2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"},
    {"2024-01-02t03:04:05z", "2024-01-02T03:04:05Z"},
    {"2024-01-02", "2024-01-02T00:00:00Z"},
    {"2024-01-02T03:04", "2024-01-02T03:04:00Z"},
    {"2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05.123000Z"},
    {"2024-01-02T03:04:05-0130", "2024-01-02T04:34:05Z"},
    {"2024-01-01T00:30:00+01:00", "2023-12-31T23:30:00Z"},
    {"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
    {"0", "1970-01-01T00:00:00Z"},
    {"1700000000.5", "2023-11-14T22:13:20.500000Z"},
    {"2023-02-29T00:00:00Z", NULL},
    {"2024-13-01", NULL},
    {"2024-01-02T25:00", NULL},
    {"2024-01-02T03:04:05Zjunk", NULL},
    {"", NULL},
    {"-5", NULL},
    {"1e3", NULL},
};

/* Every command in the table is well formed: help, flags with params (or
 * local), no flag twice, lists and structures with their location. */
static void check_command_table(void)
{
    int n = 0;
    bool good = true;
    for (const command *c = commands; c->name; c++, n++) {
        good &= c->help && *c->help && c->flags;
        good &= (c->run != NULL) || (c->action != NULL);
        for (const arg_spec *s = c->flags; s->flag; s++) {
            good &= s->help != NULL;
            if ((s->type == ARG_LIST || s->type == ARG_STRUCT_LIST) && !s->member)
                good = false;
            if ((s->type == ARG_STRUCT || s->type == ARG_STRUCT_LIST) && !s->shape)
                good = false;
            if ((s->type == ARG_FLAG || s->type == ARG_SECONDS) && s->param)
                good = false;
            for (const arg_spec *t = s + 1; t->flag; t++) {
                if (strcmp(s->flag, t->flag) == 0 || (s->param && t->param && strcmp(s->param, t->param) == 0)) {
                    diag("%s: --%s twice", c->name, s->flag);
                    good = false;
                }
            }
        }
        good &= commands_find(c->name) == c;
    }
    ok(good && n >= 10, "command table is well formed");
    ok(commands_find("no-such-command") == NULL, "unknown command not found");
}

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&cases[i]);
    for (size_t i = 0; i < sizeof shorthand_cases / sizeof shorthand_cases[0]; i++)
        check_shorthand(&shorthand_cases[i]);
    for (size_t i = 0; i < sizeof timestamp_cases / sizeof timestamp_cases[0]; i++) {
        char buf[48];
        bool got = args_format_timestamp(timestamp_cases[i].in, buf, sizeof buf);
        char *name = xasprintf("timestamp '%s'", timestamp_cases[i].in);
        if (timestamp_cases[i].out)
            is_str(got ? buf : NULL, timestamp_cases[i].out, name);
        else
            ok(!got, name);
        free(name);
    }
    check_command_table();
    return done_testing();
}
