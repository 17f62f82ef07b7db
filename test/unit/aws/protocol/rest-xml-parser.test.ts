import t from 'tap';
import { s3Model } from '../../../../src/aws/generated/s3-model.js';
import { parseRestXmlInput, restXmlRouter, type RestXmlRequest } from '../../../../src/aws/protocol/rest-xml-parser.js';
import { serializeRestXmlResponse } from '../../../../src/aws/protocol/rest-xml-serializer.js';

const router = restXmlRouter(s3Model);
const request = (method: string, url: string, headers: RestXmlRequest['headers'] = {}): RestXmlRequest => {
  const question = url.indexOf('?');
  return {
    method,
    path: question === -1 ? url : url.slice(0, question),
    query: question === -1 ? '' : url.slice(question + 1),
    headers,
  };
};
const operationOf = (wire: RestXmlRequest) => router.match(wire)?.operation.name;

t.test('the operation is chosen by template, query markers and required members', async (t) => {
  t.equal(operationOf(request('GET', '/')), 'ListBuckets');
  t.equal(operationOf(request('PUT', '/bucket')), 'CreateBucket');
  t.equal(operationOf(request('PUT', '/bucket/')), 'CreateBucket', 'a trailing slash is still the bucket');
  t.equal(operationOf(request('GET', '/bucket')), 'ListObjects');
  t.equal(operationOf(request('GET', '/bucket?list-type=2&prefix=a')), 'ListObjectsV2');
  t.equal(operationOf(request('GET', '/bucket?versions')), 'ListObjectVersions');
  t.equal(operationOf(request('GET', '/bucket?uploads')), 'ListMultipartUploads');
  t.equal(operationOf(request('GET', '/bucket?acl')), 'GetBucketAcl');
  t.equal(operationOf(request('PUT', '/bucket?versioning')), 'PutBucketVersioning');
  t.equal(operationOf(request('POST', '/bucket?delete')), 'DeleteObjects');
  t.equal(operationOf(request('HEAD', '/bucket')), 'HeadBucket');
  t.equal(operationOf(request('PUT', '/bucket/a/b')), 'PutObject');
  t.equal(operationOf(request('PUT', '/bucket/a/b', { 'x-amz-copy-source': 'x/y' })), 'CopyObject');
  t.equal(operationOf(request('PUT', '/bucket/a/b?partNumber=2&uploadId=u')), 'UploadPart');
  t.equal(
    operationOf(request('PUT', '/bucket/a/b?partNumber=2&uploadId=u', { 'x-amz-copy-source': 'x/y' })),
    'UploadPartCopy',
  );
  t.equal(operationOf(request('POST', '/bucket/a/b?uploads')), 'CreateMultipartUpload');
  t.equal(operationOf(request('POST', '/bucket/a/b?uploadId=u')), 'CompleteMultipartUpload');
  t.equal(operationOf(request('GET', '/bucket/a/b?uploadId=u')), 'ListParts');
  t.equal(operationOf(request('DELETE', '/bucket/a/b?uploadId=u')), 'AbortMultipartUpload');
  // Deprecated operations share their replacements' addresses: the replacement is chosen.
  t.equal(operationOf(request('PUT', '/bucket?lifecycle')), 'PutBucketLifecycleConfiguration');
  t.equal(operationOf(request('GET', '/bucket?lifecycle')), 'GetBucketLifecycleConfiguration');
  t.equal(operationOf(request('GET', '/bucket?notification')), 'GetBucketNotificationConfiguration');
  t.equal(operationOf(request('GET', '/bucket/a/b?tagging')), 'GetObjectTagging');
  t.equal(operationOf(request('GET', '/bucket/a/b?x-id=GetObject')), 'GetObject');
  t.equal(operationOf(request('POST', '/bucket/a/b')), undefined, 'no template matches');
});

t.test('labels, query, headers and the metadata map are read by the model', async (t) => {
  const wire = request(
    'GET',
    '/my-bucket/dir/a%20b%2Bc+d.txt?versionId=v%2F1&partNumber=3&response-content-type=text%2Fplain',
    {
      range: 'bytes=0-9',
      'if-modified-since': 'Tue, 15 Nov 1994 08:12:31 GMT',
      'if-unmodified-since': 'not a date',
    },
  );
  const match = router.match(wire)!;
  t.same(match.labels, { Bucket: 'my-bucket', Key: 'dir/a b+c+d.txt' }, '+ in a path is a plus');
  const input = parseRestXmlInput(match, wire);
  t.equal(input.VersionId, 'v/1');
  t.equal(input.PartNumber, 3);
  t.equal(input.ResponseContentType, 'text/plain');
  t.equal(input.Range, 'bytes=0-9');
  t.same(input.IfModifiedSince, new Date('1994-11-15T08:12:31Z'));
  t.notOk('IfUnmodifiedSince' in input, 'an unparsable date header is ignored, as S3 ignores it');

  const put = request('PUT', '/b/k', {
    'content-length': '12',
    'x-amz-meta-colour': 'blue',
    'x-amz-meta-two-words': 'a b',
    'content-type': 'text/plain',
  });
  const putInput = parseRestXmlInput(router.match(put)!, put);
  t.same(putInput.Metadata, { colour: 'blue', 'two-words': 'a b' });
  t.equal(putInput.ContentLength, 12);
  t.equal(putInput.ContentType, 'text/plain');
  t.throws(
    () => parseRestXmlInput(router.match(request('GET', '/b?max-keys=many'))!, request('GET', '/b?max-keys=many')),
    {
      code: 'InvalidArgument',
    },
  );
});

t.test('structure payloads come from the XML body', async (t) => {
  const wire = request('POST', '/b?delete');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    '<Object><Key>a &amp; b</Key></Object><Object><Key> spaced </Key><VersionId>v1</VersionId></Object>' +
    '<Quiet>true</Quiet></Delete>';
  const input = parseRestXmlInput(router.match(wire)!, wire, body);
  t.same(input.Delete, { Objects: [{ Key: 'a & b' }, { Key: ' spaced ', VersionId: 'v1' }], Quiet: true });

  const acl = request('PUT', '/b?acl');
  const policy =
    '<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>111</ID></Owner>' +
    '<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">' +
    '<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>' +
    '</AccessControlList></AccessControlPolicy>';
  const parsed = parseRestXmlInput(router.match(acl)!, acl, policy);
  t.same(parsed.AccessControlPolicy, {
    Grants: [
      { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' },
    ],
    Owner: { ID: '111' },
  });
  t.throws(() => parseRestXmlInput(router.match(wire)!, wire, '<Delete><Object>'), { code: 'MalformedXML' });
});

t.test('responses: headers, metadata, XML documents with S3 root names', async (t) => {
  const head = serializeRestXmlResponse(s3Model.operations.get('HeadObject')!, {
    ContentLength: 5,
    ETag: '"abc"',
    LastModified: new Date('2026-01-02T03:04:05Z'),
    Metadata: { colour: 'blue' },
  });
  t.same(head, {
    status: 200,
    headers: {
      'last-modified': 'Fri, 02 Jan 2026 03:04:05 GMT',
      'content-length': '5',
      etag: '"abc"',
      'x-amz-meta-colour': 'blue',
    },
  });
  const listed = serializeRestXmlResponse(
    s3Model.operations.get('ListObjectsV2')!,
    {
      Name: 'b',
      Prefix: '',
      KeyCount: 1,
      IsTruncated: false,
      Contents: [{ Key: 'a<b', Size: 3, ETag: '"e"', LastModified: new Date('2026-01-02T03:04:05Z') }],
      CommonPrefixes: [{ Prefix: 'd/' }],
    },
    { rootElement: 'ListBucketResult', xmlNamespace: 'http://s3.amazonaws.com/doc/2006-03-01/' },
  );
  t.equal(
    listed.body,
    '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      '<IsTruncated>false</IsTruncated><Contents><Key>a&lt;b</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified>' +
      '<ETag>"e"</ETag><Size>3</Size></Contents><Name>b</Name><Prefix></Prefix>' +
      '<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes><KeyCount>1</KeyCount></ListBucketResult>',
  );
  const location = serializeRestXmlResponse(
    s3Model.operations.get('GetBucketLocation')!,
    { LocationConstraint: 'mallee-1' },
    { rootElement: 'LocationConstraint', xmlNamespace: 'http://s3.amazonaws.com/doc/2006-03-01/' },
  );
  t.equal(
    location.body,
    '<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">mallee-1</LocationConstraint>',
  );
  const acl = serializeRestXmlResponse(
    s3Model.operations.get('GetBucketAcl')!,
    { Owner: { ID: '1' }, Grants: [{ Grantee: { Type: 'CanonicalUser', ID: '1' }, Permission: 'FULL_CONTROL' }] },
    { rootElement: 'AccessControlPolicy' },
  );
  t.match(
    acl.body,
    '<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>1</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList>',
  );
  const deleted = serializeRestXmlResponse(s3Model.operations.get('DeleteBucket')!, {});
  t.equal(deleted.status, 204, 'the model’s response code');
});
