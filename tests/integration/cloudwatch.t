#!/usr/bin/env bash
# Issue 16, item 1: CloudWatch metrics through the wire. The stock aws CLI
# (awsJson1_0), Query (curl, Version 2010-08-01) and rpc-v2-cbor (a CBOR
# body built here, signed by curl): PutMetricData then GetMetricStatistics,
# GetMetricData and ListMetrics of custom points; AWS/RDS metrics that move
# while pgbench runs (CPUUtilization and WriteIOPS rise, DatabaseConnections
# counts the open connections; the host disk's Read/WriteLatency and
# DiskQueueDepth are published); CloudWatch's errors in each format; the
# resolutions and retention on the region clock.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v aws >/dev/null; then
  echo "1..0 # SKIP the aws CLI is not installed"
  exit 0
fi
export AWS_PAGER=

region_up || bail "the region did not start"
ok 0 "region up"

cw() { aws --endpoint-url "$API" --output json cloudwatch "$@"; }
cw_err() { cw "$@" >/dev/null 2>"$T_OUT"; cat "$T_OUT"; }
iso() { date -u -d "@$1" +%FT%TZ; }
rnow() { rdsctl clock show | jq -r '.Now // .RegionTime // empty' | xargs -I{} date -u -d {} +%s; }

create_instance cw1 >/dev/null || bail "create failed"

# ---- the load first: the first minute of metrics is measured under it --------

poll 240 status_is cw1 available || bail "cw1 not available"
ok 0 "cw1 available"
diag "available after ${SECONDS}s"
addr=$(resolve "$(endpoint_of cw1)")
export PGPASSWORD=$T_PASS
"$PG_BIN/pgbench" -h "$addr" -U "$T_USER" -i -s 2 postgres >"$T_OUT" 2>&1
ok $? "pgbench -i"
# 8 MB sent by a client (COPY FROM STDIN): NetworkReceiveThroughput's
# points must hold at least that many bytes. The session stays 3 s after
# the COPY: the agent samples sockets every second, and the bytes of a
# connection that opens and closes between two samples are not seen
# (agent/sockdiag.h; a loopback COPY of 8 MB can take well under a second).
COPY_BYTES=$((80000 * 100))
psql_at "$addr" "create table netin (t text)" >/dev/null
awk 'BEGIN { s = sprintf("%99s", ""); gsub(/ /, "x", s); for (i = 0; i < 80000; i++) print s }' |
  PGPASSWORD=$T_PASS "$PG_BIN/psql" -X -q -h "$addr" -U "$T_USER" postgres -c "\\copy netin from stdin" \
    -c "select pg_sleep(3)" >"$T_OUT" 2>&1
ok $? "a client sends 8 MB (COPY FROM STDIN)"
# Four pgbench clients and three idle sessions: at least seven connections.
# The load: pgbench's TPC-B-like writes and a CPU-bound statement, mixed.
echo 'SELECT count(*) FROM generate_series(1, 200000);' >"$T_OUT.cpu.sql"
"$PG_BIN/pgbench" -h "$addr" -U "$T_USER" -c 4 -j 2 -T 120 -b tpcb-like@1 -f "$T_OUT.cpu.sql@1" \
  postgres >/dev/null 2>&1 &
PGB=$!
for i in 1 2 3; do psql_at "$addr" "select pg_sleep(120)" >/dev/null 2>&1 & done

# ---- custom metrics, three wire formats --------------------------------------

NOW=$(rnow)
[ -n "$NOW" ] || NOW=$(date +%s)
T0=$((NOW - NOW % 60 - 120))
check "PutMetricData (json): two values and a statistic set" \
  cw put-metric-data --namespace App/Shop --metric-data \
  "[{\"MetricName\":\"Latency\",\"Dimensions\":[{\"Name\":\"Svc\",\"Value\":\"cart\"}],\"Timestamp\":$T0,\"Value\":10,\"Unit\":\"Milliseconds\"},
    {\"MetricName\":\"Latency\",\"Dimensions\":[{\"Name\":\"Svc\",\"Value\":\"cart\"}],\"Timestamp\":$((T0 + 10)),\"Value\":30,\"Unit\":\"Milliseconds\"},
    {\"MetricName\":\"Latency\",\"Dimensions\":[{\"Name\":\"Svc\",\"Value\":\"cart\"}],\"Timestamp\":$((T0 + 60)),\"StatisticValues\":{\"SampleCount\":4,\"Sum\":100,\"Minimum\":5,\"Maximum\":50},\"Unit\":\"Milliseconds\"}]"
out=$(cw get-metric-statistics --namespace App/Shop --metric-name Latency \
  --dimensions Name=Svc,Value=cart --start-time "$(iso $T0)" --end-time "$(iso $((T0 + 120)))" \
  --period 60 --statistics Average Sum SampleCount Minimum Maximum)
is "$(jq -c '[.Datapoints | sort_by(.Timestamp)[] | [.SampleCount, .Average, .Minimum, .Maximum, .Unit]]' <<<"$out")" \
  '[[2,20,10,30,"Milliseconds"],[4,25,5,50,"Milliseconds"]]' "GetMetricStatistics: per-minute statistics of the points"
# More calls through botocore (JSON 1.0, as the CLI) in one process: each
# CLI start costs a second or more on a busy machine.
# boto CALLS-JSON: [[Op, {params}], ...] -> one JSON line per call, the
# reply or {"Error": code, "Message": ...}; timestamps as epoch seconds.
boto() {
  python3 - "$API" "$RDS_REGION" "$T_KEY" "$T_SECRET" "$1" <<'PY'
import sys, json, datetime, botocore.session, botocore.exceptions
api, region, key, secret, calls = sys.argv[1:6]
c = botocore.session.get_session().create_client("cloudwatch", region_name=region,
    endpoint_url=api, aws_access_key_id=key, aws_secret_access_key=secret)
def conv(o):
    return o.timestamp() if isinstance(o, datetime.datetime) else str(o)
for op, params in json.loads(calls):
    try:
        r = getattr(c, op)(**params)
        r.pop("ResponseMetadata", None)
    except botocore.exceptions.ClientError as e:
        r = {"Error": e.response["Error"]["Code"], "Message": e.response["Error"]["Message"]}
    print(json.dumps(r, default=conv))
PY
}
Q60='{"Id":"m1","MetricStat":{"Metric":{"Namespace":"App/Shop","MetricName":"Latency","Dimensions":[{"Name":"Svc","Value":"cart"}]},"Period":60,"Stat":"Sum"}}'
mapfile -t R < <(boto "[
 [\"get_metric_statistics\", {\"Namespace\":\"App/Shop\",\"MetricName\":\"Latency\",\"Dimensions\":[{\"Name\":\"Svc\",\"Value\":\"cart\"}],\"StartTime\":$((T0 - T0 % 300)),\"EndTime\":$((T0 - T0 % 300 + 600)),\"Period\":600,\"Statistics\":[\"Sum\",\"SampleCount\"]}],
 [\"get_metric_data\", {\"StartTime\":$T0,\"EndTime\":$((T0 + 120)),\"MaxDatapoints\":1,\"MetricDataQueries\":[$Q60]}],
 [\"get_metric_data\", {\"StartTime\":$T0,\"EndTime\":$((T0 + 120)),\"MaxDatapoints\":1,\"NextToken\":\"gmd1.0.1\",\"MetricDataQueries\":[$Q60]}],
 [\"get_metric_data\", {\"StartTime\":$T0,\"EndTime\":$((T0 + 120)),\"NextToken\":\"bogus\",\"MetricDataQueries\":[$Q60]}],
 [\"get_metric_data\", {\"StartTime\":$T0,\"EndTime\":$((T0 + 60)),\"MetricDataQueries\":[{\"Id\":\"e1\",\"Expression\":\"SUM(METRICS())\"}]}],
 [\"get_metric_statistics\", {\"Namespace\":\"App/Shop\",\"MetricName\":\"Latency\",\"StartTime\":$T0,\"EndTime\":$((T0 + 172800)),\"Period\":60,\"Statistics\":[\"Sum\"]}],
 [\"get_metric_statistics\", {\"Namespace\":\"App/Shop\",\"MetricName\":\"Latency\",\"StartTime\":$T0,\"EndTime\":$((T0 + 60)),\"Period\":60,\"ExtendedStatistics\":[\"p99\"]}],
 [\"get_metric_statistics\", {\"Namespace\":\"App/Shop\",\"MetricName\":\"Latency\",\"StartTime\":$T0,\"EndTime\":$((T0 + 60)),\"Period\":60}],
 [\"put_metric_data\", {\"Namespace\":\"App/Shop\",\"MetricData\":[{\"MetricName\":\"X\",\"Value\":1,\"StatisticValues\":{\"SampleCount\":1,\"Sum\":1,\"Minimum\":1,\"Maximum\":1}}]}],
 [\"put_metric_data\", {\"Namespace\":\"App/Shop\",\"MetricData\":[{\"MetricName\":\"X\",\"Value\":1,\"Unit\":\"Furlongs\"}]}],
 [\"put_metric_data\", {\"Namespace\":\"App/Big\",\"MetricData\":$(jq -cn --argjson t "$T0" '[range(300) | {MetricName: "B", Timestamp: ($t + 60), Value: ., Dimensions: [{Name: "Padding", Value: "xxxxxxxxxxxxxxxxxxxxxxxx"}]}]')}],
 [\"get_metric_statistics\", {\"Namespace\":\"App/Big\",\"MetricName\":\"B\",\"Dimensions\":[{\"Name\":\"Padding\",\"Value\":\"xxxxxxxxxxxxxxxxxxxxxxxx\"}],\"StartTime\":$T0,\"EndTime\":$((T0 + 120)),\"Period\":60,\"Statistics\":[\"Sum\",\"SampleCount\"]}]
]")
is "$(jq -c '[.Datapoints[] | [.SampleCount, .Sum]]' <<<"${R[0]}")" '[[6,140]]' \
  "GetMetricStatistics over a 600 s period merges the points"
is "$(jq -c '[.MetricDataResults[0].Values, .MetricDataResults[0].StatusCode, .NextToken]' <<<"${R[1]}")" \
  '[[100],"PartialData","gmd1.0.1"]' "GetMetricData: MaxDatapoints 1 gives the newest point and a NextToken"
is "$(jq -c '.MetricDataResults[0].Values' <<<"${R[2]}")" '[40]' "GetMetricData: the NextToken gives the rest"
is "$(jq -r .Error <<<"${R[3]}")" InvalidNextToken "GetMetricData: a bad NextToken is InvalidNextToken"
like "${R[4]}" '"InvalidParameterValue".*expressions are not supported' "GetMetricData: an Expression is refused clearly"
like "${R[5]}" '"InvalidParameterCombination".*exceeds the limit of 1440' "GetMetricStatistics: more than 1,440 points refused"
like "${R[6]}" '"InvalidParameterValue".*percentile' "ExtendedStatistics refused clearly"
like "${R[7]}" '"InvalidParameterCombination"' "GetMetricStatistics without Statistics is refused"
like "${R[8]}" '"InvalidParameterCombination".*mutually exclusive' "PutMetricData: Value and StatisticValues together refused"
like "${R[9]}" '"InvalidParameterValue".*Unit' "PutMetricData: an unknown Unit refused"
is "$(jq -c '[.Datapoints[] | [.SampleCount, .Sum]]' <<<"${R[11]}")" '[[300,44850]]' \
  "PutMetricData of 300 values, gzipped by botocore (Content-Encoding: gzip), all stored"
like "$(cw_err put-metric-data --namespace AWS/RDS --metric-name X --value 1)" \
  "InvalidParameterValue.*Namespace" "PutMetricData into AWS/* is refused (aws CLI)"
out=$(cw get-metric-data --start-time "$(iso $T0)" --end-time "$(iso $((T0 + 120)))" \
  --scan-by TimestampAscending --metric-data-queries \
  '[{"Id":"m1","Label":"cart p","MetricStat":{"Metric":{"Namespace":"App/Shop","MetricName":"Latency","Dimensions":[{"Name":"Svc","Value":"cart"}]},"Period":60,"Stat":"Maximum"}}]')
is "$(jq -c '.MetricDataResults[0] | [.Id, .Label, .Values, .StatusCode]' <<<"$out")" \
  '["m1","cart p",[30,50],"Complete"]' "GetMetricData: a MetricStat query, ascending (aws CLI)"
out=$(cw list-metrics --namespace App/Shop --dimensions Name=Svc,Value=cart)
is "$(jq -c '[.Metrics[] | [.MetricName, .Dimensions]]' <<<"$out")" '[["Latency",[{"Name":"Svc","Value":"cart"}]]]' \
  "ListMetrics with a dimension filter"

# Query: form body, XML reply; an error with the Query code.
out=$(SERVICE=monitoring scurl -s -m 10 --data-binary \
  "Action=GetMetricStatistics&Version=2010-08-01&Namespace=App%2FShop&MetricName=Latency&Dimensions.member.1.Name=Svc&Dimensions.member.1.Value=cart&StartTime=$(iso $T0)&EndTime=$(iso $((T0 + 60)))&Period=60&Statistics.member.1=Maximum" "$API")
like "$out" "<GetMetricStatisticsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">.*<Maximum>30</Maximum>" \
  "Query: GetMetricStatistics answers in CloudWatch's XML"
out=$(SERVICE=monitoring scurl -s -m 10 --data-binary "Action=ListMetrics&Version=2010-08-01&RecentlyActive=PT2H" "$API")
like "$out" "<Code>InvalidParameterValue</Code>" "Query: an error in <ErrorResponse>"
out=$(scurl -s -m 10 --data-binary "Action=ListMetrics&Version=2010-08-01" "$API")
like "$out" "SignatureDoesNotMatch.*monitoring" "a request signed for another service than monitoring is refused"

# CBOR: rpc-v2-cbor with a body built here (a small encoder, no library).
cbor() {
  python3 -c '
import struct, sys, json
def h(major, n):
    if n < 24: return bytes([major << 5 | n])
    for ai, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)): return bytes([major << 5 | ai]) + struct.pack(fmt, n)
def enc(v):
    if isinstance(v, dict) and "$t" in v: return b"\xc1" + enc(v["$t"])
    if isinstance(v, bool): return b"\xf5" if v else b"\xf4"
    if isinstance(v, int): return h(0, v) if v >= 0 else h(1, -1 - v)
    if isinstance(v, float): return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, str): b = v.encode(); return h(3, len(b)) + b
    if isinstance(v, list): return h(4, len(v)) + b"".join(enc(x) for x in v)
    return h(5, len(v)) + b"".join(enc(k) + enc(x) for k, x in v.items())
sys.stdout.buffer.write(enc(json.loads(sys.argv[1])))' "$1"
}
# cbor_call OP JSON: status and the reply decoded as a Python literal.
cbor_call() {
  cbor "$2" >"$T_OUT.req"
  SERVICE=monitoring scurl -s -m 10 -o "$T_OUT.rep" -w '%{http_code}' -H 'smithy-protocol: rpc-v2-cbor' \
    -H 'Content-Type: application/cbor' -H 'Accept: application/cbor' --data-binary "@$T_OUT.req" \
    "${API}service/GraniteServiceVersion20100801/operation/$1"
  echo
  python3 -c '
import sys, struct
d = open(sys.argv[1], "rb").read(); p = 0
def arg(ai):
    global p
    if ai < 24: return ai
    n = 1 << (ai - 24); v = int.from_bytes(d[p:p + n], "big"); p += n; return v
def dec():
    global p
    ib = d[p]; p += 1; m, ai = ib >> 5, ib & 31
    if m == 7:
        if ai == 27: v = struct.unpack(">d", d[p:p + 8])[0]; p += 8; return v
        return {20: False, 21: True, 22: None}[ai]
    n = arg(ai)
    if m == 0: return n
    if m == 1: return -1 - n
    if m == 3: s = d[p:p + n].decode(); p += n; return s
    if m == 4: return [dec() for _ in range(n)]
    if m == 5: return {dec(): dec() for _ in range(n)}
    if m == 6: return ("t", dec())
print(dec())' "$T_OUT.rep"
}
out=$(cbor_call PutMetricData "{\"Namespace\":\"App/Cbor\",\"MetricData\":[{\"MetricName\":\"Q\",\"Timestamp\":{\"\$t\":$T0},\"Values\":[1.5,2.5],\"Counts\":[2.0,1.0]}]}")
is "$(head -1 <<<"$out")" 200 "CBOR: PutMetricData with Values/Counts"
out=$(cbor_call GetMetricStatistics "{\"Namespace\":\"App/Cbor\",\"MetricName\":\"Q\",\"StartTime\":{\"\$t\":$T0},\"EndTime\":{\"\$t\":$((T0 + 60))},\"Period\":60,\"Statistics\":[\"Sum\",\"SampleCount\"]}")
like "$(tail -1 <<<"$out")" "'Datapoints': \[\{'Timestamp': \('t', $T0.0\), 'Sum': 5.5, 'SampleCount': 3.0, 'Unit': 'None'\}\]" \
  "CBOR: GetMetricStatistics, timestamps as tag 1"
out=$(cbor_call GetMetricStatistics '{"Namespace":"App/Cbor"}')
like "$out" "^400.*InvalidParameterValueException|^400.*MissingRequiredParameterException" "CBOR: a missing member is a CloudWatch error"
printf '\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f' >"$T_OUT.req"
code=$(SERVICE=monitoring scurl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/cbor' \
  --data-binary "@$T_OUT.req" "${API}service/GraniteServiceVersion20100801/operation/ListMetrics")
is "$code" 400 "CBOR: a hostile body (deep, unterminated) is a 400"
ok "$(api_alive && echo 0 || echo 1)" "the controlplane still answers"

# ---- AWS/RDS metrics from real measurements ------------------------------------

stat_max() { # METRIC: the largest Maximum of cw1's METRIC over the last 10 min
  local e
  e=$(($(rnow) + 60))
  cw get-metric-statistics --namespace AWS/RDS --metric-name "$1" \
    --dimensions Name=DBInstanceIdentifier,Value=cw1 --start-time "$(iso $((e - 600)))" \
    --end-time "$(iso "$e")" --period 60 --statistics Maximum | jq '[.Datapoints[].Maximum] | max // -1'
}
busy() { awk -v v="$(stat_max CPUUtilization)" 'BEGIN { exit !(v > 10) }'; }
diag "waiting for the first AWS/RDS point at ${SECONDS}s"
tick_until busy
diag "first point in at ${SECONDS}s"
ok $? "CPUUtilization rises above 10 % while pgbench runs ($(stat_max CPUUtilization) %)"
# Every metric's largest value over the last 10 minutes, in one process.
e=$(($(rnow) + 60))
calls=""
for m in WriteIOPS DatabaseConnections FreeStorageSpace FreeableMemory TransactionLogsDiskUsage \
  MaximumUsedTransactionIDs ReadIOPS WriteThroughput ReadLatency WriteLatency DiskQueueDepth; do
  calls+="${calls:+,}[\"get_metric_statistics\",{\"Namespace\":\"AWS/RDS\",\"MetricName\":\"$m\",\"Dimensions\":[{\"Name\":\"DBInstanceIdentifier\",\"Value\":\"cw1\"}],\"StartTime\":$((e - 600)),\"EndTime\":$e,\"Period\":60,\"Statistics\":[\"Maximum\"]}]"
done
mapfile -t M < <(boto "[$calls]" | jq '[.Datapoints[].Maximum] | max // -1')
gt() { awk -v v="$1" -v w="$2" 'BEGIN { print !(v > w) }'; }
ok "$(gt "${M[0]}" 1)" "WriteIOPS rises while pgbench runs (${M[0]}/s)"
ok "$(gt "${M[1]}" 6)" "DatabaseConnections counts the open connections (${M[1]}, at least 7 open)"
ok "$(gt "${M[2]}" 0)" "FreeStorageSpace is measured (${M[2]})"
ok "$(gt "${M[3]}" 0)" "FreeableMemory is measured (${M[3]})"
ok "$(gt "${M[4]}" 0)" "TransactionLogsDiskUsage is measured (${M[4]})"
ok "$(gt "${M[5]}" 0)" "MaximumUsedTransactionIDs is measured (${M[5]})"
ok "$(gt "${M[7]}" 0)" "WriteThroughput is measured (${M[7]} B/s; ReadIOPS ${M[6]}/s)"
# The host disk's (agent/diskstats.h): only when the nodes' directory is on
# a block device that /proc/diskstats lists.
if [ -e "/sys/dev/block/$(stat -c '%Hd:%Ld' "$RDS_HOME")" ]; then
  ok "$(gt "${M[9]}" 0)" "WriteLatency is measured under pgbench's writes (${M[9]} s)"
  ok "$(gt "${M[8]}" -1)" "ReadLatency is published (${M[8]} s; 0 for an interval without reads)"
  ok "$(gt "${M[10]}" 0)" "DiskQueueDepth is measured under load (${M[10]})"
else
  for _ in 1 2 3; do T_N=$((T_N + 1)); echo "ok $T_N # SKIP the nodes' directory is not on a block device"; done
fi
# Network*: the node's own TCP bytes (agent/sockdiag.h). Rate x ~60 s per
# point, summed over the points, holds the COPY's bytes (and pgbench's).
net_bytes() {
  local e
  e=$(($(rnow) + 60))
  cw get-metric-statistics --namespace AWS/RDS --metric-name "$1" \
    --dimensions Name=DBInstanceIdentifier,Value=cw1 --start-time "$(iso $((e - 600)))" \
    --end-time "$(iso "$e")" --period 60 --statistics Sum | jq '[.Datapoints[].Sum] | add // 0 | . * 60 | floor'
}
net_in() { [ "$(net_bytes NetworkReceiveThroughput)" -ge $((COPY_BYTES * 8 / 10)) ]; }
poll 90 net_in
ok $? "NetworkReceiveThroughput holds the client's 8 MB COPY ($(net_bytes NetworkReceiveThroughput) bytes over the points)"
ok "$(gt "$(net_bytes NetworkTransmitThroughput)" 0)" "NetworkTransmitThroughput is measured ($(net_bytes NetworkTransmitThroughput) bytes)"
kill "$PGB" 2>/dev/null
out=$(cw list-metrics --namespace AWS/RDS --metric-name CPUUtilization)
is "$(jq -c '[.Metrics[] | .Dimensions[0].Name // "none"] | sort' <<<"$out")" \
  '["DBInstanceIdentifier","DatabaseClass","EngineName","none"]' \
  "ListMetrics: CPUUtilization by instance, class, engine and overall"

# ---- resolutions and retention on the region clock -------------------------

rdsctl clock advance 16d >/dev/null
gone60() {
  cw_err get-metric-statistics --namespace App/Shop --metric-name Latency --dimensions Name=Svc,Value=cart \
    --start-time "$(iso $T0)" --end-time "$(iso $((T0 + 120)))" --period 60 --statistics Sum |
    grep -q "multiple of 300"
}
ok "$(gone60 && echo 0 || echo 1)" "16 days later: 60 s points are past retention, a 60 s period is refused"
sum300() {
  cw get-metric-statistics --namespace App/Shop --metric-name Latency --dimensions Name=Svc,Value=cart \
    --start-time "$(iso $((T0 - T0 % 3600)))" --end-time "$(iso $((T0 - T0 % 3600 + 3600)))" \
    --period "$1" --statistics Sum | jq '[.Datapoints[].Sum] | add // 0'
}
is "$(sum300 300)" 140 "the 300 s rollup still holds every value"
rdsctl clock advance 50d >/dev/null
p300() { [ "$(sum300 3600)" = 140 ] && [ "$(SERVICE=monitoring scurl -s -m 10 --data-binary \
  "Action=GetMetricStatistics&Version=2010-08-01&Namespace=App%2FShop&MetricName=Latency&Dimensions.member.1.Name=Svc&Dimensions.member.1.Value=cart&StartTime=$(iso $((T0 - T0 % 3600)))&EndTime=$(iso $((T0 - T0 % 3600 + 3600)))&Period=300&Statistics.member.1=Sum" "$API" | grep -c '<Sum>')" = 0 ]; }
poll 20 p300
ok $? "66 days later: only the 3600 s rollup is left (Sum 140), a 300 s period finds nothing"

region_down
done_testing
