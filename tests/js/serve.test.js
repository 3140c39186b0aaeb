// The static server (scripts/serve.js) answers every request target a client can
// send, over a raw socket so the target goes out exactly as written: files under its
// root, 404/403 outside it, 400 for what is not a path, and it keeps serving after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../../scripts/serve.js';

// Sends `GET <target> HTTP/1.1` and resolves with the status code.
function statusOf(port, target) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let reply = '';
    socket.on('data', (chunk) => { reply += chunk; });
    socket.on('end', () => resolve(Number(reply.split(' ')[1])));
    socket.on('error', reject);
  });
}

test('the server answers odd request targets with a status and keeps serving', async () => {
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsim-serve-'));
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'not for the web');
  const root = path.join(outside, 'site');
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>x</title>');
  const { server } = await startServer(root);
  const { port } = server.address();
  try {
    assert.equal(await statusOf(port, '/'), 200);
    assert.equal(await statusOf(port, '//?view=arcs'), 200);  // a browser's http://host//?…: once it stopped the server
    assert.equal(await statusOf(port, '//evil.example/x'), 404);
    assert.equal(await statusOf(port, 'http://evil.example/'), 400);
    assert.equal(await statusOf(port, '*'), 400);
    assert.equal(await statusOf(port, '/%E0%A4%A'), 400);
    assert.equal(await statusOf(port, '/../secret.txt'), 404);     // the URL parser drops the ..
    assert.equal(await statusOf(port, '/%2e%2e/secret.txt'), 404);
    assert.equal(await statusOf(port, '/..%2fsecret.txt'), 403);   // decoded after parsing: refused
    assert.equal(await statusOf(port, '/index.html'), 200);  // still serving
  } finally {
    server.close();
    fs.rmSync(outside, { recursive: true, force: true });
  }
});

test('the server streams a file of several MB whole, with its length, and a folder as its index.html', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsim-serve-'));
  const bytes = new Uint8Array(5 * 1048576 + 123).map((_, i) => (i * 2654435761) >>> 24);
  fs.writeFileSync(path.join(root, 'model.safetensors'), bytes);
  fs.mkdirSync(path.join(root, 'sub'));
  fs.writeFileSync(path.join(root, 'sub', 'index.html'), '<!doctype html><title>sub</title>');
  const { server, url } = await startServer(root);
  try {
    const response = await fetch(`${url}model.safetensors`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), String(bytes.length));
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), bytes);
    assert.equal(await (await fetch(`${url}sub/`)).text(), '<!doctype html><title>sub</title>');
    assert.equal((await fetch(`${url}nothing-here`)).status, 404);
  } finally {
    server.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
