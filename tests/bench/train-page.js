// npm run bench:train-page — issue 20's figures, measured in headless Chromium on the
// built page: the Train view trains the default preset ("recipe") with a seed until
// some head's induction score reaches 0.5 (or the time limit), and reports when a
// previous-token head and an induction head first scored 0.5, and 0.1 (step, tokens,
// seconds of training and of wall time), the tokens per second, and screenshots of
// the view before, during and after the phase change (build/screenshots/train-*.png).
// Figures, not pass/fail; also written to build/bench/train-page.json.
//   node tests/bench/train-page.js [--seed N] [--minutes M] [--preset NAME]
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { launch, serveDist, screenshot, root } from '../browser/harness.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const seed = Number(arg('seed', 1));
const minutes = Number(arg('minutes', 10));
const preset = arg('preset', 'recipe');

const site = await serveDist();
const browser = await launch();
const page = await browser.context.newPage();
await page.setViewportSize({ width: 1280, height: 1300 });
await page.goto(`${site.url}?view=train`);
await page.waitForSelector('body[data-ready="true"]');
await page.selectOption('#train-preset', preset);
await page.fill('#train-seed', String(seed));
const clickedAt = Date.now();
await page.click('#train-start');

// The run as the view has it: steps, tokens, training time, and the best head of each
// score at every measurement.
const state = () => page.evaluate(() => {
  const r = document.querySelector('#view-train').trainerRun();
  if (!r || !r.started) return null;
  const best = (m, key) => Math.max(...m.heads[key].flat());
  return {
    steps: r.losses.length, tokensPerStep: r.tokensPerStep, trainMs: r.trainMs, wallMs: r.wallMs, parameters: r.parameters,
    measures: r.measures.map((m) => ({ step: m.step, prev: best(m, 'prev_token_random'), prev_text: best(m, 'prev_token'), sink: best(m, 'first_token'), induction: best(m, 'induction') })),
  };
});

const shots = [];
let prevAt = null, inductionAt = null, prevOnset = null, inductionOnset = null, duringShot = false, s = null;
const deadline = clickedAt + minutes * 60000;
while (Date.now() < deadline) {
  await page.waitForTimeout(1000);
  s = await state();
  if (!s) continue;
  const at = (m) => ({ step: m.step, tokens: m.step * s.tokensPerStep, score: null });
  for (const m of s.measures) {
    if (!prevAt && m.prev >= 0.5) prevAt = { ...at(m), score: m.prev };
    if (!inductionAt && m.induction >= 0.5) inductionAt = { ...at(m), score: m.induction };
    // Onsets: the first measurement at 0.1, three times where every head starts (≈ 0.03).
    if (!prevOnset && m.prev >= 0.1) prevOnset = { ...at(m), score: m.prev };
    if (!inductionOnset && m.induction >= 0.1) inductionOnset = { ...at(m), score: m.induction };
  }
  const last = s.measures.at(-1);
  if (shots.length === 0 && s.steps >= 100) shots.push(await screenshot(page, 'train-before'));
  if (!duringShot && last && last.induction >= 0.2) { duringShot = true; shots.push(await screenshot(page, 'train-during')); }
  if (inductionAt && s.steps >= inductionAt.step + 300) break;
}
shots.push(await screenshot(page, 'train-after'));
s = await state();
const stepSeconds = (step) => (s.trainMs / 1000) * (step / s.steps);  // training time is spread evenly over steps
const report = {
  preset, seed, parameters: s.parameters, steps: s.steps, tokens: s.steps * s.tokensPerStep,
  tokens_per_second: (s.steps * s.tokensPerStep) / (s.trainMs / 1000),
  train_seconds: s.trainMs / 1000, wall_seconds: s.wallMs / 1000,
  previous_token: prevAt && { ...prevAt, train_seconds: stepSeconds(prevAt.step) },
  induction: inductionAt && { ...inductionAt, train_seconds: stepSeconds(inductionAt.step) },
  previous_token_onset: prevOnset && { ...prevOnset, train_seconds: stepSeconds(prevOnset.step) },
  induction_onset: inductionOnset && { ...inductionOnset, train_seconds: stepSeconds(inductionOnset.step) },
  measures: s.measures, screenshots: shots.map((f) => path.relative(root, f)),
  machine: { cpus: os.cpus().length, model: os.cpus()[0].model, load: os.loadavg() },
};
fs.mkdirSync(path.join(root, 'build/bench'), { recursive: true });
fs.writeFileSync(path.join(root, 'build/bench/train-page.json'), JSON.stringify(report, null, 1));
const when = (x) => (x ? `step ${x.step.toLocaleString('en')} (${(x.tokens / 1e6).toFixed(2)} M tokens, ${x.train_seconds.toFixed(0)} s of training), score ${x.score.toFixed(2)}` : 'not within the run');
console.log(`Train view, preset "${preset}", seed ${seed}: ${s.steps.toLocaleString('en')} steps, ${(report.tokens / 1e6).toFixed(2)} M tokens in ${report.train_seconds.toFixed(0)} s of training (${report.wall_seconds.toFixed(0)} s wall), ${Math.round(report.tokens_per_second).toLocaleString('en')} tokens/s`);
console.log(`  previous-token head >= 0.5: ${when(report.previous_token)}`);
console.log(`  induction head >= 0.5:      ${when(report.induction)}`);
console.log(`  onsets (>= 0.1): previous-token ${when(report.previous_token_onset)}; induction ${when(report.induction_onset)}`);
console.log(`  load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; screenshots: ${report.screenshots.join(', ')}`);
await browser.close();
site.server.close();
