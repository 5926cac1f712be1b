import { guardedLookup, isForbiddenAddress, urlProblem } from './address-guard';

describe('webhook address guard', () => {
  it.each([
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.254',
    '192.168.1.1',
    '127.0.0.1',
    '127.255.0.9',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '64:ff9b::a9fe:a9fe',
    '2002:c0a8:0101::1',
    'not-an-address',
  ])('refuses %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2002:0808:0808::1'])('allows the public address %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });

  it('checks URLs at registration: https only, no credentials, no literal private address, unless the host is allowed', () => {
    expect(urlProblem('https://hooks.example.com/oie', [])).toBeUndefined();
    expect(urlProblem('http://hooks.example.com/oie', [])).toMatch(/https/);
    expect(urlProblem('ftp://hooks.example.com/oie', [])).toMatch(/https/);
    expect(urlProblem('https://user:pw@hooks.example.com/', [])).toMatch(/credentials/);
    expect(urlProblem('https://hooks.example.com/#x', [])).toMatch(/fragment/);
    expect(urlProblem('not a url', [])).toMatch(/absolute/);
    for (const u of ['https://127.0.0.1/', 'https://2130706433/', 'https://0x7f.1/', 'https://[::1]/', 'https://[::ffff:127.0.0.1]/', 'https://169.254.169.254/latest', 'https://10.1.2.3/'])
      expect([u, urlProblem(u, [])]).toEqual([u, expect.stringMatching(/not public/)]);
    expect(urlProblem('http://127.0.0.1:8080/hook', ['127.0.0.1'])).toBeUndefined();
    expect(urlProblem('http://[::1]:8080/hook', ['::1'])).toBeUndefined();
    expect(urlProblem('http://localhost:8080/hook', ['127.0.0.1'])).toMatch(/https/);
  });

  it('refuses at lookup a name that resolves to loopback (the socket would connect to what was checked)', async () => {
    const err = await new Promise<Error | null>((resolve) => guardedLookup('localhost', { all: true }, (e) => resolve(e)));
    expect(err?.name).toBe('AddressNotAllowedError');
    const single = await new Promise<Error | null>((resolve) => guardedLookup('localhost', {}, (e) => resolve(e)));
    expect(single?.name).toBe('AddressNotAllowedError');
  });
});
