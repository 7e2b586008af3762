// Loads each page in Chromium (through puppeteer-core, which Lighthouse brings) at a phone's
// width and a desktop's, screenshots it whole, and prints how wide its content is: a page
// wider than the window scrolls sideways.
// Usage: node layout.cjs NODE_MODULES CHROMIUM SHOTS_DIR NAME=URL...
const path = require("path");
const [modules, chromium, shots, ...pages] = process.argv.slice(2);
const puppeteer = require(path.join(modules, "puppeteer-core"));

(async () => {
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu"],
  });
  try {
    for (const page of pages) {
      const at = page.indexOf("=");
      const [name, url] = [page.slice(0, at), page.slice(at + 1)];
      for (const width of [360, 1280]) {
        const tab = await browser.newPage();
        await tab.setViewport({ width, height: 900 });
        const answer = await tab.goto(url, { waitUntil: "load" });
        const content = await tab.evaluate(() => document.documentElement.scrollWidth);
        await tab.screenshot({ path: path.join(shots, `${name}-${width}.png`), fullPage: true });
        console.log(JSON.stringify({ name, width, content, status: answer.status() }));
        await tab.close();
      }
    }
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
