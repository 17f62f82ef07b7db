import t from 'tap';
import { CreateBucketCommand, PutObjectCommand, GetObjectCommand, ListObjectsV2Command, ListBucketsCommand } from '@aws-sdk/client-s3';
import { startWalrus } from '../helpers/walrus.js';

const cloud = await startWalrus(t);
const s3 = cloud.s3();
t.test('smoke', async (t) => {
  await s3.send(new CreateBucketCommand({ Bucket: 'smoke' }));
  const put = await s3.send(new PutObjectCommand({ Bucket: 'smoke', Key: 'a/b.txt', Body: 'hello world', ContentType: 'text/plain', Metadata: { colour: 'blue' } }));
  t.comment(JSON.stringify(put));
  const got = await s3.send(new GetObjectCommand({ Bucket: 'smoke', Key: 'a/b.txt' }));
  t.equal(await got.Body!.transformToString(), 'hello world');
  t.same(got.Metadata, { colour: 'blue' });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'smoke', Delimiter: '/' }));
  t.comment(JSON.stringify(listed));
  const buckets = await s3.send(new ListBucketsCommand({}));
  t.comment(JSON.stringify(buckets));
});
