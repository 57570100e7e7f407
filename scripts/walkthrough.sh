#!/usr/bin/env bash
# Walks one filing all the way through with curl, as the README describes: an applicant
# files a company with two sites, a reviewer returns it with a field-level reason, the
# applicant fixes it, the reviewer approves; the order goes to the bureau as an upload file of
# MIIT's interface V3.0 (XZBA), both persons enter the codes MIIT texted them, the bureau
# approves, and the numbers come back in its download file; the first site is filed with the
# public-security platform (JSON seam: V3.0 has no PSB) and gets its PSB number and footer;
# then the second site is renamed (BGBA) and cancelled (ZXBA).
#
#   cargo run --release -p beian -- demo                                   # in one terminal
#   scripts/walkthrough.sh [http://127.0.0.1:8080] [http://127.0.0.1:8090]  # in another
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:-http://127.0.0.1:8080}"
reg="${2:-http://127.0.0.1:8090}"
api="$base/api/v1"
jar_a="$(mktemp)"; jar_r="$(mktemp)"; trap 'rm -f "$jar_a" "$jar_r"' EXIT
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'d': d}))" "$1"; }
example="docs/examples/first-filing-company.json"

login() { # jar email -> csrf token
  curl -sf -c "$1" -H 'content-type: application/json' \
    -d "{\"email\":\"$2\",\"password\":\"beian-demo-2026\"}" "$api/auth/login" | json 'd["csrf_token"]'
}
csrf_a="$(login "$jar_a" applicant@demo.beian.local)"
csrf_r="$(login "$jar_r" reviewer@demo.beian.local)"
A=(-sf -b "$jar_a" -H "x-csrf-token: $csrf_a" -H 'content-type: application/json')
R=(-sf -b "$jar_r" -H "x-csrf-token: $csrf_r" -H 'content-type: application/json')

echo "1. applicant creates the subject and a draft order (kind worked out: first filing)"
subject_body="$(python3 -c "import json; e=json.load(open('$example')); print(json.dumps({'province':'33','subject':e['order']['subject']}))")"
subject="$(curl "${A[@]}" -d "$subject_body" "$api/subjects" | json 'd["id"]')"
order_body="$(python3 -c "import json; e=json.load(open('$example')); print(json.dumps({'subject_id':'$subject','websites':e['order']['websites'][:2],'domain_facts':e['context']['domains']}))")"
order="$(curl "${A[@]}" -d "$order_body" "$api/orders" | json 'd["id"]')"
echo "   order $order"

echo "2. the rule engine checks it"
curl "${A[@]}" -X POST "$api/orders/$order/check" | json '"   submittable: %s, findings: %d" % (d["submittable"], len(d["findings"]))'

echo "3. documents: licence, ID cards, face photos (any JPEG/PNG; they are re-encoded)"
photo="$(mktemp --suffix .png)"
python3 - "$photo" <<'PY'
import struct, sys, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
raw = b"".join(b"\x00" + b"\x80\x40\x40" * 32 for _ in range(32))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
upload_documents() { # order [documents: kind:path …]
  local order="$1"; shift
  local docs=("$@")
  [ ${#docs[@]} -gt 0 ] || docs=(business_licence:subject id_front:subject.head id_back:subject.head id_front:websites[1].head
                                 id_back:websites[1].head face_photo:websites[0].head face_photo:websites[1].head)
  for doc in "${docs[@]}"; do
    curl -sf -b "$jar_a" -H "x-csrf-token: $csrf_a" -F "kind=${doc%%:*}" -F "subject_path=${doc#*:}" \
      -F "file=@$photo;type=image/png" "$api/orders/$order/documents" >/dev/null
  done
}
upload_documents "$order"

version() { curl -sf -b "$jar_a" "$api/orders/$order" | json 'd["version"]'; }
echo "4. submit (If-Match carries the version the applicant saw)"
curl "${A[@]}" -X POST -H "if-match: \"$(version)\"" "$api/orders/$order/submit" | json '"   state: " + d["state"]["state"]'

echo "5. reviewer claims it, records the identity check, and returns it with a reason"
v="$(curl "${R[@]}" -X POST -H "if-match: \"$(version)\"" "$api/orders/$order/claim" | json 'd["version"]')"
v="$(curl "${R[@]}" -X POST -H "if-match: \"$v\"" -d '{"passed":true,"note":"人脸与证件一致"}' "$api/orders/$order/verification" | json 'd["version"]')"
curl "${R[@]}" -X POST -H "if-match: \"$v\"" \
  -d '{"findings":[{"field":"websites[1].name","error":"网站名称与内容不符","suggestion":"改为“阿里云计算学习中心”"}]}' \
  "$api/orders/$order/reject" | json '"   state: %s (%s)" % (d["state"]["state"], d["state"]["reason"])'

echo "6. applicant fixes the name (masked PII sent back unchanged is kept) and resubmits"
current="$(curl -sf -b "$jar_a" "$api/orders/$order")"
fixed="$(echo "$current" | python3 -c "import json,sys; d=json.load(sys.stdin); w=d['order']['websites']; w[1]['name']='阿里云计算学习中心'; print(json.dumps({'subject_id':d['subject_id'],'websites':w,'domain_facts':d['domain_facts']}))")"
curl "${A[@]}" -X PUT -H "if-match: \"$(version)\"" -d "$fixed" "$api/orders/$order" >/dev/null
curl "${A[@]}" -X POST -H "if-match: \"$(version)\"" "$api/orders/$order/submit" | json '"   state: " + d["state"]["state"]'

echo "7. reviewer approves: the order waits for the regulator"
v="$(curl "${R[@]}" -X POST -H "if-match: \"$(version)\"" "$api/orders/$order/claim" | json 'd["version"]')"
curl "${R[@]}" -X POST -H "if-match: \"$v\"" "$api/orders/$order/approve" | json '"   state: " + d["state"]["state"]'

state_of() { curl -sf -b "$jar_a" "$api/orders/$1" | json 'd["state"]["state"]'; }
state() { state_of "$order"; }
wait_for() { # state [order] — V3.0 files travel on the job queues' schedule: allow two minutes
  local o="${2:-$order}"
  for _ in $(seq 1 240); do [ "$(state_of "$o")" = "$1" ] && return 0; sleep 0.5; done
  echo "   the order did not reach $1 (it is $(state_of "$o"))" >&2; exit 1
}

echo "8. the job queue uploads it to the bureau as file N of MIIT's interface V3.0; MIIT texts the persons"
wait_for sms_pending
pending="$(curl -sf -b "$jar_a" "$api/orders/$order" | json '" ".join(d["state"]["pending"])')"
echo "   waiting for: $pending"

echo "9. each person reads the code on their phone (the regulator's outbox) and enters it"
for who in $pending; do
  read -r mobile six < <(python3 -c "
import json, re; e = json.load(open('$example'))['order']
m = re.fullmatch(r'(\w+)(?:\[(\d+)\])?\.head', '$who'); p = e[m.group(1)][int(m.group(2))]['head'] if m.group(2) else e['subject']['head']
print(p['mobile'], p['certificate']['number'][-6:])")
  code="$(curl -sf "$reg/api/v1/sms/outbox?mobile=$mobile" | json 'd[0]["body"].split("核验码为")[1][:6]')"
  curl -sf -H 'content-type: application/json' -d "{\"mobile\":\"$mobile\",\"cert_last_six\":\"$six\",\"code\":\"$code\"}" \
    "$reg/api/v1/sms/verify" | json '"   '"$who"': %s" % d["outcome"]'
done

token="$(curl -sf -H 'content-type: application/json' -d '{"username":"bureau-zj","password":"beian-demo-2026"}' \
  "$reg/api/v1/bureau/login" | json 'd["token"]')"
bureau_approves() { # what to print: the bureau approves the newest item in its queue
  local item=""
  for _ in $(seq 1 120); do
    item="$(curl -sf -H "authorization: Bearer $token" "$reg/api/v1/bureau/queue" | json '(d[-1]["id"] if d else "")')"
    [ -n "$item" ] && break; sleep 0.5
  done
  [ -n "$item" ] || { echo "   nothing reached the bureau's queue" >&2; exit 1; }
  curl -sf -X POST -H "authorization: Bearer $token" "$reg/api/v1/bureau/submissions/$item/approve" | json "$1"
}

echo "10. the Zhejiang bureau reviews its queue and approves; its result comes down as a V3.0 file (BAJG + BASJ)"
bureau_approves '"   subject number: " + d["subject_number"]'
wait_for filed

echo "11. the numbers and the footer to paste, on the applicant's order"
curl -sf -b "$jar_a" "$api/orders/$order" \
  | json '"\n".join("   %s  %s\n      %s" % (s["number"], s["name"], d["filing"]["footers"].get(s["number"], "")) for s in d["filing"]["services"])'

echo "12. anyone can look it up, like beian.miit.gov.cn"
curl -sf "$reg/api/v1/query?domain=aliyun.com" | json '"   " + "; ".join("%s %s %s" % (r["subject_name"], r["service_number"], r["approved_on"]) for r in d)'

echo "13. the timeline"
curl -sf -b "$jar_a" "$api/orders/$order/timeline" | json '"   " + " → ".join(e["event"] for e in d)'

echo "14. each filed site now has 30 days for its public-security filing: a draft, pre-filled"
psb="$(curl -sf -b "$jar_a" "$api/subjects/$subject/psb" | json 'd[0]["id"]')"
curl -sf -b "$jar_a" "$api/psb/$psb" \
  | json '"   %s: %s, due %s (%d days left); access by %s" % (d["icp_number"], d["state"], d["deadline"]["due"], d["deadline"]["days_left"], d["application"]["access"]["name"])'

psb_version() { curl -sf -b "$jar_a" "$api/psb/$psb" | json 'd["version"]'; }
echo "15. the applicant completes it, accepts the responsibility statement and submits"
completed="$(curl -sf -b "$jar_a" "$api/psb/$psb" | python3 -c "
import json, sys; a = json.load(sys.stdin)['application']
a['service_types'] = ['b']
a['registrar'].update(region='浙江省杭州市余杭区', phone='95187')  # the name came from the order's domain facts
print(json.dumps(a))")"
curl "${A[@]}" -X PUT -H "if-match: \"$(psb_version)\"" -d "$completed" "$api/psb/$psb" >/dev/null
curl "${A[@]}" -X POST -H "if-match: \"$(psb_version)\"" "$api/psb/$psb/statement" \
  | json '"   statement %s accepted at %s" % (d["application"]["statement"]["version"], d["application"]["statement"]["accepted_at"])'
curl "${A[@]}" -X POST "$api/psb/$psb/check" | json '"   submittable: %s" % d["submittable"]'
curl "${A[@]}" -X POST -H "if-match: \"$(psb_version)\"" "$api/psb/$psb/submit" | json '"   state: " + d["state"]'

psb_state() { curl -sf -b "$jar_a" "$api/psb/$psb" | json 'd["state"]'; }
for _ in $(seq 1 60); do [ "$(psb_state)" = psb_review ] && break; sleep 0.5; done

echo "16. the Zhejiang PSB officer approves it"
ptoken="$(curl -sf -H 'content-type: application/json' -d '{"username":"psb-zj","password":"beian-demo-2026"}' \
  "$reg/api/v1/bureau/login" | json 'd["token"]')"
pitem="$(curl -sf -H "authorization: Bearer $ptoken" "$reg/api/v1/psb/queue" | json 'd[-1]["id"]')"
curl -sf -X POST -H "authorization: Bearer $ptoken" "$reg/api/v1/psb/applications/$pitem/approve" \
  | json '"   PSB number: " + d["psb_number"]'
for _ in $(seq 1 60); do [ "$(psb_state)" = approved ] && break; sleep 0.5; done

echo "17. the footer with both numbers, ready to paste"
curl -sf -b "$jar_a" "$api/psb/$psb" | json '"   " + d["footer"]["html"].replace("\n", "\n   ")'

number2="$(curl -sf -b "$jar_a" "$api/orders/$order" | json 'd["filing"]["services"][1]["number"]')"
echo "18. a change: the second site is renamed (变更网站, V3.0 BGBA with the bureau's ids from its BASJ data)"
# The change carries the sites as they are to be: from the example (the order's own view masks
# persons' numbers), with the numbers the bureau issued.
change_body="$(curl -sf -b "$jar_a" "$api/orders/$order" | python3 -c "
import json, sys; d = json.load(sys.stdin); e = json.load(open('$example'))
w = e['order']['websites'][:2]; w[1]['name'] = '阿里云文档与帮助中心'
for s, n in zip(w, d['filing']['services']): s['existing_number'] = n['number']
print(json.dumps({'subject_id': d['subject_id'], 'kind': 'change_service', 'websites': w, 'domain_facts': e['context']['domains']}))")"
change="$(curl "${A[@]}" -d "$change_body" "$api/orders" | json 'd["id"]')"
upload_documents "$change"
resubmit_and_approve() { # order
  local v; v="$(curl -sf -b "$jar_a" "$api/orders/$1" | json 'd["version"]')"
  v="$(curl "${A[@]}" -X POST -H "if-match: \"$v\"" "$api/orders/$1/submit" | json 'd["version"]')"
  v="$(curl "${R[@]}" -X POST -H "if-match: \"$v\"" "$api/orders/$1/claim" | json 'd["version"]')"
  v="$(curl "${R[@]}" -X POST -H "if-match: \"$v\"" -d '{"passed":true,"note":"人脸与证件一致"}' "$api/orders/$1/verification" | json 'd["version"]')"
  curl "${R[@]}" -X POST -H "if-match: \"$v\"" "$api/orders/$1/approve" | json '"   state: " + d["state"]["state"]'
}
resubmit_and_approve "$change"
for _ in $(seq 1 240); do
  s="$(state_of "$change")"; [ "$s" = sms_pending ] || [ "$s" = bureau_review ] && break; sleep 0.5
done
for who in $(curl -sf -b "$jar_a" "$api/orders/$change" | json '" ".join(d["state"].get("pending", []))'); do
  read -r mobile six < <(python3 -c "
import json, re; e = json.load(open('$example'))['order']
m = re.fullmatch(r'(\w+)(?:\[(\d+)\])?\.head', '$who'); p = e[m.group(1)][int(m.group(2))]['head'] if m.group(2) else e['subject']['head']
print(p['mobile'], p['certificate']['number'][-6:])")
  code="$(curl -sf "$reg/api/v1/sms/outbox?mobile=$mobile" | json 'd[0]["body"].split("核验码为")[1][:6]')"
  curl -sf -H 'content-type: application/json' -d "{\"mobile\":\"$mobile\",\"cert_last_six\":\"$six\",\"code\":\"$code\"}" \
    "$reg/api/v1/sms/verify" | json '"   '"$who"': %s" % d["outcome"]'
done
bureau_approves '"   bureau: approved"'
wait_for filed "$change"
curl -sf "$reg/api/v1/query?number=$number2" | json '"   " + "; ".join("%s %s" % (r["service_number"], r["service_name"]) for r in d)'

echo "19. a cancellation: the second site is cancelled (注销网站, V3.0 ZXBA); no SMS, straight to the bureau"
cancel="$(curl "${A[@]}" -d "{\"subject_id\":\"$subject\",\"kind\":\"cancel_service\",\"target_numbers\":[\"$number2\"]}" "$api/orders" | json 'd["id"]')"
upload_documents "$cancel" business_licence:subject id_front:subject.head id_back:subject.head face_photo:subject.head
resubmit_and_approve "$cancel"
bureau_approves '"   bureau cancelled: " + ", ".join(d["cancelled"])'
wait_for filed "$cancel"
echo "   public query for $number2: $(curl -sf "$reg/api/v1/query?number=$number2")"
rm -f "$photo"
