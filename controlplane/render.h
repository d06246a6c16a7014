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

#include "controlplane/awserr.h"

#define RDS_XMLNS "http://rds.amazonaws.com/doc/2014-10-31/"

/* The list item element name for an array member named `list`. */
const char *render_list_item(const char *list);

/* <ActionResponse xmlns=…><ActionResult>…</ActionResult>
 * <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata>
 * </ActionResponse>. The caller frees the string. */
char *render_xml_result(const char *action, const cJSON *result, const char *request_id);
/* <ErrorResponse xmlns=…><Error><Type/><Code/><Message/></Error>
 * <RequestId/></ErrorResponse>. */
char *render_xml_error(const awserr *err, const char *request_id);
/* The result object itself as JSON, with "ResponseMetadata":{"RequestId"}. */
char *render_json_result(const cJSON *result, const char *request_id);
/* {"Error":{"Type","Code","Message"},"RequestId"}. */
char *render_json_error(const awserr *err, const char *request_id);

#endif
