/* policy: IAM identity policies, checked and evaluated (RDS-REFERENCE-2
 * §1.5). Pure: documents in, verdict out; no store, no clock.
 *
 * A document is JSON: {"Version": "2012-10-17" | "2008-10-17" (optional),
 * "Id" (optional), "Statement": one statement or a non-empty list}. A
 * statement has Sid (optional), Effect "Allow" | "Deny", exactly one of
 * Action / NotAction and exactly one of Resource / NotResource, each a
 * string or a non-empty list of strings. An action is "*" or
 * "<service>:<name>" with `*` and `?` wildcards in the name, matched
 * case-insensitively; a resource is "*" or an ARN with wildcards, matched
 * case-sensitively. Principal is refused (identity policies have none);
 * Condition is refused too: rdsim does not evaluate conditions, and
 * ignoring one would grant (or deny) more than the author wrote.
 *
 * Evaluation (IAM's, identity policies only): an explicit Deny that
 * matches wins; else an Allow that matches permits; else implicit deny. */
#ifndef RDSIM_POLICY_H
#define RDSIM_POLICY_H

#include <stdbool.h>
#include <stddef.h>

/* Documents longer than this are refused (policyDocumentType's max). */
#define POLICY_DOC_MAX 131072

typedef enum {
    POLICY_IMPLICIT_DENY, /* no statement allows */
    POLICY_ALLOW,         /* an Allow matches, no Deny does */
    POLICY_EXPLICIT_DENY, /* a Deny matches */
} policy_verdict;

/* true when doc (len bytes, untrusted) is a policy document as above;
 * false with IAM's MalformedPolicyDocument message in why. */
bool policy_check(const char *doc, size_t len, char *why, size_t why_len);

/* The verdict of n documents (each NUL-terminated, already checked; one
 * that no longer parses grants nothing) on action ("rds:CreateDBInstance")
 * and resource (an ARN, or "*" when the request names none). */
policy_verdict policy_evaluate(const char *const *docs, size_t n, const char *action,
                               const char *resource);

/* Does pattern (with `*`: any run, `?`: any one character) match all of
 * text? fold: compare ASCII letters case-insensitively. */
bool policy_match(const char *pattern, const char *text, bool fold);

/* The characters of doc that are not JSON whitespace: what IAM counts
 * against a user's 2,048-character inline policy quota. */
size_t policy_size(const char *doc);

/* AccessDenied's message for `verdict` (not POLICY_ALLOW): "User: <arn>
 * is not authorized to perform: <action>[ on resource: <resource>]
 * because no identity-based policy allows the <action> action" or "...
 * with an explicit deny in an identity-based policy". The resource part
 * is left out when resource is "*" or NULL, as AWS does for actions on
 * no particular resource. */
void policy_denied_message(char *out, size_t out_len, const char *arn, const char *action,
                           const char *resource, policy_verdict verdict);

#endif
