// The README's "Connecting a client" snippets are copies of this suite's
// configuration: fail when one drifts from the code that is tested.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const read = (p) => readFileSync(new URL(p, import.meta.url), 'utf8');
const readme = read('../../README.md');

for (const [file, name] of [['apollo.test.mjs', 'client-config'], ['urql.test.mjs', 'urql-config'], ['ws.test.mjs', 'ws-config']]) {
  test(`README quotes ${file}'s ${name}`, () => {
    const src = read(`./${file}`);
    const start = src.indexOf(`// ${name}:start\n`);
    const end = src.indexOf(`// ${name}:end`);
    assert.ok(start >= 0 && end > start, `${file} marks its ${name}`);
    const snippet = src.slice(start + `// ${name}:start\n`.length, end);
    assert.ok(readme.includes(snippet), `README.md has ${file}'s ${name} verbatim`);
  });
}
