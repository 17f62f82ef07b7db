import t from 'tap';
import { passfileLine, splitPostgresUrl } from '../../../src/db/postgres-password.js';

t.test('the password leaves the URL, decoded', async (t) => {
  t.same(splitPostgresUrl('postgres://mallee:p%40ss%3Aw%2Frd@db.example:5433/clc?sslmode=require'), {
    url: 'postgres://mallee@db.example:5433/clc?sslmode=require',
    password: 'p@ss:w/rd',
  });
});

t.test('a URL without a password, or not a URL, is kept as it is', async (t) => {
  t.same(splitPostgresUrl('postgres://mallee@127.0.0.1/clc'), { url: 'postgres://mallee@127.0.0.1/clc' });
  t.same(splitPostgresUrl('host=/run/postgresql dbname=clc'), { url: 'host=/run/postgresql dbname=clc' });
});

t.test('a passfile line escapes the colons and backslashes libpq would split on', async (t) => {
  t.equal(passfileLine('a:b\\c'), '*:*:*:*:a\\:b\\\\c\n');
});
