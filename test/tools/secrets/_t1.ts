import { readFileSync } from 'node:fs';
import { createAgeKeySource } from '../../../lib/secrets/age-key-source.ts';
import { recoverDataKey } from '../../../lib/secrets/data-key.ts';
import { createKmsKeySource } from '../../../lib/secrets/kms-key-source.ts';
import { decryptTree } from '../../../lib/secrets/sops-tree.ts';
import { importDataKey } from '../../../lib/secrets/sops-value.ts';
import { loadYamlSopsFile } from '../../../lib/secrets/yaml-store.ts';

const [file, expected] = process.argv.slice(2);
const f = loadYamlSopsFile(readFileSync(file, 'utf8'))!;
const id = readFileSync('/tmp/sx/ids.txt', 'utf8').split('\n')[0];
const key = await recoverDataKey(f.metadata, {
  age: createAgeKeySource([id]),
  kms: createKmsKeySource(undefined),
});
const r = await decryptTree(f.leaves, f.comments, f.metadata, await importDataKey(key));
const out = f.emit(r);
const want = readFileSync(expected, 'utf8');
if (out === want) console.log('IDENTICAL');
else {
  console.log(out);
}
