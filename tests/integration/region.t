#!/usr/bin/env bash
# The user path of issue 2 through rdsctl, against a real region: create
# an instance, reach it through its DNS endpoint with psql, run a second
# one on the same port, reboot, modify, refuse a protected delete, read
# the events, delete, and leave nothing behind. Also measures
# create-to-available (median of 5) and delete-to-gone for the closing
# note (TAP diagnostics; nothing asserts a wall-clock time).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

region_up || bail "the region did not start"
ok 0 "region up (API $RDS_API_PORT, DNS $RDS_DNS_PORT, nodes $NODE_NET.n.x)"

# ---- create, exactly as the issue types it ---------------------------------

out=$(rdsctl create-db-instance --db-instance-identifier shop \
  --engine postgres --db-instance-class db.t3.micro \
  --master-username app --master-user-password 's3cret-pass' --allocated-storage 20)
ok $? "create-db-instance shop"
is "$(jqs "$out" .DBInstance.DBInstanceStatus)" creating "the create answer says creating"
is "$(jqs "$out" '.DBInstance.Endpoint // "none"')" none "no endpoint while creating (as RDS)"

poll 60 status_is shop available
ok $? "shop becomes available"
check "rdsctl wait db-instance-available returns at once" \
  timeout 20 "$ROOT/bin/rdsctl" wait db-instance-available --db-instance-identifier shop

d=$(rdsctl describe-db-instances --db-instance-identifier shop)
is "$(jqs "$d" '.DBInstances | length')" 1 "describe shows one instance"
is "$(jqs "$d" '.DBInstances[0].DBInstanceStatus')" available "status available"
ep=$(jqs "$d" '.DBInstances[0].Endpoint.Address')
like "$ep" '^shop\.[a-z0-9]+\.us-east-1\.rds\.internal$' "Endpoint.Address is the instance's DNS name"
is "$(jqs "$d" '.DBInstances[0].Endpoint.Port')" 5432 "Endpoint.Port 5432"
like "$(jqs "$d" '.DBInstances[0].AvailabilityZone')" '^us-east-1[abc]$' "AvailabilityZone set"
is "$(jqs "$d" '.DBInstances[0].DBInstanceClass')" db.t3.micro "class db.t3.micro"
is "$(jqs "$d" '.DBInstances[0].MasterUsername')" app "MasterUsername app"

# ---- DNS: endpoint CNAME (TTL 5) -> node name -> A 127.N.x.y ---------------

ans=$(dig +noall +answer +time=2 @127.0.0.1 -p "$RDS_DNS_PORT" "$ep")
cname_line=$(awk '$4 == "CNAME"' <<<"$ans")
a_line=$(awk '$4 == "A"' <<<"$ans")
is "$(awk '{print $1}' <<<"$cname_line")" "$ep." "the answer starts with the endpoint's CNAME"
is "$(awk '{print $2}' <<<"$cname_line")" 5 "the CNAME's TTL is 5 s"
node=$(awk '{print $5}' <<<"$cname_line")
like "$node" "^ip-$NODE_DASH-[0-9]+-[0-9]+\.us-east-1[abc]\.us-east-1\.rds\.internal\.\$" \
  "the CNAME points at the node name"
is "$(awk '{print $1}' <<<"$a_line")" "$node" "the node name has the A record"
addr1=$(awk '{print $5}' <<<"$a_line")
like "$addr1" "^$NODE_RE\.[0-9]+\.[0-9]+\$" "the A record is the node's $NODE_NET address"
is "$(resolve "$ep")" "$addr1" "resolve follows the chain to that address"

# ---- psql through the resolved address -------------------------------------

check "psql creates a table" psql_at "$addr1" "CREATE TABLE orders (id int PRIMARY KEY, item text)"
check "psql inserts a row" psql_at "$addr1" "INSERT INTO orders VALUES (1, 'book')"
is "$(psql_at "$addr1" "SELECT item FROM orders WHERE id = 1")" book "psql reads the row back"
is "$(psql_at "$addr1" "SELECT current_user")" app "the master user is the login"
is "$(psql_at "$addr1" "SELECT setting FROM pg_settings WHERE name = 'port'")" 5432 \
  "the server listens on 5432"
psql_at "$addr1" "SELECT 1" postgres wrong-password >"$T_OUT" 2>&1
rc=$?
isnt "$rc" 0 "a wrong password is refused"
like "$(cat "$T_OUT")" "password authentication failed" "... by password authentication"

# ---- a second instance on the same port, with its own database -------------

out=$(create_instance shop2 --db-name orders)
ok $? "create-db-instance shop2 --db-name orders"
is "$(jqs "$out" .DBInstance.DBName)" orders "DBName orders in the answer"
# Meanwhile, one placed in a chosen AZ (AZ n's hosts are 127.N.n.x).
out=$(create_instance pinned --availability-zone us-east-1c)
is "$(jqs "$out" .DBInstance.AvailabilityZone)" us-east-1c "create --availability-zone us-east-1c"
poll 60 status_is shop2 available
ok $? "shop2 becomes available"
poll 60 status_is pinned available
ok $? "pinned becomes available"
is "$(rdsctl describe-db-instances --db-instance-identifier pinned |
  jq -r '.DBInstances[0].AvailabilityZone')" us-east-1c "pinned stays in us-east-1c"
like "$(resolve "$(endpoint_of pinned)")" "^$NODE_RE\.3\.[0-9]+\$" "pinned's address is in AZ c's range"
d2=$(rdsctl describe-db-instances --db-instance-identifier shop2)
ep2=$(jqs "$d2" '.DBInstances[0].Endpoint.Address')
is "$(jqs "$d2" '.DBInstances[0].Endpoint.Port')" 5432 "shop2 also on port 5432"
addr2=$(resolve "$ep2")
like "$addr2" "^$NODE_RE\.[0-9]+\.[0-9]+\$" "shop2's endpoint resolves"
isnt "$addr2" "$addr1" "shop2 has its own address"
is "$(psql_at "$addr2" "SELECT current_database()" orders)" orders "the orders database exists on shop2"
is "$(psql_at "$addr2" "SELECT count(*) FROM pg_tables WHERE tablename = 'orders'")" 0 \
  "shop2 is another server (no orders table)"
is "$(psql_at "$addr1" "SELECT count(*) FROM orders")" 1 "shop is still reachable beside it"
is "$(instance_ids)" "pinned shop shop2" "describe-db-instances lists all three"

# ---- other output formats --------------------------------------------------

txt=$(rdsctl --output text describe-db-instances --db-instance-identifier shop)
like "$txt" $'(^|\n)DBINSTANCES\t[^\n]*\tshop\tavailable\t' "--output text: a DBINSTANCES row"
like "$txt" $'(^|\n)ENDPOINT\t'"${ep//./\\.}"$'\t' "--output text: an ENDPOINT row"
tbl=$(rdsctl --output table describe-db-instances --db-instance-identifier shop)
like "$tbl" 'DescribeDBInstances' "--output table: the title"
like "$tbl" '\|\|  DBInstanceStatus +\|  available +\|\|' "--output table: the status row"

# ---- reboot ----------------------------------------------------------------

t_before=$(psql_at "$addr1" "SELECT pg_postmaster_start_time()")
pid_before=$(postmaster_pid shop)
out=$(rdsctl reboot-db-instance --db-instance-identifier shop)
ok $? "reboot-db-instance"
is "$(jqs "$out" .DBInstance.DBInstanceStatus)" rebooting "the answer says rebooting"
poll 60 status_is shop available
ok $? "available again after the reboot"
poll 20 psql_at "$addr1" "SELECT 1"
t_after=$(psql_at "$addr1" "SELECT pg_postmaster_start_time()")
isnt "$t_after" "$t_before" "the server really restarted (pg_postmaster_start_time changed)"
isnt "$(postmaster_pid shop)" "$pid_before" "a new postmaster pid"
is "$(psql_at "$addr1" "SELECT item FROM orders WHERE id = 1")" book "rows survive the reboot"

# ---- deletion protection ---------------------------------------------------

out=$(rdsctl modify-db-instance --db-instance-identifier shop --deletion-protection)
is "$(jqs "$out" .DBInstance.DeletionProtection)" true "modify --deletion-protection"
rdsctl delete-db-instance --db-instance-identifier shop --skip-final-snapshot >"$T_OUT" 2>&1
is "$?" 254 "a protected delete fails (exit 254)"
like "$(cat "$T_OUT")" '\(InvalidParameterCombination\).*Cannot delete protected DB Instance, please disable deletion protection and try again\.' \
  "... with InvalidParameterCombination and RDS's message"
is "$(status_of shop)" available "the protected instance is still available"
out=$(rdsctl modify-db-instance --db-instance-identifier shop --no-deletion-protection)
is "$(jqs "$out" .DBInstance.DeletionProtection)" false "modify --no-deletion-protection"

# ---- modify: class (restart), storage, pending ------------------------------

is "$(psql_at "$addr1" "SHOW shared_buffers")" 256MB "db.t3.micro (1 GiB): shared_buffers 256MB"
out=$(rdsctl modify-db-instance --db-instance-identifier shop --db-instance-class db.t3.small \
  --apply-immediately)
ok $? "modify --db-instance-class db.t3.small --apply-immediately"
is "$(jqs "$out" .DBInstance.DBInstanceStatus)" modifying "the answer says modifying"
poll 60 status_is shop available
ok $? "available after the class change"
poll 20 psql_at "$addr1" "SELECT 1"
is "$(psql_at "$addr1" "SHOW shared_buffers")" 512MB "db.t3.small (2 GiB): shared_buffers 512MB"
d=$(rdsctl describe-db-instances --db-instance-identifier shop)
is "$(jqs "$d" '.DBInstances[0].DBInstanceClass')" db.t3.small "describe shows db.t3.small"
is "$(psql_at "$addr1" "SELECT count(*) FROM orders")" 1 "rows survive the class change"

out=$(rdsctl modify-db-instance --db-instance-identifier shop --allocated-storage 30 \
  --apply-immediately)
is "$(jqs "$out" .DBInstance.AllocatedStorage)" 30 "modify --allocated-storage 30 --apply-immediately"
poll 30 status_is shop available
d=$(rdsctl describe-db-instances --db-instance-identifier shop)
is "$(jqs "$d" '.DBInstances[0].AllocatedStorage')" 30 "describe shows 30 GiB"
is "$(jqs "$d" '.DBInstances[0].StorageType')" gp3 "the storage type is still gp3"
out=$(rdsctl modify-db-instance --db-instance-identifier shop --allocated-storage 40 \
  --apply-immediately)
is "$(jqs "$out" '.DBInstance | "\(.AllocatedStorage) \(.StorageType)"')" "40 gp3" \
  "a second storage change: 40 GiB, gp3"

out=$(rdsctl modify-db-instance --db-instance-identifier shop --db-instance-class db.t3.micro)
ok $? "modify --db-instance-class db.t3.micro (no --apply-immediately)"
d=$(rdsctl describe-db-instances --db-instance-identifier shop)
is "$(jqs "$d" '.DBInstances[0].PendingModifiedValues.DBInstanceClass')" db.t3.micro \
  "the class change is pending"
is "$(jqs "$d" '.DBInstances[0].DBInstanceClass')" db.t3.small "the class is unchanged until then"
is "$(jqs "$d" '.DBInstances[0].DBInstanceStatus')" available "still available"

# ---- events ----------------------------------------------------------------

ev=$(rdsctl describe-events --source-type db-instance --source-identifier shop)
ok $? "describe-events for shop"
msgs=$(jqs "$ev" '.Events[].Message')
check "event: DB instance created." has_line "$msgs" "DB instance created."
check "event: DB instance restarted." has_line "$msgs" "DB instance restarted."
like "$msgs" 'instance class' "event: the class modification"
is "$(jqs "$ev" '[.Events[].SourceIdentifier] | unique | join(",")')" shop "only shop's events"
like "$(rdsctl describe-events | jq -r '.Events[].SourceIdentifier' | sort -u | xargs)" \
  '^pinned shop shop2$' "describe-events without a source lists every instance"

# ---- timings: 5 creates one after the other, then 5 deletes ----------------

creates=()
ok_all=0
for i in 1 2 3 4 5; do
  t0=$(now_s)
  create_instance "timing$i" >/dev/null || ok_all=1
  poll 60 status_is "timing$i" available || ok_all=1
  creates+=("$(elapsed "$t0" "$(now_s)")")
done
ok $ok_all "5 instances created one after the other became available"
diag "create_to_available_s=$(median "${creates[@]}") (median of: ${creates[*]})"
deletes=()
ok_all=0
for i in 1 2 3 4 5; do
  t0=$(now_s)
  rdsctl delete-db-instance --db-instance-identifier "timing$i" --skip-final-snapshot \
    >/dev/null || ok_all=1
  poll 60 status_is "timing$i" gone || ok_all=1
  deletes+=("$(elapsed "$t0" "$(now_s)")")
done
ok $ok_all "the 5 instances were deleted"
diag "delete_to_gone_s=$(median "${deletes[@]}") (median of: ${deletes[*]})"

# ---- delete both -----------------------------------------------------------

for id in shop shop2 pinned; do
  out=$(rdsctl delete-db-instance --db-instance-identifier "$id" --skip-final-snapshot)
  is "$(jqs "$out" .DBInstance.DBInstanceStatus)" deleting "delete $id: the answer says deleting"
done
check "rdsctl wait db-instance-deleted (shop)" \
  timeout 60 "$ROOT/bin/rdsctl" wait db-instance-deleted --db-instance-identifier shop
poll 60 status_is shop2 gone
ok $? "shop2 is gone"
poll 60 status_is pinned gone
ok $? "pinned is gone"
is "$(dns_rcode "$ep")" NXDOMAIN "shop's endpoint: NXDOMAIN"
is "$(dns_rcode "$ep2")" NXDOMAIN "shop2's endpoint: NXDOMAIN"
# The API says "gone" only once the agents have removed the nodes.
is "$(node_dirs)" "" "no node directory left under agents/*/nodes"
is "$(our_postgres | xargs)" "" "no postgres of ours left"
rdsctl describe-db-instances --db-instance-identifier shop >"$T_OUT" 2>&1
is "$?" 254 "describe a deleted instance: exit 254"
like "$(cat "$T_OUT")" '\(DBInstanceNotFound\)' "... DBInstanceNotFound"
is "$(instance_ids)" "" "describe-db-instances lists nothing"

# ---- region down -----------------------------------------------------------

check "region down" region_stop
is "$(region_procs | xargs)" "" "no process of the region is left"
is "$(our_postgres | xargs)" "" "no postgres of ours is left"

done_testing
