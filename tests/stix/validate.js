#!/usr/bin/env node
// Validates STIX 2.1 bundles (sigmesh exports) against the OASIS STIX 2.1
// JSON schemas (draft 2020-12).
//   node tests/stix/validate.js SCHEMA_DIR FILE.json...
// Prints "PASS validate FILE" or "FAIL validate FILE: why" per file and
// exits non-zero if any file fails. Each object of a bundle is also checked
// against its own type's schema, so an error names the offending object.
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

function listJson(dir) {
  let out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out = out.concat(listJson(p));
    else if (e.name.endsWith('.json')) out.push(p);
  }
  return out;
}

function main() {
  const args = process.argv.slice(2);
  if (args.length < 2) {
    console.error('usage: validate.js SCHEMA_DIR FILE.json...');
    process.exit(2);
  }
  const schemaDir = args[0];
  // The OASIS schemas use a few non-standard keywords and loose unions;
  // strict mode would reject the schemas themselves, not our data; their
  // patterns use escapes ("\\-") that are invalid under the u flag.
  const ajv = new Ajv2020({ strict: false, allErrors: false, unicodeRegExp: false });
  addFormats(ajv);
  // ajv-formats has no idn-hostname (domain-name:value uses it): labels of
  // 1-63 characters without spaces or controls, 253 at most in all.
  ajv.addFormat('idn-hostname', (v) => v.length <= 253 &&
    v.split('.').every((l) => l.length >= 1 && l.length <= 63 && !/[\s\u0000-\u001f\u007f]/.test(l)));
  const byType = {};
  for (const f of listJson(schemaDir)) {
    const s = JSON.parse(fs.readFileSync(f, 'utf8'));
    ajv.addSchema(s);
    byType[path.basename(f, '.json')] = s.$id;
  }
  const bundle = ajv.getSchema(byType['bundle']);
  let failed = 0;
  for (const file of args.slice(1)) {
    let doc;
    try {
      doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      console.log(`FAIL validate ${file}: not JSON: ${e.message}`);
      failed++;
      continue;
    }
    const why = [];
    // The bundle schema's union reports every alternative it tried; the
    // per-object checks below name the real cause, so keep this one short.
    if (!bundle(doc))
      why.push('bundle: ' + ajv.errorsText(bundle.errors).slice(0, 200));
    for (const o of Array.isArray(doc.objects) ? doc.objects : []) {
      const id = byType[o.type];
      if (!id) {
        why.push(`${o.id}: no schema for type ${o.type}`);
        continue;
      }
      const v = ajv.getSchema(id);
      if (!v(o))
        why.push(`${o.id}: ` + ajv.errorsText(v.errors));
    }
    if (!Array.isArray(doc.objects) || doc.objects.length === 0)
      why.push('bundle has no objects');
    if (why.length) {
      console.log(`FAIL validate ${file}: ${why.slice(0, 5).join('; ')}`);
      failed++;
    } else {
      console.log(`PASS validate ${file} (${doc.objects.length} objects)`);
    }
  }
  process.exit(failed ? 1 : 0);
}

main();
