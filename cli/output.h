/* output: render a result tree the way the aws CLI does.
 *
 * - json: 4-space indent, keys in the order received, non-ASCII as-is
 *   (Python's json.dump(indent=4, ensure_ascii=False));
 * - text: tab-separated scalars, keys sorted, each nested list or object
 *   on its own lines led by its key uppercased (awscli/text.py);
 * - table: boxed sections titled by the operation and the keys, scalar
 *   columns sorted, sections wider than the terminal turned vertical
 *   (awscli/table.py, without colour).
 * Scalars print as Python's str() would: true → True, null → None.
 * An empty object prints nothing at all, like the aws CLI. */
#ifndef RDSIM_CLI_OUTPUT_H
#define RDSIM_CLI_OUTPUT_H

#include <stdbool.h>

#include "lib/util.h"

struct cJSON;

typedef enum { OUTPUT_JSON, OUTPUT_TEXT, OUTPUT_TABLE } output_format;

/* "json" | "text" | "table" → *out; false for anything else. */
bool output_parse_format(const char *name, output_format *out);

/* Appends the rendering of v to out (nothing for an empty object). title
 * names the top section of a table (the operation, "DescribeDBInstances");
 * width is the terminal width a table should fit (80 when unknown). */
void output_render(output_format format, const struct cJSON *v, const char *title, int width,
                   sbuf *out);

void output_json(const struct cJSON *v, sbuf *out);
void output_text(const struct cJSON *v, sbuf *out);
void output_table(const struct cJSON *v, const char *title, int width, sbuf *out);

#endif
