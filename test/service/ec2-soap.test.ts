import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeRegionsCommand, DescribeTagsCommand } from '@aws-sdk/client-ec2';
import t from 'tap';
import { ec2WsdlDefaultLocation } from '../../src/aws/codegen/ec2-wsdl.js';
import { projectRoot, runCommand, temporaryDir } from '../helpers/cli.js';
import { startClc } from '../helpers/clc.js';

// EC2 over SOAP driven by a SOAP client no one here wrote: Debian's python3-zeep builds every call from the WSDL the
// clc serves, and a requests auth hook signs each POST with botocore's SigV4Auth, as any AWS request is signed.
const script = String.raw`
import json, sys
import requests, zeep
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from zeep.transports import Transport

job = json.load(sys.stdin)
ns = "http://ec2.amazonaws.com/doc/2016-11-15/"
wsdl = job["url"] + "/services/compute?wsdl"

class SigV4(requests.auth.AuthBase):
    def __init__(self, key):
        self.credentials = None if key is None else Credentials(key["accessKeyId"], key["secretAccessKey"])
    def __call__(self, r):
        if r.method != "POST" or self.credentials is None:
            return r
        signed = AWSRequest(method=r.method, url=r.url, data=r.body, headers={"Content-Type": r.headers["Content-Type"]})
        SigV4Auth(self.credentials, "ec2", job["region"]).add_auth(signed)
        for name in ("Authorization", "X-Amz-Date"):
            r.headers[name] = signed.headers[name]
        return r

statuses = []
def session_for(key):
    session = requests.Session()
    session.auth = SigV4(key)
    session.hooks["response"].append(lambda response, *args, **kwargs: statuses.append(response.status_code))
    return session

def service_for(key):
    return zeep.Client(wsdl, transport=Transport(session=session_for(key))).service

def fault_of(call):
    statuses.clear()
    try:
        call()
    except zeep.exceptions.Fault as fault:
        return {
            "faultcode": fault.code,
            "faultstring": fault.message,
            "code": fault.detail.find("Errors/Error/Code").text,
            "requestId": fault.detail.find("RequestID").text,
            "status": statuses[-1],
        }
    return None

out = {}
owner = service_for(job["owner"])
regions = owner.DescribeRegions()
out["regions"] = [[r.regionName, r.regionEndpoint] for r in regions.regionInfo.item]
out["requestId"] = regions.requestId

group = owner.CreateSecurityGroup(
    GroupName="web",
    GroupDescription="web servers",
    TagSpecification={"item": [{"resourceType": "security-group", "Tag": {"item": [{"key": "tier", "value": "web"}]}}]},
)
out["groupId"] = group.groupId
tagged = owner.CreateTags(
    ResourceId={"item": [group.groupId]},
    Tag={"item": [{"key": "Name", "value": "web & db <1>"}, {"key": "empty", "value": ""}]},
)
out["createTagsReturn"] = getattr(tagged, "return")
tags = owner.DescribeTags(Filter={"item": [
    {"Name": "resource-id", "Value": {"item": [group.groupId]}},
    {"Name": "key", "Value": {"item": ["Name", "tier"]}},
    {"Name": "value", "Value": {"item": ["web*"]}},
]})
out["tags"] = [[t.resourceId, t.resourceType, t.key, t.value] for t in tags.tagSet.item]
imported = owner.ImportKeyPair(keyName="laptop", publicKeyMaterial=job["publicKey"].encode())
out["imported"] = [imported.keyName, imported.keyFingerprint]
keys = owner.DescribeKeyPairs(Filter={"item": [{"Name": "key-name", "Value": {"item": ["laptop"]}}]})
out["keys"] = [k.keyName for k in keys.keySet.item]

out["dryRun"] = fault_of(lambda: owner.DescribeRegions(dryRun=True))
out["notFound"] = fault_of(lambda: owner.DescribeKeyPairs(KeyName={"item": ["laptop", "nope"]}))
statuses.clear()
raw = session_for(job["owner"]).post(
    job["url"] + "/services/compute",
    data=(
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<DescribeTags xmlns="' + ns + '"><Filter><item><Nme>key</Nme></item></Filter></DescribeTags>'
        "</s:Body></s:Envelope>"
    ).encode(),
    headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "DescribeTags"},
)
out["unknownParameter"] = [raw.status_code, raw.text]

out["unsigned"] = fault_of(lambda: service_for(None).DescribeRegions())
out["wrongSecret"] = fault_of(
    lambda: service_for({"accessKeyId": job["owner"]["accessKeyId"], "secretAccessKey": "not-the-secret"}).DescribeRegions()
)

other = service_for(job["other"])
other_tags = other.DescribeTags()
out["otherTags"] = [] if other_tags.tagSet is None else [t.key for t in other_tags.tagSet.item]
out["otherCreateTags"] = fault_of(
    lambda: other.CreateTags(ResourceId={"item": [group.groupId]}, Tag={"item": [{"key": "mine", "value": "x"}]})
)
out["otherGroups"] = fault_of(lambda: other.DescribeSecurityGroups(GroupId={"item": [group.groupId]}))
print(json.dumps(out))
`;

interface Fault {
  faultcode: string;
  faultstring: string;
  code: string;
  requestId: string;
  status: number;
}

t.test('python3-zeep speaks EC2 SOAP to the clc, signed with SigV4, in its own account', async (t) => {
  const clc = await startClc(t);
  const other = await clc.newAccount('soap-other');
  const dir = temporaryDir('ec2-soap');
  const keyFile = join(dir, 'laptop');
  const keygen = await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'laptop', '-f', keyFile]);
  t.equal(keygen.code, 0, keygen.stderr);
  const publicKey = readFileSync(`${keyFile}.pub`, 'utf8').trim();

  const jobFile = join(dir, 'job.json');
  writeFileSync(jobFile, JSON.stringify({ url: clc.url, region: clc.region, owner: clc.admin, other, publicKey }));
  // requests reads the CA from REQUESTS_CA_BUNDLE, so the test cloud's CA is all it trusts.
  const result = await runCommand('/bin/sh', ['-c', '/usr/bin/python3 -c "$0" < "$1"', script, jobFile], {
    env: { REQUESTS_CA_BUNDLE: clc.caBundle },
  });
  t.equal(result.code, 0, result.stderr);
  const out = JSON.parse(result.stdout) as Record<string, unknown> & {
    regions: [string, string][];
    groupId: string;
    tags: string[][];
    unknownParameter: [number, string];
  };

  t.same(
    out.regions,
    [[clc.region, new URL(clc.url).host]],
    'DescribeRegions reports the endpoint the request reached',
  );
  t.match(out.requestId, /^[0-9a-f-]{36}$/);
  t.match(out.groupId, /^sg-[0-9a-f]{17}$/);
  t.equal(out.createTagsReturn, true);
  t.same(out.tags, [
    [out.groupId, 'security-group', 'Name', 'web & db <1>'],
    [out.groupId, 'security-group', 'tier', 'web'],
  ]);
  t.match(
    out.imported,
    ['laptop', /^[A-Za-z0-9+/]{43}=$/],
    'a blob travelled (ed25519 keys have SHA-256 fingerprints)',
  );
  t.same(out.keys, ['laptop'], 'a list filter reaches the handler');

  t.match(out.dryRun, { code: 'DryRunOperation', faultcode: 'soap:Client', status: 412 }, 'DryRun as on the Query API');
  t.match(out.notFound, { code: 'InvalidKeyPair.NotFound', faultcode: 'soap:Client', status: 400 });
  t.equal(out.unknownParameter[0], 400);
  t.match(out.unknownParameter[1], '<faultstring>The parameter Filter.1.Nme is not recognized</faultstring>');
  t.match(out.unknownParameter[1], '<Code>UnknownParameter</Code>');

  t.match(out.unsigned as Fault, {
    faultcode: 'soap:Client',
    code: 'AuthFailure',
    faultstring: 'AWS was not able to validate the provided access credentials',
    status: 401,
  });
  // A wrong secret is refused as the Query API refuses it.
  const wrong = { accessKeyId: clc.admin.accessKeyId, secretAccessKey: 'not-the-secret' };
  const viaSdk = await clc
    .ec2(wrong)
    .send(new DescribeRegionsCommand({}))
    .catch((error: { name: string; $metadata: { httpStatusCode: number } }) => error);
  t.match(viaSdk, { name: /^(AuthFailure|SignatureDoesNotMatch)$/ });
  t.match(out.wrongSecret as Fault, {
    faultcode: 'soap:Client',
    code: (viaSdk as { name: string }).name,
    status: (viaSdk as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode,
  });
  t.match((out.wrongSecret as Fault).requestId, /^[0-9a-f-]{36}$/);

  t.same(out.otherTags, [], 'another account sees none of the first one’s tags');
  t.match(out.otherCreateTags, { code: 'InvalidGroup.NotFound', status: 400 }, 'nor tags its group');
  t.match(out.otherGroups, { code: 'InvalidGroup.NotFound', status: 400 }, 'nor describes it');

  // The same handlers and the same state: the Query API sees what SOAP wrote.
  const viaQuery = await clc.ec2().send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['Name'] }] }));
  t.same(viaQuery.Tags, [
    { Key: 'Name', ResourceId: out.groupId, ResourceType: 'security-group', Value: 'web & db <1>' },
  ]);
});

t.test('the WSDL is served at ?wsdl with its address pointing back at the clc', async (t) => {
  const clc = await startClc(t);
  const dir = temporaryDir('ec2-wsdl');
  const curl = (url: string, ...args: string[]) =>
    runCommand('curl', ['-sS', '--cacert', clc.caBundle, '-w', '%{http_code}', ...args, url]);
  const wsdlFile = join(dir, 'ec2.wsdl');
  const wsdl = await curl(`${clc.url}/services/compute?wsdl`, '-o', wsdlFile);
  t.equal(wsdl.stdout, '200', wsdl.stderr);
  const served = readFileSync(wsdlFile, 'utf8');
  t.match(served, '<wsdl:definitions name="AmazonEC2" targetNamespace="http://ec2.amazonaws.com/doc/2016-11-15/"');
  t.match(served, `<soap:address location="${clc.url}/services/compute"/>`);
  t.equal(
    served.replace(`${clc.url}/services/compute`, ec2WsdlDefaultLocation),
    readFileSync(join(projectRoot, 'wsdl', 'ec2.wsdl'), 'utf8'),
    'the generated file, nothing else changed',
  );
  const get = await curl(`${clc.url}/services/compute`);
  t.match(get.stdout, /<faultcode>soap:Client<\/faultcode>[^]*<Code>InvalidRequest<\/Code>[^]*405$/);
  // SigV2 signs form parameters, never a SOAP body: refused, as an unsigned request is.
  const sigV2 = await curl(
    `${clc.url}/services/compute?AWSAccessKeyId=${clc.admin.accessKeyId}&SignatureVersion=2&SignatureMethod=HmacSHA256` +
      `&Timestamp=${new Date().toISOString()}&Signature=x`,
    '-X',
    'POST',
    '-H',
    'content-type: text/xml',
    '--data-binary',
    '<x/>',
  );
  t.match(sigV2.stdout, /<faultcode>soap:Client<\/faultcode>[^]*<Code>AuthFailure<\/Code>[^]*401$/);
  const hugeFile = join(dir, 'huge.xml');
  writeFileSync(hugeFile, `<x>${'a'.repeat(3 * 1024 * 1024)}</x>`);
  const huge = await curl(
    `${clc.url}/services/compute`,
    '-H',
    'content-type: text/xml',
    '--data-binary',
    `@${hugeFile}`,
  );
  t.match(
    huge.stdout,
    /<faultcode>soap:Client<\/faultcode>[^]*<Code>InvalidRequest<\/Code>[^]*413$/,
    'too large: a fault',
  );
});
