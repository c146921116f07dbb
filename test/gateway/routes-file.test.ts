import { describe, expect, it } from 'vitest';
import { parseRoutes, routeTable, SIGNED_EVERYWHERE } from '../../src/gateway/routes-file.js';

const table = parseRoutes(`
GET        /              public
GET        /pets          pets:read
POST,PUT   /pets/:id      pets:write
*          /files/*       signed      forward-authorization
GET        /files/readme  public
`);
const lineOf = (method: string, path: string) => table.match(method, path)?.line;

describe('the route table', () => {
  it('matches literal segments exactly, and "/" only itself', () => {
    expect(lineOf('GET', '/')).toBe(2);
    expect(lineOf('GET', '/pets')).toBe(3);
    expect(lineOf('GET', '/pets/')).toBeUndefined();
    expect(lineOf('GET', '/petsx')).toBeUndefined();
  });

  it('matches a :name segment with exactly one non-empty segment, for the listed methods only', () => {
    expect(lineOf('PUT', '/pets/7')).toBe(4);
    expect(lineOf('PUT', '/pets/')).toBeUndefined();
    expect(lineOf('PUT', '/pets/7/toys')).toBeUndefined();
    expect(lineOf('GET', '/pets/7')).toBeUndefined();
  });

  it('matches a final * with one or more segments, any method, the first matching route winning', () => {
    expect(lineOf('DELETE', '/files/a/b')).toBe(5);
    expect(lineOf('GET', '/files/readme')).toBe(5);
    expect(lineOf('GET', '/files')).toBeUndefined();
  });

  it('matches every path with the route used without a routes file', () => {
    const everywhere = routeTable([SIGNED_EVERYWHERE]);
    expect(everywhere.match('GET', '/v1/whoami')).toBe(SIGNED_EVERYWHERE);
    expect(everywhere.match('POST', '/')).toBeUndefined();
  });
});
