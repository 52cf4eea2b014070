// check.mjs opens executed notebooks in a running JupyterLab with headless Chromium and checks that
// their figures render: every <img> in an output has loaded (naturalWidth > 0) and, when the notebook is
// trusted, every go-echarts chart inside an <iframe srcdoc> has drawn a canvas that is not blank.
// It keeps a full-page screenshot per notebook and exits 1 naming each figure that did not render.
//
// kernel-setup/lab-check.sh starts JupyterLab and runs it; by hand:
//
//   node tests/browser/check.mjs --url http://127.0.0.1:PORT --token TOKEN --out DIR \
//        [--chromium /usr/bin/chromium] [--untrusted] 05-geometry.ipynb 03-activations.ipynb
//
// Each notebook is named relative to JupyterLab's root folder. What is expected is read from the
// notebook file itself (--dir, JupyterLab's root folder): as many loaded images as it has
// <img src="data:image/png"> in its outputs, and, trusted, as many drawn charts as it has <iframe>s.
// --untrusted expects JupyterLab's behaviour for a notebook that is not trusted instead: its HTML
// outputs are sanitized, so the iframes are gone and only the PNGs show (that is why every chart
// has a PNG beside it).
import { launch } from "./chromium.mjs";
import fs from "node:fs";
import path from "node:path";

const usage = `usage: node check.mjs --url URL --token TOKEN --dir ROOT --out DIR [--chromium PATH] [--untrusted] [--timeout SECONDS] NOTEBOOK...`;

function parseArgs(argv) {
  const opts = { chromium: process.env.CHROMIUM || "/usr/bin/chromium", untrusted: false, timeout: 120, notebooks: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value\n${usage}`);
      return argv[++i];
    };
    switch (a) {
      case "--url": opts.url = value().replace(/\/+$/, ""); break;
      case "--token": opts.token = value(); break;
      case "--dir": opts.dir = value(); break;
      case "--out": opts.out = value(); break;
      case "--chromium": opts.chromium = value(); break;
      case "--timeout": opts.timeout = Number(value()); break;
      case "--untrusted": opts.untrusted = true; break;
      case "-h": case "--help": console.log(usage); process.exit(0);
      default:
        if (a.startsWith("--")) fail(`unknown flag ${a}\n${usage}`);
        opts.notebooks.push(a);
    }
  }
  for (const k of ["url", "token", "dir", "out"]) if (!opts[k]) fail(`--${k} is required\n${usage}`);
  if (opts.notebooks.length === 0) fail(`name at least one notebook\n${usage}`);
  if (!fs.existsSync(opts.chromium)) {
    fail(`no Chromium at ${opts.chromium}: install it (Debian: apt-get install -y chromium) or set --chromium / $CHROMIUM`);
  }
  return opts;
}

function fail(msg) {
  console.error(`browser check: ${msg}`);
  process.exit(2);
}

// expected counts the figures a notebook's saved outputs hold: PNG images and chart iframes.
function expected(file) {
  const nb = JSON.parse(fs.readFileSync(file, "utf8"));
  let images = 0, iframes = 0;
  for (const cell of nb.cells) {
    for (const out of cell.outputs || []) {
      const html = out.data?.["text/html"];
      if (!html) continue;
      const s = Array.isArray(html) ? html.join("") : html;
      images += (s.match(/<img\b[^>]*\bsrc="data:image\/png/g) || []).length;
      iframes += (s.match(/<iframe\b/g) || []).length;
    }
  }
  return { images, iframes };
}

// waitFor polls fn until it returns a truthy value or the deadline passes; it returns the last value.
async function waitFor(fn, deadline, everyMs = 250) {
  let v;
  for (;;) {
    v = await fn();
    if (v || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// canvasReport runs inside a chart's iframe: the size of its largest canvas and the share of pixels that
// differ from the canvas's corner (the background). 0 canvases means the chart script did not run.
function canvasReport() {
  const canvases = [...document.querySelectorAll("canvas")];
  if (canvases.length === 0) return { canvases: 0, width: 0, height: 0, inked: 0 };
  const c = canvases.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
  if (c.width === 0 || c.height === 0) return { canvases: canvases.length, width: c.width, height: c.height, inked: 0 };
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  const bg = [d[0], d[1], d[2], d[3]];
  let inked = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]) + Math.abs(d[i + 3] - bg[3]) > 24) inked++;
  }
  return { canvases: canvases.length, width: c.width, height: c.height, inked: inked / (c.width * c.height) };
}

async function checkNotebook(browser, opts, name) {
  const problems = [];
  const want = expected(path.join(opts.dir, name));
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.log(`  [page error] ${e.message}`));
  const deadline = Date.now() + opts.timeout * 1000;
  // ?reset starts from an empty workspace, so that no earlier layout or open file gets in the way.
  const url = `${opts.url}/lab/tree/${name.split("/").map(encodeURIComponent).join("/")}?reset&token=${encodeURIComponent(opts.token)}`;
  console.log(`${name}: expecting ${want.images} PNG image(s) and ${opts.untrusted ? "no chart iframes (untrusted)" : `${want.iframes} chart(s)`}`);
  await page.goto(url, { waitUntil: "domcontentloaded", timeout: opts.timeout * 1000 });

  // The notebook has rendered when the page holds as many images (and, trusted, chart iframes) as the
  // file's outputs do.
  const panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)");
  await panel.first().waitFor({ state: "visible", timeout: opts.timeout * 1000 });
  const imgSel = ".jp-NotebookPanel .jp-OutputArea-output img";
  const iframeSel = ".jp-NotebookPanel .jp-OutputArea-output iframe";
  const wantIframes = opts.untrusted ? 0 : want.iframes;
  await waitFor(async () => (await page.locator(imgSel).count()) >= want.images &&
    (await page.locator(iframeSel).count()) >= wantIframes, deadline);

  // Images: scroll each into view (JupyterLab may defer off-screen cells) and wait for it to decode.
  const imgs = page.locator(imgSel);
  const nImg = await imgs.count();
  if (nImg < want.images) problems.push(`${nImg} of ${want.images} PNG images are in the page`);
  for (let i = 0; i < nImg; i++) {
    const img = imgs.nth(i);
    await img.scrollIntoViewIfNeeded().catch(() => {});
    const size = await waitFor(() => img.evaluate((el) => (el.complete && el.naturalWidth > 0 ? [el.naturalWidth, el.naturalHeight] : null)), deadline);
    if (!size) {
      // Name the image by its src: a data URI that is not a valid image, or a path that does not
      // resolve next to the notebook (a Markdown output's relative ![](figures/x.png), say).
      const src = (await img.getAttribute("src").catch(() => "")) || "";
      const what = src.startsWith("data:") ? `${src.slice(5, src.indexOf(";"))} data URI that does not decode`
        : `src "${src.slice(0, 120)}", which JupyterLab resolves against the notebook's folder`;
      problems.push(`image ${i + 1} did not load (naturalWidth 0): ${what}`);
    } else console.log(`  image ${i + 1}: ${size[0]}x${size[1]} loaded`);
  }

  // Charts: each iframe's page must draw a canvas with something on it.
  const frames = page.locator(iframeSel);
  const nFrames = await frames.count();
  if (opts.untrusted && nFrames > 0) {
    // JupyterLab sanitizes an untrusted notebook's HTML, iframes included: if they are here, the
    // notebook is trusted after all (a signature left in the database?) and this pass proves nothing.
    problems.push(`${nFrames} chart iframe(s) are shown although the notebook should be untrusted`);
  }
  if (!opts.untrusted && nFrames < want.iframes) {
    problems.push(`${nFrames} of ${want.iframes} chart iframes are in the page (is the notebook trusted? see jupyter trust)`);
  }
  for (let i = 0; i < (opts.untrusted ? 0 : nFrames); i++) {
    const el = frames.nth(i);
    await el.scrollIntoViewIfNeeded().catch(() => {});
    const frame = await (await el.elementHandle()).contentFrame();
    if (!frame) {
      problems.push(`chart ${i + 1}: its iframe has no document`);
      continue;
    }
    // A chart draws its axes first and its data during its opening animation: wait until it has ink.
    const r = await waitFor(async () => {
      const rep = await frame.evaluate(canvasReport).catch((e) => ({ error: e.message }));
      return rep.inked > 0.01 ? rep : (Date.now() > deadline ? rep : null);
    }, deadline + 1000);
    if (!r || r.error) problems.push(`chart ${i + 1}: could not read its canvas (${r?.error ?? "timed out"})`);
    else if (r.canvases === 0) problems.push(`chart ${i + 1}: no <canvas> in its iframe (the chart script did not run)`);
    else if (r.width === 0 || r.height === 0) problems.push(`chart ${i + 1}: its canvas is ${r.width}x${r.height}`);
    else if (r.inked <= 0.01) problems.push(`chart ${i + 1}: its ${r.width}x${r.height} canvas is blank (${(100 * r.inked).toFixed(2)}% drawn)`);
    else console.log(`  chart ${i + 1}: ${r.width}x${r.height} canvas, ${(100 * r.inked).toFixed(1)}% of pixels drawn`);
  }

  // The screenshot shows the first figure: the first chart when trusted, else the first PNG.
  const first = nFrames > 0 && !opts.untrusted ? frames.first() : nImg > 0 ? imgs.first() : null;
  if (first) await first.scrollIntoViewIfNeeded().catch(() => {});
  await page.waitForTimeout(300);
  const shot = path.join(opts.out, `${path.basename(name, ".ipynb")}${opts.untrusted ? "-untrusted" : ""}.png`);
  await page.screenshot({ path: shot, fullPage: false });
  console.log(`  screenshot: ${shot}`);
  await page.close();
  return problems;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  fs.mkdirSync(opts.out, { recursive: true });
  const { browser, close } = await launch(opts.chromium, opts.out, fail);
  let failed = 0;
  try {
    for (const nb of opts.notebooks) {
      const problems = await checkNotebook(browser, opts, nb).catch((e) => [`${e.message.split("\n")[0]}`]);
      for (const p of problems) console.error(`FAIL ${nb}: ${p}`);
      if (problems.length) failed++;
    }
  } finally {
    await close();
  }
  if (failed) {
    console.error(`browser check: ${failed} of ${opts.notebooks.length} notebook(s) did not render their figures; screenshots in ${opts.out}`);
    process.exit(1);
  }
  console.log(`browser check: ok, ${opts.notebooks.length} notebook(s); screenshots in ${opts.out}`);
}

main();
