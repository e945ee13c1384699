// The explorer's first view as a visitor gets it: headless Chromium (Debian's package, driven by
// playwright-core from crates/web/tests/browser), a fresh browser context each time (no cache),
// from navigation start to the load event (HTML, stylesheet, scripts, the inline SVG drawn).
// Usage: node bench/web-first-view.mjs REPEATS URL…  — prints "median_ms min_ms URL" per URL.
import { chromium } from "../crates/web/tests/browser/node_modules/playwright-core/index.mjs";

const [repeats, ...urls] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
for (const url of urls) {
  const times = [];
  for (let i = 0; i < Number(repeats); i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url, { waitUntil: "load" });
    times.push(await page.evaluate(() => performance.getEntriesByType("navigation")[0].loadEventEnd));
    await context.close();
  }
  times.sort((a, b) => a - b);
  console.log(`${times[Math.floor(times.length / 2)].toFixed(1)} ${times[0].toFixed(1)} ${url}`);
}
await browser.close();
