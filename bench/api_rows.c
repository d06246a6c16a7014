/* api_rows: bench-only filler of bench/api.sh (issue 18) — metadata-only
 * instance rows for measuring DescribeDBInstances against a large store.
 *
 *   api_rows STORE TEMPLATE PREFIX FROM TO
 *
 * Reads instance TEMPLATE (a real instance, stopped through the API) and
 * inserts copies PREFIX<FROM>..PREFIX<TO-1> (four digits) through the
 * store's own store_instance_insert, in one transaction, while the
 * controlplane runs (SQLite's locking and busy timeout serialise us with
 * it). Each copy is `stopped` with no node (primary_node NULL, no
 * stopped_at meta, so the 7-day restart never picks it up): nothing runs
 * for it, but every column the Describe path reads is a real instance's.
 * Its DbiResourceId is its own. Prints the row count after; exit 1 on any
 * failure. Never used by the region itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/store.h"
#include "lib/util.h"

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: api_rows STORE TEMPLATE PREFIX FROM TO\n");
        return 2;
    }
    int from = atoi(argv[4]), to = atoi(argv[5]);
    store *s = store_open(argv[1]);
    if (!s)
        return 1;
    store_instance t = {0};
    bool found = false;
    if (!store_instance_get(s, argv[2], &t, &found) || !found) {
        fprintf(stderr, "api_rows: no instance %s\n", argv[2]);
        return 1;
    }
    char *tid = t.id, *trid = t.resource_id, *tnode = t.primary_node;
    bool ok = store_begin(s);
    for (int i = from; ok && i < to; i++) {
        char *id = xasprintf("%s%04d", argv[3], i);
        char *rid = xasprintf("db-APIROWS%016d", i);
        t.id = id;
        t.resource_id = rid;
        t.primary_node = NULL;
        t.status = STATUS_STOPPED;
        ok = store_instance_insert(s, &t);
        free(id);
        free(rid);
    }
    ok = ok && store_commit(s);
    if (!ok)
        store_rollback(s);
    t.id = tid;
    t.resource_id = trid;
    t.primary_node = tnode;
    store_instance_clear(&t);
    printf("%d\n", store_instance_count(s));
    store_close(s);
    return ok ? 0 : 1;
}
