/* svc: see svc.h. One table of subcommands per service, one runner. */
#include "cli/svc.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api.h"
#include "cli/exitcode.h"
#include "cli/output.h"

#define S_STR(f, p, h) {f, p, ARG_STRING, NULL, NULL, false, h}
#define S_REQ(f, p, h) {f, p, ARG_STRING, NULL, NULL, true, h}
#define S_INT(f, p, h) {f, p, ARG_INT, NULL, NULL, false, h}
#define S_LOCAL(f, h) {f, NULL, ARG_STRING, NULL, NULL, false, h}
#define S_END {NULL, NULL, 0, NULL, NULL, false, NULL}

typedef struct {
    const char *name;      /* "create-topic" */
    const char *action;    /* "CreateTopic" */
    const char *help;
    const arg_spec *flags;
} svc_subcommand;

typedef struct {
    const char *name;      /* "sns" */
    const char *version;   /* the Query Version */
    const svc_subcommand *subs;
} svc_service;

const arg_spec svc_cli_flags[] = {S_END};

/* ---- sns ---- */

static const arg_spec sns_name_flags[] = {S_REQ("name", "Name", "Topic name"), S_END};
static const arg_spec sns_topic_flags[] = {S_REQ("topic-arn", "TopicArn", "Topic ARN"), S_END};
static const arg_spec sns_token_flags[] = {S_STR("next-token", "NextToken", "Page token"), S_END};
static const arg_spec sns_topic_token_flags[] = {
    S_REQ("topic-arn", "TopicArn", "Topic ARN"), S_STR("next-token", "NextToken", "Page token"),
    S_END};
static const arg_spec sns_subscribe_flags[] = {
    S_REQ("topic-arn", "TopicArn", "Topic ARN"),
    S_REQ("protocol", "Protocol", "http, email, email-json, sms, sqs, lambda, firehose"),
    S_STR("notification-endpoint", "Endpoint", "URL, address, number or ARN"),
    S_END};
static const arg_spec sns_unsubscribe_flags[] = {
    S_REQ("subscription-arn", "SubscriptionArn", "Subscription ARN"), S_END};
static const arg_spec sns_publish_flags[] = {
    S_STR("topic-arn", "TopicArn", "Topic ARN"),
    S_STR("target-arn", "TargetArn", "Same as --topic-arn"),
    S_REQ("message", "Message", "The message (up to 256 KiB)"),
    S_STR("subject", "Subject", "Subject (email), up to 100 characters"),
    S_END};
static const arg_spec sns_deliveries_flags[] = {
    S_STR("subscription-arn", "SubscriptionArn", "Only this subscription's deliveries"),
    S_STR("topic-arn", "TopicArn", "Only this topic's"),
    S_STR("event-subscription", "EventSubscription", "Only those an RDS event subscription caused"),
    S_STR("state", "State", "pending, delivered or dead"),
    S_INT("max-items", "MaxItems", "Page size (1-1000, default 100)"),
    S_STR("next-token", "NextToken", "Page token"),
    S_END};

static const svc_subcommand sns_subs[] = {
    {"create-topic", "CreateTopic", "Creates a topic (idempotent).", sns_name_flags},
    {"delete-topic", "DeleteTopic", "Deletes a topic and its subscriptions.", sns_topic_flags},
    {"list-topics", "ListTopics", "Lists topics.", sns_token_flags},
    {"get-topic-attributes", "GetTopicAttributes", "Shows a topic's attributes.",
     sns_topic_flags},
    {"subscribe", "Subscribe", "Subscribes an endpoint (confirmed at once).",
     sns_subscribe_flags},
    {"unsubscribe", "Unsubscribe", "Deletes a subscription.", sns_unsubscribe_flags},
    {"list-subscriptions", "ListSubscriptions", "Lists subscriptions.", sns_token_flags},
    {"list-subscriptions-by-topic", "ListSubscriptionsByTopic", "Lists a topic's subscriptions.",
     sns_topic_token_flags},
    {"publish", "Publish", "Publishes a message to every subscriber of a topic.",
     sns_publish_flags},
    {"list-deliveries", "ListDeliveries",
     "Delivery status per message and subscriber: pending, delivered or dead (rdsim).",
     sns_deliveries_flags},
    {NULL, NULL, NULL, NULL},
};

/* ---- sqs ---- */

static const arg_spec sqs_create_flags[] = {
    S_REQ("queue-name", "QueueName", "Queue name"),
    S_LOCAL("attributes", "Name=Value,...: VisibilityTimeout=SECONDS"),
    S_END};
static const arg_spec sqs_name_flags[] = {S_REQ("queue-name", "QueueName", "Queue name"), S_END};
static const arg_spec sqs_list_flags[] = {
    S_STR("queue-name-prefix", "QueueNamePrefix", "Only names with this prefix"), S_END};
static const arg_spec sqs_url_flags[] = {S_REQ("queue-url", "QueueUrl", "Queue URL"), S_END};
static const arg_spec sqs_send_flags[] = {
    S_REQ("queue-url", "QueueUrl", "Queue URL"),
    S_REQ("message-body", "MessageBody", "The message"),
    S_END};
static const arg_spec sqs_receive_flags[] = {
    S_REQ("queue-url", "QueueUrl", "Queue URL"),
    S_INT("max-number-of-messages", "MaxNumberOfMessages", "1-10 (default 1)"),
    S_INT("visibility-timeout", "VisibilityTimeout", "Hide the messages this long (seconds)"),
    S_INT("wait-time-seconds", "WaitTimeSeconds", "Accepted; rdsim does not long-poll"),
    S_END};
static const arg_spec sqs_delete_msg_flags[] = {
    S_REQ("queue-url", "QueueUrl", "Queue URL"),
    S_REQ("receipt-handle", "ReceiptHandle", "The handle of the latest receive"),
    S_END};

static const svc_subcommand sqs_subs[] = {
    {"create-queue", "CreateQueue", "Creates a queue.", sqs_create_flags},
    {"get-queue-url", "GetQueueUrl", "Shows a queue's URL.", sqs_name_flags},
    {"list-queues", "ListQueues", "Lists queue URLs.", sqs_list_flags},
    {"delete-queue", "DeleteQueue", "Deletes a queue and its messages.", sqs_url_flags},
    {"send-message", "SendMessage", "Sends a message.", sqs_send_flags},
    {"receive-message", "ReceiveMessage",
     "Receives messages, hiding them for the visibility timeout.", sqs_receive_flags},
    {"delete-message", "DeleteMessage", "Deletes a received message.", sqs_delete_msg_flags},
    {NULL, NULL, NULL, NULL},
};

static const svc_service sns_service = {"sns", "2010-03-31", sns_subs};
static const svc_service sqs_service = {"sqs", "2012-11-05", sqs_subs};

/* ---- runner ---- */

static int svc_usage(const svc_service *svc, const char *message)
{
    fprintf(stderr, "usage: rdsctl %s <subcommand> [parameters]\nsubcommands:", svc->name);
    for (const svc_subcommand *s = svc->subs; s->name; s++)
        fprintf(stderr, " %s", s->name);
    fprintf(stderr, "\nrdsctl: error: %s\n", message);
    return CLI_EXIT_USAGE;
}

static void svc_help(const svc_service *svc, const svc_subcommand *sc)
{
    printf("usage: rdsctl %s %s [parameters]\n\n%s\n\n", svc->name, sc->name, sc->help);
    for (const arg_spec *f = sc->flags; f->flag; f++)
        printf("  --%-26s %s%s\n", f->flag, f->help, f->required ? " (required)" : "");
}

/* --attributes "A=1,B=2" as Attribute.N.Name / Attribute.N.Value. */
static bool svc_attributes(const char *spec, query *params, sbuf *err)
{
    char *copy = xstrdup(spec);
    int n = 0;
    bool ok = true;
    for (char *save = NULL, *kv = strtok_r(copy, ",", &save); kv && ok;
         kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            sbuf_printf(err, "argument --attributes: expected Name=Value, got '%s'", kv);
            ok = false;
            break;
        }
        *eq = '\0';
        char name[40];
        snprintf(name, sizeof name, "Attribute.%d.Name", ++n);
        query_add(params, name, kv);
        snprintf(name, sizeof name, "Attribute.%d.Value", n);
        query_add(params, name, eq + 1);
    }
    free(copy);
    return ok;
}

static int svc_run(const svc_service *svc, const cli_ctx *ctx, int argc, char **argv)
{
    if (argc < 1)
        return svc_usage(svc, "the following arguments are required: subcommand");
    const svc_subcommand *sc = svc->subs;
    while (sc->name && strcmp(sc->name, argv[0]) != 0)
        sc++;
    if (!sc->name) {
        char *msg = xasprintf("argument subcommand: Invalid choice: '%s'", argv[0]);
        int rc = svc_usage(svc, msg);
        free(msg);
        return rc;
    }
    if (argc >= 2 && strcmp(argv[1], "help") == 0) {
        svc_help(svc, sc);
        return CLI_EXIT_OK;
    }
    query params = {0}, opts = {0};
    sbuf err = {0};
    args_status st = args_parse(sc->flags, argc - 1, argv + 1, &params, &opts, &err);
    const char *attrs = query_get(&opts, "attributes");
    if (st == ARGS_OK && attrs && !svc_attributes(attrs, &params, &err))
        st = ARGS_PARAM_ERROR;
    int rc;
    if (st != ARGS_OK) {
        rc = st == ARGS_USAGE_ERROR ? svc_usage(svc, err.data ? err.data : "bad arguments")
                                    : (fprintf(stderr, "\n%s\n", err.data ? err.data : ""),
                                       CLI_EXIT_USAGE);
    } else {
        api_client client = {.endpoint = ctx->endpoint, .debug = ctx->debug,
                             .version = svc->version};
        api_reply reply;
        if (api_call(&client, sc->action, &params, &reply) == API_OK) {
            sbuf out = {0};
            output_render(ctx->output, reply.result, sc->action, ctx->width, &out);
            if (out.len)
                fwrite(out.data, 1, out.len, stdout);
            fflush(stdout);
            sbuf_free(&out);
            rc = CLI_EXIT_OK;
        } else {
            api_print_error(&client, sc->action, &reply, stderr);
            rc = reply.status == API_SERVICE_ERROR ? CLI_EXIT_SERVICE_ERROR : CLI_EXIT_FAILURE;
        }
        api_reply_free(&reply);
    }
    sbuf_free(&err);
    query_free(&params);
    query_free(&opts);
    return rc;
}

int svc_cli_run_sns(const cli_ctx *ctx, const command *cmd, int argc, char **argv)
{
    (void)cmd;
    return svc_run(&sns_service, ctx, argc, argv);
}

int svc_cli_run_sqs(const cli_ctx *ctx, const command *cmd, int argc, char **argv)
{
    (void)cmd;
    return svc_run(&sqs_service, ctx, argc, argv);
}
