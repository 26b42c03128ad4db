// The bundles' `entities` (an esbuild alias, see lib/constructs/refer-function.ts). html-to-text
// brings two versions: htmlparser2 decodes with entities 7 (`entities/decode`, below), and
// dom-serializer escapes with entities 4, whose index also pulls in its own decoding and encoding
// tables (~60 KB). Both are served by entities 7; dom-serializer needs only its escape functions.
export { encodeXML, escapeAttribute, escapeText } from '../../../../node_modules/htmlparser2/node_modules/entities/dist/esm/escape.js';
