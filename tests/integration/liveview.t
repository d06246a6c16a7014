#!/usr/bin/env bash
# Issue 16, item 5: the live view (controlplane/api/liveview.h) in a real
# headless Chromium, and `rdsctl describe-events --follow`.
#
#  - the door: no session -> 403 on every /view path; a forged, expired
#    or over-long presigned URL -> 403 and no cookie; a cookie forged
#    under another key, or with its expiry stretched -> 403; an IAM user
#    without rds:DescribeDBInstances -> 403, with it -> a session, which
#    ends when its key is deleted; a controlplane restarted (a new
#    session key) refuses the old cookie;
#  - the page: a Multi-AZ instance with a hostile tag and Enhanced
#    Monitoring; Chromium (as `nobody`, with its sandbox) shows it
#    `available`, the screenshot is 1280x900 with the badge's green in
#    its pixels, the tag is text (no <img> element, no script ran), the
#    CPU graph has points;
#  - live: with the page open, RebootDBInstance --force-failover; the
#    page's timeline shows detection, promotion and the DNS flip, and its
#    event list the failover events, pushed by SSE; an SSE stream opened
#    at the start is still alive and got them; the 17th stream -> 503;
#  - `describe-events --follow` printed the failover as it happened, each
#    event once.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v chromium >/dev/null; then
  echo "1..0 # SKIP chromium is not installed (scripts/install-deps.sh)"
  exit 0
fi

region_up || bail "the region did not start"
ok 0 "region up"

W=$(mktemp -d /tmp/rdsim-view.XXXXXX)
chmod 0777 "$W" # Chromium runs as nobody and writes its screenshot here
PIDS=()
view_cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$W"
  cleanup
}
trap view_cleanup EXIT

BASE="http://127.0.0.1:$RDS_API_PORT"
JAR="$W/jar"

# code [CURL ARGS]: the HTTP status of a GET.
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# login URL: "STATUS SET-COOKIE-NAME" of the login (never followed).
login() {
  curl -s -o /dev/null -D "$W/h" -w '%{http_code}' "$1"
  grep -qi '^set-cookie: rdsview=' "$W/h" && echo " cookie" || echo " none"
}
cookie_of() { awk '$6 == "rdsview" { print $7 }' "$1"; }
# browse URL ARGS...: cdp.py as nobody (Chromium keeps its sandbox).
browse() {
  if [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null; then
    runuser -u nobody -- env HOME="$W" python3 "$ROOT/tests/integration/cdp.py" "$@"
  else
    python3 "$ROOT/tests/integration/cdp.py" "$@"
  fi
}

# ---- 1. the door ---------------------------------------------------------------

for p in /view/ /view/app.js /view/api/state /view/api/events "/view/api/metrics?id=x"; do
  is "$(code "$BASE$p")" 403 "no session: GET $p is 403"
done
is "$(code -b 'rdsview=v1.AKIAAAAAAAAAAAAAAAAA.9999999999.'"$(printf '%064d' 0)" "$BASE/view/")" 403 \
  "a made-up cookie is 403"

URL=$(rdsctl view-url)
like "$URL" "^$BASE/view/login\\?X-Amz-Algorithm=AWS4-HMAC-SHA256&.*X-Amz-Expires=900&" \
  "rdsctl view-url: a presigned login URL, 900 s"
last=${URL: -1}
[ "$last" = 0 ] && flip=1 || flip=0
is "$(login "${URL%?}$flip")" "403 none" "a URL with its signature changed: 403, no cookie"
is "$(login "${URL/X-Amz-Expires=900/X-Amz-Expires=899}")" "403 none" \
  "a URL with its expiry changed: 403, no cookie"
is "$(login "$(python3 "$ROOT/tests/integration/viewurl.py" "$BASE" --skew -1000)")" "403 none" \
  "a URL signed 1000 s ago, good 900 s (expired): 403"
is "$(login "$(python3 "$ROOT/tests/integration/viewurl.py" "$BASE" --expires 3600)")" "403 none" \
  "a URL good for an hour (over 15 minutes): 403"
is "$(login "$(python3 "$ROOT/tests/integration/viewurl.py" "$BASE" --service ec2)")" "403 none" \
  "a URL signed for another service: 403"
rdsctl view-url --expires 901 >/dev/null 2>&1
is $? 252 "rdsctl view-url --expires 901: a usage error"
is "$(login "$(python3 "$ROOT/tests/integration/viewurl.py" "$BASE" --expires 60)")" "303 cookie" \
  "a URL presigned by botocore (an independent signer): 303 with a session cookie"

is "$(curl -s -o /dev/null -c "$JAR" -w '%{http_code} %{redirect_url}' "$URL")" "303 $BASE/view/" \
  "rdsctl's URL: 303 to /view/"
like "$(curl -s -D - -o /dev/null "$URL" | tr -d '\r' | grep -i '^set-cookie:')" \
  'rdsview=v1\.AKIA[A-Z2-7]{16}\.[0-9]+\.[0-9a-f]{64}; Path=/view/; Max-Age=3600; HttpOnly; SameSite=Strict' \
  "the session cookie is HttpOnly, SameSite=Strict, Path=/view/, an hour"
C=$(cookie_of "$JAR")
# One stream for the whole test: it must outlive the connection guard's
# 30 s idle deadline (lib/httpguard.h) and get the failover pushed.
curl -s -N -b "rdsview=$C" "$BASE/view/api/events" >"$W/sse0" 2>/dev/null &
PIDS+=($!)
SSE0=$!
T0=$SECONDS
is "$(code -b "rdsview=$C" "$BASE/view/")" 200 "with the cookie: /view/ is 200"
hdrs=$(curl -s -D - -o /dev/null -b "rdsview=$C" "$BASE/view/" | tr -d '\r')
like "$hdrs" "Content-Security-Policy: default-src 'none'; script-src 'self';" \
  "the page forbids inline script (CSP)"
IFS=. read -r v1 ak exp mac <<<"$C"
is "$(code -b "rdsview=$v1.$ak.$((exp + 86400)).$mac" "$BASE/view/")" 403 \
  "the cookie with its expiry stretched a day: 403"
other=$(printf '%s' "$v1.$ak.$exp" | openssl dgst -sha256 -hmac "another-controlplane" -r | cut -d' ' -f1)
is "$(code -b "rdsview=$v1.$ak.$exp.$other" "$BASE/view/")" 403 \
  "a cookie MACed under another key: 403"

# An IAM user: without rds:DescribeDBInstances, no session; with it, one
# that ends when the key is deleted.
aws --endpoint-url "$BASE" iam create-user --user-name viewer >/dev/null
key=$(aws --endpoint-url "$BASE" iam create-access-key --user-name viewer)
VK=$(jq -r .AccessKey.AccessKeyId <<<"$key")
VS=$(jq -r .AccessKey.SecretAccessKey <<<"$key")
vurl() { python3 "$ROOT/tests/integration/viewurl.py" "$BASE" --key "$VK" --secret "$VS"; }
is "$(login "$(vurl)")" "403 none" "an IAM user with no policy: 403"
aws --endpoint-url "$BASE" iam put-user-policy --user-name viewer --policy-name d \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds:DescribeDBInstances","Resource":"*"}]}'
curl -s -o /dev/null -c "$W/vjar" "$(vurl)"
VC=$(cookie_of "$W/vjar")
is "$(code -b "rdsview=$VC" "$BASE/view/api/state")" 200 \
  "an IAM user allowed rds:DescribeDBInstances: a session"
curl -s -N -b "rdsview=$VC" "$BASE/view/api/events" >"$W/vsse" 2>/dev/null &
VSSE=$!
PIDS+=("$VSSE")
poll 10 grep -q '^event: state' "$W/vsse"
ok $? "... and its event stream"
aws --endpoint-url "$BASE" iam delete-access-key --user-name viewer --access-key-id "$VK"
is "$(code -b "rdsview=$VC" "$BASE/view/api/state")" 403 "its key deleted: the session ends"
poll 10 gone "$VSSE"
ok $? "... and so does its open event stream"

# ---- 2. the streams ------------------------------------------------------------------

poll 10 grep -q '^event: state' "$W/sse0"
ok $? "an SSE stream: the state first"
for i in $(seq 2 16); do
  curl -s -N -b "rdsview=$C" "$BASE/view/api/events" >"$W/sse$i" 2>/dev/null &
  PIDS+=($!)
done
all_open() { for i in $(seq 2 16); do grep -q '^event: state' "$W/sse$i" || return 1; done; }
poll 20 all_open
ok $? "16 streams open"
is "$(code -b "rdsview=$C" "$BASE/view/api/events")" 503 "the 17th: 503"
for i in "${PIDS[@]:1}"; do kill "$i" 2>/dev/null; done
PIDS=("$SSE0")
streams_freed() { [ "$(code -m 5 -b "rdsview=$C" "$BASE/view/api/events")" = 200 ]; }
poll 20 streams_freed
ok $? "closed streams free their places"

# ---- 3. the page in Chromium ------------------------------------------------------------

HOSTILE='<img src=x onerror=document.title="pwned";document.body.dataset.pwned=1>'
tags=$(jq -cn --arg v "$HOSTILE" '[{Key:"note",Value:$v}]')
out=$(create_instance lv --multi-az --dns-ttl 1 --tags "$tags")
ok $? "create-db-instance lv --multi-az with a hostile tag (no Enhanced Monitoring)"
rdsctl describe-events --follow --source-identifier lv --source-type db-instance \
  --output text --max-seconds 240 >"$W/follow" 2>&1 &
FOLLOW=$!
PIDS+=("$FOLLOW")
synced() {
  status_is lv available &&
    curl -s -b "rdsview=$C" "$BASE/view/api/state" | jq -e '.instances[] | select(.id == "lv") | .ha_state == "healthy"'
}
poll 240 synced
ok $? "lv available with a healthy standby"
# The graphs are CloudWatch's AWS/RDS metrics, written each minute for
# every instance: poll until the first minute's point.
has_points() {
  curl -s -b "rdsview=$C" "$BASE/view/api/metrics?id=lv" >"$W/metrics.json" &&
    jq -e '[.series[] | select(.name == "CPUUtilization" or .name == "FreeableMemory")
            | .points | length >= 1] == [true, true]' "$W/metrics.json" >/dev/null
}
poll 180 has_points
ok $? "/view/api/metrics: CloudWatch points of CPUUtilization and FreeableMemory, without Enhanced Monitoring"
is "$(jq -r '[.series[].name] | join(" ")' "$W/metrics.json")" \
  "CPUUtilization FreeableMemory DatabaseConnections WriteIOPS" "... the four graphs"
is "$(jq -r '.source' "$W/metrics.json")" "CloudWatch AWS/RDS, 60 s averages" "... the source named"
check "... CPU within 0..100 %, free memory above 1 MiB" jq -e \
  '(.series[0].points[-1][1] | . >= 0 and . <= 100) and .series[1].points[-1][1] > 1' "$W/metrics.json"
t0=$(( $(jq '.series[0].points[0][0]' "$W/metrics.json") / 1000 ))
cpu_avg=$(aws --endpoint-url "$API" --output text cloudwatch get-metric-statistics \
  --namespace AWS/RDS --metric-name CPUUtilization --dimensions Name=DBInstanceIdentifier,Value=lv \
  --period 60 --statistics Average --start-time "$(date -u -d "@$t0" +%FT%TZ)" \
  --end-time "$(date -u -d "@$((t0 + 60))" +%FT%TZ)" --query 'Datapoints[0].Average' 2>&1)
# That minute may take one more value between the two reads (a point a
# minute, not aligned to the minute): the page's value read before or after.
curl -s -b "rdsview=$C" "$BASE/view/api/metrics?id=lv" >"$W/metrics2.json"
same() {
  awk -v a="$cpu_avg" -v b="$(jq --argjson t "$t0" '.series[0].points[] | select(.[0] == $t * 1000) | .[1]' "$1")" \
    'BEGIN { d = a - b; exit !(a != "" && b != "" && (d < 0 ? -d : d) < 1e-6) }'
}
check "... the first CPU point is GetMetricStatistics' Average of that minute ($cpu_avg)" \
  eval 'same "$W/metrics.json" || same "$W/metrics2.json"'
is "$(code -b "rdsview=$C" "$BASE/view/api/metrics?id=../x")" 400 "metrics of a non-identifier: 400"

res=$(browse "$URL" --timeout 60 --screenshot "$W/page.png" --dom "$W/page.html" \
  --wait "document.querySelector('tr[data-instance=lv][data-status=available]') &&
          document.querySelector('svg[data-series=CPUUtilization]') &&
          document.querySelector('svg[data-series=CPUUtilization]').dataset.points >= 1 &&
          document.querySelector('#events li') && document.getElementById('feed').textContent === 'live'")
ok $? "Chromium: the page shows lv available, a CloudWatch CPU graph, events, the feed live"
diag "$res"
is "$(jq -c .exceptions <<<"$res")" "[]" "no script error"
is "$(jq -r .title <<<"$res")" "rdsim live view" "the title is the page's (no script of the tag ran)"
read -r pw ph green < <(python3 "$ROOT/tests/integration/pngcheck.py" "$W/page.png" 30 142 62 6)
is "$pw x $ph" "1280 x 900" "the screenshot is 1280x900"
check "the screenshot has the available badge's green (${green:-0} pixels)" test "${green:-0}" -ge 300
grep -q 'data-pwned' "$W/page.html"
isnt $? 0 "the hostile tag's handler never ran"
grep -qi '<img' "$W/page.html"
isnt $? 0 "no <img> element in the DOM"
grep -qF 'note=&lt;img src=x onerror=document.title="pwned";document.body.dataset.pwned=1&gt;' "$W/page.html"
ok $? "the tag is shown as text"

# ---- 4. a failover, live ---------------------------------------------------------------

rm -f "$W/ready"
browse "$URL" --timeout 120 --ready-file "$W/ready" \
  --ready "document.querySelector('tr[data-instance=lv][data-status=available]') &&
           document.getElementById('feed').textContent === 'live'" \
  --wait "document.querySelector('.failover[data-instance=lv][data-phases=\"detected promoted dns-flip\"]') &&
          document.querySelector('#events li[data-event-id=\"RDS-EVENT-0049\"]')" \
  --screenshot "$W/failover.png" --dom "$W/failover.html" >"$W/fo.json" &
BROWSER=$!
PIDS+=("$BROWSER")
poll 60 test -f "$W/ready"
ok $? "a second page open, lv available, its feed live"
out=$(rdsctl reboot-db-instance --db-instance-identifier lv --force-failover)
ok $? "reboot-db-instance --force-failover"
wait "$BROWSER"
ok $? "the open page showed the failover without a reload: timeline and events pushed"
diag "$(cat "$W/fo.json")"
tl=$(grep -o '<li class="failover"[^>]*>' "$W/failover.html" | head -1)
like "$tl" 'data-state="done"' "the timeline's failover is done"
like "$(grep -o 'data-phase="dns-flip"><span class="fo-when">[^<]*</span>dns-flip (+[0-9.]* s)' "$W/failover.html")" \
  'dns-flip \(\+[0-9]+\.[0-9]{3} s\)' "the DNS flip, timed from detection"
read -r _ _ g2 < <(python3 "$ROOT/tests/integration/pngcheck.py" "$W/failover.png" 30 142 62 6)
check "after the failover the badge is green again (${g2:-0} pixels)" test "${g2:-0}" -ge 300

poll 30 grep -q 'failover completed' "$W/sse0"
ok $? "the first SSE stream got the failover"
# The feed comments every 15 s: a fourth comment means the stream has
# lived 45 s, past the connection guard's 30 s idle deadline.
beats() { [ "$(grep -c '^: alive' "$W/sse0")" -ge 4 ]; }
poll 70 beats
ok $? "that stream got a fourth keep-alive ($((SECONDS - T0)) s open)"
check "... and is still open: the guard's idle deadline did not end it" running "$SSE0"

poll 30 grep -q 'Multi-AZ instance failover completed' "$W/follow"
ok $? "describe-events --follow printed the failover as it came"
kill "$FOLLOW" 2>/dev/null
grep -q 'Multi-AZ instance failover started' "$W/follow"
ok $? "... and its start"
is "$(sort "$W/follow" | uniq -d | wc -l)" 0 "... each event once"
is "$(grep -c 'DB instance created' "$W/follow")" 1 "... the history first (created, once)"
out=$(rdsctl describe-events --follow --max-events 2 --output text --source-identifier lv --source-type db-instance)
is "$(wc -l <<<"$out")" 2 "describe-events --follow --max-events 2: two lines, then it exits"

# ---- 5. another controlplane ------------------------------------------------------------

pid=$(cp_pid)
kill -9 "$pid"
poll 10 gone "$pid"
region_restart
poll 30 api_alive
ok $? "the controlplane killed -9 and started again"
is "$(code -b "rdsview=$C" "$BASE/view/")" 403 \
  "the restarted controlplane (a new session key) refuses the old cookie"
is "$(login "$(rdsctl view-url)")" "303 cookie" "a new URL opens a new session"

done_testing
