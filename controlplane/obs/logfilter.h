/* logfilter: CloudWatch Logs filter patterns over unstructured messages
 * (pure).
 *
 *   ""  or only blanks    every event
 *   ERROR timeout         both terms (ANDed), case-sensitive substrings
 *   "connection reset"    a quoted phrase (\" and \\ escape inside)
 *   ?ERROR ?FATAL         any of the ?-terms (with plain terms: those AND one of these)
 *   ERROR -canceling      ERROR and not "canceling" (-"a phrase" too)
 * JSON patterns ({ $.x = ... }), space-delimited ones ([a, b, ...]) and
 * regular expressions (%...%) are refused: logfilter_compile returns NULL
 * with a message for CloudWatch's InvalidParameterException. */
#ifndef RDSIM_LOGFILTER_H
#define RDSIM_LOGFILTER_H

#include <stdbool.h>
#include <stddef.h>

#define LOGFILTER_MAX 1024   /* the model's FilterPattern max */

typedef struct logfilter logfilter;

/* NULL with why (a sentence) for a pattern refused. Caller frees. */
logfilter *logfilter_compile(const char *pattern, char *why, size_t whylen);
bool logfilter_match(const logfilter *f, const char *msg);
void logfilter_free(logfilter *f);

#endif
