import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
const docs = parseAllDocuments(readFileSync(process.argv[2]!, 'utf8'), { schema: 'failsafe', merge: false, uniqueKeys: false });
for (const d of (Array.isArray(docs) ? docs : [docs])) for (const e of d.errors) console.log(e.code, e.message.slice(0, 300));
