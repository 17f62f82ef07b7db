"""Signs requests with botocore's own signers and prints them, as they would go on the wire, as JSON.

Usage: python3 botocore-sign.py ACCESS_KEY SECRET
The TypeScript test verifies every request with Mallee's verifier, at the instant printed in "now".
"""

import base64
import json
import sys
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

from botocore.auth import (
    HmacV1Auth,
    HmacV1QueryAuth,
    S3SigV4Auth,
    S3SigV4QueryAuth,
    SigV2Auth,
    SigV4Auth,
    SigV4QueryAuth,
)
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ENDPOINT = "http://127.0.0.1:8773"
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def wire(name, profile, signer, request, expect):
    """Signs a request and describes it as the server receives it."""
    signer.add_auth(request)
    prepared = request.prepare()
    split = urlsplit(prepared.url)
    headers = {key.lower(): value for key, value in prepared.headers.items()}
    # urllib3 sends the Host header botocore signed but never set.
    headers.setdefault("host", split.netloc)
    body = prepared.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    return {
        "name": name,
        "profile": profile,
        "method": prepared.method,
        "path": split.path or "/",
        "query": split.query,
        "headers": headers,
        "body": None if body is None else base64.b64encode(body).decode("ascii"),
        "expect": expect,
    }


def s3_url(bucket, key, query=""):
    return f"{ENDPOINT}/{bucket}/{quote(key, safe='/~')}" + (f"?{query}" if query else "")


def main():
    creds = Credentials(sys.argv[1], sys.argv[2])
    odd_key = "reports/2026 Q1+final=v2/caf\u00e9 \u2603 (copy)*.txt"
    cases = [
        wire(
            "SigV4Auth: EC2 RunInstances in a form body",
            "ec2",
            SigV4Auth(creds, "ec2", "us-east-1"),
            AWSRequest(
                method="POST",
                url=f"{ENDPOINT}/",
                headers=dict(FORM),
                data={
                    "Action": "RunInstances",
                    "Version": "2016-11-15",
                    "ImageId": "emi-0123456789abcdef0",
                    "UserData": "IyEvYmluL3NoCmVjaG8gaGk=",
                    "TagSpecification.1.Tag.1.Value": "web server & db+cache",
                },
            ),
            {"method": "sigv4-header", "service": "ec2"},
        ),
        wire(
            "SigV4Auth: STS GetCallerIdentity with parameters in the URL",
            "query",
            SigV4Auth(creds, "sts", "mallee-1"),
            AWSRequest(
                method="GET",
                url=f"{ENDPOINT}/",
                params={"Action": "GetCallerIdentity", "Version": "2011-06-15", "Note": "a b=c&d~\u00e9"},
            ),
            {"method": "sigv4-header", "service": "sts", "region": "mallee-1"},
        ),
        wire(
            "SigV4QueryAuth: a presigned STS request",
            "query",
            SigV4QueryAuth(creds, "sts", "us-east-1", expires=300),
            AWSRequest(method="GET", url=f"{ENDPOINT}/", params={"Action": "GetCallerIdentity", "Version": "2011-06-15"}),
            {"method": "sigv4-query", "service": "sts"},
        ),
        wire(
            "SigV4QueryAuth: a presigned EC2 POST, its form body moved into the query",
            "ec2",
            SigV4QueryAuth(creds, "ec2", "us-east-1", expires=600),
            AWSRequest(
                method="POST",
                url=f"{ENDPOINT}/",
                headers=dict(FORM),
                data={"Action": "DescribeInstances", "Version": "2016-11-15", "Filter.1.Name": "tag:Name"},
            ),
            {"method": "sigv4-query", "service": "ec2"},
        ),
        wire(
            "S3SigV4Auth: PUT of an awkward key, payload signed",
            "s3",
            S3SigV4Auth(creds, "s3", "us-east-1"),
            AWSRequest(
                method="PUT",
                url=s3_url("bucket", odd_key),
                headers={"Content-Type": "text/plain", "x-amz-meta-owner": "  alice   smith  "},
                data=b"hello, walrus\n",
            ),
            {"method": "sigv4-header", "service": "s3"},
        ),
        wire(
            "S3SigV4Auth: ListObjectsV2 with a prefix and delimiter",
            "s3",
            S3SigV4Auth(creds, "s3", "us-east-1"),
            AWSRequest(
                method="GET",
                url=s3_url("bucket", "", "list-type=2&prefix=reports%2F2026%20Q1%2B&delimiter=%2F&encoding-type=url"),
            ),
            {"method": "sigv4-header", "service": "s3"},
        ),
        wire(
            "S3SigV4QueryAuth: a presigned GET of an awkward key",
            "s3",
            S3SigV4QueryAuth(creds, "s3", "us-east-1", expires=3600),
            AWSRequest(method="GET", url=s3_url("bucket", odd_key, "versionId=3%2B4")),
            {"method": "sigv4-query", "service": "s3"},
        ),
        wire(
            "HmacV1Auth: S3 v2 PUT with metadata and a content type",
            "s3",
            HmacV1Auth(creds),
            AWSRequest(
                method="PUT",
                url=s3_url("bucket", odd_key),
                headers={"Content-Type": "text/plain", "x-amz-meta-owner": "alice", "x-amz-acl": "private"},
                data=b"hello again\n",
            ),
            {"method": "s3-v2-header"},
        ),
        wire(
            "HmacV1Auth: S3 v2 GET of a sub-resource",
            "s3",
            HmacV1Auth(creds),
            AWSRequest(method="GET", url=s3_url("bucket", "photos/puppy.jpg", "acl&versionId=abc%2F1&prefix=x")),
            {"method": "s3-v2-header"},
        ),
        wire(
            "HmacV1QueryAuth: an S3 v2 presigned GET",
            "s3",
            HmacV1QueryAuth(creds, expires=600),
            AWSRequest(method="GET", url=s3_url("bucket", odd_key, "response-content-type=text%2Fplain")),
            {"method": "s3-v2-query"},
        ),
        wire(
            "SigV2Auth: EC2 DescribeInstances in a form body",
            "ec2",
            SigV2Auth(creds),
            AWSRequest(
                method="POST",
                url=f"{ENDPOINT}/",
                headers=dict(FORM),
                data={"Action": "DescribeInstances", "Version": "2016-11-15", "Filter.1.Value.1": "a b+c~*"},
            ),
            {"method": "sigv2"},
        ),
        wire(
            "SigV2Auth: STS with parameters in the URL",
            "query",
            SigV2Auth(creds),
            AWSRequest(
                method="GET",
                url=f"{ENDPOINT}/",
                params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
            ),
            {"method": "sigv2"},
        ),
    ]
    print(json.dumps({"now": datetime.now(timezone.utc).isoformat(), "requests": cases}))


main()
