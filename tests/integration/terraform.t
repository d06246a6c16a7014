#!/usr/bin/env bash
# The stock Terraform and hashicorp/aws provider against a region (issue
# 14, item 1): every service endpoint pointed at rdsim, the region's own
# credentials, no skip_* setting that a real account would not need.
# Each stage: apply -> plan shows no changes -> an in-place change -> plan
# clean -> destroy. Terraform's own "Creation complete after Ns" lines are
# printed as `# timing:` (the provider's instance waiter waits a minute
# before its first poll and wants `available` three polls running, so an
# instance takes ~80 s whatever rdsim does).
#
# One root module, one state, every resource of issue 14 item 1:
# aws_vpc and aws_subnets data sources, aws_kms_key, aws_security_group,
# a Multi-AZ aws_db_instance with engine_version and db_name, a Single-AZ
# encrypted one without them (the provider sends them empty) in its own
# parameter and subnet groups, aws_db_snapshot of the Multi-AZ instance,
# aws_sns_topic + aws_sqs_queue + aws_sns_topic_subscription (sqs), and
# aws_db_event_subscription; changed in place: class and backup retention
# of the Multi-AZ instance and a parameter (work_mem).
#
# The provider comes from a local filesystem mirror (no network): the
# first of $TF_PROVIDER_MIRROR, /opt/tf-plugins, ~/.terraform.d/plugins,
# /usr/share/terraform/plugins that holds hashicorp/aws. Without terraform
# or the provider the test says so and skips. TF_LOG=debug keeps the
# provider's log of every call in $RDS_HOME/tf/RUN.log (with
# KEEP_RDS_HOME=1).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v terraform >/dev/null; then
  echo "1..0 # SKIP terraform is not on PATH"
  exit 0
fi
TF_MIRROR=
for d in ${TF_PROVIDER_MIRROR:-} /opt/tf-plugins "$HOME/.terraform.d/plugins" \
  /usr/share/terraform/plugins; do
  if compgen -G "$d/registry.terraform.io/hashicorp/aws/*/linux_amd64/terraform-provider-aws_*" \
    >/dev/null; then
    TF_MIRROR=$d
    break
  fi
done
if [ -z "$TF_MIRROR" ]; then
  echo "1..0 # SKIP no hashicorp/aws provider in a local mirror (set TF_PROVIDER_MIRROR)"
  exit 0
fi

region_up || bail "the region did not start"
ok 0 "region up"

TFDIR=$RDS_HOME/tf
mkdir -p "$TFDIR"
cat >"$TFDIR/cli.tfrc" <<EOT
provider_installation {
  filesystem_mirror {
    path    = "$TF_MIRROR"
    include = ["registry.terraform.io/hashicorp/*"]
  }
}
EOT
export TF_CLI_CONFIG_FILE=$TFDIR/cli.tfrc TF_IN_AUTOMATION=1 TF_INPUT=0
export CHECKPOINT_DISABLE=1
unset TF_LOG_PATH

# The provider: every service rdsim serves, on its one endpoint; the
# region's credentials file and profile. The one skip_* is the instance
# metadata service, which this machine does not have (no account matter).
cat >"$TFDIR/provider.tf" <<EOT
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region                   = "$RDS_REGION"
  shared_credentials_files = ["$AWS_SHARED_CREDENTIALS_FILE"]
  shared_config_files      = ["$AWS_CONFIG_FILE"]
  profile                  = "rdsim"
  skip_metadata_api_check  = true
  endpoints {
    rds            = "$API"
    ec2            = "$API"
    kms            = "$API"
    sns            = "$API"
    sqs            = "$API"
    sts            = "$API"
    iam            = "$API"
    secretsmanager = "$API"
  }
}
EOT

cat >"$TFDIR/main.tf" <<'EOT'
variable "class" { default = "db.t3.micro" }
variable "retention" { default = 1 }
variable "work_mem" { default = "4096" }

data "aws_vpc" "default" {
  default = true
}

data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
}

resource "aws_kms_key" "db" {
  description             = "rdsim terraform test"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  tags                    = { team = "db" }
}

resource "aws_security_group" "db" {
  name        = "tf-db"
  description = "PostgreSQL from the app"
  vpc_id      = data.aws_vpc.default.id
  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["127.0.0.0/8"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
  tags = { team = "db" }
}

# Multi-AZ, with engine_version and db_name, the default parameter and
# subnet groups.
resource "aws_db_instance" "multi" {
  identifier              = "tf-multi"
  engine                  = "postgres"
  engine_version          = "15"
  db_name                 = "app"
  instance_class          = var.class
  allocated_storage       = 20
  username                = "app"
  password                = "s3cret-pass"
  multi_az                = true
  vpc_security_group_ids  = [aws_security_group.db.id]
  backup_retention_period = var.retention
  apply_immediately       = true
  skip_final_snapshot     = true
  tags                    = { team = "db", az = "multi" }
}

resource "aws_db_subnet_group" "db" {
  name       = "tf-subnets"
  subnet_ids = data.aws_subnets.default.ids
  tags       = { team = "db" }
}

resource "aws_db_parameter_group" "db" {
  name   = "tf-pg15"
  family = "postgres15"
  parameter {
    name  = "work_mem"
    value = var.work_mem
  }
  tags = { team = "db" }
}

# Single-AZ, without engine_version and db_name (the provider sends them
# as empty strings), with the parameter group, the subnet group and the
# KMS key.
resource "aws_db_instance" "single" {
  identifier              = "tf-single"
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  allocated_storage       = 20
  username                = "app"
  password                = "s3cret-pass"
  parameter_group_name    = aws_db_parameter_group.db.name
  db_subnet_group_name    = aws_db_subnet_group.db.name
  vpc_security_group_ids  = [aws_security_group.db.id]
  storage_encrypted       = true
  kms_key_id              = aws_kms_key.db.arn
  backup_retention_period = 1
  apply_immediately       = true
  skip_final_snapshot     = true
  tags                    = { team = "db" }
}

resource "aws_db_snapshot" "multi" {
  db_instance_identifier = aws_db_instance.multi.identifier
  db_snapshot_identifier = "tf-multi-snap"
  tags                   = { team = "db" }
}

resource "aws_sns_topic" "events" {
  name = "tf-db-events"
  tags = { team = "db" }
}

resource "aws_sqs_queue" "events" {
  name = "tf-db-events"
  tags = { team = "db" }
}

resource "aws_sns_topic_subscription" "events" {
  topic_arn = aws_sns_topic.events.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.events.arn
}

resource "aws_db_event_subscription" "events" {
  name             = "tf-db-events"
  sns_topic        = aws_sns_topic.events.arn
  source_type      = "db-instance"
  source_ids       = [aws_db_instance.multi.identifier]
  event_categories = ["failover", "availability"]
  tags             = { team = "db" }
}

output "sg" { value = aws_security_group.db.id }
output "kms" { value = aws_kms_key.db.arn }
EOT

# tf RUN ARGS...: terraform in the root module; its output in RUN.out
# (and the provider's debug log in RUN.log when TF_LOG is set). Returns
# terraform's exit status.
tf() {
  local name=$1; shift
  (cd "$TFDIR" && TF_LOG_PATH=${TF_LOG:+$TFDIR/$name.log} \
    terraform "$@" -no-color) >"$TFDIR/$name.out" 2>&1
}

# tfout NAME: an output of the module.
tfout() { (cd "$TFDIR" && TF_LOG= terraform output -raw "$1" 2>/dev/null); }

# Terraform's errors in a run's output, one line each, for the TAP log.
tf_errors() {
  grep -E '^(│ )?Error: ' "$TFDIR/$1.out" | sed 's/^│ //' | cut -c1-400 |
    sort -u | head -20 | sed 's/^/#   /'
}

# Timings terraform printed ("aws_x.y: Creation complete after 1m22s").
tf_timings() {
  grep -E ': (Creation|Modifications|Destruction) complete after' "$TFDIR/$1.out" |
    sed -E 's/ \[id=[^]]*\]//; s/^/# timing: /'
}

# What a plan would change, for the TAP log.
tf_plan_diff() {
  grep -E '^  # |^Error: ' "$TFDIR/$1.out" | cut -c1-300 | head -20 | sed 's/^/#   /'
}

RESOURCES="data.aws_vpc.default data.aws_subnets.default aws_kms_key.db aws_security_group.db
  aws_db_instance.multi aws_db_subnet_group.db aws_db_parameter_group.db aws_db_instance.single
  aws_db_snapshot.multi aws_sns_topic.events aws_sqs_queue.events
  aws_sns_topic_subscription.events aws_db_event_subscription.events"

# resource_ok RUN ADDRESS WHAT: terraform reported the resource complete
# in that run (a resource whose read failed is in the state, tainted: the
# state alone proves nothing).
resource_ok() {
  local run=$1 addr=$2 what=$3
  grep -qE "^${addr//./\\.}: (Creation|Read|Destruction) complete" "$TFDIR/$run.out"
  ok $? "$what: $addr"
}

# run_apply RUN DESCRIPTION [ARGS]: an apply, its timings and errors.
run_apply() {
  local run=$1 desc=$2 rc t0; shift 2
  t0=$(now_s)
  tf "$run" apply -auto-approve "$@"
  rc=$?
  diag "$run took $(elapsed "$t0" "$(now_s)") s"
  tf_timings "$run"
  [ $rc -eq 0 ] || tf_errors "$run"
  ok $rc "$desc"
}

# plan_clean RUN DESCRIPTION [ARGS]: a plan with nothing to do
# (-detailed-exitcode: 0 clean, 2 changes, 1 error).
plan_clean() {
  local run=$1 desc=$2 rc; shift 2
  tf "$run" plan -detailed-exitcode "$@"
  rc=$?
  [ $rc -eq 0 ] || tf_plan_diff "$run"
  is "$rc" 0 "$desc"
}

check "terraform init from the local mirror" tf init init

run_apply apply "terraform apply"
for r in $RESOURCES; do resource_ok apply "$r" "created"; done
out=$(rdsctl describe-db-instances --db-instance-identifier tf-multi)
is "$(jqs "$out" '.DBInstances[0].MultiAZ')" true "tf-multi is Multi-AZ in rdsim"
is "$(jqs "$out" '.DBInstances[0].DBName')" app "... with its db_name"
is "$(jqs "$out" '.DBInstances[0].VpcSecurityGroups[0].VpcSecurityGroupId')" \
  "$(tfout sg)" "... in the security group"
is "$(jqs "$out" '[.DBInstances[0].TagList[] | "\(.Key)=\(.Value)"] | sort | join(",")')" \
  "az=multi,team=db" "... with its tags"
out=$(rdsctl describe-db-instances --db-instance-identifier tf-single)
is "$(jqs "$out" '.DBInstances[0] | [.MultiAZ, .StorageEncrypted, .DBSubnetGroup.DBSubnetGroupName, .DBParameterGroups[0].DBParameterGroupName] | map(tostring) | join(",")')" \
  "false,true,tf-subnets,tf-pg15" "tf-single: Single-AZ, encrypted, in its subnet and parameter groups"
is "$(SERVICE=kms scurl -s -H 'X-Amz-Target: TrentService.GetKeyRotationStatus' \
  -H 'Content-Type: application/x-amz-json-1.1' \
  --data-binary "{\"KeyId\":\"$(tfout kms)\"}" "$API" |
  jq -r .KeyRotationEnabled)" true "the KMS key rotates (enable_key_rotation)"
sg=$(tfout sg)
kms_arn=$(tfout kms)
out=$(aws --endpoint-url "$API" --output json ec2 describe-security-groups --group-ids "$sg" 2>&1)
is "$(jqs "$out" '.SecurityGroups[0].IpPermissionsEgress | map(.IpProtocol + " " + .IpRanges[0].CidrIp) | join(",")')" \
  "-1 0.0.0.0/0" "the group's egress is the configured rule"
out=$(aws --endpoint-url "$API" --output json ec2 describe-network-interfaces \
  --filters "Name=group-id,Values=$sg" 2>&1)
is "$(jqs "$out" '[.NetworkInterfaces[] | .Description + " " + .RequesterId] | unique | join(",")')" \
  "RDSNetworkInterface amazon-rds" "the instances' network interfaces carry the group"
topic=$(aws --endpoint-url "$API" --output json sns list-topics 2>&1 |
  jq -r '.Topics[].TopicArn | select(endswith(":tf-db-events"))')
out=$(aws --endpoint-url "$API" --output json sns list-subscriptions-by-topic --topic-arn "$topic" 2>&1)
is "$(jqs "$out" '.Subscriptions | map(.Protocol + " " + (.Endpoint | split(":") | last)) | join(",")')" \
  "sqs tf-db-events" "the topic's subscription is the queue"
is "$(rdsctl describe-event-subscriptions --subscription-name tf-db-events 2>&1 |
  jq -r '.EventSubscriptionsList[0] | .SnsTopicArn + " " + .Status')" "$topic active" \
  "the event subscription sends to the topic"

plan_clean plan1 "plan after apply shows no changes"

CHANGED=(-var class=db.t3.small -var retention=3 -var work_mem=8192)
run_apply apply2 "terraform apply of class, retention and a parameter (work_mem)" "${CHANGED[@]}"
out=$(rdsctl describe-db-instances --db-instance-identifier tf-multi)
is "$(jqs "$out" '.DBInstances[0].DBInstanceClass')" db.t3.small "tf-multi is db.t3.small"
is "$(jqs "$out" '.DBInstances[0].BackupRetentionPeriod')" 3 "... with retention 3"
check "... changed in place, not replaced" \
  grep -q '^aws_db_instance.multi: Modifications complete' "$TFDIR/apply2.out"
v=$(rdsctl describe-db-parameters --db-parameter-group-name tf-pg15 --source user 2>/dev/null |
  jq -r '.Parameters[] | select(.ParameterName == "work_mem") | .ParameterValue')
is "$v" 8192 "work_mem is 8192 in tf-pg15"
plan_clean plan2 "plan after the change shows no changes" "${CHANGED[@]}"

run_apply destroy "terraform destroy" -destroy "${CHANGED[@]}"
for r in $RESOURCES; do
  [[ $r == data.* ]] || resource_ok destroy "$r" "destroyed"
done
is "$(cd "$TFDIR" && TF_LOG= terraform state list 2>/dev/null | wc -l)" 0 "the state is empty"
is "$(instance_ids)" "" "no instance left in rdsim"
is "$(SERVICE=ec2 aws --endpoint-url "$API" --output json ec2 describe-security-groups \
  --filters Name=group-name,Values=tf-db | jq '.SecurityGroups | length')" 0 \
  "no tf-db security group left"
is "$(SERVICE=kms scurl -s -H 'X-Amz-Target: TrentService.DescribeKey' \
  -H 'Content-Type: application/x-amz-json-1.1' \
  --data-binary "{\"KeyId\":\"$kms_arn\"}" "$API" | jq -r .KeyMetadata.KeyState)" \
  PendingDeletion "the KMS key is pending deletion (7 days)"
is "$(aws --endpoint-url "$API" --output json sns list-topics 2>&1 | jq '.Topics | length')" 0 \
  "no topic left"
# (an empty ListQueues is {}: the CLI prints nothing)
is "$(aws --endpoint-url "$API" --output json sqs list-queues 2>&1 | jq -s '.[0].QueueUrls // [] | length')" 0 \
  "no queue left"

done_testing
