// chromium.mjs starts the headless Chromium that check.mjs and live.mjs drive.
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

// launch starts Chromium at executable with a fresh profile under outDir and returns its browser context and
// close, which closes it and removes the profile; it calls fail with a message if Chromium does not start. The flags suit a closed network and a CI
// container: no sandbox (root in a container), no GPU, and none of Chromium's own background traffic
// (updates, sync, QUIC probes) that would only time out here. launchPersistentContext passes the profile
// as --user-data-dir.
export async function launch(executable, outDir, fail) {
  const userDataDir = fs.mkdtempSync(path.join(outDir, "chromium-profile-"));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: executable,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  }).catch((e) => fail(`could not start ${executable}: ${e.message}`));
  const close = async () => {
    await browser.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { browser, close };
}
