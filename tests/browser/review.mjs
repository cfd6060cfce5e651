// Drive the review app served by Voila: mark the first image's mask BAD with the button, move on and mark the
// second image's annotation `fully` with the keyboard, save a screenshot. Usage: node review.mjs URL SHOT.png
// Prints one JSON line: {"errors": [...page errors...]}. Waits on what the page shows, never on fixed sleeps.
import { chromium } from 'playwright-core';

const [url, shot] = process.argv.slice(2);
// Flags from the machine notes: without the background-networking ones Chromium keeps dialling out.
const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
              '--disable-component-update', '--disable-sync'];
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args });
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 2300 } });
  page.on('pageerror', e => errors.push(String(e)));
  page.setDefaultTimeout(60000);
  await page.goto(url);
  const saved = text => page.getByText(text).first().waitFor();
  await page.getByRole('button', { name: 'BAD (b)' }).click();           // waits until Voila has rendered the widget
  await saved('fgmask_status = BAD, saved to data_quality.csv');
  // ipyevents listens for keys from the moment the pointer enters the widget: leave it, then come back
  await page.mouse.move(0, 0);
  await page.locator('.widget-image').first().hover();
  await page.locator('.ipyevents-watched').waitFor();
  await page.keyboard.press('ArrowRight');
  await saved('2/3');
  await page.keyboard.press('f');
  await saved('annotation_status = fully, saved to data_quality.csv');
  await page.getByRole('button', { name: 'count' }).waitFor();           // the counting UI is there too
  await page.screenshot({ path: shot, fullPage: true });
} finally {
  await browser.close();
  console.log(JSON.stringify({ errors }));
}
