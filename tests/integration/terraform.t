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
# Two root modules, two states, so that what rdsim answers fully is held
# to it while the rest waits on calls not implemented yet (a resource
# whose read fails stops every later plan of its state):
#  - core/: aws_vpc and aws_subnets data sources, aws_kms_key,
#    aws_security_group, a Multi-AZ aws_db_instance with engine_version and
#    db_name; changed in place: class and backup retention. Must pass.
#  - rest/: aws_db_parameter_group, aws_db_subnet_group, a Single-AZ
#    aws_db_instance without engine_version and db_name (parameter group,
#    subnet group, core's security group and KMS key, retention, tags),
#    aws_db_snapshot of core's instance, aws_sns_topic + aws_sqs_queue +
#    subscription, aws_db_event_subscription; changed in place: a
#    parameter. Each check names the call it waits on as a TAP TODO
#    (MISSING below); a TODO that passes is the sign to remove it.
#
# The provider comes from a local filesystem mirror (no network): the
# first of $TF_PROVIDER_MIRROR, /opt/tf-plugins, ~/.terraform.d/plugins,
# /usr/share/terraform/plugins that holds hashicorp/aws. Without terraform
# or the provider the test says so and skips. TF_LOG=debug keeps the
# provider's log of every call in $RDS_HOME/tf/*/RUN.log (with
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
mkdir -p "$TFDIR/core" "$TFDIR/rest"
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
for stage in core rest; do
  cat >"$TFDIR/$stage/provider.tf" <<EOT
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
done

cat >"$TFDIR/core/main.tf" <<'EOT'
variable "class" { default = "db.t3.micro" }
variable "retention" { default = 1 }

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

output "sg" { value = aws_security_group.db.id }
output "kms" { value = aws_kms_key.db.arn }
output "subnets" { value = data.aws_subnets.default.ids }
EOT

cat >"$TFDIR/rest/main.tf" <<'EOT'
variable "sg" {}
variable "kms" {}
variable "subnets" { type = list(string) }
variable "work_mem" { default = "4096" }

resource "aws_db_subnet_group" "db" {
  name       = "tf-subnets"
  subnet_ids = var.subnets
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
  vpc_security_group_ids  = [var.sg]
  storage_encrypted       = true
  kms_key_id              = var.kms
  backup_retention_period = 1
  apply_immediately       = true
  skip_final_snapshot     = true
  tags                    = { team = "db" }
}

resource "aws_db_snapshot" "multi" {
  db_instance_identifier = "tf-multi"
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
  source_ids       = ["tf-multi"]
  event_categories = ["failover", "availability"]
  tags             = { team = "db" }
}
EOT

# tf STAGE RUN ARGS...: terraform in a stage's directory; its output in
# STAGE/RUN.out (and the provider's debug log in RUN.log when TF_LOG is
# set). Returns terraform's exit status.
tf() {
  local stage=$1 name=$2; shift 2
  (cd "$TFDIR/$stage" && TF_LOG_PATH=${TF_LOG:+$TFDIR/$stage/$name.log} \
    terraform "$@" -no-color) >"$TFDIR/$stage/$name.out" 2>&1
}

# tfout NAME: an output of the core stage.
tfout() { (cd "$TFDIR/core" && TF_LOG= terraform output -raw "$1" 2>/dev/null); }

# Terraform's errors in a run's output, one line each, for the TAP log.
tf_errors() {
  grep -E '^(│ )?Error: ' "$TFDIR/$1/$2.out" | sed 's/^│ //' | cut -c1-400 |
    sort -u | head -20 | sed 's/^/#   /'
}

# Timings terraform printed ("aws_x.y: Creation complete after 1m22s").
tf_timings() {
  grep -E ': (Creation|Modifications|Destruction) complete after' "$TFDIR/$1/$2.out" |
    sed -E 's/ \[id=[^]]*\]//; s/^/# timing: /'
}

# What a plan would change, for the TAP log.
tf_plan_diff() {
  grep -E '^  # |^Error: ' "$TFDIR/$1/$2.out" | cut -c1-300 | head -20 | sed 's/^/#   /'
}

# Which resource waits on which call rdsim does not answer yet (other
# engineers' work on issue 14, h14api and the SNS/SQS owners).
declare -A MISSING=(
  [aws_db_subnet_group.db]="rds ListTagsForResource on subgrp ARNs"
  [aws_db_parameter_group.db]="rds ListTagsForResource on pg ARNs"
  [aws_db_instance.single]="rds ListTagsForResource on pg/subgrp ARNs; CreateDBInstance with EngineVersion= DBName= empty"
  [aws_db_snapshot.multi]="rds DescribeDBSnapshotAttributes"
  [aws_sns_topic.events]="sns SetTopicAttributes; GetTopicAttributes without Policy"
  [aws_sqs_queue.events]="sqs CreateQueue (JSON) with Attributes and tags maps"
  [aws_sns_topic_subscription.events]="sqs queue (above); sns GetSubscriptionAttributes"
  [aws_db_event_subscription.events]="sns topic (above); rds ListTagsForResource on es ARNs"
)
REST_TODO="missing: ${MISSING[aws_db_parameter_group.db]}, ${MISSING[aws_db_snapshot.multi]}, ${MISSING[aws_sns_topic.events]}, ${MISSING[aws_sqs_queue.events]}"
CORE="data.aws_vpc.default data.aws_subnets.default aws_kms_key.db aws_security_group.db
  aws_db_instance.multi"
REST="aws_db_subnet_group.db aws_db_parameter_group.db aws_db_instance.single
  aws_db_snapshot.multi aws_sns_topic.events aws_sqs_queue.events
  aws_sns_topic_subscription.events aws_db_event_subscription.events"

# resource_ok STAGE RUN ADDRESS WHAT: terraform reported the resource
# complete in that run (a resource whose read failed is in the state,
# tainted: the state alone proves nothing); a TODO naming the missing call
# when one is known for it.
resource_ok() {
  local stage=$1 run=$2 addr=$3 what=$4
  local T_TODO=${MISSING[$addr]:+missing: ${MISSING[$addr]}}
  grep -qE "^${addr//./\\.}: (Creation|Read|Destruction) complete" "$TFDIR/$stage/$run.out"
  ok $? "$what: $addr"
}

# run_apply STAGE RUN DESCRIPTION [ARGS]: an apply, its timings and errors.
run_apply() {
  local stage=$1 run=$2 desc=$3 rc t0; shift 3
  t0=$(now_s)
  tf "$stage" "$run" apply -auto-approve "$@"
  rc=$?
  diag "$stage $run took $(elapsed "$t0" "$(now_s)") s"
  tf_timings "$stage" "$run"
  [ $rc -eq 0 ] || tf_errors "$stage" "$run"
  ok $rc "$desc"
}

# plan_clean STAGE RUN DESCRIPTION [ARGS]: a plan with nothing to do
# (-detailed-exitcode: 0 clean, 2 changes, 1 error).
plan_clean() {
  local stage=$1 run=$2 desc=$3 rc; shift 3
  tf "$stage" "$run" plan -detailed-exitcode "$@"
  rc=$?
  [ $rc -eq 0 ] || tf_plan_diff "$stage" "$run"
  is "$rc" 0 "$desc"
}

# ---- core: what rdsim answers fully ---------------------------------------

check "terraform init (core) from the local mirror" tf core init init
check "terraform init (rest)" tf rest init init

run_apply core apply "core: terraform apply"
for r in $CORE; do resource_ok core apply "$r" "created"; done
out=$(rdsctl describe-db-instances --db-instance-identifier tf-multi)
is "$(jqs "$out" '.DBInstances[0].MultiAZ')" true "tf-multi is Multi-AZ in rdsim"
is "$(jqs "$out" '.DBInstances[0].DBName')" app "... with its db_name"
is "$(jqs "$out" '.DBInstances[0].VpcSecurityGroups[0].VpcSecurityGroupId')" \
  "$(tfout sg)" "... in the security group"
is "$(jqs "$out" '[.DBInstances[0].TagList[] | "\(.Key)=\(.Value)"] | sort | join(",")')" \
  "az=multi,team=db" "... with its tags"
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
is "$(jqs "$out" '[.NetworkInterfaces[] | .Description + " " + .RequesterId] | join(",")')" \
  "RDSNetworkInterface amazon-rds" "the instance's network interface carries the group"

plan_clean core plan1 "core: plan after apply shows no changes"

run_apply core apply2 "core: terraform apply of class and retention" \
  -var class=db.t3.small -var retention=3
out=$(rdsctl describe-db-instances --db-instance-identifier tf-multi)
is "$(jqs "$out" '.DBInstances[0].DBInstanceClass')" db.t3.small "tf-multi is db.t3.small"
is "$(jqs "$out" '.DBInstances[0].BackupRetentionPeriod')" 3 "... with retention 3"
check "... changed in place, not replaced" \
  grep -q '^aws_db_instance.multi: Modifications complete' "$TFDIR/core/apply2.out"
plan_clean core plan2 "core: plan after the change shows no changes" \
  -var class=db.t3.small -var retention=3

# ---- rest: what waits on calls not implemented yet --------------------------

REST_VARS=(-var "sg=$sg" -var "kms=$kms_arn"
  -var "subnets=$(cd "$TFDIR/core" && TF_LOG= terraform output -json subnets 2>/dev/null)")
T_TODO=$REST_TODO run_apply rest apply "rest: terraform apply" "${REST_VARS[@]}"
for r in $REST; do resource_ok rest apply "$r" "created"; done
T_TODO=$REST_TODO plan_clean rest plan1 "rest: plan after apply shows no changes" "${REST_VARS[@]}"
T_TODO=$REST_TODO run_apply rest apply2 "rest: terraform apply of a parameter (work_mem)" \
  "${REST_VARS[@]}" -var work_mem=8192
v=$(rdsctl describe-db-parameters --db-parameter-group-name tf-pg15 --source user 2>/dev/null |
  jq -r '.Parameters[] | select(.ParameterName == "work_mem") | .ParameterValue')
T_TODO=$REST_TODO is "$v" 8192 "work_mem is 8192 in tf-pg15"
T_TODO=$REST_TODO plan_clean rest plan2 "rest: plan after the change shows no changes" \
  "${REST_VARS[@]}" -var work_mem=8192

if ! T_TODO=$REST_TODO run_apply rest destroy "rest: terraform destroy" -destroy \
  "${REST_VARS[@]}" -var work_mem=8192; then
  # What a failed read left behind is removed without reading it again,
  # so the region ends empty whatever is missing.
  tf rest cleanup destroy -auto-approve -refresh=false "${REST_VARS[@]}" -var work_mem=8192
  diag "rest: destroy -refresh=false (cleanup) exit $?"
fi

# ---- core: destroy -------------------------------------------------------

run_apply core destroy "core: terraform destroy" -destroy -var class=db.t3.small -var retention=3
for r in $CORE; do
  [[ $r == data.* ]] || resource_ok core destroy "$r" "destroyed"
done
is "$(cd "$TFDIR/core" && TF_LOG= terraform state list 2>/dev/null | wc -l)" 0 "core: the state is empty"
is "$(instance_ids)" "" "no instance left in rdsim"
is "$(SERVICE=ec2 aws --endpoint-url "$API" --output json ec2 describe-security-groups \
  --filters Name=group-name,Values=tf-db | jq '.SecurityGroups | length')" 0 \
  "no tf-db security group left"
is "$(SERVICE=kms scurl -s -H 'X-Amz-Target: TrentService.DescribeKey' \
  -H 'Content-Type: application/x-amz-json-1.1' \
  --data-binary "{\"KeyId\":\"$kms_arn\"}" "$API" | jq -r .KeyMetadata.KeyState)" \
  PendingDeletion "the KMS key is pending deletion (7 days)"

done_testing
