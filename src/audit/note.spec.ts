import { generateKeyPairSync, verify as edVerify } from 'node:crypto';
import {
  checkpointText,
  cosigner,
  ed25519Raw,
  ed25519Signer,
  keyId,
  NoteError,
  openNote,
  parseCheckpointText,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  SIG_COSIGNATURE_V1,
  SIG_ED25519,
  signNote,
  verifierKey,
} from './note';

/*
 * Test vectors copied from golang.org/x/mod/sumdb/note (note_test.go, TestNewVerifier, TestSign,
 * TestVerifierList, TestOpen). Copyright 2019 The Go Authors; BSD-style licence (the LICENSE file
 * of the golang.org/x/mod repository). The checkpoint example is from c2sp.org/tlog-checkpoint and
 * c2sp.org/tlog-witness (CC BY 4.0).
 */
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG = '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

describe('signed notes (c2sp.org/signed-note), against golang.org/x/mod/sumdb/note vectors', () => {
  it('parses verifier keys and checks their key ID', () => {
    const v = parseVerifierKey(PETER_VKEY);
    expect(v.name).toBe('PeterNeumann');
    expect(v.keyId).toBe(0xc74f20a3);
    expect(v.type).toBe(SIG_ED25519);
    expect(keyId('PeterNeumann', SIG_ED25519, v.publicKey)).toBe(0xc74f20a3);
    expect(verifierKey('PeterNeumann', SIG_ED25519, v.publicKey)).toBe(PETER_VKEY);
    expect(parseVerifierKey(ENOCH_VKEY).keyId).toBe(0xaf0cfe78);
  });

  it('refuses mangled verifier keys', () => {
    const bad = [
      'PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==', // wrong key length
      'PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // unknown algorithm
    ];
    // Every strict substring, and every single-byte change (as Go's TestNewVerifier).
    for (let i = 0; i <= PETER_VKEY.length; i++) for (let j = i + 1; j <= PETER_VKEY.length; j++) if (i !== 0 || j !== PETER_VKEY.length) bad.push(PETER_VKEY.slice(i, j));
    for (let i = 0; i < PETER_VKEY.length; i++) bad.push(PETER_VKEY.slice(0, i) + String.fromCharCode(PETER_VKEY.charCodeAt(i) + 1) + PETER_VKEY.slice(i + 1));
    for (const k of bad) expect(() => parseVerifierKey(k)).toThrow(NoteError);
  });

  it('signs exactly as Go does (Ed25519 is deterministic)', () => {
    const signer = parseSignerKey(PETER_SKEY);
    expect(signer.keyId).toBe(0xc74f20a3);
    expect(signNote(TEXT, signer)).toBe(`${TEXT}\n${PETER_SIG}`);
    expect(() => signNote('abc', signer)).toThrow('malformed note');
  });

  it('opens notes: unknown keys unverified, known keys must verify, at least one must', () => {
    const peter = parseVerifierKey(PETER_VKEY);
    const enoch = parseVerifierKey(ENOCH_VKEY);
    const msg = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    const one = openNote(msg, [peter]);
    expect(one.text).toBe(TEXT);
    expect(one.verified.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(one.unverified.map((s) => [s.name, s.keyId])).toEqual([['EnochRoot', 0xaf0cfe78]]);
    expect(openNote(msg, [peter, enoch]).verified.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    expect(() => openNote(msg, [])).toThrow('note has no verifiable signatures');
    expect(() => openNote(`${TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`, [peter])).toThrow('invalid signature for key PeterNeumann+c74f20a3');
    expect(() => openNote(`${TEXT}\n${PETER_SIG.repeat(101)}`, [peter])).toThrow('malformed note');
    // A known name with another key ID is someone else's key: ignored, not failed.
    const wrongId = PETER_SIG.replace('x08g', 'xxxx');
    expect(() => openNote(`${TEXT}\n${wrongId}`, [peter])).toThrow('note has no verifiable signatures');
  });

  it('refuses malformed notes (Go TestOpen cases)', () => {
    const peter = parseVerifierKey(PETER_VKEY);
    const bad = [
      TEXT,
      TEXT + '\n',
      TEXT + '\n' + PETER_SIG.slice(0, -1),
      '\x01' + TEXT + '\n' + PETER_SIG,
      TEXT + '\n' + '— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=',
      TEXT + '\n' + PETER_SIG + 'Unexpected line.\n',
    ];
    for (const m of bad) expect(() => openNote(m, [peter])).toThrow('malformed note');
    expect(() => parseNote(Buffer.concat([Buffer.from([0xff]), Buffer.from(TEXT + '\n' + PETER_SIG)]))).toThrow('malformed note');
  });
});

describe('checkpoints (c2sp.org/tlog-checkpoint)', () => {
  const example = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';

  it('round-trips the spec example', () => {
    const c = parseCheckpointText(example);
    expect(c).toMatchObject({ origin: 'example.com/behind-the-sofa', size: 20852163, extensions: [] });
    expect(checkpointText(c)).toBe(example);
  });

  it('refuses leading zeroes, bad hashes and missing lines', () => {
    for (const t of [
      'o\n020852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
      'o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n',
      'o\n1\nAAAA\n',
      'o\n1\n',
      '\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
      'o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
      'o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=',
    ])
      expect(() => parseCheckpointText(t)).toThrow(NoteError);
  });
});

describe('timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature)', () => {
  const body = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';

  it('signs "cosignature/v1\\ntime T\\n" ‖ body with key ID type 0x04 and verifies through its vkey', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const w = cosigner('witness.example/w1', privateKey, () => 1679315147);
    const pub = ed25519Raw(publicKey);
    expect(w.keyId).toBe(keyId('witness.example/w1', SIG_COSIGNATURE_V1, pub));
    const sig = w.sign(body);
    expect(sig).toHaveLength(72);
    expect(sig.readBigUInt64BE(0)).toBe(1679315147n);
    const message = Buffer.from(`cosignature/v1\ntime 1679315147\n${body}`);
    expect(edVerify(null, message, publicKey, sig.subarray(8))).toBe(true);

    const log = ed25519Signer('example.com/behind-the-sofa', generateKeyPairSync('ed25519').privateKey);
    const signed = signNote(body, log, w);
    const vkey = parseVerifierKey(verifierKey('witness.example/w1', SIG_COSIGNATURE_V1, pub));
    const opened = openNote(signed, [vkey]);
    expect(opened.verified).toEqual([expect.objectContaining({ name: 'witness.example/w1', timestamp: 1679315147 })]);
    // The same key as a plain note signer (type 0x01) has another key ID, so it is not confused.
    expect(() => openNote(signed, [parseVerifierKey(verifierKey('witness.example/w1', SIG_ED25519, pub))])).toThrow('note has no verifiable signatures');
    // A cosignature over another body does not verify.
    const other = signNote(body.replace('20852163', '20852164'), log).split('\n\n')[0] + '\n\n' + signed.split('\n\n')[1];
    expect(() => openNote(other, [vkey])).toThrow('invalid signature');
  });
});
