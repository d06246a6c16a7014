/* Unit tests for cli/output: json, text and table renderings compared
 * byte for byte with what the aws CLI's own formatters (awscli 1.45,
 * colour off) print for the same reply. The expected strings were
 * produced by running awscli.formatter on each input. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli/output.h"
#include "lib/tap.h"

typedef struct {
    const char *name;
    output_format format;
    int width;
    const char *title;
    const char *input;
    const char *want;
} output_case;

static const output_case cases[] = {
    {"json: indent 4, server key order, escapes, null, float, non-ASCII", OUTPUT_JSON, 80, "DescribeDBInstances",
     "{\"DBInstances\": [{\"DBInstanceIdentifier\": \"a\", \"DBInstanceStatus\": \"available\", \"MultiAZ\": true, \"AllocatedStorage\": 20, \"Endpoint\": {\"Address\": \"a.x.rds.internal\", \"Port\": 5432}, \"EnabledCloudwatchLogsExports\": [\"postgresql\",\"upgrade\"], \"TagList\": [{\"Key\": \"env\", \"Value\": \"dev\"}], \"PendingModifiedValues\": {}, \"X\": null, \"Ratio\": 1.5, \"Quote\": \"a\\\"b\\\\c\\nd\\u0001\"}, {\"DBInstanceIdentifier\": \"b\", \"DBInstanceStatus\": \"creating\", \"MultiAZ\": false, \"AllocatedStorage\": 100, \"Extra\": \"only-here\"}], \"Marker\": \"m\"}",
     "{\n"
     "    \"DBInstances\": [\n"
     "        {\n"
     "            \"DBInstanceIdentifier\": \"a\",\n"
     "            \"DBInstanceStatus\": \"available\",\n"
     "            \"MultiAZ\": true,\n"
     "            \"AllocatedStorage\": 20,\n"
     "            \"Endpoint\": {\n"
     "                \"Address\": \"a.x.rds.internal\",\n"
     "                \"Port\": 5432\n"
     "            },\n"
     "            \"EnabledCloudwatchLogsExports\": [\n"
     "                \"postgresql\",\n"
     "                \"upgrade\"\n"
     "            ],\n"
     "            \"TagList\": [\n"
     "                {\n"
     "                    \"Key\": \"env\",\n"
     "                    \"Value\": \"dev\"\n"
     "                }\n"
     "            ],\n"
     "            \"PendingModifiedValues\": {},\n"
     "            \"X\": null,\n"
     "            \"Ratio\": 1.5,\n"
     "            \"Quote\": \"a\\\"b\\\\c\\nd\\u0001\"\n"
     "        },\n"
     "        {\n"
     "            \"DBInstanceIdentifier\": \"b\",\n"
     "            \"DBInstanceStatus\": \"creating\",\n"
     "            \"MultiAZ\": false,\n"
     "            \"AllocatedStorage\": 100,\n"
     "            \"Extra\": \"only-here\"\n"
     "        }\n"
     "    ],\n"
     "    \"Marker\": \"m\"\n"
     "}\n"
     ""},
    {"json: nested lists", OUTPUT_JSON, 80, "X",
     "{\"A\": [[1,2],[3,4]], \"B\": [1, [2]], \"C\": {\"D\": {\"E\": 1, \"F\": \"x\"}}, \"S\": \"top\"}",
     "{\n"
     "    \"A\": [\n"
     "        [\n"
     "            1,\n"
     "            2\n"
     "        ],\n"
     "        [\n"
     "            3,\n"
     "            4\n"
     "        ]\n"
     "    ],\n"
     "    \"B\": [\n"
     "        1,\n"
     "        [\n"
     "            2\n"
     "        ]\n"
     "    ],\n"
     "    \"C\": {\n"
     "        \"D\": {\n"
     "            \"E\": 1,\n"
     "            \"F\": \"x\"\n"
     "        }\n"
     "    },\n"
     "    \"S\": \"top\"\n"
     "}\n"
     ""},
    {"text: list of instances with nested lists and objects", OUTPUT_TEXT, 80, "DescribeDBInstances",
     "{\"DBInstances\": [{\"DBInstanceIdentifier\": \"a\", \"DBInstanceStatus\": \"available\", \"MultiAZ\": true, \"AllocatedStorage\": 20, \"Endpoint\": {\"Address\": \"a.x.rds.internal\", \"Port\": 5432}, \"EnabledCloudwatchLogsExports\": [\"postgresql\",\"upgrade\"], \"TagList\": [{\"Key\": \"env\", \"Value\": \"dev\"}], \"PendingModifiedValues\": {}, \"X\": null, \"Ratio\": 1.5, \"Quote\": \"a\\\"b\\\\c\\nd\\u0001\"}, {\"DBInstanceIdentifier\": \"b\", \"DBInstanceStatus\": \"creating\", \"MultiAZ\": false, \"AllocatedStorage\": 100, \"Extra\": \"only-here\"}], \"Marker\": \"m\"}",
     "m\n"
     "DBINSTANCES\t20\ta\tavailable\t\tTrue\ta\"b\\c\n"
     "d\001\t1.5\tNone\n"
     "ENABLEDCLOUDWATCHLOGSEXPORTS\tpostgresql\n"
     "ENABLEDCLOUDWATCHLOGSEXPORTS\tupgrade\n"
     "ENDPOINT\ta.x.rds.internal\t5432\n"
     "TAGLIST\tenv\tdev\n"
     "DBINSTANCES\t100\tb\tcreating\tonly-here\tFalse\t\t\t\n"
     ""},
    {"text: events", OUTPUT_TEXT, 80, "DescribeEvents",
     "{\"Events\": [{\"SourceIdentifier\": \"shop\", \"SourceType\": \"db-instance\", \"Message\": \"DB instance created\", \"EventCategories\": [\"creation\"], \"Date\": \"2024-01-01T00:00:00.000Z\", \"SourceArn\": \"arn:aws:rds:us-east-1:1:db:shop\"}, {\"SourceIdentifier\": \"shop\", \"SourceType\": \"db-instance\", \"Message\": \"Multi-AZ instance failover started.\", \"EventCategories\": [\"failover\", \"availability\"], \"Date\": \"2024-01-01T00:01:00.000Z\", \"SourceArn\": \"arn:aws:rds:us-east-1:1:db:shop\"}]}",
     "EVENTS\t2024-01-01T00:00:00.000Z\tDB instance created\tarn:aws:rds:us-east-1:1:db:shop\tshop\tdb-instance\n"
     "EVENTCATEGORIES\tcreation\n"
     "EVENTS\t2024-01-01T00:01:00.000Z\tMulti-AZ instance failover started.\tarn:aws:rds:us-east-1:1:db:shop\tshop\tdb-instance\n"
     "EVENTCATEGORIES\tfailover\n"
     "EVENTCATEGORIES\tavailability\n"
     ""},
    {"text: lists of lists and scalars", OUTPUT_TEXT, 80, "X",
     "{\"A\": [[1,2],[3,4]], \"B\": [1, [2]], \"C\": {\"D\": {\"E\": 1, \"F\": \"x\"}}, \"S\": \"top\"}",
     "top\n"
     "A\t1\n"
     "A\t2\n"
     "A\t3\n"
     "A\t4\n"
     "B\t1\n"
     "B\t2\n"
     "D\t1\tx\n"
     ""},
    {"table: wide sections turn vertical at width 80", OUTPUT_TABLE, 80, "DescribeEvents",
     "{\"Events\": [{\"SourceIdentifier\": \"shop\", \"SourceType\": \"db-instance\", \"Message\": \"DB instance created\", \"EventCategories\": [\"creation\"], \"Date\": \"2024-01-01T00:00:00.000Z\", \"SourceArn\": \"arn:aws:rds:us-east-1:1:db:shop\"}, {\"SourceIdentifier\": \"shop\", \"SourceType\": \"db-instance\", \"Message\": \"Multi-AZ instance failover started.\", \"EventCategories\": [\"failover\", \"availability\"], \"Date\": \"2024-01-01T00:01:00.000Z\", \"SourceArn\": \"arn:aws:rds:us-east-1:1:db:shop\"}]}",
     "---------------------------------------------------------------\n"
     "|                       DescribeEvents                        |\n"
     "+-------------------------------------------------------------+\n"
     "||                          Events                           ||\n"
     "|+--------------------+--------------------------------------+|\n"
     "||  Date              |  2024-01-01T00:00:00.000Z            ||\n"
     "||  Message           |  DB instance created                 ||\n"
     "||  SourceArn         |  arn:aws:rds:us-east-1:1:db:shop     ||\n"
     "||  SourceIdentifier  |  shop                                ||\n"
     "||  SourceType        |  db-instance                         ||\n"
     "|+--------------------+--------------------------------------+|\n"
     "|||                     EventCategories                     |||\n"
     "||+---------------------------------------------------------+||\n"
     "|||  creation                                               |||\n"
     "||+---------------------------------------------------------+||\n"
     "||                          Events                           ||\n"
     "|+-------------------+---------------------------------------+|\n"
     "||  Date             |  2024-01-01T00:01:00.000Z             ||\n"
     "||  Message          |  Multi-AZ instance failover started.  ||\n"
     "||  SourceArn        |  arn:aws:rds:us-east-1:1:db:shop      ||\n"
     "||  SourceIdentifier |  shop                                 ||\n"
     "||  SourceType       |  db-instance                          ||\n"
     "|+-------------------+---------------------------------------+|\n"
     "|||                     EventCategories                     |||\n"
     "||+---------------------------------------------------------+||\n"
     "|||  failover                                               |||\n"
     "|||  availability                                           |||\n"
     "||+---------------------------------------------------------+||\n"
     ""},
    {"table: stays horizontal when it fits (width 200)", OUTPUT_TABLE, 200, "DescribeEvents",
     "{\"Events\": [{\"SourceIdentifier\": \"shop\", \"SourceType\": \"db-instance\", \"Message\": \"DB instance created\", \"EventCategories\": [\"creation\"], \"Date\": \"2024-01-01T00:00:00.000Z\", \"SourceArn\": \"arn:aws:rds:us-east-1:1:db:shop\"}, {\"SourceIdentifier\": \"shop\", \"SourceType\": \"db-instance\", \"Message\": \"Multi-AZ instance failover started.\", \"EventCategories\": [\"failover\", \"availability\"], \"Date\": \"2024-01-01T00:01:00.000Z\", \"SourceArn\": \"arn:aws:rds:us-east-1:1:db:shop\"}]}",
     "---------------------------------------------------------------------------------------------------------------------------------------------\n"
     "|                                                              DescribeEvents                                                               |\n"
     "+-------------------------------------------------------------------------------------------------------------------------------------------+\n"
     "||                                                                 Events                                                                  ||\n"
     "|+------------------------------+-------------------------+---------------------------------------+----------------------+-----------------+|\n"
     "||             Date             |         Message         |               SourceArn               |  SourceIdentifier    |   SourceType    ||\n"
     "|+------------------------------+-------------------------+---------------------------------------+----------------------+-----------------+|\n"
     "||  2024-01-01T00:00:00.000Z    |  DB instance created    |  arn:aws:rds:us-east-1:1:db:shop      |  shop                |  db-instance    ||\n"
     "|+------------------------------+-------------------------+---------------------------------------+----------------------+-----------------+|\n"
     "|||                                                            EventCategories                                                            |||\n"
     "||+---------------------------------------------------------------------------------------------------------------------------------------+||\n"
     "|||  creation                                                                                                                             |||\n"
     "||+---------------------------------------------------------------------------------------------------------------------------------------+||\n"
     "||                                                                 Events                                                                  ||\n"
     "|+--------------------------+---------------------------------------+-----------------------------------+-------------------+--------------+|\n"
     "||           Date           |                Message                |             SourceArn             | SourceIdentifier  | SourceType   ||\n"
     "|+--------------------------+---------------------------------------+-----------------------------------+-------------------+--------------+|\n"
     "||  2024-01-01T00:01:00.000Z|  Multi-AZ instance failover started.  |  arn:aws:rds:us-east-1:1:db:shop  |  shop             |  db-instance ||\n"
     "|+--------------------------+---------------------------------------+-----------------------------------+-------------------+--------------+|\n"
     "|||                                                            EventCategories                                                            |||\n"
     "||+---------------------------------------------------------------------------------------------------------------------------------------+||\n"
     "|||  failover                                                                                                                             |||\n"
     "|||  availability                                                                                                                         |||\n"
     "||+---------------------------------------------------------------------------------------------------------------------------------------+||\n"
     ""},
    {"table: nested sections indent with bars", OUTPUT_TABLE, 80, "Fixture",
     "{\"A\": [[1,2],[3,4]], \"B\": [1, [2]], \"C\": {\"D\": {\"E\": 1, \"F\": \"x\"}}, \"S\": \"top\"}",
     "----------------\n"
     "|    Fixture   |\n"
     "+-----+--------+\n"
     "|  S  |  top   |\n"
     "+-----+--------+\n"
     "||      A     ||\n"
     "|+-----+------+|\n"
     "||  1  |  2   ||\n"
     "||  3  |  4   ||\n"
     "|+-----+------+|\n"
     "||      B     ||\n"
     "|+------------+|\n"
     "||  1         ||\n"
     "||  2         ||\n"
     "|+------------+|\n"
     "||      C     ||\n"
     "|+------------+|\n"
     "|||     D    |||\n"
     "||+----+-----+||\n"
     "|||  E |  F  |||\n"
     "||+----+-----+||\n"
     "|||  1 |  x  |||\n"
     "||+----+-----+||\n"
     ""},
    {"json: non-ASCII as-is, empty containers", OUTPUT_JSON, 80, "X",
     "{\"TagList\": [{\"Key\": \"name\", \"Value\": \"café ☕ 日本\"}], \"Empty\": [], \"Obj\": {}}",
     "{\n"
     "    \"TagList\": [\n"
     "        {\n"
     "            \"Key\": \"name\",\n"
     "            \"Value\": \"café ☕ 日本\"\n"
     "        }\n"
     "    ],\n"
     "    \"Empty\": [],\n"
     "    \"Obj\": {}\n"
     "}\n"
     ""},
    {"text: non-ASCII as-is, empty containers print nothing", OUTPUT_TEXT, 80, "X",
     "{\"TagList\": [{\"Key\": \"name\", \"Value\": \"café ☕ 日本\"}], \"Empty\": [], \"Obj\": {}}",
     "TAGLIST\tname\tcafé ☕ 日本\n"
     ""},
    {"table: instances with missing keys", OUTPUT_TABLE, 80, "DescribeDBInstances",
     "{\"DBInstances\": [{\"DBInstanceIdentifier\": \"a\", \"DBInstanceStatus\": \"available\", \"MultiAZ\": true, \"AllocatedStorage\": 20, \"Endpoint\": {\"Address\": \"a.x.rds.internal\", \"Port\": 5432}, \"EnabledCloudwatchLogsExports\": [\"postgresql\",\"upgrade\"], \"TagList\": [{\"Key\": \"env\", \"Value\": \"dev\"}], \"PendingModifiedValues\": {}, \"X\": null, \"Ratio\": 1.5, \"Quote\": \"a\\\"b\\\\c\\nd\\u0001\"}, {\"DBInstanceIdentifier\": \"b\", \"DBInstanceStatus\": \"creating\", \"MultiAZ\": false, \"AllocatedStorage\": 100, \"Extra\": \"only-here\"}], \"Marker\": \"m\"}",
     "-----------------------------------------\n"
     "|          DescribeDBInstances          |\n"
     "+-------------------------+-------------+\n"
     "|  Marker                 |  m          |\n"
     "+-------------------------+-------------+\n"
     "||             DBInstances             ||\n"
     "|+-----------------------+-------------+|\n"
     "||  AllocatedStorage     |  20         ||\n"
     "||  DBInstanceIdentifier |  a          ||\n"
     "||  DBInstanceStatus     |  available  ||\n"
     "||  Extra                |             ||\n"
     "||  MultiAZ              |  True       ||\n"
     "||  Quote                |  a\"b\\c\n"
     "d\001   ||\n"
     "||  Ratio                |  1.5        ||\n"
     "||  X                    |  None       ||\n"
     "|+-----------------------+-------------+|\n"
     "|||   EnabledCloudwatchLogsExports    |||\n"
     "||+-----------------------------------+||\n"
     "|||  postgresql                       |||\n"
     "|||  upgrade                          |||\n"
     "||+-----------------------------------+||\n"
     "|||             Endpoint              |||\n"
     "||+-----------+-----------------------+||\n"
     "|||  Address  |  a.x.rds.internal     |||\n"
     "|||  Port     |  5432                 |||\n"
     "||+-----------+-----------------------+||\n"
     "|||              TagList              |||\n"
     "||+-------------------+---------------+||\n"
     "|||  Key              |  env          |||\n"
     "|||  Value            |  dev          |||\n"
     "||+-------------------+---------------+||\n"
     "||             DBInstances             ||\n"
     "|+-----------------------+-------------+|\n"
     "||  AllocatedStorage     |  100        ||\n"
     "||  DBInstanceIdentifier |  b          ||\n"
     "||  DBInstanceStatus     |  creating   ||\n"
     "||  Extra                |  only-here  ||\n"
     "||  MultiAZ              |  False      ||\n"
     "||  Quote                |             ||\n"
     "||  Ratio                |             ||\n"
     "||  X                    |             ||\n"
     "|+-----------------------+-------------+|\n"
     ""},
};

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const output_case *c = &cases[i];
        cJSON *v = cJSON_Parse(c->input);
        if (!ok(v != NULL, "input parses")) {
            diag("case %s", c->name);
            continue;
        }
        sbuf out = {0};
        output_render(c->format, v, c->title, c->width, &out);
        is_str(out.data ? out.data : "", c->want, c->name);
        sbuf_free(&out);
        cJSON_Delete(v);
    }

    /* An empty result prints nothing in every format, like the aws CLI
     * after it drops ResponseMetadata. */
    static const output_format formats[] = {OUTPUT_JSON, OUTPUT_TEXT, OUTPUT_TABLE};
    for (size_t i = 0; i < 3; i++) {
        cJSON *empty = cJSON_CreateObject();
        sbuf out = {0};
        output_render(formats[i], empty, "DeleteDBParameterGroup", 80, &out);
        ok(out.len == 0, "empty object prints nothing");
        sbuf_free(&out);
        cJSON_Delete(empty);
    }

    output_format f;
    ok(output_parse_format("json", &f) && f == OUTPUT_JSON, "format json");
    ok(output_parse_format("text", &f) && f == OUTPUT_TEXT, "format text");
    ok(output_parse_format("table", &f) && f == OUTPUT_TABLE, "format table");
    ok(!output_parse_format("yaml", &f), "format yaml refused");
    ok(!output_parse_format("", &f), "empty format refused");

    /* Large integers and fractions print as Python would. */
    cJSON *nums = cJSON_Parse("[2147483648, -3, 0.1, 1e300]");
    sbuf out = {0};
    output_json(nums, &out);
    is_str(out.data, "[\n    2147483648,\n    -3,\n    0.1,\n    1e+300\n]\n", "numbers");
    sbuf_free(&out);
    cJSON_Delete(nums);
    return done_testing();
}
