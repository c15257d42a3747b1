// pip reads every Requires-Dist of a candidate with packaging's strict PEP 508 parser and stops with a traceback
// (InvalidRequirement) on one it cannot read, so a release carrying `foo (>=1` could never be installed, nor anything
// that depends on it. pypi.org refuses such an upload with a 400; so does the registry now (it used to store it).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requirementError } from '../../registry/pypi/metadata.ts';
import { basic, makeWheel, uploadForm } from '../fixtures/pypi/pypi-fixtures.ts';
import { buildTestRegistry } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;

// Lines pip 23's packaging accepts, as found in real METADATA files (checked against
// pip._vendor.packaging.requirements.Requirement over every METADATA installed on the test box).
const VALID = [
  'requests',
  'Foo.Bar_baz',
  'foo (>=1.0,<2)',
  'foo >=1.0 , <2.0',
  'foo==1.0.*',
  'foo~=1.4.2',
  'foo===weird',
  'foo>=1,<2,!=1.5.*',
  'foo[bar,baz]>=1; python_version < "3.8" and extra == "x"',
  'foo ; python_version ~= "3.8"',
  'foo;python_version<"3.8"',
  "foo; extra == 'test'",
  'foo; (python_version < "3.8")',
  'foo; "linux" in sys_platform',
  'foo; implementation_name == "cpython" and python_full_version >= "3.8.1"',
  'foo; sys_platform=="win32" or platform_machine == "arm64"',
  'foo @ https://example.test/foo-1.0-py3-none-any.whl ; os_name=="nt"',
  'foo @ file:///srv/wheels/foo.whl',
];
const INVALID: [string, string][] = [
  ['foo (>=1', 'invalid version specifier "(>=1"'],
  ['foo bar', 'invalid version specifier "bar"'],
  ['foo[bar', 'invalid version specifier "[bar"'],
  ['foo @ ', 'expected a URL after @'],
  ['foo; pythn_version > "3"', 'invalid environment marker "pythn_version > \\"3\\""'],
  ['foo; python_version >', 'invalid environment marker "python_version >"'],
  ['>=1.0', 'expected a project name first'],
];

describe('Requires-Dist validation', () => {
  it.each(VALID)('accepts %s', (line) => {
    expect(requirementError(line)).toBeUndefined();
  });
  it.each(INVALID)('refuses %s', (line, why) => {
    expect(requirementError(line)).toBe(why);
  });
});

describe('PyPI upload of a wheel whose Requires-Dist pip cannot parse', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());

  const post = (wheel: { filename: string; bytes: Buffer }) => {
    const f = uploadForm(wheel, 'req-pkg', '1.0.0');
    return r.app.inject({
      method: 'POST',
      url: '/pypi/legacy/',
      headers: { ...f.headers, ...basic('alice', r.alice.token) },
      payload: f.payload,
    });
  };

  it('is refused with 400 and the reason twine prints; nothing is listed', async () => {
    const res = await post(makeWheel('req-pkg', '1.0.0', { requiresDist: ['requests>=2', 'foo (>=1'] }));
    expect(res.statusCode).toBe(400);
    expect(res.raw.res.statusMessage).toBe(
      '\'foo (>=1\' is an invalid value for Requires-Dist: invalid version specifier "(>=1". See https://packaging.python.org/specifications/core-metadata for more information.',
    );
    expect((await r.app.inject({ method: 'GET', url: '/pypi/simple/req-pkg/' })).statusCode).toBe(404);
  });

  it('a wheel with extras, markers and a URL requirement is stored', async () => {
    const res = await post(makeWheel('req-pkg', '1.0.0', { requiresDist: VALID }));
    expect(res.statusCode, res.body).toBe(200);
  });
});
