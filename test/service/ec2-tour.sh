#!/usr/bin/env bash
# The EC2 tour with the aws CLIs, as a user would type it: Debian's AWS CLI v2 (/usr/bin/aws, --endpoint-url) for
# most steps, the pip AWS CLI v1 on PATH (endpoints from aws-config) for some. Prints TAP; run by ec2-tour-cli.test.ts.
# Needs: AWS_CONFIG_FILE and AWS_CA_BUNDLE of the cloud, ENDPOINT (EC2), S3_ENDPOINT, REGION, ZONE, OWNER_ID, and
# OTHER_ACCESS_KEY_ID / OTHER_SECRET_ACCESS_KEY / OTHER_ACCOUNT_ID of a second account.
set -uo pipefail

: "${ENDPOINT:?}" "${S3_ENDPOINT:?}" "${REGION:?}" "${ZONE:?}" "${OWNER_ID:?}"
: "${OTHER_ACCESS_KEY_ID:?}" "${OTHER_SECRET_ACCESS_KEY:?}" "${OTHER_ACCOUNT_ID:?}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count=0

ok() { count=$((count + 1)); echo "ok $count - $1"; }
not_ok() {
  count=$((count + 1))
  echo "not ok $count - $1"
  shift
  for line in "$@"; do echo "  # $line"; done
}
# is DESCRIPTION ACTUAL EXPECTED
is() {
  if [[ "$2" == "$3" ]]; then ok "$1"; else not_ok "$1" "got:      $2" "expected: $3"; fi
}
# like DESCRIPTION ACTUAL REGEX
like() {
  if [[ "$2" =~ $3 ]]; then ok "$1"; else not_ok "$1" "got:      $2" "expected: /$3/"; fi
}
bail() {
  echo "Bail out! $(tr -s '\n' ' ' <<<"$*")"
  exit 1
}

v2() { /usr/bin/aws --endpoint-url "$ENDPOINT" --output text "$@"; }
v1() { aws --output text "$@"; }
other() { AWS_ACCESS_KEY_ID=$OTHER_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$OTHER_SECRET_ACCESS_KEY "$@"; }
# run VAR COMMAND...: the command's stdout into VAR; a failure ends the tour, as every later step depends on it.
run() {
  local into=$1 output
  shift
  output=$("$@" 2>"$work/stderr") || bail "$* failed: $(cat "$work/stderr")"
  printf -v "$into" '%s' "$output"
}
# fails_with DESCRIPTION CODE COMMAND...: the command fails with that EC2 error code.
fails_with() {
  local description=$1 code=$2 status
  shift 2
  "$@" >/dev/null 2>"$work/stderr"
  status=$?
  if [[ $status -ne 0 ]] && grep -q "($code) when calling" "$work/stderr"; then
    ok "$description"
  else
    not_ok "$description" "exit $status, stderr: $(tr '\n' ' ' <"$work/stderr")" "expected: ($code)"
  fi
}
# succeeds DESCRIPTION COMMAND...: the command exits 0.
succeeds() {
  local description=$1
  shift
  if "$@" >/dev/null 2>"$work/stderr"; then ok "$description"; else not_ok "$description" "$(tr -s '\n' ' ' <"$work/stderr")"; fi
}
words() { tr -s ' \t\n' '\n' <<<"$1" | grep -v '^$' | sort | tr '\n' ' ' | sed 's/ $//'; }

id_re='[0-9a-f]{17}'

# Regions and zones.
run regions v2 ec2 describe-regions --query 'Regions[].[RegionName,Endpoint]'
is "describe-regions: the one region, at this endpoint" "$regions" "$REGION	${ENDPOINT#https://}"
run regions v1 ec2 describe-regions --region-names "$REGION" --query 'Regions[].RegionName'
is "aws v1 describe-regions --region-names" "$regions" "$REGION"
run zones v2 ec2 describe-availability-zones --query 'AvailabilityZones[].[ZoneName,State,RegionName]'
is "describe-availability-zones" "$zones" "$ZONE	available	$REGION"
run verbose v2 ec2 describe-availability-zones --zone-names verbose --query 'AvailabilityZones[].ZoneName'
verbose=$(tr '\t' '\n' <<<"$verbose")
is "verbose zones: the zone first" "$(head -1 <<<"$verbose")" "$ZONE"
like "verbose zones: a header of capacity columns" "$verbose" $'\n''\|- vm types'$'\n'
like "verbose zones: m1.small free / max, cpu, ram, disk" "$verbose" '\|- m1\.small'
run small v2 ec2 describe-availability-zones --zone-names verbose \
  --query "AvailabilityZones[?ZoneName=='|- m1.small'].State"
like "verbose zones: m1.small's capacity as Eucalyptus prints it" "$small" '^[0-9]{4} / [0-9]{4} +1 +256 +5$'
capacity=$((10#${small%% /*}))
[[ $capacity -ge 3 ]] || bail "the node has room for $capacity m1.small instance(s), the tour needs 3"

# Key pairs: one made by the cloud, two imported (RSA with aws v1, ED25519 with v2), each with AWS's fingerprint.
run created v2 ec2 create-key-pair --key-name tour-made --query '[KeyName,KeyFingerprint,KeyPairId]'
read -r made_name made_fingerprint made_id <<<"$created"
is "create-key-pair: its name" "$made_name" "tour-made"
like "create-key-pair: key-pair id" "$made_id" "^key-$id_re$"
run material v2 ec2 describe-key-pairs --key-names tour-made --query 'KeyPairs[0].KeyFingerprint'
is "describe-key-pairs: the same fingerprint" "$material" "$made_fingerprint"
/usr/bin/aws --endpoint-url "$ENDPOINT" ec2 delete-key-pair --key-name tour-made >/dev/null
/usr/bin/aws --endpoint-url "$ENDPOINT" ec2 create-key-pair --key-name tour-key --query KeyMaterial --output text \
  >"$work/tour-key.pem" 2>"$work/stderr" || bail "create-key-pair tour-key: $(cat "$work/stderr")"
like "create-key-pair: an RSA private key" "$(head -1 "$work/tour-key.pem")" '^-----BEGIN RSA PRIVATE KEY-----$'
expected=$(openssl pkcs8 -topk8 -nocrypt -in "$work/tour-key.pem" -outform DER | openssl sha1 -c | sed 's/.*= //')
run fingerprint v2 ec2 describe-key-pairs --key-names tour-key --query 'KeyPairs[0].KeyFingerprint'
is "created key: SHA-1 of the PKCS#8 private key, as AWS prints it" "$fingerprint" "$expected"

ssh-keygen -q -t rsa -b 2048 -N '' -C tour-rsa -f "$work/id_rsa"
run fingerprint v1 ec2 import-key-pair --key-name tour-rsa --public-key-material "fileb://$work/id_rsa.pub" \
  --query KeyFingerprint
expected=$(ssh-keygen -e -m PKCS8 -f "$work/id_rsa.pub" | openssl pkey -pubin -outform DER | openssl md5 -c |
  sed 's/.*= //')
is "aws v1 import-key-pair RSA: MD5 of the public key, as AWS prints it" "$fingerprint" "$expected"
ssh-keygen -q -t ed25519 -N '' -C tour-ed -f "$work/id_ed25519"
run imported v2 ec2 import-key-pair --key-name tour-ed --public-key-material "fileb://$work/id_ed25519.pub" \
  --query '[KeyName,KeyFingerprint]'
expected=$(ssh-keygen -l -E sha256 -f "$work/id_ed25519.pub" | awk '{print $2}' | sed 's/^SHA256://')
is "import-key-pair ED25519: SHA-256, as ssh-keygen -l prints it" "$imported" "tour-ed	$expected="
run keys v2 ec2 describe-key-pairs --query 'KeyPairs[].[KeyName,KeyType]'
is "describe-key-pairs: all three, with their types" "$keys" "tour-ed	ed25519
tour-key	rsa
tour-rsa	rsa"
run keys v2 ec2 describe-key-pairs --filters Name=key-name,Values=tour-r* --query 'KeyPairs[].KeyName'
is "describe-key-pairs --filters key-name with a wildcard" "$keys" "tour-rsa"

# Security groups: ssh from a network, and the database open to the web tier's members.
run web v2 ec2 create-security-group --group-name tour-web --description "web tier" --query GroupId
like "create-security-group: an sg- id" "$web" "^sg-$id_re$"
run db v1 ec2 create-security-group --group-name tour-db --description "database tier" --query GroupId
like "aws v1 create-security-group" "$db" "^sg-$id_re$"
run discard v2 ec2 authorize-security-group-ingress --group-id "$web" --protocol tcp --port 22 --cidr 203.0.113.0/24
run discard v2 ec2 authorize-security-group-ingress --group-id "$db" --protocol tcp --port 5432 --source-group "$web"
fails_with "the same rule again: InvalidPermission.Duplicate" InvalidPermission.Duplicate \
  v2 ec2 authorize-security-group-ingress --group-id "$web" --protocol tcp --port 22 --cidr 203.0.113.0/24
run rule v2 ec2 describe-security-groups --group-ids "$web" \
  --query 'SecurityGroups[0].IpPermissions[].[IpProtocol,FromPort,ToPort,IpRanges[0].CidrIp]'
is "tour-web: tcp 22 from 203.0.113.0/24" "$rule" "tcp	22	22	203.0.113.0/24"
run rule v2 ec2 describe-security-groups --group-names tour-db \
  --query 'SecurityGroups[0].IpPermissions[].[IpProtocol,FromPort,ToPort,UserIdGroupPairs[0].GroupId,UserIdGroupPairs[0].UserId]'
is "tour-db: tcp 5432 from the members of tour-web" "$rule" "tcp	5432	5432	$web	$OWNER_ID"
run groups v1 ec2 describe-security-groups --filters Name=ip-permission.from-port,Values=22 \
  --query 'SecurityGroups[].GroupName'
is "aws v1 describe-security-groups --filters ip-permission.from-port" "$groups" "tour-web"

# Images: a kernel, a ramdisk and a machine image booting with them, uploaded to Walrus first.
head -c 65536 /dev/urandom >"$work/vmlinuz"
head -c 65536 /dev/urandom >"$work/initrd"
head -c 1048576 /dev/urandom >"$work/disk.img"
run discard /usr/bin/aws --endpoint-url "$S3_ENDPOINT" s3 mb s3://tour-cli
run discard /usr/bin/aws --endpoint-url "$S3_ENDPOINT" s3 cp "$work/vmlinuz" s3://tour-cli/vmlinuz
run discard aws s3 cp "$work/initrd" s3://tour-cli/initrd
run discard aws s3 cp "$work/disk.img" s3://tour-cli/disk.img
fails_with "the other account cannot register the owner's object: InvalidManifest" InvalidManifest \
  other v2 ec2 register-image --name stolen --image-location tour-cli/disk.img
run kernel v2 ec2 register-image --name tour-cli-kernel --image-location tour-cli/vmlinuz --kernel-id true \
  --query ImageId
like "register-image kernel: an aki- id" "$kernel" "^aki-$id_re$"
run ramdisk v1 ec2 register-image --name tour-cli-ramdisk --image-location tour-cli/initrd --ramdisk-id true \
  --query ImageId
like "aws v1 register-image ramdisk: an ari- id" "$ramdisk" "^ari-$id_re$"
run image v2 ec2 register-image --name tour-cli-machine --image-location tour-cli/disk.img \
  --kernel-id "$kernel" --ramdisk-id "$ramdisk" --query ImageId
like "register-image machine: an ami- id" "$image" "^ami-$id_re$"
run described v2 ec2 describe-images --owners self \
  --query 'sort_by(Images,&ImageType)[].[ImageType,ImageId,State,OwnerId,Public]'
is "describe-images --owners self: the three, available and private" "$described" "kernel	$kernel	available	$OWNER_ID	False
machine	$image	available	$OWNER_ID	False
ramdisk	$ramdisk	available	$OWNER_ID	False"
run described v2 ec2 describe-images --image-ids "$image" --query 'Images[0].[KernelId,RamdiskId,VirtualizationType]'
is "the machine image boots with its kernel and ramdisk, paravirtual" "$described" "$kernel	$ramdisk	paravirtual"

# Instances: more than the zone has room for is refused whole; three in one call.
fails_with "run-instances beyond the zone's capacity: InsufficientInstanceCapacity" InsufficientInstanceCapacity \
  v2 ec2 run-instances --image-id "$image" --count $((capacity + 1))
want=3
printf '#!/bin/sh\necho hello from the tour\n' >"$work/user-data"
run launched v2 ec2 run-instances --image-id "$image" --count 3 --instance-type m1.small --key-name tour-key \
  --security-group-ids "$web" --user-data "file://$work/user-data" --client-token "tour-cli-$$" \
  --tag-specifications 'ResourceType=instance,Tags=[{Key=tour,Value=cli},{Key=Name,Value=tour-cli}]' \
  --query '[ReservationId,OwnerId,length(Instances)]'
read -r reservation owner launched_count <<<"$launched"
like "run-instances: a reservation r-" "$reservation" "^r-$id_re$"
is "run-instances: owned by this account" "$owner" "$OWNER_ID"
is "run-instances: $want instances" "$launched_count" "$want"
run ids v2 ec2 describe-instances --filters "Name=reservation-id,Values=$reservation" \
  --query 'Reservations[].Instances[].InstanceId'
read -r -a instances <<<"$(words "$ids" | tr '\n' ' ')"
is "describe-instances --filters reservation-id: each of them" "${#instances[@]}" "$want"
for id in "${instances[@]}"; do like "instance id in AWS form" "$id" "^i-$id_re$"; done
run shown v2 ec2 describe-instances --instance-ids "${instances[@]}" \
  --query 'Reservations[].Instances[].[ImageId,KernelId,RamdiskId,InstanceType,KeyName,SecurityGroups[0].GroupId,Placement.AvailabilityZone]'
is "each as launched: image, kernel, ramdisk, type, key, group, zone" "$(sort -u <<<"$shown")" \
  "$image	$kernel	$ramdisk	m1.small	tour-key	$web	$ZONE"
run again v2 ec2 run-instances --image-id "$image" --count 3 --instance-type m1.small --key-name tour-key \
  --security-group-ids "$web" --user-data "file://$work/user-data" --client-token "tour-cli-$$" \
  --tag-specifications 'ResourceType=instance,Tags=[{Key=tour,Value=cli},{Key=Name,Value=tour-cli}]' \
  --query ReservationId
is "run-instances again with the same client token: the same reservation" "$again" "$reservation"

/usr/bin/aws --endpoint-url "$ENDPOINT" ec2 wait instance-running --instance-ids "${instances[@]}" 2>"$work/stderr" ||
  bail "wait instance-running: $(cat "$work/stderr")"
run states v2 ec2 describe-instances --instance-ids "${instances[@]}" \
  --query 'Reservations[].Instances[].[State.Name,State.Code]'
is "aws ec2 wait instance-running: all running" "$(sort -u <<<"$states")" "running	16"
run user_data v2 ec2 describe-instance-attribute --instance-id "${instances[0]}" --attribute userData \
  --query UserData.Value
is "describe-instance-attribute userData: what was given" "$(base64 -d <<<"$user_data")" "$(cat "$work/user-data")"

# Tags and filters.
first=${instances[0]}
run discard v2 ec2 create-tags --resources "${instances[@]}" --tags Key=role,Value=worker
run discard v1 ec2 create-tags --resources "$first" --tags Key=Name,Value=tour-first Key=shard,Value=1
run tags v2 ec2 describe-tags --filters "Name=resource-id,Values=$first" --query 'Tags[].[Key,Value,ResourceType]'
is "describe-tags of the first: its tags, Name replaced" "$tags" "Name	tour-first	instance
role	worker	instance
shard	1	instance
tour	cli	instance"
run found v2 ec2 describe-instances --filters Name=tag:Name,Values=tour-first \
  --query 'Reservations[].Instances[].InstanceId'
is "filter tag:Name: exactly the first" "$found" "$first"
run found v1 ec2 describe-instances --filters Name=tag:tour,Values=cli Name=tag:role,Values=worker \
  --query 'Reservations[].Instances[].InstanceId'
is "aws v1 filter tag:tour and tag:role: all of them" "$(words "$found")" "$(words "${instances[*]}")"
run found v2 ec2 describe-instances --filters Name=tag-key,Values=shard --query 'Reservations[].Instances[].InstanceId'
is "filter tag-key: exactly the first" "$found" "$first"
run found v2 ec2 describe-instances --filters Name=tag:tour,Values=cli Name=instance-state-name,Values=running \
  --query 'Reservations[].Instances[].InstanceId'
is "filter instance-state-name=running: all of them" "$(words "$found")" "$(words "${instances[*]}")"
run found v2 ec2 describe-instances --filters Name=tag:tour,Values=cli Name=instance-type,Values=m1.small \
  --query 'Reservations[].Instances[].InstanceId'
is "filter instance-type=m1.small: all of them" "$(words "$found")" "$(words "${instances[*]}")"
run found v2 ec2 describe-instances --filters Name=instance-type,Values=c1.medium \
  --query 'length(Reservations[].Instances[])'
is "filter instance-type=c1.medium: none" "$found" "0"

# Stop one and start it again.
run stopping v2 ec2 stop-instances --instance-ids "$first" \
  --query 'StoppingInstances[0].[InstanceId,PreviousState.Name,CurrentState.Name]'
is "stop-instances: running -> stopping" "$stopping" "$first	running	stopping"
/usr/bin/aws --endpoint-url "$ENDPOINT" ec2 wait instance-stopped --instance-ids "$first" 2>"$work/stderr" ||
  bail "wait instance-stopped: $(cat "$work/stderr")"
run found v2 ec2 describe-instances --filters Name=tag:tour,Values=cli Name=instance-state-name,Values=stopped \
  --query 'Reservations[].Instances[].[InstanceId,State.Code]'
is "aws ec2 wait instance-stopped; filter stopped: exactly that one" "$found" "$first	80"
run found v2 ec2 describe-instances --filters Name=tag:tour,Values=cli Name=instance-state-name,Values=running \
  --query 'length(Reservations[].Instances[])'
is "filter running: the others" "$found" "$((want - 1))"
fails_with "reboot a stopped instance: IncorrectInstanceState" IncorrectInstanceState \
  v2 ec2 reboot-instances --instance-ids "$first"
run starting v2 ec2 start-instances --instance-ids "$first" \
  --query 'StartingInstances[0].[PreviousState.Name,CurrentState.Name]'
is "start-instances: stopped -> pending" "$starting" "stopped	pending"
/usr/bin/aws --endpoint-url "$ENDPOINT" ec2 wait instance-running --instance-ids "$first" 2>"$work/stderr" ||
  bail "wait instance-running after start: $(cat "$work/stderr")"
run state v2 ec2 describe-instances --instance-ids "$first" --query 'Reservations[0].Instances[0].State.Name'
is "aws ec2 wait instance-running: running again" "$state" "running"

# Console output (the simulated hypervisor's guests print nothing, but the call answers for the instance).
run console v2 ec2 get-console-output --instance-id "$first" --query InstanceId
is "get-console-output: for that instance" "$console" "$first"
run console v1 ec2 get-console-output --instance-id "$first" --query Timestamp
like "aws v1 get-console-output: a timestamp" "$console" '^20[0-9]{2}-'

# Another account sees none of it and can touch none of it.
run seen other v2 ec2 describe-instances --query 'length(Reservations)'
is "the other account: no instances" "$seen" "0"
fails_with "the other account: describe-instances by id is InvalidInstanceID.NotFound" InvalidInstanceID.NotFound \
  other v2 ec2 describe-instances --instance-ids "$first"
fails_with "the other account: terminate-instances is InvalidInstanceID.NotFound" InvalidInstanceID.NotFound \
  other v1 ec2 terminate-instances --instance-ids "${instances[@]}"
fails_with "the other account: stop-instances is InvalidInstanceID.NotFound" InvalidInstanceID.NotFound \
  other v2 ec2 stop-instances --instance-ids "$first"
fails_with "the other account: create-tags on them is InvalidID-like NotFound" InvalidInstanceID.NotFound \
  other v2 ec2 create-tags --resources "$first" --tags Key=owned,Value=no
run seen other v2 ec2 describe-security-groups --query 'SecurityGroups[].GroupName'
is "the other account: only its own default group" "$seen" "default"
fails_with "the other account: tour-web by id is InvalidGroup.NotFound" InvalidGroup.NotFound \
  other v2 ec2 describe-security-groups --group-ids "$web"
run seen other v2 ec2 describe-key-pairs --query 'length(KeyPairs)'
is "the other account: no key pairs" "$seen" "0"
fails_with "the other account: tour-key is InvalidKeyPair.NotFound" InvalidKeyPair.NotFound \
  other v2 ec2 describe-key-pairs --key-names tour-key
run seen other v2 ec2 describe-images --owners "$OWNER_ID" --query 'length(Images)'
is "the other account: none of the owner's images" "$seen" "0"
fails_with "the other account: run-instances of the private image is InvalidAMIID.NotFound" InvalidAMIID.NotFound \
  other v2 ec2 run-instances --image-id "$image" --count 1
run discard v2 ec2 modify-image-attribute --image-id "$image" --launch-permission 'Add=[{Group=all}]'
run seen other v2 ec2 describe-images --image-ids "$image" --query 'Images[].[ImageId,Public,OwnerId]'
is "made public, the other account sees the image" "$seen" "$image	True	$OWNER_ID"
run seen other v2 ec2 describe-images --owners "$OWNER_ID" --query 'Images[].ImageId'
is "... and only that one of the owner's" "$seen" "$image"
fails_with "the other account still cannot deregister it: AuthFailure" AuthFailure \
  other v2 ec2 deregister-image --image-id "$image"

# Terminate all and wait until they are gone.
run terminating v2 ec2 terminate-instances --instance-ids "${instances[@]}" \
  --query 'TerminatingInstances[].[PreviousState.Name,CurrentState.Name]'
is "terminate-instances: running -> shutting-down" "$(sort -u <<<"$terminating")" "running	shutting-down"
/usr/bin/aws --endpoint-url "$ENDPOINT" ec2 wait instance-terminated --instance-ids "${instances[@]}" \
  2>"$work/stderr" || bail "wait instance-terminated: $(cat "$work/stderr")"
run states v2 ec2 describe-instances --instance-ids "${instances[@]}" --query 'Reservations[].Instances[].State.Code'
is "aws ec2 wait instance-terminated: all terminated" "$(sort -u <<<"$(words "$states" | tr ' ' '\n')")" "48"
run found v2 ec2 describe-instances --filters Name=tag:tour,Values=cli Name=instance-state-name,Values=running \
  --query 'length(Reservations[].Instances[])'
is "filter running: none left" "$found" "0"
run again v2 ec2 terminate-instances --instance-ids "$first" --query 'TerminatingInstances[0].CurrentState.Name'
is "terminate-instances again: still terminated" "$again" "terminated"

# Clean up what the tour made, which also shows deletion works.
run discard v2 ec2 revoke-security-group-ingress --group-id "$db" --protocol tcp --port 5432 --source-group "$web"
run discard v2 ec2 delete-security-group --group-id "$db"
# AWS lets a group go once its instances are terminated, though they stay visible for an hour.
succeeds "delete-security-group tour-web after its instances terminated" \
  v2 ec2 delete-security-group --group-name tour-web
for name in tour-key tour-rsa tour-ed; do run discard v2 ec2 delete-key-pair --key-name "$name"; done
for id in "$image" "$kernel" "$ramdisk"; do run discard v2 ec2 deregister-image --image-id "$id"; done
run left v2 ec2 describe-key-pairs --query 'length(KeyPairs)'
is "no key pairs left" "$left" "0"
run left v2 ec2 describe-images --owners self --query 'length(Images)'
is "no images left" "$left" "0"

echo "1..$count"
