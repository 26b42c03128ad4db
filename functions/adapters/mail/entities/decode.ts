// `entities/decode` for htmlparser2: entities 7's own (see index.ts).
export * from '../../../../node_modules/htmlparser2/node_modules/entities/dist/esm/decode.js';
