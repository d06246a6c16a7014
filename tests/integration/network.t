#!/usr/bin/env bash
# Network settings (issue 6) against a real region: EC2 security groups and
# subnets through `rdsctl ec2` and the real `aws ec2`, DB subnet groups and
# their rules, placement of a node in a subnet group's subnet, a security
# group rule that really refuses a client address (a client bound to a
# source address, tests/integration/pgsource.py; in namespace mode on the
# clients' host, lib.sh from_addr) and allows it
# after authorize — by a reload, the postmaster's pid unchanged — and the
# PubliclyAccessible name appearing and disappearing in the DNS zone.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

PYTHON=$(command -v /usr/bin/python3 || command -v python3)
VPC=vpc-00000000000000001
DEFAULT_SG=sg-00000000000000001

region_up || bail "the region did not start"
ok 0 "region up (API $RDS_API_PORT, DNS $RDS_DNS_PORT, nodes $NODE_NET, ${RDS_NETMODE:-loopback})"

# code_of CMD...: the AWS error code a failing command printed.
code_of() { "$@" 2>&1 >/dev/null | sed -n 's/.*An error occurred (\([^)]*\)).*/\1/p'; }
# from SOURCE: what the instance's node says to a client from SOURCE.
from() { from_addr "$1" "$PYTHON" "$ROOT/tests/integration/pgsource.py" "$1" "$NODE" 5432 "$T_USER" postgres; }
allowed_from() { [ "$(from "$1")" = allowed ]; }
refused_from() { [[ $(from "$1") == "refused: no pg_hba.conf entry"* ]]; }
have_aws() { command -v aws >/dev/null; }
if have_aws; then
  # The aws CLI signs with the region's credentials (region.env, lib.sh).
  export AWS_PAGER=
fi
awsec2() { aws --endpoint-url "$API" --output json ec2 "$@"; }

# ---- the VPC: default group, default subnets -----------------------------------

out=$(rdsctl ec2 describe-security-groups --group-ids "$DEFAULT_SG")
is "$(jqs "$out" '.SecurityGroups[0].GroupName + " " + .SecurityGroups[0].IpPermissions[0].IpRanges[0].CidrIp')" \
  "default $VPC_CIDR" "the VPC's default group allows the VPC ($VPC_CIDR)"
out=$(rdsctl ec2 describe-subnets)
is "$(jqs "$out" '[.Subnets[] | select(.DefaultForAz) | .AvailabilityZone + "=" + .CidrBlock] | join(" ")')" \
  "us-east-1a=$NODE_NET.1.0/24 us-east-1b=$NODE_NET.2.0/24 us-east-1c=$NODE_NET.3.0/24" \
  "each AZ has a default subnet: its agent's --addr-base"

# ---- subnets and DB subnet groups ------------------------------------------------

S1=$(rdsctl ec2 create-subnet --availability-zone us-east-1a --cidr-block "$NODE_NET.101.0/24" |
  jq -r .Subnet.SubnetId)
S2=$(rdsctl ec2 create-subnet --availability-zone us-east-1b --cidr-block "$NODE_NET.102.0/24" \
  --vpc-id "$VPC" | jq -r .Subnet.SubnetId)
like "$S1 $S2" '^subnet-[0-9a-f]{17} subnet-[0-9a-f]{17}$' "two subnets created"
is "$(code_of rdsctl ec2 create-subnet --availability-zone us-east-1b --cidr-block "$NODE_NET.102.128/25")" \
  InvalidSubnet.Conflict "an overlapping subnet is refused"
is "$(code_of rdsctl ec2 create-subnet --availability-zone us-east-1a --cidr-block "$OWN_NET.0.0/20")" \
  InvalidSubnet.Range "a subnet over the region's own $OWN_NET.0.0/24 is refused"
is "$(code_of rdsctl ec2 create-subnet --availability-zone us-east-1a --cidr-block "$NODE_NET.9.1/24")" \
  InvalidParameterValue "a block with host bits is not a subnet"
is "$(code_of rdsctl create-db-subnet-group --db-subnet-group-name one --db-subnet-group-description x \
  --subnet-ids "$S1")" DBSubnetGroupDoesNotCoverEnoughAZs "a group in one AZ is refused"
is "$(code_of rdsctl create-db-subnet-group --db-subnet-group-name bad --db-subnet-group-description x \
  --subnet-ids "$S1" subnet-00000000000000bad)" InvalidSubnet "an unknown subnet is refused"
out=$(rdsctl create-db-subnet-group --db-subnet-group-name Web --db-subnet-group-description "web tier" \
  --subnet-ids "$S1" "$S2")
is "$(jqs "$out" '.DBSubnetGroup.DBSubnetGroupName + " " + ([.DBSubnetGroup.Subnets[].SubnetAvailabilityZone.Name] | join(","))')" \
  "web us-east-1a,us-east-1b" "create-db-subnet-group: stored lowercase, two AZs"
is "$(code_of rdsctl create-db-subnet-group --db-subnet-group-name web --db-subnet-group-description x \
  --subnet-ids "$S1" "$S2")" DBSubnetGroupAlreadyExists "the same name twice is refused"
is "$(rdsctl describe-db-subnet-groups | jq -r '[.DBSubnetGroups[].DBSubnetGroupName] | join(" ")')" \
  "default web" "describe-db-subnet-groups lists default and ours"
is "$(code_of rdsctl describe-db-subnet-groups --db-subnet-group-name nope)" DBSubnetGroupNotFoundFault \
  "an unknown group is not found"
is "$(code_of rdsctl delete-db-subnet-group --db-subnet-group-name default)" \
  InvalidDBSubnetGroupStateFault "the default group cannot be deleted"

# ---- security groups -------------------------------------------------------------

SG=$(rdsctl ec2 create-security-group --group-name clients --description "app clients" | jq -r .GroupId)
like "$SG" '^sg-[0-9a-f]{17}$' "create-security-group"
is "$(code_of rdsctl ec2 create-security-group --group-name clients --description again)" \
  InvalidGroup.Duplicate "a second group of that name is refused"
check "authorize tcp 5432 from $NODE_NET.201.0/24" \
  rdsctl ec2 authorize-security-group-ingress --group-id "$SG" --protocol tcp --port 5432 \
  --cidr "$NODE_NET.201.0/24"
is "$(code_of rdsctl ec2 authorize-security-group-ingress --group-id "$SG" --protocol tcp --port 5432 \
  --cidr "$NODE_NET.201.0/24")" InvalidPermission.Duplicate "the same rule twice is refused"
is "$(code_of rdsctl ec2 authorize-security-group-ingress --group-id "$SG" --protocol tcp --port 5432 \
  --cidr "$NODE_NET.201.0/33")" InvalidParameterValue "a malformed CIDR is refused"
is "$(code_of rdsctl ec2 describe-security-groups --group-ids sg-00000000000000bad)" \
  InvalidGroup.NotFound "an unknown group is not found"

# ---- an instance in the subnet group, behind the security group ----------------

is "$(code_of create_instance nobody --db-subnet-group-name nope)" DBSubnetGroupNotFoundFault \
  "create with an unknown subnet group"
is "$(code_of create_instance nobody --vpc-security-group-ids sg-00000000000000bad)" \
  InvalidParameterValue "create with an unknown security group"
is "$(code_of create_instance nobody --db-subnet-group-name web --availability-zone us-east-1c)" \
  InvalidParameterCombination "create in an AZ the subnet group does not cover"
out=$(create_instance net1 --db-subnet-group-name web --availability-zone us-east-1b \
  --vpc-security-group-ids "$SG")
is "$(jqs "$out" '.DBInstance.DBSubnetGroup.DBSubnetGroupName + " " + (.DBInstance.PubliclyAccessible | tostring)')" \
  "web false" "create: the subnet group shown; not publicly accessible by default in a custom group"
poll 150 status_is net1 available
ok $? "net1 becomes available"
out=$(rdsctl describe-db-instances --db-instance-identifier net1)
is "$(jqs "$out" '.DBInstances[0].VpcSecurityGroups | map(.VpcSecurityGroupId + ":" + .Status) | join(",")')" \
  "$SG:active" "VpcSecurityGroups shown, active"
NODE=$(resolve "$(endpoint_of net1)")
like "$NODE" "^$NODE_RE\\.102\\.[0-9]+$" "the node's address comes from the group's subnet in us-east-1b ($NODE)"
like "$(sql net1 'select 1' 2>&1)" "no pg_hba.conf entry for host \"${ROOT_SRC//./\\.}\"" \
  "psql from $ROOT_SRC (this namespace's source) is refused: $ROOT_SRC is in no rule"
is "$(PGPASSWORD=$T_PASS from_addr "$NODE_NET.201.9" "$PYTHON" "$ROOT/tests/integration/srcproxy.py" "$NODE_NET.201.9" "$NODE" 5432 -- \
  "$PG_BIN/psql" -X -q -At "host=127.0.0.1 port={port} user=$T_USER dbname=postgres" -c 'select 1')" 1 \
  "psql from $NODE_NET.201.9 (inside the rule) connects"
if have_aws; then
  out=$(aws --endpoint-url "$API" --output json rds describe-db-instances --db-instance-identifier net1)
  is "$(jqs "$out" '.DBInstances[0] | .DBSubnetGroup.DBSubnetGroupName + " " + (.DBSubnetGroup.Subnets | length | tostring) + " " + .VpcSecurityGroups[0].Status')" \
    "web 2 active" "aws rds reads DBSubnetGroup and VpcSecurityGroups from the XML"
fi

# ---- the rule really refuses, and allows after authorize, with a reload --------

PID=$(postmaster_pid net1)
check "a client from $NODE_NET.201.9 (inside the rule) gets past pg_hba.conf" allowed_from "$NODE_NET.201.9"
check "a client from $NODE_NET.203.9 (outside every rule) is refused by PostgreSQL" refused_from "$NODE_NET.203.9"
if have_aws; then
  check "aws ec2 authorize-security-group-ingress $NODE_NET.203.0/24" \
    awsec2 authorize-security-group-ingress --group-id "$SG" --protocol tcp --port 5432 \
    --cidr "$NODE_NET.203.0/24"
else
  rdsctl ec2 authorize-security-group-ingress --group-id "$SG" --protocol tcp --port 5432 \
    --cidr "$NODE_NET.203.0/24" >/dev/null
  ok $? "authorize $NODE_NET.203.0/24 (no aws CLI here)"
fi
poll 30 allowed_from "$NODE_NET.203.9"
ok $? "after authorize, the client from $NODE_NET.203.9 gets in"
check "revoke $NODE_NET.201.0/24" rdsctl ec2 revoke-security-group-ingress --group-id "$SG" \
  --protocol tcp --port 5432 --cidr "$NODE_NET.201.0/24"
poll 30 refused_from "$NODE_NET.201.9"
ok $? "after revoke, the client from $NODE_NET.201.9 is refused"
is "$(postmaster_pid net1)" "$PID" "no restart: the postmaster's pid is unchanged (reload)"
is "$(status_of net1)" available "the instance stayed available"
rdsctl ec2 authorize-security-group-ingress --group-id "$SG" --protocol tcp --port 6000-6100 \
  --cidr "$NODE_NET.204.0/24" >/dev/null &&
  rdsctl ec2 authorize-security-group-ingress --group-id "$SG" --protocol tcp --port 5432 \
    --cidr "$NODE_NET.205.0/24" >/dev/null
ok $? "authorize 6000-6100 from $NODE_NET.204.0/24, then 5432 from $NODE_NET.205.0/24"
poll 30 allowed_from "$NODE_NET.205.9"
ok $? "the later rule is applied"
check "the rule on another port does not open 5432" refused_from "$NODE_NET.204.9"
out=$(rdsctl modify-db-instance --db-instance-identifier net1 --vpc-security-group-ids "$DEFAULT_SG")
is "$(jqs "$out" '.DBInstance.VpcSecurityGroups[0].VpcSecurityGroupId')" "$DEFAULT_SG" \
  "modify --vpc-security-group-ids: the default group"
poll 30 allowed_from "$NODE_NET.204.9"
ok $? "the default group's VPC rule lets $NODE_NET.204.9 in"

# ---- PubliclyAccessible: a public name, without a restart ----------------------

PUBLIC="net1.public.$(endpoint_of net1 | cut -d. -f2-)"
is "$(dns_rcode "$PUBLIC")" NXDOMAIN "no public name while not publicly accessible"
out=$(rdsctl modify-db-instance --db-instance-identifier net1 --publicly-accessible)
is "$(jqs "$out" '.DBInstance.PubliclyAccessible')" true "modify --publicly-accessible"
poll 10 test "$(resolve "$PUBLIC")" = "$NODE"
ok $? "the public name resolves to the node (dig)"
rdsctl modify-db-instance --db-instance-identifier net1 --no-publicly-accessible >/dev/null
poll 10 test "$(dns_rcode "$PUBLIC")" = NXDOMAIN
ok $? "the public name is gone again"
is "$(postmaster_pid net1)" "$PID" "still the same postmaster"

# ---- Multi-AZ in the subnet group: both nodes in its subnets --------------------

# The listen addresses of an instance's nodes, sorted, one line.
node_addrs() {
  sed -n "s/^listen_addresses = '\(.*\)'/\1/p" "$RDS_HOME"/agents/*/nodes/"$1"-*/data/rdsim.conf 2>/dev/null |
    sort | tr '\n' ' '
}
two_nodes() { [ "$(node_addrs "$1" | wc -w)" = 2 ]; }
create_instance net2 --multi-az --db-subnet-group-name web >/dev/null
ok $? "create a Multi-AZ instance in the subnet group"
poll 150 status_is net2 available && poll 30 two_nodes net2
ok $? "net2 available with a primary and a standby"
like "$(node_addrs net2)" "^$NODE_RE\.101\.[0-9]+ $NODE_RE\.102\.[0-9]+ $" \
  "one node in each of the group's subnets: $(node_addrs net2)"
rdsctl delete-db-instance --db-instance-identifier net2 --skip-final-snapshot >/dev/null
ok $? "delete net2"

# ---- what is in use cannot go ------------------------------------------------------

is "$(code_of rdsctl delete-db-subnet-group --db-subnet-group-name web)" InvalidDBSubnetGroupStateFault \
  "a subnet group in use cannot be deleted"
is "$(code_of rdsctl ec2 delete-subnet --subnet-id "$S2")" DependencyViolation \
  "a subnet in a group cannot be deleted"
rdsctl modify-db-instance --db-instance-identifier net1 --vpc-security-group-ids "$SG" >/dev/null
is "$(code_of rdsctl ec2 delete-security-group --group-id "$SG")" DependencyViolation \
  "a security group in use cannot be deleted"
is "$(code_of rdsctl ec2 delete-security-group --group-id "$DEFAULT_SG")" CannotDelete \
  "the default security group cannot be deleted"
rdsctl delete-db-instance --db-instance-identifier net1 --skip-final-snapshot >/dev/null
poll 60 status_is net1 gone && poll 60 status_is net2 gone
ok $? "net1 and net2 deleted"
check "then the subnet group goes" rdsctl delete-db-subnet-group --db-subnet-group-name web
check "then the security group goes" rdsctl ec2 delete-security-group --group-id "$SG"
check "then the subnets go" rdsctl ec2 delete-subnet --subnet-id "$S1"
if have_aws; then
  is "$(code_of awsec2 delete-security-group --group-id "$DEFAULT_SG")" CannotDelete \
    "aws ec2 reads our EC2 error document"
  is "$(awsec2 describe-subnets --subnet-ids "$S2" | jq -r '.Subnets[0].CidrBlock')" "$NODE_NET.102.0/24" \
    "aws ec2 describe-subnets reads our XML"
fi

done_testing
