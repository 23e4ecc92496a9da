// Takes the README screenshots in headless Chromium with playwright-core.
//
//   node scripts/screenshots.mjs STATE.json OUTDIR
//
// Run through scripts/screenshots, which installs playwright-core outside the
// repository (NODE_PATH), starts Home Assistant and writes STATE.json with
// scripts/screenshots.py. Logs in by putting the tokens in localStorage.
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");

const [statePath, outDir] = process.argv.slice(2);
const state = JSON.parse(readFileSync(statePath, "utf8"));
const hass = state.hassUrl;
const SETTLE_MS = 2500;
const WIDTH = 1280;
const HEIGHT = 800;
const BRAND = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "custom_components",
  "portainer_control",
  "brand",
);

const hassTokens = {
  access_token: state.tokens.access_token,
  refresh_token: state.tokens.refresh_token,
  expires_in: state.tokens.expires_in,
  token_type: "Bearer",
  hassUrl: hass,
  clientId: state.clientId,
  expires: state.tokens.expires,
};

const userDataDir = mkdtempSync(join(tmpdir(), "screenshots-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  viewport: { width: WIDTH, height: HEIGHT },
  deviceScaleFactor: 1,
  colorScheme: "light",
  locale: "en-US",
  timezoneId: "UTC",
});

let page;
try {
  await context.addInitScript((tokens) => {
    window.localStorage.setItem("hassTokens", JSON.stringify(tokens));
  }, hassTokens);
  // No internet here: our brand images come from the repository, as newer
  // Home Assistant releases serve a custom integration's brand folder; other
  // brands are left out at once.
  await context.route("https://brands.home-assistant.io/**", (route) => {
    const match = new URL(route.request().url()).pathname.match(
      /^\/(?:_\/)?portainer_control\/((?:dark_)?(?:icon|logo)(?:@2x)?\.png)$/,
    );
    if (!match) return route.abort();
    const file = match[1].replace(/^dark_/, "");
    return route.fulfill({ path: join(BRAND, file), contentType: "image/png" });
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (err) => console.error("page error:", err.message));

  // Opens a page and waits until Home Assistant has drawn it. Once the app
  // runs, it moves on as its own links do: a full load can draw the logbook
  // before the entity translations arrive ("changed to none").
  let loaded = false;
  async function open(path, ready, { reload = false } = {}) {
    if (loaded && !reload) {
      await page.evaluate((to) => {
        history.pushState(null, "", to);
        window.dispatchEvent(new CustomEvent("location-changed", { detail: {} }));
      }, path);
    } else {
      await page.goto(`${hass}${path}`, { waitUntil: "networkidle" });
      loaded = true;
    }
    await ready.first().waitFor({ state: "visible", timeout: 30000 });
    await page.waitForLoadState("networkidle");
    await page.waitForTimeout(SETTLE_MS);
  }

  // Makes the window as tall as the page down to the card with this title.
  async function fitTo(title) {
    await page.setViewportSize({ width: WIDTH, height: 2400 });
    await page.waitForTimeout(1000);
    const card = page.locator("ha-device-entities-card").filter({ hasText: title });
    const box = await card.first().boundingBox();
    const height = Math.max(HEIGHT, Math.ceil(box.y + box.height + 16));
    await page.setViewportSize({ width: WIDTH, height });
    await page.waitForTimeout(1000);
  }

  async function shoot(name) {
    const login = await page.locator("ha-authorize").count();
    if (login) throw new Error(`${name}: the login page is shown`);
    const path = join(outDir, `${name}.png`);
    await page.screenshot({ path });
    console.error(`wrote ${path}`);
    await page.setViewportSize({ width: WIDTH, height: HEIGHT });
  }

  // First, while the CPU graph spans just its window.
  await open(state.dashboard, page.locator("hui-history-graph-card"));
  await shoot("dashboard");

  // Device pages are long: the shot ends below the card named.
  const deviceTitle = (name) =>
    page.locator("hass-subpage .main-title").filter({ hasText: name });
  await open(
    `/config/devices/device/${state.environmentDevice}`,
    deviceTitle(state.environmentName),
  );
  await fitTo("Diagnostic");
  await shoot("environment-device");

  await open(
    `/config/devices/device/${state.containerDevice}`,
    deviceTitle(state.containerName),
  );
  await fitTo("Sensors");
  await shoot("container-device");

  // The "Add integration" form, filled in as a user would. The dialog opens
  // on a full load of this address.
  await open(
    "/config/integrations/dashboard/add?domain=portainer_control",
    page.locator("dialog-box ha-md-dialog, dialog-data-entry-flow ha-form"),
    { reload: true },
  );
  // Home Assistant first asks "Do you want to set up Portainer Control?".
  const confirm = page.locator("dialog-box ha-button");
  if (await confirm.count()) {
    await confirm.last().click();
  }
  await page
    .locator("dialog-data-entry-flow ha-form")
    .first()
    .waitFor({ state: "visible", timeout: 30000 });
  await page.waitForTimeout(SETTLE_MS);
  const inputs = page.locator("dialog-data-entry-flow ha-textfield input");
  await inputs.nth(0).fill(state.gateway);
  await inputs.nth(1).fill(state.apiToken);
  // Verify SSL certificate: off, as for a self-signed certificate.
  await page
    .locator("dialog-data-entry-flow ha-checkbox, dialog-data-entry-flow ha-switch")
    .first()
    .click();
  await page.waitForTimeout(500);
  await shoot("config-flow");
} catch (err) {
  // Shows what the browser saw when a step failed.
  if (page) await page.screenshot({ path: join(tmpdir(), "screenshots-failed.png") });
  console.error(`failed; the page is in ${join(tmpdir(), "screenshots-failed.png")}`);
  throw err;
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
