// vaderjs.js: the baseline of bench/classify.sh, vader-sentiment 1.1.3 (the
// JavaScript port of VADER, from the npm registry) run with node.
//   node vaderjs.js rate N FILE...   classify N texts of the ground-truth
//                                    FILEs, round and round, three times;
//                                    print the median texts/s
//   node vaderjs.js scores FILE      print the compound score of each text,
//                                    one per line, in file order
// Texts are read as heed reads them: "id TAB rating TAB text", the text
// being everything after the second tab, a trailing CR dropped.
'use strict';
const fs = require('fs');
const path = require('path');

const dir = process.env.VADERJS_DIR;
if (!dir) {
  console.error('vaderjs.js: set VADERJS_DIR to the npm prefix holding vader-sentiment');
  process.exit(1);
}
// resolved, as require() takes a relative path without ./ for a package name
const vader = require(path.resolve(dir, 'node_modules', 'vader-sentiment'));

function texts(file) {
  const out = [];
  for (let line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const a = line.indexOf('\t');
    const b = a < 0 ? -1 : line.indexOf('\t', a + 1);
    if (b < 0 || !isFinite(parseFloat(line.slice(a + 1, b)))) continue;
    out.push(line.slice(b + 1));
  }
  return out;
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'rate') {
  const n = parseInt(args[0], 10);
  const all = [].concat(...args.slice(1).map(texts));
  for (const t of all.slice(0, 2000)) vader.SentimentIntensityAnalyzer.polarity_scores(t);
  // three runs and their median, as classify_bench does
  let sum = 0;
  const rates = [];
  for (let r = 0; r < 3; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++)
      sum += vader.SentimentIntensityAnalyzer.polarity_scores(all[i % all.length]).compound;
    rates.push(n / (Number(process.hrtime.bigint() - t0) / 1e9));
    console.error(`  (run ${r + 1}: ${Math.round(rates[r])} texts/s)`);
  }
  rates.sort((a, b) => a - b);
  console.log(Math.round(rates[1]));
  console.error(`  (checksum ${sum.toFixed(1)})`);
} else if (mode === 'scores') {
  const out = texts(args[0]).map(
    (t) => vader.SentimentIntensityAnalyzer.polarity_scores(t).compound);
  process.stdout.write(out.join('\n') + '\n');
} else {
  console.error('usage: node vaderjs.js rate N FILE... | scores FILE');
  process.exit(2);
}
