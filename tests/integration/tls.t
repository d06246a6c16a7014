#!/usr/bin/env bash
# TLS on every endpoint (issue 14, item 3): the region's CAs and their
# bundle (a file under RDS_HOME and the same bytes at the documented URL);
# psql sslmode=verify-full with the bundle through the region's DNS on a
# Multi-AZ instance, a failover, verify-full again on the new primary;
# rds.force_ssl: a connection without TLS refused with 1 (the default),
# allowed after setting 0, refused again after 1; a name the certificate
# does not carry refused by verify-full.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

region_up || bail "the region did not start"
ok 0 "region up"

BUNDLE=$RDS_HOME/certs/global-bundle.pem
describe() { rdsctl describe-db-instances --db-instance-identifier "$1" | jq -r ".DBInstances[0]$2"; }

# ---- the CAs and the bundle ---------------------------------------------------

is "$(stat -c %a "$RDS_HOME/controlplane/ca/rds-ca-rsa2048-g1.key")" 600 "the CA key is 0600"
is "$(stat -c %a "$BUNDLE")" 644 "the bundle is readable (0644)"
is "$(grep -c 'BEGIN CERTIFICATE' "$BUNDLE")" 2 "the bundle holds two CA certificates"
subjects=$(openssl crl2pkcs7 -nocrl -certfile "$BUNDLE" | openssl pkcs7 -print_certs -noout | grep subject)
like "$subjects" 'CN ?= ?rds-ca-rsa2048-g1' "one is rds-ca-rsa2048-g1"
like "$subjects" 'CN ?= ?rds-ca-ecc384-g1' "one is rds-ca-ecc384-g1"
curl -s -m 10 -o "$RDS_HOME/fetched.pem" "http://127.0.0.1:$RDS_API_PORT/global/global-bundle.pem"
check "the URL /global/global-bundle.pem serves the same bytes as the file" \
  cmp "$RDS_HOME/fetched.pem" "$BUNDLE"
key_pem=$(cat "$RDS_HOME/controlplane/ca/rds-ca-rsa2048-g1.key")
! grep -qF "${key_pem:40:40}" "$RDS_HOME/fetched.pem"
ok $? "the bundle holds no key material"

# ---- a Multi-AZ instance, verify-full through DNS -----------------------------

out=$(rdsctl create-db-parameter-group --db-parameter-group-name tls-pg \
  --db-parameter-group-family postgres15 --description "tls test")
ok $? "a parameter group with rds.force_ssl at its default"
out=$(create_instance tls1 --multi-az --dns-ttl 1 --db-parameter-group-name tls-pg)
ok $? "create-db-instance --multi-az"
poll 180 status_is tls1 available
ok $? "tls1 becomes available" || bail "no instance: the rest cannot run"
EP=$(endpoint_of tls1)

# vf HOST ADDR SQL: psql verify-full with the bundle; HOST is what the
# certificate must name, ADDR where the region's DNS sent us.
vf() {
  PGPASSWORD=$T_PASS PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -At \
    "host=$1 hostaddr=$2 port=5432 user=$T_USER dbname=postgres sslmode=verify-full sslrootcert=$BUNDLE" \
    -c "$3"
}
# plain ADDR: a connection without TLS.
plain() {
  PGPASSWORD=$T_PASS PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -At \
    "host=$1 port=5432 user=$T_USER dbname=postgres sslmode=disable" -c "SELECT 1"
}
p=$(resolve "$EP")
like "$p" "^$NODE_RE\\." "the endpoint resolves through the region's DNS ($p)"
is "$(vf "$EP" "$p" "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")" t \
  "psql sslmode=verify-full sslrootcert=global-bundle.pem through the endpoint: TLS on"
check "verify-full by the node's address (as the lab and chaos clients dial)" vf "$p" "$p" "SELECT 1"
out=$(vf "tls1.elsewhere.example" "$p" "SELECT 1" 2>&1)
ok $(( $? == 0 )) "verify-full to a name the certificate does not carry is refused"
like "$out" 'does not match host name' "... because the name does not match"
node=$(dig +short -x "$p" @127.0.0.1 -p "$RDS_DNS_PORT" 2>/dev/null | sed 's/\.$//')
san=$(openssl s_client -starttls postgres -connect "$p:5432" -showcerts </dev/null 2>/dev/null |
  openssl x509 -noout -ext subjectAltName 2>/dev/null)
like "$san" "DNS:$EP" "the certificate's SANs carry the endpoint"
like "$san" "DNS:ip-${p//./-}\." "... the node's own name"
like "$san" "IP Address:$p" "... and its IP"
[ -n "$node" ] && diag "node name $node"
is "$(openssl s_client -starttls postgres -connect "$p:5432" </dev/null 2>/dev/null |
  sed -n 's/.*issuer=.*CN *= *\([a-z0-9-]*\).*/\1/p' | head -1)" rds-ca-rsa2048-g1 \
  "issued by rds-ca-rsa2048-g1"

# ---- rds.force_ssl ----------------------------------------------------------------

out=$(plain "$p" 2>&1)
ok $(( $? == 0 )) "rds.force_ssl=1 (the default): a connection without TLS is refused"
like "$out" 'no pg_hba.conf entry for host .*no encryption' "... with PostgreSQL's (RDS's) message"
fs() {
  rdsctl modify-db-parameter-group --db-parameter-group-name tls-pg \
    --parameters "ParameterName=rds.force_ssl,ParameterValue=$1,ApplyMethod=immediate" >/dev/null
}
check "modify-db-parameter-group rds.force_ssl=0" fs 0
poll 30 plain "$p"
ok $? "rds.force_ssl=0: a connection without TLS is allowed"
check "... and verify-full still works" vf "$EP" "$p" "SELECT 1"
check "modify-db-parameter-group rds.force_ssl=1" fs 1
refused() { ! plain "$1"; }
poll 30 refused "$p"
ok $? "rds.force_ssl=1 again: refused again"

# ---- DescribeCertificates, CertificateDetails, rotation ----------------------------

aws() { command aws --endpoint-url "$API" --region "$RDS_REGION" "$@"; }
out=$(aws rds describe-certificates --output json)
ok $? "aws rds describe-certificates"
is "$(jqs "$out" '[.Certificates[].CertificateIdentifier] | join(" ")')" \
  "rds-ca-rsa2048-g1 rds-ca-ecc384-g1" "... lists both CAs"
is "$(jqs "$out" .DefaultCertificateForNewLaunches)" rds-ca-rsa2048-g1 "... the default for new launches"
thumb=$(openssl x509 -in "$RDS_HOME/controlplane/ca/rds-ca-rsa2048-g1.pem" -noout -fingerprint -sha1 |
  sed 's/.*=//; s/://g' | tr A-F a-f)
is "$(jqs "$out" '.Certificates[0].Thumbprint')" "$thumb" "... the Thumbprint is the certificate's SHA-1"
is "$(jqs "$out" '.Certificates[0].CertificateType + " " + (.Certificates[0].CustomerOverride|tostring)')" \
  "CA false" "... CertificateType CA, no CustomerOverride"
till=$(openssl x509 -in "$RDS_HOME/controlplane/ca/rds-ca-rsa2048-g1.pem" -noout -enddate | sed 's/.*=//')
is "$(date -u -d "$(jqs "$out" '.Certificates[0].ValidTill')" +%s)" "$(date -u -d "$till" +%s)" \
  "... ValidTill is the CA's notAfter"
out=$(aws rds describe-db-engine-versions --engine postgres --output json)
is "$(jqs "$out" '.DBEngineVersions[0].SupportedCACertificateIdentifiers | join(" ")') $(jqs "$out" '.DBEngineVersions[0].SupportsCertificateRotationWithoutRestart')" \
  "rds-ca-rsa2048-g1 rds-ca-ecc384-g1 true" "describe-db-engine-versions: SupportedCACertificateIdentifiers, rotation without restart"
out=$(aws rds describe-certificates --certificate-identifier rds-ca-2019 2>&1)
like "$out" 'CertificateNotFound' "an unknown certificate: CertificateNotFound"
is "$(describe tls1 .CACertificateIdentifier)" rds-ca-rsa2048-g1 "describe: CACertificateIdentifier"
is "$(describe tls1 .CertificateDetails.CAIdentifier)" rds-ca-rsa2048-g1 "describe: CertificateDetails.CAIdentifier"
node_till=$(openssl s_client -starttls postgres -connect "$p:5432" </dev/null 2>/dev/null |
  openssl x509 -noout -enddate | sed 's/.*=//')
is "$(date -u -d "$(describe tls1 .CertificateDetails.ValidTill)" +%s)" "$(date -u -d "$node_till" +%s)" \
  "describe: CertificateDetails.ValidTill is the server certificate's notAfter"
out=$(aws rds modify-db-instance --db-instance-identifier tls1 --ca-certificate-identifier rds-ca-2019 2>&1)
like "$out" 'CertificateNotFound' "modify to an unknown CA: CertificateNotFound"
aws rds modify-db-instance --db-instance-identifier tls1 --ca-certificate-identifier rds-ca-ecc384-g1 \
  --no-apply-immediately >/dev/null
ok $? "modify-db-instance --ca-certificate-identifier rds-ca-ecc384-g1 (not immediately)"
is "$(describe tls1 .PendingModifiedValues.CACertificateIdentifier)" rds-ca-ecc384-g1 \
  "... pending (PendingModifiedValues.CACertificateIdentifier)"
is "$(describe tls1 .CACertificateIdentifier)" rds-ca-rsa2048-g1 "... the instance keeps its CA until then"
aws rds modify-db-instance --db-instance-identifier tls1 --ca-certificate-identifier rds-ca-ecc384-g1 \
  --apply-immediately >/dev/null
ok $? "modify-db-instance --ca-certificate-identifier rds-ca-ecc384-g1 --apply-immediately"
is "$(describe tls1 .CACertificateIdentifier)/$(describe tls1 '.PendingModifiedValues.CACertificateIdentifier // "none"')" \
  "rds-ca-ecc384-g1/none" "... applied, nothing pending"
issuer_of() {
  openssl s_client -starttls postgres -connect "$1:5432" </dev/null 2>/dev/null |
    sed -n 's/.*issuer=.*CN *= *\([a-z0-9-]*\).*/\1/p' | head -1
}
issuer_is() { [ "$(issuer_of "$1")" = "$2" ]; }
poll 30 issuer_is "$p" rds-ca-ecc384-g1
ok $? "the primary now presents a certificate issued by rds-ca-ecc384-g1"
check "verify-full with the same bundle still works" vf "$EP" "$p" "SELECT 1"

# ---- a failover: verify-full on the new primary ----------------------------------

rdsctl reboot-db-instance --db-instance-identifier tls1 --force-failover >/dev/null
ok $? "reboot-db-instance --force-failover"
moved() { local a; a=$(resolve "$EP"); [ -n "$a" ] && [ "$a" != "$p" ]; }
poll 90 moved
ok $? "the endpoint moves to the other node"
poll 90 status_is tls1 available
ok $? "tls1 available again"
p2=$(resolve "$EP")
primary_vf() { [ "$(vf "$EP" "$p2" "SELECT pg_is_in_recovery()")" = f ]; }
poll 30 primary_vf
ok $? "verify-full through the endpoint reaches the new primary ($p2)"
out=$(plain "$p2" 2>&1)
ok $(( $? == 0 )) "the new primary refuses a connection without TLS too"
is "$(issuer_of "$p2")" rds-ca-ecc384-g1 "the new primary's certificate is of the rotated CA too"

# ---- the controlplane killed: new certificates, applied by a reload -----------------

serial_of() {
  openssl s_client -starttls postgres -connect "$1:5432" </dev/null 2>/dev/null |
    openssl x509 -noout -serial 2>/dev/null
}
s_before=$(serial_of "$p2")
pm_before=$(for f in "$RDS_HOME"/agents/*/nodes/*/data/postmaster.pid; do
  [ "$(sed -n 6p "$f")" = "$p2" ] && head -1 "$f"; done)
cp=$(cp_pid)
kill -KILL "$cp"
poll 10 gone "$cp"
ok $? "the controlplane killed (-9)"
check "region.sh up brings it back" region_restart
reissued() { local s; s=$(serial_of "$p2"); [ -n "$s" ] && [ "$s" != "$s_before" ]; }
poll 60 reissued
ok $? "the primary presents a newly issued certificate (keys are memory only)"
check "verify-full still works" vf "$EP" "$p2" "SELECT 1"
is "$(issuer_of "$p2")" rds-ca-ecc384-g1 "... from the instance's CA"
pm_after=$(for f in "$RDS_HOME"/agents/*/nodes/*/data/postmaster.pid; do
  [ "$(sed -n 6p "$f")" = "$p2" ] && head -1 "$f"; done)
is "$pm_after" "$pm_before" "applied by a reload: the same postmaster"

# ---- a restore names its CA -------------------------------------------------------

snap_is() {
  [ "$(rdsctl describe-db-snapshots --db-snapshot-identifier "$1" | jq -r '.DBSnapshots[0].Status')" = "$2" ]
}
rdsctl create-db-snapshot --db-instance-identifier tls1 --db-snapshot-identifier tls-snap >/dev/null
ok $? "create-db-snapshot"
poll 120 snap_is tls-snap available
ok $? "... available"
out=$(aws rds restore-db-instance-from-db-snapshot --db-instance-identifier tls2 \
  --db-snapshot-identifier tls-snap --ca-certificate-identifier rds-ca-2019 2>&1)
like "$out" CertificateNotFound "a restore naming an unknown CA: CertificateNotFound"
out=$(aws rds restore-db-instance-from-db-snapshot --db-instance-identifier tls2 \
  --db-snapshot-identifier tls-snap --ca-certificate-identifier rds-ca-ecc384-g1 --output json)
is "$(jqs "$out" .DBInstance.CACertificateIdentifier)" rds-ca-ecc384-g1 \
  "restore-db-instance-from-db-snapshot --ca-certificate-identifier rds-ca-ecc384-g1"
poll 180 status_is tls2 available
ok $? "tls2 available"
EP2=$(endpoint_of tls2)
a2=$(resolve "$EP2")
check "verify-full to the restored instance" vf "$EP2" "$a2" "SELECT 1"
is "$(issuer_of "$a2")" rds-ca-ecc384-g1 "... its certificate is from rds-ca-ecc384-g1"

# ---- a queued rotation happens in the maintenance window ---------------------------

now=$(rdsctl clock show | jq -r .Now)
day=$(date -u -d "$now + 2 days" +%a | tr 'A-Z' 'a-z')
rdsctl modify-db-instance --db-instance-identifier tls2 \
  --preferred-maintenance-window "$day:20:00-$day:20:30" >/dev/null
ok $? "tls2: a maintenance window two days ahead"
aws rds modify-db-instance --db-instance-identifier tls2 --ca-certificate-identifier rds-ca-rsa2048-g1 \
  >/dev/null
ok $? "modify-db-instance --ca-certificate-identifier rds-ca-rsa2048-g1 (queued)"
rdsctl clock advance 1h >/dev/null
is "$(describe tls2 .PendingModifiedValues.CACertificateIdentifier)/$(issuer_of "$a2")" \
  rds-ca-rsa2048-g1/rds-ca-ecc384-g1 "before the window: pending, the old CA's certificate"
rdsctl clock advance 4d >/dev/null
ca_is() { [ "$(describe tls2 .CACertificateIdentifier)" = "$1" ]; }
poll 60 ca_is rds-ca-rsa2048-g1
ok $? "in the window: CACertificateIdentifier rds-ca-rsa2048-g1"
is "$(describe tls2 '.PendingModifiedValues.CACertificateIdentifier // "none"')" none "... nothing pending"
poll 30 issuer_is "$(resolve "$EP2")" rds-ca-rsa2048-g1
ok $? "... and the node presents a certificate from rds-ca-rsa2048-g1"

done_testing
