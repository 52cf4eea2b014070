// live.mjs drives the interactive cells of a notebook (package nb's ScoreBox and SteerPlayground) in a
// running JupyterLab with headless Chromium and a live GoNB kernel, as a person would:
//
//   1. opens the notebook and runs the cell that calls nb.ScoreBox( (click its prompt, Shift+Enter);
//      waits for the text box and the first scored text, types a new text into the box and waits until
//      the coloured tokens shown are those of the new text; presses Done and waits for the kept result;
//   2. runs the cell that calls nb.SteerPlayground(, waits for the menu, the slider and the first
//      continuation, moves the slider and waits for a changed steered continuation at the new alpha,
//      picks another emotion and waits for another; presses Done and waits for the kept result.
//
// Unlike check.mjs, which looks at outputs a headless run saved, this needs the kernel: GoNB's widgets
// talk to the cell's program through a WebSocket the page opens. Each cell must load what it needs
// itself, since only these two cells run. A screenshot follows each step; it exits 1 naming what failed.
//
// kernel-setup/lab-check.sh starts JupyterLab and runs it; by hand:
//
//   node tests/browser/live.mjs --url http://127.0.0.1:PORT --token TOKEN --out DIR \
//        [--chromium /usr/bin/chromium] [--timeout SECONDS] live/07-validation.ipynb
//
// The notebook is named relative to JupyterLab's root folder. --timeout bounds each wait; the first
// (the cell compiled by GoNB, the model loaded, the handshake) is the longest.
import { launch } from "./chromium.mjs";
import fs from "node:fs";
import path from "node:path";

const usage = `usage: node live.mjs --url URL --token TOKEN --out DIR [--chromium PATH] [--timeout SECONDS] NOTEBOOK`;

function parseArgs(argv) {
  const opts = { chromium: process.env.CHROMIUM || "/usr/bin/chromium", timeout: 600, notebooks: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value\n${usage}`);
      return argv[++i];
    };
    switch (a) {
      case "--url": opts.url = value().replace(/\/+$/, ""); break;
      case "--token": opts.token = value(); break;
      case "--out": opts.out = value(); break;
      case "--chromium": opts.chromium = value(); break;
      case "--timeout": opts.timeout = Number(value()); break;
      case "-h": case "--help": console.log(usage); process.exit(0);
      default:
        if (a.startsWith("--")) fail(`unknown flag ${a}\n${usage}`);
        opts.notebooks.push(a);
    }
  }
  for (const k of ["url", "token", "out"]) if (!opts[k]) fail(`--${k} is required\n${usage}`);
  if (opts.notebooks.length !== 1) fail(`name exactly one notebook\n${usage}`);
  if (!fs.existsSync(opts.chromium)) fail(`no Chromium at ${opts.chromium}: set --chromium / $CHROMIUM`);
  return opts;
}

function fail(msg) {
  console.error(`live check: ${msg}`);
  process.exit(2);
}

const log = (msg) => console.log(`  ${msg}`);
const short = (s, n = 90) => (s.length > n ? `${s.slice(0, n - 1)}…` : s).replace(/\s+/g, " ");

// Step is a failed expectation: its message names what did not happen.
class Step extends Error {}

// until polls fn until it returns a truthy value; after ms it throws Step(what).
async function until(what, ms, fn, everyMs = 250) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch((e) => {
      if (e instanceof Step) throw e; // a failure seen while waiting: no use waiting on
      return null;
    });
    if (v) return v;
    if (Date.now() > deadline) throw new Step(`${what} (waited ${Math.round(ms / 1000)} s)`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// kernelReady waits until the notebook's session has its kernel: a cell run before that is dropped
// (JupyterLab neither runs nor queues it). The status bar then names the kernel ("Go (gonb, ...) | Idle",
// or "| Unknown" until GoNB's first status message) instead of "No Kernel" or "Initializing".
async function kernelReady(page, ms) {
  const status = async () => (await page.locator(".jp-StatusBar-Widget").allInnerTexts()).join(" ");
  await until("the notebook's kernel to start (status bar)", ms, async () => {
    const s = await status();
    return /\|\s*(Idle|Unknown|Busy)\b/.test(s) && !/No Kernel|Initializing|Starting|Connecting/.test(s);
  });
  log(`kernel up: ${short((await status()).replace(/\s+/g, " "), 60)}`);
}

// runCell selects the code cell whose source contains marker and runs it with Shift+Enter, until its
// prompt shows that it is queued or running ("[*]") or ran ("[1]"): a run JupyterLab dropped is tried again.
async function runCell(page, marker, ms) {
  const cell = page.locator(".jp-Notebook .jp-CodeCell").filter({ hasText: marker }).first();
  await cell.waitFor({ state: "attached", timeout: ms }).catch(() => {
    throw new Step(`no code cell containing ${marker}`);
  });
  const prompt = cell.locator(".jp-InputPrompt").first();
  for (let attempt = 1; ; attempt++) {
    await cell.scrollIntoViewIfNeeded();
    await prompt.click();
    await page.keyboard.press("Shift+Enter");
    const started = await until("", 20_000, async () => /\[(\*|\d+)\]/.test(await prompt.innerText())).catch(() => false);
    if (started) break;
    if (attempt === 5) throw new Step(`the cell with ${marker} did not start after ${attempt} runs (its prompt: ${await prompt.innerText()})`);
    log(`the cell with ${marker} did not start; running it again`);
  }
  log(`ran the cell with ${marker}`);
  return cell;
}

// failed throws Step when the cell shows an error (a compile error, a panic; GoNB writes both to stderr)
// or its static example (it found no live front-end): no use waiting for widgets then.
async function failed(cell) {
  const err = await cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").allInnerTexts();
  if (err.some((t) => /panic|cell failed|\berror\b/i.test(t))) throw new Step(`the cell failed: ${short(err.join(" "), 400)}`);
  const note = cell.locator(".ep-static-note");
  if ((await note.count()) > 0) throw new Step(`the cell fell back to its static example: ${short(await note.first().innerText(), 300)}`);
  return false;
}

// result reads the cell's current live result: its update count, data attributes and text.
async function result(cell) {
  const r = cell.locator(".ep-live-result");
  if ((await r.count()) === 0) return null;
  return r.first().evaluate((el) => ({
    n: Number(el.dataset.n), text: el.dataset.text, emotion: el.dataset.emotion, alpha: el.dataset.alpha,
    html: el.innerHTML,
    coloured: [...el.querySelectorAll("span[title][style*='background']")].map((s) => s.textContent),
    steered: el.querySelector(".ep-steer-steered")?.textContent ?? null,
    error: el.textContent.includes("error:") ? el.textContent : null,
  }));
}

async function shot(page, opts, name) {
  const file = path.join(opts.out, `live-${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  log(`screenshot: ${file}`);
}

// done presses the cell's Done button and waits for the kept result and the widgets' removal.
async function done(page, cell, ms) {
  await cell.getByRole("button", { name: "Done" }).click();
  await until("the cell to end after Done (.ep-live-ended)", ms, async () => (await cell.locator(".ep-live-ended").count()) > 0);
  await until("the widgets to go when the cell ended", ms, async () =>
    (await cell.locator(".ep-scorebox-input, .ep-steer-alpha").count()) === 0);
  await until("the kernel to finish the cell (an execution count)", ms, async () =>
    /\[\d+\]/.test(await cell.locator(".jp-InputPrompt").first().innerText()));
  log("Done: the cell ended and kept its last result");
}

async function scoreBox(page, opts) {
  const ms = opts.timeout * 1000;
  const cell = await runCell(page, "nb.ScoreBox(", ms);
  const box = cell.locator(".ep-scorebox-input");
  await until("the text box (.ep-scorebox-input)", ms, async () => (await failed(cell)) || (await box.count()) > 0);
  const first = await until("the first scored text", ms, () => result(cell));
  log(`text box up; first result #${first.n}: "${short(first.text)}", ${first.coloured.length} coloured token(s)`);
  if (first.error) throw new Step(`the first result is an error: ${short(first.error, 300)}`);
  if (first.coloured.length === 0) throw new Step("the first result has no coloured token");
  await shot(page, opts, "scorebox-first");

  const typed = "We danced in the kitchen all night, laughing.";
  await box.fill("");
  await box.pressSequentially(typed, { delay: 15 });
  const next = await until(`a result for the typed text "${typed}"`, 120_000, async () => {
    const r = await result(cell);
    return r && r.text === typed && r.n > first.n ? r : null;
  });
  if (next.error) throw new Step(`the result for the typed text is an error: ${short(next.error, 300)}`);
  if (next.coloured.length === 0) throw new Step("the typed text's result has no coloured token");
  if (next.html === first.html) throw new Step("the coloured tokens did not change after typing");
  const shown = next.coloured.join("");
  if (!shown.includes("danced") && !shown.includes("kitchen")) {
    throw new Step(`the coloured tokens are not the typed text's: "${short(shown)}"`);
  }
  log(`typed; result #${next.n}: ${next.coloured.length} coloured token(s): "${short(shown)}"`);
  await shot(page, opts, "scorebox-typed");
  await done(page, cell, ms);
}

async function steer(page, opts) {
  const ms = opts.timeout * 1000;
  const cell = await runCell(page, "nb.SteerPlayground(", ms);
  const slider = cell.locator(".ep-steer-alpha"), menu = cell.locator(".ep-steer-emotion");
  await until("the emotion menu and the strength slider", ms, async () =>
    (await failed(cell)) || ((await slider.count()) > 0 && (await menu.count()) > 0));
  const first = await until("the first steered continuation", ms, async () => {
    const r = await result(cell);
    return r && r.steered !== null ? r : null;
  });
  if (first.error) throw new Step(`the first result is an error: ${short(first.error, 300)}`);
  log(`menu and slider up; #${first.n}: ${first.emotion} at alpha ${first.alpha}: "${short(first.steered)}"`);
  await shot(page, opts, "steer-first");

  // The slider: as a person lets go of it, an input event then a change event.
  const alpha = first.alpha === "1.00" ? "-1.00" : "1.00";
  await slider.evaluate((el, v) => {
    el.value = v;
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }, String(Math.round(Number(alpha) * 100)));
  const moved = await until(`a continuation at alpha ${alpha} after moving the slider`, 180_000, async () => {
    const r = await result(cell);
    return r && r.alpha === alpha && r.n > first.n && r.steered !== null ? r : null;
  });
  if (moved.steered === first.steered) throw new Step(`the continuation did not change with alpha ${first.alpha} -> ${alpha}: "${short(moved.steered)}"`);
  log(`slider to ${alpha}; #${moved.n}: "${short(moved.steered)}"`);
  await shot(page, opts, "steer-slider");

  const options = await menu.locator("option").allTextContents();
  const other = options.find((o) => o !== moved.emotion);
  if (!other) throw new Step(`the menu offers no other emotion than ${moved.emotion}`);
  await menu.selectOption({ label: other });
  const picked = await until(`a continuation steered toward ${other} after picking it`, 180_000, async () => {
    const r = await result(cell);
    return r && r.emotion === other && r.n > moved.n && r.steered !== null ? r : null;
  });
  if (picked.steered === moved.steered) throw new Step(`the continuation did not change from ${moved.emotion} to ${other}: "${short(picked.steered)}"`);
  log(`menu to ${other}; #${picked.n}: "${short(picked.steered)}"`);
  await shot(page, opts, "steer-emotion");
  await done(page, cell, ms);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  fs.mkdirSync(opts.out, { recursive: true });
  const { browser, close } = await launch(opts.chromium, opts.out, fail);
  const name = opts.notebooks[0];
  const problems = [];
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.log(`  [page error] ${e.message}`));
  try {
    const url = `${opts.url}/lab/tree/${name.split("/").map(encodeURIComponent).join("/")}?reset&token=${encodeURIComponent(opts.token)}`;
    console.log(`${name}: the interactive cells, with a live kernel`);
    const open = async () => {
      await page.goto(url, { waitUntil: "domcontentloaded", timeout: opts.timeout * 1000 });
      await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first().waitFor({ state: "visible", timeout: opts.timeout * 1000 });
      await kernelReady(page, opts.timeout * 1000);
    };
    for (const [what, fn] of [["opening the notebook", open], ["score box", scoreBox], ["steering", steer]]) {
      const t0 = Date.now();
      try {
        await fn(page, opts);
        log(`${what}: ok in ${Math.round((Date.now() - t0) / 1000)} s`);
      } catch (e) {
        problems.push(`${what}: ${e instanceof Step ? e.message : e.message.split("\n")[0]}`);
        await shot(page, opts, `${what.replace(/ /g, "-")}-failed`).catch(() => {});
        break; // a cell left running would hold the kernel: the next one could not run
      }
    }
  } finally {
    await close();
  }
  for (const p of problems) console.error(`FAIL ${name}: ${p}`);
  if (problems.length) {
    console.error(`live check: failed; screenshots in ${opts.out}`);
    process.exit(1);
  }
  console.log(`live check: ok; screenshots in ${opts.out}`);
}

main();
