"""The EC2 tour with boto3, as a Python user would write it: real waiters, exact answers. Prints TAP; run by
ec2-tour-boto3.test.ts with Debian's python3 (boto3 1.26) and the image's (a current boto3).

Needs: AWS_CONFIG_FILE and AWS_CA_BUNDLE of the cloud, ENDPOINT (EC2), S3_ENDPOINT, REGION, ZONE, OWNER_ID, PREFIX
(names of this run's resources, so two runs can share a cloud), and OTHER_ACCESS_KEY_ID / OTHER_SECRET_ACCESS_KEY of
a second account.
"""

import base64
import os
import re
import subprocess
import sys
import tempfile
import traceback

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

env = os.environ
endpoint, region, zone = env["ENDPOINT"], env["REGION"], env["ZONE"]
owner, prefix = env["OWNER_ID"], env["PREFIX"]
work = tempfile.mkdtemp()
count = 0

ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=region)
s3 = boto3.client("s3", endpoint_url=env["S3_ENDPOINT"], region_name=region,
                  config=Config(s3={"addressing_style": "path"}))
other = boto3.client(
    "ec2",
    endpoint_url=endpoint,
    region_name=region,
    aws_access_key_id=env["OTHER_ACCESS_KEY_ID"],
    aws_secret_access_key=env["OTHER_SECRET_ACCESS_KEY"],
)
# Waiters poll every second here, not every 15: the simulated hypervisor is quick.
fast = {"Delay": 1, "MaxAttempts": 60}


def point(passed, description, *diagnostics):
    global count
    count += 1
    print(f"{'ok' if passed else 'not ok'} {count} - {description}")
    if not passed:
        for line in diagnostics:
            print(f"  # {line}")


def equal(actual, expected, description):
    point(actual == expected, description, f"got:      {actual!r}", f"expected: {expected!r}")


def like(actual, pattern, description):
    point(re.fullmatch(pattern, str(actual)) is not None, description, f"got: {actual!r}", f"expected: /{pattern}/")


def fails_with(code, description, call, **params):
    try:
        call(**params)
    except ClientError as error:
        got = error.response["Error"]["Code"]
        return point(got == code, description, f"got: {got}: {error}", f"expected: {code}")
    point(False, description, "no error", f"expected: {code}")


def shell(*argv, stdin=None):
    return subprocess.run(argv, input=stdin, capture_output=True, check=True).stdout


def instance_ids(client=ec2, **params):
    reservations = client.describe_instances(**params)["Reservations"]
    return sorted(i["InstanceId"] for r in reservations for i in r["Instances"])


def tag_filter(*extra):
    return [{"Name": "tag:tour", "Values": [prefix]}, *extra]


def tour():
    id_re = "[0-9a-f]{17}"
    print(f"# boto3 {boto3.__version__}, botocore {botocore.__version__}, python {sys.version.split()[0]}")

    # Regions and zones.
    regions = ec2.describe_regions()["Regions"]
    equal([(r["RegionName"], r["Endpoint"]) for r in regions], [(region, endpoint.removeprefix("https://"))],
          "describe_regions: the one region, at this endpoint")
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    equal([(z["ZoneName"], z["State"], z["RegionName"]) for z in zones], [(zone, "available", region)],
          "describe_availability_zones")
    verbose = ec2.describe_availability_zones(ZoneNames=["verbose"])["AvailabilityZones"]
    equal(verbose[0]["ZoneName"], zone, "verbose zones: the zone first")
    equal(verbose[1]["ZoneName"], "|- vm types", "verbose zones: then the column header")
    small = next(z["State"] for z in verbose if z["ZoneName"] == "|- m1.small")
    like(small, r"\d{4} / \d{4} +1 +256 +5", "verbose zones: m1.small's free / max, cpu, ram, disk")
    capacity = int(small.split(" / ")[0])
    if capacity < 3:
        raise RuntimeError(f"the zone has room for {capacity} m1.small instance(s), the tour needs 3")

    # Key pairs: one made by the cloud, one imported from ssh-keygen, with AWS's fingerprints.
    made = ec2.create_key_pair(KeyName=f"{prefix}-key")
    like(made["KeyPairId"], f"key-{id_re}", "create_key_pair: key-pair id")
    pkcs8 = shell("openssl", "pkcs8", "-topk8", "-nocrypt", "-outform", "DER", stdin=made["KeyMaterial"].encode())
    equal(made["KeyFingerprint"], shell("openssl", "sha1", "-c", stdin=pkcs8).decode().split("= ")[1].strip(),
          "create_key_pair: SHA-1 of the PKCS#8 private key")
    key_file = os.path.join(work, "id_ed25519")
    shell("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "boto3", "-f", key_file)
    with open(f"{key_file}.pub", "rb") as public:
        public_key = public.read()
    imported = ec2.import_key_pair(KeyName=f"{prefix}-ed", PublicKeyMaterial=public_key)
    expected = shell("ssh-keygen", "-l", "-E", "sha256", "-f", f"{key_file}.pub").decode().split()[1]
    equal(f"SHA256:{imported['KeyFingerprint'].rstrip('=')}", expected, "import_key_pair ED25519: ssh-keygen's SHA256")
    fails_with("InvalidKeyPair.Duplicate", "import_key_pair again: InvalidKeyPair.Duplicate", ec2.import_key_pair,
               KeyName=f"{prefix}-ed", PublicKeyMaterial=public_key)
    pairs = ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": [f"{prefix}-*"]}])["KeyPairs"]
    equal(sorted((p["KeyName"], p["KeyType"]) for p in pairs), [(f"{prefix}-ed", "ed25519"), (f"{prefix}-key", "rsa")],
          "describe_key_pairs: both, with their types")

    # Security groups: ssh from a network, the database open to the web tier's members.
    web = ec2.create_security_group(GroupName=f"{prefix}-web", Description="web tier")["GroupId"]
    db = ec2.create_security_group(GroupName=f"{prefix}-db", Description="database tier")["GroupId"]
    like(web, f"sg-{id_re}", "create_security_group: an sg- id")
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "198.51.100.0/24"}]}])
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": web}]}])
    groups = {g["GroupId"]: g for g in ec2.describe_security_groups(GroupIds=[web, db])["SecurityGroups"]}
    rule = groups[web]["IpPermissions"][0]
    equal((rule["IpProtocol"], rule["FromPort"], rule["ToPort"], rule["IpRanges"][0]["CidrIp"]),
          ("tcp", 22, 22, "198.51.100.0/24"), "web: tcp 22 from 198.51.100.0/24")
    rule = groups[db]["IpPermissions"][0]
    equal((rule["FromPort"], rule["UserIdGroupPairs"][0]["GroupId"], rule["UserIdGroupPairs"][0]["UserId"]),
          (5432, web, owner), "db: tcp 5432 from the web group's members")
    fails_with("InvalidGroup.Duplicate", "create_security_group again: InvalidGroup.Duplicate",
               ec2.create_security_group, GroupName=f"{prefix}-web", Description="again")

    # Images: kernel, ramdisk, and a machine image booting with them, uploaded to Walrus first.
    s3.create_bucket(Bucket=prefix)
    for name, size in (("vmlinuz", 65536), ("initrd", 65536), ("disk.img", 1 << 20)):
        s3.put_object(Bucket=prefix, Key=name, Body=os.urandom(size))
    fails_with("InvalidManifest", "the other account cannot register the owner's object: InvalidManifest",
               other.register_image, Name="stolen", ImageLocation=f"{prefix}/disk.img")
    kernel = ec2.register_image(Name=f"{prefix}-kernel", ImageLocation=f"{prefix}/vmlinuz", KernelId="true")["ImageId"]
    ramdisk = ec2.register_image(Name=f"{prefix}-ramdisk", ImageLocation=f"{prefix}/initrd",
                                 RamdiskId="true")["ImageId"]
    image = ec2.register_image(Name=f"{prefix}-machine", ImageLocation=f"{prefix}/disk.img", KernelId=kernel,
                               RamdiskId=ramdisk)["ImageId"]
    like(f"{kernel} {ramdisk} {image}", f"aki-{id_re} ari-{id_re} ami-{id_re}", "register_image: aki-, ari-, ami-")
    ec2.get_waiter("image_available").wait(ImageIds=[image], WaiterConfig=fast)
    mine = ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": [f"{prefix}-*"]}])["Images"]
    equal(sorted((i["ImageType"], i["ImageId"], i["State"], i["Public"]) for i in mine),
          [("kernel", kernel, "available", False), ("machine", image, "available", False),
           ("ramdisk", ramdisk, "available", False)], "describe_images Owners=self: the three, private")

    # Instances: beyond the zone's room is refused whole; three in one call.
    fails_with("InsufficientInstanceCapacity", "run_instances beyond capacity: InsufficientInstanceCapacity",
               ec2.run_instances, ImageId=image, MinCount=capacity + 1, MaxCount=capacity + 1)
    user_data = f"#!/bin/sh\necho hello from {prefix}\n"
    launched = ec2.run_instances(
        ImageId=image, MinCount=3, MaxCount=3, InstanceType="m1.small", KeyName=f"{prefix}-key",
        SecurityGroupIds=[web], UserData=user_data, ClientToken=f"{prefix}-launch",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "tour", "Value": prefix}]}])
    like(launched["ReservationId"], f"r-{id_re}", "run_instances: a reservation r-")
    equal(launched["OwnerId"], owner, "run_instances: owned by this account")
    ids = sorted(i["InstanceId"] for i in launched["Instances"])
    equal(len(ids), 3, "run_instances: three instances")
    for instance in launched["Instances"]:
        like(instance["InstanceId"], f"i-{id_re}", "an instance id in AWS form")
        equal((instance["State"]["Name"], instance["KeyName"], instance["SecurityGroups"][0]["GroupId"],
               instance["Placement"]["AvailabilityZone"], instance["KernelId"], instance["Tags"]),
              ("pending", f"{prefix}-key", web, zone, kernel, [{"Key": "tour", "Value": prefix}]),
              "launched pending, with its key, group, zone, kernel and tags")
    equal(sorted(i["AmiLaunchIndex"] for i in launched["Instances"]), [0, 1, 2], "launch indexes 0, 1, 2")
    again = ec2.run_instances(
        ImageId=image, MinCount=3, MaxCount=3, InstanceType="m1.small", KeyName=f"{prefix}-key",
        SecurityGroupIds=[web], UserData=user_data, ClientToken=f"{prefix}-launch",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "tour", "Value": prefix}]}])
    equal(again["ReservationId"], launched["ReservationId"], "the same ClientToken again: the same reservation")

    ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig=fast)
    equal(instance_ids(Filters=tag_filter({"Name": "instance-state-name", "Values": ["running"]})), ids,
          "instance_running waiter: all three running")
    ec2.get_waiter("instance_status_ok").wait(InstanceIds=ids, WaiterConfig=fast)
    statuses = ec2.describe_instance_status(InstanceIds=ids)["InstanceStatuses"]
    equal(sorted((s["InstanceId"], s["InstanceStatus"]["Status"]) for s in statuses), [(i, "ok") for i in ids],
          "instance_status_ok waiter: status ok")
    attribute = ec2.describe_instance_attribute(InstanceId=ids[0], Attribute="userData")
    equal(base64.b64decode(attribute["UserData"]["Value"]).decode(), user_data, "user data as given (base64 by boto3)")

    # Tags and filters.
    first, rest = ids[0], ids[1:]
    ec2.create_tags(Resources=ids, Tags=[{"Key": "role", "Value": "worker"}])
    ec2.create_tags(Resources=[first], Tags=[{"Key": "Name", "Value": f"{prefix}-first"}])
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [first]}])["Tags"]
    equal(sorted((t["Key"], t["Value"], t["ResourceType"]) for t in tags),
          [("Name", f"{prefix}-first", "instance"), ("role", "worker", "instance"), ("tour", prefix, "instance")],
          "describe_tags of the first")
    equal(instance_ids(Filters=[{"Name": "tag:Name", "Values": [f"{prefix}-first"]}]), [first],
          "filter tag:Name: exactly the first")
    equal(instance_ids(Filters=tag_filter({"Name": "tag:role", "Values": ["worker"]})), ids, "filter tag:role: all")
    equal(instance_ids(Filters=tag_filter({"Name": "tag-key", "Values": ["Name"]})), [first], "filter tag-key: first")
    equal(instance_ids(Filters=tag_filter({"Name": "instance-type", "Values": ["m1.small"]})), ids,
          "filter instance-type=m1.small: all")
    equal(instance_ids(Filters=tag_filter({"Name": "instance-type", "Values": ["c1.medium"]})), [],
          "filter instance-type=c1.medium: none")
    pages = list(ec2.get_paginator("describe_instances").paginate(Filters=tag_filter(),
                                                                  PaginationConfig={"PageSize": 5}))
    equal(sorted(i["InstanceId"] for p in pages for r in p["Reservations"] for i in r["Instances"]), ids,
          "the describe_instances paginator: all three")

    # Stop one, start it again.
    stopping = ec2.stop_instances(InstanceIds=[first])["StoppingInstances"]
    equal([(s["PreviousState"]["Name"], s["CurrentState"]["Name"]) for s in stopping], [("running", "stopping")],
          "stop_instances: running -> stopping")
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[first], WaiterConfig=fast)
    equal(instance_ids(Filters=tag_filter({"Name": "instance-state-name", "Values": ["stopped"]})), [first],
          "instance_stopped waiter; filter stopped: exactly that one")
    equal(instance_ids(Filters=tag_filter({"Name": "instance-state-name", "Values": ["running"]})), rest,
          "filter running: the other two")
    starting = ec2.start_instances(InstanceIds=[first])["StartingInstances"]
    equal([(s["PreviousState"]["Name"], s["CurrentState"]["Name"]) for s in starting], [("stopped", "pending")],
          "start_instances: stopped -> pending")
    ec2.get_waiter("instance_running").wait(InstanceIds=[first], WaiterConfig=fast)
    equal(instance_ids(Filters=tag_filter({"Name": "instance-state-name", "Values": ["running"]})), ids,
          "instance_running waiter: all three running again")

    console = ec2.get_console_output(InstanceId=first)
    equal(console["InstanceId"], first, "get_console_output: for that instance")
    point("Timestamp" in console, "get_console_output: a timestamp")

    # Another account sees none of it and can touch none of it.
    equal(instance_ids(client=other), [], "the other account: no instances")
    fails_with("InvalidInstanceID.NotFound", "the other account: describe by id is InvalidInstanceID.NotFound",
               other.describe_instances, InstanceIds=[first])
    fails_with("InvalidInstanceID.NotFound", "the other account: terminate is InvalidInstanceID.NotFound",
               other.terminate_instances, InstanceIds=ids)
    fails_with("InvalidInstanceID.NotFound", "the other account: reboot is InvalidInstanceID.NotFound",
               other.reboot_instances, InstanceIds=[first])
    fails_with("InvalidInstanceID.NotFound", "the other account: console output is InvalidInstanceID.NotFound",
               other.get_console_output, InstanceId=first)
    names = [g["GroupName"] for g in other.describe_security_groups()["SecurityGroups"]]
    equal(names, ["default"], "the other account: only its own default group")
    fails_with("InvalidGroup.NotFound", "the other account: the web group is InvalidGroup.NotFound",
               other.authorize_security_group_ingress, GroupId=web, IpProtocol="tcp", FromPort=1, ToPort=1,
               CidrIp="0.0.0.0/0")
    equal(other.describe_key_pairs()["KeyPairs"], [], "the other account: no key pairs")
    fails_with("InvalidKeyPair.NotFound", "the other account: cannot launch with the key",
               other.describe_key_pairs, KeyNames=[f"{prefix}-key"])
    equal(other.describe_images(Owners=[owner])["Images"], [], "the other account: none of the owner's images")
    fails_with("InvalidAMIID.NotFound", "the other account: run_instances of the private image is NotFound",
               other.run_instances, ImageId=image, MinCount=1, MaxCount=1)
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"UserId": env["OTHER_ACCOUNT_ID"]}]})
    shared = other.describe_images(ExecutableUsers=["self"], Owners=[owner])["Images"]
    equal([(i["ImageId"], i["Public"]) for i in shared], [(image, False)],
          "shared with the other account: it sees the image, still not public")
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Remove": [{"UserId": env["OTHER_ACCOUNT_ID"]}]})
    equal(other.describe_images(Owners=[owner])["Images"], [], "unshared: gone again")

    # Terminate all and wait until they are gone.
    terminating = ec2.terminate_instances(InstanceIds=ids)["TerminatingInstances"]
    equal(sorted(set((t["PreviousState"]["Name"], t["CurrentState"]["Name"]) for t in terminating)),
          [("running", "shutting-down")], "terminate_instances: running -> shutting-down")
    ec2.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig=fast)
    equal(instance_ids(Filters=tag_filter({"Name": "instance-state-name", "Values": ["terminated"]})), ids,
          "instance_terminated waiter: all three terminated, still listed")
    fails_with("IncorrectInstanceState", "start_instances of a terminated one: IncorrectInstanceState",
               ec2.start_instances, InstanceIds=[first])

    # Clean up what can go: the images and keys (the groups stay while the clc counts terminated members).
    ec2.revoke_security_group_ingress(GroupId=db, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": web}]}])
    ec2.delete_security_group(GroupId=db)
    for key in (f"{prefix}-key", f"{prefix}-ed"):
        ec2.delete_key_pair(KeyName=key)
    for image_id in (image, kernel, ramdisk):
        ec2.deregister_image(ImageId=image_id)
    equal(ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": [f"{prefix}-*"]}])["Images"], [],
          "deregistered: no images left")


try:
    tour()
except Exception:
    print("Bail out! " + traceback.format_exc().strip().replace("\n", " | "))
    sys.exit(1)
print(f"1..{count}")
