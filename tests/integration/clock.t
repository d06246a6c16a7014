#!/usr/bin/env bash
# The region clock of issue 5 against a real region: rdsctl clock show and
# advance, bad durations refused with nothing moved, API times (a new
# instance's InstanceCreateTime, its events) on the advanced clock, and
# the offset surviving a SIGKILL of the controlplane and a restart.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

DAY=86400

# Seconds since the epoch of an ISO 8601 time (GNU date).
epoch_of() { date -u -d "$1" +%s; }

# near A B SLACK: |A - B| <= SLACK.
near() { local d=$(($1 - $2)); [ "${d#-}" -le "$3" ]; }

offset_now() { rdsctl clock show | jq -r .OffsetSeconds; }

region_up || bail "the region did not start"
ok 0 "region up (API $RDS_API_PORT, DNS $RDS_DNS_PORT, net 127.$RDS_NET)"

# ---- show -----------------------------------------------------------------

s=$(rdsctl clock show)
ok $? "rdsctl clock show"
is "$(jqs "$s" .OffsetSeconds)" 0 "a new region's clock has no offset"
check "its Now is wall time" near "$(epoch_of "$(jqs "$s" .Now)")" "$(date +%s)" 60

# ---- bad input moves nothing -----------------------------------------------

for bad in 1x -1d 1h1d "" 1.5h 99999999d; do
  rdsctl clock advance "$bad" >/dev/null 2>&1
  is $? 252 "clock advance '$bad' is a usage error"
done
rdsctl clock advance >/dev/null 2>&1
is $? 252 "clock advance without a DURATION is a usage error"
rdsctl clock rewind 1d >/dev/null 2>&1
is $? 252 "an unknown clock subcommand is a usage error"
is "$(api 'Action=AdvanceRegionClock&Version=2014-10-31&Duration=-5')" "400 InvalidParameterValue" \
  "AdvanceRegionClock with a negative Duration is InvalidParameterValue"
is "$(api 'Action=AdvanceRegionClock&Version=2014-10-31')" "400 MissingParameter" \
  "AdvanceRegionClock without Duration is MissingParameter"
is "$(offset_now)" 0 "the clock did not move"

# ---- advance ---------------------------------------------------------------

a=$(rdsctl clock advance 36d)
ok $? "rdsctl clock advance 36d"
is "$(jqs "$a" .OffsetSeconds)" $((36 * DAY)) "the offset is 36 days"
check "the answer's Now is 36 days ahead" \
  near "$(epoch_of "$(jqs "$a" .Now)")" $(($(date +%s) + 36 * DAY)) 60
is "$(offset_now)" $((36 * DAY)) "clock show agrees"

# ---- API times follow the clock -------------------------------------------

out=$(create_instance clk)
ok $? "create-db-instance clk"
poll 120 status_is clk available
ok $? "clk becomes available"
d=$(rdsctl describe-db-instances --db-instance-identifier clk)
ct=$(jqs "$d" '.DBInstances[0].InstanceCreateTime')
check "InstanceCreateTime ($ct) is 36 days ahead of wall time" \
  near "$(epoch_of "$ct")" $(($(date +%s) + 36 * DAY)) 600
ev=$(rdsctl describe-events --source-type db-instance --source-identifier clk)
n=$(jqs "$ev" '.Events | length')
check "describe-events lists clk's events ($n)" test "$n" -gt 0
first=$(jqs "$ev" '.Events[0].Date')
check "its events are dated on the region clock ($first)" \
  near "$(epoch_of "$first")" $(($(date +%s) + 36 * DAY)) 600

# ---- the offset survives a controlplane crash ------------------------------

cp=$(cp_pid)
kill -KILL "$cp"
poll 10 gone "$cp"
ok $? "controlplane (pid $cp) killed with SIGKILL"
region_restart
ok $? "region.sh up starts it again"
poll 30 api_alive
ok $? "the API answers again"
is "$(offset_now)" $((36 * DAY)) "the offset survived the restart"
check "Now is still 36 days ahead" \
  near "$(epoch_of "$(rdsctl clock show | jq -r .Now)")" $(($(date +%s) + 36 * DAY)) 60

a=$(rdsctl clock advance 1d12h)
is "$(jqs "$a" .OffsetSeconds)" $((37 * DAY + 12 * 3600)) "advance 1d12h adds a day and a half"
like "$(rdsctl --output text clock show)" $'^[0-9]{4}-[0-9-]+T[0-9:.]+Z\t'$((37 * DAY + 12 * 3600))'$' \
  "--output text prints Now and OffsetSeconds on one line"

# ---- clean up --------------------------------------------------------------

rdsctl delete-db-instance --db-instance-identifier clk --skip-final-snapshot >/dev/null
ok $? "delete clk"
poll 60 status_is clk gone
ok $? "clk is gone"

done_testing
