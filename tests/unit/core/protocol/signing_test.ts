import assert from "node:assert/strict";
import {
  decodeBase64Url,
  encodeBase64Url,
  exportPrivateKey,
  exportPublicKey,
  generateKeyPair,
  HEADERS,
  importKeyPair,
  importPublicKey,
  keyPairFromSeed,
  RECORD_DOMAIN,
  recordBytes,
  sha256Hex,
  SIGN_TOGETHER_FROM,
  signBytes,
  signedBytes,
  signRecord,
  signRecords,
  verifyBytes,
} from "../../../../core/protocol/mod.ts";
import { fromHex, signedVectors } from "./_helpers.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("base64url is unpadded and has one spelling per byte string", () => {
  assert.equal(encodeBase64Url(new Uint8Array([])), "");
  assert.equal(encodeBase64Url(new Uint8Array([251, 255])), "-_8");
  assert.equal(encodeBase64Url(new Uint8Array([1, 2, 3])), "AQID");
  assert.deepEqual(decodeBase64Url("-_8"), new Uint8Array([251, 255]));
  assert.deepEqual(decodeBase64Url(""), new Uint8Array([]));
  for (const bad of ["-_8=", "+/8", "A", "AQID=", "-_9", "AB", "a b", "ü"]) {
    assert.equal(decodeBase64Url(bad), undefined, bad);
  }
  const random = crypto.getRandomValues(new Uint8Array(1000));
  assert.deepEqual(decodeBase64Url(encodeBase64Url(random)), random);
  assert.equal(encodeBase64Url(random.subarray(10, 13)), encodeBase64Url(random.slice(10, 13)));
});

Deno.test("signatures agree with WebCrypto's both ways, and a wrong length never verifies", async () => {
  const pair = await generateKeyPair();
  const bytes = new TextEncoder().encode("kafclaw/1\ngroup.g1.requests\nt-1\n{}");
  const ours = await signBytes(pair.privateKey, bytes);
  const theirs = new Uint8Array(await crypto.subtle.sign("Ed25519", pair.privateKey, bytes));
  // Ed25519 signatures are deterministic: the same key and bytes give the same signature.
  assert.deepEqual(ours, theirs);
  assert.ok(await crypto.subtle.verify("Ed25519", pair.publicKey, ours, bytes));
  assert.ok(await verifyBytes(pair.publicKey, theirs, bytes));
  const tampered = Uint8Array.from(ours, (b, i) => i === 0 ? b ^ 1 : b);
  assert.equal(await verifyBytes(pair.publicKey, tampered, bytes), false);
  assert.equal(await verifyBytes(pair.publicKey, ours.subarray(0, 63), bytes), false);
  assert.equal(await verifyBytes(pair.publicKey, new Uint8Array(65), bytes), false);
  // A key that may only verify cannot sign, whichever way it is used.
  await assert.rejects(() => signBytes(pair.publicKey, bytes), TypeError);
  await assert.rejects(() => verifyBytes(pair.privateKey, ours, bytes), TypeError);
  const hmac = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
  await assert.rejects(() => signBytes(hmac, bytes), TypeError);
  await assert.rejects(() => verifyBytes(hmac, ours, bytes), TypeError);
});

Deno.test("sha256Hex is lower-case hex", async () => {
  assert.equal(
    await sha256Hex(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("signed bytes are the domain, topic, key and value joined by newlines", () => {
  const bytes = signedBytes({
    topic: "group.g1.requests",
    key: "t-1",
    value: new Uint8Array([0x7b, 0x7d]),
  });
  assert.equal(text(bytes), "kafclaw/1\ngroup.g1.requests\nt-1\n{}");
  assert.equal(RECORD_DOMAIN, "kafclaw/1\n");
  assert.throws(
    () => signedBytes({ topic: "group.g1.requests\n", key: "t-1", value: "{}" }),
    TypeError,
  );
  assert.throws(
    () => signedBytes({ topic: "group.g1.requests", key: "t\n1", value: "{}" }),
    TypeError,
  );
  // Text beyond ASCII is signed as its UTF-8 bytes, in key and value alike.
  const wide = signedBytes({ topic: "group.g1.requests", key: "ü-1", value: '"€"' });
  assert.equal(text(wide), 'kafclaw/1\ngroup.g1.requests\nü-1\n"€"');
  assert.equal(wide.length, "kafclaw/1\ngroup.g1.requests\n".length + 4 + 1 + 5);
});

Deno.test("keys round-trip through their exported forms", async () => {
  const pair = await generateKeyPair();
  const publicText = await exportPublicKey(pair.publicKey);
  assert.match(publicText, /^[A-Za-z0-9_-]{43}$/);
  const imported = await importKeyPair(await exportPrivateKey(pair.privateKey));
  assert.equal(await exportPublicKey(imported.publicKey), publicText);
  assert.equal(imported.privateKey.extractable, false);
  const signature = await signBytes(imported.privateKey, new Uint8Array([1, 2, 3]));
  assert.equal(signature.length, 64);
  assert.equal(
    await verifyBytes(await importPublicKey(publicText), signature, new Uint8Array([1, 2, 3])),
    true,
  );
  assert.equal(await verifyBytes(pair.publicKey, signature, new Uint8Array([1, 2, 4])), false);
});

Deno.test("keys from seeds match those Python derives from the same seeds", async () => {
  const { keys } = signedVectors();
  for (const [name, { seed_hex, public_key }] of Object.entries(keys)) {
    const pair = await keyPairFromSeed(fromHex(seed_hex));
    assert.equal(await exportPublicKey(pair.publicKey), public_key, name);
  }
});

Deno.test("key import refuses what is not a key", async () => {
  await assert.rejects(() => importPublicKey("AQID"), TypeError);
  await assert.rejects(() => importPublicKey("not base64!"), TypeError);
  await assert.rejects(() => importKeyPair(new Uint8Array(48)), TypeError);
  await assert.rejects(() => keyPairFromSeed(new Uint8Array(31)), TypeError);
});

Deno.test("signRecord returns the signed-mode headers, with the certificate when asked", async () => {
  const pair = await generateKeyPair();
  const certificate = { cert: "Y2VydA", cert_sig: "c2ln" };
  const record = { topic: "group.g1.requests", key: "t-1", value: '{"a":1}' };
  const plain = await signRecord(record, {
    keyId: "alice",
    privateKey: pair.privateKey,
    certificate,
  });
  assert.deepEqual(Object.keys(plain), [HEADERS.keyId, HEADERS.signature]);
  assert.equal(plain["kc-key-id"], "alice");
  const signature = decodeBase64Url(plain["kc-sig"]!)!;
  assert.ok(
    await verifyBytes(
      pair.publicKey,
      signature,
      signedBytes(record),
    ),
  );
  const withCert = await signRecord(record, {
    keyId: "alice",
    privateKey: pair.privateKey,
    certificate,
  }, {
    attachCertificate: true,
  });
  assert.equal(withCert["kc-cert"], "Y2VydA");
  assert.equal(withCert["kc-cert-sig"], "c2ln");
  await assert.rejects(
    () =>
      signRecord(record, { keyId: "alice", privateKey: pair.privateKey }, {
        attachCertificate: true,
      }),
    TypeError,
  );
});

Deno.test("signRecords signs one send's records together, in order, the first with the certificate", async () => {
  const pair = await generateKeyPair();
  const certificate = { cert: "Y2VydA", cert_sig: "c2ln" };
  const signer = { keyId: "alice", privateKey: pair.privateKey, certificate };
  const records = Array.from({ length: 5 }, (_, i) => ({
    topic: "group.g1.requests",
    key: `t-${i}`,
    value: i % 2 === 0 ? `{"i":${i}}` : new TextEncoder().encode(`{"i":${i}}`),
  }));
  const all = await signRecords(records, signer, { attachCertificate: 2 });
  assert.equal(all.length, 5);
  for (const [i, headers] of all.entries()) {
    assert.equal(headers[HEADERS.keyId], "alice");
    const signature = decodeBase64Url(headers[HEADERS.signature]!)!;
    assert.ok(
      await verifyBytes(pair.publicKey, signature, signedBytes(records[i]!)),
      `record ${i}`,
    );
    assert.equal(headers[HEADERS.cert], i < 2 ? "Y2VydA" : undefined, `record ${i}`);
  }
  assert.deepEqual(await signRecords([], signer), []);
  const [one] = await signRecords([records[0]!], signer, { attachCertificate: 1 });
  assert.deepEqual(one, await signRecord(records[0]!, signer, { attachCertificate: true }));
  assert.deepEqual(Object.keys((await signRecords(records, signer))[0]!), [
    HEADERS.keyId,
    HEADERS.signature,
  ]);
});

Deno.test("signRecords signs a small send (a task's answer and its two statuses) on the calling thread, a larger one on WebCrypto's threads", async () => {
  const pair = await generateKeyPair();
  const signer = { keyId: "alice", privateKey: pair.privateKey };
  const records = (n: number) =>
    Array.from(
      { length: n },
      (_, i) => ({ topic: "group.g1.responses", key: "t-1", value: `${i}` }),
    );
  const subtle = crypto.subtle;
  const sign = subtle.sign;
  let threaded = 0;
  subtle.sign = (...args: Parameters<SubtleCrypto["sign"]>) => {
    threaded++;
    return sign.apply(subtle, args);
  };
  try {
    const small = records(SIGN_TOGETHER_FROM - 1);
    const headers = await signRecords(small, signer);
    assert.equal(threaded, 0, "a send of 3 records waits for no worker thread");
    for (const [i, h] of headers.entries()) {
      const signature = decodeBase64Url(h[HEADERS.signature]!)!;
      assert.ok(await verifyBytes(pair.publicKey, signature, signedBytes(small[i]!)), `${i}`);
    }
    await signRecords(records(SIGN_TOGETHER_FROM), signer);
    assert.equal(threaded, SIGN_TOGETHER_FROM);
  } finally {
    subtle.sign = sign;
  }
});

Deno.test("signRecords refuses what signRecord refuses", async () => {
  const pair = await generateKeyPair();
  const records = [
    { topic: "group.g1.requests", key: "t-1", value: "{}" },
    { topic: "group.g1.requests", key: "t-2", value: "{}" },
  ];
  await assert.rejects(
    () => signRecords(records, { keyId: "alice", privateKey: pair.publicKey }),
    /Cannot sign: the key is not an Ed25519 key that may sign/,
  );
  await assert.rejects(
    () =>
      signRecords(records, { keyId: "alice", privateKey: pair.privateKey }, {
        attachCertificate: 1,
      }),
    /Cannot attach a certificate: "alice" has none/,
  );
  await assert.rejects(
    () =>
      signRecords([...records, { ...records[0]!, key: "t\n3" }], {
        keyId: "alice",
        privateKey: pair.privateKey,
      }),
    TypeError,
  );
});

Deno.test("signed bytes stay right for records of many topics, and for keys given as bytes", () => {
  // More topics than the prefixes kept for them: each is still signed with its own.
  for (let i = 0; i < 600; i++) {
    const topic = `group.g${i}.requests`;
    assert.equal(
      text(recordBytes({ topic, key: "t-1", value: "{}" })),
      `kafclaw/1\n${topic}\nt-1\n{}`,
    );
  }
  const bytes = recordBytes({
    topic: "group.g1.requests",
    key: new TextEncoder().encode("ü-1"),
    value: new Uint8Array([0x7b, 0x7d]),
  });
  assert.equal(text(bytes), "kafclaw/1\ngroup.g1.requests\nü-1\n{}");
});
