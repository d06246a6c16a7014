/* render: a handler's result tree to the wire, as AWS XML or as JSON.
 *
 * A handler fills a cJSON object: the members of <ActionResult>. Strings,
 * numbers (integers printed without a fraction), booleans ("true"/"false"
 * in XML), objects (nested elements) and arrays. In XML an array NAME is
 * written <NAME><ITEM>…</ITEM>…</NAME>, ITEM being the list's location
 * name from botocore's model (DBInstances → DBInstance, TagList → Tag,
 * VpcSecurityGroups → VpcSecurityGroupMembership, Events → Event,
 * EventCategoriesList → EventCategory, DBParameterGroups → DBParameterGroup,
 * DBSnapshots → DBSnapshot, ...) and "member" when the model has none.
 * Text is XML-escaped. NULL members are omitted. */
#ifndef RDSIM_RENDER_H
#define RDSIM_RENDER_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"
#include "lib/util.h"

#define RDS_XMLNS "http://rds.amazonaws.com/doc/2014-10-31/"

/* The list item element name for an array member named `list`: its
 * locationName in botocore's model (RDS 2014-10-31, output shapes), or
 * "member" when the model has none or the name is unknown. Never NULL.
 * Three names differ by enclosing structure (AssociatedRoles, StatusInfos:
 * DBInstance… in a DBInstance, DBCluster… in a DBCluster; Parameters is
 * "member" inside a RecommendedAction); this returns the DB instance /
 * parameter group choice. */
const char *render_list_item(const char *list);
/* The same, given the name of the XML element that encloses the list
 * (e.g. "DBCluster", "DBInstance", "DescribeDBParametersResult"); the
 * renderer uses this one. */
const char *render_list_item_in(const char *parent, const char *list);

/* <ActionResponse xmlns=…><ActionResult>…</ActionResult>
 * <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata>
 * </ActionResponse>, indented like AWS's. The Result element is always
 * present (empty for a NULL result). Members with invalid XML names, NULL
 * and non-finite numbers are omitted; text is escaped, characters XML 1.0
 * cannot carry are dropped, invalid UTF-8 becomes U+FFFD. Never NULL
 * (out-of-memory aborts); the caller frees the string with free(). */
char *render_xml_result(const char *action, const cJSON *result, const char *request_id);
/* The same in another service's namespace (SNS, SQS); xmlns NULL: RDS's. */
char *render_xml_result_ns(const char *xmlns, const char *action, const cJSON *result,
                           const char *request_id);
/* <ErrorResponse xmlns=…><Error><Type/><Code/><Message/></Error>
 * <RequestId/></ErrorResponse>, Type/Code from awserr_type and
 * awserr_wire_code (the HTTP status is awserr_http_status's: the caller
 * sends it). err NULL is rendered as InternalFailure. Caller frees. */
char *render_xml_error(const awserr *err, const char *request_id);
/* The result object itself as JSON (unformatted), with
 * "ResponseMetadata":{"RequestId"} added (replacing one the handler may
 * have set); result is not modified. NULL gives {"ResponseMetadata":…}.
 * Strings are printed as cJSON prints them (no UTF-8 repair). The caller
 * frees with free(). */
char *render_json_result(const cJSON *result, const char *request_id);
/* Appends s XML-escaped (the rules above) to b; for the EC2 service's own
 * documents (ec2.c). NULL appends nothing. */
void render_xml_text(sbuf *b, const char *s);
/* {"Error":{"Type","Code","Message"},"RequestId"}, as render_xml_error. */
char *render_json_error(const awserr *err, const char *request_id);
/* One page of a whole list under offset paging (params_get_paging's
 * Marker is an offset): copies list items [off, off + max) into a new array
 * result[member], and sets result's Marker to the next offset when items
 * are left. list stays the caller's. */
void render_page(cJSON *result, const char *member, const cJSON *list, int64_t off,
                 int64_t max);

#endif
