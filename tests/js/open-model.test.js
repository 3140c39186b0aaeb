// Reading a model folder (web/src/open-model.js) in Node, on File objects as the page's
// file picker gives them: model.safetensors reaches the sink whole and in order, in
// pieces; a sink that hands each piece back (the engine's worker does) gets the same
// few arrays to fill again instead of a new one per piece; one that keeps them
// (gather) gets a new one each time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readModelFolder, gather } from '../../web/src/open-model.js';

const MB = 1024 * 1024;

// A folder whose model.safetensors is a header and 41 MB of patterned bytes (six
// pieces of 8 MiB and a short one): what the sink gets is checked against it.
function folder() {
  const header = new TextEncoder().encode('{}      ');
  const bytes = new Uint8Array(8 + header.length + 41 * MB + 12345);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
  bytes.set(header, 8);
  for (let i = 8 + header.length; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  const files = [new File(['{}'], 'config.json'), new File(['{}'], 'tokenizer.json'), new File([bytes], 'model.safetensors')];
  return { files, bytes };
}
const sizeOf = async () => ({ parameters: 1, peak_bytes: 1 });

test('a sink that sends each piece back gets the same few arrays again, and the whole file in order', async () => {
  const { files, bytes } = folder();
  const received = [], buffers = new Set();
  const sink = {
    async feed(piece) {
      received.push(piece.slice());
      buffers.add(piece.buffer);
      await new Promise((resolve) => setTimeout(resolve, 1));  // the worker's time
      return piece;  // as the engine's worker does: the piece comes back
    },
  };
  const { sink: used } = await readModelFolder(files, { sizeOf, open: () => sink });
  assert.equal(used, sink);
  const all = new Uint8Array(received.reduce((n, p) => n + p.length, 0));
  received.reduce((at, p) => (all.set(p, at), at + p.length), 0);
  assert.deepEqual(all, bytes);
  assert.equal(received.length, 6);
  assert.ok(received.slice(0, 5).every((p) => p.length === 8 * MB));
  assert.ok(buffers.size <= 3, `${buffers.size} different arrays for ${received.length} pieces`);
});

test('a sink that keeps its pieces (gather) gets the whole file: nothing it keeps is filled again', async () => {
  const { files, bytes } = folder();
  const { sink } = await readModelFolder(files, { sizeOf, open: () => gather() });
  assert.deepEqual(sink.bytes, bytes);
});

test('a model that needs more than the page holds is refused before its weights are read; gpt2-medium is not', async () => {
  const { files } = folder();
  const fed = [];
  const open = () => ({ feed: (piece) => { fed.push(piece.length); } });
  // gpt2-medium's figures as the core states them (355 M parameters, 1.42 GB of F32
  // weights, wte gathered once more, a piece): it loads.
  await readModelFolder(files, { sizeOf: async () => ({ parameters: 354823168, peak_bytes: 1.63e9 }), open });
  assert.ok(fed.length > 0);
  fed.length = 0;
  // gpt2-large's (774 M parameters, 3.3 GB): refused, saying why, nothing read.
  await assert.rejects(readModelFolder(files, { sizeOf: async () => ({ parameters: 774030080, peak_bytes: 3.3e9 }), open }),
    /774,030,080 parameters; loading it needs about 3147 MB, more than the page's 3072 MB/);
  assert.equal(fed.length, 0);
});
